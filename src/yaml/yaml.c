/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A bounded YAML loader: libyaml's event parser feeds an explicit stack (no
 * recursion, so nesting costs heap, not C stack), nodes come from an arena
 * that is freed at once, and aliases share the anchored node instead of
 * copying it. Every node records the size of its subtree with aliases
 * expanded; the sum over a document is capped, which is what stops
 * billion-laughs input before any consumer walks it.
 */
#include <string.h>
#include <yaml.h>

#include "bulwark/yaml.h"

/* A bump allocator: everything a YAML file holds is freed at once. */
struct arena_chunk {
	struct arena_chunk *next;
	size_t size, used;
	char data[];
};
struct arena {
	struct arena_chunk *head;
};

struct bw_yaml_file {
	struct arena arena;
	struct bw_yaml_node **docs;
	size_t ndocs, docs_alloc;
};

struct frame {
	struct bw_yaml_node *node;
	size_t start; /* index of its first child in pending */
	char *anchor;
};

struct builder {
	struct bw_yaml_file *f;
	const char *name;
	struct frame stack[BW_MAX_YAML_DEPTH + 1];
	size_t depth;
	struct bw_yaml_node **pending;
	size_t npending, pending_alloc;
	struct bw_map *anchors;
	uint64_t nodes;	   /* nodes made in this file */
	uint64_t expanded; /* nodes of the current document, aliases expanded */
	struct bw_yaml_node *root;
};

/* ---------------------------------------------------------------- arena */

static void *arena_alloc(struct arena *a, size_t n)
{
	struct arena_chunk *c;
	size_t sz;

	n = (n + 7) & ~(size_t)7;
	if (a->head && a->head->used + n <= a->head->size) {
		void *p = a->head->data + a->head->used;
		a->head->used += n;
		return p;
	}
	sz = n > 32768 ? n : 32768;
	if (a->head && a->head->size < (1u << 20) && sz < a->head->size * 2)
		sz = a->head->size * 2 > n ? a->head->size * 2 : n;
	c = malloc(sizeof(*c) + sz);
	if (!c)
		return NULL;
	c->size = sz;
	c->used = n;
	c->next = a->head;
	a->head = c;
	return c->data;
}

static char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

static void arena_done(struct arena *a)
{
	while (a->head) {
		struct arena_chunk *c = a->head;
		a->head = c->next;
		free(c);
	}
}

/* ---------------------------------------------------------------- building */

static int pending_push(struct builder *b, struct bw_yaml_node *n)
{
	if (b->npending == b->pending_alloc) {
		size_t na = b->pending_alloc ? b->pending_alloc * 2 : 256;
		struct bw_yaml_node **p = realloc(b->pending, na * sizeof(*p));
		if (!p)
			return -ENOMEM;
		b->pending = p;
		b->pending_alloc = na;
	}
	b->pending[b->npending++] = n;
	return 0;
}

static int mark_error(struct builder *b, struct bw_error **err, int code, const yaml_mark_t *m,
		      const char *what)
{
	return bw_error_set(err, code, "%s:%zu:%zu: %s", b->name, m->line + 1, m->column + 1, what);
}

static int remember_anchor(struct builder *b, const char *anchor, struct bw_yaml_node *n)
{
	if (!anchor)
		return 0;
	if (!b->anchors) {
		b->anchors = bw_map_new();
		if (!b->anchors)
			return -ENOMEM;
	}
	return bw_map_put(b->anchors, anchor, n);
}

/* Attaches a finished node to its parent (or makes it the root). */
static int attach(struct builder *b, struct bw_yaml_node *n)
{
	if (b->depth == 0) {
		b->root = n;
		return 0;
	}
	return pending_push(b, n);
}

static struct bw_yaml_node *new_node(struct builder *b, enum bw_yaml_type t, const yaml_mark_t *m)
{
	struct bw_yaml_node *n;

	if (b->nodes >= BW_MAX_YAML_NODES)
		return NULL;
	n = arena_alloc(&b->f->arena, sizeof(*n));
	if (!n)
		return NULL;
	memset(n, 0, sizeof(*n));
	n->type = t;
	n->line = (uint32_t)m->line + 1;
	n->col = (uint32_t)m->column + 1;
	n->size = 1;
	b->nodes++;
	return n;
}

static bool plain_is_null(const char *s, size_t n)
{
	return n == 0 || (n == 1 && s[0] == '~') ||
	       (n == 4 && (!memcmp(s, "null", 4) || !memcmp(s, "Null", 4) || !memcmp(s, "NULL", 4)));
}

static int count_expanded(struct builder *b, uint64_t add, const yaml_mark_t *m,
			  struct bw_error **err)
{
	b->expanded += add;
	if (b->expanded > BW_MAX_YAML_EXPANDED)
		return mark_error(b, err, -E2BIG, m,
				  "document expands to too many nodes (alias bomb?)");
	return 0;
}

