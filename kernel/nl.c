// SPDX-License-Identifier: GPL-2.0
/*
 * mtier: the generic netlink control plane.
 *
 * The policies and the split ops come from nl-gen.c, generated from
 * Documentation/netlink/specs/mtier.yaml.  This file holds the handlers:
 * they check what the policies cannot (names, sizes, relations between
 * attributes, references to other objects), explain every refusal in the
 * extack with the offending attribute, and turn objects into messages.
 *
 * Every do-handler runs under mtier_lock between mtier_nl_pre_doit() and
 * mtier_nl_post_doit(), the spec's pre and post hooks (the family has
 * parallel_ops, so the lock is ours to take); a request that names an
 * existing object finds it looked up already (mtier_nl_obj()).  Dumps
 * take the lock by hand for each part.
 *
 * The family is netnsok: a request is about the objects of the
 * requester's namespace only (genl_info_net(), sock_net() for dumps),
 * changes need CAP_NET_ADMIN over that namespace (the ops are
 * uns-admin-perm), and notifications go to the object's namespace only.
 *
 * Notifications: every layer below reports what happens to an object
 * through the registry's one event callback (mtier_obj_changed()), which
 * this file subscribes to while the family is registered; the handlers
 * here report their own changes the same way.  Clearing the subscription
 * waits for notifications in progress, so none races with the family's
 * unregistration.
 */
#include <linux/ctype.h>
#include <linux/inet.h>
#include <linux/mm.h>
#include <net/genetlink.h>
#include <net/ipv6.h>

#include "mtier.h"
#include "nl-gen.h"

/**
 * struct mtier_nl_kind - how one kind of object appears on the wire
 * @ops: the kind's object operations (its type, its name in messages)
 * @attr_name: attribute carrying its name
 * @cmd_get: command of get requests and replies, and of dumps
 * @cmd_del: command deleting one
 * @cmd_set: command changing one
 * @cmd_ntf: command announcing each enum mtier_event
 * @fill: put the object's attributes into a message
 */
struct mtier_nl_kind {
	const struct mtier_obj_ops *ops;
	int attr_name;
	u8 cmd_get;
	u8 cmd_del;
	u8 cmd_set;
	u8 cmd_ntf[MTIER_EV_NR];
	int (*fill)(struct sk_buff *skb, struct mtier_obj *obj);
};

static const struct mtier_nl_kind mtier_nl_kinds[MTIER_OBJ_NR];

/* --- Attribute helpers ------------------------------------------------ */

/* A mandatory attribute, or NULL with the extack saying which is missing. */
static const struct nlattr *mtier_nl_need(struct genl_info *info, int type,
					  const char *what)
{
	if (GENL_REQ_ATTR_CHECK(info, type)) {
		NL_SET_ERR_MSG_FMT(info->extack, "missing attribute: %s", what);
		return NULL;
	}
	return info->attrs[type];
}

/* Names are 1-31 bytes of [A-Za-z0-9._-]: safe in sysfs, shells and JSON. */
static int mtier_nl_check_name(struct netlink_ext_ack *extack,
			       const struct nlattr *nla, const char *name)
{
	const char *c;

	if (!*name) {
		NL_SET_ERR_MSG_ATTR(extack, nla, "name is empty");
		return -EINVAL;
	}
	for (c = name; *c; c++) {
		if (!isalnum(*c) && *c != '-' && *c != '_' && *c != '.') {
			NL_SET_ERR_MSG_ATTR_FMT(extack, nla,
						"name has an invalid character (0x%02x)",
						(u8)*c);
			return -EINVAL;
		}
	}
	return 0;
}

/* The name of the object a request is about, checked. */
static const char *mtier_nl_name(struct genl_info *info,
				 enum mtier_obj_type type)
{
	int attr = mtier_nl_kinds[type].attr_name;
	const struct nlattr *nla;
	int err;

	nla = mtier_nl_need(info, attr, "name");
	if (!nla)
		return ERR_PTR(-EINVAL);
	/* NLA_NUL_STRING: the policy guarantees the terminating NUL. */
	err = mtier_nl_check_name(info->extack, nla, nla_data(nla));
	return err ? ERR_PTR(err) : nla_data(nla);
}

/* The name for a new object: valid and not taken. */
static const char *mtier_nl_new_name(struct genl_info *info,
				     enum mtier_obj_type type,
				     const struct mtier_obj_ops *ops)
{
	const char *name = mtier_nl_name(info, type);

	if (!IS_ERR(name) && mtier_obj_find(type, genl_info_net(info), name)) {
		NL_SET_ERR_MSG_ATTR_FMT(info->extack,
					info->attrs[mtier_nl_kinds[type].attr_name],
					"%s '%s' already exists", ops->kind, name);
		return ERR_PTR(-EEXIST);
	}
	return name;
}

/* The existing object a request is about. */
static struct mtier_obj *mtier_nl_lookup(struct genl_info *info,
					 enum mtier_obj_type type,
					 const struct mtier_obj_ops *ops)
{
	const char *name = mtier_nl_name(info, type);
	struct mtier_obj *obj;

	if (IS_ERR(name))
		return ERR_CAST(name);
	obj = mtier_obj_find(type, genl_info_net(info), name);
	if (!obj) {
		NL_SET_ERR_MSG_ATTR_FMT(info->extack,
					info->attrs[mtier_nl_kinds[type].attr_name],
					"%s '%s' does not exist", ops->kind, name);
		return ERR_PTR(-ENOENT);
	}
	return obj;
}

