# daemon/: memplugd, the privileged helper (see daemon/memplugd.h).
PROGS += $(B)/daemon/memplugd

MEMPLUGD_SRCS := $(wildcard daemon/*.c)

$(B)/daemon/memplugd: $(MEMPLUGD_SRCS) $(LIBMEMPLUG) \
		$(wildcard daemon/*.h) $(LIBMEMPLUG_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LIBNL_CFLAGS) -o $@ $(MEMPLUGD_SRCS) \
		$(LIBMEMPLUG) $(LIBNL_LIBS)
