/* SPDX-License-Identifier: Apache-2.0 */
/* The rule engine: loading, the condition language, every operator, lists,
 * macros, exceptions, append/override, outputs and bad input. Events come
 * from a tiny test source whose fields are set per test. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bulwark/rules.h"
#include "bulwark/runtime.h"

/* ---------------------------------------------------------------- test source */

enum { F_TYPE, F_NAME, F_PATH, F_NUM, F_FLAG, F_LIST, F_IP, F_NET, F_ANAME, F_ARG, F_OTHER, NF };

static const struct bw_field_info tfields[NF] = {
	[F_TYPE] = { "evt.type", BW_FT_STRING, 0 },
	[F_NAME] = { "proc.name", BW_FT_STRING, 0 },
	[F_PATH] = { "fd.name", BW_FT_STRING, 0 },
	[F_NUM] = { "proc.pid", BW_FT_NUMBER, 0 },
	[F_FLAG] = { "proc.tty", BW_FT_BOOL, 0 },
	[F_LIST] = { "t.list", BW_FT_STRING, BW_FF_LIST | BW_FF_ARG_INDEX },
	[F_IP] = { "fd.sip", BW_FT_IPADDR, 0 },
	[F_NET] = { "fd.snet", BW_FT_IPNET, 0 },
	[F_ANAME] = { "proc.aname", BW_FT_STRING, BW_FF_ARG_INDEX },
	[F_ARG] = { "evt.arg", BW_FT_DYNAMIC,
		    BW_FF_ARG_KEY | BW_FF_ARG_INDEX | BW_FF_ARG_REQUIRED | BW_FF_ARG_DOT },
	[F_OTHER] = { "proc.pname", BW_FT_STRING, 0 },
};

struct tevt {
	const char *v[NF][4];
	int n[NF];
};

static struct bw_value vbuf[4096];

static size_t textract(void *evt, const struct bw_field_ref *ref, const struct bw_value **ret)
{
	struct tevt *e = evt;
	static int next;
	int n = e->n[ref->field];
	int from = 0;

	if (next > 4000)
		next = 0;
	if (ref->field == F_ANAME || ref->field == F_ARG || ref->field == F_LIST) {
		if (ref->index >= 0) {
			if (ref->index >= n)
				return 0;
			from = (int)ref->index;
			n = from + 1;
		} else if (ref->field == F_ARG) {
			/* evt.arg.KEY: the value "KEY=..." */
			for (int i = 0; i < n; i++) {
				size_t kl = strlen(ref->arg);
				if (!strncmp(e->v[F_ARG][i], ref->arg, kl) && e->v[F_ARG][i][kl] == '=') {
					const char *s = e->v[F_ARG][i] + kl + 1;
					char *end;
					long long x = strtoll(s, &end, 10);
					vbuf[next] = (struct bw_value){ .s = s, .len = (uint32_t)strlen(s),
									.is_num = !*end && *s, .num = x };
					*ret = &vbuf[next++];
					return 1;
				}
			}
			return 0;
		}
	}
	struct bw_value *out = &vbuf[next];
	for (int i = from; i < n; i++) {
		const char *s = e->v[ref->field][i];
		char *end;
		long long x = strtoll(s, &end, 10);
		vbuf[next++] = (struct bw_value){ .s = s, .len = (uint32_t)strlen(s),
						  .is_num = !*end && *s, .num = x };
	}
	*ret = out;
	return (size_t)(n - from);
}

static int64_t ttime(void *evt)
{
	(void)evt;
	return 1700000000123456789LL;
}

static const struct bw_source tsrc = {
	.name = "syscall",
	.fields = tfields,
	.nfields = NF,
	.index_field = "evt.type",
	.extract = textract,
	.time_ns = ttime,
};

static void set(struct tevt *e, int f, const char *v)
{
	e->v[f][e->n[f]++] = v;
}

/* ---------------------------------------------------------------- helpers */

static struct bw_ruleset *load(const char *yaml, int want)
{
	const struct bw_source *srcs[] = { &tsrc, bw_audit_source() };
	struct bw_ruleset *rs = bw_ruleset_new();
	struct bw_error *err = NULL;
	int r;

	assert_non_null(rs);
	r = bw_ruleset_load_string(rs, "test.yaml", yaml, strlen(yaml), &err);
	if (r == 0)
		r = bw_ruleset_compile(rs, srcs, 2, &err);
	if ((r == 0) != (want == 0)) {
		for (size_t i = 0; i < bw_ruleset_diag_count(rs); i++)
			fprintf(stderr, "# diag: %s\n", bw_ruleset_diag(rs, i)->msg);
		fail_msg("load returned %d, wanted %d", r, want);
	}
	bw_error_free(err);
	return rs;
}

static bool has_diag(const struct bw_ruleset *rs, const char *needle, unsigned line)
{
	for (size_t i = 0; i < bw_ruleset_diag_count(rs); i++) {
		const struct bw_diag *d = bw_ruleset_diag(rs, i);
		if (strstr(d->msg, needle) && (!line || d->line == line))
			return true;
	}
	return false;
}

static const char *first_match;

static int on_match(const struct bw_rule_info *r, void *evt, void *ud)
{
	(void)evt;
	(void)ud;
	first_match = r->name;
	return 0;
}

