// SPDX-License-Identifier: GPL-2.0
/*
 * Attachments: a KVM VM reference, the ranges its owner may touch and the
 * slots it created.  VM_ATTACH, VM_DETACH, VM_GET and the teardown paths.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/file.h>
#include <linux/idr.h>
#include <linux/slab.h>
#include <net/sock.h>
#include "internal.h"

static DEFINE_MUTEX(memplug_vms_lock);
static DEFINE_IDR(memplug_vms);		/* under memplug_vms_lock */
/*
 * VMs out of the idr whose slots are still being removed, under
 * memplug_vms_lock: until they are gone the VM cannot be attached again,
 * or a new attachment could adopt slots the old one is about to delete.
 */
static LIST_HEAD(memplug_vms_leaving);
static unsigned int memplug_nr_vms;	/* under memplug_vms_lock */

/*
 * What an attachment left in its VM when its owner went away with
 * KEEP_SLOTS: the slots it had created, which the VM's next attachment
 * may take back with ADOPT, and nothing else (a slot the VMM made itself
 * is not ours).  A record holds the VM, so that the struct kvm it names is
 * never another VM's; memplug_kept_work drops it once nobody else holds
 * the VM, and the VM's next attachment takes it, adopting or not.  At
 * most one per VM: only the VM's one attachment leaves one.
 */
struct memplug_kept {
	struct list_head node;		/* on memplug_kept */
	struct kvm *kvm;		/* held */
	u32 slot_base;
	u32 slot_count;
	unsigned long *added;		/* as in struct memplug_vm */
	struct memplug_slot_geo *geo;
};

static LIST_HEAD(memplug_kept);		/* under memplug_vms_lock */
static void memplug_kept_prune(struct work_struct *work);
static DECLARE_DELAYED_WORK(memplug_kept_work, memplug_kept_prune);
#define MEMPLUG_KEPT_PRUNE	HZ

/* May drop the last VM reference: not under memplug_vms_lock. */
static void memplug_kept_free(struct memplug_kept *k)
{
	kvm_put_kvm(k->kvm);
	bitmap_free(k->added);
	kvfree(k->geo);
	kfree(k);
}

static void memplug_kept_prune(struct work_struct *work)
{
	struct memplug_kept *k, *tmp;
	LIST_HEAD(gone);
	bool more;

	mutex_lock(&memplug_vms_lock);
	list_for_each_entry_safe(k, tmp, &memplug_kept, node) {
		/* Ours is the only reference: nobody can attach it again. */
		if (refcount_read(&k->kvm->users_count) == 1)
			list_move_tail(&k->node, &gone);
	}
	more = !list_empty(&memplug_kept);
	mutex_unlock(&memplug_vms_lock);
	list_for_each_entry_safe(k, tmp, &gone, node)
		memplug_kept_free(k);
	if (more)
		schedule_delayed_work(&memplug_kept_work, MEMPLUG_KEPT_PRUNE);
}

/* The record @kvm's last attachment left, off the list; memplug_vms_lock. */
static struct memplug_kept *memplug_kept_take(struct kvm *kvm)
{
	struct memplug_kept *k;

	list_for_each_entry(k, &memplug_kept, node) {
		if (k->kvm == kvm) {
			list_del(&k->node);
			return k;
		}
	}
	return NULL;
}

/*
 * A record of the slots @vm leaves in KVM (detached, @vm->lock held:
 * nothing reads @vm->added or @vm->geo any more, so they move over).
 * NULL if there are none, or no memory: then the slots stay the VM's.
 */
static struct memplug_kept *memplug_kept_new(struct memplug_vm *vm)
{
	struct memplug_kept *k;

	if (bitmap_empty(vm->added, vm->slot_count))
		return NULL;
	k = kzalloc(sizeof(*k), GFP_KERNEL_ACCOUNT);
	if (!k) {
		pr_warn("VM %u: no memory to remember its slots; ADOPT will not take them\n",
			vm->id);
		return NULL;
	}
	k->kvm = vm->kvm;
	kvm_get_kvm(k->kvm);
	k->slot_base = vm->slot_base;
	k->slot_count = vm->slot_count;
	k->added = vm->added;
	k->geo = vm->geo;
	vm->added = NULL;
	vm->geo = NULL;
	return k;
}

