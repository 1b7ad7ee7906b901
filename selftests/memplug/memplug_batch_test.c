// SPDX-License-Identifier: GPL-2.0
/*
 * memplug_batch_test: SLOTS_APPLY where KVM would disagree with the
 * module's checks, where undoing fails, and where the VM's process is gone.
 *
 *  - entries are checked in order: a slot created over one the batch
 *    deletes only later is refused before anything is touched, as are
 *    slots KVM cannot take (too big, beyond the CPU's physical bits);
 *  - a failed undo is reported as such, the slot it left stays the
 *    attachment's (detach removes it), the VM is marked inconsistent;
 *  - a slot deleted and recreated by a rollback keeps its pages dirty;
 *  - a slot the VMM put in place of one of ours is not ours to delete;
 *  - a batch for a VM whose process exited fails with ESRCH;
 *  - a batch whose reply cannot be allocated fails before anything is
 *    applied: a batch reported as failed never leaves its slots behind;
 *  - KVM's metadata for the slots a batch creates is charged to the memory
 *    cgroup of the VM's process, not to the caller's;
 *  - ADOPT takes back what the last attachment left, never a slot the VMM
 *    made itself; ADOPT_ANY takes everything in the ranges.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cpuid.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "../lib/kvm_guest.h"
#include "memplug/memplug_nl.h"
#include "memplug/scm.h"

#define SLOT_SIZE	(2ULL << 20)
#define REGION_SLOTS	16
#define REGION_SIZE	(REGION_SLOTS * SLOT_SIZE)
#define SLOT_BASE	100
#define GPA_BASE	(4ULL << 30)

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

FIXTURE(vm) {
	struct kvm_guest g;
	void *mem;
	struct genl_conn nl;
	uint32_t id;
};

FIXTURE_SETUP(vm)
{
	struct memplug_range r = {
		.slot_base = SLOT_BASE, .slot_count = REGION_SLOTS,
		.gpa_base = GPA_BASE, .gpa_size = REGION_SIZE,
		.hva_size = REGION_SIZE,
	};

	self->mem = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->mem);
	ASSERT_EQ(0, kvm_guest__create(&self->g));
	ASSERT_EQ(0, memplug_nl__open(&self->nl));
	r.hva_base = (uintptr_t)self->mem;
	ASSERT_EQ(0, memplug_nl__attach(&self->nl, self->g.vm_fd, &r,
					&self->id));
}

FIXTURE_TEARDOWN(vm)
{
	set_param("fault_entry", -1);
	set_param("fault_undo", -1);
	set_param("fault_reply", 0);
	genl_conn__close(&self->nl);
	kvm_guest__destroy(&self->g);
	munmap(self->mem, REGION_SIZE);
}

static struct memplug_slot slot(void *mem, unsigned int i, uint64_t size)
{
	struct memplug_slot s = {
		.id = SLOT_BASE + i,
		.gpa = GPA_BASE + i * SLOT_SIZE,
		.size = size,
		.hva = (uintptr_t)mem + i * SLOT_SIZE,
	};

	return s;
}

static int slots_in_kvm(struct genl_conn *c, uint32_t id)
{
	struct memplug_vm_info vi;
	int err = memplug_nl__vm_get(c, id, &vi);
	int n = err ? err : (int)vi.nr_slots;

	memplug_nl__vm_info_free(&vi);
	return n;
}

/*
 * [create X, create C over B, delete B]: KVM would refuse C (B is still
 * there when C comes), so the module must refuse the batch before X is
 * created.  Deleting B first is fine.
 */
