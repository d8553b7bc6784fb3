/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mtier: what a tier needs from the connection to a peer.
 *
 * The tier places its slabs on peers and moves data with one-sided
 * transfers; it knows nothing of queue pairs.  client.c implements this
 * for RDMA; a TCP transport would implement the same calls.
 */
#ifndef _MTIER_TRANSPORT_H
#define _MTIER_TRANSPORT_H

#include <linux/blk-mq.h>
#include <linux/scatterlist.h>
#include <rdma/ib_verbs.h>

struct mtier_peer;

/**
 * struct mtier_rslab - a slab this node holds on a donor
 * @peer: the peer it lives on (the tier holds a reference on the peer)
 * @gen: connection generation it was allocated in; it is lost (its data
 *	gone) once the peer's connection is not that generation any more
 * @size: bytes, the slab size of that connection
 * @id: the donor's id for it
 * @addr: remote address of its first byte
 * @rkey: remote key for RDMA READ and WRITE
 */
struct mtier_rslab {
	struct mtier_peer *peer;
	u64 gen;
	u64 size;
	u64 id;
	u64 addr;
	u32 rkey;
};

/*
 * The largest number of segments a request may have, whatever the device.
 * A transfer is split into work requests of as many segments as the
 * device takes in one (its max_send_sge for a WRITE, max_sge_rd for a
 * READ), and those are posted in rounds of at most MTIER_XFER_MAX_WR: a
 * device that takes few segments per work request makes a transfer take
 * more rounds, never fail.
 */
#define MTIER_MAX_SEGS		64
#define MTIER_XFER_MAX_WR	8
/* The queue of low-priority transfers (prefetches): a queue pair of its own. */
#define MTIER_QID_PREFETCH	(~0U)

/**
 * struct mtier_xfer - one one-sided transfer between a request and a slab
 * @sgl: the request's segments (filled by the tier)
 * @nents: entries in @sgl
 * @write: WRITE to the remote slab (else READ)
 * @rs: the remote slab
 * @offset: where in the slab the transfer starts
 * @len: bytes
 * @done: called once, from completion context, with the outcome
 *
 * The rest is the transport's: the mapped segments, the round in flight
 * (@pending work requests), where the next round starts (@next segment,
 * @remote address), and @wait, the entry on its queue's backlog while it
 * waits for send slots.
 */
struct mtier_xfer {
	struct scatterlist *sgl;
	int nents;
	bool write;
	const struct mtier_rslab *rs;
	u64 offset;
	u32 len;
	void (*done)(struct mtier_xfer *x, blk_status_t status);

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

u64 mtier_peer_gen(struct mtier_peer *peer);
u64 mtier_peer_slab_size(struct mtier_peer *peer);
u64 mtier_peer_donor_free(struct mtier_peer *peer);
int mtier_peer_alloc_slab(struct mtier_peer *peer, u64 size,
			  struct mtier_rslab *rs);
void mtier_peer_free_slab(struct mtier_rslab *rs);
int mtier_peer_submit(struct mtier_peer *peer, unsigned int qid,
		      struct mtier_xfer *x);
int mtier_peer_zero(struct mtier_peer *peer, const struct mtier_rslab *rs,
		    u64 offset, u64 len);

#endif /* _MTIER_TRANSPORT_H */
