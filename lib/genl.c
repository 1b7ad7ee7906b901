// SPDX-License-Identifier: GPL-2.0
/*
 * genl_conn: generic netlink requests with extack capture (see
 * include/memplug/genl.h).  libnl does the framing; the error callback
 * reads the extack TLVs itself because libnl 3.7 only logs them.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/socket.h>

#include "memplug/genl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

struct genl_req {
	struct genl_conn *c;
	genl_conn_cb cb;
	void *arg;
	uint32_t seq;			/* of the request */
	int reply_ends;			/* no ACK asked: the reply is the end */
	int done;
	int err;
};

int genl_conn__open(struct genl_conn *c, const char *family, int version)
{
	int one = 1, err;

	memset(c, 0, sizeof(*c));
	c->bad_attr_off = -1;
	c->version = version;
	c->sk = nl_socket_alloc();
	if (!c->sk)
		return -ENOMEM;
	err = genl_connect(c->sk);
	if (err < 0) {
		err = -EIO;
		goto err;
	}
	/* Ask for extack messages, and for them not to echo our request. */
	setsockopt(nl_socket_get_fd(c->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));
	setsockopt(nl_socket_get_fd(c->sk), SOL_NETLINK, NETLINK_CAP_ACK,
		   &one, sizeof(one));
	snprintf(c->name, sizeof(c->name), "%s", family);
	c->family = genl_ctrl_resolve(c->sk, family);
	if (c->family < 0) {
		err = -ENOENT;
		goto err;
	}
	c->portid = nl_socket_get_local_port(c->sk);
	return 0;
err:
	nl_socket_free(c->sk);
	c->sk = NULL;
	return err;
}

void genl_conn__close(struct genl_conn *c)
{
	if (c->sk)
		nl_socket_free(c->sk);
	c->sk = NULL;
}

int genl_conn__subscribe(struct genl_conn *c, const char *group)
{
	int grp = genl_ctrl_resolve_grp(c->sk, c->name, group);

	if (grp < 0)
		return -ENOENT;
	return nl_socket_add_membership(c->sk, grp) ? -EINVAL : 0;
}

struct nl_msg *genl_conn__msg(struct genl_conn *c, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, c->family, 0,
			 flags | NLM_F_ACK, cmd, c->version)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static int genl_req__valid(struct nl_msg *msg, void *arg)
{
	struct genl_req *r = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	int err;

	if (r->c->unsolicited && nlh->nlmsg_seq != r->seq) {
		r->c->unsolicited(nlh, r->c->unsolicited_arg);
		return NL_OK;
	}
	if (r->reply_ends)
		r->done = 1;
	if (!r->cb)
		return r->done ? NL_STOP : NL_OK;
	err = r->cb(nlh, r->arg);
	if (err) {
		r->err = err;
		return NL_STOP;
	}
	return NL_OK;
}

/*
 * With an unsolicited handler, sequence numbers are checked in _valid.
 * Without, anything but the answer to this request (a late answer to an
 * earlier one that timed out) is skipped.  libnl's own check cannot do
 * this: it advances its expected number only on an ACK or DONE, which a
 * request without NLM_F_ACK never gets.
 */
static int genl_req__seq(struct nl_msg *msg, void *arg)
{
	struct genl_req *r = arg;

	if (r->c->unsolicited || nlmsg_hdr(msg)->nlmsg_seq == r->seq)
		return NL_OK;
	return NL_SKIP;
}

static int genl_req__finish(struct nl_msg *msg, void *arg)
{
	struct genl_req *r = arg;

	r->done = 1;
	return NL_STOP;
}

/* Reads NLMSGERR_ATTR_MSG and _OFFS from an error or ACK message. */
static void genl_conn__extack(struct genl_conn *c, struct nlmsghdr *nlh,
			      struct nlmsgerr *e)
{
	size_t hlen = sizeof(*e);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	/* Without NLM_F_CAPPED the whole request is echoed back. */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		hlen += e->msg.nlmsg_len - sizeof(e->msg);
	if (nlmsg_datalen(nlh) < (int)hlen)
		return;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX,
		      (struct nlattr *)((char *)e + NLMSG_ALIGN(hlen)),
		      nlmsg_datalen(nlh) - NLMSG_ALIGN(hlen), NULL) < 0)
		return;
	if (tb[NLMSGERR_ATTR_MSG])
		snprintf(c->extack, sizeof(c->extack), "%s",
			 (char *)nla_data(tb[NLMSGERR_ATTR_MSG]));
	if (tb[NLMSGERR_ATTR_OFFS])
		c->bad_attr_off = nla_get_u32(tb[NLMSGERR_ATTR_OFFS]);
}

