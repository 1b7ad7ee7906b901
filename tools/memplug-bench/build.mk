# tools/memplug-bench: the benchmark (README in the directory).
# MEMPLUG_NL_OBJS comes from tools/build.mk; the paths are spelled out so
# that the order in which make reads the fragments does not matter.
PROGS += $(B)/tools/memplug-bench
MEMPLUG_BENCH_SRCS := $(addprefix tools/memplug-bench/, main.c slots.c \
	plug.c nl.c ctl.c qmp.c boot.c stats.c report.c scale.c)
$(B)/tools/memplug-bench: $(MEMPLUG_BENCH_SRCS) tools/memplug-bench/bench.h \
		$(B)/lib/genl.o $(B)/lib/memplug_nl.o uapi/linux/memplug.h \
		include/memplug/genl.h include/memplug/memplug_nl.h include/memplug/clock.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LIBNL_CFLAGS) -o $@ $(MEMPLUG_BENCH_SRCS) \
		$(B)/lib/genl.o $(B)/lib/memplug_nl.o $(LIBNL_LIBS)
