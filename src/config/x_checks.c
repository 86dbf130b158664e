/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Checks that look at more than one object (a Service and the pods it
 * selects, an Ingress and its Services, a NetworkPolicy and the pods it
 * isolates, ...), and object-level checks of kinds other than workloads
 * (HorizontalPodAutoscaler, PodDisruptionBudget, PodSecurityPolicy,
 * Namespace). They follow kube-linter's and Kubescape's documented
 * semantics; docs/peer-checks.tsv maps the ids.
 *
 * Objects are compared within their namespace (unset means `default`); an
 * object the inputs do not hold is "missing", so these checks are meant for
 * a whole application's manifests at once.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bulwark/config.h"
#include "config/internal.h"

const struct bw_check_info bw_x_checks[] = {
	{ "K8S-DANGLING-SERVICE", BW_SEV_LOW, "kubernetes", "Service selects no pods",
	  "A Service whose selector matches no workload in its namespace sends traffic nowhere; "
	  "usually a typo in a label.",
	  "Make the Service's selector match the pod template labels of a workload." },
	{ "K8S-DANGLING-INGRESS", BW_SEV_LOW, "kubernetes", "Ingress backend Service missing",
	  "An Ingress backend naming a Service that does not exist in its namespace returns "
	  "errors, or serves whoever creates that Service later.",
	  "Point the backend at an existing Service in the Ingress's namespace." },
	{ "K8S-DANGLING-HPA", BW_SEV_LOW, "kubernetes", "HorizontalPodAutoscaler targets nothing",
	  "The scaleTargetRef names a workload that is not in the autoscaler's namespace, so "
	  "nothing is scaled.",
	  "Fix scaleTargetRef (kind, name) or deploy the autoscaler with its workload." },
	{ "K8S-DANGLING-NETPOL", BW_SEV_LOW, "kubernetes", "NetworkPolicy selects no pods",
	  "A NetworkPolicy whose podSelector matches no workload isolates nothing: the pods "
	  "meant to be protected are open.",
	  "Make spec.podSelector match the pod template labels of a workload." },
	{ "K8S-DANGLING-NETPOL-PEER", BW_SEV_LOW, "kubernetes",
	  "NetworkPolicy rule's podSelector selects no pods",
	  "An ingress or egress peer whose podSelector matches no workload allows nothing; the "
	  "intended traffic is blocked or the rule is stale.",
	  "Make the peer's podSelector match the labels of a workload in the namespace." },
	{ "K8S-DANGLING-GATEWAY-BACKEND", BW_SEV_LOW, "kubernetes",
	  "Gateway API route backend Service missing",
	  "A route's backendRef naming a missing Service drops the traffic.",
	  "Point backendRefs at existing Services." },
	{ "K8S-MISMATCHING-SELECTOR", BW_SEV_MEDIUM, "kubernetes",
	  "Workload selector does not match its pod template",
	  "The API server refuses a Deployment whose selector misses its template labels; for "
	  "older kinds the controller adopts or orphans the wrong pods.",
	  "Make spec.selector match spec.template.metadata.labels." },
	{ "K8S-NONEXISTENT-SA", BW_SEV_MEDIUM, "kubernetes", "ServiceAccount does not exist",
	  "A pod naming a ServiceAccount that does not exist is not created.",
	  "Create the ServiceAccount in the workload's namespace, or fix the name." },
	{ "K8S-DEFAULT-SA", BW_SEV_LOW, "kubernetes", "Pod uses the default ServiceAccount",
	  "Every pod of the namespace shares the default ServiceAccount, and with it any rights "
	  "someone grants it.",
	  "Create a ServiceAccount per application and set serviceAccountName." },
	{ "K8S-DEPRECATED-SA-FIELD", BW_SEV_LOW, "kubernetes",
	  "Deprecated serviceAccount field",
	  "spec.serviceAccount is a deprecated alias of serviceAccountName; when both are set and "
	  "differ the result surprises.",
	  "Use spec.serviceAccountName only." },
	{ "K8S-NON-ISOLATED-POD", BW_SEV_MEDIUM, "kubernetes", "Pods not selected by a NetworkPolicy",
	  "Pods that no NetworkPolicy selects accept traffic from, and send it to, anything in "
	  "the cluster: one compromised pod reaches them all.",
	  "Add a NetworkPolicy (or Cilium policy) that selects these pods, e.g. a default deny "
	  "with an empty podSelector." },
	{ "K8S-NAMESPACE-NO-NETPOL", BW_SEV_MEDIUM, "kubernetes", "Namespace without NetworkPolicy",
	  "A namespace with no network policy lets every pod talk to every other pod of the "
	  "cluster.",
	  "Add a default-deny NetworkPolicy to the namespace." },
	{ "K8S-MIN-REPLICAS", BW_SEV_LOW, "kubernetes", "Fewer than three replicas",
	  "With fewer than three replicas a node drain during an incident leaves one pod or none.",
	  "Set spec.replicas to 3 or more." },
	{ "K8S-HPA-MIN-REPLICAS", BW_SEV_LOW, "kubernetes",
	  "HorizontalPodAutoscaler minReplicas below three",
	  "An autoscaler allowed to scale down to one or two pods loses availability on a node "
	  "failure.",
	  "Set spec.minReplicas to 3 or more." },
	{ "K8S-PDB-ZERO-DISRUPTIONS", BW_SEV_MEDIUM, "kubernetes",
	  "PodDisruptionBudget allows no disruption",
	  "maxUnavailable 0 (or 0%), or minAvailable 100%, blocks every voluntary eviction: node "
	  "drains and cluster upgrades hang.",
	  "Set maxUnavailable to at least 1, or minAvailable below 100%." },
	{ "K8S-INGRESS-TLS", BW_SEV_MEDIUM, "kubernetes", "Ingress without TLS",
	  "Traffic to an Ingress without spec.tls is served in clear text.",
	  "Add spec.tls with a certificate Secret for the Ingress's hosts." },
	{ "K8S-NETPOL-INGRESS-EGRESS", BW_SEV_MEDIUM, "kubernetes",
	  "No NetworkPolicy with ingress and egress rules selects the pods",
	  "Polaris' reading: pods should be selected (by label) by a NetworkPolicy that applies "
	  "both ingress and egress rules, so both directions are restricted.",
	  "Add a NetworkPolicy whose podSelector.matchLabels match the pod labels, with "
	  "policyTypes Ingress and Egress and rules for both." },
	{ "K8S-PDB-MIN-AVAILABLE", BW_SEV_MEDIUM, "kubernetes",
	  "PodDisruptionBudget minAvailable not below the replicas",
	  "When minAvailable is at least the replica count no pod may ever be evicted: node "
	  "drains hang.",
	  "Set minAvailable below the workload's replicas (or use a percentage below 100%)." },
	{ "K8S-PDB-EVICTION-POLICY", BW_SEV_LOW, "kubernetes",
	  "PodDisruptionBudget unhealthyPodEvictionPolicy not set",
	  "By default unhealthy pods are guarded by the budget too, so a crash-looping pod can "
	  "block a drain.",
	  "Set spec.unhealthyPodEvictionPolicy (AlwaysAllow in most cases)." },
	{ "K8S-RESTART-POLICY", BW_SEV_LOW, "kubernetes", "restartPolicy is Never",
	  "Pods that are never restarted stay down after a crash.",
	  "Use restartPolicy Always (services) or OnFailure (jobs)." },
	{ "K8S-PROBE-PORT", BW_SEV_LOW, "kubernetes", "Probe port not exposed by the container",
	  "A probe on a port the container does not declare (or declares for UDP) usually fails, "
	  "restarting or withholding a healthy pod.",
	  "Probe a port listed in the container's ports (by number or by name)." },
	{ "K8S-ROLLING-UPDATE", BW_SEV_LOW, "kubernetes", "Deployment strategy is not RollingUpdate",
	  "Other strategies stop every old pod before the new ones start: downtime on each "
	  "release.",
	  "Set spec.strategy.type: RollingUpdate." },
	{ "K8S-ENV-REF-MISSING", BW_SEV_MEDIUM, "kubernetes",
	  "Environment variable refers to a missing Secret, ConfigMap or key",
	  "A container whose valueFrom names a Secret or ConfigMap (or a key in one) that is not "
	  "deployed with it does not start.",
	  "Ship the Secret or ConfigMap with the workload, fix the name or key, or mark the "
	  "reference optional." },
	{ "K8S-ANTI-AFFINITY", BW_SEV_LOW, "kubernetes", "No pod anti-affinity",
	  "Without anti-affinity all replicas may land on one node and fail together.",
	  "Add podAntiAffinity (preferred, on kubernetes.io/hostname) to the pod template." },
	{ "K8S-IMAGE-DIGEST", BW_SEV_LOW, "kubernetes", "Image not pinned to a digest",
	  "A tag can be moved to other content at any time; only a digest names exactly the "
	  "image that was reviewed.",
	  "Reference images as name@sha256:<64 hex digits>." },
	{ "K8S-SA-TOKEN-BOUND", BW_SEV_MEDIUM, "kubernetes",
	  "Pod mounts the token of a service account that has rights",
	  "The token of a service account a binding grants rights to is a key to the API server "
	  "in every container of the pod; whoever breaks into one uses those rights.",
	  "Set automountServiceAccountToken: false on the pod (or the ServiceAccount) and mount a "
	  "projected token only where the workload calls the API." },
	{ "K8S-DASHBOARD-SA", BW_SEV_MEDIUM, "kubernetes",
	  "Workload runs as the Kubernetes dashboard's service account",
	  "The kubernetes-dashboard service account carries the dashboard's rights; another "
	  "workload using it gets them too.",
	  "Give the workload a service account of its own." },
	{ "K8S-MOUNTS-SECRET", BW_SEV_LOW, "kubernetes", "Container mounts a Secret",
	  "A mounted Secret is readable by everything in the container; an attacker who gets in "
	  "reads it (an attack-surface finding, Kubescape C-0255).",
	  "Mount only the Secrets the container needs, read-only, with only the keys it uses." },
	{ "K8S-MOUNTS-PVC", BW_SEV_LOW, "kubernetes", "Container mounts a PersistentVolumeClaim",
	  "Data on a persistent volume outlives the pod and is shared with whoever mounts it "
	  "next (an attack-surface finding, Kubescape C-0257).",
	  "Mount persistent volumes read-only where the workload does not write them." },
	{ "K8S-MOUNTS-CONFIGMAP", BW_SEV_LOW, "kubernetes", "Container mounts a ConfigMap",
	  "A mounted ConfigMap is configuration whoever may edit it can change under the running "
	  "workload (an attack-surface finding, Kubescape C-0258).",
	  "Limit who may update the ConfigMap, or bake the configuration into the image." },
	{ "K8S-LINUX-HARDENING", BW_SEV_MEDIUM, "kubernetes", "No Linux hardening",
	  "A container without a seccomp profile of its own or from its pod (nor the pod's "
	  "SELinux or AppArmor confinement) can make every system call, the path of most kernel "
	  "exploits; dropping capabilities does not restrict system calls.",
	  "Set securityContext.seccompProfile (RuntimeDefault) on the pod, or on each container "
	  "including init containers." },
	{ "K8S-SUDO-ENTRYPOINT", BW_SEV_MEDIUM, "kubernetes", "sudo in the container's command",
	  "A command that needs sudo means the image carries sudo and a user allowed to use it: "
	  "root is one step away.",
	  "Run the command as the user it needs, without sudo." },
	{ "K8S-OLD-REGISTRY", BW_SEV_LOW, "kubernetes", "Image from the frozen k8s.gcr.io",
	  "k8s.gcr.io is frozen and receives no updates, including security fixes.",
	  "Pull the image from registry.k8s.io." },
	{ "K8S-NAMESPACE-PSA", BW_SEV_MEDIUM, "kubernetes",
	  "Namespace does not enforce a Pod Security level",
	  "Without a pod-security.kubernetes.io/enforce label of baseline or restricted, the "
	  "namespace admits privileged pods.",
	  "Label the namespace pod-security.kubernetes.io/enforce=baseline (or restricted)." },
	{ "K8S-NAMESPACE-PSA-RESTRICTED", BW_SEV_LOW, "kubernetes",
	  "Namespace does not enforce the restricted Pod Security level",
	  "Only the restricted level requires non-root users, dropped capabilities and seccomp.",
	  "Label the namespace pod-security.kubernetes.io/enforce=restricted." },
	{ "K8S-PSP-PRIVILEGED", BW_SEV_HIGH, "kubernetes", "PodSecurityPolicy allows privileged",
	  "The policy admits privileged containers.", "Set spec.privileged: false." },
	{ "K8S-PSP-HOST-PID", BW_SEV_HIGH, "kubernetes", "PodSecurityPolicy allows hostPID",
	  "The policy admits pods sharing the host PID namespace.", "Set spec.hostPID: false." },
	{ "K8S-PSP-HOST-IPC", BW_SEV_HIGH, "kubernetes", "PodSecurityPolicy allows hostIPC",
	  "The policy admits pods sharing the host IPC namespace.", "Set spec.hostIPC: false." },
	{ "K8S-PSP-HOST-NETWORK", BW_SEV_HIGH, "kubernetes", "PodSecurityPolicy allows hostNetwork",
	  "The policy admits pods on the host network.", "Set spec.hostNetwork: false." },
	{ "K8S-PSP-PRIVILEGE-ESCALATION", BW_SEV_MEDIUM, "kubernetes",
	  "PodSecurityPolicy allows privilege escalation",
	  "The policy admits containers whose processes may gain privileges (setuid).",
	  "Set spec.allowPrivilegeEscalation: false." },
	{ "K8S-PSP-ROOT", BW_SEV_MEDIUM, "kubernetes", "PodSecurityPolicy allows root",
	  "The policy admits containers running as UID 0.",
	  "Set spec.runAsUser.rule: MustRunAsNonRoot, or MustRunAs with ranges above 0." },
	{ "K8S-PSP-ALLOWED-CAPABILITIES", BW_SEV_MEDIUM, "kubernetes",
	  "PodSecurityPolicy allows added capabilities",
	  "allowedCapabilities lets pods add capabilities beyond the default set.",
	  "Remove spec.allowedCapabilities or leave it empty." },
	{ "K8S-PSP-DROP-CAPABILITIES", BW_SEV_MEDIUM, "kubernetes",
	  "PodSecurityPolicy does not require dropping capabilities",
	  "Without requiredDropCapabilities (ALL or NET_RAW) pods keep the default set.",
	  "Set spec.requiredDropCapabilities: [ALL] (or at least NET_RAW)." },
	{ "K8S-CREDENTIALS-ENV", BW_SEV_HIGH, "kubernetes", "Credentials in the environment",
	  "Kubescape's reading: a literal value under a credential-like name (key, token, "
	  "password, pwd, jwt, bearer, credential, secret), a value that looks like a key or "
	  "token, or a whole Secret loaded with envFrom. Environment variables leak into logs, "
	  "crash dumps and child processes.",
	  "Mount credentials as files from a Secret (or an external secret store)." },
	{ "K8S-INSECURE-CAPABILITIES", BW_SEV_HIGH, "kubernetes", "Insecure capability added",
	  "Capabilities such as SYS_ADMIN, SYS_PTRACE, SYS_MODULE, NET_ADMIN, NET_RAW or BPF "
	  "give a container powers over the node's kernel or network.",
	  "Remove them from securityContext.capabilities.add." },
	{ "K8S-SELINUX-UNSET", BW_SEV_LOW, "kubernetes", "No SELinux options",
	  "Without seLinuxOptions the container gets whatever label the runtime picks; CIS asks "
	  "for an explicit security context.",
	  "Set securityContext.seLinuxOptions on the pod or its containers." },
	{ "K8S-FSGROUP", BW_SEV_LOW, "kubernetes", "fsGroup not set, or 0",
	  "Volumes are then owned by root's group (or left as they are), so the non-root "
	  "process needs more rights to use them.",
	  "Set spec.securityContext.fsGroup to a non-zero group." },
	{ "K8S-FSGROUP-CHANGE-POLICY", BW_SEV_LOW, "kubernetes", "fsGroupChangePolicy not set",
	  "Without a policy every volume is recursively chowned at each start.",
	  "Set spec.securityContext.fsGroupChangePolicy (OnRootMismatch or Always)." },
	{ "K8S-SUPPLEMENTAL-GROUP-ROOT", BW_SEV_MEDIUM, "kubernetes",
	  "Supplemental group 0 (root)",
	  "Group 0 grants access to every root-group file of the image and of mounted volumes.",
	  "Remove 0 from spec.securityContext.supplementalGroups." },
	{ "K8S-WINDOWS-GMSA", BW_SEV_LOW, "kubernetes", "Windows pod without a gMSA credential spec",
	  "A Windows pod without gmsaCredentialSpecName has no managed domain identity.",
	  "Set securityContext.windowsOptions.gmsaCredentialSpecName on the pod or every "
	  "container." },
	{ "K8S-WINDOWS-RUN-AS-USERNAME", BW_SEV_LOW, "kubernetes",
	  "Windows pod without runAsUserName",
	  "Without runAsUserName a Windows container runs as the image's default user, often "
	  "ContainerAdministrator.",
	  "Set securityContext.windowsOptions.runAsUserName on the pod or every container." },
	{ "K8S-SANDBOX-EGRESS", BW_SEV_HIGH, "kubernetes", "Agent sandbox egress not scoped",
	  "A SandboxTemplate runs untrusted (often AI-generated) code; unmanaged networking, the "
	  "default policy, or an egress rule open to everything lets it reach any address.",
	  "Set networkPolicyManagement: Managed and a networkPolicy whose egress peers are "
	  "scoped (labelled selectors, non-universal CIDRs)." },
	{ "K8S-SANDBOX-RUNTIME-CLASS", BW_SEV_HIGH, "kubernetes",
	  "Agent sandbox without a hardened runtime class",
	  "Untrusted code in a runc container shares the node's kernel; gVisor or Kata put a "
	  "kernel boundary in between.",
	  "Set podTemplate.spec.runtimeClassName to gvisor or a kata runtime class." },
};
const size_t bw_x_nchecks = BW_ARRAY_SIZE(bw_x_checks);

