/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SemVer 2.0.0 and npm ranges, following node-semver: comparators with
 * operators, X-ranges, ~ and ^ ranges, hyphen ranges and || alternatives, with
 * the "loose" and "includePrerelease" options.
 */
#include <stdio.h>

#include "version/internal.h"

#define SV_MAX BW_MAX_VERSION_LEN_SEMVER
#define SV_SAFE_MAX 9007199254740991ull /* Number.MAX_SAFE_INTEGER */

static bool is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool ident_char(int c)
{
	return vs_alnum(c) || c == '-';
}

/* Parses dot-separated identifiers at *pp into out. Prerelease numeric
 * identifiers may not have leading zeros unless loose. */
static int parse_ids(const char **pp, char *out, bool pre, bool loose)
{
	const char *p = *pp, *start;
	size_t n = 0;

	for (;;) {
		bool numeric = true;

		start = p;
		while (ident_char(*p)) {
			if (!vs_digit(*p))
				numeric = false;
			p++;
		}
		if (p == start)
			return -EINVAL;
		if (pre && numeric && !loose && p - start > 1 && *start == '0')
			return -EINVAL;
		if (n + (size_t)(p - start) + 2 > SV_MAX)
			return -EINVAL;
		if (n)
			out[n++] = '.';
		memcpy(out + n, start, (size_t)(p - start));
		n += (size_t)(p - start);
		if (*p != '.')
			break;
		p++;
	}
	out[n] = '\0';
	*pp = p;
	return 0;
}

static int parse_num(const char **pp, uint64_t *ret, bool loose)
{
	const char *p = *pp;
	uint64_t v = 0;

	if (!vs_digit(*p))
		return -EINVAL;
	if (!loose && *p == '0' && vs_digit(p[1]))
		return -EINVAL;
	while (vs_digit(*p)) {
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > SV_SAFE_MAX)
			return -EINVAL;
		p++;
	}
	*pp = p;
	*ret = v;
	return 0;
}

/* A full version starting at p (no surrounding blanks); *end gets where it stops. */
static int parse_full(const char *p, bool loose, struct bw_semver_parts *v, const char **end)
{
	v->pre[0] = v->build[0] = '\0';
	if (parse_num(&p, &v->major, loose) < 0 || *p++ != '.' || parse_num(&p, &v->minor, loose) < 0 ||
	    *p++ != '.' || parse_num(&p, &v->patch, loose) < 0)
		return -EINVAL;
	if (*p == '-' || (loose && ident_char(*p) && *p != '-' ? true : false)) {
		if (*p == '-')
			p++;
		if (parse_ids(&p, v->pre, true, loose) < 0)
			return -EINVAL;
	}
	if (*p == '+') {
		p++;
		if (parse_ids(&p, v->build, false, true) < 0)
			return -EINVAL;
	}
	*end = p;
	return 0;
}

int bw_semver_parse(const char *s, unsigned flags, struct bw_semver_parts *ret)
{
	bool loose = flags & BW_SEMVER_LOOSE;
	const char *p = s, *end;
	size_t n = strlen(s);

	if (n > SV_MAX)
		return -EINVAL;
	while (is_space(*p))
		p++;
	if (loose) {
		while (*p == 'v' || *p == '=' || is_space(*p))
			p++;
	} else if (*p == 'v') {
		p++;
	}
	if (parse_full(p, loose, ret, &end) < 0)
		return -EINVAL;
	while (is_space(*end))
		end++;
	return *end ? -EINVAL : 0;
}

