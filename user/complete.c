// SPDX-License-Identifier: GPL-2.0
/*
 * mtier(8): the helper behind the bash completion (mtier.bash-completion).
 *
 *   mtier __complete [ WORD ... ] CURRENT
 *
 * WORDs are what was typed after "mtier" before the cursor, CURRENT the
 * word under it (maybe empty).  Prints, one per line, every word that may
 * stand there and starts with CURRENT: options, objects, commands,
 * keywords and values from the tables the parser itself uses, and names of
 * existing objects, which it asks the kernel for (none when it cannot).
 * Aliases are printed only when the main name does not match.
 *
 * Exit status 0, or COMPLETE_FILES where a file name goes (after -b): the
 * shell completes those itself.  Errors are not printed.
 */
#include <stdio.h>
#include <string.h>

#include "mtier.h"

#define COMPLETE_FILES	2

/* Each word of @words that starts with @cur, one per id, but ids in @skip. */
static void put_words(const struct word *words, size_t n, const char *cur,
		      const char *prefix, unsigned int skip)
{
	unsigned int done = skip;
	size_t i;

	for (i = 0; i < n; i++) {
		if (words[i].id < 32 && (done & (1u << words[i].id)))
			continue;
		if (strncmp(words[i].name, cur, strlen(cur)))
			continue;
		printf("%s%s\n", prefix, words[i].name);
		if (words[i].id < 32)
			done |= 1u << words[i].id;
	}
}

struct names_ctx {
	const struct mt_kind *kind;
	const char *cur;	/* the start of the name being typed */
	const char *list;	/* "d1,d2," before it, or "" */
	size_t list_len;
};

/* Whether @name is one of the comma-separated names of @list[0..len). */
static bool in_list(const char *list, size_t len, const char *name)
{
	size_t n = strlen(name);
	const char *p = list, *end = list + len, *comma;

	while (p < end) {
		comma = memchr(p, ',', end - p);
		if (!comma)
			comma = end;
		if ((size_t)(comma - p) == n && !strncmp(p, name, n))
			return true;
		p = comma + 1;
	}
	return false;
}

static int put_name(struct nl_msg *msg, void *arg)
{
	struct names_ctx *ctx = arg;
	const char *name = obj_reply_name(ctx->kind, msg);

	if (!name || strncmp(name, ctx->cur, strlen(ctx->cur)) ||
	    in_list(ctx->list, ctx->list_len, name))
		return 0;
	printf("%.*s%s\n", (int)ctx->list_len, ctx->list, name);
	return 0;
}

/* Names of objects of @k; with @list, CURRENT is "name,name,...". */
static void put_names(const struct mt_kind *k, const char *cur, bool list)
{
	const char *comma = list ? strrchr(cur, ',') : NULL;
	struct names_ctx ctx = {
		.kind = k, .cur = comma ? comma + 1 : cur, .list = cur,
		.list_len = comma ? (size_t)(comma + 1 - cur) : 0,
	};

	obj_dump(k, put_name, &ctx);
}

/* The value of keyword @id of @k. */
static void put_value(const struct mt_kind *k, int id, const char *cur)
{
	size_t i;

	for (i = 0; i < k->n_values; i++) {
		if (k->values[i].id != id)
			continue;
		if (k->values[i].words)
			put_words(k->values[i].words, k->values[i].n, cur, "", 0);
		else if (k->values[i].kind)
			put_names(k->values[i].kind, cur, true);
	}
}

/* After "KIND add NAME" or "KIND set NAME": keywords and their values. */
static void complete_keywords(const struct mt_kind *k, struct args *a,
			      int cmd, const char *cur)
{
	const struct word *kws = cmd == CMD_ADD ? k->add_kws : k->set_kws;
	size_t nkws = cmd == CMD_ADD ? k->n_add_kws : k->n_set_kws;
	unsigned int seen = 0;
	int id;

	while (args_left(a)) {
		id = match_word(args_next(a), kws, nkws);
		if (id < 0 || id == k->kw_help)
			return;
		if (!(k->kw_repeat & (1u << id)))
			seen |= 1u << id;
		if (!args_left(a)) {
			put_value(k, id, cur);
			return;
		}
		args_next(a);
	}
	put_words(kws, nkws, cur, "", seen);
}

static void complete_object(const struct mt_kind *k, struct args *a,
			    const char *cur)
{
	int cmd;

	if (!args_left(a)) {
		put_words(obj_cmds, n_obj_cmds, cur, "", 0);
		return;
	}
	cmd = match_word(args_next(a), obj_cmds, n_obj_cmds);
	if (cmd < 0 || cmd == CMD_HELP)
		return;
	if (!args_left(a)) {
		/* The NAME: a new one for add, an existing one otherwise. */
		if (cmd != CMD_ADD)
			put_names(k, cur, false);
		return;
	}
	args_next(a);
	switch (cmd) {
	case CMD_ADD:
	case CMD_SET:
		complete_keywords(k, a, cmd, cur);
		break;
	case CMD_DEL:
		if (!args_left(a) && k->attr_force &&
		    !strncmp("force", cur, strlen(cur)))
			puts("force");
		break;
	}
}

int do_complete(int argc, char **argv)
{
	struct args a = { argc > 0 ? argc - 1 : 0, argv };
	const char *cur = argc > 0 ? argv[argc - 1] : "";
	const char *w;
	int obj;

	/* A half-typed command is no error; the shell shows no messages. */
	if (!freopen("/dev/null", "w", stderr))
		return 1;
	while (args_left(&a) && args_peek(&a)[0] == '-') {
		w = args_next(&a);
		if (match_word(w + 1 + (w[1] == '-'), mt_options,
			       n_mt_options) != OPT_BATCH)
			continue;
		if (!args_left(&a))
			return COMPLETE_FILES;
		args_next(&a);
		/* Nothing follows -b FILE. */
		return 0;
	}
	if (!args_left(&a)) {
		if (cur[0] == '-' && cur[1] == '-')
			put_words(mt_options, n_mt_options, cur + 2, "--", 0);
		else if (cur[0] == '-')
			put_words(mt_options, n_mt_options, cur + 1, "-", 0);
		else
			put_words(mt_objects, n_mt_objects, cur, "", 0);
		return 0;
	}
	obj = match_word(args_next(&a), mt_objects, n_mt_objects);
	switch (obj) {
	case OBJ_POOL:
		complete_object(&pool_kind, &a, cur);
		break;
	case OBJ_PEER:
		complete_object(&peer_kind, &a, cur);
		break;
	case OBJ_TIER:
		complete_object(&tier_kind, &a, cur);
		break;
	case OBJ_MONITOR:
		if (!args_left(&a))
			put_words(monitor_words, n_monitor_words, cur, "", 0);
		break;
	}
	mt_close();
	return 0;
}
