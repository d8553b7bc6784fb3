// SPDX-License-Identifier: GPL-2.0
/*
 * The monitor multicast group: every object created, changed or deleted
 * is announced once, in order, with its name; refused requests and reads
 * announce nothing.
 */
#include <errno.h>
#include <string.h>

#include "kselftest_harness.h"
#include "nl_lib.h"

FIXTURE(monitor) {
	struct nlt_sock s;	/* makes the changes */
	struct nlt_sock mon;	/* listens */
	struct nlt_msg m;
	struct nlt_reply r;
};

FIXTURE_SETUP(monitor)
{
	int err = nlt_open(&self->s);

	if (err == -ENOENT)
		SKIP(return, "mtier module not loaded");
	ASSERT_EQ(0, err);
	ASSERT_EQ(0, nlt_flush(&self->s));
	ASSERT_EQ(0, nlt_open(&self->mon));
	ASSERT_EQ(0, nlt_subscribe(&self->mon));
}

FIXTURE_TEARDOWN(monitor)
{
	if (self->s.family)
		EXPECT_EQ(0, nlt_flush(&self->s));
	nlt_close(&self->s);
	nlt_close(&self->mon);
}

#define EXPECT_EVENT(cmd, obj) do {					\
	char __n[64];							\
	EXPECT_EQ((cmd), nlt_recv_ntf(&self->mon, 2000, __n, sizeof(__n))); \
	EXPECT_STREQ((obj), __n);					\
} while (0)

#define EXPECT_QUIET() \
	EXPECT_EQ(-1, nlt_recv_ntf(&self->mon, 200, NULL, 0))

TEST_F(monitor, lifecycle_of_each_kind)
{
	ASSERT_EQ(0, nlt_pool_add(&self->s, "p", 64 << 20, 0, &self->r));
	EXPECT_EVENT(MTIER_CMD_POOL_ADD_NTF, "p");
	ASSERT_EQ(0, nlt_peer_add(&self->s, "d", "10.5.0.1", 0, &self->r));
	EXPECT_EVENT(MTIER_CMD_PEER_ADD_NTF, "d");
	ASSERT_EQ(0, nlt_tier_add(&self->s, "t", 1 << 30, "d", &self->r));
	EXPECT_EVENT(MTIER_CMD_TIER_ADD_NTF, "t");
	/* the peer's tier count changed */
	EXPECT_EVENT(MTIER_CMD_PEER_CHANGE_NTF, "d");

	nlt_init(&self->m, &self->s, MTIER_CMD_POOL_SET, 0);
	nlt_put_str(&self->m, MTIER_A_POOL_NAME, "p");
	nlt_put_u64(&self->m, MTIER_A_POOL_SIZE, 128 << 20);
	ASSERT_EQ(0, nlt_transact(&self->s, &self->m, &self->r));
	EXPECT_EVENT(MTIER_CMD_POOL_CHANGE_NTF, "p");

	nlt_init(&self->m, &self->s, MTIER_CMD_PEER_SET, 0);
	nlt_put_str(&self->m, MTIER_A_PEER_NAME, "d");
	nlt_put_u32(&self->m, MTIER_A_PEER_TIMEOUT, 9000);
	ASSERT_EQ(0, nlt_transact(&self->s, &self->m, &self->r));
	EXPECT_EVENT(MTIER_CMD_PEER_CHANGE_NTF, "d");

	nlt_init(&self->m, &self->s, MTIER_CMD_TIER_SET, 0);
	nlt_put_str(&self->m, MTIER_A_TIER_NAME, "t");
	nlt_put_u32(&self->m, MTIER_A_TIER_PREFETCH, MTIER_PREFETCH_ADAPTIVE);
	ASSERT_EQ(0, nlt_transact(&self->s, &self->m, &self->r));
	EXPECT_EVENT(MTIER_CMD_TIER_CHANGE_NTF, "t");

	ASSERT_EQ(0, nlt_del(&self->s, MTIER_CMD_TIER_DEL, MTIER_A_TIER_NAME,
			     "t", &self->r));
	EXPECT_EVENT(MTIER_CMD_TIER_DEL_NTF, "t");
	EXPECT_EVENT(MTIER_CMD_PEER_CHANGE_NTF, "d");
	ASSERT_EQ(0, nlt_del(&self->s, MTIER_CMD_PEER_DEL, MTIER_A_PEER_NAME,
			     "d", &self->r));
	EXPECT_EVENT(MTIER_CMD_PEER_DEL_NTF, "d");
	ASSERT_EQ(0, nlt_del(&self->s, MTIER_CMD_POOL_DEL, MTIER_A_POOL_NAME,
			     "p", &self->r));
	EXPECT_EVENT(MTIER_CMD_POOL_DEL_NTF, "p");
	EXPECT_QUIET();
}

