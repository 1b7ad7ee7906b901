/* SPDX-License-Identifier: GPL-2.0 */
/*
 * caps: capabilities for the selftests that check what an unprivileged
 * netlink client may do (memplug.ko's GENL_ADMIN_PERM commands).
 */
#ifndef SELFTESTS_CAPS_H
#define SELFTESTS_CAPS_H

/*
 * Drop CAP_NET_ADMIN from this process's effective, permitted and
 * inheritable sets (the others stay).  Returns 0 or -errno.
 */
int drop_net_admin(void);

#endif
