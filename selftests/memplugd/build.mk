# selftests/memplugd: memplugd end to end (module + daemon + VMM + guest),
# and its offline --validate on the host.
VM_TESTS += selftests/memplugd/memplugd_e2e.sh
HOST_TESTS += selftests/memplugd/memplugd_validate.sh

selftests/memplugd/memplugd_e2e.sh: $(B)/daemon/memplugd $(B)/tools/memplugctl \
	$(B)/vmm/memplug-vmm $(GUEST_INITRD)
selftests/memplugd/memplugd_validate.sh: $(B)/daemon/memplugd
