// SPDX-License-Identifier: GPL-2.0
/*
 * mtier: tiers, remote memory presented as a block device.
 *
 * A tier spreads its memory over one or more peers and keeps a reference
 * on each of them for its whole life.
 */
#include <linux/netlink.h>
#include <linux/percpu.h>
#include <linux/slab.h>

#include "blkdev.h"
#include "mtier.h"

/**
 * mtier_tier_announce_peers - tell monitors the tier count of its peers changed
 * @tier: a tier that was just linked or unlinked
 *
 * Context: mtier_lock held.
 */
void mtier_tier_announce_peers(struct mtier_tier *tier)
{
	u32 i;

	lockdep_assert_held(&mtier_lock);
	for (i = 0; i < tier->nr_peers; i++)
		mtier_obj_changed(&tier->peers[i]->obj, MTIER_EV_CHANGE);
}

static void mtier_tier_stop(struct mtier_obj *obj)
{
	struct mtier_tier *tier = to_tier(obj);
	/* Ids start at 1: a tier with one was linked, so its peers saw it. */
	bool announced = obj->id;
	u32 i;

	lockdep_assert_held(&mtier_lock);
	mtier_blkdev_destroy(tier);
	for (i = 0; i < tier->nr_peers; i++)
		tier->peers[i]->tiers--;
	if (announced)
		mtier_tier_announce_peers(tier);
}

/*
 * Give the slabs back, one round trip each, then let go of the peers.  The
 * tier is unlinked and its device gone: nothing else touches it.  A peer
 * deleted meanwhile has closed its connection; its donor has freed the
 * slabs with the session, and freeing them here sends nothing.
 */
static void mtier_tier_finish(struct mtier_obj *obj)
{
	struct mtier_tier *tier = to_tier(obj);
	u32 i;

	mtier_blkdev_free_slabs(tier);
	for (i = 0; i < tier->nr_peers; i++) {
		mtier_obj_put(&tier->peers[i]->obj);
		tier->peers[i] = NULL;
	}
	tier->nr_peers = 0;
}

static void mtier_tier_release(struct mtier_obj *obj)
{
	struct mtier_tier *tier = to_tier(obj);

	free_percpu(tier->pcpu);
	kfree(tier);
}

static const char *mtier_tier_busy(struct mtier_obj *obj)
{
	return mtier_blkdev_claim(to_tier(obj)) ? NULL :
						   "its block device is open";
}

const struct mtier_obj_ops mtier_tier_ops = {
	.kind		= "tier",
	.type		= MTIER_OBJ_TIER,
	.busy		= mtier_tier_busy,
	.stop		= mtier_tier_stop,
	.finish		= mtier_tier_finish,
	.release	= mtier_tier_release,
};

struct mtier_tier *mtier_tier_create(const char *name, struct net *net)
{
	struct mtier_tier *tier;
	int cpu;

	tier = kzalloc(sizeof(*tier), GFP_KERNEL);
	if (!tier)
		return NULL;
	tier->pcpu = alloc_percpu(struct mtier_tier_pcpu_stats);
	if (!tier->pcpu) {
		kfree(tier);
		return NULL;
	}
	for_each_possible_cpu(cpu)
		u64_stats_init(&per_cpu_ptr(tier->pcpu, cpu)->syncp);
	mtier_obj_init(&tier->obj, &mtier_tier_ops, name, net);
	tier->replicas = 1;
	tier->cfg.prefetch = MTIER_PREFETCH_OFF;
	tier->cfg.window_max = MTIER_WINDOW_DEFAULT;
	tier->cfg.history = MTIER_HISTORY_DEFAULT;
	tier->cfg.cache_size = MTIER_CACHE_DEFAULT;
	mtier_blkdev_init(tier);
	return tier;
}

/**
 * mtier_tier_add_peer - let a tier use a peer
 * @tier: the tier, not linked yet, with room for one more peer
 * @peer: a linked peer; the tier takes a reference on it
 *
 * Context: mtier_lock held.
 */
void mtier_tier_add_peer(struct mtier_tier *tier, struct mtier_peer *peer)
{
	lockdep_assert_held(&mtier_lock);
	mtier_obj_get(&peer->obj);
	peer->tiers++;
	tier->peers[tier->nr_peers++] = peer;
}

/**
 * mtier_tier_start - bring a configured tier into service
 * @tier: the tier, not linked yet
 * @extack: where to explain a failure
 *
 * The tier gets its block device, usable at once: reads of space never
 * written return zeroes, and writes wait for a slab from an up peer.
 *
 * Context: mtier_lock held.
 */
