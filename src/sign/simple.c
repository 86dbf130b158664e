/* SPDX-License-Identifier: Apache-2.0 */
/*
 * containers' simple signing (containers-signature(5)): the atomic payload,
 * its lookaside storage as registries.d(5) configures it
 * (BASE/REPO@sha256=HEX/signature-N, file:// and http(s)://), signature-N
 * files of a containers/image `dir:`, and docker-reference identities as
 * containers/image compares them.
 */
#include <curl/curl.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bulwark/yaml.h"
#include "image/internal.h"
#include "sign/internal.h"

#define ATOMIC_TYPE "atomic container signature"

static void image_freep(struct bw_image **i)
{
	*i = bw_image_free(*i);
}

/* ---------------------------------------------------------------- payload */

void bw_atomic_payload_done(struct bw_atomic_payload *p)
{
	free(p->identity);
	free(p->digest);
	free(p->creator);
	memset(p, 0, sizeof(*p));
}

/* Every key of o is one of keys[] and every one of keys[] is there. */
static bool exact_fields(json_t *o, const char *const *keys, size_t n)
{
	if (!json_is_object(o) || json_object_size(o) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!json_object_get(o, keys[i]))
			return false;
	return true;
}

int bw_atomic_payload_parse(const char *json, size_t len, struct bw_atomic_payload *ret,
			    struct bw_error **err)
{
	static const char *const top[] = { "critical", "optional" };
	static const char *const crit_keys[] = { "type", "image", "identity" };
	static const char *const image_keys[] = { "docker-manifest-digest" };
	static const char *const id_keys[] = { "docker-reference" };
	_cleanup_json_ json_t *j = NULL;
	struct bw_atomic_payload p = { 0 };
	json_error_t jerr;
	json_t *crit, *opt, *v;
	const char *type, *digest, *id;

	if (len > BW_MAX_SIGN_PAYLOAD)
		return bw_error_set(err, -EFBIG, "payload larger than %u bytes",
				    BW_MAX_SIGN_PAYLOAD);
	j = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j)
		return bw_error_set(err, -EBADMSG, "payload is not JSON: %s", jerr.text);
	if (!exact_fields(j, top, 2))
		return bw_error_set(err, -EBADMSG,
				    "payload must hold exactly `critical` and `optional`");
	crit = json_object_get(j, "critical");
	if (!exact_fields(crit, crit_keys, 3))
		return bw_error_set(err, -EBADMSG,
				    "payload's `critical` must hold exactly type, image, identity");
	type = json_string_value(json_object_get(crit, "type"));
	if (!type || strcmp(type, ATOMIC_TYPE))
		return bw_error_set(err, -EBADMSG, "payload type is not `%s`", ATOMIC_TYPE);
	v = json_object_get(crit, "image");
	if (!exact_fields(v, image_keys, 1) ||
	    !(digest = json_string_value(json_object_get(v, "docker-manifest-digest"))))
		return bw_error_set(err, -EBADMSG,
				    "payload's critical.image must hold only docker-manifest-digest");
	v = json_object_get(crit, "identity");
	if (!exact_fields(v, id_keys, 1) ||
	    !(id = json_string_value(json_object_get(v, "docker-reference"))))
		return bw_error_set(err, -EBADMSG,
				    "payload's critical.identity must hold only docker-reference");
	opt = json_object_get(j, "optional");
	if (json_is_null(opt))
		opt = NULL; /* cosign writes null without annotations */
	else if (!json_is_object(opt))
		return bw_error_set(err, -EBADMSG, "payload's `optional` is not an object");
	v = json_object_get(opt, "creator");
	if (v && !json_is_string(v))
		return bw_error_set(err, -EBADMSG, "payload's optional.creator is not a string");
	if (v)
		p.creator = strdup(json_string_value(v));
	v = json_object_get(opt, "timestamp");
	if (v && json_is_real(v) && json_real_value(v) >= -9e15 && json_real_value(v) <= 9e15 &&
	    (double)(int64_t)json_real_value(v) == json_real_value(v)) {
		p.timestamp = (int64_t)json_real_value(v);
	} else if (v && !json_is_integer(v)) {
		free(p.creator);
		return bw_error_set(err, -EBADMSG, "payload's optional.timestamp is not an integer");
	} else {
		p.timestamp = v ? json_integer_value(v) : 0;
	}
	p.identity = strdup(id);
	p.digest = strdup(digest);
	if (!p.identity || !p.digest) {
		bw_atomic_payload_done(&p);
		return bw_error_set(err, -ENOMEM, "out of memory");
	}
	*ret = p;
	return 0;
}

