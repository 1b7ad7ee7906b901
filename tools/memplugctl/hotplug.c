// SPDX-License-Identifier: GPL-2.0
/*
 * memplugctl hotplug put|patch|get VM: Firecracker's /hotplug/memory
 * requests, relayed by memplug.ko to the daemon that owns the VM, or sent
 * to memplugd's socket when the module is not loaded (memplugctl__request,
 * which vm start and local vm show use too).
 *
 *   memplugctl hotplug put 1 total 4096 [block 2] [slot 128]
 *   memplugctl hotplug put 1 '{"total_size_mib":4096}'
 *   memplugctl hotplug patch 1 requested 1024 --wait 30
 *   memplugctl -j hotplug get 1
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "memplug/clock.h"
#include "memplug/vmm_proto.h"
#include "memplugctl.h"

#define WAIT_DEFAULT_S	60

/* The same request on memplugd's socket; 0 or -errno with @err filled. */
static int cli_hotplug__socket(struct memplugctl *ctl, uint8_t cmd, uint32_t vm,
			   const char *body, char *out, size_t outlen,
			   char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct memplug_vmm_msg *m = calloc(1, sizeof(*m));
	int fd, ret;

	if (!m)
		return -ENOMEM;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", ctl->sock_path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		snprintf(err, errlen,
			 "memplug.ko is not loaded and memplugd is not listening on %s",
			 ctl->sock_path);
		ret = -ENOENT;
		goto out;
	}
	m->type = MEMPLUG_VMM_CLI_REQUEST;
	m->cli.cmd = cmd;
	m->cli.vm_id = vm;
	if (body) {
		snprintf(m->cli.body, sizeof(m->cli.body), "%s", body);
		m->cli.body_len = strlen(m->cli.body);
	}
	if (send(fd, m, sizeof(*m), 0) != sizeof(*m) ||
	    recv(fd, m, sizeof(*m), 0) != sizeof(*m) ||
	    m->type != MEMPLUG_VMM_CLI_REPLY) {
		snprintf(err, errlen, "memplugd did not answer");
		ret = -EIO;
		goto out;
	}
	ret = m->cli_reply.err;
	if (ret)
		snprintf(err, errlen, "%.*s", (int)sizeof(m->cli_reply.text),
			 m->cli_reply.text);
	else
		snprintf(out, outlen, "%.*s", (int)m->cli_reply.body_len,
			 m->cli_reply.body);
out:
	if (fd >= 0)
		close(fd);
	free(m);
	return ret;
}

/* One request by whichever path there is; prints "Error: ..." itself. */
int memplugctl__request(struct memplugctl *ctl, uint8_t cmd, uint32_t vm,
			const char *body, char *out, size_t outlen)
{
	char err[256] = "";
	int ret;

	if (ctl->nl_ok) {
		ret = memplug_nl__relay(&ctl->nl, cmd, vm, body, out, outlen);
		if (ret)
			genl_conn__perror(&ctl->nl, ret);
		return ret;
	}
	ret = cli_hotplug__socket(ctl, cmd, vm, body, out, outlen, err, sizeof(err));
	if (ret)
		fprintf(stderr, "Error: %s.\n", err[0] ? err : strerror(-ret));
	return ret;
}

/* An answer's JSON, if it is of @type; else prints "Error: ...". */
json_object *memplugctl__parse(const char *answer, json_type type)
{
	json_object *o = json_tokener_parse(answer);

	if (o && json_object_is_type(o, type))
		return o;
	fprintf(stderr, "Error: the answer is not a JSON %s: %s.\n",
		json_type_to_name(type), answer);
	json_object_put(o);
	return NULL;
}

static int json_u64(const char *json, const char *key, uint64_t *v)
{
	json_object *o = json_tokener_parse(json), *f;
	int ret = -ENOENT;

	if (o && json_object_object_get_ex(o, key, &f)) {
		*v = json_object_get_uint64(f);
		ret = 0;
	}
	json_object_put(o);
	return ret;
}

