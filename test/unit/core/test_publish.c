/*
 * test_publish.c — the RCU publisher and the control rings, with real worker
 * lcores reading while the control core publishes; a worker adopting a
 * published config snapshot (mg_worker_adopt_config).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_pause.h>
#include <rte_rcu_qsbr.h>

#include "core/publish.h"
#include "core/worker.h"
#include "proxy/proxy.h"
#include "tcp/tcp.h"

#define OBJ_ALIVE  0xA11FEA11u
#define OBJ_DEAD   0xDEADDEADu
#define N_VERSIONS 20000

struct obj {
	uint32_t magic;
	uint32_t version;
	uint64_t payload[8];
};

/* Freed objects go to a graveyard instead of free(): a reader that still
 * holds one sees OBJ_DEAD deterministically, without relying on ASan. */
static struct obj *graveyard[N_VERSIONS + 8];
static unsigned n_dead;

static void obj_free(void *o, void *arg)
{
	struct obj *ob = o;

	(void)arg;
	__atomic_store_n(&ob->magic, OBJ_DEAD, __ATOMIC_RELEASE);
	graveyard[n_dead++] = ob;
}

static struct obj *obj_new(uint32_t version)
{
	struct obj *o = calloc(1, sizeof(*o));

	o->magic = OBJ_ALIVE;
	o->version = version;
	for (int i = 0; i < 8; i++)
		o->payload[i] = version * 8u + (unsigned)i;
	return o;
}

static void graveyard_empty(void)
{
	for (unsigned i = 0; i < n_dead; i++)
		free(graveyard[i]);
	n_dead = 0;
}

struct reader {
	struct mg_publisher *pub;
	struct rte_rcu_qsbr *qs;
	unsigned tid;
	volatile int *stop;
	uint32_t last_seen;
	uint64_t reads;
	uint64_t bad;       /* saw a dead object or a torn payload */
	uint64_t backwards; /* saw an older version after a newer one */
};

static int reader_main(void *arg)
{
	struct reader *r = arg;

	rte_rcu_qsbr_thread_online(r->qs, r->tid);
	while (!__atomic_load_n(r->stop, __ATOMIC_ACQUIRE)) {
		struct obj *o = mg_publish_get(r->pub);

		if (o != NULL) {
			/* Hold it for a while to widen the window for an early free. */
			for (int spin = 0; spin < 50; spin++) {
				if (__atomic_load_n(&o->magic, __ATOMIC_ACQUIRE) != OBJ_ALIVE)
					r->bad++;
				rte_pause();
			}
			for (int i = 0; i < 8; i++)
				if (o->payload[i] != o->version * 8u + (unsigned)i)
					r->bad++;
			if (o->version < r->last_seen)
				r->backwards++;
			r->last_seen = o->version;
			r->reads++;
		}
		rte_rcu_qsbr_quiescent(r->qs, r->tid);
	}
	rte_rcu_qsbr_thread_offline(r->qs, r->tid);
	return 0;
}

static struct rte_rcu_qsbr *qs_new(unsigned n)
{
	struct rte_rcu_qsbr *qs = rte_zmalloc(NULL, rte_rcu_qsbr_get_memsize(n), 64);

	ck_assert_ptr_nonnull(qs);
	ck_assert_int_eq(rte_rcu_qsbr_init(qs, n), 0);
	for (unsigned i = 0; i < n; i++)
		ck_assert_int_eq(rte_rcu_qsbr_thread_register(qs, i), 0);
	return qs;
}

