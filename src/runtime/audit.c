/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Kubernetes audit event source: decoding audit.k8s.io Events and
 * EventLists, and extracting the fields of Falco's k8saudit plugin (ka.*)
 * and json plugin (jevt.*, json.*) with the plugin's semantics: a value that
 * is not a string is rendered as compact JSON, a missing key makes the field
 * unavailable, list fields flatten per-container values.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bulwark/runtime.h"
#include "runtime/internal.h"
#include "runtime/json.h"

enum {
	KA_AUDITID,
	KA_STAGE,
	KA_AUTH_DECISION,
	KA_AUTH_REASON,
	KA_VALIDATIONS_FAILURE,
	KA_SECURITY_POD_VIOLATIONS,
	KA_USER_NAME,
	KA_USER_GROUPS,
	KA_IMPUSER_NAME,
	KA_VERB,
	KA_URI,
	KA_URI_PARAM,
	KA_TARGET_NAME,
	KA_TARGET_NAMESPACE,
	KA_TARGET_RESOURCE,
	KA_TARGET_SUBRESOURCE,
	KA_TARGET_POD_NAME,
	KA_REQ_BINDING_SUBJECTS,
	KA_REQ_BINDING_SUBJECTS_USER_NAMES,
	KA_REQ_BINDING_SUBJECTS_SA_NAMES,
	KA_REQ_BINDING_SUBJECTS_SA_NS_NAMES,
	KA_REQ_BINDING_SUBJECTS_GROUP_NAMES,
	KA_REQ_BINDING_ROLE,
	KA_REQ_BINDING_SUBJECT_HAS_NAME,
	KA_REQ_CONFIGMAP_NAME,
	KA_REQ_CONFIGMAP_OBJ,
	KA_REQ_CONTAINER_IMAGE,
	KA_REQ_CONTAINER_IMAGE_REPOSITORY,
	KA_REQ_POD_HOST_IPC,
	KA_REQ_POD_HOST_NETWORK,
	KA_REQ_CONTAINER_HOST_NETWORK,
	KA_REQ_POD_HOST_PID,
	KA_REQ_CONTAINER_PRIVILEGED,
	KA_REQ_POD_RUN_AS_USER,
	KA_REQ_POD_RUN_AS_GROUP,
	KA_REQ_ROLE_RULES,
	KA_REQ_ROLE_RULES_APIGROUPS,
	KA_REQ_ROLE_RULES_NONRESOURCEURLS,
	KA_REQ_ROLE_RULES_VERBS,
	KA_REQ_ROLE_RULES_RESOURCES,
	KA_REQ_POD_FS_GROUP,
	KA_REQ_POD_SUPPLEMENTAL_GROUPS,
	KA_REQ_SERVICE_TYPE,
	KA_REQ_SERVICE_PORTS,
	KA_REQ_POD_VOLUMES_HOSTPATH,
	KA_REQ_VOLUME_HOSTPATH,
	KA_REQ_POD_VOLUMES_FLEXVOLUME_DRIVER,
	KA_REQ_POD_VOLUMES_VOLUME_TYPE,
	KA_RESP_NAME,
	KA_RESPONSE_CODE,
	KA_RESPONSE_REASON,
	KA_USERAGENT,
	KA_SOURCEIPS,
	JEVT_VALUE,
	JEVT_OBJ,
	JEVT_RAWTIME,
	JSON_VALUE,
	JSON_OBJ,
	JSON_RAWTIME,
	EVT_TIME,
	EVT_RAWTIME,
	EVT_SOURCE,
	/* per-container fields, three groups: containers, initContainers, ephemeralContainers */
	KA_CONT_FIRST,
};

/* Per-container field kinds, in table order within each group. */
enum {
	CF_NAME,
	CF_IMAGE,
	CF_IMAGE_REPOSITORY,
	CF_COMMAND,
	CF_ARGS,
	CF_PRIVILEGED,
	CF_ALLOW_PRIV_ESC,
	CF_READ_ONLY_FS,
	CF_RUN_AS_USER,
	CF_EFF_RUN_AS_USER,
	CF_RUN_AS_GROUP,
	CF_EFF_RUN_AS_GROUP,
	CF_PROC_MOUNT,
	CF_ADD_CAPABILITIES,
	CF_HOST_PORT,
	CF_COUNT,
};

static const char *const cont_groups[] = { "containers", "initContainers", "ephemeralContainers" };
static const char *const cont_suffix[CF_COUNT] = {
	"name",	       "image",		"image.repository", "command",	       "args",
	"privileged",  "allow_privilege_escalation", "read_only_fs", "run_as_user",
	"eff_run_as_user", "run_as_group", "eff_run_as_group", "proc_mount", "add_capabilities",
	"host_port",
};

#define S BW_FT_STRING
#define L BW_FF_LIST
#define IDX BW_FF_ARG_INDEX
#define KEY (BW_FF_ARG_KEY | BW_FF_ARG_REQUIRED)

