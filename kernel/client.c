// SPDX-License-Identifier: GPL-2.0
/*
 * mtier: the client side of the RDMA transport, the connection of a peer.
 *
 * A connection (struct mtier_conn) is one control queue pair and one data
 * queue pair per I/O queue to the same donor, all in one protection domain.
 * The peer's work item owns its life: it connects, and when anything fails
 * (a work completion in error, a keepalive without answer, a disconnect, a
 * device going away) it tears the connection down and tries again later.
 * Each successful connection has a new generation number; slabs carry the
 * generation they were allocated in, and a slab of an older generation is
 * lost: its data went with the donor's session.
 *
 * Locking and lifetime:
 *  - peer->conn is published with RCU.  The I/O path reads it under
 *    rcu_read_lock() and posts under the queue's lock, checking queue->live;
 *    teardown clears live under that lock first, so nothing is posted on a
 *    queue pair being drained.
 *  - Control calls, which sleep, hold peer->conn_rwsem for reading;
 *    teardown fails the pending calls, then takes it for writing before it
 *    unpublishes the connection.
 *  - Work completions of a connection are all drained before it is freed,
 *    so a completion may always use its connection.
 *  - The peer outlives its works: mtier_client_stop() sets peer->stopping
 *    (failures stop queueing peer->work), closes the connection (nothing
 *    can fail it after that), and only then cancels peer->work.
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
#include <rdma/rdma_cm.h>

#include "mtier.h"
#include "proto.h"
#include "transport.h"

#define MTIER_RESOLVE_MS	2000
#define MTIER_CONNECT_MS	10000	/* one queue's whole handshake */
#define MTIER_RECONNECT_MS	2000
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

struct mtier_conn {
	struct mtier_peer *peer;
	u64 gen;
	struct ib_device *dev;
	struct ib_pd *pd;
	u32 max_sge_wr, max_sge_rd;	/* segments per WRITE, per READ */
	u32 sq_depth;			/* send slots of a data queue pair */
	u64 session;
	u8 token[MTIER_TOKEN_LEN];	/* the session's, for data queues */
	u64 slab_size;
	atomic_t failed;
	bool dead;			/* no new calls (call_lock) */

	struct mtier_queue ctrl;
	struct mtier_queue *data;
	int nr_data;

	struct mtier_msg *tx, *rx;	/* MTIER_CTRL_DEPTH each */
	dma_addr_t tx_dma, rx_dma;
	struct ib_cqe rx_cqe[MTIER_CTRL_DEPTH];	/* one per receive buffer */
	struct ib_cqe tx_cqe;
	spinlock_t call_lock;		/* calls[], seq, dead */
	struct mtier_call *calls[MTIER_CTRL_DEPTH];
	struct semaphore credits;
	u64 seq;

	void *zero;			/* MTIER_ZERO_BYTES of zeroes */
	dma_addr_t zero_dma;
};

