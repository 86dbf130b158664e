/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BULWARK_LIMITS_H
#define BULWARK_LIMITS_H

/*
 * Every cap on untrusted input lives here, named after what it bounds, so a
 * reviewer can see at a glance how much a hostile image can make us hold.
 */

/* Image metadata documents (JSON). containerd caps manifests at 4 MiB. */
#define BW_MAX_MANIFEST_SIZE (4u << 20)
#define BW_MAX_INDEX_SIZE (4u << 20)
#define BW_MAX_CONFIG_SIZE (8u << 20)
/* docker-archive manifest.json and OCI index.json. */
#define BW_MAX_ARCHIVE_MANIFEST_SIZE (4u << 20)
/* Nesting of indexes inside indexes. */
#define BW_MAX_INDEX_DEPTH 4
#define BW_MAX_LAYERS 512
#define BW_MAX_MANIFESTS_IN_INDEX 4096

/* Tar: names and pax/GNU long-name records. */
#define BW_MAX_PATH 4096
#define BW_MAX_PAX_SIZE (1u << 20)
/* Entries in one layer, and in the merged file system. */
#define BW_MAX_LAYER_ENTRIES 4000000u
#define BW_MAX_FS_ENTRIES 8000000u
/* Bytes one layer may decompress to (a bomb stops here). */
#define BW_MAX_LAYER_UNCOMPRESSED (64ull << 30)
/* Bytes one entry of a layer may hold. */
#define BW_MAX_ENTRY_SIZE (16ull << 30)
/* Decompressed/compressed ratio beyond which a layer is treated as a bomb,
 * once it has produced more than BW_BOMB_MIN_BYTES. */
#define BW_MAX_COMPRESSION_RATIO 1024ull
#define BW_BOMB_MIN_BYTES (64ull << 20)

/* Symlink hops while resolving one path inside an image (as Linux). */
#define BW_MAX_SYMLINK_HOPS 40

/* Registry: auth challenge headers, token responses, error bodies. */
#define BW_MAX_HTTP_SMALL_BODY (1u << 20)
#define BW_MAX_HTTP_HEADER 8192
#define BW_HTTP_RETRIES 3
/* Registry credential files and CA bundles read from disk. */
#define BW_MAX_AUTH_FILE_SIZE (1u << 20)
#define BW_MAX_CA_BUNDLE_SIZE (4u << 20)

/* Outer archives (docker-archive, oci-archive): members we index. */
#define BW_MAX_ARCHIVE_MEMBERS 100000u

#endif