/* --- Endpoints (pool listen address, peer address) --------------------- */

struct mtier_nl_ep_attrs {
	int addr;
	int port;
	int transport;
};

static const struct mtier_nl_ep_attrs mtier_pool_ep_attrs = {
	MTIER_A_POOL_ADDR, MTIER_A_POOL_PORT, MTIER_A_POOL_TRANSPORT,
};

static const struct mtier_nl_ep_attrs mtier_peer_ep_attrs = {
	MTIER_A_PEER_ADDR, MTIER_A_PEER_PORT, MTIER_A_PEER_TRANSPORT,
};

static int mtier_nl_parse_ep(struct genl_info *info,
			     const struct mtier_nl_ep_attrs *a,
			     const char *dflt_addr, struct mtier_endpoint *ep)
{
	const struct nlattr *nla = info->attrs[a->addr];
	u16 port = MTIER_DEFAULT_PORT;
	const char *addr = dflt_addr;
	char port_str[8];

	if (!nla && !dflt_addr) {
		mtier_nl_need(info, a->addr, "addr");
		return -EINVAL;
	}
	if (nla)
		addr = nla_data(nla);
	if (info->attrs[a->port]) {
		port = nla_get_u16(info->attrs[a->port]);
		if (!port) {
			NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[a->port],
					    "port must not be 0");
			return -EINVAL;
		}
	}
	snprintf(port_str, sizeof(port_str), "%u", port);
	if (inet_pton_with_scope(genl_info_net(info), AF_UNSPEC, addr, port_str,
				 &ep->addr)) {
		NL_SET_ERR_MSG_ATTR(info->extack, nla,
				    "addr is not an IPv4 or IPv6 address");
		return -EINVAL;
	}
	ep->transport = MTIER_TRANSPORT_RDMA;
	if (info->attrs[a->transport])
		ep->transport = nla_get_u32(info->attrs[a->transport]);
	if (ep->transport != MTIER_TRANSPORT_RDMA) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[a->transport],
				    "transport tcp is not implemented yet");
		return -EOPNOTSUPP;
	}
	/* The owner's namespace, and like it not counted (mtier.h). */
	ep->net = genl_info_net(info);
	return 0;
}

static bool mtier_nl_ep_wildcard(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_addr.s_addr ==
		       htonl(INADDR_ANY);
	return ipv6_addr_any(&((const struct sockaddr_in6 *)ss)->sin6_addr);
}

static u16 mtier_nl_ep_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
}

static bool mtier_nl_ep_same_addr(const struct sockaddr_storage *a,
				  const struct sockaddr_storage *b)
{
	const struct sockaddr_in6 *a6, *b6;

	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	a6 = (const struct sockaddr_in6 *)a;
	b6 = (const struct sockaddr_in6 *)b;
	return ipv6_addr_equal(&a6->sin6_addr, &b6->sin6_addr) &&
	       a6->sin6_scope_id == b6->sin6_scope_id;
}

/*
 * Would two listeners collide?  Same namespace and port, and the same
 * address or a wildcard on either side.
 */
static bool mtier_nl_ep_overlap(const struct mtier_endpoint *a,
				const struct mtier_endpoint *b)
{
	if (!net_eq(a->net, b->net) ||
	    mtier_nl_ep_port(&a->addr) != mtier_nl_ep_port(&b->addr))
		return false;
	return mtier_nl_ep_wildcard(&a->addr) ||
	       mtier_nl_ep_wildcard(&b->addr) ||
	       mtier_nl_ep_same_addr(&a->addr, &b->addr);
}

static bool mtier_nl_ep_equal(const struct mtier_endpoint *a,
			      const struct mtier_endpoint *b)
{
	return net_eq(a->net, b->net) &&
	       mtier_nl_ep_port(&a->addr) == mtier_nl_ep_port(&b->addr) &&
	       mtier_nl_ep_same_addr(&a->addr, &b->addr);
}

static int mtier_nl_put_ep(struct sk_buff *skb,
			   const struct mtier_nl_ep_attrs *a,
			   const struct mtier_endpoint *ep)
{
	const struct sockaddr_in6 *sin6 = (const void *)&ep->addr;
	char addr[MTIER_ADDR_LEN + 1];

	/* As inet_pton_with_scope() reads it: no brackets, numeric scope. */
	if (ep->addr.ss_family == AF_INET)
		snprintf(addr, sizeof(addr), "%pI4",
			 &((const struct sockaddr_in *)&ep->addr)->sin_addr);
	else if (sin6->sin6_scope_id)
		snprintf(addr, sizeof(addr), "%pI6c%%%u", &sin6->sin6_addr,
			 sin6->sin6_scope_id);
	else
		snprintf(addr, sizeof(addr), "%pI6c", &sin6->sin6_addr);
	if (nla_put_string(skb, a->addr, addr) ||
	    nla_put_u16(skb, a->port, mtier_nl_ep_port(&ep->addr)) ||
	    nla_put_u32(skb, a->transport, ep->transport))
		return -EMSGSIZE;
	return 0;
}

/* --- Messages -------------------------------------------------------- */

