/* SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/internal.h"
#include "image/tar.h"

/* ---------------------------------------------------------------- open */

int bw_image_open(const char *refstr, const struct bw_image_opts *opts, struct bw_image **ret,
		  struct bw_error **err)
{
	struct bw_image *img;
	int r;

	img = calloc(1, sizeof(*img));
	if (!img)
		return bw_error_set(err, -ENOMEM, "out of memory");
	if (opts) {
		size_t n = opts->sz && opts->sz < sizeof(img->opts) ? opts->sz : sizeof(img->opts);
		memcpy(&img->opts, opts, n);
	}
	img->opts.sz = sizeof(img->opts);
	r = bw_ref_parse(refstr, &img->ref, err);
	if (r < 0) {
		bw_image_free(img);
		return r;
	}
	switch (img->ref.transport) {
	case BW_TRANSPORT_REGISTRY:
		r = registry_open(img, err);
		break;
	case BW_TRANSPORT_OCI_LAYOUT:
		r = layout_open(img, err);
		break;
	case BW_TRANSPORT_DOCKER_ARCHIVE:
	case BW_TRANSPORT_OCI_ARCHIVE:
		r = archive_open(img, err);
		break;
	case BW_TRANSPORT_DIR:
		r = 0;
		break;
	}
	if (r < 0) {
		bw_image_free(img);
		return r;
	}
	*ret = img;
	return 0;
}

struct bw_image *bw_image_free(struct bw_image *img)
{
	if (!img)
		return NULL;
	if (img->ops && img->ops->done)
		img->ops->done(img);
	for (size_t i = 0; img->layers && i < img->n_layers; i++) {
		free(img->layers[i].digest);
		free(img->layers[i].media_type);
		free(img->layers[i].diff_id);
	}
	free(img->layers);
	free(img->verify);
	free(img->index_digest);
	free(img->manifest_digest);
	free(img->manifest_media_type);
	free(img->manifest_json);
	free(img->config_digest);
	free(img->config_json);
	free(img->platform);
	bw_ref_done(&img->ref);
	free(img);
	return NULL;
}

const struct bw_ref *bw_image_ref(const struct bw_image *img)
{
	return &img->ref;
}
const char *bw_image_index_digest(const struct bw_image *img)
{
	return img->index_digest;
}
const char *bw_image_manifest_digest(const struct bw_image *img)
{
	return img->manifest_digest;
}
const char *bw_image_manifest_media_type(const struct bw_image *img)
{
	return img->manifest_media_type;
}
const char *bw_image_manifest_json(const struct bw_image *img)
{
	return img->manifest_json;
}
const char *bw_image_config_digest(const struct bw_image *img)
{
	return img->config_digest;
}
const char *bw_image_config_json(const struct bw_image *img)
{
	return img->config_json;
}
const char *bw_image_platform(const struct bw_image *img)
{
	return img->platform;
}
size_t bw_image_layer_count(const struct bw_image *img)
{
	return img->n_layers;
}
const struct bw_layer_desc *bw_image_layer(const struct bw_image *img, size_t i)
{
	return i < img->n_layers ? &img->layers[i] : NULL;
}

/* ---------------------------------------------------------------- layers */

enum lstate { L_PENDING = 0, L_DONE, L_FAILED };

struct reader {
	struct bw_image *img;
	const struct bw_content_hook *hook; /* NULL: none */
	bool no_index;			    /* layers are read for the hook only: no merged fs */
	size_t n_order;			    /* layers to read: order[0..n_order) */
	pthread_mutex_t mu;
	pthread_cond_t cond;
	size_t next;
	size_t *order; /* layers by size, largest first */
	enum lstate *state;
	struct layer_index **index;
	struct bw_error *first_err;
	size_t first_err_layer;
	atomic_bool abort;
};

