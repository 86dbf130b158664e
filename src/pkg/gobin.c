/* SPDX-License-Identifier: Apache-2.0 */
#include "pkg/internal.h"

/*
 * Go build info (Go 1.18+): a 32-byte header in .go.buildinfo, 16-byte
 * aligned, starting with "\xff Go buildinf:", then (flag 2: inline strings)
 * two uvarint-length-prefixed strings: the Go version and the module info.
 * The module info sits between two 16-byte sentinels and holds tab-separated
 * lines: "path", "mod", "dep", "=>" (replaces the line before), "build".
 * Older binaries point at their strings through addresses instead; those
 * are reported without modules (and a warning by the caller).
 */

static int uvarint(const uint8_t **p, const uint8_t *end, uint64_t *ret)
{
	uint64_t v = 0;

	for (int s = 0; s < 64 && *p < end; s += 7) {
		uint8_t b = *(*p)++;
		v |= (uint64_t)(b & 0x7f) << s;
		if (!(b & 0x80)) {
			*ret = v;
			return 0;
		}
	}
	return -EBADMSG;
}

static int add_mod(const char *path, const char *mod, size_t mn, const char *ver, size_t vn,
		   const char *gover, struct bw_pkg_list *out)
{
	struct bw_pkg *p = pkg_add(out, "golang", "go-binary", NULL, NULL, path);

	(void)gover;
	if (!p || pkg_set(&p->name, mod, mn) < 0 || pkg_set(&p->version, ver, vn) < 0)
		return -ENOMEM;
	return 0;
}

/* Parses the build info starting at its magic (data/len from there on). */
static int parse_blob(const char *path, const uint8_t *d, size_t len, struct bw_pkg_list *out,
		      struct bw_error **err)
{
	const uint8_t *p = d + 32, *end = d + len;
	uint64_t n;
	const char *gv, *mi;
	size_t gvn, min;
	size_t from = out->n;

	if (len < 32)
		return bw_error_set(err, -EBADMSG, "%s: truncated Go build info", path);
	if (!(d[15] & 2))
		return bw_error_set(err, -ENOTSUP, "%s: Go build info of a pre-1.18 binary", path);
	if (uvarint(&p, end, &n) < 0 || n > (uint64_t)(end - p))
		return bw_error_set(err, -EBADMSG, "%s: bad Go version in build info", path);
	gv = (const char *)p;
	gvn = (size_t)n;
	p += n;
	if (uvarint(&p, end, &n) < 0 || n > (uint64_t)(end - p))
		return bw_error_set(err, -EBADMSG, "%s: bad module info in Go build info", path);
	mi = (const char *)p;
	min = (size_t)n;
	if (gvn == 0 || gvn > 64 || !bw_startswith(gv, "go"))
		return bw_error_set(err, -EBADMSG, "%s: bad Go version in build info", path);
	/* Strip the sentinels. */
	if (min >= 33) {
		mi += 16;
		min -= 32;
	} else {
		min = 0;
	}
	struct lines c = { mi, mi + min };
	const char *line;
	size_t ln;
	while (next_line(&c, &line, &ln)) {
		const char *f[4];
		size_t fn[4], nf = 0;
		const char *s = line, *e = line + ln;

		while (nf < 4 && s <= e) {
			const char *t = memchr(s, '\t', (size_t)(e - s));
			f[nf] = s;
			fn[nf] = t ? (size_t)(t - s) : (size_t)(e - s);
			nf++;
			if (!t)
				break;
			s = t + 1;
		}
		if (nf >= 3 && ((fn[0] == 3 && !memcmp(f[0], "mod", 3)) || (fn[0] == 3 && !memcmp(f[0], "dep", 3)))) {
			/* The main module of a `go build` in its folder is "(devel)". */
			if (add_mod(path, f[1], fn[1], f[2], fn[2], gv, out) < 0)
				return bw_error_set(err, -ENOMEM, "out of memory");
		} else if (nf >= 3 && fn[0] == 2 && !memcmp(f[0], "=>", 2) && out->n > from) {
			/* A replacement: the module that is really built in. */
			struct bw_pkg *last = &out->v[out->n - 1];
			if (pkg_set(&last->name, f[1], fn[1]) < 0 || pkg_set(&last->version, f[2], fn[2]) < 0)
				return bw_error_set(err, -ENOMEM, "out of memory");
		}
	}
	/* The standard library, as syft and trivy report it. */
	struct bw_pkg *sp = pkg_add(out, "golang", "go-binary", "stdlib", NULL, path);
	if (!sp)
		return bw_error_set(err, -ENOMEM, "out of memory");
	char vbuf[72];
	size_t k = gvn - 2 < sizeof(vbuf) - 2 ? gvn - 2 : sizeof(vbuf) - 2;
	vbuf[0] = 'v';
	memcpy(vbuf + 1, gv + 2, k);
	vbuf[k + 1] = 0;
	vbuf[strcspn(vbuf, " ")] = 0;
	if (pkg_sets(&sp->version, vbuf) < 0)
		return bw_error_set(err, -ENOMEM, "out of memory");
	return 0;
}

int parse_go_buildinfo(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
		       struct bw_error **err)
{
	const uint8_t *d = (const uint8_t *)data;

	for (size_t off = 0; off + GO_BUILDINFO_MAGIC_LEN <= len; off += 16) {
		const uint8_t *m = memmem(d + off, len - off, GO_BUILDINFO_MAGIC, GO_BUILDINFO_MAGIC_LEN);
		if (!m)
			break;
		off = (size_t)(m - d);
		if (off % 16 == 0)
			return parse_blob(path, m, len - off, out, err);
		off &= ~(size_t)15;
	}
	return bw_error_set(err, -ENOENT, "%s: no Go build info", path);
}
