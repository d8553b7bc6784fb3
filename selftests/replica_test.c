// SPDX-License-Identifier: GPL-2.0
/*
 * Unit test of the decisions about a replicated tier's copies
 * (kernel/replica_policy.c, built here in userspace): where a copy goes,
 * which copy a read uses, which copies a write goes to and when it is
 * good, which bucket of chunks a write and a heal meet in.
 *
 * Besides direct tests of each, a model check: a simulated tier (peers
 * with donors that die and come back with their memory gone, slabs with
 * 1 to 4 copies, in chunks) runs random interleavings of writes, reads,
 * peer deaths and returns, failed transfers, discards and heals taken
 * step by step, as blkdev.c, tslab.c and replica.c run them, every decision
 * made by replica_policy.c.  The model beside it is what was written last
 * to each chunk, what each donor holds, and which of its remote slabs were
 * written whole (at the slab's birth, or by a heal to its end) and which
 * had a transfer fail on them; after every step the simulation is checked
 * against it: a read returns the latest value, or fails only when no copy
 * written whole and never failed holds it; a good copy holds all the
 * latest data; no slab has two copies on one peer; each donor holds
 * exactly the slabs copies point to; a healed copy holds what was written.
 *
 *   replica_test                    all of it
 *   MTIER_RP_SEEDS=N replica_test   N seeds per replica count (300)
 *   MTIER_RP_TRACE=1 replica_test   every step of every run, on stderr
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "../kernel/replica_policy.h"

#define BIT(n)		(1UL << (n))
#define EXPECT_NEAR(want, seen, tol) \
	EXPECT_GE((long)(tol), labs((long)(seen) - (long)(want)))

/* xorshift64*: fixed seeds, the same run everywhere. */
static u64 rng_state;

static void rng_seed(u64 seed)
{
	rng_state = seed * 0x9e3779b97f4a7c15ULL + 1;
}

static u32 rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (u32)((rng_state * 0x2545f4914f6cdd1dULL) >> 32);
}

static u32 below(u32 n)
{
	return rnd() % n;
}

/* --- Placement -------------------------------------------------------- */

#define SLAB	(1ULL << 30)

static void peers_init(struct mtier_rp_peer *p, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		p[i].up = true;
		p[i].free = 10 * SLAB;
		p[i].slab_size = SLAB;
	}
}

TEST(place_none_without_a_candidate)
{
	struct mtier_rp_peer p[4];
	int i;

	peers_init(p, 4);
	EXPECT_EQ(-1, mtier_rp_place(p, 0, 0, rnd(), rnd()));
	EXPECT_EQ(-1, mtier_rp_place(p, 4, 0xf, rnd(), rnd()));
	for (i = 0; i < 4; i++)
		p[i].up = false;
	EXPECT_EQ(-1, mtier_rp_place(p, 4, 0, rnd(), rnd()));
	peers_init(p, 4);
	for (i = 0; i < 4; i++)
		p[i].free = SLAB - 1;	/* no room for one slab */
	EXPECT_EQ(-1, mtier_rp_place(p, 4, 0, rnd(), rnd()));
	/* room counted in the peer's own slab size */
	p[2].slab_size = SLAB - 1;
	EXPECT_EQ(2, mtier_rp_place(p, 4, 0, rnd(), rnd()));
	EXPECT_EQ(-1, mtier_rp_place(p, 4, BIT(2), rnd(), rnd()));
}

TEST(place_never_down_full_or_excluded)
{
	struct mtier_rp_peer p[16];
	int i, k, n;

	rng_seed(1);
	for (n = 0; n < 20000; n++) {
		unsigned long exclude = rnd() & 0xffff;
		int nr = 1 + below(16), cands = 0;

		for (i = 0; i < nr; i++) {
			p[i].up = below(4);
			p[i].slab_size = SLAB;
			p[i].free = below(4) * SLAB / 2;
			if (p[i].up && p[i].free >= SLAB && !(exclude & BIT(i)))
				cands++;
		}
		k = mtier_rp_place(p, nr, exclude, rnd(), rnd());
		if (!cands) {
			ASSERT_EQ(-1, k);
			continue;
		}
		ASSERT_LE(0, k);
		ASSERT_GT(nr, k);
		ASSERT_TRUE(p[k].up);
		ASSERT_LE(SLAB, p[k].free);
		ASSERT_FALSE(exclude & BIT(k));
	}
	/* the extreme draws stay in range */
	peers_init(p, 3);
	EXPECT_EQ(0, mtier_rp_place(p, 3, 0, 0, 0));
	EXPECT_EQ(2, mtier_rp_place(p, 3, 0, ~0U, ~0U));
	EXPECT_EQ(1, mtier_rp_place(p, 3, BIT(2), ~0U, ~0U));
}

/*
 * Two candidates drawn, the freer wins: with n candidates of distinct
 * free space, the r-th least free (from 1) wins with (2r - 1) / n^2.
 */
TEST(place_power_of_two_choices)
{
	struct mtier_rp_peer p[4];
	int count[4] = {}, i, n = 200000;

	rng_seed(2);
	peers_init(p, 4);
	p[0].free = 30 * SLAB;
	p[1].free = 10 * SLAB;
	p[2].free = 20 * SLAB;
	p[3].free = 40 * SLAB;
	for (i = 0; i < n; i++)
		count[mtier_rp_place(p, 4, BIT(3), rnd(), rnd())]++;
	TH_LOG("10, 20, 30 slabs free: %d %d %d of %d", count[1], count[2],
	       count[0], n);
	EXPECT_EQ(0, count[3]);
	EXPECT_NEAR(n * 1 / 9, count[1], n / 100);
	EXPECT_NEAR(n * 3 / 9, count[2], n / 100);
	EXPECT_NEAR(n * 5 / 9, count[0], n / 100);
	/* equal free space: even */
	memset(count, 0, sizeof(count));
	peers_init(p, 4);
	for (i = 0; i < n; i++)
		count[mtier_rp_place(p, 4, 0, rnd(), rnd())]++;
	for (i = 0; i < 4; i++)
		EXPECT_NEAR(n / 4, count[i], n / 100);
}

