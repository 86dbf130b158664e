/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Evaluating compiled rules against events, and formatting alerts.
 *
 * A matcher caches each field reference's values for the current event (a
 * generation counter invalidates the cache, so nothing is cleared between
 * events), runs the rules indexed under the event's type in definition
 * order, and never allocates: string operators work on the extracted bytes
 * and transformers write into a per-event scratch buffer of fixed size.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "rules/internal.h"

struct slotcache {
	uint32_t gen;
	uint32_t n;
	const struct bw_value *v;
};

/* A check's result for the event of generation gen. */
struct memo {
	uint32_t gen;
	bool val;
};

struct bw_matcher {
	const struct bw_ruleset *rs;
	const struct srcdata *sd;
	struct bw_matcher_opts opts;
	struct rule_def **untyped; /* rules for events of unknown type */
	size_t nuntyped;
	struct rule_def ***bytype;
	size_t *nbytype;
	size_t ntypes;
	size_t nrules;
	struct slotcache *cache;
	struct memo *memo; /* by check id */
	uint32_t gen;
	void *evt;
	char *scratch;
	size_t scratch_used;
};

/* ---------------------------------------------------------------- scratch */

static void *scratch_alloc(struct bw_matcher *m, size_t n)
{
	size_t off = (m->scratch_used + 15) & ~(size_t)15;

	if (off + n > BW_MAX_TRANSFORM_SCRATCH)
		return NULL;
	m->scratch_used = off + n;
	return m->scratch + off;
}

static void new_event(struct bw_matcher *m, void *evt)
{
	m->evt = evt;
	m->scratch_used = 0;
	if (++m->gen == 0) {
		for (size_t i = 0; i < m->sd->slots.n; i++)
			m->cache[i].gen = 0;
		for (size_t i = 0; i < m->rs->nchecks; i++)
			m->memo[i].gen = 0;
		m->gen = 1;
	}
}

static size_t raw_values(struct bw_matcher *m, const struct bw_field_ref *ref,
			 const struct bw_value **ret)
{
	struct slotcache *c = &m->cache[ref->slot];

	if (c->gen != m->gen) {
		c->n = (uint32_t)m->sd->src->extract(m->evt, ref, &c->v);
		c->gen = m->gen;
	}
	*ret = c->v;
	return c->n;
}

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/* Applies one transformer to v into scratch; false when it cannot. */
static bool transform(struct bw_matcher *m, enum tr tr, struct bw_value *v)
{
	char *o;
	uint32_t n = 0;

	switch (tr) {
	case TR_TOLOWER:
	case TR_TOUPPER:
		if (!(o = scratch_alloc(m, v->len + 1)))
			return false;
		for (uint32_t i = 0; i < v->len; i++)
			o[i] = (char)(tr == TR_TOLOWER ? tolower((unsigned char)v->s[i])
						       : toupper((unsigned char)v->s[i]));
		n = v->len;
		break;
	case TR_B64: {
		uint32_t acc = 0, bits = 0;
		if (!(o = scratch_alloc(m, v->len + 1)))
			return false;
		for (uint32_t i = 0; i < v->len; i++) {
			int c = (unsigned char)v->s[i], d;
			if (c == '=')
				break;
			if ((d = b64val(c)) < 0)
				return false;
			acc = (acc << 6) | (uint32_t)d;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				o[n++] = (char)((acc >> bits) & 0xff);
			}
		}
		break;
	}
	case TR_BASENAME: {
		const char *slash = memrchr(v->s, '/', v->len);
		v->len = slash ? (uint32_t)(v->s + v->len - slash - 1) : v->len;
		v->s = slash ? slash + 1 : v->s;
		v->is_num = false;
		return true;
	}
	default:
		return false;
	}
	o[n] = 0;
	v->s = o;
	v->len = n;
	v->is_num = false;
	return true;
}

