/* SPDX-License-Identifier: Apache-2.0 */
/*
 * containers-policy.json(5): which images a host accepts. The policy names
 * requirements per transport and scope; the most specific scope that
 * matches the image decides, and all of its requirements must hold.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "image/internal.h"
#include "sign/internal.h"

static int reject(char **ret_reason, const char *fmt, ...) BW_PRINTF(2, 3);
static int reject(char **ret_reason, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	*ret_reason = s;
	return 0;
}

/* ---------------------------------------------------------------- scopes */

/* The requirements for ref: the most specific scope of its transport. */
static json_t *find_requirements(json_t *policy, const struct bw_ref *ref, const char *path,
				 const char **ret_scope)
{
	json_t *transports = json_object_get(policy, "transports"), *t, *r;
	const char *tname = ref->transport == BW_TRANSPORT_REGISTRY	 ? "docker"
			    : ref->transport == BW_TRANSPORT_OCI_LAYOUT ? "oci"
									  : "dir";
	char buf[PATH_MAX + 256];

	t = json_is_object(transports) ? json_object_get(transports, tname) : NULL;
	if (json_is_object(t)) {
		if (ref->transport == BW_TRANSPORT_REGISTRY) {
			char *slash, *dot;

			/* host/repo:tag (or @digest), host/repo, its namespaces, host. */
			snprintf(buf, sizeof(buf), "%s/%s%s%s", ref->registry, ref->repository,
				 ref->digest ? "@" : ref->tag ? ":" : "",
				 ref->digest ? ref->digest : ref->tag ? ref->tag : "");
			if ((r = json_object_get(t, buf)))
				goto found;
			snprintf(buf, sizeof(buf), "%s/%s", ref->registry, ref->repository);
			for (;;) {
				if ((r = json_object_get(t, buf)))
					goto found;
				slash = strrchr(buf, '/');
				if (!slash)
					break;
				*slash = 0;
			}
			/* *.example.com for sub.example.com, then wider. */
			for (dot = strchr(ref->registry, '.'); dot; dot = strchr(dot + 1, '.')) {
				snprintf(buf, sizeof(buf), "*%s", dot);
				if ((r = json_object_get(t, buf)))
					goto found;
			}
		} else if (path) {
			char *slash;

			/* As containers/image: a layout's identity is its
			 * resolved directory, without the tag ("dir:" and
			 * "dir:tag" may name the same image). */
			snprintf(buf, sizeof(buf), "%s", path);
			for (;;) {
				if ((r = json_object_get(t, buf)))
					goto found;
				slash = strrchr(buf, '/');
				if (!slash || slash == buf)
					break;
				*slash = 0;
			}
			if ((r = json_object_get(t, "/")))
				goto found;
		}
		if ((r = json_object_get(t, ""))) {
			*ret_scope = "";
			return r;
		}
	}
	*ret_scope = NULL;
	return json_object_get(policy, "default");
found:
	*ret_scope = json_object_iter_key(json_object_iter_at(t, buf));
	return r;
}

/* ---------------------------------------------------------------- sigstore */

static int load_keys(json_t *req, struct bw_sign_key **ret, size_t *n, size_t max,
		     struct bw_error **err)
{
	const char *path = json_str(req, "keyPath"), *data = json_str(req, "keyData");
	json_t *paths = json_object_get(req, "keyPaths"), *v;
	int given = !!path + !!data + !!paths, r;
	size_t i;

	*n = 0;
	if (given != 1)
		return bw_error_set(err, -EINVAL,
				    "sigstoreSigned needs exactly one of keyPath, keyPaths, keyData "
				    "(Fulcio and PKI are not supported)");
	if (data) {
		_cleanup_free_ unsigned char *pem = NULL;
		size_t len;

		if (sign_b64_decode(data, strlen(data), BW_MAX_SIGN_KEY_FILE, &pem, &len) < 0)
			return bw_error_set(err, -EINVAL, "sigstoreSigned keyData is not base64");
		r = bw_sign_key_load_public((char *)pem, len, &ret[0], err);
		if (r < 0)
			return bw_error_wrap(err, "sigstoreSigned keyData");
		*n = 1;
		return 0;
	}
	if (path) {
		_cleanup_free_ char *pem = NULL;
		size_t len;

		r = bw_read_file(path, BW_MAX_SIGN_KEY_FILE, &pem, &len, err);
		if (r == 0)
			r = bw_sign_key_load_public(pem, len, &ret[0], err);
		if (r < 0)
			return bw_error_wrap(err, "sigstoreSigned keyPath `%s`", path);
		*n = 1;
		return 0;
	}
	if (!json_is_array(paths) || json_array_size(paths) == 0 || json_array_size(paths) > max)
		return bw_error_set(err, -EINVAL, "sigstoreSigned keyPaths must list 1 to %zu files",
				    max);
	json_array_foreach(paths, i, v) {
		_cleanup_free_ char *pem = NULL;
		size_t len;

		if (!json_is_string(v))
			return bw_error_set(err, -EINVAL, "sigstoreSigned keyPaths: not a string");
		r = bw_read_file(json_string_value(v), BW_MAX_SIGN_KEY_FILE, &pem, &len, err);
		if (r == 0)
			r = bw_sign_key_load_public(pem, len, &ret[i], err);
		if (r < 0)
			return bw_error_wrap(err, "sigstoreSigned keyPaths `%s`",
					     json_string_value(v));
		(*n)++;
	}
	return 0;
}

