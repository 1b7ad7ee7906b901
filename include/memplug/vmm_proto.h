/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmm_proto: what memplug-vmm and memplugd say to each other over the
 * daemon's unix socket (SOCK_SEQPACKET, so one message is one datagram and
 * file descriptors travel with the message that names them).  memplugctl
 * uses the same socket (CLI_REQUEST / CLI_REPLY) when memplug.ko is not
 * loaded and so cannot relay its requests.
 *
 * Both ends are built from this header at the same time, so the messages
 * are plain C structs; MEMPLUG_VMM_PROTO_VERSION guards against a daemon
 * and VMM from different builds.
 *
 *  memplug-vmm                                 memplugd
 *  REGISTER {region, slots, config?}  + fds ─▶  VM_ATTACH to memplug.ko
 *                                          ◀─  REGISTERED {vm id, mode}
 *                                          ◀─  CONFIG {PUT body}   (paused VMM)
 *  REPLY {err, text}                       ─▶
 *                                          ◀─  START               (paused VMM)
 *  REPLY                                   ─▶
 *                              (module mode: SLOTS_APPLY attach first)
 *                                          ◀─  REQUEST {requested size}
 *  REPLY                                   ─▶
 *  STATE {plugged, requested, flags}       ─▶  (whenever they change)
 *  SLOTS_EMPTY {first, count}              ─▶  SLOTS_APPLY detach batch
 *
 * Fds with REGISTER: [0] the KVM VM fd, [1] the hotplug memfd.
 * In MEMPLUG_MODE_LOCAL (memplug.ko absent) the VMM changes its memslots
 * itself and never sends SLOTS_EMPTY; in MEMPLUG_MODE_MODULE it must not
 * touch hotplug memslots at all: memplugd attaches every slot up to the
 * usable region before REQUEST, and detaches slots the VMM reports empty
 * (those still outside the usable region when it reads the report).  The
 * VMM keeps its own mapping: the memfd from REQUEST on for the usable
 * region; a slot it has emptied and reported, or never attached, is
 * throw-away anonymous memory (never PROT_NONE under a memslot, so a guest
 * touching it cannot stop the VMM).
 */
#ifndef MEMPLUG_VMM_PROTO_H
#define MEMPLUG_VMM_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include <linux/memplug.h>

#include "memplug/hotplug_config.h"

#define MEMPLUG_VMM_PROTO_VERSION	2
#define MEMPLUG_DEFAULT_SOCKET		"/run/memplug/memplugd.sock"
#define MEMPLUG_DEFAULT_GROUP		"memplug"	/* may connect */
#define MEMPLUG_VMM_NAME_LEN		32
/*
 * Error texts on the socket: part of the message layout (a change is a new
 * MEMPLUG_VMM_PROTO_VERSION), room for the parser's and within what
 * memplug.ko relays.
 */
#define MEMPLUG_VMM_TEXT_LEN		160
_Static_assert(HOTPLUG_ERR_LEN <= MEMPLUG_VMM_TEXT_LEN, "a parser error must fit");
_Static_assert(MEMPLUG_VMM_TEXT_LEN <= MEMPLUG_ERROR_TEXT_MAX, "memplug.ko must relay it whole");

enum memplug_vmm_msg_type {
	MEMPLUG_VMM_REGISTER = 1,
	MEMPLUG_VMM_REGISTERED,
	MEMPLUG_VMM_CONFIG,
	MEMPLUG_VMM_START,
	MEMPLUG_VMM_REQUEST,
	MEMPLUG_VMM_REPLY,
	MEMPLUG_VMM_STATE,
	MEMPLUG_VMM_SLOTS_EMPTY,
	MEMPLUG_VMM_CLI_REQUEST,
	MEMPLUG_VMM_CLI_REPLY,
};

enum memplug_mode {
	MEMPLUG_MODE_LOCAL,	/* the VMM issues its own memslot ioctls */
	MEMPLUG_MODE_MODULE,	/* memplugd applies them through memplug.ko */
};