/* The values of a field reference, transformers applied. */
static size_t get_values(struct bw_matcher *m, const struct fref *f, const struct bw_value **ret)
{
	const struct bw_value *raw;
	size_t n = raw_values(m, &f->ref, &raw);
	struct bw_value *out;

	if (!f->ntr || !n) {
		*ret = raw;
		return n;
	}
	if (f->len_num && f->tr[f->ntr - 1] == TR_LEN && f->ntr == 1 &&
	    (f->flags & BW_FF_LIST) && f->ref.index < 0) {
		/* len() of a list: its number of items */
		char *s = scratch_alloc(m, 24);
		if (!(out = scratch_alloc(m, sizeof(*out))) || !s)
			return 0;
		snprintf(s, 24, "%zu", n);
		*out = (struct bw_value){ .s = s, .len = (uint32_t)strlen(s), .is_num = true,
					  .num = (int64_t)n };
		*ret = out;
		return 1;
	}
	if (!(out = scratch_alloc(m, n * sizeof(*out))))
		return 0;
	for (size_t i = 0; i < n; i++) {
		out[i] = raw[i];
		for (unsigned t = 0; t < f->ntr; t++) {
			if (f->tr[t] == TR_LEN) {
				char *s = scratch_alloc(m, 24);
				if (!s)
					return 0;
				int64_t len = out[i].len;
				snprintf(s, 24, "%lld", (long long)len);
				out[i] = (struct bw_value){ .s = s, .len = (uint32_t)strlen(s),
							    .is_num = true, .num = len };
			} else if (!transform(m, (enum tr)f->tr[t], &out[i])) {
				return 0;
			}
		}
	}
	*ret = out;
	return n;
}

/* ---------------------------------------------------------------- operators */

static bool as_int(const struct bw_value *v, int64_t *ret)
{
	char *end;

	if (v->is_num) {
		*ret = v->num;
		return true;
	}
	if (!v->len)
		return false;
	errno = 0;
	long long x = strtoll(v->s, &end, 0);
	if (errno || *end) {
		if (!strcmp(v->s, "true"))
			x = 1;
		else if (!strcmp(v->s, "false"))
			x = 0;
		else
			return false;
	}
	*ret = x;
	return true;
}

static bool num_cmp(enum op op, int64_t a, int64_t b)
{
	switch (op) {
	case OP_EQ:
	case OP_IN:
	case OP_INTERSECTS:
		return a == b;
	case OP_NE:
		return a != b;
	case OP_LT:
		return a < b;
	case OP_LE:
		return a <= b;
	case OP_GT:
		return a > b;
	case OP_GE:
		return a >= b;
	default:
		return false;
	}
}

static bool icontains(const char *h, uint32_t hn, const char *lower, uint32_t nn)
{
	if (!nn)
		return true;
	for (uint32_t i = 0; i + nn <= hn; i++) {
		uint32_t j = 0;
		while (j < nn && tolower((unsigned char)h[i + j]) == lower[j])
			j++;
		if (j == nn)
			return true;
	}
	return false;
}

static bool pmatch_one(const char *s, uint32_t n, const struct rval *p)
{
	uint32_t pl = p->len;

	while (pl > 1 && p->s[pl - 1] == '/')
		pl--;
	if (n < pl || memcmp(s, p->s, pl))
		return false;
	return n == pl || s[pl] == '/' || p->s[pl - 1] == '/';
}

static bool ip_match(const struct bw_value *v, const struct rval *r)
{
	uint8_t a[16];
	int fam;
	char buf[64];

	if (!r->is_net || v->len >= sizeof(buf))
		return false;
	memcpy(buf, v->s, v->len);
	buf[v->len] = 0;
	if (inet_pton(AF_INET, buf, a) == 1)
		fam = AF_INET;
	else if (inet_pton(AF_INET6, buf, a) == 1)
		fam = AF_INET6;
	else
		return false;
	if (fam != r->net.family)
		return false;
	unsigned full = r->net.prefix / 8, rem = r->net.prefix % 8;
	if (memcmp(a, r->net.addr, full))
		return false;
	if (rem) {
		uint8_t mask = (uint8_t)(0xff << (8 - rem));
		return (a[full] & mask) == (r->net.addr[full] & mask);
	}
	return true;
}

