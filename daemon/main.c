// SPDX-License-Identifier: GPL-2.0
/*
 * memplugd: options, the event loop, start-up and shutdown.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "memplugd.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: memplugd [-s SOCKET] [-g GROUP] [--ahead MIB|all] [--no-steps]\n"
		"                [--no-module]\n"
		"       memplugd --validate put|patch JSON\n"
		"\n"
		"  -s, --socket PATH   where VMMs register and memplugctl falls back\n"
		"                      to when memplug.ko is absent (default %s)\n"
		"  -g, --group NAME    the socket's group (mode 0660): its members\n"
		"                      may GET; only root may change (default %s)\n"
		"      --ahead MIB     keep slots attached for this much memory past\n"
		"                      each VM's request ('all': its whole region), so\n"
		"                      that a growth within it changes no memslot\n"
		"                      (default %d: one slot of the default size)\n"
		"      --no-steps      tell the guest of a growth once, after one batch\n"
		"                      with every slot it needs (default: in steps\n"
		"                      that double, each batch beside the guest's plugs)\n"
		"      --no-module     do not use memplug.ko: VMMs change their own\n"
		"                      memslots (the fallback, also for benchmarks)\n"
		"      --validate K J  check a PUT or PATCH body offline and print it\n"
		"                      with defaults filled in, or the error\n"
		"\nexit status: 0 stopped by a signal (or a valid body), 1 start-up\n"
		"failed (or an invalid body), 2 bad options\n",
		MEMPLUG_DEFAULT_SOCKET, MEMPLUG_DEFAULT_GROUP,
		(int)HOTPLUG_DEFAULT_SLOT_MIB);
}

/* memplugd --validate put|patch JSON: like 'nginx -t' for a body. */
static int validate(const char *kind, const char *json)
{
	char err[HOTPLUG_ERR_LEN];
	struct hotplug_config cfg;
	struct hotplug_patch patch;

	if (!strcmp(kind, "put")) {
		if (hotplug_config__parse_put(json, strlen(json), &cfg, err,
					      sizeof(err)))
			goto bad;
		printf("{\"total_size_mib\":%llu,\"block_size_mib\":%llu,\"slot_size_mib\":%llu}\n",
		       (unsigned long long)cfg.total_size_mib,
		       (unsigned long long)cfg.block_size_mib,
		       (unsigned long long)cfg.slot_size_mib);
		return 0;
	}
	if (!strcmp(kind, "patch")) {
		if (hotplug_config__parse_patch(json, strlen(json), &patch, err,
						sizeof(err)))
			goto bad;
		printf("{\"requested_size_mib\":%llu}\n",
		       (unsigned long long)patch.requested_size_mib);
		return 0;
	}
	fprintf(stderr, "Error: --validate takes 'put' or 'patch', not '%s'.\n", kind);
	return 2;
bad:
	fprintf(stderr, "Error: %s.\n", err);
	return 1;
}

static int parse_ahead(const char *s, uint64_t *mib)
{
	char *end;

	if (!strcmp(s, "all")) {
		*mib = HOTPLUG_MAX_MIB;	/* clamped to each VM's region */
		return 0;
	}
	errno = 0;
	*mib = strtoull(s, &end, 10);
	return errno || end == s || *end || *s == '-' || *mib > HOTPLUG_MAX_MIB ?
	       -1 : 0;
}

static int epoll_add(struct mpd *d, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, fd, &ev);
}

static int listen_on(struct mpd *d)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[sizeof(sa.sun_path)];
	struct group *gr;
	char *slash;
	mode_t mask;
	int ret;

	if (strlen(d->sock_path) >= sizeof(sa.sun_path)) {
		mpd_log(LOG_ERR, "socket path too long: %s", d->sock_path);
		return -1;
	}
	strcpy(sa.sun_path, d->sock_path);
	strcpy(dir, d->sock_path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0755);
	}
	d->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (d->listen_fd < 0)
		return -1;
	unlink(d->sock_path);
	/*
	 * Root and the socket's group may connect: the group may GET, only
	 * root may change anything (checked per connection, SO_PEERCRED).
	 * Created 0660 at once, so that nobody connects before the chown.
	 */
	mask = umask(0117);
	ret = bind(d->listen_fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(mask);
	if (ret || listen(d->listen_fd, 16)) {
		mpd_log(LOG_ERR, "cannot listen on %s: %m", d->sock_path);
		return -1;
	}
	gr = getgrnam(d->sock_group);
	if (gr && chown(d->sock_path, -1, gr->gr_gid))
		mpd_log(LOG_WARNING, "cannot give %s to group %s: %m",
			d->sock_path, d->sock_group);
	if (!gr)
		mpd_log(LOG_INFO, "no group '%s': only root may use %s",
			d->sock_group, d->sock_path);
	return epoll_add(d, d->listen_fd);
}

