/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * memplug: apply KVM memslot changes for another process's VM, in atomic
 * batches, over generic netlink.
 *
 * This header is the only definition of the protocol: memplug.ko, memplugd,
 * memplugctl, memplug-bench and the selftests all include it, and
 * uapi/memplug.yaml describes the same family for tools/net/ynl/cli.py.
 *
 * Documentation
 * =============
 *
 * Family "memplug", version MEMPLUG_GENL_VERSION, multicast group "events".
 * Every command has strict validation: unknown attributes, a set reserved
 * header field and nlmsg_flags other than REQUEST, ACK, ECHO and DUMP are
 * refused.  All u64 attributes are 64-bit aligned with MEMPLUG_A_PAD /
 * MEMPLUG_SLOT_A_PAD.  Every rejection carries an extack message; when one
 * attribute is at fault the extack points at it.
 *
 * Without CAP_NET_ADMIN
 * ---------------------
 *
 * A caller without CAP_NET_ADMIN (in the initial user namespace) may only:
 *  - VM_GET (doit, dump): no MEMPLUG_A_OWNER_PORTID, MEMPLUG_A_HVA_BASE or
 *    MEMPLUG_A_HVA_SIZE; takes no KVM lock; each reply within a page;
 *  - SLOT_GET (dump): slots without MEMPLUG_SLOT_A_HVA; read under KVM's
 *    SRCU, never kvm->slots_lock;
 *  - HOTPLUG_GET: answered from the owner's last GET body, or relayed to
 *    the owner, at most MEMPLUG_RELAY_CALLER_MAX per socket and
 *    MEMPLUG_RELAY_VM_MAX per VM in flight, the forwarded message sized to
 *    its content.
 * Every other command fails with EPERM, and joining "events" too.
 *
 * MEMPLUG_CMD_VM_ATTACH (CAP_NET_ADMIN)
 * -------------------------------------
 *
 * Turns a KVM VM fd of the caller into a VM reference held by the module.
 * The caller's netlink socket becomes the owner (the socket itself, not
 * its port id: another socket that binds the same port id later owns
 * nothing): only it may apply slots and detach, and when it closes the VM
 * is detached automatically.  VM ids are handed out cyclically.
 *
 *    MEMPLUG_A_VM_FD: u32, a KVM VM fd in the caller's fd table
 *    MEMPLUG_A_SLOT_BASE: u32, first memslot id the owner may use
 *    MEMPLUG_A_SLOT_COUNT: u32, number of memslot ids, 1..MEMPLUG_SLOTS_MAX
 *    MEMPLUG_A_GPA_BASE: u64, guest-physical range slots must lie in
 *    MEMPLUG_A_GPA_SIZE: u64
 *    MEMPLUG_A_HVA_BASE: u64, host-virtual range (in the VMM's address
 *    MEMPLUG_A_HVA_SIZE: u64  space) the slots' memory must lie in
 *
 * All addresses and sizes are page aligned; slot ids stay below
 * MEMPLUG_SLOTS_MAX (KVM's user memslot limit, so no address-space bits).
 * A VM can be attached once at a time.  Reply:
 *
 *    MEMPLUG_A_VM_ID: u32
 *
 * MEMPLUG_CMD_VM_DETACH (CAP_NET_ADMIN, owner only)
 * -------------------------------------------------
 *
 *    MEMPLUG_A_VM_ID: u32
 *
 * Removes every slot this attachment created and drops the VM reference.
 *
 * MEMPLUG_CMD_SLOTS_APPLY (CAP_NET_ADMIN, owner only)
 * ---------------------------------------------------
 *
 *    MEMPLUG_A_VM_ID: u32
 *    MEMPLUG_A_SLOT: nest, repeated 1..MEMPLUG_BATCH_MAX times, in order
 *        MEMPLUG_SLOT_A_ID: u32
 *        MEMPLUG_SLOT_A_SIZE: u64, 0 deletes the slot
 *        MEMPLUG_SLOT_A_GPA: u64, required unless deleting
 *        MEMPLUG_SLOT_A_HVA: u64, required unless deleting
 *        MEMPLUG_SLOT_A_FLAGS: u32, MEMPLUG_SLOT_F_*, optional
 *
 * All or nothing.  Before anything is touched the whole batch is checked:
 * ids, GPA and HVA ranges inside the attachment, page alignment, no id twice,
 * no two created slots overlapping, no created slot overlapping a slot of the
 * VM that the batch does not delete, deleted slots must exist and have been
 * created (or adopted) by this attachment and still be where it put them (a
 * slot the VMM replaced by its id is the VMM's; VM_DETACH leaves it too),
 * the entries are taken in order (a slot the batch deletes frees its range
 * for the entries after the delete only),
 * sizes stay within KVM_MEM_MAX_NR_PAGES.  A created slot whose id exists
 * with the same GPA, size and HVA only changes flags.  If KVM rejects an
 * entry while applying, the entries already applied are undone in reverse
 * order; a slot deleted and recreated so comes back with every page marked
 * dirty (its dirty log is lost).  Should an undo fail as well, the batch
 * fails with EIO, the entries not undone stay applied (and the
 * attachment's: detach removes them), and the VM is marked
 * MEMPLUG_A_INCONSISTENT.  A batch for a VM whose process has exited fails
 * with ESRCH.  KVM's memory for the slots is charged to the memory cgroup
 * of the VM's process.  The
 * extack points at the offending MEMPLUG_A_SLOT (or an attribute inside it).
 * Reply, kernel time in ns:
 *
 *    MEMPLUG_A_VM_ID: u32
 *    MEMPLUG_A_NR_SLOTS: u32, entries applied
 *    MEMPLUG_A_TIME_TOTAL_NS: u64, from receipt to reply
 *    MEMPLUG_A_TIME_PARSE_NS: u64, attribute parsing and range checks
 *    MEMPLUG_A_TIME_LOCK_NS: u64, waiting for kvm->slots_lock
 *    MEMPLUG_A_TIME_CHECK_NS: u64, checks against the VM's current slots
 *    MEMPLUG_A_TIME_APPLY_NS: u64, __kvm_set_memory_region calls
 *
 * MEMPLUG_CMD_VM_GET (anyone; doit with MEMPLUG_A_VM_ID, or dump)
 * ----------------------------------------------------------------
 *
 * One message per VM.  MEMPLUG_A_OWNER_PORTID, MEMPLUG_A_HVA_BASE and
 * MEMPLUG_A_HVA_SIZE (and slot HVAs) only for a caller with CAP_NET_ADMIN:
 * the VMM's address-space layout is not for everyone.
 *
 *    MEMPLUG_A_VM_ID, MEMPLUG_A_OWNER_PORTID: u32
 *    MEMPLUG_A_SLOT_BASE, MEMPLUG_A_SLOT_COUNT: u32
 *    MEMPLUG_A_GPA_BASE, MEMPLUG_A_GPA_SIZE: u64
 *    MEMPLUG_A_HVA_BASE, MEMPLUG_A_HVA_SIZE: u64
 *    MEMPLUG_A_TIMESTAMP_NS: u64, ktime_get_ns() at attach
 *    MEMPLUG_A_NR_SLOTS: u32, slots this attachment holds (created or
 *                        adopted, not yet deleted)
 *
 *    MEMPLUG_A_INCONSISTENT: flag, present once undoing a failed batch
 *                            failed too (see SLOTS_APPLY)
 *
 * VM_GET lists no slots and takes no KVM lock; SLOT_GET lists them.
 *
 * MEMPLUG_CMD_SLOT_GET (anyone; dump only, MEMPLUG_A_VM_ID required)
 * ------------------------------------------------------------------
 *
 * One message per KVM memslot whose id is in the VM's slot id range, in id
 * order, read under KVM's SRCU (never kvm->slots_lock):
 *
 *    MEMPLUG_A_VM_ID: u32
 *    MEMPLUG_A_SLOT: nest, once (ID, GPA, SIZE, FLAGS; HVA only for a
 *                    caller with CAP_NET_ADMIN)
 *
 * Resumable over any number of slots.  If the VM's memslots change between
 * two parts of the dump, the messages after the change carry
 * NLM_F_DUMP_INTR: dump again for a consistent view.

 * MEMPLUG_CMD_VM_EVENT (multicast "events", kernel to user only)
 * -------------------------------------------------------------
 *
 * Joining "events" needs CAP_NET_ADMIN.
 *
 *    MEMPLUG_A_EVENT: u32, MEMPLUG_EVENT_*
 *    MEMPLUG_A_TIMESTAMP_NS: u64, ktime_get_ns() when it happened
 *    MEMPLUG_A_VM_ID, MEMPLUG_A_OWNER_PORTID: u32
 *    MEMPLUG_A_DETACH_REASON: u32, MEMPLUG_DETACH_* (DETACHED only)
 *    MEMPLUG_A_NR_SLOTS: u32, entries (SLOTS_APPLIED) or slots removed
 *    MEMPLUG_A_TIME_TOTAL_NS, MEMPLUG_A_TIME_APPLY_NS: u64 (SLOTS_APPLIED)
 *
 * The hotplug relay (memplugctl -> memplug.ko -> the VM's owner, memplugd)
 * -------------------------------------------------------------------------
 *
 * MEMPLUG_CMD_HOTPLUG_PUT, MEMPLUG_CMD_HOTPLUG_PATCH, MEMPLUG_CMD_VM_START
 * (CAP_NET_ADMIN) and MEMPLUG_CMD_HOTPLUG_GET (anyone):
 *
 *    MEMPLUG_A_VM_ID: u32
 *    MEMPLUG_A_HOTPLUG_BODY: string, the /hotplug/memory JSON body (PUT and
 *                            PATCH; at most MEMPLUG_HOTPLUG_BODY_MAX bytes)
 *
 * The module forwards the same command, with MEMPLUG_A_COOKIE (random)
 * and MEMPLUG_A_DEADLINE_NS (when it stops waiting, ktime_get_ns()) added,
 * to the VM's owner socket, and the request's doit returns at once: no
 * handler waits for userspace.  Send the request without NLM_F_ACK; its
 * answer comes later, as a message of the same command with the caller's
 * sequence number, within MEMPLUG_RELAY_TIMEOUT_MS:
 *
 *    MEMPLUG_A_VM_ID, MEMPLUG_A_HOTPLUG_BODY: the GET object afterwards
 *
 * or, when it failed:
 *
 *    MEMPLUG_A_VM_ID, MEMPLUG_A_ERRNO: u32, a positive errno
 *    MEMPLUG_A_ERROR_TEXT: string, why (the owner's text, or the module's:
 *                          "memplug: the daemon that owns this VM did not
 *                          answer in time" (ETIMEDOUT), "... went away"
 *                          (ECONNRESET), "... answered with an invalid
 *                          errno" (EPROTO))
 *
 * Rejections before forwarding (no such VM, EPERM, EBUSY when the VM has
 * MEMPLUG_RELAY_VM_MAX or the caller's socket MEMPLUG_RELAY_CALLER_MAX
 * requests in flight, ECONNREFUSED or EBUSY when the owner's socket is gone
 * or full) are ordinary netlink errors with an extack message.  An owner
 * that does not answer in time fails the request with ETIMEDOUT; it may
 * still act on it later (the request was delivered): an owner must not
 * start a change it cannot finish by the deadline.
 *
 * HOTPLUG_GET never waits for the owner once the owner has sent a GET
 * body with HOTPLUG_EVENT (below): the module replies at once with that
 * body, in the same reply.  Only a VM without one is relayed (memplugd
 * sends it from the PUT on, so "not configured" comes from the daemon).
 *
 * MEMPLUG_CMD_HOTPLUG_REPLY (CAP_NET_ADMIN, the owner socket the request
 * went to):
 *
 *    MEMPLUG_A_COOKIE: u64
 *    MEMPLUG_A_ERRNO: u32, 0 or a positive errno up to MEMPLUG_ERRNO_MAX
 *                     (larger: refused with EINVAL, the caller gets EPROTO)
 *    MEMPLUG_A_HOTPLUG_BODY: string (ERRNO 0) or MEMPLUG_A_ERROR_TEXT
 *
 * MEMPLUG_CMD_HOTPLUG_EVENT (CAP_NET_ADMIN, owner only; multicast "events"):
 * the owner reports its requested and plugged sizes, which the module keeps
 * for VM_GET and, when they changed, multicasts with a timestamp (the
 * owner's, if it sent one, else its own);
 * and its current HOTPLUG_GET answer, which the module keeps (replacing
 * the last one; freed with the VM) and answers HOTPLUG_GET with:
 *
 *    MEMPLUG_A_VM_ID: u32
 *    MEMPLUG_A_REQUESTED_SIZE, MEMPLUG_A_PLUGGED_SIZE: u64, bytes
 *    MEMPLUG_A_HOTPLUG_BODY: string, the GET object, optional (at most
 *                            MEMPLUG_HOTPLUG_BODY_MAX bytes); absent or
 *                            empty drops the kept one: GET is relayed
 *    MEMPLUG_A_TIMESTAMP_NS: u64, optional from the owner: when the change
 *                            happened (CLOCK_MONOTONIC, i.e. ktime_get_ns();
 *                            one later than now counts as now)
 *
 * The multicast copy carries no body.  The owner sends the event whenever
 * anything in its GET answer changes, before it answers the request that
 * changed it, so a GET after a PUT or PATCH sees that request's effect.
 *
 * VM_ATTACH takes MEMPLUG_A_ATTACH_FLAGS (u32, MEMPLUG_ATTACH_F_*):
 *    KEEP_SLOTS: when the owner's socket closes, leave the attachment's
 *                slots in the VM (its guest keeps using that memory) and
 *                only drop the reference; VM_DETACH still removes them.
 *    ADOPT: the slots the VM's last attachment left when its owner went
 *           away with KEEP_SLOTS become this attachment's own (a restarted
 *           daemon takes its VM back), where they are still as it created
 *           them and lie inside both ranges; no other slot, so never one
 *           the VMM made itself.  Only within one load of the module.
 *    ADOPT_ANY: every slot already in the id range and inside both ranges
 *           becomes the attachment's own, whoever made it: the VMM hands
 *           over slots it made itself, or a reloaded module takes back
 *           those its predecessor left.
 * Whatever its flags, a new attachment ends what ADOPT could take from the
 * attachment before it.
 * VM_GET also reports MEMPLUG_A_ATTACH_FLAGS, MEMPLUG_A_REQUESTED_SIZE and
 * MEMPLUG_A_PLUGGED_SIZE.
 */
#ifndef _UAPI_LINUX_MEMPLUG_H
#define _UAPI_LINUX_MEMPLUG_H

#define MEMPLUG_GENL_NAME		"memplug"
#define MEMPLUG_GENL_VERSION		1
#define MEMPLUG_MCGRP_EVENTS		"events"

/*
 * Guest-physical addresses, sizes and HVA ranges end at or below 2^52 (x86's
 * widest physical address): no value past it reaches KVM's arithmetic.
 */
#define MEMPLUG_ADDR_LIMIT		(1ULL << 52)
/* KVM_USER_MEM_SLOTS of x86 Linux 6.1: ids at or above are KVM's own. */
#define MEMPLUG_SLOTS_MAX		32764
#define MEMPLUG_BATCH_MAX		1024
#define MEMPLUG_VMS_MAX			256
/*
 * With the NUL: a HOTPLUG_GET reply (anyone may ask) then fits one page,
 * skb overhead included.
 */
#define MEMPLUG_HOTPLUG_BODY_MAX	3072
/* The hotplug relay: how long the owner has, and requests in flight. */
#define MEMPLUG_RELAY_TIMEOUT_MS	5000
#define MEMPLUG_RELAY_VM_MAX		8
#define MEMPLUG_RELAY_CALLER_MAX	4
/* The largest errno an owner may answer with (EHWPOISON). */
#define MEMPLUG_ERRNO_MAX		133
/* MEMPLUG_A_ERROR_TEXT's bytes, its NUL included. */
#define MEMPLUG_ERROR_TEXT_MAX		256

enum memplug_cmd {
	MEMPLUG_CMD_UNSPEC,
	MEMPLUG_CMD_VM_ATTACH,
	MEMPLUG_CMD_VM_DETACH,
	MEMPLUG_CMD_SLOTS_APPLY,
	MEMPLUG_CMD_VM_GET,
	MEMPLUG_CMD_VM_EVENT,
	MEMPLUG_CMD_HOTPLUG_PUT,
	MEMPLUG_CMD_HOTPLUG_PATCH,
	MEMPLUG_CMD_HOTPLUG_GET,
	MEMPLUG_CMD_HOTPLUG_REPLY,
	MEMPLUG_CMD_HOTPLUG_EVENT,
	MEMPLUG_CMD_VM_START,
	MEMPLUG_CMD_SLOT_GET,

	__MEMPLUG_CMD_MAX,
	MEMPLUG_CMD_MAX = __MEMPLUG_CMD_MAX - 1
};

enum memplug_attr {
	MEMPLUG_A_UNSPEC,
	MEMPLUG_A_PAD,
	MEMPLUG_A_VM_ID,		/* u32 */
	MEMPLUG_A_VM_FD,		/* u32 */
	MEMPLUG_A_OWNER_PORTID,		/* u32 */
	MEMPLUG_A_SLOT_BASE,		/* u32 */
	MEMPLUG_A_SLOT_COUNT,		/* u32 */
	MEMPLUG_A_GPA_BASE,		/* u64 */
	MEMPLUG_A_GPA_SIZE,		/* u64 */
	MEMPLUG_A_HVA_BASE,		/* u64 */
	MEMPLUG_A_HVA_SIZE,		/* u64 */
	MEMPLUG_A_SLOT,			/* nest, MEMPLUG_SLOT_A_*, repeated */
	MEMPLUG_A_NR_SLOTS,		/* u32 */
	MEMPLUG_A_TIMESTAMP_NS,		/* u64 */
	MEMPLUG_A_TIME_TOTAL_NS,	/* u64 */
	MEMPLUG_A_TIME_PARSE_NS,	/* u64 */
	MEMPLUG_A_TIME_LOCK_NS,		/* u64 */
	MEMPLUG_A_TIME_CHECK_NS,	/* u64 */
	MEMPLUG_A_TIME_APPLY_NS,	/* u64 */
	MEMPLUG_A_EVENT,		/* u32, MEMPLUG_EVENT_* */
	MEMPLUG_A_DETACH_REASON,	/* u32, MEMPLUG_DETACH_* */
	MEMPLUG_A_HOTPLUG_BODY,		/* string (JSON) */
	MEMPLUG_A_COOKIE,		/* u64 */
	MEMPLUG_A_ERRNO,		/* u32, positive errno */
	MEMPLUG_A_ERROR_TEXT,		/* string */
	MEMPLUG_A_REQUESTED_SIZE,	/* u64, bytes */
	MEMPLUG_A_PLUGGED_SIZE,		/* u64, bytes */
	MEMPLUG_A_ATTACH_FLAGS,		/* u32, MEMPLUG_ATTACH_F_* */
	MEMPLUG_A_DEADLINE_NS,		/* u64, ktime_get_ns() */
	MEMPLUG_A_INCONSISTENT,		/* flag */

	__MEMPLUG_A_MAX,
	MEMPLUG_A_MAX = __MEMPLUG_A_MAX - 1
};

enum memplug_slot_attr {
	MEMPLUG_SLOT_A_UNSPEC,
	MEMPLUG_SLOT_A_PAD,
	MEMPLUG_SLOT_A_ID,		/* u32 */
	MEMPLUG_SLOT_A_GPA,		/* u64 */
	MEMPLUG_SLOT_A_SIZE,		/* u64, 0 deletes */
	MEMPLUG_SLOT_A_HVA,		/* u64 */
	MEMPLUG_SLOT_A_FLAGS,		/* u32, MEMPLUG_SLOT_F_* */

	__MEMPLUG_SLOT_A_MAX,
	MEMPLUG_SLOT_A_MAX = __MEMPLUG_SLOT_A_MAX - 1
};

/* Same values as KVM_MEM_LOG_DIRTY_PAGES and KVM_MEM_READONLY. */
enum memplug_slot_flags {
	MEMPLUG_SLOT_F_LOG_DIRTY = 1U << 0,
	MEMPLUG_SLOT_F_READONLY = 1U << 1,

	__MEMPLUG_SLOT_F_ALL = MEMPLUG_SLOT_F_LOG_DIRTY |
			       MEMPLUG_SLOT_F_READONLY
};

enum memplug_attach_flags {
	MEMPLUG_ATTACH_F_KEEP_SLOTS = 1U << 0,
	MEMPLUG_ATTACH_F_ADOPT = 1U << 1,
	MEMPLUG_ATTACH_F_ADOPT_ANY = 1U << 2,

	__MEMPLUG_ATTACH_F_ALL = MEMPLUG_ATTACH_F_KEEP_SLOTS |
				 MEMPLUG_ATTACH_F_ADOPT |
				 MEMPLUG_ATTACH_F_ADOPT_ANY
};

enum memplug_event {
	MEMPLUG_EVENT_UNSPEC,
	MEMPLUG_EVENT_ATTACHED,
	MEMPLUG_EVENT_DETACHED,
	MEMPLUG_EVENT_SLOTS_APPLIED,
};

enum memplug_detach_reason {
	MEMPLUG_DETACH_UNSPEC,
	MEMPLUG_DETACH_REQUEST,		/* MEMPLUG_CMD_VM_DETACH */
	MEMPLUG_DETACH_OWNER_CLOSED,	/* the owner's socket was released */
	MEMPLUG_DETACH_UNLOAD,		/* the module is being removed */
};

#endif /* _UAPI_LINUX_MEMPLUG_H */