/* One left value against one right value. */
static bool cmp_value(enum op op, enum bw_field_type type, const struct bw_value *v,
		      const struct rval *r)
{
	int64_t x;

	switch (type) {
	case BW_FT_NUMBER:
	case BW_FT_BOOL:
		return as_int(v, &x) && num_cmp(op, x, r->num);
	case BW_FT_IPADDR:
	case BW_FT_IPNET:
		if (op == OP_EQ || op == OP_IN || op == OP_INTERSECTS)
			return ip_match(v, r);
		if (op == OP_NE)
			return !ip_match(v, r);
		break;
	case BW_FT_DYNAMIC:
		if (r->is_num && as_int(v, &x) &&
		    (op == OP_EQ || op == OP_NE || op == OP_LT || op == OP_LE || op == OP_GT ||
		     op == OP_GE || op == OP_IN || op == OP_INTERSECTS))
			return num_cmp(op, x, r->num);
		break;
	case BW_FT_STRING:
		break;
	}
	switch (op) {
	case OP_EQ:
	case OP_IN:
	case OP_INTERSECTS:
		return v->len == r->len && !memcmp(v->s, r->s, r->len);
	case OP_NE:
		return v->len != r->len || memcmp(v->s, r->s, r->len);
	case OP_LT:
		return strcmp(v->s, r->s) < 0;
	case OP_LE:
		return strcmp(v->s, r->s) <= 0;
	case OP_GT:
		return strcmp(v->s, r->s) > 0;
	case OP_GE:
		return strcmp(v->s, r->s) >= 0;
	case OP_CONTAINS:
	case OP_BCONTAINS:
		return memmem(v->s, v->len, r->s, r->len) != NULL;
	case OP_ICONTAINS:
		return icontains(v->s, v->len, r->lower, r->len);
	case OP_STARTSWITH:
	case OP_BSTARTSWITH:
		return v->len >= r->len && !memcmp(v->s, r->s, r->len);
	case OP_ENDSWITH:
		return v->len >= r->len && !memcmp(v->s + v->len - r->len, r->s, r->len);
	case OP_GLOB:
		return fnmatch(r->s, v->s, 0) == 0;
	case OP_IGLOB:
		return fnmatch(r->s, v->s, FNM_CASEFOLD) == 0;
	case OP_REGEX:
		return r->re && regexec(r->re, v->s, 0, NULL, 0) == 0;
	case OP_PMATCH:
		return pmatch_one(v->s, v->len, r);
	default:
		return false;
	}
}

/* One left value against the whole right-hand side. */
static bool cmp_rhs(const struct check *k, enum bw_field_type type, const struct bw_value *v)
{
	if (k->set && (type == BW_FT_STRING || (type == BW_FT_DYNAMIC && !v->is_num)))
		return strset_has(k->set, v->s, v->len);
	if (k->op == OP_IN || k->op == OP_INTERSECTS || k->op == OP_PMATCH) {
		for (uint32_t i = 0; i < k->nvals; i++)
			if (cmp_value(k->op, type, v, &k->vals[i]))
				return true;
		return false;
	}
	return k->nvals && cmp_value(k->op, type, v, &k->vals[0]);
}

static bool rval_from(const struct bw_value *v, struct rval *r)
{
	memset(r, 0, sizeof(*r));
	r->s = v->s;
	r->len = v->len;
	r->is_num = v->is_num;
	r->num = v->num;
	if (!r->is_num) {
		char *end;
		errno = 0;
		r->num = strtoll(v->s, &end, 0);
		r->is_num = v->len && !*end && !errno;
	}
	return true;
}

