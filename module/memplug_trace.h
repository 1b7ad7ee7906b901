/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memplug.ko tracepoints: the kernel's phases of a SLOTS_APPLY batch, in
 * tracefs as events/memplug/{batch_start,slot_applied,batch_end}.
 *
 *   batch_start   the batch's VM and number of entries, before parsing
 *   slot_applied  one __kvm_set_memory_region() call: the slot, its range
 *                 (a deleted slot's own), create/delete/flags, whether it
 *                 undoes an earlier entry of a failed batch, KVM's result
 *                 and how long the call took
 *   batch_end     every batch that had a batch_start: the error (0, or
 *                 why the batch was refused or failed), how many entries
 *                 KVM applied, whether they were rolled back, how many
 *                 undos failed, and the time of each phase (parse, lock,
 *                 check, apply) and in all
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM memplug

#if !defined(_MEMPLUG_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _MEMPLUG_TRACE_H

#include <linux/tracepoint.h>

#define MEMPLUG_TRACE_OP_CREATE	0
#define MEMPLUG_TRACE_OP_DELETE	1
#define MEMPLUG_TRACE_OP_FLAGS	2

#define memplug_trace_op_name(op)				\
	__print_symbolic(op,					\
			 { MEMPLUG_TRACE_OP_CREATE, "create" },	\
			 { MEMPLUG_TRACE_OP_DELETE, "delete" },	\
			 { MEMPLUG_TRACE_OP_FLAGS, "flags" })

TRACE_EVENT(batch_start,
	    TP_PROTO(u32 vm_id, u32 nr),
	    TP_ARGS(vm_id, nr),
	    TP_STRUCT__entry(__field(u32, vm_id)
			     __field(u32, nr)),
	    TP_fast_assign(__entry->vm_id = vm_id;
			   __entry->nr = nr;),
	    TP_printk("vm=%u nr=%u", __entry->vm_id, __entry->nr)
);

TRACE_EVENT(slot_applied,
	    TP_PROTO(u32 vm_id, u32 idx, u32 slot, u64 gpa, u64 size, u32 op,
		     bool undo, int result, u64 ns),
	    TP_ARGS(vm_id, idx, slot, gpa, size, op, undo, result, ns),
	    TP_STRUCT__entry(__field(u32, vm_id)
			     __field(u32, idx)
			     __field(u32, slot)
			     __field(u32, op)
			     __field(u64, gpa)
			     __field(u64, size)
			     __field(u64, ns)
			     __field(int, result)
			     __field(bool, undo)),
	    TP_fast_assign(__entry->vm_id = vm_id;
			   __entry->idx = idx;
			   __entry->slot = slot;
			   __entry->op = op;
			   __entry->gpa = gpa;
			   __entry->size = size;
			   __entry->ns = ns;
			   __entry->result = result;
			   __entry->undo = undo;),
	    TP_printk("vm=%u idx=%u slot=%u gpa=0x%llx size=0x%llx op=%s undo=%d result=%d ns=%llu",
		      __entry->vm_id, __entry->idx, __entry->slot,
		      __entry->gpa, __entry->size,
		      memplug_trace_op_name(__entry->op), __entry->undo,
		      __entry->result, __entry->ns)
);

TRACE_EVENT(batch_end,
	    TP_PROTO(u32 vm_id, u32 nr, int err, u32 applied, bool rolled_back,
		     u32 undo_failed, u64 parse_ns, u64 lock_ns, u64 check_ns,
		     u64 apply_ns, u64 total_ns),
	    TP_ARGS(vm_id, nr, err, applied, rolled_back, undo_failed, parse_ns,
		    lock_ns, check_ns, apply_ns, total_ns),
	    TP_STRUCT__entry(__field(u32, vm_id)
			     __field(u32, nr)
			     __field(int, err)
			     __field(u32, applied)
			     __field(u32, undo_failed)
			     __field(bool, rolled_back)
			     __field(u64, parse_ns)
			     __field(u64, lock_ns)
			     __field(u64, check_ns)
			     __field(u64, apply_ns)
			     __field(u64, total_ns)),
	    TP_fast_assign(__entry->vm_id = vm_id;
			   __entry->nr = nr;
			   __entry->err = err;
			   __entry->applied = applied;
			   __entry->undo_failed = undo_failed;
			   __entry->rolled_back = rolled_back;
			   __entry->parse_ns = parse_ns;
			   __entry->lock_ns = lock_ns;
			   __entry->check_ns = check_ns;
			   __entry->apply_ns = apply_ns;
			   __entry->total_ns = total_ns;),
	    TP_printk("vm=%u nr=%u err=%d applied=%u rolled_back=%d undo_failed=%u parse_ns=%llu lock_ns=%llu check_ns=%llu apply_ns=%llu total_ns=%llu",
		      __entry->vm_id, __entry->nr, __entry->err,
		      __entry->applied, __entry->rolled_back,
		      __entry->undo_failed, __entry->parse_ns,
		      __entry->lock_ns, __entry->check_ns,
		      __entry->apply_ns, __entry->total_ns)
);

#endif /* _MEMPLUG_TRACE_H */

/*
 * Out of tree: define_trace.h includes TRACE_INCLUDE_PATH/TRACE_INCLUDE_FILE.h
 * through the include path, which module/Kbuild extends by $(src).
 */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE memplug_trace
#include <trace/define_trace.h>