#define XREPORT(s, id, o, node, c, ...)                                              \
	bw_config_scan_report((s), check_by_id(bw_x_checks, bw_x_nchecks, (id)), (o), (node), \
			      (c), __VA_ARGS__)

/* ---------------------------------------------------------------- helpers */

static bool is(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

static const char *ns_of(const struct bw_k8s_object *o)
{
	return o->namespace && *o->namespace ? o->namespace : "default";
}

static const char *oname(const struct bw_k8s_object *o)
{
	return o->name ? o->name : "";
}

static bool seq_has_str(const struct bw_yaml_node *seq, const char *v)
{
	for (uint32_t i = 0; i < bw_yaml_count(seq); i++)
		if (is(bw_yaml_str(seq->kids[i]), v))
			return true;
	return false;
}

/* A map of labels holds key=value. */
static bool labels_have(const struct bw_yaml_node *labels, const char *k, const char *v)
{
	const char *l = bw_yaml_str(bw_yaml_get(labels, k));
	return l && v && !strcmp(l, v);
}

/* Label keys of Cilium selectors may carry a source prefix (`k8s:app`). */
static const char *label_key(const char *k, bool cilium)
{
	return cilium && bw_startswith(k, "k8s:") ? k + 4 : k;
}

/* Every key=value of a plain selector map is among labels (an empty map
 * selects everything). Cilium's namespace pseudo-label is not a pod label
 * and is skipped. */
static bool map_selects_(const struct bw_yaml_node *sel, const struct bw_yaml_node *labels,
			 bool cilium)
{
	for (uint32_t i = 0; sel && sel->type == BW_YAML_MAP && i < sel->n; i++) {
		const char *k = bw_yaml_str(sel->kids[2 * i]);
		const char *v = bw_yaml_str(sel->kids[2 * i + 1]);
		if (!k)
			continue;
		k = label_key(k, cilium);
		if (cilium && bw_startswith(k, "io.kubernetes.pod.namespace"))
			continue;
		if (!labels_have(labels, k, v ? v : ""))
			return false;
	}
	return true;
}

static bool map_selects(const struct bw_yaml_node *sel, const struct bw_yaml_node *labels)
{
	return map_selects_(sel, labels, false);
}

/* A metav1.LabelSelector: matchLabels and matchExpressions (In, NotIn,
 * Exists, DoesNotExist; an unknown operator selects nothing). */
static bool selector_selects_(const struct bw_yaml_node *sel, const struct bw_yaml_node *labels,
			      bool cilium)
{
	const struct bw_yaml_node *ex = bw_yaml_get(sel, "matchExpressions");

	if (!map_selects_(bw_yaml_get(sel, "matchLabels"), labels, cilium))
		return false;
	for (uint32_t i = 0; i < bw_yaml_count(ex); i++) {
		const char *k = bw_yaml_str(bw_yaml_get(ex->kids[i], "key"));
		const char *op = bw_yaml_str(bw_yaml_get(ex->kids[i], "operator"));
		const struct bw_yaml_node *vals = bw_yaml_get(ex->kids[i], "values");
		const char *l;
		if (!k || !op)
			return false;
		k = label_key(k, cilium);
		if (cilium && bw_startswith(k, "io.kubernetes.pod.namespace"))
			continue;
		l = bw_yaml_str(bw_yaml_get(labels, k));
		if (!strcmp(op, "In")) {
			if (!(l && seq_has_str(vals, l)))
				return false;
		} else if (!strcmp(op, "NotIn")) {
			if (l && seq_has_str(vals, l))
				return false;
		} else if (!strcmp(op, "Exists")) {
			if (!l)
				return false;
		} else if (!strcmp(op, "DoesNotExist")) {
			if (l)
				return false;
		} else {
			return false;
		}
	}
	return true;
}

static bool selector_selects(const struct bw_yaml_node *sel, const struct bw_yaml_node *labels)
{
	return selector_selects_(sel, labels, false);
}

static bool selector_empty(const struct bw_yaml_node *sel)
{
	const struct bw_yaml_node *ml = bw_yaml_get(sel, "matchLabels");
	const struct bw_yaml_node *ex = bw_yaml_get(sel, "matchExpressions");
	return !(ml && ml->type == BW_YAML_MAP && ml->n) && !bw_yaml_count(ex);
}

static int cmp_ns(const void *a, const void *b)
{
	return strcmp(ns_of(*(const struct bw_k8s_object *const *)a),
		      ns_of(*(const struct bw_k8s_object *const *)b));
}

/* The first of v[0..n) (sorted by namespace) in namespace ns; *end past the
 * last. */
static size_t ns_range(const struct bw_k8s_object **v, size_t n, const char *ns, size_t *end)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(ns_of(v[mid]), ns) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*end = lo;
	while (*end < n && !strcmp(ns_of(v[*end]), ns))
		(*end)++;
	return lo;
}

