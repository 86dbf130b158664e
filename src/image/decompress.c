/* SPDX-License-Identifier: Apache-2.0 */
#include <isa-l/igzip_lib.h>
#include <pthread.h>
#include <string.h>
#include <zstd.h>

#include "image/internal.h"
#include "image/tar.h"

#define OUT_CHUNK (1u << 20)
/* zstd frames may ask for a window this large and no larger: enough for
 * every encoder setting image tools use, and it bounds our memory. */
#define ZSTD_WINDOW_LOG_MAX 27

enum gz_state { GZ_MEMBER, GZ_BETWEEN, GZ_TRAILING_ZEROS };

/*
 * The stored bytes are hashed on a thread of their own: sha256 costs about a
 * sixth of inflating, and on the longest layer that time would otherwise
 * add straight to the whole read while other cores sit idle. Bytes are
 * copied into a small ring of slots, so a source may reuse its buffer as
 * soon as the write returns; or, when the source promises its buffers stay
 * valid (a mapped file), only their addresses are queued and the source
 * asks hasher_wait() before it lets a buffer go.
 */
#define HASH_SLOTS 4
#define HASH_SLOT_SIZE (1u << 20)

struct hasher {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	uint8_t *slot[HASH_SLOTS];
	const uint8_t *ref[HASH_SLOTS]; /* by_ref: the queued buffers */
	size_t len[HASH_SLOTS];
	bool by_ref;
	unsigned head, tail; /* published slots are tail..head-1 (mod HASH_SLOTS) */
	bool have_slot;	     /* the writer holds slot head */
	size_t fill;	     /* bytes in it */
	bool done;
	struct bw_sha256 *h;
};

static void *hasher_main(void *arg)
{
	struct hasher *hs = arg;

	pthread_mutex_lock(&hs->mu);
	for (;;) {
		while (hs->tail == hs->head && !hs->done)
			pthread_cond_wait(&hs->cond, &hs->mu);
		if (hs->tail == hs->head)
			break;
		unsigned i = hs->tail % HASH_SLOTS;
		size_t n = hs->len[i];
		pthread_mutex_unlock(&hs->mu);
		bw_sha256_update(hs->h, hs->by_ref ? hs->ref[i] : hs->slot[i], n);
		pthread_mutex_lock(&hs->mu);
		hs->tail++;
		pthread_cond_broadcast(&hs->cond);
	}
	pthread_mutex_unlock(&hs->mu);
	return NULL;
}

static struct hasher *hasher_new(struct bw_sha256 *h, bool by_ref)
{
	struct hasher *hs = calloc(1, sizeof(*hs));

	if (!hs)
		return NULL;
	hs->h = h;
	hs->by_ref = by_ref;
	for (int i = 0; i < HASH_SLOTS && !by_ref; i++) {
		hs->slot[i] = malloc(HASH_SLOT_SIZE);
		if (!hs->slot[i])
			goto fail;
	}
	pthread_mutex_init(&hs->mu, NULL);
	pthread_cond_init(&hs->cond, NULL);
	if (pthread_create(&hs->th, NULL, hasher_main, hs) != 0) {
		pthread_mutex_destroy(&hs->mu);
		pthread_cond_destroy(&hs->cond);
		goto fail;
	}
	return hs;
fail:
	for (int i = 0; i < HASH_SLOTS; i++)
		free(hs->slot[i]);
	free(hs);
	return NULL;
}

/* Queues bytes; the slot being filled is published once full (or at the
 * end). Only the writer touches the slot at head until it publishes it. */
static void hasher_put(struct hasher *hs, const uint8_t *p, size_t n)
{
	if (hs->by_ref && n > 0) {
		pthread_mutex_lock(&hs->mu);
		while (hs->head - hs->tail == HASH_SLOTS)
			pthread_cond_wait(&hs->cond, &hs->mu);
		hs->ref[hs->head % HASH_SLOTS] = p;
		hs->len[hs->head % HASH_SLOTS] = n;
		hs->head++;
		pthread_cond_broadcast(&hs->cond);
		pthread_mutex_unlock(&hs->mu);
		return;
	}
	while (n > 0) {
		if (!hs->have_slot) {
			pthread_mutex_lock(&hs->mu);
			while (hs->head - hs->tail == HASH_SLOTS)
				pthread_cond_wait(&hs->cond, &hs->mu);
			pthread_mutex_unlock(&hs->mu);
			hs->have_slot = true;
			hs->fill = 0;
		}
		unsigned i = hs->head % HASH_SLOTS;
		size_t k = HASH_SLOT_SIZE - hs->fill;
		if (k > n)
			k = n;
		memcpy(hs->slot[i] + hs->fill, p, k);
		hs->fill += k;
		p += k;
		n -= k;
		if (hs->fill == HASH_SLOT_SIZE) {
			pthread_mutex_lock(&hs->mu);
			hs->len[i] = hs->fill;
			hs->head++;
			hs->have_slot = false;
			pthread_cond_broadcast(&hs->cond);
			pthread_mutex_unlock(&hs->mu);
		}
	}
}

