// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-mem (virtio 1.2 §5.15): a device-managed region of total_size,
 * plugged and unplugged by the guest in block_size units, backed by the
 * hotplug region's slots.
 *
 * Request handling is decode -> process_* (validate, mutate, return the
 * response type) -> respond, with a counter for every outcome.  ERROR
 * only answers malformed requests, since Linux marks the device broken on
 * it; a plug beyond the requested size gets NACK, one the host cannot
 * back now (no slot to be had) BUSY.
 *
 * Slots: with attach-ahead (the default) a PATCH attaches every slot the
 * new requested size needs before the guest hears of it, so PLUG finds
 * its memory mapped; without it a slot is attached on its first PLUG.  A
 * slot that becomes empty and is not needed is detached by the hotplug
 * worker, after the guest has its answer.
 */
#include <errno.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mem.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "memplug/vmm.h"
#include "memplug/vmm-region.h"
#include "memplug/vmm-virtio.h"

#define VIRTIO_ID_MEM_DEV	24	/* <linux/virtio_ids.h> VIRTIO_ID_MEM */
#define VIRTIO_MEM_QUEUE_SIZE	VQ_MAX_SIZE
#define MIB			(1ULL << 20)

struct virtio_mem {
	struct virtio_device vdev;
	pthread_mutex_t lock;
	pthread_mutex_t patch_lock;	/* one PATCH at a time */
	pthread_mutex_t slot_lock;	/* attach/detach; inside vm->lock */
	pthread_cond_t cond;		/* plugged or requested changed */
	uint64_t gen;			/* counts those changes */
	struct hotplug_config cfg;
	struct vmm_region *hp;
	enum vmm_attach attach;

	uint64_t addr, region_size, block_size, slot_size;
	uint64_t usable_region_size, plugged_size, requested_size;
	uint64_t attaching;		/* a PATCH's size while it attaches ahead */
	uint64_t nr_blocks, blocks_per_slot;
	uint64_t *plugged;		/* bitmap, one bit per block */
	uint32_t *slot_blocks;		/* plugged blocks per slot */

	struct virtio_mem_stats stats;
	struct virtio_mem_times times;
	/* the last attach failure logged; its repeats are only counted */
	int attach_err;
	const struct region_slot_ops *attach_err_ops;
	uint64_t attach_err_repeats;
	bool trace;			/* MEMPLUG_VMM_TRACE=1: log requests */
};

static bool test_block(struct virtio_mem *vm, uint64_t b)
{
	return vm->plugged[b / 64] & (1ULL << (b % 64));
}

static void set_block(struct virtio_mem *vm, uint64_t b, bool on)
{
	if (on)
		vm->plugged[b / 64] |= 1ULL << (b % 64);
	else
		vm->plugged[b / 64] &= ~(1ULL << (b % 64));
}

/* blocks plugged in [first, first + n) */
static uint64_t count_plugged(struct virtio_mem *vm, uint64_t first, uint64_t n)
{
	uint64_t b, c = 0;

	for (b = first; b < first + n; b++)
		c += test_block(vm, b);
	return c;
}

static uint64_t round_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

/* Slots the current request, or the one a PATCH attaches for, needs kept attached. */
static uint64_t slots_needed(struct virtio_mem *vm)
{
	uint64_t req = vm->requested_size > vm->attaching ? vm->requested_size :
		       vm->attaching;

	switch (vm->attach) {
	case VMM_ATTACH_BOOT:
		return vm->hp->nr_slots;
	case VMM_ATTACH_PATCH:
		return round_up(req, vm->slot_size) / vm->slot_size;
	default:
		return 0;
	}
}

/*
 * Usable region = requested rounded up to the slot size, never below a
 * block the guest still has plugged.  It grows when the request does but
 * shrinks only on UNPLUG_ALL (@may_shrink): a driver plugs against the
 * size it last read, and Linux takes ERROR for a plug inside it as a
 * broken device.
 */
