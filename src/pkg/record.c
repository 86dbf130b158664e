/* SPDX-License-Identifier: Apache-2.0 */
#include "pkg/internal.h"

/*
 * What one layer contributes to an image's packages, independent of the
 * layers around it, so it can be cached under the layer's diff_id and merged
 * with any stack of other layers: the files catalogers kept (with the
 * packages parsed from them), a hash of every entry's path, and the
 * whiteouts. Serialised little-endian:
 *
 *   "BWLR" u32 version
 *   u32 n, u64 x n   entries (path hash, low bit set for a directory)
 *   u32 n, u64 x n   whiteouts (hash of the path they delete)
 *   u32 n, u64 x n   opaque directories
 *   u32 n, captures: u8 kind, str path, str data, str warning, u8 debug,
 *                    u32 n, u64 x n (owned path hashes),
 *                    u32 n, packages (see put_pkg)
 *
 * A str is u32 length then the bytes; 0xffffffff is NULL. The decoder
 * treats the bytes as untrusted (a damaged cache): every count is checked
 * against what is left.
 */

#define REC_MAGIC "BWLR"
#define REC_VERSION 1u
#define NULL_STR UINT32_MAX

uint64_t path_hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ull;
	}
	/* murmur3's finaliser: FNV alone leaves the low bits weak. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

int vec_grow(void **v, size_t *alloc, size_t need, size_t size)
{
	size_t a = *alloc ? *alloc : 64, bytes;
	void *p;

	if (need <= *alloc)
		return 0;
	while (a < need)
		if (__builtin_mul_overflow(a, 2, &a))
			return -ENOMEM;
	if (__builtin_mul_overflow(a, size, &bytes))
		return -ENOMEM;
	p = realloc(*v, bytes);
	if (!p)
		return -ENOMEM;
	*v = p;
	*alloc = a;
	return 0;
}

int u64v_push(struct u64v *v, uint64_t x)
{
	if (vec_grow((void **)&v->v, &v->alloc, v->n + 1, sizeof(*v->v)) < 0)
		return -ENOMEM;
	v->v[v->n++] = x;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

void u64v_sort(struct u64v *v)
{
	size_t w = 0;

	if (!v->n)
		return;
	qsort(v->v, v->n, sizeof(*v->v), cmp_u64);
	for (size_t i = 0; i < v->n; i++)
		if (!w || v->v[w - 1] != v->v[i])
			v->v[w++] = v->v[i];
	v->n = w;
}

bool u64v_has(const struct u64v *v, uint64_t x)
{
	size_t lo = 0, hi = v->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v->v[mid] == x)
			return true;
		if (v->v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

void rcap_done(struct rcap *c)
{
	free(c->path);
	free(c->data);
	free(c->warning);
	free(c->owned.v);
	bw_pkg_list_done(&c->pkgs);
	*c = (struct rcap){ 0 };
}

void layer_rec_done(struct layer_rec *r)
{
	for (size_t i = 0; i < r->n_caps; i++)
		rcap_done(&r->caps[i]);
	free(r->caps);
	free(r->ents.v);
	free(r->wh.v);
	free(r->opq.v);
	*r = (struct layer_rec){ 0 };
}

/* ---------------------------------------------------------------- encode */

static int put_u32(struct bw_buf *b, uint32_t x)
{
	uint8_t d[4] = { (uint8_t)x, (uint8_t)(x >> 8), (uint8_t)(x >> 16), (uint8_t)(x >> 24) };

	return bw_buf_append(b, d, 4);
}

static int put_u64s(struct bw_buf *b, const uint64_t *v, size_t n)
{
	int r = n > UINT32_MAX ? -E2BIG : put_u32(b, (uint32_t)n);

	for (size_t i = 0; i < n && r == 0; i++)
		r = put_u32(b, (uint32_t)v[i]) ?: put_u32(b, (uint32_t)(v[i] >> 32));
	return r;
}

static int put_mem(struct bw_buf *b, const char *s, size_t n)
{
	if (!s)
		return put_u32(b, NULL_STR);
	if (n >= NULL_STR)
		return -E2BIG;
	return put_u32(b, (uint32_t)n) ?: bw_buf_append(b, s, n);
}

