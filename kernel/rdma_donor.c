// SPDX-License-Identifier: GPL-2.0
/*
 * mtier: the donor side of the RDMA transport.
 *
 * A pool listens with rdma_cm.  A client's control connection creates a
 * session; its data connections join the session by cookie.  Each session
 * has its own protection domain, so a key registered for it is only valid
 * on that client's queue pairs.  The session hands out slabs: memory
 * allocated in large chunks (zeroed by the allocator), registered with a
 * fast-registration MR for remote READ and WRITE.  A freed slab's key is
 * invalidated, its MR deregistered and its memory returned before the
 * session answers, and everything a session holds goes the same way when
 * it ends.  The donor posts nothing for I/O: data moves by the client's
 * one-sided RDMA, and nothing is ever posted on the data queue pairs (pool
 * stats ctrl-msgs counts all the work the donor does for its clients).
 *
 * Locking and lifetime:
 *  - pool->sessions and session->link are protected by pool->sess_lock.
 *  - A session is referenced by its pool's list (until it is killed) and by
 *    every cm_id whose context it is; it holds a reference on its pool.
 *  - rdma_cm serialises the events of one cm_id.  Handlers only schedule
 *    the session's release work, never wait for it: the release work
 *    destroys the cm_ids, which waits for their handlers.
 *  - Control messages are handled one at a time by session->work, in order.
 *  - A pool's control connections are set up one at a time: rdma_cm calls
 *    the handler of one listener's connect requests under that listener's
 *    handler mutex, so counting a pool's sessions against its limits and
 *    adding one cannot race with another connect.
 *  - session->watch ends a session whose client has been silent past the
 *    pool's lease, or has left a reply untaken.  It is armed only under
 *    pool->sess_lock while the session's release is not queued, and the
 *    release work cancels it first thing.
 *  - Nothing is posted on the control queue pair once session->closing is
 *    set (under session->post_lock): the release work sets it, then
 *    drains the queue pair, so every work request ever posted has
 *    completed, or been flushed, before the session work is cancelled and
 *    the slabs and buffers go.
 *  - pool->nr_sessions counts sessions not yet freed; stopping a pool waits
 *    for it to reach zero (under mtier_lock, so it must not wait for
 *    anything that takes mtier_lock, such as flushing mtier_wq).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <crypto/utils.h>
#include <linux/random.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/wait_bit.h>
#include <linux/xarray.h>
#include <net/ipv6.h>
#include <rdma/ib_cm.h>

#include "rdma.h"
#include "proto.h"

#define MTIER_LISTEN_BACKLOG	128
/*
 * How long the session work waits for a local registration or
 * invalidation.  They complete in microseconds unless the send queue is
 * stuck behind a reply the client does not take (it posts no receives):
 * then the session ends.
 */
#define MTIER_DONOR_WR_MS	5000
/*
 * Failed joins (a data connection naming no session of this pool, or with
 * the wrong token, or from another host) a pool takes in a window; past
 * that, it refuses every join (EAGAIN) until the window is over.  A good
 * client's data connection retries (its peer reconnects every 2 s).
 */
#define MTIER_JOIN_FAILS_MAX		16
#define MTIER_JOIN_WINDOW_MS		10000
/* A reply the client has not taken after this long ends its session too. */
#define MTIER_DONOR_REPLY_MS	MTIER_DONOR_WR_MS
/*
 * Our own retry limits for the control queue pair, not the client's (7
 * would be "forever" for RNR).  Three RNR retries of at most 655 ms (the
 * client's RNR timer) end a reply the client takes no receive for in
 * under 3 s, before the reply watchdog.
 */
#define MTIER_DONOR_RETRY	6
#define MTIER_DONOR_RNR_RETRY	3

/*
 * The context of every cm_id of the donor is one of these two, told apart
 * by their first field: a pool's listener (connect requests arrive on
 * children of its cm_id, which inherit its context and handler) or a
 * session (set on a child while its connect request is handled).
 */
enum mtier_donor_ctx {
	MTIER_CTX_LISTENER = 1,
	MTIER_CTX_SESSION,
};

struct mtier_listener {
	enum mtier_donor_ctx kind;
	struct mtier_pool *pool;
	struct rdma_cm_id *id;
};

/* One slab handed to a client. */
struct mtier_dslab {
	u32 id;
	u64 len;
	unsigned int order;		/* every chunk is 2^order pages */
	unsigned int nr_chunks;
	struct sg_table sgt;
	struct ib_mr *mr;
	struct ib_cqe reg_cqe;
	struct completion reg_done;
	int reg_status;
};

/* A message slot: receive buffer i is answered from send buffer i. */
struct mtier_dslot {
	struct mtier_session *sess;
	struct ib_cqe rx_cqe;
	struct ib_cqe tx_cqe;
	bool tx_busy;			/* a SEND from tx is in flight */
	unsigned long tx_since;		/* jiffies it was posted (if busy) */
};

struct mtier_session {
	enum mtier_donor_ctx kind;	/* MTIER_CTX_SESSION: first */
	struct mtier_pool *pool;
	struct list_head link;		/* in pool->sessions */
	struct kref ref;
	u32 index;			/* in mtier_sessions */
	u64 cookie;
	u8 token[MTIER_TOKEN_LEN];	/* random; data connections show it */

	struct ib_device *dev;
	struct ib_pd *pd;
	struct ib_cq *cq;		/* control queue pair */
	struct ib_cq *data_cq;		/* data queue pairs: nothing is posted */
	struct rdma_cm_id *ctrl;
	struct ib_qp *ctrl_qp;		/* ours, not the cm_id's: see accept */

	struct mutex lock;		/* data[], nr_data, slabs, dead */
	struct rdma_cm_id **data;
	u16 nr_data;
	u16 max_data;
	struct xarray slabs;		/* id -> struct mtier_dslab */
	u32 next_slab;
	bool dead;

	struct mtier_ring ring;		/* tx[i] is the reply to rx[i] */
	struct mtier_dslot slot[MTIER_CTRL_DEPTH];
	wait_queue_head_t tx_wait;
	spinlock_t post_lock;		/* closing, posting on ctrl's qp */
	bool closing;
	struct sockaddr_storage addr;	/* the client's */
	u64 held;			/* bytes of its slabs (session work) */
	unsigned long last_rx;		/* jiffies of its last message */
	struct delayed_work watch;	/* lease and stuck replies */

