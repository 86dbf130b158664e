/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Kubernetes checks one by one: for each, a manifest that must fire
 * and one that must not (and the control inputs they read).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "bulwark/config.h"
#include "bulwark/rbac.h"

/* Scans text (and runs the RBAC checks), with control inputs when given. */
static struct bw_config_scan *scan(const char *text, const char *controls)
{
	struct bw_config_opts o = { .size = sizeof(o) };
	struct bw_config_scan *s = NULL;
	struct bw_error *err = NULL;
	struct bw_k8s_set set;

	assert_int_equal(bw_config_scan_new(&o, &s, &err), 0);
	if (controls) {
		char path[] = "/tmp/bw-controls-XXXXXX";
		int fd = mkstemp(path);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, controls, strlen(controls)), (ssize_t)strlen(controls));
		close(fd);
		assert_int_equal(bw_config_scan_load_controls(s, path, &err), 0);
		unlink(path);
	}
	assert_int_equal(bw_config_scan_add_buffer(s, "t.yaml", text, strlen(text), &err), 0);
	assert_int_equal(bw_config_scan_nfile_errors(s), 0);
	assert_int_equal(bw_config_scan_run(s, &err), 0);
	bw_config_scan_k8s(s, &set);
	assert_int_equal(bw_rbac_check(&set, &err), 0);
	return s;
}

static size_t count(const char *text, const char *controls, const char *id)
{
	struct bw_config_scan *s = scan(text, controls);
	size_t n = 0;

	for (size_t i = 0; i < bw_config_scan_nfindings(s); i++)
		n += !strcmp(bw_config_scan_finding(s, i)->check->id, id);
	bw_config_scan_free(s);
	return n;
}

#define POD(spec) "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: app}\nspec:\n" spec

/* ---------------------------------------------------------------- last pass's checks */

static void test_env_ref_missing(void **state)
{
	const char *pod = POD("  containers:\n  - name: c\n    image: x:1\n    env:\n"
			      "    - name: A\n      valueFrom:\n        secretKeyRef: {name: s, key: k}\n");
	const char *secret_with_key = "---\napiVersion: v1\nkind: Secret\n"
				      "metadata: {name: s, namespace: app}\ndata: {k: eA==}\n";
	const char *secret_other_key = "---\napiVersion: v1\nkind: Secret\n"
				       "metadata: {name: s, namespace: app}\ndata: {j: eA==}\n";
	const char *optional = POD("  containers:\n  - name: c\n    image: x:1\n    env:\n"
				   "    - name: A\n      valueFrom:\n"
				   "        secretKeyRef: {name: s, key: k, optional: true}\n");
	char buf[2048];
	(void)state;

	assert_int_equal(count(pod, NULL, "K8S-ENV-REF-MISSING"), 1);
	snprintf(buf, sizeof(buf), "%s%s", pod, secret_with_key);
	assert_int_equal(count(buf, NULL, "K8S-ENV-REF-MISSING"), 0);
	snprintf(buf, sizeof(buf), "%s%s", pod, secret_other_key);
	assert_int_equal(count(buf, NULL, "K8S-ENV-REF-MISSING"), 1);
	assert_int_equal(count(optional, NULL, "K8S-ENV-REF-MISSING"), 0);
}

static void test_run_as_group_root(void **state)
{
	(void)state;
	assert_int_equal(count(POD("  containers:\n  - name: c\n    image: x:1\n"
				   "    securityContext: {runAsGroup: 0}\n"),
			       NULL, "K8S-RUN-AS-GROUP-ROOT"),
			 1);
	/* the pod's 0 applies where the container sets nothing */
	assert_int_equal(count(POD("  securityContext: {runAsGroup: 0}\n"
				   "  containers:\n  - name: c\n    image: x:1\n"),
			       NULL, "K8S-RUN-AS-GROUP-ROOT"),
			 1);
	assert_int_equal(count(POD("  securityContext: {runAsGroup: 0}\n"
				   "  containers:\n  - name: c\n    image: x:1\n"
				   "    securityContext: {runAsGroup: 1000}\n"),
			       NULL, "K8S-RUN-AS-GROUP-ROOT"),
			 0);
}

