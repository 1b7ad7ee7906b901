# selftests/stress: no data lost through plugs, unplugs and kills of
# memplugd and the VMM, measured by the guest (guest/memcheck.c).
# Run by 'make check-stress', not yet by 'make check'.  Two of its hangs and
# crashes were the test VM's freeze (selftests/vm/kvm-hold.c) and a guest
# plugging into slots KVM did not have (memplugd_modes.sh); with seed 2980
# the guest still triple-faults while memplugd runs in local mode.
STRESS_TESTS += selftests/stress/stress.sh

selftests/stress/stress.sh: $(B)/daemon/memplugd $(B)/tools/memplugctl \
	$(B)/vmm/memplug-vmm $(GUEST_INITRD)
