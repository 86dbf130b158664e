/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The replay source: recorded system-call events, one JSON object per line,
 * whose keys are Falco field names (docs/replay-format.md). A decoder is
 * built for one matcher: it maps each key to the matcher's slots once (a
 * hash of every field name and every "field.arg"/"field[arg]" the rules
 * read), so a decoded event is an array of values indexed by slot and
 * extraction is a load. Keys no rule reads are skipped without converting
 * their values.
 *
 * Decoding is in place (runtime/json.c): string values point into the
 * event's copy of the line, and everything an event holds lives in its
 * arena, which a reused event keeps (bw_replay_decode_into()), so a stream
 * is decoded without malloc per line. Slots carry the generation of the
 * event that set them, so nothing is cleared between lines. evt.time and
 * evt.rawtime, when a line does not give them, are computed when read.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bulwark/runtime.h"
#include "runtime/internal.h"
#include "runtime/json.h"

/* n of a slot whose value is derived from ts when first read. */
#define SLOT_SYNTH_TIME UINT32_MAX
#define SLOT_SYNTH_RAWTIME (UINT32_MAX - 1)

struct rslot {
	uint32_t gen;
	uint32_t n;
	struct bw_value *v;
};

struct bw_replay_event {
	int evtype;
	int64_t ts;
	uint32_t gen;
	uint32_t nslots;
	struct rslot *slots;
	struct rt_arena arena;
};

struct slotlist {
	uint32_t n;
	const struct bw_field_ref **refs;
};

/* A key of the line mapped to a field and its argument. */
struct keyent {
	const char *key; /* NULL: empty bucket */
	uint32_t klen;
	int field;
	const char *arg; /* from "field.arg" / "field[arg]", else NULL */
};

struct bw_replay_decoder {
	const struct bw_matcher *m;
	const struct bw_source *src;
	size_t nslots;
	struct slotlist *by_field; /* indexed by field */
	bool *ancestor;		   /* by field: proc.a* (element 0 is the process) */
	struct bw_map *names;	   /* field name -> index + 1 */
	struct keyent *keys;
	uint32_t kmask;
	struct rt_arena karena; /* key strings */
	int f_evt_time, f_evt_rawtime;
};

static void synth(struct bw_replay_event *e, struct rslot *s)
{
	char buf[64];
	size_t n;
	bool raw = s->n == SLOT_SYNTH_RAWTIME;

	s->n = 0;
	if (raw) {
		n = json_fmt_int(buf, e->ts);
	} else {
		time_t secs = (time_t)(e->ts / 1000000000);
		struct tm tm;
		gmtime_r(&secs, &tm);
		n = (size_t)snprintf(buf, sizeof(buf), "%02d:%02d:%02d.%09lld", tm.tm_hour, tm.tm_min,
				     tm.tm_sec, (long long)(e->ts % 1000000000));
	}
	struct bw_value *v = rt_alloc(&e->arena, sizeof(*v));
	char *c = rt_strndup(&e->arena, buf, n);
	if (!v || !c)
		return;
	*v = (struct bw_value){ .s = c, .len = (uint32_t)n, .is_num = raw, .num = e->ts };
	s->v = v;
	s->n = 1;
}

static size_t replay_extract(void *evt, const struct bw_field_ref *ref,
			     const struct bw_value **ret)
{
	struct bw_replay_event *e = evt;
	struct rslot *s;

	if (ref->slot >= e->nslots)
		return 0;
	s = &e->slots[ref->slot];
	if (s->gen != e->gen)
		return 0;
	if (s->n >= SLOT_SYNTH_RAWTIME)
		synth(e, s);
	*ret = s->v;
	return s->n;
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
static int lookup(const struct bw_replay_decoder *d, const char *name, size_t n,
		  const char **ret_arg)
{
	char buf[256];

	*ret_arg = NULL;
	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, name, n);
	buf[n] = 0;
	void *x = bw_map_get(d->names, buf);
	if (x)
		return (int)((uintptr_t)x - 1);
	/* The longest prefix before a dot naming a field that takes one. */
	for (size_t i = n; i-- > 1;) {
		if (buf[i] != '.' || i + 1 >= n)
			continue;
		buf[i] = 0;
		x = bw_map_get(d->names, buf);
		buf[i] = '.';
		if (x && (d->src->fields[(uintptr_t)x - 1].flags & BW_FF_ARG_DOT)) {
			*ret_arg = name + i + 1;
			return (int)((uintptr_t)x - 1);
		}
	}
	return -1;
}