static int genl_req__error(struct sockaddr_nl *nla, struct nlmsgerr *e,
			   void *arg)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct genl_req *r = arg;

	genl_conn__extack(r->c, nlh, e);
	r->err = e->error;
	r->done = 1;
	return NL_STOP;
}

int genl_conn__request(struct genl_conn *c, struct nl_msg *msg,
		       genl_conn_cb cb, void *arg)
{
	struct genl_req r = { .c = c, .cb = cb, .arg = arg };
	struct nl_cb *nlcb;
	int err;

	c->extack[0] = '\0';
	c->bad_attr_off = -1;
	/*
	 * A command that always replies needs no ACK after the reply (errors
	 * come back either way).  Careful: libnl adds NLM_F_ACK when sending
	 * unless auto-ACK is off on the socket (nl_socket_disable_auto_ack),
	 * and that ACK would end the request before its reply.
	 */
	r.reply_ends = !(nlmsg_hdr(msg)->nlmsg_flags & (NLM_F_ACK | NLM_F_DUMP));
	nlcb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!nlcb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	err = nl_send_auto(c->sk, msg);
	r.seq = nlmsg_hdr(msg)->nlmsg_seq;
	nlmsg_free(msg);
	if (err < 0) {
		nl_cb_put(nlcb);
		return -EIO;
	}
	nl_cb_err(nlcb, NL_CB_CUSTOM, genl_req__error, &r);
	nl_cb_set(nlcb, NL_CB_VALID, NL_CB_CUSTOM, genl_req__valid, &r);
	nl_cb_set(nlcb, NL_CB_FINISH, NL_CB_CUSTOM, genl_req__finish, &r);
	nl_cb_set(nlcb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, genl_req__seq, &r);
	nl_cb_set(nlcb, NL_CB_ACK, NL_CB_CUSTOM, genl_req__finish, &r);
	while (!r.done && !r.err) {
		err = nl_recvmsgs_report(c->sk, nlcb);
		if (err == 0 && !r.done && !r.err) {
			/* nothing within the socket's SO_RCVTIMEO, if set */
			snprintf(c->extack, sizeof(c->extack),
				 "netlink: no answer from the kernel");
			r.err = -ETIMEDOUT;
			break;
		}
		if (err < 0 && !r.err) {
			/* libnl's own failure: say which, for the logs */
			snprintf(c->extack, sizeof(c->extack), "netlink: %s",
				 nl_geterror(err));
			r.err = -EIO;
			break;
		}
	}
	nl_cb_put(nlcb);
	return r.err;
}

static int genl_conn__any_seq(struct nl_msg *msg, void *arg)
{
	return NL_OK;
}

int genl_conn__listen(struct genl_conn *c, genl_conn_cb cb, void *arg)
{
	struct genl_req r = { .c = c, .cb = cb, .arg = arg };
	struct nl_cb *nlcb = nl_cb_alloc(NL_CB_DEFAULT);
	int err;

	if (!nlcb)
		return -ENOMEM;
	/* Multicast messages carry no sequence number of ours. */
	nl_cb_set(nlcb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, genl_conn__any_seq, NULL);
	nl_cb_set(nlcb, NL_CB_VALID, NL_CB_CUSTOM, genl_req__valid, &r);
	while (!r.err) {
		err = nl_recvmsgs(c->sk, nlcb);
		if (err < 0 && err != -NLE_INTR && !r.err) {
			/* ENOBUFS: events were lost; say so, go on. */
			if (err == -NLE_NOMEM) {
				fprintf(stderr, "Warning: events lost.\n");
				continue;
			}
			r.err = -EIO;
		}
	}
	nl_cb_put(nlcb);
	return r.err;
}

void genl_conn__perror(const struct genl_conn *c, int err)
{
	if (c->extack[0])
		fprintf(stderr, "Error: %s.\n", c->extack);
	else
		fprintf(stderr, "Error: %s.\n", strerror(-err));
}
