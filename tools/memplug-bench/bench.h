/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memplug-bench internals (see README in this directory).
 *
 * A "target" is one way of asking a VMM for a new virtio-mem size:
 *   nl.c   memplug: HOTPLUG_PATCH relayed by memplug.ko to memplugd, the
 *          progress from the "events" multicast group (kernel timestamps)
 *   ctl.c  memplug-vmm alone (local mode): its control socket
 *   qmp.c  QEMU: qom-set requested-size, qom-get size over QMP
 * plug.c runs the same rounds on any target and keeps every measurement
 * as a row (one per round per phase, the CSV's rows); report.c turns rows
 * into percentiles, the comparison with QEMU and a gnuplot script.
 */
#ifndef MEMPLUG_BENCH_H
#define MEMPLUG_BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "memplug/clock.h"

#define BENCH_MAX_ROUNDS	64
#define BENCH_MAX_SIZES		8
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

/*
 * Phases of one resize, in ms after the request left the client (so
 * they are cumulative); < 0 where a target cannot see the phase.
 */
enum bench_phase {
	BENCH_PH_REPLY,		/* the client has the request's answer */
	BENCH_PH_APPLIED,	/* memslots for the new size are in place */
	BENCH_PH_RAISED,	/* the VMM raised requested_size (config irq) */
	BENCH_PH_FIRST,		/* first guest request / plugged change */
	/* plugged == requested, or the last change if the guest stalled */
	BENCH_PH_SETTLED,
	BENCH_PH_DETACHED,	/* unplug: last slot batch removed */
	BENCH_PH_HOST,		/* memplug's own time on the critical path */
	BENCH_PH_NR
};

extern const char *const bench_phase_names[BENCH_PH_NR];

struct bench_round {
	uint64_t from_mib, to_mib;
	uint64_t end_mib;		/* plugged when it ended */
	bool stalled;			/* no progress for the stall time */
	bool failed;			/* the target broke off (reset, exit) */
	double ms[BENCH_PH_NR];
	/* memplug-vmm's request trace (MEMPLUG_VMM_TRACE) in the round */
	unsigned int vmm_requests;
	double vmm_busy_ms;
	/* progress bookkeeping for the targets */
	uint64_t t0;			/* request sent, CLOCK_MONOTONIC ns */
	uint64_t last_mib, last_change_ns;
	/*
	 * A growth told in steps (memplugd's pipelining): time the guest sat
	 * at a finished step, waiting for the next one, is memplug's own.
	 */
	uint64_t req_mib, step_done_ns;
	double step_wait_ms;
};

struct bench_target;

struct bench_target_ops {
	/* Sends requested = @r->to_mib; returns once it is answered. */
	int (*request)(struct bench_target *t, struct bench_round *r);
	/* Follows the guest until plugged == @r->to_mib, or a stall. */
	int (*watch)(struct bench_target *t, struct bench_round *r);
	/* One GET of the plugged size, the way a client would ask. */
	int (*get)(struct bench_target *t, uint64_t *plugged_mib);
	void (*close)(struct bench_target *t);
};

struct bench_target {
	const struct bench_target_ops *ops;
	const char *system;		/* label in rows and reports */
	int stall_s;			/* give up after no progress this long */
	int max_s;			/* and after this long in all */
	const char *vmm_log;		/* memplug-vmm's stderr, with trace */
	void *priv;
};

int nl_target__open(struct bench_target *t, uint32_t vm_id);
int ctl_target__open(struct bench_target *t, const char *path);
int qmp_target__open(struct bench_target *t, const char *path);

/* One measurement: a CSV row. */
struct bench_row {
	char system[24];
	char op[16];			/* plug, unplug, get, boot */
	uint64_t size_mib;		/* the size moved to / from */
	int round;
	char phase[16];
	double value;
	char unit[8];			/* ms, MiB, n */
	char note[48];
};

struct bench_rows {
	struct bench_row *v;
	int n, cap;
	FILE *csv;			/* rows are also appended here */
};

void bench_rows__add(struct bench_rows *rows, const char *system,
		     const char *op, uint64_t size_mib, int round,
		     const char *phase, double value, const char *unit,
		     const char *note);
int bench_rows__load(struct bench_rows *rows, const char *path);
void bench_rows__free(struct bench_rows *rows);
/* Values of the matching rows (@system NULL: any), in file order; returns how many. */
int bench_rows__values(const struct bench_rows *rows, const char *system,
		       const char *op, uint64_t size_mib, const char *phase,
		       double *out, int max);

struct bench_stats {
	int n;
	double med, p90, p99, min, max;
};

/* Percentiles of the matching rows; false when there are none. */
bool bench_rows__stats(const struct bench_rows *rows, const char *system,
		       const char *op, uint64_t size_mib, const char *phase,
		       struct bench_stats *s);
/* Nearest-rank percentiles; sorts @v. */
void bench_stats__of(double *v, int n, struct bench_stats *s);
double bench__pct(const double *sorted, int n, double p);

/* plug.c */
void bench__sleep_until(uint64_t ns);
void bench_round__init(struct bench_round *r, uint64_t from, uint64_t to);
/* A plugged size seen at @ns: true once plugged == requested. */
bool bench_round__progress(struct bench_round *r, uint64_t mib, uint64_t ns);
/* True when the round has made no progress for too long. */
bool bench_round__stalled(const struct bench_target *t, struct bench_round *r,
			  uint64_t now);
/* The integer after "key": in a flat JSON object. */
int bench__json_u64(const char *json, const char *key, uint64_t *v);

struct bench_seq {
	int rounds;
	int first_round;		/* the rows' number of the first */
	uint64_t sizes[BENCH_MAX_SIZES];	/* plug 0 -> size -> 0, each round */
	int nr_sizes;
	uint64_t get_size;		/* GET-during-unplug: 0 to skip */
	int get_interval_ms;
	int get_stall_s;
};

int bench__resize(struct bench_target *t, struct bench_rows *rows,
		  const char *op, uint64_t size, int round, uint64_t to);
int bench__wait_ready(struct bench_target *t, int timeout_s);
int bench__sequence(struct bench_target *t, struct bench_rows *rows,
		    const struct bench_seq *seq);
int bench__get_during_unplug(struct bench_target *t, struct bench_rows *rows,
			     uint64_t size, int interval_ms, int stall_s);

/* report.c */
void bench__print_stats(const struct bench_rows *rows, const char *system);

/* scale.c */
void bench__scale(const struct bench_rows *rows, const char **sys, int nsys);
void bench__scale_data(FILE *f, const struct bench_rows *rows,
		       const char **sys, int nsys);
int bench__report(const struct bench_rows *rows, const char *out_dir);

/* boot.c */
int bench__boot(const char *console, int pid, int timeout_s, double *ms);

/* slots.c */
int bench__slots(int runs, int cpu);

#endif
