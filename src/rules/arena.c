/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rules/internal.h"

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, size;
	max_align_t data[];
};

#define ARENA_CHUNK (64u << 10)

void *arena_alloc(struct arena *a, size_t n)
{
	struct arena_chunk *c = a->head;
	size_t need;

	n = (n + 15) & ~(size_t)15;
	if (!n)
		n = 16;
	if (!c || c->size - c->used < n) {
		need = n > ARENA_CHUNK ? n : ARENA_CHUNK;
		c = malloc(sizeof(*c) + need);
		if (!c)
			return NULL;
		c->size = need;
		c->used = 0;
		/* A big allocation gets its own chunk behind the current one, so
		 * the current chunk's free space is not wasted. */
		if (n > ARENA_CHUNK && a->head) {
			c->next = a->head->next;
			a->head->next = c;
		} else {
			c->next = a->head;
			a->head = c;
		}
	}
	void *p = (char *)c->data + c->used;
	c->used += n;
	return p;
}

void *arena_zalloc(struct arena *a, size_t n)
{
	void *p = arena_alloc(a, n);

	if (p)
		memset(p, 0, n);
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return s ? arena_strndup(a, s, strlen(s)) : NULL;
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	char *tmp = NULL, *p;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&tmp, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	p = arena_strndup(a, tmp, (size_t)n);
	free(tmp);
	return p;
}

void arena_done(struct arena *a)
{
	while (a->head) {
		struct arena_chunk *n = a->head->next;
		free(a->head);
		a->head = n;
	}
}

int ptrvec_push(struct arena *a, struct ptrvec *pv, void *p)
{
	if (pv->n == pv->alloc) {
		size_t na = pv->alloc ? pv->alloc * 2 : 8;
		void **nv = arena_alloc(a, na * sizeof(void *));
		if (!nv)
			return -ENOMEM;
		if (pv->n)
			memcpy(nv, pv->v, pv->n * sizeof(void *));
		pv->v = nv;
		pv->alloc = na;
	}
	pv->v[pv->n++] = p;
	return 0;
}
