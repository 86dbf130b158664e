/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The scan: loading files into YAML trees and Dockerfiles, finding the
 * Kubernetes objects in them, running the checks and keeping the findings.
 */
#include <dirent.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "bulwark/config.h"
#include "config/internal.h"

#define IGNORE_ANNOTATION "bulwark.dev/ignore"

static void bw_map_freep_(struct bw_map **m)
{
	*m = bw_map_free(*m);
}

int bw_pss_level_parse(const char *s, enum bw_pss_level *ret)
{
	if (!strcmp(s, "privileged"))
		*ret = BW_PSS_PRIVILEGED;
	else if (!strcmp(s, "baseline"))
		*ret = BW_PSS_BASELINE;
	else if (!strcmp(s, "restricted"))
		*ret = BW_PSS_RESTRICTED;
	else
		return -EINVAL;
	return 0;
}

/* ---------------------------------------------------------------- check table */

const struct bw_check_info *check_by_id(const struct bw_check_info *t, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (!strcasecmp(t[i].id, id))
			return &t[i];
	return NULL;
}

size_t bw_config_check_count(void)
{
	return bw_pss_nchecks + bw_k8s_nchecks + bw_x_nchecks + bw_df_nchecks;
}

const struct bw_check_info *bw_config_check_at(size_t i)
{
	if (i < bw_pss_nchecks)
		return &bw_pss_checks[i];
	i -= bw_pss_nchecks;
	if (i < bw_k8s_nchecks)
		return &bw_k8s_checks[i];
	i -= bw_k8s_nchecks;
	if (i < bw_x_nchecks)
		return &bw_x_checks[i];
	i -= bw_x_nchecks;
	if (i < bw_df_nchecks)
		return &bw_df_checks[i];
	return NULL;
}

const struct bw_check_info *bw_config_check_find(const char *id)
{
	for (size_t i = 0; i < bw_config_check_count(); i++) {
		const struct bw_check_info *c = bw_config_check_at(i);
		if (!strcasecmp(c->id, id))
			return c;
	}
	return NULL;
}

/* ---------------------------------------------------------------- scan object */

int bw_config_scan_new(const struct bw_config_opts *opts, struct bw_config_scan **ret,
		       struct bw_error **err)
{
	struct bw_config_scan *s = calloc(1, sizeof(*s));

	if (!s)
		return bw_error_set(err, -ENOMEM, "out of memory");
	if (opts)
		memcpy(&s->opts, opts,
		       opts->size && opts->size < sizeof(s->opts) ? opts->size : sizeof(s->opts));
	s->opts.size = sizeof(s->opts);
	if (controls_init(&s->controls) < 0) {
		bw_config_scan_free(s);
		return bw_error_set(err, -ENOMEM, "out of memory");
	}
	*ret = s;
	return 0;
}

static void finding_done(struct bw_finding *f)
{
	free(f->message);
	free(f->file);
	free(f->kind);
	free(f->namespace);
	free(f->name);
	free(f->container);
}

struct bw_config_scan *bw_config_scan_free(struct bw_config_scan *s)
{
	if (!s)
		return NULL;
	for (size_t i = 0; i < s->nfiles; i++) {
		free(s->files[i].path);
		bw_yaml_file_free(s->files[i].yaml);
		bw_dockerfile_free(s->files[i].df);
	}
	free(s->files);
	free(s->objs);
	for (size_t i = 0; i < s->nfindings; i++)
		finding_done(&s->findings[i]);
	free(s->findings);
	for (size_t i = 0; i < s->nfile_errors; i++)
		free(s->file_errors[i]);
	free(s->file_errors);
	for (size_t i = 0; i < s->nignores; i++) {
		free(s->ignores[i].id);
		free(s->ignores[i].glob);
	}
	free(s->ignores);
	bw_map_free(s->sa_no_automount);
	controls_done(&s->controls);
	free(s);
	return NULL;
}

