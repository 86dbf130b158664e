/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cosign signatures beside an image: an OCI manifest at tag
 * `sha256-<hex>.sig` whose layers are simple-signing payloads, each with its
 * base64 signature in the `dev.cosignproject.cosign/signature` annotation.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "image/internal.h"
#include "sign/internal.h"

static void sig_store_freep(struct sig_store **s)
{
	*s = sig_store_free(*s);
}
static void image_freep(struct bw_image **i)
{
	*i = bw_image_free(*i);
}

const struct bw_sign_opts *sign_opts_or_default(const struct bw_sign_opts *o, struct bw_sign_opts *dflt)
{
	memset(dflt, 0, sizeof(*dflt));
	dflt->sz = sizeof(*dflt);
	dflt->image.sz = sizeof(dflt->image);
	if (!o)
		return dflt;
	memcpy(dflt, o, o->sz && o->sz < sizeof(*dflt) ? o->sz : sizeof(*dflt));
	return dflt;
}

/* The digest a signature names for img: the index's when the reference
 * resolved through one (cosign signs what the tag points at). */
const char *sign_image_digest(struct bw_image *img)
{
	const char *d = bw_image_index_digest(img);
	return d ? d : bw_image_manifest_digest(img);
}

/* "registry/repository" for a registry reference; the layout reference
 * without its tag otherwise. */
char *sign_default_identity(const struct bw_ref *ref)
{
	char *s = NULL;

	if (ref->transport == BW_TRANSPORT_REGISTRY) {
		if (asprintf(&s, "%s/%s", ref->registry, ref->repository) < 0)
			s = NULL;
	} else if (asprintf(&s, "oci:%s", ref->path) < 0) {
		s = NULL;
	}
	return s;
}

static void sig_tag(const char *digest, const char *suffix, char out[96])
{
	snprintf(out, 96, "sha256-%s.%s", digest + 7, suffix);
}

/* ---------------------------------------------------------------- identity */

/* Docker Hub's names are the same repository under three host names. */
static const char *hub_strip(const char *s)
{
	static const char *const hubs[] = { "docker.io/", "index.docker.io/",
					    "registry-1.docker.io/" };

	for (size_t i = 0; i < BW_ARRAY_SIZE(hubs); i++)
		if (bw_startswith(s, hubs[i]))
			return s + strlen(hubs[i]);
	return NULL;
}

/* Splits "repo[:tag][@digest]" into the repository's length and the tag. */
static size_t repo_len(const char *s, const char **ret_tag)
{
	size_t n = strcspn(s, "@");
	const char *slash, *colon;

	*ret_tag = NULL;
	slash = memrchr(s, '/', n);
	colon = memrchr(slash ? slash : s, ':', n - (size_t)((slash ? slash : s) - s));
	if (colon) {
		*ret_tag = colon + 1;
		return (size_t)(colon - s);
	}
	return n;
}

/*
 * matchRepoDigestOrExact as containers-policy.json(5) defines it, with
 * cosign's payloads (which name the repository only): the repositories must
 * be equal, and when the signed identity carries a tag, the tag of the
 * reference must be that tag.
 */
static bool identity_matches(const char *signed_id, const char *want, const char *want_tag,
			     enum bw_identity_match mode)
{
	const char *stag, *wtag_in;
	const char *a = hub_strip(signed_id), *b = hub_strip(want);
	size_t na, nb;

	if ((a == NULL) != (b == NULL)) {
		a = signed_id;
		b = want;
	} else if (!a) {
		a = signed_id;
		b = want;
	} else {
		/* docker.io/alpine and docker.io/library/alpine are one. */
		if (bw_startswith(a, "library/") && !bw_startswith(b, "library/"))
			a += 8;
		if (bw_startswith(b, "library/") && !bw_startswith(a, "library/"))
			b += 8;
	}
	na = repo_len(a, &stag);
	nb = repo_len(b, &wtag_in);
	if (na != nb || strncmp(a, b, na))
		return false;
	if (mode == BW_ID_REPOSITORY)
		return true;
	if (mode == BW_ID_EXACT)
		return !strcmp(a + na, b + nb);
	if (stag) {
		size_t tl = strcspn(stag, "@");
		const char *wt = want_tag ? want_tag : wtag_in;

		if (!wt || strlen(wt) != tl || strncmp(wt, stag, tl))
			return false;
	}
	return true;
}

/* ---------------------------------------------------------------- sign */

