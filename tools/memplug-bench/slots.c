// SPDX-License-Identifier: GPL-2.0
/*
 * memplug-bench slots: N memslot creates + deletes (N = 8, 64, 256; slots
 * of 2 MiB and 128 MiB) as a loop of raw KVM_SET_USER_MEMORY_REGION
 * ioctls in the VM's own process vs one SLOTS_APPLY batch each way through
 * memplug.ko.  Per-slot microseconds (median over --runs), and the ratio
 * batch/raw.  Runs pinned to one CPU: in the nested test VM the two vCPUs
 * differ by 2-100x, so only same-CPU ratios mean much.
 *
 * Both methods get the same treatment: the same slots on the same memory
 * of a fresh VM per run, one untimed warm-up pass each, then
 * SLOTS_ROUNDS timed rounds in alternating order, wall time around the
 * syscalls (the raw loop's one ioctl per slot, the batch's message
 * building, sendmsg and reply).  "nop" sets the created slots again
 * unchanged, which KVM answers without changing anything: what each
 * method costs on its own, without KVM's memslot work.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>

#include <netlink/socket.h>

#include "memplug/memplug_nl.h"
#include "bench.h"

#define BENCH_MAX_RUNS	64
#define BENCH_SLOT_BASE	16
#define BENCH_GPA_BASE	(1ULL << 36)	/* 64 GiB: clear of everything */
#define SLOTS_ROUNDS	9		/* timed rounds per run */

struct slots_bench {
	int runs;
	int cpu;
	struct genl_conn nl;
};

/* One run of one (size, n) configuration: microseconds per slot. */
struct bench_run {
	double raw_create, raw_delete;
	double batch_create, batch_delete;
	double kernel_create, kernel_delete;	/* SLOTS_APPLY total_ns */
	double raw_nop, batch_nop, kernel_nop;	/* unchanged slots set again */
	double raw, batch;			/* create + delete */
	double raw_best, batch_best;		/* the same, best round */
};

/* The mean of the middle two for an even count (unlike bench_stats). */
static double slots__median(double *v, int n)
{
	bench_stats__of(v, n, &(struct bench_stats){ 0 });	/* sorts */
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int slots__raw_set(int vm_fd, uint32_t slot, uint64_t gpa,
			  uint64_t size, uint64_t hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot, .guest_phys_addr = gpa,
		.memory_size = size, .userspace_addr = hva,
	};

	return ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &r) ? -errno : 0;
}

/*
 * A fresh VM per run, so that both methods start from the same memslot
 * state; the raw loop and the batch alternate which goes first.
 */
