/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>

#include "pkg/internal.h"

/*
 * Just enough TOML (v1.0) for lockfiles: Cargo.lock, poetry.lock,
 * pdm.lock and uv.lock are arrays of tables ([[package]]) of string keys.
 * The whole grammar is tokenised, so a file that is not TOML is rejected,
 * but only top-level `key = value` pairs of each table reach the caller:
 * strings decoded, other values (numbers, booleans, dates, arrays, inline
 * tables) as their raw text. Nesting of arrays and inline tables is capped.
 */

#define TOML_MAX_DEPTH 64

struct tcur {
	const char *p, *end;
	size_t line;
};

static void skip_ws(struct tcur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
		c->p++;
}

/* Spaces, newlines and comments (inside arrays). */
static void skip_wsnl(struct tcur *c)
{
	for (;;) {
		skip_ws(c);
		if (c->p < c->end && *c->p == '#') {
			while (c->p < c->end && *c->p != '\n')
				c->p++;
		}
		if (c->p < c->end && (*c->p == '\n' || *c->p == '\r')) {
			c->line += *c->p == '\n';
			c->p++;
			continue;
		}
		return;
	}
}

static bool bare_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
	       ch == '_';
}

/* A string at c->p (basic, literal, or their multi-line forms), decoded
 * into out (when not NULL). */
static int str_token(struct tcur *c, struct bw_buf *out)
{
	char q = *c->p;
	bool multi = c->end - c->p >= 3 && c->p[1] == q && c->p[2] == q;

	c->p += multi ? 3 : 1;
	if (multi && c->p < c->end && *c->p == '\n') {
		c->p++;
		c->line++;
	} else if (multi && c->end - c->p >= 2 && c->p[0] == '\r' && c->p[1] == '\n') {
		c->p += 2;
		c->line++;
	}
	while (c->p < c->end) {
		char ch = *c->p;
		if (ch == q && (!multi || (c->end - c->p >= 3 && c->p[1] == q && c->p[2] == q))) {
			c->p += multi ? 3 : 1;
			/* up to two more quotes may close a multi-line string */
			while (multi && c->p < c->end && *c->p == q) {
				if (out && bw_buf_append(out, c->p, 1) < 0)
					return -EFBIG;
				c->p++;
			}
			return 0;
		}
		if (ch == '\n') {
			if (!multi)
				return -EBADMSG;
			c->line++;
		}
		if (ch == '\\' && q == '"') {
			if (c->end - c->p < 2)
				return -EBADMSG;
			char e = c->p[1], o;
			c->p += 2;
			switch (e) {
			case 'n': o = '\n'; break;
			case 't': o = '\t'; break;
			case 'r': o = '\r'; break;
			case 'b': o = '\b'; break;
			case 'f': o = '\f'; break;
			case '"': o = '"'; break;
			case '\\': o = '\\'; break;
			case 'u':
			case 'U': {
				int nd = e == 'u' ? 4 : 8;
				if (c->end - c->p < nd)
					return -EBADMSG;
				c->p += nd; /* not needed for names and versions: dropped */
				continue;
			}
			default:
				if (multi && (e == '\n' || e == ' ' || e == '\t' || e == '\r')) {
					/* line-ending backslash: trim the whitespace that follows */
					c->p--;
					while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' ||
								 *c->p == '\r'))
						c->line += *c->p++ == '\n';
					continue;
				}
				return -EBADMSG;
			}
			if (out && bw_buf_append(out, &o, 1) < 0)
				return -EFBIG;
			continue;
		}
		if (out && bw_buf_append(out, c->p, 1) < 0)
			return -EFBIG;
		c->p++;
	}
	return -EBADMSG;
}

/* A key (bare, quoted, dotted) into out, parts joined with '.'. */
static int key_token(struct tcur *c, struct bw_buf *out)
{
	for (;;) {
		skip_ws(c);
		if (c->p >= c->end)
			return -EBADMSG;
		if (*c->p == '"' || *c->p == '\'') {
			if (c->end - c->p >= 3 && c->p[1] == *c->p && c->p[2] == *c->p)
				return -EBADMSG; /* no multi-line keys */
			int r = str_token(c, out);
			if (r < 0)
				return r;
		} else {
			const char *s = c->p;
			while (c->p < c->end && bare_char(*c->p))
				c->p++;
			if (c->p == s)
				return -EBADMSG;
			if (out && bw_buf_append(out, s, (size_t)(c->p - s)) < 0)
				return -EFBIG;
		}
		skip_ws(c);
		if (c->p < c->end && *c->p == '.') {
			c->p++;
			if (out && bw_buf_append(out, ".", 1) < 0)
				return -EFBIG;
			continue;
		}
		return 0;
	}
}

static int value_token(struct tcur *c, struct bw_buf *out, int depth);

static int array_token(struct tcur *c, int depth)
{
	c->p++; /* [ */
	for (;;) {
		skip_wsnl(c);
		if (c->p >= c->end)
			return -EBADMSG;
		if (*c->p == ']') {
			c->p++;
			return 0;
		}
		int r = value_token(c, NULL, depth + 1);
		if (r < 0)
			return r;
		skip_wsnl(c);
		if (c->p < c->end && *c->p == ',')
			c->p++;
		else if (c->p >= c->end || *c->p != ']')
			return -EBADMSG;
	}
}

