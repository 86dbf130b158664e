/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pod Security Standards, as the pod-security-admission reference
 * implementation (kubernetes/pod-security-admission policy/check_*.go)
 * evaluates them at its latest version: every container type (containers,
 * initContainers, ephemeralContainers), the user-namespace relaxations
 * (hostUsers: false) and the Windows exemptions of the restricted profile.
 * A field the API would decode as absent (missing or null) is "undefined".
 */
#include <string.h>

#include "bulwark/config.h"
#include "config/internal.h"

const struct bw_check_info bw_pss_checks[] = {
	{ "PSS-HOST-NAMESPACES", BW_SEV_HIGH, "pss", "Host namespaces are shared (baseline)",
	  "Sharing the host's network, PID or IPC namespace lets a container see and reach host "
	  "processes and interfaces, and breaks the isolation every other control assumes.",
	  "Remove spec.hostNetwork, spec.hostPID and spec.hostIPC, or set them to false." },
	{ "PSS-PRIVILEGED", BW_SEV_HIGH, "pss", "Privileged container (baseline)",
	  "A privileged container has every capability and all host devices; it is root on the "
	  "node in all but name.",
	  "Remove securityContext.privileged or set it to false in every container." },
	{ "PSS-CAPABILITIES-BASELINE", BW_SEV_HIGH, "pss",
	  "Capabilities beyond the default set are added (baseline)",
	  "Capabilities such as SYS_ADMIN, NET_ADMIN or NET_RAW widen what a compromised "
	  "container can do to the kernel and the network.",
	  "Add only capabilities from the default set (AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, "
	  "FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT)." },
	{ "PSS-HOSTPATH-VOLUMES", BW_SEV_HIGH, "pss", "HostPath volume (baseline)",
	  "A hostPath volume exposes the node's file system to the pod, including the container "
	  "runtime's socket and other pods' data.",
	  "Replace hostPath volumes with emptyDir, configMap, secret, projected or a "
	  "PersistentVolumeClaim." },
	{ "PSS-HOST-PORTS", BW_SEV_HIGH, "pss", "Host port (baseline)",
	  "A hostPort binds the node's interface, bypassing Services and NetworkPolicies and "
	  "limiting scheduling.",
	  "Remove ports[*].hostPort (or set it to 0) and expose the pod through a Service." },
	{ "PSS-HOST-PROBES", BW_SEV_HIGH, "pss", "Probe or lifecycle hook targets another host (baseline)",
	  "A host field in an httpGet or tcpSocket probe or lifecycle handler makes the kubelet "
	  "connect to an arbitrary address from the node's network (SSRF).",
	  "Remove the host field from probes and lifecycle handlers; they then target the pod." },
	{ "PSS-APPARMOR", BW_SEV_HIGH, "pss", "AppArmor profile overridden or disabled (baseline)",
	  "Running unconfined removes the runtime's default AppArmor profile.",
	  "Use appArmorProfile.type RuntimeDefault or Localhost (or the runtime/default or "
	  "localhost/* annotation values)." },
	{ "PSS-SELINUX", BW_SEV_HIGH, "pss", "Custom SELinux options (baseline)",
	  "A custom SELinux type, user or role can lift the container out of its confinement.",
	  "Leave seLinuxOptions.user and .role empty and use type container_t, container_init_t, "
	  "container_kvm_t or container_engine_t, or none." },
	{ "PSS-PROC-MOUNT", BW_SEV_HIGH, "pss", "Unmasked /proc (baseline)",
	  "The default /proc masks hide kernel interfaces; an Unmasked procMount exposes them.",
	  "Remove securityContext.procMount or set it to Default (or run the pod in a user "
	  "namespace with hostUsers: false)." },
	{ "PSS-SECCOMP-BASELINE", BW_SEV_HIGH, "pss", "Seccomp profile disabled (baseline)",
	  "Unconfined seccomp gives the container the kernel's whole system call surface.",
	  "Set seccompProfile.type to RuntimeDefault or Localhost, or leave it unset." },
	{ "PSS-SYSCTLS", BW_SEV_HIGH, "pss", "Unsafe sysctl (baseline)",
	  "Sysctls outside the safe, namespaced set can change the node's kernel for every pod.",
	  "Use only the safe sysctls (kernel.shm_rmid_forced, net.ipv4.ip_local_port_range, "
	  "net.ipv4.tcp_syncookies, net.ipv4.ping_group_range, ...)." },
	{ "PSS-WINDOWS-HOST-PROCESS", BW_SEV_HIGH, "pss", "Windows HostProcess container (baseline)",
	  "A HostProcess container runs directly on the Windows node with host access.",
	  "Remove windowsOptions.hostProcess or set it to false." },
	{ "PSS-RESTRICTED-VOLUMES", BW_SEV_MEDIUM, "pss", "Volume type not allowed (restricted)",
	  "The restricted profile allows only volume types that cannot reach node or network "
	  "storage on their own.",
	  "Use configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, "
	  "projected or secret volumes." },
	{ "PSS-ALLOW-PRIVILEGE-ESCALATION", BW_SEV_MEDIUM, "pss",
	  "Privilege escalation allowed (restricted)",
	  "Without allowPrivilegeEscalation: false a process can gain privileges through setuid "
	  "binaries or file capabilities.",
	  "Set securityContext.allowPrivilegeEscalation: false in every container." },
	{ "PSS-RUN-AS-NON-ROOT", BW_SEV_MEDIUM, "pss", "Containers may run as root (restricted)",
	  "Root in a container is root on the node the moment anything else fails.",
	  "Set securityContext.runAsNonRoot: true on the pod (or on every container)." },
	{ "PSS-RUN-AS-USER", BW_SEV_MEDIUM, "pss", "Container runs as UID 0 (restricted)",
	  "runAsUser: 0 runs the container as root whatever the image says.",
	  "Set runAsUser to a non-zero UID, or remove it." },
	{ "PSS-SECCOMP-RESTRICTED", BW_SEV_MEDIUM, "pss", "Seccomp profile not set (restricted)",
	  "The restricted profile requires a seccomp filter for every container.",
	  "Set spec.securityContext.seccompProfile.type: RuntimeDefault (or Localhost), or set it "
	  "on every container." },
	{ "PSS-CAPABILITIES-RESTRICTED", BW_SEV_MEDIUM, "pss",
	  "Capabilities not dropped, or added beyond NET_BIND_SERVICE (restricted)",
	  "The restricted profile requires dropping ALL capabilities and adding back at most "
	  "NET_BIND_SERVICE.",
	  "Set securityContext.capabilities.drop: [\"ALL\"] and add only NET_BIND_SERVICE." },
	{ "PSS-PROC-MOUNT-RESTRICTED", BW_SEV_MEDIUM, "pss", "Unmasked /proc (restricted)",
	  "The restricted profile requires the default /proc masks even in a user namespace.",
	  "Remove securityContext.procMount or set it to Default." },
};
const size_t bw_pss_nchecks = BW_ARRAY_SIZE(bw_pss_checks);

