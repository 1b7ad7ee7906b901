// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: every input is given, with its exact length (NULs are
 * bytes), to hotplug_config__parse_put() and __parse_patch(), and each
 * answer is held against the reference model (ref.h): accepted or refused
 * alike, the same values when accepted, a message of the expected class
 * (the exact text for range rules, duplicates and missing fields) when
 * refused, and the output left alone.  Any disagreement aborts, which
 * libFuzzer reports as a crash and saves as an input to replay.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memplug/hotplug_config.h"
#include "ref.h"

#define SHORT_ERR	6	/* a buffer too small for any message */

static const char *const class_name[] = {
	"ok", "invalid", "unknown", "duplicate", "missing", "range",
};

static const uint8_t *cur;
static size_t cur_len;

static void dump_input(void)
{
	size_t i;

	fprintf(stderr, "json_fuzz: input (%zu bytes): \"", cur_len);
	for (i = 0; i < cur_len; i++) {
		uint8_t c = cur[i];

		if (c == '"' || c == '\\')
			fprintf(stderr, "\\%c", c);
		else if (c >= 0x20 && c < 0x7f)
			fputc(c, stderr);
		else
			fprintf(stderr, "\\x%02x", c);
	}
	fprintf(stderr, "\"\n");
}

static void allowed_names(unsigned int allowed, char *buf, size_t len)
{
	size_t i, o = 0;

	buf[0] = 0;
	for (i = 0; i < sizeof(class_name) / sizeof(class_name[0]); i++)
		if (allowed & 1u << i)
			o += snprintf(buf + o, len - o, "%s%s", o ? "|" : "",
				      class_name[i]);
}

__attribute__((noreturn, format(printf, 2, 3)))
static void mismatch(const char *what, const char *fmt, ...)
{
	va_list ap;

	dump_input();
	fprintf(stderr, "json_fuzz: MISMATCH in %s: ", what);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	abort();
}

/*
 * String compares by hand: libFuzzer hooks the libc ones and would take
 * the messages compared here for words worth inserting into inputs.
 */
static bool starts(const char *s, const char *prefix)
{
	while (*prefix)
		if (*s++ != *prefix++)
			return false;
	return true;
}

static bool streq(const char *a, const char *b)
{
	return starts(a, b) && !a[strlen(b)];
}

/* The class of a refusal's message, or -1 for one of no known shape. */
static int classify(const char *msg)
{
	if (ref_is_rule_text(msg))
		return RC_RANGE;
	if (starts(msg, "unknown field `"))
		return RC_UNKNOWN;
	if (starts(msg, "duplicate field `"))
		return RC_DUPLICATE;
	if (starts(msg, "missing field `"))
		return RC_MISSING;
	if (starts(msg, "Invalid "))
		return RC_INVALID;
	return -1;
}

/*
 * A refusal: a non-empty, terminated message of a class the model allows,
 * and the exact text where the model knows it.
 */
static void check_refusal(const char *what, const struct ref_result *want,
			  const char *err)
{
	char allowed[64], exact[HOTPLUG_ERR_LEN];
	int c;

	if (!memchr(err, 0, HOTPLUG_ERR_LEN))
		mismatch(what, "message not terminated");
	if (!err[0])
		mismatch(what, "refused with an empty message");
	c = classify(err);
	allowed_names(want->allowed, allowed, sizeof(allowed));
	if (c < 0 || !(want->allowed & 1u << c))
		mismatch(what, "refused with \"%s\", the model wants %s", err,
			 allowed);
	exact[0] = 0;
	if (c == RC_RANGE)
		snprintf(exact, sizeof(exact), "%s", want->text);
	else if (c == RC_DUPLICATE)
		snprintf(exact, sizeof(exact), "duplicate field `%s`", want->name);
	else if (c == RC_MISSING)
		snprintf(exact, sizeof(exact), "missing field `%s`", want->name);
	if (exact[0] && !streq(err, exact))
		mismatch(what, "refused with \"%s\", the model says \"%s\"", err,
			 exact);
}

/*
 * The same call with a message buffer too short, and with none: the same
 * answer, a truncated and terminated message, no write outside.  Only for
 * one input length in four: the path is the one the full call took, and
 * three more parses of every input would cost a third of the runs.
 */
static void check_errlen(const char *what, int ret, const char *err,
			 int (*call)(char *err, size_t errlen))
{
	char small[SHORT_ERR];

	if (cur_len % 4)
		return;

	if (call(small, SHORT_ERR) != ret)
		mismatch(what, "another answer with a %d-byte message buffer",
			 SHORT_ERR);
	if (ret && (!memchr(small, 0, SHORT_ERR) || !starts(err, small)))
		mismatch(what, "the short message is not the long one's start");
	if (call(NULL, 0) != ret)
		mismatch(what, "another answer without a message buffer");
}

static struct hotplug_config put_out;

static int call_put(char *err, size_t errlen)
{
	return hotplug_config__parse_put((const char *)cur, cur_len, &put_out,
					 err, errlen);
}

static struct hotplug_patch patch_out;

static int call_patch(char *err, size_t errlen)
{
	return hotplug_config__parse_patch((const char *)cur, cur_len,
					   &patch_out, err, errlen);
}

static const struct hotplug_config put_poison = { 0xdead, 0xbeef, 0xf00d };
static const struct hotplug_patch patch_poison = { 0xdead };

