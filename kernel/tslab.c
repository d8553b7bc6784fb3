// SPDX-License-Identifier: GPL-2.0
/*
 * mtier: the entries of a tier's slab map, and their copies.
 *
 * An entry (struct mtier_tslab) is one slab of the tier with a copy on
 * each of up to N distinct peers.  This file owns what is done to one
 * entry: holding it for a transfer, whether a copy is good, which good
 * copy a read uses, when a copy stops being trusted (stale), where a new
 * copy goes (placement), and allocating and freeing an entry with its
 * copies.  Who changes the map itself is blkdev.c's (mapping on first
 * write, unmapping on discard); who makes a stale copy good again is
 * replica.c's (healing).  The rules every user of an entry follows are
 * written at struct mtier_tslab (blkdev.h); the decisions are made in
 * replica_policy.c, on plain values, so that a userspace test can check
 * them against a model.
 */
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/wait_bit.h>

#include "blkdev.h"
#include "mtier.h"
#include "transport.h"

/* The torn bits fit in the stale word, above the stale bits. */
static_assert(MTIER_MAX_REPLICAS <= MTIER_RP_TORN_SHIFT);
static_assert(MTIER_RP_TORN_SHIFT + MTIER_MAX_REPLICAS <= BITS_PER_LONG);

/* --- Holding an entry ------------------------------------------------- */

/* The slab holding byte @off, with a transfer reference; NULL if none. */
struct mtier_tslab *mtier_tslab_get(struct mtier_tier *tier, u64 off,
				    u32 shift)
{
	struct mtier_tslab *ts;

	rcu_read_lock();
	ts = xa_load(&tier->slabs, off >> shift);
	if (ts)
		atomic_inc(&ts->inflight);
	rcu_read_unlock();
	return ts;
}

void mtier_tslab_put(struct mtier_tslab *ts)
{
	if (atomic_dec_and_test(&ts->inflight))
		wake_up_var(&ts->inflight);
}

/* --- Copies ----------------------------------------------------------- */

/**
 * mtier_tslab_good - whether a copy may be read and must be written
 * @ts: the slab
 * @slot: the copy
 */
bool mtier_tslab_good(const struct mtier_tslab *ts, int slot)
{
	const struct mtier_rslab *rs = &ts->rep[slot];

	/* Acquire: the healer fills a slot before it clears its bit. */
	if (test_bit_acquire(slot, &ts->stale) || !rs->peer)
		return false;
	return mtier_peer_gen(rs->peer) == rs->gen;
}

/**
 * mtier_tslab_good_slots - the copies that may be read and must be written
 * @ts: the slab
 *
 * Return: the good slots, a bitmap.
 */
unsigned long mtier_tslab_good_slots(const struct mtier_tslab *ts)
{
	unsigned long good = 0;
	int i;

	for (i = 0; i < ts->nr; i++)
		if (mtier_tslab_good(ts, i))
			__set_bit(i, &good);
	return good;
}

/* No copy of the slab is good: its data is gone. */
bool mtier_tslab_lost(const struct mtier_tslab *ts)
{
	return !mtier_tslab_good_slots(ts);
}

/**
 * mtier_tslab_set_stale - stop trusting a copy
 * @tier: its tier
 * @ts: the slab
 * @slot: the copy
 *
 * Context: any.
 */
void mtier_tslab_set_stale(struct mtier_tier *tier, struct mtier_tslab *ts,
			   int slot)
{
	/* First: a heal about to end sees it (mtier_heal_end()). */
	set_bit(slot + MTIER_RP_TORN_SHIFT, &ts->stale);
	if (test_and_set_bit(slot, &ts->stale))
		return;
	mtier_tier_count(tier, MTIER_TC_COPY_FAILURES, 1);
	if (tier->replicas > 1 && !READ_ONCE(tier->deleting))
		mod_delayed_work(mtier_wq, &tier->heal_work, 0);
}

/**
 * mtier_tslab_get_copy - choose a good copy to read, and hold it
 * @ts: the slab, held (inflight)
 * @skip: slots not to choose
 *
 * Of the good copies, the one with the fewest transfers running on this
 * slab; among equals, one at random, each as likely, so reads spread
 * evenly over the donors (mtier_rp_read_slot()).
 *
 * Context: any; does not sleep.
 * Return: the slot, its users count raised, or -1 when none is good.
 */
int mtier_tslab_get_copy(struct mtier_tslab *ts, unsigned long skip)
{
	int users[MTIER_MAX_REPLICAS];
	int i, best;
	u32 r;

	for (;;) {
		r = ts->nr > 1 ? get_random_u32() : 0;
		for (i = 0; i < ts->nr; i++)
			users[i] = atomic_read(&ts->users[i]);
		best = mtier_rp_read_slot(ts->nr,
					  mtier_tslab_good_slots(ts) & ~skip,
					  users, r);
		if (best < 0)
			return -1;
		atomic_inc(&ts->users[best]);
		/* Pairs with the healer's barrier after it marks a slot stale. */
		smp_mb__after_atomic();
		if (mtier_tslab_good(ts, best))
			return best;
		mtier_tslab_put_copy(ts, best);
		__set_bit(best, &skip);
	}
}

void mtier_tslab_put_copy(struct mtier_tslab *ts, int slot)
{
	if (atomic_dec_and_test(&ts->users[slot]))
		wake_up_var(&ts->users[slot]);
}