TEST_F(vm, delete_frees_range_only_for_later_entries)
{
	struct memplug_slot b = slot(self->mem, 0, SLOT_SIZE), s[3];
	uint64_t v;

	ASSERT_EQ(0, memplug_nl__apply(&self->nl, self->id, &b, 1, NULL));
	s[0] = slot(self->mem, 1, SLOT_SIZE);		/* X */
	s[1] = slot(self->mem, 2, SLOT_SIZE);		/* C, over B */
	s[1].gpa = b.gpa;
	s[2] = b;					/* delete B */
	s[2].size = 0;
	EXPECT_EQ(-EEXIST, memplug_nl__apply(&self->nl, self->id, s, 3, NULL));
	EXPECT_STREQ("slot overlaps an existing memslot of the VM",
		     self->nl.extack);
	EXPECT_EQ(1, slots_in_kvm(&self->nl, self->id));
	EXPECT_EQ(KVM_GUEST_NO_MEMORY,
		  kvm_guest__read(&self->g, s[0].gpa, &v));

	/* In KVM's order it works. */
	s[0] = s[2];
	s[2] = slot(self->mem, 1, SLOT_SIZE);
	EXPECT_EQ(0, memplug_nl__apply(&self->nl, self->id, s, 3, NULL)) {
		TH_LOG("%s", self->nl.extack);
	}
	EXPECT_EQ(2, slots_in_kvm(&self->nl, self->id));
}

/* What KVM cannot take is refused by the module, with its own message. */
TEST(kvm_limits_checked_first)
{
	struct memplug_range r = {
		.slot_base = SLOT_BASE, .slot_count = 4,
		.gpa_base = 1ULL << 40, .gpa_size = 1ULL << 44,
		.hva_base = 1ULL << 44, .hva_size = 1ULL << 44,
	};
	/* Beyond KVM_MEM_MAX_NR_PAGES (2^31 - 1 pages) by one page. */
	struct memplug_slot big = {
		.id = SLOT_BASE, .gpa = 1ULL << 40, .size = 1ULL << 43,
		.hva = 1ULL << 44,
	};
	unsigned int a, b, c, d, bits = 36;
	struct kvm_guest g;
	struct genl_conn nl;
	uint32_t id;

	if (__get_cpuid(0x80000008, &a, &b, &c, &d))
		bits = a & 0xff;
	ASSERT_EQ(0, kvm_guest__create(&g));
	ASSERT_EQ(0, memplug_nl__open(&nl));
	if (bits > 44) {
		ASSERT_EQ(0, memplug_nl__attach(&nl, g.vm_fd, &r, &id)) {
			TH_LOG("%s", nl.extack);
		}
		EXPECT_EQ(-EINVAL, memplug_nl__apply(&nl, id, &big, 1, NULL));
		EXPECT_STREQ("slot larger than KVM allows", nl.extack);
		EXPECT_EQ(0, memplug_nl__detach(&nl, id));
	} else {
		TH_LOG("%u physical address bits: no room for the size check", bits);
	}
	/* A GPA range past the CPU's physical address bits. */
	r.gpa_base = 1ULL << bits;
	r.gpa_size = SLOT_SIZE;
	EXPECT_EQ(-ERANGE, memplug_nl__attach(&nl, g.vm_fd, &r, &id));
	EXPECT_STREQ("GPA range ends beyond the CPU's physical address bits",
		     nl.extack);
	genl_conn__close(&nl);
	kvm_guest__destroy(&g);
}

/*
 * Entry 2 fails, and undoing entry 0 fails too: the batch says so (EIO,
 * not "rolled back"), the VM is marked inconsistent, slot 0 stays in KVM
 * and the attachment's, so that detach removes it.
 */
