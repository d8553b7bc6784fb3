// SPDX-License-Identifier: GPL-2.0
/*
 * mtier: a tier's block device.
 *
 * The device's space is cut into slabs, the donors' unit; the slab map
 * (tier->slabs) says which remote slab holds each one.  Reads and writes
 * never cross a 1 MiB boundary (chunk_sectors), so each request lies in one
 * slab and becomes one one-sided transfer straight between the request's
 * pages and the remote slab.  Reads of space never written return zeroes
 * without touching the network.  Writes to space without a slab, discards
 * and write-zeroes need a round trip to a donor, so they go to the tier's
 * slow work; everything else is completed from the transfer's completion.
 *
 * Slabs are allocated on first write, each with as many copies as the
 * tier's replicas on distinct peers (tslab.c places them), and given
 * back when a discard covers them whole.  A write goes to every good copy
 * at once, straight from the request's pages, and succeeds when one of
 * them took it; a copy that failed is stale from then on.  A read goes to
 * one good copy and, when it fails, to another.  A slab with no good copy
 * left (with one replica: whose peer's connection is not the one it was
 * allocated in) is lost: its reads and writes fail with EIO until a
 * discard covers it.
 *
 * Locking and lifetime:
 *  - tier->slabs is read under RCU on the I/O path and changed under
 *    tier->map_lock by the slow work (or at teardown).
 *  - A request holds slab->inflight, and each of its transfers the copy's
 *    users count; a slab leaving the map is freed only once an RCU grace
 *    period and its in-flight transfers are over.
 */
#include <linux/blk-mq.h>
#include <linux/idr.h>
#include <linux/random.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "blkdev.h"
#include "mtier.h"
#include "trace.h"
#include "transport.h"

#define MTIER_IO_CHUNK		(MTIER_SLAB_MIN >> SECTOR_SHIFT)
#define MTIER_MAX_DISCARD	(1U << (30 - SECTOR_SHIFT))
#define MTIER_REQUEUE_MS	1	/* before a requeued request goes again */

int mtier_major;
static DEFINE_IDA(mtier_index_ida);

static void mtier_cmd_account(struct mtier_cmd *cmd, struct request *rq)
{
	struct mtier_tier *tier = cmd->tier;
	struct mtier_tier_pcpu_stats *s;
	u64 us = (ktime_get_ns() - cmd->start_ns) / NSEC_PER_USEC;
	int bucket = us > 1 ? min_t(int, ilog2(us), MTIER_LAT_BUCKETS - 1) : 0;
	bool write = op_is_write(req_op(rq));

	s = get_cpu_ptr(tier->pcpu);
	u64_stats_update_begin(&s->syncp);
	if (cmd->status) {
		u64_stats_inc(&s->c[MTIER_TC_ERRORS]);
	} else if (req_op(rq) == REQ_OP_READ || req_op(rq) == REQ_OP_WRITE) {
		u64_stats_inc(&s->c[write ? MTIER_TC_WRITES : MTIER_TC_READS]);
		u64_stats_add(&s->c[write ? MTIER_TC_WRITE_BYTES :
				    MTIER_TC_READ_BYTES], blk_rq_bytes(rq));
	}
	u64_stats_inc(&s->lat[bucket]);
	u64_stats_update_end(&s->syncp);
	put_cpu_ptr(tier->pcpu);
	atomic_dec(&tier->inflight);
}

/*
 * End a request where its transfer completed (the completion queue's
 * softirq, or the submitter): no bounce to the submitting CPU, which on a
 * memory tier costs more than the little work left to do.
 */
static void mtier_complete_rq(struct request *rq)
{
	struct mtier_cmd *cmd = blk_mq_rq_to_pdu(rq);

	mtier_cmd_account(cmd, rq);
	blk_mq_end_request(rq, cmd->status);
}

static void mtier_cmd_end(struct request *rq, blk_status_t status)
{
	struct mtier_cmd *cmd = blk_mq_rq_to_pdu(rq);

	cmd->status = status;
	/* Marks it complete first: a timeout racing with us leaves it be. */
	blk_mq_complete_request_direct(rq, mtier_complete_rq);
}

/*
 * A shortage that passes (the transport could not map the pages, or a
 * heal is copying the request's chunk): not the caller's error.  The
 * request goes back to the block layer, which sends it again a little
 * later.
 */
