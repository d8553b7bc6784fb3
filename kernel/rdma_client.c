// SPDX-License-Identifier: GPL-2.0
/*
 * mtier: the client side of the RDMA transport, a peer's connection.
 *
 * A connection (struct mtier_conn, around the transport core's struct
 * mtier_link) is one control queue pair and one data queue pair per I/O
 * queue to the same donor, all in one protection domain.  The transport
 * core (transport.c) owns its life: it opens it (mtier_client_connect()),
 * publishes it, and when anything fails (mtier_conn_fail(): a work
 * completion in error, a keepalive without answer, a disconnect; or
 * mtier_peer_reset(): a device going away) it closes it and tries again
 * later.  Generations,
 * keepalive scheduling and reconnection are the core's; the rules of
 * peer->link, peer->conn_rwsem and peer->stopping are written there.
 *
 * Locking and lifetime, here:
 *  - The I/O path gets the connection from the core under rcu_read_lock()
 *    and posts under the queue's lock, checking queue->live; quiescing
 *    clears live under that lock first, so nothing is posted on a queue
 *    pair being drained.
 *  - Control calls come with the core's conn_rwsem held for reading;
 *    quiescing fails the pending calls (conn->dead, under call_lock), and
 *    the core takes conn_rwsem for writing only after that.
 *  - Work completions of a connection are all drained (quiesce) before it
 *    is freed (close), so a completion may always use its connection.
 *  - A transfer's RDMA state (struct mtier_rxfer) lives in its priv area,
 *    which this file owns from mtier_client_submit() until it calls the
 *    transfer's done.
 *  - Send slots of a data queue pair are counted (queue->sq_free, under
 *    queue->lock): a transfer takes one per work request of its round
 *    and gets each back with its completion (every work request is
 *    signaled).  A transfer that finds too few waits on the queue's
 *    backlog, in order, and completions post it; a full queue pair is
 *    never a failure.  Killing a queue ends what waits there.
 *  - Nothing a donor sends is used before it is checked: the hello's slab
 *    size, every reply's type and status (mtier_ctrl_check_reply()) and
 *    each reply's payload.  A bad one fails the connection.
 */
#include <linux/random.h>
#include <linux/slab.h>

#include "proto.h"
#include "rdma.h"

/*
 * A transfer is split into work requests of as many segments as the
 * device takes in one (its max_send_sge for a WRITE, max_sge_rd for a
 * READ), and those are posted in rounds of at most MTIER_XFER_MAX_WR: a
 * device that takes few segments per work request makes a transfer take
 * more rounds, never fail.
 */
#define MTIER_XFER_MAX_WR	8

#define MTIER_RESOLVE_MS	2000
#define MTIER_CONNECT_MS	10000	/* one queue's whole handshake */
#define MTIER_CALL_MS		10000	/* control calls other than keepalive */
#define MTIER_ZERO_BYTES	65536	/* the zero buffer for discards */

static unsigned int data_sq_depth;
module_param(data_sq_depth, uint, 0444);
MODULE_PARM_DESC(data_sq_depth,
		 "send slots per data queue pair (0: every request of a queue in its largest shape; at least "
		 __stringify(MTIER_XFER_MAX_WR) ")");
static unsigned int data_max_sge;
module_param(data_max_sge, uint, 0444);
MODULE_PARM_DESC(data_max_sge,
		 "segments per work request, if fewer than the device takes (0: the device's)");

/* One queue pair: the control one (qid -1) or a data one. */
struct mtier_queue {
	struct mtier_conn *conn;
	int qid;
	struct rdma_cm_id *cm_id;
	struct ib_cq *cq;
	struct completion cm_done;
	int cm_error;
	bool connecting;
	spinlock_t lock;		/* what follows, and posting */
	bool live;
	u32 sq_free;			/* send slots not in use */
	struct list_head backlog;	/* transfers waiting for slots, FIFO */
	wait_queue_head_t sq_wait;	/* zeroing waiting for a slot */
};

/* A control request waiting for its reply. */
struct mtier_call {
	struct completion done;
	u64 tag;
	int error;
	struct mtier_msg rep;
};

/*
 * A connection: @link is the transport core's part (peer, generation, slab
 * size, failed), the rest is RDMA's.
 */
struct mtier_conn {
	struct mtier_link link;
	struct ib_device *dev;
	struct ib_pd *pd;
	u32 max_sge_wr, max_sge_rd;	/* segments per WRITE, per READ */
	u32 sq_depth;			/* send slots of a data queue pair */
	u64 session;
	u8 token[MTIER_TOKEN_LEN];	/* the session's, for data queues */
	bool dead;			/* no new calls (call_lock) */

	struct mtier_queue ctrl;
	struct mtier_queue *data;
	int nr_data;

	struct mtier_ring ring;		/* tx[i] for the call in calls[i] */
	struct ib_cqe rx_cqe[MTIER_CTRL_DEPTH];	/* one per receive buffer */
	struct ib_cqe tx_cqe;
	spinlock_t call_lock;		/* calls[], seq, dead */
	struct mtier_call *calls[MTIER_CTRL_DEPTH];
	struct semaphore credits;
	u64 seq;

	void *zero;			/* MTIER_ZERO_BYTES of zeroes */
	dma_addr_t zero_dma;
};

/*
 * The RDMA state of a transfer, in its priv area: the mapped segments,
 * the round in flight (@pending work requests), where the next round
 * starts (@next segment, @remote address), and @wait, the entry on its
 * queue's backlog while it waits for send slots.
 */
struct mtier_rxfer {
	struct mtier_xfer *x;
	struct ib_device *dev;
	int mapped;
	int next;
	u64 remote;
	atomic_t pending;
	blk_status_t status;
	struct list_head wait;
	struct ib_cqe cqe;
	struct ib_sge sge[MTIER_MAX_SEGS];
};

