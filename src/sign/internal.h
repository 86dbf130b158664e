/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BW_SIGN_INTERNAL_H
#define BW_SIGN_INTERNAL_H

/* Private to src/sign/. */

#include <jansson.h>

#include "bulwark/limits.h"
#include "bulwark/sign.h"

#define MT_COSIGN_SIMPLESIGNING "application/vnd.dev.cosign.simplesigning.v1+json"
#define MT_OCI_MANIFEST_V1 "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_CONFIG_V1 "application/vnd.oci.image.config.v1+json"
#define COSIGN_SIG_ANNOTATION "dev.cosignproject.cosign/signature"
#define COSIGN_SIG_TYPE "cosign container image signature"

#define _cleanup_json_ _cleanup_(json_decrefp)

/* Strict base64 (standard alphabet, padded, line breaks allowed): -EBADMSG
 * on anything else, so a mangled signature is named as such. */
/* Records why signature n was refused: logged at info level and appended
 * to reasons ("signature N: why", "; "-separated). */
void sign_refuse(struct bw_buf *reasons, unsigned n, const char *fmt, ...) BW_PRINTF(3, 4);
int sign_b64_decode(const char *in, size_t n, size_t cap, unsigned char **ret, size_t *ret_len);

/* ------------------------------------------------ store.c */

/*
 * Where signatures live beside an image: a registry repository or an OCI
 * layout directory. Tags name manifests; blobs are content-addressed.
 */
struct sig_store;

/* Opens the store for an image reference (registry or oci: layout). push
 * asks a registry for push access. */
int sig_store_open(const struct bw_ref *ref, const struct bw_image_opts *opts, bool push,
		   struct sig_store **ret, struct bw_error **err);
struct sig_store *sig_store_free(struct sig_store *s);
/* -ENOENT (no message set) when the tag does not exist. */
int sig_store_get_manifest(struct sig_store *s, const char *tag, char **ret, size_t *ret_len,
			   struct bw_error **err);
int sig_store_get_blob(struct sig_store *s, const char *digest, size_t cap, char **ret,
		       size_t *ret_len, struct bw_error **err);
int sig_store_put_blob(struct sig_store *s, const char *digest, const void *p, size_t n,
		       struct bw_error **err);
int sig_store_put_manifest(struct sig_store *s, const char *tag, const char *media_type,
			   const void *p, size_t n, struct bw_error **err);

/* ------------------------------------------------ cosign.c */

/* Appends a layer (the blob payload, of media type mt, with annotations)
 * to the manifest at tag in s, creating it when missing. */
int sign_append_layer(struct sig_store *s, const char *tag, const char *mt, const char *payload,
		      json_t *annotations, struct bw_error **err);
/* HOST/REPO for a registry reference, `oci:PATH` for a layout. */
char *sign_default_identity(const struct bw_ref *ref);

/* ------------------------------------------------ gpg.c, simple.c */

/* Signs p with the secret key fingerprint of the user's GnuPG keyring: a
 * binary OpenPGP message holding p. */
int gpg_sign_user(const char *fingerprint, const void *p, size_t n, char **ret, size_t *ret_len,
		  struct bw_error **err);

/* How a signed docker reference must relate to the intended one
 * (containers-policy.json(5) signedIdentity, for full references). */
enum gid_mode {
	GID_DIGEST_OR_EXACT = 0, /* by tag: the same; by digest: the same repository */
	GID_REPOSITORY,		 /* the same repository */
	GID_EXACT,		 /* the same reference (tag or digest) */
};
/* A docker reference from untrusted text, normalised without a default tag:
 * *ret_name HOST/REPO, *ret_full HOST/REPO[:TAG][@DIGEST]. */
int dref_parse(const char *s, char **ret_name, char **ret_full, struct bw_error **err);
bool dref_matches(const char *signed_id, const char *intended, enum gid_mode mode);
/* registries.d(5) `use-sigstore-attachments` for a registry image (dir as
 * bw_sign_opts.registries_d): from the most specific scope that sets it,
 * else default-docker, else false. */
int regd_use_sigstore_attachments(const char *dir, const struct bw_ref *ref, bool *ret,
				  struct bw_error **err);

/* cosign.c, shared by simple.c and attest.c: the caller's options
 * filled up to their size (or all defaults), and the digest a signature
 * names for img (the index's when the reference resolved through one). */
const struct bw_sign_opts *sign_opts_or_default(const struct bw_sign_opts *o, struct bw_sign_opts *dflt);
const char *sign_image_digest(struct bw_image *img);

#endif
