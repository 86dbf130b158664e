/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "rules/internal.h"

void rs_diag(struct bw_ruleset *rs, enum bw_diag_level level, const char *file, unsigned line,
	     unsigned col, const char *kind, const char *name, const char *fmt, ...)
{
	struct bw_diag *d = arena_zalloc(&rs->arena, sizeof(*d));
	char msg[2048];
	va_list ap;

	if (!d)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	d->level = level;
	d->file = file;
	d->line = line;
	d->col = col;
	d->kind = kind;
	d->name = name;
	d->msg = arena_strdup(&rs->arena, msg);
	ptrvec_push(&rs->arena, &rs->diags, d);
}

struct bw_ruleset *bw_ruleset_new(void)
{
	struct bw_ruleset *rs = calloc(1, sizeof(*rs));

	if (!rs)
		return NULL;
	rs->list_by_name = bw_map_new();
	rs->macro_by_name = bw_map_new();
	rs->rule_by_name = bw_map_new();
	rs->evtypes.ids = bw_map_new();
	rs->check_ids = bw_map_new();
	if (!rs->list_by_name || !rs->macro_by_name || !rs->rule_by_name || !rs->evtypes.ids ||
	    !rs->check_ids)
		return bw_ruleset_free(rs);
	return rs;
}

struct bw_ruleset *bw_ruleset_free(struct bw_ruleset *rs)
{
	if (!rs)
		return NULL;
	for (size_t i = 0; i < rs->regexes.n; i++) {
		regfree(rs->regexes.v[i]);
		free(rs->regexes.v[i]);
	}
	for (size_t i = 0; i < rs->nsrcs; i++)
		bw_map_free(rs->srcs[i].slot_ids);
	bw_map_free(rs->list_by_name);
	bw_map_free(rs->macro_by_name);
	bw_map_free(rs->rule_by_name);
	bw_map_free(rs->evtypes.ids);
	bw_map_free(rs->check_ids);
	arena_done(&rs->arena);
	free(rs);
	return NULL;
}

static int errors_since(const struct bw_ruleset *rs, size_t from, struct bw_error **err)
{
	size_t n = 0;
	const struct bw_diag *first = NULL;

	for (size_t i = from; i < rs->diags.n; i++) {
		const struct bw_diag *d = rs->diags.v[i];
		if (d->level != BW_DIAG_ERROR)
			continue;
		if (!first)
			first = d;
		n++;
	}
	if (!n)
		return 0;
	if (first->name)
		return bw_error_set(err, -EINVAL, "%s:%u: %s `%s`: %s%s", first->file, first->line,
				    first->kind, first->name, first->msg,
				    n > 1 ? " (and more errors)" : "");
	return bw_error_set(err, -EINVAL, "%s:%u: %s%s", first->file, first->line, first->msg,
			    n > 1 ? " (and more errors)" : "");
}

int bw_ruleset_load_string(struct bw_ruleset *rs, const char *name, const char *data, size_t len,
			   struct bw_error **err)
{
	size_t from = rs->diags.n;
	char *file;

	if (rs->compiled)
		return bw_error_set(err, -EINVAL, "ruleset is already compiled");
	if (len > BW_MAX_RULES_FILE_SIZE) {
		rs->load_failed = true;
		return bw_error_set(err, -EFBIG, "%s: rules file is larger than %u bytes", name,
				    BW_MAX_RULES_FILE_SIZE);
	}
	if (rs->files.n >= BW_MAX_RULES_FILES)
		return bw_error_set(err, -E2BIG, "too many rules files");
	file = arena_strdup(&rs->arena, name);
	if (!file || ptrvec_push(&rs->arena, &rs->files, file) < 0)
		return bw_error_set(err, -ENOMEM, "out of memory");
	int r = rs_load_yaml(rs, file, data, len);
	if (r == -ENOMEM)
		return bw_error_set(err, -ENOMEM, "out of memory");
	if (r < 0 || errors_since(rs, from, NULL) < 0) {
		rs->load_failed = true;
		return errors_since(rs, from, err);
	}
	return 0;
}

