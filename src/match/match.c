/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Matching packages to advisories. Each package is turned into the key the
 * advisory data uses (ecosystem, package name, version): Debian binary
 * packages become their source package and source version in the
 * release's ecosystem, PyPI names are normalised per PEP 503, and so on.
 * Then every affected entry of that key is evaluated with the ecosystem's
 * version scheme.
 */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/limits.h"
#include "bulwark/match.h"
#include "bulwark/version.h"

/* ---------------------------------------------------------------- names */

static const char *const sev_names[BW_VSEV_COUNT] = {
	[BW_VSEV_UNKNOWN] = "UNKNOWN", [BW_VSEV_NEGLIGIBLE] = "NEGLIGIBLE", [BW_VSEV_LOW] = "LOW",
	[BW_VSEV_MEDIUM] = "MEDIUM",   [BW_VSEV_HIGH] = "HIGH",		  [BW_VSEV_CRITICAL] = "CRITICAL",
};

const char *bw_vuln_severity_name(enum bw_vuln_severity s)
{
	return (unsigned)s < BW_VSEV_COUNT ? sev_names[s] : "UNKNOWN";
}

int bw_vuln_severity_parse(const char *s, enum bw_vuln_severity *ret)
{
	for (size_t i = 0; i < BW_VSEV_COUNT; i++)
		if (!strcasecmp(s, sev_names[i])) {
			*ret = (enum bw_vuln_severity)i;
			return 0;
		}
	return -EINVAL;
}

const char *bw_match_status_name(enum bw_match_status s)
{
	switch (s) {
	case BW_STATUS_FIXED:
		return "fixed";
	case BW_STATUS_AFFECTED:
		return "affected";
	case BW_STATUS_END_OF_LIFE:
		return "end-of-life";
	}
	return "affected";
}

/* ---------------------------------------------------------------- CVSS */

enum bw_vuln_severity bw_cvss_severity(int score10)
{
	if (score10 >= 90)
		return BW_VSEV_CRITICAL;
	if (score10 >= 70)
		return BW_VSEV_HIGH;
	if (score10 >= 40)
		return BW_VSEV_MEDIUM;
	if (score10 >= 1)
		return BW_VSEV_LOW;
	return BW_VSEV_NEGLIGIBLE;
}

/* A distro rating: Debian urgencies ("unimportant", "low", "medium**",
 * "high", "not yet assigned", "end-of-life") and plain severity words.
 * UNKNOWN when it rates nothing; *ret_eol for "end-of-life". */
static enum bw_vuln_severity urgency_severity(const char *u, bool *ret_eol)
{
	char w[32];
	size_t n = 0;

	*ret_eol = false;
	if (!u)
		return BW_VSEV_UNKNOWN;
	for (; *u && n < sizeof(w) - 1; u++)
		if (*u != '*' && *u != ' ')
			w[n++] = (char)tolower((unsigned char)*u);
	w[n] = '\0';
	if (!strcmp(w, "end-of-life")) {
		*ret_eol = true;
		return BW_VSEV_UNKNOWN;
	}
	if (!strcmp(w, "unimportant") || !strcmp(w, "negligible"))
		return BW_VSEV_NEGLIGIBLE;
	if (!strcmp(w, "low"))
		return BW_VSEV_LOW;
	if (!strcmp(w, "medium") || !strcmp(w, "moderate"))
		return BW_VSEV_MEDIUM;
	if (!strcmp(w, "high") || !strcmp(w, "important"))
		return BW_VSEV_HIGH;
	if (!strcmp(w, "critical"))
		return BW_VSEV_CRITICAL;
	return BW_VSEV_UNKNOWN;
}

/* ---------------------------------------------------------------- keys */

char *bw_pep503_normalize(const char *name)
{
	size_t n = strlen(name), j = 0;
	char *out = malloc(n + 1);

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		char ch = name[i];

		if (ch == '-' || ch == '_' || ch == '.') {
			if (j == 0 || out[j - 1] != '-')
				out[j++] = '-';
			continue;
		}
		out[j++] = (char)tolower((unsigned char)ch);
	}
	out[j] = '\0';
	return out;
}

/* The leading n dot-separated components of v ("12.4" -> "12" for n=1). */
static size_t version_prefix(const char *v, int n)
{
	size_t i = 0;

	for (; v[i]; i++)
		if (v[i] == '.' && --n == 0)
			break;
	return i;
}

