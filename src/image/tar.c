/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "bulwark/limits.h"
#include "image/tar.h"

/* ---------------------------------------------------------------- fields */

int tar_parse_number(const uint8_t *field, size_t len, int64_t *ret)
{
	int64_t v = 0;
	size_t i = 0;

	if (len == 0)
		return -EINVAL;
	if (field[0] & 0x80) {
		/* GNU base-256: big-endian two's complement, first byte's top bit
		 * is the marker. 0xff starts a negative number. */
		bool neg = field[0] == 0xff;
		uint64_t u = neg ? ~0ull : 0;
		for (i = 0; i < len; i++) {
			uint8_t b = i == 0 ? (neg ? field[0] : (uint8_t)(field[0] & 0x7f)) : field[i];
			if (!neg && (u >> 55) != 0)
				return -EOVERFLOW;
			u = (u << 8) | b;
		}
		if (!neg && u > INT64_MAX)
			return -EOVERFLOW;
		*ret = (int64_t)u;
		return 0;
	}
	while (i < len && (field[i] == ' ' || field[i] == 0))
		i++;
	for (; i < len && field[i] >= '0' && field[i] <= '7'; i++) {
		if (__builtin_mul_overflow(v, 8, &v) || __builtin_add_overflow(v, field[i] - '0', &v))
			return -EOVERFLOW;
	}
	for (; i < len; i++)
		if (field[i] != ' ' && field[i] != 0)
			return -EINVAL;
	*ret = v;
	return 0;
}

int tar_name_normalise(char *name, struct bw_error **err)
{
	char *r = name, *w = name;

	if (name[0] == '/')
		return bw_error_set(err, -EINVAL, "absolute path `%s` in tar entry", name);
	if (strlen(name) > BW_MAX_PATH)
		return bw_error_set(err, -ENAMETOOLONG, "tar entry name longer than %d bytes",
				    BW_MAX_PATH);
	while (*r) {
		const char *c = r;
		size_t n;

		while (*r && *r != '/')
			r++;
		n = (size_t)(r - c);
		if (*r == '/')
			r++;
		if (n == 0 || (n == 1 && c[0] == '.'))
			continue;
		if (n == 2 && c[0] == '.' && c[1] == '.')
			return bw_error_set(err, -EINVAL, "path traversal: `..` in tar entry `%s`",
					    name);
		if (w != name)
			*w++ = '/';
		memmove(w, c, n);
		w += n;
	}
	*w = 0;
	return 0;
}

static enum tar_type map_type(char t, const char *name)
{
	switch (t) {
	case '0':
	case 0:
	case '7':
		/* V7 tar marks directories only with a trailing slash. */
		if (name[0] && name[strlen(name) - 1] == '/')
			return TAR_DIR;
		return TAR_REG;
	case '1':
		return TAR_HARDLINK;
	case '2':
		return TAR_SYMLINK;
	case '3':
		return TAR_CHAR;
	case '4':
		return TAR_BLOCK_DEV;
	case '5':
		return TAR_DIR;
	case '6':
		return TAR_FIFO;
	case 'x':
		return TAR_PAX;
	case 'g':
		return TAR_PAX_GLOBAL;
	case 'L':
		return TAR_GNU_LONGNAME;
	case 'K':
		return TAR_GNU_LONGLINK;
	default:
		return TAR_OTHER;
	}
}

int tar_header_decode(const uint8_t blk[TAR_BLOCK], char name_buf[257], char link_buf[101],
		      struct tar_entry *ret, struct bw_error **err)
{
	struct tar_entry e = { 0 };
	int64_t chk, v;
	uint64_t sum = 0;
	int64_t ssum = 0;
	bool zero = true;
	size_t n;

	for (size_t i = 0; i < TAR_BLOCK; i++)
		if (blk[i]) {
			zero = false;
			break;
		}
	if (zero)
		return 1;

	for (size_t i = 0; i < TAR_BLOCK; i++) {
		uint8_t b = (i >= 148 && i < 156) ? ' ' : blk[i];
		sum += b;
		ssum += (int8_t)b;
	}
	if (tar_parse_number(blk + 148, 8, &chk) < 0 || ((uint64_t)chk != sum && chk != ssum))
		return bw_error_set(err, -EINVAL, "bad tar header checksum (not a tar stream, or corrupt)");

	/* Name: ustar (POSIX) has a prefix field; old GNU uses those bytes for
	 * other things, so only "ustar\0" gets a prefix. */
	name_buf[0] = 0;
	if (memcmp(blk + 257, "ustar\0", 6) == 0 && blk[345]) {
		n = strnlen((const char *)blk + 345, 155);
		memcpy(name_buf, blk + 345, n);
		name_buf[n++] = '/';
		name_buf[n] = 0;
	}
	n = strlen(name_buf);
	size_t nl = strnlen((const char *)blk, 100);
	memcpy(name_buf + n, blk, nl);
	name_buf[n + nl] = 0;

