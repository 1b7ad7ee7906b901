// SPDX-License-Identifier: GPL-2.0
/*
 * Reference JSON decoder for the fuzzer: a plain recursive-descent parser
 * of the whole RFC 8259 grammar (any value, nested), slower and simpler
 * than the library's flat-object scanner.  For the top-level object it
 * records each member's decoded key bytes and its value's raw token.
 */
#include <string.h>

#include "ref.h"

#define DEPTH_MAX	512	/* deeper is a syntax error (and keeps the stack bounded) */

struct rd {
	const uint8_t *p, *end;
};

static bool at_end(struct rd *r)
{
	return r->p >= r->end;
}

static int peek(struct rd *r)
{
	return at_end(r) ? -1 : *r->p;
}

static void ws(struct rd *r)
{
	while (!at_end(r) && (*r->p == ' ' || *r->p == '\t' ||
			      *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

static bool lit(struct rd *r, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n))
		return false;
	r->p += n;
	return true;
}

static int hex4(struct rd *r)
{
	int v = 0, i;

	for (i = 0; i < 4; i++) {
		int c = peek(r);

		if (c >= '0' && c <= '9')
			c -= '0';
		else if (c >= 'a' && c <= 'f')
			c -= 'a' - 10;
		else if (c >= 'A' && c <= 'F')
			c -= 'A' - 10;
		else
			return -1;
		v = v * 16 + c;
		r->p++;
	}
	return v;
}

/* Append @n bytes to the key being decoded (counting past what is kept). */
static void put(struct ref_member *m, const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++, m->keylen++)
		if (m->keylen < REF_KEY_MAX)
			m->key[m->keylen] = b[i];
}

static void put_cp(struct ref_member *m, unsigned int cp)
{
	uint8_t b[4];

	if (cp < 0x80) {
		b[0] = cp;
		put(m, b, 1);
	} else if (cp < 0x800) {
		b[0] = 0xc0 | cp >> 6;
		b[1] = 0x80 | (cp & 0x3f);
		put(m, b, 2);
	} else if (cp < 0x10000) {
		b[0] = 0xe0 | cp >> 12;
		b[1] = 0x80 | (cp >> 6 & 0x3f);
		b[2] = 0x80 | (cp & 0x3f);
		put(m, b, 3);
	} else {
		b[0] = 0xf0 | cp >> 18;
		b[1] = 0x80 | (cp >> 12 & 0x3f);
		b[2] = 0x80 | (cp >> 6 & 0x3f);
		b[3] = 0x80 | (cp & 0x3f);
		put(m, b, 4);
	}
}

/*
 * Length of the well-formed UTF-8 sequence at @s (1..4), or 0: no
 * overlong forms, no encoded surrogates, nothing above U+10FFFF.
 */
