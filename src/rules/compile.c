/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Compiling a loaded ruleset: lists are flattened in definition order (an
 * item naming an earlier list is replaced by its items, as Falco does),
 * macros are parsed once and expanded where they are referenced (a macro
 * that reaches itself is an error), exceptions become "and not (...)"
 * clauses, and each condition becomes a tree of typed checks with its
 * right-hand sides parsed once: numbers, networks, hash sets, regexes.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "rules/internal.h"
#include "rules/syscall_fields.h"

const struct bw_field_info *bw_syscall_fields(size_t *ret_n)
{
	*ret_n = BW_ARRAY_SIZE(syscall_fields);
	return syscall_fields;
}

struct cc {
	struct bw_ruleset *rs;
	struct srcdata *sd;
	struct rule_def *rule;
	const char *kind; /* item being compiled, for diagnostics */
	const char *name;
	const char *file;
	unsigned line;
	size_t nodes;
	unsigned depth;
	/* set when the rule uses something its source lacks */
	const char *skip;
	bool error;
};

struct tset {
	bool all;
	uint32_t n;
	uint32_t *ids;
};

static void cc_error(struct cc *c, const char *fmt, ...) BW_PRINTF(2, 3);
static void cc_error(struct cc *c, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (c->error)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rs_diag(c->rs, BW_DIAG_ERROR, c->file, c->line, 0, c->kind, c->name, "%s", msg);
	c->error = true;
}

/* ---------------------------------------------------------------- fields */

int field_lookup(const struct bw_source *src, const char *name, const char **ret_dotarg)
{
	size_t n = strlen(name);

	*ret_dotarg = NULL;
	for (size_t i = 0; i < src->nfields; i++)
		if (!strcmp(src->fields[i].name, name))
			return (int)i;
	/* The longest prefix that is a field taking a dotted argument. */
	int best = -1;
	size_t bestlen = 0;
	for (size_t i = 0; i < src->nfields; i++) {
		size_t fl = strlen(src->fields[i].name);
		if (!(src->fields[i].flags & BW_FF_ARG_DOT) || fl + 1 >= n || fl <= bestlen)
			continue;
		if (!memcmp(name, src->fields[i].name, fl) && name[fl] == '.') {
			best = (int)i;
			bestlen = fl;
		}
	}
	if (best >= 0)
		*ret_dotarg = name + bestlen + 1;
	return best;
}

int srcdata_slot(struct bw_ruleset *rs, struct srcdata *sd, uint32_t field, const char *arg,
		 struct bw_field_ref *ret)
{
	char key[512];
	void *v;

