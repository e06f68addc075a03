/*
 * publish_types.h — types of the RCU publisher (publish.h).
 */
#ifndef MG_PUBLISH_TYPES_H
#define MG_PUBLISH_TYPES_H

#include <stdint.h>

#include <rte_rcu_qsbr.h>

/** Objects retired but not yet freed; bounded so a stuck worker is visible. */
#define MG_PUBLISH_DEFER_MAX 64

/** A retired object waiting for its grace period. */
struct mg_publish_retired {
	void *obj;
	uint64_t token; /**< from rte_rcu_qsbr_start() when it was retired */
};

/**
 * A slot holding the current version of one immutable object (a config
 * snapshot, a certificate set).  The control core publishes; workers read.
 */
struct mg_publisher {
	const char *name;
	void *cur;               /**< read with mg_publish_get(); atomic */
	struct rte_rcu_qsbr *qs; /**< the workers' quiescent-state variable */
	void (*free_fn)(void *obj, void *arg);
	void *free_arg;
	unsigned n_retired;
	struct mg_publish_retired retired[MG_PUBLISH_DEFER_MAX];
	uint64_t n_published; /**< statistics, control core only */
	uint64_t n_freed;
};

#endif /* MG_PUBLISH_TYPES_H */