static const struct bw_yaml_node *pod_labels(const struct bw_k8s_object *o)
{
	return bw_yaml_get(o->pod_meta, "labels");
}

/* Pods of workload kinds that select by template (not a PodTemplate). */
static bool runs_pods(const struct bw_k8s_object *o)
{
	return o->pod_spec && !is(o->kind, "PodTemplate");
}

struct x_list {
	const struct bw_k8s_object **v;
	size_t n, alloc;
};

static void x_list_free(void *p)
{
	struct x_list *l = p;

	if (l) {
		free(l->v);
		free(l);
	}
}

static int label_index_key(char *buf, size_t size, const char *ns, const char *k, const char *v)
{
	int n = snprintf(buf, size, "%s\x1f%s=%s", ns, k, v);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/*
 * Calls fn for every pod of namespace ns that may carry the label pair
 * (k, v) (k NULL: every pod of ns), until fn returns non-zero, which is
 * returned. The candidates are exact for indexed pods; pods that could not
 * be indexed are always offered, and fn checks the whole selector anyway.
 */
typedef int (*pod_fn)(const struct bw_k8s_object *p, void *ud);

static int each_pod(const struct bw_config_scan *s, const char *ns, const char *k, const char *v, pod_fn fn,
		    void *ud)
{
	char key[1024];
	int r;

	if (!k || label_index_key(key, sizeof(key), ns, k, v ? v : "") < 0) {
		size_t end, i = ns_range(s->x_pods, s->x_npods, ns, &end);
		for (; i < end; i++)
			if ((r = fn(s->x_pods[i], ud)))
				return r;
		return 0;
	}
	const struct x_list *l = bw_map_get(s->x_bylabel, key);
	for (size_t i = 0; l && i < l->n; i++)
		if ((r = fn(l->v[i], ud)))
			return r;
	for (size_t i = 0; i < s->x_nodd; i++)
		if (!strcmp(ns_of(s->x_odd[i]), ns) && (r = fn(s->x_odd[i], ud)))
			return r;
	return 0;
}

/* The first key and value of a non-empty selector map, or NULL. */
static const char *first_pair(const struct bw_yaml_node *m, const char **ret_v)
{
	if (!m || m->type != BW_YAML_MAP || m->n == 0)
		return NULL;
	*ret_v = bw_yaml_str(m->kids[1]);
	return bw_yaml_str(m->kids[0]);
}

struct sel_ctx {
	const struct bw_yaml_node *sel;
	bool map;
};

static int pod_selected(const struct bw_k8s_object *p, void *ud)
{
	const struct sel_ctx *c = ud;

	return c->map ? map_selects(c->sel, pod_labels(p)) : selector_selects(c->sel, pod_labels(p));
}

/* Some object of the namespace with a pod template whose labels the
 * selector matches; map selects with a plain map, else a LabelSelector. */
static bool any_pod_selected(const struct bw_config_scan *s, const char *ns,
			     const struct bw_yaml_node *sel, bool map)
{
	struct sel_ctx c = { sel, map };
	const char *v = NULL, *k = first_pair(map ? sel : bw_yaml_get(sel, "matchLabels"), &v);

	/* "<<" in a selector is a merge key, not a label: scan them all. */
	if (k && !strcmp(k, "<<"))
		k = NULL;
	return each_pod(s, ns, k, v, pod_selected, &c) != 0;
}

static int name_key(char *buf, size_t size, const char *kind, const char *ns, const char *name)
{
	int n = snprintf(buf, size, "%s/%s/%s", kind, ns, name);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static const struct bw_k8s_object *find_obj(const struct bw_config_scan *s, const char *kind,
					    const char *ns, const char *name)
{
	char key[1024];

	if (!name || name_key(key, sizeof(key), kind, ns, name) < 0)
		return NULL;
	return bw_map_get(s->x_names, key);
}

/* ---------------------------------------------------------------- network policies */

/* Does some policy among the inputs select the pods of o? Kubernetes
 * NetworkPolicies of its namespace (podSelector), Cilium policies of its
 * namespace (endpointSelector, or any of specs[]) and cluster-wide ones. */
static bool cilium_spec_selects(const struct bw_yaml_node *spec, const struct bw_yaml_node *labels)
{
	const struct bw_yaml_node *sel = bw_yaml_get(spec, "endpointSelector");
	return sel && selector_selects_(sel, labels, true);
}

static bool netpol_selects(const struct bw_config_scan *s, const struct bw_k8s_object *o)
{
	const struct bw_yaml_node *labels = pod_labels(o);

	for (size_t i = 0; i < s->x_npols; i++) {
		const struct bw_k8s_object *p = s->x_pols[i];
		bool cnp = is(p->kind, "CiliumNetworkPolicy");
		bool ccnp = is(p->kind, "CiliumClusterwideNetworkPolicy");

		if (is(p->kind, "NetworkPolicy")) {
			if (!strcmp(ns_of(p), ns_of(o)) &&
			    selector_selects(bw_yaml_path(p->root, "spec.podSelector"), labels))
				return true;
			continue;
		}
		if (!cnp && !ccnp)
			continue;
		if (cnp && strcmp(ns_of(p), ns_of(o)))
			continue;
		if (cilium_spec_selects(bw_yaml_get(p->root, "spec"), labels))
			return true;
		const struct bw_yaml_node *specs = bw_yaml_get(p->root, "specs");
		for (uint32_t k = 0; k < bw_yaml_count(specs); k++)
			if (cilium_spec_selects(specs->kids[k], labels))
				return true;
	}
	return false;
}

/* Polaris missingNetworkPolicy: a NetworkPolicy of the namespace whose
 * podSelector.matchLabels names a label of the pods, that applies both
 * directions (policyTypes, when given) and has rules for both. */
static bool netpol_both_directions(const struct bw_config_scan *s, const struct bw_k8s_object *o)
{
	const struct bw_yaml_node *labels = pod_labels(o);

	for (size_t i = 0; i < s->x_npols; i++) {
		const struct bw_k8s_object *p = s->x_pols[i];
		const struct bw_yaml_node *spec = bw_yaml_get(p->root, "spec");
		const struct bw_yaml_node *ml = bw_yaml_path(spec, "podSelector.matchLabels");
		const struct bw_yaml_node *types = bw_yaml_get(spec, "policyTypes");
		bool hit = false;

		if (!is(p->kind, "NetworkPolicy") || strcmp(ns_of(p), ns_of(o)) || !ml ||
		    ml->type != BW_YAML_MAP)
			continue;
		for (uint32_t k = 0; k < ml->n; k++) {
			const char *key = bw_yaml_str(ml->kids[2 * k]);
			if (key && labels_have(labels, key, bw_yaml_str(ml->kids[2 * k + 1])))
				hit = true;
		}
		if (!hit || !selector_selects(bw_yaml_get(spec, "podSelector"), labels))
			continue;
		if (types && (!seq_has_str(types, "Ingress") || !seq_has_str(types, "Egress")))
			continue;
		if (bw_yaml_count(bw_yaml_get(spec, "ingress")) &&
		    bw_yaml_count(bw_yaml_get(spec, "egress")))
			return true;
	}
	return false;
}

static bool ns_has_policy(const struct bw_config_scan *s, const char *ns)
{
	for (size_t i = 0; i < s->x_npols; i++) {
		const struct bw_k8s_object *p = s->x_pols[i];
		if ((is(p->kind, "NetworkPolicy") || is(p->kind, "CiliumNetworkPolicy")) &&
		    !strcmp(ns_of(p), ns))
			return true;
		if (is(p->kind, "CiliumClusterwideNetworkPolicy")) {
			/* cluster-wide: covers the namespace when its
			 * endpointSelector selects by namespace alone (and
			 * names this one, or none); a selector on any other
			 * label covers only some of its pods */
			const struct bw_yaml_node *specs = bw_yaml_get(p->root, "specs");
			const struct bw_yaml_node *one = bw_yaml_get(p->root, "spec");
			bool any = false;
			for (uint32_t k = 0; k <= bw_yaml_count(specs); k++) {
				const struct bw_yaml_node *sp = k < bw_yaml_count(specs) ? specs->kids[k] : one;
				const struct bw_yaml_node *sel = bw_yaml_get(sp, "endpointSelector");
				const struct bw_yaml_node *ml = bw_yaml_get(sel, "matchLabels");
				const struct bw_yaml_node *ex = bw_yaml_get(sel, "matchExpressions");
				const char *want = NULL;
				bool excluded = false;
				if (!sp)
					continue;
				want = bw_yaml_str(bw_yaml_get(ml, "k8s:io.kubernetes.pod.namespace"));
				if (!want)
					want = bw_yaml_str(bw_yaml_get(ml, "io.kubernetes.pod.namespace"));
				if (want && strcmp(want, ns))
					excluded = true;
				for (uint32_t l = 0; ml && ml->type == BW_YAML_MAP && l < ml->n; l++) {
					const char *key = bw_yaml_str(ml->kids[2 * l]);
					if (!key || !strstr(key, "io.kubernetes.pod.namespace"))
						excluded = true;
				}
				for (uint32_t e = 0; e < bw_yaml_count(ex); e++) {
					const char *key = bw_yaml_str(bw_yaml_get(ex->kids[e], "key"));
					const char *op = bw_yaml_str(bw_yaml_get(ex->kids[e], "operator"));
					const struct bw_yaml_node *vals = bw_yaml_get(ex->kids[e], "values");
					if (!key || !strstr(key, "io.kubernetes.pod.namespace") || !op) {
						excluded = true;
						continue;
					}
					if (!strcmp(op, "In") && !seq_has_str(vals, ns))
						excluded = true;
					if (!strcmp(op, "NotIn") && seq_has_str(vals, ns))
						excluded = true;
				}
				if (!excluded)
					any = true;
			}
			if (any)
				return true;
		}
	}
	return false;
}

/* ---------------------------------------------------------------- per object */

static bool valid_digest(const char *image)
{
	const char *at = strrchr(image, '@');
	const char *alg, *hex;
	size_t want, n;

	if (!at)
		return false;
	alg = at + 1;
	hex = strchr(alg, ':');
	if (!hex)
		return false;
	if (!strncmp(alg, "sha256:", 7) || !strncmp(alg, "blake3:", 7))
		want = 64;
	else if (!strncmp(alg, "sha512:", 7))
		want = 128;
	else
		return false;
	hex++;
	n = strlen(hex);
	if (n != want)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)hex[i]) && !(hex[i] >= 'a' && hex[i] <= 'f'))
			return false;
	return true;
}

