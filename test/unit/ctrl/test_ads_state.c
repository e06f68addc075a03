/*
 * test_ads_state.c — the xDS state-of-the-world rules of ctrl/ads_state.c,
 * without sockets: initial request and response, ACK, NACK, stale nonces,
 * what a new generation re-pushes and in which order, name filtering for
 * EDS and RDS, subscription changes.
 *
 * Resources come from the canary config (testdata/translate/canary, 4
 * clusters, 4 load assignments, 2 listeners, 1 route configuration),
 * translated for real; a "config change" edits a field of the translated
 * messages before they are packed into a snapshot.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctrl/ads_state.h"
#include "ctrl/istio_load.h"
#include "ctrl/translate.h"

#define ID "meshgate-ctrl test"

#define C_DB  "outbound|5432||db.shop.internal"
#define C_V1  "outbound|80|v1|web.shop.internal"
#define C_V2  "outbound|80|v2|web.shop.internal"
#define R_WEB "http.8080"

/* What to change in the canary resources before packing. */
enum edit {
	E_CDS = 1,
	E_EDS = 2,
	E_LDS = 4,
	E_RDS = 8,
};

static struct mg_ads_snapshot *snapshot(unsigned edits, uint64_t gen)
{
	struct mg_istio_config cfg;
	struct mg_xds_resources r;
	struct mg_ads_snapshot *s;
	struct mg_diag d;
	char *dir;
	const char *root = getenv("MG_CTRL_TESTDATA");

	ck_assert_msg(root != NULL, "MG_CTRL_TESTDATA not set (run through meson test)");
	ck_assert_int_ge(asprintf(&dir, "%s/translate/canary", root), 0);
	mg_diag_init(&d);
	ck_assert_int_eq(mg_istio_load_dir(dir, &cfg, &d), 0);
	ck_assert_int_eq(mg_translate(&cfg, &r, &d), 0);
	ck_assert_uint_eq(r.n_clusters, 4);
	ck_assert_uint_eq(r.n_endpoints, 4);
	ck_assert_uint_eq(r.n_listeners, 2);
	ck_assert_uint_eq(r.n_routes, 1);
	if (edits & E_CDS)
		r.clusters[0]->lb_policy = ENVOY__CONFIG__CLUSTER__V3__CLUSTER__LB_POLICY__RANDOM;
	if (edits & E_EDS)
		r.endpoints[0]
		    ->endpoints[0]
		    ->lb_endpoints[0]
		    ->endpoint->address->socket_address->port_value++;
	if (edits & E_LDS)
		r.listeners[0]->address->socket_address->port_value++;
	if (edits & E_RDS)
		r.routes[0]->virtual_hosts[0]->name[0] ^= 1;
	s = mg_ads_snapshot_new(&r, gen);
	ck_assert_ptr_nonnull(s);
	mg_xds_resources_free(&r);
	mg_istio_config_free(&cfg);
	mg_diag_free(&d);
	free(dir);
	return s;
}

/* A request; names is NULL-terminated (NULL: none). */
static int request(struct mg_ads_stream *st, enum mg_ads_type t, const char *version,
                   const char *nonce, const char *error, const char *const *names,
                   enum mg_ads_req_kind *kind)
{
	Envoy__Service__Discovery__V3__DiscoveryRequest req =
	    ENVOY__SERVICE__DISCOVERY__V3__DISCOVERY_REQUEST__INIT;
	Envoy__Config__Core__V3__Node node = ENVOY__CONFIG__CORE__V3__NODE__INIT;
	Google__Rpc__Status status = GOOGLE__RPC__STATUS__INIT;
	enum mg_ads_type got;
	int rc;

	node.id = "gw-1";
	req.node = &node;
	req.type_url = (char *)mg_ads_type_url(t);
	req.version_info = (char *)version;
	req.response_nonce = (char *)nonce;
	if (error != NULL) {
		status.code = 3;
		status.message = (char *)error;
		req.error_detail = &status;
	}
	while (names != NULL && names[req.n_resource_names] != NULL)
		req.n_resource_names++;
	req.resource_names = (char **)names;
	rc = mg_ads_stream_on_request(st, &req, kind, &got);
	if (rc == 0)
		ck_assert_int_eq(got, t);
	return rc;
}