	snprintf(key, sizeof(key), "%u\x01%s%s", field, arg ? "A" : "N", arg ? arg : "");
	v = bw_map_get(sd->slot_ids, key);
	if (v) {
		*ret = *(struct bw_field_ref *)sd->slots.v[(uintptr_t)v - 1];
		return 0;
	}
	struct bw_field_ref *r = arena_zalloc(&rs->arena, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->field = field;
	r->arg = arg ? arena_strdup(&rs->arena, arg) : NULL;
	r->index = -1;
	if (arg && *arg) {
		char *end;
		long long x = strtoll(arg, &end, 10);
		if (!*end && isdigit((unsigned char)*arg))
			r->index = x;
	}
	r->slot = (uint32_t)sd->slots.n;
	if (ptrvec_push(&rs->arena, &sd->slots, r) < 0 ||
	    bw_map_put(sd->slot_ids, key, (void *)(uintptr_t)(r->slot + 1)) < 0)
		return -ENOMEM;
	*ret = *r;
	return 0;
}

static bool resolve_field(struct cc *c, const struct ast_field *af, struct fref *f);

/* The transformers of af over f's type. */
static bool apply_transformers(struct cc *c, const struct ast_field *af, struct fref *f,
			       const char *name)
{
	f->ntr = af->ntr;
	memcpy(f->tr, af->tr, sizeof(f->tr));
	for (unsigned i = 0; i < af->ntr; i++) {
		if (f->len_num) {
			cc_error(c, "a transformer cannot be applied to len()");
			return false;
		}
		if (f->type == BW_FT_NUMBER || f->type == BW_FT_BOOL) {
			cc_error(c, "transformers apply to string fields only, not `%s`", name);
			return false;
		}
		if (af->tr[i] == TR_LEN) {
			f->len_num = true;
			f->type = BW_FT_NUMBER;
			f->is_list = false;
		} else {
			f->type = BW_FT_STRING;
		}
	}
	return true;
}

static bool resolve_item(struct cc *c, const struct ast_mitem *it, struct fitem *ret)
{
	if (it->lit) {
		ret->lit = it->lit;
		ret->litlen = (uint32_t)strlen(it->lit);
		return true;
	}
	if (!(ret->f = arena_zalloc(&c->rs->arena, sizeof(*ret->f)))) {
		cc_error(c, "out of memory");
		return false;
	}
	return resolve_field(c, &it->field, ret->f);
}

/* join() / concat() into f, a string that transformers may then change. */
static bool resolve_multi(struct cc *c, const struct ast_multi *am, struct fref *f)
{
	struct fmulti *mv = arena_zalloc(&c->rs->arena, sizeof(*mv));

	if (!mv || !(mv->items = arena_zalloc(&c->rs->arena, (am->nitems + 1) * sizeof(*mv->items)))) {
		cc_error(c, "out of memory");
		return false;
	}
	mv->kind = am->kind;
	mv->nitems = am->nitems;
	if (am->kind == MV_JOIN) {
		if (!resolve_item(c, &am->sep, &mv->sep))
			return false;
		if (mv->sep.f && mv->sep.f->is_list) {
			cc_error(c, "join() first argument (separator) must be a single value, not a list");
			return false;
		}
	}
	for (uint32_t i = 0; i < am->nitems; i++) {
		if (!resolve_item(c, &am->items[i], &mv->items[i]))
			return false;
		if (am->kind == MV_CONCAT && mv->items[i].f && mv->items[i].f->is_list) {
			cc_error(c, "concat() arguments must be single values, not lists");
			return false;
		}
	}
	f->multi = mv;
	f->type = BW_FT_STRING;
	return true;
}

/* Resolves an AST field into a typed reference. Returns false (with c->skip
 * or an error set) when it cannot. */
static bool resolve_field(struct cc *c, const struct ast_field *af, struct fref *f)
{
	const struct bw_source *src = c->sd->src;
	const char *dotarg = NULL, *arg;
	int idx = af->multi ? -1 : field_lookup(src, af->name, &dotarg);

	memset(f, 0, sizeof(*f));
	if (af->multi) {
		if (!resolve_multi(c, af->multi, f))
			return false;
		return apply_transformers(c, af, f, af->name);
	}
	if (idx < 0) {
		if (!c->skip)
			c->skip = arena_printf(&c->rs->arena,
					       "field `%s` is not provided by source `%s`", af->name,
					       src->name);
		return false;
	}
	const struct bw_field_info *fi = &src->fields[idx];
	if (dotarg && af->arg) {
		cc_error(c, "field `%s` has two arguments", af->name);
		return false;
	}
	arg = af->arg ? af->arg : dotarg;
	if (arg && !(fi->flags & (BW_FF_ARG_INDEX | BW_FF_ARG_KEY))) {
		cc_error(c, "field `%s` does not take an argument", fi->name);
		return false;
	}
	if (arg && (fi->flags & BW_FF_ARG_INDEX) && !(fi->flags & BW_FF_ARG_KEY)) {
		char *end;
		strtoll(arg, &end, 10);
		if (!*arg || *end) {
			cc_error(c, "field `%s` takes a numeric index, not `%s`", fi->name, arg);
			return false;
		}
	}
	if (!arg && (fi->flags & BW_FF_ARG_REQUIRED)) {
		cc_error(c, "field `%s` requires an argument", fi->name);
		return false;
	}
	if (srcdata_slot(c->rs, c->sd, (uint32_t)idx, arg, &f->ref) < 0) {
		cc_error(c, "out of memory");
		return false;
	}
	f->type = fi->type;
	f->flags = fi->flags;
	/* An indexed list field extracts one element. */
	f->is_list = (fi->flags & BW_FF_LIST) && !(arg && f->ref.index >= 0);
	return apply_transformers(c, af, f, fi->name);
}

/* ---------------------------------------------------------------- values */

static int parse_int(const char *s, int64_t *ret)
{
	char *end;
	long long v;

	errno = 0;
	if (!*s)
		return -EINVAL;
	if ((s[0] == '0' && (s[1] == 'x' || s[1] == 'X')))
		v = (long long)strtoull(s, &end, 16);
	else
		v = strtoll(s, &end, 10);
	if (errno || *end) {
		/* Floats: compare by their integer part, as libsinsp casts. */
		double d = strtod(s, &end);
		if (*end || d != d)
			return -EINVAL;
		v = (long long)d;
	}
	*ret = v;
	return 0;
}

static int parse_net(const char *s, struct ipnet *n)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t len = slash ? (size_t)(slash - s) : strlen(s);
	char *end;

	if (len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = 0;
	memset(n, 0, sizeof(*n));
	if (inet_pton(AF_INET, buf, n->addr) == 1) {
		n->family = AF_INET;
		n->prefix = 32;
	} else if (inet_pton(AF_INET6, buf, n->addr) == 1) {
		n->family = AF_INET6;
		n->prefix = 128;
	} else {
		return -EINVAL;
	}
	if (slash) {
		unsigned long p = strtoul(slash + 1, &end, 10);
		if (!slash[1] || *end || p > n->prefix)
			return -EINVAL;
		n->prefix = (unsigned)p;
	}
	return 0;
}

/* A glob pattern is invalid when a bracket expression is not closed. */
static bool glob_valid(const char *p)
{
	for (; *p; p++) {
		if (*p == '\\' && p[1]) {
			p++;
		} else if (*p == '[') {
			const char *q = p + 1;
			if (*q == '!' || *q == '^')
				q++;
			if (*q == ']')
				q++;
			while (*q && *q != ']')
				q++;
			if (!*q)
				return false;
			p = q;
		}
	}
	return true;
}

static int hexdecode(struct arena *a, const char *s, char **ret, uint32_t *ret_len)
{
	size_t n = strlen(s);
	char *o;

	if (n % 2)
		return -EINVAL;
	o = arena_alloc(a, n / 2 + 1);
	if (!o)
		return -ENOMEM;
	for (size_t i = 0; i < n; i += 2) {
		unsigned v;
		if (!isxdigit((unsigned char)s[i]) || !isxdigit((unsigned char)s[i + 1]) ||
		    sscanf(s + i, "%2x", &v) != 1)
			return -EINVAL;
		o[i / 2] = (char)v;
	}
	o[n / 2] = 0;
	*ret = o;
	*ret_len = (uint32_t)(n / 2);
	return 0;
}

/* A pmatch pattern with wildcards as its path components (trailing
 * slashes dropped), each a valid glob. */
static bool pmatch_split(struct cc *c, const char *s, struct rval *v)
{
	size_t n = strlen(s), k = 1;

	while (n > 1 && s[n - 1] == '/')
		n--;
	for (size_t i = 0; i < n; i++)
		k += s[i] == '/';
	v->comps = arena_zalloc(&c->rs->arena, (k + 1) * sizeof(*v->comps));
	if (!v->comps) {
		cc_error(c, "out of memory");
		return false;
	}
	for (const char *p = s, *end = s + n; p <= end;) {
		const char *slash = memchr(p, '/', (size_t)(end - p));
		const char *ce = slash ? slash : end;
		char *comp = arena_strndup(&c->rs->arena, p, (size_t)(ce - p));
		if (!comp) {
			cc_error(c, "out of memory");
			return false;
		}
		if (!glob_valid(comp)) {
			cc_error(c, "invalid glob pattern `%s` in pmatch", s);
			return false;
		}
		v->comps[v->ncomps++] = comp;
		p = ce + 1;
		if (!slash)
			break;
	}
	return true;
}

static bool make_rval(struct cc *c, const struct fref *f, enum op op, const char *s,
		      struct rval *v)
{
	struct arena *a = &c->rs->arena;

