/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The replay decoder (src/runtime/replay.c), against an oracle.
 *
 * Each input line is decoded with bw_replay_decode_into() and, as a DOM,
 * with runtime/json.c's strict parser. The two must agree on whether the
 * line is an event (a JSON object whose `ts`, `evt.type` and leading
 * `evt.rawtime` have the right types), and on the values of the plain
 * scalar fields the rules read (the last duplicate wins). The decoder's
 * fast path is held against its careful walk alone: same verdict, same
 * type and time, the same values in every slot. Then the whole input goes
 * through bw_replay_read_fd() from a memfd (mapped) and from a pipe (read
 * in blocks), which must each see every line that is not blank or a
 * comment as one event or one bad line, and the events are run through a
 * matcher and formatted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bulwark/rules.h"
#include "bulwark/runtime.h"
#include "runtime/internal.h"
#include "runtime/json.h"

static const char rules[] =
	"- rule: r\n"
	"  desc: d\n"
	"  condition: evt.type in (open, execve) and (proc.name = a or proc.aname[2] = b or "
	"evt.arg.flags contains O_ or fd.sport > 10 or proc.aname in (x) or evt.arg[0] = z or "
	"fd.types intersects (file) or evt.is_open_read = true or user.uid < 5 or "
	"container.mount.dest[/p*] = q or container.mount[1] = r or container.mount.source[/d] = s)\n"
	"  output: \"%proc.name %proc.aname %evt.time %evt.rawtime %evt.arg.flags %fd.types %user.uid\"\n"
	"  priority: INFO\n"
	/* rules with gates: a check of their `and`, an `or` of checks */
	"- rule: g1\n"
	"  desc: d\n"
	"  condition: evt.type = open and proc.name in (a, bash) and not fd.name startswith /etc and "
	"fd.sport > 10\n"
	"  output: o\n"
	"  priority: INFO\n"
	"- rule: g2\n"
	"  desc: d\n"
	"  condition: (fd.name startswith /etc and fd.name in (/etc/shadow, /etc/x)) or "
	"fd.directory in (/etc/pam.d) or proc.aname[1] endswith sh\n"
	"  output: o\n"
	"  priority: INFO\n"
	"- rule: g3\n"
	"  desc: d\n"
	"  condition: evt.type in (open, execve) and ((proc.name = a and user.uid = 0) or "
	"(evt.arg.flags contains O_ and proc.pname = b) or (evt.arg[0] = z and fd.typechar = f))\n"
	"  output: o\n"
	"  priority: INFO\n";

static struct bw_ruleset *rs;
static struct bw_matcher *m;
/* Every matching rule, with and without gates: the same rules. */
static struct bw_matcher *m_all, *m_nogate;
static struct bw_replay_decoder *dec;
static struct bw_replay_event *ev, *ev2;

/* The fast path's event and the careful walk's are the same. */
static void compare_paths(void)
{
	const struct bw_source *src = bw_replay_source();

	if (bw_replay_event_type(ev) != bw_replay_event_type(ev2) ||
	    src->time_ns(ev) != src->time_ns(ev2))
		__builtin_trap();
	for (size_t s = 0; s < bw_matcher_slot_count(m); s++) {
		const struct bw_field_ref *ref = bw_matcher_slot(m, s);
		const struct bw_value *a, *b;
		size_t na = src->extract(ev, ref, &a), nb = src->extract(ev2, ref, &b);
		if (na != nb)
			__builtin_trap();
		for (size_t i = 0; i < na; i++)
			if (a[i].len != b[i].len || memcmp(a[i].s, b[i].s, a[i].len) ||
			    a[i].is_num != b[i].is_num || a[i].num != b[i].num)
				__builtin_trap();
	}
}

static int on_match(const struct bw_rule_info *r, void *evt, void *ud)
{
	struct bw_buf b = BW_BUF_INIT(1 << 20);

	(void)ud;
	bw_matcher_format_json(m, r, evt, "h", &b);
	bw_buf_reset(&b);
	bw_matcher_format_text(m, r, evt, &b);
	bw_buf_done(&b);
	return 0;
}

static int on_rule(const struct bw_rule_info *r, void *evt, void *ud)
{
	struct bw_buf *b = ud;

	(void)evt;
	return bw_buf_append(b, r->name, strlen(r->name) + 1);
}

/* Gates only reject early: the rules that match are the same without them. */
static void compare_gates(struct bw_replay_event *e)
{
	struct bw_buf a = BW_BUF_INIT(1 << 20), b = BW_BUF_INIT(1 << 20);
	int t = bw_replay_event_type(e);

	if (bw_matcher_run(m_all, e, t, on_rule, &a) != bw_matcher_run(m_nogate, e, t, on_rule, &b) ||
	    a.len != b.len || (a.len && memcmp(a.data, b.data, a.len)))
		__builtin_trap();
	bw_buf_done(&a);
	bw_buf_done(&b);
}

/* What the decoder must say about a line, from its DOM: 1 event, 0 not. */
static int oracle(const struct jv *doc)
{
	bool seen_ts = false;

	if (doc->type != J_OBJ)
		return 0;
	for (uint32_t i = 0; i < doc->n; i++) {
		const struct jv *v = &doc->kids[i];
		if (!strcmp(v->key, "ts") || (!strcmp(v->key, "evt.rawtime") && !seen_ts)) {
			if (v->type != J_INT)
				return 0;
			seen_ts |= !strcmp(v->key, "ts");
		} else if (!strcmp(v->key, "evt.type") && v->type != J_STR) {
			return 0;
		}
	}
	return 1;
}

