/* SPDX-License-Identifier: Apache-2.0 */
/*
 * In-place JSON decoding into an arena (see json.h). The grammar is RFC 8259,
 * strict: no comments, no trailing commas, no control characters in strings,
 * no lone surrogates, no \u0000 (values are used as C strings), nothing but
 * whitespace after the document.
 *
 * Children of an array or object are collected on a growable scratch stack
 * and copied into the arena when the container closes, so each container is
 * one contiguous array.
 */
#include <errno.h>
#include <stdlib.h>

#include "bulwark/core.h"

#include "runtime/json.h"

/* Bytes a string may hold as they are (not '"', '\\', < 0x20). */
static inline bool plain(uint8_t c)
{
	return c >= 0x20 && c != '"' && c != '\\';
}

static int fail(struct json_cursor *jp, const char *msg)
{
	jp->msg = msg;
	return -EINVAL;
}

static inline void skip_ws(struct json_cursor *jp)
{
	while (jp->p < jp->end && (*jp->p == ' ' || *jp->p == '\n' || *jp->p == '\t' || *jp->p == '\r'))
		jp->p++;
}

int json_hex4(const char *s, unsigned *ret)
{
	unsigned x = 0;

	for (int i = 0; i < 4; i++) {
		char c = s[i];
		x <<= 4;
		if (c >= '0' && c <= '9')
			x |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			x |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			x |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*ret = x;
	return 0;
}

size_t json_utf8(unsigned u, char *out)
{
	if (u < 0x80) {
		out[0] = (char)u;
		return 1;
	}
	if (u < 0x800) {
		out[0] = (char)(0xc0 | (u >> 6));
		out[1] = (char)(0x80 | (u & 0x3f));
		return 2;
	}
	if (u < 0x10000) {
		out[0] = (char)(0xe0 | (u >> 12));
		out[1] = (char)(0x80 | ((u >> 6) & 0x3f));
		out[2] = (char)(0x80 | (u & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (u >> 18));
	out[1] = (char)(0x80 | ((u >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((u >> 6) & 0x3f));
	out[3] = (char)(0x80 | (u & 0x3f));
	return 4;
}

/* Parses the string whose opening quote is at jp->p; unescapes in place. */
static int parse_string(struct json_cursor *jp, const char **ret, uint32_t *ret_len)
{
	char *r = jp->p + 1, *end = jp->end, *w, *start = r;

	/* Eight bytes at a time while none is special. */
	while (end - r >= 8) {
		uint64_t x, ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
		memcpy(&x, r, 8);
		uint64_t q = x ^ (ones * '"'), bs = x ^ (ones * '\\');
		uint64_t special = ((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((bs - ones) & ~bs);
		if (special & high)
			break;
		r += 8;
	}
	while (r < end && plain((uint8_t)*r))
		r++;
	w = r;
	for (;;) {
		if (r >= end)
			return fail(jp, "unterminated string");
		uint8_t c = (uint8_t)*r;
		if (c == '"')
			break;
		if (c < 0x20)
			return fail(jp, "control character in string");
		if (c != '\\') {
			*w++ = *r++;
			continue;
		}
		if (r + 1 >= end)
			return fail(jp, "unterminated string");
		switch (r[1]) {
		case '"': *w++ = '"'; break;
		case '\\': *w++ = '\\'; break;
		case '/': *w++ = '/'; break;
		case 'b': *w++ = '\b'; break;
		case 'f': *w++ = '\f'; break;
		case 'n': *w++ = '\n'; break;
		case 'r': *w++ = '\r'; break;
		case 't': *w++ = '\t'; break;
		case 'u': {
			unsigned u, lo;
			if (end - r < 6 || json_hex4(r + 2, &u) < 0)
				return fail(jp, "invalid \\u escape");
			r += 6;
			if (u >= 0xd800 && u <= 0xdbff) {
				if (end - r < 6 || r[0] != '\\' || r[1] != 'u' || json_hex4(r + 2, &lo) < 0 ||
				    lo < 0xdc00 || lo > 0xdfff)
					return fail(jp, "invalid Unicode surrogate");
				u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
				r += 6;
			} else if (u >= 0xdc00 && u <= 0xdfff) {
				return fail(jp, "invalid Unicode surrogate");
			} else if (u == 0) {
				return fail(jp, "\\u0000 is not allowed");
			}
			/* UTF-8 is never longer than the escape it replaces. */
			w += json_utf8(u, w);
			continue;
		}
		default:
			return fail(jp, "invalid escape in string");
		}
		r += 2;
	}
	if (w - start > (ptrdiff_t)UINT32_MAX)
		return fail(jp, "string too long");
	*w = 0; /* w <= r: overwrites the closing quote or unused bytes */
	*ret = start;
	*ret_len = (uint32_t)(w - start);
	jp->p = r + 1;
	return 0;
}

static int parse_number(struct json_cursor *jp, struct jv *v)
{
	char *s = jp->p, *p = s, *end = jp->end;
	bool neg = false, is_int = true;
	uint64_t x = 0;
	bool ovf = false;

	if (p < end && *p == '-') {
		neg = true;
		p++;
	}
	if (p >= end || *p < '0' || *p > '9')
		return fail(jp, "invalid number");
	if (*p == '0') {
		p++;
	} else {
		while (p < end && *p >= '0' && *p <= '9') {
			unsigned d = (unsigned)(*p - '0');
			if (x > (UINT64_MAX - d) / 10)
				ovf = true;
			else
				x = x * 10 + d;
			p++;
		}
	}
	if (p < end && *p == '.') {
		is_int = false;
		p++;
		if (p >= end || *p < '0' || *p > '9')
			return fail(jp, "invalid number");
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		is_int = false;
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || *p < '0' || *p > '9')
			return fail(jp, "invalid number");
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p - s > 4096)
		return fail(jp, "number too long");
	v->s = s;
	v->n = (uint32_t)(p - s);
	if (is_int && !ovf && x <= (uint64_t)INT64_MAX + neg) {
		v->type = J_INT;
		v->i = neg ? (int64_t)(0 - x) : (int64_t)x;
	} else {
		/* Reals (and integers beyond 64 bits): truncated for comparisons. */
		char tmp[4100];
		memcpy(tmp, s, v->n);
		tmp[v->n] = 0;
		double d = strtod(tmp, NULL);
		v->type = J_REAL;
		v->i = d >= 9.2e18 ? INT64_MAX : d <= -9.2e18 ? INT64_MIN : (int64_t)d;
	}
	jp->p = p;
	return 0;
}

static int grow(struct json_cursor *jp)
{
	size_t nc = jp->cap * 2;
	struct jv *ns = malloc(nc * sizeof(*ns));

	if (!ns)
		return -ENOMEM;
	memcpy(ns, jp->stack, jp->sp * sizeof(*ns));
	if (jp->stack != jp->stack0)
		free(jp->stack);
	jp->stack = ns;
	jp->cap = nc;
	return 0;
}

static inline int push(struct json_cursor *jp, const struct jv *v)
{
	if (jp->sp == jp->cap && grow(jp) < 0)
		return -ENOMEM;
	jp->stack[jp->sp++] = *v;
	return 0;
}

static int keycmp(const void *a, const void *b)
{
	const struct jv *x = *(const struct jv *const *)a, *y = *(const struct jv *const *)b;

	if (x->klen != y->klen)
		return x->klen < y->klen ? -1 : 1;
	return memcmp(x->key, y->key, x->klen);
}

static int check_dups(struct json_cursor *jp, struct jv *m, size_t n)
{
	if (n <= 32) {
		for (size_t i = 1; i < n; i++)
			for (size_t j = 0; j < i; j++)
				if (m[i].klen == m[j].klen && !memcmp(m[i].key, m[j].key, m[i].klen))
					return fail(jp, "duplicate object key");
		return 0;
	}
	const struct jv **idx = malloc(n * sizeof(*idx));
	if (!idx)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		idx[i] = &m[i];
	qsort(idx, n, sizeof(*idx), keycmp);
	int r = 0;
	for (size_t i = 1; i < n && !r; i++)
		if (!keycmp(&idx[i - 1], &idx[i]))
			r = fail(jp, "duplicate object key");
	free(idx);
	return r;
}

static int parse_value(struct json_cursor *jp, struct jv *v);

/* Moves stack[base..sp) into the arena as v's children. */
static int close_container(struct json_cursor *jp, struct jv *v, size_t base)
{
	size_t n = jp->sp - base;

	v->n = (uint32_t)n;
	v->kids = NULL;
	if (n) {
		if (!(v->kids = rt_alloc(jp->a, n * sizeof(struct jv))))
			return -ENOMEM;
		memcpy(v->kids, jp->stack + base, n * sizeof(struct jv));
	}
	jp->sp = base;
	jp->depth--;
	return 0;
}

static int parse_object(struct json_cursor *jp, struct jv *v)
{
	size_t base = jp->sp;
	int r;

	jp->p++;
	v->type = J_OBJ;
	skip_ws(jp);
	if (jp->p < jp->end && *jp->p == '}') {
		jp->p++;
		return close_container(jp, v, base);
	}
	for (;;) {
		struct jv m = { 0 };
		const char *key;
		uint32_t klen;
		skip_ws(jp);
		if (jp->p >= jp->end || *jp->p != '"')
			return fail(jp, "expected an object key");
		if ((r = parse_string(jp, &key, &klen)) < 0)
			return r;
		skip_ws(jp);
		if (jp->p >= jp->end || *jp->p != ':')
			return fail(jp, "expected ':'");
		jp->p++;
		if ((r = parse_value(jp, &m)) < 0)
			return r;
		m.key = key;
		m.klen = klen;
		if (jp->sp - base >= UINT32_MAX - 1)
			return fail(jp, "object too large");
		if ((r = push(jp, &m)) < 0)
			return r;
		skip_ws(jp);
		if (jp->p >= jp->end)
			return fail(jp, "unterminated object");
		if (*jp->p == ',') {
			jp->p++;
			continue;
		}
		if (*jp->p != '}')
			return fail(jp, "expected ',' or '}'");
		jp->p++;
		break;
	}
	if ((jp->flags & JSON_REJECT_DUPS) &&
	    (r = check_dups(jp, jp->stack + base, jp->sp - base)) < 0)
		return r;
	return close_container(jp, v, base);
}

static int parse_array(struct json_cursor *jp, struct jv *v)
{
	size_t base = jp->sp;
	int r;

	jp->p++;
	v->type = J_ARR;
	skip_ws(jp);
	if (jp->p < jp->end && *jp->p == ']') {
		jp->p++;
		return close_container(jp, v, base);
	}
	for (;;) {
		struct jv item = { 0 };
		if ((r = parse_value(jp, &item)) < 0)
			return r;
		if (jp->sp - base >= UINT32_MAX - 1)
			return fail(jp, "array too large");
		if ((r = push(jp, &item)) < 0)
			return r;
		skip_ws(jp);
		if (jp->p >= jp->end)
			return fail(jp, "unterminated array");
		if (*jp->p == ',') {
			jp->p++;
			continue;
		}
		if (*jp->p != ']')
			return fail(jp, "expected ',' or ']'");
		jp->p++;
		return close_container(jp, v, base);
	}
}

static int literal(struct json_cursor *jp, const char *word, size_t n, enum jtype t, struct jv *v)
{
	if ((size_t)(jp->end - jp->p) < n || memcmp(jp->p, word, n))
		return fail(jp, "invalid literal");
	jp->p += n;
	v->type = (uint8_t)t;
	v->i = t == J_TRUE;
	return 0;
}

static int parse_value(struct json_cursor *jp, struct jv *v)
{
	skip_ws(jp);
	if (jp->p >= jp->end)
		return fail(jp, "unexpected end of input");
	switch (*jp->p) {
	case '{':
	case '[':
		if (++jp->depth > JSON_MAX_DEPTH)
			return fail(jp, "nesting too deep");
		return *jp->p == '{' ? parse_object(jp, v) : parse_array(jp, v);
	case '"':
		v->type = J_STR;
		return parse_string(jp, &v->s, &v->n);
	case 't':
		return literal(jp, "true", 4, J_TRUE, v);
	case 'f':
		return literal(jp, "false", 5, J_FALSE, v);
	case 'n':
		return literal(jp, "null", 4, J_NULL, v);
	default:
		return parse_number(jp, v);
	}
}

static void json_cursor_init(struct json_cursor *jp, char *buf, size_t len, struct rt_arena *a,
		      unsigned flags)
{
	buf[len] = 0;
	jp->p = jp->base = buf;
	jp->end = buf + len;
	jp->a = a;
	jp->flags = flags;
	jp->sp = 0;
	jp->depth = 0;
	jp->msg = NULL;
	jp->stack = jp->stack0;
	jp->cap = BW_ARRAY_SIZE(jp->stack0);
}

static void json_cursor_done(struct json_cursor *jp)
{
	if (jp->stack != jp->stack0)
		free(jp->stack);
	jp->stack = jp->stack0;
}

int json_parse(char *buf, size_t len, struct rt_arena *a, unsigned flags, struct jv *ret,
	       const char **ret_msg, size_t *ret_off)
{
	struct json_cursor jp; /* not zeroed: stack0 is scratch */
	struct jv v = { 0 };
	int r;

	json_cursor_init(&jp, buf, len, a, flags);
	r = parse_value(&jp, &v);
	if (r == 0) {
		skip_ws(&jp);
		if (jp.p != jp.end)
			r = fail(&jp, "end of file expected");
	}
	json_cursor_done(&jp);
	if (r < 0) {
		*ret_msg = r == -ENOMEM ? "out of memory" : jp.msg;
		*ret_off = (size_t)(jp.p - jp.base);
		return r;
	}
	*ret = v;
	return 0;
}

const struct jv *jv_getn(const struct jv *o, const char *key, size_t klen)
{
	if (!o || o->type != J_OBJ)
		return NULL;
	for (uint32_t i = 0; i < o->n; i++)
		if (o->kids[i].klen == klen && !memcmp(o->kids[i].key, key, klen))
			return &o->kids[i];
	return NULL;
}

/* ---------------------------------------------------------------- output */

/* Bytes of s escaped as a JSON string, quotes included (jansson's escapes). */
static size_t str_len(const char *s, size_t n)
{
	size_t out = 2;

	for (size_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)s[i];
		if (c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' ||
		    c == '\t')
			out += 2;
		else if (c < 0x20)
			out += 6;
		else
			out++;
	}
	return out;
}

static char *str_put(char *o, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	*o++ = '"';
	for (size_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)s[i];
		char e = c == '"' ? '"' : c == '\\' ? '\\' : c == '\b' ? 'b' : c == '\f' ? 'f'
			: c == '\n' ? 'n' : c == '\r' ? 'r' : c == '\t' ? 't' : 0;
		if (e) {
			*o++ = '\\';
			*o++ = e;
		} else if (c < 0x20) {
			memcpy(o, "\\u00", 4);
			o[4] = hex[c >> 4];
			o[5] = hex[c & 15];
			o += 6;
		} else {
			*o++ = (char)c;
		}
	}
	*o++ = '"';
	return o;
}

static size_t dump_len(const struct jv *v)
{
	size_t n;

	switch (v->type) {
	case J_NULL:
	case J_TRUE:
		return 4;
	case J_FALSE:
		return 5;
	case J_INT:
	case J_REAL:
		return v->n;
	case J_STR:
		return str_len(v->s, v->n);
	case J_ARR:
	case J_OBJ:
		n = 2 + (v->n ? v->n - 1 : 0);
		for (uint32_t i = 0; i < v->n; i++) {
			n += dump_len(&v->kids[i]);
			if (v->type == J_OBJ)
				n += str_len(v->kids[i].key, v->kids[i].klen) + 1;
		}
		return n;
	}
	return 0;
}

static char *dump_put(const struct jv *v, char *o)
{
	switch (v->type) {
	case J_NULL:
		memcpy(o, "null", 4);
		return o + 4;
	case J_TRUE:
		memcpy(o, "true", 4);
		return o + 4;
	case J_FALSE:
		memcpy(o, "false", 5);
		return o + 5;
	case J_INT:
	case J_REAL:
		memcpy(o, v->s, v->n);
		return o + v->n;
	case J_STR:
		return str_put(o, v->s, v->n);
	case J_ARR:
	case J_OBJ:
		*o++ = v->type == J_OBJ ? '{' : '[';
		for (uint32_t i = 0; i < v->n; i++) {
			if (i)
				*o++ = ',';
			if (v->type == J_OBJ) {
				o = str_put(o, v->kids[i].key, v->kids[i].klen);
				*o++ = ':';
			}
			o = dump_put(&v->kids[i], o);
		}
		*o++ = v->type == J_OBJ ? '}' : ']';
		return o;
	}
	return o;
}

char *json_dump(const struct jv *v, struct rt_arena *a, size_t *ret_len)
{
	size_t n = dump_len(v);
	char *s = rt_alloc(a, n + 1);

	if (!s)
		return NULL;
	char *e = dump_put(v, s);
	*e = 0;
	*ret_len = (size_t)(e - s);
	return s;
}

size_t json_fmt_int(char *buf, int64_t x)
{
	char tmp[24];
	size_t n = 0, o = 0;
	uint64_t u = x < 0 ? 0 - (uint64_t)x : (uint64_t)x;

	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (x < 0)
		buf[o++] = '-';
	while (n)
		buf[o++] = tmp[--n];
	buf[o] = 0;
	return o;
}
