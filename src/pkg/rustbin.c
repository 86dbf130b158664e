/* SPDX-License-Identifier: Apache-2.0 */
#include <jansson.h>
#include <zlib.h>

#include "pkg/internal.h"

/*
 * Rust binaries built with `cargo auditable`: the `.dep-v0` section holds
 * the zlib-compressed JSON of the dependency tree,
 *   {"packages":[{"name","version","source","kind"?,"dependencies"?,"root"?}],
 *    "format"?: N}
 * where source is "crates.io", "registry", "git", "local", ... and kind is
 * "build" or "runtime" (omitted: runtime).
 *
 * A whole binary (bw_pkg_parse) is read by its section headers. A binary
 * streaming out of a layer cannot be: its section headers come last. So
 * the stream is searched for the start of a zlib stream whose inflated
 * bytes begin with `{"packages":` (a zlib header, then a trial inflate of
 * a few hundred bytes), and once found that stream is inflated to its end
 * as the binary goes by. Only the JSON is kept.
 */

#define RUST_MAGIC "{\"packages\":"
#define RUST_MAGIC_LEN 12
/* Input bytes a trial inflate may need before the first 12 bytes come out
 * (a dynamic Huffman header is at most ~300 bytes). */
#define RUST_LOOKAHEAD 512u
#define RUST_WIN (64u << 10)

/* ---------------------------------------------------------------- JSON */

static int parse_json(const char *path, const char *js, size_t len, struct bw_pkg_list *out, struct bw_error **err)
{
	json_error_t je;
	json_t *root = json_loadb(js, len, 0, &je), *pkgs, *v;
	size_t i;
	int r = 0;

	if (!root)
		return bw_error_set(err, -EBADMSG, "%s: cargo-auditable data is not JSON: %s", path, je.text);
	pkgs = json_object_get(root, "packages");
	if (!json_is_array(pkgs)) {
		json_decref(root);
		return bw_error_set(err, -EBADMSG, "%s: cargo-auditable data has no packages", path);
	}
	json_array_foreach(pkgs, i, v)
	{
		const char *n = json_string_value(json_object_get(v, "name"));
		const char *ver = json_string_value(json_object_get(v, "version"));
		const char *kind = json_string_value(json_object_get(v, "kind"));
		struct bw_pkg *p;

		if (!n || !*n || !ver || !*ver)
			continue;
		p = pkg_add(out, "cargo", "rust-cargo-auditable", n, ver, path);
		if (!p) {
			r = bw_error_set(err, -ENOMEM, "out of memory");
			break;
		}
		p->dev = kind && !strcmp(kind, "build");
	}
	json_decref(root);
	return r;
}

/* Inflates a whole zlib stream (bounded). */
static int inflate_all(const char *path, const uint8_t *z, size_t zn, char **ret, size_t *ret_len,
		       struct bw_error **err)
{
	struct bw_buf b = BW_BUF_INIT(BW_MAX_RUST_AUDIT_JSON + 1);
	z_stream s = { 0 };
	uint8_t chunk[16384];
	int zr = Z_OK;

	if (zn > BW_MAX_RUST_AUDIT_ZLIB)
		return bw_error_set(err, -EFBIG, "%s: cargo-auditable section too large", path);
	if (inflateInit(&s) != Z_OK)
		return bw_error_set(err, -ENOMEM, "out of memory");
	s.next_in = (Bytef *)z;
	s.avail_in = (uInt)zn;
	while (zr == Z_OK) {
		s.next_out = chunk;
		s.avail_out = sizeof(chunk);
		zr = inflate(&s, Z_NO_FLUSH);
		if ((zr == Z_OK || zr == Z_STREAM_END) && bw_buf_append(&b, chunk, sizeof(chunk) - s.avail_out) < 0) {
			zr = Z_MEM_ERROR;
			break;
		}
		if (zr == Z_OK && s.avail_in == 0 && s.avail_out != 0)
			zr = Z_BUF_ERROR;
	}
	inflateEnd(&s);
	if (zr != Z_STREAM_END) {
		bw_buf_done(&b);
		return bw_error_set(err, -EBADMSG, "%s: cargo-auditable section: %s", path,
				    zr == Z_MEM_ERROR ? "inflates past the limit" : "corrupt zlib data");
	}
	*ret_len = b.len;
	*ret = bw_buf_steal(&b);
	if (!*ret)
		*ret = strdup("");
	return *ret ? 0 : bw_error_set(err, -ENOMEM, "out of memory");
}

/* ---------------------------------------------------------------- ELF */

static uint64_t rd(const uint8_t *p, int size, bool le)
{
	uint64_t v = 0;

	for (int i = 0; i < size; i++)
		v |= (uint64_t)p[le ? i : size - 1 - i] << (8 * i);
	return v;
}

