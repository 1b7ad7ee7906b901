# memplug-vmm: the VMM (vmm/README) and its unit test of the virtio-mem
# request handler (selftests/vmm).
VMM_SRCS := vmm/main.c vmm/seccomp.c vmm/kvm.c vmm/x86-boot.c vmm/x86-tables.c vmm/serial.c \
	vmm/pci.c vmm/virtio-pci.c vmm/virtqueue.c vmm/virtio-mem.c \
	vmm/region.c vmm/control.c vmm/memplugd.c vmm/start.c lib/hotplug_config.c lib/scm.c
VMM_HDRS := $(wildcard include/memplug/vmm*.h) include/memplug/hotplug_config.h \
	include/memplug/clock.h

PROGS += $(B)/vmm/memplug-vmm

$(B)/vmm/memplug-vmm: $(VMM_SRCS) $(VMM_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $(VMM_SRCS) -lpthread