static int load_file(struct bw_ruleset *rs, const char *path, struct bw_error **err)
{
	_cleanup_free_ char *data = NULL;
	size_t len;
	int r = bw_read_file(path, BW_MAX_RULES_FILE_SIZE, &data, &len, err);

	if (r < 0) {
		rs->load_failed = true;
		return r;
	}
	return bw_ruleset_load_string(rs, path, data, len, err);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int bw_ruleset_load_path(struct bw_ruleset *rs, const char *path, struct bw_error **err)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, alloc = 0;
	int r = 0;

	if (stat(path, &st) < 0)
		return bw_error_set(err, -errno, "cannot open `%s`: %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return load_file(rs, path, err);
	if (!(d = opendir(path)))
		return bw_error_set(err, -errno, "cannot open `%s`: %s", path, strerror(errno));
	while ((de = readdir(d))) {
		char *full;
		struct stat fst;
		if (de->d_name[0] == '.')
			continue;
		if (asprintf(&full, "%s/%s", path, de->d_name) < 0) {
			r = bw_error_set(err, -ENOMEM, "out of memory");
			break;
		}
		if (stat(full, &fst) < 0 || !S_ISREG(fst.st_mode)) {
			free(full);
			continue;
		}
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 16;
			char **nn = realloc(names, alloc * sizeof(*names));
			if (!nn || n >= BW_MAX_RULES_FILES) {
				free(nn ? nn : names);
				names = NULL;
				free(full);
				n = 0;
				r = bw_error_set(err, -E2BIG, "%s: too many rules files", path);
				break;
			}
			names = nn;
		}
		names[n++] = full;
	}
	closedir(d);
	if (names)
		qsort(names, n, sizeof(*names), cmp_names);
	/* Load every file so that every error is reported, then fail. */
	for (size_t i = 0; i < n; i++) {
		struct bw_error *e = NULL;
		int x = load_file(rs, names[i], &e);
		if (x < 0 && r == 0) {
			r = x;
			if (err && !*err)
				*err = e;
			else
				bw_error_free(e);
		} else {
			bw_error_free(e);
		}
		free(names[i]);
	}
	free(names);
	return r;
}

int bw_ruleset_compile(struct bw_ruleset *rs, const struct bw_source *const *sources,
		       size_t nsources, struct bw_error **err)
{
	size_t from = rs->diags.n;
	int r;

	if (rs->compiled)
		return bw_error_set(err, -EINVAL, "ruleset is already compiled");
	if (rs->load_failed)
		return bw_error_set(err, -EINVAL, "rules have errors; not compiling");
	r = rs_compile(rs, sources, nsources);
	rs->compiled = true;
	if (r == -ENOMEM)
		return bw_error_set(err, -ENOMEM, "out of memory");
	if (r < 0) {
		rs->load_failed = true;
		return errors_since(rs, from, err) ?: bw_error_set(err, -EINVAL, "invalid rules");
	}
	return 0;
}

size_t bw_ruleset_diag_count(const struct bw_ruleset *rs)
{
	return rs->diags.n;
}

const struct bw_diag *bw_ruleset_diag(const struct bw_ruleset *rs, size_t i)
{
	return i < rs->diags.n ? rs->diags.v[i] : NULL;
}

size_t bw_ruleset_rule_count(const struct bw_ruleset *rs)
{
	return rs->rules.n;
}

const struct bw_rule_info *bw_ruleset_rule(const struct bw_ruleset *rs, size_t i)
{
	return i < rs->rules.n ? &((struct rule_def *)rs->rules.v[i])->info : NULL;
}

size_t bw_ruleset_count(const struct bw_ruleset *rs, const char *source, enum bw_rule_state state)
{
	size_t n = 0;

	for (size_t i = 0; i < rs->rules.n; i++) {
		const struct rule_def *r = rs->rules.v[i];
		if (r->info.state == state && (!source || !strcmp(r->source, source)))
			n++;
	}
	return n;
}