static int inline_table_token(struct tcur *c, int depth)
{
	c->p++; /* { */
	skip_ws(c);
	if (c->p < c->end && *c->p == '}') {
		c->p++;
		return 0;
	}
	for (;;) {
		int r = key_token(c, NULL);
		if (r < 0)
			return r;
		skip_ws(c);
		if (c->p >= c->end || *c->p != '=')
			return -EBADMSG;
		c->p++;
		skip_ws(c);
		r = value_token(c, NULL, depth + 1);
		if (r < 0)
			return r;
		skip_ws(c);
		if (c->p < c->end && *c->p == ',') {
			c->p++;
			continue;
		}
		if (c->p < c->end && *c->p == '}') {
			c->p++;
			return 0;
		}
		return -EBADMSG;
	}
}

static int value_token(struct tcur *c, struct bw_buf *out, int depth)
{
	const char *s;

	if (depth > TOML_MAX_DEPTH)
		return -ELOOP;
	if (c->p >= c->end)
		return -EBADMSG;
	if (*c->p == '"' || *c->p == '\'')
		return str_token(c, out);
	s = c->p;
	if (*c->p == '[' || *c->p == '{') {
		int r = *c->p == '[' ? array_token(c, depth) : inline_table_token(c, depth);
		if (r == 0 && out && bw_buf_append(out, s, (size_t)(c->p - s)) < 0)
			return -EFBIG;
		return r;
	}
	/* numbers, booleans, dates and times: a run of their characters */
	while (c->p < c->end && (bare_char(*c->p) || *c->p == '.' || *c->p == '+' || *c->p == ':' ||
				 (*c->p == ' ' && c->p + 1 < c->end && c->p[1] >= '0' && c->p[1] <= '9' &&
				  c->p > s && s[0] >= '0' && s[0] <= '9')))
		c->p++;
	if (c->p == s)
		return -EBADMSG;
	if (out && bw_buf_append(out, s, (size_t)(c->p - s)) < 0)
		return -EFBIG;
	return 0;
}

int toml_walk(const char *path, const char *data, size_t len, toml_fn fn, void *ud, struct bw_error **err)
{
	struct tcur c = { data, data + len, 1 };
	struct bw_buf table = BW_BUF_INIT(BW_MAX_PKG_FIELD), key = BW_BUF_INIT(BW_MAX_PKG_FIELD),
		      val = BW_BUF_INIT(BW_MAX_PKG_FIELD);
	int r = 0;

	if (bw_buf_puts(&table, "") < 0)
		return bw_error_set(err, -ENOMEM, "out of memory");
	while (r == 0) {
		skip_wsnl(&c);
		if (c.p >= c.end)
			break;
		if (*c.p == '[') {
			bool arr = c.end - c.p >= 2 && c.p[1] == '[';
			c.p += arr ? 2 : 1;
			bw_buf_reset(&table);
			r = key_token(&c, &table);
			if (r == 0 && bw_buf_append(&table, "", 0) < 0)
				r = -EFBIG;
			if (r < 0)
				break;
			if (c.p >= c.end || *c.p != ']' || (arr && (c.end - c.p < 2 || c.p[1] != ']'))) {
				r = -EBADMSG;
				break;
			}
			c.p += arr ? 2 : 1;
			r = fn(ud, table.data, arr, NULL, NULL, 0);
		} else {
			bw_buf_reset(&key);
			bw_buf_reset(&val);
			r = key_token(&c, &key);
			if (r < 0)
				break;
			skip_ws(&c);
			if (c.p >= c.end || *c.p != '=') {
				r = -EBADMSG;
				break;
			}
			c.p++;
			skip_ws(&c);
			bool is_str = c.p < c.end && (*c.p == '"' || *c.p == '\'');
			r = value_token(&c, &val, 0);
			if (r == 0 && (bw_buf_append(&key, "", 0) < 0 || bw_buf_append(&val, "", 0) < 0))
				r = -EFBIG;
			if (r == 0)
				r = fn(ud, table.data, is_str, key.data, val.data ? val.data : "", val.len);
		}
		if (r < 0)
			break;
		/* the rest of the line: a comment at most */
		skip_ws(&c);
		if (c.p < c.end && *c.p == '#')
			while (c.p < c.end && *c.p != '\n')
				c.p++;
		if (c.p < c.end && *c.p == '\r')
			c.p++;
		if (c.p < c.end && *c.p != '\n')
			r = -EBADMSG;
	}
	bw_buf_done(&table);
	bw_buf_done(&key);
	bw_buf_done(&val);
	if (r == -ENOMEM)
		return bw_error_set(err, r, "out of memory");
	if (r < 0 && r != -EBADMSG && r != -EFBIG && r != -ELOOP)
		return bw_error_set(err, r, "%s:%zu: cannot parse", path, c.line);
	if (r < 0)
		return bw_error_set(err, -EBADMSG, "%s:%zu: not TOML%s", path, c.line,
				    r == -EFBIG ? " (value too long)" : r == -ELOOP ? " (nested too deep)" : "");
	return 0;
}