static void mtier_cmd_requeue(struct request *rq)
{
	struct mtier_cmd *cmd = blk_mq_rq_to_pdu(rq);

	atomic_dec(&cmd->tier->inflight);
	blk_mq_requeue_request(rq, false);
	blk_mq_delay_kick_requeue_list(rq->q, MTIER_REQUEUE_MS);
}

/* --- The slab map ----------------------------------------------------- */

/* Take the spare slab if a copy of it is still there.  map_lock held. */
static struct mtier_tslab *mtier_tier_take_spare(struct mtier_tier *tier)
{
	struct mtier_tslab *ts = tier->spare;

	if (!ts)
		return NULL;
	tier->spare = NULL;
	if (!mtier_tslab_lost(ts))
		return ts;		/* copies it lacks are healed later */
	mtier_tslab_free(ts);		/* lost with its connections */
	return NULL;
}

/*
 * Make sure the slab of byte @off exists; *@added tells whether this call
 * mapped it.  Context: the slow work.
 */
static int mtier_tier_map(struct mtier_tier *tier, u64 off, bool *added)
{
	struct mtier_tslab *ts;
	int err;

	*added = false;
	mutex_lock(&tier->map_lock);
	if (tier->slab_shift &&
	    xa_load(&tier->slabs, off >> tier->slab_shift)) {
		mutex_unlock(&tier->map_lock);
		return 0;
	}
	ts = mtier_tier_take_spare(tier);
	if (!ts)
		ts = mtier_tslab_alloc(tier);
	if (IS_ERR(ts)) {
		mutex_unlock(&tier->map_lock);
		return PTR_ERR(ts);
	}
	err = xa_err(xa_store(&tier->slabs, off >> tier->slab_shift, ts,
			      GFP_KERNEL));
	if (err)
		mtier_tslab_free(ts);
	else
		tier->nr_mapped++;
	mutex_unlock(&tier->map_lock);
	*added = !err;
	return err;
}

/*
 * Keep one slab allocated ahead of need, so that a writer filling the
 * tier (a swap device's cluster allocator, a sequential fill) finds its
 * next slab at once instead of waiting a donor round trip -- a wait long
 * enough, on a fresh swap device, for the memory cgroup of the task being
 * swapped out to give up and OOM.  Refilled after a write took it; only
 * while some peer has room for two slabs more, so the spare never takes
 * a donor's last slab.  It is not mapped to any offset: any write can use
 * it, and it holds no data (donors hand out zeroed memory).  Failure is
 * not an error, and there is none once the whole tier is mapped.
 * Context: the slow work.
 */
static void mtier_tier_refill_spare(struct mtier_tier *tier)
{
	struct mtier_tslab *ts;
	u32 i;

	for (i = 0; i < tier->nr_peers; i++)
		if (mtier_peer_gen(tier->peers[i]) &&
		    mtier_peer_donor_free(tier->peers[i]) >=
		    2 * mtier_peer_slab_size(tier->peers[i]))
			break;
	if (i == tier->nr_peers)
		return;
	mutex_lock(&tier->map_lock);
	/* Not when every slab of the tier is there already. */
	if (!tier->spare && !READ_ONCE(tier->deleting) &&
	    (tier->nr_mapped + 1) << tier->slab_shift <= tier->size) {
		ts = mtier_tslab_alloc(tier);
		if (!IS_ERR(ts))
			tier->spare = ts;
	}
	mutex_unlock(&tier->map_lock);
}

/* Take slab @idx out of the map and give it back.  map_lock held. */
static void mtier_tier_unmap(struct mtier_tier *tier, unsigned long idx)
{
	struct mtier_tslab *ts = xa_erase(&tier->slabs, idx);

	if (!ts)
		return;
	tier->nr_mapped--;
	WRITE_ONCE(ts->gone, true);	/* a heal of it gives up */
	synchronize_rcu();
	wait_var_event(&ts->inflight, !atomic_read(&ts->inflight));
	mtier_tslab_free(ts);
}

/* --- Requests --------------------------------------------------------- */

static void mtier_zero_fill(struct request *rq)
{
	struct req_iterator iter;
	struct bio_vec bv;

	rq_for_each_segment(bv, rq, iter)
		memzero_bvec(&bv);
}