static int pre_cmp(const char *a, const char *b)
{
	if (!*a || !*b)
		return !*a && !*b ? 0 : (!*a ? 1 : -1);
	while (*a && *b) {
		const char *ea = strchr(a, '.'), *eb = strchr(b, '.');
		size_t an = ea ? (size_t)(ea - a) : strlen(a), bn = eb ? (size_t)(eb - b) : strlen(b);
		bool na = true, nb = true;
		int r;

		for (size_t i = 0; i < an; i++)
			na = na && vs_digit(a[i]);
		for (size_t i = 0; i < bn; i++)
			nb = nb && vs_digit(b[i]);
		if (na && nb)
			r = vs_numcmp(a, an, b, bn);
		else if (na || nb)
			r = na ? -1 : 1;
		else {
			r = memcmp(a, b, an < bn ? an : bn);
			if (!r)
				r = an == bn ? 0 : (an < bn ? -1 : 1);
		}
		if (r)
			return vs_sign(r);
		a += an, b += bn;
		if (*a)
			a++;
		if (*b)
			b++;
		if (!*a || !*b)
			break;
	}
	if (!*a && !*b)
		return 0;
	return !*a ? -1 : 1;
}

static int sv_cmp(const struct bw_semver_parts *a, const struct bw_semver_parts *b)
{
	if (a->major != b->major)
		return a->major < b->major ? -1 : 1;
	if (a->minor != b->minor)
		return a->minor < b->minor ? -1 : 1;
	if (a->patch != b->patch)
		return a->patch < b->patch ? -1 : 1;
	return pre_cmp(a->pre, b->pre);
}

int bw_semver_compare(const char *a, const char *b, unsigned flags, int *ret_cmp)
{
	struct bw_semver_parts va, vb;

	if (bw_semver_parse(a, flags, &va) < 0 || bw_semver_parse(b, flags, &vb) < 0)
		return -EINVAL;
	*ret_cmp = sv_cmp(&va, &vb);
	return 0;
}

/* ---------------------------------------------------------------- ranges */

enum op { OP_ANY, OP_EQ, OP_LT, OP_LE, OP_GT, OP_GE };

struct comparator {
	enum op op;
	struct bw_semver_parts v;
};

#define MAX_COMPS 64

struct cset {
	struct comparator c[MAX_COMPS];
	size_t n;
};

/* A partial version: X-range parts. x[i] marks a wildcard or missing part. */
struct partial {
	uint64_t n[3];
	bool x[3];
	char pre[SV_MAX + 1];
};

static bool is_x(const char *p)
{
	return *p == 'x' || *p == 'X' || *p == '*';
}

static int parse_partial(const char *s, bool loose, struct partial *pv)
{
	const char *p = s;
	char build[SV_MAX + 1];
	int i;

	memset(pv, 0, sizeof(*pv));
	while (*p == 'v' || *p == '=' || is_space(*p))
		p++;
	for (i = 0; i < 3; i++) {
		if (i > 0) {
			if (*p != '.')
				break;
			p++;
		}
		if (is_x(p)) {
			pv->x[i] = true;
			p++;
		} else if (parse_num(&p, &pv->n[i], loose) < 0) {
			return -EINVAL;
		}
	}
	for (; i < 3; i++)
		pv->x[i] = true;
	if (!pv->x[2]) {
		if (*p == '-' || (loose && ident_char(*p))) {
			if (*p == '-')
				p++;
			if (parse_ids(&p, pv->pre, true, loose) < 0)
				return -EINVAL;
		}
		if (*p == '+') {
			p++;
			if (parse_ids(&p, build, false, true) < 0)
				return -EINVAL;
		}
	}
	if (*p)
		return -EINVAL;
	if (pv->x[0])
		pv->x[1] = pv->x[2] = true;
	else if (pv->x[1])
		pv->x[2] = true;
	return 0;
}

static int push(struct cset *cs, enum op op, uint64_t M, uint64_t m, uint64_t p, const char *pre)
{
	struct comparator *c;

	if (cs->n >= MAX_COMPS)
		return -EINVAL;
	c = &cs->c[cs->n++];
	memset(c, 0, sizeof(*c));
	c->op = op;
	c->v.major = M, c->v.minor = m, c->v.patch = p;
	snprintf(c->v.pre, sizeof(c->v.pre), "%s", pre ? pre : "");
	return 0;
}

static int push_any(struct cset *cs)
{
	return push(cs, OP_ANY, 0, 0, 0, NULL);
}

