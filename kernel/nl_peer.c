// SPDX-License-Identifier: GPL-2.0
/*
 * mtier: the control plane of peers (nl.h): their attributes in replies
 * and notifications (fill), and peer-add and peer-set, which check what the
 * policy cannot and explain every refusal in the extack.  They run under
 * mtier_lock, taken by mtier_nl_pre_doit(); get, dump and del are nl.c's.
 */
#include <net/genetlink.h>

#include "nl.h"

static const struct mtier_nl_ep_attrs mtier_peer_ep_attrs = {
	MTIER_A_PEER_ADDR, MTIER_A_PEER_PORT, MTIER_A_PEER_TRANSPORT,
};

static int mtier_nl_fill_peer(struct sk_buff *skb, struct mtier_obj *obj)
{
	static const u16 stat_attrs[] = {
		MTIER_A_PEER_STATS_SLABS, MTIER_A_PEER_STATS_CONNECTS,
		MTIER_A_PEER_STATS_ERRORS, MTIER_A_PEER_STATS_TIMEOUTS,
		MTIER_A_PEER_STATS_SQ_WAITS,
	};
	struct mtier_peer *peer = to_peer(obj);
	u64 stats[] = {
		atomic64_read(&peer->slabs),
		atomic64_read(&peer->connects),
		atomic64_read(&peer->errors),
		atomic64_read(&peer->timeouts),
		atomic64_read(&peer->sq_waits),
	};

	BUILD_BUG_ON(ARRAY_SIZE(stats) != ARRAY_SIZE(stat_attrs));
	if (nla_put_u32(skb, MTIER_A_PEER_ID, obj->id) ||
	    nla_put_string(skb, MTIER_A_PEER_NAME, obj->name) ||
	    mtier_nl_put_ep(skb, &mtier_peer_ep_attrs, &peer->ep) ||
	    nla_put_u32(skb, MTIER_A_PEER_STATE, READ_ONCE(peer->state)) ||
	    nla_put_u32(skb, MTIER_A_PEER_RTT, READ_ONCE(peer->rtt_us)) ||
	    nla_put_u32(skb, MTIER_A_PEER_KEEPALIVE, peer->keepalive_ms) ||
	    nla_put_u32(skb, MTIER_A_PEER_TIMEOUT, peer->timeout_ms) ||
	    nla_put_u32(skb, MTIER_A_PEER_TIERS, peer->tiers) ||
	    nla_put_uint(skb, MTIER_A_PEER_SLAB_SIZE, READ_ONCE(peer->slab_size)) ||
	    nla_put_uint(skb, MTIER_A_PEER_DONOR_FREE, READ_ONCE(peer->donor_free)) ||
	    nla_put_u32(skb, MTIER_A_PEER_ERROR, READ_ONCE(peer->last_error)))
		return -EMSGSIZE;
	return mtier_nl_put_counters(skb, MTIER_A_PEER_STATS, stat_attrs, stats,
				     ARRAY_SIZE(stats));
}

const struct mtier_nl_kind mtier_nl_peer_kind = {
	.ops		= &mtier_peer_ops,
	.attr_name	= MTIER_A_PEER_NAME,
	.cmd_get	= MTIER_CMD_PEER_GET,
	.cmd_del	= MTIER_CMD_PEER_DEL,
	.cmd_set	= MTIER_CMD_PEER_SET,
	.cmd_ntf	= { MTIER_CMD_PEER_ADD_NTF, MTIER_CMD_PEER_DEL_NTF,
			    MTIER_CMD_PEER_CHANGE_NTF },
	.fill		= mtier_nl_fill_peer,
};

static int mtier_nl_parse_peer_timers(struct genl_info *info,
				      struct mtier_peer *peer)
{
	const struct nlattr *ka = info->attrs[MTIER_A_PEER_KEEPALIVE];
	const struct nlattr *to = info->attrs[MTIER_A_PEER_TIMEOUT];
	u32 keepalive = ka ? nla_get_u32(ka) : peer->keepalive_ms;
	u32 timeout = to ? nla_get_u32(to) : peer->timeout_ms;

	if (timeout <= keepalive) {
		NL_SET_ERR_MSG_ATTR_FMT(info->extack, to ? to : ka,
					"timeout (%u ms) must exceed keepalive (%u ms)",
					timeout, keepalive);
		return -EINVAL;
	}
	peer->keepalive_ms = keepalive;
	peer->timeout_ms = timeout;
	return 0;
}

int mtier_nl_peer_add_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct mtier_peer *peer, *other;
	unsigned long id = 0;
	struct mtier_obj *obj;
	const char *name;
	int err;

	name = mtier_nl_new_name(info, MTIER_A_PEER_NAME, &mtier_peer_ops);
	if (IS_ERR(name))
		return PTR_ERR(name);
	peer = mtier_peer_create(name, genl_info_net(info));
	if (!peer)
		return -ENOMEM;
	err = mtier_nl_parse_ep(info, &mtier_peer_ep_attrs, NULL, &peer->ep);
	if (err)
		goto err_put;
	while ((obj = mtier_obj_next(MTIER_OBJ_PEER, peer->obj.net, &id))) {
		other = to_peer(obj);
		if (mtier_nl_ep_equal(&other->ep, &peer->ep)) {
			NL_SET_ERR_MSG_ATTR_FMT(info->extack,
						info->attrs[MTIER_A_PEER_ADDR],
						"peer '%s' already uses this address and port",
						other->obj.name);
			err = -EEXIST;
			goto err_put;
		}
		id++;
	}
	err = mtier_nl_parse_peer_timers(info, peer);
	if (err)
		goto err_put;
	err = mtier_peer_start(peer, info->extack);
	if (err)
		goto err_put;
	err = mtier_obj_link(&peer->obj);
	if (err)
		goto err_stop;
	return 0;

err_stop:
	mtier_peer_ops.stop(&peer->obj);
err_put:
	mtier_obj_put(&peer->obj);
	return err;
}

int mtier_nl_peer_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct mtier_obj *obj = mtier_nl_obj(info);
	int err;

	if (!info->attrs[MTIER_A_PEER_KEEPALIVE] &&
	    !info->attrs[MTIER_A_PEER_TIMEOUT]) {
		NL_SET_ERR_MSG(info->extack,
			       "nothing to change: give keepalive or timeout");
		return -EINVAL;
	}
	err = mtier_nl_parse_peer_timers(info, to_peer(obj));
	if (!err)
		mtier_obj_changed(obj, MTIER_EV_CHANGE);
	return err;
}
