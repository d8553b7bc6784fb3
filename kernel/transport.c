// SPDX-License-Identifier: GPL-2.0
/*
 * mtier: the transport core, a peer's connection whatever the transport.
 *
 * A peer has at most one connection (struct mtier_link) to its donor at a
 * time, opened and closed by its transport (struct mtier_transport_ops).
 * The peer's work item owns its life: it connects, and when anything fails
 * (mtier_link_fail(): a transfer in error, a keepalive without answer, a
 * disconnect, a device going away) it tears the connection down and tries
 * again every MTIER_RECONNECT_MS.  Each successful connection has a new
 * generation number; slabs carry the generation they were allocated in,
 * and a slab of an older generation is lost: its data went with the
 * donor's session.  While a connection is up, a keepalive goes every
 * peer->keepalive_ms; one that does not come back fails it.
 *
 * Locking and lifetime (the fields are in struct mtier_peer, mtier.h):
 *  - peer->lock serialises opening and closing peer->link, and
 *    peer->gen_next.
 *  - peer->link is published with RCU.  The I/O path reads it under
 *    rcu_read_lock() and the transport posts under its own queue locks,
 *    which its quiesce takes first, so nothing is posted on a connection
 *    being drained.
 *  - Control calls (keepalive, slab allocation and release, zeroing),
 *    which sleep, hold peer->conn_rwsem for reading (mtier_link_get());
 *    closing quiesces the link first, which fails the pending calls, then
 *    takes it for writing before it unpublishes the link.
 *  - Every completion of a link has run before the transport frees it
 *    (@quiesce drains), and an RCU grace period has passed since it was
 *    unpublished: a completion may always use its link, and the I/O path
 *    its RCU-read link.
 *  - The peer outlives its works: mtier_peer_link_stop() sets
 *    peer->stopping (failures stop queueing peer->work), closes the link
 *    (nothing can fail it after that), and only then cancels peer->work.
 *  - peer->tops is set once, when the peer starts, and never changes.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ktime.h>
#include <linux/rcupdate.h>
#include <linux/workqueue.h>

#include "mtier.h"
#include "transport.h"

#define MTIER_RECONNECT_MS	2000

/*
 * The transports, by enum mtier_transport.  Each registers itself while
 * the module loads, before the netlink family can start a pool or a peer,
 * and unregisters after the last of them is gone: the table does not
 * change while anything reads it.
 */
static const struct mtier_transport_ops *mtier_transports[MTIER_TRANSPORT_TCP + 1];

/**
 * mtier_transport_register - make a transport available
 * @transport: enum mtier_transport
 * @ops: its operations; NULL to unregister
 *
 * Context: module load or unload only (see above).
 */
void mtier_transport_register(u32 transport,
			      const struct mtier_transport_ops *ops)
{
	if (!WARN_ON(transport >= ARRAY_SIZE(mtier_transports)))
		mtier_transports[transport] = ops;
}

/**
 * mtier_transport_get - the transport of an endpoint
 * @transport: enum mtier_transport
 *
 * Return: its operations, or NULL when it is not implemented.
 */
const struct mtier_transport_ops *mtier_transport_get(u32 transport)
{
	if (transport >= ARRAY_SIZE(mtier_transports))
		return NULL;
	return mtier_transports[transport];
}

/**
 * mtier_link_fail - give up on a connection
 * @link: the connection
 * @why: for the log
 *
 * The first failure is logged and has the peer's work close the link and
 * reconnect; later ones do nothing.
 *
 * Context: any.
 */
void mtier_link_fail(struct mtier_link *link, const char *why)
{
	struct mtier_peer *peer = link->peer;

	if (atomic_xchg(&link->failed, 1))
		return;
	pr_info("peer %s: connection lost: %s\n", peer->obj.name, why);
	/* A stopping peer closes its link itself (mtier_peer_link_stop). */
	if (!READ_ONCE(peer->stopping))
		mod_delayed_work(mtier_wq, &peer->work, 0);
}

/*
 * Tear the link down; its slabs are lost from now on.  Quiescing first
 * completes whatever a control call waits for, so the readers of
 * conn_rwsem let go.
 *
 * Context: peer->lock held.
 */
static void mtier_link_close(struct mtier_peer *peer)
{
	struct mtier_link *link;

	link = rcu_dereference_protected(peer->link,
					 lockdep_is_held(&peer->lock));
	if (!link)
		return;
	atomic_set(&link->failed, 1);
	peer->tops->quiesce(link);
	cancel_delayed_work_sync(&peer->ka_work);
	down_write(&peer->conn_rwsem);
	rcu_assign_pointer(peer->link, NULL);
	up_write(&peer->conn_rwsem);
	synchronize_rcu();
	peer->tops->close(link);
}

static void mtier_peer_set_state(struct mtier_peer *peer, u32 state)
{
	if (READ_ONCE(peer->state) == state)
		return;
	WRITE_ONCE(peer->state, state);
	mtier_obj_changed(&peer->obj, MTIER_EV_CHANGE);
}

