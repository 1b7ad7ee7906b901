// SPDX-License-Identifier: GPL-2.0
/*
 * vmm_proto: the checks every REGISTER passes before memplugd believes a
 * word of it (include/memplug/vmm_proto.h).  The configuration inside is
 * checked by the same function as a PUT body, so nothing memplugd later
 * divides by or loops over can come from a VMM unchecked.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "memplug/vmm_proto.h"

#define MIB(x)	((uint64_t)(x) << 20)

static int bad(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Names end up in logs and JSON: keep them to what needs no escaping. */
static bool name_ok(const char *name)
{
	size_t i, n = strnlen(name, MEMPLUG_VMM_NAME_LEN);

	if (n == 0 || n == MEMPLUG_VMM_NAME_LEN)
		return false;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

int vmm_proto__check_fit(const struct memplug_vmm_register *reg,
			 const struct hotplug_config *c, char *err, size_t len)
{
	if (MIB(c->total_size_mib) > reg->region_size) {
		snprintf(err, len, "Invalid total_size_mib: the VMM's hotplug region holds %llu MiB",
			 (unsigned long long)(reg->region_size >> 20));
		return -ENOSPC;
	}
	if (c->total_size_mib / c->slot_size_mib > reg->slot_count) {
		snprintf(err, len, "Invalid slot_size_mib: %llu slots needed, the VM has %u memslot ids",
			 (unsigned long long)(c->total_size_mib / c->slot_size_mib),
			 reg->slot_count);
		return -ENOSPC;
	}
	return 0;
}

int vmm_proto__check_register(const struct memplug_vmm_register *reg,
			      char *err, size_t len)
{
	const struct hotplug_config *c = &reg->config;

	if (reg->version != MEMPLUG_VMM_PROTO_VERSION)
		return bad(err, len, "protocol version %u, memplugd speaks %u",
			   reg->version, MEMPLUG_VMM_PROTO_VERSION);
	if (!name_ok(reg->name))
		return bad(err, len, "the name must be 1 to %d of [A-Za-z0-9._-]",
			   MEMPLUG_VMM_NAME_LEN - 1);
	if (!reg->region_size || reg->region_size % MIB(1) ||
	    reg->region_gpa % MIB(1))
		return bad(err, len, "the region must be whole MiB, MiB-aligned");
	if (reg->region_gpa + reg->region_size < reg->region_gpa ||
	    reg->region_hva + reg->region_size < reg->region_hva ||
	    reg->region_hva % 4096)
		return bad(err, len, "the region's addresses wrap or are unaligned");
	if (!reg->slot_count || reg->slot_base >= MEMPLUG_SLOTS_MAX ||
	    reg->slot_count > MEMPLUG_SLOTS_MAX - reg->slot_base)
		return bad(err, len, "slot ids must lie in 0..%d",
			   MEMPLUG_SLOTS_MAX - 1);
	if (!(reg->flags & MEMPLUG_VMM_F_CONFIGURED)) {
		if (reg->plugged_size_mib || reg->requested_size_mib)
			return bad(err, len, "sizes without a configuration");
		return 0;
	}
	if (hotplug_config__check(c, err, len))
		return -EINVAL;
	if (vmm_proto__check_fit(reg, c, err, len))
		return -EINVAL;
	if (reg->plugged_size_mib > c->total_size_mib ||
	    reg->requested_size_mib > c->total_size_mib ||
	    reg->plugged_size_mib % c->block_size_mib ||
	    reg->requested_size_mib % c->block_size_mib)
		return bad(err, len, "plugged and requested sizes must be blocks within the total");
	return 0;
}
