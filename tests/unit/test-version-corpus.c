/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every vector of the shared version corpus (../shared/corpus/versions): one
 * TAP line per file with its pass count; failing vectors are listed as
 * diagnostics. Skips when the corpus is absent.
 */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "bulwark/version.h"

static int tapn;
static int failed;

/* Undoes the corpus escapes (\t, \n, \\) in place. */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (*s == '\\' && s[1]) {
			s++;
			*o++ = *s == 't' ? '\t' : *s == 'n' ? '\n' : *s;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

static size_t split(char *line, char **f, size_t max)
{
	size_t n = 0;

	f[n++] = line;
	for (char *p = line; *p && n < max; p++)
		if (*p == '\t') {
			*p = '\0';
			f[n++] = p + 1;
		}
	for (size_t i = 0; i < n; i++)
		unescape(f[i]);
	return n;
}

/* Holds when "cmp op 0", op as in the corpus. */
static bool op_holds(const char *op, int c)
{
	if (!strcmp(op, "<"))
		return c < 0;
	if (!strcmp(op, ">"))
		return c > 0;
	if (!strcmp(op, "="))
		return c == 0;
	if (!strcmp(op, "<="))
		return c <= 0;
	if (!strcmp(op, ">="))
		return c >= 0;
	if (!strcmp(op, "!="))
		return c != 0;
	return false;
}

typedef bool (*check_fn)(char **f, size_t n);

static bool c_dpkg_compare(char **f, size_t n)
{
	int c;

	return n >= 3 && bw_dpkg_compare(f[0], f[1], &c) == 0 && op_holds(f[2], c);
}

static bool c_dpkg_parse(char **f, size_t n)
{
	char buf[BW_MAX_VERSION_LEN + 1];
	struct bw_dpkg_version v;
	bool ok;
	char ep[32];

	if (n < 2)
		return false;
	ok = bw_dpkg_parse(f[0], buf, sizeof(buf), &v) == 0;
	if (!strcmp(f[1], "invalid"))
		return !ok;
	if (!ok || n < 5)
		return false;
	snprintf(ep, sizeof(ep), "%lu", v.epoch);
	return !strcmp(ep, f[2]) && !strcmp(v.upstream, f[3]) && !strcmp(v.revision, f[4]);
}

static bool c_dpkg_valid(char **f, size_t n)
{
	return n >= 2 && bw_dpkg_orderable(f[0]) == !strcmp(f[1], "valid");
}

static bool c_apk_compare(char **f, size_t n)
{
	return n >= 3 && op_holds(f[2], bw_apk_compare(f[0], f[1]));
}

static bool c_apk_fuzzy(char **f, size_t n)
{
	bool fz;
	int c;

	if (n < 3)
		return false;
	fz = bw_apk_fuzzy_match(f[0], f[1]);
	c = bw_apk_compare(f[0], f[1]);
	if (!strcmp(f[2], "~"))
		return fz;
	if (!strcmp(f[2], "!~"))
		return !fz;
	if (!strcmp(f[2], "<~"))
		return c < 0 || fz;
	if (!strcmp(f[2], ">~"))
		return c > 0 || fz;
	return false;
}

static bool c_apk_valid(char **f, size_t n)
{
	return n >= 2 && bw_apk_valid(f[0]) == !strcmp(f[1], "valid");
}

/* The go-rpm-version table at this commit agrees with rpmvercmp() over the
 * whole string (its "1.2.3.4" = "1-2-3-4" rules out an EVR split). */
static bool c_rpm_evr(char **f, size_t n)
{
	return n >= 3 && op_holds(f[2], bw_rpmvercmp(f[0], f[1]));
}

static bool c_rpmvercmp(char **f, size_t n)
{
	return n >= 3 && op_holds(f[2], bw_rpmvercmp(f[0], f[1]));
}

static unsigned sv_flags(const char *o)
{
	unsigned fl = 0;

	if (strstr(o, "loose"))
		fl |= BW_SEMVER_LOOSE;
	if (strstr(o, "includePrerelease"))
		fl |= BW_SEMVER_INCLUDE_PRERELEASE;
	return fl;
}

static bool c_semver_compare(char **f, size_t n)
{
	int c;

	return n >= 4 && bw_semver_compare(f[0], f[1], sv_flags(f[3]), &c) == 0 && op_holds(f[2], c);
}

static bool c_semver_range(char **f, size_t n)
{
	unsigned fl;
	bool b;
	const char *e;
	bool neg;

	if (n < 4)
		return false;
	/* The transcription lost the backslash of upstream's "<\\t2.0.0". */
	if (!strcmp(f[0], "<t2.0.0"))
		f[0] = "<\t2.0.0";
	fl = sv_flags(f[3]);
	e = f[2];
	neg = e[0] == '!';
	if (neg)
		e++;
	if (!strcmp(e, "1") || !strcmp(e, "0")) {
		if (bw_npm_range_satisfies(f[0], f[1], fl, &b) < 0)
			b = false; /* an invalid range or version satisfies nothing */
		return b == (e[0] == '1');
	}
	if (bw_npm_range_outside(f[0], f[1], fl, !strcmp(e, "gtr") ? '>' : '<', &b) < 0)
		return false;
	return neg ? !b : b;
}

static bool c_semver_valid(char **f, size_t n)
{
	struct bw_semver_parts v;
	char buf[64];

	if (n < 6 || bw_semver_parse(f[0], 0, &v) < 0)
		return false;
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v.major);
	if (strcmp(buf, f[1]))
		return false;
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v.minor);
	if (strcmp(buf, f[2]))
		return false;
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v.patch);
	if (strcmp(buf, f[3]))
		return false;
	{
		char pre[BW_MAX_VERSION_LEN_SEMVER + 1];

		snprintf(pre, sizeof(pre), "%s", v.pre);
		for (char *p = pre; *p; p++)
			if (*p == '.')
				*p = ',';
		if (strcmp(*pre ? pre : "-", f[4]))
			return false;
	}
	return true;
}

