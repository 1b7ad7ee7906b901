// SPDX-License-Identifier: GPL-2.0
/*
 * memplugctl vm show [VM] and vm start VM: the VMs memplug.ko has attached
 * (VM_GET and SLOT_GET), or without the module the ones memplugd knows.
 *
 *   memplugctl -j vm show 1
 *   memplugctl vm start 1
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memplugctl.h"

/* @admin: the module gave us HVAs (CAP_NET_ADMIN); else there are none. */
static void vm__slot_print(struct memplugctl *ctl, const struct memplug_slot *s,
			   int admin)
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
static int vm__print(struct memplug_vm_info *vi, void *arg)
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
		vm__slot_print(ctl, &vi->slots[i], admin);
	print_close_array(ctl);
	print_close_object(ctl);
	return 0;
}

static int vm__show(struct memplugctl *ctl)
{
	struct memplug_vm_info vi;
	const char *arg = memplugctl__arg(ctl);
	int err;

	print_open_array(ctl, NULL);
	if (!arg) {
		err = memplug_nl__vm_dump(&ctl->nl, vm__print, ctl);
	} else {
		char *end;
		unsigned long id = strtoul(arg, &end, 0);

		if (*end || !*arg || id > UINT32_MAX) {
			fprintf(stderr, "Error: \"%s\" is not a VM id.\n", arg);
			return -EINVAL;
		}
		err = memplug_nl__vm_get(&ctl->nl, id, &vi);
		if (!err)
			err = vm__print(&vi, ctl);
		memplug_nl__vm_info_free(&vi);
	}
	if (err) {
		genl_conn__perror(&ctl->nl, err);
		return err;
	}
	print_close_array(ctl);
	return 0;
}

static int vm__start(struct memplugctl *ctl)
{
	char out[MEMPLUG_HOTPLUG_BODY_MAX];
	uint32_t vm;
	int err = memplugctl__vm_id(ctl, &vm);

	if (!err)
		err = memplugctl__request(ctl, MEMPLUG_CMD_VM_START, vm, NULL,
					  out, sizeof(out));
	if (!err)
		print_uint(ctl, NULL, "vm %u: started\n", vm);
	return err;
}

/* vm show without the module: memplugd's own list of VMs. */
static int vm__show_local(struct memplugctl *ctl)
{
	char out[MEMPLUG_HOTPLUG_BODY_MAX];
	uint32_t vm = 0;
	int err;

	memplugctl__match(ctl, "show");
	if (memplugctl__arg(ctl) && memplugctl__vm_id(ctl, &vm))
		return -EINVAL;
	err = memplugctl__request(ctl, MEMPLUG_CMD_VM_GET, vm, NULL, out,
				  sizeof(out));
	if (!err)
		printf("%s\n", out);
	return err;
}

int memplugctl__vm(struct memplugctl *ctl)
{
	if (memplugctl__match(ctl, "start"))
		return vm__start(ctl);
	if (!ctl->nl_ok)
		return vm__show_local(ctl);
	if (memplugctl__match(ctl, "show") || !memplugctl__arg(ctl))
		return vm__show(ctl);
	fprintf(stderr, "Command \"%s\" not found\n", memplugctl__arg(ctl));
	return -ENOENT;
}
