/*
 * mg_arena.c — chunks of 16 KiB (or one chunk the size of a larger request),
 * linked for the final free.
 */
#include "common/mg_arena.h"

#include <errno.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_CHUNK 16384

struct chunk {
	struct chunk *next;
	size_t size, used;
	alignas(max_align_t) unsigned char data[];
};

struct mg_arena {
	struct chunk *head;
	size_t used;
};

struct mg_arena *mg_arena_new(void)
{
	return calloc(1, sizeof(struct mg_arena));
}

void mg_arena_free(struct mg_arena *a)
{
	struct chunk *c, *next;

	if (a == NULL)
		return;
	for (c = a->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}

void *mg_arena_alloc(struct mg_arena *a, size_t size)
{
	const size_t align = alignof(max_align_t);
	struct chunk *c = a->head;
	size_t need = (size + align - 1) & ~(align - 1);
	void *p;

	if (need < size) {
		errno = ENOMEM;
		return NULL;
	}
	if (c == NULL || c->size - c->used < need) {
		size_t cap = need > ARENA_CHUNK ? need : ARENA_CHUNK;

		c = calloc(1, sizeof(*c) + cap);
		if (c == NULL)
			return NULL;
		c->size = cap;
		/* A big one-off chunk goes behind the head so the head's free
		 * space stays usable. */
		if (a->head != NULL && need > ARENA_CHUNK) {
			c->next = a->head->next;
			a->head->next = c;
		} else {
			c->next = a->head;
			a->head = c;
		}
	}
	p = c->data + c->used;
	c->used += need;
	a->used += need;
	return p;
}

void *mg_arena_calloc(struct mg_arena *a, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size) {
		errno = ENOMEM;
		return NULL;
	}
	return mg_arena_alloc(a, n * size);
}

char *mg_arena_strndup(struct mg_arena *a, const char *s, size_t len)
{
	char *p = mg_arena_alloc(a, len + 1);

	if (p != NULL && len > 0)
		memcpy(p, s, len);
	return p;
}

size_t mg_arena_used(const struct mg_arena *a)
{
	return a->used;
}