#define PSS(s, id, o, node, c, ...)                                                     \
	bw_config_scan_report((s), check_by_id(bw_pss_checks, bw_pss_nchecks, (id)), (o), \
			      (node), (c), __VA_ARGS__)

struct pss_ctx {
	enum bw_pss_level level;
	bool host_users_false;
	bool windows;
	const struct bw_yaml_node *psc; /* pod securityContext */
};

static bool in_set(const char *v, const char *const *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v, set[i]))
			return true;
	return false;
}

static const char *const default_caps[] = { "AUDIT_WRITE", "CHOWN",	      "DAC_OVERRIDE",
					    "FOWNER",	   "FSETID",	      "KILL",
					    "MKNOD",	   "NET_BIND_SERVICE", "SETFCAP",
					    "SETGID",	   "SETPCAP",	      "SETUID",
					    "SYS_CHROOT" };

static const char *const selinux_types[] = { "container_t", "container_init_t", "container_kvm_t",
					     "container_engine_t" };

static const char *const safe_sysctls[] = {
	"kernel.shm_rmid_forced",	     "net.ipv4.ip_local_port_range",
	"net.ipv4.tcp_syncookies",	     "net.ipv4.ping_group_range",
	"net.ipv4.ip_unprivileged_port_start", "net.ipv4.ip_local_reserved_ports",
	"net.ipv4.tcp_keepalive_time",	     "net.ipv4.tcp_fin_timeout",
	"net.ipv4.tcp_keepalive_intvl",	     "net.ipv4.tcp_keepalive_probes",
	"net.ipv4.tcp_rmem",		     "net.ipv4.tcp_wmem",
	"net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat",
};

/* The inline volume sources the restricted profile forbids: all but
 * configMap, csi, downwardAPI, emptyDir, ephemeral, image,
 * persistentVolumeClaim, projected and secret. A volume that names none
 * of these (only a name, or unknown fields the API would drop) passes. */
