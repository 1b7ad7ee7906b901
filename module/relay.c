// SPDX-License-Identifier: GPL-2.0
/*
 * The hotplug relay: a HOTPLUG_PUT, _PATCH, _GET or VM_START from any
 * netlink caller (memplugctl) is forwarded to the daemon that owns the VM,
 * and the doit returns at once.  The daemon's HOTPLUG_REPLY, matched by a
 * random cookie and by the owner's socket, is answered to the caller later
 * by unicast, with the caller's port id and sequence number, as the reply
 * to its request.  No handler ever waits for userspace: a stopped daemon
 * holds nothing but its pending requests, which time out on a workqueue.
 *
 * Exactly once: a request is completed by the owner's reply, by its
 * timeout, or by the owner or the caller going away, whichever takes it
 * off memplug_relay_pending first; the others find it gone.  The list and
 * the timeout work each hold a reference.
 *
 * HOTPLUG_GET is the exception (Firecracker #6007: a GET must not queue
 * behind an unplug, and the daemon's one thread may be busy with a batch):
 * once the owner has sent its GET answer with a HOTPLUG_EVENT, GET replies
 * with that copy at once.  Only a VM without one (not configured yet, so
 * the daemon's own error text is the answer) is relayed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/list.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <net/sock.h>
#include "internal.h"

#define MEMPLUG_RELAY_TIMEOUT	msecs_to_jiffies(MEMPLUG_RELAY_TIMEOUT_MS)
/* All requests in flight, whatever the VM: bounds the module's memory. */
#define MEMPLUG_RELAY_MAX	256

struct memplug_relay_req {
	struct list_head node;		/* on the pending list, else empty */
	struct delayed_work timeout;
	refcount_t ref;
	u64 cookie;
	u32 vm_id;
	u8 cmd;
	struct sock *owner_sk;		/* held; only it may answer */
	u32 owner_portid;
	struct sock *caller_sk;		/* held; the answer goes to it */
	u32 caller_portid;
	u32 caller_seq;
};

static LIST_HEAD(memplug_relay_pending);
static DEFINE_SPINLOCK(memplug_relay_lock);
static unsigned int memplug_relay_nr;		/* under memplug_relay_lock */
static struct workqueue_struct *memplug_relay_wq;

static void memplug_relay_put(struct memplug_relay_req *req)
{
	if (!refcount_dec_and_test(&req->ref))
		return;
	sock_put(req->owner_sk);
	sock_put(req->caller_sk);
	kfree(req);
}

/* Takes @req off the pending list; false if someone else did first. */
static bool memplug_relay_take(struct memplug_relay_req *req)
{
	bool taken;

	spin_lock(&memplug_relay_lock);
	taken = !list_empty(&req->node);
	if (taken) {
		list_del_init(&req->node);
		memplug_relay_nr--;
	}
	spin_unlock(&memplug_relay_lock);
	return taken;
}

/*
 * The answer to the caller, as the reply to its request: the owner's body
 * (@err 0), or @err with @text in MEMPLUG_A_ERROR_TEXT.  Best effort: a
 * caller that is gone or does not read gets nothing.
 */
static void memplug_relay_answer(struct memplug_relay_req *req, int err,
				 const char *text, const char *body)
{
	const char *s = err ? text : body;
	struct sk_buff *skb;
	void *hdr;

	/*
	 * A closing caller's port id may be another socket's already: as
	 * for the owner in memplug_nl_relay_doit(), SOCK_DEAD is as close
	 * as 6.1 lets a module look.
	 */
	if (sock_flag(req->caller_sk, SOCK_DEAD))
		return;
	skb = genlmsg_new(nla_total_size(sizeof(u32)) * 2 +
			  nla_total_size(strlen(s) + 1), GFP_KERNEL);
	if (!skb)
		return;
	hdr = genlmsg_put(skb, req->caller_portid, req->caller_seq,
			  &memplug_family, 0, req->cmd);
	if (!hdr || nla_put_u32(skb, MEMPLUG_A_VM_ID, req->vm_id) ||
	    (err && nla_put_u32(skb, MEMPLUG_A_ERRNO, -err)) ||
	    nla_put_string(skb, err ? MEMPLUG_A_ERROR_TEXT :
				      MEMPLUG_A_HOTPLUG_BODY, s)) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_end(skb, hdr);
	genlmsg_unicast(&init_net, skb, req->caller_portid);
}

