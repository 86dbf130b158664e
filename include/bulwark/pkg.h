/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BULWARK_PKG_H
#define BULWARK_PKG_H

/*
 * pkg: what is installed in an image. The OS (os-release and friends) and
 * the packages that catalogers find in package databases, lockfiles,
 * package metadata and binaries, each with its PURL and the file (and
 * layer) it was found in.
 *
 * An image is catalogued in the same single pass that builds its merged
 * file system: each cataloger names the files it wants (by path, or by
 * magic bytes for binaries), their bytes are captured or parsed while the
 * layer streams in its worker thread, and afterwards only the copies that
 * are in the final merged file system count.
 *
 * Every parser treats its input as hostile and is bounded by the caps in
 * bulwark/limits.h. A database that is corrupt or too large is skipped with
 * a warning (through bw_log) naming the file and layer; the scan goes on.
 */

#include "bulwark/core.h"
#include "bulwark/image.h"

/* ---------------------------------------------------------------- OS */

/* The distribution, as os-release names it (fields empty when unknown).
 * family is the name vulnerability scanners use (trivy's: "debian",
 * "redhat", "alma", "opensuse-leap", ...). Strings are owned. */
struct bw_os {
	char *id;
	char *version_id;
	char *version;
	char *version_codename;
	char *name;
	char *pretty_name;
	char *id_like; /* space-separated, as in the file */
	char *family;
	char *family_version;
};

/* Reads a file of the root file system being examined: path is absolute.
 * Returns 0 and a buffer the caller frees, or -ENOENT. */
typedef int (*bw_os_read_fn)(void *userdata, const char *path, char **ret, size_t *ret_len);

/* Identifies the OS from /etc/os-release, /usr/lib/os-release,
 * /etc/debian_version, /etc/alpine-release, redhat-release style files,
 * /etc/system-release-cpe and a busybox binary. 0 with ret->id NULL and
 * family NULL when nothing is recognised. */
BW_API int bw_os_detect(bw_os_read_fn read, void *userdata, struct bw_os *ret,
			struct bw_error **err);
BW_API void bw_os_done(struct bw_os *os);

/* ---------------------------------------------------------------- packages */

struct bw_pkg {
	char *name;
	char *version;	      /* full version as the ecosystem writes it (dpkg: [epoch:]upstream[-rev]) */
	char *release;	      /* rpm release; NULL elsewhere */
	int epoch;	      /* rpm/dpkg epoch; -1 when absent */
	char *arch;
	char *source_name;    /* dpkg Source, apk origin, rpm source RPM name */
	char *source_version;
	char *source_rpm;     /* rpm SOURCERPM tag */
	char *license;
	char *commit;	      /* apk build commit */
	char *status;	      /* dpkg status field */
	char *purl;
	char *type;	      /* PURL type: deb, apk, rpm, pypi, npm, golang, cargo, gem, composer, ... */
	char *cataloger;      /* what found it: "dpkg", "python-metadata", "go-binary", ... */
	char *location;	      /* absolute path of the file it was found in */
	int layer;	      /* 0-based layer of that file; -1 for dir: and plain files */
	bool dev;	      /* a development dependency (lockfiles that say so) */
	char *owner;	      /* unused: a package whose files an OS package owns is not listed */
	/* Files the package owns, absolute, where its database lists them
	 * (rpm file lists, dpkg info/NAME.list); NULL otherwise. */
	char **files;
	size_t n_files;
};

/* A growable list. Each bw_pkg's strings are owned by the list. */
struct bw_pkg_list {
	struct bw_pkg *v;
	size_t n, alloc;
};

BW_API void bw_pkg_list_done(struct bw_pkg_list *l);

/*
 * Parses one file of a known kind into packages appended to out. kind is
 * one of bw_pkg_kinds() ("dpkg", "dpkg-status.d", "opkg", "apk",
 * "python-metadata", "npm-package.json", "npm-package-lock",
 * "requirements.txt", "go-binary", ...). path names the file for locations
 * and messages; the OS, when known, qualifies OS package PURLs. -EBADMSG
 * (or another -errno) with *err for a file that is not of that kind.
 */
BW_API int bw_pkg_parse(const char *kind, const char *path, const char *data, size_t len,
			const struct bw_os *os, struct bw_pkg_list *out, struct bw_error **err);
/*
 * As bw_pkg_parse(), for formats that name other files of the same tree
 * (requirements.txt `-r other.txt`, relative to the including file): read
 * (may be NULL: includes are skipped) fetches them by absolute, normalised
 * path. Includes nest at most BW_MAX_REQ_INCLUDE_DEPTH deep; one that
 * cannot be read is skipped with a warning.
 */
BW_API int bw_pkg_parse_tree(const char *kind, const char *path, const char *data, size_t len,
			     const struct bw_os *os, bw_os_read_fn read, void *userdata, struct bw_pkg_list *out,
			     struct bw_error **err);
/* NULL-terminated list of the kinds bw_pkg_parse() knows. */
BW_API const char *const *bw_pkg_kinds(void);

/* Builds the PURL of p (type, name, version, arch, distro) into a new string. */
BW_API char *bw_pkg_purl(const struct bw_pkg *p, const struct bw_os *os);

/* The result of cataloguing an image or a root file system. */
struct bw_pkg_result {
	struct bw_os os;
	struct bw_pkg_list pkgs;
	size_t warnings; /* files skipped as corrupt or too large */
	size_t layers_read;   /* layers decompressed and read by this scan */
	size_t layers_cached; /* layers whose results came from the layer cache */
};

/*
 * Reads img's layers once and catalogues its merged file system (without
 * the layer cache: see bw_pkg_scan_image_opts). *ret_fs (may be NULL)
 * receives the merged file system; without it none is built. Packages are
 * sorted by type, name and version; a language package whose files an OS
 * package owns is left out (the OS package stands for it).
 */
BW_API int bw_pkg_scan_image(struct bw_image *img, struct bw_pkg_result *ret, struct bw_fs **ret_fs,
			     struct bw_error **err);
BW_API void bw_pkg_result_done(struct bw_pkg_result *r);

struct bw_pkg_scan_opts {
	size_t sz;		/* sizeof(struct bw_pkg_scan_opts) */
	const char *cache_dir;	/* folder of the per-layer cache (bw_layer_cache); NULL: none */
};

/*
 * bw_pkg_scan_image() with options: each layer's results are taken from
 * the layer cache when it has them (keyed by diff_id, blob digest and this
 * build's analyzer version) and stored there otherwise, so a rescan, or a
 * scan of an image sharing base layers, reads only the layers not cached.
 * A cache that cannot be opened or written is a warning; the scan goes on.
 */
BW_API int bw_pkg_scan_image_opts(struct bw_image *img, const struct bw_pkg_scan_opts *opts,
				  struct bw_pkg_result *ret, struct bw_error **err);

#endif
