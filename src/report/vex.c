/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/report.h"
#include "bulwark/sbom.h"

/*
 * OpenVEX reader. A document is {"@context": "https://openvex.dev/ns/...",
 * "statements": [...]}; a statement names a vulnerability (v0.2.0: an
 * object with name, @id and aliases; v0.0.x: a string), products (v0.2.0:
 * objects with @id, identifiers.purl and subcomponents; v0.0.x: strings,
 * with subcomponents beside them) and a status.
 */

struct stmt {
	struct bw_vex_statement pub;
	char **strs; /* every string the statement owns, for freeing */
	size_t n_strs;
};

struct bw_vex {
	struct stmt *v;
	size_t n, alloc;
	char **docs; /* file names */
	size_t n_docs;
};

struct bw_vex *bw_vex_new(void)
{
	return calloc(1, sizeof(struct bw_vex));
}

static void stmt_done(struct stmt *s)
{
	for (size_t i = 0; i < s->n_strs; i++)
		free(s->strs[i]);
	free(s->strs);
	free((void *)s->pub.aliases);
	free((void *)s->pub.products);
	free((void *)s->pub.subcomponents);
}

struct bw_vex *bw_vex_free(struct bw_vex *v)
{
	if (!v)
		return NULL;
	for (size_t i = 0; i < v->n; i++)
		stmt_done(&v->v[i]);
	for (size_t i = 0; i < v->n_docs; i++)
		free(v->docs[i]);
	free(v->docs);
	free(v->v);
	free(v);
	return NULL;
}

size_t bw_vex_count(const struct bw_vex *v)
{
	return v ? v->n : 0;
}

/* Keeps a copy of s in st; NULL on -ENOMEM. */
static const char *keep(struct stmt *st, const char *s)
{
	char **nv = realloc(st->strs, (st->n_strs + 1) * sizeof(*nv));
	char *c;

	if (!nv)
		return NULL;
	st->strs = nv;
	c = strdup(s);
	if (!c)
		return NULL;
	nv[st->n_strs++] = c;
	return c;
}

/* Appends a copy of s to the list *v (*n long). */
static int push(struct stmt *st, const char *const **v, size_t *n, const char *s)
{
	const char **nv = realloc((void *)*v, (*n + 1) * sizeof(*nv));
	const char *c;

	if (!nv)
		return -ENOMEM;
	*v = nv;
	c = keep(st, s);
	if (!c)
		return -ENOMEM;
	nv[(*n)++] = c;
	return 0;
}

static const char *str_of(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_string(v) && json_string_length(v) ? json_string_value(v) : NULL;
}

/* A product or subcomponent: a string (v0.0.x), or an object with @id
 * and identifiers.purl (v0.2.0). Both names are added. */
static int push_component(struct stmt *st, const char *const **v, size_t *n, json_t *c)
{
	const char *id, *purl;
	int r = 0;

	if (json_is_string(c))
		return json_string_length(c) ? push(st, v, n, json_string_value(c)) : 0;
	if (!json_is_object(c))
		return -EBADMSG;
	id = str_of(c, "@id");
	purl = str_of(json_object_get(c, "identifiers"), "purl");
	if (id)
		r = push(st, v, n, id);
	if (r == 0 && purl && (!id || strcmp(id, purl)))
		r = push(st, v, n, purl);
	return r;
}

static bool known_status(const char *s)
{
	return !strcmp(s, "not_affected") || !strcmp(s, "affected") || !strcmp(s, "fixed") ||
	       !strcmp(s, "under_investigation");
}

