// SPDX-License-Identifier: GPL-2.0
/*
 * control: the VMM's unix socket, one request per line, one JSON reply
 * per line.  Each connection has its own thread, so a GET is never
 * queued behind a WAIT or a PATCH on another connection.
 *
 *   GET                  -> the /hotplug/memory GET object
 *   PATCH {"requested_size_mib":N}
 *                        -> the GET object after the change
 *   PUT {...}            -> refused: the device is configured before boot
 *   WAIT <ms>            -> the GET object once plugged == requested,
 *                           or an error after <ms> (bounded)
 *   STATS                -> request counters and the last PATCH's phases
 *   CONSOLE <text>       -> <text> and a newline typed on the serial console
 *
 * Errors are {"error":"<text>"}; PUT/PATCH texts come from hotplug_config.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "memplug/vmm.h"
#include "memplug/vmm-region.h"
#include "memplug/vmm-virtio.h"

#define LINE_MAX_LEN	4096
#define CTL_SOCKET_MODE	0660	/* the VMM's user and group */

struct vmm_control {
	int fd;
	pthread_t thread;
};

struct ctl_conn {
	struct vmm *vmm;
	int fd;
};

static void json_string(char *out, size_t len, const char *s)
{
	size_t n = 0;

	for (; *s && n + 7 < len; s++) {
		if (*s == '"' || *s == '\\') {
			out[n++] = '\\';
			out[n++] = *s;
		} else if ((unsigned char)*s < 0x20) {
			n += snprintf(out + n, len - n, "\\u%04x", *s);
		} else {
			out[n++] = *s;
		}
	}
	out[n] = 0;
}

static int reply_error(char *out, size_t len, const char *msg)
{
	char esc[512];

	json_string(esc, sizeof(esc), msg);
	return snprintf(out, len, "{\"error\":\"%s\"}", esc);
}

static int reply_get(struct vmm *vmm, char *out, size_t len)
{
	struct hotplug_state st;

	virtio_mem__get(vmm->vmem, &st);
	return hotplug_config__format_get(&st, out, len);
}

static double ms(uint64_t from, uint64_t to)
{
	return from && to >= from ? (to - from) / 1e6 : -1;
}

static int reply_stats(struct vmm *vmm, char *out, size_t len)
{
	struct virtio_mem_stats s;
	struct virtio_mem_times t;

	virtio_mem__stats(vmm->vmem, &s, &t);
	return snprintf(out, len,
		"{\"plug\":%" PRIu64 ",\"plug_nack\":%" PRIu64 ",\"plug_busy\":%" PRIu64
		",\"plug_error\":%" PRIu64
		",\"unplug\":%" PRIu64 ",\"unplug_error\":%" PRIu64 ",\"unplug_all\":%" PRIu64
		",\"state\":%" PRIu64 ",\"state_error\":%" PRIu64 ",\"bad_type\":%" PRIu64
		",\"bad_chain\":%" PRIu64 ",\"slot_attach\":%" PRIu64 ",\"slot_detach\":%" PRIu64
		",\"slot_ioctl_ms\":%.3f,\"attach_ahead_ms\":%.3f,\"first_request_ms\":%.3f"
		",\"settled_ms\":%.3f,\"boot_ms\":%.1f,\"discarded_mib\":%" PRIu64 ",\"slots\":\"%s\"}",
		s.plug, s.plug_nack, s.plug_busy, s.plug_err, s.unplug, s.unplug_err, s.unplug_all,
		s.state, s.state_err, s.bad_type, s.bad_chain, t.nr_attach, t.nr_detach,
		t.attach_ns_total / 1e6, ms(t.patch_ns, t.attached_ns),
		ms(t.patch_ns, t.first_req_ns), ms(t.patch_ns, t.settled_ns),
		ms(vmm->start_ns, vmm->init_ns),
		__atomic_load_n(&vmm->hp->discarded_bytes, __ATOMIC_RELAXED) >> 20,
		vmm->hp->ops->name);
}

static int handle_line(struct vmm *vmm, char *line, char *out, size_t len)
{
	char err[HOTPLUG_ERR_LEN];
	struct hotplug_patch p;
	int ret;

	if (!strncmp(line, "CONSOLE ", 8)) {
		serial__input(vmm, line + 8, strlen(line + 8));
		serial__input(vmm, "\n", 1);
		return snprintf(out, len, "{}");
	}
	if (!vmm->vmem)
		return reply_error(out, len, "Invalid request: no hotplug memory configured");
	if (!strcmp(line, "GET"))
		return reply_get(vmm, out, len);
	if (!strcmp(line, "STATS"))
		return reply_stats(vmm, out, len);
	if (!strncmp(line, "PATCH ", 6)) {
		ret = hotplug_config__parse_patch(line + 6, strlen(line + 6), &p,
						  err, sizeof(err));
		if (!ret)
			ret = memplugd__patch(vmm, &p, err, sizeof(err));
		return ret ? reply_error(out, len, err) : reply_get(vmm, out, len);
	}
	if (!strncmp(line, "PUT ", 4) || !strcmp(line, "PUT"))
		return reply_error(out, len,
				   "Invalid request: PUT /hotplug/memory is only accepted before boot (--hotplug)");
	if (!strncmp(line, "WAIT ", 5)) {
		int tmo = atoi(line + 5);

		if (tmo <= 0 || tmo > 600000)
			return reply_error(out, len, "Invalid request: WAIT needs 1..600000 ms");
		if (virtio_mem__wait_settled(vmm->vmem, tmo)) {
			struct hotplug_state st;

			virtio_mem__get(vmm->vmem, &st);
			snprintf(err, sizeof(err),
				 "timeout: plugged_size_mib %" PRIu64 " != requested_size_mib %" PRIu64,
				 st.plugged_size_mib, st.requested_size_mib);
			return reply_error(out, len, err);
		}
		return reply_get(vmm, out, len);
	}
	return reply_error(out, len, "Invalid request: expected GET, PATCH, PUT, WAIT, STATS or CONSOLE");
}