TEST(used_mask)
{
	int peer_of[4] = { 3, -1, 0, 7 };

	EXPECT_EQ(BIT(0) | BIT(3) | BIT(7), mtier_rp_used(peer_of, 4, -1));
	EXPECT_EQ(BIT(0) | BIT(7), mtier_rp_used(peer_of, 4, 0));
	EXPECT_EQ(BIT(0) | BIT(3) | BIT(7), mtier_rp_used(peer_of, 4, 1));
	EXPECT_EQ(BIT(3), mtier_rp_used(peer_of, 3, 2));
	EXPECT_EQ(0, mtier_rp_used(peer_of, 0, -1));
}

/* --- Reads and writes ------------------------------------------------- */

TEST(read_slot_good_and_least_loaded)
{
	int users[4] = { 0, 0, 0, 0 }, i, s, nr;
	unsigned long ok;

	EXPECT_EQ(-1, mtier_rp_read_slot(4, 0, users, 0));
	EXPECT_EQ(-1, mtier_rp_read_slot(0, 0xf, users, ~0U));
	EXPECT_EQ(2, mtier_rp_read_slot(4, BIT(2), users, 0));
	EXPECT_EQ(2, mtier_rp_read_slot(4, BIT(2), users, ~0U));
	rng_seed(3);
	for (i = 0; i < 100000; i++) {
		nr = 1 + below(4);
		ok = rnd() & (BIT(nr) - 1);
		for (s = 0; s < 4; s++)
			users[s] = below(3);
		s = mtier_rp_read_slot(nr, ok, users, rnd());
		if (!ok) {
			ASSERT_EQ(-1, s);
			continue;
		}
		ASSERT_LE(0, s);
		ASSERT_TRUE(ok & BIT(s));
		/* none of the others it may use has fewer transfers */
		for (nr--; nr >= 0; nr--)
			if (ok & BIT(nr))
				ASSERT_LE(users[s], users[nr]);
	}
}

/* @n reads of @nr slots, counted by the slot each goes to. */
static void read_counts(int nr, unsigned long ok, const int *users, int n,
			int *count)
{
	int i;

	memset(count, 0, 4 * sizeof(*count));
	for (i = 0; i < n; i++)
		count[mtier_rp_read_slot(nr, ok, users, rnd())]++;
}

/*
 * Of the least loaded slots it may use, each is as likely as the others:
 * a slot it may not use (stale, or tried already) gives none of its share
 * to the slot after it.
 */
TEST(read_slot_spreads_over_ties)
{
	int users[4] = { 1, 0, 2, 0 }, count[4], i, j, n = 120000;

	/* slots 1 and 3 tie: the low half of the draws, the high half */
	EXPECT_EQ(1, mtier_rp_read_slot(4, 0xf, users, 0));
	EXPECT_EQ(1, mtier_rp_read_slot(4, 0xf, users, 0x7fffffff));
	EXPECT_EQ(3, mtier_rp_read_slot(4, 0xf, users, 0x80000000));
	EXPECT_EQ(3, mtier_rp_read_slot(4, 0xf, users, ~0U));
	rng_seed(4);
	read_counts(4, 0xf, users, n, count);
	EXPECT_EQ(0, count[0]);
	EXPECT_EQ(0, count[2]);
	EXPECT_NEAR(n / 2, count[1], n / 100);
	EXPECT_NEAR(n / 2, count[3], n / 100);
	/* all good and idle: a quarter each */
	memset(users, 0, sizeof(users));
	read_counts(4, 0xf, users, n, count);
	TH_LOG("all 4 good: %d %d %d %d", count[0], count[1], count[2],
	       count[3]);
	for (i = 0; i < 4; i++)
		EXPECT_NEAR(n / 4, count[i], n / 100);
	/* one of 4 not good, each place in turn: a third each of the rest */
	for (i = 0; i < 4; i++) {
		read_counts(4, 0xf & ~BIT(i), users, n, count);
		TH_LOG("slot %d of 4 not good: %d %d %d %d", i, count[0],
		       count[1], count[2], count[3]);
		EXPECT_EQ(0, count[i]);
		for (j = 0; j < 4; j++)
			if (j != i)
				EXPECT_NEAR(n / 3, count[j], n / 100);
	}
	/* two adjacent not good (stale, or tried): half each of the rest */
	read_counts(4, BIT(0) | BIT(3), users, n, count);
	EXPECT_EQ(0, count[1] + count[2]);
	EXPECT_NEAR(n / 2, count[0], n / 100);
	EXPECT_NEAR(n / 2, count[3], n / 100);
	/* one busier, one not good: half each of the 2 left */
	users[2] = 1;
	read_counts(4, 0xf & ~BIT(3), users, n, count);
	EXPECT_EQ(0, count[2] + count[3]);
	EXPECT_NEAR(n / 2, count[0], n / 100);
	EXPECT_NEAR(n / 2, count[1], n / 100);
	/* 3 slots, all good: a third each */
	memset(users, 0, sizeof(users));
	read_counts(3, 0x7, users, n, count);
	for (i = 0; i < 3; i++)
		EXPECT_NEAR(n / 3, count[i], n / 100);
	EXPECT_EQ(0, count[3]);
}

