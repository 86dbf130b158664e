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
	/* registries.d(5) directory for GPG lookaside storage (and, in
	 * bw_policy_check_opts, use-sigstore-attachments); NULL: the user's
	 * ~/.config/containers/registries.d when it exists, else
	 * /etc/containers/registries.d. bw_sign_image and bw_verify_image
	 * ignore it, as cosign does. */
	const char *registries_d;
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

/* ---------------------------------------------------------------- GPG */

/*
 * containers' "simple signing" (containers-signature(5)): an OpenPGP-signed
 * payload
 *   {"critical":{"identity":{"docker-reference":"HOST/REPO:TAG"},
 *                "image":{"docker-manifest-digest":"sha256:..."},
 *                "type":"atomic container signature"},
 *    "optional":{"creator":"...","timestamp":N}}
 * stored in the lookaside storage registries.d(5) names for the image
 * (BASE/REPO@sha256=HEX/signature-N), or in signature-N files of a
 * containers/image `dir:` directory.
 */

/* A parsed atomic payload. Strings are owned; creator may be NULL and
 * timestamp is 0 when absent. */
struct bw_atomic_payload {
	char *identity;
	char *digest;
	char *creator;
	int64_t timestamp;
};

/*
 * Parses an atomic payload as strictly as containers/image does: exactly
 * `critical` and `optional` at the top, exactly type/image/identity in
 * critical, duplicate keys refused, type "atomic container signature",
 * creator a string and timestamp an integer when present.
 */
BW_API int bw_atomic_payload_parse(const char *json, size_t len, struct bw_atomic_payload *ret,
				   struct bw_error **err);
BW_API void bw_atomic_payload_done(struct bw_atomic_payload *p);

/*
 * Checks the framing of a binary OpenPGP message (packet headers, lengths,
 * at most BW_MAX_PGP_PACKETS top-level packets, nothing after the last) and
 * that it can hold a signature: -EBADMSG with the reason (garbage, an
 * encrypted message, literal data without a signature) otherwise.
 */
BW_API int bw_pgp_check_message(const void *p, size_t n, struct bw_error **err);

/*
 * A set of trusted OpenPGP public keys: an ephemeral GnuPG home (a private
 * temporary directory, removed by _free) holding only the keys added, as
 * containers/image verifies signedBy. Needs gpg (GPGME).
 */
struct bw_gpg_keyring;
BW_API int bw_gpg_keyring_new(struct bw_gpg_keyring **ret, struct bw_error **err);
/* Adds keys (binary or ASCII-armored) from memory; what names them in
 * messages. Fails when nothing was imported. */
BW_API int bw_gpg_keyring_add(struct bw_gpg_keyring *k, const void *data, size_t len,
			      const char *what, struct bw_error **err);
BW_API int bw_gpg_keyring_add_file(struct bw_gpg_keyring *k, const char *path,
				   struct bw_error **err);
BW_API struct bw_gpg_keyring *bw_gpg_keyring_free(struct bw_gpg_keyring *k);

/*
 * Verifies one OpenPGP signature against the keyring: exactly one signature,
 * good, by a key (or a subkey of a key) of the keyring that is neither
 * expired nor revoked. *ret_payload gets the signed bytes (NUL-terminated),
 * *ret_fpr (may be NULL) the primary key's fingerprint. -EKEYREJECTED when
 * the signature does not verify, -EBADMSG when it is not one.
 */
BW_API int bw_gpg_verify(struct bw_gpg_keyring *k, const void *sig, size_t n, char **ret_payload,
			 size_t *ret_len, char **ret_fpr, struct bw_error **err);

/*
 * Signs the image ref names with the secret key fingerprint of the user's
 * GnuPG keyring (GNUPGHOME): the payload names opts->identity or the
 * reference as given (HOST/REPO:TAG) and the digest the reference resolves
 * to, and is written as the next signature-N of the lookaside storage
 * (lookaside-staging, else lookaside; file:// only, as containers/image) for
 * a registry image. *ret_location (may be NULL) gets the file written.
 */
BW_API int bw_sign_image_gpg(const char *ref, const char *fingerprint,
			     const struct bw_sign_opts *opts, char **ret_digest,
			     char **ret_location, struct bw_error **err);

/*
 * Verifies the simple-signing signatures of ref (a registry image, from its
 * lookaside storage, file:// or http(s)://; or a `dir:` directory) against
 * keyring: each signature, its payload's digest against the image's, and
 * its identity: by default as matchRepoDigestOrExact (a reference by tag
 * needs a signature for that tag, one by digest a signature for the
 * repository); with opts->identity, against that name with opts->match
 * (BW_ID_COSIGN meaning matchRepoDigestOrExact).
 * Returns the number verified (> 0) with *ret_json a JSON array of
 * {"fingerprint":..., "payload":{...}}, -EKEYREJECTED when none did (the
 * reasons in the message), -ENOENT when there are none.
 */