/* Fills st from statement j; a message in why on -EBADMSG. */
static int parse_stmt(json_t *j, struct stmt *st, const char **why)
{
	json_t *vuln = json_object_get(j, "vulnerability"), *prods = json_object_get(j, "products"), *e, *s;
	const char *status = str_of(j, "status"), *name = NULL, *id = NULL, *just = str_of(j, "justification");
	size_t i, k;
	int r = 0;

	if (!json_is_object(j))
		return *why = "a statement is not an object", -EBADMSG;
	if (json_is_string(vuln)) {
		name = json_string_value(vuln);
	} else if (json_is_object(vuln)) {
		name = str_of(vuln, "name");
		id = str_of(vuln, "@id");
	}
	if (!name)
		name = id, id = NULL;
	if (!name || !*name)
		return *why = "no vulnerability name", -EBADMSG;
	if (!status)
		return *why = "no status", -EBADMSG;
	if (!known_status(status))
		return *why = "unknown status (not_affected, affected, fixed, under_investigation)", -EBADMSG;
	if (!json_is_array(prods) || !json_array_size(prods))
		return *why = "no products", -EBADMSG;

	st->pub.vulnerability = keep(st, name);
	st->pub.status = keep(st, status);
	if (!st->pub.vulnerability || !st->pub.status)
		return -ENOMEM;
	if (just && !(st->pub.justification = keep(st, just)))
		return -ENOMEM;
	if (id)
		r = push(st, &st->pub.aliases, &st->pub.n_aliases, id);
	json_array_foreach(json_object_get(vuln, "aliases"), i, e)
		if (r == 0 && json_is_string(e) && json_string_length(e))
			r = push(st, &st->pub.aliases, &st->pub.n_aliases, json_string_value(e));
	json_array_foreach(prods, i, e) {
		if (r == 0)
			r = push_component(st, &st->pub.products, &st->pub.n_products, e);
		json_array_foreach(json_object_get(e, "subcomponents"), k, s)
			if (r == 0)
				r = push_component(st, &st->pub.subcomponents, &st->pub.n_subcomponents, s);
	}
	/* v0.0.x kept subcomponents beside the products. */
	json_array_foreach(json_object_get(j, "subcomponents"), i, e)
		if (r == 0)
			r = push_component(st, &st->pub.subcomponents, &st->pub.n_subcomponents, e);
	if (r == -EBADMSG)
		*why = "a product or subcomponent is neither a string nor an object";
	if (r == 0 && !st->pub.n_products)
		return *why = "no product has an @id or a purl", -EBADMSG;
	return r;
}

int bw_vex_load(struct bw_vex *v, const char *path, const char *data, size_t len, struct bw_error **err)
{
	json_error_t je;
	json_t *doc, *stmts, *e;
	const char *ctx, *why = NULL, *docname;
	size_t start = v->n, i;
	char **nd;
	int r = 0;

	if (len > BW_MAX_VEX_SIZE)
		return bw_error_set(err, -EFBIG, "VEX `%s`: larger than %u MiB", path, BW_MAX_VEX_SIZE >> 20);
	doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
	if (!doc)
		return bw_error_set(err, -EBADMSG, "VEX `%s`: line %d, column %d: %s", path, je.line, je.column,
				    je.text);
	ctx = str_of(doc, "@context");
	stmts = json_object_get(doc, "statements");
	if (!json_is_object(doc) || !ctx || strncmp(ctx, "https://openvex.dev/ns", 22)) {
		json_decref(doc);
		return bw_error_set(err, -EBADMSG, "VEX `%s`: not an OpenVEX document (no @context "
						   "https://openvex.dev/ns/...)", path);
	}
	if (!json_is_array(stmts)) {
		json_decref(doc);
		return bw_error_set(err, -EBADMSG, "VEX `%s`: no statements array", path);
	}
	if (json_array_size(stmts) > BW_MAX_VEX_STATEMENTS || v->n + json_array_size(stmts) > BW_MAX_VEX_STATEMENTS) {
		json_decref(doc);
		return bw_error_set(err, -E2BIG, "VEX `%s`: more than %u statements", path, BW_MAX_VEX_STATEMENTS);
	}
	nd = realloc(v->docs, (v->n_docs + 1) * sizeof(*nd));
	if (!nd || !(docname = strdup(path))) {
		if (nd)
			v->docs = nd;
		json_decref(doc);
		return bw_error_set(err, -ENOMEM, "VEX `%s`: out of memory", path);
	}
	v->docs = nd;
	nd[v->n_docs++] = (char *)docname;
	json_array_foreach(stmts, i, e) {
		struct stmt st = { .pub = { .document = docname, .line = (int)i + 1 } };

		if (v->n == v->alloc) {
			size_t na = v->alloc ? v->alloc * 2 : 16;
			struct stmt *nv = realloc(v->v, na * sizeof(*nv));
			if (!nv) {
				r = -ENOMEM;
				break;
			}
			v->v = nv;
			v->alloc = na;
		}
		r = parse_stmt(e, &st, &why);
		if (r < 0) {
			stmt_done(&st);
			break;
		}
		v->v[v->n++] = st;
	}
	json_decref(doc);
	if (r < 0) {
		for (size_t k = start; k < v->n; k++)
			stmt_done(&v->v[k]);
		v->n = start;
		if (r == -EBADMSG)
			return bw_error_set(err, r, "VEX `%s`: statement %zu: %s", path, i + 1, why);
		return bw_error_set(err, r, "VEX `%s`: out of memory", path);
	}
	return 0;
}

bool bw_vex_suppresses(const struct bw_vex_statement *s)
{
	return s && (!strcmp(s->status, "not_affected") || !strcmp(s->status, "fixed"));
}