static void update_usable(struct virtio_mem *vm, bool may_shrink)
{
	uint64_t b = vm->nr_blocks, end = 0;

	while (b > 0 && !end) {
		b--;
		if (vm->plugged[b / 64] == 0) {
			b -= b % 64;
			continue;
		}
		if (test_block(vm, b))
			end = (b + 1) * vm->block_size;
	}
	if (end < vm->requested_size)
		end = vm->requested_size;
	end = round_up(end, vm->slot_size);
	if (may_shrink || end > vm->usable_region_size)
		vm->usable_region_size = end;
}

/*
 * A guest whose PLUGs keep failing retries at once, for ever: one line per
 * kind of failure, not one per PLUG, or the guest fills the VMM's log.
 */
static void attach_failed(struct virtio_mem *vm, uint32_t s, int err)
{
	if (err == vm->attach_err && vm->hp->ops == vm->attach_err_ops) {
		vm->attach_err_repeats++;
		return;
	}
	pr_err("attaching slot %u (%s): %s; the same failure again is counted, not logged",
	       s, vm->hp->ops->name, strerror(-err));
	vm->attach_err = err;
	vm->attach_err_ops = vm->hp->ops;
	vm->attach_err_repeats = 0;
}

static void attach_works(struct virtio_mem *vm)
{
	pr_info("attaching slots (%s) works again, after %llu more failures",
		vm->hp->ops->name, (unsigned long long)vm->attach_err_repeats);
	vm->attach_err = 0;
	vm->attach_err_ops = NULL;
}

/* With vm->lock (a PLUG) or without it (a PATCH attaching ahead). */
static int attach_slot(struct virtio_mem *vm, uint32_t s)
{
	uint64_t t0;
	int ret = 0;

	pthread_mutex_lock(&vm->slot_lock);
	if (!vm->hp->attached[s]) {
		t0 = mp_now_ns();
		ret = region__attach(vm->hp, s);
		vm->times.attach_ns_total += mp_now_ns() - t0;
		vm->times.nr_attach++;
		if (ret)
			attach_failed(vm, s, ret);
		else if (vm->attach_err)
			attach_works(vm);
	}
	pthread_mutex_unlock(&vm->slot_lock);
	return ret;
}

void virtio_mem__maybe_detach(struct virtio_mem *vm, uint32_t s)
{
	uint64_t t0;
	int ret;

	pthread_mutex_lock(&vm->lock);
	pthread_mutex_lock(&vm->slot_lock);
	if (vm->hp->attached[s] && !vm->slot_blocks[s] && s >= slots_needed(vm)) {
		t0 = mp_now_ns();
		ret = region__detach(vm->hp, s);
		vm->times.attach_ns_total += mp_now_ns() - t0;
		vm->times.nr_detach++;
		if (ret)
			pr_err("detaching slot %u (%s): %s", s, vm->hp->ops->name,
			       strerror(-ret));
		else
			/*
			 * Nothing is plugged here, but a guest may have written
			 * its unplugged blocks: their memory goes back too.
			 */
			region__queue_discard(vm->hp, (uint64_t)s * vm->slot_size,
					      vm->slot_size);
	}
	pthread_mutex_unlock(&vm->slot_lock);
	pthread_mutex_unlock(&vm->lock);
}

static void note_progress(struct virtio_mem *vm)
{
	uint64_t t = mp_now_ns();

	if (vm->times.patch_ns && !vm->times.first_req_ns)
		vm->times.first_req_ns = t;
	if (vm->plugged_size == vm->requested_size && !vm->times.settled_ns)
		vm->times.settled_ns = t;
	vm->gen++;
	pthread_cond_broadcast(&vm->cond);
}

/*
 * A range of nb_blocks blocks at guest-physical addr, inside the first
 * limit bytes of the region?  Sets *first to its first block.
 */
