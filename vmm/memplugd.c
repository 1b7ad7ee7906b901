// SPDX-License-Identifier: GPL-2.0
/*
 * memplugd: memplug-vmm as a client of memplugd (--daemon SOCKET).
 *
 * The VMM registers its VM fd, hotplug memfd and region with memplugd
 * (include/memplug/vmm_proto.h).  In module mode memplugd attaches every
 * slot of a grown request through memplug.ko before it sends REQUEST, so
 * the slot operations here only change the protection of our mapping, and
 * a seccomp filter then denies this process KVM_SET_USER_MEMORY_REGION
 * altogether: the proof that the VMM no longer touches hotplug memslots.
 * In local mode (no module) the VMM keeps its own slot operations.
 *
 * Two threads: one answers memplugd's requests, one reports state changes
 * (plugged, requested, driver ready).  If memplugd goes away the guest runs
 * on; the VMM registers again once memplugd is back.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "memplug/vmm.h"
#include "memplug/vmm-region.h"
#include "memplug/vmm-virtio.h"
#include "memplug/scm.h"
#include "memplug/vmm_proto.h"

struct vmm_memplugd {
	struct vmm *vmm;
	const char *path;
	int fd;				/* -1 while not registered */
	uint32_t vm_id;
	enum memplug_mode mode;
	bool seccomp_on;
	pthread_mutex_t send_lock;
	/* slots emptied under the device's locks, not yet reported (empty_lock) */
	pthread_mutex_t empty_lock;
	uint8_t *empty;
	bool any_empty;
	struct memplug_vmm_slots *ranges;	/* send_empty's, with send_lock */
	/* a registration, from the size it reports to its mode, vs a ctl PATCH */
	pthread_mutex_t size_lock;
	pthread_t rx, tx;
	struct memplug_vmm_state sent;	/* last STATE sent */
};

/*
 * The slots reported empty, as SLOTS_EMPTY ranges; with send_lock.  Before
 * every other message: a report queued before the VMM took a REQUEST
 * reaches memplugd before that REQUEST's REPLY, as if sent at once, so that
 * memplugd never judges it by the newer request.  The sends may wait for
 * room; empty_lock, which the device takes, is not held meanwhile.
 */
static void memplugd__send_empty(struct vmm_memplugd *d)
{
	struct memplug_vmm_msg m = { .type = MEMPLUG_VMM_SLOTS_EMPTY };
	uint32_t s, first, nr = 0, i, n = d->vmm->hp->nr_slots;

	pthread_mutex_lock(&d->empty_lock);
	for (s = 0; d->any_empty && s < n; s++) {
		if (!d->empty[s])
			continue;
		for (first = s; s < n && d->empty[s]; s++)
			d->empty[s] = 0;
		d->ranges[nr].first = first;
		d->ranges[nr++].count = s - first;
	}
	d->any_empty = false;
	pthread_mutex_unlock(&d->empty_lock);
	for (i = 0; i < nr && d->fd >= 0; i++) {
		m.slots = d->ranges[i];
		/* lost to a memplugd that went away: registering again reports them */
		send(d->fd, &m, sizeof(m), MSG_NOSIGNAL);
	}
}

/*
 * From the rx and tx threads only, never with the device's locks held: a
 * memplugd that stops reading its socket may block this, not the guest.
 */
static int memplugd__send(struct vmm_memplugd *d, const struct memplug_vmm_msg *m)
{
	int ret = 0;

	pthread_mutex_lock(&d->send_lock);
	memplugd__send_empty(d);
	if (d->fd < 0 ||
	    send(d->fd, m, sizeof(*m), MSG_NOSIGNAL) != sizeof(*m))
		ret = -EPIPE;
	pthread_mutex_unlock(&d->send_lock);
	return ret;
}

/* Module mode: memplugd holds the memslot; we only map or unmap ours. */
static int memplugd__attach(void *ctx, const struct region_slot *s)
{
	return region__map_slot(s);
}