/* Keys are short field names: mix the length with their first and last
 * eight bytes (bytewise when shorter). */
static inline uint32_t hash_key(const char *s, size_t n)
{
	uint64_t h = (uint64_t)n * 0x9e3779b97f4a7c15ull;

	if (n >= 8) {
		uint64_t a, b;
		memcpy(&a, s, 8);
		memcpy(&b, s + n - 8, 8);
		h ^= a * 0xff51afd7ed558ccdull;
		h = (h ^ (h >> 29)) + b * 0xc4ceb9fe1a85ec53ull;
	} else {
		for (size_t i = 0; i < n; i++)
			h = (h ^ (uint8_t)s[i]) * 0x100000001b3ull;
	}
	h ^= h >> 32;
	h *= 0x9e3779b97f4a7c15ull;
	return (uint32_t)(h >> 32);
}

static inline const struct keyent *key_find(const struct bw_replay_decoder *d, const char *k, size_t n)
{
	for (uint32_t i = hash_key(k, n) & d->kmask;; i = (i + 1) & d->kmask) {
		const struct keyent *ke = &d->keys[i];
		if (!ke->key)
			return NULL;
		if (ke->klen == n && !memcmp(ke->key, k, n))
			return ke;
	}
}

static int key_add(struct bw_replay_decoder *d, const char *k, int field, const char *arg)
{
	size_t n = strlen(k);

	if (key_find(d, k, n))
		return 0;
	char *c = rt_strndup(&d->karena, k, n);
	if (!c)
		return -ENOMEM;
	for (uint32_t i = hash_key(k, n) & d->kmask;; i = (i + 1) & d->kmask) {
		if (!d->keys[i].key) {
			d->keys[i] = (struct keyent){ c, (uint32_t)n, field, arg };
			return 0;
		}
	}
}

int bw_replay_decoder_new(const struct bw_matcher *m, struct bw_replay_decoder **ret,
			  struct bw_error **err)
{
	const struct bw_source *src = bw_replay_source();
	struct bw_replay_decoder *d = calloc(1, sizeof(*d));
	char buf[512];
	uint32_t cap = 64;

	if (!d)
		return bw_error_set(err, -ENOMEM, "out of memory");
	d->m = m;
	d->src = src;
	d->nslots = bw_matcher_slot_count(m);
	d->by_field = calloc(src->nfields, sizeof(*d->by_field));
	d->ancestor = calloc(src->nfields, sizeof(*d->ancestor));
	d->names = bw_map_new();
	while (cap < 4 * (src->nfields + 2 * d->nslots))
		cap *= 2;
	d->keys = calloc(cap, sizeof(*d->keys));
	d->kmask = cap - 1;
	if (!d->by_field || !d->ancestor || !d->names || !d->keys)
		goto oom;
	for (size_t i = 0; i < src->nfields; i++)
		d->ancestor[i] = !strncmp(src->fields[i].name, "proc.a", 6);
	for (size_t i = 0; i < src->nfields; i++)
		if (bw_map_put(d->names, src->fields[i].name, (void *)(uintptr_t)(i + 1)) < 0 ||
		    key_add(d, src->fields[i].name, (int)i, NULL) < 0)
			goto oom;
	for (size_t i = 0; i < d->nslots; i++) {
		const struct bw_field_ref *r = bw_matcher_slot(m, i);
		struct slotlist *l = &d->by_field[r->field];
		const struct bw_field_ref **nv = realloc(l->refs, (l->n + 1) * sizeof(*nv));
		if (!nv)
			goto oom;
		nv[l->n++] = r;
		l->refs = nv;
		if (!r->arg)
			continue;
		const char *fname = src->fields[r->field].name;
		size_t fl = strlen(fname), al = strlen(r->arg);
		if (fl + al + 3 > sizeof(buf))
			continue;
		memcpy(buf, fname, fl);
		buf[fl] = '[';
		memcpy(buf + fl + 1, r->arg, al);
		memcpy(buf + fl + 1 + al, "]", 2);
		if (key_add(d, buf, (int)r->field, r->arg) < 0)
			goto oom;
		if (!(src->fields[r->field].flags & BW_FF_ARG_DOT))
			continue;
		buf[fl] = '.';
		buf[fl + 1 + al] = 0;
		if (key_add(d, buf, (int)r->field, r->arg) < 0)
			goto oom;
	}
	d->f_evt_time = lookup(d, "evt.time", 8, &(const char *){ NULL });
	d->f_evt_rawtime = lookup(d, "evt.rawtime", 11, &(const char *){ NULL });
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
		free(d->by_field[i].refs);
	free(d->by_field);
	free(d->ancestor);
	free(d->keys);
	rt_arena_done(&d->karena);
	bw_map_free(d->names);
	free(d);
	return NULL;
}

