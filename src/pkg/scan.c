/* SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <stdio.h>

#include "pkg/internal.h"

/*
 * Cataloguing an image in the single pass over its layers. The content hook
 * (bw_image_read_fs_hook) runs in the layer workers: each file a cataloger
 * wants, by path or (for Go binaries) by ELF magic, is captured into the
 * layer's list while it streams; a Go binary is searched for its build info
 * as it streams and only that blob is kept. Once the merged file system is
 * known, a captured copy counts only if its path is still a regular file
 * set by the layer that delivered it (so whiteouts and later copies win),
 * and the kept files go to their parsers.
 */

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
	K_RUSTBIN, /* the cargo-auditable JSON found in an executable (rustbin.c) */
};

static const char *kind_name[] = {
	[K_DPKG] = "dpkg",	       [K_DPKG_D] = "dpkg-status.d",	   [K_OPKG] = "opkg",
	[K_APK] = "apk",	       [K_PYTHON] = "python-metadata",	   [K_NPM] = "npm-package.json",
	[K_ELF] = "go-binary",	       [K_RUSTBIN] = "rust-binary",	       [K_RPM] = "rpm",			   [K_JAR] = "java-archive",
};

struct capture {
	char *path; /* relative, as in the layer */
	int layer;
	enum kind kind;
	const char *lock_kind;
	char *data;
	size_t len;
};

struct scan {
	pthread_mutex_t mu;
	struct capture *caps;
	size_t n, alloc;
	size_t warnings;
};

struct layer_state {
	struct scan *sc;
	int layer;
	/* the file in progress */
	enum kind kind;
	const char *lock_kind;
	char *path;
	struct bw_buf buf;
	bool over;
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
	    (strstr(base, "requirements") ||
					  (base - path >= 13 && !memcmp(base - 13, "requirements/", 13))))
		return "requirements.txt";
	return NULL;
}

