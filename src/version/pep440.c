/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PEP 440 versions and specifiers, as pypa/packaging reads them:
 * [N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local], with the spelling variants
 * the PEP allows and normalises.
 */
#include <stdio.h>

#include "version/internal.h"

#define P_MAX_REL 64
#define P_MAX_LOCAL 32

struct num {
	const char *p; /* digits, leading zeros stripped ("" is zero) */
	size_t n;
};

struct pv {
	struct num epoch;
	struct num rel[P_MAX_REL];
	size_t nrel;
	int pre_l; /* 0 none, 1 a, 2 b, 3 rc */
	struct num pre;
	bool has_post, has_dev;
	struct num post, dev;
	struct num local[P_MAX_LOCAL]; /* raw segments; numeric when all digits */
	size_t nlocal;
	char buf[BW_MAX_VERSION_LEN + 1]; /* lowercased copy */
};

static int ncmp(struct num a, struct num b)
{
	return vs_numcmp(a.p, a.n, b.p, b.n);
}

static bool is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Unicode white space Python's str.strip() removes, as UTF-8. */
static size_t uspace(const unsigned char *p)
{
	if (is_space(*p) || *p == 0x1c || *p == 0x1d || *p == 0x1e || *p == 0x1f)
		return 1;
	if (p[0] == 0xc2 && (p[1] == 0x85 || p[1] == 0xa0))
		return 2;
	if (p[0] == 0xe1 && p[1] == 0x9a && p[2] == 0x80)
		return 3;
	if (p[0] == 0xe2 && p[1] == 0x80 && ((p[2] >= 0x80 && p[2] <= 0x8a) || p[2] == 0xa8 || p[2] == 0xa9 || p[2] == 0xaf))
		return 3;
	if (p[0] == 0xe2 && p[1] == 0x81 && p[2] == 0x9f)
		return 3;
	if (p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80)
		return 3;
	return 0;
}

static bool rd_num(const char **pp, struct num *n)
{
	const char *p = *pp;

	if (!vs_digit(*p))
		return false;
	while (*p == '0')
		p++;
	n->p = p;
	while (vs_digit(*p))
		p++;
	n->n = (size_t)(p - n->p);
	*pp = p;
	return true;
}

static bool is_sep(int c)
{
	return c == '-' || c == '_' || c == '.';
}

/* Matches one of words at p (longest first in the list); returns its length. */
static size_t word(const char *p, const char *const *words, size_t n, size_t *idx)
{
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(words[i]);

		if (!strncmp(p, words[i], l)) {
			*idx = i;
			return l;
		}
	}
	return 0;
}

