// SPDX-License-Identifier: GPL-2.0
/*
 * mtier: the registry of pools, peers and tiers.
 *
 * One xarray per kind, indexed by the object's id.  Ids are allocated
 * cyclically so that a deleted object's id is not handed out again at once
 * (a dump resuming at an id never sees a different object under an id it
 * already passed).  Names are unique within a kind and looked up by a walk:
 * lookups only happen on the control path, under mtier_lock.
 *
 * The locking and lifetime rules are described in mtier.h.
 */
#include <linux/string.h>
#include <linux/xarray.h>

#include "mtier.h"

/* Serialises configuration; see "Locking" in mtier.h. */
DEFINE_MUTEX(mtier_lock);

static struct xarray mtier_objs[MTIER_OBJ_NR] = {
	[MTIER_OBJ_POOL] = XARRAY_INIT(mtier_objs[MTIER_OBJ_POOL], XA_FLAGS_ALLOC1),
	[MTIER_OBJ_PEER] = XARRAY_INIT(mtier_objs[MTIER_OBJ_PEER], XA_FLAGS_ALLOC1),
	[MTIER_OBJ_TIER] = XARRAY_INIT(mtier_objs[MTIER_OBJ_TIER], XA_FLAGS_ALLOC1),
};

/* Next id to try for each kind; protected by mtier_lock. */
static u32 mtier_next_id[MTIER_OBJ_NR];

void mtier_obj_init(struct mtier_obj *obj, const struct mtier_obj_ops *ops,
		    const char *name)
{
	kref_init(&obj->ref);
	obj->ops = ops;
	strscpy(obj->name, name, sizeof(obj->name));
}

/**
 * mtier_obj_find - look an object up by name
 * @type: kind of object
 * @name: its name
 *
 * Context: mtier_lock held; the object stays valid while it is.
 * Return: the object, or NULL.
 */
struct mtier_obj *mtier_obj_find(enum mtier_obj_type type, const char *name)
{
	struct mtier_obj *obj;
	unsigned long id;

	lockdep_assert_held(&mtier_lock);
	xa_for_each(&mtier_objs[type], id, obj)
		if (!strcmp(obj->name, name))
			return obj;
	return NULL;
}

/**
 * mtier_obj_next - iterate over the objects of one kind in id order
 * @type: kind of object
 * @id: in: first id to consider; out: id of the object returned
 *
 * Context: mtier_lock held.
 * Return: the first object whose id is at least *@id, or NULL.
 */
struct mtier_obj *mtier_obj_next(enum mtier_obj_type type, unsigned long *id)
{
	lockdep_assert_held(&mtier_lock);
	return xa_find(&mtier_objs[type], id, ULONG_MAX, XA_PRESENT);
}

/**
 * mtier_obj_link - make a new object visible and announce it
 * @obj: the object, initialised and started
 *
 * The registry takes over the caller's initial reference.
 *
 * Context: mtier_lock held.
 * Return: 0, or -ENOMEM / -EBUSY (no id left) with @obj untouched.
 */
int mtier_obj_link(struct mtier_obj *obj)
{
	enum mtier_obj_type type = obj->ops->type;
	int err;

	lockdep_assert_held(&mtier_lock);
	err = xa_alloc_cyclic(&mtier_objs[type], &obj->id, obj, xa_limit_31b,
			      &mtier_next_id[type], GFP_KERNEL);
	if (err < 0)
		return err;
	obj->linked = true;
	mtier_nl_notify(obj, MTIER_EV_ADD);
	return 0;
}

/**
 * mtier_obj_del - unlink, announce, stop and drop an object
 * @obj: a linked object whose ops->busy() said nothing
 *
 * Context: mtier_lock held; may sleep in ops->stop().
 */
void mtier_obj_del(struct mtier_obj *obj)
{
	lockdep_assert_held(&mtier_lock);
	xa_erase(&mtier_objs[obj->ops->type], obj->id);
	obj->linked = false;
	mtier_nl_notify(obj, MTIER_EV_DEL);
	if (obj->ops->stop)
		obj->ops->stop(obj);
	mtier_obj_put(obj);
}

void mtier_obj_get(struct mtier_obj *obj)
{
	kref_get(&obj->ref);
}

static void mtier_obj_release(struct kref *ref)
{
	struct mtier_obj *obj = container_of(ref, struct mtier_obj, ref);

	obj->ops->release(obj);
}

void mtier_obj_put(struct mtier_obj *obj)
{
	kref_put(&obj->ref, mtier_obj_release);
}

/**
 * mtier_registry_teardown - delete every object at module unload
 *
 * Tiers go first: they hold references on peers.  Nothing can be busy by
 * now (an open block device pins the module), so nothing is refused.
 * The netlink family is gone already, so nobody is notified.
 */
void mtier_registry_teardown(void)
{
	static const enum mtier_obj_type order[] = {
		MTIER_OBJ_TIER, MTIER_OBJ_PEER, MTIER_OBJ_POOL,
	};
	struct mtier_obj *obj;
	unsigned long id;
	int i;

	mutex_lock(&mtier_lock);
	for (i = 0; i < ARRAY_SIZE(order); i++) {
		xa_for_each(&mtier_objs[order[i]], id, obj)
			mtier_obj_del(obj);
		xa_destroy(&mtier_objs[order[i]]);
	}
	mutex_unlock(&mtier_lock);
}