/* The GET object's members: the text's word for each. */
static const struct {
	const char *key, *fmt;
} hotplug_fields[] = {
	{ "total_size_mib", " total %" PRIu64 " MiB" },
	{ "block_size_mib", " block %" PRIu64 " MiB" },
	{ "slot_size_mib", " slot %" PRIu64 " MiB" },
	{ "plugged_size_mib", " plugged %" PRIu64 " MiB" },
	{ "requested_size_mib", " requested %" PRIu64 " MiB" },
};

static const char *cli_hotplug__fmt(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(hotplug_fields) / sizeof(hotplug_fields[0]); i++)
		if (!strcmp(key, hotplug_fields[i].key))
			return hotplug_fields[i].fmt;
	return NULL;
}

/*
 * The GET object as the owner sent it, member by member (a member the
 * text has no word for is JSON only).
 */
static int cli_hotplug__print(struct memplugctl *ctl, uint32_t vm, const char *body)
{
	json_object *o;

	if (!body[0])
		return 0;
	o = memplugctl__parse(body, json_type_object);
	if (!o)
		return -EIO;
	print_open_object(ctl, NULL);
	print_uint(ctl, NULL, "vm %u:", vm);
	json_object_object_foreach(o, key, val) {
		print_u64(ctl, key, cli_hotplug__fmt(key),
			  json_object_get_uint64(val));
	}
	print_nl(ctl);
	print_close_object(ctl);
	json_object_put(o);
	return 0;
}

/*
 * Typed arguments (WORD NUMBER ...) as the JSON body, or one JSON word as
 * it is.  Values are passed on as typed: the daemon validates.
 */
static int cli_hotplug__body(struct memplugctl *ctl, const char *const *words,
			 const char *const *keys, int n, char *body, size_t len)
{
	size_t off = 0;
	int i, nr = 0;

	if (memplugctl__arg(ctl) && memplugctl__arg(ctl)[0] == '{') {
		snprintf(body, len, "%s", memplugctl__arg(ctl));
		memplugctl__match(ctl, memplugctl__arg(ctl));
		return 0;
	}
	off += snprintf(body + off, len - off, "{");
	while (memplugctl__arg(ctl) && strncmp(memplugctl__arg(ctl), "--", 2)) {
		const char *w = memplugctl__arg(ctl);

		for (i = 0; i < n && strcmp(w, words[i]); i++)
			;
		if (i == n) {
			fprintf(stderr, "Error: unknown argument \"%s\".\n", w);
			return -EINVAL;
		}
		memplugctl__match(ctl, w);
		if (!memplugctl__arg(ctl)) {
			fprintf(stderr, "Error: \"%s\" needs a value in MiB.\n", w);
			return -EINVAL;
		}
		off += snprintf(body + off, len - off, "%s\"%s\":%s",
				nr++ ? "," : "", keys[i], memplugctl__arg(ctl));
		memplugctl__match(ctl, memplugctl__arg(ctl));
	}
	if (off >= len - 1)
		return -E2BIG;
	snprintf(body + off, len - off, "}");
	return 0;
}

/* --wait: poll GET until plugged == requested, bounded; GET never queues. */
static int cli_hotplug__wait(struct memplugctl *ctl, uint32_t vm, int timeout_s,
			 uint64_t t0)
{
	char body[MEMPLUG_HOTPLUG_BODY_MAX];
	uint64_t plugged = 0, requested = 0, deadline;

	deadline = t0 + (uint64_t)timeout_s * 1000000000ULL;
	for (;;) {
		if (memplugctl__request(ctl, MEMPLUG_CMD_HOTPLUG_GET, vm, NULL,
					body, sizeof(body)))
			return -EIO;
		if (!json_u64(body, "plugged_size_mib", &plugged) &&
		    !json_u64(body, "requested_size_mib", &requested) &&
		    plugged == requested)
			break;
		if (mp_now_ns() > deadline) {
			fprintf(stderr, "Error: timed out after %d s: plugged %" PRIu64
				" MiB, requested %" PRIu64 " MiB.\n", timeout_s,
				plugged, requested);
			return -ETIMEDOUT;
		}
		usleep(2000);
	}
	print_open_object(ctl, NULL);
	print_uint(ctl, "vm", "vm %u:", vm);
	print_u64(ctl, "plugged_size_mib", " plugged %" PRIu64 " MiB", plugged);
	print_double(ctl, "wait_ms", " after %.1f ms", 1, (mp_now_ns() - t0) / 1e6);
	print_nl(ctl);
	print_close_object(ctl);
	return 0;
}