static struct mtier_rxfer *mtier_rxfer(struct mtier_xfer *x)
{
	BUILD_BUG_ON(sizeof(struct mtier_rxfer) > sizeof(x->priv));
	return (struct mtier_rxfer *)x->priv;
}

static struct mtier_conn *to_conn(struct mtier_link *link)
{
	return container_of(link, struct mtier_conn, link);
}

/* Fail the connection: the transport core closes it and reconnects. */
static void mtier_conn_fail(struct mtier_conn *conn, const char *why)
{
	mtier_link_fail(&conn->link, why);
}

/* --- Control calls ---------------------------------------------------- */

static void mtier_ctrl_tx_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct mtier_queue *q = cq->cq_context;

	if (wc->status != IB_WC_SUCCESS && wc->status != IB_WC_WR_FLUSH_ERR)
		mtier_conn_fail(q->conn, "control send failed");
}

static int mtier_ctrl_post_recv(struct mtier_conn *conn, int i)
{
	return mtier_ring_post_recv(&conn->ring, conn->ctrl.cm_id->qp, i,
				    &conn->rx_cqe[i]);
}

static void mtier_ctrl_rx_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct mtier_queue *q = cq->cq_context;
	struct mtier_conn *conn = q->conn;
	int i = wc->wr_cqe - conn->rx_cqe;
	struct mtier_call *call = NULL;
	struct mtier_msg *msg;
	unsigned long flags;
	int slot;

	if (wc->status != IB_WC_SUCCESS) {
		if (wc->status != IB_WC_WR_FLUSH_ERR)
			mtier_conn_fail(conn, "control receive failed");
		return;
	}
	if (wc->byte_len != sizeof(struct mtier_msg)) {
		mtier_conn_fail(conn, "control reply of the wrong size");
		return;
	}
	msg = &conn->ring.rx[i];
	mtier_ring_rx_sync(&conn->ring, i);
	slot = le64_to_cpu(msg->tag) % MTIER_CTRL_DEPTH;
	spin_lock_irqsave(&conn->call_lock, flags);
	if (mtier_msg_header_ok(msg) && conn->calls[slot] &&
	    conn->calls[slot]->tag == le64_to_cpu(msg->tag)) {
		call = conn->calls[slot];
		conn->calls[slot] = NULL;
		call->rep = *msg;
	}
	spin_unlock_irqrestore(&conn->call_lock, flags);
	if (!call) {
		mtier_conn_fail(conn, "unexpected control reply");
		return;
	}
	if (mtier_ctrl_post_recv(conn, i))
		mtier_conn_fail(conn, "cannot post a receive");
	complete(&call->done);
}

/* Fail every call still waiting: the connection is going. */
static void mtier_ctrl_fail_calls(struct mtier_conn *conn)
{
	struct mtier_call *call;
	unsigned long flags;
	int i;

	spin_lock_irqsave(&conn->call_lock, flags);
	conn->dead = true;
	for (i = 0; i < MTIER_CTRL_DEPTH; i++) {
		call = conn->calls[i];
		conn->calls[i] = NULL;
		if (call) {
			call->error = -ENOTCONN;
			complete(&call->done);
		}
	}
	spin_unlock_irqrestore(&conn->call_lock, flags);
}

/*
 * What every reply must be before anything of it is used: of the type that
 * answers the request, with a status that is 0 or a positive errno.  The
 * callers check the payload and which errnos the request may get.  Anything
 * else is a protocol error: the connection is failed.
 * Return: 0, -EPROTO, or the donor's status as a negative errno.
 */
static int mtier_ctrl_check_reply(struct mtier_conn *conn,
				  const struct mtier_msg *req,
				  const struct mtier_msg *rep)
{
	u16 status = le16_to_cpu(rep->status);

	if (rep->type != req->type + 1) {
		mtier_conn_fail(conn, "bad reply type");
		return -EPROTO;
	}
	if (status > MAX_ERRNO) {
		mtier_conn_fail(conn, "reply with an out-of-range status");
		return -EPROTO;
	}
	return -(int)status;
}

/*
 * Send @req and wait up to @timeout_ms for its reply.  A reply that does
 * not come in time fails the connection: the donor is not answering.
 * Return: 0 with the reply in @rep, the donor's status as a negative errno
 * (@rep filled too), -EPROTO for a malformed reply, or another error when
 * there was no reply; all but the donor's status fail the connection.
 */
static int mtier_ctrl_call(struct mtier_conn *conn, struct mtier_msg *req,
			   struct mtier_msg *rep, unsigned int timeout_ms)
{
	struct mtier_call call = { .error = 0 };
	struct ib_send_wr wr = {
		.wr_cqe = &conn->tx_cqe,
		.opcode = IB_WR_SEND,
		.send_flags = IB_SEND_SIGNALED,
		.num_sge = 1,
	};
	struct ib_sge sge;
	unsigned long flags;
	int slot = -1, i, err;

	if (down_timeout(&conn->credits, msecs_to_jiffies(timeout_ms))) {
		/* Every slot taken that long: the donor is not answering. */
		atomic64_inc(&conn->link.peer->timeouts);
		mtier_conn_fail(conn, "no control slot free in time");
		return -ETIMEDOUT;
	}
	init_completion(&call.done);
	spin_lock_irqsave(&conn->call_lock, flags);
	for (i = 0; i < MTIER_CTRL_DEPTH && !conn->dead; i++) {
		if (!conn->calls[i]) {
			slot = i;
			break;
		}
	}
	if (slot >= 0) {
		call.tag = ++conn->seq * MTIER_CTRL_DEPTH + slot;
		conn->calls[slot] = &call;
	}
	spin_unlock_irqrestore(&conn->call_lock, flags);
	if (slot < 0) {
		up(&conn->credits);
		return -ENOTCONN;
	}