/* Module exit, after every VM was detached: no record can be added. */
void memplug_vm_kept_exit(void)
{
	struct memplug_kept *k, *tmp;

	cancel_delayed_work_sync(&memplug_kept_work);
	list_for_each_entry_safe(k, tmp, &memplug_kept, node) {
		list_del(&k->node);
		memplug_kept_free(k);
	}
}

struct memplug_vm *memplug_vm_get(u32 id)
{
	struct memplug_vm *vm;

	mutex_lock(&memplug_vms_lock);
	vm = idr_find(&memplug_vms, id);
	if (vm)
		refcount_inc(&vm->ref);
	mutex_unlock(&memplug_vms_lock);
	return vm;
}

/*
 * The VM named by the request's MEMPLUG_A_VM_ID, with a reference; or an
 * ERR_PTR with the extack message set.
 */
struct memplug_vm *memplug_vm_get_attr(struct genl_info *info)
{
	struct memplug_vm *vm;

	if (memplug_req_attr_missing(info, MEMPLUG_A_VM_ID))
		return ERR_PTR(-EINVAL);
	vm = memplug_vm_get(nla_get_u32(info->attrs[MEMPLUG_A_VM_ID]));
	if (!vm) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[MEMPLUG_A_VM_ID],
				    "no VM attached with this id");
		return ERR_PTR(-ENOENT);
	}
	return vm;
}

/*
 * The last put may drop the last KVM reference too (the VMM exited first);
 * KVM then destroys the VM here, which is fine in process context.
 */
void memplug_vm_put(struct memplug_vm *vm)
{
	if (!refcount_dec_and_test(&vm->ref))
		return;
	kvm_put_kvm(vm->kvm);
	sock_put(vm->owner_sk);
	bitmap_free(vm->added);
	kvfree(vm->geo);
	kfree(vm->get_body);
	kfree(vm);
}

/* @slot (in KVM now) is one this attachment created or adopted; @vm->lock. */
bool memplug_vm_slot_ours(const struct memplug_vm *vm,
			  const struct kvm_memory_slot *slot)
{
	u32 i = slot->id - vm->slot_base;

	return i < vm->slot_count && test_bit(i, vm->added) &&
	       vm->geo[i].gfn == slot->base_gfn &&
	       vm->geo[i].npages == slot->npages &&
	       vm->geo[i].hva == slot->userspace_addr;
}

/* Slot @id is ours now, at this place; @vm->lock held. */
void memplug_vm_slot_track(struct memplug_vm *vm, u32 id, u64 gpa, u64 size,
			   u64 hva)
{
	u32 i = id - vm->slot_base;

	set_bit(i, vm->added);
	vm->geo[i].gfn = gpa >> PAGE_SHIFT;
	vm->geo[i].npages = size >> PAGE_SHIFT;
	vm->geo[i].hva = hva;
}

/* The request came from the owner's socket, not just from its port id. */
bool memplug_vm_is_owner(const struct memplug_vm *vm, const struct sk_buff *skb)
{
	return NETLINK_CB(skb).sk == vm->owner_sk;
}

/* Removes the slots this attachment created.  Returns how many. */
static u32 memplug_vm_remove_slots(struct memplug_vm *vm)
{
	struct kvm *kvm = vm->kvm;
	unsigned int bit;
	u32 removed = 0;

	mutex_lock(&kvm->slots_lock);
	for_each_set_bit(bit, vm->added, vm->slot_count) {
		struct kvm_userspace_memory_region mem = {
			.slot = vm->slot_base + bit,
		};
		struct kvm_memory_slot *slot;
		int err;

		slot = id_to_memslot(__kvm_memslots(kvm, 0), mem.slot);
		/* Gone, or replaced by the VMM: not ours to delete. */
		if (!slot || !memplug_vm_slot_ours(vm, slot))
			continue;
		err = __kvm_set_memory_region(kvm, &mem);
		if (err)
			pr_err("VM %u: cannot remove slot %u: %d\n",
			       vm->id, mem.slot, err);
		else
			removed++;
	}
	mutex_unlock(&kvm->slots_lock);
	bitmap_zero(vm->added, vm->slot_count);
	WRITE_ONCE(vm->nr_added, 0);
	return removed;
}

