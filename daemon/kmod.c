// SPDX-License-Identifier: GPL-2.0
/*
 * memplugd and memplug.ko: attach VMs, apply slot batches, answer the
 * hotplug requests the module relays from memplugctl, report state changes
 * for the module to multicast.
 *
 * One netlink socket is the owner of every VM we attach.  The module's
 * relayed requests arrive on it unasked (sequence number 0), possibly while
 * we wait for the answer to our own request; they are queued and handled
 * once that request is done, in arrival order.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <syslog.h>
#include <time.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "memplug/memplug_nl.h"
#include "memplugd.h"

struct relay_msg {
	struct relay_msg *next;
	struct nlmsghdr nlh[];		/* a copy of the whole message */
};

static struct relay_msg *queue_head, **queue_tail = &queue_head;

static const struct nla_policy relay_policy[MEMPLUG_A_MAX + 1] = {
	[MEMPLUG_A_VM_ID]	 = { .type = NLA_U32 },
	[MEMPLUG_A_COOKIE]	 = { .type = NLA_U64 },
	[MEMPLUG_A_HOTPLUG_BODY] = { .type = NLA_STRING },
	[MEMPLUG_A_DEADLINE_NS]	 = { .type = NLA_U64 },
};

static bool kmod__too_late(const struct mpd_request *req)
{
	return req->cmd != MEMPLUG_CMD_HOTPLUG_GET &&
	       mpd_deadline_near(req->deadline_ns);
}

static int kmod__enqueue(struct nlmsghdr *nlh, void *arg)
{
	struct relay_msg *m = malloc(sizeof(*m) + nlh->nlmsg_len);

	if (!m)
		return 0;	/* the module's wait times out; it says so */
	memcpy(m->nlh, nlh, nlh->nlmsg_len);
	m->next = NULL;
	*queue_tail = m;
	queue_tail = &m->next;
	return 0;
}

int kmod__open(struct mpd *d)
{
	struct timeval tmo = { .tv_sec = 5 };
	int err = memplug_nl__open(&d->nl);

	if (err)
		return err;
	d->nl.unsolicited = kmod__enqueue;
	/*
	 * Every wait is bounded: should an answer of the kernel never come
	 * (a full receive buffer drops it), the request fails after this
	 * instead of stopping the daemon.
	 */
	setsockopt(nl_socket_get_fd(d->nl.sk), SOL_SOCKET, SO_RCVTIMEO, &tmo,
		   sizeof(tmo));
	d->nl_open = true;
	return 0;
}

static void kmod__reply(struct mpd *d, uint64_t cookie,
			const struct mpd_reply *r)
{
	struct nl_msg *msg = genl_conn__msg(&d->nl, MEMPLUG_CMD_HOTPLUG_REPLY, 0);
	int err;

	if (!msg)
		return;
	if (nla_put_u64(msg, MEMPLUG_A_COOKIE, cookie) ||
	    nla_put_u32(msg, MEMPLUG_A_ERRNO, -r->err) ||
	    (r->err ? nla_put_string(msg, MEMPLUG_A_ERROR_TEXT, r->text) :
		      nla_put_string(msg, MEMPLUG_A_HOTPLUG_BODY, r->body))) {
		nlmsg_free(msg);
		return;
	}
	err = genl_conn__request(&d->nl, msg, NULL, NULL);
	if (err)
		mpd_log(LOG_WARNING, "HOTPLUG_REPLY refused: %s",
			d->nl.extack[0] ? d->nl.extack : strerror(-err));
}