static bool valid_range(struct virtio_mem *vm, uint64_t addr, uint16_t nb,
			uint64_t limit, uint64_t *first)
{
	uint64_t off, size;

	if (!nb || addr % vm->block_size || addr < vm->addr)
		return false;
	off = addr - vm->addr;
	size = (uint64_t)nb * vm->block_size;	/* nb < 2^16: no overflow */
	if (off > limit || size > limit - off)
		return false;
	*first = off / vm->block_size;
	return true;
}

static uint16_t process_plug(struct virtio_mem *vm, uint64_t addr, uint16_t nb)
{
	uint64_t first, b, size, s, s_end;

	if (!valid_range(vm, addr, nb, vm->usable_region_size, &first) ||
	    count_plugged(vm, first, nb)) {
		vm->stats.plug_err++;
		return VIRTIO_MEM_RESP_ERROR;
	}
	size = (uint64_t)nb * vm->block_size;
	if (vm->plugged_size + size > vm->requested_size) {
		vm->stats.plug_nack++;
		return VIRTIO_MEM_RESP_NACK;
	}
	/*
	 * No memory for the plug right now is BUSY, not NACK: Linux retries
	 * a NACKed plug at once, for as long as it lasts (thousands of exits
	 * a second), a BUSY one on its timer or at the next config change
	 * (virtio_mem__set_slot_ops() makes one when slots can come again).
	 */
	s_end = (first + nb - 1) / vm->blocks_per_slot;
	for (s = first / vm->blocks_per_slot; s <= s_end; s++) {
		/* past the request's slots memplugd may have detached it */
		if (vm->hp->ops->remote && !vm->hp->attached[s] &&
		    s >= round_up(vm->requested_size, vm->slot_size) / vm->slot_size) {
			vm->stats.plug_busy++;
			return VIRTIO_MEM_RESP_BUSY;
		}
		if (attach_slot(vm, s)) {
			/* a host failure: the device stays usable */
			vm->stats.plug_busy++;
			return VIRTIO_MEM_RESP_BUSY;
		}
	}
	/* a re-plugged block must not be punched after the guest wrote it */
	region__wait_discard(vm->hp, first * vm->block_size, size);
	for (b = first; b < first + nb; b++) {
		set_block(vm, b, true);
		vm->slot_blocks[b / vm->blocks_per_slot]++;
	}
	__atomic_store_n(&vm->plugged_size, vm->plugged_size + size, __ATOMIC_RELAXED);
	vm->stats.plug++;
	return VIRTIO_MEM_RESP_ACK;
}

static uint16_t process_unplug(struct virtio_mem *vm, uint64_t addr, uint16_t nb)
{
	uint64_t first, b, s;

	if (!valid_range(vm, addr, nb, vm->region_size, &first) ||
	    count_plugged(vm, first, nb) != nb) {
		vm->stats.unplug_err++;
		return VIRTIO_MEM_RESP_ERROR;
	}
	for (b = first; b < first + nb; b++) {
		set_block(vm, b, false);
		s = b / vm->blocks_per_slot;
		if (!--vm->slot_blocks[s] && s >= slots_needed(vm))
			region__queue_detach(vm->hp, s);
	}
	__atomic_store_n(&vm->plugged_size, vm->plugged_size - (uint64_t)nb * vm->block_size,
			 __ATOMIC_RELAXED);
	region__queue_discard(vm->hp, first * vm->block_size,
			      (uint64_t)nb * vm->block_size);
	vm->stats.unplug++;
	return VIRTIO_MEM_RESP_ACK;
}

