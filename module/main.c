// SPDX-License-Identifier: GPL-2.0
/*
 * memplug: apply KVM memslot changes for another process's VM.
 *
 * KVM refuses memslot ioctls from any process but the VM's creator.  This
 * module lets a privileged helper (memplugd) that holds the VM fd turn it
 * into a VM reference and apply memslot batches atomically over generic
 * netlink.  The protocol is documented in uapi/linux/memplug.h.
 *
 * This file holds the family (policies, ops, events) and module init/exit;
 * vm.c the attachments, slots.c the batches.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/netlink.h>
#include <linux/notifier.h>
#include "internal.h"

/*
 * Limits an attacker with CAP_NET_ADMIN could otherwise push into KVM's
 * arithmetic (MEMPLUG_ADDR_LIMIT).  6.1's policy takes a non-const
 * pointer: read-only after init instead.
 */
static struct netlink_range_validation memplug_addr_range __ro_after_init = {
	.min = 0,
	.max = MEMPLUG_ADDR_LIMIT - 1,
};

static struct netlink_range_validation memplug_size_range __ro_after_init = {
	.min = PAGE_SIZE,
	.max = MEMPLUG_ADDR_LIMIT,
};

static struct netlink_range_validation memplug_slot_size_range __ro_after_init = {
	.min = 0,
	.max = MEMPLUG_ADDR_LIMIT,
};

static const struct nla_policy memplug_slot_policy[MEMPLUG_SLOT_A_MAX + 1] = {
	[MEMPLUG_SLOT_A_ID]	= NLA_POLICY_MAX(NLA_U32, MEMPLUG_SLOTS_MAX - 1),
	[MEMPLUG_SLOT_A_GPA]	= NLA_POLICY_FULL_RANGE(NLA_U64, &memplug_addr_range),
	[MEMPLUG_SLOT_A_SIZE]	= NLA_POLICY_FULL_RANGE(NLA_U64, &memplug_slot_size_range),
	[MEMPLUG_SLOT_A_HVA]	= { .type = NLA_U64 },
	[MEMPLUG_SLOT_A_FLAGS]	= NLA_POLICY_MASK(NLA_U32, __MEMPLUG_SLOT_F_ALL),
};

static const struct nla_policy memplug_attach_policy[MEMPLUG_A_MAX + 1] = {
	[MEMPLUG_A_VM_FD]	= { .type = NLA_U32 },
	[MEMPLUG_A_SLOT_BASE]	= NLA_POLICY_MAX(NLA_U32, MEMPLUG_SLOTS_MAX - 1),
	[MEMPLUG_A_SLOT_COUNT]	= NLA_POLICY_RANGE(NLA_U32, 1, MEMPLUG_SLOTS_MAX),
	[MEMPLUG_A_GPA_BASE]	= NLA_POLICY_FULL_RANGE(NLA_U64, &memplug_addr_range),
	[MEMPLUG_A_GPA_SIZE]	= NLA_POLICY_FULL_RANGE(NLA_U64, &memplug_size_range),
	[MEMPLUG_A_HVA_BASE]	= { .type = NLA_U64 },
	[MEMPLUG_A_HVA_SIZE]	= NLA_POLICY_FULL_RANGE(NLA_U64, &memplug_size_range),
	[MEMPLUG_A_ATTACH_FLAGS] = NLA_POLICY_MASK(NLA_U32, __MEMPLUG_ATTACH_F_ALL),
};

static const struct nla_policy memplug_vm_id_policy[MEMPLUG_A_VM_ID + 1] = {
	[MEMPLUG_A_VM_ID]	= { .type = NLA_U32 },
};

static const struct nla_policy memplug_relay_policy[MEMPLUG_A_HOTPLUG_BODY + 1] = {
	[MEMPLUG_A_VM_ID]	 = { .type = NLA_U32 },
	[MEMPLUG_A_HOTPLUG_BODY] = { .type = NLA_NUL_STRING,
				     .len = MEMPLUG_HOTPLUG_BODY_MAX - 1 },
};

static const struct nla_policy memplug_reply_policy[MEMPLUG_A_ERROR_TEXT + 1] = {
	[MEMPLUG_A_HOTPLUG_BODY] = { .type = NLA_NUL_STRING,
				     .len = MEMPLUG_HOTPLUG_BODY_MAX - 1 },
	[MEMPLUG_A_COOKIE]	 = { .type = NLA_U64 },
	[MEMPLUG_A_ERRNO]	 = { .type = NLA_U32 },
	[MEMPLUG_A_ERROR_TEXT]	 = { .type = NLA_NUL_STRING,
				     .len = MEMPLUG_ERROR_TEXT_MAX - 1 },
};