static int mtier_nl_put_counters(struct sk_buff *skb, int nest_type,
				 const u16 *attrs, const u64 *vals, int n)
{
	struct nlattr *nest;
	int i;

	nest = nla_nest_start(skb, nest_type);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < n; i++) {
		if (nla_put_uint(skb, attrs[i], vals[i])) {
			nla_nest_cancel(skb, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int mtier_nl_fill_pool(struct sk_buff *skb, struct mtier_obj *obj)
{
	static const u16 stat_attrs[] = {
		MTIER_A_POOL_STATS_SLAB_ALLOCS, MTIER_A_POOL_STATS_SLAB_FREES,
		MTIER_A_POOL_STATS_ALLOC_FAILS, MTIER_A_POOL_STATS_CONNECTS,
		MTIER_A_POOL_STATS_PROTO_ERRORS, MTIER_A_POOL_STATS_CTRL_MSGS,
		MTIER_A_POOL_STATS_LEASE_EXPIRIES, MTIER_A_POOL_STATS_REFUSED,
		MTIER_A_POOL_STATS_JOIN_FAILS,
	};
	struct mtier_pool *pool = to_pool(obj);
	u64 used = atomic64_read(&pool->used);
	u64 size = READ_ONCE(pool->size);
	u64 stats[] = {
		atomic64_read(&pool->slab_allocs),
		atomic64_read(&pool->slab_frees),
		atomic64_read(&pool->alloc_fails),
		atomic64_read(&pool->connects),
		atomic64_read(&pool->proto_errors),
		atomic64_read(&pool->ctrl_msgs),
		atomic64_read(&pool->lease_expiries),
		atomic64_read(&pool->refused),
		atomic64_read(&pool->join_fails),
	};

	BUILD_BUG_ON(ARRAY_SIZE(stats) != ARRAY_SIZE(stat_attrs));
	if (nla_put_u32(skb, MTIER_A_POOL_ID, obj->id) ||
	    nla_put_string(skb, MTIER_A_POOL_NAME, obj->name) ||
	    nla_put_uint(skb, MTIER_A_POOL_SIZE, size) ||
	    nla_put_uint(skb, MTIER_A_POOL_SLAB_SIZE, pool->slab_size) ||
	    mtier_nl_put_ep(skb, &mtier_pool_ep_attrs, &pool->ep) ||
	    nla_put_u32(skb, MTIER_A_POOL_STATE, READ_ONCE(pool->state)) ||
	    nla_put_uint(skb, MTIER_A_POOL_USED, used) ||
	    nla_put_uint(skb, MTIER_A_POOL_FREE, size > used ? size - used : 0) ||
	    nla_put_u32(skb, MTIER_A_POOL_CLIENTS, atomic_read(&pool->clients)) ||
	    nla_put_u32(skb, MTIER_A_POOL_LEASE, READ_ONCE(pool->lease_ms)) ||
	    nla_put_u32(skb, MTIER_A_POOL_MAX_CLIENTS,
			READ_ONCE(pool->max_clients)) ||
	    nla_put_u32(skb, MTIER_A_POOL_MAX_CLIENTS_ADDR,
			READ_ONCE(pool->max_clients_addr)) ||
	    nla_put_uint(skb, MTIER_A_POOL_MAX_CLIENT_SIZE,
			 READ_ONCE(pool->max_client_size)))
		return -EMSGSIZE;
	return mtier_nl_put_counters(skb, MTIER_A_POOL_STATS, stat_attrs, stats,
				     ARRAY_SIZE(stats));
}

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

/*
 * The tier-stats attributes: the per-CPU counters, then the levels (the
 * cache's bytes, the slabs short of copies).
 */
static const u16 mtier_tier_stat_attrs[MTIER_TC_NR + 2] = {
	[MTIER_TC_READS]		= MTIER_A_TIER_STATS_READS,
	[MTIER_TC_WRITES]		= MTIER_A_TIER_STATS_WRITES,
	[MTIER_TC_READ_BYTES]		= MTIER_A_TIER_STATS_READ_BYTES,
	[MTIER_TC_WRITE_BYTES]		= MTIER_A_TIER_STATS_WRITE_BYTES,
	[MTIER_TC_DISCARDS]		= MTIER_A_TIER_STATS_DISCARDS,
	[MTIER_TC_FLUSHES]		= MTIER_A_TIER_STATS_FLUSHES,
	[MTIER_TC_INFLIGHT]		= MTIER_A_TIER_STATS_INFLIGHT,
	[MTIER_TC_ERRORS]		= MTIER_A_TIER_STATS_ERRORS,
	[MTIER_TC_TIMEOUTS]		= MTIER_A_TIER_STATS_TIMEOUTS,
	[MTIER_TC_PREFETCH_ISSUED]	= MTIER_A_TIER_STATS_PREFETCH_ISSUED,
	[MTIER_TC_PREFETCH_HITS]	= MTIER_A_TIER_STATS_PREFETCH_HITS,
	[MTIER_TC_PREFETCH_LATE_HITS]	= MTIER_A_TIER_STATS_PREFETCH_LATE_HITS,
	[MTIER_TC_PREFETCH_UNUSED]	= MTIER_A_TIER_STATS_PREFETCH_UNUSED,
	[MTIER_TC_DEMAND_MISSES]	= MTIER_A_TIER_STATS_DEMAND_MISSES,
	[MTIER_TC_READ_RETRIES]		= MTIER_A_TIER_STATS_READ_RETRIES,
	[MTIER_TC_COPY_FAILURES]	= MTIER_A_TIER_STATS_COPY_FAILURES,
	[MTIER_TC_RESYNC_BYTES]		= MTIER_A_TIER_STATS_RESYNC_BYTES,
	[MTIER_TC_SLABS_HEALED]		= MTIER_A_TIER_STATS_SLABS_HEALED,
	[MTIER_TC_NR]			= MTIER_A_TIER_STATS_CACHE_BYTES,
	[MTIER_TC_NR + 1]		= MTIER_A_TIER_STATS_DEGRADED_SLABS,
};

static int mtier_nl_fill_tier(struct sk_buff *skb, struct mtier_obj *obj)
{
	struct mtier_tier *tier = to_tier(obj);
	u64 stats[MTIER_TC_NR + 2], lat[MTIER_LAT_BUCKETS];
	struct nlattr *nest;
	u32 i;

	if (nla_put_u32(skb, MTIER_A_TIER_ID, obj->id) ||
	    nla_put_string(skb, MTIER_A_TIER_NAME, obj->name) ||
	    nla_put_uint(skb, MTIER_A_TIER_SIZE, tier->size))
		return -EMSGSIZE;
	for (i = 0; i < tier->nr_peers; i++)
		if (nla_put_string(skb, MTIER_A_TIER_PEER,
				   tier->peers[i]->obj.name))
			return -EMSGSIZE;
	if (nla_put_u32(skb, MTIER_A_TIER_REPLICAS, tier->replicas) ||
	    nla_put_u32(skb, MTIER_A_TIER_PREFETCH, tier->cfg.prefetch) ||
	    nla_put_u32(skb, MTIER_A_TIER_WINDOW_MAX, tier->cfg.window_max) ||
	    nla_put_u32(skb, MTIER_A_TIER_HISTORY, tier->cfg.history) ||
	    nla_put_uint(skb, MTIER_A_TIER_CACHE_SIZE, tier->cfg.cache_size) ||
	    nla_put_uint(skb, MTIER_A_TIER_RESYNC_RATE, tier->cfg.resync_rate) ||
	    (tier->disk &&
	     nla_put_string(skb, MTIER_A_TIER_DEV, tier->disk->disk_name)) ||
	    nla_put_u32(skb, MTIER_A_TIER_STATE, mtier_tier_state(tier)))
		return -EMSGSIZE;

	mtier_tier_read_stats(tier, stats, lat);
	stats[MTIER_TC_INFLIGHT] = atomic_read(&tier->inflight);
	stats[MTIER_TC_NR] = atomic64_read(&tier->cache_bytes);
	stats[MTIER_TC_NR + 1] = mtier_replica_degraded(tier);
	nest = nla_nest_start(skb, MTIER_A_TIER_STATS);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < ARRAY_SIZE(stats); i++)
		if (nla_put_uint(skb, mtier_tier_stat_attrs[i], stats[i]))
			goto err_cancel;
	for (i = 0; i < MTIER_LAT_BUCKETS; i++)
		if (nla_put_uint(skb, MTIER_A_TIER_STATS_LAT_HIST, lat[i]))
			goto err_cancel;
	nla_nest_end(skb, nest);
	return 0;

err_cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

static const struct mtier_nl_kind mtier_nl_kinds[MTIER_OBJ_NR] = {
	[MTIER_OBJ_POOL] = {
		.ops		= &mtier_pool_ops,
		.attr_name	= MTIER_A_POOL_NAME,
		.cmd_get	= MTIER_CMD_POOL_GET,
		.cmd_del	= MTIER_CMD_POOL_DEL,
		.cmd_set	= MTIER_CMD_POOL_SET,
		.cmd_ntf	= { MTIER_CMD_POOL_ADD_NTF, MTIER_CMD_POOL_DEL_NTF,
				    MTIER_CMD_POOL_CHANGE_NTF },
		.fill		= mtier_nl_fill_pool,
	},
	[MTIER_OBJ_PEER] = {
		.ops		= &mtier_peer_ops,
		.attr_name	= MTIER_A_PEER_NAME,
		.cmd_get	= MTIER_CMD_PEER_GET,
		.cmd_del	= MTIER_CMD_PEER_DEL,
		.cmd_set	= MTIER_CMD_PEER_SET,
		.cmd_ntf	= { MTIER_CMD_PEER_ADD_NTF, MTIER_CMD_PEER_DEL_NTF,
				    MTIER_CMD_PEER_CHANGE_NTF },
		.fill		= mtier_nl_fill_peer,
	},
	[MTIER_OBJ_TIER] = {
		.ops		= &mtier_tier_ops,
		.attr_name	= MTIER_A_TIER_NAME,
		.cmd_get	= MTIER_CMD_TIER_GET,
		.cmd_del	= MTIER_CMD_TIER_DEL,
		.cmd_set	= MTIER_CMD_TIER_SET,
		.cmd_ntf	= { MTIER_CMD_TIER_ADD_NTF, MTIER_CMD_TIER_DEL_NTF,
				    MTIER_CMD_TIER_CHANGE_NTF },
		.fill		= mtier_nl_fill_tier,
	},
};

static int mtier_nl_fill_msg(struct sk_buff *skb, struct mtier_obj *obj,
			     u32 portid, u32 seq, int flags, u8 cmd)
{
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &mtier_nl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (mtier_nl_kinds[obj->ops->type].fill(skb, obj)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/*
 * Tell the monitor group about an object: the subscriber to the registry's
 * object events (mtier_obj_changed()), set while the family is registered.
 * Context: process context; mtier_lock need not be held.
 */
static void mtier_nl_notify(struct mtier_obj *obj, enum mtier_event ev)
{
	struct sk_buff *msg;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return;
	if (mtier_nl_fill_msg(msg, obj, 0, 0, 0,
			      mtier_nl_kinds[obj->ops->type].cmd_ntf[ev])) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_multicast_netns(&mtier_nl_family, obj->net, msg, 0,
				MTIER_NLGRP_MONITOR, GFP_KERNEL);
}

/* --- Before and after every do-handler -------------------------------- */

/*
 * The object a request names, if its command is a get, del or set: the
 * pre hook has looked it up (and refused the request if it does not
 * exist).  Valid until the post hook drops mtier_lock.
 */
static struct mtier_obj *mtier_nl_obj(struct genl_info *info)
{
	return info->user_ptr[0];
}

/**
 * mtier_nl_pre_doit - take mtier_lock and find the object a request names
 * @ops: the split op being run
 * @skb: the request
 * @info: the request, parsed; user_ptr[0] receives the object
 *
 * The spec's pre hook of every do-operation.  Get, del and set name an
 * existing object of their kind in the sender's namespace: it is looked
 * up once, here, and the request refused (EINVAL for a missing or invalid
 * name, ENOENT for no such object, with the extack pointing at the name)
 * if it is not there.  Add takes only the lock: its handler checks that
 * the name is free.  No reference is taken: mtier_lock, held until
 * mtier_nl_post_doit(), keeps the object linked and alive.
 *
 * Return: 0 with mtier_lock held, or a negative errno without it (the
 * post hook is not called then).
 */
int mtier_nl_pre_doit(const struct genl_split_ops *ops, struct sk_buff *skb,
		      struct genl_info *info)
{
	const struct mtier_nl_kind *kind;
	struct mtier_obj *obj;
	int type;

	mutex_lock(&mtier_lock);
	for (type = 0; type < MTIER_OBJ_NR; type++) {
		kind = &mtier_nl_kinds[type];
		if (ops->cmd != kind->cmd_get && ops->cmd != kind->cmd_del &&
		    ops->cmd != kind->cmd_set)
			continue;
		obj = mtier_nl_lookup(info, type, kind->ops);
		if (IS_ERR(obj)) {
			mutex_unlock(&mtier_lock);
			return PTR_ERR(obj);
		}
		info->user_ptr[0] = obj;
		break;
	}
	return 0;
}

/**
 * mtier_nl_post_doit - drop mtier_lock, then finish a deleted object
 * @ops: the split op that was run
 * @skb: the request
 * @info: the request; user_ptr[1] is the object a del unlinked, if any
 *
 * The spec's post hook of every do-operation, called whatever the handler
 * returned.  A deletion's slow part (mtier_obj_finish(): round trips, the
 * registry's reference) runs here, after the lock, so that it blocks no
 * other command.
 */
void mtier_nl_post_doit(const struct genl_split_ops *ops, struct sk_buff *skb,
			struct genl_info *info)
{
	struct mtier_obj *deleted = info->user_ptr[1];

	mutex_unlock(&mtier_lock);
	if (deleted)
		mtier_obj_finish(deleted);
}

/* --- Generic get, dump and delete ------------------------------------- */

static int mtier_nl_get(struct genl_info *info)
{
	struct mtier_obj *obj = mtier_nl_obj(info);
	struct sk_buff *msg;
	int err;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	err = mtier_nl_fill_msg(msg, obj, info->snd_portid, info->snd_seq, 0,
				mtier_nl_kinds[obj->ops->type].cmd_get);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	return genlmsg_reply(msg, info);
}

/* Where a dump resumes: the id of the next object to send. */
struct mtier_nl_dump_ctx {
	unsigned long next_id;
};

static int mtier_nl_dump(struct sk_buff *skb, struct netlink_callback *cb,
			 enum mtier_obj_type type)
{
	struct mtier_nl_dump_ctx *ctx = (struct mtier_nl_dump_ctx *)cb->ctx;
	struct net *net = sock_net(cb->skb->sk);
	struct mtier_obj *obj;
	int err = 0;

	BUILD_BUG_ON(sizeof(*ctx) > sizeof(cb->ctx));
	mutex_lock(&mtier_lock);
	for (obj = mtier_obj_next(type, net, &ctx->next_id); obj;
	     ctx->next_id++, obj = mtier_obj_next(type, net, &ctx->next_id)) {
		err = mtier_nl_fill_msg(skb, obj, NETLINK_CB(cb->skb).portid,
					cb->nlh->nlmsg_seq, NLM_F_MULTI,
					mtier_nl_kinds[type].cmd_get);
		if (err)
			break;
	}
	mutex_unlock(&mtier_lock);
	/* -EMSGSIZE with a non-empty skb makes the core call us again. */
	return err;
}

static int mtier_nl_del(struct genl_info *info, bool force)
{
	struct mtier_obj *obj = mtier_nl_obj(info);
	const struct mtier_obj_ops *ops = obj->ops;
	const char *busy;

	busy = ops->busy && !force ? ops->busy(obj) : NULL;
	if (busy) {
		NL_SET_ERR_MSG_ATTR_FMT(info->extack,
					info->attrs[mtier_nl_kinds[ops->type].attr_name],
					"%s '%s' is busy: %s", ops->kind,
					obj->name, busy);
		return -EBUSY;
	}
	mtier_obj_del(obj);
	/* Unlinked and stopped: the post hook finishes it, unlocked. */
	info->user_ptr[1] = obj;
	return 0;
}

int mtier_nl_pool_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	return mtier_nl_get(info);
}

int mtier_nl_pool_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	return mtier_nl_dump(skb, cb, MTIER_OBJ_POOL);
}

int mtier_nl_pool_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	/* Force ends the clients' sessions: stopping the pool does that. */
	return mtier_nl_del(info, nla_get_flag(info->attrs[MTIER_A_POOL_FORCE]));
}

int mtier_nl_peer_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	return mtier_nl_get(info);
}

int mtier_nl_peer_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	return mtier_nl_dump(skb, cb, MTIER_OBJ_PEER);
}