static int on_event(struct builder *b, yaml_event_t *ev, struct bw_error **err)
{
	struct bw_yaml_node *n;
	int r;

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		b->root = NULL;
		b->expanded = 0;
		if (b->anchors)
			b->anchors = bw_map_free(b->anchors);
		return 0;
	case YAML_DOCUMENT_END_EVENT:
		if (b->f->ndocs >= BW_MAX_YAML_DOCS)
			return mark_error(b, err, -E2BIG, &ev->start_mark, "too many documents");
		if (b->f->ndocs == b->f->docs_alloc) {
			size_t na = b->f->docs_alloc ? b->f->docs_alloc * 2 : 8;
			struct bw_yaml_node **d = realloc(b->f->docs, na * sizeof(*d));
			if (!d)
				return -ENOMEM;
			b->f->docs = d;
			b->f->docs_alloc = na;
		}
		b->f->docs[b->f->ndocs++] = b->root;
		return 0;
	case YAML_ALIAS_EVENT: {
		const char *a = (const char *)ev->data.alias.anchor;
		n = b->anchors ? bw_map_get(b->anchors, a) : NULL;
		if (!n) {
			char msg[160];
			snprintf(msg, sizeof(msg), "alias `%.100s` names no anchor", a);
			return mark_error(b, err, -EINVAL, &ev->start_mark, msg);
		}
		r = count_expanded(b, n->size, &ev->start_mark, err);
		if (r < 0)
			return r;
		return attach(b, n);
	}
	case YAML_SCALAR_EVENT: {
		const char *v = (const char *)ev->data.scalar.value;
		size_t len = ev->data.scalar.length;
		bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		bool is_null = plain && !ev->data.scalar.tag && plain_is_null(v, len);

		if (len > UINT32_MAX)
			return mark_error(b, err, -E2BIG, &ev->start_mark, "scalar too long");
		n = new_node(b, is_null ? BW_YAML_NULL : BW_YAML_SCALAR, &ev->start_mark);
		if (!n)
			goto nomem;
		n->plain = plain;
		n->str = arena_strndup(&b->f->arena, v, len);
		if (!n->str)
			return -ENOMEM;
		n->len = (uint32_t)len;
		r = count_expanded(b, 1, &ev->start_mark, err);
		if (r < 0)
			return r;
		r = remember_anchor(b, (const char *)ev->data.scalar.anchor, n);
		if (r < 0)
			return r;
		return attach(b, n);
	}
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: {
		const char *anchor = ev->type == YAML_SEQUENCE_START_EVENT ?
					     (const char *)ev->data.sequence_start.anchor :
					     (const char *)ev->data.mapping_start.anchor;
		if (b->depth >= BW_MAX_YAML_DEPTH)
			return mark_error(b, err, -E2BIG, &ev->start_mark, "nesting too deep");
		n = new_node(b, ev->type == YAML_SEQUENCE_START_EVENT ? BW_YAML_SEQ : BW_YAML_MAP,
			     &ev->start_mark);
		if (!n)
			goto nomem;
		r = count_expanded(b, 1, &ev->start_mark, err);
		if (r < 0)
			return r;
		b->stack[b->depth].node = n;
		b->stack[b->depth].start = b->npending;
		b->stack[b->depth].anchor = anchor ? strdup(anchor) : NULL;
		if (anchor && !b->stack[b->depth].anchor)
			return -ENOMEM;
		b->depth++;
		return 0;
	}
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT: {
		struct frame *fr;
		size_t k;
		uint64_t size = 1;

		if (b->depth == 0)
			return mark_error(b, err, -EINVAL, &ev->start_mark, "unbalanced collection");
		fr = &b->stack[--b->depth];
		n = fr->node;
		k = b->npending - fr->start;
		if (n->type == BW_YAML_MAP && k % 2)
			return mark_error(b, err, -EINVAL, &ev->start_mark, "mapping without value");
		if (k) {
			n->kids = arena_alloc(&b->f->arena, k * sizeof(*n->kids));
			if (!n->kids)
				return -ENOMEM;
			memcpy(n->kids, b->pending + fr->start, k * sizeof(*n->kids));
		}
		for (size_t i = 0; i < k; i++)
			size += n->kids[i]->size;
		n->size = size > UINT32_MAX ? UINT32_MAX : (uint32_t)size;
		n->n = (uint32_t)(n->type == BW_YAML_MAP ? k / 2 : k);
		b->npending = fr->start;
		r = remember_anchor(b, fr->anchor, n);
		free(fr->anchor);
		fr->anchor = NULL;
		if (r < 0)
			return r;
		return attach(b, n);
	}
	default:
		return 0;
	}
nomem:
	if (b->nodes >= BW_MAX_YAML_NODES)
		return mark_error(b, err, -E2BIG, &ev->start_mark, "too many nodes");
	return -ENOMEM;
}

int bw_yaml_parse(const char *name, const char *data, size_t len, struct bw_yaml_file **ret,
		  struct bw_error **err)
{
	struct builder b = { .name = name };
	yaml_parser_t parser;
	yaml_event_t ev;
	bool done = false;
	int r = 0;

