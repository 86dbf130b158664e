/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The replay source: recorded system-call events, one JSON object per line,
 * whose keys are Falco field names (docs/replay-format.md).
 *
 * A decoder is built for one matcher. It interns, once, every key the
 * matcher's rules can read ("proc.name", "proc.aname", "evt.arg.flags",
 * "evt.arg[flags]", ...) into a small open-addressing table that says which
 * slot a value goes to, so a decoded event is an array of values indexed by
 * slot and extraction is a load. Keys no rule reads are skipped (their
 * values are still checked) without converting anything.
 *
 * Decoding is one pass over the line, a recursive-descent walk with no DOM
 * and no allocation per line. A string is scanned sixteen bytes at a time
 * (SSE2) for its closing quote, a backslash or a control byte; only a
 * string with escapes takes the careful path, which unescapes it in place.
 * String values are left where they are in the line and NUL-terminated in
 * place (over their closing quote, or over the delimiter that follows a
 * number, once that delimiter has been read), so the decoder needs a
 * writable line with padding: bw_replay_decode_into() copies the caller's
 * line once into the event's buffer, and bw_replay_read_fd() decodes lines
 * straight inside its block buffer.
 *
 * Scalars live inside their slot; arrays and nested JSON texts go to the
 * event's arena, which keeps its memory between lines. Slots carry the
 * generation of the line that set them, so nothing is cleared between
 * lines. evt.time and evt.rawtime, when a line does not give them, are
 * computed from ts when read. The JSON grammar is RFC 8259, strict (see
 * runtime/json.c for the same rules on audit events).
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "bulwark/runtime.h"
#include "runtime/internal.h"
#include "runtime/json.h"

/* n of a slot whose value is derived from ts when first read. */
#define SLOT_SYNTH_TIME UINT32_MAX
#define SLOT_SYNTH_RAWTIME (UINT32_MAX - 1)
/* n of a container.mount* slot found from the container's mounts when read. */
#define SLOT_SYNTH_MOUNT (UINT32_MAX - 2)

/* Readable bytes a decoded line must have after its terminating control
 * byte: the string scanner loads sixteen bytes at a time, the key matcher
 * up to KEY_PAT bytes. */
#define LINE_PAD 64

/* A key is matched as the bytes `"key":` (at most this many) in 16-byte
 * vectors. */
#define KEY_PAT 48

/* Bytes bw_replay_read_fd() asks read() for at a time. */
#define READ_BLOCK (1u << 20)

/* Bytes of a mapped file decoded between releases of their pages. */
#define RELEASE_BLOCK (16u << 20)

/* Event type names a decoder remembers (the rest are looked up each time). */
#define EVTYPE_CACHE 1024u

/* Keys no rule reads that a decoder remembers, so that they are recognised
 * as cheaply as the others (the rest are looked up each time). */
#define MAX_UNKNOWN_KEYS 256u

/* Members per line whose key is predicted from the line before. */
#define PRED_MAX 256u

/* Longest number text accepted (as runtime/json.c). */
#define MAX_NUMBER_LEN 4096

struct rslot {
	uint32_t gen;
	uint32_t n;
	const struct bw_value *v;
	struct bw_value one; /* a scalar's value lives here */
};

struct bw_replay_event {
	int evtype;
	int64_t ts;
	uint32_t gen;
	uint32_t nslots;
	struct rslot *slots;
	struct rt_arena arena; /* arrays, nested JSON texts, synthesised times */
	int32_t mount_slot;    /* the container's mounts (see struct bw_replay_decoder) */
	char *line;	       /* bw_replay_decode_into()'s copy of the line */
	size_t line_cap;
};

/* A key of a line, interned when the decoder is built. */
struct keyent {
	const char *key; /* NULL: empty bucket */
	uint32_t klen;
	int32_t field;	  /* the source field */
	int32_t slot;	  /* where a scalar or a whole array goes; -1: nowhere */
	int32_t obj_slot; /* where an object goes as JSON text (keys with an argument) */
	bool args;	  /* refs of the field with arguments read objects / arrays */
	bool ancestor;	  /* proc.a*: a whole array's element 0 is the process */
	bool plain;	  /* the key is its own JSON text: no '"', backslash or control byte */
	uint8_t special;  /* K_TS, K_TYPE, K_RAWTIME */
	uint8_t patlen;	  /* bytes of pat: `"key":`; 0 when too long or not plain */
	uint8_t patblk;	  /* 16-byte blocks of pat */
	uint16_t patlast; /* the bytes of pat's last block, as a movemask */
	char pat[KEY_PAT] __attribute__((aligned(16)));
	/* The fast path's prediction: the key that followed this one last
	 * time (NULL: none with a pattern). */
	const struct keyent *next;
};

enum { K_NONE = 0, K_TS, K_TYPE, K_RAWTIME };

/* A field reference with an argument, for objects and arrays under the
 * field's plain key. */
struct argref {
	const char *arg;
	uint32_t alen;
	int64_t index;
	uint32_t slot;
};

struct argrefs {
	uint32_t n;
	struct argref *v;
};

struct tyent {
	const char *s; /* NULL: empty */
	uint32_t len;
	int id;
};

struct bw_replay_decoder {
	const struct bw_matcher *m;
	const struct bw_source *src;
	size_t nslots;
	struct argrefs *by_field; /* indexed by field */
	struct keyent *keys;
	uint32_t kmask;
	uint32_t nunknown; /* keys no rule reads, remembered */
	/* pred[i]: the key of member i of the previous line. Lines of one
	 * stream repeat their keys in the same order, so checking that the
	 * bytes are there again replaces scanning and hashing the key. */
	const struct keyent *pred[PRED_MAX];
	/* The fast path predicts a key from the key before it (keyent.next),
	 * which still holds when one line lacks a member that another has;
	 * the first key of a line from the first of the line before. */
	const struct keyent *first;
	struct tyent *types; /* EVTYPE_CACHE entries */
	uint32_t ntypes;
	struct rt_arena karena; /* interned strings */
	uint32_t *time_slots;	/* refs of evt.time (synthesised when absent) */
	uint32_t ntime;
	uint32_t *raw_slots; /* refs of evt.rawtime */
	uint32_t nraw;
	/* Refs of container.mount* with an argument, found when read from the
	 * container's mounts: the list under "container.mount", kept in a slot
	 * of the decoder's own (mount_slot; -1 when no rule reads them). */
	uint32_t *mount_refs;
	uint32_t nmount;
	int32_t mount_slot;
	struct bw_value *tmp; /* elements of the array being decoded */
	size_t tmp_cap;
	struct bw_replay_event *stream_evt; /* bw_replay_read_fd()'s event */
};

/* ---------------------------------------------------------------- extraction */

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
	char *c = rt_strndup(&e->arena, buf, n);
	if (!c)
		return;
	s->one = (struct bw_value){ .s = c, .len = (uint32_t)n, .is_num = raw, .num = e->ts };
	s->v = &s->one;
	s->n = 1;
}

/*
 * One mount as Falco prints it, source:dest:mode:rdwr:propagation, split.
 * The last three never hold a colon; of "source:dest", dest is an absolute
 * path, so the split is at the last ":/" (at the last ':' when none).
 * A path with ":/" in it splits as ambiguously as Falco's own text reads.
 */
struct mount_parts {
	const char *p[5]; /* source, dest, mode, rdwr, propagation */
	uint32_t n[5];
};

static bool mount_split(const struct bw_value *v, struct mount_parts *m)
{
	const char *s = v->s, *e = v->s + v->len, *c[3], *sd;
	int k = 0;

	if (!s)
		return false;
	for (const char *q = e; q > s && k < 3; q--)
		if (q[-1] == ':')
			c[k++] = q - 1; /* c[0]: before propagation, c[2]: before mode */
	if (k < 3)
		return false;
	sd = NULL;
	for (const char *q = c[2]; q > s; q--)
		if (q[-1] == ':' && (q[0] == '/' || !sd)) {
			sd = q - 1;
			if (q[0] == '/')
				break;
		}
	if (!sd)
		return false;
	m->p[0] = s, m->n[0] = (uint32_t)(sd - s);
	m->p[1] = sd + 1, m->n[1] = (uint32_t)(c[2] - sd - 1);
	m->p[2] = c[2] + 1, m->n[2] = (uint32_t)(c[1] - c[2] - 1);
	m->p[3] = c[1] + 1, m->n[3] = (uint32_t)(c[0] - c[1] - 1);
	m->p[4] = c[0] + 1, m->n[4] = (uint32_t)(e - c[0] - 1);
	return true;
}

/*
 * container.mount[ARG] (the whole mount), .source, .dest, .mode, .rdwr and
 * .propagation, as Falco finds them: by number, or else the first mount
 * whose source (for .source: whose destination) matches ARG as a glob,
 * with fnmatch(3) and no flags ('*' also matches '/', so /proc* is /proc
 * and all below it). In a container whose mounts are known, a mount that
 * is not there reads "<NA>", as Falco prints it and as its rules test it
 * (`not container.mount.dest[/etc] in ("<NA>","N/A")`).
 */