static void test_ingress_nginx_injection(void **state)
{
	const char *bad = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: i\n"
			  "  annotations:\n    nginx.ingress.kubernetes.io/auth-url: "
			  "\"http://a/;}location /x {\"\n";
	const char *good = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: i\n"
			   "  annotations:\n    nginx.ingress.kubernetes.io/auth-url: "
			   "\"http://auth.svc/verify\"\n";
	(void)state;

	assert_int_equal(count(bad, NULL, "K8S-INGRESS-NGINX-INJECTION"), 1);
	assert_int_equal(count(good, NULL, "K8S-INGRESS-NGINX-INJECTION"), 0);
}

#define ROLE(kind, rules)                                                               \
	"apiVersion: rbac.authorization.k8s.io/v1\nkind: " kind "\nmetadata: {name: r, "  \
	"namespace: app}\nrules:\n" rules "---\n"
#define BINDING(kind, rkind)                                                            \
	"apiVersion: rbac.authorization.k8s.io/v1\nkind: " kind "\nmetadata: {name: b, "  \
	"namespace: app}\nroleRef: {kind: " rkind ", name: r, apiGroup: "                 \
	"rbac.authorization.k8s.io}\nsubjects:\n- {kind: User, name: jane}\n"             \
	"- {kind: Group, name: devs}\n"

static void test_rolebinding_exec_attach(void **state)
{
	(void)state;
	assert_int_equal(count(ROLE("Role", "- {apiGroups: [\"\"], resources: [pods/exec], "
					    "verbs: [get]}\n") BINDING("RoleBinding", "Role"),
			       NULL, "RBAC-ROLEBINDING-POD-EXEC-ATTACH"),
			 1);
	assert_int_equal(count(ROLE("Role", "- {apiGroups: [\"\"], resources: [pods], "
					    "verbs: [get]}\n") BINDING("RoleBinding", "Role"),
			       NULL, "RBAC-ROLEBINDING-POD-EXEC-ATTACH"),
			 0);
	/* a RoleBinding to a ClusterRole is the other check */
	assert_int_equal(count(ROLE("ClusterRole", "- {apiGroups: [\"\"], resources: "
						   "[pods/attach], verbs: [create]}\n")
				       BINDING("RoleBinding", "ClusterRole"),
			       NULL, "RBAC-ROLEBINDING-POD-EXEC-ATTACH"),
			 0);
	assert_int_equal(count(ROLE("ClusterRole", "- {apiGroups: [\"\"], resources: "
						   "[pods/attach], verbs: [create]}\n")
				       BINDING("RoleBinding", "ClusterRole"),
			       NULL, "RBAC-BINDING-POD-EXEC-ATTACH"),
			 1);
}

/* ---------------------------------------------------------------- this pass's checks */

#define DEPLOY_RES(res)                                                                  \
	"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: app}\nspec:\n" \
	"  template:\n    spec:\n      containers:\n      - name: c\n        image: x:1\n"    \
	"        resources: " res "\n"

static void test_resource_bounds(void **state)
{
	const char *cpu_max = "{\"postureControlInputs\": {\"cpu_request_max\": [\"1\"], "
			      "\"cpu_limit_max\": [\"1\"]}}";
	const char *mem_max = "settings:\n  postureControlInputs:\n"
			      "    memory_limit_max: [1Gi]\n    memory_request_min: [64Mi]\n";
	(void)state;

	/* no bounds by default */
	assert_int_equal(count(DEPLOY_RES("{limits: {cpu: 64}}"), NULL, "K8S-RESOURCE-BOUNDS"), 0);
	/* milli-cores against cores: 1500m > 1, 2000m > 1 */
	assert_int_equal(count(DEPLOY_RES("{requests: {cpu: 1500m}, limits: {cpu: \"2000m\"}}"),
			       cpu_max, "K8S-RESOURCE-BOUNDS"),
			 2);
	assert_int_equal(count(DEPLOY_RES("{requests: {cpu: 1000m}, limits: {cpu: \"1e3m\"}}"),
			       cpu_max, "K8S-RESOURCE-BOUNDS"),
			 0);
	assert_int_equal(count(DEPLOY_RES("{requests: {cpu: 0.5}, limits: {cpu: 1}}"), cpu_max,
			       "K8S-RESOURCE-BOUNDS"),
			 0);
	/* binary against decimal suffixes: 2048Mi > 1Gi; 1073741824 == 1Gi;
	 * 32Mi < 64Mi */
	assert_int_equal(count(DEPLOY_RES("{limits: {memory: 2048Mi}}"), mem_max,
			       "K8S-RESOURCE-BOUNDS"),
			 1);
	assert_int_equal(count(DEPLOY_RES("{limits: {memory: 1073741824}, requests: {memory: 64Mi}}"),
			       mem_max, "K8S-RESOURCE-BOUNDS"),
			 0);
	assert_int_equal(count(DEPLOY_RES("{limits: {memory: 1G}, requests: {memory: 32Mi}}"),
			       mem_max, "K8S-RESOURCE-BOUNDS"),
			 1);
	assert_int_equal(count(DEPLOY_RES("{limits: {memory: 1.1G}}"), mem_max,
			       "K8S-RESOURCE-BOUNDS"),
			 1);
}

