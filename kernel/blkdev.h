/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mtier: what the tier's files share: the slab map's entries and their
 * copies (tslab.c), the per-request data of the block device (blkdev.c),
 * healing (replica.c), the prefetch cache (cache.c), and the calls between
 * them.  The cache calls back into the block device only through the ops
 * it is given (struct mtier_cache_ops).
 */
#ifndef _MTIER_BLKDEV_H
#define _MTIER_BLKDEV_H

#include <linux/blk-mq.h>

#include "mtier.h"
#include "replica_policy.h"
#include "transport.h"

/**
 * struct mtier_tslab - one slab of a tier and its copies
 * @nr: copy slots, the tier's replicas
 * @inflight: transfers and healers using the slab; it leaves the map only
 *	once this is zero (after an RCU grace period)
 * @stale: one bit per slot whose copy must not be read or written (a
 *	transfer failed on it, it was never placed, or it is being healed);
 *	set with atomic bitops by anyone, cleared only by the healer once the
 *	copy is whole again.  Beside them, each slot's torn bit
 *	(MTIER_RP_TORN()): set before the stale bit by every failed transfer,
 *	cleared by the healer when it places the slot again; the healer
 *	clears the stale bit only while the torn bit is clear, in one
 *	cmpxchg, so a write its target missed is never lost
 * @users: transfers running on each slot; the healer reuses a slot only
 *	once its count is zero and its stale bit stops new ones
 * @target: the slot being healed, or -1: writes go to it as well, reads
 *	never (written by the healer)
 * @locked: the chunk bucket the healer is copying, or -1: writes into it
 *	wait (are requeued) until the copy of that chunk is done
 * @writers: writes in flight, by bucket of chunks (mtier_rp_bucket()):
 *	the healer waits for its bucket to drain before it copies a chunk
 * @zero_lock: held by a zeroing and by the healer's copy of a chunk:
 *	one never runs in the middle of the other
 * @gone: the slab is leaving the map: the healer gives up
 * @rcu: frees it after a grace period
 * @rep: the copies; a slot's fields change only while its stale bit is
 *	set and its @users count is zero (the healer's rule)
 *
 * A copy is good when its stale bit is clear and its peer's connection is
 * the one it was placed in (mtier_tslab_good()).  What is decided from
 * these fields (where a copy goes, which one a read uses, which ones a
 * write goes to and when it counts) is decided in replica_policy.c, on
 * values read from them by the rules above.
 */
struct mtier_tslab {
	u8 nr;
	atomic_t inflight;
	unsigned long stale;
	atomic_t users[MTIER_MAX_REPLICAS];
	int target;
	int locked;
	atomic_t writers[MTIER_HEAL_BUCKETS];
	struct mutex zero_lock;		/* a zeroing, or a chunk's copy */
	bool gone;
	struct rcu_head rcu;
	struct mtier_rslab rep[MTIER_MAX_REPLICAS];
};

/**
 * struct mtier_copy - a request's transfer to one copy of its slab
 * @x: the transfer
 * @peer: the peer it went to (for the timeout handler)
 * @cmd: the request it belongs to
 * @slot: the slab's slot it uses
 * @sgl: its own segments: the transport maps them for its own device
 */
struct mtier_copy {
	struct mtier_xfer x;
	struct mtier_peer *peer;
	struct mtier_cmd *cmd;
	int slot;
	struct scatterlist sgl[MTIER_MAX_SEGS];
};

/**
 * struct mtier_cmd - per request
 * @tier: its tier
 * @ts: the slab it uses, with a transfer reference, while it runs
 * @slow: slow work, or waiting in the cache
 * @qid: its hardware queue
 * @start_ns: when it started, for the latency histogram
 * @status: its outcome
 * @pending: copy transfers not done yet
 * @busy: copies whose transfer is running (bit per entry of @c)
 * @good: slots that took a write, the heal target's included
 * @tried: slots a read went to already
 * @target: the heal target a write chose to go to as well, or -1: its
 *	copy taking the write does not make the write good
 *	(mtier_rp_write_ok())
 * @bucket: the chunk bucket a write counts in (ts->writers), or -1
 * @c: one per copy written (reads use the first); the tier's replicas of
 *	them follow the command (tag_set.cmd_size)
 */
