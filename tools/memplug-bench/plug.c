// SPDX-License-Identifier: GPL-2.0
/*
 * The rounds every target runs: resize (plug or unplug) with its phase
 * breakdown, the project's sequence, and GET latency during an unplug.
 *
 * All times are CLOCK_MONOTONIC, the clock of memplug.ko's event
 * timestamps (ktime_get_ns) and of memplug-vmm's own, so the phases of
 * one round come from wherever they are best seen and still add up.
 *
 * memplug's own share of a plug ("host"): the time from the request to
 * the VMM raising the new requested size (netlink relay, memplugd's plan,
 * the SLOTS_APPLY batch, the VMM's REQUEST) plus the time memplug-vmm
 * spent handling the guest's requests, summed from its request trace
 * (MEMPLUG_VMM_TRACE=1, one line per request with its handling time).
 * The rest of the round is the guest's: its driver noticing the config
 * change, adding and onlining memory, the VM exits of its requests.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "bench.h"

const char *const bench_phase_names[BENCH_PH_NR] = {
	[BENCH_PH_REPLY] = "reply",
	[BENCH_PH_APPLIED] = "applied",
	[BENCH_PH_RAISED] = "raised",
	[BENCH_PH_FIRST] = "first",
	[BENCH_PH_SETTLED] = "settled",
	[BENCH_PH_DETACHED] = "detached",
	[BENCH_PH_HOST] = "host",
};

void bench__sleep_until(uint64_t ns)
{
	struct timespec ts = { .tv_sec = ns / 1000000000ULL,
			       .tv_nsec = ns % 1000000000ULL };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
}

int bench__json_u64(const char *json, const char *key, uint64_t *v)
{
	char pat[64];
	const char *p;
	char *end;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = json ? strstr(json, pat) : NULL;
	if (!p)
		return -ENOENT;
	p += strlen(pat);
	while (*p == ' ')
		p++;
	*v = strtoull(p, &end, 10);
	return end == p ? -EINVAL : 0;
}

void bench_round__init(struct bench_round *r, uint64_t from, uint64_t to)
{
	int i;

	memset(r, 0, sizeof(*r));
	r->from_mib = r->end_mib = r->last_mib = r->req_mib = from;
	r->to_mib = to;
	for (i = 0; i < BENCH_PH_NR; i++)
		r->ms[i] = -1;
}

static double bench__ms(uint64_t from, uint64_t to)
{
	return to >= from ? (to - from) / 1e6 : 0;
}

bool bench_round__progress(struct bench_round *r, uint64_t mib, uint64_t ns)
{
	if (mib != r->last_mib) {
		if (r->ms[BENCH_PH_FIRST] < 0)
			r->ms[BENCH_PH_FIRST] = bench__ms(r->t0, ns);
		r->last_mib = mib;
		r->last_change_ns = ns;
	}
	r->end_mib = mib;
	if (mib != r->to_mib)
		return false;
	if (r->ms[BENCH_PH_SETTLED] < 0)
		r->ms[BENCH_PH_SETTLED] = bench__ms(r->t0, ns);
	return true;
}

/*
 * The guest may stop short (QEMU's guests kept 2 MiB in the test VM): after
 * no progress for stall_s the round ends where the guest let go, and
 * "settled" is the last change, flagged as stalled.
 */
bool bench_round__stalled(const struct bench_target *t, struct bench_round *r,
			  uint64_t now)
{
	uint64_t last = r->last_change_ns > r->t0 ? r->last_change_ns : r->t0;

	if (now < last)
		return false;	/* an event stamped after our clock read */
	if (now - last < (uint64_t)t->stall_s * 1000000000ULL &&
	    now - r->t0 < (uint64_t)t->max_s * 1000000000ULL)
		return false;
	r->stalled = true;
	if (r->last_change_ns)
		r->ms[BENCH_PH_SETTLED] = bench__ms(r->t0, r->last_change_ns);
	return true;
}

static long bench__file_size(const char *path)
{
	struct stat st;

	return path && !stat(path, &st) ? st.st_size : -1;
}

