// SPDX-License-Identifier: GPL-2.0
/*
 * mtier: healing a tier's slabs.
 *
 * A tier with replicas N keeps each slab on N distinct peers.  An entry
 * of the slab map and its copies (which copy is good, which one a read
 * uses, when a copy goes stale, where a new one goes) are tslab.c's; the
 * I/O path (blkdev.c) writes every good copy, reads one and retries a
 * failed read on another; the rules both follow are written at struct
 * mtier_tslab.  This file gives a slab short of good copies a new one
 * (healing), and counts the slabs that are short.  The decisions
 * themselves are made in replica_policy.c, on plain values, so that a
 * userspace test can check them against a model.
 *
 * Healing runs in the tier's heal work, once a second while the tier has
 * more than one replica, or at once when a copy goes stale.  For a slab
 * whose slot k is not good it:
 *   1. marks k stale and waits for the transfers still on it to end,
 *   2. gives its old remote slab back (a donor that came back has lost it:
 *      the old content is never trusted again) and places a new one on a
 *      peer holding no other copy of the slab, possibly the same donor in
 *      its new connection,
 *   3. makes k the slab's target: from then on every write goes to it too,
 *   4. copies the slab from a good copy, 1 MiB chunk by chunk, through the
 *      prefetch queue (behind demand I/O), at most resync-rate bytes a
 *      second.  Before a chunk is copied, writes into its bucket of chunks
 *      are held back (requeued) and those in flight are waited for, so a
 *      copy never overwrites a newer write: writes into chunks already
 *      copied reach the target themselves, and those into chunks not yet
 *      copied are read with the chunk,
 *   5. clears k's stale bit: the copy is good; unless a transfer on it
 *      failed meanwhile (a write it missed: its torn bit, see
 *      struct mtier_tslab), when the heal starts over.
 * Any failure on the way leaves k stale, to be tried again a second later.
 * A zeroing (discard, write-zeroes) and the copy of a chunk exclude each
 * other (ts->zero_lock); the zeroing covers the target too, so neither the
 * chunks already copied nor those still to come miss it.
 */
#include <linux/delay.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/wait_bit.h>

#include "blkdev.h"
#include "mtier.h"
#include "transport.h"

#define MTIER_HEAL_PERIOD_MS	1000
#define MTIER_HEAL_CHUNK	BIT(MTIER_HEAL_CHUNK_SHIFT)
#define MTIER_HEAL_PAGE_ORDER	2
#define MTIER_HEAL_SEG		(PAGE_SIZE << MTIER_HEAL_PAGE_ORDER)
#define MTIER_HEAL_SEGS		(MTIER_HEAL_CHUNK / MTIER_HEAL_SEG)

static_assert(MTIER_HEAL_SEGS <= MTIER_MAX_SEGS);

/* --- Degraded slabs --------------------------------------------------- */

/**
 * mtier_replica_degraded - slabs with fewer good copies than asked for
 * @tier: the tier
 *
 * Context: any; a walk of the slab map under RCU.
 */
u64 mtier_replica_degraded(struct mtier_tier *tier)
{
	struct mtier_tslab *ts;
	unsigned long idx;
	u64 n = 0;
	int i;

	rcu_read_lock();
	xa_for_each(&tier->slabs, idx, ts) {
		for (i = 0; i < ts->nr; i++)
			if (!mtier_tslab_good(ts, i))
				break;
		if (i < ts->nr)
			n++;
	}
	rcu_read_unlock();
	return n;
}

/* --- Healing ---------------------------------------------------------- */

/**
 * struct mtier_heal - what one run of the heal work uses
 * @tier: the tier
 * @pages: the bounce buffer of one chunk
 * @sgl: its segments
 * @x: the transfer in flight
 * @done: completed by @x's end
 * @status: @x's outcome
 * @copied: bytes copied in this run, for the rate limit
 * @start: when the run began copying
 */
