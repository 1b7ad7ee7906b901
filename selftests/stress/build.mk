# selftests/stress: no data lost through plugs, unplugs and kills of
# memplugd and the VMM, measured by the guest (guest/memcheck.c).
# The last suite of 'make check'; 'make check-stress' runs it alone.  Its
# hangs and crashes were the test VM's freeze (selftests/vm/kvm-hold.c) and
# a guest plugging into slots KVM did not have (memplugd_modes.sh).
STRESS_TESTS += selftests/stress/stress.sh

selftests/stress/stress.sh: $(B)/daemon/memplugd $(B)/tools/memplugctl \
	$(B)/vmm/memplug-vmm $(GUEST_INITRD)