static struct bw_field_info audit_fields[KA_CONT_FIRST + 3 * CF_COUNT] = {
	[KA_AUDITID] = { "ka.auditid", S, 0 },
	[KA_STAGE] = { "ka.stage", S, 0 },
	[KA_AUTH_DECISION] = { "ka.auth.decision", S, 0 },
	[KA_AUTH_REASON] = { "ka.auth.reason", S, 0 },
	[KA_VALIDATIONS_FAILURE] = { "ka.validations.admission.policy.failure", S, 0 },
	[KA_SECURITY_POD_VIOLATIONS] = { "ka.security.pod.violations", S, 0 },
	[KA_USER_NAME] = { "ka.user.name", S, 0 },
	[KA_USER_GROUPS] = { "ka.user.groups", S, L },
	[KA_IMPUSER_NAME] = { "ka.impuser.name", S, 0 },
	[KA_VERB] = { "ka.verb", S, 0 },
	[KA_URI] = { "ka.uri", S, 0 },
	[KA_URI_PARAM] = { "ka.uri.param", S, KEY },
	[KA_TARGET_NAME] = { "ka.target.name", S, 0 },
	[KA_TARGET_NAMESPACE] = { "ka.target.namespace", S, 0 },
	[KA_TARGET_RESOURCE] = { "ka.target.resource", S, 0 },
	[KA_TARGET_SUBRESOURCE] = { "ka.target.subresource", S, 0 },
	[KA_TARGET_POD_NAME] = { "ka.target.pod.name", S, 0 },
	[KA_REQ_BINDING_SUBJECTS] = { "ka.req.binding.subjects", S, L },
	[KA_REQ_BINDING_SUBJECTS_USER_NAMES] = { "ka.req.binding.subjects.user_names", S, L },
	[KA_REQ_BINDING_SUBJECTS_SA_NAMES] = { "ka.req.binding.subjects.serviceaccount_names", S,
					       L },
	[KA_REQ_BINDING_SUBJECTS_SA_NS_NAMES] = { "ka.req.binding.subjects.serviceaccount_ns_names",
						  S, L },
	[KA_REQ_BINDING_SUBJECTS_GROUP_NAMES] = { "ka.req.binding.subjects.group_names", S, L },
	[KA_REQ_BINDING_ROLE] = { "ka.req.binding.role", S, 0 },
	[KA_REQ_BINDING_SUBJECT_HAS_NAME] = { "ka.req.binding.subject.has_name", S, KEY },
	[KA_REQ_CONFIGMAP_NAME] = { "ka.req.configmap.name", S, 0 },
	[KA_REQ_CONFIGMAP_OBJ] = { "ka.req.configmap.obj", S, 0 },
	[KA_REQ_CONTAINER_IMAGE] = { "ka.req.container.image", S, 0 },
	[KA_REQ_CONTAINER_IMAGE_REPOSITORY] = { "ka.req.container.image.repository", S, 0 },
	[KA_REQ_POD_HOST_IPC] = { "ka.req.pod.host_ipc", S, 0 },
	[KA_REQ_POD_HOST_NETWORK] = { "ka.req.pod.host_network", S, 0 },
	[KA_REQ_CONTAINER_HOST_NETWORK] = { "ka.req.container.host_network", S, 0 },
	[KA_REQ_POD_HOST_PID] = { "ka.req.pod.host_pid", S, 0 },
	[KA_REQ_CONTAINER_PRIVILEGED] = { "ka.req.container.privileged", S, 0 },
	[KA_REQ_POD_RUN_AS_USER] = { "ka.req.pod.run_as_user", S, 0 },
	[KA_REQ_POD_RUN_AS_GROUP] = { "ka.req.pod.run_as_group", S, 0 },
	[KA_REQ_ROLE_RULES] = { "ka.req.role.rules", S, L },
	[KA_REQ_ROLE_RULES_APIGROUPS] = { "ka.req.role.rules.apiGroups", S, L | IDX },
	[KA_REQ_ROLE_RULES_NONRESOURCEURLS] = { "ka.req.role.rules.nonResourceURLs", S, L | IDX },
	[KA_REQ_ROLE_RULES_VERBS] = { "ka.req.role.rules.verbs", S, L | IDX },
	[KA_REQ_ROLE_RULES_RESOURCES] = { "ka.req.role.rules.resources", S, L | IDX },
	[KA_REQ_POD_FS_GROUP] = { "ka.req.pod.fs_group", S, 0 },
	[KA_REQ_POD_SUPPLEMENTAL_GROUPS] = { "ka.req.pod.supplemental_groups", S, L },
	[KA_REQ_SERVICE_TYPE] = { "ka.req.service.type", S, 0 },
	[KA_REQ_SERVICE_PORTS] = { "ka.req.service.ports", S, L | IDX },
	[KA_REQ_POD_VOLUMES_HOSTPATH] = { "ka.req.pod.volumes.hostpath", S, L | IDX },
	[KA_REQ_VOLUME_HOSTPATH] = { "ka.req.volume.hostpath", S, KEY },
	[KA_REQ_POD_VOLUMES_FLEXVOLUME_DRIVER] = { "ka.req.pod.volumes.flexvolume_driver", S,
						   L | IDX },
	[KA_REQ_POD_VOLUMES_VOLUME_TYPE] = { "ka.req.pod.volumes.volume_type", S, L | IDX },
	[KA_RESP_NAME] = { "ka.resp.name", S, 0 },
	[KA_RESPONSE_CODE] = { "ka.response.code", S, 0 },
	[KA_RESPONSE_REASON] = { "ka.response.reason", S, 0 },
	[KA_USERAGENT] = { "ka.useragent", S, 0 },
	[KA_SOURCEIPS] = { "ka.sourceips", S, L | IDX },
	[JEVT_VALUE] = { "jevt.value", S, KEY },
	[JEVT_OBJ] = { "jevt.obj", S, 0 },
	[JEVT_RAWTIME] = { "jevt.rawtime", BW_FT_NUMBER, 0 },
	[JSON_VALUE] = { "json.value", S, KEY },
	[JSON_OBJ] = { "json.obj", S, 0 },
	[JSON_RAWTIME] = { "json.rawtime", BW_FT_NUMBER, 0 },
	[EVT_TIME] = { "evt.time", S, 0 },
	[EVT_RAWTIME] = { "evt.rawtime", BW_FT_NUMBER, 0 },
	[EVT_SOURCE] = { "evt.source", S, 0 },
};