/* One JSON value as an engine value. Strings stay in the event's buffer. */
static bool to_value(struct bw_replay_event *e, const struct jv *j, struct bw_value *v)
{
	char buf[64];
	const char *s;
	size_t n;

	memset(v, 0, sizeof(*v));
	switch (j->type) {
	case J_STR:
		v->s = j->s;
		v->len = j->n;
		return true;
	case J_INT:
		v->is_num = true;
		v->num = j->i;
		s = j->s;
		n = j->n;
		break;
	case J_REAL: {
		double x = strtod(j->s, NULL);
		v->is_num = true;
		v->num = j->i;
		n = (size_t)snprintf(buf, sizeof(buf), "%g", x);
		s = buf;
		break;
	}
	case J_TRUE:
	case J_FALSE:
		v->is_num = true;
		v->num = j->type == J_TRUE;
		v->s = v->num ? "true" : "false";
		v->len = v->num ? 4 : 5;
		return true;
	case J_NULL:
		return false;
	default: {
		char *d = json_dump(j, &e->arena, &n);
		if (!d)
			return false;
		v->s = d;
		v->len = (uint32_t)n;
		return true;
	}
	}
	char *c = rt_strndup(&e->arena, s, n);
	if (!c)
		return false;
	v->s = c;
	v->len = (uint32_t)n;
	return true;
}

/* Stores j (a scalar, or an array from element `from`) into a slot. */
static int store(struct bw_replay_event *e, uint32_t slot, const struct jv *j, size_t from)
{
	struct rslot *s = &e->slots[slot];
	bool arr = j->type == J_ARR;
	size_t n = arr ? j->n : 1;

	if (n > BW_MAX_REPLAY_VALUES)
		return -E2BIG;
	s->gen = e->gen;
	s->n = 0;
	s->v = rt_alloc(&e->arena, (n + 1) * sizeof(*s->v));
	if (!s->v)
		return -ENOMEM;
	if (!arr) {
		if (to_value(e, j, &s->v[0]))
			s->n = 1;
		return 0;
	}
	for (size_t i = from; i < n; i++)
		if (to_value(e, &j->kids[i], &s->v[s->n]))
			s->n++;
	return 0;
}

static int decode_field(struct bw_replay_decoder *d, struct bw_replay_event *e, int f,
			const char *karg, const struct jv *val)
{
	const struct slotlist *l = &d->by_field[f];
	int r = 0;

	for (uint32_t i = 0; i < l->n && r == 0; i++) {
		const struct bw_field_ref *ref = l->refs[i];
		if (karg) {
			if (ref->arg && !strcmp(ref->arg, karg))
				r = store(e, ref->slot, val, 0);
			continue;
		}
		if (!ref->arg) {
			if (val->type != J_OBJ)
				r = store(e, ref->slot, val,
					  d->ancestor[f] ? 1 : 0);
		} else if (val->type == J_OBJ) {
			const struct jv *x = jv_get(val, ref->arg);
			r = x ? store(e, ref->slot, x, 0) : 0;
		} else if (val->type == J_ARR && ref->index >= 0) {
			const struct jv *x = jv_at(val, (size_t)ref->index);
			r = x ? store(e, ref->slot, x, 0) : 0;
		}
	}
	return r;
}