	memset(v, 0, sizeof(*v));
	v->s = s;
	v->len = (uint32_t)strlen(s);
	switch (f->type) {
	case BW_FT_NUMBER:
		if (parse_int(s, &v->num) < 0) {
			cc_error(c, "`%s` is not a valid number", s);
			return false;
		}
		v->is_num = true;
		return true;
	case BW_FT_BOOL:
		if (!strcmp(s, "true") || !strcmp(s, "1"))
			v->num = 1;
		else if (!strcmp(s, "false") || !strcmp(s, "0"))
			v->num = 0;
		else {
			cc_error(c, "`%s` is not a valid boolean (true or false)", s);
			return false;
		}
		v->is_num = true;
		return true;
	case BW_FT_IPADDR:
	case BW_FT_IPNET:
		if (op == OP_EQ || op == OP_NE || op == OP_IN || op == OP_INTERSECTS) {
			if (parse_net(s, &v->net) < 0) {
				cc_error(c, "`%s` is not a valid IP address or network", s);
				return false;
			}
			v->is_net = true;
		}
		return true;
	case BW_FT_DYNAMIC:
		v->is_num = parse_int(s, &v->num) == 0;
		break;
	case BW_FT_STRING:
		break;
	}
	if (op == OP_ICONTAINS || op == OP_IGLOB) {
		char *l = arena_strdup(a, s);
		if (!l)
			return false;
		for (char *p = l; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		v->lower = l;
	}
	if (op == OP_BCONTAINS || op == OP_BSTARTSWITH) {
		char *b;
		if (hexdecode(a, s, &b, &v->len) < 0) {
			cc_error(c, "`%s` is not a valid hex string", s);
			return false;
		}
		v->s = b;
	}
	if (op == OP_PMATCH && strpbrk(s, "*?[") && !pmatch_split(c, s, v))
		return false;
	if ((op == OP_GLOB || op == OP_IGLOB) && !glob_valid(s)) {
		cc_error(c, "invalid glob pattern `%s`", s);
		return false;
	}
	if (op == OP_REGEX) {
		char *pat = arena_printf(a, "^(%s)$", s);
		int e;
		v->re = calloc(1, sizeof(*v->re));
		if (!pat || !v->re)
			return false;
		e = regcomp(v->re, pat, REG_EXTENDED | REG_NOSUB);
		if (e) {
			char eb[256];
			regerror(e, v->re, eb, sizeof(eb));
			free(v->re);
			v->re = NULL;
			cc_error(c, "invalid regular expression `%s`: %s", s, eb);
			return false;
		}
		/* Kept in a list so bw_ruleset_free() can regfree() it. */
		ptrvec_push(a, &c->rs->regexes, v->re);
	}
	return true;
}

/* ---------------------------------------------------------------- sets */

/* A hash of s[0..n) for the sets of one process (it depends on the byte
 * order): eight bytes at a time, then four, two and one, each mixed in by a
 * multiply. */
static uint32_t hash_bytes(const char *s, uint32_t n)
{
	const uint64_t mul = 0xff51afd7ed558ccdull;
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n, w;
	uint32_t w4;
	uint16_t w2;

	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * mul;
		h ^= h >> 32;
	}
	w = 0;
	if (n & 4) {
		memcpy(&w4, s, 4);
		w = w4;
		s += 4;
	}
	if (n & 2) {
		memcpy(&w2, s, 2);
		w = w << 16 | w2;
		s += 2;
	}
	if (n & 1)
		w = w << 8 | (unsigned char)*s;
	h = (h ^ w) * mul;
	return (uint32_t)(h ^ h >> 29 ^ h >> 47);
}

bool strset_has(const struct strset *s, const char *k, uint32_t len)
{
	if (len < s->minlen || len > s->maxlen)
		return false;
	for (uint32_t i = hash_bytes(k, len) & s->mask;; i = (i + 1) & s->mask) {
		if (!s->keys[i])
			return false;
		if (s->lens[i] == len && !memcmp(s->keys[i], k, len))
			return true;
	}
}

static struct strset *strset_build(struct arena *a, const struct rval *v, uint32_t n)
{
	struct strset *s = arena_zalloc(a, sizeof(*s));
	uint32_t cap = 8;

