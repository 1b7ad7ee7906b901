// SPDX-License-Identifier: GPL-2.0
/*
 * memplugctl monitor: memplug.ko's "events" multicast group, one line (or
 * one JSON object) per event, flushed as it comes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "memplugctl.h"

static const char *const memplugctl_events[] = {
	[MEMPLUG_EVENT_ATTACHED] = "attached",
	[MEMPLUG_EVENT_DETACHED] = "detached",
	[MEMPLUG_EVENT_SLOTS_APPLIED] = "slots-applied",
};

static const char *const memplugctl_reasons[] = {
	[MEMPLUG_DETACH_REQUEST] = "request",
	[MEMPLUG_DETACH_OWNER_CLOSED] = "owner-closed",
	[MEMPLUG_DETACH_UNLOAD] = "unload",
};

static const char *memplugctl__name(const char *const *names, size_t n,
				    uint32_t v)
{
	return v < n && names[v] ? names[v] : "unknown";
}

static uint64_t memplugctl__u64(struct nlattr **tb, int type)
{
	return tb[type] ? nla_get_u64(tb[type]) : 0;
}

static uint32_t memplugctl__u32(struct nlattr **tb, int type)
{
	return tb[type] ? nla_get_u32(tb[type]) : 0;
}

/* memplugd reported a new requested or plugged size. */
static int memplugctl__hotplug_event(struct memplugctl *ctl, struct nlattr **tb)
{
	uint64_t req = memplugctl__u64(tb, MEMPLUG_A_REQUESTED_SIZE);
	uint64_t plug = memplugctl__u64(tb, MEMPLUG_A_PLUGGED_SIZE);

	print_open_object(ctl, NULL);
	print_string(ctl, "event", NULL, "hotplug");
	print_time_ns(ctl, "timestamp_ns", "[%s]",
		      memplugctl__u64(tb, MEMPLUG_A_TIMESTAMP_NS));
	print_uint(ctl, "vm", " vm %u hotplug",
		   memplugctl__u32(tb, MEMPLUG_A_VM_ID));
	/* whole MiB in the text, as the hotplug API counts */
	print_u64(ctl, "requested_size", NULL, req);
	print_text(ctl, " requested %" PRIu64 " MiB", req >> 20);
	print_u64(ctl, "plugged_size", NULL, plug);
	print_text(ctl, " plugged %" PRIu64 " MiB\n", plug >> 20);
	print_close_object(ctl);
	return 0;
}

/*
 * One multicast message; timestamps are the kernel's ktime_get_ns().  The
 * JSON has every event's fields, the text only the ones that event means.
 */
static int memplugctl__event(struct nlmsghdr *nlh, void *arg)
{
	struct genlmsghdr *gnlh = nlmsg_data(nlh);
	struct nlattr *tb[MEMPLUG_A_MAX + 1];
	struct memplugctl *ctl = arg;
	uint32_t ev, nr;
	const char *name;

	if ((gnlh->cmd != MEMPLUG_CMD_VM_EVENT &&
	     gnlh->cmd != MEMPLUG_CMD_HOTPLUG_EVENT) ||
	    genlmsg_parse(nlh, 0, tb, MEMPLUG_A_MAX, NULL) < 0)
		return 0;
	if (gnlh->cmd == MEMPLUG_CMD_HOTPLUG_EVENT)
		return memplugctl__hotplug_event(ctl, tb);
	ev = memplugctl__u32(tb, MEMPLUG_A_EVENT);
	nr = memplugctl__u32(tb, MEMPLUG_A_NR_SLOTS);
	name = memplugctl__name(memplugctl_events,
				sizeof(memplugctl_events) /
				sizeof(memplugctl_events[0]), ev);
	print_open_object(ctl, NULL);
	print_string(ctl, "event", NULL, name);
	print_time_ns(ctl, "timestamp_ns", "[%s]",
		      memplugctl__u64(tb, MEMPLUG_A_TIMESTAMP_NS));
	print_uint(ctl, "vm", " vm %u", memplugctl__u32(tb, MEMPLUG_A_VM_ID));
	print_string(ctl, NULL, " %s", name);
	print_uint(ctl, "owner_portid",
		   ev == MEMPLUG_EVENT_ATTACHED ? " owner %u" : NULL,
		   memplugctl__u32(tb, MEMPLUG_A_OWNER_PORTID));
	print_uint(ctl, "nr_slots",
		   ev == MEMPLUG_EVENT_SLOTS_APPLIED ? " slots %u" : NULL, nr);
	if (ev == MEMPLUG_EVENT_DETACHED) {
		print_string(ctl, "reason", " reason %s",
			     memplugctl__name(memplugctl_reasons, 4,
				memplugctl__u32(tb, MEMPLUG_A_DETACH_REASON)));
		print_uint(ctl, NULL, " slots-removed %u", nr);
	}
	if (ev == MEMPLUG_EVENT_SLOTS_APPLIED) {
		print_u64(ctl, "total_ns", " total %" PRIu64 " ns",
			  memplugctl__u64(tb, MEMPLUG_A_TIME_TOTAL_NS));
		print_u64(ctl, "apply_ns", " apply %" PRIu64 " ns",
			  memplugctl__u64(tb, MEMPLUG_A_TIME_APPLY_NS));
	}
	print_nl(ctl);
	print_close_object(ctl);
	return 0;
}

int memplugctl__monitor(struct memplugctl *ctl)
{
	int err = genl_conn__subscribe(&ctl->nl, MEMPLUG_MCGRP_EVENTS);

	if (err) {
		fprintf(stderr, "Error: cannot join the \"%s\" group.\n",
			MEMPLUG_MCGRP_EVENTS);
		return err;
	}
	err = genl_conn__listen(&ctl->nl, memplugctl__event, ctl);
	if (err)
		genl_conn__perror(&ctl->nl, err);
	return err;
}
