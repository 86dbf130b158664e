/* SPDX-License-Identifier: Apache-2.0 */
/* Go module versions, RubyGems and NuGet. */
#include <stdio.h>
#include <strings.h>

#include "version/internal.h"

/* ---------------------------------------------------------------- Go */

struct gov {
	const char *maj, *min, *pat; /* digit runs */
	size_t nmaj, nmin, npat;
	const char *pre; /* "" or "-..." */
	size_t npre;
	bool short_form;
};

static bool go_num(const char **pp, const char **s, size_t *n)
{
	const char *p = *pp;

	if (!vs_digit(*p))
		return false;
	*s = p;
	while (vs_digit(*p))
		p++;
	if (*s[0] == '0' && p - *s > 1)
		return false;
	*n = (size_t)(p - *s);
	*pp = p;
	return true;
}

static bool go_ids(const char **pp, bool pre)
{
	const char *p = *pp;

	for (;;) {
		const char *st = p;
		bool num = true;

		while (vs_alnum(*p) || *p == '-') {
			num = num && vs_digit(*p);
			p++;
		}
		if (p == st)
			return false;
		if (pre && num && *st == '0' && p - st > 1)
			return false;
		if (*p != '.')
			break;
		p++;
	}
	*pp = p;
	return true;
}

static bool go_parse(const char *v, struct gov *g)
{
	const char *p = v;

	memset(g, 0, sizeof(*g));
	g->pre = "";
	if (strlen(v) > BW_MAX_VERSION_LEN || *p++ != 'v')
		return false;
	if (!go_num(&p, &g->maj, &g->nmaj))
		return false;
	if (!*p) {
		g->min = g->pat = "0", g->nmin = g->npat = 1, g->short_form = true;
		return true;
	}
	if (*p++ != '.' || !go_num(&p, &g->min, &g->nmin))
		return false;
	if (!*p) {
		g->pat = "0", g->npat = 1, g->short_form = true;
		return true;
	}
	if (*p++ != '.' || !go_num(&p, &g->pat, &g->npat))
		return false;
	if (*p == '-') {
		const char *st = p++;

		if (!go_ids(&p, true))
			return false;
		g->pre = st;
		g->npre = (size_t)(p - st);
	}
	if (*p == '+') {
		p++;
		if (!go_ids(&p, false))
			return false;
	}
	return *p == '\0';
}

bool bw_gover_valid(const char *v)
{
	struct gov g;

	return go_parse(v, &g);
}

void bw_gover_canonical(const char *v, char *out, size_t outsz)
{
	struct gov g;

	if (!go_parse(v, &g)) {
		snprintf(out, outsz, "%s", "");
		return;
	}
	snprintf(out, outsz, "v%.*s.%.*s.%.*s%.*s", (int)g.nmaj, g.maj, (int)g.nmin, g.min, (int)g.npat,
		 g.pat, (int)g.npre, g.pre);
}

/* SemVer pre-release precedence over dot-separated identifiers; "" is highest. */
static int pre_cmp(const char *a, size_t an, const char *b, size_t bn, bool icase)
{
	size_t i = 0, j = 0;

	if (!an || !bn)
		return an == bn ? 0 : (!an ? 1 : -1);
	while (i < an && j < bn) {
		size_t si = i, sj = j;
		bool na = true, nb = true;
		int r;

		while (i < an && a[i] != '.')
			na = na && vs_digit(a[i]), i++;
		while (j < bn && b[j] != '.')
			nb = nb && vs_digit(b[j]), j++;
		if (na && nb)
			r = vs_numcmp(a + si, i - si, b + sj, j - sj);
		else if (na != nb)
			r = na ? -1 : 1;
		else {
			size_t la = i - si, lb = j - sj, m = la < lb ? la : lb;

			r = icase ? strncasecmp(a + si, b + sj, m) : memcmp(a + si, b + sj, m);
			r = vs_sign(r);
			if (!r && la != lb)
				r = la < lb ? -1 : 1;
		}
		if (r)
			return r;
		if (i < an)
			i++;
		if (j < bn)
			j++;
		if (i >= an || j >= bn)
			break;
	}
	if (i >= an && j >= bn)
		return 0;
	return i >= an ? -1 : 1;
}

int bw_gover_compare(const char *a, const char *b)
{
	struct gov x, y;
	bool va = go_parse(a, &x), vb = go_parse(b, &y);
	int r;

	if (!va || !vb)
		return va == vb ? 0 : (va ? 1 : -1);
	if ((r = vs_numcmp(x.maj, x.nmaj, y.maj, y.nmaj)) || (r = vs_numcmp(x.min, x.nmin, y.min, y.nmin)) ||
	    (r = vs_numcmp(x.pat, x.npat, y.pat, y.npat)))
		return r;
	return pre_cmp(x.npre ? x.pre + 1 : "", x.npre ? x.npre - 1 : 0, y.npre ? y.pre + 1 : "",
		       y.npre ? y.npre - 1 : 0, false);
}

/* ---------------------------------------------------------------- RubyGems */