/* Compiles "condition" as the only rule and evaluates it on e. */
static bool cond(const char *condition, struct tevt *e)
{
	char yaml[8192];
	struct bw_ruleset *rs;
	struct bw_matcher *m = NULL;
	struct bw_error *err = NULL;
	int n;

	snprintf(yaml, sizeof(yaml),
		 "- list: shells\n  items: [bash, sh, zsh]\n"
		 "- list: more_shells\n  items: [shells, fish]\n"
		 "- macro: is_shell\n  condition: proc.name in (more_shells)\n"
		 "- rule: r\n  desc: d\n  condition: '%s'\n  output: o\n  priority: WARNING\n",
		 condition);
	rs = load(yaml, 0);
	assert_int_equal(bw_matcher_new(rs, &tsrc, NULL, &m, &err), 0);
	int ty = e->n[F_TYPE] ? bw_matcher_evtype(m, e->v[F_TYPE][0]) : -1;
	n = bw_matcher_run(m, e, ty, on_match, NULL);
	bw_matcher_free(m);
	bw_ruleset_free(rs);
	return n > 0;
}

static struct tevt ev(void)
{
	struct tevt e = { 0 };

	set(&e, F_TYPE, "open");
	set(&e, F_NAME, "bash");
	set(&e, F_PATH, "/etc/shadow");
	set(&e, F_NUM, "1234");
	set(&e, F_FLAG, "true");
	set(&e, F_LIST, "a");
	set(&e, F_LIST, "b");
	set(&e, F_IP, "10.1.2.3");
	set(&e, F_NET, "192.168.1.7");
	set(&e, F_ANAME, "bash");
	set(&e, F_ANAME, "sshd");
	set(&e, F_ANAME, "systemd");
	set(&e, F_ARG, "flags=O_RDONLY|O_CREAT");
	set(&e, F_ARG, "res=-2");
	set(&e, F_OTHER, "bash");
	return e;
}

/* ---------------------------------------------------------------- operators */

static void test_operators(void **state)
{
	struct tevt e = ev();

	(void)state;
	assert_true(cond("proc.name = bash", &e));
	assert_true(cond("proc.name == bash", &e));
	assert_false(cond("proc.name = sh", &e));
	assert_true(cond("proc.name != sh", &e));
	assert_true(cond("proc.pid = 1234", &e));
	assert_true(cond("proc.pid < 2000 and proc.pid <= 1234 and proc.pid > 1 and proc.pid >= 1234", &e));
	assert_false(cond("proc.pid > 1234", &e));
	assert_true(cond("proc.pid in (1, 1234)", &e));
	assert_true(cond("proc.pid = 0x4d2", &e));
	assert_true(cond("fd.name contains shad", &e));
	assert_false(cond("fd.name contains SHAD", &e));
	assert_true(cond("fd.name icontains SHAD", &e));
	assert_true(cond("fd.name startswith /etc/", &e));
	assert_true(cond("fd.name endswith shadow", &e));
	assert_true(cond("fd.name bcontains 736861", &e)); /* "sha" */
	assert_true(cond("fd.name bstartswith 2f657463", &e)); /* "/etc" */
	assert_false(cond("fd.name bstartswith 2f757372", &e));
	assert_true(cond("fd.name glob /etc/*ado?", &e));
	assert_false(cond("fd.name glob /usr/*", &e));
	assert_true(cond("fd.name iglob /ETC/*", &e));
	assert_true(cond("fd.name regex \"/etc/s.*w\"", &e));
	assert_false(cond("fd.name regex \"etc\"", &e)); /* full match */
	assert_true(cond("fd.name pmatch (/usr, /etc)", &e));
	assert_true(cond("fd.name pmatch (/etc/shadow)", &e));
	assert_false(cond("fd.name pmatch (/et, /usr)", &e));
	assert_true(cond("fd.name in (/etc/passwd, /etc/shadow)", &e));
	assert_true(cond("fd.name exists", &e));
	assert_false(cond("fd.nonexistent exists", &e) && false);
	assert_true(cond("proc.tty = true", &e));
	assert_false(cond("proc.tty = false", &e));
	assert_true(cond("fd.sip = 10.1.2.3", &e));
	assert_true(cond("fd.sip in (10.0.0.0/8)", &e));
	assert_true(cond("fd.snet = 192.168.0.0/16", &e));
	assert_false(cond("fd.snet in (10.0.0.0/8, 172.16.0.0/12)", &e));
	assert_true(cond("fd.snet != 10.0.0.0/8", &e));
}