static int parse(const char *s, struct pv *v)
{
	static const char *const pre_w[] = { "alpha", "a", "beta", "b", "preview", "pre", "c", "rc" };
	static const int pre_map[] = { 1, 1, 2, 2, 3, 3, 3, 3 };
	static const char *const post_w[] = { "post", "rev", "r" };
	const unsigned char *us = (const unsigned char *)s;
	size_t n, k, i, idx;
	const char *p, *q;
	char *d;

	memset(v, 0, sizeof(*v) - sizeof(v->buf));
	while ((k = uspace(us)))
		us += k;
	n = strlen((const char *)us);
	if (n > BW_MAX_VERSION_LEN)
		return -EINVAL;
	for (i = 0; i < n; i++)
		v->buf[i] = (char)((us[i] >= 'A' && us[i] <= 'Z') ? us[i] + 32 : us[i]);
	v->buf[n] = '\0';
	/* Strip trailing white space. */
	for (;;) {
		size_t j, l = 0;

		for (j = n > 3 ? n - 3 : 0; j < n; j++) {
			l = uspace((const unsigned char *)v->buf + j);
			if (l && j + l == n)
				break;
			l = 0;
		}
		if (!l)
			break;
		n -= l;
		v->buf[n] = '\0';
	}
	p = v->buf;
	if (*p == 'v')
		p++;
	/* Epoch or first release number. */
	q = p;
	if (!rd_num(&q, &v->rel[0]))
		return -EINVAL;
	if (*q == '!') {
		v->epoch = v->rel[0];
		p = q + 1;
		if (!rd_num(&p, &v->rel[0]))
			return -EINVAL;
	} else {
		p = q;
	}
	v->nrel = 1;
	while (p[0] == '.' && vs_digit(p[1])) {
		if (v->nrel >= P_MAX_REL)
			return -EINVAL;
		p++;
		rd_num(&p, &v->rel[v->nrel++]);
	}
	/* Pre-release. */
	q = p;
	if (is_sep(*q))
		q++;
	if ((k = word(q, pre_w, BW_ARRAY_SIZE(pre_w), &idx))) {
		v->pre_l = pre_map[idx];
		q += k;
		v->pre.p = "", v->pre.n = 0;
		{
			const char *r = q;

			if (is_sep(*r))
				r++;
			if (rd_num(&r, &v->pre))
				q = r;
		}
		p = q;
	}
	/* Post-release. */
	q = p;
	if (q[0] == '-' && vs_digit(q[1])) {
		q++;
		rd_num(&q, &v->post);
		v->has_post = true;
		p = q;
	} else {
		if (is_sep(*q))
			q++;
		if ((k = word(q, post_w, BW_ARRAY_SIZE(post_w), &idx))) {
			q += k;
			v->has_post = true;
			v->post.p = "", v->post.n = 0;
			{
				const char *r = q;

				if (is_sep(*r))
					r++;
				if (rd_num(&r, &v->post))
					q = r;
			}
			p = q;
		}
	}
	/* Development release. */
	q = p;
	if (is_sep(*q))
		q++;
	if (!strncmp(q, "dev", 3)) {
		q += 3;
		v->has_dev = true;
		v->dev.p = "", v->dev.n = 0;
		{
			const char *r = q;

			if (is_sep(*r))
				r++;
			if (rd_num(&r, &v->dev))
				q = r;
		}
		p = q;
	}
	/* Local version. */
	if (*p == '+') {
		p++;
		for (;;) {
			const char *st = p;

			while (vs_digit(*p) || (*p >= 'a' && *p <= 'z'))
				p++;
			if (p == st || v->nlocal >= P_MAX_LOCAL)
				return -EINVAL;
			v->local[v->nlocal].p = st;
			v->local[v->nlocal++].n = (size_t)(p - st);
			if (!is_sep(*p))
				break;
			p++;
		}
	}
	if (*p)
		return -EINVAL;
	(void)d;
	return 0;
}

static bool all_digits(struct num s)
{
	for (size_t i = 0; i < s.n; i++)
		if (!vs_digit(s.p[i]))
			return false;
	return true;
}

static int rel_cmp(const struct pv *a, const struct pv *b)
{
	size_t i, n = a->nrel > b->nrel ? a->nrel : b->nrel;
	static const struct num zero = { "", 0 };

	for (i = 0; i < n; i++) {
		int r = ncmp(i < a->nrel ? a->rel[i] : zero, i < b->nrel ? b->rel[i] : zero);

		if (r)
			return r;
	}
	return 0;
}

/* The pre-release key: -inf for a bare dev release, +inf without pre. */
static int pre_key_cmp(const struct pv *a, const struct pv *b)
{
	int ka = a->pre_l ? 1 : (!a->has_post && a->has_dev ? 0 : 2);
	int kb = b->pre_l ? 1 : (!b->has_post && b->has_dev ? 0 : 2);

	if (ka != kb)
		return ka < kb ? -1 : 1;
	if (ka != 1)
		return 0;
	if (a->pre_l != b->pre_l)
		return a->pre_l < b->pre_l ? -1 : 1;
	return ncmp(a->pre, b->pre);
}

static int public_cmp(const struct pv *a, const struct pv *b)
{
	int r = ncmp(a->epoch, b->epoch);

	if (!r)
		r = rel_cmp(a, b);
	if (!r)
		r = pre_key_cmp(a, b);
	if (!r && a->has_post != b->has_post)
		r = a->has_post ? 1 : -1;
	if (!r && a->has_post)
		r = ncmp(a->post, b->post);
	if (!r && a->has_dev != b->has_dev)
		r = a->has_dev ? -1 : 1;
	if (!r && a->has_dev)
		r = ncmp(a->dev, b->dev);
	return r;
}