/* ---------------------------------------------------------------- rpm distributions */

static bool is_suse(const char *id)
{
	return !strcmp(id, "sles") || !strcmp(id, "sles_sap") || !strcmp(id, "sle-micro") ||
	       !strcmp(id, "sl-micro") || !strcmp(id, "sle-micro-rancher");
}

/*
 * A SUSE product's release as SUSE's OSV ecosystems end with it: "15 SP3"
 * for SLES 15 SP3, "5.5" for SLE Micro 5.5. Read from the end of
 * PRETTY_NAME ("SUSE Linux Enterprise Server 15 SP3"), else rebuilt from
 * VERSION_ID. Caller frees; NULL when there is none.
 */
static char *suse_release(const struct bw_os *os)
{
	const char *v = os->version_id, *pn = os->pretty_name, *dot;
	size_t major = v ? version_prefix(v, 1) : 0;
	char *s = NULL;

	if (!major)
		return NULL;
	if (pn) {
		/* The last " <major>" that starts a word ends the product name. */
		for (const char *p = pn + strlen(pn); p > pn; p--)
			if (p[-1] == ' ' && !strncmp(p, v, major) && (p[major] == ' ' || p[major] == '.' || !p[major]))
				return strdup(p);
	}
	dot = v[major] == '.' ? v + major + 1 : NULL;
	if (!dot || !*dot || !strcmp(dot, "0"))
		return strndup(v, major);
	if (asprintf(&s, "%.*s SP%s", (int)major, v, dot) < 0)
		return NULL;
	return s;
}

/* True when a SUSE ecosystem ("SUSE:Linux Enterprise Module for Basesystem
 * 15 SP3", "... 15 SP3-LTSS") belongs to release ("15 SP3"): the release
 * ends its name, whole, or is followed by a '-' suffix. */
static bool suse_release_matches(const char *eco, const char *release)
{
	size_t n = strlen(release);
	const char *hit = NULL;

	for (const char *p = strstr(eco, release); p; p = strstr(p + 1, release))
		if (p > eco && p[-1] == ' ' && (!p[n] || p[n] == '-'))
			hit = p;
	return hit && !strchr(hit + n, ' ');
}

char *bw_match_os_ecosystem(const struct bw_os *os)
{
	const char *id = os ? os->id : NULL, *v = os ? os->version_id : NULL;
	const char *pn = os ? os->pretty_name : NULL;
	char *s = NULL;
	int r = -1;

	if (!id)
		return NULL;
	/* Rolling releases have no VERSION_ID to speak of. */
	if (!strcmp(id, "opensuse-tumbleweed"))
		return strdup("openSUSE:Tumbleweed");
	if (!v || !*v)
		return NULL;
	if (!strcmp(id, "debian"))
		r = asprintf(&s, "Debian:%.*s", (int)version_prefix(v, 1), v);
	else if (!strcmp(id, "ubuntu"))
		r = asprintf(&s, "Ubuntu:%s", v);
	else if (!strcmp(id, "alpine"))
		r = asprintf(&s, "Alpine:v%.*s", (int)version_prefix(v, 2), v);
	else if (!strcmp(id, "rocky"))
		r = asprintf(&s, "Rocky Linux:%.*s", (int)version_prefix(v, 1), v);
	else if (!strcmp(id, "almalinux"))
		r = asprintf(&s, "AlmaLinux:%.*s", (int)version_prefix(v, 1), v);
	else if (!strcmp(id, "mageia"))
		r = asprintf(&s, "Mageia:%s", v);
	else if (!strcmp(id, "rhel"))
		r = asprintf(&s, "Red Hat:enterprise_linux:%.*s::baseos", (int)version_prefix(v, 1), v);
	else if (bw_startswith(id, "opensuse") && pn && bw_startswith(pn, "openSUSE "))
		r = asprintf(&s, "openSUSE:%s", pn + 9);
	else if (bw_startswith(id, "opensuse-leap"))
		r = asprintf(&s, "openSUSE:Leap %s", v);
	else if (is_suse(id) && pn && bw_startswith(pn, "SUSE "))
		r = asprintf(&s, "SUSE:%s", pn + 5);
	return r < 0 ? NULL : s;
}