	mtier_msg_stamp(req, 0, cpu_to_le64(call.tag));
	conn->ring.tx[slot] = *req;
	mtier_ring_tx_sge(&conn->ring, slot, &sge);
	wr.sg_list = &sge;
	err = ib_post_send(conn->ctrl.cm_id->qp, &wr, NULL);
	if (!err && !wait_for_completion_timeout(&call.done,
						 msecs_to_jiffies(timeout_ms)))
		err = -ETIMEDOUT;
	if (err) {
		/* Take the call back unless a reply or a failure took it. */
		spin_lock_irqsave(&conn->call_lock, flags);
		if (conn->calls[slot] == &call)
			conn->calls[slot] = NULL;
		else
			err = 0;
		spin_unlock_irqrestore(&conn->call_lock, flags);
		if (err) {
			if (err == -ETIMEDOUT)
				atomic64_inc(&conn->link.peer->timeouts);
			mtier_conn_fail(conn, err == -ETIMEDOUT ?
					"control call timed out" :
					"cannot post a control message");
			up(&conn->credits);
			return err;
		}
		/* Completed after all: wait for whoever completed it. */
		wait_for_completion(&call.done);
	}
	up(&conn->credits);
	if (call.error)
		return call.error;
	*rep = call.rep;
	return mtier_ctrl_check_reply(conn, req, rep);
}

/* --- Transfers and send slots -------------------------------------- */

static enum dma_data_direction mtier_xfer_dir(const struct mtier_xfer *x)
{
	return x->write ? DMA_TO_DEVICE : DMA_FROM_DEVICE;
}

/* Give the request its outcome.  Never under a queue's lock: @done may submit. */
static void mtier_xfer_end(struct mtier_rxfer *r)
{
	struct mtier_xfer *x = r->x;

	ib_dma_unmap_sg(r->dev, x->sgl, x->nents, mtier_xfer_dir(x));
	x->done(x, r->status);
}

/* End transfers taken off a backlog (or never posted) with an error. */
static void mtier_xfers_fail(struct list_head *list)
{
	struct mtier_rxfer *r, *tmp;

	list_for_each_entry_safe(r, tmp, list, wait) {
		list_del_init(&r->wait);
		r->status = BLK_STS_IOERR;
		mtier_xfer_end(r);
	}
}

static u32 mtier_xfer_max_sge(const struct mtier_conn *conn,
			      const struct mtier_rxfer *r)
{
	return r->x->write ? conn->max_sge_wr : conn->max_sge_rd;
}

/* Work requests, hence send slots, of @r's next round. */
static int mtier_xfer_round(const struct mtier_conn *conn,
			    const struct mtier_rxfer *r)
{
	return min_t(int, DIV_ROUND_UP(r->mapped - r->next,
				       mtier_xfer_max_sge(conn, r)),
		     MTIER_XFER_MAX_WR);
}

/*
 * Post @r's next round, taking its slots.  q->lock held; the queue is live
 * and has the slots.  Returns false when nothing of it is in flight any
 * more and the caller must end it (the post failed; so did the connection).
 */
static bool mtier_xfer_post(struct mtier_queue *q, struct mtier_rxfer *r)
{
	struct mtier_conn *conn = q->conn;
	u32 max_sge = mtier_xfer_max_sge(conn, r);
	int i, k, nr_wr = mtier_xfer_round(conn, r);
	struct ib_rdma_wr wr[MTIER_XFER_MAX_WR];
	const struct ib_send_wr *bad;
	int err;

	for (i = 0; i < nr_wr; i++) {
		int nsge = min_t(int, max_sge, r->mapped - r->next);

		memset(&wr[i], 0, sizeof(wr[i]));
		wr[i].wr.next = i + 1 < nr_wr ? &wr[i + 1].wr : NULL;
		wr[i].wr.wr_cqe = &r->cqe;
		wr[i].wr.opcode = r->x->write ? IB_WR_RDMA_WRITE :
						IB_WR_RDMA_READ;
		wr[i].wr.send_flags = IB_SEND_SIGNALED;
		wr[i].wr.sg_list = &r->sge[r->next];
		wr[i].wr.num_sge = nsge;
		wr[i].remote_addr = r->remote;
		wr[i].rkey = r->x->rs->key;
		for (k = 0; k < nsge; k++)
			r->remote += r->sge[r->next + k].length;
		r->next += nsge;
	}
	q->sq_free -= nr_wr;
	atomic_set(&r->pending, nr_wr);
	err = ib_post_send(q->cm_id->qp, &wr[0].wr, &bad);
	if (likely(!err))
		return true;

	/* Those before @bad were posted and will complete: the rest not. */
	for (i = 0; i < nr_wr && &wr[i].wr != bad; i++)
		;
	q->sq_free += nr_wr - i;
	r->status = BLK_STS_IOERR;
	r->next = r->mapped;
	mtier_conn_fail(conn, "cannot post a transfer");
	return !atomic_sub_and_test(nr_wr - i, &r->pending);
}

/*
 * Post @r's next round, or queue it behind the transfers already waiting
 * for slots.  q->lock held.  Returns false when the caller must end it.
 */
static bool mtier_xfer_queue(struct mtier_queue *q, struct mtier_rxfer *r)
{
	if (!q->live)
		return false;
	if (list_empty(&q->backlog) &&
	    q->sq_free >= mtier_xfer_round(q->conn, r))
		return mtier_xfer_post(q, r);
	list_add_tail(&r->wait, &q->backlog);
	atomic64_inc(&q->conn->link.peer->sq_waits);
	return true;
}

/*
 * A work request of the queue completed: its slot is free again.  Post
 * what waits for slots; what cannot be posted goes to @failed.
 */
static void mtier_queue_slot_done(struct mtier_queue *q,
				  struct list_head *failed)
{
	struct mtier_rxfer *r;
	unsigned long flags;