static int put_str(struct bw_buf *b, const char *s)
{
	return put_mem(b, s, s ? strlen(s) : 0);
}

static int put_pkg(struct bw_buf *b, const struct bw_pkg *p)
{
	const char *const s[] = { p->name,	     p->version, p->release, p->arch,	  p->source_name,
				  p->source_version, p->source_rpm, p->license, p->commit, p->status,
				  p->type,	     p->cataloger, p->location };
	int r = 0;

	for (size_t i = 0; i < BW_ARRAY_SIZE(s) && r == 0; i++)
		r = put_str(b, s[i]);
	if (r == 0)
		r = put_u32(b, (uint32_t)p->epoch) ?: put_u32(b, p->dev);
	if (r == 0)
		r = p->n_files > UINT32_MAX ? -E2BIG : put_u32(b, (uint32_t)p->n_files);
	for (size_t i = 0; i < p->n_files && r == 0; i++)
		r = put_str(b, p->files[i]);
	return r;
}

int layer_rec_encode(const struct layer_rec *rec, struct bw_buf *b)
{
	int r = bw_buf_append(b, REC_MAGIC, 4) ?: put_u32(b, REC_VERSION);

	if (r == 0)
		r = put_u64s(b, rec->ents.v, rec->ents.n) ?: put_u64s(b, rec->wh.v, rec->wh.n)
			?: put_u64s(b, rec->opq.v, rec->opq.n);
	if (r == 0)
		r = put_u32(b, (uint32_t)rec->n_caps);
	for (size_t i = 0; i < rec->n_caps && r == 0; i++) {
		const struct rcap *c = &rec->caps[i];
		uint8_t k[1] = { c->kind }, dbg[1] = { c->warn_debug };
		r = bw_buf_append(b, k, 1) ?: put_str(b, c->path) ?: put_mem(b, c->data, c->len)
			?: put_str(b, c->warning) ?: bw_buf_append(b, dbg, 1)
			?: put_u64s(b, c->owned.v, c->owned.n) ?: put_u32(b, (uint32_t)c->pkgs.n);
		for (size_t k2 = 0; k2 < c->pkgs.n && r == 0; k2++)
			r = put_pkg(b, &c->pkgs.v[k2]);
	}
	return r;
}

/* ---------------------------------------------------------------- decode */

struct cur {
	const uint8_t *p, *end;
};

static int get_u32(struct cur *c, uint32_t *ret)
{
	if (c->end - c->p < 4)
		return -EBADMSG;
	*ret = (uint32_t)c->p[0] | (uint32_t)c->p[1] << 8 | (uint32_t)c->p[2] << 16 | (uint32_t)c->p[3] << 24;
	c->p += 4;
	return 0;
}

static int get_u8(struct cur *c, uint8_t *ret)
{
	if (c->p >= c->end)
		return -EBADMSG;
	*ret = *c->p++;
	return 0;
}

static int get_u64s(struct cur *c, struct u64v *v)
{
	uint32_t n = 0, lo = 0, hi = 0;
	int r = get_u32(c, &n);

	if (r < 0 || (size_t)(c->end - c->p) / 8 < n)
		return -EBADMSG;
	if (n) {
		v->v = malloc((size_t)n * sizeof(*v->v));
		if (!v->v)
			return -ENOMEM;
		v->alloc = n;
	}
	for (uint32_t i = 0; i < n; i++) {
		get_u32(c, &lo);
		get_u32(c, &hi);
		v->v[i] = (uint64_t)hi << 32 | lo;
	}
	v->n = n;
	/* Lookups binary-search these: they must be sorted. */
	for (uint32_t i = 1; i < n; i++)
		if (v->v[i - 1] >= v->v[i])
			return -EBADMSG;
	return 0;
}

static int get_mem(struct cur *c, char **ret, size_t *ret_len)
{
	uint32_t n;
	int r = get_u32(c, &n);

	*ret = NULL;
	if (ret_len)
		*ret_len = 0;
	if (r < 0)
		return r;
	if (n == NULL_STR)
		return 0;
	if ((size_t)(c->end - c->p) < n)
		return -EBADMSG;
	*ret = malloc((size_t)n + 1);
	if (!*ret)
		return -ENOMEM;
	memcpy(*ret, c->p, n);
	(*ret)[n] = 0;
	c->p += n;
	if (ret_len)
		*ret_len = n;
	return 0;
}