struct one_layer {
	struct reader *rd;
	struct layer_stream *ls;
	struct layer_index *li;
	/* Content hook: its state for this layer, and the file in progress. */
	void *hstate;
	bool hfile;    /* a file_begin that wanted the data awaits its file_end */
	bool hdeliver; /* its data still goes to file_data */
	uint64_t hleft;
	int layer;
};

/* Whether hook h (of size h->sz) has member m. */
#define HOOK_HAS(h, m) ((h)->sz >= offsetof(struct bw_content_hook, m) + sizeof((h)->m))

static bool is_whiteout_name(const char *name)
{
	const char *b = strrchr(name, '/');

	return bw_startswith(b ? b + 1 : name, ".wh.");
}

static int on_entry(void *ud, const struct tar_entry *e, struct bw_error **err)
{
	struct one_layer *ol = ud;
	const struct bw_content_hook *h = ol->rd->hook;
	int r;

	r = ol->rd->no_index ? 0 : layer_index_add(ol->li, e, err);
	if (r == 0 && h && HOOK_HAS(h, entry) && h->entry) {
		struct bw_file f = { .path = e->name, .type = BW_FT_REG, .mode = e->mode, .uid = e->uid,
				     .gid = e->gid, .size = e->type == TAR_REG ? e->size : 0,
				     .mtime = e->mtime, .link = e->link, .layer = ol->layer };
		switch (e->type) {
		case TAR_DIR: f.type = BW_FT_DIR; break;
		case TAR_SYMLINK: f.type = BW_FT_SYMLINK; break;
		case TAR_CHAR: f.type = BW_FT_CHAR; break;
		case TAR_BLOCK_DEV: f.type = BW_FT_BLOCK; break;
		case TAR_FIFO: f.type = BW_FT_FIFO; break;
		case TAR_HARDLINK: f.hardlink = true; break;
		default: f.link = NULL; break;
		}
		r = h->entry(ol->hstate, &f, err);
	}
	if (r < 0 || !h || e->type != TAR_REG || is_whiteout_name(e->name))
		return r;
	ol->hfile = h->file_begin(ol->hstate, e->name, e->size, e->mode);
	ol->hdeliver = ol->hfile;
	ol->hleft = e->size;
	if (ol->hfile && e->size == 0) {
		ol->hfile = false;
		return h->file_end(ol->hstate, err);
	}
	return 0;
}

/* A regular file's data, in pieces (only when there is a hook). */
static int on_data(void *ud, const void *p, size_t n, struct bw_error **err)
{
	struct one_layer *ol = ud;
	const struct bw_content_hook *h = ol->rd->hook;
	int r;

	if (!ol->hfile)
		return 0;
	if (ol->hdeliver) {
		r = h->file_data(ol->hstate, p, n, err);
		if (r < 0)
			return r;
		if (r == 1)
			ol->hdeliver = false;
	}
	ol->hleft -= n < ol->hleft ? n : ol->hleft;
	if (ol->hleft == 0) {
		ol->hfile = false;
		return h->file_end(ol->hstate, err);
	}
	return 0;
}

static int on_bytes(void *ud, const void *p, size_t n, struct bw_error **err)
{
	struct one_layer *ol = ud;

	if (atomic_load_explicit(&ol->rd->abort, memory_order_relaxed))
		return bw_error_set(err, -ECANCELED, "cancelled");
	return layer_stream_write(ol->ls, p, n, err);
}

/*
 * A local blob is mapped a window at a time and handed to the layer stream
 * in place: read() would copy every stored byte out of the page cache (a
 * quarter of the CPU time on a big image), and the hasher reads the pages
 * where they are. A window is unmapped once the stream has let go of it, so
 * resident memory stays at about two windows however big the layer.
 */
#define MAP_WINDOW (2u << 20)
#define MAP_FEED (512u << 10)

struct mapping {
	void *p;
	size_t len;
};

static void unmap(struct mapping *m)
{
	if (m->p)
		munmap(m->p, m->len);
	m->p = NULL;
}

