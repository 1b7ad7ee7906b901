// SPDX-License-Identifier: GPL-2.0
/*
 * The /hotplug/memory requests and the slot planner.
 *
 * The planner's one idea: a guest PLUG request must never wait for a
 * memslot, and the guest should hear of a growth before any memslot is
 * installed.  So spare slots past the usable region stay attached (at
 * least one; --ahead sets how much memory they cover; the VMM backs them
 * with throw-away memory until a request reaches them); a PATCH that
 * grows the request first tells the guest of the growth up to the spares,
 * then in steps that double the usable region, each one's slots attached
 * in one SLOTS_APPLY batch while the guest plugs the last step's.  A
 * growth within the spares costs no memslot change at all.  Shrinking is
 * the guest's move: the VMM reports slots it has emptied and those past
 * the spares are detached in batches.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "memplugd.h"

#define MIB(x)	((uint64_t)(x) << 20)

bool mpd_deadline_near(uint64_t deadline_ns)
{
	return deadline_ns && mp_now_ns() + MPD_DEADLINE_MARGIN_NS > deadline_ns;
}

static int fail(struct mpd_reply *r, int err, const char *msg)
{
	snprintf(r->text, sizeof(r->text), "%s", msg);
	return r->err = err;
}

/*
 * Takes a config that fits the region the VMM registered: a PUT and a
 * REGISTER have checked it (vmm_proto__check_fit) before.  0 or -ENOMEM.
 */
int hotplug__configure(struct mpd *d, struct mpd_vm *vm,
		       const struct hotplug_config *cfg)
{
	uint64_t nr = cfg->total_size_mib / cfg->slot_size_mib;
	uint64_t spares = (d->ahead_mib + cfg->slot_size_mib - 1) /
			  cfg->slot_size_mib;
	uint8_t *attached, *empty;

	attached = calloc(nr, 1);
	empty = calloc(nr, 1);
	if (!attached || !empty) {
		free(attached);
		free(empty);
		return -ENOMEM;
	}
	free(vm->attached);
	free(vm->empty);
	vm->attached = attached;
	vm->empty = empty;
	vm->nr_slots = nr;
	/* at least one: the guest hears of any growth before a memslot change */
	vm->spare_slots = spares < 1 ? 1 : spares > nr ? nr : spares;
	vm->cfg = *cfg;
	vm->configured = true;
	return 0;
}

static void format_get(struct mpd_vm *vm, struct mpd_reply *r)
{
	struct hotplug_state st = {
		.config = vm->cfg,
		.plugged_size_mib = vm->state.plugged_size_mib,
		.requested_size_mib = vm->target_mib,
	};

	hotplug_config__format_get(&st, r->body, sizeof(r->body));
}

static void hotplug__put(struct mpd *d, struct mpd_vm *vm,
			 const struct mpd_request *req, struct mpd_reply *r)
{
	struct memplug_vmm_msg m = { .type = MEMPLUG_VMM_CONFIG };
	struct hotplug_config cfg;
	int err;

	if (hotplug_config__parse_put(req->body, req->body_len, &cfg, r->text,
				      sizeof(r->text))) {
		r->err = -EINVAL;
		return;
	}
	/* As in Firecracker: the device is configured before the guest runs. */
	if (vm->state.flags & MEMPLUG_VMM_F_RUNNING) {
		fail(r, -EBUSY, "Invalid hotplug-memory: PUT is accepted only before the guest starts");
		return;
	}
	r->err = vmm_proto__check_fit(&vm->reg, &cfg, r->text, sizeof(r->text));
	if (r->err)
		return;
	m.config = cfg;
	if (peer__call(d, vm, &m, r))
		return;
	err = hotplug__configure(d, vm, &cfg);
	if (err) {
		fail(r, err, "out of memory");
		return;
	}
	vm->state.flags |= MEMPLUG_VMM_F_CONFIGURED;
	mpd_log(LOG_INFO, "VM %u: PUT total %llu MiB, block %llu MiB, slot %llu MiB",
		vm->id, (unsigned long long)cfg.total_size_mib,
		(unsigned long long)cfg.block_size_mib,
		(unsigned long long)cfg.slot_size_mib);
	format_get(vm, r);
}