/* Grows an array of n used elements by one; -ENOMEM on failure. */
static int grow(void **arr, size_t *alloc, size_t n, size_t elem)
{
	void *p;
	size_t na;

	if (n < *alloc)
		return 0;
	na = *alloc ? *alloc * 2 : 16;
	p = realloc(*arr, na * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*alloc = na;
	return 0;
}

static int file_error(struct bw_config_scan *s, struct bw_error *e)
{
	char *m;

	if (grow((void **)&s->file_errors, &s->file_errors_alloc, s->nfile_errors,
		 sizeof(*s->file_errors)) < 0)
		return -ENOMEM;
	m = strdup(e && e->msg ? e->msg : "unknown error");
	if (!m)
		return -ENOMEM;
	s->file_errors[s->nfile_errors++] = m;
	return 0;
}

/* ---------------------------------------------------------------- objects */

static int add_object(struct bw_config_scan *s, const char *file, const struct bw_yaml_node *root,
		      int depth)
{
	const struct bw_yaml_node *items;
	struct bw_k8s_object *o;
	const char *kind;

	if (!root || root->type != BW_YAML_MAP)
		return 0;
	kind = bw_yaml_str(bw_yaml_get(root, "kind"));
	if (!kind)
		return 0;
	items = bw_yaml_get(root, "items");
	if (depth < 4 && items && items->type == BW_YAML_SEQ && bw_endswith(kind, "List")) {
		for (uint32_t i = 0; i < items->n; i++) {
			int r = add_object(s, file, items->kids[i], depth + 1);
			if (r < 0)
				return r;
		}
		return 0;
	}
	if (grow((void **)&s->objs, &s->objs_alloc, s->nobjs, sizeof(*s->objs)) < 0)
		return -ENOMEM;
	o = &s->objs[s->nobjs++];
	memset(o, 0, sizeof(*o));
	o->file = file;
	o->root = root;
	o->kind = kind;
	o->api_version = bw_yaml_str(bw_yaml_get(root, "apiVersion"));
	o->metadata = bw_yaml_get(root, "metadata");
	o->name = bw_yaml_str(bw_yaml_get(o->metadata, "name"));
	if (!o->name)
		o->name = bw_yaml_str(bw_yaml_get(o->metadata, "generateName"));
	o->namespace = bw_yaml_str(bw_yaml_get(o->metadata, "namespace"));
	bw_k8s_pod_template(root, kind, &o->pod_spec, &o->pod_meta);
	if (strcmp(kind, "Pod"))
		o->template_meta = o->pod_meta;
	return 0;
}

/* ---------------------------------------------------------------- loading */

static bool is_dockerfile_name(const char *path)
{
	const char *b = strrchr(path, '/');

	b = b ? b + 1 : path;
	return !strcmp(b, "Dockerfile") || !strcmp(b, "Containerfile") ||
	       bw_startswith(b, "Dockerfile.") || bw_startswith(b, "Containerfile.") ||
	       bw_endswith(b, ".Dockerfile") || bw_endswith(b, ".dockerfile") ||
	       bw_endswith(b, ".Containerfile");
}

static bool is_manifest_name(const char *path)
{
	return bw_endswith(path, ".yaml") || bw_endswith(path, ".yml") ||
	       bw_endswith(path, ".json");
}

/* Guesses whether a file of unknown name is a Dockerfile: its first
 * instruction is FROM or ARG, or a parser directive comes first. */
static bool looks_like_dockerfile(const char *data, size_t len)
{
	const char *p = data, *end = data + len;

	while (p < end) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
			p++;
		if (p < end && *p == '#') {
			while (p < end && *p != '\n')
				p++;
			continue;
		}
		break;
	}
	return (size_t)(end - p) > 4 &&
	       (!strncasecmp(p, "FROM ", 5) || !strncasecmp(p, "ARG ", 4) ||
		!strncasecmp(p, "FROM\t", 5));
}

