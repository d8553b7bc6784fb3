/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mtier(8): declarations shared by the files of the command-line tool.
 *
 *   mtier.c    main, global options, object dispatch, top-level help
 *   nl.c       libnl glue: socket, family, requests, replies, extack
 *   print.c    the single output path, text or JSON
 *   object.c   add, set, del and show of any kind of object
 *   pool.c, peer.c, tier.c    one kind each: keywords, attributes, output
 *   monitor.c  the monitor
 *   save.c     save: the configuration as commands -b replays
 *   complete.c the hidden __complete helper of the bash completion
 *   batch.c    -b FILE: splitting lines into words, running them (no netlink)
 *   utils.c    argument parsing helpers (no netlink, no JSON)
 */
#ifndef MTIER_USER_H
#define MTIER_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct nl_msg;
struct nlattr;

/* --- Global options (mtier.c) ----------------------------------------- */

struct mtier_opts {
	bool json;
	bool pretty;
	bool stats;
};

extern struct mtier_opts opts;

/* --- Argument cursor and keyword matching (utils.c) ------------------- */

/* The words left on the command line. */
struct args {
	int argc;
	char **argv;
};

static inline bool args_left(const struct args *a)
{
	return a->argc > 0;
}

static inline const char *args_peek(const struct args *a)
{
	return a->argc > 0 ? a->argv[0] : NULL;
}

static inline const char *args_next(struct args *a)
{
	const char *w = args_peek(a);

	if (w) {
		a->argc--;
		a->argv++;
	}
	return w;
}

/* One word a position accepts; aliases share an id. */
struct word {
	const char *name;
	int id;
};

#define MATCH_NONE	 (-1)
#define MATCH_AMBIGUOUS	 (-2)

int match_word(const char *arg, const struct word *words, size_t n);
size_t word_candidates(const char *arg, const struct word *words, size_t n,
		       char *buf, size_t len);
int parse_word(const char *arg, const struct word *words, size_t n,
	       const char *what);

/* The words of the top level (mtier.c), for the completion helper. */
extern const struct word mt_options[], mt_objects[];
extern const size_t n_mt_options, n_mt_objects;

/* The ids of mt_options[] and mt_objects[]. */
enum {
	OPT_JSON, OPT_PRETTY, OPT_STATS, OPT_VERSION, OPT_HELP, OPT_BATCH,
	OPT_FORCE,
};

enum { OBJ_POOL, OBJ_PEER, OBJ_TIER, OBJ_MONITOR, OBJ_SAVE, OBJ_HELP };

/* --- Batches (batch.c) ------------------------------------------------ */

/* Run one command of a batch (argv[argc] is NULL); 0 or -1. */
typedef int (*batch_fn)(int argc, char **argv, void *arg);

int batch_split(char *line, char **argv, int max);
int batch_stream(FILE *f, const char *name, bool force, batch_fn run,
		 void *arg);
int batch_file(const char *name, bool force, batch_fn run, void *arg);

/* --- Numbers, sizes and endpoints (utils.c) --------------------------- */

int parse_size(const char *s, uint64_t *out);
int parse_u32(const char *s, uint32_t *out);
int parse_u16(const char *s, uint16_t *out);
int parse_ms(const char *s, uint32_t *out);
const char *size_str(uint64_t v, char *buf, size_t len);

/* An address with an optional port; *port is -1 when none was given. */
int parse_endpoint(const char *s, char **addr, int *port);

/* "Error: ..." on stderr; returns -1 so callers can `return error(...)`. */
int error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Usage text: lines for a set of commands (a bitmask), printed by level. */
struct usage_line {
	unsigned int cmds;
	const char *text;	/* "mtier ..." gets the "Usage:" indent */
};

void usage_print(FILE *f, const struct usage_line *lines, size_t n,
		 unsigned int cmds);

/* Helpers shared by the object parsers. */
const char *arg_value(struct args *a, const char *kw);
int arg_once(unsigned int *seen, int id, const char *kw);
bool is_help(const char *w);

/* --- Netlink (nl.c) --------------------------------------------------- */

/* Names of the attributes of one attribute set, indexed by type. */
struct attr_set {
	const char *const *names;
	int max;
	int skip;	/* an attribute print_counters() leaves out, or 0 */
};

/* Called for each reply message of a request (and each notification). */
typedef int (*mt_reply_fn)(struct nl_msg *msg, void *arg);

struct nl_msg *mt_req_new(uint8_t cmd, bool dump);
int mt_request(struct nl_msg *req, const struct attr_set *set,
	       mt_reply_fn fn, void *arg);
int mt_monitor(mt_reply_fn fn, void *arg);
void mt_close(void);

uint8_t mt_msg_cmd(struct nl_msg *msg);
int mt_msg_parse(struct nl_msg *msg, struct nlattr **tb, int max);
struct nlattr *mt_msg_attrs(struct nl_msg *msg, int *len);

uint64_t mt_get_uint(const struct nlattr *a);
uint32_t mt_get_u32(const struct nlattr *a);
uint16_t mt_get_u16(const struct nlattr *a);
const char *mt_get_str(const struct nlattr *a);

/* --- Output (print.c) ------------------------------------------------- */