static void test_controls_errors(void **state)
{
	static const char *const bad[] = {
		"{\"postureControlInputs\": {\"cpu_limit_max\": [\"lots\"]}}",
		"{\"postureControlInputs\": {\"sensitiveValues\": \"x\"}}",
		"{\"postureControlInputs\": {\"sensitiveValues\": [\"(unclosed\"]}}",
		"[1, 2]",
	};
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct bw_config_opts o = { .size = sizeof(o) };
		struct bw_config_scan *s = NULL;
		struct bw_error *err = NULL;
		char path[] = "/tmp/bw-controls-XXXXXX";
		int fd = mkstemp(path);

		assert_true(fd >= 0);
		assert_int_equal(write(fd, bad[i], strlen(bad[i])), (ssize_t)strlen(bad[i]));
		close(fd);
		assert_int_equal(bw_config_scan_new(&o, &s, &err), 0);
		assert_true(bw_config_scan_load_controls(s, path, &err) < 0);
		assert_non_null(err);
		assert_non_null(strstr(err->msg, path)); /* names the file */
		bw_error_free(err);
		bw_config_scan_free(s);
		unlink(path);
	}
}

static void test_floating_tags(void **state)
{
	const char *dev = POD("  containers:\n  - name: c\n    image: reg:5000/app:dev\n");
	const char *pinned = POD("  containers:\n  - name: c\n    image: reg:5000/app:v1.2.3\n");
	const char *inputs = "{\"postureControlInputs\": {\"floatingImageTags\": [\"dev\"]}}";
	(void)state;

	assert_int_equal(count(dev, NULL, "K8S-IMAGE-TAG"), 0);
	assert_int_equal(count(dev, inputs, "K8S-IMAGE-TAG"), 1);
	assert_int_equal(count(pinned, inputs, "K8S-IMAGE-TAG"), 0);
	assert_int_equal(count(POD("  containers:\n  - name: c\n    image: reg:5000/app\n"), inputs,
			       "K8S-IMAGE-TAG"),
			 1);
}

#define CM(data) "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm, namespace: app}\ndata:\n" data

static void test_configmap_credentials(void **state)
{
	(void)state;
	/* a key named after a credential (Kubescape's names include pwd) */
	assert_int_equal(count(CM("  pwd: \"hunter2\"\n"), NULL, "K8S-CONFIGMAP-SECRETS"), 1);
	/* an AWS access key id anywhere in a value */
	assert_int_equal(count(CM("  DB_URL: \"AKIAIOSFODNN7EXAMPLE\"\n"), NULL,
			       "K8S-CONFIGMAP-SECRETS"),
			 1);
	assert_int_equal(count(CM("  DB_URL: \"AKIA\"\n"), NULL, "K8S-CONFIGMAP-SECRETS"), 0);
	/* a pattern inside base64: "Bearer abc" */
	assert_int_equal(count(CM("  header: \"QmVhcmVyIGFiYw==\"\n"), NULL,
			       "K8S-CONFIGMAP-SECRETS"),
			 1);
	assert_int_equal(count(CM("  color: blue\n  lives: \"3\"\n"), NULL, "K8S-CONFIGMAP-SECRETS"),
			 0);
	/* allowed values and key names win */
	assert_int_equal(count(CM("  jwt_id: my/secret/file/path\n  pwd_FILE: /x\n"),
			       "{\"postureControlInputs\": {\"sensitiveKeyNames\": [\"jwt\", "
			       "\"pwd\"], \"sensitiveKeyNamesAllowed\": [\"_FILE\"], "
			       "\"sensitiveValuesAllowed\": [\"my/secret/file/path\"]}}",
			       "K8S-CONFIGMAP-SECRETS"),
			 0);
	assert_int_equal(count(CM("  jwt_id: abc\n"),
			       "{\"postureControlInputs\": {\"sensitiveKeyNames\": [\"jwt\"]}}",
			       "K8S-CONFIGMAP-SECRETS"),
			 1);
}

