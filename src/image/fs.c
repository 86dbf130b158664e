/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "image/internal.h"
#include "image/tar.h"

/*
 * The merged file system is a tree of nodes in one array. Children are
 * found through one hash table keyed by (parent, name); each directory also
 * keeps a doubly linked list of its children so a subtree can be removed
 * (whiteouts) and walked. Names are single components, stored once in a
 * pool: far smaller than full paths for the hundreds of thousands of files
 * a big image has.
 */

#define NONE UINT32_MAX
#define ROOT 0u

struct node {
	uint32_t parent;
	uint32_t first_child;
	uint32_t next, prev;
	uint32_t name; /* pool offset */
	uint32_t link; /* pool offset or NONE */
	uint32_t mode, uid, gid;
	uint32_t devmajor, devminor;
	uint64_t size;
	int64_t mtime;
	uint8_t type; /* enum bw_ftype */
	uint8_t hardlink;
	uint8_t deleted;
	int16_t layer;
};

/* NUL-terminated strings packed in one buffer, named by 32-bit offsets. */
struct strpool {
	char *data;
	size_t len, alloc;
};

static int strpool_add(struct strpool *sp, const char *s, size_t n, uint32_t *ret)
{
	size_t need;

	if (__builtin_add_overflow(sp->len, n + 1, &need) || need > UINT32_MAX)
		return -E2BIG;
	if (need > sp->alloc) {
		size_t a = sp->alloc ? sp->alloc : 65536;
		while (a < need)
			a *= 2;
		char *p = realloc(sp->data, a);
		if (!p)
			return -ENOMEM;
		sp->data = p;
		sp->alloc = a;
	}
	memcpy(sp->data + sp->len, s, n);
	sp->data[sp->len + n] = 0;
	*ret = (uint32_t)sp->len;
	sp->len = need;
	return 0;
}

struct bw_fs {
	struct node *nodes;
	uint32_t n_nodes, alloc_nodes;
	uint32_t live;
	struct strpool pool;
	uint32_t *table; /* node index + 1; 0 empty; TOMB deleted */
	uint32_t table_cap, table_used;
	struct bw_buf path; /* scratch for walks and lookups */
};

#define TOMB UINT32_MAX

static const char *ftype_names[] = { "file", "dir", "symlink", "char", "block", "fifo", "socket" };

const char *bw_ftype_name(enum bw_ftype t)
{
	return (unsigned)t < BW_ARRAY_SIZE(ftype_names) ? ftype_names[t] : "unknown";
}

static const char *pstr(const struct bw_fs *fs, uint32_t off)
{
	return off == NONE ? NULL : fs->pool.data + off;
}

/* ---------------------------------------------------------------- table */

static uint64_t key_hash(uint32_t parent, const char *name, size_t n)
{
	uint64_t h = 1469598103934665603ull ^ parent;

	h *= 1099511628211ull;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)name[i];
		h *= 1099511628211ull;
	}
	return h ^ (h >> 29);
}

static bool node_is(const struct bw_fs *fs, uint32_t i, uint32_t parent, const char *name, size_t n)
{
	const struct node *nd = &fs->nodes[i];
	const char *s = fs->pool.data + nd->name;

	return nd->parent == parent && strncmp(s, name, n) == 0 && s[n] == 0;
}

static uint32_t table_find(const struct bw_fs *fs, uint32_t parent, const char *name, size_t n)
{
	uint32_t mask = fs->table_cap - 1;
	uint32_t i = (uint32_t)key_hash(parent, name, n) & mask;

	for (;;) {
		uint32_t v = fs->table[i];
		if (v == 0)
			return NONE;
		if (v != TOMB && node_is(fs, v - 1, parent, name, n))
			return v - 1;
		i = (i + 1) & mask;
	}
}

static void table_insert_raw(struct bw_fs *fs, uint32_t idx)
{
	const struct node *nd = &fs->nodes[idx];
	const char *name = fs->pool.data + nd->name;
	uint32_t mask = fs->table_cap - 1;
	uint32_t i = (uint32_t)key_hash(nd->parent, name, strlen(name)) & mask;

	while (fs->table[i] != 0 && fs->table[i] != TOMB)
		i = (i + 1) & mask;
	if (fs->table[i] == 0)
		fs->table_used++;
	fs->table[i] = idx + 1;
}