	if (len > BW_MAX_CONFIG_FILE_SIZE)
		return bw_error_set(err, -EFBIG, "%s: file larger than %u bytes", name,
				    BW_MAX_CONFIG_FILE_SIZE);
	b.f = calloc(1, sizeof(*b.f));
	if (!b.f)
		return bw_error_set(err, -ENOMEM, "%s: out of memory", name);
	if (!yaml_parser_initialize(&parser)) {
		free(b.f);
		return bw_error_set(err, -ENOMEM, "%s: out of memory", name);
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			const yaml_mark_t *m = &parser.problem_mark;
			if (parser.error == YAML_MEMORY_ERROR)
				r = bw_error_set(err, -ENOMEM, "%s: out of memory", name);
			else
				r = bw_error_set(err, -EINVAL, "%s:%zu:%zu: %s%s%s", name,
						 m->line + 1, m->column + 1,
						 parser.problem ? parser.problem : "invalid YAML",
						 parser.context ? " " : "",
						 parser.context ? parser.context : "");
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		r = on_event(&b, &ev, err);
		yaml_event_delete(&ev);
		if (r < 0) {
			if (r == -ENOMEM)
				bw_error_set(err, r, "%s: out of memory", name);
			break;
		}
	}
	yaml_parser_delete(&parser);
	for (size_t i = 0; i < b.depth; i++)
		free(b.stack[i].anchor);
	free(b.pending);
	bw_map_free(b.anchors);
	if (r < 0) {
		bw_yaml_file_free(b.f);
		return r;
	}
	*ret = b.f;
	return 0;
}

struct bw_yaml_file *bw_yaml_file_free(struct bw_yaml_file *f)
{
	if (!f)
		return NULL;
	arena_done(&f->arena);
	free(f->docs);
	free(f);
	return NULL;
}

size_t bw_yaml_file_ndocs(const struct bw_yaml_file *f)
{
	return f ? f->ndocs : 0;
}

const struct bw_yaml_node *bw_yaml_file_doc(const struct bw_yaml_file *f, size_t i)
{
	return f && i < f->ndocs ? f->docs[i] : NULL;
}

/* ---------------------------------------------------------------- access */

static bool key_is(const struct bw_yaml_node *k, const char *key, size_t klen)
{
	return k->type == BW_YAML_SCALAR && k->len == klen && !memcmp(k->str, key, klen);
}

/*
 * Merge keys nest (a merged map may merge others); the depth bound keeps a
 * hostile chain from recursing far, and aliases cannot form cycles because
 * an anchor is only known once its node is complete.
 */
static const struct bw_yaml_node *get_n(const struct bw_yaml_node *map, const char *key,
					size_t klen, int depth)
{
	const struct bw_yaml_node *merge = NULL;

	if (!map || map->type != BW_YAML_MAP)
		return NULL;
	for (uint32_t i = 0; i < map->n; i++) {
		const struct bw_yaml_node *k = map->kids[2 * i];
		if (key_is(k, key, klen)) {
			const struct bw_yaml_node *v = map->kids[2 * i + 1];
			return v->type == BW_YAML_NULL ? NULL : v;
		}
		if (k->plain && k->len == 2 && k->str[0] == '<' && k->str[1] == '<')
			merge = map->kids[2 * i + 1];
	}
	if (!merge || depth >= 8)
		return NULL;
	if (merge->type == BW_YAML_MAP)
		return get_n(merge, key, klen, depth + 1);
	for (uint32_t i = 0; i < bw_yaml_count(merge); i++) {
		const struct bw_yaml_node *v = get_n(merge->kids[i], key, klen, depth + 1);
		if (v)
			return v;
	}
	return NULL;
}

const struct bw_yaml_node *bw_yaml_get(const struct bw_yaml_node *map, const char *key)
{
	return get_n(map, key, strlen(key), 0);
}

const struct bw_yaml_node *bw_yaml_path(const struct bw_yaml_node *n, const char *path)
{
	while (n && *path) {
		const char *dot = strchr(path, '.');
		size_t l = dot ? (size_t)(dot - path) : strlen(path);
		n = get_n(n, path, l, 0);
		path += l;
		if (*path == '.')
			path++;
	}
	return n;
}

const char *bw_yaml_str(const struct bw_yaml_node *n)
{
	return n && n->type == BW_YAML_SCALAR ? n->str : NULL;
}

int bw_yaml_bool(const struct bw_yaml_node *n)
{
	static const char *const yes[] = { "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y" };
	static const char *const no[] = { "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", "n", "N" };

	if (!n || n->type != BW_YAML_SCALAR || !n->plain)
		return -1;
	for (size_t i = 0; i < BW_ARRAY_SIZE(yes); i++)
		if (!strcmp(n->str, yes[i]))
			return 1;
	for (size_t i = 0; i < BW_ARRAY_SIZE(no); i++)
		if (!strcmp(n->str, no[i]))
			return 0;
	return -1;
}

int bw_yaml_int(const struct bw_yaml_node *n, long long *ret)
{
	char *end;
	long long v;

	if (!n || n->type != BW_YAML_SCALAR || !n->len)
		return -EINVAL;
	errno = 0;
	v = strtoll(n->str, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*ret = v;
	return 0;
}
