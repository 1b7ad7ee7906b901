# selftests/stress: no data lost through plugs, unplugs and kills of
# memplugd and the VMM, measured by the guest (guest/memcheck.c).  A suite of
# 'make check' (about 3 minutes: 12 cycles in 140 s on a quiet
# 2-core machine), and alone by 'make check-stress'.
STRESS_TESTS += selftests/stress/stress.sh
VM_TESTS += $(STRESS_TESTS)

selftests/stress/stress.sh: $(B)/daemon/memplugd $(B)/tools/memplugctl \
	$(B)/vmm/memplug-vmm $(GUEST_INITRD)
