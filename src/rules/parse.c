/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The condition parser: Falco's filter grammar, as libsinsp's parser reads
 * it (recursive descent, same tokens and precedence):
 *
 *   Expr  ::= Or
 *   Or    ::= And ('or' And)*
 *   And   ::= Not ('and' Not)*
 *   Not   ::= 'not'* Check | 'not(' Or ')'
 *   Check ::= '(' Or ')' | Field Cond | Transformer Cond | Identifier
 *   Cond  ::= 'exists' | NumOp (Number | Tr) | StrOp (Str | Tr) | ListOp (List | Tr | Ident)
 *
 * Field names have at least one dot and may carry an argument in brackets.
 * Bare identifiers are macro references, resolved later.
 */
#include <ctype.h>
#include <string.h>

#include "rules/internal.h"

struct parser {
	struct arena *a;
	const char *s;
	size_t len, pos;
	unsigned line, col;
	unsigned depth;
	const char *err;
	unsigned eline, ecol;
};

static const char *const op_names[] = {
	[OP_NONE] = "",		    [OP_EQ] = "=",
	[OP_NE] = "!=",		    [OP_LT] = "<",
	[OP_LE] = "<=",		    [OP_GT] = ">",
	[OP_GE] = ">=",		    [OP_CONTAINS] = "contains",
	[OP_ICONTAINS] = "icontains", [OP_BCONTAINS] = "bcontains",
	[OP_STARTSWITH] = "startswith", [OP_BSTARTSWITH] = "bstartswith",
	[OP_ENDSWITH] = "endswith",   [OP_GLOB] = "glob",
	[OP_IGLOB] = "iglob",	    [OP_REGEX] = "regex",
	[OP_IN] = "in",		    [OP_INTERSECTS] = "intersects",
	[OP_PMATCH] = "pmatch",	    [OP_EXISTS] = "exists",
};

const char *op_name(enum op op)
{
	return op < BW_ARRAY_SIZE(op_names) ? op_names[op] : "?";
}

static int cur(const struct parser *p)
{
	return p->pos < p->len ? (unsigned char)p->s[p->pos] : 0;
}

static int peekc(const struct parser *p, size_t off)
{
	return p->pos + off < p->len ? (unsigned char)p->s[p->pos + off] : 0;
}

static void advance(struct parser *p, size_t n)
{
	while (n-- && p->pos < p->len) {
		char c = p->s[p->pos++];
		p->col++;
		if (c == '\n' || c == '\r') {
			p->col = 1;
			p->line++;
		}
	}
}

static void *fail(struct parser *p, const char *msg)
{
	if (!p->err) {
		p->err = msg;
		p->eline = p->line;
		p->ecol = p->col;
	}
	return NULL;
}

static bool blank(struct parser *p)
{
	bool found = false;

	while (cur(p) == ' ' || cur(p) == '\t' || cur(p) == '\b' || cur(p) == '\r' ||
	       cur(p) == '\n') {
		found = true;
		advance(p, 1);
	}
	return found;
}

static bool lex_str(struct parser *p, const char *str)
{
	size_t n = strlen(str);

	if (p->len - p->pos >= n && !memcmp(p->s + p->pos, str, n)) {
		advance(p, n);
		return true;
	}
	return false;
}

/* [a-zA-Z]+[a-zA-Z0-9_]*: returns its length at pos+off, 0 when none. */
static size_t ident_len_at(const struct parser *p, size_t off)
{
	size_t i = off;

	if (!isalpha(peekc(p, i)))
		return 0;
	while (isalnum(peekc(p, i)) || peekc(p, i) == '_')
		i++;
	return i - off;
}

static char *lex_identifier(struct parser *p)
{
	size_t n = ident_len_at(p, 0);
	char *r;

	if (!n)
		return NULL;
	r = arena_strndup(p->a, p->s + p->pos, n);
	advance(p, n);
	return r;
}

