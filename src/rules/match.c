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
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <limits.h>
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

/* Gates a rule may have. */
#define GATE_CANDS 4
/* A rule's gates are sampled in its first GATE_SAMPLES evaluations of every
 * GATE_PERIOD (per event type). */
#define GATE_PERIOD 65536u
#define GATE_SAMPLES 64u

/*
 * A rule as a matcher runs it, for one event type: first its gate, cheap
 * checks that every match of the rule passes (one check, or an `or` of
 * checks), then its whole condition. A rule has up to GATE_CANDS gates,
 * chosen by their shape; while sampling it tests them all and counts for
 * each how often it needed a check not yet evaluated for the event (what
 * running it first costs) and, four times, how often it passed (the rest
 * of the condition then costs several checks more); then it tests only the gate
 * that cost least. Any gate that fails means no match, so which one runs
 * changes only the time.
 */
struct mrule {
	struct rule_def *r;
	uint32_t seen;
	uint32_t ngate;
	const struct cnode *gate[GATE_CANDS];
	uint32_t pass[GATE_CANDS]; /* while sampling: the cost of each, see gates_pass() */
};

/* An `or` node made for a gate, owned by the matcher. */
struct gnode {
	struct gnode *next;
	struct cnode node;
	struct cnode *child[];
};

struct bw_matcher {
	const struct bw_ruleset *rs;
	const struct srcdata *sd;
	struct bw_matcher_opts opts;
	struct mrule *untyped; /* rules for events of unknown type */
	size_t nuntyped;
	struct mrule **bytype;
	struct gnode *gnodes;
	size_t *nbytype;
	size_t ntypes;
	size_t nrules;
	struct slotcache *cache;
	struct memo *memo; /* by check id */
	/* Results of the checks on the index field (F_INDEX), by event type:
	 * row t, column check.idx; idx_row is the current event's row (NULL
	 * when its type is unknown: then they are evaluated). */
	bool *idx_tab;
	const bool *idx_row;
	uint32_t gen;
	void *evt;
	char *scratch;
	size_t scratch_used;
	/* "HH:MM:SS." of the second tcache_secs, local time, for text alerts */
	time_t tcache_secs;
	bool tcache_ok;
	char tcache[16];
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

static inline size_t raw_values(struct bw_matcher *m, const struct bw_field_ref *ref,
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

static size_t get_values(struct bw_matcher *m, const struct fref *f, const struct bw_value **ret);

/* The values of one argument of join() / concat(). */
static size_t item_values(struct bw_matcher *m, const struct fitem *it, struct bw_value *lit,
			  const struct bw_value **ret)
{
	if (it->f)
		return get_values(m, it->f, ret);
	*lit = (struct bw_value){ .s = it->lit, .len = it->litlen };
	*ret = lit;
	return 1;
}

/*
 * join() / concat() as one string in scratch. Unavailable (0) when an
 * argument is, as libsinsp's extraction fails then, or when the result does
 * not fit the scratch buffer.
 */
static size_t multi_value(struct bw_matcher *m, const struct fmulti *mv, struct bw_value *ret)
{
	struct bw_value seplit, *lits = scratch_alloc(m, (mv->nitems + 1) * sizeof(*lits));
	const struct bw_value *sep = NULL, **vals = scratch_alloc(m, (mv->nitems + 1) * sizeof(*vals));
	size_t *ns = scratch_alloc(m, (mv->nitems + 1) * sizeof(*ns)), total = 0, count = 0;
	char *o;

	if (!lits || !vals || !ns)
		return 0;
	if (mv->kind == MV_JOIN && !item_values(m, &mv->sep, &seplit, &sep))
		return 0;
	for (uint32_t i = 0; i < mv->nitems; i++) {
		if (!(ns[i] = item_values(m, &mv->items[i], &lits[i], &vals[i])))
			return 0;
		if (mv->kind == MV_CONCAT)
			ns[i] = 1;
		for (size_t j = 0; j < ns[i]; j++)
			total += vals[i][j].len;
		count += ns[i];
	}
	if (sep && count > 1)
		total += (count - 1) * sep->len;
	if (total > BW_MAX_TRANSFORM_SCRATCH || !(o = scratch_alloc(m, total + 1)))
		return 0;
	*ret = (struct bw_value){ .s = o, .len = (uint32_t)total };
	count = 0;
	for (uint32_t i = 0; i < mv->nitems; i++) {
		for (size_t j = 0; j < ns[i]; j++) {
			if (sep && count++) {
				memcpy(o, sep->s, sep->len);
				o += sep->len;
			}
			memcpy(o, vals[i][j].s, vals[i][j].len);
			o += vals[i][j].len;
		}
	}
	*o = 0;
	return 1;
}

/* The values of a field reference, transformers applied. */
static size_t get_values(struct bw_matcher *m, const struct fref *f, const struct bw_value **ret)
{
	const struct bw_value *raw;
	struct bw_value *out;
	size_t n;

	if (f->multi) {
		struct bw_value *one = scratch_alloc(m, sizeof(*one));
		if (!one || !multi_value(m, f->multi, one))
			return 0;
		raw = one;
		n = 1;
	} else {
		n = raw_values(m, &f->ref, &raw);
	}

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

/*
 * v's bytes as a C string (values carry a length and need not end in NUL):
 * a copy in buf when it fits, else in scratch; NULL when neither has room.
 */
static const char *cstr(struct bw_matcher *m, const char *s, uint32_t len, char *buf,
			size_t bufsz)
{
	char *o = len < bufsz ? buf : scratch_alloc(m, (size_t)len + 1);

	if (!o)
		return NULL;
	memcpy(o, s, len);
	o[len] = 0;
	return o;
}

/* A string as a number as strtoll(s, 0) reads it whole; "true"/"false" as
 * 1/0. */
static bool str_int(const char *s, uint32_t len, int64_t *ret)
{
	char buf[4096], *end;

	if (!len || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = 0;
	errno = 0;
	long long x = strtoll(buf, &end, 0);
	if (errno || *end) {
		if (len == 4 && !memcmp(s, "true", 4))
			x = 1;
		else if (len == 5 && !memcmp(s, "false", 5))
			x = 0;
		else
			return false;
	}
	*ret = x;
	return true;
}

static inline bool as_int(const struct bw_value *v, int64_t *ret)
{
	if (v->is_num) {
		*ret = v->num;
		return true;
	}
	return str_int(v->s, v->len, ret);
}

/* strcmp() of two strings with lengths and no NUL inside. */
static int lencmp(const char *a, uint32_t an, const char *b, uint32_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);

	return c ? c : (an > bn) - (an < bn);
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

/*
 * Whether h[0..hn) contains n[0..nn), for the short needles of rules
 * (memmem's setup costs more than the search): the positions where both the
 * first and the last byte of the needle are, sixteen at a time, then a
 * compare of the rest. Reads only inside h.
 */
static bool contains(const char *h, uint32_t hn, const char *n, uint32_t nn)
{
	if (!nn)
		return true;
	if (nn > hn)
		return false;
	const char *last = h + hn - nn; /* the last place the needle can start */
#if defined(__SSE2__)
	const __m128i first = _mm_set1_epi8(n[0]), lastb = _mm_set1_epi8(n[nn - 1]);
	for (; last - h >= 15; h += 16) {
		__m128i a = _mm_loadu_si128((const __m128i *)(const void *)h),
			b = _mm_loadu_si128((const __m128i *)(const void *)(h + nn - 1));
		unsigned bits = (unsigned)_mm_movemask_epi8(
			_mm_and_si128(_mm_cmpeq_epi8(a, first), _mm_cmpeq_epi8(b, lastb)));
		for (; bits; bits &= bits - 1)
			if (!memcmp(h + __builtin_ctz(bits) + 1, n + 1, nn - 1))
				return true;
	}
#endif
	for (; h <= last; h++)
		if (*h == n[0] && h[nn - 1] == n[nn - 1] && !memcmp(h + 1, n + 1, nn - 1))
			return true;
	return false;
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

/*
 * A pattern with wildcards: its components match the path's first ones,
 * each with fnmatch() (wildcards never cross a '/'); further components of
 * the path are allowed, as pmatch is a prefix match (Falco 0.36 and later).
 */
static bool pmatch_glob(const char *s, uint32_t n, const struct rval *p)
{
	const char *end = s + n;
	char comp[256];

	for (uint32_t i = 0; i < p->ncomps; i++) {
		const char *slash;
		size_t cl;
		if (i > 0) {
			if (s >= end || *s != '/')
				return false;
			s++;
		}
		slash = memchr(s, '/', (size_t)(end - s));
		cl = (size_t)((slash ? slash : end) - s);
		if (cl >= sizeof(comp))
			return false;
		if (i > 0 && !cl && p->comps[i][0])
			return false;
		memcpy(comp, s, cl);
		comp[cl] = 0;
		if (fnmatch(p->comps[i], comp, 0) != 0)
			return false;
		s += cl;
	}
	return true;
}

static bool pmatch_one(const char *s, uint32_t n, const struct rval *p)
{
	uint32_t pl = p->len;

	if (p->comps)
		return pmatch_glob(s, n, p);

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
static bool cmp_value(struct bw_matcher *m, enum op op, enum bw_field_type type,
		      const struct bw_value *v, const struct rval *r)
{
	char buf[256], pbuf[256];
	const char *vs, *ps;
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
		return lencmp(v->s, v->len, r->s, r->len) < 0;
	case OP_LE:
		return lencmp(v->s, v->len, r->s, r->len) <= 0;
	case OP_GT:
		return lencmp(v->s, v->len, r->s, r->len) > 0;
	case OP_GE:
		return lencmp(v->s, v->len, r->s, r->len) >= 0;
	case OP_CONTAINS:
	case OP_BCONTAINS:
		return contains(v->s, v->len, r->s, r->len);
	case OP_ICONTAINS:
		return icontains(v->s, v->len, r->lower, r->len);
	case OP_STARTSWITH:
	case OP_BSTARTSWITH:
		return v->len >= r->len && !memcmp(v->s, r->s, r->len);
	case OP_ENDSWITH:
		return v->len >= r->len && !memcmp(v->s + v->len - r->len, r->s, r->len);
	case OP_GLOB:
	case OP_IGLOB:
		/* A pattern from a field (val()) is a value with a length too. */
		if (!(vs = cstr(m, v->s, v->len, buf, sizeof(buf))) ||
		    !(ps = cstr(m, r->s, r->len, pbuf, sizeof(pbuf))))
			return false;
		return fnmatch(ps, vs, op == OP_IGLOB ? FNM_CASEFOLD : 0) == 0;
	case OP_REGEX:
		return r->re && (vs = cstr(m, v->s, v->len, buf, sizeof(buf))) &&
		       regexec(r->re, vs, 0, NULL, 0) == 0;
	case OP_PMATCH:
		return pmatch_one(v->s, v->len, r);
	default:
		return false;
	}
}

/* One left value against the whole right-hand side. */
static bool cmp_rhs(struct bw_matcher *m, const struct check *k, enum bw_field_type type,
		    const struct bw_value *v)
{
	if (k->set && (type == BW_FT_STRING || (type == BW_FT_DYNAMIC && !v->is_num)))
		return strset_has(k->set, v->s, v->len);
	if (k->op == OP_IN || k->op == OP_INTERSECTS || k->op == OP_PMATCH) {
		for (uint32_t i = 0; i < k->nvals; i++)
			if (cmp_value(m, k->op, type, v, &k->vals[i]))
				return true;
		return false;
	}
	return k->nvals && cmp_value(m, k->op, type, v, &k->vals[0]);
}

static bool rval_from(const struct bw_value *v, struct rval *r)
{
	memset(r, 0, sizeof(*r));
	r->s = v->s;
	r->len = v->len;
	r->is_num = v->is_num;
	r->num = v->num;
	if (!r->is_num) {
		char buf[4096], *end;
		r->num = 0;
		if (v->len && v->len < sizeof(buf)) {
			memcpy(buf, v->s, v->len);
			buf[v->len] = 0;
			errno = 0;
			r->num = strtoll(buf, &end, 0);
			r->is_num = !*end && !errno;
		}
	}
	return true;
}

/* The checks of common shapes (enum check_fast), without the general
 * code's dispatch on type and operator. */
static inline bool eval_fast(struct bw_matcher *m, const struct check *k)
{
	const struct bw_value *v;
	const struct rval *r = k->vals;
	int64_t x;

	if (!raw_values(m, &k->lhs.ref, &v))
		return false;
	switch ((enum check_fast)k->fast) {
	case F_EXISTS:
		return true;
	case F_STR_EQ:
		return v->len == r->len && !memcmp(v->s, r->s, r->len);
	case F_STR_NE:
		return v->len != r->len || memcmp(v->s, r->s, r->len);
	case F_STR_SET:
		return v->len >= k->set->minlen && v->len <= k->set->maxlen &&
		       strset_has(k->set, v->s, v->len);
	case F_STR_PREFIX:
		return v->len >= r->len && !memcmp(v->s, r->s, r->len);
	case F_STR_SUFFIX:
		return v->len >= r->len && !memcmp(v->s + v->len - r->len, r->s, r->len);
	case F_STR_SUB:
		return contains(v->s, v->len, r->s, r->len);
	case F_NUM:
		if (v->is_num)
			return num_cmp(k->op, v->num, r->num);
		return as_int(v, &x) && num_cmp(k->op, x, r->num);
	default:
		return false;
	}
}

/* The general checks (the fast shapes are evaluated in check()). */
static __attribute__((noinline)) bool eval_check(struct bw_matcher *m, const struct check *k)
{
	const struct bw_value *lv;
	size_t ln;
	enum bw_field_type type = k->lhs.type;

	if (k->fast > F_INDEX)
		return eval_fast(m, k);
	ln = get_values(m, &k->lhs, &lv);

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
					found = cmp_value(m, OP_EQ, type, &lv[i], &r);
				}
				any |= found;
				all &= found;
			}
			return k->op == OP_IN ? all : any;
		}
		rval_from(&rv[0], &r);
		if (type == BW_FT_IPADDR || type == BW_FT_IPNET)
			type = BW_FT_STRING;
		return cmp_value(m, k->op, type, &lv[0], &r);
	}
	if (k->lhs.is_list) {
		if (k->op == OP_IN) {
			for (size_t i = 0; i < ln; i++)
				if (!cmp_rhs(m, k, type, &lv[i]))
					return false;
			return true;
		}
		for (size_t i = 0; i < ln; i++)
			if (cmp_rhs(m, k, type, &lv[i]))
				return true;
		return false;
	}
	return cmp_rhs(m, k, type, &lv[0]);
}

/* A check's result, memoised for the event: identical checks of different
 * rules and macros are evaluated once. */
static inline bool check(struct bw_matcher *m, const struct check *k)
{
	struct memo *mm = &m->memo[k->id];

	if (k->fast == F_INDEX && m->idx_row)
		return m->idx_row[k->idx];
	if (mm->gen != m->gen) {
		mm->val = k->fast > F_INDEX ? eval_fast(m, k) : eval_check(m, k);
		mm->gen = m->gen;
	}
	return mm->val;
}

static bool eval(struct bw_matcher *m, const struct cnode *n);

/* A child: checks, most of the leaves, without a call. */
static inline bool eval_child(struct bw_matcher *m, const struct cnode *c)
{
	return c->kind == C_CHECK ? check(m, c->chk) : eval(m, c);
}

static bool eval(struct bw_matcher *m, const struct cnode *n)
{
	switch (n->kind) {
	case C_AND:
		for (uint32_t i = 0; i < n->nchild; i++)
			if (!eval_child(m, n->child[i]))
				return false;
		return true;
	case C_OR:
		for (uint32_t i = 0; i < n->nchild; i++)
			if (eval_child(m, n->child[i]))
				return true;
		return false;
	case C_NOT:
		return !eval_child(m, n->child[0]);
	case C_CHECK:
		return check(m, n->chk);
	case C_TRUE:
		return true;
	case C_FALSE:
		return false;
	}
	return false;
}

/* ---------------------------------------------------------------- matcher */

/* How well a check that every match needs rejects events early: checks on
 * names and paths before flags and numbers; only the fast shapes, so that
 * a gate that passes costs little (its result is memoised for the rest of
 * the condition). */
static int gate_score(const struct check *k)
{
	switch ((enum check_fast)k->fast) {
	case F_STR_SET:
		return 6;
	case F_STR_PREFIX:
	case F_STR_SUFFIX:
		return k->vals[0].len > 1 ? 5 : 2;
	case F_STR_EQ:
		return k->vals[0].len > 1 ? 4 : 2;
	case F_STR_SUB:
		return 3;
	case F_NUM:
		return 1;
	case F_GENERAL:
		return k->rhs_field ? 0 : 1; /* glob, pmatch, transformers, lists */
	default:
		return 0;
	}
}

/* Alternatives an `or` gate may have. */
#define GATE_MAX_OR 8

struct gate {
	const struct cnode *n; /* NULL: none */
	int score;
};

/* Whether n is false for every event of type t (-1: unknown), as decided by
 * its checks on the event type alone. */
static bool static_false(const struct bw_matcher *m, const struct cnode *n, long t)
{
	switch (n->kind) {
	case C_FALSE:
		return true;
	case C_CHECK:
		return t >= 0 && n->chk->fast == F_INDEX &&
		       !m->idx_tab[(size_t)t * m->rs->nindex + n->chk->idx];
	case C_AND:
		for (uint32_t i = 0; i < n->nchild; i++)
			if (static_false(m, n->child[i], t))
				return true;
		return false;
	case C_OR:
		for (uint32_t i = 0; i < n->nchild; i++)
			if (!static_false(m, n->child[i], t))
				return false;
		return true;
	default:
		return false;
	}
}

/* A gate of n for events of type t (-1: unknown): a condition that n
 * implies, cheap and selective. A check is its own; an `and` has the best
 * of its conjuncts'; an `or` of up to GATE_MAX_OR alternatives has the
 * `or` of the gates of those that events of type t can pass (when they all
 * have one), a little worse than the worst of them. Without memory for a
 * new node there is no gate, which only costs time. */
static bool static_false(const struct bw_matcher *m, const struct cnode *n, long t);

static struct gate gate_find(struct bw_matcher *m, const struct cnode *n, long t)
{
	struct gate g = { 0 }, c;

