// SPDX-License-Identifier: GPL-2.0
/*
 * mtier(8): what pools, peers and tiers have in common.
 *
 *   mtier KIND add NAME KEYWORD VALUE ...
 *   mtier KIND set NAME KEYWORD VALUE ...
 *   mtier KIND del NAME
 *   mtier KIND [ show [ NAME ] ]
 *   mtier KIND help
 *
 * A kind (struct mt_kind, in pool.c, peer.c and tier.c) brings its
 * commands, attributes, keywords, usage and output; this file parses the
 * command line around them, builds the requests and sends them.
 */
#include <stdio.h>
#include <stdlib.h>

#include <linux/mtier.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include "mtier.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Shared by pool.c and peer.c. */
const char *const transport_names[2] = {
	[MTIER_TRANSPORT_RDMA] = "rdma",
	[MTIER_TRANSPORT_TCP]  = "tcp",
};

const struct word transport_words[2] = {
	{ "rdma", MTIER_TRANSPORT_RDMA }, { "tcp", MTIER_TRANSPORT_TCP },
};

const struct word obj_cmds[] = {
	{ "add", CMD_ADD }, { "set", CMD_SET }, { "del", CMD_DEL },
	{ "delete", CMD_DEL }, { "show", CMD_SHOW }, { "list", CMD_SHOW },
	{ "help", CMD_HELP },
};

const size_t n_obj_cmds = N(obj_cmds);

static void obj_usage(const struct mt_kind *k, FILE *f, int cmd)
{
	usage_print(f, k->usage, k->n_usage,
		    cmd == CMD_HELP ? ~0u : CMD_BIT(cmd));
}

/* The NAME after a command; NULL after an error or after printing help. */
static const char *obj_name(const struct mt_kind *k, struct args *a, int cmd,
			    int *ret)
{
	const char *name = args_next(a);

	*ret = 0;
	if (is_help(name)) {
		obj_usage(k, stdout, cmd);
		return NULL;
	}
	if (!name)
		*ret = error("missing %s name", k->name);
	return name;
}

/*
 * A request for @cmd about the object @name, or a dump of them all when
 * @name is NULL; NULL after saying what went wrong.
 */
static struct nl_msg *obj_msg(const struct mt_kind *k, uint8_t cmd,
			      const char *name)
{
	struct nl_msg *msg = mt_req_new(cmd, !name);

	if (!msg) {
		error("out of memory");
		return NULL;
	}
	if (name && nla_put_string(msg, k->attr_name, name)) {
		nlmsg_free(msg);
		error("request too large");
		return NULL;
	}
	return msg;
}

/* --- Values the put callbacks share ------------------------------------- */

int obj_put_size(struct obj_req *r, int type, const char *what,
		 const char *v)
{
	uint64_t size;

	if (parse_size(v, &size))
		return error("invalid %s '%s'", what, v);
	return nla_put_u64(r->msg, type, size) ? error("request too large") : 0;
}

int obj_put_u32(struct obj_req *r, int type, const char *what,
		const char *v)
{
	uint32_t n;

	if (parse_u32(v, &n))
		return error("invalid %s '%s'", what, v);
	return nla_put_u32(r->msg, type, n) ? error("request too large") : 0;
}

/* One of @words, as the u32 its id is. */
int obj_put_word(struct obj_req *r, int type, const struct word *words,
		 size_t n, const char *what, const char *v)
{
	int id = parse_word(v, words, n, what);

	if (id < 0)
		return -1;
	return nla_put_u32(r->msg, type, id) ? error("request too large") : 0;
}

int obj_put_transport(struct obj_req *r, int type, const char *v)
{
	return obj_put_word(r, type, transport_words, N(transport_words),
			    "transport", v);
}

/*
 * ADDR[:PORT] into r->addr and r->port, which the request gets at the end
 * (attr_addr, attr_port).  @kw_port is the id of the kind's port keyword.
 */
int obj_put_endpoint(struct obj_req *r, const char *v, int kw_port)
{
	int port;

	if (parse_endpoint(v, &r->addr, &port))
		return error("invalid address '%s' (ADDR[:PORT], [IPv6]:PORT or IPv6)",
			     v);
	if (port < 0)		/* keep a port given before, if any */
		return 0;
	if (r->seen & (1u << kw_port))
		return error("the port is given twice");
	r->port = port;
	return 0;
}

int obj_put_port(struct obj_req *r, const char *v)
{
	int ret = 0;
	uint16_t p;

	if (parse_u16(v, &p))
		return error("invalid port '%s'", v);
	if (r->port >= 0)
		ret = error("the port is given twice");
	r->port = p;
	return ret;
}

/* --- Commands ------------------------------------------------------------ */