static void test_lists_fields(void **state)
{
	struct tevt e = ev();

	(void)state;
	/* list fields: in = all values in the set, intersects = any */
	assert_true(cond("t.list in (a, b, c)", &e));
	assert_false(cond("t.list in (a, c)", &e));
	assert_true(cond("t.list intersects (b, z)", &e));
	assert_false(cond("t.list intersects (y, z)", &e));
	assert_true(cond("t.list[1] = b", &e));
	assert_true(cond("t.list = b", &e)); /* any value */
	assert_true(cond("t.list contains b", &e));
	assert_false(cond("t.list startswith z", &e));
	assert_true(cond("t.list exists", &e));
	/* indexed and argument fields */
	assert_true(cond("proc.aname[1] = sshd", &e));
	assert_true(cond("proc.aname[2] = systemd", &e));
	assert_false(cond("proc.aname[3] exists", &e));
	assert_true(cond("evt.arg.flags contains O_CREAT", &e));
	assert_true(cond("evt.arg[flags] contains O_RDONLY", &e));
	assert_true(cond("evt.arg.res < 0", &e));
	assert_true(cond("evt.arg.res = -2", &e));
	/* lists, nested lists and macros */
	assert_true(cond("proc.name in (shells)", &e));
	assert_true(cond("proc.name in (more_shells)", &e));
	assert_true(cond("is_shell", &e));
	assert_true(cond("proc.name in more_shells", &e));
	assert_false(cond("not is_shell", &e));
	/* boolean structure, precedence: not > and > or */
	assert_true(cond("proc.name = sh or proc.name = bash and proc.pid = 1234", &e));
	assert_false(cond("(proc.name = sh or proc.name = bash) and proc.pid = 1", &e));
	assert_true(cond("not proc.name = sh and not (proc.pid = 1)", &e));
	assert_true(cond("not not proc.name = bash", &e));
	assert_true(cond("not(proc.name = sh)", &e));
	assert_true(cond("proc.name=bash and(proc.pid=1234)", &e));
	/* missing fields: every comparison is false, even != */
	assert_false(cond("fd.sport = 1", &e) && false);
}

static void test_transformers(void **state)
{
	struct tevt e = ev();

	(void)state;
	assert_true(cond("toupper(proc.name) = BASH", &e));
	assert_true(cond("tolower(toupper(proc.name)) = bash", &e));
	assert_true(cond("basename(fd.name) = shadow", &e));
	assert_true(cond("len(fd.name) = 11", &e));
	assert_true(cond("len(t.list) = 2", &e));
	assert_true(cond("proc.name = val(proc.pname)", &e));
	assert_false(cond("proc.name != val(proc.pname)", &e));
	struct tevt b = { 0 };
	set(&b, F_NAME, "YmFzaA=="); /* "bash" */
	assert_true(cond("b64(proc.name) = bash", &b));
}

static void test_evtype_index(void **state)
{
	static const char yaml[] =
		"- rule: open_rule\n  desc: d\n  condition: evt.type in (open, openat) and proc.name = bash\n"
		"  output: o\n  priority: WARNING\n"
		"- rule: exec_rule\n  desc: d\n  condition: evt.type = execve\n  output: o\n  priority: ERROR\n"
		"- rule: any_rule\n  desc: d\n  condition: proc.name = bash\n  output: o\n  priority: INFO\n";
	struct bw_ruleset *rs = load(yaml, 0);
	struct bw_matcher *m = NULL;
	struct bw_matcher_opts o = { .sz = sizeof(o), .all_matches = true,
				     .min_priority = BW_PRIO_DEBUG };
	struct tevt e = ev();

	(void)state;
	assert_int_equal(bw_matcher_new(rs, &tsrc, &o, &m, NULL), 0);
	assert_true(bw_matcher_evtype(m, "open") >= 0);
	assert_int_equal(bw_matcher_evtype(m, "nosuch"), -1);
	assert_int_equal(bw_matcher_run(m, &e, bw_matcher_evtype(m, "open"), NULL, NULL), 2);
	/* checks on evt.type are decided by the type the event is run as */
	struct tevt x = ev();
	x.n[F_TYPE] = 0;
	set(&x, F_TYPE, "execve");
	assert_int_equal(bw_matcher_run(m, &x, bw_matcher_evtype(m, "execve"), NULL, NULL), 2);
	x.n[F_NAME] = 0;
	set(&x, F_NAME, "zsh");
	assert_int_equal(bw_matcher_run(m, &x, bw_matcher_evtype(m, "execve"), NULL, NULL), 1);
	assert_int_equal(bw_matcher_run(m, &x, bw_matcher_evtype(m, "open"), NULL, NULL), 0);
	assert_int_equal(bw_matcher_run(m, &e, -1, NULL, NULL), 1);
	/* an unknown type: only untyped rules, evt.type checked on the event */
	x.n[F_TYPE] = 0;
	set(&x, F_TYPE, "nosuch");
	x.n[F_NAME] = 0;
	set(&x, F_NAME, "bash");
	assert_int_equal(bw_matcher_run(m, &x, -1, NULL, NULL), 1);
	bw_matcher_free(m);
	/* first match only, by default, in definition order */
	assert_int_equal(bw_matcher_new(rs, &tsrc, NULL, &m, NULL), 0);
	first_match = NULL;
	assert_int_equal(bw_matcher_run(m, &e, bw_matcher_evtype(m, "open"), on_match, NULL), 1);
	assert_string_equal(first_match, "open_rule");
	bw_matcher_free(m);
	/* min priority filters */
	o.all_matches = false;
	o.min_priority = BW_PRIO_ERROR;
	assert_int_equal(bw_matcher_new(rs, &tsrc, &o, &m, NULL), 0);
	assert_int_equal(bw_matcher_rule_count(m), 1);
	bw_matcher_free(m);
	bw_ruleset_free(rs);
}

/* ---------------------------------------------------------------- language */

