/*
 * test_buf.c — mg_buf: growth, printf at the edges of the free space, the
 * sticky -ENOMEM, and JSON string escaping (checked by Python's json).
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mg_buf.h"
#include "test_stats.h"

/* Many appends of every length around the allocation steps, against a flat reference copy. */
START_TEST(test_buf_growth)
{
	static char ref[1 << 20];
	struct mg_buf b;
	size_t ref_len = 0, n;
	unsigned i = 0;
	char piece[700];

	mg_buf_init(&b);
	ck_assert_ptr_null(b.data);
	while (ref_len < sizeof(ref) - 2000) {
		n = i % 600;
		memset(piece, 'a' + (int)(i % 26), n);
		if (i % 2 == 0) {
			ck_assert_int_eq(mg_buf_append(&b, piece, n), 0);
		} else {
			piece[n] = '\0';
			ck_assert_int_eq(mg_buf_printf(&b, "%s|%u", piece, i), 0);
			n += (size_t)sprintf(piece + n, "|%u", i);
		}
		memcpy(ref + ref_len, piece, n);
		ref_len += n;
		ck_assert_uint_eq(b.len, ref_len);
		ck_assert_uint_gt(b.cap, b.len);
		ck_assert_int_eq(b.data[b.len], '\0');
		i++;
	}
	ck_assert_int_eq(memcmp(b.data, ref, ref_len), 0);
	ck_assert_int_eq(b.err, 0);

	/* reset keeps the memory and empties the string */
	n = b.cap;
	mg_buf_reset(&b);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_uint_eq(b.cap, n);
	ck_assert_str_eq(b.data, "");
	mg_buf_free(&b);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.cap, 0);
}
END_TEST

/* printf output of exactly the free space, one less and one more. */
START_TEST(test_buf_printf_edges)
{
	struct mg_buf b;
	char s[600];
	size_t room, want;
	int d;

	for (d = -2; d <= 2; d++) {
		mg_buf_init(&b);
		ck_assert_int_eq(mg_buf_puts(&b, "x"), 0);
		room = b.cap - b.len; /* includes the byte the NUL needs */
		want = (size_t)((long)room - 1 + d);
		memset(s, 'y', want);
		s[want] = '\0';
		ck_assert_int_eq(mg_buf_printf(&b, "%s", s), 0);
		ck_assert_uint_eq(b.len, 1 + want);
		ck_assert_int_eq(b.data[0], 'x');
		ck_assert_int_eq(memcmp(b.data + 1, s, want), 0);
		ck_assert_int_eq(b.data[b.len], '\0');
		mg_buf_free(&b);
	}
	/* an empty format on an empty buffer allocates and stays a valid string */
	mg_buf_init(&b);
	ck_assert_int_eq(mg_buf_printf(&b, "%s", ""), 0);
	ck_assert_uint_eq(b.len, 0);
	mg_buf_free(&b);
}
END_TEST

START_TEST(test_buf_enomem)
{
	static const char junk[16] = "0123456789abcdef";
	struct mg_buf b;

	mg_buf_init(&b);
	ck_assert_int_eq(mg_buf_puts(&b, "keep"), 0);
	/* one byte past the limit, counting what is already there; SIZE_MAX must not wrap */
	ck_assert_int_eq(mg_buf_reserve(&b, MG_BUF_MAX - 3), -ENOMEM);
	ck_assert_int_eq(b.err, -ENOMEM);
	ck_assert_str_eq(b.data, "keep");
	/* sticky: later appends do nothing and report the error */
	ck_assert_int_eq(mg_buf_append(&b, junk, 4), -ENOMEM);
	ck_assert_int_eq(mg_buf_printf(&b, "%d", 42), -ENOMEM);
	ck_assert_int_eq(mg_buf_json_str(&b, "x"), -ENOMEM);
	ck_assert_uint_eq(b.len, 4);
	ck_assert_str_eq(b.data, "keep");
	mg_buf_reset(&b);
	ck_assert_int_eq(b.err, 0);
	ck_assert_int_eq(mg_buf_append(&b, junk, SIZE_MAX), -ENOMEM);
	ck_assert_uint_eq(b.len, 0);
	mg_buf_reset(&b);
	ck_assert_int_eq(mg_buf_append(&b, junk, sizeof(junk)), 0);
	ck_assert_uint_eq(b.len, sizeof(junk));
	mg_buf_free(&b);

	/* the same on a buffer that never allocated */
	mg_buf_init(&b);
	ck_assert_int_eq(mg_buf_append(&b, junk, MG_BUF_MAX + 1), -ENOMEM);
	ck_assert_int_eq(mg_buf_puts(&b, "x"), -ENOMEM);
	ck_assert_ptr_null(b.data);
	mg_buf_free(&b);
}
END_TEST

