// SPDX-License-Identifier: GPL-2.0
/*
 * mtier(8): parsing of what the user types.
 *
 * Nothing here knows about netlink or JSON, so that test_parse.c can test
 * it on its own.  The rule for every parser: refuse only what cannot be
 * put into a request (not a number, a number too big for its attribute,
 * an unknown keyword); ranges and the like are the kernel's business, and
 * its explanation is better than anything we could guess here.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtier.h"

/* One line on stderr: @prefix, then the message. */
static void message(const char *prefix, const char *fmt, va_list ap)
{
	fputs(prefix, stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	message("Error: ", fmt, ap);
	va_end(ap);
	return -1;
}

void warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	message("Warning: ", fmt, ap);
	va_end(ap);
}

/* --- Keywords ---------------------------------------------------------- */

/*
 * The id of the word @arg names: an exact match, or else the one word it is
 * a prefix of.  Aliases (entries sharing an id) do not make a prefix
 * ambiguous.  Returns MATCH_NONE or MATCH_AMBIGUOUS otherwise.
 */
int match_word(const char *arg, const struct word *words, size_t n)
{
	size_t len = arg ? strlen(arg) : 0;
	int found = MATCH_NONE;
	size_t i;

	if (!len)
		return MATCH_NONE;
	for (i = 0; i < n; i++)
		if (!strcmp(arg, words[i].name))
			return words[i].id;
	for (i = 0; i < n; i++) {
		if (strncmp(arg, words[i].name, len))
			continue;
		if (found == MATCH_NONE)
			found = words[i].id;
		else if (found != words[i].id)
			return MATCH_AMBIGUOUS;
	}
	return found;
}

/*
 * Write the words @arg is a prefix of, one name per id, as "a, b" into
 * @buf.  Returns how many there are.
 */
size_t word_candidates(const char *arg, const struct word *words, size_t n,
		       char *buf, size_t len)
{
	size_t alen = strlen(arg), count = 0, used = 0, i, j;

	if (len)
		buf[0] = '\0';
	for (i = 0; i < n; i++) {
		bool dup = false;

		if (strncmp(arg, words[i].name, alen))
			continue;
		for (j = 0; j < i; j++)
			if (words[j].id == words[i].id &&
			    !strncmp(arg, words[j].name, alen))
				dup = true;
		if (dup)
			continue;
		if (used < len)
			used += snprintf(buf + used, len - used, "%s%s",
					 count ? ", " : "", words[i].name);
		count++;
	}
	return count;
}

/* match_word() that explains a failure; @what names the position. */
int parse_word(const char *arg, const struct word *words, size_t n,
	       const char *what)
{
	int id = match_word(arg, words, n);
	char cands[256];

	if (id == MATCH_AMBIGUOUS) {
		word_candidates(arg, words, n, cands, sizeof(cands));
		error("%s '%s' is ambiguous: it could be %s", what, arg, cands);
	} else if (id == MATCH_NONE) {
		error("unknown %s '%s'", what, arg);
	}
	return id;
}

bool is_help(const char *w)
{
	static const struct word help[] = { { "help", 1 } };

	return w && match_word(w, help, 1) == 1;
}

/* The value after keyword @kw, or NULL after saying it is missing. */
const char *arg_value(struct args *a, const char *kw)
{
	const char *v = args_next(a);

	if (!v)
		error("missing value for '%s'", kw);
	return v;
}

/* Refuse a keyword given twice. */
int arg_once(unsigned int *seen, int id, const char *kw)
{
	if (*seen & (1u << id))
		return error("'%s' is given more than once", kw);
	*seen |= 1u << id;
	return 0;
}

/*
 * Print the lines of @lines that concern one of @cmds.  The first command
 * line gets "Usage: ", the next ones and continuations (lines starting
 * with a space) are aligned under it; definitions are printed as they are.
 */
void usage_print(FILE *f, const struct usage_line *lines, size_t n,
		 unsigned int cmds)
{
	bool first = true;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!(lines[i].cmds & cmds))
			continue;
		if (!strncmp(lines[i].text, "mtier", 5)) {
			fputs(first ? "Usage: " : "       ", f);
			first = false;
		} else if (lines[i].text[0] == ' ') {
			fputs("       ", f);
		}
		fprintf(f, "%s\n", lines[i].text);
	}
}

