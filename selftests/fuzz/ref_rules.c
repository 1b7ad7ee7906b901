// SPDX-License-Identifier: GPL-2.0
/*
 * The /hotplug/memory schema as one table, and the walk that applies it to
 * a decoded body the way serde (with deny_unknown_fields) and the seed's
 * checks do: events in stream order, the first error wins, range rules
 * only once the whole body parsed.
 *
 * The library was once held against serde_json 1.0.87 and serde_derive
 * 1.0.152 themselves (Debian's librust-serde-json-dev; the two structs
 * with deny_unknown_fields and the defaults) on 32,676 bodies: the seeds,
 * two fuzzing runs' corpora and 30,000 mutated seeds.  They differed only
 * where this walk says so below: an array body (serde accepts it), and
 * the kind of message for a key that is not UTF-8 and for a missing field
 * followed by trailing characters.
 */
#include <string.h>

#include "ref.h"

enum op {
	FIELD,		/* a field; n is its default unless required */
	FIELD_REQ,	/* a field without a default */
	MIN,		/* name >= n */
	MAX,		/* name <= n */
	POW2,		/* name is a power of two */
	GE,		/* name >= other */
	LE,		/* name <= other */
	MULT,		/* name is a multiple of other */
};

/* Fields first (their order is ref_result.val's), then rules in order. */
static const struct row {
	enum ref_body body;
	enum op op;
	const char *name;
	uint64_t n;
	const char *other;
	const char *text;
} table[] = {
	{ REF_PUT, FIELD_REQ, "total_size_mib", 0, NULL, NULL },
	{ REF_PUT, FIELD, "block_size_mib", 2, NULL, NULL },
	{ REF_PUT, FIELD, "slot_size_mib", 128, NULL, NULL },
	{ REF_PUT, MIN, "total_size_mib", 1, NULL,
	  "Invalid total_size_mib: must be 1..=1048576" },
	{ REF_PUT, MAX, "total_size_mib", 1048576, NULL,
	  "Invalid total_size_mib: must be 1..=1048576" },
	{ REF_PUT, MIN, "block_size_mib", 1, NULL,
	  "Invalid block_size_mib: must be >= 1" },
	{ REF_PUT, POW2, "block_size_mib", 0, NULL,
	  "Invalid block_size_mib: must be a power of two" },
	{ REF_PUT, MIN, "slot_size_mib", 1, NULL,
	  "Invalid slot_size_mib: must be >= 1" },
	{ REF_PUT, GE, "slot_size_mib", 0, "block_size_mib",
	  "Invalid hotplug-memory: slot_size_mib must be >= block_size_mib" },
	{ REF_PUT, MULT, "slot_size_mib", 0, "block_size_mib",
	  "Invalid hotplug-memory: slot_size_mib must be a multiple of block_size_mib" },
	{ REF_PUT, MULT, "total_size_mib", 0, "slot_size_mib",
	  "Invalid total_size_mib: must be a multiple of slot_size_mib" },

	{ REF_PATCH, FIELD_REQ, "requested_size_mib", 0, NULL, NULL },
	{ REF_PATCH, MAX, "requested_size_mib", 1048576, NULL,
	  "Invalid requested_size_mib: must be 0..=1048576" },

	{ REF_PATCH_CONFIG, FIELD_REQ, "requested_size_mib", 0, NULL, NULL },
	{ REF_PATCH_CONFIG, FIELD_REQ, "block_size_mib", 0, NULL, NULL },
	{ REF_PATCH_CONFIG, FIELD_REQ, "total_size_mib", 0, NULL, NULL },
	{ REF_PATCH_CONFIG, MULT, "requested_size_mib", 0, "block_size_mib",
	  "Invalid requested_size_mib: must be a multiple of block_size_mib" },
	{ REF_PATCH_CONFIG, LE, "requested_size_mib", 0, "total_size_mib",
	  "Invalid requested_size_mib: must be <= total_size_mib" },
};

#define NROWS	(sizeof(table) / sizeof(table[0]))

/*
 * Byte compares by hand: libFuzzer hooks strcmp() and memcmp() and would
 * learn the table's own strings from them, compared with each other.
 */
static bool same(const char *a, const uint8_t *b, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!a[i] || a[i] != (char)b[i])
			return false;
	return !a[len];
}

static bool is_field(const struct row *r)
{
	return r->op == FIELD || r->op == FIELD_REQ;
}

/* Index of field @name of @body in ref_result.val, or -1. */
static int field_index(enum ref_body body, const uint8_t *name, size_t len)
{
	size_t i;
	int idx = 0;

	for (i = 0; i < NROWS; i++) {
		if (table[i].body != body || !is_field(&table[i]))
			continue;
		if (same(table[i].name, name, len))
			return idx;
		idx++;
	}
	return -1;
}

static const struct row *field_row(enum ref_body body, int idx)
{
	size_t i;

	for (i = 0; i < NROWS; i++)
		if (table[i].body == body && is_field(&table[i]) && !idx--)
			return &table[i];
	return NULL;
}

