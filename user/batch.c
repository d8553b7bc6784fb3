// SPDX-License-Identifier: GPL-2.0
/*
 * mtier(8): commands from a file, one per line (mtier -b FILE).
 *
 * A line is split into words as a shell splits simple words: blanks
 * separate words, '...' quotes literally, "..." quotes with \" and \\ as
 * the only escapes, a backslash outside quotes escapes the next character,
 * a backslash at the end of a line joins the next line, and a word that
 * starts with # starts a comment that runs to the end of the line.  No
 * variables, globs or other expansions.  Blank and comment-only lines are
 * skipped.
 *
 * Nothing here knows about netlink: the caller runs each command, so that
 * test_parse.c can test this file on its own.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtier.h"

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Split @line in place into at most @max words, whose pointers go to
 * @argv.  Returns the number of words, or -1 after saying what is wrong.
 */
int batch_split(char *line, char **argv, int max)
{
	char *in = line, *out = line;
	char quote;
	int argc = 0;

	for (;;) {
		while (is_blank(*in))
			in++;
		if (!*in || *in == '#')
			return argc;
		if (argc == max)
			return error("too many words (at most %d)", max);
		argv[argc++] = out;
		while (*in && !is_blank(*in)) {
			if (*in == '\\') {
				if (!in[1])
					return error("a backslash ends the line");
				*out++ = in[1];
				in += 2;
				continue;
			}
			if (*in != '\'' && *in != '"') {
				*out++ = *in++;
				continue;
			}
			quote = *in++;
			while (*in && *in != quote) {
				if (quote == '"' && *in == '\\' &&
				    (in[1] == '"' || in[1] == '\\'))
					in++;
				*out++ = *in++;
			}
			if (!*in)
				return error("unterminated %s quote",
					     quote == '"' ? "double" : "single");
			in++;
		}
		/* The word ends here; out never passes in. */
		if (*in)
			in++;
		*out++ = '\0';
	}
}

/*
 * Whether @line, with its newline stripped, ends in a backslash that joins
 * the next line: an odd number of them, outside single quotes.
 */
static bool continues(const char *line, size_t len)
{
	bool squote = false, dquote = false;
	const char *p;

	for (p = line; p < line + len; p++) {
		if (*p == '\\' && !squote) {
			if (p + 1 == line + len)
				return true;
			p++;
			continue;
		}
		if (*p == '\'' && !dquote)
			squote = !squote;
		else if (*p == '"' && !squote)
			dquote = !dquote;
	}
	return false;
}

#define BATCH_WORDS 128

/*
 * Run every command of @f (called @name in messages) through @run.  The
 * first failure prints "Command failed NAME:LINE" and ends the batch, or,
 * with @force, the batch goes on.  Returns 0 when every command succeeded,
 * -1 otherwise.
 */
int batch_stream(FILE *f, const char *name, bool force, batch_fn run,
		 void *arg)
{
	char *line = NULL, *more = NULL, *argv[BATCH_WORDS + 1];
	size_t cap = 0, mcap = 0, len;
	unsigned int lineno = 0, first;
	ssize_t n, m;
	int argc, ret = 0;
	char *grown;

	while ((n = getline(&line, &cap, f)) >= 0) {
		first = ++lineno;
		len = n;
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		/* Join continued lines, without their backslash. */
		while (continues(line, len) &&
		       (m = getline(&more, &mcap, f)) >= 0) {
			lineno++;
			if (m && more[m - 1] == '\n')
				more[--m] = '\0';
			if (cap < len + m + 1) {
				grown = realloc(line, len + m + 1);
				if (!grown) {
					ret = error("out of memory");
					goto out;
				}
				line = grown;
				cap = len + m + 1;
			}
			memcpy(line + len - 1, more, m + 1);
			len += m - 1;
		}
		argc = batch_split(line, argv, BATCH_WORDS);
		if (!argc)
			continue;
		if (argc > 0) {
			argv[argc] = NULL;
			if (argv[0][0] == '-' && argv[0][1])
				argc = error("options go before -b, not on a line ('%s')",
					     argv[0]);
			else
				argc = run(argc, argv, arg) ? -1 : argc;
		}
		if (argc < 0) {
			fprintf(stderr, "Command failed %s:%u\n", name, first);
			ret = -1;
			if (!force)
				goto out;
		}
	}
	if (ferror(f))
		ret = error("cannot read %s: %s", name, strerror(errno));
out:
	free(line);
	free(more);
	return ret;
}

/* batch_stream() of the file @name, or of stdin when it is "-". */
int batch_file(const char *name, bool force, batch_fn run, void *arg)
{
	FILE *f = stdin;
	int ret;

	if (strcmp(name, "-")) {
		f = fopen(name, "r");
		if (!f)
			return error("cannot open %s: %s", name, strerror(errno));
	}
	ret = batch_stream(f, name, force, run, arg);
	if (f != stdin)
		fclose(f);
	return ret;
}