	if (!s)
		return NULL;
	while (cap < n * 2 + 2)
		cap *= 2;
	s->mask = cap - 1;
	s->keys = arena_zalloc(a, cap * sizeof(*s->keys));
	s->lens = arena_zalloc(a, cap * sizeof(*s->lens));
	if (!s->keys || !s->lens)
		return NULL;
	s->minlen = UINT32_MAX;
	for (uint32_t j = 0; j < n; j++) {
		if (strset_has(s, v[j].s, v[j].len))
			continue;
		uint32_t i = hash_bytes(v[j].s, v[j].len) & s->mask;
		while (s->keys[i])
			i = (i + 1) & s->mask;
		s->keys[i] = v[j].s;
		s->lens[i] = v[j].len;
		s->n++;
		if (v[j].len < s->minlen)
			s->minlen = v[j].len;
		if (v[j].len > s->maxlen)
			s->maxlen = v[j].len;
	}
	return s;
}

/* ---------------------------------------------------------------- lists */

static int flatten_lists(struct bw_ruleset *rs)
{
	int r = 0;

	for (size_t i = 0; i < rs->lists.n; i++) {
		struct list_def *l = rs->lists.v[i];
		memset(&l->flat, 0, sizeof(l->flat));
		for (size_t j = 0; j < l->items.n; j++) {
			const char *it = l->items.v[j];
			struct list_def *ref = bw_map_get(rs->list_by_name, it);
			if (ref == l) {
				rs_diag(rs, BW_DIAG_ERROR, l->file, l->line, 0, "list", l->name,
					"list references itself");
				r = -EINVAL;
				continue;
			}
			/* Only lists defined before this one are expanded (Falco's order). */
			bool earlier = false;
			for (size_t k = 0; ref && k < i; k++)
				if (rs->lists.v[k] == ref)
					earlier = true;
			if (ref && earlier) {
				ref->used = true;
				for (size_t k = 0; k < ref->flat.n; k++)
					if (l->flat.n < BW_MAX_LIST_ITEMS)
						ptrvec_push(&rs->arena, &l->flat, ref->flat.v[k]);
			} else {
				ptrvec_push(&rs->arena, &l->flat, (void *)it);
			}
			if (l->flat.n >= BW_MAX_LIST_ITEMS) {
				rs_diag(rs, BW_DIAG_ERROR, l->file, l->line, 0, "list", l->name,
					"list has more than %u items", BW_MAX_LIST_ITEMS);
				r = -EINVAL;
				break;
			}
		}
		l->expanded = true;
	}
	return r;
}

/* A list item written with quotes inside YAML ('"10.0.0.0/8"') loses them,
 * as it does when Falco pastes it into the condition and parses it. */
static char *unquote(struct bw_ruleset *rs, char *s)
{
	size_t n = strlen(s);

	if (n < 2 || (s[0] != '"' && s[0] != '\'') || s[n - 1] != s[0])
		return s;
	char *r = arena_strndup(&rs->arena, s + 1, n - 2);
	if (!r)
		return s;
	/* unescape \" and \\ */
	char *o = r;
	for (char *p = r; *p; p++) {
		if (*p == '\\' && (p[1] == s[0] || p[1] == '\\'))
			p++;
		*o++ = *p;
	}
	*o = 0;
	return r;
}

/* Expands the values of a list operand: an item naming a list becomes its items. */
static bool expand_items(struct cc *c, char **items, uint32_t n, struct ptrvec *out)
{
	for (uint32_t i = 0; i < n; i++) {
		struct list_def *l = bw_map_get(c->rs->list_by_name, items[i]);
		if (l) {
			l->used = true;
			for (size_t k = 0; k < l->flat.n; k++)
				ptrvec_push(&c->rs->arena, out, unquote(c->rs, l->flat.v[k]));
		} else {
			ptrvec_push(&c->rs->arena, out, unquote(c->rs, items[i]));
		}
		if (out->n > BW_MAX_LIST_ITEMS) {
			cc_error(c, "list operand has more than %u items", BW_MAX_LIST_ITEMS);
			return false;
		}
	}
	return true;
}

/* ---------------------------------------------------------------- type sets */

static uint32_t evtype_intern(struct bw_ruleset *rs, const char *name)
{
	void *v = bw_map_get(rs->evtypes.ids, name);

	if (v)
		return (uint32_t)(uintptr_t)v - 1;
	uint32_t id = (uint32_t)rs->evtypes.names.n;
	char *copy = arena_strdup(&rs->arena, name);
	ptrvec_push(&rs->arena, &rs->evtypes.names, copy);
	bw_map_put(rs->evtypes.ids, name, (void *)(uintptr_t)(id + 1));
	return id;
}

static bool tset_has(const struct tset *t, uint32_t id)
{
	for (uint32_t i = 0; i < t->n; i++)
		if (t->ids[i] == id)
			return true;
	return false;
}

static struct tset tset_and(struct cc *c, struct tset a, struct tset b)
{
	struct tset r = { 0 };

	if (a.all)
		return b;
	if (b.all)
		return a;
	r.ids = arena_alloc(&c->rs->arena, (a.n + 1) * sizeof(uint32_t));
	for (uint32_t i = 0; r.ids && i < a.n; i++)
		if (tset_has(&b, a.ids[i]))
			r.ids[r.n++] = a.ids[i];
	return r;
}

static struct tset tset_or(struct cc *c, struct tset a, struct tset b)
{
	struct tset r = { 0 };

	if (a.all || b.all) {
		r.all = true;
		return r;
	}
	r.ids = arena_alloc(&c->rs->arena, (a.n + b.n + 1) * sizeof(uint32_t));
	if (!r.ids) {
		r.all = true;
		return r;
	}
	for (uint32_t i = 0; i < a.n; i++)
		r.ids[r.n++] = a.ids[i];
	for (uint32_t i = 0; i < b.n; i++)
		if (!tset_has(&r, b.ids[i]))
			r.ids[r.n++] = b.ids[i];
	return r;
}

/* ---------------------------------------------------------------- checks */

static struct cnode *new_cnode(struct cc *c, enum cnode_kind k)
{
	struct cnode *n;