static int table_rehash(struct bw_fs *fs, uint32_t cap)
{
	uint32_t *t = calloc(cap, sizeof(*t));

	if (!t)
		return -ENOMEM;
	free(fs->table);
	fs->table = t;
	fs->table_cap = cap;
	fs->table_used = 0;
	for (uint32_t i = 1; i < fs->n_nodes; i++)
		if (!fs->nodes[i].deleted)
			table_insert_raw(fs, i);
	return 0;
}

static void table_remove(struct bw_fs *fs, uint32_t idx)
{
	const struct node *nd = &fs->nodes[idx];
	const char *name = fs->pool.data + nd->name;
	uint32_t mask = fs->table_cap - 1;
	uint32_t i = (uint32_t)key_hash(nd->parent, name, strlen(name)) & mask;

	for (;;) {
		uint32_t v = fs->table[i];
		if (v == 0)
			return;
		if (v == idx + 1) {
			fs->table[i] = TOMB;
			return;
		}
		i = (i + 1) & mask;
	}
}

/* ---------------------------------------------------------------- nodes */

struct bw_fs *fs_new(void)
{
	struct bw_fs *fs = calloc(1, sizeof(*fs));
	uint32_t off;

	if (!fs)
		return NULL;
	fs->path = BW_BUF_INIT(1u << 16);
	fs->alloc_nodes = 1024;
	fs->nodes = calloc(fs->alloc_nodes, sizeof(*fs->nodes));
	fs->table_cap = 1024;
	fs->table = calloc(fs->table_cap, sizeof(*fs->table));
	if (!fs->nodes || !fs->table || strpool_add(&fs->pool, "", 0, &off) < 0)
		return bw_fs_free(fs);
	fs->nodes[ROOT] = (struct node){ .parent = ROOT, .first_child = NONE, .next = NONE,
					 .prev = NONE, .name = off, .link = NONE, .mode = 0755,
					 .type = BW_FT_DIR, .layer = -1 };
	fs->n_nodes = 1;
	fs->live = 1;
	return fs;
}

struct bw_fs *bw_fs_free(struct bw_fs *fs)
{
	if (fs) {
		free(fs->nodes);
		free(fs->pool.data);
		free(fs->table);
		bw_buf_done(&fs->path);
		free(fs);
	}
	return NULL;
}

size_t bw_fs_count(const struct bw_fs *fs)
{
	return fs->live;
}

static void unlink_child(struct bw_fs *fs, uint32_t i)
{
	struct node *nd = &fs->nodes[i];

	if (nd->prev != NONE)
		fs->nodes[nd->prev].next = nd->next;
	else
		fs->nodes[nd->parent].first_child = nd->next;
	if (nd->next != NONE)
		fs->nodes[nd->next].prev = nd->prev;
	nd->next = nd->prev = NONE;
}

/* Removes node i and everything below it. */
static void remove_subtree(struct bw_fs *fs, uint32_t i)
{
	uint32_t top = i, cur;

	unlink_child(fs, top);
	/* Iterative post-order: descend to a leaf, delete it, repeat. */
	cur = top;
	for (;;) {
		struct node *nd = &fs->nodes[cur];
		if (nd->first_child != NONE) {
			cur = nd->first_child;
			continue;
		}
		uint32_t parent = nd->parent;
		table_remove(fs, cur);
		nd->deleted = 1;
		fs->live--;
		if (cur == top)
			break;
		unlink_child(fs, cur);
		cur = parent;
	}
}