/* Every OSV ecosystem the rpm packages of one OS are filed under. */
#define MAX_RPM_ECOS 256u

struct rpm_ecos {
	char *v[MAX_RPM_ECOS];
	size_t n;
	bool by_binary;	  /* Red Hat names binary RPMs as well as source RPMs */
	const char *release; /* SUSE: the product release to keep */
};

static void rpm_ecos_done(struct rpm_ecos *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->v[i]);
	e->n = 0;
}

static int rpm_ecos_add(struct rpm_ecos *e, const char *eco)
{
	if (e->n == MAX_RPM_ECOS) {
		bw_log(BW_LOG_WARN, "more than %u advisory ecosystems for this OS; `%s` and later ones ignored",
		       MAX_RPM_ECOS, eco);
		return 1;
	}
	e->v[e->n] = strdup(eco);
	if (!e->v[e->n])
		return -ENOMEM;
	e->n++;
	return 0;
}

static int on_suse_eco(const char *eco, void *ud)
{
	struct rpm_ecos *e = ud;

	return suse_release_matches(eco, e->release) ? rpm_ecos_add(e, eco) : 0;
}

/*
 * The ecosystems of an rpm-based OS, as OSV names them: "Rocky Linux:9",
 * "AlmaLinux:8", "Mageia:9", "openSUSE:Leap 15.5" (one each); Red Hat's
 * product streams of the major release ("Red Hat:enterprise_linux:9::baseos",
 * "::appstream", "::crb"); and every SUSE product of the database whose
 * release is the image's (SUSE files packages under the module that ships
 * them: "SUSE:Linux Enterprise Module for Basesystem 15 SP3"). None for an
 * OS that OSV does not cover.
 */
static int rpm_ecosystems(struct bw_vulndb *db, const struct bw_os *os, struct rpm_ecos *ret, struct bw_error **err)
{
	_cleanup_free_ char *primary = bw_match_os_ecosystem(os);
	int r = 0;

	if (!primary || !os->id)
		return 0;
	if (!strcmp(os->id, "rhel")) {
		static const char *const streams[] = { "baseos", "appstream", "crb" };
		const char *v = os->version_id;

		ret->by_binary = true;
		for (size_t i = 0; i < BW_ARRAY_SIZE(streams) && r == 0; i++) {
			_cleanup_free_ char *e = NULL;

			if (asprintf(&e, "Red Hat:enterprise_linux:%.*s::%s", (int)version_prefix(v, 1), v, streams[i]) < 0)
				return -ENOMEM;
			r = rpm_ecos_add(ret, e);
		}
		return r < 0 ? r : 0;
	}
	if (is_suse(os->id)) {
		_cleanup_free_ char *rel = suse_release(os);

		if (!rel)
			return 0;
		ret->release = rel;
		r = bw_vulndb_ecosystems(db, "SUSE:", on_suse_eco, ret, err);
		ret->release = NULL;
		return r < 0 ? r : 0;
	}
	r = rpm_ecos_add(ret, primary);
	return r < 0 ? r : 0;
}

/* The OSV ecosystem of a language package type, or NULL. */
static const char *lang_ecosystem(const char *type)
{
	static const char *const map[][2] = {
		{ "pypi", "PyPI" },	{ "npm", "npm" },	      { "golang", "Go" },
		{ "cargo", "crates.io" }, { "gem", "RubyGems" },     { "maven", "Maven" },
		{ "nuget", "NuGet" },	{ "composer", "Packagist" }, { "hex", "Hex" },
		{ "pub", "Pub" },
	};

	for (size_t i = 0; i < BW_ARRAY_SIZE(map); i++)
		if (!strcmp(type, map[i][0]))
			return map[i][1];
	return NULL;
}

static bool is_header_pkg(const char *name)
{
	return !strcmp(name, "linux-libc-dev") || !strcmp(name, "kernel-headers") ||
	       !strcmp(name, "linux-headers") || !strcmp(name, "linux-api-headers");
}

static bool is_kernel_pkg(const struct bw_pkg *p)
{
	const char *n = p->name;

	return bw_startswith(n, "linux-image-") || !strcmp(n, "kernel") || !strcmp(n, "kernel-core") ||
	       bw_startswith(n, "kernel-default") || !strcmp(n, "linux-lts") || !strcmp(n, "linux-virt") ||
	       !strcmp(n, "linux-edge");
}

