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

/* pkg: package databases, metadata and lockfiles captured from an image
 * (dpkg status of a large image is a few MiB). A bigger file is skipped
 * with a warning. */
#define BW_MAX_PKGDB_SIZE (256u << 20)
#define BW_MAX_PKG_META_SIZE (8u << 20)
/* Go build info read after its magic in a binary. */
#define BW_MAX_GO_BUILDINFO (1u << 20)
/* Packages found in one image (all catalogers). */
#define BW_MAX_PKGS 2000000u
/* Fields of one package record (dpkg stanza value, METADATA header). */
#define BW_MAX_PKG_FIELD (1u << 20)
/* Java archives (jar/war/ear) captured from an image, each nested one,
 * the zip entries looked at, and the bytes inflated from one archive. */
#define BW_MAX_JAR_SIZE (64u << 20)
/* One layer's entry in the layer cache (its packages and path hashes). */
#define BW_MAX_CACHE_ENTRY (512u << 20)
#define BW_MAX_JAR_ENTRIES 65536u
#define BW_MAX_JAR_INFLATE (256ull << 20)
/* requirements.txt `-r` includes: nesting depth and files read for one. */
#define BW_MAX_REQ_INCLUDE_DEPTH 8
#define BW_MAX_REQ_INCLUDE_FILES 64
/* cargo-auditable: the compressed `.dep-v0` section and its JSON. */
#define BW_MAX_RUST_AUDIT_ZLIB (1u << 20)
#define BW_MAX_RUST_AUDIT_JSON (8u << 20)
/* A gemspec read from an image. */
#define BW_MAX_GEMSPEC_SIZE (1u << 20)

/* sign: key files, simple-signing payloads, signature manifests. */
#define BW_MAX_SIGN_KEY_FILE (64u << 10)
#define BW_MAX_SIGN_PAYLOAD (1u << 20)
/* Signatures (layers) in one `.sig` manifest, and signature-N files. */
#define BW_MAX_SIGNATURES 256
/* A base64 signature annotation (an RSA-4096 signature is 684 bytes). */
#define BW_MAX_SIGN_SIG_B64 4096
/* scrypt parameters a cosign key file may ask for: N (a power of two), r
 * and p, and the memory they may cost. cosign writes N=32768, r=8, p=1. */
#define BW_MAX_SCRYPT_N (1u << 20)
#define BW_MAX_SCRYPT_R 32u
#define BW_MAX_SCRYPT_P 16u
#define BW_MAX_SCRYPT_MEM (256ull << 20)
/* containers-policy.json. */
#define BW_MAX_POLICY_SIZE (1u << 20)
/* GPG simple signing: one OpenPGP signature (signature-N), its top-level
 * packets, a GPG keyring (keyPath, keyData, --gpg-keyring), a registries.d
 * file and the files read from the directory, and lookaside signatures
 * read per image (containers/image reads at most 128). */
#define BW_MAX_PGP_SIGNATURE (256u << 10)
#define BW_MAX_PGP_PACKETS 64u
#define BW_MAX_GPG_KEYRING (16u << 20)
#define BW_MAX_REGISTRIES_D_FILE (1u << 20)
#define BW_MAX_REGISTRIES_D_FILES 256u
#define BW_MAX_LOOKASIDE_SIGNATURES 128u
/* Attestations: a predicate file, and a DSSE envelope (with its base64
 * statement) read back. */
#define BW_MAX_ATTEST_PREDICATE (16u << 20)
#define BW_MAX_ATTEST_ENVELOPE (24u << 20)

/* config: Kubernetes manifests and Dockerfiles (bulwark config). */
/* One input file (YAML, JSON or Dockerfile). */
#define BW_MAX_CONFIG_FILE_SIZE (64u << 20)
/* Nesting of YAML collections. */
#define BW_MAX_YAML_DEPTH 256
/* Nodes one file may hold, and nodes it may expand to through aliases: a
 * billion-laughs document stops at the second cap. */
#define BW_MAX_YAML_NODES (8u << 20)
#define BW_MAX_YAML_EXPANDED (16u << 20)
/* Documents in one file. */
#define BW_MAX_YAML_DOCS 200000u
/* Files one scan walks. */
#define BW_MAX_CONFIG_FILES 100000u
/* Values in one list of a control-inputs file (config --controls-config). */
#define BW_MAX_CONTROL_VALUES 4096
/* Dockerfile: one logical instruction (continuations joined), heredoc body,
 * instructions per file. */
