// SPDX-License-Identifier: GPL-2.0
/*
 * mtier: a memory tier made of DRAM donated by other nodes.
 *
 * Module entry points.  Loading registers the netlink family, after which
 * everything is driven from userspace (the mtier tool).  Unloading stops
 * the control plane first, so that no request can race with the teardown,
 * and then deletes every object that is left.
 */
#include <linux/module.h>
#include <net/genetlink.h>

#include "mtier.h"

static int __init mtier_init(void)
{
	int err;

	err = mtier_nl_init();
	if (err) {
		pr_err("mtier: cannot register the netlink family: %d\n", err);
		return err;
	}
	pr_info("mtier: loaded (netlink family %s, version %d)\n",
		MTIER_FAMILY_NAME, MTIER_FAMILY_VERSION);
	return 0;
}

static void __exit mtier_exit(void)
{
	mtier_nl_exit();
	mtier_registry_teardown();
	pr_info("mtier: unloaded\n");
}

module_init(mtier_init);
module_exit(mtier_exit);

MODULE_AUTHOR("The mtier developers");
MODULE_DESCRIPTION("Remote memory tier over RDMA");
MODULE_LICENSE("GPL");
MODULE_VERSION(MTIER_VERSION);
MODULE_ALIAS_GENL_FAMILY(MTIER_FAMILY_NAME);
