// SPDX-License-Identifier: GPL-2.0
/*
 * mtier: pools, the memory this node donates to other nodes.
 *
 * A pool is a capacity, not memory: slabs are allocated only when a client
 * asks for them (by the pool's transport: rdma_donor.c).  The sum of all
 * pool capacities is bounded by a share of this node's RAM
 * (max_donate_percent) so that a node cannot promise more than it could
 * ever give.
 */
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/netlink.h>
#include <linux/slab.h>

#include "mtier.h"
#include "transport.h"

static unsigned int max_donate_percent = 75;
module_param(max_donate_percent, uint, 0644);
MODULE_PARM_DESC(max_donate_percent,
		 "Share of RAM all pools together may donate, in percent (1-95, default 75)");

/* Sum of the capacities of all pools; protected by mtier_lock. */
static u64 mtier_donated;

/**
 * mtier_pool_donatable - how much RAM all pools together may promise
 */
u64 mtier_pool_donatable(void)
{
	unsigned int pct = clamp(READ_ONCE(max_donate_percent), 1U, 95U);

	return div_u64((u64)totalram_pages() * pct, 100) << PAGE_SHIFT;
}

/**
 * mtier_pool_donated - the sum of the capacities of all pools
 *
 * Context: mtier_lock held.
 */
u64 mtier_pool_donated(void)
{
	lockdep_assert_held(&mtier_lock);
	return mtier_donated;
}

/**
 * mtier_pool_resize - account a pool's new capacity
 * @pool: the pool
 * @size: its new capacity; the caller has checked it against
 *	mtier_pool_donatable() and the bytes in use
 *
 * Context: mtier_lock held.
 */
void mtier_pool_resize(struct mtier_pool *pool, u64 size)
{
	lockdep_assert_held(&mtier_lock);
	mtier_donated = mtier_donated - pool->size + size;
	pool->size = size;
}

static const char *mtier_pool_busy(struct mtier_obj *obj)
{
	struct mtier_pool *pool = to_pool(obj);

	if (atomic_read(&pool->clients))
		return "pool has connected clients";
	if (atomic64_read(&pool->used))
		return "pool has memory handed out";
	return NULL;
}

static void mtier_pool_stop(struct mtier_obj *obj)
{
	struct mtier_pool *pool = to_pool(obj);

	pool->tops->stop(pool);
	mtier_donated -= pool->size;
}

static void mtier_pool_release(struct mtier_obj *obj)
{
	/* No reference on pool->ep.net to drop: see mtier.h. */
	kfree(to_pool(obj));
}

const struct mtier_obj_ops mtier_pool_ops = {
	.kind		= "pool",
	.type		= MTIER_OBJ_POOL,
	.busy		= mtier_pool_busy,
	.stop		= mtier_pool_stop,
	.release	= mtier_pool_release,
};

struct mtier_pool *mtier_pool_create(const char *name, struct net *net)
{
	struct mtier_pool *pool;

	pool = kzalloc(sizeof(*pool), GFP_KERNEL);
	if (!pool)
		return NULL;
	mtier_obj_init(&pool->obj, &mtier_pool_ops, name, net);
	pool->state = MTIER_POOL_STATE_DOWN;
	pool->lease_ms = MTIER_LEASE_DEFAULT;
	pool->max_clients = MTIER_MAX_CLIENTS_DEFAULT;
	pool->max_clients_addr = MTIER_MAX_CLIENTS_ADDR_DEFAULT;
	spin_lock_init(&pool->sess_lock);
	INIT_LIST_HEAD(&pool->sessions);
	return pool;
}

/**
 * mtier_pool_start - bring a configured pool into service
 * @pool: the pool, not linked yet
 * @extack: where to explain a failure
 *
 * The pool listens for clients, and its capacity counts against the
 * node's donatable memory from here on.
 *
 * Context: mtier_lock held.
 */
int mtier_pool_start(struct mtier_pool *pool, struct netlink_ext_ack *extack)
{
	int err;

	lockdep_assert_held(&mtier_lock);
	pool->tops = mtier_transport_get(pool->ep.transport);
	if (!pool->tops) {
		NL_SET_ERR_MSG(extack, "transport not supported");
		return -EOPNOTSUPP;
	}
	err = pool->tops->listen(pool, extack);
	if (err)
		return err;
	mtier_donated += pool->size;
	return 0;
}
