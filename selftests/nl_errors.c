// SPDX-License-Identifier: GPL-2.0
/*
 * Every class of bad request the mtier netlink family must refuse, each
 * checked for the errno, the extack text and the attribute the kernel
 * blames (or reports missing), plus the permission checks.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "nl_lib.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define NAME31 "abcdefghijklmnopqrstuvwxyz01234"
#define NAME32 NAME31 "5"

/* The request was refused with @err, the extack says @text and blames @attr. */
#define EXPECT_REFUSED(r, err, text, attr) do {				\
	EXPECT_EQ(-(err), (r).error);					\
	EXPECT_TRUE(strstr((r).msg, (text)) != NULL)			\
		TH_LOG("extack '%s', expected '%s'", (r).msg, (text));	\
	EXPECT_EQ((attr), (r).bad_attr);				\
} while (0)

/* The request was refused because attribute @attr is missing. */
#define EXPECT_MISSING(r, attr, what) do {				\
	EXPECT_EQ(-EINVAL, (r).error);					\
	EXPECT_EQ((attr), (r).miss_type);				\
	EXPECT_STREQ("missing attribute: " what, (r).msg);		\
} while (0)

FIXTURE(nl) {
	struct nlt_sock s;
	struct nlt_msg m;
	struct nlt_reply r;
};

FIXTURE_SETUP(nl)
{
	int err = nlt_open(&self->s);

	if (err == -ENOENT)
		SKIP(return, "mtier module not loaded");
	ASSERT_EQ(0, err);
	ASSERT_EQ(0, nlt_flush(&self->s));
}

FIXTURE_TEARDOWN(nl)
{
	if (self->s.family)
		EXPECT_EQ(0, nlt_flush(&self->s));
	nlt_close(&self->s);
}

static void pool_req(struct nlt_msg *m, struct nlt_sock *s, const char *name,
		     uint64_t size)
{
	nlt_init(m, s, MTIER_CMD_POOL_ADD, 0);
	if (name)
		nlt_put_str(m, MTIER_A_POOL_NAME, name);
	if (size)
		nlt_put_u64(m, MTIER_A_POOL_SIZE, size);
}

static void tier_req(struct nlt_msg *m, struct nlt_sock *s, const char *name,
		     uint64_t size, const char *peer)
{
	nlt_init(m, s, MTIER_CMD_TIER_ADD, 0);
	nlt_put_str(m, MTIER_A_TIER_NAME, name);
	if (size)
		nlt_put_u64(m, MTIER_A_TIER_SIZE, size);
	if (peer)
		nlt_put_str(m, MTIER_A_TIER_PEER, peer);
}

/* --- names --------------------------------------------------------- */

TEST_F(nl, name_missing)
{
	pool_req(&self->m, &self->s, NULL, 64 * MiB);
	nlt_transact(&self->s, &self->m, &self->r);
	EXPECT_MISSING(self->r, MTIER_A_POOL_NAME, "name");
}

TEST_F(nl, name_empty)
{
	pool_req(&self->m, &self->s, "", 64 * MiB);
	nlt_transact(&self->s, &self->m, &self->r);
	EXPECT_REFUSED(self->r, EINVAL, "name is empty", MTIER_A_POOL_NAME);
}

TEST_F(nl, name_bad_character)
{
	pool_req(&self->m, &self->s, "a/b", 64 * MiB);
	nlt_transact(&self->s, &self->m, &self->r);
	EXPECT_REFUSED(self->r, EINVAL, "invalid character (0x2f)",
		       MTIER_A_POOL_NAME);
}

TEST_F(nl, name_too_long)
{
	pool_req(&self->m, &self->s, NAME32, 64 * MiB);
	nlt_transact(&self->s, &self->m, &self->r);
	EXPECT_REFUSED(self->r, EINVAL, "Attribute failed policy validation",
		       MTIER_A_POOL_NAME);
	EXPECT_EQ(MTIER_NAME_LEN, self->r.pol_max_len);
}

TEST_F(nl, name_longest_accepted)
{
	ASSERT_EQ(0, nlt_pool_add(&self->s, NAME31, 64 * MiB, 0, &self->r));
	/* a duplicate of the longest name: the message must not be cut */
	nlt_pool_add(&self->s, NAME31, 64 * MiB, 7000, &self->r);
	EXPECT_REFUSED(self->r, EEXIST, "pool '" NAME31 "' already exists",
		       MTIER_A_POOL_NAME);
}