	nl = strnlen((const char *)blk + 157, 100);
	memcpy(link_buf, blk + 157, nl);
	link_buf[nl] = 0;

	e.name = name_buf;
	e.link = link_buf;
	e.type = map_type((char)blk[156], name_buf);

	if (tar_parse_number(blk + 100, 8, &v) < 0 || v < 0)
		return bw_error_set(err, -EINVAL, "bad mode field in tar header of `%s`", name_buf);
	e.mode = (uint32_t)v & 07777;
	if (tar_parse_number(blk + 108, 8, &v) < 0 || v < 0 || v > UINT32_MAX)
		return bw_error_set(err, -EINVAL, "bad uid field in tar header of `%s`", name_buf);
	e.uid = (uint32_t)v;
	if (tar_parse_number(blk + 116, 8, &v) < 0 || v < 0 || v > UINT32_MAX)
		return bw_error_set(err, -EINVAL, "bad gid field in tar header of `%s`", name_buf);
	e.gid = (uint32_t)v;
	if (tar_parse_number(blk + 124, 12, &v) < 0 || v < 0)
		return bw_error_set(err, -EINVAL, "bad size field in tar header of `%s`", name_buf);
	e.size = (uint64_t)v;
	if (tar_parse_number(blk + 136, 12, &v) < 0)
		return bw_error_set(err, -EINVAL, "bad mtime field in tar header of `%s`", name_buf);
	e.mtime = v;
	if (e.type == TAR_CHAR || e.type == TAR_BLOCK_DEV) {
		int64_t ma = 0, mi = 0;
		if (tar_parse_number(blk + 329, 8, &ma) < 0 || tar_parse_number(blk + 337, 8, &mi) < 0 ||
		    ma < 0 || mi < 0 || ma > UINT32_MAX || mi > UINT32_MAX)
			return bw_error_set(err, -EINVAL, "bad device number in tar header of `%s`",
					    name_buf);
		e.devmajor = (uint32_t)ma;
		e.devminor = (uint32_t)mi;
	}
	*ret = e;
	return 0;
}

/* ---------------------------------------------------------------- pax */

static int pax_dup(const char *v, size_t n, char **out)
{
	char *s = strndup(v, n);

	if (!s)
		return -ENOMEM;
	free(*out);
	*out = s;
	return 0;
}

static int pax_num(const char *v, size_t n, int64_t *ret)
{
	char tmp[32];
	char *end;
	long long x;

	/* Fractional seconds (mtime=1700000000.123) keep the integer part. */
	if (n == 0 || n >= sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, v, n);
	tmp[n] = 0;
	errno = 0;
	x = strtoll(tmp, &end, 10);
	if (errno || end == tmp || (*end && *end != '.'))
		return -EINVAL;
	*ret = x;
	return 0;
}

int tar_pax_apply(const char *data, size_t len, struct tar_entry *e, char **path, char **link,
		  struct bw_error **err)
{
	size_t off = 0;

	/* Records are "LEN KEY=VALUE\n", LEN counting the whole record. */
	while (off < len) {
		size_t reclen = 0, i = off;
		const char *kv, *eq, *end;
		int64_t num;
		int r = 0;

		if (data[i] == 0)
			break; /* padding */
		while (i < len && data[i] >= '0' && data[i] <= '9') {
			if (reclen > len)
				break;
			reclen = reclen * 10 + (size_t)(data[i] - '0');
			i++;
		}
		if (i >= len || data[i] != ' ' || reclen <= i - off + 1 || reclen > len - off ||
		    data[off + reclen - 1] != '\n')
			return bw_error_set(err, -EINVAL, "malformed pax extended header record");
		kv = data + i + 1;
		end = data + off + reclen - 1;
		eq = memchr(kv, '=', (size_t)(end - kv));
		if (!eq)
			return bw_error_set(err, -EINVAL, "malformed pax extended header record");
		size_t klen = (size_t)(eq - kv), vlen = (size_t)(end - eq - 1);
		const char *v = eq + 1;

#define KEY(s) (klen == sizeof(s) - 1 && memcmp(kv, s, klen) == 0)
		if (KEY("path")) {
			if (memchr(v, 0, vlen) || vlen > BW_MAX_PATH)
				return bw_error_set(err, -EINVAL, "bad pax path record");
			r = pax_dup(v, vlen, path);
		} else if (KEY("linkpath")) {
			if (memchr(v, 0, vlen) || vlen > BW_MAX_PATH)
				return bw_error_set(err, -EINVAL, "bad pax linkpath record");
			r = pax_dup(v, vlen, link);
		} else if (KEY("size")) {
			if (pax_num(v, vlen, &num) < 0 || num < 0)
				return bw_error_set(err, -EINVAL, "bad pax size record");
			e->size = (uint64_t)num;
		} else if (KEY("uid") || KEY("gid")) {
			if (pax_num(v, vlen, &num) < 0 || num < 0 || num > UINT32_MAX)
				return bw_error_set(err, -EINVAL, "bad pax uid/gid record");
			if (KEY("uid"))
				e->uid = (uint32_t)num;
			else
				e->gid = (uint32_t)num;
		} else if (KEY("mtime")) {
			if (pax_num(v, vlen, &num) == 0)
				e->mtime = num;
		}
#undef KEY
		if (r < 0)
			return bw_error_set(err, r, "out of memory");
		off += reclen;
	}
	return 0;
}