	if (++c->nodes > BW_MAX_EXPANDED_NODES) {
		cc_error(c, "condition has more than %u nodes once macros are expanded",
			 BW_MAX_EXPANDED_NODES);
		return NULL;
	}
	n = arena_zalloc(&c->rs->arena, sizeof(*n));
	if (n)
		n->kind = k;
	return n;
}

static bool op_is_string_only(enum op op)
{
	switch (op) {
	case OP_CONTAINS:
	case OP_ICONTAINS:
	case OP_BCONTAINS:
	case OP_STARTSWITH:
	case OP_BSTARTSWITH:
	case OP_ENDSWITH:
	case OP_GLOB:
	case OP_IGLOB:
	case OP_REGEX:
	case OP_PMATCH:
		return true;
	default:
		return false;
	}
}

static int sig_field(struct bw_buf *b, const struct fref *f);

static int sig_item(struct bw_buf *b, const struct fitem *it)
{
	if (it->f)
		return sig_field(b, it->f);
	return bw_buf_printf(b, "L%u:", it->litlen) ?: bw_buf_append(b, it->lit, it->litlen);
}

static int sig_field(struct bw_buf *b, const struct fref *f)
{
	int e;

	if (f->multi) {
		e = bw_buf_printf(b, "M%u(", (unsigned)f->multi->kind);
		if (!e && f->multi->kind == MV_JOIN)
			e = sig_item(b, &f->multi->sep);
		for (uint32_t i = 0; i < f->multi->nitems && !e; i++)
			e = bw_buf_puts(b, ";") ?: sig_item(b, &f->multi->items[i]);
		e = e ?: bw_buf_puts(b, ")");
	} else {
		e = bw_buf_printf(b, "%u", f->ref.slot);
	}
	e = e ?: bw_buf_printf(b, "/%u/", (unsigned)f->ntr);
	for (unsigned i = 0; i < f->ntr && !e; i++)
		e = bw_buf_printf(b, "%u,", (unsigned)f->tr[i]);
	return e;
}

/*
 * Gives k an id shared by every identical check of the ruleset (the same
 * field reference, transformers, operator and values in one source): macros
 * expanded into many rules then cost one evaluation per event, as a matcher
 * remembers each check's result for the current event.
 */
static int check_intern(struct cc *c, struct check *k)
{
	struct bw_buf b = BW_BUF_INIT(BW_MAX_CONDITION_LEN * 4u);
	int e = bw_buf_printf(&b, "%zu|%d|", (size_t)(c->sd - c->rs->srcs), (int)k->op);
	void *id;

	if (!e)
		e = sig_field(&b, &k->lhs);
	if (!e && k->rhs_field)
		e = bw_buf_puts(&b, "F") ?: sig_field(&b, k->rhs_field);
	for (uint32_t i = 0; i < k->nvals && !e; i++) {
		e = bw_buf_printf(&b, "%u:", k->vals[i].len);
		if (!e)
			e = bw_buf_append(&b, k->vals[i].s, k->vals[i].len);
	}
	if (!e && !b.data)
		e = bw_buf_puts(&b, "");
	if (e) {
		bw_buf_done(&b);
		cc_error(c, "out of memory");
		return -ENOMEM;
	}
	if ((id = bw_map_get(c->rs->check_ids, b.data))) {
		k->id = (uint32_t)((uintptr_t)id - 1);
	} else {
		k->id = c->rs->nchecks;
		if (bw_map_put(c->rs->check_ids, b.data, (void *)(uintptr_t)(k->id + 1)) < 0) {
			bw_buf_done(&b);
			cc_error(c, "out of memory");
			return -ENOMEM;
		}
		c->rs->nchecks++;
	}
	bw_buf_done(&b);
	return 0;
}

/* How the matcher may evaluate k (enum check_fast). */
static void check_classify(struct cc *c, struct check *k)
{
	const struct fref *f = &k->lhs;
	const char *ixf = c->sd->src->index_field;

	k->fast = F_GENERAL;
	if (f->multi || f->ntr || f->is_list || k->rhs_field)
		return;
	if (ixf && !f->ref.arg && !strcmp(c->sd->src->fields[f->ref.field].name, ixf)) {
		k->fast = F_INDEX;
		k->idx = c->rs->nindex++;
		return;
	}
	if (k->op == OP_EXISTS) {
		k->fast = F_EXISTS;
		return;
	}
	if (f->type == BW_FT_STRING) {
		if (k->set && (k->op == OP_IN || k->op == OP_INTERSECTS))
			k->fast = F_STR_SET;
		if (k->nvals != 1)
			return;
		switch (k->op) {
		case OP_EQ: k->fast = F_STR_EQ; break;
		case OP_NE: k->fast = F_STR_NE; break;
		case OP_STARTSWITH:
		case OP_BSTARTSWITH: k->fast = F_STR_PREFIX; break;
		case OP_ENDSWITH: k->fast = F_STR_SUFFIX; break;
		case OP_CONTAINS:
		case OP_BCONTAINS: k->fast = F_STR_SUB; break;
		default: break;
		}
		return;
	}
	if ((f->type == BW_FT_NUMBER || f->type == BW_FT_BOOL) && k->nvals == 1 &&
	    (k->op == OP_EQ || k->op == OP_NE || k->op == OP_LT || k->op == OP_LE ||
	     k->op == OP_GT || k->op == OP_GE))
		k->fast = F_NUM;
}

static struct cnode *compile_check(struct cc *c, const struct ast *a, struct tset *ts)
{
	struct check *k = arena_zalloc(&c->rs->arena, sizeof(*k));
	struct cnode *n;
	struct ptrvec items = { 0 };

