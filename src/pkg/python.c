/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <stdio.h>

#include "pkg/internal.h"

/*
 * Python: core metadata (.dist-info/METADATA, .egg-info/PKG-INFO, or an
 * .egg-info file), email-header style. Only the header block counts (the
 * body after the first blank line is the description); field names are
 * case-insensitive; the first Name and Version win.
 */
int parse_python_metadata(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
			  struct bw_error **err)
{
	struct lines c = { data, data + len };
	const char *line, *name = NULL, *ver = NULL, *lic = NULL;
	size_t n, name_n = 0, ver_n = 0, lic_n = 0;
	struct bw_pkg *p;

	while (next_line(&c, &line, &n)) {
		const char *colon, *v;
		size_t kn, vn;

		if (n == 0)
			break;
		if (line[0] == ' ' || line[0] == '\t')
			continue;
		colon = memchr(line, ':', n);
		if (!colon)
			continue;
		kn = (size_t)(colon - line);
		v = colon + 1;
		vn = n - kn - 1;
		trim(&v, &vn);
		if (kn == 4 && !strncasecmp(line, "Name", 4) && !name) {
			name = v;
			name_n = vn;
		} else if (kn == 7 && !strncasecmp(line, "Version", 7) && !ver) {
			ver = v;
			ver_n = vn;
		} else if (kn == 7 && !strncasecmp(line, "License", 7) && !lic && vn < 200) {
			lic = v;
			lic_n = vn;
		} else if (kn == 18 && !strncasecmp(line, "License-Expression", 18)) {
			lic = v;
			lic_n = vn;
		}
	}
	if (!name || !name_n || !ver || !ver_n)
		return bw_error_set(err, -EBADMSG, "%s: no Name and Version in the metadata", path);
	p = pkg_add(out, "pypi", "python-metadata", NULL, NULL, path);
	if (!p || pkg_set(&p->name, name, name_n) < 0 || pkg_set(&p->version, ver, ver_n) < 0 ||
	    (lic && lic_n && strcasecmp(lic, "UNKNOWN") && pkg_set(&p->license, lic, lic_n) < 0))
		return bw_error_set(err, -ENOMEM, "out of memory");
	return 0;
}

/*
 * requirements.txt: one requirement per logical line (a trailing backslash
 * continues it); comments start with " #"; options (-r, -e, --index-url)
 * are skipped, except `-r FILE` includes, read relative to the including file
 * through the caller's reader; per-requirement options ("--hash=...") and environment
 * markers (";") are cut off. A version is reported for a single pin-like
 * comparison; wildcards and environment variables give none.
 */
static int req_line(const char *path, char *s, struct bw_pkg_list *out, struct bw_error **err)
{
	char *h, *name, *op, *ver = NULL;
	size_t nn;
	struct bw_pkg *p;

	/* Comments: "#" at the start or after whitespace. */
	for (h = s; *h; h++)
		if (*h == '#' && (h == s || h[-1] == ' ' || h[-1] == '\t')) {
			*h = 0;
			break;
		}
	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s || *s == '-')
		return 0;
	/* Per-requirement options start with " -". */
	for (h = s; *h; h++)
		if ((*h == ' ' || *h == '\t') && h[1] == '-') {
			*h = 0;
			break;
		}
	h = strchr(s, ';');
	if (h)
		*h = 0;
	if (strstr(s, "://") || strchr(s, '@') || strchr(s, '/'))
		return 0; /* URLs, paths, PEP 508 direct references */
	name = s;
	nn = strcspn(name, "=<>!~[ \t(");
	if (nn == 0)
		return 0;
	op = name + nn;
	while (*op == ' ' || *op == '\t')
		op++;
	if (*op == '[') {
		char *e = strchr(op, ']');
		op = e ? e + 1 : op + strlen(op);
	}
	while (*op == ' ' || *op == '\t')
		op++;
	if (*op) {
		size_t on = strspn(op, "=<>!~");
		if (on == 0 || !strncmp(op, "!=", 2))
			on = 0;
		if (on) {
			ver = op + on;
			while (*ver == ' ' || *ver == '\t')
				ver++;
			/* Several constraints pin nothing. */
			bool several = strchr(ver, ',') != NULL;
			size_t vn = strlen(ver);
			while (vn && (ver[vn - 1] == ' ' || ver[vn - 1] == '\t' || ver[vn - 1] == '\r'))
				ver[--vn] = 0;
			if (vn == 0 || strstr(ver, "${"))
				return 0;
			if (several || strchr(ver, '*'))
				ver = NULL;
		}
	}
	p = pkg_add(out, "pypi", "python-requirements", NULL, ver, path);
	if (!p || pkg_set(&p->name, name, nn) < 0)
		return bw_error_set(err, -ENOMEM, "out of memory");
	return 0;
}

/* An include: `-r FILE`, `-rFILE`, `--requirement FILE`, `--requirement=FILE`.
 * Returns FILE (cut at whitespace, in place) or NULL. */