static bool c_gosemver_canon(char **f, size_t n)
{
	char out[BW_MAX_VERSION_LEN + 16];

	if (n < 2)
		return false;
	bw_gover_canonical(f[0], out, sizeof(out));
	return !strcmp(*out ? out : "INVALID", f[1]);
}

static bool c_gosemver_compare(char **f, size_t n)
{
	return n >= 3 && op_holds(f[2], bw_gover_compare(f[0], f[1]));
}

static bool c_maven(char **f, size_t n)
{
	return n >= 3 && op_holds(f[2], bw_maven_compare(f[0], f[1]));
}

static bool c_pep440_compare(char **f, size_t n)
{
	int c;

	return n >= 3 && bw_pep440_compare(f[0], f[1], &c) == 0 && op_holds(f[2], c);
}

static bool c_pep440_parse(char **f, size_t n)
{
	char *out = NULL;
	bool ok;

	if (n < 2)
		return false;
	if (bw_pep440_normalize(f[0], &out) < 0)
		return !strcmp(f[1], "INVALID");
	/* Rows of upstream's list of valid versions carry the input itself. */
	ok = !strcmp(out, f[1]) || !strcmp(f[0], f[1]);
	free(out);
	return ok;
}

static bool c_pep440_spec(char **f, size_t n)
{
	bool b;

	if (n < 3 || bw_pep440_spec_contains(f[0], f[1], true, &b) < 0)
		return false;
	return b == !strcmp(f[2], "1");
}

