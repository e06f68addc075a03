/*
 * arena.h — one allocation pool per configuration.
 *
 * A decoded Istio config is thousands of small strings and arrays that all
 * live and die together; allocating them from an arena makes freeing a
 * config one call and rules out leaks on every error path of the decoder.
 * Memory is zeroed.  Not thread-safe: one arena belongs to one builder.
 */
#ifndef MG_CTRL_ARENA_H
#define MG_CTRL_ARENA_H

#include <stddef.h>

struct mg_arena;

/** A new, empty arena; NULL with errno = ENOMEM. */
struct mg_arena *mg_arena_new(void);

/**
 * size zeroed bytes aligned for any type, valid until mg_arena_free().
 * NULL with errno = ENOMEM (or EOVERFLOW for an absurd size).
 */
void *mg_arena_alloc(struct mg_arena *a, size_t size);

/** n elements of size bytes each (overflow-checked); like mg_arena_alloc(). */
void *mg_arena_calloc(struct mg_arena *a, size_t n, size_t size);

/** A NUL-terminated copy of s[0..len); NULL with errno = ENOMEM. */
char *mg_arena_strndup(struct mg_arena *a, const char *s, size_t len);

/** Free the arena and everything allocated from it (NULL is fine). */
void mg_arena_free(struct mg_arena *a);

#endif /* MG_CTRL_ARENA_H */