TEST(write_slots_and_success)
{
	EXPECT_EQ(0x5, mtier_rp_write_slots(0x5, -1));
	EXPECT_EQ(0x7, mtier_rp_write_slots(0x5, 1));
	EXPECT_EQ(0x5, mtier_rp_write_slots(0x5, 2));
	EXPECT_EQ(0x2, mtier_rp_write_slots(0, 1));
	EXPECT_FALSE(mtier_rp_write_ok(0, -1));
	EXPECT_FALSE(mtier_rp_write_ok(BIT(1), 1));
	EXPECT_TRUE(mtier_rp_write_ok(BIT(1), -1));
	EXPECT_TRUE(mtier_rp_write_ok(BIT(1) | BIT(3), 1));
	EXPECT_TRUE(mtier_rp_write_ok(BIT(0), 1));
}

TEST(buckets_of_chunks)
{
	u64 chunk = 1ULL << MTIER_HEAL_CHUNK_SHIFT;

	EXPECT_EQ(0, mtier_rp_bucket(0));
	EXPECT_EQ(0, mtier_rp_bucket(chunk - 1));
	EXPECT_EQ(1, mtier_rp_bucket(chunk));
	EXPECT_EQ(MTIER_HEAL_BUCKETS - 1,
		  mtier_rp_bucket(MTIER_HEAL_BUCKETS * chunk - 4096));
	EXPECT_EQ(0, mtier_rp_bucket(MTIER_HEAL_BUCKETS * chunk));
	EXPECT_EQ(3, mtier_rp_bucket((2 * MTIER_HEAL_BUCKETS + 3) * chunk + 5));
}

/* --- The model check -------------------------------------------------- */

#define NP	6		/* peers at most */
#define NS	5		/* slabs */
#define NC	10		/* chunks a slab: 8 and 9 share buckets 0 and 1 */
#define NR	4		/* copies a slab at most */
#define NIDS	64		/* remote slabs a donor holds at most */
#define NOPS	12		/* reads and writes in flight at most */
#define NONE	0		/* no value */
#define STEPS	600

/* A donor behind a peer: its memory is lost when its connection goes. */
struct donor {
	u64 gen;		/* the connection's generation; 0: down */
	int cap;		/* remote slabs it has room for */
	u64 said_free;		/* what the peer last heard of its free bytes */
	bool held[NIDS];
	bool bad[NIDS];		/* a transfer failed on it: never trusted */
	bool whole[NIDS];	/* written whole: at the slab's birth, or healed */
	u32 mem[NIDS][NC];
};

/* A remote slab, as struct mtier_rslab. */
struct rslab {
	int peer;		/* -1: none */
	u64 gen;
	int id;
};

/* A slab of the tier, as struct mtier_tslab. */
struct tslab {
	bool mapped;
	unsigned long stale;
	int users[NR];
	int target, locked;
	int writers[MTIER_HEAL_BUCKETS];
	struct rslab rep[NR];
};

/* A transfer on one copy, its remote slab read at submission. */
struct xfer {
	int slot;
	struct rslab rs;
};

struct op {
	bool used, write;
	int s, c;
	u32 val;		/* a write's value */
	int target, bucket;	/* a write's choice of heal target, bucket */
	unsigned long pending;	/* a write's copies not ended yet */
	unsigned long took;	/* a write's copies that took it */
	unsigned long tried;	/* a read's copies tried */
	bool durable;		/* a write landed on a copy written whole */
	struct xfer x[NR];	/* by slot */
};

enum heal_state {
	H_IDLE,			/* no run */
	H_SCAN,			/* look at slab hs, from slot hk on */
	H_DRAIN,		/* wait for the transfers on slot hk */
	H_PLACE,		/* give back and place slot hk again */
	H_LOCK,			/* lock the bucket of chunk hc */
	H_READ,			/* read chunk hc from a good copy */
	H_WRITE,		/* write it to the target */
	H_CLEAR,		/* the copy is whole: clear its stale bit */
};

struct stats {
	u64 steps, writes, writes_failed, reads, reads_failed, retries;
	u64 held_back, into_copied, into_not_copied, heals, heals_failed;
	u64 heals_torn;
	u64 deaths, failures, places_refused, discards;
};

struct sim {
	int np, nr;
	u32 next_val;
	u32 next_garbage;
	struct donor d[NP];
	u64 next_gen;
	struct tslab t[NS];
	/* the model */
	u32 latest[NS][NC];	/* the value last written well */
	u32 maybe[NS][NC];	/* a failed write's value since, or NONE */
	bool busy[NS][NC];	/* a read or write on the chunk is in flight */
	struct op ops[NOPS];
	/* the heal work */
	enum heal_state h;
	int hs, hk, hc, hsrc;
	struct xfer hx;
	u32 hbuf;
	int fail_pct;		/* failed transfers, in percent */
	struct stats st;
	struct __test_metadata *md;
	int logged;
	bool failed;
};

/* Log the first few findings of a run; any fails the test. */
#define CHECK(sim, cond, fmt, ...) do {					\
	if (!(cond)) {							\
		if ((sim)->logged++ < 5)				\
			TH_LOG("step %llu: " fmt,			\
			       (unsigned long long)(sim)->st.steps,	\
			       ##__VA_ARGS__);				\
		(sim)->failed = true;					\
	}								\
} while (0)
#define _metadata (sim->md)

/* MTIER_RP_TRACE=1: every step of every run on stderr. */
static bool tracing;
#define TRACE(sim, fmt, ...) do {					\
	if (tracing)							\
		fprintf(stderr, "%llu: " fmt "\n",			\
			(unsigned long long)(sim)->st.steps, ##__VA_ARGS__); \
} while (0)

