// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the /hotplug/memory JSON schema (lib/hotplug_config.c):
 * squib's five cases, the messages of Documentation/json.md and the strict
 * typing serde gives squib.
 */
#include <errno.h>
#include <string.h>

#include "kselftest_harness.h"
#include "memplug/hotplug_config.h"

static int put(const char *s, struct hotplug_config *c, char *err)
{
	return hotplug_config__parse_put(s, strlen(s), c, err, HOTPLUG_ERR_LEN);
}

static int patch(const char *s, struct hotplug_patch *p, char *err)
{
	return hotplug_config__parse_patch(s, strlen(s), p, err, HOTPLUG_ERR_LEN);
}

#define PUT_FAILS(json, msg) do {					\
	struct hotplug_config c = { 7, 7, 7 };				\
	char err[HOTPLUG_ERR_LEN] = "";					\
	ASSERT_EQ(-EINVAL, put(json, &c, err));				\
	if (msg)							\
		ASSERT_STREQ((const char *)(msg), err);			\
	ASSERT_NE(0, err[0]);						\
	/* a rejected body changes nothing */				\
	ASSERT_EQ(7, c.total_size_mib);					\
} while (0)

#define PATCH_FAILS(json, msg) do {					\
	struct hotplug_patch p = { 7 };					\
	char err[HOTPLUG_ERR_LEN] = "";					\
	ASSERT_EQ(-EINVAL, patch(json, &p, err));			\
	if (msg)							\
		ASSERT_STREQ((const char *)(msg), err);			\
	ASSERT_NE(0, err[0]);						\
	ASSERT_EQ(7, p.requested_size_mib);				\
} while (0)

/* seed 1 */
TEST(seed_accepts_256_2_128)
{
	struct hotplug_config c;
	char err[HOTPLUG_ERR_LEN];

	ASSERT_EQ(0, put("{\"total_size_mib\":256,\"block_size_mib\":2,\"slot_size_mib\":128}", &c, err));
	ASSERT_EQ(256, c.total_size_mib);
	ASSERT_EQ(2, c.block_size_mib);
	ASSERT_EQ(128, c.slot_size_mib);
}

/* seed 2 */
TEST(seed_rejects_total_100_slot_128)
{
	PUT_FAILS("{\"total_size_mib\":100,\"slot_size_mib\":128}",
		  "Invalid total_size_mib: must be a multiple of slot_size_mib");
}

/* seed 3 */
TEST(seed_rejects_slot_below_block)
{
	PUT_FAILS("{\"total_size_mib\":256,\"block_size_mib\":64,\"slot_size_mib\":32}",
		  "Invalid hotplug-memory: slot_size_mib must be >= block_size_mib");
}

/* seed 4 */
TEST(seed_accepts_requested_0)
{
	struct hotplug_patch p = { 9 };
	char err[HOTPLUG_ERR_LEN];

	ASSERT_EQ(0, patch("{\"requested_size_mib\":0}", &p, err));
	ASSERT_EQ(0, p.requested_size_mib);
}

/* seed 5 */
TEST(seed_patch_parses_512)
{
	struct hotplug_patch p;
	char err[HOTPLUG_ERR_LEN];

	ASSERT_EQ(0, patch("{\"requested_size_mib\":512}", &p, err));
	ASSERT_EQ(512, p.requested_size_mib);
}

TEST(put_defaults)
{
	struct hotplug_config c;
	char err[HOTPLUG_ERR_LEN];

	ASSERT_EQ(0, put(" {\n\"total_size_mib\" : 1024 }\n", &c, err));
	ASSERT_EQ(1024, c.total_size_mib);
	ASSERT_EQ(2, c.block_size_mib);
	ASSERT_EQ(128, c.slot_size_mib);
	ASSERT_EQ(0, put("{\"total_size_mib\":1048576}", &c, err));
	ASSERT_EQ(0, put("{\"total_size_mib\":64,\"block_size_mib\":1,\"slot_size_mib\":64}", &c, err));
	/* an escaped key is the same key */
	ASSERT_EQ(0, put("{\"total_\\u0073ize_mib\":128}", &c, err));
	ASSERT_EQ(128, c.total_size_mib);
}