void print_list_begin(void);
int print_list_end(void);
void print_list_drop(void);
void print_obj_begin(const char *kind, const char *name, const char *event);
void print_obj_end(void);
void print_string(const char *jkey, const char *tkey, const char *val);
void print_uint(const char *jkey, const char *tkey, const char *unit,
		uint64_t val);
void print_size(const char *jkey, const char *tkey, uint64_t val);
void print_enum(const char *jkey, const char *tkey,
		const char *const *names, size_t n, uint32_t val);
void print_endpoint(const char *tkey, const char *jaddr, const char *jport,
		    const char *addr, uint16_t port);
void print_percent(const char *jkey, const char *tkey, double val);
void print_array_begin(const char *jkey, const char *tkey);
void print_array_string(const char *val);
void print_array_end(void);
void print_nest_begin(const char *jkey, const char *tkey);
void print_nest_end(void);
void print_counters(const struct nlattr *nest, const struct attr_set *set);
void print_uint_array(const char *jkey, const uint64_t *vals, int n);

/* --- Objects (object.c; one kind each in pool.c, peer.c, tier.c) ------ */

/* The commands every kind has; their bits select usage lines. */
enum { CMD_ADD, CMD_SET, CMD_DEL, CMD_SHOW, CMD_HELP };

#define CMD_BIT(cmd)	(1u << (cmd))

/*
 * What the value of a keyword is, for the completion: one of @words, or
 * names of objects of @kind, several separated by commas.
 */
struct kw_value {
	int id;
	const struct word *words;
	size_t n;
	const struct mt_kind *kind;
};

/* The request "add NAME ..." or "set NAME ..." is building. */
struct obj_req {
	struct nl_msg *msg;
	unsigned int seen;	/* keyword ids given so far (arg_once) */
	char *addr;		/* an endpoint (obj_put_endpoint), or NULL */
	int port;		/* -1 when none was given */
};

/* One kind of object, as the generic commands of object.c see it. */
struct mt_kind {
	const char *name;			/* "pool", in messages */
	uint8_t cmd_get, cmd_add, cmd_set, cmd_del;
	int attr_name;				/* the NAME attribute */
	const struct attr_set *set;		/* names for error reports */
	const struct usage_line *usage;		/* bits: CMD_BIT() */
	size_t n_usage;
	/* Keywords after "add NAME" and "set NAME"; kw_help prints usage. */
	const struct word *add_kws, *set_kws;
	size_t n_add_kws, n_set_kws;
	int kw_help;
	unsigned int kw_repeat;			/* ids allowed more than once */
	/* Put keyword @id given as @kw with value @v; 0 or -1 after an error. */
	int (*put)(struct obj_req *r, int id, const char *kw, const char *v);
	/* Where r->addr and r->port go, for kinds with an endpoint. */
	int attr_addr, attr_port;
	/* The flag "del NAME force" sets, for kinds that have it (else 0). */
	int attr_force;
	/* Print one get reply or notification; @event may be NULL. */
	void (*print)(struct nl_msg *msg, const char *event);
	/* Print one get reply as the add command that recreates it. */
	void (*save)(struct nl_msg *msg);
	/* Keywords whose values can be completed. */
	const struct kw_value *values;
	size_t n_values;
};

extern const struct mt_kind pool_kind, peer_kind, tier_kind;
extern const struct word obj_cmds[], monitor_words[], transport_words[2];
extern const size_t n_obj_cmds, n_monitor_words;

int do_object(const struct mt_kind *k, struct args *a);
int do_monitor(struct args *a);
int do_save(struct args *a);
int do_complete(int argc, char **argv);

/* Dump every object of @k, calling @fn for each. */
int obj_dump(const struct mt_kind *k, mt_reply_fn fn, void *arg);
/* The name of the object a reply is about, or NULL. */
const char *obj_reply_name(const struct mt_kind *k, struct nl_msg *msg);

/* Building the lines of save (save.c). */
void save_begin(const char *kind, const char *name);
void save_string(const char *kw, const char *val);
void save_uint(const char *kw, uint64_t val);
void save_size(const char *kw, uint64_t val);
void save_endpoint(const char *kw, const char *addr, uint16_t port,
		   bool any_is_default);
void save_uint_attr(const char *kw, const struct nlattr *a, uint64_t def);
void save_size_attr(const char *kw, const struct nlattr *a, uint64_t def);
void save_enum_attr(const char *kw, const struct nlattr *a,
		    const char *const *names, size_t n, uint32_t def);
void save_end(void);

/* Value parsers for the put callbacks; @what names the value in errors. */
int obj_put_size(struct obj_req *r, int type, const char *what,
		 const char *v);
int obj_put_u32(struct obj_req *r, int type, const char *what,
		const char *v);
int obj_put_word(struct obj_req *r, int type, const struct word *words,
		 size_t n, const char *what, const char *v);
int obj_put_transport(struct obj_req *r, int type, const char *v);
int obj_put_endpoint(struct obj_req *r, const char *v, int kw_port);
int obj_put_port(struct obj_req *r, const char *v);

extern const char *const transport_names[2];

#endif /* MTIER_USER_H */