static int memplugd__detach(void *ctx, const struct region_slot *s)
{
	struct vmm_memplugd *d = ctx;
	int ret;

	/*
	 * Empty and outside the request: memplugd detaches it (batched).  We
	 * hold the device's locks: the tx thread sends the report.
	 */
	ret = region__unmap_slot(s);
	if (ret)
		return ret;
	pthread_mutex_lock(&d->empty_lock);
	d->empty[s->index] = 1;
	d->any_empty = true;
	pthread_mutex_unlock(&d->empty_lock);
	return 0;
}

static const struct region_slot_ops region_memplugd_ops = {
	.name = "memplugd",
	.remote = true,
	.attach = memplugd__attach,
	.detach = memplugd__detach,
};

/*
 * memplugd came back without memplug.ko while we run under the seccomp
 * filter: nobody can create memslots for us any more, so no slot is
 * attached again and a PLUG that needs one gets BUSY rather than an ACK
 * for memory the guest could not keep.
 */
static int refuse__attach(void *ctx, const struct region_slot *s)
{
	return -EPERM;
}

static int refuse__detach(void *ctx, const struct region_slot *s)
{
	return region__unmap_slot(s);
}

static const struct region_slot_ops region_refuse_ops = {
	.name = "none (memplugd lost memplug.ko)",
	.attach = refuse__attach,
	.detach = refuse__detach,
};

/*
 * A PATCH on the VMM's control socket.  In module mode memplugd attaches a
 * request's slots before it raises the request, so only it may set the
 * size.  A re-registration holds size_lock from reading the size it
 * reports until its mode is in force: a PATCH in between would raise a
 * request the new memplugd never heard of, and the guest would plug into
 * slots KVM lacks.
 */
int memplugd__patch(struct vmm *vmm, const struct hotplug_patch *p,
		    char *err, size_t errlen)
{
	struct vmm_memplugd *d = vmm->daemon;
	int ret;

	if (d)
		pthread_mutex_lock(&d->size_lock);
	if (vmm->hp && vmm->hp->ops->remote) {
		snprintf(err, errlen, "Invalid request: memplugd sets the size in module mode (memplugctl hotplug patch)");
		ret = -EPERM;
	} else {
		ret = virtio_mem__patch(vmm->vmem, p, err, errlen);
	}
	if (d)
		pthread_mutex_unlock(&d->size_lock);
	return ret;
}

static int memplugd__connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* Before the start a paused VMM has at most a config, and no device. */
static struct virtio_mem *memplugd__vmem(struct vmm *vmm)
{
	return __atomic_load_n(&vmm->vmem, __ATOMIC_ACQUIRE);
}

static uint32_t memplugd__flags(struct vmm *vmm)
{
	struct virtio_mem *vmem = memplugd__vmem(vmm);
	uint32_t f = 0;

	if (vmm->has_hc)
		f |= MEMPLUG_VMM_F_CONFIGURED;
	/* a VMM that is not paused starts its guest right after registering */
	if (!vmm->cfg.paused || __atomic_load_n(&vmm->running, __ATOMIC_ACQUIRE))
		f |= MEMPLUG_VMM_F_RUNNING;
	if (vmem && virtio_mem__driver_ready(vmem))
		f |= MEMPLUG_VMM_F_DRIVER_READY;
	return f;
}

static void memplugd__hotplug_state(struct vmm *vmm, struct hotplug_state *st)
{
	struct virtio_mem *vmem = memplugd__vmem(vmm);

	memset(st, 0, sizeof(*st));
	if (vmem)
		virtio_mem__get(vmem, st);
	else if (vmm->has_hc)
		st->config = vmm->hc;
}

/*
 * REGISTER with our fds; waits for REGISTERED, at most register_tmo
 * (memplugd attaches the slots of a carried request first).  Returns the
 * fd or -errno.
 */
