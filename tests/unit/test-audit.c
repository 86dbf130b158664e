/* SPDX-License-Identifier: Apache-2.0 */
/* The k8s audit source: decoding Events and EventLists, ka.* fields, and
 * bad input (not JSON, not an audit event, unknown versions, huge input). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "bulwark/rules.h"
#include "bulwark/runtime.h"

static const char pod[] =
	"{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"stage\":\"ResponseComplete\","
	"\"verb\":\"create\",\"requestURI\":\"/api/v1/namespaces/default/pods?dryRun=All&x=a%20b\","
	"\"user\":{\"username\":\"alice\",\"groups\":[\"g1\",\"system:authenticated\"]},"
	"\"objectRef\":{\"resource\":\"pods\",\"namespace\":\"default\",\"name\":\"p\"},"
	"\"responseStatus\":{\"code\":201},"
	"\"annotations\":{\"authorization.k8s.io/decision\":\"allow\"},"
	"\"stageTimestamp\":\"2018-10-25T14:09:12.581541Z\","
	"\"requestObject\":{\"kind\":\"Pod\",\"spec\":{\"hostNetwork\":true,"
	"\"securityContext\":{\"runAsUser\":1000},"
	"\"containers\":[{\"name\":\"a\",\"image\":\"nginx:1.2\",\"securityContext\":"
	"{\"privileged\":true}},{\"name\":\"b\",\"image\":\"docker.io/falcosecurity/falco@sha256:ab\","
	"\"ports\":[{\"containerPort\":80},{\"hostPort\":8080,\"containerPort\":81}],"
	"\"securityContext\":{\"runAsUser\":0,\"capabilities\":{\"add\":[\"NET_ADMIN\"]}}}],"
	"\"volumes\":[{\"name\":\"v\",\"hostPath\":{\"path\":\"/etc/kubernetes\"}}]}}}";

static struct bw_matcher *compile(const char *yaml, struct bw_ruleset **ret)
{
	const struct bw_source *src = bw_audit_source();
	struct bw_ruleset *rs = bw_ruleset_new();
	struct bw_matcher *m = NULL;
	struct bw_error *err = NULL;

	assert_int_equal(bw_ruleset_load_string(rs, "t.yaml", yaml, strlen(yaml), &err), 0);
	if (bw_ruleset_compile(rs, &src, 1, &err) < 0) {
		for (size_t i = 0; i < bw_ruleset_diag_count(rs); i++)
			fprintf(stderr, "# %s\n", bw_ruleset_diag(rs, i)->msg);
		fail();
	}
	assert_int_equal(bw_matcher_new(rs, src, NULL, &m, &err), 0);
	*ret = rs;
	return m;
}

static bool matches(const char *condition, const char *event)
{
	char yaml[4096];
	struct bw_ruleset *rs;
	struct bw_matcher *m;
	struct bw_audit_batch *b = NULL;
	struct bw_error *err = NULL;
	int n;

	snprintf(yaml, sizeof(yaml),
		 "- rule: r\n  desc: d\n  condition: '%s'\n  output: o\n  priority: INFO\n"
		 "  source: k8s_audit\n",
		 condition);
	m = compile(yaml, &rs);
	assert_int_equal(bw_audit_decode(event, strlen(event), &b, &err), 0);
	assert_int_equal(bw_audit_batch_count(b), 1);
	n = bw_matcher_run(m, bw_audit_batch_event(b, 0), -1, NULL, NULL);
	bw_audit_batch_free(b);
	bw_matcher_free(m);
	bw_ruleset_free(rs);
	return n > 0;
}

static void test_fields(void **state)
{
	(void)state;
	assert_true(matches("ka.verb = create and ka.user.name = alice", pod));
	assert_true(matches("ka.user.groups intersects (g1)", pod));
	assert_true(matches("ka.target.resource = pods and ka.target.namespace = default", pod));
	assert_true(matches("not ka.target.subresource exists", pod));
	assert_true(matches("ka.response.code startswith 2", pod));
	assert_true(matches("ka.response.code = 201", pod));
	assert_true(matches("ka.auth.decision = allow", pod));
	assert_true(matches("ka.uri.param[dryRun] = All and ka.uri.param[x] = \"a b\"", pod));
	assert_true(matches("ka.req.pod.containers.image intersects (nginx:1.2)", pod));
	assert_true(matches("ka.req.pod.containers.image.repository in (nginx, docker.io/falcosecurity/falco)", pod));
	assert_false(matches("ka.req.pod.containers.image.repository in (nginx)", pod));
	assert_true(matches("ka.req.pod.containers.image.repository[1] = docker.io/falcosecurity/falco", pod));
	assert_true(matches("ka.req.container.image = nginx:1.2", pod));
	assert_true(matches("ka.req.container.image.repository = nginx", pod));
	assert_true(matches("ka.req.pod.containers.privileged intersects (true)", pod));
	assert_true(matches("ka.req.container.privileged = true", pod));
	assert_true(matches("ka.req.pod.host_network intersects (true)", pod));
	assert_true(matches("ka.req.pod.host_network = true", pod));
	assert_false(matches("ka.req.pod.host_pid exists", pod));
	assert_true(matches("ka.req.pod.containers.eff_run_as_user in (1000, 0)", pod));
	assert_true(matches("ka.req.pod.containers.host_port intersects (8080)", pod));
	assert_true(matches("ka.req.pod.containers.add_capabilities intersects (NET_ADMIN)", pod));
	assert_true(matches("ka.req.pod.volumes.hostpath intersects (/etc/kubernetes)", pod));
	assert_true(matches("ka.req.volume.hostpath[/etc*] = true", pod));
	assert_true(matches("ka.req.volume.hostpath[/proc] = false", pod));
	assert_true(matches("ka.req.pod.volumes.volume_type intersects (hostPath)", pod));
	assert_true(matches("jevt.value[/stage] = ResponseComplete", pod));
	assert_true(matches("jevt.value[/annotations/authorization.k8s.io~1decision] = allow", pod));
	assert_true(matches("jevt.value[/requestObject/spec/containers/1/name] = b", pod));
	assert_true(matches("jevt.rawtime exists and jevt.rawtime = 1540476552581541000", pod));
	assert_true(matches("jevt.value[/requestObject/spec/hostNetwork] = true", pod));
	assert_false(matches("jevt.value[/nope] exists", pod));
}

static void test_eventlist_and_output(void **state)
{
	char list[8192];
	struct bw_ruleset *rs;
	struct bw_matcher *m;
	struct bw_audit_batch *b = NULL;
	struct bw_error *err = NULL;
	struct bw_buf out = BW_BUF_INIT(1 << 20);

	(void)state;
	snprintf(list, sizeof(list),
		 "{\"kind\":\"EventList\",\"apiVersion\":\"audit.k8s.io/v1\",\"items\":[%s,%s]}", pod,
		 pod);
	m = compile("- rule: r\n  desc: d\n  condition: ka.verb = create\n"
		    "  output: user=%ka.user.name images=%ka.req.pod.containers.image code=%ka.response.code\n"
		    "  priority: WARNING\n  source: k8s_audit\n",
		    &rs);
	assert_int_equal(bw_audit_decode(list, strlen(list), &b, &err), 0);
	assert_int_equal(bw_audit_batch_count(b), 2);
	void *e = bw_audit_batch_event(b, 1);
	assert_int_equal(bw_matcher_run(m, e, -1, NULL, NULL), 1);
	assert_int_equal(bw_matcher_format_json(m, bw_ruleset_rule(rs, 0), e, "h", &out), 0);
	assert_non_null(strstr(out.data, "\"output\":\"user=alice images=(nginx:1.2,docker.io/falcosecurity/falco@sha256:ab) code=201\""));
	assert_non_null(strstr(out.data, "\"time\":\"2018-10-25T14:09:12.581541000Z\""));
	assert_non_null(strstr(out.data, "\"source\":\"k8s_audit\""));
	bw_buf_done(&out);
	bw_audit_batch_free(b);
	bw_matcher_free(m);
	bw_ruleset_free(rs);
}

static void test_bad_input(void **state)
{
	static const char *const bad[] = {
		"",
		"{",
		"[1,2]",
		"{\"kind\": 0}",
		"{\"kind\":\"Pod\"}",
		"{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v2\"}",
		"{\"kind\":\"EventList\",\"items\":{}}",
		"{\"kind\":\"EventList\",\"items\":[{\"kind\":\"Pod\"}]}",
		"{\"kind\":\"Event\",\"kind\":\"Event\"}",
		"\"Event\"",
	};
	struct bw_audit_batch *b = NULL;
	struct bw_error *err = NULL;

	(void)state;
	for (size_t i = 0; i < BW_ARRAY_SIZE(bad); i++) {
		assert_true(bw_audit_decode(bad[i], strlen(bad[i]), &b, &err) < 0);
		assert_non_null(err);
		err = bw_error_free(err);
	}
	assert_true(bw_audit_decode("{\"kind\": 0}", 11, &b, &err) < 0);
	assert_non_null(strstr(err->msg, "data not recognized as a k8s audit event"));
	err = bw_error_free(err);

	/* a huge document is refused before parsing */
	size_t big = BW_MAX_AUDIT_BATCH_SIZE + 1;
	char *huge = malloc(big);
	assert_non_null(huge);
	memset(huge, ' ', big);
	assert_int_equal(bw_audit_decode(huge, big, &b, &err), -EFBIG);
	err = bw_error_free(err);
	/* deep nesting does not crash */
	size_t depth = 100000;
	char *deep = malloc(2 * depth + 1);
	assert_non_null(deep);
	memset(deep, '[', depth);
	memset(deep + depth, ']', depth);
	assert_true(bw_audit_decode(deep, 2 * depth, &b, &err) < 0);
	err = bw_error_free(err);
	free(deep);
	free(huge);
}