	spinlock_t inbox_lock;		/* inbox */
	unsigned long inbox;		/* bitmap of slots with a message */
	struct work_struct work;	/* handles the inbox */
	struct work_struct release_work;
	bool release_queued;		/* under pool->sess_lock */
};

/* Sessions by index, for data connections joining by cookie. */
static DEFINE_XARRAY_ALLOC(mtier_sessions);

static void mtier_session_kill(struct mtier_session *sess, const char *why);

static void mtier_session_free(struct kref *ref)
{
	struct mtier_session *sess = container_of(ref, struct mtier_session, ref);
	struct mtier_pool *pool = sess->pool;

	kfree(sess->data);
	kfree(sess);
	if (atomic_dec_and_test(&pool->nr_sessions))
		wake_up_var(&pool->nr_sessions);
	mtier_obj_put(&pool->obj);
}

static void mtier_session_put(struct mtier_session *sess)
{
	kref_put(&sess->ref, mtier_session_free);
}

/* --- Slabs ------------------------------------------------------------ */

static void mtier_dslab_free_pages(struct mtier_dslab *ds)
{
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_sg(&ds->sgt, sg, i)
		__free_pages(sg_page(sg), ds->order);
	sg_free_table(&ds->sgt);
}

/*
 * Allocate a slab's memory in chunks as large as possible: all chunks the
 * same order, so that one MR with that page size covers them, and no more
 * chunks than the device can map in one MR.  The allocator zeroes them:
 * whatever was there before never reaches a client.
 */
static int mtier_dslab_alloc_pages(struct mtier_dslab *ds,
				   unsigned int max_chunks)
{
	unsigned int pages = ds->len >> PAGE_SHIFT;
	unsigned int top = min_t(unsigned int, MAX_PAGE_ORDER, ilog2(pages));
	unsigned int min = 0;
	struct scatterlist *sg;
	unsigned int order, i;

	while ((pages >> min) > max_chunks)
		min++;
	for (order = top + 1; order-- > min;) {
		/*
		 * A remote client's request never invokes the OOM killer: it
		 * fails (ENOMEM) when reclaim does not find the memory.  The
		 * pool's size is a promise bounded by max_donate_percent, not
		 * a reservation: memory is taken only when asked for.
		 */
		gfp_t gfp = GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN |
			    __GFP_NORETRY;

		ds->order = order;
		ds->nr_chunks = pages >> order;
		if (sg_alloc_table(&ds->sgt, ds->nr_chunks, GFP_KERNEL))
			return -ENOMEM;
		for_each_sgtable_sg(&ds->sgt, sg, i) {
			struct page *page = alloc_pages(gfp, order);

			if (!page)
				break;
			sg_set_page(sg, page, PAGE_SIZE << order, 0);
		}
		if (i == ds->nr_chunks)
			return 0;
		/* Give back what we got and try smaller chunks. */
		ds->sgt.orig_nents = i;
		ds->sgt.nents = i;
		mtier_dslab_free_pages(ds);
		if (!order)
			break;
	}
	return -ENOMEM;
}

static void mtier_dslab_reg_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct mtier_dslab *ds = container_of(wc->wr_cqe, struct mtier_dslab,
					      reg_cqe);

	ds->reg_status = wc->status == IB_WC_SUCCESS ? 0 : -EIO;
	complete(&ds->reg_done);
}

static int mtier_session_post_send(struct mtier_session *sess,
				   const struct ib_send_wr *wr)
{
	unsigned long flags;
	int err = -ENOTCONN;

	spin_lock_irqsave(&sess->post_lock, flags);
	if (!sess->closing)
		err = ib_post_send(sess->ctrl_qp, wr, NULL);
	spin_unlock_irqrestore(&sess->post_lock, flags);
	return err;
}

/*
 * Post a REG_MR or LOCAL_INV on the control queue pair and wait for it.
 * Should it not complete in time, the session ends, and its release work
 * drains the queue pair, which completes it (flushed): only then may @ds
 * go, so that wait is bounded too.
 */
static int mtier_dslab_post_wait(struct mtier_session *sess,
				 struct mtier_dslab *ds, struct ib_send_wr *wr)
{
	int err;

	init_completion(&ds->reg_done);
	ds->reg_cqe.done = mtier_dslab_reg_done;
	wr->wr_cqe = &ds->reg_cqe;
	wr->send_flags = IB_SEND_SIGNALED;
	err = mtier_session_post_send(sess, wr);
	if (err)
		return err;
	if (!wait_for_completion_timeout(&ds->reg_done,
					 msecs_to_jiffies(MTIER_DONOR_WR_MS))) {
		mtier_session_kill(sess, "send queue stuck");
		wait_for_completion(&ds->reg_done);
		return -ETIMEDOUT;
	}
	return ds->reg_status;
}

static int mtier_dslab_register(struct mtier_session *sess,
				struct mtier_dslab *ds)
{
	struct ib_reg_wr reg = {};
	int n, err;

	n = ib_dma_map_sgtable_attrs(sess->dev, &ds->sgt, DMA_BIDIRECTIONAL, 0);
	if (n)
		return n;
	ds->mr = ib_alloc_mr(sess->pd, IB_MR_TYPE_MEM_REG, ds->nr_chunks);
	if (IS_ERR(ds->mr)) {
		err = PTR_ERR(ds->mr);
		goto err_unmap;
	}
	/*
	 * Zero-based: a client addresses the slab by offset, and never learns
	 * a kernel or DMA address of this node.
	 */
	n = ib_map_mr_sg_zbva(ds->mr, ds->sgt.sgl, ds->sgt.nents, NULL,
			      PAGE_SIZE << ds->order);
	if (n != ds->sgt.nents) {
		err = n < 0 ? n : -EINVAL;
		goto err_mr;
	}
	ib_update_fast_reg_key(ds->mr, ib_inc_rkey(ds->mr->rkey));
	reg.wr.opcode = IB_WR_REG_MR;
	reg.mr = ds->mr;
	reg.key = ds->mr->rkey;
	reg.access = IB_ACCESS_LOCAL_WRITE | IB_ACCESS_REMOTE_READ |
		     IB_ACCESS_REMOTE_WRITE;
	err = mtier_dslab_post_wait(sess, ds, &reg.wr);
	if (err)
		goto err_mr;
	return 0;

err_mr:
	ib_dereg_mr(ds->mr);
	ds->mr = NULL;
err_unmap:
	ib_dma_unmap_sgtable_attrs(sess->dev, &ds->sgt, DMA_BIDIRECTIONAL, 0);
	return err;
}