static void test_exceptions(void **state)
{
	static const char yaml[] =
		"- list: allowed_paths\n  items: [/etc/shadow]\n"
		"- rule: r\n  desc: d\n  condition: proc.name = bash\n  output: o\n  priority: WARNING\n"
		"  exceptions:\n"
		"    - name: by_pair\n      fields: [proc.name, fd.name]\n      comps: [=, startswith]\n"
		"      values:\n        - [zsh, /tmp]\n"
		"    - name: single\n      fields: proc.pid\n      values: [1, 2]\n";
	static const char yaml_hit[] =
		"- rule: r\n  desc: d\n  condition: proc.name = bash\n  output: o\n  priority: WARNING\n"
		"  exceptions:\n"
		"    - name: by_pair\n      fields: [proc.name, fd.name]\n      comps: [=, in]\n"
		"      values:\n        - [bash, [/etc/passwd, /etc/shadow]]\n";
	static const char yaml_listref[] =
		"- list: allowed_paths\n  items: [/etc/shadow]\n"
		"- rule: r\n  desc: d\n  condition: proc.name = bash\n  output: o\n  priority: WARNING\n"
		"  exceptions:\n"
		"    - name: paths\n      fields: [fd.name]\n      comps: [in]\n"
		"      values:\n        - [allowed_paths]\n"
		"- rule: r\n  append: true\n  exceptions:\n    - name: paths\n      values: [[/x]]\n";
	struct tevt e = ev();
	struct bw_matcher *m = NULL;
	struct bw_ruleset *rs;

	(void)state;
	rs = load(yaml, 0);
	assert_int_equal(bw_matcher_new(rs, &tsrc, NULL, &m, NULL), 0);
	assert_int_equal(bw_matcher_run(m, &e, -1, NULL, NULL), 1);
	bw_matcher_free(m);
	bw_ruleset_free(rs);
	rs = load(yaml_hit, 0);
	assert_int_equal(bw_matcher_new(rs, &tsrc, NULL, &m, NULL), 0);
	assert_int_equal(bw_matcher_run(m, &e, -1, NULL, NULL), 0);
	bw_matcher_free(m);
	bw_ruleset_free(rs);
	rs = load(yaml_listref, 0);
	assert_int_equal(bw_matcher_new(rs, &tsrc, NULL, &m, NULL), 0);
	assert_int_equal(bw_matcher_run(m, &e, -1, NULL, NULL), 0);
	bw_matcher_free(m);
	bw_ruleset_free(rs);

	/* bad exceptions */
	rs = load("- rule: r\n  desc: d\n  condition: proc.name = bash\n  output: o\n  priority: INFO\n"
		  "  exceptions:\n    - fields: [proc.name]\n", -EINVAL);
	assert_true(has_diag(rs, "no mapping for key 'name'", 7));
	bw_ruleset_free(rs);
	rs = load("- rule: r\n  desc: d\n  condition: proc.name = bash\n  output: o\n  priority: INFO\n"
		  "  exceptions:\n    - name: x\n      fields: [proc.name, fd.name]\n      comps: [=]\n",
		  -EINVAL);
	assert_true(has_diag(rs, "fields and comps lists do not have equal length", 0));
	bw_ruleset_free(rs);
	rs = load("- rule: r\n  desc: d\n  condition: proc.name = bash\n  output: o\n  priority: INFO\n"
		  "  exceptions:\n    - name: x\n      fields: [proc.name]\n      comps: [nope]\n",
		  -EINVAL);
	assert_true(has_diag(rs, "invalid comparison operator", 0));
	bw_ruleset_free(rs);
	rs = load("- rule: r\n  desc: d\n  condition: proc.name = bash\n  output: o\n  priority: INFO\n"
		  "  exceptions:\n    - name: x\n      fields: [proc.name, fd.name]\n"
		  "      values: [[a]]\n",
		  -EINVAL);
	assert_true(has_diag(rs, "fields and values lists do not have equal length", 0));
	bw_ruleset_free(rs);
}

static void test_append_override(void **state)
{
	static const char yaml[] =
		"- list: l\n  items: [sh]\n"
		"- list: l\n  items: [bash]\n  append: true\n"
		"- macro: m\n  condition: proc.name in (l)\n"
		"- macro: m\n  condition: and proc.pid = 1234\n  append: true\n"
		"- rule: r\n  desc: d\n  condition: m\n  output: o\n  priority: WARNING\n"
		"- rule: r\n  condition: and fd.name = /etc/shadow\n  append: true\n"
		"- rule: r2\n  desc: d\n  condition: proc.name = nothing\n  output: o\n  priority: WARNING\n"
		"- rule: r2\n  condition: proc.name = bash\n  override:\n    condition: replace\n"
		"- rule: r3\n  desc: d\n  condition: proc.name = bash\n  output: o\n  priority: WARNING\n"
		"- rule: r3\n  enabled: false\n";
	struct bw_ruleset *rs = load(yaml, 0);
	struct bw_matcher *m = NULL;
	struct bw_matcher_opts o = { .sz = sizeof(o), .all_matches = true,
				     .min_priority = BW_PRIO_DEBUG };
	struct tevt e = ev();

	(void)state;
	assert_int_equal(bw_matcher_new(rs, &tsrc, &o, &m, NULL), 0);
	assert_int_equal(bw_matcher_run(m, &e, -1, NULL, NULL), 2);
	assert_int_equal(bw_ruleset_rule(rs, 2)->state, BW_RULE_DISABLED);
	assert_string_equal(bw_ruleset_rule(rs, 0)->condition, "m and fd.name = /etc/shadow");
	bw_matcher_free(m);
	bw_ruleset_free(rs);

	rs = load("- rule: r\n  condition: x\n  append: true\n", -EINVAL);
	assert_true(has_diag(rs, "no rule by that name already exists", 1));
	bw_ruleset_free(rs);
	rs = load("- list: l\n  items: [x]\n  append: true\n", -EINVAL);
	assert_true(has_diag(rs, "no list by that name", 1));
	bw_ruleset_free(rs);
	rs = load("- macro: m\n  condition: x\n  append: true\n", -EINVAL);
	assert_true(has_diag(rs, "no macro by that name", 1));
	bw_ruleset_free(rs);
	rs = load("- rule: r\n  desc: d\n  condition: proc.name = a\n  output: o\n  priority: INFO\n"
		  "- rule: r\n  output: x\n  override:\n    output: append\n    priority: replace\n",
		  -EINVAL);
	assert_true(has_diag(rs, "no such key", 10));
	bw_ruleset_free(rs);
}

