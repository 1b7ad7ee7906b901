/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memplugd: the privileged helper between hotplug requests and memslots.
 *
 * One thread, one epoll loop.  Requests come from memplug.ko's relay
 * (netlink, from any memplugctl) or, when the module is absent, straight
 * from memplugctl on the daemon's socket; VMMs register on that socket too.
 * Every request is answered from the daemon's mirror of the VMM's state or
 * after one short, bounded exchange with the VMM, never after the guest has
 * done anything, so a GET cannot queue behind a plug or an unplug.
 */
#ifndef MEMPLUGD_H
#define MEMPLUGD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "memplug/clock.h"
#include "memplug/genl.h"
#include "memplug/hotplug_config.h"
#include "memplug/vmm_proto.h"

#define MPD_MAX_VMS		64
#define MPD_VMM_TIMEOUT_MS	2000	/* a VMM must answer within this */
/*
 * Connections to the socket, registered VMMs included, and how many of
 * them one user other than root may hold, so that nobody can take them
 * all (or the daemon's fds: each VM holds three).
 */
#define MPD_MAX_CONNS		192
#define MPD_MAX_CONNS_PER_USER	16

struct mpd_vm {
	bool used;
	uint32_t id;			/* memplug.ko's VM id (or our own) */
	int conn;			/* the VMM's socket */
	int vm_fd, mem_fd;		/* passed by the VMM */
	enum memplug_mode mode;
	uint32_t seq;			/* last request sent to the VMM */
	struct memplug_vmm_register reg;
	bool configured;
	struct hotplug_config cfg;
	struct memplug_vmm_state state;	/* mirror of the VMM's state */
	uint64_t requested_mib;		/* what the guest is told (a step) */
	uint64_t target_mib;		/* what the last PATCH asked for */
	uint64_t event_ns;		/* when the VMM made the last change */
	uint32_t nr_slots;		/* region slots of cfg.slot_size_mib */
	uint32_t spare_slots;		/* kept attached past the request */
	uint8_t *attached;		/* which of them memplug.ko holds: */
#define MPD_SLOT_ATTACHED	1
#define MPD_SLOT_SPARE		2	/* and never in a usable region */
	uint8_t *empty;			/* reported empty, not yet detached */
	uint64_t last_apply_ns;		/* kernel time of the last batch */
};

/* A connection to the daemon's socket, and who made it (SO_PEERCRED). */
struct mpd_conn {
	int fd;				/* -1: free */
	uid_t uid;
};

struct mpd {
	const char *sock_path;
	const char *sock_group;		/* may connect (0660 root:group) */
	bool use_module;		/* false: --no-module, or not loaded */
	uint64_t ahead_mib;		/* spare slots cover this much (--ahead) */
	bool no_steps;			/* a growth in one step (--no-steps) */
	int listen_fd;
	int epoll_fd;
	int signal_fd;
	struct genl_conn nl;		/* owner socket for every attached VM */
	bool nl_open;
	uint32_t next_local_id;
	struct mpd_vm vms[MPD_MAX_VMS];
	struct mpd_conn conns[MPD_MAX_CONNS];
	bool listen_paused;		/* out of fds: accept later */
	bool stop;
};

/* A request from memplugctl, by either path. */
struct mpd_request {
	uint8_t cmd;			/* MEMPLUG_CMD_HOTPLUG_* or VM_START */
	uint32_t vm_id;
	bool privileged;		/* may change state */
	const char *body;		/* JSON, may be NULL for GET/START */
	size_t body_len;
	uint64_t deadline_ns;		/* relayed: the caller stops waiting */
};

/*
 * A change memplugd starts must end before memplug.ko stops waiting for
 * it, or the caller hears "did not answer in time" of a PATCH that then
 * takes effect.  The longest part of one step is the VMM's answer.
 */
#define MPD_DEADLINE_MARGIN_NS	((MPD_VMM_TIMEOUT_MS + 500) * 1000000ULL)
_Static_assert(MPD_VMM_TIMEOUT_MS + 500 < MEMPLUG_RELAY_TIMEOUT_MS,
	       "a step must end before memplug.ko stops waiting");
/* too late to start a step of a change relayed with @deadline_ns (0: none) */
bool mpd_deadline_near(uint64_t deadline_ns);

struct mpd_reply {
	int err;			/* 0 or -errno */
	char text[MEMPLUG_VMM_TEXT_LEN];	/* error message */
	char body[MEMPLUG_HOTPLUG_BODY_MAX];	/* JSON answer */
};

/* log.c: stderr with sd-daemon(3) priority prefixes ("<3>"...). */
void mpd_log(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void mpd_notify(const char *state);

/* peer.c: the VMMs' side of the socket. */
void peer__accept(struct mpd *d);
void peer__close_conn(struct mpd *d, int fd);
void peer__readable(struct mpd *d, int fd);
int peer__call(struct mpd *d, struct mpd_vm *vm, struct memplug_vmm_msg *m,
	       struct mpd_reply *r);
void peer__drop(struct mpd *d, struct mpd_vm *vm, const char *why,
		bool detach);
struct mpd_vm *peer__find(struct mpd *d, uint32_t id);

/* hotplug.c: PUT / PATCH / GET / START and the slot planner. */
void hotplug__handle(struct mpd *d, const struct mpd_request *req,
		     struct mpd_reply *r);
uint64_t hotplug__registered(struct mpd *d, struct mpd_vm *vm);
void hotplug__lower(struct mpd *d, struct mpd_vm *vm, uint64_t mib);
void hotplug__state(struct mpd *d, struct mpd_vm *vm,
		    const struct memplug_vmm_state *st);
void hotplug__slots_empty(struct mpd_vm *vm, const struct memplug_vmm_slots *s);
void hotplug__flush_empty(struct mpd *d, struct mpd_vm *vm);
int hotplug__configure(struct mpd *d, struct mpd_vm *vm,
		       const struct hotplug_config *cfg);

/* kmod.c: memplug.ko (attach, slots, relayed requests, events). */
int kmod__open(struct mpd *d);
void kmod__readable(struct mpd *d);
int kmod__drain(struct mpd *d);
int kmod__attach(struct mpd *d, struct mpd_vm *vm);
void kmod__detach(struct mpd *d, struct mpd_vm *vm);
int kmod__apply(struct mpd *d, struct mpd_vm *vm, const uint32_t *idx,
		int n, bool attach, struct mpd_reply *r);
void kmod__event(struct mpd *d, struct mpd_vm *vm);

/* cli.c: memplugctl talking to the daemon's socket (no module); -1: drop it */
int cli__request(struct mpd *d, int fd, const void *buf, bool privileged);

#endif