/* ---------------------------------------------------------------- matching */

struct matcher {
	const struct bw_match_opts *opts;
	const struct bw_pkg *pkg;
	enum bw_version_scheme scheme;
	const char *version; /* the version compared */
	const char *installed; /* the installed version as reported (rpm: [epoch:]version-release) */
	struct bw_findings *out;
	size_t first;	      /* this package's first finding in out */
	bool bad_version;     /* the installed version does not parse */
	struct bw_error *err; /* an error of the callback */
};

static void finding_done(struct bw_finding *f)
{
	free(f->id);
	free(f->aliases);
	free(f->summary);
	free(f->ecosystem);
	free(f->package);
	free(f->advisory_package);
	free(f->installed);
	free(f->matched_version);
	free(f->fixed);
	free(f->cvss);
	free(f->cvss4);
	free(f->purl);
	free(f->type);
	free(f->location);
}

void bw_findings_done(struct bw_findings *f)
{
	for (size_t i = 0; i < f->n; i++)
		finding_done(&f->v[i]);
	free(f->v);
	memset(f, 0, sizeof(*f));
}

static int sdup(char **dst, const char *s)
{
	if (!s) {
		*dst = NULL;
		return 0;
	}
	*dst = strdup(s);
	return *dst ? 0 : -ENOMEM;
}

static bool version_listed(const char *list, const char *v)
{
	size_t n = strlen(v);

	for (const char *p = list; (p = strstr(p, v)); p += n)
		if (p > list && p[-1] == '"' && p[n] == '"')
			return true;
	return false;
}

/*
 * Evaluates one affected entry for m->version. Returns 1 when affected (with
 * *ret_fixed the lowest fixed version above the installed one, or NULL), 0
 * when not, -EINVAL when the installed version does not parse, -ENOMEM.
 */
static int entry_affects(struct matcher *m, const struct bw_vuln_entry *e, char **ret_fixed)
{
	json_t *ranges = NULL, *range, *ev;
	const char *fixed = NULL;
	bool hit = false;
	size_t i, j;
	int r = 0;

	/* The explicit list is matched by exact string: parse it only when the
	 * quoted version occurs in it at all (npm MAL lists run long). */
	if (e->versions && version_listed(e->versions, m->version)) {
		json_t *vs = json_loads(e->versions, 0, NULL), *v;

		json_array_foreach(vs, i, v)
			if (json_is_string(v) && !strcmp(json_string_value(v), m->version))
				hit = true;
		json_decref(vs);
	}
	if (e->ranges && strlen(e->ranges) <= BW_MAX_RANGES_JSON)
		ranges = json_loads(e->ranges, 0, NULL);
	json_array_foreach(ranges, i, range) {
		struct bw_osv_event evs[64], *heap = NULL, *list = evs;
		size_t n = json_array_size(range), k = 0;
		bool aff = false;

		if (n > BW_MAX_OSV_EVENTS)
			continue;
		if (n > BW_ARRAY_SIZE(evs)) {
			heap = calloc(n, sizeof(*heap));
			if (!heap) {
				r = -ENOMEM;
				break;
			}
			list = heap;
		}
		json_array_foreach(range, j, ev) {
			const char *t = json_string_value(json_array_get(ev, 0));
			const char *v = json_string_value(json_array_get(ev, 1));

			if (!t || !v)
				continue;
			if (!strcmp(t, "introduced"))
				list[k].type = BW_OSV_INTRODUCED;
			else if (!strcmp(t, "fixed"))
				list[k].type = BW_OSV_FIXED;
			else if (!strcmp(t, "last_affected"))
				list[k].type = BW_OSV_LAST_AFFECTED;
			else if (!strcmp(t, "limit"))
				list[k].type = BW_OSV_LIMIT;
			else
				continue;
			list[k++].version = v;
		}
		r = bw_osv_range_affects(m->scheme, list, k, m->version, &aff, NULL);
		if (r == 0 && aff) {
			hit = true;
			/* The fix for this version: the lowest fixed event above it. */
			for (size_t q = 0; q < k; q++) {
				int c;

				if (list[q].type != BW_OSV_FIXED ||
				    bw_version_compare(m->scheme, list[q].version, m->version, &c, NULL) < 0 || c <= 0)
					continue;
				if (!fixed || (bw_version_compare(m->scheme, list[q].version, fixed, &c, NULL) == 0 &&
					       c < 0))
					fixed = list[q].version;
			}
		}
		free(heap);
		if (r < 0)
			break;
	}
	if (r == 0 && hit && fixed) {
		*ret_fixed = strdup(fixed);
		if (!*ret_fixed)
			r = -ENOMEM;
	} else if (r == 0) {
		*ret_fixed = NULL;
	}
	json_decref(ranges);
	if (r < 0)
		return r;
	return hit ? 1 : 0;
}

