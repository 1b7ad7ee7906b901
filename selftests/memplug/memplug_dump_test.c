// SPDX-License-Identifier: GPL-2.0
/*
 * memplug_dump_test: memplug.ko's dumps of a big VM, in the test VM.
 *
 * A VM of 8192 slots (selftests/lib/kvm_guest), attached and filled over
 * a netlink socket of the test process: SLOT_GET dumps them all, VM_GET
 * still answers, and unprivileged readers get neither HVAs nor big
 * replies.  (memplug_test has the module's other commands.)
 */
#include <stdio.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/sock_diag.h>

#include "kselftest_harness.h"
#include "../lib/caps.h"
#include "../lib/kvm_guest.h"
#include "memplug/memplug_nl.h"

#define GPA_BASE	(4ULL << 30)

static int count_slot(const struct memplug_slot *s, void *arg)
{
	uint32_t *st = arg;	/* [0] count, [1] next id, [2] out of order, [3] HVAs */

	st[2] += s->id != st[1];
	st[3] += s->hva != 0;
	st[1] = s->id + 1;
	st[0]++;
	return 0;
}

/*
 * A VM with 8192 slots: SLOT_GET dumps all of them, in id order, with HVAs
 * for an admin only; VM_GET (doit and dump) still works and its replies
 * stay small: 128 unprivileged sockets that never read their VM_GET
 * replies pin less than a page each per reply.
 */
FIXTURE(big) {
	int unused;
};

FIXTURE_SETUP(big)
{
}

FIXTURE_TEARDOWN(big)
{
}

/* KVM takes a while for 8192 slots under nested emulation. */
TEST_F_TIMEOUT(big, slot_dump_8192_and_small_replies, 600)
{
	enum { NSLOTS = 8192, NSOCK = 128, NREQ = 4 };
	size_t size = (size_t)NSLOTS * 4096;
	static struct memplug_slot s[MEMPLUG_BATCH_MAX];
	struct memplug_vm_info vi;
	struct memplug_times t;
	struct memplug_range r;
	struct kvm_guest g;
	struct genl_conn c;
	uint32_t id, st[4] = { 0 };
	unsigned int i, j;
	int status;
	void *mem;
	pid_t pid;

	mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_EQ(0, kvm_guest__create(&g));
	ASSERT_EQ(0, memplug_nl__open(&c));
	r = (struct memplug_range){ 1000, NSLOTS, GPA_BASE, size,
				    (uintptr_t)mem, size, 0 };
	ASSERT_EQ(0, memplug_nl__attach(&c, g.vm_fd, &r, &id));
	for (j = 0; j < NSLOTS / MEMPLUG_BATCH_MAX; j++) {
		for (i = 0; i < MEMPLUG_BATCH_MAX; i++) {
			unsigned int k = j * MEMPLUG_BATCH_MAX + i;

			s[i] = (struct memplug_slot){ 1000 + k, 0,
						      GPA_BASE + k * 4096ULL,
						      4096,
						      (uintptr_t)mem + k * 4096ULL };
		}
		ASSERT_EQ(0, memplug_nl__apply(&c, id, s, MEMPLUG_BATCH_MAX,
					       &t)) {
			TH_LOG("batch %u: %s", j, c.extack);
		}
		TH_LOG("batch %u of %u slots: %.1f ms in the kernel", j,
		       MEMPLUG_BATCH_MAX, t.total / 1e6);
	}
	st[1] = 1000;
	ASSERT_EQ(0, memplug_nl__slot_dump(&c, id, count_slot, st));
	EXPECT_EQ(NSLOTS, st[0]);
	EXPECT_EQ(0, st[2]);
	EXPECT_EQ(NSLOTS, st[3]);
	ASSERT_EQ(0, memplug_nl__vm_get(&c, id, &vi));
	EXPECT_EQ(NSLOTS, vi.nr_slots);
	EXPECT_EQ(NSLOTS, vi.held_slots);
	memplug_nl__vm_info_free(&vi);

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		uint32_t u[4] = { 0, 1000, 0, 0 };
		static struct genl_conn q[NSOCK];
		struct genl_conn un;
		int bad = 0, k;

		if (drop_net_admin() || memplug_nl__open(&un))
			_exit(100);
		if (memplug_nl__slot_dump(&un, id, count_slot, u))
			bad |= 1;
		bad |= (u[0] != NSLOTS) << 1;
		bad |= (u[3] != 0) << 2;	/* no HVAs for them */
		for (k = 0; k < NSOCK; k++) {
			uint32_t mi[SK_MEMINFO_VARS];
			socklen_t len = sizeof(mi);
			int n;

			if (memplug_nl__open(&q[k]))
				_exit(101);
			for (n = 0; n < NREQ; n++) {
				struct nl_msg *msg;

				msg = genl_conn__msg(&q[k], MEMPLUG_CMD_VM_GET, 0);
				nla_put_u32(msg, MEMPLUG_A_VM_ID, id);
				nl_send_auto(q[k].sk, msg);
				nlmsg_free(msg);
			}
			if (getsockopt(nl_socket_get_fd(q[k].sk), SOL_SOCKET,
				       SO_MEMINFO, mi, &len))
				_exit(102);
			/* Replies and acks, each in less than a page. */
			if (mi[SK_MEMINFO_RMEM_ALLOC] > 2 * NREQ * 4096) {
				fprintf(stderr, "# socket %d pins %u bytes\n",
					k, mi[SK_MEMINFO_RMEM_ALLOC]);
				bad |= 8;
				break;
			}
		}
		_exit(bad);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) {
		TH_LOG("1: dump failed, 2: incomplete, 4: HVAs shown, 8: big replies");
	}
	genl_conn__close(&c);
	kvm_guest__destroy(&g);
	munmap(mem, size);
}

TEST_HARNESS_MAIN