/*
 * Region slots in [first, end) whose attached state is @state (0: not
 * attached, or MPD_SLOT_*), as a list for one batch.  Returns how many
 * (a malloc'ed list in *out).
 */
static int slots_where(struct mpd_vm *vm, uint32_t first, uint32_t end,
		       uint8_t state, uint32_t **out)
{
	uint32_t i, n = 0, *list;

	list = malloc(sizeof(*list) * (end > first ? end - first : 1));
	if (!list)
		return -ENOMEM;
	for (i = first; i < end; i++)
		if (vm->attached[i] == state)
			list[n++] = i;
	*out = list;
	return n;
}

/* Slots a request of @mib needs: its usable region, from slot 0. */
static uint32_t slots_for(struct mpd_vm *vm, uint64_t mib)
{
	return (mib + vm->cfg.slot_size_mib - 1) / vm->cfg.slot_size_mib;
}

/* Attaches, in one batch, every slot of [0, need) not attached yet. */
static int plan_attach(struct mpd *d, struct mpd_vm *vm, uint32_t need,
		       uint32_t **added, int *nr_added, struct mpd_reply *r)
{
	int n, err;

	*added = NULL;
	*nr_added = 0;
	if (vm->mode != MEMPLUG_MODE_MODULE)
		return 0;	/* the VMM attaches its own */
	n = slots_where(vm, 0, need, 0, added);
	if (n < 0)
		return fail(r, n, "out of memory");
	if (!n)
		return 0;
	err = kmod__apply(d, vm, *added, n, true, r);
	if (!err)
		*nr_added = n;
	return err;
}

/*
 * Attach what a request of @mib needs (one batch), then tell the VMM.  A
 * request the VMM refuses changes nothing: its batch is undone.
 */
static int raise_to(struct mpd *d, struct mpd_vm *vm, uint64_t mib,
		    struct mpd_reply *r)
{
	struct memplug_vmm_msg m = { .type = MEMPLUG_VMM_REQUEST };
	uint32_t i, *added = NULL;
	int nr_added = 0;

	if (plan_attach(d, vm, slots_for(vm, mib), &added, &nr_added, r))
		goto out;
	m.request.requested_size_mib = mib;
	if (peer__call(d, vm, &m, r)) {
		struct mpd_reply undo = { 0 };

		/*
		 * Only a refusal is sure to leave the slots unused: a REQUEST
		 * that timed out may still be applied, and the slots go when
		 * the VMM reports them empty.
		 */
		if (nr_added && r->err != -ETIMEDOUT && r->err != -ENODEV)
			kmod__apply(d, vm, added, nr_added, false, &undo);
		goto out;
	}
	vm->requested_mib = mib;
	vm->state.requested_size_mib = mib;
	/* reports read before the VMM applied this are stale now */
	for (i = 0; i < slots_for(vm, mib); i++) {
		vm->empty[i] = 0;
		if (vm->attached[i])
			vm->attached[i] = MPD_SLOT_ATTACHED;
	}
	kmod__event(d, vm);
out:
	free(added);
	return r->err;
}

/*
 * Keep vm->spare_slots slots attached past the current request, after the
 * guest has heard of it (off its critical path), and detach spares a
 * shrunk request left behind: the guest never had those, so they can go
 * at once.  A failure only costs speed.
 */
static void spare_fit(struct mpd *d, struct mpd_vm *vm)
{
	uint32_t want, i, *list = NULL;
	struct mpd_reply r = { 0 };
	int n;

	/* not before the check: an unconfigured VM has no slot size */
	if (vm->mode != MEMPLUG_MODE_MODULE || !vm->configured ||
	    !(vm->state.flags & MEMPLUG_VMM_F_DRIVER_READY))
		return;
	want = slots_for(vm, vm->requested_mib) + vm->spare_slots;
	if (want > vm->nr_slots)
		want = vm->nr_slots;
	if (plan_attach(d, vm, want, &list, &n, &r))
		mpd_log(LOG_WARNING, "VM %u: cannot attach the spare slot: %s",
			vm->id, r.text);
	for (i = 0; i < (uint32_t)n; i++)
		vm->attached[list[i]] = MPD_SLOT_SPARE;
	free(list);
	list = NULL;	/* slots_where() leaves it alone on failure */
	n = slots_where(vm, want, vm->nr_slots, MPD_SLOT_SPARE, &list);
	if (n > 0 && kmod__apply(d, vm, list, n, false, &r))
		mpd_log(LOG_WARNING, "VM %u: cannot detach old spare slots: %s",
			vm->id, r.text);
	free(list);
}

