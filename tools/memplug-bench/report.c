// SPDX-License-Identifier: GPL-2.0
/*
 * From rows to what a reader wants: percentiles per phase, the project's
 * targets as ratios against QEMU measured in the same run (absolute times
 * in the nested test VM are noisy, ratios within one run are not), where
 * the time goes in the median round, and a gnuplot script comparing the
 * systems.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define REPORT_MAX_SYSTEMS	12
#define REPORT_MAX_VALUES	65536
#define REPORT_REF		"qemu"		/* the anchor */
#define REPORT_PRODUCT		"memplug"	/* what the targets judge */

static double report_v[REPORT_MAX_VALUES];

/* Systems in order of first appearance. */
static int report__systems(const struct bench_rows *rows, const char **sys)
{
	int i, j, n = 0;

	for (i = 0; i < rows->n; i++) {
		for (j = 0; j < n && strcmp(sys[j], rows->v[i].system); j++)
			;
		if (j == n && n < REPORT_MAX_SYSTEMS)
			sys[n++] = rows->v[i].system;
	}
	return n;
}

void bench__print_stats(const struct bench_rows *rows, const char *system)
{
	const struct bench_row *r, *k;
	struct bench_stats s;
	int i, j;

	printf("%-10s %5s %-9s %-9s %4s %9s %9s %9s %9s %9s %s\n", "op", "MiB",
	       "phase", "system", "n", "median", "p90", "p99", "min", "max",
	       "unit");
	/* one line per (op, size, phase, system), first appearance first */
	for (i = 0; i < rows->n; i++) {
		r = &rows->v[i];
		if (system && strcmp(r->system, system))
			continue;
		for (j = 0; j < i; j++) {
			k = &rows->v[j];
			if (!strcmp(k->system, r->system) && !strcmp(k->op, r->op) &&
			    k->size_mib == r->size_mib &&
			    !strcmp(k->phase, r->phase))
				break;
		}
		if (j < i)
			continue;
		bench_rows__stats(rows, r->system, r->op, r->size_mib, r->phase, &s);
		printf("%-10s %5llu %-9s %-9s %4d %9.2f %9.2f %9.2f %9.2f %9.2f %s\n",
		       r->op, (unsigned long long)r->size_mib, r->phase,
		       r->system, s.n, s.med, s.p90, s.p99, s.min, s.max,
		       r->unit);
	}
}

/* The value of @phase in one round, or -1. */
static double report__round(const struct bench_rows *rows, const char *system,
			    const char *op, uint64_t size, int round,
			    const char *phase)
{
	int i;

	for (i = 0; i < rows->n; i++) {
		const struct bench_row *r = &rows->v[i];

		if (r->round == round && r->size_mib == size &&
		    !strcmp(r->system, system) && !strcmp(r->op, op) &&
		    !strcmp(r->phase, phase))
			return r->value;
	}
	return -1;
}

/* The round whose settled time is the median (nearest rank), or 0. */
static int report__median_round(const struct bench_rows *rows,
				const char *system, const char *op,
				uint64_t size)
{
	struct bench_stats s;
	int i;

	if (!bench_rows__stats(rows, system, op, size, "settled", &s))
		return 0;
	for (i = 0; i < rows->n; i++) {
		const struct bench_row *r = &rows->v[i];

		if (r->size_mib == size && r->value == s.med &&
		    !strcmp(r->system, system) && !strcmp(r->op, op) &&
		    !strcmp(r->phase, "settled"))
			return r->round;
	}
	return 0;
}

/*
 * The median round cut into consecutive segments: request -> slots
 * applied -> requested raised -> first guest change -> settled.  A phase
 * a system cannot see contributes nothing.
 */
static void report__segments(const struct bench_rows *rows,
			     const char *system, const char *op, uint64_t size,
			     double seg[4])
{
	static const char *const ph[] = { "applied", "raised", "first",
					  "settled" };
	int round = report__median_round(rows, system, op, size), i;
	double prev = 0, v;

	for (i = 0; i < 4; i++) {
		v = round ? report__round(rows, system, op, size, round, ph[i]) : -1;
		seg[i] = v >= prev ? v - prev : 0;
		if (v >= prev)
			prev = v;
	}
}