/* Everything a request's copies needed is done: end it. */
static void mtier_cmd_finish(struct mtier_cmd *cmd)
{
	struct request *rq = blk_mq_rq_from_pdu(cmd);
	struct mtier_tslab *ts = cmd->ts;
	bool write = req_op(rq) == REQ_OP_WRITE;
	blk_status_t status = cmd->status;

	if (write && !mtier_rp_write_ok(cmd->good, cmd->target))
		status = BLK_STS_IOERR;		/* no good copy took it */
	if (cmd->bucket >= 0 &&
	    atomic_dec_and_test(&ts->writers[cmd->bucket]))
		wake_up_var(&ts->writers[cmd->bucket]);
	cmd->bucket = -1;
	mtier_tslab_put(ts);
	cmd->ts = NULL;
	/*
	 * A prefetch may have read the donor between this write's submission
	 * and its landing (another queue pair: no ordering): drop it again
	 * before anyone can see the write complete.
	 */
	if (write)
		mtier_cache_invalidate(cmd->tier, blk_rq_pos(rq) << SECTOR_SHIFT,
				       blk_rq_bytes(rq));
	mtier_cmd_end(rq, status);
}

static void mtier_copy_done(struct mtier_xfer *x, blk_status_t status);

/*
 * Start copy @j of a request on the slab's @slot, which the caller holds.
 * Returns the transport's error when nothing started (@x->done will not
 * be called).
 */
static int mtier_copy_submit(struct mtier_cmd *cmd, int j, int slot,
			     bool write, u64 offset, u32 len, int nents)
{
	struct mtier_copy *c = &cmd->c[j];
	struct mtier_tslab *ts = cmd->ts;
	int err;

	c->slot = slot;
	c->peer = ts->rep[slot].peer;
	mtier_xfer_init(&c->x, c->sgl, nents, write, &ts->rep[slot], offset,
			len, mtier_copy_done);
	set_bit(j, &cmd->busy);
	err = mtier_peer_submit(c->peer, cmd->qid, &c->x);
	if (err)
		clear_bit(j, &cmd->busy);
	return err;
}

/*
 * Read from another good copy after one failed.  Returns false when none
 * is left, or none would take the transfer.
 */
static bool mtier_read_retry(struct mtier_cmd *cmd)
{
	struct mtier_copy *c = &cmd->c[0];
	struct mtier_tslab *ts = cmd->ts;
	int slot;

	while ((slot = mtier_tslab_get_copy(ts, cmd->tried)) >= 0) {
		__set_bit(slot, &cmd->tried);
		mtier_tier_count(cmd->tier, MTIER_TC_READ_RETRIES, 1);
		if (!mtier_copy_submit(cmd, 0, slot, false, c->x.offset,
				       c->x.len, c->x.nents))
			return true;
		mtier_tslab_put_copy(ts, slot);
		mtier_tslab_set_stale(cmd->tier, ts, slot);
	}
	return false;
}

/* The end of one copy's transfer.  Context: completion; may be the submitter. */
static void mtier_copy_done(struct mtier_xfer *x, blk_status_t status)
{
	struct mtier_copy *c = container_of(x, struct mtier_copy, x);
	struct mtier_cmd *cmd = c->cmd;
	struct mtier_tslab *ts = cmd->ts;
	int j = c - cmd->c;

	clear_bit(j, &cmd->busy);
	if (status)
		mtier_tslab_set_stale(cmd->tier, ts, c->slot);
	else
		set_bit(c->slot, &cmd->good);
	mtier_tslab_put_copy(ts, c->slot);
	if (!x->write) {
		if (status && ts->nr > 1 && mtier_read_retry(cmd))
			return;
		cmd->status = status;
		mtier_cmd_finish(cmd);
		return;
	}
	if (atomic_dec_and_test(&cmd->pending))
		mtier_cmd_finish(cmd);
}

/*
 * Hold the copies a write goes to (mtier_rp_write_slots(): every good one,
 * and the one being healed).  Returns them as a bitmap of slots, the heal
 * target's included.
 */
static unsigned long mtier_write_copies(struct mtier_tslab *ts, int target)
{
	unsigned long want, slots = 0;
	int i;

	want = mtier_rp_write_slots(mtier_tslab_good_slots(ts), target);
	for_each_set_bit(i, &want, ts->nr) {
		atomic_inc(&ts->users[i]);
		/*
		 * Pairs with the healer's barrier after it marks a slot stale
		 * (and ends its target): either it sees us, or we see it.
		 */
		smp_mb__after_atomic();
		if ((i == target && READ_ONCE(ts->target) == i) ||
		    mtier_tslab_good(ts, i))
			__set_bit(i, &slots);
		else
			mtier_tslab_put_copy(ts, i);
	}
	return slots;
}