TEST_F(nl, name_wrong_type)
{
	uint32_t v = 0x41424344;	/* four bytes, no NUL */

	nlt_init(&self->m, &self->s, MTIER_CMD_POOL_ADD, 0);
	nlt_put(&self->m, MTIER_A_POOL_NAME, &v, sizeof(v));
	nlt_put_u64(&self->m, MTIER_A_POOL_SIZE, 64 * MiB);
	nlt_transact(&self->s, &self->m, &self->r);
	EXPECT_REFUSED(self->r, EINVAL, "Attribute failed policy validation",
		       MTIER_A_POOL_NAME);
}

TEST_F(nl, duplicate_name_per_kind)
{
	ASSERT_EQ(0, nlt_pool_add(&self->s, "x", 64 * MiB, 0, &self->r));
	nlt_pool_add(&self->s, "x", 64 * MiB, 7001, &self->r);
	EXPECT_REFUSED(self->r, EEXIST, "pool 'x' already exists",
		       MTIER_A_POOL_NAME);
	/* names are per kind: a peer may be called like a pool */
	EXPECT_EQ(0, nlt_peer_add(&self->s, "x", "10.1.1.1", 0, &self->r));
	nlt_peer_add(&self->s, "x", "10.1.1.2", 0, &self->r);
	EXPECT_REFUSED(self->r, EEXIST, "peer 'x' already exists",
		       MTIER_A_PEER_NAME);
}

TEST_F(nl, unknown_name)
{
	static const struct { uint8_t cmd; uint16_t attr; const char *kind; } ops[] = {
		{ MTIER_CMD_POOL_GET, MTIER_A_POOL_NAME, "pool" },
		{ MTIER_CMD_POOL_DEL, MTIER_A_POOL_NAME, "pool" },
		{ MTIER_CMD_POOL_SET, MTIER_A_POOL_NAME, "pool" },
		{ MTIER_CMD_PEER_GET, MTIER_A_PEER_NAME, "peer" },
		{ MTIER_CMD_PEER_DEL, MTIER_A_PEER_NAME, "peer" },
		{ MTIER_CMD_PEER_SET, MTIER_A_PEER_NAME, "peer" },
		{ MTIER_CMD_TIER_GET, MTIER_A_TIER_NAME, "tier" },
		{ MTIER_CMD_TIER_DEL, MTIER_A_TIER_NAME, "tier" },
		{ MTIER_CMD_TIER_SET, MTIER_A_TIER_NAME, "tier" },
	};
	char text[64];
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		nlt_del(&self->s, ops[i].cmd, ops[i].attr, "ghost", &self->r);
		snprintf(text, sizeof(text), "%s 'ghost' does not exist",
			 ops[i].kind);
		EXPECT_REFUSED(self->r, ENOENT, text, ops[i].attr);
		/* and without a name at all */
		nlt_init(&self->m, &self->s, ops[i].cmd, 0);
		nlt_transact(&self->s, &self->m, &self->r);
		EXPECT_MISSING(self->r, ops[i].attr, "name");
	}
}

/* --- malformed attributes -------------------------------------------- */

TEST_F(nl, unknown_attribute)
{
	pool_req(&self->m, &self->s, "p", 64 * MiB);
	nlt_put_u32(&self->m, 200, 1);
	nlt_transact(&self->s, &self->m, &self->r);
	EXPECT_REFUSED(self->r, EINVAL, "Unknown attribute type", 200);
}

TEST_F(nl, read_only_attribute)
{
	/*
	 * "used" is reported, never set: pool add does not take it (within
	 * the operation's policy, so the kernel calls it unsupported)
	 */
	pool_req(&self->m, &self->s, "p", 64 * MiB);
	nlt_put_u64(&self->m, MTIER_A_POOL_USED, 0);
	nlt_transact(&self->s, &self->m, &self->r);
	EXPECT_REFUSED(self->r, EINVAL, "Unsupported attribute",
		       MTIER_A_POOL_USED);
}

TEST_F(nl, wrong_length)
{
	uint16_t two = 1;

	pool_req(&self->m, &self->s, "p", 0);
	nlt_put(&self->m, MTIER_A_POOL_SIZE, &two, sizeof(two));
	nlt_transact(&self->s, &self->m, &self->r);
	EXPECT_REFUSED(self->r, EINVAL, "invalid attribute length",
		       MTIER_A_POOL_SIZE);

	pool_req(&self->m, &self->s, "p", 64 * MiB);
	nlt_put_u32(&self->m, MTIER_A_POOL_PORT, 7000);
	nlt_transact(&self->s, &self->m, &self->r);
	EXPECT_REFUSED(self->r, EINVAL, "invalid attribute length",
		       MTIER_A_POOL_PORT);
}