#define BW_MAX_DOCKERFILE_LINE (1u << 20)
#define BW_MAX_DOCKERFILE_INSTRUCTIONS 100000u
/* Directory depth while walking inputs. */
#define BW_MAX_WALK_DEPTH 64

/* rules: Falco rule files (bulwark rules/audit/replay). */
#define BW_MAX_RULES_FILE_SIZE (16u << 20)
#define BW_MAX_RULES_FILES 4096
#define BW_MAX_CONDITION_LEN (1u << 20)
/* Nesting of parentheses, not and transformers in one condition (libsinsp: 100). */
#define BW_MAX_CONDITION_DEPTH 100
/* Nodes of one rule's condition once macros and lists are expanded. */
#define BW_MAX_EXPANDED_NODES 500000u
/* Items of one list once nested lists are expanded. */
#define BW_MAX_LIST_ITEMS 200000u
/* YAML nodes visited while loading one file (aliases can multiply them). */
#define BW_MAX_YAML_VISITS 4000000u
/* Scratch bytes one event's field transformers may use. */
#define BW_MAX_TRANSFORM_SCRATCH (256u << 10)

/* runtime: event sources and alert outputs for the rule engine. */
/* One audit event or replay line (k8saudit's maxEventSize is 256 KiB). */
#define BW_MAX_AUDIT_EVENT_SIZE (4u << 20)
/* One webhook POST body (k8saudit's webhookMaxBatchSize: 12 MiB). */
#define BW_MAX_AUDIT_BATCH_SIZE (12u << 20)
#define BW_MAX_AUDIT_BATCH_EVENTS 100000u
#define BW_MAX_REPLAY_LINE (1u << 20)
/* Values one replay event may carry for one field (lists, ancestors). */
#define BW_MAX_REPLAY_VALUES 4096u
/* Nesting of arrays and objects in one audit document or replay line. */
#define BW_MAX_EVENT_JSON_DEPTH 512
/* A container's mounts the sensor reports (container.mount*), and the
 * bytes of their replay-format members, added to each of its events. */
#define BW_MAX_CONTAINER_MOUNTS 256u
#define BW_MAX_CONTAINER_MOUNTS_JSON (64u << 10)
/* HTTP alert output: alerts waiting to be sent (older ones are dropped
 * beyond it), attempts per alert, and the time one POST may take. */
#define BW_MAX_HTTP_QUEUE 10000u
#define BW_MAX_HTTP_ATTEMPTS 5u
#define BW_MAX_HTTP_TIMEOUT_MS 10000u

/* version, vulndb: version strings and the advisory store. */
/* One version string (Maven and node-semver cap theirs at 256). */
#define BW_MAX_VERSION_LEN 1024u
#define BW_MAX_VERSION_LEN_SEMVER 256u
/* Components of one parsed version (dots, suffixes, Maven list items). */
#define BW_MAX_VERSION_PARTS 128u
/* One OSV JSON record, and the members and uncompressed bytes of one zip. */
#define BW_MAX_OSV_RECORD_SIZE (8u << 20)
/* A JSON-lines snapshot (plain or zstd), decompressed. */
#define BW_MAX_SNAPSHOT_SIZE (256u << 20)
/* `db update`: one downloaded all.zip (OSV's npm zip is about 300 MiB). */
#define BW_MAX_DB_DOWNLOAD (2ull << 30)
#define BW_MAX_ZIP_ENTRIES 500000u
#define BW_MAX_ZIP_TOTAL (4ull << 30)
/* Events of one OSV range, affected entries and explicit versions of one record. */
#define BW_MAX_OSV_EVENTS 4096u
#define BW_MAX_OSV_AFFECTED 4096u
#define BW_MAX_OSV_VERSIONS 65536u

/* match: findings of one scan, one CVSS vector, and one advisory's
 * ranges JSON as the store holds it. */
#define BW_MAX_FINDINGS 2000000u
#define BW_MAX_CVSS_VECTOR_LEN 256u
#define BW_MAX_RANGES_JSON (4u << 20)

#endif
