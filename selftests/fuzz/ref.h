/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fuzzer's reference model of the /hotplug/memory bodies: a JSON
 * decoder (ref_json.c) and one table of the schema's rules (ref_rules.c),
 * written apart from lib/hotplug_config.c and sharing none of its code or
 * constants, so that a slip in one is not copied into the other.
 */
#ifndef MEMPLUG_FUZZ_REF_H
#define MEMPLUG_FUZZ_REF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REF_KEY_MAX	64	/* key bytes kept; longer keys are never fields */
#define REF_MEMBERS	8	/* members kept (> fields + 1, see ref_rules.c) */
#define REF_FIELDS	3	/* the most fields a body has */

enum ref_kind { RV_NUMBER, RV_STRING, RV_LITERAL, RV_OBJECT, RV_ARRAY };

struct ref_member {
	uint8_t key[REF_KEY_MAX];
	size_t keylen;		/* the whole decoded length */
	bool key_bad;		/* invalid UTF-8 or a lone surrogate escape */
	enum ref_kind kind;
	const uint8_t *raw;	/* the value's text, as it stands in the body */
	size_t rawlen;
};

/*
 * What the decoder saw, in stream order: keys[0], value[0], keys[1], ...,
 * the object's '}', the end of the body.  A syntax error stops the
 * sequence right after the last event that completed.
 */
struct ref_doc {
	bool object;		/* the body's value starts with '{' */
	size_t nkeys;		/* keys decoded completely */
	size_t nvals;		/* values parsed completely (nkeys or nkeys - 1) */
	bool closed;		/* the object's '}' was reached */
	bool ok;		/* the whole body is one valid JSON value */
	struct ref_member m[REF_MEMBERS];
};

void ref_json_decode(const uint8_t *buf, size_t len, struct ref_doc *doc);

/* REF_PATCH_CONFIG: a PATCH against a checked configuration, no body */
enum ref_body { REF_PUT, REF_PATCH, REF_PATCH_CONFIG };

/* Classes of an answer; the parser's message is sorted into one of them. */
enum ref_class {
	RC_OK,
	RC_INVALID,		/* syntax or type: "Invalid ..." */
	RC_UNKNOWN,		/* "unknown field `...`" */
	RC_DUPLICATE,		/* "duplicate field `NAME`", exactly */
	RC_MISSING,		/* "missing field `NAME`", exactly */
	RC_RANGE,		/* a rule's text, exactly */
};

struct ref_result {
	unsigned int allowed;	/* bit per enum ref_class the parser may answer */
	const char *text;	/* RC_RANGE: the rule's message */
	const char *name;	/* RC_DUPLICATE, RC_MISSING: the field */
	uint64_t val[REF_FIELDS]; /* RC_OK: the values, in the table's order */
};

void ref_eval(enum ref_body body, const struct ref_doc *doc,
	      struct ref_result *res);

/*
 * Check values, in the table's field order, against the body's rules
 * alone (as hotplug_config__check() and __check_patch() do): NULL or the
 * first broken rule's text.
 */
const char *ref_rules_check(enum ref_body body, const uint64_t *val);

/* Is @msg the text of one of the rules (of either body)? */
bool ref_is_rule_text(const char *msg);

#endif