static const struct nla_policy memplug_state_policy[MEMPLUG_A_PLUGGED_SIZE + 1] = {
	[MEMPLUG_A_VM_ID]	   = { .type = NLA_U32 },
	[MEMPLUG_A_HOTPLUG_BODY]   = { .type = NLA_NUL_STRING,
				       .len = MEMPLUG_HOTPLUG_BODY_MAX - 1 },
	[MEMPLUG_A_REQUESTED_SIZE] = { .type = NLA_U64 },
	[MEMPLUG_A_PLUGGED_SIZE]   = { .type = NLA_U64 },
	[MEMPLUG_A_TIMESTAMP_NS]   = { .type = NLA_U64 },
};

static const struct nla_policy memplug_apply_policy[MEMPLUG_A_SLOT + 1] = {
	[MEMPLUG_A_VM_ID]	= { .type = NLA_U32 },
	[MEMPLUG_A_SLOT]	= NLA_POLICY_NESTED(memplug_slot_policy),
};

/*
 * parallel_ops: no genl_mutex around the handlers; they serialize on
 * their own locks, and none of them waits for userspace (the relay in
 * relay.c answers its callers later).
 */
static const struct genl_ops memplug_ops[] = {
	{
		.cmd		= MEMPLUG_CMD_VM_ATTACH,
		.doit		= memplug_nl_vm_attach_doit,
		.policy		= memplug_attach_policy,
		.maxattr	= ARRAY_SIZE(memplug_attach_policy) - 1,
		.flags		= GENL_ADMIN_PERM,
	},
	{
		.cmd		= MEMPLUG_CMD_VM_DETACH,
		.doit		= memplug_nl_vm_detach_doit,
		.policy		= memplug_vm_id_policy,
		.maxattr	= ARRAY_SIZE(memplug_vm_id_policy) - 1,
		.flags		= GENL_ADMIN_PERM,
	},
	{
		.cmd		= MEMPLUG_CMD_SLOTS_APPLY,
		.doit		= memplug_nl_slots_apply_doit,
		.policy		= memplug_apply_policy,
		.maxattr	= ARRAY_SIZE(memplug_apply_policy) - 1,
		.flags		= GENL_ADMIN_PERM,
	},
	{
		.cmd		= MEMPLUG_CMD_VM_GET,
		.doit		= memplug_nl_vm_get_doit,
		.dumpit		= memplug_nl_vm_get_dumpit,
		.policy		= memplug_vm_id_policy,
		.maxattr	= ARRAY_SIZE(memplug_vm_id_policy) - 1,
	},
	{
		.cmd		= MEMPLUG_CMD_SLOT_GET,
		.start		= memplug_nl_slot_get_start,
		.dumpit		= memplug_nl_slot_get_dumpit,
		.policy		= memplug_vm_id_policy,
		.maxattr	= ARRAY_SIZE(memplug_vm_id_policy) - 1,
	},
	{
		.cmd		= MEMPLUG_CMD_HOTPLUG_PUT,
		.doit		= memplug_nl_relay_doit,
		.policy		= memplug_relay_policy,
		.maxattr	= ARRAY_SIZE(memplug_relay_policy) - 1,
		.flags		= GENL_ADMIN_PERM,
	},
	{
		.cmd		= MEMPLUG_CMD_HOTPLUG_PATCH,
		.doit		= memplug_nl_relay_doit,
		.policy		= memplug_relay_policy,
		.maxattr	= ARRAY_SIZE(memplug_relay_policy) - 1,
		.flags		= GENL_ADMIN_PERM,
	},
	{
		.cmd		= MEMPLUG_CMD_HOTPLUG_GET,
		.doit		= memplug_nl_relay_doit,
		.policy		= memplug_relay_policy,
		.maxattr	= ARRAY_SIZE(memplug_relay_policy) - 1,
	},
	{
		.cmd		= MEMPLUG_CMD_VM_START,
		.doit		= memplug_nl_relay_doit,
		.policy		= memplug_relay_policy,
		.maxattr	= ARRAY_SIZE(memplug_relay_policy) - 1,
		.flags		= GENL_ADMIN_PERM,
	},
	{
		.cmd		= MEMPLUG_CMD_HOTPLUG_REPLY,
		.doit		= memplug_nl_hotplug_reply_doit,
		.policy		= memplug_reply_policy,
		.maxattr	= ARRAY_SIZE(memplug_reply_policy) - 1,
		.flags		= GENL_ADMIN_PERM,
	},
	{
		.cmd		= MEMPLUG_CMD_HOTPLUG_EVENT,
		.doit		= memplug_nl_hotplug_event_doit,
		.policy		= memplug_state_policy,
		.maxattr	= ARRAY_SIZE(memplug_state_policy) - 1,
		.flags		= GENL_ADMIN_PERM,
	},
};