/* The next response: its type must be t; version and nonce copied out. */
static size_t next(struct mg_ads_stream *st, enum mg_ads_type t, char *version, char *nonce)
{
	struct mg_ads_response r;
	size_t n;

	ck_assert_int_eq(mg_ads_stream_next(st, ID, &r), 1);
	ck_assert_str_eq(mg_ads_type_name(r.type), mg_ads_type_name(t));
	ck_assert_str_eq(r.msg.type_url, mg_ads_type_url(t));
	ck_assert_str_eq(r.msg.control_plane->identifier, ID);
	ck_assert_str_eq(r.msg.version_info, r.version);
	ck_assert_str_eq(r.msg.nonce, r.nonce);
	for (size_t i = 0; i < r.msg.n_resources; i++)
		ck_assert_str_eq(r.msg.resources[i]->type_url, mg_ads_type_url(t));
	if (version != NULL)
		strcpy(version, r.version);
	if (nonce != NULL)
		strcpy(nonce, r.nonce);
	n = r.msg.n_resources;
	mg_ads_response_fini(&r);
	return n;
}

static void nothing_due(struct mg_ads_stream *st)
{
	struct mg_ads_response r;

	ck_assert_int_eq(mg_ads_stream_next(st, ID, &r), 0);
}

static const char *const ALL_EDS[] = {C_DB, C_V1, C_V2, "outbound|80||web.shop.internal", NULL};
static const char *const ALL_RDS[] = {R_WEB, NULL};

/* Subscribe to the four types and ACK each response. */
static void subscribe_all(struct mg_ads_stream *st, char v[MG_ADS_N_TYPES][MG_ADS_VERSION_LEN])
{
	static const char *const *names[MG_ADS_N_TYPES] = {NULL, ALL_EDS, NULL, ALL_RDS};
	enum mg_ads_req_kind k;
	char n[MG_ADS_VERSION_LEN];

	for (int t = 0; t < MG_ADS_N_TYPES; t++) {
		ck_assert_int_eq(request(st, t, "", "", NULL, names[t], &k), 0);
		ck_assert_int_eq(k, MG_ADS_REQ_INITIAL);
		next(st, t, v[t], n);
		ck_assert_int_eq(request(st, t, v[t], n, NULL, names[t], &k), 0);
		ck_assert_int_eq(k, MG_ADS_REQ_ACK);
		nothing_due(st);
	}
}

START_TEST(initial_request_gets_a_response)
{
	struct mg_ads_snapshot *s = snapshot(0, 1);
	struct mg_ads_stream st;
	enum mg_ads_req_kind k;
	char v[MG_ADS_VERSION_LEN], n[MG_ADS_VERSION_LEN];

	mg_ads_stream_init(&st, s);
	nothing_due(&st); /* nothing before a request */
	ck_assert_int_eq(request(&st, MG_ADS_CDS, "", "", NULL, NULL, &k), 0);
	ck_assert_int_eq(k, MG_ADS_REQ_INITIAL);
	ck_assert(st.has_node);
	ck_assert_str_eq(st.node_id, "gw-1");
	ck_assert_str_eq(st.node_metadata, "{}");
	ck_assert_uint_eq(next(&st, MG_ADS_CDS, v, n), 4); /* wildcard: every cluster */
	ck_assert_uint_eq(strlen(v), 17);
	ck_assert_int_eq(v[0], 'v');
	ck_assert_str_eq(n, "1");
	ck_assert_str_eq(st.t[MG_ADS_CDS].sent, v);
	ck_assert_str_eq(st.t[MG_ADS_CDS].acked, "");
	nothing_due(&st);
	/* The next type's nonce continues the stream's counter. */
	ck_assert_int_eq(request(&st, MG_ADS_LDS, "", "", NULL, NULL, &k), 0);
	ck_assert_uint_eq(next(&st, MG_ADS_LDS, NULL, n), 2);
	ck_assert_str_eq(n, "2");
	mg_ads_stream_fini(&st);
	mg_ads_snapshot_unref(s);
}
END_TEST

START_TEST(ack_records_the_version)
{
	struct mg_ads_snapshot *s = snapshot(0, 1);
	struct mg_ads_stream st;
	enum mg_ads_req_kind k;
	char v[MG_ADS_VERSION_LEN], n[MG_ADS_VERSION_LEN];

	mg_ads_stream_init(&st, s);
	ck_assert_int_eq(request(&st, MG_ADS_CDS, "", "", NULL, NULL, &k), 0);
	next(&st, MG_ADS_CDS, v, n);
	ck_assert_int_eq(request(&st, MG_ADS_CDS, v, n, NULL, NULL, &k), 0);
	ck_assert_int_eq(k, MG_ADS_REQ_ACK);
	ck_assert_str_eq(st.t[MG_ADS_CDS].acked, v);
	ck_assert_ptr_null(st.t[MG_ADS_CDS].nack);
	ck_assert_uint_eq(st.t[MG_ADS_CDS].n_acks, 1);
	nothing_due(&st); /* an ACK asks for nothing */
	mg_ads_stream_fini(&st);
	mg_ads_snapshot_unref(s);
}
END_TEST