	spin_lock_irqsave(&q->lock, flags);
	q->sq_free++;
	while (q->live &&
	       (r = list_first_entry_or_null(&q->backlog, struct mtier_rxfer,
					     wait)) &&
	       q->sq_free >= mtier_xfer_round(q->conn, r)) {
		list_del_init(&r->wait);
		if (!mtier_xfer_post(q, r))
			list_add_tail(&r->wait, failed);
	}
	spin_unlock_irqrestore(&q->lock, flags);
	if (wq_has_sleeper(&q->sq_wait))
		wake_up(&q->sq_wait);
}

static void mtier_xfer_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct mtier_rxfer *r = container_of(wc->wr_cqe, struct mtier_rxfer,
					     cqe);
	struct mtier_queue *q = cq->cq_context;
	unsigned long flags;
	LIST_HEAD(failed);
	bool going;

	if (unlikely(wc->status != IB_WC_SUCCESS)) {
		r->status = BLK_STS_IOERR;
		r->next = r->mapped;
		/*
		 * A flush normally follows a failure already seen.  One on a
		 * connection nobody failed means the queue pair went to the
		 * error state without an event (SoftRoCE does, after a
		 * retransmission it cannot follow): fail the connection too,
		 * or every later transfer on that queue pair is flushed while
		 * the peer looks up.
		 */
		if (wc->status != IB_WC_WR_FLUSH_ERR ||
		    !atomic_read(&q->conn->link.failed)) {
			atomic64_inc(&q->conn->link.peer->errors);
			mtier_conn_fail(q->conn, ib_wc_status_msg(wc->status));
		}
	}
	mtier_queue_slot_done(q, &failed);
	if (atomic_dec_and_test(&r->pending)) {
		/* The round is over: the next one, or the end. */
		going = false;
		if (r->next < r->mapped) {
			spin_lock_irqsave(&q->lock, flags);
			going = mtier_xfer_queue(q, r);
			spin_unlock_irqrestore(&q->lock, flags);
			if (!going)
				r->status = BLK_STS_IOERR;
		}
		if (!going)
			list_add_tail(&r->wait, &failed);
	}
	/* (a transfer that ends well ends here too, with its status) */
	while (!list_empty(&failed)) {
		r = list_first_entry(&failed, struct mtier_rxfer, wait);
		list_del_init(&r->wait);
		mtier_xfer_end(r);
	}
}

/* --- Queues ----------------------------------------------------------- */

static int mtier_client_cm_handler(struct rdma_cm_id *id,
				   struct rdma_cm_event *ev);

static void mtier_queue_qp_event(struct ib_event *event, void *ctx)
{
	struct mtier_queue *q = ctx;

	/* Unlike a donor session, a connection also ends on a request error. */
	if (mtier_rdma_qp_fatal(event) ||
	    event->event == IB_EVENT_QP_REQ_ERR)
		mtier_conn_fail(q->conn, "queue pair error");
}

/* The device is known once the first address resolves: set it up. */
static int mtier_conn_setup_device(struct mtier_conn *conn,
				   struct ib_device *dev)
{
	if (conn->dev)
		return conn->dev == dev ? 0 : -EXDEV;
	if (!(dev->attrs.device_cap_flags & IB_DEVICE_MEM_MGT_EXTENSIONS))
		return -EOPNOTSUPP;
	conn->pd = ib_alloc_pd(dev, 0);
	if (IS_ERR(conn->pd)) {
		int err = PTR_ERR(conn->pd);

		conn->pd = NULL;
		return err;
	}
	conn->dev = dev;
	conn->max_sge_wr = clamp_t(u32, dev->attrs.max_send_sge, 1,
				   MTIER_MAX_SEGS);
	if (data_max_sge)
		conn->max_sge_wr = min(conn->max_sge_wr, data_max_sge);
	conn->max_sge_rd = clamp_t(u32, dev->attrs.max_sge_rd, 1,
				   conn->max_sge_wr);
	/* Enough for every request of a queue in its largest shape. */
	if (dev->attrs.max_qp_wr < MTIER_XFER_MAX_WR)
		return -EOPNOTSUPP;
	conn->sq_depth = data_sq_depth ?:
			 MTIER_QUEUE_DEPTH * MTIER_XFER_MAX_WR + 1;
	conn->sq_depth = clamp_t(u32, conn->sq_depth, MTIER_XFER_MAX_WR,
				 dev->attrs.max_qp_wr);
	return 0;
}

static int mtier_queue_create_qp(struct mtier_queue *q)
{
	struct mtier_conn *conn = q->conn;
	bool ctrl = q->qid < 0;
	int depth = ctrl ? 2 * MTIER_CTRL_DEPTH + 2 : conn->sq_depth;
	u32 recv_wr = ctrl ? MTIER_CTRL_DEPTH + 1 : 1;
	struct ib_qp_init_attr attr;
	int err;

	q->cq = ib_alloc_cq(conn->dev, q, depth + recv_wr,
			    (q->qid + 1) % conn->dev->num_comp_vectors,
			    IB_POLL_SOFTIRQ);
	if (IS_ERR(q->cq)) {
		err = PTR_ERR(q->cq);
		q->cq = NULL;
		return err;
	}
	attr = mtier_rdma_qp_attr(mtier_queue_qp_event, q, q->cq, depth,
				  recv_wr, ctrl ? 1 : conn->max_sge_wr);
	err = rdma_create_qp(q->cm_id, conn->pd, &attr);
	if (err) {
		ib_free_cq(q->cq);
		q->cq = NULL;
	}
	q->sq_free = depth;
	return err;
}

