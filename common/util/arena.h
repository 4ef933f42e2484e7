/* A bump allocator for one request: decoded messages, replies and scratch strings
 * are carved from it and released at once by mnemo_arena_reset(). The limit caps
 * what one request may hold in memory, whatever its wire size. */
#pragma once

#include <stddef.h>

struct mnemo_arena_chunk;

struct mnemo_arena {
	struct mnemo_arena_chunk *head;
	size_t used_bytes;  /* all chunks, including the current one's free tail */
	size_t limit_bytes; /* 0: no limit */
};

void mnemo_arena_init(struct mnemo_arena *a, size_t limit_bytes);
void mnemo_arena_fini(struct mnemo_arena *a);
/* Frees every chunk but the first, so a steady request size allocates nothing. */
void mnemo_arena_reset(struct mnemo_arena *a);

/* 16-byte aligned, uninitialised; NULL when the limit is reached or malloc fails. */
void *mnemo_arena_alloc(struct mnemo_arena *a, size_t n);
void *mnemo_arena_zalloc(struct mnemo_arena *a, size_t n);
/* A NUL-terminated copy of n bytes. */
char *mnemo_arena_strndup(struct mnemo_arena *a, const char *s, size_t n);
char *mnemo_arena_strdup(struct mnemo_arena *a, const char *s);
char *mnemo_arena_printf(struct mnemo_arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
