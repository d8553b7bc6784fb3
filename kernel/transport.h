/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mtier: the transport boundary.
 *
 * Above it, the tier places its slabs on peers and moves data with
 * one-sided transfers, through the mtier_peer_*() calls below; it knows
 * nothing of queue pairs or sockets.  Below it, a transport (struct
 * mtier_transport_ops) opens and closes connections to donors, moves the
 * data, and listens for clients on the donor side.  Between the two, the
 * transport core (transport.c) owns what every transport shares: the
 * connection state machine of a peer, keepalives, reconnection and
 * generation numbers.  RDMA (rdma_core.c, rdma_client.c, rdma_donor.c)
 * is the one transport so far.
 *
 * Only transport-neutral types appear here.
 */
#ifndef _MTIER_TRANSPORT_H
#define _MTIER_TRANSPORT_H

#include <linux/atomic.h>
#include <linux/blk-mq.h>
#include <linux/scatterlist.h>

struct mtier_peer;
struct mtier_pool;
struct netlink_ext_ack;

/**
 * struct mtier_rslab - a slab this node holds on a donor
 * @peer: the peer it lives on (the tier holds a reference on the peer)
 * @gen: connection generation it was allocated in; it is lost (its data
 *	gone) once the peer's connection is not that generation any more
 * @size: bytes, the slab size of that connection
 * @id: the donor's id for it
 * @addr: remote address of its first byte, as the transport names it
 * @key: what else the transport needs to reach it (RDMA: its rkey)
 */
struct mtier_rslab {
	struct mtier_peer *peer;
	u64 gen;
	u64 size;
	u64 id;
	u64 addr;
	u64 key;
};

/* The largest number of segments a request may have, whatever the link. */
#define MTIER_MAX_SEGS		64
/* The queue of low-priority transfers (prefetches): a queue of its own. */
#define MTIER_QID_PREFETCH	(~0U)

/*
 * Bytes of a transfer that belong to its transport: room for 16 bytes a
 * segment and 128 more.  A transport checks at build time that its state
 * fits (BUILD_BUG_ON).
 */
#define MTIER_XFER_PRIV_SIZE	(MTIER_MAX_SEGS * 16 + 128)

/**
 * struct mtier_xfer - one one-sided transfer between a request and a slab
 * @sgl: the request's segments (filled by the tier)
 * @nents: entries in @sgl
 * @write: WRITE to the remote slab (else READ)
 * @rs: the remote slab
 * @offset: where in the slab the transfer starts
 * @len: bytes
 * @done: called once, from completion context, with the outcome
 * @priv: the transport's, from submission to @done; the tier does not
 *	touch it
 */
struct mtier_xfer {
	struct scatterlist *sgl;
	int nents;
	bool write;
	const struct mtier_rslab *rs;
	u64 offset;
	u32 len;
	void (*done)(struct mtier_xfer *x, blk_status_t status);
	u64 priv[MTIER_XFER_PRIV_SIZE / sizeof(u64)];
};

/* Fill @x for a transfer of @len bytes at @offset of @rs. */
static inline void mtier_xfer_init(struct mtier_xfer *x,
				   struct scatterlist *sgl, int nents,
				   bool write, const struct mtier_rslab *rs,
				   u64 offset, u32 len,
				   void (*done)(struct mtier_xfer *x,
						blk_status_t status))
{
	x->sgl = sgl;
	x->nents = nents;
	x->write = write;
	x->rs = rs;
	x->offset = offset;
	x->len = len;
	x->done = done;
}

/**
 * struct mtier_link - one connection of a peer to its donor
 * @peer: the peer it belongs to
 * @gen: its generation: slabs allocated on it carry it (set by the core
 *	before the link is published, never changed after)
 * @slab_size: the donor's slab size on this connection (set by the
 *	transport's connect, never changed after)
 * @failed: set once, by mtier_link_fail(): nothing new is started on it,
 *	and the core closes it
 *
 * A transport embeds it in its own connection.  Its life is the core's
 * (transport.c, where the rules are written): published with RCU in
 * peer->link, closed and freed by the peer's work.
 */
struct mtier_link {
	struct mtier_peer *peer;
	u64 gen;
	u64 slab_size;
	atomic_t failed;
};

/**
 * struct mtier_transport_ops - what a transport does
 * @name: for the log
 * @connect: open a connection to @peer's donor (peer->ep); sleeps; returns
 *	the link with @slab_size set, or an ERR_PTR()
 * @quiesce: stop everything on @link: nothing posted any more, calls and
 *	transfers in flight ended with an error, every completion run; may be
 *	called more than once, last by @close
 * @close: quiesce and free @link
 * @keepalive: one keepalive round trip within @timeout_ms; on success
 *	give the donor's free bytes in *@donor_free; any error fails the link
 * @alloc_slab: ask the donor for a slab of @link->slab_size; fill @rs's
 *	@size, @id, @addr and @key; sleeps; -ENOSPC when the donor is full
 * @free_slab: give @rs, of this link's generation, back; sleeps
 * @submit: start @x on @link's queue for @qid; does not sleep (called
 *	under rcu_read_lock()); 0 when @x->done will be or has been called,
 *	-ENOMEM to be tried again later, another error when nothing started
 * @zero: write zeroes over part of @rs; sleeps until the donor has them
 * @listen: start listening for clients of @pool (pool->ep); mtier_lock held
 * @stop: stop listening and end every session of @pool; mtier_lock held
 *
 * @keepalive, @alloc_slab, @free_slab and @zero are called with the peer's
 * conn_rwsem held for reading: @link stays open while they run.
 */
struct mtier_transport_ops {
	const char *name;
	/* client side */
	struct mtier_link *(*connect)(struct mtier_peer *peer);
	void (*quiesce)(struct mtier_link *link);
	void (*close)(struct mtier_link *link);
	int (*keepalive)(struct mtier_link *link, u32 timeout_ms,
			 u64 *donor_free);
	int (*alloc_slab)(struct mtier_link *link, struct mtier_rslab *rs);
	void (*free_slab)(struct mtier_link *link,
			  const struct mtier_rslab *rs);
	int (*submit)(struct mtier_link *link, unsigned int qid,
		      struct mtier_xfer *x);
	int (*zero)(struct mtier_link *link, const struct mtier_rslab *rs,
		    u64 offset, u64 len);
	/* donor side */
	int (*listen)(struct mtier_pool *pool, struct netlink_ext_ack *extack);
	void (*stop)(struct mtier_pool *pool);
};

/* transport.c: for the transports */
void mtier_transport_register(u32 transport,
			      const struct mtier_transport_ops *ops);
const struct mtier_transport_ops *mtier_transport_get(u32 transport);
void mtier_link_fail(struct mtier_link *link, const char *why);
void mtier_peer_reset(struct mtier_peer *peer,
		      bool (*match)(struct mtier_link *link, void *arg),
		      void *arg, const char *why);

/* transport.c: for the peer object */
int mtier_peer_link_start(struct mtier_peer *peer);
void mtier_peer_link_stop(struct mtier_peer *peer);

/* transport.c: for the tier */
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
void mtier_peer_fail(struct mtier_peer *peer, const char *why);

#endif /* _MTIER_TRANSPORT_H */
