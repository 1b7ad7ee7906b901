// SPDX-License-Identifier: GPL-2.0
/*
 * memplug_nl: memplug's generic netlink requests (include/memplug/memplug_nl.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "memplug/memplug_nl.h"

int memplug_nl__open(struct genl_conn *c)
{
	return genl_conn__open(c, MEMPLUG_GENL_NAME, MEMPLUG_GENL_VERSION);
}

static int memplug_nl__attach_reply(struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[MEMPLUG_A_MAX + 1];

	if (genlmsg_parse(nlh, 0, tb, MEMPLUG_A_MAX, NULL) < 0 ||
	    !tb[MEMPLUG_A_VM_ID])
		return -EPROTO;
	*(uint32_t *)arg = nla_get_u32(tb[MEMPLUG_A_VM_ID]);
	return 0;
}

int memplug_nl__attach(struct genl_conn *c, int vm_fd,
		       const struct memplug_range *r, uint32_t *vm_id)
{
	struct nl_msg *msg = genl_conn__msg(c, MEMPLUG_CMD_VM_ATTACH, 0);

	if (!msg)
		return -ENOMEM;
	if (nla_put_u32(msg, MEMPLUG_A_VM_FD, vm_fd) ||
	    nla_put_u32(msg, MEMPLUG_A_SLOT_BASE, r->slot_base) ||
	    nla_put_u32(msg, MEMPLUG_A_SLOT_COUNT, r->slot_count) ||
	    nla_put_u64(msg, MEMPLUG_A_GPA_BASE, r->gpa_base) ||
	    nla_put_u64(msg, MEMPLUG_A_GPA_SIZE, r->gpa_size) ||
	    nla_put_u64(msg, MEMPLUG_A_HVA_BASE, r->hva_base) ||
	    nla_put_u64(msg, MEMPLUG_A_HVA_SIZE, r->hva_size) ||
	    (r->flags && nla_put_u32(msg, MEMPLUG_A_ATTACH_FLAGS, r->flags))) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	*vm_id = 0;
	return genl_conn__request(c, msg, memplug_nl__attach_reply, vm_id);
}

int memplug_nl__detach(struct genl_conn *c, uint32_t vm_id)
{
	struct nl_msg *msg = genl_conn__msg(c, MEMPLUG_CMD_VM_DETACH, 0);

	if (!msg)
		return -ENOMEM;
	if (nla_put_u32(msg, MEMPLUG_A_VM_ID, vm_id)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return genl_conn__request(c, msg, NULL, NULL);
}

int memplug_nl__put_slot(struct nl_msg *msg, const struct memplug_slot *s)
{
	struct nlattr *nest = nla_nest_start(msg, MEMPLUG_A_SLOT);

	if (!nest ||
	    nla_put_u32(msg, MEMPLUG_SLOT_A_ID, s->id) ||
	    nla_put_u64(msg, MEMPLUG_SLOT_A_SIZE, s->size))
		return -EMSGSIZE;
	if (s->size &&
	    (nla_put_u64(msg, MEMPLUG_SLOT_A_GPA, s->gpa) ||
	     nla_put_u64(msg, MEMPLUG_SLOT_A_HVA, s->hva) ||
	     (s->flags && nla_put_u32(msg, MEMPLUG_SLOT_A_FLAGS, s->flags))))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

static uint64_t memplug_nl__u64(struct nlattr **tb, int type)
{
	return tb[type] ? nla_get_u64(tb[type]) : 0;
}

static int memplug_nl__apply_reply(struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[MEMPLUG_A_MAX + 1];
	struct memplug_times *t = arg;

	if (!t)
		return 0;
	if (genlmsg_parse(nlh, 0, tb, MEMPLUG_A_MAX, NULL) < 0)
		return -EPROTO;
	t->nr = tb[MEMPLUG_A_NR_SLOTS] ? nla_get_u32(tb[MEMPLUG_A_NR_SLOTS]) : 0;
	t->total = memplug_nl__u64(tb, MEMPLUG_A_TIME_TOTAL_NS);
	t->parse = memplug_nl__u64(tb, MEMPLUG_A_TIME_PARSE_NS);
	t->lock = memplug_nl__u64(tb, MEMPLUG_A_TIME_LOCK_NS);
	t->check = memplug_nl__u64(tb, MEMPLUG_A_TIME_CHECK_NS);
	t->apply = memplug_nl__u64(tb, MEMPLUG_A_TIME_APPLY_NS);
	return 0;
}

/* One attribute header + payload at @p; returns the bytes written. */
static size_t memplug_nl__attr(char *p, uint16_t type, const void *v,
			       uint16_t len)
{
	struct nlattr *a = (struct nlattr *)p;

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy(p + NLA_HDRLEN, v, len);
	memset(p + NLA_HDRLEN + len, 0, NLA_ALIGN(len) - len);
	return NLA_HDRLEN + NLA_ALIGN(len);
}