enum memplug_mcgrp {
	MEMPLUG_MCGRP_EVENTS_IDX,
};

static const struct genl_multicast_group memplug_mcgrps[] = {
	/* Events name owners' port ids and slot batches: admins only. */
	[MEMPLUG_MCGRP_EVENTS_IDX] = { .name = MEMPLUG_MCGRP_EVENTS,
				       .flags = GENL_MCAST_CAP_NET_ADMIN },
};

struct genl_family memplug_family __ro_after_init = {
	.name		= MEMPLUG_GENL_NAME,
	.version	= MEMPLUG_GENL_VERSION,
	.maxattr	= MEMPLUG_A_MAX,
	.module		= THIS_MODULE,
	.ops		= memplug_ops,
	.n_ops		= ARRAY_SIZE(memplug_ops),
	.mcgrps		= memplug_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(memplug_mcgrps),
	/*
	 * 0: every command gets strict attribute validation, a mandatory
	 * policy and header checks (reserved field, nlmsg_flags).
	 */
	.resv_start_op	= 0,
	.parallel_ops	= true,
};

/*
 * Whether the sender of @skb may see what only admins see (HVAs, owner
 * port ids): the check GENL_ADMIN_PERM makes.
 */
bool memplug_nl_privileged(const struct sk_buff *skb)
{
	return netlink_capable(skb, CAP_NET_ADMIN);
}

/* Cleared before the family goes away so that teardown sends no events. */
static bool memplug_events_on;

/* A slot nest; its HVA only for admins (the VMM's address-space layout). */
int memplug_nl_put_slot(struct sk_buff *skb, u32 id, u64 gpa, u64 size,
			u64 hva, u32 flags, bool priv)
{
	struct nlattr *nest;

	nest = nla_nest_start(skb, MEMPLUG_A_SLOT);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, MEMPLUG_SLOT_A_ID, id) ||
	    nla_put_u64_64bit(skb, MEMPLUG_SLOT_A_GPA, gpa, MEMPLUG_SLOT_A_PAD) ||
	    nla_put_u64_64bit(skb, MEMPLUG_SLOT_A_SIZE, size,
			      MEMPLUG_SLOT_A_PAD) ||
	    (priv && nla_put_u64_64bit(skb, MEMPLUG_SLOT_A_HVA, hva,
				       MEMPLUG_SLOT_A_PAD)) ||
	    nla_put_u32(skb, MEMPLUG_SLOT_A_FLAGS, flags)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/*
 * Events are best effort: a monitor that cannot keep up loses them (its
 * socket reports ENOBUFS), the operation itself never fails because of one.
 */
void memplug_nl_vm_event(struct memplug_vm *vm, u32 event, u32 reason,
			 u32 nr_slots, u64 total_ns, u64 apply_ns)
{
	u64 now = ktime_get_ns();
	struct sk_buff *skb;
	void *hdr;

	if (!READ_ONCE(memplug_events_on) ||
	    !genl_has_listeners(&memplug_family, &init_net,
				MEMPLUG_MCGRP_EVENTS_IDX))
		return;

	skb = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!skb)
		return;
	hdr = genlmsg_put(skb, 0, 0, &memplug_family, 0, MEMPLUG_CMD_VM_EVENT);
	if (!hdr)
		goto err;
	if (nla_put_u32(skb, MEMPLUG_A_EVENT, event) ||
	    nla_put_u64_64bit(skb, MEMPLUG_A_TIMESTAMP_NS, now, MEMPLUG_A_PAD) ||
	    nla_put_u32(skb, MEMPLUG_A_VM_ID, vm->id) ||
	    nla_put_u32(skb, MEMPLUG_A_OWNER_PORTID, vm->owner_portid) ||
	    nla_put_u32(skb, MEMPLUG_A_NR_SLOTS, nr_slots))
		goto err;
	if (event == MEMPLUG_EVENT_DETACHED &&
	    nla_put_u32(skb, MEMPLUG_A_DETACH_REASON, reason))
		goto err;
	if (event == MEMPLUG_EVENT_SLOTS_APPLIED &&
	    (nla_put_u64_64bit(skb, MEMPLUG_A_TIME_TOTAL_NS, total_ns,
			       MEMPLUG_A_PAD) ||
	     nla_put_u64_64bit(skb, MEMPLUG_A_TIME_APPLY_NS, apply_ns,
			       MEMPLUG_A_PAD)))
		goto err;
	genlmsg_end(skb, hdr);
	genlmsg_multicast(&memplug_family, skb, 0, MEMPLUG_MCGRP_EVENTS_IDX,
			  GFP_KERNEL);
	return;
