// SPDX-License-Identifier: GPL-2.0
/*
 * memplugctl: inspect memplug.ko (iproute2 dpll.c style).
 *
 *   memplugctl [-j] [-p] vm show [VM]
 *   memplugctl vm start VM
 *   memplugctl [-j] hotplug put|patch|get VM ...   (hotplug.c)
 *   memplugctl [-j] monitor
 *
 * Objects dispatch through an if/else chain of exact words.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memplugctl.h"

const char *memplugctl__arg(struct memplugctl *ctl)
{
	return ctl->argc > 0 ? ctl->argv[0] : NULL;
}

int memplugctl__match(struct memplugctl *ctl, const char *word)
{
	if (ctl->argc > 0 && !strcmp(ctl->argv[0], word)) {
		ctl->argc--;
		ctl->argv++;
		return 1;
	}
	return 0;
}

/* Takes the next word as a VM id. */
int memplugctl__vm_id(struct memplugctl *ctl, uint32_t *id)
{
	const char *arg = memplugctl__arg(ctl);
	unsigned long v;
	char *end;

	if (!arg) {
		fprintf(stderr, "Error: a VM id is required.\n");
		return -EINVAL;
	}
	v = strtoul(arg, &end, 0);
	if (*end || !*arg || v > UINT32_MAX) {
		fprintf(stderr, "Error: \"%s\" is not a VM id.\n", arg);
		return -EINVAL;
	}
	*id = v;
	ctl->argc--;
	ctl->argv++;
	return 0;
}

/* @admin: the module gave us HVAs (CAP_NET_ADMIN); else there are none. */
static void memplugctl__slot_print(struct memplugctl *ctl,
				   const struct memplug_slot *s, int admin)
{
	print_open_object(ctl, NULL);
	print_uint(ctl, "id", "    slot %u", s->id);
	print_u64(ctl, "gpa", " gpa 0x%" PRIx64, s->gpa);
	print_size(ctl, "size", " size %s", s->size);
	if (admin)
		print_u64(ctl, "hva", " hva 0x%" PRIx64, s->hva);
	print_bool(ctl, "readonly", " readonly",
		   s->flags & MEMPLUG_SLOT_F_READONLY);
	print_bool(ctl, "log_dirty", " log_dirty",
		   s->flags & MEMPLUG_SLOT_F_LOG_DIRTY);
	print_nl(ctl);
	print_close_object(ctl);
}

/*
 * Where the text and the JSON order differ (the last slot id, the slot
 * count), a value is printed twice: text only, then JSON only.
 */
static int memplugctl__vm_print(struct memplug_vm_info *vi, void *arg)
{
	struct memplugctl *ctl = arg;
	const struct memplug_range *r = &vi->range;
	/* VM_GET gives an HVA range to CAP_NET_ADMIN only. */
	int admin = r->hva_size != 0;
	uint32_t i;

	print_open_object(ctl, NULL);
	print_uint(ctl, "id", "vm %u:", vi->id);
	/* Owner and HVAs: the module tells only CAP_NET_ADMIN. */
	if (admin)
		print_uint(ctl, "owner_portid", " owner %u", vi->owner_portid);
	print_uint(ctl, "slot_base", " slots %u", r->slot_base);
	print_uint(ctl, "slot_count", NULL, r->slot_count);
	print_text(ctl, "-%u%s\n", r->slot_base + r->slot_count - 1,
		   vi->inconsistent ? " inconsistent" : "");
	print_u64(ctl, "gpa_base", "  gpa 0x%" PRIx64, r->gpa_base);
	print_size(ctl, "gpa_size", " size %s", r->gpa_size);
	if (admin) {
		print_u64(ctl, "hva_base", " hva 0x%" PRIx64, r->hva_base);
		print_size(ctl, "hva_size", " size %s", r->hva_size);
	}
	print_nl(ctl);
	if (vi->inconsistent)
		print_bool(ctl, "inconsistent", NULL, true);
	print_time_ns(ctl, "attached_ns", "  attached at %s s, ",
		      vi->attached_ns);
	print_text(ctl, "%u slots\n", vi->nr_slots);
	print_bool(ctl, "keep_slots", NULL,
		   r->flags & MEMPLUG_ATTACH_F_KEEP_SLOTS);
	print_size(ctl, "requested_size", "  hotplug requested %s",
		   vi->requested_size);
	print_size(ctl, "plugged_size", " plugged %s\n", vi->plugged_size);
	print_uint(ctl, "nr_slots", NULL, vi->nr_slots);
	print_open_array(ctl, "slots");
	for (i = 0; i < vi->nr_slots; i++)
		memplugctl__slot_print(ctl, &vi->slots[i], admin);
	print_close_array(ctl);
	print_close_object(ctl);
	return 0;
}

