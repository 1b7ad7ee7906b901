// SPDX-License-Identifier: GPL-2.0
/*
 * memplug_test: memplug.ko against real KVM VMs in the test VM.
 *
 * Every test creates its own VM (selftests/lib/kvm_guest) with a hotplug
 * region of REGION_SLOTS x 2 MiB anonymous memory, attaches it over a
 * netlink socket of the test process (the owner) and checks the module's
 * answers against what KVM and a running guest actually see.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "../lib/caps.h"
#include "../lib/kvm_guest.h"
#include "memplug/memplug_nl.h"

#define SLOT_SIZE	(2ULL << 20)
#define REGION_SLOTS	32
#define REGION_SIZE	(REGION_SLOTS * SLOT_SIZE)
#define SLOT_BASE	100
#define GPA_BASE	(4ULL << 30)

static void *region_map(void)
{
	void *p = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static struct memplug_range region_range(void *mem)
{
	struct memplug_range r = {
		.slot_base = SLOT_BASE,
		.slot_count = REGION_SLOTS,
		.gpa_base = GPA_BASE,
		.gpa_size = REGION_SIZE,
		.hva_base = (uintptr_t)mem,
		.hva_size = REGION_SIZE,
	};

	return r;
}

/* Slot i of the region: GPA in order, memory in reverse (catches mix-ups). */
static struct memplug_slot region_slot(void *mem, unsigned int i)
{
	struct memplug_slot s = {
		.id = SLOT_BASE + i,
		.gpa = GPA_BASE + i * SLOT_SIZE,
		.size = SLOT_SIZE,
		.hva = (uintptr_t)mem + (REGION_SLOTS - 1 - i) * SLOT_SIZE,
	};

	return s;
}

/* Number of slots VM_GET reports for @id, or -errno. */
static int nr_slots(struct genl_conn *c, uint32_t id)
{
	struct memplug_vm_info vi;
	int err = memplug_nl__vm_get(c, id, &vi);

	memplug_nl__vm_info_free(&vi);
	return err ? err : (int)vi.nr_slots;
}

/* The directory KVM keeps in debugfs while a VM of ours exists. */
static int kvm_debugfs_has(pid_t pid, int vm_fd)
{
	char path[64];

	if (access("/sys/kernel/debug/kvm", F_OK))
		mount("none", "/sys/kernel/debug", "debugfs", 0, NULL);
	snprintf(path, sizeof(path), "/sys/kernel/debug/kvm/%d-%d", pid, vm_fd);
	return access(path, F_OK) == 0;
}

FIXTURE(vm) {
	struct kvm_guest g;
	void *mem;
	struct genl_conn nl;
	uint32_t id;
};

FIXTURE_SETUP(vm)
{
	struct memplug_range r;

	ASSERT_EQ(0, kvm_guest__create(&self->g));
	self->mem = region_map();
	ASSERT_NE(NULL, self->mem);
	ASSERT_EQ(0, memplug_nl__open(&self->nl)) {
		TH_LOG("memplug family missing: is memplug.ko loaded?");
	}
	r = region_range(self->mem);
	ASSERT_EQ(0, memplug_nl__attach(&self->nl, self->g.vm_fd, &r,
					&self->id)) {
		TH_LOG("attach: %s", self->nl.extack);
	}
	ASSERT_NE(0, self->id);
}

FIXTURE_TEARDOWN(vm)
{
	genl_conn__close(&self->nl);
	kvm_guest__destroy(&self->g);
	munmap(self->mem, REGION_SIZE);
}