	ts->all = true;
	if (!k)
		return NULL;
	if (!resolve_field(c, &a->lhs, &k->lhs))
		return NULL;
	k->op = a->op;
	/* Other operators on a list field hold when any value satisfies them, as
	 * Falco's older k8s_audit engine (engine_v4 rule files) evaluated them. */
	if ((k->lhs.type == BW_FT_NUMBER || k->lhs.type == BW_FT_BOOL) && op_is_string_only(a->op)) {
		cc_error(c, "operator '%s' cannot be used with numeric field `%s`", op_name(a->op),
			 a->lhs.name);
		return NULL;
	}
	if (k->lhs.type == BW_FT_BOOL &&
	    (a->op == OP_LT || a->op == OP_LE || a->op == OP_GT || a->op == OP_GE)) {
		cc_error(c, "operator '%s' cannot be used with boolean field `%s`", op_name(a->op),
			 a->lhs.name);
		return NULL;
	}
	switch (a->rkind) {
	case R_NONE:
		break;
	case R_FIELD:
		k->rhs_field = arena_zalloc(&c->rs->arena, sizeof(*k->rhs_field));
		if (!k->rhs_field || !resolve_field(c, &a->rhs, k->rhs_field))
			return NULL;
		break;
	case R_VALUE:
		k->vals = arena_zalloc(&c->rs->arena, sizeof(*k->vals));
		k->nvals = 1;
		if (!k->vals || !make_rval(c, &k->lhs, a->op, a->vals[0], &k->vals[0]))
			return NULL;
		break;
	case R_LIST:
	case R_LISTREF:
		if (!expand_items(c, a->vals, a->nvals, &items))
			return NULL;
		k->vals = arena_zalloc(&c->rs->arena, (items.n + 1) * sizeof(*k->vals));
		if (!k->vals)
			return NULL;
		k->nvals = (uint32_t)items.n;
		for (size_t i = 0; i < items.n; i++)
			if (!make_rval(c, &k->lhs, a->op, items.v[i], &k->vals[i]))
				return NULL;
		if ((a->op == OP_IN || a->op == OP_INTERSECTS) &&
		    (k->lhs.type == BW_FT_STRING || k->lhs.type == BW_FT_DYNAMIC)) {
			k->set = strset_build(&c->rs->arena, k->vals, k->nvals);
			if (!k->set)
				return NULL;
		}
		break;
	}
	/* Indexing: evt.type = X / evt.type in (X, Y) restrict the event types. */
	const char *ixf = c->sd->src->index_field;
	if (ixf && !k->lhs.multi && !strcmp(c->sd->src->fields[k->lhs.ref.field].name, ixf) &&
	    !k->lhs.ntr &&
	    !k->rhs_field && (a->op == OP_EQ || a->op == OP_IN)) {
		ts->all = false;
		ts->n = 0;
		ts->ids = arena_alloc(&c->rs->arena, (k->nvals + 1) * sizeof(uint32_t));
		for (uint32_t i = 0; ts->ids && i < k->nvals; i++)
			ts->ids[ts->n++] = evtype_intern(c->rs, k->vals[i].s);
		if (!ts->ids)
			ts->all = true;
	}
	if (check_intern(c, k) < 0)
		return NULL;
	check_classify(c, k);
	n = new_cnode(c, C_CHECK);
	if (n)
		n->chk = k;
	return n;
}

static struct cnode *compile_ast(struct cc *c, const struct ast *a, struct tset *ts);

static struct cnode *compile_macro(struct cc *c, const struct ast *a, struct tset *ts)
{
	struct macro_def *m = bw_map_get(c->rs->macro_by_name, a->ident);
	struct cnode *n;

	if (!m) {
		cc_error(c, "Undefined macro '%s' used in filter.", a->ident);
		return NULL;
	}
	m->used = true;
	if (m->parse_failed) {
		c->error = true; /* already reported on the macro */
		return NULL;
	}
	if (m->visiting) {
		cc_error(c, "reference loop in macro '%s'", m->name);
		return NULL;
	}
	m->visiting = 1;
	n = compile_ast(c, m->ast, ts);
	m->visiting = 0;
	return n;
}

static struct cnode *compile_ast(struct cc *c, const struct ast *a, struct tset *ts)
{
	struct cnode *n;
	struct tset t;

