// SPDX-License-Identifier: GPL-2.0
/*
 * peer: the processes on the daemon socket.  VMMs register here (with
 * their VM fd and hotplug memfd) and report state; memplugctl talks here
 * when memplug.ko is absent.  SOCK_SEQPACKET: one struct memplug_vmm_msg
 * per datagram.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "memplug/scm.h"
#include "memplugd.h"

struct mpd_vm *peer__find(struct mpd *d, uint32_t id)
{
	int i;

	for (i = 0; i < MPD_MAX_VMS; i++)
		if (d->vms[i].used && d->vms[i].id == id)
			return &d->vms[i];
	return NULL;
}

static struct mpd_vm *peer__by_conn(struct mpd *d, int fd)
{
	int i;

	for (i = 0; i < MPD_MAX_VMS; i++)
		if (d->vms[i].used && d->vms[i].conn == fd)
			return &d->vms[i];
	return NULL;
}

static struct mpd_conn *conn_of(struct mpd *d, int fd)
{
	int i;

	for (i = 0; i < MPD_MAX_CONNS; i++)
		if (d->conns[i].fd == fd)
			return &d->conns[i];
	return NULL;
}

static void listen_pause(struct mpd *d, bool pause)
{
	struct epoll_event ev = { .events = pause ? 0 : EPOLLIN,
				  .data.fd = d->listen_fd };

	if (d->listen_paused != pause &&
	    !epoll_ctl(d->epoll_fd, EPOLL_CTL_MOD, d->listen_fd, &ev))
		d->listen_paused = pause;
}

/*
 * A new connection.  Refused at once when the daemon has no room or its
 * peer (not root) holds its share already: nobody may starve the VMMs.
 * Out of fds, the listening socket rests until a connection closes
 * instead of waking the loop again and again.
 */
void peer__accept(struct mpd *d)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct mpd_conn *slot;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd, i, mine = 0;

	fd = accept4(d->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0) {
		if (errno == EMFILE || errno == ENFILE) {
			mpd_log(LOG_WARNING, "out of file descriptors: not accepting for now");
			listen_pause(d, true);
		}
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len)) {
		close(fd);
		return;
	}
	for (i = 0; i < MPD_MAX_CONNS; i++)
		if (d->conns[i].fd >= 0 && d->conns[i].uid == cred.uid)
			mine++;
	slot = conn_of(d, -1);
	if (!slot || (cred.uid != 0 && mine >= MPD_MAX_CONNS_PER_USER)) {
		mpd_log(LOG_WARNING, "refused a connection from uid %u: %s",
			(unsigned int)cred.uid, slot ? "it holds too many" :
			"too many connections");
		close(fd);
		return;
	}
	ev.data.fd = fd;
	if (epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, fd, &ev)) {
		close(fd);
		return;
	}
	slot->fd = fd;
	slot->uid = cred.uid;
}