int mtier_nl_peer_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	return mtier_nl_del(info, false);
}

int mtier_nl_tier_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	return mtier_nl_get(info);
}

int mtier_nl_tier_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	return mtier_nl_dump(skb, cb, MTIER_OBJ_TIER);
}

int mtier_nl_tier_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	return mtier_nl_del(info, false);
}

/* --- Pools ------------------------------------------------------------ */

/* Check a pool capacity against its slab size, what is in use and RAM. */
static int mtier_nl_check_pool_size(struct genl_info *info,
				    const struct nlattr *nla, u64 size,
				    u64 slab, u64 used, u64 old_size)
{
	u64 left = mtier_pool_donatable() - min(mtier_pool_donatable(),
						mtier_pool_donated() - old_size);

	if (size < slab) {
		NL_SET_ERR_MSG_ATTR_FMT(info->extack, nla,
					"size must be at least the slab size (%llu)",
					slab);
		return -EINVAL;
	}
	if (size % slab) {
		NL_SET_ERR_MSG_ATTR_FMT(info->extack, nla,
					"size must be a multiple of the slab size (%llu)",
					slab);
		return -EINVAL;
	}
	if (size < used) {
		NL_SET_ERR_MSG_ATTR_FMT(info->extack, nla,
					"size is below the %llu bytes in use", used);
		return -EBUSY;
	}
	if (size > left) {
		NL_SET_ERR_MSG_ATTR_FMT(info->extack, nla,
					"size exceeds what this node can donate (%llu MiB)",
					left >> 20);
		return -ENOMEM;
	}
	return 0;
}

