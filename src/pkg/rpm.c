/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>

#include "pkg/internal.h"

/*
 * rpm databases. All three on-disk formats hold the same thing: one header
 * blob per installed package, as rpm stores it (lib/header.c
 * headerExport() without the 8-byte magic):
 *
 *   be32 il, be32 dl, il index entries of 4 be32 (tag, type, offset,
 *   count), then dl bytes of data store.
 *
 * The formats only differ in where the blobs are:
 *  - Berkeley DB hash `Packages` (rpm < 4.16): hash pages whose values
 *    point at chains of overflow pages; either byte order (the magic says).
 *  - NDB `Packages.db` (rpm 4.16 ndb backend, SUSE): a slot table of
 *    (pkgidx, blkoff, blkcnt) and blobs framed by `BlbS` ... `BlbE`,
 *    little-endian.
 *  - SQLite `rpmdb.sqlite` (rpm >= 4.16): the `blob` column of the
 *    `Packages` table, read here straight from the b-tree pages.
 *
 * Nothing trusts a count or an offset: every one is checked against the
 * buffer, page walks carry a visited bitmap, and recursion is capped.
 */

enum {
	TAG_NAME = 1000,
	TAG_VERSION = 1001,
	TAG_RELEASE = 1002,
	TAG_EPOCH = 1003,
	TAG_LICENSE = 1014,
	TAG_ARCH = 1022,
	TAG_OLDFILENAMES = 1027,
	TAG_SOURCERPM = 1044,
	TAG_DIRINDEXES = 1116,
	TAG_BASENAMES = 1117,
	TAG_DIRNAMES = 1118,
};

enum {
	T_INT32 = 4,
	T_STRING = 6,
	T_STRING_ARRAY = 8,
	T_I18NSTRING = 9,
};

/* rpm's own caps (lib/header_internal.h): HEADER_TAGS_MAX, HEADER_DATA_MAX. */
#define RPM_MAX_TAGS 0xffffu
#define RPM_MAX_DATA 0x0fffffffu

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

struct hdr {
	const uint8_t *idx, *data;
	uint32_t il, dl;
};

struct entry {
	uint32_t type, off, count;
};

static bool hdr_find(const struct hdr *h, uint32_t tag, struct entry *ret)
{
	for (uint32_t i = 0; i < h->il; i++) {
		const uint8_t *e = h->idx + (size_t)i * 16;
		if (be32(e) != tag)
			continue;
		ret->type = be32(e + 4);
		ret->off = be32(e + 8);
		ret->count = be32(e + 12);
		return ret->off < h->dl;
	}
	return false;
}

/* The first string of a string-valued tag, bounded by the data store. */
static const char *hdr_str(const struct hdr *h, uint32_t tag, size_t *ret_len)
{
	struct entry e;
	const char *s, *nul;

	if (!hdr_find(h, tag, &e) ||
	    (e.type != T_STRING && e.type != T_I18NSTRING && e.type != T_STRING_ARRAY) || !e.count)
		return NULL;
	s = (const char *)h->data + e.off;
	nul = memchr(s, 0, h->dl - e.off);
	if (!nul)
		return NULL;
	*ret_len = (size_t)(nul - s);
	return s;
}

static bool hdr_int32(const struct hdr *h, uint32_t tag, uint32_t *ret)
{
	struct entry e;

	if (!hdr_find(h, tag, &e) || e.type != T_INT32 || !e.count || e.off % 4 || h->dl - e.off < 4)
		return false;
	*ret = be32(h->data + e.off);
	return true;
}

