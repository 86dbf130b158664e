/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "bulwark/config.h"

static struct bw_config_scan *scan_text(const char *name, const char *text, enum bw_pss_level l)
{
	struct bw_config_opts o = { .size = sizeof(o), .pss_level = l, .pss_level_forced = l != 0 };
	struct bw_config_scan *s = NULL;
	struct bw_error *err = NULL;

	assert_int_equal(bw_config_scan_new(&o, &s, &err), 0);
	assert_int_equal(bw_config_scan_add_buffer(s, name, text, strlen(text), &err), 0);
	assert_int_equal(bw_config_scan_run(s, &err), 0);
	return s;
}

static size_t count(const struct bw_config_scan *s, const char *id)
{
	size_t n = 0;

	for (size_t i = 0; i < bw_config_scan_nfindings(s); i++)
		n += !strcmp(bw_config_scan_finding(s, i)->check->id, id);
	return n;
}

static const struct bw_finding *first(const struct bw_config_scan *s, const char *id)
{
	for (size_t i = 0; i < bw_config_scan_nfindings(s); i++)
		if (!strcmp(bw_config_scan_finding(s, i)->check->id, id))
			return bw_config_scan_finding(s, i);
	return NULL;
}

static void test_yaml_marks(void **state)
{
	const char *y = "a: 1\nb:\n  - x\n  - {c: \"true\", d: true}\n---\n# empty\n---\nk: ~\n";
	struct bw_yaml_file *f = NULL;
	struct bw_error *err = NULL;
	const struct bw_yaml_node *root, *b, *m;
	(void)state;

	assert_int_equal(bw_yaml_parse("t.yaml", y, strlen(y), &f, &err), 0);
	assert_int_equal(bw_yaml_file_ndocs(f), 3);
	root = bw_yaml_file_doc(f, 0);
	b = bw_yaml_get(root, "b");
	assert_non_null(b);
	assert_int_equal(b->type, BW_YAML_SEQ);
	assert_int_equal(b->line, 3);
	assert_int_equal(b->col, 3);
	m = bw_yaml_item(b, 1);
	assert_int_equal(m->line, 4);
	assert_int_equal(m->col, 5);
	assert_int_equal(bw_yaml_bool(bw_yaml_get(m, "c")), -1); /* quoted: a string */
	assert_int_equal(bw_yaml_bool(bw_yaml_get(m, "d")), 1);
	assert_int_equal(bw_yaml_file_doc(f, 1)->type, BW_YAML_NULL); /* empty document */
	assert_null(bw_yaml_get(bw_yaml_file_doc(f, 2), "k")); /* null reads as absent */
	bw_yaml_file_free(f);
}

static void test_yaml_merge_and_errors(void **state)
{
	const char *y = "base: &b {x: 1}\nobj:\n  <<: *b\n  y: 2\n";
	const char *bad = "a: 1\n\tb: 2\n";
	const char *alias = "a: *nowhere\n";
	struct bw_yaml_file *f = NULL;
	struct bw_error *err = NULL;
	(void)state;

	assert_int_equal(bw_yaml_parse("m.yaml", y, strlen(y), &f, &err), 0);
	assert_string_equal(bw_yaml_str(bw_yaml_path(bw_yaml_file_doc(f, 0), "obj.x")), "1");
	bw_yaml_file_free(f);

	assert_true(bw_yaml_parse("bad.yaml", bad, strlen(bad), &f, &err) < 0);
	assert_non_null(strstr(err->msg, "bad.yaml:2:"));
	err = bw_error_free(err);
	assert_true(bw_yaml_parse("alias.yaml", alias, strlen(alias), &f, &err) < 0);
	assert_non_null(strstr(err->msg, "names no anchor"));
	err = bw_error_free(err);
}