/*
 * Works out what signedIdentity asks for, for an image whose docker
 * reference is docker_ref (NULL when the transport has none): the identity
 * to verify against and how. 1 when set, 0 when the image can never match
 * (*why set), -EINVAL for an invalid signedIdentity.
 */
static int signed_identity(json_t *si, const struct bw_ref *ref, const char *docker_ref,
			   const char *docker_repo, char **ret_id, enum bw_identity_match *ret_mode,
			   const char **why, struct bw_error **err)
{
	const char *type = si ? json_str(si, "type") : "matchRepoDigestOrExact";
	char *id = NULL;

	if (si && !json_is_object(si))
		return bw_error_set(err, -EINVAL, "signedIdentity is not an object");
	if (!type)
		return bw_error_set(err, -EINVAL, "signedIdentity has no type");
	if (!strcmp(type, "exactReference") || !strcmp(type, "exactRepository")) {
		bool repo = !strcmp(type, "exactRepository");
		const char *v = json_str(si, repo ? "dockerRepository" : "dockerReference");

		if (!v)
			return bw_error_set(err, -EINVAL, "%s needs %s", type,
					    repo ? "dockerRepository" : "dockerReference");
		id = strdup(v);
		*ret_mode = repo ? BW_ID_REPOSITORY : BW_ID_EXACT;
	} else if (!strcmp(type, "matchRepoDigestOrExact") || !strcmp(type, "matchRepository") ||
		   !strcmp(type, "matchExact") || !strcmp(type, "remapIdentity")) {
		if (!docker_ref) {
			*why = "the image has no docker reference to match the signed identity "
			       "against";
			return 0;
		}
		if (!strcmp(type, "matchRepository")) {
			id = strdup(docker_repo);
			*ret_mode = BW_ID_REPOSITORY;
		} else if (!strcmp(type, "matchExact")) {
			if (ref->digest) {
				*why = "matchExact never matches a reference by digest";
				return 0;
			}
			id = strdup(docker_ref);
			*ret_mode = BW_ID_EXACT;
		} else {
			const char *base = docker_ref;
			_cleanup_free_ char *remapped = NULL;

			if (!strcmp(type, "remapIdentity")) {
				const char *prefix = json_str(si, "prefix");
				const char *signed_prefix = json_str(si, "signedPrefix");
				size_t n;

				if (!prefix || !signed_prefix)
					return bw_error_set(err, -EINVAL,
							    "remapIdentity needs prefix and "
							    "signedPrefix");
				n = strlen(prefix);
				if (!strncmp(docker_ref, prefix, n) &&
				    (strchr("/:@", docker_ref[n]) || !docker_ref[n] ||
				     (n && prefix[n - 1] == '/'))) {
					if (asprintf(&remapped, "%s%s", signed_prefix,
						     docker_ref + n) < 0)
						return bw_error_set(err, -ENOMEM, "out of memory");
					base = remapped;
				}
			}
			/* matchRepoDigestOrExact: by digest, the repository; by
			 * tag, exactly. */
			if (ref->digest) {
				id = strndup(base, strcspn(base, "@"));
				*ret_mode = BW_ID_REPOSITORY;
			} else {
				id = strdup(base);
				*ret_mode = BW_ID_EXACT;
			}
		}
	} else {
		return bw_error_set(err, -EINVAL, "unknown signedIdentity type `%s`", type);
	}
	if (!id)
		return bw_error_set(err, -ENOMEM, "out of memory");
	*ret_id = id;
	return 1;
}

