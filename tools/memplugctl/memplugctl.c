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

static void memplugctl__flush_json(struct memplugctl *ctl)
{
	if (!ctl->json || !ctl->out)
		return;
	printf("%s\n", json_object_to_json_string_ext(ctl->out,
		ctl->pretty ? JSON_C_TO_STRING_PRETTY : JSON_C_TO_STRING_PLAIN));
	json_object_put(ctl->out);
	ctl->out = NULL;
}

static const char *memplugctl__size(uint64_t bytes, char *buf, size_t len)
{
	if (bytes && !(bytes % (1ULL << 30)))
		snprintf(buf, len, "%" PRIu64 " GiB", bytes >> 30);
	else if (bytes && !(bytes % (1ULL << 20)))
		snprintf(buf, len, "%" PRIu64 " MiB", bytes >> 20);
	else
		snprintf(buf, len, "%" PRIu64 " KiB", bytes >> 10);
	return buf;
}

/* @admin: the module gave us HVAs (CAP_NET_ADMIN); else there are none. */
static json_object *memplugctl__slot_json(const struct memplug_slot *s,
					  int admin)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_int64(s->id));
	json_object_object_add(o, "gpa", json_object_new_uint64(s->gpa));
	json_object_object_add(o, "size", json_object_new_uint64(s->size));
	if (admin)
		json_object_object_add(o, "hva", json_object_new_uint64(s->hva));
	json_object_object_add(o, "readonly",
		json_object_new_boolean(s->flags & MEMPLUG_SLOT_F_READONLY));
	json_object_object_add(o, "log_dirty",
		json_object_new_boolean(s->flags & MEMPLUG_SLOT_F_LOG_DIRTY));
	return o;
}

static int memplugctl__vm_print(struct memplug_vm_info *vi, void *arg)
{
	struct memplugctl *ctl = arg;
	const struct memplug_range *r = &vi->range;
	/* VM_GET gives an HVA range to CAP_NET_ADMIN only. */
	int admin = r->hva_size != 0;
	char b1[32], b2[32];
	uint32_t i;

	if (ctl->json) {
		json_object *o = json_object_new_object();
		json_object *slots = json_object_new_array();

		json_object_object_add(o, "id", json_object_new_int64(vi->id));
		/* Owner and HVAs: the module tells only CAP_NET_ADMIN. */
		if (admin)
			json_object_object_add(o, "owner_portid",
					       json_object_new_int64(vi->owner_portid));
		json_object_object_add(o, "slot_base",
				       json_object_new_int64(r->slot_base));
		json_object_object_add(o, "slot_count",
				       json_object_new_int64(r->slot_count));
		json_object_object_add(o, "gpa_base",
				       json_object_new_uint64(r->gpa_base));
		json_object_object_add(o, "gpa_size",
				       json_object_new_uint64(r->gpa_size));
		if (admin) {
			json_object_object_add(o, "hva_base",
					       json_object_new_uint64(r->hva_base));
			json_object_object_add(o, "hva_size",
					       json_object_new_uint64(r->hva_size));
		}
		if (vi->inconsistent)
			json_object_object_add(o, "inconsistent",
					       json_object_new_boolean(1));
		json_object_object_add(o, "attached_ns",
				       json_object_new_uint64(vi->attached_ns));
		json_object_object_add(o, "keep_slots", json_object_new_boolean(
			r->flags & MEMPLUG_ATTACH_F_KEEP_SLOTS));
		json_object_object_add(o, "requested_size",
				       json_object_new_uint64(vi->requested_size));
		json_object_object_add(o, "plugged_size",
				       json_object_new_uint64(vi->plugged_size));
		json_object_object_add(o, "nr_slots",
				       json_object_new_int64(vi->nr_slots));
		for (i = 0; i < vi->nr_slots; i++)
			json_object_array_add(slots,
				memplugctl__slot_json(&vi->slots[i], admin));
		json_object_object_add(o, "slots", slots);
		json_object_array_add(ctl->out, o);
		return 0;
	}
	if (admin)
		printf("vm %u: owner %u slots %u-%u%s\n", vi->id,
		       vi->owner_portid, r->slot_base,
		       r->slot_base + r->slot_count - 1,
		       vi->inconsistent ? " inconsistent" : "");
	else
		printf("vm %u: slots %u-%u%s\n", vi->id, r->slot_base,
		       r->slot_base + r->slot_count - 1,
		       vi->inconsistent ? " inconsistent" : "");
	printf("  gpa 0x%" PRIx64 " size %s", r->gpa_base,
	       memplugctl__size(r->gpa_size, b1, sizeof(b1)));
	if (admin)
		printf(" hva 0x%" PRIx64 " size %s", r->hva_base,
		       memplugctl__size(r->hva_size, b2, sizeof(b2)));
	printf("\n");
	printf("  attached at %" PRIu64 ".%09" PRIu64 " s, %u slots\n",
	       vi->attached_ns / 1000000000, vi->attached_ns % 1000000000,
	       vi->nr_slots);
	printf("  hotplug requested %s plugged %s\n",
	       memplugctl__size(vi->requested_size, b1, sizeof(b1)),
	       memplugctl__size(vi->plugged_size, b2, sizeof(b2)));
	for (i = 0; i < vi->nr_slots; i++) {
		const struct memplug_slot *s = &vi->slots[i];

		printf("    slot %u gpa 0x%" PRIx64 " size %s", s->id, s->gpa,
		       memplugctl__size(s->size, b1, sizeof(b1)));
		if (admin)
			printf(" hva 0x%" PRIx64, s->hva);
		printf("%s%s\n",
		       s->flags & MEMPLUG_SLOT_F_READONLY ? " readonly" : "",
		       s->flags & MEMPLUG_SLOT_F_LOG_DIRTY ? " log_dirty" : "");
	}
	return 0;
}