/* One comparator token: an operator (possibly empty) and a partial version. */
static int add_comparator(struct cset *cs, const char *tok, unsigned flags)
{
	bool loose = flags & BW_SEMVER_LOOSE, incpr = flags & BW_SEMVER_INCLUDE_PRERELEASE;
	const char *z = incpr ? "0" : NULL;
	struct partial pv;
	const char *p = tok;
	enum op op = OP_EQ;
	bool tilde = false, caret = false, gtlt = false;
	uint64_t M, m, pt;

	if (*p == '~') {
		tilde = true;
		p++;
		if (*p == '>')
			p++;
	} else if (*p == '^') {
		caret = true;
		p++;
	} else if (p[0] == '>' && p[1] == '=') {
		op = OP_GE, p += 2, gtlt = true;
	} else if (p[0] == '<' && p[1] == '=') {
		op = OP_LE, p += 2, gtlt = true;
	} else if (*p == '>') {
		op = OP_GT, p++, gtlt = true;
	} else if (*p == '<') {
		op = OP_LT, p++, gtlt = true;
	} else if (*p == '=') {
		p++;
	}
	while (is_space(*p))
		p++;
	if (!*p && !tilde && !caret && !gtlt)
		return push_any(cs);
	if (parse_partial(p, loose, &pv) < 0)
		return -EINVAL;
	M = pv.n[0], m = pv.n[1], pt = pv.n[2];

	if (tilde) {
		if (pv.x[0])
			return push_any(cs);
		if (pv.x[1])
			return push(cs, OP_GE, M, 0, 0, z) ?: push(cs, OP_LT, M + 1, 0, 0, "0");
		if (pv.x[2])
			return push(cs, OP_GE, M, m, 0, z) ?: push(cs, OP_LT, M, m + 1, 0, "0");
		return push(cs, OP_GE, M, m, pt, pv.pre) ?: push(cs, OP_LT, M, m + 1, 0, "0");
	}
	if (caret) {
		if (pv.x[0])
			return push_any(cs);
		if (pv.x[1])
			return push(cs, OP_GE, M, 0, 0, z) ?: push(cs, OP_LT, M + 1, 0, 0, "0");
		if (pv.x[2]) {
			if (M == 0)
				return push(cs, OP_GE, M, m, 0, z) ?: push(cs, OP_LT, M, m + 1, 0, "0");
			return push(cs, OP_GE, M, m, 0, z) ?: push(cs, OP_LT, M + 1, 0, 0, "0");
		}
		{
			const char *lo = pv.pre;

			if (M == 0 && m == 0)
				return push(cs, OP_GE, M, m, pt, lo) ?: push(cs, OP_LT, M, m, pt + 1, "0");
			if (M == 0)
				return push(cs, OP_GE, M, m, pt, lo) ?: push(cs, OP_LT, M, m + 1, 0, "0");
			return push(cs, OP_GE, M, m, pt, pv.pre) ?: push(cs, OP_LT, M + 1, 0, 0, "0");
		}
	}
	/* X-ranges, with or without an operator. */
	if (!pv.x[2])
		return push(cs, op, M, m, pt, pv.pre);
	if (pv.x[0]) {
		if (op == OP_GT || op == OP_LT)
			return push(cs, OP_LT, 0, 0, 0, "0");
		return push_any(cs);
	}
	if (gtlt) {
		const char *pr = z;

		if (pv.x[1])
			m = 0;
		pt = 0;
		if (op == OP_GT) {
			op = OP_GE;
			if (pv.x[1])
				M++, m = 0;
			else
				m++;
		} else if (op == OP_LE) {
			op = OP_LT;
			if (pv.x[1])
				M++;
			else
				m++;
		}
		if (op == OP_LT)
			pr = "0";
		return push(cs, op, M, m, pt, pr);
	}
	if (pv.x[1])
		return push(cs, OP_GE, M, 0, 0, z) ?: push(cs, OP_LT, M + 1, 0, 0, "0");
	return push(cs, OP_GE, M, m, 0, z) ?: push(cs, OP_LT, M, m + 1, 0, "0");
}

