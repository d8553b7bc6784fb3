// SPDX-License-Identifier: GPL-2.0
/*
 * mtier: the decisions about a slab's copies; see replica_policy.h.  No
 * kernel dependency: also built into a userspace test.
 */
#include "replica_policy.h"

#define MTIER_RP_BIT(n)	(1UL << (n))

/* @r, uniform over the u32s, scaled to below @n (at most 2^-32 bias). */
static u32 mtier_rp_below(u32 r, u32 n)
{
	return (u32)(((u64)r * n) >> 32);
}

static bool mtier_rp_candidate(const struct mtier_rp_peer *p, u32 i,
			       unsigned long exclude)
{
	return !(exclude & MTIER_RP_BIT(i)) && p[i].up &&
	       p[i].free >= p[i].slab_size;
}

/* The @n-th candidate (from 0). */
static u32 mtier_rp_nth(const struct mtier_rp_peer *p, u32 nr,
			unsigned long exclude, u32 n)
{
	u32 i;

	for (i = 0; i < nr; i++)
		if (mtier_rp_candidate(p, i, exclude) && !n--)
			break;
	return i;
}

/**
 * mtier_rp_place - choose a peer for a new copy of a slab
 * @peers: the tier's peers
 * @nr: how many (at most BITS_PER_LONG)
 * @exclude: peers not to choose: those holding a copy of the slab
 *	already, and those tried for this copy
 * @ra: a random u32
 * @rb: another
 *
 * The power of two choices: two candidates at random (@ra, @rb), the one
 * whose donor has more free space wins (the first on a tie).  Candidates
 * are the peers up and not excluded whose donor says it has room for one
 * of its slabs.  What a peer says may be out of date: the caller asks it,
 * and excludes it and chooses again when it refuses.
 *
 * Return: the index of the peer, or -1 when there is no candidate.
 */
int mtier_rp_place(const struct mtier_rp_peer *peers, u32 nr,
		   unsigned long exclude, u32 ra, u32 rb)
{
	u32 i, n = 0, a, b;

	for (i = 0; i < nr; i++)
		if (mtier_rp_candidate(peers, i, exclude))
			n++;
	if (!n)
		return -1;
	a = mtier_rp_nth(peers, nr, exclude, mtier_rp_below(ra, n));
	b = mtier_rp_nth(peers, nr, exclude, mtier_rp_below(rb, n));
	return peers[a].free >= peers[b].free ? a : b;
}

/**
 * mtier_rp_used - the peers holding the copies of a slab but one
 * @peer_of: each slot's peer, as an index into the tier's peers, or -1
 *	when the slot holds no remote slab
 * @nr: the slots
 * @slot: the slot left out (the one being placed), or -1
 *
 * A copy that is not good still counts until its remote slab is given
 * back: its peer may come back in the same connection.
 *
 * Return: the peers, a bitmap of indexes.
 */
unsigned long mtier_rp_used(const int *peer_of, int nr, int slot)
{
	unsigned long used = 0;
	int j;

	for (j = 0; j < nr; j++)
		if (j != slot && peer_of[j] >= 0)
			used |= MTIER_RP_BIT(peer_of[j]);
	return used;
}

/**
 * mtier_rp_read_slot - choose the copy a read goes to
 * @nr: the slots
 * @ok: the slots it may use: good, and not tried by this read yet
 * @users: the transfers running on each slot
 * @r: a random u32
 *
 * The copy with the fewest transfers running; of equals, one chosen by @r,
 * each as likely as the others, so reads spread evenly over the donors
 * (a slot not in @ok gives none of its share to its neighbours).
 *
 * Return: the slot, or -1 when @ok is empty.
 */
int mtier_rp_read_slot(int nr, unsigned long ok, const int *users, u32 r)
{
	int i, least = 0;
	u32 ties = 0;

	for (i = 0; i < nr; i++) {
		if (!(ok & MTIER_RP_BIT(i)))
			continue;
		if (!ties || users[i] < least) {
			least = users[i];
			ties = 0;
		}
		if (users[i] == least)
			ties++;
	}
	if (!ties)
		return -1;
	ties = mtier_rp_below(r, ties);
	for (i = 0; i < nr; i++)
		if ((ok & MTIER_RP_BIT(i)) && users[i] == least && !ties--)
			break;
	return i;
}

/**
 * mtier_rp_write_slots - the copies a write (or zeroing) goes to
 * @good: the good slots
 * @target: the slot being healed, or -1
 *
 * Every good copy, and the heal target: a chunk the healer has copied
 * already gets no other chance to see the write.
 *
 * Return: the slots.
 */
unsigned long mtier_rp_write_slots(unsigned long good, int target)
{
	return good | (target >= 0 ? MTIER_RP_BIT(target) : 0);
}

/**
 * mtier_rp_heal_may_end - whether a healed copy may be made good
 * @stale: the slab's stale word
 * @slot: the slot healed, whose whole slab has been copied
 *
 * Not when a transfer failed on the slot since the healer drained it and
 * placed it again (its torn bit): a write the copy did not take, into a
 * chunk copied before, would be missing from it for good.
 *
 * Return: true when the slot's stale bit may be cleared.
 */
bool mtier_rp_heal_may_end(unsigned long stale, int slot)
{
	return !(stale & MTIER_RP_TORN(slot));
}

/**
 * mtier_rp_write_ok - whether a write (or zeroing) is done
 * @slots: the copies that took it (or, before it starts, the ones it
 *	goes to)
 * @target: the heal target it chose, or -1
 *
 * The heal target is not a good copy yet: a write only it took is lost
 * if the heal fails.
 *
 * Return: true when a copy other than @target is among @slots.
 */
bool mtier_rp_write_ok(unsigned long slots, int target)
{
	if (target >= 0)
		slots &= ~MTIER_RP_BIT(target);
	return slots != 0;
}