static const char *const restricted_volumes[] = {
	"hostPath",    "gcePersistentDisk", "awsElasticBlockStore", "gitRepo",	 "nfs",
	"iscsi",       "glusterfs",	    "rbd",		    "flexVolume", "cinder",
	"cephfs",      "flocker",	    "fc",		    "azureFile",  "vsphereVolume",
	"quobyte",     "azureDisk",	    "portworxVolume",	    "photonPersistentDisk",
	"scaleIO",     "storageos",
};

static const char *ctype_name(int t)
{
	return t == CT_INIT ? "init container" : t == CT_EPHEMERAL ? "ephemeral container" :
								    "container";
}

static bool valid_seccomp(const char *t)
{
	return t && (!strcmp(t, "RuntimeDefault") || !strcmp(t, "Localhost"));
}

static bool valid_apparmor(const char *t)
{
	return t && (!strcmp(t, "RuntimeDefault") || !strcmp(t, "Localhost"));
}

/* Checks seLinuxOptions (pod or container); returns <0 on error. */
static int check_selinux(struct bw_config_scan *s, const struct bw_k8s_object *o,
			 const struct bw_yaml_node *sc, const char *cname, const char *where)
{
	const struct bw_yaml_node *se = bw_yaml_get(sc, "seLinuxOptions");
	const struct bw_yaml_node *t, *u, *r;
	const char *tv;

	if (!se)
		return 0;
	t = bw_yaml_get(se, "type");
	tv = bw_yaml_str(t);
	if (tv && *tv && !in_set(tv, selinux_types, BW_ARRAY_SIZE(selinux_types))) {
		int e = PSS(s, "PSS-SELINUX", o, t, cname, "%s sets seLinuxOptions.type `%s`", where, tv);
		if (e < 0)
			return e;
	}
	u = bw_yaml_get(se, "user");
	if (bw_yaml_str(u) && *bw_yaml_str(u)) {
		int e = PSS(s, "PSS-SELINUX", o, u, cname, "%s sets seLinuxOptions.user `%s`", where,
			    bw_yaml_str(u));
		if (e < 0)
			return e;
	}
	r = bw_yaml_get(se, "role");
	if (bw_yaml_str(r) && *bw_yaml_str(r)) {
		int e = PSS(s, "PSS-SELINUX", o, r, cname, "%s sets seLinuxOptions.role `%s`", where,
			    bw_yaml_str(r));
		if (e < 0)
			return e;
	}
	return 0;
}

