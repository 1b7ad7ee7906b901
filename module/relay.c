// SPDX-License-Identifier: GPL-2.0
/*
 * The hotplug relay: a HOTPLUG_PUT, _PATCH, _GET or VM_START from any
 * netlink caller (memplugctl) is sent to the daemon that owns the VM and
 * the caller's request sleeps, bounded and killable, until the daemon's
 * HOTPLUG_REPLY with the same cookie completes it.  The family has
 * parallel_ops, so a sleeping relay holds no lock another request needs.
 *
 * Exactly once: a request is completed by the owner's reply, by the owner
 * going away, or by its own timeout, whichever comes first under
 * memplug_relay_lock; the later ones find nothing to complete.
 *
 * HOTPLUG_GET is the exception (Firecracker #6007: a GET must not queue
 * behind an unplug, and the daemon's one thread may be busy with a batch):
 * once the owner has sent its GET answer with a HOTPLUG_EVENT, GET replies
 * with that copy at once.  Only a VM without one (not configured yet, so
 * the daemon's own error text is the answer) is relayed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/list.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include "internal.h"

#define MEMPLUG_RELAY_TIMEOUT	(5 * HZ)
#define MEMPLUG_RELAY_MSGS	16
#define MEMPLUG_RELAY_MSG_LEN	160

struct memplug_relay_req {
	struct list_head node;
	u64 cookie;
	u32 owner_portid;
	struct completion done;
	int err;			/* negative errno from the daemon */
	char *body;			/* the daemon's JSON or error text */
};

static LIST_HEAD(memplug_relay_pending);
static DEFINE_SPINLOCK(memplug_relay_lock);
static u64 memplug_relay_next_cookie;

/*
 * 6.1 has no NL_SET_ERR_MSG_FMT: extack keeps a pointer that netlink_ack()
 * reads after the handler returned.  The daemon's message is copied into a
 * ring of static buffers that live as long as the module; the last byte of
 * each stays NUL, so even a reuse racing with a reader cannot run off it.
 */
static char memplug_relay_msgs[MEMPLUG_RELAY_MSGS][MEMPLUG_RELAY_MSG_LEN];
static atomic_t memplug_relay_msg_idx = ATOMIC_INIT(0);

static void memplug_relay_set_msg(struct netlink_ext_ack *extack,
				  const char *text)
{
	unsigned int i = atomic_inc_return(&memplug_relay_msg_idx) %
			 MEMPLUG_RELAY_MSGS;
	char *buf = memplug_relay_msgs[i];

	if (!extack || !text || !*text)
		return;
	strscpy(buf, text, MEMPLUG_RELAY_MSG_LEN - 1);
	extack->_msg = buf;
}

