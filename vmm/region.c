// SPDX-License-Identifier: GPL-2.0
/*
 * region: the hotplug region (memfd, mapped where a slot is attached),
 * the local slot operations and the helper thread that gives unplugged
 * memory back to the host off the guest's critical path.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "memplug/vmm.h"
#include "memplug/vmm-region.h"
#include "memplug/vmm-virtio.h"

enum { JOB_DISCARD, JOB_DETACH, JOB_DROP };

/* the worker punches at most this much at a time */
#define PUNCH_CHUNK	(16ULL << 20)

struct region_job {
	int type;
	uint64_t off, len;	/* DISCARD */
	uint32_t slot;		/* DETACH */
};

static void region__want_thp(void *p, uint64_t size);

int region__map_slot(const struct region_slot *s)
{
	if (mmap(s->hva, s->size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 s->memfd, s->offset) == MAP_FAILED)
		return -errno;
	region__want_thp(s->hva, s->size);
	return 0;
}

int region__unmap_slot(const struct region_slot *s)
{
	if (mmap(s->hva, s->size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED,
		 -1, 0) == MAP_FAILED)
		return -errno;
	return 0;
}

/* local mode */

static int local__attach(void *ctx, const struct region_slot *s)
{
	struct vmm *vmm = ctx;
	int ret;

	ret = region__map_slot(s);
	if (ret)
		return ret;
	ret = kvm__set_slot(vmm, s->kvm_slot, s->gpa, s->size, s->hva);
	if (ret)
		region__unmap_slot(s);
	return ret;
}

static int local__detach(void *ctx, const struct region_slot *s)
{
	struct vmm *vmm = ctx;
	int ret;

	ret = kvm__set_slot(vmm, s->kvm_slot, s->gpa, 0, s->hva);
	if (ret)
		return ret;
	return region__unmap_slot(s);
}

const struct region_slot_ops region_local_ops = {
	.name = "local",
	.attach = local__attach,
	.detach = local__detach,
};

/*
 * 2 MiB pages for the hotplug memory: Linux guests zero every page they
 * take back for unplugging (init_on_alloc, Debian's default), so with 4 KiB
 * shmem pages an unplug of 128 MiB costs 32768 host page faults, each one
 * expensive under nested virtualisation; QEMU's anonymous backend gets THP.
 * shmem only honours MADV_HUGEPAGE when the host allows it.
 */
static void region__want_thp(void *p, uint64_t size)
{
	char buf[128] = "";
	FILE *f;

	static bool told;

	madvise(p, size, MADV_HUGEPAGE);
	if (__atomic_exchange_n(&told, true, __ATOMIC_RELAXED))
		return;
	f = fopen("/sys/kernel/mm/transparent_hugepage/shmem_enabled", "re");
	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = 0;
		fclose(f);
	}
	if (strstr(buf, "[never]") || strstr(buf, "[deny]"))
		pr_info("hotplug memory uses 4 KiB pages: /sys/kernel/mm/transparent_hugepage/shmem_enabled "
			"is %s; 'advise' gives 2 MiB pages (faster guest unplug)",
			strstr(buf, "[never]") ? "never" : "deny");
}

static void slot_desc(struct vmm_region *hp, uint32_t i, struct region_slot *s)
{
	s->index = i;
	s->kvm_slot = hp->kvm_slot_base + i;
	s->gpa = hp->gpa + (uint64_t)i * hp->slot_size;
	s->size = hp->slot_size;
	s->hva = hp->hva + (uint64_t)i * hp->slot_size;
	s->memfd = hp->memfd;
	s->offset = (uint64_t)i * hp->slot_size;
}

int region__attach(struct vmm_region *hp, uint32_t i)
{
	struct region_slot s;
	int ret;

	if (i >= hp->nr_slots)
		return -EINVAL;
	if (hp->attached[i])
		return 0;
	slot_desc(hp, i, &s);
	ret = hp->ops->attach(hp->ops_ctx, &s);
	if (!ret)
		hp->attached[i] = true;
	return ret;
}