/* The lease and the limits, for pool add and pool set: all or nothing. */
static void mtier_nl_parse_pool_limits(struct genl_info *info,
				       struct mtier_pool *pool)
{
	struct nlattr **tb = info->attrs;

	/* The policy has checked every range. */
	if (tb[MTIER_A_POOL_LEASE])
		WRITE_ONCE(pool->lease_ms, nla_get_u32(tb[MTIER_A_POOL_LEASE]));
	if (tb[MTIER_A_POOL_MAX_CLIENTS])
		WRITE_ONCE(pool->max_clients,
			   nla_get_u32(tb[MTIER_A_POOL_MAX_CLIENTS]));
	if (tb[MTIER_A_POOL_MAX_CLIENTS_ADDR])
		WRITE_ONCE(pool->max_clients_addr,
			   nla_get_u32(tb[MTIER_A_POOL_MAX_CLIENTS_ADDR]));
	if (tb[MTIER_A_POOL_MAX_CLIENT_SIZE])
		WRITE_ONCE(pool->max_client_size,
			   nla_get_uint(tb[MTIER_A_POOL_MAX_CLIENT_SIZE]));
}

static bool mtier_nl_has_pool_limits(struct genl_info *info)
{
	return info->attrs[MTIER_A_POOL_LEASE] ||
	       info->attrs[MTIER_A_POOL_MAX_CLIENTS] ||
	       info->attrs[MTIER_A_POOL_MAX_CLIENTS_ADDR] ||
	       info->attrs[MTIER_A_POOL_MAX_CLIENT_SIZE];
}