/*
 * Take a slab back: invalidate its key (when the queue pair still works),
 * deregister the MR, which invalidates it in any case, and only then
 * return the memory.
 */
static void mtier_dslab_release(struct mtier_session *sess,
				struct mtier_dslab *ds, bool invalidate)
{
	struct mtier_pool *pool = sess->pool;

	if (ds->mr) {
		if (invalidate) {
			struct ib_send_wr inv = {
				.opcode = IB_WR_LOCAL_INV,
				.ex.invalidate_rkey = ds->mr->rkey,
			};

			mtier_dslab_post_wait(sess, ds, &inv);
		}
		ib_dereg_mr(ds->mr);
		ib_dma_unmap_sgtable_attrs(sess->dev, &ds->sgt,
					   DMA_BIDIRECTIONAL, 0);
	}
	mtier_dslab_free_pages(ds);
	atomic64_sub(ds->len, &pool->used);
	atomic64_inc(&pool->slab_frees);
	kfree(ds);
}

static int mtier_session_alloc_slab(struct mtier_session *sess, u64 len,
				    struct mtier_dslab **out)
{
	struct mtier_pool *pool = sess->pool;
	struct mtier_dslab *ds;
	int err;

	u64 max = READ_ONCE(pool->max_client_size);

	if (len != pool->slab_size)
		return -EINVAL;
	if (max && sess->held + len > max)
		return -EDQUOT;
	if (atomic64_add_return(len, &pool->used) > READ_ONCE(pool->size)) {
		atomic64_sub(len, &pool->used);
		return -ENOSPC;
	}
	ds = kzalloc(sizeof(*ds), GFP_KERNEL);
	if (!ds) {
		atomic64_sub(len, &pool->used);
		return -ENOMEM;
	}
	ds->len = len;
	err = mtier_dslab_alloc_pages(ds,
				      sess->dev->attrs.max_fast_reg_page_list_len);
	if (err) {
		atomic64_sub(len, &pool->used);
		kfree(ds);
		return err;
	}
	err = mtier_dslab_register(sess, ds);
	if (err)
		goto err_free;
	err = xa_alloc_cyclic(&sess->slabs, &ds->id, ds, xa_limit_31b,
			      &sess->next_slab, GFP_KERNEL);
	if (err < 0)
		goto err_free;
	atomic64_inc(&pool->slab_allocs);
	sess->held += len;
	*out = ds;
	return 0;

err_free:
	atomic64_add(len, &pool->used);	/* release subtracts it again */
	atomic64_dec(&pool->slab_frees);
	mtier_dslab_release(sess, ds, false);
	atomic64_sub(len, &pool->used);
	return err;
}

/* --- Control messages ------------------------------------------------- */

static void mtier_session_rx_done(struct ib_cq *cq, struct ib_wc *wc);

static int mtier_session_post_recv(struct mtier_session *sess, int i)
{
	unsigned long flags;
	int err = -ENOTCONN;

	spin_lock_irqsave(&sess->post_lock, flags);
	if (!sess->closing)
		err = mtier_ring_post_recv(&sess->ring, sess->ctrl_qp, i,
					   &sess->slot[i].rx_cqe);
	spin_unlock_irqrestore(&sess->post_lock, flags);
	return err;
}

static void mtier_session_tx_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct mtier_dslot *slot = container_of(wc->wr_cqe, struct mtier_dslot,
						tx_cqe);
	struct mtier_session *sess = slot->sess;

	WRITE_ONCE(slot->tx_busy, false);
	wake_up(&sess->tx_wait);
	if (wc->status != IB_WC_SUCCESS && wc->status != IB_WC_WR_FLUSH_ERR)
		mtier_session_kill(sess, ib_wc_status_msg(wc->status));
}

static void mtier_session_rx_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct mtier_dslot *slot = container_of(wc->wr_cqe, struct mtier_dslot,
						rx_cqe);
	struct mtier_session *sess = slot->sess;
	int i = slot - sess->slot;

	if (wc->status != IB_WC_SUCCESS) {
		if (wc->status != IB_WC_WR_FLUSH_ERR)
			mtier_session_kill(sess, "receive failed");
		return;
	}
	if (wc->byte_len != sizeof(struct mtier_msg)) {
		atomic64_inc(&sess->pool->proto_errors);
		mtier_session_kill(sess, "control message of the wrong size");
		return;
	}
	WRITE_ONCE(sess->last_rx, jiffies);
	spin_lock(&sess->inbox_lock);
	__set_bit(i, &sess->inbox);
	spin_unlock(&sess->inbox_lock);
	queue_work(mtier_wq, &sess->work);
}

/* Fill tx[i] as the reply to rx[i] and send it. */
static int mtier_session_reply(struct mtier_session *sess, int i, u8 type,
			       int status)
{
	struct mtier_msg *rep = &sess->ring.tx[i];
	struct ib_sge sge;
	struct ib_send_wr wr = {
		.wr_cqe = &sess->slot[i].tx_cqe,
		.sg_list = &sge,
		.num_sge = 1,
		.opcode = IB_WR_SEND,
		.send_flags = IB_SEND_SIGNALED,
	};

	rep->type = type;
	mtier_msg_stamp(rep, status, sess->ring.rx[i].tag);
	mtier_ring_tx_sge(&sess->ring, i, &sge);
	WRITE_ONCE(sess->slot[i].tx_since, jiffies);
	WRITE_ONCE(sess->slot[i].tx_busy, true);
	return mtier_session_post_send(sess, &wr);
}