TEST_F(nl, nested_flag_on_scalar)
{
	uint32_t v = 1;

	pool_req(&self->m, &self->s, "p", 64 * MiB);
	nlt_put(&self->m, MTIER_A_POOL_TRANSPORT | NLA_F_NESTED, &v, sizeof(v));
	nlt_transact(&self->s, &self->m, &self->r);
	EXPECT_REFUSED(self->r, EINVAL, "NLA_F_NESTED not expected",
		       MTIER_A_POOL_TRANSPORT);
}

TEST_F(nl, enum_out_of_range)
{
	pool_req(&self->m, &self->s, "p", 64 * MiB);
	nlt_put_u32(&self->m, MTIER_A_POOL_TRANSPORT, 9);
	nlt_transact(&self->s, &self->m, &self->r);
	EXPECT_REFUSED(self->r, ERANGE, "integer out of range",
		       MTIER_A_POOL_TRANSPORT);
	EXPECT_EQ(MTIER_TRANSPORT_TCP, self->r.pol_max);
}

TEST_F(nl, transport_not_implemented)
{
	pool_req(&self->m, &self->s, "p", 64 * MiB);
	nlt_put_u32(&self->m, MTIER_A_POOL_TRANSPORT, MTIER_TRANSPORT_TCP);
	nlt_transact(&self->s, &self->m, &self->r);
	EXPECT_REFUSED(self->r, EOPNOTSUPP, "transport tcp is not implemented",
		       MTIER_A_POOL_TRANSPORT);
}

/* --- pools ---------------------------------------------------------- */

TEST_F(nl, pool_size_missing)
{
	pool_req(&self->m, &self->s, "p", 0);
	nlt_transact(&self->s, &self->m, &self->r);
	EXPECT_MISSING(self->r, MTIER_A_POOL_SIZE, "size");
}

TEST_F(nl, pool_size_invalid)
{
	pool_req(&self->m, &self->s, "p", 0);
	nlt_put_u64(&self->m, MTIER_A_POOL_SIZE, 0);
	nlt_transact(&self->s, &self->m, &self->r);
	EXPECT_REFUSED(self->r, EINVAL, "non-zero multiple of 1M",
		       MTIER_A_POOL_SIZE);

	pool_req(&self->m, &self->s, "p", 3 * MiB + 4096);
	nlt_transact(&self->s, &self->m, &self->r);
	EXPECT_REFUSED(self->r, EINVAL, "non-zero multiple of 1M",
		       MTIER_A_POOL_SIZE);

	pool_req(&self->m, &self->s, "p", 3 * MiB);
	nlt_put_u64(&self->m, MTIER_A_POOL_SLAB_SIZE, 2 * MiB);
	nlt_transact(&self->s, &self->m, &self->r);
	EXPECT_REFUSED(self->r, EINVAL, "multiple of the slab size (2097152)",
		       MTIER_A_POOL_SIZE);

	pool_req(&self->m, &self->s, "p", 2 * MiB);
	nlt_put_u64(&self->m, MTIER_A_POOL_SLAB_SIZE, 4 * MiB);
	nlt_transact(&self->s, &self->m, &self->r);
	EXPECT_REFUSED(self->r, EINVAL, "at least the slab size",
		       MTIER_A_POOL_SIZE);
}

TEST_F(nl, pool_slab_invalid)
{
	pool_req(&self->m, &self->s, "p", 64 * MiB);
	nlt_put_u64(&self->m, MTIER_A_POOL_SLAB_SIZE, 3 * MiB);
	nlt_transact(&self->s, &self->m, &self->r);
	EXPECT_REFUSED(self->r, EINVAL, "power of two", MTIER_A_POOL_SLAB_SIZE);

	pool_req(&self->m, &self->s, "p", 64 * MiB);
	nlt_put_u64(&self->m, MTIER_A_POOL_SLAB_SIZE, 512 * 1024);
	nlt_transact(&self->s, &self->m, &self->r);
	EXPECT_REFUSED(self->r, ERANGE, "between 1M and 1G",
		       MTIER_A_POOL_SLAB_SIZE);

	pool_req(&self->m, &self->s, "p", 4 * GiB);
	nlt_put_u64(&self->m, MTIER_A_POOL_SLAB_SIZE, 2 * GiB);
	nlt_transact(&self->s, &self->m, &self->r);
	EXPECT_REFUSED(self->r, ERANGE, "between 1M and 1G",
		       MTIER_A_POOL_SLAB_SIZE);
}

