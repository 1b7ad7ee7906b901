# Host unit tests of the /hotplug/memory JSON schema (lib/hotplug_config.c).
HOST_TESTS += $(B)/selftests/hotplug_config/hotplug_config_test

$(B)/lib/hotplug_config.o: lib/hotplug_config.c include/memplug/hotplug_config.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(B)/selftests/hotplug_config/hotplug_config_test: selftests/hotplug_config/hotplug_config_test.c \
		$(B)/lib/hotplug_config.o $(B)/ksft/kselftest_harness.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(B)/lib/hotplug_config.o