static int atomic_payload_build(const char *identity, const char *digest, char **ret,
				struct bw_error **err)
{
	_cleanup_json_ json_t *j = NULL;
	char *s;

	j = json_pack("{s:{s:{s:s},s:{s:s},s:s},s:{s:s,s:I}}", "critical", "identity",
		      "docker-reference", identity, "image", "docker-manifest-digest", digest,
		      "type", ATOMIC_TYPE, "optional", "creator", "bulwark " BW_VERSION,
		      "timestamp", (json_int_t)time(NULL));
	if (!j)
		return bw_error_set(err, -ENOMEM, "out of memory");
	s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!s)
		return bw_error_set(err, -ENOMEM, "out of memory");
	*ret = s;
	return 0;
}

/* ---------------------------------------------------------------- identities */

/*
 * A docker reference from a signature or a policy (untrusted): normalised
 * as docker does, but with no default tag. *ret_name gets HOST/REPO,
 * *ret_full HOST/REPO[:TAG][@DIGEST].
 */
int dref_parse(const char *s, char **ret_name, char **ret_full, struct bw_error **err)
{
	struct bw_ref ref = { 0 };
	const char *slash, *colon;
	bool name_only;
	char *name = NULL, *full = NULL;
	int r;

	if (!s || !*s || strlen(s) > 1024 || s[0] == '/' || s[0] == '.' || strstr(s, "//") ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:/@-") !=
		    strlen(s) ||
	    bw_startswith(s, "oci:") || bw_startswith(s, "dir:") || bw_startswith(s, "docker:") ||
	    bw_startswith(s, "docker-archive:") || bw_startswith(s, "oci-archive:"))
		return bw_error_set(err, -EINVAL, "`%.200s` is not a docker reference", s ? s : "");
	slash = strrchr(s, '/');
	colon = strrchr(slash ? slash : s, ':');
	name_only = !strchr(s, '@') && !colon;
	r = bw_ref_parse(s, &ref, err);
	if (r < 0)
		return r;
	if (ref.transport != BW_TRANSPORT_REGISTRY) {
		bw_ref_done(&ref);
		return bw_error_set(err, -EINVAL, "`%.200s` is not a docker reference", s);
	}
	if (asprintf(&name, "%s/%s", ref.registry, ref.repository) < 0)
		name = NULL;
	if (name && asprintf(&full, "%s%s%s%s%s", name, !name_only && ref.tag ? ":" : "",
			     !name_only && ref.tag ? ref.tag : "", ref.digest ? "@" : "",
			     ref.digest ? ref.digest : "") < 0)
		full = NULL;
	bw_ref_done(&ref);
	if (!name || !full) {
		free(name);
		free(full);
		return bw_error_set(err, -ENOMEM, "out of memory");
	}
	*ret_name = name;
	*ret_full = full;
	return 0;
}

/* Does the signed identity satisfy intended (a normalised full reference)
 * under mode? */
bool dref_matches(const char *signed_id, const char *intended, enum gid_mode mode)
{
	_cleanup_free_ char *sn = NULL, *sf = NULL, *in = NULL, *inf = NULL;
	bool i_tag, i_digest;

	if (dref_parse(signed_id, &sn, &sf, NULL) < 0 || dref_parse(intended, &in, &inf, NULL) < 0)
		return false;
	i_digest = strchr(inf, '@') != NULL;
	i_tag = !i_digest && strcmp(in, inf);
	switch (mode) {
	case GID_REPOSITORY:
		return !strcmp(sn, in);
	case GID_EXACT:
		return strcmp(sn, sf) && strcmp(in, inf) && !strcmp(sf, inf);
	case GID_DIGEST_OR_EXACT:
	default:
		if (i_tag)
			return !strcmp(sf, inf);
		if (i_digest)
			return !strcmp(sn, in);
		return false;
	}
}

/* ---------------------------------------------------------------- registries.d */

struct regd_section {
	char *scope; /* NULL for default-docker */
	char *lookaside;
	char *staging;
	int use_sigstore; /* use-sigstore-attachments: 1, 0, or -1 when not set */
};

struct regd {
	struct regd_section *v;
	size_t n;
};

static void regd_free(struct regd *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].scope);
		free(d->v[i].lookaside);
		free(d->v[i].staging);
	}
	free(d->v);
	memset(d, 0, sizeof(*d));
}

