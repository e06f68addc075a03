/*
 * mg_arena.h — a bump allocator for objects that live and die together.
 *
 * A compiled configuration (a route table, later a whole snapshot) is built
 * once, read by every worker and freed as one piece after RCU says nobody
 * reads it any more.  An arena makes that one free, keeps the pieces close
 * together in memory and means no lookup ever follows a pointer owned by
 * someone else.  The controller's Istio model (ctrl/) uses it the same way.
 * Memory is zeroed.  Not thread-safe: one builder at a time.  No DPDK here:
 * it is its own small library (mgutil) that the data plane and the
 * controller both link.
 */
#ifndef MG_ARENA_H
#define MG_ARENA_H

#include <stddef.h>

struct mg_arena;

/** A new, empty arena, or NULL (errno ENOMEM). */
struct mg_arena *mg_arena_new(void);

/** Free the arena and everything allocated from it (NULL is fine). */
void mg_arena_free(struct mg_arena *a);

/** size zeroed bytes aligned for any type, or NULL (errno ENOMEM, or EOVERFLOW for an absurd size).
 */
void *mg_arena_alloc(struct mg_arena *a, size_t size);

/** n zeroed elements of size bytes each, or NULL (ENOMEM, or overflow). */
void *mg_arena_calloc(struct mg_arena *a, size_t n, size_t size);

/** A NUL-terminated copy of len bytes of s, or NULL (ENOMEM). */
char *mg_arena_strndup(struct mg_arena *a, const char *s, size_t len);

/** Bytes handed out so far (the memory a compiled config costs). */
size_t mg_arena_used(const struct mg_arena *a);

#endif /* MG_ARENA_H */
