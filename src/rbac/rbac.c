/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RBAC over manifests: roles and their rules, bindings and their subjects,
 * matched the way the Kubernetes RBAC authorizer matches them
 * (plugin/pkg/auth/authorizer/rbac: verbs, API groups and resources with
 * `*` wildcards, a `*` resource with a subresource, aggregated ClusterRoles).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bulwark/k8s.h"
#include "bulwark/rbac.h"

static const struct bw_check_info checks[] = {
	{ "RBAC-WILDCARD", BW_SEV_HIGH, "rbac", "Wildcard in RBAC rules",
	  "A `*` in verbs or resources grants every present and future permission of that kind, "
	  "including ones added by CRDs later.",
	  "List the verbs and resources the subject needs instead of `*`." },
	{ "RBAC-ESCALATE", BW_SEV_CRITICAL, "rbac", "Role can escalate, bind or impersonate",
	  "escalate and bind on roles let a subject grant itself permissions it does not hold; "
	  "impersonate lets it act as any user, group or service account.",
	  "Remove escalate, bind and impersonate from the role unless it administers RBAC." },
	{ "RBAC-SECRETS-ACCESS", BW_SEV_HIGH, "rbac", "Binding grants access to Secrets",
	  "Reading Secrets yields service account tokens and credentials; with a ClusterRoleBinding "
	  "it covers every namespace.",
	  "Grant get on named secrets (resourceNames) in one namespace, or mount the Secret instead." },
	{ "RBAC-CREATE-PODS", BW_SEV_HIGH, "rbac", "Binding grants pod creation",
	  "Whoever can create pods can run them with any service account of the namespace and "
	  "mount its secrets, which is a privilege escalation path.",
	  "Grant create on pods only to controllers that need it." },
	{ "RBAC-KUBE-SYSTEM-PODS", BW_SEV_CRITICAL, "rbac", "Pods can be created in kube-system",
	  "Pods in kube-system can use the highly privileged system service accounts.",
	  "Do not grant create on pods in kube-system (or cluster-wide) to workloads and users." },
	{ "RBAC-POD-EXEC-ATTACH", BW_SEV_HIGH, "rbac", "Role allows pods/exec or pods/attach",
	  "exec and attach give a shell in running containers, with their tokens and secrets.",
	  "Remove pods/exec and pods/attach (and `*` resources) from roles that do not need them." },
	{ "RBAC-BINDING-POD-EXEC-ATTACH", BW_SEV_HIGH, "rbac",
	  "Binding grants pods/exec or pods/attach (or its role is missing)",
	  "A binding to a role with exec or attach gives its subjects shells in running "
	  "containers; a binding to a role that is not among the inputs cannot be verified.",
	  "Bind a role without pods/exec and pods/attach, and ship the role with the binding." },
	{ "RBAC-ROLEBINDING-POD-EXEC-ATTACH", BW_SEV_HIGH, "rbac",
	  "RoleBinding to a Role that grants pods/exec or pods/attach (or is missing)",
	  "A namespaced Role with exec or attach gives the binding's subjects shells in the "
	  "namespace's running containers; a Role that is not among the inputs cannot be verified.",
	  "Bind a Role without pods/exec and pods/attach, and ship the Role with the binding." },
	{ "RBAC-CLUSTER-ADMIN", BW_SEV_CRITICAL, "rbac", "Binding to cluster-admin or a wildcard role",
	  "cluster-admin (or a role with `*` on `*`) is full control of the cluster.",
	  "Bind a role with the permissions the subject needs instead of cluster-admin." },
	{ "RBAC-ADMIN-RULES", BW_SEV_CRITICAL, "rbac",
	  "Binding grants every verb on every resource of all or the core API group",
	  "A role with `*` verbs on `*` resources of the `*` or core (\"\") API group holds "
	  "administrative rights, such as cluster-admin's, whatever it is called; everyone "
	  "bound to it can read every Secret and run anything (Kubescape C-0035 lists each such "
	  "subject).",
	  "Bind a role that lists the verbs and resources the subject needs." },
	{ "RBAC-DELETE-RIGHTS", BW_SEV_MEDIUM, "rbac", "Binding grants deletion of important resources",
	  "Deleting Secrets, Pods, Services or workloads (Deployments, ReplicaSets, DaemonSets, "
	  "StatefulSets, Jobs, CronJobs) takes applications down and destroys evidence.",
	  "Grant delete and deletecollection only to the controllers and operators that need "
	  "them, on the resources they manage." },
	{ "RBAC-CONFIGMAP-UPDATE", BW_SEV_MEDIUM, "rbac",
	  "Binding grants modifying ConfigMaps (e.g. CoreDNS's)",
	  "update or patch on every ConfigMap (or on `coredns` by name) lets a subject rewrite "
	  "the cluster DNS configuration and redirect traffic (CoreDNS poisoning).",
	  "Limit update and patch on ConfigMaps to named ConfigMaps the subject owns "
	  "(resourceNames), never coredns." },
	{ "RBAC-SA-TOKEN-CREATE", BW_SEV_HIGH, "rbac", "Binding grants creating service account tokens",
	  "create on serviceaccounts/token mints tokens for any service account of the "
	  "namespace, and with them its rights.",
	  "Remove create on serviceaccounts/token from roles that are not token issuers." },
	{ "RBAC-CSR-APPROVE", BW_SEV_HIGH, "rbac", "Binding grants approving certificate signing requests",
	  "Updating certificatesigningrequests/approval approves client certificates, which can "
	  "name any user or group, system:masters included.",
	  "Leave CSR approval to the controller manager and cluster administrators." },
	{ "RBAC-PORT-FORWARD", BW_SEV_MEDIUM, "rbac", "Binding grants port forwarding to pods",
	  "create on pods/portforward opens a tunnel to any port of the namespace's pods, past "
	  "Services and NetworkPolicies.",
	  "Remove pods/portforward from roles that do not debug pods." },
	{ "RBAC-DELETE-EVENTS", BW_SEV_LOW, "rbac", "Binding grants deleting events",
	  "Events record what happened in the cluster; deleting them hides an attacker's "
	  "actions.",
	  "Do not grant delete or deletecollection on events." },
	{ "RBAC-CREATE-PV", BW_SEV_MEDIUM, "rbac", "Binding grants creating PersistentVolumes",
	  "A PersistentVolume can be a hostPath volume: whoever creates one and claims it mounts "
	  "the node's file system into a pod.",
	  "Leave PersistentVolume creation to provisioners and administrators." },
	{ "RBAC-DASHBOARD-BINDING", BW_SEV_MEDIUM, "rbac",
	  "Subject other than the dashboard bound to the Kubernetes dashboard's role",
	  "The kubernetes-dashboard role is meant for the dashboard's own service account; "
	  "anyone else bound to it acts with the dashboard's rights.",
	  "Bind kubernetes-dashboard only to the kubernetes-dashboard service account." },
	{ "RBAC-NODES-PROXY", BW_SEV_HIGH, "rbac", "Role allows nodes/proxy",
	  "nodes/proxy reaches the kubelet API directly, which runs commands in any pod of the "
	  "node and bypasses audit logging.",
	  "Remove nodes/proxy from the role." },
	{ "RBAC-DEFAULT-SA-BOUND", BW_SEV_MEDIUM, "rbac", "Default service account is granted rights",
	  "Every pod that does not name a service account runs as `default`, so rights bound to it "
	  "are given to all of them.",
	  "Create a dedicated service account for the workload and bind the role to it." },
};

