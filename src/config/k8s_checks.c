/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Least-privilege and hygiene checks on Kubernetes objects, the ones
 * Polaris, kube-linter, Kubescape and Trivy users expect. Where the peers
 * disagree on a detail, the comment at the check says whose reading we
 * follow; docs/peer-checks.tsv maps the ids.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "bulwark/config.h"
#include "config/internal.h"

const struct bw_check_info bw_k8s_checks[] = {
	{ "K8S-CPU-REQUESTS", BW_SEV_LOW, "kubernetes", "CPU request not set",
	  "Without a CPU request the scheduler cannot place the pod sensibly and it is first to be "
	  "starved under contention.",
	  "Set resources.requests.cpu on every container." },
	{ "K8S-CPU-LIMITS", BW_SEV_LOW, "kubernetes", "CPU limit not set",
	  "An unlimited container can use every CPU of the node and starve its neighbours.",
	  "Set resources.limits.cpu on every container." },
	{ "K8S-MEMORY-REQUESTS", BW_SEV_LOW, "kubernetes", "Memory request not set",
	  "Without a memory request the scheduler may overcommit the node and the pod is evicted "
	  "first.",
	  "Set resources.requests.memory on every container." },
	{ "K8S-MEMORY-LIMITS", BW_SEV_LOW, "kubernetes", "Memory limit not set",
	  "An unlimited container can exhaust the node's memory (a denial of service for every pod "
	  "on it).",
	  "Set resources.limits.memory on every container." },
	{ "K8S-IMAGE-TAG", BW_SEV_MEDIUM, "kubernetes", "Image without a tag, or tagged latest",
	  "An untagged or `latest` image changes under you: deployments are not reproducible and "
	  "a rollback may not roll back.",
	  "Pin the image to a version tag, or better to a digest (image@sha256:...)." },
	{ "K8S-PULL-POLICY", BW_SEV_LOW, "kubernetes", "imagePullPolicy is not Always",
	  "With IfNotPresent a node reuses whatever image it cached under that tag, which may not "
	  "be the one you reviewed; Always also re-checks pull credentials.",
	  "Set imagePullPolicy: Always, or pin images by digest." },
	{ "K8S-LIVENESS-PROBE", BW_SEV_LOW, "kubernetes", "Liveness probe not configured",
	  "Without a liveness probe a hung container is never restarted.",
	  "Add a livenessProbe to every long-running container." },
	{ "K8S-READINESS-PROBE", BW_SEV_LOW, "kubernetes", "Readiness probe not configured",
	  "Without a readiness probe traffic is sent to containers that are not ready.",
	  "Add a readinessProbe to every container that serves traffic." },
	{ "K8S-READONLY-ROOTFS", BW_SEV_MEDIUM, "kubernetes", "Root file system is writable",
	  "A writable root file system lets an attacker drop tools and persist changes inside the "
	  "container.",
	  "Set securityContext.readOnlyRootFilesystem: true and mount emptyDir where writes are "
	  "needed." },
	{ "K8S-PRIVILEGE-ESCALATION", BW_SEV_MEDIUM, "kubernetes", "Privilege escalation allowed",
	  "Unless allowPrivilegeEscalation is false, setuid binaries and file capabilities can "
	  "raise a process's privileges.",
	  "Set securityContext.allowPrivilegeEscalation: false." },
	{ "K8S-PRIVILEGED", BW_SEV_HIGH, "kubernetes", "Privileged container",
	  "A privileged container has all capabilities and host devices: root on the node.",
	  "Remove securityContext.privileged or set it to false." },
	{ "K8S-RUN-AS-ROOT", BW_SEV_MEDIUM, "kubernetes", "Container may run as root",
	  "Nothing stops the container from running as UID 0, which makes any escape a root escape.",
	  "Set runAsNonRoot: true or a non-zero runAsUser, on the pod or the container." },
	{ "K8S-HOST-PORT", BW_SEV_MEDIUM, "kubernetes", "hostPort is set",
	  "A hostPort exposes the container on the node's address, bypassing Services and "
	  "NetworkPolicies.",
	  "Remove hostPort and use a Service." },
	{ "K8S-HOST-NETWORK", BW_SEV_HIGH, "kubernetes", "Pod uses the host network",
	  "hostNetwork gives the pod the node's interfaces, including localhost-only services.",
	  "Remove spec.hostNetwork." },
	{ "K8S-HOST-PID", BW_SEV_HIGH, "kubernetes", "Pod shares the host PID namespace",
	  "hostPID lets the pod see and signal every process of the node.",
	  "Remove spec.hostPID." },
	{ "K8S-HOST-IPC", BW_SEV_HIGH, "kubernetes", "Pod shares the host IPC namespace",
	  "hostIPC exposes the node's shared memory and message queues.",
	  "Remove spec.hostIPC." },
	{ "K8S-HOSTPATH", BW_SEV_MEDIUM, "kubernetes", "hostPath volume",
	  "A hostPath volume mounts the node's file system into the pod.",
	  "Use emptyDir, configMap, secret or a PersistentVolumeClaim." },
	{ "K8S-DOCKER-SOCK", BW_SEV_CRITICAL, "kubernetes", "Container runtime socket mounted",
	  "Mounting docker.sock, containerd.sock or crio.sock hands over the node's container "
	  "runtime: full control of every container and the host.",
	  "Do not mount the runtime socket; use a build service or the Kubernetes API." },
	{ "K8S-SENSITIVE-HOST-MOUNT", BW_SEV_HIGH, "kubernetes", "Sensitive host directory mounted",
	  "Host paths such as /, /etc, /proc, /sys, /var/run, /var/lib/kubelet expose credentials "
	  "and control interfaces of the node.",
	  "Remove the hostPath volume." },
	{ "K8S-WRITABLE-HOST-MOUNT", BW_SEV_MEDIUM, "kubernetes", "Host path mounted writable",
	  "A writable host mount lets the container change the node's files.",
	  "Mount host paths with readOnly: true, or remove them." },
	{ "K8S-DANGEROUS-CAPABILITIES", BW_SEV_HIGH, "kubernetes",
	  "Dangerous capability added (ALL, SYS_ADMIN, NET_ADMIN)",
	  "SYS_ADMIN is nearly root, NET_ADMIN controls the node's network stack, ALL is both.",
	  "Remove these from securityContext.capabilities.add." },
	{ "K8S-CAPABILITIES-DROP-ALL", BW_SEV_MEDIUM, "kubernetes", "Capabilities are not dropped",
	  "Containers start with a default capability set (NET_RAW, CHOWN, SETUID, ...) they rarely "
	  "need.",
	  "Set securityContext.capabilities.drop: [\"ALL\"] and add back only what is needed." },
	{ "K8S-DROP-NET-RAW", BW_SEV_MEDIUM, "kubernetes", "NET_RAW is not dropped",
	  "NET_RAW allows crafting packets (ARP and DNS spoofing inside the cluster network).",
	  "Drop NET_RAW (or ALL) in securityContext.capabilities.drop." },
	{ "K8S-PROC-MOUNT", BW_SEV_MEDIUM, "kubernetes", "Unmasked /proc mount",
	  "procMount: Unmasked exposes kernel interfaces the runtime normally hides.",
	  "Remove securityContext.procMount or set it to Default." },
	{ "K8S-HOST-PROCESS", BW_SEV_HIGH, "kubernetes", "Windows HostProcess container",
	  "A HostProcess container runs on the Windows node with host privileges.",
	  "Remove windowsOptions.hostProcess." },
	{ "K8S-SECCOMP", BW_SEV_MEDIUM, "kubernetes", "Seccomp profile is not RuntimeDefault",
	  "Without a seccomp profile the container can call every system call, the path of many "
	  "kernel exploits.",
	  "Set securityContext.seccompProfile.type: RuntimeDefault on the pod or container." },
	{ "K8S-SECCOMP-RUNTIME-DEFAULT", BW_SEV_LOW, "kubernetes",
	  "Seccomp profile is not the runtime's default",
	  "The container runtime's default seccomp profile is maintained with the runtime and "
	  "blocks the system calls containers do not need; an unset profile allows them all, and "
	  "a Localhost profile is only as good as the file on each node (Kubescape C-0210 reads "
	  "the container's profile type first, then the pod's).",
	  "Set securityContext.seccompProfile.type: RuntimeDefault on the pod, and do not "
	  "override it in containers." },
	{ "K8S-RESOURCE-BOUNDS", BW_SEV_MEDIUM, "kubernetes",
	  "CPU or memory request or limit outside the configured bounds",
	  "Requests above what a node offers leave the pod unschedulable, limits above the "
	  "agreed maximum let one container starve its neighbours, and values below the minimum "
	  "get the container throttled or OOM-killed. The bounds are control inputs "
	  "(cpu_/memory_ request_/limit_ min/max, `--controls-config`); quantities are compared "
	  "in base units, so 1500m exceeds 1 and 2048Mi exceeds 1Gi.",
	  "Set requests and limits within the bounds, or change the bounds in the control "
	  "inputs." },
	{ "K8S-SANDBOX-CPU-LIMIT", BW_SEV_MEDIUM, "kubernetes",
	  "Agent sandbox container without a CPU limit, or above the sandbox maximum",
	  "An agent sandbox (SandboxTemplate) runs code nobody reviewed; without a CPU limit, or "
	  "with one above sandbox_cpu_limit_max, it can starve the node.",
	  "Set resources.limits.cpu on every sandbox container, at most the configured maximum." },
	{ "K8S-SANDBOX-MEMORY-LIMIT", BW_SEV_MEDIUM, "kubernetes",
	  "Agent sandbox container without a memory limit, or above the sandbox maximum",
	  "An agent sandbox (SandboxTemplate) runs code nobody reviewed; without a memory "
	  "limit, or with one above sandbox_memory_limit_max, it can exhaust the node's memory.",
	  "Set resources.limits.memory on every sandbox container, at most the configured "
	  "maximum." },
	{ "K8S-DEFAULT-SA-AUTOMOUNT", BW_SEV_LOW, "kubernetes",
	  "Default ServiceAccount mounts its token",
	  "Every pod that names no service account runs as `default`; unless the default "
	  "ServiceAccount turns automounting off, each of them carries an API token it rarely "
	  "needs.",
	  "Set automountServiceAccountToken: false on the namespace's default ServiceAccount." },
	{ "K8S-APPARMOR", BW_SEV_MEDIUM, "kubernetes", "AppArmor disabled",
	  "An unconfined AppArmor profile removes a layer of mandatory access control.",
	  "Use appArmorProfile.type RuntimeDefault/Localhost (or the runtime/default annotation)." },
	{ "K8S-SELINUX", BW_SEV_MEDIUM, "kubernetes", "Custom SELinux options",
	  "A custom SELinux type, user or role can lift confinement.",
	  "Remove seLinuxOptions, or use one of the container_* types." },
	{ "K8S-UNSAFE-SYSCTLS", BW_SEV_HIGH, "kubernetes", "Unsafe sysctls",
	  "Sysctls outside the safe set change kernel settings for the whole node.",
	  "Use only the safe sysctls." },
	{ "K8S-NON-CORE-VOLUMES", BW_SEV_LOW, "kubernetes", "Non-ephemeral volume type",
	  "Volume types other than configMap, csi, downwardAPI, emptyDir, ephemeral, "
	  "persistentVolumeClaim, projected and secret reach node or network storage directly.",
	  "Use a PersistentVolumeClaim instead of inline volume sources." },
	{ "K8S-LOW-UID", BW_SEV_LOW, "kubernetes", "Container runs with a low UID",
	  "UIDs below 10000 may collide with users of the node, which matters after an escape.",
	  "Set runAsUser to a value above 10000." },
	{ "K8S-LOW-GID", BW_SEV_LOW, "kubernetes", "Container runs with a low GID",
	  "GIDs below 10000 may collide with groups of the node.",
	  "Set runAsGroup (and fsGroup) above 10000." },
	{ "K8S-SA-TOKEN-AUTOMOUNT", BW_SEV_MEDIUM, "kubernetes",
	  "Service account token is mounted automatically",
	  "Most pods never talk to the API server, yet every one gets a token a compromise can use.",
	  "Set automountServiceAccountToken: false on the pod or its ServiceAccount." },
	{ "K8S-DEFAULT-NAMESPACE", BW_SEV_LOW, "kubernetes", "Object in the default namespace",
	  "The default namespace mixes unrelated workloads under one set of policies and quotas.",
	  "Set metadata.namespace to a dedicated namespace." },
	{ "K8S-SECRET-ENV", BW_SEV_HIGH, "kubernetes", "Secret in an environment variable",
	  "A credential written into the manifest is readable by anyone who can read the object "
	  "and ends up in version control.",
	  "Move the value into a Secret and reference it with valueFrom.secretKeyRef." },
	{ "K8S-CONFIGMAP-SECRETS", BW_SEV_HIGH, "kubernetes", "Secret in a ConfigMap",
	  "ConfigMaps are not meant for credentials: they are not encrypted at rest and are widely "
	  "readable.",
	  "Move the value into a Secret." },
	{ "K8S-DEPLOYMENT-REPLICAS", BW_SEV_LOW, "kubernetes", "Deployment runs a single replica",
	  "One replica means downtime on every node drain, update or crash.",
	  "Set spec.replicas to 2 or more." },
	{ "K8S-NAKED-POD", BW_SEV_LOW, "kubernetes", "Pod without a controller",
	  "A bare Pod is not rescheduled when its node fails.",
	  "Run the pod from a Deployment, StatefulSet, DaemonSet or Job." },
	{ "K8S-PRIORITY-CLASS", BW_SEV_LOW, "kubernetes", "priorityClassName not set",
	  "Without a priority class the scheduler cannot tell which pods to keep under pressure.",
	  "Set spec.priorityClassName." },
	{ "K8S-SSH-PORT", BW_SEV_MEDIUM, "kubernetes", "Container exposes SSH (port 22)",
	  "An SSH server in a container is an unmanaged way in.",
	  "Remove the SSH server; use kubectl exec for debugging." },
	{ "K8S-PRIVILEGED-PORTS", BW_SEV_LOW, "kubernetes", "Container uses a privileged port",
	  "Ports below 1024 need NET_BIND_SERVICE or root inside the container.",
	  "Listen on a port above 1024 and map it in the Service." },
	{ "K8S-DUPLICATE-ENV", BW_SEV_LOW, "kubernetes", "Duplicate environment variable",
	  "When a variable is set twice only the last value counts, which hides mistakes.",
	  "Remove the duplicate." },
	{ "K8S-KUBE-SYSTEM", BW_SEV_MEDIUM, "kubernetes", "Workload in kube-system",
	  "Workloads in kube-system run next to the control plane's components and their service "
	  "accounts.",
	  "Deploy applications to their own namespace." },
	{ "K8S-TILLER", BW_SEV_CRITICAL, "kubernetes", "Tiller (Helm v2) is deployed",
	  "Tiller runs with cluster-admin rights and an unauthenticated gRPC port.",
	  "Migrate to Helm 3 and remove Tiller." },
	{ "K8S-INGRESS-NGINX-INJECTION", BW_SEV_CRITICAL, "kubernetes",
	  "ingress-nginx annotation with configuration-injection characters",
	  "ingress-nginx copies auth-url, auth-tls-match-cn, mirror-target and mirror-host into "
	  "its nginx configuration; characters such as # ; | or a newline in them inject "
	  "directives (CVE-2025-1097, CVE-2025-1098, CVE-2025-24514).",
	  "Remove the characters from the annotation, and update ingress-nginx." },
	{ "K8S-RUN-AS-GROUP-ROOT", BW_SEV_MEDIUM, "kubernetes", "Container runs with group 0",
	  "Group root owns many files in images and on the host; a process in it can change them.",
	  "Set runAsGroup to a non-zero group." },
	{ "K8S-JOB-TTL", BW_SEV_LOW, "kubernetes", "Job without ttlSecondsAfterFinished",
	  "Finished Jobs and their pods pile up until someone deletes them.",
	  "Set spec.ttlSecondsAfterFinished on standalone Jobs." },
	{ "K8S-ENV-VALUE-FROM-SECRET", BW_SEV_LOW, "kubernetes",
	  "Secret read into an environment variable",
	  "Environment variables leak into logs, crash dumps and child processes more easily than "
	  "mounted files.",
	  "Mount the Secret as a volume instead of valueFrom.secretKeyRef." },
};
const size_t bw_k8s_nchecks = BW_ARRAY_SIZE(bw_k8s_checks);