/* Sums the VMM's request trace lines written since @off. */
static void bench__vmm_trace(const char *path, long off, struct bench_round *r)
{
	char line[512], *p;
	unsigned int type, nb, resp;
	double at, took;
	FILE *f;

	if (off < 0)
		return;
	f = fopen(path, "r");
	if (!f)
		return;
	if (fseek(f, off, SEEK_SET)) {
		fclose(f);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		p = strstr(line, "virtio-mem: +");
		if (p && sscanf(p, "virtio-mem: +%lf ms req %u addr %*s nb %u -> %u (%lf ms)",
				&at, &type, &nb, &resp, &took) == 5) {
			r->vmm_requests++;
			r->vmm_busy_ms += took;
		}
	}
	fclose(f);
}

static void bench__print_round(const struct bench_target *t, const char *op,
			       int round, const struct bench_round *r)
{
	int i;

	printf("%-8s %-6s %5llu->%-5llu MiB #%-2d", t->system, op,
	       (unsigned long long)r->from_mib, (unsigned long long)r->to_mib,
	       round);
	for (i = 0; i <= BENCH_PH_DETACHED; i++) {
		if (r->ms[i] >= 0)
			printf(" %s %.1f", bench_phase_names[i], r->ms[i]);
	}
	printf(" ms");
	if (r->ms[BENCH_PH_HOST] >= 0 && r->ms[BENCH_PH_SETTLED] > 0)
		printf("; host %.2f ms (%.1f %%), %u guest requests",
		       r->ms[BENCH_PH_HOST],
		       100 * r->ms[BENCH_PH_HOST] / r->ms[BENCH_PH_SETTLED],
		       r->vmm_requests);
	if (r->stalled)
		printf("; STALLED: the guest keeps %llu MiB",
		       (unsigned long long)r->end_mib);
	if (r->failed)
		printf("; FAILED at %llu MiB", (unsigned long long)r->end_mib);
	printf("\n");
	fflush(stdout);
}

int bench__resize(struct bench_target *t, struct bench_rows *rows,
		  const char *op, uint64_t size, int round, uint64_t to)
{
	struct bench_round r;
	char note[48] = "";
	uint64_t from;
	long off;
	int i, err;

	err = t->ops->get(t, &from);
	if (err)
		return err;
	bench_round__init(&r, from, to);
	off = bench__file_size(t->vmm_log);
	err = t->ops->request(t, &r);
	if (!err)
		err = t->ops->watch(t, &r);
	if (err) {
		r.failed = true;
		fprintf(stderr, "%s: %s round %d: %s%s\n", t->system, op, round,
			strerror(-err), err == -ECONNRESET ?
			" (the VMM went away: a guest reset ends it)" : "");
	}
	bench__vmm_trace(t->vmm_log, off, &r);
	if (t->vmm_log && r.ms[BENCH_PH_RAISED] >= 0)
		r.ms[BENCH_PH_HOST] = r.ms[BENCH_PH_RAISED] + r.vmm_busy_ms +
				      r.step_wait_ms;
	bench__print_round(t, op, round, &r);

	if (r.failed)
		snprintf(note, sizeof(note), "failed at %llu MiB",
			 (unsigned long long)r.end_mib);
	else if (r.stalled)
		snprintf(note, sizeof(note), "stalled: kept %llu MiB",
			 (unsigned long long)r.end_mib);
	else if (r.from_mib != (to ? 0 : size))
		snprintf(note, sizeof(note), "from %llu MiB",
			 (unsigned long long)r.from_mib);
	for (i = 0; i < BENCH_PH_NR; i++)
		if (r.ms[i] >= 0)
			bench_rows__add(rows, t->system, op, size, round,
					bench_phase_names[i], r.ms[i], "ms",
					note);
	/* a broken-off round is no result: it says where it broke, no more */
	if (r.failed)
		bench_rows__add(rows, t->system, op, size, round, "failed",
				r.end_mib, "MiB", note);
	else if (!to)
		bench_rows__add(rows, t->system, op, size, round, "kept",
				r.end_mib, "MiB", note);
	if (r.vmm_requests) {
		bench_rows__add(rows, t->system, op, size, round, "requests",
				r.vmm_requests, "n", note);
		bench_rows__add(rows, t->system, op, size, round, "vmm_busy",
				r.vmm_busy_ms, "ms", note);
	}
	return err;
}