/* After memplug_relay_take(): drop the timeout's and the list's refs. */
static void memplug_relay_done(struct memplug_relay_req *req)
{
	if (cancel_delayed_work(&req->timeout))
		memplug_relay_put(req);
	memplug_relay_put(req);
}

static void memplug_relay_timeout(struct work_struct *work)
{
	struct memplug_relay_req *req =
		container_of(to_delayed_work(work), struct memplug_relay_req,
			     timeout);

	if (memplug_relay_take(req)) {
		memplug_relay_answer(req, -ETIMEDOUT,
				     "memplug: the daemon that owns this VM did not answer in time",
				     NULL);
		memplug_relay_put(req);
	}
	memplug_relay_put(req);
}

/* The request as the owner gets it: cmd, VM, cookie, deadline, body. */
static struct sk_buff *memplug_relay_msg(struct memplug_relay_req *req,
					 const struct nlattr *body)
{
	struct sk_buff *skb;
	void *hdr;

	skb = genlmsg_new(nla_total_size(sizeof(u32)) +
			  2 * nla_total_size_64bit(sizeof(u64)) +
			  (body ? nla_total_size(nla_len(body)) : 0),
			  GFP_KERNEL);
	if (!skb)
		return NULL;
	hdr = genlmsg_put(skb, 0, 0, &memplug_family, 0, req->cmd);
	if (!hdr ||
	    nla_put_u32(skb, MEMPLUG_A_VM_ID, req->vm_id) ||
	    nla_put_u64_64bit(skb, MEMPLUG_A_COOKIE, req->cookie,
			      MEMPLUG_A_PAD) ||
	    nla_put_u64_64bit(skb, MEMPLUG_A_DEADLINE_NS,
			      ktime_get_ns() +
			      jiffies_to_nsecs(MEMPLUG_RELAY_TIMEOUT),
			      MEMPLUG_A_PAD) ||
	    (body && nla_put(skb, MEMPLUG_A_HOTPLUG_BODY, nla_len(body),
			     nla_data(body)))) {
		nlmsg_free(skb);
		return NULL;
	}
	genlmsg_end(skb, hdr);
	return skb;
}

/*
 * HOTPLUG_GET from the body the owner last reported: the same reply as a
 * relayed GET, without waiting for the owner.  Returns 0 or -errno when it
 * replied, 1 when there is no body (relay the request).
 */
static int memplug_relay_get_cached(struct memplug_vm *vm,
				    struct genl_info *info)
{
	struct sk_buff *skb;
	size_t len;
	void *hdr;
	int tries, err;

	spin_lock(&vm->state_lock);
	len = vm->get_body ? strlen(vm->get_body) : 0;
	spin_unlock(&vm->state_lock);
	if (!len)
		return 1;
	/* The body may be replaced meanwhile: a longer one needs a new skb. */
	for (tries = 0; tries < 3; tries++) {
		skb = genlmsg_new(nla_total_size(sizeof(u32)) +
				  nla_total_size(len + 1), GFP_KERNEL);
		if (!skb)
			return -ENOMEM;
		hdr = genlmsg_put_reply(skb, info, &memplug_family, 0,
					info->genlhdr->cmd);
		if (!hdr || nla_put_u32(skb, MEMPLUG_A_VM_ID, vm->id)) {
			nlmsg_free(skb);
			NL_SET_ERR_MSG_MOD(info->extack, "reply does not fit");
			return -EMSGSIZE;
		}
		spin_lock(&vm->state_lock);
		if (!vm->get_body) {
			err = 1;
		} else {
			err = nla_put_string(skb, MEMPLUG_A_HOTPLUG_BODY,
					     vm->get_body);
			if (err)
				len = strlen(vm->get_body);
		}
		spin_unlock(&vm->state_lock);
		if (!err) {
			genlmsg_end(skb, hdr);
			return genlmsg_reply(skb, info);
		}
		nlmsg_free(skb);
		if (err > 0)
			return 1;
	}
	return 1;
}