int bw_config_scan_add_buffer(struct bw_config_scan *s, const char *name, const char *data,
			      size_t len, struct bw_error **err)
{
	_cleanup_error_ struct bw_error *ferr = NULL;
	struct cfg_file *f;
	int r;

	if (s->nfiles >= BW_MAX_CONFIG_FILES)
		return bw_error_set(err, -E2BIG, "more than %u input files", BW_MAX_CONFIG_FILES);
	if (grow((void **)&s->files, &s->files_alloc, s->nfiles, sizeof(*s->files)) < 0)
		return bw_error_set(err, -ENOMEM, "out of memory");
	f = &s->files[s->nfiles];
	memset(f, 0, sizeof(*f));
	f->path = strdup(name);
	if (!f->path)
		return bw_error_set(err, -ENOMEM, "out of memory");
	s->nfiles++;
	if (is_dockerfile_name(name) ||
	    (!is_manifest_name(name) && looks_like_dockerfile(data, len))) {
		r = bw_dockerfile_parse(f->path, data, len, &f->df, &ferr);
	} else {
		r = bw_yaml_parse(f->path, data, len, &f->yaml, &ferr);
		if (r >= 0) {
			size_t nd = bw_yaml_file_ndocs(f->yaml);
			for (size_t i = 0; i < nd && r >= 0; i++)
				r = add_object(s, f->path, bw_yaml_file_doc(f->yaml, i), 0);
			if (r < 0)
				return bw_error_set(err, r, "out of memory");
		}
	}
	if (r == -ENOMEM)
		return bw_error_set(err, r, "%s: out of memory", name);
	if (r < 0 && file_error(s, ferr) < 0)
		return bw_error_set(err, -ENOMEM, "out of memory");
	return 0;
}

static int add_file(struct bw_config_scan *s, const char *path, struct bw_error **err)
{
	_cleanup_error_ struct bw_error *ferr = NULL;
	_cleanup_free_ char *data = NULL;
	size_t len;
	int r;

	r = bw_read_file(path, BW_MAX_CONFIG_FILE_SIZE, &data, &len, &ferr);
	if (r == -ENOMEM)
		return bw_error_set(err, r, "%s: out of memory", path);
	if (r < 0)
		return file_error(s, ferr) < 0 ? bw_error_set(err, -ENOMEM, "out of memory") : 0;
	return bw_config_scan_add_buffer(s, path, data, len, err);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int walk(struct bw_config_scan *s, const char *dir, int depth, struct bw_error **err)
{
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, alloc = 0;
	int r = 0;

	if (depth > BW_MAX_WALK_DEPTH)
		return 0;
	d = opendir(dir);
	if (!d) {
		_cleanup_error_ struct bw_error *e = NULL;
		bw_error_set(&e, -errno, "cannot open directory `%s`: %s", dir, strerror(errno));
		return file_error(s, e) < 0 ? bw_error_set(err, -ENOMEM, "out of memory") : 0;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue; /* ., .., and hidden folders such as .git */
		if (grow((void **)&names, &alloc, n, sizeof(*names)) < 0 ||
		    !(names[n] = strdup(de->d_name))) {
			r = bw_error_set(err, -ENOMEM, "out of memory");
			break;
		}
		n++;
	}
	closedir(d);
	if (r == 0 && n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *p = NULL;
		struct stat st;

		if (r == 0) {
			if (asprintf(&p, "%s%s%s", dir, bw_endswith(dir, "/") ? "" : "/", names[i]) <
			    0) {
				p = NULL;
				r = bw_error_set(err, -ENOMEM, "out of memory");
			} else if (lstat(p, &st) == 0) {
				if (S_ISDIR(st.st_mode))
					r = walk(s, p, depth + 1, err);
				else if (S_ISREG(st.st_mode) &&
					 (is_manifest_name(p) || is_dockerfile_name(p)))
					r = add_file(s, p, err);
			}
		}
		free(names[i]);
	}
	free(names);
	return r;
}

int bw_config_scan_add_path(struct bw_config_scan *s, const char *path, struct bw_error **err)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return bw_error_set(err, -errno, "cannot access `%s`: %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return walk(s, path, 0, err);
	return add_file(s, path, err);
}

int bw_config_scan_load_ignore_file(struct bw_config_scan *s, const char *path,
				    struct bw_error **err)
{
	_cleanup_free_ char *data = NULL;
	char *save = NULL;
	size_t len;
	int r;

	r = bw_read_file(path, 1u << 20, &data, &len, err);
	if (r < 0)
		return bw_error_wrap(err, "ignore file");
	for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *hash = strchr(line, '#'), *id, *glob, *sp = NULL;
		struct ignore_rule *ir;

		if (hash)
			*hash = 0;
		id = strtok_r(line, " \t\r", &sp);
		if (!id)
			continue;
		glob = strtok_r(NULL, " \t\r", &sp);
		ir = realloc(s->ignores, (s->nignores + 1) * sizeof(*ir));
		if (!ir)
			return bw_error_set(err, -ENOMEM, "out of memory");
		s->ignores = ir;
		ir = &s->ignores[s->nignores];
		ir->id = strdup(id);
		ir->glob = glob ? strdup(glob) : NULL;
		if (!ir->id || (glob && !ir->glob)) {
			free(ir->id);
			free(ir->glob);
			return bw_error_set(err, -ENOMEM, "out of memory");
		}
		s->nignores++;
	}
	return 0;
}

