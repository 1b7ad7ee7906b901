# Host unit tests of the /hotplug/memory JSON schema (lib/hotplug_config.c).
HOST_TESTS += $(B)/selftests/hotplug_config/hotplug_config_test

$(B)/selftests/hotplug_config/hotplug_config_test: selftests/hotplug_config/hotplug_config_test.c \
		$(LIBMEMPLUG) $(B)/ksft/kselftest_harness.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LIBMEMPLUG)
