// SPDX-License-Identifier: GPL-2.0
/*
 * mtier(8): the one output path.
 *
 * Every object is printed through the helpers below, which write either a
 * text line ("pool p0: state down size 4G ...") or a JSON object, depending
 * on -j.  Each helper takes the JSON key (the spec's attribute name) and the
 * text keyword separately; a NULL key leaves the value out of that format.
 *
 * JSON objects are collected into an array that print_list_end() prints
 * (show), or, when no list is open, each object is printed on its own as
 * {"event": ..., "object": kind, kind: {...}} (monitor).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>
#include <netlink/attr.h>

#include "mtier.h"

#define PRINT_DEPTH 4

static struct {
	json_object *list;		/* open array of show, or NULL */
	json_object *stack[PRINT_DEPTH]; /* object, then nests */
	int depth;
	const char *kind;
	const char *event;
	bool array_first;		/* text: no comma before the next item */
} pr;

static int json_flags(void)
{
	return (opts.pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED
			    : JSON_C_TO_STRING_PLAIN) |
	       JSON_C_TO_STRING_NOSLASHESCAPE;
}

static json_object *cur(void)
{
	return pr.depth ? pr.stack[pr.depth - 1] : NULL;
}

static void jadd(const char *key, json_object *val)
{
	json_object *o = cur();

	if (!o) {
		json_object_put(val);
		return;
	}
	if (json_object_is_type(o, json_type_array))
		json_object_array_add(o, val);
	else
		json_object_object_add(o, key, val);
}

static void push(json_object *o)
{
	if (pr.depth == PRINT_DEPTH) {
		json_object_put(o);
		return;
	}
	pr.stack[pr.depth++] = o;
}

/* Add the new array or object @o under @key; what follows goes into it. */
static void open_nest(const char *key, json_object *o)
{
	jadd(key, json_object_get(o));
	push(o);
	json_object_put(o);
}

/* Back to where the last open_nest() was called. */
static void close_nest(void)
{
	if (opts.json && pr.depth > 1)
		pr.depth--;
}

/* --- Lists and objects ------------------------------------------------ */

void print_list_begin(void)
{
	if (opts.json)
		pr.list = json_object_new_array();
}

/* Print what was collected; returns -1 if stdout failed. */
int print_list_end(void)
{
	if (pr.list) {
		puts(json_object_to_json_string_ext(pr.list, json_flags()));
		json_object_put(pr.list);
		pr.list = NULL;
	}
	if (fflush(stdout) || ferror(stdout))
		return error("cannot write to stdout");
	return 0;
}

/* Forget what a failed show collected, so that a batch goes on clean. */
void print_list_drop(void)
{
	if (pr.list)
		json_object_put(pr.list);
	pr.list = NULL;
	pr.depth = 0;
}

void print_obj_begin(const char *kind, const char *name, const char *event)
{
	pr.kind = kind;
	pr.event = event;
	pr.depth = 0;
	if (opts.json) {
		push(json_object_new_object());
		return;
	}
	if (event)
		printf("[%s] ", event);
	printf("%s %s:", kind, name);
}

void print_obj_end(void)
{
	json_object *o, *wrap;

	if (!opts.json) {
		putchar('\n');
		if (!pr.list)
			fflush(stdout);
		return;
	}
	if (!pr.depth)
		return;
	o = pr.stack[0];
	pr.depth = 0;
	if (pr.list) {
		json_object_array_add(pr.list, o);
		return;
	}
	wrap = json_object_new_object();
	if (pr.event)
		json_object_object_add(wrap, "event",
				       json_object_new_string(pr.event));
	json_object_object_add(wrap, "object", json_object_new_string(pr.kind));
	json_object_object_add(wrap, pr.kind, o);
	puts(json_object_to_json_string_ext(wrap, json_flags()));
	json_object_put(wrap);
	fflush(stdout);
}

/* --- Values ------------------------------------------------------------- */

void print_string(const char *jkey, const char *tkey, const char *val)
{
	if (opts.json) {
		if (jkey)
			jadd(jkey, json_object_new_string(val));
	} else if (tkey) {
		printf(" %s %s", tkey, val);
	}
}

