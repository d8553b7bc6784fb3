/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mtier: what the files of the RDMA transport share (rdma_core.c,
 * rdma_client.c, rdma_donor.c).  Nothing above the transport boundary
 * includes it.
 */
#ifndef _MTIER_RDMA_H
#define _MTIER_RDMA_H

#include <rdma/ib_verbs.h>
#include <rdma/rdma_cm.h>

#include "mtier.h"
#include "transport.h"

/* rdma_core.c */
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