/* @vm is already out of the idr; this drops the idr's reference. */
static void memplug_vm_detach(struct memplug_vm *vm, u32 reason)
{
	struct memplug_kept *kept = NULL;
	u32 removed = 0;

	mutex_lock(&vm->lock);
	vm->detached = true;
	/*
	 * A daemon that dies or restarts must not take the plugged memory
	 * away from a running guest: with KEEP_SLOTS the slots stay in KVM
	 * (they are the VM's, not ours) until the VM goes or a new
	 * attachment adopts them.
	 */
	/*
	 * The same for a module upgrade (rmmod): the guests keep their
	 * memory, and the reloaded module's attachments adopt the slots.
	 */
	if (reason == MEMPLUG_DETACH_REQUEST ||
	    !(vm->flags & MEMPLUG_ATTACH_F_KEEP_SLOTS))
		removed = memplug_vm_remove_slots(vm);
	else if (reason == MEMPLUG_DETACH_OWNER_CLOSED)
		kept = memplug_kept_new(vm);
	mutex_unlock(&vm->lock);
	memplug_nl_vm_event(vm, MEMPLUG_EVENT_DETACHED, reason, removed, 0, 0);
	/* With leave_node: a new attachment sees us leaving, or the record. */
	mutex_lock(&memplug_vms_lock);
	if (kept) {
		list_add_tail(&kept->node, &memplug_kept);
		schedule_delayed_work(&memplug_kept_work, MEMPLUG_KEPT_PRUNE);
	}
	list_del(&vm->leave_node);
	mutex_unlock(&memplug_vms_lock);
	memplug_vm_put(vm);
}

static struct memplug_vm *memplug_vm_unlink(struct memplug_vm *vm)
{
	idr_remove(&memplug_vms, vm->id);
	memplug_nr_vms--;
	list_add_tail(&vm->leave_node, &memplug_vms_leaving);
	return vm;
}

/*
 * The owner's socket is being released.  Its port id left netlink's table
 * before this runs, so a new socket may hold it already: only VMs whose
 * owner socket is dead are the closing owner's.  They are all unlinked in
 * one pass, so that none stays reachable while the others are torn down.
 */
void memplug_vm_detach_owner(u32 portid)
{
	struct memplug_vm *vm, *tmp;
	LIST_HEAD(gone);
	int id;

	mutex_lock(&memplug_vms_lock);
	idr_for_each_entry(&memplug_vms, vm, id) {
		if (vm->owner_portid == portid &&
		    sock_flag(vm->owner_sk, SOCK_DEAD)) {
			memplug_vm_unlink(vm);
			list_add_tail(&vm->gone_node, &gone);
		}
	}
	mutex_unlock(&memplug_vms_lock);
	list_for_each_entry_safe(vm, tmp, &gone, gone_node)
		memplug_vm_detach(vm, MEMPLUG_DETACH_OWNER_CLOSED);
}

void memplug_vm_detach_all(void)
{
	struct memplug_vm *vm;
	int id;

	for (;;) {
		id = 0;
		mutex_lock(&memplug_vms_lock);
		vm = idr_get_next(&memplug_vms, &id);
		if (vm)
			memplug_vm_unlink(vm);
		mutex_unlock(&memplug_vms_lock);
		if (!vm)
			break;
		memplug_vm_detach(vm, MEMPLUG_DETACH_UNLOAD);
	}
	idr_destroy(&memplug_vms);
}

/*
 * KVM refuses slots above its largest GFN, which comes from the host's
 * MAXPHYADDR (kvm_mmu_max_gfn() with TDP; KVM's own helper is not
 * exported): refuse such ranges at attach, before any batch touches KVM.
 */
static unsigned int memplug_phys_bits(void)
{
	if (boot_cpu_data.extended_cpuid_level < 0x80000008)
		return boot_cpu_data.x86_phys_bits;
	return cpuid_eax(0x80000008) & 0xff;
}

static bool memplug_range_ok(u64 base, u64 size, u64 limit)
{
	return base + size >= base && base + size <= limit;
}