START_TEST(nack_keeps_acked_and_records_error)
{
	struct mg_ads_snapshot *s = snapshot(0, 1), *s2 = snapshot(E_CDS, 2);
	struct mg_ads_stream st;
	enum mg_ads_req_kind k;
	char v[MG_ADS_VERSION_LEN], n[MG_ADS_VERSION_LEN], v2[MG_ADS_VERSION_LEN];

	mg_ads_stream_init(&st, s);
	ck_assert_int_eq(request(&st, MG_ADS_CDS, "", "", NULL, NULL, &k), 0);
	next(&st, MG_ADS_CDS, v, n);
	/* NACK: the client names the version it still runs ("" here). */
	ck_assert_int_eq(request(&st, MG_ADS_CDS, "", n, "cluster x: bad lb_policy", NULL, &k), 0);
	ck_assert_int_eq(k, MG_ADS_REQ_NACK);
	ck_assert_str_eq(st.t[MG_ADS_CDS].acked, "");
	ck_assert_str_eq(st.t[MG_ADS_CDS].nack, "cluster x: bad lb_policy");
	ck_assert_str_eq(st.t[MG_ADS_CDS].nack_nonce, n);
	ck_assert_str_eq(st.t[MG_ADS_CDS].nack_version, v);
	nothing_due(&st); /* the same version is not sent again */
	/* Same resources in a new generation: still not resent. */
	mg_ads_stream_set_snapshot(&st, s);
	nothing_due(&st);
	/* A changed CDS is the fix: sent, and its ACK clears the NACK. */
	mg_ads_stream_set_snapshot(&st, s2);
	next(&st, MG_ADS_CDS, v2, n);
	ck_assert_str_ne(v2, v);
	ck_assert_int_eq(request(&st, MG_ADS_CDS, v2, n, NULL, NULL, &k), 0);
	ck_assert_int_eq(k, MG_ADS_REQ_ACK);
	ck_assert_str_eq(st.t[MG_ADS_CDS].acked, v2);
	ck_assert_ptr_null(st.t[MG_ADS_CDS].nack);
	mg_ads_stream_fini(&st);
	mg_ads_snapshot_unref(s);
	mg_ads_snapshot_unref(s2);
}
END_TEST

START_TEST(stale_nonce_is_ignored)
{
	struct mg_ads_snapshot *s = snapshot(0, 1), *s2 = snapshot(E_CDS, 2);
	struct mg_ads_stream st;
	enum mg_ads_req_kind k;
	char v1[MG_ADS_VERSION_LEN], n1[MG_ADS_VERSION_LEN];
	char v2[MG_ADS_VERSION_LEN], n2[MG_ADS_VERSION_LEN];
	static const char *const two[] = {"a", "b", NULL};

	mg_ads_stream_init(&st, s);
	ck_assert_int_eq(request(&st, MG_ADS_CDS, "", "", NULL, NULL, &k), 0);
	next(&st, MG_ADS_CDS, v1, n1);
	mg_ads_stream_set_snapshot(&st, s2);
	next(&st, MG_ADS_CDS, v2, n2); /* pushed before the first was answered */
	/* The answer to the first response (ACK, NACK or new names) is stale. */
	ck_assert_int_eq(request(&st, MG_ADS_CDS, v1, n1, NULL, NULL, &k), 0);
	ck_assert_int_eq(k, MG_ADS_REQ_STALE);
	ck_assert_int_eq(request(&st, MG_ADS_CDS, "", n1, "late NACK", two, &k), 0);
	ck_assert_int_eq(k, MG_ADS_REQ_STALE);
	ck_assert_str_eq(st.t[MG_ADS_CDS].acked, "");
	ck_assert_ptr_null(st.t[MG_ADS_CDS].nack);
	ck_assert(st.t[MG_ADS_CDS].wildcard);
	ck_assert_uint_eq(st.t[MG_ADS_CDS].n_stale, 2);
	nothing_due(&st);
	/* An unknown nonce too. */
	ck_assert_int_eq(request(&st, MG_ADS_CDS, v2, "999", NULL, NULL, &k), 0);
	ck_assert_int_eq(k, MG_ADS_REQ_STALE);
	ck_assert_int_eq(request(&st, MG_ADS_CDS, v2, n2, NULL, NULL, &k), 0);
	ck_assert_int_eq(k, MG_ADS_REQ_ACK);
	ck_assert_str_eq(st.t[MG_ADS_CDS].acked, v2);
	mg_ads_stream_fini(&st);
	mg_ads_snapshot_unref(s);
	mg_ads_snapshot_unref(s2);
}
END_TEST