static const char *distro_source(const char *eco)
{
	if (bw_startswith(eco, "Debian"))
		return "debian";
	if (bw_startswith(eco, "Ubuntu"))
		return "ubuntu";
	if (bw_startswith(eco, "Alpine"))
		return "alpine";
	return "advisory";
}

static void set_severity(struct bw_finding *f, const struct bw_vuln_entry *e, enum bw_vuln_severity distro);

static int on_entry(const struct bw_vuln_entry *e, void *ud)
{
	struct matcher *m = ud;
	struct bw_finding *f = NULL;
	char *fixed = NULL;
	enum bw_vuln_severity us;
	bool eol;
	int r;

	r = entry_affects(m, e, &fixed);
	if (r == -EINVAL) {
		m->bad_version = true;
		return 1;
	}
	if (r < 0)
		return bw_error_set(&m->err, r, "cannot evaluate `%s`", e->id);
	if (r == 0)
		return 0;

	/* Another affected entry of an advisory already found merges into it. */
	for (size_t i = m->first; i < m->out->n; i++)
		if (!strcmp(m->out->v[i].id, e->id)) {
			f = &m->out->v[i];
			break;
		}
	if (f) {
		int c;

		if (e->malicious && !f->malicious)
			set_severity(f, e, BW_VSEV_UNKNOWN);
		if (!fixed) {
			free(f->fixed);
			f->fixed = NULL;
			f->status = BW_STATUS_AFFECTED;
		} else if (f->fixed && bw_version_compare(m->scheme, fixed, f->fixed, &c, NULL) == 0 && c > 0) {
			free(f->fixed);
			f->fixed = TAKE_PTR(fixed);
		}
		free(fixed);
		return 0;
	}

	if (m->out->n >= BW_MAX_FINDINGS) {
		free(fixed);
		return bw_error_set(&m->err, -E2BIG, "more than %u findings", BW_MAX_FINDINGS);
	}
	if (m->out->n == m->out->alloc) {
		size_t na = m->out->alloc ? m->out->alloc * 2 : 64;
		struct bw_finding *nv = realloc(m->out->v, na * sizeof(*nv));

		if (!nv) {
			free(fixed);
			return -ENOMEM;
		}
		m->out->v = nv;
		m->out->alloc = na;
	}
	f = &m->out->v[m->out->n];
	memset(f, 0, sizeof(*f));
	f->fixed = fixed;
	f->layer = m->pkg->layer;
	f->cvss_score10 = e->cvss_score10;
	f->cvss4_score10 = e->cvss4_score10;
	if (sdup(&f->id, e->id) < 0 || sdup(&f->aliases, e->aliases) < 0 || sdup(&f->summary, e->summary) < 0 ||
	    sdup(&f->ecosystem, e->ecosystem) < 0 || sdup(&f->package, m->pkg->name) < 0 ||
	    sdup(&f->advisory_package, e->package) < 0 || sdup(&f->installed, m->installed) < 0 ||
	    sdup(&f->matched_version, m->version) < 0 || sdup(&f->cvss, e->cvss) < 0 ||
	    sdup(&f->cvss4, e->cvss4) < 0 ||
	    sdup(&f->purl, m->pkg->purl) < 0 || sdup(&f->type, m->pkg->type) < 0 ||
	    sdup(&f->location, m->pkg->location) < 0) {
		finding_done(f);
		return -ENOMEM;
	}
	us = urgency_severity(e->urgency, &eol);
	f->status = f->fixed ? BW_STATUS_FIXED : eol ? BW_STATUS_END_OF_LIFE : BW_STATUS_AFFECTED;
	set_severity(f, e, us);
	m->out->n++;
	return 0;
}

