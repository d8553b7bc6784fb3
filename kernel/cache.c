// SPDX-License-Identifier: GPL-2.0
/*
 * mtier: a tier's prefetch cache.
 *
 * Demand reads feed the trend detector (prefetch.c); what it predicts is
 * read ahead, as low-priority transfers on the peer's prefetch queue pair,
 * into pages this cache owns.  A demand read whose pages are all here is
 * served by copying them into the request, and they leave the cache
 * (exclusive caching: the page cache or the process has them now).  One
 * whose pages are here but some still in flight waits for them (a late
 * hit) instead of reading them again.  Anything else goes to the network.
 * The block device calls the cache; the cache calls back up into it (to
 * end a request it served, to send one it cannot serve to the network)
 * only through the ops it was created with (struct mtier_cache_ops).
 *
 * Bounded: at most cache-size bytes, read-ahead pages nobody used are
 * evicted oldest first.  A shrinker gives pages back under memory pressure,
 * after which prefetching pauses for a second and every window halves.
 * Prefetches are dropped, never queued, when the cache is full of pages in
 * flight, when pages cannot be had without waiting, or when too much is in
 * flight already.
 *
 * Never stale: a write or a discard drops the cached pages it covers, and
 * marks those in flight stale, so that they are thrown away on arrival
 * and their waiters read from the network.  It does so twice, when it is
 * submitted and before it completes: a prefetch travels on another queue
 * pair, so one issued meanwhile may have read the donor before the write
 * landed.  A prefetch issued after the write completed reads the new data.
 *
 * Locking: cache->lock (a spinlock taken with interrupts off: completions
 * run in softirq) protects the page map, the LRU list, the counts and the
 * trend detector.  Pages are copied and freed outside it, once removed
 * from the map.  A prefetch transfer holds its slab (tslab->inflight), the
 * copy it reads (its users count) and the cache's ios count; destroy waits
 * for the count to drop.
 */
#include <linux/blk-mq.h>
#include <linux/highmem.h>
#include <linux/shrinker.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "blkdev.h"
#include "mtier.h"
#include "prefetch.h"
#include "transport.h"
#include "trace.h"

#define MTIER_PF_RUN_MAX	64	/* pages in one prefetch transfer */
#define MTIER_PF_INFLIGHT_MAX	1024	/* pages in flight per tier */

enum mtier_cpage_state {
	MTIER_CP_INFLIGHT,
	MTIER_CP_READY,
	MTIER_CP_STALE,		/* in flight, but overwritten meanwhile */
};

struct mtier_cpage {
	struct list_head lru;		/* READY pages, oldest first */
	struct list_head waiters;	/* requests waiting for this page */
	u64 index;
	struct page *page;
	u8 state;
	bool in_map;
};

struct mtier_cache {
	struct mtier_tier *tier;
	const struct mtier_cache_ops *ops;	/* set at creation */
	spinlock_t lock;		/* all below but ios and shrinker */
	struct xarray map;		/* page index -> mtier_cpage */
	struct list_head lru;
	u64 nr;				/* pages held, ready or in flight */
	u64 nr_ready;
	u64 inflight;			/* pages in flight */
	u64 max;			/* bound, in pages */
	unsigned long pause_until;	/* jiffies: no prefetch before */
	struct mtier_pf pf;
	atomic_t ios;			/* prefetch transfers in flight */
	struct shrinker *shrinker;
};

/* One prefetch transfer: a run of pages of one slab. */
struct mtier_pf_io {
	struct mtier_cache *cache;
	struct mtier_tslab *ts;
	int slot;
	u32 n;
	struct mtier_cpage *cp[MTIER_PF_RUN_MAX];
	struct scatterlist sgl[MTIER_PF_RUN_MAX];
	struct mtier_xfer x;
};

static void mtier_cache_bytes(struct mtier_cache *c)
{
	atomic64_set(&c->tier->cache_bytes, c->nr << PAGE_SHIFT);
}

/* Take a page out of the map and the LRU.  Lock held. */
static void mtier_cpage_unlink(struct mtier_cache *c, struct mtier_cpage *cp)
{
	if (cp->in_map) {
		xa_erase(&c->map, cp->index);
		cp->in_map = false;
	}
	if (!list_empty(&cp->lru)) {
		list_del_init(&cp->lru);
		c->nr_ready--;
	}
	c->nr--;
}

