/*
 * publish.h — publish immutable objects to the workers under RCU.
 *
 * The control core builds a whole new object (a config snapshot, a set of
 * certificates), then mg_publish() swaps it in with one atomic store.  A
 * worker reads the current pointer with mg_publish_get() and may use it
 * until it next reports a quiescent state (mg_worker loop does that once per
 * poll iteration).  The previous object is freed by mg_publish_reclaim()
 * only after every registered worker has reported a quiescent state since
 * the swap (rte_rcu_qsbr), so no worker can still hold it.
 *
 * Rejected alternative: reference counts on every object.  They put an
 * atomic increment and decrement on the packet path for every request,
 * which is exactly the cross-core traffic the design forbids.
 */
#ifndef MG_PUBLISH_H
#define MG_PUBLISH_H

#include "core/publish_types.h"

/**
 * Initialise a publisher.
 *
 * @param p        the publisher to set up
 * @param name     name for logs
 * @param qs       quiescent-state variable every reader thread reports to
 * @param free_fn  called on the control core to free a retired object
 * @param free_arg passed to free_fn
 * @return 0, or -EINVAL if p, qs or free_fn is NULL
 */
int mg_publish_init(struct mg_publisher *p, const char *name, struct rte_rcu_qsbr *qs,
                    void (*free_fn)(void *obj, void *arg), void *free_arg);

/**
 * Make obj the current version; retire the previous one.  Control core only.
 * Tries to reclaim first, so the deferred list only fills if a worker stops
 * reporting quiescent states.
 *
 * @param p   the publisher
 * @param obj the new object (may be NULL to unpublish)
 * @return 0, or -ENOSPC if too many retired objects are still waiting for a
 *         grace period (obj is not published then)
 */
int mg_publish(struct mg_publisher *p, void *obj);

/**
 * Free retired objects whose grace period is over.  Control core only;
 * call it periodically.  Never blocks.
 *
 * @param p the publisher
 * @return the number of objects freed
 */
unsigned mg_publish_reclaim(struct mg_publisher *p);

/**
 * Retire the current object and wait (blocking) until every retired object
 * has been freed.  For shutdown, after workers have stopped or gone offline.
 *
 * @param p the publisher
 */
void mg_publish_fini(struct mg_publisher *p);

/**
 * Current object, for a reader (worker).  Valid until the reader's next
 * quiescent state report.
 */
static inline void *mg_publish_get(const struct mg_publisher *p)
{
	return __atomic_load_n(&p->cur, __ATOMIC_ACQUIRE);
}

#endif /* MG_PUBLISH_H */