/* @unit is appended to the number in text only ("1000ms"). */
void print_uint(const char *jkey, const char *tkey, const char *unit,
		uint64_t val)
{
	if (opts.json) {
		if (jkey)
			jadd(jkey, json_object_new_uint64(val));
	} else if (tkey) {
		printf(" %s %" PRIu64 "%s", tkey, val, unit ? unit : "");
	}
}

/* Bytes: a number in JSON, "4G" in text when a unit divides it. */
void print_size(const char *jkey, const char *tkey, uint64_t val)
{
	char buf[32];

	if (opts.json) {
		if (jkey)
			jadd(jkey, json_object_new_uint64(val));
	} else if (tkey) {
		printf(" %s %s", tkey, size_str(val, buf, sizeof(buf)));
	}
}

void print_enum(const char *jkey, const char *tkey,
		const char *const *names, size_t n, uint32_t val)
{
	char buf[32];
	const char *s;

	if (val < n && names[val]) {
		s = names[val];
	} else {
		snprintf(buf, sizeof(buf), "unknown(%u)", val);
		s = buf;
	}
	print_string(jkey, tkey, s);
}

/*
 * "listen 0.0.0.0:7471" or "[fe80::1%2]:7471"; two keys in JSON, with the
 * address exactly as the kernel sent it.  Text stays valid ADDR[:PORT]
 * input: IPv6 addresses are bracketed.
 */
void print_endpoint(const char *tkey, const char *jaddr, const char *jport,
		    const char *addr, uint16_t port)
{
	if (opts.json) {
		jadd(jaddr, json_object_new_string(addr));
		jadd(jport, json_object_new_int(port));
		return;
	}
	if (strchr(addr, ':'))
		printf(" %s [%s]:%u", tkey, addr, port);
	else
		printf(" %s %s:%u", tkey, addr, port);
}

void print_percent(const char *jkey, const char *tkey, double val)
{
	if (opts.json) {
		if (jkey)
			jadd(jkey, json_object_new_double(val));
	} else if (tkey) {
		printf(" %s %.1f%%", tkey, val);
	}
}

/* A list of strings: a JSON array, "peer d1,d2" in text. */
void print_array_begin(const char *jkey, const char *tkey)
{
	if (opts.json) {
		open_nest(jkey, json_object_new_array());
		return;
	}
	printf(" %s ", tkey);
	pr.array_first = true;
}

void print_array_string(const char *val)
{
	if (opts.json) {
		jadd(NULL, json_object_new_string(val));
		return;
	}
	printf("%s%s", pr.array_first ? "" : ",", val);
	pr.array_first = false;
}

void print_array_end(void)
{
	close_nest();
}

/* A nested object in JSON; an indented second line in text. */
void print_nest_begin(const char *jkey, const char *tkey)
{
	if (opts.json) {
		open_nest(jkey, json_object_new_object());
		return;
	}
	printf("\n    %s:", tkey);
}

void print_nest_end(void)
{
	close_nest();
}

/*
 * Every counter of a stats nest, in the order the kernel sent them, but
 * set->skip (a repeated attribute the caller prints itself).
 */
void print_counters(const struct nlattr *nest, const struct attr_set *set)
{
	const struct nlattr *a;
	char unknown[32];
	const char *name;
	int rem, type;

	nla_for_each_nested(a, nest, rem) {
		type = nla_type(a);
		if (type == set->skip)
			continue;
		name = type <= set->max ? set->names[type] : NULL;
		if (!name) {
			snprintf(unknown, sizeof(unknown), "attr-%d", type);
			name = unknown;
		}
		print_uint(name, name, NULL, mt_get_uint(a));
	}
}

/* A list of numbers: a JSON array; in text, nothing (callers summarise). */
void print_uint_array(const char *jkey, const uint64_t *vals, int n)
{
	struct json_object *arr;
	int i;

	if (!opts.json)
		return;
	arr = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(arr, json_object_new_uint64(vals[i]));
	jadd(jkey, arr);
}
