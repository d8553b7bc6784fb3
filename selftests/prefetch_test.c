// SPDX-License-Identifier: GPL-2.0
/*
 * Unit test of the prefetcher's logic (kernel/prefetch.c, built here in
 * userspace): replays synthetic access traces, and recorded ones given on
 * the command line, through the trend detector and a simulated bounded
 * exclusive cache, and checks accuracy (prefetched pages later read over
 * pages prefetched) and coverage (reads served from prefetched pages over
 * all reads) per pattern.
 *
 *   prefetch_test                   the synthetic traces
 *   MTIER_PF_TRACE=FILE prefetch_test  also a recorded trace: one read per
 *                                   line, "PAGE [PAGES]"
 *
 * Two recorded traces (selftests/traces, from the mtier:mtier_read
 * tracepoint) are replayed always, with targets.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "../kernel/prefetch.h"

#define CACHE_PAGES 4096

/* A bounded exclusive cache of prefetched pages, evicting the oldest. */
struct sim {
	struct mtier_pf pf;
	u64 *pages;		/* FIFO of cached pages */
	unsigned int head, n;
	unsigned long hits, misses, issued, unused, reads;
};

static int sim_find(struct sim *c, u64 page)
{
	unsigned int i;

	for (i = 0; i < c->n; i++)
		if (c->pages[(c->head + i) % CACHE_PAGES] == page)
			return (c->head + i) % CACHE_PAGES;
	return -1;
}

static void sim_take(struct sim *c, int idx)
{
	/* Swap the slot with the oldest, then drop the oldest. */
	c->pages[idx] = c->pages[c->head];
	c->head = (c->head + 1) % CACHE_PAGES;
	c->n--;
}

static void sim_insert(struct sim *c, u64 page)
{
	if (sim_find(c, page) >= 0)
		return;
	if (c->n == CACHE_PAGES) {
		c->head = (c->head + 1) % CACHE_PAGES;
		c->n--;
		c->unused++;
	}
	c->pages[(c->head + c->n) % CACHE_PAGES] = page;
	c->n++;
	c->issued++;
}

static void sim_init(struct sim *c, int policy)
{
	memset(c, 0, sizeof(*c));
	c->pages = calloc(CACHE_PAGES, sizeof(*c->pages));
	mtier_pf_init(&c->pf, policy, 32, 32);
}

static void sim_read(struct sim *c, u64 page, u32 len)
{
	struct mtier_pf_req req;
	bool hit = true;
	u32 i, k;
	int idx;

	c->reads++;
	for (i = 0; i < len; i++) {
		idx = sim_find(c, page + i);
		if (idx < 0)
			hit = false;
	}
	for (i = 0; i < len; i++) {
		idx = sim_find(c, page + i);
		if (hit) {
			sim_take(c, idx);
			c->hits++;
		} else {
			if (idx >= 0)
				sim_take(c, idx);
			c->misses++;
		}
	}
	if (!mtier_pf_access(&c->pf, page, len, hit, &req))
		return;
	for (k = 0; k < req.count; k++)
		for (i = 0; i < req.len; i++)
			sim_insert(c, req.start + req.stride * (s64)k + i);
}

static double accuracy(const struct sim *c)
{
	return c->issued ? (double)c->hits / c->issued : 0;
}

static double coverage(const struct sim *c)
{
	return (double)c->hits / (c->hits + c->misses);
}

static void report(struct __test_metadata *_metadata, const char *what,
		   const struct sim *c)
{
	TH_LOG("%-22s reads %6lu issued %6lu hits %6lu accuracy %5.1f%% coverage %5.1f%% unused %lu",
	       what, c->reads, c->issued, c->hits, 100 * accuracy(c),
	       100 * coverage(c), c->unused);
}

