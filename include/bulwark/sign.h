/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BULWARK_SIGN_H
#define BULWARK_SIGN_H

/*
 * sign: keys in cosign's formats, cosign signatures stored beside an image
 * (an OCI manifest at tag `sha256-<hex>.sig` in the image's repository or
 * OCI layout), and their verification.
 *
 * Everything a signature or a key file carries is untrusted input: sizes
 * are capped (limits.h, "sign"), and a signature that fails any check is
 * refused with a message that says which check and why. Nothing here ever
 * prints; the reasons single signatures were refused go to the log handler
 * as warnings when none verifies.
 */

#include "bulwark/core.h"
#include "bulwark/image.h"

/* ---------------------------------------------------------------- keys */

/*
 * A key: a private key (which can also verify) or a public key. ECDSA over
 * P-256, P-384 and P-521, RSA of 2048 to 4096 bits and Ed25519, as cosign
 * accepts them; other curves and sizes are refused when loaded.
 */
struct bw_sign_key;

/* Makes a new ECDSA P-256 key pair (what `cosign generate-key-pair` makes). */
BW_API int bw_sign_key_generate(struct bw_sign_key **ret, struct bw_error **err);

/*
 * Loads a private key from PEM: cosign's `ENCRYPTED SIGSTORE PRIVATE KEY`
 * (and the older `ENCRYPTED COSIGN PRIVATE KEY`), decrypted with password
 * (scrypt + NaCl secretbox), or an unencrypted PKCS#8 `PRIVATE KEY`, SEC1
 * `EC PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY`. A wrong password fails with
 * -EKEYREJECTED.
 */
BW_API int bw_sign_key_load_private(const char *pem, size_t len, const char *password,
				    struct bw_sign_key **ret, struct bw_error **err);
/* Loads a PKIX `PUBLIC KEY` PEM (or takes the public half of a private key
 * PEM that needs no password). */
BW_API int bw_sign_key_load_public(const char *pem, size_t len, struct bw_sign_key **ret,
				   struct bw_error **err);
/* True when pem is one of cosign's encrypted private key formats. */
BW_API bool bw_sign_pem_is_encrypted(const char *pem, size_t len);

/* Writes the private key as an `ENCRYPTED SIGSTORE PRIVATE KEY` PEM sealed
 * with password (may be empty), as cosign does. The caller frees *ret. */
BW_API int bw_sign_key_export_private(const struct bw_sign_key *k, const char *password,
				      char **ret, struct bw_error **err);
/* Writes the public key as a PKIX `PUBLIC KEY` PEM. The caller frees *ret. */
BW_API int bw_sign_key_export_public(const struct bw_sign_key *k, char **ret,
				     struct bw_error **err);
BW_API bool bw_sign_key_is_private(const struct bw_sign_key *k);
BW_API struct bw_sign_key *bw_sign_key_free(struct bw_sign_key *k);

/* Signs p (SHA-256; Ed25519 signs the bytes) and returns the DER signature
 * in standard base64, as cosign stores it. The caller frees *ret_b64. */
BW_API int bw_sign_blob(const struct bw_sign_key *k, const void *p, size_t n, char **ret_b64,
			struct bw_error **err);
/* Checks a base64 signature over p. 0 when it verifies, -EKEYREJECTED when
 * it does not, -EBADMSG when sig_b64 is not base64. */
BW_API int bw_sign_verify_blob(const struct bw_sign_key *k, const void *p, size_t n,
			       const char *sig_b64, struct bw_error **err);

/* ---------------------------------------------------------------- payloads */

/* A cosign simple-signing payload, as parsed. Strings are owned. */
struct bw_sign_payload {
	char *identity; /* critical.identity.docker-reference */
	char *digest;	/* critical.image.docker-manifest-digest */
	char *type;	/* critical.type */
	char **keys;	/* optional: string values only, in document order */
	char **values;
	size_t n_optional;
};