static int pv_cmp(const struct pv *a, const struct pv *b)
{
	size_t i;
	int r = public_cmp(a, b);

	if (r)
		return r;
	for (i = 0; i < a->nlocal && i < b->nlocal; i++) {
		bool da = all_digits(a->local[i]), db = all_digits(b->local[i]);

		if (da && db)
			r = vs_numcmp(a->local[i].p, a->local[i].n, b->local[i].p, b->local[i].n);
		else if (da != db)
			r = da ? 1 : -1;
		else {
			size_t m = a->local[i].n < b->local[i].n ? a->local[i].n : b->local[i].n;

			r = vs_sign(memcmp(a->local[i].p, b->local[i].p, m));
			if (!r && a->local[i].n != b->local[i].n)
				r = a->local[i].n < b->local[i].n ? -1 : 1;
		}
		if (r)
			return r;
	}
	if (a->nlocal != b->nlocal)
		return a->nlocal < b->nlocal ? -1 : 1;
	return 0;
}

static void put_num(struct bw_buf *b, struct num n)
{
	if (!n.n)
		bw_buf_puts(b, "0");
	else
		bw_buf_append(b, n.p, n.n);
}

/* The normalised string; local=false gives the public version. */
static char *render(const struct pv *v, bool local, bool base)
{
	static const char *const pre_s[] = { "", "a", "b", "rc" };
	struct bw_buf b = BW_BUF_INIT(BW_MAX_VERSION_LEN * 4);
	size_t i;

	if (v->epoch.n) {
		put_num(&b, v->epoch);
		bw_buf_puts(&b, "!");
	}
	for (i = 0; i < v->nrel; i++) {
		if (i)
			bw_buf_puts(&b, ".");
		put_num(&b, v->rel[i]);
	}
	if (!base) {
		if (v->pre_l) {
			bw_buf_puts(&b, pre_s[v->pre_l]);
			put_num(&b, v->pre);
		}
		if (v->has_post) {
			bw_buf_puts(&b, ".post");
			put_num(&b, v->post);
		}
		if (v->has_dev) {
			bw_buf_puts(&b, ".dev");
			put_num(&b, v->dev);
		}
	}
	if (local && v->nlocal) {
		for (i = 0; i < v->nlocal; i++) {
			bw_buf_puts(&b, i ? "." : "+");
			if (all_digits(v->local[i]))
				put_num(&b, (struct num){ v->local[i].p, v->local[i].n });
			else
				bw_buf_append(&b, v->local[i].p, v->local[i].n);
		}
	}
	return bw_buf_steal(&b);
}

int bw_pep440_normalize(const char *s, char **ret)
{
	static __thread struct pv v;
	char *out;

	if (parse(s, &v) < 0)
		return -EINVAL;
	/* Numeric local segments keep their digits as written. */
	out = render(&v, true, false);
	if (!out)
		return -ENOMEM;
	*ret = out;
	return 0;
}

int bw_pep440_compare(const char *a, const char *b, int *ret_cmp)
{
	static __thread struct pv va, vb;

	if (parse(a, &va) < 0 || parse(b, &vb) < 0)
		return -EINVAL;
	*ret_cmp = pv_cmp(&va, &vb);
	return 0;
}

/* ---------------------------------------------------------------- specifiers */

static bool is_prerelease(const struct pv *v)
{
	return v->pre_l || v->has_dev;
}

/* "==X.*": compares the release prefix (with epoch) padded with zeros. */
static int prefix_match(const struct pv *spec, const struct pv *v)
{
	size_t i;
	static const struct num zero = { "", 0 };

	if (ncmp(spec->epoch, v->epoch))
		return 0;
	for (i = 0; i < spec->nrel; i++)
		if (ncmp(spec->rel[i], i < v->nrel ? v->rel[i] : zero))
			return 0;
	/* A spec with a pre/post/dev part must match those too. */
	if (spec->pre_l || spec->has_post || spec->has_dev) {
		if (v->nrel > spec->nrel) {
			for (i = spec->nrel; i < v->nrel; i++)
				if (v->rel[i].n)
					return 0;
		}
		if (spec->pre_l && (spec->pre_l != v->pre_l || ncmp(spec->pre, v->pre)))
			return 0;
		if (!spec->pre_l && (spec->has_post || spec->has_dev) && v->pre_l)
			return 0;
		if (spec->has_post && (!v->has_post || ncmp(spec->post, v->post)))
			return 0;
		if (spec->has_dev && (!v->has_dev || ncmp(spec->dev, v->dev)))
			return 0;
	}
	return 1;
}