static int memplug_relay_send(struct memplug_relay_req *req, u8 cmd, u32 vm_id,
			      const struct nlattr *body)
{
	struct sk_buff *skb;
	void *hdr;

	skb = genlmsg_new(NLMSG_DEFAULT_SIZE + (body ? nla_len(body) : 0),
			  GFP_KERNEL);
	if (!skb)
		return -ENOMEM;
	hdr = genlmsg_put(skb, 0, 0, &memplug_family, 0, cmd);
	if (!hdr ||
	    nla_put_u32(skb, MEMPLUG_A_VM_ID, vm_id) ||
	    nla_put_u64_64bit(skb, MEMPLUG_A_COOKIE, req->cookie,
			      MEMPLUG_A_PAD) ||
	    nla_put_u64_64bit(skb, MEMPLUG_A_DEADLINE_NS,
			      ktime_get_ns() +
			      jiffies_to_nsecs(MEMPLUG_RELAY_TIMEOUT),
			      MEMPLUG_A_PAD) ||
	    (body && nla_put(skb, MEMPLUG_A_HOTPLUG_BODY, nla_len(body),
			     nla_data(body)))) {
		nlmsg_free(skb);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return genlmsg_unicast(&init_net, skb, req->owner_portid);
}

static int memplug_relay_answer(struct genl_info *info, u8 cmd, u32 vm_id,
				const char *body)
{
	struct sk_buff *skb;
	void *hdr;

	skb = genlmsg_new(NLMSG_DEFAULT_SIZE + strlen(body), GFP_KERNEL);
	if (!skb)
		return -ENOMEM;
	hdr = genlmsg_put_reply(skb, info, &memplug_family, 0, cmd);
	if (!hdr || nla_put_u32(skb, MEMPLUG_A_VM_ID, vm_id) ||
	    nla_put_string(skb, MEMPLUG_A_HOTPLUG_BODY, body)) {
		nlmsg_free(skb);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return genlmsg_reply(skb, info);
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

/* One doit for HOTPLUG_PUT, HOTPLUG_PATCH, HOTPLUG_GET and VM_START. */
int memplug_nl_relay_doit(struct sk_buff *skb, struct genl_info *info)
{
	u8 cmd = info->genlhdr->cmd;
	struct nlattr *body = info->attrs[MEMPLUG_A_HOTPLUG_BODY];
	struct memplug_relay_req *req;
	struct memplug_vm *vm;
	long left;
	u32 vm_id;
	int err;

	if ((cmd == MEMPLUG_CMD_HOTPLUG_PUT ||
	     cmd == MEMPLUG_CMD_HOTPLUG_PATCH) &&
	    memplug_req_attr_missing(info, MEMPLUG_A_HOTPLUG_BODY))
		return -EINVAL;
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
	vm_id = vm->id;
	req = kzalloc(sizeof(*req), GFP_KERNEL);
	if (!req) {
		memplug_vm_put(vm);
		return -ENOMEM;
	}
	req->owner_portid = vm->owner_portid;
	memplug_vm_put(vm);
	init_completion(&req->done);

	spin_lock(&memplug_relay_lock);
	req->cookie = ++memplug_relay_next_cookie;
	list_add_tail(&req->node, &memplug_relay_pending);
	spin_unlock(&memplug_relay_lock);

	err = memplug_relay_send(req, cmd, vm_id, body);
	if (err) {
		NL_SET_ERR_MSG_MOD(info->extack,
				   "the daemon that owns this VM is not listening");
		err = -ECONNREFUSED;
		goto out;
	}
	left = wait_for_completion_killable_timeout(&req->done,
						    MEMPLUG_RELAY_TIMEOUT);
	if (left == 0) {
		NL_SET_ERR_MSG_MOD(info->extack,
				   "the daemon that owns this VM did not answer in time");
		err = -ETIMEDOUT;
	} else if (left < 0) {
		err = -EINTR;
	}
out:
	spin_lock(&memplug_relay_lock);
	list_del(&req->node);
	spin_unlock(&memplug_relay_lock);
	/* Completed, or no longer findable: req is ours alone now. */
	if (!err && req->err) {
		memplug_relay_set_msg(info->extack, req->body);
		err = req->err;
	} else if (!err) {
		err = memplug_relay_answer(info, cmd, vm_id,
					   req->body ? req->body : "");
	}
	kfree(req->body);
	kfree(req);
	return err;
}

/* The owner's answer: HOTPLUG_REPLY {cookie, errno, body or error text}. */
int memplug_nl_hotplug_reply_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *text = info->attrs[MEMPLUG_A_ERROR_TEXT];
	struct nlattr *body = info->attrs[MEMPLUG_A_HOTPLUG_BODY];
	struct memplug_relay_req *req, *found = NULL;
	struct nlattr *what;
	char *copy = NULL;
	u64 cookie;
	u32 e;

	if (memplug_req_attr_missing(info, MEMPLUG_A_COOKIE) ||
	    memplug_req_attr_missing(info, MEMPLUG_A_ERRNO))
		return -EINVAL;
	cookie = nla_get_u64(info->attrs[MEMPLUG_A_COOKIE]);
	e = nla_get_u32(info->attrs[MEMPLUG_A_ERRNO]);
	what = e ? text : body;
	if (what) {
		copy = nla_strdup(what, GFP_KERNEL);
		if (!copy)
			return -ENOMEM;
	}

	spin_lock(&memplug_relay_lock);
	list_for_each_entry(req, &memplug_relay_pending, node) {
		/* Only the owner the request went to may answer it. */
		if (req->cookie == cookie &&
		    req->owner_portid == info->snd_portid &&
		    !completion_done(&req->done)) {
			found = req;
			req->err = -(int)e;
			req->body = copy;
			complete(&req->done);
			break;
		}
	}
	spin_unlock(&memplug_relay_lock);
	if (!found) {
		kfree(copy);
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[MEMPLUG_A_COOKIE],
				    "no request with this cookie is waiting for you");
		return -ENOENT;
	}
	return 0;
}

/* The owner's socket closed: its requests fail now, not at the timeout. */
void memplug_relay_owner_gone(u32 portid)
{
	struct memplug_relay_req *req;

	spin_lock(&memplug_relay_lock);
	list_for_each_entry(req, &memplug_relay_pending, node) {
		if (req->owner_portid == portid && !completion_done(&req->done)) {
			req->err = -ECONNRESET;
			complete(&req->done);
		}
	}
	spin_unlock(&memplug_relay_lock);
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