/*
 * A VMM that registers again after memplugd restarted carries its request,
 * which the guest may go on plugging into at once.  memplug.ko has adopted
 * the slots kept from before, but not those the VMM could not attach
 * meanwhile (memplugd in local mode while the VMM may not change memslots):
 * attach them now, before the VMM hears it is registered.  A guest that
 * plugged into a slot KVM does not have would run on emulated accesses to
 * that memory, until it faults on a page table there.
 */
uint64_t hotplug__registered(struct mpd *d, struct mpd_vm *vm)
{
	struct mpd_reply r = { 0 };
	uint32_t *added, k;
	int n;

	if (vm->mode != MEMPLUG_MODE_MODULE || !vm->configured || !vm->requested_mib)
		return vm->requested_mib;
	if (!plan_attach(d, vm, slots_for(vm, vm->requested_mib), &added, &n, &r)) {
		if (n)
			mpd_log(LOG_INFO, "VM %u: attached %d slots its %llu MiB request needs",
				vm->id, n, (unsigned long long)vm->requested_mib);
		free(added);
		return vm->requested_mib;
	}
	free(added);
	/* The batch is all or nothing: what backs the request is what was kept. */
	for (k = 0; k < vm->nr_slots && vm->attached[k]; k++)
		;
	mpd_log(LOG_WARNING, "VM %u: cannot attach the slots of its %llu MiB request: %s",
		vm->id, (unsigned long long)vm->requested_mib, r.text);
	if ((uint64_t)k * vm->cfg.slot_size_mib < vm->requested_mib)
		return (uint64_t)k * vm->cfg.slot_size_mib;
	return vm->requested_mib;
}

/*
 * After hotplug__registered() could not back the request the VMM carried
 * over: lower it to what is attached, once the VMM has heard it is
 * registered (it reads memplugd's REQUEST only then).  Left as it was, the
 * guest would try the slots KVM lacks, get BUSY, and GET would report a
 * size that never comes.
 */
void hotplug__lower(struct mpd *d, struct mpd_vm *vm, uint64_t mib)
{
	struct mpd_reply r = { 0 };
	uint64_t was = vm->requested_mib;

	vm->target_mib = mib;	/* in the module's GET copy raise_to() sends */
	if (raise_to(d, vm, mib, &r)) {
		vm->target_mib = was;
		mpd_log(LOG_WARNING, "VM %u: cannot lower its request to %llu MiB: %s",
			vm->id, (unsigned long long)mib, r.text);
		return;
	}
	mpd_log(LOG_WARNING, "VM %u: lowered its request from %llu to %llu MiB, what its attached slots back",
		vm->id, (unsigned long long)was, (unsigned long long)mib);
}