static uint16_t process_unplug_all(struct virtio_mem *vm)
{
	uint32_t s;

	/*
	 * Every attached slot is punched, not only those with plugged blocks:
	 * a guest may have written unplugged ones (the memory behind them is
	 * there for the asking).  The slots nobody attached may be memplugd's
	 * spares, memslots over our anonymous memory: that is dropped too.
	 */
	for (s = 0; s < vm->hp->nr_slots; s++) {
		if (vm->slot_blocks[s] || vm->hp->attached[s])
			region__queue_discard(vm->hp, (uint64_t)s * vm->slot_size,
					      vm->slot_size);
		vm->slot_blocks[s] = 0;
		if (vm->hp->attached[s] && s >= slots_needed(vm))
			region__queue_detach(vm->hp, s);
	}
	region__queue_drop(vm->hp);
	memset(vm->plugged, 0, (vm->nr_blocks + 63) / 64 * 8);
	__atomic_store_n(&vm->plugged_size, 0, __ATOMIC_RELAXED);
	update_usable(vm, true);
	vm->stats.unplug_all++;
	return VIRTIO_MEM_RESP_ACK;
}

static uint16_t process_state(struct virtio_mem *vm, uint64_t addr, uint16_t nb,
			      uint16_t *state)
{
	uint64_t first, c;

	if (!valid_range(vm, addr, nb, vm->region_size, &first)) {
		vm->stats.state_err++;
		return VIRTIO_MEM_RESP_ERROR;
	}
	c = count_plugged(vm, first, nb);
	*state = c == nb ? VIRTIO_MEM_STATE_PLUGGED :
		 c == 0 ? VIRTIO_MEM_STATE_UNPLUGGED : VIRTIO_MEM_STATE_MIXED;
	vm->stats.state++;
	return VIRTIO_MEM_RESP_ACK;
}

static void handle_request(struct virtio_mem *vm, const struct virtio_mem_req *req,
			   struct virtio_mem_resp *resp)
{
	uint64_t t0 = mp_now_ns();
	uint64_t plugged = vm->plugged_size, usable = vm->usable_region_size;

	memset(resp, 0, sizeof(*resp));
	switch (req->type) {
	case VIRTIO_MEM_REQ_PLUG:
		resp->type = process_plug(vm, req->u.plug.addr, req->u.plug.nb_blocks);
		break;
	case VIRTIO_MEM_REQ_UNPLUG:
		resp->type = process_unplug(vm, req->u.unplug.addr,
					    req->u.unplug.nb_blocks);
		break;
	case VIRTIO_MEM_REQ_UNPLUG_ALL:
		resp->type = process_unplug_all(vm);
		break;
	case VIRTIO_MEM_REQ_STATE:
		resp->type = process_state(vm, req->u.state.addr,
					   req->u.state.nb_blocks,
					   &resp->u.state.state);
		break;
	default:
		vm->stats.bad_type++;
		resp->type = VIRTIO_MEM_RESP_ERROR;
		break;
	}
	/* a driver reading the config across this change must see it did */
	if (vm->plugged_size != plugged || vm->usable_region_size != usable)
		vm->vdev.config_generation++;
	note_progress(vm);
	if (vm->trace)
		pr_info("virtio-mem: +%.3f ms req %u addr %#llx nb %u -> %u (%.3f ms), plugged %llu MiB",
			vm->times.patch_ns ? (t0 - vm->times.patch_ns) / 1e6 : 0.0,
			req->type, (unsigned long long)req->u.plug.addr,
			req->u.plug.nb_blocks, resp->type, (mp_now_ns() - t0) / 1e6,
			(unsigned long long)(vm->plugged_size / MIB));
}

/* The driver broke the ring: stop using it (virtio 1.2 §2.1.2). */
static void queue_broken(struct virtio_mem *vm, struct virtqueue *vq)
{
	vm->stats.bad_chain++;
	vq->enabled = false;
	vm->vdev.status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	if (vm->vdev.signal_config)
		vm->vdev.signal_config(&vm->vdev);
}

