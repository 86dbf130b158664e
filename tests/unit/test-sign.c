/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>

#include "bulwark/sign.h"

/* cosign's pemsigstorekey (pkg/cosign/keys_test.go), password "hello". */
static const char sigstore_key[] =
	"-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"
	"eyJrZGYiOnsibmFtZSI6InNjcnlwdCIsInBhcmFtcyI6eyJOIjozMjc2OCwiciI6\n"
	"OCwicCI6MX0sInNhbHQiOiI3T3VGd2VsbWZZNXVId2NoaURSc210anNwZ2ZlZjFG\n"
	"Mk5lOGFDTjVLYVpZPSJ9LCJjaXBoZXIiOnsibmFtZSI6Im5hY2wvc2VjcmV0Ym94\n"
	"Iiwibm9uY2UiOiJQNHk4OGhCb3ZTa09MbXN0bFVBaGJwdDJ0K2xTNUxQSCJ9LCJj\n"
	"aXBoZXJ0ZXh0IjoiMnB1QzdyZldJOWh3bnJlQ2s4aUZDRlVwQlRrSzRJNlIvbFBF\n"
	"cnBDekpXUGpJWXl4eGVIL1A2VW52cFJHdVhla1NNb3JMdGhLamdoQ1JlNy82NDVH\n"
	"QWtoVm1LRC92eEF0S2EvbE1abENSQ3FlekJGUFd1dzNpeFRtZ2xhb2J1ZFVSbUVs\n"
	"bmNGOGlZbzBTMVl6Y1ZOMVFwY2J2c0dNcUlYRzVlbmdteGp5dCtBcXlyZTF0Q0Y0\n"
	"V01tU1BlaEljNlBqd2h1Q2xHaVpJUWRvTGc9PSJ9\n"
	"-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n";

/* containers/image signature/fixtures/cosign.pub and the payload and
 * signature of dir-img-cosign-valid/signature-1. */
