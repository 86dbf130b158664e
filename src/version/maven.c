/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Maven ComparableVersion: a version is a tree of lists (a '-' or a switch
 * between letters and digits opens a sub-list) of numbers, qualifiers and
 * qualifier+number combinations, normalised by dropping null items, then
 * compared item by item with the qualifier order alpha < beta < milestone <
 * rc = cr < snapshot < "" = ga = final = release < sp < anything else.
 */
#include <stdio.h>

#include "version/internal.h"

enum mtype { M_NUM, M_STR, M_LIST, M_COMB };

#define M_MAX_ITEMS 1024
#define M_MAX_LEN 256
#define M_KIDS_PER_LIST 260

struct mitem {
	enum mtype t;
	const char *s; /* M_NUM: digits (no leading zeros, "0" for zero); M_STR: qualifier */
	size_t n;
	struct mitem *str, *num;	   /* M_COMB parts */
	struct mitem **kids;	   /* M_LIST */
	size_t nkids;
};

struct mver {
	struct mitem pool[M_MAX_ITEMS];
	struct mitem *kidpool[M_KIDS_PER_LIST * 200];
	size_t npool, nkidpool;
	char buf[M_MAX_LEN * 2 + 16];
	size_t nbuf;
	struct mitem *root;
	bool overflow;
};

static struct mitem *m_new(struct mver *m, enum mtype t)
{
	struct mitem *it;

	if (m->npool >= M_MAX_ITEMS) {
		m->overflow = true;
		return NULL;
	}
	it = &m->pool[m->npool++];
	memset(it, 0, sizeof(*it));
	it->t = t;
	return it;
}

/* Lists grow in place in kidpool: only the innermost open list appends, and
 * every list is the last item of its parent, so lists get disjoint slices
 * if each reserves the rest of the pool lazily. To keep it simple we give
 * each list a slice when created. */
#define M_KIDS_PER_LIST_UNUSED 0

static struct mitem *m_list(struct mver *m)
{
	struct mitem *l = m_new(m, M_LIST);

	if (!l)
		return NULL;
	if (m->nkidpool + M_KIDS_PER_LIST > BW_ARRAY_SIZE(m->kidpool)) {
		m->overflow = true;
		return NULL;
	}
	l->kids = &m->kidpool[m->nkidpool];
	m->nkidpool += M_KIDS_PER_LIST;
	return l;
}

static void m_add(struct mver *m, struct mitem *l, struct mitem *it)
{
	if (!l || !it)
		return;
	if (l->nkids >= M_KIDS_PER_LIST) {
		m->overflow = true;
		return;
	}
	l->kids[l->nkids++] = it;
}

static const char *m_save(struct mver *m, const char *s, size_t n)
{
	char *p;

	if (m->nbuf + n + 1 > sizeof(m->buf)) {
		m->overflow = true;
		return "";
	}
	p = m->buf + m->nbuf;
	memcpy(p, s, n);
	p[n] = '\0';
	m->nbuf += n + 1;
	return p;
}

static struct mitem *m_num(struct mver *m, const char *s, size_t n)
{
	struct mitem *it = m_new(m, M_NUM);

	if (!it)
		return NULL;
	while (n > 1 && *s == '0')
		s++, n--;
	if (n == 0)
		s = "0", n = 1;
	it->s = s;
	it->n = n;
	return it;
}

static struct mitem *m_str(struct mver *m, const char *s, size_t n, bool followed_by_digit)
{
	struct mitem *it = m_new(m, M_STR);

	if (!it)
		return NULL;
	if (followed_by_digit && n == 1) {
		if (*s == 'a')
			s = "alpha", n = 5;
		else if (*s == 'b')
			s = "beta", n = 4;
		else if (*s == 'm')
			s = "milestone", n = 9;
	}
	if (n == 2 && !memcmp(s, "cr", 2))
		s = "rc";
	it->s = s;
	it->n = (n == 2 && !memcmp(s, "rc", 2)) ? 2 : n;
	return it;
}