int region__detach(struct vmm_region *hp, uint32_t i)
{
	struct region_slot s;
	int ret;

	if (i >= hp->nr_slots)
		return -EINVAL;
	if (!hp->attached[i])
		return 0;
	slot_desc(hp, i, &s);
	ret = hp->ops->detach(hp->ops_ctx, &s);
	if (!ret)
		hp->attached[i] = false;
	return ret;
}

void *region__gpa_to_hva(struct vmm_region *hp, uint64_t gpa, uint64_t len)
{
	uint64_t off;

	if (!hp || gpa < hp->gpa || gpa - hp->gpa >= hp->size ||
	    len > hp->size - (gpa - hp->gpa))
		return NULL;
	off = gpa - hp->gpa;
	/* a range within one attached slot */
	if (off / hp->slot_size != (off + len - 1) / hp->slot_size ||
	    !hp->attached[off / hp->slot_size])
		return NULL;
	return hp->hva + off;
}

/*
 * A guest access that left KVM as MMIO inside the region: no memslot is
 * there.  Where we have the slot attached, memplugd (or memplug.ko) lost
 * the memslot behind our back; the access is done on our mapping, so the
 * guest's data is kept, if slowly, and it is said once.  Elsewhere it is
 * unplugged memory: reads see all ones, writes go nowhere.
 */
void region__mmio(struct vmm *vmm, void *opaque, uint64_t gpa, uint8_t *data,
		  uint32_t len, bool is_write)
{
	struct vmm_region *hp = opaque;
	static bool told;
	uint8_t *p;

	p = region__gpa_to_hva(hp, gpa, len);
	if (!p) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	if (!__atomic_exchange_n(&told, true, __ATOMIC_RELAXED))
		pr_err("guest access at %#llx: the slot is attached here but not in KVM; emulating its accesses",
		       (unsigned long long)gpa);
	__atomic_add_fetch(&hp->emulated, 1, __ATOMIC_RELAXED);
	if (is_write)
		memcpy(p, data, len);
	else
		memcpy(data, p, len);
}

static void punch(struct vmm_region *hp, uint64_t off, uint64_t len)
{
	if (fallocate(hp->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      off, len))
		pr_err("punching [%#llx, +%#llx) of the hotplug memfd: %s",
		       (unsigned long long)off, (unsigned long long)len,
		       strerror(errno));
}

static bool queue_job(struct vmm_region *hp, const struct region_job *j)
{
	struct region_job *last = hp->nr_jobs ? &hp->jobs[hp->nr_jobs - 1] : NULL;

	/* a guest unplugging block after block makes one long punch */
	if (j->type == JOB_DISCARD && last && last->type == JOB_DISCARD &&
	    last->off + last->len == j->off) {
		last->len += j->len;
		return true;
	}
	if (hp->nr_jobs == hp->cap_jobs) {
		unsigned int cap = hp->cap_jobs ? hp->cap_jobs * 2 : 64;
		struct region_job *n = realloc(hp->jobs, cap * sizeof(*n));

		if (!n)
			return false;
		hp->jobs = n;
		hp->cap_jobs = cap;
	}
	hp->jobs[hp->nr_jobs++] = *j;
	pthread_cond_broadcast(&hp->cond);
	return true;
}

void region__queue_discard(struct vmm_region *hp, uint64_t off, uint64_t len)
{
	struct region_job j = { .type = JOB_DISCARD, .off = off, .len = len };
	bool ok;

	pthread_mutex_lock(&hp->lock);
	ok = queue_job(hp, &j);
	pthread_mutex_unlock(&hp->lock);
	if (!ok)
		punch(hp, off, len);
}

/*
 * Anonymous memory where no slot is attached: a guest reaches it only
 * through a memslot memplugd holds there (a spare in module mode), and
 * what it wrote there is not its memory.  MADV_DONTNEED gives it back;
 * racing an attach it only zaps the new mapping's page tables (the memfd
 * keeps its pages), so the worker needs no lock for it.
 */