	if (++c->depth > 4 * BW_MAX_CONDITION_DEPTH + 1000) {
		cc_error(c, "condition nests too deeply once macros are expanded");
		c->depth--;
		return NULL;
	}
	switch (a->kind) {
	case A_IDENT:
		n = compile_macro(c, a, ts);
		break;
	case A_CHECK:
		n = compile_check(c, a, ts);
		break;
	case A_NOT:
		n = new_cnode(c, C_NOT);
		if (!n)
			break;
		n->nchild = 1;
		n->child = arena_alloc(&c->rs->arena, sizeof(*n->child));
		if (!n->child || !(n->child[0] = compile_ast(c, a->child[0], &t)))
			n = NULL;
		ts->all = true;
		break;
	case A_AND:
	case A_OR:
		n = new_cnode(c, a->kind == A_AND ? C_AND : C_OR);
		if (!n)
			break;
		n->nchild = a->nchild;
		n->child = arena_alloc(&c->rs->arena, a->nchild * sizeof(*n->child));
		if (!n->child) {
			n = NULL;
			break;
		}
		for (uint32_t i = 0; i < a->nchild; i++) {
			struct cnode *ch = compile_ast(c, a->child[i], &t);
			if (!ch) {
				/* Keep going through an unknown field, so that every
				 * undefined macro of the rule is reported too. */
				if (c->error) {
					n = NULL;
					break;
				}
				ch = n->child[i] = NULL;
			}
			n->child[i] = ch;
			if (i == 0)
				*ts = t;
			else
				*ts = a->kind == A_AND ? tset_and(c, *ts, t) : tset_or(c, *ts, t);
		}
		if (n && c->skip)
			n = NULL;
		break;
	default:
		n = NULL;
	}
	c->depth--;
	return n;
}

/* ---------------------------------------------------------------- exceptions */

static struct ast *mk(struct arena *a, enum ast_kind k)
{
	struct ast *n = arena_zalloc(a, sizeof(*n));

	if (n)
		n->kind = k;
	return n;
}

static enum op comp_op(const char *s)
{
	static const struct {
		const char *s;
		enum op op;
	} t[] = {
		{ "=", OP_EQ },	     { "==", OP_EQ },		   { "!=", OP_NE },
		{ "<", OP_LT },	     { "<=", OP_LE },		   { ">", OP_GT },
		{ ">=", OP_GE },     { "in", OP_IN },		   { "intersects", OP_INTERSECTS },
		{ "pmatch", OP_PMATCH }, { "contains", OP_CONTAINS }, { "icontains", OP_ICONTAINS },
		{ "bcontains", OP_BCONTAINS }, { "startswith", OP_STARTSWITH },
		{ "bstartswith", OP_BSTARTSWITH }, { "endswith", OP_ENDSWITH },
		{ "glob", OP_GLOB }, { "iglob", OP_IGLOB },	   { "regex", OP_REGEX },
	};
	for (size_t i = 0; i < BW_ARRAY_SIZE(t); i++)
		if (!strcmp(t[i].s, s))
			return t[i].op;
	return OP_NONE;
}

/* Builds "not ((row1) or (row2) ...)" for one exception. */
static struct ast *exception_ast(struct cc *c, const struct exception_def *e)
{
	struct arena *a = &c->rs->arena;
	struct ast *or = mk(a, A_OR), *not = mk(a, A_NOT);
	struct ast_field *fields = arena_zalloc(a, e->nfields * sizeof(*fields) + 1);