size_t bw_rbac_check_count(void)
{
	return BW_ARRAY_SIZE(checks);
}

const struct bw_check_info *bw_rbac_check_at(size_t i)
{
	return i < BW_ARRAY_SIZE(checks) ? &checks[i] : NULL;
}

const struct bw_check_info *bw_rbac_check_find(const char *id)
{
	for (size_t i = 0; i < BW_ARRAY_SIZE(checks); i++)
		if (!strcasecmp(checks[i].id, id))
			return &checks[i];
	return NULL;
}

/* ---------------------------------------------------------------- matching */

static bool is(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

static bool seq_has(const struct bw_yaml_node *seq, const char *v)
{
	for (uint32_t i = 0; i < bw_yaml_count(seq); i++)
		if (is(bw_yaml_str(seq->kids[i]), v))
			return true;
	return false;
}

static bool verb_match(const struct bw_yaml_node *rule, const char *verb)
{
	const struct bw_yaml_node *v = bw_yaml_get(rule, "verbs");
	return seq_has(v, "*") || seq_has(v, verb);
}

static bool group_match(const struct bw_yaml_node *rule, const char *group)
{
	const struct bw_yaml_node *g = bw_yaml_get(rule, "apiGroups");
	return seq_has(g, "*") || seq_has(g, group);
}

/* resource is "pods" or "pods/exec". */
static bool resource_match(const struct bw_yaml_node *rule, const char *resource)
{
	const struct bw_yaml_node *r = bw_yaml_get(rule, "resources");
	const char *slash = strchr(resource, '/');

	if (seq_has(r, "*") || seq_has(r, resource))
		return true;
	if (slash) {
		char tmp[256];
		snprintf(tmp, sizeof(tmp), "*%s", slash);
		return seq_has(r, tmp);
	}
	return false;
}

static bool rule_allows(const struct bw_yaml_node *rule, const char *group, const char *resource,
			const char *verb)
{
	return verb_match(rule, verb) && group_match(rule, group) && resource_match(rule, resource);
}

/* ---------------------------------------------------------------- the graph */

struct graph {
	const struct bw_k8s_object **roles; /* Role and ClusterRole */
	size_t nroles;
	const struct bw_k8s_object **bindings;
	size_t nbindings;
};

static bool kind_is(const struct bw_k8s_object *o, const char *k)
{
	return o->kind && !strcmp(o->kind, k);
}

static void graph_done(struct graph *g)
{
	free(g->roles);
	free(g->bindings);
}

static int graph_build(const struct bw_k8s_object *objs, size_t n, struct graph *g)
{
	memset(g, 0, sizeof(*g));
	g->roles = calloc(n ? n : 1, sizeof(*g->roles));
	g->bindings = calloc(n ? n : 1, sizeof(*g->bindings));
	if (!g->roles || !g->bindings) {
		graph_done(g);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		const struct bw_k8s_object *o = &objs[i];
		if (kind_is(o, "Role") || kind_is(o, "ClusterRole"))
			g->roles[g->nroles++] = o;
		else if (kind_is(o, "RoleBinding") || kind_is(o, "ClusterRoleBinding"))
			g->bindings[g->nbindings++] = o;
	}
	return 0;
}

/* The role a binding refers to, or NULL when it is not among the inputs. */
static const struct bw_k8s_object *binding_role(const struct graph *g,
						const struct bw_k8s_object *b)
{
	const struct bw_yaml_node *ref = bw_yaml_get(b->root, "roleRef");
	const char *kind = bw_yaml_str(bw_yaml_get(ref, "kind"));
	const char *name = bw_yaml_str(bw_yaml_get(ref, "name"));

	if (!kind || !name)
		return NULL;
	for (size_t i = 0; i < g->nroles; i++) {
		const struct bw_k8s_object *r = g->roles[i];
		if (!kind_is(r, kind) || !is(r->name, name))
			continue;
		/* A Role lives in the binding's namespace (when both say). */
		if (!strcmp(kind, "Role") && r->namespace && b->namespace &&
		    strcmp(r->namespace, b->namespace))
			continue;
		return r;
	}
	return NULL;
}

static bool labels_match(const struct bw_yaml_node *labels, const struct bw_yaml_node *sel)
{
	const struct bw_yaml_node *ml = bw_yaml_get(sel, "matchLabels");

	if (!ml || ml->type != BW_YAML_MAP || ml->n == 0)
		return false;
	for (uint32_t i = 0; i < ml->n; i++) {
		const char *k = bw_yaml_str(ml->kids[2 * i]);
		const char *v = bw_yaml_str(ml->kids[2 * i + 1]);
		if (!k || !is(bw_yaml_str(bw_yaml_get(labels, k)), v))
			return false;
	}
	return true;
}

typedef bool (*rule_pred)(const struct bw_yaml_node *rule, void *ud);

/* Whether a role (with the roles it aggregates) has a rule satisfying pred. */
static bool role_any_rule(const struct graph *g, const struct bw_k8s_object *r, rule_pred pred,
			  void *ud, int depth)
{
	const struct bw_yaml_node *rules = bw_yaml_get(r->root, "rules");
	const struct bw_yaml_node *agg;

	for (uint32_t i = 0; i < bw_yaml_count(rules); i++)
		if (pred(rules->kids[i], ud))
			return true;
	agg = bw_yaml_path(r->root, "aggregationRule.clusterRoleSelectors");
	if (!agg || depth > 4 || !kind_is(r, "ClusterRole"))
		return false;
	for (size_t i = 0; i < g->nroles; i++) {
		const struct bw_k8s_object *o = g->roles[i];
		const struct bw_yaml_node *labels = bw_yaml_get(o->metadata, "labels");
		if (o == r || !kind_is(o, "ClusterRole"))
			continue;
		for (uint32_t k = 0; k < bw_yaml_count(agg); k++)
			if (labels_match(labels, agg->kids[k]) &&
			    role_any_rule(g, o, pred, ud, depth + 1))
				return true;
	}
	return false;
}

struct access {
	const char *group;
	const char *resource;
	const char *const *verbs;
	size_t nverbs;
	const char *hit; /* the verb that matched */
};

static bool pred_access(const struct bw_yaml_node *rule, void *ud)
{
	struct access *a = ud;

	for (size_t i = 0; i < a->nverbs; i++)
		if (rule_allows(rule, a->group, a->resource, a->verbs[i])) {
			a->hit = a->verbs[i];
			return true;
		}
	return false;
}

/* Polaris' reading of exec/attach: a rule whose apiGroups include "" or
 * `*`, whose resources include `*`, pods/exec or pods/attach, and whose
 * verbs include `*`, get or create (get opens the exec web socket). */
static bool pred_exec_attach(const struct bw_yaml_node *rule, void *ud)
{
	const struct bw_yaml_node *g = bw_yaml_get(rule, "apiGroups");
	const struct bw_yaml_node *r = bw_yaml_get(rule, "resources");
	const struct bw_yaml_node *v = bw_yaml_get(rule, "verbs");

	(void)ud;
	return (seq_has(g, "") || seq_has(g, "*")) &&
	       (seq_has(r, "*") || seq_has(r, "pods/exec") || seq_has(r, "pods/attach") ||
		seq_has(r, "*/exec") || seq_has(r, "*/attach") || seq_has(r, "pods/*")) &&
	       (seq_has(v, "*") || seq_has(v, "get") || seq_has(v, "create"));
}

/* Full control: `*` groups and resources, and `*` verbs or all seven
 * object verbs. */
static bool pred_admin(const struct bw_yaml_node *rule, void *ud)
{
	static const char *const all[] = { "get", "list", "watch", "create", "update", "patch",
					   "delete" };
	const struct bw_yaml_node *v = bw_yaml_get(rule, "verbs");
	bool every = true;

	(void)ud;
	if (!seq_has(bw_yaml_get(rule, "apiGroups"), "*") ||
	    !seq_has(bw_yaml_get(rule, "resources"), "*"))
		return false;
	for (size_t i = 0; i < BW_ARRAY_SIZE(all); i++)
		every = every && seq_has(v, all[i]);
	return seq_has(v, "*") || every;
}

/* Kubescape's administrative rule: `*` verbs on `*` resources of the `*`
 * or core API group. */
static bool pred_admin_rules(const struct bw_yaml_node *rule, void *ud)
{
	const struct bw_yaml_node *g = bw_yaml_get(rule, "apiGroups");

	(void)ud;
	return (seq_has(g, "*") || seq_has(g, "")) && seq_has(bw_yaml_get(rule, "resources"), "*") &&
	       seq_has(bw_yaml_get(rule, "verbs"), "*");
}

/*
 * Kubescape's reading of a dangerous permission (its rule-can-*-v1 and
 * rule-excessive-delete-rights-v1 rules): one rule of the role lists one of
 * the verbs, one of the API groups and one of the resources (each list with
 * its `*`); with a resource name given, the rule must name no resources or
 * that one.
 */
struct ks_perm {
	const char *id;
	const char *what;
	const char *verbs[4];
	const char *groups[5];
	const char *resources[11];
	const char *resource_name;
};

static const struct ks_perm ks_perms[] = {
	{ "RBAC-DELETE-RIGHTS", "delete important resources",
	  { "delete", "deletecollection", "*" },
	  { "", "*", "apps", "batch" },
	  { "secrets", "pods", "services", "deployments", "replicasets", "daemonsets",
	    "statefulsets", "jobs", "cronjobs", "*" },
	  NULL },
	{ "RBAC-CONFIGMAP-UPDATE", "modify ConfigMaps (coredns among them)",
	  { "update", "patch", "*" },
	  { "", "*" },
	  { "configmaps", "*" },
	  "coredns" },
	{ "RBAC-SA-TOKEN-CREATE", "create service account tokens",
	  { "create", "*" },
	  { "", "*" },
	  { "serviceaccounts/token", "serviceaccounts/*", "*" },
	  NULL },
	{ "RBAC-CSR-APPROVE", "approve certificate signing requests",
	  { "update", "patch", "*" },
	  { "certificates.k8s.io", "*" },
	  { "certificatesigningrequests/approval", "certificatesigningrequests/*", "*" },
	  NULL },
	{ "RBAC-PORT-FORWARD", "forward ports of pods",
	  { "create", "*" },
	  { "", "*" },
	  { "pods/portforward", "pods/*", "*" },
	  NULL },
	{ "RBAC-DELETE-EVENTS", "delete events",
	  { "delete", "deletecollection", "*" },
	  { "", "*", "events.k8s.io" },
	  { "events", "*" },
	  NULL },
	{ "RBAC-CREATE-PV", "create PersistentVolumes",
	  { "create", "*" },
	  { "", "*" },
	  { "persistentvolumes", "*" },
	  NULL },
};

static bool seq_has_any(const struct bw_yaml_node *seq, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n && v[i]; i++)
		if (seq_has(seq, v[i]))
			return true;
	return false;
}