START_TEST(change_repushes_only_changed_types_in_order)
{
	struct mg_ads_snapshot *s = snapshot(0, 1), *same = snapshot(0, 2),
	                       *rds = snapshot(E_RDS, 3),
	                       *all = snapshot(E_CDS | E_EDS | E_LDS, 4); /* RDS back */
	struct mg_ads_stream st;
	char v[MG_ADS_N_TYPES][MG_ADS_VERSION_LEN], nv[MG_ADS_VERSION_LEN];

	mg_ads_stream_init(&st, s);
	subscribe_all(&st, v);
	/* A new generation with the same resources: nothing. */
	mg_ads_stream_set_snapshot(&st, same);
	nothing_due(&st);
	/* Only the routes changed: RDS alone. */
	mg_ads_stream_set_snapshot(&st, rds);
	next(&st, MG_ADS_RDS, nv, NULL);
	ck_assert_str_ne(nv, v[MG_ADS_RDS]);
	nothing_due(&st);
	/* Everything changed (RDS back to the first): CDS, EDS, LDS, RDS in order. */
	mg_ads_stream_set_snapshot(&st, all);
	next(&st, MG_ADS_CDS, nv, NULL);
	ck_assert_str_ne(nv, v[MG_ADS_CDS]);
	next(&st, MG_ADS_EDS, nv, NULL);
	ck_assert_str_ne(nv, v[MG_ADS_EDS]);
	next(&st, MG_ADS_LDS, nv, NULL);
	ck_assert_str_ne(nv, v[MG_ADS_LDS]);
	next(&st, MG_ADS_RDS, nv, NULL);
	ck_assert_str_eq(nv, v[MG_ADS_RDS]); /* a version names content, not a generation */
	nothing_due(&st);
	mg_ads_stream_fini(&st);
	mg_ads_snapshot_unref(s);
	mg_ads_snapshot_unref(same);
	mg_ads_snapshot_unref(rds);
	mg_ads_snapshot_unref(all);
}
END_TEST

START_TEST(due_responses_go_out_cds_eds_lds_rds)
{
	struct mg_ads_snapshot *s = snapshot(0, 1);
	struct mg_ads_stream st;
	enum mg_ads_req_kind k;

	mg_ads_stream_init(&st, s);
	/* Asked for in the reverse order, answered in the safe one. */
	ck_assert_int_eq(request(&st, MG_ADS_RDS, "", "", NULL, ALL_RDS, &k), 0);
	ck_assert_int_eq(request(&st, MG_ADS_LDS, "", "", NULL, NULL, &k), 0);
	ck_assert_int_eq(request(&st, MG_ADS_EDS, "", "", NULL, ALL_EDS, &k), 0);
	ck_assert_int_eq(request(&st, MG_ADS_CDS, "", "", NULL, NULL, &k), 0);
	ck_assert_uint_eq(next(&st, MG_ADS_CDS, NULL, NULL), 4);
	ck_assert_uint_eq(next(&st, MG_ADS_EDS, NULL, NULL), 4);
	ck_assert_uint_eq(next(&st, MG_ADS_LDS, NULL, NULL), 2);
	ck_assert_uint_eq(next(&st, MG_ADS_RDS, NULL, NULL), 1);
	nothing_due(&st);
	mg_ads_stream_fini(&st);
	mg_ads_snapshot_unref(s);
}
END_TEST

START_TEST(eds_rds_send_requested_names_only)
{
	struct mg_ads_snapshot *s = snapshot(0, 1), *eds = snapshot(E_EDS, 2);
	struct mg_ads_stream st;
	struct mg_ads_response r;
	enum mg_ads_req_kind k;
	static const char *const some[] = {C_V2, "outbound|1|x|nowhere", C_V1, C_V2, NULL};
	static const char *const star[] = {"*", NULL};

	mg_ads_stream_init(&st, s);
	ck_assert_int_eq(request(&st, MG_ADS_EDS, "", "", NULL, some, &k), 0);
	ck_assert_int_eq(mg_ads_stream_next(&st, ID, &r), 1);
	ck_assert_uint_eq(r.msg.n_resources, 2); /* found ones, once each */
	mg_ads_response_fini(&r);
	ck_assert_uint_eq(st.t[MG_ADS_EDS].n_names, 3); /* sorted, duplicates dropped */
	/* The edit touches C_DB's endpoints only: a stream without it is not pushed. */
	mg_ads_stream_set_snapshot(&st, eds);
	nothing_due(&st);
	/* RDS with no names: nothing (not a wildcard type). */
	ck_assert_int_eq(request(&st, MG_ADS_RDS, "", "", NULL, NULL, &k), 0);
	ck_assert_uint_eq(next(&st, MG_ADS_RDS, NULL, NULL), 0);
	/* "*" is no wildcard for EDS either, but is for LDS. */
	ck_assert_int_eq(request(&st, MG_ADS_LDS, "", "", NULL, star, &k), 0);
	ck_assert_uint_eq(next(&st, MG_ADS_LDS, NULL, NULL), 2);
	mg_ads_stream_fini(&st);
	mg_ads_snapshot_unref(s);
	mg_ads_snapshot_unref(eds);
}
END_TEST