static int get_pkg(struct cur *c, struct bw_pkg *p)
{
	char **const s[] = { &p->name,		 &p->version, &p->release, &p->arch,   &p->source_name,
			     &p->source_version, &p->source_rpm, &p->license, &p->commit, &p->status,
			     &p->type,		 &p->cataloger, &p->location };
	uint32_t epoch = 0, dev = 0, n = 0;
	int r = 0;

	for (size_t i = 0; i < BW_ARRAY_SIZE(s) && r == 0; i++)
		r = get_mem(c, s[i], NULL);
	if (r == 0)
		r = get_u32(c, &epoch) ?: get_u32(c, &dev) ?: get_u32(c, &n);
	if (r < 0)
		return r;
	p->epoch = (int32_t)epoch;
	p->dev = dev != 0;
	p->layer = -1;
	/* Each file takes at least its 4-byte length. */
	if ((size_t)(c->end - c->p) / 4 < n)
		return -EBADMSG;
	if (n) {
		p->files = calloc(n, sizeof(*p->files));
		if (!p->files)
			return -ENOMEM;
	}
	for (uint32_t i = 0; i < n && r == 0; i++) {
		r = get_mem(c, &p->files[i], NULL);
		p->n_files = i + 1;
		if (r == 0 && !p->files[i])
			r = -EBADMSG;
	}
	return r;
}

static int grow_caps(struct layer_rec *rec, size_t n)
{
	rec->caps = n ? calloc(n, sizeof(*rec->caps)) : NULL;
	if (n && !rec->caps)
		return -ENOMEM;
	rec->alloc_caps = n;
	return 0;
}

static int decode(struct cur *c, struct layer_rec *rec)
{
	uint32_t ver = 0, n = 0;
	int r;

	if (c->end - c->p < 4 || memcmp(c->p, REC_MAGIC, 4))
		return -EBADMSG;
	c->p += 4;
	r = get_u32(c, &ver);
	if (r == 0 && ver != REC_VERSION)
		return -EBADMSG;
	r = r ?: get_u64s(c, &rec->ents) ?: get_u64s(c, &rec->wh) ?: get_u64s(c, &rec->opq) ?: get_u32(c, &n);
	if (r < 0)
		return r;
	/* A capture takes at least 22 bytes. */
	if ((size_t)(c->end - c->p) / 22 < n)
		return -EBADMSG;
	r = grow_caps(rec, n);
	for (uint32_t i = 0; i < n && r == 0; i++) {
		struct rcap *cp = &rec->caps[i];
		uint32_t np = 0;

		rec->n_caps = i + 1;
		r = get_u8(c, &cp->kind) ?: get_mem(c, &cp->path, NULL) ?: get_mem(c, &cp->data, &cp->len)
			?: get_mem(c, &cp->warning, NULL) ?: get_u8(c, &cp->warn_debug) ?: get_u64s(c, &cp->owned)
			?: get_u32(c, &np);
		if (r == 0 && (!cp->path || cp->kind == 0 || cp->kind >= REC_MAX_KIND || strlen(cp->path) > BW_MAX_PATH))
			r = -EBADMSG;
		/* A package takes at least 13 lengths and 3 numbers. */
		if (r == 0 && (size_t)(c->end - c->p) / 64 < np)
			r = -EBADMSG;
		if (r == 0 && np) {
			cp->pkgs.v = calloc(np, sizeof(*cp->pkgs.v));
			if (!cp->pkgs.v)
				r = -ENOMEM;
			cp->pkgs.alloc = np;
		}
		for (uint32_t k = 0; k < np && r == 0; k++) {
			cp->pkgs.n = k + 1;
			r = get_pkg(c, &cp->pkgs.v[k]);
		}
	}
	if (r == 0 && c->p != c->end)
		r = -EBADMSG;
	return r;
}

int layer_rec_decode(const void *data, size_t len, struct layer_rec *ret)
{
	struct cur c = { data, (const uint8_t *)data + len };
	struct layer_rec rec = { 0 };
	int r = decode(&c, &rec);

	if (r < 0) {
		layer_rec_done(&rec);
		return r;
	}
	*ret = rec;
	return 0;
}
