// SPDX-License-Identifier: GPL-2.0
/*
 * memplug_trace_test: memplug.ko's tracepoints (module/memplug_trace.h),
 * read from tracefs in the test VM while real batches are applied to a
 * real KVM VM.
 *
 * Each test enables events/memplug in a trace instance of its own (so
 * that nothing else tracing in the VM is disturbed), applies a batch and
 * checks every event the batch should have produced, field by field:
 * batch_start, one slot_applied per KVM call (and per undo of a failed
 * batch), batch_end with the error, the applied count and whether the
 * batch was rolled back.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "../lib/kvm_guest.h"
#include "memplug/memplug_nl.h"

#define SLOT_SIZE	(2ULL << 20)
#define REGION_SLOTS	8
#define REGION_SIZE	(REGION_SLOTS * SLOT_SIZE)
#define SLOT_BASE	200
#define GPA_BASE	(4ULL << 30)

#define TRACEFS		"/sys/kernel/tracing"
#define INSTANCE	TRACEFS "/instances/memplug_trace_test"
#define MAX_EVENTS	64

/* One event of the instance's trace, its fields as the format prints them. */
struct ev {
	char name[16];		/* batch_start, slot_applied, batch_end */
	unsigned int vm, nr, idx, slot, applied, undo_failed;
	unsigned long long gpa, size, ns, total_ns;
	char op[8];
	int undo, result, err, rolled_back;
};

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -EIO;
}

static int set_param(const char *name, int n)
{
	char path[128], v[16];

	snprintf(path, sizeof(path), "/sys/module/memplug/parameters/%s", name);
	snprintf(v, sizeof(v), "%d\n", n);
	return write_file(path, v);
}

static int tracefs_mount(void)
{
	if (!access(TRACEFS "/instances", F_OK))
		return 0;
	if (mount("tracefs", TRACEFS, "tracefs", 0, NULL))
		return -errno;
	return access(TRACEFS "/instances", F_OK) ? -errno : 0;
}

/* Parses the instance's trace into @ev; returns the number of events. */
static int read_events(struct ev *ev, int max)
{
	FILE *f = fopen(INSTANCE "/trace", "r");
	char line[512];
	int n = 0;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f) && n < max) {
		struct ev *e = &ev[n];
		char *p;

		if (line[0] == '#')
			continue;
		memset(e, 0, sizeof(*e));
		e->result = e->err = -9999;
		if ((p = strstr(line, " batch_start: "))) {
			strcpy(e->name, "batch_start");
			if (sscanf(p, " batch_start: vm=%u nr=%u", &e->vm,
				   &e->nr) != 2)
				continue;
		} else if ((p = strstr(line, " slot_applied: "))) {
			strcpy(e->name, "slot_applied");
			if (sscanf(p, " slot_applied: vm=%u idx=%u slot=%u "
				   "gpa=%llx size=%llx op=%7s undo=%d "
				   "result=%d ns=%llu", &e->vm, &e->idx,
				   &e->slot, &e->gpa, &e->size, e->op,
				   &e->undo, &e->result, &e->ns) != 9)
				continue;
		} else if ((p = strstr(line, " batch_end: "))) {
			strcpy(e->name, "batch_end");
			if (sscanf(p, " batch_end: vm=%u nr=%u err=%d "
				   "applied=%u rolled_back=%d undo_failed=%u "
				   "parse_ns=%*u lock_ns=%*u check_ns=%*u "
				   "apply_ns=%*u total_ns=%llu", &e->vm,
				   &e->nr, &e->err, &e->applied,
				   &e->rolled_back, &e->undo_failed,
				   &e->total_ns) != 7)
				continue;
		} else {
			continue;
		}
		n++;
	}
	fclose(f);
	return n;
}

FIXTURE(trace) {
	struct kvm_guest g;
	void *mem;
	struct genl_conn nl;
	uint32_t id;
	struct ev ev[MAX_EVENTS];
};