static void test_versions(void **state)
{
	struct bw_ruleset *rs;

	(void)state;
	rs = load("- required_engine_version: 15\n- required_engine_version: 0.31.0\n", 0);
	bw_ruleset_free(rs);
	rs = load("- required_engine_version: 9999\n", -EINVAL);
	assert_true(has_diag(rs, "Rules require engine version", 1));
	bw_ruleset_free(rs);
	rs = load("- required_engine_version: x.y\n", -EINVAL);
	assert_true(has_diag(rs, "must be a number or a semver string", 1));
	bw_ruleset_free(rs);
	rs = load("- required_plugin_versions:\n    - name: k8saudit\n      version: 0.1.0\n"
		  "    - name: cloudtrail\n      version: 0.1.0\n",
		  0);
	assert_true(has_diag(rs, "plugin `cloudtrail`", 4));
	bw_ruleset_free(rs);
}

/* ---------------------------------------------------------------- bad input */

static void test_errors(void **state)
{
	struct bw_ruleset *rs;

	(void)state;
	rs = load("- rule: r\n  desc: d\n  condition: (proc.name = a\n  output: o\n  priority: INFO\n",
		  -EINVAL);
	assert_true(has_diag(rs, "expected a ')' token", 3));
	bw_ruleset_free(rs);
	rs = load("- rule: r\n  desc: d\n  condition: nomacro and proc.name = a\n  output: o\n"
		  "  priority: INFO\n",
		  -EINVAL);
	assert_true(has_diag(rs, "Undefined macro 'nomacro'", 3));
	bw_ruleset_free(rs);
	rs = load("- macro: a\n  condition: b\n- macro: b\n  condition: a\n"
		  "- rule: r\n  desc: d\n  condition: a\n  output: o\n  priority: INFO\n",
		  -EINVAL);
	assert_true(has_diag(rs, "reference loop in macro", 0));
	bw_ruleset_free(rs);
	rs = load("- list: a\n  items: [a, b]\n", -EINVAL);
	assert_true(has_diag(rs, "list references itself", 1));
	bw_ruleset_free(rs);
	rs = load("- rule: r\n  desc: d\n  condition: proc.name = a\n  priority: INFO\n", -EINVAL);
	assert_true(has_diag(rs, "Item has no mapping for key 'output'", 1));
	bw_ruleset_free(rs);
	rs = load("- rule: r\n  desc: d\n  condition: fd.name glob \"/a[b\"\n  output: o\n"
		  "  priority: INFO\n",
		  -EINVAL);
	assert_true(has_diag(rs, "invalid glob pattern", 3));
	bw_ruleset_free(rs);
	rs = load("- rule: r\n  desc: d\n  condition: fd.name regex \"(\"\n  output: o\n"
		  "  priority: INFO\n",
		  -EINVAL);
	assert_true(has_diag(rs, "invalid regular expression", 3));
	bw_ruleset_free(rs);
	rs = load("- rule: r\n  desc: d\n  condition: proc.pid = abc\n  output: o\n  priority: INFO\n",
		  -EINVAL);
	assert_true(has_diag(rs, "not a valid number", 3));
	bw_ruleset_free(rs);
	rs = load("- rule: r\n  desc: d\n  condition: proc.name = a\n  output: o\n  priority: LOUD\n",
		  -EINVAL);
	assert_true(has_diag(rs, "Invalid priority", 5));
	bw_ruleset_free(rs);
	rs = load("foo: [\n", -EINVAL);
	assert_true(has_diag(rs, "cannot parse YAML", 0));
	bw_ruleset_free(rs);
	rs = load("just a string\n", -EINVAL);
	assert_true(has_diag(rs, "not yaml array of objects", 1));
	bw_ruleset_free(rs);
	rs = load("- [1, 2]\n", -EINVAL);
	assert_true(has_diag(rs, "Unexpected element type", 1));
	bw_ruleset_free(rs);

	/* deep nesting is bounded */
	char deep[2048] = "- rule: r\n  desc: d\n  condition: ";
	for (int i = 0; i < 300; i++)
		strcat(deep, "(");
	strcat(deep, "\n  output: o\n  priority: INFO\n");
	rs = load(deep, -EINVAL);
	assert_true(has_diag(rs, "maximum nesting depth", 0));
	bw_ruleset_free(rs);

	/* a 10 MB condition: too large, a clear error, no crash */
	size_t big = 10u << 20;
	char *huge = malloc(big + 200);
	assert_non_null(huge);
	strcpy(huge, "- rule: r\n  desc: d\n  output: o\n  priority: INFO\n  condition: proc.name in (");
	size_t off = strlen(huge);
	while (off < big) {
		memcpy(huge + off, "aaaaaaa, ", 9);
		off += 9;
	}
	strcpy(huge + off, "b)\n");
	const struct bw_source *srcs[] = { &tsrc };
	struct bw_error *err = NULL;
	rs = bw_ruleset_new();
	int r = bw_ruleset_load_string(rs, "huge.yaml", huge, strlen(huge), &err);
	if (r == 0)
		r = bw_ruleset_compile(rs, srcs, 1, &err);
	assert_true(r < 0);
	assert_non_null(err);
	err = bw_error_free(err);
	bw_ruleset_free(rs);
	free(huge);
}