/* 16 slots in one batch; the guest writes and reads every one of them. */
TEST_F(vm, apply16_guest_sees_memory)
{
	struct memplug_slot s[16];
	struct memplug_times t;
	unsigned int i;
	uint64_t v;

	for (i = 0; i < 16; i++)
		s[i] = region_slot(self->mem, i);
	ASSERT_EQ(0, memplug_nl__apply(&self->nl, self->id, s, 16, &t)) {
		TH_LOG("apply: %s", self->nl.extack);
	}
	EXPECT_EQ(16, t.nr);
	EXPECT_LT(0, t.total);
	EXPECT_LE(t.parse + t.lock + t.check + t.apply, t.total);
	EXPECT_EQ(16, nr_slots(&self->nl, self->id));

	for (i = 0; i < 16; i++) {
		uint64_t off = 4096 * i + 8 * i;
		uint64_t *host = (uint64_t *)(s[i].hva + off);

		ASSERT_EQ(0, kvm_guest__write(&self->g, s[i].gpa + off,
					      0x5107000000000000ULL | i));
		/* The write landed in slot i's memory, at the same offset. */
		EXPECT_EQ(0x5107000000000000ULL | i, *host);
		*host = 0xc0ffee00ULL + i;
		ASSERT_EQ(0, kvm_guest__read(&self->g, s[i].gpa + off, &v));
		EXPECT_EQ(0xc0ffee00ULL + i, v);
	}
	/* Past the last slot there is still no memory. */
	EXPECT_EQ(KVM_GUEST_NO_MEMORY,
		  kvm_guest__read(&self->g, GPA_BASE + 16 * SLOT_SIZE, &v));

	/* Delete them in one batch: the guest loses the memory. */
	for (i = 0; i < 16; i++)
		s[i].size = 0;
	ASSERT_EQ(0, memplug_nl__apply(&self->nl, self->id, s, 16, NULL));
	EXPECT_EQ(0, nr_slots(&self->nl, self->id));
	EXPECT_EQ(KVM_GUEST_NO_MEMORY,
		  kvm_guest__read(&self->g, GPA_BASE, &v));
}

/* A batch whose last entry is invalid changes nothing. */
TEST_F(vm, invalid_last_entry_changes_nothing)
{
	struct memplug_slot s[9];
	unsigned int i;
	uint64_t v;
	int err;

	for (i = 0; i < 9; i++)
		s[i] = region_slot(self->mem, i);
	s[8].id = SLOT_BASE + REGION_SLOTS;	/* outside the id range */
	err = memplug_nl__apply(&self->nl, self->id, s, 9, NULL);
	EXPECT_EQ(-ERANGE, err);
	EXPECT_STREQ("slot id outside the VM's slot id range", self->nl.extack);
	EXPECT_LE(0, self->nl.bad_attr_off);
	EXPECT_EQ(0, nr_slots(&self->nl, self->id));
	for (i = 0; i < 8; i++)
		EXPECT_EQ(KVM_GUEST_NO_MEMORY,
			  kvm_guest__read(&self->g, s[i].gpa, &v));
}

static int set_fault_entry(int n)
{
	FILE *f = fopen("/sys/module/memplug/parameters/fault_entry", "w");

	if (!f)
		return -errno;
	fprintf(f, "%d\n", n);
	return fclose(f) ? -errno : 0;
}

/*
 * KVM fails in the middle of a batch (injected -ENOMEM at entry 2): the
 * delete and the create before it are undone, the deleted slot comes back
 * with its memory.
 */
TEST_F(vm, failure_mid_batch_rolls_back)
{
	struct memplug_slot s[3], pre[2];
	uint64_t v;
	int err;

	pre[0] = region_slot(self->mem, 0);
	pre[1] = region_slot(self->mem, 1);
	ASSERT_EQ(0, memplug_nl__apply(&self->nl, self->id, pre, 2, NULL));
	ASSERT_EQ(0, kvm_guest__write(&self->g, pre[0].gpa, 0xabcdef));

	s[0] = pre[0];
	s[0].size = 0;				/* delete slot 0 */
	s[1] = region_slot(self->mem, 2);	/* create slot 2 */
	s[2] = region_slot(self->mem, 3);	/* create slot 3: fails */
	ASSERT_EQ(0, set_fault_entry(2));
	err = memplug_nl__apply(&self->nl, self->id, s, 3, NULL);
	set_fault_entry(-1);
	EXPECT_EQ(-ENOMEM, err);
	EXPECT_STREQ("KVM rejected this slot; the batch was rolled back",
		     self->nl.extack);
	EXPECT_EQ(2, nr_slots(&self->nl, self->id));
	ASSERT_EQ(0, kvm_guest__read(&self->g, pre[0].gpa, &v));
	EXPECT_EQ(0xabcdef, v);
	EXPECT_EQ(KVM_GUEST_NO_MEMORY,
		  kvm_guest__read(&self->g, s[1].gpa, &v));
}

