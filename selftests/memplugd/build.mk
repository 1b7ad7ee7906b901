# selftests/memplugd: memplugd end to end (module + daemon + VMM + guest),
# and its offline --validate on the host.
VM_TESTS += selftests/memplugd/memplugd_e2e.sh selftests/memplugd/memplugd_plan.sh \
	selftests/memplugd/memplugd_modes.sh selftests/memplugd/memplugd_stopped.sh
HOST_TESTS += selftests/memplugd/memplugd_validate.sh

selftests/memplugd/memplugd_e2e.sh selftests/memplugd/memplugd_plan.sh \
selftests/memplugd/memplugd_modes.sh selftests/memplugd/memplugd_stopped.sh: \
	$(B)/daemon/memplugd $(B)/tools/memplugctl $(B)/vmm/memplug-vmm $(GUEST_INITRD)
selftests/memplugd/memplugd_validate.sh: $(B)/daemon/memplugd

# memplugd's socket against hostile local peers (a real memplugd in local
# mode: no KVM needed, so it runs on the host)
HOST_TESTS += $(B)/selftests/memplugd/memplugd_sock_test
$(B)/selftests/memplugd/memplugd_sock_test: selftests/memplugd/memplugd_sock_test.c \
		$(LIBMEMPLUG) $(B)/ksft/kselftest_harness.h $(B)/daemon/memplugd
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LIBNL_CFLAGS) -o $@ $< $(LIBMEMPLUG)
