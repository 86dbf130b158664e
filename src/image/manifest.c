/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>
#include <sys/utsname.h>

#include "image/internal.h"

const char *json_str(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static const char *norm_arch(const char *a)
{
	if (!strcmp(a, "x86_64") || !strcmp(a, "x86-64"))
		return "amd64";
	if (!strcmp(a, "aarch64"))
		return "arm64";
	if (!strcmp(a, "i386") || !strcmp(a, "i686"))
		return "386";
	if (!strcmp(a, "armhf") || !strcmp(a, "armel"))
		return "arm";
	return a;
}

const char *host_platform(void)
{
	static char buf[64];
	struct utsname u;

	if (!buf[0]) {
		if (uname(&u) < 0)
			strcpy(buf, "linux/amd64");
		else
			snprintf(buf, sizeof(buf), "linux/%s", norm_arch(u.machine));
	}
	return buf;
}

struct platform {
	char os[32], arch[32], variant[32];
};

static int platform_parse(const char *s, struct platform *p, struct bw_error **err)
{
	char tmp[128];
	char *a, *v;

	if (strlen(s) >= sizeof(tmp))
		return bw_error_set(err, -EINVAL, "bad platform `%s`", s);
	strcpy(tmp, s);
	a = strchr(tmp, '/');
	if (!a || !a[1] || a == tmp)
		return bw_error_set(err, -EINVAL, "bad platform `%s`: expected os/arch[/variant]", s);
	*a++ = 0;
	v = strchr(a, '/');
	if (v)
		*v++ = 0;
	if (strlen(tmp) >= sizeof(p->os) || strlen(a) >= sizeof(p->arch) ||
	    (v && strlen(v) >= sizeof(p->variant)))
		return bw_error_set(err, -EINVAL, "bad platform `%s`", s);
	strcpy(p->os, tmp);
	strcpy(p->arch, norm_arch(a));
	strcpy(p->variant, v ? v : "");
	return 0;
}

static bool platform_matches(json_t *plat, const struct platform *want)
{
	const char *os = json_str(plat, "os"), *arch = json_str(plat, "architecture");
	const char *variant = json_str(plat, "variant");

	if (!os || !arch || strcmp(os, want->os) || strcmp(norm_arch(arch), want->arch))
		return false;
	if (!want->variant[0])
		return true;
	if (!variant || !*variant)
		/* arm64 without a variant is v8, as docker and containerd treat it. */
		return !strcmp(want->arch, "arm64") && !strcmp(want->variant, "v8");
	return !strcmp(variant, want->variant);
}

static bool is_index_type(const char *mt)
{
	return mt && (!strcmp(mt, MT_OCI_INDEX) || !strcmp(mt, MT_DOCKER_LIST));
}

/* A tag cosign gives to what it attaches to an image (`sha256-<hex>.sig`,
 * `.att`, `.sbom`): not an image of the layout's own. */
static bool is_cosign_tag(const char *ref)
{
	const char *dot;

	if (!ref || strncmp(ref, "sha256-", 7) || strlen(ref) < 7 + 64 + 4)
		return false;
	if (strspn(ref + 7, "0123456789abcdef") != 64)
		return false;
	dot = ref + 7 + 64;
	return !strcmp(dot, ".sig") || !strcmp(dot, ".att") || !strcmp(dot, ".sbom");
}

int index_select(const char *json, size_t len, const char *what, const char *tag, const char *platform,
		 char **ret_digest, char **ret_media_type, int64_t *ret_size, struct bw_error **err)
{
	json_t *root, *mans, *m;
	json_error_t je;
	struct platform want;
	struct bw_buf avail = BW_BUF_INIT(4096);
	size_t i, candidates = 0, chosen = SIZE_MAX, tagged = 0;
	int r;

	r = platform_parse(platform ? platform : host_platform(), &want, err);
	if (r < 0)
		return r;
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return bw_error_set(err, -EINVAL, "%s is not valid JSON: %s (line %d)", what, je.text, je.line);
	mans = json_object_get(root, "manifests");
	if (!json_is_array(mans)) {
		json_decref(root);
		return bw_error_set(err, -EINVAL, "%s has no `manifests` array", what);
	}
	if (json_array_size(mans) > BW_MAX_MANIFESTS_IN_INDEX) {
		json_decref(root);
		return bw_error_set(err, -E2BIG, "%s lists more than %d manifests", what, BW_MAX_MANIFESTS_IN_INDEX);
	}
	/* Untagged, the signatures and attestations cosign (and bulwark sign)
	 * add to a layout are not candidates: signing a one-image layout must
	 * not make it ambiguous. */
	size_t n_images = 0;
	json_array_foreach(mans, i, m)
	{
		json_t *a = json_object_get(m, "annotations");
		if (tag || !is_cosign_tag(a ? json_str(a, "org.opencontainers.image.ref.name") : NULL))
			n_images++;
	}
	json_array_foreach(mans, i, m)
	{
		const char *d = json_str(m, "digest"), *mt = json_str(m, "mediaType");
		json_t *ann = json_object_get(m, "annotations"), *plat = json_object_get(m, "platform");
		const char *ref = ann ? json_str(ann, "org.opencontainers.image.ref.name") : NULL;

		if (!json_is_object(m) || !d) {
			json_decref(root);
			bw_buf_done(&avail);
			return bw_error_set(err, -EINVAL, "%s: entry %zu has no digest", what, i);
		}
		if (tag) {
			if (!ref || strcmp(ref, tag))
				continue;
			tagged++;
		} else if (is_cosign_tag(ref)) {
			continue;
		}
		if (json_is_object(plat)) {
			const char *os = json_str(plat, "os"), *arch = json_str(plat, "architecture");
			const char *var = json_str(plat, "variant");
			if (os && arch && strcmp(os, "unknown"))
				bw_buf_printf(&avail, "%s%s/%s%s%s", avail.len ? ", " : "", os, arch,
					      var ? "/" : "", var ? var : "");
			if (!platform_matches(plat, &want))
				continue;
		} else if (is_index_type(mt) || !tag) {
			/* No platform: only a tagged layout entry may be taken as is. */
			if (!tag && n_images > 1 && !is_index_type(mt))
				continue;
		}
		candidates++;
		if (chosen == SIZE_MAX)
			chosen = i;
	}
	if (chosen == SIZE_MAX) {
		if (tag && tagged == 0)
			r = bw_error_set(err, -ENOENT, "%s has no image tagged `%s`", what, tag);
		else if (avail.len)
			r = bw_error_set(err, -ENOENT, "%s has no image for platform %s (available: %s)", what,
					 platform ? platform : host_platform(), avail.data);
		else
			r = bw_error_set(err, -ENOENT, "%s lists no usable image%s", what,
					 tag ? "" : "; name one with :TAG");
		json_decref(root);
		bw_buf_done(&avail);
		return r;
	}
	m = json_array_get(mans, chosen);
	const char *d = json_str(m, "digest"), *mt = json_str(m, "mediaType");
	if (!bw_digest_valid(d)) {
		r = bw_error_set(err, -EINVAL, "%s: unsupported or malformed digest `%s`", what, d);
		json_decref(root);
		bw_buf_done(&avail);
		return r;
	}
	json_t *sz = json_object_get(m, "size");
	*ret_size = json_is_integer(sz) && json_integer_value(sz) >= 0 ? json_integer_value(sz) : -1;
	*ret_digest = strdup(d);
	*ret_media_type = mt ? strdup(mt) : NULL;
	json_decref(root);
	bw_buf_done(&avail);
	(void)candidates;
	return 0;
}

/* ---------------------------------------------------------------- manifest */

static bool layer_type_ok(const char *mt)
{
	static const char *ok[] = {
		"application/vnd.oci.image.layer.v1.tar",
		"application/vnd.oci.image.layer.v1.tar+gzip",
		"application/vnd.oci.image.layer.v1.tar+zstd",
		"application/vnd.oci.image.layer.nondistributable.v1.tar",
		"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
		"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
		"application/vnd.docker.image.rootfs.diff.tar.gzip",
		"application/vnd.docker.image.rootfs.diff.tar",
		"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
	};

	for (size_t i = 0; i < BW_ARRAY_SIZE(ok); i++)
		if (!strcmp(mt, ok[i]))
			return true;
	return false;
}

static int descriptor(json_t *d, const char *what, const char **ret_digest, const char **ret_mt,
		      int64_t *ret_size, struct bw_error **err)
{
	const char *dig = json_str(d, "digest"), *mt = json_str(d, "mediaType");
	json_t *size = json_object_get(d, "size");

	if (!json_is_object(d))
		return bw_error_set(err, -EINVAL, "%s is not an object", what);
	if (!dig)
		return bw_error_set(err, -EINVAL, "%s has no digest", what);
	if (!bw_digest_valid(dig))
		return bw_error_set(err, -EINVAL, "%s: unsupported or malformed digest `%s`", what, dig);
	if (!json_is_integer(size) || json_integer_value(size) < 0)
		return bw_error_set(err, -EINVAL, "%s %s: missing or negative size", what, dig);
	*ret_digest = dig;
	*ret_mt = mt;
	*ret_size = json_integer_value(size);
	return 0;
}

int image_parse_manifest(struct bw_image *img, const char *json, size_t len, struct bw_error **err)
{
	json_t *root, *layers, *l;
	json_error_t je;
	const char *dig, *mt;
	int64_t size;
	size_t i;
	int r;

	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return bw_error_set(err, -EINVAL, "manifest is not valid JSON: %s (line %d)", je.text, je.line);
	if (!json_is_object(root)) {
		json_decref(root);
		return bw_error_set(err, -EINVAL, "manifest is not a JSON object");
	}
	json_t *sv = json_object_get(root, "schemaVersion");
	if (json_is_integer(sv) && json_integer_value(sv) == 1) {
		json_decref(root);
		return bw_error_set(err, -ENOTSUP, "Docker schema 1 manifests are deprecated and not supported");
	}
	r = descriptor(json_object_get(root, "config"), "manifest config", &dig, &mt, &size, err);
	if (r < 0)
		goto out;
	if (mt && strcmp(mt, "application/vnd.oci.image.config.v1+json") &&
	    strcmp(mt, "application/vnd.docker.container.image.v1+json")) {
		r = bw_error_set(err, -ENOTSUP, "not a container image: config media type `%s`", mt);
		goto out;
	}
	if ((uint64_t)size > BW_MAX_CONFIG_SIZE) {
		r = bw_error_set(err, -EFBIG, "config %s declares %lld bytes, over the limit", dig, (long long)size);
		goto out;
	}
	free(img->config_digest);
	img->config_digest = strdup(dig);
	img->config_size = size;
	layers = json_object_get(root, "layers");
	if (!json_is_array(layers)) {
		r = bw_error_set(err, -EINVAL, "manifest has no `layers` array");
		goto out;
	}
	if (json_array_size(layers) > BW_MAX_LAYERS) {
		r = bw_error_set(err, -E2BIG, "manifest lists more than %d layers", BW_MAX_LAYERS);
		goto out;
	}
	img->layers = calloc(json_array_size(layers) + 1, sizeof(*img->layers));
	img->verify = calloc(json_array_size(layers) + 1, sizeof(*img->verify));
	if (!img->layers || !img->verify || !img->config_digest) {
		r = bw_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	json_array_foreach(layers, i, l)
	{
		char what[32];
		snprintf(what, sizeof(what), "layer %zu", i + 1);
		r = descriptor(l, what, &dig, &mt, &size, err);
		if (r < 0)
			goto out;
		if (!mt || !layer_type_ok(mt)) {
			r = bw_error_set(err, -ENOTSUP, "not a container image: layer %zu has media type `%s`", i + 1,
					 mt ? mt : "(none)");
			goto out;
		}
		img->layers[i].digest = strdup(dig);
		img->layers[i].media_type = strdup(mt);
		img->layers[i].size = size;
		img->verify[i] = VERIFY_BLOB;
		img->n_layers++;
		if (!img->layers[i].digest || !img->layers[i].media_type) {
			r = bw_error_set(err, -ENOMEM, "out of memory");
			goto out;
		}
	}
	r = 0;
out:
	json_decref(root);
	return r;
}

int image_parse_config(struct bw_image *img, struct bw_error **err)
{
	json_t *root, *rootfs, *ids, *id;
	json_error_t je;
	const char *os, *arch, *variant;
	size_t i;
	int r = 0;

	root = json_loads(img->config_json, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return bw_error_set(err, -EINVAL, "config %s is not valid JSON: %s (line %d)",
				    img->config_digest ? img->config_digest : "", je.text, je.line);
	if (!json_is_object(root)) {
		json_decref(root);
		return bw_error_set(err, -EINVAL, "config is not a JSON object");
	}
	os = json_str(root, "os");
	arch = json_str(root, "architecture");
	variant = json_str(root, "variant");
	if (os && arch) {
		free(img->platform);
		if (asprintf(&img->platform, "%s/%s%s%s", os, arch, variant ? "/" : "", variant ? variant : "") < 0)
			img->platform = NULL;
	}
	rootfs = json_object_get(root, "rootfs");
	ids = json_object_get(rootfs, "diff_ids");
	if (!json_is_array(ids)) {
		json_decref(root);
		return bw_error_set(err, -EINVAL, "config has no rootfs.diff_ids");
	}
	if (json_array_size(ids) != img->n_layers) {
		r = bw_error_set(err, -EINVAL, "config lists %zu diff_ids but the manifest %zu layers",
				 json_array_size(ids), img->n_layers);
		json_decref(root);
		return r;
	}
	json_array_foreach(ids, i, id)
	{
		const char *s = json_string_value(id);
		if (!s || !bw_digest_valid(s)) {
			r = bw_error_set(err, -EINVAL, "config: diff_id %zu is not a sha256 digest", i + 1);
			break;
		}
		free(img->layers[i].diff_id);
		img->layers[i].diff_id = strdup(s);
		if (!img->layers[i].diff_id) {
			r = bw_error_set(err, -ENOMEM, "out of memory");
			break;
		}
	}
	json_decref(root);
	return r;
}

/* The document's own mediaType wins over what a transport says, as long as
 * one of them says something. */
static const char *doc_media_type(json_t *root, const char *transport_mt)
{
	const char *mt = json_str(root, "mediaType");

	if (mt)
		return mt;
	if (transport_mt && *transport_mt)
		return transport_mt;
	if (json_object_get(root, "manifests"))
		return MT_OCI_INDEX;
	return MT_OCI_MANIFEST;
}

int image_resolve(struct bw_image *img, const char *tag_or_digest, int64_t size, struct bw_error **err)
{
	_cleanup_free_ char *want = NULL;
	int r;

	want = strdup(tag_or_digest);
	if (!want)
		return bw_error_set(err, -ENOMEM, "out of memory");
	for (int depth = 0;; depth++) {
		_cleanup_free_ char *body = NULL, *mt = NULL, *child = NULL, *child_mt = NULL;
		size_t len = 0;
		char digest[72];
		json_t *root;
		json_error_t je;

		if (depth > BW_MAX_INDEX_DEPTH)
			return bw_error_set(err, -ELOOP, "indexes nested deeper than %d", BW_MAX_INDEX_DEPTH);
		r = img->ops->get_manifest(img, want, &body, &len, &mt, err);
		if (r < 0)
			return r;
		if (len > BW_MAX_MANIFEST_SIZE)
			return bw_error_set(err, -EFBIG, "manifest `%s` is larger than %u bytes", want,
					    BW_MAX_MANIFEST_SIZE);
		bw_sha256_digest(body, len, digest);
		if (bw_startswith(want, "sha256:") && strcmp(want, digest))
			return bw_error_set(err, -EBADMSG, "manifest %s: content has digest %s (corrupt or tampered)",
					    want, digest);
		if (size >= 0 && (uint64_t)size != len)
			return bw_error_set(err, -EBADMSG, "manifest %s has %zu bytes, its descriptor declares %lld",
					    want, len, (long long)size);
		root = json_loadb(body, len, 0, &je);
		if (!root || !json_is_object(root)) {
			json_decref(root);
			return bw_error_set(err, -EINVAL, "manifest `%s` is not a JSON object%s%s", want,
					    root ? "" : ": ", root ? "" : je.text);
		}
		const char *dmt = doc_media_type(root, mt);
		bool is_index = is_index_type(dmt);
		char *dmt_copy = strdup(dmt);
		json_decref(root);
		if (!dmt_copy)
			return bw_error_set(err, -ENOMEM, "out of memory");
		if (is_index) {
			free(dmt_copy);
			if (!img->index_digest)
				img->index_digest = strdup(digest);
			r = index_select(body, len, "index", NULL, img->opts.platform, &child, &child_mt, &size, err);
			if (r < 0)
				return bw_error_wrap(err, "index %s", digest);
			free(want);
			want = TAKE_PTR(child);
			continue;
		}
		free(img->manifest_media_type);
		img->manifest_media_type = dmt_copy;
		img->manifest_digest = strdup(digest);
		img->manifest_json = TAKE_PTR(body);
		r = image_parse_manifest(img, img->manifest_json, len, err);
		if (r < 0)
			return bw_error_wrap(err, "manifest %s", digest);
		break;
	}

	/* The config. */
	{
		_cleanup_free_ char *cfg = NULL;
		size_t len = 0;
		char digest[72];

		r = img->ops->get_blob(img, img->config_digest, BW_MAX_CONFIG_SIZE, &cfg, &len, err);
		if (r < 0)
			return bw_error_wrap(err, "config %s", img->config_digest);
		bw_sha256_digest(cfg, len, digest);
		if (strcmp(digest, img->config_digest))
			return bw_error_set(err, -EBADMSG, "config %s: content has digest %s (corrupt or tampered)",
					    img->config_digest, digest);
		if ((uint64_t)img->config_size != len)
			return bw_error_set(err, -EBADMSG, "config %s has %zu bytes, the manifest declares %lld",
					    img->config_digest, len, (long long)img->config_size);
		img->config_json = TAKE_PTR(cfg);
	}
	r = image_parse_config(img, err);
	if (r < 0)
		return r;
	/* Asked for a platform the (single-platform) image is not: say so, as
	 * docker pull --platform does, rather than scan the wrong thing. */
	if (img->opts.platform && img->platform) {
		struct platform asked;
		json_t *cfg = json_loads(img->config_json, 0, NULL);
		bool ok;

		r = platform_parse(img->opts.platform, &asked, err);
		if (r < 0) {
			json_decref(cfg);
			return r;
		}
		ok = platform_matches(cfg, &asked);
		json_decref(cfg);
		if (!ok)
			return bw_error_set(err, -ENOENT, "image is for %s, not for the requested platform %s",
					    img->platform, img->opts.platform);
	}
	return 0;
}
