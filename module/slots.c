// SPDX-License-Identifier: GPL-2.0
/*
 * SLOTS_APPLY: one atomic batch of memslot creations and deletions (and
 * SLOT_GET, the dump of a VM's slots as KVM has them, at the end).
 *
 * The exported __kvm_set_memory_region() skips the ioctl path's checks on
 * slot ids and has no notion of the ranges an owner registered, so every
 * entry is checked here before anything is touched; KVM can then only fail
 * on resources (memory), and those failures are rolled back.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/memcontrol.h>
#include <linux/moduleparam.h>
#include <linux/sched/mm.h>
#include <linux/sort.h>
#include <linux/slab.h>
#include "internal.h"

#define CREATE_TRACE_POINTS
#include "memplug_trace.h"

#ifdef MEMPLUG_FAULT_INJECT
/*
 * Fault injection for the selftests, in a build from the checkout only
 * (module/Kbuild): the batch entry with this index fails as if KVM ran out
 * of memory, which exercises the rollback path that pre-validation
 * otherwise leaves unreachable.  -1: off.
 */
static int fault_entry = -1;
module_param(fault_entry, int, 0600);
MODULE_PARM_DESC(fault_entry, "selftests: fail the Nth batch entry (-1: off)");
/* The same for undoing the Nth entry of a batch that is rolled back. */
static int fault_undo = -1;
module_param(fault_undo, int, 0600);
MODULE_PARM_DESC(fault_undo, "selftests: fail undoing the Nth entry (-1: off)");
/* The batch's reply cannot be allocated, as if the kernel ran out of memory. */
static bool fault_reply;
module_param(fault_reply, bool, 0600);
MODULE_PARM_DESC(fault_reply, "selftests: fail allocating the batch's reply");
#define memplug_fault(param, idx)	((idx) == READ_ONCE(param))
#define memplug_fault_on(param)		READ_ONCE(param)
#else
#define memplug_fault(param, idx)	false
#define memplug_fault_on(param)		false
#endif

enum memplug_op {
	MEMPLUG_OP_CREATE,
	MEMPLUG_OP_DELETE,
	MEMPLUG_OP_FLAGS,
};

struct memplug_entry {
	u32 id;
	u32 flags;
	u64 gpa;
	u64 size;
	u64 hva;
	enum memplug_op op;
	const struct nlattr *nla;	/* for extack */
	/* The slot before the batch (DELETE, FLAGS): what rollback restores. */
	u64 old_gpa;
	u64 old_size;
	u64 old_hva;
	u32 old_flags;
};

/*
 * @e, @by_gpa, @ids and @deleted are one allocation (memplug_batch_alloc):
 * a batch's fixed cost is what a small batch pays per slot.
 */
struct memplug_batch {
	struct memplug_entry *e;
	struct memplug_entry **by_gpa;	/* the created entries, for sorting */
	u32 n;
	unsigned long *ids;		/* ids in the batch, bit i: base + i */
	unsigned long *deleted;		/* ids the batch deletes */
	u64 t_parse, t_lock, t_check, t_apply;
	/* For batch_end: what KVM applied and what undoing it did. */
	u32 applied;
	u32 undo_failed;
	bool rolled_back;
};

static bool memplug_in(u64 addr, u64 size, u64 base, u64 limit)
{
	return addr >= base && addr + size >= addr &&
	       addr + size <= base + limit;
}

static int memplug_parse_entry(struct memplug_vm *vm, struct memplug_entry *e,
			       const struct nlattr *nla,
			       struct netlink_ext_ack *extack)
{
	struct nlattr *tb[MEMPLUG_SLOT_A_MAX + 1];
	int err;