static bool good(struct sim *sim, int s, int k)
{
	const struct rslab *rs = &sim->t[s].rep[k];

	if (sim->t[s].stale & BIT(k) || rs->peer < 0)
		return false;
	return sim->d[rs->peer].gen == rs->gen;
}

static unsigned long good_slots(struct sim *sim, int s)
{
	unsigned long g = 0;
	int k;

	for (k = 0; k < sim->nr; k++)
		if (good(sim, s, k))
			g |= BIT(k);
	return g;
}

/* The donor memory behind a remote slab, NULL when it is gone. */
static u32 *donor_mem(struct sim *sim, const struct rslab *rs)
{
	struct donor *d;

	if (rs->peer < 0)
		return NULL;
	d = &sim->d[rs->peer];
	if (d->gen != rs->gen || !d->held[rs->id])
		return NULL;
	return d->mem[rs->id];
}

static u32 garbage(struct sim *sim)
{
	return 0x80000000u | sim->next_garbage++;
}

/* Remote slabs the donor has room for still. */
static int donor_room(struct sim *sim, int p)
{
	int id, n = 0;

	for (id = 0; id < NIDS; id++)
		n += sim->d[p].held[id];
	return sim->d[p].cap - n;
}

/* mtier_peer_alloc_slab(): what the donor has, not what it said. */
static int donor_alloc(struct sim *sim, int p, struct rslab *rs)
{
	struct donor *d = &sim->d[p];
	int id, n = 0, c;

	if (!d->gen)
		return -5;
	for (id = 0; id < NIDS; id++)
		n += d->held[id];
	if (n >= d->cap)
		return -28;
	for (id = 0; d->held[id]; id++)
		;
	d->held[id] = true;
	d->bad[id] = false;
	d->whole[id] = false;
	for (c = 0; c < NC; c++)
		d->mem[id][c] = garbage(sim);	/* nothing to trust in it */
	rs->peer = p;
	rs->gen = d->gen;
	rs->id = id;
	d->said_free = (u64)(d->cap - n - 1) * SLAB;
	return 0;
}

/* mtier_peer_free_slab(): a slab of an older connection is gone already. */
static void donor_free(struct sim *sim, struct rslab *rs)
{
	struct donor *d = &sim->d[rs->peer];

	if (d->gen == rs->gen) {
		CHECK(sim, d->held[rs->id], "peer %d: slab %d freed twice",
		      rs->peer, rs->id);
		d->held[rs->id] = false;
		d->said_free += SLAB;
	}
	rs->peer = -1;
}

/* mtier_tslab_used() */
static unsigned long used_peers(struct sim *sim, int s, int slot)
{
	int peer_of[NR], k;

	for (k = 0; k < sim->nr; k++)
		peer_of[k] = sim->t[s].rep[k].peer;
	return mtier_rp_used(peer_of, sim->nr, slot);
}

/* mtier_tslab_alloc_copy(): 0, or an error when no peer took it. */
static int replica_alloc(struct sim *sim, unsigned long tried,
			 struct rslab *rs)
{
	struct mtier_rp_peer p[NP];
	int i, k;

	for (;;) {
		for (i = 0; i < sim->np; i++) {
			p[i].up = sim->d[i].gen != 0;
			p[i].free = sim->d[i].said_free;
			p[i].slab_size = SLAB;
		}
		k = mtier_rp_place(p, sim->np, tried, rnd(), rnd());
		TRACE(sim, "place: not %#lx: peer %d", tried, k);
		if (k < 0)
			return -28;
		CHECK(sim, !(tried & BIT(k)) && sim->d[k].gen,
		      "placed on peer %d, excluded or down", k);
		if (!donor_alloc(sim, k, rs))
			return 0;
		sim->st.places_refused++;
		tried |= BIT(k);
	}
}

/* mtier_tslab_alloc(), for the first write into an unmapped slab. */
static bool tslab_alloc(struct sim *sim, int s)
{
	struct tslab *ts = &sim->t[s];
	int i, j = 0;

	memset(ts, 0, sizeof(*ts));
	ts->target = -1;
	ts->locked = -1;
	for (i = 0; i < NR; i++)
		ts->rep[i].peer = -1;
	for (i = 0; i < sim->nr; i++) {
		if (replica_alloc(sim, used_peers(sim, s, -1), &ts->rep[j]))
			break;
		j++;
	}
	if (!j)
		return false;
	for (i = j; i < sim->nr; i++)
		ts->stale |= BIT(i);
	ts->mapped = true;
	/* what the new remote slabs hold: the same on each, as if written */
	for (i = 0; i < NC; i++) {
		sim->latest[s][i] = garbage(sim);
		sim->maybe[s][i] = NONE;
		for (j = 0; j < sim->nr; j++)
			if (ts->rep[j].peer >= 0) {
				donor_mem(sim, &ts->rep[j])[i] =
					sim->latest[s][i];
				sim->d[ts->rep[j].peer].whole[ts->rep[j].id] =
					true;
			}
	}
	return true;
}

/* mtier_tier_unmap() of a whole slab, nothing in flight on it. */
static void tslab_free(struct sim *sim, int s)
{
	int k;

	for (k = 0; k < sim->nr; k++)
		if (sim->t[s].rep[k].peer >= 0)
			donor_free(sim, &sim->t[s].rep[k]);
	sim->t[s].mapped = false;
}

/* mtier_tslab_get_copy(): a good slot not in @skip, held; -1 if none. */
static int get_copy(struct sim *sim, int s, unsigned long skip)
{
	int k = mtier_rp_read_slot(sim->nr, good_slots(sim, s) & ~skip,
				   sim->t[s].users, sim->nr > 1 ? rnd() : 0);

	if (k >= 0)
		sim->t[s].users[k]++;
	return k;
}