struct mtier_cmd {
	struct mtier_tier *tier;
	struct mtier_tslab *ts;
	struct list_head slow;
	unsigned int qid;
	u64 start_ns;
	blk_status_t status;
	atomic_t pending;
	unsigned long busy;
	unsigned long good;
	unsigned long tried;
	int target;
	int bucket;
	struct mtier_copy c[];
};

/* Add @val to one of the tier's counters (enum mtier_tier_counter). */
static inline void mtier_tier_count(struct mtier_tier *tier, int counter,
				    u64 val)
{
	struct mtier_tier_pcpu_stats *s = get_cpu_ptr(tier->pcpu);

	u64_stats_update_begin(&s->syncp);
	u64_stats_add(&s->c[counter], val);
	u64_stats_update_end(&s->syncp);
	put_cpu_ptr(tier->pcpu);
}

/* tslab.c */
struct mtier_tslab *mtier_tslab_get(struct mtier_tier *tier, u64 off,
				    u32 shift);
void mtier_tslab_put(struct mtier_tslab *ts);
bool mtier_tslab_good(const struct mtier_tslab *ts, int slot);
unsigned long mtier_tslab_good_slots(const struct mtier_tslab *ts);
bool mtier_tslab_lost(const struct mtier_tslab *ts);
void mtier_tslab_set_stale(struct mtier_tier *tier, struct mtier_tslab *ts,
			   int slot);
int mtier_tslab_get_copy(struct mtier_tslab *ts, unsigned long skip);
void mtier_tslab_put_copy(struct mtier_tslab *ts, int slot);
unsigned long mtier_tslab_used(struct mtier_tier *tier,
			       const struct mtier_tslab *ts, int slot);
int mtier_tslab_alloc_copy(struct mtier_tier *tier, unsigned long tried,
			   u64 size, struct mtier_rslab *rs);
struct mtier_tslab *mtier_tslab_alloc(struct mtier_tier *tier);
void mtier_tslab_free(struct mtier_tslab *ts);

/* replica.c */
void mtier_replica_init(struct mtier_tier *tier);
void mtier_replica_start(struct mtier_tier *tier);
void mtier_replica_stop(struct mtier_tier *tier);

/* cache.c */
enum {
	MTIER_CACHE_MISS,
	MTIER_CACHE_HIT,
	MTIER_CACHE_WAIT,
};

/**
 * struct mtier_cache_ops - how the cache calls back into the block device
 * @end: end a request it served, or one that waited in it
 *	(blkdev.c's mtier_cmd_end())
 * @miss: read a request it could not serve from the network after all
 *	(a prefetch it waited for failed or went stale: blkdev.c's
 *	mtier_read_remote())
 *
 * The block device calls the cache; the cache calls back up into it only
 * through these, given at mtier_cache_create() and constant for the
 * cache's life (as rtrs's link_ev), never by name.  Both may be called
 * from any context, and neither waits.
 */
struct mtier_cache_ops {
	void (*end)(struct request *rq, blk_status_t status);
	void (*miss)(struct mtier_cmd *cmd, struct request *rq);
};

int mtier_cache_create(struct mtier_tier *tier,
		       const struct mtier_cache_ops *ops);
void mtier_cache_destroy(struct mtier_tier *tier);
void mtier_cache_configure(struct mtier_tier *tier);
int mtier_cache_read(struct mtier_tier *tier, struct request *rq, bool late);
void mtier_cache_learn(struct mtier_tier *tier, u64 pos, u32 bytes, bool hit);
void mtier_cache_invalidate(struct mtier_tier *tier, u64 pos, u64 len);

#endif /* _MTIER_BLKDEV_H */
