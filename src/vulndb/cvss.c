/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CVSS scores: v3.x (FIRST's CVSS v3.1 specification, section 7) and v4.0
 * (FIRST's CVSS v4.0 specification, section 8: MacroVectors, their published
 * scores, and the interpolation by severity distance). Vectors come from
 * advisories, so they are untrusted: a v4.0 vector is checked whole before it
 * is scored.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "bulwark/limits.h"
#include "bulwark/vulndb.h"

/* ---------------------------------------------------------------- v3 */

/* CVSS v3.1 Roundup(): the smallest one-decimal number >= x, computed on
 * integers so that 4.000000001 does not become 4.1. Returns tenths. */
static int roundup10(double x)
{
	long i = lround(x * 100000.0);

	if (i % 10000 == 0)
		return (int)(i / 10000);
	return (int)(i / 10000 + 1);
}

int bw_cvss3_score(const char *vector, int *ret_score10)
{
	/* AV AC PR UI S C I A, each -1 until seen. */
	double av = -1, ac = -1, pr = -1, ui = -1, c = -1, in = -1, a = -1;
	int scope = -1;
	char pr_letter = 0;
	const char *p, *end;
	double iss, impact, expl;

	if (!vector || strlen(vector) > BW_MAX_CVSS_VECTOR_LEN)
		return -EINVAL;
	if (!bw_startswith(vector, "CVSS:3.0/") && !bw_startswith(vector, "CVSS:3.1/"))
		return -EINVAL;
	p = vector + 9;
	end = p + strlen(p);
	while (p < end) {
		const char *slash = memchr(p, '/', (size_t)(end - p)), *colon;
		size_t kn;
		char v;

		if (!slash)
			slash = end;
		colon = memchr(p, ':', (size_t)(slash - p));
		if (!colon || slash - colon != 2)
			goto next;
		kn = (size_t)(colon - p);
		v = colon[1];
#define K(s) (kn == strlen(s) && !memcmp(p, s, kn))
		if (K("AV"))
			av = v == 'N' ? 0.85 : v == 'A' ? 0.62 : v == 'L' ? 0.55 : v == 'P' ? 0.2 : -2;
		else if (K("AC"))
			ac = v == 'L' ? 0.77 : v == 'H' ? 0.44 : -2;
		else if (K("PR"))
			pr_letter = v;
		else if (K("UI"))
			ui = v == 'N' ? 0.85 : v == 'R' ? 0.62 : -2;
		else if (K("S"))
			scope = v == 'U' ? 0 : v == 'C' ? 1 : -2;
		else if (K("C"))
			c = v == 'H' ? 0.56 : v == 'L' ? 0.22 : v == 'N' ? 0 : -2;
		else if (K("I"))
			in = v == 'H' ? 0.56 : v == 'L' ? 0.22 : v == 'N' ? 0 : -2;
		else if (K("A"))
			a = v == 'H' ? 0.56 : v == 'L' ? 0.22 : v == 'N' ? 0 : -2;
#undef K
	next:
		p = slash + 1;
	}
	if (scope < 0)
		return -EINVAL;
	if (pr_letter == 'N')
		pr = 0.85;
	else if (pr_letter == 'L')
		pr = scope ? 0.68 : 0.62;
	else if (pr_letter == 'H')
		pr = scope ? 0.5 : 0.27;
	if (av < 0 || ac < 0 || pr < 0 || ui < 0 || c < 0 || in < 0 || a < 0)
		return -EINVAL;
	iss = 1 - (1 - c) * (1 - in) * (1 - a);
	impact = scope ? 7.52 * (iss - 0.029) - 3.25 * pow(iss - 0.02, 15) : 6.42 * iss;
	expl = 8.22 * av * ac * pr * ui;
	if (impact <= 0)
		*ret_score10 = 0;
	else if (scope)
		*ret_score10 = roundup10(fmin(1.08 * (impact + expl), 10));
	else
		*ret_score10 = roundup10(fmin(impact + expl, 10));
	return 0;
}

/* ---------------------------------------------------------------- v4 metrics */

/* The metrics of a v4.0 vector, in the specification's order (Table 23).
 * values lists the letters each may take; U (Provider Urgency) takes words
 * and is handled apart. */
enum {
	CV_AV, CV_AC, CV_AT, CV_PR, CV_UI, CV_VC, CV_VI, CV_VA, CV_SC, CV_SI, CV_SA, /* base, mandatory */
	CV_E,								 /* threat */
	CV_CR, CV_IR, CV_AR, CV_MAV, CV_MAC, CV_MAT, CV_MPR, CV_MUI, CV_MVC, CV_MVI, CV_MVA, CV_MSC, CV_MSI,
	CV_MSA,								 /* environmental */
	CV_S, CV_AU, CV_R, CV_V, CV_RE, CV_U,					 /* supplemental */
	CV_COUNT,
	CV_BASE_COUNT = CV_E,
};

static const struct {
	const char *name, *values;
} metrics[CV_COUNT] = {
	[CV_AV] = { "AV", "NALP" },   [CV_AC] = { "AC", "LH" },	   [CV_AT] = { "AT", "NP" },
	[CV_PR] = { "PR", "NLH" },    [CV_UI] = { "UI", "NPA" },	   [CV_VC] = { "VC", "HLN" },
	[CV_VI] = { "VI", "HLN" },    [CV_VA] = { "VA", "HLN" },	   [CV_SC] = { "SC", "HLN" },
	[CV_SI] = { "SI", "HLN" },    [CV_SA] = { "SA", "HLN" },	   [CV_E] = { "E", "XAPU" },
	[CV_CR] = { "CR", "XHML" },   [CV_IR] = { "IR", "XHML" },	   [CV_AR] = { "AR", "XHML" },
	[CV_MAV] = { "MAV", "XNALP" }, [CV_MAC] = { "MAC", "XLH" },   [CV_MAT] = { "MAT", "XNP" },
	[CV_MPR] = { "MPR", "XNLH" }, [CV_MUI] = { "MUI", "XNPA" },  [CV_MVC] = { "MVC", "XHLN" },
	[CV_MVI] = { "MVI", "XHLN" }, [CV_MVA] = { "MVA", "XHLN" },  [CV_MSC] = { "MSC", "XHLN" },
	[CV_MSI] = { "MSI", "XSHLN" }, [CV_MSA] = { "MSA", "XSHLN" }, [CV_S] = { "S", "XNP" },
	[CV_AU] = { "AU", "XNY" },    [CV_R] = { "R", "XAUI" },	   [CV_V] = { "V", "XDC" },
	[CV_RE] = { "RE", "XLMH" },   [CV_U] = { "U", NULL },
};

/*
 * Splits a v4.0 vector into one letter per metric (0 when absent).
 * -EINVAL with *err naming the fault.
 */
static int cvss4_parse(const char *vector, char m[CV_COUNT], struct bw_error **err)
{
	const char *p, *end;

	memset(m, 0, CV_COUNT);
	if (!vector)
		return bw_error_set(err, -EINVAL, "no CVSS v4.0 vector");
	if (strlen(vector) > BW_MAX_CVSS_VECTOR_LEN)
		return bw_error_set(err, -EINVAL, "CVSS v4.0 vector longer than %u bytes", BW_MAX_CVSS_VECTOR_LEN);
	if (!bw_startswith(vector, "CVSS:4.0/"))
		return bw_error_set(err, -EINVAL, "`%s` is not a CVSS v4.0 vector (no `CVSS:4.0/` prefix)", vector);
	p = vector + 9;
	end = p + strlen(p);
	if (p == end || end[-1] == '/')
		return bw_error_set(err, -EINVAL, "CVSS v4.0 vector `%s`: empty metric", vector);
	while (p < end) {
		const char *slash = memchr(p, '/', (size_t)(end - p)), *colon, *val;
		size_t kn, vn;
		int k;

		if (!slash)
			slash = end;
		colon = memchr(p, ':', (size_t)(slash - p));
		if (!colon)
			return bw_error_set(err, -EINVAL, "CVSS v4.0 vector `%s`: `%.*s` is not METRIC:VALUE", vector,
					    (int)(slash - p), p);
		kn = (size_t)(colon - p);
		val = colon + 1;
		vn = (size_t)(slash - val);
		for (k = 0; k < CV_COUNT; k++)
			if (strlen(metrics[k].name) == kn && !memcmp(metrics[k].name, p, kn))
				break;
		if (k == CV_COUNT)
			return bw_error_set(err, -EINVAL, "CVSS v4.0 vector `%s`: unknown metric `%.*s`", vector,
					    (int)kn, p);
		if (m[k])
			return bw_error_set(err, -EINVAL, "CVSS v4.0 vector `%s`: metric `%s` appears twice", vector,
					    metrics[k].name);
		if (k == CV_U) {
			static const char *const words[] = { "X", "Clear", "Green", "Amber", "Red" };
			size_t w;

			for (w = 0; w < BW_ARRAY_SIZE(words); w++)
				if (strlen(words[w]) == vn && !memcmp(words[w], val, vn))
					break;
			if (w == BW_ARRAY_SIZE(words))
				return bw_error_set(err, -EINVAL, "CVSS v4.0 vector `%s`: `U` cannot be `%.*s`", vector,
						    (int)vn, val);
			m[k] = val[0];
		} else {
			if (vn != 1 || !strchr(metrics[k].values, val[0]))
				return bw_error_set(err, -EINVAL, "CVSS v4.0 vector `%s`: `%s` cannot be `%.*s` (one of %s)",
						    vector, metrics[k].name, (int)vn, val, metrics[k].values);
			m[k] = val[0];
		}
		p = slash + 1;
	}
	for (int k = 0; k < CV_BASE_COUNT; k++)
		if (!m[k])
			return bw_error_set(err, -EINVAL, "CVSS v4.0 vector `%s`: mandatory base metric `%s` is missing",
					    vector, metrics[k].name);
	return 0;
}

/* The value a metric takes for scoring: a modified (M*) metric overrides its
 * base metric unless Not Defined; E, CR, IR, AR not defined count as their
 * worst case (E:A, *:H). */
static char eff(const char m[CV_COUNT], int k)
{
	switch (k) {
	case CV_E:
		return !m[k] || m[k] == 'X' ? 'A' : m[k];
	case CV_CR:
	case CV_IR:
	case CV_AR:
		return !m[k] || m[k] == 'X' ? 'H' : m[k];
	default:
		break;
	}
	if (k < CV_BASE_COUNT) {
		char mod = m[CV_MAV + k];

		if (mod && mod != 'X')
			return mod;
	}
	return m[k];
}

/* ---------------------------------------------------------------- v4 data */

/*
 * The score of every MacroVector, in tenths, as FIRST publishes it (the
 * CVSS v4.0 specification's lookup table, also cvss_lookup.js of FIRST's
 * calculator). Indexed [EQ1][EQ2][EQ3][EQ4*3*2 + EQ5*2 + EQ6]; -1 where the
 * MacroVector does not exist (EQ3 2 with EQ6 0).
 */
static const signed char mv_score[3][2][3][18] = {
	{
		{
			{ 100, 99, 98, 95, 95, 92, 100, 96, 93, 87, 91, 81, 93, 90, 89, 80, 81, 68 },
			{ 98, 95, 95, 92, 90, 84, 93, 92, 89, 81, 81, 65, 88, 80, 78, 70, 69, 48 },
			{ -1, 92, -1, 82, -1, 72, -1, 79, -1, 69, -1, 50, -1, 69, -1, 55, -1, 27 },
		},
		{
			{ 99, 97, 95, 92, 92, 85, 95, 91, 90, 83, 84, 71, 92, 81, 82, 71, 72, 53 },
			{ 95, 93, 92, 85, 85, 73, 92, 82, 80, 72, 70, 59, 84, 70, 71, 52, 50, 30 },
			{ -1, 86, -1, 75, -1, 52, -1, 71, -1, 52, -1, 29, -1, 63, -1, 29, -1, 17 },
		},
	},
	{
		{
			{ 98, 95, 94, 87, 91, 81, 94, 89, 86, 74, 77, 64, 87, 75, 74, 63, 63, 49 },
			{ 94, 89, 88, 77, 76, 67, 86, 76, 74, 58, 59, 50, 72, 57, 57, 52, 52, 25 },
			{ -1, 83, -1, 70, -1, 54, -1, 65, -1, 58, -1, 26, -1, 53, -1, 21, -1, 13 },
		},
		{
			{ 95, 90, 88, 76, 76, 70, 90, 77, 75, 62, 61, 53, 77, 66, 68, 59, 52, 30 },
			{ 89, 78, 76, 67, 62, 58, 74, 59, 57, 57, 47, 23, 61, 52, 57, 29, 24, 16 },
			{ -1, 71, -1, 59, -1, 30, -1, 58, -1, 26, -1, 15, -1, 23, -1, 13, -1, 6 },
		},
	},
	{
		{
			{ 93, 87, 86, 72, 75, 58, 86, 74, 74, 61, 56, 34, 70, 54, 52, 40, 40, 22 },
			{ 85, 75, 74, 55, 62, 51, 72, 57, 55, 41, 46, 19, 53, 36, 34, 19, 19, 8 },
			{ -1, 64, -1, 51, -1, 20, -1, 47, -1, 21, -1, 11, -1, 24, -1, 9, -1, 4 },
		},
		{
			{ 88, 75, 73, 53, 60, 50, 73, 55, 59, 40, 41, 20, 54, 43, 45, 22, 20, 11 },
			{ 75, 55, 58, 45, 40, 21, 61, 51, 48, 18, 20, 9, 46, 18, 17, 7, 8, 2 },
			{ -1, 53, -1, 24, -1, 14, -1, 24, -1, 12, -1, 5, -1, 10, -1, 3, -1, 1 },
		},
	},
};

/* The score of MacroVector eq[0..5] in tenths, or -1 when there is none. */
static int mv_lookup(const int eq[6])
{
	if (eq[0] > 2 || eq[1] > 1 || eq[2] > 2 || eq[3] > 2 || eq[4] > 2 || eq[5] > 1)
		return -1;
	return mv_score[eq[0]][eq[1]][eq[2]][eq[3] * 6 + eq[4] * 2 + eq[5]];
}

/* Severity levels of metric values within their EQ, in tenths: the distance
 * of a vector from its MacroVector's highest-severity vectors. */
static int level(int k, char v)
{
	switch (k) {
	case CV_AV:
		return v == 'N' ? 0 : v == 'A' ? 1 : v == 'L' ? 2 : 3;
	case CV_PR:
		return v == 'N' ? 0 : v == 'L' ? 1 : 2;
	case CV_UI:
		return v == 'N' ? 0 : v == 'P' ? 1 : 2;
	case CV_AC:
		return v == 'L' ? 0 : 1;
	case CV_AT:
		return v == 'N' ? 0 : 1;
	case CV_VC:
	case CV_VI:
	case CV_VA:
		return v == 'H' ? 0 : v == 'L' ? 1 : 2;
	case CV_SC:
		return v == 'H' ? 1 : v == 'L' ? 2 : 3;
	case CV_SI:
	case CV_SA:
		return v == 'S' ? 0 : v == 'H' ? 1 : v == 'L' ? 2 : 3;
	default: /* CR, IR, AR */
		return v == 'H' ? 0 : v == 'M' ? 1 : 2;
	}
}

/*
 * The highest-severity vectors of each MacroVector level, per EQ, as the
 * specification lists them: metric letters in the order of eq_metrics[].
 * A vector is compared with the first of them it does not exceed.
 */
static const int eq1_metrics[] = { CV_AV, CV_PR, CV_UI }, eq2_metrics[] = { CV_AC, CV_AT },
		 eq36_metrics[] = { CV_VC, CV_VI, CV_VA, CV_CR, CV_IR, CV_AR }, eq4_metrics[] = { CV_SC, CV_SI, CV_SA };
static const char *const eq1_max[3][4] = { { "NNN" }, { "ANN", "NLN", "NNP" }, { "PNN", "ALP" } };
static const char *const eq2_max[2][3] = { { "LN" }, { "HN", "LP" } };
static const char *const eq36_max[3][2][6] = {
	{ { "HHHHHH" }, { "HHLMMH", "HHHMMM" } },
	{ { "LHHHHH", "HLHHHH" }, { "LHLHMH", "LHHHMM", "HLHMHM", "HLLMHH", "LLHHHM" } },
	{ { NULL }, { "LLLHHH" } },
};
static const char *const eq4_max[3][2] = { { "HSS" }, { "HHH" }, { "LLL" } };

/* The depth of each MacroVector level (how many steps of severity it
 * spans), per EQ. */
static const int eq1_depth[3] = { 1, 4, 5 }, eq2_depth[2] = { 1, 2 }, eq4_depth[3] = { 6, 5, 4 };
static const int eq36_depth[3][2] = { { 7, 6 }, { 8, 8 }, { 0, 10 } };

/*
 * The distance of m from the first listed maximum it does not exceed in any
 * metric (or from the last one when last is set), summed over the EQ's
 * metrics. *ret_ok is false when m exceeds every maximum.
 */
static int eq_distance(const char m[CV_COUNT], const int *ks, size_t nk, const char *const *maxes, size_t nmax,
		       bool last, bool *ret_ok)
{
	size_t i = 0;
	int d = 0;

	*ret_ok = false;
	while (nmax > 0 && !maxes[nmax - 1])
		nmax--;
	if (last && nmax)
		i = nmax - 1;
	for (; i < nmax; i++) {
		bool ok = true;

		d = 0;
		for (size_t j = 0; j < nk; j++) {
			int dj = level(ks[j], eff(m, ks[j])) - level(ks[j], maxes[i][j]);

			if (dj < 0)
				ok = false;
			d += dj;
		}
		if (ok) {
			*ret_ok = true;
			return d;
		}
	}
	return d;
}

/* The severity distances of m in EQ1, EQ2, EQ3+EQ6 and EQ4. */
static void distances(const char m[CV_COUNT], const int eq[6], bool last, int d[4], bool ok[4])
{
	d[0] = eq_distance(m, eq1_metrics, 3, eq1_max[eq[0]], 4, last, &ok[0]);
	d[1] = eq_distance(m, eq2_metrics, 2, eq2_max[eq[1]], 3, last, &ok[1]);
	d[2] = eq_distance(m, eq36_metrics, 6, eq36_max[eq[2]][eq[5]], 6, last, &ok[2]);
	d[3] = eq_distance(m, eq4_metrics, 3, eq4_max[eq[3]], 2, last, &ok[3]);
}

#define LCM_DEPTH 840 /* lcm of every depth above: distances stay exact fractions */

int bw_cvss4_score(const char *vector, int *ret_score10, struct bw_error **err)
{
	char m[CV_COUNT];
	char av, pr, ui, vc, vi, va, si, sa;
	int eq[6], lower[6], value, r;
	int d[4], n_lower = 0;
	long long num = 0, den, scaled;
	bool ok[4];

	r = cvss4_parse(vector, m, err);
	if (r < 0)
		return r;
	av = eff(m, CV_AV), pr = eff(m, CV_PR), ui = eff(m, CV_UI);
	vc = eff(m, CV_VC), vi = eff(m, CV_VI), va = eff(m, CV_VA);
	si = eff(m, CV_SI), sa = eff(m, CV_SA);

	/* No impact on any system: 0.0, whatever else. */
	if (vc == 'N' && vi == 'N' && va == 'N' && eff(m, CV_SC) == 'N' && si == 'N' && sa == 'N') {
		*ret_score10 = 0;
		return 0;
	}

	/* The MacroVector: one level per equivalence set (Table 24). */
	if (av == 'N' && pr == 'N' && ui == 'N')
		eq[0] = 0;
	else if ((av == 'N' || pr == 'N' || ui == 'N') && av != 'P')
		eq[0] = 1;
	else
		eq[0] = 2;
	eq[1] = eff(m, CV_AC) == 'L' && eff(m, CV_AT) == 'N' ? 0 : 1;
	if (vc == 'H' && vi == 'H')
		eq[2] = 0;
	else if (vc == 'H' || vi == 'H' || va == 'H')
		eq[2] = 1;
	else
		eq[2] = 2;
	if (si == 'S' || sa == 'S')
		eq[3] = 0;
	else if (eff(m, CV_SC) == 'H' || si == 'H' || sa == 'H')
		eq[3] = 1;
	else
		eq[3] = 2;
	eq[4] = eff(m, CV_E) == 'A' ? 0 : eff(m, CV_E) == 'P' ? 1 : 2;
	eq[5] = (eff(m, CV_CR) == 'H' && vc == 'H') || (eff(m, CV_IR) == 'H' && vi == 'H') ||
				(eff(m, CV_AR) == 'H' && va == 'H')
			? 0
			: 1;
	value = mv_lookup(eq);
	if (value < 0) /* cannot happen: every reachable MacroVector has a score */
		return bw_error_set(err, -EINVAL, "CVSS v4.0 vector `%s`: no score for its MacroVector", vector);

	/* Severity distances from the MacroVector's highest-severity vector. */
	distances(m, eq, false, d, ok);
	if (!ok[0] || !ok[1] || !ok[2] || !ok[3]) /* as FIRST's calculator: then all from their last */
		distances(m, eq, true, d, ok);

	/*
	 * For each EQ with a next lower MacroVector: the score drop to it times
	 * the share of the level's depth the vector has travelled. The score is
	 * the MacroVector's minus the mean of those, kept as an exact fraction
	 * num / den (tenths) so rounding half up is exact.
	 */
	den = LCM_DEPTH;
	for (int e = 0; e < 5; e++) {
		int lo = -1;

		memcpy(lower, eq, sizeof(lower));
		if (e == 2) {
			/* EQ3 and EQ6 step together: 00 -> the higher of 01 and 10,
			 * 01 -> 11, 10 -> 11, 11 -> 21; 21 has none. */
			if (eq[2] == 0 && eq[5] == 0) {
				int l1, l2;

				lower[5] = 1;
				l1 = mv_lookup(lower);
				lower[5] = 0;
				lower[2] = 1;
				l2 = mv_lookup(lower);
				lo = l1 > l2 ? l1 : l2;
			} else if (eq[2] == 1 && eq[5] == 0) {
				lower[5] = 1;
				lo = mv_lookup(lower);
			} else if (eq[2] < 2) {
				lower[2]++;
				lo = mv_lookup(lower);
			}
		} else {
			int idx = e < 2 ? e : e == 3 ? 3 : 4;

			lower[idx]++;
			lo = mv_lookup(lower);
		}
		if (lo < 0)
			continue;
		n_lower++;
		if (e == 4) /* EQ5: the distance within its level is always 0 */
			continue;
		{
			int depth = e == 0 ? eq1_depth[eq[0]] : e == 1 ? eq2_depth[eq[1]] : e == 2 ? eq36_depth[eq[2]][eq[5]] :
											   eq4_depth[eq[3]];

			num += (long long)(value - lo) * d[e] * (LCM_DEPTH / depth);
		}
	}
	if (n_lower)
		den *= n_lower;
	/* score = value - num / den, clamped to [0, 10], rounded half up. */
	scaled = (long long)value * den - num;
	if (scaled < 0)
		scaled = 0;
	if (scaled > 100 * den)
		scaled = 100 * den;
	*ret_score10 = (int)((2 * scaled + den) / (2 * den));
	return 0;
}
