// SPDX-License-Identifier: GPL-2.0
/*
 * The QEMU target, measured as Documentation/benchmark.md describes for the anchor
 * figures: QMP on its unix socket (-qmp unix:PATH,server=on,wait=off),
 * "qom-set vm0 requested-size", then "qom-get vm0 size" polled back to
 * back, as fast as QMP answers.  QEMU has no phase timestamps of its own:
 * "raised" is the qom-set reply (QEMU has updated the config and notified
 * the guest by then), "first" the first size change a poll sees.  QEMU
 * without dynamic-memslots maps the whole memory backend at start, so
 * there is no "applied".
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "bench.h"

#define QMP_LINE_MAX		8192
#define QMP_TIMEOUT_MS		30000
#define QMP_DEVICE		"vm0"

struct qmp_target {
	int fd;
	char buf[QMP_LINE_MAX];
	size_t have;
};

static int qmp__read_line(struct qmp_target *q, char *out, size_t len)
{
	struct pollfd p = { .fd = q->fd, .events = POLLIN };
	char *nl;
	ssize_t n;

	while (!(nl = memchr(q->buf, '\n', q->have))) {
		if (q->have == sizeof(q->buf))
			return -EMSGSIZE;
		if (poll(&p, 1, QMP_TIMEOUT_MS) <= 0)
			return -ETIMEDOUT;
		n = read(q->fd, q->buf + q->have, sizeof(q->buf) - q->have);
		if (n <= 0)
			return -ECONNRESET;	/* QEMU went away */
		q->have += n;
	}
	*nl = 0;
	snprintf(out, len, "%s", q->buf);
	q->have -= nl + 1 - q->buf;
	memmove(q->buf, nl + 1, q->have);
	return 0;
}

/* One command; its reply (events in between skipped) in @out. */
static int qmp__cmd(struct qmp_target *q, const char *cmd, char *out,
		    size_t len)
{
	size_t l = strlen(cmd);
	int err;

	if (write(q->fd, cmd, l) != (ssize_t)l || write(q->fd, "\n", 1) != 1)
		return -ECONNRESET;
	do {
		err = qmp__read_line(q, out, len);
	} while (!err && strstr(out, "\"event\""));
	if (err)
		return err;
	return strstr(out, "\"error\"") ? -EINVAL : 0;
}

static int qmp__get(struct bench_target *t, uint64_t *plugged)
{
	char out[QMP_LINE_MAX];
	int err;

	err = qmp__cmd(t->priv, "{\"execute\":\"qom-get\",\"arguments\":"
		       "{\"path\":\"" QMP_DEVICE "\",\"property\":\"size\"}}",
		       out, sizeof(out));
	if (err) {
		fprintf(stderr, "%s: qom-get: %s\n", t->system,
			err == -EINVAL ? out : strerror(-err));
		return err;
	}
	err = bench__json_u64(out, "return", plugged);
	*plugged >>= 20;
	return err;
}

static int qmp__request(struct bench_target *t, struct bench_round *r)
{
	char cmd[256], out[QMP_LINE_MAX];
	int err;

	snprintf(cmd, sizeof(cmd), "{\"execute\":\"qom-set\",\"arguments\":"
		 "{\"path\":\"" QMP_DEVICE "\",\"property\":\"requested-size\","
		 "\"value\":%llu}}", (unsigned long long)r->to_mib << 20);
	r->t0 = mp_now_ns();
	err = qmp__cmd(t->priv, cmd, out, sizeof(out));
	r->ms[BENCH_PH_REPLY] = (mp_now_ns() - r->t0) / 1e6;
	if (err) {
		fprintf(stderr, "%s: qom-set: %s\n", t->system,
			err == -EINVAL ? out : strerror(-err));
		return err;
	}
	r->ms[BENCH_PH_RAISED] = r->ms[BENCH_PH_REPLY];
	return 0;
}

static int qmp__watch(struct bench_target *t, struct bench_round *r)
{
	uint64_t mib, now;
	int err;

	for (;;) {
		err = qmp__get(t, &mib);
		if (err)
			return err;
		now = mp_now_ns();
		if (bench_round__progress(r, mib, now) ||
		    bench_round__stalled(t, r, now))
			return 0;
	}
}

static void qmp__close(struct bench_target *t)
{
	struct qmp_target *q = t->priv;

	close(q->fd);
	free(q);
}

static const struct bench_target_ops qmp_target_ops = {
	.request = qmp__request,
	.watch = qmp__watch,
	.get = qmp__get,
	.close = qmp__close,
};

int qmp_target__open(struct bench_target *t, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char out[QMP_LINE_MAX];
	struct qmp_target *q;
	int i, err = -ENOENT;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	strcpy(sa.sun_path, path);
	q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	/* QEMU creates the socket a moment after it starts */
	for (i = 0; q->fd >= 0 && i < 300; i++) {
		if (!connect(q->fd, (struct sockaddr *)&sa, sizeof(sa))) {
			err = 0;
			break;
		}
		err = -errno;
		bench__sleep_until(mp_now_ns() + 100000000ULL);
	}
	if (q->fd < 0 || err) {
		fprintf(stderr, "memplug-bench: QMP %s: %s\n", path,
			strerror(q->fd < 0 ? errno : -err));
		goto err;
	}
	err = qmp__read_line(q, out, sizeof(out));	/* the greeting */
	err = err ?: qmp__cmd(q, "{\"execute\":\"qmp_capabilities\"}", out,
			      sizeof(out));
	if (err) {
		fprintf(stderr, "memplug-bench: QMP %s: no handshake: %s\n",
			path, strerror(-err));
		goto err;
	}
	t->ops = &qmp_target_ops;
	t->priv = q;
	if (!t->system)
		t->system = "qemu";
	return 0;
err:
	if (q->fd >= 0)
		close(q->fd);
	free(q);
	return err ? err : -EIO;
}