static void kmod__handle(struct mpd *d, struct nlmsghdr *nlh)
{
	struct genlmsghdr *gnlh = nlmsg_data(nlh);
	struct nlattr *tb[MEMPLUG_A_MAX + 1];
	struct mpd_request req = { .privileged = true };
	static struct mpd_reply r;

	if (nlh->nlmsg_type == NLMSG_ERROR || nlh->nlmsg_type == NLMSG_DONE)
		return;		/* a stray ack */
	if (genlmsg_parse(nlh, 0, tb, MEMPLUG_A_MAX, (struct nla_policy *)relay_policy) ||
	    !tb[MEMPLUG_A_COOKIE] || !tb[MEMPLUG_A_VM_ID]) {
		mpd_log(LOG_WARNING, "malformed relay message (cmd %u)", gnlh->cmd);
		return;
	}
	/* The module checked CAP_NET_ADMIN for the commands that need it. */
	req.cmd = gnlh->cmd;
	req.vm_id = nla_get_u32(tb[MEMPLUG_A_VM_ID]);
	if (tb[MEMPLUG_A_HOTPLUG_BODY]) {
		/*
		 * All of it but the final NUL: a NUL inside reaches the parser,
		 * which refuses it, as it does on memplugd's own socket.
		 */
		req.body = nla_data(tb[MEMPLUG_A_HOTPLUG_BODY]);
		req.body_len = nla_len(tb[MEMPLUG_A_HOTPLUG_BODY]);
		if (req.body_len && !req.body[req.body_len - 1])
			req.body_len--;
	} else {
		req.body = "";
	}
	if (tb[MEMPLUG_A_DEADLINE_NS])
		req.deadline_ns = nla_get_u64(tb[MEMPLUG_A_DEADLINE_NS]);
	if (kmod__too_late(&req)) {
		memset(&r, 0, sizeof(r));
		r.err = -ETIMEDOUT;
		snprintf(r.text, sizeof(r.text),
			 "memplugd got the request too late to finish it in time; nothing changed");
		mpd_log(LOG_WARNING, "VM %u: request %u dropped: %s", req.vm_id,
			req.cmd, r.text);
	} else {
		hotplug__handle(d, &req, &r);
	}
	/* A new config: the module's copy of the GET answer first. */
	if (req.cmd == MEMPLUG_CMD_HOTPLUG_PUT && !r.err) {
		struct mpd_vm *vm = peer__find(d, req.vm_id);

		if (vm)
			kmod__event(d, vm);
	}
	kmod__reply(d, nla_get_u64(tb[MEMPLUG_A_COOKIE]), &r);
}

/*
 * Handles the queued relayed requests.  The main loop calls this after
 * every event: a request may have been read off the socket while we
 * waited for the answer to one of our own, and epoll will not say so.
 */
int kmod__drain(struct mpd *d)
{
	struct relay_msg *m;
	int n = 0;

	while ((m = queue_head)) {
		queue_head = m->next;
		if (!queue_head)
			queue_tail = &queue_head;
		kmod__handle(d, m->nlh);
		free(m);
		n++;
	}
	return n;
}

static int kmod__any_seq(struct nl_msg *msg, void *arg)
{
	return NL_OK;
}

static int kmod__valid(struct nl_msg *msg, void *arg)
{
	kmod__enqueue(nlmsg_hdr(msg), arg);
	return NL_OK;
}

void kmod__readable(struct mpd *d)
{
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);

	if (!cb)
		return;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, kmod__valid, d);
	/* Relayed requests carry sequence number 0. */
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, kmod__any_seq, NULL);
	if (nl_recvmsgs(d->nl.sk, cb) < 0)
		mpd_log(LOG_WARNING, "netlink receive failed");
	nl_cb_put(cb);
	kmod__drain(d);
}

/*
 * Tells the module the VM's requested and plugged sizes (it multicasts a
 * change) and, once the VM is configured, the answer a GET gets right
 * now: the module answers HOTPLUG_GET with it and never waits for us, so
 * a GET does not queue behind a batch we are busy with (Firecracker
 * #6007).  The body is our own GET answer, so the two cannot differ.
 */