/* Parses a payload (at most BW_MAX_SIGN_PAYLOAD bytes): every critical
 * field must be present and a string. */
BW_API int bw_sign_payload_parse(const char *json, size_t len, struct bw_sign_payload *ret,
				 struct bw_error **err);
BW_API void bw_sign_payload_done(struct bw_sign_payload *p);
/* Builds the payload cosign signs, byte for byte as cosign writes it.
 * annotations are "key=value" strings (n of them). */
BW_API int bw_sign_payload_build(const char *identity, const char *digest,
				 const char *const *annotations, size_t n, char **ret,
				 struct bw_error **err);

/* ---------------------------------------------------------------- images */

/* How a signature's docker-reference must relate to the identity verified
 * against (containers-policy.json(5) signedIdentity). */
enum bw_identity_match {
	/* cosign's rule: same repository; a tag in the signature must be the
	 * reference's tag. */
	BW_ID_COSIGN = 0,
	BW_ID_REPOSITORY, /* matchRepository, exactRepository: same repository */
	BW_ID_EXACT,	  /* matchExact, exactReference: the same reference, tag included */
};

struct bw_sign_opts {
	size_t sz;		       /* sizeof(struct bw_sign_opts) */
	struct bw_image_opts image;    /* how the image and its registry are reached */
	const char *identity;	       /* docker-reference to sign or require; NULL: from REF */
	const char *const *annotations; /* "key=value": signed into `optional`, or required */
	size_t n_annotations;
	enum bw_identity_match match;  /* verify: how identity is compared */
};

/*
 * Signs the image ref names: resolves it to its digest (the index's when the
 * reference names an index), builds and signs the payload, and appends the
 * signature to the manifest at tag `sha256-<hex>.sig` beside the image (a
 * registry repository or an OCI layout). *ret_digest (may be NULL) gets the
 * digest that was signed, *ret_sig_tag the tag written.
 */
BW_API int bw_sign_image(const char *ref, const struct bw_sign_key *key,
			 const struct bw_sign_opts *opts, char **ret_digest, char **ret_sig_tag,
			 struct bw_error **err);

/*
 * Verifies the cosign signatures of the image ref names against key: for
 * each signature, the payload blob's digest and size, the signature, that
 * the payload's type is a cosign container image signature, that it names
 * the image's digest, that its identity is the image's repository (or
 * opts->identity), and that it carries every required annotation.
 *
 * `dir:PATH` where PATH holds a manifest.json is read as containers/image's
 * dir transport (signature-N files with sigstore attachments); it has no
 * name, so opts->identity is required for it.
 *
 * Returns the number of signatures that verified (> 0) with *ret_json a JSON
 * array of their payloads, or -EKEYREJECTED when none did (with every
 * refusal's reason in the message), -ENOENT when there are none.
 */
BW_API int bw_verify_image(const char *ref, const struct bw_sign_key *key,
			   const struct bw_sign_opts *opts, char **ret_json, struct bw_error **err);

/* ---------------------------------------------------------------- policy */

/*
 * Evaluates a containers-policy.json(5) for ref: the most specific scope of
 * the reference's transport (docker, oci, dir), else the transport's "",
 * else the default; every requirement of it must hold. Supported:
 * insecureAcceptAnything, reject, sigstoreSigned (keyPath, keyPaths,
 * keyData; signedIdentity matchRepoDigestOrExact, matchRepository,
 * matchExact, exactReference, exactRepository, remapIdentity). Any other
 * requirement (signedBy, signedBaseLayer) rejects with a reason: a policy
 * we cannot check is never taken as accepting.
 *
 * Returns 1 (accepted) or 0 (rejected, *ret_reason says why), or -errno
 * when the policy cannot be read or is invalid.
 */
BW_API int bw_policy_check(const char *policy_path, const char *ref,
			   const struct bw_image_opts *opts, char **ret_reason,
			   struct bw_error **err);

#endif
