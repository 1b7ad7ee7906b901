// SPDX-License-Identifier: GPL-2.0
/*
 * The memplug target: requests go the way memplugctl sends them
 * (HOTPLUG_PATCH / HOTPLUG_GET relayed by memplug.ko to memplugd), and the
 * round's progress comes from the "events" multicast group instead of
 * polling, each event with the module's ktime_get_ns() timestamp:
 *
 *   VM_EVENT SLOTS_APPLIED      the PATCH's attach batch (applied), or the
 *                               detach batches after an unplug (detached)
 *   HOTPLUG_EVENT requested     memplugd reports the VMM took the new
 *                               requested size, or its first step
 *                               towards it (raised)
 *   HOTPLUG_EVENT plugged       each plugged-size change (first, settled)
 *
 * Two sockets: the event socket is drained without blocking; requests
 * on the other never see a multicast message.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/genl/genl.h>
#include <netlink/socket.h>

#include "memplug/memplug_nl.h"
#include "bench.h"

/* After an unplug settles, how long to wait for memplugd's detach batch. */
#define NL_DETACH_LINGER_MS	1000

struct nl_target {
	uint32_t vm;
	struct genl_conn req, ev;
	struct bench_round *cur;	/* the round events go to, or NULL */
	bool lost;			/* the event socket overflowed */
};

static uint64_t nl__u64(struct nlattr **tb, int type)
{
	return tb[type] ? nla_get_u64(tb[type]) : 0;
}

static uint32_t nl__u32(struct nlattr **tb, int type)
{
	return tb[type] ? nla_get_u32(tb[type]) : 0;
}

static int nl__event(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct genlmsghdr *gnlh = nlmsg_data(nlh);
	struct nlattr *tb[MEMPLUG_A_MAX + 1];
	struct nl_target *n = arg;
	struct bench_round *r = n->cur;
	uint64_t ts, req, plugged;

	if (!r || genlmsg_parse(nlh, 0, tb, MEMPLUG_A_MAX, NULL) < 0 ||
	    nl__u32(tb, MEMPLUG_A_VM_ID) != n->vm)
		return NL_OK;
	ts = nl__u64(tb, MEMPLUG_A_TIMESTAMP_NS);
	if (ts < r->t0)
		return NL_OK;	/* from before this round's request */
	if (gnlh->cmd == MEMPLUG_CMD_VM_EVENT &&
	    nl__u32(tb, MEMPLUG_A_EVENT) == MEMPLUG_EVENT_SLOTS_APPLIED) {
		/* the attach batch runs before the VMM hears of the PATCH */
		if (r->to_mib > r->from_mib && r->ms[BENCH_PH_RAISED] < 0 &&
		    r->ms[BENCH_PH_APPLIED] < 0)
			r->ms[BENCH_PH_APPLIED] = (ts - r->t0) / 1e6;
		else if (r->to_mib < r->from_mib)
			r->ms[BENCH_PH_DETACHED] = (ts - r->t0) / 1e6;
		return NL_OK;
	}
	if (gnlh->cmd != MEMPLUG_CMD_HOTPLUG_EVENT)
		return NL_OK;
	/*
	 * The guest hears of the request at its first step: memplugd tells
	 * it of a big growth in two (daemon/hotplug.c, pipelining).
	 */
	req = nl__u64(tb, MEMPLUG_A_REQUESTED_SIZE) >> 20;
	if (r->ms[BENCH_PH_RAISED] < 0 && req != r->from_mib &&
	    (req > r->from_mib) == (r->to_mib > r->from_mib))
		r->ms[BENCH_PH_RAISED] = (ts - r->t0) / 1e6;
	plugged = nl__u64(tb, MEMPLUG_A_PLUGGED_SIZE) >> 20;
	if (req != r->req_mib) {
		/*
		 * Events of several senders need not arrive in time order: a
		 * next step stamped before the last one settled waited 0.
		 */
		if (r->step_done_ns && ts > r->step_done_ns)
			r->step_wait_ms += (ts - r->step_done_ns) / 1e6;
		r->step_done_ns = 0;
		r->req_mib = req;
	}
	if (plugged == req && req != r->to_mib && req != r->from_mib &&
	    !r->step_done_ns)
		r->step_done_ns = ts;
	bench_round__progress(r, plugged, ts);
	return NL_OK;
}