/* mtier_tslab_set_stale(): the torn bit, then the stale bit. */
static void set_stale(struct sim *sim, int s, int k)
{
	sim->t[s].stale |= MTIER_RP_TORN(k) | BIT(k);
}

/* A chunk's content matches what was written (or a write in flight). */
static bool holds(struct sim *sim, int s, int c, u32 v, u32 inflight)
{
	return v == sim->latest[s][c] ||
	       (sim->maybe[s][c] != NONE && v == sim->maybe[s][c]) ||
	       (inflight != NONE && v == inflight);
}

static u32 inflight_value(struct sim *sim, int s, int c)
{
	int i;

	for (i = 0; i < NOPS; i++)
		if (sim->ops[i].used && sim->ops[i].write &&
		    sim->ops[i].s == s && sim->ops[i].c == c)
			return sim->ops[i].val;
	return NONE;
}

/*
 * The model: some copy written whole (at the slab's birth, or by a heal
 * to its end), on which no transfer failed since, holds all of the latest
 * data; @except, the heal target a write chose, not counted (a write does
 * not count on it, even if its heal has ended since).
 */
static bool model_has_copy(struct sim *sim, int s, int except)
{
	struct rslab *rs;
	int k, c;
	u32 *m;

	for (k = 0; k < sim->nr; k++) {
		rs = &sim->t[s].rep[k];
		m = donor_mem(sim, rs);
		if (k == except || !m || sim->d[rs->peer].bad[rs->id] ||
		    !sim->d[rs->peer].whole[rs->id])
			continue;
		for (c = 0; c < NC; c++)
			if (!holds(sim, s, c, m[c], NONE))
				break;
		if (c == NC)
			return true;
	}
	return false;
}

/* A transfer fails: its peer's connection went, or it failed itself. */
static bool xfer_fails(struct sim *sim, const struct xfer *x)
{
	if (!donor_mem(sim, &x->rs))
		return true;
	if ((int)below(100) < sim->fail_pct) {
		sim->st.failures++;
		return true;
	}
	return false;
}

/*
 * A copy a transfer failed on is never trusted: nor is it by the model.
 * A failed write leaves the chunk undefined.
 */
static void spoil(struct sim *sim, const struct xfer *x, int c, bool write)
{
	u32 *m = donor_mem(sim, &x->rs);

	if (m) {
		if (write)
			m[c] = garbage(sim);
		sim->d[x->rs.peer].bad[x->rs.id] = true;
	}
}

static struct op *op_new(struct sim *sim)
{
	int i;

	for (i = 0; i < NOPS; i++)
		if (!sim->ops[i].used) {
			memset(&sim->ops[i], 0, sizeof(sim->ops[i]));
			sim->ops[i].used = true;
			return &sim->ops[i];
		}
	return NULL;
}

/* mtier_write_start(), at chunk granularity. */
static void write_start(struct sim *sim)
{
	int s = below(NS), c = below(NC), k, b;
	struct op *op;
	struct tslab *ts = &sim->t[s];
	unsigned long slots;

	/* a third of them into the chunk being copied, or its bucket */
	if (sim->h >= H_LOCK && sim->h <= H_WRITE && !below(3)) {
		s = sim->hs;
		ts = &sim->t[s];
		c = (sim->hc + MTIER_HEAL_BUCKETS * below(2)) % NC;
	}
	if (sim->busy[s][c])
		return;
	if (!ts->mapped && !tslab_alloc(sim, s)) {
		/* no peer up that says it has room and has it */
		for (k = 0; k < sim->np; k++)
			CHECK(sim, !sim->d[k].gen || sim->d[k].said_free < SLAB ||
			      donor_room(sim, k) <= 0,
			      "slab %d not placed, peer %d up with room", s, k);
		return;
	}
	op = op_new(sim);
	if (!op)
		return;
	op->write = true;
	op->s = s;
	op->c = c;
	op->target = -1;
	op->bucket = -1;
	if (sim->nr > 1) {
		b = mtier_rp_bucket((u64)c << MTIER_HEAL_CHUNK_SHIFT);
		if (ts->locked == b) {
			sim->st.held_back++;	/* requeued */
			op->used = false;
			return;
		}
		ts->writers[b]++;
		op->bucket = b;
		op->target = ts->target;
		if (op->target >= 0 && sim->h >= H_LOCK && sim->hs == s)
			*(c < sim->hc ? &sim->st.into_copied :
					&sim->st.into_not_copied) += 1;
	}
	slots = mtier_rp_write_slots(good_slots(sim, s), op->target);
	for (k = 0; k < sim->nr; k++)
		if (slots & BIT(k)) {
			ts->users[k]++;
			op->x[k].slot = k;
			op->x[k].rs = ts->rep[k];
		}
	op->val = ++sim->next_val;
	sim->busy[s][c] = true;
	sim->st.writes++;
	if (!mtier_rp_write_ok(slots, op->target)) {
		for (k = 0; k < sim->nr; k++)
			if (slots & BIT(k))
				ts->users[k]--;
		op->pending = 0;	/* ends at its next step, failed */
		return;
	}
	op->pending = slots;
	TRACE(sim, "write %#x slab %d chunk %d: slots %#lx target %d", op->val,
	      s, c, slots, op->target);
}