static void mtier_cpage_free(struct mtier_cpage *cp)
{
	__free_page(cp->page);
	kfree(cp);
}

/* Evict the oldest unused page.  Lock held; false when none is ready. */
static bool mtier_cache_evict_one(struct mtier_cache *c, struct list_head *out)
{
	struct mtier_cpage *cp;

	cp = list_first_entry_or_null(&c->lru, struct mtier_cpage, lru);
	if (!cp)
		return false;
	mtier_cpage_unlink(c, cp);
	list_add(&cp->lru, out);
	return true;
}

static void mtier_cache_free_list(struct mtier_tier *tier, struct list_head *l,
				  bool unused)
{
	struct mtier_cpage *cp, *tmp;
	u64 n = 0;

	list_for_each_entry_safe(cp, tmp, l, lru) {
		list_del(&cp->lru);
		mtier_cpage_free(cp);
		n++;
	}
	if (unused && n)
		mtier_tier_count(tier, MTIER_TC_PREFETCH_UNUSED, n);
}

/* --- Serving demand reads ------------------------------------------------ */

/* Copy pages[] (the request's range, page by page) into the request. */
static void mtier_copy_to_rq(struct request *rq, struct mtier_cpage **cp)
{
	struct req_iterator iter;
	struct bio_vec bv;
	size_t done = 0;

	rq_for_each_segment(bv, rq, iter) {
		size_t off = 0;

		while (off < bv.bv_len) {
			size_t src = (done + off) & ~PAGE_MASK;
			size_t len = min(bv.bv_len - off, PAGE_SIZE - src);

			memcpy_page(bv.bv_page, bv.bv_offset + off,
				    cp[(done + off) >> PAGE_SHIFT]->page, src, len);
			off += len;
		}
		done += bv.bv_len;
	}
}

/**
 * mtier_cache_read - serve a demand read from the cache if it can
 * @tier: the tier
 * @rq: a read request
 * @late: it waited for pages in flight (counts as a late hit)
 *
 * Return: MTIER_CACHE_HIT (the request is ended), MTIER_CACHE_WAIT (it is
 * parked on a page in flight and comes back here when that arrives), or
 * MTIER_CACHE_MISS (read it from the network).
 */
int mtier_cache_read(struct mtier_tier *tier, struct request *rq, bool late)
{
	struct mtier_cmd *cmd = blk_mq_rq_to_pdu(rq);
	struct mtier_cpage *cp[MTIER_PF_RUN_MAX], *wait = NULL;
	struct mtier_cache *c = tier->cache;
	u64 pos = blk_rq_pos(rq) << SECTOR_SHIFT;
	u32 n = blk_rq_bytes(rq) >> PAGE_SHIFT, i;
	unsigned long flags;

	if (!c || !c->nr || (pos & ~PAGE_MASK) || (blk_rq_bytes(rq) & ~PAGE_MASK) ||
	    n > MTIER_PF_RUN_MAX)
		return MTIER_CACHE_MISS;
	spin_lock_irqsave(&c->lock, flags);
	for (i = 0; i < n; i++) {
		cp[i] = xa_load(&c->map, (pos >> PAGE_SHIFT) + i);
		if (!cp[i]) {
			spin_unlock_irqrestore(&c->lock, flags);
			return MTIER_CACHE_MISS;
		}
		if (cp[i]->state == MTIER_CP_INFLIGHT)
			wait = cp[i];
	}
	if (wait) {
		list_add_tail(&cmd->slow, &wait->waiters);
		spin_unlock_irqrestore(&c->lock, flags);
		return MTIER_CACHE_WAIT;
	}
	for (i = 0; i < n; i++)
		mtier_cpage_unlink(c, cp[i]);
	mtier_cache_bytes(c);
	spin_unlock_irqrestore(&c->lock, flags);

	mtier_copy_to_rq(rq, cp);
	for (i = 0; i < n; i++)
		mtier_cpage_free(cp[i]);
	mtier_tier_count(tier, late ? MTIER_TC_PREFETCH_LATE_HITS :
				      MTIER_TC_PREFETCH_HITS, n);
	trace_mtier_cache_hit(tier, pos >> PAGE_SHIFT, n, late);
	c->ops->end(rq, BLK_STS_OK);
	return MTIER_CACHE_HIT;
}

/* --- Prefetching ------------------------------------------------------------ */