static bool pred_ks_perm(const struct bw_yaml_node *rule, void *ud)
{
	const struct ks_perm *p = ud;
	const struct bw_yaml_node *names = bw_yaml_get(rule, "resourceNames");

	if (p->resource_name && bw_yaml_count(names) && !seq_has(names, p->resource_name))
		return false;
	return seq_has_any(bw_yaml_get(rule, "verbs"), p->verbs, BW_ARRAY_SIZE(p->verbs)) &&
	       seq_has_any(bw_yaml_get(rule, "apiGroups"), p->groups, BW_ARRAY_SIZE(p->groups)) &&
	       seq_has_any(bw_yaml_get(rule, "resources"), p->resources,
			   BW_ARRAY_SIZE(p->resources));
}

static bool exempt_name(const char *name)
{
	return name && (bw_startswith(name, "system:") ||
			!strcmp(name, "gce:podsecuritypolicy:calico-sa"));
}

/* ---------------------------------------------------------------- checks */

static int report(const struct bw_k8s_reporter *s, const char *id, const struct bw_k8s_object *o,
		  const struct bw_yaml_node *n, const char *fmt, ...) BW_PRINTF(5, 6);

static int report(const struct bw_k8s_reporter *s, const char *id, const struct bw_k8s_object *o,
		  const struct bw_yaml_node *n, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return s->report(s->ud, bw_rbac_check_find(id), o, n, NULL, msg);
}

