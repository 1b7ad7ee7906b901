/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hotplug_config: the /hotplug/memory JSON schema (Documentation/json.md),
 * in one place for memplug-vmm and memplugd.
 *
 * Bodies are flat JSON objects of non-negative integers.  The parser is a
 * small strict one written for exactly that shape, because json-c silently
 * accepts what serde (squib) rejects: negatives, fractions, duplicate
 * keys, numbers beyond u64, trailing garbage.
 *
 * Every function returns 0 or -EINVAL and, on error, writes a one-line
 * message (squib's texts for range errors) into err.
 */
#ifndef MEMPLUG_HOTPLUG_CONFIG_H
#define MEMPLUG_HOTPLUG_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define HOTPLUG_MAX_MIB			1048576ULL
#define HOTPLUG_DEFAULT_BLOCK_MIB	2ULL
#define HOTPLUG_DEFAULT_SLOT_MIB	128ULL
#define HOTPLUG_ERR_LEN			160

/*
 * A PATCH the device cannot take yet (EAGAIN): the same words from memplugd
 * and from the VMM's control socket, which callers retry on.
 */
#define HOTPLUG_ERR_NOT_STARTED	\
	"Invalid hotplug-memory: the device is not active (the guest has not started)"
#define HOTPLUG_ERR_NO_DRIVER	\
	"Invalid hotplug-memory: the guest's virtio-mem driver is not ready"

/* PUT /hotplug/memory */
struct hotplug_config {
	uint64_t total_size_mib;
	uint64_t block_size_mib;
	uint64_t slot_size_mib;
};

/* PATCH /hotplug/memory */
struct hotplug_patch {
	uint64_t requested_size_mib;
};

/* GET /hotplug/memory */
struct hotplug_state {
	struct hotplug_config config;
	uint64_t plugged_size_mib;
	uint64_t requested_size_mib;
};

/* Parse and validate a PUT body (defaults filled in). */
int hotplug_config__parse_put(const char *json, size_t len,
			      struct hotplug_config *cfg, char *err,
			      size_t errlen);

/*
 * Check a configuration, wherever it comes from: a PUT body, a VMM's
 * REGISTER or memplugd's CONFIG (totals, block and slot sizes within
 * range, a power-of-two block, slots a multiple of blocks, the total a
 * multiple of slots).  Everything that divides by or loops over these
 * sizes relies on it.
 */
int hotplug_config__check(const struct hotplug_config *cfg, char *err,
			  size_t errlen);

/* Parse a PATCH body and check its own range (0..=1048576). */
int hotplug_config__parse_patch(const char *json, size_t len,
				struct hotplug_patch *patch, char *err,
				size_t errlen);

/* Check a parsed PATCH against the device's configuration. */
int hotplug_config__check_patch(const struct hotplug_config *cfg,
				const struct hotplug_patch *patch, char *err,
				size_t errlen);

/* Format the GET body (no newline); returns snprintf's result. */
int hotplug_config__format_get(const struct hotplug_state *st, char *buf,
			       size_t len);

#endif