/* Names of the per-container fields, built once. */
static char cont_names[3 * CF_COUNT][64];

/* ---------------------------------------------------------------- events */

struct audit_event {
	const struct jv *obj; /* borrowed from the batch's root */
	int64_t ts;
	struct rt_arena *arena; /* the batch's: extracted values */
};

struct bw_audit_batch {
	struct rt_arena arena; /* the document, its nodes and extracted values */
	struct jv root;
	struct audit_event *events;
	size_t n;
};

/* ---------------------------------------------------------------- values */

static struct bw_value *vals(struct audit_event *e, size_t n)
{
	return rt_alloc(e->arena, (n ? n : 1) * sizeof(struct bw_value));
}

static bool set_str(struct audit_event *e, struct bw_value *v, const char *s, size_t n)
{
	char *c = rt_strndup(e->arena, s, n);

	if (!c)
		return false;
	*v = (struct bw_value){ .s = c, .len = (uint32_t)n };
	return true;
}

/* The plugin's jsonValueAsString: strings as they are, anything else as
 * compact JSON. */
static bool json_as_value(struct audit_event *e, const struct jv *j, struct bw_value *v)
{
	if (!j)
		return false;
	if (j->type == J_STR) {
		*v = (struct bw_value){ .s = j->s, .len = j->n };
		return true;
	}
	if (j->type == J_INT) {
		if (!set_str(e, v, j->s, j->n))
			return false;
		v->is_num = true;
		v->num = j->i;
		return true;
	}
	size_t n;
	char *s = json_dump(j, e->arena, &n);
	if (!s)
		return false;
	*v = (struct bw_value){ .s = s, .len = (uint32_t)n };
	return true;
}

static const struct jv *get_path(const struct jv *j, const char *const *keys, size_t n)
{
	for (size_t i = 0; i < n && j; i++)
		j = jv_is(j, J_OBJ) ? jv_get(j, keys[i]) : NULL;
	return j;
}

#define GET(j, ...) get_path((j), (const char *const[]){ __VA_ARGS__ }, \
			     sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(char *))

static size_t one(struct audit_event *e, const struct jv *j, const struct bw_value **ret)
{
	struct bw_value *v = vals(e, 1);

	if (!v || !json_as_value(e, j, v))
		return 0;
	*ret = v;
	return 1;
}

static size_t one_str(struct audit_event *e, const char *s, const struct bw_value **ret)
{
	struct bw_value *v = vals(e, 1);

	if (!v || !set_str(e, v, s, strlen(s)))
		return 0;
	*ret = v;
	return 1;
}

/* A JSON array as a list of values (not available when not an array). */
static size_t list_of(struct audit_event *e, const struct jv *arr, const struct bw_value **ret)
{
	size_t n = jv_size(arr), k = 0;
	struct bw_value *v;

	if (!jv_is(arr, J_ARR) || !(v = vals(e, n)))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (json_as_value(e, jv_at(arr, i), &v[k]))
			k++;
	*ret = v;
	return k;
}

/* Elements of requestObject.spec.<group> selected by an index argument. */
static const struct jv *containers(struct audit_event *e, const char *group)
{
	return GET(e->obj, "requestObject", "spec", group);
}

static bool index_ok(const struct bw_field_ref *ref, size_t i)
{
	return ref->index < 0 || (size_t)ref->index == i;
}

/* Image reference without tag or digest (the plugin's readContainerRepositories). */
static size_t repo_len(const char *img, size_t n)
{
	const char *colon = memchr(img, ':', n);
	if (colon)
		n = (size_t)(colon - img);
	const char *at = memchr(img, '@', n);
	return at ? (size_t)(at - img) : n;
}

