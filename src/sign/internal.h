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

#endif
