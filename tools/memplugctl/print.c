// SPDX-License-Identifier: GPL-2.0
/*
 * memplugctl's output: text at once, JSON as a json-c tree printed when
 * its top-level container closes (json-c keeps members in the order they
 * were added, so the JSON reads in the order of the calls).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "memplugctl.h"

static json_object *print__top(struct print_ctx *p)
{
	return p->depth ? p->stack[p->depth - 1] : NULL;
}

/* Hands @v to the open container; a value outside any is dropped. */
static void print__add(struct print_ctx *p, const char *key, json_object *v)
{
	json_object *top = print__top(p);

	if (!top || !v) {
		json_object_put(v);
		return;
	}
	if (json_object_is_type(top, json_type_array))
		json_object_array_add(top, v);
	else
		json_object_object_add(top, key ? key : "", v);
}

static void print__open(struct memplugctl *ctl, const char *key,
			json_object *c)
{
	struct print_ctx *p = &ctl->print;

	if (p->depth == PRINT_MAX_DEPTH) {
		json_object_put(c);
		return;
	}
	if (!p->json) {
		json_object_put(c);
		c = NULL;
	} else if (p->depth) {
		/* the parent holds the reference; the stack borrows it */
		print__add(p, key, c);
	}
	p->stack[p->depth++] = c;
}

static void print__close(struct memplugctl *ctl)
{
	struct print_ctx *p = &ctl->print;

	if (!p->depth || --p->depth)
		return;
	if (p->json && p->stack[0]) {
		printf("%s\n", json_object_to_json_string_ext(p->stack[0],
			p->pretty ? JSON_C_TO_STRING_PRETTY :
				    JSON_C_TO_STRING_PLAIN));
		json_object_put(p->stack[0]);
	}
	p->stack[0] = NULL;
	/* a record is complete: monitor's readers get it now */
	fflush(stdout);
}

void print_open_object(struct memplugctl *ctl, const char *key)
{
	print__open(ctl, key, ctl->print.json ? json_object_new_object() : NULL);
}

void print_open_array(struct memplugctl *ctl, const char *key)
{
	print__open(ctl, key, ctl->print.json ? json_object_new_array() : NULL);
}

void print_close_object(struct memplugctl *ctl)
{
	print__close(ctl);
}

void print_close_array(struct memplugctl *ctl)
{
	print__close(ctl);
}

void print_discard(struct memplugctl *ctl)
{
	struct print_ctx *p = &ctl->print;

	if (p->depth)
		json_object_put(p->stack[0]);
	p->depth = 0;
	p->stack[0] = NULL;
}

/* Whether the call prints text, or adds (@key, the value) to the JSON. */
static int print__text(struct memplugctl *ctl, const char *fmt)
{
	return !ctl->print.json && fmt;
}

static int print__json(struct memplugctl *ctl, const char *key)
{
	return ctl->print.json && key;
}

void print_uint(struct memplugctl *ctl, const char *key, const char *fmt,
		unsigned int value)
{
	if (print__text(ctl, fmt))
		printf(fmt, value);
	if (print__json(ctl, key))
		print__add(&ctl->print, key, json_object_new_int64(value));
}

void print_u64(struct memplugctl *ctl, const char *key, const char *fmt,
	       uint64_t value)
{
	if (print__text(ctl, fmt))
		printf(fmt, value);
	if (print__json(ctl, key))
		print__add(&ctl->print, key, json_object_new_uint64(value));
}

void print_string(struct memplugctl *ctl, const char *key, const char *fmt,
		  const char *value)
{
	if (print__text(ctl, fmt))
		printf(fmt, value);
	if (print__json(ctl, key))
		print__add(&ctl->print, key, json_object_new_string(value));
}

void print_bool(struct memplugctl *ctl, const char *key, const char *fmt,
		bool value)
{
	if (print__text(ctl, fmt) && value)
		fputs(fmt, stdout);
	if (print__json(ctl, key))
		print__add(&ctl->print, key, json_object_new_boolean(value));
}

void print_double(struct memplugctl *ctl, const char *key, const char *fmt,
		  int decimals, double value)
{
	char buf[64];

	if (print__text(ctl, fmt))
		printf(fmt, value);
	if (!print__json(ctl, key))
		return;
	/* json-c would print all 17 digits; keep the text's precision */
	snprintf(buf, sizeof(buf), "%.*f", decimals, value);
	print__add(&ctl->print, key, json_object_new_double_s(value, buf));
}

void print_size(struct memplugctl *ctl, const char *key, const char *fmt,
		uint64_t bytes)
{
	char buf[32];

	if (print__text(ctl, fmt)) {
		if (bytes && !(bytes % (1ULL << 30)))
			snprintf(buf, sizeof(buf), "%" PRIu64 " GiB", bytes >> 30);
		else if (bytes && !(bytes % (1ULL << 20)))
			snprintf(buf, sizeof(buf), "%" PRIu64 " MiB", bytes >> 20);
		else
			snprintf(buf, sizeof(buf), "%" PRIu64 " KiB", bytes >> 10);
		printf(fmt, buf);
	}
	if (print__json(ctl, key))
		print__add(&ctl->print, key, json_object_new_uint64(bytes));
}

void print_time_ns(struct memplugctl *ctl, const char *key, const char *fmt,
		   uint64_t ns)
{
	char buf[32];

	if (print__text(ctl, fmt)) {
		snprintf(buf, sizeof(buf), "%" PRIu64 ".%09" PRIu64,
			 ns / 1000000000, ns % 1000000000);
		printf(fmt, buf);
	}
	if (print__json(ctl, key))
		print__add(&ctl->print, key, json_object_new_uint64(ns));
}

void print_text(struct memplugctl *ctl, const char *fmt, ...)
{
	va_list ap;

	if (ctl->print.json)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

void print_nl(struct memplugctl *ctl)
{
	print_text(ctl, "\n");
}