static bool cmd_has_sudo(const struct bw_yaml_node *seq)
{
	for (uint32_t i = 0; i < bw_yaml_count(seq); i++) {
		const char *a = bw_yaml_str(seq->kids[i]);
		const char *p = a;
		while (p && (p = strstr(p, "sudo"))) {
			bool start = p == a || !isalnum((unsigned char)p[-1]);
			bool end = !isalnum((unsigned char)p[4]) && p[4] != '-' && p[4] != '_';
			if (start && end)
				return true;
			p += 4;
		}
	}
	return false;
}

/* A probe's port: by number or name, among the container's TCP ports. */
static bool port_exposed(const struct bw_yaml_node *c, const struct bw_yaml_node *port, bool tcp)
{
	const struct bw_yaml_node *ports = bw_yaml_get(c, "ports");
	const char *ps = bw_yaml_str(port);
	long long pn;
	bool num = bw_yaml_int(port, &pn) == 0;

	for (uint32_t i = 0; i < bw_yaml_count(ports); i++) {
		const struct bw_yaml_node *p = ports->kids[i];
		const char *proto = bw_yaml_str(bw_yaml_get(p, "protocol"));
		long long cp;
		if (tcp && proto && strcasecmp(proto, "TCP"))
			continue;
		if (num && bw_yaml_int(bw_yaml_get(p, "containerPort"), &cp) == 0 && cp == pn)
			return true;
		if (!num && ps && is(bw_yaml_str(bw_yaml_get(p, "name")), ps))
			return true;
	}
	return false;
}

/*
 * Kubescape's reading of credentials in an environment variable (C-0012,
 * rule-credentials-in-env-var): the name contains a sensitive key name, or
 * the value matches a sensitive value pattern (ignoring case), unless the
 * value matches an allowed pattern or the name contains an allowed key
 * name. The lists are control inputs.
 */
static bool credential_env(const struct controls *c, const char *name, const char *v)
{
	if (relist_match(&c->values_allowed_re, v) || strlist_contained_ci(&c->sens_keys_allowed, name))
		return false;
	return strlist_contained_ci(&c->sens_keys, name) || relist_match(&c->values_re_ci, v);
}

static int credentials_env(struct bw_config_scan *s, const struct bw_k8s_object *o,
			   const struct bw_yaml_node *c, const char *cname)
{
	const struct bw_yaml_node *env = bw_yaml_get(c, "env");
	const struct bw_yaml_node *from = bw_yaml_get(c, "envFrom");
	int r;

	for (uint32_t i = 0; i < bw_yaml_count(env); i++) {
		const char *name = bw_yaml_str(bw_yaml_get(env->kids[i], "name"));
		const struct bw_yaml_node *vn = bw_yaml_get(env->kids[i], "value");
		const char *v = bw_yaml_str(vn);
		if (!name || !v || !*v)
			continue;
		/* a path to a credential file is not the credential */
		if (v[0] == '/' && !strchr(v, ' '))
			continue;
		if (credential_env(&s->controls, name, v) &&
		    (r = XREPORT(s, "K8S-CREDENTIALS-ENV", o, vn, cname,
				 "container `%s` sets %s to what looks like a credential", cname,
				 name)) < 0)
			return r;
	}
	for (uint32_t i = 0; i < bw_yaml_count(from); i++) {
		const struct bw_yaml_node *ref = bw_yaml_get(from->kids[i], "secretRef");
		if (ref && (r = XREPORT(s, "K8S-CREDENTIALS-ENV", o, ref, cname,
					"container `%s` loads a whole Secret into its environment",
					cname)) < 0)
			return r;
	}
	return 0;
}

struct cctx {
	const struct bw_yaml_node *psc;
	bool pod_hardened;
};

/*
 * Linux hardening, as Kubescape C-0055 reads it now: the pod hardens every
 * container with a seccomp profile, SELinux options or AppArmor (the field or
 * the container.apparmor.security.beta.kubernetes.io annotations); else each
 * container (init containers too) needs its own seccomp profile (or
 * AppArmor profile). SELinux options or dropped capabilities on a container
 * alone do not confine its system calls and do not count.
 */
static bool pod_hardened(const struct bw_yaml_node *psc, const struct bw_yaml_node *pod_meta)
{
	const struct bw_yaml_node *ann = bw_yaml_get(pod_meta, "annotations");

	if (bw_yaml_get(psc, "seccompProfile") || bw_yaml_get(psc, "seLinuxOptions") ||
	    bw_yaml_get(psc, "appArmorProfile"))
		return true;
	for (uint32_t i = 0; ann && ann->type == BW_YAML_MAP && i < ann->n; i++) {
		const char *k = bw_yaml_str(ann->kids[2 * i]);
		if (k && bw_startswith(k, "container.apparmor.security.beta.kubernetes.io"))
			return true;
	}
	return false;
}

static int check_container(struct bw_config_scan *s, const struct bw_k8s_object *o,
			   const struct bw_yaml_node *c, const char *cname, int ctype, void *ud)
{
	struct cctx *x = ud;
	const struct bw_yaml_node *img = bw_yaml_get(c, "image");
	const char *image = bw_yaml_str(img);
	const struct bw_yaml_node *sc = bw_yaml_get(c, "securityContext");
	int r;

#define R(id, node, ...)                                                              \
	do {                                                                           \
		if ((r = XREPORT(s, id, o, (node) ? (node) : c, cname, __VA_ARGS__)) < 0) \
			return r;                                                      \
	} while (0)

	if (image && !valid_digest(image))
		R("K8S-IMAGE-DIGEST", img, "container `%s` image `%s` is not pinned to a digest",
		  cname, image);
	{
		static const char *const insecure[] = { "ALL", "SETPCAP", "NET_ADMIN", "NET_RAW",
							"SYS_MODULE", "SYS_RAWIO", "SYS_PTRACE",
							"SYS_ADMIN", "SYS_BOOT", "MAC_OVERRIDE",
							"MAC_ADMIN", "PERFMON", "BPF" };
		const struct bw_yaml_node *add = bw_yaml_path(sc, "capabilities.add");
		for (uint32_t i = 0; i < bw_yaml_count(add); i++) {
			const char *cap = bw_yaml_str(add->kids[i]);
			if (cap && !strncasecmp(cap, "CAP_", 4))
				cap += 4;
			for (size_t k = 0; cap && k < BW_ARRAY_SIZE(insecure); k++)
				if (!strcasecmp(cap, insecure[k]))
					R("K8S-INSECURE-CAPABILITIES", add->kids[i],
					  "container `%s` adds capability %s", cname, insecure[k]);
		}
	}
	if ((r = credentials_env(s, o, c, cname)) < 0)
		return r;
	if (image && bw_startswith(image, "k8s.gcr.io/"))
		R("K8S-OLD-REGISTRY", img, "container `%s` image `%s` comes from k8s.gcr.io", cname,
		  image);
	if (cmd_has_sudo(bw_yaml_get(c, "command")) || cmd_has_sudo(bw_yaml_get(c, "args")))
		R("K8S-SUDO-ENTRYPOINT", bw_yaml_get(c, "command"),
		  "container `%s` runs sudo in its command", cname);
	if (!x->pod_hardened && ctype != CT_EPHEMERAL && !bw_yaml_get(sc, "seccompProfile") &&
	    !bw_yaml_get(sc, "appArmorProfile"))
		R("K8S-LINUX-HARDENING", sc, "container `%s` of %s `%s` sets no seccomp profile, "
		  "and the pod no seccomp, SELinux or AppArmor setting", cname, o->kind, oname(o));

	if (ctype == CT_MAIN) {
		static const struct {
			const char *probe;
		} probes[] = { { "livenessProbe" }, { "readinessProbe" }, { "startupProbe" } };
		for (size_t i = 0; i < BW_ARRAY_SIZE(probes); i++) {
			const struct bw_yaml_node *p = bw_yaml_get(c, probes[i].probe);
			const struct bw_yaml_node *port;
			if (!p)
				continue;
			if ((port = bw_yaml_path(p, "httpGet.port")) && !port_exposed(c, port, true))
				R("K8S-PROBE-PORT", port,
				  "container `%s` does not expose port %s for the %s HTTPGet", cname,
				  bw_yaml_str(port) ? bw_yaml_str(port) : "?", probes[i].probe);
			else if ((port = bw_yaml_path(p, "tcpSocket.port")) &&
				 !port_exposed(c, port, true))
				R("K8S-PROBE-PORT", port,
				  "container `%s` does not expose port %s for the %s TCPSocket", cname,
				  bw_yaml_str(port) ? bw_yaml_str(port) : "?", probes[i].probe);
			else if ((port = bw_yaml_path(p, "grpc.port")) && !port_exposed(c, port, true))
				R("K8S-PROBE-PORT", port,
				  "container `%s` does not expose port %s for the %s GRPC check", cname,
				  bw_yaml_str(port) ? bw_yaml_str(port) : "?", probes[i].probe);
		}
	}
#undef R
	return 0;
}

static bool is_replicated(const char *k)
{
	return is(k, "Deployment") || is(k, "DeploymentConfig") || is(k, "StatefulSet") ||
	       is(k, "ReplicaSet") || is(k, "ReplicationController");
}

/* Replicas and update strategy: kube-linter reads them whether or not the
 * object carries a pod template. */