static int check_sigstore(json_t *req, const char *refstr, const struct bw_ref *ref,
			  const char *docker_ref, const char *docker_repo,
			  const struct bw_policy_opts *popts, char **ret_reason,
			  struct bw_error **err)
{
	_cleanup_free_ char *id = NULL;
	struct bw_sign_key *keys[16] = { 0 };
	struct bw_sign_opts so = { .sz = sizeof(so) };
	const char *why = NULL;
	size_t n = 0;
	int r;

	r = signed_identity(json_object_get(req, "signedIdentity"), ref, docker_ref, docker_repo,
			    &id, &so.match, &why, err);
	if (r <= 0)
		return r < 0 ? r : reject(ret_reason, "sigstoreSigned: %s", why);
	r = load_keys(req, keys, &n, BW_ARRAY_SIZE(keys), err);
	if (r < 0)
		goto out;
	/* containers/image reads a registry image's cosign attachments only
	 * when registries.d sets use-sigstore-attachments for its scope;
	 * without them it sees no signatures at all. */
	if (ref->transport == BW_TRANSPORT_REGISTRY) {
		bool use = false;

		r = regd_use_sigstore_attachments(popts->registries_d, ref, &use, err);
		if (r < 0)
			goto out;
		if (!use) {
			r = reject(ret_reason, "sigstoreSigned: a signature was required, but no "
				   "signature exists (registries.d does not set "
				   "use-sigstore-attachments for `%s`, so its sigstore "
				   "attachments are not read)", docker_ref);
			goto out;
		}
	}
	so.image = popts->image;
	so.identity = id;
	for (size_t i = 0; i < n; i++) {
		_cleanup_error_ struct bw_error *e = NULL;

		r = bw_verify_image(refstr, keys[i], &so, NULL, &e);
		if (r > 0) {
			r = 1;
			goto out;
		}
		if (r != -EKEYREJECTED && r != -ENOENT) {
			if (err && !*err)
				*err = TAKE_PTR(e);
			goto out;
		}
		if (i + 1 == n)
			r = reject(ret_reason, "sigstoreSigned: %s", e->msg);
	}
out:
	for (size_t i = 0; i < n; i++)
		bw_sign_key_free(keys[i]);
	return r;
}

/* ---------------------------------------------------------------- signedBy */

static int load_gpg_keys(json_t *req, struct bw_gpg_keyring *kr, struct bw_error **err)
{
	const char *path = json_str(req, "keyPath"), *data = json_str(req, "keyData");
	json_t *paths = json_object_get(req, "keyPaths"), *v;
	int given = !!json_object_get(req, "keyPath") + !!json_object_get(req, "keyData") + !!paths;
	size_t i;
	int r;

	if (given != 1)
		return bw_error_set(err, -EINVAL, "signedBy needs exactly one of keyPath, keyPaths, "
				    "keyData");
	if (data) {
		_cleanup_free_ unsigned char *raw = NULL;
		size_t len;

		if (sign_b64_decode(data, strlen(data), BW_MAX_GPG_KEYRING, &raw, &len) < 0)
			return bw_error_set(err, -EINVAL, "signedBy keyData is not base64");
		return bw_gpg_keyring_add(kr, raw, len, "keyData", err);
	}
	if (path)
		return bw_gpg_keyring_add_file(kr, path, err);
	if (!json_is_array(paths) || json_array_size(paths) == 0 || json_array_size(paths) > 64)
		return bw_error_set(err, -EINVAL, "signedBy keyPaths must list 1 to 64 files");
	json_array_foreach(paths, i, v) {
		if (!json_is_string(v))
			return bw_error_set(err, -EINVAL, "signedBy keyPaths: not a string");
		r = bw_gpg_keyring_add_file(kr, json_string_value(v), err);
		if (r < 0)
			return r;
	}
	if (!path && !paths)
		return bw_error_set(err, -EINVAL, "signedBy keyPath/keyData is not a string");
	return 0;
}

/*
 * signedIdentity for full docker references (simple signing): the intended
 * reference and the bw_verify_image_gpg match mode. 1 when set, 0 when the
 * image can never match (*why), -EINVAL for an invalid signedIdentity.
 */
static int gpg_identity(json_t *si, const char *docker_ref, char **ret_id,
			enum bw_identity_match *ret_mode, const char **why, struct bw_error **err)
{
	const char *type = si ? json_str(si, "type") : "matchRepoDigestOrExact";
	_cleanup_free_ char *n = NULL, *f = NULL;
	char *id = NULL;