static void test_seccomp_runtime_default(void **state)
{
	(void)state;
	/* the container's Localhost overrides the pod's RuntimeDefault */
	assert_int_equal(count(POD("  securityContext: {seccompProfile: {type: RuntimeDefault}}\n"
				   "  containers:\n  - name: a\n    image: x:1\n"
				   "  - name: b\n    image: x:1\n    securityContext:\n"
				   "      seccompProfile: {type: Localhost, localhostProfile: p.json}\n"),
			       NULL, "K8S-SECCOMP-RUNTIME-DEFAULT"),
			 1);
	assert_int_equal(count(POD("  securityContext: {seccompProfile: {type: RuntimeDefault}}\n"
				   "  containers:\n  - name: a\n    image: x:1\n"),
			       NULL, "K8S-SECCOMP-RUNTIME-DEFAULT"),
			 0);
	assert_int_equal(count(POD("  containers:\n  - name: a\n    image: x:1\n"), NULL,
			       "K8S-SECCOMP-RUNTIME-DEFAULT"),
			 1);
}

static void test_linux_hardening(void **state)
{
	(void)state;
	/* dropped capabilities do not confine system calls */
	assert_int_equal(count(POD("  containers:\n  - name: a\n    image: x:1\n"
				   "    securityContext: {capabilities: {drop: [ALL]}}\n"),
			       NULL, "K8S-LINUX-HARDENING"),
			 1);
	/* an init container without a profile counts */
	assert_int_equal(count(POD("  initContainers:\n  - name: i\n    image: x:1\n"
				   "  containers:\n  - name: a\n    image: x:1\n"
				   "    securityContext: {seccompProfile: {type: RuntimeDefault}}\n"),
			       NULL, "K8S-LINUX-HARDENING"),
			 1);
	assert_int_equal(count(POD("  securityContext: {seccompProfile: {type: RuntimeDefault}}\n"
				   "  containers:\n  - name: a\n    image: x:1\n"),
			       NULL, "K8S-LINUX-HARDENING"),
			 0);
}