	/* The family's policy already validated this nest; parse it again. */
	err = nla_parse_nested(tb, MEMPLUG_SLOT_A_MAX, nla, NULL, extack);
	if (err)
		return err;
	if (NL_REQ_ATTR_CHECK(extack, nla, tb, MEMPLUG_SLOT_A_ID) ||
	    NL_REQ_ATTR_CHECK(extack, nla, tb, MEMPLUG_SLOT_A_SIZE)) {
		NL_SET_ERR_MSG_MOD(extack, "slot without id or size");
		return -EINVAL;
	}
	e->nla = nla;
	e->id = nla_get_u32(tb[MEMPLUG_SLOT_A_ID]);
	e->size = nla_get_u64(tb[MEMPLUG_SLOT_A_SIZE]);
	if (e->id < vm->slot_base || e->id - vm->slot_base >= vm->slot_count) {
		NL_SET_ERR_MSG_ATTR(extack, tb[MEMPLUG_SLOT_A_ID],
				    "slot id outside the VM's slot id range");
		return -ERANGE;
	}
	if (!e->size) {
		e->op = MEMPLUG_OP_DELETE;
		return 0;
	}
	e->op = MEMPLUG_OP_CREATE;
	if (NL_REQ_ATTR_CHECK(extack, nla, tb, MEMPLUG_SLOT_A_GPA) ||
	    NL_REQ_ATTR_CHECK(extack, nla, tb, MEMPLUG_SLOT_A_HVA)) {
		NL_SET_ERR_MSG_MOD(extack, "created slot without GPA or HVA");
		return -EINVAL;
	}
	e->gpa = nla_get_u64(tb[MEMPLUG_SLOT_A_GPA]);
	e->hva = nla_get_u64(tb[MEMPLUG_SLOT_A_HVA]);
	if (tb[MEMPLUG_SLOT_A_FLAGS])
		e->flags = nla_get_u32(tb[MEMPLUG_SLOT_A_FLAGS]);
	if (!PAGE_ALIGNED(e->size)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[MEMPLUG_SLOT_A_SIZE],
				    "slot size is not page aligned");
		return -EINVAL;
	}
	if (e->size >> PAGE_SHIFT > KVM_MEM_MAX_NR_PAGES) {
		NL_SET_ERR_MSG_ATTR(extack, tb[MEMPLUG_SLOT_A_SIZE],
				    "slot larger than KVM allows");
		return -EINVAL;
	}
	if (!PAGE_ALIGNED(e->gpa)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[MEMPLUG_SLOT_A_GPA],
				    "slot GPA is not page aligned");
		return -EINVAL;
	}
	if (!PAGE_ALIGNED(e->hva)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[MEMPLUG_SLOT_A_HVA],
				    "slot HVA is not page aligned");
		return -EINVAL;
	}
	if (!memplug_in(e->gpa, e->size, vm->gpa_base, vm->gpa_size)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[MEMPLUG_SLOT_A_GPA],
				    "slot outside the VM's GPA range");
		return -ERANGE;
	}
	if (!memplug_in(e->hva, e->size, vm->hva_base, vm->hva_size)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[MEMPLUG_SLOT_A_HVA],
				    "slot memory outside the VM's HVA range");
		return -ERANGE;
	}
	return 0;
}

static int memplug_cmp_gpa(const void *a, const void *b)
{
	const struct memplug_entry *x = *(const struct memplug_entry **)a;
	const struct memplug_entry *y = *(const struct memplug_entry **)b;

	if (x->gpa != y->gpa)
		return x->gpa < y->gpa ? -1 : 1;
	return 0;
}

/* Two slots created by the same batch must not overlap: sort by GPA. */
static int memplug_check_batch_overlap(struct memplug_batch *b,
				       struct netlink_ext_ack *extack)
{
	struct memplug_entry **v = b->by_gpa;
	u32 i, n = 0;

	for (i = 0; i < b->n; i++)
		if (b->e[i].op == MEMPLUG_OP_CREATE)
			v[n++] = &b->e[i];
	if (n < 2)
		return 0;
	sort(v, n, sizeof(*v), memplug_cmp_gpa, NULL);
	for (i = 1; i < n; i++) {
		if (v[i - 1]->gpa + v[i - 1]->size > v[i]->gpa) {
			/* Blame the later entry of the two in the request. */
			const struct nlattr *bad = v[i]->nla > v[i - 1]->nla ?
						   v[i]->nla : v[i - 1]->nla;

			NL_SET_ERR_MSG_ATTR(extack, bad,
					    "slot overlaps another slot of the batch");
			return -EEXIST;
		}
	}
	return 0;
}