/* Each bad batch: its errno, its extack and no change in the VM. */
struct bad_case {
	const char *name;
	int err;
	const char *msg;	/* NULL: any non-empty message */
	struct memplug_slot s[2];
	unsigned int n;
};

TEST_F(vm, bad_batches_rejected)
{
	struct memplug_slot good = region_slot(self->mem, 0);
	uint64_t m = (uintptr_t)self->mem, v;
	const struct bad_case cases[] = {
		{ "slot id above range", -ERANGE,
		  "slot id outside the VM's slot id range",
		  { { SLOT_BASE + REGION_SLOTS, 0, GPA_BASE + SLOT_SIZE,
		      SLOT_SIZE, m } }, 1 },
		{ "slot id below range", -ERANGE,
		  "slot id outside the VM's slot id range",
		  { { SLOT_BASE - 1, 0, GPA_BASE + SLOT_SIZE, SLOT_SIZE, m } },
		  1 },
		{ "slot id of KVM's private slots", -ERANGE, NULL,
		  { { MEMPLUG_SLOTS_MAX, 0, GPA_BASE + SLOT_SIZE, SLOT_SIZE, m } },
		  1 },
		{ "slot id with address-space bits", -ERANGE, NULL,
		  { { (1 << 16) | (SLOT_BASE + 1), 0, GPA_BASE + SLOT_SIZE,
		      SLOT_SIZE, m } }, 1 },
		{ "GPA below range", -ERANGE, "slot outside the VM's GPA range",
		  { { SLOT_BASE + 1, 0, GPA_BASE - SLOT_SIZE, SLOT_SIZE, m } },
		  1 },
		{ "GPA beyond range", -ERANGE,
		  "slot outside the VM's GPA range",
		  { { SLOT_BASE + 1, 0, GPA_BASE + REGION_SIZE - 4096,
		      SLOT_SIZE, m } }, 1 },
		{ "HVA beyond range", -ERANGE,
		  "slot memory outside the VM's HVA range",
		  { { SLOT_BASE + 1, 0, GPA_BASE + SLOT_SIZE, SLOT_SIZE,
		      m + REGION_SIZE - 4096 } }, 1 },
		{ "HVA below range", -ERANGE,
		  "slot memory outside the VM's HVA range",
		  { { SLOT_BASE + 1, 0, GPA_BASE + SLOT_SIZE, SLOT_SIZE,
		      m - SLOT_SIZE } }, 1 },
		{ "unaligned GPA", -EINVAL, "slot GPA is not page aligned",
		  { { SLOT_BASE + 1, 0, GPA_BASE + SLOT_SIZE + 512, SLOT_SIZE,
		      m } }, 1 },
		{ "unaligned size", -EINVAL, "slot size is not page aligned",
		  { { SLOT_BASE + 1, 0, GPA_BASE + SLOT_SIZE, SLOT_SIZE + 100,
		      m } }, 1 },
		{ "unaligned HVA", -EINVAL, "slot HVA is not page aligned",
		  { { SLOT_BASE + 1, 0, GPA_BASE + SLOT_SIZE, SLOT_SIZE,
		      m + 8 } }, 1 },
		{ "overlap within the batch", -EEXIST,
		  "slot overlaps another slot of the batch",
		  { { SLOT_BASE + 1, 0, GPA_BASE + SLOT_SIZE, SLOT_SIZE, m },
		    { SLOT_BASE + 2, 0, GPA_BASE + SLOT_SIZE + 4096, SLOT_SIZE,
		      m } }, 2 },
		{ "overlap with an existing slot", -EEXIST,
		  "slot overlaps an existing memslot of the VM",
		  { { SLOT_BASE + 1, 0, GPA_BASE + SLOT_SIZE / 2, SLOT_SIZE,
		      m } }, 1 },
		{ "duplicate id", -EINVAL, "slot id appears twice in the batch",
		  { { SLOT_BASE + 1, 0, GPA_BASE + SLOT_SIZE, SLOT_SIZE, m },
		    { SLOT_BASE + 1, 0, GPA_BASE + 2 * SLOT_SIZE, SLOT_SIZE,
		      m } }, 2 },
		{ "existing id, other place", -EEXIST,
		  "slot id is in use; delete it first",
		  { { SLOT_BASE, 0, GPA_BASE + 4 * SLOT_SIZE, SLOT_SIZE, m } },
		  1 },
		{ "delete a missing slot", -ENOENT,
		  "cannot delete a slot that does not exist",
		  { { SLOT_BASE + 5, 0, 0, 0, 0 } }, 1 },
		{ "unknown flags", -EINVAL, NULL,
		  { { SLOT_BASE + 1, 1U << 7, GPA_BASE + SLOT_SIZE, SLOT_SIZE,
		      m } }, 1 },
	};
	unsigned int i;
	int err;

	ASSERT_EQ(0, memplug_nl__apply(&self->nl, self->id, &good, 1, NULL));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bad_case *c = &cases[i];

		err = memplug_nl__apply(&self->nl, self->id, c->s, c->n, NULL);
		EXPECT_EQ(c->err, err) {
			TH_LOG("%s: got %d (%s)", c->name, err,
			       self->nl.extack);
		}
		if (c->msg) {
			EXPECT_STREQ(c->msg, self->nl.extack) {
				TH_LOG("case: %s", c->name);
			}
		} else {
			EXPECT_NE(0, self->nl.extack[0]) {
				TH_LOG("%s: no extack", c->name);
			}
		}
		EXPECT_EQ(1, nr_slots(&self->nl, self->id));
		EXPECT_EQ(KVM_GUEST_NO_MEMORY,
			  kvm_guest__read(&self->g, GPA_BASE + SLOT_SIZE, &v)) {
			TH_LOG("case: %s", c->name);
		}
	}
	/* The good slot survived every rejection. */
	EXPECT_EQ(0, kvm_guest__read(&self->g, GPA_BASE, &v));
}

