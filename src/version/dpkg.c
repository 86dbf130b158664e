/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dpkg versions, Debian Policy 5.6.12: [epoch:]upstream[-revision]. The epoch
 * ends at the first colon, the revision starts after the last hyphen.
 */
#include <limits.h>

#include "version/internal.h"

int vs_numcmp(const char *a, size_t an, const char *b, size_t bn)
{
	while (an && *a == '0')
		a++, an--;
	while (bn && *b == '0')
		b++, bn--;
	if (an != bn)
		return an < bn ? -1 : 1;
	return an ? vs_sign(memcmp(a, b, an)) : 0;
}

static bool is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

int bw_dpkg_parse(const char *v, char *buf, size_t bufsz, struct bw_dpkg_version *ret)
{
	const char *s = v, *e;
	char *colon, *hyphen, *up, *p;
	unsigned long epoch = 0;
	size_t n;

	while (is_space(*s))
		s++;
	e = s + strlen(s);
	while (e > s && is_space(e[-1]))
		e--;
	n = (size_t)(e - s);
	if (n == 0 || n > BW_MAX_VERSION_LEN || n + 1 > bufsz)
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	for (p = buf; *p; p++)
		if (is_space(*p))
			return -EINVAL;

	up = buf;
	colon = strchr(buf, ':');
	if (colon) {
		if (colon == buf)
			return -EINVAL;
		for (p = buf; p < colon; p++) {
			if (!vs_digit(*p))
				return -EINVAL;
			if (epoch > (INT_MAX - (unsigned long)(*p - '0')) / 10)
				return -EINVAL;
			epoch = epoch * 10 + (unsigned long)(*p - '0');
		}
		up = colon + 1;
		if (!*up)
			return -EINVAL;
	}
	hyphen = strrchr(up, '-');
	if (hyphen) {
		*hyphen = '\0';
		if (!hyphen[1])
			return -EINVAL;
	}
	if (!*up || !vs_digit(*up))
		return -EINVAL;
	for (p = up; *p; p++)
		if (!vs_alnum(*p) && !strchr(".-+~:", *p))
			return -EINVAL;
	if (hyphen)
		for (p = hyphen + 1; *p; p++)
			if (!vs_alnum(*p) && !strchr(".+~", *p))
				return -EINVAL;
	ret->epoch = epoch;
	ret->upstream = up;
	ret->revision = hyphen ? hyphen + 1 : "";
	return 0;
}

/* The order of a character in a non-digit run: ~ first, then the end, then
 * letters, then everything else by ASCII. */
static int order(int c)
{
	if (vs_digit(c))
		return 0;
	if (vs_alpha(c))
		return c;
	if (c == '~')
		return -1;
	if (c)
		return c + 256;
	return 0;
}

static int verrevcmp(const char *a, const char *b)
{
	while (*a || *b) {
		int first_diff = 0;

		while ((*a && !vs_digit(*a)) || (*b && !vs_digit(*b))) {
			int ac = order(*a), bc = order(*b);

			if (ac != bc)
				return ac - bc;
			a++;
			b++;
		}
		while (*a == '0')
			a++;
		while (*b == '0')
			b++;
		while (vs_digit(*a) && vs_digit(*b)) {
			if (!first_diff)
				first_diff = *a - *b;
			a++;
			b++;
		}
		if (vs_digit(*a))
			return 1;
		if (vs_digit(*b))
			return -1;
		if (first_diff)
			return first_diff;
	}
	return 0;
}

/* Compares without validating the characters (dpkg orders what it warns
 * about); only structurally broken versions fail. */
static int split(const char *v, char *buf, size_t bufsz, struct bw_dpkg_version *ret)
{
	const char *s = v;
	char *colon, *hyphen, *up, *p;
	unsigned long epoch = 0;
	size_t n;

	while (is_space(*s))
		s++;
	n = strlen(s);
	while (n && is_space(s[n - 1]))
		n--;
	if (n == 0 || n + 1 > bufsz)
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	up = buf;
	colon = strchr(buf, ':');
	if (colon) {
		for (p = buf; p < colon; p++) {
			if (!vs_digit(*p) || epoch > INT_MAX / 10)
				return -EINVAL;
			epoch = epoch * 10 + (unsigned long)(*p - '0');
		}
		if (colon == buf || !colon[1])
			return -EINVAL;
		up = colon + 1;
	}
	hyphen = strrchr(up, '-');
	if (hyphen) {
		*hyphen = '\0';
		if (!hyphen[1] || !*up)
			return -EINVAL;
	}
	ret->epoch = epoch;
	ret->upstream = up;
	ret->revision = hyphen ? hyphen + 1 : "";
	return 0;
}

bool bw_dpkg_orderable(const char *v)
{
	char buf[BW_MAX_VERSION_LEN + 1];
	struct bw_dpkg_version dv;

	if (strlen(v) > BW_MAX_VERSION_LEN || split(v, buf, sizeof(buf), &dv) < 0)
		return false;
	for (const char *p = dv.upstream; *p; p++)
		if (!vs_alnum(*p) && !strchr(".+~-:", *p))
			return false;
	/* Real revisions carry '_' (rebuilt rpm-style names); dpkg warns. */
	for (const char *p = dv.revision; *p; p++)
		if (!vs_alnum(*p) && !strchr(".+~_", *p))
			return false;
	return vs_digit(*dv.upstream);
}

int bw_dpkg_compare(const char *a, const char *b, int *ret_cmp)
{
	struct bw_dpkg_version va, vb;
	size_t la = strlen(a) + 1, lb = strlen(b) + 1;
	int r;

	if (la > BW_MAX_VERSION_LEN || lb > BW_MAX_VERSION_LEN)
		return -EINVAL;
	{
		char ba[BW_MAX_VERSION_LEN + 1], bb[BW_MAX_VERSION_LEN + 1];

		if (split(a, ba, la, &va) < 0 || split(b, bb, lb, &vb) < 0)
			return -EINVAL;
		if (va.epoch != vb.epoch)
			r = va.epoch < vb.epoch ? -1 : 1;
		else {
			r = verrevcmp(va.upstream, vb.upstream);
			if (!r)
				r = verrevcmp(va.revision, vb.revision);
		}
	}
	*ret_cmp = vs_sign(r);
	return 0;
}