	if (si && !json_is_object(si))
		return bw_error_set(err, -EINVAL, "signedIdentity is not an object");
	if (!type)
		return bw_error_set(err, -EINVAL, "signedIdentity has no type");
	if (!strcmp(type, "exactReference") || !strcmp(type, "exactRepository")) {
		bool repo = !strcmp(type, "exactRepository");
		const char *v = json_str(si, repo ? "dockerRepository" : "dockerReference");

		if (!v || dref_parse(v, &n, &f, NULL) < 0 || (repo && strcmp(n, f)) ||
		    (!repo && !strcmp(n, f)))
			return bw_error_set(err, -EINVAL, "%s needs a valid %s", type,
					    repo ? "dockerRepository (no tag or digest)"
						 : "dockerReference (with a tag or digest)");
		id = strdup(v);
		*ret_mode = repo ? BW_ID_REPOSITORY : BW_ID_EXACT;
	} else if (!strcmp(type, "matchRepoDigestOrExact") || !strcmp(type, "matchRepository") ||
		   !strcmp(type, "matchExact") || !strcmp(type, "remapIdentity")) {
		if (!docker_ref) {
			*why = "the image has no docker reference to match the signed identity "
			       "against";
			return 0;
		}
		*ret_mode = !strcmp(type, "matchRepository") ? BW_ID_REPOSITORY
			    : !strcmp(type, "matchExact")    ? BW_ID_EXACT
							     : BW_ID_COSIGN;
		if (!strcmp(type, "remapIdentity")) {
			const char *prefix = json_str(si, "prefix");
			const char *signed_prefix = json_str(si, "signedPrefix");
			size_t len;

			if (!prefix || !signed_prefix)
				return bw_error_set(err, -EINVAL,
						    "remapIdentity needs prefix and signedPrefix");
			len = strlen(prefix);
			if (!strncmp(docker_ref, prefix, len) &&
			    (strchr("/:@", docker_ref[len]) || !docker_ref[len] ||
			     (len && prefix[len - 1] == '/'))) {
				if (asprintf(&id, "%s%s", signed_prefix, docker_ref + len) < 0)
					id = NULL;
			} else {
				id = strdup(docker_ref);
			}
		} else {
			id = strdup(docker_ref);
		}
	} else {
		return bw_error_set(err, -EINVAL, "unknown signedIdentity type `%s`", type);
	}
	if (!id)
		return bw_error_set(err, -ENOMEM, "out of memory");
	*ret_id = id;
	return 1;
}

static int check_signed_by(json_t *req, const char *refstr, const struct bw_ref *ref,
			   const char *docker_ref, const struct bw_policy_opts *popts,
			   char **ret_reason, struct bw_error **err)
{
	_cleanup_free_ char *id = NULL, *json = NULL;
	_cleanup_error_ struct bw_error *e = NULL;
	struct bw_gpg_keyring *kr = NULL;
	struct bw_sign_opts so = { .sz = sizeof(so) };
	const char *kt = json_str(req, "keyType"), *why = NULL;
	int r;

	if (!kt)
		return bw_error_set(err, -EINVAL, "signedBy needs keyType");
	if (strcmp(kt, "GPGKeys")) {
		if (!strcmp(kt, "signedByGPGKeys") || !strcmp(kt, "X509Certificates") ||
		    !strcmp(kt, "signedByX509CAs"))
			return reject(ret_reason, "signedBy keyType `%s` is not implemented (nor "
				      "is it in containers/image)", kt);
		return bw_error_set(err, -EINVAL, "signedBy: unknown keyType `%s`", kt);
	}
	r = gpg_identity(json_object_get(req, "signedIdentity"), docker_ref, &id, &so.match, &why,
			 err);
	if (r < 0)
		return r;
	r = bw_gpg_keyring_new(&kr, err);
	if (r < 0)
		return r;
	r = load_gpg_keys(req, kr, err);
	if (r < 0) {
		bw_gpg_keyring_free(kr);
		return bw_error_wrap(err, "signedBy");
	}
	if (!id) {
		bw_gpg_keyring_free(kr);
		return reject(ret_reason, "signedBy: %s", why);
	}
	if (ref->transport == BW_TRANSPORT_OCI_LAYOUT) {
		bw_gpg_keyring_free(kr);
		return reject(ret_reason, "signedBy: a signature was required, but an OCI layout "
			      "holds no simple signatures");
	}
	so.image = popts->image;
	so.identity = id;
	so.registries_d = popts->registries_d;
	r = bw_verify_image_gpg(refstr, kr, &so, &json, &e);
	bw_gpg_keyring_free(kr);
	if (r > 0)
		return 1;
	if (r == -EKEYREJECTED || r == -ENOENT)
		return reject(ret_reason, "signedBy: %s", e->msg);
	if (err && !*err)
		*err = TAKE_PTR(e);
	return r;
}

/* ---------------------------------------------------------------- entry */

