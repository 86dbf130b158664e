/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Loading Falco rule files: YAML documents whose root is a sequence of
 * mappings, each a list, macro, rule or version requirement. Items are
 * collected in order; append and override change earlier items, a plain
 * redefinition replaces one in place. Nothing is compiled here.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "rules/internal.h"

struct ld {
	struct bw_ruleset *rs;
	yaml_document_t *doc;
	const char *file;
	int errors;
};

#define LINE(n) ((unsigned)(n)->start_mark.line + 1)
#define COL(n) ((unsigned)(n)->start_mark.column + 1)

static void err_at(struct ld *l, yaml_node_t *n, const char *kind, const char *name,
		   const char *msg)
{
	rs_diag(l->rs, BW_DIAG_ERROR, l->file, n ? LINE(n) : 0, n ? COL(n) : 0, kind, name, "%s",
		msg);
	l->errors++;
}

static void warn_at(struct ld *l, yaml_node_t *n, const char *kind, const char *name,
		    const char *msg)
{
	rs_diag(l->rs, BW_DIAG_WARNING, l->file, n ? LINE(n) : 0, n ? COL(n) : 0, kind, name, "%s",
		msg);
}

static bool visit(struct ld *l)
{
	return ++l->rs->visits <= BW_MAX_YAML_VISITS;
}

static yaml_node_t *map_get(struct ld *l, yaml_node_t *map, const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(l->doc, p->key);
		if (!visit(l))
			return NULL;
		if (k && k->type == YAML_SCALAR_NODE &&
		    k->data.scalar.length == strlen(key) &&
		    !memcmp(k->data.scalar.value, key, k->data.scalar.length))
			return yaml_document_get_node(l->doc, p->value);
	}
	return NULL;
}

static bool is_scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE;
}

static bool is_null(yaml_node_t *n)
{
	if (!n)
		return true;
	if (n->type != YAML_SCALAR_NODE)
		return false;
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	const char *s = (const char *)n->data.scalar.value;
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
	       !strcmp(s, "NULL");
}

/* A scalar's text, copied into the ruleset's arena ("" for a null). */
static char *scalar(struct ld *l, yaml_node_t *n)
{
	if (!is_scalar(n))
		return NULL;
	return arena_strndup(&l->rs->arena, (const char *)n->data.scalar.value,
			     n->data.scalar.length);
}

