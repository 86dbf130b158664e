/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BW_CONFIG_INTERNAL_H
#define BW_CONFIG_INTERNAL_H

#include <regex.h>
#include <stdio.h>

#include "bulwark/config.h"

/* Strings and compiled patterns of the control inputs (controls.c). */
struct strlist {
	char **v;
	size_t n;
};
struct relist {
	regex_t *re;
	size_t n;
};
/* Resource bounds: a value fails against any of v[0..n). */
struct bound {
	double v[8];
	size_t n;
};
enum {
	BOUND_CPU_REQUEST_MIN,
	BOUND_CPU_REQUEST_MAX,
	BOUND_CPU_LIMIT_MIN,
	BOUND_CPU_LIMIT_MAX,
	BOUND_MEM_REQUEST_MIN,
	BOUND_MEM_REQUEST_MAX,
	BOUND_MEM_LIMIT_MIN,
	BOUND_MEM_LIMIT_MAX,
	BOUND_SANDBOX_CPU_LIMIT_MAX,
	BOUND_SANDBOX_MEM_LIMIT_MAX,
	BOUND_COUNT,
};
struct controls {
	struct strlist floating_tags, sens_keys, sens_values, sens_keys_allowed,
		sens_values_allowed, image_allow, untrusted_registries, recommended_labels,
		k8s_recommended_labels, sensitive_interfaces;
	struct bound bounds[BOUND_COUNT];
	/* sens_values compiled case-sensitively (ConfigMaps, as Kubescape's
	 * regex.match) and ignoring case (environment values) */
	struct relist values_re, values_re_ci, values_allowed_re;
};
int controls_init(struct controls *c);
void controls_done(struct controls *c);
int controls_load(struct controls *c, const char *file, const char *data, size_t len,
		  struct bw_error **err);
bool strlist_has(const struct strlist *l, const char *s);
bool strlist_contained_ci(const struct strlist *l, const char *s);
bool relist_match(const struct relist *l, const char *s);
int quantity_parse(const char *s, double *ret);
int quantity_of(const struct bw_yaml_node *n, double *ret);
int base64_decode(const char *s, char **ret, size_t *ret_len);

struct ignore_rule {
	char *id;
	char *glob; /* NULL: everywhere */
};

struct cfg_file {
	char *path;
	struct bw_yaml_file *yaml;
	struct bw_dockerfile *df;
};

struct bw_config_scan {
	struct bw_config_opts opts;
	struct cfg_file *files;
	size_t nfiles, files_alloc;
	struct bw_k8s_object *objs;
	size_t nobjs, objs_alloc;
	struct bw_finding *findings;
	size_t nfindings, findings_alloc;
	char **file_errors;
	size_t nfile_errors, file_errors_alloc;
	struct ignore_rule *ignores;
	size_t nignores;
	struct controls controls;
	/* Dockerfile findings: the instruction being checked, for inline
	 * `# hadolint ignore=` / `# bulwark.dev/ignore` pragmas. */
	const struct bw_dockerfile *cur_df;
	/* ServiceAccounts that set automountServiceAccountToken: false, by
	 * name; built on first use. */
	struct bw_map *sa_no_automount;
	/* Cross-object index, built by x_check_all for its run: objects with a
	 * pod template and network policies sorted by namespace, and objects
	 * by "kind/namespace/name". */
	const struct bw_k8s_object **x_pods, **x_pols;
	size_t x_npods, x_npols;
	struct bw_map *x_names;
	/* Pods by "namespace\x1fkey=value" of each label (a struct x_list),
	 * so a selector looks at the pods carrying its first label rather
	 * than every pod of the namespace; x_odd holds pods whose labels
	 * cannot be indexed (merge keys, odd values, long keys). */
	struct bw_map *x_bylabel;
	const struct bw_k8s_object **x_odd;
	size_t x_nodd;
	/* Replicated workloads without a pod template (only their selector
	 * tells which pods they run). */
	const struct bw_k8s_object **x_bare;
	size_t x_nbare;
	/* A binding names system:authenticated or system:serviceaccounts, so
	 * every service account has rights; bound service accounts are in
	 * x_names under kind "binding-subject". */
	bool x_all_sa_bound;
};

/* The check tables of each part of the folder. */
extern const struct bw_check_info bw_pss_checks[];
extern const size_t bw_pss_nchecks;
extern const struct bw_check_info bw_k8s_checks[];
extern const size_t bw_k8s_nchecks;
extern const struct bw_check_info bw_x_checks[];
extern const size_t bw_x_nchecks;
extern const struct bw_check_info bw_df_checks[];
extern const size_t bw_df_nchecks;

const struct bw_check_info *check_by_id(const struct bw_check_info *t, size_t n, const char *id);

/* Runs the Pod Security Standards checks on one object at a level. */
int pss_check_object(struct bw_config_scan *s, const struct bw_k8s_object *o,
		     enum bw_pss_level level);
/* Runs the hygiene checks on one object; all objects are given for the
 * cross-object checks (Services selecting pods, and the like). */
int k8s_check_object(struct bw_config_scan *s, const struct bw_k8s_object *o);
/* Runs the checks that relate objects to each other (Services and the
 * pods they select, NetworkPolicies, autoscalers, budgets, ...). */
int x_check_all(struct bw_config_scan *s);
/* Runs the Dockerfile checks. */
int df_check_file(struct bw_config_scan *s, const char *path, const struct bw_dockerfile *df);

/* A Dockerfile finding at line (ignores inline pragmas). */
int df_report(struct bw_config_scan *s, const char *check_id, const char *path, uint32_t line,
	      const char *fmt, ...) BW_PRINTF(5, 6);

/* Visits every container of a pod spec: containers, initContainers,
 * ephemeralContainers. */
typedef int (*container_fn)(struct bw_config_scan *s, const struct bw_k8s_object *o,
			    const struct bw_yaml_node *c, const char *cname, int ctype, void *ud);
enum { CT_MAIN = 0, CT_INIT = 1, CT_EPHEMERAL = 2 };
int visit_containers(struct bw_config_scan *s, const struct bw_k8s_object *o, container_fn fn,
		     void *ud);

#define REPORT(s, id, o, node, c, ...)                                                 \
	bw_config_scan_report((s), check_by_id(bw_k8s_checks, bw_k8s_nchecks, (id)), (o), \
			      (node), (c), __VA_ARGS__)

#endif