/*
 * Start a write to every copy of its slab.  Returns -EAGAIN to requeue it
 * (a heal is copying its chunk, or the first copy's pages could not be
 * mapped), 0 when it has started or ended.
 */
static int mtier_write_start(struct mtier_cmd *cmd, struct request *rq,
			     u64 offset)
{
	struct mtier_tslab *ts = cmd->ts;
	int b, j, n = 0, slot, target = -1, nents, err;
	unsigned long slots;

	if (ts->nr > 1) {
		b = mtier_rp_bucket(offset);
		atomic_inc(&ts->writers[b]);
		/* Pairs with the healer's barrier after it locks a bucket. */
		smp_mb__after_atomic();
		cmd->bucket = b;
		if (READ_ONCE(ts->locked) == b)
			return -EAGAIN;
		target = READ_ONCE(ts->target);
	}
	cmd->target = target;
	slots = mtier_write_copies(ts, target);
	if (!mtier_rp_write_ok(slots, target)) {
		/* no good copy: the slab is lost */
		for_each_set_bit(slot, &slots, ts->nr)
			mtier_tslab_put_copy(ts, slot);
		cmd->status = BLK_STS_IOERR;
		mtier_cmd_finish(cmd);
		return 0;
	}
	nents = blk_rq_map_sg(rq->q, rq, cmd->c[0].sgl);
	/* One more than the copies: none can end the request before all start. */
	atomic_set(&cmd->pending, hweight_long(slots) + 1);
	for_each_set_bit(slot, &slots, ts->nr) {
		j = n++;
		if (j)
			memcpy(cmd->c[j].sgl, cmd->c[0].sgl,
			       nents * sizeof(cmd->c[0].sgl[0]));
		err = mtier_copy_submit(cmd, j, slot, true, offset,
					blk_rq_bytes(rq), nents);
		if (err == -ENOMEM && !j) {
			/* nothing started yet: all of it again later */
			for_each_set_bit(slot, &slots, ts->nr)
				mtier_tslab_put_copy(ts, slot);
			return -EAGAIN;
		}
		/* a later copy that cannot start is a failed copy */
		if (err)
			mtier_copy_done(&cmd->c[j].x, BLK_STS_IOERR);
	}
	if (atomic_dec_and_test(&cmd->pending))
		mtier_cmd_finish(cmd);
	return 0;
}

/*
 * Start the transfers of a read or write whose slab exists.  Returns false
 * when there is no slab for it.
 */
static bool mtier_rw_remote(struct mtier_cmd *cmd, struct request *rq)
{
	struct mtier_tier *tier = cmd->tier;
	bool write = req_op(rq) == REQ_OP_WRITE;
	u64 off = blk_rq_pos(rq) << SECTOR_SHIFT;
	u32 shift = READ_ONCE(tier->slab_shift);
	struct mtier_tslab *ts;
	int slot, err;

	ts = shift ? mtier_tslab_get(tier, off, shift) : NULL;
	if (!ts)
		return false;
	cmd->ts = ts;
	cmd->busy = 0;
	cmd->good = 0;
	cmd->tried = 0;
	cmd->target = -1;
	cmd->bucket = -1;
	off &= (1ULL << shift) - 1;
	if (write) {
		if (mtier_write_start(cmd, rq, off)) {
			/* not now: as if never started */
			if (cmd->bucket >= 0 &&
			    atomic_dec_and_test(&ts->writers[cmd->bucket]))
				wake_up_var(&ts->writers[cmd->bucket]);
			cmd->bucket = -1;
			cmd->ts = NULL;
			mtier_tslab_put(ts);
			mtier_cmd_requeue(rq);
		}
		return true;
	}
	slot = mtier_tslab_get_copy(ts, 0);
	if (slot < 0) {
		cmd->status = BLK_STS_IOERR;
		mtier_cmd_finish(cmd);
		return true;
	}
	__set_bit(slot, &cmd->tried);
	err = mtier_copy_submit(cmd, 0, slot, false, off, blk_rq_bytes(rq),
				blk_rq_map_sg(rq->q, rq, cmd->c[0].sgl));
	if (!err)
		return true;
	mtier_tslab_put_copy(ts, slot);
	if (err == -ENOMEM) {
		cmd->ts = NULL;
		mtier_tslab_put(ts);
		mtier_cmd_requeue(rq);
		return true;
	}
	/* as if it had failed on the network */
	mtier_tslab_set_stale(tier, ts, slot);
	if (ts->nr > 1 && mtier_read_retry(cmd))
		return true;
	cmd->status = BLK_STS_IOERR;
	mtier_cmd_finish(cmd);
	return true;
}