static int new_node(struct bw_fs *fs, uint32_t parent, const char *name, size_t n, uint32_t *ret)
{
	struct node *nd;
	uint32_t off, idx;
	int r;

	if (fs->live >= BW_MAX_FS_ENTRIES || fs->n_nodes >= UINT32_MAX - 2)
		return -E2BIG;
	if (fs->n_nodes == fs->alloc_nodes) {
		uint32_t a = fs->alloc_nodes * 2;
		struct node *p = realloc(fs->nodes, (size_t)a * sizeof(*p));
		if (!p)
			return -ENOMEM;
		fs->nodes = p;
		fs->alloc_nodes = a;
	}
	if ((fs->table_used + 1) * 4 > fs->table_cap * 3) {
		uint32_t cap = fs->table_cap;
		/* Grow only when live entries need it; otherwise sweep tombstones. */
		if ((fs->live + 1) * 2 > cap)
			cap *= 2;
		r = table_rehash(fs, cap);
		if (r < 0)
			return r;
	}
	r = strpool_add(&fs->pool, name, n, &off);
	if (r < 0)
		return r;
	idx = fs->n_nodes++;
	nd = &fs->nodes[idx];
	*nd = (struct node){ .parent = parent, .first_child = NONE, .next = NONE, .prev = NONE,
			     .name = off, .link = NONE, .layer = -1 };
	/* Link at the head of the parent's list. */
	nd->next = fs->nodes[parent].first_child;
	if (nd->next != NONE)
		fs->nodes[nd->next].prev = idx;
	fs->nodes[parent].first_child = idx;
	table_insert_raw(fs, idx);
	fs->live++;
	*ret = idx;
	return 0;
}

/* ---------------------------------------------------------------- paths */

struct walk {
	struct bw_fs *fs;
	bool create;  /* missing directories are created (as a runtime would) */
	int layer;
	int hops;
	const char *orig; /* for messages */
	struct bw_error **err;
};

static int resolve(struct walk *w, uint32_t dir, const char *path, bool follow_last, uint32_t *ret_parent,
		   uint32_t *ret_node, const char **ret_last, size_t *ret_last_len);

/* Follows symlink node s found in dir; *ret is the node it names. */
static int follow_link(struct walk *w, uint32_t dir, uint32_t s, uint32_t *ret)
{
	const char *target = pstr(w->fs, w->fs->nodes[s].link);
	_cleanup_free_ char *copy = NULL;
	uint32_t parent, node;
	const char *last;
	size_t last_len;
	int r;

	if (++w->hops > BW_MAX_SYMLINK_HOPS)
		return bw_error_set(w->err, -ELOOP, "`%s`: too many levels of symbolic links", w->orig);
	if (!target || !*target)
		return bw_error_set(w->err, -ENOENT, "`%s`: empty symbolic link", w->orig);
	/* The pool may move while we create nodes: work on a copy. */
	copy = strdup(target);
	if (!copy)
		return bw_error_set(w->err, -ENOMEM, "out of memory");
	r = resolve(w, copy[0] == '/' ? ROOT : dir, copy, true, &parent, &node, &last, &last_len);
	if (r < 0)
		return r;
	if (node == NONE) {
		if (!w->create)
			return bw_error_set(w->err, -ENOENT, "`%s`: symbolic link to `%s`, which does not exist",
					    w->orig, target);
		r = new_node(w->fs, parent, last, last_len, &node);
		if (r < 0)
			return bw_error_set(w->err, r, "`%s`: cannot add a directory", w->orig);
		struct node *nd = &w->fs->nodes[node];
		nd->type = BW_FT_DIR;
		nd->mode = 0755;
		nd->layer = (int16_t)w->layer;
	}
	*ret = node;
	return 0;
}

/*
 * Walks path from dir. Every component but the last must be a directory
 * (symlinks are followed inside the image); the last is looked up in
 * *ret_parent and returned in *ret_node (NONE when missing), and its name
 * in *ret_last. "." and ".." are handled; ".." at the root stays there.
 */