static bool reply(int fd, const char *out, size_t len)
{
	/* MSG_NOSIGNAL: a client gone before its reply is no SIGPIPE */
	return send(fd, out, len, MSG_NOSIGNAL) == (ssize_t)len;
}

static void *conn__thread(void *arg)
{
	struct ctl_conn *c = arg;
	char buf[LINE_MAX_LEN + 1], out[1024];
	size_t have = 0;
	ssize_t n;
	char *nl;

	for (;;) {
		n = read(c->fd, buf + have, LINE_MAX_LEN - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += n;
		buf[have] = 0;
		/* memchr: a NUL byte must not hide the newline after it */
		while ((nl = memchr(buf, '\n', have))) {
			size_t used = nl - buf + 1;
			bool nul = memchr(buf, 0, nl - buf);
			int olen;

			*nl = 0;
			if (nl > buf && nl[-1] == '\r')
				nl[-1] = 0;
			if (nul)
				olen = reply_error(out, sizeof(out) - 1,
						   "Invalid request: NUL byte in the line");
			else
				olen = handle_line(c->vmm, buf, out, sizeof(out) - 1);
			if (olen < 0 || olen >= (int)sizeof(out) - 1)
				olen = strlen(out);
			out[olen++] = '\n';
			if (!reply(c->fd, out, olen))
				goto out;
			memmove(buf, buf + used, have - used + 1);
			have -= used;
		}
		if (have == LINE_MAX_LEN) {
			const char *e = "{\"error\":\"Invalid request: line too long\"}\n";

			reply(c->fd, e, strlen(e));
			break;
		}
	}
out:
	close(c->fd);
	free(c);
	return NULL;
}

static void *control__thread(void *arg)
{
	struct vmm *vmm = arg;
	struct ctl_conn *c;
	pthread_t t;
	int fd;

	for (;;) {
		fd = accept4(vmm->ctl->fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			break;
		}
		c = malloc(sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->vmm = vmm;
		c->fd = fd;
		if (pthread_create(&t, NULL, conn__thread, c)) {
			close(fd);
			free(c);
			continue;
		}
		pthread_detach(t);
	}
	return NULL;
}

int control__init(struct vmm *vmm)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct vmm_control *ctl;
	int ret;

	if (strlen(vmm->cfg.ctl_path) >= sizeof(sa.sun_path)) {
		pr_err("control socket path too long: %s", vmm->cfg.ctl_path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, vmm->cfg.ctl_path);
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return -ENOMEM;
	ctl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	unlink(vmm->cfg.ctl_path);
	/*
	 * The socket file gets the socket inode's mode (less the umask) at
	 * bind: owner and group only, whatever the umask allowed.  The
	 * chmod after bind makes it exact.
	 */
	if (ctl->fd < 0 || fchmod(ctl->fd, CTL_SOCKET_MODE) ||
	    bind(ctl->fd, (void *)&sa, sizeof(sa)) ||
	    chmod(vmm->cfg.ctl_path, CTL_SOCKET_MODE) || listen(ctl->fd, 8)) {
		ret = -errno;
		pr_err("control socket %s: %s", vmm->cfg.ctl_path, strerror(errno));
		free(ctl);
		return ret;
	}
	vmm->ctl = ctl;
	return pthread_create(&ctl->thread, NULL, control__thread, vmm) ? -EAGAIN : 0;
}

void control__exit(struct vmm *vmm)
{
	if (vmm->ctl)
		unlink(vmm->cfg.ctl_path);
}

/* memplug-vmm ctl SOCKET LINE...: send each line, print each reply. */
int control__client(const char *path, int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[2048];
	int fd, i, rc = 0;
	FILE *in;

	if (strlen(path) >= sizeof(sa.sun_path))
		return 2;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (void *)&sa, sizeof(sa))) {
		fprintf(stderr, "memplug-vmm ctl: %s: %s\n", path, strerror(errno));
		return 1;
	}
	in = fdopen(fd, "r");
	for (i = 0; i < argc; i++) {
		size_t l = strlen(argv[i]);

		if (write(fd, argv[i], l) != (ssize_t)l || write(fd, "\n", 1) != 1 ||
		    !fgets(buf, sizeof(buf), in)) {
			fprintf(stderr, "memplug-vmm ctl: connection lost\n");
			return 1;
		}
		fputs(buf, stdout);
		if (!strncmp(buf, "{\"error\"", 8))
			rc = 1;
	}
	fclose(in);
	return rc;
}