/* Splits a string array into at most max pointers (into the data store). */
static int hdr_strv(const struct hdr *h, uint32_t tag, const char ***ret, uint32_t *ret_n)
{
	struct entry e;
	const char **v;
	const char *s, *end = (const char *)h->data + h->dl;

	*ret = NULL;
	*ret_n = 0;
	if (!hdr_find(h, tag, &e) || e.type != T_STRING_ARRAY || !e.count)
		return 0;
	/* Each string takes at least one byte: a count beyond the store is a lie. */
	if (e.count > h->dl - e.off)
		return -EBADMSG;
	v = calloc(e.count, sizeof(*v));
	if (!v)
		return -ENOMEM;
	s = (const char *)h->data + e.off;
	for (uint32_t i = 0; i < e.count; i++) {
		const char *nul = memchr(s, 0, (size_t)(end - s));
		if (!nul) {
			free(v);
			return -EBADMSG;
		}
		v[i] = s;
		s = nul + 1;
	}
	*ret = v;
	*ret_n = e.count;
	return 0;
}

static int hdr_files(const struct hdr *h, struct bw_pkg *p)
{
	_cleanup_free_ const char **base = NULL, **dirs = NULL;
	uint32_t nb, nd;
	struct entry di;
	int r;

	r = hdr_strv(h, TAG_BASENAMES, &base, &nb);
	if (r < 0)
		return r;
	if (!nb) {
		r = hdr_strv(h, TAG_OLDFILENAMES, &base, &nb);
		if (r < 0 || !nb)
			return r;
		nd = 0;
	} else {
		r = hdr_strv(h, TAG_DIRNAMES, &dirs, &nd);
		if (r < 0)
			return r;
		if (!hdr_find(h, TAG_DIRINDEXES, &di) || di.type != T_INT32 || di.count != nb || di.off % 4 ||
		    (uint64_t)nb * 4 > h->dl - di.off)
			return -EBADMSG;
	}
	p->files = calloc(nb, sizeof(*p->files));
	if (!p->files)
		return -ENOMEM;
	for (uint32_t i = 0; i < nb; i++) {
		const char *d = "";
		if (dirs) {
			uint32_t k = be32(h->data + di.off + (size_t)i * 4);
			if (k >= nd)
				return -EBADMSG;
			d = dirs[k];
		}
		if (asprintf(&p->files[i], "%s%s", d, base[i]) < 0) {
			p->files[i] = NULL;
			return -ENOMEM;
		}
		p->n_files = i + 1;
	}
	return 0;
}

/* One header blob: a package appended to out, 0 when the blob is not a
 * package (no name: the BDB instance counter), -EBADMSG when malformed. */
static int rpm_header(const char *path, const uint8_t *b, size_t n, struct bw_pkg_list *out)
{
	struct hdr h;
	const char *s;
	size_t sn;
	uint32_t epoch;
	struct bw_pkg *p;
	int r;

	if (n < 8)
		return n == 4 ? 0 : -EBADMSG;
	h.il = be32(b);
	h.dl = be32(b + 4);
	if (!h.il || h.il > RPM_MAX_TAGS || h.dl > RPM_MAX_DATA || (uint64_t)h.il * 16 + h.dl > n - 8)
		return -EBADMSG;
	h.idx = b + 8;
	h.data = h.idx + (size_t)h.il * 16;
	s = hdr_str(&h, TAG_NAME, &sn);
	if (!s || !sn)
		return -EBADMSG;
	p = pkg_add(out, "rpm", "rpm", NULL, NULL, path);
	if (!p)
		return -ENOMEM;
	r = pkg_set(&p->name, s, sn);
	if (r == 0 && (s = hdr_str(&h, TAG_VERSION, &sn)))
		r = pkg_set(&p->version, s, sn);
	if (r == 0 && (s = hdr_str(&h, TAG_RELEASE, &sn)))
		r = pkg_set(&p->release, s, sn);
	if (r == 0 && (s = hdr_str(&h, TAG_ARCH, &sn)))
		r = pkg_set(&p->arch, s, sn);
	if (r == 0 && (s = hdr_str(&h, TAG_LICENSE, &sn)))
		r = pkg_set(&p->license, s, sn);
	if (r == 0 && (s = hdr_str(&h, TAG_SOURCERPM, &sn)) && sn && strncmp(s, "(none)", sn)) {
		r = pkg_set(&p->source_rpm, s, sn);
		/* name-version-release.src.rpm: the name is before the last two dashes. */
		const char *e = s + sn, *d1 = NULL, *d2 = NULL;
		if (sn > 8 && !memcmp(e - 8, ".src.rpm", 8))
			e -= 8;
		else if (sn > 10 && !memcmp(e - 10, ".nosrc.rpm", 10))
			e -= 10;
		for (const char *c = e; c > s; c--)
			if (c[-1] == '-') {
				if (!d2)
					d2 = c - 1;
				else {
					d1 = c - 1;
					break;
				}
			}
		if (r == 0 && d1 && d1 > s) {
			r = pkg_set(&p->source_name, s, (size_t)(d1 - s));
			if (r == 0)
				r = pkg_set(&p->source_version, d1 + 1, (size_t)(e - d1 - 1));
		}
	}
	if (hdr_int32(&h, TAG_EPOCH, &epoch) && epoch <= INT32_MAX)
		p->epoch = (int)epoch;
	if (r == 0) {
		r = hdr_files(&h, p);
		if (r == -EBADMSG)
			r = 0; /* a broken file list: the package still counts */
	}
	return r;
}