/* The link was closed for a failure: count it and say so. */
static void mtier_peer_link_lost(struct mtier_peer *peer)
{
	atomic64_inc(&peer->errors);
	mtier_peer_set_state(peer, MTIER_PEER_STATE_FAILED);
}

/* Get the link for a control call; NULL when there is none. */
static struct mtier_link *mtier_link_get(struct mtier_peer *peer)
{
	struct mtier_link *link;

	down_read(&peer->conn_rwsem);
	link = rcu_dereference_protected(peer->link,
					 lockdep_is_held(&peer->conn_rwsem));
	if (!link || atomic_read(&link->failed)) {
		up_read(&peer->conn_rwsem);
		return NULL;
	}
	return link;
}

static void mtier_link_put(struct mtier_peer *peer)
{
	up_read(&peer->conn_rwsem);
}

/*
 * Keepalives run as long as the link is up: each one that does not queue
 * the next fails the link, whatever went wrong, so that they never stop
 * silently.  The only early return is for a link that is failed or gone
 * already: the peer's work tears it down and starts keepalives again with
 * the next one.
 */
static void mtier_peer_keepalive(struct work_struct *work)
{
	struct mtier_peer *peer = container_of(to_delayed_work(work),
					       struct mtier_peer, ka_work);
	struct mtier_link *link;
	u64 donor_free;
	ktime_t start;
	int err;

	link = mtier_link_get(peer);
	if (!link)
		return;
	start = ktime_get();
	err = peer->tops->keepalive(link, READ_ONCE(peer->timeout_ms),
				    &donor_free);
	if (!err) {
		WRITE_ONCE(peer->rtt_us, ktime_us_delta(ktime_get(), start));
		WRITE_ONCE(peer->donor_free, donor_free);
		queue_delayed_work(mtier_wq, &peer->ka_work,
				   msecs_to_jiffies(READ_ONCE(peer->keepalive_ms)));
	} else {
		mtier_link_fail(link, "keepalive failed");
	}
	mtier_link_put(peer);
}

/*
 * The peer's one work item: connect when there is no link, tear a failed
 * one down and come back later to connect again.
 */