TEST_F(vm, failed_undo_reported_and_slot_tracked)
{
	struct memplug_slot s[3];
	struct memplug_vm_info vi;
	uint64_t v;
	int err;

	s[0] = slot(self->mem, 0, SLOT_SIZE);
	s[1] = slot(self->mem, 1, SLOT_SIZE);
	s[2] = slot(self->mem, 2, SLOT_SIZE);
	ASSERT_EQ(0, set_param("fault_entry", 2));
	ASSERT_EQ(0, set_param("fault_undo", 0));
	err = memplug_nl__apply(&self->nl, self->id, s, 3, NULL);
	set_param("fault_entry", -1);
	set_param("fault_undo", -1);
	EXPECT_EQ(-EIO, err);
	EXPECT_STREQ("KVM rejected this slot and undoing the batch failed: the VM's slots are inconsistent",
		     self->nl.extack);
	ASSERT_EQ(0, memplug_nl__vm_get(&self->nl, self->id, &vi));
	EXPECT_TRUE(vi.inconsistent);
	EXPECT_EQ(1, vi.held_slots);
	EXPECT_EQ(1, vi.nr_slots);
	memplug_nl__vm_info_free(&vi);
	EXPECT_EQ(0, kvm_guest__read(&self->g, s[0].gpa, &v));
	EXPECT_EQ(KVM_GUEST_NO_MEMORY, kvm_guest__read(&self->g, s[1].gpa, &v));
	/* The slot left behind is ours: it can be deleted, detach removes it. */
	ASSERT_EQ(0, memplug_nl__detach(&self->nl, self->id));
	EXPECT_EQ(KVM_GUEST_NO_MEMORY, kvm_guest__read(&self->g, s[0].gpa, &v));
}

/*
 * A LOG_DIRTY slot is deleted by a batch that then fails: it comes back,
 * and the page the guest dirtied before is still reported dirty.
 */
TEST_F(vm, rollback_keeps_pages_dirty)
{
	struct memplug_slot a = slot(self->mem, 0, SLOT_SIZE), s[2];
	uint64_t bitmap[SLOT_SIZE / 4096 / 64];
	struct kvm_dirty_log log = { .slot = a.id, .dirty_bitmap = bitmap };
	int err;

	a.flags = MEMPLUG_SLOT_F_LOG_DIRTY;
	ASSERT_EQ(0, memplug_nl__apply(&self->nl, self->id, &a, 1, NULL));
	/* Start clean, then the guest dirties page 3. */
	ASSERT_EQ(0, ioctl(self->g.vm_fd, KVM_GET_DIRTY_LOG, &log));
	ASSERT_EQ(0, kvm_guest__write(&self->g, a.gpa + 3 * 4096, 7));
	s[0] = a;
	s[0].size = 0;
	s[1] = slot(self->mem, 1, SLOT_SIZE);
	ASSERT_EQ(0, set_param("fault_entry", 1));
	err = memplug_nl__apply(&self->nl, self->id, s, 2, NULL);
	set_param("fault_entry", -1);
	EXPECT_EQ(-ENOMEM, err);
	memset(bitmap, 0, sizeof(bitmap));
	ASSERT_EQ(0, ioctl(self->g.vm_fd, KVM_GET_DIRTY_LOG, &log));
	EXPECT_TRUE(bitmap[0] & (1ULL << 3)) {
		TH_LOG("the guest's write to page 3 is no longer dirty");
	}
}

/*
 * The VMM replaces a slot of ours by its id (its own memslot ioctl): the
 * new slot is the VMM's, neither a batch nor the detach may delete it.
 */
TEST_F(vm, slot_replaced_by_vmm_is_not_ours)
{
	struct memplug_slot a = slot(self->mem, 0, SLOT_SIZE);
	uint64_t gpa = GPA_BASE + 4 * SLOT_SIZE, v;

	ASSERT_EQ(0, memplug_nl__apply(&self->nl, self->id, &a, 1, NULL));
	ASSERT_EQ(0, kvm_guest__set_slot(&self->g, a.id, a.gpa, 0, NULL));
	ASSERT_EQ(0, kvm_guest__set_slot(&self->g, a.id, gpa, SLOT_SIZE,
					 (char *)self->mem + 4 * SLOT_SIZE));
	a.size = 0;
	EXPECT_EQ(-EPERM, memplug_nl__apply(&self->nl, self->id, &a, 1, NULL));
	EXPECT_STREQ("slot was not created through memplug", self->nl.extack);
	ASSERT_EQ(0, memplug_nl__detach(&self->nl, self->id));
	EXPECT_EQ(0, kvm_guest__read(&self->g, gpa, &v)) {
		TH_LOG("the VMM's own slot was deleted");
	}
	kvm_guest__set_slot(&self->g, a.id, gpa, 0, NULL);
}

