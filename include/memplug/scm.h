/* SPDX-License-Identifier: GPL-2.0 */
/*
 * scm: one datagram with file descriptors (SCM_RIGHTS) on a unix socket,
 * as memplug-vmm registers with memplugd (include/memplug/vmm_proto.h).
 */
#ifndef MEMPLUG_SCM_H
#define MEMPLUG_SCM_H

#include <stddef.h>
#include <sys/types.h>

#define SCM_MAX_FDS	2

/* Sends @len bytes and @nfds (<= SCM_MAX_FDS) fds; 0 or -errno. */
int scm__send(int fd, const void *buf, size_t len, const int *fds, int nfds);

/*
 * Receives one datagram (recvmsg @flags) and up to SCM_MAX_FDS fds, made
 * close-on-exec; returns its length or -errno.  The caller owns the fds.
 */
ssize_t scm__recv(int fd, void *buf, size_t len, int *fds, int *nfds,
		  int flags);

#endif