/* A message that breaks the protocol: counted, and the session ends. */
static const char *mtier_session_bad(struct mtier_pool *pool, const char *why)
{
	atomic64_inc(&pool->proto_errors);
	return why;
}

/* Handle the message in rx[i]; returns a reason to end the session. */
static const char *mtier_session_handle(struct mtier_session *sess, int i)
{
	struct mtier_msg *req = &sess->ring.rx[i];
	struct mtier_msg *rep = &sess->ring.tx[i];
	struct mtier_pool *pool = sess->pool;
	struct mtier_dslab *ds;
	int err;

	if (!mtier_msg_header_ok(req) || req->status)
		return mtier_session_bad(pool, "control message with a bad header");

	/* The reply slot is free once its previous SEND completed. */
	if (!wait_event_timeout(sess->tx_wait, !READ_ONCE(sess->slot[i].tx_busy),
				10 * HZ))
		return "send queue stuck";
	memset(rep, 0, sizeof(*rep));
	atomic64_inc(&pool->ctrl_msgs);

	switch (req->type) {
	case MTIER_MSG_ALLOC:
		err = mtier_session_alloc_slab(sess, le64_to_cpu(req->alloc.len),
					       &ds);
		if (err) {
			atomic64_inc(&pool->alloc_fails);
			if (err == -EINVAL)
				return mtier_session_bad(pool, "slab request of the wrong size");
		} else {
			rep->alloc.len = cpu_to_le64(ds->len);
			rep->alloc.slab = cpu_to_le64(ds->id);
			rep->alloc.addr = cpu_to_le64(ds->mr->iova); /* 0 */
			rep->alloc.rkey = cpu_to_le32(ds->mr->rkey);
		}
		err = mtier_session_reply(sess, i, MTIER_MSG_ALLOC_REP, -err);
		break;
	case MTIER_MSG_FREE:
		if (le64_to_cpu(req->free.slab) > U32_MAX)
			return mtier_session_bad(pool, "free of a slab that does not exist");
		ds = xa_erase(&sess->slabs, le64_to_cpu(req->free.slab));
		if (!ds)
			return mtier_session_bad(pool, "free of a slab that does not exist");
		sess->held -= ds->len;
		mtier_dslab_release(sess, ds, true);
		rep->free.slab = req->free.slab;
		err = mtier_session_reply(sess, i, MTIER_MSG_FREE_REP, 0);
		break;
	case MTIER_MSG_KEEPALIVE:
		rep->keepalive.capacity = cpu_to_le64(READ_ONCE(pool->size));
		rep->keepalive.free = cpu_to_le64(mtier_pool_free(pool));
		err = mtier_session_reply(sess, i, MTIER_MSG_KEEPALIVE_REP, 0);
		break;
	default:
		return mtier_session_bad(pool, "control message of an unknown type");
	}
	if (err)
		return "cannot send a reply";
	if (mtier_session_post_recv(sess, i))
		return "cannot post a receive";
	return NULL;
}

static void mtier_session_work(struct work_struct *work)
{
	struct mtier_session *sess = container_of(work, struct mtier_session,
						  work);
	const char *why = NULL;
	int i;

	for (;;) {
		spin_lock_irq(&sess->inbox_lock);
		i = sess->inbox ? __ffs(sess->inbox) : -1;
		if (i >= 0)
			__clear_bit(i, &sess->inbox);
		spin_unlock_irq(&sess->inbox_lock);
		if (i < 0 || READ_ONCE(sess->dead))
			break;
		mtier_ring_rx_sync(&sess->ring, i);
		why = mtier_session_handle(sess, i);
		if (why)
			break;
	}
	if (why)
		mtier_session_kill(sess, why);
}

/* --- Session life ----------------------------------------------------- */

/*
 * (Re)arm the watch, unless the session is ending: its release work
 * cancels the watch after the kill, so a watch armed before the kill is
 * cancelled and none is armed after it.
 */
static void mtier_session_watch_arm(struct mtier_session *sess)
{
	struct mtier_pool *pool = sess->pool;
	unsigned long flags;
	u32 period = clamp(READ_ONCE(pool->lease_ms) / 4, 50U, 1000U);

	spin_lock_irqsave(&pool->sess_lock, flags);
	if (!sess->release_queued)
		queue_delayed_work(mtier_wq, &sess->watch,
				   msecs_to_jiffies(period));
	spin_unlock_irqrestore(&pool->sess_lock, flags);
}

/*
 * End a session whose client has gone quiet: no control message (the
 * client's keepalives) for a lease, or a reply it has not taken (its
 * receives are not posted, and the reply would hold the send queue).
 */
static void mtier_session_watch(struct work_struct *work)
{
	struct mtier_session *sess = container_of(to_delayed_work(work),
						  struct mtier_session, watch);
	struct mtier_pool *pool = sess->pool;
	unsigned long now = jiffies;
	int i;

	if (time_after(now, READ_ONCE(sess->last_rx) +
			    msecs_to_jiffies(READ_ONCE(pool->lease_ms)))) {
		atomic64_inc(&pool->lease_expiries);
		mtier_session_kill(sess, "lease expired: the client is silent");
		return;
	}
	for (i = 0; i < MTIER_CTRL_DEPTH; i++) {
		if (READ_ONCE(sess->slot[i].tx_busy) &&
		    time_after(now, READ_ONCE(sess->slot[i].tx_since) +
				    msecs_to_jiffies(MTIER_DONOR_REPLY_MS))) {
			atomic64_inc(&pool->proto_errors);
			mtier_session_kill(sess, "the client takes no replies");
			return;
		}
	}
	mtier_session_watch_arm(sess);
}

