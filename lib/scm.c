// SPDX-License-Identifier: GPL-2.0
/*
 * scm: datagrams with file descriptors (include/memplug/scm.h).
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "memplug/scm.h"

union scm_buf {
	char buf[CMSG_SPACE(SCM_MAX_FDS * sizeof(int))];
	struct cmsghdr align;
};

int scm__send(int fd, const void *buf, size_t len, const int *fds, int nfds)
{
	union scm_buf u;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf,
		.msg_controllen = CMSG_SPACE(nfds * sizeof(int)),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	ssize_t n;

	if (nfds < 1 || nfds > SCM_MAX_FDS)
		return -EINVAL;
	memset(&u, 0, sizeof(u));
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
	n = sendmsg(fd, &mh, MSG_NOSIGNAL);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EMSGSIZE;
}

ssize_t scm__recv(int fd, void *buf, size_t len, int *fds, int *nfds,
		  int flags)
{
	union scm_buf u;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm;
	ssize_t n;

	*nfds = 0;
	n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC | flags);
	if (n < 0)
		return -errno;
	/* The buffer holds SCM_MAX_FDS: the kernel drops any more. */
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
			int k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			if (*nfds + k > SCM_MAX_FDS)
				k = SCM_MAX_FDS - *nfds;
			memcpy(fds + *nfds, CMSG_DATA(cm), k * sizeof(int));
			*nfds += k;
		}
	}
	return n;
}
