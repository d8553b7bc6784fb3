// SPDX-License-Identifier: GPL-2.0
/*
 * Unit test of utils.c, the parsers of mtier(8): sizes, numbers, ADDR[:PORT]
 * and unique-prefix matching, failures included.  Runs on the build host
 * (make -C user test); prints TAP and exits 1 if anything failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtier.h"

/* utils.c only reads the options through mtier.h; give it a definition. */
struct mtier_opts opts;

static int tests, failed;

static void check(int ok, const char *fmt, const char *arg)
{
	tests++;
	if (!ok)
		failed++;
	printf("%sok %d ", ok ? "" : "not ", tests);
	printf(fmt, arg);
	putchar('\n');
}

/* --- Sizes ---------------------------------------------------------------- */

static void size_ok(const char *s, uint64_t want)
{
	uint64_t v = 0xdeadbeef;
	int ok = !parse_size(s, &v) && v == want;

	check(ok, "parse_size('%s')", s);
	if (!ok)
		printf("# got %llu, want %llu\n", (unsigned long long)v,
		       (unsigned long long)want);
}

static void size_bad(const char *s)
{
	uint64_t v = 12345;

	check(parse_size(s, &v) && v == 12345, "parse_size('%s') fails", s);
}

static void size_str_is(uint64_t v, const char *want)
{
	char buf[32];

	size_str(v, buf, sizeof(buf));
	check(!strcmp(buf, want), "size_str() = '%s'", want);
	if (strcmp(buf, want))
		printf("# got '%s'\n", buf);
}

static void test_sizes(void)
{
	size_ok("0", 0);
	size_ok("4096", 4096);
	size_ok("512B", 512);
	size_ok("4K", 4096);
	size_ok("4k", 4096);
	size_ok("64M", 64ULL << 20);
	size_ok("4G", 4ULL << 30);
	size_ok("4g", 4ULL << 30);
	size_ok("1T", 1ULL << 40);
	size_ok("4GiB", 4ULL << 30);
	size_ok("4Gi", 4ULL << 30);
	size_ok("4GB", 4ULL << 30);
	size_ok("4gib", 4ULL << 30);
	size_ok("32MiB", 32ULL << 20);
	size_ok("16777215T", 16777215ULL << 40);
	size_ok("18446744073709551615", UINT64_MAX);

	size_bad("");
	size_bad("G");
	size_bad("-1");
	size_bad("+1");
	size_bad(" 1");
	size_bad("1 G");
	size_bad("12Q");
	size_bad("1.5G");
	size_bad("0x10");
	size_bad("4GiBs");
	size_bad("4iB");
	size_bad("4bB");
	size_bad("4GG");
	size_bad("16777216T");
	size_bad("18446744073709551616");
	size_bad("99999999999999999999999");

	size_str_is(0, "0");
	size_str_is(1000, "1000");
	size_str_is(1025, "1025");
	size_str_is(4096, "4K");
	size_str_is(64ULL << 20, "64M");
	size_str_is(1536ULL << 20, "1536M");
	size_str_is(4ULL << 30, "4G");
	size_str_is(5ULL << 40, "5T");
	size_str_is(1ULL << 50, "1024T");
	size_str_is(UINT64_MAX, "18446744073709551615");
}

/* --- Numbers --------------------------------------------------------------- */

static void test_numbers(void)
{
	uint32_t u32 = 7;
	uint16_t u16 = 7;

	check(!parse_u32("0", &u32) && u32 == 0, "parse_u32('%s')", "0");
	check(!parse_u32("4294967295", &u32) && u32 == UINT32_MAX,
	      "parse_u32('%s')", "4294967295");
	u32 = 7;
	check(parse_u32("4294967296", &u32) && u32 == 7,
	      "parse_u32('%s') fails", "4294967296");
	check(parse_u32("-1", &u32), "parse_u32('%s') fails", "-1");
	check(parse_u32("", &u32), "parse_u32('%s') fails", "");
	check(parse_u32("1a", &u32), "parse_u32('%s') fails", "1a");
	check(parse_u32(" 1", &u32), "parse_u32('%s') fails", " 1");
	check(parse_u32(NULL, &u32), "parse_u32(%s) fails", "NULL");

	check(!parse_u16("65535", &u16) && u16 == 65535, "parse_u16('%s')", "65535");
	check(parse_u16("65536", &u16), "parse_u16('%s') fails", "65536");
	check(parse_u16("0x10", &u16), "parse_u16('%s') fails", "0x10");

	check(!parse_ms("1000", &u32) && u32 == 1000, "parse_ms('%s')", "1000");
	check(!parse_ms("250ms", &u32) && u32 == 250, "parse_ms('%s')", "250ms");
	check(!parse_ms("250MS", &u32) && u32 == 250, "parse_ms('%s')", "250MS");
	check(parse_ms("5s", &u32), "parse_ms('%s') fails", "5s");
	check(parse_ms("ms", &u32), "parse_ms('%s') fails", "ms");
	check(parse_ms("4294967296ms", &u32), "parse_ms('%s') fails",
	      "4294967296ms");
}