static bool eval_check(struct bw_matcher *m, const struct check *k)
{
	const struct bw_value *lv;
	size_t ln = get_values(m, &k->lhs, &lv);
	enum bw_field_type type = k->lhs.type;

	if (!ln)
		return false;
	if (k->op == OP_EXISTS)
		return true;
	if (k->rhs_field) {
		const struct bw_value *rv;
		size_t rn = get_values(m, k->rhs_field, &rv);
		struct rval r;
		if (!rn)
			return false;
		if (k->op == OP_IN || k->op == OP_INTERSECTS) {
			bool any = false, all = true;
			for (size_t i = 0; i < ln; i++) {
				bool found = false;
				for (size_t j = 0; j < rn && !found; j++) {
					rval_from(&rv[j], &r);
					found = cmp_value(OP_EQ, type, &lv[i], &r);
				}
				any |= found;
				all &= found;
			}
			return k->op == OP_IN ? all : any;
		}
		rval_from(&rv[0], &r);
		if (type == BW_FT_IPADDR || type == BW_FT_IPNET)
			type = BW_FT_STRING;
		return cmp_value(k->op, type, &lv[0], &r);
	}
	if (k->lhs.is_list) {
		if (k->op == OP_IN) {
			for (size_t i = 0; i < ln; i++)
				if (!cmp_rhs(k, type, &lv[i]))
					return false;
			return true;
		}
		for (size_t i = 0; i < ln; i++)
			if (cmp_rhs(k, type, &lv[i]))
				return true;
		return false;
	}
	return cmp_rhs(k, type, &lv[0]);
}

static bool eval(struct bw_matcher *m, const struct cnode *n)
{
	switch (n->kind) {
	case C_AND:
		for (uint32_t i = 0; i < n->nchild; i++)
			if (!eval(m, n->child[i]))
				return false;
		return true;
	case C_OR:
		for (uint32_t i = 0; i < n->nchild; i++)
			if (eval(m, n->child[i]))
				return true;
		return false;
	case C_NOT:
		return !eval(m, n->child[0]);
	case C_CHECK: {
		struct memo *mm = &m->memo[n->chk->id];
		if (mm->gen != m->gen) {
			mm->val = eval_check(m, n->chk);
			mm->gen = m->gen;
		}
		return mm->val;
	}
	case C_TRUE:
		return true;
	case C_FALSE:
		return false;
	}
	return false;
}

/* ---------------------------------------------------------------- matcher */

int bw_matcher_new(const struct bw_ruleset *rs, const struct bw_source *src,
		   const struct bw_matcher_opts *opts, struct bw_matcher **ret,
		   struct bw_error **err)
{
	struct bw_matcher *m;
	const struct srcdata *sd = NULL;
	size_t ntypes = rs->evtypes.names.n;

	if (!rs->compiled)
		return bw_error_set(err, -EINVAL, "ruleset is not compiled");
	for (size_t i = 0; i < rs->nsrcs; i++)
		if (!strcmp(rs->srcs[i].src->name, src->name))
			sd = &rs->srcs[i];
	if (!sd)
		return bw_error_set(err, -EINVAL, "ruleset was not compiled for source `%s`",
				    src->name);
	m = calloc(1, sizeof(*m));
	if (!m)
		return bw_error_set(err, -ENOMEM, "out of memory");
	m->rs = rs;
	m->sd = sd;
	m->opts.min_priority = BW_PRIO_DEBUG;
	if (opts) {
		size_t n = opts->sz < sizeof(m->opts) ? opts->sz : sizeof(m->opts);
		memcpy(&m->opts, opts, n);
	}
	m->cache = calloc(sd->slots.n + 1, sizeof(*m->cache));
	m->memo = calloc(rs->nchecks + 1, sizeof(*m->memo));
	m->scratch = malloc(BW_MAX_TRANSFORM_SCRATCH);
	m->untyped = calloc(rs->rules.n + 1, sizeof(*m->untyped));
	m->bytype = calloc(ntypes + 1, sizeof(*m->bytype));
	m->nbytype = calloc(ntypes + 1, sizeof(*m->nbytype));
	m->ntypes = ntypes;
	if (!m->cache || !m->memo || !m->scratch || !m->untyped || !m->bytype || !m->nbytype)
		goto oom;
	for (size_t t = 0; t < ntypes; t++)
		if (!(m->bytype[t] = calloc(rs->rules.n + 1, sizeof(**m->bytype))))
			goto oom;
	for (size_t i = 0; i < rs->rules.n; i++) {
		struct rule_def *r = rs->rules.v[i];
		if (r->info.state != BW_RULE_ACTIVE || !r->root ||
		    r->src_index != (int)(sd - rs->srcs) || r->info.priority > m->opts.min_priority)
			continue;
		m->nrules++;
		if (r->all_types) {
			m->untyped[m->nuntyped++] = r;
			for (size_t t = 0; t < ntypes; t++)
				m->bytype[t][m->nbytype[t]++] = r;
		} else {
			for (uint32_t j = 0; j < r->ntypes; j++) {
				uint32_t t = r->types[j];
				m->bytype[t][m->nbytype[t]++] = r;
			}
		}
	}
	*ret = m;
	return 0;
oom:
	bw_matcher_free(m);
	return bw_error_set(err, -ENOMEM, "out of memory");
}