/**
 * mtier_read_remote - read a request's pages from the network
 * @cmd: the request's data
 * @rq: the request
 *
 * Space never written reads as zeroes, without the network.
 *
 * Context: any; never waits.
 */
static void mtier_read_remote(struct mtier_cmd *cmd, struct request *rq)
{
	/* Once submitted, @rq may complete and be reused: count first. */
	struct mtier_tier *tier = cmd->tier;
	u32 pages = DIV_ROUND_UP(blk_rq_bytes(rq), PAGE_SIZE);

	if (mtier_rw_remote(cmd, rq)) {
		mtier_tier_count(tier, MTIER_TC_DEMAND_MISSES, pages);
		return;
	}
	mtier_zero_fill(rq);
	mtier_cmd_end(rq, BLK_STS_OK);
}

static void mtier_read(struct mtier_cmd *cmd, struct request *rq)
{
	struct mtier_tier *tier = cmd->tier;
	/* Once served or submitted, @rq may complete and be reused: copy. */
	u64 pos = blk_rq_pos(rq) << SECTOR_SHIFT;
	u32 bytes = blk_rq_bytes(rq);
	int res;

	trace_mtier_read(tier, pos >> PAGE_SHIFT, DIV_ROUND_UP(bytes, PAGE_SIZE));
	res = mtier_cache_read(tier, rq, false);
	/* Demand first, then what it predicts: prefetches never go ahead. */
	if (res == MTIER_CACHE_MISS)
		mtier_read_remote(cmd, rq);
	/* A read waiting for a prefetch in flight was predicted: a hit. */
	mtier_cache_learn(tier, pos, bytes, res != MTIER_CACHE_MISS);
}

/* A write: cached copies of its pages are stale from now on. */
static bool mtier_write(struct mtier_cmd *cmd, struct request *rq)
{
	mtier_cache_invalidate(cmd->tier, blk_rq_pos(rq) << SECTOR_SHIFT,
			       blk_rq_bytes(rq));
	return mtier_rw_remote(cmd, rq);
}

/*
 * Zero part of a slab on every good copy, and on the one being healed (the
 * copy of a chunk waits meanwhile: zero_lock).  A copy that fails is
 * stale; it is an error when no good copy took it.  map_lock held, so the
 * slab stays mapped.
 */
static int mtier_tslab_zero(struct mtier_tier *tier, struct mtier_tslab *ts,
			    u64 offset, u64 len)
{
	unsigned long slots, took = 0;
	int slot, target;

	mutex_lock(&ts->zero_lock);
	target = READ_ONCE(ts->target);
	slots = mtier_write_copies(ts, target);
	for_each_set_bit(slot, &slots, ts->nr) {
		if (mtier_peer_zero(ts->rep[slot].peer, &ts->rep[slot],
				    offset, len))
			mtier_tslab_set_stale(tier, ts, slot);
		else
			__set_bit(slot, &took);
		mtier_tslab_put_copy(ts, slot);
	}
	mutex_unlock(&ts->zero_lock);
	return mtier_rp_write_ok(took, target) ? 0 : -EIO;
}

/* Discard and write-zeroes: free whole slabs, zero the parts of others. */
static blk_status_t mtier_discard(struct mtier_tier *tier, struct request *rq)
{
	u64 off = blk_rq_pos(rq) << SECTOR_SHIFT;
	u64 end = off + blk_rq_bytes(rq);
	blk_status_t status = BLK_STS_OK;
	struct mtier_tslab *ts;
	u32 shift;
	u64 size;

	mutex_lock(&tier->map_lock);
	shift = tier->slab_shift;
	if (!shift)
		goto out;	/* nothing was ever written */
	size = 1ULL << shift;
	while (off < end) {
		u64 slab_end = min(round_down(off, size) + size, end);
		unsigned long idx = off >> shift;

		ts = xa_load(&tier->slabs, idx);
		if (ts && !(off & (size - 1)) && slab_end - off == size) {
			mtier_tier_unmap(tier, idx);
		} else if (ts &&
			   mtier_tslab_zero(tier, ts, off & (size - 1),
					    slab_end - off)) {
			status = BLK_STS_IOERR;
		}
		off = slab_end;
	}
out:
	mutex_unlock(&tier->map_lock);
	return status;
}