static const char fixture_pub[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEFNLqFhf4fiN6o/glAuYnq2jYUeL0\n"
	"vRuLu/z39pmbVwS9ff5AYnlwaP9sxREajdLY9ynM6G1sy6AAmb7Z63TsLg==\n"
	"-----END PUBLIC KEY-----\n";
static const char fixture_payload[] =
	"{\"critical\":{\"identity\":{\"docker-reference\":\"192.168.64.2:5000/cosign-signed-"
	"single-sample\"},\"image\":{\"docker-manifest-digest\":\"sha256:634a8f35b5f16dcf4aaa0822"
	"adc0b1964bb786fca12f6831de8ddc45e5986a00\"},\"type\":\"cosign container image signature"
	"\"},\"optional\":null}";
static const char fixture_sig[] =
	"MEYCIQDmtamqYPjMg81nqeBhptrPls44aA/r7PwLmspINJY4MwIhANKRpqe2E9UCBtGFdPoz/8jAbaQm4uP4h+Ip"
	"wKTE6ClR";

static void test_fixture_signature(void **state)
{
	struct bw_sign_key *pub = NULL;
	struct bw_error *err = NULL;
	char bad[sizeof(fixture_payload)];

	(void)state;
	assert_int_equal(bw_sign_key_load_public(fixture_pub, strlen(fixture_pub), &pub, &err), 0);
	assert_int_equal(bw_sign_verify_blob(pub, fixture_payload, strlen(fixture_payload),
					     fixture_sig, &err),
			 0);
	memcpy(bad, fixture_payload, sizeof(bad));
	bad[20] ^= 1;
	assert_int_equal(bw_sign_verify_blob(pub, bad, strlen(bad), fixture_sig, &err),
			 -EKEYREJECTED);
	err = bw_error_free(err);
	assert_int_equal(bw_sign_verify_blob(pub, fixture_payload, strlen(fixture_payload),
					     "MEYC*QDm", &err),
			 -EBADMSG);
	err = bw_error_free(err);
	/* Padding in the middle is not base64. */
	assert_int_equal(bw_sign_verify_blob(pub, fixture_payload, strlen(fixture_payload),
					     "MEY=CIQD", &err),
			 -EBADMSG);
	err = bw_error_free(err);
	bw_sign_key_free(pub);
}

static void test_cosign_key(void **state)
{
	struct bw_sign_key *k = NULL, *k2 = NULL;
	struct bw_error *err = NULL;
	char *pem = NULL, *sig = NULL;

	(void)state;
	assert_true(bw_sign_pem_is_encrypted(sigstore_key, strlen(sigstore_key)));
	assert_int_equal(bw_sign_key_load_private(sigstore_key, strlen(sigstore_key), "wrong", &k,
						  &err),
			 -EKEYREJECTED);
	assert_non_null(strstr(err->msg, "wrong password"));
	err = bw_error_free(err);
	assert_int_equal(
		bw_sign_key_load_private(sigstore_key, strlen(sigstore_key), "hello", &k, &err), 0);
	assert_true(bw_sign_key_is_private(k));

	/* Export, re-import with another password, sign, verify. */
	assert_int_equal(bw_sign_key_export_private(k, "other", &pem, &err), 0);
	assert_non_null(strstr(pem, "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"));
	assert_int_equal(bw_sign_key_load_private(pem, strlen(pem), "other", &k2, &err), 0);
	assert_int_equal(bw_sign_blob(k2, "abc", 3, &sig, &err), 0);
	assert_int_equal(bw_sign_verify_blob(k, "abc", 3, sig, &err), 0);
	free(pem);
	free(sig);
	bw_sign_key_free(k);
	bw_sign_key_free(k2);
}

static void test_bad_envelopes(void **state)
{
	static const char *const bad[] = {
		"-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n!!!\n"
		"-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n",
		/* {"kdf":{"name":"scrypt","params":{"N":1073741824,"r":8,"p":1},"salt":"AA=="}} */
		"-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"
		"eyJrZGYiOnsibmFtZSI6InNjcnlwdCIsInBhcmFtcyI6eyJOIjoxMDczNzQxODI0LCJyIjo4LCJwIjox"
		"fSwic2FsdCI6IkFBPT0ifX0=\n"
		"-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n",
		"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
		"garbage",
	};
	(void)state;
	for (size_t i = 0; i < BW_ARRAY_SIZE(bad); i++) {
		struct bw_sign_key *k = NULL;
		struct bw_error *err = NULL;

		assert_true(bw_sign_key_load_private(bad[i], strlen(bad[i]), "pw", &k, &err) < 0);
		assert_null(k);
		assert_non_null(err);
		bw_error_free(err);
	}
}

static void test_payload(void **state)
{
	static const char *const ann[] = { "b=2", "a=1" };
	struct bw_sign_payload p = { 0 };
	struct bw_error *err = NULL;
	char *s = NULL;

	(void)state;
	assert_int_equal(bw_sign_payload_build("reg/repo", "sha256:00", ann, 2, &s, &err), 0);
	assert_string_equal(s, "{\"critical\":{\"identity\":{\"docker-reference\":\"reg/repo\"},"
			       "\"image\":{\"docker-manifest-digest\":\"sha256:00\"},\"type\":"
			       "\"cosign container image signature\"},\"optional\":{\"a\":\"1\","
			       "\"b\":\"2\"}}");
	assert_int_equal(bw_sign_payload_parse(s, strlen(s), &p, &err), 0);
	assert_string_equal(p.identity, "reg/repo");
	assert_string_equal(p.digest, "sha256:00");
	assert_int_equal(p.n_optional, 2);
	bw_sign_payload_done(&p);
	free(s);

	assert_int_equal(bw_sign_payload_build("r", "d", NULL, 0, &s, &err), 0);
	assert_non_null(strstr(s, "\"optional\":null"));
	free(s);

	static const char *const bad[] = {
		"{}",
		"{\"critical\":{\"identity\":{},\"image\":{\"docker-manifest-digest\":\"x\"},"
		"\"type\":\"t\"}}",
		"{\"critical\":{\"identity\":{\"docker-reference\":1},\"image\":{\"docker-manifest-"
		"digest\":\"x\"},\"type\":\"t\"}}",
		/* Duplicate keys: two readers could disagree. */
		"{\"critical\":{\"identity\":{\"docker-reference\":\"a\"},\"image\":{\"docker-"
		"manifest-digest\":\"x\",\"docker-manifest-digest\":\"y\"},\"type\":\"t\"}}",
		"[",
	};
	for (size_t i = 0; i < BW_ARRAY_SIZE(bad); i++) {
		assert_true(bw_sign_payload_parse(bad[i], strlen(bad[i]), &p, &err) < 0);
		err = bw_error_free(err);
	}
}

/* cosign's Test_IntotoSubjectClaimVerifier cases (the corpus copy). */
static void test_intoto_subject_claims(void **state)
{
	const char *root = getenv("BULWARK_SOURCE_ROOT");
	char path[4096];
	json_t *doc, *cases, *c;
	size_t i, n_fail = 0, n_ok = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/../shared/corpus/signing/cosign/"
		 "intoto-subject-claim-cases.json", root ? root : ".");
	doc = json_load_file(path, 0, NULL);
	if (!doc) {
		skip();
		return;
	}
	cases = json_object_get(doc, "cases");
	assert_true(json_array_size(cases) >= 9);
	json_array_foreach(cases, i, c) {
		const char *payload = json_string_value(json_object_get(c, "payload"));
		const char *hex = json_string_value(json_object_get(c, "digest_sha256"));
		bool should_fail = json_is_true(json_object_get(c, "should_fail"));
		struct bw_error *err = NULL;
		char digest[80], *st = NULL;
		int r;

		snprintf(digest, sizeof(digest), "sha256:%s", hex ? hex : "");
		r = bw_attest_check_subject(payload, strlen(payload), hex ? digest : NULL, &st,
					    &err);
		if (should_fail) {
			assert_true(r < 0);
			assert_non_null(err);
			n_fail++;
		} else {
			assert_int_equal(r, 0);
			assert_non_null(st);
			n_ok++;
		}
		free(st);
		bw_error_free(err);
	}
	assert_true(n_fail >= 6 && n_ok >= 2);
	json_decref(doc);
}

