// SPDX-License-Identifier: GPL-2.0
/*
 * memplug_fuzz: random requests to the memplug family, bounded in time
 * (MEMPLUG_FUZZ_SECONDS, default 60, split between the parts).
 *
 *  1. stateless: every command (and some beyond) with random and
 *     edge-valued attributes, random header flags and nesting, sent by a
 *     root process and an unprivileged one at the same time;
 *  2. stateful: real KVM VMs attached by two owners, random batches aimed
 *     at the range edges, overlaps, duplicates, deletes of missing slots,
 *     injected failures (rollback and failed undo), detach, socket close
 *     and re-attach (with ADOPT/KEEP_SLOTS), relayed requests.
 *
 * The kernel must survive all of it: afterwards the module's refcount is
 * 0, every VM is gone from memplug, and run-tests checks dmesg.  Each
 * part is one TAP test; the seed is printed so that a failure replays
 * (MEMPLUG_FUZZ_SEED).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "kselftest_harness.h"
#include "../lib/caps.h"
#include "../lib/kvm_guest.h"
#include "memplug/memplug_nl.h"

#define SLOT_SIZE	(2ULL << 20)
#define REGION_SLOTS	16
#define REGION_SIZE	(REGION_SLOTS * SLOT_SIZE)
#define SLOT_BASE	200
#define GPA_BASE	(8ULL << 30)

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64*: reproducible from the seed. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static uint64_t pick(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static unsigned int budget_s(void)
{
	const char *e = getenv("MEMPLUG_FUZZ_SECONDS");

	return e ? atoi(e) : 60;
}

static void seed(unsigned int part)
{
	const char *e = getenv("MEMPLUG_FUZZ_SEED");
	uint64_t s = e ? strtoull(e, NULL, 0) : (uint64_t)time(NULL);

	rng_state = (s ^ (0x9e3779b97f4a7c15ULL * (part + 1))) | 1;
	printf("# part %u: MEMPLUG_FUZZ_SEED=%llu\n", part,
	       (unsigned long long)s);
}

/* Values that sit on the edges of what the module and KVM accept. */
static uint64_t edge_u64(void)
{
	static const uint64_t v[] = {
		0, 1, 4095, 4096, 4097, SLOT_SIZE, SLOT_SIZE - 4096,
		GPA_BASE, GPA_BASE - 4096, GPA_BASE + REGION_SIZE,
		GPA_BASE + REGION_SIZE - 4096, 1ULL << 40, MEMPLUG_ADDR_LIMIT - 1,
		MEMPLUG_ADDR_LIMIT, MEMPLUG_ADDR_LIMIT + 4096, 1ULL << 63, ~0ULL,
		~0ULL - 4095, 0x7ffffffff000ULL, 0x800000000000ULL,
		(1ULL << 31) * 4096, MEMPLUG_SLOTS_MAX - 1, MEMPLUG_SLOTS_MAX,
		65535, 65536,
	};

	switch (pick(3)) {
	case 0:
		return v[pick(sizeof(v) / sizeof(v[0]))];
	case 1:
		return v[pick(sizeof(v) / sizeof(v[0]))] + pick(3) - 1;
	default:
		return rnd();
	}
}

struct msg {
	union {
		struct nlmsghdr nlh;
		char buf[8192];
	};
};