static int mtier_queue_route_resolved(struct mtier_queue *q)
{
	struct mtier_conn *conn = q->conn;
	struct mtier_cm_req req = {
		.magic = cpu_to_le32(MTIER_PROTO_MAGIC),
		.version = cpu_to_le16(MTIER_PROTO_VERSION),
		.qtype = cpu_to_le16(q->qid < 0 ? MTIER_QTYPE_CTRL :
						   MTIER_QTYPE_DATA),
		.session = cpu_to_le64(conn->session),
		.qid = cpu_to_le16(max(q->qid, 0)),
		.nr_data = cpu_to_le16(conn->nr_data),
	};

	struct rdma_conn_param param = {
		.private_data = &req,
		.private_data_len = sizeof(req),
		/* We read the donor's memory; it reads nothing of ours. */
		.initiator_depth = min_t(u32, conn->dev->attrs.max_qp_init_rd_atom,
					 MTIER_QUEUE_DEPTH),
		.responder_resources = 0,
		.retry_count = 7,
		.rnr_retry_count = 7,
	};

	if (q->qid >= 0)
		memcpy(req.token, conn->token, sizeof(req.token));
	return rdma_connect_locked(q->cm_id, &param);
}

/* What the control accept said: remember the session and the slab size. */
static int mtier_queue_established(struct mtier_queue *q,
				   const struct rdma_conn_param *param)
{
	const struct mtier_cm_rep *rep = param->private_data;
	struct mtier_conn *conn = q->conn;
	u64 slab;

	if (q->qid >= 0)
		return 0;
	if (param->private_data_len < sizeof(*rep) ||
	    le32_to_cpu(rep->magic) != MTIER_PROTO_MAGIC ||
	    le16_to_cpu(rep->version) != MTIER_PROTO_VERSION)
		return -EPROTO;
	slab = le64_to_cpu(rep->slab_size);
	if (slab < MTIER_SLAB_MIN || slab > MTIER_SLAB_MAX || !is_power_of_2(slab))
		return -EPROTO;
	conn->session = le64_to_cpu(rep->session);
	memcpy(conn->token, rep->token, sizeof(conn->token));
	conn->link.slab_size = slab;
	WRITE_ONCE(conn->link.peer->slab_size, slab);
	WRITE_ONCE(conn->link.peer->donor_free, le64_to_cpu(rep->free));
	return 0;
}

static int mtier_queue_rejected(struct rdma_cm_id *id, struct rdma_cm_event *ev)
{
	const struct mtier_cm_rej *rej;
	u8 len = 0;

	rej = rdma_consumer_reject_data(id, ev, &len);
	if (rej && len >= sizeof(*rej) &&
	    le32_to_cpu(rej->magic) == MTIER_PROTO_MAGIC && rej->status &&
	    le16_to_cpu(rej->status) < MAX_ERRNO)
		return -le16_to_cpu(rej->status);
	return -ECONNREFUSED;
}

static int mtier_client_cm_handler(struct rdma_cm_id *id,
				   struct rdma_cm_event *ev)
{
	struct mtier_queue *q = id->context;
	int err = 0;

	switch (ev->event) {
	case RDMA_CM_EVENT_ADDR_RESOLVED:
		err = mtier_conn_setup_device(q->conn, id->device);
		if (!err)
			err = mtier_queue_create_qp(q);
		if (!err)
			err = rdma_resolve_route(id, MTIER_RESOLVE_MS);
		if (!err)
			return 0;
		break;
	case RDMA_CM_EVENT_ROUTE_RESOLVED:
		err = mtier_queue_route_resolved(q);
		if (!err)
			return 0;
		break;
	case RDMA_CM_EVENT_ESTABLISHED:
		err = mtier_queue_established(q, &ev->param.conn);
		break;
	case RDMA_CM_EVENT_REJECTED:
		err = mtier_queue_rejected(id, ev);
		break;
	case RDMA_CM_EVENT_ADDR_ERROR:
	case RDMA_CM_EVENT_ROUTE_ERROR:
	case RDMA_CM_EVENT_CONNECT_ERROR:
	case RDMA_CM_EVENT_UNREACHABLE:
		err = ev->status ?: -EHOSTUNREACH;
		if (err > 0)
			err = -EHOSTUNREACH;
		break;
	case RDMA_CM_EVENT_DISCONNECTED:
	case RDMA_CM_EVENT_ADDR_CHANGE:
	case RDMA_CM_EVENT_DEVICE_REMOVAL:
		if (!q->connecting) {
			mtier_conn_fail(q->conn, rdma_event_msg(ev->event));
			return 0;
		}
		err = -ECONNRESET;
		break;
	default:
		return 0;
	}
	if (q->connecting) {
		q->connecting = false;
		q->cm_error = err;
		complete(&q->cm_done);
	}
	return 0;
}

static void mtier_queue_init(struct mtier_conn *conn, struct mtier_queue *q)
{
	q->conn = conn;
	spin_lock_init(&q->lock);
	INIT_LIST_HEAD(&q->backlog);
	init_waitqueue_head(&q->sq_wait);
}

static int mtier_queue_connect(struct mtier_conn *conn, struct mtier_queue *q)
{
	struct mtier_peer *peer = conn->link.peer;
	struct rdma_cm_id *id;
	int err;

	init_completion(&q->cm_done);
	id = mtier_rdma_create_id(peer->ep.net, mtier_client_cm_handler, q);
	if (IS_ERR(id))
		return PTR_ERR(id);
	q->cm_id = id;
	q->connecting = true;
	err = rdma_resolve_addr(id, NULL, (struct sockaddr *)&peer->ep.addr,
				MTIER_RESOLVE_MS);
	if (err)
		return err;
	if (!wait_for_completion_timeout(&q->cm_done,
					 msecs_to_jiffies(MTIER_CONNECT_MS)))
		return -ETIMEDOUT;	/* teardown destroys the cm_id */
	return q->cm_error;
}

/*
 * No more posts, and what is posted flushes now: moving the queue pair to
 * the error state is local and immediate, while the disconnect that
 * follows talks to the donor (or to a device being removed) and may take
 * a while.
 */