static void drop_unattached(struct vmm_region *hp)
{
	uint32_t s;

	for (s = 0; s < hp->nr_slots; s++)
		if (!__atomic_load_n(&hp->attached[s], __ATOMIC_RELAXED))
			madvise(hp->hva + (uint64_t)s * hp->slot_size, hp->slot_size,
				MADV_DONTNEED);
}

void region__queue_drop(struct vmm_region *hp)
{
	struct region_job j = { .type = JOB_DROP };
	unsigned int i;

	pthread_mutex_lock(&hp->lock);
	for (i = 0; i < hp->nr_jobs && hp->jobs[i].type != JOB_DROP; i++)
		;
	if (i == hp->nr_jobs)
		queue_job(hp, &j);	/* one queued is enough */
	pthread_mutex_unlock(&hp->lock);
}

void region__queue_detach(struct vmm_region *hp, uint32_t slot)
{
	struct region_job j = { .type = JOB_DETACH, .slot = slot };

	pthread_mutex_lock(&hp->lock);
	queue_job(hp, &j);	/* on failure the slot just stays attached */
	pthread_mutex_unlock(&hp->lock);
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/*
 * Take the part of a queued discard that overlaps [off, off + len) out of
 * the queue (what is left of it stays queued); false when none overlaps.
 */
static bool take_overlap(struct vmm_region *hp, uint64_t off, uint64_t len,
			 struct region_job *out)
{
	struct region_job j, rest;
	uint64_t a, b;
	unsigned int i;

	for (i = 0; i < hp->nr_jobs; i++) {
		j = hp->jobs[i];
		if (j.type != JOB_DISCARD || !overlaps(off, len, j.off, j.len))
			continue;
		a = j.off > off ? j.off : off;
		b = j.off + j.len < off + len ? j.off + j.len : off + len;
		*out = (struct region_job){ .type = JOB_DISCARD, .off = a, .len = b - a };
		if (j.off < a && j.off + j.len > b) {
			/* the middle is ours: the head stays here, the tail is queued */
			hp->jobs[i].len = a - j.off;
			rest = (struct region_job){ .type = JOB_DISCARD, .off = b,
						     .len = j.off + j.len - b };
			if (!queue_job(hp, &rest))
				out->len = j.off + j.len - a;	/* no room: ours too */
		} else if (j.off < a) {
			hp->jobs[i].len = a - j.off;
		} else if (j.off + j.len > b) {
			hp->jobs[i].off = b;
			hp->jobs[i].len = j.off + j.len - b;
		} else {
			memmove(hp->jobs + i, hp->jobs + i + 1,
				(--hp->nr_jobs - i) * sizeof(j));
		}
		return true;
	}
	return false;
}

void region__wait_discard(struct vmm_region *hp, uint64_t off, uint64_t len)
{
	struct region_job j;

	pthread_mutex_lock(&hp->lock);
	for (;;) {
		/*
		 * The overlapping part of a queued discard is done here, and
		 * only that part: waiting for the worker could wait behind a
		 * detach job that needs the lock our caller holds, and a
		 * whole slot's punch on a vCPU would stall the guest.
		 */
		while (take_overlap(hp, off, len, &j)) {
			pthread_mutex_unlock(&hp->lock);
			punch(hp, j.off, j.len);
			__atomic_add_fetch(&hp->discarded_bytes, j.len, __ATOMIC_RELAXED);
			pthread_mutex_lock(&hp->lock);
		}
		if (!(hp->busy && overlaps(off, len, hp->busy_off, hp->busy_len)))
			break;
		pthread_cond_wait(&hp->cond, &hp->lock);
	}
	pthread_mutex_unlock(&hp->lock);
}

void region__flush(struct vmm_region *hp)
{
	pthread_mutex_lock(&hp->lock);
	while (hp->nr_jobs || hp->busy)
		pthread_cond_wait(&hp->cond, &hp->lock);
	pthread_mutex_unlock(&hp->lock);
}

static void *region__worker(void *arg)
{
	struct vmm_region *hp = arg;
	struct region_job j;

	pthread_mutex_lock(&hp->lock);
	for (;;) {
		while (!hp->nr_jobs && !hp->stop)
			pthread_cond_wait(&hp->cond, &hp->lock);
		if (hp->stop)
			break;
		j = hp->jobs[0];
		if (j.type == JOB_DISCARD && j.len > PUNCH_CHUNK) {
			/* a bounded wait for a PLUG that needs this range */
			hp->jobs[0].off += PUNCH_CHUNK;
			hp->jobs[0].len -= PUNCH_CHUNK;
			j.len = PUNCH_CHUNK;
		} else {
			memmove(hp->jobs, hp->jobs + 1, --hp->nr_jobs * sizeof(j));
		}
		hp->busy = true;
		hp->busy_off = j.type == JOB_DISCARD ? j.off : 0;
		hp->busy_len = j.type == JOB_DISCARD ? j.len : 0;
		pthread_mutex_unlock(&hp->lock);

		if (j.type == JOB_DISCARD) {
			punch(hp, j.off, j.len);
			__atomic_add_fetch(&hp->discarded_bytes, j.len, __ATOMIC_RELAXED);
		} else if (j.type == JOB_DROP) {
			drop_unattached(hp);
		} else if (hp->vmem) {
			virtio_mem__maybe_detach(hp->vmem, j.slot);
		}

		pthread_mutex_lock(&hp->lock);
		hp->busy = false;
		pthread_cond_broadcast(&hp->cond);
	}
	pthread_mutex_unlock(&hp->lock);
	return NULL;
}

/*
 * Reserve @reserve bytes of hotplug region at @gpa: a sparse memfd, and
 * as much address space, unattached.  The slot layout comes later (region__layout), so that a
 * paused VMM can register its region before it has a configuration.
 */
struct vmm_region *region__create(uint64_t gpa, uint64_t reserve,
				  uint32_t kvm_slot_base,
				  const struct region_slot_ops *ops,
				  void *ops_ctx)
{
	struct vmm_region *hp;
	void *p;

	hp = calloc(1, sizeof(*hp));
	if (!hp)
		return NULL;
	hp->gpa = gpa;
	hp->reserve = reserve;
	hp->kvm_slot_base = kvm_slot_base;
	hp->ops = ops;
	hp->ops_ctx = ops_ctx;
	hp->memfd = memfd_create("memplug-hotplug", MFD_CLOEXEC);
	if (hp->memfd < 0 || ftruncate(hp->memfd, reserve))
		goto err;
	/*
	 * Unattached until a slot is attached (region__unmap_slot);
	 * MAP_NORESERVE: the region is as big as the guest may ever plug.
	 */
	p = vmm__mmap_aligned(reserve, MAP_PRIVATE | MAP_NORESERVE, -1);
	if (p == MAP_FAILED)
		goto err;
	hp->hva = p;
	pthread_mutex_init(&hp->lock, NULL);
	pthread_cond_init(&hp->cond, NULL);
	if (pthread_create(&hp->worker, NULL, region__worker, hp))
		goto err_unmap;
	return hp;
err_unmap:
	munmap(hp->hva, reserve);
err:
	if (hp->memfd >= 0)
		close(hp->memfd);
	free(hp);
	return NULL;
}

/* Split the first @size bytes of the region into slots; once, before use. */
int region__layout(struct vmm_region *hp, uint64_t size, uint64_t slot_size)
{
	if (hp->attached)
		return -EBUSY;
	if (!slot_size || size % slot_size || size > hp->reserve)
		return -EINVAL;
	hp->attached = calloc(size / slot_size, sizeof(bool));
	if (!hp->attached)
		return -ENOMEM;
	hp->size = size;
	hp->slot_size = slot_size;
	hp->nr_slots = size / slot_size;
	return 0;
}

void region__destroy(struct vmm_region *hp)
{
	if (!hp)
		return;
	pthread_mutex_lock(&hp->lock);
	hp->stop = true;
	pthread_cond_broadcast(&hp->cond);
	pthread_mutex_unlock(&hp->lock);
	pthread_join(hp->worker, NULL);
	munmap(hp->hva, hp->reserve);
	close(hp->memfd);
	free(hp->jobs);
	free(hp->attached);
	free(hp);
}
