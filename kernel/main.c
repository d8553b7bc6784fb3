// SPDX-License-Identifier: GPL-2.0
/*
 * mtier: a memory tier made of DRAM donated by other nodes.
 *
 * Module entry points.  Loading sets up the work queue, the block major,
 * the RDMA client, the pernet operations that delete a namespace's objects
 * with it, and last the netlink family, after which everything is driven
 * from userspace (the mtier tool).  Unloading stops the control plane
 * first, so that no request can race with the teardown, then deletes every
 * object that is left, namespace by namespace (tiers, peers, pools: each
 * waits for its I/O, connections and sessions to end), and undoes the rest
 * in reverse.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blkdev.h>
#include <linux/module.h>
#include <net/genetlink.h>

#include "mtier.h"

static int __init mtier_init(void)
{
	int err;

	mtier_wq = alloc_workqueue("mtier", WQ_MEM_RECLAIM | WQ_UNBOUND, 0);
	if (!mtier_wq)
		return -ENOMEM;
	err = register_blkdev(0, "mtier");
	if (err < 0)
		goto err_wq;
	mtier_major = err;
	err = mtier_rdma_init();
	if (err)
		goto err_blkdev;
	err = mtier_registry_init();
	if (err)
		goto err_rdma;
	err = mtier_nl_init();
	if (err) {
		pr_err("cannot register the netlink family: %d\n", err);
		goto err_registry;
	}
	pr_info("loaded (netlink family %s, version %d)\n",
		MTIER_FAMILY_NAME, MTIER_FAMILY_VERSION);
	return 0;

err_registry:
	mtier_registry_teardown();
err_rdma:
	mtier_rdma_exit();
err_blkdev:
	unregister_blkdev(mtier_major, "mtier");
err_wq:
	destroy_workqueue(mtier_wq);
	return err;
}

static void __exit mtier_exit(void)
{
	mtier_nl_exit();
	mtier_registry_teardown();
	mtier_rdma_exit();
	unregister_blkdev(mtier_major, "mtier");
	destroy_workqueue(mtier_wq);
	pr_info("unloaded\n");
}

module_init(mtier_init);
module_exit(mtier_exit);

MODULE_AUTHOR("The mtier developers");
MODULE_DESCRIPTION("Remote memory tier over RDMA");
MODULE_LICENSE("GPL");
MODULE_VERSION(MTIER_VERSION);
MODULE_ALIAS_GENL_FAMILY(MTIER_FAMILY_NAME);
