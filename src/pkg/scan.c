/* SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <stdio.h>

#include "pkg/internal.h"

/*
 * Cataloguing an image in the single pass over its layers. The content hook
 * (bw_image_read_layers) runs in the layer workers and builds each layer's
 * record on its own (record.c): each file a cataloger wants, by path or (for
 * Go binaries) by ELF magic, is captured while it streams and parsed at once
 * (a Go binary is searched for its build info as it streams and only that
 * blob is kept); every entry's path goes into the record as a hash, and so do
 * the paths its whiteouts delete. Records depend on nothing outside their
 * layer, so they are cached per layer (diff_id and blob digest) and a rescan
 * reads only the layers not cached.
 *
 * The merge then applies the layers in order, as the merged file system
 * would: a captured file counts unless a later layer has an entry at its
 * path (any type), whites it out, or replaces one of its parent directories
 * (a whiteout, an opaque marker, an entry that is not a directory). The
 * OS's files are read from what counts, following their symlinks; the
 * packages of the files that count are the image's, except language
 * packages whose files an OS package owns (dpkg .list files, rpm file
 * lists): those are the OS package, listed once.
 */

/* Bump when a cataloger's output changes without a new kind: cached
 * records of older builds are then ignored. */
#define SCAN_CACHE_VERSION "1"

enum kind {
	K_NONE = 0,
	K_OS,
	K_DPKG,
	K_DPKG_D,
	K_OPKG,
	K_APK,
	K_RPM,
	K_PYTHON,
	K_NPM,
	K_JAR,
	K_DPKG_LIST, /* var/lib/dpkg/info/NAME[:ARCH].list: the files a deb owns */
	K_LOCK, /* a lockfile: its parser kind is in lock_kind */
	K_ELF, /* an executable: probe for ELF, then look for Go build info */
	K_OSLINK, /* a symlink at an OS file's path (etc/os-release -> ../usr/lib/os-release) */
	K_REQS, /* a requirements file: kept whole, parsed by the merge (its -r includes) */
	K_MAX,
};
_Static_assert(K_MAX <= REC_MAX_KIND, "capture kinds must fit the record format");

static const char *kind_name[] = {
	[K_DPKG] = "dpkg",	       [K_DPKG_D] = "dpkg-status.d",	   [K_OPKG] = "opkg",
	[K_APK] = "apk",	       [K_PYTHON] = "python-metadata",	   [K_NPM] = "npm-package.json",
	[K_ELF] = "go-binary",	       [K_RPM] = "rpm",			   [K_JAR] = "java-archive",
	[K_REQS] = "requirements.txt",
};

struct scan {
	pthread_mutex_t mu;
	struct layer_rec *recs; /* one per layer (one for dir:) */
	bool *done;		/* recs[i] was filled */
	size_t n_recs;
};

struct layer_state {
	struct scan *sc;
	int layer;
	struct layer_rec rec;
	struct bw_map *capidx; /* path -> index + 1 of its capture in rec */
	/* the file in progress */
	enum kind kind;
	const char *lock_kind;
	char *path;
	struct bw_buf buf;
	bool over;
	bool too_big;	   /* over because of its size */
	uint64_t too_big_size, too_big_cap;
	uint64_t off;	   /* bytes of the file seen so far */
	bool go_found;	   /* K_ELF: the build info magic was found */
	uint8_t tail[32];  /* K_ELF: last bytes of the previous piece */
	size_t tail_len;
	size_t go_need;	   /* bytes of build info needed, once known */
	bool go_done;	   /* K_ELF: go_data wants no more */
	struct rust_probe *rust; /* K_ELF: the cargo-auditable search */
};

static const char *const os_files[] = {
	"etc/os-release",      "usr/lib/os-release",   "etc/debian_version", "etc/alpine-release",
	"etc/redhat-release",  "etc/centos-release",   "etc/rocky-release",  "etc/almalinux-release",
	"etc/system-release",  "etc/system-release-cpe", "bin/busybox",
};

static bool npm_manifest(const char *path)
{
	const char *nm = NULL, *s = path, *rest;
	size_t n;

	if (!bw_endswith(path, "/package.json"))
		return false;
	while ((s = strstr(s, "node_modules/"))) {
		nm = s;
		s += 13;
	}
	if (!nm)
		return false;
	rest = nm + 13;
	n = strlen(rest) - 13; /* without "/package.json" */
	const char *sl = memchr(rest, '/', n);
	if (!sl)
		return n > 0 && rest[0] != '.';
	/* @scope/name */
	return rest[0] == '@' && !memchr(sl + 1, '/', (size_t)(rest + n - sl - 1));
}

static bool rpmdb_path(const char *path, const char *base)
{
	static const char *const dirs[] = { "var/lib/rpm/", "usr/lib/sysimage/rpm/", "usr/share/rpm/" };
	size_t dn = (size_t)(base - path);

	if (strcmp(base, "Packages") && strcmp(base, "Packages.db") && strcmp(base, "rpmdb.sqlite"))
		return false;
	for (size_t i = 0; i < BW_ARRAY_SIZE(dirs); i++)
		if (strlen(dirs[i]) == dn && !memcmp(path, dirs[i], dn))
			return true;
	return false;
}