static void mtier_conn_fail(struct mtier_conn *conn, const char *why)
{
	struct mtier_peer *peer = conn->peer;

	if (atomic_xchg(&conn->failed, 1))
		return;
	pr_info("mtier: peer %s: connection lost: %s\n", peer->obj.name, why);
	/* A stopping peer closes its connection itself (mtier_client_stop). */
	if (!READ_ONCE(peer->stopping))
		mod_delayed_work(mtier_wq, &peer->work, 0);
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
	struct ib_sge sge = {
		.addr = conn->rx_dma + i * sizeof(struct mtier_msg),
		.length = sizeof(struct mtier_msg),
		.lkey = conn->pd->local_dma_lkey,
	};
	struct ib_recv_wr wr = {
		.wr_cqe = &conn->rx_cqe[i],
		.sg_list = &sge,
		.num_sge = 1,
	};

	return ib_post_recv(conn->ctrl.cm_id->qp, &wr, NULL);
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
	msg = &conn->rx[i];
	ib_dma_sync_single_for_cpu(conn->dev, conn->rx_dma + i * sizeof(*msg),
				   sizeof(*msg), DMA_FROM_DEVICE);
	slot = le64_to_cpu(msg->tag) % MTIER_CTRL_DEPTH;
	spin_lock_irqsave(&conn->call_lock, flags);
	if (le32_to_cpu(msg->magic) == MTIER_PROTO_MAGIC &&
	    msg->version == MTIER_PROTO_VERSION && conn->calls[slot] &&
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
		atomic64_inc(&conn->peer->timeouts);
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

	req->magic = cpu_to_le32(MTIER_PROTO_MAGIC);
	req->version = MTIER_PROTO_VERSION;
	req->status = 0;
	req->tag = cpu_to_le64(call.tag);
	conn->tx[slot] = *req;
	sge.addr = conn->tx_dma + slot * sizeof(*req);
	sge.length = sizeof(*req);
	sge.lkey = conn->pd->local_dma_lkey;
	wr.sg_list = &sge;
	ib_dma_sync_single_for_device(conn->dev, sge.addr, sge.length,
				      DMA_TO_DEVICE);
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
				atomic64_inc(&conn->peer->timeouts);
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
static void mtier_xfer_end(struct mtier_xfer *x)
{
	ib_dma_unmap_sg(x->dev, x->sgl, x->nents, mtier_xfer_dir(x));
	x->done(x, x->status);
}

/* End transfers taken off a backlog (or never posted) with an error. */
static void mtier_xfers_fail(struct list_head *list)
{
	struct mtier_xfer *x, *tmp;

	list_for_each_entry_safe(x, tmp, list, wait) {
		list_del_init(&x->wait);
		x->status = BLK_STS_IOERR;
		mtier_xfer_end(x);
	}
}

static u32 mtier_xfer_max_sge(const struct mtier_conn *conn,
			      const struct mtier_xfer *x)
{
	return x->write ? conn->max_sge_wr : conn->max_sge_rd;
}

/* Work requests, hence send slots, of @x's next round. */
static int mtier_xfer_round(const struct mtier_conn *conn,
			    const struct mtier_xfer *x)
{
	return min_t(int, DIV_ROUND_UP(x->mapped - x->next,
				       mtier_xfer_max_sge(conn, x)),
		     MTIER_XFER_MAX_WR);
}

/*
 * Post @x's next round, taking its slots.  q->lock held; the queue is live
 * and has the slots.  Returns false when nothing of it is in flight any
 * more and the caller must end it (the post failed; so did the connection).
 */
static bool mtier_xfer_post(struct mtier_queue *q, struct mtier_xfer *x)
{
	struct mtier_conn *conn = q->conn;
	u32 max_sge = mtier_xfer_max_sge(conn, x);
	int i, k, nr_wr = mtier_xfer_round(conn, x);
	struct ib_rdma_wr wr[MTIER_XFER_MAX_WR];
	const struct ib_send_wr *bad;
	int err;

	for (i = 0; i < nr_wr; i++) {
		int nsge = min_t(int, max_sge, x->mapped - x->next);

		memset(&wr[i], 0, sizeof(wr[i]));
		wr[i].wr.next = i + 1 < nr_wr ? &wr[i + 1].wr : NULL;
		wr[i].wr.wr_cqe = &x->cqe;
		wr[i].wr.opcode = x->write ? IB_WR_RDMA_WRITE : IB_WR_RDMA_READ;
		wr[i].wr.send_flags = IB_SEND_SIGNALED;
		wr[i].wr.sg_list = &x->sge[x->next];
		wr[i].wr.num_sge = nsge;
		wr[i].remote_addr = x->remote;
		wr[i].rkey = x->rs->rkey;
		for (k = 0; k < nsge; k++)
			x->remote += x->sge[x->next + k].length;
		x->next += nsge;
	}
	q->sq_free -= nr_wr;
	atomic_set(&x->pending, nr_wr);
	err = ib_post_send(q->cm_id->qp, &wr[0].wr, &bad);
	if (likely(!err))
		return true;

	/* Those before @bad were posted and will complete: the rest not. */
	for (i = 0; i < nr_wr && &wr[i].wr != bad; i++)
		;
	q->sq_free += nr_wr - i;
	x->status = BLK_STS_IOERR;
	x->next = x->mapped;
	mtier_conn_fail(conn, "cannot post a transfer");
	return !atomic_sub_and_test(nr_wr - i, &x->pending);
}

/*
 * Post @x's next round, or queue it behind the transfers already waiting
 * for slots.  q->lock held.  Returns false when the caller must end it.
 */
static bool mtier_xfer_queue(struct mtier_queue *q, struct mtier_xfer *x)
{
	if (!q->live)
		return false;
	if (list_empty(&q->backlog) &&
	    q->sq_free >= mtier_xfer_round(q->conn, x))
		return mtier_xfer_post(q, x);
	list_add_tail(&x->wait, &q->backlog);
	atomic64_inc(&q->conn->peer->sq_waits);
	return true;
}

/*
 * A work request of the queue completed: its slot is free again.  Post
 * what waits for slots; what cannot be posted goes to @failed.
 */
static void mtier_queue_slot_done(struct mtier_queue *q,
				  struct list_head *failed)
{
	struct mtier_xfer *x;
	unsigned long flags;

	spin_lock_irqsave(&q->lock, flags);
	q->sq_free++;
	while (q->live &&
	       (x = list_first_entry_or_null(&q->backlog, struct mtier_xfer,
					     wait)) &&
	       q->sq_free >= mtier_xfer_round(q->conn, x)) {
		list_del_init(&x->wait);
		if (!mtier_xfer_post(q, x))
			list_add_tail(&x->wait, failed);
	}
	spin_unlock_irqrestore(&q->lock, flags);
	if (wq_has_sleeper(&q->sq_wait))
		wake_up(&q->sq_wait);
}

static void mtier_xfer_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct mtier_xfer *x = container_of(wc->wr_cqe, struct mtier_xfer, cqe);
	struct mtier_queue *q = cq->cq_context;
	unsigned long flags;
	LIST_HEAD(failed);
	bool going;

	if (unlikely(wc->status != IB_WC_SUCCESS)) {
		x->status = BLK_STS_IOERR;
		x->next = x->mapped;
		if (wc->status != IB_WC_WR_FLUSH_ERR) {
			atomic64_inc(&q->conn->peer->errors);
			mtier_conn_fail(q->conn, ib_wc_status_msg(wc->status));
		}
	}
	mtier_queue_slot_done(q, &failed);
	if (atomic_dec_and_test(&x->pending)) {
		/* The round is over: the next one, or the end. */
		going = false;
		if (x->next < x->mapped) {
			spin_lock_irqsave(&q->lock, flags);
			going = mtier_xfer_queue(q, x);
			spin_unlock_irqrestore(&q->lock, flags);
			if (!going)
				x->status = BLK_STS_IOERR;
		}
		if (!going)
			list_add_tail(&x->wait, &failed);
	}
	/* (a transfer that ends well ends here too, with its status) */
	while (!list_empty(&failed)) {
		x = list_first_entry(&failed, struct mtier_xfer, wait);
		list_del_init(&x->wait);
		mtier_xfer_end(x);
	}
}

/* --- Queues ----------------------------------------------------------- */

static int mtier_client_cm_handler(struct rdma_cm_id *id,
				   struct rdma_cm_event *ev);

static void mtier_queue_qp_event(struct ib_event *event, void *ctx)
{
	struct mtier_queue *q = ctx;

	if (event->event == IB_EVENT_QP_FATAL ||
	    event->event == IB_EVENT_QP_ACCESS_ERR ||
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
	struct ib_qp_init_attr attr = {
		.event_handler = mtier_queue_qp_event,
		.qp_context = q,
		.sq_sig_type = IB_SIGNAL_REQ_WR,
		.qp_type = IB_QPT_RC,
		.cap = {
			.max_send_wr = depth,
			.max_recv_wr = ctrl ? MTIER_CTRL_DEPTH + 1 : 1,
			.max_send_sge = ctrl ? 1 : conn->max_sge_wr,
			.max_recv_sge = 1,
		},
	};
	int err;

	q->cq = ib_alloc_cq(conn->dev, q, depth + attr.cap.max_recv_wr,
			    (q->qid + 1) % conn->dev->num_comp_vectors,
			    IB_POLL_SOFTIRQ);
	if (IS_ERR(q->cq)) {
		err = PTR_ERR(q->cq);
		q->cq = NULL;
		return err;
	}
	attr.send_cq = q->cq;
	attr.recv_cq = q->cq;
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
	conn->slab_size = slab;
	WRITE_ONCE(conn->peer->slab_size, slab);
	WRITE_ONCE(conn->peer->donor_free, le64_to_cpu(rep->free));
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
	struct mtier_peer *peer = conn->peer;
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
	if (conn->dev) {
		if (conn->rx_dma)
			ib_dma_unmap_single(conn->dev, conn->rx_dma,
					    MTIER_CTRL_DEPTH * sizeof(*conn->rx),
					    DMA_FROM_DEVICE);
		if (conn->tx_dma)
			ib_dma_unmap_single(conn->dev, conn->tx_dma,
					    MTIER_CTRL_DEPTH * sizeof(*conn->tx),
					    DMA_TO_DEVICE);
		if (conn->zero_dma)
			ib_dma_unmap_single(conn->dev, conn->zero_dma,
					    MTIER_ZERO_BYTES, DMA_TO_DEVICE);
	}
	if (conn->pd)
		ib_dealloc_pd(conn->pd);
	kfree(conn->rx);
	kfree(conn->tx);
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
	conn->peer = peer;
	conn->ctrl.qid = -1;
	/* One data queue pair per CPU, and one for prefetches. */
	conn->nr_data = min_t(int, num_possible_cpus(), MTIER_MAX_QUEUES - 1) + 1;
	spin_lock_init(&conn->call_lock);
	sema_init(&conn->credits, MTIER_CTRL_DEPTH);
	for (i = 0; i < MTIER_CTRL_DEPTH; i++)
		conn->rx_cqe[i].done = mtier_ctrl_rx_done;
	conn->tx_cqe.done = mtier_ctrl_tx_done;
	conn->data = kcalloc(conn->nr_data, sizeof(*conn->data), GFP_KERNEL);
	conn->rx = kcalloc(MTIER_CTRL_DEPTH, sizeof(*conn->rx), GFP_KERNEL);
	conn->tx = kcalloc(MTIER_CTRL_DEPTH, sizeof(*conn->tx), GFP_KERNEL);
	conn->zero = kzalloc(MTIER_ZERO_BYTES, GFP_KERNEL);
	/* Teardown takes every queue's lock, connected or not. */
	mtier_queue_init(conn, &conn->ctrl);
	if (!conn->data)
		conn->nr_data = 0;
	if (!conn->data || !conn->rx || !conn->tx || !conn->zero) {
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
	err = mtier_conn_map(conn, conn->rx, MTIER_CTRL_DEPTH * sizeof(*conn->rx),
			     DMA_FROM_DEVICE, &conn->rx_dma);
	if (!err)
		err = mtier_conn_map(conn, conn->tx,
				     MTIER_CTRL_DEPTH * sizeof(*conn->tx),
				     DMA_TO_DEVICE, &conn->tx_dma);
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

/*
 * Tear the connection down; its slabs are lost from now on.  Quiescing
 * first completes whatever a control call or a zeroing waits for, so the
 * readers of conn_rwsem let go.
 *
 * Context: peer->lock held.
 */
static void mtier_conn_close(struct mtier_peer *peer)
{
	struct mtier_conn *conn;

	conn = rcu_dereference_protected(peer->conn,
					 lockdep_is_held(&peer->lock));
	if (!conn)
		return;
	atomic_set(&conn->failed, 1);
	mtier_conn_quiesce(conn);
	cancel_delayed_work_sync(&peer->ka_work);
	down_write(&peer->conn_rwsem);
	rcu_assign_pointer(peer->conn, NULL);
	up_write(&peer->conn_rwsem);
	synchronize_rcu();
	mtier_conn_free(conn);
}

static void mtier_peer_set_state(struct mtier_peer *peer, u32 state)
{
	if (READ_ONCE(peer->state) == state)
		return;
	WRITE_ONCE(peer->state, state);
	mtier_obj_changed(&peer->obj, MTIER_EV_CHANGE);
}

/* Get the connection for a control call; NULL when there is none. */
static struct mtier_conn *mtier_conn_get(struct mtier_peer *peer)
{
	struct mtier_conn *conn;

	down_read(&peer->conn_rwsem);
	conn = rcu_dereference_protected(peer->conn,
					 lockdep_is_held(&peer->conn_rwsem));
	if (!conn || atomic_read(&conn->failed)) {
		up_read(&peer->conn_rwsem);
		return NULL;
	}
	return conn;
}

static void mtier_conn_put(struct mtier_peer *peer)
{
	up_read(&peer->conn_rwsem);
}

/*
 * Keepalives run as long as the connection is up: each one that does not
 * queue the next fails the connection, whatever went wrong (no answer, no
 * slot, a post, a bad reply, an error status), so that they never stop
 * silently.  The only early return is for a connection that is failed or
 * gone already: the peer's work tears it down and starts keepalives again
 * with the next one.
 */
static void mtier_peer_keepalive(struct work_struct *work)
{
	struct mtier_peer *peer = container_of(to_delayed_work(work),
					       struct mtier_peer, ka_work);
	struct mtier_msg req = { .type = MTIER_MSG_KEEPALIVE }, rep = { };
	struct mtier_conn *conn;
	ktime_t start;
	int err;

	conn = mtier_conn_get(peer);
	if (!conn)
		return;
	start = ktime_get();
	err = mtier_ctrl_call(conn, &req, &rep, READ_ONCE(peer->timeout_ms));
	if (!err) {
		WRITE_ONCE(peer->rtt_us, ktime_us_delta(ktime_get(), start));
		WRITE_ONCE(peer->donor_free, le64_to_cpu(rep.keepalive.free));
		queue_delayed_work(mtier_wq, &peer->ka_work,
				   msecs_to_jiffies(READ_ONCE(peer->keepalive_ms)));
	} else {
		mtier_conn_fail(conn, rep.status ?
				"keepalive answered with an error" :
				"keepalive failed");
	}
	mtier_conn_put(peer);
}

/*
 * The peer's one work item: connect when there is no connection, tear a
 * failed one down and come back later to connect again.
 */
static void mtier_peer_work(struct work_struct *work)
{
	struct mtier_peer *peer = container_of(to_delayed_work(work),
					       struct mtier_peer, work);
	struct mtier_conn *conn;

	mutex_lock(&peer->lock);
	if (READ_ONCE(peer->stopping))
		goto out;
	conn = rcu_dereference_protected(peer->conn,
					 lockdep_is_held(&peer->lock));
	if (conn) {
		if (atomic_read(&conn->failed)) {
			mtier_conn_close(peer);
			atomic64_inc(&peer->errors);
			mtier_peer_set_state(peer, MTIER_PEER_STATE_FAILED);
			queue_delayed_work(mtier_wq, &peer->work,
					   msecs_to_jiffies(MTIER_RECONNECT_MS));
		}
		goto out;
	}

	conn = mtier_conn_open(peer);
	if (IS_ERR(conn)) {
		if (READ_ONCE(peer->last_error) != -PTR_ERR(conn))
			pr_info("mtier: peer %s: cannot connect to %pISpc: %ld\n",
				peer->obj.name, &peer->ep.addr, PTR_ERR(conn));
		WRITE_ONCE(peer->last_error, -PTR_ERR(conn));
		queue_delayed_work(mtier_wq, &peer->work,
				   msecs_to_jiffies(MTIER_RECONNECT_MS));
		goto out;
	}
	conn->gen = ++peer->gen_next;
	down_write(&peer->conn_rwsem);
	rcu_assign_pointer(peer->conn, conn);
	up_write(&peer->conn_rwsem);
	WRITE_ONCE(peer->last_error, 0);
	atomic64_inc(&peer->connects);
	mtier_peer_set_state(peer, MTIER_PEER_STATE_UP);
	queue_delayed_work(mtier_wq, &peer->ka_work,
			   msecs_to_jiffies(READ_ONCE(peer->keepalive_ms)));
out:
	mutex_unlock(&peer->lock);
}

/**
 * mtier_client_start - start connecting a peer
 * @peer: the peer
 */
void mtier_client_start(struct mtier_peer *peer)
{
	mutex_init(&peer->lock);
	init_rwsem(&peer->conn_rwsem);
	INIT_DELAYED_WORK(&peer->work, mtier_peer_work);
	INIT_DELAYED_WORK(&peer->ka_work, mtier_peer_keepalive);
	WRITE_ONCE(peer->state, MTIER_PEER_STATE_CONNECTING);
	queue_delayed_work(mtier_wq, &peer->work, 0);
}

/**
 * mtier_client_stop - disconnect a peer for good
 * @peer: the peer, with no tier left
 *
 * Context: process context; may sleep.
 */
void mtier_client_stop(struct mtier_peer *peer)
{
	/*
	 * Close first, then cancel: until the connection is closed, a
	 * disconnect, a queue pair error or a failed completion may fail it
	 * and queue the work again.  Once stopping is set the work does
	 * nothing, and a failure no longer queues it; once the connection is
	 * closed nothing can fail it; the cancel then waits for a work
	 * queued or running before that, so none is left to run on a freed
	 * peer.
	 */
	WRITE_ONCE(peer->stopping, true);
	mutex_lock(&peer->lock);
	mtier_conn_close(peer);
	mutex_unlock(&peer->lock);
	cancel_delayed_work_sync(&peer->work);
	WRITE_ONCE(peer->state, MTIER_PEER_STATE_DOWN);
}

/**
 * mtier_client_device_removed - drop a peer's connection on a removed device
 * @peer: the peer
 * @dev: the device going away
 *
 * Context: process context; may sleep.  Returns when the connection is gone;
 * the peer tries again later, on whatever device then leads to its donor.
 */
void mtier_client_device_removed(struct mtier_peer *peer, struct ib_device *dev)
{
	struct mtier_conn *conn;

	mutex_lock(&peer->lock);
	conn = rcu_dereference_protected(peer->conn,
					 lockdep_is_held(&peer->lock));
	if (conn && conn->dev == dev) {
		pr_info("mtier: peer %s: connection lost: device removed\n",
			peer->obj.name);
		mtier_conn_close(peer);
		atomic64_inc(&peer->errors);
		mtier_peer_set_state(peer, MTIER_PEER_STATE_FAILED);
		mod_delayed_work(mtier_wq, &peer->work,
				 msecs_to_jiffies(MTIER_RECONNECT_MS));
	}
	mutex_unlock(&peer->lock);
}

/**
 * mtier_peer_fail - give up on a peer's current connection
 * @peer: the peer
 * @why: for the log
 *
 * Context: any.  The peer's work tears the connection down and reconnects.
 */
void mtier_peer_fail(struct mtier_peer *peer, const char *why)
{
	struct mtier_conn *conn;

	rcu_read_lock();
	conn = rcu_dereference(peer->conn);
	if (conn)
		mtier_conn_fail(conn, why);
	rcu_read_unlock();
}

/* --- What the tier uses (transport.h) --------------------------------- */

u64 mtier_peer_gen(struct mtier_peer *peer)
{
	struct mtier_conn *conn;
	u64 gen = 0;

	rcu_read_lock();
	conn = rcu_dereference(peer->conn);
	if (conn && !atomic_read(&conn->failed))
		gen = conn->gen;
	rcu_read_unlock();
	return gen;
}

u64 mtier_peer_slab_size(struct mtier_peer *peer)
{
	return READ_ONCE(peer->slab_size);
}

u64 mtier_peer_donor_free(struct mtier_peer *peer)
{
	return READ_ONCE(peer->donor_free);
}

/**
 * mtier_peer_alloc_slab - get a slab from a peer's donor
 * @peer: the peer
 * @size: the slab size the caller needs, or 0 for the donor's
 * @rs: filled with the slab
 *
 * The size is checked against the connection the slab is asked on, not
 * against peer->slab_size: a reconnect may have brought another one.
 *
 * Context: process context; sleeps for a round trip.
 * Return: 0, -ENOSPC when the donor is full, -ENOTCONN when the peer is not
 * up, -EMEDIUMTYPE when the donor's slabs are not of @size, -EPROTO for a
 * malformed reply, or another error.
 */
int mtier_peer_alloc_slab(struct mtier_peer *peer, u64 size,
			  struct mtier_rslab *rs)
{
	struct mtier_msg req = { .type = MTIER_MSG_ALLOC }, rep = { };
	struct mtier_conn *conn;
	u64 len, addr;
	u16 status;
	int err;

	conn = mtier_conn_get(peer);
	if (!conn)
		return -ENOTCONN;
	if (size && conn->slab_size != size) {
		pr_warn_ratelimited("mtier: peer %s: slab size %llu is not the tier's %llu: no slab taken\n",
				    peer->obj.name, conn->slab_size, size);
		mtier_conn_put(peer);
		return -EMEDIUMTYPE;
	}
	req.alloc.len = cpu_to_le64(conn->slab_size);
	err = mtier_ctrl_call(conn, &req, &rep, MTIER_CALL_MS);
	status = le16_to_cpu(rep.status);	/* 0 when no reply came */
	if (err == -ENOSPC) {
		WRITE_ONCE(peer->donor_free, 0);
	} else if (err && err != -ENOMEM && status && status <= MAX_ERRNO) {
		/* an errno, but not one an ALLOC may get */
		mtier_conn_fail(conn, "bad reply to a slab request");
		err = -EPROTO;
	}
	len = le64_to_cpu(rep.alloc.len);
	addr = le64_to_cpu(rep.alloc.addr);
	/* Exactly the size asked, and every byte of it addressable. */
	if (!err && (len != conn->slab_size || addr > U64_MAX - (len - 1))) {
		mtier_conn_fail(conn, "bad reply to a slab request");
		err = -EPROTO;
	}
	if (!err) {
		rs->peer = peer;
		rs->gen = conn->gen;
		rs->size = len;
		rs->id = le64_to_cpu(rep.alloc.slab);
		rs->addr = addr;
		rs->rkey = le32_to_cpu(rep.alloc.rkey);
		atomic64_inc(&peer->slabs);
	}
	mtier_conn_put(peer);
	return err;
}

/**
 * mtier_peer_free_slab - give a slab back to its donor
 * @rs: the slab
 *
 * A slab of an older connection is gone already; nothing to send then.
 *
 * Context: process context; sleeps for a round trip.
 */
void mtier_peer_free_slab(struct mtier_rslab *rs)
{
	struct mtier_msg req = { .type = MTIER_MSG_FREE }, rep = { };
	struct mtier_peer *peer = rs->peer;
	struct mtier_conn *conn;
	int err;

	atomic64_dec(&peer->slabs);
	conn = mtier_conn_get(peer);
	if (!conn)
		return;
	if (conn->gen == rs->gen) {
		req.free.slab = cpu_to_le64(rs->id);
		err = mtier_ctrl_call(conn, &req, &rep, MTIER_CALL_MS);
		/* FREE has no error: the donor kept a slab we let go of */
		if ((!err && rep.free.slab != req.free.slab) ||
		    (err && rep.status))
			mtier_conn_fail(conn, "bad reply to a slab release");
	}
	mtier_conn_put(peer);
}

/**
 * mtier_peer_submit - start a one-sided transfer
 * @peer: the peer holding the slab
 * @qid: the I/O queue it comes from
 * @x: the transfer
 *
 * The request's pages are mapped for the peer's device and moved by RDMA
 * READ or WRITE straight from or into them, in as many work requests as
 * the device needs for its segments.  When the queue pair has no send
 * slots free, the transfer waits for them on the queue's backlog.
 *
 * Context: any; does not sleep.
 * Return: 0 when @x->done will be called, or an error when nothing was
 * started (the slab's connection is gone, or mapping failed).
 */
int mtier_peer_submit(struct mtier_peer *peer, unsigned int qid,
		      struct mtier_xfer *x)
{
	struct scatterlist *sg;
	struct mtier_conn *conn;
	struct mtier_queue *q;
	unsigned long flags;
	bool going;
	int i, err;

	rcu_read_lock();
	conn = rcu_dereference(peer->conn);
	if (!conn || atomic_read(&conn->failed) || conn->gen != x->rs->gen) {
		err = -EIO;
		goto out;
	}
	x->dev = conn->dev;
	x->mapped = ib_dma_map_sg(conn->dev, x->sgl, x->nents,
				  mtier_xfer_dir(x));
	if (!x->mapped) {
		err = -ENOMEM;
		goto out;
	}
	for_each_sg(x->sgl, sg, x->mapped, i) {
		x->sge[i].addr = sg_dma_address(sg);
		x->sge[i].length = sg_dma_len(sg);
		x->sge[i].lkey = conn->pd->local_dma_lkey;
	}
	x->next = 0;
	x->remote = x->rs->addr + x->offset;
	x->cqe.done = mtier_xfer_done;
	x->status = BLK_STS_OK;
	INIT_LIST_HEAD(&x->wait);

	/* The last queue pair is the prefetches'; demand never waits on it. */
	q = &conn->data[qid == MTIER_QID_PREFETCH ? conn->nr_data - 1 :
			qid % (conn->nr_data - 1)];
	spin_lock_irqsave(&q->lock, flags);
	going = mtier_xfer_queue(q, x);
	spin_unlock_irqrestore(&q->lock, flags);
	if (going) {
		err = 0;
		goto out;
	}
	if (x->next) {
		/* Its post failed, and so did the connection: end it. */
		rcu_read_unlock();
		mtier_xfer_end(x);
		return 0;
	}
	err = -EIO;
	ib_dma_unmap_sg(conn->dev, x->sgl, x->nents, mtier_xfer_dir(x));
out:
	rcu_read_unlock();
	return err;
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
 * mtier_peer_zero - write zeroes over part of a remote slab
 * @peer: the peer holding it
 * @rs: the slab
 * @offset: where in the slab
 * @len: how much
 *
 * Each write gets the peer's timeout; one that takes longer fails the
 * connection.
 *
 * Context: process context; sleeps until the donor has the zeroes.
 */
int mtier_peer_zero(struct mtier_peer *peer, const struct mtier_rslab *rs,
		    u64 offset, u64 len)
{
	struct mtier_zero_wait zw = { .cqe.done = mtier_zero_done };
	unsigned long tmo = msecs_to_jiffies(READ_ONCE(peer->timeout_ms));
	struct ib_sge sge[MTIER_MAX_SEGS];
	struct mtier_conn *conn;
	struct mtier_queue *q;
	struct ib_rdma_wr wr;
	int err = 0, n;

	conn = mtier_conn_get(peer);
	if (!conn)
		return -EIO;
	if (conn->gen != rs->gen) {
		mtier_conn_put(peer);
		return -EIO;
	}
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
		wr.rkey = rs->rkey;
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
			 * peer's work (or mtier_client_stop) close the
			 * connection, and closing drains every queue pair
			 * before it takes conn_rwsem for writing, which our
			 * read hold keeps it from; nothing on that path waits
			 * for us before the drain.
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
	mtier_conn_put(peer);
	return err;
}
