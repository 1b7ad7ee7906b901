# selftests/misbehave: a hostile guest driver (guest/misbehave.c) against
# memplug-vmm, in local mode and with memplugd + memplug.ko.  Its own suite
# (its own test VM and time budget): each run boots L2 guests and touches
# hundreds of MiB through them.
VM_TESTS += selftests/misbehave/misbehave_local.sh selftests/misbehave/misbehave_module.sh

selftests/misbehave/misbehave_local.sh selftests/misbehave/misbehave_module.sh: \
	selftests/misbehave/lib.sh $(B)/vmm/memplug-vmm $(GUEST_INITRD) \
	$(B)/daemon/memplugd $(B)/tools/memplugctl
