// SPDX-License-Identifier: GPL-2.0
/*
 * memplug-bench: measurements for memplug (README in this directory).
 *
 *   slots      SLOTS_APPLY batches vs raw memslot ioctls (slots.c)
 *   plug       rounds of 0 -> SIZE -> 0 MiB, phases of each half
 *   unplug     the same rounds, for the unplug half
 *   get        GET latency while the guest unplugs SIZE MiB
 *   sequence   the benchmark's sequence: per round plug/unplug 1 GiB and
 *              4 GiB, then GET during an unplug
 *   boot       time until the guest's init is up, from a console file
 *   report     percentiles, targets vs QEMU, gnuplot, from CSV files
 *
 * One target per run: --vm ID (memplug: netlink relay and events),
 * --ctl SOCKET (memplug-vmm alone) or --qmp SOCKET (QEMU).  Everything
 * that needs KVM runs in the test VM; tools/memplug-bench/run drives it.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/* bench__cmd's "print the usage" (errno values stay the runtime's own) */
#define BENCH_EUSAGE	1000

struct bench_opts {
	const char *cmd;
	int runs, cpu;			/* slots */
	uint32_t vm;
	const char *ctl, *qmp;
	struct bench_seq seq;
	uint64_t size;
	int stall_s;
	const char *vmm_log, *csv, *system, *out;
	const char *console;
	int pid, timeout_s;
};

static void bench__usage(FILE *f)
{
	fprintf(f,
"Usage: memplug-bench slots [--runs R] [--cpu C]\n"
"       memplug-bench { plug | unplug } TARGET --size MIB [--rounds N] [OPTIONS]\n"
"       memplug-bench get TARGET --size MIB [--interval MS] [OPTIONS]\n"
"       memplug-bench sequence TARGET [--rounds N] [--first-round N]\n"
"                     [--sizes MIB[,MIB...]] [--get-size MIB] [--interval MS]\n"
"                     [OPTIONS]\n"
"       memplug-bench boot --console FILE [--pid PID] [--timeout SEC] [OPTIONS]\n"
"       memplug-bench report [--out DIR] CSV...\n"
"TARGET:\n"
"  --vm ID          memplug: HOTPLUG_PATCH/GET relayed by memplug.ko to\n"
"                   memplugd, phases from the \"events\" group\n"
"  --ctl SOCKET     memplug-vmm alone (local mode): its control socket\n"
"  --qmp SOCKET     QEMU: qom-set/qom-get of virtio-mem device vm0\n"
"OPTIONS:\n"
"  --csv FILE       append one row per round per phase (created with a header)\n"
"  --system NAME    label of the rows (default memplug, local, qemu)\n"
"  --stall SEC      end an unplug the guest stopped short of after SEC s\n"
"                   without progress, reporting what it kept (default 30)\n"
"  --vmm-log FILE   memplug-vmm's stderr, run with MEMPLUG_VMM_TRACE=1: the\n"
"                   VMM's request handling time, for memplug's own share\n"
"  --interval MS    get: one GET every MS ms (default 5)\n"
"  --first-round N  number the rounds from N (default 1), so that calls of\n"
"                   one round each, interleaved across systems, add up\n"
"plug and unplug run the same rounds (0 -> SIZE, then -> 0) and record\n"
"both halves; sequence's defaults: --sizes 1024,4096 --get-size 1024, 3 rounds.\n"
"\nexit status: 0 success, 1 a measurement or target failed, 2 bad options\n");
}

static int bench__parse_sizes(const char *arg, struct bench_seq *seq)
{
	char *end;

	seq->nr_sizes = 0;
	while (*arg && seq->nr_sizes < BENCH_MAX_SIZES) {
		seq->sizes[seq->nr_sizes] = strtoull(arg, &end, 10);
		if (end == arg || !seq->sizes[seq->nr_sizes] ||
		    (*end && *end != ','))
			return -EINVAL;
		seq->nr_sizes++;
		arg = *end ? end + 1 : end;
	}
	return *arg ? -EINVAL : 0;
}