/* A field name: identifier segments joined by dots, at least two. */
static char *lex_field_name(struct parser *p)
{
	size_t n = ident_len_at(p, 0), segs = 1, seg;
	char *r;

	if (!n)
		return NULL;
	while (peekc(p, n) == '.' && (seg = ident_len_at(p, n + 1)) > 0) {
		n += 1 + seg;
		segs++;
	}
	if (segs < 2)
		return NULL;
	r = arena_strndup(p->a, p->s + p->pos, n);
	advance(p, n);
	return r;
}

/* Unescapes a quoted string's body (quotes excluded). */
static char *unescape(struct arena *a, const char *s, size_t n)
{
	char *r = arena_alloc(a, n + 1), *o = r;

	if (!r)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n) {
			char c = s[++i];
			switch (c) {
			case 'b': *o++ = '\b'; break;
			case 'f': *o++ = '\f'; break;
			case 'n': *o++ = '\n'; break;
			case 'r': *o++ = '\r'; break;
			case 't': *o++ = '\t'; break;
			case '"': case '\'': case '\\': *o++ = c; break;
			default:
				*o++ = '\\';
				*o++ = c;
			}
		} else {
			*o++ = s[i];
		}
	}
	*o = 0;
	return r;
}

static char *lex_quoted(struct parser *p)
{
	int q = cur(p);
	size_t i = 1;
	char prev = 0;

	if (q != '"' && q != '\'')
		return NULL;
	while (p->pos + i < p->len) {
		char c = p->s[p->pos + i];
		if (c == q && prev != '\\') {
			char *r = unescape(p->a, p->s + p->pos + 1, i - 1);
			advance(p, i + 1);
			return r;
		}
		/* An escaped backslash must not escape the quote after it. */
		prev = (c == '\\' && prev == '\\') ? 0 : c;
		i++;
	}
	return NULL;
}

static bool is_barestr_char(int c, bool field_arg)
{
	if (!c || isspace(c) || c == '"' || c == '\'')
		return false;
	if (field_arg)
		return c != '[' && c != ']';
	return c != '(' && c != ')' && c != '=' && c != ',';
}

static char *lex_bare(struct parser *p, bool field_arg)
{
	size_t n = 0;
	char *r;

	while (is_barestr_char(peekc(p, n), field_arg))
		n++;
	if (!n)
		return NULL;
	r = arena_strndup(p->a, p->s + p->pos, n);
	advance(p, n);
	return r;
}

/* [+-]?[0-9]+\.?[0-9]*([eE][+-][0-9]+)? or 0x[0-9a-f]+ */
static char *lex_number(struct parser *p)
{
	size_t i = 0;
	char *r;

	if (peekc(p, 0) == '0' && (peekc(p, 1) == 'x' || peekc(p, 1) == 'X') &&
	    isxdigit(peekc(p, 2))) {
		i = 2;
		while (isxdigit(peekc(p, i)))
			i++;
	} else {
		if (peekc(p, i) == '+' || peekc(p, i) == '-')
			i++;
		if (!isdigit(peekc(p, i)))
			return NULL;
		while (isdigit(peekc(p, i)))
			i++;
		if (peekc(p, i) == '.')
			i++;
		while (isdigit(peekc(p, i)))
			i++;
		if ((peekc(p, i) == 'e' || peekc(p, i) == 'E') &&
		    (peekc(p, i + 1) == '+' || peekc(p, i + 1) == '-') && isdigit(peekc(p, i + 2))) {
			i += 2;
			while (isdigit(peekc(p, i)))
				i++;
		}
	}
	r = arena_strndup(p->a, p->s + p->pos, i);
	advance(p, i);
	return r;
}

static const struct {
	const char *name;
	enum tr tr;
} transformers[] = {
	{ "tolower(", TR_TOLOWER }, { "toupper(", TR_TOUPPER }, { "b64(", TR_B64 },
	{ "basename(", TR_BASENAME }, { "len(", TR_LEN },
};

static enum tr lex_transformer(struct parser *p)
{
	for (size_t i = 0; i < BW_ARRAY_SIZE(transformers); i++)
		if (lex_str(p, transformers[i].name))
			return transformers[i].tr;
	if (lex_str(p, "join("))
		return TR_JOIN;
	if (lex_str(p, "concat("))
		return TR_CONCAT;
	return TR_NONE;
}

