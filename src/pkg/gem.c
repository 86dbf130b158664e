/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>

#include "pkg/internal.h"

/*
 * Installed Ruby gems: specifications/NAME-VERSION.gemspec, the Ruby source
 * RubyGems writes for each installed gem (Gem::Specification#to_ruby).
 * Ruby is not evaluated; the assignments are read line by line:
 *   s.name = "rack".freeze         s.version = "2.2.22"
 *   s.version = Gem::Version.new("1.2")
 *   s.license = "MIT"              s.licenses = ["MIT".freeze, "Ruby"]
 * (any receiver name, '...' "..." %q<...> %q{...} %q(...) %q[...] strings).
 * Without a name or version the `# stub: NAME VERSION PLATFORM PATHS`
 * comment RubyGems writes on line 2 is used.
 */

/* Reads one Ruby string literal at *s (before end); on success *ret and *ret_n
 * are its text (escapes kept: names and versions have none) and *s moves
 * past it. */
static bool ruby_str(const char **s, const char *end, const char **ret, size_t *ret_n)
{
	const char *p = *s, *q;
	char close;

	if (p < end && (*p == '"' || *p == '\'')) {
		close = *p++;
	} else if (end - p >= 3 && p[0] == '%' && (p[1] == 'q' || p[1] == 'Q') && strchr("<{([|!", p[2])) {
		static const char open[] = "<{([|!", shut[] = ">})]|!";
		close = shut[strchr(open, p[2]) - open];
		p += 3;
	} else
		return false;
	for (q = p; q < end && *q != close; q++)
		if (*q == '\\' && q + 1 < end)
			q++;
	if (q >= end)
		return false;
	*ret = p;
	*ret_n = (size_t)(q - p);
	*s = q + 1;
	return true;
}

static void skip_ws(const char **s, const char *end)
{
	while (*s < end && (**s == ' ' || **s == '\t'))
		(*s)++;
}

/* "IDENT.FIELD = " at the start of a (trimmed) line: returns the value. */
static const char *assignment(const char *line, const char *end, const char *field)
{
	const char *p = line, *dot;
	size_t fn = strlen(field);

	while (p < end && (isalnum((unsigned char)*p) || *p == '_' || *p == '@'))
		p++;
	if (p == line || p >= end || *p != '.')
		return NULL;
	dot = p + 1;
	if ((size_t)(end - dot) < fn || memcmp(dot, field, fn))
		return NULL;
	p = dot + fn;
	skip_ws(&p, end);
	if (p >= end || *p != '=' || (p + 1 < end && (p[1] == '=' || p[1] == '~')))
		return NULL;
	p++;
	skip_ws(&p, end);
	return p;
}

int parse_gemspec(const char *path, const char *data, size_t len, struct bw_pkg_list *out, struct bw_error **err)
{
	struct lines c = { data, data + len };
	const char *line, *name = NULL, *ver = NULL, *stub_n = NULL, *stub_v = NULL;
	size_t n, name_n = 0, ver_n = 0, stub_nn = 0, stub_vn = 0;
	struct bw_buf lic = BW_BUF_INIT(4096);
	struct bw_pkg *p;
	int r = 0;

	if (len > BW_MAX_GEMSPEC_SIZE)
		return bw_error_set(err, -EFBIG, "%s: too large for a gemspec", path);
	while (next_line(&c, &line, &n)) {
		const char *e = line + n, *v, *s;
		size_t sn;

		trim(&line, &n);
		e = line + n;
		if (n > 8 && !memcmp(line, "# stub: ", 8) && !stub_n) {
			const char *a = line + 8, *b = memchr(a, ' ', (size_t)(e - a));
			if (b && b > a) {
				const char *c2 = b + 1, *d = memchr(c2, ' ', (size_t)(e - c2));
				stub_n = a;
				stub_nn = (size_t)(b - a);
				stub_v = c2;
				stub_vn = d ? (size_t)(d - c2) : (size_t)(e - c2);
			}
			continue;
		}
		if (!name && (v = assignment(line, e, "name")) && ruby_str(&v, e, &s, &sn)) {
			name = s;
			name_n = sn;
		} else if (!ver && (v = assignment(line, e, "version"))) {
			if ((size_t)(e - v) > 16 && !memcmp(v, "Gem::Version.new", 16)) {
				v += 16;
				skip_ws(&v, e);
				if (v < e && *v == '(')
					v++;
				skip_ws(&v, e);
			}
			if (ruby_str(&v, e, &s, &sn)) {
				ver = s;
				ver_n = sn;
			}
		} else if (!lic.len && ((v = assignment(line, e, "licenses")) || (v = assignment(line, e, "license")))) {
			/* one string, or an array: a gem under several licences may be
			 * used under any of them, hence " OR " */
			bool arr = v < e && *v == '[';
			if (arr)
				v++;
			for (;;) {
				skip_ws(&v, e);
				if (!ruby_str(&v, e, &s, &sn))
					break;
				if ((lic.len && bw_buf_puts(&lic, " OR ") < 0) || bw_buf_append(&lic, s, sn) < 0)
					break; /* a longer list is cut */
				if (!arr)
					break;
				if ((size_t)(e - v) >= 7 && !memcmp(v, ".freeze", 7))
					v += 7;
				skip_ws(&v, e);
				if (v >= e || *v != ',')
					break;
				v++;
			}
		}
	}
	if (!name || !name_n) {
		name = stub_n;
		name_n = stub_nn;
	}
	if (!ver || !ver_n) {
		ver = stub_v;
		ver_n = stub_vn;
	}
	if (!name || !name_n || !ver || !ver_n) {
		bw_buf_done(&lic);
		return bw_error_set(err, -EBADMSG, "%s: no gem name and version in the gemspec", path);
	}
	p = pkg_add(out, "gem", "ruby-gemspec", NULL, NULL, path);
	if (!p || pkg_set(&p->name, name, name_n) < 0 || pkg_set(&p->version, ver, ver_n) < 0 ||
	    (lic.len && pkg_set(&p->license, lic.data, lic.len) < 0))
		r = bw_error_set(err, -ENOMEM, "out of memory");
	bw_buf_done(&lic);
	return r;
}