TEST_F(nl, pool_larger_than_node)
{
	/* a petabyte is more than any test VM has */
	nlt_pool_add(&self->s, "p", 1ULL << 50, 0, &self->r);
	EXPECT_REFUSED(self->r, ENOMEM, "exceeds what this node can donate",
		       MTIER_A_POOL_SIZE);

	/* what one pool takes, the next cannot have */
	ASSERT_EQ(0, nlt_pool_add(&self->s, "a", 64 * MiB, 0, &self->r));
	nlt_init(&self->m, &self->s, MTIER_CMD_POOL_SET, 0);
	nlt_put_str(&self->m, MTIER_A_POOL_NAME, "a");
	nlt_put_u64(&self->m, MTIER_A_POOL_SIZE, 1ULL << 50);
	nlt_transact(&self->s, &self->m, &self->r);
	EXPECT_REFUSED(self->r, ENOMEM, "exceeds what this node can donate",
		       MTIER_A_POOL_SIZE);
}

TEST_F(nl, pool_addresses)
{
	pool_req(&self->m, &self->s, "p", 64 * MiB);
	nlt_put_str(&self->m, MTIER_A_POOL_ADDR, "10.0.0.300");
	nlt_transact(&self->s, &self->m, &self->r);
	EXPECT_REFUSED(self->r, EINVAL, "not an IPv4 or IPv6 address",
		       MTIER_A_POOL_ADDR);

	pool_req(&self->m, &self->s, "p", 64 * MiB);
	nlt_put_str(&self->m, MTIER_A_POOL_ADDR,
		    "1111:2222:3333:4444:5555:6666:7777:8888%abcdefghijklmnopqrstuvwxyz");
	nlt_transact(&self->s, &self->m, &self->r);
	EXPECT_REFUSED(self->r, EINVAL, "Attribute failed policy validation",
		       MTIER_A_POOL_ADDR);
	EXPECT_EQ(MTIER_ADDR_LEN, self->r.pol_max_len);

	pool_req(&self->m, &self->s, "p", 64 * MiB);
	nlt_put_u16(&self->m, MTIER_A_POOL_PORT, 0);
	nlt_transact(&self->s, &self->m, &self->r);
	EXPECT_REFUSED(self->r, EINVAL, "port must not be 0", MTIER_A_POOL_PORT);
}

TEST_F(nl, pool_address_in_use)
{
	/* Live pools listen: two addresses this node has. */
	const char *a1 = getenv("MTIER_RDMA_ADDR");
	const char *a2 = getenv("MTIER_RDMA_ADDR2");

	if (!a1 || !a2)
		SKIP(return, "no RDMA device (run in scripts/vm --rdma)");
	/* the wildcard on the default port */
	ASSERT_EQ(0, nlt_pool_add(&self->s, "any", 64 * MiB, 0, &self->r));

	pool_req(&self->m, &self->s, "one", 64 * MiB);
	nlt_put_str(&self->m, MTIER_A_POOL_ADDR, a1);
	nlt_transact(&self->s, &self->m, &self->r);
	EXPECT_REFUSED(self->r, EADDRINUSE,
		       "pool 'any' already listens on that address",
		       MTIER_A_POOL_ADDR);

	/* another port is fine, and then that exact address is taken */
	nlt_put_u16(&self->m, MTIER_A_POOL_PORT, 7000);
	ASSERT_EQ(0, nlt_transact(&self->s, &self->m, &self->r));
	pool_req(&self->m, &self->s, "two", 64 * MiB);
	nlt_put_str(&self->m, MTIER_A_POOL_ADDR, a1);
	nlt_put_u16(&self->m, MTIER_A_POOL_PORT, 7000);
	nlt_transact(&self->s, &self->m, &self->r);
	EXPECT_EQ(-EADDRINUSE, self->r.error);

	/* only the port given: the port is to blame */
	pool_req(&self->m, &self->s, "four", 64 * MiB);
	nlt_transact(&self->s, &self->m, &self->r);
	EXPECT_REFUSED(self->r, EADDRINUSE, "already listens", -1);
	nlt_put_u16(&self->m, MTIER_A_POOL_PORT, 7000);
	nlt_transact(&self->s, &self->m, &self->r);
	EXPECT_REFUSED(self->r, EADDRINUSE, "already listens", MTIER_A_POOL_PORT);

	/* a different address on that port is fine */
	pool_req(&self->m, &self->s, "three", 64 * MiB);
	nlt_put_str(&self->m, MTIER_A_POOL_ADDR, a2);
	nlt_put_u16(&self->m, MTIER_A_POOL_PORT, 7000);
	EXPECT_EQ(0, nlt_transact(&self->s, &self->m, &self->r));
}