const char *pkg_lockfile_kind(const char *path)
{
	static const char *const names[][2] = {
		{ "package-lock.json", "npm-package-lock" }, { "npm-shrinkwrap.json", "npm-package-lock" },
		{ "yarn.lock", "yarn.lock" },		     { "pnpm-lock.yaml", "pnpm-lock.yaml" },
		{ "Pipfile.lock", "Pipfile.lock" },	     { "poetry.lock", "poetry.lock" },
		{ "pdm.lock", "pdm.lock" },		     { "uv.lock", "uv.lock" },
		{ "Cargo.lock", "Cargo.lock" },		     { "Gemfile.lock", "Gemfile.lock" },
		{ "gems.locked", "Gemfile.lock" },	     { "composer.lock", "composer.lock" },
		{ "go.mod", "go.mod" },			     { "packages.lock.json", "packages.lock.json" },
		{ "gradle.lockfile", "gradle.lockfile" },   { "mix.lock", "mix.lock" },
		{ "pubspec.lock", "pubspec.lock" },	     { "Podfile.lock", "Podfile.lock" },
		{ "Package.resolved", "Package.resolved" }, { "conan.lock", "conan.lock" },
		{ "renv.lock", "renv.lock" },		     { "stack.yaml.lock", "stack.yaml.lock" },
		{ "bun.lock", "bun.lock" },
	};
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	/* Lockfiles inside installed packages describe their own development, not the image. */
	if (strstr(path, "node_modules/") || bw_startswith(path, "usr/share/doc/"))
		return NULL;
	for (size_t i = 0; i < BW_ARRAY_SIZE(names); i++)
		if (!strcmp(base, names[i][0]))
			return names[i][1];
	if (bw_endswith(base, ".deps.json"))
		return "dotnet-deps.json";
	if (!strcmp(base, "installed.json") && bw_endswith(path, "vendor/composer/installed.json"))
		return "composer.lock";
	/* requirements.txt, requirements-dev.txt, requirements/base.txt (what -r includes);
	 * not those installed packages ship about their own development */
	if (bw_endswith(base, ".txt") && !strstr(path, "-packages/") && !bw_startswith(path, "usr/share/") &&
	    !bw_startswith(path, "usr/lib/python") && !bw_startswith(path, "usr/local/lib/python") &&
	    (strstr(base, "requirements") || (base - path >= 13 && !memcmp(base - 13, "requirements/", 13))))
		return "requirements.txt";
	return NULL;
}

/* Is base's folder (path up to base) DIR/ or .../DIR/ ? */
static bool in_dir(const char *path, const char *base, const char *dir)
{
	size_t dn = strlen(dir), pn = (size_t)(base - path);

	return (pn == dn && !memcmp(path, dir, dn)) ||
	       (pn > dn && base[-(ptrdiff_t)dn - 1] == '/' && !memcmp(base - dn, dir, dn));
}

static enum kind classify(const char *path, uint64_t size, uint32_t mode, const char **lock_kind)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	for (size_t i = 0; i < BW_ARRAY_SIZE(os_files); i++)
		if (!strcmp(path, os_files[i]))
			return !strcmp(path, "bin/busybox") && size > (4u << 20) ? K_NONE : K_OS;
	if (!strcmp(path, "var/lib/dpkg/status"))
		return K_DPKG;
	if (bw_startswith(path, "var/lib/dpkg/status.d/") && !strchr(path + 22, '/') &&
	    !bw_endswith(path, ".md5sums"))
		return K_DPKG_D;
	if (bw_startswith(path, "var/lib/dpkg/info/") && bw_endswith(path, ".list") && !strchr(path + 18, '/'))
		return K_DPKG_LIST;
	if (!strcmp(path, "usr/lib/opkg/status"))
		return K_OPKG;
	if (!strcmp(path, "lib/apk/db/installed"))
		return K_APK;
	if (rpmdb_path(path, base))
		return K_RPM;
	if (bw_endswith(path, ".dist-info/METADATA") || bw_endswith(path, ".egg-info/PKG-INFO") ||
	    (bw_endswith(base, ".egg-info") && size < BW_MAX_PKG_META_SIZE))
		return K_PYTHON;
	if (!strcmp(base, "package.json") && npm_manifest(path))
		return K_NPM;
	if ((*lock_kind = pkg_lockfile_kind(path)))
		return !strcmp(*lock_kind, "requirements.txt") ? K_REQS : K_LOCK;
	/* installed gems: .../specifications/NAME-VERSION.gemspec (and specifications/default/) */
	if (bw_endswith(base, ".gemspec") &&
	    (in_dir(path, base, "specifications/") || in_dir(path, base, "specifications/default/"))) {
		*lock_kind = "gemspec";
		return K_LOCK;
	}
	if (bw_endswith(base, ".jar") || bw_endswith(base, ".war") || bw_endswith(base, ".ear") ||
	    bw_endswith(base, ".jpi") || bw_endswith(base, ".hpi"))
		return K_JAR;
	if ((mode & 0111) && size >= 4096)
		return K_ELF;
	return K_NONE;
}

static int h_layer_begin(void *ud, int layer, void **ret, struct bw_error **err)
{
	struct layer_state *ls = calloc(1, sizeof(*ls));

	if (!ls)
		return bw_error_set(err, -ENOMEM, "out of memory");
	ls->sc = ud;
	ls->layer = layer;
	ls->capidx = bw_map_new();
	if (!ls->capidx) {
		free(ls);
		return bw_error_set(err, -ENOMEM, "out of memory");
	}
	*ret = ls;
	return 0;
}

static bool os_file(const char *path)
{
	for (size_t i = 0; i < BW_ARRAY_SIZE(os_files); i++)
		if (!strcmp(path, os_files[i]))
			return true;
	return false;
}