static int put_json_blob(struct sig_store *s, json_t *j, char digest[72], size_t *ret_size,
			 struct bw_error **err)
{
	_cleanup_free_ char *out = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);

	if (!out)
		return bw_error_set(err, -ENOMEM, "out of memory");
	bw_sha256_digest(out, strlen(out), digest);
	*ret_size = strlen(out);
	return sig_store_put_blob(s, digest, out, strlen(out), err);
}

/* The config cosign's signature images carry: an empty image config whose
 * rootfs lists the layers. */
static json_t *sig_config(json_t *layers)
{
	json_t *diff = json_array(), *l;
	size_t i;

	if (!diff)
		return NULL;
	json_array_foreach(layers, i, l)
		json_array_append(diff, json_object_get(l, "digest"));
	return json_pack("{s:s,s:s,s:s,s:[{s:s}],s:{s:s,s:o},s:{}}", "architecture", "",
			 "created", "0001-01-01T00:00:00Z", "os", "", "history", "created",
			 "0001-01-01T00:00:00Z", "rootfs", "type", "layers", "diff_ids", diff,
			 "config");
}

/*
 * Appends a layer (blob payload of media type mt, with annotations) to the
 * manifest at tag in s, creating it when missing, and writes it back. An
 * identical layer already there is left alone.
 */
int sign_append_layer(struct sig_store *s, const char *tag, const char *mt, const char *payload,
			json_t *annotations, struct bw_error **err)
{
	_cleanup_free_ char *old = NULL, *out = NULL;
	_cleanup_json_ json_t *m = NULL, *cfg = NULL;
	json_t *layers, *layer, *l;
	char pdigest[72], cdigest[72];
	size_t old_len, csize = 0, i;
	int r;

	bw_sha256_digest(payload, strlen(payload), pdigest);
	r = sig_store_put_blob(s, pdigest, payload, strlen(payload), err);
	if (r < 0)
		return r;

	r = sig_store_get_manifest(s, tag, &old, &old_len, err);
	if (r < 0 && r != -ENOENT)
		return r;
	if (r == 0) {
		m = json_loadb(old, old_len, 0, NULL);
		if (!json_is_object(m) || !json_is_array(json_object_get(m, "layers")))
			return bw_error_set(err, -EBADMSG,
					    "the existing `%s` is not an image manifest; refusing "
					    "to replace it",
					    tag);
	} else {
		m = json_pack("{s:i,s:s,s:{},s:[]}", "schemaVersion", 2, "mediaType",
			      MT_OCI_MANIFEST_V1, "config", "layers");
		if (!m)
			return bw_error_set(err, -ENOMEM, "out of memory");
	}
	layers = json_object_get(m, "layers");
	if (json_array_size(layers) >= BW_MAX_SIGNATURES)
		return bw_error_set(err, -E2BIG, "`%s` already holds %zu signatures (at most %d)",
				    tag, json_array_size(layers), BW_MAX_SIGNATURES);
	json_array_foreach(layers, i, l) {
		if (!strcmp(json_str(l, "digest") ? json_str(l, "digest") : "", pdigest) &&
		    json_equal(json_object_get(l, "annotations"), annotations))
			return 0;
	}
	layer = json_pack("{s:s,s:I,s:s,s:O}", "mediaType", mt, "size",
			  (json_int_t)strlen(payload), "digest", pdigest, "annotations",
			  annotations);
	if (!layer || json_array_append_new(layers, layer) < 0)
		return bw_error_set(err, -ENOMEM, "out of memory");

	cfg = sig_config(layers);
	if (!cfg)
		return bw_error_set(err, -ENOMEM, "out of memory");
	r = put_json_blob(s, cfg, cdigest, &csize, err);
	if (r < 0)
		return r;
	if (json_object_set_new(m, "config",
				json_pack("{s:s,s:I,s:s}", "mediaType", MT_OCI_CONFIG_V1, "size",
					  (json_int_t)csize, "digest", cdigest)) < 0)
		return bw_error_set(err, -ENOMEM, "out of memory");
	out = json_dumps(m, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!out)
		return bw_error_set(err, -ENOMEM, "out of memory");
	return sig_store_put_manifest(s, tag, MT_OCI_MANIFEST_V1, out, strlen(out), err);
}

int bw_sign_image(const char *refstr, const struct bw_sign_key *key,
		  const struct bw_sign_opts *o, char **ret_digest, char **ret_sig_tag,
		  struct bw_error **err)
{
	_cleanup_(image_freep) struct bw_image *img = NULL;
	_cleanup_(sig_store_freep) struct sig_store *s = NULL;
	_cleanup_free_ char *identity = NULL, *payload = NULL, *sig = NULL, *digest = NULL,
			    *tagcopy = NULL;
	_cleanup_json_ json_t *ann = NULL;
	struct bw_sign_opts dflt;
	const struct bw_ref *ref;
	char tag[96];
	int r;