/* memplug's share of each plug round (of @size, 0: any), %: host / settled. */
static int report__shares(const struct bench_rows *rows, const char *system,
			  uint64_t size, double *out, int max)
{
	double settled;
	int i, n = 0;

	for (i = 0; i < rows->n && n < max; i++) {
		const struct bench_row *r = &rows->v[i];

		if (strcmp(r->system, system) || strcmp(r->op, "plug") ||
		    strcmp(r->phase, "host") || (size && r->size_mib != size))
			continue;
		settled = report__round(rows, system, "plug", r->size_mib,
					r->round, "settled");
		if (settled > 0)
			out[n++] = 100 * r->value / settled;
	}
	return n;
}

enum report_kind { REPORT_RATIO, REPORT_BELOW, REPORT_SHARE };

struct report_target {
	const char *what;
	const char *op;
	uint64_t size;
	const char *phase;
	bool p99;		/* judge the p99, not the median */
	enum report_kind kind;
	double goal;
};

static const struct report_target report_targets[] = {
	{ "plug 0->1 GiB, median", "plug", 1024, "settled", false, REPORT_RATIO, 0.8 },
	{ "plug 0->4 GiB, median", "plug", 4096, "settled", false, REPORT_RATIO, 0.9 },
	{ "unplug 4 GiB->0, median", "unplug", 4096, "settled", false, REPORT_RATIO, 0.5 },
	{ "own share, all plugs, med.", "plug", 0, "host", false, REPORT_SHARE, 5 },
	{ "GET p99 during unplug", "get", 0, "latency", true, REPORT_BELOW, 5 },
	{ "boot to init, median", "boot", 0, "init", false, REPORT_RATIO, 0.5 },
};

/* The value a target judges for one system; false when not measured. */
static bool report__judged(const struct bench_rows *rows,
			   const struct report_target *t, const char *system,
			   double *v)
{
	struct bench_stats s;
	int n;

	if (t->kind == REPORT_SHARE) {
		n = report__shares(rows, system, 0, report_v,
				   REPORT_MAX_VALUES);
		bench_stats__of(report_v, n, &s);
	} else if (!bench_rows__stats(rows, system, t->op, t->size, t->phase, &s)) {
		n = 0;
	} else {
		n = s.n;
	}
	*v = t->p99 ? s.p99 : s.med;
	return n > 0;
}

/* "kept 2 MiB in 3/3 rounds" for unplugs a guest did not finish. */
static void report__kept(const struct bench_rows *rows, const char *system,
			 uint64_t size, char *buf, size_t len)
{
	int n = bench_rows__values(rows, system, "unplug", size, "kept",
				   report_v, REPORT_MAX_VALUES), i, k = 0;
	double most = 0;

	for (i = 0; i < n; i++) {
		if (report_v[i] > 0)
			k++;
		if (report_v[i] > most)
			most = report_v[i];
	}
	buf[0] = 0;
	if (k)
		snprintf(buf, len, "%s kept up to %.0f MiB in %d/%d rounds",
			 system, most, k, n);
}

