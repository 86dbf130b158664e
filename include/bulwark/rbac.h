/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BULWARK_RBAC_H
#define BULWARK_RBAC_H

/*
 * rbac: the RBAC graph of a set of manifests (Roles, ClusterRoles, their
 * rules, RoleBindings, ClusterRoleBindings and their subjects), risky
 * permission checks, and who-can queries answered from the manifests alone.
 *
 * It reads objects of the k8s model (config's scan loads them) and reports
 * through the set's bw_k8s_reporter, so its findings join the scan's.
 */

#include "bulwark/core.h"
#include "bulwark/k8s.h"

/* The RBAC checks (ids start with RBAC-). Static data. */
BW_API size_t bw_rbac_check_count(void);
BW_API const struct bw_check_info *bw_rbac_check_at(size_t i);
BW_API const struct bw_check_info *bw_rbac_check_find(const char *id);

/* Runs the RBAC checks over set's objects and reports to its reporter. */
BW_API int bw_rbac_check(const struct bw_k8s_set *set, struct bw_error **err);

/*
 * One answer to "who can VERB RESOURCE in NAMESPACE": a subject, and the
 * binding and role that grant it. Strings point into the objects.
 */
struct bw_rbac_grant {
	const char *subject_kind; /* User, Group, ServiceAccount */
	const char *subject_name;
	const char *subject_namespace; /* ServiceAccounts; NULL otherwise */
	const char *binding_kind;
	const char *binding_name;
	const char *binding_namespace; /* NULL for ClusterRoleBindings */
	const char *role_kind;
	const char *role_name;
};

/*
 * Finds every subject of set's objects that may do verb on resource (a plural resource such
 * as "pods", optionally with a subresource, "pods/exec"; a "group/resource"
 * form like "apps/deployments" names the API group) in namespace (NULL:
 * cluster-wide, i.e. only ClusterRoleBindings count), following the
 * Kubernetes RBAC matching rules, wildcards included. *ret is a malloc'd
 * array the caller frees.
 */
BW_API int bw_rbac_who_can(const struct bw_k8s_set *set, const char *verb, const char *resource,
			   const char *namespace, struct bw_rbac_grant **ret, size_t *ret_n,
			   struct bw_error **err);

#endif