static int add_cap(struct layer_state *ls, struct rcap *c, struct bw_error **err)
{
	struct layer_rec *rec = &ls->rec;

	if (vec_grow((void **)&rec->caps, &rec->alloc_caps, rec->n_caps + 1, sizeof(*rec->caps)) < 0)
		goto oom;
	if (bw_map_put(ls->capidx, c->path, (void *)(uintptr_t)(rec->n_caps + 1)) < 0)
		goto oom;
	rec->caps[rec->n_caps++] = *c;
	*c = (struct rcap){ 0 };
	return 0;
oom:
	rcap_done(c);
	return bw_error_set(err, -ENOMEM, "out of memory");
}

/*
 * Every entry of the layer: whiteouts become hashes of what they delete,
 * other entries hashes of their paths; an entry at a path captured earlier
 * in the same layer replaces that capture; a symlink at an OS file's path
 * is kept so the OS files can be followed.
 */
static int h_entry(void *state, const struct bw_file *f, struct bw_error **err)
{
	struct layer_state *ls = state;
	const char *path = f->path, *base = strrchr(path, '/');
	size_t dn = base ? (size_t)(base - path) : 0, n = strlen(path);
	uintptr_t at;
	int r;

	base = base ? base + 1 : path;
	if (bw_startswith(base, ".wh.")) {
		char t[BW_MAX_PATH + 1];
		if (!strcmp(base, ".wh..wh..opq"))
			r = u64v_push(&ls->rec.opq, path_hash(path, dn));
		else if (bw_startswith(base, ".wh..wh.") || !base[4])
			return 0; /* aufs metadata; the image reader rejects an empty name */
		else {
			/* dir/.wh.name deletes dir/name */
			memcpy(t, path, dn + (dn > 0));
			memcpy(t + dn + (dn > 0), base + 4, n - (size_t)(base + 4 - path) + 1);
			r = u64v_push(&ls->rec.wh, path_hash(t, strlen(t)));
		}
		return r < 0 ? bw_error_set(err, -ENOMEM, "out of memory") : 0;
	}
	r = u64v_push(&ls->rec.ents, (path_hash(path, n) & ~1ull) | (f->type == BW_FT_DIR));
	if (r < 0)
		return bw_error_set(err, -ENOMEM, "out of memory");
	at = (uintptr_t)bw_map_get(ls->capidx, path);
	if (at) {
		ls->rec.caps[at - 1].dead = true;
		if (bw_map_put(ls->capidx, path, NULL) < 0)
			return bw_error_set(err, -ENOMEM, "out of memory");
	}
	if (f->type == BW_FT_SYMLINK && f->link && !f->hardlink && os_file(path)) {
		struct rcap c = { .kind = K_OSLINK, .path = strdup(path), .data = strdup(f->link) };
		c.len = c.data ? strlen(c.data) : 0;
		if (!c.path || !c.data) {
			rcap_done(&c);
			return bw_error_set(err, -ENOMEM, "out of memory");
		}
		return add_cap(ls, &c, err);
	}
	return 0;
}

static bool h_file_begin(void *state, const char *path, uint64_t size, uint32_t mode)
{
	struct layer_state *ls = state;
	const char *lk = NULL;
	enum kind k = classify(path, size, mode, &lk);
	size_t cap;

	if (k == K_NONE)
		return false;
	cap = k == K_DPKG || k == K_APK || k == K_OPKG || k == K_RPM ? BW_MAX_PKGDB_SIZE
	      : k == K_ELF				 ? BW_MAX_GO_BUILDINFO
	      : k == K_JAR				 ? BW_MAX_JAR_SIZE
							 : BW_MAX_PKG_META_SIZE;
	ls->kind = k;
	ls->lock_kind = lk;
	ls->path = strdup(path);
	ls->buf = BW_BUF_INIT(cap);
	ls->over = !ls->path;
	ls->off = 0;
	ls->go_found = false;
	ls->tail_len = 0;
	ls->go_need = 0;
	ls->go_done = false;
	rust_probe_free(ls->rust);
	ls->rust = k == K_ELF ? rust_probe_new() : NULL;
	ls->too_big = 0;
	if (size > cap && k != K_ELF) {
		/* Reported by the merge, and only if this copy of the file counts. */
		ls->over = ls->too_big = true;
		ls->too_big_size = size;
		ls->too_big_cap = cap;
	}
	return true;
}

/* Once the blob holds the header and both varints, how long it is. */
static size_t go_needed(const uint8_t *d, size_t n)
{
	const uint8_t *p = d + 32, *end = d + n;
	uint64_t a = 0, b = 0;
	int s;

	if (n < 33 || !(d[15] & 2))
		return n >= 32 && !(d[15] & 2) ? 32 : 0;
	for (s = 0; p < end; s += 7) {
		a |= (uint64_t)(*p & 0x7f) << s;
		if (!(*p++ & 0x80))
			break;
		if (s > 56)
			return 32;
	}
	if (p >= end || a > BW_MAX_GO_BUILDINFO || (uint64_t)(end - p) < a)
		return a > BW_MAX_GO_BUILDINFO ? 32 : 0;
	p += a;
	for (s = 0; p < end; s += 7) {
		b |= (uint64_t)(*p & 0x7f) << s;
		if (!(*p++ & 0x80))
			break;
		if (s > 56)
			return 32;
	}
	if (p > end || (p == end && (end[-1] & 0x80)))
		return 0;
	if (b > BW_MAX_GO_BUILDINFO)
		return 32;
	return (size_t)(p - d) + (size_t)b;
}

static int go_take(struct layer_state *ls, const uint8_t *p, size_t n)
{
	size_t room = ls->buf.cap - ls->buf.len - 1;

	if (n > room)
		n = room;
	if (bw_buf_append(&ls->buf, p, n) < 0)
		return 1;
	if (!ls->go_need)
		ls->go_need = go_needed((const uint8_t *)ls->buf.data, ls->buf.len);
	if ((ls->go_need && ls->buf.len >= ls->go_need) || ls->buf.len + 1 >= ls->buf.cap)
		return 1;
	return 0;
}

