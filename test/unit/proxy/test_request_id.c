/*
 * test_request_id.c — the generated x-request-id (proxy/request_id.h) is
 * byte for byte what the snprintf it replaced wrote, for edge and random
 * words.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/request_id.h"

static void same_as_snprintf(uint64_t a, uint64_t b)
{
	char want[40], got[40];

	snprintf(want, sizeof(want), "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32),
	         (unsigned)(a >> 16) & 0xffff, (unsigned)a & 0xfff,
	         (unsigned)((b >> 48) & 0x3fff) | 0x8000,
	         (unsigned long long)(b & 0xffffffffffffULL));
	memset(got, 'Z', sizeof(got));
	mg_proxy_request_id(got, a, b);
	ck_assert_int_eq(got[MG_PROXY_REQUEST_ID_LEN], 'Z'); /* 36 bytes, no more */
	got[MG_PROXY_REQUEST_ID_LEN] = '\0';
	ck_assert_str_eq(got, want);
}

START_TEST(request_id_edges)
{
	static const uint64_t v[] = {0,
	                             1,
	                             0xf,
	                             0xfff,
	                             0x1000,
	                             0xffffffffull,
	                             0x100000000ull,
	                             0x0123456789abcdefull,
	                             0xfedcba9876543210ull,
	                             UINT64_MAX};

	for (unsigned i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		for (unsigned j = 0; j < sizeof(v) / sizeof(v[0]); j++)
			same_as_snprintf(v[i], v[j]);
}
END_TEST

START_TEST(request_id_random)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;

	for (unsigned i = 0; i < 100000; i++) {
		uint64_t a, b;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		a = x;
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		b = x;
		same_as_snprintf(a, b);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("request_id");
	TCase *tc = tcase_create("format");
	SRunner *sr;
	int nf;

	tcase_add_test(tc, request_id_edges);
	tcase_add_test(tc, request_id_random);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
