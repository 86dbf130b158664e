/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The replay source: recorded system-call events, one JSON object per line,
 * whose keys are Falco field names (docs/replay-format.md). A decoder is
 * built for one matcher: it maps each key to the matcher's slots once, so a
 * decoded event is an array of values indexed by slot and extraction is a
 * load.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bulwark/runtime.h"
#include "runtime/internal.h"

struct rslot {
	uint32_t n;
	struct bw_value *v;
};

struct bw_replay_event {
	int evtype;
	int64_t ts;
	uint32_t nslots;
	struct rslot *slots;
	struct rt_arena arena;
};

struct slotlist {
	uint32_t n;
	uint32_t *slots;
};

struct bw_replay_decoder {
	const struct bw_matcher *m;
	const struct bw_source *src;
	size_t nslots;
	struct slotlist *by_field; /* indexed by field */
	struct bw_map *names;	   /* field name -> index + 1 */
	int f_evt_time, f_evt_rawtime;
};

static size_t replay_extract(void *evt, const struct bw_field_ref *ref,
			     const struct bw_value **ret)
{
	struct bw_replay_event *e = evt;

	if (ref->slot >= e->nslots)
		return 0;
	*ret = e->slots[ref->slot].v;
	return e->slots[ref->slot].n;
}

static int64_t replay_time(void *evt)
{
	return ((struct bw_replay_event *)evt)->ts;
}

static struct bw_source replay_src = {
	.name = "syscall",
	.index_field = "evt.type",
	.extract = replay_extract,
	.time_ns = replay_time,
};

const struct bw_source *bw_replay_source(void)
{
	if (!replay_src.fields)
		replay_src.fields = bw_syscall_fields(&replay_src.nfields);
	return &replay_src;
}

/* A field of the source by exact name, or by a prefix taking a dotted argument. */
static int lookup(const struct bw_source *src, const char *name, size_t n, const char **ret_arg)
{
	int best = -1;
	size_t bestlen = 0;

	*ret_arg = NULL;
	for (size_t i = 0; i < src->nfields; i++) {
		size_t fl = strlen(src->fields[i].name);
		if (fl == n && !memcmp(src->fields[i].name, name, n))
			return (int)i;
		if ((src->fields[i].flags & BW_FF_ARG_DOT) && fl + 1 < n && fl > bestlen &&
		    !memcmp(name, src->fields[i].name, fl) && name[fl] == '.') {
			best = (int)i;
			bestlen = fl;
		}
	}
	if (best >= 0)
		*ret_arg = name + bestlen + 1;
	return best;
}

int bw_replay_decoder_new(const struct bw_matcher *m, struct bw_replay_decoder **ret,
			  struct bw_error **err)
{
	const struct bw_source *src = bw_replay_source();
	struct bw_replay_decoder *d = calloc(1, sizeof(*d));
	const char *arg;

	if (!d)
		return bw_error_set(err, -ENOMEM, "out of memory");
	d->m = m;
	d->src = src;
	d->nslots = bw_matcher_slot_count(m);
	d->by_field = calloc(src->nfields, sizeof(*d->by_field));
	d->names = bw_map_new();
	if (!d->by_field || !d->names)
		goto oom;
	for (size_t i = 0; i < src->nfields; i++)
		if (bw_map_put(d->names, src->fields[i].name, (void *)(uintptr_t)(i + 1)) < 0)
			goto oom;
	for (size_t i = 0; i < d->nslots; i++) {
		const struct bw_field_ref *r = bw_matcher_slot(m, i);
		struct slotlist *l = &d->by_field[r->field];
		uint32_t *nv = realloc(l->slots, (l->n + 1) * sizeof(*nv));
		if (!nv)
			goto oom;
		nv[l->n++] = (uint32_t)i;
		l->slots = nv;
	}
	d->f_evt_time = lookup(src, "evt.time", 8, &arg);
	d->f_evt_rawtime = lookup(src, "evt.rawtime", 11, &arg);
	*ret = d;
	return 0;
oom:
	bw_replay_decoder_free(d);
	return bw_error_set(err, -ENOMEM, "out of memory");
}

struct bw_replay_decoder *bw_replay_decoder_free(struct bw_replay_decoder *d)
{
	if (!d)
		return NULL;
	for (size_t i = 0; d->by_field && i < d->src->nfields; i++)
		free(d->by_field[i].slots);
	free(d->by_field);
	bw_map_free(d->names);
	free(d);
	return NULL;
}