static int check_replicas(struct bw_config_scan *s, const struct bw_k8s_object *o)
{
	const struct bw_yaml_node *spec = o->pod_spec;
	const char *k = o->kind;
	int r;

#define R(id, node, ...)                                             \
	do {                                                          \
		if ((r = XREPORT(s, id, o, node, NULL, __VA_ARGS__)) < 0) \
			return r;                                     \
	} while (0)
	if (is_replicated(k)) {
		const struct bw_yaml_node *rep = bw_yaml_path(o->root, "spec.replicas");
		long long v = 1;
		if (rep && bw_yaml_int(rep, &v) < 0)
			v = 1;
		if ((is(k, "Deployment") || is(k, "DeploymentConfig")) && v < 3)
			R("K8S-MIN-REPLICAS", rep, "%s `%s` has %lld replicas, fewer than 3", k, oname(o),
			  v);
		if ((is(k, "Deployment") || is(k, "DeploymentConfig")) && v > 1 &&
		    !bw_yaml_path(spec, "affinity.podAntiAffinity"))
			R("K8S-ANTI-AFFINITY", NULL, "%s `%s` has %lld replicas and no pod anti-affinity",
			  k, oname(o), v);
		/* an anti-affinity term that names namespaces other than the
		 * pod's own keeps its replicas apart from nothing */
		if ((is(k, "Deployment") || is(k, "DeploymentConfig")) && v > 1) {
			const struct bw_yaml_node *aa = bw_yaml_path(spec, "affinity.podAntiAffinity");
			static const char *const kinds[] = {
				"requiredDuringSchedulingIgnoredDuringExecution",
				"preferredDuringSchedulingIgnoredDuringExecution"
			};
			for (size_t t = 0; t < 2; t++) {
				const struct bw_yaml_node *terms = bw_yaml_get(aa, kinds[t]);
				for (uint32_t i = 0; i < bw_yaml_count(terms); i++) {
					const struct bw_yaml_node *term = terms->kids[i];
					const struct bw_yaml_node *nss;
					bool own = false;
					if (t == 1)
						term = bw_yaml_get(term, "podAffinityTerm");
					nss = bw_yaml_get(term, "namespaces");
					if (!bw_yaml_count(nss) || bw_yaml_get(term, "namespaceSelector"))
						continue;
					for (uint32_t j = 0; j < bw_yaml_count(nss); j++)
						own = own || is(bw_yaml_str(nss->kids[j]), ns_of(o));
					if (!own)
						R("K8S-ANTI-AFFINITY", nss,
						  "%s `%s`: pod's namespace %s is not among its anti-affinity's namespaces",
						  k, oname(o), ns_of(o));
				}
			}
		}
	}
	if (is(k, "Deployment") || is(k, "DeploymentConfig")) {
		const struct bw_yaml_node *t = bw_yaml_path(o->root, "spec.strategy.type");
		const char *tv = bw_yaml_str(t);
		if (tv && strcmp(tv, "RollingUpdate") && strcmp(tv, "Rolling"))
			R("K8S-ROLLING-UPDATE", t, "%s `%s` has strategy %s", k, oname(o), tv);
	}

#undef R
	return 0;
}

/* The kinds Kubescape's workload rules read. */
static bool ks_workload(const char *k)
{
	return is(k, "Pod") || is(k, "Deployment") || is(k, "ReplicaSet") || is(k, "DaemonSet") ||
	       is(k, "StatefulSet") || is(k, "Job") || is(k, "CronJob");
}

/*
 * Kubescape C-0261: the pod gets a token of a service account that has
 * rights: the pod asks for the token (automountServiceAccountToken true,
 * or unset and the ServiceAccount does not turn it off), the ServiceAccount
 * is among the inputs, and a binding names it (or every service account).
 */
static int sa_token_bound(struct bw_config_scan *s, const struct bw_k8s_object *o,
			  const struct bw_yaml_node *spec, const char *name)
{
	const struct bw_yaml_node *am = bw_yaml_get(spec, "automountServiceAccountToken");
	const struct bw_k8s_object *sa;
	char key[1024];

	if (!name || !*name)
		name = "default";
	sa = find_obj(s, "ServiceAccount", ns_of(o), name);
	if (!sa || bw_yaml_bool(am) == 0)
		return 0;
	if (!am && bw_yaml_bool(bw_yaml_get(sa->root, "automountServiceAccountToken")) == 0)
		return 0;
	if (!s->x_all_sa_bound &&
	    (name_key(key, sizeof(key), "binding-subject", ns_of(o), name) < 0 ||
	     !bw_map_has(s->x_names, key)))
		return 0;
	return XREPORT(s, "K8S-SA-TOKEN-BOUND", o, am, NULL,
		       "%s `%s` mounts the token of service account `%s`, which a binding grants "
		       "rights", o->kind, oname(o), name);
}

/* Kubescape C-0255, C-0257, C-0258: a container mounts a Secret, a
 * PersistentVolumeClaim or a ConfigMap that is among the inputs, in the
 * workload's namespace. */
static int mounted_objects(struct bw_config_scan *s, const struct bw_k8s_object *o,
			   const struct bw_yaml_node *c, const char *cname, int ctype, void *ud)
{
	static const struct {
		const char *field, *name, *kind, *id;
	} t[] = { { "secret", "secretName", "Secret", "K8S-MOUNTS-SECRET" },
		  { "persistentVolumeClaim", "claimName", "PersistentVolumeClaim", "K8S-MOUNTS-PVC" },
		  { "configMap", "name", "ConfigMap", "K8S-MOUNTS-CONFIGMAP" } };
	const struct bw_yaml_node *mounts = bw_yaml_get(c, "volumeMounts");
	const struct bw_yaml_node *vols = bw_yaml_get(o->pod_spec, "volumes");
	int r;
	(void)ud;

	if (ctype == CT_EPHEMERAL)
		return 0;
	for (uint32_t i = 0; i < bw_yaml_count(mounts); i++) {
		const char *vn = bw_yaml_str(bw_yaml_get(mounts->kids[i], "name"));
		for (uint32_t k = 0; vn && k < bw_yaml_count(vols); k++) {
			if (!is(bw_yaml_str(bw_yaml_get(vols->kids[k], "name")), vn))
				continue;
			for (size_t j = 0; j < BW_ARRAY_SIZE(t); j++) {
				const char *on = bw_yaml_str(
					bw_yaml_get(bw_yaml_get(vols->kids[k], t[j].field), t[j].name));
				if (on && find_obj(s, t[j].kind, ns_of(o), on) &&
				    (r = XREPORT(s, t[j].id, o, mounts->kids[i], cname,
						 "container `%s` mounts %s `%s`", cname, t[j].kind,
						 on)) < 0)
					return r;
			}
			break;
		}
	}
	return 0;
}

static int check_workload(struct bw_config_scan *s, const struct bw_k8s_object *o)
{
	const struct bw_yaml_node *spec = o->pod_spec;
	const struct bw_yaml_node *n;
	const char *k = o->kind;
	struct cctx x = { .psc = bw_yaml_get(spec, "securityContext"),
			  .pod_hardened = pod_hardened(bw_yaml_get(spec, "securityContext"),
						       o->pod_meta) };
	int r;

#define R(id, node, ...)                                             \
	do {                                                          \
		if ((r = XREPORT(s, id, o, node, NULL, __VA_ARGS__)) < 0) \
			return r;                                     \
	} while (0)

	/* service accounts */
	{
		const struct bw_yaml_node *san = bw_yaml_get(spec, "serviceAccountName");
		const struct bw_yaml_node *sa = bw_yaml_get(spec, "serviceAccount");
		const char *name = bw_yaml_str(san);
		if (!name || !*name)
			name = bw_yaml_str(sa);
		/* kube-linter: serviceAccount alone, or one that differs from
		 * serviceAccountName */
		if (sa && bw_yaml_str(sa) && *bw_yaml_str(sa) &&
		    !is(bw_yaml_str(san), bw_yaml_str(sa)))
			R("K8S-DEPRECATED-SA-FIELD", sa, "%s `%s` uses the deprecated field serviceAccount",
			  k, oname(o));
		if (!name || !*name || !strcmp(name, "default"))
			R("K8S-DEFAULT-SA", san ? san : sa, "%s `%s` uses the default ServiceAccount", k,
			  oname(o));
		else if (!find_obj(s, "ServiceAccount", ns_of(o), name))
			R("K8S-NONEXISTENT-SA", san ? san : sa, "serviceAccount \"%s\" not found in %s",
			  name, ns_of(o));
		if (ks_workload(k) && (r = sa_token_bound(s, o, spec, name)) < 0)
			return r;
		/* the dashboard's service account lends the dashboard's rights */
		if (ks_workload(k) && is(name, "kubernetes-dashboard") &&
		    !bw_startswith(oname(o), "kubernetes-dashboard"))
			R("K8S-DASHBOARD-SA", san ? san : sa,
			  "%s `%s` runs as the kubernetes-dashboard service account", k, oname(o));
	}
	if (ks_workload(k) && (r = visit_containers(s, o, mounted_objects, NULL)) < 0)
		return r;

	/* selector vs template labels */
	{
		const struct bw_yaml_node *sel = NULL;
		bool map = false;
		if (is(k, "CronJob"))
			sel = bw_yaml_path(o->root, "spec.jobTemplate.spec.selector");
		else if (is(k, "ReplicationController") || is(k, "DeploymentConfig")) {
			sel = bw_yaml_path(o->root, "spec.selector");
			map = true;
		} else if (!is(k, "Pod") && !is(k, "PodTemplate"))
			sel = bw_yaml_path(o->root, "spec.selector");
		if (sel && !(map ? map_selects(sel, pod_labels(o)) : selector_selects(sel, pod_labels(o))))
			R("K8S-MISMATCHING-SELECTOR", sel,
			  "%s `%s` selector does not match its pod template labels", k, oname(o));
	}

	/* isolation */
	if (runs_pods(o) && !netpol_selects(s, o))
		R("K8S-NON-ISOLATED-POD", NULL, "pods of %s `%s` are selected by no NetworkPolicy", k,
		  oname(o));

	if (runs_pods(o) && !netpol_both_directions(s, o))
		R("K8S-NETPOL-INGRESS-EGRESS", NULL,
		  "no NetworkPolicy with ingress and egress rules selects the pods of %s `%s`", k,
		  oname(o));

	n = bw_yaml_get(spec, "restartPolicy");
	if (is(bw_yaml_str(n), "Never"))
		R("K8S-RESTART-POLICY", n, "%s `%s` has restartPolicy Never", k, oname(o));
	else if (n && bw_yaml_str(n) && !is(bw_yaml_str(n), "Always") &&
		 !is(bw_yaml_str(n), "OnFailure") && !is(bw_yaml_str(n), "Never"))
		R("K8S-RESTART-POLICY", n, "%s `%s` has restartPolicy %s", k, oname(o),
		  bw_yaml_str(n));

	/* security context details (the CIS "apply security context" items) */
	{
		const struct bw_yaml_node *psc = x.psc;
		const struct bw_yaml_node *g;
		long long v;
		bool pod_selinux = bw_yaml_get(psc, "seLinuxOptions") != NULL, all_selinux = true;
		static const char *const keys[] = { "containers", "initContainers",
						    "ephemeralContainers" };
		for (size_t t = 0; t < BW_ARRAY_SIZE(keys); t++) {
			const struct bw_yaml_node *l = bw_yaml_get(spec, keys[t]);
			for (uint32_t i = 0; i < bw_yaml_count(l); i++)
				if (!bw_yaml_path(l->kids[i], "securityContext.seLinuxOptions"))
					all_selinux = false;
		}
		if (!pod_selinux && !all_selinux)
			R("K8S-SELINUX-UNSET", psc, "%s `%s` defines no seLinuxOptions", k, oname(o));
		g = bw_yaml_get(psc, "fsGroup");
		if (!g || (bw_yaml_int(g, &v) == 0 && v == 0))
			R("K8S-FSGROUP", g ? g : psc, "%s `%s` does not set fsGroup to a non-root group",
			  k, oname(o));
		g = bw_yaml_get(psc, "fsGroupChangePolicy");
		if (!is(bw_yaml_str(g), "OnRootMismatch") && !is(bw_yaml_str(g), "Always"))
			R("K8S-FSGROUP-CHANGE-POLICY", g ? g : psc,
			  "%s `%s` does not set fsGroupChangePolicy", k, oname(o));
		g = bw_yaml_get(psc, "supplementalGroups");
		for (uint32_t i = 0; i < bw_yaml_count(g); i++)
			if (bw_yaml_int(g->kids[i], &v) == 0 && v == 0) {
				R("K8S-SUPPLEMENTAL-GROUP-ROOT", g->kids[i],
				  "%s `%s` uses supplemental group 0", k, oname(o));
				break;
			}
		/* Windows pods: by spec.os.name or the kubernetes.io/os node selector */
		if (is(bw_yaml_str(bw_yaml_path(spec, "os.name")), "windows") ||
		    is(bw_yaml_str(bw_yaml_get(bw_yaml_get(spec, "nodeSelector"), "kubernetes.io/os")),
		       "windows")) {
			static const struct {
				const char *field, *id;
			} win[] = { { "gmsaCredentialSpecName", "K8S-WINDOWS-GMSA" },
				    { "runAsUserName", "K8S-WINDOWS-RUN-AS-USERNAME" } };
			for (size_t w = 0; w < BW_ARRAY_SIZE(win); w++) {
				bool ok = bw_yaml_get(bw_yaml_get(psc, "windowsOptions"), win[w].field);
				for (size_t t = 0; !ok && t < 2; t++) {
					const struct bw_yaml_node *l = bw_yaml_get(spec, keys[t]);
					bool all = bw_yaml_count(l) > 0 || t == 1;
					for (uint32_t i = 0; i < bw_yaml_count(l); i++)
						if (!bw_yaml_get(bw_yaml_path(l->kids[i],
									      "securityContext.windowsOptions"),
								 win[w].field))
							all = false;
					if (t == 0 && !all)
						break;
					if (t == 1 && all && bw_yaml_count(bw_yaml_get(spec, keys[0])))
						ok = true;
				}
				if (!ok)
					R(win[w].id, NULL, "Windows %s `%s` does not define windowsOptions.%s",
					  k, oname(o), win[w].field);
			}
		}
	}

	r = visit_containers(s, o, check_container, &x);
	if (r < 0)
		return r;
#undef R
	return 0;
}