/* For a stream made for stable input fed from a reused buffer. */
static int on_bytes_released(void *ud, const void *p, size_t n, struct bw_error **err)
{
	struct one_layer *ol = ud;
	int r = on_bytes(ol, p, n, err);

	layer_stream_release(ol->ls);
	return r;
}

static int stream_mapped(struct one_layer *ol, int fd, uint64_t offset, int64_t len, struct mapping *last,
			 struct bw_error **err)
{
	long page = sysconf(_SC_PAGESIZE);
	uint64_t end, pos = offset;
	struct stat st;
	int r;

	if (fstat(fd, &st) < 0)
		return bw_error_set(err, -errno, "cannot stat the blob: %s", strerror(errno));
	end = len < 0 ? (uint64_t)st.st_size : offset + (uint64_t)len;
	if (end > (uint64_t)st.st_size)
		return bw_error_set(err, -EPIPE, "blob ends early (file truncated)");
	while (pos < end) {
		uint64_t base = pos / (uint64_t)page * (uint64_t)page;
		size_t span = (size_t)(end - base < MAP_WINDOW ? end - base : MAP_WINDOW);
		struct mapping m = { mmap(NULL, span, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, (off_t)base), span };

		if (m.p == MAP_FAILED && pos == offset) /* a file system that can't map */
			return stream_fd(fd, "blob", offset, len < 0 ? (int64_t)(end - offset) : len,
					 on_bytes_released, ol, err);
		if (m.p == MAP_FAILED)
			return bw_error_set(err, -errno, "cannot map the blob: %s", strerror(errno));
		madvise(m.p, span, MADV_SEQUENTIAL);
		for (size_t at = (size_t)(pos - base); at < span;) {
			size_t n = span - at < MAP_FEED ? span - at : MAP_FEED;
			r = on_bytes(ol, (const uint8_t *)m.p + at, n, err);
			if (r < 0) {
				layer_stream_release(ol->ls);
				munmap(m.p, m.len);
				return r;
			}
			at += n;
		}
		pos = base + span;
		/* The window before this one is no longer queued anywhere. */
		layer_stream_release(ol->ls);
		unmap(last);
		*last = m;
	}
	return 0;
}