FIXTURE_SETUP(trace)
{
	struct memplug_range r = {
		.slot_base = SLOT_BASE, .slot_count = REGION_SLOTS,
		.gpa_base = GPA_BASE, .gpa_size = REGION_SIZE,
		.hva_size = REGION_SIZE,
	};

	ASSERT_EQ(0, tracefs_mount());
	rmdir(INSTANCE);
	ASSERT_EQ(0, mkdir(INSTANCE, 0700)) {
		TH_LOG("mkdir %s: %s", INSTANCE, strerror(errno));
	}
	/* The module's events are there, with the fields the tests read. */
	ASSERT_EQ(0, access(INSTANCE "/events/memplug/batch_start/enable", W_OK));
	ASSERT_EQ(0, access(INSTANCE "/events/memplug/slot_applied/enable", W_OK));
	ASSERT_EQ(0, access(INSTANCE "/events/memplug/batch_end/enable", W_OK));
	ASSERT_EQ(0, write_file(INSTANCE "/events/memplug/enable", "1"));

	self->mem = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->mem);
	ASSERT_EQ(0, kvm_guest__create(&self->g));
	ASSERT_EQ(0, memplug_nl__open(&self->nl));
	r.hva_base = (uintptr_t)self->mem;
	ASSERT_EQ(0, memplug_nl__attach(&self->nl, self->g.vm_fd, &r,
					&self->id));
	/* Only what the test's own batches trace. */
	ASSERT_EQ(0, write_file(INSTANCE "/trace", ""));
}

FIXTURE_TEARDOWN(trace)
{
	set_param("fault_entry", -1);
	write_file(INSTANCE "/events/memplug/enable", "0");
	rmdir(INSTANCE);
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

/* Event @e is slot_applied of entry @idx, slot @s, @op, @undo, @result. */
#define EXPECT_SLOT_EV(e, want_idx, s, want_op, want_undo, want_result) do { \
	EXPECT_STREQ("slot_applied", (e)->name);			\
	EXPECT_EQ(self->id, (e)->vm);					\
	EXPECT_EQ(want_idx, (e)->idx);					\
	EXPECT_EQ((s)->id, (e)->slot);					\
	EXPECT_EQ((s)->gpa, (e)->gpa);					\
	EXPECT_EQ(SLOT_SIZE, (e)->size);				\
	EXPECT_STREQ(want_op, (e)->op);					\
	EXPECT_EQ(want_undo, (e)->undo);				\
	EXPECT_EQ(want_result, (e)->result);				\
} while (0)

/*
 * Four slots created in one batch, then deleted in one: batch_start, four
 * slot_applied in order with KVM's result and a duration, batch_end; the
 * guest really sees the memory in between.
 */
TEST_F(trace, batch_events_and_fields)
{
	struct memplug_slot s[4];
	struct memplug_times t;
	uint64_t v;
	int i, n;

	for (i = 0; i < 4; i++)
		s[i] = slot(self->mem, i, SLOT_SIZE);
	ASSERT_EQ(0, memplug_nl__apply(&self->nl, self->id, s, 4, &t)) {
		TH_LOG("apply: %s", self->nl.extack);
	}
	ASSERT_EQ(0, kvm_guest__write(&self->g, s[3].gpa + 8, 0x7ace));
	EXPECT_EQ(0x7ace, *(uint64_t *)(s[3].hva + 8));

	n = read_events(self->ev, MAX_EVENTS);
	ASSERT_EQ(6, n);
	EXPECT_STREQ("batch_start", self->ev[0].name);
	EXPECT_EQ(self->id, self->ev[0].vm);
	EXPECT_EQ(4, self->ev[0].nr);
	for (i = 0; i < 4; i++) {
		EXPECT_SLOT_EV(&self->ev[1 + i], i, &s[i], "create", 0, 0);
		EXPECT_LT(0, self->ev[1 + i].ns);
	}
	EXPECT_STREQ("batch_end", self->ev[5].name);
	EXPECT_EQ(self->id, self->ev[5].vm);
	EXPECT_EQ(4, self->ev[5].nr);
	EXPECT_EQ(0, self->ev[5].err);
	EXPECT_EQ(4, self->ev[5].applied);
	EXPECT_EQ(0, self->ev[5].rolled_back);
	EXPECT_EQ(0, self->ev[5].undo_failed);
	/* The trace's total covers at least what the reply reports. */
	EXPECT_LE(t.total, self->ev[5].total_ns);

	ASSERT_EQ(0, write_file(INSTANCE "/trace", ""));
	for (i = 0; i < 4; i++)
		s[i].size = 0;
	ASSERT_EQ(0, memplug_nl__apply(&self->nl, self->id, s, 4, NULL));
	EXPECT_EQ(KVM_GUEST_NO_MEMORY,
		  kvm_guest__read(&self->g, GPA_BASE + 3 * SLOT_SIZE, &v));
	n = read_events(self->ev, MAX_EVENTS);
	ASSERT_EQ(6, n);
	for (i = 0; i < 4; i++) {
		s[i].size = SLOT_SIZE;	/* a delete reports the slot's range */
		EXPECT_SLOT_EV(&self->ev[1 + i], i, &s[i], "delete", 0, 0);
	}
	EXPECT_EQ(0, self->ev[5].err);
	EXPECT_EQ(4, self->ev[5].applied);
}