static void mtier_session_release_work(struct work_struct *work)
{
	struct mtier_session *sess = container_of(work, struct mtier_session,
						  release_work);
	struct mtier_dslab *ds;
	unsigned long id;
	int i;

	cancel_delayed_work_sync(&sess->watch);
	mutex_lock(&sess->lock);
	WRITE_ONCE(sess->dead, true);
	mutex_unlock(&sess->lock);
	spin_lock_irq(&sess->post_lock);
	sess->closing = true;
	spin_unlock_irq(&sess->post_lock);

	/* Stop the client: no more RDMA can reach the slabs after this. */
	for (i = 0; i < sess->nr_data; i++)
		if (sess->data[i])
			rdma_disconnect(sess->data[i]);
	rdma_disconnect(sess->ctrl);
	for (i = 0; i < sess->nr_data; i++) {
		if (sess->data[i] && sess->data[i]->qp) {
			ib_drain_qp(sess->data[i]->qp);
			rdma_destroy_qp(sess->data[i]);
		}
	}
	/*
	 * Every control work request completes now, flushed if need be, which
	 * also ends a session work waiting for one; no completion can queue
	 * the session work after the drain, so cancelling it is final.
	 */
	ib_drain_qp(sess->ctrl_qp);
	cancel_work_sync(&sess->work);

	/* The queue pairs are dead: deregistering invalidates every key. */
	xa_for_each(&sess->slabs, id, ds) {
		xa_erase(&sess->slabs, id);
		mtier_dslab_release(sess, ds, false);
	}
	xa_destroy(&sess->slabs);
	ib_destroy_qp(sess->ctrl_qp);

	for (i = 0; i < sess->nr_data; i++) {
		if (sess->data[i]) {
			rdma_destroy_id(sess->data[i]);
			mtier_session_put(sess);
		}
	}
	rdma_destroy_id(sess->ctrl);
	mtier_ring_unmap(&sess->ring);
	ib_free_cq(sess->data_cq);
	ib_free_cq(sess->cq);
	ib_dealloc_pd(sess->pd);
	xa_erase(&mtier_sessions, sess->index);
	atomic_dec(&sess->pool->clients);
	mtier_obj_changed(&sess->pool->obj, MTIER_EV_CHANGE);
	mtier_session_put(sess);	/* the control cm_id's */
	mtier_session_put(sess);	/* the pool list's */
}

/*
 * Take a session off its pool's list and queue its release, once.  The
 * list's reference keeps it until the release work has run, so the caller
 * may touch it until this returns.
 *
 * Context: pool->sess_lock held.
 */
static void __mtier_session_kill(struct mtier_session *sess, const char *why)
{
	lockdep_assert_held(&sess->pool->sess_lock);
	if (sess->release_queued)
		return;
	sess->release_queued = true;
	list_del_init(&sess->link);
	WRITE_ONCE(sess->dead, true);
	if (why)
		pr_info("pool %s: session %llx ended: %s\n",
			sess->pool->obj.name, sess->cookie, why);
	queue_work(mtier_wq, &sess->release_work);
}

/*
 * End a session: it leaves its pool's list and its release work runs once.
 * Safe from any context; never waits.
 */
static void mtier_session_kill(struct mtier_session *sess, const char *why)
{
	struct mtier_pool *pool = sess->pool;
	unsigned long flags;

	spin_lock_irqsave(&pool->sess_lock, flags);
	__mtier_session_kill(sess, why);
	spin_unlock_irqrestore(&pool->sess_lock, flags);
}

static void mtier_session_qp_event(struct ib_event *event, void *ctx)
{
	struct mtier_session *sess = ctx;

	if (mtier_rdma_qp_fatal(event))
		mtier_session_kill(sess, "queue pair error");
}

/* What a session's queue pairs have in common: one SGE, on @cq. */
static struct ib_qp_init_attr mtier_session_qp_attr(struct mtier_session *sess,
						    struct ib_cq *cq,
						    u32 send_wr, u32 recv_wr)
{
	return mtier_rdma_qp_attr(mtier_session_qp_event, sess, cq, send_wr,
				  recv_wr, 1);
}

/*
 * The control queue pair is created here and moved through its states by
 * us, not by rdma_cm (which would give it the client's retry limits: on
 * the accepting side it copies them from the connect request).  It is in
 * INIT on return, ready for receives.
 */
static int mtier_session_create_ctrl_qp(struct mtier_session *sess,
					struct rdma_cm_id *id)
{
	/* Sends: replies, and a REG_MR or LOCAL_INV each. */
	struct ib_qp_init_attr attr =
		mtier_session_qp_attr(sess, sess->cq, 2 * MTIER_CTRL_DEPTH + 1,
				      MTIER_CTRL_DEPTH);
	struct ib_qp_attr qp_attr = { .qp_state = IB_QPS_INIT };
	struct ib_qp *qp;
	int mask, err;

	qp = ib_create_qp(sess->pd, &attr);
	if (IS_ERR(qp))
		return PTR_ERR(qp);
	err = rdma_init_qp_attr(id, &qp_attr, &mask);
	if (!err)
		err = ib_modify_qp(qp, &qp_attr, mask);
	if (err) {
		ib_destroy_qp(qp);
		return err;
	}
	sess->ctrl_qp = qp;
	return 0;
}

/*
 * Ready to receive, then to send, with our own retry limits: a client that
 * stops taking our replies (no receive posted) costs a bounded number of
 * retries, after which the reply completes in error and the session ends.
 */
static int mtier_session_ctrl_qp_ready(struct mtier_session *sess,
				       struct rdma_cm_id *id,
				       u32 responder_resources)
{
	struct ib_qp_attr attr = { .qp_state = IB_QPS_RTR };
	int mask, err;

	err = rdma_init_qp_attr(id, &attr, &mask);
	if (err)
		return err;
	attr.max_dest_rd_atomic = responder_resources;
	err = ib_modify_qp(sess->ctrl_qp, &attr, mask);
	if (err)
		return err;
	memset(&attr, 0, sizeof(attr));
	attr.qp_state = IB_QPS_RTS;
	err = rdma_init_qp_attr(id, &attr, &mask);
	if (err)
		return err;
	attr.max_rd_atomic = 0;
	attr.retry_cnt = MTIER_DONOR_RETRY;
	attr.rnr_retry = MTIER_DONOR_RNR_RETRY;
	mask |= IB_QP_RETRY_CNT | IB_QP_RNR_RETRY;
	return ib_modify_qp(sess->ctrl_qp, &attr, mask);
}

/* A data queue pair: the client reads and writes through it; we post nothing. */
static int mtier_session_create_data_qp(struct mtier_session *sess,
					struct rdma_cm_id *id)
{
	struct ib_qp_init_attr attr =
		mtier_session_qp_attr(sess, sess->data_cq, 1, 1);