static int add_hyphen(struct cset *cs, const char *from, const char *to, unsigned flags)
{
	bool loose = flags & BW_SEMVER_LOOSE, incpr = flags & BW_SEMVER_INCLUDE_PRERELEASE;
	struct partial f, t;
	int r = 0;

	if (parse_partial(from, loose, &f) < 0 || parse_partial(to, loose, &t) < 0)
		return -EINVAL;
	if (f.x[0])
		r = push_any(cs);
	else if (f.x[1])
		r = push(cs, OP_GE, f.n[0], 0, 0, incpr ? "0" : NULL);
	else if (f.x[2])
		r = push(cs, OP_GE, f.n[0], f.n[1], 0, incpr ? "0" : NULL);
	else if (f.pre[0])
		r = push(cs, OP_GE, f.n[0], f.n[1], f.n[2], f.pre);
	else
		r = push(cs, OP_GE, f.n[0], f.n[1], f.n[2], incpr ? "0" : NULL);
	if (r < 0)
		return r;
	if (t.x[0])
		return push_any(cs);
	if (t.x[1])
		return push(cs, OP_LT, t.n[0] + 1, 0, 0, "0");
	if (t.x[2])
		return push(cs, OP_LT, t.n[0], t.n[1] + 1, 0, "0");
	if (t.pre[0])
		return push(cs, OP_LE, t.n[0], t.n[1], t.n[2], t.pre);
	if (incpr)
		return push(cs, OP_LT, t.n[0], t.n[1], t.n[2] + 1, "0");
	return push(cs, OP_LE, t.n[0], t.n[1], t.n[2], NULL);
}

/* Parses one || alternative (a NUL-terminated copy we may modify). */
static int parse_set(char *s, unsigned flags, struct cset *cs)
{
	char *tok[MAX_COMPS * 2];
	size_t nt = 0, i;
	char *p = s;

	cs->n = 0;
	while (*p) {
		while (is_space(*p))
			*p++ = '\0';
		if (!*p)
			break;
		if (nt >= BW_ARRAY_SIZE(tok))
			return -EINVAL;
		tok[nt++] = p;
		while (*p && !is_space(*p))
			p++;
	}
	if (nt == 3 && !strcmp(tok[1], "-"))
		return add_hyphen(cs, tok[0], tok[2], flags);
	if (nt == 0)
		return push_any(cs);
	for (i = 0; i < nt; i++) {
		char buf[SV_MAX * 2 + 4];
		const char *t = tok[i];
		size_t k = strspn(t, "<>=~^");

		/* An operator alone joins the next token: "> 1.2", "~ 1.0". */
		if (t[k] == '\0' && i + 1 < nt) {
			snprintf(buf, sizeof(buf), "%s%s", t, tok[++i]);
			t = buf;
		}
		if (add_comparator(cs, t, flags) < 0)
			return -EINVAL;
	}
	/* An ANY beside other comparators adds nothing. */
	if (cs->n > 1) {
		size_t j = 0;

		for (i = 0; i < cs->n; i++)
			if (cs->c[i].op != OP_ANY)
				cs->c[j++] = cs->c[i];
		if (j)
			cs->n = j;
	}
	return 0;
}

static bool comp_test(const struct comparator *c, const struct bw_semver_parts *v)
{
	int r;

	if (c->op == OP_ANY)
		return true;
	r = sv_cmp(v, &c->v);
	switch (c->op) {
	case OP_EQ:
		return r == 0;
	case OP_LT:
		return r < 0;
	case OP_LE:
		return r <= 0;
	case OP_GT:
		return r > 0;
	case OP_GE:
		return r >= 0;
	default:
		return false;
	}
}

static bool set_test(const struct cset *cs, const struct bw_semver_parts *v, unsigned flags)
{
	size_t i;

	for (i = 0; i < cs->n; i++)
		if (!comp_test(&cs->c[i], v))
			return false;
	if (v->pre[0] && !(flags & BW_SEMVER_INCLUDE_PRERELEASE)) {
		for (i = 0; i < cs->n; i++) {
			const struct comparator *c = &cs->c[i];

			if (c->op == OP_ANY)
				continue;
			if (c->v.pre[0] && c->v.major == v->major && c->v.minor == v->minor &&
			    c->v.patch == v->patch)
				return true;
		}
		return false;
	}
	return true;
}

