// SPDX-License-Identifier: GPL-2.0
/*
 * memplug-bench slots: N memslot creates + deletes (N = 8, 64, 256; slots
 * of 2 MiB and 128 MiB) as a loop of raw KVM_SET_USER_MEMORY_REGION
 * ioctls in the VM's own process vs one SLOTS_APPLY batch each way through
 * memplug.ko.  Per-slot microseconds (median over --runs), and the ratio
 * batch/raw.  Runs pinned to one CPU: in the nested test VM the two vCPUs
 * differ by 2-3x, so only same-CPU ratios mean much.
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
	int kvm_fd, vm_fd = -1, err = -ENOMEM, pass;
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
	 * Warm up both paths, untimed: KVM's first memslot change in a new VM
	 * allocates, and the first request of a run walks cold netlink code.
	 */
	err = slots__raw_set(vm_fd, BENCH_SLOT_BASE - 1, BENCH_GPA_BASE - size,
			     size, (uintptr_t)mem);
	err = err ?: slots__raw_set(vm_fd, BENCH_SLOT_BASE - 1,
				    BENCH_GPA_BASE - size, 0, (uintptr_t)mem);
	if (!err) {
		struct memplug_vm_info vi;

		err = memplug_nl__vm_get(&b->nl, vm_id, &vi);
		memplug_nl__vm_info_free(&vi);
	}

	for (pass = 0; pass < 2 && !err; pass++) {
		if (pass == !batch_first) {
			/* The way a VMM does it today: one ioctl per slot. */
			t0 = bench__now_ns();
			for (i = 0; i < n && !err; i++)
				err = slots__raw_set(vm_fd, s[i].id, s[i].gpa,
						     size, s[i].hva);
			t1 = bench__now_ns();
			for (i = 0; i < n && !err; i++)
				err = slots__raw_set(vm_fd, s[i].id, s[i].gpa,
						     0, s[i].hva);
			t2 = bench__now_ns();
			out->raw_create = (t1 - t0) / 1e3 / n;
			out->raw_delete = (t2 - t1) / 1e3 / n;
		} else {
			for (i = 0; i < n; i++)
				s[i].size = size;
			t0 = bench__now_ns();
			err = err ?: memplug_nl__apply(&b->nl, vm_id, s, n, &t);
			t1 = bench__now_ns();
			out->kernel_create = t.total / 1e3 / n;
			for (i = 0; i < n; i++)
				s[i].size = 0;
			err = err ?: memplug_nl__apply(&b->nl, vm_id, s, n, &t);
			t2 = bench__now_ns();
			out->kernel_delete = t.total / 1e3 / n;
			out->batch_create = (t1 - t0) / 1e3 / n;
			out->batch_delete = (t2 - t1) / 1e3 / n;
		}
		if (err)
			break;
	}
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
	double v[6][BENCH_MAX_RUNS], med[6];
	struct bench_run r = { 0 };
	unsigned int si, ni;
	int run, k, err;

	printf("# memplug-bench slots: %d runs, CPU %d, median us per slot\n",
	       b->runs, b->cpu);
	printf("# create/delete = KVM_SET_USER_MEMORY_REGION loop (raw) or one "
	       "SLOTS_APPLY (batch, wall time incl. netlink; kernel = reply's "
	       "total_ns)\n");
	printf("%-9s %4s %10s %10s %10s %10s %10s %10s %7s\n", "slot", "N",
	       "raw-cre", "raw-del", "batch-cre", "batch-del", "kern-cre",
	       "kern-del", "ratio");
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
			}
			for (k = 0; k < 6; k++)
				med[k] = slots__median(v[k], b->runs);
			printf("%4llu MiB  %4u %10.1f %10.1f %10.1f %10.1f "
			       "%10.1f %10.1f %7.3f\n",
			       (unsigned long long)(sizes[si] >> 20), ns[ni],
			       med[0], med[1], med[2], med[3], med[4], med[5],
			       (med[2] + med[3]) / (med[0] + med[1]));
			fflush(stdout);
		}
	}
	printf("# ratio = (batch create + delete) / (raw create + delete); "
	       "target <= 1.1\n");
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