/* The in-place JSON decoder: escapes, numbers, strictness, dumps. */
static void test_json_decoder(void **state)
{
	static const char *const bad[] = {
		"{\"kind\":\"Event\",\"a\":\"\\u0000\"}",
		"{\"kind\":\"Event\",\"a\":\"\\ud800\"}",
		"{\"kind\":\"Event\",\"a\":01}",
		"{\"kind\":\"Event\",\"a\":1.}",
		"{\"kind\":\"Event\",\"a\":[1,]}",
		"{\"kind\":\"Event\",\"a\":\"x\ty\"}",
		"{\"kind\":\"Event\"} x",
		"{\"kind\":\"Event\",\"a\":tru}",
	};
	struct bw_audit_batch *b = NULL;
	struct bw_error *err = NULL;

	(void)state;
	for (size_t i = 0; i < BW_ARRAY_SIZE(bad); i++) {
		assert_true(bw_audit_decode(bad[i], strlen(bad[i]), &b, &err) < 0);
		assert_non_null(strstr(err->msg, "invalid JSON"));
		err = bw_error_free(err);
	}
	/* escapes decode, surrogate pairs become UTF-8 */
	assert_true(matches("ka.user.name = \"a\\\"b\xf0\x9f\x98\x80\"",
			    "{\"kind\":\"Event\",\"user\":{\"username\":\"a\\\"b\\ud83d\\ude00\"}}"));
	assert_true(matches("ka.response.code = 201",
			    "{\"kind\":\"Event\",\"responseStatus\":{\"code\":201}}"));
	/* non-string values: compact JSON in document order, numbers as written */
	assert_true(matches("ka.req.role.rules contains \"[1.50,-2e3,true,null],\"",
			    "{\"kind\":\"Event\",\"requestObject\":{\"rules\":[{\"b\": [1.50, -2e3, true, null], \"a\": 1}]}}"));
	assert_true(matches("jevt.rawtime = 1540476552581541000",
			    "{\"kind\":\"Event\",\"stageTimestamp\":\"2018-10-25T14:09:12.581541Z\"}"));
	assert_true(matches("jevt.rawtime = 1540469352000000000",
			    "{\"kind\":\"Event\",\"stageTimestamp\":\"2018-10-25T14:09:12+02:00\"}"));
}