static u64 rnd(u64 *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

TEST(sequential)
{
	struct sim c;
	u64 p;

	sim_init(&c, MTIER_PF_ADAPTIVE);
	for (p = 0; p < 20000; p++)
		sim_read(&c, 1000 + p, 1);
	report(_metadata, "sequential", &c);
	EXPECT_LE(0.90, accuracy(&c));
	EXPECT_LE(0.80, coverage(&c));
}

TEST(reverse)
{
	struct sim c;
	u64 p;

	sim_init(&c, MTIER_PF_ADAPTIVE);
	for (p = 0; p < 20000; p++)
		sim_read(&c, 50000 - p, 1);
	report(_metadata, "reverse", &c);
	EXPECT_LE(0.90, accuracy(&c));
	EXPECT_LE(0.80, coverage(&c));
}

TEST(strides)
{
	static const int strides[] = { 2, 4, 16, 100, -8 };
	struct sim c;
	unsigned int i;
	u64 p;

	for (i = 0; i < sizeof(strides) / sizeof(strides[0]); i++) {
		char what[32];

		sim_init(&c, MTIER_PF_ADAPTIVE);
		for (p = 0; p < 10000; p++)
			sim_read(&c, 1000000 + strides[i] * (s64)p, 1);
		snprintf(what, sizeof(what), "stride %d", strides[i]);
		report(_metadata, what, &c);
		EXPECT_LE(0.90, accuracy(&c));
		EXPECT_LE(0.80, coverage(&c));
	}
}

TEST(multi_page_reads)
{
	struct sim c;
	u64 p;

	sim_init(&c, MTIER_PF_ADAPTIVE);
	for (p = 0; p < 5000; p++)
		sim_read(&c, 16 * p, 16);
	report(_metadata, "sequential 64K reads", &c);
	EXPECT_LE(0.90, accuracy(&c));
	EXPECT_LE(0.80, coverage(&c));
}

TEST(two_interleaved_streams)
{
	struct sim c;
	u64 p;

	sim_init(&c, MTIER_PF_ADAPTIVE);
	for (p = 0; p < 10000; p++) {
		sim_read(&c, p, 1);
		sim_read(&c, 5000000 + 3 * p, 1);
	}
	report(_metadata, "two interleaved", &c);
	EXPECT_LE(0.60, coverage(&c));
	EXPECT_LE(0.80, accuracy(&c));
}

TEST(four_interleaved_streams)
{
	struct sim c;
	u64 p;
	int k;

	sim_init(&c, MTIER_PF_ADAPTIVE);
	for (p = 0; p < 5000; p++)
		for (k = 0; k < 4; k++)
			sim_read(&c, k * 10000000ULL + p, 1);
	report(_metadata, "four interleaved", &c);
	EXPECT_LE(0.60, coverage(&c));
}

TEST(random_costs_nothing)
{
	u64 state = 88172645463325252ULL;
	struct sim c;
	int i;

	sim_init(&c, MTIER_PF_ADAPTIVE);
	for (i = 0; i < 50000; i++)
		sim_read(&c, rnd(&state) % (1 << 20), 1);
	report(_metadata, "random", &c);
	/* prefetch traffic at most 10% of demand traffic */
	EXPECT_GE(c.reads / 10, c.issued);
}

TEST(random_near_neighbours)
{
	u64 state = 1234567ULL;
	struct sim c;
	int i;

	/* random within a small area: many streams, no trend */
	sim_init(&c, MTIER_PF_ADAPTIVE);
	for (i = 0; i < 50000; i++)
		sim_read(&c, rnd(&state) % 2048, 1);
	report(_metadata, "random, small area", &c);
	EXPECT_GE(c.reads / 10, c.issued);
}

TEST(pattern_changes)
{
	u64 state = 42, p;
	struct sim c;
	int i;

	/* sequential, then random: the window must drain, not keep guessing */
	sim_init(&c, MTIER_PF_ADAPTIVE);
	for (p = 0; p < 5000; p++)
		sim_read(&c, p, 1);
	c.issued = c.hits = c.misses = c.reads = 0;
	for (i = 0; i < 20000; i++)
		sim_read(&c, 100000 + rnd(&state) % (1 << 20), 1);
	report(_metadata, "sequential, then random", &c);
	EXPECT_GE(c.reads / 10, c.issued);
	/* and back to a scan: it picks it up again */
	c.issued = c.hits = c.misses = c.reads = 0;
	for (p = 0; p < 5000; p++)
		sim_read(&c, 3000000 + p, 1);
	report(_metadata, "then sequential again", &c);
	EXPECT_LE(0.80, coverage(&c));
}

TEST(sequential_policy_only_ascends)
{
	struct sim c;
	u64 p;

	sim_init(&c, MTIER_PF_SEQUENTIAL);
	for (p = 0; p < 5000; p++)
		sim_read(&c, p, 1);
	report(_metadata, "sequential policy, seq", &c);
	EXPECT_LE(0.80, coverage(&c));

	sim_init(&c, MTIER_PF_SEQUENTIAL);
	for (p = 0; p < 5000; p++)
		sim_read(&c, 90000 - p, 1);
	report(_metadata, "sequential policy, rev", &c);
	EXPECT_EQ(0, c.issued);

	sim_init(&c, MTIER_PF_SEQUENTIAL);
	for (p = 0; p < 5000; p++)
		sim_read(&c, 4 * p, 1);
	EXPECT_EQ(0, c.issued);
}

TEST(off_prefetches_nothing)
{
	struct sim c;
	u64 p;

	sim_init(&c, MTIER_PF_OFF);
	for (p = 0; p < 5000; p++)
		sim_read(&c, p, 1);
	EXPECT_EQ(0, c.issued);
}

TEST(window_never_exceeds_its_max)
{
	struct mtier_pf_req req;
	struct mtier_pf pf;
	u64 p;

	mtier_pf_init(&pf, MTIER_PF_ADAPTIVE, 8, 32);
	for (p = 0; p < 5000; p++) {
		mtier_pf_access(&pf, p, 1, p > 10, &req);
		EXPECT_GE(8, req.count);
		EXPECT_GE(8, pf.s[0].window);
	}
	/* throttled: half */
	mtier_pf_throttle(&pf);
	EXPECT_GE(4, pf.s[0].window);
}

TEST(window_shrinks_to_zero_when_unused)
{
	struct mtier_pf_req req;
	struct mtier_pf pf;
	unsigned long issued = 0;
	u64 p;

	/* a scan whose prefetched pages are never read (evicted, say) */
	mtier_pf_init(&pf, MTIER_PF_ADAPTIVE, 64, 32);
	for (p = 0; p < 5000; p++)
		issued += mtier_pf_access(&pf, p, 1, false, &req);
	TH_LOG("unused scan: %lu prefetches for 5000 reads", issued);
	/* only rarer and rarer probes, one page each */
	EXPECT_GE(5000 / 32, issued);
	EXPECT_GE(1, pf.s[0].window);
}

/* A scan cut into reads of 3 and 5 pages, as swap readahead cuts one. */
TEST(uneven_contiguous_reads)
{
	struct sim c;
	u64 p = 0;
	int i;

	sim_init(&c, MTIER_PF_ADAPTIVE);
	for (i = 0; i < 5000; i++) {
		sim_read(&c, p, i % 2 ? 5 : 3);
		p += i % 2 ? 5 : 3;
	}
	report(_metadata, "reads of 3, 5, 3... pages", &c);
	EXPECT_LE(0.90, accuracy(&c));
	EXPECT_LE(0.80, coverage(&c));
}

/*
 * Swapped-out memory read back in order: 2 MiB clusters, each far from
 * the one before, read 8 pages at a time.  Nothing should be fetched past
 * a cluster's end.
 */
TEST(swap_cluster_runs)
{
	struct sim c;
	u64 run, p;

	sim_init(&c, MTIER_PF_ADAPTIVE);
	for (run = 0; run < 40; run++)
		for (p = 0; p < 512; p += 8)
			sim_read(&c, (run * 32 % 61) * 512 + p, 8);
	report(_metadata, "2 MiB runs, far apart", &c);
	EXPECT_LE(0.90, accuracy(&c));
	EXPECT_LE(0.80, coverage(&c));
}

/* Replay a trace file, "PAGE [PAGES]" per line ('#' lines skipped). */
static int replay(struct sim *c, const char *file)
{
	unsigned long long page;
	unsigned int len;
	char line[128];
	FILE *f;

	f = fopen(file, "r");
	if (!f)
		return -1;
	sim_init(c, MTIER_PF_ADAPTIVE);
	while (fgets(line, sizeof(line), f)) {
		len = 1;
		if (sscanf(line, "%llu %u", &page, &len) >= 1)
			sim_read(c, page, len);
	}
	fclose(f);
	return 0;
}

/*
 * Recorded in the rig (selftests/traces): what the tier saw while memwalk
 * walked swapped-out memory, read through the kernel's swap readahead.
 */
TEST(recorded_swap_walks)
{
	struct sim c;

	if (replay(&c, "traces/swap-walk-seq.trace"))
		SKIP(return, "run from selftests/: traces/ not found");
	report(_metadata, "swap walk, sequential", &c);
	EXPECT_LE(0.90, accuracy(&c));
	EXPECT_LE(0.80, coverage(&c));
	ASSERT_EQ(0, replay(&c, "traces/swap-walk-interleave.trace"));
	report(_metadata, "swap walk, two scans", &c);
	EXPECT_LE(0.90, accuracy(&c));
	EXPECT_LE(0.60, coverage(&c));
}

TEST(recorded_trace)
{
	const char *file = getenv("MTIER_PF_TRACE");
	struct sim c;

	if (!file)
		SKIP(return, "no MTIER_PF_TRACE given");
	ASSERT_EQ(0, replay(&c, file));
	report(_metadata, file, &c);
}

TEST_HARNESS_MAIN