/* The number of slot entries in the request. */
static u32 memplug_batch_count(struct genl_info *info)
{
	const struct nlattr *nla;
	u32 n = 0;
	int rem;

	nlmsg_for_each_attr(nla, info->nlhdr, GENL_HDRLEN, rem)
		if (nla_type(nla) == MEMPLUG_A_SLOT)
			n++;
	return n;
}

static int memplug_batch_alloc(struct memplug_vm *vm, struct memplug_batch *b,
			       u32 n)
{
	size_t map = BITS_TO_LONGS(vm->slot_count) * sizeof(long);
	size_t per = sizeof(*b->e) + sizeof(*b->by_gpa);
	void *p;

	/* n <= MEMPLUG_BATCH_MAX, slot_count <= MEMPLUG_SLOTS_MAX: no overflow */
	p = kvzalloc(n * per + 2 * map, GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	b->e = p;
	b->by_gpa = p + n * sizeof(*b->e);
	b->ids = p + n * per;
	b->deleted = p + n * per + map;
	return 0;
}

/* Everything that needs no lock: attributes, ranges, duplicates. */
static int memplug_batch_parse(struct memplug_vm *vm, struct memplug_batch *b,
			       u32 n, struct genl_info *info)
{
	const struct nlattr *nla;
	u32 i = 0;
	int rem, err;

	if (!n) {
		NL_SET_ERR_MSG_MOD(info->extack, "the batch has no slots");
		return -EINVAL;
	}
	if (n > MEMPLUG_BATCH_MAX) {
		NL_SET_ERR_MSG_MOD(info->extack,
				   "the batch has more than MEMPLUG_BATCH_MAX slots");
		return -E2BIG;
	}
	err = memplug_batch_alloc(vm, b, n);
	if (err)
		return err;

	nlmsg_for_each_attr(nla, info->nlhdr, GENL_HDRLEN, rem) {
		struct memplug_entry *e = &b->e[i];

		if (nla_type(nla) != MEMPLUG_A_SLOT)
			continue;
		err = memplug_parse_entry(vm, e, nla, info->extack);
		if (err)
			return err;
		if (test_and_set_bit(e->id - vm->slot_base, b->ids)) {
			NL_SET_ERR_MSG_ATTR(info->extack, nla,
					    "slot id appears twice in the batch");
			return -EINVAL;
		}
		if (e->op == MEMPLUG_OP_DELETE)
			set_bit(e->id - vm->slot_base, b->deleted);
		i++;
	}
	b->n = n;
	return memplug_check_batch_overlap(b, info->extack);
}

/* Does an entry before @i delete slot @id? */
static bool memplug_deleted_before(const struct memplug_batch *b, u32 id, u32 i)
{
	u32 j;

	for (j = 0; j < i; j++)
		if (b->e[j].id == id && b->e[j].op == MEMPLUG_OP_DELETE)
			return true;
	return false;
}

/* Checks against the VM's current slots; kvm->slots_lock held. */
static int memplug_batch_check(struct memplug_vm *vm, struct memplug_batch *b,
			       struct netlink_ext_ack *extack)
{
	struct kvm_memslots *slots = __kvm_memslots(vm->kvm, 0);
	struct kvm_memslot_iter iter;
	struct kvm_memory_slot *old;
	u32 i;

	for (i = 0; i < b->n; i++) {
		struct memplug_entry *e = &b->e[i];
		bool ours;

		old = id_to_memslot(slots, e->id);
		if (old && !old->npages)
			old = NULL;
		ours = old && memplug_vm_slot_ours(vm, old);
		if (old) {
			e->old_gpa = (u64)old->base_gfn << PAGE_SHIFT;
			e->old_size = (u64)old->npages << PAGE_SHIFT;
			e->old_hva = old->userspace_addr;
			e->old_flags = old->flags;
		}
		if (e->op == MEMPLUG_OP_DELETE) {
			if (!old) {
				NL_SET_ERR_MSG_ATTR(extack, e->nla,
						    "cannot delete a slot that does not exist");
				return -ENOENT;
			}
			if (!ours) {
				NL_SET_ERR_MSG_ATTR(extack, e->nla,
						    "slot was not created through memplug");
				return -EPERM;
			}
			continue;
		}
		if (old) {
			/* Same place and memory: a flags-only change. */
			if (!ours || e->old_gpa != e->gpa ||
			    e->old_size != e->size || e->old_hva != e->hva) {
				NL_SET_ERR_MSG_ATTR(extack, e->nla,
						    "slot id is in use; delete it first");
				return -EEXIST;
			}
			if ((e->old_flags ^ e->flags) & MEMPLUG_SLOT_F_READONLY) {
				NL_SET_ERR_MSG_ATTR(extack, e->nla,
						    "cannot change READONLY of an existing slot");
				return -EINVAL;
			}
			e->op = MEMPLUG_OP_FLAGS;
			continue;
		}
		kvm_for_each_memslot_in_gfn_range(&iter, slots,
						  e->gpa >> PAGE_SHIFT,
						  (e->gpa + e->size) >> PAGE_SHIFT) {
			u32 id = iter.slot->id;

			/*
			 * A slot this batch deletes frees its range, but only
			 * for the entries after the delete: KVM applies them
			 * in order.
			 */
			if (id >= vm->slot_base &&
			    id - vm->slot_base < vm->slot_count &&
			    test_bit(id - vm->slot_base, b->deleted) &&
			    memplug_deleted_before(b, id, i))
				continue;
			NL_SET_ERR_MSG_ATTR(extack, e->nla,
					    "slot overlaps an existing memslot of the VM");
			return -EEXIST;
		}
	}
	return 0;
}

static int memplug_set(struct kvm *kvm, u32 id, u64 gpa, u64 size, u64 hva,
		       u32 flags)
{
	struct kvm_userspace_memory_region mem = {
		.slot = id,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = hva,
	};

	return __kvm_set_memory_region(kvm, &mem);
}

static int memplug_entry_do(struct memplug_vm *vm, struct memplug_entry *e)
{
	switch (e->op) {
	case MEMPLUG_OP_DELETE:
		return memplug_set(vm->kvm, e->id, 0, 0, 0, 0);
	default:
		return memplug_set(vm->kvm, e->id, e->gpa, e->size, e->hva,
				   e->flags);
	}
}

/*
 * A deleted slot comes back with a new, empty dirty bitmap: the pages
 * dirtied before are unknown.  Mark them all dirty, so that a migration
 * in progress sends them again instead of losing them.
 */
static void memplug_mark_all_dirty(struct kvm *kvm, u32 id)
{
	struct kvm_memory_slot *slot = id_to_memslot(__kvm_memslots(kvm, 0), id);

	if (slot && slot->dirty_bitmap)
		bitmap_fill(slot->dirty_bitmap, slot->npages);
}

static int memplug_entry_undo(struct memplug_vm *vm, struct memplug_entry *e,
			      u32 idx)
{
	int err;

	if (memplug_fault(fault_undo, idx))
		return -ENOMEM;
	switch (e->op) {
	case MEMPLUG_OP_CREATE:
		return memplug_set(vm->kvm, e->id, 0, 0, 0, 0);
	case MEMPLUG_OP_DELETE:
		err = memplug_set(vm->kvm, e->id, e->old_gpa, e->old_size,
				  e->old_hva, e->old_flags);
		if (!err && (e->old_flags & KVM_MEM_LOG_DIRTY_PAGES))
			memplug_mark_all_dirty(vm->kvm, e->id);
		return err;
	default:
		return memplug_set(vm->kvm, e->id, e->old_gpa, e->old_size,
				   e->old_hva, e->old_flags);
	}
}

/* @vm->added after entry @e was applied (and not undone). */
static void memplug_entry_track(struct memplug_vm *vm,
				const struct memplug_entry *e)
{
	if (e->op == MEMPLUG_OP_DELETE)
		clear_bit(e->id - vm->slot_base, vm->added);
	else
		memplug_vm_slot_track(vm, e->id, e->gpa, e->size, e->hva);
}

static void memplug_trace_entry(struct memplug_vm *vm,
				const struct memplug_entry *e, u32 idx,
				bool undo, int result, u64 t0)
{
	static const u32 ops[] = {
		[MEMPLUG_OP_CREATE] = MEMPLUG_TRACE_OP_CREATE,
		[MEMPLUG_OP_DELETE] = MEMPLUG_TRACE_OP_DELETE,
		[MEMPLUG_OP_FLAGS] = MEMPLUG_TRACE_OP_FLAGS,
	};
	bool del = e->op == MEMPLUG_OP_DELETE;

	trace_slot_applied(vm->id, idx, e->id, del ? e->old_gpa : e->gpa,
			   del ? e->old_size : e->size, ops[e->op], undo,
			   result, ktime_get_ns() - t0);
}

/* Entry @idx, timed for slot_applied when that tracepoint is on. */
static int memplug_entry_apply(struct memplug_vm *vm, struct memplug_entry *e,
			       u32 idx, bool undo)
{
	bool traced = trace_slot_applied_enabled();
	u64 t0 = traced ? ktime_get_ns() : 0;
	int err;

	if (undo)
		err = memplug_entry_undo(vm, e, idx);
	else if (memplug_fault(fault_entry, idx))
		err = -ENOMEM;
	else
		err = memplug_entry_do(vm, e);
	if (traced)
		memplug_trace_entry(vm, e, idx, undo, err, t0);
	return err;
}

/*
 * kvm->slots_lock held.  Returns 0 or the failing entry's -errno.  When an
 * undo fails too, the VM is left as KVM has it: the entries that could
 * not be undone stay applied and tracked (so that detach still removes a
 * slot we created), and the VM is marked inconsistent.
 */
static int memplug_batch_apply(struct memplug_vm *vm, struct memplug_batch *b,
			       struct netlink_ext_ack *extack)
{
	u32 i, j, failed = 0;
	int err = 0;

	for (i = 0; i < b->n; i++) {
		err = memplug_entry_apply(vm, &b->e[i], i, false);
		if (err)
			break;
	}
	b->applied = i;
	if (i == b->n) {
		for (i = 0; i < b->n; i++)
			memplug_entry_track(vm, &b->e[i]);
		WRITE_ONCE(vm->nr_added, bitmap_weight(vm->added,
						       vm->slot_count));
		return 0;
	}
	for (j = i; j-- > 0;) {
		int uerr = memplug_entry_apply(vm, &b->e[j], j, true);

		if (uerr) {
			pr_err("VM %u: undoing slot %u failed: %d\n",
			       vm->id, b->e[j].id, uerr);
			memplug_entry_track(vm, &b->e[j]);
			failed++;
		}
	}
	b->undo_failed = failed;
	b->rolled_back = !failed;
	if (failed) {
		WRITE_ONCE(vm->inconsistent, true);
		WRITE_ONCE(vm->nr_added, bitmap_weight(vm->added,
						       vm->slot_count));
		NL_SET_ERR_MSG_ATTR(extack, b->e[i].nla,
				    "KVM rejected this slot and undoing the batch failed: the VM's slots are inconsistent");
		return -EIO;
	}
	NL_SET_ERR_MSG_ATTR(extack, b->e[i].nla,
			    "KVM rejected this slot; the batch was rolled back");
	return err;
}

/* Room for the reply, taken before applying: an applied batch must be told. */
static struct sk_buff *memplug_apply_reply_new(void)
{
	if (memplug_fault_on(fault_reply))
		return NULL;
	return genlmsg_new(nla_total_size(sizeof(u32)) * 2 +
			   nla_total_size_64bit(sizeof(u64)) * 5, GFP_KERNEL);
}

static void memplug_apply_reply(struct sk_buff *reply, struct genl_info *info,
				struct memplug_vm *vm, struct memplug_batch *b,
				u64 total)
{
	void *hdr;

	hdr = genlmsg_put_reply(reply, info, &memplug_family, 0,
				MEMPLUG_CMD_SLOTS_APPLY);
	if (!hdr ||
	    nla_put_u32(reply, MEMPLUG_A_VM_ID, vm->id) ||
	    nla_put_u32(reply, MEMPLUG_A_NR_SLOTS, b->n) ||
	    nla_put_u64_64bit(reply, MEMPLUG_A_TIME_TOTAL_NS, total,
			      MEMPLUG_A_PAD) ||
	    nla_put_u64_64bit(reply, MEMPLUG_A_TIME_PARSE_NS, b->t_parse,
			      MEMPLUG_A_PAD) ||
	    nla_put_u64_64bit(reply, MEMPLUG_A_TIME_LOCK_NS, b->t_lock,
			      MEMPLUG_A_PAD) ||
	    nla_put_u64_64bit(reply, MEMPLUG_A_TIME_CHECK_NS, b->t_check,
			      MEMPLUG_A_PAD) ||
	    nla_put_u64_64bit(reply, MEMPLUG_A_TIME_APPLY_NS, b->t_apply,
			      MEMPLUG_A_PAD)) {
		/* Sized for exactly this: cannot happen. */
		WARN_ON_ONCE(1);
		nlmsg_free(reply);
		return;
	}
	genlmsg_end(reply, hdr);
	/*
	 * The batch is applied whatever happens to the reply: a caller
	 * whose socket is full loses the reply, not the batch.
	 */
	genlmsg_reply(reply, info);
}

/*
 * KVM's allocations for the VM's slots (memslot metadata, rmaps, dirty
 * bitmaps) are the VMM's memory, not memplugd's: charge them to the memory
 * cgroup of the VM's process.
 */
static struct mem_cgroup *memplug_charge_vmm(struct kvm *kvm,
					     struct mem_cgroup **old)
{
	struct mem_cgroup *memcg = get_mem_cgroup_from_mm(kvm->mm);

	*old = set_active_memcg(memcg);
	return memcg;
}

static void memplug_charge_done(struct mem_cgroup *memcg,
				struct mem_cgroup *old)
{
	set_active_memcg(old);
	mem_cgroup_put(memcg);
}

int memplug_nl_slots_apply_doit(struct sk_buff *skb, struct genl_info *info)
{
	u64 t0 = ktime_get_ns(), t1, t2, t3;
	struct mem_cgroup *memcg, *old_memcg;
	struct memplug_batch b = { };
	struct sk_buff *reply = NULL;
	struct memplug_vm *vm;
	bool mm_held = false;
	u32 nr;
	int err;

	vm = memplug_vm_get_attr(info);
	if (IS_ERR(vm))
		return PTR_ERR(vm);
	nr = memplug_batch_count(info);
	trace_batch_start(vm->id, nr);
	if (!memplug_vm_is_owner(vm, skb)) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[MEMPLUG_A_VM_ID],
				    "only the VM's owner may apply slots");
		err = -EPERM;
		goto out;
	}

	err = memplug_batch_parse(vm, &b, nr, info);
	if (err)
		goto out;
	/* A VM whose process is gone has no memory to map any more. */
	if (!mmget_not_zero(vm->kvm->mm)) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[MEMPLUG_A_VM_ID],
				    "the VM's process has exited");
		err = -ESRCH;
		goto out;
	}
	mm_held = true;
	reply = memplug_apply_reply_new();
	if (!reply) {
		NL_SET_ERR_MSG_MOD(info->extack,
				   "no memory for the reply; nothing was applied");
		err = -ENOMEM;
		goto out;
	}

	t1 = ktime_get_ns();
	b.t_parse = t1 - t0;
	mutex_lock(&vm->lock);
	if (vm->detached) {
		mutex_unlock(&vm->lock);
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[MEMPLUG_A_VM_ID],
				    "the VM was detached");
		err = -ENOENT;
		goto out;
	}
	mutex_lock(&vm->kvm->slots_lock);
	t2 = ktime_get_ns();
	err = memplug_batch_check(vm, &b, info->extack);
	t3 = ktime_get_ns();
	if (!err) {
		memcg = memplug_charge_vmm(vm->kvm, &old_memcg);
		err = memplug_batch_apply(vm, &b, info->extack);
		memplug_charge_done(memcg, old_memcg);
	}
	mutex_unlock(&vm->kvm->slots_lock);
	mutex_unlock(&vm->lock);

	b.t_lock = t2 - t1;
	b.t_check = t3 - t2;
	b.t_apply = ktime_get_ns() - t3;
	if (!err) {
		u64 total = ktime_get_ns() - t0;

		memplug_nl_vm_event(vm, MEMPLUG_EVENT_SLOTS_APPLIED, 0, b.n,
				    total, b.t_apply);
		memplug_apply_reply(reply, info, vm, &b, total);
		reply = NULL;
	}