	if (!or || !not || !fields)
		return NULL;
	for (uint32_t i = 0; i < e->nfields; i++) {
		/* The field may carry an argument or transformers: parse it. */
		char *src = arena_printf(a, "%s exists", e->fields[i]);
		struct ast *fa;
		const char *msg;
		unsigned l, col;
		if (!src || cond_parse(a, src, strlen(src), &fa, &msg, &l, &col) < 0 ||
		    fa->kind != A_CHECK) {
			cc_error(c, "exception `%s`: invalid field `%s`", e->name, e->fields[i]);
			return NULL;
		}
		fields[i] = fa->lhs;
	}
	or->child = arena_zalloc(a, (e->rows.n + 1) * sizeof(*or->child));
	if (!or->child)
		return NULL;
	for (size_t r = 0; r < e->rows.n; r++) {
		const struct exc_row *row = e->rows.v[r];
		struct ast *and = mk(a, A_AND);
		if (!and)
			return NULL;
		and->child = arena_zalloc(a, (row->ncells + 1) * sizeof(*and->child));
		for (uint32_t i = 0; i < row->ncells && i < e->nfields; i++) {
			const struct exc_cell *cell = &row->cells[i];
			struct ast *chk = mk(a, A_CHECK);
			enum op op = comp_op(e->comps[i]);
			if (!chk || !and->child)
				return NULL;
			chk->lhs = fields[i];
			chk->op = op;
			if (op == OP_IN || op == OP_INTERSECTS || op == OP_PMATCH) {
				chk->rkind = R_LIST;
			} else {
				if (cell->is_list || cell->nitems != 1) {
					cc_error(c,
						 "exception `%s`: a list value needs an 'in', "
						 "'intersects' or 'pmatch' comparison",
						 e->name);
					return NULL;
				}
				chk->rkind = R_VALUE;
			}
			chk->vals = cell->items;
			chk->nvals = cell->nitems;
			and->child[and->nchild++] = chk;
		}
		or->child[or->nchild++] = and;
	}
	not->child = arena_alloc(a, sizeof(*not->child));
	if (!not->child)
		return NULL;
	not->child[0] = or;
	not->nchild = 1;
	return or->nchild ? not : NULL;
}

/* ---------------------------------------------------------------- rules */

static void compile_rule(struct bw_ruleset *rs, struct rule_def *r)
{
	struct cc c = { .rs = rs, .rule = r, .kind = "rule", .name = r->info.name,
			.file = r->info.file, .line = r->cond_line };
	struct ast *root, *and;
	struct tset ts;
	const char *msg, *missing = NULL;
	unsigned el, ec;

	r->src_index = -1;
	r->root = NULL;
	for (size_t i = 0; i < rs->nsrcs; i++)
		if (!strcmp(rs->srcs[i].src->name, r->source))
			r->src_index = (int)i;
	if (r->src_index < 0) {
		r->info.state = BW_RULE_SKIPPED;
		r->info.skip_reason = arena_printf(&rs->arena, "source `%s` is not available",
						   r->source);
		return;
	}
	c.sd = &rs->srcs[r->src_index];
	if (cond_parse(&rs->arena, r->condition, strlen(r->condition), &root, &msg, &el, &ec) < 0) {
		rs_diag(rs, BW_DIAG_ERROR, r->info.file, r->cond_line + el - 1, ec, "rule",
			r->info.name, "invalid condition: %s", msg);
		return;
	}
	and = mk(&rs->arena, A_AND);
	if (!and || !(and->child = arena_zalloc(&rs->arena,
						 (r->exceptions.n + 2) * sizeof(*and->child))))
		return;
	and->child[and->nchild++] = root;
	for (size_t i = 0; i < r->exceptions.n; i++) {
		struct ast *x = exception_ast(&c, r->exceptions.v[i]);
		if (c.error)
			return;
		if (x)
			and->child[and->nchild++] = x;
	}
	r->root = compile_ast(&c, and->nchild == 1 ? root : and, &ts);
	if (c.error) {
		r->root = NULL;
		return;
	}
	if (!c.skip && compile_output(rs, r, c.sd, &missing) < 0 && !missing) {
		rs_diag(rs, BW_DIAG_ERROR, r->info.file, r->info.line, 0, "rule", r->info.name,
			"invalid output format");
		r->root = NULL;
		return;
	}
	if (missing && !c.skip)
		c.skip = arena_printf(&rs->arena, "output field `%s` is not provided by source `%s`",
				      missing, c.sd->src->name);
	if (c.skip) {
		r->root = NULL;
		r->info.state = BW_RULE_SKIPPED;
		r->info.skip_reason = c.skip;
		rs_diag(rs, BW_DIAG_WARNING, r->info.file, r->info.line, 0, "rule", r->info.name,
			"%s, skipping the rule", c.skip);
		return;
	}
	r->all_types = ts.all;
	r->types = ts.ids;
	r->ntypes = ts.all ? 0 : ts.n;
}

static void check_macro(struct bw_ruleset *rs, struct macro_def *m)
{
	const char *msg;
	unsigned el, ec;

	if (cond_parse(&rs->arena, m->condition, strlen(m->condition), &m->ast, &msg, &el, &ec) <
	    0) {
		m->parse_failed = true;
		rs_diag(rs, BW_DIAG_ERROR, m->file, m->line + el - 1, ec, "macro", m->name,
			"invalid condition: %s", msg);
	}
}

/* Finds macro loops even in macros no rule uses. */
static bool macro_loops(struct bw_ruleset *rs, struct macro_def *m, struct ast *a, unsigned depth)
{
	if (!a || depth > 10000)
		return false;
	if (a->kind == A_IDENT) {
		struct macro_def *x = bw_map_get(rs->macro_by_name, a->ident);
		if (!x || x->parse_failed)
			return false;
		if (x == m)
			return true;
		if (x->visiting)
			return false;
		x->visiting = 1;
		bool r = macro_loops(rs, m, x->ast, depth + 1);
		x->visiting = 0;
		return r;
	}
	for (uint32_t i = 0; i < a->nchild; i++)
		if (macro_loops(rs, m, a->child[i], depth + 1))
			return true;
	return false;
}

int rs_compile(struct bw_ruleset *rs, const struct bw_source *const *sources, size_t n)
{
	size_t errors_before = 0;
	int r = 0;

	for (size_t i = 0; i < rs->diags.n; i++)
		if (((struct bw_diag *)rs->diags.v[i])->level == BW_DIAG_ERROR)
			errors_before++;
	rs->srcs = arena_zalloc(&rs->arena, (n + 1) * sizeof(*rs->srcs));
	if (!rs->srcs)
		return -ENOMEM;
	rs->nsrcs = n;
	for (size_t i = 0; i < n; i++) {
		rs->srcs[i].src = sources[i];
		rs->srcs[i].slot_ids = bw_map_new();
		if (!rs->srcs[i].slot_ids)
			return -ENOMEM;
	}
	if (flatten_lists(rs) < 0)
		r = -EINVAL;
	for (size_t i = 0; i < rs->macros.n; i++)
		check_macro(rs, rs->macros.v[i]);
	for (size_t i = 0; i < rs->macros.n; i++) {
		struct macro_def *m = rs->macros.v[i];
		if (!m->parse_failed && macro_loops(rs, m, m->ast, 0)) {
			rs_diag(rs, BW_DIAG_ERROR, m->file, m->line, 0, "macro", m->name,
				"reference loop in macro '%s'", m->name);
			m->parse_failed = true;
			r = -EINVAL;
		}
	}
	for (size_t i = 0; i < rs->rules.n; i++) {
		struct rule_def *rd = rs->rules.v[i];
		rd->order = i;
		compile_rule(rs, rd);
	}
	for (size_t i = 0; i < rs->macros.n; i++) {
		struct macro_def *m = rs->macros.v[i];
		if (!m->used)
			rs_diag(rs, BW_DIAG_WARNING, m->file, m->line, 0, "macro", m->name,
				"Macro not referred to by any other rule/macro");
	}
	for (size_t i = 0; i < rs->lists.n; i++) {
		struct list_def *l = rs->lists.v[i];
		if (!l->used)
			rs_diag(rs, BW_DIAG_WARNING, l->file, l->line, 0, "list", l->name,
				"List not referred to by any other rule/macro");
	}
	size_t errors = 0;
	for (size_t i = 0; i < rs->diags.n; i++)
		if (((struct bw_diag *)rs->diags.v[i])->level == BW_DIAG_ERROR)
			errors++;
	if (errors > errors_before)
		r = -EINVAL;
	return r;
}
