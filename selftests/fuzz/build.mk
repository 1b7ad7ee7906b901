# selftests/fuzz: lib/hotplug_config.c's JSON parser under libFuzzer (clang,
# with ASan and UBSan), held against the reference decoder and rule table
# here; json_fuzz.sh runs it for a bounded time as a host test.
HOST_TESTS += selftests/fuzz/json_fuzz.sh
selftests/fuzz/json_fuzz.sh: $(B)/selftests/fuzz/json_fuzz

FUZZ_CC := clang
FUZZ_CFLAGS := -O2 -g -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare \
	-std=gnu11 -D_GNU_SOURCE -Iinclude -fsanitize=address,undefined \
	-fno-sanitize-recover=all
# scripts/deps installs clang and libclang-rt-14-dev (libFuzzer): without
# them this is a build failure that says so, never a skipped test.
FUZZ_NEED_CC = @command -v $(FUZZ_CC) >/dev/null || { echo "selftests/fuzz: \
$(FUZZ_CC) not found (scripts/deps installs clang and libclang-rt-14-dev)" >&2; exit 1; }
FUZZ_OBJS := $(addprefix $(B)/selftests/fuzz/,json_fuzz.o ref_json.o ref_rules.o \
	hotplug_config.o)

# The harness is built without coverage instrumentation: its own checks
# would only add comparisons for libFuzzer to trace, a third fewer
# executions a second; the parser and the model are what it explores.
$(B)/selftests/fuzz/json_fuzz.o: selftests/fuzz/json_fuzz.c selftests/fuzz/ref.h \
		include/memplug/hotplug_config.h | deps-quiet
	$(FUZZ_NEED_CC)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(B)/selftests/fuzz/ref_json.o: selftests/fuzz/ref_json.c selftests/fuzz/ref.h | deps-quiet
	$(FUZZ_NEED_CC)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

# The rule table's walk keeps its edges but not its compares: tracing
# table lookups byte by byte costs time and teaches libFuzzer nothing.
$(B)/selftests/fuzz/ref_rules.o: selftests/fuzz/ref_rules.c selftests/fuzz/ref.h | deps-quiet
	$(FUZZ_NEED_CC)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link \
		-fno-sanitize-coverage=trace-cmp -c -o $@ $<

$(B)/selftests/fuzz/hotplug_config.o: lib/hotplug_config.c \
		include/memplug/hotplug_config.h | deps-quiet
	$(FUZZ_NEED_CC)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(B)/selftests/fuzz/json_fuzz: $(FUZZ_OBJS)
	$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $@ $(FUZZ_OBJS)
