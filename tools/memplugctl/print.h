/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memplugctl's one output path, after iproute2's json_print.c: each call
 * names a JSON key and a text format, and the same calls print the text
 * or (with -j) build the JSON.  A NULL @key is text only, a NULL @fmt JSON
 * only.  A top-level object or array is printed when it closes, so a
 * command that fails halfway prints no half JSON.
 */
#ifndef MEMPLUGCTL_PRINT_H
#define MEMPLUGCTL_PRINT_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#define PRINT_MAX_DEPTH	8

struct print_ctx {
	int json;
	int pretty;
	int depth;
	struct json_object *stack[PRINT_MAX_DEPTH];	/* open containers, when -j */
};

struct memplugctl;

/* @key: the member's name in an object; NULL in an array or at the top. */
void print_open_object(struct memplugctl *ctl, const char *key);
void print_close_object(struct memplugctl *ctl);
void print_open_array(struct memplugctl *ctl, const char *key);
void print_close_array(struct memplugctl *ctl);
/* What an error left open: freed, never printed. */
void print_discard(struct memplugctl *ctl);

void print_uint(struct memplugctl *ctl, const char *key, const char *fmt,
		unsigned int value);
void print_u64(struct memplugctl *ctl, const char *key, const char *fmt,
	       uint64_t value);
void print_string(struct memplugctl *ctl, const char *key, const char *fmt,
		  const char *value);
/* Text: @fmt as it is (a flag word, " readonly"), and only when @value. */
void print_bool(struct memplugctl *ctl, const char *key, const char *fmt,
		bool value);
/* JSON: the number with @decimals digits after the point, as the text. */
void print_double(struct memplugctl *ctl, const char *key, const char *fmt,
		  int decimals, double value);
/* JSON: bytes; text: "%s" is "4 GiB", "2 MiB" or "512 KiB". */
void print_size(struct memplugctl *ctl, const char *key, const char *fmt,
		uint64_t bytes);
/* JSON: ns; text: "%s" is seconds, "12.000345678". */
void print_time_ns(struct memplugctl *ctl, const char *key, const char *fmt,
		   uint64_t ns);
/* Text only. */
void print_text(struct memplugctl *ctl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void print_nl(struct memplugctl *ctl);

#endif
