# memplug-vmm tests in the test VM: the device's request handler on a real
# KVM VM (virtio_mem_test) and real L2 guests (*.sh, TAP).
VMM_LIB_SRCS := $(filter-out vmm/main.c,$(VMM_SRCS)) $(LIBMEMPLUG)

VM_TESTS += $(B)/selftests/vmm/virtio_mem_test $(B)/selftests/vmm/guest_access_test \
	$(B)/selftests/vmm/virtio_mem_fuzz \
	$(B)/selftests/vmm/seccomp_test $(B)/selftests/vmm/vmm_daemon_test \
	selftests/vmm/vmm_boot.sh selftests/vmm/vmm_hotplug.sh

$(B)/selftests/vmm/virtio_mem_test: selftests/vmm/virtio_mem_test.c $(VMM_LIB_SRCS) \
		$(VMM_HDRS) $(B)/ksft/kselftest_harness.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(VMM_LIB_SRCS) -lpthread

$(B)/selftests/vmm/virtio_mem_fuzz: selftests/vmm/virtio_mem_fuzz.c \
		selftests/vmm/virtio_mem_fuzz_racer.c selftests/vmm/virtio_mem_fuzz.h selftests/lib/env.h \
		$(VMM_LIB_SRCS) $(VMM_HDRS) $(B)/ksft/kselftest_harness.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< selftests/vmm/virtio_mem_fuzz_racer.c \
		$(VMM_LIB_SRCS) -lpthread

$(B)/selftests/vmm/guest_access_test: selftests/vmm/guest_access_test.c $(VMM_LIB_SRCS) \
		$(VMM_HDRS) $(B)/ksft/kselftest_harness.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(VMM_LIB_SRCS) -lpthread

$(B)/selftests/vmm/seccomp_test: selftests/vmm/seccomp_test.c vmm/seccomp.c \
		$(VMM_HDRS) $(B)/ksft/kselftest_harness.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< vmm/seccomp.c

# the transport's configuration space needs no KVM: a host test
HOST_TESTS += $(B)/selftests/vmm/virtio_pci_test
$(B)/selftests/vmm/virtio_pci_test: selftests/vmm/virtio_pci_test.c $(VMM_LIB_SRCS) \
		$(VMM_HDRS) $(B)/ksft/kselftest_harness.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(VMM_LIB_SRCS) -lpthread

# plays memplugd to the real VMM and guest
$(B)/selftests/vmm/vmm_daemon_test: selftests/vmm/vmm_daemon_test.c $(LIBMEMPLUG) \
		$(VMM_HDRS) include/memplug/vmm_proto.h $(B)/ksft/kselftest_harness.h \
		$(B)/vmm/memplug-vmm $(GUEST_INITRD)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LIBMEMPLUG)

# the shell tests need the VMM and the guest
selftests/vmm/vmm_boot.sh selftests/vmm/vmm_hotplug.sh: $(B)/vmm/memplug-vmm $(GUEST_INITRD)
