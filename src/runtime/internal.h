/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BW_RUNTIME_INTERNAL_H
#define BW_RUNTIME_INTERNAL_H

#include <stddef.h>

/* A bump allocator for one event's extracted values, freed with the event. */
struct rt_chunk;
struct rt_arena {
	struct rt_chunk *head;
};

void *rt_alloc(struct rt_arena *a, size_t n);
char *rt_strndup(struct rt_arena *a, const char *s, size_t n);
void rt_arena_done(struct rt_arena *a);
/* Frees everything allocated but keeps memory for reuse. */
void rt_arena_reset(struct rt_arena *a);

#endif