static void mtier_pf_io_done(struct mtier_xfer *x, blk_status_t status)
{
	struct mtier_pf_io *io = container_of(x, struct mtier_pf_io, x);
	struct mtier_cache *c = io->cache;
	struct mtier_tier *tier = c->tier;
	struct mtier_cmd *cmd, *tmp;
	LIST_HEAD(waiters);
	LIST_HEAD(dead);
	unsigned long flags;
	u32 i;

	spin_lock_irqsave(&c->lock, flags);
	for (i = 0; i < io->n; i++) {
		struct mtier_cpage *cp = io->cp[i];

		list_splice_tail_init(&cp->waiters, &waiters);
		c->inflight--;
		if (status || cp->state == MTIER_CP_STALE) {
			/* Lost on the way, or overwritten meanwhile. */
			if (cp->in_map)
				mtier_cpage_unlink(c, cp);
			else
				c->nr--;
			list_add(&cp->lru, &dead);
		} else {
			cp->state = MTIER_CP_READY;
			list_add_tail(&cp->lru, &c->lru);
			c->nr_ready++;
		}
	}
	mtier_cache_bytes(c);
	spin_unlock_irqrestore(&c->lock, flags);

	if (status)
		mtier_tslab_set_stale(tier, io->ts, io->slot);
	mtier_tslab_put_copy(io->ts, io->slot);
	mtier_tslab_put(io->ts);
	mtier_cache_free_list(tier, &dead, false);
	/* Those who waited: served now, or waiting on another page, or not. */
	list_for_each_entry_safe(cmd, tmp, &waiters, slow) {
		struct request *rq = blk_mq_rq_from_pdu(cmd);

		list_del_init(&cmd->slow);
		if (mtier_cache_read(tier, rq, true) == MTIER_CACHE_MISS)
			c->ops->miss(cmd, rq);
	}
	kfree(io);
	if (atomic_dec_and_test(&c->ios))
		wake_up_var(&c->ios);
}

/*
 * Read @n pages at @index ahead of demand, when room and memory allow
 * without waiting.  Returns how many pages were asked for.
 */
static u32 mtier_cache_fetch(struct mtier_cache *c, u64 index, u32 n)
{
	struct mtier_tier *tier = c->tier;
	u32 shift = READ_ONCE(tier->slab_shift);
	struct mtier_tslab *ts;
	struct mtier_pf_io *io;
	LIST_HEAD(evicted);
	unsigned long flags;
	u64 slab_end;
	u32 i;

	if (!shift || ((index + 1) << PAGE_SHIFT) > tier->size)
		return 0;
	/* One slab per transfer; nothing to fetch where nothing was written. */
	slab_end = (((index << PAGE_SHIFT) >> shift) + 1) << (shift - PAGE_SHIFT);
	n = min_t(u64, n, min_t(u64, slab_end, tier->size >> PAGE_SHIFT) - index);
	n = min_t(u32, n, MTIER_PF_RUN_MAX);
	ts = mtier_tslab_get(tier, index << PAGE_SHIFT, shift);
	if (!ts)
		return 0;
	io = kzalloc(sizeof(*io), GFP_NOWAIT | __GFP_NOWARN);
	if (!io)
		goto err_put;
	/* Any good copy: prefetches spread over them as reads do. */
	io->slot = mtier_tslab_get_copy(ts, 0);
	if (io->slot < 0) {
		kfree(io);
		goto err_put;
	}
	io->cache = c;
	io->ts = ts;
	sg_init_table(io->sgl, n);

	spin_lock_irqsave(&c->lock, flags);
	for (i = 0; i < n; i++) {
		struct mtier_cpage *cp;

		if (xa_load(&c->map, index + i))
			break;		/* have it, or it is coming */
		if (c->nr >= c->max && !mtier_cache_evict_one(c, &evicted))
			break;		/* full of pages in flight */
		cp = kzalloc(sizeof(*cp), GFP_NOWAIT | __GFP_NOWARN);
		if (cp)
			cp->page = alloc_page(GFP_NOWAIT | __GFP_NOWARN);
		if (!cp || !cp->page) {
			kfree(cp);
			break;
		}
		INIT_LIST_HEAD(&cp->lru);
		INIT_LIST_HEAD(&cp->waiters);
		cp->index = index + i;
		cp->state = MTIER_CP_INFLIGHT;
		if (xa_err(xa_store(&c->map, cp->index, cp, GFP_NOWAIT))) {
			mtier_cpage_free(cp);
			break;
		}
		cp->in_map = true;
		c->nr++;
		c->inflight++;
		io->cp[i] = cp;
		sg_set_page(&io->sgl[i], cp->page, PAGE_SIZE, 0);
	}
	io->n = i;
	mtier_cache_bytes(c);
	spin_unlock_irqrestore(&c->lock, flags);
	mtier_cache_free_list(tier, &evicted, true);
	if (!io->n)
		goto err_free;

	sg_mark_end(&io->sgl[io->n - 1]);
	mtier_xfer_init(&io->x, io->sgl, io->n, false, &ts->rep[io->slot],
			(index << PAGE_SHIFT) & ((1ULL << shift) - 1),
			io->n << PAGE_SHIFT, mtier_pf_io_done);
	/* Once submitted, @io is the completion's: it may be gone already. */
	n = io->n;
	atomic_inc(&c->ios);
	if (mtier_peer_submit(ts->rep[io->slot].peer, MTIER_QID_PREFETCH,
			      &io->x)) {
		/* Not started: as if it had failed. */
		mtier_pf_io_done(&io->x, BLK_STS_IOERR);
		return 0;
	}
	mtier_tier_count(tier, MTIER_TC_PREFETCH_ISSUED, n);
	return n;

err_free:
	mtier_tslab_put_copy(ts, io->slot);
	kfree(io);
err_put:
	mtier_tslab_put(ts);
	return 0;
}