/* --- Placement -------------------------------------------------------- */

/*
 * Choose a peer for a new copy among those not in @tried (indexes into
 * tier->peers): mtier_rp_place(), on what the peers say now.  Whether a
 * peer's slab is the tier's slab size is not looked at here: what a peer
 * says now may not be what its connection gives by the time the slab is
 * asked for, so mtier_peer_alloc_slab() checks it on the connection itself
 * and refuses another one.
 */
static struct mtier_peer *mtier_tslab_place(struct mtier_tier *tier,
					    unsigned long tried, u32 *index)
{
	struct mtier_rp_peer p[MTIER_MAX_PEERS];
	u32 i;
	int k;

	for (i = 0; i < tier->nr_peers; i++) {
		struct mtier_peer *peer = tier->peers[i];

		p[i].up = mtier_peer_gen(peer) != 0;
		p[i].free = mtier_peer_donor_free(peer);
		p[i].slab_size = mtier_peer_slab_size(peer);
	}
	k = mtier_rp_place(p, tier->nr_peers, tried, get_random_u32(),
			   get_random_u32());
	if (k < 0)
		return NULL;
	*index = k;
	return tier->peers[k];
}

/**
 * mtier_tslab_used - the peers some slot other than @slot uses
 * @tier: the tier
 * @ts: the slab
 * @slot: the slot not to count, or -1
 *
 * Return: the peers, as a bitmap of indexes into tier->peers.
 */
unsigned long mtier_tslab_used(struct mtier_tier *tier,
			       const struct mtier_tslab *ts, int slot)
{
	int peer_of[MTIER_MAX_REPLICAS];
	u32 i;
	int j;

	for (j = 0; j < ts->nr; j++) {
		peer_of[j] = -1;
		for (i = 0; i < tier->nr_peers && ts->rep[j].peer; i++)
			if (tier->peers[i] == ts->rep[j].peer)
				peer_of[j] = i;
	}
	return mtier_rp_used(peer_of, ts->nr, slot);
}

/**
 * mtier_tslab_alloc_copy - place one copy on a peer not in @tried
 * @tier: the tier
 * @tried: peers not to use, as indexes into tier->peers
 *	(mtier_tslab_used())
 * @size: its size in bytes; 0: the donor's size
 * @rs: filled with the copy
 *
 * Context: process context (a round trip per peer tried).
 * Return: 0, or the last error (-ENOSPC when every peer up is full, -EIO
 * when none is up).
 */
int mtier_tslab_alloc_copy(struct mtier_tier *tier, unsigned long tried,
			   u64 size, struct mtier_rslab *rs)
{
	struct mtier_peer *peer;
	int err = -ENOSPC;
	u32 i, index;

	while ((peer = mtier_tslab_place(tier, tried, &index))) {
		err = mtier_peer_alloc_slab(peer, size, rs);
		if (!err)
			return 0;
		__set_bit(index, &tried);
	}
	/* nobody up at all is an I/O error; all full is no space */
	for (i = 0; i < tier->nr_peers; i++)
		if (mtier_peer_gen(tier->peers[i]))
			return err;
	return -EIO;
}

/**
 * mtier_tslab_alloc - a new slab with its copies on distinct peers
 * @tier: the tier; the first slab sets its slab size, every later one
 *	must have that size (a peer that reconnected to a donor with another
 *	one gets no slab, never a slab of the wrong size in the map)
 *
 * As many copies as the tier's replicas, each on a peer holding no other;
 * a slab that got fewer (peers down or full) is mapped all the same, its
 * missing copies stale, and the heal work places them later.
 *
 * Context: process context, map_lock held.
 * Return: the slab, or an ERR_PTR() when not even one copy could be placed.
 */
struct mtier_tslab *mtier_tslab_alloc(struct mtier_tier *tier)
{
	u32 shift = tier->slab_shift;
	struct mtier_tslab *ts;
	int err = 0, i, j;
	u64 size;

	ts = kzalloc(sizeof(*ts), GFP_KERNEL);
	if (!ts)
		return ERR_PTR(-ENOMEM);
	ts->nr = tier->replicas;
	ts->target = -1;
	ts->locked = -1;
	mutex_init(&ts->zero_lock);
	size = shift ? 1ULL << shift : 0;
	for (i = 0, j = 0; i < ts->nr; i++) {
		err = mtier_tslab_alloc_copy(tier, mtier_tslab_used(tier, ts, -1),
					     size, &ts->rep[j]);
		if (err)
			break;
		size = ts->rep[j].size;
		j++;
	}
	if (!j) {
		kfree(ts);
		return ERR_PTR(err);
	}
	for (i = j; i < ts->nr; i++) {
		__set_bit(i, &ts->stale);
		mtier_tier_count(tier, MTIER_TC_COPY_FAILURES, 1);
	}
	if (!shift)
		WRITE_ONCE(tier->slab_shift, ilog2(ts->rep[0].size));
	return ts;
}

/**
 * mtier_tslab_free - give every copy of a slab back and free it
 * @ts: a slab out of the map, no transfer on it
 *
 * Context: process context (a round trip per copy).
 */
void mtier_tslab_free(struct mtier_tslab *ts)
{
	int i;

	for (i = 0; i < ts->nr; i++)
		if (ts->rep[i].peer)
			mtier_peer_free_slab(&ts->rep[i]);
	kfree_rcu(ts, rcu);
}