/*
 * The reply cannot be allocated (fault_reply): the batch fails with ENOMEM
 * and its message, and KVM has none of its slots; the module used to apply
 * the batch first and fail on the reply after, reporting as failed a batch
 * that was in.  Without the fault the same batch goes in.
 */
TEST_F(vm, reply_allocated_before_apply)
{
	struct memplug_slot s[2] = {
		slot(self->mem, 0, SLOT_SIZE), slot(self->mem, 1, SLOT_SIZE),
	};
	struct memplug_vm_info vi = { 0 };
	uint64_t v;
	int err, i;

	ASSERT_EQ(0, set_param("fault_reply", 1)) {
		TH_LOG("the module has no fault_reply parameter");
	}
	err = memplug_nl__apply(&self->nl, self->id, s, 2, NULL);
	set_param("fault_reply", 0);
	EXPECT_EQ(-ENOMEM, err);
	EXPECT_STREQ("memplug: no memory for the reply; nothing was applied",
		     self->nl.extack);
	/* What the guest sees, then what the module says. */
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(KVM_GUEST_NO_MEMORY,
			  kvm_guest__read(&self->g, s[i].gpa, &v)) {
			TH_LOG("slot %u of the failed batch is in KVM", s[i].id);
		}
	}
	EXPECT_EQ(0, memplug_nl__vm_get(&self->nl, self->id, &vi));
	EXPECT_EQ(0, vi.nr_slots);
	EXPECT_EQ(0, vi.held_slots);
	memplug_nl__vm_info_free(&vi);

	EXPECT_EQ(0, memplug_nl__apply(&self->nl, self->id, s, 2, NULL)) {
		TH_LOG("%s", self->nl.extack);
	}
	EXPECT_EQ(2, slots_in_kvm(&self->nl, self->id));
	EXPECT_EQ(0, kvm_guest__read(&self->g, s[1].gpa, &v));
}

static int held_cb(struct nlmsghdr *nlh, void *arg)
{
	struct memplug_vm_info vi = { 0 };
	int err = memplug_nl__parse_vm(nlh, &vi);

	if (!err)
		*(int *)arg = vi.held_slots;
	return err;
}