static void mtier_queue_kill(struct mtier_queue *q)
{
	struct ib_qp_attr attr = { .qp_state = IB_QPS_ERR };
	unsigned long flags;
	LIST_HEAD(waiting);

	spin_lock_irqsave(&q->lock, flags);
	q->live = false;
	list_splice_init(&q->backlog, &waiting);
	spin_unlock_irqrestore(&q->lock, flags);
	wake_up_all(&q->sq_wait);
	mtier_xfers_fail(&waiting);
	if (q->cm_id && q->cm_id->qp)
		ib_modify_qp(q->cm_id->qp, &attr, IB_QP_STATE);
}

static void mtier_queue_destroy(struct mtier_queue *q)
{
	if (!q->cm_id)
		return;
	if (q->cm_id->qp)
		rdma_destroy_qp(q->cm_id);
	/* Waits for a handler that may still be running for this queue. */
	rdma_destroy_id(q->cm_id);
	q->cm_id = NULL;
	if (q->cq)
		ib_free_cq(q->cq);
	q->cq = NULL;
}

/* --- Connection ------------------------------------------------------- */

/*
 * Stop everything on a connection: no more posts, pending calls failed,
 * every queue pair drained, so that every work completion has run.
 */
static void mtier_conn_quiesce(struct mtier_conn *conn)
{
	int i;

	/* The I/O first: its requests fail before anything else is done. */
	for (i = 0; i < conn->nr_data; i++)
		mtier_queue_kill(&conn->data[i]);
	mtier_queue_kill(&conn->ctrl);
	mtier_ctrl_fail_calls(conn);
	for (i = 0; i < conn->nr_data; i++)
		if (conn->data[i].cm_id)
			rdma_disconnect(conn->data[i].cm_id);
	if (conn->ctrl.cm_id)
		rdma_disconnect(conn->ctrl.cm_id);
	if (conn->ctrl.cm_id && conn->ctrl.cm_id->qp)
		ib_drain_qp(conn->ctrl.cm_id->qp);
	for (i = 0; i < conn->nr_data; i++)
		if (conn->data[i].cm_id && conn->data[i].cm_id->qp)
			ib_drain_qp(conn->data[i].cm_id->qp);
}

static void mtier_conn_free(struct mtier_conn *conn)
{
	int i;

	mtier_conn_quiesce(conn);
	for (i = 0; i < conn->nr_data; i++)
		mtier_queue_destroy(&conn->data[i]);
	mtier_queue_destroy(&conn->ctrl);
	mtier_ring_unmap(&conn->ring);
	if (conn->zero_dma)
		ib_dma_unmap_single(conn->dev, conn->zero_dma,
				    MTIER_ZERO_BYTES, DMA_TO_DEVICE);
	if (conn->pd)
		ib_dealloc_pd(conn->pd);
	kfree(conn->zero);
	kfree(conn->data);
	kfree(conn);
}

static int mtier_conn_map(struct mtier_conn *conn, void *buf, size_t len,
			  enum dma_data_direction dir, dma_addr_t *dma)
{
	*dma = ib_dma_map_single(conn->dev, buf, len, dir);
	if (ib_dma_mapping_error(conn->dev, *dma)) {
		*dma = 0;
		return -ENOMEM;
	}
	return 0;
}

static struct mtier_conn *mtier_conn_open(struct mtier_peer *peer)
{
	struct mtier_conn *conn;
	int i, err;

	conn = kzalloc(sizeof(*conn), GFP_KERNEL);
	if (!conn)
		return ERR_PTR(-ENOMEM);
	conn->link.peer = peer;
	conn->ctrl.qid = -1;
	/* One data queue pair per CPU, and one for prefetches. */
	conn->nr_data = min_t(int, num_possible_cpus(), MTIER_MAX_QUEUES - 1) + 1;
	spin_lock_init(&conn->call_lock);
	sema_init(&conn->credits, MTIER_CTRL_DEPTH);
	for (i = 0; i < MTIER_CTRL_DEPTH; i++)
		conn->rx_cqe[i].done = mtier_ctrl_rx_done;
	conn->tx_cqe.done = mtier_ctrl_tx_done;
	conn->data = kcalloc(conn->nr_data, sizeof(*conn->data), GFP_KERNEL);
	conn->zero = kzalloc(MTIER_ZERO_BYTES, GFP_KERNEL);
	/* Teardown takes every queue's lock, connected or not. */
	mtier_queue_init(conn, &conn->ctrl);
	if (!conn->data)
		conn->nr_data = 0;
	if (!conn->data || !conn->zero) {
		err = -ENOMEM;
		goto err;
	}
	for (i = 0; i < conn->nr_data; i++) {
		conn->data[i].qid = i;
		mtier_queue_init(conn, &conn->data[i]);
	}

	err = mtier_queue_connect(conn, &conn->ctrl);
	if (err)
		goto err;
	err = mtier_ring_map(&conn->ring, conn->pd);
	if (!err)
		err = mtier_conn_map(conn, conn->zero, MTIER_ZERO_BYTES,
				     DMA_TO_DEVICE, &conn->zero_dma);
	for (i = 0; !err && i < MTIER_CTRL_DEPTH; i++)
		err = mtier_ctrl_post_recv(conn, i);
	if (err)
		goto err;
	conn->ctrl.live = true;

	for (i = 0; i < conn->nr_data; i++) {
		err = mtier_queue_connect(conn, &conn->data[i]);
		if (err)
			goto err;
		conn->data[i].live = true;
	}
	return conn;

err:
	mtier_conn_free(conn);
	return ERR_PTR(err);
}

/* --- The transport's operations (rdma.h, transport.h) ---------------- */

/**
 * mtier_client_connect - open a connection to a peer's donor
 * @peer: the peer
 *
 * Context: process context; sleeps through every queue's handshake.
 * Return: the connection's link, or an ERR_PTR().
 */
