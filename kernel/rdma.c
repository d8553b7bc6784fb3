// SPDX-License-Identifier: GPL-2.0
/*
 * mtier: the RDMA transport's table, and RDMA devices coming and going.
 *
 * The top of the RDMA transport: the ops table the transport core calls
 * (the client side in rdma_client.c, the donor side in rdma_donor.c, both
 * built on rdma_core.c), and an ib_client that sees every device.  When
 * one is removed, everything of ours that uses it goes first (the ib core
 * calls clients in reverse order of registration, so we run before
 * rdma_cm cleans up): a pool's listener bound to it, the donor sessions on
 * it, and peer connections over it.  When one is added, pools that lost
 * their listener try to listen again, and peers reconnect on their own.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "rdma.h"

/* The RDMA transport: one-sided READ and WRITE over RC queue pairs. */
const struct mtier_transport_ops mtier_rdma_transport = {
	.name		= "rdma",
	.connect	= mtier_client_connect,
	.quiesce	= mtier_client_quiesce,
	.close		= mtier_client_close,
	.keepalive	= mtier_client_keepalive,
	.alloc_slab	= mtier_client_alloc_slab,
	.free_slab	= mtier_client_free_slab,
	.submit		= mtier_client_submit,
	.zero		= mtier_client_zero,
	.listen		= mtier_donor_listen,
	.stop		= mtier_donor_stop,
};

/* Listen again on pools that are down; after a device was added. */
static void mtier_relisten(struct work_struct *work)
{
	struct mtier_obj *obj;
	unsigned long id = 0;

	mutex_lock(&mtier_lock);
	while ((obj = mtier_obj_next(MTIER_OBJ_POOL, NULL, &id))) {
		struct mtier_pool *pool = to_pool(obj);

		if (pool->tops == &mtier_rdma_transport && !pool->listener &&
		    !mtier_donor_listen(pool, NULL))
			mtier_obj_changed(obj, MTIER_EV_CHANGE);
		id++;
	}
	mutex_unlock(&mtier_lock);
}

static DECLARE_WORK(mtier_relisten_work, mtier_relisten);

static int mtier_rdma_add(struct ib_device *dev)
{
	queue_work(mtier_wq, &mtier_relisten_work);
	return 0;
}

static void mtier_rdma_remove(struct ib_device *dev, void *client_data)
{
	struct mtier_obj *obj;
	unsigned long id = 0;

	mutex_lock(&mtier_lock);
	while ((obj = mtier_obj_next(MTIER_OBJ_POOL, NULL, &id))) {
		struct mtier_pool *pool = to_pool(obj);

		if (mtier_donor_listener_device(pool) == dev) {
			pr_info("pool %s: stopped listening: device %s removed\n",
				obj->name, dev_name(&dev->dev));
			mtier_donor_unlisten(pool);
			mtier_obj_changed(obj, MTIER_EV_CHANGE);
		}
		id++;
	}
	id = 0;
	while ((obj = mtier_obj_next(MTIER_OBJ_PEER, NULL, &id))) {
		if (to_peer(obj)->tops == &mtier_rdma_transport)
			mtier_client_device_removed(to_peer(obj), dev);
		id++;
	}
	mutex_unlock(&mtier_lock);
	mtier_donor_device_removed(dev);
}

static struct ib_client mtier_ib_client = {
	.name	= "mtier",
	.add	= mtier_rdma_add,
	.remove	= mtier_rdma_remove,
};

int mtier_rdma_init(void)
{
	int err;

	err = ib_register_client(&mtier_ib_client);
	if (!err)
		mtier_transport_register(MTIER_TRANSPORT_RDMA,
					 &mtier_rdma_transport);
	return err;
}

void mtier_rdma_exit(void)
{
	mtier_transport_register(MTIER_TRANSPORT_RDMA, NULL);
	ib_unregister_client(&mtier_ib_client);
	cancel_work_sync(&mtier_relisten_work);
}
