// SPDX-License-Identifier: GPL-2.0
/*
 * mtier(8): administer mtier pools, peers and tiers.
 *
 *   mtier [ OPTIONS ] OBJECT { COMMAND | help }
 *
 * This file parses the global options and hands the rest of the command
 * line to the object; see mtier.h for where everything else lives.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/mtier.h>

#include "mtier.h"

#ifndef MTIER_VERSION
#define MTIER_VERSION "unknown"
#endif

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct mtier_opts opts;

static void usage(FILE *f)
{
	fputs("Usage: mtier [ OPTIONS ] OBJECT { COMMAND | help }\n"
	      "       mtier [ -j[son] ] [ -p[retty] ] [ -s[tatistics] ] { pool | peer | tier } [ show [ NAME ] ]\n"
	      "       mtier [ -j[son] ] monitor [ all | pool | peer | tier ]\n"
	      "       mtier save > FILENAME\n"
	      "where  OBJECT  := { pool | peer | tier | monitor | save | help }\n"
	      "       OPTIONS := { -j[son] | -p[retty] | -s[tatistics] | -V[ersion] | -h[elp] }\n"
	      "Try \"mtier OBJECT help\" for the commands of an object.\n", f);
}

enum { OPT_JSON, OPT_PRETTY, OPT_STATS, OPT_VERSION, OPT_HELP };

static const struct word options[] = {
	{ "json", OPT_JSON }, { "pretty", OPT_PRETTY },
	{ "statistics", OPT_STATS }, { "stats", OPT_STATS },
	{ "Version", OPT_VERSION }, { "version", OPT_VERSION },
	{ "help", OPT_HELP },
};

/*
 * One option word: a cluster of single-letter options ("-j", "-js"), or a
 * unique prefix of a long one with one or two dashes ("-json", "--stat").
 * A word made only of option letters is a cluster, so "-js" is -j -s and
 * not an abbreviation of -json.
 */
static int parse_option(const char *arg, unsigned int *set)
{
	static const char letters[] = "jpsVh";
	static const int letter_ids[] = {
		OPT_JSON, OPT_PRETTY, OPT_STATS, OPT_VERSION, OPT_HELP,
	};
	const char *o = arg + 1 + (arg[1] == '-');
	const char *c;
	int id;

	if (arg[1] != '-' && *o && strspn(o, letters) == strlen(o)) {
		for (c = o; *c; c++)
			*set |= 1u << letter_ids[strchr(letters, *c) - letters];
		return 0;
	}
	id = match_word(o, options, N(options));
	if (id < 0)
		return error("unknown option '%s' (try \"mtier -help\")", arg);
	*set |= 1u << id;
	return 0;
}

enum { OBJ_POOL, OBJ_PEER, OBJ_TIER, OBJ_MONITOR, OBJ_SAVE, OBJ_HELP };

static const struct word objects[] = {
	{ "pool", OBJ_POOL }, { "peer", OBJ_PEER }, { "tier", OBJ_TIER },
	{ "monitor", OBJ_MONITOR }, { "save", OBJ_SAVE }, { "help", OBJ_HELP },
};

static const struct mt_kind *const kinds[] = {
	[OBJ_POOL] = &pool_kind, [OBJ_PEER] = &peer_kind, [OBJ_TIER] = &tier_kind,
};

int main(int argc, char **argv)
{
	struct args a = { argc - 1, argv + 1 };
	unsigned int set = 0;
	int obj, ret;

	while (args_left(&a) && args_peek(&a)[0] == '-') {
		const char *arg = args_next(&a);

		if (!strcmp(arg, "--"))
			break;
		if (parse_option(arg, &set))
			return 1;
	}
	opts.json = set & (1u << OPT_JSON);
	opts.pretty = set & (1u << OPT_PRETTY);
	opts.stats = set & (1u << OPT_STATS);
	if (set & (1u << OPT_HELP)) {
		usage(stdout);
		return 0;
	}
	if (set & (1u << OPT_VERSION)) {
		printf("mtier utility, version %s (netlink family %s version %d)\n",
		       MTIER_VERSION, MTIER_FAMILY_NAME, MTIER_FAMILY_VERSION);
		return 0;
	}
	if (!args_left(&a)) {
		usage(stderr);
		return 1;
	}
	obj = parse_word(args_next(&a), objects, N(objects), "object");
	switch (obj) {
	case OBJ_POOL:
	case OBJ_PEER:
	case OBJ_TIER:
		ret = do_object(kinds[obj], &a);
		break;
	case OBJ_MONITOR:
		ret = do_monitor(&a);
		break;
	case OBJ_SAVE:
		ret = do_save(&a);
		break;
	case OBJ_HELP:
		usage(stdout);
		ret = 0;
		break;
	default:
		ret = -1;
		break;
	}
	mt_close();
	if (fflush(stdout) && !ret)
		ret = error("cannot write to stdout");
	return ret ? 1 : 0;
}