static const struct regd_section *regd_find(const struct regd *d, const char *scope)
{
	for (size_t i = 0; i < d->n; i++)
		if (scope ? d->v[i].scope && !strcmp(d->v[i].scope, scope) : !d->v[i].scope)
			return &d->v[i];
	return NULL;
}

static int regd_add(struct regd *d, const char *file, const char *scope,
		    const struct bw_yaml_node *sec, struct bw_error **err)
{
	struct regd_section *grown, *s;
	const struct bw_yaml_node *usa;
	const char *la, *st;
	int use_sigstore = -1;

	if (regd_find(d, scope))
		return bw_error_set(err, -EINVAL,
				    "registries.d `%s`: %s%s%s is configured more than once", file,
				    scope ? "scope `" : "default-docker", scope ? scope : "",
				    scope ? "`" : "");
	if (sec && sec->type != BW_YAML_MAP)
		return bw_error_set(err, -EINVAL, "registries.d `%s`: the section for `%s` is not "
				    "a mapping", file, scope ? scope : "default-docker");
	la = bw_yaml_str(bw_yaml_get(sec, "lookaside"));
	if (!la)
		la = bw_yaml_str(bw_yaml_get(sec, "sigstore"));
	st = bw_yaml_str(bw_yaml_get(sec, "lookaside-staging"));
	if (!st)
		st = bw_yaml_str(bw_yaml_get(sec, "sigstore-staging"));
	/* A YAML bool, as containers/image's *bool field takes it (a quoted
	 * "true" is a string there, and an error). */
	usa = bw_yaml_get(sec, "use-sigstore-attachments");
	if (usa) {
		use_sigstore = bw_yaml_bool(usa);
		if (use_sigstore < 0)
			return bw_error_set(err, -EINVAL,
					    "registries.d `%s`: use-sigstore-attachments of `%s` is "
					    "not a bool", file, scope ? scope : "default-docker");
	}
	if (d->n >= 65536)
		return bw_error_set(err, -E2BIG, "registries.d: too many sections");
	grown = realloc(d->v, (d->n + 1) * sizeof(*grown));
	if (!grown)
		return bw_error_set(err, -ENOMEM, "out of memory");
	d->v = grown;
	s = &d->v[d->n];
	memset(s, 0, sizeof(*s));
	s->scope = scope ? strdup(scope) : NULL;
	s->lookaside = la && *la ? strdup(la) : NULL;
	s->staging = st && *st ? strdup(st) : NULL;
	s->use_sigstore = use_sigstore;
	d->n++;
	if ((scope && !s->scope) || (la && *la && !s->lookaside) || (st && *st && !s->staging))
		return bw_error_set(err, -ENOMEM, "out of memory");
	return 0;
}

static int regd_load_file(struct regd *d, int dfd, const char *name, const char *dir,
			  struct bw_error **err)
{
	_cleanup_free_ char *data = NULL;
	struct bw_yaml_file *yf = NULL;
	const struct bw_yaml_node *root, *docker, *dflt;
	size_t len;
	int fd, r;

	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return bw_error_set(err, -errno, "registries.d `%s/%s`: %s", dir, name,
				    strerror(errno));
	r = bw_read_fd(fd, name, BW_MAX_REGISTRIES_D_FILE, &data, &len, err);
	close(fd);
	if (r < 0)
		return bw_error_wrap(err, "registries.d `%s`", dir);
	r = bw_yaml_parse(name, data, len, &yf, err);
	if (r < 0)
		return bw_error_wrap(err, "registries.d `%s`", dir);
	root = bw_yaml_file_ndocs(yf) ? bw_yaml_file_doc(yf, 0) : NULL;
	if (root && root->type != BW_YAML_MAP) {
		bw_yaml_file_free(yf);
		return bw_error_set(err, -EINVAL, "registries.d `%s/%s`: not a mapping", dir, name);
	}
	dflt = bw_yaml_get(root, "default-docker");
	docker = bw_yaml_get(root, "docker");
	r = 0;
	if (dflt)
		r = regd_add(d, name, NULL, dflt, err);
	if (r == 0 && docker) {
		if (docker->type != BW_YAML_MAP) {
			r = bw_error_set(err, -EINVAL, "registries.d `%s/%s`: `docker` is not a "
					 "mapping", dir, name);
		} else {
			for (uint32_t i = 0; r == 0 && i < docker->n; i++) {
				const char *scope = bw_yaml_str(docker->kids[2 * i]);

				if (!scope)
					r = bw_error_set(err, -EINVAL,
							 "registries.d `%s/%s`: a scope is not a "
							 "string", dir, name);
				else
					r = regd_add(d, name, scope, docker->kids[2 * i + 1], err);
			}
		}
	}
	bw_yaml_file_free(yf);
	return r;
}

