# tools/memplug-bench: the benchmark (README in the directory).
PROGS += $(B)/tools/memplug-bench
MEMPLUG_BENCH_SRCS := $(addprefix tools/memplug-bench/, main.c slots.c \
	plug.c nl.c ctl.c qmp.c boot.c stats.c report.c scale.c)
$(B)/tools/memplug-bench: $(MEMPLUG_BENCH_SRCS) tools/memplug-bench/bench.h \
		$(LIBMEMPLUG) $(LIBMEMPLUG_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LIBNL_CFLAGS) -o $@ $(MEMPLUG_BENCH_SRCS) \
		$(LIBMEMPLUG) $(LIBNL_LIBS)