/* Requests that need a donor round trip, in order. */
static void mtier_slow_work(struct work_struct *work)
{
	struct mtier_tier *tier = container_of(work, struct mtier_tier,
					       slow_work);
	unsigned int noio = memalloc_noio_save();
	bool added, refill = false;
	struct mtier_cmd *cmd;
	struct request *rq;
	blk_status_t status;
	int err;

	/* Swap writes wait for this work: its allocations must not swap. */
	for (;;) {
		spin_lock_irq(&tier->slow_lock);
		cmd = list_first_entry_or_null(&tier->slow_list,
					       struct mtier_cmd, slow);
		if (cmd)
			list_del_init(&cmd->slow);
		spin_unlock_irq(&tier->slow_lock);
		if (!cmd) {
			/* nothing waits any more: now the spare, if taken */
			if (!refill)
				break;
			mtier_tier_refill_spare(tier);
			refill = false;
			continue;
		}
		rq = blk_mq_rq_from_pdu(cmd);
		switch (req_op(rq)) {
		case REQ_OP_WRITE:
			err = mtier_tier_map(tier, blk_rq_pos(rq) << SECTOR_SHIFT,
					     &added);
			refill |= added;
			if (err) {
				mtier_cmd_end(rq, err == -ENOSPC ? BLK_STS_NOSPC :
						  BLK_STS_IOERR);
				break;
			}
			if (!mtier_write(cmd, rq))	/* mapped: cannot happen */
				mtier_cmd_end(rq, BLK_STS_IOERR);
			break;
		default:
			status = mtier_discard(tier, rq);
			/* After: prefetches that raced with it are dropped. */
			mtier_cache_invalidate(tier, blk_rq_pos(rq) << SECTOR_SHIFT,
					       blk_rq_bytes(rq));
			mtier_cmd_end(rq, status);
			break;
		}
	}
	memalloc_noio_restore(noio);
}

static void mtier_slow(struct mtier_tier *tier, struct mtier_cmd *cmd)
{
	unsigned long flags;

	spin_lock_irqsave(&tier->slow_lock, flags);
	list_add_tail(&cmd->slow, &tier->slow_list);
	spin_unlock_irqrestore(&tier->slow_lock, flags);
	queue_work(mtier_wq, &tier->slow_work);
}

static blk_status_t mtier_queue_rq(struct blk_mq_hw_ctx *hctx,
				   const struct blk_mq_queue_data *bd)
{
	struct mtier_tier *tier = hctx->queue->queuedata;
	struct request *rq = bd->rq;
	struct mtier_cmd *cmd = blk_mq_rq_to_pdu(rq);

	cmd->tier = tier;
	cmd->ts = NULL;
	cmd->busy = 0;
	cmd->bucket = -1;
	cmd->qid = hctx->queue_num;
	INIT_LIST_HEAD(&cmd->slow);
	cmd->status = BLK_STS_OK;
	cmd->start_ns = ktime_get_ns();
	blk_mq_start_request(rq);
	atomic_inc(&tier->inflight);

	switch (req_op(rq)) {
	case REQ_OP_FLUSH:
		/* Writes complete when the donor has them: nothing to flush. */
		mtier_tier_count(tier, MTIER_TC_FLUSHES, 1);
		mtier_cmd_end(rq, BLK_STS_OK);
		break;
	case REQ_OP_READ:
		mtier_read(cmd, rq);
		break;
	case REQ_OP_WRITE:
		if (!mtier_write(cmd, rq))
			mtier_slow(tier, cmd);
		break;
	case REQ_OP_DISCARD:
	case REQ_OP_WRITE_ZEROES:
		mtier_tier_count(tier, MTIER_TC_DISCARDS, 1);
		mtier_slow(tier, cmd);
		break;
	default:
		mtier_cmd_end(rq, BLK_STS_NOTSUPP);
		break;
	}
	return BLK_STS_OK;
}

/*
 * A request took too long: a peer it waits for is not answering.  Fail
 * those peers' connections; draining them ends its transfers.
 */