static char *req_include(char *s)
{
	char *f;

	while (*s == ' ' || *s == '\t')
		s++;
	if (bw_startswith(s, "--requirement"))
		f = s + 13;
	else if (bw_startswith(s, "-r"))
		f = s + 2;
	else
		return NULL;
	if (*f == '=')
		f++;
	else if (f == s + 13 && *f != ' ' && *f != '\t')
		return NULL; /* --requirements-something */
	while (*f == ' ' || *f == '\t')
		f++;
	f[strcspn(f, " \t#")] = 0;
	return *f ? f : NULL;
}

/* dir(base)/rel (or rel when absolute) with "." and ".." segments
 * resolved, into out. false when it does not fit or climbs above "/". */
static bool req_join(const char *base, const char *rel, char *out, size_t outsz)
{
	char tmp[BW_MAX_PATH + 1];
	const char *sl = strrchr(base, '/');
	size_t dn = rel[0] == '/' || !sl ? 0 : (size_t)(sl - base);
	size_t o = 0;
	int n;

	n = snprintf(tmp, sizeof(tmp), "%.*s/%s", (int)dn, base, rel);
	if (n < 0 || (size_t)n >= sizeof(tmp) || outsz < 2)
		return false;
	for (char *seg = tmp, *next; seg; seg = next) {
		next = strchr(seg, '/');
		if (next)
			*next++ = 0;
		if (!*seg || !strcmp(seg, "."))
			continue;
		if (!strcmp(seg, "..")) {
			if (o == 0)
				return false;
			while (o > 0 && out[o - 1] != '/')
				o--;
			o = o ? o - 1 : 0;
			continue;
		}
		if (o + 1 + strlen(seg) + 1 > outsz)
			return false;
		out[o++] = '/';
		memcpy(out + o, seg, strlen(seg));
		o += strlen(seg);
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = 0;
	return true;
}

struct req_tree {
	const char *root; /* the file being catalogued: the location of everything it includes */
	bw_os_read_fn read;
	void *ud;
	size_t files; /* read so far, the top one included */
	char *stack[BW_MAX_REQ_INCLUDE_DEPTH + 1]; /* the chain of includes, to stop cycles */
};

static int req_file(struct req_tree *t, int depth, const char *path, const char *data, size_t len,
		    struct bw_pkg_list *out, struct bw_error **err)
{
	struct lines c = { data, data + len };
	struct bw_buf b = BW_BUF_INIT(BW_MAX_PKG_FIELD);
	const char *line;
	size_t n, lineno = 0, start = 0;
	int r = 0;

	t->stack[depth] = (char *)path;
	while (r == 0) {
		bool more = next_line(&c, &line, &n), cont;
		if (more) {
			lineno++;
			cont = n && line[n - 1] == '\\';
			if (!b.len)
				start = lineno;
			r = bw_buf_append(&b, line, cont ? n - 1 : n);
			if (r < 0) {
				r = bw_error_set(err, r, "%s:%zu: requirement line too long", path, lineno);
				break;
			}
			if (cont)
				continue;
		}
		if (b.data && b.len) {
			char *inc = req_include(b.data), incpath[BW_MAX_PATH + 1];
			char *idata = NULL;
			size_t ilen = 0;
			bool cycle = false;

			if (!inc)
				r = req_line(t->root, b.data, out, err);
			else if (!t->read)
				; /* no tree to read from: the include is skipped */
			else if (!req_join(path, inc, incpath, sizeof(incpath)))
				bw_log(BW_LOG_WARN, "%s:%zu: cannot resolve included `%s`, ignoring", path, start, inc);
			else if (depth + 1 > BW_MAX_REQ_INCLUDE_DEPTH || t->files >= BW_MAX_REQ_INCLUDE_FILES)
				bw_log(BW_LOG_WARN, "%s:%zu: `%s`: includes nested too deep or too many, ignoring", path,
				       start, inc);
			else {
				for (int d = 0; d <= depth; d++)
					cycle |= !strcmp(t->stack[d], incpath);
				if (cycle)
					bw_log(BW_LOG_WARN, "%s:%zu: `%s` is already being read (an include cycle), ignoring",
					       path, start, inc);
				else if (t->read(t->ud, incpath, &idata, &ilen) < 0)
					bw_log(BW_LOG_WARN, "%s:%zu: cannot read included `%s`, ignoring", path, start,
					       incpath);
				else if (ilen > BW_MAX_PKG_META_SIZE)
					bw_log(BW_LOG_WARN, "%s:%zu: included `%s` is too large, ignoring", path, start,
					       incpath);
				else {
					t->files++;
					r = req_file(t, depth + 1, incpath, idata, ilen, out, err);
				}
				free(idata);
			}
		}
		bw_buf_reset(&b);
		if (!more)
			break;
	}
	bw_buf_done(&b);
	return r;
}

int parse_requirements_tree(const char *path, const char *data, size_t len, bw_os_read_fn read, void *ud,
			    struct bw_pkg_list *out, struct bw_error **err)
{
	struct req_tree t = { .root = path, .read = read, .ud = ud, .files = 1 };

	return req_file(&t, 0, path, data, len, out, err);
}

int parse_requirements(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
		       struct bw_error **err)
{
	return parse_requirements_tree(path, data, len, NULL, NULL, out, err);
}