TEST_F(nl, pool_set_invalid)
{
	ASSERT_EQ(0, nlt_pool_add(&self->s, "p", 64 * MiB, 0, &self->r));

	nlt_init(&self->m, &self->s, MTIER_CMD_POOL_SET, 0);
	nlt_put_str(&self->m, MTIER_A_POOL_NAME, "p");
	nlt_transact(&self->s, &self->m, &self->r);
	EXPECT_EQ(-EINVAL, self->r.error);
	EXPECT_STREQ("nothing to change: give size, lease or a limit", self->r.msg);

	/* the lease and the limits: the policy checks their ranges */
	nlt_init(&self->m, &self->s, MTIER_CMD_POOL_SET, 0);
	nlt_put_str(&self->m, MTIER_A_POOL_NAME, "p");
	nlt_put_u32(&self->m, MTIER_A_POOL_LEASE, 50);
	nlt_transact(&self->s, &self->m, &self->r);
	EXPECT_EQ(-ERANGE, self->r.error);
	nlt_init(&self->m, &self->s, MTIER_CMD_POOL_SET, 0);
	nlt_put_str(&self->m, MTIER_A_POOL_NAME, "p");
	nlt_put_u32(&self->m, MTIER_A_POOL_MAX_CLIENTS, 0);
	nlt_transact(&self->s, &self->m, &self->r);
	EXPECT_EQ(-ERANGE, self->r.error);
	nlt_init(&self->m, &self->s, MTIER_CMD_POOL_SET, 0);
	nlt_put_str(&self->m, MTIER_A_POOL_NAME, "p");
	nlt_put_u32(&self->m, MTIER_A_POOL_LEASE, 2000);
	EXPECT_EQ(0, nlt_transact(&self->s, &self->m, &self->r));
	nlt_init(&self->m, &self->s, MTIER_CMD_POOL_SET, 0);
	nlt_put_str(&self->m, MTIER_A_POOL_NAME, "p");

	nlt_put_u64(&self->m, MTIER_A_POOL_SIZE, 96 * MiB);
	nlt_transact(&self->s, &self->m, &self->r);
	EXPECT_REFUSED(self->r, EINVAL, "multiple of the slab size",
		       MTIER_A_POOL_SIZE);
}

/* --- peers ---------------------------------------------------------- */

TEST_F(nl, peer_addr)
{
	nlt_init(&self->m, &self->s, MTIER_CMD_PEER_ADD, 0);
	nlt_put_str(&self->m, MTIER_A_PEER_NAME, "d");
	nlt_transact(&self->s, &self->m, &self->r);
	EXPECT_MISSING(self->r, MTIER_A_PEER_ADDR, "addr");

	nlt_peer_add(&self->s, "d", "donor.example", 0, &self->r);
	EXPECT_REFUSED(self->r, EINVAL, "not an IPv4 or IPv6 address",
		       MTIER_A_PEER_ADDR);

	nlt_peer_add(&self->s, "d", "fe80::1%nosuchdev", 0, &self->r);
	EXPECT_REFUSED(self->r, EINVAL, "not an IPv4 or IPv6 address",
		       MTIER_A_PEER_ADDR);

	EXPECT_EQ(0, nlt_peer_add(&self->s, "v6", "fd00::2", 0, &self->r));
	EXPECT_EQ(0, nlt_peer_add(&self->s, "v4", "10.2.0.2", 0, &self->r));
	nlt_peer_add(&self->s, "again", "10.2.0.2", 0, &self->r);
	EXPECT_REFUSED(self->r, EEXIST, "peer 'v4' already uses this address",
		       MTIER_A_PEER_ADDR);
	EXPECT_EQ(0, nlt_peer_add(&self->s, "other-port", "10.2.0.2", 7000,
				  &self->r));
}

