/* SPDX-License-Identifier: GPL-2.0 */
/*
 * env: a test's knobs from the environment (seeds, durations), so that a
 * run can be replayed or stretched without a rebuild.
 */
#ifndef SELFTESTS_ENV_H
#define SELFTESTS_ENV_H

#include <stdint.h>
#include <stdlib.h>

/* $name as a number (0x.. or decimal), @def when unset or empty */
static inline uint64_t env_u64(const char *name, uint64_t def)
{
	const char *v = getenv(name);

	return v && *v ? strtoull(v, NULL, 0) : def;
}

#endif
