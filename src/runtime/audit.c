/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Kubernetes audit event source: decoding audit.k8s.io Events and
 * EventLists, and extracting the fields of Falco's k8saudit plugin (ka.*)
 * and json plugin (jevt.*, json.*) with the plugin's semantics: a value that
 * is not a string is rendered as compact JSON, a missing key makes the field
 * unavailable, list fields flatten per-container values.
 */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bulwark/runtime.h"
#include "runtime/internal.h"

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
	json_t *obj; /* borrowed from the batch's root */
	int64_t ts;
	struct rt_arena arena; /* extracted values */
};

struct bw_audit_batch {
	json_t *root;
	struct audit_event *events;
	size_t n;
};

/* ---------------------------------------------------------------- values */

static struct bw_value *vals(struct audit_event *e, size_t n)
{
	return rt_alloc(&e->arena, (n ? n : 1) * sizeof(struct bw_value));
}

static bool set_str(struct audit_event *e, struct bw_value *v, const char *s, size_t n)
{
	char *c = rt_strndup(&e->arena, s, n);

	if (!c)
		return false;
	*v = (struct bw_value){ .s = c, .len = (uint32_t)n };
	return true;
}

/* The plugin's jsonValueAsString: strings as they are, anything else as
 * compact JSON. */
static bool json_as_value(struct audit_event *e, json_t *j, struct bw_value *v)
{
	if (!j)
		return false;
	if (json_is_string(j)) {
		*v = (struct bw_value){ .s = json_string_value(j), .len = (uint32_t)json_string_length(j) };
		return true;
	}
	if (json_is_integer(j)) {
		char buf[32];
		int n = snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(j));
		if (!set_str(e, v, buf, (size_t)n))
			return false;
		v->is_num = true;
		v->num = json_integer_value(j);
		return true;
	}
	char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
	if (!s)
		return false;
	bool ok = set_str(e, v, s, strlen(s));
	free(s);
	return ok;
}

static json_t *get_path(json_t *j, const char *const *keys, size_t n)
{
	for (size_t i = 0; i < n && j; i++)
		j = json_is_object(j) ? json_object_get(j, keys[i]) : NULL;
	return j;
}

#define GET(j, ...) get_path((j), (const char *const[]){ __VA_ARGS__ }, \
			     sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(char *))

static size_t one(struct audit_event *e, json_t *j, const struct bw_value **ret)
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
static size_t list_of(struct audit_event *e, json_t *arr, const struct bw_value **ret)
{
	size_t n = json_array_size(arr), k = 0;
	struct bw_value *v;

	if (!json_is_array(arr) || !(v = vals(e, n)))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (json_as_value(e, json_array_get(arr, i), &v[k]))
			k++;
	*ret = v;
	return k;
}

