// SPDX-License-Identifier: GPL-2.0
/*
 * The local target: memplug-vmm without memplugd, on its control socket
 * (vmm/control.c: one request per line, one JSON reply per line).  The VMM
 * issues its own memslot ioctls in PATCH, before it raises the request.
 *
 * Progress: WAIT 50 (returns as soon as plugged == requested) alternating
 * with GET, so a stall is seen; the exact phases come from STATS after
 * the round, in ms after the VMM took the PATCH.  The bench places that
 * moment at the send time: it errs by the socket's one-way time (tens of
 * microseconds), against phases of milliseconds.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "bench.h"
#include "memplug/hotplug_config.h"

#define CTL_LINE_MAX		2048
#define CTL_TIMEOUT_MS		10000
#define CTL_WAIT_MS		50

struct ctl_target {
	int fd;
	char buf[CTL_LINE_MAX];
	size_t have;
};

/* One reply line into @out (NUL-terminated, without the newline). */
static int ctl__read_line(struct ctl_target *c, char *out, size_t len)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	char *nl;
	ssize_t n;

	while (!(nl = memchr(c->buf, '\n', c->have))) {
		if (c->have == sizeof(c->buf))
			return -EMSGSIZE;
		if (poll(&p, 1, CTL_TIMEOUT_MS) <= 0)
			return -ETIMEDOUT;
		n = read(c->fd, c->buf + c->have, sizeof(c->buf) - c->have);
		if (n <= 0)
			return -ECONNRESET;	/* the VMM went away */
		c->have += n;
	}
	*nl = 0;
	snprintf(out, len, "%s", c->buf);
	c->have -= nl + 1 - c->buf;
	memmove(c->buf, nl + 1, c->have);
	return 0;
}

static int ctl__call(struct ctl_target *c, const char *line, char *out,
		     size_t len)
{
	size_t l = strlen(line);
	int err;

	if (write(c->fd, line, l) != (ssize_t)l || write(c->fd, "\n", 1) != 1)
		return -ECONNRESET;
	err = ctl__read_line(c, out, len);
	if (err)
		return err;
	return strncmp(out, "{\"error\"", 8) ? 0 : -EINVAL;
}

/* A number (maybe negative or fractional) after "key": in @json. */
static double ctl__json_double(const char *json, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(json, pat);
	return p ? strtod(p + strlen(pat), NULL) : -1;
}

static int ctl__get(struct bench_target *t, uint64_t *plugged)
{
	char out[CTL_LINE_MAX];
	int err = ctl__call(t->priv, "GET", out, sizeof(out));

	if (err) {
		fprintf(stderr, "%s: GET: %s\n", t->system,
			err == -EINVAL ? out : strerror(-err));
		return err;
	}
	return bench__json_u64(out, "plugged_size_mib", plugged);
}

static int ctl__request(struct bench_target *t, struct bench_round *r)
{
	char line[64], out[CTL_LINE_MAX];
	int err;

	snprintf(line, sizeof(line), "PATCH {\"requested_size_mib\":%llu}",
		 (unsigned long long)r->to_mib);
	r->t0 = mp_now_ns();
	err = ctl__call(t->priv, line, out, sizeof(out));
	r->ms[BENCH_PH_REPLY] = (mp_now_ns() - r->t0) / 1e6;
	if (err == -EINVAL && strstr(out, HOTPLUG_ERR_NO_DRIVER))
		return -EAGAIN;		/* the guest's driver is not up yet */
	if (err)
		fprintf(stderr, "%s: PATCH: %s\n", t->system,
			err == -EINVAL ? out : strerror(-err));
	return err;
}

static int ctl__watch(struct bench_target *t, struct bench_round *r)
{
	char line[32], out[CTL_LINE_MAX];
	uint64_t mib, now;
	double v;
	int err;

	snprintf(line, sizeof(line), "WAIT %d", CTL_WAIT_MS);
	for (;;) {
		err = ctl__call(t->priv, line, out, sizeof(out));
		now = mp_now_ns();
		if (!err) {
			bench_round__progress(r, r->to_mib, now);
			break;
		}
		if (err != -EINVAL)
			return err;
		err = ctl__get(t, &mib);
		if (err)
			return err;
		now = mp_now_ns();
		if (bench_round__progress(r, mib, now) ||
		    bench_round__stalled(t, r, now))
			break;
	}
	/* the VMM's own timestamps, exact where the polling is not */
	err = ctl__call(t->priv, "STATS", out, sizeof(out));
	if (err)
		return err;
	v = ctl__json_double(out, "attach_ahead_ms");
	if (v >= 0) {
		if (r->to_mib > r->from_mib)
			r->ms[BENCH_PH_APPLIED] = v;
		r->ms[BENCH_PH_RAISED] = v;	/* config irq right after */
	}
	v = ctl__json_double(out, "first_request_ms");
	if (v >= 0)
		r->ms[BENCH_PH_FIRST] = v;
	v = ctl__json_double(out, "settled_ms");
	if (v >= 0 && !r->stalled)
		r->ms[BENCH_PH_SETTLED] = v;
	return 0;
}

static void ctl__close(struct bench_target *t)
{
	struct ctl_target *c = t->priv;

	close(c->fd);
	free(c);
}

static const struct bench_target_ops ctl_target_ops = {
	.request = ctl__request,
	.watch = ctl__watch,
	.get = ctl__get,
	.close = ctl__close,
};

int ctl_target__open(struct bench_target *t, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ctl_target *c;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	strcpy(sa.sun_path, path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int err = -errno;

		fprintf(stderr, "memplug-bench: %s: %s\n", path, strerror(errno));
		if (c->fd >= 0)
			close(c->fd);
		free(c);
		return err;
	}
	t->ops = &ctl_target_ops;
	t->priv = c;
	if (!t->system)
		t->system = "local";
	return 0;
}
