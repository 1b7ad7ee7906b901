# selftests/memplug: memplug.ko against real KVM VMs (in the test VM).
# memplug_rmmod_test unloads and reloads the module: keep it last, after
# memplug_fuzz (which checks the module is left unreferenced).
MEMPLUG_TESTS := $(B)/selftests/memplug/memplug_test \
	$(B)/selftests/memplug/memplug_dump_test \
	$(B)/selftests/memplug/memplug_owner_test \
	$(B)/selftests/memplug/memplug_relay_test \
	$(B)/selftests/memplug/memplug_batch_test \
	$(B)/selftests/memplug/memplug_trace_test \
	$(B)/selftests/memplug/ynl_test.sh \
	$(B)/selftests/memplug/memplug_fuzz \
	$(B)/selftests/memplug/memplug_rmmod_test
VM_TESTS += $(MEMPLUG_TESTS)

$(B)/selftests/memplug/memplug_test $(B)/selftests/memplug/memplug_rmmod_test \
$(B)/selftests/memplug/memplug_dump_test \
$(B)/selftests/memplug/memplug_owner_test \
$(B)/selftests/memplug/memplug_relay_test \
$(B)/selftests/memplug/memplug_trace_test \
$(B)/selftests/memplug/memplug_fuzz: \
		$(B)/selftests/memplug/%: selftests/memplug/%.c \
		selftests/lib/kvm_guest.c selftests/lib/kvm_guest.h \
		selftests/lib/caps.c selftests/lib/caps.h \
		$(LIBMEMPLUG) $(LIBMEMPLUG_HDRS) $(B)/ksft/kselftest_harness.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LIBNL_CFLAGS) -o $@ $< selftests/lib/kvm_guest.c \
		selftests/lib/caps.c $(LIBMEMPLUG) $(LIBNL_LIBS) -lpthread

$(B)/selftests/memplug/memplug_batch_test: selftests/memplug/memplug_batch_test.c \
		selftests/lib/kvm_guest.c selftests/lib/kvm_guest.h \
		$(LIBMEMPLUG) $(LIBMEMPLUG_HDRS) $(B)/ksft/kselftest_harness.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LIBNL_CFLAGS) -o $@ $< selftests/lib/kvm_guest.c \
		$(LIBMEMPLUG) $(LIBNL_LIBS)

# tools/net/ynl from Debian's linux-source-6.12, extracted at build time:
# build/ynl/ynl/cli.py (+ lib/) and build/ynl/genetlink-legacy.yaml.
YNL_DIR := $(B)/ynl
$(YNL_DIR)/ynl/cli.py: | deps-quiet
	@mkdir -p $(YNL_DIR)
	tar -xJf /usr/src/linux-source-6.12.tar.xz -C $(YNL_DIR) \
		--strip-components=3 --wildcards \
		'linux-source-6.12/tools/net/ynl/*.py' \
		'linux-source-6.12/tools/net/ynl/lib/*' \
		'linux-source-6.12/Documentation/netlink/genetlink-legacy.yaml'
	@touch $@

$(B)/selftests/memplug/memplug_hold: selftests/memplug/memplug_hold.c \
		selftests/lib/kvm_guest.c selftests/lib/kvm_guest.h \
		$(LIBMEMPLUG) $(LIBMEMPLUG_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LIBNL_CFLAGS) -o $@ $< selftests/lib/kvm_guest.c \
		$(LIBMEMPLUG) $(LIBNL_LIBS)

$(B)/selftests/memplug/ynl_test.sh: selftests/memplug/ynl_test.sh \
		selftests/memplug/ynl_ops.py uapi/memplug.yaml $(YNL_DIR)/ynl/cli.py \
		$(B)/selftests/memplug/memplug_hold $(B)/tools/memplugctl
	@mkdir -p $(dir $@)
	cp $< $@

# The spec against the kernel's schema and against the uapi header (host;
# one of the static checks, make lint).
LINT_TESTS += $(B)/selftests/memplug/ynl_spec_test.py
$(B)/selftests/memplug/ynl_spec_test.py: selftests/memplug/ynl_spec_test.py \
		uapi/memplug.yaml uapi/linux/memplug.h $(YNL_DIR)/ynl/cli.py
	@mkdir -p $(dir $@)
	cp $< $@