struct bw_matcher *bw_matcher_free(struct bw_matcher *m)
{
	if (!m)
		return NULL;
	for (size_t t = 0; m->bytype && t < m->ntypes; t++)
		free(m->bytype[t]);
	free(m->bytype);
	free(m->nbytype);
	free(m->untyped);
	free(m->cache);
	free(m->memo);
	free(m->scratch);
	free(m);
	return NULL;
}

size_t bw_matcher_slot_count(const struct bw_matcher *m)
{
	return m->sd->slots.n;
}

const struct bw_field_ref *bw_matcher_slot(const struct bw_matcher *m, size_t i)
{
	return i < m->sd->slots.n ? m->sd->slots.v[i] : NULL;
}

int bw_matcher_evtype(const struct bw_matcher *m, const char *name)
{
	void *v = bw_map_get(m->rs->evtypes.ids, name);

	return v ? (int)((uintptr_t)v - 1) : -1;
}

bool bw_matcher_wants_evtype(const struct bw_matcher *m, const char *name)
{
	int t = bw_matcher_evtype(m, name);

	return m->nuntyped > 0 || (t >= 0 && (size_t)t < m->ntypes && m->nbytype[t] > 0);
}

size_t bw_matcher_rule_count(const struct bw_matcher *m)
{
	return m->nrules;
}

int bw_matcher_run(struct bw_matcher *m, void *evt, int evtype, bw_match_fn fn, void *userdata)
{
	struct rule_def **rules = m->untyped;
	size_t n = m->nuntyped;
	int matches = 0, r;

	if (evtype >= 0 && (size_t)evtype < m->ntypes) {
		rules = m->bytype[evtype];
		n = m->nbytype[evtype];
	}
	new_event(m, evt);
	for (size_t i = 0; i < n; i++) {
		if (!eval(m, rules[i]->root))
			continue;
		matches++;
		if (fn && (r = fn(&rules[i]->info, evt, userdata)) < 0)
			return r;
		if (!m->opts.all_matches)
			break;
	}
	return matches;
}

/* ---------------------------------------------------------------- outputs */

static const char *const prio_names[] = { "Emergency", "Alert",  "Critical",	  "Error",
					  "Warning",   "Notice", "Informational", "Debug" };

const char *bw_priority_name(enum bw_priority p)
{
	return (unsigned)p < BW_ARRAY_SIZE(prio_names) ? prio_names[p] : "Unknown";
}

int bw_priority_parse(const char *s, enum bw_priority *ret)
{
	for (size_t i = 0; i < BW_ARRAY_SIZE(prio_names); i++) {
		if (!strcasecmp(s, prio_names[i])) {
			*ret = (enum bw_priority)i;
			return 0;
		}
	}
	if (!strcasecmp(s, "info")) {
		*ret = BW_PRIO_INFORMATIONAL;
		return 0;
	}
	return -EINVAL;
}

static bool is_fieldchar(int c)
{
	return isalnum(c) || c == '_' || c == '.';
}

