/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Attestations as cosign makes them: an in-toto statement naming the image
 * (subject: repository and sha256 digest) and carrying a predicate, in a
 * DSSE envelope whose signature covers the pre-authentication encoding
 *   "DSSEv1" SP len(type) SP type SP len(body) SP body
 * attached as a layer (application/vnd.dsse.envelope.v1+json) of the
 * manifest at tag `sha256-<hex>.att`.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "image/internal.h"
#include "sign/internal.h"

#define MT_DSSE "application/vnd.dsse.envelope.v1+json"
#define INTOTO_PAYLOAD_TYPE "application/vnd.in-toto+json"
#define INTOTO_STATEMENT_V01 "https://in-toto.io/Statement/v0.1"
#define INTOTO_STATEMENT_V1 "https://in-toto.io/Statement/v1"
#define COSIGN_CUSTOM_PREDICATE "https://cosign.sigstore.dev/attestation/v1"

static void sig_store_freep(struct sig_store **s)
{
	*s = sig_store_free(*s);
}
static void image_freep(struct bw_image **i)
{
	*i = bw_image_free(*i);
}

const char *bw_attest_predicate_type(const char *type)
{
	static const struct {
		const char *name, *uri;
	} types[] = {
		{ "cyclonedx", "https://cyclonedx.org/bom" },
		{ "spdxjson", "https://spdx.dev/Document" },
		{ "spdx", "https://spdx.dev/Document" },
		{ "vuln", "https://cosign.sigstore.dev/attestation/vuln/v1" },
		{ "custom", COSIGN_CUSTOM_PREDICATE },
		{ "slsaprovenance", "https://slsa.dev/provenance/v0.2" },
		{ "openvex", "https://openvex.dev/ns" },
	};

	if (!type)
		return NULL;
	for (size_t i = 0; i < BW_ARRAY_SIZE(types); i++)
		if (!strcmp(type, types[i].name))
			return types[i].uri;
	if (bw_startswith(type, "https://") || bw_startswith(type, "http://"))
		return type;
	return NULL;
}

static const struct bw_attest_opts *aopts_or_default(const struct bw_attest_opts *o,
						     struct bw_attest_opts *dflt)
{
	memset(dflt, 0, sizeof(*dflt));
	dflt->sz = sizeof(*dflt);
	dflt->image.sz = sizeof(dflt->image);
	if (!o)
		return dflt;
	memcpy(dflt, o, o->sz && o->sz < sizeof(*dflt) ? o->sz : sizeof(*dflt));
	return dflt;
}

/* The DSSE pre-authentication encoding of body. */
static int pae(const char *type, const void *body, size_t n, struct bw_buf *out)
{
	if (bw_buf_printf(out, "DSSEv1 %zu %s %zu ", strlen(type), type, n) < 0 ||
	    bw_buf_append(out, body, n) < 0)
		return -ENOMEM;
	return 0;
}

/* ---------------------------------------------------------------- attest */