static int slots__run(struct slots_bench *b, uint64_t size, unsigned int n,
		      int batch_first, struct bench_run *out)
{
	struct memplug_range range = {
		.slot_base = BENCH_SLOT_BASE, .slot_count = n,
		.gpa_base = BENCH_GPA_BASE, .gpa_size = n * size,
		.hva_size = n * size,
	};
	struct memplug_slot *s = calloc(n, sizeof(*s));
	struct memplug_times t;
	double rv[8][SLOTS_ROUNDS];
	int kvm_fd, vm_fd = -1, err = -ENOMEM, pass, round;
	uint64_t t0, t1, t2;
	uint32_t vm_id;
	unsigned int i;
	void *mem;

	mem = mmap(NULL, n * size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (!s || mem == MAP_FAILED)
		goto out_free;
	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0) {
		err = -errno;
		goto out_unmap;
	}
	vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	close(kvm_fd);
	if (vm_fd < 0) {
		err = -errno;
		goto out_unmap;
	}
	range.hva_base = (uintptr_t)mem;
	err = memplug_nl__attach(&b->nl, vm_fd, &range, &vm_id);
	if (err)
		goto out_close;
	for (i = 0; i < n; i++) {
		s[i].id = BENCH_SLOT_BASE + i;
		s[i].gpa = BENCH_GPA_BASE + i * size;
		s[i].hva = (uintptr_t)mem + i * size;
	}

	/*
	 * Warm up both paths on the very slots and memory they will time,
	 * untimed: one full create + delete pass each.  KVM's first memslot
	 * changes in a new VM allocate, the first request of a run walks cold
	 * netlink code, and in the nested test VM memory the L1 kernel has
	 * not touched before costs milliseconds when first used.
	 */
	for (pass = 0; pass < 2 && !err; pass++)
		for (i = 0; i < n && !err; i++)
			err = slots__raw_set(vm_fd, s[i].id, s[i].gpa,
					     pass ? 0 : size, s[i].hva);
	for (pass = 0; pass < 2 && !err; pass++) {
		for (i = 0; i < n; i++)
			s[i].size = pass ? 0 : size;
		err = memplug_nl__apply(&b->nl, vm_id, s, n, &t);
	}

	/*
	 * SLOTS_ROUNDS timed rounds, each method once per round, the order
	 * alternating; the run's figure is the median of its rounds (one
	 * stall of the nested test VM then costs a round, not the run).
	 */
	for (round = 0; round < SLOTS_ROUNDS && !err; round++) {
		int first = (batch_first + round) % 2;

		for (pass = 0; pass < 2 && !err; pass++) {
			if (pass == !first) {
				/* The way a VMM does it today: one ioctl per slot. */
				t0 = mp_now_ns();
				for (i = 0; i < n && !err; i++)
					err = slots__raw_set(vm_fd, s[i].id,
							     s[i].gpa, size,
							     s[i].hva);
				t1 = mp_now_ns();
				for (i = 0; i < n && !err; i++)
					err = slots__raw_set(vm_fd, s[i].id,
							     s[i].gpa, 0,
							     s[i].hva);
				t2 = mp_now_ns();
				rv[0][round] = (t1 - t0) / 1e3 / n;
				rv[1][round] = (t2 - t1) / 1e3 / n;
			} else {
				for (i = 0; i < n; i++)
					s[i].size = size;
				t0 = mp_now_ns();
				err = memplug_nl__apply(&b->nl, vm_id, s, n,
							&t);
				t1 = mp_now_ns();
				rv[4][round] = t.total / 1e3 / n;
				for (i = 0; i < n; i++)
					s[i].size = 0;
				err = err ?: memplug_nl__apply(&b->nl, vm_id, s,
							       n, &t);
				t2 = mp_now_ns();
				rv[5][round] = t.total / 1e3 / n;
				rv[2][round] = (t1 - t0) / 1e3 / n;
				rv[3][round] = (t2 - t1) / 1e3 / n;
			}
		}
	}
	if (!err) {
		/* Sums per round first: slots__median() sorts in place. */
		for (round = 0; round < SLOTS_ROUNDS; round++) {
			rv[6][round] = rv[0][round] + rv[1][round];
			rv[7][round] = rv[2][round] + rv[3][round];
		}
		out->raw_create = slots__median(rv[0], SLOTS_ROUNDS);
		out->raw_delete = slots__median(rv[1], SLOTS_ROUNDS);
		out->batch_create = slots__median(rv[2], SLOTS_ROUNDS);
		out->batch_delete = slots__median(rv[3], SLOTS_ROUNDS);
		out->kernel_create = slots__median(rv[4], SLOTS_ROUNDS);
		out->kernel_delete = slots__median(rv[5], SLOTS_ROUNDS);
		out->raw = slots__median(rv[6], SLOTS_ROUNDS);
		out->batch = slots__median(rv[7], SLOTS_ROUNDS);
		out->raw_best = rv[6][0];	/* sorted */
		out->batch_best = rv[7][0];
	}

	/*
	 * What each path costs beyond KVM's work: the same slots set again
	 * unchanged, which KVM answers at once (no memslot change, no SRCU
	 * grace period), one ioctl per slot vs one SLOTS_APPLY.
	 */
	for (i = 0; i < n; i++)
		s[i].size = size;
	err = err ?: memplug_nl__apply(&b->nl, vm_id, s, n, &t);
	for (pass = 0; pass < 2 && !err; pass++) {
		t0 = mp_now_ns();
		if (pass == !batch_first) {
			for (i = 0; i < n && !err; i++)
				err = slots__raw_set(vm_fd, s[i].id, s[i].gpa,
						     size, s[i].hva);
			out->raw_nop = (mp_now_ns() - t0) / 1e3 / n;
		} else {
			err = memplug_nl__apply(&b->nl, vm_id, s, n, &t);
			out->batch_nop = (mp_now_ns() - t0) / 1e3 / n;
			out->kernel_nop = t.total / 1e3 / n;
		}
	}
	for (i = 0; i < n; i++)
		s[i].size = 0;
	err = err ?: memplug_nl__apply(&b->nl, vm_id, s, n, &t);
	if (err)
		genl_conn__perror(&b->nl, err);
	memplug_nl__detach(&b->nl, vm_id);
out_close:
	close(vm_fd);
out_unmap:
	if (mem != MAP_FAILED)
		munmap(mem, n * size);
out_free:
	free(s);
	return err;
}