static struct mitem *m_item(struct mver *m, bool comb, bool digit, const char *s, size_t n)
{
	if (comb) {
		char tmp[M_MAX_LEN + 1];
		size_t k = 0, i, idx = 0;
		const char *saved;
		struct mitem *it;

		for (i = 0; i < n && k < M_MAX_LEN; i++)
			if (s[i] != '-')
				tmp[k++] = s[i];
		for (i = 0; i < k; i++)
			if (vs_digit(tmp[i])) {
				idx = i;
				break;
			}
		saved = m_save(m, tmp, k);
		it = m_new(m, M_COMB);
		if (!it)
			return NULL;
		it->str = m_str(m, saved, idx, true);
		it->num = m_num(m, saved + idx, k - idx);
		if (!it->str || !it->num)
			return NULL;
		return it;
	}
	if (digit)
		return m_num(m, s, n);
	return m_str(m, s, n, false);
}

static bool m_isnull(const struct mitem *it)
{
	switch (it->t) {
	case M_NUM:
		return it->n == 1 && it->s[0] == '0';
	case M_STR:
		return it->n == 0;
	case M_LIST:
		return it->nkids == 0;
	default:
		return false;
	}
}

static void m_normalize(struct mitem *l)
{
	size_t i;

	for (i = l->nkids; i-- > 0;) {
		bool drop = false;

		if (!m_isnull(l->kids[i]))
			continue;
		if (i == l->nkids - 1 || l->kids[i + 1]->t == M_STR)
			drop = true;
		else if (l->kids[i + 1]->t == M_LIST && l->kids[i + 1]->nkids) {
			enum mtype t = l->kids[i + 1]->kids[0]->t;

			drop = t == M_COMB || t == M_STR;
		}
		if (drop) {
			memmove(&l->kids[i], &l->kids[i + 1], (l->nkids - i - 1) * sizeof(l->kids[0]));
			l->nkids--;
		}
	}
	if (l->nkids == 1 && l->kids[0]->t == M_LIST) {
		struct mitem *sub = l->kids[0];

		l->kids = sub->kids;
		l->nkids = sub->nkids;
	}
}

static void m_parse(struct mver *m, const char *v)
{
	struct mitem *stack[M_MAX_ITEMS];
	size_t nstack = 0, i, start = 0, len = strlen(v);
	struct mitem *list;
	char low[M_MAX_LEN + 1];
	bool digit = false, comb = false;

	m->npool = m->nkidpool = m->nbuf = 0;
	m->overflow = false;
	if (len > M_MAX_LEN)
		len = M_MAX_LEN;
	for (i = 0; i < len; i++)
		low[i] = (char)((v[i] >= 'A' && v[i] <= 'Z') ? v[i] + 32 : v[i]);
	low[len] = '\0';
	v = m_save(m, low, len);
	list = m->root = m_list(m);
	if (!list)
		return;
	stack[nstack++] = list;

#define NEWLIST()                                     \
	do {                                          \
		struct mitem *nl_ = m_list(m);        \
		if (!nl_)                             \
			return;                       \
		m_add(m, list, nl_);                  \
		list = nl_;                           \
		stack[nstack++] = list;               \
	} while (0)

	for (i = 0; i < len && !m->overflow; i++) {
		char c = v[i];

		if (c == '.') {
			if (i == start)
				m_add(m, list, m_num(m, "0", 1));
			else
				m_add(m, list, m_item(m, comb, digit, v + start, i - start));
			comb = false;
			start = i + 1;
		} else if (c == '-') {
			if (i == start) {
				m_add(m, list, m_num(m, "0", 1));
			} else {
				if (!digit && i != len - 1 && vs_digit(v[i + 1])) {
					comb = true;
					continue;
				}
				m_add(m, list, m_item(m, comb, digit, v + start, i - start));
			}
			start = i + 1;
			if (list->nkids)
				NEWLIST();
			comb = false;
		} else if (vs_digit(c)) {
			if (!digit && i > start) {
				comb = true;
				if (list->nkids)
					NEWLIST();
			}
			digit = true;
		} else {
			if (digit && i > start) {
				m_add(m, list, m_item(m, comb, true, v + start, i - start));
				start = i;
				NEWLIST();
				comb = false;
			}
			digit = false;
		}
		if (nstack >= BW_ARRAY_SIZE(stack) - 1)
			m->overflow = true;
	}
	if (len > start && !m->overflow) {
		if (!digit && list->nkids)
			NEWLIST();
		m_add(m, list, m_item(m, comb, digit, v + start, len - start));
	}
#undef NEWLIST
	while (nstack)
		m_normalize(stack[--nstack]);
}

