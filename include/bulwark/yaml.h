/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BULWARK_YAML_H
#define BULWARK_YAML_H

/*
 * yaml: a bounded YAML (and JSON) loader. libyaml's events build a
 * read-only node tree that keeps every node's line and column; aliases share
 * the node they name and the expanded size of a document is capped, so
 * billion-laughs input stops before any consumer walks it. Caps
 * (BW_MAX_YAML_*) are in limits.h.
 *
 * Used by the Kubernetes object model (k8s), lockfile catalogers (pkg),
 * registries.d files (sign) and the checks above them.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bulwark/core.h"
#include "bulwark/limits.h"

enum bw_yaml_type {
	BW_YAML_NULL = 0, /* `~`, `null`, or an empty plain scalar */
	BW_YAML_SCALAR,
	BW_YAML_SEQ,
	BW_YAML_MAP,
};

/*
 * A node. Scalars have str (NUL-terminated, len bytes); sequences have n
 * items in kids[0..n); mappings have n pairs, key i at kids[2i] and its
 * value at kids[2i+1]. line and col are 1-based. Aliases share the node
 * they name, so the tree is a DAG whose expanded size is capped. Nodes are
 * owned by the bw_yaml_file they came from and are never modified.
 */
struct bw_yaml_node {
	uint8_t type;  /* enum bw_yaml_type */
	bool plain;    /* scalar written without quotes (so `true` is a bool) */
	uint32_t line;
	uint32_t col;
	uint32_t len;
	uint32_t n;
	uint32_t size; /* nodes in this subtree, aliases expanded */
	const char *str;
	struct bw_yaml_node **kids;
};

struct bw_yaml_file;

/*
 * Parses a YAML (or JSON) stream of one or more documents. name is used in
 * messages ("name:3:7: found character that cannot start any token"). On
 * failure nothing is returned; errors name the line and column.
 */
BW_API int bw_yaml_parse(const char *name, const char *data, size_t len,
			 struct bw_yaml_file **ret, struct bw_error **err);
BW_API struct bw_yaml_file *bw_yaml_file_free(struct bw_yaml_file *f);
static inline void bw_yaml_file_freep(struct bw_yaml_file **f)
{
	*f = bw_yaml_file_free(*f);
}
BW_API size_t bw_yaml_file_ndocs(const struct bw_yaml_file *f);
/* The root of document i (NULL for an empty document). */
BW_API const struct bw_yaml_node *bw_yaml_file_doc(const struct bw_yaml_file *f, size_t i);

/* Value of key in a mapping (merge keys `<<` honoured); NULL when node is
 * not a mapping, the key is missing, or its value is null. */
BW_API const struct bw_yaml_node *bw_yaml_get(const struct bw_yaml_node *map, const char *key);
/* Follows dot-separated keys: bw_yaml_path(obj, "spec.template.spec"). */
BW_API const struct bw_yaml_node *bw_yaml_path(const struct bw_yaml_node *n, const char *path);
/* The string of a scalar, or NULL. */
BW_API const char *bw_yaml_str(const struct bw_yaml_node *n);
/* A scalar resolved as a YAML bool: 1 true, 0 false, -1 not a bool. */
BW_API int bw_yaml_bool(const struct bw_yaml_node *n);
/* A scalar resolved as an integer (quoted strings too); -EINVAL if not. */
BW_API int bw_yaml_int(const struct bw_yaml_node *n, long long *ret);
/* Item i of a sequence (NULL past the end or for a non-sequence). */
static inline const struct bw_yaml_node *bw_yaml_item(const struct bw_yaml_node *n, uint32_t i)
{
	return n && n->type == BW_YAML_SEQ && i < n->n ? n->kids[i] : NULL;
}
static inline uint32_t bw_yaml_count(const struct bw_yaml_node *n)
{
	return n && n->type == BW_YAML_SEQ ? n->n : 0;
}

#endif
