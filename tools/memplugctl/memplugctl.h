/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memplugctl: the context every object's commands share.  memplugctl.c
 * has main and the dispatch, vm.c, hotplug.c and monitor.c the objects.
 */
#ifndef MEMPLUGCTL_H
#define MEMPLUGCTL_H

#include "memplug/memplug_nl.h"
#include "memplug/vmm_proto.h"
#include "print.h"

struct memplugctl {
	struct genl_conn nl;
	int nl_ok;		/* 0: memplug.ko absent, use the daemon socket */
	const char *sock_path;	/* memplugd's socket, for that fallback */
	int argc;
	char **argv;
	struct print_ctx print;	/* -j, -p and the JSON being built */
};

const char *memplugctl__arg(struct memplugctl *ctl);
int memplugctl__match(struct memplugctl *ctl, const char *word);
int memplugctl__vm_id(struct memplugctl *ctl, uint32_t *id);

/* vm.c */
int memplugctl__vm(struct memplugctl *ctl);

/* hotplug.c */
int memplugctl__request(struct memplugctl *ctl, uint8_t cmd, uint32_t vm,
			const char *body, char *out, size_t outlen);
json_object *memplugctl__parse(const char *answer, json_type type);
int memplugctl__hotplug(struct memplugctl *ctl);

/* monitor.c */
int memplugctl__monitor(struct memplugctl *ctl);

#endif
