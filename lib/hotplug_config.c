// SPDX-License-Identifier: GPL-2.0
/*
 * hotplug_config: strict parser and validator of the /hotplug/memory JSON
 * bodies (see include/memplug/hotplug_config.h for why it is hand-written).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "memplug/hotplug_config.h"

#define MAX_FIELDS	3
#define KEY_MAX		64

struct field {
	const char *name;
	uint64_t *val;
	bool seen;
};

struct parser {
	const char *p, *end;
	char *err;
	size_t errlen;
};

static int fail(struct parser *ps, const char *fmt, ...)
{
	va_list ap;

	if (ps->errlen) {
		va_start(ap, fmt);
		vsnprintf(ps->err, ps->errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
				   *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * A JSON string as a key.  Escapes are decoded (a key spelled with \u
 * escapes is still the same key to serde); anything outside ASCII or
 * longer than any field name can only be an unknown field, which the
 * caller reports by name, so it is truncated rather than rejected here.
 */
static int parse_key(struct parser *ps, char *key, size_t *keylen)
{
	size_t n = 0;

	if (ps->p >= ps->end || *ps->p != '"')
		return fail(ps, "Invalid JSON: expected a field name in quotes");
	ps->p++;
	while (ps->p < ps->end && *ps->p != '"') {
		unsigned char c = *ps->p++;

		if (c < 0x20)
			return fail(ps, "Invalid JSON: control character in a string");
		if (c == '\\') {
			if (ps->p >= ps->end)
				break;
			c = *ps->p++;
			switch (c) {
			case '"': case '\\': case '/': break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case 'u': {
				int i, v = 0;

				for (i = 0; i < 4; i++) {
					int h = ps->p < ps->end ? hexval(*ps->p) : -1;

					if (h < 0)
						return fail(ps, "Invalid JSON: bad \\u escape");
					v = v * 16 + h;
					ps->p++;
				}
				c = v < 0x80 ? v : '?';
				break;
			}
			default:
				return fail(ps, "Invalid JSON: bad escape in a string");
			}
		}
		if (n < KEY_MAX - 1)
			key[n++] = c;
	}
	if (ps->p >= ps->end)
		return fail(ps, "Invalid JSON: unterminated string");
	ps->p++;
	key[n] = 0;
	*keylen = n;
	return 0;
}

/* Is the decoded key (which may hold a NUL from \u0000) exactly @name? */
static bool key_is(const char *key, size_t keylen, const char *name)
{
	return keylen == strlen(name) && !memcmp(key, name, keylen);
}

/* The key as serde names an unknown field: control characters escaped. */
static const char *key_show(const char *key, size_t keylen, char *buf,
			    size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < keylen && o + 8 < len; i++) {
		unsigned char c = key[i];

		if (c < 0x20 || c == 0x7f)
			o += snprintf(buf + o, len - o, "\\u{%x}", c);
		else
			buf[o++] = c;
	}
	buf[o] = 0;
	return buf;
}

/* A JSON value that must be an integer in 0..=u64::MAX. */
static int parse_u64(struct parser *ps, const char *name, uint64_t *out)
{
	const char *start = ps->p;
	uint64_t v = 0;

	if (ps->p >= ps->end)
		return fail(ps, "Invalid JSON: missing value for %s", name);
	switch (*ps->p) {
	case '-':
		return fail(ps, "Invalid %s: must be a non-negative integer", name);
	case '"':
	case 'n':
	case 't':
	case 'f':
	case '{':
	case '[':
		return fail(ps, "Invalid %s: must be an integer, not %s", name,
			    *ps->p == '"' ? "a string" : *ps->p == 'n' ? "null" :
			    *ps->p == '{' ? "an object" : *ps->p == '[' ?
			    "an array" : "a boolean");
	}
	if (*ps->p < '0' || *ps->p > '9')
		return fail(ps, "Invalid JSON: bad value for %s", name);
	while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
		unsigned d = *ps->p - '0';

		if (v > (UINT64_MAX - d) / 10)
			return fail(ps, "Invalid %s: number out of range", name);
		v = v * 10 + d;
		ps->p++;
	}
	if (ps->p < ps->end && (*ps->p == '.' || *ps->p == 'e' || *ps->p == 'E'))
		return fail(ps, "Invalid %s: must be an integer", name);
	if (*start == '0' && ps->p - start > 1)
		return fail(ps, "Invalid JSON: leading zero in %s", name);
	*out = v;
	return 0;
}