TEST_F(nl, peer_timers)
{
	nlt_init(&self->m, &self->s, MTIER_CMD_PEER_ADD, 0);
	nlt_put_str(&self->m, MTIER_A_PEER_NAME, "d");
	nlt_put_str(&self->m, MTIER_A_PEER_ADDR, "10.2.0.3");
	nlt_put_u32(&self->m, MTIER_A_PEER_KEEPALIVE, 5);
	nlt_transact(&self->s, &self->m, &self->r);
	EXPECT_REFUSED(self->r, ERANGE, "integer out of range",
		       MTIER_A_PEER_KEEPALIVE);
	EXPECT_EQ(10, self->r.pol_min);
	EXPECT_EQ(600000, self->r.pol_max);

	nlt_init(&self->m, &self->s, MTIER_CMD_PEER_ADD, 0);
	nlt_put_str(&self->m, MTIER_A_PEER_NAME, "d");
	nlt_put_str(&self->m, MTIER_A_PEER_ADDR, "10.2.0.3");
	nlt_put_u32(&self->m, MTIER_A_PEER_TIMEOUT, 500);
	nlt_transact(&self->s, &self->m, &self->r);
	EXPECT_REFUSED(self->r, EINVAL, "timeout (500 ms) must exceed keepalive",
		       MTIER_A_PEER_TIMEOUT);

	ASSERT_EQ(0, nlt_peer_add(&self->s, "d", "10.2.0.3", 0, &self->r));
	nlt_init(&self->m, &self->s, MTIER_CMD_PEER_SET, 0);
	nlt_put_str(&self->m, MTIER_A_PEER_NAME, "d");
	nlt_transact(&self->s, &self->m, &self->r);
	EXPECT_EQ(-EINVAL, self->r.error);
	EXPECT_STREQ("nothing to change: give keepalive or timeout", self->r.msg);
	nlt_put_u32(&self->m, MTIER_A_PEER_KEEPALIVE, 9000);
	nlt_transact(&self->s, &self->m, &self->r);
	EXPECT_REFUSED(self->r, EINVAL, "must exceed keepalive (9000 ms)",
		       MTIER_A_PEER_KEEPALIVE);
}

TEST_F(nl, peer_in_use)
{
	ASSERT_EQ(0, nlt_peer_add(&self->s, "d", "10.2.0.4", 0, &self->r));
	ASSERT_EQ(0, nlt_tier_add(&self->s, "t", 1 * GiB, "d", &self->r));
	nlt_del(&self->s, MTIER_CMD_PEER_DEL, MTIER_A_PEER_NAME, "d", &self->r);
	EXPECT_REFUSED(self->r, EBUSY, "peer 'd' is busy: peer is used by a tier",
		       MTIER_A_PEER_NAME);
	ASSERT_EQ(0, nlt_del(&self->s, MTIER_CMD_TIER_DEL, MTIER_A_TIER_NAME,
			     "t", &self->r));
	EXPECT_EQ(0, nlt_del(&self->s, MTIER_CMD_PEER_DEL, MTIER_A_PEER_NAME,
			     "d", &self->r));
}

/* --- tiers ---------------------------------------------------------- */

TEST_F(nl, tier_size)
{
	ASSERT_EQ(0, nlt_peer_add(&self->s, "d", "10.2.0.5", 0, &self->r));

	tier_req(&self->m, &self->s, "t", 0, "d");
	nlt_transact(&self->s, &self->m, &self->r);
	EXPECT_MISSING(self->r, MTIER_A_TIER_SIZE, "size");

	tier_req(&self->m, &self->s, "t", 4097, "d");
	nlt_transact(&self->s, &self->m, &self->r);
	EXPECT_REFUSED(self->r, EINVAL, "non-zero multiple of 4096",
		       MTIER_A_TIER_SIZE);

	tier_req(&self->m, &self->s, "t", 1ULL << 51, "d");
	nlt_transact(&self->s, &self->m, &self->r);
	EXPECT_REFUSED(self->r, ERANGE, "exceeds the largest tier",
		       MTIER_A_TIER_SIZE);
}

