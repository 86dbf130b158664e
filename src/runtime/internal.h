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

struct bw_replay_decoder;
struct bw_replay_event;
struct bw_error;
/* bw_replay_decode_into() without its fast path: only the careful walk
 * (for tests that hold the two against each other). */
int rt_replay_decode_careful(struct bw_replay_decoder *d, const char *line, size_t len,
			     struct bw_replay_event **e, struct bw_error **err);

#endif