static void report__targets(const struct bench_rows *rows, const char **sys,
			    int nsys)
{
	const struct report_target *t;
	double v, ref, mine;
	bool have_ref, have_mine;
	char kept[96];
	size_t i;
	int j;

	printf("\n%-26s", "target");
	for (j = 0; j < nsys; j++)
		printf(" %10s", sys[j]);
	for (j = 0; j < nsys; j++)
		if (strcmp(sys[j], REPORT_REF))
			printf(" %8.8s/q", sys[j]);
	printf("  %-7s %s\n", "goal", "result");
	for (i = 0; i < ARRAY_SIZE(report_targets); i++) {
		t = &report_targets[i];
		printf("%-26s", t->what);
		for (j = 0; j < nsys; j++) {
			if (report__judged(rows, t, sys[j], &v))
				printf(" %10.2f", v);
			else
				printf(" %10s", "-");
		}
		have_ref = report__judged(rows, t, REPORT_REF, &ref);
		for (j = 0; j < nsys; j++) {
			if (!strcmp(sys[j], REPORT_REF))
				continue;
			if (t->kind == REPORT_RATIO && have_ref && ref > 0 &&
			    report__judged(rows, t, sys[j], &v))
				printf(" %9.2fx", v / ref);
			else
				printf(" %10s", "");
		}
		have_mine = report__judged(rows, t, REPORT_PRODUCT, &mine);
		if (t->kind == REPORT_RATIO)
			printf("  <=%.1fx  ", t->goal);
		else if (t->kind == REPORT_SHARE)
			printf("  <=%.0f %%   ", t->goal);
		else
			printf("  <%.0f ms   ", t->goal);
		if (!have_mine || (t->kind == REPORT_RATIO && (!have_ref || ref <= 0)))
			printf("n/a\n");
		else if (t->kind == REPORT_RATIO)
			printf("%s\n", mine <= t->goal * ref ? "PASS" : "MISS");
		else if (t->kind == REPORT_SHARE)
			printf("%s\n", mine <= t->goal ? "PASS" : "MISS");
		else
			printf("%s\n", mine < t->goal ? "PASS" : "MISS");
		if (t->kind == REPORT_RATIO && !strcmp(t->op, "unplug"))
			for (j = 0; j < nsys; j++) {
				report__kept(rows, sys[j], t->size, kept, sizeof(kept));
				if (kept[0])
					printf("%-26s (%s: time to its last change)\n",
					       "", kept);
			}
	}
	for (j = 0; j < nsys; j++) {
		int n = 0, k;

		for (k = 0; k < rows->n; k++)
			n += !strcmp(rows->v[k].system, sys[j]) &&
			     !strcmp(rows->v[k].phase, "failed");
		if (n)
			printf("(%s: %d round(s) broke off - the VMM went away, e.g. a guest reset - and count nowhere; later steps did not run)\n",
			       sys[j], n);
	}
	printf("(ms; share in %%; x = ratio to %s in this run; the targets judge %s)\n",
	       REPORT_REF, REPORT_PRODUCT);
}

static const struct {
	const char *op;
	uint64_t size;
	const char *title;
} report_ops[] = {
	{ "plug", 1024, "plug 0 -> 1 GiB" },
	{ "plug", 4096, "plug 0 -> 4 GiB" },
	{ "unplug", 4096, "unplug 4 GiB -> 0" },
};

#define REPORT_NR_OPS	ARRAY_SIZE(report_ops)

static void report__breakdown(const struct bench_rows *rows, const char **sys,
			      int nsys)
{
	double seg[4], host;
	size_t i;
	int j, round;

	printf("\nwhere the time goes (median round, ms): request ->applied "
	       "(memslots) ->raised (VMM told the guest) ->first (guest's "
	       "first request) ->settled; a phase seen after the next one "
	       "adds to the later segment\n");
	for (i = 0; i < REPORT_NR_OPS; i++) {
		for (j = 0; j < nsys; j++) {
			if (!report__median_round(rows, sys[j], report_ops[i].op,
						  report_ops[i].size))
				continue;
			report__segments(rows, sys[j], report_ops[i].op,
					 report_ops[i].size, seg);
			printf("%-18s %-9s %9.2f %9.2f %9.2f %9.2f  = %9.2f",
			       report_ops[i].title, sys[j], seg[0], seg[1],
			       seg[2], seg[3], seg[0] + seg[1] + seg[2] + seg[3]);
			round = report__median_round(rows, sys[j],
						     report_ops[i].op,
						     report_ops[i].size);
			host = report__round(rows, sys[j], report_ops[i].op,
					     report_ops[i].size, round, "host");
			if (host >= 0)
				printf("; host %.2f ms (%.1f %%), guest requests %.0f, VMM busy %.2f ms",
				       host, 100 * host / (seg[0] + seg[1] + seg[2] + seg[3]),
				       report__round(rows, sys[j], report_ops[i].op,
						     report_ops[i].size, round,
						     "requests"),
				       report__round(rows, sys[j], report_ops[i].op,
						     report_ops[i].size, round,
						     "vmm_busy"));
			printf("\n");
		}
	}
}