static size_t container_field(struct audit_event *e, const struct bw_field_ref *ref, int group,
			      int kind, const struct bw_value **ret)
{
	const struct jv *arr = containers(e, cont_groups[group]);
	size_t n = jv_size(arr), k = 0;
	struct bw_value *v;
	static const char *const sec_key[CF_COUNT] = {
		[CF_PRIVILEGED] = "privileged",	     [CF_ALLOW_PRIV_ESC] = "allowPrivilegeEscalation",
		[CF_READ_ONLY_FS] = "readOnlyRootFilesystem", [CF_RUN_AS_USER] = "runAsUser",
		[CF_RUN_AS_GROUP] = "runAsGroup",	     [CF_PROC_MOUNT] = "procMount",
		[CF_EFF_RUN_AS_USER] = "runAsUser",	     [CF_EFF_RUN_AS_GROUP] = "runAsGroup",
	};

	if (!jv_is(arr, J_ARR))
		return 0;
	if (ref->index >= 0 && (size_t)ref->index >= n)
		return 0;
	/* Up to 64 values per container for command/args/ports/capabilities. */
	size_t cap = n * 64 + 1;
	if (!(v = vals(e, cap)))
		return 0;
	for (size_t i = 0; i < n; i++) {
		const struct jv *c = jv_at(arr, i), *x;
		if (!index_ok(ref, i))
			continue;
		switch (kind) {
		case CF_NAME:
		case CF_IMAGE:
		case CF_IMAGE_REPOSITORY:
			x = jv_get(c, kind == CF_NAME ? "name" : "image");
			if (!json_as_value(e, x, &v[k]))
				return 0;
			if (kind == CF_IMAGE_REPOSITORY) {
				v[k].len = (uint32_t)repo_len(v[k].s, v[k].len);
				if (!set_str(e, &v[k], v[k].s, v[k].len))
					return 0;
			}
			k++;
			break;
		case CF_COMMAND:
		case CF_ARGS:
		case CF_ADD_CAPABILITIES:
			x = kind == CF_ADD_CAPABILITIES ? GET(c, "securityContext", "capabilities", "add")
							: jv_get(c, kind == CF_COMMAND ? "command"
												: "args");
			for (size_t j = 0; j < jv_size(x) && k < cap; j++)
				if (json_as_value(e, jv_at(x, j), &v[k]))
					k++;
			break;
		case CF_HOST_PORT:
			x = jv_get(c, "ports");
			for (size_t j = 0; j < jv_size(x) && k < cap; j++) {
				const struct jv *p = jv_at(x, j), *hp = jv_get(p, "hostPort");
				if (!hp)
					hp = jv_get(p, "containerPort");
				if (hp && json_as_value(e, hp, &v[k]))
					k++;
			}
			break;
		case CF_PRIVILEGED:
			/* containers without the flag are skipped */
			x = GET(c, "securityContext", sec_key[kind]);
			if (x && json_as_value(e, x, &v[k]))
				k++;
			break;
		case CF_EFF_RUN_AS_USER:
		case CF_EFF_RUN_AS_GROUP: {
			/* container value, else the pod's, else 0 */
			x = GET(c, "securityContext", sec_key[kind]);
			if (!x)
				x = GET(e->obj, "requestObject", "spec", "securityContext", sec_key[kind]);
			if (x) {
				if (!json_as_value(e, x, &v[k]))
					return 0;
			} else if (!set_str(e, &v[k], "0", 1)) {
				return 0;
			}
			k++;
			break;
		}
		default:
			/* every container must have it, or the field is unavailable */
			x = GET(c, "securityContext", sec_key[kind]);
			if (!x || !json_as_value(e, x, &v[k]))
				return 0;
			k++;
		}
	}
	*ret = v;
	return k;
}

static size_t rules_field(struct audit_event *e, const struct bw_field_ref *ref, const char *key,
			  const struct bw_value **ret)
{
	const struct jv *arr = GET(e->obj, "requestObject", "rules");
	size_t n = jv_size(arr), k = 0, cap = 0;
	struct bw_value *v;

	if (!jv_is(arr, J_ARR) || (ref->index >= 0 && (size_t)ref->index >= n))
		return 0;
	for (size_t i = 0; i < n; i++)
		cap += jv_size(jv_get(jv_at(arr, i), key));
	if (!(v = vals(e, cap)))
		return 0;
	for (size_t i = 0; i < n; i++) {
		const struct jv *x = jv_get(jv_at(arr, i), key);
		if (!index_ok(ref, i))
			continue;
		for (size_t j = 0; j < jv_size(x); j++) {
			const struct jv *it = jv_at(x, j);
			if (!jv_is(it, J_NULL) && json_as_value(e, it, &v[k]))
				k++;
		}
	}
	*ret = v;
	return k;
}

static size_t subjects(struct audit_event *e, const char *kind, bool ns,
		       const struct bw_value **ret)
{
	const struct jv *arr = GET(e->obj, "requestObject", "subjects");
	size_t n = jv_size(arr), k = 0;
	struct bw_value *v;

	if (!jv_is(arr, J_ARR) || !(v = vals(e, n)))
		return 0;
	for (size_t i = 0; i < n; i++) {
		const struct jv *s = jv_at(arr, i);
		const char *sk = jv_str(jv_get(s, "kind"));
		const char *name = jv_str(jv_get(s, "name"));
		if (!sk || !name || strcmp(sk, kind))
			continue;
		if (ns) {
			const char *nsn = jv_str(jv_get(s, "namespace"));
			char *t = NULL;
			if (asprintf(&t, "%s:%s", nsn ? nsn : "", name) < 0)
				return 0;
			bool ok = set_str(e, &v[k], t, strlen(t));
			free(t);
			if (!ok)
				return 0;
		} else if (!set_str(e, &v[k], name, strlen(name))) {
			return 0;
		}
		k++;
	}
	*ret = v;
	return k;
}