static bool enter(struct parser *p)
{
	if (++p->depth > BW_MAX_CONDITION_DEPTH) {
		fail(p, "exceeded the maximum nesting depth of the condition");
		return false;
	}
	return true;
}

static struct ast *new_node(struct parser *p, enum ast_kind k, unsigned line, unsigned col)
{
	struct ast *n = arena_zalloc(p->a, sizeof(*n));

	if (!n)
		return fail(p, "out of memory");
	n->kind = k;
	n->line = line;
	n->col = col;
	return n;
}

/* Field ('[' arg ']')? after the name has been lexed. */
static bool field_remainder(struct parser *p, struct ast_field *f, char *name)
{
	f->name = name;
	if (lex_str(p, "[")) {
		f->arg = lex_quoted(p);
		if (!f->arg)
			f->arg = lex_bare(p, true);
		if (!f->arg) {
			fail(p, "expected a valid field argument: a quoted string or a bare string");
			return false;
		}
		if (!lex_str(p, "]")) {
			fail(p, "expected a ']' token");
			return false;
		}
	}
	return true;
}

static bool transformer_remainder(struct parser *p, struct ast_field *f, enum tr tr);

/* An argument of join() / concat(): a quoted string, a field, or a
 * transformer (join() / concat() included). */
static bool mitem(struct parser *p, struct ast_mitem *it)
{
	char *name;
	enum tr tr;

	blank(p);
	if ((it->lit = lex_quoted(p)))
		return true;
	if ((tr = lex_transformer(p)) != TR_NONE)
		return transformer_remainder(p, &it->field, tr);
	if ((name = lex_field_name(p)))
		return field_remainder(p, &it->field, name);
	fail(p, "expected a field, a transformer or a quoted string");
	return false;
}

/* Items up to ')': after '(' for join()'s list, or concat()'s arguments. */
static bool mitems(struct parser *p, struct ast_multi *mv)
{
	struct ptrvec v = { 0 };

	blank(p);
	if (!lex_str(p, ")")) {
		do {
			struct ast_mitem *it = arena_zalloc(p->a, sizeof(*it));
			if (!it || ptrvec_push(p->a, &v, it) < 0) {
				fail(p, "out of memory");
				return false;
			}
			if (!mitem(p, it))
				return false;
			blank(p);
		} while (lex_str(p, ","));
		if (!lex_str(p, ")")) {
			fail(p, "expected a ',' or a ')' token");
			return false;
		}
	}
	mv->items = arena_zalloc(p->a, (v.n + 1) * sizeof(*mv->items));
	if (!mv->items) {
		fail(p, "out of memory");
		return false;
	}
	for (size_t i = 0; i < v.n; i++)
		mv->items[i] = *(struct ast_mitem *)v.v[i];
	mv->nitems = (uint32_t)v.n;
	return true;
}

/* join(SEP, (ITEM, ...)) or concat(ITEM, ITEM, ...), after "join(" or
 * "concat(", up to and including the closing ')'. */
static bool multi_remainder(struct parser *p, struct ast_field *f, enum tr tr)
{
	struct ast_multi *mv = arena_zalloc(p->a, sizeof(*mv));

	if (!mv) {
		fail(p, "out of memory");
		return false;
	}
	f->multi = mv;
	f->name = tr == TR_JOIN ? "join" : "concat";
	mv->kind = tr == TR_JOIN ? MV_JOIN : MV_CONCAT;
	if (tr == TR_CONCAT) {
		if (!mitems(p, mv))
			return false;
		if (mv->nitems < 2) {
			fail(p, "concat() requires at least 2 arguments");
			return false;
		}
		return true;
	}
	blank(p);
	if (lex_str(p, "(")) {
		fail(p, "join() first argument (separator) must be a single value, not a list");
		return false;
	}
	if (!mitem(p, &mv->sep))
		return false;
	blank(p);
	if (!lex_str(p, ",")) {
		fail(p, "join() requires exactly 2 arguments: separator and list");
		return false;
	}
	blank(p);
	if (!lex_str(p, "(")) {
		fail(p, "join() second argument must be a list: (ITEM, ...)");
		return false;
	}
	if (!mitems(p, mv))
		return false;
	blank(p);
	if (!lex_str(p, ")")) {
		fail(p, "join() requires exactly 2 arguments: separator and list");
		return false;
	}
	return true;
}

