/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A Dockerfile parser following BuildKit's frontend/dockerfile/parser:
 * parser directives (`# escape=`), comments (also between continuation
 * lines), line continuations with the escape character, heredocs
 * (`<<EOF`, `<<-EOF`, quoted terminators) for RUN/COPY/ADD, `--flag=value`
 * options, JSON (exec) form, and ONBUILD's inner instruction.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "bulwark/config.h"
#include "config/internal.h"

struct lines {
	const char *data;
	size_t len, pos;
	uint32_t lineno; /* of the line last returned */
};

/* Returns the next physical line (without its newline) or false at EOF. */
static bool next_line(struct lines *l, const char **ret, size_t *ret_len)
{
	const char *p, *nl;

	if (l->pos >= l->len)
		return false;
	p = l->data + l->pos;
	nl = memchr(p, '\n', l->len - l->pos);
	*ret = p;
	*ret_len = nl ? (size_t)(nl - p) : l->len - l->pos;
	l->pos += *ret_len + (nl ? 1 : 0);
	if (*ret_len && p[*ret_len - 1] == '\r')
		(*ret_len)--;
	l->lineno++;
	return true;
}

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

static char *strndup_trim(const char *p, size_t n)
{
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	while (n && (*p == ' ' || *p == '\t')) {
		p++;
		n--;
	}
	return strndup(p, n);
}

/* A line ends in the escape character (trailing blanks allowed). */
static bool continues(const char *p, size_t n, char esc)
{
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	return n && p[n - 1] == esc;
}

/* ---------------------------------------------------------------- JSON form */

/* Parses a JSON array of strings; false if args is not one. */
static bool parse_json_array(const char *s, char ***ret, size_t *ret_n)
{
	const char *p = s;
	char **v = NULL;
	size_t n = 0;
	struct bw_buf b = BW_BUF_INIT(BW_MAX_DOCKERFILE_LINE);

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p++ != '[')
		return false;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == ']' && n == 0) {
			p++;
			break;
		}
		if (*p != '"')
			goto fail;
		p++;
		bw_buf_reset(&b);
		while (*p && *p != '"') {
			char c = *p++;
			if (c == '\\') {
				c = *p++;
				switch (c) {
				case 'n': c = '\n'; break;
				case 't': c = '\t'; break;
				case 'r': c = '\r'; break;
				case 'b': c = '\b'; break;
				case 'f': c = '\f'; break;
				case '"': case '\\': case '/': break;
				case 'u': {
					unsigned u = 0;
					for (int i = 0; i < 4; i++) {
						if (!isxdigit((unsigned char)*p))
							goto fail;
						u = u * 16 + (unsigned)(isdigit((unsigned char)*p) ?
							*p - '0' : (tolower((unsigned char)*p) - 'a' + 10));
						p++;
					}
					c = u < 128 ? (char)u : '?';
					break;
				}
				default:
					goto fail;
				}
			}
			if (bw_buf_append(&b, &c, 1) < 0)
				goto fail;
		}
		if (*p != '"')
			goto fail;
		p++;
		{
			char **nv = realloc(v, (n + 1) * sizeof(*v));
			if (!nv)
				goto fail;
			v = nv;
			v[n] = strdup(b.data ? b.data : "");
			if (!v[n])
				goto fail;
			n++;
		}
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p == ']') {
			p++;
			break;
		}
		goto fail;
	}
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p)
		goto fail;
	bw_buf_done(&b);
	*ret = v;
	*ret_n = n;
	return true;
fail:
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
	bw_buf_done(&b);
	return false;
}

/* ---------------------------------------------------------------- instructions */

static void instr_done(struct bw_df_instr *in)
{
	if (!in)
		return;
	free(in->cmd);
	free(in->args);
	free(in->original);
	for (size_t i = 0; i < in->nflags; i++)
		free(in->flags[i]);
	free(in->flags);
	for (size_t i = 0; i < in->argc; i++)
		free(in->argv[i]);
	free(in->argv);
	for (size_t i = 0; i < in->nheredocs; i++) {
		free(in->heredocs[i].name);
		free(in->heredocs[i].body);
	}
	free(in->heredocs);
	if (in->onbuild) {
		instr_done(in->onbuild);
		free(in->onbuild);
	}
}