	switch (n->kind) {
	case C_CHECK:
		g.score = gate_score(n->chk);
		g.n = g.score ? n : NULL;
		return g;
	case C_AND:
		for (uint32_t i = 0; i < n->nchild; i++)
			if ((c = gate_find(m, n->child[i], t)).score > g.score)
				g = c;
		return g;
	case C_OR: {
		if (!n->nchild || n->nchild > GATE_MAX_OR)
			return g;
		struct gnode *o = calloc(1, sizeof(*o) + n->nchild * sizeof(o->child[0]));
		if (!o)
			return g;
		o->next = m->gnodes;
		m->gnodes = o;
		o->node = (struct cnode){ .kind = C_OR, .child = o->child };
		g.score = INT_MAX;
		for (uint32_t i = 0; i < n->nchild; i++) {
			if (static_false(m, n->child[i], t))
				continue; /* not for events of this type */
			if (!(c = gate_find(m, n->child[i], t)).n)
				return (struct gate){ 0 };
			o->child[o->node.nchild++] = (struct cnode *)c.n;
			g.score = c.score < g.score ? c.score : g.score;
		}
		if (!o->node.nchild)
			return (struct gate){ 0 };
		if (o->node.nchild == 1)
			return c; /* the one alternative left */
		g.n = &o->node;
		g.score--; /* one check of that worth is cheaper */
		return g;
	}
	default:
		return g;
	}
}

/* Adds g to the gates of mr, which stay best first and at most GATE_CANDS. */
static void gate_add(struct mrule *mr, int *scores, struct gate g)
{
	uint32_t i = mr->ngate < GATE_CANDS ? mr->ngate++ : GATE_CANDS;

	if (i == GATE_CANDS) {
		if (g.score <= scores[GATE_CANDS - 1])
			return;
		i = GATE_CANDS - 1;
	}
	for (; i > 0 && scores[i - 1] < g.score; i--) {
		mr->gate[i] = mr->gate[i - 1];
		scores[i] = scores[i - 1];
	}
	mr->gate[i] = g.n;
	scores[i] = g.score;
}

/* The gates of n for events of type t (-1: unknown): its checks, those of
 * an `and`'s conjuncts, and the gate of an `or` (see gate_find()). */
static void gate_collect(struct bw_matcher *m, const struct cnode *n, long t, struct mrule *mr,
			 int *scores)
{
	struct gate g;

	if (n->kind == C_AND) {
		for (uint32_t i = 0; i < n->nchild; i++)
			gate_collect(m, n->child[i], t, mr, scores);
	} else if ((n->kind == C_CHECK || n->kind == C_OR) && (g = gate_find(m, n, t)).n) {
		gate_add(mr, scores, g);
	}
}

/* Rule r as m runs it for events of type t (-1: unknown). */
static struct mrule rule_for(struct bw_matcher *m, struct rule_def *r, long t)
{
	struct mrule mr = { .r = r };
	int scores[GATE_CANDS];

