// SPDX-License-Identifier: GPL-2.0
/*
 * Unit test of utils.c and batch.c, the parsers of mtier(8): sizes,
 * numbers, ADDR[:PORT], unique-prefix matching, and the lines of a batch
 * (-b), failures included.  Runs on the build host (make -C user test);
 * prints TAP and exits 1 if anything failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* --- Batches ------------------------------------------------------------- */

/* batch_split() of @line gives the words of @want, joined by '|'. */
static void split_is(const char *line, const char *want)
{
	char *copy = strdup(line), *argv[8], got[256] = "";
	int argc, i;

	argc = batch_split(copy, argv, 8);
	for (i = 0; i < argc; i++) {
		if (i)
			strcat(got, "|");
		strcat(got, argv[i]);
	}
	check(argc >= 0 && !strcmp(got, want), "batch_split(\"%s\")", line);
	if (argc < 0 || strcmp(got, want))
		printf("# got %d words '%s', want '%s'\n", argc, got, want);
	free(copy);
}

/* batch_split() of @line fails with the message @msg. */
static void split_fails(const char *line, const char *msg)
{
	char *copy = strdup(line), *argv[4], *buf = NULL;
	FILE *saved = stderr;
	size_t len = 0;
	int argc;

	stderr = open_memstream(&buf, &len);
	argc = batch_split(copy, argv, 4);
	fclose(stderr);
	stderr = saved;
	check(argc < 0 && !strcmp(buf, msg), "batch_split(\"%s\") fails", line);
	if (argc >= 0 || strcmp(buf, msg))
		printf("# got %d '%s'\n", argc, buf);
	free(buf);
	free(copy);
}

/* What the fake command runner saw: one "w1 w2" line per command. */
struct ran {
	char log[1024];
	const char *fail;	/* a command whose first word is this fails */
};

static int fake_run(int argc, char **argv, void *arg)
{
	struct ran *r = arg;
	int i;

	for (i = 0; i < argc; i++) {
		strcat(r->log, argv[i]);
		strcat(r->log, i + 1 < argc ? " " : "\n");
	}
	if (argv[argc])
		strcat(r->log, "(argv not NULL-terminated)\n");
	return r->fail && !strcmp(argv[0], r->fail) ? -1 : 0;
}

/*
 * Run the batch @text through fake_run, failing commands that start with
 * @fail; check the status, the commands run and what went to stderr.
 */
static void batch_is(const char *desc, const char *text, bool force,
		     const char *fail, int want_ret, const char *want_log,
		     const char *want_err)
{
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	struct ran r = { .fail = fail };
	FILE *saved = stderr;
	char *buf = NULL;
	size_t len = 0;
	int ret;

	stderr = open_memstream(&buf, &len);
	ret = batch_stream(in, "cmds", force, fake_run, &r);
	fclose(stderr);
	stderr = saved;
	fclose(in);
	check(ret == want_ret && !strcmp(r.log, want_log) &&
	      !strcmp(buf, want_err), "batch: %s", desc);
	if (ret != want_ret || strcmp(r.log, want_log) || strcmp(buf, want_err))
		printf("# got %d, ran:\n%s# stderr:\n%s", ret, r.log, buf);
	free(buf);
}

/* batch_file("-") reads stdin; batch_file() of a missing file fails. */
static void test_batch_files(void)
{
	char path[] = "/tmp/mtier-test-XXXXXX", *buf = NULL;
	struct ran r = {};
	FILE *saved = stderr;
	int fd, saved_in, ret;
	size_t len = 0;

	fd = mkstemp(path);
	if (fd < 0 || write(fd, "a 1\n\nb 2\n", 9) != 9) {
		check(0, "%s", "temporary batch file");
		return;
	}
	lseek(fd, 0, SEEK_SET);
	saved_in = dup(0);
	dup2(fd, 0);
	ret = batch_file("-", false, fake_run, &r);
	dup2(saved_in, 0);
	close(saved_in);
	check(!ret && !strcmp(r.log, "a 1\nb 2\n"), "batch_file(\"%s\") reads stdin",
	      "-");
	r.log[0] = '\0';
	ret = batch_file(path, false, fake_run, &r);
	check(!ret && !strcmp(r.log, "a 1\nb 2\n"), "batch_file(%s)", "a file");
	close(fd);
	unlink(path);

	stderr = open_memstream(&buf, &len);
	ret = batch_file("/nonexistent/batch", false, fake_run, &r);
	fclose(stderr);
	stderr = saved;
	check(ret == -1 && !strcmp(buf, "Error: cannot open /nonexistent/batch: No such file or directory\n"),
	      "batch_file(%s) fails", "a missing file");
	free(buf);
}