static int memplugd__register(struct vmm_memplugd *d)
{
	static const struct timeval register_tmo = { .tv_sec = 10 };
	static const struct timeval no_tmo;
	struct vmm *vmm = d->vmm;
	struct vmm_region *hp = vmm->hp;
	struct memplug_vmm_msg *m = calloc(1, sizeof(*m));
	struct hotplug_state st;
	int fd, fds[2] = { vmm->vm_fd, hp->memfd };

	if (!m)
		return -ENOMEM;
	fd = memplugd__connect(d->path);
	if (fd < 0)
		goto out;
	memplugd__hotplug_state(vmm, &st);
	m->type = MEMPLUG_VMM_REGISTER;
	m->reg.version = MEMPLUG_VMM_PROTO_VERSION;
	m->reg.flags = memplugd__flags(vmm);
	snprintf(m->reg.name, sizeof(m->reg.name), "memplug-vmm-%d", getpid());
	m->reg.region_gpa = hp->gpa;
	m->reg.region_size = hp->reserve;
	m->reg.region_hva = (uintptr_t)hp->hva;
	m->reg.slot_base = hp->kvm_slot_base;
	m->reg.slot_count = hp->nr_slot_ids;
	m->reg.config = st.config;
	m->reg.plugged_size_mib = st.plugged_size_mib;
	m->reg.requested_size_mib = st.requested_size_mib;
	/*
	 * A memplugd that never answers must not hold size_lock, and with it
	 * the control socket's PATCH, for good; afterwards a read waits as
	 * long as memplugd is there.
	 */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &register_tmo, sizeof(register_tmo)) ||
	    scm__send(fd, m, sizeof(*m), fds, 2) ||
	    recv(fd, m, sizeof(*m), 0) != sizeof(*m) ||
	    m->type != MEMPLUG_VMM_REGISTERED ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &no_tmo, sizeof(no_tmo))) {
		close(fd);
		fd = -ECONNREFUSED;
		goto out;
	}
	d->vm_id = m->registered.vm_id;
	d->mode = m->registered.mode;
out:
	free(m);
	return fd;
}

static void memplugd__reply(struct vmm_memplugd *d, uint32_t seq, int err,
			    const char *text)
{
	struct memplug_vmm_msg m = { .type = MEMPLUG_VMM_REPLY, .seq = seq };

	m.reply.err = err;
	m.reply.timestamp_ns = mp_now_ns();	/* the guest was just told */
	if (text)
		snprintf(m.reply.text, sizeof(m.reply.text), "%s", text);
	memplugd__send(d, &m);
}

static void memplugd__request(struct vmm_memplugd *d, const struct memplug_vmm_msg *m)
{
	char err[HOTPLUG_ERR_LEN] = "";
	struct hotplug_patch p;
	int ret;

	switch (m->type) {
	case MEMPLUG_VMM_REQUEST:
		if (!memplugd__vmem(d->vmm)) {
			memplugd__reply(d, m->seq, -EAGAIN, HOTPLUG_ERR_NOT_STARTED);
			break;
		}
		p.requested_size_mib = m->request.requested_size_mib;
		ret = virtio_mem__patch(d->vmm->vmem, &p, err, sizeof(err));
		memplugd__reply(d, m->seq, ret, err);
		break;
	case MEMPLUG_VMM_CONFIG:
		ret = vmm__set_hotplug(d->vmm, &m->config, err, sizeof(err));
		memplugd__reply(d, m->seq, ret, err);
		break;
	case MEMPLUG_VMM_START:
		ret = vmm__start(d->vmm);
		memplugd__reply(d, m->seq, ret, ret == -EALREADY ?
				"the guest is already running" :
				ret ? "the VMM could not start the guest" : NULL);
		if (!ret)
			pr_info("started by memplugd");
		break;
	default:
		pr_err("memplugd sent message %u, ignored", m->type);
	}
}

