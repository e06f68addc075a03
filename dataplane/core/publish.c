/*
 * publish.c — RCU publisher: swap an immutable object in, free the old one
 * after every worker has passed a quiescent state.
 */
#include <errno.h>
#include <string.h>

#include <rte_pause.h>

#include "core/publish.h"

int mg_publish_init(struct mg_publisher *p, const char *name, struct rte_rcu_qsbr *qs,
                    void (*free_fn)(void *obj, void *arg), void *free_arg)
{
	if (p == NULL || qs == NULL || free_fn == NULL)
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	p->name = name;
	p->qs = qs;
	p->free_fn = free_fn;
	p->free_arg = free_arg;
	return 0;
}

unsigned mg_publish_reclaim(struct mg_publisher *p)
{
	unsigned freed = 0, i = 0;

	/*
	 * Tokens grow with time, so the list is in token order and the first
	 * object whose grace period is still running ends the scan: everything
	 * after it was retired later.
	 */
	while (i < p->n_retired) {
		if (rte_rcu_qsbr_check(p->qs, p->retired[i].token, false) != 1)
			break;
		p->free_fn(p->retired[i].obj, p->free_arg);
		i++;
		freed++;
	}
	if (freed > 0) {
		memmove(&p->retired[0], &p->retired[freed],
		        (p->n_retired - freed) * sizeof(p->retired[0]));
		p->n_retired -= freed;
		p->n_freed += freed;
	}
	return freed;
}

int mg_publish(struct mg_publisher *p, void *obj)
{
	void *old;

	mg_publish_reclaim(p);
	if (p->n_retired == MG_PUBLISH_DEFER_MAX)
		return -ENOSPC;
	old = __atomic_exchange_n(&p->cur, obj, __ATOMIC_ACQ_REL);
	p->n_published++;
	if (old != NULL) {
		/*
		 * rte_rcu_qsbr_start() orders the pointer swap above before the
		 * token: a reader that reports quiescence after the token has
		 * finished any use of old, and new readers only see obj.
		 */
		p->retired[p->n_retired].obj = old;
		p->retired[p->n_retired].token = rte_rcu_qsbr_start(p->qs);
		p->n_retired++;
	}
	return 0;
}

void mg_publish_fini(struct mg_publisher *p)
{
	(void)mg_publish(p, NULL);
	while (p->n_retired > 0) {
		if (mg_publish_reclaim(p) == 0)
			rte_pause();
	}
}