struct gseg {
	const char *s;
	size_t n;
	bool num;
};

/* Gem::Version: "1.2.3", "1.2.a", "1.2-3" (a hyphen means ".pre."). Splits
 * into numeric and alphabetic segments, drops trailing zero segments. */
static int gem_parse(const char *v, struct gseg *seg, size_t max, size_t *ret_n)
{
	const char *p = v, *e;
	size_t n = 0;

	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	e = p + strlen(p);
	while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n'))
		e--;
	if (e - p > (long)BW_MAX_VERSION_LEN)
		return -EINVAL;
	if (p == e) {
		seg[0] = (struct gseg){ "0", 1, true };
		*ret_n = 1;
		return 0;
	}
	if (!vs_digit(*p))
		return -EINVAL;
	while (p < e) {
		const char *st = p;

		if (*p == '.' || *p == '-') {
			if (p + 1 >= e || (!vs_alnum(p[1])))
				return -EINVAL;
			if (*p == '-') {
				if (n >= max)
					return -EINVAL;
				seg[n++] = (struct gseg){ "pre", 3, false };
			}
			p++;
			continue;
		}
		if (vs_digit(*p)) {
			while (p < e && vs_digit(*p))
				p++;
		} else if (vs_alpha(*p)) {
			while (p < e && vs_alpha(*p))
				p++;
		} else {
			return -EINVAL;
		}
		if (n >= max)
			return -EINVAL;
		seg[n++] = (struct gseg){ st, (size_t)(p - st), vs_digit(*st) };
	}
	*ret_n = n;
	return 0;
}

static bool gzero(const struct gseg *s)
{
	if (!s->num)
		return false;
	for (size_t i = 0; i < s->n; i++)
		if (s->s[i] != '0')
			return false;
	return true;
}

int bw_gem_compare(const char *a, const char *b, int *ret_cmp)
{
	struct gseg sa[BW_MAX_VERSION_PARTS], sb[BW_MAX_VERSION_PARTS];
	size_t na, nb, i;
	static const struct gseg zero = { "0", 1, true };

	if (gem_parse(a, sa, BW_ARRAY_SIZE(sa), &na) < 0 || gem_parse(b, sb, BW_ARRAY_SIZE(sb), &nb) < 0)
		return -EINVAL;
	while (na > 1 && gzero(&sa[na - 1]))
		na--;
	while (nb > 1 && gzero(&sb[nb - 1]))
		nb--;
	for (i = 0; i < na || i < nb; i++) {
		const struct gseg *x = i < na ? &sa[i] : &zero, *y = i < nb ? &sb[i] : &zero;
		int r;

		if (x->num && y->num)
			r = vs_numcmp(x->s, x->n, y->s, y->n);
		else if (x->num != y->num)
			r = x->num ? 1 : -1;
		else {
			size_t m = x->n < y->n ? x->n : y->n;

			r = vs_sign(memcmp(x->s, y->s, m));
			if (!r && x->n != y->n)
				r = x->n < y->n ? -1 : 1;
		}
		if (r) {
			*ret_cmp = r;
			return 0;
		}
	}
	*ret_cmp = 0;
	return 0;
}

/* ---------------------------------------------------------------- NuGet */

/* NuGet: up to four numeric parts, SemVer 2 pre-release compared without
 * case, build metadata ignored. */
static int nuget_parse(const char *v, const char *num[4], size_t nn[4], const char **pre, size_t *npre)
{
	const char *p = v;
	int i;

	if (strlen(v) > BW_MAX_VERSION_LEN)
		return -EINVAL;
	if (*p == 'v' || *p == 'V')
		p++;
	for (i = 0; i < 4; i++) {
		num[i] = "0", nn[i] = 1;
	}
	for (i = 0; i < 4; i++) {
		const char *st = p;

		while (vs_digit(*p))
			p++;
		if (p == st)
			return -EINVAL;
		num[i] = st, nn[i] = (size_t)(p - st);
		if (*p != '.')
			break;
		p++;
	}
	*pre = "", *npre = 0;
	if (*p == '-') {
		const char *st = ++p;

		while (vs_alnum(*p) || *p == '-' || *p == '.')
			p++;
		if (p == st)
			return -EINVAL;
		*pre = st, *npre = (size_t)(p - st);
	}
	if (*p == '+') {
		p++;
		while (vs_alnum(*p) || *p == '-' || *p == '.')
			p++;
	}
	return *p ? -EINVAL : 0;
}

int bw_nuget_compare(const char *a, const char *b, int *ret_cmp)
{
	const char *na[4], *nb[4], *pa, *pb;
	size_t la[4], lb[4], ka, kb;
	int i, r;

	if (nuget_parse(a, na, la, &pa, &ka) < 0 || nuget_parse(b, nb, lb, &pb, &kb) < 0)
		return -EINVAL;
	for (i = 0; i < 4; i++)
		if ((r = vs_numcmp(na[i], la[i], nb[i], lb[i]))) {
			*ret_cmp = r;
			return 0;
		}
	*ret_cmp = pre_cmp(pa, ka, pb, kb, true);
	return 0;
}