static int resolve(struct walk *w, uint32_t dir, const char *path, bool follow_last, uint32_t *ret_parent,
		   uint32_t *ret_node, const char **ret_last, size_t *ret_last_len)
{
	struct bw_fs *fs = w->fs;
	const char *p = path;
	int r;

	for (;;) {
		while (*p == '/')
			p++;
		const char *c = p;
		while (*p && *p != '/')
			p++;
		size_t n = (size_t)(p - c);
		const char *rest = p;
		while (*rest == '/')
			rest++;
		bool last = *rest == 0;

		if (n == 0 || (n == 1 && c[0] == '.')) {
			if (last) {
				/* The path names dir itself. */
				*ret_parent = fs->nodes[dir].parent;
				*ret_node = dir;
				*ret_last = pstr(fs, fs->nodes[dir].name);
				*ret_last_len = strlen(*ret_last);
				return 0;
			}
			continue;
		}
		if (n == 2 && c[0] == '.' && c[1] == '.') {
			dir = fs->nodes[dir].parent;
			if (last) {
				*ret_parent = fs->nodes[dir].parent;
				*ret_node = dir;
				*ret_last = pstr(fs, fs->nodes[dir].name);
				*ret_last_len = strlen(*ret_last);
				return 0;
			}
			continue;
		}
		uint32_t node = table_find(fs, dir, c, n);
		if (last) {
			if (node != NONE && follow_last && fs->nodes[node].type == BW_FT_SYMLINK) {
				r = follow_link(w, dir, node, &node);
				if (r < 0)
					return r;
				*ret_parent = fs->nodes[node].parent;
				*ret_node = node;
				*ret_last = pstr(fs, fs->nodes[node].name);
				*ret_last_len = strlen(*ret_last);
				return 0;
			}
			*ret_parent = dir;
			*ret_node = node;
			*ret_last = c;
			*ret_last_len = n;
			return 0;
		}
		if (node == NONE) {
			if (!w->create)
				return bw_error_set(w->err, -ENOENT, "`%s`: no such file or directory", w->orig);
			r = new_node(fs, dir, c, n, &node);
			if (r < 0)
				return bw_error_set(w->err, r, "`%s`: cannot add a directory", w->orig);
			fs->nodes[node].type = BW_FT_DIR;
			fs->nodes[node].mode = 0755;
			fs->nodes[node].layer = (int16_t)w->layer;
		} else if (fs->nodes[node].type == BW_FT_SYMLINK) {
			r = follow_link(w, dir, node, &node);
			if (r < 0)
				return r;
		}
		if (fs->nodes[node].type != BW_FT_DIR)
			return bw_error_set(w->err, -ENOTDIR, "`%s`: not a directory", w->orig);
		dir = node;
	}
}

/* ---------------------------------------------------------------- layers */

struct rec {
	uint32_t path; /* offset in pool */
	uint32_t link; /* offset or NONE */
	uint32_t mode, uid, gid, devmajor, devminor;
	uint8_t type; /* enum tar_type */
	uint64_t size;
	int64_t mtime;
};

struct layer_index {
	struct rec *recs;
	size_t n, alloc;
	struct strpool pool;
};

struct layer_index *layer_index_new(void)
{
	return calloc(1, sizeof(struct layer_index));
}

struct layer_index *layer_index_free(struct layer_index *li)
{
	if (li) {
		free(li->recs);
		free(li->pool.data);
		free(li);
	}
	return NULL;
}

size_t layer_index_count(const struct layer_index *li)
{
	return li->n;
}

static int li_str(struct layer_index *li, const char *s, uint32_t *ret)
{
	return strpool_add(&li->pool, s, strlen(s), ret);
}

int layer_index_add(struct layer_index *li, const struct tar_entry *e, struct bw_error **err)
{
	struct rec *r;
	int ret;

	if (li->n == li->alloc) {
		size_t a = li->alloc ? li->alloc * 2 : 1024;
		struct rec *p = realloc(li->recs, a * sizeof(*p));
		if (!p)
			return bw_error_set(err, -ENOMEM, "out of memory");
		li->recs = p;
		li->alloc = a;
	}
	r = &li->recs[li->n];
	*r = (struct rec){ .link = NONE, .mode = e->mode, .uid = e->uid, .gid = e->gid,
			   .devmajor = e->devmajor, .devminor = e->devminor, .type = (uint8_t)e->type,
			   .size = e->size, .mtime = e->mtime };
	ret = li_str(li, e->name, &r->path);
	if (ret == 0 && (e->type == TAR_SYMLINK || e->type == TAR_HARDLINK))
		ret = li_str(li, e->link, &r->link);
	if (ret < 0)
		return bw_error_set(err, ret, "layer index: %s", ret == -E2BIG ? "too large" : "out of memory");
	li->n++;
	return 0;
}

static const char *basename_of(const char *path, size_t *dirlen)
{
	const char *s = strrchr(path, '/');

	*dirlen = s ? (size_t)(s - path) : 0;
	return s ? s + 1 : path;
}

/* Finds the directory that holds path's last component (no creation). */
static int parent_dir(struct walk *w, const char *path, size_t dirlen, uint32_t *ret)
{
	char buf[BW_MAX_PATH + 1];
	uint32_t parent, node;
	const char *last;
	size_t n;
	int r;

	if (dirlen == 0) {
		*ret = ROOT;
		return 0;
	}
	memcpy(buf, path, dirlen);
	buf[dirlen] = 0;
	r = resolve(w, ROOT, buf, true, &parent, &node, &last, &n);
	if (r < 0)
		return r;
	*ret = node;
	return 0;
}