/*
 * The guest's virtio-mem driver comes up just after init prints "ready":
 * memplug refuses a PATCH until then (-EAGAIN), so retry, bounded.
 */
int bench__wait_ready(struct bench_target *t, int timeout_s)
{
	uint64_t deadline = mp_now_ns() + timeout_s * 1000000000ULL;
	struct bench_round r;
	uint64_t cur;
	int err;

	do {
		err = t->ops->get(t, &cur);
		if (!err) {
			bench_round__init(&r, cur, cur);
			err = t->ops->request(t, &r);
		}
		if (err != -EAGAIN)
			return err;
		bench__sleep_until(mp_now_ns() + 100000000ULL);
	} while (mp_now_ns() < deadline);
	fprintf(stderr, "%s: the guest's virtio-mem driver did not come up in %d s\n",
		t->system, timeout_s);
	return -ETIMEDOUT;
}

int bench__sequence(struct bench_target *t, struct bench_rows *rows,
		    const struct bench_seq *seq)
{
	int last = seq->first_round + seq->rounds - 1, round, i, err;

	err = bench__wait_ready(t, 60);
	for (round = seq->first_round; round <= last && !err; round++) {
		for (i = 0; i < seq->nr_sizes && !err; i++) {
			err = bench__resize(t, rows, "plug", seq->sizes[i],
					    round, seq->sizes[i]);
			err = err ?: bench__resize(t, rows, "unplug",
						   seq->sizes[i], round, 0);
		}
	}
	if (!err && seq->get_size)
		err = bench__get_during_unplug(t, rows, seq->get_size,
					       seq->get_interval_ms,
					       seq->get_stall_s);
	return err;
}

/*
 * GET latency while the guest unplugs @size MiB: one GET every
 * @interval_ms (a monitoring client's pace; Firecracker's test polls
 * every 5 ms), each timed, until the unplug ends or stalls.
 */
int bench__get_during_unplug(struct bench_target *t, struct bench_rows *rows,
			     uint64_t size, int interval_ms, int stall_s)
{
	int saved_stall = t->stall_s, n = 0, err;
	uint64_t t1, t2, next, mib;
	double *lat = NULL, *v;
	struct bench_round r;
	struct bench_stats s;

	err = t->ops->get(t, &mib);
	if (err)
		return err;
	bench_round__init(&r, mib, size);
	err = t->ops->request(t, &r);
	err = err ?: t->ops->watch(t, &r);
	if (err)
		return err;
	bench_round__init(&r, r.end_mib, 0);
	err = t->ops->request(t, &r);
	if (err)
		return err;
	t->stall_s = stall_s;
	next = mp_now_ns();
	for (;;) {
		bench__sleep_until(next);
		t1 = mp_now_ns();
		err = t->ops->get(t, &mib);
		t2 = mp_now_ns();
		if (err)
			break;
		if (!(n & 1023)) {
			v = realloc(lat, (n + 1024) * sizeof(*lat));
			if (!v) {
				err = -ENOMEM;
				break;
			}
			lat = v;
		}
		lat[n++] = (t2 - t1) / 1e6;
		bench_rows__add(rows, t->system, "get", size, n, "latency",
				lat[n - 1], "ms", "");
		if (bench_round__progress(&r, mib, t2) ||
		    bench_round__stalled(t, &r, t2))
			break;
		next += interval_ms * 1000000ULL;
		if (next < t2)
			next = t2;	/* a slow GET: no burst to catch up */
	}
	t->stall_s = saved_stall;
	bench_stats__of(lat, n, &s);
	printf("%-8s get    during unplug %llu->0 MiB: %d GETs every %d ms, "
	       "p50 %.3f p90 %.3f p99 %.3f max %.3f ms; unplug %s %.0f ms%s\n",
	       t->system, (unsigned long long)size, n, interval_ms, s.med,
	       s.p90, s.p99, s.max, r.stalled ? "stopped after" : "took",
	       r.ms[BENCH_PH_SETTLED],
	       r.stalled ? " (stalled)" : "");
	bench_rows__add(rows, t->system, "get-unplug", size, 1, "settled",
			r.ms[BENCH_PH_SETTLED], "ms",
			r.stalled ? "stalled" : "");
	fflush(stdout);
	free(lat);
	return err;
}