static void memplugd__state(struct vmm_memplugd *d, bool force)
{
	struct memplug_vmm_msg m = { .type = MEMPLUG_VMM_STATE };
	struct virtio_mem *vmem = memplugd__vmem(d->vmm);
	struct hotplug_state st;

	memplugd__hotplug_state(d->vmm, &st);
	m.state.flags = memplugd__flags(d->vmm);
	m.state.plugged_size_mib = st.plugged_size_mib;
	m.state.requested_size_mib = st.requested_size_mib;
	m.state.usable_size_mib = vmem ? virtio_mem__usable_mib(vmem) : 0;
	if (!force && m.state.flags == d->sent.flags &&
	    m.state.plugged_size_mib == d->sent.plugged_size_mib &&
	    m.state.requested_size_mib == d->sent.requested_size_mib)
		return;
	m.state.timestamp_ns = mp_now_ns();
	if (!memplugd__send(d, &m))
		d->sent = m.state;
}

static void *memplugd__tx(void *arg)
{
	struct vmm_memplugd *d = arg;
	uint64_t gen = 0;

	for (;;) {
		struct virtio_mem *vmem = memplugd__vmem(d->vmm);

		/* Woken by every plugged/requested change; polls driver state. */
		if (vmem)
			virtio_mem__wait_change(vmem, &gen, 100);
		else
			usleep(100 * 1000);	/* paused: until START */
		pthread_mutex_lock(&d->send_lock);
		memplugd__send_empty(d);
		pthread_mutex_unlock(&d->send_lock);
		memplugd__state(d, false);
	}
	return NULL;
}

/*
 * memplugd came back, perhaps in the other mode: the slot operations
 * follow it, both ways.  In module mode memplugd changes the memslots
 * (it has taken over those this process made); in local mode this
 * process does, unless the seccomp filter denies it the ioctls.
 */
static void memplugd__mode_changed(struct vmm_memplugd *d)
{
	struct vmm_region *hp = d->vmm->hp;
	struct virtio_mem *vmem = memplugd__vmem(d->vmm);
	const struct region_slot_ops *ops = &region_memplugd_ops;
	void *ctx = d;

	if (d->mode != MEMPLUG_MODE_MODULE) {
		ops = d->seccomp_on ? &region_refuse_ops : &region_local_ops;
		if (!d->seccomp_on)
			ctx = d->vmm;
	}
	if (hp->ops == ops)
		return;
	if (ops == &region_refuse_ops)
		pr_err("memplugd is back without memplug.ko, but memslot ioctls are denied to this process: "
		       "no more slots are attached, plugs beyond them get BUSY");
	else
		pr_info("memplugd is back in %s mode: slots are now attached by %s",
			d->mode == MEMPLUG_MODE_MODULE ? "module" : "local",
			ops->name);
	if (vmem) {
		virtio_mem__set_slot_ops(vmem, ops, ctx);
	} else {
		hp->ops = ops;
		hp->ops_ctx = ctx;
	}
}

/*
 * After a restart memplugd holds (adopts) every slot memplug.ko kept,
 * including those we unmapped while it was away in local mode and could
 * not detach: tell it which of them past the request's slots we do not
 * have, so that those outside the request and its spare go.  The guest
 * cannot plug into them meanwhile: in module mode a plug into a slot we
 * do not hold past the request's gets BUSY (process_plug()).
 */
static void memplugd__report_unattached(struct vmm_memplugd *d)
{
	struct vmm_region *hp = d->vmm->hp;
	struct memplug_vmm_msg m = { .type = MEMPLUG_VMM_SLOTS_EMPTY };
	struct hotplug_state st;
	uint32_t s, first;

	memplugd__hotplug_state(d->vmm, &st);
	s = ((st.requested_size_mib << 20) + hp->slot_size - 1) / hp->slot_size;

	while (s < hp->nr_slots) {
		if (__atomic_load_n(&hp->attached[s], __ATOMIC_RELAXED)) {
			s++;
			continue;
		}
		for (first = s; s < hp->nr_slots &&
		     !__atomic_load_n(&hp->attached[s], __ATOMIC_RELAXED); s++)
			;
		m.slots.first = first;
		m.slots.count = s - first;
		memplugd__send(d, &m);
	}
}