static int apply_whiteout(struct bw_fs *fs, const struct rec *rc, const char *path, int layer,
			  struct bw_error **err)
{
	struct walk w = { .fs = fs, .layer = layer, .orig = path, .err = err };
	size_t dirlen;
	const char *base = basename_of(path, &dirlen);
	uint32_t dir;
	struct bw_error *ignored = NULL;
	int r;

	(void)rc;
	w.err = &ignored;
	r = parent_dir(&w, path, dirlen, &dir);
	bw_error_free(ignored);
	if (r < 0 || dir == NONE || fs->nodes[dir].type != BW_FT_DIR)
		return 0; /* nothing below to hide */
	if (strcmp(base, ".wh..wh..opq") == 0) {
		while (fs->nodes[dir].first_child != NONE)
			remove_subtree(fs, fs->nodes[dir].first_child);
		return 0;
	}
	if (bw_startswith(base, ".wh..wh."))
		return 0; /* aufs metadata (.wh..wh.plnk etc.), not a whiteout */
	base += 4;
	if (!*base)
		return bw_error_set(err, -EINVAL, "whiteout `%s` names nothing", path);
	uint32_t victim = table_find(fs, dir, base, strlen(base));
	if (victim != NONE)
		remove_subtree(fs, victim);
	return 0;
}

static enum bw_ftype ftype_of(uint8_t t)
{
	switch (t) {
	case TAR_DIR:
		return BW_FT_DIR;
	case TAR_SYMLINK:
		return BW_FT_SYMLINK;
	case TAR_CHAR:
		return BW_FT_CHAR;
	case TAR_BLOCK_DEV:
		return BW_FT_BLOCK;
	case TAR_FIFO:
		return BW_FT_FIFO;
	default:
		return BW_FT_REG;
	}
}

static int apply_entry(struct bw_fs *fs, const struct layer_index *li, const struct rec *rc, int layer,
		       struct bw_error **err)
{
	const char *path = li->pool.data + rc->path;
	struct walk w = { .fs = fs, .create = true, .layer = layer, .orig = path, .err = err };
	uint32_t parent, node, link = NONE;
	const char *last;
	size_t n;
	int r;
	struct node src = { 0 };

