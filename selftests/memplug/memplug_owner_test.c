// SPDX-License-Identifier: GPL-2.0
/*
 * memplug_owner_test: who owns a VM, and what others can see of it.
 *
 *  - an ATTACHED event always describes a VM the attach really returned,
 *    even while another thread on the owner's socket detaches the id at
 *    once (the VM must not be freed under the event);
 *  - an owner is its socket: a process that binds the port id of an owner
 *    whose socket is being closed gets none of its VMs;
 *  - without CAP_NET_ADMIN: no events, no host virtual addresses, no
 *    owner port ids.
 *
 * Requests race on purpose here, so they go over raw netlink sockets.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "kselftest_harness.h"
#include "../lib/caps.h"
#include "../lib/kvm_guest.h"
#include "memplug/memplug_nl.h"

#define SLOT_SIZE	(2ULL << 20)
#define REGION_SLOTS	32
#define REGION_SIZE	(REGION_SLOTS * SLOT_SIZE)
#define SLOT_BASE	100
#define GPA_BASE	(4ULL << 30)

/* A raw request: header, then attributes appended by raw_u32/raw_u64. */
struct raw_msg {
	union {
		struct nlmsghdr nlh;
		char buf[4096];
	};
};

static void raw_init(struct raw_msg *m, int family, uint8_t cmd,
		     uint16_t flags, uint32_t seq)
{
	struct genlmsghdr *g;

	memset(m, 0, sizeof(*m));
	m->nlh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	m->nlh.nlmsg_type = family;
	m->nlh.nlmsg_flags = NLM_F_REQUEST | flags;
	m->nlh.nlmsg_seq = seq;
	g = NLMSG_DATA(&m->nlh);
	g->cmd = cmd;
	g->version = MEMPLUG_GENL_VERSION;
}

static void *raw_attr(struct raw_msg *m, uint16_t type, const void *v,
		      size_t len)
{
	struct nlattr *a = (void *)(m->buf + NLMSG_ALIGN(m->nlh.nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (v)
		memcpy((char *)a + NLA_HDRLEN, v, len);
	m->nlh.nlmsg_len = NLMSG_ALIGN(m->nlh.nlmsg_len) + NLA_ALIGN(a->nla_len);
	return a;
}

static void raw_u32(struct raw_msg *m, uint16_t type, uint32_t v)
{
	raw_attr(m, type, &v, sizeof(v));
}

static void raw_u64(struct raw_msg *m, uint16_t type, uint64_t v)
{
	raw_attr(m, type, &v, sizeof(v));
}

/* A slot nest for SLOTS_APPLY. */
static void raw_slot(struct raw_msg *m, uint32_t id, uint64_t gpa,
		     uint64_t size, uint64_t hva)
{
	struct nlattr *nest = raw_attr(m, NLA_F_NESTED | MEMPLUG_A_SLOT,
				       NULL, 0);
	size_t start = (char *)nest - m->buf;

	raw_u32(m, MEMPLUG_SLOT_A_ID, id);
	raw_u64(m, MEMPLUG_SLOT_A_SIZE, size);
	raw_u64(m, MEMPLUG_SLOT_A_GPA, gpa);
	raw_u64(m, MEMPLUG_SLOT_A_HVA, hva);
	nest->nla_len = m->nlh.nlmsg_len - start;
}

static int raw_open(uint32_t portid)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_pid = portid };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static int raw_send(int fd, struct raw_msg *m)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	return sendto(fd, m->buf, m->nlh.nlmsg_len, 0, (struct sockaddr *)&sa,
		      sizeof(sa)) < 0 ? -errno : 0;
}

/*
 * Reads until the answer to @seq: 0 (ACK), -errno, or 1 with the reply's
 * VM_ID in *@vm_id.  Other messages are skipped.
 */
static int raw_wait(int fd, uint32_t seq, uint32_t *vm_id)
{
	static __thread char buf[16384];

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *nlh = (void *)buf;

		if (n < 0)
			return -errno;
		for (; NLMSG_OK(nlh, n); nlh = NLMSG_NEXT(nlh, n)) {
			if (nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)NLMSG_DATA(nlh))->error;
			if (vm_id) {
				struct nlattr *tb[MEMPLUG_A_MAX + 1];

				if (genlmsg_parse(nlh, 0, tb, MEMPLUG_A_MAX,
						  NULL) || !tb[MEMPLUG_A_VM_ID])
					return -EPROTO;
				*vm_id = nla_get_u32(tb[MEMPLUG_A_VM_ID]);
			}
			return 1;
		}
	}
}