void virtio_mem__handle_queue(struct virtio_mem *vm)
{
	struct virtqueue *vq = &vm->vdev.vqs[0];
	struct virtio_mem_req req;
	struct virtio_mem_resp resp;
	struct vq_elem e;
	bool pushed = false;
	long len;
	int ret;

	pthread_mutex_lock(&vm->lock);
	/* no buffer is used before DRIVER_OK (virtio 1.2 §3.1.2) */
	if (!vq->enabled || !(vm->vdev.status & VIRTIO_CONFIG_S_DRIVER_OK) ||
	    (vm->vdev.status & VIRTIO_CONFIG_S_NEEDS_RESET))
		goto out;
	/* the rings may sit in a slot detached since the last notify */
	if (virtqueue__refresh(vq)) {
		queue_broken(vm, vq);
		goto out;
	}
	while ((ret = virtqueue__pop(vq, &e)) != 0) {
		if (ret < 0) {
			queue_broken(vm, vq);
			break;
		}
		/* nowhere to answer: do nothing the driver could not hear of */
		if (e.in_len < sizeof(resp)) {
			vm->stats.bad_chain++;
			virtqueue__push(vq, &e, 0);
			pushed = true;
			continue;
		}
		memset(&req, 0, sizeof(req));
		len = virtqueue__read(vq, &e, &req, sizeof(req));
		if (len < 0) {
			queue_broken(vm, vq);
			break;
		}
		if (len < (long)sizeof(req)) {
			vm->stats.bad_chain++;
			memset(&resp, 0, sizeof(resp));
			resp.type = VIRTIO_MEM_RESP_ERROR;
		} else {
			handle_request(vm, &req, &resp);
		}
		len = virtqueue__write(vq, &e, &resp, sizeof(resp));
		if (len < 0) {
			queue_broken(vm, vq);
			break;
		}
		virtqueue__push(vq, &e, len);
		pushed = true;
	}
	if (pushed && vm->vdev.signal_vq && virtqueue__needs_signal(vq))
		vm->vdev.signal_vq(&vm->vdev, 0);
out:
	pthread_mutex_unlock(&vm->lock);
}

static void virtio_mem__notify_vq(struct virtio_device *vdev, int q)
{
	virtio_mem__handle_queue(vdev->priv);
}

static void virtio_mem__get_config(struct virtio_device *vdev, void *buf)
{
	struct virtio_mem *vm = vdev->priv;
	struct virtio_mem_config c;

	memset(&c, 0, sizeof(c));
	pthread_mutex_lock(&vm->lock);
	c.block_size = vm->block_size;
	c.addr = vm->addr;
	c.region_size = vm->region_size;
	c.usable_region_size = vm->usable_region_size;
	c.plugged_size = vm->plugged_size;
	c.requested_size = vm->requested_size;
	pthread_mutex_unlock(&vm->lock);
	memcpy(buf, &c, sizeof(c));
}

/* unplugged memory is inaccessible here: a driver must accept that */
static bool virtio_mem__features_ok(struct virtio_device *vdev, uint64_t f)
{
	return (f & (1ULL << VIRTIO_F_VERSION_1)) &&
	       (f & (1ULL << VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE));
}

static const struct virtio_ops virtio_mem_ops = {
	.device_id = VIRTIO_ID_MEM_DEV,
	.features = (1ULL << VIRTIO_F_VERSION_1) |
		    (1ULL << VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE),
	.config_size = sizeof(struct virtio_mem_config),
	.queue_size = VIRTIO_MEM_QUEUE_SIZE,
	.nr_queues = 1,
	.get_config = virtio_mem__get_config,
	.notify_vq = virtio_mem__notify_vq,
	.features_ok = virtio_mem__features_ok,
};

static bool driver_active(struct virtio_mem *vm)
{
	return (vm->vdev.status & VIRTIO_CONFIG_S_DRIVER_OK) &&
	       !(vm->vdev.status & VIRTIO_CONFIG_S_NEEDS_RESET);
}