/* One header blob (for the fuzz target): rpm_header with its packages
 * finished. */
int rpm_header_blob(const char *path, const uint8_t *b, size_t n, struct bw_pkg_list *out)
{
	size_t from = out->n;
	int r = rpm_header(path, b, n, out);

	return pkg_finish(out, from, NULL) < 0 ? -ENOMEM : r;
}

/* ---------------------------------------------------------------- walk */

struct rpm_walk {
	const char *path;
	const uint8_t *d;
	size_t len;
	struct bw_pkg_list *out;
	size_t bad, good;
	struct bw_error **err;
};

static int walk_blob(struct rpm_walk *w, const uint8_t *b, size_t n)
{
	size_t before = w->out->n;
	int r = rpm_header(w->path, b, n, w->out);

	if (r == -ENOMEM)
		return bw_error_set(w->err, -ENOMEM, "%s: too many packages or out of memory", w->path);
	if (r < 0) {
		/* drop what the broken header half-built */
		while (w->out->n > before)
			pkg_done(&w->out->v[--w->out->n]);
		w->bad++;
	} else if (w->out->n > before)
		w->good++;
	return 0;
}

static int walk_end(struct rpm_walk *w, const char *fmt)
{
	if (w->bad)
		return bw_error_set(w->err, -EBADMSG, "%s: %zu broken package headers in the %s database",
				    w->path, w->bad, fmt);
	return 0;
}

/* ---------------------------------------------------------------- NDB */

#define NDB_HEADER_SIZE 32
#define NDB_SLOT_SIZE 16
#define NDB_SLOT_PAGE 4096
#define NDB_BLK 16
#define NDB_BLOBHEAD 16
#define NDB_BLOBTAIL 12