int mtier_tier_start(struct mtier_tier *tier, struct netlink_ext_ack *extack)
{
	int err;

	lockdep_assert_held(&mtier_lock);
	err = mtier_blkdev_create(tier);
	if (err)
		NL_SET_ERR_MSG_FMT(extack, "cannot create the block device: error %d",
				   err);
	return err;
}

/**
 * mtier_tier_peers_up - how many of a tier's peers could take a copy now
 * @tier: the tier
 * @room: set to how many of those up have room for a slab
 *
 * A tier with replicas N is refused unless N of its peers are up and have
 * room: else its first slabs would start out degraded.  (Later a peer down
 * or full only delays a copy.)
 *
 * Return: how many are up.
 */
u32 mtier_tier_peers_up(struct mtier_tier *tier, u32 *room)
{
	u32 i, up = 0;

	*room = 0;
	for (i = 0; i < tier->nr_peers; i++) {
		struct mtier_peer *peer = tier->peers[i];

		if (!mtier_peer_gen(peer))
			continue;
		up++;
		if (mtier_peer_donor_free(peer) >= mtier_peer_slab_size(peer))
			(*room)++;
	}
	return up;
}

/**
 * mtier_tier_state - whether a tier has all it needs
 * @tier: the tier
 *
 * With one replica, live when every peer of the tier is up: a slab on a
 * peer that is not has lost its data.  With more, live when every slab
 * has all its copies good and enough peers are up to place every copy of
 * a new one; else resyncing while the heal work copies a slab, degraded
 * while it does not.
 */
u32 mtier_tier_state(struct mtier_tier *tier)
{
	u32 i, up = 0;

	if (!tier->disk)
		return MTIER_TIER_STATE_DOWN;
	for (i = 0; i < tier->nr_peers; i++)
		if (READ_ONCE(tier->peers[i]->state) == MTIER_PEER_STATE_UP)
			up++;
	if (tier->replicas == 1)
		return up == tier->nr_peers ? MTIER_TIER_STATE_LIVE :
					      MTIER_TIER_STATE_DEGRADED;
	if (up < tier->replicas || mtier_replica_degraded(tier))
		return READ_ONCE(tier->healing) ? MTIER_TIER_STATE_RESYNCING :
						  MTIER_TIER_STATE_DEGRADED;
	return MTIER_TIER_STATE_LIVE;
}

/**
 * mtier_tier_set_cfg - change the prefetch and cache settings of a tier
 * @tier: the tier
 * @cfg: the new settings, validated
 *
 * Context: mtier_lock held.
 */
void mtier_tier_set_cfg(struct mtier_tier *tier,
			const struct mtier_tier_cfg *cfg)
{
	lockdep_assert_held(&mtier_lock);
	tier->cfg = *cfg;
	mtier_cache_configure(tier);
}

/**
 * mtier_tier_read_stats - sum the per-CPU counters of a tier
 * @tier: the tier
 * @sum: where to put the sums, indexed by enum mtier_tier_counter
 * @lat: where to put the latency histogram
 */
void mtier_tier_read_stats(struct mtier_tier *tier, u64 sum[MTIER_TC_NR],
			   u64 lat[MTIER_LAT_BUCKETS])
{
	u64 one[MTIER_TC_NR], one_lat[MTIER_LAT_BUCKETS];
	unsigned int seq;
	int cpu, i;

	memset(sum, 0, sizeof(u64) * MTIER_TC_NR);
	memset(lat, 0, sizeof(u64) * MTIER_LAT_BUCKETS);
	for_each_possible_cpu(cpu) {
		const struct mtier_tier_pcpu_stats *p = per_cpu_ptr(tier->pcpu, cpu);

		do {
			seq = u64_stats_fetch_begin(&p->syncp);
			for (i = 0; i < MTIER_TC_NR; i++)
				one[i] = u64_stats_read(&p->c[i]);
			for (i = 0; i < MTIER_LAT_BUCKETS; i++)
				one_lat[i] = u64_stats_read(&p->lat[i]);
		} while (u64_stats_fetch_retry(&p->syncp, seq));
		for (i = 0; i < MTIER_TC_NR; i++)
			sum[i] += one[i];
		for (i = 0; i < MTIER_LAT_BUCKETS; i++)
			lat[i] += one_lat[i];
	}
}
