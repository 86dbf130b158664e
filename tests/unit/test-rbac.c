/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "bulwark/config.h"
#include "bulwark/rbac.h"

static const char manifests[] =
	"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: reader}\n"
	"rules:\n- apiGroups: ['']\n  resources: [secrets, pods/exec]\n  verbs: [get, list]\n"
	"---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n"
	"metadata: {name: read-all}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader}\n"
	"subjects:\n- {kind: ServiceAccount, name: default, namespace: web}\n"
	"---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\n"
	"metadata: {name: deployer, namespace: apps}\n"
	"rules:\n- apiGroups: [apps]\n  resources: ['*']\n  verbs: ['*']\n"
	"---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\n"
	"metadata: {name: ci, namespace: apps}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: deployer}\n"
	"subjects:\n- {kind: User, name: ci-bot}\n"
	"---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n"
	"metadata: {name: admins}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\n"
	"subjects:\n- {kind: Group, name: ops}\n";

static struct bw_config_scan *load(void)
{
	struct bw_config_opts o = { .size = sizeof(o) };
	struct bw_config_scan *s = NULL;
	struct bw_error *err = NULL;

	assert_int_equal(bw_config_scan_new(&o, &s, &err), 0);
	assert_int_equal(bw_config_scan_add_buffer(s, "rbac.yaml", manifests, strlen(manifests), &err), 0);
	return s;
}

static size_t count(const struct bw_config_scan *s, const char *id)
{
	size_t n = 0;

	for (size_t i = 0; i < bw_config_scan_nfindings(s); i++)
		n += !strcmp(bw_config_scan_finding(s, i)->check->id, id);
	return n;
}

static int rbac_check(struct bw_config_scan *s, struct bw_error **err)
{
	struct bw_k8s_set set;

	bw_config_scan_k8s(s, &set);
	return bw_rbac_check(&set, err);
}

static int who_can(struct bw_config_scan *s, const char *verb, const char *res, const char *ns,
		   struct bw_rbac_grant **g, size_t *n, struct bw_error **err)
{
	struct bw_k8s_set set;

	bw_config_scan_k8s(s, &set);
	return bw_rbac_who_can(&set, verb, res, ns, g, n, err);
}

static void test_checks(void **state)
{
	struct bw_config_scan *s = load();
	struct bw_error *err = NULL;
	(void)state;

	assert_int_equal(rbac_check(s, &err), 0);
	assert_int_equal(count(s, "RBAC-WILDCARD"), 1);
	assert_int_equal(count(s, "RBAC-SECRETS-ACCESS"), 1);
	assert_int_equal(count(s, "RBAC-DEFAULT-SA-BOUND"), 1);
	assert_int_equal(count(s, "RBAC-CLUSTER-ADMIN"), 1);
	assert_int_equal(count(s, "RBAC-POD-EXEC-ATTACH"), 1);
	bw_config_scan_free(s);
}

static void test_who_can(void **state)
{
	struct bw_config_scan *s = load();
	struct bw_error *err = NULL;
	struct bw_rbac_grant *g = NULL;
	size_t n = 0;
	(void)state;

	/* cluster-admin is not among the inputs: only the reader binding */
	assert_int_equal(who_can(s, "list", "secrets", NULL, &g, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(g[0].subject_name, "default");
	assert_string_equal(g[0].subject_namespace, "web");
	free(g);
	assert_int_equal(who_can(s, "delete", "apps/deployments", "apps", &g, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(g[0].subject_name, "ci-bot");
	free(g);
	assert_int_equal(who_can(s, "delete", "apps/deployments", "other", &g, &n, &err), 0);
	assert_int_equal(n, 0);
	free(g);
	assert_int_equal(who_can(s, "create", "pods/exec", NULL, &g, &n, &err), 0);
	assert_int_equal(n, 0);
	free(g);
	bw_config_scan_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checks),
		cmocka_unit_test(test_who_can),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
