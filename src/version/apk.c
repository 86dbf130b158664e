/* SPDX-License-Identifier: Apache-2.0 */
/*
 * apk versions (Gentoo-style): digit{.digit}[letter]{_suffix[digits]}[~hash][-rN].
 * Pre-release suffixes (_alpha, _beta, _pre, _rc) sort before the bare
 * version, post-release ones (_cvs, _svn, _git, _hg, _p) after it. Strings
 * that do not follow the grammar are ordered as plain strings.
 */
#include "version/internal.h"

enum tok { T_DIGIT, T_LETTER, T_SUFFIX, T_SUFFIX_NO, T_HASH, T_REV, T_END };

struct token {
	enum tok t;
	const char *v;
	size_t n;
	int suffix; /* T_SUFFIX: <0 pre-release, >0 post-release */
	bool first; /* T_DIGIT: the leading component */
};

static const char *const pre_suffixes[] = { "alpha", "beta", "pre", "rc" };
static const char *const post_suffixes[] = { "cvs", "svn", "git", "hg", "p" };

static bool is_hex(int c)
{
	return vs_digit(c) || (c >= 'a' && c <= 'f');
}

static const char *digits(const char *p)
{
	while (vs_digit(*p))
		p++;
	return p;
}

/* Splits v into tokens (T_END last). Returns the count, or -EINVAL when v
 * does not follow the grammar. */
static int tokenize_(const char *v, struct token *tk, size_t max, size_t *ret_n);

/* Lenient: the tokens before the first one that breaks the grammar. */
static int tokenize(const char *v, struct token *tk, size_t max, bool lenient)
{
	size_t n = 0;
	int r = tokenize_(v, tk, max, &n);

	if (r < 0 && lenient && n > 0) {
		tk[n] = (struct token){ .t = T_END };
		return (int)n + 1;
	}
	return r;
}

static int tokenize_(const char *v, struct token *tk, size_t max, size_t *ret_n)
{
	const char *p = v, *q;
	size_t n = 0;

#define PUSH(type, start, len)                                 \
	do {                                                   \
		if (n + 1 >= max)                              \
			return -EINVAL;                        \
		tk[n++] = (struct token){ .t = (type), .v = (start), .n = (len) }; \
		*ret_n = n;                                    \
	} while (0)

	q = digits(p);
	if (q == p)
		return -EINVAL;
	PUSH(T_DIGIT, p, (size_t)(q - p));
	tk[0].first = true;
	p = q;
	while (*p == '.') {
		q = digits(p + 1);
		if (q == p + 1)
			return -EINVAL;
		PUSH(T_DIGIT, p + 1, (size_t)(q - p - 1));
		p = q;
	}
	if (*p >= 'a' && *p <= 'z') {
		PUSH(T_LETTER, p, 1);
		p++;
	}
	while (*p == '_') {
		int rank = 0;
		size_t i, len = 0;

		p++;
		for (i = 0; i < BW_ARRAY_SIZE(pre_suffixes) && !rank; i++) {
			len = strlen(pre_suffixes[i]);
			if (!strncmp(p, pre_suffixes[i], len))
				rank = (int)i - 4;
		}
		for (i = 0; i < BW_ARRAY_SIZE(post_suffixes) && !rank; i++) {
			len = strlen(post_suffixes[i]);
			if (!strncmp(p, post_suffixes[i], len))
				rank = (int)i + 1;
		}
		if (!rank)
			return -EINVAL;
		PUSH(T_SUFFIX, p, len);
		tk[n - 1].suffix = rank;
		p += len;
		q = digits(p);
		if (q != p) {
			PUSH(T_SUFFIX_NO, p, (size_t)(q - p));
			p = q;
		}
	}
	if (*p == '~') {
		q = ++p;
		while (is_hex(*q))
			q++;
		if (q == p)
			return -EINVAL;
		PUSH(T_HASH, p, (size_t)(q - p));
		p = q;
	}
	if (p[0] == '-' && p[1] == 'r') {
		q = digits(p + 2);
		if (q == p + 2)
			return -EINVAL;
		PUSH(T_REV, p + 2, (size_t)(q - p - 2));
		p = q;
	}
	if (*p)
		return -EINVAL;
	PUSH(T_END, p, 0);
#undef PUSH
	return (int)n;
}

bool bw_apk_valid(const char *v)
{
	struct token tk[BW_MAX_VERSION_PARTS];

	return strlen(v) <= BW_MAX_VERSION_LEN && tokenize(v, tk, BW_ARRAY_SIZE(tk), false) > 0;
}

static int str_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	int r = memcmp(a, b, an < bn ? an : bn);

	if (r)
		return vs_sign(r);
	return an == bn ? 0 : (an < bn ? -1 : 1);
}

static int token_cmp(const struct token *a, const struct token *b)
{
	switch (a->t) {
	case T_DIGIT:
		/* Gentoo: a later component with a leading zero compares as a
		 * string (1.01 < 1.1), trailing zeros ignored. */
		if (!a->first && (a->v[0] == '0' || b->v[0] == '0')) {
			size_t an = a->n, bn = b->n;

			while (an > 1 && a->v[an - 1] == '0')
				an--;
			while (bn > 1 && b->v[bn - 1] == '0')
				bn--;
			return str_cmp(a->v, an, b->v, bn);
		}
		return vs_numcmp(a->v, a->n, b->v, b->n);
	case T_SUFFIX:
		return vs_sign(a->suffix - b->suffix);
	case T_LETTER:
	case T_HASH:
		return str_cmp(a->v, a->n, b->v, b->n);
	case T_SUFFIX_NO:
	case T_REV:
		return vs_numcmp(a->v, a->n, b->v, b->n);
	default:
		return 0;
	}
}

/* fuzzy: stop as soon as b runs out (b is a prefix of a). */
static int compare(const char *a, const char *b, bool fuzzy, bool *ret_prefix)
{
	struct token ta[BW_MAX_VERSION_PARTS], tb[BW_MAX_VERSION_PARTS];
	int na, nb, i, r;

	*ret_prefix = false;
	if (strlen(a) > BW_MAX_VERSION_LEN || strlen(b) > BW_MAX_VERSION_LEN)
		return vs_sign(strcmp(a, b));
	na = tokenize(a, ta, BW_ARRAY_SIZE(ta), fuzzy);
	nb = tokenize(b, tb, BW_ARRAY_SIZE(tb), fuzzy);
	if (na < 0 || nb < 0)
		return vs_sign(strcmp(a, b));
	for (i = 0; ta[i].t == tb[i].t && ta[i].t != T_END; i++) {
		r = token_cmp(&ta[i], &tb[i]);
		if (r)
			return r;
	}
	if (fuzzy && tb[i].t == T_END) {
		*ret_prefix = true;
		return 0;
	}
	if (ta[i].t == tb[i].t)
		return 0;
	if (ta[i].t == T_SUFFIX && ta[i].suffix < 0)
		return -1;
	if (tb[i].t == T_SUFFIX && tb[i].suffix < 0)
		return 1;
	return ta[i].t > tb[i].t ? -1 : 1;
}

int bw_apk_compare(const char *a, const char *b)
{
	bool prefix;

	return compare(a, b, false, &prefix);
}

bool bw_apk_fuzzy_match(const char *a, const char *b)
{
	bool prefix;

	return compare(a, b, true, &prefix) == 0;
}
