# selftests/stress: no data lost through plugs, unplugs and kills of
# memplugd and the VMM, measured by the guest (guest/memcheck.c).
VM_TESTS += selftests/stress/stress.sh

selftests/stress/stress.sh: $(B)/daemon/memplugd $(B)/tools/memplugctl \
	$(B)/vmm/memplug-vmm $(GUEST_INITRD)
