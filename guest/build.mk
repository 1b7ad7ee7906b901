# The memplug test guest: Debian's kernel + this initramfs (guest/README).
GUEST_INITRD := $(B)/guest/initramfs.cpio.gz
PROGS += $(GUEST_INITRD)

$(GUEST_INITRD): guest/init guest/mkguest guest/memcheck.c guest/misbehave.c
	guest/mkguest $(KVER) $@