static int mtier_nl_parse_pool(struct genl_info *info, struct mtier_pool *pool)
{
	const struct nlattr *size_nla, *slab_nla;
	struct mtier_obj *obj;
	unsigned long id = 0;
	u64 size, slab;
	int err;

	size_nla = mtier_nl_need(info, MTIER_A_POOL_SIZE, "size");
	if (!size_nla)
		return -EINVAL;
	size = nla_get_uint(size_nla);
	slab_nla = info->attrs[MTIER_A_POOL_SLAB_SIZE];
	if (slab_nla) {
		slab = nla_get_uint(slab_nla);
		if (slab < MTIER_SLAB_MIN || slab > MTIER_SLAB_MAX) {
			NL_SET_ERR_MSG_ATTR(info->extack, slab_nla,
					    "slab-size must be between 1M and 1G");
			return -ERANGE;
		}
		if (!is_power_of_2(slab)) {
			NL_SET_ERR_MSG_ATTR(info->extack, slab_nla,
					    "slab-size must be a power of two");
			return -EINVAL;
		}
	} else {
		/* The largest power of two up to 64M that divides the size. */
		slab = size ? min(MTIER_SLAB_DEFAULT, 1ULL << __ffs64(size)) : 0;
		if (slab < MTIER_SLAB_MIN) {
			NL_SET_ERR_MSG_ATTR(info->extack, size_nla,
					    "size must be a non-zero multiple of 1M");
			return -EINVAL;
		}
	}
	err = mtier_nl_check_pool_size(info, size_nla, size, slab, 0, 0);
	if (err)
		return err;

	err = mtier_nl_parse_ep(info, &mtier_pool_ep_attrs, "0.0.0.0", &pool->ep);
	if (err)
		return err;
	while ((obj = mtier_obj_next(MTIER_OBJ_POOL, pool->obj.net, &id))) {
		if (mtier_nl_ep_overlap(&to_pool(obj)->ep, &pool->ep)) {
			/* Blame what was given; both may be defaults. */
			NL_SET_ERR_MSG_ATTR_FMT(info->extack,
						info->attrs[MTIER_A_POOL_ADDR] ?:
						info->attrs[MTIER_A_POOL_PORT],
						"pool '%s' already listens on that address",
						obj->name);
			return -EADDRINUSE;
		}
		id++;
	}
	pool->size = size;
	pool->slab_size = slab;
	mtier_nl_parse_pool_limits(info, pool);
	return 0;
}