/* Handles what the event socket has; waits up to @timeout_ms for it. */
static int nl__pump(struct nl_target *n, int timeout_ms)
{
	struct pollfd p = { .fd = nl_socket_get_fd(n->ev.sk), .events = POLLIN };
	int ret;

	ret = poll(&p, 1, timeout_ms);
	if (ret <= 0)
		return ret < 0 && errno != EINTR ? -errno : 0;
	ret = nl_recvmsgs_default(n->ev.sk);
	if (ret == -NLE_NOMEM) {	/* ENOBUFS: events were dropped */
		n->lost = true;
		return 0;
	}
	return ret < 0 ? -EIO : 0;
}

static int nl__get(struct bench_target *t, uint64_t *plugged)
{
	struct nl_target *n = t->priv;
	char out[MEMPLUG_HOTPLUG_BODY_MAX];
	int err;

	err = memplug_nl__relay(&n->req, MEMPLUG_CMD_HOTPLUG_GET, n->vm, NULL,
				out, sizeof(out));
	if (err) {
		genl_conn__perror(&n->req, err);
		return err;
	}
	return bench__json_u64(out, "plugged_size_mib", plugged);
}

static int nl__request(struct bench_target *t, struct bench_round *r)
{
	struct nl_target *n = t->priv;
	char body[64], out[MEMPLUG_HOTPLUG_BODY_MAX];
	int err;

	/* events of earlier rounds (and of GETs' unplugs) are old news */
	n->cur = NULL;
	while (nl__pump(n, 0) > 0)
		;
	n->lost = false;
	snprintf(body, sizeof(body), "{\"requested_size_mib\":%llu}",
		 (unsigned long long)r->to_mib);
	n->cur = r;
	r->t0 = mp_now_ns();
	err = memplug_nl__relay(&n->req, MEMPLUG_CMD_HOTPLUG_PATCH, n->vm,
				body, out, sizeof(out));
	r->ms[BENCH_PH_REPLY] = (mp_now_ns() - r->t0) / 1e6;
	if (err && err != -EAGAIN)
		genl_conn__perror(&n->req, err);
	return err;
}

static int nl__watch(struct bench_target *t, struct bench_round *r)
{
	struct nl_target *n = t->priv;
	uint64_t until;
	int err = 0;

	n->cur = r;
	while (!err && r->ms[BENCH_PH_SETTLED] < 0 &&
	       !bench_round__stalled(t, r, mp_now_ns()))
		err = nl__pump(n, 100);
	/* memplugd detaches emptied slots after the guest let go of them */
	until = mp_now_ns() + NL_DETACH_LINGER_MS * 1000000ULL;
	while (!err && r->to_mib < r->from_mib && mp_now_ns() < until)
		err = nl__pump(n, 50);
	n->cur = NULL;
	if (n->lost)
		fprintf(stderr, "%s: events were lost (socket overflow); phases may be late\n",
			t->system);
	return err;
}

static void nl__close(struct bench_target *t)
{
	struct nl_target *n = t->priv;

	genl_conn__close(&n->req);
	genl_conn__close(&n->ev);
	free(n);
}

static const struct bench_target_ops nl_target_ops = {
	.request = nl__request,
	.watch = nl__watch,
	.get = nl__get,
	.close = nl__close,
};

int nl_target__open(struct bench_target *t, uint32_t vm_id)
{
	struct nl_target *n = calloc(1, sizeof(*n));
	int err;

	if (!n)
		return -ENOMEM;
	n->vm = vm_id;
	err = memplug_nl__open(&n->req);
	if (err) {
		fprintf(stderr, "Error: the memplug family is not registered; is memplug.ko loaded?\n");
		free(n);
		return err;
	}
	err = memplug_nl__open(&n->ev) ?: genl_conn__subscribe(&n->ev, MEMPLUG_MCGRP_EVENTS);
	if (err) {
		fprintf(stderr, "Error: cannot join the \"%s\" group.\n",
			MEMPLUG_MCGRP_EVENTS);
		genl_conn__close(&n->req);
		genl_conn__close(&n->ev);
		free(n);
		return err;
	}
	/* an unplug is hundreds of events: room for them between pumps */
	nl_socket_set_buffer_size(n->ev.sk, 4 << 20, 0);
	nl_socket_set_msg_buf_size(n->ev.sk, 65536);
	nl_socket_disable_seq_check(n->ev.sk);
	nl_socket_modify_cb(n->ev.sk, NL_CB_VALID, NL_CB_CUSTOM, nl__event, n);
	nl_socket_set_nonblocking(n->ev.sk);
	/* small replies: one recvmsg() each, no MSG_PEEK probe */
	nl_socket_set_msg_buf_size(n->req.sk, 65536);
	nl_socket_disable_msg_peek(n->req.sk);
	t->ops = &nl_target_ops;
	t->priv = n;
	if (!t->system)
		t->system = "memplug";
	return 0;
}
