/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Kubernetes object model: where each workload kind keeps its pod
 * template, and the severities checks are rated with.
 */
#include <string.h>
#include <strings.h>

#include "bulwark/k8s.h"

/* ---------------------------------------------------------------- severities */

const char *bw_severity_name(enum bw_severity s)
{
	static const char *const names[] = { "UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL" };

	return (unsigned)s < BW_ARRAY_SIZE(names) ? names[s] : "UNKNOWN";
}

int bw_severity_parse(const char *s, enum bw_severity *ret)
{
	for (int i = BW_SEV_UNKNOWN; i <= BW_SEV_CRITICAL; i++)
		if (!strcasecmp(s, bw_severity_name(i))) {
			*ret = i;
			return 0;
		}
	return -EINVAL;
}

/* ---------------------------------------------------------------- objects */

void bw_k8s_pod_template(const struct bw_yaml_node *root, const char *kind,
			 const struct bw_yaml_node **ret_spec, const struct bw_yaml_node **ret_meta)
{
	const struct bw_yaml_node *t = NULL;

	*ret_spec = *ret_meta = NULL;
	if (!kind)
		return;
	if (!strcmp(kind, "Pod")) {
		*ret_spec = bw_yaml_get(root, "spec");
		*ret_meta = bw_yaml_get(root, "metadata");
		return;
	}
	if (!strcmp(kind, "Deployment") || !strcmp(kind, "StatefulSet") ||
	    !strcmp(kind, "DaemonSet") || !strcmp(kind, "ReplicaSet") ||
	    !strcmp(kind, "ReplicationController") || !strcmp(kind, "Job") ||
	    !strcmp(kind, "DeploymentConfig"))
		t = bw_yaml_path(root, "spec.template");
	else if (!strcmp(kind, "CronJob"))
		t = bw_yaml_path(root, "spec.jobTemplate.spec.template");
	else if (!strcmp(kind, "PodTemplate"))
		t = bw_yaml_get(root, "template");
	else if (!strcmp(kind, "SandboxTemplate") || !strcmp(kind, "Sandbox"))
		t = bw_yaml_path(root, "spec.podTemplate"); /* kubernetes-sigs/agent-sandbox */
	if (!t)
		return;
	*ret_spec = bw_yaml_get(t, "spec");
	*ret_meta = bw_yaml_get(t, "metadata");
}