/* Severity, first source that rates it: a malicious package is CRITICAL
 * whatever the record says; then the distro's rating, the advisory's own
 * (GHSA), the CVSS v3 base score, the CVSS v4.0 score (scores as stored:
 * -1 when the record has none or its vector does not score). */
static void set_severity(struct bw_finding *f, const struct bw_vuln_entry *e, enum bw_vuln_severity distro)
{
	bool eol;
	enum bw_vuln_severity s;

	f->malicious = e->malicious;
	if (e->malicious) {
		f->severity = BW_VSEV_CRITICAL;
		f->severity_source = "malicious";
	} else if (distro != BW_VSEV_UNKNOWN) {
		f->severity = distro;
		f->severity_source = distro_source(e->ecosystem);
	} else if (e->rating && (s = urgency_severity(e->rating, &eol)) != BW_VSEV_UNKNOWN) {
		f->severity = s;
		f->severity_source = "advisory";
	} else if (e->cvss_score10 >= 0) {
		f->severity = bw_cvss_severity(e->cvss_score10);
		f->severity_source = "cvss";
	} else if (e->cvss4_score10 >= 0) {
		f->severity = bw_cvss_severity(e->cvss4_score10);
		f->severity_source = "cvss4";
	}
}

/* Advisory names of one ecosystem by normalised name (PyPI). */
struct name_index {
	struct bw_map *map; /* normalised -> NUL-separated list of stored names (struct bw_buf *) */
};

static void buf_free(void *p)
{
	struct bw_buf *b = p;

	if (b) {
		bw_buf_done(b);
		free(b);
	}
}

static int on_name(const char *name, void *ud)
{
	struct name_index *ix = ud;
	_cleanup_free_ char *k = bw_pep503_normalize(name);
	struct bw_buf *b;

	if (!k)
		return -ENOMEM;
	b = bw_map_get(ix->map, k);
	if (!b) {
		b = calloc(1, sizeof(*b));
		if (!b)
			return -ENOMEM;
		*b = BW_BUF_INIT(1u << 20);
		if (bw_map_put(ix->map, k, b) < 0) {
			free(b);
			return -ENOMEM;
		}
	}
	return bw_buf_append(b, name, strlen(name) + 1);
}

static int cmp_finding(const void *a, const void *b)
{
	const struct bw_finding *x = a, *y = b;
	int c = strcmp(x->package, y->package);

	if (!c)
		c = strcmp(x->installed ? x->installed : "", y->installed ? y->installed : "");
	if (!c)
		c = strcmp(x->location ? x->location : "", y->location ? y->location : "");
	if (!c)
		c = strcmp(x->id, y->id);
	return c;
}

static int match_one(struct bw_vulndb *db, struct matcher *m, const char *eco, const char *name,
		     struct bw_error **err)
{
	int r;

	r = bw_vulndb_query(db, eco, name, on_entry, m, err);
	if (m->err) {
		r = r < 0 ? r : -EIO;
		*err = TAKE_PTR(m->err);
	}
	return r < 0 ? r : 0;
}

/* The [epoch:]version-release of an rpm package: of version_release when
 * given (the source RPM's, from its file name), else of the package. */
static int rpm_evr(const struct bw_pkg *p, const char *version_release, char **ret)
{
	char vr[BW_MAX_VERSION_LEN + 1];
	int n;

	if (version_release)
		n = snprintf(vr, sizeof(vr), "%s", version_release);
	else if (p->release && *p->release)
		n = snprintf(vr, sizeof(vr), "%s-%s", p->version, p->release);
	else
		n = snprintf(vr, sizeof(vr), "%s", p->version);
	if (n < 0 || (size_t)n >= sizeof(vr))
		vr[0] = '\0'; /* too long: does not parse, so the package is skipped */
	if (p->epoch > 0)
		n = asprintf(ret, "%d:%s", p->epoch, vr);
	else
		n = asprintf(ret, "%s", vr);
	return n < 0 ? -ENOMEM : 0;
}

/* The findings of one evaluated key: out->v[first .. first + n). */
struct span {
	size_t first, n;
};