static int memplugctl__vm_show(struct memplugctl *ctl)
{
	struct memplug_vm_info vi;
	const char *arg = memplugctl__arg(ctl);
	int err;

	if (ctl->json)
		ctl->out = json_object_new_array();
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
	memplugctl__flush_json(ctl);
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
	uint64_t ts = memplugctl__u64(tb, MEMPLUG_A_TIMESTAMP_NS);
	uint64_t req = memplugctl__u64(tb, MEMPLUG_A_REQUESTED_SIZE);
	uint64_t plug = memplugctl__u64(tb, MEMPLUG_A_PLUGGED_SIZE);
	uint32_t vm = memplugctl__u32(tb, MEMPLUG_A_VM_ID);

	if (ctl->json)
		printf("{\"event\":\"hotplug\",\"timestamp_ns\":%" PRIu64
		       ",\"vm\":%u,\"requested_size\":%" PRIu64
		       ",\"plugged_size\":%" PRIu64 "}\n", ts, vm, req, plug);
	else
		printf("[%" PRIu64 ".%09" PRIu64 "] vm %u hotplug requested %"
		       PRIu64 " MiB plugged %" PRIu64 " MiB\n", ts / 1000000000,
		       ts % 1000000000, vm, req >> 20, plug >> 20);
	fflush(stdout);
	return 0;
}

/* One multicast message; timestamps are the kernel's ktime_get_ns(). */
static int memplugctl__event(struct nlmsghdr *nlh, void *arg)
{
	struct genlmsghdr *gnlh = nlmsg_data(nlh);
	struct nlattr *tb[MEMPLUG_A_MAX + 1];
	struct memplugctl *ctl = arg;
	uint32_t ev, reason;
	uint64_t ts;

	if ((gnlh->cmd != MEMPLUG_CMD_VM_EVENT &&
	     gnlh->cmd != MEMPLUG_CMD_HOTPLUG_EVENT) ||
	    genlmsg_parse(nlh, 0, tb, MEMPLUG_A_MAX, NULL) < 0)
		return 0;
	if (gnlh->cmd == MEMPLUG_CMD_HOTPLUG_EVENT)
		return memplugctl__hotplug_event(ctl, tb);
	ev = memplugctl__u32(tb, MEMPLUG_A_EVENT);
	reason = memplugctl__u32(tb, MEMPLUG_A_DETACH_REASON);
	ts = memplugctl__u64(tb, MEMPLUG_A_TIMESTAMP_NS);
	if (ctl->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "event", json_object_new_string(
			memplugctl__name(memplugctl_events,
					 sizeof(memplugctl_events) /
					 sizeof(memplugctl_events[0]), ev)));
		json_object_object_add(o, "timestamp_ns",
				       json_object_new_uint64(ts));
		json_object_object_add(o, "vm",
			json_object_new_int64(memplugctl__u32(tb, MEMPLUG_A_VM_ID)));
		json_object_object_add(o, "owner_portid",
			json_object_new_int64(memplugctl__u32(tb,
						MEMPLUG_A_OWNER_PORTID)));
		json_object_object_add(o, "nr_slots",
			json_object_new_int64(memplugctl__u32(tb,
						MEMPLUG_A_NR_SLOTS)));
		if (ev == MEMPLUG_EVENT_DETACHED)
			json_object_object_add(o, "reason",
				json_object_new_string(memplugctl__name(
					memplugctl_reasons, 4, reason)));
		if (ev == MEMPLUG_EVENT_SLOTS_APPLIED) {
			json_object_object_add(o, "total_ns",
				json_object_new_uint64(memplugctl__u64(tb,
						MEMPLUG_A_TIME_TOTAL_NS)));
			json_object_object_add(o, "apply_ns",
				json_object_new_uint64(memplugctl__u64(tb,
						MEMPLUG_A_TIME_APPLY_NS)));
		}
		printf("%s\n", json_object_to_json_string_ext(o,
			ctl->pretty ? JSON_C_TO_STRING_PRETTY :
				      JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
	} else {
		printf("[%" PRIu64 ".%09" PRIu64 "] vm %u %s", ts / 1000000000,
		       ts % 1000000000, memplugctl__u32(tb, MEMPLUG_A_VM_ID),
		       memplugctl__name(memplugctl_events,
					sizeof(memplugctl_events) /
					sizeof(memplugctl_events[0]), ev));
		if (ev == MEMPLUG_EVENT_ATTACHED)
			printf(" owner %u",
			       memplugctl__u32(tb, MEMPLUG_A_OWNER_PORTID));
		if (ev == MEMPLUG_EVENT_DETACHED)
			printf(" reason %s slots-removed %u",
			       memplugctl__name(memplugctl_reasons, 4, reason),
			       memplugctl__u32(tb, MEMPLUG_A_NR_SLOTS));
		if (ev == MEMPLUG_EVENT_SLOTS_APPLIED)
			printf(" slots %u total %" PRIu64 " ns apply %" PRIu64
			       " ns", memplugctl__u32(tb, MEMPLUG_A_NR_SLOTS),
			       memplugctl__u64(tb, MEMPLUG_A_TIME_TOTAL_NS),
			       memplugctl__u64(tb, MEMPLUG_A_TIME_APPLY_NS));
		printf("\n");
	}
	fflush(stdout);
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
			ctl.json = 1;
			break;
		case 'p':
			ctl.pretty = 1;
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
	if (ctl.nl_ok)
		genl_conn__close(&ctl.nl);
	return err ? 1 : 0;
}