static int parse_bool(yaml_node_t *n, bool *ret)
{
	static const char *const t[] = { "true", "yes", "on", "y" }, *const f[] = { "false", "no",
										  "off", "n" };
	if (!is_scalar(n))
		return -EINVAL;
	for (size_t i = 0; i < BW_ARRAY_SIZE(t); i++) {
		if (!strcasecmp((const char *)n->data.scalar.value, t[i])) {
			*ret = true;
			return 0;
		}
		if (!strcasecmp((const char *)n->data.scalar.value, f[i])) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

/* Strings of a sequence (or of a single scalar when allow_scalar). */
static int string_seq(struct ld *l, yaml_node_t *n, struct ptrvec *out, bool allow_scalar)
{
	if (allow_scalar && is_scalar(n))
		return ptrvec_push(&l->rs->arena, out, scalar(l, n));
	if (!n || n->type != YAML_SEQUENCE_NODE)
		return -EINVAL;
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		yaml_node_t *c = yaml_document_get_node(l->doc, *it);
		if (!visit(l))
			return -E2BIG;
		if (!is_scalar(c))
			return -EINVAL;
		if (ptrvec_push(&l->rs->arena, out, scalar(l, c)) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* ---------------------------------------------------------------- versions */

/* Parses "N" (legacy: 0.N.0) or "X.Y.Z" into a comparable triple. */
static int parse_version(const char *s, unsigned long v[3])
{
	char *end;

	v[0] = v[1] = v[2] = 0;
	if (!*s || !isdigit((unsigned char)*s))
		return -EINVAL;
	if (!strchr(s, '.')) {
		v[1] = strtoul(s, &end, 10);
		return *end ? -EINVAL : 0;
	}
	for (int i = 0; i < 3; i++) {
		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		v[i] = strtoul(s, &end, 10);
		if (i < 2) {
			if (*end != '.')
				return -EINVAL;
			s = end + 1;
		} else if (*end && *end != '-' && *end != '+') {
			return -EINVAL;
		}
	}
	return 0;
}

static int version_cmp(const unsigned long a[3], const unsigned long b[3])
{
	for (int i = 0; i < 3; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return 0;
}

static void load_engine_version(struct ld *l, yaml_node_t *item, yaml_node_t *v)
{
	unsigned long want[3], have[3];
	char msg[256];

	if (!is_scalar(v) || parse_version((const char *)v->data.scalar.value, want) < 0) {
		err_at(l, v ? v : item, NULL, NULL,
		       "Value of required_engine_version must be a number or a semver string");
		return;
	}
	parse_version(BW_RULES_ENGINE_VERSION, have);
	if (version_cmp(want, have) > 0) {
		snprintf(msg, sizeof(msg),
			 "Rules require engine version %s, but engine version is %s",
			 (const char *)v->data.scalar.value, BW_RULES_ENGINE_VERSION);
		err_at(l, v, NULL, NULL, msg);
	}
}

/* The plugins whose fields we provide natively, at the version we match. */
static const struct {
	const char *name, *version;
} plugins[] = { { "k8saudit", "0.18.0" }, { "json", "0.7.0" } };

static bool plugin_ok(const char *name, const char *version)
{
	unsigned long want[3], have[3];

	for (size_t i = 0; i < BW_ARRAY_SIZE(plugins); i++) {
		if (strcmp(plugins[i].name, name))
			continue;
		parse_version(plugins[i].version, have);
		return parse_version(version, want) == 0 && version_cmp(want, have) <= 0;
	}
	return false;
}

static void load_plugin_versions(struct ld *l, yaml_node_t *item, yaml_node_t *v)
{
	char msg[512];

	if (!v || v->type != YAML_SEQUENCE_NODE) {
		err_at(l, v ? v : item, NULL, NULL,
		       "Value of required_plugin_versions must be a sequence");
		return;
	}
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
	     it++) {
		yaml_node_t *p = yaml_document_get_node(l->doc, *it);
		yaml_node_t *name = map_get(l, p, "name"), *ver = map_get(l, p, "version");
		bool ok;

		if (!is_scalar(name) || !is_scalar(ver)) {
			err_at(l, p, NULL, NULL,
			       "required_plugin_versions entries need a name and a version");
			continue;
		}
		ok = plugin_ok((const char *)name->data.scalar.value,
			       (const char *)ver->data.scalar.value);
		yaml_node_t *alts = map_get(l, p, "alternatives");
		if (!ok && alts && alts->type == YAML_SEQUENCE_NODE) {
			for (yaml_node_item_t *a = alts->data.sequence.items.start;
			     a < alts->data.sequence.items.top && !ok; a++) {
				yaml_node_t *an = yaml_document_get_node(l->doc, *a);
				yaml_node_t *n2 = map_get(l, an, "name"), *v2 = map_get(l, an, "version");
				if (is_scalar(n2) && is_scalar(v2))
					ok = plugin_ok((const char *)n2->data.scalar.value,
						       (const char *)v2->data.scalar.value);
			}
		}
		if (!ok) {
			snprintf(msg, sizeof(msg),
				 "plugin `%s` version %s required by this file is not provided, "
				 "rules of its source will be skipped",
				 (const char *)name->data.scalar.value,
				 (const char *)ver->data.scalar.value);
			warn_at(l, p, NULL, NULL, msg);
		}
	}
}

/* ---------------------------------------------------------------- override */

enum ov { OV_NONE = 0, OV_APPEND, OV_REPLACE };

struct overrides {
	bool present;
	enum ov condition, output, desc, priority, tags, exceptions, enabled, items, source,
		skip_unknown;
};

static int load_override(struct ld *l, yaml_node_t *item, const char *kind, const char *name,
			 struct overrides *o)
{
	yaml_node_t *ov = map_get(l, item, "override");
	char msg[256];

	memset(o, 0, sizeof(*o));
	if (!ov)
		return 0;
	if (ov->type != YAML_MAPPING_NODE) {
		err_at(l, ov, kind, name, "Value of 'override' must be a mapping");
		return -EINVAL;
	}
	o->present = true;
	for (yaml_node_pair_t *p = ov->data.mapping.pairs.start; p < ov->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(l->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(l->doc, p->value);
		const char *key, *val;
		enum ov how;
		enum ov *slot = NULL;

		if (!is_scalar(k) || !is_scalar(v)) {
			err_at(l, ov, kind, name, "Keys and values of 'override' must be strings");
			return -EINVAL;
		}
		key = (const char *)k->data.scalar.value;
		val = (const char *)v->data.scalar.value;
		if (!strcmp(val, "append"))
			how = OV_APPEND;
		else if (!strcmp(val, "replace"))
			how = OV_REPLACE;
		else {
			snprintf(msg, sizeof(msg),
				 "Invalid override value `%s` for key `%s`: must be append or replace",
				 val, key);
			err_at(l, v, kind, name, msg);
			return -EINVAL;
		}
		if (!strcmp(kind, "list")) {
			if (!strcmp(key, "items"))
				slot = &o->items;
		} else if (!strcmp(kind, "macro")) {
			if (!strcmp(key, "condition"))
				slot = &o->condition;
		} else {
			if (!strcmp(key, "condition"))
				slot = &o->condition;
			else if (!strcmp(key, "output"))
				slot = &o->output;
			else if (!strcmp(key, "desc"))
				slot = &o->desc;
			else if (!strcmp(key, "tags"))
				slot = &o->tags;
			else if (!strcmp(key, "exceptions"))
				slot = &o->exceptions;
			else if (!strcmp(key, "priority") && how == OV_REPLACE)
				slot = &o->priority;
			else if (!strcmp(key, "enabled") && how == OV_REPLACE)
				slot = &o->enabled;
			else if (!strcmp(key, "source") && how == OV_REPLACE)
				slot = &o->source;
			else if (!strcmp(key, "skip-if-unknown-filter") && how == OV_REPLACE)
				slot = &o->skip_unknown;
		}
		if (!slot) {
			snprintf(msg, sizeof(msg), "Key `%s` cannot be overridden with %s", key, val);
			err_at(l, k, kind, name, msg);
			return -EINVAL;
		}
		if (!map_get(l, item, key)) {
			snprintf(msg, sizeof(msg),
				 "An override is defined for `%s` but the item has no such key", key);
			err_at(l, k, kind, name, msg);
			return -EINVAL;
		}
		*slot = how;
	}
	if (map_get(l, item, "append")) {
		err_at(l, ov, kind, name, "Keys 'override' and 'append: true' cannot be used together");
		return -EINVAL;
	}
	return 0;
}

static int get_append(struct ld *l, yaml_node_t *item, const char *kind, const char *name,
		      bool *ret)
{
	yaml_node_t *a = map_get(l, item, "append");

	*ret = false;
	if (a && parse_bool(a, ret) < 0) {
		err_at(l, a, kind, name, "Value of 'append' must be a boolean");
		return -EINVAL;
	}
	return 0;
}

static char *item_name(struct ld *l, yaml_node_t *item, const char *kind)
{
	yaml_node_t *n = map_get(l, item, kind);
	char msg[64];

	if (!is_scalar(n) || is_null(n)) {
		snprintf(msg, sizeof(msg), "Mapping for key '%s' is empty", kind);
		err_at(l, n ? n : item, kind, NULL, msg);
		return NULL;
	}
	return scalar(l, n);
}

static char *concat(struct ld *l, const char *a, const char *b)
{
	if (!a || !*a)
		return arena_strdup(&l->rs->arena, b);
	return arena_printf(&l->rs->arena, "%s %s", a, b);
}

/* ---------------------------------------------------------------- lists */

static void load_list(struct ld *l, yaml_node_t *item)
{
	char *name = item_name(l, item, "list");
	struct overrides ov;
	struct list_def *d, *prev;
	yaml_node_t *items;
	bool append;

	if (!name || load_override(l, item, "list", name, &ov) < 0 ||
	    get_append(l, item, "list", name, &append) < 0)
		return;
	items = map_get(l, item, "items");
	if (!items) {
		err_at(l, item, "list", name, "Item has no mapping for key 'items'");
		return;
	}
	d = arena_zalloc(&l->rs->arena, sizeof(*d));
	if (!d)
		return;
	if (!is_null(items) && string_seq(l, items, &d->items, false) < 0) {
		err_at(l, items, "list", name, "Value of 'items' must be a sequence of strings");
		return;
	}
	prev = bw_map_get(l->rs->list_by_name, name);
	if (append || ov.items == OV_APPEND) {
		if (!prev) {
			err_at(l, item, "list", name,
			       "List has 'append' key or an append override but no list by that "
			       "name already exists");
			return;
		}
		for (size_t i = 0; i < d->items.n; i++)
			ptrvec_push(&l->rs->arena, &prev->items, d->items.v[i]);
		return;
	}
	if (ov.items == OV_REPLACE) {
		if (!prev) {
			err_at(l, item, "list", name,
			       "An replace override is defined but no list by that name already "
			       "exists");
			return;
		}
		prev->items = d->items;
		return;
	}
	d->name = name;
	d->file = l->file;
	d->line = LINE(item);
	if (prev) {
		/* Redefinition: replaces the earlier list where it stood. */
		prev->items = d->items;
		prev->file = d->file;
		prev->line = d->line;
		return;
	}
	ptrvec_push(&l->rs->arena, &l->rs->lists, d);
	bw_map_put(l->rs->list_by_name, name, d);
}

/* ---------------------------------------------------------------- macros */

static void load_macro(struct ld *l, yaml_node_t *item)
{
	char *name = item_name(l, item, "macro");
	struct overrides ov;
	struct macro_def *d, *prev;
	yaml_node_t *cond;
	bool append;

	if (!name || load_override(l, item, "macro", name, &ov) < 0 ||
	    get_append(l, item, "macro", name, &append) < 0)
		return;
	cond = map_get(l, item, "condition");
	if (!cond || !is_scalar(cond)) {
		err_at(l, cond ? cond : item, "macro", name,
		       "Item has no mapping for key 'condition'");
		return;
	}
	prev = bw_map_get(l->rs->macro_by_name, name);
	if (append || ov.condition == OV_APPEND || ov.condition == OV_REPLACE) {
		if (!prev) {
			err_at(l, item, "macro", name,
			       "Macro has 'append' key or an override but no macro by that name "
			       "already exists");
			return;
		}
		prev->condition = ov.condition == OV_REPLACE ? scalar(l, cond)
							     : concat(l, prev->condition, scalar(l, cond));
		return;
	}
	if (prev) {
		prev->condition = scalar(l, cond);
		prev->file = l->file;
		prev->line = LINE(cond);
		return;
	}
	d = arena_zalloc(&l->rs->arena, sizeof(*d));
	if (!d)
		return;
	d->name = name;
	d->condition = scalar(l, cond);
	d->file = l->file;
	d->line = LINE(cond);
	ptrvec_push(&l->rs->arena, &l->rs->macros, d);
	bw_map_put(l->rs->macro_by_name, name, d);
}

/* ---------------------------------------------------------------- exceptions */

static const char *const valid_comps[] = { "=",	 "==",	   "!=",      "<",	    "<=",
					   ">",	 ">=",	   "in",      "intersects", "pmatch",
					   "contains", "icontains", "bcontains", "startswith",
					   "bstartswith", "endswith", "glob", "iglob", "regex" };

static bool comp_valid(const char *c)
{
	for (size_t i = 0; i < BW_ARRAY_SIZE(valid_comps); i++)
		if (!strcmp(c, valid_comps[i]))
			return true;
	return false;
}

/* One value cell: a scalar, or a sequence of scalars (a list value). */
static int load_cell(struct ld *l, yaml_node_t *n, struct exc_cell *c)
{
	struct ptrvec v = { 0 };

	if (is_scalar(n)) {
		c->is_list = false;
		ptrvec_push(&l->rs->arena, &v, scalar(l, n));
	} else if (n && n->type == YAML_SEQUENCE_NODE) {
		c->is_list = true;
		if (string_seq(l, n, &v, false) < 0)
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	c->items = (char **)v.v;
	c->nitems = (uint32_t)v.n;
	return 0;
}

static int load_values(struct ld *l, yaml_node_t *vals, struct exception_def *e, const char *rule)
{
	char msg[256];

	if (!vals || is_null(vals))
		return 0;
	if (vals->type != YAML_SEQUENCE_NODE) {
		err_at(l, vals, "rule", rule, "Exception values must be a sequence");
		return -EINVAL;
	}
	for (yaml_node_item_t *it = vals->data.sequence.items.start;
	     it < vals->data.sequence.items.top; it++) {
		yaml_node_t *rown = yaml_document_get_node(l->doc, *it);
		struct exc_row *row = arena_zalloc(&l->rs->arena, sizeof(*row));

		if (!row || !visit(l))
			return -ENOMEM;
		if (!e->fields_is_list) {
			/* Single-field form: each value is one cell. */
			row->cells = arena_zalloc(&l->rs->arena, sizeof(*row->cells));
			row->ncells = 1;
			if (!row->cells || load_cell(l, rown, &row->cells[0]) < 0) {
				err_at(l, rown, "rule", rule,
				       "Exception values must be strings or lists of strings");
				return -EINVAL;
			}
		} else {
			if (!rown || rown->type != YAML_SEQUENCE_NODE) {
				snprintf(msg, sizeof(msg),
					 "Expected values array for exception `%s` to contain a list of "
					 "values",
					 e->name);
				err_at(l, rown, "rule", rule, msg);
				return -EINVAL;
			}
			size_t n = (size_t)(rown->data.sequence.items.top -
					    rown->data.sequence.items.start);
			if (n != e->nfields) {
				snprintf(msg, sizeof(msg),
					 "Exception `%s`: fields and values lists do not have equal length",
					 e->name);
				err_at(l, rown, "rule", rule, msg);
				return -EINVAL;
			}
			row->cells = arena_zalloc(&l->rs->arena, n * sizeof(*row->cells) + 1);
			row->ncells = (uint32_t)n;
			for (size_t i = 0; i < n; i++) {
				yaml_node_t *c = yaml_document_get_node(
					l->doc, rown->data.sequence.items.start[i]);
				if (load_cell(l, c, &row->cells[i]) < 0) {
					err_at(l, c, "rule", rule,
					       "Exception values must be strings or lists of strings");
					return -EINVAL;
				}
			}
		}
		ptrvec_push(&l->rs->arena, &e->rows, row);
	}
	return 0;
}

static struct exception_def *find_exception(struct rule_def *r, const char *name)
{
	for (size_t i = 0; i < r->exceptions.n; i++) {
		struct exception_def *e = r->exceptions.v[i];
		if (!strcmp(e->name, name))
			return e;
	}
	return NULL;
}

/* Loads the exceptions of a rule item into r. When appending, an exception
 * whose name r already has only adds values. */
static int load_exceptions(struct ld *l, yaml_node_t *excs, struct rule_def *r, const char *rule,
			   bool appending)
{
	char msg[256];

	if (!excs || is_null(excs))
		return 0;
	if (excs->type != YAML_SEQUENCE_NODE) {
		err_at(l, excs, "rule", rule, "Rule exceptions must be a sequence");
		return -EINVAL;
	}
	for (yaml_node_item_t *it = excs->data.sequence.items.start;
	     it < excs->data.sequence.items.top; it++) {
		yaml_node_t *en = yaml_document_get_node(l->doc, *it);
		yaml_node_t *name = map_get(l, en, "name"), *fields = map_get(l, en, "fields");
		yaml_node_t *comps = map_get(l, en, "comps"), *vals = map_get(l, en, "values");
		struct exception_def *e, *prev;
		struct ptrvec fv = { 0 }, cv = { 0 };

		if (!en || en->type != YAML_MAPPING_NODE) {
			err_at(l, en, "rule", rule, "Rule exception must be a mapping");
			return -EINVAL;
		}
		if (!is_scalar(name) || is_null(name)) {
			err_at(l, en, "rule", rule, "Item has no mapping for key 'name'");
			return -EINVAL;
		}
		prev = appending ? find_exception(r, (const char *)name->data.scalar.value) : NULL;
		if (prev) {
			if (fields || comps) {
				snprintf(msg, sizeof(msg),
					 "Exception `%s` is appended to: only values may be given",
					 prev->name);
				err_at(l, en, "rule", rule, msg);
				return -EINVAL;
			}
			if (load_values(l, vals, prev, rule) < 0)
				return -EINVAL;
			continue;
		}
		if (!fields) {
			err_at(l, en, "rule", rule, "Item has no mapping for key 'fields'");
			return -EINVAL;
		}
		e = arena_zalloc(&l->rs->arena, sizeof(*e));
		if (!e)
			return -ENOMEM;
		e->name = scalar(l, name);
		e->line = LINE(en);
		e->fields_is_list = fields->type == YAML_SEQUENCE_NODE;
		if (string_seq(l, fields, &fv, true) < 0 || !fv.n) {
			err_at(l, fields, "rule", rule,
			       "Exception fields must be a field name or a sequence of them");
			return -EINVAL;
		}
		if (comps) {
			if (string_seq(l, comps, &cv, true) < 0 ||
			    (e->fields_is_list != (comps->type == YAML_SEQUENCE_NODE))) {
				err_at(l, comps, "rule", rule,
				       "Exception comps must have the same form as its fields");
				return -EINVAL;
			}
			if (cv.n != fv.n) {
				snprintf(msg, sizeof(msg),
					 "Exception `%s`: fields and comps lists do not have equal length",
					 e->name);
				err_at(l, comps, "rule", rule, msg);
				return -EINVAL;
			}
			for (size_t i = 0; i < cv.n; i++) {
				if (!comp_valid(cv.v[i])) {
					snprintf(msg, sizeof(msg),
						 "Exception `%s`: invalid comparison operator `%s`",
						 e->name, (char *)cv.v[i]);
					err_at(l, comps, "rule", rule, msg);
					return -EINVAL;
				}
			}
		} else {
			/* Default: "=" for each field of a list, "in" for a single field. */
			for (size_t i = 0; i < fv.n; i++)
				ptrvec_push(&l->rs->arena, &cv, e->fields_is_list ? "=" : "in");
		}
		e->fields = (char **)fv.v;
		e->nfields = (uint32_t)fv.n;
		e->comps = (char **)cv.v;
		if (load_values(l, vals, e, rule) < 0)
			return -EINVAL;
		ptrvec_push(&l->rs->arena, &r->exceptions, e);
	}
	return 0;
}

/* ---------------------------------------------------------------- rules */

static int load_tags(struct ld *l, yaml_node_t *n, struct ptrvec *out, const char *rule)
{
	if (!n || is_null(n))
		return 0;
	if (string_seq(l, n, out, false) < 0) {
		err_at(l, n, "rule", rule, "Rule tags must be a sequence of strings");
		return -EINVAL;
	}
	return 0;
}

static int load_priority(struct ld *l, yaml_node_t *n, struct rule_def *r, const char *rule)
{
	if (!is_scalar(n) ||
	    bw_priority_parse((const char *)n->data.scalar.value, &r->info.priority) < 0) {
		err_at(l, n, "rule", rule, "Invalid priority");
		return -EINVAL;
	}
	return 0;
}

static void rule_sync_info(struct rule_def *r)
{
	r->info.condition = r->condition;
	r->info.output = r->output;
	r->info.desc = r->desc;
	r->info.source = r->source;
	r->info.tags = (const char *const *)r->tags.v;
	r->info.ntags = r->tags.n;
	r->info.state = r->enabled ? BW_RULE_ACTIVE : BW_RULE_DISABLED;
}

/* Applies an append (or append overrides) to an existing rule. */
static void rule_append(struct ld *l, yaml_node_t *item, struct rule_def *prev, const char *name,
			const struct overrides *ov, bool legacy)
{
	yaml_node_t *n;

	if ((n = map_get(l, item, "condition")) && (legacy || ov->condition == OV_APPEND)) {
		if (!is_scalar(n)) {
			err_at(l, n, "rule", name, "Rule condition must be a string");
			return;
		}
		prev->condition = concat(l, prev->condition, scalar(l, n));
	}
	if ((n = map_get(l, item, "output")) && (legacy || ov->output == OV_APPEND) && is_scalar(n))
		prev->output = concat(l, prev->output, scalar(l, n));
	if ((n = map_get(l, item, "desc")) && (legacy || ov->desc == OV_APPEND) && is_scalar(n))
		prev->desc = concat(l, prev->desc, scalar(l, n));
	if ((n = map_get(l, item, "tags")) && (legacy || ov->tags == OV_APPEND))
		load_tags(l, n, &prev->tags, name);
	if ((n = map_get(l, item, "exceptions")) && (legacy || ov->exceptions == OV_APPEND))
		load_exceptions(l, n, prev, name, true);
}

static void rule_replace(struct ld *l, yaml_node_t *item, struct rule_def *prev, const char *name,
			 const struct overrides *ov)
{
	yaml_node_t *n;

	if (ov->condition == OV_REPLACE && (n = map_get(l, item, "condition"))) {
		prev->condition = scalar(l, n);
		prev->cond_line = LINE(n);
	}
	if (ov->output == OV_REPLACE && (n = map_get(l, item, "output")))
		prev->output = scalar(l, n);
	if (ov->desc == OV_REPLACE && (n = map_get(l, item, "desc")))
		prev->desc = scalar(l, n);
	if (ov->priority == OV_REPLACE && (n = map_get(l, item, "priority")))
		load_priority(l, n, prev, name);
	if (ov->tags == OV_REPLACE && (n = map_get(l, item, "tags"))) {
		memset(&prev->tags, 0, sizeof(prev->tags));
		load_tags(l, n, &prev->tags, name);
	}
	if (ov->exceptions == OV_REPLACE && (n = map_get(l, item, "exceptions"))) {
		memset(&prev->exceptions, 0, sizeof(prev->exceptions));
		load_exceptions(l, n, prev, name, false);
	}
	if (ov->enabled == OV_REPLACE && (n = map_get(l, item, "enabled")) &&
	    parse_bool(n, &prev->enabled) < 0)
		err_at(l, n, "rule", name, "Value of 'enabled' must be a boolean");
	if (ov->source == OV_REPLACE && (n = map_get(l, item, "source")))
		prev->source = scalar(l, n);
	if (ov->skip_unknown == OV_REPLACE && (n = map_get(l, item, "skip-if-unknown-filter")))
		parse_bool(n, &prev->skip_if_unknown_filter);
}

static void load_rule(struct ld *l, yaml_node_t *item)
{
	char *name = item_name(l, item, "rule");
	struct overrides ov;
	struct rule_def *r, *prev;
	yaml_node_t *n, *cond;
	bool append, any_override;
	int before = l->errors;

	if (!name || load_override(l, item, "rule", name, &ov) < 0 ||
	    get_append(l, item, "rule", name, &append) < 0)
		return;
	prev = bw_map_get(l->rs->rule_by_name, name);
	any_override = ov.present;
	if (append || any_override) {
		if (!prev) {
			err_at(l, item, "rule", name,
			       append ? "Rule has 'append' key but no rule by that name already exists"
				      : "Rule has an override but no rule by that name already "
					"exists");
			return;
		}
		if (append && !map_get(l, item, "condition") && !map_get(l, item, "exceptions") &&
		    !map_get(l, item, "output") && !map_get(l, item, "desc") &&
		    !map_get(l, item, "tags")) {
			err_at(l, item, "rule", name,
			       "Appended rule must have exceptions or condition property");
			return;
		}
		rule_append(l, item, prev, name, &ov, append);
		if (any_override)
			rule_replace(l, item, prev, name, &ov);
		/* enabled next to an append still toggles the rule */
		if (append && (n = map_get(l, item, "enabled")))
			parse_bool(n, &prev->enabled);
		rule_sync_info(prev);
		return;
	}
	cond = map_get(l, item, "condition");
	/* "- rule: X\n  enabled: B" alone toggles an existing rule. */
	if (!cond && (n = map_get(l, item, "enabled")) && !map_get(l, item, "output") &&
	    !map_get(l, item, "priority")) {
		if (!prev) {
			err_at(l, item, "rule", name,
			       "Rule has 'enabled' key but no rule by that name already exists");
			return;
		}
		if (parse_bool(n, &prev->enabled) < 0)
			err_at(l, n, "rule", name, "Value of 'enabled' must be a boolean");
		rule_sync_info(prev);
		return;
	}
	static const char *const required[] = { "condition", "output", "desc", "priority" };
	for (size_t i = 0; i < BW_ARRAY_SIZE(required); i++) {
		n = map_get(l, item, required[i]);
		if (!n || !is_scalar(n)) {
			char msg[64];
			snprintf(msg, sizeof(msg), "Item has no mapping for key '%s'", required[i]);
			err_at(l, n ? n : item, "rule", name, msg);
			return;
		}
	}
	r = arena_zalloc(&l->rs->arena, sizeof(*r));
	if (!r)
		return;
	r->info.name = name;
	r->info.file = l->file;
	r->info.line = LINE(item);
	r->condition = scalar(l, cond);
	r->cond_line = LINE(cond);
	r->output = scalar(l, map_get(l, item, "output"));
	r->desc = scalar(l, map_get(l, item, "desc"));
	r->enabled = true;
	r->source = "syscall";
	load_priority(l, map_get(l, item, "priority"), r, name);
	if ((n = map_get(l, item, "source")) && is_scalar(n) && !is_null(n))
		r->source = scalar(l, n);
	if ((n = map_get(l, item, "enabled")) && parse_bool(n, &r->enabled) < 0)
		err_at(l, n, "rule", name, "Value of 'enabled' must be a boolean");
	if ((n = map_get(l, item, "skip-if-unknown-filter")) &&
	    parse_bool(n, &r->skip_if_unknown_filter) < 0)
		err_at(l, n, "rule", name, "Value of 'skip-if-unknown-filter' must be a boolean");
	load_tags(l, map_get(l, item, "tags"), &r->tags, name);
	load_exceptions(l, map_get(l, item, "exceptions"), r, name, false);
	if (l->errors != before)
		return;
	rule_sync_info(r);
	if (prev) {
		/* A redefinition replaces the rule and keeps its place. */
		r->order = prev->order;
		for (size_t i = 0; i < l->rs->rules.n; i++)
			if (l->rs->rules.v[i] == prev)
				l->rs->rules.v[i] = r;
	} else {
		ptrvec_push(&l->rs->arena, &l->rs->rules, r);
	}
	bw_map_put(l->rs->rule_by_name, name, r);
}

/* ---------------------------------------------------------------- documents */

static void load_item(struct ld *l, yaml_node_t *item)
{
	yaml_node_t *v;

	if (!item || item->type != YAML_MAPPING_NODE) {
		err_at(l, item, NULL, NULL,
		       "Unexpected element type. Each element should be a yaml associative array.");
		return;
	}
	if ((v = map_get(l, item, "required_engine_version")))
		load_engine_version(l, item, v);
	else if ((v = map_get(l, item, "required_plugin_versions")))
		load_plugin_versions(l, item, v);
	else if (map_get(l, item, "list"))
		load_list(l, item);
	else if (map_get(l, item, "macro"))
		load_macro(l, item);
	else if (map_get(l, item, "rule"))
		load_rule(l, item);
	else
		warn_at(l, item, NULL, NULL, "Unknown top level object, ignoring");
}

int rs_load_yaml(struct bw_ruleset *rs, const char *file, const char *data, size_t len)
{
	struct ld l = { .rs = rs, .file = file };
	yaml_parser_t parser;
	int r = 0;

	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	rs->visits = 0;
	for (;;) {
		yaml_document_t doc;
		yaml_node_t *root;

		if (!yaml_parser_load(&parser, &doc)) {
			rs_diag(rs, BW_DIAG_ERROR, file, (unsigned)parser.problem_mark.line + 1,
				(unsigned)parser.problem_mark.column + 1, NULL, NULL,
				"cannot parse YAML: %s%s%s",
				parser.problem ? parser.problem : "syntax error",
				parser.context ? " " : "", parser.context ? parser.context : "");
			l.errors++;
			break;
		}
		root = yaml_document_get_root_node(&doc);
		if (!root) {
			yaml_document_delete(&doc);
			break;
		}
		l.doc = &doc;
		if (root->type == YAML_SEQUENCE_NODE) {
			for (yaml_node_item_t *it = root->data.sequence.items.start;
			     it < root->data.sequence.items.top; it++) {
				if (!visit(&l)) {
					err_at(&l, root, NULL, NULL,
					       "rules file is too complex (too many YAML nodes)");
					break;
				}
				load_item(&l, yaml_document_get_node(&doc, *it));
			}
		} else if (!is_null(root)) {
			err_at(&l, root, NULL, NULL, "Rules content is not yaml array of objects");
		}
		yaml_document_delete(&doc);
		if (rs->visits > BW_MAX_YAML_VISITS)
			break;
	}
	yaml_parser_delete(&parser);
	if (l.errors)
		r = -EINVAL;
	return r;
}