static void kmod__publish(struct mpd *d, struct mpd_vm *vm)
{
	static struct mpd_reply get;	/* not kmod__handle()'s: nested */
	struct mpd_request req = {
		.cmd = MEMPLUG_CMD_HOTPLUG_GET,
		.vm_id = vm->id,
		.body = "",
	};
	struct nl_msg *msg;
	int err;

	memset(&get, 0, sizeof(get));
	if (vm->configured)
		hotplug__handle(d, &req, &get);
	msg = genl_conn__msg(&d->nl, MEMPLUG_CMD_HOTPLUG_EVENT, 0);
	if (!msg)
		return;
	if (nla_put_u32(msg, MEMPLUG_A_VM_ID, vm->id) ||
	    nla_put_u64(msg, MEMPLUG_A_REQUESTED_SIZE, vm->requested_mib << 20) ||
	    nla_put_u64(msg, MEMPLUG_A_PLUGGED_SIZE,
			vm->state.plugged_size_mib << 20) ||
	    (vm->event_ns &&
	     nla_put_u64(msg, MEMPLUG_A_TIMESTAMP_NS, vm->event_ns)) ||
	    (vm->configured && !get.err && get.body[0] &&
	     nla_put_string(msg, MEMPLUG_A_HOTPLUG_BODY, get.body))) {
		nlmsg_free(msg);
		return;
	}
	vm->event_ns = 0;	/* used once: later events get the module's */
	err = genl_conn__request(&d->nl, msg, NULL, NULL);
	if (err)
		mpd_log(LOG_WARNING, "VM %u: HOTPLUG_EVENT refused: %s", vm->id,
			d->nl.extack[0] ? d->nl.extack : strerror(-err));
}

static void vm_range(struct mpd_vm *vm, struct memplug_range *r)
{
	memset(r, 0, sizeof(*r));
	r->slot_base = vm->reg.slot_base;
	r->slot_count = vm->reg.slot_count;
	r->gpa_base = vm->reg.region_gpa;
	r->gpa_size = vm->reg.region_size;
	r->hva_base = vm->reg.region_hva;
	r->hva_size = vm->reg.region_size;
	/*
	 * Survive our own restart: see MEMPLUG_ATTACH_F_* in the uapi.  Take
	 * every slot in the region, not only those our last attachment left
	 * (ADOPT): memplug-vmm hands over the slots it made itself while we
	 * were in local mode (vmm/daemon.c), and after a module reload the
	 * slots are the old module's, which the new one cannot know as its.
	 */
	r->flags = MEMPLUG_ATTACH_F_KEEP_SLOTS | MEMPLUG_ATTACH_F_ADOPT |
		   MEMPLUG_ATTACH_F_ADOPT_ANY;
}

/*
 * Which slots does the VM already hold?  After a restart of memplugd the
 * module has adopted them; rebuild our bitmap from its view.
 */
static void kmod__sync_slots(struct mpd *d, struct mpd_vm *vm)
{
	struct memplug_vm_info vi;
	uint32_t i;

	if (!vm->configured || memplug_nl__vm_get(&d->nl, vm->id, &vi))
		return;
	for (i = 0; i < vi.nr_slots; i++) {
		uint64_t idx = (vi.slots[i].gpa - vm->reg.region_gpa) >> 20;

		idx /= vm->cfg.slot_size_mib;
		if (idx < vm->nr_slots)
			vm->attached[idx] = 1;
	}
	if (vi.nr_slots)
		mpd_log(LOG_INFO, "VM %u: took back %u attached slots",
			vm->id, vi.nr_slots);
	memplug_nl__vm_info_free(&vi);
}

int kmod__attach(struct mpd *d, struct mpd_vm *vm)
{
	struct memplug_range r;
	int err;

	vm_range(vm, &r);
	err = memplug_nl__attach(&d->nl, vm->vm_fd, &r, &vm->id);
	if (err) {
		mpd_log(LOG_WARNING, "VM_ATTACH of '%s' refused: %s", vm->reg.name,
			d->nl.extack[0] ? d->nl.extack : strerror(-err));
		return err;
	}
	kmod__sync_slots(d, vm);
	/* Configured already (--hotplug, or we restarted): GET from now on. */
	if (vm->configured)
		kmod__publish(d, vm);
	kmod__drain(d);
	return 0;
}

