#include "arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ALIGN = 16, MIN_CHUNK_BYTES = 16 * 1024 };

struct mnemo_arena_chunk {
	struct mnemo_arena_chunk *next;
	size_t size; /* usable bytes after the header */
	size_t used;
	_Alignas(ALIGN) unsigned char data[];
};

void
mnemo_arena_init(struct mnemo_arena *a, size_t limit_bytes)
{
	a->head = NULL;
	a->used_bytes = 0;
	a->limit_bytes = limit_bytes;
}

void
mnemo_arena_fini(struct mnemo_arena *a)
{
	struct mnemo_arena_chunk *c = a ? a->head : NULL;

	while (c != NULL) {
		struct mnemo_arena_chunk *next = c->next;
		free(c);
		c = next;
	}
	if (a != NULL) {
		a->head = NULL;
		a->used_bytes = 0;
	}
}

void
mnemo_arena_reset(struct mnemo_arena *a)
{
	struct mnemo_arena_chunk *last = a->head;

	if (last == NULL) {
		return;
	}
	/* Chunks are pushed at the head: keep the oldest one (the tail). */
	while (last->next != NULL) {
		struct mnemo_arena_chunk *next = last->next;
		free(last);
		last = next;
	}
	last->used = 0;
	a->head = last;
	a->used_bytes = last->size;
}

void *
mnemo_arena_alloc(struct mnemo_arena *a, size_t n)
{
	struct mnemo_arena_chunk *c = a->head;
	size_t rounded = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	size_t size;

	if (rounded < n) {
		return NULL; /* overflow */
	}
	if (c != NULL && c->size - c->used >= rounded) {
		void *p = c->data + c->used;
		c->used += rounded;
		return p;
	}
	size = rounded > MIN_CHUNK_BYTES ? rounded : MIN_CHUNK_BYTES;
	if (c != NULL && c->size <= SIZE_MAX / 2 && size < c->size * 2) {
		size = c->size * 2; /* grow geometrically: few chunks per request */
	}
	if (a->limit_bytes != 0) {
		size_t left = a->used_bytes < a->limit_bytes ? a->limit_bytes - a->used_bytes : 0;

		if (left < rounded) {
			return NULL;
		}
		if (size > left) {
			size = left; /* the last bytes of the budget */
		}
	}
	if (size > SIZE_MAX - sizeof(*c)) {
		return NULL;
	}
	c = malloc(sizeof(*c) + size);
	if (c == NULL) {
		return NULL;
	}
	c->size = size;
	c->used = rounded;
	c->next = a->head;
	a->head = c;
	a->used_bytes += size;
	return c->data;
}

void *
mnemo_arena_zalloc(struct mnemo_arena *a, size_t n)
{
	void *p = mnemo_arena_alloc(a, n);

	if (p != NULL) {
		memset(p, 0, n);
	}
	return p;
}

char *
mnemo_arena_strndup(struct mnemo_arena *a, const char *s, size_t n)
{
	char *p;

	if (n == SIZE_MAX) {
		return NULL;
	}
	p = mnemo_arena_alloc(a, n + 1);
	if (p != NULL) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

char *
mnemo_arena_strdup(struct mnemo_arena *a, const char *s)
{
	return mnemo_arena_strndup(a, s, strlen(s));
}

char *
mnemo_arena_printf(struct mnemo_arena *a, const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		return NULL;
	}
	p = mnemo_arena_alloc(a, (size_t)n + 1);
	if (p == NULL) {
		return NULL;
	}
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}