static void put_attr(struct msg *m, uint16_t type, const void *v,
		     size_t len)
{
	struct nlattr *a;

	if (NLMSG_ALIGN(m->nlh.nlmsg_len) + NLA_HDRLEN + NLA_ALIGN(len) >
	    sizeof(m->buf))
		return;
	a = (void *)(m->buf + NLMSG_ALIGN(m->nlh.nlmsg_len));
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (v)
		memcpy((char *)a + NLA_HDRLEN, v, len);
	m->nlh.nlmsg_len = NLMSG_ALIGN(m->nlh.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

/* One random attribute, maybe a nest of random attributes. */
static void random_attr(struct msg *m, int depth)
{
	uint16_t type = pick(4) ? pick(MEMPLUG_A_MAX + 3) : pick(65536);
	char data[MEMPLUG_HOTPLUG_BODY_MAX + 64];
	size_t len;
	uint64_t v;

	if (depth < 2 && (type == MEMPLUG_A_SLOT || !pick(10))) {
		size_t start = NLMSG_ALIGN(m->nlh.nlmsg_len);
		struct nlattr *nest = (void *)(m->buf + start);
		int i, n = pick(8);

		put_attr(m, type | (pick(2) ? NLA_F_NESTED : 0), NULL, 0);
		if (start + NLA_HDRLEN > m->nlh.nlmsg_len)
			return;
		for (i = 0; i < n; i++)
			random_attr(m, depth + 1);
		nest->nla_len = m->nlh.nlmsg_len - start;
		return;
	}
	switch (pick(5)) {
	case 0:
		v = edge_u64();
		put_attr(m, type, &v, 4);
		break;
	case 1:
		v = edge_u64();
		put_attr(m, type, &v, 8);
		break;
	case 2:		/* a string, maybe unterminated, maybe too long */
		len = pick(4) ? pick(64) : pick(sizeof(data));
		memset(data, 'a' + pick(26), len);
		if (len && pick(3))
			data[len - 1] = '\0';
		if (!pick(4))
			memcpy(data, "{\"requested_size_mib\":2}", len < 25 ? len : 25);
		put_attr(m, type, data, len);
		break;
	case 3:		/* odd lengths */
		len = pick(17);
		for (v = 0; v < len; v++)
			data[v] = rnd();
		put_attr(m, type, data, len);
		break;
	default:
		put_attr(m, type, NULL, 0);
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

static void random_request(int fd, int family, uint32_t seq)
{
	static const uint16_t flags[] = {
		NLM_F_REQUEST, NLM_F_REQUEST | NLM_F_ACK,
		NLM_F_REQUEST | NLM_F_DUMP, NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP,
		NLM_F_REQUEST | NLM_F_ECHO, NLM_F_REQUEST | NLM_F_EXCL,
		NLM_F_REQUEST | NLM_F_ATOMIC, 0,
	};
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct genlmsghdr *g;
	struct msg m;
	int i, n;

	memset(&m, 0, sizeof(m));
	m.nlh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	m.nlh.nlmsg_type = family;
	m.nlh.nlmsg_flags = flags[pick(sizeof(flags) / sizeof(flags[0]))];
	m.nlh.nlmsg_seq = seq;
	g = NLMSG_DATA(&m.nlh);
	g->cmd = pick(8) ? pick(__MEMPLUG_CMD_MAX + 1) : pick(256);
	g->version = pick(8) ? MEMPLUG_GENL_VERSION : pick(256);
	g->reserved = pick(8) ? 0 : rnd();
	n = pick(12);
	for (i = 0; i < n; i++)
		random_attr(&m, 0);
	if (!pick(20))		/* a truncated message */
		m.nlh.nlmsg_len -= pick(m.nlh.nlmsg_len - NLMSG_HDRLEN + 1);
	sendto(fd, m.buf, m.nlh.nlmsg_len, MSG_DONTWAIT,
	       (struct sockaddr *)&sa, sizeof(sa));
}

static void drain(int fd)
{
	char buf[65536];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

static int raw_socket(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	int one = 1;

	if (fd >= 0) {
		setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
		setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof(one));
	}
	return fd;
}

static uint64_t now_s(void)
{
	return mp_now_ns() / 1000000000ULL;
}

/* Random requests on a few sockets until @until; sockets come and go. */
static int stateless_loop(int family, uint64_t until, unsigned int part)
{
	int fds[4], i, n = 0;

	seed(part);
	for (i = 0; i < 4; i++)
		fds[i] = raw_socket();
	while (now_s() < until) {
		i = pick(4);
		if (fds[i] < 0)
			return -1;
		random_request(fds[i], family, n++);
		if (!pick(8))
			drain(fds[i]);
		if (!pick(200)) {
			close(fds[i]);
			fds[i] = raw_socket();
		}
	}
	for (i = 0; i < 4; i++)
		close(fds[i]);
	return n;
}

FIXTURE(fuzz) {
	int unused;
};

FIXTURE_SETUP(fuzz)
{
}

FIXTURE_TEARDOWN(fuzz)
{
}

/* Root and an unprivileged process at once. */
TEST_F_TIMEOUT(fuzz, stateless, 200)
{
	uint64_t until = now_s() + budget_s() / 3;
	int family = family_id(), status, n;
	pid_t pid;

	ASSERT_LT(0, family);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (drop_net_admin())
			_exit(2);
		_exit(stateless_loop(family, until, 1) < 0);
	}
	n = stateless_loop(family, until, 0);
	ASSERT_LE(0, n);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	TH_LOG("%d requests as root, as many unprivileged", n);
	/* The family still works. */
	EXPECT_LT(0, family_id());
}

static int set_param(const char *name, int n)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/memplug/parameters/%s", name);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fprintf(f, "%d\n", n);
	return fclose(f) ? -errno : 0;
}

struct owner {
	struct genl_conn c;
	int open;
	uint32_t id;		/* 0: not attached */
	int v;			/* which VM it attached */
};

static struct memplug_slot random_slot(void *mem, int good)
{
	struct memplug_slot s;
	unsigned int i = pick(REGION_SLOTS + 2);

	/* Well-formed ones, so that batches get applied and undone. */
	if (good) {
		i = pick(REGION_SLOTS);
		s.id = SLOT_BASE + i;
		s.gpa = GPA_BASE + (uint64_t)i * SLOT_SIZE;
		s.hva = (uintptr_t)mem + (uint64_t)i * SLOT_SIZE;
		s.size = pick(3) ? SLOT_SIZE : 0;
		s.flags = pick(4) ? 0 : MEMPLUG_SLOT_F_LOG_DIRTY;
		return s;
	}

	s.id = pick(10) ? SLOT_BASE + pick(REGION_SLOTS) :
			  SLOT_BASE + pick(REGION_SLOTS + 4) - 2;
	s.flags = pick(4) ? 0 : pick(8);
	s.size = pick(5) ? SLOT_SIZE : pick(2) ? 0 : edge_u64() & ~4095ULL;
	s.gpa = GPA_BASE + (uint64_t)i * SLOT_SIZE - (pick(8) ? 0 : 4096);
	if (!pick(10))
		s.gpa += SLOT_SIZE / 2;
	s.hva = (uintptr_t)mem + (uint64_t)pick(REGION_SLOTS) * SLOT_SIZE;
	if (!pick(20))
		s.hva = edge_u64() & ~4095ULL;
	return s;
}

/*
 * Two owners, two VMs: random batches, detaches, closes and re-attaches,
 * injected failures, relayed requests nobody answers.
 */
TEST_F_TIMEOUT(fuzz, stateful, 400)
{
	uint64_t until = now_s() + 2 * budget_s() / 3;
	struct memplug_slot s[8];
	struct kvm_guest g[2];
	struct owner o[2] = { 0 };
	void *mem[2];
	int i, k, n = 0, applied = 0, attached = 0, last_err = 0;
	char last_msg[256] = "";

	seed(2);
	for (i = 0; i < 2; i++) {
		mem[i] = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		ASSERT_NE(MAP_FAILED, mem[i]);
		ASSERT_EQ(0, kvm_guest__create(&g[i]));
	}
	while (now_s() < until) {
		struct owner *w = &o[pick(2)];
		int v = pick(2), op = pick(20);

		if (w->id && op >= 3)
			v = w->v;

		n++;
		if (!w->open) {
			ASSERT_EQ(0, memplug_nl__open(&w->c));
			w->open = 1;
			w->id = 0;
		}
		if (op < 3 || !w->id) {
			struct memplug_range r = {
				.slot_base = SLOT_BASE, .slot_count = REGION_SLOTS,
				.gpa_base = GPA_BASE, .gpa_size = REGION_SIZE,
				.hva_base = (uintptr_t)mem[v], .hva_size = REGION_SIZE,
				.flags = pick(4),
			};
			uint32_t id;

			last_err = memplug_nl__attach(&w->c, g[v].vm_fd, &r, &id);
			if (!last_err) {
				w->id = id;
				w->v = v;
				attached++;
			} else {
				snprintf(last_msg, sizeof(last_msg), "%s",
					 w->c.extack);
			}
			continue;
		}
		if (op < 14) {
			unsigned int nr = 1 + pick(8);
			int good = pick(3);

			for (k = 0; k < nr; k++)
				s[k] = random_slot(mem[v], good);
			if (!pick(6))
				set_param("fault_entry", pick(nr));
			if (!pick(12))
				set_param("fault_undo", pick(nr));
			k = memplug_nl__apply(&w->c, w->id, s, nr, NULL);
			applied += !k;

			set_param("fault_entry", -1);
			set_param("fault_undo", -1);
			if (!pick(4)) {
				uint64_t val;

				kvm_guest__read(&g[v], GPA_BASE + pick(REGION_SLOTS) * SLOT_SIZE, &val);
			}
		} else if (op < 16) {
			struct memplug_vm_info vi;

			if (!memplug_nl__vm_get(&w->c, w->id, &vi))
				memplug_nl__vm_info_free(&vi);
		} else if (op < 17) {
			char out[256];
			struct genl_conn c;

			/* Nobody answers relayed requests here: bounded. */
			if (!memplug_nl__open(&c)) {
				struct nl_msg *msg = nlmsg_alloc();

				genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ,
					    c.family, 0, 0,
					    MEMPLUG_CMD_HOTPLUG_GET, c.version);
				nla_put_u32(msg, MEMPLUG_A_VM_ID, w->id);
				nl_socket_disable_auto_ack(c.sk);
				nl_send_auto(c.sk, msg);
				nlmsg_free(msg);
				genl_conn__close(&c);
			}
			(void)out;
		} else if (op < 18) {
			uint32_t d = w->id + pick(3) - 1;

			if (!memplug_nl__detach(&w->c, d) && d == w->id)
				w->id = 0;
		} else {
			genl_conn__close(&w->c);
			w->open = 0;
		}
		/* The owners' sockets get relayed requests: keep them read. */
		if (w->open)
			drain(nl_socket_get_fd(w->c.sk));
	}
	for (i = 0; i < 2; i++)
		if (o[i].open)
			genl_conn__close(&o[i].c);
	TH_LOG("%d operations, %d attaches, %d batches applied (last attach error %d: %s)",
	       n, attached, applied, last_err, last_msg);
	EXPECT_LT(0, applied);
	for (i = 0; i < 2; i++) {
		kvm_guest__destroy(&g[i]);
		munmap(mem[i], REGION_SIZE);
	}
}

static int vm_count_cb(struct memplug_vm_info *vi, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

/* Afterwards: no VM left, the module unreferenced. */
TEST_F(fuzz, aftermath)
{
	struct genl_conn c;
	int n = 0, ref = -1;
	FILE *f;

	/* Detaches of closed owners are synchronous; relays time out. */
	sleep(6);
	ASSERT_EQ(0, memplug_nl__open(&c));
	EXPECT_EQ(0, memplug_nl__vm_dump(&c, vm_count_cb, &n));
	EXPECT_EQ(0, n);
	genl_conn__close(&c);
	f = fopen("/sys/module/memplug/refcnt", "r");
	ASSERT_NE(NULL, f);
	EXPECT_EQ(1, fscanf(f, "%d", &ref));
	fclose(f);
	EXPECT_EQ(0, ref);
}

TEST_HARNESS_MAIN