/* Streams an executable: ELF magic first, then the aligned build info
 * magic (which may straddle two pieces), then the blob after it. */
static int go_data(struct layer_state *ls, const uint8_t *p, size_t n)
{
	uint64_t base = ls->off;

	if (ls->go_found)
		return go_take(ls, p, n);
	if (base == 0 && (n < 4 || memcmp(p, "\x7f" "ELF", 4)))
		return 1;
	/* Straddling: the last bytes before this piece and its first ones. */
	if (ls->tail_len) {
		uint8_t w[64];
		size_t k = n < 32 ? n : 32;
		uint64_t wbase = base - ls->tail_len;
		memcpy(w, ls->tail, ls->tail_len);
		memcpy(w + ls->tail_len, p, k);
		for (size_t i = 0; i + GO_BUILDINFO_MAGIC_LEN <= ls->tail_len + k; i++) {
			if ((wbase + i) % 16 || i >= ls->tail_len || memcmp(w + i, GO_BUILDINFO_MAGIC, GO_BUILDINFO_MAGIC_LEN))
				continue;
			ls->go_found = true;
			if (go_take(ls, w + i, ls->tail_len - i))
				return 1;
			return go_take(ls, p, n);
		}
	}
	for (size_t off = 0; off + GO_BUILDINFO_MAGIC_LEN <= n;) {
		const uint8_t *m = memmem(p + off, n - off, GO_BUILDINFO_MAGIC, GO_BUILDINFO_MAGIC_LEN);
		if (!m)
			break;
		off = (size_t)(m - p);
		if ((base + off) % 16 == 0) {
			ls->go_found = true;
			return go_take(ls, m, n - off);
		}
		off++;
	}
	ls->tail_len = n < 31 ? n : 31;
	memcpy(ls->tail, p + n - ls->tail_len, ls->tail_len);
	return 0;
}

static int h_file_data(void *state, const void *p, size_t n, struct bw_error **err)
{
	struct layer_state *ls = state;
	int r = 0;

	(void)err;
	if (ls->over)
		return 1;
	if (ls->kind == K_ELF) {
		/* Go build info and cargo-auditable data: done when both are */
		bool rust_done = !ls->rust || rust_probe_feed(ls->rust, ls->off, p, n);
		if (!ls->go_done)
			ls->go_done = go_data(ls, p, n) != 0;
		r = ls->go_done && (rust_done || ls->go_found);
	} else if (bw_buf_append(&ls->buf, p, n) < 0)
		r = 1, ls->over = true;
	ls->off += n;
	return r;
}

/* A dpkg info/NAME.list: the hashes of the paths it lists. */
static int list_hashes(struct rcap *c, const char *data, size_t len)
{
	struct lines ln = { data, data + len };
	const char *line;
	size_t n;

	while (next_line(&ln, &line, &n)) {
		if (n < 2 || n > BW_MAX_PATH || line[0] != '/')
			continue;
		if (u64v_push(&c->owned, path_hash(line + 1, n - 1)) < 0)
			return -ENOMEM;
	}
	u64v_sort(&c->owned);
	return 0;
}

/* Parses bytes of a kept file into c, which keeps what the parser found
 * before a bad part and why it stopped. */
static int parse_into(struct rcap *c, const char *kind, const char *data, size_t len, bool elf)
{
	char abspath[BW_MAX_PATH + 2];
	struct bw_error *perr = NULL;
	int r;

	snprintf(abspath, sizeof(abspath), "/%s", c->path);
	r = bw_pkg_parse(kind, abspath, data, len, NULL, &c->pkgs, &perr);
	if (r < 0 && r != -ENOMEM) {
		c->warning = strdup(perr && perr->msg ? perr->msg : "cannot parse");
		c->warn_debug = elf && r == -ENOTSUP;
		r = c->warning ? 0 : -ENOMEM;
	}
	bw_error_free(perr);
	return r;
}

/* The cargo-auditable dependency list found in an executable, as a capture
 * of its own at the same path. */
static int rust_cap(struct layer_state *ls, struct bw_error **err)
{
	_cleanup_free_ char *js = NULL;
	struct rcap c = { .kind = K_ELF };
	size_t jn;
	int r;

	if (!rust_probe_finish(ls->rust, &js, &jn))
		return 0;
	c.path = strdup(ls->path);
	r = c.path ? parse_into(&c, "rust-binary", js, jn, true) : -ENOMEM;
	if (r < 0) {
		rcap_done(&c);
		return bw_error_set(err, -ENOMEM, "out of memory");
	}
	return add_cap(ls, &c, err);
}

/* A wanted file has streamed: parse it now, in the layer's worker, and keep
 * only what it yields. */