static void test_batch(void)
{
	split_is("pool add p0 size 4G", "pool|add|p0|size|4G");
	split_is("  \tpool   show\t ", "pool|show");
	split_is("", "");
	split_is("   ", "");
	split_is("# all comment", "");
	split_is("   # indented comment", "");
	split_is("pool show # the rest", "pool|show");
	split_is("pool show p#1", "pool|show|p#1");
	split_is("a 'b c' d", "a|b c|d");
	split_is("a \"b c\" d", "a|b c|d");
	split_is("a 'it''s' x", "a|its|x");
	split_is("a \"say \\\"hi\\\"\"", "a|say \"hi\"");
	split_is("a \"back\\\\slash\"", "a|back\\slash");
	split_is("a \"\\n\"", "a|\\n");
	split_is("a 'x\\y'", "a|x\\y");
	split_is("a b\\ c", "a|b c");
	split_is("a \\#b", "a|#b");
	split_is("a '#b'", "a|#b");
	split_is("a '' b", "a||b");
	split_is("a x\"y z\"w", "a|xy zw");
	split_is("pool show\r", "pool|show");
	split_fails("a 'b", "Error: unterminated single quote\n");
	split_fails("a \"b", "Error: unterminated double quote\n");
	split_fails("a b\\", "Error: a backslash ends the line\n");
	split_fails("a b c d e", "Error: too many words (at most 4)\n");

	batch_is("every command, in order", "a 1\nb 2\nc 3\n", false, NULL, 0,
		 "a 1\nb 2\nc 3\n", "");
	batch_is("no newline at the end", "a 1\nb 2", false, NULL, 0,
		 "a 1\nb 2\n", "");
	batch_is("an empty file", "", false, NULL, 0, "", "");
	batch_is("blank and comment lines skipped", "\n# x\n  \n\ta 1 # y\n\n",
		 false, NULL, 0, "a 1\n", "");
	batch_is("the first error stops, with its line",
		 "# head\n\na 1\nbad 2\nc 3\n", false, "bad", -1,
		 "a 1\nbad 2\n", "Command failed cmds:4\n");
	batch_is("-force goes on and fails at the end",
		 "bad 1\na 2\n\nbad 4\nc 5\n", true, "bad", -1,
		 "bad 1\na 2\nbad 4\nc 5\n",
		 "Command failed cmds:1\nCommand failed cmds:4\n");
	batch_is("a split error is a failed line",
		 "a 1\nb 'open\nc 3\n", false, NULL, -1, "a 1\n",
		 "Error: unterminated single quote\nCommand failed cmds:2\n");
	batch_is("-force after a split error", "b 'open\nc 2\n", true, NULL,
		 -1, "c 2\n",
		 "Error: unterminated single quote\nCommand failed cmds:1\n");
	batch_is("options on a line are refused", "-j pool\na 2\n", true,
		 NULL, -1, "a 2\n",
		 "Error: options go before -b, not on a line ('-j')\nCommand failed cmds:1\n");
	batch_is("a backslash joins lines", "a 1 \\\n  2 \\\n3\nb 4\n",
		 false, NULL, 0, "a 1 2 3\nb 4\n", "");
	batch_is("a joined command fails at its first line",
		 "a 1\nbad \\\n 2\nc 4\nbad 5\n", true, "bad", -1,
		 "a 1\nbad 2\nc 4\nbad 5\n",
		 "Command failed cmds:2\nCommand failed cmds:5\n");
	batch_is("an escaped backslash does not join", "a x\\\\\nb 2\n",
		 false, NULL, 0, "a x\\\nb 2\n", "");
	batch_is("a backslash in single quotes does not join",
		 "a 'x\\'\nb 2\n", false, NULL, 0, "a x\\\nb 2\n", "");
	batch_is("a backslash on the last line", "a 1\nb \\", false, NULL,
		 -1, "a 1\n",
		 "Error: a backslash ends the line\nCommand failed cmds:2\n");
	batch_is("CRLF lines", "a 1\r\n\r\nb 2\r\n", false, NULL, 0,
		 "a 1\nb 2\n", "");
	test_batch_files();
}

int main(void)
{
	test_sizes();
	test_numbers();
	test_endpoints();
	test_words();
	test_args();
	test_batch();
	printf("1..%d\n", tests);
	if (failed)
		printf("# %d of %d checks failed\n", failed, tests);
	return failed ? 1 : 0;
}