static const char *regd_default_dir(char buf[PATH_MAX])
{
	const char *home = getenv("HOME");
	struct stat st;

	if (home && *home) {
		snprintf(buf, PATH_MAX, "%s/.config/containers/registries.d", home);
		if (stat(buf, &st) == 0 && S_ISDIR(st.st_mode))
			return buf;
	}
	return "/etc/containers/registries.d";
}

static int regd_load(const char *dir, struct regd *d, struct bw_error **err)
{
	char buf[PATH_MAX];
	_cleanup_close_ int dfd = -1;
	DIR *dh;
	struct dirent *e;
	unsigned files = 0;
	int r = 0;

	memset(d, 0, sizeof(*d));
	if (!dir)
		dir = regd_default_dir(buf);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		if (errno == ENOENT)
			return 0;
		return bw_error_set(err, -errno, "registries.d `%s`: %s", dir, strerror(errno));
	}
	dh = fdopendir(dup(dfd));
	if (!dh)
		return bw_error_set(err, -errno, "registries.d `%s`: %s", dir, strerror(errno));
	while (r == 0 && (e = readdir(dh))) {
		struct stat st;

		if (!bw_endswith(e->d_name, ".yaml") || e->d_name[0] == '.')
			continue;
		if (fstatat(dfd, e->d_name, &st, 0) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (++files > BW_MAX_REGISTRIES_D_FILES) {
			r = bw_error_set(err, -E2BIG, "registries.d `%s`: more than %u files", dir,
					 BW_MAX_REGISTRIES_D_FILES);
			break;
		}
		r = regd_load_file(d, dfd, e->d_name, dir, err);
	}
	closedir(dh);
	if (r < 0)
		regd_free(d);
	return r;
}

/*
 * The sections that may configure a registry image, most specific first, as
 * containers/image searches them (PolicyConfigurationIdentity, then
 * PolicyConfigurationNamespaces): HOST/REPO:TAG (or @DIGEST), HOST/REPO,
 * each namespace, HOST, *.DOMAIN from the narrowest, and default-docker
 * last. Each setting is taken from the first section that sets it, so a
 * scope that sets only one key does not hide default-docker's others.
 * Returns how many were stored in ret (at most max).
 */
static size_t regd_chain(const struct regd *d, const struct bw_ref *ref,
			 const struct regd_section **ret, size_t max)
{
	char buf[2048], *slash;
	const char *dot;
	size_t n = 0;

#define ADD(sec)                                          \
	do {                                              \
		const struct regd_section *s_ = (sec);    \
		if (s_ && n < max)                        \
			ret[n++] = s_;                    \
	} while (0)
	snprintf(buf, sizeof(buf), "%s/%s%s%s", ref->registry, ref->repository,
		 ref->digest ? "@" : ":", ref->digest ? ref->digest : ref->tag ? ref->tag : "latest");
	ADD(regd_find(d, buf));
	snprintf(buf, sizeof(buf), "%s/%s", ref->registry, ref->repository);
	for (;;) {
		ADD(regd_find(d, buf));
		slash = strrchr(buf, '/');
		if (!slash)
			break;
		*slash = 0;
	}
	for (dot = strchr(ref->registry, '.'); dot; dot = strchr(dot + 1, '.')) {
		snprintf(buf, sizeof(buf), "*%s", dot);
		ADD(regd_find(d, buf));
	}
	ADD(regd_find(d, NULL));
#undef ADD
	return n;
}

/*
 * The lookaside base URL for a registry image (without the repository):
 * from the first section of regd_chain() with one, its lookaside-staging
 * for writes, else its lookaside; else containers/image's built-in default.
 */
static int lookaside_base(const struct regd *d, const struct bw_ref *ref, bool write,
			  char **ret, struct bw_error **err)
{
	const struct regd_section *chain[64];
	const char *url = NULL;
	char *out = NULL;
	size_t n = regd_chain(d, ref, chain, BW_ARRAY_SIZE(chain));

	for (size_t i = 0; i < n && !url; i++)
		url = write && chain[i]->staging ? chain[i]->staging : chain[i]->lookaside;
	if (url) {
		out = strdup(url);
	} else if (geteuid() == 0) {
		out = strdup("file:///var/lib/containers/sigstore");
	} else {
		const char *home = getenv("HOME");

		if (!home || !*home)
			return bw_error_set(err, -ENOENT, "no lookaside storage configured for "
					    "`%s` and no $HOME", ref->name);
		if (asprintf(&out, "file://%s/.local/share/containers/sigstore", home) < 0)
			out = NULL;
	}
	if (!out)
		return bw_error_set(err, -ENOMEM, "out of memory");
	while (strlen(out) > 8 && out[strlen(out) - 1] == '/')
		out[strlen(out) - 1] = 0;
	*ret = out;
	return 0;
}