BW_API int bw_verify_image_gpg(const char *ref, struct bw_gpg_keyring *keyring,
			       const struct bw_sign_opts *opts, char **ret_json,
			       struct bw_error **err);

/* ---------------------------------------------------------------- attestations */

/* cosign's predicate types for --type. */
BW_API const char *bw_attest_predicate_type(const char *type);

struct bw_attest_opts {
	size_t sz;		    /* sizeof(struct bw_attest_opts) */
	struct bw_image_opts image;
	/* cyclonedx, spdxjson, vuln, custom, or a URI. attest: the type
	 * (NULL: custom); verify: the type required (NULL: any). */
	const char *predicate_type;
};

/*
 * Attests the image ref names as `cosign attest` does: an in-toto v0.1
 * statement (subject: the image's repository and digest; predicateType;
 * predicate: the JSON in predicate, at most BW_MAX_ATTEST_PREDICATE bytes)
 * in a DSSE envelope (payloadType application/vnd.in-toto+json, the PAE
 * signed; a custom predicate's bytes are wrapped as cosign does,
 * {"Data": TEXT, "Timestamp": ...}), appended as a layer of media type
 * application/vnd.dsse.envelope.v1+json to the manifest at
 * `sha256-<hex>.att`.
 */
BW_API int bw_attest_image(const char *ref, const struct bw_sign_key *key, const char *predicate,
			   size_t predicate_len, const struct bw_attest_opts *opts,
			   char **ret_digest, char **ret_att_tag, struct bw_error **err);

/*
 * Checks a DSSE envelope holding an in-toto statement against key and
 * digest ("sha256:HEX"): the envelope's form, the signature over the PAE,
 * the statement's type, and that a subject claims digest. *ret_statement
 * (may be NULL) gets the statement's JSON. -EKEYREJECTED for a bad
 * signature or a digest no subject claims, -EBADMSG for a malformed one.
 */
BW_API int bw_attest_verify_envelope(const char *envelope, size_t len,
				     const struct bw_sign_key *key, const char *digest,
				     char **ret_statement, struct bw_error **err);

/* The envelope and statement checks of bw_attest_verify_envelope without
 * the signature (cosign's subject claim verifier): for an envelope whose
 * signature was checked elsewhere. */
BW_API int bw_attest_check_subject(const char *envelope, size_t len, const char *digest,
				   char **ret_statement, struct bw_error **err);

/*
 * Verifies the attestations of the image ref names: each layer of its
 * `.att` manifest through bw_attest_verify_envelope, and the predicate type
 * when opts->predicate_type is set. Returns the number verified with
 * *ret_json a JSON array of the statements, -EKEYREJECTED or -ENOENT as
 * bw_verify_image.
 */
BW_API int bw_verify_attestation(const char *ref, const struct bw_sign_key *key,
				 const struct bw_attest_opts *opts, char **ret_json,
				 struct bw_error **err);

/* ---------------------------------------------------------------- policy */

/*
 * Evaluates a containers-policy.json(5) for ref: the most specific scope of
 * the reference's transport (docker, oci, dir), else the transport's "",
 * else the default; every requirement of it must hold. Supported:
 * insecureAcceptAnything, reject, sigstoreSigned (keyPath, keyPaths,
 * keyData; signedIdentity matchRepoDigestOrExact, matchRepository,
 * matchExact, exactReference, exactRepository, remapIdentity), signedBy
 * (GPG simple signing, see bw_policy_check_opts). Any other requirement
 * (signedBaseLayer, signedBy with X.509 key types) rejects with a reason: a policy
 * we cannot check is never taken as accepting.
 *
 * Returns 1 (accepted) or 0 (rejected, *ret_reason says why), or -errno
 * when the policy cannot be read or is invalid.
 */
BW_API int bw_policy_check(const char *policy_path, const char *ref,
			   const struct bw_image_opts *opts, char **ret_reason,
			   struct bw_error **err);

struct bw_policy_opts {
	size_t sz;		  /* sizeof(struct bw_policy_opts) */
	struct bw_image_opts image;
	const char *registries_d; /* as bw_sign_opts.registries_d */
};
/* bw_policy_check with signedBy (GPGKeys: keyPath, keyPaths, keyData)
 * reading the lookaside storage registries_d names, and sigstoreSigned
 * reading a registry image's cosign attachments only when registries_d sets
 * use-sigstore-attachments for it (else: no signatures, a rejection). */
BW_API int bw_policy_check_opts(const char *policy_path, const char *ref,
				const struct bw_policy_opts *opts, char **ret_reason,
				struct bw_error **err);

#endif
