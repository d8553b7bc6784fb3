// SPDX-License-Identifier: GPL-2.0
/*
 * mtier: peers, the donor nodes this node takes memory from.
 *
 * A peer owns the connection to one donor's pool (transport.c, over the
 * peer's transport).  Tiers
 * spread their memory over peers; a peer in use by a tier cannot be
 * deleted.
 */
#include <linux/netlink.h>
#include <linux/slab.h>

#include "mtier.h"
#include "transport.h"

static const char *mtier_peer_busy(struct mtier_obj *obj)
{
	return to_peer(obj)->tiers ? "peer is used by a tier" : NULL;
}

static void mtier_peer_stop(struct mtier_obj *obj)
{
	mtier_peer_link_stop(to_peer(obj));
}

static void mtier_peer_release(struct mtier_obj *obj)
{
	/* No reference on peer->ep.net to drop: see mtier.h. */
	kfree(to_peer(obj));
}

const struct mtier_obj_ops mtier_peer_ops = {
	.kind		= "peer",
	.type		= MTIER_OBJ_PEER,
	.busy		= mtier_peer_busy,
	.stop		= mtier_peer_stop,
	.release	= mtier_peer_release,
};

struct mtier_peer *mtier_peer_create(const char *name, struct net *net)
{
	struct mtier_peer *peer;

	peer = kzalloc(sizeof(*peer), GFP_KERNEL);
	if (!peer)
		return NULL;
	mtier_obj_init(&peer->obj, &mtier_peer_ops, name, net);
	peer->keepalive_ms = MTIER_KEEPALIVE_DEFAULT;
	peer->timeout_ms = MTIER_TIMEOUT_DEFAULT;
	peer->state = MTIER_PEER_STATE_DOWN;
	return peer;
}

/**
 * mtier_peer_start - bring a configured peer into service
 * @peer: the peer, not linked yet
 * @extack: where to explain a failure
 *
 * The peer connects in the background (transport.c): its state goes from
 * connecting to up, and monitors hear about it.
 *
 * Context: mtier_lock held.
 */
int mtier_peer_start(struct mtier_peer *peer, struct netlink_ext_ack *extack)
{
	int err;

	lockdep_assert_held(&mtier_lock);
	err = mtier_peer_link_start(peer);
	if (err)
		NL_SET_ERR_MSG(extack, "transport not supported");
	return err;
}