/* ---------------------------------------------------------------- other kinds */

static int check_service(struct bw_config_scan *s, const struct bw_k8s_object *o)
{
	const struct bw_yaml_node *sel = bw_yaml_path(o->root, "spec.selector");
	const char *type = bw_yaml_str(bw_yaml_path(o->root, "spec.type"));

	if (is(type, "ExternalName") || !sel || sel->type != BW_YAML_MAP || !sel->n)
		return 0;
	if (any_pod_selected(s, ns_of(o), sel, true))
		return 0;
	return XREPORT(s, "K8S-DANGLING-SERVICE", o, sel, NULL,
		       "Service `%s` selector matches no workload in namespace %s", oname(o),
		       ns_of(o));
}

static int ingress_backend(struct bw_config_scan *s, const struct bw_k8s_object *o,
			   const struct bw_yaml_node *b)
{
	const struct bw_yaml_node *n = bw_yaml_path(b, "service.name");
	const char *name;

	if (!n)
		n = bw_yaml_get(b, "serviceName");
	name = bw_yaml_str(n);
	if (!name || find_obj(s, "Service", ns_of(o), name))
		return 0;
	return XREPORT(s, "K8S-DANGLING-INGRESS", o, n, NULL,
		       "Ingress `%s` backend Service `%s` does not exist in namespace %s", oname(o),
		       name, ns_of(o));
}

static int check_ingress(struct bw_config_scan *s, const struct bw_k8s_object *o)
{
	const struct bw_yaml_node *spec = bw_yaml_get(o->root, "spec");
	const struct bw_yaml_node *rules = bw_yaml_get(spec, "rules");
	const struct bw_yaml_node *b = bw_yaml_get(spec, "defaultBackend");
	int r;

	if (!bw_yaml_get(spec, "tls") &&
	    (r = XREPORT(s, "K8S-INGRESS-TLS", o, spec, NULL, "Ingress `%s` has no TLS settings",
			 oname(o))) < 0)
		return r;
	if (!b)
		b = bw_yaml_get(spec, "backend");
	if (b && (r = ingress_backend(s, o, b)) < 0)
		return r;
	for (uint32_t i = 0; i < bw_yaml_count(rules); i++) {
		const struct bw_yaml_node *paths = bw_yaml_path(rules->kids[i], "http.paths");
		for (uint32_t k = 0; k < bw_yaml_count(paths); k++)
			if ((r = ingress_backend(s, o, bw_yaml_get(paths->kids[k], "backend"))) < 0)
				return r;
	}
	return 0;
}

