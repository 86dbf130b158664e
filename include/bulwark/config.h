/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BULWARK_CONFIG_H
#define BULWARK_CONFIG_H

/*
 * config: misconfiguration checks for what is about to be deployed.
 *
 * A Dockerfile parser, and a scan: load paths (YAML through the yaml
 * folder, objects through k8s's model), run the built-in checks (Pod
 * Security Standards, hygiene, Dockerfile), collect findings with
 * file:line:col. Its objects and a reporter into its findings are lent to
 * the rbac checks (bw_config_scan_k8s).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bulwark/core.h"
#include "bulwark/k8s.h"
#include "bulwark/yaml.h"

/* Caps on manifests and Dockerfiles (BW_MAX_CONFIG_FILE_SIZE, BW_MAX_YAML_*,
 * BW_MAX_DOCKERFILE_*, ...) are in limits.h with the others. */
#include "bulwark/limits.h"

/* ---------------------------------------------------------------- Dockerfile */

struct bw_df_heredoc {
	char *name;
	char *body;
};

/*
 * One instruction. cmd is upper-case ("RUN"); args is the text after the
 * instruction and its flags, continuations joined with the backslash-newline
 * removed; flags are the `--name=value` options (e.g. "--from=build"); json
 * is set when args is a JSON array (exec form), whose strings are argv.
 * line/end_line are 1-based. ONBUILD RUN x is cmd "ONBUILD" and has the
 * inner instruction in onbuild.
 */
struct bw_df_instr {
	char *cmd;
	char *args;
	char *original; /* the instruction as written, continuations joined */
	char **flags;
	size_t nflags;
	bool json;
	char **argv;
	size_t argc;
	struct bw_df_heredoc *heredocs;
	size_t nheredocs;
	uint32_t line, end_line;
	size_t stage;	     /* index of the FROM stage it belongs to */
	struct bw_df_instr *onbuild;
};

/* A comment line: directives such as `# hadolint ignore=DL3008` live here. */
struct bw_df_comment {
	char *text; /* without the leading `#` and blanks */
	uint32_t line;
};

struct bw_dockerfile {
	struct bw_df_instr *instrs;
	size_t n;
	struct bw_df_comment *comments;
	size_t ncomments;
	char escape; /* `\` or the `# escape=` directive */
};

/* Parses a Dockerfile. name is used in messages. */
BW_API int bw_dockerfile_parse(const char *name, const char *data, size_t len,
			       struct bw_dockerfile **ret, struct bw_error **err);
BW_API struct bw_dockerfile *bw_dockerfile_free(struct bw_dockerfile *df);

/* ---------------------------------------------------------------- checks */

/* The built-in Kubernetes, Pod Security Standards and Dockerfile checks. */
BW_API size_t bw_config_check_count(void);
BW_API const struct bw_check_info *bw_config_check_at(size_t i);
/* Finds a check by id (case-insensitive); NULL when there is none. */
BW_API const struct bw_check_info *bw_config_check_find(const char *id);

/* ---------------------------------------------------------------- scans */

enum bw_pss_level {
	BW_PSS_UNSET = 0, /* restricted, unless a Namespace label says otherwise */
	BW_PSS_PRIVILEGED,
	BW_PSS_BASELINE,
	BW_PSS_RESTRICTED,
};

BW_API int bw_pss_level_parse(const char *s, enum bw_pss_level *ret);

struct bw_config_opts {
	size_t size; /* sizeof(struct bw_config_opts) */
	/* Pod Security Standards level for objects whose Namespace (among the
	 * inputs) carries no pod-security.kubernetes.io/enforce label. */
	enum bw_pss_level pss_level;
	/* When set, the pss_level wins over Namespace labels. */
	bool pss_level_forced;
};

/*
 * A finding. Strings are owned by the scan. container is NULL for
 * object-level findings; kind/name are NULL for Dockerfiles.
 */
struct bw_finding {
	const struct bw_check_info *check;
	char *message;
	char *file;
	uint32_t line, col;
	char *kind;
	char *namespace;
	char *name;
	char *container;
};

struct bw_config_scan;

BW_API int bw_config_scan_new(const struct bw_config_opts *opts, struct bw_config_scan **ret,
			      struct bw_error **err);
BW_API struct bw_config_scan *bw_config_scan_free(struct bw_config_scan *s);

