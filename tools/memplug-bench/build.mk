# tools/memplug-bench: measurements (see the comment on top of the source).
# MEMPLUG_NL_OBJS comes from tools/build.mk; the paths are spelled out so
# that the order in which make reads the fragments does not matter.
PROGS += $(B)/tools/memplug-bench
$(B)/tools/memplug-bench: tools/memplug-bench/memplug-bench.c \
		$(B)/lib/genl.o $(B)/lib/memplug_nl.o uapi/linux/memplug.h \
		include/memplug/genl.h include/memplug/memplug_nl.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LIBNL_CFLAGS) -o $@ $< $(B)/lib/genl.o \
		$(B)/lib/memplug_nl.o $(LIBNL_LIBS)