void kmod__detach(struct mpd *d, struct mpd_vm *vm)
{
	int err = memplug_nl__detach(&d->nl, vm->id);

	if (err && err != -ENOENT)
		mpd_log(LOG_WARNING, "VM_DETACH of VM %u: %s", vm->id,
			d->nl.extack[0] ? d->nl.extack : strerror(-err));
}

/* One SLOTS_APPLY: attach or detach region slots idx[0..n). */
/* One SLOTS_APPLY of at most MEMPLUG_BATCH_MAX slots; -errno, extack in d->nl. */
static int kmod__apply_one(struct mpd *d, struct mpd_vm *vm, const uint32_t *idx,
			   int n, bool attach, uint64_t *kernel_ns)
{
	uint64_t slot = vm->cfg.slot_size_mib << 20;
	struct memplug_slot *s = calloc(n, sizeof(*s));
	struct memplug_times t = { 0 };
	int i, err;

	if (!s)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		s[i].id = vm->reg.slot_base + idx[i];
		s[i].gpa = vm->reg.region_gpa + idx[i] * slot;
		s[i].hva = vm->reg.region_hva + idx[i] * slot;
		s[i].size = attach ? slot : 0;
	}
	err = memplug_nl__apply(&d->nl, vm->id, s, n, &t);
	free(s);
	*kernel_ns += t.total;
	return err;
}

/*
 * Attach or detach the slots @idx, all or none.  memplug.ko takes at most
 * MEMPLUG_BATCH_MAX slots in a batch (a region of 2 MiB slots with
 * --ahead all needs more): a longer plan goes in batches of that many, and
 * one that fails takes back those before it.
 */
int kmod__apply(struct mpd *d, struct mpd_vm *vm, const uint32_t *idx,
		int n, bool attach, struct mpd_reply *r)
{
	uint64_t kernel_ns = 0, undo_ns = 0, t0 = mp_now_ns();
	int i, done, len, err = 0;

	for (done = 0; done < n && !err; done += len) {
		len = n - done < MEMPLUG_BATCH_MAX ? n - done : MEMPLUG_BATCH_MAX;
		err = kmod__apply_one(d, vm, idx + done, len, attach, &kernel_ns);
	}
	if (err) {
		static const char refused[] = "memplug.ko refused the slot batch: ";

		snprintf(r->text, sizeof(r->text), "%s%.*s", refused,
			 (int)(sizeof(r->text) - sizeof(refused)),
			 d->nl.extack[0] ? d->nl.extack : strerror(-err));
		for (done -= len; done > 0; done -= len) {
			len = done < MEMPLUG_BATCH_MAX ? done : MEMPLUG_BATCH_MAX;
			if (kmod__apply_one(d, vm, idx + done - len, len, !attach, &undo_ns))
				mpd_log(LOG_ERR, "VM %u: cannot take back a slot batch: %s",
					vm->id, d->nl.extack[0] ? d->nl.extack : "?");
		}
		return r->err = err;
	}
	for (i = 0; i < n; i++)
		vm->attached[idx[i]] = attach;
	vm->last_apply_ns = kernel_ns;
	mpd_log(LOG_DEBUG, "VM %u: %s %d slots (kernel %llu us, round trip %llu us)",
		vm->id, attach ? "attached" : "detached", n,
		(unsigned long long)kernel_ns / 1000,
		(unsigned long long)(mp_now_ns() - t0) / 1000);
	return 0;
}

/* Requested or plugged size changed: the module multicasts it. */
void kmod__event(struct mpd *d, struct mpd_vm *vm)
{
	if (vm->mode == MEMPLUG_MODE_MODULE)
		kmod__publish(d, vm);
}