/**
 * mtier_cache_learn - feed a demand read to the prefetcher, and prefetch
 * @tier: the tier
 * @pos: the read's first byte
 * @bytes: its length
 * @hit: it was predicted (served from the cache, or waiting for it)
 *
 * Context: any; never waits.
 */
void mtier_cache_learn(struct mtier_tier *tier, u64 pos, u32 bytes, bool hit)
{
	struct mtier_cache *c = tier->cache;
	u32 pages = DIV_ROUND_UP(bytes, PAGE_SIZE);
	struct mtier_pf_req req;
	unsigned long flags;
	u64 index, n;
	bool pause;
	u32 k;

	if (!c || !c->max)
		return;
	spin_lock_irqsave(&c->lock, flags);
	mtier_pf_access(&c->pf, pos >> PAGE_SHIFT, pages, hit, &req);
	/* Dropped, not queued: under memory pressure or with enough in flight. */
	pause = time_before(jiffies, c->pause_until) ||
		c->inflight >= min_t(u64, c->max / 2, MTIER_PF_INFLIGHT_MAX);
	spin_unlock_irqrestore(&c->lock, flags);
	if (!req.count)
		return;
	trace_mtier_prefetch(tier, pos >> PAGE_SHIFT, &req, pause);
	if (pause)
		return;
	if (req.stride != req.len && req.stride != -(s64)req.len) {
		for (k = 0; k < req.count; k++)
			mtier_cache_fetch(c, req.start + req.stride * (s64)k,
					  req.len);
		return;
	}
	/* One contiguous range: in as few transfers as it takes. */
	index = req.stride > 0 ? req.start :
		req.start + req.stride * (s64)(req.count - 1);
	for (n = (u64)req.count * req.len; n; n -= k, index += k)
		k = max(mtier_cache_fetch(c, index, min_t(u64, n, U32_MAX)), 1U);
}

/**
 * mtier_cache_invalidate - forget cached copies of pages being written
 * @tier: the tier
 * @pos: first byte
 * @len: bytes
 *
 * Context: any; never waits.
 */
void mtier_cache_invalidate(struct mtier_tier *tier, u64 pos, u64 len)
{
	struct mtier_cache *c = tier->cache;
	struct mtier_cpage *cp;
	unsigned long flags, index;
	LIST_HEAD(dead);

	if (!c || !len)
		return;
	spin_lock_irqsave(&c->lock, flags);
	if (!c->nr) {
		spin_unlock_irqrestore(&c->lock, flags);
		return;
	}
	xa_for_each_range(&c->map, index, cp, pos >> PAGE_SHIFT,
			  (pos + len - 1) >> PAGE_SHIFT) {
		if (cp->state == MTIER_CP_INFLIGHT) {
			/* Thrown away on arrival; out of the map from now. */
			cp->state = MTIER_CP_STALE;
			xa_erase(&c->map, index);
			cp->in_map = false;
		} else {
			mtier_cpage_unlink(c, cp);
			list_add(&cp->lru, &dead);
		}
	}
	mtier_cache_bytes(c);
	spin_unlock_irqrestore(&c->lock, flags);
	mtier_cache_free_list(tier, &dead, false);
}

