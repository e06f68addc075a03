/*
 * mg_arena.c — chunked bump allocator (see mg_arena.h).
 *
 * Chunks of 64 KiB; a request bigger than a quarter chunk gets a chunk of
 * its own so that large arrays do not waste the rest of a shared chunk.
 */
#include <errno.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/mg_arena.h"

#define CHUNK_SIZE (64u * 1024u)
#define ALIGN      alignof(max_align_t)

struct chunk {
	struct chunk *next;
	size_t used, cap;
	alignas(max_align_t) unsigned char data[];
};

struct mg_arena {
	struct chunk *head; /* the chunk small requests go to */
	struct chunk *big;  /* chunks of single large requests */
	size_t used;        /* bytes handed out, for mg_arena_used() */
};

struct mg_arena *mg_arena_new(void)
{
	struct mg_arena *a = calloc(1, sizeof(*a));

	if (a == NULL)
		errno = ENOMEM;
	return a;
}

static struct chunk *chunk_new(size_t cap)
{
	struct chunk *c = calloc(1, sizeof(*c) + cap);

	if (c == NULL)
		return NULL;
	c->cap = cap;
	return c;
}

void *mg_arena_alloc(struct mg_arena *a, size_t size)
{
	struct chunk *c;
	size_t need;

	if (size > SIZE_MAX / 2) {
		errno = EOVERFLOW;
		return NULL;
	}
	need = (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	if (need == 0)
		need = ALIGN;
	if (need > CHUNK_SIZE / 4) {
		c = chunk_new(need);
		if (c == NULL)
			goto oom;
		c->next = a->big;
		a->big = c;
		c->used = need;
		a->used += need;
		return c->data;
	}
	c = a->head;
	if (c == NULL || c->cap - c->used < need) {
		c = chunk_new(CHUNK_SIZE);
		if (c == NULL)
			goto oom;
		c->next = a->head;
		a->head = c;
	}
	c->used += need;
	a->used += need;
	return c->data + c->used - need;
oom:
	errno = ENOMEM;
	return NULL;
}

void *mg_arena_calloc(struct mg_arena *a, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / 2 / size) {
		errno = EOVERFLOW;
		return NULL;
	}
	return mg_arena_alloc(a, n * size);
}

char *mg_arena_strndup(struct mg_arena *a, const char *s, size_t len)
{
	char *p = mg_arena_alloc(a, len + 1);

	if (p != NULL)
		memcpy(p, s, len);
	return p;
}

static void free_list(struct chunk *c)
{
	while (c != NULL) {
		struct chunk *next = c->next;

		free(c);
		c = next;
	}
}

void mg_arena_free(struct mg_arena *a)
{
	if (a == NULL)
		return;
	free_list(a->head);
	free_list(a->big);
	free(a);
}

size_t mg_arena_used(const struct mg_arena *a)
{
	return a->used;
}