out:
	trace_batch_end(vm->id, nr, err, b.applied, b.rolled_back,
			b.undo_failed, b.t_parse, b.t_lock, b.t_check,
			b.t_apply, ktime_get_ns() - t0);
	nlmsg_free(reply);
	if (mm_held)
		mmput(vm->kvm->mm);
	kvfree(b.e);
	memplug_vm_put(vm);
	return err;
}

/* SLOT_GET dump cursor: the VM, and the next index in its id range. */
struct memplug_slot_dump {
	u32 vm_id;
	u32 next;
};

#define SLOT_DUMP_CTX(cb) ((struct memplug_slot_dump *)(cb)->ctx)

int memplug_nl_slot_get_start(struct netlink_callback *cb)
{
	const struct genl_dumpit_info *info = genl_dumpit_info(cb);
	struct memplug_slot_dump *ctx = SLOT_DUMP_CTX(cb);
	struct nlattr *id = info->attrs[MEMPLUG_A_VM_ID];

	BUILD_BUG_ON(sizeof(*ctx) > sizeof(cb->ctx));
	if (!id) {
		NL_SET_ERR_ATTR_MISS(cb->extack, NULL, MEMPLUG_A_VM_ID);
		NL_SET_ERR_MSG_MOD(cb->extack, "missing required attribute");
		return -EINVAL;
	}
	ctx->vm_id = nla_get_u32(id);
	ctx->next = 0;
	return 0;
}

