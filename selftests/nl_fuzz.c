// SPDX-License-Identifier: GPL-2.0
/*
 * Throw thousands of random and malformed messages at the mtier family:
 * random commands and flags, attributes of random types and lengths,
 * nested garbage, bad attribute and message lengths, truncated headers,
 * several messages per datagram, and byte flips of valid requests.  Then
 * check that the module still answers correctly.  The run script checks
 * dmesg afterwards.
 *
 * MTIER_FUZZ_SEED and MTIER_FUZZ_ITERS override the defaults; the seed is
 * printed so that a failure can be replayed.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "nl_lib.h"

static unsigned int rnd(unsigned int n)
{
	return n ? (unsigned int)random() % n : 0;
}

static void rnd_bytes(void *p, size_t n)
{
	unsigned char *c = p;

	while (n--)
		*c++ = random();
}

/*
 * Drain whatever the kernel answered.  Generic netlink handles a request
 * in the sender's sendmsg(), so the answer is queued by now: never wait.
 */
static int drain(int fd)
{
	static char buf[65536];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int n = 0;

	while (poll(&pfd, 1, 0) > 0) {
		if (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) < 0)
			break;
		n++;
	}
	return n;
}

/* A plausible attribute for a random attribute set, or garbage. */
static void rnd_attr(struct nlt_msg *m, int depth)
{
	static const size_t sizes[] = { 0, 1, 2, 3, 4, 5, 8, 9, 16, 64 };
	uint16_t type = rnd(4) ? 1 + rnd(14) : rnd(65536);
	char data[96];
	size_t len;

	switch (rnd(8)) {
	case 0: /* a string, possibly unterminated or overlong */
		len = rnd(80);
		memset(data, 'a' + rnd(26), len);
		if (rnd(2) && len)
			data[len - 1] = 0;
		nlt_put(m, type, data, len);
		break;
	case 1: /* a nest, with more garbage inside */
		if (depth < 3 && m->depth < NLT_MAX_NEST - 1) {
			int i, n = rnd(5);

			nlt_nest_start(m, type);
			for (i = 0; i < n; i++)
				rnd_attr(m, depth + 1);
			nlt_nest_end(m);
			break;
		}
		/* fall through */
	default: /* scalar-sized or random-sized binary */
		len = sizes[rnd(sizeof(sizes) / sizeof(sizes[0]))];
		rnd_bytes(data, len);
		nlt_put(m, rnd(8) ? type : type | NLA_F_NESTED, data, len);
		break;
	}
}

static void valid_request(struct nlt_msg *m, struct nlt_sock *s)
{
	char name[16];

	snprintf(name, sizeof(name), "f%u", rnd(50));
	switch (rnd(6)) {
	case 3: /* delete, get or change one of the objects it may have made */
		nlt_init(m, s, MTIER_CMD_POOL_GET + rnd(MTIER_CMD_TIER_SET), 0);
		nlt_put_str(m, 2, name);
		if (rnd(2))
			nlt_put_u64(m, MTIER_A_POOL_SIZE, (1 + rnd(8)) << 20);
		break;
	case 0:
		nlt_init(m, s, MTIER_CMD_POOL_ADD, 0);
		nlt_put_str(m, MTIER_A_POOL_NAME, name);
		nlt_put_u64(m, MTIER_A_POOL_SIZE, (1 + rnd(8)) << 20);
		nlt_put_u16(m, MTIER_A_POOL_PORT, 20000 + rnd(1000));
		break;
	case 1:
		nlt_init(m, s, MTIER_CMD_PEER_ADD, 0);
		nlt_put_str(m, MTIER_A_PEER_NAME, name);
		nlt_put_str(m, MTIER_A_PEER_ADDR, "10.6.0.1");
		nlt_put_u16(m, MTIER_A_PEER_PORT, 20000 + rnd(1000));
		break;
	default:
		nlt_init(m, s, MTIER_CMD_TIER_ADD, 0);
		nlt_put_str(m, MTIER_A_TIER_NAME, name);
		nlt_put_u64(m, MTIER_A_TIER_SIZE, 1 << 30);
		snprintf(name, sizeof(name), "f%u", rnd(50));
		nlt_put_str(m, MTIER_A_TIER_PEER, name);
		break;
	}
}