struct mtier_link *mtier_client_connect(struct mtier_peer *peer)
{
	struct mtier_conn *conn = mtier_conn_open(peer);

	return IS_ERR(conn) ? ERR_CAST(conn) : &conn->link;
}

/**
 * mtier_client_quiesce - stop everything on a connection
 * @link: the connection
 *
 * No more posts, pending calls failed, every queue pair drained, so that
 * every work completion has run.
 */
void mtier_client_quiesce(struct mtier_link *link)
{
	mtier_conn_quiesce(to_conn(link));
}

/**
 * mtier_client_close - quiesce and free a connection
 * @link: the connection, unpublished
 */
void mtier_client_close(struct mtier_link *link)
{
	mtier_conn_free(to_conn(link));
}

/**
 * mtier_client_keepalive - one keepalive round trip
 * @link: the connection
 * @timeout_ms: how long the answer may take
 * @donor_free: the donor's free bytes, on success
 *
 * Context: process context, conn_rwsem held for reading.
 * Return: 0, or an error; an error status from the donor fails the
 * connection here, anything else the caller fails.
 */
int mtier_client_keepalive(struct mtier_link *link, u32 timeout_ms,
			   u64 *donor_free)
{
	struct mtier_msg req = { .type = MTIER_MSG_KEEPALIVE }, rep = { };
	struct mtier_conn *conn = to_conn(link);
	int err;

	err = mtier_ctrl_call(conn, &req, &rep, timeout_ms);
	if (!err)
		*donor_free = le64_to_cpu(rep.keepalive.free);
	else if (rep.status)
		mtier_conn_fail(conn, "keepalive answered with an error");
	return err;
}

static bool mtier_conn_on_device(struct mtier_link *link, void *dev)
{
	return to_conn(link)->dev == dev;
}

/**
 * mtier_client_device_removed - drop a peer's connection on a removed device
 * @peer: the peer, one of the RDMA transport
 * @dev: the device going away
 *
 * Context: process context; may sleep.  Returns when the connection is gone;
 * the peer tries again later, on whatever device then leads to its donor.
 */
void mtier_client_device_removed(struct mtier_peer *peer, struct ib_device *dev)
{
	mtier_peer_reset(peer, mtier_conn_on_device, dev, "device removed");
}

/**
 * mtier_client_alloc_slab - get a slab of the connection's size
 * @link: the connection
 * @rs: its size, id, address and key are filled
 *
 * Context: process context, conn_rwsem held for reading; sleeps for a
 * round trip.
 * Return: 0, -ENOSPC when the donor is full, -ENOMEM when it could not
 * allocate, -EPROTO for a malformed reply, or another error.
 */
int mtier_client_alloc_slab(struct mtier_link *link, struct mtier_rslab *rs)
{
	struct mtier_msg req = { .type = MTIER_MSG_ALLOC }, rep = { };
	struct mtier_conn *conn = to_conn(link);
	u64 len, addr;
	u16 status;
	int err;

	req.alloc.len = cpu_to_le64(link->slab_size);
	err = mtier_ctrl_call(conn, &req, &rep, MTIER_CALL_MS);
	status = le16_to_cpu(rep.status);	/* 0 when no reply came */
	if (err && err != -ENOSPC && err != -ENOMEM &&
	    status && status <= MAX_ERRNO) {
		/* an errno, but not one an ALLOC may get */
		mtier_conn_fail(conn, "bad reply to a slab request");
		err = -EPROTO;
	}
	len = le64_to_cpu(rep.alloc.len);
	addr = le64_to_cpu(rep.alloc.addr);
	/* Exactly the size asked, and every byte of it addressable. */
	if (!err && (len != link->slab_size || addr > U64_MAX - (len - 1))) {
		mtier_conn_fail(conn, "bad reply to a slab request");
		err = -EPROTO;
	}
	if (!err) {
		rs->size = len;
		rs->id = le64_to_cpu(rep.alloc.slab);
		rs->addr = addr;
		rs->key = le32_to_cpu(rep.alloc.rkey);
	}
	return err;
}

/**
 * mtier_client_free_slab - give a slab back to its donor
 * @link: the connection it was allocated on
 * @rs: the slab
 *
 * Context: process context, conn_rwsem held for reading; sleeps for a
 * round trip.
 */
void mtier_client_free_slab(struct mtier_link *link,
			    const struct mtier_rslab *rs)
{
	struct mtier_msg req = { .type = MTIER_MSG_FREE }, rep = { };
	struct mtier_conn *conn = to_conn(link);
	int err;

	req.free.slab = cpu_to_le64(rs->id);
	err = mtier_ctrl_call(conn, &req, &rep, MTIER_CALL_MS);
	/* FREE has no error: the donor kept a slab we let go of */
	if ((!err && rep.free.slab != req.free.slab) || (err && rep.status))
		mtier_conn_fail(conn, "bad reply to a slab release");
}

/**
 * mtier_client_submit - start a one-sided transfer
 * @link: the connection, of the slab's generation
 * @qid: the I/O queue it comes from
 * @x: the transfer
 *
 * The request's pages are mapped for the connection's device and moved by
 * RDMA READ or WRITE straight from or into them, in as many work requests
 * as the device needs for its segments.  When the queue pair has no send
 * slots free, the transfer waits for them on the queue's backlog.
 *
 * Context: rcu_read_lock() held (the core's, on @link); does not sleep.
 * Return: 0 when @x->done will be or has been called, -ENOMEM when mapping
 * failed, -EIO when nothing was started (the connection is going).
 */
int mtier_client_submit(struct mtier_link *link, unsigned int qid,
			struct mtier_xfer *x)
{
	struct mtier_conn *conn = to_conn(link);
	struct mtier_rxfer *r = mtier_rxfer(x);
	struct scatterlist *sg;
	struct mtier_queue *q;
	unsigned long flags;
	bool going;
	int i;