int regd_use_sigstore_attachments(const char *dir, const struct bw_ref *ref, bool *ret,
				  struct bw_error **err)
{
	const struct regd_section *chain[64];
	struct regd d;
	bool use = false;
	size_t n;
	int r;

	r = regd_load(dir, &d, err);
	if (r < 0)
		return r;
	n = regd_chain(&d, ref, chain, BW_ARRAY_SIZE(chain));
	for (size_t i = 0; i < n; i++)
		if (chain[i]->use_sigstore >= 0) {
			use = chain[i]->use_sigstore;
			break;
		}
	regd_free(&d);
	*ret = use;
	return 0;
}

/* ---------------------------------------------------------------- lookaside I/O */

struct fetch {
	struct bw_buf buf;
	bool too_big;
};

static size_t fetch_write(char *p, size_t size, size_t n, void *ud)
{
	struct fetch *f = ud;

	if (bw_buf_append(&f->buf, p, size * n) < 0) {
		f->too_big = true;
		return 0;
	}
	return size * n;
}

/* GET url: 0 with the body, -ENOENT for 404 (no message), -errno else. */
static int http_get(const char *url, unsigned timeout, char **ret, size_t *ret_len,
		    struct bw_error **err)
{
	struct fetch f = { .buf = BW_BUF_INIT(BW_MAX_PGP_SIGNATURE) };
	CURL *c = curl_easy_init();
	long code = 0;
	CURLcode cr;

	if (!c)
		return bw_error_set(err, -ENOMEM, "out of memory");
	curl_easy_setopt(c, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)(timeout ? timeout : 60));
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fetch_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &f);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "bulwark/" BW_VERSION);
	cr = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	if (f.too_big) {
		bw_buf_done(&f.buf);
		return bw_error_set(err, -EFBIG, "`%s`: larger than %u bytes", url,
				    BW_MAX_PGP_SIGNATURE);
	}
	if (cr != CURLE_OK) {
		bw_buf_done(&f.buf);
		return bw_error_set(err, -EIO, "`%s`: %s", url, curl_easy_strerror(cr));
	}
	if (code == 404) {
		bw_buf_done(&f.buf);
		return -ENOENT;
	}
	if (code != 200) {
		bw_buf_done(&f.buf);
		return bw_error_set(err, -EIO, "`%s`: HTTP status %ld", url, code);
	}
	*ret_len = f.buf.len;
	*ret = f.buf.data ? bw_buf_steal(&f.buf) : strdup("");
	return *ret ? 0 : bw_error_set(err, -ENOMEM, "out of memory");
}

/* The local path of a file:// URL (no host, no %-escapes we would have to
 * decode), or NULL. */
static const char *file_url_path(const char *url)
{
	if (!bw_startswith(url, "file://") || url[7] != '/' || strchr(url, '%') ||
	    strchr(url, '?') || strchr(url, '#'))
		return NULL;
	return url + 7;
}

/* Reads signature idx (1-based) below dirurl: -ENOENT when missing. */
static int lookaside_read(const char *dirurl, unsigned idx, unsigned timeout, char **ret,
			  size_t *ret_len, struct bw_error **err)
{
	char url[PATH_MAX + 64];
	const char *path;
	int r;

	snprintf(url, sizeof(url), "%s/signature-%u", dirurl, idx);
	if ((path = file_url_path(url))) {
		struct stat st;

		if (stat(path, &st) < 0)
			return errno == ENOENT ? -ENOENT
					       : bw_error_set(err, -errno, "`%s`: %s", path,
							      strerror(errno));
		r = bw_read_file(path, BW_MAX_PGP_SIGNATURE, ret, ret_len, err);
		return r;
	}
	if (bw_startswith(url, "http://") || bw_startswith(url, "https://"))
		return http_get(url, timeout, ret, ret_len, err);
	return bw_error_set(err, -EOPNOTSUPP,
			    "lookaside `%s`: only file://, http:// and https:// are supported", dirurl);
}