/* Elements of requestObject.spec.<group> selected by an index argument. */
static json_t *containers(struct audit_event *e, const char *group)
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
	json_t *arr = containers(e, cont_groups[group]);
	size_t n = json_array_size(arr), k = 0;
	struct bw_value *v;
	static const char *const sec_key[CF_COUNT] = {
		[CF_PRIVILEGED] = "privileged",	     [CF_ALLOW_PRIV_ESC] = "allowPrivilegeEscalation",
		[CF_READ_ONLY_FS] = "readOnlyRootFilesystem", [CF_RUN_AS_USER] = "runAsUser",
		[CF_RUN_AS_GROUP] = "runAsGroup",	     [CF_PROC_MOUNT] = "procMount",
		[CF_EFF_RUN_AS_USER] = "runAsUser",	     [CF_EFF_RUN_AS_GROUP] = "runAsGroup",
	};

	if (!json_is_array(arr))
		return 0;
	if (ref->index >= 0 && (size_t)ref->index >= n)
		return 0;
	/* Up to 64 values per container for command/args/ports/capabilities. */
	size_t cap = n * 64 + 1;
	if (!(v = vals(e, cap)))
		return 0;
	for (size_t i = 0; i < n; i++) {
		json_t *c = json_array_get(arr, i), *x;
		if (!index_ok(ref, i))
			continue;
		switch (kind) {
		case CF_NAME:
		case CF_IMAGE:
		case CF_IMAGE_REPOSITORY:
			x = json_object_get(c, kind == CF_NAME ? "name" : "image");
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
							: json_object_get(c, kind == CF_COMMAND ? "command"
												: "args");
			for (size_t j = 0; j < json_array_size(x) && k < cap; j++)
				if (json_as_value(e, json_array_get(x, j), &v[k]))
					k++;
			break;
		case CF_HOST_PORT:
			x = json_object_get(c, "ports");
			for (size_t j = 0; j < json_array_size(x) && k < cap; j++) {
				json_t *p = json_array_get(x, j), *hp = json_object_get(p, "hostPort");
				if (!hp)
					hp = json_object_get(p, "containerPort");
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
	json_t *arr = GET(e->obj, "requestObject", "rules");
	size_t n = json_array_size(arr), k = 0, cap = 0;
	struct bw_value *v;

	if (!json_is_array(arr) || (ref->index >= 0 && (size_t)ref->index >= n))
		return 0;
	for (size_t i = 0; i < n; i++)
		cap += json_array_size(json_object_get(json_array_get(arr, i), key));
	if (!(v = vals(e, cap)))
		return 0;
	for (size_t i = 0; i < n; i++) {
		json_t *x = json_object_get(json_array_get(arr, i), key);
		if (!index_ok(ref, i))
			continue;
		for (size_t j = 0; j < json_array_size(x); j++) {
			json_t *it = json_array_get(x, j);
			if (!json_is_null(it) && json_as_value(e, it, &v[k]))
				k++;
		}
	}
	*ret = v;
	return k;
}

static size_t subjects(struct audit_event *e, const char *kind, bool ns,
		       const struct bw_value **ret)
{
	json_t *arr = GET(e->obj, "requestObject", "subjects");
	size_t n = json_array_size(arr), k = 0;
	struct bw_value *v;

	if (!json_is_array(arr) || !(v = vals(e, n)))
		return 0;
	for (size_t i = 0; i < n; i++) {
		json_t *s = json_array_get(arr, i);
		const char *sk = json_string_value(json_object_get(s, "kind"));
		const char *name = json_string_value(json_object_get(s, "name"));
		if (!sk || !name || strcmp(sk, kind))
			continue;
		if (ns) {
			const char *nsn = json_string_value(json_object_get(s, "namespace"));
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
	json_t *arr = GET(e->obj, "requestObject", "spec", "volumes");
	size_t n = json_array_size(arr), k = 0;
	struct bw_value *v;

	if (!json_is_array(arr) || (ref->index >= 0 && (size_t)ref->index >= n))
		return 0;
	if (field == KA_REQ_VOLUME_HOSTPATH) {
		/* "true" when a hostPath equals the argument, or starts with it
		 * when the argument ends in '*' */
		const char *arg = ref->arg ? ref->arg : "";
		size_t al = strlen(arg);
		bool prefix = al && arg[al - 1] == '*';
		for (size_t i = 0; i < n; i++) {
			const char *p = json_string_value(GET(json_array_get(arr, i), "hostPath", "path"));
			if (p && ((prefix && !strncmp(p, arg, al - 1)) || !strcmp(p, arg)))
				return one_str(e, "true", ret);
		}
		return one_str(e, "false", ret);
	}
	if (!(v = vals(e, n * 16)))
		return 0;
	for (size_t i = 0; i < n; i++) {
		json_t *vol = json_array_get(arr, i), *x;
		if (!index_ok(ref, i))
			continue;
		if (field == KA_REQ_POD_VOLUMES_VOLUME_TYPE) {
			const char *key;
			json_t *val;
			json_object_foreach(vol, key, val)
			{
				if (strcmp(key, "name") && k < n * 16 && set_str(e, &v[k], key, strlen(key)))
					k++;
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
static json_t *json_pointer(json_t *j, const char *ptr)
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
		if (json_is_object(j)) {
			j = json_object_get(j, tok);
		} else if (json_is_array(j)) {
			char *end;
			unsigned long i = strtoul(tok, &end, 10);
			j = (*tok && !*end && isdigit((unsigned char)*tok)) ? json_array_get(j, i) : NULL;
		} else {
			j = NULL;
		}
	}
	return j;
}

static size_t uri_param(struct audit_event *e, const char *arg, const struct bw_value **ret)
{
	const char *uri = json_string_value(json_object_get(e->obj, "requestURI"));
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
			char *d = rt_alloc(&e->arena, vn + 1);
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
	json_t *o = e->obj;

	if (ref->field >= KA_CONT_FIRST) {
		unsigned f = ref->field - KA_CONT_FIRST;
		return container_field(e, ref, (int)(f / CF_COUNT), (int)(f % CF_COUNT), ret);
	}
	switch (ref->field) {
	case KA_AUDITID:
		return one(e, json_object_get(o, "auditID"), ret);
	case KA_STAGE:
		return one(e, json_object_get(o, "stage"), ret);
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
		return one(e, json_object_get(o, "verb"), ret);
	case KA_URI:
		return one(e, json_object_get(o, "requestURI"), ret);
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
		const char *res = json_string_value(GET(o, "objectRef", "resource"));
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
		json_t *arr = containers(e, "containers");
		if (!json_is_array(arr))
			return 0;
		for (size_t i = 0; i < json_array_size(arr); i++)
			if (json_is_true(GET(json_array_get(arr, i), "securityContext", "privileged")))
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
		json_t *arr = GET(o, "requestObject", "spec", "ports");
		if (ref->index >= 0)
			return one(e, json_array_get(arr, (size_t)ref->index), ret);
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
		return one(e, json_object_get(o, "userAgent"), ret);
	case KA_SOURCEIPS: {
		json_t *arr = json_object_get(o, "sourceIPs");
		if (ref->index >= 0)
			return one(e, json_array_get(arr, (size_t)ref->index), ret);
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
static int64_t parse_time(const char *s)
{
	struct tm tm = { 0 };
	const char *p;
	int64_t frac = 0, scale = 1000000000;
	long off = 0;

	if (!s || !(p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)))
		return -1;
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p)) {
			if (scale > 1) {
				scale /= 10;
				frac += (*p - '0') * scale;
			}
			p++;
		}
	}
	if (*p == '+' || *p == '-') {
		int hh, mm;
		if (sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2)
			return -1;
		off = (hh * 3600L + mm * 60L) * (*p == '-' ? -1 : 1);
	} else if (*p != 'Z' && *p != 'z') {
		return -1;
	}
	time_t t = timegm(&tm);
	int64_t ns;
	/* Hostile years overflow nanoseconds: refuse them. */
	if (__builtin_sub_overflow((int64_t)t, off, &ns) || __builtin_mul_overflow(ns, 1000000000LL, &ns) ||
	    __builtin_add_overflow(ns, (int64_t)frac, &ns))
		return -1;
	return ns;
}

static int check_event(json_t *ev, struct bw_error **err)
{
	const char *kind = json_string_value(json_object_get(ev, "kind"));
	const char *ver = json_string_value(json_object_get(ev, "apiVersion"));

	if (!json_is_object(ev) || !kind || strcmp(kind, "Event"))
		return bw_error_set(err, -EINVAL, "data not recognized as a k8s audit event");
	if (ver && strcmp(ver, "audit.k8s.io/v1") && strcmp(ver, "audit.k8s.io/v1beta1"))
		return bw_error_set(err, -EINVAL, "unsupported audit event apiVersion `%s`", ver);
	return 0;
}

int bw_audit_decode(const char *data, size_t len, struct bw_audit_batch **ret,
		    struct bw_error **err)
{
	struct bw_audit_batch *b;
	json_error_t je;
	json_t *root, *items;
	const char *kind;
	int r;

	if (len > BW_MAX_AUDIT_BATCH_SIZE)
		return bw_error_set(err, -EFBIG, "audit document is larger than %u bytes",
				    BW_MAX_AUDIT_BATCH_SIZE);
	root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return bw_error_set(err, -EINVAL, "invalid JSON at column %d: %s", je.column,
				    je.text);
	kind = json_string_value(json_object_get(root, "kind"));
	if (!json_is_object(root) || !kind) {
		json_decref(root);
		return bw_error_set(err, -EINVAL, "data not recognized as a k8s audit event");
	}
	b = calloc(1, sizeof(*b));
	if (!b) {
		json_decref(root);
		return bw_error_set(err, -ENOMEM, "out of memory");
	}
	b->root = root;
	if (!strcmp(kind, "EventList")) {
		const char *ver = json_string_value(json_object_get(root, "apiVersion"));
		items = json_object_get(root, "items");
		if (ver && strcmp(ver, "audit.k8s.io/v1") && strcmp(ver, "audit.k8s.io/v1beta1")) {
			r = bw_error_set(err, -EINVAL, "unsupported audit EventList apiVersion `%s`",
					 ver);
			goto fail;
		}
		if (!json_is_array(items)) {
			r = bw_error_set(err, -EINVAL, "EventList has no items array");
			goto fail;
		}
		if (json_array_size(items) > BW_MAX_AUDIT_BATCH_EVENTS) {
			r = bw_error_set(err, -E2BIG, "EventList has more than %u items",
					 BW_MAX_AUDIT_BATCH_EVENTS);
			goto fail;
		}
	} else {
		items = NULL;
	}
	size_t n = items ? json_array_size(items) : 1;
	b->events = calloc(n + 1, sizeof(*b->events));
	if (!b->events) {
		r = bw_error_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *ev = items ? json_array_get(items, i) : root;
		if ((r = check_event(ev, err)) < 0) {
			if (items)
				bw_error_wrap(err, "item %zu", i);
			goto fail;
		}
		struct audit_event *e = &b->events[b->n++];
		e->obj = ev;
		e->ts = parse_time(json_string_value(json_object_get(ev, "stageTimestamp")));
		if (e->ts < 0)
			e->ts = parse_time(json_string_value(json_object_get(ev, "timestamp")));
		if (e->ts < 0)
			e->ts = parse_time(
				json_string_value(json_object_get(ev, "requestReceivedTimestamp")));
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
	for (size_t i = 0; i < b->n; i++)
		rt_arena_done(&b->events[i].arena);
	free(b->events);
	json_decref(b->root);
	free(b);
	return NULL;
}