/* One JSON value as an engine value, copied into the event. */
static bool to_value(struct bw_replay_event *e, json_t *j, struct bw_value *v)
{
	char buf[64];
	const char *s = buf;
	size_t n;
	char *dump = NULL;

	memset(v, 0, sizeof(*v));
	switch (json_typeof(j)) {
	case JSON_STRING:
		s = json_string_value(j);
		n = json_string_length(j);
		break;
	case JSON_INTEGER:
		v->is_num = true;
		v->num = json_integer_value(j);
		n = (size_t)snprintf(buf, sizeof(buf), "%lld", (long long)v->num);
		break;
	case JSON_REAL:
		v->is_num = true;
		v->num = (int64_t)json_real_value(j);
		n = (size_t)snprintf(buf, sizeof(buf), "%g", json_real_value(j));
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		v->is_num = true;
		v->num = json_is_true(j);
		s = v->num ? "true" : "false";
		n = strlen(s);
		break;
	case JSON_NULL:
		return false;
	default:
		dump = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (!dump)
			return false;
		s = dump;
		n = strlen(dump);
	}
	char *c = rt_strndup(&e->arena, s, n);
	free(dump);
	if (!c)
		return false;
	v->s = c;
	v->len = (uint32_t)n;
	return true;
}

/* Stores j (a scalar, or an array from element `from`) into a slot. */
static int store(struct bw_replay_event *e, uint32_t slot, json_t *j, size_t from)
{
	struct rslot *s = &e->slots[slot];
	size_t n = json_is_array(j) ? json_array_size(j) : 1;

	if (n > BW_MAX_REPLAY_VALUES)
		return -E2BIG;
	s->v = rt_alloc(&e->arena, (n + 1) * sizeof(*s->v));
	if (!s->v)
		return -ENOMEM;
	s->n = 0;
	if (!json_is_array(j)) {
		if (to_value(e, j, &s->v[0]))
			s->n = 1;
		return 0;
	}
	for (size_t i = from; i < n; i++)
		if (to_value(e, json_array_get(j, i), &s->v[s->n]))
			s->n++;
	return 0;
}

static bool is_ancestor_field(const char *name)
{
	return !strncmp(name, "proc.a", 6);
}

static int decode_key(struct bw_replay_decoder *d, struct bw_replay_event *e, const char *key,
		      json_t *val)
{
	size_t kl = strlen(key), bl = kl;
	const char *karg = NULL, *dotarg;
	char argbuf[256];
	int f, r;

	if (kl && key[kl - 1] == ']') {
		const char *open = memchr(key, '[', kl);
		if (open && (size_t)(key + kl - 1 - open - 1) < sizeof(argbuf)) {
			bl = (size_t)(open - key);
			memcpy(argbuf, open + 1, kl - bl - 2);
			argbuf[kl - bl - 2] = 0;
			karg = argbuf;
		}
	}
	dotarg = NULL;
	if (bl == kl) {
		void *x = bw_map_get(d->names, key);
		f = x ? (int)((uintptr_t)x - 1) : lookup(d->src, key, bl, &dotarg);
	} else {
		f = lookup(d->src, key, bl, &dotarg);
	}
	if (f < 0)
		return 0; /* a field no rule of this source knows: ignored */
	if (dotarg && !karg) {
		size_t al = bl - (size_t)(dotarg - key);
		if (al >= sizeof(argbuf))
			return 0;
		memcpy(argbuf, dotarg, al);
		argbuf[al] = 0;
		karg = argbuf;
	}
	const struct slotlist *l = &d->by_field[f];
	for (uint32_t i = 0; i < l->n; i++) {
		const struct bw_field_ref *ref = bw_matcher_slot(d->m, l->slots[i]);
		if (karg) {
			if (ref->arg && !strcmp(ref->arg, karg) &&
			    (r = store(e, ref->slot, val, 0)) < 0)
				return r;
			continue;
		}
		if (!ref->arg) {
			if (json_is_object(val))
				continue;
			r = store(e, ref->slot, val,
				  is_ancestor_field(d->src->fields[f].name) ? 1 : 0);
		} else if (json_is_object(val)) {
			json_t *x = json_object_get(val, ref->arg);
			r = x ? store(e, ref->slot, x, 0) : 0;
		} else if (json_is_array(val) && ref->index >= 0) {
			json_t *x = json_array_get(val, (size_t)ref->index);
			r = x ? store(e, ref->slot, x, 0) : 0;
		} else {
			r = 0;
		}
		if (r < 0)
			return r;
	}
	return 0;
}