/* Roles bound to two subjects (User jane, Group devs): findings per subject. */
static void test_rbac_subject_checks(void **state)
{
	static const struct {
		const char *text, *id;
		size_t want;
	} t[] = {
		/* `*` on `*` of the core group */
		{ ROLE("ClusterRole", "- {apiGroups: [\"\"], resources: [\"*\"], verbs: [\"*\"]}\n")
			  BINDING("RoleBinding", "ClusterRole"),
		  "RBAC-ADMIN-RULES", 2 },
		{ ROLE("ClusterRole", "- {apiGroups: [apps], resources: [\"*\"], verbs: [\"*\"]}\n")
			  BINDING("RoleBinding", "ClusterRole"),
		  "RBAC-ADMIN-RULES", 0 },
		{ ROLE("Role", "- {apiGroups: [\"*\"], resources: [\"pods/*\"], verbs: [create]}\n")
			  BINDING("RoleBinding", "Role"),
		  "RBAC-PORT-FORWARD", 2 },
		{ ROLE("Role", "- {apiGroups: [\"\"], resources: [pods/portforward], verbs: [list]}\n")
			  BINDING("RoleBinding", "Role"),
		  "RBAC-PORT-FORWARD", 0 },
		{ ROLE("Role", "- {apiGroups: [certificates.k8s.io], resources: "
			       "[certificatesigningrequests/approval], verbs: [update]}\n")
			  BINDING("RoleBinding", "Role"),
		  "RBAC-CSR-APPROVE", 2 },
		/* update on ConfigMaps limited to other names is not coredns */
		{ ROLE("Role", "- {apiGroups: [\"\"], resources: [configmaps], resourceNames: [mine], "
			       "verbs: [update]}\n") BINDING("RoleBinding", "Role"),
		  "RBAC-CONFIGMAP-UPDATE", 0 },
		{ ROLE("Role", "- {apiGroups: [\"\"], resources: [configmaps], resourceNames: "
			       "[coredns], verbs: [patch]}\n") BINDING("RoleBinding", "Role"),
		  "RBAC-CONFIGMAP-UPDATE", 2 },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_int_equal(count(t[i].text, NULL, t[i].id), t[i].want);
}

#define SA(extra) "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default, namespace: app}\n" extra
#define SA_BINDING                                                                      \
	"---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: " \
	"b, namespace: app}\nroleRef: {kind: Role, name: r, apiGroup: "                   \
	"rbac.authorization.k8s.io}\nsubjects:\n- {kind: ServiceAccount, name: default}\n"

static void test_sa_token_bound(void **state)
{
	const char *pod = POD("  containers:\n  - name: c\n    image: x:1\n");
	const char *pod_off = POD("  automountServiceAccountToken: false\n"
				  "  containers:\n  - name: c\n    image: x:1\n");
	char buf[2048];
	(void)state;

	snprintf(buf, sizeof(buf), "%s%s%s", pod, SA(""), SA_BINDING);
	assert_int_equal(count(buf, NULL, "K8S-SA-TOKEN-BOUND"), 1);
	/* no binding: the token opens nothing */
	snprintf(buf, sizeof(buf), "%s%s", pod, SA(""));
	assert_int_equal(count(buf, NULL, "K8S-SA-TOKEN-BOUND"), 0);
	snprintf(buf, sizeof(buf), "%s%s%s", pod_off, SA(""), SA_BINDING);
	assert_int_equal(count(buf, NULL, "K8S-SA-TOKEN-BOUND"), 0);
	snprintf(buf, sizeof(buf), "%s%s%s", pod, SA("automountServiceAccountToken: false\n"),
		 SA_BINDING);
	assert_int_equal(count(buf, NULL, "K8S-SA-TOKEN-BOUND"), 0);
	/* the default ServiceAccount itself */
	assert_int_equal(count(SA(""), NULL, "K8S-DEFAULT-SA-AUTOMOUNT"), 1);
	assert_int_equal(count(SA("automountServiceAccountToken: false\n"), NULL,
			       "K8S-DEFAULT-SA-AUTOMOUNT"),
			 0);
}

static void test_mounted_objects(void **state)
{
	const char *pod = POD("  containers:\n  - name: c\n    image: x:1\n    volumeMounts:\n"
			      "    - {name: v, mountPath: /etc/v}\n"
			      "  volumes:\n  - name: v\n    configMap: {name: cm}\n");
	char buf[2048];
	(void)state;

	snprintf(buf, sizeof(buf), "%s---\n%s", pod, CM("  a: b\n"));
	assert_int_equal(count(buf, NULL, "K8S-MOUNTS-CONFIGMAP"), 1);
	/* the ConfigMap of another namespace is not the one mounted */
	snprintf(buf, sizeof(buf),
		 "%s---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm, namespace: other}\n",
		 pod);
	assert_int_equal(count(buf, NULL, "K8S-MOUNTS-CONFIGMAP"), 0);
}

#define CCNP(sel)                                                                        \
	"apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\nmetadata: {name: "  \
	"p}\nspec:\n  endpointSelector: " sel "\n  ingress:\n  - fromEndpoints: [{}]\n"      \
	"---\napiVersion: v1\nkind: Namespace\nmetadata: {name: test}\n"

static void test_clusterwide_policy(void **state)
{
	(void)state;
	assert_int_equal(count(CCNP("{}"), NULL, "K8S-NAMESPACE-NO-NETPOL"), 0);
	assert_int_equal(count(CCNP("{matchExpressions: [{key: role, operator: In, values: [fe]}]}"),
			       NULL, "K8S-NAMESPACE-NO-NETPOL"),
			 1);
	assert_int_equal(count(CCNP("{matchLabels: {\"k8s:io.kubernetes.pod.namespace\": test}}"),
			       NULL, "K8S-NAMESPACE-NO-NETPOL"),
			 0);
	assert_int_equal(count(CCNP("{matchLabels: {\"k8s:io.kubernetes.pod.namespace\": other}}"),
			       NULL, "K8S-NAMESPACE-NO-NETPOL"),
			 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_env_ref_missing),
		cmocka_unit_test(test_run_as_group_root),
		cmocka_unit_test(test_ingress_nginx_injection),
		cmocka_unit_test(test_rolebinding_exec_attach),
		cmocka_unit_test(test_resource_bounds),
		cmocka_unit_test(test_controls_errors),
		cmocka_unit_test(test_floating_tags),
		cmocka_unit_test(test_configmap_credentials),
		cmocka_unit_test(test_seccomp_runtime_default),
		cmocka_unit_test(test_linux_hardening),
		cmocka_unit_test(test_rbac_subject_checks),
		cmocka_unit_test(test_sa_token_bound),
		cmocka_unit_test(test_mounted_objects),
		cmocka_unit_test(test_clusterwide_policy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