int mtier_nl_pool_add_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct mtier_pool *pool;
	const char *name;
	int err;

	name = mtier_nl_new_name(info, MTIER_OBJ_POOL, &mtier_pool_ops);
	if (IS_ERR(name))
		return PTR_ERR(name);
	pool = mtier_pool_create(name, genl_info_net(info));
	if (!pool)
		return -ENOMEM;
	err = mtier_nl_parse_pool(info, pool);
	if (err)
		goto err_put;
	err = mtier_pool_start(pool, info->extack);
	if (err)
		goto err_put;
	err = mtier_obj_link(&pool->obj);
	if (err)
		goto err_stop;
	return 0;

err_stop:
	mtier_pool_ops.stop(&pool->obj);
err_put:
	mtier_obj_put(&pool->obj);
	return err;
}

int mtier_nl_pool_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct mtier_obj *obj = mtier_nl_obj(info);
	struct mtier_pool *pool = to_pool(obj);
	const struct nlattr *nla;
	int err;

	nla = info->attrs[MTIER_A_POOL_SIZE];
	if (!nla && !mtier_nl_has_pool_limits(info)) {
		NL_SET_ERR_MSG(info->extack,
			       "nothing to change: give size, lease or a limit");
		return -EINVAL;
	}
	if (nla) {
		err = mtier_nl_check_pool_size(info, nla, nla_get_uint(nla),
					       pool->slab_size,
					       atomic64_read(&pool->used),
					       pool->size);
		if (err)
			return err;
		mtier_pool_resize(pool, nla_get_uint(nla));
	}
	mtier_nl_parse_pool_limits(info, pool);
	mtier_obj_changed(obj, MTIER_EV_CHANGE);
	return 0;
}

/* --- Peers ------------------------------------------------------------ */

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

	name = mtier_nl_new_name(info, MTIER_OBJ_PEER, &mtier_peer_ops);
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

/* --- Tiers ------------------------------------------------------------ */

/* Parse the settings tier add and tier set share; returns how many given. */
static int mtier_nl_parse_tier_cfg(struct genl_info *info,
				   struct mtier_tier_cfg *cfg)
{
	const struct nlattr *nla;
	int given = 0;

	nla = info->attrs[MTIER_A_TIER_PREFETCH];
	if (nla) {
		cfg->prefetch = nla_get_u32(nla);
		given++;
	}
	nla = info->attrs[MTIER_A_TIER_WINDOW_MAX];
	if (nla) {
		cfg->window_max = nla_get_u32(nla);
		given++;
	}
	nla = info->attrs[MTIER_A_TIER_HISTORY];
	if (nla) {
		cfg->history = nla_get_u32(nla);
		given++;
	}
	nla = info->attrs[MTIER_A_TIER_CACHE_SIZE];
	if (nla) {
		cfg->cache_size = nla_get_uint(nla);
		if (!PAGE_ALIGNED(cfg->cache_size)) {
			NL_SET_ERR_MSG_ATTR_FMT(info->extack, nla,
						"cache-size must be a multiple of %lu",
						PAGE_SIZE);
			return -EINVAL;
		}
		if (cfg->cache_size > (u64)totalram_pages() / 4 * PAGE_SIZE) {
			NL_SET_ERR_MSG_ATTR(info->extack, nla,
					    "cache-size exceeds a quarter of this node's RAM");
			return -ENOMEM;
		}
		given++;
	}
	nla = info->attrs[MTIER_A_TIER_RESYNC_RATE];
	if (nla) {
		cfg->resync_rate = nla_get_uint(nla);
		given++;
	}
	return given;
}

static int mtier_nl_parse_tier_peers(struct genl_info *info,
				     struct mtier_tier *tier)
{
	char name[MTIER_NAME_LEN + 1];
	const struct nlattr *nla;
	struct mtier_obj *obj;
	int rem, err;
	u32 i;

