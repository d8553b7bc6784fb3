// SPDX-License-Identifier: GPL-2.0
/*
 * A small raw generic netlink client for the mtier selftests; see nl_lib.h.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nl_lib.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define NLA_OK_LEN(a, rem) ((rem) >= (int)sizeof(struct nlattr) && \
			    (a)->nla_len >= sizeof(struct nlattr) && \
			    (a)->nla_len <= (rem))
#define NLA_NEXT(a, rem) ((rem) -= NLA_ALIGN((a)->nla_len), \
			  (struct nlattr *)((char *)(a) + NLA_ALIGN((a)->nla_len)))
#define NLA_DATA(a) ((void *)((char *)(a) + NLA_HDRLEN))
#define NLA_PLEN(a) ((a)->nla_len - NLA_HDRLEN)

static struct nlmsghdr *hdr(struct nlt_msg *m)
{
	return (struct nlmsghdr *)m->buf;
}

void nlt_init(struct nlt_msg *m, const struct nlt_sock *s, uint8_t cmd,
	      uint16_t flags)
{
	struct genlmsghdr *g;

	memset(m, 0, sizeof(*m));
	hdr(m)->nlmsg_type = s->family;
	hdr(m)->nlmsg_flags = NLM_F_REQUEST | flags;
	g = (struct genlmsghdr *)(m->buf + NLMSG_HDRLEN);
	g->cmd = cmd;
	g->version = 1;
	m->len = NLMSG_HDRLEN + GENL_HDRLEN;
	hdr(m)->nlmsg_len = m->len;
}

void nlt_put(struct nlt_msg *m, uint16_t type, const void *data, size_t len)
{
	struct nlattr *a = (struct nlattr *)(m->buf + m->len);

	if (m->len + NLA_HDRLEN + NLA_ALIGN(len) > sizeof(m->buf))
		return;
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy(NLA_DATA(a), data, len);
	memset((char *)NLA_DATA(a) + len, 0, NLA_ALIGN(len) - len);
	m->len += NLA_HDRLEN + NLA_ALIGN(len);
	hdr(m)->nlmsg_len = m->len;
}

void nlt_put_u16(struct nlt_msg *m, uint16_t type, uint16_t v)
{
	nlt_put(m, type, &v, sizeof(v));
}

void nlt_put_u32(struct nlt_msg *m, uint16_t type, uint32_t v)
{
	nlt_put(m, type, &v, sizeof(v));
}

void nlt_put_u64(struct nlt_msg *m, uint16_t type, uint64_t v)
{
	nlt_put(m, type, &v, sizeof(v));
}

void nlt_put_str(struct nlt_msg *m, uint16_t type, const char *str)
{
	nlt_put(m, type, str, strlen(str) + 1);
}

void nlt_nest_start(struct nlt_msg *m, uint16_t type)
{
	m->nest[m->depth++] = m->len;
	nlt_put(m, type | NLA_F_NESTED, NULL, 0);
}

void nlt_nest_end(struct nlt_msg *m)
{
	struct nlattr *a = (struct nlattr *)(m->buf + m->nest[--m->depth]);

	a->nla_len = m->len - m->nest[m->depth];
}

int nlt_send_raw(struct nlt_sock *s, const void *buf, size_t len)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	if (sendto(s->fd, buf, len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	return 0;
}

/* Which attribute of our request sits at @off?  Fills bad_attr/bad_nested. */
static void blame(const struct nlt_msg *req, uint32_t off, struct nlt_reply *r)
{
	size_t pos = NLMSG_HDRLEN + GENL_HDRLEN;

	while (req && pos + NLA_HDRLEN <= req->len) {
		const struct nlattr *a = (const void *)(req->buf + pos);
		size_t end = pos + NLA_ALIGN(a->nla_len);

		if (a->nla_len < NLA_HDRLEN)
			return;
		if (off == pos) {
			r->bad_attr = a->nla_type & NLA_TYPE_MASK;
			return;
		}
		if (off > pos && off < end) {
			size_t in = pos + NLA_HDRLEN;

			r->bad_attr = a->nla_type & NLA_TYPE_MASK;
			while (in + NLA_HDRLEN <= end) {
				const struct nlattr *b = (const void *)(req->buf + in);

				if (b->nla_len < NLA_HDRLEN)
					return;
				if (off == in) {
					r->bad_nested = b->nla_type & NLA_TYPE_MASK;
					return;
				}
				in += NLA_ALIGN(b->nla_len);
			}
			return;
		}
		pos = end;
	}
}