static int check_route(struct bw_config_scan *s, const struct bw_k8s_object *o)
{
	const struct bw_yaml_node *rules = bw_yaml_path(o->root, "spec.rules");
	int r;

	for (uint32_t i = 0; i < bw_yaml_count(rules); i++) {
		const struct bw_yaml_node *refs = bw_yaml_get(rules->kids[i], "backendRefs");
		for (uint32_t k = 0; k < bw_yaml_count(refs); k++) {
			const struct bw_yaml_node *ref = refs->kids[k];
			const char *kind = bw_yaml_str(bw_yaml_get(ref, "kind"));
			const char *group = bw_yaml_str(bw_yaml_get(ref, "group"));
			const char *name = bw_yaml_str(bw_yaml_get(ref, "name"));
			const char *ns = bw_yaml_str(bw_yaml_get(ref, "namespace"));
			if ((kind && strcmp(kind, "Service")) || (group && *group) || !name)
				continue;
			if (find_obj(s, "Service", ns ? ns : ns_of(o), name))
				continue;
			r = XREPORT(s, "K8S-DANGLING-GATEWAY-BACKEND", o, ref, NULL,
				    "%s `%s` backendRef `%s` does not exist in namespace %s", o->kind,
				    oname(o), name, ns ? ns : ns_of(o));
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int check_hpa(struct bw_config_scan *s, const struct bw_k8s_object *o)
{
	const struct bw_yaml_node *ref = bw_yaml_path(o->root, "spec.scaleTargetRef");
	const char *kind = bw_yaml_str(bw_yaml_get(ref, "kind"));
	const char *name = bw_yaml_str(bw_yaml_get(ref, "name"));
	const struct bw_yaml_node *min = bw_yaml_path(o->root, "spec.minReplicas");
	long long v = 1;
	int r;

	if (kind && name && is_replicated(kind) && !find_obj(s, kind, ns_of(o), name) &&
	    (r = XREPORT(s, "K8S-DANGLING-HPA", o, ref, NULL,
			 "HorizontalPodAutoscaler `%s` targets %s `%s`, which is not in namespace %s",
			 oname(o), kind, name, ns_of(o))) < 0)
		return r;
	if (min && bw_yaml_int(min, &v) < 0)
		v = 1;
	if (v < 3 && (r = XREPORT(s, "K8S-HPA-MIN-REPLICAS", o, min, NULL,
				  "HorizontalPodAutoscaler `%s` has minReplicas %lld, fewer than 3",
				  oname(o), v)) < 0)
		return r;
	return 0;
}

static int check_netpol(struct bw_config_scan *s, const struct bw_k8s_object *o)
{
	const struct bw_yaml_node *spec = bw_yaml_get(o->root, "spec");
	const struct bw_yaml_node *sel = bw_yaml_get(spec, "podSelector");
	static const char *const dirs[][2] = { { "ingress", "from" }, { "egress", "to" } };
	int r;

	if (sel && !selector_empty(sel) && !any_pod_selected(s, ns_of(o), sel, false) &&
	    (r = XREPORT(s, "K8S-DANGLING-NETPOL", o, sel, NULL,
			 "NetworkPolicy `%s` podSelector matches no workload in namespace %s",
			 oname(o), ns_of(o))) < 0)
		return r;
	for (size_t d = 0; d < 2; d++) {
		const struct bw_yaml_node *rules = bw_yaml_get(spec, dirs[d][0]);
		for (uint32_t i = 0; i < bw_yaml_count(rules); i++) {
			const struct bw_yaml_node *peers = bw_yaml_get(rules->kids[i], dirs[d][1]);
			for (uint32_t k = 0; k < bw_yaml_count(peers); k++) {
				const struct bw_yaml_node *ps = bw_yaml_get(peers->kids[k], "podSelector");
				if (!ps || bw_yaml_get(peers->kids[k], "namespaceSelector") ||
				    selector_empty(ps) || any_pod_selected(s, ns_of(o), ps, false))
					continue;
				r = XREPORT(s, "K8S-DANGLING-NETPOL-PEER", o, ps, NULL,
					    "NetworkPolicy `%s` %s rule's podSelector matches no pods",
					    oname(o), dirs[d][0]);
				if (r < 0)
					return r;
			}
		}
	}
	return 0;
}

static bool pct_or_int(const struct bw_yaml_node *n, long long *v, bool *pct)
{
	const char *str = bw_yaml_str(n);
	char *end;

	*pct = false;
	if (!str)
		return false;
	if (bw_yaml_int(n, v) == 0)
		return true;
	*v = strtoll(str, &end, 10);
	if (end != str && *end == '%' && !end[1]) {
		*pct = true;
		return true;
	}
	return false;
}

struct pdb_ctx {
	struct bw_config_scan *s;
	const struct bw_k8s_object *o;
	const struct bw_yaml_node *sel, *ma;
	long long v;
	bool pct;
	int r;
};

/* minAvailable of a PDB against the replicas of a workload it selects. */
static int pdb_workload(const struct bw_k8s_object *w, void *ud)
{
	struct pdb_ctx *c = ud;
	const struct bw_yaml_node *rep;
	long long n = 1;
	bool bad;

	if (!is_replicated(w->kind) || strcmp(ns_of(w), ns_of(c->o)))
		return 0;
	/* the pods it selects, or (without a template) its own selector's labels */
	if (!selector_selects(c->sel, w->pod_spec ? pod_labels(w) :
						   bw_yaml_path(w->root, "spec.selector.matchLabels")))
		return 0;
	rep = bw_yaml_path(w->root, "spec.replicas");
	if (rep && bw_yaml_int(rep, &n) < 0)
		return 0;
	/* a percentage of the replicas, rounded down as the disruption
	 * controller does for minAvailable */
	bad = c->pct ? c->v >= 100 || n <= n * c->v / 100 : n <= c->v;
	if (bad && (c->r = XREPORT(c->s, "K8S-PDB-MIN-AVAILABLE", c->o, c->ma, NULL,
				   "PodDisruptionBudget `%s` requires %s available pods; %s `%s` runs %lld",
				   oname(c->o), bw_yaml_str(c->ma), w->kind, oname(w), n)) < 0)
		return -1;
	return 0;
}

static int check_pdb(struct bw_config_scan *s, const struct bw_k8s_object *o)
{
	const struct bw_yaml_node *spec = bw_yaml_get(o->root, "spec");
	const struct bw_yaml_node *mu = bw_yaml_get(spec, "maxUnavailable");
	const struct bw_yaml_node *ma = bw_yaml_get(spec, "minAvailable");
	const struct bw_yaml_node *sel = bw_yaml_get(spec, "selector");
	long long v;
	bool pct;
	int r;

	if (mu && pct_or_int(mu, &v, &pct) && v == 0 &&
	    (r = XREPORT(s, "K8S-PDB-ZERO-DISRUPTIONS", o, mu, NULL,
			 "PodDisruptionBudget `%s` sets maxUnavailable to 0", oname(o))) < 0)
		return r;
	if (is(bw_yaml_str(ma), "100%") &&
	    (r = XREPORT(s, "K8S-PDB-ZERO-DISRUPTIONS", o, ma, NULL,
			 "PodDisruptionBudget `%s` sets minAvailable to 100%%", oname(o))) < 0)
		return r;
	if (!bw_yaml_get(spec, "unhealthyPodEvictionPolicy") &&
	    (r = XREPORT(s, "K8S-PDB-EVICTION-POLICY", o, spec, NULL,
			 "PodDisruptionBudget `%s` does not set unhealthyPodEvictionPolicy",
			 oname(o))) < 0)
		return r;
	/* minAvailable against the replicas of the workloads it selects */
	if (ma && pct_or_int(ma, &v, &pct) && sel && !selector_empty(sel)) {
		struct pdb_ctx c = { s, o, sel, ma, v, pct, 0 };
		const char *lv = NULL, *lk = first_pair(bw_yaml_get(sel, "matchLabels"), &lv);
		if (lk && !strcmp(lk, "<<"))
			lk = NULL;
		if (each_pod(s, ns_of(o), lk, lv, pdb_workload, &c) < 0)
			return c.r;
		/* workloads without a pod template are in no pod index */
		for (size_t i = 0; i < s->x_nbare; i++)
			if (pdb_workload(s->x_bare[i], &c) < 0)
				return c.r;
	}
	return 0;
}

/* What a PodSecurityPolicy allows, one bit per check below. */
enum {
	PSP_PRIVILEGED = 1 << 0,
	PSP_HOST_PID = 1 << 1,
	PSP_HOST_IPC = 1 << 2,
	PSP_HOST_NETWORK = 1 << 3,
	PSP_ESCALATION = 1 << 4,
	PSP_ROOT = 1 << 5,
	PSP_ADD_CAPS = 1 << 6,
	PSP_NO_DROP = 1 << 7,
};

static const struct {
	unsigned bit;
	const char *id, *what;
} psp_checks[] = {
	{ PSP_PRIVILEGED, "K8S-PSP-PRIVILEGED", "privileged containers" },
	{ PSP_HOST_PID, "K8S-PSP-HOST-PID", "hostPID" },
	{ PSP_HOST_IPC, "K8S-PSP-HOST-IPC", "hostIPC" },
	{ PSP_HOST_NETWORK, "K8S-PSP-HOST-NETWORK", "hostNetwork" },
	{ PSP_ESCALATION, "K8S-PSP-PRIVILEGE-ESCALATION", "privilege escalation" },
	{ PSP_ROOT, "K8S-PSP-ROOT", "running as root" },
	{ PSP_ADD_CAPS, "K8S-PSP-ALLOWED-CAPABILITIES", "adding capabilities" },
	{ PSP_NO_DROP, "K8S-PSP-DROP-CAPABILITIES", "keeping NET_RAW (no required drop)" },
};

static unsigned psp_allows(const struct bw_k8s_object *o)
{
	const struct bw_yaml_node *spec = bw_yaml_get(o->root, "spec");
	static const char *const fields[] = { "runAsUser", "runAsGroup" };
	const struct bw_yaml_node *n;
	unsigned a = 0;

	if (bw_yaml_bool(bw_yaml_get(spec, "privileged")) == 1)
		a |= PSP_PRIVILEGED;
	if (bw_yaml_bool(bw_yaml_get(spec, "hostPID")) == 1)
		a |= PSP_HOST_PID;
	if (bw_yaml_bool(bw_yaml_get(spec, "hostIPC")) == 1)
		a |= PSP_HOST_IPC;
	if (bw_yaml_bool(bw_yaml_get(spec, "hostNetwork")) == 1)
		a |= PSP_HOST_NETWORK;
	if (bw_yaml_bool(bw_yaml_get(spec, "allowPrivilegeEscalation")) == 1)
		a |= PSP_ESCALATION;
	/* root: RunAsAny, or a MustRunAs/MayRunAs range starting at 0 */
	for (size_t f = 0; f < BW_ARRAY_SIZE(fields); f++) {
		const struct bw_yaml_node *ru = bw_yaml_get(spec, fields[f]);
		const char *rule = bw_yaml_str(bw_yaml_get(ru, "rule"));
		const struct bw_yaml_node *ranges = bw_yaml_get(ru, "ranges");
		if (is(rule, "RunAsAny"))
			a |= PSP_ROOT;
		else if (is(rule, "MustRunAs") || is(rule, "MayRunAs"))
			for (uint32_t i = 0; i < bw_yaml_count(ranges); i++) {
				long long min;
				if (bw_yaml_int(bw_yaml_get(ranges->kids[i], "min"), &min) == 0 &&
				    min == 0)
					a |= PSP_ROOT;
			}
	}
	if (bw_yaml_count(bw_yaml_get(spec, "allowedCapabilities")))
		a |= PSP_ADD_CAPS;
	n = bw_yaml_get(spec, "requiredDropCapabilities");
	if (!seq_has_str(n, "ALL") && !seq_has_str(n, "NET_RAW"))
		a |= PSP_NO_DROP;
	return a;
}

/*
 * PodSecurityPolicies are permissive together: a pod is admitted when any
 * policy allows it. So, as Kubescape reads them, a setting is a finding
 * when every policy among the inputs allows it (reported on each).
 */
static int check_psps(struct bw_config_scan *s)
{
	unsigned all = ~0u;
	bool any = false;
	int r;

	for (size_t i = 0; i < s->nobjs; i++)
		if (is(s->objs[i].kind, "PodSecurityPolicy")) {
			all &= psp_allows(&s->objs[i]);
			any = true;
		}
	if (!any)
		return 0;
	for (size_t i = 0; i < s->nobjs; i++) {
		const struct bw_k8s_object *o = &s->objs[i];
		if (!is(o->kind, "PodSecurityPolicy"))
			continue;
		for (size_t c = 0; c < BW_ARRAY_SIZE(psp_checks); c++)
			if ((all & psp_checks[c].bit) &&
			    (r = XREPORT(s, psp_checks[c].id, o, bw_yaml_get(o->root, "spec"), NULL,
					 "PodSecurityPolicy `%s` allows %s (as do all the others)",
					 oname(o), psp_checks[c].what)) < 0)
				return r;
	}
	return 0;
}

static int check_namespace(struct bw_config_scan *s, const struct bw_k8s_object *o)
{
	const struct bw_yaml_node *labels = bw_yaml_get(o->metadata, "labels");
	const char *lvl = bw_yaml_str(bw_yaml_get(labels, "pod-security.kubernetes.io/enforce"));
	int r;

	if (!o->name)
		return 0;
	if (!ns_has_policy(s, o->name) &&
	    (r = XREPORT(s, "K8S-NAMESPACE-NO-NETPOL", o, NULL, NULL,
			 "no NetworkPolicy is defined for namespace %s", o->name)) < 0)
		return r;
	if (!is(lvl, "baseline") && !is(lvl, "restricted") &&
	    (r = XREPORT(s, "K8S-NAMESPACE-PSA", o, labels, NULL,
			 "Namespace `%s` does not enforce the baseline Pod Security level",
			 o->name)) < 0)
		return r;
	if (!is(lvl, "restricted") &&
	    (r = XREPORT(s, "K8S-NAMESPACE-PSA-RESTRICTED", o, labels, NULL,
			 "Namespace `%s` does not enforce the restricted Pod Security level",
			 o->name)) < 0)
		return r;
	return 0;
}

/* kubernetes-sigs/agent-sandbox: a SandboxTemplate's egress must be
 * managed and scoped (Kubescape C-0301), its runtime hardened (C-0297). */
static bool peer_universal(const struct bw_yaml_node *peer)
{
	const struct bw_yaml_node *ip = bw_yaml_get(peer, "ipBlock");
	const struct bw_yaml_node *ns = bw_yaml_get(peer, "namespaceSelector");
	const struct bw_yaml_node *ps = bw_yaml_get(peer, "podSelector");
	const char *cidr;

	if (!peer || peer->type != BW_YAML_MAP || !peer->n)
		return true;
	if (bw_yaml_get(peer, "ipBlock") || (peer->n && !ip && !ns && !ps)) {
		cidr = bw_yaml_str(bw_yaml_get(ip, "cidr"));
		if (!ns && !ps && (!cidr || !strcmp(cidr, "0.0.0.0/0") || !strcmp(cidr, "::/0")))
			return true;
	}
	if (ns && selector_empty(ns) && !ps)
		return true;
	if (ps && selector_empty(ps) && !ns)
		return true;
	if (ns && ps && selector_empty(ns) && selector_empty(ps))
		return true;
	return false;
}

static const char *sandbox_egress_problem(const struct bw_yaml_node *spec)
{
	const char *mgmt = bw_yaml_str(bw_yaml_get(spec, "networkPolicyManagement"));
	const struct bw_yaml_node *np = bw_yaml_get(spec, "networkPolicy");
	const struct bw_yaml_node *eg;

	if (mgmt && strcmp(mgmt, "Managed"))
		return is(mgmt, "Unmanaged") ? "leaves networking unmanaged" :
					       "has an unknown networkPolicyManagement";
	if (!np)
		return "relies on the default network policy";
	if (np->type != BW_YAML_MAP)
		return "has a malformed networkPolicy";
	eg = bw_yaml_get(np, "egress");
	for (uint32_t i = 0; i < bw_yaml_count(eg); i++) {
		const struct bw_yaml_node *to = bw_yaml_get(eg->kids[i], "to");
		if (!bw_yaml_count(to))
			return "has an egress rule open to every destination";
		for (uint32_t k = 0; k < bw_yaml_count(to); k++)
			if (peer_universal(to->kids[k]))
				return "has an egress peer that matches everything";
	}
	return NULL;
}

static int check_sandbox(struct bw_config_scan *s, const struct bw_k8s_object *o)
{
	static const char *const hardened[] = { "gvisor", "runsc", "kata", "kata-qemu",
						"kata-clh", "kata-fc", "kata-qemu-snp",
						"kata-qemu-tdx" };
	const struct bw_yaml_node *spec = bw_yaml_get(o->root, "spec");
	const struct bw_yaml_node *rc = bw_yaml_get(o->pod_spec, "runtimeClassName");
	const char *why = sandbox_egress_problem(spec);
	bool ok = false;
	int r;

	if (why && (r = XREPORT(s, "K8S-SANDBOX-EGRESS", o, bw_yaml_get(spec, "networkPolicy"),
				NULL, "SandboxTemplate `%s` %s", oname(o), why)) < 0)
		return r;
	for (size_t i = 0; i < BW_ARRAY_SIZE(hardened); i++)
		ok = ok || is(bw_yaml_str(rc), hardened[i]);
	if (!ok && (r = XREPORT(s, "K8S-SANDBOX-RUNTIME-CLASS", o, rc, NULL,
				"SandboxTemplate `%s` uses runtimeClassName `%s`, not a hardened one",
				oname(o), bw_yaml_str(rc) ? bw_yaml_str(rc) : "")) < 0)
		return r;
	return 0;
}

static bool is_policy(const char *k)
{
	return is(k, "NetworkPolicy") || is(k, "CiliumNetworkPolicy") ||
	       is(k, "CiliumClusterwideNetworkPolicy");
}

static void index_done(struct bw_config_scan *s)
{
	free(s->x_pods);
	free(s->x_pols);
	s->x_pods = s->x_pols = NULL;
	s->x_npods = s->x_npols = 0;
	s->x_names = bw_map_free(s->x_names);
	s->x_all_sa_bound = false;
	s->x_bylabel = bw_map_free_with(s->x_bylabel, x_list_free);
	free(s->x_odd);
	s->x_odd = NULL;
	s->x_nodd = 0;
	free(s->x_bare);
	s->x_bare = NULL;
	s->x_nbare = 0;
}

/* Files pod p under each of its labels; pods whose labels cannot be
 * indexed go to x_odd. */
static int index_labels(struct bw_config_scan *s, const struct bw_k8s_object *p)
{
	const struct bw_yaml_node *l = pod_labels(p);
	char key[1024];

	for (uint32_t i = 0; l && l->type == BW_YAML_MAP && i < l->n; i++) {
		const char *k = bw_yaml_str(l->kids[2 * i]), *v = bw_yaml_str(l->kids[2 * i + 1]);
		if (!k || !v || !strcmp(k, "<<") || label_index_key(key, sizeof(key), ns_of(p), k, v) < 0) {
			s->x_odd[s->x_nodd++] = p;
			return 0;
		}
	}
	for (uint32_t i = 0; l && l->type == BW_YAML_MAP && i < l->n; i++) {
		struct x_list *xl;
		label_index_key(key, sizeof(key), ns_of(p), bw_yaml_str(l->kids[2 * i]),
				bw_yaml_str(l->kids[2 * i + 1]));
		xl = bw_map_get(s->x_bylabel, key);
		if (!xl) {
			xl = calloc(1, sizeof(*xl));
			if (!xl || bw_map_put(s->x_bylabel, key, xl) < 0) {
				free(xl);
				return -ENOMEM;
			}
		}
		if (xl->n && xl->v[xl->n - 1] == p)
			continue; /* a label repeated in the map */
		if (xl->n == xl->alloc) {
			size_t a = xl->alloc ? xl->alloc * 2 : 4;
			const struct bw_k8s_object **v = realloc(xl->v, a * sizeof(*v));
			if (!v)
				return -ENOMEM;
			xl->v = v;
			xl->alloc = a;
		}
		xl->v[xl->n++] = p;
	}
	return 0;
}

/* Records the service accounts a RoleBinding or ClusterRoleBinding names
 * (a subject without a namespace is in the binding's). */
static int index_binding(struct bw_config_scan *s, const struct bw_k8s_object *b)
{
	const struct bw_yaml_node *subs = bw_yaml_get(b->root, "subjects");
	char key[1024];

	for (uint32_t i = 0; i < bw_yaml_count(subs); i++) {
		const char *kind = bw_yaml_str(bw_yaml_get(subs->kids[i], "kind"));
		const char *name = bw_yaml_str(bw_yaml_get(subs->kids[i], "name"));
		const char *ns = bw_yaml_str(bw_yaml_get(subs->kids[i], "namespace"));
		if (is(name, "system:authenticated") || is(name, "system:serviceaccounts"))
			s->x_all_sa_bound = true;
		if (!is(kind, "ServiceAccount") || !name ||
		    name_key(key, sizeof(key), "binding-subject", ns ? ns : ns_of(b), name) < 0 ||
		    bw_map_has(s->x_names, key))
			continue;
		if (bw_map_put(s->x_names, key, (void *)b) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int index_build(struct bw_config_scan *s)
{
	char key[1024];

	s->x_names = bw_map_new();
	s->x_pods = calloc(s->nobjs ? s->nobjs : 1, sizeof(*s->x_pods));
	s->x_pols = calloc(s->nobjs ? s->nobjs : 1, sizeof(*s->x_pols));
	s->x_bare = calloc(s->nobjs ? s->nobjs : 1, sizeof(*s->x_bare));
	if (!s->x_names || !s->x_pods || !s->x_pols || !s->x_bare)
		return -ENOMEM;
	for (size_t i = 0; i < s->nobjs; i++) {
		const struct bw_k8s_object *o = &s->objs[i];
		if (runs_pods(o))
			s->x_pods[s->x_npods++] = o;
		if (is_policy(o->kind))
			s->x_pols[s->x_npols++] = o;
		if (!o->pod_spec && is_replicated(o->kind))
			s->x_bare[s->x_nbare++] = o;
		if (bw_endswith(o->kind, "Binding") && index_binding(s, o) < 0)
			return -ENOMEM;
		/* the first of duplicates wins, as the API server keeps one */
		if (o->name && name_key(key, sizeof(key), o->kind, ns_of(o), o->name) == 0 &&
		    !bw_map_has(s->x_names, key) && bw_map_put(s->x_names, key, (void *)o) < 0)
			return -ENOMEM;
	}
	qsort(s->x_pods, s->x_npods, sizeof(*s->x_pods), cmp_ns);
	qsort(s->x_pols, s->x_npols, sizeof(*s->x_pols), cmp_ns);
	s->x_bylabel = bw_map_new();
	s->x_odd = calloc(s->x_npods ? s->x_npods : 1, sizeof(*s->x_odd));
	if (!s->x_bylabel || !s->x_odd)
		return -ENOMEM;
	/* In namespace order, so each list keeps the order of x_pods. */
	for (size_t i = 0; i < s->x_npods; i++)
		if (index_labels(s, s->x_pods[i]) < 0)
			return -ENOMEM;
	return 0;
}

/* ---------------------------------------------------------------- env references */

static bool has_key(const struct bw_k8s_object *o, const char *const *fields, size_t n,
		    const char *key)
{
	for (size_t f = 0; f < n; f++)
		if (bw_yaml_get(bw_yaml_get(o->root, fields[f]), key))
			return true;
	return false;
}

/* valueFrom.secretKeyRef / configMapKeyRef of a container that names an
 * object (or a key of one) that is not among the inputs, unless optional. */
static int env_refs(struct bw_config_scan *s, const struct bw_k8s_object *o,
		    const struct bw_yaml_node *c, const char *cname, int ctype, void *ud)
{
	static const char *const sfields[] = { "data", "stringData" };
	static const char *const cfields[] = { "data", "binaryData" };
	const struct bw_yaml_node *env = bw_yaml_get(c, "env");
	int r;
	(void)ctype;
	(void)ud;

	for (uint32_t i = 0; i < bw_yaml_count(env); i++) {
		const struct bw_yaml_node *vf = bw_yaml_get(env->kids[i], "valueFrom");
		for (int t = 0; t < 2; t++) {
			const struct bw_yaml_node *ref =
				bw_yaml_get(vf, t ? "configMapKeyRef" : "secretKeyRef");
			const char *name = bw_yaml_str(bw_yaml_get(ref, "name"));
			const char *key = bw_yaml_str(bw_yaml_get(ref, "key"));
			const char *what = t ? "config map" : "secret";
			const struct bw_k8s_object *target;
			if (!ref || !name || bw_yaml_bool(bw_yaml_get(ref, "optional")) == 1)
				continue;
			target = find_obj(s, t ? "ConfigMap" : "Secret", ns_of(o), name);
			if (!target)
				r = XREPORT(s, "K8S-ENV-REF-MISSING", o, ref, cname,
					    "container `%s` refers to an unknown %s `%s`", cname, what, name);
			else if (key && !has_key(target, t ? cfields : sfields, 2, key))
				r = XREPORT(s, "K8S-ENV-REF-MISSING", o, ref, cname,
					    "container `%s` refers to an unknown key `%s` in %s `%s`",
					    cname, key, what, name);
			else
				r = 0;
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int x_check_all(struct bw_config_scan *s)
{
	int r = index_build(s);

	if (r < 0) {
		index_done(s);
		return r;
	}

	for (size_t i = 0; i < s->nobjs && r >= 0; i++) {
		const struct bw_k8s_object *o = &s->objs[i];
		const char *k = o->kind;

		if (is(k, "SandboxTemplate") && (r = check_sandbox(s, o)) < 0)
			break;
		if ((r = check_replicas(s, o)) < 0)
			break;
		if (o->pod_spec && !is(k, "PodTemplate") &&
		    (r = visit_containers(s, o, env_refs, NULL)) < 0)
			break;
		if (o->pod_spec && !is(k, "PodTemplate"))
			r = check_workload(s, o);
		else if (is(k, "Service"))
			r = check_service(s, o);
		else if (is(k, "Ingress"))
			r = check_ingress(s, o);
		else if (is(k, "HTTPRoute") || is(k, "GRPCRoute") || is(k, "TCPRoute") ||
			 is(k, "UDPRoute") || is(k, "TLSRoute"))
			r = check_route(s, o);
		else if (is(k, "HorizontalPodAutoscaler"))
			r = check_hpa(s, o);
		else if (is(k, "NetworkPolicy"))
			r = check_netpol(s, o);
		else if (is(k, "PodDisruptionBudget"))
			r = check_pdb(s, o);
		else if (is(k, "Namespace"))
			r = check_namespace(s, o);
	}
	if (r >= 0)
		r = check_psps(s);
	index_done(s);
	return r < 0 ? r : 0;
}