static void one_message(struct nlt_sock *s)
{
	static struct nlt_msg m, m2;
	struct nlmsghdr *nh = (struct nlmsghdr *)m.buf;
	size_t len;
	int i, n;

	switch (rnd(6)) {
	case 0: /* byte flips in a valid request */
		valid_request(&m, s);
		n = 1 + rnd(4);
		for (i = 0; i < n; i++)
			m.buf[NLMSG_HDRLEN + rnd(m.len - NLMSG_HDRLEN)] ^= 1 << rnd(8);
		break;
	case 1: /* a valid request: keeps real objects around */
		valid_request(&m, s);
		break;
	default: /* random command, flags and attributes */
		nlt_init(&m, s, rnd(4) ? rnd(MTIER_CMD_MAX + 2) : rnd(256),
			 rnd(3) ? 0 : NLM_F_DUMP);
		n = rnd(10);
		for (i = 0; i < n; i++)
			rnd_attr(&m, 0);
		break;
	}
	nh->nlmsg_seq = ++s->seq;
	if (rnd(2))
		nh->nlmsg_flags |= NLM_F_ACK;
	len = m.len;

	switch (rnd(10)) {
	case 0: /* truncated: header claims less than the genl header */
		nh->nlmsg_len = rnd(NLMSG_HDRLEN + GENL_HDRLEN);
		break;
	case 1: /* header claims more than was sent */
		nh->nlmsg_len = len + 1 + rnd(64);
		break;
	case 2: /* cut the datagram short */
		len = rnd(len);
		break;
	case 3: /* an attribute whose length overruns the message */
		if (len >= NLMSG_HDRLEN + GENL_HDRLEN + NLA_HDRLEN)
			((struct nlattr *)(m.buf + NLMSG_HDRLEN + GENL_HDRLEN))->nla_len =
				rnd(65536);
		break;
	case 4: /* two messages in one datagram */
		valid_request(&m2, s);
		((struct nlmsghdr *)m2.buf)->nlmsg_seq = ++s->seq;
		if (len + m2.len <= sizeof(m.buf)) {
			memcpy(m.buf + NLMSG_ALIGN(len), m2.buf, m2.len);
			len = NLMSG_ALIGN(len) + m2.len;
		}
		break;
	default:
		break;
	}
	nlt_send_raw(s, m.buf, len);
	drain(s->fd);
}

static void fuzz(struct nlt_sock *s, unsigned int iters)
{
	unsigned int i;

	for (i = 0; i < iters; i++)
		one_message(s);
}

FIXTURE(fuzz) {
};

FIXTURE_SETUP(fuzz)
{
}

FIXTURE_TEARDOWN(fuzz)
{
}

TEST_F_TIMEOUT(fuzz, random_and_malformed_messages, 500)
{
	unsigned int seed = time(NULL), iters = 50000;
	struct nlt_sock s, check;
	struct nlt_reply r;
	int status, err;
	pid_t pid;

	if (getenv("MTIER_FUZZ_SEED"))
		seed = strtoul(getenv("MTIER_FUZZ_SEED"), NULL, 0);
	if (getenv("MTIER_FUZZ_ITERS"))
		iters = strtoul(getenv("MTIER_FUZZ_ITERS"), NULL, 0);
	err = nlt_open(&s);
	if (err == -ENOENT)
		SKIP(return, "mtier module not loaded");
	ASSERT_EQ(0, err);
	ASSERT_EQ(0, nlt_flush(&s));
	TH_LOG("seed %u, %u messages as root, %u unprivileged", seed, iters,
	       iters / 10);

	srandom(seed);
	fuzz(&s, iters);

	/* and some without privileges */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(1);
		srandom(seed + 1);
		fuzz(&s, iters / 10);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
	nlt_close(&s);

	/* The module still answers, and answers right, on a fresh socket. */
	ASSERT_EQ(0, nlt_open(&check));
	TH_LOG("objects left by the fuzzer: %d pools, %d peers, %d tiers",
	       nlt_count(&check, MTIER_CMD_POOL_GET, &r),
	       nlt_count(&check, MTIER_CMD_PEER_GET, &r),
	       nlt_count(&check, MTIER_CMD_TIER_GET, &r));
	ASSERT_EQ(0, nlt_flush(&check));
	EXPECT_EQ(0, nlt_count(&check, MTIER_CMD_POOL_GET, &r));
	EXPECT_EQ(0, nlt_count(&check, MTIER_CMD_PEER_GET, &r));
	EXPECT_EQ(0, nlt_count(&check, MTIER_CMD_TIER_GET, &r));
	EXPECT_EQ(0, nlt_pool_add(&check, "after", 64 << 20, 0, &r));
	EXPECT_EQ(0, nlt_del(&check, MTIER_CMD_POOL_GET, MTIER_A_POOL_NAME,
			     "after", &r));
	EXPECT_EQ(64 << 20, nlt_attr_uint(nlt_data_attr(&r, MTIER_A_POOL_SIZE)));
	EXPECT_EQ(-EEXIST, nlt_pool_add(&check, "after", 64 << 20, 7001, &r));
	EXPECT_EQ(0, nlt_flush(&check));
	nlt_close(&check);
}

TEST_HARNESS_MAIN