int bw_policy_check(const char *policy_path, const char *refstr, const struct bw_image_opts *opts,
		    char **ret_reason, struct bw_error **err)
{
	struct bw_policy_opts po = { .sz = sizeof(po) };

	if (opts)
		po.image = *opts;
	else
		po.image.sz = sizeof(po.image);
	return bw_policy_check_opts(policy_path, refstr, &po, ret_reason, err);
}

int bw_policy_check_opts(const char *policy_path, const char *refstr,
			 const struct bw_policy_opts *o, char **ret_reason, struct bw_error **err)
{
	struct bw_policy_opts popts = { .sz = sizeof(popts), .image = { .sz = sizeof(popts.image) } };
	_cleanup_free_ char *data = NULL, *docker_ref = NULL, *docker_repo = NULL, *path = NULL;
	_cleanup_json_ json_t *policy = NULL;
	struct bw_ref ref = { 0 };
	json_error_t jerr;
	json_t *reqs, *req;
	const char *scope, *dirpath = NULL;
	size_t len, i;
	int r;

	if (o)
		memcpy(&popts, o, o->sz && o->sz < sizeof(popts) ? o->sz : sizeof(popts));
	r = bw_read_file(policy_path, BW_MAX_POLICY_SIZE, &data, &len, err);
	if (r < 0)
		return bw_error_wrap(err, "policy");
	policy = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(policy))
		return bw_error_set(err, -EINVAL, "policy `%s`: line %d: %s", policy_path,
				    policy ? 1 : jerr.line,
				    policy ? "not a JSON object" : jerr.text);
	if (!json_is_array(json_object_get(policy, "default")))
		return bw_error_set(err, -EINVAL, "policy `%s`: no `default` requirements",
				    policy_path);
	r = bw_ref_parse(refstr, &ref, err);
	if (r < 0)
		return r;
	if (ref.transport == BW_TRANSPORT_REGISTRY) {
		if (asprintf(&docker_repo, "%s/%s", ref.registry, ref.repository) < 0 ||
		    asprintf(&docker_ref, "%s%s%s", docker_repo,
			     ref.digest ? "@" : ":", ref.digest ? ref.digest : ref.tag ? ref.tag : "latest") < 0) {
			bw_ref_done(&ref);
			return bw_error_set(err, -ENOMEM, "out of memory");
		}
	} else if (ref.transport == BW_TRANSPORT_OCI_LAYOUT || ref.transport == BW_TRANSPORT_DIR) {
		path = realpath(ref.path, NULL);
		dirpath = path ? path : ref.path;
	} else {
		bw_ref_done(&ref);
		return bw_error_set(err, -EOPNOTSUPP,
				    "policy check: use a registry, oci: or dir: reference");
	}
	reqs = find_requirements(policy, &ref, dirpath, &scope);
	if (!json_is_array(reqs) || json_array_size(reqs) == 0) {
		bw_ref_done(&ref);
		return bw_error_set(err, -EINVAL,
				    "policy `%s`: the requirements for `%s` are not a non-empty "
				    "list",
				    policy_path, scope ? scope : "default");
	}
	bw_log(BW_LOG_DEBUG, "policy: `%s` matches scope `%s`", refstr,
	       scope ? scope : "(default)");
	r = 1;
	json_array_foreach(reqs, i, req) {
		const char *type = json_is_object(req) ? json_str(req, "type") : NULL;

		if (!type) {
			r = bw_error_set(err, -EINVAL, "policy `%s`: a requirement has no type",
					 policy_path);
			break;
		}
		if (!strcmp(type, "insecureAcceptAnything"))
			continue;
		if (!strcmp(type, "reject")) {
			r = reject(ret_reason, "rejected by the policy (scope `%s`: reject)",
				   scope ? scope : "default");
			break;
		}
		if (!strcmp(type, "sigstoreSigned")) {
			r = check_sigstore(req, refstr, &ref, docker_ref, docker_repo,
					   &popts, ret_reason, err);
			if (r != 1)
				break;
			continue;
		}
		if (!strcmp(type, "signedBy")) {
			r = check_signed_by(req, refstr, &ref, docker_ref, &popts, ret_reason, err);
			if (r != 1)
				break;
			continue;
		}
		if (!strcmp(type, "signedBaseLayer")) {
			r = reject(ret_reason, "requirement `%s` is not supported by bulwark yet", type);
			break;
		}
		r = bw_error_set(err, -EINVAL, "policy `%s`: unknown requirement type `%s`",
				 policy_path, type);
		break;
	}
	bw_ref_done(&ref);
	return r;
}