/* A reused replay event: values of the previous line never leak. */
static void test_replay_reuse(void **state)
{
	static const char yaml[] =
		"- rule: r\n  desc: d\n  condition: evt.type = open and not proc.name exists\n"
		"  output: \"%evt.rawtime %proc.name\"\n  priority: INFO\n";
	const struct bw_source *src = bw_replay_source();
	struct bw_ruleset *rs = bw_ruleset_new();
	struct bw_matcher *m = NULL;
	struct bw_replay_decoder *d = NULL;
	struct bw_replay_event *e = NULL;
	struct bw_error *err = NULL;
	const char *l1 = "{\"ts\": 5, \"evt.type\": \"open\", \"proc.name\": \"bash\"}";
	const char *l2 = "{\"evt.type\": \"open\", \"ts\": 7}";
	const char *l3 = "{\"evt.type\": \"open\", \"proc.name\": \"x\", \"ts\": \"no\"}";

	(void)state;
	assert_int_equal(bw_ruleset_load_string(rs, "t.yaml", yaml, strlen(yaml), &err), 0);
	assert_int_equal(bw_ruleset_compile(rs, &src, 1, &err), 0);
	assert_int_equal(bw_matcher_new(rs, src, NULL, &m, &err), 0);
	assert_int_equal(bw_replay_decoder_new(m, &d, &err), 0);
	assert_int_equal(bw_replay_decode_into(d, l1, strlen(l1), &e, &err), 0);
	assert_int_equal(bw_matcher_run(m, e, bw_replay_event_type(e), NULL, NULL), 0);
	assert_int_equal(bw_replay_decode_into(d, l2, strlen(l2), &e, &err), 0);
	assert_int_equal(bw_matcher_run(m, e, bw_replay_event_type(e), NULL, NULL), 1);
	struct bw_buf b = BW_BUF_INIT(1 << 16);
	assert_int_equal(bw_matcher_format_text(m, bw_ruleset_rule(rs, 0), e, &b), 0);
	assert_non_null(strstr(b.data, "Informational 7 <NA>"));
	bw_buf_done(&b);
	assert_true(bw_replay_decode_into(d, l3, strlen(l3), &e, &err) < 0);
	assert_non_null(strstr(err->msg, "`ts` must be an integer"));
	err = bw_error_free(err);
	bw_replay_event_free(e);
	bw_replay_decoder_free(d);
	bw_matcher_free(m);
	bw_ruleset_free(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_eventlist_and_output),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_json_decoder),
		cmocka_unit_test(test_replay_reuse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