/* --- Endpoints ------------------------------------------------------------- */

static void ep_ok(const char *s, const char *addr, int port)
{
	char *a = NULL;
	int p = -2, ok;

	ok = !parse_endpoint(s, &a, &p) && a && !strcmp(a, addr) && p == port;
	check(ok, "parse_endpoint('%s')", s);
	if (!ok)
		printf("# got '%s' port %d\n", a ? a : "(null)", p);
	free(a);
}

static void ep_bad(const char *s)
{
	char *a = NULL;
	int p = -2;

	check(parse_endpoint(s, &a, &p) && !a && p == -2,
	      "parse_endpoint('%s') fails", s);
	free(a);
}

static void test_endpoints(void)
{
	ep_ok("10.0.0.2", "10.0.0.2", -1);
	ep_ok("10.0.0.2:7471", "10.0.0.2", 7471);
	ep_ok("0.0.0.0:1", "0.0.0.0", 1);
	ep_ok("10.0.0.2:0", "10.0.0.2", 0);	/* the kernel refuses port 0 */
	ep_ok("[fe80::1%eth0]:7471", "fe80::1%eth0", 7471);
	ep_ok("[::1]:65535", "::1", 65535);
	ep_ok("[::1]", "::1", -1);
	ep_ok("fe80::1", "fe80::1", -1);
	ep_ok("fe80::1%eth0", "fe80::1%eth0", -1);
	ep_ok("::", "::", -1);
	ep_ok("2001:db8::7471", "2001:db8::7471", -1);
	ep_ok("not-an-address", "not-an-address", -1);	/* the kernel's call */

	ep_bad("");
	ep_bad(NULL);
	ep_bad("10.0.0.2:");
	ep_bad("10.0.0.2:70000");
	ep_bad("10.0.0.2:-1");
	ep_bad("10.0.0.2:x");
	ep_bad(":7471");
	ep_bad("[fe80::1");
	ep_bad("[]:80");
	ep_bad("[::1]x");
	ep_bad("[::1]:");
	ep_bad("[::1]:80:80");
}

/* --- Keywords -------------------------------------------------------------- */

enum { W_POOL, W_PEER, W_TIER, W_MONITOR, W_HELP };

static const struct word objects[] = {
	{ "pool", W_POOL }, { "peer", W_PEER }, { "tier", W_TIER },
	{ "monitor", W_MONITOR }, { "help", W_HELP },
};

enum { C_ADD, C_SET, C_DEL, C_SHOW };

static const struct word cmds[] = {
	{ "add", C_ADD }, { "set", C_SET }, { "del", C_DEL },
	{ "delete", C_DEL }, { "show", C_SHOW }, { "list", C_SHOW },
};