static int mkdir_p(char *path)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(path, 0755) < 0 && errno != EEXIST) {
			*p = '/';
			return -errno;
		}
		*p = '/';
	}
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* Writes sig as the first free signature-N below dirurl (file:// only). */
static int lookaside_write(const char *dirurl, const void *sig, size_t n, char **ret_path,
			   struct bw_error **err)
{
	_cleanup_free_ char *dir = NULL;
	const char *path = file_url_path(dirurl);
	int r;

	if (!path)
		return bw_error_set(err, -EOPNOTSUPP,
				    "cannot write signatures to `%s`: writing needs a file:// "
				    "lookaside (set lookaside-staging in registries.d)",
				    dirurl);
	dir = strdup(path);
	if (!dir)
		return bw_error_set(err, -ENOMEM, "out of memory");
	r = mkdir_p(dir);
	if (r < 0)
		return bw_error_set(err, r, "cannot create `%s`: %s", dir, strerror(-r));
	for (unsigned i = 1; i <= BW_MAX_LOOKASIDE_SIGNATURES; i++) {
		_cleanup_free_ char *p = NULL;
		const char *c = sig;
		size_t left = n;
		int fd;

		if (asprintf(&p, "%s/signature-%u", dir, i) < 0)
			return bw_error_set(err, -ENOMEM, "out of memory");
		fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0 && errno == EEXIST)
			continue;
		if (fd < 0)
			return bw_error_set(err, -errno, "cannot create `%s`: %s", p, strerror(errno));
		while (left) {
			ssize_t w = write(fd, c, left);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				int e = w < 0 ? errno : EIO;

				close(fd);
				unlink(p);
				return bw_error_set(err, -e, "cannot write `%s`: %s", p, strerror(e));
			}
			c += w;
			left -= (size_t)w;
		}
		if (close(fd) < 0) {
			r = -errno;
			unlink(p);
			return bw_error_set(err, r, "cannot write `%s`: %s", p, strerror(-r));
		}
		if (ret_path)
			*ret_path = TAKE_PTR(p);
		return 0;
	}
	return bw_error_set(err, -E2BIG, "`%s` already holds %u signatures", dir,
			    BW_MAX_LOOKASIDE_SIGNATURES);
}

static int lookaside_dir(const struct regd *d, const struct bw_ref *ref, const char *digest,
			 bool write, char **ret, struct bw_error **err)
{
	_cleanup_free_ char *base = NULL;
	int r;

	if (strstr(ref->repository, "..") || strstr(ref->repository, "//"))
		return bw_error_set(err, -EINVAL, "unexpected path elements in `%s`", ref->name);
	r = lookaside_base(d, ref, write, &base, err);
	if (r < 0)
		return r;
	if (asprintf(ret, "%s/%s@sha256=%s", base, ref->repository, digest + 7) < 0)
		return bw_error_set(err, -ENOMEM, "out of memory");
	return 0;
}

/* ---------------------------------------------------------------- sign */

/* The reference as containers/image names the image: HOST/REPO:TAG or
 * HOST/REPO@DIGEST. */
static char *intended_ref(const struct bw_ref *ref)
{
	char *s = NULL;

	if (asprintf(&s, "%s/%s%s%s", ref->registry, ref->repository, ref->digest ? "@" : ":",
		     ref->digest ? ref->digest : ref->tag ? ref->tag : "latest") < 0)
		s = NULL;
	return s;
}

