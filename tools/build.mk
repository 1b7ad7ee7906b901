# tools/: memplugctl and memplug-bench, plus the shared netlink client
# library in lib/ (genl.c, memplug_nl.c) that memplugd and the selftests
# link too (MEMPLUG_NL_OBJS).
MEMPLUG_NL_OBJS := $(B)/lib/genl.o $(B)/lib/memplug_nl.o
MEMPLUG_NL_HDRS := include/memplug/genl.h include/memplug/memplug_nl.h \
	uapi/linux/memplug.h

$(B)/lib/genl.o $(B)/lib/memplug_nl.o: $(B)/lib/%.o: lib/%.c $(MEMPLUG_NL_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LIBNL_CFLAGS) -c -o $@ $<

PROGS += $(B)/tools/memplugctl
MEMPLUGCTL_SRCS := tools/memplugctl/memplugctl.c tools/memplugctl/hotplug.c
$(B)/tools/memplugctl: $(MEMPLUGCTL_SRCS) tools/memplugctl/memplugctl.h \
		include/memplug/vmm_proto.h $(MEMPLUG_NL_OBJS) $(MEMPLUG_NL_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LIBNL_CFLAGS) $(JSON_CFLAGS) -o $@ $(MEMPLUGCTL_SRCS) \
		$(MEMPLUG_NL_OBJS) $(LIBNL_LIBS) $(JSON_LIBS)