static size_t volumes(struct audit_event *e, const struct bw_field_ref *ref, int field,
		      const struct bw_value **ret)
{
	const struct jv *arr = GET(e->obj, "requestObject", "spec", "volumes");
	size_t n = jv_size(arr), k = 0;
	struct bw_value *v;

	if (!jv_is(arr, J_ARR) || (ref->index >= 0 && (size_t)ref->index >= n))
		return 0;
	if (field == KA_REQ_VOLUME_HOSTPATH) {
		/* "true" when a hostPath equals the argument, or starts with it
		 * when the argument ends in '*' */
		const char *arg = ref->arg ? ref->arg : "";
		size_t al = strlen(arg);
		bool prefix = al && arg[al - 1] == '*';
		for (size_t i = 0; i < n; i++) {
			const char *p = jv_str(GET(jv_at(arr, i), "hostPath", "path"));
			if (p && ((prefix && !strncmp(p, arg, al - 1)) || !strcmp(p, arg)))
				return one_str(e, "true", ret);
		}
		return one_str(e, "false", ret);
	}
	if (!(v = vals(e, n * 16)))
		return 0;
	for (size_t i = 0; i < n; i++) {
		const struct jv *vol = jv_at(arr, i), *x;
		if (!index_ok(ref, i))
			continue;
		if (field == KA_REQ_POD_VOLUMES_VOLUME_TYPE) {
			for (uint32_t m = 0; jv_is(vol, J_OBJ) && m < vol->n; m++) {
				const struct jv *mem = &vol->kids[m];
				if (strcmp(mem->key, "name") && k < n * 16)
					v[k++] = (struct bw_value){ .s = mem->key, .len = mem->klen };
			}
			continue;
		}
		x = field == KA_REQ_POD_VOLUMES_HOSTPATH ? GET(vol, "hostPath", "path")
							 : GET(vol, "flexVolume", "driver");
		/* the plugin fails the whole field when one volume lacks it */
		if (!x || !json_as_value(e, x, &v[k]))
			return 0;
		k++;
	}
	*ret = v;
	return k;
}

/* RFC 6901 JSON pointer. */
static const struct jv *json_pointer(const struct jv *j, const char *ptr)
{
	char tok[1024];

	if (!*ptr)
		return j;
	if (*ptr != '/')
		return NULL;
	while (*ptr == '/' && j) {
		size_t n = 0;
		ptr++;
		while (*ptr && *ptr != '/') {
			if (n + 1 >= sizeof(tok))
				return NULL;
			if (*ptr == '~' && (ptr[1] == '0' || ptr[1] == '1')) {
				tok[n++] = ptr[1] == '0' ? '~' : '/';
				ptr += 2;
			} else {
				tok[n++] = *ptr++;
			}
		}
		tok[n] = 0;
		if (jv_is(j, J_OBJ)) {
			j = jv_get(j, tok);
		} else if (jv_is(j, J_ARR)) {
			char *end;
			unsigned long i = strtoul(tok, &end, 10);
			j = (*tok && !*end && isdigit((unsigned char)*tok)) ? jv_at(j, i) : NULL;
		} else {
			j = NULL;
		}
	}
	return j;
}

static size_t uri_param(struct audit_event *e, const char *arg, const struct bw_value **ret)
{
	const char *uri = jv_str(jv_get(e->obj, "requestURI"));
	const char *q = uri ? strchr(uri, '?') : NULL;
	size_t al = arg ? strlen(arg) : 0;

	if (!q || !al)
		return 0;
	for (const char *p = q + 1; *p;) {
		const char *amp = strchr(p, '&'), *end = amp ? amp : p + strlen(p);
		const char *eq = memchr(p, '=', (size_t)(end - p));
		size_t kl = eq ? (size_t)(eq - p) : (size_t)(end - p);
		if (kl == al && !memcmp(p, arg, al)) {
			/* percent-decode the value */
			const char *vs = eq ? eq + 1 : end;
			size_t vn = (size_t)(end - vs), o = 0;
			char *d = rt_alloc(e->arena, vn + 1);
			struct bw_value *v = vals(e, 1);
			if (!d || !v)
				return 0;
			for (size_t i = 0; i < vn; i++) {
				unsigned x;
				if (vs[i] == '%' && i + 2 < vn + 1 && isxdigit((unsigned char)vs[i + 1]) &&
				    isxdigit((unsigned char)vs[i + 2]) && sscanf(vs + i + 1, "%2x", &x) == 1) {
					d[o++] = (char)x;
					i += 2;
				} else {
					d[o++] = vs[i] == '+' ? ' ' : vs[i];
				}
			}
			d[o] = 0;
			*v = (struct bw_value){ .s = d, .len = (uint32_t)o };
			*ret = v;
			return 1;
		}
		p = amp ? amp + 1 : end;
	}
	return 0;
}

static size_t num_value(struct audit_event *e, int64_t x, const struct bw_value **ret)
{
	char buf[32];
	struct bw_value *v = vals(e, 1);
	int n = snprintf(buf, sizeof(buf), "%lld", (long long)x);

	if (!v || !set_str(e, v, buf, (size_t)n))
		return 0;
	v->is_num = true;
	v->num = x;
	*ret = v;
	return 1;
}