/* ---------------------------------------------------------------- findings */

/* Whether a comma/space separated list names id (or `*`, `all`). */
static bool list_names(const char *list, const char *id)
{
	size_t idl = strlen(id);

	while (list && *list) {
		size_t l;

		while (*list == ',' || *list == ' ' || *list == '\t')
			list++;
		l = strcspn(list, ", \t");
		if (!l)
			break;
		if ((l == idl && !strncasecmp(list, id, l)) || (l == 1 && *list == '*') ||
		    (l == 3 && !strncasecmp(list, "all", 3)))
			return true;
		list += l;
	}
	return false;
}

static bool ignored(const struct bw_config_scan *s, const char *id, const char *file,
		    const struct bw_k8s_object *o)
{
	for (size_t i = 0; i < s->nignores; i++) {
		const struct ignore_rule *ir = &s->ignores[i];
		if (strcasecmp(ir->id, id) && strcmp(ir->id, "*"))
			continue;
		if (!ir->glob || (file && (fnmatch(ir->glob, file, 0) == 0 ||
					   (strrchr(file, '/') &&
					    fnmatch(ir->glob, strrchr(file, '/') + 1, 0) == 0))))
			return true;
	}
	if (o) {
		const struct bw_yaml_node *a = bw_yaml_get(o->metadata, "annotations");
		if (list_names(bw_yaml_str(bw_yaml_get(a, IGNORE_ANNOTATION)), id))
			return true;
		a = bw_yaml_get(o->template_meta, "annotations");
		if (list_names(bw_yaml_str(bw_yaml_get(a, IGNORE_ANNOTATION)), id))
			return true;
	}
	return false;
}

static int add_finding(struct bw_config_scan *s, const struct bw_check_info *check,
		       const char *file, uint32_t line, uint32_t col, const struct bw_k8s_object *o,
		       const char *container, char *msg)
{
	struct bw_finding *f;

	if (grow((void **)&s->findings, &s->findings_alloc, s->nfindings, sizeof(*s->findings)) <
	    0) {
		free(msg);
		return -ENOMEM;
	}
	f = &s->findings[s->nfindings];
	memset(f, 0, sizeof(*f));
	f->check = check;
	f->message = msg;
	f->line = line;
	f->col = col;
	f->file = strdup(file ? file : "");
	if (o) {
		f->kind = o->kind ? strdup(o->kind) : NULL;
		f->name = o->name ? strdup(o->name) : NULL;
		f->namespace = o->namespace ? strdup(o->namespace) : NULL;
	}
	f->container = container ? strdup(container) : NULL;
	if (!f->file || (o && o->kind && !f->kind) || (o && o->name && !f->name) ||
	    (o && o->namespace && !f->namespace) || (container && !f->container)) {
		finding_done(f);
		return -ENOMEM;
	}
	s->nfindings++;
	return 0;
}