/* The slots the attachment holds (VM_GET's NR_SLOTS), or -errno. */
static int held_slots(struct genl_conn *c, uint32_t id)
{
	struct nl_msg *msg = genl_conn__msg(c, MEMPLUG_CMD_VM_GET, 0);
	int n = -1, err;

	if (!msg || nla_put_u32(msg, MEMPLUG_A_VM_ID, id)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	err = genl_conn__request(c, msg, held_cb, &n);
	return err ? err : n;
}

/*
 * M10: an owner with KEEP_SLOTS leaves slots 0 and 1; the VMM (this
 * process) adds slot 2 itself and moves slot 1 elsewhere.  The next
 * attachment's ADOPT takes slot 0 only, cannot delete the VMM's, and its
 * detach leaves the VMM's slots alone.  Once that attachment has taken
 * the record, ADOPT takes nothing; ADOPT_ANY takes the VMM's slots.
 */
TEST(adopt_takes_only_what_memplug_left)
{
	struct memplug_range r = {
		.slot_base = SLOT_BASE, .slot_count = REGION_SLOTS,
		.gpa_base = GPA_BASE, .gpa_size = REGION_SIZE,
		.hva_size = REGION_SIZE,
		.flags = MEMPLUG_ATTACH_F_KEEP_SLOTS,
	};
	struct memplug_slot s[2], vmm;
	struct kvm_guest g;
	struct genl_conn c;
	uint64_t v, moved;
	uint32_t id;
	void *mem;

	mem = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	r.hva_base = (uintptr_t)mem;
	ASSERT_EQ(0, kvm_guest__create(&g));
	ASSERT_EQ(0, memplug_nl__open(&c));
	ASSERT_EQ(0, memplug_nl__attach(&c, g.vm_fd, &r, &id));
	s[0] = slot(mem, 0, SLOT_SIZE);
	s[1] = slot(mem, 1, SLOT_SIZE);
	ASSERT_EQ(0, memplug_nl__apply(&c, id, s, 2, NULL));
	genl_conn__close(&c);		/* KEEP_SLOTS: 0 and 1 stay */

	/* The VMM's own slot 2, and slot 1 moved to the place of slot 5. */
	vmm = slot(mem, 2, SLOT_SIZE);
	ASSERT_EQ(0, kvm_guest__set_slot(&g, vmm.id, vmm.gpa, SLOT_SIZE,
					 (void *)(uintptr_t)vmm.hva));
	moved = GPA_BASE + 5 * SLOT_SIZE;
	ASSERT_EQ(0, kvm_guest__set_slot(&g, s[1].id, s[1].gpa, 0, NULL));
	ASSERT_EQ(0, kvm_guest__set_slot(&g, s[1].id, moved, SLOT_SIZE,
					 (char *)mem + 5 * SLOT_SIZE));

	ASSERT_EQ(0, memplug_nl__open(&c));
	r.flags = MEMPLUG_ATTACH_F_ADOPT;
	ASSERT_EQ(0, memplug_nl__attach(&c, g.vm_fd, &r, &id));
	EXPECT_EQ(1, held_slots(&c, id)) {
		TH_LOG("ADOPT took slots memplug did not leave there");
	}
	vmm.size = 0;
	EXPECT_EQ(-EPERM, memplug_nl__apply(&c, id, &vmm, 1, NULL));
	EXPECT_STREQ("slot was not created through memplug", c.extack);
	ASSERT_EQ(0, memplug_nl__detach(&c, id));
	EXPECT_EQ(KVM_GUEST_NO_MEMORY, kvm_guest__read(&g, s[0].gpa, &v));
	EXPECT_EQ(0, kvm_guest__read(&g, vmm.gpa, &v)) {
		TH_LOG("the detach removed the VMM's own slot");
	}
	EXPECT_EQ(0, kvm_guest__read(&g, moved, &v)) {
		TH_LOG("the detach removed the slot the VMM moved");
	}

	/* Nothing left to take back. */
	ASSERT_EQ(0, memplug_nl__attach(&c, g.vm_fd, &r, &id));
	EXPECT_EQ(0, held_slots(&c, id));
	ASSERT_EQ(0, memplug_nl__detach(&c, id));

	/* ADOPT_ANY: the VMM hands its slots over; detach removes them. */
	r.flags = MEMPLUG_ATTACH_F_ADOPT_ANY;
	ASSERT_EQ(0, memplug_nl__attach(&c, g.vm_fd, &r, &id));
	EXPECT_EQ(2, held_slots(&c, id));
	ASSERT_EQ(0, memplug_nl__detach(&c, id));
	EXPECT_EQ(KVM_GUEST_NO_MEMORY, kvm_guest__read(&g, vmm.gpa, &v));
	EXPECT_EQ(KVM_GUEST_NO_MEMORY, kvm_guest__read(&g, moved, &v));
	genl_conn__close(&c);
	kvm_guest__destroy(&g);
	munmap(mem, REGION_SIZE);
}

/* The VMM (a child here) exits; its VM stays attached: batches fail. */
TEST(vm_of_exited_process_esrch)
{
	struct memplug_slot s;
	struct memplug_range r;
	struct genl_conn nl;
	int sv[2], fds[2], nfds = 2, status;
	char buf[8];
	void *mem;
	uint32_t id;
	pid_t pid;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv));
	mem = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct kvm_guest g;
		int fd[1];

		if (kvm_guest__create(&g))
			_exit(1);
		fd[0] = g.vm_fd;
		if (scm__send(sv[1], "vm", 2, fd, 1))
			_exit(2);
		/* Wait to be told, then exit with the VM fd passed on. */
		if (read(sv[1], buf, 1) != 1)
			_exit(3);
		_exit(0);
	}
	ASSERT_LT(0, scm__recv(sv[0], buf, sizeof(buf), fds, &nfds, 0));
	ASSERT_EQ(1, nfds);
	ASSERT_EQ(0, memplug_nl__open(&nl));
	r = (struct memplug_range){ SLOT_BASE, REGION_SLOTS, GPA_BASE,
				    REGION_SIZE, (uintptr_t)mem, REGION_SIZE,
				    0 };
	ASSERT_EQ(0, memplug_nl__attach(&nl, fds[0], &r, &id));
	s = slot(mem, 0, SLOT_SIZE);
	EXPECT_EQ(0, memplug_nl__apply(&nl, id, &s, 1, NULL));
	ASSERT_EQ(1, write(sv[0], "x", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	s = slot(mem, 1, SLOT_SIZE);
	EXPECT_EQ(-ESRCH, memplug_nl__apply(&nl, id, &s, 1, NULL));
	EXPECT_STREQ("the VM's process has exited", nl.extack);
	EXPECT_EQ(0, memplug_nl__detach(&nl, id));
	genl_conn__close(&nl);
	close(fds[0]);
	munmap(mem, REGION_SIZE);
}

#define CGROOT		"/sys/fs/cgroup"

static int cg_write(const char *cg, const char *file, const char *val)
{
	char path[256];
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/%s", cg, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		err = -errno;
	close(fd);
	return err;
}

/* memory.current of @cg in bytes, or -1. */
static long long cg_current(const char *cg)
{
	char path[256];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/memory.current", cg);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* Two memory cgroups: the VMM's and the daemon's (the caller's). */
FIXTURE(memcg) {
	char vmm[64];
	char daemon[64];
	pid_t child;
	int sv[2];
};

FIXTURE_SETUP(memcg)
{
	self->child = -1;
	self->sv[0] = self->sv[1] = -1;
	if (access(CGROOT "/cgroup.controllers", F_OK))
		ASSERT_EQ(0, system("mount -t cgroup2 none " CGROOT));
	ASSERT_EQ(0, cg_write(CGROOT, "cgroup.subtree_control", "+memory"));
	snprintf(self->vmm, sizeof(self->vmm), CGROOT "/memplug-vmm-%d",
		 getpid());
	snprintf(self->daemon, sizeof(self->daemon),
		 CGROOT "/memplug-daemon-%d", getpid());
	ASSERT_EQ(0, mkdir(self->vmm, 0755));
	ASSERT_EQ(0, mkdir(self->daemon, 0755));
	/* This process plays memplugd. */
	ASSERT_EQ(0, cg_write(self->daemon, "cgroup.procs", "0"));
}

FIXTURE_TEARDOWN(memcg)
{
	if (self->child > 0) {
		kill(self->child, SIGKILL);
		waitpid(self->child, NULL, 0);
	}
	cg_write(CGROOT, "cgroup.procs", "0");
	rmdir(self->vmm);
	rmdir(self->daemon);
}

#define MEMCG_SLOTS	32

/*
 * The VMM (a child, in its own memory cgroup) creates the VM and hands its
 * fd to this process (memplugd, in another), which attaches it and creates
 * 32 slots of 8 GiB with dirty logging: KVM allocates 512 KiB of dirty
 * bitmap per slot (two bitmaps of one bit per page), 16 MiB in all, plus
 * its other per-page metadata (in the test VM ~4 MiB of write tracking per
 * slot: ~145 MiB in all).  That is the VMM's memory: its cgroup must grow
 * by at least 3/4 of the bitmaps and the caller's by less than 1/4 of
 * them.  Deleting the slots gives it back.
 */
TEST_F(memcg, slot_metadata_charged_to_vmm)
{
	uint64_t slot_size = 8ULL << 30, bitmaps, hva;
	struct memplug_slot s[MEMCG_SLOTS];
	long long vmm0, dmn0, vmm1, dmn1, vmm2;
	unsigned int a, b, c, d, bits = 36, i;
	struct memplug_range r;
	struct genl_conn nl;
	int fds[2], nfds = 2;
	char buf[32];
	uint32_t id;

	if (__get_cpuid(0x80000008, &a, &b, &c, &d))
		bits = a & 0xff;
	/* The slots end below 2^(bits - 1). */
	while (GPA_BASE + MEMCG_SLOTS * slot_size > 1ULL << (bits - 1))
		slot_size >>= 1;
	bitmaps = MEMCG_SLOTS * 2 * (slot_size / 4096 / 8);
	TH_LOG("%u physical address bits: %u slots of %llu MiB, %llu KiB of dirty bitmaps",
	       bits, MEMCG_SLOTS, (unsigned long long)(slot_size >> 20),
	       (unsigned long long)(bitmaps >> 10));
	ASSERT_LE(4ULL << 20, bitmaps);

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_SEQPACKET, 0, self->sv));
	self->child = fork();
	ASSERT_LE(0, self->child);
	if (!self->child) {
		struct kvm_guest g;
		void *mem;
		int fd[1];

		if (cg_write(self->vmm, "cgroup.procs", "0"))
			_exit(1);
		/* The hotplug region: address space only. */
		mem = mmap(NULL, MEMCG_SLOTS * slot_size, PROT_NONE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (mem == MAP_FAILED || kvm_guest__create(&g))
			_exit(2);
		hva = (uintptr_t)mem;
		fd[0] = g.vm_fd;
		if (scm__send(self->sv[1], &hva, sizeof(hva), fd, 1))
			_exit(3);
		/* Until the parent is done (or gone). */
		read(self->sv[1], buf, 1);
		_exit(0);
	}
	ASSERT_EQ(sizeof(hva), scm__recv(self->sv[0], &hva, sizeof(hva), fds,
					 &nfds, 0));
	ASSERT_EQ(1, nfds);
	ASSERT_EQ(0, memplug_nl__open(&nl));
	r = (struct memplug_range){ SLOT_BASE, MEMCG_SLOTS, GPA_BASE,
				    MEMCG_SLOTS * slot_size, hva,
				    MEMCG_SLOTS * slot_size, 0 };
	ASSERT_EQ(0, memplug_nl__attach(&nl, fds[0], &r, &id)) {
		TH_LOG("%s", nl.extack);
	}
	for (i = 0; i < MEMCG_SLOTS; i++)
		s[i] = (struct memplug_slot){
			.id = SLOT_BASE + i,
			.flags = MEMPLUG_SLOT_F_LOG_DIRTY,
			.gpa = GPA_BASE + i * slot_size,
			.size = slot_size,
			.hva = hva + i * slot_size,
		};
	vmm0 = cg_current(self->vmm);
	dmn0 = cg_current(self->daemon);
	ASSERT_LE(0, vmm0);
	ASSERT_LE(0, dmn0);
	ASSERT_EQ(0, memplug_nl__apply(&nl, id, s, MEMCG_SLOTS, NULL)) {
		TH_LOG("%s", nl.extack);
	}
	vmm1 = cg_current(self->vmm);
	dmn1 = cg_current(self->daemon);
	TH_LOG("creating the slots: the VMM's cgroup %+lld KiB, the caller's %+lld KiB",
	       (vmm1 - vmm0) >> 10, (dmn1 - dmn0) >> 10);
	EXPECT_LE((long long)(bitmaps * 3 / 4), vmm1 - vmm0) {
		TH_LOG("KVM's slot metadata was not charged to the VMM's cgroup");
	}
	EXPECT_GT((long long)(bitmaps / 4), dmn1 - dmn0) {
		TH_LOG("KVM's slot metadata was charged to the caller's cgroup");
	}

	for (i = 0; i < MEMCG_SLOTS; i++)
		s[i].size = 0;
	ASSERT_EQ(0, memplug_nl__apply(&nl, id, s, MEMCG_SLOTS, NULL));
	vmm2 = cg_current(self->vmm);
	TH_LOG("deleting them: the VMM's cgroup %+lld KiB", (vmm2 - vmm1) >> 10);
	EXPECT_LE((long long)(bitmaps * 3 / 4), vmm1 - vmm2);
	genl_conn__close(&nl);
	close(fds[0]);
}

TEST_HARNESS_MAIN
