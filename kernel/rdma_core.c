// SPDX-License-Identifier: GPL-2.0
/*
 * mtier: what the RDMA transport's two sides share: rdma_cm ids in a
 * namespace, queue pair attributes and fatal events, the control message
 * rings (map, post, sync) and the control header's stamp and check.
 * Nothing here knows a client from a donor; rdma.c above both puts them
 * together.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>

#include "rdma.h"

/**
 * mtier_rdma_create_id - an rdma_cm id for a pool's or a peer's endpoint
 * @net: the owner's namespace (obj.net, on which we hold no reference)
 * @handler: the id's event handler
 * @context: its context
 *
 * rdma_cm takes a reference on @net for the id's life.  A namespace whose
 * last reference is gone is on its way to mtier_net_exit(), which deletes
 * the owner; taking a new reference on it then would revive a namespace
 * being torn down, so this refuses it, holding a reference of its own
 * while rdma_cm takes its.
 *
 * Return: the id, or an ERR_PTR(): -ENETDOWN when @net is going away.
 */
struct rdma_cm_id *
mtier_rdma_create_id(struct net *net,
		     int (*handler)(struct rdma_cm_id *id,
				    struct rdma_cm_event *ev),
		     void *context)
{
	struct rdma_cm_id *id;

	if (!maybe_get_net(net))
		return ERR_PTR(-ENETDOWN);
	id = rdma_create_id(net, handler, context, RDMA_PS_TCP, IB_QPT_RC);
	put_net(net);
	return id;
}

/* --- What both sides' control queue pairs use -------------------------- */

/**
 * mtier_ring_map - allocate a connection end's control buffers and map them
 * @ring: the ring, zeroed
 * @pd: the protection domain of the queue pair they are for
 *
 * Return: 0, or -ENOMEM with @ring as mtier_ring_unmap() leaves it.
 */
int mtier_ring_map(struct mtier_ring *ring, struct ib_pd *pd)
{
	size_t len = MTIER_CTRL_DEPTH * sizeof(struct mtier_msg);
	struct ib_device *dev = pd->device;

	ring->dev = dev;
	ring->lkey = pd->local_dma_lkey;
	ring->rx = kzalloc(len, GFP_KERNEL);
	ring->tx = kzalloc(len, GFP_KERNEL);
	if (!ring->rx || !ring->tx)
		goto err;
	ring->rx_dma = ib_dma_map_single(dev, ring->rx, len, DMA_FROM_DEVICE);
	if (ib_dma_mapping_error(dev, ring->rx_dma)) {
		ring->rx_dma = 0;
		goto err;
	}
	ring->tx_dma = ib_dma_map_single(dev, ring->tx, len, DMA_TO_DEVICE);
	if (ib_dma_mapping_error(dev, ring->tx_dma)) {
		ring->tx_dma = 0;
		goto err;
	}
	return 0;
err:
	mtier_ring_unmap(ring);
	return -ENOMEM;
}

/**
 * mtier_ring_unmap - unmap and free a ring's buffers
 * @ring: a ring mtier_ring_map() filled, fully or not, or a zeroed one
 *
 * Nothing may be posted on them any more (the queue pair is drained).
 */
void mtier_ring_unmap(struct mtier_ring *ring)
{
	size_t len = MTIER_CTRL_DEPTH * sizeof(struct mtier_msg);

	if (ring->rx_dma)
		ib_dma_unmap_single(ring->dev, ring->rx_dma, len,
				    DMA_FROM_DEVICE);
	if (ring->tx_dma)
		ib_dma_unmap_single(ring->dev, ring->tx_dma, len,
				    DMA_TO_DEVICE);
	ring->rx_dma = 0;
	ring->tx_dma = 0;
	kfree(ring->rx);
	kfree(ring->tx);
	ring->rx = NULL;
	ring->tx = NULL;
}

/**
 * mtier_ring_post_recv - post the receive of rx[@i]
 * @ring: the ring
 * @qp: its control queue pair
 * @i: which buffer
 * @cqe: its completion
 *
 * Return: what ib_post_recv() says.
 */
int mtier_ring_post_recv(struct mtier_ring *ring, struct ib_qp *qp, int i,
			 struct ib_cqe *cqe)
{
	struct ib_sge sge = {
		.addr = ring->rx_dma + i * sizeof(struct mtier_msg),
		.length = sizeof(struct mtier_msg),
		.lkey = ring->lkey,
	};
	struct ib_recv_wr wr = {
		.wr_cqe = cqe,
		.sg_list = &sge,
		.num_sge = 1,
	};

	return ib_post_recv(qp, &wr, NULL);
}

/* rx[@i] was received: let the CPU read it. */
void mtier_ring_rx_sync(struct mtier_ring *ring, int i)
{
	ib_dma_sync_single_for_cpu(ring->dev,
				   ring->rx_dma + i * sizeof(struct mtier_msg),
				   sizeof(struct mtier_msg), DMA_FROM_DEVICE);
}

/* tx[@i] is written: hand it to the device, described by @sge. */
void mtier_ring_tx_sge(struct mtier_ring *ring, int i, struct ib_sge *sge)
{
	sge->addr = ring->tx_dma + i * sizeof(struct mtier_msg);
	sge->length = sizeof(struct mtier_msg);
	sge->lkey = ring->lkey;
	ib_dma_sync_single_for_device(ring->dev, sge->addr, sge->length,
				      DMA_TO_DEVICE);
}

/* Give a control message its header; the type is the caller's. */
void mtier_msg_stamp(struct mtier_msg *msg, u16 status, __le64 tag)
{
	msg->magic = cpu_to_le32(MTIER_PROTO_MAGIC);
	msg->version = MTIER_PROTO_VERSION;
	msg->status = cpu_to_le16(status);
	msg->tag = tag;
}

/* A control message of our protocol and version. */
bool mtier_msg_header_ok(const struct mtier_msg *msg)
{
	return le32_to_cpu(msg->magic) == MTIER_PROTO_MAGIC &&
	       msg->version == MTIER_PROTO_VERSION;
}

/* A queue pair event after which the queue pair is of no more use. */
bool mtier_rdma_qp_fatal(const struct ib_event *event)
{
	return event->event == IB_EVENT_QP_FATAL ||
	       event->event == IB_EVENT_QP_ACCESS_ERR;
}

/**
 * mtier_rdma_qp_attr - what every queue pair of ours is
 * @event_handler: its asynchronous event handler
 * @context: for @event_handler
 * @cq: its send and receive completion queue
 * @send_wr: send queue depth
 * @recv_wr: receive queue depth
 * @send_sge: segments per send work request
 *
 * RC, one segment per receive, signaled work requests only.
 */
struct ib_qp_init_attr
mtier_rdma_qp_attr(void (*event_handler)(struct ib_event *, void *),
		   void *context, struct ib_cq *cq, u32 send_wr, u32 recv_wr,
		   u32 send_sge)
{
	return (struct ib_qp_init_attr) {
		.event_handler = event_handler,
		.qp_context = context,
		.send_cq = cq,
		.recv_cq = cq,
		.sq_sig_type = IB_SIGNAL_REQ_WR,
		.qp_type = IB_QPT_RC,
		.cap = {
			.max_send_wr = send_wr,
			.max_recv_wr = recv_wr,
			.max_send_sge = send_sge,
			.max_recv_sge = 1,
		},
	};
}
