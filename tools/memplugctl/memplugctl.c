// SPDX-License-Identifier: GPL-2.0
/*
 * memplugctl: inspect memplug.ko (iproute2 dpll.c style).
 *
 *   memplugctl [-j] [-p] vm show [VM]              (vm.c)
 *   memplugctl vm start VM
 *   memplugctl [-j] hotplug put|patch|get VM ...   (hotplug.c)
 *   memplugctl [-j] monitor                        (monitor.c)
 *
 * Objects dispatch through an if/else chain of exact words; each has its
 * file (vm.c, hotplug.c, monitor.c) and prints through print.c.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memplugctl.h"

const char *memplugctl__arg(struct memplugctl *ctl)
{
	return ctl->argc > 0 ? ctl->argv[0] : NULL;
}

int memplugctl__match(struct memplugctl *ctl, const char *word)
{
	if (ctl->argc > 0 && !strcmp(ctl->argv[0], word)) {
		ctl->argc--;
		ctl->argv++;
		return 1;
	}
	return 0;
}

/* Takes the next word as a VM id. */
int memplugctl__vm_id(struct memplugctl *ctl, uint32_t *id)
{
	const char *arg = memplugctl__arg(ctl);
	unsigned long v;
	char *end;

	if (!arg) {
		fprintf(stderr, "Error: a VM id is required.\n");
		return -EINVAL;
	}
	v = strtoul(arg, &end, 0);
	if (*end || !*arg || v > UINT32_MAX) {
		fprintf(stderr, "Error: \"%s\" is not a VM id.\n", arg);
		return -EINVAL;
	}
	*id = v;
	ctl->argc--;
	ctl->argv++;
	return 0;
}

static void memplugctl__usage(FILE *f)
{
	fprintf(f,
		"Usage: memplugctl [-j] [-p] OBJECT COMMAND [ARGS]\n"
		"       memplugctl vm show [VM]\n"
		"       memplugctl vm start VM\n"
		"       memplugctl hotplug put VM { JSON | total MIB [block MIB] [slot MIB] }\n"
		"       memplugctl hotplug patch VM { JSON | requested MIB } [--wait [SEC]]\n"
		"       memplugctl hotplug get VM\n"
		"       memplugctl monitor\n"
		"  -j, --json    JSON output\n"
		"  -p, --pretty  indented JSON\n"
		"  -s, --socket PATH  memplugd's socket, used when memplug.ko is not\n"
		"                     loaded (default " MEMPLUG_DEFAULT_SOCKET ")\n"
		"\nexit status: 0 success, 1 the request failed, 2 bad options\n");
}

static int memplugctl__cmd(struct memplugctl *ctl)
{
	if (memplugctl__match(ctl, "vm"))
		return memplugctl__vm(ctl);
	if (memplugctl__match(ctl, "hotplug"))
		return memplugctl__hotplug(ctl);
	if (!ctl->nl_ok) {
		fprintf(stderr, "Error: the \"%s\" generic netlink family is not registered; is memplug.ko loaded (modprobe memplug)?\n",
			MEMPLUG_GENL_NAME);
		return -ENOENT;
	}
	if (memplugctl__match(ctl, "monitor"))
		return memplugctl__monitor(ctl);
	fprintf(stderr, "Object \"%s\" not found\n", memplugctl__arg(ctl));
	return -ENOENT;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct memplugctl ctl = { .sock_path = MEMPLUG_DEFAULT_SOCKET };
	int opt, err;

	while ((opt = getopt_long(argc, argv, "+jps:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			ctl.print.json = 1;
			break;
		case 'p':
			ctl.print.pretty = 1;
			break;
		case 's':
			ctl.sock_path = optarg;
			break;
		case 'h':
			memplugctl__usage(stdout);
			return 0;
		case 'V':
			printf("memplugctl %s\n", MEMPLUG_VERSION);
			return 0;
		default:
			memplugctl__usage(stderr);
			return 2;
		}
	}
	ctl.argc = argc - optind;
	ctl.argv = argv + optind;
	if (!ctl.argc || !strcmp(ctl.argv[0], "help")) {
		memplugctl__usage(ctl.argc ? stdout : stderr);
		return ctl.argc ? 0 : 2;
	}
	/* Without memplug.ko, hotplug requests go to memplugd's socket. */
	err = memplug_nl__open(&ctl.nl);
	if (err && err != -ENOENT) {
		fprintf(stderr, "Error: cannot open a netlink socket: %s.\n",
			strerror(-err));
		return 1;
	}
	ctl.nl_ok = !err;
	err = memplugctl__cmd(&ctl);
	print_discard(&ctl);
	if (ctl.nl_ok)
		genl_conn__close(&ctl.nl);
	return err ? 1 : 0;
}
