/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mtier: what the block device (blkdev.c) and its prefetch cache (cache.c)
 * share: the slab map's entries, the per-request data, and the calls each
 * makes into the other.
 */
#ifndef _MTIER_BLKDEV_H
#define _MTIER_BLKDEV_H

#include <linux/blk-mq.h>

#include "mtier.h"
#include "transport.h"

/* One slab of a tier: where its replicas live (one for now). */
struct mtier_tslab {
	u8 nr;
	atomic_t inflight;		/* transfers using it */
	struct rcu_head rcu;
	struct mtier_rslab rep[MTIER_MAX_REPLICAS];
};

/* Per request. */
struct mtier_cmd {
	struct mtier_tier *tier;
	struct mtier_tslab *ts;
	struct mtier_peer *peer;
	struct list_head slow;		/* slow work, or waiting in the cache */
	unsigned int qid;
	u64 start_ns;
	blk_status_t status;
	struct mtier_xfer x;
	struct scatterlist sgl[MTIER_MAX_SEGS];
};

/* blkdev.c */
struct mtier_tslab *mtier_tslab_get(struct mtier_tier *tier, u64 off,
				    u32 shift);
void mtier_tslab_put(struct mtier_tslab *ts);
bool mtier_tslab_lost(const struct mtier_tslab *ts);
void mtier_cmd_end(struct request *rq, blk_status_t status);
void mtier_read_remote(struct mtier_cmd *cmd, struct request *rq);
void mtier_tier_count(struct mtier_tier *tier, int counter, u64 val);

/* cache.c */
enum {
	MTIER_CACHE_MISS,
	MTIER_CACHE_HIT,
	MTIER_CACHE_WAIT,
};

int mtier_cache_create(struct mtier_tier *tier);
void mtier_cache_destroy(struct mtier_tier *tier);
void mtier_cache_configure(struct mtier_tier *tier);
int mtier_cache_read(struct mtier_tier *tier, struct request *rq, bool late);
void mtier_cache_learn(struct mtier_tier *tier, u64 pos, u32 bytes, bool hit);
void mtier_cache_invalidate(struct mtier_tier *tier, u64 pos, u64 len);

#endif /* _MTIER_BLKDEV_H */