TEST_F(nl, tier_peers)
{
	char name[16];
	int i;

	tier_req(&self->m, &self->s, "t", GiB, NULL);
	nlt_transact(&self->s, &self->m, &self->r);
	EXPECT_MISSING(self->r, MTIER_A_TIER_PEER, "peer");

	tier_req(&self->m, &self->s, "t", GiB, "nobody");
	nlt_transact(&self->s, &self->m, &self->r);
	EXPECT_REFUSED(self->r, ENOENT, "peer 'nobody' does not exist",
		       MTIER_A_TIER_PEER);

	/* a plain (not NUL-checked) string: too long is ERANGE */
	tier_req(&self->m, &self->s, "t", GiB, NAME32);
	nlt_transact(&self->s, &self->m, &self->r);
	EXPECT_REFUSED(self->r, ERANGE, "Attribute failed policy validation",
		       MTIER_A_TIER_PEER);
	EXPECT_EQ(MTIER_NAME_LEN, self->r.pol_max_len);

	for (i = 0; i <= MTIER_MAX_PEERS; i++) {
		snprintf(name, sizeof(name), "d%d", i);
		ASSERT_EQ(0, nlt_peer_add(&self->s, name, "10.3.0.1", 7000 + i,
					  &self->r));
	}
	tier_req(&self->m, &self->s, "t", GiB, "d0");
	nlt_put_str(&self->m, MTIER_A_TIER_PEER, "d0");
	nlt_transact(&self->s, &self->m, &self->r);
	EXPECT_REFUSED(self->r, EINVAL, "peer 'd0' is listed twice",
		       MTIER_A_TIER_PEER);

	tier_req(&self->m, &self->s, "t", GiB, NULL);
	for (i = 0; i <= MTIER_MAX_PEERS; i++) {
		snprintf(name, sizeof(name), "d%d", i);
		nlt_put_str(&self->m, MTIER_A_TIER_PEER, name);
	}
	nlt_transact(&self->s, &self->m, &self->r);
	EXPECT_REFUSED(self->r, E2BIG, "too many peers", MTIER_A_TIER_PEER);

	/* a refused tier leaves no reference behind: the peers can go */
	for (i = 0; i <= MTIER_MAX_PEERS; i++) {
		snprintf(name, sizeof(name), "d%d", i);
		EXPECT_EQ(0, nlt_del(&self->s, MTIER_CMD_PEER_DEL,
				     MTIER_A_PEER_NAME, name, &self->r));
	}
}

TEST_F(nl, tier_replicas)
{
	ASSERT_EQ(0, nlt_peer_add(&self->s, "a", "10.4.0.1", 0, &self->r));
	ASSERT_EQ(0, nlt_peer_add(&self->s, "b", "10.4.0.2", 0, &self->r));

	tier_req(&self->m, &self->s, "t", GiB, "a");
	nlt_put_u32(&self->m, MTIER_A_TIER_REPLICAS, 0);
	nlt_transact(&self->s, &self->m, &self->r);
	EXPECT_REFUSED(self->r, ERANGE, "integer out of range",
		       MTIER_A_TIER_REPLICAS);
	EXPECT_EQ(1, self->r.pol_min);
	EXPECT_EQ(MTIER_MAX_REPLICAS, self->r.pol_max);

	tier_req(&self->m, &self->s, "t", GiB, "a");
	nlt_put_u32(&self->m, MTIER_A_TIER_REPLICAS, 2);
	nlt_transact(&self->s, &self->m, &self->r);
	EXPECT_REFUSED(self->r, EINVAL, "replicas (2) exceeds the number of peers (1)",
		       MTIER_A_TIER_REPLICAS);

	tier_req(&self->m, &self->s, "t", GiB, "a");
	nlt_put_str(&self->m, MTIER_A_TIER_PEER, "b");
	nlt_put_u32(&self->m, MTIER_A_TIER_REPLICAS, 2);
	nlt_transact(&self->s, &self->m, &self->r);
	/* Neither peer has a donor behind it: none is up. */
	EXPECT_REFUSED(self->r, ENOTCONN, "replicas 2 needs 2 peers up (up now: 0)",
		       MTIER_A_TIER_REPLICAS);
}