/*
 * Queues @req unless the VM or the caller has too many requests in flight
 * (an unprivileged GET loop must not flood the owner's socket).
 */
static int memplug_relay_queue(struct memplug_relay_req *req,
			       struct netlink_ext_ack *extack)
{
	struct memplug_relay_req *r;
	unsigned int per_vm = 0, per_caller = 0;
	int err = 0;

	spin_lock(&memplug_relay_lock);
	list_for_each_entry(r, &memplug_relay_pending, node) {
		per_vm += r->vm_id == req->vm_id;
		per_caller += r->caller_sk == req->caller_sk;
	}
	if (per_vm >= MEMPLUG_RELAY_VM_MAX) {
		NL_SET_ERR_MSG_MOD(extack,
				   "too many hotplug requests in flight for this VM");
		err = -EBUSY;
	} else if (per_caller >= MEMPLUG_RELAY_CALLER_MAX) {
		NL_SET_ERR_MSG_MOD(extack,
				   "too many hotplug requests in flight on this socket");
		err = -EBUSY;
	} else if (memplug_relay_nr >= MEMPLUG_RELAY_MAX) {
		NL_SET_ERR_MSG_MOD(extack, "too many hotplug requests in flight");
		err = -EBUSY;
	} else {
		list_add_tail(&req->node, &memplug_relay_pending);
		memplug_relay_nr++;
		/* The list's reference, and the timeout's. */
		refcount_add(2, &req->ref);
		queue_delayed_work(memplug_relay_wq, &req->timeout,
				   MEMPLUG_RELAY_TIMEOUT);
	}
	spin_unlock(&memplug_relay_lock);
	return err;
}

/* One doit for HOTPLUG_PUT, HOTPLUG_PATCH, HOTPLUG_GET and VM_START. */
int memplug_nl_relay_doit(struct sk_buff *skb, struct genl_info *info)
{
	u8 cmd = info->genlhdr->cmd;
	struct nlattr *body = info->attrs[MEMPLUG_A_HOTPLUG_BODY];
	struct memplug_relay_req *req;
	struct sk_buff *msg;
	struct memplug_vm *vm;
	int err;

	if ((cmd == MEMPLUG_CMD_HOTPLUG_PUT ||
	     cmd == MEMPLUG_CMD_HOTPLUG_PATCH) &&
	    memplug_req_attr_missing(info, MEMPLUG_A_HOTPLUG_BODY))
		return -EINVAL;
	/*
	 * NLA_NUL_STRING only asks for a NUL somewhere: "{...}\0junk\0"
	 * passes it.  The owner would parse a body other than the one sent.
	 */
	if (body && strnlen(nla_data(body), nla_len(body)) != nla_len(body) - 1) {
		NL_SET_ERR_MSG_ATTR(info->extack, body,
				    "memplug: hotplug-body has a NUL before its end");
		return -EINVAL;
	}
	vm = memplug_vm_get_attr(info);
	if (IS_ERR(vm))
		return PTR_ERR(vm);
	if (cmd == MEMPLUG_CMD_HOTPLUG_GET) {
		err = memplug_relay_get_cached(vm, info);
		if (err <= 0) {
			memplug_vm_put(vm);
			return err;
		}
	}
	req = kzalloc(sizeof(*req), GFP_KERNEL_ACCOUNT);
	if (!req) {
		memplug_vm_put(vm);
		return -ENOMEM;
	}
	INIT_LIST_HEAD(&req->node);
	INIT_DELAYED_WORK(&req->timeout, memplug_relay_timeout);
	refcount_set(&req->ref, 1);	/* this doit's */
	req->cookie = get_random_u64();
	req->vm_id = vm->id;
	req->cmd = cmd;
	req->owner_sk = vm->owner_sk;
	sock_hold(req->owner_sk);
	req->owner_portid = vm->owner_portid;
	req->caller_sk = NETLINK_CB(skb).sk;
	sock_hold(req->caller_sk);
	req->caller_portid = info->snd_portid;
	req->caller_seq = info->snd_seq;
	memplug_vm_put(vm);

	msg = memplug_relay_msg(req, body);
	if (!msg) {
		memplug_relay_put(req);
		return -ENOMEM;
	}
	err = memplug_relay_queue(req, info->extack);
	if (err) {
		nlmsg_free(msg);
		memplug_relay_put(req);
		return err;
	}
	/*
	 * The port id is only the owner's name: netlink_release() frees it
	 * before the release notifier detaches the owner's VMs, and another
	 * socket may bind it meanwhile.  That one must not get the request.
	 * From sock_orphan() on the owner's socket is SOCK_DEAD; the few
	 * instructions between netlink_remove() and sock_orphan() cannot be
	 * told from here (6.1 exports no send to a given socket).
	 */
	if (sock_flag(req->owner_sk, SOCK_DEAD)) {
		nlmsg_free(msg);
		err = -ECONNRESET;
	} else {
		/* Never blocks: a full owner socket fails the request now. */
		err = genlmsg_unicast(&init_net, msg, req->owner_portid);
	}
	if (err && memplug_relay_take(req)) {
		memplug_relay_done(req);
		if (err == -ECONNRESET) {
			NL_SET_ERR_MSG_MOD(info->extack,
					   "the daemon that owns this VM went away");
		} else if (err == -EAGAIN) {
			NL_SET_ERR_MSG_MOD(info->extack,
					   "the daemon that owns this VM is not keeping up; try again");
			err = -EBUSY;
		} else {
			NL_SET_ERR_MSG_MOD(info->extack,
					   "the daemon that owns this VM is not listening");
			err = -ECONNREFUSED;
		}
	} else {
		/* The answer comes later, as the reply to this request. */
		err = 0;
	}
	memplug_relay_put(req);
	return err;
}