static void synth_mount(struct bw_replay_event *e, struct rslot *s, const struct bw_field_ref *ref)
{
	static const char *const parts[] = { "source", "dest", "mode", "rdwr", "propagation" };
	const char *name = bw_replay_source()->fields[ref->field].name;
	const struct rslot *ms = &e->slots[e->mount_slot];
	struct mount_parts m;
	int part = -1, by = 0; /* the part read (-1: all), the part matched */
	const struct bw_value *hit = NULL;

	s->n = 0;
	if (strlen(name) > 16)
		for (int i = 0; i < 5; i++)
			if (!strcmp(name + 16, parts[i]))
				part = i;
	by = part == 0 ? 1 : 0;
	if (ms->gen != e->gen)
		return;
	if (ref->index >= 0) {
		if ((uint64_t)ref->index < ms->n)
			hit = &ms->v[ref->index];
	} else {
		for (uint32_t i = 0; i < ms->n && !hit; i++) {
			char *c;
			if (!mount_split(&ms->v[i], &m) || !(c = rt_strndup(&e->arena, m.p[by], m.n[by])))
				continue;
			if (fnmatch(ref->arg, c, 0) == 0)
				hit = &ms->v[i];
		}
	}
	if (hit && !hit->s)
		return; /* a null in the list */
	if (hit && part >= 0 && !mount_split(hit, &m))
		hit = NULL;
	const char *v = hit ? (part < 0 ? hit->s : m.p[part]) : "<NA>";
	uint32_t n = hit ? (part < 0 ? hit->len : m.n[part]) : 4;
	char *c = rt_strndup(&e->arena, v, n);
	if (!c)
		return;
	s->one = (struct bw_value){ .s = c, .len = n };
	s->v = &s->one;
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
	if (s->n == SLOT_SYNTH_MOUNT)
		synth_mount(e, s, ref);
	else if (s->n >= SLOT_SYNTH_RAWTIME)
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

/* ---------------------------------------------------------------- the key table */

/* Keys are short field names: their length and first and last eight bytes
 * (bytewise when shorter), one multiplication, so the lookup of the thirty
 * odd keys of a line is not a chain of long latencies. The high bits are
 * the good ones: tables index with hash >> (32 - bits). */
static inline uint32_t hash_key(const char *s, size_t n)
{
	uint64_t a = 0, b = 0;

	if (n >= 8) {
		memcpy(&a, s, 8);
		memcpy(&b, s + n - 8, 8);
	} else if (n >= 4) {
		uint32_t lo, hi;
		memcpy(&lo, s, 4);
		memcpy(&hi, s + n - 4, 4);
		a = lo | (uint64_t)hi << 32;
	} else {
		for (size_t i = 0; i < n; i++)
			a = (a << 8) | (uint8_t)s[i];
	}
	return (uint32_t)(((a ^ ((b << 23) | (b >> 41))) + n) * 0x9e3779b97f4a7c15ull >> 32);
}

/* a[0..n) == b[0..n), eight bytes at a time (keys are short); the last
 * eight bytes overlap the ones before. */
static inline bool keq(const char *a, const char *b, size_t n)
{
	uint64_t x, y;

	if (n < 8) {
		uint32_t p, q;
		if (n < 4)
			return !memcmp(a, b, n);
		memcpy(&p, a, 4);
		memcpy(&q, b, 4);
		if (p != q)
			return false;
		memcpy(&p, a + n - 4, 4);
		memcpy(&q, b + n - 4, 4);
		return p == q;
	}
	for (size_t i = 0; i + 8 < n; i += 8) {
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		if (x != y)
			return false;
	}
	memcpy(&x, a + n - 8, 8);
	memcpy(&y, b + n - 8, 8);
	return x == y;
}

static inline const struct keyent *key_find(const struct bw_replay_decoder *d, const char *k,
					    size_t n)
{
	for (uint32_t i = hash_key(k, n) & d->kmask;; i = (i + 1) & d->kmask) {
		const struct keyent *ke = &d->keys[i];
		if (!ke->key)
			return NULL;
		if (ke->klen == n && keq(ke->key, k, n))
			return ke;
	}
}

/* The entry of key k[0..n), added (with nothing to store) when new; NULL
 * when out of memory. The table has room: see bw_replay_decoder_new(). */
static struct keyent *key_getn(struct bw_replay_decoder *d, const char *k, size_t n, int field)
{
	uint32_t i;

	for (i = hash_key(k, n) & d->kmask; d->keys[i].key; i = (i + 1) & d->kmask)
		if (d->keys[i].klen == n && keq(d->keys[i].key, k, n))
			return &d->keys[i];
	char *c = rt_strndup(&d->karena, k, n);
	if (!c)
		return NULL;
	bool plain = true;
	for (size_t j = 0; j < n; j++)
		plain &= !(c[j] == '"' || c[j] == '\\' || (uint8_t)c[j] < 0x20);
	d->keys[i] = (struct keyent){ .key = c, .klen = (uint32_t)n, .field = field, .slot = -1,
				      .obj_slot = -1, .plain = plain };
	if (plain && n + 3 <= KEY_PAT) {
		struct keyent *ke = &d->keys[i];
		ke->pat[0] = '"';
		memcpy(ke->pat + 1, c, n);
		memcpy(ke->pat + 1 + n, "\":", 2);
		ke->patlen = (uint8_t)(n + 3);
		ke->patblk = (uint8_t)((n + 3 + 15) / 16);
		ke->patlast = (uint16_t)((1u << ((n + 3 - 1) % 16 + 1)) - 1);
	}
	return &d->keys[i];
}

static struct keyent *key_get(struct bw_replay_decoder *d, const char *k, int field)
{
	return key_getn(d, k, strlen(k), field);
}

static int field_index(const struct bw_source *src, const char *name)
{
	for (size_t i = 0; i < src->nfields; i++)
		if (!strcmp(src->fields[i].name, name))
			return (int)i;
	return -1;
}

static int push_u32(uint32_t **v, uint32_t *n, uint32_t x)
{
	uint32_t *nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (!nv)
		return -ENOMEM;
	nv[(*n)++] = x;
	*v = nv;
	return 0;
}

/* Interns the keys through which a line can set the value of ref. */
static int add_ref(struct bw_replay_decoder *d, const struct bw_field_ref *r)
{
	const struct bw_field_info *fi = &d->src->fields[r->field];
	size_t fl = strlen(fi->name), al;
	struct keyent *ke;
	char buf[512];

	if (!(ke = key_get(d, fi->name, (int)r->field)))
		return -ENOMEM;
	ke->ancestor = !strncmp(fi->name, "proc.a", 6);
	if (!r->arg) {
		ke->slot = (int32_t)r->slot;
		return 0;
	}
	/* Under the plain key, an object or array holds the argument. */
	struct argrefs *l = &d->by_field[r->field];
	struct argref *nv = realloc(l->v, (l->n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	al = strlen(r->arg);
	nv[l->n++] = (struct argref){ r->arg, (uint32_t)al, r->index, r->slot };
	l->v = nv;
	ke->args = true;
	/* And "field[arg]", or "field.arg" for fields that take a dotted one. */
	if (fl + al + 3 > sizeof(buf))
		return 0;
	memcpy(buf, fi->name, fl);
	buf[fl] = '[';
	memcpy(buf + fl + 1, r->arg, al);
	memcpy(buf + fl + 1 + al, "]", 2);
	if (!(ke = key_get(d, buf, (int)r->field)))
		return -ENOMEM;
	ke->slot = ke->obj_slot = (int32_t)r->slot;
	if (!(fi->flags & BW_FF_ARG_DOT))
		return 0;
	buf[fl] = '.';
	buf[fl + 1 + al] = 0;
	if (!(ke = key_get(d, buf, (int)r->field)))
		return -ENOMEM;
	ke->slot = ke->obj_slot = (int32_t)r->slot;
	return 0;
}

int bw_replay_decoder_new(const struct bw_matcher *m, struct bw_replay_decoder **ret,
			  struct bw_error **err)
{
	const struct bw_source *src = bw_replay_source();
	struct bw_replay_decoder *d = calloc(1, sizeof(*d));
	int f_time, f_raw, f_type;
	uint32_t cap = 64;
	struct keyent *ke;

	if (!d)
		return bw_error_set(err, -ENOMEM, "out of memory");
	d->m = m;
	d->src = src;
	d->nslots = bw_matcher_slot_count(m);
	/* At most three keys per slot, three special ones and the unknown
	 * ones remembered; at most half full. */
	while (cap < 2 * (3 * d->nslots + 4 + MAX_UNKNOWN_KEYS))
		cap *= 2;
	d->keys = calloc(cap, sizeof(*d->keys));
	d->kmask = cap - 1;
	d->by_field = calloc(src->nfields, sizeof(*d->by_field));
	d->types = calloc(EVTYPE_CACHE, sizeof(*d->types));
	if (!d->keys || !d->by_field || !d->types)
		goto oom;
	f_time = field_index(src, "evt.time");
	f_raw = field_index(src, "evt.rawtime");
	f_type = field_index(src, "evt.type");
	for (size_t i = 0; i < d->nslots; i++) {
		const struct bw_field_ref *r = bw_matcher_slot(m, i);
		if (add_ref(d, r) < 0)
			goto oom;
		if ((int)r->field == f_time && push_u32(&d->time_slots, &d->ntime, r->slot) < 0)
			goto oom;
		if ((int)r->field == f_raw && push_u32(&d->raw_slots, &d->nraw, r->slot) < 0)
			goto oom;
		const char *fn = src->fields[r->field].name;
		if (r->arg && !strncmp(fn, "container.mount", 15) && (!fn[15] || fn[15] == '.') &&
		    push_u32(&d->mount_refs, &d->nmount, r->slot) < 0)
			goto oom;
	}
	d->mount_slot = -1;
	if (d->nmount) {
		if (!(ke = key_get(d, "container.mount", field_index(src, "container.mount"))))
			goto oom;
		d->mount_slot = (int32_t)d->nslots++;
		ke->slot = d->mount_slot;
	}
	if (!(ke = key_get(d, "ts", -1)))
		goto oom;
	ke->special = K_TS;
	if (!(ke = key_get(d, "evt.type", f_type)))
		goto oom;
	ke->special = K_TYPE;
	if (!(ke = key_get(d, "evt.rawtime", f_raw)))
		goto oom;
	ke->special = K_RAWTIME;
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
		free(d->by_field[i].v);
	free(d->by_field);
	free(d->keys);
	free(d->types);
	free(d->time_slots);
	free(d->raw_slots);
	free(d->mount_refs);
	free(d->tmp);
	bw_replay_event_free(d->stream_evt);
	rt_arena_done(&d->karena);
	free(d);
	return NULL;
}

/* The matcher's id of an event type, remembered per name. */
static int evtype_id(struct bw_replay_decoder *d, const char *s, uint32_t len)
{
	uint32_t i = hash_key(s, len) & (EVTYPE_CACHE - 1);
	char *c;
	int id;

	for (; d->types[i].s; i = (i + 1) & (EVTYPE_CACHE - 1))
		if (d->types[i].len == len && !memcmp(d->types[i].s, s, len))
			return d->types[i].id;
	if (d->ntypes < EVTYPE_CACHE / 2) {
		if (!(c = rt_strndup(&d->karena, s, len)))
			return -1;
		id = bw_matcher_evtype(d->m, c);
		d->types[i] = (struct tyent){ c, len, id };
		d->ntypes++;
		return id;
	}
	/* A stream of ever new names: look them up without remembering. */
	if (!(c = strndup(s, len)))
		return -1;
	id = bw_matcher_evtype(d->m, c);
	free(c);
	return id;
}

/* ---------------------------------------------------------------- the walk */

struct dcx {
	char *base, *p, *end; /* *end is a control byte, LINE_PAD bytes readable after it */
	const char *msg;      /* a JSON error, at p */
	bool ro;	      /* the line may not be written to: no unescaping in place */
};

/* The first '"', backslash or control byte at or after r (the NUL at the
 * end of the line stops it). Reads up to fifteen bytes past it. */
static inline char *special(char *r)
{
#if defined(__SSE2__)
	const __m128i quote = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'),
		      ctl = _mm_set1_epi8(0x1f);
	for (;; r += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)r);
		__m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bs)),
					 _mm_cmpeq_epi8(_mm_min_epu8(v, ctl), v));
		unsigned bits = (unsigned)_mm_movemask_epi8(m);
		if (bits)
			return r + __builtin_ctz(bits);
	}