static size_t audit_extract(void *evt, const struct bw_field_ref *ref, const struct bw_value **ret)
{
	struct audit_event *e = evt;
	const struct jv *o = e->obj;

	if (ref->field >= KA_CONT_FIRST) {
		unsigned f = ref->field - KA_CONT_FIRST;
		return container_field(e, ref, (int)(f / CF_COUNT), (int)(f % CF_COUNT), ret);
	}
	switch (ref->field) {
	case KA_AUDITID:
		return one(e, jv_get(o, "auditID"), ret);
	case KA_STAGE:
		return one(e, jv_get(o, "stage"), ret);
	case KA_AUTH_DECISION:
		return one(e, GET(o, "annotations", "authorization.k8s.io/decision"), ret);
	case KA_AUTH_REASON:
		return one(e, GET(o, "annotations", "authorization.k8s.io/reason"), ret);
	case KA_VALIDATIONS_FAILURE:
		return one(e, GET(o, "annotations", "validation.policy.admission.k8s.io/validation_failure"),
			   ret);
	case KA_SECURITY_POD_VIOLATIONS:
		return one(e, GET(o, "annotations", "pod-security.kubernetes.io/audit-violations"), ret);
	case KA_USER_NAME:
		return one(e, GET(o, "user", "username"), ret);
	case KA_USER_GROUPS:
		return list_of(e, GET(o, "user", "groups"), ret);
	case KA_IMPUSER_NAME:
		return one(e, GET(o, "impersonatedUser", "username"), ret);
	case KA_VERB:
		return one(e, jv_get(o, "verb"), ret);
	case KA_URI:
		return one(e, jv_get(o, "requestURI"), ret);
	case KA_URI_PARAM:
		return uri_param(e, ref->arg, ret);
	case KA_TARGET_NAME:
	case KA_REQ_CONFIGMAP_NAME:
		return one(e, GET(o, "objectRef", "name"), ret);
	case KA_TARGET_NAMESPACE:
		return one(e, GET(o, "objectRef", "namespace"), ret);
	case KA_TARGET_RESOURCE:
		return one(e, GET(o, "objectRef", "resource"), ret);
	case KA_TARGET_SUBRESOURCE:
		return one(e, GET(o, "objectRef", "subresource"), ret);
	case KA_TARGET_POD_NAME: {
		const char *res = jv_str(GET(o, "objectRef", "resource"));
		return res && !strcmp(res, "pods") ? one(e, GET(o, "objectRef", "name"), ret) : 0;
	}
	case KA_REQ_BINDING_SUBJECTS:
		return list_of(e, GET(o, "requestObject", "subjects"), ret);
	case KA_REQ_BINDING_SUBJECTS_USER_NAMES:
		return subjects(e, "User", false, ret);
	case KA_REQ_BINDING_SUBJECTS_SA_NAMES:
		return subjects(e, "ServiceAccount", false, ret);
	case KA_REQ_BINDING_SUBJECTS_SA_NS_NAMES:
		return subjects(e, "ServiceAccount", true, ret);
	case KA_REQ_BINDING_SUBJECTS_GROUP_NAMES:
		return subjects(e, "Group", false, ret);
	case KA_REQ_BINDING_ROLE:
		return one(e, GET(o, "requestObject", "roleRef", "name"), ret);
	case KA_REQ_BINDING_SUBJECT_HAS_NAME:
		/* deprecated: the plugin always answers "true" */
		return one_str(e, "true", ret);
	case KA_REQ_CONFIGMAP_OBJ:
		return one(e, GET(o, "requestObject", "data"), ret);
	case KA_REQ_CONTAINER_IMAGE:
	case KA_REQ_CONTAINER_IMAGE_REPOSITORY: {
		struct bw_field_ref r0 = *ref;
		r0.index = 0;
		return container_field(e, &r0, 0,
				       ref->field == KA_REQ_CONTAINER_IMAGE ? CF_IMAGE
									    : CF_IMAGE_REPOSITORY,
				       ret);
	}
	case KA_REQ_POD_HOST_IPC:
		return one(e, GET(o, "requestObject", "spec", "hostIPC"), ret);
	case KA_REQ_POD_HOST_NETWORK:
	case KA_REQ_CONTAINER_HOST_NETWORK:
		return one(e, GET(o, "requestObject", "spec", "hostNetwork"), ret);
	case KA_REQ_POD_HOST_PID:
		return one(e, GET(o, "requestObject", "spec", "hostPID"), ret);
	case KA_REQ_CONTAINER_PRIVILEGED: {
		const struct jv *arr = containers(e, "containers");
		if (!jv_is(arr, J_ARR))
			return 0;
		for (size_t i = 0; i < jv_size(arr); i++)
			if (jv_is(GET(jv_at(arr, i), "securityContext", "privileged"), J_TRUE))
				return one_str(e, "true", ret);
		return one_str(e, "false", ret);
	}
	case KA_REQ_POD_RUN_AS_USER:
		return one(e, GET(o, "requestObject", "spec", "securityContext", "runAsUser"), ret);
	case KA_REQ_POD_RUN_AS_GROUP:
		return one(e, GET(o, "requestObject", "spec", "securityContext", "runAsGroup"), ret);
	case KA_REQ_ROLE_RULES:
		return list_of(e, GET(o, "requestObject", "rules"), ret);
	case KA_REQ_ROLE_RULES_APIGROUPS:
		return rules_field(e, ref, "apiGroups", ret);
	case KA_REQ_ROLE_RULES_NONRESOURCEURLS:
		return rules_field(e, ref, "nonResourceURLs", ret);
	case KA_REQ_ROLE_RULES_VERBS:
		return rules_field(e, ref, "verbs", ret);
	case KA_REQ_ROLE_RULES_RESOURCES:
		return rules_field(e, ref, "resources", ret);
	case KA_REQ_POD_FS_GROUP:
		return one(e, GET(o, "requestObject", "spec", "securityContext", "fsGroup"), ret);
	case KA_REQ_POD_SUPPLEMENTAL_GROUPS:
		return list_of(e, GET(o, "requestObject", "spec", "securityContext",
				      "supplementalGroups"),
			       ret);
	case KA_REQ_SERVICE_TYPE:
		return one(e, GET(o, "requestObject", "spec", "type"), ret);
	case KA_REQ_SERVICE_PORTS: {
		const struct jv *arr = GET(o, "requestObject", "spec", "ports");
		if (ref->index >= 0)
			return one(e, jv_at(arr, (size_t)ref->index), ret);
		return list_of(e, arr, ret);
	}
	case KA_REQ_POD_VOLUMES_HOSTPATH:
	case KA_REQ_VOLUME_HOSTPATH:
	case KA_REQ_POD_VOLUMES_FLEXVOLUME_DRIVER:
	case KA_REQ_POD_VOLUMES_VOLUME_TYPE:
		return volumes(e, ref, (int)ref->field, ret);
	case KA_RESP_NAME:
		return one(e, GET(o, "responseObject", "metadata", "name"), ret);
	case KA_RESPONSE_CODE:
		return one(e, GET(o, "responseStatus", "code"), ret);
	case KA_RESPONSE_REASON:
		return one(e, GET(o, "responseStatus", "reason"), ret);
	case KA_USERAGENT:
		return one(e, jv_get(o, "userAgent"), ret);
	case KA_SOURCEIPS: {
		const struct jv *arr = jv_get(o, "sourceIPs");
		if (ref->index >= 0)
			return one(e, jv_at(arr, (size_t)ref->index), ret);
		return list_of(e, arr, ret);
	}
	case JEVT_VALUE:
	case JSON_VALUE:
		return one(e, json_pointer(o, ref->arg ? ref->arg : ""), ret);
	case JEVT_OBJ:
	case JSON_OBJ:
		return one(e, o, ret);
	case JEVT_RAWTIME:
	case JSON_RAWTIME:
	case EVT_RAWTIME:
		return num_value(e, e->ts, ret);
	case EVT_TIME: {
		char buf[64];
		time_t secs = (time_t)(e->ts / 1000000000);
		struct tm tm;
		gmtime_r(&secs, &tm);
		snprintf(buf, sizeof(buf), "%02d:%02d:%02d.%09lld", tm.tm_hour, tm.tm_min, tm.tm_sec,
			 (long long)(e->ts % 1000000000));
		return one_str(e, buf, ret);
	}
	case EVT_SOURCE:
		return one_str(e, "k8s_audit", ret);
	}
	return 0;
}