/* By reference: waits until every buffer queued so far has been hashed. */
static void hasher_wait(struct hasher *hs)
{
	pthread_mutex_lock(&hs->mu);
	while (hs->tail != hs->head)
		pthread_cond_wait(&hs->cond, &hs->mu);
	pthread_mutex_unlock(&hs->mu);
}

/* Publishes the partial slot, waits for the thread to hash everything. */
static void hasher_join(struct hasher *hs)
{
	pthread_mutex_lock(&hs->mu);
	if (hs->have_slot && hs->fill > 0) {
		hs->len[hs->head % HASH_SLOTS] = hs->fill;
		hs->head++;
	}
	hs->have_slot = false;
	hs->done = true;
	pthread_cond_broadcast(&hs->cond);
	pthread_mutex_unlock(&hs->mu);
	pthread_join(hs->th, NULL);
}

static void hasher_free(struct hasher *hs)
{
	if (!hs)
		return;
	if (!hs->done)
		hasher_join(hs);
	pthread_mutex_destroy(&hs->mu);
	pthread_cond_destroy(&hs->cond);
	for (int i = 0; i < HASH_SLOTS; i++)
		free(hs->slot[i]);
	free(hs);
}

struct layer_stream {
	struct tar_reader *tar;
	int64_t expected;
	uint64_t raw_bytes;
	uint64_t out_bytes;
	enum compression comp;
	uint8_t magic[4];
	size_t magic_len;
	struct bw_sha256 *raw_hash;
	struct hasher *raw_hasher; /* NULL: hash inline */
	struct bw_sha256 *diff_hash;
	struct inflate_state *gz;
	enum gz_state gz_state;
	ZSTD_DCtx *zs;
	size_t zs_last; /* last ZSTD_decompressStream() result: 0 at a frame end */
	uint8_t *out;
};

struct layer_stream *layer_stream_new(struct tar_reader *tar, int64_t expected_size,
				      bool hash_uncompressed, bool stable_input)
{
	struct layer_stream *ls = calloc(1, sizeof(*ls));

	if (!ls)
		return NULL;
	ls->tar = tar;
	ls->expected = expected_size;
	ls->raw_hash = bw_sha256_new();
	ls->out = malloc(OUT_CHUNK);
	if (hash_uncompressed)
		ls->diff_hash = bw_sha256_new();
	if (!ls->raw_hash || !ls->out || (hash_uncompressed && !ls->diff_hash))
		return layer_stream_free(ls);
	/* Without a thread the stream still works: hashing stays inline. */
	ls->raw_hasher = hasher_new(ls->raw_hash, stable_input);
	return ls;
}

struct layer_stream *layer_stream_free(struct layer_stream *ls)
{
	if (!ls)
		return NULL;
	hasher_free(ls->raw_hasher);
	bw_sha256_free(ls->raw_hash);
	bw_sha256_free(ls->diff_hash);
	free(ls->gz);
	ZSTD_freeDCtx(ls->zs);
	free(ls->out);
	free(ls);
	return NULL;
}

void layer_stream_release(struct layer_stream *ls)
{
	if (ls->raw_hasher && ls->raw_hasher->by_ref)
		hasher_wait(ls->raw_hasher);
}

uint64_t layer_stream_raw_bytes(const struct layer_stream *ls)
{
	return ls->raw_bytes;
}

uint64_t layer_stream_tar_bytes(const struct layer_stream *ls)
{
	return ls->out_bytes;
}

enum compression layer_stream_compression(const struct layer_stream *ls)
{
	return ls->comp;
}