int bw_config_scan_report(struct bw_config_scan *s, const struct bw_check_info *check,
			  const struct bw_k8s_object *o, const struct bw_yaml_node *node,
			  const char *container, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;
	uint32_t line = 0, col = 0;

	if (!check)
		return -EINVAL; /* a check id missing from its table: programmer error */
	if (ignored(s, check->id, o ? o->file : NULL, o))
		return 0;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (!msg)
		return -ENOMEM;
	if (!node && o)
		node = o->root;
	if (node) {
		line = node->line;
		col = node->col;
	}
	return add_finding(s, check, o ? o->file : NULL, line, col, o, container, msg);
}

/* Inline Dockerfile pragmas: `# hadolint ignore=DL3008,DL3009` (or
 * `# bulwark.dev/ignore: ID`) on the line before an instruction ignores
 * those ids for it; `# hadolint global ignore=` for the whole file. */
static bool df_ignored(const struct bw_dockerfile *df, const char *id, const char *peer,
		       uint32_t line)
{
	for (size_t i = 0; df && i < df->ncomments; i++) {
		const char *t = df->comments[i].text, *v = NULL;
		bool global = false;

		if (bw_startswith(t, "hadolint global ignore=")) {
			v = t + strlen("hadolint global ignore=");
			global = true;
		} else if (bw_startswith(t, "hadolint ignore=")) {
			v = t + strlen("hadolint ignore=");
		} else if (bw_startswith(t, IGNORE_ANNOTATION ":")) {
			v = t + strlen(IGNORE_ANNOTATION ":");
		} else if (bw_startswith(t, IGNORE_ANNOTATION "=")) {
			v = t + strlen(IGNORE_ANNOTATION "=");
		}
		if (!v)
			continue;
		if (!global) {
			/* Applies to the next instruction: the first one after the
			 * comment, with only comments or blank lines between. */
			bool next = false;
			for (size_t j = 0; j < df->n; j++) {
				if (df->instrs[j].line > df->comments[i].line) {
					next = df->instrs[j].line <= line && df->instrs[j].end_line >= line;
					break;
				}
			}
			if (!next)
				continue;
		}
		if (list_names(v, id) || (peer && list_names(v, peer)))
			return true;
	}
	return false;
}

/* Our Dockerfile check ids carry the hadolint rule they follow as their
 * suffix after "DF-" when they have one (DF-DL3008 follows DL3008). */
int df_report(struct bw_config_scan *s, const char *check_id, const char *path, uint32_t line,
	      const char *fmt, ...)
{
	const struct bw_check_info *check = check_by_id(bw_df_checks, bw_df_nchecks, check_id);
	const char *peer = bw_startswith(check_id, "DF-DL") ? check_id + 3 : NULL;
	va_list ap;
	char *msg = NULL;

	if (!check)
		return -EINVAL;
	if (ignored(s, check->id, path, NULL) || df_ignored(s->cur_df, check->id, peer, line))
		return 0;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (!msg)
		return -ENOMEM;
	return add_finding(s, check, path, line, line ? 1 : 0, NULL, NULL, msg);
}

/* ---------------------------------------------------------------- running */

static enum bw_pss_level label_level(const struct bw_yaml_node *labels)
{
	static const char *const keys[] = { "pod-security.kubernetes.io/enforce",
					    "pod-security.kubernetes.io/warn",
					    "pod-security.kubernetes.io/audit" };
	enum bw_pss_level l;

	for (size_t i = 0; i < BW_ARRAY_SIZE(keys); i++) {
		const char *v = bw_yaml_str(bw_yaml_get(labels, keys[i]));
		if (v && bw_pss_level_parse(v, &l) == 0)
			return l;
	}
	return BW_PSS_UNSET;
}