static void test_yaml_billion_laughs(void **state)
{
	struct bw_buf b = BW_BUF_INIT(1 << 20);
	struct bw_yaml_file *f = NULL;
	struct bw_error *err = NULL;
	(void)state;

	bw_buf_puts(&b, "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
	for (int i = 1; i < 12; i++)
		bw_buf_printf(&b, "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n",
			      i, i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
	assert_true(bw_yaml_parse("lol.yaml", b.data, b.len, &f, &err) < 0);
	assert_int_equal(err->code, -E2BIG);
	err = bw_error_free(err);
	bw_buf_done(&b);
}

static void test_yaml_depth(void **state)
{
	struct bw_buf b = BW_BUF_INIT(1 << 20);
	struct bw_yaml_file *f = NULL;
	struct bw_error *err = NULL;
	(void)state;

	for (int i = 0; i < 10000; i++)
		bw_buf_puts(&b, "[");
	assert_true(bw_yaml_parse("deep.yaml", b.data, b.len, &f, &err) < 0);
	assert_non_null(strstr(err->msg, "too deep"));
	err = bw_error_free(err);
	bw_buf_done(&b);
}

static const char deployment[] =
	"apiVersion: apps/v1\n"
	"kind: Deployment\n"
	"metadata:\n"
	"  name: web\n"
	"  namespace: shop\n"
	"spec:\n"
	"  template:\n"
	"    spec:\n"
	"      hostNetwork: true\n"
	"      containers:\n"
	"      - name: app\n"
	"        image: nginx\n"
	"        securityContext:\n"
	"          privileged: true\n";

static void test_workload_template(void **state)
{
	struct bw_config_scan *s = scan_text("d.yaml", deployment, BW_PSS_BASELINE);
	const struct bw_finding *f;
	(void)state;

	assert_int_equal(bw_config_scan_nobjects(s), 1);
	f = first(s, "PSS-PRIVILEGED");
	assert_non_null(f);
	assert_int_equal(f->line, 14);
	assert_int_equal(f->col, 23);
	assert_string_equal(f->kind, "Deployment");
	assert_string_equal(f->namespace, "shop");
	assert_string_equal(f->container, "app");
	assert_int_equal(count(s, "PSS-HOST-NAMESPACES"), 1);
	/* baseline: no restricted-only findings */
	assert_int_equal(count(s, "PSS-RUN-AS-NON-ROOT"), 0);
	assert_int_equal(count(s, "K8S-IMAGE-TAG"), 1);
	bw_config_scan_free(s);
}

static void test_cronjob_and_list(void **state)
{
	const char *y = "kind: List\nitems:\n"
			"- kind: CronJob\n  metadata: {name: c}\n  spec:\n    jobTemplate:\n      spec:\n"
			"        template:\n          spec:\n            hostPID: true\n"
			"            containers: [{name: x, image: 'a:1'}]\n";
	struct bw_config_scan *s = scan_text("l.yaml", y, BW_PSS_RESTRICTED);
	(void)state;

	assert_int_equal(bw_config_scan_nobjects(s), 1);
	assert_int_equal(count(s, "PSS-HOST-NAMESPACES"), 1);
	assert_int_equal(count(s, "PSS-RUN-AS-NON-ROOT"), 1);
	bw_config_scan_free(s);
}

static void test_ignore_annotation(void **state)
{
	const char *y = "kind: Pod\nmetadata:\n  name: p\n  annotations:\n"
			"    bulwark.dev/ignore: PSS-HOST-NAMESPACES, K8S-HOST-PID\n"
			"spec:\n  hostPID: true\n  containers: [{name: x, image: 'a:1'}]\n";
	struct bw_config_scan *s = scan_text("p.yaml", y, BW_PSS_BASELINE);
	(void)state;

	assert_int_equal(count(s, "PSS-HOST-NAMESPACES"), 0);
	assert_int_equal(count(s, "K8S-HOST-PID"), 0);
	bw_config_scan_free(s);
}

static void test_namespace_label(void **state)
{
	const char *y = "kind: Namespace\nmetadata:\n  name: lax\n  labels:\n"
			"    pod-security.kubernetes.io/enforce: privileged\n---\n"
			"kind: Pod\nmetadata: {name: p, namespace: lax}\n"
			"spec:\n  hostPID: true\n  containers: [{name: x, image: 'a:1'}]\n";
	struct bw_config_scan *s = scan_text("ns.yaml", y, 0);
	(void)state;

	assert_int_equal(count(s, "PSS-HOST-NAMESPACES"), 0);
	bw_config_scan_free(s);
}

static void test_bad_file_is_reported(void **state)
{
	struct bw_config_opts o = { .size = sizeof(o) };
	struct bw_config_scan *s = NULL;
	struct bw_error *err = NULL;
	const char *bad = "kind: Pod\n  x: [\n";
	(void)state;

	assert_int_equal(bw_config_scan_new(&o, &s, &err), 0);
	assert_int_equal(bw_config_scan_add_buffer(s, "bad.yaml", bad, strlen(bad), &err), 0);
	assert_int_equal(bw_config_scan_add_buffer(s, "ok.yaml", deployment, strlen(deployment), &err), 0);
	assert_int_equal(bw_config_scan_nfile_errors(s), 1);
	assert_non_null(strstr(bw_config_scan_file_error(s, 0), "bad.yaml:"));
	assert_int_equal(bw_config_scan_nobjects(s), 1);
	bw_config_scan_free(s);
}

static void test_dockerfile_parse(void **state)
{
	const char *d = "# escape=\\\nFROM debian:12 AS build\n"
			"RUN apt-get update && \\\n    # a comment\n    apt-get install -y curl\n"
			"COPY <<EOF /etc/x\nhello\nEOF\nCMD [\"a\", \"b\"]\n";
	struct bw_dockerfile *df = NULL;
	struct bw_error *err = NULL;
	(void)state;

	assert_int_equal(bw_dockerfile_parse("Dockerfile", d, strlen(d), &df, &err), 0);
	assert_int_equal(df->n, 4);
	assert_string_equal(df->instrs[1].cmd, "RUN");
	assert_int_equal(df->instrs[1].line, 3);
	assert_int_equal(df->instrs[1].end_line, 5);
	assert_non_null(strstr(df->instrs[1].args, "apt-get install -y curl"));
	assert_int_equal(df->instrs[2].nheredocs, 1);
	assert_string_equal(df->instrs[2].heredocs[0].body, "hello\n");
	assert_true(df->instrs[3].json);
	assert_int_equal(df->instrs[3].argc, 2);
	bw_dockerfile_free(df);
}

static void test_dockerfile_checks(void **state)
{
	const char *d = "FROM ubuntu\nRUN apt-get update && apt-get install curl\nUSER root\n";
	struct bw_config_scan *s = scan_text("Dockerfile", d, 0);
	(void)state;

	assert_int_equal(count(s, "DF-DL3006"), 1);
	assert_int_equal(count(s, "DF-DL3008"), 1);
	assert_int_equal(count(s, "DF-DL3014"), 1);
	assert_int_equal(count(s, "DF-DL3009"), 1);
	assert_int_equal(count(s, "DF-DL3002"), 1);
	assert_int_equal(first(s, "DF-DL3008")->line, 2);
	bw_config_scan_free(s);
}

static void test_dockerfile_runaway(void **state)
{
	struct bw_buf b = BW_BUF_INIT(8u << 20);
	struct bw_dockerfile *df = NULL;
	struct bw_error *err = NULL;
	(void)state;

	bw_buf_puts(&b, "FROM a:1\nRUN x \\\n");
	while (b.len < 2 * BW_MAX_DOCKERFILE_LINE)
		bw_buf_puts(&b, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa \\\n");
	assert_true(bw_dockerfile_parse("Dockerfile", b.data, b.len, &df, &err) < 0);
	assert_non_null(strstr(err->msg, "Dockerfile:2:"));
	err = bw_error_free(err);
	bw_buf_done(&b);
}

static void test_cross_object(void **state)
{
	static const char text[] =
		"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\n"
		"spec:\n  replicas: 3\n  selector: {matchLabels: {app: web}}\n"
		"  template:\n    metadata: {labels: {app: web, tier: front}}\n"
		"    spec:\n      serviceAccountName: web\n"
		"      containers: [{name: c, image: 'nginx@sha256:"
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'}]\n"
		"---\napiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\n"
		"spec: {selector: {app: web}}\n"
		"---\napiVersion: v1\nkind: Service\nmetadata: {name: orphan, namespace: shop}\n"
		"spec: {selector: {app: gone}}\n"
		"---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
		"metadata: {name: np, namespace: shop}\n"
		"spec:\n  podSelector:\n    matchExpressions: [{key: tier, operator: In, values: [back]}]\n"
		"---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\n"
		"metadata: {name: h, namespace: shop}\n"
		"spec: {scaleTargetRef: {kind: Deployment, name: web}, minReplicas: 3}\n";
	struct bw_config_scan *s = scan_text("app.yaml", text, BW_PSS_BASELINE);

	(void)state;
	assert_int_equal(count(s, "K8S-DANGLING-SERVICE"), 1);
	assert_string_equal(first(s, "K8S-DANGLING-SERVICE")->name, "orphan");
	assert_int_equal(count(s, "K8S-DANGLING-NETPOL"), 1);
	assert_int_equal(count(s, "K8S-DANGLING-HPA"), 0);
	assert_int_equal(count(s, "K8S-HPA-MIN-REPLICAS"), 0);
	assert_int_equal(count(s, "K8S-NONEXISTENT-SA"), 1);
	assert_int_equal(count(s, "K8S-MISMATCHING-SELECTOR"), 0);
	assert_int_equal(count(s, "K8S-IMAGE-DIGEST"), 0);
	assert_int_equal(count(s, "K8S-NON-ISOLATED-POD"), 1);
	bw_config_scan_free(s);
}

static void test_explain_table(void **state)
{
	(void)state;
	assert_true(bw_config_check_count() > 100);
	for (size_t i = 0; i < bw_config_check_count(); i++) {
		const struct bw_check_info *c = bw_config_check_at(i);
		assert_non_null(c->title);
		assert_non_null(c->why);
		assert_non_null(c->fix);
		assert_true(c->severity != BW_SEV_UNKNOWN);
		assert_ptr_equal(bw_config_check_find(c->id), c);
	}
	assert_non_null(bw_config_check_find("pss-privileged"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yaml_marks),
		cmocka_unit_test(test_yaml_merge_and_errors),
		cmocka_unit_test(test_yaml_billion_laughs),
		cmocka_unit_test(test_yaml_depth),
		cmocka_unit_test(test_workload_template),
		cmocka_unit_test(test_cronjob_and_list),
		cmocka_unit_test(test_ignore_annotation),
		cmocka_unit_test(test_namespace_label),
		cmocka_unit_test(test_bad_file_is_reported),
		cmocka_unit_test(test_dockerfile_parse),
		cmocka_unit_test(test_dockerfile_checks),
		cmocka_unit_test(test_dockerfile_runaway),
		cmocka_unit_test(test_cross_object),
		cmocka_unit_test(test_explain_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