	return rdma_create_qp(id, sess->pd, &attr);
}

/* Accept a connection, with the hello reply in the private data. */
static int mtier_session_accept(struct mtier_session *sess,
				struct rdma_cm_id *id,
				const struct rdma_conn_param *req_param)
{
	struct mtier_pool *pool = sess->pool;
	struct mtier_cm_rep rep = {
		.magic = cpu_to_le32(MTIER_PROTO_MAGIC),
		.version = cpu_to_le16(MTIER_PROTO_VERSION),
		.session = cpu_to_le64(sess->cookie),
		.slab_size = cpu_to_le64(pool->slab_size),
		.capacity = cpu_to_le64(READ_ONCE(pool->size)),
		.free = cpu_to_le64(mtier_pool_free(pool)),
	};
	struct rdma_conn_param param = {
		.private_data = &rep,
		.private_data_len = sizeof(rep),
		/*
		 * The client reads our memory: offer the reads in flight it
		 * asked for.  In a request event rdma_cm reports the remote's
		 * initiator depth as our responder resources.
		 */
		.responder_resources = min_t(u32, req_param->responder_resources,
					     sess->dev->attrs.max_qp_rd_atom),
		.initiator_depth = 0,
		.rnr_retry_count = 7,
	};

	int err;

	memcpy(rep.token, sess->token, sizeof(rep.token));
	if (id == sess->ctrl) {
		err = mtier_session_ctrl_qp_ready(sess, id,
						  param.responder_resources);
		if (err)
			return err;
		param.qp_num = sess->ctrl_qp->qp_num;
	}
	return rdma_accept(id, &param);
}

static struct mtier_session *mtier_session_create(struct mtier_pool *pool,
						  struct rdma_cm_id *id,
						  u16 nr_data)
{
	struct ib_device *dev = id->device;
	struct mtier_session *sess;
	int i, err;

	if (!(dev->attrs.device_cap_flags & IB_DEVICE_MEM_MGT_EXTENSIONS))
		return ERR_PTR(-EOPNOTSUPP);
	sess = kzalloc(sizeof(*sess), GFP_KERNEL);
	if (!sess)
		return ERR_PTR(-ENOMEM);
	sess->max_data = nr_data;
	sess->data = kcalloc(nr_data, sizeof(*sess->data), GFP_KERNEL);
	if (nr_data && !sess->data) {
		kfree(sess);
		return ERR_PTR(-ENOMEM);
	}
	sess->kind = MTIER_CTX_SESSION;
	kref_init(&sess->ref);
	mtier_obj_get(&pool->obj);
	sess->pool = pool;
	sess->dev = dev;
	sess->ctrl = id;
	INIT_LIST_HEAD(&sess->link);
	mutex_init(&sess->lock);
	xa_init_flags(&sess->slabs, XA_FLAGS_ALLOC);
	spin_lock_init(&sess->inbox_lock);
	spin_lock_init(&sess->post_lock);
	init_waitqueue_head(&sess->tx_wait);
	INIT_WORK(&sess->work, mtier_session_work);
	INIT_WORK(&sess->release_work, mtier_session_release_work);
	INIT_DELAYED_WORK(&sess->watch, mtier_session_watch);
	sess->last_rx = jiffies;
	memcpy(&sess->addr, &id->route.addr.dst_addr, sizeof(sess->addr));
	for (i = 0; i < MTIER_CTRL_DEPTH; i++) {
		sess->slot[i].sess = sess;
		sess->slot[i].rx_cqe.done = mtier_session_rx_done;
		sess->slot[i].tx_cqe.done = mtier_session_tx_done;
	}

	err = xa_alloc(&mtier_sessions, &sess->index, sess, xa_limit_31b,
		       GFP_KERNEL);
	if (err)
		goto err_free;
	sess->cookie = ((u64)get_random_u32() << 32) | sess->index;
	get_random_bytes(sess->token, sizeof(sess->token));

	sess->pd = ib_alloc_pd(dev, 0);
	if (IS_ERR(sess->pd)) {
		err = PTR_ERR(sess->pd);
		goto err_index;
	}
	sess->cq = ib_alloc_cq(dev, sess, 3 * MTIER_CTRL_DEPTH + 2, 0,
			       IB_POLL_WORKQUEUE);
	if (IS_ERR(sess->cq)) {
		err = PTR_ERR(sess->cq);
		goto err_pd;
	}
	sess->data_cq = ib_alloc_cq(dev, sess, 2 * nr_data + 2, 0,
				    IB_POLL_WORKQUEUE);
	if (IS_ERR(sess->data_cq)) {
		err = PTR_ERR(sess->data_cq);
		goto err_cq;
	}
	err = mtier_ring_map(&sess->ring, sess->pd);
	if (err)
		goto err_ring;
	err = mtier_session_create_ctrl_qp(sess, id);
	if (err)
		goto err_ring;
	for (i = 0; i < MTIER_CTRL_DEPTH; i++) {
		err = mtier_session_post_recv(sess, i);
		if (err)
			goto err_qp;
	}
	atomic_inc(&pool->nr_sessions);
	return sess;

err_qp:
	ib_destroy_qp(sess->ctrl_qp);
err_ring:
	mtier_ring_unmap(&sess->ring);
	ib_free_cq(sess->data_cq);
err_cq:
	ib_free_cq(sess->cq);
err_pd:
	ib_dealloc_pd(sess->pd);
err_index:
	xa_erase(&mtier_sessions, sess->index);
err_free:
	mtier_obj_put(&pool->obj);
	kfree(sess->data);
	kfree(sess);
	return ERR_PTR(err);
}

/* --- Connection manager ----------------------------------------------- */

static void mtier_donor_reject(struct rdma_cm_id *id, int status)
{
	struct mtier_cm_rej rej = {
		.magic = cpu_to_le32(MTIER_PROTO_MAGIC),
		.version = cpu_to_le16(MTIER_PROTO_VERSION),
		.status = cpu_to_le16(status),
	};

	rdma_reject(id, &rej, sizeof(rej), IB_CM_REJ_CONSUMER_DEFINED);
}