static enum blk_eh_timer_return mtier_timeout(struct request *rq)
{
	struct mtier_cmd *cmd = blk_mq_rq_to_pdu(rq);
	unsigned long busy = READ_ONCE(cmd->busy);
	int j;

	mtier_tier_count(cmd->tier, MTIER_TC_TIMEOUTS, 1);
	for_each_set_bit(j, &busy, MTIER_MAX_REPLICAS)
		mtier_peer_fail(cmd->c[j].peer, "I/O timed out");
	return BLK_EH_RESET_TIMER;
}

static int mtier_init_request(struct blk_mq_tag_set *set, struct request *rq,
			      unsigned int hctx_idx, unsigned int numa_node)
{
	struct mtier_cmd *cmd = blk_mq_rq_to_pdu(rq);
	struct mtier_tier *tier = set->driver_data;
	u32 j;

	for (j = 0; j < tier->replicas; j++) {
		sg_init_table(cmd->c[j].sgl, MTIER_MAX_SEGS);
		cmd->c[j].cmd = cmd;
	}
	INIT_LIST_HEAD(&cmd->slow);
	return 0;
}

static const struct blk_mq_ops mtier_mq_ops = {
	.queue_rq	= mtier_queue_rq,
	.init_request	= mtier_init_request,
	.timeout	= mtier_timeout,
};

static int mtier_open(struct gendisk *disk, blk_mode_t mode)
{
	struct mtier_tier *tier = disk->private_data;

	return READ_ONCE(tier->deleting) ? -ENXIO : 0;
}

/* The cache's way back into the block device (struct mtier_cache_ops). */
static const struct mtier_cache_ops mtier_blkdev_cache_ops = {
	.end	= mtier_cmd_end,
	.miss	= mtier_read_remote,
};

static const struct block_device_operations mtier_fops = {
	.owner	= THIS_MODULE,
	.open	= mtier_open,
};

static ssize_t name_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	struct mtier_tier *tier = dev_to_disk(dev)->private_data;

	return sysfs_emit(buf, "%s\n", tier->obj.name);
}
static DEVICE_ATTR_RO(name);

static struct attribute *mtier_disk_attrs[] = {
	&dev_attr_name.attr,
	NULL,
};

static const struct attribute_group mtier_disk_group = {
	.name = "mtier",
	.attrs = mtier_disk_attrs,
};

static const struct attribute_group *mtier_disk_groups[] = {
	&mtier_disk_group,
	NULL,
};

/**
 * mtier_blkdev_init - the slab map and the slow work of a new tier
 * @tier: the tier, just allocated
 *
 * Whatever the tier's teardown touches, set up before anything can fail.
 */
void mtier_blkdev_init(struct mtier_tier *tier)
{
	xa_init(&tier->slabs);
	mutex_init(&tier->map_lock);
	spin_lock_init(&tier->slow_lock);
	INIT_LIST_HEAD(&tier->slow_list);
	INIT_WORK(&tier->slow_work, mtier_slow_work);
	mtier_replica_init(tier);
}

/**
 * mtier_blkdev_create - give a tier its block device
 * @tier: the tier, configured
 *
 * Context: mtier_lock held.
 */