/*
 * Adds a file, or every manifest and Dockerfile under a directory. A file
 * that cannot be parsed is recorded as a file error (see
 * bw_config_scan_file_error) and the walk goes on; the call fails only when
 * the path does not exist, on -ENOMEM, or past BW_MAX_CONFIG_FILES. Files
 * named on the command line are read whatever their name; in directories
 * only *.yaml, *.yml, *.json, Dockerfile, *.Dockerfile, Dockerfile.*,
 * Containerfile are.
 */
BW_API int bw_config_scan_add_path(struct bw_config_scan *s, const char *path,
				   struct bw_error **err);
/* Adds a buffer; name decides how it is read (a Dockerfile by its name,
 * YAML otherwise). A parse failure is a file error, as above. */
BW_API int bw_config_scan_add_buffer(struct bw_config_scan *s, const char *name,
				     const char *data, size_t len, struct bw_error **err);
/* Reads an ignore file: one check id per line, optionally followed by a
 * path glob the id is ignored in; `#` starts a comment. */
BW_API int bw_config_scan_load_ignore_file(struct bw_config_scan *s, const char *path,
					   struct bw_error **err);

/*
 * Reads control inputs in Kubescape's controls-inputs format (JSON or YAML:
 * `settings.postureControlInputs`, `postureControlInputs` or the inputs
 * object itself): floatingImageTags, sensitiveKeyNames, sensitiveValues
 * (patterns), sensitiveKeyNamesAllowed, sensitiveValuesAllowed (patterns),
 * cpu_/memory_ request_/limit_ min/max and sandbox_cpu_/sandbox_memory_limit_max
 * (quantities), imageRepositoryAllowList,
 * untrustedRegistries, recommendedLabels, k8sRecommendedLabels,
 * sensitiveInterfaces. They replace the built-in inputs (Kubescape's
 * defaults) as a whole: a list the file does not give is empty.
 */
BW_API int bw_config_scan_load_controls(struct bw_config_scan *s, const char *path,
					struct bw_error **err);

/* Runs the built-in checks over what was added. */
BW_API int bw_config_scan_run(struct bw_config_scan *s, struct bw_error **err);

BW_API size_t bw_config_scan_nobjects(const struct bw_config_scan *s);
BW_API const struct bw_k8s_object *bw_config_scan_object(const struct bw_config_scan *s,
							 size_t i);
BW_API size_t bw_config_scan_nfindings(const struct bw_config_scan *s);
BW_API const struct bw_finding *bw_config_scan_finding(const struct bw_config_scan *s, size_t i);
/* Files read, and the messages of those that could not be. */
BW_API size_t bw_config_scan_nfiles(const struct bw_config_scan *s);
BW_API size_t bw_config_scan_nfile_errors(const struct bw_config_scan *s);
BW_API const char *bw_config_scan_file_error(const struct bw_config_scan *s, size_t i);

/*
 * Records a finding of check on obj (NULL for file-level), at node's line
 * and column (the object's when node is NULL), unless an ignore annotation
 * `bulwark.dev/ignore` on the object or its pod template, or the ignore
 * file, names the check. For checks outside this folder (rbac).
 */
BW_API int bw_config_scan_report(struct bw_config_scan *s, const struct bw_check_info *check,
				 const struct bw_k8s_object *obj, const struct bw_yaml_node *node,
				 const char *container, const char *fmt, ...) BW_PRINTF(6, 7);

/* The scan's objects (input order; they live as long as the scan) and a
 * reporter into its findings (bw_config_scan_report's rules), for checks
 * of other folders. */
BW_API void bw_config_scan_k8s(struct bw_config_scan *s, struct bw_k8s_set *ret);

/* Sorts findings by file, line, column, check id (stable output). */
BW_API void bw_config_scan_sort(struct bw_config_scan *s);

/*
 * Writes an image's config (its JSON, as bw_image_config_json() gives it)
 * as a Dockerfile: a RUN/COPY/ADD line per history step, then ENV, EXPOSE,
 * WORKDIR, HEALTHCHECK, USER, ENTRYPOINT and CMD from the config, so the
 * Dockerfile checks judge the image as built. The caller frees *ret.
 */
BW_API int bw_config_image_dockerfile(const char *config_json, char **ret, size_t *ret_len,
				      struct bw_error **err);

#endif