TEST_F(monitor, refusals_and_reads_are_quiet)
{
	ASSERT_EQ(0, nlt_peer_add(&self->s, "d", "10.5.0.2", 0, &self->r));
	EXPECT_EVENT(MTIER_CMD_PEER_ADD_NTF, "d");

	EXPECT_EQ(-EEXIST, nlt_peer_add(&self->s, "d", "10.5.0.3", 0, &self->r));
	EXPECT_EQ(-ENOENT, nlt_tier_add(&self->s, "t", 1 << 30, "x", &self->r));
	EXPECT_EQ(-ENOMEM, nlt_pool_add(&self->s, "p", 1ULL << 50, 0, &self->r));
	ASSERT_EQ(0, nlt_tier_add(&self->s, "t", 1 << 30, "d", &self->r));
	EXPECT_EVENT(MTIER_CMD_TIER_ADD_NTF, "t");
	EXPECT_EVENT(MTIER_CMD_PEER_CHANGE_NTF, "d");
	EXPECT_EQ(-EBUSY, nlt_del(&self->s, MTIER_CMD_PEER_DEL,
				  MTIER_A_PEER_NAME, "d", &self->r));
	EXPECT_EQ(0, nlt_del(&self->s, MTIER_CMD_TIER_GET, MTIER_A_TIER_NAME,
			     "t", &self->r));
	EXPECT_EQ(1, nlt_count(&self->s, MTIER_CMD_PEER_GET, &self->r));
	EXPECT_QUIET();
}

TEST_F(monitor, notification_carries_the_object)
{
	/* A live pool listens: its address must be one of this node's. */
	const char *addr = getenv("MTIER_RDMA_ADDR");
	char name[64];
	int cmd;

	if (!addr)
		SKIP(return, "no RDMA device (run in scripts/vm --rdma)");
	nlt_init(&self->m, &self->s, MTIER_CMD_POOL_ADD, 0);
	nlt_put_str(&self->m, MTIER_A_POOL_NAME, "big");
	nlt_put_u64(&self->m, MTIER_A_POOL_SIZE, 256 << 20);
	nlt_put_u64(&self->m, MTIER_A_POOL_SLAB_SIZE, 4 << 20);
	nlt_put_str(&self->m, MTIER_A_POOL_ADDR, addr);
	nlt_put_u16(&self->m, MTIER_A_POOL_PORT, 7100);
	ASSERT_EQ(0, nlt_transact(&self->s, &self->m, &self->r));
	cmd = nlt_recv_ntf(&self->mon, 2000, name, sizeof(name));
	ASSERT_EQ(MTIER_CMD_POOL_ADD_NTF, cmd);

	/* the same attributes as a get: compare with one */
	ASSERT_EQ(0, nlt_del(&self->s, MTIER_CMD_POOL_GET, MTIER_A_POOL_NAME,
			     "big", &self->r));
	EXPECT_EQ(256 << 20, nlt_attr_uint(nlt_data_attr(&self->r, MTIER_A_POOL_SIZE)));
	EXPECT_EQ(4 << 20, nlt_attr_uint(nlt_data_attr(&self->r, MTIER_A_POOL_SLAB_SIZE)));
	EXPECT_EQ(7100, nlt_attr_uint(nlt_data_attr(&self->r, MTIER_A_POOL_PORT)));
	EXPECT_STREQ(addr,
		     (char *)nlt_data_attr(&self->r, MTIER_A_POOL_ADDR) + NLA_HDRLEN);
	EXPECT_EQ(256 << 20, nlt_attr_uint(nlt_data_attr(&self->r, MTIER_A_POOL_FREE)));
	EXPECT_EQ(0, nlt_attr_uint(nlt_data_attr(&self->r, MTIER_A_POOL_USED)));
	EXPECT_TRUE(nlt_data_attr(&self->r, MTIER_A_POOL_STATS) != NULL);
}

TEST_HARNESS_MAIN