#else
	while ((uint8_t)*r >= 0x20 && *r != '\\' && *r != '"')
		r++;
	return r;
#endif
}

static int fail(struct dcx *x, const char *msg)
{
	x->msg = msg;
	return -EINVAL;
}

static inline void ws(struct dcx *x)
{
	/* Compact lines have none: one comparison decides. */
	while ((uint8_t)*x->p <= ' ' &&
	       (*x->p == ' ' || *x->p == '\n' || *x->p == '\t' || *x->p == '\r'))
		x->p++;
}

/* The next byte after whitespace, consumed; -1 at the end of the line. */
static inline int next(struct dcx *x)
{
	ws(x);
	if (x->p >= x->end)
		return -1;
	return (uint8_t)*x->p++;
}

/* The rest of a string from r, its first backslash or control byte: checked,
 * and unescaped in place when asked. */
static char *str_careful(struct dcx *x, char *r, bool unescape, const char **ret_s,
			 uint32_t *ret_len)
{
	char *start = x->p + 1, *w = r;

	for (;;) {
		if (r >= x->end)
			return fail(x, "unterminated string"), NULL;
		uint8_t c = (uint8_t)*r;
		if (c == '"')
			break;
		if (c < 0x20) {
			x->p = r;
			return fail(x, "control character in string"), NULL;
		}
		if (c != '\\') {
			if (unescape)
				*w++ = *r;
			r++;
			continue;
		}
		if (unescape && x->ro) {
			/* The fast path gives the line to the careful one. */
			x->p = r;
			return fail(x, "escape in a read-only line"), NULL;
		}
		char out = 0;
		if (r + 1 >= x->end)
			return fail(x, "unterminated string"), NULL;
		switch (r[1]) {
		case '"': out = '"'; break;
		case '\\': out = '\\'; break;
		case '/': out = '/'; break;
		case 'b': out = '\b'; break;
		case 'f': out = '\f'; break;
		case 'n': out = '\n'; break;
		case 'r': out = '\r'; break;
		case 't': out = '\t'; break;
		case 'u': {
			unsigned u, lo;
			char utf[4];
			int k = 0;
			if (x->end - r < 6 || json_hex4(r + 2, &u) < 0) {
				x->p = r;
				return fail(x, "invalid \\u escape"), NULL;
			}
			r += 6;
			if (u >= 0xd800 && u <= 0xdbff) {
				if (x->end - r < 6 || r[0] != '\\' || r[1] != 'u' || json_hex4(r + 2, &lo) < 0 ||
				    lo < 0xdc00 || lo > 0xdfff) {
					x->p = r;
					return fail(x, "invalid Unicode surrogate"), NULL;
				}
				u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
				r += 6;
			} else if (u >= 0xdc00 && u <= 0xdfff) {
				x->p = r - 6;
				return fail(x, "invalid Unicode surrogate"), NULL;
			} else if (u == 0) {
				x->p = r - 6;
				return fail(x, "\\u0000 is not allowed"), NULL;
			}
			/* UTF-8 is never longer than the escape it replaces. */
			k = (int)json_utf8(u, utf);
			if (unescape) {
				memcpy(w, utf, (size_t)k);
				w += k;
			}
			continue;
		}
		default:
			x->p = r;
			return fail(x, "invalid escape in string"), NULL;
		}
		if (unescape)
			*w++ = out;
		r += 2;
	}
	if (!unescape)
		w = r;
	x->p = r + 1;
	*ret_s = start;
	*ret_len = (uint32_t)(w - start);
	return w;
}

/*
 * The string whose opening quote is at x->p: its bytes in *ret_s and
 * *ret_len. Returns where a NUL may end it (its closing quote, or the end
 * of its unescaped bytes), NULL on error. x->p moves past it.
 */
static inline char *str(struct dcx *x, bool unescape, const char **ret_s, uint32_t *ret_len)
{
	char *r = special(x->p + 1);

	if (*r != '"' || r >= x->end)
		return str_careful(x, r, unescape, ret_s, ret_len);
	*ret_s = x->p + 1;
	*ret_len = (uint32_t)(r - x->p - 1);
	x->p = r + 1;
	return r;
}

/* Eight ASCII digits at p (which may read eight bytes) as a number. */
static inline bool eight_digits(const char *p, uint64_t *ret)
{
	uint64_t v;

	memcpy(&v, p, 8);
	v = le64toh(v);
	if (((v & 0xf0f0f0f0f0f0f0f0ull) |
	     (((v + 0x0606060606060606ull) & 0xf0f0f0f0f0f0f0f0ull) >> 4)) != 0x3333333333333333ull)
		return false;
	v -= 0x3030303030303030ull;
	v = v * 10 + (v >> 8);
	v = (((v & 0x000000ff000000ffull) * (100 + (1000000ull << 32))) +
	     (((v >> 16) & 0x000000ff000000ffull) * (1 + (10000ull << 32)))) >> 32;
	*ret = v;
	return true;
}

/* Up to sixteen leading digits at p, eight at a time, into *n (left as it
 * is when fewer than eight digits start p). Returns p past them. */
static inline const char *digits16(const char *p, uint64_t *n)
{
	uint64_t e8;

	if (eight_digits(p, &e8)) {
		*n = e8;
		p += 8;
		if (eight_digits(p, &e8)) {
			*n = *n * 100000000u + e8;
			p += 8;
		}
	}
	return p;
}

/* How many ASCII digits start the eight bytes at p (8: eight or more). A
 * carry out of a byte at or after the first non-digit changes only later
 * bytes, so the first non-digit is found exactly. */