	o = sign_opts_or_default(o, &dflt);
	if (!bw_sign_key_is_private(key))
		return bw_error_set(err, -EINVAL, "signing needs a private key");
	r = bw_image_open(refstr, &o->image, &img, err);
	if (r < 0)
		return r;
	ref = bw_image_ref(img);
	if (!sign_image_digest(img))
		return bw_error_set(err, -EOPNOTSUPP, "`%s` has no manifest digest to sign",
				    ref->name);
	digest = strdup(sign_image_digest(img));
	identity = o->identity ? strdup(o->identity) : sign_default_identity(ref);
	if (!digest || !identity)
		return bw_error_set(err, -ENOMEM, "out of memory");
	r = sig_store_open(ref, &o->image, true, &s, err);
	if (r < 0)
		return r;
	r = bw_sign_payload_build(identity, digest, o->annotations, o->n_annotations, &payload,
				  err);
	if (r < 0)
		return r;
	r = bw_sign_blob(key, payload, strlen(payload), &sig, err);
	if (r < 0)
		return r;
	ann = json_pack("{s:s}", COSIGN_SIG_ANNOTATION, sig);
	if (!ann)
		return bw_error_set(err, -ENOMEM, "out of memory");
	sig_tag(digest, "sig", tag);
	r = sign_append_layer(s, tag, MT_COSIGN_SIMPLESIGNING, payload, ann, err);
	if (r < 0)
		return bw_error_wrap(err, "cannot attach the signature to `%s`", ref->name);
	if (ret_sig_tag) {
		tagcopy = strdup(tag);
		if (!tagcopy)
			return bw_error_set(err, -ENOMEM, "out of memory");
		*ret_sig_tag = TAKE_PTR(tagcopy);
	}
	if (ret_digest)
		*ret_digest = TAKE_PTR(digest);
	return 0;
}

/* ---------------------------------------------------------------- verify */

struct verify_ctx {
	const struct bw_sign_key *key;
	const struct bw_sign_opts *opts;
	const char *digest;    /* the image's */
	const char *identity;  /* required repository */
	const char *want_tag;  /* the reference's tag, or NULL */
	json_t *verified;      /* array of payloads */
	struct bw_buf reasons; /* why the others were refused */
	unsigned n;	       /* signatures seen */
};

#define refuse(c, ...) sign_refuse(&(c)->reasons, (c)->n, __VA_ARGS__)

/* Checks one signature: payload bytes (already matched to their digest)
 * and the base64 signature. */
static void check_one(struct verify_ctx *c, const char *payload, size_t len, const char *sig_b64)
{
	_cleanup_error_ struct bw_error *e = NULL;
	struct bw_sign_payload p = { 0 };
	json_t *pj;

	if (!sig_b64) {
		refuse(c, "no `%s` annotation", COSIGN_SIG_ANNOTATION);
		return;
	}
	if (bw_sign_verify_blob(c->key, payload, len, sig_b64, &e) < 0) {
		refuse(c, "%s", e->msg);
		return;
	}
	if (bw_sign_payload_parse(payload, len, &p, &e) < 0) {
		refuse(c, "%s", e->msg);
		return;
	}
	if (strcmp(p.type, COSIGN_SIG_TYPE)) {
		refuse(c, "payload type is `%.100s`, not `%s`", p.type, COSIGN_SIG_TYPE);
	} else if (strcmp(p.digest, c->digest)) {
		refuse(c, "payload names digest %.80s, not the image's %s", p.digest, c->digest);
	} else if (!identity_matches(p.identity, c->identity, c->want_tag, c->opts->match)) {
		refuse(c, "payload names `%.200s`, not `%s` (a signature for another repository)",
		       p.identity, c->identity);
	} else {
		for (size_t i = 0; i < c->opts->n_annotations; i++) {
			const char *a = c->opts->annotations[i], *eq = strchr(a, '=');
			bool found = false;

			for (size_t k = 0; eq && k < p.n_optional; k++)
				if (strlen(p.keys[k]) == (size_t)(eq - a) &&
				    !strncmp(p.keys[k], a, (size_t)(eq - a)) &&
				    !strcmp(p.values[k], eq + 1))
					found = true;
			if (!found) {
				refuse(c, "payload lacks the annotation `%s`", a);
				bw_sign_payload_done(&p);
				return;
			}
		}
		pj = json_loadb(payload, len, 0, NULL);
		if (pj)
			json_array_append_new(c->verified, pj);
	}
	bw_sign_payload_done(&p);
}