START_TEST(publish_seen_by_all_never_freed_early)
{
	unsigned n = rte_lcore_count() - 1, lcore, i = 0;
	struct reader rd[RTE_MAX_LCORE] = {0};
	struct rte_rcu_qsbr *qs = qs_new(n);
	struct mg_publisher pub;
	volatile int stop = 0;

	ck_assert_uint_ge(n, 2);
	ck_assert_int_eq(mg_publish_init(&pub, "test", qs, obj_free, NULL), 0);
	ck_assert_int_eq(mg_publish(&pub, obj_new(1)), 0);
	RTE_LCORE_FOREACH_WORKER(lcore) {
		rd[i] = (struct reader){.pub = &pub, .qs = qs, .tid = i, .stop = &stop};
		rte_eal_remote_launch(reader_main, &rd[i], lcore);
		i++;
	}
	for (uint32_t v = 2; v <= N_VERSIONS; v++) {
		struct obj *o = obj_new(v);
		int rc;

		while ((rc = mg_publish(&pub, o)) == -ENOSPC)
			rte_pause();
		ck_assert_int_eq(rc, 0);
		if (v % 1000 == 0)
			usleep(1000); /* let readers catch up and see a spread of versions */
	}
	/* Every reader must come to see the last version. */
	for (unsigned k = 0; k < n; k++) {
		for (int t = 0;
		     t < 5000 && __atomic_load_n(&rd[k].last_seen, __ATOMIC_RELAXED) != N_VERSIONS;
		     t++)
			usleep(1000);
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	rte_eal_mp_wait_lcore();
	for (unsigned k = 0; k < n; k++) {
		ck_assert_uint_eq(rd[k].last_seen, N_VERSIONS);
		ck_assert_uint_gt(rd[k].reads, 0);
		ck_assert_uint_eq(rd[k].bad, 0);
		ck_assert_uint_eq(rd[k].backwards, 0);
	}
	mg_publish_fini(&pub);
	ck_assert_uint_eq(n_dead, N_VERSIONS);
	ck_assert_uint_eq(pub.n_freed, N_VERSIONS);
	graveyard_empty();
	rte_free(qs);
}
END_TEST

struct holder {
	struct mg_publisher *pub;
	struct rte_rcu_qsbr *qs;
	struct obj *held;
	volatile int phase; /* 0 start, 1 holding, 2 release, 3 released */
};

static int holder_main(void *arg)
{
	struct holder *h = arg;

	rte_rcu_qsbr_thread_online(h->qs, 0);
	h->held = mg_publish_get(h->pub);
	__atomic_store_n(&h->phase, 1, __ATOMIC_RELEASE);
	while (__atomic_load_n(&h->phase, __ATOMIC_ACQUIRE) != 2)
		rte_pause();
	rte_rcu_qsbr_quiescent(h->qs, 0);
	__atomic_store_n(&h->phase, 3, __ATOMIC_RELEASE);
	while (__atomic_load_n(&h->phase, __ATOMIC_ACQUIRE) != 4)
		rte_pause();
	rte_rcu_qsbr_thread_offline(h->qs, 0);
	return 0;
}

START_TEST(reclaim_waits_for_quiescent_state)
{
	struct rte_rcu_qsbr *qs = qs_new(1);
	struct obj *first = obj_new(1);
	struct mg_publisher pub;
	struct holder h = {.pub = &pub, .qs = qs};
	unsigned lcore = rte_get_next_lcore(-1, 1, 0);

	ck_assert_int_eq(mg_publish_init(&pub, "hold", qs, obj_free, NULL), 0);
	ck_assert_int_eq(mg_publish(&pub, first), 0);
	rte_eal_remote_launch(holder_main, &h, lcore);
	while (__atomic_load_n(&h.phase, __ATOMIC_ACQUIRE) != 1)
		rte_pause();
	ck_assert_ptr_eq(h.held, first);

	/* The holder has not reported: nothing may be freed, however often we try. */
	ck_assert_int_eq(mg_publish(&pub, obj_new(2)), 0);
	for (int i = 0; i < 1000; i++)
		ck_assert_uint_eq(mg_publish_reclaim(&pub), 0);
	ck_assert_uint_eq(first->magic, OBJ_ALIVE);
	/* The deferred list is bounded: a stuck reader turns into -ENOSPC, not a leak. */
	for (unsigned v = 3; v < 3 + MG_PUBLISH_DEFER_MAX - 1; v++)
		ck_assert_int_eq(mg_publish(&pub, obj_new(v)), 0);
	struct obj *extra = obj_new(999);
	ck_assert_int_eq(mg_publish(&pub, extra), -ENOSPC);
	free(extra);
	ck_assert_uint_eq(n_dead, 0);

	__atomic_store_n(&h.phase, 2, __ATOMIC_RELEASE);
	while (__atomic_load_n(&h.phase, __ATOMIC_ACQUIRE) != 3)
		rte_pause();
	ck_assert_uint_eq(mg_publish_reclaim(&pub), MG_PUBLISH_DEFER_MAX);
	ck_assert_uint_eq(first->magic, OBJ_DEAD);
	__atomic_store_n(&h.phase, 4, __ATOMIC_RELEASE);
	rte_eal_mp_wait_lcore();
	mg_publish_fini(&pub);
	graveyard_empty();
	rte_free(qs);
}
END_TEST

START_TEST(publish_init_rejects_null)
{
	struct mg_publisher pub;

	ck_assert_int_eq(mg_publish_init(&pub, "x", NULL, obj_free, NULL), -EINVAL);
	ck_assert_int_eq(mg_publish_init(NULL, "x", (void *)&pub, obj_free, NULL), -EINVAL);
	ck_assert_int_eq(mg_publish_init(&pub, "x", (void *)&pub, NULL, NULL), -EINVAL);
}
END_TEST

/* A worker context with only what the ring helpers need. */
static struct mg_dp ring_dp;

static int pong_main(void *arg)
{
	struct mg_worker *w = arg;
	struct mg_msg m;
	unsigned answered = 0;

	while (answered < 3000) {
		if (rte_ring_dequeue_elem(w->to_worker, &m, sizeof(m)) != 0) {
			rte_pause();
			continue;
		}
		if (m.type != MG_MSG_PING)
			m.u.cookie = UINT64_MAX; /* the main thread's check fails on it */
		m.type = MG_MSG_PONG;
		m.worker = w->idx;
		while (mg_worker_send(w, &m) != 0)
			rte_pause();
		answered++;
	}
	return 0;
}

START_TEST(rings_carry_messages_both_ways_in_order)
{
	unsigned lcore = rte_get_next_lcore(-1, 1, 0);
	struct mg_worker *w;
	uint64_t next_expected = 0, sent = 0;
	struct mg_msg m;

	ring_dp.tsc_hz = rte_get_tsc_hz();
	w = mg_worker_create(&ring_dp, 7, lcore, 1023);
	ck_assert_ptr_nonnull(w);
	ck_assert_int_eq(mg_ctl_recv(w, &m), -EAGAIN);
	rte_eal_remote_launch(pong_main, w, lcore);
	while (next_expected < 3000) {
		if (sent < 3000) {
			struct mg_msg p = {.type = MG_MSG_PING, .worker = 7, .u.cookie = sent};

			if (mg_ctl_send(w, &p) == 0)
				sent++;
		}
		if (mg_ctl_recv(w, &m) == 0) {
			ck_assert_uint_eq(m.type, MG_MSG_PONG);
			ck_assert_uint_eq(m.worker, 7);
			ck_assert_uint_eq(m.u.cookie, next_expected);
			next_expected++;
		}
	}
	rte_eal_mp_wait_lcore();
	/* A full ring is reported, not overwritten. */
	unsigned accepted = 0;
	struct mg_msg p = {.type = MG_MSG_PING};
	while (mg_ctl_send(w, &p) == 0)
		accepted++;
	ck_assert_uint_eq(accepted, rte_ring_get_capacity(w->to_worker));
	ck_assert_int_eq(mg_ctl_send(w, &p), -ENOBUFS);
	mg_worker_destroy(w);
}
END_TEST

/*
 * Config adoption, called directly on the test's main lcore (the worker loop
 * calls it each iteration): a worker serves the first snapshot it sees,
 * switches live to the next one (listeners on a kept port pass over, new
 * ones open, removed ones close), says which snapshots it still holds, keeps
 * serving when the slot is emptied, reports the outcome for the control
 * core, and does not retry a snapshot it failed on.
 */
static void snap_keep(void *obj, void *arg)
{
	(void)obj;
	(void)arg;
}

static struct mg_dp adopt_dp;

START_TEST(worker_adopts_and_replaces_snapshots)
{
	unsigned lcore = rte_get_next_lcore(-1, 1, 0);
	struct mg_tcp_conf conf = {.max_conns = 256};
	struct mg_listener l1 = {.name = {"l1", 2}, .port = 18080, .kind = MG_LISTENER_HTTP};
	struct mg_listener l2 = {.name = {"l2", 2}, .port = 18081, .kind = MG_LISTENER_HTTP};
	struct mg_listener l1b = {.name = {"l1", 2}, .port = 18080, .kind = MG_LISTENER_HTTP};
	struct mg_listener *ls1[] = {&l1}, *ls2[] = {&l1b, &l2}, *ls3[] = {&l2};
	struct mg_snapshot s1 = {.version = 1, .seq = 1, .listeners = ls1, .n_listeners = 1};
	struct mg_snapshot s2 = {.version = 2, .seq = 2, .listeners = ls2, .n_listeners = 2};
	struct mg_snapshot s3 = {.version = 3, .seq = 3, .listeners = ls3, .n_listeners = 1};
	struct rte_rcu_qsbr *qs = qs_new(2);
	struct mg_worker *w, *busy;

	adopt_dp.tsc_hz = rte_get_tsc_hz();
	adopt_dp.qs = qs;
	ck_assert_int_eq(mg_publish_init(&adopt_dp.snapshots, "snap", qs, snap_keep, NULL), 0);
	w = mg_worker_create(&adopt_dp, 3, lcore, 1023);
	busy = mg_worker_create(&adopt_dp, 4, lcore, 1023);
	ck_assert_ptr_nonnull(w);
	ck_assert_ptr_nonnull(busy);
	ck_assert_int_eq(mg_tcp_worker_init(w, &conf), 0);
	ck_assert_int_eq(mg_tcp_worker_init(busy, &conf), 0);

	/* Nothing published: nothing to do, nothing held. */
	ck_assert_int_eq(mg_worker_adopt_config(w), 0);
	ck_assert_ptr_null(w->proxy);
	ck_assert_int_eq(mg_worker_snapshot_status(w, &s1), 0);
	ck_assert(w->snap_held_min == UINT64_MAX);

	/* The first snapshot is adopted: its listener is open on w's stack. */
	ck_assert_int_eq(mg_publish(&adopt_dp.snapshots, &s1), 0);
	ck_assert_int_eq(mg_worker_snapshot_status(w, &s1), 0);
	ck_assert_int_eq(mg_worker_adopt_config(w), 1);
	ck_assert_ptr_nonnull(w->proxy);
	ck_assert_ptr_eq(w->proxy->cur->snap, &s1);
	ck_assert_int_eq(mg_worker_snapshot_status(w, &s1), 1);
	ck_assert(w->snap_held_min == 1);
	ck_assert_int_eq(mg_tcp_listen(w, 0, 18080, &mg_hcm_cbs, mg_hcm_accept, NULL), -EADDRINUSE);
	ck_assert_int_eq(mg_worker_adopt_config(w), 0); /* unchanged: cheap no-op */

	/*
	 * A second one replaces it live: 18080 passes to s2's l1 (still open,
	 * now with s2's listener as its context), 18081 opens.  No connection
	 * holds s1, so the worker lets go of it at once.
	 */
	ck_assert_int_eq(mg_publish(&adopt_dp.snapshots, &s2), 0);
	ck_assert_int_eq(mg_worker_adopt_config(w), 1);
	ck_assert_ptr_eq(w->proxy->cur->snap, &s2);
	ck_assert_int_eq(mg_worker_snapshot_status(w, &s2), 1);
	ck_assert_int_eq(mg_worker_snapshot_status(w, &s1), 0);
	ck_assert_ptr_eq(w->tcp->listeners[0].arg, &l1b);
	ck_assert_int_eq(mg_tcp_listen(w, 0, 18080, &mg_hcm_cbs, mg_hcm_accept, NULL), -EADDRINUSE);
	ck_assert_int_eq(mg_tcp_listen(w, 0, 18081, &mg_hcm_cbs, mg_hcm_accept, NULL), -EADDRINUSE);
	ck_assert(LIST_EMPTY(&w->proxy->draining));
	ck_assert(w->snap_held_min == 2);
	ck_assert_uint_eq(w->proxy->cnt.config_updates, 1);
	ck_assert_uint_eq(w->proxy->cnt.config_drained, 1);

	/*
	 * While a connection holds s2 (a reference, as a client connection mid-
	 * request takes), s3 replaces it: 18080 closes, s2 drains and is still
	 * held; when the reference goes, s2 is let go.
	 */
	mg_proxy_gen_get(w->proxy->cur);
	ck_assert_int_eq(mg_publish(&adopt_dp.snapshots, &s3), 0);
	ck_assert_int_eq(mg_worker_adopt_config(w), 1);
	ck_assert_ptr_eq(w->proxy->cur->snap, &s3);
	ck_assert_int_eq(mg_tcp_listen(w, 0, 18080, &mg_hcm_cbs, mg_hcm_accept, NULL), 0);
	ck_assert_int_eq(mg_tcp_unlisten(w, 0, 18080), 0);
	ck_assert(!LIST_EMPTY(&w->proxy->draining));
	ck_assert(w->snap_held_min == 2);
	mg_proxy_gen_put(w->proxy, LIST_FIRST(&w->proxy->draining));
	ck_assert(LIST_EMPTY(&w->proxy->draining));
	ck_assert(w->snap_held_min == 3);

	/* Unpublished: still serving s3. */
	ck_assert_int_eq(mg_publish(&adopt_dp.snapshots, NULL), 0);
	ck_assert_int_eq(mg_worker_adopt_config(w), 0);
	ck_assert_ptr_eq(w->proxy->cur->snap, &s3);

	/* A worker that cannot serve it reports why, once, and stays without. */
	ck_assert_int_eq(mg_tcp_listen(busy, 0, 18080, &mg_hcm_cbs, mg_hcm_accept, NULL), 0);
	ck_assert_int_eq(mg_publish(&adopt_dp.snapshots, &s1), 0);
	ck_assert_int_eq(mg_worker_adopt_config(busy), 1);
	ck_assert_ptr_null(busy->proxy);
	ck_assert_int_eq(mg_worker_snapshot_status(busy, &s1), -EADDRINUSE);
	ck_assert_int_eq(mg_worker_adopt_config(busy), 0); /* not retried */
	ck_assert_int_eq(mg_worker_snapshot_status(busy, &s1), -EADDRINUSE);

	/*
	 * A replacement that fails changes nothing: w serves s3 (18081); s2
	 * wants 18080 too, which busy's stray listener does not block here, so
	 * take 18080 on w first.  The open of 18080 fails, 18081 stays s3's.
	 */
	ck_assert_int_eq(mg_tcp_listen(w, 0, 18080, &mg_hcm_cbs, mg_hcm_accept, NULL), 0);
	ck_assert_int_eq(mg_publish(&adopt_dp.snapshots, &s2), 0);
	ck_assert_int_eq(mg_worker_adopt_config(w), 1);
	ck_assert_int_eq(mg_worker_snapshot_status(w, &s2), -EADDRINUSE);
	ck_assert_ptr_eq(w->proxy->cur->snap, &s3);
	ck_assert(w->snap_held_min == 3);
	for (unsigned i = 0; i < MG_TCP_MAX_LISTENERS; i++)
		if (w->tcp->listeners[i].port == rte_cpu_to_be_16(18081))
			ck_assert_ptr_eq(w->tcp->listeners[i].arg, &l2);

	/* Teardown in the gateway's order; the publisher frees nothing. */
	mg_tcp_worker_fini(w);
	mg_tcp_worker_fini(busy);
	mg_proxy_worker_stop(w);
	mg_proxy_worker_stop(busy);
	ck_assert_ptr_null(w->proxy);
	ck_assert(w->snap_held_min == UINT64_MAX);
	mg_publish_fini(&adopt_dp.snapshots);
	mg_worker_destroy(w);
	mg_worker_destroy(busy);
	rte_free(qs);
}
END_TEST

int main(void)
{
	char prefix[64];
	char *args[] = {"test_core", "--lcores",    "0@0,1@1,2@1",   "--no-huge",
	                "-m",        "128",         "--no-pci",      "--file-prefix",
	                prefix,      "--log-level", "lib.eal:error", "--no-telemetry"};
	int n_failed;

	snprintf(prefix, sizeof(prefix), "mgtest-core-%d", (int)getpid());
	if (rte_eal_init((int)MG_ARRAY_SIZE(args), args) < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 2;
	}
	Suite *s = suite_create("core");
	TCase *tc = tcase_create("publish");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, publish_init_rejects_null);
	tcase_add_test(tc, publish_seen_by_all_never_freed_early);
	tcase_add_test(tc, reclaim_waits_for_quiescent_state);
	tcase_add_test(tc, rings_carry_messages_both_ways_in_order);
	tcase_add_test(tc, worker_adopts_and_replaces_snapshots);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	n_failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	rte_eal_cleanup();
	return n_failed == 0 ? 0 : 1;
}