/* bench.dat: one gnuplot data block per panel. */
static int report__data(const struct bench_rows *rows, const char **sys,
			int nsys, const char *path)
{
	struct bench_stats s;
	FILE *f = fopen(path, "w");
	double seg[4];
	size_t i;
	int j, n;

	if (!f)
		return -errno;
	for (i = 0; i < REPORT_NR_OPS; i++) {
		fprintf(f, "# %s: system applied raised first settled "
			"(segments of the median round, ms)\n",
			report_ops[i].title);
		for (j = 0; j < nsys; j++) {
			report__segments(rows, sys[j], report_ops[i].op,
					 report_ops[i].size, seg);
			fprintf(f, "%s %.3f %.3f %.3f %.3f\n", sys[j], seg[0],
				seg[1], seg[2], seg[3]);
		}
		fprintf(f, "\n\n");
	}
	fprintf(f, "# GET during unplug: system p50 p99 (ms)\n");
	for (j = 0; j < nsys; j++) {
		bench_rows__stats(rows, sys[j], "get", 0, "latency", &s);
		fprintf(f, "%s %.3f %.3f\n", sys[j], s.med, s.p99);
	}
	fprintf(f, "\n\n# boot to init: system median (s)\n");
	for (j = 0; j < nsys; j++) {
		bench_rows__stats(rows, sys[j], "boot", 0, "init", &s);
		fprintf(f, "%s %.3f\n", sys[j], s.med / 1000);
	}
	fprintf(f, "\n\n# own share of plug time: system median_1GiB median_4GiB (%%)\n");
	for (j = 0; j < nsys; j++) {
		fprintf(f, "%s", sys[j]);
		for (i = 0; i < 2; i++) {
			n = report__shares(rows, sys[j], report_ops[i].size,
					   report_v, REPORT_MAX_VALUES);
			bench_stats__of(report_v, n, &s);
			fprintf(f, " %.2f", s.med);
		}
		fprintf(f, "\n");
	}
	fprintf(f, "\n\n");
	bench__scale_data(f, rows, sys, nsys);
	fclose(f);
	return 0;
}

