// SPDX-License-Identifier: GPL-2.0
/*
 * mtier: the control plane of pools (nl.h): their attributes in replies
 * and notifications (fill), and pool-add and pool-set, which check what the
 * policy cannot and explain every refusal in the extack.  They run under
 * mtier_lock, taken by mtier_nl_pre_doit(); get, dump and del are nl.c's.
 */
#include <linux/log2.h>
#include <net/genetlink.h>

#include "nl.h"

static const struct mtier_nl_ep_attrs mtier_pool_ep_attrs = {
	MTIER_A_POOL_ADDR, MTIER_A_POOL_PORT, MTIER_A_POOL_TRANSPORT,
};

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

const struct mtier_nl_kind mtier_nl_pool_kind = {
	.ops		= &mtier_pool_ops,
	.attr_name	= MTIER_A_POOL_NAME,
	.cmd_get	= MTIER_CMD_POOL_GET,
	.cmd_del	= MTIER_CMD_POOL_DEL,
	.cmd_set	= MTIER_CMD_POOL_SET,
	.cmd_ntf	= { MTIER_CMD_POOL_ADD_NTF, MTIER_CMD_POOL_DEL_NTF,
			    MTIER_CMD_POOL_CHANGE_NTF },
	.fill		= mtier_nl_fill_pool,
};

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

	name = mtier_nl_new_name(info, MTIER_A_POOL_NAME, &mtier_pool_ops);
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
