# tools/: memplugctl and memplug-bench (the shared netlink client library
# in lib/, LIBMEMPLUG, is defined in the top-level Makefile).
PROGS += $(B)/tools/memplugctl
MEMPLUGCTL_SRCS := $(addprefix tools/memplugctl/, \
		memplugctl.c vm.c hotplug.c monitor.c print.c)
$(B)/tools/memplugctl: $(MEMPLUGCTL_SRCS) tools/memplugctl/memplugctl.h \
		tools/memplugctl/print.h $(LIBMEMPLUG) $(LIBMEMPLUG_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LIBNL_CFLAGS) $(JSON_CFLAGS) -o $@ $(MEMPLUGCTL_SRCS) \
		$(LIBMEMPLUG) $(LIBNL_LIBS) $(JSON_LIBS)