/* ---------------------------------------------------------------- reader */

enum state { ST_HEADER, ST_DATA, ST_META, ST_PAD, ST_END };

struct tar_reader {
	tar_entry_fn on_entry;
	tar_data_fn on_data;
	void *ud;
	enum state state;
	uint8_t hdr[TAR_BLOCK];
	size_t hdr_len;
	uint64_t remaining;
	uint64_t pad;
	bool deliver;
	enum tar_type meta_type;
	struct bw_buf meta;
	char *pax;	/* pending pax records for the next entry */
	size_t pax_len;
	char *long_name; /* pending GNU long name / link */
	char *long_link;
	uint64_t offset;
	uint64_t entries;
	char name[BW_MAX_PATH + 1]; /* current entry, for messages */
};

struct tar_reader *tar_reader_new(tar_entry_fn on_entry, tar_data_fn on_data, void *ud)
{
	struct tar_reader *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->on_entry = on_entry;
	t->on_data = on_data;
	t->ud = ud;
	t->meta = BW_BUF_INIT(BW_MAX_PAX_SIZE);
	return t;
}

struct tar_reader *tar_reader_free(struct tar_reader *t)
{
	if (t) {
		bw_buf_done(&t->meta);
		free(t->pax);
		free(t->long_name);
		free(t->long_link);
		free(t);
	}
	return NULL;
}

uint64_t tar_entries(const struct tar_reader *t)
{
	return t->entries;
}

static uint64_t padding(uint64_t size)
{
	return (TAR_BLOCK - size % TAR_BLOCK) % TAR_BLOCK;
}

static bool header_only(enum tar_type t)
{
	return t == TAR_HARDLINK || t == TAR_SYMLINK || t == TAR_CHAR || t == TAR_BLOCK_DEV ||
	       t == TAR_DIR || t == TAR_FIFO;
}

static void after_data(struct tar_reader *t, uint64_t size)
{
	t->pad = padding(size);
	t->state = t->pad ? ST_PAD : ST_HEADER;
}

static int process_header(struct tar_reader *t, struct bw_error **err)
{
	char name_buf[257], link_buf[101];
	_cleanup_free_ char *pax_path = NULL, *pax_link = NULL;
	struct tar_entry e;
	char linkn[BW_MAX_PATH + 1];
	int r;

	r = tar_header_decode(t->hdr, name_buf, link_buf, &e, err);
	if (r < 0)
		return bw_error_wrap(err, "at offset %llu", (unsigned long long)t->offset);
	if (r == 1) {
		t->state = ST_END;
		return 0;
	}
	e.offset = t->offset + TAR_BLOCK;

	switch (e.type) {
	case TAR_PAX:
	case TAR_PAX_GLOBAL:
	case TAR_GNU_LONGNAME:
	case TAR_GNU_LONGLINK:
		if (e.size > BW_MAX_PAX_SIZE)
			return bw_error_set(err, -E2BIG,
					    "extended header of %llu bytes at offset %llu exceeds the limit",
					    (unsigned long long)e.size, (unsigned long long)t->offset);
		t->meta_type = e.type;
		bw_buf_reset(&t->meta);
		t->remaining = e.size;
		t->state = ST_META;
		if (e.size == 0) {
			t->state = ST_HEADER;
		}
		return 0;
	default:
		break;
	}

	if (t->long_name)
		e.name = t->long_name;
	if (t->long_link)
		e.link = t->long_link;
	if (t->pax) {
		r = tar_pax_apply(t->pax, t->pax_len, &e, &pax_path, &pax_link, err);
		if (r < 0)
			return bw_error_wrap(err, "entry `%s`", e.name);
		if (pax_path)
			e.name = pax_path;
		if (pax_link)
			e.link = pax_link;
	}
	if (strlen(e.name) > BW_MAX_PATH)
		return bw_error_set(err, -ENAMETOOLONG, "tar entry name longer than %d bytes", BW_MAX_PATH);
	strcpy(t->name, e.name);
	r = tar_name_normalise(t->name, err);
	if (r < 0)
		return r;
	e.name = t->name;
	if (e.type == TAR_HARDLINK) {
		if (strlen(e.link) > BW_MAX_PATH)
			return bw_error_set(err, -ENAMETOOLONG, "hard link target too long in `%s`", t->name);
		strcpy(linkn, e.link);
		r = tar_name_normalise(linkn, err);
		if (r < 0)
			return bw_error_wrap(err, "hard link `%s`", t->name);
		e.link = linkn;
	}
	if (header_only(e.type))
		e.size = 0;
	if (e.size > BW_MAX_ENTRY_SIZE)
		return bw_error_set(err, -EFBIG, "entry `%s` declares %llu bytes, over the limit",
				    t->name, (unsigned long long)e.size);

	free(t->pax);
	t->pax = NULL;
	t->pax_len = 0;
	free(t->long_name);
	t->long_name = NULL;
	free(t->long_link);
	t->long_link = NULL;

	if (e.type != TAR_OTHER) {
		if (++t->entries > BW_MAX_LAYER_ENTRIES)
			return bw_error_set(err, -E2BIG, "more than %u entries in one layer",
					    BW_MAX_LAYER_ENTRIES);
		r = t->on_entry(t->ud, &e, err);
		if (r < 0)
			return r;
	}
	t->deliver = e.type == TAR_REG && t->on_data;
	t->remaining = e.size;
	if (e.size == 0)
		t->state = ST_HEADER;
	else
		t->state = ST_DATA;
	return 0;
}