static inline unsigned digit_run(const char *p)
{
	uint64_t v, x;

	memcpy(&v, p, 8);
	v = le64toh(v);
	x = ((v & 0xf0f0f0f0f0f0f0f0ull) | (((v + 0x0606060606060606ull) & 0xf0f0f0f0f0f0f0f0ull) >> 4)) ^
	    0x3333333333333333ull;
	return x ? (unsigned)__builtin_ctzll(x) >> 3 : 8;
}

/* The value of the n (1 to 7) digits at p (which may read eight bytes):
 * moved to the top of a word with zeros below, then combined as
 * eight_digits() does. */
static inline uint64_t short_digits(const char *p, unsigned n)
{
	uint64_t v;

	memcpy(&v, p, 8);
	v = (le64toh(v) & 0x0f0f0f0f0f0f0f0full) << (64 - 8 * n);
	v = v * 10 + (v >> 8);
	return (((v & 0x000000ff000000ffull) * (100 + (1000000ull << 32))) +
		(((v >> 16) & 0x000000ff000000ffull) * (1 + (10000ull << 32)))) >>
	       32;
}

/* Reals (and integers beyond 64 bits) are truncated for comparisons. */
static __attribute__((noinline)) int64_t real_trunc(const char *s, size_t n)
{
	char tmp[MAX_NUMBER_LEN + 1];

	memcpy(tmp, s, n);
	tmp[n] = 0;
	double f = strtod(tmp, NULL);
	return f >= 9.2e18 ? INT64_MAX : f <= -9.2e18 ? INT64_MIN : (int64_t)f;
}

/* A number into *v. Returns 1 when it is an integer that fits in 64 bits,
 * 0 for other numbers (truncated), -EINVAL. */
static int number(struct dcx *x, struct bw_value *v)
{
	char *s = x->p, *p = s;
	bool neg = false, is_int = true, ovf = false;
	uint64_t n = 0;

	if (*p == '-') {
		neg = true;
		p++;
	}
	if (*p < '0' || *p > '9')
		return fail(x, "invalid number");
	if (*p == '0') {
		p++;
	} else {
		/* Nineteen digits cannot overflow; check only beyond. */
		const char *fast = p + 19;
		p = (char *)digits16(p, &n);
		while (*p >= '0' && *p <= '9' && p < fast)
			n = n * 10 + (unsigned)(*p++ - '0');
		while (*p >= '0' && *p <= '9') {
			unsigned dg = (unsigned)(*p - '0');
			if (n > (UINT64_MAX - dg) / 10)
				ovf = true;
			else
				n = n * 10 + dg;
			p++;
		}
	}
	if (*p == '.') {
		is_int = false;
		p++;
		if (*p < '0' || *p > '9') {
			x->p = p;
			return fail(x, "invalid number");
		}
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		is_int = false;
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (*p < '0' || *p > '9') {
			x->p = p;
			return fail(x, "invalid number");
		}
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (p - s > MAX_NUMBER_LEN)
		return fail(x, "number too long");
	v->s = s;
	v->len = (uint32_t)(p - s);
	v->is_num = true;
	x->p = p;
	if (is_int && !ovf && n <= (uint64_t)INT64_MAX + neg) {
		v->num = neg ? (int64_t)(0 - n) : (int64_t)n;
		return 1;
	} else {
		v->num = real_trunc(s, v->len);
		return 0;
	}
}

enum vkind { V_NULL = 0, V_BOOL, V_INT, V_REAL, V_STR };

/*
 * A scalar at x->p into *v (a string or number points into the line).
 * Returns its kind, or -EINVAL.
 */
static inline int scalar(struct dcx *x, struct bw_value *v)
{
	char *p = x->p;

	switch (*p) {
	case '"': {
		const char *s;
		uint32_t n;
		char *t = str(x, true, &s, &n);
		if (!t)
			return -EINVAL;
		*v = (struct bw_value){ .s = s, .len = n };
		return V_STR;
	}
	case 't':
		if (memcmp(p, "true", 4))
			break;
		x->p += 4;
		*v = (struct bw_value){ .s = "true", .len = 4, .is_num = true, .num = 1 };
		return V_BOOL;
	case 'f':
		if (memcmp(p, "false", 5))
			break;
		x->p += 5;
		*v = (struct bw_value){ .s = "false", .len = 5, .is_num = true, .num = 0 };
		return V_BOOL;
	case 'n':
		if (memcmp(p, "null", 4))
			break;
		x->p += 4;
		*v = (struct bw_value){ 0 };
		return V_NULL;
	default:
		if (*p == '-' || (*p >= '0' && *p <= '9')) {
			int k = number(x, v);
			if (k < 0)
				return -EINVAL;
			return k ? V_INT : V_REAL;
		}
	}
	return fail(x, p >= x->end		       ? "unexpected end of input"
		       : (*p == 't' || *p == 'f' || *p == 'n') ? "invalid literal"
							       : "unexpected character");
}

/* Checks and passes over any value, changing nothing. */
static int skip(struct dcx *x, unsigned depth)
{
	struct bw_value v;
	int c;

	if (*x->p == '"')
		return str(x, false, &v.s, &v.len) ? 0 : -EINVAL;
	if (*x->p != '[' && *x->p != '{')
		return scalar(x, &v) < 0 ? -EINVAL : 0;
	if (depth >= BW_MAX_EVENT_JSON_DEPTH)
		return fail(x, "nesting too deep");
	bool obj = *x->p++ == '{';
	if ((c = next(x)) == (obj ? '}' : ']'))
		return 0;
	if (c < 0)
		return fail(x, obj ? "unterminated object" : "unterminated array");
	x->p--;
	for (;;) {
		ws(x);
		if (obj) {
			if (*x->p != '"')
				return fail(x, "expected an object key");
			if (!str(x, false, &v.s, &v.len))
				return -EINVAL;
			if ((c = next(x)) != ':') {
				x->p -= c >= 0;
				return fail(x, "expected ':'");
			}
			ws(x);
		}
		if (skip(x, depth + 1) < 0)
			return -EINVAL;
		c = next(x);
		if (c == ',')
			continue;
		if (c == (obj ? '}' : ']'))
			return 0;
		if (c >= 0)
			x->p--;
		return fail(x, c >= 0 ? (obj ? "expected ',' or '}'" : "expected ',' or ']'")
				      : (obj ? "unterminated object" : "unterminated array"));
	}
}

/* The JSON text of the value at [s, e), whitespace outside strings left
 * out, as a value in the event's arena. */
static int dump(struct bw_replay_event *e, const char *s, const char *end, struct bw_value *v)
{
	char *o = rt_alloc(&e->arena, (size_t)(end - s) + 1), *w = o;
	bool in = false;

	if (!o)
		return -ENOMEM;
	for (; s < end; s++) {
		char c = *s;
		if (in) {
			*w++ = c;
			if (c == '\\' && s + 1 < end)
				*w++ = *++s;
			else if (c == '"')
				in = false;
		} else if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
			*w++ = c;
			in = c == '"';
		}
	}
	*w = 0;
	*v = (struct bw_value){ .s = o, .len = (uint32_t)(w - o) };
	return 0;
}

static inline void set_slot(struct bw_replay_event *e, int32_t slot, const struct bw_value *v,
			    uint32_t n)
{
	struct rslot *s = &e->slots[slot];

	s->gen = e->gen;
	s->n = n;
	s->v = v;
}

/* A scalar straight into its slot (decoded in place: copying a value just
 * written field by field would stall on store forwarding). */
static inline int scalar_to_slot(struct bw_replay_event *e, struct dcx *x, int32_t slot)
{
	struct rslot *s = &e->slots[slot];
	int k = scalar(x, &s->one);

	s->gen = e->gen;
	s->v = &s->one;
	s->n = k > V_NULL;
	return k;
}

/* Errors that are not JSON syntax: reported as they are, not by column. */
#define E_TOO_MANY (-E2BIG)

/*
 * An array at x->p: all its values (from element `from`, nulls left out) go
 * to slot (when >= 0) as a list, and element i to each ref of refs indexed
 * i. Nested arrays and objects become their JSON text.
 */
static int array_store(struct bw_replay_decoder *d, struct bw_replay_event *e, size_t n,
		       size_t nnull, int32_t slot, size_t from, const struct argrefs *refs);