/* Requests that lack required attributes, or name no VM of ours. */
TEST_F(vm, missing_attributes_unknown_vm_wrong_owner)
{
	struct memplug_slot s = region_slot(self->mem, 0);
	struct genl_conn other;
	struct nl_msg *msg;
	struct nlattr *nest;
	int err;

	/* SLOTS_APPLY without a VM id. */
	msg = genl_conn__msg(&self->nl, MEMPLUG_CMD_SLOTS_APPLY, 0);
	ASSERT_NE(NULL, msg);
	ASSERT_EQ(0, memplug_nl__put_slot(msg, &s));
	EXPECT_EQ(-EINVAL, genl_conn__request(&self->nl, msg, NULL, NULL));
	EXPECT_STREQ("memplug: missing required attribute", self->nl.extack);

	/* A slot nest without its size. */
	msg = genl_conn__msg(&self->nl, MEMPLUG_CMD_SLOTS_APPLY, 0);
	ASSERT_NE(NULL, msg);
	nla_put_u32(msg, MEMPLUG_A_VM_ID, self->id);
	nest = nla_nest_start(msg, MEMPLUG_A_SLOT);
	nla_put_u32(msg, MEMPLUG_SLOT_A_ID, s.id);
	nla_nest_end(msg, nest);
	EXPECT_EQ(-EINVAL, genl_conn__request(&self->nl, msg, NULL, NULL));
	EXPECT_STREQ("memplug: slot without id or size", self->nl.extack);

	/* A created slot without its HVA. */
	msg = genl_conn__msg(&self->nl, MEMPLUG_CMD_SLOTS_APPLY, 0);
	ASSERT_NE(NULL, msg);
	nla_put_u32(msg, MEMPLUG_A_VM_ID, self->id);
	nest = nla_nest_start(msg, MEMPLUG_A_SLOT);
	nla_put_u32(msg, MEMPLUG_SLOT_A_ID, s.id);
	nla_put_u64(msg, MEMPLUG_SLOT_A_SIZE, s.size);
	nla_put_u64(msg, MEMPLUG_SLOT_A_GPA, s.gpa);
	nla_nest_end(msg, nest);
	EXPECT_EQ(-EINVAL, genl_conn__request(&self->nl, msg, NULL, NULL));
	EXPECT_STREQ("memplug: created slot without GPA or HVA",
		     self->nl.extack);

	/* No slots at all. */
	EXPECT_EQ(-EINVAL, memplug_nl__apply(&self->nl, self->id, &s, 0, NULL));
	EXPECT_STREQ("memplug: the batch has no slots", self->nl.extack);

	/* An id nobody attached. */
	err = memplug_nl__apply(&self->nl, self->id + 1000, &s, 1, NULL);
	EXPECT_EQ(-ENOENT, err);
	EXPECT_STREQ("no VM attached with this id", self->nl.extack);
	EXPECT_EQ(-ENOENT, nr_slots(&self->nl, self->id + 1000));

	/* Another socket of the same (privileged) process is not the owner. */
	ASSERT_EQ(0, memplug_nl__open(&other));
	err = memplug_nl__apply(&other, self->id, &s, 1, NULL);
	EXPECT_EQ(-EPERM, err);
	EXPECT_STREQ("only the VM's owner may apply slots", other.extack);
	EXPECT_EQ(-EPERM, memplug_nl__detach(&other, self->id));
	EXPECT_STREQ("only the VM's owner may detach it", other.extack);
	/* ... but it may read. */
	EXPECT_EQ(0, nr_slots(&other, self->id));
	genl_conn__close(&other);
	EXPECT_EQ(0, nr_slots(&self->nl, self->id));
}