static int h_file_end(void *state, struct bw_error **err)
{
	struct layer_state *ls = state;
	struct rcap c = { .kind = (uint8_t)ls->kind };
	const char *data = ls->buf.data ? ls->buf.data : "";
	int r = 0;

	if (ls->too_big && ls->path) {
		/* Kept without data, to say why it was skipped if it counts. */
		c.path = TAKE_PTR(ls->path);
		r = asprintf(&c.warning, "`/%s` is %llu bytes, over the %llu-byte limit", c.path,
			     (unsigned long long)ls->too_big_size, (unsigned long long)ls->too_big_cap);
		if (r < 0) {
			c.warning = NULL;
			rcap_done(&c);
			r = bw_error_set(err, -ENOMEM, "out of memory");
			goto out;
		}
		r = add_cap(ls, &c, err);
		goto out;
	}
	if (ls->kind == K_ELF && ls->rust && !ls->over) {
		r = rust_cap(ls, err);
		if (r < 0)
			goto out;
	}
	if (ls->over || (ls->kind == K_ELF && !ls->go_found))
		goto out;
	c.path = TAKE_PTR(ls->path);
	if (ls->kind == K_OS || ls->kind == K_REQS) {
		c.len = ls->buf.len;
		c.data = bw_buf_steal(&ls->buf);
		r = c.data ? 0 : -ENOMEM;
	} else if (ls->kind == K_DPKG_LIST) {
		r = list_hashes(&c, data, ls->buf.len);
	} else {
		r = parse_into(&c, ls->kind == K_LOCK ? ls->lock_kind : kind_name[ls->kind], data, ls->buf.len,
			       ls->kind == K_ELF);
	}
	if (r < 0) {
		rcap_done(&c);
		r = bw_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	r = add_cap(ls, &c, err);
out:
	bw_buf_done(&ls->buf);
	free(ls->path);
	ls->path = NULL;
	rust_probe_free(ls->rust);
	ls->rust = NULL;
	return r;
}

static void h_layer_end(void *state, bool ok)
{
	struct layer_state *ls = state;
	struct layer_rec *rec;
	size_t w = 0, i;

	if (!ls)
		return;
	rec = &ls->rec;
	if (ok) {
		for (size_t k = 0; k < rec->n_caps; k++) {
			if (rec->caps[k].dead)
				rcap_done(&rec->caps[k]);
			else
				rec->caps[w++] = rec->caps[k];
		}
		rec->n_caps = w;
		u64v_sort(&rec->ents);
		u64v_sort(&rec->wh);
		u64v_sort(&rec->opq);
		i = ls->layer < 0 ? 0 : (size_t)ls->layer;
		pthread_mutex_lock(&ls->sc->mu);
		if (i < ls->sc->n_recs && !ls->sc->done[i]) {
			ls->sc->recs[i] = *rec;
			ls->sc->done[i] = true;
			*rec = (struct layer_rec){ 0 };
		}
		pthread_mutex_unlock(&ls->sc->mu);
	}
	layer_rec_done(rec);
	bw_map_free(ls->capidx);
	bw_buf_done(&ls->buf);
	free(ls->path);
	rust_probe_free(ls->rust);
	free(ls);
}

/* ---------------------------------------------------------------- merge */

struct kept {
	struct rcap *cap;
	int layer; /* index into the records */
};

struct merge {
	struct layer_rec *recs;
	size_t n;
	struct kept *kept; /* in layer order */
	size_t n_kept;
	struct bw_map *by_path; /* path -> struct rcap * that counts */
};

/* Whether rec hides a file of a lower layer at a path with hash h whose
 * ancestors ("" first) hash to anc[]. */
static bool hides(const struct layer_rec *rec, uint64_t h, const uint64_t *anc, size_t n_anc)
{
	uint64_t b = h & ~1ull;

	if (u64v_has(&rec->ents, b) || u64v_has(&rec->ents, b | 1) || u64v_has(&rec->wh, h))
		return true;
	for (size_t i = 0; i < n_anc; i++)
		if (u64v_has(&rec->opq, anc[i]) || (i > 0 && (u64v_has(&rec->wh, anc[i]) ||
							     u64v_has(&rec->ents, anc[i] & ~1ull))))
			return true;
	return false;
}

/* Whether the capture at path in record i is in the merged file system. */
static bool counts(const struct merge *m, size_t i, const char *path)
{
	uint64_t anc[64], *ap = anc, h;
	size_t n = 1, cap = BW_ARRAY_SIZE(anc), len = strlen(path);
	bool hidden = false;

	if (i + 1 >= m->n)
		return true;
	anc[0] = path_hash("", 0);
	for (size_t k = 0; k < len; k++) {
		if (path[k] != '/')
			continue;
		if (n == cap) {
			/* Deep paths: rare, so a heap copy only then. */
			uint64_t *p = malloc(2 * cap * sizeof(*p));
			if (!p)
				return true;
			memcpy(p, ap, n * sizeof(*p));
			if (ap != anc)
				free(ap);
			ap = p;
			cap *= 2;
		}
		ap[n++] = path_hash(path, k);
	}
	h = path_hash(path, len);
	for (size_t j = i + 1; j < m->n && !hidden; j++)
		hidden = hides(&m->recs[j], h, ap, n);
	if (ap != anc)
		free(ap);
	return !hidden;
}

/* Normalises dir + "/" + rel (or rel alone when absolute) into out,
 * relative to the root: "." and ".." are resolved, ".." stops at the root. */
static int join_path(const char *dir, const char *rel, char out[BW_MAX_PATH + 1])
{
	char tmp[2 * BW_MAX_PATH + 2];
	size_t o = 0;
	int r;

	if (rel[0] == '/')
		r = snprintf(tmp, sizeof(tmp), "%s", rel);
	else
		r = snprintf(tmp, sizeof(tmp), "%s/%s", dir, rel);
	if (r < 0 || (size_t)r >= sizeof(tmp))
		return -ENAMETOOLONG;
	for (char *s = tmp, *e; *s; s = e) {
		while (*s == '/')
			s++;
		e = s;
		while (*e && *e != '/')
			e++;
		size_t cn = (size_t)(e - s);
		if (!cn || (cn == 1 && s[0] == '.'))
			continue;
		if (cn == 2 && s[0] == '.' && s[1] == '.') {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
			continue;
		}
		if (o + (o > 0) + cn > BW_MAX_PATH)
			return -ENAMETOOLONG;
		if (o > 0)
			out[o++] = '/';
		memcpy(out + o, s, cn);
		o += cn;
	}
	out[o] = 0;
	return 0;
}

/* bw_os_detect's reader: an OS file that counts, its symlinks followed. */
static int os_read(void *ud, const char *path, char **ret, size_t *ret_len)
{
	struct merge *m = ud;
	char cur[BW_MAX_PATH + 1], dir[BW_MAX_PATH + 1];

	if (join_path("", path, cur) < 0)
		return -ENOENT;
	for (int hops = 0; hops <= BW_MAX_SYMLINK_HOPS; hops++) {
		struct rcap *c = bw_map_get(m->by_path, cur);
		char *sl;

		if (!c || !c->data || (c->kind != K_OS && c->kind != K_OSLINK))
			return -ENOENT;
		if (c->kind == K_OS) {
			*ret = malloc(c->len + 1);
			if (!*ret)
				return -ENOMEM;
			memcpy(*ret, c->data, c->len);
			(*ret)[c->len] = 0;
			*ret_len = c->len;
			return 0;
		}
		memcpy(dir, cur, strlen(cur) + 1);
		sl = strrchr(dir, '/');
		if (sl)
			*sl = 0;
		else
			dir[0] = 0;
		if (join_path(dir, c->data, cur) < 0)
			return -ENOENT;
	}
	return -ENOENT;
}

/* bw_pkg_parse_tree's reader: a requirements file that counts. */
static int reqs_read(void *ud, const char *path, char **ret, size_t *ret_len)
{
	struct merge *m = ud;
	char cur[BW_MAX_PATH + 1];
	struct rcap *c;

	if (join_path("", path, cur) < 0)
		return -ENOENT;
	c = bw_map_get(m->by_path, cur);
	if (!c || c->kind != K_REQS || !c->data)
		return -ENOENT;
	*ret = strndup(c->data, c->len);
	*ret_len = c->len;
	return *ret ? 0 : -ENOMEM;
}

/* A requirements file with the files it includes (-r), now that the
 * merged tree says which copies count. */
static int parse_reqs(struct merge *m, struct rcap *c)
{
	char abspath[BW_MAX_PATH + 2];
	struct bw_error *perr = NULL;
	int r;

	snprintf(abspath, sizeof(abspath), "/%s", c->path);
	r = bw_pkg_parse_tree("requirements.txt", abspath, c->data, c->len, NULL, reqs_read, m, &c->pkgs, &perr);
	if (r < 0 && r != -ENOMEM) {
		free(c->warning);
		c->warning = strdup(perr && perr->msg ? perr->msg : "cannot parse");
		r = c->warning ? 0 : -ENOMEM;
	}
	bw_error_free(perr);
	return r;
}

static bool os_pkg(const struct bw_pkg *p)
{
	return p->type && (!strcmp(p->type, "deb") || !strcmp(p->type, "rpm") || !strcmp(p->type, "apk"));
}

struct own {
	uint64_t h;
	const char *purl;
};

static int cmp_own(const void *a, const void *b)
{
	uint64_t x = ((const struct own *)a)->h, y = ((const struct own *)b)->h;

	return x < y ? -1 : x > y;
}

static const char *owner_of(const struct own *v, size_t n, const char *abspath, size_t len)
{
	struct own key = { .h = path_hash(abspath + (abspath[0] == '/'), len - (abspath[0] == '/')) };
	const struct own *o = n ? bsearch(&key, v, n, sizeof(*v), cmp_own) : NULL;

	return o ? o->purl : NULL;
}

static int push_own(struct own **v, size_t *n, size_t *alloc, uint64_t h, const char *purl)
{
	if (vec_grow((void **)v, alloc, *n + 1, sizeof(**v)) < 0)
		return -ENOMEM;
	(*v)[(*n)++] = (struct own){ h, purl };
	return 0;
}

/*
 * A language package whose metadata file an OS package installed (a
 * python3-requests dist-info, a Debian jar, a Go binary in a deb) is that
 * OS package: it is dropped, so each piece of software is listed once (as
 * Trivy does; the OS package is what the distro's advisories name). Owned
 * files come from rpm file lists and dpkg's info/NAME[:ARCH].list files;
 * a dist-info or egg-info counts as owned when its folder is listed.
 */
static int drop_owned(struct merge *m, struct bw_pkg_list *l, struct bw_error **err)
{
	struct bw_map *deb = bw_map_new();
	struct own *own = NULL;
	size_t n_own = 0, a_own = 0, w = 0;
	int r = deb ? 0 : -ENOMEM;

	for (size_t i = 0; i < l->n && r == 0; i++) {
		struct bw_pkg *p = &l->v[i];
		if (!os_pkg(p) || !p->purl)
			continue;
		for (size_t k = 0; k < p->n_files && r == 0; k++)
			r = push_own(&own, &n_own, &a_own,
				     path_hash(p->files[k] + (p->files[k][0] == '/'),
					       strlen(p->files[k]) - (p->files[k][0] == '/')),
				     p->purl);
		if (r == 0 && !strcmp(p->type, "deb") && p->name)
			r = bw_map_put(deb, p->name, p->purl);
	}
	for (size_t i = 0; i < m->n_kept && r == 0; i++) {
		const struct rcap *c = m->kept[i].cap;
		char name[256];
		const char *base, *purl, *colon;
		size_t bn;

		if (c->kind != K_DPKG_LIST)
			continue;
		/* var/lib/dpkg/info/NAME[:ARCH].list; names may hold dots (python3.11) */
		base = c->path + 18;
		bn = strlen(base) - 5;
		colon = memchr(base, ':', bn);
		if (colon)
			bn = (size_t)(colon - base);
		if (!bn || bn >= sizeof(name))
			continue;
		memcpy(name, base, bn);
		name[bn] = 0;
		purl = bw_map_get(deb, name);
		for (size_t k = 0; purl && k < c->owned.n && r == 0; k++)
			r = push_own(&own, &n_own, &a_own, c->owned.v[k], purl);
	}
	if (r < 0)
		goto out;
	if (n_own)
		qsort(own, n_own, sizeof(*own), cmp_own);
	for (size_t i = 0; i < l->n; i++) {
		struct bw_pkg *p = &l->v[i];
		const char *o = NULL;
		if (!os_pkg(p) && p->location && p->location[0]) {
			const char *sl = strrchr(p->location, '/');
			o = owner_of(own, n_own, p->location, strlen(p->location));
			if (!o && sl && sl > p->location)
				o = owner_of(own, n_own, p->location, (size_t)(sl - p->location));
		}
		if (o) {
			bw_log(BW_LOG_DEBUG, "%s %s in %s belongs to %s, listed as that", p->name ? p->name : "",
			       p->version ? p->version : "", p->location, o);
			pkg_done(p);
			continue;
		}
		l->v[w++] = *p;
	}
	l->n = w;
out:
	free(own);
	bw_map_free(deb);
	return r < 0 ? bw_error_set(err, -ENOMEM, "out of memory") : 0;
}

static int cmp_pkg(const void *a, const void *b)
{
	const struct bw_pkg *x = a, *y = b;
	int c = strcmp(x->type ? x->type : "", y->type ? y->type : "");

	if (!c)
		c = strcmp(x->name ? x->name : "", y->name ? y->name : "");
	if (!c)
		c = strcmp(x->version ? x->version : "", y->version ? y->version : "");
	if (!c)
		c = strcmp(x->location ? x->location : "", y->location ? y->location : "");
	return c;
}

/* Moves vector-wise the packages of rec's files into l (they stay valid
 * in neither place on failure: the caller frees both). */
static int take_pkgs(struct bw_pkg_list *l, struct bw_pkg_list *from, int layer)
{
	if (!from->n)
		return 0;
	if (l->n + from->n > BW_MAX_PKGS)
		return -E2BIG;
	if (vec_grow((void **)&l->v, &l->alloc, l->n + from->n, sizeof(*l->v)) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < from->n; i++) {
		l->v[l->n] = from->v[i];
		l->v[l->n++].layer = layer;
	}
	free(from->v);
	*from = (struct bw_pkg_list){ 0 };
	return 0;
}

/* Merges the records (one per layer, in order) into res. dir: the one
 * record is an unpacked root file system (packages get layer -1). The
 * records' packages are moved out. */
static int merge(struct bw_image *img, struct layer_rec *recs, size_t n, bool dir, struct bw_pkg_result *res,
		 struct bw_error **err)
{
	struct merge m = { .recs = recs, .n = n };
	size_t total = 0;
	int r = 0;

	for (size_t i = 0; i < n; i++)
		total += recs[i].n_caps;
	m.kept = calloc(total ? total : 1, sizeof(*m.kept));
	m.by_path = bw_map_new();
	if (!m.kept || !m.by_path) {
		r = bw_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n && r == 0; i++)
		for (size_t k = 0; k < recs[i].n_caps && r == 0; k++) {
			struct rcap *c = &recs[i].caps[k];
			if (!counts(&m, i, c->path))
				continue;
			m.kept[m.n_kept++] = (struct kept){ c, (int)i };
			if (bw_map_put(m.by_path, c->path, c) < 0)
				r = bw_error_set(err, -ENOMEM, "out of memory");
		}
	if (r == 0)
		r = bw_os_detect(os_read, &m, &res->os, err);
	for (size_t i = 0; i < m.n_kept && r == 0; i++) {
		struct rcap *c = m.kept[i].cap;
		int layer = dir ? -1 : m.kept[i].layer;

		if (c->warning) {
			if (c->warn_debug)
				bw_log(BW_LOG_DEBUG, "layer %d: %s, ignoring", layer + 1, c->warning);
			else if (layer >= 0)
				bw_log(BW_LOG_WARN, "layer %d (%s): %s, ignoring", layer + 1,
				       bw_image_layer(img, (size_t)layer)->digest, c->warning);
			else
				bw_log(BW_LOG_WARN, "%s, ignoring", c->warning);
			res->warnings += !c->warn_debug;
		}
		if (c->kind == K_REQS) {
			r = parse_reqs(&m, c);
			if (r < 0) {
				r = bw_error_set(err, -ENOMEM, "out of memory");
				break;
			}
		}
		r = take_pkgs(&res->pkgs, &c->pkgs, layer);
		if (r < 0)
			r = bw_error_set(err, r, r == -E2BIG ? "more than %u packages" : "out of memory", BW_MAX_PKGS);
	}
	if (r == 0 && pkg_finish(&res->pkgs, 0, &res->os) < 0)
		r = bw_error_set(err, -ENOMEM, "out of memory");
	if (r == 0)
		r = drop_owned(&m, &res->pkgs, err);
	if (r == 0 && res->pkgs.n)
		qsort(res->pkgs.v, res->pkgs.n, sizeof(*res->pkgs.v), cmp_pkg);
out:
	free(m.kept);
	bw_map_free(m.by_path);
	return r;
}

/* ---------------------------------------------------------------- scan */

/* The analyzer version cached records are filed under: this file's
 * constant, the bulwark version and the list of parser kinds, so a build
 * with another cataloger set never reads an older build's records. */
static char cache_version_str[96];

static void cache_version_init(void)
{
	uint64_t h = path_hash("", 0);

	for (const char *const *k = bw_pkg_kinds(); *k; k++)
		h ^= path_hash(*k, strlen(*k)) + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	snprintf(cache_version_str, sizeof(cache_version_str), "%s+%s+%016llx", SCAN_CACHE_VERSION, BW_VERSION,
		 (unsigned long long)h);
}

static const char *cache_version(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, cache_version_init);
	return cache_version_str;
}