/* One copy of a write lands, or the write ends (mtier_cmd_finish()). */
static void write_step(struct sim *sim, struct op *op)
{
	struct tslab *ts = &sim->t[op->s];
	int k;
	u32 *m;

	if (op->pending) {
		do
			k = below(sim->nr);
		while (!(op->pending & BIT(k)));
		op->pending &= ~BIT(k);
		if (xfer_fails(sim, &op->x[k])) {
			TRACE(sim, "write %#x slot %d failed", op->val, k);
			spoil(sim, &op->x[k], op->c, true);
			set_stale(sim, op->s, k);
		} else {
			TRACE(sim, "write %#x slot %d done", op->val, k);
			m = donor_mem(sim, &op->x[k].rs);
			m[op->c] = op->val;
			/* (it may have failed a read since: as if it died) */
			op->durable |= sim->d[op->x[k].rs.peer].whole[op->x[k].rs.id];
			op->took |= BIT(k);
		}
		ts->users[k]--;
		return;
	}
	TRACE(sim, "write %#x took %#lx", op->val, op->took);
	if (op->bucket >= 0)
		ts->writers[op->bucket]--;
	op->used = false;
	sim->busy[op->s][op->c] = false;
	if (mtier_rp_write_ok(op->took, op->target)) {
		CHECK(sim, op->durable,
		      "write %#x to slab %d chunk %d done, no whole copy took it",
		      op->val, op->s, op->c);
		sim->latest[op->s][op->c] = op->val;
		sim->maybe[op->s][op->c] = NONE;
		return;
	}
	/* EIO: it may or may not be there; but no copy has what came before */
	sim->st.writes_failed++;
	sim->maybe[op->s][op->c] = op->val;
	CHECK(sim, !model_has_copy(sim, op->s, op->target),
	      "write to slab %d chunk %d failed, a copy holds the slab", op->s,
	      op->c);
}

static void read_start(struct sim *sim)
{
	int s = below(NS), c = below(NC), k;
	struct op *op;

	if (!sim->t[s].mapped || sim->busy[s][c])
		return;
	op = op_new(sim);
	if (!op)
		return;
	op->s = s;
	op->c = c;
	sim->st.reads++;
	k = get_copy(sim, s, 0);
	if (k < 0) {
		op->used = false;
		sim->st.reads_failed++;
		CHECK(sim, !model_has_copy(sim, s, -1),
		      "read of slab %d found no good copy, the model has one", s);
		return;
	}
	TRACE(sim, "read slab %d chunk %d: slot %d", s, c, k);
	op->tried = BIT(k);
	op->pending = BIT(k);
	op->x[k].slot = k;
	op->x[k].rs = sim->t[s].rep[k];
	sim->busy[s][c] = true;
}

/* A read's transfer ends: its value, or another copy (mtier_read_retry()). */
static void read_step(struct sim *sim, struct op *op)
{
	int k = __builtin_ctzl(op->pending), s = op->s;
	u32 *m;

	sim->t[s].users[k]--;
	if (!xfer_fails(sim, &op->x[k])) {
		m = donor_mem(sim, &op->x[k].rs);
		CHECK(sim, holds(sim, s, op->c, m[op->c], NONE),
		      "read of slab %d chunk %d from slot %d: %#x, not %#x", s,
		      op->c, k, m[op->c], sim->latest[s][op->c]);
		goto out;
	}
	TRACE(sim, "read slab %d chunk %d: slot %d failed", s, op->c, k);
	spoil(sim, &op->x[k], op->c, false);
	set_stale(sim, s, k);
	k = sim->nr > 1 ? get_copy(sim, s, op->tried) : -1;
	if (k >= 0) {
		sim->st.retries++;
		op->tried |= BIT(k);
		op->pending = BIT(k);
		op->x[k].slot = k;
		op->x[k].rs = sim->t[s].rep[k];
		return;
	}
	sim->st.reads_failed++;
	CHECK(sim, !model_has_copy(sim, s, -1),
	      "read of slab %d failed, the model has a copy", s);
out:
	op->used = false;
	sim->busy[s][op->c] = false;
}

static void heal_fail(struct sim *sim)
{
	struct tslab *ts = &sim->t[sim->hs];

	sim->st.heals_failed++;
	ts->target = -1;
	ts->locked = -1;
	sim->hs++;		/* the next slab; this one the next run */
	sim->hk = 0;
	sim->h = H_SCAN;
}

/*
 * One step of the heal work (mtier_heal_work(), _slot(), _copy() and
 * _chunk()).  Returns false when it waits for transfers to end.
 */