static void hotplug__patch(struct mpd *d, struct mpd_vm *vm,
			   const struct mpd_request *req, struct mpd_reply *r)
{
	struct hotplug_patch patch;
	uint64_t old = vm->requested_mib, first, step;
	bool moved = false;

	if (hotplug_config__parse_patch(req->body, req->body_len, &patch,
					r->text, sizeof(r->text))) {
		r->err = -EINVAL;
		return;
	}
	if (!vm->configured) {
		fail(r, -ENODEV, "Invalid hotplug-memory: not configured (PUT first)");
		return;
	}
	if (hotplug_config__check_patch(&vm->cfg, &patch, r->text,
					sizeof(r->text))) {
		r->err = -EINVAL;
		return;
	}
	if (vm->state.flags & MEMPLUG_VMM_F_STOPPED) {
		fail(r, -ENODEV, "Invalid hotplug-memory: the guest has stopped");
		return;
	}
	if (!(vm->state.flags & MEMPLUG_VMM_F_RUNNING)) {
		fail(r, -EAGAIN, HOTPLUG_ERR_NOT_STARTED);
		return;
	}
	/* Cloud Hypervisor #4001: never wait on a driver that is not there. */
	if (!(vm->state.flags & MEMPLUG_VMM_F_DRIVER_READY)) {
		fail(r, -EAGAIN, HOTPLUG_ERR_NO_DRIVER);
		return;
	}
	/*
	 * A growth beyond the spare slot is told to the guest in steps: first
	 * up to the spare, which is attached already, then each step doubles
	 * the usable region, its slots attached in one batch while the guest
	 * plugs the last step's.  KVM installs memslots one by one (1-2 ms
	 * each in the test VM, a batch of 32 took 6-70 ms); a guest plugs a
	 * 128 MiB block in about 15 ms, so it never waits for them.
	 */
	first = (uint64_t)(slots_for(vm, old) + vm->spare_slots) * vm->cfg.slot_size_mib;
	step = first;
	if (vm->mode != MEMPLUG_MODE_MODULE || d->no_steps ||
	    patch.requested_size_mib < first)
		step = patch.requested_size_mib;
	/* GET answers with the PATCH's size, not the step being worked on */
	vm->target_mib = patch.requested_size_mib;
	for (;;) {
		if (step > patch.requested_size_mib)
			step = patch.requested_size_mib;
		/*
		 * No time for another step before the caller stops waiting:
		 * give up while the way back still fits (it is one REQUEST).
		 */
		if (moved && mpd_deadline_near(req->deadline_ns))
			fail(r, -ETIMEDOUT, "memplugd ran out of time for this PATCH; it was taken back");
		if (r->err || raise_to(d, vm, step, r)) {
			/* Back to where it was: the guest gives back what it took. */
			struct mpd_reply undo = { 0 };

			if (moved)
				raise_to(d, vm, old, &undo);
			vm->target_mib = old;
			kmod__event(d, vm);	/* the module's GET copy too */
			return;
		}
		moved = true;
		if (step == patch.requested_size_mib)
			break;
		step *= 2;
	}
	spare_fit(d, vm);
	format_get(vm, r);
}

static void hotplug__start(struct mpd *d, struct mpd_vm *vm,
			   struct mpd_reply *r)
{
	struct memplug_vmm_msg m = { .type = MEMPLUG_VMM_START };

	if (vm->state.flags & MEMPLUG_VMM_F_RUNNING) {
		fail(r, -EALREADY, "the guest is already running");
		return;
	}
	if (!vm->configured) {
		fail(r, -ENODEV, "Invalid hotplug-memory: not configured (PUT first)");
		return;
	}
	if (peer__call(d, vm, &m, r))
		return;
	vm->state.flags |= MEMPLUG_VMM_F_RUNNING;
	format_get(vm, r);
}

/* VM_GET from memplugctl without the module: the daemon's own view. */
static void vm_get(struct mpd *d, uint32_t id, struct mpd_reply *r)
{
	size_t n = 0, len = sizeof(r->body);
	uint32_t i, attached;
	int k;

	n += snprintf(r->body + n, len - n, "[");
	for (k = 0; k < MPD_MAX_VMS && n < len; k++) {
		struct mpd_vm *vm = &d->vms[k];

		if (!vm->used || (id && vm->id != id))
			continue;
		for (i = attached = 0; i < vm->nr_slots; i++)
			attached += !!vm->attached[i];
		n += snprintf(r->body + n, len - n,
			      "%s{\"id\":%u,\"name\":\"%s\",\"mode\":\"%s\",\"gpa_base\":%llu,\"gpa_size\":%llu,\"slot_base\":%u,\"slot_count\":%u,\"slots_attached\":%u,\"requested_size_mib\":%llu,\"plugged_size_mib\":%llu}",
			      n > 1 ? "," : "", vm->id, vm->reg.name,
			      vm->mode == MEMPLUG_MODE_MODULE ? "module" : "local",
			      (unsigned long long)vm->reg.region_gpa,
			      (unsigned long long)vm->reg.region_size,
			      vm->reg.slot_base, vm->reg.slot_count, attached,
			      (unsigned long long)vm->target_mib,
			      (unsigned long long)vm->state.plugged_size_mib);
	}
	if (n < len)
		snprintf(r->body + n, len - n, "]");
}