static uint64_t get(enum ref_body body, const uint64_t *val, const char *name)
{
	size_t len = 0;

	while (name[len])
		len++;
	return val[field_index(body, (const uint8_t *)name, len)];
}

const char *ref_rules_check(enum ref_body body, const uint64_t *val)
{
	size_t i;

	for (i = 0; i < NROWS; i++) {
		const struct row *r = &table[i];
		uint64_t a, b = 0;
		bool ok;

		if (r->body != body || is_field(r))
			continue;
		a = get(body, val, r->name);
		if (r->other)
			b = get(body, val, r->other);
		switch (r->op) {
		case MIN:
			ok = a >= r->n;
			break;
		case MAX:
			ok = a <= r->n;
			break;
		case POW2:
			ok = __builtin_popcountll(a) == 1;
			break;
		case GE:
			ok = a >= b;
			break;
		case LE:
			ok = a <= b;
			break;
		case MULT:
			ok = b && a % b == 0;
			break;
		default:
			ok = false;
		}
		if (!ok)
			return r->text;
	}
	return NULL;
}

bool ref_is_rule_text(const char *msg)
{
	size_t i;

	for (i = 0; i < NROWS; i++)
		if (table[i].text && same(table[i].text, (const uint8_t *)msg,
					       strnlen(msg, 256)))
			return true;
	return false;
}

/*
 * A JSON number as a u64 field takes it: no sign, fraction or exponent
 * (serde reads those as i64 or f64 and refuses them), at most u64::MAX
 * (beyond, serde reads an f64).  The grammar already ruled out leading
 * zeros, so the digit count and a string compare decide the range.
 */
static bool as_u64(const struct ref_member *m, uint64_t *out)
{
	static const char u64_max[] = "18446744073709551615";
	uint64_t v = 0;
	size_t i;

	if (m->kind != RV_NUMBER || !m->rawlen)
		return false;
	for (i = 0; i < m->rawlen; i++)
		if (m->raw[i] < '0' || m->raw[i] > '9')
			return false;
	if (m->rawlen > sizeof(u64_max) - 1 ||
	    (m->rawlen == sizeof(u64_max) - 1 &&
	     memcmp(m->raw, u64_max, m->rawlen) > 0))
		return false;
	for (i = 0; i < m->rawlen; i++)
		v = v * 10 + (m->raw[i] - '0');
	*out = v;
	return true;
}

#define BIT(c)	(1u << (c))

/* The classes of answer that agree with the body; values into @res. */
static unsigned int walk(enum ref_body body, const struct ref_doc *doc,
			 struct ref_result *res)
{
	bool seen[REF_FIELDS] = { false };
	const struct row *f;
	size_t i;
	int idx;

	/*
	 * serde_json also fills a struct from an array, in field order
	 * ("[256,2,128]", or "[256]" with the defaults); the project refuses
	 * that on purpose (selftests/hotplug_config), so the model wants an
	 * object.
	 */
	if (!doc->object)
		return BIT(RC_INVALID);
	for (i = 0; ; i++) {
		const struct ref_member *m;

		if (i == doc->nkeys) {
			if (doc->closed)
				break;
			/* a syntax error between members or inside key i */
			return BIT(RC_INVALID);
		}
		/*
		 * Past fields + 1 keys one of them is unknown or a duplicate,
		 * so the walk never gets beyond what the decoder kept.
		 */
		if (i >= REF_MEMBERS)
			__builtin_trap();
		m = &doc->m[i];
		if (m->key_bad) {
			/*
			 * serde refuses the key's text itself (invalid UTF-8,
			 * a lone surrogate); the library, which only needs to
			 * know it is no field, calls it unknown: both refuse.
			 */
			return BIT(RC_INVALID) | BIT(RC_UNKNOWN);
		}
		idx = field_index(body, m->key, m->keylen);
		if (idx < 0)
			return BIT(RC_UNKNOWN);
		f = field_row(body, idx);
		if (seen[idx]) {
			res->name = f->name;
			return BIT(RC_DUPLICATE);
		}
		seen[idx] = true;
		if (i == doc->nvals)
			return BIT(RC_INVALID);	/* ':' or value */
		if (!as_u64(m, &res->val[idx]))
			return BIT(RC_INVALID);
	}
	/* '}': serde's visitor fills defaults and names a missing field */
	for (idx = 0; (f = field_row(body, idx)); idx++) {
		if (seen[idx])
			continue;
		if (f->op == FIELD_REQ) {
			res->name = f->name;
			/*
			 * serde names the missing field before it looks past
			 * the '}'; the library checks for trailing characters
			 * first.  Either is a refusal with a reason.
			 */
			return BIT(RC_MISSING) | (doc->ok ? 0 : BIT(RC_INVALID));
		}
		res->val[idx] = f->n;
	}
	if (!doc->ok)
		return BIT(RC_INVALID);	/* trailing characters */
	res->text = ref_rules_check(body, res->val);
	return BIT(res->text ? RC_RANGE : RC_OK);
}

void ref_eval(enum ref_body body, const struct ref_doc *doc,
	      struct ref_result *res)
{
	memset(res, 0, sizeof(*res));
	res->allowed = walk(body, doc, res);
}