static int check_role(const struct bw_k8s_reporter *s, const struct graph *g,
		      const struct bw_k8s_object *r)
{
	const struct bw_yaml_node *rules = bw_yaml_get(r->root, "rules");
	bool cluster = kind_is(r, "ClusterRole");
	int e;

	(void)g;
	for (uint32_t i = 0; i < bw_yaml_count(rules); i++) {
		const struct bw_yaml_node *rule = rules->kids[i];
		const struct bw_yaml_node *v = bw_yaml_get(rule, "verbs");
		const struct bw_yaml_node *res = bw_yaml_get(rule, "resources");

		if (seq_has(v, "*") || seq_has(res, "*")) {
			e = report(s, "RBAC-WILDCARD", r, rule, "%s`%s` uses a wildcard in its rules",
				   cluster ? "ClusterRole " : "Role ", r->name);
			if (e < 0)
				return e;
		}
		/* impersonation also through `*` verbs on users, groups or
		 * service accounts */
		if (seq_has(v, "escalate") || seq_has(v, "bind") || seq_has(v, "impersonate") ||
		    rule_allows(rule, "", "users", "impersonate") ||
		    rule_allows(rule, "", "groups", "impersonate") ||
		    rule_allows(rule, "", "serviceaccounts", "impersonate")) {
			e = report(s, "RBAC-ESCALATE", r, rule,
				   "%s`%s` grants escalate, bind or impersonate",
				   cluster ? "ClusterRole " : "Role ", r->name);
			if (e < 0)
				return e;
		}
		if (rule_allows(rule, "", "nodes/proxy", "get") ||
		    rule_allows(rule, "", "nodes/proxy", "create")) {
			e = report(s, "RBAC-NODES-PROXY", r, rule, "%s`%s` allows nodes/proxy",
				   cluster ? "ClusterRole " : "Role ", r->name);
			if (e < 0)
				return e;
		}
	}
	/* Default roles (admin, edit, cluster-admin, system:*) are exempt, as
	 * Polaris exempts them. */
	if (!exempt_name(r->name) && !is(r->name, "admin") && !is(r->name, "edit") &&
	    !is(r->name, "cluster-admin")) {
		for (uint32_t i = 0; i < bw_yaml_count(rules); i++) {
			if (!pred_exec_attach(rules->kids[i], NULL))
				continue;
			e = report(s, "RBAC-POD-EXEC-ATTACH", r, rules->kids[i],
				   "%s`%s` allows pods/exec or pods/attach",
				   cluster ? "ClusterRole " : "Role ", r->name);
			if (e < 0)
				return e;
			break;
		}
	}
	return 0;
}