static void synth_time(struct bw_replay_decoder *d, struct bw_replay_event *e)
{
	char buf[64];
	time_t secs = (time_t)(e->ts / 1000000000);
	struct tm tm;

	for (int which = 0; which < 2; which++) {
		int f = which ? d->f_evt_rawtime : d->f_evt_time;
		if (f < 0)
			continue;
		const struct slotlist *l = &d->by_field[f];
		for (uint32_t i = 0; i < l->n; i++) {
			struct rslot *s = &e->slots[l->slots[i]];
			if (s->n)
				continue;
			if (which) {
				snprintf(buf, sizeof(buf), "%lld", (long long)e->ts);
			} else {
				gmtime_r(&secs, &tm);
				snprintf(buf, sizeof(buf), "%02d:%02d:%02d.%09lld", tm.tm_hour,
					 tm.tm_min, tm.tm_sec, (long long)(e->ts % 1000000000));
			}
			s->v = rt_alloc(&e->arena, sizeof(*s->v));
			char *c = rt_strndup(&e->arena, buf, strlen(buf));
			if (!s->v || !c)
				return;
			s->v[0] = (struct bw_value){ .s = c, .len = (uint32_t)strlen(c),
						     .is_num = which == 1, .num = e->ts };
			s->n = 1;
		}
	}
}

int bw_replay_decode(struct bw_replay_decoder *d, const char *line, size_t len,
		     struct bw_replay_event **ret, struct bw_error **err)
{
	struct bw_replay_event *e;
	json_error_t je;
	json_t *root, *v;
	const char *key;
	int r = 0;

	if (len > BW_MAX_REPLAY_LINE)
		return bw_error_set(err, -EFBIG, "event is larger than %u bytes", BW_MAX_REPLAY_LINE);
	root = json_loadb(line, len, 0, &je);
	if (!root)
		return bw_error_set(err, -EINVAL, "invalid JSON at column %d: %s", je.column, je.text);
	if (!json_is_object(root)) {
		json_decref(root);
		return bw_error_set(err, -EINVAL, "an event must be a JSON object");
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		json_decref(root);
		return bw_error_set(err, -ENOMEM, "out of memory");
	}
	e->evtype = -1;
	e->nslots = (uint32_t)d->nslots;
	e->slots = rt_alloc(&e->arena, (d->nslots + 1) * sizeof(*e->slots));
	if (!e->slots) {
		r = bw_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	memset(e->slots, 0, (d->nslots + 1) * sizeof(*e->slots));
	v = json_object_get(root, "ts");
	if (!v)
		v = json_object_get(root, "evt.rawtime");
	if (v && json_is_integer(v))
		e->ts = json_integer_value(v);
	else if (v) {
		r = bw_error_set(err, -EINVAL, "`ts` must be an integer (nanoseconds since the epoch)");
		goto out;
	}
	v = json_object_get(root, "evt.type");
	if (v && !json_is_string(v)) {
		r = bw_error_set(err, -EINVAL, "`evt.type` must be a string");
		goto out;
	}
	if (v)
		e->evtype = bw_matcher_evtype(d->m, json_string_value(v));
	json_object_foreach(root, key, v)
	{
		if (!strcmp(key, "ts"))
			continue;
		if ((r = decode_key(d, e, key, v)) < 0) {
			r = bw_error_set(err, r, "field `%s`: %s", key,
					 r == -E2BIG ? "too many values" : "out of memory");
			goto out;
		}
	}
	synth_time(d, e);
out:
	json_decref(root);
	if (r < 0) {
		bw_replay_event_free(e);
		return r;
	}
	*ret = e;
	return 0;
}

int bw_replay_event_type(const struct bw_replay_event *e)
{
	return e->evtype;
}

struct bw_replay_event *bw_replay_event_free(struct bw_replay_event *e)
{
	if (!e)
		return NULL;
	rt_arena_done(&e->arena);
	free(e);
	return NULL;
}
