// SPDX-License-Identifier: GPL-2.0
/*
 * mtier(8): administer mtier pools, peers and tiers.
 *
 *   mtier [ OPTIONS ] OBJECT { COMMAND | help }
 *   mtier [ OPTIONS ] [ -force ] -b[atch] FILE
 *
 * This file parses the global options and hands the rest of the command
 * line, or each line of a batch, to the object; see mtier.h for where
 * everything else lives.
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
	      "       mtier [ OPTIONS ] [ -force ] -b[atch] FILENAME\n"
	      "       mtier [ -j[son] ] [ -p[retty] ] [ -s[tatistics] ] { pool | peer | tier } [ show [ NAME ] ]\n"
	      "       mtier [ -j[son] ] monitor [ all | pool | peer | tier ]\n"
	      "       mtier save > FILENAME\n"
	      "where  OBJECT  := { pool | peer | tier | monitor | save | help }\n"
	      "       OPTIONS := { -j[son] | -p[retty] | -s[tatistics] | -V[ersion] | -h[elp] }\n"
	      "Try \"mtier OBJECT help\" for the commands of an object.\n", f);
}

#define OPT_BIT(id)	(1u << (id))

const struct word mt_options[] = {
	{ "json", OPT_JSON }, { "pretty", OPT_PRETTY },
	{ "statistics", OPT_STATS }, { "stats", OPT_STATS },
	{ "Version", OPT_VERSION }, { "version", OPT_VERSION },
	{ "help", OPT_HELP }, { "batch", OPT_BATCH }, { "force", OPT_FORCE },
};

const size_t n_mt_options = N(mt_options);

/*
 * One option word: a cluster of single-letter options ("-j", "-js"), or a
 * unique prefix of a long one with one or two dashes ("-json", "--stat",
 * "-b" for -batch).  A word made only of option letters is a cluster, so
 * "-js" is -j -s and not an abbreviation of -json.
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
			*set |= OPT_BIT(letter_ids[strchr(letters, *c) - letters]);
		return 0;
	}
	id = match_word(o, mt_options, n_mt_options);
	if (id < 0)
		return error("unknown option '%s' (try \"mtier -help\")", arg);
	*set |= OPT_BIT(id);
	return 0;
}

const struct word mt_objects[] = {
	{ "pool", OBJ_POOL }, { "peer", OBJ_PEER }, { "tier", OBJ_TIER },
	{ "monitor", OBJ_MONITOR }, { "save", OBJ_SAVE }, { "help", OBJ_HELP },
};

const size_t n_mt_objects = N(mt_objects);

static const struct mt_kind *const kinds[] = {
	[OBJ_POOL] = &pool_kind, [OBJ_PEER] = &peer_kind, [OBJ_TIER] = &tier_kind,
};

/* OBJECT ...: one command, from the command line or a line of a batch. */
static int run_command(struct args *a, bool batch)
{
	int obj = parse_word(args_next(a), mt_objects, n_mt_objects, "object");

	switch (obj) {
	case OBJ_POOL:
	case OBJ_PEER:
	case OBJ_TIER:
		return do_object(kinds[obj], a);
	case OBJ_MONITOR:
		/* It would never end, and it changes the socket. */
		if (batch)
			return error("monitor cannot run in a batch");
		return do_monitor(a);
	case OBJ_SAVE:
		return do_save(a);
	case OBJ_HELP:
		usage(stdout);
		return 0;
	}
	return -1;
}

static int run_batch_line(int argc, char **argv, void *arg)
{
	struct args a = { argc, argv };
	int ret;

	(void)arg;
	ret = run_command(&a, true);
	/* Keep the output in step with "Command failed" on stderr. */
	if (fflush(stdout) && !ret)
		ret = error("cannot write to stdout");
	return ret;
}

int main(int argc, char **argv)
{
	struct args a = { argc - 1, argv + 1 };
	const char *batch = NULL;
	unsigned int set = 0;
	int ret;

	if (argc > 1 && !strcmp(argv[1], "__complete"))
		return do_complete(argc - 2, argv + 2);
	while (args_left(&a) && args_peek(&a)[0] == '-') {
		const char *arg = args_next(&a);

		if (!strcmp(arg, "--"))
			break;
		if (parse_option(arg, &set))
			return 1;
		if (set & OPT_BIT(OPT_BATCH)) {
			set &= ~OPT_BIT(OPT_BATCH);
			if (batch) {
				error("-batch is given twice");
				return 1;
			}
			batch = args_next(&a);
			if (!batch) {
				error("-batch needs a file name (- for stdin)");
				return 1;
			}
		}
	}
	opts.json = set & OPT_BIT(OPT_JSON);
	opts.pretty = set & OPT_BIT(OPT_PRETTY);
	opts.stats = set & OPT_BIT(OPT_STATS);
	if (set & OPT_BIT(OPT_HELP)) {
		usage(stdout);
		return 0;
	}
	if (set & OPT_BIT(OPT_VERSION)) {
		printf("mtier utility, version %s (netlink family %s version %d)\n",
		       MTIER_VERSION, MTIER_FAMILY_NAME, MTIER_FAMILY_VERSION);
		return 0;
	}
	if (batch && args_left(&a)) {
		error("unexpected argument '%s' after -batch FILE",
		      args_peek(&a));
		return 1;
	}
	if (!batch && !args_left(&a)) {
		usage(stderr);
		return 1;
	}
	if (batch)
		ret = batch_file(batch, set & OPT_BIT(OPT_FORCE),
				 run_batch_line, NULL);
	else
		ret = run_command(&a, false);
	mt_close();
	if (fflush(stdout) && !ret)
		ret = error("cannot write to stdout");
	return ret ? 1 : 0;
}