/* ---------------------------------------------------------------- PURLs */

/* bw_purl_parse, with pypi names normalised as the spec asks. */
static int purl_parse(const char *s, struct bw_purl *p)
{
	int r = bw_purl_parse(s, p);

	if (r == 0 && !strcmp(p->type, "pypi"))
		for (char *c = p->name; *c; c++)
			*c = *c == '_' || *c == '.' ? '-' : (char)tolower((unsigned char)*c);
	return r;
}

static bool str_eq(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

bool bw_purl_matches(const char *want, const char *have)
{
	struct bw_purl w, h;
	bool ok;

	if (purl_parse(want, &w) < 0)
		return false;
	if (purl_parse(have, &h) < 0) {
		bw_purl_done(&w);
		return false;
	}
	ok = !strcmp(w.type, h.type) && str_eq(w.ns, h.ns) && !strcmp(w.name, h.name) &&
	     (!w.version || !*w.version || str_eq(w.version, h.version));
	/* Each of want's qualifiers, with the same value in have. */
	for (const char *q = w.quals; ok && q && *q;) {
		size_t n = strcspn(q, "&");
		const char *eq = memchr(q, '=', n);

		if (eq) {
			_cleanup_free_ char *key = strndup(q, (size_t)(eq - q));
			_cleanup_free_ char *a = key ? bw_purl_qualifier(&w, key) : NULL;
			_cleanup_free_ char *b = key ? bw_purl_qualifier(&h, key) : NULL;
			ok = a && b && !strcmp(a, b);
		}
		q += n;
		if (*q)
			q++;
	}
	bw_purl_done(&w);
	bw_purl_done(&h);
	return ok;
}

/* ---------------------------------------------------------------- matching */

bool bw_finding_has_id(const struct bw_finding *f, const char *id)
{
	size_t n = strlen(id);

	if (!n)
		return false;
	if (!strcmp(f->id, id))
		return true;
	/* Aliases are the JSON array of strings as stored: look for "ID". */
	for (const char *s = f->aliases; s && (s = strstr(s, id)); s += n)
		if (s > f->aliases && s[-1] == '"' && s[n] == '"')
			return true;
	return false;
}

static bool stmt_names(const struct bw_vex_statement *s, const struct bw_finding *f)
{
	if (bw_finding_has_id(f, s->vulnerability))
		return true;
	for (size_t i = 0; i < s->n_aliases; i++)
		if (bw_finding_has_id(f, s->aliases[i]))
			return true;
	return false;
}

/* A product or subcomponent that names a package: a PURL matching the
 * finding's. */
static bool names_pkg(const char *c, const struct bw_finding *f)
{
	return f->purl && bw_purl_matches(c, f->purl);
}

static bool names_target(const char *c, const char *const *targets, size_t n)
{
	struct bw_purl p;
	bool oci = false;

	/* pkg:oci/NAME@sha256%3A... names the image by its digest, whatever
	 * its name and repository_url say. */
	if (purl_parse(c, &p) == 0) {
		for (size_t i = 0; i < n && !strcmp(p.type, "oci") && p.version; i++)
			oci = oci || (targets[i] && !strcmp(p.version, targets[i]));
		bw_purl_done(&p);
		if (oci)
			return true;
	}
	for (size_t i = 0; i < n; i++) {
		if (!targets[i])
			continue;
		if (!strcmp(c, targets[i]))
			return true;
		if (!strncmp(c, "pkg:", 4) && !strncmp(targets[i], "pkg:", 4) && bw_purl_matches(c, targets[i]))
			return true;
	}
	return false;
}

static bool stmt_covers(const struct bw_vex_statement *s, const struct bw_finding *f,
			const char *const *targets, size_t n_targets)
{
	for (size_t i = 0; i < s->n_products; i++) {
		if (names_pkg(s->products[i], f))
			return true;
		if (!names_target(s->products[i], targets, n_targets))
			continue;
		if (!s->n_subcomponents)
			return true;
		for (size_t k = 0; k < s->n_subcomponents; k++)
			if (names_pkg(s->subcomponents[k], f))
				return true;
	}
	return false;
}

const struct bw_vex_statement *bw_vex_find(const struct bw_vex *v, const struct bw_finding *f,
					   const char *const *targets, size_t n_targets)
{
	for (size_t i = v ? v->n : 0; i-- > 0;) {
		const struct bw_vex_statement *s = &v->v[i].pub;

		if (stmt_names(s, f) && stmt_covers(s, f, targets, n_targets))
			return s;
	}
	return NULL;
}
