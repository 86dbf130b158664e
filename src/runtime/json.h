/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BW_RUNTIME_JSON_H
#define BW_RUNTIME_JSON_H

/*
 * A small JSON decoder for event sources: parses one document in place
 * (strings are unescaped and NUL-terminated inside the caller's writable
 * copy of the input), with every node in an arena, so decoding does no
 * per-value malloc. Objects keep their members in document order.
 *
 * Bounded: nesting is capped at JSON_MAX_DEPTH and the input length is the
 * caller's cap; node memory is at most a small multiple of the input.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "runtime/internal.h"

#include "bulwark/limits.h"

#define JSON_MAX_DEPTH BW_MAX_EVENT_JSON_DEPTH

enum jtype { J_NULL = 0, J_FALSE, J_TRUE, J_INT, J_REAL, J_STR, J_ARR, J_OBJ };

struct jv {
	uint8_t type;
	uint32_t n;	 /* J_STR: bytes; J_INT/J_REAL: text bytes; J_ARR/J_OBJ: children */
	uint32_t klen;	 /* as an object member: key bytes */
	const char *key; /* as an object member: its key (NUL-terminated) */
	union {
		const char *s;	 /* J_STR (NUL-terminated), J_INT/J_REAL text (not terminated) */
		struct jv *kids; /* J_ARR items, J_OBJ members */
	};
	int64_t i; /* J_INT value; J_REAL truncated */
};

enum { JSON_REJECT_DUPS = 1 << 0 };

/*
 * Parses buf[0..len) (buf[len] must be writable and is set to NUL) into
 * *ret. Returns 0, or -EINVAL with a static message and the byte offset of
 * the error, -ENOMEM.
 */
int json_parse(char *buf, size_t len, struct rt_arena *a, unsigned flags, struct jv *ret,
	       const char **ret_msg, size_t *ret_off);

/* The parser's state (json_parse() keeps it on its stack). Errors leave a
 * static message in msg and the position in p. */
struct json_cursor {
	char *p, *end, *base;
	struct rt_arena *a;
	struct jv *stack;
	size_t sp, cap;
	unsigned depth;
	unsigned flags;
	const char *msg;
	struct jv stack0[64];
};

/* The four hex digits at s as a number: 0, or -1 when one is not a digit. */
int json_hex4(const char *s, unsigned *ret);
/* The UTF-8 bytes of code point u (at most 4) into out; returns how many. */
size_t json_utf8(unsigned u, char *out);

const struct jv *jv_getn(const struct jv *o, const char *key, size_t klen);
static inline const struct jv *jv_get(const struct jv *o, const char *key)
{
	return jv_getn(o, key, strlen(key));
}
static inline size_t jv_size(const struct jv *a)
{
	return a && a->type == J_ARR ? a->n : 0;
}
static inline const struct jv *jv_at(const struct jv *a, size_t i)
{
	return a && a->type == J_ARR && i < a->n ? &a->kids[i] : NULL;
}
static inline bool jv_is(const struct jv *v, enum jtype t)
{
	return v && v->type == t;
}
static inline const char *jv_str(const struct jv *v)
{
	return v && v->type == J_STR ? v->s : NULL;
}

/* Compact JSON of v (members in order, numbers as written), NUL-terminated,
 * in the arena; its length in *ret_len. NULL on allocation failure. */
char *json_dump(const struct jv *v, struct rt_arena *a, size_t *ret_len);

/* Decimal text of x into buf (at least 21 bytes); returns its length. */
size_t json_fmt_int(char *buf, int64_t x);

#endif