/* Hands decompressed bytes to the tar reader, enforcing the size caps. */
static int emit(struct layer_stream *ls, const void *p, size_t n, struct bw_error **err)
{
	if (n == 0)
		return 0;
	ls->out_bytes += n;
	if (ls->out_bytes > BW_MAX_LAYER_UNCOMPRESSED)
		return bw_error_set(err, -EFBIG, "layer decompresses to more than %llu bytes (a bomb?)",
				    (unsigned long long)BW_MAX_LAYER_UNCOMPRESSED);
	if (ls->comp != COMP_NONE && ls->out_bytes > BW_BOMB_MIN_BYTES &&
	    ls->out_bytes / BW_MAX_COMPRESSION_RATIO > ls->raw_bytes)
		return bw_error_set(err, -EFBIG,
				    "layer expands more than %llux (%llu bytes from %llu): a decompression bomb",
				    (unsigned long long)BW_MAX_COMPRESSION_RATIO,
				    (unsigned long long)ls->out_bytes, (unsigned long long)ls->raw_bytes);
	if (ls->diff_hash && ls->comp != COMP_NONE)
		bw_sha256_update(ls->diff_hash, p, n);
	return tar_feed(ls->tar, p, n, err);
}

static int gzip_feed(struct layer_stream *ls, const uint8_t *p, size_t n, struct bw_error **err)
{
	struct inflate_state *st = ls->gz;
	int r;

	while (n > 0) {
		if (ls->gz_state != GZ_MEMBER) {
			/* Between members: another member, or zero padding. */
			if (p[0] == 0) {
				ls->gz_state = GZ_TRAILING_ZEROS;
				p++;
				n--;
				continue;
			}
			if (ls->gz_state == GZ_TRAILING_ZEROS || p[0] != 0x1f)
				return bw_error_set(err, -EINVAL, "garbage after the end of the gzip stream");
			isal_inflate_reset(st);
			st->crc_flag = ISAL_GZIP;
			ls->gz_state = GZ_MEMBER;
		}
		st->next_in = (uint8_t *)p;
		st->avail_in = (uint32_t)(n > UINT32_MAX ? UINT32_MAX : n);
		size_t given = st->avail_in;
		do {
			st->next_out = ls->out;
			st->avail_out = OUT_CHUNK;
			r = isal_inflate(st);
			if (r < 0) {
				const char *why = r == ISAL_INCORRECT_CHECKSUM ? "checksum mismatch"
						  : r == ISAL_INVALID_WRAPPER	? "bad gzip header"
										: "invalid deflate data";
				return bw_error_set(err, -EINVAL,
						    "corrupt gzip stream at compressed byte %llu: %s",
						    (unsigned long long)(ls->raw_bytes - n + (given - st->avail_in)),
						    why);
			}
			r = emit(ls, ls->out, OUT_CHUNK - st->avail_out, err);
			if (r < 0)
				return r;
		} while (st->avail_out == 0 && st->block_state != ISAL_BLOCK_FINISH);
		size_t used = given - st->avail_in;
		p += used;
		n -= used;
		if (st->block_state == ISAL_BLOCK_FINISH)
			ls->gz_state = GZ_BETWEEN;
		else if (used == 0 && st->avail_in > 0)
			return bw_error_set(err, -EINVAL, "corrupt gzip stream: decoder made no progress");
	}
	return 0;
}

static int zstd_feed(struct layer_stream *ls, const uint8_t *p, size_t n, struct bw_error **err)
{
	ZSTD_inBuffer in = { p, n, 0 };
	int r;

	while (in.pos < in.size) {
		ZSTD_outBuffer out = { ls->out, OUT_CHUNK, 0 };
		size_t z = ZSTD_decompressStream(ls->zs, &out, &in);
		if (ZSTD_isError(z))
			return bw_error_set(err, -EINVAL, "corrupt zstd stream: %s", ZSTD_getErrorName(z));
		ls->zs_last = z;
		r = emit(ls, ls->out, out.pos, err);
		if (r < 0)
			return r;
	}
	/* Drain what the decoder still holds for this input. */
	for (;;) {
		ZSTD_outBuffer out = { ls->out, OUT_CHUNK, 0 };
		size_t z = ZSTD_decompressStream(ls->zs, &out, &in);
		if (ZSTD_isError(z))
			return bw_error_set(err, -EINVAL, "corrupt zstd stream: %s", ZSTD_getErrorName(z));
		/* With no input left, a call right after a frame's end reports a
		 * new frame's hint; only a call that flushed data tells state. */
		if (out.pos > 0)
			ls->zs_last = z;
		r = emit(ls, ls->out, out.pos, err);
		if (r < 0)
			return r;
		if (out.pos < out.size)
			break;
	}
	return 0;
}