/*
 * A PATCH attaches the slots a larger request needs before the guest
 * hears of it without vm->lock or the transport's lock (slot_lock orders
 * it against PLUG and the worker), so that vCPU exits and guest requests
 * go on meanwhile: a big growth is many memslot ioctls.  Then the new size is published under
 * both locks (the config interrupt is the transport's MSI-X state).  A
 * PLUG that finds its slot not yet attached attaches it itself.
 */
int virtio_mem__patch(struct virtio_mem *vm, const struct hotplug_patch *p,
		      char *err, size_t errlen)
{
	uint64_t req, s, n, t0;
	bool active;
	int ret;

	ret = hotplug_config__check_patch(&vm->cfg, p, err, errlen);
	if (ret)
		return ret;
	req = p->requested_size_mib * MIB;
	pthread_mutex_lock(&vm->patch_lock);
	t0 = mp_now_ns();
	pthread_mutex_lock(&vm->lock);
	active = driver_active(vm);
	n = vm->attach == VMM_ATTACH_PATCH ? round_up(req, vm->slot_size) / vm->slot_size : 0;
	memset(&vm->times, 0, sizeof(vm->times));
	vm->times.patch_ns = t0;
	vm->attaching = req;	/* the worker must not detach them meanwhile */
	pthread_mutex_unlock(&vm->lock);
	for (s = 0; active && s < n; s++)
		attach_slot(vm, s);	/* on failure: attached on PLUG */

	if (vm->vdev.transport_lock)
		pthread_mutex_lock(vm->vdev.transport_lock);
	pthread_mutex_lock(&vm->lock);
	vm->attaching = 0;
	if (driver_active(vm)) {
		__atomic_store_n(&vm->requested_size, req, __ATOMIC_RELAXED);
	} else {
		snprintf(err, errlen, "%s", HOTPLUG_ERR_NO_DRIVER);
		ret = -EAGAIN;
	}
	/* what the request does not need, attached ahead or left over */
	n = slots_needed(vm);
	for (s = n; s < vm->hp->nr_slots; s++)
		if (vm->hp->attached[s] && !vm->slot_blocks[s])
			region__queue_detach(vm->hp, s);
	if (ret)
		goto out;
	if (vm->plugged_size == req)
		vm->times.settled_ns = vm->times.patch_ns;
	vm->times.attached_ns = mp_now_ns();
	update_usable(vm, false);
	/* spares memplugd moves leave our anonymous memory behind */
	region__queue_drop(vm->hp);
	vm->vdev.config_generation++;
	if (vm->vdev.signal_config)
		vm->vdev.signal_config(&vm->vdev);
	vm->gen++;
	pthread_cond_broadcast(&vm->cond);
out:
	pthread_mutex_unlock(&vm->lock);
	if (vm->vdev.transport_lock)
		pthread_mutex_unlock(vm->vdev.transport_lock);
	pthread_mutex_unlock(&vm->patch_lock);
	return ret;
}

void virtio_mem__get(struct virtio_mem *vm, struct hotplug_state *st)
{
	/*
	 * No lock: a GET must never wait behind request handling or a slot
	 * ioctl on the worker (Firecracker #6007).  The sizes are written
	 * under vm->lock with atomic stores.
	 */
	st->config = vm->cfg;
	st->plugged_size_mib = __atomic_load_n(&vm->plugged_size, __ATOMIC_RELAXED) / MIB;
	st->requested_size_mib = __atomic_load_n(&vm->requested_size, __ATOMIC_RELAXED) / MIB;
}

void virtio_mem__stats(struct virtio_mem *vm, struct virtio_mem_stats *s,
		       struct virtio_mem_times *t)
{
	pthread_mutex_lock(&vm->lock);
	*s = vm->stats;
	*t = vm->times;
	pthread_mutex_unlock(&vm->lock);
}