/* A rule that uses a field no source provides is skipped and named. */
static void test_skipped(void **state)
{
	struct bw_ruleset *rs = load(
		"- rule: uses_unknown\n  desc: d\n  condition: proc.nosuchfield = 1\n  output: o\n"
		"  priority: INFO\n"
		"- rule: unknown_source\n  desc: d\n  condition: x.y = 1\n  output: o\n  priority: INFO\n"
		"  source: aws_cloudtrail\n"
		"- rule: bad_output\n  desc: d\n  condition: proc.name = a\n  output: \"%proc.nosuch\"\n"
		"  priority: INFO\n",
		0);

	(void)state;
	assert_int_equal(bw_ruleset_rule(rs, 0)->state, BW_RULE_SKIPPED);
	assert_non_null(strstr(bw_ruleset_rule(rs, 0)->skip_reason, "proc.nosuchfield"));
	assert_int_equal(bw_ruleset_rule(rs, 1)->state, BW_RULE_SKIPPED);
	assert_non_null(strstr(bw_ruleset_rule(rs, 1)->skip_reason, "aws_cloudtrail"));
	assert_int_equal(bw_ruleset_rule(rs, 2)->state, BW_RULE_SKIPPED);
	assert_int_equal(bw_ruleset_count(rs, NULL, BW_RULE_SKIPPED), 3);
	bw_ruleset_free(rs);
}

/* A failed load leaves an earlier ruleset usable (the caller keeps it). */
static void test_keep_last_good(void **state)
{
	struct bw_ruleset *good = load("- rule: r\n  desc: d\n  condition: proc.name = bash\n"
				       "  output: o\n  priority: INFO\n",
				       0);
	struct bw_ruleset *bad = load("- rule: r\n  desc: d\n  condition: (\n", -EINVAL);
	struct bw_matcher *m = NULL;
	struct tevt e = ev();

	(void)state;
	bw_ruleset_free(bad);
	assert_int_equal(bw_matcher_new(good, &tsrc, NULL, &m, NULL), 0);
	assert_int_equal(bw_matcher_run(m, &e, -1, NULL, NULL), 1);
	bw_matcher_free(m);
	bw_ruleset_free(good);
}

static void test_output(void **state)
{
	struct bw_ruleset *rs = load(
		"- rule: r\n  desc: d\n  condition: proc.name = bash\n"
		"  output: \"shell %proc.name pid=%proc.pid list=%t.list anc=%proc.aname[1] "
		"flags=%evt.arg.flags none=%fd.sip 100%% done.\"\n"
		"  priority: WARNING\n  tags: [a, b]\n",
		0);
	struct bw_matcher *m = NULL;
	struct bw_buf b = BW_BUF_INIT(1 << 20);
	struct tevt e = ev();

	(void)state;
	e.n[F_IP] = 0;
	assert_int_equal(bw_matcher_new(rs, &tsrc, NULL, &m, NULL), 0);
	assert_int_equal(bw_matcher_run(m, &e, -1, NULL, NULL), 1);
	assert_int_equal(bw_matcher_format_text(m, bw_ruleset_rule(rs, 0), &e, &b), 0);
	assert_non_null(strstr(b.data, ": Warning shell bash pid=1234 list=(a,b) anc=sshd "
					"flags=O_RDONLY|O_CREAT none=<NA> 100% done."));
	bw_buf_reset(&b);
	assert_int_equal(bw_matcher_format_json(m, bw_ruleset_rule(rs, 0), &e, "host", &b), 0);
	assert_non_null(strstr(b.data, "\"hostname\":\"host\""));
	assert_non_null(strstr(b.data, "\"proc.pid\":1234"));
	assert_non_null(strstr(b.data, "\"proc.aname[1]\":\"sshd\""));
	assert_non_null(strstr(b.data, "\"priority\":\"Warning\",\"rule\":\"r\""));
	assert_non_null(strstr(b.data, "\"source\":\"syscall\",\"tags\":[\"a\",\"b\"]"));
	assert_non_null(strstr(b.data, "\"time\":\"2023-11-14T22:13:20.123456789Z\""));
	bw_buf_done(&b);
	bw_matcher_free(m);
	bw_ruleset_free(rs);
}

/* Every upstream rule file in the shared corpus loads; rules using fields we
 * lack are skipped, never errors. */