static int parse_object(struct parser *ps, struct field *f, int nf)
{
	char key[KEY_MAX], shown[2 * KEY_MAX];
	size_t keylen = 0;
	int i, ret;

	skip_ws(ps);
	if (ps->p >= ps->end || *ps->p != '{')
		return fail(ps, "Invalid JSON: expected an object");
	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == '}') {
		ps->p++;
		goto done;
	}
	for (;;) {
		skip_ws(ps);
		ret = parse_key(ps, key, &keylen);
		if (ret)
			return ret;
		for (i = 0; i < nf; i++)
			if (key_is(key, keylen, f[i].name))
				break;
		if (i == nf)
			return fail(ps, "unknown field `%s`",
				    key_show(key, keylen, shown, sizeof(shown)));
		if (f[i].seen)
			return fail(ps, "duplicate field `%s`", key);
		f[i].seen = true;
		skip_ws(ps);
		if (ps->p >= ps->end || *ps->p != ':')
			return fail(ps, "Invalid JSON: expected ':' after `%s`", key);
		ps->p++;
		skip_ws(ps);
		ret = parse_u64(ps, f[i].name, f[i].val);
		if (ret)
			return ret;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == '}') {
			ps->p++;
			break;
		}
		return fail(ps, "Invalid JSON: expected ',' or '}'");
	}
done:
	skip_ws(ps);
	if (ps->p != ps->end)
		return fail(ps, "Invalid JSON: trailing characters");
	return 0;
}

int hotplug_config__parse_put(const char *json, size_t len,
			      struct hotplug_config *cfg, char *err,
			      size_t errlen)
{
	struct parser ps = { json, json + len, err, errlen };
	struct hotplug_config c = {
		.block_size_mib = HOTPLUG_DEFAULT_BLOCK_MIB,
		.slot_size_mib = HOTPLUG_DEFAULT_SLOT_MIB,
	};
	struct field f[MAX_FIELDS] = {
		{ "total_size_mib", &c.total_size_mib, false },
		{ "block_size_mib", &c.block_size_mib, false },
		{ "slot_size_mib", &c.slot_size_mib, false },
	};
	int ret;

	ret = parse_object(&ps, f, 3);
	if (ret)
		return ret;
	if (!f[0].seen)
		return fail(&ps, "missing field `total_size_mib`");
	ret = hotplug_config__check(&c, err, errlen);
	if (ret)
		return ret;
	*cfg = c;
	return 0;
}

int hotplug_config__check(const struct hotplug_config *c, char *err,
			  size_t errlen)
{
	struct parser ps = { NULL, NULL, err, errlen };

	if (c->total_size_mib < 1 || c->total_size_mib > HOTPLUG_MAX_MIB)
		return fail(&ps, "Invalid total_size_mib: must be 1..=1048576");
	if (c->block_size_mib < 1)
		return fail(&ps, "Invalid block_size_mib: must be >= 1");
	/* The virtio-mem spec wants a power-of-two block size. */
	if (c->block_size_mib & (c->block_size_mib - 1))
		return fail(&ps, "Invalid block_size_mib: must be a power of two");
	if (c->slot_size_mib < 1)
		return fail(&ps, "Invalid slot_size_mib: must be >= 1");
	if (c->slot_size_mib < c->block_size_mib)
		return fail(&ps, "Invalid hotplug-memory: slot_size_mib must be >= block_size_mib");
	if (c->slot_size_mib % c->block_size_mib)
		return fail(&ps, "Invalid hotplug-memory: slot_size_mib must be a multiple of block_size_mib");
	if (c->total_size_mib % c->slot_size_mib)
		return fail(&ps, "Invalid total_size_mib: must be a multiple of slot_size_mib");
	return 0;
}

int hotplug_config__parse_patch(const char *json, size_t len,
				struct hotplug_patch *patch, char *err,
				size_t errlen)
{
	struct parser ps = { json, json + len, err, errlen };
	struct hotplug_patch p = { 0 };
	struct field f[1] = { { "requested_size_mib", &p.requested_size_mib, false } };
	int ret;

	ret = parse_object(&ps, f, 1);
	if (ret)
		return ret;
	if (!f[0].seen)
		return fail(&ps, "missing field `requested_size_mib`");
	if (p.requested_size_mib > HOTPLUG_MAX_MIB)
		return fail(&ps, "Invalid requested_size_mib: must be 0..=1048576");
	*patch = p;
	return 0;
}

int hotplug_config__check_patch(const struct hotplug_config *cfg,
				const struct hotplug_patch *patch, char *err,
				size_t errlen)
{
	struct parser ps = { NULL, NULL, err, errlen };

	if (patch->requested_size_mib % cfg->block_size_mib)
		return fail(&ps, "Invalid requested_size_mib: must be a multiple of block_size_mib");
	if (patch->requested_size_mib > cfg->total_size_mib)
		return fail(&ps, "Invalid requested_size_mib: must be <= total_size_mib");
	return 0;
}

int hotplug_config__format_get(const struct hotplug_state *st, char *buf,
			       size_t len)
{
	return snprintf(buf, len,
			"{\"total_size_mib\":%" PRIu64 ",\"block_size_mib\":%" PRIu64
			",\"slot_size_mib\":%" PRIu64 ",\"plugged_size_mib\":%" PRIu64
			",\"requested_size_mib\":%" PRIu64 "}",
			st->config.total_size_mib, st->config.block_size_mib,
			st->config.slot_size_mib, st->plugged_size_mib,
			st->requested_size_mib);
}