static int parse_ndb(struct rpm_walk *w)
{
	uint32_t npages;
	size_t slots_end;

	if (w->len < NDB_HEADER_SIZE || memcmp(w->d, "RpmP", 4))
		return bw_error_set(w->err, -EBADMSG, "%s: not an rpm NDB database", w->path);
	npages = le32(w->d + 12);
	if (!npages || npages > w->len / NDB_SLOT_PAGE)
		return bw_error_set(w->err, -EBADMSG, "%s: bad slot page count %u", w->path, npages);
	slots_end = (size_t)npages * NDB_SLOT_PAGE;
	for (size_t o = NDB_HEADER_SIZE; o + NDB_SLOT_SIZE <= slots_end; o += NDB_SLOT_SIZE) {
		const uint8_t *s = w->d + o;
		uint32_t pkgidx, blkoff, blkcnt, bloblen;
		uint64_t start, size;
		const uint8_t *b;
		int r;

		if (memcmp(s, "Slot", 4))
			continue;
		pkgidx = le32(s + 4);
		blkoff = le32(s + 8);
		blkcnt = le32(s + 12);
		if (!pkgidx)
			continue;
		start = (uint64_t)blkoff * NDB_BLK;
		size = (uint64_t)blkcnt * NDB_BLK;
		if (start < slots_end || size < NDB_BLOBHEAD + NDB_BLOBTAIL || start > w->len ||
		    size > w->len - start) {
			w->bad++;
			continue;
		}
		b = w->d + start;
		bloblen = le32(b + 12);
		if (memcmp(b, "BlbS", 4) || le32(b + 4) != pkgidx ||
		    bloblen > size - NDB_BLOBHEAD - NDB_BLOBTAIL) {
			w->bad++;
			continue;
		}
		r = walk_blob(w, b + NDB_BLOBHEAD, bloblen);
		if (r < 0)
			return r;
	}
	return walk_end(w, "NDB");
}

/* ---------------------------------------------------------------- BDB */

#define BDB_HASH_MAGIC 0x061561u
#define BDB_PAGE_HDR 26
#define P_HASH_UNSORTED 2
#define P_OVERFLOW 7
#define P_HASH 13
#define H_KEYDATA 1
#define H_OFFPAGE 3

struct bdb {
	struct rpm_walk *w;
	bool swap; /* big-endian file */
	uint32_t pagesize, npages;
};

static uint32_t bdb32(const struct bdb *db, const uint8_t *p)
{
	return db->swap ? be32(p) : le32(p);
}

static uint16_t bdb16(const struct bdb *db, const uint8_t *p)
{
	return db->swap ? be16(p) : le16(p);
}

/* Collects an overflow chain of tlen bytes starting at page pgno. */
static int bdb_overflow(struct bdb *db, uint32_t pgno, uint32_t tlen, struct bw_buf *b)
{
	uint32_t hops = 0;

	bw_buf_reset(b);
	while (b->len < tlen) {
		const uint8_t *pg;
		uint16_t n;

		if (!pgno || pgno >= db->npages || ++hops > db->npages)
			return -EBADMSG;
		pg = db->w->d + (size_t)pgno * db->pagesize;
		if (pg[25] != P_OVERFLOW)
			return -EBADMSG;
		n = bdb16(db, pg + 22); /* hf_offset: bytes used on an overflow page */
		if (n > db->pagesize - BDB_PAGE_HDR || n > tlen - b->len)
			return -EBADMSG;
		if (bw_buf_append(b, pg + BDB_PAGE_HDR, n) < 0)
			return -EFBIG;
		pgno = bdb32(db, pg + 16);
		if (!n && b->len < tlen)
			return -EBADMSG;
	}
	return 0;
}