static int one_spec(const char *s, const struct pv *v, const char *raw_v, bool *ret)
{
	static __thread struct pv sp;
	struct pv pub;
	char op[4] = "";
	char vbuf[BW_MAX_VERSION_LEN + 1];
	size_t k, n;
	bool star = false;
	int r;

	while (is_space(*s))
		s++;
	k = strspn(s, "<>=!~");
	if (k == 0 || k > 3)
		return -EINVAL;
	memcpy(op, s, k);
	s += k;
	while (is_space(*s))
		s++;
	n = strlen(s);
	while (n && is_space(s[n - 1]))
		n--;
	if (n == 0 || n > BW_MAX_VERSION_LEN)
		return -EINVAL;
	memcpy(vbuf, s, n);
	vbuf[n] = '\0';
	if (!strcmp(op, "===")) {
		*ret = !strcasecmp(vbuf, raw_v);
		return 0;
	}
	if (n > 2 && !strcmp(vbuf + n - 2, ".*")) {
		if (strcmp(op, "==") && strcmp(op, "!="))
			return -EINVAL;
		star = true;
		vbuf[n - 2] = '\0';
	}
	if (parse(vbuf, &sp) < 0)
		return -EINVAL;
	if (star && sp.nlocal)
		return -EINVAL;
	pub = *v;
	pub.nlocal = 0;

	if (!strcmp(op, "==") || !strcmp(op, "!=")) {
		bool eq;

		if (star)
			eq = prefix_match(&sp, &pub);
		else
			eq = pv_cmp(sp.nlocal ? v : &pub, &sp) == 0;
		*ret = op[0] == '=' ? eq : !eq;
		return 0;
	}
	if (!strcmp(op, "~=")) {
		struct pv pfx;

		if (sp.nrel < 2 || sp.nlocal)
			return -EINVAL;
		if (pv_cmp(&pub, &sp) < 0) {
			*ret = false;
			return 0;
		}
		pfx = sp;
		pfx.nrel--;
		pfx.pre_l = 0, pfx.has_post = pfx.has_dev = false;
		*ret = prefix_match(&pfx, &pub);
		return 0;
	}
	if (sp.nlocal)
		return -EINVAL;
	r = public_cmp(&pub, &sp);
	if (!strcmp(op, "<=")) {
		*ret = r <= 0;
	} else if (!strcmp(op, ">=")) {
		*ret = r >= 0;
	} else if (!strcmp(op, "<")) {
		*ret = r < 0;
		if (*ret && !is_prerelease(&sp) && is_prerelease(v)) {
			struct pv a = pub, b = sp;

			a.pre_l = b.pre_l = 0;
			a.has_post = b.has_post = a.has_dev = b.has_dev = false;
			if (!public_cmp(&a, &b))
				*ret = false;
		}
	} else if (!strcmp(op, ">")) {
		*ret = r > 0;
		if (*ret) {
			struct pv a = pub, b = sp;

			a.pre_l = b.pre_l = 0;
			a.has_post = b.has_post = a.has_dev = b.has_dev = false;
			if (!sp.has_post && v->has_post && !public_cmp(&a, &b))
				*ret = false;
			/* A local version of the bound itself is not greater. */
			if (v->nlocal && !public_cmp(&pub, &sp))
				*ret = false;
		}
	} else {
		return -EINVAL;
	}
	return 0;
}

int bw_pep440_spec_contains(const char *spec, const char *v, bool prereleases, bool *ret)
{
	static __thread struct pv pv;
	char buf[BW_MAX_VERSION_LEN * 4 + 1];
	char *p, *comma;
	bool all = true;

	if (parse(v, &pv) < 0 || strlen(spec) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", spec);
	for (p = buf; p; p = comma ? comma + 1 : NULL) {
		bool ok;

		comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		if (one_spec(p, &pv, v, &ok) < 0)
			return -EINVAL;
		all = all && ok;
	}
	if (all && !prereleases && is_prerelease(&pv))
		all = false;
	*ret = all;
	return 0;
}