int bw_sign_image_gpg(const char *refstr, const char *fingerprint, const struct bw_sign_opts *o,
		      char **ret_digest, char **ret_location, struct bw_error **err)
{
	_cleanup_(image_freep) struct bw_image *img = NULL;
	_cleanup_free_ char *identity = NULL, *payload = NULL, *sig = NULL, *digest = NULL,
			    *dir = NULL, *loc = NULL, *n1 = NULL, *n2 = NULL;
	struct bw_sign_opts dflt;
	const struct bw_ref *ref;
	struct regd d;
	size_t siglen;
	int r;

	o = sign_opts_or_default(o, &dflt);
	if (!fingerprint || !*fingerprint)
		return bw_error_set(err, -EINVAL, "no GPG key given");
	r = bw_image_open(refstr, &o->image, &img, err);
	if (r < 0)
		return r;
	ref = bw_image_ref(img);
	if (ref->transport != BW_TRANSPORT_REGISTRY)
		return bw_error_set(err, -EOPNOTSUPP,
				    "GPG signatures are stored for registry images (in the "
				    "lookaside storage of registries.d), not for `%s`",
				    ref->name);
	if (!sign_image_digest(img))
		return bw_error_set(err, -EOPNOTSUPP, "`%s` has no manifest digest to sign",
				    ref->name);
	digest = strdup(sign_image_digest(img));
	identity = o->identity ? strdup(o->identity) : intended_ref(ref);
	if (!digest || !identity)
		return bw_error_set(err, -ENOMEM, "out of memory");
	r = dref_parse(identity, &n1, &n2, err);
	if (r < 0)
		return bw_error_wrap(err, "identity");
	r = atomic_payload_build(identity, digest, &payload, err);
	if (r < 0)
		return r;
	r = gpg_sign_user(fingerprint, payload, strlen(payload), &sig, &siglen, err);
	if (r < 0)
		return r;
	r = regd_load(o->registries_d, &d, err);
	if (r < 0)
		return r;
	r = lookaside_dir(&d, ref, digest, true, &dir, err);
	regd_free(&d);
	if (r < 0)
		return r;
	r = lookaside_write(dir, sig, siglen, &loc, err);
	if (r < 0)
		return r;
	if (ret_location)
		*ret_location = TAKE_PTR(loc);
	if (ret_digest)
		*ret_digest = TAKE_PTR(digest);
	return 0;
}

/* ---------------------------------------------------------------- verify */

struct gverify {
	struct bw_gpg_keyring *keyring;
	const char *digest;
	const char *intended;
	enum gid_mode mode;
	json_t *verified;
	struct bw_buf reasons;
	unsigned n;
	char dir_digest[72];
};

#define grefuse(c, ...) sign_refuse(&(c)->reasons, (c)->n, __VA_ARGS__)

static void gcheck_one(struct gverify *c, const char *sig, size_t n)
{
	_cleanup_error_ struct bw_error *e = NULL;
	_cleanup_free_ char *payload = NULL, *fpr = NULL;
	struct bw_atomic_payload p = { 0 };
	size_t len;
	json_t *pj, *entry;

	c->n++;
	if (bw_gpg_verify(c->keyring, sig, n, &payload, &len, &fpr, &e) < 0) {
		grefuse(c, "%s", e->msg);
		return;
	}
	if (bw_atomic_payload_parse(payload, len, &p, &e) < 0) {
		grefuse(c, "%s", e->msg);
		return;
	}
	if (!bw_digest_valid(p.digest) || strcmp(p.digest, c->digest)) {
		grefuse(c, "payload names digest %.80s, not the image's %s", p.digest, c->digest);
	} else if (!c->intended) {
		grefuse(c, "the image has no docker reference to match the signed identity against");
	} else if (!dref_matches(p.identity, c->intended, c->mode)) {
		grefuse(c, "payload names `%.200s`, which does not match `%s`", p.identity,
			c->intended);
	} else {
		pj = json_loadb(payload, len, 0, NULL);
		entry = json_pack("{s:s,s:o}", "fingerprint", fpr, "payload",
				  pj ? pj : json_null());
		if (entry)
			json_array_append_new(c->verified, entry);
	}
	bw_atomic_payload_done(&p);
}

static int gverify_dir(struct gverify *c, const char *path, struct bw_error **err)
{
	_cleanup_close_ int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_free_ char *manifest = NULL;
	size_t len;
	int r, fd;

	if (dfd < 0)
		return bw_error_set(err, -errno, "cannot open `%s`: %s", path, strerror(errno));
	fd = open_beneath(dfd, "manifest.json");
	if (fd < 0)
		return bw_error_set(err, fd, "`%s` has no manifest.json: %s", path, strerror(-fd));
	r = bw_read_fd(fd, "manifest.json", BW_MAX_MANIFEST_SIZE, &manifest, &len, err);
	close(fd);
	if (r < 0)
		return r;
	bw_sha256_digest(manifest, len, c->dir_digest);
	c->digest = c->dir_digest;
	for (unsigned i = 1;; i++) {
		_cleanup_free_ char *data = NULL;
		_cleanup_error_ struct bw_error *e = NULL;
		char name[32];
		size_t dlen;

		snprintf(name, sizeof(name), "signature-%u", i);
		fd = open_beneath(dfd, name);
		if (fd == -ENOENT)
			break;
		if (i > BW_MAX_SIGNATURES)
			return bw_error_set(err, -E2BIG, "`%s` has more than %d signatures", path,
					    BW_MAX_SIGNATURES);
		if (fd < 0) {
			c->n++;
			grefuse(c, "cannot open `%s`: %s", name, strerror(-fd));
			continue;
		}
		r = bw_read_fd(fd, name, BW_MAX_PGP_SIGNATURE, &data, &dlen, &e);
		close(fd);
		if (r < 0) {
			c->n++;
			grefuse(c, "%s", e->msg);
			continue;
		}
		if (dlen > 0 && data[0] == 0) {
			c->n++;
			grefuse(c, "`%s` is a sigstore attachment, not a simple signature", name);
			continue;
		}
		gcheck_one(c, data, dlen);
	}
	return 0;
}