void peer__close_conn(struct mpd *d, int fd)
{
	struct mpd_conn *c = conn_of(d, fd);

	if (c)
		c->fd = -1;
	epoll_ctl(d->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
	listen_pause(d, false);
}

/*
 * Never blocks: a peer that does not read its socket gets an error (a
 * VMM) or is dropped (memplugctl), and memplugd goes on serving the rest.
 */
static int send_msg(int fd, const struct memplug_vmm_msg *m)
{
	ssize_t n = send(fd, m, sizeof(*m), MSG_NOSIGNAL | MSG_DONTWAIT);

	if (n == sizeof(*m))
		return 0;
	return n < 0 && errno == EAGAIN ? -EAGAIN : -EPIPE;
}


/* Receives one message and its fds; returns its length or -errno. */
static ssize_t recv_msg(int fd, struct memplug_vmm_msg *m, int *fds, int *nfds,
			int flags)
{
	return scm__recv(fd, m, sizeof(*m), fds, nfds, flags);
}

static void close_fds(int *fds, int n)
{
	while (n--)
		close(fds[n]);
}

/*
 * May the peer change state?  Only root, as the kernel saw it connect
 * (SO_PEERCRED, in memplugd's user namespace): a user who is "root" in a
 * namespace of their own shows up with their own uid here.  Members of
 * the socket's group may connect and GET.
 */
static bool peer_privileged(struct mpd *d, int fd)
{
	struct mpd_conn *c = conn_of(d, fd);

	return c && c->uid == 0;
}

static void peer__register(struct mpd *d, int fd, struct memplug_vmm_msg *m,
			   int *fds, int nfds)
{
	struct memplug_vmm_register *reg = &m->reg;
	struct memplug_vmm_msg ans = { .type = MEMPLUG_VMM_REGISTERED };
	struct mpd_vm *vm = NULL;
	char why[HOTPLUG_ERR_LEN];
	uint64_t backed = 0;
	int i;

	if (!peer_privileged(d, fd))
		snprintf(why, sizeof(why), "only root may register a VMM");
	else if (nfds != 2)
		snprintf(why, sizeof(why), "needs a VM fd and a memfd");
	else if (vmm_proto__check_register(reg, why, sizeof(why)))
		;
	else
		why[0] = '\0';
	if (why[0]) {
		mpd_log(LOG_WARNING, "refused a VMM registration: %s", why);
		goto refuse;
	}
	for (i = 0; i < MPD_MAX_VMS && !vm; i++)
		if (!d->vms[i].used)
			vm = &d->vms[i];
	if (!vm) {
		mpd_log(LOG_WARNING, "refused a VMM: %d VMs registered already",
			MPD_MAX_VMS);
		goto refuse;
	}
	memset(vm, 0, sizeof(*vm));
	vm->used = true;
	vm->conn = fd;
	vm->vm_fd = fds[0];
	vm->mem_fd = fds[1];
	vm->reg = *reg;
	vm->reg.name[sizeof(vm->reg.name) - 1] = '\0';
	vm->state.flags = reg->flags;
	vm->state.plugged_size_mib = reg->plugged_size_mib;
	vm->state.requested_size_mib = reg->requested_size_mib;
	vm->requested_mib = vm->target_mib = reg->requested_size_mib;
	if ((reg->flags & MEMPLUG_VMM_F_CONFIGURED) &&
	    hotplug__configure(d, vm, &reg->config)) {
		mpd_log(LOG_WARNING, "refused VMM '%s': out of memory",
			vm->reg.name);
		vm->used = false;
		goto refuse;
	}
	vm->mode = MEMPLUG_MODE_LOCAL;
	if (d->use_module) {
		if (kmod__attach(d, vm)) {
			vm->used = false;
			goto refuse;
		}
		vm->mode = MEMPLUG_MODE_MODULE;
		backed = hotplug__registered(d, vm);
	} else {
		vm->id = d->next_local_id++;
	}
	ans.registered.vm_id = vm->id;
	ans.registered.mode = vm->mode;
	if (send_msg(fd, &ans)) {
		peer__drop(d, vm, "VMM went away while registering", true);
		return;
	}
	mpd_log(LOG_INFO, "VM %u '%s' registered: region %#llx+%llu MiB, slots %u..%u, %s mode",
		vm->id, vm->reg.name, (unsigned long long)reg->region_gpa,
		(unsigned long long)(reg->region_size >> 20), reg->slot_base,
		reg->slot_base + reg->slot_count - 1,
		vm->mode == MEMPLUG_MODE_MODULE ? "module" : "local");
	if (vm->mode == MEMPLUG_MODE_MODULE && backed < vm->requested_mib)
		hotplug__lower(d, vm, backed);
	return;
refuse:
	close_fds(fds, nfds);
	peer__close_conn(d, fd);
}

/* A message from a registered VMM that is not a reply. */
static void peer__message(struct mpd *d, struct mpd_vm *vm,
			  struct memplug_vmm_msg *m)
{
	switch (m->type) {
	case MEMPLUG_VMM_STATE:
		hotplug__state(d, vm, &m->state);
		break;
	case MEMPLUG_VMM_SLOTS_EMPTY:
		hotplug__slots_empty(vm, &m->slots);
		break;
	case MEMPLUG_VMM_REPLY:
		/* a late answer to a request we gave up on */
		break;
	default:
		mpd_log(LOG_WARNING, "VM %u: unexpected message %u", vm->id, m->type);
	}
}

/*
 * Everything queued on a registered VMM's socket is read in one go, so
 * that slots it emptied one by one are detached in one batch.
 */
static void peer__drain(struct mpd *d, struct mpd_vm *vm,
			struct memplug_vmm_msg *m)
{
	int fds[4], nfds;
	ssize_t n;

	do {
		peer__message(d, vm, m);
		n = recv_msg(vm->conn, m, fds, &nfds, MSG_DONTWAIT);
		close_fds(fds, n > 0 ? nfds : 0);
	} while (n == sizeof(*m));
	hotplug__flush_empty(d, vm);
	if (n == 0 || (n < 0 && n != -EAGAIN))
		peer__drop(d, vm, n ? "VMM socket error" : "VMM disconnected", true);
}

void peer__readable(struct mpd *d, int fd)
{
	struct mpd_vm *vm = peer__by_conn(d, fd);
	struct memplug_vmm_msg *m;
	int fds[4], nfds;
	ssize_t n;

	m = malloc(sizeof(*m));
	if (!m)
		return;
	n = recv_msg(fd, m, fds, &nfds, 0);
	if (n == -EAGAIN)
		goto out;
	if (n <= 0) {
		close_fds(fds, nfds);
		if (vm)
			peer__drop(d, vm, n ? "VMM socket error" : "VMM disconnected",
				   true);
		else
			peer__close_conn(d, fd);
		goto out;
	}
	if (n != sizeof(*m)) {
		mpd_log(LOG_WARNING, "short message (%zd bytes) on the socket", n);
		close_fds(fds, nfds);
		goto out;
	}
	if (vm) {
		close_fds(fds, nfds);
		peer__drain(d, vm, m);
	} else if (m->type == MEMPLUG_VMM_REGISTER) {
		peer__register(d, fd, m, fds, nfds);
	} else if (m->type == MEMPLUG_VMM_CLI_REQUEST) {
		close_fds(fds, nfds);
		if (cli__request(d, fd, m, peer_privileged(d, fd)))
			peer__close_conn(d, fd);
	} else {
		close_fds(fds, nfds);
		mpd_log(LOG_WARNING, "unexpected first message %u on the socket", m->type);
	}
out:
	free(m);
}

static int64_t ms_left(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (deadline->tv_sec - now.tv_sec) * 1000 +
	       (deadline->tv_nsec - now.tv_nsec) / 1000000;
}

/*
 * Sends a request to the VMM and waits, bounded, for its REPLY.  State
 * reports arriving meanwhile are applied as usual.
 */
int peer__call(struct mpd *d, struct mpd_vm *vm, struct memplug_vmm_msg *m,
	       struct mpd_reply *r)
{
	struct memplug_vmm_msg *in;
	struct timespec deadline;
	int fds[4], nfds, err = -ETIMEDOUT;
	int64_t left;

	m->seq = ++vm->seq;
	err = send_msg(vm->conn, m);
	if (err == -EAGAIN) {
		snprintf(r->text, sizeof(r->text),
			 "the VMM of VM %u does not read its socket", vm->id);
		return r->err = -EBUSY;
	}
	if (err) {
		snprintf(r->text, sizeof(r->text), "the VMM of VM %u is gone", vm->id);
		return r->err = -ENODEV;
	}
	err = -ETIMEDOUT;
	in = malloc(sizeof(*in));
	if (!in)
		return r->err = -ENOMEM;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += MPD_VMM_TIMEOUT_MS / 1000;
	while ((left = ms_left(&deadline)) > 0) {
		struct pollfd p = { .fd = vm->conn, .events = POLLIN };

		ssize_t n;

		if (poll(&p, 1, left) <= 0)
			continue;
		n = recv_msg(vm->conn, in, fds, &nfds, 0);
		if (n == -EAGAIN)
			continue;
		if (n != sizeof(*in)) {
			close_fds(fds, nfds);
			err = -ENODEV;
			break;
		}
		close_fds(fds, nfds);
		if (in->type == MEMPLUG_VMM_REPLY && in->seq == m->seq) {
			err = in->reply.err;
			if (!err)
				vm->event_ns = in->reply.timestamp_ns;
			if (err)
				snprintf(r->text, sizeof(r->text), "%s", in->reply.text);
			break;
		}
		peer__message(d, vm, in);
	}
	free(in);
	/*
	 * No flush of empty slots here: a PATCH in progress has not set its
	 * new request yet, and the flush would judge by the old one.
	 */
	if (err == -ETIMEDOUT)
		snprintf(r->text, sizeof(r->text),
			 "the VMM of VM %u did not answer within %d ms",
			 vm->id, MPD_VMM_TIMEOUT_MS);
	else if (err == -ENODEV)
		snprintf(r->text, sizeof(r->text), "the VMM of VM %u is gone", vm->id);
	return r->err = err;
}

void peer__drop(struct mpd *d, struct mpd_vm *vm, const char *why,
		bool detach)
{
	mpd_log(LOG_INFO, "VM %u '%s' dropped: %s", vm->id, vm->reg.name, why);
	/*
	 * Only a VMM that went away loses its slots.  When memplugd stops,
	 * its netlink socket closes and memplug.ko releases the VM but leaves
	 * the slots to the guest, which keeps using its plugged memory.
	 */
	if (detach && vm->mode == MEMPLUG_MODE_MODULE)
		kmod__detach(d, vm);
	peer__close_conn(d, vm->conn);
	close(vm->vm_fd);
	close(vm->mem_fd);
	free(vm->attached);
	free(vm->empty);
	memset(vm, 0, sizeof(*vm));
}