static int parse_bdb(struct rpm_walk *w)
{
	struct bdb db = { .w = w };
	struct bw_buf blob = BW_BUF_INIT(RPM_MAX_DATA);
	uint32_t magic;
	int r = 0;

	if (w->len < 512)
		return bw_error_set(w->err, -EBADMSG, "%s: not a Berkeley DB file", w->path);
	magic = le32(w->d + 12);
	if (magic == BDB_HASH_MAGIC)
		db.swap = false;
	else if (be32(w->d + 12) == BDB_HASH_MAGIC)
		db.swap = true;
	else
		return bw_error_set(w->err, -EBADMSG, "%s: not a Berkeley DB hash database", w->path);
	db.pagesize = bdb32(&db, w->d + 20);
	if (db.pagesize < 512 || db.pagesize > 65536 || (db.pagesize & (db.pagesize - 1)))
		return bw_error_set(w->err, -EBADMSG, "%s: bad page size %u", w->path, db.pagesize);
	db.npages = (uint32_t)(w->len / db.pagesize);
	for (uint32_t pgno = 1; pgno < db.npages && r == 0; pgno++) {
		const uint8_t *pg = w->d + (size_t)pgno * db.pagesize;
		uint16_t entries;

		if (pg[25] != P_HASH && pg[25] != P_HASH_UNSORTED)
			continue;
		entries = bdb16(&db, pg + 20);
		if ((size_t)BDB_PAGE_HDR + (size_t)entries * 2 > db.pagesize) {
			w->bad++;
			continue;
		}
		/* Items alternate key, value; only the values matter. */
		for (uint16_t i = 1; i < entries && r == 0; i += 2) {
			uint16_t off = bdb16(&db, pg + BDB_PAGE_HDR + (size_t)i * 2);
			uint16_t prev = bdb16(&db, pg + BDB_PAGE_HDR + (size_t)(i - 1) * 2);
			const uint8_t *it;

			if (off < BDB_PAGE_HDR || off >= db.pagesize) {
				w->bad++;
				continue;
			}
			it = pg + off;
			if (it[0] == H_OFFPAGE) {
				if (off + 12u > db.pagesize) {
					w->bad++;
					continue;
				}
				uint32_t opg = bdb32(&db, it + 4), tlen = bdb32(&db, it + 8);
				if (tlen > RPM_MAX_DATA || tlen > w->len) {
					w->bad++;
					continue;
				}
				r = bdb_overflow(&db, opg, tlen, &blob);
				if (r < 0) {
					w->bad++;
					r = 0;
					continue;
				}
				r = walk_blob(w, (const uint8_t *)blob.data, blob.len);
			} else if (it[0] == H_KEYDATA) {
				/* Items fill the page from its end: this one ends where the key before it starts. */
				if (prev <= off || prev > db.pagesize) {
					w->bad++;
					continue;
				}
				r = walk_blob(w, it + 1, (size_t)(prev - off - 1));
			}
		}
	}
	bw_buf_done(&blob);
	if (r < 0)
		return r;
	return walk_end(w, "Berkeley DB");
}

/* ---------------------------------------------------------------- SQLite */

struct sq {
	struct rpm_walk *w;
	uint32_t pagesize, usable, npages;
	uint8_t *seen; /* visited bitmap: no page is read twice */
	struct bw_buf rec;
	/* what the table walk does with each row */
	int (*row)(struct sq *q, const uint8_t *rec, size_t n);
	uint32_t packages_root;
};

/* SQLite varint: 1-9 bytes, big-endian 7-bit groups, the 9th byte whole. */
static int sq_varint(const uint8_t *p, const uint8_t *end, uint64_t *ret)
{
	uint64_t v = 0;

	for (int i = 0; i < 9; i++) {
		if (p + i >= end)
			return -1;
		if (i == 8) {
			*ret = v << 8 | p[i];
			return 9;
		}
		v = v << 7 | (p[i] & 0x7f);
		if (!(p[i] & 0x80)) {
			*ret = v;
			return i + 1;
		}
	}
	return -1;
}

static const uint8_t *sq_page(struct sq *q, uint32_t pgno)
{
	if (!pgno || pgno > q->npages || (q->seen[(pgno - 1) / 8] & (1u << ((pgno - 1) % 8))))
		return NULL;
	q->seen[(pgno - 1) / 8] |= (uint8_t)(1u << ((pgno - 1) % 8));
	return q->w->d + (size_t)(pgno - 1) * q->pagesize;
}