TEST_F(vm, bad_attach_rejected)
{
	struct memplug_range r = region_range(self->mem);
	int null_fd = open("/dev/null", O_RDONLY);
	struct kvm_guest g2;
	uint32_t id;

	/* The same VM twice. */
	EXPECT_EQ(-EBUSY, memplug_nl__attach(&self->nl, self->g.vm_fd, &r, &id));
	EXPECT_STREQ("this VM is already attached", self->nl.extack);
	/* Not a VM. */
	EXPECT_EQ(-EINVAL, memplug_nl__attach(&self->nl, null_fd, &r, &id));
	EXPECT_STREQ("not a KVM VM file descriptor", self->nl.extack);
	EXPECT_EQ(-EBADF, memplug_nl__attach(&self->nl, 1000, &r, &id));
	EXPECT_STREQ("not an open file descriptor", self->nl.extack);
	close(null_fd);

	ASSERT_EQ(0, kvm_guest__create(&g2));
	/* A slot range reaching KVM's private slots. */
	r.slot_base = 32760;
	r.slot_count = 8;
	EXPECT_EQ(-ERANGE, memplug_nl__attach(&self->nl, g2.vm_fd, &r, &id));
	EXPECT_STREQ("slot id range ends beyond KVM's user memslots",
		     self->nl.extack);
	r = region_range(self->mem);
	r.gpa_base += 100;
	EXPECT_EQ(-EINVAL, memplug_nl__attach(&self->nl, g2.vm_fd, &r, &id));
	EXPECT_STREQ("GPA base is not page aligned", self->nl.extack);
	r = region_range(self->mem);
	r.hva_base = -8192ULL;
	r.hva_base &= ~4095ULL;
	EXPECT_EQ(-ERANGE, memplug_nl__attach(&self->nl, g2.vm_fd, &r, &id));
	EXPECT_STREQ("HVA range ends beyond user space", self->nl.extack);
	/* And a correct one still works. */
	r = region_range(self->mem);
	EXPECT_EQ(0, memplug_nl__attach(&self->nl, g2.vm_fd, &r, &id));
	EXPECT_EQ(0, memplug_nl__detach(&self->nl, id));
	EXPECT_EQ(-ENOENT, nr_slots(&self->nl, id));
	kvm_guest__destroy(&g2);
}

/* Without CAP_NET_ADMIN: every modifying command is EPERM, reads work. */
TEST_F(vm, no_cap_net_admin)
{
	struct memplug_slot s = region_slot(self->mem, 0);
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct memplug_range r = region_range(self->mem);
		struct genl_conn c;
		uint32_t id;
		int bad = 0;

		if (drop_net_admin() || memplug_nl__open(&c))
			_exit(10);
		bad |= memplug_nl__attach(&c, self->g.vm_fd, &r, &id) != -EPERM;
		bad |= (memplug_nl__apply(&c, self->id, &s, 1, NULL) != -EPERM) << 1;
		bad |= (memplug_nl__detach(&c, self->id) != -EPERM) << 2;
		bad |= (nr_slots(&c, self->id) != 0) << 3;
		genl_conn__close(&c);
		_exit(bad);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* The owner still can. */
	EXPECT_EQ(0, memplug_nl__apply(&self->nl, self->id, &s, 1, NULL));
	EXPECT_EQ(1, nr_slots(&self->nl, self->id));
}