struct mtier_heal {
	struct mtier_tier *tier;
	struct page *pages[MTIER_HEAL_SEGS];
	struct scatterlist sgl[MTIER_HEAL_SEGS];
	struct mtier_xfer x;
	struct completion done;
	blk_status_t status;
	u64 copied;
	unsigned long start;
};

static void mtier_heal_free(struct mtier_heal *h)
{
	int i;

	for (i = 0; i < MTIER_HEAL_SEGS; i++)
		if (h->pages[i])
			__free_pages(h->pages[i], MTIER_HEAL_PAGE_ORDER);
	kfree(h);
}

static struct mtier_heal *mtier_heal_alloc(struct mtier_tier *tier)
{
	struct mtier_heal *h = kzalloc(sizeof(*h), GFP_KERNEL);
	int i;

	if (!h)
		return NULL;
	h->tier = tier;
	sg_init_table(h->sgl, MTIER_HEAL_SEGS);
	for (i = 0; i < MTIER_HEAL_SEGS; i++) {
		h->pages[i] = alloc_pages(GFP_KERNEL | __GFP_NOWARN,
					  MTIER_HEAL_PAGE_ORDER);
		if (!h->pages[i]) {
			mtier_heal_free(h);
			return NULL;
		}
		sg_set_page(&h->sgl[i], h->pages[i], MTIER_HEAL_SEG, 0);
	}
	return h;
}

static void mtier_heal_xfer_done(struct mtier_xfer *x, blk_status_t status)
{
	struct mtier_heal *h = container_of(x, struct mtier_heal, x);

	h->status = status;
	complete(&h->done);
}

/*
 * One chunk between the bounce buffer and copy @slot of @ts, on the
 * prefetch queue (behind demand I/O).  The caller holds the slot.  Waits
 * up to twice the peer's timeout, then fails the peer, whose drain ends
 * the transfer.
 */
static int mtier_heal_xfer(struct mtier_heal *h, struct mtier_tslab *ts,
			   int slot, bool write, u64 offset)
{
	struct mtier_peer *peer = ts->rep[slot].peer;
	int err, tries = 0;

	for (;;) {
		init_completion(&h->done);
		mtier_xfer_init(&h->x, h->sgl, MTIER_HEAL_SEGS, write,
				&ts->rep[slot], offset, MTIER_HEAL_CHUNK,
				mtier_heal_xfer_done);
		err = mtier_peer_submit(peer, MTIER_QID_PREFETCH, &h->x);
		if (err != -ENOMEM || ++tries > 100)
			break;
		usleep_range(1000, 2000);
	}
	if (err)
		return -EIO;
	if (!wait_for_completion_timeout(&h->done,
					 msecs_to_jiffies(2 * peer->timeout_ms))) {
		mtier_peer_fail(peer, "resync transfer timed out");
		wait_for_completion(&h->done);
	}
	return h->status ? -EIO : 0;
}

/* Sleep as long as the rate limit asks after @h->copied bytes. */
static void mtier_heal_throttle(struct mtier_heal *h)
{
	u64 rate = READ_ONCE(h->tier->cfg.resync_rate);
	unsigned long due;

	if (!rate)
		return;
	due = h->start + msecs_to_jiffies(div64_u64(h->copied * MSEC_PER_SEC,
						    rate));
	while (time_before(jiffies, due) && !READ_ONCE(h->tier->deleting))
		schedule_timeout_uninterruptible(min_t(long, due - jiffies, HZ / 10));
}

/* Wait, at most @ms, for @v to reach zero. */
static bool mtier_heal_drain(atomic_t *v, u32 ms)
{
	return wait_var_event_timeout(v, !atomic_read(v),
				      msecs_to_jiffies(ms)) > 0 ||
	       !atomic_read(v);
}

static bool mtier_heal_giving_up(struct mtier_tier *tier,
				 struct mtier_tslab *ts)
{
	return READ_ONCE(tier->deleting) || READ_ONCE(ts->gone);
}