TEST_F(nl, tier_prefetch_knobs)
{
	static const struct { uint16_t attr; uint32_t bad; long long min, max; } knobs[] = {
		{ MTIER_A_TIER_PREFETCH, 3, -1, MTIER_PREFETCH_ADAPTIVE },
		{ MTIER_A_TIER_WINDOW_MAX, 0, 1, 1024 },
		{ MTIER_A_TIER_WINDOW_MAX, 1025, 1, 1024 },
		{ MTIER_A_TIER_HISTORY, 3, 4, 256 },
		{ MTIER_A_TIER_HISTORY, 257, 4, 256 },
	};
	size_t i;

	ASSERT_EQ(0, nlt_peer_add(&self->s, "a", "10.4.0.1", 0, &self->r));
	ASSERT_EQ(0, nlt_tier_add(&self->s, "ok", GiB, "a", &self->r));
	for (i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		/* on add */
		tier_req(&self->m, &self->s, "t", GiB, "a");
		nlt_put_u32(&self->m, knobs[i].attr, knobs[i].bad);
		nlt_transact(&self->s, &self->m, &self->r);
		EXPECT_REFUSED(self->r, ERANGE, "integer out of range",
			       knobs[i].attr);
		EXPECT_EQ(knobs[i].max, self->r.pol_max);
		if (knobs[i].min >= 0)
			EXPECT_EQ(knobs[i].min, self->r.pol_min);
		/* and on set */
		nlt_init(&self->m, &self->s, MTIER_CMD_TIER_SET, 0);
		nlt_put_str(&self->m, MTIER_A_TIER_NAME, "ok");
		nlt_put_u32(&self->m, knobs[i].attr, knobs[i].bad);
		nlt_transact(&self->s, &self->m, &self->r);
		EXPECT_REFUSED(self->r, ERANGE, "integer out of range",
			       knobs[i].attr);
	}

	nlt_init(&self->m, &self->s, MTIER_CMD_TIER_SET, 0);
	nlt_put_str(&self->m, MTIER_A_TIER_NAME, "ok");
	nlt_transact(&self->s, &self->m, &self->r);
	EXPECT_EQ(-EINVAL, self->r.error);
	EXPECT_TRUE(strstr(self->r.msg, "nothing to change") != NULL);

	nlt_put_u64(&self->m, MTIER_A_TIER_CACHE_SIZE, 4096 + 1);
	nlt_transact(&self->s, &self->m, &self->r);
	EXPECT_REFUSED(self->r, EINVAL, "cache-size must be a multiple of 4096",
		       MTIER_A_TIER_CACHE_SIZE);

	nlt_init(&self->m, &self->s, MTIER_CMD_TIER_SET, 0);
	nlt_put_str(&self->m, MTIER_A_TIER_NAME, "ok");
	nlt_put_u64(&self->m, MTIER_A_TIER_CACHE_SIZE, 1ULL << 50);
	nlt_transact(&self->s, &self->m, &self->r);
	EXPECT_REFUSED(self->r, ENOMEM, "cache-size exceeds a quarter",
		       MTIER_A_TIER_CACHE_SIZE);
}

/* --- permissions ---------------------------------------------------- */

/* In a child that gave up root: every change is refused, reads work. */
static int unprivileged(void)
{
	struct nlt_reply r;
	struct nlt_sock s;
	int fails = 0;

	if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
		return 100;
	if (nlt_open(&s))
		return 101;
	fails += nlt_pool_add(&s, "np", 64 * MiB, 0, &r) != -EPERM;
	fails += nlt_peer_add(&s, "np", "10.9.0.1", 0, &r) != -EPERM;
	fails += nlt_tier_add(&s, "np", GiB, "d", &r) != -EPERM;
	fails += nlt_del(&s, MTIER_CMD_POOL_DEL, MTIER_A_POOL_NAME, "p", &r) != -EPERM;
	fails += nlt_del(&s, MTIER_CMD_PEER_DEL, MTIER_A_PEER_NAME, "d", &r) != -EPERM;
	fails += nlt_del(&s, MTIER_CMD_TIER_DEL, MTIER_A_TIER_NAME, "t", &r) != -EPERM;
	fails += nlt_del(&s, MTIER_CMD_POOL_SET, MTIER_A_POOL_NAME, "p", &r) != -EPERM;
	fails += nlt_del(&s, MTIER_CMD_PEER_SET, MTIER_A_PEER_NAME, "d", &r) != -EPERM;
	fails += nlt_del(&s, MTIER_CMD_TIER_SET, MTIER_A_TIER_NAME, "t", &r) != -EPERM;
	/* reading is for everyone */
	fails += nlt_del(&s, MTIER_CMD_POOL_GET, MTIER_A_POOL_NAME, "p", &r) != 0;
	fails += nlt_count(&s, MTIER_CMD_TIER_GET, &r) != 1;
	return fails;
}

TEST_F(nl, non_admin_gets_eperm)
{
	int status;
	pid_t pid;

	ASSERT_EQ(0, nlt_pool_add(&self->s, "p", 64 * MiB, 0, &self->r));
	ASSERT_EQ(0, nlt_peer_add(&self->s, "d", "10.9.0.2", 0, &self->r));
	ASSERT_EQ(0, nlt_tier_add(&self->s, "t", GiB, "d", &self->r));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(unprivileged());
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* nothing changed */
	EXPECT_EQ(1, nlt_count(&self->s, MTIER_CMD_POOL_GET, &self->r));
	EXPECT_EQ(1, nlt_count(&self->s, MTIER_CMD_PEER_GET, &self->r));
	EXPECT_EQ(1, nlt_count(&self->s, MTIER_CMD_TIER_GET, &self->r));
}

TEST_HARNESS_MAIN