/* Verifies the layers of a `.sig` manifest. */
static int verify_manifest(struct verify_ctx *c, struct sig_store *s, const char *json, size_t len,
			   struct bw_error **err)
{
	_cleanup_json_ json_t *m = json_loadb(json, len, 0, NULL);
	json_t *layers, *l;
	size_t i;

	layers = json_is_object(m) ? json_object_get(m, "layers") : NULL;
	if (!json_is_array(layers))
		return bw_error_set(err, -EBADMSG, "the signature manifest is not an image manifest");
	if (json_array_size(layers) > BW_MAX_SIGNATURES)
		return bw_error_set(err, -E2BIG,
				    "the signature manifest has %zu layers, more than the %d "
				    "signatures we read",
				    json_array_size(layers), BW_MAX_SIGNATURES);
	json_array_foreach(layers, i, l) {
		_cleanup_free_ char *payload = NULL;
		_cleanup_error_ struct bw_error *e = NULL;
		const char *digest = json_str(l, "digest"), *mt = json_str(l, "mediaType");
		json_t *size = json_object_get(l, "size");
		char got[72];
		size_t plen;

		c->n++;
		if (!mt || strcmp(mt, MT_COSIGN_SIMPLESIGNING)) {
			refuse(c, "media type `%.100s` is not %s", mt ? mt : "", MT_COSIGN_SIMPLESIGNING);
			continue;
		}
		if (!digest || !bw_digest_valid(digest) || !json_is_integer(size) ||
		    json_integer_value(size) < 0 || json_integer_value(size) > BW_MAX_SIGN_PAYLOAD) {
			refuse(c, "bad layer descriptor (digest or size)");
			continue;
		}
		if (sig_store_get_blob(s, digest, BW_MAX_SIGN_PAYLOAD, &payload, &plen, &e) < 0) {
			refuse(c, "cannot fetch the payload: %s", e ? e->msg : "not found");
			continue;
		}
		bw_sha256_digest(payload, plen, got);
		if (strcmp(got, digest) || (json_int_t)plen != json_integer_value(size)) {
			refuse(c, "the payload blob does not match its digest or size");
			continue;
		}
		check_one(c, payload, plen,
			  json_str(json_object_get(l, "annotations"), COSIGN_SIG_ANNOTATION));
	}
	return 0;
}

/* ------------------------------------------------ containers/image dir: */

/* A `dir:` reference that holds a manifest.json: containers/image's dir
 * transport, with sigstore attachments in signature-N files. */
static bool is_containers_dir(const char *refstr, const char **ret_path)
{
	const char *p;
	char buf[4096];
	struct stat st;

	if (!bw_startswith(refstr, "dir:"))
		return false;
	p = refstr + 4;
	snprintf(buf, sizeof(buf), "%s/manifest.json", p);
	if (stat(buf, &st) < 0 || !S_ISREG(st.st_mode)) {
		/* A dir: with signature files but no manifest is this format
		 * too, and fails for the missing manifest. */
		snprintf(buf, sizeof(buf), "%s/signature-1", p);
		if (stat(buf, &st) < 0)
			return false;
	}
	*ret_path = p;
	return true;
}

#define SIGSTORE_PREFIX "\0sigstore-json\n"