/* comparableQualifier(): known qualifiers by rank, then others lexically. */
static void m_qual(const struct mitem *s, char *out, size_t outsz)
{
	static const char *const q[] = { "alpha", "beta", "milestone", "rc", "snapshot", "", "sp" };
	size_t i;

	if ((s->n == 2 && !memcmp(s->s, "ga", 2)) || (s->n == 5 && !memcmp(s->s, "final", 5)) ||
	    (s->n == 7 && !memcmp(s->s, "release", 7))) {
		snprintf(out, outsz, "5");
		return;
	}
	for (i = 0; i < BW_ARRAY_SIZE(q); i++)
		if (strlen(q[i]) == s->n && !memcmp(q[i], s->s, s->n)) {
			snprintf(out, outsz, "%zu", i);
			return;
		}
	snprintf(out, outsz, "7-%.*s", (int)s->n, s->s);
}

static int m_cmp(const struct mitem *a, const struct mitem *b);

static int m_qcmp(const struct mitem *a, const struct mitem *b)
{
	char qa[M_MAX_LEN + 8], qb[M_MAX_LEN + 8];

	m_qual(a, qa, sizeof(qa));
	if (b)
		m_qual(b, qb, sizeof(qb));
	else
		snprintf(qb, sizeof(qb), "5");
	return vs_sign(strcmp(qa, qb));
}

static int m_cmp(const struct mitem *a, const struct mitem *b)
{
	size_t i;
	int r;

	switch (a->t) {
	case M_NUM:
		if (!b)
			return m_isnull(a) ? 0 : 1;
		if (b->t == M_NUM)
			return vs_numcmp(a->s, a->n, b->s, b->n);
		return 1;
	case M_STR:
		if (!b)
			return m_qcmp(a, NULL);
		switch (b->t) {
		case M_NUM:
			return -1;
		case M_STR:
			return m_qcmp(a, b);
		case M_COMB:
			r = m_cmp(a, b->str);
			if (r == 0) {
				if (m_cmp(a, NULL) == 0)
					return -m_cmp(b->num, NULL);
				return -1;
			}
			return r;
		default:
			return -m_cmp(b, a);
		}
	case M_COMB:
		if (!b) {
			r = m_cmp(a->str, NULL);
			return r ? r : m_cmp(a->num, NULL);
		}
		switch (b->t) {
		case M_NUM:
			return -1;
		case M_STR:
			r = m_cmp(a->str, b);
			if (r == 0)
				return m_cmp(a->str, NULL) == 0 ? m_cmp(a->num, NULL) : 1;
			return r;
		case M_LIST:
			return -m_cmp(b, a);
		default:
			r = m_cmp(a->str, b->str);
			return r ? r : m_cmp(a->num, b->num);
		}
	case M_LIST:
		if (!b) {
			for (i = 0; i < a->nkids; i++)
				if ((r = m_cmp(a->kids[i], NULL)))
					return r;
			return 0;
		}
		switch (b->t) {
		case M_NUM:
			return -1;
		case M_STR:
		case M_COMB:
			r = a->nkids ? m_cmp(a->kids[0], b) : -m_cmp(b, NULL);
			for (i = 1; r == 0 && i < a->nkids; i++)
				r = m_cmp(a->kids[i], NULL);
			return r;
		default:
			for (i = 0; i < a->nkids || i < b->nkids; i++) {
				const struct mitem *l = i < a->nkids ? a->kids[i] : NULL;
				const struct mitem *rr = i < b->nkids ? b->kids[i] : NULL;

				if (!l)
					r = rr ? -m_cmp(rr, NULL) : 0;
				else
					r = m_cmp(l, rr);
				if (r)
					return r;
			}
			return 0;
		}
	}
	return 0;
}

int bw_maven_compare(const char *a, const char *b)
{
	static __thread struct mver ma, mb;

	m_parse(&ma, a);
	m_parse(&mb, b);
	if (ma.overflow || mb.overflow || !ma.root || !mb.root)
		return vs_sign(strcmp(a, b));
	return m_cmp(ma.root, mb.root);
}