#define CACHE_ANALYZER "pkg"

static struct bw_layer_cache *cache_open(const char *dir)
{
	struct bw_layer_cache *c = NULL;
	struct bw_error *e = NULL;

	if (bw_layer_cache_open(dir, &c, &e) < 0) {
		bw_log(BW_LOG_WARN, "%s, going on without it", e ? e->msg : "cannot open the layer cache");
		bw_error_free(e);
		return NULL;
	}
	return c;
}

static int scan(struct bw_image *img, const struct bw_pkg_scan_opts *o, struct bw_pkg_result *ret,
		struct bw_fs **ret_fs, struct bw_error **err)
{
	bool dir = bw_image_ref(img)->transport == BW_TRANSPORT_DIR;
	size_t n = dir ? 1 : bw_image_layer_count(img), n_read = 0;
	struct scan sc = { .n_recs = n };
	struct bw_content_hook hook = {
		.sz = sizeof(hook),
		.userdata = &sc,
		.layer_begin = h_layer_begin,
		.file_begin = h_file_begin,
		.file_data = h_file_data,
		.file_end = h_file_end,
		.layer_end = h_layer_end,
		.entry = h_entry,
	};
	struct bw_layer_cache *cache = NULL;
	struct bw_pkg_result res = { 0 };
	struct bw_fs *fs = NULL;
	bool *want = NULL;
	int r = 0;