/* Copy one chunk to the target @k, its bucket @b locked.  zero_lock held. */
static int mtier_heal_chunk(struct mtier_heal *h, struct mtier_tslab *ts,
			    int k, u64 off, int b, u32 wait_ms)
{
	int src, err;

	if (!mtier_heal_drain(&ts->writers[b], wait_ms))
		return -ETIMEDOUT;
	src = mtier_tslab_get_copy(ts, BIT(k));
	if (src < 0)
		return -EIO;		/* lost meanwhile */
	err = mtier_heal_xfer(h, ts, src, false, off);
	mtier_tslab_put_copy(ts, src);
	if (err) {
		mtier_tslab_set_stale(h->tier, ts, src);
		return err;
	}
	atomic_inc(&ts->users[k]);
	err = mtier_heal_xfer(h, ts, k, true, off);
	mtier_tslab_put_copy(ts, k);
	return err;
}

/* Copy the whole slab into its target slot @k, chunk by chunk. */
static int mtier_heal_copy(struct mtier_heal *h, struct mtier_tslab *ts,
			   int k, u32 wait_ms)
{
	struct mtier_tier *tier = h->tier;
	u64 size = ts->rep[k].size, off;
	int err, b;

	for (off = 0; off < size; off += MTIER_HEAL_CHUNK) {
		if (mtier_heal_giving_up(tier, ts))
			return -ECANCELED;
		b = mtier_rp_bucket(off);
		mutex_lock(&ts->zero_lock);
		WRITE_ONCE(ts->locked, b);
		/* Pairs with the write path's barrier after counting itself. */
		smp_mb();
		err = mtier_heal_chunk(h, ts, k, off, b, wait_ms);
		WRITE_ONCE(ts->locked, -1);
		mutex_unlock(&ts->zero_lock);
		if (err)
			return err;
		h->copied += MTIER_HEAL_CHUNK;
		mtier_tier_count(tier, MTIER_TC_RESYNC_BYTES, MTIER_HEAL_CHUNK);
		mtier_heal_throttle(h);
	}
	return 0;
}

/*
 * Make the copy of slot @k good, unless a transfer on it failed since it
 * was placed (a write to it as the target, which is stale: the write's
 * mtier_tslab_set_stale() did nothing else).  One cmpxchg with the torn
 * bit: a failure after it finds the stale bit clear and sets it.
 */
static bool mtier_heal_end(struct mtier_tslab *ts, int k)
{
	unsigned long old = READ_ONCE(ts->stale);

	do {
		if (!mtier_rp_heal_may_end(old, k))
			return false;
	} while (!try_cmpxchg_release(&ts->stale, &old, old & ~BIT(k)));
	return true;
}

/*
 * Tell monitors when the tier turns degraded, resyncing (a run is copying)
 * or whole again; the state they read is mtier_tier_state()'s.
 */
static void mtier_heal_announce(struct mtier_tier *tier)
{
	u32 view = !mtier_replica_degraded(tier) ? 0 : tier->healing ? 2 : 1;

	if (view == tier->heal_state || READ_ONCE(tier->deleting))
		return;
	tier->heal_state = view;
	mtier_obj_changed(&tier->obj, MTIER_EV_CHANGE);
}