struct bw_dockerfile *bw_dockerfile_free(struct bw_dockerfile *df)
{
	if (!df)
		return NULL;
	for (size_t i = 0; i < df->n; i++)
		instr_done(&df->instrs[i]);
	free(df->instrs);
	for (size_t i = 0; i < df->ncomments; i++)
		free(df->comments[i].text);
	free(df->comments);
	free(df);
	return NULL;
}

static bool takes_flags(const char *cmd)
{
	return !strcmp(cmd, "FROM") || !strcmp(cmd, "COPY") || !strcmp(cmd, "ADD") ||
	       !strcmp(cmd, "RUN") || !strcmp(cmd, "HEALTHCHECK");
}

static bool takes_heredoc(const char *cmd)
{
	return !strcmp(cmd, "RUN") || !strcmp(cmd, "COPY") || !strcmp(cmd, "ADD");
}

/*
 * Splits "CMD rest" into an instruction: upper-cased command, leading
 * --flags, args and the JSON form. Returns -ENOMEM or -EINVAL (empty).
 */
static int split_instr(const char *text, struct bw_df_instr *in)
{
	const char *p = text, *end = text + strlen(text), *w;

	p = skip_ws(p, end);
	w = p;
	while (p < end && *p != ' ' && *p != '\t')
		p++;
	if (p == w)
		return -EINVAL;
	in->cmd = strndup(w, (size_t)(p - w));
	if (!in->cmd)
		return -ENOMEM;
	for (char *c = in->cmd; *c; c++)
		*c = (char)toupper((unsigned char)*c);
	p = skip_ws(p, end);
	if (takes_flags(in->cmd)) {
		while (end - p > 2 && p[0] == '-' && p[1] == '-' && p[2] != ' ') {
			const char *fs = p;
			char **nf;
			while (p < end && *p != ' ' && *p != '\t')
				p++;
			nf = realloc(in->flags, (in->nflags + 1) * sizeof(*nf));
			if (!nf)
				return -ENOMEM;
			in->flags = nf;
			in->flags[in->nflags] = strndup(fs + 2, (size_t)(p - fs - 2));
			if (!in->flags[in->nflags])
				return -ENOMEM;
			in->nflags++;
			p = skip_ws(p, end);
		}
	}
	in->args = strndup_trim(p, (size_t)(end - p));
	if (!in->args)
		return -ENOMEM;
	if (in->args[0] == '[')
		in->json = parse_json_array(in->args, &in->argv, &in->argc);
	return 0;
}

/* Finds heredoc markers (<<EOF, <<-EOF, <<"EOF") in a RUN/COPY/ADD line. */
static int find_heredocs(struct bw_df_instr *in)
{
	const char *p = in->args;

	if (in->json)
		return 0;
	while ((p = strstr(p, "<<"))) {
		const char *q = p + 2;
		bool dash = false;
		char quote = 0;
		const char *ns;
		struct bw_df_heredoc *h;

		if (*q == '-') {
			dash = true;
			q++;
		}
		if (*q == '"' || *q == '\'')
			quote = *q++;
		ns = q;
		while (*q && (isalnum((unsigned char)*q) || *q == '_' || *q == '-' || *q == '.'))
			q++;
		if (q == ns || (quote && *q != quote)) {
			p += 2;
			continue;
		}
		h = realloc(in->heredocs, (in->nheredocs + 1) * sizeof(*h));
		if (!h)
			return -ENOMEM;
		in->heredocs = h;
		h = &in->heredocs[in->nheredocs];
		h->body = NULL;
		h->name = strndup(ns, (size_t)(q - ns));
		if (!h->name)
			return -ENOMEM;
		/* Mark the strip-tabs form with a leading '-' kept apart. */
		if (dash) {
			char *d;
			if (asprintf(&d, "-%s", h->name) < 0)
				return -ENOMEM;
			free(h->name);
			h->name = d;
		}
		in->nheredocs++;
		p = q;
	}
	return 0;
}

