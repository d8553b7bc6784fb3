// SPDX-License-Identifier: GPL-2.0
/*
 * mtier(8): talking to the kernel over generic netlink, through libnl.
 *
 * One socket per run.  It asks for extended ACKs (NETLINK_EXT_ACK) so that
 * a refusal comes with the kernel's explanation, the offending attribute
 * and the policy it broke, and for capped ACKs (NETLINK_CAP_ACK) so that
 * the kernel does not echo our request back: we still have it, and an
 * attribute offset in the ACK is resolved by walking our own copy.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/genetlink.h>
#include <linux/mtier.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "mtier.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* Room for any sane request; longer names are refused before sending. */
#define REQ_SIZE 16384

static struct nl_sock *sk;
static int family;

/* --- Attribute getters (tolerant of what the kernel sends) ------------ */

/* NLA_UINT comes as 4 or 8 bytes; accept any unsigned width. */
uint64_t mt_get_uint(const struct nlattr *a)
{
	uint64_t v64;
	uint32_t v32;
	uint16_t v16;

	switch (nla_len(a)) {
	case 1:
		return *(const uint8_t *)nla_data(a);
	case 2:
		memcpy(&v16, nla_data(a), 2);
		return v16;
	case 4:
		memcpy(&v32, nla_data(a), 4);
		return v32;
	case 8:
		memcpy(&v64, nla_data(a), 8);
		return v64;
	}
	return 0;
}

uint32_t mt_get_u32(const struct nlattr *a)
{
	return nla_len(a) >= 4 ? mt_get_uint(a) & 0xffffffff : 0;
}

uint16_t mt_get_u16(const struct nlattr *a)
{
	return nla_len(a) >= 2 ? mt_get_uint(a) & 0xffff : 0;
}

/* A string attribute, or "" if it is not NUL-terminated. */
const char *mt_get_str(const struct nlattr *a)
{
	const char *s = nla_data(a);
	int len = nla_len(a);

	if (len < 1 || s[len - 1] != '\0')
		return "";
	return s;
}

uint8_t mt_msg_cmd(struct nl_msg *msg)
{
	return genlmsg_hdr(nlmsg_hdr(msg))->cmd;
}

int mt_msg_parse(struct nl_msg *msg, struct nlattr **tb, int max)
{
	return genlmsg_parse(nlmsg_hdr(msg), 0, tb, max, NULL);
}

struct nlattr *mt_msg_attrs(struct nl_msg *msg, int *len)
{
	const struct genlmsghdr *g = genlmsg_hdr(nlmsg_hdr(msg));

	*len = genlmsg_attrlen(g, 0);
	return genlmsg_attrdata(g, 0);
}

/* --- Socket and family ------------------------------------------------- */

static int mt_open(void)
{
	int one = 1, err;

	if (sk)
		return 0;
	sk = nl_socket_alloc();
	if (!sk)
		return error("cannot allocate a netlink socket");
	err = genl_connect(sk);
	if (err < 0) {
		nl_socket_free(sk);
		sk = NULL;
		return error("cannot open a generic netlink socket: %s",
			     nl_geterror(err));
	}
	/* Both exist since Linux 4.12; without them errors are terse. */
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK, &one,
		   sizeof(one));
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_CAP_ACK, &one,
		   sizeof(one));
	nl_socket_enable_msg_peek(sk);

	family = genl_ctrl_resolve(sk, MTIER_FAMILY_NAME);
	if (family < 0) {
		err = family;
		mt_close();
		if (err == -NLE_OBJ_NOTFOUND)
			return error("the mtier module is not loaded (modprobe mtier)");
		return error("cannot resolve the %s netlink family: %s",
			     MTIER_FAMILY_NAME, nl_geterror(err));
	}
	return 0;
}

void mt_close(void)
{
	if (sk)
		nl_socket_free(sk);
	sk = NULL;
}

/*
 * A request for @cmd.  The family id is filled in by mt_request(), so
 * that a request can be built (and refused) before the module is looked
 * up.
 */
