/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "bulwark/core.h"

struct slot {
	char *key;
	void *value;
	uint64_t hash;
};

struct bw_map {
	struct slot *slots;
	size_t cap; /* power of two */
	size_t size;
};

/* FNV-1a: keys here are paths and names, short and not adversarially chosen
 * against a 64-bit hash in a way that matters for our bounded inputs. */
static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return h;
}

struct bw_map *bw_map_new(void)
{
	struct bw_map *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->cap = 16;
	m->slots = calloc(m->cap, sizeof(*m->slots));
	if (!m->slots) {
		free(m);
		return NULL;
	}
	return m;
}

struct bw_map *bw_map_free(struct bw_map *m)
{
	return bw_map_free_with(m, NULL);
}

struct bw_map *bw_map_free_with(struct bw_map *m, void (*free_value)(void *))
{
	if (!m)
		return NULL;
	for (size_t i = 0; i < m->cap; i++) {
		if (m->slots[i].key && free_value)
			free_value(m->slots[i].value);
		free(m->slots[i].key);
	}
	free(m->slots);
	free(m);
	return NULL;
}

static struct slot *find(const struct bw_map *m, const char *key, uint64_t h)
{
	size_t i = h & (m->cap - 1);

	for (;;) {
		struct slot *s = &m->slots[i];
		if (!s->key || (s->hash == h && strcmp(s->key, key) == 0))
			return s;
		i = (i + 1) & (m->cap - 1);
	}
}

static int grow(struct bw_map *m)
{
	struct slot *old = m->slots;
	size_t oldcap = m->cap;
	struct slot *n = calloc(oldcap * 2, sizeof(*n));

	if (!n)
		return -ENOMEM;
	m->slots = n;
	m->cap = oldcap * 2;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].key)
			*find(m, old[i].key, old[i].hash) = old[i];
	free(old);
	return 0;
}

int bw_map_put(struct bw_map *m, const char *key, void *value)
{
	uint64_t h = hash_str(key);
	struct slot *s;

	if ((m->size + 1) * 4 > m->cap * 3) {
		int r = grow(m);
		if (r < 0)
			return r;
	}
	s = find(m, key, h);
	if (!s->key) {
		s->key = strdup(key);
		if (!s->key)
			return -ENOMEM;
		s->hash = h;
		m->size++;
	}
	s->value = value;
	return 0;
}

void *bw_map_get(const struct bw_map *m, const char *key)
{
	struct slot *s = find(m, key, hash_str(key));

	return s->key ? s->value : NULL;
}

bool bw_map_has(const struct bw_map *m, const char *key)
{
	return find(m, key, hash_str(key))->key != NULL;
}

size_t bw_map_size(const struct bw_map *m)
{
	return m->size;
}