static int bench__parse(int argc, char **argv, struct bench_opts *o)
{
	static const struct option opts[] = {
		{ "runs", required_argument, NULL, 'r' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "vm", required_argument, NULL, 'v' },
		{ "ctl", required_argument, NULL, 'C' },
		{ "qmp", required_argument, NULL, 'Q' },
		{ "size", required_argument, NULL, 's' },
		{ "rounds", required_argument, NULL, 'n' },
		{ "first-round", required_argument, NULL, 'f' },
		{ "sizes", required_argument, NULL, 'S' },
		{ "get-size", required_argument, NULL, 'g' },
		{ "interval", required_argument, NULL, 'i' },
		{ "stall", required_argument, NULL, 't' },
		{ "vmm-log", required_argument, NULL, 'l' },
		{ "csv", required_argument, NULL, 'o' },
		{ "system", required_argument, NULL, 'y' },
		{ "out", required_argument, NULL, 'O' },
		{ "console", required_argument, NULL, 'k' },
		{ "pid", required_argument, NULL, 'p' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			o->runs = atoi(optarg);
			break;
		case 'c':
			o->cpu = atoi(optarg);
			break;
		case 'v':
			o->vm = strtoul(optarg, NULL, 0);
			break;
		case 'C':
			o->ctl = optarg;
			break;
		case 'Q':
			o->qmp = optarg;
			break;
		case 's':
			o->size = strtoull(optarg, NULL, 10);
			break;
		case 'n':
			o->seq.rounds = atoi(optarg);
			break;
		case 'f':
			o->seq.first_round = atoi(optarg);
			break;
		case 'S':
			if (bench__parse_sizes(optarg, &o->seq))
				return -EINVAL;
			break;
		case 'g':
			o->seq.get_size = strtoull(optarg, NULL, 10);
			break;
		case 'i':
			o->seq.get_interval_ms = atoi(optarg);
			break;
		case 't':
			o->stall_s = atoi(optarg);
			break;
		case 'l':
			o->vmm_log = optarg;
			break;
		case 'o':
			o->csv = optarg;
			break;
		case 'y':
			o->system = optarg;
			break;
		case 'O':
			o->out = optarg;
			break;
		case 'k':
			o->console = optarg;
			break;
		case 'p':
			o->pid = atoi(optarg);
			break;
		case 'T':
			o->timeout_s = atoi(optarg);
			break;
		case 'h':
			bench__usage(stdout);
			exit(0);
		default:
			return -EINVAL;
		}
	}
	if (o->seq.rounds < 1 || o->seq.first_round < 1 ||
	    o->seq.first_round + o->seq.rounds - 1 > BENCH_MAX_ROUNDS ||
	    o->seq.get_interval_ms < 1 || o->stall_s < 1 || o->timeout_s < 1)
		return -EINVAL;
	return 0;
}

static int bench__open_target(const struct bench_opts *o,
			      struct bench_target *t)
{
	int n = !!o->vm + !!o->ctl + !!o->qmp;

	if (n != 1) {
		fprintf(stderr, "memplug-bench: give one of --vm, --ctl, --qmp\n");
		return -BENCH_EUSAGE;
	}
	memset(t, 0, sizeof(*t));
	t->system = o->system;
	t->stall_s = o->stall_s;
	/* bounds every round, even one that keeps crawling along */
	t->max_s = 600;
	t->vmm_log = o->vmm_log;
	if (o->vm)
		return nl_target__open(t, o->vm);
	if (o->ctl)
		return ctl_target__open(t, o->ctl);
	return qmp_target__open(t, o->qmp);
}