static int verify_containers_dir(struct verify_ctx *c, const char *path, struct bw_error **err)
{
	_cleanup_close_ int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_free_ char *manifest = NULL;
	char digest[72];
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
	bw_sha256_digest(manifest, len, digest);
	c->digest = digest;
	for (unsigned i = 1; i <= BW_MAX_SIGNATURES + 1; i++) {
		_cleanup_free_ char *data = NULL, *payload = NULL;
		_cleanup_error_ struct bw_error *e = NULL;
		_cleanup_json_ json_t *j = NULL;
		char name[32];
		const char *mt, *b64;
		size_t dlen, plen;

		snprintf(name, sizeof(name), "signature-%u", i);
		fd = open_beneath(dfd, name);
		if (fd == -ENOENT)
			break;
		if (i > BW_MAX_SIGNATURES)
			return bw_error_set(err, -E2BIG, "`%s` has more than %d signatures", path,
					    BW_MAX_SIGNATURES);
		c->n++;
		if (fd < 0) {
			refuse(c, "cannot open `%s`: %s", name, strerror(-fd));
			continue;
		}
		r = bw_read_fd(fd, name, BW_MAX_SIGN_PAYLOAD * 2, &data, &dlen, &e);
		close(fd);
		if (r < 0) {
			refuse(c, "%s", e->msg);
			continue;
		}
		if (dlen < sizeof(SIGSTORE_PREFIX) - 1 ||
		    memcmp(data, SIGSTORE_PREFIX, sizeof(SIGSTORE_PREFIX) - 1)) {
			refuse(c, "`%s` is not a sigstore signature", name);
			continue;
		}
		j = json_loadb(data + sizeof(SIGSTORE_PREFIX) - 1,
			       dlen - (sizeof(SIGSTORE_PREFIX) - 1), JSON_REJECT_DUPLICATES, NULL);
		mt = json_is_object(j) ? json_str(j, "mimeType") : NULL;
		b64 = json_is_object(j) ? json_str(j, "payload") : NULL;
		if (!mt || strcmp(mt, MT_COSIGN_SIMPLESIGNING)) {
			refuse(c, "`%s` has media type `%.100s`, not %s", name, mt ? mt : "",
			       MT_COSIGN_SIMPLESIGNING);
			continue;
		}
		if (!b64 || sign_b64_decode(b64, strlen(b64), BW_MAX_SIGN_PAYLOAD,
					    (unsigned char **)&payload, &plen) < 0) {
			refuse(c, "`%s` has no base64 payload", name);
			continue;
		}
		check_one(c, payload, plen,
			  json_str(json_object_get(j, "annotations"), COSIGN_SIG_ANNOTATION));
	}
	return 0;
}

/* ---------------------------------------------------------------- entry */

int bw_verify_image(const char *refstr, const struct bw_sign_key *key,
		    const struct bw_sign_opts *o, char **ret_json, struct bw_error **err)
{
	_cleanup_(image_freep) struct bw_image *img = NULL;
	_cleanup_(sig_store_freep) struct sig_store *s = NULL;
	_cleanup_free_ char *identity = NULL, *manifest = NULL, *out = NULL;
	_cleanup_json_ json_t *verified = json_array();
	struct bw_sign_opts dflt;
	struct verify_ctx c = { .key = key, .reasons = BW_BUF_INIT(8192) };
	const char *dirpath;
	char tag[96];
	size_t len;
	int r;

	o = sign_opts_or_default(o, &dflt);
	c.opts = o;
	c.verified = verified;
	if (!verified)
		return bw_error_set(err, -ENOMEM, "out of memory");

	if (is_containers_dir(refstr, &dirpath)) {
		if (!o->identity)
			return bw_error_set(err, -EINVAL,
					    "`%s` has no name: give the identity to require "
					    "(--identity)",
					    refstr);
		c.identity = o->identity;
		r = verify_containers_dir(&c, dirpath, err);
	} else {
		r = bw_image_open(refstr, &o->image, &img, err);
		if (r < 0)
			return r;
		if (!sign_image_digest(img))
			return bw_error_set(err, -EOPNOTSUPP, "`%s` has no manifest digest",
					    refstr);
		c.digest = sign_image_digest(img);
		identity = o->identity ? strdup(o->identity) : sign_default_identity(bw_image_ref(img));
		if (!identity)
			return bw_error_set(err, -ENOMEM, "out of memory");
		c.identity = identity;
		c.want_tag = o->identity ? NULL : bw_image_ref(img)->tag;
		r = sig_store_open(bw_image_ref(img), &o->image, false, &s, err);
		if (r < 0)
			return r;
		sig_tag(c.digest, "sig", tag);
		r = sig_store_get_manifest(s, tag, &manifest, &len, err);
		if (r == -ENOENT) {
			bw_buf_done(&c.reasons);
			return bw_error_set(err, -ENOENT, "no signatures found for `%s` (no `%s`)",
					    refstr, tag);
		}
		if (r == 0)
			r = verify_manifest(&c, s, manifest, len, err);
	}
	if (r < 0) {
		bw_buf_done(&c.reasons);
		return r;
	}
	if (json_array_size(verified) == 0) {
		r = c.n == 0 ? bw_error_set(err, -ENOENT, "no signatures found for `%s`", refstr)
			     : bw_error_set(err, -EKEYREJECTED,
					    "no valid signature for `%s` (%u checked): %s", refstr,
					    c.n, c.reasons.data ? c.reasons.data : "");
		bw_buf_done(&c.reasons);
		return r;
	}
	bw_buf_done(&c.reasons);
	out = json_dumps(verified, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (!out)
		return bw_error_set(err, -ENOMEM, "out of memory");
	if (ret_json)
		*ret_json = TAKE_PTR(out);
	return (int)json_array_size(verified);
}