static int read_heredoc_bodies(struct lines *l, struct bw_df_instr *in)
{
	for (size_t i = 0; i < in->nheredocs; i++) {
		struct bw_df_heredoc *h = &in->heredocs[i];
		bool dash = h->name[0] == '-';
		const char *term = dash ? h->name + 1 : h->name;
		struct bw_buf b = BW_BUF_INIT(BW_MAX_DOCKERFILE_LINE);
		const char *line;
		size_t len;

		while (next_line(l, &line, &len)) {
			const char *t = line;
			size_t tl = len;
			if (dash)
				while (tl && *t == '\t') {
					t++;
					tl--;
				}
			if (tl == strlen(term) && !memcmp(t, term, tl))
				break;
			if (bw_buf_append(&b, t, tl) < 0 || bw_buf_append(&b, "\n", 1) < 0) {
				bw_buf_done(&b);
				return -E2BIG;
			}
		}
		h->body = bw_buf_steal(&b);
		if (!h->body)
			return -ENOMEM;
		in->end_line = l->lineno;
	}
	return 0;
}

static int add_comment(struct bw_dockerfile *df, const char *p, size_t n, uint32_t line)
{
	struct bw_df_comment *c;

	c = realloc(df->comments, (df->ncomments + 1) * sizeof(*c));
	if (!c)
		return -ENOMEM;
	df->comments = c;
	c = &df->comments[df->ncomments];
	/* drop '#' and blanks */
	while (n && (*p == '#' || *p == ' ' || *p == '\t')) {
		p++;
		n--;
	}
	c->text = strndup_trim(p, n);
	if (!c->text)
		return -ENOMEM;
	c->line = line;
	df->ncomments++;
	return 0;
}

static int parse_directive(struct bw_dockerfile *df, const char *p, size_t n)
{
	/* "# escape=`" */
	const char *e = p + n;

	p = skip_ws(p + 1, e);
	if ((size_t)(e - p) > 7 && !strncasecmp(p, "escape", 6)) {
		p = skip_ws(p + 6, e);
		if (p < e && *p == '=') {
			p = skip_ws(p + 1, e);
			if (p < e && (*p == '`' || *p == '\\'))
				df->escape = *p;
		}
	}
	return 0;
}

int bw_dockerfile_parse(const char *name, const char *data, size_t len,
			struct bw_dockerfile **ret, struct bw_error **err)
{
	struct lines l = { .data = data, .len = len };
	struct bw_dockerfile *df;
	bool directives = true;
	const char *line;
	size_t llen;
	size_t stage = 0;
	bool seen_from = false;
	int r = 0;

	if (len > BW_MAX_CONFIG_FILE_SIZE)
		return bw_error_set(err, -EFBIG, "%s: file larger than %u bytes", name,
				    BW_MAX_CONFIG_FILE_SIZE);
	if (memchr(data, 0, len))
		return bw_error_set(err, -EINVAL, "%s: binary file, not a Dockerfile", name);
	df = calloc(1, sizeof(*df));
	if (!df)
		return bw_error_set(err, -ENOMEM, "out of memory");
	df->escape = '\\';