/* At most this many ids are looked up per dump step. */
#define MEMPLUG_SLOT_DUMP_STEP	1024

/*
 * One message per KVM slot in the VM's id range.  The slots are read
 * under KVM's SRCU, as a vCPU reads them, never under kvm->slots_lock: a
 * dump cannot delay memslot changes.  A change between two steps bumps
 * the memslots generation and the dump is flagged NLM_F_DUMP_INTR.
 */
int memplug_nl_slot_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct memplug_slot_dump *ctx = SLOT_DUMP_CTX(cb);
	bool priv = memplug_nl_privileged(cb->skb);
	struct kvm_memory_slot *slot;
	struct kvm_memslots *slots;
	struct memplug_vm *vm;
	u32 i, end, count;
	int idx, err = 0;
	void *hdr;

	vm = memplug_vm_get(ctx->vm_id);
	if (!vm) {
		if (ctx->next)
			return 0;	/* detached meanwhile: the dump ends */
		NL_SET_ERR_MSG_MOD(cb->extack, "no VM attached with this id");
		return -ENOENT;
	}
	count = vm->slot_count;
	/* Steps of bounded length until this skb has something or all done. */
	for (i = ctx->next; !err && i < count && !skb->len; cond_resched()) {
		end = min(count, i + MEMPLUG_SLOT_DUMP_STEP);
		idx = srcu_read_lock(&vm->kvm->srcu);
		slots = srcu_dereference(vm->kvm->memslots[0], &vm->kvm->srcu);
		cb->seq = slots->generation;
		for (; i < end; i++) {
			slot = id_to_memslot(slots, vm->slot_base + i);
			if (!slot || !slot->npages)
				continue;
			hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
					  cb->nlh->nlmsg_seq, &memplug_family,
					  NLM_F_MULTI, MEMPLUG_CMD_SLOT_GET);
			if (!hdr) {
				err = -EMSGSIZE;
				break;
			}
			genl_dump_check_consistent(cb, hdr);
			if (nla_put_u32(skb, MEMPLUG_A_VM_ID, vm->id) ||
			    memplug_nl_put_slot(skb, slot->id,
						(u64)slot->base_gfn << PAGE_SHIFT,
						(u64)slot->npages << PAGE_SHIFT,
						slot->userspace_addr,
						slot->flags, priv)) {
				genlmsg_cancel(skb, hdr);
				err = -EMSGSIZE;
				break;
			}
			genlmsg_end(skb, hdr);
		}
		srcu_read_unlock(&vm->kvm->srcu, idx);
	}
	memplug_vm_put(vm);
	ctx->next = i;
	if (err && !skb->len)
		return err;
	return i < count ? skb->len : 0;
}
