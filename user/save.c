// SPDX-License-Identifier: GPL-2.0
/*
 * mtier(8): the running configuration, as commands.
 *
 *   mtier save
 *
 * Prints one "KIND add NAME ..." line per pool, then per peer, then per
 * tier (tiers need their peers), each with the settings that differ from
 * the defaults, so that "mtier -b" of the output recreates them.  Only what
 * the kernel's get replies report is saved; the kinds' save callbacks (in
 * pool.c, peer.c and tier.c) choose what to print.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <linux/mtier.h>

#include "mtier.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

void save_begin(const char *kind, const char *name)
{
	printf("%s add %s", kind, name);
}

void save_string(const char *kw, const char *val)
{
	printf(" %s %s", kw, val);
}

void save_uint(const char *kw, uint64_t val)
{
	printf(" %s %" PRIu64, kw, val);
}

/* In the largest unit that divides it exactly, as show prints it. */
void save_size(const char *kw, uint64_t val)
{
	char buf[32];

	printf(" %s %s", kw, size_str(val, buf, sizeof(buf)));
}

/*
 * "kw ADDR[:PORT]", with IPv6 addresses in brackets and the port only when
 * it is not the default.  With @any_is_default, 0.0.0.0 is the default
 * address and is left out too (then only "port PORT", if needed).
 */
void save_endpoint(const char *kw, const char *addr, uint16_t port,
		   bool any_is_default)
{
	bool v6 = strchr(addr, ':');

	if (any_is_default && !strcmp(addr, "0.0.0.0")) {
		if (port != MTIER_DEFAULT_PORT)
			save_uint("port", port);
		return;
	}
	printf(" %s %s%s%s", kw, v6 ? "[" : "", addr, v6 ? "]" : "");
	if (port != MTIER_DEFAULT_PORT)
		printf(":%u", port);
}

/* The value of @a, unless it is missing or the default @def. */
void save_uint_attr(const char *kw, const struct nlattr *a, uint64_t def)
{
	if (a && mt_get_uint(a) != def)
		save_uint(kw, mt_get_uint(a));
}

void save_size_attr(const char *kw, const struct nlattr *a, uint64_t def)
{
	if (a && mt_get_uint(a) != def)
		save_size(kw, mt_get_uint(a));
}

/* An enumeration by its name in @names (of @n), which the parser takes. */
void save_enum_attr(const char *kw, const struct nlattr *a,
		    const char *const *names, size_t n, uint32_t def)
{
	uint32_t v;

	if (!a || mt_get_u32(a) == def)
		return;
	v = mt_get_u32(a);
	if (v < n && names[v])
		save_string(kw, names[v]);
	else
		warning("save: %s %u has no name; left out", kw, v);
}

void save_end(void)
{
	putchar('\n');
}

static void save_usage(FILE *f)
{
	fputs("Usage: mtier save > FILENAME\n"
	      "       mtier -b FILENAME   (replays it)\n", f);
}

static int save_reply(struct nl_msg *msg, void *arg)
{
	const struct mt_kind *k = arg;

	k->save(msg);
	return 0;
}

int do_save(struct args *a)
{
	static const struct mt_kind *const order[] = {
		&pool_kind, &peer_kind, &tier_kind,
	};
	size_t i;

	if (is_help(args_peek(a))) {
		save_usage(stdout);
		return 0;
	}
	if (args_left(a))
		return error("unexpected argument '%s'", args_peek(a));
	if (opts.json || opts.stats)
		return error("save prints commands: it has no -json or -statistics output");
	for (i = 0; i < N(order); i++)
		if (obj_dump(order[i], save_reply, (void *)order[i]))
			return -1;
	return 0;
}