	r->x = x;
	r->dev = conn->dev;
	r->mapped = ib_dma_map_sg(conn->dev, x->sgl, x->nents,
				  mtier_xfer_dir(x));
	if (!r->mapped)
		return -ENOMEM;
	for_each_sg(x->sgl, sg, r->mapped, i) {
		r->sge[i].addr = sg_dma_address(sg);
		r->sge[i].length = sg_dma_len(sg);
		r->sge[i].lkey = conn->pd->local_dma_lkey;
	}
	r->next = 0;
	r->remote = x->rs->addr + x->offset;
	r->cqe.done = mtier_xfer_done;
	r->status = BLK_STS_OK;
	INIT_LIST_HEAD(&r->wait);

	/* The last queue pair is the prefetches'; demand never waits on it. */
	q = &conn->data[qid == MTIER_QID_PREFETCH ? conn->nr_data - 1 :
			qid % (conn->nr_data - 1)];
	spin_lock_irqsave(&q->lock, flags);
	going = mtier_xfer_queue(q, r);
	spin_unlock_irqrestore(&q->lock, flags);
	if (going)
		return 0;
	if (r->next) {
		/* Its post failed, and so did the connection: end it. */
		mtier_xfer_end(r);
		return 0;
	}
	ib_dma_unmap_sg(conn->dev, x->sgl, x->nents, mtier_xfer_dir(x));
	return -EIO;
}

/* A synchronous zeroing write, for discard and write-zeroes. */
struct mtier_zero_wait {
	struct ib_cqe cqe;
	struct completion done;
	atomic_t pending;
	int error;
};

static void mtier_zero_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct mtier_zero_wait *zw = container_of(wc->wr_cqe,
						  struct mtier_zero_wait, cqe);
	LIST_HEAD(failed);

	if (wc->status != IB_WC_SUCCESS)
		zw->error = -EIO;
	mtier_queue_slot_done(cq->cq_context, &failed);
	mtier_xfers_fail(&failed);
	if (atomic_dec_and_test(&zw->pending))
		complete(&zw->done);
}

/*
 * Post a zeroing write when the queue has a slot (it goes before the
 * transfers waiting: zeroing is rare, one write at a time, and sleeps).
 * A wait_event condition: true once posted (*@err 0) or never to be.
 */
static bool mtier_zero_post(struct mtier_queue *q, struct ib_rdma_wr *wr,
			    int *err)
{
	unsigned long flags;
	bool ended = true;

	spin_lock_irqsave(&q->lock, flags);
	if (!q->live) {
		*err = -EIO;
	} else if (q->sq_free) {
		q->sq_free--;
		*err = ib_post_send(q->cm_id->qp, &wr->wr, NULL);
		if (*err)
			q->sq_free++;
	} else {
		ended = false;
	}
	spin_unlock_irqrestore(&q->lock, flags);
	return ended;
}

/**
 * mtier_client_zero - write zeroes over part of a remote slab
 * @link: the connection, of the slab's generation
 * @rs: the slab
 * @offset: where in the slab
 * @len: how much
 *
 * Each write gets the peer's timeout; one that takes longer fails the
 * connection.
 *
 * Context: process context, conn_rwsem held for reading; sleeps until the
 * donor has the zeroes.
 * Return: 0, or an error (the connection has failed then).
 */
int mtier_client_zero(struct mtier_link *link, const struct mtier_rslab *rs,
		      u64 offset, u64 len)
{
	struct mtier_zero_wait zw = { .cqe.done = mtier_zero_done };
	struct mtier_peer *peer = link->peer;
	unsigned long tmo = msecs_to_jiffies(READ_ONCE(peer->timeout_ms));
	struct mtier_conn *conn = to_conn(link);
	struct ib_sge sge[MTIER_MAX_SEGS];
	struct mtier_queue *q;
	struct ib_rdma_wr wr;
	int err = 0, n;

	q = &conn->data[0];
	while (len && !err) {
		u64 chunk = 0;

		for (n = 0; n < conn->max_sge_wr && chunk < len; n++) {
			sge[n].addr = conn->zero_dma;
			sge[n].length = min_t(u64, MTIER_ZERO_BYTES, len - chunk);
			sge[n].lkey = conn->pd->local_dma_lkey;
			chunk += sge[n].length;
		}
		memset(&wr, 0, sizeof(wr));
		wr.wr.wr_cqe = &zw.cqe;
		wr.wr.opcode = IB_WR_RDMA_WRITE;
		wr.wr.send_flags = IB_SEND_SIGNALED;
		wr.wr.sg_list = sge;
		wr.wr.num_sge = n;
		wr.remote_addr = rs->addr + offset;
		wr.rkey = rs->key;
		init_completion(&zw.done);
		atomic_set(&zw.pending, 1);
		if (!wait_event_timeout(q->sq_wait,
					mtier_zero_post(q, &wr, &err), tmo)) {
			atomic64_inc(&peer->timeouts);
			mtier_conn_fail(conn, "no send slot for zeroing");
			err = -EIO;
			break;
		}
		if (err)
			break;
		if (!wait_for_completion_timeout(&zw.done, tmo)) {
			atomic64_inc(&peer->timeouts);
			mtier_conn_fail(conn, "zeroing timed out");
			/*
			 * The work request points at @zw, on this stack: wait
			 * for its flush, which comes.  The failure has the
			 * peer's work (or mtier_peer_link_stop) close the
			 * connection, and closing drains every queue pair
			 * before it takes conn_rwsem for writing, which our
			 * caller's read hold keeps it from; nothing on that
			 * path waits for us before the drain.
			 */
			wait_for_completion(&zw.done);
			err = -EIO;
			break;
		}
		err = zw.error;
		offset += chunk;
		len -= chunk;
	}
	if (err)
		mtier_conn_fail(conn, "zeroing failed");
	return err;
}