	if (path[0] == 0) {
		/* The root directory itself. */
		struct node *nd = &fs->nodes[ROOT];
		if (rc->type == TAR_DIR) {
			nd->mode = rc->mode;
			nd->uid = rc->uid;
			nd->gid = rc->gid;
			nd->mtime = rc->mtime;
			nd->layer = (int16_t)layer;
		}
		return 0;
	}
	r = resolve(&w, ROOT, path, false, &parent, &node, &last, &n);
	if (r < 0)
		return r;
	if (rc->type == TAR_HARDLINK) {
		const char *target = li->pool.data + rc->link;
		struct walk lw = { .fs = fs, .layer = layer, .orig = target, .err = err };
		uint32_t lp, ln;
		const char *ll;
		size_t lln;

		r = resolve(&lw, ROOT, target, false, &lp, &ln, &ll, &lln);
		if (r < 0 || ln == NONE) {
			if (r == 0)
				r = bw_error_set(err, -ENOENT, "hard link `%s` names `%s`, which is not in the image",
						 path, target);
			return bw_error_wrap(err, "hard link `%s`", path);
		}
		if (fs->nodes[ln].type == BW_FT_DIR)
			return bw_error_set(err, -EPERM, "hard link `%s` names the directory `%s`", path,
					    target);
		if (ln == node)
			return 0; /* a link to itself changes nothing */
		src = fs->nodes[ln];
		r = strpool_add(&fs->pool, target, strlen(target), &link);
		if (r < 0)
			return bw_error_set(err, r, "out of memory");
	}
	if (node != NONE) {
		struct node *nd = &fs->nodes[node];
		if (nd->type == BW_FT_DIR && rc->type == TAR_DIR) {
			nd->mode = rc->mode;
			nd->uid = rc->uid;
			nd->gid = rc->gid;
			nd->mtime = rc->mtime;
			nd->layer = (int16_t)layer;
			return 0;
		}
		if (node == ROOT)
			return bw_error_set(err, -EPERM, "entry `%s` would replace the root directory", path);
		remove_subtree(fs, node);
	}
	/* last points into li's pool, which does not move: safe to pass. */
	r = new_node(fs, parent, last, n, &node);
	if (r < 0)
		return bw_error_set(err, r, "cannot add `%s`: %s", path,
				    r == -E2BIG ? "too many files in the image" : "out of memory");
	struct node *nd = &fs->nodes[node];
	nd->layer = (int16_t)layer;
	if (rc->type == TAR_HARDLINK) {
		nd->type = src.type;
		nd->mode = src.mode;
		nd->uid = src.uid;
		nd->gid = src.gid;
		nd->size = src.size;
		nd->mtime = src.mtime;
		nd->devmajor = src.devmajor;
		nd->devminor = src.devminor;
		nd->hardlink = 1;
		nd->link = link;
		if (src.type == BW_FT_SYMLINK) {
			/* A hard link to a symlink is that symlink again. */
			r = strpool_add(&fs->pool, pstr(fs, src.link), strlen(pstr(fs, src.link)), &nd->link);
			if (r < 0)
				return bw_error_set(err, r, "out of memory");
			nd = &fs->nodes[node];
			nd->hardlink = 0;
		}
		return 0;
	}
	nd->type = (uint8_t)ftype_of(rc->type);
	nd->mode = rc->mode;
	nd->uid = rc->uid;
	nd->gid = rc->gid;
	nd->size = rc->type == TAR_REG ? rc->size : 0;
	nd->mtime = rc->mtime;
	nd->devmajor = rc->devmajor;
	nd->devminor = rc->devminor;
	if (rc->type == TAR_SYMLINK) {
		const char *t = li->pool.data + rc->link;
		r = strpool_add(&fs->pool, t, strlen(t), &link);
		if (r < 0)
			return bw_error_set(err, r, "out of memory");
		fs->nodes[node].link = link;
	}
	return 0;
}

static bool is_whiteout(const char *path)
{
	size_t dirlen;

	return bw_startswith(basename_of(path, &dirlen), ".wh.");
}

int fs_apply_layer(struct bw_fs *fs, const struct layer_index *li, int layer, bool whiteouts,
		   struct bw_error **err)
{
	int r;

	for (size_t i = 0; whiteouts && i < li->n; i++) {
		const char *path = li->pool.data + li->recs[i].path;
		if (is_whiteout(path)) {
			r = apply_whiteout(fs, &li->recs[i], path, layer, err);
			if (r < 0)
				return r;
		}
	}
	for (size_t i = 0; i < li->n; i++) {
		const char *path = li->pool.data + li->recs[i].path;
		if (whiteouts && is_whiteout(path))
			continue;
		r = apply_entry(fs, li, &li->recs[i], layer, err);
		if (r < 0)
			return bw_error_wrap(err, "entry `%s`", path);
	}
	return 0;
}

/* ---------------------------------------------------------------- queries */

static void fill_file(const struct bw_fs *fs, uint32_t i, const char *path, struct bw_file *f)
{
	const struct node *nd = &fs->nodes[i];

	*f = (struct bw_file){ .path = path, .type = (enum bw_ftype)nd->type, .mode = nd->mode,
			       .uid = nd->uid, .gid = nd->gid, .size = nd->size, .mtime = nd->mtime,
			       .link = pstr(fs, nd->link), .hardlink = nd->hardlink,
			       .devmajor = nd->devmajor, .devminor = nd->devminor, .layer = nd->layer };
}

static int cmp_names(const void *a, const void *b, void *ud)
{
	const struct bw_fs *fs = ud;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return strcmp(fs->pool.data + fs->nodes[x].name, fs->pool.data + fs->nodes[y].name);
}

static int walk_rec(struct bw_fs *fs, uint32_t dir, struct bw_buf *path, bw_fs_walk_fn fn, void *ud,
		    struct bw_error **err)
{
	uint32_t *kids = NULL;
	size_t nk = 0, cap = 0;
	int r = 0;