/* containers-signature(5) payloads, parsed as strictly as containers/image. */
static void test_atomic_payload(void **state)
{
	static const char good[] =
		"{\"critical\":{\"type\":\"atomic container signature\",\"image\":{\"docker-"
		"manifest-digest\":\"sha256:20bf21ed457b390829cdbeec8795a7bea1626991fda603e0d01b4"
		"e7f60427e55\"},\"identity\":{\"docker-reference\":\"testing/manifest:latest\"}},"
		"\"optional\":{\"creator\":\"atomic\",\"timestamp\":1458239713}}";
	static const char *const bad[] = {
		"{\"critical\":{\"type\":\"atomic container signature\",\"image\":{\"docker-"
		"manifest-digest\":\"sha256:aa\"},\"identity\":{\"docker-reference\":\"a/b\"}}}",
		"{\"critical\":{\"type\":\"cosign container image signature\",\"image\":{\"docker-"
		"manifest-digest\":\"sha256:aa\"},\"identity\":{\"docker-reference\":\"a/b\"}},"
		"\"optional\":{}}",
		"{\"critical\":{\"type\":\"atomic container signature\",\"image\":{\"docker-"
		"manifest-digest\":\"sha256:aa\",\"x\":1},\"identity\":{\"docker-reference\":\"a/b"
		"\"}},\"optional\":{}}",
		"{\"critical\":{\"type\":\"atomic container signature\",\"type\":\"atomic container"
		" signature\",\"image\":{\"docker-manifest-digest\":\"sha256:aa\"},\"identity\":{"
		"\"docker-reference\":\"a/b\"}},\"optional\":{}}",
		"{\"critical\":{\"type\":\"atomic container signature\",\"image\":{\"docker-"
		"manifest-digest\":\"sha256:aa\"},\"identity\":{\"docker-reference\":\"a/b\"}},"
		"\"optional\":{\"timestamp\":\"now\"}}",
		"[]",
		"{",
	};
	struct bw_atomic_payload p = { 0 };
	struct bw_error *err = NULL;

	(void)state;
	assert_int_equal(bw_atomic_payload_parse(good, strlen(good), &p, &err), 0);
	assert_string_equal(p.identity, "testing/manifest:latest");
	assert_string_equal(p.creator, "atomic");
	assert_int_equal(p.timestamp, 1458239713);
	bw_atomic_payload_done(&p);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(bw_atomic_payload_parse(bad[i], strlen(bad[i]), &p, &err), -EBADMSG);
		err = bw_error_free(err);
	}
}

static void test_pgp_framing(void **state)
{
	static const unsigned char sig_only[] = { 0x88, 0x02, 0x04, 0x00 };
	static const unsigned char literal[] = { 0xac, 0x02, 'h', 'i' };
	static const unsigned char partial_sig[] = { 0xc2, 0xe1, 0, 0 };
	struct bw_error *err = NULL;

	(void)state;
	assert_int_equal(bw_pgp_check_message(sig_only, sizeof(sig_only), &err), 0);
	assert_int_equal(bw_pgp_check_message(literal, sizeof(literal), &err), -EBADMSG);
	err = bw_error_free(err);
	assert_int_equal(bw_pgp_check_message(partial_sig, sizeof(partial_sig), &err), -EBADMSG);
	err = bw_error_free(err);
	assert_int_equal(bw_pgp_check_message("x", 1, &err), -EBADMSG);
	err = bw_error_free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_signature),
		cmocka_unit_test(test_cosign_key),
		cmocka_unit_test(test_bad_envelopes),
		cmocka_unit_test(test_payload),
		cmocka_unit_test(test_intoto_subject_claims),
		cmocka_unit_test(test_atomic_payload),
		cmocka_unit_test(test_pgp_framing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