	while (next_line(&l, &line, &llen)) {
		const char *p = skip_ws(line, line + llen);
		struct bw_buf b = BW_BUF_INIT(BW_MAX_DOCKERFILE_LINE);
		struct bw_df_instr in = { 0 };
		uint32_t start = l.lineno;
		bool more;

		if (p == line + llen)
			continue; /* blank */
		if (*p == '#') {
			if (directives)
				parse_directive(df, p, (size_t)(line + llen - p));
			if ((r = add_comment(df, p, (size_t)(line + llen - p), l.lineno)) < 0)
				break;
			continue;
		}
		directives = false;
		/* Join continuation lines; comment and blank lines inside are
		 * dropped, as BuildKit does. */
		more = continues(line, llen, df->escape);
		{
			size_t keep = llen;
			if (more) {
				while (keep && (line[keep - 1] == ' ' || line[keep - 1] == '\t'))
					keep--;
				keep--;
			}
			if (bw_buf_append(&b, line, keep) < 0)
				r = -E2BIG;
		}
		while (more && r == 0 && next_line(&l, &line, &llen)) {
			const char *q = skip_ws(line, line + llen);
			size_t keep = llen;
			if (q < line + llen && *q == '#') {
				if ((r = add_comment(df, q, (size_t)(line + llen - q), l.lineno)) < 0)
					break;
				continue;
			}
			if (q == line + llen)
				continue;
			more = continues(line, llen, df->escape);
			if (more) {
				while (keep && (line[keep - 1] == ' ' || line[keep - 1] == '\t'))
					keep--;
				keep--;
			}
			if (bw_buf_append(&b, line, keep) < 0)
				r = -E2BIG;
		}
		if (r == -E2BIG) {
			bw_buf_done(&b);
			bw_dockerfile_free(df);
			return bw_error_set(err, -E2BIG,
					    "%s:%u: instruction longer than %u bytes (runaway continuation?)",
					    name, start, BW_MAX_DOCKERFILE_LINE);
		}
		if (r < 0) {
			bw_buf_done(&b);
			break;
		}
		if (df->n >= BW_MAX_DOCKERFILE_INSTRUCTIONS) {
			bw_buf_done(&b);
			bw_dockerfile_free(df);
			return bw_error_set(err, -E2BIG, "%s:%u: more than %u instructions", name,
					    start, BW_MAX_DOCKERFILE_INSTRUCTIONS);
		}
		in.line = start;
		in.end_line = l.lineno;
		in.original = bw_buf_steal(&b);
		if (!in.original) {
			r = -ENOMEM;
			break;
		}
		r = split_instr(in.original, &in);
		if (r == 0 && !strcmp(in.cmd, "ONBUILD")) {
			in.onbuild = calloc(1, sizeof(*in.onbuild));
			if (!in.onbuild)
				r = -ENOMEM;
			else if (split_instr(in.args, in.onbuild) == 0) {
				in.onbuild->line = in.line;
				in.onbuild->end_line = in.end_line;
				in.onbuild->original = strdup(in.args);
				if (!in.onbuild->original)
					r = -ENOMEM;
			} else {
				instr_done(in.onbuild);
				free(in.onbuild);
				in.onbuild = NULL;
			}
		}
		if (r == 0 && takes_heredoc(in.cmd)) {
			r = find_heredocs(&in);
			if (r == 0)
				r = read_heredoc_bodies(&l, &in);
		}
		if (r == -E2BIG) {
			instr_done(&in);
			bw_dockerfile_free(df);
			return bw_error_set(err, -E2BIG, "%s:%u: heredoc longer than %u bytes", name,
					    start, BW_MAX_DOCKERFILE_LINE);
		}
		if (r == -EINVAL) {
			instr_done(&in);
			r = 0;
			continue;
		}
		if (r < 0) {
			instr_done(&in);
			break;
		}
		if (!strcmp(in.cmd, "FROM")) {
			if (seen_from)
				stage++;
			seen_from = true;
		}
		in.stage = stage;
		{
			struct bw_df_instr *ni = realloc(df->instrs, (df->n + 1) * sizeof(*ni));
			if (!ni) {
				instr_done(&in);
				r = -ENOMEM;
				break;
			}
			df->instrs = ni;
			df->instrs[df->n++] = in;
		}
	}
	if (r < 0) {
		bw_dockerfile_free(df);
		return bw_error_set(err, r, "%s: out of memory", name);
	}
	*ret = df;
	return 0;
}