/* The owner's answer: HOTPLUG_REPLY {cookie, errno, body or error text}. */
int memplug_nl_hotplug_reply_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *text = info->attrs[MEMPLUG_A_ERROR_TEXT];
	struct nlattr *body = info->attrs[MEMPLUG_A_HOTPLUG_BODY];
	struct memplug_relay_req *req, *found = NULL;
	u64 cookie;
	u32 e;

	if (memplug_req_attr_missing(info, MEMPLUG_A_COOKIE) ||
	    memplug_req_attr_missing(info, MEMPLUG_A_ERRNO))
		return -EINVAL;
	cookie = nla_get_u64(info->attrs[MEMPLUG_A_COOKIE]);
	e = nla_get_u32(info->attrs[MEMPLUG_A_ERRNO]);

	spin_lock(&memplug_relay_lock);
	list_for_each_entry(req, &memplug_relay_pending, node) {
		/* Only the owner socket the request went to may answer it. */
		if (req->cookie == cookie &&
		    req->owner_sk == NETLINK_CB(skb).sk) {
			found = req;
			list_del_init(&req->node);
			memplug_relay_nr--;
			break;
		}
	}
	spin_unlock(&memplug_relay_lock);
	if (!found) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[MEMPLUG_A_COOKIE],
				    "no request with this cookie is waiting for you");
		return -ENOENT;
	}
	/*
	 * Kernel-internal values (ERESTARTSYS and up) must not reach the
	 * caller, and an error without a word is no answer for a user.
	 */
	if (e > MEMPLUG_ERRNO_MAX) {
		memplug_relay_answer(found, -EPROTO,
				     "memplug: the daemon that owns this VM answered with an invalid errno",
				     NULL);
		memplug_relay_done(found);
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[MEMPLUG_A_ERRNO],
				    "errno out of range");
		return -EINVAL;
	}
	if (e)
		memplug_relay_answer(found, -(int)e,
				     text ? nla_data(text) :
				     "memplug: the daemon that owns this VM refused the request",
				     NULL);
	else
		memplug_relay_answer(found, 0, NULL,
				     body ? nla_data(body) : "");
	memplug_relay_done(found);
	return 0;
}

/*
 * A socket with port id @portid is being released.  The port id may
 * already belong to a new socket: only requests of a dead socket are
 * affected.  Requests to a dead owner fail now, not at their timeout;
 * those of a dead caller are dropped.
 */
