// SPDX-License-Identifier: GPL-2.0
/*
 * memplug-bench boot: time from now until the guest's init prints
 * MEMPLUG_GUEST_READY on a console file, for any VMM (memplug-vmm
 * --console-file, QEMU -serial file:).  Start the VMM, then this at once:
 * the few milliseconds between the two are the same for every VMM and
 * small against seconds of boot.  The file is read incrementally every
 * 2 ms, so watching costs the guest (on 2 host CPUs) next to nothing,
 * unlike a shell loop of grep.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "memplug/guest.h"

#define BOOT_POLL_NS	2000000ULL

/* Is @pid gone (or a zombie: exited, not yet reaped by its shell)? */
static bool boot__gone(int pid)
{
	char path[64], buf[256], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return true;
	buf[n] = 0;
	p = strrchr(buf, ')');	/* the name may hold spaces */
	return p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
}

int bench__boot(const char *console, int pid, int timeout_s, double *ms)
{
	uint64_t t0 = mp_now_ns(), now = t0, next = t0;
	size_t keep = sizeof(MEMPLUG_GUEST_READY) - 1, have = 0;
	char buf[4096 + sizeof(MEMPLUG_GUEST_READY)];
	unsigned int tick = 0;
	int fd = -1;
	ssize_t n;

	while (now - t0 < (uint64_t)timeout_s * 1000000000ULL) {
		if (fd < 0)
			fd = open(console, O_RDONLY | O_CLOEXEC);
		while (fd >= 0 &&
		       (n = read(fd, buf + have, sizeof(buf) - 1 - have)) > 0) {
			have += n;
			buf[have] = 0;
			if (memmem(buf, have, MEMPLUG_GUEST_READY, keep)) {
				*ms = (mp_now_ns() - t0) / 1e6;
				close(fd);
				return 0;
			}
			/* keep a tail: the marker may straddle two reads */
			if (have > keep) {
				memmove(buf, buf + have - keep, keep);
				have = keep;
			}
		}
		if (pid > 0 && !(++tick % 50) && boot__gone(pid)) {
			fprintf(stderr, "memplug-bench boot: process %d exited before the guest's init\n",
				pid);
			if (fd >= 0)
				close(fd);
			return -ECHILD;
		}
		next += BOOT_POLL_NS;
		bench__sleep_until(next);
		now = mp_now_ns();
	}
	if (fd >= 0)
		close(fd);
	fprintf(stderr, "memplug-bench boot: no \"%s\" on %s within %d s\n",
		MEMPLUG_GUEST_READY, console, timeout_s);
	return -ETIMEDOUT;
}
