/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BULWARK_K8S_H
#define BULWARK_K8S_H

/*
 * k8s: the Kubernetes object model shared by the folders that judge
 * manifests (config, rbac, netpol): an object found in a YAML document, the
 * pod template of every workload kind, and what a check is and how a
 * finding is handed to whoever collects them. Nothing here loads files or
 * runs checks; config's scan does, and lends its objects and a reporter to
 * the others (the CLI wires them).
 */

#include <stdbool.h>
#include <stddef.h>

#include "bulwark/core.h"
#include "bulwark/yaml.h"

/* ---------------------------------------------------------------- objects */

/*
 * A Kubernetes object found in a manifest (List items are unwrapped).
 * Strings point into the YAML tree and live as long as the scan. pod_spec
 * and pod_meta are the pod spec and metadata of a Pod, or of the pod
 * template in a workload (Deployment, StatefulSet, DaemonSet, ReplicaSet,
 * ReplicationController, Job, CronJob, PodTemplate); NULL otherwise.
 */
struct bw_k8s_object {
	const char *file;
	const struct bw_yaml_node *root;
	const char *api_version;
	const char *kind;
	const char *name;
	const char *namespace; /* NULL when unset */
	const struct bw_yaml_node *metadata;
	const struct bw_yaml_node *pod_meta;
	const struct bw_yaml_node *pod_spec;
	const struct bw_yaml_node *template_meta; /* template metadata (workloads) */
};

/* Finds the pod spec/metadata for a kind; both NULL when it has none. */
BW_API void bw_k8s_pod_template(const struct bw_yaml_node *root, const char *kind,
				const struct bw_yaml_node **ret_spec,
				const struct bw_yaml_node **ret_meta);

/* ---------------------------------------------------------------- checks */

enum bw_severity {
	BW_SEV_UNKNOWN = 0,
	BW_SEV_LOW,
	BW_SEV_MEDIUM,
	BW_SEV_HIGH,
	BW_SEV_CRITICAL,
};

BW_API const char *bw_severity_name(enum bw_severity s);
/* Parses "LOW", "medium", ...; -EINVAL for an unknown name. */
BW_API int bw_severity_parse(const char *s, enum bw_severity *ret);

/* What `bulwark explain ID` prints. Static data. */
struct bw_check_info {
	const char *id;
	enum bw_severity severity;
	const char *domain; /* "kubernetes", "pss", "rbac", "dockerfile" */
	const char *title;
	const char *why;
	const char *fix;
};

/*
 * Where a check outside the scan that loaded the objects reports a finding:
 * report() records check on obj (NULL for file-level) at node's line and
 * column (the object's when node is NULL), in container (NULL for
 * object-level findings), with message (copied). It honours the collector's
 * ignore rules and returns 0 or a negative errno (-ENOMEM).
 */
struct bw_k8s_reporter {
	int (*report)(void *ud, const struct bw_check_info *check, const struct bw_k8s_object *obj,
		      const struct bw_yaml_node *node, const char *container, const char *message);
	void *ud;
};

/* Objects to judge, and where findings about them go: what a loaded scan
 * lends to checks of other folders (bw_config_scan_k8s). */
struct bw_k8s_set {
	const struct bw_k8s_object *objs;
	size_t n;
	struct bw_k8s_reporter reporter;
};

#endif