	nla_for_each_attr_type(nla, MTIER_A_TIER_PEER, genlmsg_data(info->genlhdr),
			       genlmsg_len(info->genlhdr), rem) {
		/* NLA_STRING: the policy bounds the length, not the NUL. */
		nla_strscpy(name, nla, sizeof(name));
		err = mtier_nl_check_name(info->extack, nla, name);
		if (err)
			return err;
		if (tier->nr_peers == MTIER_MAX_PEERS) {
			NL_SET_ERR_MSG_ATTR(info->extack, nla,
					    "too many peers (at most 16)");
			return -E2BIG;
		}
		obj = mtier_obj_find(MTIER_OBJ_PEER, tier->obj.net, name);
		if (!obj) {
			NL_SET_ERR_MSG_ATTR_FMT(info->extack, nla,
						"peer '%s' does not exist", name);
			return -ENOENT;
		}
		for (i = 0; i < tier->nr_peers; i++) {
			if (tier->peers[i] == to_peer(obj)) {
				NL_SET_ERR_MSG_ATTR_FMT(info->extack, nla,
							"peer '%s' is listed twice",
							name);
				return -EINVAL;
			}
		}
		mtier_tier_add_peer(tier, to_peer(obj));
	}
	if (!tier->nr_peers) {
		mtier_nl_need(info, MTIER_A_TIER_PEER, "peer");
		return -EINVAL;
	}
	return 0;
}

static int mtier_nl_parse_tier(struct genl_info *info, struct mtier_tier *tier)
{
	const struct nlattr *nla;
	int err;

	nla = mtier_nl_need(info, MTIER_A_TIER_SIZE, "size");
	if (!nla)
		return -EINVAL;
	tier->size = nla_get_uint(nla);
	if (!tier->size || tier->size % 4096) {
		NL_SET_ERR_MSG_ATTR(info->extack, nla,
				    "size must be a non-zero multiple of 4096");
		return -EINVAL;
	}
	if (tier->size > MTIER_TIER_MAX_SIZE) {
		NL_SET_ERR_MSG_ATTR(info->extack, nla,
				    "size exceeds the largest tier (1P)");
		return -ERANGE;
	}
	err = mtier_nl_parse_tier_peers(info, tier);
	if (err)
		return err;
	nla = info->attrs[MTIER_A_TIER_REPLICAS];
	if (nla) {
		tier->replicas = nla_get_u32(nla);
		if (tier->replicas > tier->nr_peers) {
			NL_SET_ERR_MSG_ATTR_FMT(info->extack, nla,
						"replicas (%u) exceeds the number of peers (%u)",
						tier->replicas, tier->nr_peers);
			return -EINVAL;
		}
		if (tier->replicas > 1) {
			u32 room, up = mtier_tier_peers_up(tier, &room);

			if (up < tier->replicas) {
				NL_SET_ERR_MSG_ATTR_FMT(info->extack, nla,
							"replicas %u needs %u peers up (up now: %u)",
							tier->replicas, tier->replicas, up);
				return -ENOTCONN;
			}
			if (room < tier->replicas) {
				NL_SET_ERR_MSG_ATTR_FMT(info->extack, nla,
							"replicas %u needs %u peers with room for a slab (now: %u)",
							tier->replicas, tier->replicas, room);
				return -ENOSPC;
			}
		}
	}
	err = mtier_nl_parse_tier_cfg(info, &tier->cfg);
	return err < 0 ? err : 0;
}

int mtier_nl_tier_add_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct mtier_tier *tier;
	const char *name;
	int err;

	name = mtier_nl_new_name(info, MTIER_OBJ_TIER, &mtier_tier_ops);
	if (IS_ERR(name))
		return PTR_ERR(name);
	tier = mtier_tier_create(name, genl_info_net(info));
	if (!tier)
		return -ENOMEM;
	err = mtier_nl_parse_tier(info, tier);
	if (err)
		goto err_stop;
	err = mtier_tier_start(tier, info->extack);
	if (err)
		goto err_stop;
	err = mtier_obj_link(&tier->obj);
	if (err)
		goto err_stop;
	mtier_tier_announce_peers(tier);
	return 0;

err_stop:
	mtier_tier_ops.stop(&tier->obj);
	mtier_obj_finish(&tier->obj);
	return err;
}

int mtier_nl_tier_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct mtier_obj *obj = mtier_nl_obj(info);
	struct mtier_tier *tier = to_tier(obj);
	struct mtier_tier_cfg cfg = tier->cfg;
	int err;

	err = mtier_nl_parse_tier_cfg(info, &cfg);
	if (err < 0)
		return err;
	if (!err) {
		NL_SET_ERR_MSG(info->extack,
			       "nothing to change: give prefetch, window-max, history, cache-size or resync-rate");
		return -EINVAL;
	}
	mtier_tier_set_cfg(tier, &cfg);
	mtier_obj_changed(obj, MTIER_EV_CHANGE);
	return 0;
}

/* --- Family ----------------------------------------------------------- */

int mtier_nl_init(void)
{
	int err;

	err = genl_register_family(&mtier_nl_family);
	if (err)
		return err;
	mtier_obj_subscribe(mtier_nl_notify);
	return 0;
}

void mtier_nl_exit(void)
{
	mtier_obj_subscribe(NULL);
	genl_unregister_family(&mtier_nl_family);
}
