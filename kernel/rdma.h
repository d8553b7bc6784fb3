/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mtier: what the files of the RDMA transport share (rdma.c on top,
 * rdma_client.c and rdma_donor.c, rdma_core.c below both).  Nothing above
 * the transport boundary includes it.
 */
#ifndef _MTIER_RDMA_H
#define _MTIER_RDMA_H

#include <rdma/ib_verbs.h>
#include <rdma/rdma_cm.h>

#include "mtier.h"
#include "proto.h"
#include "transport.h"

/**
 * struct mtier_ring - the control messages of one end of a connection
 * @dev: the device they are mapped for
 * @lkey: the protection domain's local key for them
 * @rx: MTIER_CTRL_DEPTH receive buffers, one per posted receive
 * @tx: MTIER_CTRL_DEPTH send buffers, one per call (client) or reply (donor)
 * @rx_dma, @tx_dma: their DMA addresses; 0 while not mapped
 *
 * Both sides of the RDMA transport keep one per control queue pair; each
 * says who may use which buffer when.
 */
struct mtier_ring {
	struct ib_device *dev;
	u32 lkey;
	struct mtier_msg *rx;
	struct mtier_msg *tx;
	dma_addr_t rx_dma, tx_dma;
};

/* rdma.c */
extern const struct mtier_transport_ops mtier_rdma_transport;

/* rdma_core.c */
int mtier_ring_map(struct mtier_ring *ring, struct ib_pd *pd);
void mtier_ring_unmap(struct mtier_ring *ring);
int mtier_ring_post_recv(struct mtier_ring *ring, struct ib_qp *qp, int i,
			 struct ib_cqe *cqe);
void mtier_ring_rx_sync(struct mtier_ring *ring, int i);
void mtier_ring_tx_sge(struct mtier_ring *ring, int i, struct ib_sge *sge);
void mtier_msg_stamp(struct mtier_msg *msg, u16 status, __le64 tag);
bool mtier_msg_header_ok(const struct mtier_msg *msg);
bool mtier_rdma_qp_fatal(const struct ib_event *event);
struct ib_qp_init_attr
mtier_rdma_qp_attr(void (*event_handler)(struct ib_event *, void *),
		   void *context, struct ib_cq *cq, u32 send_wr, u32 recv_wr,
		   u32 send_sge);
struct rdma_cm_id *
mtier_rdma_create_id(struct net *net,
		     int (*handler)(struct rdma_cm_id *id,
				    struct rdma_cm_event *ev),
		     void *context);

/* rdma_donor.c */
int mtier_donor_listen(struct mtier_pool *pool, struct netlink_ext_ack *extack);
void mtier_donor_unlisten(struct mtier_pool *pool);
struct ib_device *mtier_donor_listener_device(struct mtier_pool *pool);
void mtier_donor_stop(struct mtier_pool *pool);
void mtier_donor_device_removed(struct ib_device *dev);

/* rdma_client.c */
struct mtier_link *mtier_client_connect(struct mtier_peer *peer);
void mtier_client_quiesce(struct mtier_link *link);
void mtier_client_close(struct mtier_link *link);
int mtier_client_keepalive(struct mtier_link *link, u32 timeout_ms,
			   u64 *donor_free);
int mtier_client_alloc_slab(struct mtier_link *link, struct mtier_rslab *rs);
void mtier_client_free_slab(struct mtier_link *link,
			    const struct mtier_rslab *rs);
int mtier_client_submit(struct mtier_link *link, unsigned int qid,
			struct mtier_xfer *x);
int mtier_client_zero(struct mtier_link *link, const struct mtier_rslab *rs,
		      u64 offset, u64 len);
void mtier_client_device_removed(struct mtier_peer *peer, struct ib_device *dev);

#endif /* _MTIER_RDMA_H */