static bool heal_step(struct sim *sim)
{
	struct tslab *ts = &sim->t[sim->hs];
	unsigned long g;
	int k = sim->hk, c;
	u32 *m;

	TRACE(sim, "heal state %d slab %d slot %d chunk %d", sim->h, sim->hs,
	      sim->hk, sim->hc);
	switch (sim->h) {
	case H_IDLE:
		sim->hs = 0;
		sim->hk = 0;
		sim->h = H_SCAN;
		return true;
	case H_SCAN:
		for (; sim->hs < NS; sim->hs++, sim->hk = 0) {
			ts = &sim->t[sim->hs];
			if (!ts->mapped)
				continue;
			g = good_slots(sim, sim->hs);
			if (!g)
				continue;	/* lost: nothing to copy from */
			for (; sim->hk < sim->nr; sim->hk++)
				if (!(g & BIT(sim->hk)))
					break;
			if (sim->hk == sim->nr)
				continue;
			set_stale(sim, sim->hs, sim->hk);
			sim->h = H_DRAIN;
			return true;
		}
		sim->h = H_IDLE;
		return true;
	case H_DRAIN:
		if (ts->users[k])
			return false;
		sim->h = H_PLACE;
		return true;
	case H_PLACE:
		ts->stale &= ~MTIER_RP_TORN(k);
		if (ts->rep[k].peer >= 0)
			donor_free(sim, &ts->rep[k]);
		if (replica_alloc(sim, used_peers(sim, sim->hs, k),
				  &ts->rep[k])) {
			heal_fail(sim);
			return true;
		}
		ts->target = k;
		sim->hc = 0;
		sim->h = H_LOCK;
		return true;
	case H_LOCK:
		ts->locked = mtier_rp_bucket((u64)sim->hc <<
					     MTIER_HEAL_CHUNK_SHIFT);
		sim->h = H_READ;
		return true;
	case H_READ:
		if (ts->writers[ts->locked])
			return false;
		sim->hsrc = get_copy(sim, sim->hs, BIT(k));
		if (sim->hsrc < 0) {
			heal_fail(sim);
			return true;
		}
		sim->hx.slot = sim->hsrc;
		sim->hx.rs = ts->rep[sim->hsrc];
		ts->users[sim->hsrc]--;
		if (xfer_fails(sim, &sim->hx)) {
			spoil(sim, &sim->hx, sim->hc, false);
			set_stale(sim, sim->hs, sim->hsrc);
			heal_fail(sim);
			return true;
		}
		sim->hbuf = donor_mem(sim, &sim->hx.rs)[sim->hc];
		sim->h = H_WRITE;
		return true;
	case H_WRITE:
		sim->hx.slot = k;
		sim->hx.rs = ts->rep[k];
		if (xfer_fails(sim, &sim->hx)) {
			spoil(sim, &sim->hx, sim->hc, true);
			heal_fail(sim);
			return true;
		}
		donor_mem(sim, &sim->hx.rs)[sim->hc] = sim->hbuf;
		ts->locked = -1;
		sim->h = ++sim->hc < NC ? H_LOCK : H_CLEAR;
		return true;
	case H_CLEAR:
		ts->target = -1;
		if (!mtier_rp_heal_may_end(ts->stale, k)) {
			sim->st.heals_torn++;
			heal_fail(sim);
			return true;
		}
		m = donor_mem(sim, &ts->rep[k]);
		for (c = 0; m && c < NC; c++)
			CHECK(sim, holds(sim, sim->hs, c, m[c],
					 inflight_value(sim, sim->hs, c)),
			      "slab %d healed slot %d chunk %d: %#x, not %#x",
			      sim->hs, k, c, m[c], sim->latest[sim->hs][c]);
		ts->stale &= ~BIT(k);
		if (m)
			sim->d[ts->rep[k].peer].whole[ts->rep[k].id] = true;
		sim->st.heals++;
		sim->hk++;
		sim->h = H_SCAN;
		return true;
	}
	return false;
}

/* What must hold between any two steps. */
static void check(struct sim *sim)
{
	int refs[NP][NIDS] = {}, s, k, j, c, p, id;
	struct rslab *rs;
	u32 *m;

	for (s = 0; s < NS; s++) {
		if (!sim->t[s].mapped)
			continue;
		for (k = 0; k < sim->nr; k++) {
			rs = &sim->t[s].rep[k];
			if (rs->peer < 0)
				continue;
			for (j = 0; j < k; j++)
				CHECK(sim, sim->t[s].rep[j].peer != rs->peer,
				      "slab %d: slots %d and %d on peer %d", s,
				      j, k, rs->peer);
			if (rs->gen == sim->d[rs->peer].gen)
				refs[rs->peer][rs->id]++;
			if (!good(sim, s, k))
				continue;
			m = donor_mem(sim, rs);
			CHECK(sim, m && !sim->d[rs->peer].bad[rs->id],
			      "slab %d good slot %d: a transfer failed on it", s,
			      k);
			if (!m)
				continue;
			for (c = 0; c < NC; c++)
				CHECK(sim, holds(sim, s, c, m[c],
						 inflight_value(sim, s, c)),
				      "slab %d good slot %d chunk %d: %#x, not %#x",
				      s, k, c, m[c], sim->latest[s][c]);
		}
	}
	for (p = 0; p < sim->np; p++)
		for (id = 0; id < NIDS; id++)
			CHECK(sim, refs[p][id] == sim->d[p].held[id],
			      "peer %d slab %d: held %d, %d copies on it", p, id,
			      sim->d[p].held[id], refs[p][id]);
}

static void peer_die(struct sim *sim)
{
	int p = below(sim->np);

	if (!sim->d[p].gen)
		return;
	TRACE(sim, "peer %d dies", p);
	sim->d[p].gen = 0;	/* in flight on it: fail as they end */
	memset(sim->d[p].held, 0, sizeof(sim->d[p].held));
	sim->st.deaths++;
}

/* It comes back in a new connection, its donor's memory gone. */
static void peer_return(struct sim *sim, int p)
{
	struct donor *d = &sim->d[p];

	if (d->gen)
		return;
	TRACE(sim, "peer %d returns", p);
	d->gen = ++sim->next_gen;
	memset(d->held, 0, sizeof(d->held));
	d->said_free = d->cap * SLAB;
}

static void discard(struct sim *sim)
{
	int s = below(NS), c;

	if (!sim->t[s].mapped || (sim->h != H_IDLE && sim->hs == s))
		return;
	for (c = 0; c < NC; c++)
		if (sim->busy[s][c])
			return;
	tslab_free(sim, s);
	sim->st.discards++;
}

static void op_step(struct sim *sim)
{
	struct op *op = &sim->ops[below(NOPS)];

	if (!op->used)
		return;
	if (op->write)
		write_step(sim, op);
	else
		read_step(sim, op);
}

static bool ops_in_flight(struct sim *sim)
{
	int i;

	for (i = 0; i < NOPS; i++)
		if (sim->ops[i].used)
			return true;
	return false;
}

/*
 * After the last heal, with every peer up: a slab not lost has all its
 * copies good, unless no peer can take the first one missing (the heal
 * gives up on a slab at its first failure: the slots after it wait).
 */