/* --- Numbers ------------------------------------------------------------ */

/* A decimal number of digits only: no sign, no spaces, no base prefix. */
static int parse_decimal(const char *s, const char **end, uint64_t *out)
{
	unsigned long long v;
	char *e;

	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &e, 10);
	if (errno)
		return -1;
	*end = e;
	*out = v;
	return 0;
}

/* Just a decimal number, no larger than @max. */
static int parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	const char *end;

	if (parse_decimal(s, &end, out) || *end || *out > max)
		return -1;
	return 0;
}

int parse_u32(const char *s, uint32_t *out)
{
	uint64_t v;
	int ret = parse_uint(s, UINT32_MAX, &v);

	if (!ret)
		*out = v;
	return ret;
}

int parse_u16(const char *s, uint16_t *out)
{
	uint64_t v;
	int ret = parse_uint(s, UINT16_MAX, &v);

	if (!ret)
		*out = v;
	return ret;
}

/* Milliseconds: a u32, optionally followed by "ms" as mtier prints it. */
int parse_ms(const char *s, uint32_t *out)
{
	const char *end;
	uint64_t v;

	if (parse_decimal(s, &end, &v) || v > UINT32_MAX)
		return -1;
	if (*end && strcasecmp(end, "ms"))
		return -1;
	*out = v;
	return 0;
}

/*
 * A size in bytes: digits, then optionally K, M, G or T (powers of 1024,
 * any case), which may be followed by "i", "iB" or "B".  A bare "B" after
 * the digits is accepted too.
 */
int parse_size(const char *s, uint64_t *out)
{
	const char *end;
	unsigned int shift = 0;
	uint64_t v;

	if (parse_decimal(s, &end, &v))
		return -1;
	switch (tolower((unsigned char)*end)) {
	case 'k':
		shift = 10;
		break;
	case 'm':
		shift = 20;
		break;
	case 'g':
		shift = 30;
		break;
	case 't':
		shift = 40;
		break;
	}
	if (shift) {
		end++;
		if (*end == 'i' || *end == 'I')
			end++;
	}
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end)
		return -1;
	if (shift && v > (UINT64_MAX >> shift))
		return -1;
	*out = v << shift;
	return 0;
}

/* The largest unit that divides @v exactly ("4G", "96M"), else bytes. */
const char *size_str(uint64_t v, char *buf, size_t len)
{
	static const char units[] = "KMGT";
	int i;

	for (i = 3; i >= 0 && v; i--) {
		unsigned int shift = 10 * (i + 1);

		if (!(v & ((1ULL << shift) - 1))) {
			snprintf(buf, len, "%llu%c",
				 (unsigned long long)(v >> shift), units[i]);
			return buf;
		}
	}
	snprintf(buf, len, "%llu", (unsigned long long)v);
	return buf;
}

/* --- Endpoints ----------------------------------------------------------- */

/*
 * ADDR[:PORT] where ADDR is IPv4 or a host-like word, "[IPv6[%scope]]" with
 * an optional ":PORT", or a bare IPv6 address (two colons or more) with no
 * port.  The address itself is the kernel's to judge.
 */
int parse_endpoint(const char *s, char **addr, int *port)
{
	const char *colon, *alen_end, *port_str = NULL;
	uint16_t p;

	if (!s || !*s)
		return -1;
	if (*s == '[') {
		const char *close = strchr(s, ']');

		if (!close || close == s + 1)
			return -1;
		if (close[1] == ':')
			port_str = close + 2;
		else if (close[1])
			return -1;
		s++;
		alen_end = close;
	} else {
		colon = strchr(s, ':');
		if (colon && !strchr(colon + 1, ':')) {
			if (colon == s)
				return -1;
			port_str = colon + 1;
			alen_end = colon;
		} else {
			alen_end = s + strlen(s);
		}
	}
	if (port_str && parse_u16(port_str, &p))
		return -1;
	*addr = strndup(s, alen_end - s);
	if (!*addr)
		return -1;
	*port = port_str ? p : -1;
	return 0;
}