struct nl_msg *mt_req_new(uint8_t cmd, bool dump)
{
	struct nl_msg *msg = nlmsg_alloc_size(REQ_SIZE);

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, 0, 0,
			 dump ? NLM_F_DUMP : 0, cmd, MTIER_FAMILY_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/* --- Extended ACKs ---------------------------------------------------- */

struct req_ctx {
	struct nl_msg *req;
	const struct attr_set *set;
	mt_reply_fn fn;
	void *arg;
	bool done;
	int status;
};

static const char *attr_name(const struct attr_set *set, int type,
			     char *buf, size_t len)
{
	if (set && type >= 0 && type <= set->max && set->names[type])
		return set->names[type];
	snprintf(buf, len, "#%d", type);
	return buf;
}

/* The type of the attribute of @req at byte @offs of its nlmsghdr. */
static int attr_at(struct nl_msg *req, uint32_t offs)
{
	struct nlmsghdr *nlh = nlmsg_hdr(req);
	const struct genlmsghdr *g = nlmsg_data(nlh);
	struct nlattr *a;
	uint32_t start;
	int rem;

	nla_for_each_attr(a, genlmsg_attrdata(g, 0), genlmsg_attrlen(g, 0),
			  rem) {
		start = (const char *)a - (const char *)nlh;
		if (offs >= start && offs < start + NLA_ALIGN(a->nla_len))
			return nla_type(a);
	}
	return -1;
}

/* "range 1-4", "max length 31" from a NLMSGERR_ATTR_POLICY nest. */
static void policy_str(struct nlattr *pol, char *buf, size_t len)
{
	struct nlattr *tb[NL_POLICY_TYPE_ATTR_MAX + 1] = {};
	size_t used = 0;

	buf[0] = '\0';
	if (nla_parse_nested(tb, NL_POLICY_TYPE_ATTR_MAX, pol, NULL) < 0)
		return;
#define ADD(...)							\
	do {								\
		if (used < len)						\
			used += snprintf(buf + used, len - used,	\
					 "%s", used ? ", " : "");	\
		if (used < len)						\
			used += snprintf(buf + used, len - used,	\
					 __VA_ARGS__);			\
	} while (0)
	if (tb[NL_POLICY_TYPE_ATTR_MIN_VALUE_U] &&
	    tb[NL_POLICY_TYPE_ATTR_MAX_VALUE_U])
		ADD("range %llu-%llu",
		    (unsigned long long)mt_get_uint(tb[NL_POLICY_TYPE_ATTR_MIN_VALUE_U]),
		    (unsigned long long)mt_get_uint(tb[NL_POLICY_TYPE_ATTR_MAX_VALUE_U]));
	else if (tb[NL_POLICY_TYPE_ATTR_MIN_VALUE_U])
		ADD("min %llu",
		    (unsigned long long)mt_get_uint(tb[NL_POLICY_TYPE_ATTR_MIN_VALUE_U]));
	else if (tb[NL_POLICY_TYPE_ATTR_MAX_VALUE_U])
		ADD("max %llu",
		    (unsigned long long)mt_get_uint(tb[NL_POLICY_TYPE_ATTR_MAX_VALUE_U]));
	if (tb[NL_POLICY_TYPE_ATTR_MIN_VALUE_S] &&
	    tb[NL_POLICY_TYPE_ATTR_MAX_VALUE_S])
		ADD("range %lld-%lld",
		    (long long)mt_get_uint(tb[NL_POLICY_TYPE_ATTR_MIN_VALUE_S]),
		    (long long)mt_get_uint(tb[NL_POLICY_TYPE_ATTR_MAX_VALUE_S]));
	if (tb[NL_POLICY_TYPE_ATTR_MIN_LENGTH] &&
	    tb[NL_POLICY_TYPE_ATTR_MAX_LENGTH])
		ADD("length %u-%u",
		    mt_get_u32(tb[NL_POLICY_TYPE_ATTR_MIN_LENGTH]),
		    mt_get_u32(tb[NL_POLICY_TYPE_ATTR_MAX_LENGTH]));
	else if (tb[NL_POLICY_TYPE_ATTR_MAX_LENGTH])
		ADD("max length %u", mt_get_u32(tb[NL_POLICY_TYPE_ATTR_MAX_LENGTH]));
	else if (tb[NL_POLICY_TYPE_ATTR_MIN_LENGTH])
		ADD("min length %u", mt_get_u32(tb[NL_POLICY_TYPE_ATTR_MIN_LENGTH]));
	if (tb[NL_POLICY_TYPE_ATTR_MASK])
		ADD("mask 0x%llx",
		    (unsigned long long)mt_get_uint(tb[NL_POLICY_TYPE_ATTR_MASK]));
#undef ADD
}

/*
 * Report an ACK (@err 0: only a warning, if the kernel sent a message) or
 * an error.  @tlv is where the extended ACK attributes start in the
 * payload of @nlh.
 */
static void report(struct req_ctx *ctx, struct nlmsghdr *nlh, size_t tlv,
		   int err)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1] = {};
	char where[128] = "", detail[96] = "", num[16];
	const char *msg = NULL, *name = NULL;
	size_t datalen = nlmsg_datalen(nlh);
	int type = -1;

	tlv = NLMSG_ALIGN(tlv);
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) && tlv < datalen)
		nla_parse(tb, NLMSGERR_ATTR_MAX,
			  (struct nlattr *)((char *)nlmsg_data(nlh) + tlv),
			  datalen - tlv, NULL);
	if (tb[NLMSGERR_ATTR_MSG] && *mt_get_str(tb[NLMSGERR_ATTR_MSG]))
		msg = mt_get_str(tb[NLMSGERR_ATTR_MSG]);
	if (!err) {
		if (msg)
			warning("%s", msg);
		return;
	}
	if (tb[NLMSGERR_ATTR_OFFS] && ctx->req)
		type = attr_at(ctx->req, mt_get_u32(tb[NLMSGERR_ATTR_OFFS]));
	else if (tb[NLMSGERR_ATTR_MISS_TYPE])
		type = mt_get_u32(tb[NLMSGERR_ATTR_MISS_TYPE]);
	if (type >= 0)
		name = attr_name(ctx->set, type, num, sizeof(num));
	if (tb[NLMSGERR_ATTR_POLICY])
		policy_str(tb[NLMSGERR_ATTR_POLICY], detail, sizeof(detail));
	if (name)
		snprintf(where, sizeof(where), " (attribute '%s'%s%s)", name,
			 *detail ? ", " : "", detail);
	else if (*detail)
		snprintf(where, sizeof(where), " (%s)", detail);

	if (msg)
		error("%s%s: %s", msg, where, strerror(-err));
	else
		error("%s%s", strerror(-err), where);
}