err:
	nlmsg_free(skb);
}

/*
 * The owner's report of a requested/plugged change, for monitors.  Without
 * the GET body the owner sent along: monitors want the sizes, and the
 * events stay small.
 */
void memplug_nl_hotplug_event(struct memplug_vm *vm, u64 requested,
			      u64 plugged, u64 when)
{
	struct sk_buff *skb;
	void *hdr;

	if (!READ_ONCE(memplug_events_on) ||
	    !genl_has_listeners(&memplug_family, &init_net,
				MEMPLUG_MCGRP_EVENTS_IDX))
		return;
	skb = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!skb)
		return;
	hdr = genlmsg_put(skb, 0, 0, &memplug_family, 0,
			  MEMPLUG_CMD_HOTPLUG_EVENT);
	if (!hdr ||
	    nla_put_u32(skb, MEMPLUG_A_VM_ID, vm->id) ||
	    nla_put_u64_64bit(skb, MEMPLUG_A_TIMESTAMP_NS, when,
			      MEMPLUG_A_PAD) ||
	    nla_put_u64_64bit(skb, MEMPLUG_A_REQUESTED_SIZE, requested,
			      MEMPLUG_A_PAD) ||
	    nla_put_u64_64bit(skb, MEMPLUG_A_PLUGGED_SIZE, plugged,
			      MEMPLUG_A_PAD)) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_end(skb, hdr);
	genlmsg_multicast(&memplug_family, skb, 0, MEMPLUG_MCGRP_EVENTS_IDX,
			  GFP_KERNEL);
}

/*
 * The owner's socket went away (close, or its process died): detach its
 * VMs.  netlink_release() calls this chain in process context, so we may
 * sleep on KVM's slots_lock.
 */
static int memplug_netlink_notify(struct notifier_block *nb,
				  unsigned long state, void *ptr)
{
	struct netlink_notify *n = ptr;

	if (state != NETLINK_URELEASE || n->protocol != NETLINK_GENERIC ||
	    !net_eq(n->net, &init_net) || !n->portid)
		return NOTIFY_DONE;
	/* Requests waiting for this owner fail now, not at their timeout. */
	memplug_relay_owner_gone(n->portid);
	memplug_vm_detach_owner(n->portid);
	return NOTIFY_DONE;
}

static struct notifier_block memplug_netlink_nb = {
	.notifier_call = memplug_netlink_notify,
};

static int __init memplug_init(void)
{
	int err;

	err = memplug_relay_init();
	if (err)
		return err;
	/* ORDER: the notifier first, so that no owner can close unseen. */
	err = netlink_register_notifier(&memplug_netlink_nb);
	if (err)
		goto err_relay;
	err = genl_register_family(&memplug_family);
	if (err)
		goto err_notifier;
	WRITE_ONCE(memplug_events_on, true);
	return 0;

err_notifier:
	netlink_unregister_notifier(&memplug_netlink_nb);
err_relay:
	memplug_relay_exit();
	return err;
}

static void __exit memplug_exit(void)
{
	WRITE_ONCE(memplug_events_on, false);
	/* Waits for handlers in flight; afterwards nobody can attach. */
	genl_unregister_family(&memplug_family);
	netlink_unregister_notifier(&memplug_netlink_nb);
	memplug_relay_exit();
	memplug_vm_detach_all();
	memplug_vm_kept_exit();
}

module_init(memplug_init);
module_exit(memplug_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Apply KVM memslot batches for another process's VM");
MODULE_ALIAS_GENL_FAMILY(MEMPLUG_GENL_NAME);