/* ---------------------------------------------------------------- helpers */

static bool is(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

static bool seq_has_ci(const struct bw_yaml_node *seq, const char *v)
{
	for (uint32_t i = 0; i < bw_yaml_count(seq); i++) {
		const char *s = bw_yaml_str(seq->kids[i]);
		if (s && (!strcasecmp(s, v) ||
			  (!strncasecmp(s, "CAP_", 4) && !strcasecmp(s + 4, v))))
			return true;
	}
	return false;
}

/* A resource quantity that is set and not empty. */
static bool quantity_set(const struct bw_yaml_node *res, const char *kind, const char *what)
{
	const struct bw_yaml_node *q = bw_yaml_get(bw_yaml_get(res, kind), what);
	return q && q->type == BW_YAML_SCALAR && q->len > 0;
}

/* The image's tag: after the last ':' past the last '/'; NULL if none. */
static const char *image_tag(const char *image, bool *digest)
{
	const char *slash = strrchr(image, '/');
	const char *colon = strrchr(slash ? slash : image, ':');

	*digest = strchr(image, '@') != NULL;
	return colon ? colon + 1 : NULL;
}

/*
 * Polaris' reading of pod-or-container security settings: good when the
 * container sets the field to the good value, or when the pod does and the
 * container does not set it to anything else.
 */
static bool pod_or_container(const struct bw_yaml_node *psc, const struct bw_yaml_node *sc,
			     const char *field, int want)
{
	const struct bw_yaml_node *c = bw_yaml_get(sc, field), *p = bw_yaml_get(psc, field);

	if (c)
		return bw_yaml_bool(c) == want;
	return p && bw_yaml_bool(p) == want;
}

static bool sensitive_env_name(const char *n)
{
	static const char *const words[] = { "password", "token", "bearer", "secret" };
	size_t l = strlen(n);

	if (!strcasecmp(n, "AWS_SECRET_ACCESS_KEY") || !strcasecmp(n, "GOOGLE_APPLICATION_CREDENTIALS") ||
	    !strcasecmp(n, "OCI_CLI_KEY_CONTENT") ||
	    (l > 9 && !strncasecmp(n, "AZURE_", 6) && !strcasecmp(n + l - 3, "KEY")))
		return true;
	for (size_t i = 0; i < BW_ARRAY_SIZE(words); i++)
		if (strcasestr(n, words[i]))
			return true;
	return false;
}

static bool private_key_value(const char *v)
{
	const char *b = strcasestr(v, "-BEGIN");
	return b && strcasestr(b, "PRIVATE KEY-");
}

/* A value that embeds an assignment of a secret: a line or word
 * `NAME=value` (or `NAME: value`) whose NAME names a secret, as in an
 * env file kept in a ConfigMap key. */
static bool secret_assignment(const char *v)
{
	const char *p = v;

	while (*p) {
		const char *w = p, *e, *sep;
		char name[128];
		size_t l;

		while (*w == ' ' || *w == '\t' || *w == '\n' || *w == '\r')
			w++;
		e = w;
		while (*e && *e != ' ' && *e != '\t' && *e != '\n' && *e != '\r')
			e++;
		sep = memchr(w, '=', (size_t)(e - w));
		/* an empty value or a reference (${NAME}) holds no secret */
		if (sep && sep > w && sep + 1 < e && sep[1] != '$' && (size_t)(sep - w) < sizeof(name)) {
			l = (size_t)(sep - w);
			memcpy(name, w, l);
			name[l] = 0;
			if (sensitive_env_name(name))
				return true;
		}
		if (!*e)
			break;
		p = e;
	}
	return false;
}

/*
 * Kubescape's reading of credentials in a ConfigMap value (C-0012,
 * rule-credentials-configmap): the key contains a sensitive key name, or the
 * value, or the value base64-decoded, matches a sensitive value pattern;
 * unless the value matches an allowed pattern or the key contains an
 * allowed key name. The lists are control inputs.
 */
static bool ks_configmap_credential(const struct controls *c, const char *key, const char *val)
{
	_cleanup_free_ char *dec = NULL;
	size_t dlen;

	if (!key || !val || !*val)
		return false;
	if (relist_match(&c->values_allowed_re, val) ||
	    strlist_contained_ci(&c->sens_keys_allowed, key))
		return false;
	if (strlist_contained_ci(&c->sens_keys, key) || relist_match(&c->values_re, val))
		return true;
	return base64_decode(val, &dec, &dlen) == 0 && relist_match(&c->values_re, dec);
}

/* ---------------------------------------------------------------- containers */

struct k8s_ctx {
	const struct bw_yaml_node *psc;
	bool is_job;
	bool ks_kind; /* a kind Kubescape's per-container rules read */
};

/*
 * Requests and limits against the bounds of the control inputs (Kubescape
 * C-0004, C-0050): a value fails when it is above any maximum or below any
 * minimum, compared in base units.
 */
static int check_bounds(struct bw_config_scan *s, const struct bw_k8s_object *o,
			const struct bw_yaml_node *res, const char *cname)
{
	static const struct {
		const char *kind, *what;
		int min, max;
	} f[] = { { "limits", "cpu", BOUND_CPU_LIMIT_MIN, BOUND_CPU_LIMIT_MAX },
		  { "requests", "cpu", BOUND_CPU_REQUEST_MIN, BOUND_CPU_REQUEST_MAX },
		  { "limits", "memory", BOUND_MEM_LIMIT_MIN, BOUND_MEM_LIMIT_MAX },
		  { "requests", "memory", BOUND_MEM_REQUEST_MIN, BOUND_MEM_REQUEST_MAX } };
	const struct controls *c = &s->controls;

	for (size_t i = 0; i < BW_ARRAY_SIZE(f); i++) {
		const struct bw_yaml_node *q = bw_yaml_get(bw_yaml_get(res, f[i].kind), f[i].what);
		const char *how = NULL;
		double v;
		if (!q || quantity_of(q, &v) < 0)
			continue;
		for (size_t k = 0; k < c->bounds[f[i].max].n && !how; k++)
			if (v > c->bounds[f[i].max].v[k])
				how = "above the maximum";
		for (size_t k = 0; k < c->bounds[f[i].min].n && !how; k++)
			if (v < c->bounds[f[i].min].v[k])
				how = "below the minimum";
		if (how) {
			int r = REPORT(s, "K8S-RESOURCE-BOUNDS", o, q, cname,
				       "container `%s` %s %s `%s` is %s", cname, f[i].what,
				       !strcmp(f[i].kind, "limits") ? "limit" : "request",
				       bw_yaml_str(q), how);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int check_container(struct bw_config_scan *s, const struct bw_k8s_object *o,
			   const struct bw_yaml_node *c, const char *cname, int ctype, void *ud)
{
	const struct k8s_ctx *x = ud;
	const struct bw_yaml_node *sc = bw_yaml_get(c, "securityContext");
	const struct bw_yaml_node *res = bw_yaml_get(c, "resources");
	const struct bw_yaml_node *caps = bw_yaml_get(sc, "capabilities");
	const struct bw_yaml_node *n;
	const char *image = bw_yaml_str(bw_yaml_get(c, "image"));
	bool main_c = ctype == CT_MAIN;
	int r;

#define R(id, node, ...)                                               \
	do {                                                            \
		if ((r = REPORT(s, id, o, (node) ? (node) : c, cname, __VA_ARGS__)) < 0) \
			return r;                                       \
	} while (0)

	if (main_c && is(o->kind, "SandboxTemplate")) {
		static const struct {
			const char *id, *what;
			int max;
		} sb[] = { { "K8S-SANDBOX-CPU-LIMIT", "cpu", BOUND_SANDBOX_CPU_LIMIT_MAX },
			   { "K8S-SANDBOX-MEMORY-LIMIT", "memory", BOUND_SANDBOX_MEM_LIMIT_MAX } };
		for (size_t i = 0; i < BW_ARRAY_SIZE(sb); i++) {
			const struct bw_yaml_node *q = bw_yaml_path(bw_yaml_get(res, "limits"), sb[i].what);
			const struct bound *b = &s->controls.bounds[sb[i].max];
			double v;
			if (!q || !q->len) {
				R(sb[i].id, res, "sandbox container `%s` has no %s limit", cname,
				  sb[i].what);
				continue;
			}
			if (quantity_of(q, &v) < 0)
				continue;
			for (size_t k = 0; k < b->n; k++)
				if (v > b->v[k]) {
					R(sb[i].id, q, "sandbox container `%s` %s limit `%s` exceeds the "
					  "sandbox maximum", cname, sb[i].what, bw_yaml_str(q));
					break;
				}
		}
	}
	if (main_c && x->ks_kind) {
		const struct bw_yaml_node *ct = bw_yaml_path(sc, "seccompProfile.type");
		const struct bw_yaml_node *pt = bw_yaml_path(x->psc, "seccompProfile.type");
		if (ct ? !is(bw_yaml_str(ct), "RuntimeDefault") : !is(bw_yaml_str(pt), "RuntimeDefault"))
			R("K8S-SECCOMP-RUNTIME-DEFAULT", ct ? ct : pt ? pt : sc,
			  "container `%s` has seccomp profile %s%s", cname,
			  bw_yaml_str(ct ? ct : pt) ? bw_yaml_str(ct ? ct : pt) : "unset",
			  ct ? "" : pt ? " (from the pod)" : "");
		if ((r = check_bounds(s, o, res, cname)) < 0)
			return r;
	}
	if (main_c) {
		if (!quantity_set(res, "requests", "cpu"))
			R("K8S-CPU-REQUESTS", res, "container `%s` has no CPU request", cname);
		if (!quantity_set(res, "limits", "cpu"))
			R("K8S-CPU-LIMITS", res, "container `%s` has no CPU limit", cname);
		if (!quantity_set(res, "requests", "memory"))
			R("K8S-MEMORY-REQUESTS", res, "container `%s` has no memory request", cname);
		if (!quantity_set(res, "limits", "memory"))
			R("K8S-MEMORY-LIMITS", res, "container `%s` has no memory limit", cname);
		if (!x->is_job && !bw_yaml_get(c, "livenessProbe"))
			R("K8S-LIVENESS-PROBE", NULL, "container `%s` has no liveness probe", cname);
		if (!x->is_job && !bw_yaml_get(c, "readinessProbe"))
			R("K8S-READINESS-PROBE", NULL, "container `%s` has no readiness probe", cname);
	}

	if (image && ctype != CT_EPHEMERAL) {
		bool digest;
		const char *tag = image_tag(image, &digest);
		if (!digest && (!tag || !*tag || !strcmp(tag, "latest")))
			R("K8S-IMAGE-TAG", bw_yaml_get(c, "image"),
			  "container `%s` uses image `%s` %s", cname, image,
			  tag && *tag ? "tagged latest" : "without a tag");
		else if (!digest && strlist_has(&s->controls.floating_tags, tag))
			R("K8S-IMAGE-TAG", bw_yaml_get(c, "image"),
			  "container `%s` uses image `%s` with the floating tag %s", cname, image,
			  tag);
	}
	n = bw_yaml_get(c, "imagePullPolicy");
	if (ctype != CT_EPHEMERAL && !is(bw_yaml_str(n), "Always"))
		R("K8S-PULL-POLICY", n, "container `%s` has imagePullPolicy %s", cname,
		  bw_yaml_str(n) ? bw_yaml_str(n) : "unset");

	if (!pod_or_container(x->psc, sc, "readOnlyRootFilesystem", 1))
		R("K8S-READONLY-ROOTFS", sc, "container `%s` does not set readOnlyRootFilesystem: true",
		  cname);
	if (!pod_or_container(x->psc, sc, "allowPrivilegeEscalation", 0))
		R("K8S-PRIVILEGE-ESCALATION", sc,
		  "container `%s` does not set allowPrivilegeEscalation: false", cname);
	n = bw_yaml_get(sc, "privileged");
	if (bw_yaml_bool(n) == 1)
		R("K8S-PRIVILEGED", n, "container `%s` is privileged", cname);

	/* run as root: runAsNonRoot true or runAsUser > 0, on the container,
	 * or on the pod without the container saying otherwise */
	{
		long long uid;
		const struct bw_yaml_node *cu = bw_yaml_get(sc, "runAsUser");
		const struct bw_yaml_node *cn = bw_yaml_get(sc, "runAsNonRoot");
		const struct bw_yaml_node *pu = bw_yaml_get(x->psc, "runAsUser");
		const struct bw_yaml_node *pn = bw_yaml_get(x->psc, "runAsNonRoot");
		bool c_good = bw_yaml_bool(cn) == 1 || (cu && bw_yaml_int(cu, &uid) == 0 && uid > 0);
		bool c_bad = bw_yaml_bool(cn) == 0 || (cu && bw_yaml_int(cu, &uid) == 0 && uid == 0);
		bool p_good = bw_yaml_bool(pn) == 1 || (pu && bw_yaml_int(pu, &uid) == 0 && uid > 0);
		if (!c_good && (c_bad || !p_good))
			R("K8S-RUN-AS-ROOT", sc, "container `%s` may run as root", cname);
		/* group 0 owns much of an image's files: runAsGroup 0 (container,
		 * else pod) gives write access to them */
		{
			long long gid;
			const struct bw_yaml_node *g = bw_yaml_get(sc, "runAsGroup");
			if (!g)
				g = bw_yaml_get(x->psc, "runAsGroup");
			if (g && bw_yaml_int(g, &gid) == 0 && gid == 0)
				R("K8S-RUN-AS-GROUP-ROOT", g, "container `%s` is set to runAsGroup 0", cname);
		}

		/* low UID/GID (Trivy KSV020/KSV021 read container or pod) */
		const struct bw_yaml_node *u = cu ? cu : pu;
		if (!u || (bw_yaml_int(u, &uid) == 0 && uid <= 10000))
			R("K8S-LOW-UID", u ? u : sc, "container `%s` runs with UID %s (<= 10000)", cname,
			  u && bw_yaml_str(u) ? bw_yaml_str(u) : "unset");
		const struct bw_yaml_node *g = bw_yaml_get(sc, "runAsGroup");
		if (!g)
			g = bw_yaml_get(x->psc, "runAsGroup");
		if (!g || (bw_yaml_int(g, &uid) == 0 && uid <= 10000))
			R("K8S-LOW-GID", g ? g : sc, "container `%s` runs with GID %s (<= 10000)", cname,
			  g && bw_yaml_str(g) ? bw_yaml_str(g) : "unset");
	}

	/* Debugging (ephemeral) containers run in the pod with its rights, so
	 * the checks above of what they may do apply; they have no resources,
	 * probes or ports, and are checked no further. */
	if (ctype == CT_EPHEMERAL)
		return 0;

	/* ports */
	n = bw_yaml_get(c, "ports");
	for (uint32_t i = 0; i < bw_yaml_count(n); i++) {
		const struct bw_yaml_node *p = n->kids[i];
		const struct bw_yaml_node *hp = bw_yaml_get(p, "hostPort");
		const struct bw_yaml_node *cp = bw_yaml_get(p, "containerPort");
		long long v;
		if (hp && (bw_yaml_int(hp, &v) < 0 || v != 0))
			R("K8S-HOST-PORT", hp, "container `%s` uses hostPort %s", cname,
			  bw_yaml_str(hp) ? bw_yaml_str(hp) : "?");
		if (cp && bw_yaml_int(cp, &v) == 0) {
			if (v == 22)
				R("K8S-SSH-PORT", cp, "container `%s` exposes port 22", cname);
			if (v > 0 && v < 1024)
				R("K8S-PRIVILEGED-PORTS", cp, "container `%s` uses privileged port %lld",
				  cname, v);
		}
	}

	/* capabilities */
	{
		const struct bw_yaml_node *add = bw_yaml_get(caps, "add");
		const struct bw_yaml_node *drop = bw_yaml_get(caps, "drop");
		static const char *const dangerous[] = { "ALL", "SYS_ADMIN", "NET_ADMIN" };
		for (size_t i = 0; i < BW_ARRAY_SIZE(dangerous); i++)
			if (seq_has_ci(add, dangerous[i]))
				R("K8S-DANGEROUS-CAPABILITIES", add, "container `%s` adds capability %s",
				  cname, dangerous[i]);
		static const char *const defaults[] = { "NET_ADMIN", "CHOWN", "DAC_OVERRIDE", "FSETID",
							"FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID",
							"SETFCAP", "SETPCAP", "NET_BIND_SERVICE",
							"SYS_CHROOT", "KILL", "AUDIT_WRITE" };
		bool all_listed = true;
		for (size_t i = 0; i < BW_ARRAY_SIZE(defaults); i++)
			all_listed = all_listed && seq_has_ci(drop, defaults[i]);
		if (!seq_has_ci(drop, "ALL") && !all_listed)
			R("K8S-CAPABILITIES-DROP-ALL", drop ? drop : caps ? caps : sc,
			  "container `%s` does not drop ALL capabilities", cname);
		if ((!seq_has_ci(drop, "ALL") && !seq_has_ci(drop, "NET_RAW")) ||
		    seq_has_ci(add, "NET_RAW") || seq_has_ci(add, "ALL"))
			R("K8S-DROP-NET-RAW", drop ? drop : caps ? caps : sc,
			  "container `%s` does not drop NET_RAW", cname);
	}

	n = bw_yaml_get(sc, "procMount");
	if (n && !is(bw_yaml_str(n), "Default"))
		R("K8S-PROC-MOUNT", n, "container `%s` sets procMount %s", cname,
		  bw_yaml_str(n) ? bw_yaml_str(n) : "?");
	n = bw_yaml_path(sc, "windowsOptions.hostProcess");
	if (bw_yaml_bool(n) == 1)
		R("K8S-HOST-PROCESS", n, "container `%s` is a Windows HostProcess container", cname);

	/* seccomp: RuntimeDefault or Localhost on the container, or on the pod
	 * when the container sets none */
	{
		const char *ct = bw_yaml_str(bw_yaml_path(sc, "seccompProfile.type"));
		const char *pt = bw_yaml_str(bw_yaml_path(x->psc, "seccompProfile.type"));
		const char *t = bw_yaml_get(sc, "seccompProfile") ? ct : pt;
		if (!is(t, "RuntimeDefault") && !is(t, "Localhost"))
			R("K8S-SECCOMP", sc, "container `%s` has seccomp profile %s", cname,
			  t ? t : "unset");
	}
	n = bw_yaml_path(sc, "appArmorProfile.type");
	if (n && is(bw_yaml_str(n), "Unconfined"))
		R("K8S-APPARMOR", n, "container `%s` runs AppArmor unconfined", cname);
	n = bw_yaml_get(sc, "seLinuxOptions");
	if (n) {
		const char *t = bw_yaml_str(bw_yaml_get(n, "type"));
		const char *u = bw_yaml_str(bw_yaml_get(n, "user"));
		const char *ro = bw_yaml_str(bw_yaml_get(n, "role"));
		if ((t && *t && strcmp(t, "container_t") && strcmp(t, "container_init_t") &&
		     strcmp(t, "container_kvm_t") && strcmp(t, "container_engine_t")) ||
		    (u && *u) || (ro && *ro))
			R("K8S-SELINUX", n, "container `%s` sets custom SELinux options", cname);
	}

	/* environment */
	n = bw_yaml_get(c, "env");
	for (uint32_t i = 0; i < bw_yaml_count(n); i++) {
		const struct bw_yaml_node *e = n->kids[i];
		const char *name = bw_yaml_str(bw_yaml_get(e, "name"));
		const struct bw_yaml_node *v = bw_yaml_get(e, "value");
		if (!name)
			continue;
		if (v && bw_yaml_str(v) &&
		    (sensitive_env_name(name) || private_key_value(bw_yaml_str(v))))
			R("K8S-SECRET-ENV", v, "container `%s` sets environment variable %s to a value",
			  cname, name);
		if (bw_yaml_path(e, "valueFrom.secretKeyRef"))
			R("K8S-ENV-VALUE-FROM-SECRET", e,
			  "container `%s` reads a Secret into environment variable %s", cname, name);
		for (uint32_t k = 0; k < i; k++)
			if (is(bw_yaml_str(bw_yaml_get(n->kids[k], "name")), name)) {
				R("K8S-DUPLICATE-ENV", e, "container `%s` sets %s more than once", cname,
				  name);
				break;
			}
	}

	/* whole Secrets read into the environment (kube-linter env-value-from,
	 * Kubescape C-0207) */
	n = bw_yaml_get(c, "envFrom");
	for (uint32_t i = 0; i < bw_yaml_count(n); i++) {
		const struct bw_yaml_node *ref = bw_yaml_get(n->kids[i], "secretRef");
		if (ref)
			R("K8S-ENV-VALUE-FROM-SECRET", ref,
			  "container `%s` reads Secret %s into its environment", cname,
			  bw_yaml_str(bw_yaml_get(ref, "name")) ? bw_yaml_str(bw_yaml_get(ref, "name")) :
								  "");
	}

	/* writable host mounts */
	n = bw_yaml_get(c, "volumeMounts");
	for (uint32_t i = 0; i < bw_yaml_count(n); i++) {
		const struct bw_yaml_node *m = n->kids[i];
		const char *vn = bw_yaml_str(bw_yaml_get(m, "name"));
		const struct bw_yaml_node *vols = bw_yaml_get(o->pod_spec, "volumes");
		if (bw_yaml_bool(bw_yaml_get(m, "readOnly")) == 1)
			continue;
		for (uint32_t k = 0; vn && k < bw_yaml_count(vols); k++)
			if (is(bw_yaml_str(bw_yaml_get(vols->kids[k], "name")), vn) &&
			    bw_yaml_get(vols->kids[k], "hostPath"))
				R("K8S-WRITABLE-HOST-MOUNT", m,
				  "container `%s` mounts host path volume %s writable", cname, vn);
	}
#undef R
	return 0;
}

/* ---------------------------------------------------------------- pod spec */

static bool is_runtime_socket(const char *p)
{
	return p && (bw_endswith(p, "docker.sock") || bw_endswith(p, "containerd.sock") ||
		     bw_endswith(p, "crio.sock") || bw_endswith(p, "podman.sock") ||
		     bw_endswith(p, "/var/run/docker") || bw_endswith(p, "/var/lib/docker"));
}

static bool is_sensitive_path(const char *p)
{
	static const char *const paths[] = { "/", "/boot", "/dev", "/etc", "/lib", "/proc", "/sys",
					     "/usr", "/var/run", "/run", "/root", "/var/lib/kubelet",
					     "/var/lib/docker", "/var/lib/containerd", "/etc/kubernetes" };
	char tmp[4096];
	size_t l;

	if (!p)
		return false;
	snprintf(tmp, sizeof(tmp), "%s", p);
	l = strlen(tmp);
	while (l > 1 && tmp[l - 1] == '/')
		tmp[--l] = 0;
	for (size_t i = 0; i < BW_ARRAY_SIZE(paths); i++)
		if (!strcmp(tmp, paths[i]))
			return true;
	return false;
}

static const char *const core_volumes[] = { "configMap", "csi", "downwardAPI", "emptyDir",
					    "ephemeral", "persistentVolumeClaim", "projected",
					    "secret" };

static int check_pod_spec(struct bw_config_scan *s, const struct bw_k8s_object *o)
{
	const struct bw_yaml_node *spec = o->pod_spec;
	const struct bw_yaml_node *psc = bw_yaml_get(spec, "securityContext");
	const struct bw_yaml_node *n;
	const char *kd = o->kind;
	struct k8s_ctx x = { .psc = psc,
			     .is_job = is(kd, "Job") || is(kd, "CronJob"),
			     .ks_kind = is(kd, "Pod") || is(kd, "Deployment") || is(kd, "ReplicaSet") ||
					is(kd, "DaemonSet") || is(kd, "StatefulSet") || is(kd, "Job") ||
					is(kd, "CronJob") };
	int r;

#define R(id, node, ...)                                           \
	do {                                                        \
		if ((r = REPORT(s, id, o, node, NULL, __VA_ARGS__)) < 0) \
			return r;                                   \
	} while (0)

	n = bw_yaml_get(spec, "hostNetwork");
	if (bw_yaml_bool(n) == 1)
		R("K8S-HOST-NETWORK", n, "pod uses the host network");
	n = bw_yaml_get(spec, "hostPID");
	if (bw_yaml_bool(n) == 1)
		R("K8S-HOST-PID", n, "pod shares the host PID namespace");
	n = bw_yaml_get(spec, "hostIPC");
	if (bw_yaml_bool(n) == 1)
		R("K8S-HOST-IPC", n, "pod shares the host IPC namespace");
	/* privileged is a container setting: PodSecurityContext has no such
	 * field and the API server drops it, so a pod-level one is not judged */
	n = bw_yaml_path(psc, "windowsOptions.hostProcess");
	if (bw_yaml_bool(n) == 1)
		R("K8S-HOST-PROCESS", n, "pod is a Windows HostProcess pod");

	n = bw_yaml_get(spec, "volumes");
	for (uint32_t i = 0; i < bw_yaml_count(n); i++) {
		const struct bw_yaml_node *v = n->kids[i];
		const struct bw_yaml_node *hp = bw_yaml_get(v, "hostPath");
		const char *vname = bw_yaml_str(bw_yaml_get(v, "name"));
		bool core = false;
		if (hp) {
			const char *path = bw_yaml_str(bw_yaml_get(hp, "path"));
			R("K8S-HOSTPATH", hp, "volume `%s` mounts host path %s", vname ? vname : "",
			  path ? path : "?");
			if (is_runtime_socket(path))
				R("K8S-DOCKER-SOCK", hp, "volume `%s` mounts the runtime socket %s",
				  vname ? vname : "", path);
			else if (is_sensitive_path(path))
				R("K8S-SENSITIVE-HOST-MOUNT", hp,
				  "volume `%s` mounts sensitive host path %s", vname ? vname : "", path);
		}
		for (size_t k = 0; k < BW_ARRAY_SIZE(core_volumes); k++)
			if (bw_yaml_get(v, core_volumes[k]))
				core = true;
		if (!core && v->type == BW_YAML_MAP && v->n > 1)
			R("K8S-NON-CORE-VOLUMES", v, "volume `%s` uses a non-ephemeral volume type",
			  vname ? vname : "");
	}

	n = bw_yaml_get(psc, "sysctls");
	for (uint32_t i = 0; i < bw_yaml_count(n); i++) {
		static const char *const safe[] = { "kernel.shm_rmid_forced",
						    "net.ipv4.ip_local_port_range",
						    "net.ipv4.tcp_syncookies",
						    "net.ipv4.ping_group_range",
						    "net.ipv4.ip_unprivileged_port_start" };
		const char *name = bw_yaml_str(bw_yaml_get(n->kids[i], "name"));
		bool ok = false;
		for (size_t k = 0; name && k < BW_ARRAY_SIZE(safe); k++)
			ok = ok || !strcmp(name, safe[k]);
		if (name && !ok)
			R("K8S-UNSAFE-SYSCTLS", n->kids[i], "pod sets unsafe sysctl %s", name);
	}

	/* AppArmor annotations (Trivy KSV002) */
	n = bw_yaml_get(o->pod_meta, "annotations");
	for (uint32_t i = 0; n && n->type == BW_YAML_MAP && i < n->n; i++) {
		const char *k = bw_yaml_str(n->kids[2 * i]);
		const char *v = bw_yaml_str(n->kids[2 * i + 1]);
		if (k && bw_startswith(k, "container.apparmor.security.beta.kubernetes.io/") && v &&
		    strcmp(v, "runtime/default") && !bw_startswith(v, "localhost/"))
			R("K8S-APPARMOR", n->kids[2 * i + 1], "annotation %s is %s", k, v);
	}
	n = bw_yaml_path(psc, "appArmorProfile.type");
	if (n && is(bw_yaml_str(n), "Unconfined"))
		R("K8S-APPARMOR", n, "pod runs AppArmor unconfined");
	n = bw_yaml_get(psc, "seLinuxOptions");
	if (n) {
		const char *t = bw_yaml_str(bw_yaml_get(n, "type"));
		const char *u = bw_yaml_str(bw_yaml_get(n, "user"));
		const char *ro = bw_yaml_str(bw_yaml_get(n, "role"));
		if ((t && *t && strcmp(t, "container_t") && strcmp(t, "container_init_t") &&
		     strcmp(t, "container_kvm_t") && strcmp(t, "container_engine_t")) ||
		    (u && *u) || (ro && *ro))
			R("K8S-SELINUX", n, "pod sets custom SELinux options");
	}

	/* Token automount: Polaris' reading - fine when the pod sets false, or
	 * when it does not set true and its ServiceAccount (among the inputs)
	 * sets false. */
	{
		const struct bw_yaml_node *am = bw_yaml_get(spec, "automountServiceAccountToken");
		int pod = bw_yaml_bool(am);
		bool ok = pod == 0;
		if (!ok && pod != 1) {
			const char *sa = bw_yaml_str(bw_yaml_get(spec, "serviceAccountName"));
			if (!sa)
				sa = bw_yaml_str(bw_yaml_get(spec, "serviceAccount"));
			if (!sa)
				sa = "default";
			if (!s->sa_no_automount) {
				s->sa_no_automount = bw_map_new();
				if (!s->sa_no_automount)
					return -ENOMEM;
				for (size_t i = 0; i < s->nobjs; i++) {
					const struct bw_k8s_object *a = &s->objs[i];
					if (is(a->kind, "ServiceAccount") && a->name &&
					    bw_yaml_bool(bw_yaml_get(a->root,
								     "automountServiceAccountToken")) == 0 &&
					    bw_map_put(s->sa_no_automount, a->name, (void *)a) < 0)
						return -ENOMEM;
				}
			}
			ok = bw_map_has(s->sa_no_automount, sa);
		}
		if (!ok)
			R("K8S-SA-TOKEN-AUTOMOUNT", am, "pod mounts a service account token");
	}

	if (!bw_yaml_get(spec, "priorityClassName"))
		R("K8S-PRIORITY-CLASS", NULL, "pod does not set priorityClassName");

	/* Tiller: the Helm v2 server, by image or by name */
	{
		const struct bw_yaml_node *cs = bw_yaml_get(spec, "containers");
		bool tiller = o->name && strstr(o->name, "tiller");
		for (uint32_t i = 0; i < bw_yaml_count(cs); i++) {
			const char *img = bw_yaml_str(bw_yaml_get(cs->kids[i], "image"));
			if (img && strstr(img, "tiller"))
				tiller = true;
		}
		const struct bw_yaml_node *labels = bw_yaml_get(o->pod_meta, "labels");
		if (is(bw_yaml_str(bw_yaml_get(labels, "app")), "helm") ||
		    is(bw_yaml_str(bw_yaml_get(labels, "name")), "tiller"))
			tiller = true;
		if (tiller)
			R("K8S-TILLER", NULL, "Tiller (Helm v2) is deployed");
	}
#undef R
	return visit_containers(s, o, check_container, &x);
}

/* ---------------------------------------------------------------- objects */

int k8s_check_object(struct bw_config_scan *s, const struct bw_k8s_object *o)
{
	const char *k = o->kind;
	int r;

	if (o->pod_spec) {
		r = check_pod_spec(s, o);
		if (r < 0)
			return r;
		if (is(k, "Pod") && !bw_yaml_get(o->metadata, "ownerReferences") &&
		    (r = REPORT(s, "K8S-NAKED-POD", o, NULL, NULL, "Pod `%s` has no controller",
				o->name ? o->name : "")) < 0)
			return r;
		if (is(o->namespace, "kube-system") &&
		    (r = REPORT(s, "K8S-KUBE-SYSTEM", o, bw_yaml_get(o->metadata, "namespace"), NULL,
				"%s `%s` runs in kube-system", k, o->name ? o->name : "")) < 0)
			return r;
	}
	if (is(k, "Deployment")) {
		const struct bw_yaml_node *rep = bw_yaml_path(o->root, "spec.replicas");
		long long v = 1;
		if (rep && bw_yaml_int(rep, &v) < 0)
			v = 1;
		if (!rep || v < 2) {
			r = REPORT(s, "K8S-DEPLOYMENT-REPLICAS", o, rep, NULL,
				   "Deployment `%s` runs %lld replica%s", o->name ? o->name : "",
				   rep ? v : 1, v == 1 ? "" : "s");
			if (r < 0)
				return r;
		}
	}
	if (is(k, "Job") && !bw_yaml_get(o->metadata, "ownerReferences") &&
	    !bw_yaml_path(o->root, "spec.ttlSecondsAfterFinished") &&
	    (r = REPORT(s, "K8S-JOB-TTL", o, NULL, NULL,
			"Job `%s` does not set ttlSecondsAfterFinished", o->name ? o->name : "")) < 0)
		return r;
	/* a CronJob's history limits already remove its Jobs; a TTL on its
	 * job template competes with them */
	if (is(k, "CronJob") &&
	    bw_yaml_path(o->root, "spec.jobTemplate.spec.ttlSecondsAfterFinished") &&
	    (r = REPORT(s, "K8S-JOB-TTL", o,
			bw_yaml_path(o->root, "spec.jobTemplate.spec.ttlSecondsAfterFinished"), NULL,
			"CronJob `%s` job template sets ttlSecondsAfterFinished, which competes with "
			"its history limits", o->name ? o->name : "")) < 0)
		return r;
	if (is(k, "Ingress")) {
		static const char *const keys[] = { "nginx.ingress.kubernetes.io/auth-url",
						    "nginx.ingress.kubernetes.io/auth-tls-match-cn",
						    "nginx.ingress.kubernetes.io/mirror-target",
						    "nginx.ingress.kubernetes.io/mirror-host" };
		const struct bw_yaml_node *ann = bw_yaml_get(o->metadata, "annotations");
		for (size_t i = 0; i < BW_ARRAY_SIZE(keys); i++) {
			const struct bw_yaml_node *n = bw_yaml_get(ann, keys[i]);
			const char *v = bw_yaml_str(n);
			if (v && strpbrk(v, "#;|\n\r`{}\\\"'") &&
			    (r = REPORT(s, "K8S-INGRESS-NGINX-INJECTION", o, n, NULL,
					"Ingress `%s` annotation %s holds configuration-injection characters",
					o->name ? o->name : "", keys[i])) < 0)
				return r;
		}
	}
	if (is(k, "ServiceAccount") && is(o->name, "default")) {
		const struct bw_yaml_node *am = bw_yaml_get(o->root, "automountServiceAccountToken");
		if (bw_yaml_bool(am) != 0 &&
		    (r = REPORT(s, "K8S-DEFAULT-SA-AUTOMOUNT", o, am, NULL,
				"default ServiceAccount%s%s mounts its token", o->namespace ? " of " : "",
				o->namespace ? o->namespace : "")) < 0)
			return r;
	}
	if (is(k, "ConfigMap")) {
		const struct bw_yaml_node *d = bw_yaml_get(o->root, "data");
		for (uint32_t i = 0; d && d->type == BW_YAML_MAP && i < d->n; i++) {
			const char *key = bw_yaml_str(d->kids[2 * i]);
			const char *val = bw_yaml_str(d->kids[2 * i + 1]);
			if ((key && sensitive_env_name(key)) ||
			    (val && (private_key_value(val) || secret_assignment(val))) ||
			    ks_configmap_credential(&s->controls, key, val)) {
				r = REPORT(s, "K8S-CONFIGMAP-SECRETS", o, d->kids[2 * i], NULL,
					   "ConfigMap `%s` key %s holds a secret",
					   o->name ? o->name : "", key ? key : "?");
				if (r < 0)
					return r;
			}
		}
	}
	/* Namespaced objects that are deployed to `default` (explicitly, or by
	 * not naming a namespace). */
	if ((o->pod_spec || is(k, "Deployment") || is(k, "StatefulSet") || is(k, "DaemonSet") ||
	     is(k, "ReplicaSet") || is(k, "Job") || is(k, "CronJob") || is(k, "Pod") ||
	     is(k, "DeploymentConfig") || is(k, "ReplicationController") || is(k, "Service") || is(k, "ConfigMap") || is(k, "Secret") ||
	     is(k, "Role") || is(k, "RoleBinding") || is(k, "ServiceAccount") ||
	     is(k, "Ingress") || is(k, "NetworkPolicy")) &&
	    (!o->namespace || !strcmp(o->namespace, "default"))) {
		r = REPORT(s, "K8S-DEFAULT-NAMESPACE", o, bw_yaml_get(o->metadata, "namespace"), NULL,
			   "%s `%s` is in the default namespace", k, o->name ? o->name : "");
		if (r < 0)
			return r;
	}
	return 0;
}