/* Checks everything that needs no VM; 0 or -errno with extack set. */
static int memplug_attach_check(struct genl_info *info)
{
	struct nlattr **tb = info->attrs;
	u32 base, count;

	if (memplug_req_attr_missing(info, MEMPLUG_A_VM_FD) ||
	    memplug_req_attr_missing(info, MEMPLUG_A_SLOT_BASE) ||
	    memplug_req_attr_missing(info, MEMPLUG_A_SLOT_COUNT) ||
	    memplug_req_attr_missing(info, MEMPLUG_A_GPA_BASE) ||
	    memplug_req_attr_missing(info, MEMPLUG_A_GPA_SIZE) ||
	    memplug_req_attr_missing(info, MEMPLUG_A_HVA_BASE) ||
	    memplug_req_attr_missing(info, MEMPLUG_A_HVA_SIZE))
		return -EINVAL;

	base = nla_get_u32(tb[MEMPLUG_A_SLOT_BASE]);
	count = nla_get_u32(tb[MEMPLUG_A_SLOT_COUNT]);
	/* Ids at or above KVM_USER_MEM_SLOTS are KVM's private slots. */
	if (base + count > KVM_USER_MEM_SLOTS) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[MEMPLUG_A_SLOT_COUNT],
				    "slot id range ends beyond KVM's user memslots");
		return -ERANGE;
	}
	if (!PAGE_ALIGNED(nla_get_u64(tb[MEMPLUG_A_GPA_BASE]))) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[MEMPLUG_A_GPA_BASE],
				    "GPA base is not page aligned");
		return -EINVAL;
	}
	if (!PAGE_ALIGNED(nla_get_u64(tb[MEMPLUG_A_GPA_SIZE]))) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[MEMPLUG_A_GPA_SIZE],
				    "GPA size is not page aligned");
		return -EINVAL;
	}
	if (!PAGE_ALIGNED(nla_get_u64(tb[MEMPLUG_A_HVA_BASE]))) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[MEMPLUG_A_HVA_BASE],
				    "HVA base is not page aligned");
		return -EINVAL;
	}
	if (!PAGE_ALIGNED(nla_get_u64(tb[MEMPLUG_A_HVA_SIZE]))) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[MEMPLUG_A_HVA_SIZE],
				    "HVA size is not page aligned");
		return -EINVAL;
	}
	if (!memplug_range_ok(nla_get_u64(tb[MEMPLUG_A_GPA_BASE]),
			      nla_get_u64(tb[MEMPLUG_A_GPA_SIZE]),
			      MEMPLUG_ADDR_LIMIT)) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[MEMPLUG_A_GPA_SIZE],
				    "GPA range ends beyond 2^52");
		return -ERANGE;
	}
	if (!memplug_range_ok(nla_get_u64(tb[MEMPLUG_A_GPA_BASE]),
			      nla_get_u64(tb[MEMPLUG_A_GPA_SIZE]),
			      1ULL << memplug_phys_bits())) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[MEMPLUG_A_GPA_SIZE],
				    "GPA range ends beyond the CPU's physical address bits");
		return -ERANGE;
	}
	if (!memplug_range_ok(nla_get_u64(tb[MEMPLUG_A_HVA_BASE]),
			      nla_get_u64(tb[MEMPLUG_A_HVA_SIZE]),
			      TASK_SIZE_MAX)) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[MEMPLUG_A_HVA_SIZE],
				    "HVA range ends beyond user space");
		return -ERANGE;
	}
	return 0;
}