static int64_t audit_time(void *evt)
{
	return ((struct audit_event *)evt)->ts;
}

static struct bw_source audit_src = {
	.name = "k8s_audit",
	.fields = audit_fields,
	.nfields = BW_ARRAY_SIZE(audit_fields),
	.extract = audit_extract,
	.time_ns = audit_time,
};

const struct bw_source *bw_audit_source(void)
{
	static bool init;

	if (!init) {
		for (int g = 0; g < 3; g++) {
			for (int k = 0; k < CF_COUNT; k++) {
				size_t i = (size_t)(g * CF_COUNT + k);
				snprintf(cont_names[i], sizeof(cont_names[i]), "ka.req.pod.%s.%s",
					 cont_groups[g], cont_suffix[k]);
				audit_fields[KA_CONT_FIRST + i] =
					(struct bw_field_info){ cont_names[i], S, L | IDX };
			}
		}
		init = true;
	}
	return &audit_src;
}

/* ---------------------------------------------------------------- decoding */

/* RFC 3339 time ("2018-10-25T14:09:12.581541Z") in nanoseconds; -1 if invalid. */
static int digits(const char *s, int n, int *ret)
{
	int x = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (s[i] - '0');
	}
	*ret = x;
	return 0;
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int64_t parse_time(const char *s)
{
	int Y, M, D, h, m, sec;
	int64_t frac = 0, scale = 1000000000, off = 0;
	const char *p;

	if (!s || strlen(s) < 19 || digits(s, 4, &Y) || s[4] != '-' || digits(s + 5, 2, &M) ||
	    s[7] != '-' || digits(s + 8, 2, &D) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &m) || s[16] != ':' ||
	    digits(s + 17, 2, &sec))
		return -1;
	if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60)
		return -1;
	p = s + 19;
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9') {
			if (scale > 1) {
				scale /= 10;
				frac += (*p - '0') * scale;
			}
			p++;
		}
	}
	if (*p == '+' || *p == '-') {
		int hh, mm;
		if (digits(p + 1, 2, &hh) || p[3] != ':' || digits(p + 4, 2, &mm) || p[6])
			return -1;
		off = (hh * 3600L + mm * 60L) * (*p == '-' ? -1 : 1);
	} else if ((*p != 'Z' && *p != 'z') || p[1]) {
		return -1;
	}
	int64_t t = days_from_civil(Y, (unsigned)M, (unsigned)D) * 86400 + h * 3600 + m * 60 + sec;
	int64_t ns;
	if (__builtin_sub_overflow(t, off, &ns) || __builtin_mul_overflow(ns, 1000000000LL, &ns) ||
	    __builtin_add_overflow(ns, frac, &ns))
		return -1;
	return ns;
}