static bool mtier_same_host(const struct sockaddr_storage *a,
			    const struct sockaddr *b)
{
	const struct sockaddr_in *a4 = (const void *)a, *b4 = (const void *)b;
	const struct sockaddr_in6 *a6 = (const void *)a, *b6 = (const void *)b;

	if (a->ss_family != b->sa_family)
		return false;
	if (b->sa_family == AF_INET)
		return a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	if (b->sa_family == AF_INET6)
		return ipv6_addr_equal(&a6->sin6_addr, &b6->sin6_addr);
	return false;
}

/*
 * May one more client connect from @from?  Context: the listener's handler
 * mutex (see the top of this file), so that no other session is added
 * meanwhile.
 */
static int mtier_donor_admit(struct mtier_pool *pool,
			     const struct sockaddr *from)
{
	struct mtier_session *sess;
	unsigned long flags;
	u32 all = 0, here = 0;

	spin_lock_irqsave(&pool->sess_lock, flags);
	list_for_each_entry(sess, &pool->sessions, link) {
		all++;
		if (mtier_same_host(&sess->addr, from))
			here++;
	}
	spin_unlock_irqrestore(&pool->sess_lock, flags);
	if (all >= READ_ONCE(pool->max_clients) ||
	    here >= READ_ONCE(pool->max_clients_addr)) {
		atomic64_inc(&pool->refused);
		return -EUSERS;
	}
	return 0;
}

static int mtier_donor_connect_ctrl(struct mtier_pool *pool,
				    struct rdma_cm_id *id,
				    const struct mtier_cm_req *req,
				    const struct rdma_conn_param *param)
{
	struct mtier_session *sess;
	unsigned long flags;
	int err;

	err = mtier_donor_admit(pool, (struct sockaddr *)&id->route.addr.dst_addr);
	if (err)
		return err;
	sess = mtier_session_create(pool, id, le16_to_cpu(req->nr_data));
	if (IS_ERR(sess))
		return PTR_ERR(sess);
	id->context = sess;
	kref_get(&sess->ref);		/* the control cm_id's */
	spin_lock_irqsave(&pool->sess_lock, flags);
	list_add_tail(&sess->link, &pool->sessions);
	spin_unlock_irqrestore(&pool->sess_lock, flags);
	atomic_inc(&pool->clients);
	atomic64_inc(&pool->connects);
	err = mtier_session_accept(sess, id, param);
	if (err) {
		mtier_session_kill(sess, "accept failed");
		return 0;	/* the release work destroys the cm_id */
	}
	mtier_session_watch_arm(sess);
	mtier_obj_changed(&pool->obj, MTIER_EV_CHANGE);
	return 0;
}

static int mtier_donor_connect_data(struct mtier_pool *pool,
				    struct rdma_cm_id *id,
				    const struct mtier_cm_req *req,
				    const struct rdma_conn_param *param)
{
	const struct sockaddr *from = (struct sockaddr *)&id->route.addr.dst_addr;
	u64 cookie = le64_to_cpu(req->session);
	struct mtier_session *sess;
	u16 qid = le16_to_cpu(req->qid);
	unsigned long now = jiffies;
	int err = 0;

	/* Serialised by the listener (see the top): no lock for the window. */
	if (time_after(now, pool->join_window +
			    msecs_to_jiffies(MTIER_JOIN_WINDOW_MS))) {
		pool->join_window = now;
		pool->join_window_fails = 0;
	}
	if (pool->join_window_fails >= MTIER_JOIN_FAILS_MAX)
		return -EAGAIN;

	xa_lock(&mtier_sessions);
	sess = xa_load(&mtier_sessions, lower_32_bits(cookie));
	/* Anything wrong looks the same from outside: no such session. */
	if (sess && (sess->cookie != cookie || sess->pool != pool ||
		     crypto_memneq(sess->token, req->token, sizeof(sess->token)) ||
		     !mtier_same_host(&sess->addr, from)))
		sess = NULL;
	if (sess)
		kref_get(&sess->ref);	/* the data cm_id's, if all goes well */
	xa_unlock(&mtier_sessions);
	if (!sess) {
		pool->join_window_fails++;
		atomic64_inc(&pool->join_fails);
		return -ENOENT;
	}

	mutex_lock(&sess->lock);
	if (sess->dead || id->device != sess->dev)
		err = -ENOTCONN;
	else if (qid >= sess->max_data || sess->data[qid])
		err = -EINVAL;
	else
		err = mtier_session_create_data_qp(sess, id);
	if (!err) {
		sess->data[qid] = id;
		sess->nr_data = max_t(u16, sess->nr_data, qid + 1);
		id->context = sess;
		err = mtier_session_accept(sess, id, param);
		if (err) {
			mutex_unlock(&sess->lock);
			mtier_session_kill(sess, "accept failed");
			return 0;	/* the release work destroys the cm_id */
		}
	}
	mutex_unlock(&sess->lock);
	if (err)
		mtier_session_put(sess);
	return err;
}

static int mtier_donor_connect_request(struct mtier_pool *pool,
				       struct rdma_cm_id *id,
				       struct rdma_cm_event *ev)
{
	const struct rdma_conn_param *param = &ev->param.conn;
	const struct mtier_cm_req *req = param->private_data;
	int err;

	if (param->private_data_len < sizeof(*req) ||
	    le32_to_cpu(req->magic) != MTIER_PROTO_MAGIC) {
		err = -EPROTO;
	} else if (le16_to_cpu(req->version) != MTIER_PROTO_VERSION) {
		err = -EPROTONOSUPPORT;
	} else if (READ_ONCE(pool->state) != MTIER_POOL_STATE_LISTENING) {
		err = -ECONNREFUSED;
	} else {
		switch (le16_to_cpu(req->qtype)) {
		case MTIER_QTYPE_CTRL:
			if (le16_to_cpu(req->nr_data) == 0 ||
			    le16_to_cpu(req->nr_data) > MTIER_MAX_QUEUES) {
				err = -EINVAL;
				break;
			}
			err = mtier_donor_connect_ctrl(pool, id, req, param);
			if (!err)
				return 0;
			break;
		case MTIER_QTYPE_DATA:
			err = mtier_donor_connect_data(pool, id, req, param);
			if (!err)
				return 0;
			break;
		default:
			err = -EPROTO;
		}
	}
	if (err == -EPROTO || err == -EINVAL)
		atomic64_inc(&pool->proto_errors);
	pr_info_ratelimited("pool %s: refused a connection from %pISpc: %d\n",
			    pool->obj.name, &id->route.addr.dst_addr, err);
	mtier_donor_reject(id, -err);
	/* Nothing holds this cm_id: have rdma_cm destroy it. */
	id->context = NULL;
	return 1;
}