static int array(struct bw_replay_decoder *d, struct bw_replay_event *e, struct dcx *x,
		 int32_t slot, size_t from, const struct argrefs *refs)
{
	size_t n = 0, nnull = 0;
	int c, r;

	x->p++;
	if ((c = next(x)) == ']')
		goto stored;
	if (c < 0)
		return fail(x, "unterminated array");
	x->p--;
	for (;;) {
		ws(x);
		if (n >= BW_MAX_REPLAY_VALUES)
			return E_TOO_MANY;
		if (n == d->tmp_cap) {
			size_t nc = d->tmp_cap ? 2 * d->tmp_cap : 64;
			struct bw_value *nv = realloc(d->tmp, nc * sizeof(*nv));
			if (!nv)
				return -ENOMEM;
			d->tmp = nv;
			d->tmp_cap = nc;
		}
		struct bw_value *v = &d->tmp[n];
		if (*x->p == '[' || *x->p == '{') {
			const char *start = x->p;
			if (skip(x, 1) < 0)
				return -EINVAL;
			if ((r = dump(e, start, x->p, v)) < 0)
				return r;
		} else {
			int k = scalar(x, v);
			if (k < 0)
				return k;
			if (k == V_NULL) {
				v->s = NULL;
				nnull++;
			}
		}
		n++;
		c = next(x);
		if (c == ',')
			continue;
		if (c == ']')
			break;
		x->p -= c >= 0;
		return fail(x, c >= 0 ? "expected ',' or ']'" : "unterminated array");
	}
stored:
	return array_store(d, e, n, nnull, slot, from, refs);
}

/* An array's n values in d->tmp (nnull of them null) to their slots: all
 * of them (from element `from`, nulls left out) to slot when >= 0, and
 * element i to each ref indexed i. */
static int array_store(struct bw_replay_decoder *d, struct bw_replay_event *e, size_t n,
		       size_t nnull, int32_t slot, size_t from, const struct argrefs *refs)
{
	struct bw_value *all = rt_alloc(&e->arena, (n + 1) * sizeof(*all));

	if (!all)
		return -ENOMEM;
	if (n)
		memcpy(all, d->tmp, n * sizeof(*all));
	for (uint32_t i = 0; refs && i < refs->n; i++) {
		const struct argref *a = &refs->v[i];
		if (a->index >= 0 && (uint64_t)a->index < n)
			set_slot(e, (int32_t)a->slot, &all[a->index], all[a->index].s != NULL);
	}
	if (slot < 0)
		return 0;
	if (from > n)
		from = n;
	if (!nnull) {
		set_slot(e, slot, all + from, (uint32_t)(n - from));
		return 0;
	}
	struct bw_value *list = rt_alloc(&e->arena, (n + 1) * sizeof(*list));
	uint32_t k = 0;
	if (!list)
		return -ENOMEM;
	for (size_t i = from; i < n; i++)
		if (all[i].s)
			list[k++] = all[i];
	set_slot(e, slot, list, k);
	return 0;
}

/* A value that goes to one slot: a scalar, a list, or an object's text. */
static int to_slot(struct bw_replay_decoder *d, struct bw_replay_event *e, struct dcx *x,
		   int32_t slot)
{
	int k;

	if (*x->p == '[')
		return array(d, e, x, slot, 0, NULL);
	if (*x->p == '{') {
		const char *start = x->p;
		struct rslot *s = &e->slots[slot];
		if (skip(x, 0) < 0)
			return -EINVAL;
		if ((k = dump(e, start, x->p, &s->one)) < 0)
			return k;
		set_slot(e, slot, &s->one, 1);
		return 0;
	}
	k = scalar_to_slot(e, x, slot);
	return k < 0 ? k : 0;
}

/* An object under a field's plain key: its members are the arguments. */
static int object(struct bw_replay_decoder *d, struct bw_replay_event *e, struct dcx *x,
		  const struct argrefs *refs)
{
	const char *k;
	uint32_t kl;
	int c, r;

	x->p++;
	if ((c = next(x)) == '}')
		return 0;
	if (c < 0)
		return fail(x, "unterminated object");
	x->p--;
	for (;;) {
		int32_t slot = -1;
		ws(x);
		if (*x->p != '"')
			return fail(x, "expected an object key");
		if (!str(x, true, &k, &kl))
			return -EINVAL;
		if ((c = next(x)) != ':') {
			x->p -= c >= 0;
			return fail(x, "expected ':'");
		}
		ws(x);
		for (uint32_t i = 0; i < refs->n && slot < 0; i++)
			if (refs->v[i].alen == kl && !memcmp(refs->v[i].arg, k, kl))
				slot = (int32_t)refs->v[i].slot;
		r = slot < 0 ? skip(x, 1) : to_slot(d, e, x, slot);
		if (r < 0)
			return r;
		c = next(x);
		if (c == ',')
			continue;
		if (c == '}')
			return 0;
		x->p -= c >= 0;
		return fail(x, c >= 0 ? "expected ',' or '}'" : "unterminated object");
	}
}

struct line_state {
	bool seen_ts;
	const char *key; /* of the member being decoded, for messages */
	uint32_t klen;
};

/*
 * One member's value, at x->p. Returns 0; -EINVAL with x->msg for JSON
 * errors; or a negative code with *err set (x->msg NULL) for the others.
 */
static int member(struct bw_replay_decoder *d, struct bw_replay_event *e, struct dcx *x,
		  const struct keyent *ke, struct line_state *ls, struct bw_error **err)
{
	struct bw_value tmp, *v = &tmp;
	int k = -1;

	if (!ke || (ke->slot < 0 && !ke->args && !ke->special))
		return skip(x, 0); /* a field no rule reads */
	if (ke->special && (ke->special != K_RAWTIME || !ls->seen_ts)) {
		if (*x->p != '[' && *x->p != '{') {
			if (ke->slot >= 0) {
				k = scalar_to_slot(e, x, ke->slot);
				v = &e->slots[ke->slot].one;
			} else {
				k = scalar(x, v);
			}
			if (k < 0)
				return k;
		}
		if (ke->special == K_TYPE) {
			if (k != V_STR)
				return bw_error_set(err, -EINVAL, "`evt.type` must be a string");
			e->evtype = evtype_id(d, v->s, v->len);
		} else {
			if (k != V_INT)
				return bw_error_set(err, -EINVAL,
						    "`ts` must be an integer (nanoseconds since the epoch)");
			e->ts = v->num;
			ls->seen_ts |= ke->special == K_TS;
		}
		return 0;
	}
	if (*x->p == '[') {
		if (ke->obj_slot >= 0 || ke->slot >= 0 || ke->args)
			return array(d, e, x, ke->slot,
				     ke->ancestor && ke->obj_slot < 0 ? 1 : 0,
				     ke->obj_slot < 0 ? &d->by_field[ke->field] : NULL);
		return skip(x, 0);
	}
	if (*x->p == '{') {
		if (ke->obj_slot >= 0)
			return to_slot(d, e, x, ke->obj_slot);
		if (ke->args)
			return object(d, e, x, &d->by_field[ke->field]);
		return skip(x, 0);
	}
	if (ke->slot < 0)
		return skip(x, 0);
	k = scalar_to_slot(e, x, ke->slot);
	return k < 0 ? k : 0;
}

/* Slots whose value is found when first read: evt.time and evt.rawtime
 * from ts, container.mount* from the container's mounts. */
static void mark_synth(struct bw_replay_decoder *d, struct bw_replay_event *e)
{
	for (int which = 0; which < 2; which++) {
		const uint32_t *sl = which ? d->raw_slots : d->time_slots;
		uint32_t n = which ? d->nraw : d->ntime;
		for (uint32_t i = 0; i < n; i++) {
			struct rslot *s = &e->slots[sl[i]];
			if (s->gen == e->gen && s->n)
				continue;
			s->gen = e->gen;
			s->n = which ? SLOT_SYNTH_RAWTIME : SLOT_SYNTH_TIME;
		}
	}
	/* The container.mount* refs the line did not give are found from its
	 * mounts, when it gave them (not on the host, nor while unknown). */
	if (d->nmount && e->slots[d->mount_slot].gen == e->gen)
		for (uint32_t i = 0; i < d->nmount; i++) {
			struct rslot *s = &e->slots[d->mount_refs[i]];
			if (s->gen == e->gen)
				continue;
			s->gen = e->gen;
			s->n = SLOT_SYNTH_MOUNT;
		}
}

static void event_clear(struct bw_replay_event *e)
{
	e->evtype = -1;
	e->ts = 0;
	if (++e->gen == 0) {
		memset(e->slots, 0, e->nslots * sizeof(*e->slots));
		e->gen = 1;
	}
}

/*
 * Decodes buf[0..len) in place: buf[len] is NUL and LINE_PAD more bytes are
 * readable after it.
 */