/* --- Memory pressure -------------------------------------------------------- */

static unsigned long mtier_cache_count(struct shrinker *s,
				       struct shrink_control *sc)
{
	struct mtier_cache *c = s->private_data;

	return READ_ONCE(c->nr_ready) ?: SHRINK_EMPTY;
}

static unsigned long mtier_cache_scan(struct shrinker *s,
				      struct shrink_control *sc)
{
	struct mtier_cache *c = s->private_data;
	unsigned long flags, freed = 0;
	LIST_HEAD(evicted);

	spin_lock_irqsave(&c->lock, flags);
	while (freed < sc->nr_to_scan && mtier_cache_evict_one(c, &evicted))
		freed++;
	/* The kernel needs memory: stop reading ahead for a while. */
	c->pause_until = jiffies + HZ;
	mtier_pf_throttle(&c->pf);
	mtier_cache_bytes(c);
	spin_unlock_irqrestore(&c->lock, flags);
	mtier_cache_free_list(c->tier, &evicted, true);
	trace_mtier_cache_shrink(c->tier, freed);
	return freed;
}

/**
 * mtier_cache_configure - apply the tier's prefetch settings
 * @tier: the tier
 *
 * Context: mtier_lock held.
 */
void mtier_cache_configure(struct mtier_tier *tier)
{
	struct mtier_cache *c = tier->cache;
	unsigned long flags;
	LIST_HEAD(evicted);

	if (!c)
		return;
	spin_lock_irqsave(&c->lock, flags);
	c->max = tier->cfg.prefetch == MTIER_PREFETCH_OFF ? 0 :
		 tier->cfg.cache_size >> PAGE_SHIFT;
	mtier_pf_init(&c->pf, tier->cfg.prefetch, tier->cfg.window_max,
		      tier->cfg.history);
	while (c->nr_ready && c->nr > c->max &&
	       mtier_cache_evict_one(c, &evicted))
		;
	mtier_cache_bytes(c);
	spin_unlock_irqrestore(&c->lock, flags);
	mtier_cache_free_list(tier, &evicted, true);
}

/**
 * mtier_cache_create - give a tier its prefetch cache
 * @tier: the tier, configured
 * @ops: the block device's calls the cache makes (struct mtier_cache_ops)
 *
 * Context: mtier_lock held.
 * Return: 0 or -ENOMEM.
 */
int mtier_cache_create(struct mtier_tier *tier,
		       const struct mtier_cache_ops *ops)
{
	struct mtier_cache *c;

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	c->tier = tier;
	c->ops = ops;
	spin_lock_init(&c->lock);
	xa_init(&c->map);
	INIT_LIST_HEAD(&c->lru);
	c->shrinker = shrinker_alloc(0, "mtier-%s", tier->obj.name);
	if (!c->shrinker) {
		kfree(c);
		return -ENOMEM;
	}
	c->shrinker->count_objects = mtier_cache_count;
	c->shrinker->scan_objects = mtier_cache_scan;
	c->shrinker->private_data = c;
	tier->cache = c;
	mtier_cache_configure(tier);
	shrinker_register(c->shrinker);
	return 0;
}

/**
 * mtier_cache_destroy - drop the cache once no request can come
 * @tier: the tier, its block device gone
 *
 * Waits for prefetches in flight, which hold slabs.
 */
void mtier_cache_destroy(struct mtier_tier *tier)
{
	struct mtier_cache *c = tier->cache;
	struct mtier_cpage *cp;
	unsigned long index;
	LIST_HEAD(dead);

	if (!c)
		return;
	shrinker_free(c->shrinker);
	wait_var_event(&c->ios, !atomic_read(&c->ios));
	/*
	 * Nothing else can touch the cache now, but the map's lock is one
	 * that completions take (under c->lock): take it the same way.
	 */
	spin_lock_irq(&c->lock);
	xa_for_each(&c->map, index, cp) {
		mtier_cpage_unlink(c, cp);
		list_add(&cp->lru, &dead);
	}
	spin_unlock_irq(&c->lock);
	xa_destroy(&c->map);
	mtier_cache_free_list(tier, &dead, true);
	atomic64_set(&tier->cache_bytes, 0);
	kfree(c);
	tier->cache = NULL;
}