void hotplug__handle(struct mpd *d, const struct mpd_request *req,
		     struct mpd_reply *r)
{
	struct mpd_vm *vm;

	memset(r, 0, sizeof(*r));
	if (req->cmd == MEMPLUG_CMD_VM_GET) {
		vm_get(d, req->vm_id, r);
		return;
	}
	vm = peer__find(d, req->vm_id);
	if (!vm) {
		snprintf(r->text, sizeof(r->text), "no VM %u is registered with memplugd",
			 req->vm_id);
		r->err = -ENOENT;
		return;
	}
	if (req->cmd != MEMPLUG_CMD_HOTPLUG_GET && !req->privileged) {
		fail(r, -EPERM, "changing hotplug memory needs root");
		return;
	}
	switch (req->cmd) {
	case MEMPLUG_CMD_HOTPLUG_GET:
		if (!vm->configured)
			fail(r, -ENODEV, "Invalid hotplug-memory: not configured (PUT first)");
		else
			format_get(vm, r);
		break;
	case MEMPLUG_CMD_HOTPLUG_PUT:
		hotplug__put(d, vm, req, r);
		break;
	case MEMPLUG_CMD_HOTPLUG_PATCH:
		hotplug__patch(d, vm, req, r);
		break;
	case MEMPLUG_CMD_VM_START:
		hotplug__start(d, vm, r);
		break;
	default:
		fail(r, -EOPNOTSUPP, "unknown request");
	}
	if (r->err)
		mpd_log(LOG_NOTICE, "VM %u: request %u refused: %s", vm->id,
			req->cmd, r->text);
}

void hotplug__state(struct mpd *d, struct mpd_vm *vm,
		    const struct memplug_vmm_state *st)
{
	bool changed = st->plugged_size_mib != vm->state.plugged_size_mib ||
		       st->requested_size_mib != vm->state.requested_size_mib;
	bool ready = !(vm->state.flags & MEMPLUG_VMM_F_DRIVER_READY) &&
		     (st->flags & MEMPLUG_VMM_F_DRIVER_READY);

	vm->state = *st;
	vm->event_ns = st->timestamp_ns;
	if (ready)
		spare_fit(d, vm);
	if (changed)
		kmod__event(d, vm);
}

/* The VMM emptied slots: note them; hotplug__flush_empty() detaches. */
void hotplug__slots_empty(struct mpd_vm *vm, const struct memplug_vmm_slots *s)
{
	uint32_t i;

	if (vm->mode != MEMPLUG_MODE_MODULE || !vm->configured)
		return;
	for (i = s->first; i < s->first + s->count && i < vm->nr_slots; i++)
		vm->empty[i] = 1;
}

/*
 * Detach, in one batch, the reported slots that are still outside the
 * usable region of the current request and its spare (a PATCH may have
 * grown it again since the VMM wrote).
 */
void hotplug__flush_empty(struct mpd *d, struct mpd_vm *vm)
{
	uint32_t usable, i, n = 0, *list;
	struct mpd_reply r = { 0 };

	if (vm->mode != MEMPLUG_MODE_MODULE || !vm->configured)
		return;
	usable = slots_for(vm, vm->requested_mib);
	list = malloc(sizeof(*list) * vm->nr_slots);
	if (!list)
		return;		/* the reports stay noted for the next flush */
	for (i = 0; i < vm->nr_slots; i++) {
		if (!vm->empty[i])
			continue;
		vm->empty[i] = 0;
		if (!vm->attached[i] || i < usable)
			continue;
		if (i < usable + vm->spare_slots)
			vm->attached[i] = MPD_SLOT_SPARE;	/* kept */
		else
			list[n++] = i;
	}
	if (n && kmod__apply(d, vm, list, n, false, &r))
		mpd_log(LOG_ERR, "VM %u: detaching %u slots failed: %s",
			vm->id, n, r.text);
	free(list);
}
