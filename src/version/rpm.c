/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rpm: rpmvercmp() compares alternating runs of digits and letters; any other
 * character only separates. '~' sorts before everything (even the end), '^'
 * after the end but before any further segment.
 */
#include <stdio.h>

#include "version/internal.h"

static int seg_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	int r = memcmp(a, b, an < bn ? an : bn);

	if (r)
		return vs_sign(r);
	return an == bn ? 0 : (an < bn ? -1 : 1);
}

int bw_rpmvercmp(const char *a, const char *b)
{
	const char *one = a, *two = b;

	if (!strcmp(a, b))
		return 0;
	while (*one || *two) {
		const char *s1, *s2;
		bool isnum;
		int r;

		while (*one && !vs_alnum(*one) && *one != '~' && *one != '^')
			one++;
		while (*two && !vs_alnum(*two) && *two != '~' && *two != '^')
			two++;
		if (*one == '~' || *two == '~') {
			if (*one != '~')
				return 1;
			if (*two != '~')
				return -1;
			one++, two++;
			continue;
		}
		if (*one == '^' || *two == '^') {
			if (!*one)
				return -1;
			if (!*two)
				return 1;
			if (*one != '^')
				return 1;
			if (*two != '^')
				return -1;
			one++, two++;
			continue;
		}
		if (!(*one && *two))
			break;
		s1 = one, s2 = two;
		isnum = vs_digit(*s1);
		if (isnum) {
			while (vs_digit(*s1))
				s1++;
			while (vs_digit(*s2))
				s2++;
		} else {
			while (vs_alpha(*s1))
				s1++;
			while (vs_alpha(*s2))
				s2++;
		}
		if (s2 == two)
			return isnum ? 1 : -1;
		if (isnum)
			r = vs_numcmp(one, (size_t)(s1 - one), two, (size_t)(s2 - two));
		else
			r = seg_cmp(one, (size_t)(s1 - one), two, (size_t)(s2 - two));
		if (r)
			return r;
		one = s1, two = s2;
	}
	if (!*one && !*two)
		return 0;
	return *one ? 1 : -1;
}

struct evr {
	char buf[BW_MAX_VERSION_LEN + 1];
	const char *e, *v, *r;
};

static void evr_split(const char *s, struct evr *x)
{
	char *colon, *hy, *p;

	snprintf(x->buf, sizeof(x->buf), "%s", s);
	x->e = "";
	x->v = x->buf;
	x->r = "";
	colon = strchr(x->buf, ':');
	if (colon) {
		for (p = x->buf; p < colon && vs_digit(*p); p++)
			;
		if (p == colon) {
			*colon = '\0';
			x->e = x->buf;
			x->v = colon + 1;
		}
	}
	hy = strrchr(x->v, '-');
	if (hy) {
		*hy = '\0';
		x->r = hy + 1;
	}
}

int bw_rpm_evr_compare(const char *a, const char *b)
{
	static __thread struct evr x, y;
	int r;

	evr_split(a, &x);
	evr_split(b, &y);
	r = vs_numcmp(x.e, strlen(x.e), y.e, strlen(y.e));
	if (r)
		return r;
	r = bw_rpmvercmp(x.v, y.v);
	if (r)
		return r;
	return bw_rpmvercmp(x.r, y.r);
}