/* Is base's folder (path up to base) DIR/ or .../DIR/ ? */
static bool in_dir(const char *path, const char *base, const char *dir)
{
	size_t dn = strlen(dir), pn = (size_t)(base - path);

	return (pn == dn && !memcmp(path, dir, dn)) || (pn > dn && base[-(ptrdiff_t)dn - 1] == '/' && !memcmp(base - dn, dir, dn));
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
		return K_LOCK;
	/* installed gems: .../specifications/NAME-VERSION.gemspec (and specifications/default/) */
	if (bw_endswith(base, ".gemspec") && (in_dir(path, base, "specifications/") || in_dir(path, base, "specifications/default/"))) {
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
	*ret = ls;
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
	if (size > cap && k != K_ELF) {
		bw_log(BW_LOG_WARN, "layer %d: `/%s` is %llu bytes, over the %zu-byte limit, ignoring",
		       ls->layer + 1, path, (unsigned long long)size, cap);
		ls->over = true;
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

/* Adds a captured file (takes path and data). */
static int push_capture(struct scan *sc, char *path, int layer, enum kind kind, const char *lock_kind, char *data,
			size_t len, struct bw_error **err)
{
	int r = 0;

	pthread_mutex_lock(&sc->mu);
	if (sc->n == sc->alloc) {
		size_t a = sc->alloc ? sc->alloc * 2 : 256;
		struct capture *v = realloc(sc->caps, a * sizeof(*v));
		if (!v) {
			r = bw_error_set(err, -ENOMEM, "out of memory");
			goto out;
		}
		sc->caps = v;
		sc->alloc = a;
	}
	if (!path || !data) {
		r = bw_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	sc->caps[sc->n++] = (struct capture){ .path = TAKE_PTR(path), .layer = layer, .kind = kind,
					      .lock_kind = lock_kind, .data = TAKE_PTR(data), .len = len };
out:
	pthread_mutex_unlock(&sc->mu);
	free(path);
	free(data);
	return r;
}

static int h_file_end(void *state, struct bw_error **err)
{
	struct layer_state *ls = state;
	char *js;
	size_t jn;
	int r = 0;

	if (ls->kind == K_ELF && ls->rust && !ls->over && rust_probe_finish(ls->rust, &js, &jn))
		r = push_capture(ls->sc, strdup(ls->path), ls->layer, K_RUSTBIN, NULL, js, jn, err);
	if (r == 0 && !ls->over && !(ls->kind == K_ELF && !ls->go_found)) {
		size_t n = ls->buf.len;
		r = push_capture(ls->sc, TAKE_PTR(ls->path), ls->layer, ls->kind, ls->lock_kind,
				 bw_buf_steal(&ls->buf), n, err);
	}
	rust_probe_free(ls->rust);
	ls->rust = NULL;
	bw_buf_done(&ls->buf);
	free(ls->path);
	ls->path = NULL;
	return r;
}

static void h_layer_end(void *state, bool ok)
{
	struct layer_state *ls = state;

	(void)ok;
	if (!ls)
		return;
	bw_buf_done(&ls->buf);
	free(ls->path);
	rust_probe_free(ls->rust);
	free(ls);
}

/* ---------------------------------------------------------------- merge */

/* The captured copy of path that the merged fs kept, or NULL. */
struct finder {
	struct scan *sc;
	struct bw_fs *fs;
	struct bw_map *by_path; /* "path\nlayer" -> capture */
};

static struct capture *kept(struct finder *fd, const char *abspath, bool follow)
{
	struct bw_file f;
	struct bw_error *e = NULL;
	char key[BW_MAX_PATH + 16];

	if (bw_fs_lookup(fd->fs, abspath, follow, &f, &e) < 0) {
		bw_error_free(e);
		return NULL;
	}
	if (f.type != BW_FT_REG || f.hardlink)
		return NULL;
	snprintf(key, sizeof(key), "%s\n%d", f.path + (f.path[0] == '/'), f.layer);
	return bw_map_get(fd->by_path, key);
}

static int os_read(void *ud, const char *path, char **ret, size_t *ret_len)
{
	struct capture *c = kept(ud, path, true);

	if (!c)
		return -ENOENT;
	*ret = malloc(c->len + 1);
	if (!*ret)
		return -ENOMEM;
	memcpy(*ret, c->data, c->len);
	(*ret)[c->len] = 0;
	*ret_len = c->len;
	return 0;
}

static bool os_pkg(const struct bw_pkg *p)
{
	return p->type && (!strcmp(p->type, "deb") || !strcmp(p->type, "rpm") || !strcmp(p->type, "apk"));
}

/*
 * A language package whose metadata file an OS package installed (a
 * python3-requests egg-info, a Debian jar) gets that OS package's PURL as
 * its owner, so reports can tell it is the same software. Owned files come
 * from rpm file lists and dpkg's info/NAME[:ARCH].list files.
 */
static int mark_owners(struct finder *fd, struct bw_pkg_list *l, struct bw_error **err)
{
	struct bw_map *owner = bw_map_new(), *deb = bw_map_new();
	int r = 0;

	if (!owner || !deb) {
		r = bw_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < l->n && r == 0; i++) {
		struct bw_pkg *p = &l->v[i];
		if (!os_pkg(p) || !p->purl)
			continue;
		for (size_t k = 0; k < p->n_files && r == 0; k++)
			r = bw_map_put(owner, p->files[k], p->purl);
		if (r == 0 && !strcmp(p->type, "deb"))
			r = bw_map_put(deb, p->name, p->purl);
	}
	for (size_t i = 0; i < fd->sc->n && r == 0; i++) {
		struct capture *c = &fd->sc->caps[i];
		char abspath[BW_MAX_PATH + 2], name[256];
		const char *base, *purl;
		size_t bn;

		if (c->kind != K_DPKG_LIST)
			continue;
		snprintf(abspath, sizeof(abspath), "/%s", c->path);
		if (kept(fd, abspath, false) != c)
			continue;
		/* NAME[:ARCH].list; names may hold dots (python3.11) */
		base = c->path + 18;
		bn = strlen(base) - 5;
		if (memchr(base, ':', bn))
			bn = (size_t)((const char *)memchr(base, ':', bn) - base);
		if (!bn || bn >= sizeof(name))
			continue;
		memcpy(name, base, bn);
		name[bn] = 0;
		purl = bw_map_get(deb, name);
		if (!purl)
			continue;
		struct lines ln = { c->data, c->data + c->len };
		const char *line;
		size_t n;
		while (r == 0 && next_line(&ln, &line, &n)) {
			char f[BW_MAX_PATH + 1];
			if (!n || n > BW_MAX_PATH || line[0] != '/')
				continue;
			memcpy(f, line, n);
			f[n] = 0;
			r = bw_map_put(owner, f, (void *)purl);
		}
	}
	if (r < 0) {
		r = bw_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < l->n; i++) {
		struct bw_pkg *p = &l->v[i];
		const char *o;
		if (os_pkg(p) || !p->location)
			continue;
		o = bw_map_get(owner, p->location);
		if (!o) {
			/* a dist-info's METADATA is listed; so is an egg-info folder itself */
			char dir[BW_MAX_PATH + 1];
			const char *sl = strrchr(p->location, '/');
			size_t dn = sl ? (size_t)(sl - p->location) : 0;
			if (dn && dn <= BW_MAX_PATH) {
				memcpy(dir, p->location, dn);
				dir[dn] = 0;
				o = bw_map_get(owner, dir);
			}
		}
		if (o && pkg_sets(&p->owner, o) < 0) {
			r = bw_error_set(err, -ENOMEM, "out of memory");
			break;
		}
	}
out:
	bw_map_free(owner);
	bw_map_free(deb);
	return r;
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

int bw_pkg_scan_image(struct bw_image *img, struct bw_pkg_result *ret, struct bw_fs **ret_fs,
		      struct bw_error **err)
{
	struct scan sc = { 0 };
	struct bw_content_hook hook = {
		.sz = sizeof(hook),
		.userdata = &sc,
		.layer_begin = h_layer_begin,
		.file_begin = h_file_begin,
		.file_data = h_file_data,
		.file_end = h_file_end,
		.layer_end = h_layer_end,
	};
	struct bw_pkg_result res = { 0 };
	struct finder fd = { .sc = &sc };
	struct bw_fs *fs = NULL;
	int r;

	pthread_mutex_init(&sc.mu, NULL);
	r = bw_image_read_fs_hook(img, &hook, &fs, err);
	if (r < 0)
		goto out;
	fd.fs = fs;
	fd.by_path = bw_map_new();
	if (!fd.by_path) {
		r = bw_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < sc.n; i++) {
		char key[BW_MAX_PATH + 16];
		snprintf(key, sizeof(key), "%s\n%d", sc.caps[i].path, sc.caps[i].layer);
		r = bw_map_put(fd.by_path, key, &sc.caps[i]);
		if (r < 0) {
			r = bw_error_set(err, r, "out of memory");
			goto out;
		}
	}
	r = bw_os_detect(os_read, &fd, &res.os, err);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < sc.n; i++) {
		struct capture *c = &sc.caps[i];
		char abspath[BW_MAX_PATH + 2];
		struct bw_error *perr = NULL;
		size_t from = res.pkgs.n;

		if (c->kind == K_OS || c->kind == K_DPKG_LIST)
			continue;
		snprintf(abspath, sizeof(abspath), "/%s", c->path);
		if (kept(&fd, abspath, false) != c)
			continue; /* deleted or replaced by a later layer */
		r = bw_pkg_parse_tree(c->kind == K_LOCK ? c->lock_kind : kind_name[c->kind], abspath, c->data, c->len,
				      &res.os, os_read, &fd, &res.pkgs, &perr);
		if (r == -ENOMEM) {
			bw_error_free(perr);
			r = bw_error_set(err, -ENOMEM, "out of memory");
			goto out;
		}
		if (r < 0) {
			if ((c->kind == K_ELF || c->kind == K_RUSTBIN) && r == -ENOTSUP)
				bw_log(BW_LOG_DEBUG, "layer %d: %s, ignoring", c->layer + 1, perr->msg);
			else {
				res.warnings++;
				if (c->layer >= 0)
					bw_log(BW_LOG_WARN, "layer %d (%s): %s, ignoring", c->layer + 1,
					       bw_image_layer(img, (size_t)c->layer)->digest, perr->msg);
				else
					bw_log(BW_LOG_WARN, "%s, ignoring", perr->msg);
			}
			bw_error_free(perr);
			r = 0;
			/* Keep what the parser found before the bad part. */
		}
		for (size_t k = from; k < res.pkgs.n; k++)
			res.pkgs.v[k].layer = c->layer;
	}
	r = mark_owners(&fd, &res.pkgs, err);
	if (r < 0)
		goto out;
	if (res.pkgs.n)
		qsort(res.pkgs.v, res.pkgs.n, sizeof(*res.pkgs.v), cmp_pkg);
out:
	for (size_t i = 0; i < sc.n; i++) {
		free(sc.caps[i].path);
		free(sc.caps[i].data);
	}
	free(sc.caps);
	bw_map_free(fd.by_path);
	pthread_mutex_destroy(&sc.mu);
	if (r < 0) {
		bw_pkg_result_done(&res);
		bw_fs_free(fs);
		return r;
	}
	*ret = res;
	if (ret_fs)
		*ret_fs = fs;
	else
		bw_fs_free(fs);
	return 0;
}