static int decode_line(struct bw_replay_decoder *d, struct bw_replay_event *e, char *buf,
		       size_t len, struct bw_error **err)
{
	struct line_state ls = { 0 };
	struct dcx x = { .base = buf, .p = buf, .end = buf + len };
	int c, r;

	rt_arena_reset(&e->arena);
	event_clear(e);
	if ((c = next(&x)) != '{') {
		if (c < 0) {
			fail(&x, "unexpected end of input");
			goto bad;
		}
		x.p--;
		if (skip(&x, 0) < 0)
			goto bad;
		if ((c = next(&x)) >= 0) {
			x.p--;
			fail(&x, "end of file expected");
			goto bad;
		}
		return bw_error_set(err, -EINVAL, "an event must be a JSON object");
	}
	if ((c = next(&x)) == '}')
		goto end;
	if (c < 0) {
		fail(&x, "unterminated object");
		goto bad;
	}
	x.p--;
	for (uint32_t i = 0;; i++) {
		const struct keyent *ke, *pk = i < PRED_MAX ? d->pred[i] : NULL;
		if (*x.p != '"') {
			ws(&x);
			if (*x.p != '"') {
				fail(&x, "expected an object key");
				goto bad;
			}
		}
		if (pk && x.end - x.p > (ptrdiff_t)pk->klen + 1 && x.p[pk->klen + 1] == '"' &&
		    keq(x.p + 1, pk->key, pk->klen)) {
			ke = pk;
			ls.key = x.p + 1;
			ls.klen = pk->klen;
			x.p += pk->klen + 2;
		} else {
			if (!str(&x, true, &ls.key, &ls.klen))
				goto bad;
			ke = key_find(d, ls.key, ls.klen);
			/* Remember a key no rule reads, unless it had escapes. */
			if (!ke && d->nunknown < MAX_UNKNOWN_KEYS &&
			    ls.klen == (uint32_t)(x.p - 1 - ls.key)) {
				if (!(ke = key_getn(d, ls.key, ls.klen, -1)))
					return bw_error_set(err, -ENOMEM, "out of memory");
				d->nunknown++;
			}
			if (i < PRED_MAX)
				d->pred[i] = ke && ke->plain ? ke : NULL;
		}
		if (*x.p == ':') {
			x.p++;
		} else if ((c = next(&x)) != ':') {
			x.p -= c >= 0;
			fail(&x, "expected ':'");
			goto bad;
		}
		ws(&x);
		r = member(d, e, &x, ke, &ls, err);
		if (r < 0) {
			if (x.msg)
				goto bad;
			if (r == -ENOMEM || r == E_TOO_MANY)
				return bw_error_set(err, r, "field `%.*s`: %s", (int)ls.klen, ls.key,
						    r == E_TOO_MANY ? "too many values" : "out of memory");
			return r;
		}
		c = (uint8_t)*x.p;
		if (c == ',' || c == '}')
			x.p++;
		else
			c = next(&x);
		if (c == ',')
			continue;
		if (c == '}')
			break;
		x.p -= c >= 0;
		fail(&x, c >= 0 ? "expected ',' or '}'" : "unterminated object");
		goto bad;
	}
end:
	if ((c = next(&x)) >= 0) {
		x.p--;
		fail(&x, "end of file expected");
		goto bad;
	}
	mark_synth(d, e);
	return 0;
bad:
	return bw_error_set(err, -EINVAL, "invalid JSON at column %zu: %s",
			    (size_t)(x.p - x.base) + 1, x.msg);
}

/* Whether the bytes at p are `"key":` of ke (which has a pattern). Reads
 * up to KEY_PAT bytes: the pattern has no control byte, so it cannot match
 * across the end of the line. */
static inline bool key_at(const struct keyent *ke, const char *p)
{
#if defined(__SSE2__)
	_Static_assert(KEY_PAT == 48, "key_at() compares three blocks");
	/* KEY_PAT is three blocks: unrolled, each block's bytes as a mask. */
	const __m128i *pat = (const __m128i *)(const void *)ke->pat;
	unsigned eq = (unsigned)_mm_movemask_epi8(
		_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)p), pat[0]));
	if (ke->patblk == 1)
		return (eq & ke->patlast) == ke->patlast;
	if (eq != 0xffff)
		return false;
	eq = (unsigned)_mm_movemask_epi8(
		_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 16)), pat[1]));
	if (ke->patblk == 2)
		return (eq & ke->patlast) == ke->patlast;
	if (eq != 0xffff)
		return false;
	eq = (unsigned)_mm_movemask_epi8(
		_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 32)), pat[2]));
	return (eq & ke->patlast) == ke->patlast;
#else
	return !memcmp(p, ke->pat, ke->patlen);
#endif
}

/*
 * A string value with escapes at p (its opening quote; the line ends by
 * end), for the fast path: checked by the careful walk's scanner, then
 * copied into the event's arena and unescaped there (the line stays as it
 * is). Returns the byte after its closing quote, or NULL for anything
 * wrong, which the careful path then reports.
 */
static __attribute__((noinline)) const char *str_escaped(struct bw_replay_event *e, const char *p,
							  const char *end, struct bw_value *v)
{
	struct dcx x = { .base = (char *)p, .p = (char *)p, .end = (char *)end, .ro = true };
	const char *s;
	uint32_t n;
	char *q = str_careful(&x, (char *)p + 1, false, &s, &n), *c;

	/* n: the escaped text's length, up to the closing quote at q */
	if (!q || !(c = rt_alloc(&e->arena, (size_t)n + 2)))
		return NULL;
	memcpy(c, p, (size_t)n + 2);
	struct dcx y = { .base = c, .p = c, .end = c + n + 2 };
	if (!str_careful(&y, c + 1, true, &s, &n))
		return NULL;
	*v = (struct bw_value){ .s = s, .len = n };
	return q + 1;
}