static void test_upstream_files(void **state)
{
	static const char *const files[] = {
		"rules/rules/falco_rules.yaml",
		"rules/rules/falco-incubating_rules.yaml",
		"rules/rules/falco-sandbox_rules.yaml",
		"plugins/k8saudit/rules/k8s_audit_rules.yaml",
	};
	const char *root = getenv("BULWARK_SOURCE_ROOT");
	char path[4096];

	(void)state;
	if (!root)
		skip();
	for (size_t i = 0; i < BW_ARRAY_SIZE(files); i++) {
		const struct bw_source *srcs[] = { bw_replay_source(), bw_audit_source() };
		struct bw_ruleset *rs = bw_ruleset_new();
		struct bw_error *err = NULL;
		snprintf(path, sizeof(path), "%s/../shared/corpus/falco/%s", root, files[i]);
		if (access(path, R_OK) != 0) {
			bw_ruleset_free(rs);
			continue;
		}
		int r = bw_ruleset_load_path(rs, path, &err);
		if (!r)
			r = bw_ruleset_compile(rs, srcs, 2, &err);
		if (r) {
			for (size_t j = 0; j < bw_ruleset_diag_count(rs); j++)
				if (bw_ruleset_diag(rs, j)->level == BW_DIAG_ERROR)
					fprintf(stderr, "# %s:%u %s\n", files[i],
						bw_ruleset_diag(rs, j)->line, bw_ruleset_diag(rs, j)->msg);
		}
		assert_int_equal(r, 0);
		assert_true(bw_ruleset_count(rs, NULL, BW_RULE_ACTIVE) > 0);
		bw_error_free(err);
		bw_ruleset_free(rs);
	}
}

/* The names of the rules an event matches, in order, into b. */
static int add_name(const struct bw_rule_info *r, void *evt, void *ud)
{
	(void)evt;
	return bw_buf_append(ud, r->name, strlen(r->name) + 1);
}

/* How many rules of a and b (with and without gates) evt matches, which
 * must be the same rules; returns that count. */
static int same_matches(struct bw_matcher *a, struct bw_matcher *b, void *evt, int type)
{
	struct bw_buf x = BW_BUF_INIT(1 << 20), y = BW_BUF_INIT(1 << 20);
	int na = bw_matcher_run(a, evt, type, add_name, &x);
	int nb = bw_matcher_run(b, evt, type, add_name, &y);

	assert_int_equal(na, nb);
	assert_int_equal(x.len, y.len);
	if (x.len)
		assert_memory_equal(x.data, y.data, x.len);
	bw_buf_done(&x);
	bw_buf_done(&y);
	return na;
}

/* A replay line from a small mix of activity (execs, opens, connects, with
 * the files, programs and paths that upstream rules look for). */
static int gate_line(char *buf, size_t n, unsigned i)
{
	static const char *const procs[] = { "bash", "nginx", "python3", "sshd", "cat", "sh",
					     "curl", "shred", "apt-get", "node" };
	static const char *const files[] = { "/etc/shadow", "/etc/passwd", "/root/.bash_history",
					     "/tmp/../etc/../etc/shadow", "/proc/1/environ",
					     "/var/log/nginx/access.log", "/root/.ssh/id_rsa",
					     "/etc/ld.so.preload", "/usr/bin/x", "/dev/null", "/etc/apt/sources.list" };
	const char *p = procs[i % 10], *pp = procs[(i / 10) % 10], *f = files[(i / 3) % 11];
	bool cont = i % 4 != 0, wr = i % 3 == 0;

	switch (i % 5) {
	case 0:
	case 1:
		return snprintf(buf, n,
				"{\"ts\":%u,\"evt.type\":\"execve\",\"evt.dir\":\"<\",\"proc.name\":\"%s\","
				"\"proc.exepath\":\"/usr/bin/%s\",\"proc.cmdline\":\"%s -c %s\",\"proc.args\":\"-c %s\","
				"\"proc.pname\":\"%s\",\"proc.aname\":[\"%s\",\"%s\",\"systemd\"],\"proc.tty\":%d,"
				"\"user.name\":\"root\",\"user.uid\":0,\"container.id\":\"%s\",\"evt.arg.flags\":\"\"}",
				i, p, p, p, f, f, pp, p, pp, i % 7 == 0 ? 34816 : 0, cont ? "3ad7b26ded6d" : "host");
	case 2:
	case 3:
		return snprintf(buf, n,
				"{\"ts\":%u,\"evt.type\":\"openat\",\"evt.dir\":\"<\",\"proc.name\":\"%s\","
				"\"proc.pname\":\"%s\",\"proc.aname\":[\"%s\",\"%s\"],\"fd.name\":\"%s\","
				"\"fd.nameraw\":\"%s\",\"fd.directory\":\"/etc\",\"fd.typechar\":\"f\",\"fd.num\":3,"
				"\"evt.is_open_read\":%s,\"evt.is_open_write\":%s,\"evt.arg.flags\":\"%s\","
				"\"user.name\":\"root\",\"container.id\":\"%s\",\"proc.cmdline\":\"%s\"}",
				i, p, pp, p, pp, f, f, wr ? "false" : "true", wr ? "true" : "false",
				wr ? "O_WRONLY|O_TRUNC" : "O_RDONLY", cont ? "3ad7b26ded6d" : "host", p);
	default:
		return snprintf(buf, n,
				"{\"ts\":%u,\"evt.type\":\"connect\",\"evt.dir\":\"<\",\"proc.name\":\"%s\","
				"\"proc.pname\":\"%s\",\"fd.type\":\"ipv4\",\"fd.typechar\":\"4\",\"fd.l4proto\":\"tcp\","
				"\"fd.sip\":\"10.0.0.%u\",\"fd.rip\":\"%s\",\"fd.rport\":%u,\"fd.sport\":%u,"
				"\"fd.name\":\"10.0.0.1:443->10.0.0.2:80\",\"evt.rawres\":0,\"container.id\":\"%s\"}",
				i, p, pp, i % 250, i % 3 ? "169.254.169.254" : "10.0.0.1", i % 2 ? 443u : 80u,
				1024 + i % 1000, cont ? "3ad7b26ded6d" : "host");
	}
}

