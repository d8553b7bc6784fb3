// SPDX-License-Identifier: GPL-2.0
/*
 * mtier: the attribute helpers of the control plane (nl.h): names, the
 * endpoints of pools and peers, counter nests.  Every kind's parse and
 * fill uses them; they explain each refusal in the extack.
 */
#include <linux/ctype.h>
#include <linux/inet.h>
#include <net/genetlink.h>
#include <net/ipv6.h>

#include "nl.h"

/* --- Names ------------------------------------------------------------ */

/* A mandatory attribute, or NULL with the extack saying which is missing. */
const struct nlattr *mtier_nl_need(struct genl_info *info, int type,
				   const char *what)
{
	if (GENL_REQ_ATTR_CHECK(info, type)) {
		NL_SET_ERR_MSG_FMT(info->extack, "missing attribute: %s", what);
		return NULL;
	}
	return info->attrs[type];
}

/* Names are 1-31 bytes of [A-Za-z0-9._-]: safe in sysfs, shells and JSON. */
int mtier_nl_check_name(struct netlink_ext_ack *extack,
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
const char *mtier_nl_name(struct genl_info *info, int attr)
{
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
const char *mtier_nl_new_name(struct genl_info *info, int attr,
			      const struct mtier_obj_ops *ops)
{
	const char *name = mtier_nl_name(info, attr);

	if (!IS_ERR(name) &&
	    mtier_obj_find(ops->type, genl_info_net(info), name)) {
		NL_SET_ERR_MSG_ATTR_FMT(info->extack, info->attrs[attr],
					"%s '%s' already exists", ops->kind, name);
		return ERR_PTR(-EEXIST);
	}
	return name;
}

/* --- Endpoints (pool listen address, peer address) --------------------- */

int mtier_nl_parse_ep(struct genl_info *info,
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
bool mtier_nl_ep_overlap(const struct mtier_endpoint *a,
			 const struct mtier_endpoint *b)
{
	if (!net_eq(a->net, b->net) ||
	    mtier_nl_ep_port(&a->addr) != mtier_nl_ep_port(&b->addr))
		return false;
	return mtier_nl_ep_wildcard(&a->addr) ||
	       mtier_nl_ep_wildcard(&b->addr) ||
	       mtier_nl_ep_same_addr(&a->addr, &b->addr);
}

bool mtier_nl_ep_equal(const struct mtier_endpoint *a,
		       const struct mtier_endpoint *b)
{
	return net_eq(a->net, b->net) &&
	       mtier_nl_ep_port(&a->addr) == mtier_nl_ep_port(&b->addr) &&
	       mtier_nl_ep_same_addr(&a->addr, &b->addr);
}

int mtier_nl_put_ep(struct sk_buff *skb, const struct mtier_nl_ep_attrs *a,
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

int mtier_nl_put_counters(struct sk_buff *skb, int nest_type,
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
