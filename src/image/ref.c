/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "image/internal.h"
#include "image/tar.h"

void bw_ref_done(struct bw_ref *ref)
{
	free(ref->path);
	free(ref->registry);
	free(ref->repository);
	free(ref->tag);
	free(ref->digest);
	free(ref->name);
	*ref = (struct bw_ref){ 0 };
}

static bool path_exists(const char *p, bool *is_dir)
{
	struct stat st;

	if (stat(p, &st) < 0)
		return false;
	*is_dir = S_ISDIR(st.st_mode);
	return true;
}

static bool is_layout_dir(const char *p)
{
	char buf[4096];
	struct stat st;

	snprintf(buf, sizeof(buf), "%s/oci-layout", p);
	return stat(buf, &st) == 0;
}

/*
 * Splits "PATH[:SUFFIX]" for archive and layout transports. A path that
 * exists as a whole wins, so paths with colons keep working.
 */
static int split_path(const char *s, bool allow_digest, bool allow_colon_ref, char **path, char **tag,
		      char **digest, struct bw_error **err)
{
	bool d;
	const char *at = allow_digest ? strstr(s, "@sha256:") : NULL;
	const char *colon;

	if (at) {
		*path = strndup(s, (size_t)(at - s));
		*digest = strdup(at + 1);
		if (!*path || !*digest)
			return bw_error_set(err, -ENOMEM, "out of memory");
		if (!bw_digest_valid(*digest))
			return bw_error_set(err, -EINVAL, "bad digest `%s`", *digest);
		return 0;
	}
	/* The first prefix that exists on disk is the path: the rest may
	 * itself hold colons (docker-archive:a.tar:repo:tag). */
	colon = NULL;
	for (const char *c = strchr(s, ':'); c; c = strchr(c + 1, ':')) {
		_cleanup_free_ char *prefix = strndup(s, (size_t)(c - s));
		if (prefix && path_exists(prefix, &d)) {
			colon = c;
			break;
		}
	}
	if (!colon)
		colon = strrchr(s, ':');
	if (!colon || path_exists(s, &d) || (strchr(colon, '/') && !allow_colon_ref)) {
		*path = strdup(s);
		return *path ? 0 : bw_error_set(err, -ENOMEM, "out of memory");
	}
	*path = strndup(s, (size_t)(colon - s));
	*tag = colon[1] ? strdup(colon + 1) : NULL;
	if (!*path || (colon[1] && !*tag))
		return bw_error_set(err, -ENOMEM, "out of memory");
	return 0;
}

static bool is_sep(char c)
{
	return c == '/' || c == '.' || c == '_' || c == '-';
}