/* Tr '(' (Tr | Field) ')', the opening already consumed; fills f with the
 * field and the transformers innermost first. */
static bool transformer_remainder(struct parser *p, struct ast_field *f, enum tr tr)
{
	char *name;
	bool ok;

	if (!enter(p))
		return false;
	if (tr == TR_JOIN || tr == TR_CONCAT) {
		ok = multi_remainder(p, f, tr);
		p->depth--;
		return ok;
	}
	blank(p);
	enum tr inner = lex_transformer(p);
	if (inner != TR_NONE) {
		ok = transformer_remainder(p, f, inner);
	} else if ((name = lex_field_name(p))) {
		ok = field_remainder(p, f, name);
	} else {
		fail(p, "expected a field or a nested transformer");
		ok = false;
	}
	p->depth--;
	if (!ok)
		return false;
	blank(p);
	if (!lex_str(p, ")")) {
		fail(p, "expected a ')' token closing the transformer");
		return false;
	}
	if (f->ntr >= MAX_TRANSFORMERS) {
		fail(p, "too many nested transformers");
		return false;
	}
	f->tr[f->ntr++] = (uint8_t)tr;
	return true;
}

/* val(Field) or a transformer on the right-hand side. Returns 1 when one
 * was parsed into rhs, 0 when there is none, -1 on error. */
static int try_rhs_field(struct parser *p, struct ast *n)
{
	char *name;
	enum tr tr;

	blank(p);
	if (lex_str(p, "val(")) {
		blank(p);
		if (!(name = lex_field_name(p))) {
			fail(p, "expected a field within 'val' transformer");
			return -1;
		}
		if (!field_remainder(p, &n->rhs, name))
			return -1;
		blank(p);
		if (!lex_str(p, ")")) {
			fail(p, "expected a ')' token closing the transformer");
			return -1;
		}
		n->rkind = R_FIELD;
		return 1;
	}
	if ((tr = lex_transformer(p)) != TR_NONE) {
		if (!transformer_remainder(p, &n->rhs, tr))
			return -1;
		n->rkind = R_FIELD;
		return 1;
	}
	return 0;
}

static bool set_single(struct parser *p, struct ast *n, char *v)
{
	n->vals = arena_alloc(p->a, sizeof(char *));
	if (!n->vals) {
		fail(p, "out of memory");
		return false;
	}
	n->vals[0] = v;
	n->nvals = 1;
	return true;
}

static const struct {
	const char *tok;
	enum op op;
	bool need_blank;
} num_ops[] = { { "<=", OP_LE }, { "<", OP_LT }, { ">=", OP_GE }, { ">", OP_GT } },
  str_ops[] = {
	  { "==", OP_EQ },		   { "=", OP_EQ },		 { "!=", OP_NE },
	  { "glob", OP_GLOB, true },	   { "iglob", OP_IGLOB, true },	 { "contains", OP_CONTAINS, true },
	  { "icontains", OP_ICONTAINS, true }, { "bcontains", OP_BCONTAINS, true },
	  { "startswith", OP_STARTSWITH, true }, { "bstartswith", OP_BSTARTSWITH, true },
	  { "endswith", OP_ENDSWITH, true }, { "regex", OP_REGEX, true },
  },
  list_ops[] = { { "intersects", OP_INTERSECTS }, { "in", OP_IN }, { "pmatch", OP_PMATCH } };

#define LEX_OPS(p, table, ret)                                                  \
	({                                                                      \
		bool _found = false;                                            \
		for (size_t _i = 0; _i < BW_ARRAY_SIZE(table) && !_found; _i++) { \
			if (!lex_str(p, table[_i].tok))                         \
				continue;                                       \
			if (table[_i].need_blank && !blank(p))                  \
				break;                                          \
			*(ret) = table[_i].op;                                  \
			_found = true;                                          \
		}                                                               \
		_found;                                                         \
	})