static int check_host_field(struct bw_config_scan *s, const struct bw_k8s_object *o,
			    const struct bw_yaml_node *c, const char *cname, const char *what)
{
	static const char *const kinds[] = { "httpGet", "tcpSocket" };

	for (size_t i = 0; i < BW_ARRAY_SIZE(kinds); i++) {
		const struct bw_yaml_node *h = bw_yaml_get(bw_yaml_path(c, what), kinds[i]);
		const struct bw_yaml_node *host = bw_yaml_get(h, "host");
		const char *hv = bw_yaml_str(host);
		if (hv && *hv) {
			int r = PSS(s, "PSS-HOST-PROBES", o, host, cname,
				    "container `%s` %s.%s.host is set to `%s`", cname, what, kinds[i],
				    hv);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int pss_container(struct bw_config_scan *s, const struct bw_k8s_object *o,
			 const struct bw_yaml_node *c, const char *cname, int ctype, void *ud)
{
	static const char *const probes[] = { "livenessProbe", "readinessProbe", "startupProbe",
					      "lifecycle.postStart", "lifecycle.preStop" };
	const struct pss_ctx *x = ud;
	const struct bw_yaml_node *sc = bw_yaml_get(c, "securityContext");
	const struct bw_yaml_node *n, *caps;
	bool restricted = x->level >= BW_PSS_RESTRICTED;
	char where[300];
	int r;

	snprintf(where, sizeof(where), "%s `%s`", ctype_name(ctype), cname);

	/* privileged */
	n = bw_yaml_get(sc, "privileged");
	if (bw_yaml_bool(n) == 1 && (r = PSS(s, "PSS-PRIVILEGED", o, n, cname,
					     "%s must not set securityContext.privileged=true",
					     where)) < 0)
		return r;

	/* capabilities: baseline; restricted adds its own control. Both are
	 * reported at restricted (the profile includes baseline), where
	 * pod-security-admission would name only the restricted one. */
	caps = bw_yaml_get(sc, "capabilities");
	{
		const struct bw_yaml_node *add = bw_yaml_get(caps, "add");
		for (uint32_t i = 0; i < bw_yaml_count(add); i++) {
			const char *cap = bw_yaml_str(add->kids[i]);
			if (cap && !in_set(cap, default_caps, BW_ARRAY_SIZE(default_caps)) &&
			    (r = PSS(s, "PSS-CAPABILITIES-BASELINE", o, add->kids[i], cname,
				     "%s must not add capability `%s`", where, cap)) < 0)
				return r;
		}
	}
	if (restricted) {
		const struct bw_yaml_node *add = bw_yaml_get(caps, "add");
		const struct bw_yaml_node *drop = bw_yaml_get(caps, "drop");
		bool has_all = false;

		for (uint32_t i = 0; i < bw_yaml_count(add); i++) {
			const char *cap = bw_yaml_str(add->kids[i]);
			if (cap && strcmp(cap, "NET_BIND_SERVICE") &&
			    (r = PSS(s, "PSS-CAPABILITIES-RESTRICTED", o, add->kids[i], cname,
				     "%s must not add capability `%s`", where, cap)) < 0)
				return r;
		}
		for (uint32_t i = 0; i < bw_yaml_count(drop); i++) {
			const char *cap = bw_yaml_str(drop->kids[i]);
			if (cap && !strcmp(cap, "ALL"))
				has_all = true;
		}
		if (!has_all && !x->windows &&
		    (r = PSS(s, "PSS-CAPABILITIES-RESTRICTED", o, drop ? drop : sc ? sc : c, cname,
			     "%s must set securityContext.capabilities.drop=[\"ALL\"]", where)) < 0)
			return r;
	}

	/* hostPorts */
	n = bw_yaml_get(c, "ports");
	for (uint32_t i = 0; i < bw_yaml_count(n); i++) {
		const struct bw_yaml_node *hp = bw_yaml_get(n->kids[i], "hostPort");
		long long v;
		if (hp && (bw_yaml_int(hp, &v) < 0 || v != 0) &&
		    (r = PSS(s, "PSS-HOST-PORTS", o, hp, cname, "%s uses hostPort %s", where,
			     bw_yaml_str(hp) ? bw_yaml_str(hp) : "?")) < 0)
			return r;
	}

	/* host in probes and lifecycle handlers */
	for (size_t i = 0; i < BW_ARRAY_SIZE(probes); i++)
		if ((r = check_host_field(s, o, c, cname, probes[i])) < 0)
			return r;

	/* AppArmor field */
	n = bw_yaml_path(sc, "appArmorProfile.type");
	if (n && !valid_apparmor(bw_yaml_str(n)) &&
	    (r = PSS(s, "PSS-APPARMOR", o, n, cname, "%s sets appArmorProfile.type `%s`", where,
		     bw_yaml_str(n) ? bw_yaml_str(n) : "?")) < 0)
		return r;

	/* SELinux */
	if ((r = check_selinux(s, o, sc, cname, where)) < 0)
		return r;

	/* procMount: baseline relaxes it in a user namespace; restricted
	 * (1.35) requires Default regardless and overrides the baseline check. */
	n = bw_yaml_get(sc, "procMount");
	if (n && (!bw_yaml_str(n) || strcmp(bw_yaml_str(n), "Default"))) {
		r = 0;
		if (!x->host_users_false)
			r = PSS(s, "PSS-PROC-MOUNT", o, n, cname, "%s sets procMount `%s`", where,
				bw_yaml_str(n) ? bw_yaml_str(n) : "?");
		if (r >= 0 && restricted)
			r = PSS(s, "PSS-PROC-MOUNT-RESTRICTED", o, n, cname,
				"%s sets procMount `%s`", where, bw_yaml_str(n) ? bw_yaml_str(n) : "?");
		if (r < 0)
			return r;
	}

	/* seccomp: baseline forbids anything but RuntimeDefault/Localhost;
	 * restricted also requires it to be set (here or on the pod). */
	n = bw_yaml_path(sc, "seccompProfile.type");
	if (!(restricted && x->windows)) {
		if (bw_yaml_get(sc, "seccompProfile") && !valid_seccomp(bw_yaml_str(n)) &&
		    (r = PSS(s, "PSS-SECCOMP-BASELINE", o, n ? n : bw_yaml_get(sc, "seccompProfile"),
			     cname, "%s sets seccompProfile.type `%s`", where,
			     bw_yaml_str(n) ? bw_yaml_str(n) : "")) < 0)
			return r;
	}
	if (restricted && !x->windows) {
		const struct bw_yaml_node *sp = bw_yaml_get(sc, "seccompProfile");
		bool pod_ok = valid_seccomp(bw_yaml_str(bw_yaml_path(x->psc, "seccompProfile.type")));
		if (sp && !valid_seccomp(bw_yaml_str(n)))
			r = PSS(s, "PSS-SECCOMP-RESTRICTED", o, n ? n : sp, cname,
				"%s sets seccompProfile.type `%s`", where,
				bw_yaml_str(n) ? bw_yaml_str(n) : "");
		else if (!sp && !pod_ok)
			r = PSS(s, "PSS-SECCOMP-RESTRICTED", o, sc ? sc : c, cname,
				"%s must set securityContext.seccompProfile.type to RuntimeDefault or "
				"Localhost",
				where);
		else
			r = 0;
		if (r < 0)
			return r;
	}
	/* Windows HostProcess */
	n = bw_yaml_path(sc, "windowsOptions.hostProcess");
	if (bw_yaml_bool(n) == 1 &&
	    (r = PSS(s, "PSS-WINDOWS-HOST-PROCESS", o, n, cname,
		     "%s sets windowsOptions.hostProcess=true", where)) < 0)
		return r;

	if (!restricted)
		return 0;

	/* allowPrivilegeEscalation must be explicitly false */
	n = bw_yaml_get(sc, "allowPrivilegeEscalation");
	if (!x->windows && bw_yaml_bool(n) != 0 &&
	    (r = PSS(s, "PSS-ALLOW-PRIVILEGE-ESCALATION", o, n ? n : sc ? sc : c, cname,
		     "%s must set securityContext.allowPrivilegeEscalation=false", where)) < 0)
		return r;

	if (!x->host_users_false) {
		/* runAsNonRoot: explicit false is bad; unset is bad unless the pod
		 * sets true. */
		int pod_nr = bw_yaml_bool(bw_yaml_get(x->psc, "runAsNonRoot"));
		n = bw_yaml_get(sc, "runAsNonRoot");
		if (n ? bw_yaml_bool(n) != 1 : pod_nr != 1)
			if ((r = PSS(s, "PSS-RUN-AS-NON-ROOT", o, n ? n : sc ? sc : c, cname,
				     "%s must set securityContext.runAsNonRoot=true", where)) < 0)
				return r;
		n = bw_yaml_get(sc, "runAsUser");
		long long uid;
		if (n && bw_yaml_int(n, &uid) == 0 && uid == 0 &&
		    (r = PSS(s, "PSS-RUN-AS-USER", o, n, cname, "%s must not set runAsUser=0",
			     where)) < 0)
			return r;
	}
	return 0;
}

int pss_check_object(struct bw_config_scan *s, const struct bw_k8s_object *o,
		     enum bw_pss_level level)
{
	const struct bw_yaml_node *spec = o->pod_spec, *psc, *n, *ann;
	struct pss_ctx x = { .level = level };
	bool restricted = level >= BW_PSS_RESTRICTED;
	int r;

	if (level <= BW_PSS_PRIVILEGED || !spec)
		return 0;
	psc = bw_yaml_get(spec, "securityContext");
	x.psc = psc;
	x.host_users_false = bw_yaml_bool(bw_yaml_get(spec, "hostUsers")) == 0;
	{
		const char *os = bw_yaml_str(bw_yaml_path(spec, "os.name"));
		x.windows = os && !strcmp(os, "windows");
	}

	/* Host namespaces */
	static const char *const hostns[] = { "hostNetwork", "hostPID", "hostIPC" };
	for (size_t i = 0; i < BW_ARRAY_SIZE(hostns); i++) {
		n = bw_yaml_get(spec, hostns[i]);
		if (bw_yaml_bool(n) == 1 &&
		    (r = PSS(s, "PSS-HOST-NAMESPACES", o, n, NULL, "%s=true", hostns[i])) < 0)
			return r;
	}

	/* Volumes: hostPath (baseline), or any non-allowed type (restricted,
	 * which overrides the hostPath check). */
	n = bw_yaml_get(spec, "volumes");
	for (uint32_t i = 0; i < bw_yaml_count(n); i++) {
		const struct bw_yaml_node *v = n->kids[i];
		const char *vname = bw_yaml_str(bw_yaml_get(v, "name"));
		const struct bw_yaml_node *hp = bw_yaml_get(v, "hostPath");
		if (hp && (r = PSS(s, "PSS-HOSTPATH-VOLUMES", o, hp, NULL, "volume `%s` uses hostPath",
				   vname ? vname : "")) < 0)
			return r;
		if (restricted) {
			const char *bad = NULL;
			for (size_t k = 0; k < BW_ARRAY_SIZE(restricted_volumes) && !bad; k++)
				if (bw_yaml_get(v, restricted_volumes[k]))
					bad = restricted_volumes[k];
			if (!bad)
				continue;
			if ((r = PSS(s, "PSS-RESTRICTED-VOLUMES", o, v, NULL,
				     "volume `%s` uses restricted volume type `%s`", vname ? vname : "",
				     bad)) < 0)
				return r;
		}
	}

	/* Pod-level sysctls */
	n = bw_yaml_get(psc, "sysctls");
	for (uint32_t i = 0; i < bw_yaml_count(n); i++) {
		const struct bw_yaml_node *nm = bw_yaml_get(n->kids[i], "name");
		const char *v = bw_yaml_str(nm);
		if (v && !in_set(v, safe_sysctls, BW_ARRAY_SIZE(safe_sysctls)) &&
		    (r = PSS(s, "PSS-SYSCTLS", o, nm, NULL, "forbidden sysctl `%s`", v)) < 0)
			return r;
	}

	/* Pod-level AppArmor (annotations and field) */
	ann = bw_yaml_get(o->pod_meta, "annotations");
	for (uint32_t i = 0; ann && ann->type == BW_YAML_MAP && i < ann->n; i++) {
		const char *k = bw_yaml_str(ann->kids[2 * i]);
		const char *v = bw_yaml_str(ann->kids[2 * i + 1]);
		if (!k || !bw_startswith(k, "container.apparmor.security.beta.kubernetes.io/"))
			continue;
		if (v && *v && strcmp(v, "runtime/default") && !bw_startswith(v, "localhost/") &&
		    (r = PSS(s, "PSS-APPARMOR", o, ann->kids[2 * i + 1], NULL,
			     "annotation %s=%s", k, v)) < 0)
			return r;
	}
	n = bw_yaml_path(psc, "appArmorProfile.type");
	if (n && !valid_apparmor(bw_yaml_str(n)) &&
	    (r = PSS(s, "PSS-APPARMOR", o, n, NULL, "pod sets appArmorProfile.type `%s`",
		     bw_yaml_str(n) ? bw_yaml_str(n) : "?")) < 0)
		return r;

	if ((r = check_selinux(s, o, psc, NULL, "pod")) < 0)
		return r;

	/* Pod-level seccomp */
	n = bw_yaml_path(psc, "seccompProfile.type");
	if (bw_yaml_get(psc, "seccompProfile") && !valid_seccomp(bw_yaml_str(n)) &&
	    !(restricted && x.windows)) {
		if ((r = PSS(s, "PSS-SECCOMP-BASELINE", o, n ? n : bw_yaml_get(psc, "seccompProfile"),
			     NULL, "pod sets seccompProfile.type `%s`",
			     bw_yaml_str(n) ? bw_yaml_str(n) : "")) < 0)
			return r;
		if (restricted &&
		    (r = PSS(s, "PSS-SECCOMP-RESTRICTED", o, n ? n : bw_yaml_get(psc, "seccompProfile"),
			     NULL, "pod sets seccompProfile.type `%s`",
			     bw_yaml_str(n) ? bw_yaml_str(n) : "")) < 0)
			return r;
	}

	n = bw_yaml_path(psc, "windowsOptions.hostProcess");
	if (bw_yaml_bool(n) == 1 && (r = PSS(s, "PSS-WINDOWS-HOST-PROCESS", o, n, NULL,
					     "pod sets windowsOptions.hostProcess=true")) < 0)
		return r;

	if (restricted && !x.host_users_false) {
		long long uid;
		n = bw_yaml_get(psc, "runAsNonRoot");
		if (n && bw_yaml_bool(n) == 0 &&
		    (r = PSS(s, "PSS-RUN-AS-NON-ROOT", o, n, NULL,
			     "pod must not set securityContext.runAsNonRoot=false")) < 0)
			return r;
		n = bw_yaml_get(psc, "runAsUser");
		if (n && bw_yaml_int(n, &uid) == 0 && uid == 0 &&
		    (r = PSS(s, "PSS-RUN-AS-USER", o, n, NULL, "pod must not set runAsUser=0")) < 0)
			return r;
	}

	return visit_containers(s, o, pss_container, &x);
}
