/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "runtime/internal.h"

struct rt_chunk {
	struct rt_chunk *next;
	size_t used, size;
	max_align_t data[];
};

void *rt_alloc(struct rt_arena *a, size_t n)
{
	struct rt_chunk *c = a->head;

	n = (n + 15) & ~(size_t)15;
	if (!c || c->size - c->used < n) {
		/* Small first chunk (a replay event holds a few hundred bytes),
		 * then doubling up to 1 MiB, so a document needs few chunks. */
		size_t sz = c ? (c->size < (1u << 20) ? c->size * 2 : c->size) : 1024;
		if (sz < n)
			sz = n;
		c = malloc(sizeof(*c) + sz);
		if (!c)
			return NULL;
		c->size = sz;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	void *p = (char *)c->data + c->used;
	c->used += n;
	return p;
}

char *rt_strndup(struct rt_arena *a, const char *s, size_t n)
{
	char *p = rt_alloc(a, n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = 0;
	}
	return p;
}

void rt_arena_done(struct rt_arena *a)
{
	while (a->head) {
		struct rt_chunk *n = a->head->next;
		free(a->head);
		a->head = n;
	}
}

void rt_arena_reset(struct rt_arena *a)
{
	/* Keeps the newest (largest) chunk for the next use. */
	if (!a->head)
		return;
	while (a->head->next) {
		struct rt_chunk *n = a->head->next->next;
		free(a->head->next);
		a->head->next = n;
	}
	a->head->used = 0;
}
