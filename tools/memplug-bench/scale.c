// SPDX-License-Identifier: GPL-2.0
/*
 * Strategies side by side at every plug size: the settled time's
 * percentiles, throughput, and ratios to the floor ("single": the region
 * one memslot mapped at boot, the host idle at plug time), to memplug-vmm
 * alone ("local") and to QEMU, all from one run.  The product's targets
 * are judged here; whether each unplug reached 0 MiB too.
 */
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define SCALE_FLOOR	"single"
#define SCALE_LOCAL	"local"
#define SCALE_QEMU	"qemu"
#define SCALE_PRODUCT	"memplug"
#define SCALE_MAX_SIZES	16

static double scale_v[65536];

/* Plug sizes in the rows, ascending. */
static int scale__sizes(const struct bench_rows *rows, uint64_t *sizes)
{
	int i, j, n = 0;

	for (i = 0; i < rows->n; i++) {
		const struct bench_row *r = &rows->v[i];

		if (strcmp(r->op, "plug") || strcmp(r->phase, "settled"))
			continue;
		for (j = 0; j < n && sizes[j] != r->size_mib; j++)
			;
		if (j == n && n < SCALE_MAX_SIZES)
			sizes[n++] = r->size_mib;
	}
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && sizes[j - 1] > sizes[j]; j--) {
			uint64_t t = sizes[j];

			sizes[j] = sizes[j - 1];
			sizes[j - 1] = t;
		}
	return n;
}

/* The median plug time of @system at @size, or 0 when not measured. */
static double scale__p50(const struct bench_rows *rows, const char *system,
			 uint64_t size)
{
	struct bench_stats s;

	return bench_rows__stats(rows, system, "plug", size, "settled", &s) ? s.med : 0;
}

static void scale__ratio(double v, double ref)
{
	if (v > 0 && ref > 0)
		printf(" %7.3f", v / ref);
	else
		printf(" %7s", "-");
}

/* "PASS"/"MISS" for v <= goal * ref, "n/a" without both. */
static const char *scale__judge(double v, double ref, double goal)
{
	if (v <= 0 || ref <= 0)
		return "n/a";
	return v <= goal * ref ? "PASS" : "MISS";
}

/* Unplug rounds of @system at @size that ended with memory kept. */
static int scale__kept(const struct bench_rows *rows, const char *system,
		       uint64_t size, int *rounds)
{
	int n = bench_rows__values(rows, system, "unplug", size, "kept",
				   scale_v, (int)(sizeof(scale_v) / sizeof(scale_v[0])));
	int i, k = 0;

	for (i = 0; i < n; i++)
		k += scale_v[i] > 0;
	*rounds = n;
	return k;
}

void bench__scale(const struct bench_rows *rows, const char **sys, int nsys)
{
	uint64_t sizes[SCALE_MAX_SIZES];
	int nsz = scale__sizes(rows, sizes), i, j, k, rounds;
	double v, floor, local, qemu;
	struct bench_stats s;

	if (!nsz)
		return;
	printf("\nstrategies x sizes: plug 0 -> size, settled (ms, nearest rank over rounds); "
	       "x = ratio of medians to %s (the floor), %s, %s\n",
	       SCALE_FLOOR, SCALE_LOCAL, SCALE_QEMU);
	printf("%6s %-9s %3s %9s %9s %9s %7s %8s %7s %7s %7s\n", "MiB",
	       "strategy", "n", "p50", "p90", "p99", "GiB/s", "ms/GiB",
	       "xfloor", "xlocal", "xqemu");
	for (i = 0; i < nsz; i++) {
		floor = scale__p50(rows, SCALE_FLOOR, sizes[i]);
		local = scale__p50(rows, SCALE_LOCAL, sizes[i]);
		qemu = scale__p50(rows, SCALE_QEMU, sizes[i]);
		for (j = 0; j < nsys; j++) {
			if (!bench_rows__stats(rows, sys[j], "plug", sizes[i],
					  "settled", &s))
				continue;
			printf("%6llu %-9s %3d %9.2f %9.2f %9.2f %7.2f %8.2f",
			       (unsigned long long)sizes[i], sys[j], s.n, s.med,
			       s.p90, s.p99,
			       s.med > 0 ? sizes[i] / 1024.0 / (s.med / 1000) : 0,
			       s.med / (sizes[i] / 1024.0));
			scale__ratio(s.med, floor);
			scale__ratio(s.med, local);
			scale__ratio(s.med, qemu);
			printf("\n");
		}
	}

	printf("\n%s's plug targets (medians, this run):\n", SCALE_PRODUCT);
	for (i = 0; i < nsz; i++) {
		v = scale__p50(rows, SCALE_PRODUCT, sizes[i]);
		floor = scale__p50(rows, SCALE_FLOOR, sizes[i]);
		local = scale__p50(rows, SCALE_LOCAL, sizes[i]);
		qemu = scale__p50(rows, SCALE_QEMU, sizes[i]);
		printf("%6llu MiB: <= %s %s, <= 1.05x %s %s, <= %.1fx %s %s\n",
		       (unsigned long long)sizes[i], SCALE_LOCAL,
		       scale__judge(v, local, 1.0), SCALE_FLOOR,
		       scale__judge(v, floor, 1.05), sizes[i] <= 1024 ? 0.8 : 0.9,
		       SCALE_QEMU,
		       scale__judge(v, qemu, sizes[i] <= 1024 ? 0.8 : 0.9));
	}

	printf("\nunplug to 0 MiB, every round:\n");
	for (j = 0; j < nsys; j++) {
		printf("%-9s", sys[j]);
		for (i = 0; i < nsz; i++) {
			k = scale__kept(rows, sys[j], sizes[i], &rounds);
			if (!rounds)
				continue;
			printf("  %llu MiB: %s (%d/%d)", (unsigned long long)sizes[i],
			       k ? "KEPT" : "yes", rounds - k, rounds);
		}
		printf("\n");
	}
}

/* One gnuplot block: a header, then per size the medians (NaN: none). */
void bench__scale_data(FILE *f, const struct bench_rows *rows,
		       const char **sys, int nsys)
{
	uint64_t sizes[SCALE_MAX_SIZES];
	int nsz = scale__sizes(rows, sizes), i, j;
	double v;

	fprintf(f, "# plug 0 -> size, median settled (ms) per strategy\nMiB");
	for (j = 0; j < nsys; j++)
		fprintf(f, " %s", sys[j]);
	fprintf(f, "\n");
	for (i = 0; i < nsz; i++) {
		fprintf(f, "%llu", (unsigned long long)sizes[i]);
		for (j = 0; j < nsys; j++) {
			v = scale__p50(rows, sys[j], sizes[i]);
			if (v > 0)
				fprintf(f, " %.3f", v);
			else
				fprintf(f, " NaN");
		}
		fprintf(f, "\n");
	}
	fprintf(f, "\n\n");
}