/* A key not in the decoder's table: "field[arg]" or "field.arg" with an
 * argument no rule reads, or not a field at all. */
static int decode_other(struct bw_replay_decoder *d, struct bw_replay_event *e, const char *key,
			size_t kl, const struct jv *val)
{
	size_t bl = kl;
	const char *karg = NULL, *dotarg;
	char argbuf[256];
	int f;

	if (kl && key[kl - 1] == ']') {
		const char *open = memchr(key, '[', kl);
		if (open && (size_t)(key + kl - 1 - open - 1) < sizeof(argbuf)) {
			bl = (size_t)(open - key);
			memcpy(argbuf, open + 1, kl - bl - 2);
			argbuf[kl - bl - 2] = 0;
			karg = argbuf;
		}
	}
	f = lookup(d, key, bl, &dotarg);
	if (f < 0 || !d->by_field[f].n)
		return 0; /* a field no rule of this source reads: ignored */
	if (dotarg && !karg) {
		size_t al = bl - (size_t)(dotarg - key);
		if (al >= sizeof(argbuf))
			return 0;
		memcpy(argbuf, dotarg, al);
		argbuf[al] = 0;
		karg = argbuf;
	}
	return decode_field(d, e, f, karg, val);
}

static void mark_time(struct bw_replay_decoder *d, struct bw_replay_event *e)
{
	for (int which = 0; which < 2; which++) {
		int f = which ? d->f_evt_rawtime : d->f_evt_time;
		if (f < 0)
			continue;
		const struct slotlist *l = &d->by_field[f];
		for (uint32_t i = 0; i < l->n; i++) {
			struct rslot *s = &e->slots[l->refs[i]->slot];
			if (s->gen == e->gen && s->n)
				continue;
			s->gen = e->gen;
			s->n = which ? SLOT_SYNTH_RAWTIME : SLOT_SYNTH_TIME;
		}
	}
}

/* What to do with a key's value. */
static int member(struct bw_replay_decoder *d, struct bw_replay_event *e, struct json_cursor *c,
		  const char *key, uint32_t klen, bool *seen_ts, struct bw_error **err)
{
	const struct keyent *ke = key_find(d, key, klen);
	bool is_ts = klen == 2 && !memcmp(key, "ts", 2);
	bool is_raw = ke && ke->field == d->f_evt_rawtime && !ke->arg;
	bool is_type = klen == 8 && !memcmp(key, "evt.type", 8);
	struct jv v = { 0 };
	int r;

	if (!is_ts && !is_raw && !is_type && ke && !d->by_field[ke->field].n)
		return json_skip_value(c); /* a field no rule reads */
	if ((r = json_value(c, &v)) < 0) {
		if (!c->msg)
			c->msg = "out of memory";
		return r;
	}
	if (is_ts || (is_raw && !*seen_ts)) {
		if (v.type != J_INT)
			return bw_error_set(err, -EINVAL,
					    "`ts` must be an integer (nanoseconds since the epoch)");
		e->ts = v.i;
		*seen_ts |= is_ts;
		if (is_ts)
			return 0;
	}
	if (is_type) {
		if (v.type != J_STR)
			return bw_error_set(err, -EINVAL, "`evt.type` must be a string");
		e->evtype = bw_matcher_evtype(d->m, v.s);
	}
	v.key = key;
	v.klen = klen;
	r = ke ? decode_field(d, e, ke->field, ke->arg, &v) : decode_other(d, e, key, klen, &v);
	if (r < 0)
		return bw_error_set(err, r, "field `%s`: %s", key,
				    r == -E2BIG ? "too many values" : "out of memory");
	return 0;
}