static int memplugctl__vm_show(struct memplugctl *ctl)
{
	struct memplug_vm_info vi;
	const char *arg = memplugctl__arg(ctl);
	int err;

	print_open_array(ctl, NULL);
	if (!arg) {
		err = memplug_nl__vm_dump(&ctl->nl, memplugctl__vm_print, ctl);
	} else {
		char *end;
		unsigned long id = strtoul(arg, &end, 0);

		if (*end || !*arg || id > UINT32_MAX) {
			fprintf(stderr, "Error: \"%s\" is not a VM id.\n", arg);
			return -EINVAL;
		}
		err = memplug_nl__vm_get(&ctl->nl, id, &vi);
		if (!err)
			err = memplugctl__vm_print(&vi, ctl);
		memplug_nl__vm_info_free(&vi);
	}
	if (err) {
		genl_conn__perror(&ctl->nl, err);
		return err;
	}
	print_close_array(ctl);
	return 0;
}

static int memplugctl__vm(struct memplugctl *ctl)
{
	if (memplugctl__match(ctl, "start"))
		return memplugctl__vm_start(ctl);
	if (!ctl->nl_ok)
		return memplugctl__hotplug_vm_show(ctl);
	if (memplugctl__match(ctl, "show") || !memplugctl__arg(ctl))
		return memplugctl__vm_show(ctl);
	fprintf(stderr, "Command \"%s\" not found\n", memplugctl__arg(ctl));
	return -ENOENT;
}

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

static int memplugctl__monitor(struct memplugctl *ctl)
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

static void memplugctl__usage(FILE *f)
{
	fprintf(f,
		"Usage: memplugctl [-j] [-p] OBJECT COMMAND [ARGS]\n"
		"       memplugctl vm show [VM]\n"
		"       memplugctl vm start VM\n"
		"       memplugctl hotplug put VM { JSON | total MIB [block MIB] [slot MIB] }\n"
		"       memplugctl hotplug patch VM { JSON | requested MIB } [--wait [SEC]]\n"
		"       memplugctl hotplug get VM\n"
		"       memplugctl monitor\n"
		"  -j, --json    JSON output\n"
		"  -p, --pretty  indented JSON\n"
		"  -s, --socket PATH  memplugd's socket, used when memplug.ko is not\n"
		"                     loaded (default " MEMPLUG_DEFAULT_SOCKET ")\n"
		"\nexit status: 0 success, 1 the request failed, 2 bad options\n");
}

static int memplugctl__cmd(struct memplugctl *ctl)
{
	if (memplugctl__match(ctl, "vm"))
		return memplugctl__vm(ctl);
	if (memplugctl__match(ctl, "hotplug"))
		return memplugctl__hotplug(ctl);
	if (!ctl->nl_ok) {
		fprintf(stderr, "Error: the \"%s\" generic netlink family is not registered; is memplug.ko loaded (modprobe memplug)?\n",
			MEMPLUG_GENL_NAME);
		return -ENOENT;
	}
	if (memplugctl__match(ctl, "monitor"))
		return memplugctl__monitor(ctl);
	fprintf(stderr, "Object \"%s\" not found\n", memplugctl__arg(ctl));
	return -ENOENT;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct memplugctl ctl = { .sock_path = MEMPLUG_DEFAULT_SOCKET };
	int opt, err;

	while ((opt = getopt_long(argc, argv, "+jps:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			ctl.print.json = 1;
			break;
		case 'p':
			ctl.print.pretty = 1;
			break;
		case 's':
			ctl.sock_path = optarg;
			break;
		case 'h':
			memplugctl__usage(stdout);
			return 0;
		case 'V':
			printf("memplugctl %s\n", MEMPLUG_VERSION);
			return 0;
		default:
			memplugctl__usage(stderr);
			return 2;
		}
	}
	ctl.argc = argc - optind;
	ctl.argv = argv + optind;
	if (!ctl.argc || !strcmp(ctl.argv[0], "help")) {
		memplugctl__usage(ctl.argc ? stdout : stderr);
		return ctl.argc ? 0 : 2;
	}
	/* Without memplug.ko, hotplug requests go to memplugd's socket. */
	err = memplug_nl__open(&ctl.nl);
	if (err && err != -ENOENT) {
		fprintf(stderr, "Error: cannot open a netlink socket: %s.\n",
			strerror(-err));
		return 1;
	}
	ctl.nl_ok = !err;
	err = memplugctl__cmd(&ctl);
	print_discard(&ctl);
	if (ctl.nl_ok)
		genl_conn__close(&ctl.nl);
	return err ? 1 : 0;
}