START_TEST(subscription_change_responds)
{
	struct mg_ads_snapshot *s = snapshot(0, 1);
	struct mg_ads_stream st;
	enum mg_ads_req_kind k;
	char v1[MG_ADS_VERSION_LEN], n1[MG_ADS_VERSION_LEN];
	char v2[MG_ADS_VERSION_LEN], n2[MG_ADS_VERSION_LEN];
	static const char *const one[] = {C_V1, NULL};
	static const char *const two[] = {C_V2, C_V1, NULL};

	mg_ads_stream_init(&st, s);
	ck_assert_int_eq(request(&st, MG_ADS_EDS, "", "", NULL, one, &k), 0);
	ck_assert_uint_eq(next(&st, MG_ADS_EDS, v1, n1), 1);
	/* ACK that also adds a name: a new response with both. */
	ck_assert_int_eq(request(&st, MG_ADS_EDS, v1, n1, NULL, two, &k), 0);
	ck_assert_int_eq(k, MG_ADS_REQ_ACK);
	ck_assert_str_eq(st.t[MG_ADS_EDS].acked, v1);
	ck_assert_uint_eq(next(&st, MG_ADS_EDS, v2, n2), 2);
	ck_assert_str_ne(v2, v1);
	/* The same names in another order: no change, nothing due. */
	ck_assert_int_eq(request(&st, MG_ADS_EDS, v2, n2, NULL, two, &k), 0);
	nothing_due(&st);
	/* Back to one name. */
	ck_assert_int_eq(request(&st, MG_ADS_EDS, v2, n2, NULL, one, &k), 0);
	ck_assert_uint_eq(next(&st, MG_ADS_EDS, v2, NULL), 1);
	ck_assert_str_eq(v2, v1); /* same content, same version */
	mg_ads_stream_fini(&st);
	mg_ads_snapshot_unref(s);
}
END_TEST

START_TEST(bad_requests)
{
	struct mg_ads_snapshot *s = mg_ads_snapshot_new(NULL, 0);
	Envoy__Service__Discovery__V3__DiscoveryRequest req =
	    ENVOY__SERVICE__DISCOVERY__V3__DISCOVERY_REQUEST__INIT;
	struct mg_ads_stream st;
	enum mg_ads_req_kind k;
	enum mg_ads_type t;

	ck_assert_ptr_nonnull(s);
	mg_ads_stream_init(&st, s);
	/* The first request must name its node. */
	req.type_url = (char *)mg_ads_type_url(MG_ADS_CDS);
	ck_assert_int_eq(mg_ads_stream_on_request(&st, &req, &k, &t), -EINVAL);
	ck_assert(!st.has_node);
	/* A type meshgate does not serve. */
	ck_assert_int_eq(request(&st, MG_ADS_CDS, "", "", NULL, NULL, &k), 0);
	req.type_url = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret";
	ck_assert_int_eq(mg_ads_stream_on_request(&st, &req, &k, &t), -ENOENT);
	/* The empty generation: an empty response. */
	ck_assert_uint_eq(next(&st, MG_ADS_CDS, NULL, NULL), 0);
	ck_assert_int_eq(mg_ads_type_from_url("nope", &t), -ENOENT);
	mg_ads_stream_fini(&st);
	mg_ads_snapshot_unref(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ads_state");
	TCase *tc = tcase_create("sotw");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, initial_request_gets_a_response);
	tcase_add_test(tc, ack_records_the_version);
	tcase_add_test(tc, nack_keeps_acked_and_records_error);
	tcase_add_test(tc, stale_nonce_is_ignored);
	tcase_add_test(tc, change_repushes_only_changed_types_in_order);
	tcase_add_test(tc, due_responses_go_out_cds_eds_lds_rds);
	tcase_add_test(tc, eds_rds_send_requested_names_only);
	tcase_add_test(tc, subscription_change_responds);
	tcase_add_test(tc, bad_requests);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