/* STATE flags */
#define MEMPLUG_VMM_F_CONFIGURED	(1U << 0)	/* has a PUT config */
#define MEMPLUG_VMM_F_RUNNING		(1U << 1)	/* guest started */
#define MEMPLUG_VMM_F_DRIVER_READY	(1U << 2)	/* virtio-mem DRIVER_OK */
#define MEMPLUG_VMM_F_STOPPED		(1U << 3)	/* guest is gone */

struct memplug_vmm_register {
	uint32_t version;		/* MEMPLUG_VMM_PROTO_VERSION */
	uint32_t flags;			/* MEMPLUG_VMM_F_* */
	char name[MEMPLUG_VMM_NAME_LEN];
	uint64_t region_gpa;		/* hotplug region, guest-physical */
	uint64_t region_size;		/* bytes, a multiple of the slot size */
	uint64_t region_hva;		/* its mapping in the VMM */
	uint32_t slot_base;		/* first KVM memslot id for the region */
	uint32_t slot_count;		/* ids the region may use */
	struct hotplug_config config;	/* valid with F_CONFIGURED */
	uint64_t plugged_size_mib;	/* a VMM re-registering after a */
	uint64_t requested_size_mib;	/* daemon restart carries its state */
};

struct memplug_vmm_registered {
	uint32_t vm_id;			/* memplug.ko's id, or memplugd's own */
	uint32_t mode;			/* enum memplug_mode */
};

struct memplug_vmm_request {
	uint64_t requested_size_mib;
};

struct memplug_vmm_reply {
	int32_t err;			/* 0 or -errno */
	char text[MEMPLUG_VMM_TEXT_LEN];
	uint64_t timestamp_ns;		/* CLOCK_MONOTONIC: when it took effect */
};

struct memplug_vmm_state {
	uint32_t flags;			/* MEMPLUG_VMM_F_* */
	uint32_t pad;
	uint64_t plugged_size_mib;
	uint64_t requested_size_mib;
	uint64_t usable_size_mib;	/* usable region the guest sees */
	uint64_t timestamp_ns;		/* CLOCK_MONOTONIC in the VMM */
};

/* Slots [first, first + count) of the region (0 = its first slot). */
struct memplug_vmm_slots {
	uint32_t first;
	uint32_t count;
};

/*
 * memplugctl's request: a memplug.ko command number (HOTPLUG_PUT, _PATCH,
 * _GET, VM_START, VM_GET) with the same JSON body it would send over
 * netlink.  PUT, PATCH and START need a peer that is root in memplugd's
 * user namespace (SO_PEERCRED); members of the socket's group may GET.
 */
struct memplug_cli_request {
	uint32_t cmd;
	uint32_t vm_id;
	uint32_t body_len;
	char body[MEMPLUG_HOTPLUG_BODY_MAX];
};

struct memplug_cli_reply {
	int32_t err;			/* 0 or -errno */
	uint32_t body_len;
	char text[MEMPLUG_VMM_TEXT_LEN];	/* the error message */
	char body[MEMPLUG_HOTPLUG_BODY_MAX];	/* JSON */
};

/*
 * Whether a REGISTER can be believed: protocol version, name, region and
 * slot ids, and its configuration (hotplug_config__check).  0, or -EINVAL
 * with the reason in @err.
 */
int vmm_proto__check_register(const struct memplug_vmm_register *reg,
			      char *err, size_t len);

/*
 * Whether a checked configuration fits the region @reg registered: its
 * total within the region, its slots within the VM's memslot ids.  0, or
 * -ENOSPC with the reason, naming the field, in @err.
 */
int vmm_proto__check_fit(const struct memplug_vmm_register *reg,
			 const struct hotplug_config *c, char *err, size_t len);

struct memplug_vmm_msg {
	uint32_t type;			/* enum memplug_vmm_msg_type */
	uint32_t seq;			/* a REPLY echoes its request's */
	union {
		struct memplug_vmm_register reg;
		struct memplug_vmm_registered registered;
		struct hotplug_config config;
		struct memplug_vmm_request request;
		struct memplug_vmm_reply reply;
		struct memplug_vmm_state state;
		struct memplug_vmm_slots slots;
		struct memplug_cli_request cli;
		struct memplug_cli_reply cli_reply;
	};
};

#endif