static int meta_done(struct tar_reader *t, struct bw_error **err)
{
	char **dst = NULL;

	switch (t->meta_type) {
	case TAR_PAX:
		free(t->pax);
		t->pax_len = t->meta.len;
		t->pax = bw_buf_steal(&t->meta);
		if (!t->pax)
			return bw_error_set(err, -ENOMEM, "out of memory");
		return 0;
	case TAR_GNU_LONGNAME:
		dst = &t->long_name;
		break;
	case TAR_GNU_LONGLINK:
		dst = &t->long_link;
		break;
	default:
		return 0; /* global pax headers carry no per-file facts we use */
	}
	free(*dst);
	*dst = strndup(t->meta.data ? t->meta.data : "", t->meta.len);
	if (!*dst)
		return bw_error_set(err, -ENOMEM, "out of memory");
	return 0;
}

int tar_feed(struct tar_reader *t, const void *buf, size_t n, struct bw_error **err)
{
	const uint8_t *p = buf;
	int r;

	while (n > 0) {
		size_t k;

		switch (t->state) {
		case ST_HEADER:
			k = TAR_BLOCK - t->hdr_len;
			if (k > n)
				k = n;
			memcpy(t->hdr + t->hdr_len, p, k);
			t->hdr_len += k;
			if (t->hdr_len == TAR_BLOCK) {
				t->hdr_len = 0;
				r = process_header(t, err);
				if (r < 0)
					return r;
				t->offset += TAR_BLOCK;
			}
			break;
		case ST_DATA:
		case ST_META:
			k = t->remaining < n ? (size_t)t->remaining : n;
			if (t->state == ST_META) {
				r = bw_buf_append(&t->meta, p, k);
				if (r < 0)
					return bw_error_set(err, r, "extended header too large");
			} else if (t->deliver) {
				r = t->on_data(t->ud, p, k, err);
				if (r < 0)
					return r;
			}
			t->remaining -= k;
			t->offset += k;
			if (t->remaining == 0) {
				uint64_t size = t->offset; /* only the low bits matter for padding */
				if (t->state == ST_META) {
					r = meta_done(t, err);
					if (r < 0)
						return r;
				}
				after_data(t, size);
			}
			break;
		case ST_PAD:
			k = t->pad < n ? (size_t)t->pad : n;
			t->pad -= k;
			t->offset += k;
			if (t->pad == 0)
				t->state = ST_HEADER;
			break;
		case ST_END:
		default:
			/* After the end-of-archive block the rest is padding. */
			t->offset += n;
			return 0;
		}
		p += k;
		n -= k;
	}
	return 0;
}

int tar_finish(struct tar_reader *t, struct bw_error **err)
{
	switch (t->state) {
	case ST_END:
		return 0;
	case ST_HEADER:
		if (t->hdr_len == 0)
			return 0; /* no end-of-archive blocks: tolerated, as GNU tar does */
		return bw_error_set(err, -EPIPE, "truncated tar stream: partial header at offset %llu",
				    (unsigned long long)t->offset);
	case ST_DATA:
		return bw_error_set(err, -EPIPE,
				    "truncated tar stream: entry `%s` is missing %llu bytes of data",
				    t->name, (unsigned long long)t->remaining);
	case ST_META:
		return bw_error_set(err, -EPIPE, "truncated tar stream inside an extended header");
	case ST_PAD:
		return 0; /* only padding is missing: the data is whole */
	}
	return 0;
}