static bool list_value(struct parser *p, struct ast *n)
{
	struct ptrvec items = { 0 };
	char *v;

	blank(p);
	if (lex_str(p, "(")) {
		blank(p);
		v = lex_quoted(p);
		if (!v)
			v = lex_bare(p, false);
		if (v) {
			if (ptrvec_push(p->a, &items, v) < 0)
				return fail(p, "out of memory"), false;
			blank(p);
			while (lex_str(p, ",")) {
				blank(p);
				v = lex_quoted(p);
				if (!v)
					v = lex_bare(p, false);
				if (!v) {
					fail(p, "expected a string value");
					return false;
				}
				if (ptrvec_push(p->a, &items, v) < 0)
					return fail(p, "out of memory"), false;
				blank(p);
			}
		}
		if (!lex_str(p, ")")) {
			fail(p, "expected a ')' token");
			return false;
		}
		n->rkind = R_LIST;
		n->vals = (char **)items.v;
		n->nvals = (uint32_t)items.n;
		return true;
	}
	int r = try_rhs_field(p, n);
	if (r < 0)
		return false;
	if (r > 0)
		return true;
	if ((v = lex_identifier(p))) {
		n->rkind = R_LISTREF;
		return set_single(p, n, v);
	}
	fail(p, "expected a list, an identifier, or a field with a valid transformer");
	return false;
}

static struct ast *parse_condition(struct parser *p, struct ast *n)
{
	enum op op = OP_NONE;
	char *v;
	int r;

	blank(p);
	/* exists: must not run into an identifier ("existsfoo") */
	if (p->len - p->pos >= 6 && !memcmp(p->s + p->pos, "exists", 6) &&
	    !isalnum(peekc(p, 6)) && peekc(p, 6) != '_') {
		advance(p, 6);
		n->op = OP_EXISTS;
		return n;
	}
	if (LEX_OPS(p, num_ops, &op)) {
		n->op = op;
		if ((r = try_rhs_field(p, n)) < 0)
			return NULL;
		if (r > 0)
			return n;
		blank(p);
		if (!(v = lex_number(p)))
			return fail(p, "expected a number value or a field with a valid transformer");
		n->rkind = R_VALUE;
		return set_single(p, n, v) ? n : NULL;
	}
	if (LEX_OPS(p, str_ops, &op)) {
		n->op = op;
		if ((r = try_rhs_field(p, n)) < 0)
			return NULL;
		if (r > 0)
			return n;
		blank(p);
		v = lex_quoted(p);
		if (!v)
			v = lex_bare(p, false);
		if (!v)
			return fail(p, "expected a string value or a field with a valid transformer");
		n->rkind = R_VALUE;
		return set_single(p, n, v) ? n : NULL;
	}
	if (LEX_OPS(p, list_ops, &op)) {
		n->op = op;
		return list_value(p, n) ? n : NULL;
	}
	return fail(p, "expected a valid check operator: one of 'exists', '<=', '<', '>=', '>', "
		       "'==', '=', '!=', 'glob', 'iglob', 'contains', 'icontains', 'bcontains', "
		       "'startswith', 'bstartswith', 'endswith', 'regex', 'intersects', 'in', "
		       "'pmatch'");
}

static struct ast *parse_or(struct parser *p);

static struct ast *embedded_remainder(struct parser *p)
{
	struct ast *n;

	blank(p);
	if (!(n = parse_or(p)))
		return NULL;
	blank(p);
	if (!lex_str(p, ")"))
		return fail(p, "expected a ')' token");
	return n;
}

static struct ast *parse_check(struct parser *p)
{
	unsigned line = p->line, col = p->col;
	struct ast *n;
	char *name;
	enum tr tr;