static const struct {
	const char *in;
	const char *out;
} json_cases[] = {
    {"", "\"\""},
    {"plain text", "\"plain text\""},
    {"a\"b\\c/d", "\"a\\\"b\\\\c/d\""},
    {"\n\r\t\b\f", "\"\\n\\r\\t\\b\\f\""},
    {"\x01\x1f x\x7f", "\"\\u0001\\u001f x\x7f\""},
    {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\""},
    {"\xff", "\"\xef\xbf\xbd\""},
    {"ab\xc3", "\"ab\xef\xbf\xbd\""},                             /* truncated at the end */
    {"\xc3x", "\"\xef\xbf\xbdx\""},                               /* truncated mid-string */
    {"\xc0\xaf", "\"\xef\xbf\xbd\xef\xbf\xbd\""},                 /* overlong '/' */
    {"\xe0\x80\xaf", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""}, /* overlong, 3 bytes */
    {"\xed\xa0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""}, /* surrogate U+D800 */
    {"\xed\x9f\xbf", "\"\xed\x9f\xbf\""},                         /* U+D7FF is fine */
    {"\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\""},                 /* U+10FFFF is fine */
    {"\xf4\x90\x80\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""},
    {"\x80z", "\"\xef\xbf\xbdz\""}, /* lone continuation byte */
};

START_TEST(test_buf_json_str)
{
	struct mg_buf b;

	mg_buf_init(&b);
	ck_assert_int_eq(mg_buf_json_str(&b, json_cases[_i].in), 0);
	ck_assert_msg(b.len == strlen(json_cases[_i].out) &&
	                  memcmp(b.data, json_cases[_i].out, b.len) == 0,
	              "case %d: got [%s] want [%s]", _i, b.data, json_cases[_i].out);
	mg_buf_free(&b);
}
END_TEST

/* Every byte value 1..255 in one string: Python's json must decode it to the right text. */
START_TEST(test_buf_json_str_python)
{
	char in[256], *got;
	struct mg_buf b;
	unsigned i;
	int rc;

	for (i = 1; i < 256; i++)
		in[i - 1] = (char)i;
	in[255] = '\0';
	mg_buf_init(&b);
	mg_buf_json_str(&b, in);
	mg_buf_puts(&b, "\n");
	ck_assert_int_eq(b.err, 0);
	/* Expected: the ASCII bytes as they are, each byte 0x80..0xff (none valid alone) as U+FFFD.
	 */
	got = test_run_python(b.data,
	                      "import json,sys\n"
	                      "s=json.loads(sys.stdin.buffer.read().decode('utf-8'))\n"
	                      "ok=s==''.join(map(chr,range(1,128)))+'\\ufffd'*128\n"
	                      "print('ok' if ok else 'bad '+repr(s))\n",
	                      &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(got, "ok\n");
	free(got);
	mg_buf_free(&b);
}
END_TEST

TCase *test_buf_tcase(void)
{
	TCase *tc = tcase_create("buf");

	tcase_add_test(tc, test_buf_growth);
	tcase_add_test(tc, test_buf_printf_edges);
	tcase_add_test(tc, test_buf_enomem);
	tcase_add_loop_test(tc, test_buf_json_str, 0,
	                    (int)(sizeof(json_cases) / sizeof(json_cases[0])));
	tcase_add_test(tc, test_buf_json_str_python);
	return tc;
}
