/* SPDX-License-Identifier: GPL-2.0 */
/*
 * genl_conn: a generic netlink connection to one family (libnl-genl-3),
 * shared by memplugctl, memplugd, memplug-bench and the selftests.
 *
 * A request returns 0 or -errno; on a kernel rejection the extack message
 * and the offset of the offending attribute are kept in the connection so
 * that callers print "Error: <msg>." the way iproute2 does.
 */
#ifndef MEMPLUG_GENL_H
#define MEMPLUG_GENL_H

#include <stdint.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

struct genl_conn {
	struct nl_sock *sk;
	char name[32];			/* family name */
	int family;			/* resolved family id */
	int version;
	uint32_t portid;		/* our netlink port */
	char extack[256];		/* last extack message, "" if none */
	int bad_attr_off;		/* offset in the request, or -1 */
	/*
	 * Messages that arrive during a request but are not its answer
	 * (requests the kernel sends on its own, as memplug.ko's relay
	 * does to memplugd) go here instead of failing the request.  Set
	 * it only with the socket's sequence check disabled.
	 */
	int (*unsolicited)(struct nlmsghdr *nlh, void *arg);
	void *unsolicited_arg;
};

/*
 * Connects and resolves @family.  Returns -ENOENT when the family is not
 * registered (for memplug: the module is not loaded).
 */
int genl_conn__open(struct genl_conn *c, const char *family, int version);
void genl_conn__close(struct genl_conn *c);

/* Joins multicast group @group of the family. */
int genl_conn__subscribe(struct genl_conn *c, const char *group);

/*
 * A new request message for @cmd with NLM_F_ACK added to @flags (e.g.
 * NLM_F_DUMP).  NULL on ENOMEM.  Build the header yourself without
 * NLM_F_ACK for a command that always replies: the reply then ends it.
 */
struct nl_msg *genl_conn__msg(struct genl_conn *c, uint8_t cmd, int flags);

/*
 * Called for every reply (or dump) message; the payload starts at
 * genlmsg_attrdata(gnlh, 0).  Return 0 to go on, -errno to stop.
 */
typedef int (*genl_conn_cb)(struct nlmsghdr *nlh, void *arg);

/*
 * Sends @msg (consumed), waits for the replies and the final ACK or
 * NLMSG_DONE (or only the reply, without NLM_F_ACK).  Returns 0, the kernel's -errno (c->extack filled in), or the
 * callback's -errno.
 */
int genl_conn__request(struct genl_conn *c, struct nl_msg *msg,
		       genl_conn_cb cb, void *arg);

/*
 * Receives multicast messages forever (until @cb returns non-zero, which is
 * returned, or the socket fails: -errno).
 */
int genl_conn__listen(struct genl_conn *c, genl_conn_cb cb, void *arg);

/* "Error: <extack>." or "Error: <strerror>." on stderr. */
void genl_conn__perror(const struct genl_conn *c, int err);

#endif
