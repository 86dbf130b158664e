/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CVSS v4.0 scores against published reference scores, and the vectors a
 * strict parser must refuse. TAP.
 *
 * Where the expected scores come from (each vector below names its source):
 *  [RH-B]  RedHatProductSecurity/cvss, tests/vectors_simple4: base vectors
 *          scored by Red Hat's implementation of FIRST's calculator (Red Hat
 *          co-maintains FIRST's cvss-v4-calculator).
 *  [RH-T]  the same repository, tests/vectors_threat4 (Exploit Maturity).
 *  [RH-E]  the same repository, tests/vectors_security4 (CR/IR/AR).
 *  [JS]    pandatix/js-cvss, tests/cvss40.test.ts "Score": cases checked
 *          against FIRST's calculator, including regressions found in it
 *          (RedHatProductSecurity/cvss-v4-calculator issue #48).
 *  [SPEC]  FIRST, CVSS v4.0 Specification, section 7 (Vector String): the
 *          example vectors, which must parse.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulwark/match.h"
#include "bulwark/vulndb.h"

static int tapn, failed;

static void check(bool ok, const char *name)
{
	printf("%s %d - %s\n", ok ? "ok" : "not ok", ++tapn, name);
	if (!ok)
		failed++;
}

static const struct {
	const char *src, *vector;
	int score10;
} scored[] = {
	/* Edge cases: no impact at all is 0.0; everything High is 10.0. */
	{ "JS no-impact", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N", 0 },
	{ "JS full-impact", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H", 100 },
	{ "JS full-system-no-subsequent", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 93 },
	{ "JS no-system-full-subsequent", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:H/SI:H/SA:H", 79 },
	{ "JS smol", "CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N", 10 },
	{ "JS clement-b", "CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:P/VC:N/VI:H/VA:H/SC:N/SI:L/SA:L", 52 },
	/* Threat: E:U lowers the full-impact vector. */
	{ "JS with-t", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:U", 91 },
	{ "JS calculator#48", "CVSS:4.0/AV:N/AC:L/AT:P/PR:L/UI:A/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N/E:U", 4 },
	{ "RH-T E:A", "CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:A", 73 },
	{ "RH-T E:P", "CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:P", 59 },
	{ "RH-T E:U", "CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:U", 41 },
	{ "RH-T no impact, E:U", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N/E:U", 0 },
	/* Environmental: security requirements and modified base metrics. */
	{ "JS with-e (MVI:L, MSA:S)", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/MVI:L/MSA:S", 98 },
	{ "JS clement-bte",
	  "CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:P/VC:N/VI:H/VA:H/SC:N/SI:L/SA:L/E:P/CR:H/IR:M/AR:H/MAV:A/MAT:P/MPR:N/"
	  "MVI:H/MVA:N/MSI:H/MSA:N/S:N/V:C/U:Amber",
	  47 },
	{ "JS reg-deptheq3eq6", "CVSS:4.0/AV:N/AC:H/AT:N/PR:H/UI:N/VC:N/VI:N/VA:H/SC:H/SI:H/SA:H/CR:L/IR:L/AR:L", 58 },
	{ "RH-E CR:H/IR:H/AR:H", "CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/CR:H/IR:H/AR:H", 73 },
	{ "RH-E CR:H/IR:H/AR:M", "CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/CR:H/IR:H/AR:M", 72 },
	{ "RH-E CR:H/IR:M/AR:L", "CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/CR:H/IR:M/AR:L", 71 },
	{ "RH-E CR:M/IR:M/AR:M", "CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/CR:M/IR:M/AR:M", 55 },
	{ "RH-E CR:L/IR:L/AR:L", "CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/CR:L/IR:L/AR:L", 54 },
	{ "RH-E no impact, CR:H", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N/CR:H/IR:H/AR:H", 0 },
	/* Base vectors across MacroVectors. */
	{ "RH-B", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:H/VA:L/SC:N/SI:H/SA:L", 92 },
	{ "RH-B", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/SC:H/SI:N/SA:L", 78 },
	{ "RH-B", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:N/SC:N/SI:L/SA:N", 69 },
	{ "RH-B", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:H/VI:N/VA:L/SC:N/SI:H/SA:N", 83 },
	{ "RH-B", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:L/VI:N/VA:N/SC:L/SI:N/SA:L", 53 },
	{ "RH-B", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:A/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 86 },
	{ "RH-B", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:A/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N", 51 },
	{ "RH-B", "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:N/VA:L/SC:N/SI:L/SA:N", 71 },
	{ "RH-B", "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:A/VC:H/VI:H/VA:H/SC:H/SI:N/SA:H", 93 },
	{ "RH-B", "CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:P/VC:L/VI:L/VA:N/SC:L/SI:N/SA:N", 48 },
	{ "RH-B", "CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:A/VC:L/VI:N/VA:N/SC:H/SI:N/SA:H", 60 },
	{ "RH-B", "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:N/SA:H", 95 },
	{ "RH-B", "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:A/VC:N/VI:N/VA:N/SC:L/SI:N/SA:N", 21 },
	{ "RH-B", "CVSS:4.0/AV:N/AC:L/AT:P/PR:L/UI:N/VC:N/VI:N/VA:N/SC:N/SI:L/SA:N", 23 },
	{ "RH-B", "CVSS:4.0/AV:N/AC:L/AT:P/PR:H/UI:A/VC:N/VI:L/VA:L/SC:L/SI:N/SA:N", 18 },
	{ "RH-B", "CVSS:4.0/AV:N/AC:L/AT:P/PR:H/UI:A/VC:L/VI:N/VA:L/SC:L/SI:H/SA:N", 43 },
	{ "RH-B", "CVSS:4.0/AV:N/AC:H/AT:N/PR:N/UI:N/VC:H/VI:H/VA:N/SC:L/SI:H/SA:L", 94 },
	{ "RH-B", "CVSS:4.0/AV:N/AC:H/AT:N/PR:L/UI:A/VC:L/VI:L/VA:L/SC:H/SI:H/SA:H", 52 },
	{ "RH-B", "CVSS:4.0/AV:N/AC:H/AT:N/PR:H/UI:A/VC:N/VI:N/VA:N/SC:N/SI:H/SA:N", 40 },
	{ "RH-B", "CVSS:4.0/AV:N/AC:H/AT:P/PR:N/UI:N/VC:N/VI:L/VA:N/SC:L/SI:H/SA:L", 70 },
	/* Supplemental metrics do not change the score (JS: the base vector
	 * of "smol" with every supplemental metric set). */
	{ "from JS smol, + supplemental",
	  "CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N/S:P/AU:Y/R:I/V:C/RE:H/U:Red", 10 },
	/* Not Defined (X) equals absent: E:X is E:A, CR:X is CR:H, MAV:X is AV. */
	{ "from RH-T E:A, as E:X", "CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:X/CR:X/MAV:X", 73 },
	/* An exact tie: 8.6 - (1.0 * 2/8) / 5 = 8.55, rounded half up to 8.6
	 * (FIRST's calculator adds an epsilon before rounding for these). */
	{ "tie 8.55", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:H/VI:L/VA:N/SC:H/SI:H/SA:H", 86 },
};

/* Vectors that must be refused, with a word the message must hold. */
static const struct {
	const char *vector, *why;
} refused[] = {
	{ "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS:4.0/" },
	{ "CVSS:4.0/", "empty" },
	{ "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N", "`SA` is missing" },
	{ "CVSS:4.0/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "`AV` is missing" },
	{ "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:A/E:X", "twice" },
	{ "CVSS:4.0/AV:N/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "twice" },
	{ "CVSS:4.0/AV:F/AC:L/AT:N/PR:N/UI:N/VC:N/VI:L/VA:N/SC:N/SI:N/SA:N", "`AV` cannot be `F`" },
	{ "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/ui:N/VC:N/VI:L/VA:N/SC:N/SI:N/SA:N", "unknown metric `ui`" },
	{ "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:S/SA:N", "`SI` cannot be `S`" },
	{ "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/U:Purple", "`U` cannot be" },
	{ "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/", "empty" },
	{ "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/XX:Y", "unknown metric `XX`" },
	{ "CVSS:4.0/AV:NN/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "`AV` cannot be `NN`" },
	{ "CVSS:4.0/AV/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "METRIC:VALUE" },
	{ "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/MAV:", "`MAV` cannot be ``" },
	{ "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/CR:S", "`CR` cannot be `S`" },
	{ NULL, "no CVSS" },
};

static void test_scores(void)
{
	size_t n_ok = 0;

	for (size_t i = 0; i < sizeof(scored) / sizeof(scored[0]); i++) {
		struct bw_error *err = NULL;
		char name[512];
		int s = -1, r = bw_cvss4_score(scored[i].vector, &s, &err);

		snprintf(name, sizeof(name), "%s: %s = %d.%d (got %d.%d%s%s)", scored[i].src, scored[i].vector,
			 scored[i].score10 / 10, scored[i].score10 % 10, s / 10, s % 10, err ? ": " : "",
			 err && err->msg ? err->msg : "");
		check(r == 0 && s == scored[i].score10, name);
		n_ok += r == 0 && s == scored[i].score10;
		bw_error_free(err);
	}
	check(n_ok >= 30, "at least 30 reference vectors score as published");
}

static void test_refused(void)
{
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		struct bw_error *err = NULL;
		char name[512];
		int s = 12345, r = bw_cvss4_score(refused[i].vector, &s, &err);
		bool named = err && err->msg && strstr(err->msg, refused[i].why);

		snprintf(name, sizeof(name), "refused: %s (%s)", refused[i].vector ? refused[i].vector : "NULL",
			 err && err->msg ? err->msg : "no message");
		check(r == -EINVAL && named && s == 12345, name);
		bw_error_free(err);
	}
	{
		/* Too long to be a vector at all. */
		char big[BW_MAX_CVSS_VECTOR_LEN + 64];
		int s;

		snprintf(big, sizeof(big), "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N");
		memset(big + strlen(big), 'A', sizeof(big) - strlen(big) - 1);
		big[sizeof(big) - 1] = '\0';
		check(bw_cvss4_score(big, &s, NULL) == -EINVAL, "an over-long vector is refused (NULL err allowed)");
	}
}

static void test_order_and_severity(void)
{
	int a = -1, b = -2;

	/* The specification fixes an order, but peers read vectors in any
	 * order: so do we, with the same score. */
	bw_cvss4_score("CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:P/VC:N/VI:H/VA:H/SC:N/SI:L/SA:L/E:P/CR:H/IR:M/AR:H/MAV:A/MAT:P/"
		       "MPR:N/MVI:H/MVA:N/MSI:H/MSA:N",
		       &a, NULL);
	bw_cvss4_score("CVSS:4.0/MSA:N/E:P/SA:L/AV:L/MAV:A/AC:L/AT:N/PR:L/UI:P/VC:N/VI:H/VA:H/SC:N/SI:L/CR:H/IR:M/"
		       "AR:H/MAT:P/MPR:N/MVI:H/MVA:N/MSI:H",
		       &b, NULL);
	check(a == 47 && a == b, "metric order does not change the score");
	check(bw_cvss_severity(100) == BW_VSEV_CRITICAL && bw_cvss_severity(90) == BW_VSEV_CRITICAL &&
		      bw_cvss_severity(89) == BW_VSEV_HIGH && bw_cvss_severity(70) == BW_VSEV_HIGH &&
		      bw_cvss_severity(69) == BW_VSEV_MEDIUM && bw_cvss_severity(40) == BW_VSEV_MEDIUM &&
		      bw_cvss_severity(39) == BW_VSEV_LOW && bw_cvss_severity(1) == BW_VSEV_LOW &&
		      bw_cvss_severity(0) == BW_VSEV_NEGLIGIBLE,
	      "qualitative ratings (specification section 6)");
	/* SPEC section 7 examples parse. */
	check(bw_cvss4_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:N/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N", &a, NULL) == 0 &&
		      bw_cvss4_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:N/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N/E:A", &b, NULL) ==
			      0 &&
		      a == b,
	      "SPEC: a vector and its E:A form score alike");
	check(bw_cvss4_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:N/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N/E:U/CR:L/IR:X/AR:L/"
			     "MAV:A/MAC:H/MAT:N/MPR:N/MUI:P/MVC:X/MVI:N/MVA:H/MSC:N/MSI:L/MSA:S/S:N/AU:N/R:I/V:C/"
			     "RE:H/U:Green",
			     &a, NULL) == 0,
	      "SPEC: a vector with every metric group parses");
}

int main(void)
{
	test_scores();
	test_refused();
	test_order_and_severity();
	printf("1..%d\n", tapn);
	return failed ? 1 : 0;
}