/* Reports id once for each subject of binding b when a rule of role (its
 * own rules) satisfies pred: "Kind `name` <what> through Kind `role`". */
static int report_subjects(const struct bw_k8s_reporter *s, const char *id,
			   const struct bw_k8s_object *b, const struct bw_k8s_object *role,
			   rule_pred pred, void *ud, const char *what)
{
	const struct bw_yaml_node *rules = bw_yaml_get(role->root, "rules");
	const struct bw_yaml_node *subjects = bw_yaml_get(b->root, "subjects");
	bool hit = false;
	int e;

	for (uint32_t i = 0; i < bw_yaml_count(rules) && !hit; i++)
		hit = pred(rules->kids[i], ud);
	for (uint32_t i = 0; hit && i < bw_yaml_count(subjects); i++) {
		const struct bw_yaml_node *sub = subjects->kids[i];
		const char *sk = bw_yaml_str(bw_yaml_get(sub, "kind"));
		const char *sn = bw_yaml_str(bw_yaml_get(sub, "name"));
		if ((e = report(s, id, b, sub, "%s `%s` %s through %s `%s`", sk ? sk : "subject",
				sn ? sn : "", what, role->kind, role->name ? role->name : "")) < 0)
			return e;
	}
	return 0;
}

static int check_binding(const struct bw_k8s_reporter *s, const struct graph *g,
			 const struct bw_k8s_object *b)
{
	static const char *const read_verbs[] = { "get", "list", "watch" };
	static const char *const create_verbs[] = { "create" };
	const struct bw_yaml_node *ref = bw_yaml_get(b->root, "roleRef");
	const struct bw_yaml_node *subjects = bw_yaml_get(b->root, "subjects");
	const char *rkind = bw_yaml_str(bw_yaml_get(ref, "kind"));
	const char *rname = bw_yaml_str(bw_yaml_get(ref, "name"));
	const struct bw_k8s_object *role = binding_role(g, b);
	bool crb = kind_is(b, "ClusterRoleBinding");
	int e;

	if (!rname)
		return 0;

	/* cluster-admin, or a role with full wildcard rules */
	if (!exempt_name(b->name) && !(crb && is(b->name, "cluster-admin"))) {
		bool admin = is(rname, "cluster-admin") && is(rkind, "ClusterRole");
		if (!admin && role && !is(rname, "view") && !is(role->name, "cluster-admin"))
			admin = role_any_rule(g, role, pred_admin, NULL, 0);
		if (admin && (e = report(s, "RBAC-CLUSTER-ADMIN", b, ref,
					 "binding grants cluster-admin rights through %s `%s`",
					 rkind ? rkind : "role", rname)) < 0)
			return e;
	}

	/* administrative rights and Kubescape's dangerous permissions, per
	 * subject (a role among the inputs, its own rules: Kubescape does not
	 * follow aggregation) */
	if (role && (e = report_subjects(s, "RBAC-ADMIN-RULES", b, role, pred_admin_rules, NULL,
					 "gets every verb on every resource")) < 0)
		return e;
	for (size_t k = 0; role && k < BW_ARRAY_SIZE(ks_perms); k++) {
		char what[128];
		snprintf(what, sizeof(what), "can %s", ks_perms[k].what);
		if ((e = report_subjects(s, ks_perms[k].id, b, role, pred_ks_perm,
					 (void *)&ks_perms[k], what)) < 0)
			return e;
	}

	/* the dashboard's role bound to anyone but the dashboard's service
	 * account */
	if (is(rname, "kubernetes-dashboard")) {
		for (uint32_t i = 0; i < bw_yaml_count(subjects); i++) {
			const struct bw_yaml_node *sub = subjects->kids[i];
			const char *sk = bw_yaml_str(bw_yaml_get(sub, "kind"));
			const char *sn = bw_yaml_str(bw_yaml_get(sub, "name"));
			if (is(sk, "ServiceAccount") && is(sn, "kubernetes-dashboard"))
				continue;
			if ((e = report(s, "RBAC-DASHBOARD-BINDING", b, sub,
					"%s `%s` is bound to the dashboard's %s", sk ? sk : "subject",
					sn ? sn : "", rkind ? rkind : "role")) < 0)
				return e;
		}
	}

	/* exec/attach through the bound role; a role missing from the inputs
	 * cannot be verified and is reported too (as Polaris does). */
	if (!exempt_name(b->name) && rkind &&
	    (!crb || !strcmp(rkind, "ClusterRole"))) {
		/* a binding to a system: role is the user's doing: not exempt */
		bool bad = !role || role_any_rule(g, role, pred_exec_attach, NULL, 0);
		if (role && (is(role->name, "cluster-admin") || is(role->name, "admin") ||
			     is(role->name, "edit")))
			bad = false;
		/* a RoleBinding to a namespaced Role is reported apart from
		 * bindings to ClusterRoles, as Polaris tells them apart */
		const char *id = !crb && !strcmp(rkind, "Role") ? "RBAC-ROLEBINDING-POD-EXEC-ATTACH" :
								  "RBAC-BINDING-POD-EXEC-ATTACH";
		if (bad && (e = report(s, id, b, ref,
				       role ? "binding to %s `%s` that allows pods/exec or pods/attach" :
					      "binding to %s `%s` that is not among the inputs",
				       rkind, rname)) < 0)
			return e;
	}

	if (role) {
		struct access a = { "", "secrets", read_verbs, BW_ARRAY_SIZE(read_verbs), NULL };
		if (role_any_rule(g, role, pred_access, &a, 0)) {
			char msg[512];
			snprintf(msg, sizeof(msg), "binding to \"%s\" role that has [%s] access to [secrets]%s",
				 rname, a.hit, crb ? " in every namespace" : "");
			if ((e = report(s, "RBAC-SECRETS-ACCESS", b, ref, "%s", msg)) < 0)
				return e;
		}
		struct access c = { "", "pods", create_verbs, 1, NULL };
		if (role_any_rule(g, role, pred_access, &c, 0)) {
			if ((e = report(s, "RBAC-CREATE-PODS", b, ref,
					"binding to \"%s\" role that has [create] access to [pods]%s",
					rname, crb ? " in every namespace" : "")) < 0)
				return e;
			if ((crb || is(b->namespace, "kube-system")) &&
			    (e = report(s, "RBAC-KUBE-SYSTEM-PODS", b, ref,
					"binding to `%s` allows creating pods in kube-system%s", rname,
					crb ? " (cluster-wide)" : "")) < 0)
				return e;
		}
	}

	/* rights given to a namespace's default service account */
	for (uint32_t i = 0; i < bw_yaml_count(subjects); i++) {
		const struct bw_yaml_node *sub = subjects->kids[i];
		if (is(bw_yaml_str(bw_yaml_get(sub, "kind")), "ServiceAccount") &&
		    is(bw_yaml_str(bw_yaml_get(sub, "name")), "default") && !exempt_name(b->name)) {
			const char *ns = bw_yaml_str(bw_yaml_get(sub, "namespace"));
			if ((e = report(s, "RBAC-DEFAULT-SA-BOUND", b, sub,
					"default service account%s%s is bound to a role", ns ? " of " : "",
					ns ? ns : "")) < 0)
				return e;
		}
	}
	return 0;
}