	pthread_mutex_init(&sc.mu, NULL);
	sc.recs = calloc(n ? n : 1, sizeof(*sc.recs));
	sc.done = calloc(n ? n : 1, sizeof(*sc.done));
	want = calloc(n ? n : 1, sizeof(*want));
	if (!sc.recs || !sc.done || !want) {
		r = bw_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	if (o && o->cache_dir && !dir && !ret_fs && n)
		cache = cache_open(o->cache_dir);
	for (size_t i = 0; i < n; i++) {
		const struct bw_layer_desc *l = dir ? NULL : bw_image_layer(img, i);
		void *data = NULL;
		size_t len = 0;

		want[i] = true;
		if (!cache || bw_layer_cache_get(cache, CACHE_ANALYZER, cache_version(), l, &data, &len, err) < 0)
			continue;
		if (layer_rec_decode(data, len, &sc.recs[i]) == 0) {
			want[i] = false;
			sc.done[i] = true;
		} else {
			bw_log(BW_LOG_WARN, "layer cache `%s`: the entry of layer %s is damaged, ignoring",
			       bw_layer_cache_path(cache), l->digest);
		}
		free(data);
	}
	for (size_t i = 0; i < n; i++)
		n_read += want[i];
	if (ret_fs)
		r = bw_image_read_fs_hook(img, &hook, &fs, err);
	else if (n_read || dir)
		r = bw_image_read_layers(img, want, &hook, err);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (!sc.done[i]) {
			r = bw_error_set(err, -EIO, "layer %zu was not read", i + 1);
			goto out;
		}
	for (size_t i = 0; cache && i < n; i++) {
		struct bw_buf b = BW_BUF_INIT(BW_MAX_CACHE_ENTRY);
		struct bw_error *e = NULL;

		if (!want[i])
			continue;
		if (layer_rec_encode(&sc.recs[i], &b) < 0 ||
		    bw_layer_cache_put(cache, CACHE_ANALYZER, cache_version(), bw_image_layer(img, i), b.data,
				       b.len, &e) < 0) {
			bw_log(BW_LOG_WARN, "%s, ignoring", e ? e->msg : "layer cache: cannot store a layer");
			bw_error_free(e);
		}
		bw_buf_done(&b);
	}
	if (!dir)
		bw_log(BW_LOG_DEBUG, "packages: %zu of %zu layers read, %zu from the layer cache", n_read, n,
		       n - n_read);
	res.layers_read = dir ? 0 : n_read;
	res.layers_cached = dir ? 0 : n - n_read;
	r = merge(img, sc.recs, n, dir, &res, err);
out:
	for (size_t i = 0; sc.recs && i < n; i++)
		layer_rec_done(&sc.recs[i]);
	free(sc.recs);
	free(sc.done);
	free(want);
	bw_layer_cache_free(cache);
	pthread_mutex_destroy(&sc.mu);
	if (r < 0) {
		bw_pkg_result_done(&res);
		bw_fs_free(fs);
		return r;
	}
	*ret = res;
	if (ret_fs)
		*ret_fs = fs;
	return 0;
}

int bw_pkg_scan_image(struct bw_image *img, struct bw_pkg_result *ret, struct bw_fs **ret_fs,
		      struct bw_error **err)
{
	return scan(img, NULL, ret, ret_fs, err);
}

int bw_pkg_scan_image_opts(struct bw_image *img, const struct bw_pkg_scan_opts *opts, struct bw_pkg_result *ret,
			   struct bw_error **err)
{
	struct bw_pkg_scan_opts o = { 0 };

	if (opts)
		memcpy(&o, opts, opts->sz && opts->sz < sizeof(o) ? opts->sz : sizeof(o));
	return scan(img, &o, ret, NULL, err);
}