static struct memplug_vm *memplug_vm_alloc(struct sk_buff *skb,
					   struct genl_info *info)
{
	struct nlattr **tb = info->attrs;
	struct memplug_vm *vm;

	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		return NULL;
	vm->slot_base = nla_get_u32(tb[MEMPLUG_A_SLOT_BASE]);
	vm->slot_count = nla_get_u32(tb[MEMPLUG_A_SLOT_COUNT]);
	vm->added = bitmap_zalloc(vm->slot_count, GFP_KERNEL_ACCOUNT);
	vm->geo = kvcalloc(vm->slot_count, sizeof(*vm->geo), GFP_KERNEL_ACCOUNT);
	if (!vm->added || !vm->geo) {
		bitmap_free(vm->added);
		kvfree(vm->geo);
		kfree(vm);
		return NULL;
	}
	vm->gpa_base = nla_get_u64(tb[MEMPLUG_A_GPA_BASE]);
	vm->gpa_size = nla_get_u64(tb[MEMPLUG_A_GPA_SIZE]);
	vm->hva_base = nla_get_u64(tb[MEMPLUG_A_HVA_BASE]);
	vm->hva_size = nla_get_u64(tb[MEMPLUG_A_HVA_SIZE]);
	if (tb[MEMPLUG_A_ATTACH_FLAGS])
		vm->flags = nla_get_u32(tb[MEMPLUG_A_ATTACH_FLAGS]);
	vm->owner_portid = info->snd_portid;
	vm->owner_sk = NETLINK_CB(skb).sk;
	sock_hold(vm->owner_sk);
	mutex_init(&vm->lock);
	spin_lock_init(&vm->state_lock);
	refcount_set(&vm->ref, 1);
	return vm;
}

/*
 * ADOPT: the slots @k says the VM's last attachment left become this
 * attachment's, where KVM still has them as that attachment created them
 * and they lie inside both ranges.  ADOPT_ANY: every slot of the VM in our
 * id range inside both ranges, whoever made it.  Returns how many.
 */
static u32 memplug_vm_adopt(struct memplug_vm *vm,
			    const struct memplug_kept *k)
{
	bool any = vm->flags & MEMPLUG_ATTACH_F_ADOPT_ANY;
	struct kvm_memory_slot *slot;
	struct kvm_memslots *slots;
	u32 i, j, nr = 0;
	u64 gpa, size;

	if (!any && !k)
		return 0;
	mutex_lock(&vm->kvm->slots_lock);
	slots = __kvm_memslots(vm->kvm, 0);
	for (i = 0; i < vm->slot_count; i++) {
		slot = id_to_memslot(slots, vm->slot_base + i);
		if (!slot || !slot->npages)
			continue;
		gpa = (u64)slot->base_gfn << PAGE_SHIFT;
		size = (u64)slot->npages << PAGE_SHIFT;
		if (gpa < vm->gpa_base ||
		    gpa + size > vm->gpa_base + vm->gpa_size ||
		    slot->userspace_addr < vm->hva_base ||
		    slot->userspace_addr + size > vm->hva_base + vm->hva_size)
			continue;
		j = slot->id - (k ? k->slot_base : 0);
		if (!any &&
		    (slot->id < k->slot_base || j >= k->slot_count ||
		     !test_bit(j, k->added) ||
		     k->geo[j].gfn != slot->base_gfn ||
		     k->geo[j].npages != slot->npages ||
		     k->geo[j].hva != slot->userspace_addr))
			continue;
		memplug_vm_slot_track(vm, slot->id, gpa, size,
				      slot->userspace_addr);
		nr++;
	}
	mutex_unlock(&vm->kvm->slots_lock);
	WRITE_ONCE(vm->nr_added, nr);
	return nr;
}

/*
 * The owner cannot close its socket while this runs: netlink delivers the
 * request synchronously inside the owner's sendmsg(), which holds a file
 * reference.  So the URELEASE notifier always sees the attachment.
 */
