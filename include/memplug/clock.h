/* SPDX-License-Identifier: GPL-2.0 */
/*
 * clock: the one clock userspace times with.  CLOCK_MONOTONIC is the
 * clock of memplug.ko's event timestamps (ktime_get_ns()), so that a time
 * from the module, memplugd, the VMM and the tools can be subtracted from
 * another.
 */
#ifndef MEMPLUG_CLOCK_H
#define MEMPLUG_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t mp_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

#endif