/*
 * The slot nests as memplug_nl__put_slot() writes them, packed straight
 * into the message: libnl's nla_put() per attribute costs more than the
 * kernel's own per-slot work in the nested test VM.  Returns the bytes.
 */
static size_t memplug_nl__pack_slot(char *p, const struct memplug_slot *s)
{
	struct nlattr *nest = (struct nlattr *)p;
	size_t off = NLA_HDRLEN;

	off += memplug_nl__attr(p + off, MEMPLUG_SLOT_A_ID, &s->id, 4);
	off += memplug_nl__attr(p + off, MEMPLUG_SLOT_A_SIZE, &s->size, 8);
	if (s->size) {
		off += memplug_nl__attr(p + off, MEMPLUG_SLOT_A_GPA, &s->gpa, 8);
		off += memplug_nl__attr(p + off, MEMPLUG_SLOT_A_HVA, &s->hva, 8);
		if (s->flags)
			off += memplug_nl__attr(p + off, MEMPLUG_SLOT_A_FLAGS,
						&s->flags, 4);
	}
	nest->nla_type = MEMPLUG_A_SLOT | NLA_F_NESTED;
	nest->nla_len = off;
	return off;
}

/* The most memplug_nl__pack_slot() writes. */
#define MEMPLUG_NL_SLOT_MAX	(NLA_HDRLEN + 2 * NLA_HDRLEN + 2 * 4 + \
				 3 * (NLA_HDRLEN + 8))

int memplug_nl__apply(struct genl_conn *c, uint32_t vm_id,
		      const struct memplug_slot *s, unsigned int n,
		      struct memplug_times *t)
{
	size_t room = (size_t)n * MEMPLUG_NL_SLOT_MAX, len = 0;
	struct nl_msg *msg;
	unsigned int i;
	char *p;
	int err;

	msg = nlmsg_alloc_size(256 + room);
	if (!msg)
		return -ENOMEM;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, c->family, 0, 0,
			 MEMPLUG_CMD_SLOTS_APPLY, c->version) ||
	    nla_put_u32(msg, MEMPLUG_A_VM_ID, vm_id))
		goto err;
	p = nlmsg_reserve(msg, room, NLMSG_ALIGNTO);
	if (!p)
		goto err;
	for (i = 0; i < n; i++)
		len += memplug_nl__pack_slot(p + len, &s[i]);
	/* Give back what the nests did not use. */
	nlmsg_hdr(msg)->nlmsg_len -= room - len;
	/*
	 * No NLM_F_ACK: an applied batch always gets its reply, a refused
	 * one its error, and an ACK after the reply would cost the kernel
	 * another message and us another recvmsg() per batch.
	 */
	nl_socket_disable_auto_ack(c->sk);
	err = genl_conn__request(c, msg, memplug_nl__apply_reply, t);
	nl_socket_enable_auto_ack(c->sk);
	return err;
err:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static int memplug_nl__parse_slot(struct nlattr *nest, struct memplug_slot *s)
{
	struct nlattr *tb[MEMPLUG_SLOT_A_MAX + 1];

	if (nla_parse_nested(tb, MEMPLUG_SLOT_A_MAX, nest, NULL) < 0 ||
	    !tb[MEMPLUG_SLOT_A_ID])
		return -EPROTO;
	memset(s, 0, sizeof(*s));
	s->id = nla_get_u32(tb[MEMPLUG_SLOT_A_ID]);
	s->gpa = memplug_nl__u64(tb, MEMPLUG_SLOT_A_GPA);
	s->size = memplug_nl__u64(tb, MEMPLUG_SLOT_A_SIZE);
	s->hva = memplug_nl__u64(tb, MEMPLUG_SLOT_A_HVA);
	if (tb[MEMPLUG_SLOT_A_FLAGS])
		s->flags = nla_get_u32(tb[MEMPLUG_SLOT_A_FLAGS]);
	return 0;
}

