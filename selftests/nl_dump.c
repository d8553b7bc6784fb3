// SPDX-License-Identifier: GPL-2.0
/*
 * Dumps of many objects: more than fit in one netlink message batch, so
 * the kernel must resume where it stopped.  Every object must come back
 * exactly once, in id order, across several recv() calls; and a dump that
 * runs while objects are deleted must neither repeat nor invent any.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "nl_lib.h"

/*
 * Objects of each kind: 1100, fewer with MTIER_DUMP_N (700 in the debug lane,
 * where every pool binds a listener slowly); always several messages.
 */
#define NMAX 1100
static int dump_n(void)
{
	const char *e = getenv("MTIER_DUMP_N");
	int n = e ? atoi(e) : NMAX;

	return n >= 700 && n <= NMAX ? n : NMAX;
}
#define N dump_n()

struct seen {
	unsigned char count[NMAX];
	unsigned int last_id;
	int out_of_order;
	int foreign;
};

static void note(const struct nlmsghdr *nh, void *arg)
{
	const void *payload = (const char *)nh + NLMSG_HDRLEN + GENL_HDRLEN;
	size_t len = nh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
	const struct nlattr *id = nlt_attr(payload, len, 1);
	const struct nlattr *name = nlt_attr(payload, len, 2);
	struct seen *s = arg;
	unsigned int i;

	if (!id || !name || sscanf((char *)name + NLA_HDRLEN, "o%u", &i) != 1 ||
	    i >= (unsigned int)N) {
		s->foreign++;
		return;
	}
	s->count[i]++;
	if (nlt_attr_uint(id) <= s->last_id)
		s->out_of_order++;
	s->last_id = nlt_attr_uint(id);
}

FIXTURE(dump) {
	struct nlt_sock s;
	struct nlt_reply r;
};

FIXTURE_SETUP(dump)
{
	int err = nlt_open(&self->s);

	if (err == -ENOENT)
		SKIP(return, "mtier module not loaded");
	ASSERT_EQ(0, err);
	ASSERT_EQ(0, nlt_flush(&self->s));
}

FIXTURE_TEARDOWN(dump)
{
	if (self->s.family)
		EXPECT_EQ(0, nlt_flush(&self->s));
	nlt_close(&self->s);
}

static int dump(struct nlt_sock *s, uint8_t cmd, struct seen *seen,
		struct nlt_reply *r)
{
	memset(seen, 0, sizeof(*seen));
	s->on_data = note;
	s->on_data_arg = seen;
	nlt_count(s, cmd, r);
	s->on_data = NULL;
	return r->error;
}

/* 3300 creates take minutes on a KASAN + lockdep kernel under TCG. */
TEST_F_TIMEOUT(dump, many_of_each_kind, 900)
{
	static struct seen seen;
	char name[32], addr[32];
	int i;

	for (i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "o%d", i);
		/* 1M pools on distinct ports: N MiB in all */
		ASSERT_EQ(0, nlt_pool_add(&self->s, name, 1 << 20, 10000 + i,
					  &self->r)) TH_LOG("%s", self->r.msg);
		snprintf(addr, sizeof(addr), "10.%d.%d.1", 20 + i / 250, i % 250);
		ASSERT_EQ(0, nlt_peer_add(&self->s, name, addr, 0, &self->r))
			TH_LOG("%s", self->r.msg);
		ASSERT_EQ(0, nlt_tier_add(&self->s, name, 1 << 30, name,
					  &self->r)) TH_LOG("%s", self->r.msg);
	}

	for (uint8_t cmd = MTIER_CMD_POOL_GET; cmd <= MTIER_CMD_TIER_GET;
	     cmd += MTIER_CMD_PEER_GET - MTIER_CMD_POOL_GET) {
		ASSERT_EQ(0, dump(&self->s, cmd, &seen, &self->r));
		EXPECT_EQ(N, self->r.nmsgs);
		EXPECT_LT(1, self->r.nreads)
			TH_LOG("cmd %d: %d objects came in one batch", cmd, N);
		EXPECT_EQ(0, seen.out_of_order);
		EXPECT_EQ(0, seen.foreign);
		for (i = 0; i < N; i++)
			EXPECT_EQ(1, seen.count[i]) TH_LOG("cmd %d object o%d", cmd, i);
		TH_LOG("cmd %d: %d objects in %d reads", cmd, self->r.nmsgs,
		       self->r.nreads);
	}
}

/*
 * Delete objects between the batches of a dump: those already sent are
 * not sent again, those not sent yet are simply missing, nothing else
 * appears, and ids stay in order.
 */
static struct {
	struct nlt_sock *del;
	int batches;
	int next_victim;
} churn;

static void note_and_delete(const struct nlmsghdr *nh, void *arg)
{
	struct nlt_reply r;
	char name[32];

	note(nh, arg);
	/* after every 100 objects, delete the last 10 not deleted yet */
	if (((struct seen *)arg)->count[0] && ++churn.batches % 100 == 0) {
		for (int i = 0; i < 10 && churn.next_victim > 0; i++) {
			snprintf(name, sizeof(name), "o%d", --churn.next_victim);
			nlt_del(churn.del, MTIER_CMD_PEER_DEL, MTIER_A_PEER_NAME,
				name, &r);
		}
	}
}

TEST_F_TIMEOUT(dump, concurrent_delete, 900)
{
	static struct seen seen;
	struct nlt_sock other;
	char name[32], addr[32];
	int i, n = 0;

	ASSERT_EQ(0, nlt_open(&other));
	for (i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "o%d", i);
		snprintf(addr, sizeof(addr), "10.%d.%d.2", 20 + i / 250, i % 250);
		ASSERT_EQ(0, nlt_peer_add(&self->s, name, addr, 0, &self->r));
	}
	churn.del = &other;
	churn.batches = 0;
	churn.next_victim = N;
	memset(&seen, 0, sizeof(seen));
	self->s.on_data = note_and_delete;
	self->s.on_data_arg = &seen;
	nlt_count(&self->s, MTIER_CMD_PEER_GET, &self->r);
	self->s.on_data = NULL;
	ASSERT_EQ(0, self->r.error);
	EXPECT_EQ(0, seen.out_of_order);
	EXPECT_EQ(0, seen.foreign);
	for (i = 0; i < N; i++) {
		EXPECT_GE(1, seen.count[i]);
		n += seen.count[i];
	}
	TH_LOG("%d of %d peers seen, %d deleted during the dump", n, N,
	       N - churn.next_victim);
	/* everything not deleted must have been seen */
	for (i = 0; i < churn.next_victim; i++)
		EXPECT_EQ(1, seen.count[i]) TH_LOG("o%d missing", i);
	nlt_close(&other);
}

TEST_HARNESS_MAIN