int mtier_blkdev_create(struct mtier_tier *tier)
{
	struct queue_limits lim = {
		.logical_block_size	= SECTOR_SIZE,
		.physical_block_size	= PAGE_SIZE,
		.io_min			= PAGE_SIZE,
		.max_hw_sectors		= MTIER_IO_CHUNK / 2,
		.max_segments		= MTIER_MAX_SEGS,
		.chunk_sectors		= MTIER_IO_CHUNK,
		.max_hw_discard_sectors	= MTIER_MAX_DISCARD,
		.max_write_zeroes_sectors = MTIER_MAX_DISCARD,
		.discard_granularity	= PAGE_SIZE,
		.features		= BLK_FEAT_IO_STAT,
	};
	struct gendisk *disk;
	u32 i, timeout = 0;
	int err;

	for (i = 0; i < tier->nr_peers; i++)
		timeout = max(timeout, tier->peers[i]->timeout_ms);

	tier->index = ida_alloc_max(&mtier_index_ida, MINORMASK, GFP_KERNEL);
	if (tier->index < 0)
		return tier->index;
	tier->tag_set.ops = &mtier_mq_ops;
	tier->tag_set.nr_hw_queues = min_t(u32, num_possible_cpus(),
					   MTIER_MAX_QUEUES);
	tier->tag_set.queue_depth = MTIER_QUEUE_DEPTH;
	tier->tag_set.numa_node = NUMA_NO_NODE;
	tier->tag_set.cmd_size = struct_size_t(struct mtier_cmd, c,
					       tier->replicas);
	tier->tag_set.flags = BLK_MQ_F_SHOULD_MERGE;
	/* A backstop: keepalives normally find a dead peer first. */
	tier->tag_set.timeout = msecs_to_jiffies(2 * timeout);
	tier->tag_set.driver_data = tier;
	err = blk_mq_alloc_tag_set(&tier->tag_set);
	if (err)
		goto err_ida;

	disk = blk_mq_alloc_disk(&tier->tag_set, &lim, tier);
	if (IS_ERR(disk)) {
		err = PTR_ERR(disk);
		goto err_tags;
	}
	disk->major = mtier_major;
	disk->first_minor = tier->index;
	disk->minors = 1;
	disk->flags |= GENHD_FL_NO_PART;
	disk->fops = &mtier_fops;
	disk->private_data = tier;
	snprintf(disk->disk_name, DISK_NAME_LEN, "mtier%d", tier->index);
	set_capacity(disk, tier->size >> SECTOR_SHIFT);
	err = mtier_cache_create(tier, &mtier_blkdev_cache_ops);
	if (err)
		goto err_disk;
	err = device_add_disk(NULL, disk, mtier_disk_groups);
	if (err)
		goto err_cache;
	tier->disk = disk;
	mtier_replica_start(tier);
	return 0;

err_cache:
	mtier_cache_destroy(tier);
err_disk:
	put_disk(disk);
err_tags:
	blk_mq_free_tag_set(&tier->tag_set);
err_ida:
	ida_free(&mtier_index_ida, tier->index);
	return err;
}

/**
 * mtier_blkdev_claim - take a tier's block device for deletion unless open
 * @tier: the tier
 *
 * Under the disk's open_mutex, which mtier_open() runs under too: either
 * the device is open and stays so, or it is not and no open succeeds from
 * now on.
 *
 * Return: true when the device is claimed (or there is none).
 */
bool mtier_blkdev_claim(struct mtier_tier *tier)
{
	bool open;

	if (!tier->disk)
		return true;
	mutex_lock(&tier->disk->open_mutex);
	open = disk_openers(tier->disk);
	if (!open)
		WRITE_ONCE(tier->deleting, true);
	mutex_unlock(&tier->disk->open_mutex);
	return !open;
}

/**
 * mtier_blkdev_destroy - remove a tier's block device
 * @tier: the tier
 *
 * No request, prefetch or slow work is left when this returns; the slabs
 * are still mapped, for mtier_blkdev_free_slabs().
 *
 * Context: process context; may sleep until in-flight I/O ends.
 */
void mtier_blkdev_destroy(struct mtier_tier *tier)
{
	if (!tier->disk)
		return;
	WRITE_ONCE(tier->deleting, true);
	/* First: requests a heal holds back must go on for del_gendisk(). */
	mtier_replica_stop(tier);
	del_gendisk(tier->disk);	/* waits for every request */
	cancel_work_sync(&tier->slow_work);
	mtier_cache_destroy(tier);	/* waits for every prefetch */
	/* Again: a completion that raced with deleting may have queued it. */
	mtier_replica_stop(tier);
	put_disk(tier->disk);
	tier->disk = NULL;
	blk_mq_free_tag_set(&tier->tag_set);
	ida_free(&mtier_index_ida, tier->index);
}

/**
 * mtier_blkdev_free_slabs - give a destroyed tier's slabs back
 * @tier: the tier, after mtier_blkdev_destroy()
 *
 * Nothing uses the slabs any more, so there is no grace period or
 * in-flight count to wait for: one round trip per slab.
 *
 * Context: process context, without mtier_lock when it can be.
 */
void mtier_blkdev_free_slabs(struct mtier_tier *tier)
{
	struct mtier_tslab *ts;
	unsigned long idx;

	mutex_lock(&tier->map_lock);
	xa_for_each(&tier->slabs, idx, ts) {
		xa_erase(&tier->slabs, idx);
		tier->nr_mapped--;
		mtier_tslab_free(ts);
	}
	if (tier->spare) {
		mtier_tslab_free(tier->spare);
		tier->spare = NULL;
	}
	mutex_unlock(&tier->map_lock);
	xa_destroy(&tier->slabs);
}
