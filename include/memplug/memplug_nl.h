/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memplug_nl: the memplug family's requests as C calls, on a genl_conn.
 * Used by memplugctl, memplugd, memplug-bench and the selftests, so that
 * message layout lives in one place next to uapi/linux/memplug.h.
 * Every call returns 0 or -errno (extack in c->extack).
 */
#ifndef MEMPLUG_NL_H
#define MEMPLUG_NL_H

#include <stdint.h>
#include <linux/memplug.h>

#include "memplug/genl.h"

struct memplug_slot {
	uint32_t id;
	uint32_t flags;		/* MEMPLUG_SLOT_F_* */
	uint64_t gpa;
	uint64_t size;		/* 0: delete */
	uint64_t hva;
};

/* What an attachment may touch. */
struct memplug_range {
	uint32_t slot_base;
	uint32_t slot_count;
	uint64_t gpa_base;
	uint64_t gpa_size;
	uint64_t hva_base;
	uint64_t hva_size;
	uint32_t flags;		/* MEMPLUG_ATTACH_F_*, VM_ATTACH only */
};

/* Kernel-side time of one SLOTS_APPLY, ns. */
struct memplug_times {
	uint32_t nr;
	uint64_t total;
	uint64_t parse;
	uint64_t lock;
	uint64_t check;
	uint64_t apply;
};

struct memplug_vm_info {
	uint32_t id;
	uint32_t owner_portid;
	struct memplug_range range;
	uint64_t attached_ns;
	uint64_t requested_size;	/* as the owner last reported, bytes */
	uint64_t plugged_size;
	uint32_t held_slots;		/* slots the attachment holds */
	int inconsistent;		/* an undo failed (MEMPLUG_A_INCONSISTENT) */
	/* KVM's slots in the id range (SLOT_GET), malloc'ed */
	uint32_t nr_slots;
	uint32_t slots_cap;
	struct memplug_slot *slots;
};

int memplug_nl__open(struct genl_conn *c);
int memplug_nl__attach(struct genl_conn *c, int vm_fd,
		       const struct memplug_range *r, uint32_t *vm_id);
int memplug_nl__detach(struct genl_conn *c, uint32_t vm_id);
int memplug_nl__apply(struct genl_conn *c, uint32_t vm_id,
		      const struct memplug_slot *s, unsigned int n,
		      struct memplug_times *t);

/* Appends one MEMPLUG_A_SLOT nest (for callers building odd requests). */
int memplug_nl__put_slot(struct nl_msg *msg, const struct memplug_slot *s);

/* Parses one VM_GET message into @vi (no slots: VM_GET has none). */
int memplug_nl__parse_vm(struct nlmsghdr *nlh, struct memplug_vm_info *vi);
void memplug_nl__vm_info_free(struct memplug_vm_info *vi);

/*
 * SLOT_GET: @cb for every KVM slot in the VM's id range.  -EAGAIN when the
 * slots changed during the dump (NLM_F_DUMP_INTR).
 */
int memplug_nl__slot_dump(struct genl_conn *c, uint32_t vm_id,
			  int (*cb)(const struct memplug_slot *s, void *arg),
			  void *arg);

/* VM_GET, then SLOT_GET for its slots (@vi->slots malloc'ed). */
int memplug_nl__vm_get(struct genl_conn *c, uint32_t vm_id,
		       struct memplug_vm_info *vi);
/* Calls @cb for every attached VM, slots filled in; @vi freed after it. */
int memplug_nl__vm_dump(struct genl_conn *c,
			int (*cb)(struct memplug_vm_info *vi, void *arg),
			void *arg);

/*
 * A hotplug request relayed to the VM's owner (HOTPLUG_PUT/PATCH/GET,
 * VM_START): @body may be NULL; the owner's JSON answer lands in @out, its
 * error message in c->extack.
 */
int memplug_nl__relay(struct genl_conn *c, uint8_t cmd, uint32_t vm_id,
		      const char *body, char *out, size_t outlen);

#endif