TEST(put_range_messages)
{
	PUT_FAILS("{\"total_size_mib\":0}", "Invalid total_size_mib: must be 1..=1048576");
	PUT_FAILS("{\"total_size_mib\":1048704}", "Invalid total_size_mib: must be 1..=1048576");
	PUT_FAILS("{\"total_size_mib\":128,\"block_size_mib\":0}", "Invalid block_size_mib: must be >= 1");
	PUT_FAILS("{\"total_size_mib\":128,\"slot_size_mib\":0}", "Invalid slot_size_mib: must be >= 1");
	PUT_FAILS("{\"total_size_mib\":384,\"block_size_mib\":3,\"slot_size_mib\":3}",
		  "Invalid block_size_mib: must be a power of two");
	PUT_FAILS("{\"total_size_mib\":96,\"block_size_mib\":64,\"slot_size_mib\":96}",
		  "Invalid hotplug-memory: slot_size_mib must be a multiple of block_size_mib");
}

TEST(put_structure)
{
	PUT_FAILS("{}", "missing field `total_size_mib`");
	PUT_FAILS("{\"block_size_mib\":2}", "missing field `total_size_mib`");
	PUT_FAILS("{\"total_size_mib\":256,\"foo\":1}", "unknown field `foo`");
	PUT_FAILS("{\"total_size_mib\":256,\"total_size_mib\":256}",
		  "duplicate field `total_size_mib`");
	PUT_FAILS("{\"total_size_mib\":256}x", "Invalid JSON: trailing characters");
	PUT_FAILS("{\"total_size_mib\":256}{}", "Invalid JSON: trailing characters");
	PUT_FAILS("{\"total_size_mib\":256,}", NULL);
	PUT_FAILS("{\"total_size_mib\":256", NULL);
	PUT_FAILS("", NULL);
	PUT_FAILS("[256]", NULL);
	PUT_FAILS("{\"total_size_mib\" 256}", NULL);
}

TEST(put_strict_types)
{
	PUT_FAILS("{\"total_size_mib\":-256}", "Invalid total_size_mib: must be a non-negative integer");
	PUT_FAILS("{\"total_size_mib\":256.0}", "Invalid total_size_mib: must be an integer");
	PUT_FAILS("{\"total_size_mib\":2.56e2}", "Invalid total_size_mib: must be an integer");
	PUT_FAILS("{\"total_size_mib\":256e0}", "Invalid total_size_mib: must be an integer");
	PUT_FAILS("{\"total_size_mib\":\"256\"}", "Invalid total_size_mib: must be an integer, not a string");
	PUT_FAILS("{\"total_size_mib\":null}", "Invalid total_size_mib: must be an integer, not null");
	PUT_FAILS("{\"total_size_mib\":true}", "Invalid total_size_mib: must be an integer, not a boolean");
	PUT_FAILS("{\"total_size_mib\":[256]}", "Invalid total_size_mib: must be an integer, not an array");
	PUT_FAILS("{\"total_size_mib\":18446744073709551616}", "Invalid total_size_mib: number out of range");
	/* u64::MAX itself is a number, just out of the schema's range */
	PUT_FAILS("{\"total_size_mib\":18446744073709551615}", "Invalid total_size_mib: must be 1..=1048576");
	PUT_FAILS("{\"total_size_mib\":0256}", NULL);
	PUT_FAILS("{\"total_size_mib\":+256}", NULL);
}

