/*
 * test_snapshots.c — the control core's snapshot bookkeeping
 * (app/meshgate/snapshots.c): what it refuses before publishing, and that a
 * replaced snapshot is freed only once the RCU grace period is over and no
 * worker says it still holds it; the bootstrap's pinned one never.
 *
 * No EAL: the RCU state and the workers are plain memory here, and the
 * workers' quiescent states and held marks are written by the test.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_rcu_qsbr.h>

#include "core/publish.h"
#include "meshgate/snapshots.h"
#include "xds/compile.h"

/* An empty snapshot, compiled for real so mg_snapshot_free can free it. */
static struct mg_snapshot *empty_snapshot(void)
{
	struct mg_resources r = {0};
	struct mg_snapshot *s = NULL;
	char err[128];

	ck_assert_int_eq(mg_snapshot_compile(&r, 1, &s, err, sizeof(err)), 0);
	return s;
}

START_TEST(check_refuses_what_the_gateway_holds)
{
	struct mg_dp dp = {0};
	struct mg_snapshots ss;
	struct mg_listener l[17];
	struct mg_listener *ls[17];
	struct mg_snapshot s = {.listeners = ls};
	size_t qsz = rte_rcu_qsbr_get_memsize(1);
	char err[256];

	dp.qs = aligned_alloc(64, (qsz + 63) / 64 * 64);
	ck_assert_int_eq(rte_rcu_qsbr_init(dp.qs, 1), 0);
	ck_assert_int_eq(mg_snapshots_init(&ss, &dp, NULL, (const uint16_t[]){7, 0, 19, 0}, 4), 0);
	for (unsigned i = 0; i < 17; i++) {
		l[i] = (struct mg_listener){.name = {"web", 3}, .port = (uint16_t)(8000 + i)};
		ls[i] = &l[i];
	}
	s.n_listeners = 2;
	ck_assert_int_eq(mg_snapshots_check(&ss, &s, err, sizeof(err)), 0);
	l[1].port = 19;
	ck_assert_int_eq(mg_snapshots_check(&ss, &s, err, sizeof(err)), -EADDRINUSE);
	ck_assert_str_eq(err, "listeners[1] (\"web\"): port 19 is taken by one of the gateway's "
	                      "TCP services (bootstrap tcp.services)");
	l[1].port = 8001;
	s.n_listeners = 15; /* with the two services: 17 ports, one more than a worker has */
	ck_assert_int_eq(mg_snapshots_check(&ss, &s, err, sizeof(err)), -ENOSPC);
	ck_assert_ptr_nonnull(strstr(err, "15 listeners and 2 TCP services"));
	s.n_listeners = 14;
	ck_assert_int_eq(mg_snapshots_check(&ss, &s, err, sizeof(err)), 0);
	mg_snapshots_fini(&ss);
	free(dp.qs);
}
END_TEST

START_TEST(freed_only_when_no_worker_holds_it)
{
	struct mg_dp dp = {0};
	struct mg_snapshots ss;
	size_t qsz = rte_rcu_qsbr_get_memsize(2);
	size_t wsz = (sizeof(struct mg_worker) + 63) / 64 * 64;
	struct mg_snapshot *pinned = empty_snapshot(), *s2 = empty_snapshot(),
	                   *s3 = empty_snapshot();

	dp.qs = aligned_alloc(64, (qsz + 63) / 64 * 64);
	ck_assert_int_eq(rte_rcu_qsbr_init(dp.qs, 2), 0);
	dp.n_workers = 2;
	for (unsigned i = 0; i < 2; i++) {
		dp.workers[i] = aligned_alloc(64, wsz);
		memset(dp.workers[i], 0, wsz);
		dp.workers[i]->snap_held_min = UINT64_MAX;
		ck_assert_int_eq(rte_rcu_qsbr_thread_register(dp.qs, i), 0);
		rte_rcu_qsbr_thread_online(dp.qs, i);
	}
	ck_assert_int_eq(mg_snapshots_init(&ss, &dp, pinned, NULL, 0), 0);

	/* The bootstrap's, then two from xDS: publication numbers 1, 2, 3. */
	ck_assert_int_eq(mg_snapshots_publish(&ss, pinned), 0);
	ck_assert_uint_eq(pinned->seq, 1);
	dp.workers[0]->snap_held_min = dp.workers[1]->snap_held_min = 1;
	ck_assert_int_eq(mg_snapshots_publish(&ss, s2), 0);
	ck_assert_uint_eq(s2->seq, 2);
	/* Grace period over, but worker 1 still drains the pinned one. */
	rte_rcu_qsbr_quiescent(dp.qs, 0);
	rte_rcu_qsbr_quiescent(dp.qs, 1);
	dp.workers[0]->snap_held_min = 2;
	ck_assert_uint_eq(mg_snapshots_reap(&ss), 0);
	ck_assert_uint_eq(ss.n_retired, 0); /* the pinned one is not the module's to keep */

	ck_assert_int_eq(mg_snapshots_publish(&ss, s3), 0);
	ck_assert_uint_eq(s3->seq, 3);
	/* No grace period yet: s2 is not even retired. */
	dp.workers[0]->snap_held_min = dp.workers[1]->snap_held_min = 3;
	ck_assert_uint_eq(mg_snapshots_reap(&ss), 0);
	rte_rcu_qsbr_quiescent(dp.qs, 0);
	rte_rcu_qsbr_quiescent(dp.qs, 1);
	/* Retired now, but worker 1 says a connection still holds seq 2. */
	dp.workers[1]->snap_held_min = 2;
	ck_assert_uint_eq(mg_snapshots_reap(&ss), 0);
	ck_assert_uint_eq(ss.n_retired, 1);
	dp.workers[1]->snap_held_min = 3;
	ck_assert_uint_eq(mg_snapshots_reap(&ss), 1);
	ck_assert_uint_eq(ss.n_retired, 0);
	ck_assert_uint_eq(ss.freed, 1);

	/* Shutdown: the current one (s3) is freed, the pinned one is not. */
	for (unsigned i = 0; i < 2; i++)
		rte_rcu_qsbr_thread_offline(dp.qs, i);
	mg_snapshots_fini(&ss);
	mg_snapshot_free(pinned);
	for (unsigned i = 0; i < 2; i++)
		free(dp.workers[i]);
	free(dp.qs);
}
END_TEST

int main(void)
{
	Suite *su = suite_create("snapshots");
	TCase *tc = tcase_create("snapshots");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, check_refuses_what_the_gateway_holds);
	tcase_add_test(tc, freed_only_when_no_worker_holds_it);
	suite_add_tcase(su, tc);
	sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