static size_t utf8_len(const uint8_t *s, const uint8_t *end)
{
	size_t n, i;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if ((size_t)(end - s) < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

/*
 * A string; decoded into @m when it is a key (@m NULL for a value).
 * Invalid UTF-8 is not a syntax error here: it only marks the key bad.
 */
static bool string(struct rd *r, struct ref_member *m)
{
	if (peek(r) != '"')
		return false;
	r->p++;
	for (;;) {
		int c = peek(r);
		size_t n;

		if (c < 0)
			return false;
		if (c == '"') {
			r->p++;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c != '\\') {
			n = utf8_len(r->p, r->end);
			if (!n) {
				if (m)
					m->key_bad = true;
				n = 1;
			}
			if (m)
				put(m, r->p, n);
			r->p += n;
			continue;
		}
		r->p++;
		c = peek(r);
		if (c < 0)
			return false;
		r->p++;
		switch (c) {
		case '"':
		case '\\':
		case '/':
			break;
		case 'b':
			c = 8;
			break;
		case 'f':
			c = 12;
			break;
		case 'n':
			c = 10;
			break;
		case 'r':
			c = 13;
			break;
		case 't':
			c = 9;
			break;
		case 'u': {
			int hi = hex4(r), lo;

			if (hi < 0)
				return false;
			if (hi >= 0xdc00 && hi <= 0xdfff) {
				if (m)
					m->key_bad = true;
				continue;
			}
			if (hi < 0xd800 || hi > 0xdbff) {
				if (m)
					put_cp(m, hi);
				continue;
			}
			/* a high surrogate wants \u + a low one right after */
			if (r->end - r->p < 2 || r->p[0] != '\\' || r->p[1] != 'u') {
				if (m)
					m->key_bad = true;
				continue;
			}
			r->p += 2;
			lo = hex4(r);
			if (lo < 0)
				return false;
			if (lo < 0xdc00 || lo > 0xdfff) {
				/* serde refuses the pair whatever the second is */
				if (m)
					m->key_bad = true;
				continue;
			}
			if (m)
				put_cp(m, 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00));
			continue;
		}
		default:
			return false;
		}
		if (m) {
			uint8_t b = c;

			put(m, &b, 1);
		}
	}
}

static bool digits(struct rd *r)
{
	const uint8_t *s = r->p;

	while (peek(r) >= '0' && peek(r) <= '9')
		r->p++;
	return r->p > s;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool number(struct rd *r)
{
	if (peek(r) == '-')
		r->p++;
	if (peek(r) == '0')
		r->p++;
	else if (!digits(r))
		return false;
	if (peek(r) == '.') {
		r->p++;
		if (!digits(r))
			return false;
	}
	if (peek(r) == 'e' || peek(r) == 'E') {
		r->p++;
		if (peek(r) == '+' || peek(r) == '-')
			r->p++;
		if (!digits(r))
			return false;
	}
	return true;
}

static bool value(struct rd *r, int depth, enum ref_kind *kind);

static bool array(struct rd *r, int depth)
{
	enum ref_kind k;

	r->p++;
	ws(r);
	if (peek(r) == ']') {
		r->p++;
		return true;
	}
	for (;;) {
		ws(r);
		if (!value(r, depth + 1, &k))
			return false;
		ws(r);
		if (peek(r) == ']') {
			r->p++;
			return true;
		}
		if (peek(r) != ',')
			return false;
		r->p++;
	}
}

/* An object; its members go into @doc when it is the top-level one. */
static bool object(struct rd *r, int depth, struct ref_doc *doc)
{
	struct ref_member scratch, *m;
	enum ref_kind k;

	r->p++;
	ws(r);
	if (peek(r) == '}') {
		r->p++;
		return true;
	}
	for (;;) {
		m = NULL;
		if (doc) {
			m = doc->nkeys < REF_MEMBERS ? &doc->m[doc->nkeys] : &scratch;
			memset(m, 0, sizeof(*m));
		}
		ws(r);
		if (!string(r, m))
			return false;
		if (doc)
			doc->nkeys++;
		ws(r);
		if (peek(r) != ':')
			return false;
		r->p++;
		ws(r);
		if (m)
			m->raw = r->p;
		if (!value(r, depth + 1, &k))
			return false;
		if (doc) {
			m->kind = k;
			m->rawlen = r->p - m->raw;
			doc->nvals++;
		}
		ws(r);
		if (peek(r) == '}') {
			r->p++;
			return true;
		}
		if (peek(r) != ',')
			return false;
		r->p++;
	}
}

static bool value(struct rd *r, int depth, enum ref_kind *kind)
{
	int c = peek(r);

	if (depth > DEPTH_MAX)
		return false;
	if (c == '{') {
		*kind = RV_OBJECT;
		return object(r, depth, NULL);
	}
	if (c == '[') {
		*kind = RV_ARRAY;
		return array(r, depth);
	}
	if (c == '"') {
		*kind = RV_STRING;
		return string(r, NULL);
	}
	if (c == '-' || (c >= '0' && c <= '9')) {
		*kind = RV_NUMBER;
		return number(r);
	}
	*kind = RV_LITERAL;
	return lit(r, "true") || lit(r, "false") || lit(r, "null");
}

void ref_json_decode(const uint8_t *buf, size_t len, struct ref_doc *doc)
{
	struct rd r = { buf, buf + len };
	enum ref_kind k;

	memset(doc, 0, sizeof(*doc));
	ws(&r);
	if (peek(&r) == '{') {
		doc->object = true;
		if (!object(&r, 0, doc))
			return;
		doc->closed = true;
	} else if (!value(&r, 0, &k)) {
		return;
	}
	ws(&r);
	doc->ok = at_end(&r);
}
