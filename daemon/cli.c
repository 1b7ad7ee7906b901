// SPDX-License-Identifier: GPL-2.0
/*
 * memplugctl on the daemon's socket: the path for hotplug requests when
 * memplug.ko is not loaded (so nothing can relay them).  Same requests,
 * same answers as the relay; privilege comes from SO_PEERCRED.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "memplugd.h"

int cli__request(struct mpd *d, int fd, const void *buf, bool privileged)
{
	const struct memplug_vmm_msg *in = buf;
	static struct memplug_vmm_msg out;
	static struct mpd_reply r;
	struct mpd_request req = {
		.cmd = in->cli.cmd,
		.vm_id = in->cli.vm_id,
		.privileged = privileged,
		.body = in->cli.body,
		.body_len = in->cli.body_len,
	};

	/*
	 * The body is body_len bytes, NULs and all: a NUL inside is a byte
	 * the JSON parser refuses, never the end of what it reads.
	 */
	if (req.body_len > sizeof(in->cli.body)) {
		memset(&r, 0, sizeof(r));
		r.err = -EINVAL;
		snprintf(r.text, sizeof(r.text), "the request's body_len exceeds %zu",
			 sizeof(in->cli.body));
	} else {
		hotplug__handle(d, &req, &r);
	}
	memset(&out, 0, sizeof(out));
	out.type = MEMPLUG_VMM_CLI_REPLY;
	out.seq = in->seq;
	out.cli_reply.err = r.err;
	memcpy(out.cli_reply.text, r.text, sizeof(out.cli_reply.text));
	memcpy(out.cli_reply.body, r.body, sizeof(out.cli_reply.body));
	out.cli_reply.body_len = strnlen(out.cli_reply.body,
					 sizeof(out.cli_reply.body));
	/* A client that does not read its answers is dropped, never waited for. */
	return send(fd, &out, sizeof(out), MSG_NOSIGNAL | MSG_DONTWAIT) ==
	       sizeof(out) ? 0 : -1;
}