static int decode(struct bw_replay_decoder *d, struct bw_replay_event *e, const char *line,
		  size_t len, struct bw_error **err)
{
	struct json_cursor c;
	bool seen_ts = false;
	char *buf;
	int r;

	rt_arena_reset(&e->arena);
	e->evtype = -1;
	e->ts = 0;
	if (++e->gen == 0) {
		memset(e->slots, 0, e->nslots * sizeof(*e->slots));
		e->gen = 1;
	}
	if (!(buf = rt_alloc(&e->arena, len + 1)))
		return bw_error_set(err, -ENOMEM, "out of memory");
	memcpy(buf, line, len);
	json_cursor_init(&c, buf, len, &e->arena, 0);
	r = json_expect(&c, "{[\"tfn-0123456789");
	if (r > 0 && r != '{') {
		c.p--;
		if ((r = json_skip_value(&c)) < 0)
			goto bad;
		if (json_expect(&c, "") != 0) {
			c.msg = "end of file expected";
			r = -EINVAL;
			goto bad;
		}
		r = bw_error_set(err, -EINVAL, "an event must be a JSON object");
		goto out;
	}
	if (r == 0)
		c.msg = "unexpected end of input", r = -EINVAL;
	if (r < 0)
		goto bad;
	if ((r = json_expect(&c, "}\"")) == '}')
		goto end;
	c.p -= r == '"'; /* json_key() reads the opening quote */
	while (r >= 0) {
		const char *key;
		uint32_t klen;
		if ((r = json_key(&c, &key, &klen)) < 0)
			goto bad;
		/* JSON errors leave c.msg; the others are already in err. */
		if ((r = member(d, e, &c, key, klen, &seen_ts, err)) < 0)
			goto check;
		r = json_expect(&c, ",}");
		if (r == '}')
			goto end;
		if (r <= 0) {
			c.msg = r == 0 ? "unterminated object" : "expected ',' or '}'";
			r = -EINVAL;
			goto bad;
		}
	}
end:
	if (json_expect(&c, "") != 0) {
		c.msg = "end of file expected";
		r = -EINVAL;
		goto bad;
	}
	json_cursor_done(&c);
	mark_time(d, e);
	return 0;
check:
	if (!c.msg)
		goto out;
bad:
	r = bw_error_set(err, r == -ENOMEM ? r : -EINVAL, "invalid JSON at column %zu: %s",
			 (size_t)(c.p - c.base) + 1, r == -ENOMEM ? "out of memory" : c.msg);
out:
	json_cursor_done(&c);
	return r;
}

static struct bw_replay_event *event_new(const struct bw_replay_decoder *d)
{
	struct bw_replay_event *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->nslots = (uint32_t)d->nslots;
	e->slots = calloc(d->nslots + 1, sizeof(*e->slots));
	if (!e->slots) {
		free(e);
		return NULL;
	}
	return e;
}

int bw_replay_decode_into(struct bw_replay_decoder *d, const char *line, size_t len,
			  struct bw_replay_event **e, struct bw_error **err)
{
	struct bw_replay_event *n = NULL;
	int r;

	if (len > BW_MAX_REPLAY_LINE)
		return bw_error_set(err, -EFBIG, "event is larger than %u bytes", BW_MAX_REPLAY_LINE);
	if (*e && (*e)->nslots != d->nslots)
		return bw_error_set(err, -EINVAL, "event was decoded for another matcher");
	if (!*e && !(n = event_new(d)))
		return bw_error_set(err, -ENOMEM, "out of memory");
	r = decode(d, *e ? *e : n, line, len, err);
	if (r < 0) {
		if (*e) {
			/* Leave no half-decoded values behind. */
			(*e)->evtype = -1;
			if (++(*e)->gen == 0) {
				memset((*e)->slots, 0, (*e)->nslots * sizeof(*(*e)->slots));
				(*e)->gen = 1;
			}
		}
		bw_replay_event_free(n);
		return r;
	}
	if (n)
		*e = n;
	return 0;
}

int bw_replay_decode(struct bw_replay_decoder *d, const char *line, size_t len,
		     struct bw_replay_event **ret, struct bw_error **err)
{
	struct bw_replay_event *e = NULL;
	int r = bw_replay_decode_into(d, line, len, &e, err);

	if (r < 0)
		return r;
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
	free(e->slots);
	free(e);
	return NULL;
}
