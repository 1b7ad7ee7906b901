# daemon/: memplugd, the privileged helper (see daemon/memplugd.h).
PROGS += $(B)/daemon/memplugd

MEMPLUGD_SRCS := $(wildcard daemon/*.c) lib/hotplug_config.c lib/scm.c lib/vmm_proto.c

$(B)/daemon/memplugd: $(MEMPLUGD_SRCS) $(MEMPLUG_NL_OBJS) \
		$(wildcard daemon/*.h include/memplug/*.h) uapi/linux/memplug.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LIBNL_CFLAGS) -o $@ $(MEMPLUGD_SRCS) \
		$(MEMPLUG_NL_OBJS) $(LIBNL_LIBS)