/* Reads a leaf cell's payload (local part, then the overflow chain). */
static int sq_payload(struct sq *q, const uint8_t *cell, const uint8_t *pend)
{
	uint64_t plen, rowid, local;
	uint64_t X = q->usable - 35;
	int k;

	k = sq_varint(cell, pend, &plen);
	if (k < 0)
		return -EBADMSG;
	cell += k;
	k = sq_varint(cell, pend, &rowid);
	if (k < 0)
		return -EBADMSG;
	cell += k;
	if (plen > RPM_MAX_DATA || plen > q->w->len)
		return -EBADMSG;
	if (plen <= X)
		local = plen;
	else {
		uint64_t M = ((q->usable - 12) * 32 / 255) - 23;
		uint64_t K = M + ((plen - M) % (q->usable - 4));
		local = K <= X ? K : M;
	}
	if (local > (uint64_t)(pend - cell))
		return -EBADMSG;
	bw_buf_reset(&q->rec);
	if (bw_buf_append(&q->rec, cell, local) < 0)
		return -EFBIG;
	if (local < plen) {
		if ((uint64_t)(pend - cell) < local + 4)
			return -EBADMSG;
		uint32_t ov = be32(cell + local);
		while (q->rec.len < plen) {
			const uint8_t *pg = sq_page(q, ov);
			size_t take = plen - q->rec.len;
			if (!pg)
				return -EBADMSG;
			if (take > q->usable - 4)
				take = q->usable - 4;
			if (bw_buf_append(&q->rec, pg + 4, take) < 0)
				return -EFBIG;
			ov = be32(pg);
		}
	}
	return 0;
}

/* Column col of a record: its serial type and bytes. */
static int sq_column(const uint8_t *rec, size_t n, unsigned col, uint64_t *ret_type, const uint8_t **ret,
		     size_t *ret_len)
{
	const uint8_t *end = rec + n, *h = rec, *body;
	uint64_t hsize, t = 0;
	size_t off = 0;
	int k;

	k = sq_varint(h, end, &hsize);
	if (k < 0 || hsize > n || hsize < (uint64_t)k)
		return -EBADMSG;
	body = rec + hsize;
	h += k;
	for (unsigned i = 0; i <= col; i++) {
		uint64_t sz;
		if (h >= rec + hsize)
			return -ENOENT;
		k = sq_varint(h, rec + hsize, &t);
		if (k < 0)
			return -EBADMSG;
		h += k;
		static const uint8_t isz[10] = { 0, 1, 2, 3, 4, 6, 8, 8, 0, 0 };
		sz = t < 10 ? isz[t] : t >= 12 ? (t - 12) / 2 : 0;
		if (i == col) {
			if (sz > (uint64_t)(end - body) || off > (size_t)(end - body) - sz)
				return -EBADMSG;
			*ret_type = t;
			*ret = body + off;
			*ret_len = (size_t)sz;
			return 0;
		}
		if (sz > n)
			return -EBADMSG;
		off += (size_t)sz;
	}
	return -ENOENT;
}

static int sq_walk(struct sq *q, uint32_t pgno, int depth)
{
	const uint8_t *pg = sq_page(q, pgno), *h;
	uint16_t ncells;
	int r;

	if (!pg || depth > 32)
		return -EBADMSG;
	h = pg + (pgno == 1 ? 100 : 0);
	if (h[0] != 0x0d && h[0] != 0x05)
		return -EBADMSG;
	ncells = be16(h + 3);
	size_t hdr = h[0] == 0x05 ? 12 : 8;
	if ((size_t)(h - pg) + hdr + (size_t)ncells * 2 > q->usable)
		return -EBADMSG;
	for (uint16_t i = 0; i < ncells; i++) {
		uint16_t co = be16(h + hdr + (size_t)i * 2);
		if (co >= q->usable || co < (size_t)(h - pg) + hdr)
			return -EBADMSG;
		if (h[0] == 0x05) {
			if (co + 4u > q->usable)
				return -EBADMSG;
			r = sq_walk(q, be32(pg + co), depth + 1);
		} else {
			r = sq_payload(q, pg + co, pg + q->usable);
			if (r == 0)
				r = q->row(q, (const uint8_t *)q->rec.data, q->rec.len);
			else if (r == -EBADMSG) {
				q->w->bad++;
				r = 0;
			}
		}
		if (r < 0)
			return r;
	}
	if (h[0] == 0x05)
		return sq_walk(q, be32(h + 8), depth + 1);
	return 0;
}