/* Calls fn for each || alternative of range. */
static int for_each_set(const char *range, unsigned flags,
			int (*fn)(const struct cset *cs, void *ud), void *ud)
{
	static __thread struct cset cs;
	char buf[SV_MAX * 4 + 1];
	char *p, *bar;
	int r;

	if (strlen(range) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", range);
	p = buf;
	for (;;) {
		bar = strstr(p, "||");
		if (bar)
			*bar = '\0';
		if (parse_set(p, flags, &cs) < 0)
			return -EINVAL;
		r = fn(&cs, ud);
		if (r)
			return r;
		if (!bar)
			return 0;
		p = bar + 2;
	}
}

struct sat {
	const struct bw_semver_parts *v;
	unsigned flags;
	bool ok;
};

static int sat_fn(const struct cset *cs, void *ud)
{
	struct sat *s = ud;

	if (set_test(cs, s->v, s->flags))
		s->ok = true;
	return 0;
}

static int parse_version_for_range(const char *v, unsigned flags, struct bw_semver_parts *pv)
{
	return bw_semver_parse(v, flags, pv);
}

int bw_npm_range_satisfies(const char *range, const char *v, unsigned flags, bool *ret)
{
	struct bw_semver_parts pv;
	struct sat s = { .v = &pv, .flags = flags };
	int r;

	if (parse_version_for_range(v, flags, &pv) < 0)
		return -EINVAL;
	r = for_each_set(range, flags, sat_fn, &s);
	if (r < 0)
		return r;
	*ret = s.ok;
	return 0;
}

struct outside {
	const struct bw_semver_parts *v;
	char hilo;
	bool out;
};

static int outside_fn(const struct cset *cs, void *ud)
{
	static const struct comparator ge0 = { .op = OP_GE };
	struct outside *o = ud;
	const struct comparator *high = NULL, *low = NULL;
	bool gt = o->hilo == '>';
	enum op comp = gt ? OP_GT : OP_LT, ecomp = gt ? OP_GE : OP_LE;
	size_t i;

	for (i = 0; i < cs->n; i++) {
		const struct comparator *c = cs->c[i].op == OP_ANY ? &ge0 : &cs->c[i];
		int rh, rl;

		if (!high)
			high = c;
		if (!low)
			low = c;
		rh = sv_cmp(&c->v, &high->v);
		rl = sv_cmp(&c->v, &low->v);
		if (gt ? rh > 0 : rh < 0)
			high = c;
		else if (gt ? rl < 0 : rl > 0)
			low = c;
	}
	if (!high)
		return 0;
	if (high->op == comp || high->op == ecomp) {
		o->out = false;
		return 1;
	}
	{
		int r = sv_cmp(o->v, &low->v);
		bool lte = gt ? r <= 0 : r >= 0, lt = gt ? r < 0 : r > 0;

		if ((low->op == OP_EQ || low->op == OP_ANY || low->op == comp) && lte) {
			o->out = false;
			return 1;
		}
		if (low->op == ecomp && lt) {
			o->out = false;
			return 1;
		}
	}
	return 0;
}

int bw_npm_range_outside(const char *range, const char *v, unsigned flags, char hilo, bool *ret)
{
	struct bw_semver_parts pv;
	struct outside o = { .v = &pv, .hilo = hilo, .out = true };
	bool sat;
	int r;

	if (hilo != '>' && hilo != '<')
		return -EINVAL;
	r = bw_npm_range_satisfies(range, v, flags, &sat);
	if (r < 0)
		return r;
	if (sat) {
		*ret = false;
		return 0;
	}
	parse_version_for_range(v, flags, &pv);
	r = for_each_set(range, flags, outside_fn, &o);
	if (r < 0)
		return r;
	*ret = o.out;
	return 0;
}