void memplug_relay_owner_gone(u32 portid)
{
	struct memplug_relay_req *req, *tmp;
	LIST_HEAD(gone);

	spin_lock(&memplug_relay_lock);
	list_for_each_entry_safe(req, tmp, &memplug_relay_pending, node) {
		if ((req->owner_portid == portid &&
		     sock_flag(req->owner_sk, SOCK_DEAD)) ||
		    (req->caller_portid == portid &&
		     sock_flag(req->caller_sk, SOCK_DEAD))) {
			list_move_tail(&req->node, &gone);
			memplug_relay_nr--;
		}
	}
	spin_unlock(&memplug_relay_lock);
	list_for_each_entry_safe(req, tmp, &gone, node) {
		list_del_init(&req->node);
		memplug_relay_answer(req, -ECONNRESET,
				     "memplug: the daemon that owns this VM went away",
				     NULL);
		memplug_relay_done(req);
	}
}

int memplug_relay_init(void)
{
	memplug_relay_wq = alloc_workqueue("memplug_relay", 0, 0);
	return memplug_relay_wq ? 0 : -ENOMEM;
}

/* After the family is gone: no request can be added any more. */
void memplug_relay_exit(void)
{
	struct memplug_relay_req *req;

	for (;;) {
		spin_lock(&memplug_relay_lock);
		req = list_first_entry_or_null(&memplug_relay_pending,
					       struct memplug_relay_req, node);
		if (req) {
			list_del_init(&req->node);
			memplug_relay_nr--;
		}
		spin_unlock(&memplug_relay_lock);
		if (!req)
			break;
		memplug_relay_done(req);
	}
	/* Waits for timeouts that were already running. */
	destroy_workqueue(memplug_relay_wq);
}

/*
 * HOTPLUG_EVENT from the owner: its requested and plugged sizes, kept for
 * VM_GET and multicast (with the time the module heard of them) when they
 * changed, and its current HOTPLUG_GET answer, kept for HOTPLUG_GET.  An
 * event without a body (or with an empty one) drops the kept body, and
 * HOTPLUG_GET is relayed again.
 */
int memplug_nl_hotplug_event_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *body = info->attrs[MEMPLUG_A_HOTPLUG_BODY];
	struct nlattr *when = info->attrs[MEMPLUG_A_TIMESTAMP_NS];
	u64 now = ktime_get_ns(), ts = now;
	struct memplug_vm *vm;
	char *copy = NULL, *old;
	u64 req_sz, plug_sz;
	bool changed;
	int err = 0;

	if (memplug_req_attr_missing(info, MEMPLUG_A_REQUESTED_SIZE) ||
	    memplug_req_attr_missing(info, MEMPLUG_A_PLUGGED_SIZE))
		return -EINVAL;
	/* The owner may know better when it happened; never after now. */
	if (when && nla_get_u64(when) < now)
		ts = nla_get_u64(when);
	req_sz = nla_get_u64(info->attrs[MEMPLUG_A_REQUESTED_SIZE]);
	plug_sz = nla_get_u64(info->attrs[MEMPLUG_A_PLUGGED_SIZE]);
	vm = memplug_vm_get_attr(info);
	if (IS_ERR(vm))
		return PTR_ERR(vm);
	if (!memplug_vm_is_owner(vm, skb)) {
		memplug_vm_put(vm);
		NL_SET_ERR_MSG_MOD(info->extack, "only the VM's owner reports its state");
		return -EPERM;
	}
	if (body && nla_len(body) && *(char *)nla_data(body)) {
		copy = nla_strdup(body, GFP_KERNEL);
		/* A stale body must not outlive this event: drop it. */
		if (!copy) {
			NL_SET_ERR_MSG_ATTR(info->extack, body,
					    "no memory to keep the GET body: GET is relayed");
			err = -ENOMEM;
		}
	}
	spin_lock(&vm->state_lock);
	changed = vm->requested_size != req_sz || vm->plugged_size != plug_sz;
	WRITE_ONCE(vm->requested_size, req_sz);
	WRITE_ONCE(vm->plugged_size, plug_sz);
	old = vm->get_body;
	vm->get_body = copy;
	spin_unlock(&vm->state_lock);
	kfree(old);
	if (changed)
		memplug_nl_hotplug_event(vm, req_sz, plug_sz, ts);
	memplug_vm_put(vm);
	return err;
}