	blank(p);
	line = p->line;
	col = p->col;
	if (lex_str(p, "("))
		return embedded_remainder(p);
	if ((name = lex_field_name(p))) {
		if (!(n = new_node(p, A_CHECK, line, col)))
			return NULL;
		if (!field_remainder(p, &n->lhs, name))
			return NULL;
		return parse_condition(p, n);
	}
	if ((tr = lex_transformer(p)) != TR_NONE) {
		if (!(n = new_node(p, A_CHECK, line, col)))
			return NULL;
		if (!transformer_remainder(p, &n->lhs, tr))
			return NULL;
		return parse_condition(p, n);
	}
	if ((name = lex_identifier(p))) {
		if (!(n = new_node(p, A_IDENT, line, col)))
			return NULL;
		n->ident = name;
		return n;
	}
	return fail(p, "expected a '(' token, a field check, or an identifier");
}

/* 'not' followed by a blank. */
static bool lex_not_blank(struct parser *p)
{
	if (p->len - p->pos >= 4 && !memcmp(p->s + p->pos, "not", 3) && isspace(peekc(p, 3))) {
		advance(p, 3);
		blank(p);
		return true;
	}
	return false;
}

static struct ast *parse_not(struct parser *p)
{
	struct ast *child, *n;
	bool is_not = false;
	unsigned line, col;

	if (!enter(p))
		return NULL;
	blank(p);
	line = p->line;
	col = p->col;
	while (lex_not_blank(p))
		is_not = !is_not;
	if (lex_str(p, "not(")) {
		is_not = !is_not;
		child = embedded_remainder(p);
	} else {
		child = parse_check(p);
	}
	p->depth--;
	if (!child || !is_not)
		return child;
	if (!(n = new_node(p, A_NOT, line, col)))
		return NULL;
	n->child = arena_alloc(p->a, sizeof(*n->child));
	if (!n->child)
		return fail(p, "out of memory");
	n->child[0] = child;
	n->nchild = 1;
	return n;
}

static struct ast *parse_bool(struct parser *p, bool is_or)
{
	struct ptrvec children = { 0 };
	const char *kw = is_or ? "or" : "and";
	unsigned line, col;
	struct ast *c, *n;

	if (!enter(p))
		return NULL;
	blank(p);
	line = p->line;
	col = p->col;
	c = is_or ? parse_bool(p, false) : parse_not(p);
	if (!c || ptrvec_push(p->a, &children, c) < 0)
		goto fail;
	blank(p);
	while (lex_str(p, kw)) {
		if (!blank(p)) {
			if (!lex_str(p, "(")) {
				fail(p, is_or ? "expected blank or '(' after 'or'"
					      : "expected blank or '(' after 'and'");
				goto fail;
			}
			c = embedded_remainder(p);
		} else {
			c = is_or ? parse_bool(p, false) : parse_not(p);
		}
		if (!c || ptrvec_push(p->a, &children, c) < 0)
			goto fail;
		blank(p);
	}
	p->depth--;
	if (children.n == 1)
		return children.v[0];
	if (!(n = new_node(p, is_or ? A_OR : A_AND, line, col)))
		return NULL;
	n->child = (struct ast **)children.v;
	n->nchild = (uint32_t)children.n;
	return n;
fail:
	p->depth--;
	return fail(p, "out of memory");
}

static struct ast *parse_or(struct parser *p)
{
	return parse_bool(p, true);
}

int cond_parse(struct arena *a, const char *s, size_t len, struct ast **ret, const char **ret_msg,
	       unsigned *ret_line, unsigned *ret_col)
{
	struct parser p = { .a = a, .s = s, .len = len, .line = 1, .col = 1 };
	struct ast *n = NULL;

	if (len > BW_MAX_CONDITION_LEN) {
		*ret_msg = "condition is too long";
		*ret_line = *ret_col = 1;
		return -EINVAL;
	}
	if (memchr(s, 0, len)) {
		*ret_msg = "condition contains a NUL byte";
		*ret_line = *ret_col = 1;
		return -EINVAL;
	}
	blank(&p);
	if (p.pos == p.len) {
		fail(&p, "filter input string is empty");
	} else {
		n = parse_or(&p);
		if (n && p.pos != p.len)
			fail(&p, "unexpected token, expecting 'or', 'and'");
	}
	if (p.err) {
		*ret_msg = p.err;
		*ret_line = p.eline;
		*ret_col = p.ecol;
		return -EINVAL;
	}
	*ret = n;
	return 0;
}