int memplug_nl__parse_vm(struct nlmsghdr *nlh, struct memplug_vm_info *vi)
{
	struct nlattr *tb[MEMPLUG_A_MAX + 1];

	memset(vi, 0, sizeof(*vi));
	if (genlmsg_parse(nlh, 0, tb, MEMPLUG_A_MAX, NULL) < 0 ||
	    !tb[MEMPLUG_A_VM_ID])
		return -EPROTO;
	vi->id = nla_get_u32(tb[MEMPLUG_A_VM_ID]);
	if (tb[MEMPLUG_A_OWNER_PORTID])
		vi->owner_portid = nla_get_u32(tb[MEMPLUG_A_OWNER_PORTID]);
	if (tb[MEMPLUG_A_SLOT_BASE])
		vi->range.slot_base = nla_get_u32(tb[MEMPLUG_A_SLOT_BASE]);
	if (tb[MEMPLUG_A_SLOT_COUNT])
		vi->range.slot_count = nla_get_u32(tb[MEMPLUG_A_SLOT_COUNT]);
	vi->range.gpa_base = memplug_nl__u64(tb, MEMPLUG_A_GPA_BASE);
	vi->range.gpa_size = memplug_nl__u64(tb, MEMPLUG_A_GPA_SIZE);
	vi->range.hva_base = memplug_nl__u64(tb, MEMPLUG_A_HVA_BASE);
	vi->range.hva_size = memplug_nl__u64(tb, MEMPLUG_A_HVA_SIZE);
	vi->attached_ns = memplug_nl__u64(tb, MEMPLUG_A_TIMESTAMP_NS);
	vi->requested_size = memplug_nl__u64(tb, MEMPLUG_A_REQUESTED_SIZE);
	vi->plugged_size = memplug_nl__u64(tb, MEMPLUG_A_PLUGGED_SIZE);
	if (tb[MEMPLUG_A_ATTACH_FLAGS])
		vi->range.flags = nla_get_u32(tb[MEMPLUG_A_ATTACH_FLAGS]);
	if (tb[MEMPLUG_A_NR_SLOTS])
		vi->held_slots = nla_get_u32(tb[MEMPLUG_A_NR_SLOTS]);
	vi->inconsistent = !!tb[MEMPLUG_A_INCONSISTENT];
	return 0;
}

void memplug_nl__vm_info_free(struct memplug_vm_info *vi)
{
	free(vi->slots);
	vi->slots = NULL;
}

struct memplug_nl_slots {
	int (*cb)(const struct memplug_slot *s, void *arg);
	void *arg;
};

static int memplug_nl__slot_one(struct nlmsghdr *nlh, void *arg)
{
	struct memplug_nl_slots *d = arg;
	struct nlattr *tb[MEMPLUG_A_MAX + 1];
	struct memplug_slot s;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		return -EAGAIN;
	if (genlmsg_parse(nlh, 0, tb, MEMPLUG_A_MAX, NULL) < 0 ||
	    !tb[MEMPLUG_A_SLOT] || memplug_nl__parse_slot(tb[MEMPLUG_A_SLOT], &s))
		return -EPROTO;
	return d->cb(&s, d->arg);
}

