// SPDX-License-Identifier: GPL-2.0
/*
 * memplugctl vm show [VM] and vm start VM: the VMs memplug.ko has attached
 * (VM_GET and SLOT_GET), or without the module the ones memplugd knows,
 * printed the same way.
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

/* What memplugd's list has that the module's has not. */
struct vm_local {
	const char *name;
	const char *mode;
	/*
	 * memplugd counts only the slots it attached through memplug.ko; a
	 * VMM in local mode holds its own, which memplugd does not count.
	 */
	bool nr_slots;
};

/*
 * One VM, from the module or (@local) from memplugd, with the same keys
 * where both know the value.  memplugd has no attach time, keep_slots or
 * slot list, and a slot count only in module mode.  Where the text and
 * the JSON order differ (the last slot id, the slot count), a value is
 * printed twice: text only, then JSON only.
 */
static void vm__print(struct memplugctl *ctl, const struct memplug_vm_info *vi,
		      const struct vm_local *local)
{
	const struct memplug_range *r = &vi->range;
	/* VM_GET gives an HVA range to CAP_NET_ADMIN only. */
	int admin = r->hva_size != 0;
	uint32_t i;

	print_open_object(ctl, NULL);
	print_uint(ctl, "id", "vm %u:", vi->id);
	/* Owner and HVAs: the module tells only CAP_NET_ADMIN. */
	if (admin)
		print_uint(ctl, "owner_portid", " owner %u", vi->owner_portid);
	if (local && local->name[0])
		print_string(ctl, "name", " name %s", local->name);
	if (local)
		print_string(ctl, "mode", " mode %s", local->mode);
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
	if (!local) {
		print_time_ns(ctl, "attached_ns", "  attached at %s s, ",
			      vi->attached_ns);
		print_text(ctl, "%u slots\n", vi->nr_slots);
		print_bool(ctl, "keep_slots", NULL,
			   r->flags & MEMPLUG_ATTACH_F_KEEP_SLOTS);
	} else if (local->nr_slots) {
		print_text(ctl, "  %u slots\n", vi->nr_slots);
	}
	print_size(ctl, "requested_size", "  hotplug requested %s",
		   vi->requested_size);
	print_size(ctl, "plugged_size", " plugged %s\n", vi->plugged_size);
	if (!local || local->nr_slots)
		print_uint(ctl, "nr_slots", NULL, vi->nr_slots);
	if (!local) {
		print_open_array(ctl, "slots");
		for (i = 0; i < vi->nr_slots; i++)
			vm__slot_print(ctl, &vi->slots[i], admin);
		print_close_array(ctl);
	}
	print_close_object(ctl);
}

static int vm__print_nl(struct memplug_vm_info *vi, void *arg)
{
	vm__print(arg, vi, NULL);
	return 0;
}

static int vm__show(struct memplugctl *ctl)
{
	struct memplug_vm_info vi;
	const char *arg = memplugctl__arg(ctl);
	int err;

	print_open_array(ctl, NULL);
	if (!arg) {
		err = memplug_nl__vm_dump(&ctl->nl, vm__print_nl, ctl);
	} else {
		char *end;
		unsigned long id = strtoul(arg, &end, 0);

		if (*end || !*arg || id > UINT32_MAX) {
			fprintf(stderr, "Error: \"%s\" is not a VM id.\n", arg);
			return -EINVAL;
		}
		err = memplug_nl__vm_get(&ctl->nl, id, &vi);
		if (!err)
			vm__print(ctl, &vi, NULL);
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

static uint64_t vm__json_u64(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ?
	       json_object_get_uint64(v) : 0;
}

static const char *vm__json_str(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ?
	       json_object_get_string(v) : "";
}

/* memplugd's VM object (daemon/hotplug.c vm_get) as the module's. */
static void vm__print_local(struct memplugctl *ctl, json_object *o)
{
	struct memplug_vm_info vi = {
		.id = vm__json_u64(o, "id"),
		.range = {
			.slot_base = vm__json_u64(o, "slot_base"),
			.slot_count = vm__json_u64(o, "slot_count"),
			.gpa_base = vm__json_u64(o, "gpa_base"),
			.gpa_size = vm__json_u64(o, "gpa_size"),
		},
		.requested_size = vm__json_u64(o, "requested_size_mib") << 20,
		.plugged_size = vm__json_u64(o, "plugged_size_mib") << 20,
		.nr_slots = vm__json_u64(o, "slots_attached"),
	};
	struct vm_local local = {
		.name = vm__json_str(o, "name"),
		.mode = vm__json_str(o, "mode"),
	};

	local.nr_slots = !strcmp(local.mode, "module");

	vm__print(ctl, &vi, &local);
}

/*
 * vm show without the module: memplugd's own list of VMs, printed with
 * the keys netlink mode has.  Root and the memplug group may read it.
 */
static int vm__show_local(struct memplugctl *ctl)
{
	char out[MEMPLUG_HOTPLUG_BODY_MAX];
	json_object *vms;
	uint32_t vm = 0;
	size_t i;
	int err;

	memplugctl__match(ctl, "show");
	if (memplugctl__arg(ctl) && memplugctl__vm_id(ctl, &vm))
		return -EINVAL;
	err = memplugctl__request(ctl, MEMPLUG_CMD_VM_GET, vm, NULL, out,
				  sizeof(out));
	if (err)
		return err;
	vms = memplugctl__parse(out, json_type_array);
	if (!vms)
		return -EIO;
	print_open_array(ctl, NULL);
	for (i = 0; i < json_object_array_length(vms); i++)
		vm__print_local(ctl, json_object_array_get_idx(vms, i));
	print_close_array(ctl);
	json_object_put(vms);
	return 0;
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