/* Gates (a rule's cheap checks, tested first and reordered as a matcher
 * learns the stream) change nothing but time: the upstream rules match
 * the same events with and without them, on syscall events and on the
 * upstream audit fixtures, past the matcher's first sampling. */
static void test_gates_upstream(void **state)
{
	const char *root = getenv("BULWARK_SOURCE_ROOT");
	const struct bw_matcher_opts all = { .sz = sizeof(all), .all_matches = true,
					     .min_priority = BW_PRIO_DEBUG },
				     nogate = { .sz = sizeof(all), .all_matches = true,
						.min_priority = BW_PRIO_DEBUG, .no_gates = true };
	static const char *const files[] = { "rules/rules/falco_rules.yaml",
					     "rules/rules/falco-incubating_rules.yaml",
					     "rules/rules/falco-sandbox_rules.yaml" };
	const struct bw_source *srcs[] = { bw_replay_source(), bw_audit_source() };
	struct bw_ruleset *rs = bw_ruleset_new(), *ka = bw_ruleset_new();
	struct bw_matcher *g = NULL, *ng = NULL;
	struct bw_replay_decoder *d = NULL;
	struct bw_replay_event *e = NULL;
	char path[4096], line[4096];
	int matched = 0;

	(void)state;
	if (!root)
		skip();
	for (size_t i = 0; i < BW_ARRAY_SIZE(files); i++) {
		snprintf(path, sizeof(path), "%s/../shared/corpus/falco/%s", root, files[i]);
		if (access(path, R_OK) != 0)
			skip();
		assert_int_equal(bw_ruleset_load_path(rs, path, NULL), 0);
	}
	assert_int_equal(bw_ruleset_compile(rs, srcs, 2, NULL), 0);
	assert_int_equal(bw_matcher_new(rs, bw_replay_source(), &all, &g, NULL), 0);
	assert_int_equal(bw_matcher_new(rs, bw_replay_source(), &nogate, &ng, NULL), 0);
	assert_int_equal(bw_replay_decoder_new(g, &d, NULL), 0);
	for (unsigned i = 0; i < 5000; i++) {
		int n = gate_line(line, sizeof(line), i);
		assert_true(n > 0 && (size_t)n < sizeof(line));
		assert_int_equal(bw_replay_decode_into(d, line, (size_t)n, &e, NULL), 0);
		matched += same_matches(g, ng, e, bw_replay_event_type(e));
	}
	assert_true(matched > 0);
	bw_replay_event_free(e);
	bw_replay_decoder_free(d);
	bw_matcher_free(g);
	bw_matcher_free(ng);
	g = ng = NULL;

	/* k8s audit: the fixtures, 100 times over */
	snprintf(path, sizeof(path), "%s/../shared/corpus/falco/plugins/k8saudit/rules/k8s_audit_rules.yaml",
		 root);
	assert_int_equal(bw_ruleset_load_path(ka, path, NULL), 0);
	assert_int_equal(bw_ruleset_compile(ka, srcs, 2, NULL), 0);
	assert_int_equal(bw_matcher_new(ka, bw_audit_source(), &all, &g, NULL), 0);
	assert_int_equal(bw_matcher_new(ka, bw_audit_source(), &nogate, &ng, NULL), 0);
	snprintf(path, sizeof(path), "%s/../shared/corpus/falco/legacy-tests/trace_files/k8s_audit", root);
	DIR *dir = opendir(path);
	struct dirent *de;
	matched = 0;
	while (dir && (de = readdir(dir))) {
		char *doc = NULL, fp[4096 + 256];
		size_t len = 0;
		struct bw_audit_batch *b = NULL;
		snprintf(fp, sizeof(fp), "%s/%s", path, de->d_name);
		if (de->d_name[0] == '.' || bw_read_file(fp, 1 << 24, &doc, &len, NULL) < 0)
			continue;
		if (bw_audit_decode(doc, len, &b, NULL) == 0) {
			for (int r = 0; r < 100; r++)
				for (size_t j = 0; j < bw_audit_batch_count(b); j++)
					matched += same_matches(g, ng, bw_audit_batch_event(b, j), -1);
			bw_audit_batch_free(b);
		}
		free(doc);
	}
	if (dir)
		closedir(dir);
	assert_true(matched > 0);
	bw_matcher_free(g);
	bw_matcher_free(ng);
	bw_ruleset_free(rs);
	bw_ruleset_free(ka);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_operators),     cmocka_unit_test(test_lists_fields),
		cmocka_unit_test(test_transformers),  cmocka_unit_test(test_evtype_index),
		cmocka_unit_test(test_exceptions),    cmocka_unit_test(test_append_override),
		cmocka_unit_test(test_versions),      cmocka_unit_test(test_errors),
		cmocka_unit_test(test_skipped),	      cmocka_unit_test(test_keep_last_good),
		cmocka_unit_test(test_output),	      cmocka_unit_test(test_upstream_files),
		cmocka_unit_test(test_gates_upstream),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