static int obj_add_set(const struct mt_kind *k, struct args *a, int cmd)
{
	const struct word *kws = cmd == CMD_ADD ? k->add_kws : k->set_kws;
	size_t nkws = cmd == CMD_ADD ? k->n_add_kws : k->n_set_kws;
	struct obj_req r = { .port = -1 };
	const char *name, *kw, *v;
	int id, ret;

	name = obj_name(k, a, cmd, &ret);
	if (!name)
		return ret;
	r.msg = obj_msg(k, cmd == CMD_ADD ? k->cmd_add : k->cmd_set, name);
	if (!r.msg)
		return -1;
	while (!ret && args_left(a)) {
		kw = args_next(a);
		id = parse_word(kw, kws, nkws, "keyword");
		if (id < 0) {
			ret = -1;
			break;
		}
		if (id == k->kw_help) {
			obj_usage(k, stdout, cmd);
			nlmsg_free(r.msg);
			free(r.addr);
			return 0;
		}
		ret = (k->kw_repeat & (1u << id)) ? 0 : arg_once(&r.seen, id, kw);
		v = ret ? NULL : arg_value(a, kw);
		if (!v) {
			ret = -1;
			break;
		}
		ret = k->put(&r, id, kw, v);
	}
	if (!ret && r.addr && nla_put_string(r.msg, k->attr_addr, r.addr))
		ret = error("request too large");
	if (!ret && r.port >= 0 && nla_put_u16(r.msg, k->attr_port, r.port))
		ret = error("request too large");
	free(r.addr);
	if (ret) {
		nlmsg_free(r.msg);
		return ret;
	}
	return mt_request(r.msg, k->set, NULL, NULL);
}

static int obj_del(const struct mt_kind *k, struct args *a)
{
	struct nl_msg *msg;
	const char *name;
	int ret;

	bool force = false;

	name = obj_name(k, a, CMD_DEL, &ret);
	if (!name)
		return ret;
	if (args_left(a) && k->attr_force && !strcmp(args_peek(a), "force")) {
		args_next(a);
		force = true;
	}
	if (args_left(a)) {
		if (is_help(args_peek(a))) {
			obj_usage(k, stdout, CMD_DEL);
			return 0;
		}
		return error("unexpected argument '%s'", args_peek(a));
	}
	msg = obj_msg(k, k->cmd_del, name);
	if (!msg)
		return -1;
	if (force && nla_put_flag(msg, k->attr_force)) {
		nlmsg_free(msg);
		return error("request too large");
	}
	return mt_request(msg, k->set, NULL, NULL);
}

static int obj_reply(struct nl_msg *msg, void *arg)
{
	const struct mt_kind *k = *(const struct mt_kind **)arg;

	k->print(msg, NULL);
	return 0;
}

static int obj_show(const struct mt_kind *k, struct args *a)
{
	const char *name = args_next(a);
	struct nl_msg *msg;
	int ret;

	if (is_help(name) || is_help(args_peek(a))) {
		obj_usage(k, stdout, CMD_SHOW);
		return 0;
	}
	if (args_left(a))
		return error("unexpected argument '%s'", args_peek(a));
	msg = obj_msg(k, k->cmd_get, name);
	if (!msg)
		return -1;
	print_list_begin();
	ret = mt_request(msg, k->set, obj_reply, &k);
	if (ret) {
		print_list_drop();
		return ret;
	}
	return print_list_end();
}

int obj_dump(const struct mt_kind *k, mt_reply_fn fn, void *arg)
{
	struct nl_msg *msg = obj_msg(k, k->cmd_get, NULL);

	if (!msg)
		return -1;
	return mt_request(msg, k->set, fn, arg);
}

const char *obj_reply_name(const struct mt_kind *k, struct nl_msg *msg)
{
	const struct nlattr *a;
	struct nlattr *head;
	int len, rem;

	head = mt_msg_attrs(msg, &len);
	nla_for_each_attr(a, head, len, rem)
		if (nla_type(a) == k->attr_name)
			return *mt_get_str(a) ? mt_get_str(a) : NULL;
	return NULL;
}

/* mtier KIND ...: the command, show when there is none. */
int do_object(const struct mt_kind *k, struct args *a)
{
	int cmd = CMD_SHOW;
	char what[32];

	if (args_left(a)) {
		snprintf(what, sizeof(what), "%s command", k->name);
		cmd = parse_word(args_next(a), obj_cmds, N(obj_cmds), what);
		if (cmd < 0)
			return -1;
	}
	switch (cmd) {
	case CMD_ADD:
	case CMD_SET:
		return obj_add_set(k, a, cmd);
	case CMD_DEL:
		return obj_del(k, a);
	case CMD_SHOW:
		return obj_show(k, a);
	}
	obj_usage(k, stdout, CMD_HELP);
	return 0;
}