/* sqlite_master rows: (type, name, tbl_name, rootpage, sql). */
static int sq_master_row(struct sq *q, const uint8_t *rec, size_t n)
{
	uint64_t t;
	const uint8_t *v;
	size_t vn;

	if (sq_column(rec, n, 0, &t, &v, &vn) < 0 || t < 13 || !(t & 1) || vn != 5 || memcmp(v, "table", 5))
		return 0;
	if (sq_column(rec, n, 1, &t, &v, &vn) < 0 || t < 13 || !(t & 1) || vn != 8 || memcmp(v, "Packages", 8))
		return 0;
	if (sq_column(rec, n, 3, &t, &v, &vn) < 0 || t < 1 || t > 6)
		return 0;
	uint64_t root = 0;
	for (size_t i = 0; i < vn; i++)
		root = root << 8 | v[i];
	if (root && root <= UINT32_MAX)
		q->packages_root = (uint32_t)root;
	return 0;
}

/* Packages rows: (hnum INTEGER PRIMARY KEY, blob BLOB). */
static int sq_packages_row(struct sq *q, const uint8_t *rec, size_t n)
{
	uint64_t t;
	const uint8_t *v;
	size_t vn;

	if (sq_column(rec, n, 1, &t, &v, &vn) < 0 || t < 12 || (t & 1)) {
		q->w->bad++;
		return 0;
	}
	return walk_blob(q->w, v, vn);
}

static int parse_sqlite(struct rpm_walk *w)
{
	struct sq q = { .w = w, .rec = BW_BUF_INIT(RPM_MAX_DATA) };
	uint32_t ps;
	int r;

	if (w->len < 512 || memcmp(w->d, "SQLite format 3", 16))
		return bw_error_set(w->err, -EBADMSG, "%s: not an SQLite database", w->path);
	ps = be16(w->d + 16);
	ps = ps == 1 ? 65536 : ps;
	if (ps < 512 || (ps & (ps - 1)) || w->d[20] > ps - 480)
		return bw_error_set(w->err, -EBADMSG, "%s: bad SQLite page size", w->path);
	q.pagesize = ps;
	q.usable = ps - w->d[20];
	q.npages = (uint32_t)(w->len / ps);
	q.seen = calloc(q.npages / 8 + 1, 1);
	if (!q.seen)
		return bw_error_set(w->err, -ENOMEM, "out of memory");
	q.row = sq_master_row;
	r = sq_walk(&q, 1, 0);
	if (r == 0 && !q.packages_root)
		r = bw_error_set(w->err, -EBADMSG, "%s: no Packages table", w->path);
	else if (r == 0) {
		q.row = sq_packages_row;
		r = sq_walk(&q, q.packages_root, 0);
		if (r == -EBADMSG || r == -EFBIG) {
			w->bad++;
			r = 0;
		}
		if (r == 0)
			r = walk_end(w, "SQLite");
	} else if (r == -EBADMSG || r == -EFBIG)
		r = bw_error_set(w->err, -EBADMSG, "%s: broken SQLite schema page", w->path);
	free(q.seen);
	bw_buf_done(&q.rec);
	return r;
}

/* ---------------------------------------------------------------- entry */

int parse_rpmdb(const char *path, const char *data, size_t len, struct bw_pkg_list *out,
		struct bw_error **err)
{
	struct rpm_walk w = { path, (const uint8_t *)data, len, out, 0, 0, err };

	if (len >= 16 && !memcmp(data, "SQLite format 3", 16))
		return parse_sqlite(&w);
	if (len >= 4 && !memcmp(data, "RpmP", 4))
		return parse_ndb(&w);
	return parse_bdb(&w);
}