/* Appends a copy of out->v[first .. first + n) for package p. */
static int copy_findings(struct bw_findings *out, size_t first, size_t n, const struct bw_pkg *p,
			 const char *installed)
{
	if (n > BW_MAX_FINDINGS || out->n + n > BW_MAX_FINDINGS)
		return -E2BIG;
	if (out->n + n > out->alloc) {
		size_t na = out->alloc ? out->alloc : 64;
		struct bw_finding *nv;

		while (na < out->n + n)
			na *= 2;
		nv = realloc(out->v, na * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		out->v = nv;
		out->alloc = na;
	}
	for (size_t i = 0; i < n; i++) {
		const struct bw_finding *s = &out->v[first + i];
		struct bw_finding *f = &out->v[out->n];

		memset(f, 0, sizeof(*f));
		f->status = s->status;
		f->severity = s->severity;
		f->severity_source = s->severity_source;
		f->malicious = s->malicious;
		f->layer = p->layer;
		f->cvss_score10 = s->cvss_score10;
		f->cvss4_score10 = s->cvss4_score10;
		if (sdup(&f->id, s->id) < 0 || sdup(&f->aliases, s->aliases) < 0 || sdup(&f->summary, s->summary) < 0 ||
		    sdup(&f->ecosystem, s->ecosystem) < 0 || sdup(&f->package, p->name) < 0 ||
		    sdup(&f->advisory_package, s->advisory_package) < 0 || sdup(&f->installed, installed) < 0 ||
		    sdup(&f->matched_version, s->matched_version) < 0 || sdup(&f->fixed, s->fixed) < 0 ||
		    sdup(&f->cvss, s->cvss) < 0 || sdup(&f->cvss4, s->cvss4) < 0 || sdup(&f->purl, p->purl) < 0 || sdup(&f->type, p->type) < 0 ||
		    sdup(&f->location, p->location) < 0) {
			finding_done(f);
			return -ENOMEM;
		}
		out->n++;
	}
	return 0;
}

int bw_match_packages(struct bw_vulndb *db, const struct bw_pkg_result *res, const struct bw_match_opts *opts,
		      struct bw_findings *ret, struct bw_error **err)
{
	static const struct bw_match_opts defaults = { .sz = sizeof(defaults) };
	_cleanup_free_ char *os_eco = bw_match_os_ecosystem(&res->os);
	struct name_index pypi = { 0 };
	struct rpm_ecos rpm = { 0 };
	bool rpm_done = false;
	size_t start = ret->n, kept;
	bool has_kernel = false;
	struct bw_map *seen = NULL; /* key -> struct span */
	struct span *span;
	char *key = NULL;
	int r = 0;

	if (!opts)
		opts = &defaults;
	seen = bw_map_new();
	if (!seen)
		return -ENOMEM;
	for (size_t i = 0; i < res->pkgs.n; i++)
		if (is_kernel_pkg(&res->pkgs.v[i]))
			has_kernel = true;

	for (size_t i = 0; i < res->pkgs.n && r == 0; i++) {
		const struct bw_pkg *p = &res->pkgs.v[i];
		struct matcher m = { .opts = opts, .pkg = p, .out = ret, .first = ret->n };
		const char *eco = NULL, *name = p->name, *type = p->type ? p->type : "";
		_cleanup_free_ char *norm = NULL, *src_evr = NULL, *bin_evr = NULL;
		const char *const *ecos = &eco;
		size_t n_ecos = 1;
		bool is_rpm = false;

		if (!p->name || !p->version)
			continue;
		m.version = m.installed = p->version;
		if (!strcmp(type, "deb") || !strcmp(type, "apk")) {
			eco = os_eco;
			if (!eco)
				continue;
			if (p->source_name && *p->source_name)
				name = p->source_name;
			if (p->source_version && *p->source_version)
				m.version = p->source_version;
			if (is_header_pkg(p->name) && !has_kernel && !opts->include_kernel_headers)
				continue;
		} else if (!strcmp(type, "rpm")) {
			/* Advisories name the source RPM (Red Hat: binary RPMs too) at
			 * its epoch:version-release; the binary's epoch is its source's. */
			if (!strcmp(p->name, "gpg-pubkey") ||
			    (is_header_pkg(p->name) && !has_kernel && !opts->include_kernel_headers))
				continue;
			if (!rpm_done) {
				rpm_done = true;
				r = rpm_ecosystems(db, &res->os, &rpm, err);
				if (r < 0)
					break;
			}
			if (!rpm.n)
				continue;
			is_rpm = true;
			eco = rpm.v[0];
			ecos = (const char *const *)rpm.v;
			n_ecos = rpm.n;
			if (p->source_name && *p->source_name)
				name = p->source_name;
			if (rpm_evr(p, p->source_name && *p->source_name ? p->source_version : NULL, &src_evr) < 0 ||
			    rpm_evr(p, NULL, &bin_evr) < 0) {
				r = -ENOMEM;
				break;
			}
			m.version = src_evr;
			m.installed = bin_evr;
		} else {
			eco = lang_ecosystem(type);
			if (!eco)
				continue;
			if (!strcmp(type, "golang") && bw_startswith(m.version, "go"))
				m.version += 2;
		}
		if (bw_version_scheme_for_ecosystem(eco, &m.scheme) < 0)
			continue;
		if (!bw_version_valid(m.scheme, m.version)) {
			bw_log(BW_LOG_DEBUG, "%s: %s version `%s` does not parse, ignoring", p->location ? p->location : "",
			       p->name, m.version);
			continue;
		}

		/* Packages that share a key (the binaries of one Debian source
		 * package at one version, the same library in several places) share
		 * their findings: evaluated once, copied after. */
		free(key);
		key = NULL;
		if (asprintf(&key, "%s%c%s%c%s%c%s", eco, 1, !strcmp(eco, "PyPI") ? "" : name, 1, m.version, 1,
			     is_rpm && rpm.by_binary ? p->name : "") < 0) {
			r = -ENOMEM;
			break;
		}
		if (strcmp(eco, "PyPI") && (span = bw_map_get(seen, key))) {
			r = copy_findings(ret, span->first, span->n, p, m.installed);
			continue;
		}

		if (!strcmp(eco, "PyPI")) {
			struct bw_buf *names;

			if (!pypi.map) {
				pypi.map = bw_map_new();
				if (!pypi.map) {
					r = -ENOMEM;
					break;
				}
				r = bw_vulndb_packages(db, "PyPI", on_name, &pypi, err);
				if (r < 0)
					break;
			}
			norm = bw_pep503_normalize(p->name);
			if (!norm) {
				r = -ENOMEM;
				break;
			}
			names = bw_map_get(pypi.map, norm);
			for (size_t o = 0; names && o < names->len && r == 0; o += strlen(names->data + o) + 1)
				r = match_one(db, &m, eco, names->data + o, err);
		} else {
			for (size_t k = 0; k < n_ecos && r == 0; k++)
				r = match_one(db, &m, ecos[k], name, err);
			/* Red Hat also files binary RPMs, at the binary's own EVR. */
			if (is_rpm && rpm.by_binary && strcmp(p->name, name) && bw_version_valid(m.scheme, bin_evr)) {
				m.version = bin_evr;
				for (size_t k = 0; k < n_ecos && r == 0; k++)
					r = match_one(db, &m, ecos[k], p->name, err);
				m.version = src_evr;
			}
		}
		if (r == 0 && m.bad_version)
			bw_log(BW_LOG_WARN, "%s: %s version `%s` cannot be compared, ignoring",
			       p->location ? p->location : "", p->name, m.version);
		if (r == 0 && strcmp(eco, "PyPI")) {
			span = malloc(sizeof(*span));
			if (!span || bw_map_put(seen, key, span) < 0) {
				free(span);
				r = -ENOMEM;
				break;
			}
			span->first = m.first;
			span->n = ret->n - m.first;
		}
	}
	free(key);
	bw_map_free_with(seen, free);
	bw_map_free_with(pypi.map, buf_free);
	rpm_ecos_done(&rpm);
	if (r < 0) {
		for (size_t i = start; i < ret->n; i++)
			finding_done(&ret->v[i]);
		ret->n = start;
		return r;
	}

	/* Drop unfixed findings when asked, then sort what this call added. */
	kept = start;
	for (size_t i = start; i < ret->n; i++) {
		if (opts->ignore_unfixed && !ret->v[i].fixed) {
			finding_done(&ret->v[i]);
			continue;
		}
		ret->v[kept++] = ret->v[i];
	}
	ret->n = kept;
	qsort(ret->v + start, ret->n - start, sizeof(*ret->v), cmp_finding);
	return (int)(ret->n - start);
}