static int read_layer(struct reader *rd, size_t i, struct layer_index **ret, struct bw_error **err)
{
	struct bw_image *img = rd->img;
	const struct bw_layer_desc *l = &img->layers[i];
	struct one_layer ol = { .rd = rd, .layer = (int)i };
	struct tar_reader *tar = NULL;
	struct mapping last = { 0 };
	char raw[72], diff[72];
	int fd = -1, r;
	uint64_t offset = 0;
	int64_t len = -1;

	if (rd->hook) {
		r = rd->hook->layer_begin(rd->hook->userdata, (int)i, &ol.hstate, err);
		if (r < 0)
			return r;
	}
	ol.li = layer_index_new();
	tar = tar_reader_new(on_entry, rd->hook ? on_data : NULL, &ol);
	if (ol.li && tar)
		ol.ls = layer_stream_new(tar, l->size, img->verify[i] == VERIFY_DIFF_ID, img->ops->blob_fd != NULL);
	if (!ol.li || !tar || !ol.ls) {
		r = bw_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	if (img->ops->blob_fd) {
		r = img->ops->blob_fd(img, l, &fd, &offset, &len, err);
		if (r >= 0)
			r = stream_mapped(&ol, fd, offset, len, &last, err);
	} else {
		r = img->ops->stream_blob(img, l, on_bytes, &ol, err);
	}
	if (r < 0)
		goto out;
	r = layer_stream_finish(ol.ls, raw, diff, err);
	if (r < 0)
		goto out;
	if (img->verify[i] == VERIFY_BLOB && strcmp(raw, l->digest)) {
		r = bw_error_set(err, -EBADMSG, "content has digest %s (corrupt or tampered blob)", raw);
		goto out;
	}
	if (img->verify[i] == VERIFY_DIFF_ID && (!l->diff_id || strcmp(diff, l->diff_id))) {
		r = bw_error_set(err, -EBADMSG, "uncompressed content has digest %s, the config says %s", diff,
				 l->diff_id ? l->diff_id : "nothing");
		goto out;
	}
	bw_log(BW_LOG_DEBUG, "layer %zu %s: %llu bytes stored, %llu bytes of tar, %zu entries", i + 1, l->digest,
	       (unsigned long long)layer_stream_raw_bytes(ol.ls),
	       (unsigned long long)layer_stream_tar_bytes(ol.ls), layer_index_count(ol.li));
	*ret = TAKE_PTR(ol.li);
out:
	if (rd->hook)
		rd->hook->layer_end(ol.hstate, r >= 0);
	layer_stream_free(ol.ls); /* the hasher is done with the last window */
	unmap(&last);
	if (fd >= 0)
		close(fd);
	tar_reader_free(tar);
	layer_index_free(ol.li);
	return r;
}

static void *worker(void *arg)
{
	struct reader *rd = arg;

	for (;;) {
		struct layer_index *li = NULL;
		struct bw_error *err = NULL;
		size_t i;
		int r;

		pthread_mutex_lock(&rd->mu);
		i = rd->next++;
		pthread_mutex_unlock(&rd->mu);
		if (i >= rd->n_order || atomic_load(&rd->abort))
			break;
		i = rd->order[i];
		r = read_layer(rd, i, &li, &err);
		pthread_mutex_lock(&rd->mu);
		if (r < 0) {
			rd->state[i] = L_FAILED;
			/* Keep the error of the earliest real failure, not the
			 * cancellations it caused in other layers. */
			if (r != -ECANCELED && (!rd->first_err || i < rd->first_err_layer)) {
				bw_error_wrap(&err, "layer %zu (%s)", i + 1, rd->img->layers[i].digest);
				bw_error_free(rd->first_err);
				rd->first_err = err;
				rd->first_err_layer = i;
				err = NULL;
			}
			atomic_store(&rd->abort, true);
		} else {
			rd->state[i] = L_DONE;
			rd->index[i] = li;
		}
		pthread_cond_broadcast(&rd->cond);
		pthread_mutex_unlock(&rd->mu);
		bw_error_free(err);
	}
	return NULL;
}

static int by_size_desc(const void *a, const void *b, void *ud)
{
	const struct bw_layer_desc *l = ud;
	int64_t x = l[*(const size_t *)a].size, y = l[*(const size_t *)b].size;

	return x < y ? 1 : x > y ? -1 : 0;
}

static unsigned thread_count(const struct bw_image *img)
{
	long n = img->opts.threads ? (long)img->opts.threads : sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		n = 1;
	if ((size_t)n > img->n_layers)
		n = (long)img->n_layers;
	return n < 1 ? 1 : (unsigned)n;
}

int bw_image_read_fs(struct bw_image *img, struct bw_fs **ret, struct bw_error **err)
{
	return bw_image_read_fs_hook(img, NULL, ret, err);
}

/* Reads the layers want[] names (all when NULL) through hook; builds the
 * merged file system into *ret unless ret is NULL. */
static int read_layers(struct bw_image *img, const bool *want, const struct bw_content_hook *hook,
		       struct bw_fs **ret, struct bw_error **err)
{
	struct bw_fs *fs = NULL;
	struct reader rd = { .img = img, .hook = hook, .no_index = !ret };
	pthread_t th[64];
	unsigned nth, started = 0;
	int r = 0;

	if (img->ref.transport == BW_TRANSPORT_DIR || ret) {
		fs = fs_new();
		if (!fs)
			return bw_error_set(err, -ENOMEM, "out of memory");
	}
	if (img->ref.transport == BW_TRANSPORT_DIR) {
		r = dir_read_fs(img->ref.path, fs, err);
		if (r == 0 && hook)
			r = dir_visit(img->ref.path, fs, hook, err);
		if (r < 0 || !ret) {
			bw_fs_free(fs);
			return r;
		}
		*ret = fs;
		return 0;
	}
	if (img->n_layers == 0) {
		if (ret)
			*ret = fs;
		return 0;
	}
	rd.state = calloc(img->n_layers, sizeof(*rd.state));
	rd.index = calloc(img->n_layers, sizeof(*rd.index));
	rd.order = calloc(img->n_layers, sizeof(*rd.order));
	if (!rd.state || !rd.index || !rd.order) {
		r = bw_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	/* Largest layers first: the longest layer then starts at once instead
	 * of last, which shortens the whole read when layers outnumber cores.
	 * (Layers are still merged in order as they become available.) */
	for (size_t i = 0; i < img->n_layers; i++)
		if (!want || want[i])
			rd.order[rd.n_order++] = i;
	qsort_r(rd.order, rd.n_order, sizeof(*rd.order), by_size_desc, img->layers);
	pthread_mutex_init(&rd.mu, NULL);
	pthread_cond_init(&rd.cond, NULL);
	nth = thread_count(img);
	if (nth > rd.n_order)
		nth = rd.n_order ? (unsigned)rd.n_order : 1;
	if (nth > BW_ARRAY_SIZE(th))
		nth = BW_ARRAY_SIZE(th);
	for (unsigned t = 0; t < nth; t++) {
		if (pthread_create(&th[t], NULL, worker, &rd) != 0)
			break;
		started++;
	}
	if (started == 0) {
		r = bw_error_set(err, -EAGAIN, "cannot start a thread");
		goto join;
	}

	/* Merge layers in order as they finish, freeing each index once merged
	 * so memory holds at most the layers still in flight. */
	/* Without a merged fs the join below waits for the layers. */
	for (size_t i = 0; i < img->n_layers && fs; i++) {
		struct layer_index *li;

		pthread_mutex_lock(&rd.mu);
		while (rd.state[i] == L_PENDING && !atomic_load(&rd.abort))
			pthread_cond_wait(&rd.cond, &rd.mu);
		li = rd.state[i] == L_DONE ? rd.index[i] : NULL;
		rd.index[i] = NULL;
		pthread_mutex_unlock(&rd.mu);
		if (!li)
			break;
		r = fs_apply_layer(fs, li, (int)i, true, err);
		layer_index_free(li);
		if (r < 0) {
			bw_error_wrap(err, "layer %zu (%s)", i + 1, img->layers[i].digest);
			atomic_store(&rd.abort, true);
			break;
		}
	}
join:
	for (unsigned t = 0; t < started; t++)
		pthread_join(th[t], NULL);
	if (r == 0 && rd.first_err) {
		r = rd.first_err->code;
		if (err && !*err)
			*err = TAKE_PTR(rd.first_err);
	}
	bw_error_free(rd.first_err);
	for (size_t i = 0; i < img->n_layers; i++)
		layer_index_free(rd.index[i]);
	pthread_mutex_destroy(&rd.mu);
	pthread_cond_destroy(&rd.cond);
out:
	free(rd.order);
	free(rd.state);
	free(rd.index);
	if (r < 0 || !ret) {
		bw_fs_free(fs);
		return r;
	}
	*ret = fs;
	return 0;
}

int bw_image_read_fs_hook(struct bw_image *img, const struct bw_content_hook *hook, struct bw_fs **ret,
			  struct bw_error **err)
{
	return read_layers(img, NULL, hook, ret, err);
}

int bw_image_read_layers(struct bw_image *img, const bool *want, const struct bw_content_hook *hook,
			 struct bw_error **err)
{
	return read_layers(img, want, hook, NULL, err);
}