static const char report_gp[] =
	"# memplug-bench report: gnuplot bench.gp (data in bench.dat) writes\n"
	"# bench.svg; gnuplot -e \"fmt='png'\" bench.gp writes bench.png\n"
	"if (!exists('fmt')) fmt = 'svg'\n"
	"if (fmt eq 'png') { set terminal pngcairo size 1500,900 font 'Sans,10' } "
	"else { set terminal svg size 1500,900 dynamic font 'Sans,11' }\n"
	"set output 'bench.' . fmt\n"
	"set multiplot layout 3,3 title 'memplug-bench: the strategies (see report.txt), "
	"same L2 guest, one run'\n"
	"set style data histograms\n"
	"set style fill solid 0.8 border -1\n"
	"set boxwidth 0.6\n"
	"set key below horizontal\n"
	"set grid ytics\n"
	"set yrange [0:*]\n"
	"set style histogram rowstacked\n"
	"set ylabel 'ms after the request'\n"
	"array op[3] = ['plug 0 -> 1 GiB', 'plug 0 -> 4 GiB', 'unplug 4 GiB -> 0']\n"
	"do for [i=0:2] {\n"
	"  set title op[i + 1] noenhanced\n"
	"  plot 'bench.dat' index i using 2:xtic(1) title 'memslots applied', \\\n"
	"       '' index i using 3 title 'request raised', \\\n"
	"       '' index i using 4 title 'to first guest request', \\\n"
	"       '' index i using 5 title 'guest (un)plugging'\n"
	"}\n"
	"set style histogram clustered gap 1\n"
	"set title 'GET latency during unplug'\n"
	"set ylabel 'ms'\n"
	"set logscale y\n"
	"set yrange [0.01:*]\n"
	"set arrow 1 from graph 0, first 5 to graph 1, first 5 nohead dt 2 lc 'red'\n"
	"if (have_get) {\n"
	"  plot 'bench.dat' index 3 using 2:xtic(1) title 'p50', '' index 3 using 3 title 'p99'\n"
	"} else {\n"
	"  set yrange [0.01:10]\n"
	"  set label 2 'not measured' at graph 0.4, graph 0.5\n"
	"  plot 0.01 notitle\n"
	"  unset label 2\n"
	"}\n"
	"unset arrow 1\n"
	"unset logscale y\n"
	"set yrange [0:*]\n"
	"set title 'boot to init'\n"
	"set ylabel 's'\n"
	"plot 'bench.dat' index 4 using 2:xtic(1) notitle\n"
	"set title 'own share of plug time (target 5 %)'\n"
	"set ylabel '%'\n"
	"set arrow 1 from graph 0, first 5 to graph 1, first 5 nohead dt 2 lc 'red'\n"
	"plot 'bench.dat' index 5 using 2:xtic(1) title '1 GiB', '' index 5 using 3 title '4 GiB'\n"
	"unset arrow 1\n"
	"set title 'plug 0 -> size, median (floor: single, thick)'\n"
	"set ylabel 'ms'\n"
	"set xlabel 'MiB'\n"
	"set logscale xy 2\n"
	"set yrange [*:*]\n"
	"stats 'bench.dat' index 6 skip 1 nooutput\n"
	"ncol = STATS_columns\n"
	"plot for [c=2:ncol] 'bench.dat' index 6 using 1:c with linespoints "
	"lw (c == floorcol ? 4 : 1) title columnheader(c)\n"
	"unset multiplot\n";

int bench__report(const struct bench_rows *rows, const char *out_dir)
{
	const char *sys[REPORT_MAX_SYSTEMS];
	char path[4096], cmd[4200];
	int nsys = report__systems(rows, sys), err, i;
	FILE *f;

	printf("# memplug-bench report: ms after the request unless said; "
	       "nearest-rank percentiles over rounds (GET: over samples)\n");
	bench__print_stats(rows, NULL);
	report__targets(rows, sys, nsys);
	bench__scale(rows, sys, nsys);
	report__breakdown(rows, sys, nsys);
	if (!out_dir)
		return 0;
	snprintf(path, sizeof(path), "%s/bench.dat", out_dir);
	err = report__data(rows, sys, nsys, path);
	snprintf(path, sizeof(path), "%s/bench.gp", out_dir);
	f = err ? NULL : fopen(path, "w");
	if (!f) {
		fprintf(stderr, "memplug-bench: %s: %s\n", path,
			strerror(err ? -err : errno));
		return err ? err : -errno;
	}
	/* the floor's column in the scale block, for the plot */
	for (i = 0; i < nsys && strcmp(sys[i], "single"); i++)
		;
	fprintf(f, "floorcol = %d\n", i < nsys ? i + 2 : 0);
	fprintf(f, "have_get = %d\n", bench_rows__values(rows, NULL, "get", 0,
							   "latency", report_v, 1));
	fputs(report_gp, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "cd '%s' && gnuplot bench.gp && "
		 "gnuplot -e \"fmt='png'\" bench.gp", out_dir);
	if (system(cmd))
		fprintf(stderr, "memplug-bench: gnuplot failed; %s is there to run by hand\n",
			path);
	else
		printf("\nplot: %s/bench.svg and .png (script %s)\n", out_dir,
		       path);
	return 0;
}