/* The decoded values of the plain scalar fields must be the DOM's. */
static void compare_values(const struct jv *doc)
{
	const struct bw_source *src = bw_replay_source();

	for (size_t s = 0; s < bw_matcher_slot_count(m); s++) {
		const struct bw_field_ref *ref = bw_matcher_slot(m, s);
		const char *name = src->fields[ref->field].name;
		const struct jv *last = NULL;
		const struct bw_value *v;
		if (ref->arg || !strcmp(name, "evt.time") || !strcmp(name, "evt.rawtime"))
			continue;
		for (uint32_t i = 0; i < doc->n; i++)
			if (!strcmp(doc->kids[i].key, name))
				last = &doc->kids[i];
		if (!last || (last->type != J_STR && last->type != J_INT))
			continue;
		size_t n = src->extract(ev, ref, &v);
		if (n != 1)
			__builtin_trap();
		if (last->type == J_STR && (v->len != last->n || memcmp(v->s, last->s, v->len)))
			__builtin_trap();
		if (last->type == J_INT && (!v->is_num || v->num != last->i))
			__builtin_trap();
	}
}

static void one_line(const char *data, size_t n)
{
	struct bw_error *err = NULL;
	struct rt_arena a = { 0 };
	char *copy = malloc(n + 1);
	const char *msg;
	size_t off;
	struct jv doc;
	int want = -1;

	if (!copy)
		return;
	memcpy(copy, data, n);
	if (json_parse(copy, n, &a, 0, &doc, &msg, &off) == 0)
		want = oracle(&doc);
	else
		want = 0;
	int r = bw_replay_decode_into(dec, data, n, &ev, &err);
	struct bw_error *err2 = NULL;
	int r2 = rt_replay_decode_careful(dec, data, n, &ev2, &err2);
	if ((r == 0) != (r2 == 0) || (r < 0 && strcmp(err ? err->msg : "", err2 ? err2->msg : "")))
		__builtin_trap();
	if (r == 0)
		compare_paths();
	bw_error_free(err2);
	bool too_many = r < 0 && err && strstr(err->msg, "too many values");
	if (!too_many && (r == 0) != (want == 1)) {
		fprintf(stderr, "decoder %s, oracle %s: %s\n", r == 0 ? "accepts" : "rejects",
			want == 1 ? "accepts" : "rejects", err ? err->msg : "");
		__builtin_trap();
	}
	if (r == 0) {
		compare_values(&doc);
		bw_matcher_run(m, ev, bw_replay_event_type(ev), on_match, NULL);
		compare_gates(ev);
	}
	bw_error_free(err);
	rt_arena_done(&a);
	free(copy);
}

struct counts {
	size_t events, bad;
};

static int on_event(struct bw_replay_event *e, void *ud)
{
	((struct counts *)ud)->events++;
	bw_matcher_run(m, e, bw_replay_event_type(e), on_match, NULL);
	return 0;
}

static int on_bad(uint64_t lineno, const char *msg, void *ud)
{
	(void)lineno;
	(void)msg;
	((struct counts *)ud)->bad++;
	return 0;
}

static void stream(const uint8_t *data, size_t size)
{
	struct counts c = { 0 };
	struct bw_error *err = NULL;
	size_t lines = 0;
	int fd = memfd_create("replay", MFD_CLOEXEC);

	if (fd < 0)
		return;
	if (write(fd, data, size) != (ssize_t)size || lseek(fd, 0, SEEK_SET) < 0) {
		close(fd);
		return;
	}
	for (size_t i = 0; i < size;) {
		const uint8_t *nl = memchr(data + i, '\n', size - i);
		size_t n = nl ? (size_t)(nl - (data + i)) : size - i, j = 0;
		while (j < n && (data[i + j] == ' ' || data[i + j] == '\t' || data[i + j] == '\r'))
			j++;
		lines += j < n && data[i + j] != '#';
		i += n + 1;
	}
	if (bw_replay_read_fd(dec, fd, on_event, on_bad, &c, &err) < 0 || c.events + c.bad != lines)
		__builtin_trap();
	close(fd);
	/* The same through a pipe (what fits in its buffer). */
	int p[2];
	struct counts c2 = { 0 };
	if (size > 32768 || pipe(p) < 0)
		return;
	if (write(p[1], data, size) != (ssize_t)size) {
		close(p[0]);
		close(p[1]);
		return;
	}
	close(p[1]);
	if (bw_replay_read_fd(dec, p[0], on_event, on_bad, &c2, &err) < 0 ||
	    c2.events != c.events || c2.bad != c.bad)
		__builtin_trap();
	close(p[0]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct bw_source *src = bw_replay_source();
	struct bw_matcher_opts all = { .sz = sizeof(all), .all_matches = true,
				       .min_priority = BW_PRIO_DEBUG },
			       nogate = all;

	nogate.no_gates = true;
	if (!rs) {
		rs = bw_ruleset_new();
		if (bw_ruleset_load_string(rs, "r", rules, strlen(rules), NULL) < 0 ||
		    bw_ruleset_compile(rs, &src, 1, NULL) < 0 ||
		    bw_matcher_new(rs, src, NULL, &m, NULL) < 0 ||
		    bw_matcher_new(rs, src, &all, &m_all, NULL) < 0 ||
		    bw_matcher_new(rs, src, &nogate, &m_nogate, NULL) < 0 ||
		    bw_replay_decoder_new(m, &dec, NULL) < 0)
			__builtin_trap();
	}
	for (size_t i = 0; i < size;) {
		const uint8_t *nl = memchr(data + i, '\n', size - i);
		size_t n = nl ? (size_t)(nl - (data + i)) : size - i;
		one_line((const char *)data + i, n);
		i += n + 1;
	}
	stream(data, size);
	return 0;
}