	if (!m->opts.no_gates)
		gate_collect(m, r->root, t, &mr, scores);
	return mr;
}

/* Whether a gate has a check not yet evaluated for this event: what it
 * costs to run it first, in checks (one shared with a rule before is free). */
static unsigned gate_fresh(const struct bw_matcher *m, const struct cnode *g)
{
	if (g->kind == C_CHECK)
		return g->chk->fast != F_INDEX && m->memo[g->chk->id].gen != m->gen;
	for (uint32_t i = 0; i < g->nchild; i++)
		if (gate_fresh(m, g->child[i]))
			return 1;
	return 0;
}

/* Whether the event passes mr's gate(s); see struct mrule. */
static bool gates_pass(struct bw_matcher *m, struct mrule *mr)
{
	uint32_t phase = mr->seen++ % GATE_PERIOD;
	bool ok = true;

	if (phase >= GATE_SAMPLES)
		return eval_child(m, mr->gate[0]);
	for (uint32_t g = 0; g < mr->ngate; g++) {
		mr->pass[g] += gate_fresh(m, mr->gate[g]);
		bool v = eval_child(m, mr->gate[g]);
		mr->pass[g] += 4 * v;
		ok &= v;
	}
	if (phase == GATE_SAMPLES - 1) {
		/* the cheapest gate first; ties keep their order */
		for (uint32_t i = 1; i < mr->ngate; i++)
			for (uint32_t j = i; j > 0 && mr->pass[j] < mr->pass[j - 1]; j--) {
				const struct cnode *t = mr->gate[j];
				uint32_t c = mr->pass[j];
				mr->gate[j] = mr->gate[j - 1];
				mr->pass[j] = mr->pass[j - 1];
				mr->gate[j - 1] = t;
				mr->pass[j - 1] = c;
			}
		memset(mr->pass, 0, sizeof(mr->pass));
	}
	return ok;
}

/* Fills the index table's columns of the F_INDEX checks under n: the value
 * of the index field is the event type's name. */
static void index_fill(struct bw_matcher *m, const struct cnode *n)
{
	const struct bw_ruleset *rs = m->rs;

	if (n->kind != C_CHECK) {
		for (uint32_t i = 0; i < n->nchild; i++)
			index_fill(m, n->child[i]);
		return;
	}
	const struct check *k = n->chk;
	if (k->fast != F_INDEX)
		return;
	for (size_t t = 0; t < m->ntypes; t++) {
		const char *name = rs->evtypes.names.v[t];
		struct bw_value v = { .s = name, .len = (uint32_t)strlen(name) };
		m->idx_tab[t * rs->nindex + k->idx] =
			k->op == OP_EXISTS || cmp_rhs(m, k, k->lhs.type, &v);
	}
}

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
	m->idx_tab = calloc(ntypes * rs->nindex + 1, sizeof(*m->idx_tab));
	if (!m->cache || !m->memo || !m->scratch || !m->untyped || !m->bytype || !m->nbytype ||
	    !m->idx_tab)
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
		index_fill(m, r->root);
		if (r->all_types) {
			m->untyped[m->nuntyped++] = rule_for(m, r, -1);
			for (size_t t = 0; t < ntypes; t++)
				m->bytype[t][m->nbytype[t]++] = rule_for(m, r, (long)t);
		} else {
			for (uint32_t j = 0; j < r->ntypes; j++) {
				uint32_t t = r->types[j];
				m->bytype[t][m->nbytype[t]++] = rule_for(m, r, (long)t);
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
	free(m->idx_tab);
	free(m->scratch);
	for (struct gnode *g = m->gnodes, *nx; g; g = nx) {
		nx = g->next;
		free(g);
	}
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
	struct mrule *rules = m->untyped;
	size_t n = m->nuntyped;
	int matches = 0, r;

	m->idx_row = NULL;
	if (evtype >= 0 && (size_t)evtype < m->ntypes) {
		rules = m->bytype[evtype];
		n = m->nbytype[evtype];
		m->idx_row = m->idx_tab + (size_t)evtype * m->rs->nindex;
	}
	new_event(m, evt);
	for (size_t i = 0; i < n; i++) {
		if (rules[i].ngate && !gates_pass(m, &rules[i]))
			continue;
		if (!eval(m, rules[i].r->root))
			continue;
		matches++;
		if (fn && (r = fn(&rules[i].r->info, evt, userdata)) < 0)
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
	int64_t frac = ns % 1000000000;
	char ts[32];
	const char *prio = bw_priority_name(rule->priority);
	int e;

	if (evt != m->evt)
		new_event(m, evt);
	/* Alerts come in bursts within a second: convert the second once. */
	if (!m->tcache_ok || m->tcache_secs != secs) {
		struct tm tm;
		localtime_r(&secs, &tm);
		snprintf(m->tcache, sizeof(m->tcache), "%02d:%02d:%02d.", tm.tm_hour, tm.tm_min,
			 tm.tm_sec);
		m->tcache_secs = secs;
		m->tcache_ok = true;
	}
	memcpy(ts, m->tcache, 9);
	if (frac < 0)
		frac = -frac;
	for (int i = 17; i >= 9; i--, frac /= 10)
		ts[i] = (char)('0' + frac % 10);
	memcpy(ts + 18, ": ", 2);
	e = bw_buf_append(out, ts, 20);
	if (!e)
		e = bw_buf_append(out, prio, strlen(prio));
	if (!e)
		e = bw_buf_append(out, " ", 1);
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