int bw_config_scan_run(struct bw_config_scan *s, struct bw_error **err)
{
	_cleanup_(bw_map_freep_) struct bw_map *ns_levels = bw_map_new();
	enum bw_pss_level dflt = s->opts.pss_level ? s->opts.pss_level : BW_PSS_RESTRICTED;
	int r;

	if (!ns_levels)
		return bw_error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < s->nobjs; i++) {
		const struct bw_k8s_object *o = &s->objs[i];
		enum bw_pss_level l;

		if (strcmp(o->kind, "Namespace") || !o->name)
			continue;
		l = label_level(bw_yaml_get(o->metadata, "labels"));
		if (l != BW_PSS_UNSET && bw_map_put(ns_levels, o->name, (void *)(uintptr_t)l) < 0)
			return bw_error_set(err, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < s->nobjs; i++) {
		const struct bw_k8s_object *o = &s->objs[i];
		enum bw_pss_level l = dflt;

		if (o->pod_spec) {
			if (!s->opts.pss_level_forced) {
				void *v = bw_map_get(ns_levels, o->namespace ? o->namespace : "default");
				if (v)
					l = (enum bw_pss_level)(uintptr_t)v;
			}
			r = pss_check_object(s, o, l);
			if (r < 0)
				return bw_error_set(err, r, "out of memory");
		}
		r = k8s_check_object(s, o);
		if (r < 0)
			return bw_error_set(err, r, "out of memory");
	}
	r = x_check_all(s);
	if (r < 0)
		return bw_error_set(err, r, "out of memory");
	for (size_t i = 0; i < s->nfiles; i++) {
		if (!s->files[i].df)
			continue;
		s->cur_df = s->files[i].df;
		r = df_check_file(s, s->files[i].path, s->files[i].df);
		s->cur_df = NULL;
		if (r < 0)
			return bw_error_set(err, r, "out of memory");
	}
	return 0;
}

static int cmp_finding(const void *pa, const void *pb)
{
	const struct bw_finding *a = pa, *b = pb;
	int c = strcmp(a->file, b->file);

	if (c)
		return c;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->col != b->col)
		return a->col < b->col ? -1 : 1;
	return strcmp(a->check->id, b->check->id);
}

void bw_config_scan_sort(struct bw_config_scan *s)
{
	if (s->nfindings > 1)
		qsort(s->findings, s->nfindings, sizeof(*s->findings), cmp_finding);
}

size_t bw_config_scan_nobjects(const struct bw_config_scan *s)
{
	return s->nobjs;
}

const struct bw_k8s_object *bw_config_scan_object(const struct bw_config_scan *s, size_t i)
{
	return i < s->nobjs ? &s->objs[i] : NULL;
}

static int reporter_report(void *ud, const struct bw_check_info *check,
			   const struct bw_k8s_object *obj, const struct bw_yaml_node *node,
			   const char *container, const char *message)
{
	return bw_config_scan_report(ud, check, obj, node, container, "%s", message);
}

void bw_config_scan_k8s(struct bw_config_scan *s, struct bw_k8s_set *ret)
{
	*ret = (struct bw_k8s_set){ .objs = s->objs,
				    .n = s->nobjs,
				    .reporter = { .report = reporter_report, .ud = s } };
}

size_t bw_config_scan_nfindings(const struct bw_config_scan *s)
{
	return s->nfindings;
}

const struct bw_finding *bw_config_scan_finding(const struct bw_config_scan *s, size_t i)
{
	return i < s->nfindings ? &s->findings[i] : NULL;
}

size_t bw_config_scan_nfiles(const struct bw_config_scan *s)
{
	return s->nfiles;
}

size_t bw_config_scan_nfile_errors(const struct bw_config_scan *s)
{
	return s->nfile_errors;
}

const char *bw_config_scan_file_error(const struct bw_config_scan *s, size_t i)
{
	return i < s->nfile_errors ? s->file_errors[i] : NULL;
}

/* ---------------------------------------------------------------- containers */

int visit_containers(struct bw_config_scan *s, const struct bw_k8s_object *o, container_fn fn,
		     void *ud)
{
	static const char *const keys[] = { "containers", "initContainers", "ephemeralContainers" };

	for (int t = 0; t < 3; t++) {
		const struct bw_yaml_node *l = bw_yaml_get(o->pod_spec, keys[t]);
		for (uint32_t i = 0; i < bw_yaml_count(l); i++) {
			const struct bw_yaml_node *c = l->kids[i];
			const char *name;
			int r;

			if (c->type != BW_YAML_MAP)
				continue;
			name = bw_yaml_str(bw_yaml_get(c, "name"));
			r = fn(s, o, c, name ? name : "", t, ud);
			if (r < 0)
				return r;
		}
	}
	return 0;
}