static bool api_version_ok(const char *ver)
{
	return !ver || !strcmp(ver, "audit.k8s.io/v1") || !strcmp(ver, "audit.k8s.io/v1beta1");
}

static int check_event(const struct jv *ev, struct bw_error **err)
{
	const char *kind = jv_str(jv_get(ev, "kind"));
	const char *ver = jv_str(jv_get(ev, "apiVersion"));

	if (!jv_is(ev, J_OBJ) || !kind || strcmp(kind, "Event"))
		return bw_error_set(err, -EINVAL, "data not recognized as a k8s audit event");
	if (!api_version_ok(ver))
		return bw_error_set(err, -EINVAL, "unsupported audit event apiVersion `%s`", ver);
	return 0;
}

int bw_audit_decode(const char *data, size_t len, struct bw_audit_batch **ret,
		    struct bw_error **err)
{
	struct bw_audit_batch *b;
	const struct jv *root, *items;
	const char *kind, *msg;
	size_t off;
	char *buf;
	int r;

	if (len > BW_MAX_AUDIT_BATCH_SIZE)
		return bw_error_set(err, -EFBIG, "audit document is larger than %u bytes",
				    BW_MAX_AUDIT_BATCH_SIZE);
	b = calloc(1, sizeof(*b));
	if (!b)
		return bw_error_set(err, -ENOMEM, "out of memory");
	if (!(buf = rt_alloc(&b->arena, len + 1))) {
		r = bw_error_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	memcpy(buf, data, len);
	if ((r = json_parse(buf, len, &b->arena, JSON_REJECT_DUPS, &b->root, &msg, &off)) < 0) {
		r = bw_error_set(err, r, "invalid JSON at byte %zu: %s", off + 1, msg);
		goto fail;
	}
	root = &b->root;
	kind = jv_str(jv_get(root, "kind"));
	if (!jv_is(root, J_OBJ) || !kind) {
		r = bw_error_set(err, -EINVAL, "data not recognized as a k8s audit event");
		goto fail;
	}
	if (!strcmp(kind, "EventList")) {
		const char *ver = jv_str(jv_get(root, "apiVersion"));
		items = jv_get(root, "items");
		if (!api_version_ok(ver)) {
			r = bw_error_set(err, -EINVAL, "unsupported audit EventList apiVersion `%s`",
					 ver);
			goto fail;
		}
		if (!jv_is(items, J_ARR)) {
			r = bw_error_set(err, -EINVAL, "EventList has no items array");
			goto fail;
		}
		if (jv_size(items) > BW_MAX_AUDIT_BATCH_EVENTS) {
			r = bw_error_set(err, -E2BIG, "EventList has more than %u items",
					 BW_MAX_AUDIT_BATCH_EVENTS);
			goto fail;
		}
	} else {
		items = NULL;
	}
	size_t n = items ? jv_size(items) : 1;
	b->events = calloc(n + 1, sizeof(*b->events));
	if (!b->events) {
		r = bw_error_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		const struct jv *ev = items ? jv_at(items, i) : root;
		if ((r = check_event(ev, err)) < 0) {
			if (items)
				bw_error_wrap(err, "item %zu", i);
			goto fail;
		}
		struct audit_event *e = &b->events[b->n++];
		e->obj = ev;
		e->arena = &b->arena;
		e->ts = parse_time(jv_str(jv_get(ev, "stageTimestamp")));
		if (e->ts < 0)
			e->ts = parse_time(jv_str(jv_get(ev, "timestamp")));
		if (e->ts < 0)
			e->ts = parse_time(jv_str(jv_get(ev, "requestReceivedTimestamp")));
		if (e->ts < 0)
			e->ts = 0;
	}
	*ret = b;
	return 0;
fail:
	bw_audit_batch_free(b);
	return r;
}

size_t bw_audit_batch_count(const struct bw_audit_batch *b)
{
	return b ? b->n : 0;
}

void *bw_audit_batch_event(struct bw_audit_batch *b, size_t i)
{
	return b && i < b->n ? &b->events[i] : NULL;
}

struct bw_audit_batch *bw_audit_batch_free(struct bw_audit_batch *b)
{
	if (!b)
		return NULL;
	free(b->events);
	rt_arena_done(&b->arena);
	free(b);
	return NULL;
}
