/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cosign's simple-signing payload:
 *   {"critical":{"identity":{"docker-reference":REPO},
 *                "image":{"docker-manifest-digest":DIGEST},
 *                "type":"cosign container image signature"},
 *    "optional":{...annotations...} | null}
 */
#include <string.h>

#include "sign/internal.h"

void bw_sign_payload_done(struct bw_sign_payload *p)
{
	free(p->identity);
	free(p->digest);
	free(p->type);
	for (size_t i = 0; i < p->n_optional; i++) {
		free(p->keys[i]);
		free(p->values[i]);
	}
	free(p->keys);
	free(p->values);
	memset(p, 0, sizeof(*p));
}

static const char *str_at(json_t *o, const char *k)
{
	json_t *v = json_is_object(o) ? json_object_get(o, k) : NULL;
	return json_is_string(v) ? json_string_value(v) : NULL;
}

int bw_sign_payload_parse(const char *json, size_t len, struct bw_sign_payload *ret,
			  struct bw_error **err)
{
	_cleanup_json_ json_t *j = NULL;
	struct bw_sign_payload p = { 0 };
	json_error_t jerr;
	json_t *crit, *opt, *v;
	const char *id, *dg, *ty, *k;
	size_t n;

	if (len > BW_MAX_SIGN_PAYLOAD)
		return bw_error_set(err, -EFBIG, "payload larger than %u bytes",
				    BW_MAX_SIGN_PAYLOAD);
	/* Duplicate keys would let two readers see two different payloads. */
	j = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j)
		return bw_error_set(err, -EBADMSG, "payload is not JSON: line %d: %s", jerr.line,
				    jerr.text);
	crit = json_object_get(j, "critical");
	if (!json_is_object(j) || !json_is_object(crit))
		return bw_error_set(err, -EBADMSG, "payload has no `critical` object");
	id = str_at(json_object_get(crit, "identity"), "docker-reference");
	dg = str_at(json_object_get(crit, "image"), "docker-manifest-digest");
	ty = str_at(crit, "type");
	if (!id || !dg || !ty)
		return bw_error_set(err, -EBADMSG,
				    "payload lacks critical.%s",
				    !id ? "identity.docker-reference"
				    : !dg ? "image.docker-manifest-digest"
					  : "type");
	p.identity = strdup(id);
	p.digest = strdup(dg);
	p.type = strdup(ty);
	if (!p.identity || !p.digest || !p.type)
		goto nomem;
	opt = json_object_get(j, "optional");
	if (opt && !json_is_null(opt) && !json_is_object(opt)) {
		bw_sign_payload_done(&p);
		return bw_error_set(err, -EBADMSG, "payload's `optional` is not an object");
	}
	n = json_is_object(opt) ? json_object_size(opt) : 0;
	if (n) {
		p.keys = calloc(n, sizeof(char *));
		p.values = calloc(n, sizeof(char *));
		if (!p.keys || !p.values)
			goto nomem;
		json_object_foreach(opt, k, v) {
			if (!json_is_string(v))
				continue;
			p.keys[p.n_optional] = strdup(k);
			p.values[p.n_optional] = strdup(json_string_value(v));
			p.n_optional++;
			if (!p.keys[p.n_optional - 1] || !p.values[p.n_optional - 1])
				goto nomem;
		}
	}
	*ret = p;
	return 0;
nomem:
	bw_sign_payload_done(&p);
	return bw_error_set(err, -ENOMEM, "out of memory");
}

int bw_sign_payload_build(const char *identity, const char *digest,
			  const char *const *annotations, size_t n, char **ret,
			  struct bw_error **err)
{
	_cleanup_json_ json_t *j = NULL;
	json_t *opt = NULL;
	char *s;

	if (n) {
		opt = json_object();
		if (!opt)
			return bw_error_set(err, -ENOMEM, "out of memory");
		for (size_t i = 0; i < n; i++) {
			const char *eq = strchr(annotations[i], '=');
			_cleanup_free_ char *k = NULL;

			if (!eq || eq == annotations[i]) {
				json_decref(opt);
				return bw_error_set(err, -EINVAL,
						    "annotation `%s` is not key=value",
						    annotations[i]);
			}
			k = strndup(annotations[i], (size_t)(eq - annotations[i]));
			if (!k || json_object_set_new(opt, k, json_string(eq + 1)) < 0) {
				json_decref(opt);
				return bw_error_set(err, -ENOMEM, "out of memory");
			}
		}
	}
	j = json_pack("{s:{s:{s:s},s:{s:s},s:s},s:o}", "critical", "identity", "docker-reference",
		      identity, "image", "docker-manifest-digest", digest, "type", COSIGN_SIG_TYPE,
		      "optional", opt ? opt : json_null());
	if (!j)
		return bw_error_set(err, -ENOMEM, "out of memory");
	/* Go's encoding/json sorts map keys, and the struct's fields are in
	 * alphabetical order already: sorting reproduces cosign's bytes. */
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	if (!s)
		return bw_error_set(err, -ENOMEM, "out of memory");
	*ret = s;
	return 0;
}