static void heal_done(struct sim *sim, int s)
{
	unsigned long g = good_slots(sim, s), used;
	int k, p;

	if (!sim->t[s].mapped || !g)
		return;
	for (k = 0; k < sim->nr; k++) {
		if (g & BIT(k))
			continue;
		used = used_peers(sim, s, k);
		for (p = 0; p < sim->np; p++)
			CHECK(sim, used & BIT(p) || donor_room(sim, p) <= 0 ||
			      sim->d[p].said_free < SLAB,
			      "slab %d slot %d not healed, peer %d has room", s,
			      k, p);
		break;
	}
}

static void sim_run(struct sim *sim, u64 seed, int nr)
{
	struct __test_metadata *md = sim->md;
	struct stats st = sim->st;
	int i, r, guard;
	bool busy;

	memset(sim, 0, sizeof(*sim));
	sim->md = md;
	sim->st = st;
	rng_seed(seed);
	sim->nr = nr;
	sim->np = nr + below(NP - nr + 1);
	sim->fail_pct = below(4);
	for (i = 0; i < sim->np; i++) {
		sim->d[i].gen = ++sim->next_gen;
		sim->d[i].cap = 1 + below(NS + 2);
		sim->d[i].said_free = sim->d[i].cap * SLAB;
	}
	for (i = 0; i < NS; i++)
		sim->t[i].target = sim->t[i].locked = -1;
	for (i = 0; i < STEPS && !sim->failed; i++) {
		sim->st.steps++;
		r = below(1000);
		if (r < 250)
			write_start(sim);
		else if (r < 560)
			op_step(sim);
		else if (r < 660)
			read_start(sim);
		else if (r < 950) {
			if (nr > 1)
				heal_step(sim);
		} else if (r < 960)
			peer_die(sim);
		else if (r < 990)
			peer_return(sim, below(sim->np));
		else if (r < 997)
			discard(sim);
		else	/* a donor says how much it has free, or a stale figure */
			sim->d[below(sim->np)].said_free =
				below(NS + 3) * SLAB;
		check(sim);
	}
	/* the end: everything in flight ends, every peer back, heal done */
	sim->fail_pct = 0;
	for (guard = 0; ops_in_flight(sim) && guard < 100000; guard++) {
		op_step(sim);
		if (nr > 1 && sim->h != H_IDLE)
			heal_step(sim);
		check(sim);
	}
	CHECK(sim, !ops_in_flight(sim), "transfers never ended");
	for (i = 0; i < sim->np; i++) {
		if (!sim->d[i].gen)
			peer_return(sim, i);
		sim->d[i].said_free = donor_room(sim, i) * SLAB;
	}
	/* the run under way, and two more: a failed heal waits for the next */
	for (r = 0, guard = 0; nr > 1 && r < 3 && guard < 100000; guard++) {
		busy = !heal_step(sim);
		CHECK(sim, !busy, "heal waits, nothing in flight");
		check(sim);
		r += sim->h == H_IDLE;
	}
	CHECK(sim, nr == 1 || r == 3, "heal never finished: state %d slab %d slot %d chunk %d", sim->h, sim->hs, sim->hk, sim->hc);
	for (i = 0; i < NS && nr > 1; i++)
		heal_done(sim, i);
}

static void model_check(struct __test_metadata *md, int nr)
{
	const char *env = getenv("MTIER_RP_SEEDS");
	int seeds = env ? atoi(env) : 300, i;
	struct sim *sim = calloc(1, sizeof(*sim));

	sim->md = md;
	tracing = getenv("MTIER_RP_TRACE");
	for (i = 0; i < seeds && !sim->failed; i++) {
		sim_run(sim, 1000 * nr + i, nr);
		if (sim->failed)
			TH_LOG("replicas %d, seed %d: failed", nr, 1000 * nr + i);
	}
	TH_LOG("replicas %d, %d seeds: %llu steps, %llu writes (%llu EIO, %llu held back by a heal, %llu into a chunk copied, %llu not yet), %llu reads (%llu EIO, %llu retried), %llu heals (%llu failed, %llu of them for a write the copy missed), %llu deaths, %llu failed transfers, %llu placements refused, %llu discards",
	       nr, i, sim->st.steps, sim->st.writes, sim->st.writes_failed,
	       sim->st.held_back, sim->st.into_copied,
	       sim->st.into_not_copied, sim->st.reads,
	       sim->st.reads_failed, sim->st.retries, sim->st.heals,
	       sim->st.heals_failed, sim->st.heals_torn, sim->st.deaths, sim->st.failures,
	       sim->st.places_refused, sim->st.discards);
	ASSERT_FALSE(sim->failed);
	/* the runs reached what they are for */
	EXPECT_LT(0, sim->st.reads_failed);
	EXPECT_LT(0, sim->st.deaths);
	if (nr > 1) {
		EXPECT_LT(0, sim->st.held_back);
		EXPECT_LT(0, sim->st.into_copied);
		EXPECT_LT(0, sim->st.into_not_copied);
		EXPECT_LT(0, sim->st.heals);
		EXPECT_LT(0, sim->st.heals_failed);
		EXPECT_LT(0, sim->st.heals_torn);
		EXPECT_LT(0, sim->st.retries);
	}
	free(sim);
}

#undef _metadata

TEST(model_one_copy)
{
	model_check(_metadata, 1);
}

TEST(model_two_copies)
{
	model_check(_metadata, 2);
}

TEST(model_three_copies)
{
	model_check(_metadata, 3);
}

TEST(model_four_copies)
{
	model_check(_metadata, 4);
}

TEST_HARNESS_MAIN