int virtio_mem__wait_settled(struct virtio_mem *vm, int timeout_ms)
{
	struct timespec ts;
	int ret = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&vm->lock);
	while (vm->plugged_size != vm->requested_size && !ret)
		ret = pthread_cond_timedwait(&vm->cond, &vm->lock, &ts);
	pthread_mutex_unlock(&vm->lock);
	return ret ? -ETIMEDOUT : 0;
}

/* Waits until the change count passes *gen (or timeout); updates *gen. */
void virtio_mem__wait_change(struct virtio_mem *vm, uint64_t *gen,
			     int timeout_ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += (timeout_ms % 1000) * 1000000L;
	ts.tv_sec += timeout_ms / 1000 + ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&vm->lock);
	while (vm->gen == *gen &&
	       !pthread_cond_timedwait(&vm->cond, &vm->lock, &ts))
		;
	*gen = vm->gen;
	pthread_mutex_unlock(&vm->lock);
}

bool virtio_mem__driver_ready(struct virtio_mem *vm)
{
	uint8_t status = __atomic_load_n(&vm->vdev.status, __ATOMIC_RELAXED);

	return (status & VIRTIO_CONFIG_S_DRIVER_OK) &&
	       !(status & VIRTIO_CONFIG_S_NEEDS_RESET);
}

uint64_t virtio_mem__usable_mib(struct virtio_mem *vm)
{
	uint64_t v;

	pthread_mutex_lock(&vm->lock);
	v = vm->usable_region_size / MIB;
	pthread_mutex_unlock(&vm->lock);
	return v;
}

/*
 * New slot operations (memplugd came back, perhaps in the other mode): a
 * driver told BUSY waits for its timer (50 s and more in Linux) unless
 * the config interrupt says to try again now.
 */
void virtio_mem__set_slot_ops(struct virtio_mem *vm,
			      const struct region_slot_ops *ops, void *ctx)
{
	if (vm->vdev.transport_lock)
		pthread_mutex_lock(vm->vdev.transport_lock);
	pthread_mutex_lock(&vm->lock);
	vm->hp->ops = ops;
	vm->hp->ops_ctx = ctx;
	if (driver_active(vm) && vm->vdev.signal_config)
		vm->vdev.signal_config(&vm->vdev);
	pthread_mutex_unlock(&vm->lock);
	if (vm->vdev.transport_lock)
		pthread_mutex_unlock(vm->vdev.transport_lock);
}

struct virtio_device *virtio_mem__vdev(struct virtio_mem *vm)
{
	return &vm->vdev;
}

struct virtio_mem *virtio_mem__create(const struct hotplug_config *cfg,
				      uint64_t addr, struct vmm_region *hp,
				      enum vmm_attach attach)
{
	struct virtio_mem *vm;

	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return NULL;
	vm->cfg = *cfg;
	vm->hp = hp;
	vm->attach = attach;
	vm->trace = getenv("MEMPLUG_VMM_TRACE") != NULL;
	vm->addr = addr;
	vm->block_size = cfg->block_size_mib * MIB;
	vm->slot_size = cfg->slot_size_mib * MIB;
	vm->region_size = cfg->total_size_mib * MIB;
	vm->nr_blocks = vm->region_size / vm->block_size;
	vm->blocks_per_slot = vm->slot_size / vm->block_size;
	vm->plugged = calloc((vm->nr_blocks + 63) / 64, 8);
	vm->slot_blocks = calloc(vm->region_size / vm->slot_size, sizeof(uint32_t));
	if (!vm->plugged || !vm->slot_blocks) {
		free(vm->plugged);
		free(vm->slot_blocks);
		free(vm);
		return NULL;
	}
	pthread_mutex_init(&vm->lock, NULL);
	pthread_mutex_init(&vm->patch_lock, NULL);
	pthread_mutex_init(&vm->slot_lock, NULL);
	pthread_cond_init(&vm->cond, NULL);
	vm->vdev.ops = &virtio_mem_ops;
	vm->vdev.priv = vm;
	hp->vmem = vm;
	return vm;
}