static const struct word exact[] = {
	{ "add", 1 }, { "address", 2 },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void match_is(const struct word *w, size_t n, const char *arg, int want)
{
	int got = match_word(arg, w, n);

	check(got == want, "match_word('%s')", arg ? arg : "NULL");
	if (got != want)
		printf("# got %d, want %d\n", got, want);
}

/* Run parse_word() with stderr captured; check the result and message. */
static void parse_word_says(const struct word *w, size_t n, const char *arg,
			    const char *what, int want, const char *msg)
{
	FILE *saved = stderr;
	char *buf = NULL;
	size_t len = 0;
	int got;

	stderr = open_memstream(&buf, &len);
	got = parse_word(arg, w, n, what);
	fclose(stderr);
	stderr = saved;
	check(got == want && !strcmp(buf, msg), "parse_word('%s') message", arg);
	if (got != want || strcmp(buf, msg))
		printf("# got %d '%s'\n", got, buf);
	free(buf);
}

static void test_words(void)
{
	char buf[64];
	size_t n;

	match_is(objects, N(objects), "pool", W_POOL);
	match_is(objects, N(objects), "po", W_POOL);
	match_is(objects, N(objects), "pe", W_PEER);
	match_is(objects, N(objects), "t", W_TIER);
	match_is(objects, N(objects), "m", W_MONITOR);
	match_is(objects, N(objects), "h", W_HELP);
	match_is(objects, N(objects), "p", MATCH_AMBIGUOUS);
	match_is(objects, N(objects), "pools", MATCH_NONE);
	match_is(objects, N(objects), "x", MATCH_NONE);
	match_is(objects, N(objects), "", MATCH_NONE);
	match_is(objects, N(objects), NULL, MATCH_NONE);
	match_is(objects, N(objects), "Pool", MATCH_NONE);

	match_is(cmds, N(cmds), "d", C_DEL);		/* del and delete agree */
	match_is(cmds, N(cmds), "delete", C_DEL);
	match_is(cmds, N(cmds), "dele", C_DEL);
	match_is(cmds, N(cmds), "sh", C_SHOW);
	match_is(cmds, N(cmds), "l", C_SHOW);
	match_is(cmds, N(cmds), "s", MATCH_AMBIGUOUS);
	match_is(cmds, N(cmds), "a", C_ADD);

	match_is(exact, N(exact), "add", 1);		/* exact beats prefix */
	match_is(exact, N(exact), "addr", 2);
	match_is(exact, N(exact), "ad", MATCH_AMBIGUOUS);

	n = word_candidates("p", objects, N(objects), buf, sizeof(buf));
	check(n == 2 && !strcmp(buf, "pool, peer"), "candidates of '%s'", "p");
	n = word_candidates("d", cmds, N(cmds), buf, sizeof(buf));
	check(n == 1 && !strcmp(buf, "del"), "candidates of '%s'", "d");
	n = word_candidates("s", cmds, N(cmds), buf, sizeof(buf));
	check(n == 2 && !strcmp(buf, "set, show"), "candidates of '%s'", "s");
	n = word_candidates("z", cmds, N(cmds), buf, sizeof(buf));
	check(n == 0 && !strcmp(buf, ""), "candidates of '%s'", "z");
	n = word_candidates("p", objects, N(objects), buf, 6);
	check(n == 2 && strlen(buf) == 5, "candidates of '%s' truncated", "p");

	parse_word_says(objects, N(objects), "p", "object", MATCH_AMBIGUOUS,
			"Error: object 'p' is ambiguous: it could be pool, peer\n");
	parse_word_says(objects, N(objects), "frob", "object", MATCH_NONE,
			"Error: unknown object 'frob'\n");
	parse_word_says(cmds, N(cmds), "s", "pool command", MATCH_AMBIGUOUS,
			"Error: pool command 's' is ambiguous: it could be set, show\n");
	parse_word_says(cmds, N(cmds), "sh", "pool command", C_SHOW, "");

	check(is_help("help"), "is_help('%s')", "help");
	check(is_help("h"), "is_help('%s')", "h");
	check(!is_help("helpme"), "!is_help('%s')", "helpme");
	check(!is_help(NULL), "!is_help(%s)", "NULL");
}

/* --- Argument helpers ----------------------------------------------------- */

static void test_args(void)
{
	char *argv[] = { "size", "4G", "slab", NULL };
	struct args a = { 3, argv };
	FILE *saved = stderr;
	unsigned int seen = 0;
	char *buf = NULL;
	size_t len = 0;
	const char *v;
	int r1, r2;

	check(!strcmp(args_next(&a), "size"), "args_next %s", "size");
	v = arg_value(&a, "size");
	check(v && !strcmp(v, "4G"), "arg_value gives %s", "4G");
	args_next(&a);
	stderr = open_memstream(&buf, &len);
	v = arg_value(&a, "slab");
	r1 = arg_once(&seen, 3, "slab");
	r2 = arg_once(&seen, 3, "slab");
	fclose(stderr);
	stderr = saved;
	check(!v && !args_left(&a), "arg_value at the end %s", "fails");
	check(!r1 && r2 == -1, "arg_once refuses a %s keyword", "repeated");
	check(!strcmp(buf, "Error: missing value for 'slab'\n"
		      "Error: 'slab' is given more than once\n"),
	      "argument errors %s", "worded");
	free(buf);
}

int main(void)
{
	test_sizes();
	test_numbers();
	test_endpoints();
	test_words();
	test_args();
	printf("1..%d\n", tests);
	if (failed)
		printf("# %d of %d checks failed\n", failed, tests);
	return failed ? 1 : 0;
}