/* --- Requests ------------------------------------------------------------ */

static int valid_cb(struct nl_msg *msg, void *arg)
{
	struct req_ctx *ctx = arg;

	if (nlmsg_hdr(msg)->nlmsg_type == family && ctx->fn)
		ctx->fn(msg, ctx->arg);
	return NL_OK;
}

static int ack_cb(struct nl_msg *msg, void *arg)
{
	struct req_ctx *ctx = arg;

	report(ctx, nlmsg_hdr(msg), sizeof(struct nlmsgerr), 0);
	ctx->done = true;
	return NL_STOP;
}

/* NLMSG_DONE ends a dump; its payload is the dump's error code. */
static int finish_cb(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct req_ctx *ctx = arg;
	int err = 0;

	if (nlmsg_datalen(nlh) >= (int)sizeof(err))
		memcpy(&err, nlmsg_data(nlh), sizeof(err));
	report(ctx, nlh, sizeof(err), err);
	if (err)
		ctx->status = -1;
	ctx->done = true;
	return NL_STOP;
}

static int err_cb(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct req_ctx *ctx = arg;
	size_t tlv = sizeof(*e);

	(void)who;
	/* Uncapped, the request is echoed before the TLVs. */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED) &&
	    e->msg.nlmsg_len >= NLMSG_HDRLEN)
		tlv += e->msg.nlmsg_len - NLMSG_HDRLEN;
	report(ctx, nlh, tlv, e->error);
	ctx->status = -1;
	ctx->done = true;
	return NL_STOP;
}