static void check_put(const struct ref_doc *doc)
{
	const char *what = "parse_put";
	struct ref_result want;
	char err[HOTPLUG_ERR_LEN] = "";
	int ret;

	ref_eval(REF_PUT, doc, &want);
	put_out = put_poison;
	ret = call_put(err, HOTPLUG_ERR_LEN);
	if (ret != 0 && ret != -EINVAL)
		mismatch(what, "returned %d", ret);
	if (!ret != !!(want.allowed & 1u << RC_OK))
		mismatch(what, "%s, the model %s", ret ? err : "accepted",
			 ret ? "accepts" : "refuses");
	if (!ret) {
		if (put_out.total_size_mib != want.val[0] ||
		    put_out.block_size_mib != want.val[1] ||
		    put_out.slot_size_mib != want.val[2])
			mismatch(what, "values %llu %llu %llu, the model's %llu %llu %llu",
				 (unsigned long long)put_out.total_size_mib,
				 (unsigned long long)put_out.block_size_mib,
				 (unsigned long long)put_out.slot_size_mib,
				 (unsigned long long)want.val[0],
				 (unsigned long long)want.val[1],
				 (unsigned long long)want.val[2]);
	} else {
		check_refusal(what, &want, err);
		if (put_out.total_size_mib != put_poison.total_size_mib ||
		    put_out.block_size_mib != put_poison.block_size_mib ||
		    put_out.slot_size_mib != put_poison.slot_size_mib)
			mismatch(what, "a refused body changed the output");
	}
	check_errlen(what, ret, err, call_put);
}

static void check_patch(const struct ref_doc *doc)
{
	const char *what = "parse_patch";
	struct ref_result want;
	char err[HOTPLUG_ERR_LEN] = "";
	int ret;

	ref_eval(REF_PATCH, doc, &want);
	patch_out = patch_poison;
	ret = call_patch(err, HOTPLUG_ERR_LEN);
	if (ret != 0 && ret != -EINVAL)
		mismatch(what, "returned %d", ret);
	if (!ret != !!(want.allowed & 1u << RC_OK))
		mismatch(what, "%s, the model %s", ret ? err : "accepted",
			 ret ? "accepts" : "refuses");
	if (!ret) {
		if (patch_out.requested_size_mib != want.val[0])
			mismatch(what, "value %llu, the model's %llu",
				 (unsigned long long)patch_out.requested_size_mib,
				 (unsigned long long)want.val[0]);
	} else {
		check_refusal(what, &want, err);
		if (patch_out.requested_size_mib != patch_poison.requested_size_mib)
			mismatch(what, "a refused body changed the output");
	}
	check_errlen(what, ret, err, call_patch);
}

/*
 * hotplug_config__check() on its own, as REGISTER and CONFIG use it, with
 * the input's first 24 bytes as three sizes: values no JSON body that
 * passes the total's range ever reaches (huge blocks and slots).
 */
static void check_config(void)
{
	struct hotplug_config c;
	char err[HOTPLUG_ERR_LEN] = "";
	uint64_t v[3];
	const char *want;
	int ret;

	if (cur_len < sizeof(v))
		return;
	memcpy(v, cur, sizeof(v));
	c.total_size_mib = v[0];
	c.block_size_mib = v[1];
	c.slot_size_mib = v[2];
	want = ref_rules_check(REF_PUT, v);
	ret = hotplug_config__check(&c, err, sizeof(err));
	if (!ret != !want || (want && !streq(err, want)))
		mismatch("config_check", "%llu %llu %llu: \"%s\", the model \"%s\"",
			 (unsigned long long)v[0], (unsigned long long)v[1],
			 (unsigned long long)v[2], ret ? err : "ok",
			 want ? want : "ok");
}

/*
 * hotplug_config__check_patch() meets only configurations that passed
 * the check (memplugd checks one before any PATCH reaches it), and random
 * bytes are almost never one: bytes 24..31 build a passing one instead,
 * and a requested size around its total or a multiple of its block.
 */
static void check_patch_config(void)
{
	const uint8_t *b = cur + 24;
	struct hotplug_config c;
	struct hotplug_patch p;
	char err[HOTPLUG_ERR_LEN] = "";
	uint64_t cv[3], pv[3];
	unsigned int shift;
	int16_t off;
	const char *want;
	int ret;

	if (cur_len < 32)
		return;
	shift = b[0] % 21;
	c.block_size_mib = 1ULL << shift;
	c.slot_size_mib = c.block_size_mib << b[1] % (21 - shift);
	c.total_size_mib = c.slot_size_mib *
		((b[2] | b[3] << 8) % (1048576 / c.slot_size_mib) + 1);
	cv[0] = c.total_size_mib;
	cv[1] = c.block_size_mib;
	cv[2] = c.slot_size_mib;
	if (ref_rules_check(REF_PUT, cv) || hotplug_config__check(&c, err, sizeof(err)))
		mismatch("check_patch", "built configuration %llu %llu %llu refused",
			 (unsigned long long)cv[0], (unsigned long long)cv[1],
			 (unsigned long long)cv[2]);
	off = b[4] | b[5] << 8;
	if (b[6] & 1)
		p.requested_size_mib = c.total_size_mib + off;
	else
		p.requested_size_mib = off * c.block_size_mib + b[7] % 3;
	pv[0] = p.requested_size_mib;
	pv[1] = c.block_size_mib;
	pv[2] = c.total_size_mib;
	want = ref_rules_check(REF_PATCH_CONFIG, pv);
	ret = hotplug_config__check_patch(&c, &p, err, sizeof(err));
	if (!ret != !want || (want && !streq(err, want)))
		mismatch("check_patch", "%llu against %llu %llu %llu: \"%s\", the model \"%s\"",
			 (unsigned long long)pv[0], (unsigned long long)cv[0],
			 (unsigned long long)cv[1], (unsigned long long)cv[2],
			 ret ? err : "ok", want ? want : "ok");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ref_doc doc;

	cur = data;
	cur_len = size;
	ref_json_decode(data, size, &doc);
	check_put(&doc);
	check_patch(&doc);
	check_config();
	check_patch_config();
	return 0;
}