static long long policy_val(const struct nlattr *a)
{
	if (NLA_PLEN(a) == 8)
		return *(long long *)NLA_DATA(a);
	if (NLA_PLEN(a) == 4)
		return *(uint32_t *)NLA_DATA(a);
	return -1;
}

static void parse_ack(const struct nlmsghdr *nh, const struct nlt_msg *req,
		      struct nlt_reply *r)
{
	const struct nlmsgerr *e = NLMSG_DATA(nh);
	const struct nlattr *a;
	size_t off;
	int rem;

	r->error = e->error;
	if (!(nh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	off = NLMSG_HDRLEN + sizeof(*e);
	if (!(nh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	if (off >= nh->nlmsg_len)
		return;
	a = (const void *)((const char *)nh + off);
	rem = nh->nlmsg_len - off;
	for (; NLA_OK_LEN(a, rem); a = NLA_NEXT(a, rem)) {
		switch (a->nla_type & NLA_TYPE_MASK) {
		case NLMSGERR_ATTR_MSG:
			snprintf(r->msg, sizeof(r->msg), "%.*s",
				 (int)NLA_PLEN(a), (char *)NLA_DATA(a));
			break;
		case NLMSGERR_ATTR_OFFS:
			blame(req, *(uint32_t *)NLA_DATA(a), r);
			break;
		case NLMSGERR_ATTR_MISS_TYPE:
			r->miss_type = *(uint32_t *)NLA_DATA(a);
			break;
		case NLMSGERR_ATTR_POLICY: {
			const struct nlattr *p = NLA_DATA(a);
			int prem = NLA_PLEN(a);

			for (; NLA_OK_LEN(p, prem); p = NLA_NEXT(p, prem)) {
				switch (p->nla_type & NLA_TYPE_MASK) {
				case NL_POLICY_TYPE_ATTR_MAX_LENGTH:
					r->pol_max_len = policy_val(p);
					break;
				case NL_POLICY_TYPE_ATTR_MIN_VALUE_U:
				case NL_POLICY_TYPE_ATTR_MIN_VALUE_S:
					r->pol_min = policy_val(p);
					break;
				case NL_POLICY_TYPE_ATTR_MAX_VALUE_U:
				case NL_POLICY_TYPE_ATTR_MAX_VALUE_S:
					r->pol_max = policy_val(p);
					break;
				}
			}
			break;
		}
		}
	}
}

static void reply_reset(struct nlt_reply *r)
{
	memset(r, 0, sizeof(*r));
	r->bad_attr = -1;
	r->bad_nested = -1;
	r->miss_type = -1;
	r->pol_max_len = -1;
	r->pol_min = -1;
	r->pol_max = -1;
}

int nlt_recv_reply(struct nlt_sock *s, const struct nlt_msg *req,
		   struct nlt_reply *r)
{
	static char buf[65536];
	uint32_t seq = req ? ((const struct nlmsghdr *)req->buf)->nlmsg_seq : 0;

	reply_reset(r);
	for (;;) {
		struct nlmsghdr *nh;
		ssize_t n;
		int got_data = 0;

		n = recv(s->fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (nh = (void *)buf; NLMSG_OK(nh, n); nh = NLMSG_NEXT(nh, n)) {
			if (req && nh->nlmsg_seq != seq)
				continue;
			if (nh->nlmsg_type == NLMSG_ERROR) {
				parse_ack(nh, req, r);
				return r->error;
			}
			if (nh->nlmsg_type == NLMSG_DONE) {
				if (nh->nlmsg_len >= NLMSG_LENGTH(sizeof(int)))
					r->error = *(int *)NLMSG_DATA(nh);
				if (nh->nlmsg_flags & NLM_F_ACK_TLVS)
					parse_ack(nh, req, r);
				return r->error;
			}
			r->nmsgs++;
			got_data = 1;
			if (s->on_data)
				s->on_data(nh, s->on_data_arg);
			if (nh->nlmsg_len <= sizeof(r->data)) {
				memcpy(r->data, nh, nh->nlmsg_len);
				r->data_len = nh->nlmsg_len;
			}
			if (!(nh->nlmsg_flags & NLM_F_MULTI) &&
			    !(req && (((const struct nlmsghdr *)req->buf)->nlmsg_flags &
				      NLM_F_ACK)))
				return 0;
		}
		r->nreads += got_data;
	}
}

int nlt_transact(struct nlt_sock *s, struct nlt_msg *m, struct nlt_reply *r)
{
	int err;

	hdr(m)->nlmsg_seq = ++s->seq;
	if (!(hdr(m)->nlmsg_flags & NLM_F_DUMP))
		hdr(m)->nlmsg_flags |= NLM_F_ACK;
	err = nlt_send_raw(s, m->buf, m->len);
	if (err) {
		reply_reset(r);
		r->error = err;
		return err;
	}
	return nlt_recv_reply(s, m, r);
}

const struct nlattr *nlt_attr(const void *payload, size_t len, uint16_t type)
{
	const struct nlattr *a = payload;
	int rem = len;

	for (; NLA_OK_LEN(a, rem); a = NLA_NEXT(a, rem))
		if ((a->nla_type & NLA_TYPE_MASK) == type)
			return a;
	return NULL;
}

const struct nlattr *nlt_data_attr(const struct nlt_reply *r, uint16_t type)
{
	size_t off = NLMSG_HDRLEN + GENL_HDRLEN;

	if (r->data_len <= off)
		return NULL;
	return nlt_attr(r->data + off, r->data_len - off, type);
}

uint64_t nlt_attr_uint(const struct nlattr *a)
{
	if (NLA_PLEN(a) == 8)
		return *(uint64_t *)NLA_DATA(a);
	if (NLA_PLEN(a) == 4)
		return *(uint32_t *)NLA_DATA(a);
	if (NLA_PLEN(a) == 2)
		return *(uint16_t *)NLA_DATA(a);
	return *(uint8_t *)NLA_DATA(a);
}

static int resolve(struct nlt_sock *s)
{
	const struct nlattr *a, *grps, *g;
	struct nlt_sock ctrl = { .fd = s->fd, .family = GENL_ID_CTRL };
	struct nlt_msg m;
	struct nlt_reply r;
	size_t off = NLMSG_HDRLEN + GENL_HDRLEN;
	int err, rem;

	nlt_init(&m, &ctrl, CTRL_CMD_GETFAMILY, 0);
	nlt_put_str(&m, CTRL_ATTR_FAMILY_NAME, MTIER_FAMILY_NAME);
	err = nlt_transact(&ctrl, &m, &r);
	if (err)
		return err;
	a = nlt_attr(r.data + off, r.data_len - off, CTRL_ATTR_FAMILY_ID);
	if (!a)
		return -ENOENT;
	s->family = *(uint16_t *)NLA_DATA(a);
	grps = nlt_attr(r.data + off, r.data_len - off, CTRL_ATTR_MCAST_GROUPS);
	if (!grps)
		return 0;
	g = NLA_DATA(grps);
	rem = NLA_PLEN(grps);
	for (; NLA_OK_LEN(g, rem); g = NLA_NEXT(g, rem)) {
		const struct nlattr *name, *id;

		name = nlt_attr(NLA_DATA(g), NLA_PLEN(g), CTRL_ATTR_MCAST_GRP_NAME);
		id = nlt_attr(NLA_DATA(g), NLA_PLEN(g), CTRL_ATTR_MCAST_GRP_ID);
		if (name && id && !strcmp(NLA_DATA(name), MTIER_MCGRP_MONITOR))
			s->monitor_grp = *(uint32_t *)NLA_DATA(id);
	}
	return 0;
}

int nlt_open(struct nlt_sock *s)
{
	int one = 1;

	memset(s, 0, sizeof(*s));
	s->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (s->fd < 0)
		return -errno;
	setsockopt(s->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(s->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	return resolve(s);
}

void nlt_close(struct nlt_sock *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

int nlt_subscribe(struct nlt_sock *s)
{
	if (!s->monitor_grp)
		return -ENOENT;
	if (setsockopt(s->fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
		       &s->monitor_grp, sizeof(s->monitor_grp)))
		return -errno;
	return 0;
}

int nlt_recv_ntf(struct nlt_sock *s, int timeout_ms, char *name, size_t len)
{
	static char buf[65536];
	struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
	struct nlmsghdr *nh;
	ssize_t n;

	for (;;) {
		if (poll(&pfd, 1, timeout_ms) <= 0)
			return -1;
		n = recv(s->fd, buf, sizeof(buf), 0);
		if (n < 0)
			return -1;
		for (nh = (void *)buf; NLMSG_OK(nh, n); nh = NLMSG_NEXT(nh, n)) {
			struct genlmsghdr *g = NLMSG_DATA(nh);
			const struct nlattr *a;

			if (nh->nlmsg_type != s->family || nh->nlmsg_seq)
				continue;
			/* id is attribute 1 and name attribute 2 in every set */
			a = nlt_attr((char *)g + GENL_HDRLEN,
				     nh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN, 2);
			if (name)
				snprintf(name, len, "%s", a ? (char *)NLA_DATA(a) : "");
			return g->cmd;
		}
	}
}

int nlt_pool_add(struct nlt_sock *s, const char *name, uint64_t size,
		 uint16_t port, struct nlt_reply *r)
{
	struct nlt_msg m;

	nlt_init(&m, s, MTIER_CMD_POOL_ADD, 0);
	nlt_put_str(&m, MTIER_A_POOL_NAME, name);
	nlt_put_u64(&m, MTIER_A_POOL_SIZE, size);
	if (port)
		nlt_put_u16(&m, MTIER_A_POOL_PORT, port);
	return nlt_transact(s, &m, r);
}

int nlt_peer_add(struct nlt_sock *s, const char *name, const char *addr,
		 uint16_t port, struct nlt_reply *r)
{
	struct nlt_msg m;

	nlt_init(&m, s, MTIER_CMD_PEER_ADD, 0);
	nlt_put_str(&m, MTIER_A_PEER_NAME, name);
	nlt_put_str(&m, MTIER_A_PEER_ADDR, addr);
	if (port)
		nlt_put_u16(&m, MTIER_A_PEER_PORT, port);
	return nlt_transact(s, &m, r);
}

int nlt_tier_add(struct nlt_sock *s, const char *name, uint64_t size,
		 const char *peer, struct nlt_reply *r)
{
	struct nlt_msg m;

	nlt_init(&m, s, MTIER_CMD_TIER_ADD, 0);
	nlt_put_str(&m, MTIER_A_TIER_NAME, name);
	nlt_put_u64(&m, MTIER_A_TIER_SIZE, size);
	nlt_put_str(&m, MTIER_A_TIER_PEER, peer);
	return nlt_transact(s, &m, r);
}

int nlt_del(struct nlt_sock *s, uint8_t cmd, uint16_t name_attr,
	    const char *name, struct nlt_reply *r)
{
	struct nlt_msg m;

	nlt_init(&m, s, cmd, 0);
	nlt_put_str(&m, name_attr, name);
	return nlt_transact(s, &m, r);
}

int nlt_count(struct nlt_sock *s, uint8_t cmd, struct nlt_reply *r)
{
	struct nlt_msg m;
	int err;

	nlt_init(&m, s, cmd, NLM_F_DUMP);
	err = nlt_transact(s, &m, r);
	return err ? err : r->nmsgs;
}

struct name_list {
	char (*names)[MTIER_NAME_LEN + 1];
	size_t n, cap;
};

static void collect_name(const struct nlmsghdr *nh, void *arg)
{
	struct name_list *l = arg;
	const struct nlattr *a;

	a = nlt_attr((const char *)nh + NLMSG_HDRLEN + GENL_HDRLEN,
		     nh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN, 2);
	if (!a)
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		void *p = realloc(l->names, cap * sizeof(*l->names));

		if (!p)
			return;
		l->names = p;
		l->cap = cap;
	}
	snprintf(l->names[l->n++], sizeof(l->names[0]), "%s",
		 (const char *)NLA_DATA(a));
}

/* Dump the names of one kind, then delete them all. */
static int flush_kind(struct nlt_sock *s, uint8_t get, uint8_t del)
{
	struct name_list l = { 0 };
	struct nlt_reply r;
	struct nlt_msg m;
	size_t i;
	int err;

	nlt_init(&m, s, get, NLM_F_DUMP);
	s->on_data = collect_name;
	s->on_data_arg = &l;
	err = nlt_transact(s, &m, &r);
	s->on_data = NULL;
	for (i = 0; !err && i < l.n; i++)
		err = nlt_del(s, del, 2, l.names[i], &r);
	free(l.names);
	return err;
}

int nlt_flush(struct nlt_sock *s)
{
	int err;

	err = flush_kind(s, MTIER_CMD_TIER_GET, MTIER_CMD_TIER_DEL);
	if (!err)
		err = flush_kind(s, MTIER_CMD_PEER_GET, MTIER_CMD_PEER_DEL);
	if (!err)
		err = flush_kind(s, MTIER_CMD_POOL_GET, MTIER_CMD_POOL_DEL);
	return err;
}