/* The owner's socket closes: its slots go, the VM can be destroyed. */
TEST_F(vm, owner_close_detaches)
{
	struct memplug_slot s[4];
	struct genl_conn reader;
	unsigned int i;
	uint64_t v;
	int vm_fd = self->g.vm_fd;

	for (i = 0; i < 4; i++)
		s[i] = region_slot(self->mem, i);
	ASSERT_EQ(0, memplug_nl__apply(&self->nl, self->id, s, 4, NULL));
	ASSERT_EQ(0, kvm_guest__read(&self->g, s[3].gpa, &v));
	genl_conn__close(&self->nl);

	ASSERT_EQ(0, memplug_nl__open(&reader));
	EXPECT_EQ(-ENOENT, nr_slots(&reader, self->id));
	for (i = 0; i < 4; i++)
		EXPECT_EQ(KVM_GUEST_NO_MEMORY,
			  kvm_guest__read(&self->g, s[i].gpa, &v));
	/* Closing the VM fd now destroys the VM: no reference is left. */
	ASSERT_TRUE(kvm_debugfs_has(getpid(), vm_fd));
	kvm_guest__destroy(&self->g);
	EXPECT_FALSE(kvm_debugfs_has(getpid(), vm_fd));
	genl_conn__close(&reader);
}

/* The owning process is SIGKILLed with slots applied. */
TEST(owner_sigkill_detaches)
{
	struct genl_conn reader;
	int pfd[2], vm_fd = -1, status;
	uint32_t id = 0;
	pid_t pid;

	ASSERT_EQ(0, pipe(pfd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct memplug_slot s[4];
		struct memplug_range r;
		struct kvm_guest g;
		struct genl_conn c;
		void *mem = region_map();
		unsigned int i;
		uint32_t msg[2];

		if (!mem || kvm_guest__create(&g) || memplug_nl__open(&c))
			_exit(10);
		r = region_range(mem);
		if (memplug_nl__attach(&c, g.vm_fd, &r, &msg[0]))
			_exit(11);
		for (i = 0; i < 4; i++)
			s[i] = region_slot(mem, i);
		if (memplug_nl__apply(&c, msg[0], s, 4, NULL))
			_exit(12);
		msg[1] = g.vm_fd;
		if (write(pfd[1], msg, sizeof(msg)) != sizeof(msg))
			_exit(13);
		pause();
		_exit(14);
	}
	close(pfd[1]);
	{
		uint32_t msg[2];

		ASSERT_EQ(sizeof(msg), read(pfd[0], msg, sizeof(msg)));
		id = msg[0];
		vm_fd = msg[1];
	}
	ASSERT_EQ(0, memplug_nl__open(&reader));
	EXPECT_EQ(4, nr_slots(&reader, id));
	EXPECT_TRUE(kvm_debugfs_has(pid, vm_fd));
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(-ENOENT, nr_slots(&reader, id));
	/* The module's reference was the last one: KVM destroyed the VM. */
	EXPECT_FALSE(kvm_debugfs_has(pid, vm_fd));
	genl_conn__close(&reader);
}

struct events {
	int n;
	uint32_t type[8];
	uint64_t ts[8];
	uint32_t vm[8];
};

static int event_cb(struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[MEMPLUG_A_MAX + 1];
	struct events *e = arg;

	if (genlmsg_parse(nlh, 0, tb, MEMPLUG_A_MAX, NULL) < 0 ||
	    !tb[MEMPLUG_A_EVENT] || !tb[MEMPLUG_A_TIMESTAMP_NS])
		return -EPROTO;
	e->type[e->n] = nla_get_u32(tb[MEMPLUG_A_EVENT]);
	e->ts[e->n] = nla_get_u64(tb[MEMPLUG_A_TIMESTAMP_NS]);
	e->vm[e->n] = tb[MEMPLUG_A_VM_ID] ? nla_get_u32(tb[MEMPLUG_A_VM_ID]) : 0;
	return ++e->n == 3 ? 1 : 0;
}

/*
 * HOTPLUG_EVENT as memplugd sends it; @body may be NULL.  Room for a body
 * beyond the limit: nlmsg_alloc()'s page would refuse it here already.
 */
static int hotplug_event(struct genl_conn *c, uint32_t id, uint64_t requested,
			 uint64_t plugged, const char *body)
{
	struct nl_msg *msg = nlmsg_alloc_size(2 * MEMPLUG_HOTPLUG_BODY_MAX);

	if (!msg)
		return -ENOMEM;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, c->family, 0,
			 NLM_F_ACK, MEMPLUG_CMD_HOTPLUG_EVENT, c->version) ||
	    nla_put_u32(msg, MEMPLUG_A_VM_ID, id) ||
	    nla_put_u64(msg, MEMPLUG_A_REQUESTED_SIZE, requested) ||
	    nla_put_u64(msg, MEMPLUG_A_PLUGGED_SIZE, plugged) ||
	    (body && nla_put_string(msg, MEMPLUG_A_HOTPLUG_BODY, body))) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return genl_conn__request(c, msg, NULL, NULL);
}