	for (uint32_t c = fs->nodes[dir].first_child; c != NONE; c = fs->nodes[c].next) {
		if (nk == cap) {
			cap = cap ? cap * 2 : 16;
			uint32_t *p = realloc(kids, cap * sizeof(*p));
			if (!p) {
				free(kids);
				return bw_error_set(err, -ENOMEM, "out of memory");
			}
			kids = p;
		}
		kids[nk++] = c;
	}
	if (nk > 1)
		qsort_r(kids, nk, sizeof(*kids), cmp_names, fs);
	size_t base = path->len;
	for (size_t i = 0; i < nk && r == 0; i++) {
		struct bw_file f;
		path->len = base;
		if ((base > 1 && bw_buf_puts(path, "/") < 0) ||
		    bw_buf_puts(path, fs->pool.data + fs->nodes[kids[i]].name) < 0) {
			r = bw_error_set(err, -ENAMETOOLONG, "path too long below `%s`", path->data);
			break;
		}
		fill_file(fs, kids[i], path->data, &f);
		r = fn(&f, ud);
		if (r == 0 && fs->nodes[kids[i]].type == BW_FT_DIR)
			r = walk_rec(fs, kids[i], path, fn, ud, err);
	}
	path->len = base;
	if (path->data)
		path->data[base] = 0;
	free(kids);
	return r;
}

int bw_fs_walk(const struct bw_fs *cfs, const char *prefix, bw_fs_walk_fn fn, void *ud,
	       struct bw_error **err)
{
	struct bw_fs *fs = (struct bw_fs *)cfs;
	struct bw_buf path = BW_BUF_INIT(1u << 16);
	struct walk w = { .fs = fs, .orig = prefix, .err = err };
	uint32_t parent, node;
	const char *last;
	size_t n;
	struct bw_file f;
	int r;

	if (!prefix || !*prefix)
		prefix = "/";
	r = resolve(&w, ROOT, prefix, false, &parent, &node, &last, &n);
	if (r < 0)
		return r;
	if (node == NONE)
		return bw_error_set(err, -ENOENT, "`%s`: no such file or directory", prefix);
	r = bw_buf_puts(&path, "/");
	if (r == 0 && node != ROOT) {
		/* Rebuild the node's real path (its parents may be symlinked). */
		char *stack[512];
		size_t depth = 0;
		for (uint32_t i = node; i != ROOT && depth < BW_ARRAY_SIZE(stack); i = fs->nodes[i].parent)
			stack[depth++] = fs->pool.data + fs->nodes[i].name;
		bw_buf_reset(&path);
		while (depth > 0 && r == 0) {
			r = bw_buf_puts(&path, "/");
			if (r == 0)
				r = bw_buf_puts(&path, stack[--depth]);
		}
	}
	if (r < 0) {
		bw_buf_done(&path);
		return bw_error_set(err, -ENAMETOOLONG, "path too long");
	}
	fill_file(fs, node, path.data, &f);
	r = fn(&f, ud);
	if (r == 0 && fs->nodes[node].type == BW_FT_DIR)
		r = walk_rec(fs, node, &path, fn, ud, err);
	bw_buf_done(&path);
	return r;
}

int bw_fs_lookup(struct bw_fs *fs, const char *path, bool follow, struct bw_file *ret,
		 struct bw_error **err)
{
	struct walk w = { .fs = fs, .orig = path, .err = err };
	uint32_t parent, node;
	const char *last;
	size_t n;
	const char *stack[1024];
	size_t depth = 0;
	int r;

	r = resolve(&w, ROOT, path, follow, &parent, &node, &last, &n);
	if (r < 0)
		return r;
	if (node == NONE)
		return bw_error_set(err, -ENOENT, "`%s`: no such file or directory", path);
	for (uint32_t i = node; i != ROOT && depth < BW_ARRAY_SIZE(stack); i = fs->nodes[i].parent)
		stack[depth++] = fs->pool.data + fs->nodes[i].name;
	bw_buf_reset(&fs->path);
	if (depth == 0)
		r = bw_buf_puts(&fs->path, "/");
	while (depth > 0 && r == 0) {
		r = bw_buf_puts(&fs->path, "/");
		if (r == 0)
			r = bw_buf_puts(&fs->path, stack[--depth]);
	}
	if (r < 0)
		return bw_error_set(err, -ENAMETOOLONG, "`%s`: path too long", path);
	fill_file(fs, node, fs->path.data, ret);
	return 0;
}