/* Room for n values in d->tmp. */
static int tmp_room(struct bw_replay_decoder *d, size_t n)
{
	if (n <= d->tmp_cap)
		return 0;
	size_t nc = d->tmp_cap ? 2 * d->tmp_cap : 64;
	while (nc < n)
		nc *= 2;
	struct bw_value *nv = realloc(d->tmp, nc * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	d->tmp = nv;
	d->tmp_cap = nc;
	return 0;
}

/*
 * An array of plain strings at *pp (as proc.aname), for the fast path:
 * stored as member() would store it. Returns 0 and moves *pp past it, 1
 * when it is anything else (member() then walks it), -ENOMEM.
 */
static int array_fast(struct bw_replay_decoder *d, struct bw_replay_event *e,
		      const struct keyent *ke, const char **pp)
{
	const char *p = *pp + 1, *q;
	bool store = ke->obj_slot >= 0 || ke->slot >= 0 || ke->args;
	size_t n = 0;

	if (*p != '"')
		return 1;
	for (;;) {
		q = special((char *)p + 1);
		if (*q != '"' || n >= BW_MAX_REPLAY_VALUES)
			return 1;
		if (store) {
			if (n == d->tmp_cap && tmp_room(d, n + 1) < 0)
				return -ENOMEM;
			d->tmp[n] = (struct bw_value){ .s = p + 1, .len = (uint32_t)(q - p - 1) };
		}
		n++;
		p = q + 1;
		if (*p == ']')
			break;
		if (*p != ',' || p[1] != '"')
			return 1;
		p++;
	}
	if (store && array_store(d, e, n, 0, ke->slot, ke->ancestor && ke->obj_slot < 0 ? 1 : 0,
				 ke->obj_slot < 0 ? &d->by_field[ke->field] : NULL) < 0)
		return -ENOMEM;
	*pp = p + 1;
	return 0;
}

/*
 * A scalar for the fast path: integers of up to 19 digits and the
 * literals, into *v; anything else (a real, a longer number, an error)
 * through the general scanner. Returns the kind, or -1.
 */
static inline __attribute__((always_inline)) int scalar_fast(const char **pp, struct bw_value *v)
{
	const char *p = *pp, *s = p;
	uint64_t n;
	unsigned run;

	switch (*p) {
	case '-':
	case '0' ... '9':
		p += *p == '-';
		if ((uint8_t)(p[1] - '0') > 9 && (uint8_t)(*p - '0') <= 9) {
			/* one digit (0, a small count, a descriptor): the most common */
			n = (uint64_t)(*p - '0');
			p++;
		} else if (*p == '0') {
			n = 0;
			p++;
		} else if (*p >= '1' && *p <= '9' && (run = digit_run(p)) < 8) {
			/* two to seven digits at once */
			n = short_digits(p, run);
			p += run;
		} else if (*p >= '1' && *p <= '9') {
			const char *lim = p + 18;
			n = 0;
			/* times and other long numbers, eight digits at once */
			p = digits16(p, &n);
			while (*p >= '0' && *p <= '9' && p < lim)
				n = n * 10 + (uint64_t)(*p++ - '0');
			if (*p >= '0' && *p <= '9') {
				/* the nineteenth digit, if it fits */
				uint64_t dg = (uint64_t)(*p - '0');
				if (n > ((uint64_t)INT64_MAX - dg) / 10)
					break;
				n = n * 10 + dg;
				p++;
			}
		} else {
			return -1;
		}
		if ((*p >= '0' && *p <= '9') || *p == '.' || *p == 'e' || *p == 'E')
			break;
		*v = (struct bw_value){ .s = s, .len = (uint32_t)(p - s), .is_num = true,
					.num = *s == '-' ? -(int64_t)n : (int64_t)n };
		*pp = p;
		return V_INT;
	case 't':
		if (memcmp(p, "true", 4))
			return -1;
		*v = (struct bw_value){ .s = "true", .len = 4, .is_num = true, .num = 1 };
		*pp = p + 4;
		return V_BOOL;
	case 'f':
		if (memcmp(p, "false", 5))
			return -1;
		*v = (struct bw_value){ .s = "false", .len = 5, .is_num = true, .num = 0 };
		*pp = p + 5;
		return V_BOOL;
	case 'n':
		if (memcmp(p, "null", 4))
			return -1;
		*v = (struct bw_value){ 0 };
		*pp = p + 4;
		return V_NULL;
	default:
		return -1;
	}
	/* A real or a long integer. */
	struct dcx x = { .p = (char *)s, .end = (char *)s + MAX_NUMBER_LEN + 2, .ro = true };
	int k = number(&x, v);
	if (k < 0)
		return -1;
	*pp = x.p;
	return k ? V_INT : V_REAL;
}

/*
 * An object of plain keys and scalar values at *pp (as evt.arg), for the
 * fast path: stored as object() would store it. Returns 0 and moves *pp
 * past it, 1 for anything else (member() then walks it), -ENOMEM.
 */
static int object_fast(struct bw_replay_decoder *d, struct bw_replay_event *e,
		       const struct keyent *ke, const char **pp)
{
	const struct argrefs *refs = &d->by_field[ke->field];
	const char *p = *pp + 1, *q;
	struct bw_value v;
	int kind;

	if (ke->obj_slot >= 0 || !ke->args || *p != '"')
		return 1;
	for (;;) {
		int32_t slot = -1;
		q = special((char *)p + 1);
		if (*q != '"' || q[1] != ':')
			return 1;
		uint32_t kl = (uint32_t)(q - p - 1);
		for (uint32_t i = 0; i < refs->n && slot < 0; i++)
			if (refs->v[i].alen == kl && !memcmp(refs->v[i].arg, p + 1, kl))
				slot = (int32_t)refs->v[i].slot;
		p = q + 2;
		if (*p == '"') {
			q = special((char *)p + 1);
			if (*q != '"')
				return 1;
			v = (struct bw_value){ .s = p + 1, .len = (uint32_t)(q - p - 1) };
			kind = V_STR;
			p = q + 1;
		} else if ((kind = scalar_fast(&p, &v)) < 0) {
			return 1;
		}
		if (slot >= 0) {
			struct rslot *sl = &e->slots[slot];
			sl->one = v;
			sl->v = &sl->one;
			sl->n = kind > V_NULL;
			sl->gen = e->gen;
		}
		if (*p == '}')
			break;
		if (*p != ',' || p[1] != '"')
			return 1;
		p++;
	}
	*pp = p + 1;
	return 0;
}

/*
 * The fast path, for lines as `bulwark watch --events` writes them: no
 * whitespace between tokens and no escapes in keys or string values. The
 * line is read where it is and never written to (it may be a read-only
 * mapping of the input file), in the same pass that finds its end: a
 * string value is the span between its quotes, found by one vector scan;
 * a key is recognised by comparing the bytes `"key":` with the key of the
 * same member of the line before. Values of other shapes go through the
 * careful walk's code (which leaves strings with escapes alone here).
 *
 * It accepts only what the careful path accepts, with the same result, and
 * reports nothing: anything it does not expect (whitespace, an escape, a
 * syntax error, ...) returns 1 and the careful path decodes the line again
 * from the start, or says what is wrong with it.
 *
 * The line starts at line and ends at *end when that is not NULL, else at
 * the first newline, found here (limit: the end of the data). Either way
 * the byte at the end of the line must be a control byte (the newline, or
 * a NUL) with LINE_PAD readable bytes after it. Returns 0 (decoded; *end
 * set), 1 (use the careful path; *end unchanged) or -ENOMEM.
 */
static int decode_fast(struct bw_replay_decoder *d, struct bw_replay_event *e, const char *line,
		       const char **end, const char *limit)
{
	const char *p = line, *q;
	struct line_state ls = { 0 };
	const struct keyent **pred = &d->first;
	int r;

	rt_arena_reset(&e->arena);
	event_clear(e);
	const uint32_t gen = e->gen;
	if (*p != '{' || p[1] != '"')
		return 1;
	p++;
	for (;;) {
		const struct keyent *ke = *pred;
		struct bw_value v;
		uint16_t two;
		int kind;

		/* p is at the key's opening quote. (ls.key is only for the careful
		 * walk's messages: the fast path reports nothing.) */
		if (ke && key_at(ke, p)) {
			p += ke->patlen;
		} else {
			q = special((char *)p + 1);
			if (*q != '"' || q[1] != ':')
				return 1;
			ke = key_find(d, p + 1, (size_t)(q - p - 1));
			if (!ke) {
				if (d->nunknown >= MAX_UNKNOWN_KEYS)
					return 1;
				if (!(ke = key_getn(d, p + 1, (size_t)(q - p - 1), -1)))
					return -ENOMEM;
				d->nunknown++;
			}
			*pred = ke->patlen ? ke : NULL;
			p = q + 2;
		}
		/* The table never moves: its entries are the decoder's to change. */
		pred = &d->keys[ke - d->keys].next;
		/* The value: strings and integers, most of a line, here. */
		if (*p == '"') {
			/* The control byte at the end of the line stops the scan. */
			q = special((char *)p + 1);
			if (*q == '"') {
				v.s = p + 1;
				v.len = (uint32_t)(q - p - 1);
				p = q + 1;
			} else if (*q != '\\' || !(p = str_escaped(e, p, *end ? *end : limit, &v))) {
				return 1;
			}
			/* stored here, field by field: no value built to be copied */
			if (ke->slot >= 0) {
				struct rslot *sl = &e->slots[ke->slot];
				sl->one.s = v.s;
				sl->one.len = v.len;
				sl->one.is_num = false;
				sl->one.num = 0;
				sl->v = &sl->one;
				sl->n = 1;
				sl->gen = gen;
			}
			if (__builtin_expect(ke->special != 0, 0) &&
			    (ke->special != K_RAWTIME || !ls.seen_ts)) {
				if (ke->special != K_TYPE)
					return 1;
				e->evtype = evtype_id(d, v.s, v.len);
			}
			goto delim;
		} else if ((kind = scalar_fast(&p, &v)) < 0) {
			bool plain = !ke->special || (ke->special == K_RAWTIME && ls.seen_ts);
			if (*p == '[' && plain)
				r = array_fast(d, e, ke, &p);
			else if (*p == '{' && plain)
				r = object_fast(d, e, ke, &p);
			else
				r = 1;
			if (r < 0)
				return r;
			if (r > 0) {
				/* The general walk, which needs the end of the line. */
				const char *le = *end;
				if (!le && !(le = memchr(line, '\n', (size_t)(limit - line))))
					le = limit;
				struct dcx x = { .base = (char *)line, .p = (char *)p, .end = (char *)le,
						 .ro = true };
				if ((r = member(d, e, &x, ke, &ls, NULL)) < 0)
					return r == -ENOMEM ? r : 1;
				p = x.p;
			}
			goto delim;
		}
		if (ke->slot >= 0) {
			struct rslot *sl = &e->slots[ke->slot];
			sl->one = v;
			sl->v = &sl->one;
			sl->n = kind > V_NULL;
			sl->gen = gen;
		}
		if (__builtin_expect(ke->special != 0, 0) &&
		    (ke->special != K_RAWTIME || !ls.seen_ts)) {
			if (ke->special == K_TYPE) {
				return 1; /* not a string */
			} else {
				if (kind != V_INT)
					return 1;
				e->ts = v.num;
				ls.seen_ts |= ke->special == K_TS;
			}
		}
delim:
		/* `,"`: the next member (two bytes compared at once) */
		memcpy(&two, p, 2);
		if (two == le16toh(',' | '"' << 8)) {
			p++;
			continue;
		}
		if (*p == '}')
			break;
		return 1;
	}
	p++;
	if (*end ? p != *end : (p != limit && *p != '\n'))
		return 1;
	*end = p;
	mark_synth(d, e);
	return 0;
}

/*
 * A line that the fast path did not take is copied into the event's buffer
 * (padded and NUL-terminated, so that it can be unescaped in place) and
 * decoded by the careful walk, which reports what is wrong with it.
 */
static int decode_careful_copy(struct bw_replay_event *e, const char *line, size_t len,
			       struct bw_error **err)
{
	if (e->line_cap < len + 1 + LINE_PAD) {
		size_t nc = e->line_cap ? e->line_cap : 1024;
		while (nc < len + 1 + LINE_PAD)
			nc *= 2;
		char *nb = realloc(e->line, nc);
		if (!nb)
			return bw_error_set(err, -ENOMEM, "out of memory");
		e->line = nb;
		e->line_cap = nc;
	}
	if (e->line != line)
		memmove(e->line, line, len);
	memset(e->line + len, 0, LINE_PAD + 1);
	return 0;
}

static int decode_careful(struct bw_replay_decoder *d, struct bw_replay_event *e,
			  const char *line, size_t len, struct bw_error **err)
{
	int r = decode_careful_copy(e, line, len, err);

	return r < 0 ? r : decode_line(d, e, e->line, len, err);
}

/* ---------------------------------------------------------------- events */

static struct bw_replay_event *event_new(const struct bw_replay_decoder *d)
{
	struct bw_replay_event *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->nslots = (uint32_t)d->nslots;
	e->mount_slot = d->mount_slot;
	e->slots = calloc(d->nslots + 1, sizeof(*e->slots));
	if (!e->slots) {
		free(e);
		return NULL;
	}
	return e;
}

static int decode_into(struct bw_replay_decoder *d, const char *line, size_t len, bool fast,
		       struct bw_replay_event **e, struct bw_error **err)
{
	struct bw_replay_event *n = NULL, *t;
	int r;

	if (len > BW_MAX_REPLAY_LINE)
		return bw_error_set(err, -EFBIG, "event is larger than %u bytes", BW_MAX_REPLAY_LINE);
	if (*e && (*e)->nslots != d->nslots)
		return bw_error_set(err, -EINVAL, "event was decoded for another matcher");
	if (!*e && !(n = event_new(d)))
		return bw_error_set(err, -ENOMEM, "out of memory");
	t = *e ? *e : n;
	/* The caller's line has no padding: copy it, then try the fast path
	 * on the copy. */
	r = decode_careful_copy(t, line, len, err);
	if (r == 0) {
		const char *le = t->line + len;
		r = fast ? decode_fast(d, t, t->line, &le, le) : 1;
	}
	if (r > 0)
		r = decode_line(d, t, t->line, len, err);
	else if (r == -ENOMEM)
		r = bw_error_set(err, r, "out of memory");
	if (r < 0) {
		/* Leave no half-decoded values behind. */
		event_clear(t);
		bw_replay_event_free(n);
		return r;
	}
	if (n)
		*e = n;
	return 0;
}

int bw_replay_decode_into(struct bw_replay_decoder *d, const char *line, size_t len,
			  struct bw_replay_event **e, struct bw_error **err)
{
	return decode_into(d, line, len, true, e, err);
}

int rt_replay_decode_careful(struct bw_replay_decoder *d, const char *line, size_t len,
			     struct bw_replay_event **e, struct bw_error **err)
{
	return decode_into(d, line, len, false, e, err);
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
	free(e->line);
	free(e);
	return NULL;
}

/* ---------------------------------------------------------------- streams */

/*
 * One line of a stream: skips blank and comment lines. s[len] is a control
 * byte (the newline or a NUL) with LINE_PAD readable bytes after it; s is
 * never written to. fast: whether to try the fast path.
 */
static int stream_line(struct bw_replay_decoder *d, const char *s, size_t len, uint64_t lineno,
		       bool fast, bw_replay_event_fn fn, bw_replay_bad_fn bad, void *userdata)
{
	struct bw_replay_event *e = d->stream_evt;
	struct bw_error *err = NULL;
	size_t i = 0;
	int r;

	if (s[0] != '{') {
		while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
			i++;
		if (i == len || s[i] == '#')
			return 0;
	}
	const char *le = s + len;
	r = fast ? decode_fast(d, e, s, &le, le) : 1;
	if (r == 0)
		return fn(e, userdata);
	if (r > 0)
		r = decode_careful(d, e, s, len, &err);
	if (r == 0)
		return fn(e, userdata);
	event_clear(e);
	if (r == -ENOMEM) {
		bw_error_free(err);
		return -ENOMEM;
	}
	r = bad ? bad(lineno, err ? err->msg : "invalid event", userdata) : 0;
	bw_error_free(err);
	return r;
}

/*
 * A regular file from its current offset to its end, mapped read-only and
 * decoded where it lies (no read() copy): a line the fast path takes is
 * found and decoded in one pass, the others are looked for with memchr().
 * At least a page of zeros follows the data (a private anonymous page under
 * the mapping's end), so that vector loads past the last line stay in
 * readable memory. Returns 1 when the file cannot be mapped (the caller
 * reads it), else as bw_replay_read_fd().
 */
static int read_mapped(struct bw_replay_decoder *d, int fd, bw_replay_event_fn fn,
		       bw_replay_bad_fn bad, void *userdata, struct bw_error **err)
{
	const size_t cap = BW_MAX_REPLAY_LINE;
	long pagesz = sysconf(_SC_PAGESIZE);
	struct bw_replay_event *e = d->stream_evt;
	struct stat st;
	off_t pos, base;
	uint64_t lineno = 0;
	char toolong[96], *res, *map;
	int r = 0;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || pagesz <= 0 ||
	    (pos = lseek(fd, 0, SEEK_CUR)) < 0 || st.st_size <= pos ||
	    (uint64_t)st.st_size > SIZE_MAX / 4)
		return 1;
	base = pos - pos % pagesz;
	size_t maplen = (size_t)(st.st_size - base);
	size_t span = (maplen / (size_t)pagesz + 2) * (size_t)pagesz;
	res = mmap(NULL, span, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED)
		return 1;
	map = mmap(res, maplen, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, base);
	if (map == MAP_FAILED) {
		munmap(res, span);
		return 1;
	}
	(void)madvise(map, maplen, MADV_SEQUENTIAL);
	snprintf(toolong, sizeof(toolong), "event larger than %u bytes", BW_MAX_REPLAY_LINE);
	const char *p = map + (pos - base), *end = map + maplen;
	char *done = map; /* pages below this are released */
	while (p < end) {
		const char *le = NULL;
		if ((size_t)(p - done) >= RELEASE_BLOCK) {
			/* Pages already decoded leave the process (the page cache
			 * keeps them), so its size does not grow with the file. */
			size_t n = (size_t)(p - done) - (size_t)(p - done) % (size_t)pagesz;
			(void)madvise(done, n, MADV_DONTNEED);
			done += n;
		}
		lineno++;
		if (*p == '{' && (r = decode_fast(d, e, p, &le, end)) <= 0) {
			if (r < 0)
				break;
			r = (size_t)(le - p) > cap ? (bad ? bad(lineno, toolong, userdata) : 0)
						   : fn(e, userdata);
			if (r < 0)
				break;
			p = le + 1;
			continue;
		}
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (n > cap)
			r = bad ? bad(lineno, toolong, userdata) : 0;
		else
			r = stream_line(d, p, n, lineno, false, fn, bad, userdata);
		if (r < 0)
			break;
		p += n + 1;
	}
	munmap(res, span);
	if (r < 0)
		return r == -ENOMEM ? bw_error_set(err, r, "out of memory") : r;
	(void)lseek(fd, st.st_size, SEEK_SET);
	return 0;
}