static void *memplugd__rx(void *arg)
{
	struct vmm_memplugd *d = arg;
	struct memplug_vmm_msg *m = malloc(sizeof(*m));
	int fd;

	if (!m)
		return NULL;
	for (;;) {
		while (d->fd >= 0 && recv(d->fd, m, sizeof(*m), 0) == sizeof(*m))
			memplugd__request(d, m);
		pr_info("memplugd went away; the guest runs on, registering again when it is back");
		pthread_mutex_lock(&d->send_lock);
		if (d->fd >= 0)
			close(d->fd);
		d->fd = -1;
		pthread_mutex_unlock(&d->send_lock);
		for (;;) {
			pthread_mutex_lock(&d->size_lock);
			fd = memplugd__register(d);
			if (fd >= 0)
				break;	/* size_lock held until the mode is in force */
			pthread_mutex_unlock(&d->size_lock);
			sleep(1);
		}
		pthread_mutex_lock(&d->send_lock);
		d->fd = fd;
		pthread_mutex_unlock(&d->send_lock);
		memplugd__mode_changed(d);
		pthread_mutex_unlock(&d->size_lock);
		if (d->mode == MEMPLUG_MODE_MODULE)
			memplugd__report_unattached(d);
		/* after the mode change: tests wait for this line, then act */
		pr_info("registered again with memplugd as VM %u", d->vm_id);
		memplugd__state(d, true);
	}
	return NULL;
}

int memplugd__init(struct vmm *vmm, const char *path)
{
	struct vmm_memplugd *d = calloc(1, sizeof(*d));
	int ret;

	if (!d)
		return -ENOMEM;
	if (!vmm->hp) {
		pr_err("--daemon needs a hotplug region (--hotplug or --paused)");
		return -EINVAL;
	}
	d->vmm = vmm;
	d->path = path;
	pthread_mutex_init(&d->send_lock, NULL);
	pthread_mutex_init(&d->size_lock, NULL);
	pthread_mutex_init(&d->empty_lock, NULL);
	/* nr_slots <= nr_slot_ids (set_hotplug); a range holds a slot at least */
	d->empty = calloc(vmm->hp->nr_slot_ids, 1);
	d->ranges = calloc(vmm->hp->nr_slot_ids, sizeof(*d->ranges));
	if (!d->empty || !d->ranges)
		return -ENOMEM;
	d->fd = memplugd__register(d);
	if (d->fd < 0) {
		pr_err("cannot register with memplugd at %s: %s", path,
		       strerror(-d->fd));
		return d->fd;
	}
	if (d->mode == MEMPLUG_MODE_MODULE) {
		vmm->hp->ops = &region_memplugd_ops;
		vmm->hp->ops_ctx = d;
		ret = vmm__deny_memslot_ioctls();
		if (ret) {
			pr_err("seccomp: %s", strerror(-ret));
			return ret;
		}
		d->seccomp_on = true;
	}
	pr_info("registered with memplugd as VM %u, %s mode%s", d->vm_id,
		d->mode == MEMPLUG_MODE_MODULE ? "module" : "local",
		d->mode == MEMPLUG_MODE_MODULE ?
		": memslot ioctls denied to this process (seccomp)" : "");
	vmm->daemon = d;
	memplugd__state(d, true);
	if (pthread_create(&d->rx, NULL, memplugd__rx, d) ||
	    pthread_create(&d->tx, NULL, memplugd__tx, d))
		return -errno;
	return 0;
}
