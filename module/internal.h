/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memplug.ko internals, grouped by the file that defines them.
 *
 * Lock order: memplug_vms_lock -> memplug_vm.lock -> kvm->slots_lock.
 * memplug_vm.state_lock is a leaf: nothing sleeps or waits under it.
 */
#ifndef _MEMPLUG_INTERNAL_H
#define _MEMPLUG_INTERNAL_H

#include <linux/kvm_host.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <net/genetlink.h>
#include <linux/memplug.h>

struct memplug_vm {
	u32 id;
	/*
	 * The owner is its socket, held: a port id alone can be bound by
	 * anyone once the owner's socket has left netlink's table, which
	 * happens before the release notifier detaches the owner's VMs.
	 * The port id is only where relayed requests are sent.
	 */
	struct sock *owner_sk;
	u32 owner_portid;
	struct list_head gone_node;	/* owner teardown, a local list */
	struct list_head leave_node;	/* under memplug_vms_lock, detaching */
	struct kvm *kvm;
	u32 slot_base;
	u32 slot_count;
	u64 gpa_base;
	u64 gpa_size;
	u64 hva_base;
	u64 hva_size;
	u64 attached_ns;
	u32 flags;			/* MEMPLUG_ATTACH_F_* */
	u64 requested_size;		/* reported by the owner, bytes */
	u64 plugged_size;
	/*
	 * The owner's HOTPLUG_GET answer as of its last HOTPLUG_EVENT:
	 * HOTPLUG_GET replies with it and never waits for the owner.  Never
	 * held across anything that sleeps, so a batch cannot delay a GET.
	 */
	spinlock_t state_lock;
	char *get_body;			/* under @state_lock, or NULL */
	refcount_t ref;
	/* Serializes batches against each other and against detach. */
	struct mutex lock;
	bool detached;			/* under @lock */
	unsigned long *added;		/* under @lock, bit i: slot_base + i */
	/*
	 * Under @lock: where each slot in @added was created.  The VMM can
	 * replace a slot by its id behind our back; what no longer matches
	 * is not ours to delete.
	 */
	struct memplug_slot_geo {
		u64 gfn;
		u64 npages;
		u64 hva;
	} *geo;
	u32 nr_added;			/* bits in @added; read without @lock */
	bool inconsistent;		/* an undo failed: see VM_GET */
};

/* main.c */
extern struct genl_family memplug_family;
bool memplug_nl_privileged(const struct sk_buff *skb);
void memplug_nl_vm_event(struct memplug_vm *vm, u32 event, u32 reason,
			 u32 nr_slots, u64 total_ns, u64 apply_ns);
int memplug_nl_put_slot(struct sk_buff *skb, u32 id, u64 gpa, u64 size,
			u64 hva, u32 flags, bool priv);

/*
 * GENL_REQ_ATTR_CHECK() reports only the missing type; memplug promises a
 * message on every rejection, so add one.
 */
static inline bool memplug_req_attr_missing(struct genl_info *info, int attr)
{
	if (info->attrs[attr])
		return false;
	NL_SET_ERR_ATTR_MISS(info->extack, NULL, attr);
	NL_SET_ERR_MSG_MOD(info->extack, "missing required attribute");
	return true;
}

/* vm.c */
bool memplug_vm_slot_ours(const struct memplug_vm *vm,
			  const struct kvm_memory_slot *slot);
void memplug_vm_slot_track(struct memplug_vm *vm, u32 id, u64 gpa, u64 size,
			   u64 hva);
int memplug_nl_vm_attach_doit(struct sk_buff *skb, struct genl_info *info);
int memplug_nl_vm_detach_doit(struct sk_buff *skb, struct genl_info *info);
int memplug_nl_vm_get_doit(struct sk_buff *skb, struct genl_info *info);
int memplug_nl_vm_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int memplug_nl_slot_get_start(struct netlink_callback *cb);
int memplug_nl_slot_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
struct memplug_vm *memplug_vm_get(u32 id);
struct memplug_vm *memplug_vm_get_attr(struct genl_info *info);
void memplug_vm_put(struct memplug_vm *vm);
bool memplug_vm_is_owner(const struct memplug_vm *vm, const struct sk_buff *skb);
void memplug_vm_detach_owner(u32 portid);
void memplug_vm_detach_all(void);
void memplug_vm_kept_exit(void);

/* relay.c */
int memplug_nl_relay_doit(struct sk_buff *skb, struct genl_info *info);
int memplug_nl_hotplug_reply_doit(struct sk_buff *skb, struct genl_info *info);
int memplug_nl_hotplug_event_doit(struct sk_buff *skb, struct genl_info *info);
void memplug_relay_owner_gone(u32 portid);
int memplug_relay_init(void);
void memplug_relay_exit(void);

/* main.c */
void memplug_nl_hotplug_event(struct memplug_vm *vm, u64 requested,
			      u64 plugged, u64 when);

/* slots.c */
int memplug_nl_slots_apply_doit(struct sk_buff *skb, struct genl_info *info);

#endif