static bool valid_repo(const char *r)
{
	/* Components of [a-z0-9] joined by `.`, `_`, `__` or `-` runs, split
	 * by `/`: no separator at either end or next to a `/` or `.`. */
	size_t n = strlen(r);

	if (n == 0 || n > 255 || is_sep(r[0]) || is_sep(r[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = r[i];
		if (islower((unsigned char)c) || isdigit((unsigned char)c))
			continue;
		if (!is_sep(c))
			return false;
		if ((c == '/' || c == '.') && is_sep(r[i + 1]))
			return false;
		if (is_sep(c) && (r[i + 1] == '/' || r[i + 1] == '.'))
			return false;
	}
	return true;
}

static bool valid_tag(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > 128 || !(isalnum((unsigned char)t[0]) || t[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!(isalnum((unsigned char)t[i]) || t[i] == '_' || t[i] == '.' || t[i] == '-'))
			return false;
	return true;
}

static int parse_registry(const char *s, struct bw_ref *ref, struct bw_error **err)
{
	_cleanup_free_ char *rest = NULL;
	char *at, *slash, *colon;

	if (bw_startswith(s, "docker://"))
		s += 9;
	rest = strdup(s);
	if (!rest)
		return bw_error_set(err, -ENOMEM, "out of memory");
	at = strchr(rest, '@');
	if (at) {
		*at = 0;
		if (!bw_digest_valid(at + 1))
			return bw_error_set(err, -EINVAL, "invalid reference `%s`: bad digest `%s`", s, at + 1);
		ref->digest = strdup(at + 1);
	}
	slash = strchr(rest, '/');
	colon = strrchr(rest, ':');
	if (colon && (!slash || colon > strrchr(rest, '/'))) {
		*colon = 0;
		if (!valid_tag(colon + 1))
			return bw_error_set(err, -EINVAL, "invalid reference `%s`: bad tag `%s`", s, colon + 1);
		ref->tag = strdup(colon + 1);
	}
	slash = strchr(rest, '/');
	if (slash && (memchr(rest, '.', (size_t)(slash - rest)) || memchr(rest, ':', (size_t)(slash - rest)) ||
		      ((size_t)(slash - rest) == 9 && !strncmp(rest, "localhost", 9)))) {
		*slash = 0;
		ref->registry = strdup(!strcmp(rest, "index.docker.io") ? "docker.io" : rest);
		ref->repository = strdup(slash + 1);
	} else {
		ref->registry = strdup("docker.io");
		if (!slash) {
			if (asprintf(&ref->repository, "library/%s", rest) < 0)
				ref->repository = NULL;
		} else {
			ref->repository = strdup(rest);
		}
	}
	if (!ref->registry || !ref->repository)
		return bw_error_set(err, -ENOMEM, "out of memory");
	const char *port = strrchr(ref->registry, ':');
	if (port && (!port[1] || strspn(port + 1, "0123456789") != strlen(port + 1)))
		return bw_error_set(err, -EINVAL, "invalid reference `%s`: bad registry port in `%s`", s,
				    ref->registry);
	if (!valid_repo(ref->repository)) {
		bool upper = false;
		for (const char *p = ref->repository; *p; p++)
			upper |= isupper((unsigned char)*p);
		return bw_error_set(err, -EINVAL, "invalid reference `%s`: %s", s,
				    upper ? "repository name must be lowercase" : "bad repository name");
	}
	if (!ref->tag && !ref->digest)
		ref->tag = strdup("latest");
	if (asprintf(&ref->name, "%s/%s%s%s%s%s", ref->registry, ref->repository, ref->tag ? ":" : "",
		     ref->tag ? ref->tag : "", ref->digest ? "@" : "", ref->digest ? ref->digest : "") < 0)
		ref->name = NULL;
	return ref->name ? 0 : bw_error_set(err, -ENOMEM, "out of memory");
}

/* Looks at a tar file's member names to tell docker-archive from oci-archive. */
static int sniff_archive(const char *path, enum bw_transport *ret)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint8_t blk[TAR_BLOCK];
	off_t off = 0;

	if (fd < 0)
		return -errno;
	for (int i = 0; i < 64; i++) {
		char name[257], link[101];
		struct tar_entry e;
		if (pread(fd, blk, sizeof(blk), off) != (ssize_t)sizeof(blk))
			return -EINVAL;
		if (tar_header_decode(blk, name, link, &e, NULL) != 0)
			return -EINVAL;
		if (!strcmp(name, "manifest.json") || !strcmp(name, "./manifest.json")) {
			*ret = BW_TRANSPORT_DOCKER_ARCHIVE;
			return 0;
		}
		if (!strcmp(name, "oci-layout") || !strcmp(name, "./oci-layout") || !strcmp(name, "index.json")) {
			*ret = BW_TRANSPORT_OCI_ARCHIVE;
			return 0;
		}
		off += TAR_BLOCK + (off_t)((e.size + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK);
	}
	return -EINVAL;
}

static int finish_local(struct bw_ref *ref, const char *prefix)
{
	const char *suffix = ref->digest ? ref->digest : ref->tag;

	if (asprintf(&ref->name, "%s:%s%s%s", prefix, ref->path, suffix ? (ref->digest ? "@" : ":") : "",
		     suffix ? suffix : "") < 0) {
		ref->name = NULL;
		return -ENOMEM;
	}
	return 0;
}

int bw_ref_parse(const char *s, struct bw_ref *ret, struct bw_error **err)
{
	struct bw_ref ref = { 0 };
	bool is_dir;
	int r;

	if (!s || !*s)
		return bw_error_set(err, -EINVAL, "empty image reference");
	if (bw_startswith(s, "docker-archive:")) {
		ref.transport = BW_TRANSPORT_DOCKER_ARCHIVE;
		r = split_path(s + 15, false, true, &ref.path, &ref.tag, &ref.digest, err);
		if (r == 0)
			r = finish_local(&ref, "docker-archive");
	} else if (bw_startswith(s, "oci-archive:")) {
		ref.transport = BW_TRANSPORT_OCI_ARCHIVE;
		r = split_path(s + 12, false, false, &ref.path, &ref.tag, &ref.digest, err);
		if (r == 0)
			r = finish_local(&ref, "oci-archive");
	} else if (bw_startswith(s, "oci:")) {
		ref.transport = BW_TRANSPORT_OCI_LAYOUT;
		r = split_path(s + 4, true, false, &ref.path, &ref.tag, &ref.digest, err);
		if (r == 0)
			r = finish_local(&ref, "oci");
	} else if (bw_startswith(s, "dir:")) {
		ref.transport = BW_TRANSPORT_DIR;
		ref.path = strdup(s + 4);
		r = ref.path ? finish_local(&ref, "dir") : -ENOMEM;
	} else if (path_exists(s, &is_dir) &&
		   (!is_dir || is_layout_dir(s) || strchr(s, '/') || s[0] == '.')) {
		ref.path = strdup(s);
		if (!ref.path) {
			r = -ENOMEM;
		} else if (is_dir) {
			ref.transport = is_layout_dir(s) ? BW_TRANSPORT_OCI_LAYOUT : BW_TRANSPORT_DIR;
			r = finish_local(&ref, ref.transport == BW_TRANSPORT_DIR ? "dir" : "oci");
		} else {
			r = sniff_archive(s, &ref.transport);
			if (r < 0)
				r = bw_error_set(err, -EINVAL,
						 "`%s` is neither a docker-archive nor an oci-archive tar file", s);
			else
				r = finish_local(&ref, ref.transport == BW_TRANSPORT_DOCKER_ARCHIVE ? "docker-archive"
												     : "oci-archive");
		}
	} else {
		ref.transport = BW_TRANSPORT_REGISTRY;
		r = parse_registry(s, &ref, err);
	}
	if (r < 0) {
		if (r == -ENOMEM)
			bw_error_set(err, r, "out of memory");
		bw_ref_done(&ref);
		return r;
	}
	if (ref.transport != BW_TRANSPORT_REGISTRY && (!ref.path || !*ref.path)) {
		bw_ref_done(&ref);
		return bw_error_set(err, -EINVAL, "image reference `%s` names no path", s);
	}
	*ret = ref;
	return 0;
}