static void mtier_peer_work(struct work_struct *work)
{
	struct mtier_peer *peer = container_of(to_delayed_work(work),
					       struct mtier_peer, work);
	struct mtier_link *link;

	mutex_lock(&peer->lock);
	if (READ_ONCE(peer->stopping))
		goto out;
	link = rcu_dereference_protected(peer->link,
					 lockdep_is_held(&peer->lock));
	if (link) {
		if (atomic_read(&link->failed)) {
			mtier_link_close(peer);
			mtier_peer_link_lost(peer);
			queue_delayed_work(mtier_wq, &peer->work,
					   msecs_to_jiffies(MTIER_RECONNECT_MS));
		}
		goto out;
	}

	link = peer->tops->connect(peer);
	if (IS_ERR(link)) {
		if (READ_ONCE(peer->last_error) != -PTR_ERR(link))
			pr_info("peer %s: cannot connect to %pISpc: %ld\n",
				peer->obj.name, &peer->ep.addr, PTR_ERR(link));
		WRITE_ONCE(peer->last_error, -PTR_ERR(link));
		queue_delayed_work(mtier_wq, &peer->work,
				   msecs_to_jiffies(MTIER_RECONNECT_MS));
		goto out;
	}
	link->gen = ++peer->gen_next;
	down_write(&peer->conn_rwsem);
	rcu_assign_pointer(peer->link, link);
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
 * mtier_peer_link_start - start connecting a peer
 * @peer: the peer, configured
 *
 * Return: 0, or -EOPNOTSUPP when its transport is not implemented.
 */
int mtier_peer_link_start(struct mtier_peer *peer)
{
	peer->tops = mtier_transport_get(peer->ep.transport);
	if (!peer->tops)
		return -EOPNOTSUPP;
	mutex_init(&peer->lock);
	init_rwsem(&peer->conn_rwsem);
	INIT_DELAYED_WORK(&peer->work, mtier_peer_work);
	INIT_DELAYED_WORK(&peer->ka_work, mtier_peer_keepalive);
	WRITE_ONCE(peer->state, MTIER_PEER_STATE_CONNECTING);
	queue_delayed_work(mtier_wq, &peer->work, 0);
	return 0;
}

/**
 * mtier_peer_link_stop - disconnect a peer for good
 * @peer: the peer, started, with no tier left
 *
 * Context: process context; may sleep.
 */
void mtier_peer_link_stop(struct mtier_peer *peer)
{
	/*
	 * Close first, then cancel: until the link is closed, a disconnect,
	 * a queue error or a failed completion may fail it and queue the
	 * work again.  Once stopping is set the work does nothing, and a
	 * failure no longer queues it; once the link is closed nothing can
	 * fail it; the cancel then waits for a work queued or running before
	 * that, so none is left to run on a freed peer.
	 */
	WRITE_ONCE(peer->stopping, true);
	mutex_lock(&peer->lock);
	mtier_link_close(peer);
	mutex_unlock(&peer->lock);
	cancel_delayed_work_sync(&peer->work);
	WRITE_ONCE(peer->state, MTIER_PEER_STATE_DOWN);
}

/**
 * mtier_peer_reset - close a peer's link now if it matches
 * @peer: the peer
 * @match: says whether the link is to go (called under peer->lock)
 * @arg: for @match
 * @why: for the log
 *
 * For what the transport learns outside any link (a device going away).
 * Context: process context; may sleep.  Returns when the link is gone; the
 * peer tries again later.
 */
void mtier_peer_reset(struct mtier_peer *peer,
		      bool (*match)(struct mtier_link *link, void *arg),
		      void *arg, const char *why)
{
	struct mtier_link *link;

	mutex_lock(&peer->lock);
	link = rcu_dereference_protected(peer->link,
					 lockdep_is_held(&peer->lock));
	if (link && match(link, arg)) {
		pr_info("peer %s: connection lost: %s\n",
			peer->obj.name, why);
		mtier_link_close(peer);
		mtier_peer_link_lost(peer);
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
	struct mtier_link *link;

	rcu_read_lock();
	link = rcu_dereference(peer->link);
	if (link)
		mtier_link_fail(link, why);
	rcu_read_unlock();
}

/* --- What the tier uses ---------------------------------------------- */

u64 mtier_peer_gen(struct mtier_peer *peer)
{
	struct mtier_link *link;
	u64 gen = 0;

	rcu_read_lock();
	link = rcu_dereference(peer->link);
	if (link && !atomic_read(&link->failed))
		gen = link->gen;
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
 * The size is checked against the link the slab is asked on, not against
 * peer->slab_size: a reconnect may have brought another one.
 *
 * Context: process context; sleeps for a round trip.
 * Return: 0, -ENOSPC when the donor is full, -ENOTCONN when the peer is not
 * up, -EMEDIUMTYPE when the donor's slabs are not of @size, -EPROTO for a
 * malformed reply, or another error.
 */
int mtier_peer_alloc_slab(struct mtier_peer *peer, u64 size,
			  struct mtier_rslab *rs)
{
	struct mtier_link *link;
	int err;

	link = mtier_link_get(peer);
	if (!link)
		return -ENOTCONN;
	if (size && link->slab_size != size) {
		pr_warn_ratelimited("peer %s: slab size %llu is not the tier's %llu: no slab taken\n",
				    peer->obj.name, link->slab_size, size);
		mtier_link_put(peer);
		return -EMEDIUMTYPE;
	}
	err = peer->tops->alloc_slab(link, rs);
	if (err == -ENOSPC)
		WRITE_ONCE(peer->donor_free, 0);
	if (!err) {
		rs->peer = peer;
		rs->gen = link->gen;
		atomic64_inc(&peer->slabs);
	}
	mtier_link_put(peer);
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
	struct mtier_peer *peer = rs->peer;
	struct mtier_link *link;

	atomic64_dec(&peer->slabs);
	link = mtier_link_get(peer);
	if (!link)
		return;
	if (link->gen == rs->gen)
		peer->tops->free_slab(link, rs);
	mtier_link_put(peer);
}

/**
 * mtier_peer_submit - start a one-sided transfer
 * @peer: the peer holding the slab
 * @qid: the I/O queue it comes from, or MTIER_QID_PREFETCH
 * @x: the transfer
 *
 * Context: any; does not sleep.
 * Return: 0 when @x->done will be called, -ENOMEM when it should be tried
 * again a little later, or another error when nothing was started (the
 * slab's connection is gone).
 */
int mtier_peer_submit(struct mtier_peer *peer, unsigned int qid,
		      struct mtier_xfer *x)
{
	struct mtier_link *link;
	int err;

	rcu_read_lock();
	link = rcu_dereference(peer->link);
	if (!link || atomic_read(&link->failed) || link->gen != x->rs->gen)
		err = -EIO;
	else
		err = peer->tops->submit(link, qid, x);
	rcu_read_unlock();
	return err;
}

/**
 * mtier_peer_zero - write zeroes over part of a remote slab
 * @peer: the peer holding it
 * @rs: the slab
 * @offset: where in the slab
 * @len: how much
 *
 * Context: process context; sleeps until the donor has the zeroes.
 * Return: 0, or -EIO (the connection failed, or the slab is lost).
 */
int mtier_peer_zero(struct mtier_peer *peer, const struct mtier_rslab *rs,
		    u64 offset, u64 len)
{
	struct mtier_link *link;
	int err;

	link = mtier_link_get(peer);
	if (!link)
		return -EIO;
	if (link->gen != rs->gen)
		err = -EIO;
	else
		err = peer->tops->zero(link, rs, offset, len);
	mtier_link_put(peer);
	return err;
}