/* One handler for the listener and for every connection it spawned. */
static int mtier_donor_cm_handler(struct rdma_cm_id *id,
				  struct rdma_cm_event *ev)
{
	enum mtier_donor_ctx *kind = id->context;
	struct mtier_session *sess;

	if (ev->event == RDMA_CM_EVENT_CONNECT_REQUEST) {
		/* A new child: it still has its listener's context. */
		struct mtier_listener *l = id->context;

		return mtier_donor_connect_request(l->pool, id, ev);
	}
	/*
	 * The listener's own events: a device it was bound to is going away,
	 * which the ib_client remove callback handles before rdma_cm does.
	 */
	if (!kind || *kind != MTIER_CTX_SESSION)
		return 0;
	sess = container_of(kind, struct mtier_session, kind);
	switch (ev->event) {
	case RDMA_CM_EVENT_ESTABLISHED:
		break;
	case RDMA_CM_EVENT_DISCONNECTED:
		mtier_session_kill(sess, "client disconnected");
		break;
	case RDMA_CM_EVENT_DEVICE_REMOVAL:
		mtier_session_kill(sess, "device removed");
		break;
	case RDMA_CM_EVENT_REJECTED:
	case RDMA_CM_EVENT_CONNECT_ERROR:
	case RDMA_CM_EVENT_UNREACHABLE:
		mtier_session_kill(sess, rdma_event_msg(ev->event));
		break;
	default:
		break;
	}
	return 0;
}

/* --- Pool side -------------------------------------------------------- */

/**
 * mtier_donor_listen - start accepting clients on a pool's endpoint
 * @pool: the pool
 * @extack: where to explain a failure
 *
 * Context: mtier_lock held.
 */
int mtier_donor_listen(struct mtier_pool *pool, struct netlink_ext_ack *extack)
{
	struct mtier_listener *l;
	struct rdma_cm_id *id;
	int err;

	lockdep_assert_held(&mtier_lock);
	l = kzalloc(sizeof(*l), GFP_KERNEL);
	if (!l)
		return -ENOMEM;
	l->kind = MTIER_CTX_LISTENER;
	l->pool = pool;
	id = mtier_rdma_create_id(pool->ep.net, mtier_donor_cm_handler, l);
	if (IS_ERR(id)) {
		kfree(l);
		return PTR_ERR(id);
	}
	l->id = id;
	err = rdma_set_afonly(id, 1);
	if (!err)
		err = rdma_bind_addr(id, (struct sockaddr *)&pool->ep.addr);
	if (err) {
		NL_SET_ERR_MSG_FMT(extack, "cannot bind %pISpc: error %d",
				   &pool->ep.addr, err);
		goto err_destroy;
	}
	err = rdma_listen(id, MTIER_LISTEN_BACKLOG);
	if (err) {
		NL_SET_ERR_MSG_FMT(extack, "cannot listen on %pISpc: error %d",
				   &pool->ep.addr, err);
		goto err_destroy;
	}
	pool->listener = l;
	WRITE_ONCE(pool->state, MTIER_POOL_STATE_LISTENING);
	return 0;

err_destroy:
	rdma_destroy_id(id);
	kfree(l);
	return err;
}

/**
 * mtier_donor_unlisten - stop accepting new clients
 * @pool: the pool
 *
 * Context: mtier_lock held.
 */
void mtier_donor_unlisten(struct mtier_pool *pool)
{
	lockdep_assert_held(&mtier_lock);
	WRITE_ONCE(pool->state, MTIER_POOL_STATE_DOWN);
	if (!pool->listener)
		return;
	rdma_destroy_id(pool->listener->id);
	kfree(pool->listener);
	pool->listener = NULL;
}

/**
 * mtier_donor_listener_device - the device a pool's listener is bound to
 * @pool: the pool
 *
 * Context: mtier_lock held.  NULL for none, or a wildcard listener.
 */
struct ib_device *mtier_donor_listener_device(struct mtier_pool *pool)
{
	return pool->listener ? pool->listener->id->device : NULL;
}

/**
 * mtier_donor_stop - stop listening and end every session of a pool
 * @pool: the pool
 *
 * Returns when every session is gone and its memory returned.
 *
 * Context: mtier_lock held; may sleep.
 */
void mtier_donor_stop(struct mtier_pool *pool)
{
	struct mtier_session *sess, *tmp;
	unsigned long flags;

	mtier_donor_unlisten(pool);
	spin_lock_irqsave(&pool->sess_lock, flags);
	list_for_each_entry_safe(sess, tmp, &pool->sessions, link)
		__mtier_session_kill(sess, "pool stopping");
	spin_unlock_irqrestore(&pool->sess_lock, flags);
	/*
	 * Every killed session has its release work queued: wait for them,
	 * not for the whole workqueue, whose relisten work takes mtier_lock.
	 */
	wait_var_event(&pool->nr_sessions, !atomic_read(&pool->nr_sessions));
}

/**
 * mtier_donor_device_removed - end what uses a device that is going away
 * @dev: the device
 *
 * Context: process context (the ib_client remove callback); may sleep.
 */
void mtier_donor_device_removed(struct ib_device *dev)
{
	struct mtier_session *sess;
	unsigned long index;

	/* Under the lock: the release work erases a session before freeing. */
	xa_lock(&mtier_sessions);
	xa_for_each(&mtier_sessions, index, sess)
		if (sess->dev == dev)
			mtier_session_kill(sess, "device removed");
	xa_unlock(&mtier_sessions);
	flush_workqueue(mtier_wq);
}