static int start(struct layer_stream *ls, struct bw_error **err)
{
	static const uint8_t zmagic[4] = { 0x28, 0xb5, 0x2f, 0xfd };

	if (ls->magic_len >= 2 && ls->magic[0] == 0x1f && ls->magic[1] == 0x8b) {
		ls->comp = COMP_GZIP;
		ls->gz = calloc(1, sizeof(*ls->gz));
		if (!ls->gz)
			return bw_error_set(err, -ENOMEM, "out of memory");
		isal_inflate_init(ls->gz);
		ls->gz->crc_flag = ISAL_GZIP;
		ls->gz_state = GZ_MEMBER;
	} else if (ls->magic_len == 4 && memcmp(ls->magic, zmagic, 4) == 0) {
		ls->comp = COMP_ZSTD;
		ls->zs = ZSTD_createDCtx();
		if (!ls->zs)
			return bw_error_set(err, -ENOMEM, "out of memory");
		ZSTD_DCtx_setParameter(ls->zs, ZSTD_d_windowLogMax, ZSTD_WINDOW_LOG_MAX);
	} else {
		ls->comp = COMP_NONE;
	}
	return 0;
}

static int feed(struct layer_stream *ls, const uint8_t *p, size_t n, struct bw_error **err)
{
	switch (ls->comp) {
	case COMP_GZIP:
		return gzip_feed(ls, p, n, err);
	case COMP_ZSTD:
		return zstd_feed(ls, p, n, err);
	default:
		return emit(ls, p, n, err);
	}
}

int layer_stream_write(void *ud, const void *buf, size_t n, struct bw_error **err)
{
	struct layer_stream *ls = ud;
	const uint8_t *p = buf;
	int r;

	if (ls->expected >= 0 && ls->raw_bytes + n > (uint64_t)ls->expected)
		return bw_error_set(err, -EFBIG, "blob is larger than the %lld bytes its descriptor declares",
				    (long long)ls->expected);
	ls->raw_bytes += n;
	if (ls->raw_hasher)
		hasher_put(ls->raw_hasher, p, n);
	else
		bw_sha256_update(ls->raw_hash, p, n);

	/* Hold the first bytes until the magic can be recognised. */
	if (ls->comp == COMP_UNKNOWN) {
		size_t k = sizeof(ls->magic) - ls->magic_len;
		if (k > n)
			k = n;
		memcpy(ls->magic + ls->magic_len, p, k);
		ls->magic_len += k;
		p += k;
		n -= k;
		if (ls->magic_len < sizeof(ls->magic))
			return 0;
		r = start(ls, err);
		if (r < 0)
			return r;
		r = feed(ls, ls->magic, ls->magic_len, err);
		if (r < 0)
			return r;
	}
	return n ? feed(ls, p, n, err) : 0;
}

int layer_stream_finish(struct layer_stream *ls, char ret_raw_digest[72], char ret_diff_digest[72],
			struct bw_error **err)
{
	int r;

	if (ls->comp == COMP_UNKNOWN) {
		/* Fewer than four bytes in all. */
		r = start(ls, err);
		if (r < 0)
			return r;
		r = feed(ls, ls->magic, ls->magic_len, err);
		if (r < 0)
			return r;
	}
	if (ls->comp == COMP_GZIP && ls->gz_state == GZ_MEMBER)
		return bw_error_set(err, -EPIPE, "truncated gzip stream after %llu bytes",
				    (unsigned long long)ls->raw_bytes);
	if (ls->comp == COMP_ZSTD && ls->zs_last != 0)
		return bw_error_set(err, -EPIPE, "truncated zstd stream after %llu bytes",
				    (unsigned long long)ls->raw_bytes);
	if (ls->expected >= 0 && ls->raw_bytes != (uint64_t)ls->expected)
		return bw_error_set(err, -EPIPE, "blob has %llu bytes, its descriptor declares %lld",
				    (unsigned long long)ls->raw_bytes, (long long)ls->expected);
	r = tar_finish(ls->tar, err);
	if (r < 0)
		return r;
	if (ls->raw_hasher)
		hasher_join(ls->raw_hasher);
	bw_sha256_final_digest(ls->raw_hash, ret_raw_digest);
	if (ls->comp == COMP_NONE)
		memcpy(ret_diff_digest, ret_raw_digest, 72);
	else if (ls->diff_hash)
		bw_sha256_final_digest(ls->diff_hash, ret_diff_digest);
	else
		ret_diff_digest[0] = 0;
	return 0;
}