int bw_replay_read_fd(struct bw_replay_decoder *d, int fd, bw_replay_event_fn fn,
		      bw_replay_bad_fn bad, void *userdata, struct bw_error **err)
{
	const size_t cap = BW_MAX_REPLAY_LINE, size = cap + READ_BLOCK + 1 + LINE_PAD;
	_cleanup_free_ char *buf = NULL;
	size_t have = 0, start = 0;
	uint64_t lineno = 0;
	bool skipping = false, eof = false;
	char toolong[96];
	int r;

	if (!d->stream_evt && !(d->stream_evt = event_new(d)))
		return bw_error_set(err, -ENOMEM, "out of memory");
	if ((r = read_mapped(d, fd, fn, bad, userdata, err)) <= 0)
		return r;
	/* A pipe, or a file that cannot be mapped: blocks of a megabyte. */
	snprintf(toolong, sizeof(toolong), "event larger than %u bytes", BW_MAX_REPLAY_LINE);
	if (!(buf = calloc(1, size)))
		return bw_error_set(err, -ENOMEM, "out of memory");
	for (;;) {
		char *nl;
		while ((nl = memchr(buf + start, '\n', have - start))) {
			size_t n = (size_t)(nl - (buf + start));
			if (skipping) {
				/* The end of a line already reported as too long. */
				skipping = false;
			} else if (++lineno, n > cap) {
				r = bad ? bad(lineno, toolong, userdata) : 0;
				if (r < 0)
					return r;
			} else if ((r = stream_line(d, buf + start, n, lineno, true, fn, bad, userdata)) <
				   0) {
				return r == -ENOMEM ? bw_error_set(err, r, "out of memory") : r;
			}
			start += n + 1;
		}
		if (eof) {
			if (have > start && !skipping) {
				lineno++;
				buf[have] = 0;
				if (have - start > cap)
					r = bad ? bad(lineno, toolong, userdata) : 0;
				else
					r = stream_line(d, buf + start, have - start, lineno, true, fn,
							bad, userdata);
				if (r < 0)
					return r == -ENOMEM ? bw_error_set(err, r, "out of memory") : r;
			}
			return 0;
		}
		if (start) {
			memmove(buf, buf + start, have - start);
			have -= start;
			start = 0;
		}
		if (have > cap) {
			/* A line longer than the cap: report it, drop what we have of it. */
			if (!skipping) {
				lineno++;
				r = bad ? bad(lineno, toolong, userdata) : 0;
				if (r < 0)
					return r;
			}
			skipping = true;
			have = 0;
		}
		ssize_t got = read(fd, buf + have, size - 1 - LINE_PAD - have);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return bw_error_set(err, -errno, "cannot read events: %s", strerror(errno));
		}
		if (got == 0)
			eof = true;
		have += (size_t)got;
	}
}