int bw_rbac_check(const struct bw_k8s_set *set, struct bw_error **err)
{
	const struct bw_k8s_reporter *s = &set->reporter;
	struct graph g;
	int r = 0;

	if (graph_build(set->objs, set->n, &g) < 0)
		return bw_error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < g.nroles && r >= 0; i++)
		r = check_role(s, &g, g.roles[i]);
	for (size_t i = 0; i < g.nbindings && r >= 0; i++)
		r = check_binding(s, &g, g.bindings[i]);
	graph_done(&g);
	if (r < 0)
		return bw_error_set(err, r, "rbac: out of memory");
	return 0;
}

/* ---------------------------------------------------------------- who-can */

int bw_rbac_who_can(const struct bw_k8s_set *set, const char *verb, const char *resource,
		    const char *namespace, struct bw_rbac_grant **ret, size_t *ret_n,
		    struct bw_error **err)
{
	const char *const verbs[] = { verb };
	struct bw_rbac_grant *out = NULL;
	size_t n = 0;
	char group[256] = "", res[256];
	struct graph g;
	const char *slash = strchr(resource, '/');

	/* "apps/deployments" names a group; "pods/exec" a subresource. The
	 * core resources with subresources are told apart by their group part
	 * containing a dot or being a known group name. */
	snprintf(res, sizeof(res), "%s", resource);
	if (slash) {
		size_t gl = (size_t)(slash - resource);
		static const char *const groups[] = { "apps", "batch", "policy", "autoscaling",
						      "extensions" };
		bool is_group = memchr(resource, '.', gl) != NULL;
		for (size_t i = 0; i < BW_ARRAY_SIZE(groups); i++)
			if (gl == strlen(groups[i]) && !strncmp(resource, groups[i], gl))
				is_group = true;
		if (is_group && gl < sizeof(group)) {
			memcpy(group, resource, gl);
			group[gl] = 0;
			snprintf(res, sizeof(res), "%s", slash + 1);
		}
	}
	if (graph_build(set->objs, set->n, &g) < 0)
		return bw_error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < g.nbindings; i++) {
		const struct bw_k8s_object *b = g.bindings[i];
		const struct bw_k8s_object *role = binding_role(&g, b);
		const struct bw_yaml_node *subjects = bw_yaml_get(b->root, "subjects");
		struct access a = { group, res, verbs, 1, NULL };
		bool crb = kind_is(b, "ClusterRoleBinding");

		if (!role)
			continue;
		if (!crb && (!namespace || (b->namespace && strcmp(b->namespace, namespace))))
			continue;
		if (!role_any_rule(&g, role, pred_access, &a, 0))
			continue;
		for (uint32_t k = 0; k < bw_yaml_count(subjects); k++) {
			const struct bw_yaml_node *sub = subjects->kids[k];
			struct bw_rbac_grant *ng = realloc(out, (n + 1) * sizeof(*ng));
			if (!ng) {
				free(out);
				graph_done(&g);
				return bw_error_set(err, -ENOMEM, "out of memory");
			}
			out = ng;
			out[n] = (struct bw_rbac_grant){
				.subject_kind = bw_yaml_str(bw_yaml_get(sub, "kind")),
				.subject_name = bw_yaml_str(bw_yaml_get(sub, "name")),
				.subject_namespace = bw_yaml_str(bw_yaml_get(sub, "namespace")),
				.binding_kind = b->kind,
				.binding_name = b->name,
				.binding_namespace = crb ? NULL : b->namespace,
				.role_kind = role->kind,
				.role_name = role->name,
			};
			if (!out[n].subject_namespace && is(out[n].subject_kind, "ServiceAccount"))
				out[n].subject_namespace = b->namespace;
			n++;
		}
	}
	graph_done(&g);
	*ret = out;
	*ret_n = n;
	return 0;
}