static int slots__all(struct slots_bench *b)
{
	static const uint64_t sizes[] = { 2ULL << 20, 128ULL << 20 };
	static const unsigned int ns[] = { 8, 64, 256 };
	double v[13][BENCH_MAX_RUNS], med[13];
	struct bench_run r = { 0 };
	unsigned int si, ni;
	int run, k, err;

	printf("# memplug-bench slots: %d runs, CPU %d, median us per slot\n",
	       b->runs, b->cpu);
	printf("# create/delete = KVM_SET_USER_MEMORY_REGION loop (raw) or one "
	       "SLOTS_APPLY (batch, wall time incl. netlink; kernel = reply's "
	       "total_ns); raw, batch = create + delete\n");
	printf("# nop = the same slots set again unchanged (KVM does nothing): "
	       "each path's own cost\n");
	printf("# best = each run's best round of create + delete (timing noise "
	       "only ever adds)\n");
	printf("%-9s %4s %9s %9s %9s %9s %9s %9s %8s %8s %6s %7s %7s %7s "
	       "%8s %8s %6s\n",
	       "slot", "N", "raw-cre", "raw-del", "batch-cre", "batch-del",
	       "kern-cre", "kern-del", "raw", "batch", "ratio", "raw-nop",
	       "bat-nop", "ker-nop", "raw-best", "bat-best", "ratio");
	for (si = 0; si < 2; si++) {
		for (ni = 0; ni < 3; ni++) {
			for (run = 0; run < b->runs; run++) {
				err = slots__run(b, sizes[si], ns[ni], run % 2,
						 &r);
				if (err)
					return err;
				v[0][run] = r.raw_create;
				v[1][run] = r.raw_delete;
				v[2][run] = r.batch_create;
				v[3][run] = r.batch_delete;
				v[4][run] = r.kernel_create;
				v[5][run] = r.kernel_delete;
				v[6][run] = r.raw;
				v[7][run] = r.batch;
				v[8][run] = r.raw_nop;
				v[9][run] = r.batch_nop;
				v[10][run] = r.kernel_nop;
				v[11][run] = r.raw_best;
				v[12][run] = r.batch_best;
			}
			for (k = 0; k < 13; k++)
				med[k] = slots__median(v[k], b->runs);
			printf("%4llu MiB  %4u %9.1f %9.1f %9.1f %9.1f %9.1f "
			       "%9.1f %8.1f %8.1f %6.3f %7.2f %7.2f %7.2f "
			       "%8.1f %8.1f %6.3f\n",
			       (unsigned long long)(sizes[si] >> 20), ns[ni],
			       med[0], med[1], med[2], med[3], med[4], med[5],
			       med[6], med[7], med[7] / med[6], med[8], med[9],
			       med[10], med[11], med[12], med[12] / med[11]);
			fflush(stdout);
		}
	}
	printf("# ratio = batch / raw (medians over the runs of create + "
	       "delete per slot); target <= 1.1\n");
	return 0;
}

int bench__slots(int runs, int cpu)
{
	struct slots_bench b = { .runs = runs, .cpu = cpu };
	cpu_set_t set;
	int err;

	if (runs < 1 || runs > BENCH_MAX_RUNS) {
		fprintf(stderr, "memplug-bench: --runs takes 1..%d\n",
			BENCH_MAX_RUNS);
		return -EINVAL;
	}
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		perror("memplug-bench: sched_setaffinity");
		return -errno;
	}
	err = memplug_nl__open(&b.nl);
	if (err) {
		fprintf(stderr, "Error: the memplug family is not registered; "
			"is memplug.ko loaded?\n");
		return err;
	}
	/*
	 * Replies here are small: one recvmsg() each instead of libnl's
	 * default MSG_PEEK probe + read, as a tuned client (memplugd) would.
	 */
	nl_socket_set_msg_buf_size(b.nl.sk, 65536);
	nl_socket_disable_msg_peek(b.nl.sk);
	err = slots__all(&b);
	genl_conn__close(&b.nl);
	return err;
}
