# selftests/kvm: KVM itself works in the test VM (the ground for all else).
VM_TESTS += $(B)/selftests/kvm/kvm_test

$(B)/selftests/kvm/kvm_test: selftests/kvm/kvm_test.c selftests/lib/kvm_guest.c \
		selftests/lib/kvm_guest.h $(B)/ksft/kselftest_harness.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ selftests/kvm/kvm_test.c selftests/lib/kvm_guest.c

# memslots come and go under two guests' running vCPUs: see slot_race.c
VM_TESTS += $(B)/selftests/kvm/slot_race

$(B)/selftests/kvm/slot_race: selftests/kvm/slot_race.c selftests/lib/kvm_guest.c selftests/lib/env.h \
		selftests/lib/kvm_guest.h $(B)/ksft/kselftest_harness.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ selftests/kvm/slot_race.c selftests/lib/kvm_guest.c -lpthread