/* Finds `.dep-v0` by the section headers of a whole ELF file. */
static int elf_dep_section(const char *path, const uint8_t *d, size_t len, const uint8_t **ret, size_t *ret_len,
			   struct bw_error **err)
{
	bool is64, le;
	uint64_t shoff, shnum, shentsize, shstrndx, stroff, strsz;
	const uint8_t *sh;

	if (len < 64 || memcmp(d, "\x7f" "ELF", 4) || (d[4] != 1 && d[4] != 2) || (d[5] != 1 && d[5] != 2))
		return bw_error_set(err, -EBADMSG, "%s: not an ELF file", path);
	is64 = d[4] == 2;
	le = d[5] == 1;
	shoff = is64 ? rd(d + 0x28, 8, le) : rd(d + 0x20, 4, le);
	shentsize = rd(d + (is64 ? 0x3a : 0x2e), 2, le);
	shnum = rd(d + (is64 ? 0x3c : 0x30), 2, le);
	shstrndx = rd(d + (is64 ? 0x3e : 0x32), 2, le);
	if (shentsize < (is64 ? 64u : 40u) || shstrndx >= shnum || shoff > len || shnum > (len - shoff) / shentsize)
		return bw_error_set(err, -EBADMSG, "%s: bad ELF section headers", path);
	sh = d + shoff + shstrndx * shentsize;
	stroff = is64 ? rd(sh + 0x18, 8, le) : rd(sh + 0x10, 4, le);
	strsz = is64 ? rd(sh + 0x20, 8, le) : rd(sh + 0x14, 4, le);
	if (stroff > len || strsz > len - stroff)
		return bw_error_set(err, -EBADMSG, "%s: bad ELF section name table", path);
	for (uint64_t i = 0; i < shnum; i++) {
		const uint8_t *s = d + shoff + i * shentsize;
		uint64_t name = rd(s, 4, le), off, size;
		if (name >= strsz || strsz - name < 8 || memcmp(d + stroff + name, ".dep-v0", 8))
			continue;
		off = is64 ? rd(s + 0x18, 8, le) : rd(s + 0x10, 4, le);
		size = is64 ? rd(s + 0x20, 8, le) : rd(s + 0x14, 4, le);
		if (off > len || size > len - off)
			return bw_error_set(err, -EBADMSG, "%s: `.dep-v0` lies outside the file", path);
		*ret = d + off;
		*ret_len = (size_t)size;
		return 0;
	}
	return bw_error_set(err, -ENOTSUP, "%s: no cargo-auditable `.dep-v0` section", path);
}

/* kind "rust-binary": a whole ELF binary, or the inflated JSON a stream
 * probe captured (it starts with `{`). */
int parse_rust_binary(const char *path, const char *data, size_t len, struct bw_pkg_list *out, struct bw_error **err)
{
	_cleanup_free_ char *js = NULL;
	const uint8_t *z = NULL;
	size_t zn = 0, jn = 0;
	int r;

	if (len && data[0] == '{')
		return parse_json(path, data, len, out, err);
	r = elf_dep_section(path, (const uint8_t *)data, len, &z, &zn, err);
	if (r == 0)
		r = inflate_all(path, z, zn, &js, &jn, err);
	if (r == 0)
		r = parse_json(path, js, jn, out, err);
	return r;
}

/* ---------------------------------------------------------------- stream */

struct rust_probe {
	int state; /* 0 before the ELF magic check, 1 searching, 2 inflating, 3 done */
	bool found;
	bool elf; /* the ELF magic was seen */
	bool z_init;
	z_stream z;
	uint8_t *win; /* RUST_WIN + RUST_LOOKAHEAD bytes: starts not yet tried, and lookahead */
	size_t win_len;
	struct bw_buf json;
	size_t zin; /* compressed bytes fed once found */
};

struct rust_probe *rust_probe_new(void)
{
	struct rust_probe *rp = calloc(1, sizeof(*rp));

	if (!rp)
		return NULL;
	rp->json = BW_BUF_INIT(BW_MAX_RUST_AUDIT_JSON + 1);
	return rp;
}

void rust_probe_free(struct rust_probe *rp)
{
	if (!rp)
		return;
	if (rp->z_init)
		inflateEnd(&rp->z);
	free(rp->win);
	bw_buf_done(&rp->json);
	free(rp);
}

/* Inflates n more bytes of the found stream into json. Returns 1 when the
 * stream ended (found) or failed, 0 for more. */