static int dump_intr_cb(struct nl_msg *msg, void *arg)
{
	static bool warned;

	(void)msg;
	(void)arg;
	if (!warned)
		warning("the objects changed during the dump; it may be inconsistent");
	warned = true;
	return NL_OK;
}

static int seq_ok_cb(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_OK;
}

static struct nl_cb *make_cb(struct req_ctx *ctx)
{
	struct nl_cb *cb = nl_cb_alloc(NL_CB_CUSTOM);

	if (!cb)
		return NULL;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, valid_cb, ctx);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, ack_cb, ctx);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, finish_cb, ctx);
	nl_cb_set(cb, NL_CB_DUMP_INTR, NL_CB_CUSTOM, dump_intr_cb, ctx);
	nl_cb_err(cb, NL_CB_CUSTOM, err_cb, ctx);
	return cb;
}

/*
 * Send @req (consumed) and call @fn for each reply until the kernel's ACK,
 * error or end of dump.  A kernel error is printed here; @set names the
 * attributes of @req for that.  Returns 0 or -1.
 */
int mt_request(struct nl_msg *req, const struct attr_set *set,
	       mt_reply_fn fn, void *arg)
{
	struct req_ctx ctx = {
		.req = req, .set = set, .fn = fn, .arg = arg,
	};
	struct nl_cb *cb;
	int err;

	if (mt_open())
		goto out;
	nlmsg_hdr(req)->nlmsg_type = family;
	cb = make_cb(&ctx);
	if (!cb) {
		ctx.status = error("out of memory");
		goto out;
	}
	err = nl_send_auto(sk, req);
	if (err < 0) {
		ctx.status = error("cannot send the request: %s",
				   nl_geterror(err));
		ctx.done = true;
	}
	while (!ctx.done) {
		err = nl_recvmsgs(sk, cb);
		if (err < 0 && !ctx.done)
			ctx.status = error("netlink: %s", nl_geterror(err));
		if (err < 0)
			break;
	}
	nl_cb_put(cb);
	nlmsg_free(req);
	return ctx.status;
out:
	nlmsg_free(req);
	return -1;
}

/* --- Notifications -------------------------------------------------------- */

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

/*
 * Join the monitor group and call @fn for each notification until SIGINT
 * or SIGTERM.  The signals stay blocked except while waiting in ppoll(),
 * so that one arriving between two events is not lost.
 */
int mt_monitor(mt_reply_fn fn, void *arg)
{
	struct req_ctx ctx = { .fn = fn, .arg = arg };
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block, waitmask;
	struct pollfd pfd;
	struct nl_cb *cb;
	int grp, err, status = 0;

	if (mt_open())
		return -1;
	grp = genl_ctrl_resolve_grp(sk, MTIER_FAMILY_NAME, MTIER_MCGRP_MONITOR);
	if (grp < 0)
		return error("cannot find the %s multicast group: %s",
			     MTIER_MCGRP_MONITOR, nl_geterror(grp));
	err = nl_socket_add_membership(sk, grp);
	if (err < 0)
		return error("cannot join the %s multicast group: %s",
			     MTIER_MCGRP_MONITOR, nl_geterror(err));
	nl_socket_set_buffer_size(sk, 1 << 20, 0);
	nl_socket_set_nonblocking(sk);
	cb = make_cb(&ctx);
	if (!cb)
		return error("out of memory");
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, seq_ok_cb, NULL);

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	sigdelset(&waitmask, SIGINT);
	sigdelset(&waitmask, SIGTERM);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	pfd.fd = nl_socket_get_fd(sk);
	pfd.events = POLLIN;
	while (!stop_signal) {
		if (ppoll(&pfd, 1, NULL, &waitmask) < 0) {
			if (errno == EINTR)
				continue;
			status = error("poll: %s", strerror(errno));
			break;
		}
		err = nl_recvmsgs(sk, cb);
		if (err >= 0 || err == -NLE_AGAIN)
			continue;
		if (err == -NLE_NOMEM) {
			/* ENOBUFS: the socket overflowed. */
			warning("events were lost (receive buffer overrun)");
			continue;
		}
		status = error("netlink: %s", nl_geterror(err));
		break;
	}
	nl_cb_put(cb);
	return status;
}
