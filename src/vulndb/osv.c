/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Advisory parsers: OSV records (https://ossf.github.io/osv-schema/) and
 * Alpine's secdb files. Both are untrusted input: every count and length is
 * capped, and a record that breaks the schema is rejected whole (never half
 * stored).
 */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/limits.h"
#include "bulwark/version.h"
#include "vulndb/parse.h"

#define ID_MAX 256u
#define NAME_MAX_LEN 1024u
/* Rejection warnings per document: a broken zip of 40,000 records should not
 * print 40,000 lines. */
#define WARN_MAX 20u

static const char *jstr(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

bool vdb_ecosystem_known(const char *eco)
{
	/* The ecosystems of the OSV schema (ecosystems.txt), as of schema 1.7. */
	static const char *const known[] = {
		"AlmaLinux", "Alpaquita", "Alpine", "Android", "BellSoft Hardened Containers",
		"Bioconductor", "Bitnami", "Chainguard", "ConanCenter", "CRAN", "crates.io", "Debian",
		"echo", "GHC", "GitHub Actions", "Go", "Hackage", "Hex", "Julia", "Kubernetes", "Linux",
		"Mageia", "Maven", "MinimOS", "npm", "NuGet", "openEuler", "openSUSE", "OSS-Fuzz",
		"Packagist", "Photon OS", "Pub", "PyPI", "Red Hat", "Rocky Linux", "RubyGems", "SUSE",
		"SwiftURL", "Ubuntu", "VSCode", "Wolfi", "GIT", "GSD", "UVI",
	};
	const char *colon = strchr(eco, ':');
	size_t n = colon ? (size_t)(colon - eco) : strlen(eco);

	for (size_t i = 0; i < BW_ARRAY_SIZE(known); i++)
		if (strlen(known[i]) == n && !memcmp(known[i], eco, n))
			return true;
	return false;
}

static bool valid_id(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("-_.:+", s[i]))
			return false;
	return true;
}

struct ctx {
	const char *name;
	vdb_record_fn fn;
	void *ud;
	struct bw_vulndb_stats *st;
	unsigned warned;
};

static void reject(struct ctx *c, const char *id, const char *fmt, const char *arg)
{
	c->st->rejected++;
	if (c->warned++ < WARN_MAX) {
		char why[512];

		snprintf(why, sizeof(why), fmt, arg ? arg : "");
		bw_log(BW_LOG_WARN, "%s: %s%s%s: %s, ignoring", c->name, id ? "`" : "", id ? id : "", id ? "`" : "",
		       why);
	} else if (c->warned == WARN_MAX + 1) {
		bw_log(BW_LOG_WARN, "%s: more records rejected; not naming each", c->name);
	}
}

/* ---------------------------------------------------------------- OSV */

struct aff_buf {
	struct vdb_affected *v;
	char **owned; /* strings to free: ranges and versions JSON */
	size_t n, n_owned;
};

static void aff_buf_done(struct aff_buf *b)
{
	for (size_t i = 0; i < b->n_owned; i++)
		free(b->owned[i]);
	free(b->owned);
	free(b->v);
}

static int own(struct aff_buf *b, char *s)
{
	char **n;

	if (!s)
		return -ENOMEM;
	n = realloc(b->owned, (b->n_owned + 1) * sizeof(*n));
	if (!n) {
		free(s);
		return -ENOMEM;
	}
	b->owned = n;
	b->owned[b->n_owned++] = s;
	return 0;
}

/*
 * Converts the ECOSYSTEM and SEMVER ranges of one affected entry to our
 * compact JSON. Returns 0 with *ret (NULL when there are none), 1 when the
 * entry breaks the schema (*ret_why says how, naming *ret_arg), -ENOMEM.
 * *ret_unparsable is set to the first version the ecosystem's scheme cannot
 * parse (when still NULL).
 */
static int ranges_json(json_t *aff, const char *eco, char **ret, const char **ret_why, const char **ret_arg,
		       const char **ret_unparsable)
{
	static const char *const keys[] = { "introduced", "fixed", "last_affected", "limit" };
	json_t *ranges = json_object_get(aff, "ranges"), *out, *r;
	enum bw_version_scheme scheme;
	bool have_scheme = bw_version_scheme_for_ecosystem(eco, &scheme) == 0;
	size_t i, j;
	int bad = 0;

	*ret = NULL;
	if (!ranges)
		return 0;
	if (!json_is_array(ranges) || json_array_size(ranges) > BW_MAX_OSV_AFFECTED) {
		*ret_why = "`ranges` is not a list%s";
		*ret_arg = "";
		return 1;
	}
	out = json_array();
	if (!out)
		return -ENOMEM;
	json_array_foreach(ranges, i, r) {
		const char *type = jstr(r, "type");
		json_t *events = json_object_get(r, "events"), *ev, *o;
		bool versioned;

		if (!type || !json_is_array(events) || json_array_size(events) == 0 ||
		    json_array_size(events) > BW_MAX_OSV_EVENTS) {
			*ret_why = "a range without a type or events%s";
			*ret_arg = "";
			bad = 1;
			break;
		}
		if (strcmp(type, "ECOSYSTEM") && strcmp(type, "SEMVER") && strcmp(type, "GIT")) {
			*ret_why = "unknown range type `%s`";
			*ret_arg = type;
			bad = 1;
			break;
		}
		/* GIT ranges name commits, not versions: not ours to evaluate. */
		versioned = strcmp(type, "GIT") != 0;
		o = versioned ? json_array() : NULL;
		json_array_foreach(events, j, ev) {
			size_t found = 0;

			if (!json_is_object(ev)) {
				*ret_why = "an event that is not an object%s";
				*ret_arg = "";
				bad = 1;
				break;
			}
			for (size_t k = 0; k < BW_ARRAY_SIZE(keys); k++) {
				json_t *jv = json_object_get(ev, keys[k]);
				const char *v;

				if (!jv)
					continue;
				found++;
				v = json_string_value(jv);
				if (!v || !*v || strlen(v) > BW_MAX_VERSION_LEN) {
					*ret_why = "event `%s` without a version string";
					*ret_arg = keys[k];
					bad = 1;
					break;
				}
				if (!versioned)
					continue;
				/* Real data holds versions its own scheme does not parse
				 * (Alpine `1.9.5p2-r0`, npm `4.0`): the record is kept, since
				 * its other facts hold, and the caller warns. */
				if (have_scheme && !*ret_unparsable && !(k == 0 && !strcmp(v, "0")) &&
				    !(k == 3 && !strcmp(v, "*")) && !bw_version_valid(scheme, v))
					*ret_unparsable = v;
				if (json_array_append_new(o, json_pack("[ss]", keys[k], v)) < 0) {
					bad = -ENOMEM;
					break;
				}
			}
			if (!bad && found != 1) {
				*ret_why = "an event with %s one of introduced, fixed, last_affected, limit";
				*ret_arg = found ? "more than" : "none of";
				bad = 1;
			}
			if (bad)
				break;
		}
		if (bad) {
			json_decref(o);
			break;
		}
		if (o && json_array_append_new(out, o) < 0) {
			bad = -ENOMEM;
			break;
		}
	}
	if (!bad && json_array_size(out) > 0) {
		*ret = json_dumps(out, JSON_COMPACT);
		if (!*ret)
			bad = -ENOMEM;
	}
	json_decref(out);
	return bad;
}

/* Appends the strings of arr (aliases or upstream) not yet in out. */
static void add_ids(json_t *out, json_t *arr)
{
	size_t i, j;
	json_t *v, *w;

	json_array_foreach(arr, i, v) {
		bool dup = false;

		if (!json_is_string(v) || !valid_id(json_string_value(v)) || json_array_size(out) >= 1024)
			continue;
		json_array_foreach(out, j, w)
			if (json_equal(v, w))
				dup = true;
		if (!dup)
			json_array_append(out, v);
	}
}

static bool has_string(json_t *arr, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
		if (json_is_string(v) && !strcmp(json_string_value(v), s))
			return true;
	return false;
}

static int parse_osv(struct ctx *c, json_t *rec, struct bw_error **err)
{
	json_t *affected, *aff, *sev, *s, *ds, *ids;
	const char *id, *cvss3 = NULL, *cvss4 = NULL, *ubuntu = NULL, *unparsable = NULL, *unparsable_eco = NULL;
	struct aff_buf b = { 0 };
	char *aliases = NULL;
	size_t i;
	int r = 0;

	if (!json_is_object(rec)) {
		reject(c, NULL, "not an OSV record (not a JSON object)%s", NULL);
		return 0;
	}
	id = jstr(rec, "id");
	if (!valid_id(id)) {
		reject(c, NULL, "not an OSV record (no valid `id`)%s", NULL);
		return 0;
	}
	affected = json_object_get(rec, "affected");
	if (affected && (!json_is_array(affected) || json_array_size(affected) > BW_MAX_OSV_AFFECTED)) {
		reject(c, id, "`affected` is not a list of at most 4096 entries%s", NULL);
		return 0;
	}
	if (json_object_get(rec, "withdrawn")) {
		c->st->skipped++;
		return 0;
	}
	sev = json_object_get(rec, "severity");
	json_array_foreach(sev, i, s) {
		const char *t = jstr(s, "type"), *score = jstr(s, "score");

		if (!t || !score)
			continue;
		if (!strcmp(t, "CVSS_V3") && !cvss3)
			cvss3 = score;
		else if (!strcmp(t, "CVSS_V4") && !cvss4)
			cvss4 = score;
		else if (!strcmp(t, "Ubuntu") && !ubuntu)
			ubuntu = score;
	}
	ds = json_object_get(rec, "database_specific");

	b.v = calloc(json_array_size(affected) + 1, sizeof(*b.v));
	if (!b.v)
		return -ENOMEM;
	json_array_foreach(affected, i, aff) {
		json_t *pkg = json_object_get(aff, "package"), *vers = json_object_get(aff, "versions");
		json_t *es = json_object_get(aff, "ecosystem_specific");
		const char *eco = jstr(pkg, "ecosystem"), *pname = jstr(pkg, "name"), *why = NULL, *arg = NULL;
		char *rj = NULL, *vj = NULL;
		struct vdb_affected *a;

		if (!json_is_object(aff) || !eco || !pname || !*pname || strlen(pname) > NAME_MAX_LEN ||
		    strlen(eco) > 128) {
			reject(c, id, "an affected entry without package ecosystem and name%s", NULL);
			goto out;
		}
		if (!vdb_ecosystem_known(eco)) {
			reject(c, id, "unknown ecosystem `%s`", eco);
			goto out;
		}
		r = ranges_json(aff, eco, &rj, &why, &arg, &unparsable);
		if (unparsable && !unparsable_eco)
			unparsable_eco = eco;
		if (r < 0)
			goto out;
		if (r > 0) {
			r = 0;
			reject(c, id, why, arg);
			goto out;
		}
		if (rj && (r = own(&b, rj)) < 0)
			goto out;
		if (vers && (!json_is_array(vers) || json_array_size(vers) > BW_MAX_OSV_VERSIONS)) {
			reject(c, id, "`versions` is not a list of at most 65536 strings%s", NULL);
			goto out;
		}
		if (json_array_size(vers) > 0) {
			size_t k;
			json_t *v;

			json_array_foreach(vers, k, v)
				if (!json_is_string(v)) {
					reject(c, id, "`versions` holds something that is not a string%s", NULL);
					goto out;
				}
			vj = json_dumps(vers, JSON_COMPACT);
			if ((r = own(&b, vj)) < 0)
				goto out;
		}
		if (!rj && !vj)
			continue;
		a = &b.v[b.n++];
		a->ecosystem = eco;
		a->package = pname;
		a->ranges = rj;
		a->versions = vj;
		a->urgency = jstr(es, "urgency");
		if (!a->urgency)
			a->urgency = jstr(es, "severity");
		if (!a->urgency && ubuntu && bw_startswith(eco, "Ubuntu"))
			a->urgency = ubuntu;
	}
	if (!b.n) {
		c->st->skipped++;
		goto out;
	}
	if (unparsable) {
		c->st->unparsable++;
		if (c->warned++ < WARN_MAX)
			bw_log(BW_LOG_WARN, "%s: `%s`: version `%s` does not parse as a %s version; kept, but ranges "
					    "with it cannot be fully evaluated", c->name, id, unparsable, unparsable_eco);
	}
	ids = json_array();
	if (!ids) {
		r = -ENOMEM;
		goto out;
	}
	add_ids(ids, json_object_get(rec, "aliases"));
	add_ids(ids, json_object_get(rec, "upstream"));
	if (json_array_size(ids))
		aliases = json_dumps(ids, JSON_COMPACT);
	json_decref(ids);
	{
		struct vdb_record vr = {
			.id = id,
			.aliases = aliases,
			.summary = jstr(rec, "summary"),
			.cvss3 = cvss3,
			.cvss4 = cvss4,
			.rating = jstr(ds, "severity"),
			.published = jstr(rec, "published"),
			.modified = jstr(rec, "modified"),
			.malicious = bw_startswith(id, "MAL-") || json_object_get(ds, "malicious-packages-origins") ||
				     has_string(json_object_get(ds, "cwe_ids"), "CWE-506"),
			.aff = b.v,
			.n_aff = b.n,
		};

		r = c->fn(&vr, c->ud, err);
	}
out:
	free(aliases);
	aff_buf_done(&b);
	return r;
}

/* ---------------------------------------------------------------- secdb */

/* Ids we recognise in a secfixes entry ("CVE-2016-9932 XSA-200",
 * "CVE-2020-1 (partial)"): a known prefix followed by digits or, for GHSA
 * and wnpa-sec, its own shape. */
static bool secdb_id(const char *t)
{
	static const char *const prefixes[] = { "XSA-",	 "GHSA-",     "RUSTSEC-", "ALPINE-",
						"ZBX-", "ZDI-CAN-", "wnpa-sec-", "GO-",	     "PYSEC-" };

	for (size_t i = 0; i < BW_ARRAY_SIZE(prefixes); i++) {
		size_t n = strlen(prefixes[i]);
		const char *p = t + n;

		if (strncmp(t, prefixes[i], n))
			continue;
		if (!*p || !valid_id(t))
			return false;
		if (!strcmp(prefixes[i], "GHSA-"))
			return strlen(p) == 14;
		for (; *p; p++)
			if (!isdigit((unsigned char)*p) && *p != '-')
				return false;
		return true;
	}
	return false;
}

/* The CVE id a token starts with ("CVE-2021-35940.patch", "CVE-2017-17434-1"
 * name CVE-2021-35940 and CVE-2017-17434): its length, or 0. */
static size_t cve_prefix(const char *t)
{
	size_t i = 4, d;

	if (strncmp(t, "CVE-", 4))
		return 0;
	for (d = 0; isdigit((unsigned char)t[i]); i++, d++)
		;
	if (d != 4 || t[i] != '-')
		return 0;
	for (i++, d = 0; isdigit((unsigned char)t[i]); i++, d++)
		;
	return d >= 4 && d <= 19 ? i : 0;
}

static int secdb_emit(struct ctx *c, const char *eco, const char *pkg, const char *fixed, const char *rid,
		      const char *aliases, struct bw_error **err)
{
	_cleanup_free_ char *ranges = NULL;
	json_t *rj = json_pack("[[[ss][ss]]]", "introduced", "0", "fixed", fixed);
	struct vdb_affected a = { .ecosystem = eco, .package = pkg };
	struct vdb_record vr = { .id = rid, .aliases = aliases, .aff = &a, .n_aff = 1 };

	ranges = rj ? json_dumps(rj, JSON_COMPACT) : NULL;
	json_decref(rj);
	if (!ranges)
		return -ENOMEM;
	a.ranges = ranges;
	return c->fn(&vr, c->ud, err);
}

/*
 * One secfixes entry ("CVE-2016-9932 XSA-200", "CVE-2020-1 (partial)"), as
 * OSV converts it: every CVE it names becomes a record, ALPINE-<CVE>, whose
 * aliases are the CVE and the entry's other ids; an entry without a CVE
 * becomes one record for its first id (Alpine's own ALPINE-NNNNN kept as
 * is). Returns 1 when the entry names no id.
 */
static int secdb_entry(struct ctx *c, const char *eco, const char *pkg, const char *fixed, const char *entry,
		       bool alpine, struct bw_error **err)
{
	char copy[512], cves[16][24], others[16][64], *save = NULL, *tok;
	size_t n_cve = 0, n_other = 0;
	int r = 0;

	if (strlen(entry) >= sizeof(copy))
		return 1;
	strcpy(copy, entry);
	for (tok = strtok_r(copy, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		size_t n = cve_prefix(tok);

		if (n && n < sizeof(cves[0]) && n_cve < BW_ARRAY_SIZE(cves))
			snprintf(cves[n_cve++], sizeof(cves[0]), "%.*s", (int)n, tok);
		else if (!n && secdb_id(tok) && strlen(tok) < sizeof(others[0]) && n_other < BW_ARRAY_SIZE(others))
			snprintf(others[n_other++], sizeof(others[0]), "%s", tok);
	}
	if (!n_cve && !n_other)
		return 1;
	for (size_t i = 0; i < (n_cve ? n_cve : 1) && r >= 0; i++) {
		const char *primary = n_cve ? cves[i] : others[0];
		_cleanup_free_ char *rid = NULL, *aliases = NULL;
		json_t *al = json_array();

		if (!al || asprintf(&rid, "%s%s", alpine && !bw_startswith(primary, "ALPINE-") ? "ALPINE-" : "",
				    primary) < 0) {
			json_decref(al);
			return -ENOMEM;
		}
		if (strcmp(rid, primary))
			json_array_append_new(al, json_string(primary));
		for (size_t j = n_cve ? 0 : 1; j < n_other; j++)
			json_array_append_new(al, json_string(others[j]));
		if (json_array_size(al))
			aliases = json_dumps(al, JSON_COMPACT);
		json_decref(al);
		r = secdb_emit(c, eco, pkg, fixed, rid, aliases, err);
	}
	return r < 0 ? r : 0;
}

static int parse_secdb(struct ctx *c, json_t *doc, struct bw_error **err)
{
	const char *dv = jstr(doc, "distroversion"), *repo = jstr(doc, "reponame");
	json_t *pkgs = json_object_get(doc, "packages"), *p;
	char eco[64];
	bool alpine;
	size_t i;

	if (repo && !strcmp(repo, "wolfi")) {
		snprintf(eco, sizeof(eco), "Wolfi");
		alpine = false;
	} else if (dv && strlen(dv) < 32 && (!strcmp(dv, "edge") || (dv[0] == 'v' && isdigit((unsigned char)dv[1])))) {
		snprintf(eco, sizeof(eco), "Alpine:%s", dv);
		alpine = true;
	} else {
		reject(c, NULL, "a secdb file without a valid `distroversion`%s", NULL);
		return 0;
	}
	if (json_array_size(pkgs) > BW_MAX_ZIP_ENTRIES) {
		reject(c, NULL, "a secdb file with too many packages%s", NULL);
		return 0;
	}
	json_array_foreach(pkgs, i, p) {
		json_t *pkg = json_object_get(p, "pkg"), *fixes = json_object_get(pkg, "secfixes"), *list;
		const char *name = jstr(pkg, "name"), *ver;

		if (!name || !*name || strlen(name) > NAME_MAX_LEN || (fixes && !json_is_object(fixes))) {
			reject(c, NULL, "a secdb package without a name or with bad secfixes%s", NULL);
			continue;
		}
		json_object_foreach(fixes, ver, list) {
			size_t j;
			json_t *e;

			/* "0": the package was never affected (Alpine's convention). */
			if (!strcmp(ver, "0"))
				continue;
			if (!*ver || strlen(ver) > BW_MAX_VERSION_LEN) {
				reject(c, name, "a secfixes version that is empty or longer than 1024 bytes%s", NULL);
				continue;
			}
			/* As for OSV records: secdb holds versions apk does not parse
			 * (`6.6.2p1-r0`, `10.0.11-0`); kept, with a warning. */
			if (!bw_version_valid(BW_VS_APK, ver)) {
				c->st->unparsable++;
				if (c->warned++ < WARN_MAX)
					bw_log(BW_LOG_WARN, "%s: `%s`: fixed version `%s` does not parse as an apk "
							    "version; kept, but it cannot be compared", c->name, name, ver);
			}
			if (list && !json_is_array(list)) {
				reject(c, name, "secfixes of `%s` is not a list", ver);
				continue;
			}
			json_array_foreach(list, j, e) {
				int r;

				if (!json_is_string(e)) {
					reject(c, name, "a secfixes entry of `%s` is not a string", ver);
					continue;
				}
				r = secdb_entry(c, eco, name, ver, json_string_value(e), alpine, err);
				if (r < 0)
					return r;
				if (r > 0)
					c->st->skipped++;
			}
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- entry */

int vdb_parse(const char *buf, size_t len, const char *name, vdb_record_fn fn, void *ud,
	      struct bw_vulndb_stats *st, struct bw_error **err)
{
	struct ctx c = { .name = name, .fn = fn, .ud = ud, .st = st };
	json_error_t je;
	json_t *doc;
	int r = 0;

	doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!doc) {
		st->rejected++;
		bw_log(BW_LOG_WARN, "%s: line %d: not JSON (%s), ignoring", name, je.line, je.text);
		return 0;
	}
	if (json_is_array(doc)) {
		size_t i;
		json_t *rec;

		if (json_array_size(doc) > BW_MAX_ZIP_ENTRIES) {
			reject(&c, NULL, "more than %s records in one file", "500000");
		} else {
			json_array_foreach(doc, i, rec) {
				r = parse_osv(&c, rec, err);
				if (r < 0)
					break;
			}
		}
	} else if (json_is_object(doc) && !json_object_get(doc, "id") && json_is_array(json_object_get(doc, "packages"))) {
		r = parse_secdb(&c, doc, err);
	} else {
		r = parse_osv(&c, doc, err);
	}
	json_decref(doc);
	return r;
}