int compile_output(struct bw_ruleset *rs, struct rule_def *r, struct srcdata *sd,
		   const char **ret_missing)
{
	struct ptrvec parts = { 0 };
	const char *s = r->output ? r->output : "", *lit = s;

	*ret_missing = NULL;
	while (*s) {
		if (*s != '%' || !(isalpha((unsigned char)s[1]) || s[1] == '%')) {
			s++;
			continue;
		}
		struct outpart *p = arena_zalloc(&rs->arena, sizeof(*p));
		if (!p)
			return -ENOMEM;
		p->lit = lit;
		p->litlen = (uint32_t)(s - lit);
		if (s[1] == '%') {
			/* "%%" is a literal percent sign */
			p->litlen++;
			ptrvec_push(&rs->arena, &parts, p);
			s += 2;
			lit = s;
			continue;
		}
		const char *f = s + 1, *e = f, *arg = NULL;
		size_t arglen = 0;
		while (is_fieldchar((unsigned char)*e))
			e++;
		while (e > f && e[-1] == '.')
			e--;
		const char *after = e;
		if (*e == '[') {
			const char *close = strchr(e, ']');
			if (close) {
				arg = e + 1;
				arglen = (size_t)(close - arg);
				after = close + 1;
			}
		}
		char *name = arena_strndup(&rs->arena, f, (size_t)(e - f));
		const char *dotarg;
		int idx = name ? field_lookup(sd->src, name, &dotarg) : -1;
		if (idx < 0) {
			*ret_missing = name;
			return -ENOENT;
		}
		p->field = arena_zalloc(&rs->arena, sizeof(*p->field));
		if (!p->field)
			return -ENOMEM;
		char *argstr = arg ? arena_strndup(&rs->arena, arg, arglen)
				   : dotarg ? arena_strdup(&rs->arena, dotarg) : NULL;
		if (srcdata_slot(rs, sd, (uint32_t)idx, argstr, &p->field->ref) < 0)
			return -ENOMEM;
		p->field->type = sd->src->fields[idx].type;
		p->field->flags = sd->src->fields[idx].flags;
		p->field->is_list = (p->field->flags & BW_FF_LIST) && p->field->ref.index < 0;
		p->name = arena_strndup(&rs->arena, f, (size_t)(after - f));
		ptrvec_push(&rs->arena, &parts, p);
		s = after;
		lit = s;
	}
	if (s > lit) {
		struct outpart *p = arena_zalloc(&rs->arena, sizeof(*p));
		if (!p)
			return -ENOMEM;
		p->lit = lit;
		p->litlen = (uint32_t)(s - lit);
		ptrvec_push(&rs->arena, &parts, p);
	}
	r->out = arena_zalloc(&rs->arena, sizeof(*r->out));
	if (!r->out)
		return -ENOMEM;
	r->out->parts = arena_alloc(&rs->arena, (parts.n + 1) * sizeof(struct outpart));
	if (!r->out->parts)
		return -ENOMEM;
	for (size_t i = 0; i < parts.n; i++)
		r->out->parts[i] = *(struct outpart *)parts.v[i];
	r->out->nparts = (uint32_t)parts.n;
	return 0;
}

static int put_field(struct bw_matcher *m, const struct fref *f, struct bw_buf *out)
{
	const struct bw_value *v;
	size_t n = get_values(m, f, &v);
	int r = 0;

	if (!n)
		return bw_buf_puts(out, "<NA>");
	if (!f->is_list)
		return bw_buf_append(out, v[0].s, v[0].len);
	r = bw_buf_puts(out, "(");
	for (size_t i = 0; i < n && r == 0; i++) {
		if (i)
			r = bw_buf_puts(out, ",");
		if (!r)
			r = bw_buf_append(out, v[i].s, v[i].len);
	}
	return r ? r : bw_buf_puts(out, ")");
}

static int format_output(struct bw_matcher *m, const struct rule_def *r, struct bw_buf *out)
{
	int e = 0;

	if (!r->out)
		return bw_buf_puts(out, r->output ? r->output : "");
	for (uint32_t i = 0; i < r->out->nparts && !e; i++) {
		const struct outpart *p = &r->out->parts[i];
		if (p->litlen)
			e = bw_buf_append(out, p->lit, p->litlen);
		if (!e && p->field)
			e = put_field(m, p->field, out);
	}
	return e;
}

static const struct rule_def *rule_of(const struct bw_rule_info *info)
{
	return (const struct rule_def *)info;
}

int bw_matcher_format_text(struct bw_matcher *m, const struct bw_rule_info *rule, void *evt,
			   struct bw_buf *out)
{
	int64_t ns = m->sd->src->time_ns ? m->sd->src->time_ns(evt) : 0;
	time_t secs = (time_t)(ns / 1000000000);
	struct tm tm;
	char ts[64];

