/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mtier: the decisions about a slab's copies, on plain values.
 *
 * Pure C with no kernel dependency: replica_policy.c is built into the
 * module, where tslab.c, replica.c and blkdev.c call it with what they
 * read from a struct mtier_tslab and its peers (under that struct's
 * rules), and into a userspace unit test that checks it against a model
 * through random sequences of writes, reads, donor deaths and returns,
 * failed transfers and heals (selftests/replica_test.c).  Nothing here
 * takes a lock or touches an atomic: the callers own the state and its
 * ordering.
 *
 * Slots are a slab's copies, 0 to nr - 1 (nr at most BITS_PER_LONG), and
 * sets of them are bitmaps in an unsigned long; so are sets of peers, as
 * indexes into the tier's peers.
 */
#ifndef _MTIER_REPLICA_POLICY_H
#define _MTIER_REPLICA_POLICY_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include "user_types.h"		/* the unit test's u64, u32, bool */
#endif

/* Healing copies a slab in chunks this big; no request crosses one. */
#define MTIER_HEAL_CHUNK_SHIFT	20
/* Writes are counted in this many buckets of chunks (see mtier_tslab). */
#define MTIER_HEAL_BUCKETS	8

/**
 * struct mtier_rp_peer - a peer as placement sees it
 * @up: its connection is up
 * @free: its donor's free bytes, as last reported
 * @slab_size: its donor's slab size
 */
struct mtier_rp_peer {
	bool up;
	u64 free;
	u64 slab_size;
};

int mtier_rp_place(const struct mtier_rp_peer *peers, u32 nr,
		   unsigned long exclude, u32 ra, u32 rb);
unsigned long mtier_rp_used(const int *peer_of, int nr, int slot);
int mtier_rp_read_slot(int nr, unsigned long ok, const int *users, u32 r);
unsigned long mtier_rp_write_slots(unsigned long good, int target);
bool mtier_rp_write_ok(unsigned long slots, int target);

/*
 * A slab's stale word holds, beside each slot's stale bit, the slot's torn
 * bit: a transfer on the slot failed (see mtier_rp_heal_may_end()).
 */
#define MTIER_RP_TORN_SHIFT	16
#define MTIER_RP_TORN(slot)	(1UL << ((slot) + MTIER_RP_TORN_SHIFT))

bool mtier_rp_heal_may_end(unsigned long stale, int slot);

/**
 * mtier_rp_bucket - the bucket of chunks a slab offset counts in
 * @off: the offset in the slab
 *
 * A write counts itself in its bucket's writers, and the healer locks the
 * bucket of the chunk it copies: both must compute it here.
 *
 * Return: the bucket, 0 to MTIER_HEAL_BUCKETS - 1.
 */
static inline int mtier_rp_bucket(u64 off)
{
	return (off >> MTIER_HEAL_CHUNK_SHIFT) % MTIER_HEAL_BUCKETS;
}

#endif /* _MTIER_REPLICA_POLICY_H */