int memplug_nl_vm_attach_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct memplug_kept *kept;
	struct memplug_vm *vm, *other;
	struct sk_buff *reply;
	struct fd f;
	void *hdr;
	int err, id;

	err = memplug_attach_check(info);
	if (err)
		return err;
	vm = memplug_vm_alloc(skb, info);
	if (!vm)
		return -ENOMEM;

	/* The fd is looked up in the caller's fd table, i.e. the owner's. */
	f = fdget(nla_get_u32(info->attrs[MEMPLUG_A_VM_FD]));
	if (!f.file) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[MEMPLUG_A_VM_FD],
				    "not an open file descriptor");
		err = -EBADF;
		goto err_free;
	}
	if (!file_is_kvm(f.file)) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[MEMPLUG_A_VM_FD],
				    "not a KVM VM file descriptor");
		err = -EINVAL;
		fdput(f);
		goto err_free;
	}
	vm->kvm = f.file->private_data;
	kvm_get_kvm(vm->kvm);
	fdput(f);

	mutex_lock(&memplug_vms_lock);
	idr_for_each_entry(&memplug_vms, other, id) {
		if (other->kvm == vm->kvm) {
			NL_SET_ERR_MSG_ATTR(info->extack,
					    info->attrs[MEMPLUG_A_VM_FD],
					    "this VM is already attached");
			err = -EBUSY;
			goto err_unlock;
		}
	}
	list_for_each_entry(other, &memplug_vms_leaving, leave_node) {
		if (other->kvm == vm->kvm) {
			NL_SET_ERR_MSG_ATTR(info->extack,
					    info->attrs[MEMPLUG_A_VM_FD],
					    "this VM is being detached; try again");
			err = -EBUSY;
			goto err_unlock;
		}
	}
	if (memplug_nr_vms >= MEMPLUG_VMS_MAX) {
		NL_SET_ERR_MSG_MOD(info->extack, "too many attached VMs");
		err = -ENOSPC;
		goto err_unlock;
	}
	reply = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!reply) {
		err = -ENOMEM;
		goto err_unlock;
	}
	/* Cyclic: a stale id names no VM for a long time, not the next one. */
	id = idr_alloc_cyclic(&memplug_vms, vm, 1, INT_MAX, GFP_KERNEL);
	if (id < 0) {
		nlmsg_free(reply);
		err = id;
		goto err_unlock;
	}
	vm->id = id;
	vm->attached_ns = ktime_get_ns();
	memplug_nr_vms++;
	/*
	 * Still under memplug_vms_lock, so nobody can reach the VM yet, and
	 * no other attachment of it exists or is leaving: no slot adopted
	 * here is deleted by anyone else.  Adopting or not, this attachment
	 * takes the last one's record.
	 */
	kept = memplug_kept_take(vm->kvm);
	if (vm->flags & (MEMPLUG_ATTACH_F_ADOPT | MEMPLUG_ATTACH_F_ADOPT_ANY))
		memplug_vm_adopt(vm, kept);
	/*
	 * Once in the idr the VM may be detached by another thread on the
	 * owner's socket and freed: announce it before anyone can, so that
	 * the event reads a live VM and comes before its DETACHED.
	 */
	memplug_nl_vm_event(vm, MEMPLUG_EVENT_ATTACHED, 0, 0, 0, 0);
	mutex_unlock(&memplug_vms_lock);
	/* Not the last VM reference: the new attachment holds one. */
	if (kept)
		memplug_kept_free(kept);

	hdr = genlmsg_put_reply(reply, info, &memplug_family, 0,
				MEMPLUG_CMD_VM_ATTACH);
	if (!hdr || nla_put_u32(reply, MEMPLUG_A_VM_ID, id)) {
		nlmsg_free(reply);
		return -EMSGSIZE;
	}
	genlmsg_end(reply, hdr);
	return genlmsg_reply(reply, info);

err_unlock:
	mutex_unlock(&memplug_vms_lock);
	kvm_put_kvm(vm->kvm);
err_free:
	sock_put(vm->owner_sk);
	bitmap_free(vm->added);
	kvfree(vm->geo);
	kfree(vm);
	return err;
}

int memplug_nl_vm_detach_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct memplug_vm *vm;
	u32 id;

	if (memplug_req_attr_missing(info, MEMPLUG_A_VM_ID))
		return -EINVAL;
	id = nla_get_u32(info->attrs[MEMPLUG_A_VM_ID]);

	mutex_lock(&memplug_vms_lock);
	vm = idr_find(&memplug_vms, id);
	if (!vm) {
		mutex_unlock(&memplug_vms_lock);
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[MEMPLUG_A_VM_ID],
				    "no VM attached with this id");
		return -ENOENT;
	}
	if (!memplug_vm_is_owner(vm, skb)) {
		mutex_unlock(&memplug_vms_lock);
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[MEMPLUG_A_VM_ID],
				    "only the VM's owner may detach it");
		return -EPERM;
	}
	memplug_vm_unlink(vm);
	mutex_unlock(&memplug_vms_lock);
	memplug_vm_detach(vm, MEMPLUG_DETACH_REQUEST);
	return 0;
}