/* Give slot @k of @ts a new, whole copy.  Returns 0 when it has one. */
static int mtier_heal_slot(struct mtier_heal *h, struct mtier_tslab *ts,
			   int k)
{
	struct mtier_tier *tier = h->tier;
	struct mtier_rslab rs = {};
	u32 i, wait_ms = 0;
	int err;

	for (i = 0; i < tier->nr_peers; i++)
		wait_ms = max(wait_ms, 2 * tier->peers[i]->timeout_ms);
	if (mtier_tslab_lost(ts))
		return -EIO;		/* nothing to copy from */

	mtier_tslab_set_stale(tier, ts, k);
	/* Pairs with mtier_tslab_get_copy()'s and the write path's barrier. */
	smp_mb();
	if (!mtier_heal_drain(&ts->users[k], wait_ms))
		return -ETIMEDOUT;
	/* What failed on the old copy is no news for the new one. */
	clear_bit(k + MTIER_RP_TORN_SHIFT, &ts->stale);
	if (ts->rep[k].peer) {
		mtier_peer_free_slab(&ts->rep[k]);
		memset(&ts->rep[k], 0, sizeof(ts->rep[k]));
	}
	err = mtier_tslab_alloc_copy(tier, mtier_tslab_used(tier, ts, k),
				     1ULL << tier->slab_shift, &rs);
	if (err)
		return err;
	ts->rep[k] = rs;
	if (!tier->healing) {
		/* From now until the run ends the tier is resyncing. */
		WRITE_ONCE(tier->healing, true);
		mtier_heal_announce(tier);
	}
	/* The slot is filled before any write can see it as the target. */
	smp_wmb();
	WRITE_ONCE(ts->target, k);
	err = mtier_heal_copy(h, ts, k, wait_ms);
	WRITE_ONCE(ts->target, -1);
	if (err)
		return err;
	if (!mtier_heal_end(ts, k))
		return -EIO;		/* it missed a write: again */
	mtier_tier_count(tier, MTIER_TC_SLABS_HEALED, 1);
	return 0;
}

/*
 * Heal every slab short of a good copy, one slot at a time.  A slab is
 * held (inflight) while it heals; the map's own removal waits for that, and
 * tells the healer to stop (ts->gone).
 */
static void mtier_heal_work(struct work_struct *work)
{
	struct mtier_tier *tier = container_of(to_delayed_work(work),
					       struct mtier_tier, heal_work);
	unsigned int noio = memalloc_noio_save();
	struct mtier_heal *h = NULL;
	struct mtier_tslab *ts;
	u32 shift = READ_ONCE(tier->slab_shift);
	unsigned long idx = 0;
	bool stuck;
	int k;

	mtier_heal_announce(tier);
	while (shift && !READ_ONCE(tier->deleting)) {
		rcu_read_lock();
		ts = xa_find(&tier->slabs, &idx, ULONG_MAX, XA_PRESENT);
		if (ts)
			atomic_inc(&ts->inflight);
		rcu_read_unlock();
		if (!ts)
			break;
		for (k = 0; k < ts->nr && !READ_ONCE(tier->deleting); k++) {
			if (mtier_tslab_good(ts, k))
				continue;
			if (mtier_tslab_lost(ts))
				break;	/* nothing to copy from: EIO until discarded */
			if (!h) {
				h = mtier_heal_alloc(tier);
				if (!h)
					break;
				h->start = jiffies;
			}
			if (mtier_heal_slot(h, ts, k))
				break;	/* the next run tries again */
		}
		stuck = !h && k < ts->nr && !mtier_tslab_lost(ts);
		mtier_tslab_put(ts);
		if (stuck)
			break;		/* no memory for the buffer */
		idx++;
	}
	if (h)
		mtier_heal_free(h);
	memalloc_noio_restore(noio);

	WRITE_ONCE(tier->healing, false);
	mtier_heal_announce(tier);
	if (!READ_ONCE(tier->deleting))
		queue_delayed_work(mtier_wq, &tier->heal_work,
				   msecs_to_jiffies(MTIER_HEAL_PERIOD_MS));
}

/* At creation, before anything can fail: teardown cancels the work. */
void mtier_replica_init(struct mtier_tier *tier)
{
	INIT_DELAYED_WORK(&tier->heal_work, mtier_heal_work);
}

/**
 * mtier_replica_start - start healing a new tier's slabs
 * @tier: the tier, its block device added
 */
void mtier_replica_start(struct mtier_tier *tier)
{
	if (tier->replicas > 1)
		queue_delayed_work(mtier_wq, &tier->heal_work,
				   msecs_to_jiffies(MTIER_HEAL_PERIOD_MS));
}

/**
 * mtier_replica_stop - stop healing
 * @tier: the tier, tier->deleting set: the work queues itself no more
 *
 * Context: process context; waits for a heal in progress to give up (at
 * most a chunk's copy).
 */
void mtier_replica_stop(struct mtier_tier *tier)
{
	cancel_delayed_work_sync(&tier->heal_work);
}
