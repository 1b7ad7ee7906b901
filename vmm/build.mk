# memplug-vmm: the VMM (vmm/README) and its unit test of the virtio-mem
# request handler (selftests/vmm).
VMM_SRCS := vmm/main.c vmm/seccomp.c vmm/kvm.c vmm/x86-boot.c vmm/x86-tables.c vmm/serial.c \
	vmm/pci.c vmm/virtio-pci.c vmm/virtqueue.c vmm/virtio-mem.c \
	vmm/region.c vmm/control.c vmm/memplugd.c vmm/start.c
VMM_HDRS := $(LIBMEMPLUG_HDRS)

PROGS += $(B)/vmm/memplug-vmm

$(B)/vmm/memplug-vmm: $(VMM_SRCS) $(VMM_HDRS) $(LIBMEMPLUG)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $(VMM_SRCS) $(LIBMEMPLUG) -lpthread