TEST(patch_messages)
{
	PATCH_FAILS("{\"requested_size_mib\":1048578}", "Invalid requested_size_mib: must be 0..=1048576");
	PATCH_FAILS("{}", "missing field `requested_size_mib`");
	PATCH_FAILS("{\"requested_size_mib\":512,\"total_size_mib\":1024}", "unknown field `total_size_mib`");
	PATCH_FAILS("{\"requested_size_mib\":512,\"requested_size_mib\":0}",
		    "duplicate field `requested_size_mib`");
	PATCH_FAILS("{\"requested_size_mib\":-1}", "Invalid requested_size_mib: must be a non-negative integer");
	PATCH_FAILS("{\"requested_size_mib\":1.5}", "Invalid requested_size_mib: must be an integer");
	PATCH_FAILS("{\"requested_size_mib\":null}", "Invalid requested_size_mib: must be an integer, not null");
	PATCH_FAILS("{\"requested_size_mib\":512} 0", "Invalid JSON: trailing characters");
}

TEST(patch_against_config)
{
	struct hotplug_config c = { 1024, 2, 128 };
	struct hotplug_patch p = { 512 };
	char err[HOTPLUG_ERR_LEN];

	ASSERT_EQ(0, hotplug_config__check_patch(&c, &p, err, sizeof(err)));
	p.requested_size_mib = 1024;
	ASSERT_EQ(0, hotplug_config__check_patch(&c, &p, err, sizeof(err)));
	p.requested_size_mib = 3;
	ASSERT_EQ(-EINVAL, hotplug_config__check_patch(&c, &p, err, sizeof(err)));
	ASSERT_STREQ("Invalid requested_size_mib: must be a multiple of block_size_mib", err);
	p.requested_size_mib = 1026;
	ASSERT_EQ(-EINVAL, hotplug_config__check_patch(&c, &p, err, sizeof(err)));
	ASSERT_STREQ("Invalid requested_size_mib: must be <= total_size_mib", err);
}

TEST(get_format)
{
	struct hotplug_state st = { { 1024, 2, 128 }, 510, 512 };
	char buf[256];

	hotplug_config__format_get(&st, buf, sizeof(buf));
	ASSERT_STREQ("{\"total_size_mib\":1024,\"block_size_mib\":2,\"slot_size_mib\":128,"
		     "\"plugged_size_mib\":510,\"requested_size_mib\":512}", buf);
}

/* A \u0000 in a key makes another key, never a prefix of a known one. */
TEST(nul_escape_in_key_is_unknown_field)
{
	PUT_FAILS("{\"total_size_mib\\u0000junk\":1024}",
		  "unknown field `total_size_mib\\u{0}junk`");
	PUT_FAILS("{\"total_size_mib\\u0000\":1024}",
		  "unknown field `total_size_mib\\u{0}`");
	PATCH_FAILS("{\"requested_size_mib\\u0000\":2}",
		    "unknown field `requested_size_mib\\u{0}`");
}

/* A raw NUL is a byte like any other: inside the length, it is refused. */
TEST(raw_nul_in_body_is_refused)
{
	static const char body[] = "{\"total_size_mib\":1024}\0junk";
	struct hotplug_config c = { 7, 7, 7 };
	char err[HOTPLUG_ERR_LEN];

	ASSERT_EQ(-EINVAL, hotplug_config__parse_put(body, sizeof(body) - 1,
						     &c, err, sizeof(err)));
	ASSERT_STREQ("Invalid JSON: trailing characters", err);
	ASSERT_EQ(7, c.total_size_mib);
}

/* The check PUT bodies, REGISTER and CONFIG share, on its own. */
TEST(config_check)
{
	struct hotplug_config ok = { 1024, 2, 128 };
	struct hotplug_config bad[] = {
		{ 0, 2, 128 }, { 1024, 0, 128 }, { 1024, 2, 0 },
		{ 1024, 3, 129 }, { 1024, 4, 2 }, { 1024, 4, 6 },
		{ 1000, 2, 128 }, { 1ULL << 44, 2, 128 }, { UINT64_MAX, 2, 128 },
	};
	char err[HOTPLUG_ERR_LEN];
	unsigned int i;

	ASSERT_EQ(0, hotplug_config__check(&ok, err, sizeof(err)));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		EXPECT_EQ(-EINVAL, hotplug_config__check(&bad[i], err, sizeof(err)))
			TH_LOG("case %u accepted", i);
		EXPECT_NE(0, err[0]);
	}
}

TEST_HARNESS_MAIN