/*
 * One VM_GET message.  It never lists slots (SLOT_GET does, one per
 * message) and takes no KVM lock, so anyone may ask as often as they like.
 */
static int memplug_vm_fill(struct sk_buff *skb, struct memplug_vm *vm,
			   u32 portid, u32 seq, int flags, bool priv)
{
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &memplug_family, flags,
			  MEMPLUG_CMD_VM_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, MEMPLUG_A_VM_ID, vm->id) ||
	    nla_put_u32(skb, MEMPLUG_A_SLOT_BASE, vm->slot_base) ||
	    nla_put_u32(skb, MEMPLUG_A_SLOT_COUNT, vm->slot_count) ||
	    nla_put_u64_64bit(skb, MEMPLUG_A_GPA_BASE, vm->gpa_base,
			      MEMPLUG_A_PAD) ||
	    nla_put_u64_64bit(skb, MEMPLUG_A_GPA_SIZE, vm->gpa_size,
			      MEMPLUG_A_PAD) ||
	    nla_put_u64_64bit(skb, MEMPLUG_A_TIMESTAMP_NS, vm->attached_ns,
			      MEMPLUG_A_PAD) ||
	    nla_put_u32(skb, MEMPLUG_A_ATTACH_FLAGS, vm->flags) ||
	    nla_put_u32(skb, MEMPLUG_A_NR_SLOTS, READ_ONCE(vm->nr_added)) ||
	    nla_put_u64_64bit(skb, MEMPLUG_A_REQUESTED_SIZE,
			      READ_ONCE(vm->requested_size), MEMPLUG_A_PAD) ||
	    nla_put_u64_64bit(skb, MEMPLUG_A_PLUGGED_SIZE,
			      READ_ONCE(vm->plugged_size), MEMPLUG_A_PAD) ||
	    (READ_ONCE(vm->inconsistent) &&
	     nla_put_flag(skb, MEMPLUG_A_INCONSISTENT)))
		goto cancel;
	/*
	 * The VMM's address-space layout (it defeats the VMM's ASLR) and
	 * the owner's port id are for admins only.
	 */
	if (priv &&
	    (nla_put_u32(skb, MEMPLUG_A_OWNER_PORTID, vm->owner_portid) ||
	     nla_put_u64_64bit(skb, MEMPLUG_A_HVA_BASE, vm->hva_base,
			       MEMPLUG_A_PAD) ||
	     nla_put_u64_64bit(skb, MEMPLUG_A_HVA_SIZE, vm->hva_size,
			       MEMPLUG_A_PAD)))
		goto cancel;
	genlmsg_end(skb, hdr);
	return 0;

cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

int memplug_nl_vm_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct memplug_vm *vm;
	struct sk_buff *reply;
	int err;

	vm = memplug_vm_get_attr(info);
	if (IS_ERR(vm))
		return PTR_ERR(vm);
	reply = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!reply) {
		err = -ENOMEM;
		goto out;
	}
	err = memplug_vm_fill(reply, vm, info->snd_portid, info->snd_seq, 0,
			      memplug_nl_privileged(skb));
	if (err) {
		nlmsg_free(reply);
		goto out;
	}
	err = genlmsg_reply(reply, info);
out:
	memplug_vm_put(vm);
	return err;
}

/* cb->args[0]: the next VM id to dump. */
int memplug_nl_vm_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct memplug_vm *vm;
	int id = cb->args[0];
	int err;

	for (;;) {
		mutex_lock(&memplug_vms_lock);
		vm = idr_get_next(&memplug_vms, &id);
		if (vm)
			refcount_inc(&vm->ref);
		mutex_unlock(&memplug_vms_lock);
		if (!vm)
			break;
		err = memplug_vm_fill(skb, vm, NETLINK_CB(cb->skb).portid,
				      cb->nlh->nlmsg_seq, NLM_F_MULTI,
				      memplug_nl_privileged(cb->skb));
		memplug_vm_put(vm);
		if (err)
			break;
		id++;
	}
	cb->args[0] = id;
	return skb->len;
}