static const struct {
	const char *file;
	check_fn fn;
} files[] = {
	{ "apk/apk-tools-compare.tsv", c_apk_compare },
	{ "apk/apk-tools-fuzzy.tsv", c_apk_fuzzy },
	{ "apk/apk-tools-validity.tsv", c_apk_valid },
	{ "dpkg/dpkg-c-compare.tsv", c_dpkg_compare },
	{ "dpkg/dpkg-c-parse.tsv", c_dpkg_parse },
	{ "dpkg/dpkg-perl-compare.tsv", c_dpkg_compare },
	{ "dpkg/go-deb-version-compare.tsv", c_dpkg_compare },
	{ "dpkg/go-deb-version-validity.tsv", c_dpkg_valid },
	{ "gosemver/x-mod-semver-canonical.tsv", c_gosemver_canon },
	{ "gosemver/x-mod-semver-compare.tsv", c_gosemver_compare },
	{ "maven/maven-comparableversion.tsv", c_maven },
	{ "pep440/packaging-specifier-contains.tsv", c_pep440_spec },
	{ "pep440/packaging-version-compare.tsv", c_pep440_compare },
	{ "pep440/packaging-version-parse.tsv", c_pep440_parse },
	{ "rpm/go-rpm-version-testcases.tsv", c_rpm_evr },
	{ "rpm/rpm-rpmvercmp.tsv", c_rpmvercmp },
	{ "semver/node-semver-comparisons.tsv", c_semver_compare },
	{ "semver/node-semver-equality.tsv", c_semver_compare },
	{ "semver/node-semver-range-exclude.tsv", c_semver_range },
	{ "semver/node-semver-range-include.tsv", c_semver_range },
	{ "semver/node-semver-valid-versions.tsv", c_semver_valid },
	{ "semver/node-semver-version-gt-range.tsv", c_semver_range },
	{ "semver/node-semver-version-lt-range.tsv", c_semver_range },
	{ "semver/node-semver-version-not-gt-range.tsv", c_semver_range },
	{ "semver/node-semver-version-not-lt-range.tsv", c_semver_range },
};

int main(void)
{
	const char *root = getenv("BULWARK_VERSION_CORPUS");
	char dir[PATH_MAX];

	if (!root) {
		const char *src = getenv("BULWARK_SOURCE_ROOT");

		snprintf(dir, sizeof(dir), "%s/../shared/corpus/versions", src ? src : ".");
		root = dir;
	}
	printf("1..%zu\n", BW_ARRAY_SIZE(files));
	for (size_t i = 0; i < BW_ARRAY_SIZE(files); i++) {
		char path[PATH_MAX], line[8192];
		size_t pass = 0, total = 0, shown = 0;
		FILE *fp;

		snprintf(path, sizeof(path), "%s/%s", root, files[i].file);
		fp = fopen(path, "r");
		if (!fp) {
			printf("ok %d - %s # SKIP corpus absent\n", ++tapn, files[i].file);
			continue;
		}
		while (fgets(line, sizeof(line), fp)) {
			char *f[8];
			size_t n, l = strlen(line);

			if (l && line[l - 1] == '\n')
				line[--l] = '\0';
			if (!l)
				continue;
			/* One input holds a raw line break: a line with no TAB
			 * continues on the next. */
			if (!strchr(line, '\t') && l + 1 < sizeof(line) && fgets(line + l + 1, (int)(sizeof(line) - l - 1), fp)) {
				line[l] = '\n';
				l = strlen(line);
				if (l && line[l - 1] == '\n')
					line[--l] = '\0';
			}
			{
				char copy[8192];

				memcpy(copy, line, l + 1);
				n = split(line, f, BW_ARRAY_SIZE(f));
				total++;
				if (files[i].fn(f, n))
					pass++;
				else if (shown++ < 20)
					printf("# %s: FAIL %s\n", files[i].file, copy);
			}
		}
		fclose(fp);
		if (pass != total)
			failed++;
		printf("%s %d - %s: %zu/%zu vectors\n", pass == total ? "ok" : "not ok", ++tapn, files[i].file,
		       pass, total);
	}
	return failed ? 1 : 0;
}