int bw_verify_image_gpg(const char *refstr, struct bw_gpg_keyring *keyring,
			const struct bw_sign_opts *o, char **ret_json, struct bw_error **err)
{
	_cleanup_(image_freep) struct bw_image *img = NULL;
	_cleanup_free_ char *intended = NULL, *dir = NULL, *out = NULL, *n1 = NULL, *n2 = NULL;
	_cleanup_json_ json_t *verified = json_array();
	struct bw_sign_opts dflt;
	struct gverify c = { .keyring = keyring, .reasons = BW_BUF_INIT(8192) };
	int r = 0;

	o = sign_opts_or_default(o, &dflt);
	c.verified = verified;
	if (!verified)
		return bw_error_set(err, -ENOMEM, "out of memory");
	c.mode = o->match == BW_ID_REPOSITORY ? GID_REPOSITORY
		 : o->match == BW_ID_EXACT    ? GID_EXACT
					      : GID_DIGEST_OR_EXACT;
	if (o->identity) {
		r = dref_parse(o->identity, &n1, &n2, err);
		if (r < 0)
			return bw_error_wrap(err, "identity");
		/* A bare repository name asks for that repository. */
		if (o->match == BW_ID_COSIGN && !strcmp(n1, n2))
			c.mode = GID_REPOSITORY;
		c.intended = o->identity;
	}
	if (bw_startswith(refstr, "dir:")) {
		r = gverify_dir(&c, refstr + 4, err);
	} else {
		const struct bw_ref *ref;
		struct regd d;

		r = bw_image_open(refstr, &o->image, &img, err);
		if (r < 0)
			goto out;
		ref = bw_image_ref(img);
		if (ref->transport != BW_TRANSPORT_REGISTRY) {
			r = bw_error_set(err, -EOPNOTSUPP,
					 "GPG signatures are read for registry images and dir:, "
					 "not for `%s`",
					 ref->name);
			goto out;
		}
		c.digest = sign_image_digest(img);
		if (!c.digest) {
			r = bw_error_set(err, -EOPNOTSUPP, "`%s` has no manifest digest", refstr);
			goto out;
		}
		if (!c.intended) {
			intended = intended_ref(ref);
			if (!intended) {
				r = bw_error_set(err, -ENOMEM, "out of memory");
				goto out;
			}
			c.intended = intended;
		}
		r = regd_load(o->registries_d, &d, err);
		if (r < 0)
			goto out;
		r = lookaside_dir(&d, ref, c.digest, false, &dir, err);
		regd_free(&d);
		if (r < 0)
			goto out;
		bw_log(BW_LOG_DEBUG, "gpg: signatures of %s from %s", ref->name, dir);
		for (unsigned i = 1;; i++) {
			_cleanup_free_ char *sig = NULL;
			size_t n;

			r = lookaside_read(dir, i, o->image.timeout_sec, &sig, &n, err);
			if (r == -ENOENT) {
				r = 0;
				break;
			}
			if (r < 0)
				goto out;
			if (i > BW_MAX_LOOKASIDE_SIGNATURES) {
				r = bw_error_set(err, -E2BIG, "`%s` holds more than %u signatures",
						 dir, BW_MAX_LOOKASIDE_SIGNATURES);
				goto out;
			}
			gcheck_one(&c, sig, n);
		}
	}
	if (r < 0)
		goto out;
	if (json_array_size(verified) == 0) {
		r = c.n == 0 ? bw_error_set(err, -ENOENT, "no signatures found for `%s`%s%s",
					    refstr, dir ? " in " : "", dir ? dir : "")
			     : bw_error_set(err, -EKEYREJECTED,
					    "no valid signature for `%s` (%u checked): %s", refstr,
					    c.n, c.reasons.data ? c.reasons.data : "");
		goto out;
	}
	out = json_dumps(verified, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (!out) {
		r = bw_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	if (ret_json)
		*ret_json = TAKE_PTR(out);
	r = (int)json_array_size(verified);
out:
	bw_buf_done(&c.reasons);
	return r;
}