static int cli_hotplug__put(struct memplugctl *ctl, uint32_t vm)
{
	static const char *const words[] = { "total", "block", "slot" };
	static const char *const keys[] = {
		"total_size_mib", "block_size_mib", "slot_size_mib",
	};
	char body[MEMPLUG_HOTPLUG_BODY_MAX], out[MEMPLUG_HOTPLUG_BODY_MAX];
	int err = cli_hotplug__body(ctl, words, keys, 3, body, sizeof(body));

	if (!err)
		err = memplugctl__request(ctl, MEMPLUG_CMD_HOTPLUG_PUT, vm,
					  body, out, sizeof(out));
	if (!err)
		err = cli_hotplug__print(ctl, vm, out);
	return err;
}

static int cli_hotplug__patch(struct memplugctl *ctl, uint32_t vm)
{
	static const char *const words[] = { "requested" };
	static const char *const keys[] = { "requested_size_mib" };
	char body[MEMPLUG_HOTPLUG_BODY_MAX], out[MEMPLUG_HOTPLUG_BODY_MAX];
	int err, wait = -1;
	uint64_t t0;

	err = cli_hotplug__body(ctl, words, keys, 1, body, sizeof(body));
	if (err)
		return err;
	if (memplugctl__match(ctl, "--wait")) {
		wait = WAIT_DEFAULT_S;
		if (memplugctl__arg(ctl)) {
			wait = atoi(memplugctl__arg(ctl));
			memplugctl__match(ctl, memplugctl__arg(ctl));
			if (wait <= 0) {
				fprintf(stderr, "Error: --wait takes seconds > 0.\n");
				return -EINVAL;
			}
		}
	}
	if (memplugctl__arg(ctl)) {
		fprintf(stderr, "Error: unknown argument \"%s\".\n",
			memplugctl__arg(ctl));
		return -EINVAL;
	}
	t0 = mp_now_ns();
	err = memplugctl__request(ctl, MEMPLUG_CMD_HOTPLUG_PATCH, vm, body,
				  out, sizeof(out));
	if (err)
		return err;
	if (wait < 0)
		return cli_hotplug__print(ctl, vm, out);
	return cli_hotplug__wait(ctl, vm, wait, t0);
}

int memplugctl__hotplug(struct memplugctl *ctl)
{
	char out[MEMPLUG_HOTPLUG_BODY_MAX];
	const char *verb = memplugctl__arg(ctl);
	uint32_t vm;
	int err;

	if (!verb) {
		fprintf(stderr, "Error: hotplug needs put, patch or get.\n");
		return -EINVAL;
	}
	memplugctl__match(ctl, verb);
	err = memplugctl__vm_id(ctl, &vm);
	if (err)
		return err;
	if (!strcmp(verb, "put"))
		return cli_hotplug__put(ctl, vm);
	if (!strcmp(verb, "patch"))
		return cli_hotplug__patch(ctl, vm);
	if (!strcmp(verb, "get")) {
		err = memplugctl__request(ctl, MEMPLUG_CMD_HOTPLUG_GET, vm,
					  NULL, out, sizeof(out));
		if (!err)
			err = cli_hotplug__print(ctl, vm, out);
		return err;
	}
	fprintf(stderr, "Command \"%s\" not found\n", verb);
	return -ENOENT;
}