static int setup(struct mpd *d)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	d->signal_fd = signalfd(-1, &mask, SFD_CLOEXEC);
	d->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (d->signal_fd < 0 || d->epoll_fd < 0 || epoll_add(d, d->signal_fd))
		return -1;
	if (listen_on(d))
		return -1;
	if (d->use_module && kmod__open(d)) {
		mpd_log(LOG_WARNING,
			"memplug.ko is not loaded: falling back to local mode (VMMs change their own memslots)");
		d->use_module = false;
	}
	if (d->nl_open && epoll_add(d, nl_socket_get_fd(d->nl.sk)))
		return -1;
	return 0;
}

static void loop(struct mpd *d)
{
	struct epoll_event ev[16];
	int i, n;

	while (!d->stop) {
		n = epoll_wait(d->epoll_fd, ev, 16, -1);
		if (n < 0 && errno != EINTR) {
			mpd_log(LOG_ERR, "epoll_wait: %m");
			return;
		}
		for (i = 0; i < n; i++) {
			int fd = ev[i].data.fd;

			if (fd == d->signal_fd) {
				d->stop = true;
			} else if (fd == d->listen_fd) {
				peer__accept(d);
			} else if (d->nl_open && fd == nl_socket_get_fd(d->nl.sk)) {
				kmod__readable(d);
			} else {
				peer__readable(d, fd);
			}
			if (d->nl_open)
				kmod__drain(d);
		}
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "group", required_argument, NULL, 'g' },
		{ "ahead", required_argument, NULL, 'a' },
		{ "no-steps", no_argument, NULL, 'S' },
		{ "no-module", no_argument, NULL, 'n' },
		{ "validate", required_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'v' },
		{}
	};
	static struct mpd d = {
		.sock_path = MEMPLUG_DEFAULT_SOCKET,
		.sock_group = MEMPLUG_DEFAULT_GROUP,
		.ahead_mib = HOTPLUG_DEFAULT_SLOT_MIB,
		.use_module = true,
		.next_local_id = 1,
		.listen_fd = -1,
	};
	const char *vkind = NULL;
	int c, i;

	while ((c = getopt_long(argc, argv, "s:g:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			d.sock_path = optarg;
			break;
		case 'g':
			d.sock_group = optarg;
			break;
		case 'a':
			if (parse_ahead(optarg, &d.ahead_mib)) {
				fprintf(stderr, "Error: --ahead takes MiB (0..%llu) or 'all', not '%s'.\n",
					HOTPLUG_MAX_MIB, optarg);
				return 2;
			}
			break;
		case 'S':
			d.no_steps = true;
			break;
		case 'n':
			d.use_module = false;
			break;
		case 'V':
			vkind = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'v':
			printf("memplugd %s\n", MEMPLUG_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (vkind) {
		if (optind != argc - 1) {
			fprintf(stderr, "Error: --validate %s needs one JSON body.\n", vkind);
			return 2;
		}
		return validate(vkind, argv[optind]);
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	setvbuf(stderr, NULL, _IOLBF, 0);
	for (i = 0; i < MPD_MAX_CONNS; i++)
		d.conns[i].fd = -1;
	if (setup(&d))
		return 1;
	mpd_log(LOG_INFO, "listening on %s (%s mode)", d.sock_path,
		d.use_module ? "module" : "local");
	mpd_notify("READY=1");
	loop(&d);
	mpd_notify("STOPPING=1");
	for (i = 0; i < MPD_MAX_VMS; i++)
		if (d.vms[i].used)
			peer__drop(&d, &d.vms[i], "memplugd is stopping", false);
	if (d.nl_open)
		genl_conn__close(&d.nl);
	unlink(d.sock_path);
	mpd_log(LOG_INFO, "stopped");
	return 0;
}