static int probe_inflate(struct rust_probe *rp, const uint8_t *p, size_t n)
{
	uint8_t chunk[8192];

	rp->zin += n;
	if (rp->zin > BW_MAX_RUST_AUDIT_ZLIB) {
		rp->state = 3;
		return 1;
	}
	rp->z.next_in = (Bytef *)p;
	rp->z.avail_in = (uInt)n;
	for (;;) {
		int zr;
		rp->z.next_out = chunk;
		rp->z.avail_out = sizeof(chunk);
		zr = inflate(&rp->z, Z_NO_FLUSH);
		if ((zr == Z_OK || zr == Z_STREAM_END) &&
		    bw_buf_append(&rp->json, chunk, sizeof(chunk) - rp->z.avail_out) < 0)
			zr = Z_MEM_ERROR;
		if (zr == Z_STREAM_END) {
			rp->found = true;
			rp->state = 3;
			return 1;
		}
		if (zr != Z_OK && zr != Z_BUF_ERROR) {
			rp->state = 3;
			return 1;
		}
		if (rp->z.avail_in == 0 && rp->z.avail_out != 0)
			return 0;
	}
}

/* Does a zlib stream whose inflated bytes start with RUST_MAGIC start at
 * p (n bytes available)? */
static bool probe_try(struct rust_probe *rp, const uint8_t *p, size_t n)
{
	uint8_t outb[RUST_MAGIC_LEN];
	int zr;

	if (n < 3 || p[0] != 0x78 || ((p[0] << 8) | p[1]) % 31 || (p[1] & 0x20) || ((p[2] >> 1) & 3) == 3)
		return false;
	if (!rp->z_init) {
		if (inflateInit(&rp->z) != Z_OK)
			return false;
		rp->z_init = true;
	} else if (inflateReset(&rp->z) != Z_OK)
		return false;
	rp->z.next_in = (Bytef *)p;
	rp->z.avail_in = (uInt)(n < RUST_LOOKAHEAD ? n : RUST_LOOKAHEAD);
	rp->z.next_out = outb;
	rp->z.avail_out = sizeof(outb);
	do
		zr = inflate(&rp->z, Z_SYNC_FLUSH);
	while (zr == Z_OK && rp->z.avail_out && rp->z.avail_in);
	if (rp->z.avail_out || memcmp(outb, RUST_MAGIC, RUST_MAGIC_LEN))
		return false;
	/* Found: start again from the stream's first byte, keeping the output. */
	if (inflateReset(&rp->z) != Z_OK)
		return false;
	rp->state = 2;
	return true;
}

/* Tries every start in win[0, upto); on a find, inflates the rest of win. */
static int probe_scan(struct rust_probe *rp, size_t upto)
{
	for (size_t i = 0; i < upto;) {
		const uint8_t *m = memchr(rp->win + i, 0x78, upto - i);
		if (!m)
			break;
		i = (size_t)(m - rp->win);
		if (probe_try(rp, m, rp->win_len - i))
			return probe_inflate(rp, m, rp->win_len - i);
		i++;
	}
	return 0;
}

/* Feeds the next n bytes of the file (off: where they start). Returns 1
 * once there is nothing more to learn from this file. */
int rust_probe_feed(struct rust_probe *rp, uint64_t off, const uint8_t *p, size_t n)
{
	if (rp->state == 3)
		return 1;
	if (rp->state == 2)
		return probe_inflate(rp, p, n);
	if (rp->state == 0) {
		if (off != 0) {
			rp->state = 3;
			return 1;
		}
		rp->win = malloc(RUST_WIN + RUST_LOOKAHEAD);
		if (!rp->win) {
			rp->state = 3;
			return 1;
		}
		rp->state = 1;
	}
	while (n) {
		size_t k = RUST_WIN + RUST_LOOKAHEAD - rp->win_len;
		if (k > n)
			k = n;
		memcpy(rp->win + rp->win_len, p, k);
		rp->win_len += k;
		p += k;
		n -= k;
		/* only ELF files (the first 4 bytes may come in several pieces) */
		if (!rp->elf && rp->win_len >= 4) {
			if (memcmp(rp->win, "\x7f" "ELF", 4)) {
				rp->state = 3;
				return 1;
			}
			rp->elf = true;
		}
		if (rp->win_len < RUST_WIN + RUST_LOOKAHEAD)
			break;
		/* every start before the last RUST_LOOKAHEAD bytes has its lookahead */
		if (probe_scan(rp, RUST_WIN))
			return 1;
		if (rp->state == 2)
			return n ? probe_inflate(rp, p, n) : 0;
		memmove(rp->win, rp->win + RUST_WIN, RUST_LOOKAHEAD);
		rp->win_len = RUST_LOOKAHEAD;
	}
	return 0;
}

/* At the end of the file: tries the last starts, then hands over the JSON
 * (malloc'd, NUL-terminated) if a whole stream was found. */
bool rust_probe_finish(struct rust_probe *rp, char **ret, size_t *ret_len)
{
	if (rp->state == 1 && rp->elf)
		probe_scan(rp, rp->win_len);
	if (!rp->found)
		return false;
	*ret_len = rp->json.len;
	*ret = bw_buf_steal(&rp->json);
	return *ret != NULL;
}
