# selftests/stress: no data lost through plugs, unplugs and kills of
# memplugd and the VMM, measured by the guest (guest/memcheck.c).
# Run by 'make check-stress', not yet by 'make check'.  Two of its hangs and
# crashes were the test VM's freeze (selftests/vm/kvm-hold.c) and a guest
# plugging into slots KVM did not have (memplugd_modes.sh).  Seed 2980's
# guest triple-faulted once while memplugd ran in local mode, in a NACK
# storm (now BUSY), and has not since (3 runs); with other test VMs on
# 2 cores runs took 503-606 s, and run-tests stops a test at 600 s.
STRESS_TESTS += selftests/stress/stress.sh

selftests/stress/stress.sh: $(B)/daemon/memplugd $(B)/tools/memplugctl \
	$(B)/vmm/memplug-vmm $(GUEST_INITRD)