static int bench__run_target(struct bench_opts *o, struct bench_rows *rows)
{
	struct bench_target t;
	int round, err;

	err = bench__open_target(o, &t);
	if (err)
		return err;
	if (!strcmp(o->cmd, "sequence")) {
		err = bench__sequence(&t, rows, &o->seq);
	} else if (!o->size) {
		fprintf(stderr, "memplug-bench %s: --size is required\n", o->cmd);
		err = -BENCH_EUSAGE;
	} else if (!strcmp(o->cmd, "get")) {
		err = bench__wait_ready(&t, 60) ?:
		      bench__get_during_unplug(&t, rows, o->size,
					       o->seq.get_interval_ms,
					       o->seq.get_stall_s);
	} else {
		err = bench__wait_ready(&t, 60);
		for (round = o->seq.first_round;
		     round < o->seq.first_round + o->seq.rounds && !err; round++) {
			err = bench__resize(&t, rows, "plug", o->size, round,
					    o->size);
			err = err ?: bench__resize(&t, rows, "unplug", o->size,
						   round, 0);
		}
	}
	if (rows->n) {
		printf("\n");
		bench__print_stats(rows, t.system);
	}
	t.ops->close(&t);
	return err;
}

static int bench__cmd(struct bench_opts *o, int argc, char **argv)
{
	struct bench_rows rows = { 0 };
	double ms;
	int i, err = 0;

	if (!strcmp(o->cmd, "slots"))
		return bench__slots(o->runs, o->cpu);
	if (!strcmp(o->cmd, "report")) {
		if (optind >= argc)
			return -BENCH_EUSAGE;
		for (i = optind; i < argc && !err; i++) {
			err = bench_rows__load(&rows, argv[i]);
			if (err)
				fprintf(stderr, "memplug-bench: %s: %s\n",
					argv[i], strerror(-err));
		}
		err = err ?: bench__report(&rows, o->out);
		bench_rows__free(&rows);
		return err;
	}
	if (o->csv) {
		rows.csv = fopen(o->csv, "a");
		if (!rows.csv) {
			fprintf(stderr, "memplug-bench: %s: %s\n", o->csv,
				strerror(errno));
			return -errno;
		}
	}
	if (!strcmp(o->cmd, "boot")) {
		if (!o->console) {
			err = -BENCH_EUSAGE;
		} else {
			err = bench__boot(o->console, o->pid, o->timeout_s, &ms);
			if (!err) {
				printf("%s boot to init: %.1f ms\n",
				       o->system ? o->system : "guest", ms);
				bench_rows__add(&rows, o->system ? o->system : "guest",
						"boot", 0, 1, "init", ms, "ms", "");
			}
		}
	} else if (!strcmp(o->cmd, "plug") || !strcmp(o->cmd, "unplug") ||
		   !strcmp(o->cmd, "get") || !strcmp(o->cmd, "sequence")) {
		err = bench__run_target(o, &rows);
	} else {
		err = -BENCH_EUSAGE;
	}
	if (rows.csv)
		fclose(rows.csv);
	bench_rows__free(&rows);
	return err;
}

int main(int argc, char **argv)
{
	struct bench_opts o = {
		.runs = 5,
		.seq = { .rounds = 3, .first_round = 1, .sizes = { 1024, 4096 }, .nr_sizes = 2,
			 .get_size = 1024, .get_interval_ms = 5,
			 .get_stall_s = 5 },
		.stall_s = 30,
		.timeout_s = 300,
	};
	int err;

	if (argc >= 2 && !strcmp(argv[1], "--version")) {
		printf("memplug-bench %s\n", MEMPLUG_VERSION);
		return 0;
	}
	if (argc < 2 || argv[1][0] == '-') {
		bool help = argc >= 2 && (!strcmp(argv[1], "-h") ||
					  !strcmp(argv[1], "--help"));

		bench__usage(help ? stdout : stderr);
		return help ? 0 : 2;
	}
	o.cmd = argv[1];
	if (bench__parse(argc - 1, argv + 1, &o)) {
		bench__usage(stderr);
		return 2;
	}
	/* optind counts from argv + 1 */
	err = bench__cmd(&o, argc - 1, argv + 1);
	if (err == -BENCH_EUSAGE) {
		bench__usage(stderr);
		return 2;
	}
	return err ? 1 : 0;
}
