/*
 * mg_common.h — small things every meshgate module uses.
 *
 * Error convention (see docs/CONVENTIONS.md): functions returning int return
 * 0 on success or a negative errno value; constructors return NULL and set
 * errno; burst functions return the number of objects they handled.
 */
#ifndef MG_COMMON_H
#define MG_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_log.h>

/** Largest burst any meshgate packet path handles at once. */
#define MG_BURST 32

#define MG_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/** The DPDK log type every meshgate module logs under ("meshgate"). */
extern int mg_logtype;

#define MG_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, mg_logtype, "meshgate: " fmt "\n", ##__VA_ARGS__)

/*
 * Counters are written by exactly one core (their owner) and read by the
 * control core while the owner runs.  Relaxed atomic loads and stores make
 * that a race-free C11 program at no cost on x86-64 or arm64: an aligned
 * 64-bit relaxed store is a plain store.  A read-modify-write atomic is not
 * needed because no other core ever writes.
 */
static inline void mg_cnt_add(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

/** Read a counter owned by another core. */
static inline uint64_t mg_cnt_read(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

#endif /* MG_COMMON_H */