/*
 * KVM fails entry 2 (injected -ENOMEM): entries 0 and 1 are applied, 2
 * fails, 1 and 0 are undone in reverse order, and batch_end says rolled
 * back with the error.
 */
TEST_F(trace, failed_batch_shows_rollback)
{
	struct memplug_slot pre = slot(self->mem, 0, SLOT_SIZE), s[3];
	int err, n;

	ASSERT_EQ(0, memplug_nl__apply(&self->nl, self->id, &pre, 1, NULL));
	ASSERT_EQ(0, write_file(INSTANCE "/trace", ""));

	s[0] = slot(self->mem, 0, 0);		/* delete slot 0 */
	s[1] = slot(self->mem, 1, SLOT_SIZE);	/* create slot 1 */
	s[2] = slot(self->mem, 2, SLOT_SIZE);	/* create slot 2: fails */
	ASSERT_EQ(0, set_param("fault_entry", 2));
	err = memplug_nl__apply(&self->nl, self->id, s, 3, NULL);
	set_param("fault_entry", -1);
	ASSERT_EQ(-ENOMEM, err);

	n = read_events(self->ev, MAX_EVENTS);
	ASSERT_EQ(7, n);
	EXPECT_STREQ("batch_start", self->ev[0].name);
	EXPECT_EQ(3, self->ev[0].nr);
	s[0].size = SLOT_SIZE;
	EXPECT_SLOT_EV(&self->ev[1], 0, &s[0], "delete", 0, 0);
	EXPECT_SLOT_EV(&self->ev[2], 1, &s[1], "create", 0, 0);
	EXPECT_SLOT_EV(&self->ev[3], 2, &s[2], "create", 0, -ENOMEM);
	EXPECT_SLOT_EV(&self->ev[4], 1, &s[1], "create", 1, 0);
	EXPECT_SLOT_EV(&self->ev[5], 0, &s[0], "delete", 1, 0);
	EXPECT_STREQ("batch_end", self->ev[6].name);
	EXPECT_EQ(self->id, self->ev[6].vm);
	EXPECT_EQ(3, self->ev[6].nr);
	EXPECT_EQ(-ENOMEM, self->ev[6].err);
	EXPECT_EQ(2, self->ev[6].applied);
	EXPECT_EQ(1, self->ev[6].rolled_back);
	EXPECT_EQ(0, self->ev[6].undo_failed);
}

/* A batch refused by the checks: no KVM call, batch_end with the error. */
TEST_F(trace, refused_batch_has_no_slot_events)
{
	struct memplug_slot s[2] = {
		slot(self->mem, 0, SLOT_SIZE),
		slot(self->mem, REGION_SLOTS, SLOT_SIZE),	/* out of range */
	};
	int n;

	ASSERT_EQ(-ERANGE, memplug_nl__apply(&self->nl, self->id, s, 2, NULL));
	n = read_events(self->ev, MAX_EVENTS);
	ASSERT_EQ(2, n);
	EXPECT_STREQ("batch_start", self->ev[0].name);
	EXPECT_EQ(2, self->ev[0].nr);
	EXPECT_STREQ("batch_end", self->ev[1].name);
	EXPECT_EQ(-ERANGE, self->ev[1].err);
	EXPECT_EQ(0, self->ev[1].applied);
	EXPECT_EQ(0, self->ev[1].rolled_back);
}

TEST_HARNESS_MAIN