int bw_attest_image(const char *refstr, const struct bw_sign_key *key, const char *predicate,
		    size_t predicate_len, const struct bw_attest_opts *o, char **ret_digest,
		    char **ret_att_tag, struct bw_error **err)
{
	_cleanup_(image_freep) struct bw_image *img = NULL;
	_cleanup_(sig_store_freep) struct sig_store *s = NULL;
	_cleanup_free_ char *name = NULL, *statement = NULL, *sig = NULL, *b64 = NULL,
			    *envelope = NULL, *digest = NULL, *tagcopy = NULL;
	_cleanup_json_ json_t *pred = NULL, *st = NULL, *env = NULL, *ann = NULL;
	struct bw_buf buf = BW_BUF_INIT(BW_MAX_ATTEST_ENVELOPE);
	struct bw_attest_opts dflt;
	const char *ptype;
	json_error_t jerr;
	char tag[96];
	int r;

	o = aopts_or_default(o, &dflt);
	if (!bw_sign_key_is_private(key))
		return bw_error_set(err, -EINVAL, "attesting needs a private key");
	ptype = bw_attest_predicate_type(o->predicate_type ? o->predicate_type : "custom");
	if (!ptype)
		return bw_error_set(err, -EINVAL,
				    "unknown predicate type `%s` (cyclonedx, spdxjson, vuln, "
				    "custom, or a URI)",
				    o->predicate_type);
	if (predicate_len > BW_MAX_ATTEST_PREDICATE)
		return bw_error_set(err, -EFBIG, "predicate larger than %u bytes",
				    BW_MAX_ATTEST_PREDICATE);
	if (!strcmp(ptype, COSIGN_CUSTOM_PREDICATE)) {
		/* cosign wraps a custom predicate's bytes: {"Data": ..., "Timestamp": ...} */
		char ts[32];
		time_t now = time(NULL);
		struct tm tm;

		gmtime_r(&now, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
		pred = json_pack("{s:s%,s:s}", "Data", predicate, predicate_len, "Timestamp", ts);
		if (!pred)
			return bw_error_set(err, -EINVAL, "the predicate is not UTF-8 text");
	} else {
		pred = json_loadb(predicate, predicate_len, JSON_REJECT_DUPLICATES, &jerr);
		if (!pred)
			return bw_error_set(err, -EINVAL, "the predicate is not JSON: line %d: %s",
					    jerr.line, jerr.text);
	}

	r = bw_image_open(refstr, &o->image, &img, err);
	if (r < 0)
		return r;
	if (!sign_image_digest(img))
		return bw_error_set(err, -EOPNOTSUPP, "`%s` has no manifest digest to attest",
				    bw_image_ref(img)->name);
	digest = strdup(sign_image_digest(img));
	name = sign_default_identity(bw_image_ref(img));
	if (!digest || !name)
		return bw_error_set(err, -ENOMEM, "out of memory");
	st = json_pack("{s:s,s:s,s:[{s:s,s:{s:s}}],s:O}", "_type", INTOTO_STATEMENT_V01,
		       "predicateType", ptype, "subject", "name", name, "digest", "sha256",
		       digest + 7, "predicate", pred);
	if (!st)
		return bw_error_set(err, -ENOMEM, "out of memory");
	statement = json_dumps(st, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!statement)
		return bw_error_set(err, -ENOMEM, "out of memory");
	if (pae(INTOTO_PAYLOAD_TYPE, statement, strlen(statement), &buf) < 0) {
		bw_buf_done(&buf);
		return bw_error_set(err, -EFBIG, "statement too large");
	}
	r = bw_sign_blob(key, buf.data, buf.len, &sig, err);
	bw_buf_done(&buf);
	if (r < 0)
		return r;
	b64 = bw_base64_encode(statement, strlen(statement));
	if (!b64)
		return bw_error_set(err, -ENOMEM, "out of memory");
	env = json_pack("{s:s,s:s,s:[{s:s,s:s}]}", "payloadType", INTOTO_PAYLOAD_TYPE, "payload",
			b64, "signatures", "keyid", "", "sig", sig);
	envelope = env ? json_dumps(env, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	ann = json_pack("{s:s,s:s}", COSIGN_SIG_ANNOTATION, "", "predicateType", ptype);
	if (!envelope || !ann)
		return bw_error_set(err, -ENOMEM, "out of memory");
	r = sig_store_open(bw_image_ref(img), &o->image, true, &s, err);
	if (r < 0)
		return r;
	snprintf(tag, sizeof(tag), "sha256-%s.att", digest + 7);
	r = sign_append_layer(s, tag, MT_DSSE, envelope, ann, err);
	if (r < 0)
		return bw_error_wrap(err, "cannot attach the attestation to `%s`",
				     bw_image_ref(img)->name);
	if (ret_att_tag) {
		tagcopy = strdup(tag);
		if (!tagcopy)
			return bw_error_set(err, -ENOMEM, "out of memory");
		*ret_att_tag = TAKE_PTR(tagcopy);
	}
	if (ret_digest)
		*ret_digest = TAKE_PTR(digest);
	return 0;
}

/* ---------------------------------------------------------------- verify */

/* Parses an envelope: payloadType in-toto, payload base64. *ret_env keeps
 * the JSON (for its signatures), *ret_body the decoded statement. */
static int envelope_parse(const char *envelope, size_t len, json_t **ret_env, char **ret_body,
			  size_t *ret_body_len, struct bw_error **err)
{
	_cleanup_json_ json_t *env = NULL;
	_cleanup_free_ unsigned char *body = NULL;
	const char *pt, *payload;
	json_error_t jerr;
	size_t blen;

	if (len > BW_MAX_ATTEST_ENVELOPE)
		return bw_error_set(err, -EFBIG, "envelope larger than %u bytes",
				    BW_MAX_ATTEST_ENVELOPE);
	env = json_loadb(envelope, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(env))
		return bw_error_set(err, -EBADMSG, "the envelope is not a JSON object%s%s",
				    env ? "" : ": ", env ? "" : jerr.text);
	pt = json_str(env, "payloadType");
	if (!pt || strcmp(pt, INTOTO_PAYLOAD_TYPE))
		return bw_error_set(err, -EBADMSG, "payloadType is `%.100s`, not %s",
				    pt ? pt : "", INTOTO_PAYLOAD_TYPE);
	payload = json_str(env, "payload");
	if (!payload)
		return bw_error_set(err, -EBADMSG, "the envelope has no payload");
	if (sign_b64_decode(payload, strlen(payload), BW_MAX_ATTEST_ENVELOPE, &body, &blen) < 0)
		return bw_error_set(err, -EBADMSG, "the envelope's payload is not base64");
	*ret_env = TAKE_PTR(env);
	*ret_body = (char *)TAKE_PTR(body);
	*ret_body_len = blen;
	return 0;
}

/* The statement's form, and a subject whose sha256 is digest's. */
static int statement_check(const char *body, size_t n, const char *digest, json_t **ret,
			   struct bw_error **err)
{
	_cleanup_json_ json_t *st = NULL;
	json_t *subjects, *sub;
	const char *type;
	json_error_t jerr;
	size_t i;

	st = json_loadb(body, n, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(st))
		return bw_error_set(err, -EBADMSG, "the statement is not a JSON object%s%s",
				    st ? "" : ": ", st ? "" : jerr.text);
	type = json_str(st, "_type");
	if (!type || (strcmp(type, INTOTO_STATEMENT_V01) && strcmp(type, INTOTO_STATEMENT_V1)))
		return bw_error_set(err, -EBADMSG, "the statement's _type is `%.100s`, not in-toto's",
				    type ? type : "");
	if (!json_str(st, "predicateType"))
		return bw_error_set(err, -EBADMSG, "the statement has no predicateType");
	subjects = json_object_get(st, "subject");
	if (!json_is_array(subjects) || json_array_size(subjects) == 0)
		return bw_error_set(err, -EBADMSG, "the statement has no subject");
	if (json_array_size(subjects) > 4096)
		return bw_error_set(err, -E2BIG, "the statement has %zu subjects",
				    json_array_size(subjects));
	if (!digest || !bw_startswith(digest, "sha256:") || strlen(digest) != 71)
		return bw_error_set(err, -EKEYREJECTED, "no image digest to match the subjects "
				    "against");
	json_array_foreach(subjects, i, sub) {
		const char *d = json_str(json_object_get(sub, "digest"), "sha256");

		if (d && !strcmp(d, digest + 7)) {
			if (ret)
				*ret = TAKE_PTR(st);
			return 0;
		}
	}
	return bw_error_set(err, -EKEYREJECTED, "no subject of the statement claims %s", digest);
}

int bw_attest_check_subject(const char *envelope, size_t len, const char *digest,
			    char **ret_statement, struct bw_error **err)
{
	_cleanup_json_ json_t *env = NULL, *st = NULL;
	_cleanup_free_ char *body = NULL;
	size_t blen;
	int r;

	r = envelope_parse(envelope, len, &env, &body, &blen, err);
	if (r < 0)
		return r;
	r = statement_check(body, blen, digest, &st, err);
	if (r < 0)
		return r;
	if (ret_statement) {
		char *s = json_dumps(st, JSON_COMPACT | JSON_PRESERVE_ORDER);

		if (!s)
			return bw_error_set(err, -ENOMEM, "out of memory");
		*ret_statement = s;
	}
	return 0;
}

int bw_attest_verify_envelope(const char *envelope, size_t len, const struct bw_sign_key *key,
			      const char *digest, char **ret_statement, struct bw_error **err)
{
	_cleanup_json_ json_t *env = NULL;
	_cleanup_free_ char *body = NULL;
	struct bw_buf buf = BW_BUF_INIT(BW_MAX_ATTEST_ENVELOPE + 256);
	json_t *sigs, *sg;
	size_t blen, i;
	bool good = false;
	int r;

	r = envelope_parse(envelope, len, &env, &body, &blen, err);
	if (r < 0)
		return r;
	sigs = json_object_get(env, "signatures");
	if (!json_is_array(sigs) || json_array_size(sigs) == 0)
		return bw_error_set(err, -EBADMSG, "the envelope has no signatures");
	if (json_array_size(sigs) > BW_MAX_SIGNATURES)
		return bw_error_set(err, -E2BIG, "the envelope has %zu signatures",
				    json_array_size(sigs));
	if (pae(INTOTO_PAYLOAD_TYPE, body, blen, &buf) < 0) {
		bw_buf_done(&buf);
		return bw_error_set(err, -EFBIG, "statement too large");
	}
	json_array_foreach(sigs, i, sg) {
		_cleanup_error_ struct bw_error *e = NULL;
		const char *b64 = json_str(sg, "sig");

		if (b64 && bw_sign_verify_blob(key, buf.data, buf.len, b64, &e) == 0) {
			good = true;
			break;
		}
	}
	bw_buf_done(&buf);
	if (!good)
		return bw_error_set(err, -EKEYREJECTED,
				    "no signature of the envelope verifies with the key");
	return bw_attest_check_subject(envelope, len, digest, ret_statement, err);
}

int bw_verify_attestation(const char *refstr, const struct bw_sign_key *key,
			  const struct bw_attest_opts *o, char **ret_json, struct bw_error **err)
{
	_cleanup_(image_freep) struct bw_image *img = NULL;
	_cleanup_(sig_store_freep) struct sig_store *s = NULL;
	_cleanup_free_ char *manifest = NULL, *out = NULL;
	_cleanup_json_ json_t *m = NULL, *verified = json_array();
	struct bw_buf reasons = BW_BUF_INIT(8192);
	struct bw_attest_opts dflt;
	const char *digest, *want = NULL;
	json_t *layers, *l;
	char tag[96];
	size_t len, i;
	unsigned n = 0;
	int r;

	o = aopts_or_default(o, &dflt);
	if (!verified)
		return bw_error_set(err, -ENOMEM, "out of memory");
	if (o->predicate_type) {
		want = bw_attest_predicate_type(o->predicate_type);
		if (!want)
			return bw_error_set(err, -EINVAL, "unknown predicate type `%s`",
					    o->predicate_type);
	}
	r = bw_image_open(refstr, &o->image, &img, err);
	if (r < 0)
		return r;
	digest = sign_image_digest(img);
	if (!digest)
		return bw_error_set(err, -EOPNOTSUPP, "`%s` has no manifest digest", refstr);
	r = sig_store_open(bw_image_ref(img), &o->image, false, &s, err);
	if (r < 0)
		return r;
	snprintf(tag, sizeof(tag), "sha256-%s.att", digest + 7);
	r = sig_store_get_manifest(s, tag, &manifest, &len, err);
	if (r == -ENOENT)
		return bw_error_set(err, -ENOENT, "no attestations found for `%s` (no `%s`)", refstr,
				    tag);
	if (r < 0)
		return r;
	m = json_loadb(manifest, len, 0, NULL);
	layers = json_is_object(m) ? json_object_get(m, "layers") : NULL;
	if (!json_is_array(layers))
		return bw_error_set(err, -EBADMSG, "the attestation manifest is not an image manifest");
	if (json_array_size(layers) > BW_MAX_SIGNATURES)
		return bw_error_set(err, -E2BIG,
				    "the attestation manifest has %zu layers, more than the %d we "
				    "read",
				    json_array_size(layers), BW_MAX_SIGNATURES);
	json_array_foreach(layers, i, l) {
		_cleanup_free_ char *env = NULL, *stj = NULL;
		_cleanup_error_ struct bw_error *e = NULL;
		_cleanup_json_ json_t *st = NULL;
		const char *ld = json_str(l, "digest"), *mt = json_str(l, "mediaType");
		json_t *size = json_object_get(l, "size");
		char got[72];
		size_t elen;

		n++;
		if (!mt || strcmp(mt, MT_DSSE)) {
			(void)bw_buf_printf(&reasons, "%sattestation %u: media type `%.100s`",
					    reasons.len ? "; " : "", n, mt ? mt : "");
			continue;
		}
		if (!ld || !bw_digest_valid(ld) || !json_is_integer(size) ||
		    json_integer_value(size) < 0 ||
		    json_integer_value(size) > BW_MAX_ATTEST_ENVELOPE) {
			(void)bw_buf_printf(&reasons, "%sattestation %u: bad layer descriptor",
					    reasons.len ? "; " : "", n);
			continue;
		}
		if (sig_store_get_blob(s, ld, BW_MAX_ATTEST_ENVELOPE, &env, &elen, &e) < 0) {
			(void)bw_buf_printf(&reasons, "%sattestation %u: %s", reasons.len ? "; " : "",
					    n, e ? e->msg : "cannot fetch the envelope");
			continue;
		}
		bw_sha256_digest(env, elen, got);
		if (strcmp(got, ld) || (json_int_t)elen != json_integer_value(size)) {
			(void)bw_buf_printf(&reasons,
					    "%sattestation %u: the envelope does not match its "
					    "digest or size",
					    reasons.len ? "; " : "", n);
			continue;
		}
		if (bw_attest_verify_envelope(env, elen, key, digest, &stj, &e) < 0) {
			(void)bw_buf_printf(&reasons, "%sattestation %u: %s", reasons.len ? "; " : "",
					    n, e->msg);
			continue;
		}
		st = json_loads(stj, 0, NULL);
		if (!st)
			continue;
		if (want && strcmp(json_str(st, "predicateType") ? json_str(st, "predicateType")
								  : "",
				   want)) {
			(void)bw_buf_printf(&reasons, "%sattestation %u: predicate type `%.200s`, not "
					    "`%s`",
					    reasons.len ? "; " : "", n, json_str(st, "predicateType"),
					    want);
			continue;
		}
		json_array_append(verified, st);
	}
	if (json_array_size(verified) == 0) {
		r = bw_error_set(err, -EKEYREJECTED, "no valid attestation for `%s` (%u checked): %s",
				 refstr, n, reasons.data ? reasons.data : "");
		bw_buf_done(&reasons);
		return r;
	}
	bw_buf_done(&reasons);
	out = json_dumps(verified, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (!out)
		return bw_error_set(err, -ENOMEM, "out of memory");
	if (ret_json)
		*ret_json = TAKE_PTR(out);
	return (int)json_array_size(verified);
}