static int family_id(void)
{
	struct genl_conn c;
	int id;

	if (memplug_nl__open(&c))
		return -1;
	id = c.family;
	genl_conn__close(&c);
	return id;
}

static void *region_map(void)
{
	void *p = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void raw_attach(struct raw_msg *m, int family, uint32_t seq,
		       int vm_fd, void *mem)
{
	raw_init(m, family, MEMPLUG_CMD_VM_ATTACH, 0, seq);
	raw_u32(m, MEMPLUG_A_VM_FD, vm_fd);
	raw_u32(m, MEMPLUG_A_SLOT_BASE, SLOT_BASE);
	raw_u32(m, MEMPLUG_A_SLOT_COUNT, REGION_SLOTS);
	raw_u64(m, MEMPLUG_A_GPA_BASE, GPA_BASE);
	raw_u64(m, MEMPLUG_A_GPA_SIZE, REGION_SIZE);
	raw_u64(m, MEMPLUG_A_HVA_BASE, (uintptr_t)mem);
	raw_u64(m, MEMPLUG_A_HVA_SIZE, REGION_SIZE);
}

/* The VM_DETACH thread of attach_event_vs_detach. */
struct detacher {
	int fd;
	int family;
	_Atomic uint32_t last_id;	/* the latest id VM_ATTACH returned */
	_Atomic int stop;
};

static void *detach_next_id(void *arg)
{
	struct detacher *d = arg;
	struct raw_msg m;
	uint32_t n = 0;

	while (!d->stop) {
		/*
		 * The id the next attach gets: the next one where ids are
		 * handed out in turn, the one just freed where the lowest
		 * free id is (as the old module did).  Both, in turn.
		 */
		raw_init(&m, d->family, MEMPLUG_CMD_VM_DETACH, 0, 0x80000000);
		raw_u32(&m, MEMPLUG_A_VM_ID, d->last_id + (n++ & 1));
		raw_send(d->fd, &m);
	}
	return NULL;
}

/*
 * One thread attaches and detaches VMs in a loop while another, on the same
 * socket, detaches the id the next attach will get.  Every ATTACHED event
 * must carry an id that VM_ATTACH really returned, and come before that
 * VM's DETACHED; a VM freed under the event shows as a poisoned id (with
 * slub_debug) or as an event out of order.
 */
TEST(attach_event_vs_detach)
{
	enum { NVMS = 4, ROUNDS = 600 };
	static uint32_t returned[ROUNDS * 2];
	struct kvm_guest g[NVMS];
	struct detacher d = { 0 };
	char *seen_attached;
	static char buf[65536];
	struct timeval tmo = { .tv_sec = 2 };
	ssize_t len;
	int fd, one = 1;
	struct genl_conn mon;
	pthread_t th;
	void *mem;
	int i, n = 0, bad_id = 0, bad_order = 0, nev = 0;
	int rcvbuf = 8 << 20;

	d.family = family_id();
	ASSERT_LT(0, d.family);
	mem = region_map();
	ASSERT_NE(NULL, mem);
	for (i = 0; i < NVMS; i++)
		ASSERT_EQ(0, kvm_guest__create(&g[i]));
	ASSERT_EQ(0, memplug_nl__open(&mon));
	ASSERT_EQ(0, genl_conn__subscribe(&mon, MEMPLUG_MCGRP_EVENTS));
	setsockopt(nl_socket_get_fd(mon.sk), SOL_SOCKET, SO_RCVBUFFORCE,
		   &rcvbuf, sizeof(rcvbuf));
	d.fd = raw_open(0);
	ASSERT_LE(0, d.fd);
	/*
	 * The detaching thread's error acks pile up on the same socket: room
	 * for them, no ENOBUFS for the ones dropped, and no wait forever for
	 * an attach reply that was dropped.
	 */
	setsockopt(d.fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	setsockopt(d.fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof(one));
	setsockopt(d.fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(d.fd, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo));
	ASSERT_EQ(0, pthread_create(&th, NULL, detach_next_id, &d));

	for (i = 0; i < ROUNDS; i++) {
		struct raw_msg m;
		uint32_t seq = i + 1, id = 0;
		int err;

		raw_attach(&m, d.family, seq, g[i % NVMS].vm_fd, mem);
		ASSERT_EQ(0, raw_send(d.fd, &m));
		err = raw_wait(d.fd, seq, &id);
		if (err != 1)
			continue;	/* e.g. EBUSY: detached too late */
		returned[n++] = id;
		d.last_id = id;
		raw_init(&m, d.family, MEMPLUG_CMD_VM_DETACH, NLM_F_ACK,
			 seq | 0x40000000);
		raw_u32(&m, MEMPLUG_A_VM_ID, id);
		ASSERT_EQ(0, raw_send(d.fd, &m));
		raw_wait(d.fd, seq | 0x40000000, NULL);
	}
	d.stop = 1;
	pthread_join(th, NULL);
	close(d.fd);
	ASSERT_LT(ROUNDS / 2, n);

	/* Now read every event the monitor got. */
	seen_attached = calloc(1 << 20, 1);
	ASSERT_NE(NULL, seen_attached);
	fd = nl_socket_get_fd(mon.sk);
	while ((len = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		struct nlmsghdr *nlh = (void *)buf;

		for (; NLMSG_OK(nlh, len); nlh = NLMSG_NEXT(nlh, len)) {
			struct nlattr *tb[MEMPLUG_A_MAX + 1];
			uint32_t ev, id;
			int j, found = 0;

			if (genlmsg_parse(nlh, 0, tb, MEMPLUG_A_MAX,
					  NULL) || !tb[MEMPLUG_A_EVENT] ||
			    !tb[MEMPLUG_A_VM_ID])
				continue;
			ev = nla_get_u32(tb[MEMPLUG_A_EVENT]);
			id = nla_get_u32(tb[MEMPLUG_A_VM_ID]);
			nev++;
			for (j = 0; j < n && !found; j++)
				found = returned[j] == id;
			if (ev == MEMPLUG_EVENT_ATTACHED) {
				if (!found) {
					bad_id++;
					TH_LOG("ATTACHED for id %#x, which no attach returned",
					       id);
				}
				if (id < (1 << 20))
					seen_attached[id] = 1;
			} else if (ev == MEMPLUG_EVENT_DETACHED &&
				   id < (1 << 20) && found &&
				   !seen_attached[id]) {
				bad_order++;
				TH_LOG("VM %u: DETACHED before ATTACHED", id);
			}
		}
	}
	TH_LOG("%d attaches, %d events", n, nev);
	EXPECT_LE(2 * n, nev);
	EXPECT_EQ(0, bad_id);
	EXPECT_EQ(0, bad_order);
	free(seen_attached);
	genl_conn__close(&mon);
	for (i = 0; i < NVMS; i++)
		kvm_guest__destroy(&g[i]);
	munmap(mem, REGION_SIZE);
}

/* The thread that takes over a closing owner's port id. */
struct taker {
	int family;
	uint32_t portid;
	uint32_t ids[8];
	void *mem[8];
	int n;
	_Atomic int go;
	int bound;		/* it got the port id */
	int won;		/* requests that succeeded */
};

static void *take_port(void *arg)
{
	struct taker *t = arg;
	int fd, i, seq = 1;

	while (!t->go)
		;
	/* Spin until the owner's port id is free, then use it at once. */
	do
		fd = raw_open(t->portid);
	while (fd == -EADDRINUSE);
	if (fd < 0)
		return NULL;
	t->bound = 1;
	for (i = t->n - 1; i >= 0; i--) {
		struct raw_msg m;

		raw_init(&m, t->family, MEMPLUG_CMD_SLOTS_APPLY, NLM_F_ACK,
			 seq);
		raw_u32(&m, MEMPLUG_A_VM_ID, t->ids[i]);
		raw_slot(&m, SLOT_BASE + REGION_SLOTS - 1,
			 GPA_BASE + (REGION_SLOTS - 1) * SLOT_SIZE, SLOT_SIZE,
			 (uintptr_t)t->mem[i]);
		if (!raw_send(fd, &m) && raw_wait(fd, seq, NULL) >= 0)
			t->won++;
		seq++;
		raw_init(&m, t->family, MEMPLUG_CMD_VM_DETACH, NLM_F_ACK, seq);
		raw_u32(&m, MEMPLUG_A_VM_ID, t->ids[i]);
		if (!raw_send(fd, &m) && raw_wait(fd, seq, NULL) >= 0)
			t->won++;
		seq++;
	}
	close(fd);
	return NULL;
}

/*
 * An owner with 8 VMs full of slots closes its socket; the teardown takes a
 * while.  Another thread binds the port id as soon as it is free and tries
 * SLOTS_APPLY and VM_DETACH on those VMs: not one may succeed.
 */
TEST(closing_owner_port_taken_over)
{
	struct kvm_guest g[8];
	struct taker t = { 0 };
	struct genl_conn owner;
	pthread_t th;
	int i, j, rounds, took = 0;

	t.family = family_id();
	ASSERT_LT(0, t.family);
	t.n = 8;
	for (i = 0; i < t.n; i++) {
		t.mem[i] = region_map();
		ASSERT_NE(NULL, t.mem[i]);
	}
	for (rounds = 0; rounds < 5; rounds++) {
		for (i = 0; i < t.n; i++)
			ASSERT_EQ(0, kvm_guest__create(&g[i]));
		ASSERT_EQ(0, memplug_nl__open(&owner));
		for (i = 0; i < t.n; i++) {
			struct memplug_range r = {
				.slot_base = SLOT_BASE,
				.slot_count = REGION_SLOTS,
				.gpa_base = GPA_BASE,
				.gpa_size = REGION_SIZE,
				.hva_base = (uintptr_t)t.mem[i],
				.hva_size = REGION_SIZE,
			};
			struct memplug_slot s[REGION_SLOTS - 1];

			ASSERT_EQ(0, memplug_nl__attach(&owner, g[i].vm_fd, &r,
							&t.ids[i]));
			for (j = 0; j < REGION_SLOTS - 1; j++) {
				s[j].id = SLOT_BASE + j;
				s[j].gpa = GPA_BASE + j * SLOT_SIZE;
				s[j].size = SLOT_SIZE;
				s[j].hva = (uintptr_t)t.mem[i] + j * SLOT_SIZE;
				s[j].flags = 0;
			}
			ASSERT_EQ(0, memplug_nl__apply(&owner, t.ids[i], s,
						       REGION_SLOTS - 1, NULL));
		}
		t.portid = owner.portid;
		t.go = 0;
		t.bound = 0;
		t.won = 0;
		ASSERT_EQ(0, pthread_create(&th, NULL, take_port, &t));
		t.go = 1;
		sched_yield();
		genl_conn__close(&owner);
		pthread_join(th, NULL);
		took += t.bound;
		EXPECT_EQ(0, t.won) {
			TH_LOG("round %d: %d requests on the taken port id succeeded",
			       rounds, t.won);
		}
		for (i = 0; i < t.n; i++)
			kvm_guest__destroy(&g[i]);
	}
	EXPECT_LT(0, took);
	for (i = 0; i < t.n; i++)
		munmap(t.mem[i], REGION_SIZE);
}

static int get_cb(struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[MEMPLUG_A_MAX + 1];
	int *leaks = arg;

	if (genlmsg_parse(nlh, 0, tb, MEMPLUG_A_MAX, NULL))
		return -EPROTO;
	*leaks |= (tb[MEMPLUG_A_HVA_BASE] ? 1 : 0) |
		  (tb[MEMPLUG_A_HVA_SIZE] ? 2 : 0) |
		  (tb[MEMPLUG_A_OWNER_PORTID] ? 4 : 0);
	if (!tb[MEMPLUG_A_VM_ID])
		*leaks |= 1 << 3;
	return 0;
}

/*
 * Without CAP_NET_ADMIN: joining "events" is refused; VM_GET (doit and
 * dump) has no HVA range and no owner port id.  With it, both are there.
 */
TEST(unprivileged_sees_no_layout)
{
	struct memplug_range r;
	struct kvm_guest g;
	struct genl_conn c;
	struct nl_msg *msg;
	int status, leaks = 0;
	uint32_t id;
	void *mem = region_map();
	pid_t pid;

	ASSERT_NE(NULL, mem);
	ASSERT_EQ(0, kvm_guest__create(&g));
	ASSERT_EQ(0, memplug_nl__open(&c));
	r = (struct memplug_range){ SLOT_BASE, REGION_SLOTS, GPA_BASE,
				    REGION_SIZE, (uintptr_t)mem, REGION_SIZE, 0 };
	ASSERT_EQ(0, memplug_nl__attach(&c, g.vm_fd, &r, &id));
	/* The admin sees everything. */
	msg = genl_conn__msg(&c, MEMPLUG_CMD_VM_GET, 0);
	nla_put_u32(msg, MEMPLUG_A_VM_ID, id);
	ASSERT_EQ(0, genl_conn__request(&c, msg, get_cb, &leaks));
	EXPECT_EQ(7, leaks);

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct genl_conn u;
		int bad = 0, l = 0;

		if (drop_net_admin() || memplug_nl__open(&u))
			_exit(100);
		bad |= genl_conn__subscribe(&u, MEMPLUG_MCGRP_EVENTS) == 0;
		msg = genl_conn__msg(&u, MEMPLUG_CMD_VM_GET, 0);
		nla_put_u32(msg, MEMPLUG_A_VM_ID, id);
		if (genl_conn__request(&u, msg, get_cb, &l))
			bad |= 2;
		msg = genl_conn__msg(&u, MEMPLUG_CMD_VM_GET, NLM_F_DUMP);
		if (genl_conn__request(&u, msg, get_cb, &l))
			bad |= 4;
		bad |= l << 3;
		_exit(bad);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) {
		TH_LOG("1: joined events, 2/4: VM_GET failed, 8: HVA base, 16: HVA size, 32: owner port id, 64: no VM id");
	}
	genl_conn__close(&c);
	kvm_guest__destroy(&g);
	munmap(mem, REGION_SIZE);
}

/*
 * Every command has strict header checks: a set reserved field or an odd
 * nlmsg flag is refused, not ignored.  And VM ids are not reused at once:
 * a stale id names no VM.
 */
TEST(strict_headers_cyclic_ids)
{
	struct raw_msg m;
	struct kvm_guest g;
	struct genl_conn c;
	struct memplug_range r;
	void *mem = region_map();
	uint32_t id1, id2;
	int family = family_id(), fd;

	ASSERT_LT(0, family);
	fd = raw_open(0);
	ASSERT_LE(0, fd);
	raw_init(&m, family, MEMPLUG_CMD_VM_GET, NLM_F_ACK, 1);
	((struct genlmsghdr *)NLMSG_DATA(&m.nlh))->reserved = 1;
	raw_u32(&m, MEMPLUG_A_VM_ID, 1);
	ASSERT_EQ(0, raw_send(fd, &m));
	EXPECT_EQ(-EINVAL, raw_wait(fd, 1, NULL));
	raw_init(&m, family, MEMPLUG_CMD_VM_DETACH, NLM_F_ACK | NLM_F_EXCL, 2);
	raw_u32(&m, MEMPLUG_A_VM_ID, 1);
	ASSERT_EQ(0, raw_send(fd, &m));
	EXPECT_EQ(-EINVAL, raw_wait(fd, 2, NULL));
	close(fd);

	ASSERT_NE(NULL, mem);
	ASSERT_EQ(0, kvm_guest__create(&g));
	ASSERT_EQ(0, memplug_nl__open(&c));
	r = (struct memplug_range){ SLOT_BASE, REGION_SLOTS, GPA_BASE,
				    REGION_SIZE, (uintptr_t)mem, REGION_SIZE, 0 };
	ASSERT_EQ(0, memplug_nl__attach(&c, g.vm_fd, &r, &id1));
	ASSERT_EQ(0, memplug_nl__detach(&c, id1));
	ASSERT_EQ(0, memplug_nl__attach(&c, g.vm_fd, &r, &id2));
	EXPECT_NE(id1, id2);
	genl_conn__close(&c);
	kvm_guest__destroy(&g);
	munmap(mem, REGION_SIZE);
}

TEST_HARNESS_MAIN