	if (evt != m->evt)
		new_event(m, evt);
	localtime_r(&secs, &tm);
	snprintf(ts, sizeof(ts), "%02d:%02d:%02d.%09lld", tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (long long)(ns % 1000000000));
	int e = bw_buf_printf(out, "%s: %s ", ts, bw_priority_name(rule->priority));
	return e ? e : format_output(m, rule_of(rule), out);
}

static int json_str(struct bw_buf *b, const char *s, size_t n)
{
	int e = bw_buf_puts(b, "\"");

	for (size_t i = 0; i < n && !e; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			char esc[3] = { '\\', (char)c, 0 };
			e = bw_buf_puts(b, esc);
		} else if (c < 0x20) {
			e = bw_buf_printf(b, "\\u%04x", c);
		} else {
			e = bw_buf_append(b, s + i, 1);
		}
	}
	return e ? e : bw_buf_puts(b, "\"");
}

int bw_matcher_format_json(struct bw_matcher *m, const struct bw_rule_info *rule, void *evt,
			   const char *hostname, struct bw_buf *out)
{
	const struct rule_def *r = rule_of(rule);
	int64_t ns = m->sd->src->time_ns ? m->sd->src->time_ns(evt) : 0;
	time_t secs = (time_t)(ns / 1000000000);
	struct bw_buf text = BW_BUF_INIT(out->cap);
	struct tm tm;
	char ts[64];
	int e;

	if (evt != m->evt)
		new_event(m, evt);
	gmtime_r(&secs, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (long long)(ns % 1000000000));
	e = format_output(m, r, &text);
	if (!e)
		e = bw_buf_puts(out, "{\"hostname\":");
	if (!e)
		e = json_str(out, hostname ? hostname : "", hostname ? strlen(hostname) : 0);
	if (!e)
		e = bw_buf_puts(out, ",\"output\":");
	if (!e)
		e = json_str(out, text.data ? text.data : "", text.len);
	bw_buf_done(&text);
	if (!e)
		e = bw_buf_puts(out, ",\"output_fields\":{");
	bool first = true;
	for (uint32_t i = 0; r->out && i < r->out->nparts && !e; i++) {
		const struct outpart *p = &r->out->parts[i];
		const struct bw_value *v;
		size_t n;
		bool dup = false;
		if (!p->field)
			continue;
		for (uint32_t j = 0; j < i && !dup; j++)
			dup = r->out->parts[j].field && !strcmp(r->out->parts[j].name, p->name);
		if (dup)
			continue;
		e = bw_buf_puts(out, first ? "" : ",");
		first = false;
		if (!e)
			e = json_str(out, p->name, strlen(p->name));
		if (!e)
			e = bw_buf_puts(out, ":");
		if (e)
			break;
		n = get_values(m, p->field, &v);
		if (!n) {
			e = bw_buf_puts(out, "null");
		} else if (p->field->is_list) {
			struct bw_buf tmp = BW_BUF_INIT(out->cap);
			e = put_field(m, p->field, &tmp);
			if (!e)
				e = json_str(out, tmp.data ? tmp.data : "", tmp.len);
			bw_buf_done(&tmp);
		} else if (p->field->type == BW_FT_NUMBER && v[0].is_num) {
			e = bw_buf_printf(out, "%lld", (long long)v[0].num);
		} else {
			e = json_str(out, v[0].s, v[0].len);
		}
	}
	if (!e)
		e = bw_buf_printf(out, "},\"priority\":\"%s\",\"rule\":", bw_priority_name(rule->priority));
	if (!e)
		e = json_str(out, rule->name, strlen(rule->name));
	if (!e)
		e = bw_buf_puts(out, ",\"source\":");
	if (!e)
		e = json_str(out, rule->source, strlen(rule->source));
	if (!e)
		e = bw_buf_puts(out, ",\"tags\":[");
	for (size_t i = 0; i < rule->ntags && !e; i++) {
		if (i)
			e = bw_buf_puts(out, ",");
		if (!e)
			e = json_str(out, rule->tags[i], strlen(rule->tags[i]));
	}
	if (!e)
		e = bw_buf_printf(out, "],\"time\":\"%s\"}", ts);
	return e;
}
