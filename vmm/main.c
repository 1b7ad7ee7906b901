// SPDX-License-Identifier: GPL-2.0
/*
 * memplug-vmm: boot a Linux bzImage on KVM with a virtio-mem device over
 * virtio-pci, and resize it through a control socket.
 *
 * Exit status: 0 guest powered off, 1 VMM/KVM error, 2 bad options or
 * configuration, 3 guest reset (triple fault), 4 the guest did not reach
 * its init in time, 5 the guest rebooted.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "memplug/vmm.h"
#include "memplug/vmm-region.h"
#include "memplug/vmm-virtio.h"
#include "memplug/vmm_proto.h"

#define DEFAULT_CMDLINE "console=ttyS0 panic=-1 reboot=acpi pci=noacpi " \
	"memhp_default_state=online"

static void usage(FILE *f)
{
	fprintf(f,
"usage: memplug-vmm -k BZIMAGE [options]\n"
"       memplug-vmm ctl SOCKET REQUEST...\n"
"\n"
"  -k, --kernel PATH        bzImage to boot (required)\n"
"  -i, --initrd PATH        initramfs\n"
"  -a, --append ARGS        appended to the kernel command line:\n"
"                           '" DEFAULT_CMDLINE "'\n"
"  -m, --mem MIB            boot RAM (64..3072, default 512)\n"
"  -c, --smp N              vCPUs (1..4, default 1)\n"
"      --console MODE       stdio (default) or none\n"
"      --console-file PATH  copy of the console output\n"
"      --hotplug JSON       PUT /hotplug/memory body, e.g.\n"
"                           '{\"total_size_mib\":1024,\"block_size_mib\":2,\"slot_size_mib\":128}'\n"
"      --hotplug-file PATH  the same, from a file\n"
"      --ctl PATH           control socket (GET, PATCH, WAIT, STATS, CONSOLE)\n"
"      --attach WHEN        when a hotplug slot gets its memslot: patch (when\n"
"                           a PATCH raises the request to it; default), plug\n"
"                           (on the guest's first PLUG into it, Firecracker's\n"
"                           way) or boot (all at the start, kept; with one\n"
"                           slot for the region, Cloud Hypervisor's way)\n"
"      --no-attach-ahead    the same as --attach plug\n"
"      --daemon SOCKET      register with memplugd (e.g. " MEMPLUG_DEFAULT_SOCKET "):\n"
"                           it then applies the hotplug memslots through\n"
"                           memplug.ko and this process may not (seccomp)\n"
"      --paused             (with --daemon) wait for memplugd's START\n"
"                           ('memplugctl vm start VM') before booting; the\n"
"                           hotplug config may come from a PUT until then\n"
"      --hotplug-max MIB    hotplug region to reserve for a PUT when paused\n"
"                           (default 16384)\n"
"      --boot-timeout SEC   fail if the guest's init does not print\n"
"                           'memplug-guest: ready' in time (default 0: none)\n"
"\n"
"exit status: 0 power off, 1 error, 2 bad options, 3 guest reset (triple\n"
"fault), 4 boot timeout, 5 guest reboot\n");
}

static int parse_num(const char *opt, const char *s, long min, long max, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 10);
	if (errno || *end || end == s || *v < min || *v > max) {
		pr_err("%s needs a number in %ld..%ld, not '%s'", opt, min, max, s);
		return -EINVAL;
	}
	return 0;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc(n + 1);
	if (buf && fread(buf, 1, n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[n] = 0;
	fclose(f);
	return buf;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "append", required_argument, NULL, 'a' },
		{ "mem", required_argument, NULL, 'm' },
		{ "smp", required_argument, NULL, 'c' },
		{ "console", required_argument, NULL, 'C' },
		{ "console-file", required_argument, NULL, 'F' },
		{ "hotplug", required_argument, NULL, 'H' },
		{ "hotplug-file", required_argument, NULL, 'J' },
		{ "ctl", required_argument, NULL, 'S' },
		{ "attach", required_argument, NULL, 'A' },
		{ "no-attach-ahead", no_argument, NULL, 'N' },
		{ "boot-timeout", required_argument, NULL, 'T' },
		{ "daemon", required_argument, NULL, 'D' },
		{ "paused", no_argument, NULL, 'P' },
		{ "hotplug-max", required_argument, NULL, 'X' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'v' },
		{ }
	};
	static struct vmm vmm_s;
	struct vmm *vmm = &vmm_s;
	struct hotplug_config hc;
	char err[HOTPLUG_ERR_LEN], *cmdline;
	const char *append = "";
	uint64_t reserve = VMM_HOTPLUG_RESERVE_DEFAULT;
	long v;
	int opt, rc;

	if (argc >= 2 && !strcmp(argv[1], "ctl")) {
		if (argc < 4) {
			usage(stderr);
			return 2;
		}
		return control__client(argv[2], argc - 3, argv + 3);
	}

	vmm->start_ns = mp_now_ns();
	vmm->cfg.ram_size = 512ULL << 20;
	vmm->cfg.nr_vcpus = 1;
	vmm->cfg.console_stdio = true;
	vmm->cfg.attach = VMM_ATTACH_PATCH;
	while ((opt = getopt_long(argc, argv, "k:i:a:m:c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'k': vmm->cfg.kernel = optarg; break;
		case 'i': vmm->cfg.initrd = optarg; break;
		case 'a': append = optarg; break;
		case 'm':
			if (parse_num("--mem", optarg, 64, 3072, &v))
				return 2;
			vmm->cfg.ram_size = (uint64_t)v << 20;
			break;
		case 'c':
			if (parse_num("--smp", optarg, 1, VMM_MAX_VCPUS, &v))
				return 2;
			vmm->cfg.nr_vcpus = v;
			break;
		case 'C':
			if (!strcmp(optarg, "stdio")) {
				vmm->cfg.console_stdio = true;
			} else if (!strcmp(optarg, "none")) {
				vmm->cfg.console_stdio = false;
			} else {
				pr_err("--console is stdio or none, not '%s'", optarg);
				return 2;
			}
			break;
		case 'F': vmm->cfg.console_file = optarg; break;
		case 'H': vmm->cfg.hotplug_json = optarg; break;
		case 'J':
			vmm->cfg.hotplug_json = slurp(optarg);
			if (!vmm->cfg.hotplug_json) {
				pr_err("cannot read %s: %s", optarg, strerror(errno));
				return 2;
			}
			break;
		case 'S': vmm->cfg.ctl_path = optarg; break;
		case 'A':
			if (!strcmp(optarg, "plug")) {
				vmm->cfg.attach = VMM_ATTACH_PLUG;
			} else if (!strcmp(optarg, "patch")) {
				vmm->cfg.attach = VMM_ATTACH_PATCH;
			} else if (!strcmp(optarg, "boot")) {
				vmm->cfg.attach = VMM_ATTACH_BOOT;
			} else {
				pr_err("--attach is plug, patch or boot, not '%s'", optarg);
				return 2;
			}
			break;
		case 'N': vmm->cfg.attach = VMM_ATTACH_PLUG; break;
		case 'D': vmm->cfg.daemon_path = optarg; break;
		case 'P': vmm->cfg.paused = true; break;
		case 'X':
			if (parse_num("--hotplug-max", optarg, 128, HOTPLUG_MAX_MIB, &v))
				return 2;
			reserve = (uint64_t)v << 20;
			break;
		case 'T':
			if (parse_num("--boot-timeout", optarg, 0, 3600, &v))
				return 2;
			vmm->cfg.boot_timeout = v;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'v':
			printf("memplug-vmm %s\n", MEMPLUG_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		pr_err("unexpected argument '%s'", argv[optind]);
		return 2;
	}
	if (!vmm->cfg.kernel) {
		pr_err("no kernel given (-k BZIMAGE)");
		return 2;
	}
	if (access(vmm->cfg.kernel, R_OK)) {
		pr_err("cannot read kernel %s: %s", vmm->cfg.kernel, strerror(errno));
		return 2;
	}
	if (vmm->cfg.initrd && access(vmm->cfg.initrd, R_OK)) {
		pr_err("cannot read initrd %s: %s", vmm->cfg.initrd, strerror(errno));
		return 2;
	}
	if (vmm->cfg.hotplug_json &&
	    hotplug_config__parse_put(vmm->cfg.hotplug_json,
				      strlen(vmm->cfg.hotplug_json), &hc, err,
				      sizeof(err))) {
		pr_err("--hotplug: %s", err);
		return 2;
	}
	if (vmm->cfg.attach == VMM_ATTACH_BOOT && vmm->cfg.daemon_path) {
		pr_err("--attach boot is for local mode: with --daemon, memplugd places the memslots (its --ahead all)");
		return 2;
	}
	if (vmm->cfg.paused && !vmm->cfg.daemon_path) {
		pr_err("--paused needs --daemon: memplugd's START boots the guest");
		return 2;
	}
	if (!vmm->cfg.hotplug_json && vmm->cfg.daemon_path && !vmm->cfg.paused) {
		pr_err("--daemon needs --hotplug, or --paused to take a PUT");
		return 2;
	}
	if (vmm->cfg.ctl_path && !vmm->cfg.hotplug_json)
		pr_info("no --hotplug: the control socket only takes CONSOLE");
	if (asprintf(&cmdline, "%s %s", DEFAULT_CMDLINE, append) < 0)
		return 1;
	vmm->cfg.append = cmdline;

	/*
	 * A control client or stdout reader that goes away must cost us one
	 * failed write, not the guest.
	 */
	signal(SIGPIPE, SIG_IGN);
	pthread_mutex_init(&vmm->dev_lock, NULL);
	pthread_mutex_init(&vmm->exit_lock, NULL);
	pthread_cond_init(&vmm->exit_cond, NULL);

	if (kvm__init(vmm) || x86__load_kernel(vmm) || x86__setup_tables(vmm) ||
	    serial__init(vmm) || pci__init(vmm))
		return 1;
	if (vmm->cfg.hotplug_json || vmm->cfg.paused) {
		if (vmm->cfg.hotplug_json && !vmm->cfg.paused)
			reserve = 0;	/* exactly the configured size */
		if (vmm__reserve_hotplug(vmm, vmm->cfg.hotplug_json ? &hc : NULL,
					 reserve))
			return 1;
	}
	if (vmm->cfg.hotplug_json &&
	    vmm__set_hotplug(vmm, &hc, err, sizeof(err))) {
		pr_err("--hotplug: %s", err);
		return 2;
	}
	if (vmm->cfg.ctl_path && control__init(vmm))
		return 1;
	if (vmm->cfg.daemon_path && memplugd__init(vmm, vmm->cfg.daemon_path))
		return 1;
	if (vmm->cfg.paused)
		pr_info("paused: the guest boots on memplugd's START");
	else if (vmm__start(vmm))
		return 1;

	pthread_mutex_lock(&vmm->exit_lock);
	while (vmm->exit_reason == VMM_EXIT_NONE) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&vmm->exit_cond, &vmm->exit_lock, &ts);
		if (vmm->cfg.boot_timeout && vmm->running && !vmm->init_ns &&
		    mp_now_ns() - vmm->start_ns > vmm->cfg.boot_timeout * 1000000000ULL) {
			vmm->exit_reason = VMM_EXIT_TIMEOUT;
			vmm->exit_msg = "the guest did not reach its init in time";
		}
	}
	pthread_mutex_unlock(&vmm->exit_lock);

	switch (vmm->exit_reason) {
	case VMM_EXIT_POWEROFF: rc = 0; break;
	case VMM_EXIT_RESET: rc = 3; break;
	case VMM_EXIT_TIMEOUT: rc = 4; break;
	case VMM_EXIT_REBOOT: rc = 5; break;
	default: rc = 1; break;
	}
	if (rc == 0)
		pr_info("%s", vmm->exit_msg);
	else
		pr_err("%s", vmm->exit_msg);
	control__exit(vmm);
	fflush(NULL);
	/* vCPU threads may sit in KVM_RUN: the process exit ends them */
	_exit(rc);
}