int memplug_nl__slot_dump(struct genl_conn *c, uint32_t vm_id,
			  int (*cb)(const struct memplug_slot *s, void *arg),
			  void *arg)
{
	struct memplug_nl_slots d = { .cb = cb, .arg = arg };
	struct nl_msg *msg;

	msg = genl_conn__msg(c, MEMPLUG_CMD_SLOT_GET, NLM_F_DUMP);
	if (!msg)
		return -ENOMEM;
	if (nla_put_u32(msg, MEMPLUG_A_VM_ID, vm_id)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return genl_conn__request(c, msg, memplug_nl__slot_one, &d);
}

static int memplug_nl__slot_add(const struct memplug_slot *s, void *arg)
{
	struct memplug_vm_info *vi = arg;

	if (vi->nr_slots == vi->slots_cap) {
		unsigned int cap = vi->slots_cap ? 2 * vi->slots_cap : 64;
		struct memplug_slot *n = realloc(vi->slots, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		vi->slots = n;
		vi->slots_cap = cap;
	}
	vi->slots[vi->nr_slots++] = *s;
	return 0;
}

/* The VM's slots into @vi; again from the start if they changed meanwhile. */
static int memplug_nl__vm_slots(struct genl_conn *c, struct memplug_vm_info *vi)
{
	int tries, err = 0;

	for (tries = 0; tries < 5; tries++) {
		vi->nr_slots = 0;
		err = memplug_nl__slot_dump(c, vi->id, memplug_nl__slot_add, vi);
		if (err != -EAGAIN)
			break;
	}
	return err;
}

static int memplug_nl__get_reply(struct nlmsghdr *nlh, void *arg)
{
	return memplug_nl__parse_vm(nlh, arg);
}

int memplug_nl__vm_get(struct genl_conn *c, uint32_t vm_id,
		       struct memplug_vm_info *vi)
{
	struct nl_msg *msg = genl_conn__msg(c, MEMPLUG_CMD_VM_GET, 0);
	int err;

	memset(vi, 0, sizeof(*vi));
	if (!msg)
		return -ENOMEM;
	if (nla_put_u32(msg, MEMPLUG_A_VM_ID, vm_id)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	err = genl_conn__request(c, msg, memplug_nl__get_reply, vi);
	if (!err)
		err = memplug_nl__vm_slots(c, vi);
	return err;
}

struct memplug_nl_dump {
	struct memplug_vm_info *v;
	unsigned int n, cap;
};

static int memplug_nl__dump_one(struct nlmsghdr *nlh, void *arg)
{
	struct memplug_nl_dump *d = arg;

	if (d->n == d->cap) {
		unsigned int cap = d->cap ? 2 * d->cap : 16;
		struct memplug_vm_info *v = realloc(d->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		d->v = v;
		d->cap = cap;
	}
	if (memplug_nl__parse_vm(nlh, &d->v[d->n]))
		return -EPROTO;
	d->n++;
	return 0;
}

/*
 * The VMs first, then each one's slots: a dump cannot be nested in
 * another on one socket.  A VM detached in between is left out.
 */
int memplug_nl__vm_dump(struct genl_conn *c,
			int (*cb)(struct memplug_vm_info *vi, void *arg),
			void *arg)
{
	struct nl_msg *msg = genl_conn__msg(c, MEMPLUG_CMD_VM_GET, NLM_F_DUMP);
	struct memplug_nl_dump d = { 0 };
	unsigned int i;
	int err;

	if (!msg)
		return -ENOMEM;
	err = genl_conn__request(c, msg, memplug_nl__dump_one, &d);
	for (i = 0; i < d.n; i++) {
		int e = err ? 0 : memplug_nl__vm_slots(c, &d.v[i]);

		if (!err && !e)
			err = cb(&d.v[i], arg);
		else if (!err && e != -ENOENT)
			err = e;
		memplug_nl__vm_info_free(&d.v[i]);
	}
	free(d.v);
	return err;
}

struct memplug_nl_body {
	struct genl_conn *c;
	char *buf;
	size_t len;
};

/* The answer: the owner's body, or its errno and text (into c->extack). */
static int memplug_nl__relay_reply(struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[MEMPLUG_A_MAX + 1];
	struct memplug_nl_body *b = arg;
	uint32_t e;

	if (genlmsg_parse(nlh, 0, tb, MEMPLUG_A_MAX, NULL) < 0)
		return -EPROTO;
	e = tb[MEMPLUG_A_ERRNO] ? nla_get_u32(tb[MEMPLUG_A_ERRNO]) : 0;
	if (e) {
		if (tb[MEMPLUG_A_ERROR_TEXT])
			snprintf(b->c->extack, sizeof(b->c->extack), "%s",
				 (char *)nla_data(tb[MEMPLUG_A_ERROR_TEXT]));
		return e <= MEMPLUG_ERRNO_MAX ? -(int)e : -EPROTO;
	}
	if (tb[MEMPLUG_A_HOTPLUG_BODY] && b->len)
		snprintf(b->buf, b->len, "%s",
			 (char *)nla_data(tb[MEMPLUG_A_HOTPLUG_BODY]));
	return 0;
}

/*
 * Without NLM_F_ACK: the module answers a relayed request later, with a
 * message carrying our sequence number, and a rejection at once with an
 * error; either ends the request.  The module answers within its relay
 * timeout; should that answer be lost, the socket's timeout ends it.
 */
int memplug_nl__relay(struct genl_conn *c, uint8_t cmd, uint32_t vm_id,
		      const char *body, char *out, size_t outlen)
{
	struct memplug_nl_body b = { .c = c, .buf = out, .len = outlen };
	struct timeval tmo = { .tv_sec = 2 * MEMPLUG_RELAY_TIMEOUT_MS / 1000 };
	struct timeval old;
	socklen_t olen = sizeof(old);
	struct nl_msg *msg = nlmsg_alloc();
	int fd, err;

	if (!msg)
		return -ENOMEM;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, c->family, 0, 0, cmd,
			 c->version) ||
	    nla_put_u32(msg, MEMPLUG_A_VM_ID, vm_id) ||
	    (body && nla_put_string(msg, MEMPLUG_A_HOTPLUG_BODY, body))) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	if (outlen)
		out[0] = '\0';
	fd = nl_socket_get_fd(c->sk);
	if (getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &old, &olen))
		memset(&old, 0, sizeof(old));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo));
	/* libnl would add NLM_F_ACK, and the ACK would end the request. */
	nl_socket_disable_auto_ack(c->sk);
	err = genl_conn__request(c, msg, memplug_nl__relay_reply, &b);
	nl_socket_enable_auto_ack(c->sk);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &old, sizeof(old));
	return err;
}