/* HOTPLUG_GET by another socket; 0 or -errno, the body in @out. */
static int hotplug_get(uint32_t id, char *out, size_t len, char *extack)
{
	struct genl_conn c;
	int err;

	err = memplug_nl__open(&c);
	if (err)
		return err;
	err = memplug_nl__relay(&c, MEMPLUG_CMD_HOTPLUG_GET, id, NULL, out, len);
	snprintf(extack, 256, "%s", c.extack);
	genl_conn__close(&c);
	return err;
}

/*
 * The owner (self->nl) reads its socket only where it says so: a GET the
 * module relayed instead of answering would wait 5 s and fail.
 */
TEST_F(vm, hotplug_get_answered_from_event_body)
{
	static char out[MEMPLUG_HOTPLUG_BODY_MAX], big[MEMPLUG_HOTPLUG_BODY_MAX + 1];
	const char *b1 = "{\"plugged_size_mib\":512,\"requested_size_mib\":1024}";
	struct nlattr *tb[MEMPLUG_A_MAX + 1];
	struct memplug_vm_info vi;
	struct genl_conn other;
	char extack[256], buf[8192];
	struct nlmsghdr *nlh;
	struct nl_msg *msg;
	struct pollfd p;
	int status;
	uint64_t t0;
	ssize_t n;
	pid_t pid;

	ASSERT_EQ(0, hotplug_event(&self->nl, self->id, 1ULL << 30, 512ULL << 20,
				   b1)) {
		TH_LOG("event: %s", self->nl.extack);
	}
	t0 = mp_now_ns();
	ASSERT_EQ(0, hotplug_get(self->id, out, sizeof(out), extack)) {
		TH_LOG("get: %s", extack);
	}
	EXPECT_LT(mp_now_ns() - t0, 1000000000ULL);
	EXPECT_STREQ(b1, out);
	ASSERT_EQ(0, memplug_nl__vm_get(&self->nl, self->id, &vi));
	EXPECT_EQ(1ULL << 30, vi.requested_size);
	EXPECT_EQ(512ULL << 20, vi.plugged_size);
	memplug_nl__vm_info_free(&vi);

	/* The longest body there may be replaces it (a bigger reply). */
	memset(big, 'x', MEMPLUG_HOTPLUG_BODY_MAX - 1);
	big[MEMPLUG_HOTPLUG_BODY_MAX - 1] = '\0';
	ASSERT_EQ(0, hotplug_event(&self->nl, self->id, 0, 0, big));
	ASSERT_EQ(0, hotplug_get(self->id, out, sizeof(out), extack));
	EXPECT_STREQ(big, out);
	/* One byte more is refused by the policy, and the kept one stays. */
	big[MEMPLUG_HOTPLUG_BODY_MAX - 1] = 'x';
	big[MEMPLUG_HOTPLUG_BODY_MAX] = '\0';
	EXPECT_EQ(-EINVAL, hotplug_event(&self->nl, self->id, 0, 0, big));
	EXPECT_NE(0, self->nl.extack[0]);
	big[MEMPLUG_HOTPLUG_BODY_MAX - 1] = '\0';
	ASSERT_EQ(0, hotplug_get(self->id, out, sizeof(out), extack));
	EXPECT_STREQ(big, out);

	/* Only the owner may set it. */
	ASSERT_EQ(0, memplug_nl__open(&other));
	EXPECT_EQ(-EPERM, hotplug_event(&other, self->id, 0, 0, "{}"));
	EXPECT_STREQ("memplug: only the VM's owner reports its state",
		     other.extack);
	genl_conn__close(&other);
	ASSERT_EQ(0, hotplug_get(self->id, out, sizeof(out), extack));
	EXPECT_STREQ(big, out);

	/* An event without a body drops it: GET goes to the owner again. */
	ASSERT_EQ(0, hotplug_event(&self->nl, self->id, 0, 0, NULL));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(hotplug_get(self->id, out, sizeof(out), extack) ? 1 :
		      strcmp(out, "{\"relayed\":1}") ? 2 : 0);
	p.fd = nl_socket_get_fd(self->nl.sk);
	p.events = POLLIN;
	ASSERT_EQ(1, poll(&p, 1, 3000)) {
		TH_LOG("the module did not relay the GET to the owner");
	}
	n = recv(p.fd, buf, sizeof(buf), 0);
	nlh = (struct nlmsghdr *)buf;
	ASSERT_TRUE(n > 0 && nlmsg_ok(nlh, n));
	ASSERT_EQ(MEMPLUG_CMD_HOTPLUG_GET,
		  ((struct genlmsghdr *)nlmsg_data(nlh))->cmd);
	ASSERT_EQ(0, genlmsg_parse(nlh, 0, tb, MEMPLUG_A_MAX, NULL));
	ASSERT_NE(NULL, tb[MEMPLUG_A_COOKIE]);
	msg = genl_conn__msg(&self->nl, MEMPLUG_CMD_HOTPLUG_REPLY, 0);
	ASSERT_NE(NULL, msg);
	nla_put_u64(msg, MEMPLUG_A_COOKIE, nla_get_u64(tb[MEMPLUG_A_COOKIE]));
	nla_put_u32(msg, MEMPLUG_A_ERRNO, 0);
	nla_put_string(msg, MEMPLUG_A_HOTPLUG_BODY, "{\"relayed\":1}");
	EXPECT_EQ(0, genl_conn__request(&self->nl, msg, NULL, NULL)) {
		TH_LOG("reply: %s", self->nl.extack);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* attach, batch applied and detach reach a monitor, in order, timestamped. */
TEST(events)
{
	struct genl_conn mon, c;
	struct events e = { 0 };
	struct memplug_slot s;
	struct memplug_range r;
	struct kvm_guest g;
	uint64_t t0;
	uint32_t id;
	void *mem = region_map();

	ASSERT_NE(NULL, mem);
	ASSERT_EQ(0, kvm_guest__create(&g));
	ASSERT_EQ(0, memplug_nl__open(&mon));
	ASSERT_EQ(0, genl_conn__subscribe(&mon, MEMPLUG_MCGRP_EVENTS));
	ASSERT_EQ(0, memplug_nl__open(&c));
	t0 = mp_now_ns();
	r = region_range(mem);
	ASSERT_EQ(0, memplug_nl__attach(&c, g.vm_fd, &r, &id));
	s = region_slot(mem, 0);
	ASSERT_EQ(0, memplug_nl__apply(&c, id, &s, 1, NULL));
	ASSERT_EQ(0, memplug_nl__detach(&c, id));
	ASSERT_EQ(1, genl_conn__listen(&mon, event_cb, &e));
	EXPECT_EQ(MEMPLUG_EVENT_ATTACHED, e.type[0]);
	EXPECT_EQ(MEMPLUG_EVENT_SLOTS_APPLIED, e.type[1]);
	EXPECT_EQ(MEMPLUG_EVENT_DETACHED, e.type[2]);
	EXPECT_EQ(id, e.vm[0]);
	EXPECT_EQ(id, e.vm[2]);
	/* ktime_get_ns() is CLOCK_MONOTONIC. */
	EXPECT_LE(t0, e.ts[0]);
	EXPECT_LE(e.ts[0], e.ts[1]);
	EXPECT_LE(e.ts[1], e.ts[2]);
	EXPECT_GE(mp_now_ns(), e.ts[2]);
	genl_conn__close(&c);
	genl_conn__close(&mon);
	kvm_guest__destroy(&g);
}

TEST_HARNESS_MAIN
