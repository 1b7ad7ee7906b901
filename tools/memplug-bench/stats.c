// SPDX-License-Identifier: GPL-2.0
/*
 * Rows (one measurement each, as in the CSV) and percentiles.
 *
 * CSV columns: system,op,size_mib,round,phase,value,unit,note
 * The file is appended to as rows are measured, so an interrupted run
 * keeps what it had; report.c reads several such files back.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define BENCH_CSV_HEADER "system,op,size_mib,round,phase,value,unit,note"

static void bench__copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
	/* a comma or newline would shift the CSV's columns */
	for (; *dst; dst++)
		if (*dst == ',' || *dst == '\n')
			*dst = ' ';
}

static int bench_rows__push(struct bench_rows *rows, const struct bench_row *r)
{
	if (rows->n == rows->cap) {
		int cap = rows->cap ? rows->cap * 2 : 256;
		struct bench_row *v = realloc(rows->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		rows->v = v;
		rows->cap = cap;
	}
	rows->v[rows->n++] = *r;
	return 0;
}

void bench_rows__add(struct bench_rows *rows, const char *system,
		     const char *op, uint64_t size_mib, int round,
		     const char *phase, double value, const char *unit,
		     const char *note)
{
	struct bench_row r = { .size_mib = size_mib, .round = round,
			       .value = value };

	bench__copy(r.system, sizeof(r.system), system);
	bench__copy(r.op, sizeof(r.op), op);
	bench__copy(r.phase, sizeof(r.phase), phase);
	bench__copy(r.unit, sizeof(r.unit), unit);
	bench__copy(r.note, sizeof(r.note), note);
	if (bench_rows__push(rows, &r))
		fprintf(stderr, "memplug-bench: out of memory, row dropped\n");
	if (!rows->csv)
		return;
	/* a new file gets the header first */
	if (ftell(rows->csv) == 0)
		fprintf(rows->csv, "%s\n", BENCH_CSV_HEADER);
	fprintf(rows->csv, "%s,%s,%llu,%d,%s,%.3f,%s,%s\n", r.system, r.op,
		(unsigned long long)r.size_mib, r.round, r.phase, r.value,
		r.unit, r.note);
	fflush(rows->csv);
}

/* Splits @line at commas in place; returns the number of fields. */
static int bench__split(char *line, char **f, int max)
{
	int n = 0;

	line[strcspn(line, "\r\n")] = 0;
	f[n++] = line;
	while (n < max && (line = strchr(line, ','))) {
		*line++ = 0;
		f[n++] = line;
	}
	return n;
}

int bench_rows__load(struct bench_rows *rows, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[512], *fld[8];
	struct bench_row r;
	int lineno = 0, nf;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (!strncmp(line, "system,", 7) || line[0] == '#')
			continue;
		nf = bench__split(line, fld, 8);
		if (nf < 7) {
			fprintf(stderr, "%s:%d: not a memplug-bench row\n",
				path, lineno);
			continue;
		}
		memset(&r, 0, sizeof(r));
		bench__copy(r.system, sizeof(r.system), fld[0]);
		bench__copy(r.op, sizeof(r.op), fld[1]);
		r.size_mib = strtoull(fld[2], NULL, 10);
		r.round = atoi(fld[3]);
		bench__copy(r.phase, sizeof(r.phase), fld[4]);
		r.value = strtod(fld[5], NULL);
		bench__copy(r.unit, sizeof(r.unit), fld[6]);
		if (nf == 8)
			bench__copy(r.note, sizeof(r.note), fld[7]);
		if (bench_rows__push(rows, &r)) {
			fclose(f);
			return -ENOMEM;
		}
	}
	fclose(f);
	return 0;
}

void bench_rows__free(struct bench_rows *rows)
{
	free(rows->v);
	rows->v = NULL;
	rows->n = rows->cap = 0;
}

int bench_rows__values(const struct bench_rows *rows, const char *system,
		       const char *op, uint64_t size_mib, const char *phase,
		       double *out, int max)
{
	int i, n = 0;

	for (i = 0; i < rows->n && n < max; i++) {
		const struct bench_row *r = &rows->v[i];

		if ((!system || !strcmp(r->system, system)) && !strcmp(r->op, op) &&
		    (!size_mib || r->size_mib == size_mib) &&
		    !strcmp(r->phase, phase))
			out[n++] = r->value;
	}
	return n;
}

static int bench__cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest value with at least p % at or below it. */
double bench__pct(const double *sorted, int n, double p)
{
	int k = (int)(p / 100.0 * n + 0.999999);

	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return sorted[k - 1];
}

void bench_stats__of(double *v, int n, struct bench_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->n = n;
	if (!n)
		return;
	qsort(v, n, sizeof(*v), bench__cmp);
	s->med = bench__pct(v, n, 50);
	s->p90 = bench__pct(v, n, 90);
	s->p99 = bench__pct(v, n, 99);
	s->min = v[0];
	s->max = v[n - 1];
}

/* Percentiles of the matching rows; false when there are none. */
bool bench_rows__stats(const struct bench_rows *rows, const char *system,
		       const char *op, uint64_t size_mib, const char *phase,
		       struct bench_stats *s)
{
	static double v[65536];
	int n = bench_rows__values(rows, system, op, size_mib, phase, v,
				   (int)(sizeof(v) / sizeof(v[0])));

	bench_stats__of(v, n, s);
	return n > 0;
}
