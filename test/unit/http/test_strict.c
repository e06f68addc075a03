/*
 * test_strict.c — every strictness rule rejects with its own reason, fed
 * whole, split at every byte and byte by byte; and a corpus of known
 * request-smuggling vectors (CL.TE, TE.CL, TE.TE obfuscations, chunk-size
 * tricks) rejected, none of them yielding a second request.
 */
#include <string.h>

#include "test_http.h"

#define CHUNKED_POST "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
#define GET_HOST     "GET / HTTP/1.1\r\nHost: a\r\n"

struct bad_msg {
	const char *name;
	enum mg_h1_kind kind;
	const char *text;
	uint32_t len;
	enum mg_h1_err err;
};

#define E(n) MG_H1_E_##n
/* Literals only: the length comes from sizeof, so embedded NULs count. */
#define Q(s, z, e) MG_H1_REQUEST, s, sizeof(s) - 1, e
#define R(s, z, e) MG_H1_RESPONSE, s, sizeof(s) - 1, e

static const struct bad_msg bad_msgs[] = {
    /* request line */
    {"double space", Q("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 0, E(bad_request_line))},
    {"HTAB separator", Q("GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", 0, E(bad_request_line))},
    {"no version", Q("GET /\r\nHost: a\r\n\r\n", 0, E(bad_request_line))},
    {"leading space", Q(" GET / HTTP/1.1\r\nHost: a\r\n\r\n", 0, E(bad_request_line))},
    {"method not a token", Q("G@T / HTTP/1.1\r\nHost: a\r\n\r\n", 0, E(bad_method))},
    {"method with NUL", Q("GE\0T / HTTP/1.1\r\nHost: a\r\n\r\n", 30, E(bad_method))},
    {"target with DEL", Q("GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n", 0, E(bad_target))},
    {"target with fragment", Q("GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n", 0, E(bad_target))},
    {"target with bad pct", Q("GET /%zz HTTP/1.1\r\nHost: a\r\n\r\n", 0, E(bad_target))},
    {"target with short pct", Q("GET /a% HTTP/1.1\r\nHost: a\r\n\r\n", 0, E(bad_target))},
    {"target with obs-text", Q("GET /\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", 0, E(bad_target))},
    {"target with quote", Q("GET /\" HTTP/1.1\r\nHost: a\r\n\r\n", 0, E(bad_target))},
    {"asterisk with GET", Q("GET * HTTP/1.1\r\nHost: a\r\n\r\n", 0, E(bad_target))},
    {"CONNECT origin-form", Q("CONNECT /x HTTP/1.1\r\nHost: a\r\n\r\n", 0, E(bad_target))},
    {"CONNECT without port", Q("CONNECT a.example HTTP/1.1\r\nHost: a\r\n\r\n", 0, E(bad_target))},
    {"no scheme", Q("GET a.example/x HTTP/1.1\r\nHost: a\r\n\r\n", 0, E(bad_target))},
    {"version lower case", Q("GET / http/1.1\r\nHost: a\r\n\r\n", 0, E(bad_version))},
    {"version 1.10", Q("GET / HTTP/1.10\r\nHost: a\r\n\r\n", 0, E(bad_version))},
    {"version trailing space", Q("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 0, E(bad_version))},
    {"SP in target", Q("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", 0, E(bad_version))},
    {"HTTP/2.0", Q("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 0, E(version_unsupported))},
    /* line structure */
    {"bare LF", Q("GET / HTTP/1.1\nHost: a\n\n", 0, E(bare_lf))},
    {"bare LF in field", Q(GET_HOST "X: a\nY: b\r\n\r\n", 0, E(bare_lf))},
    {"bare LF before request", Q("\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 0, E(bare_lf))},
    {"bare CR in value", Q(GET_HOST "X: a\rb\r\n\r\n", 0, E(bare_cr))},
    {"bare CR in request line", Q("GET /\r HTTP/1.1\r\nHost: a\r\n\r\n", 0, E(bare_cr))},
    {"bare CR before request", Q("\rGET / HTTP/1.1\r\nHost: a\r\n\r\n", 0, E(bare_cr))},
    {"CR CR LF", Q(GET_HOST "X: a\r\r\n\r\n", 0, E(bare_cr))},
    /* fields */
    {"obs-fold SP", Q(GET_HOST "X: a\r\n b\r\n\r\n", 0, E(obs_fold))},
    {"obs-fold HTAB", Q(GET_HOST "X: a\r\n\tb\r\n\r\n", 0, E(obs_fold))},
    {"space before colon", Q(GET_HOST "X : a\r\n\r\n", 0, E(header_name_ws))},
    {"HTAB before colon", Q(GET_HOST "X\t: a\r\n\r\n", 0, E(header_name_ws))},
    {"empty name", Q(GET_HOST ": a\r\n\r\n", 0, E(bad_header_name))},
    {"name not a token", Q(GET_HOST "X(y): a\r\n\r\n", 0, E(bad_header_name))},
    {"NUL in name", Q(GET_HOST "X\0Y: a\r\n\r\n", 32, E(bad_header_name))},
    {"no colon", Q(GET_HOST "X-No-Colon\r\n\r\n", 0, E(no_colon))},
    {"NUL in value", Q(GET_HOST "X: a\0b\r\n\r\n", 32, E(bad_header_value))},
    {"DEL in value", Q(GET_HOST "X: a\x7f\r\n\r\n", 0, E(bad_header_value))},
    {"VT in value", Q(GET_HOST "X: \x0b\r\n\r\n", 0, E(bad_header_value))},
    {"ESC in value", Q(GET_HOST "X: \x1b[0m\r\n\r\n", 0, E(bad_header_value))},
    /* Content-Length */
    {"CL empty", Q(GET_HOST "Content-Length:\r\n\r\n", 0, E(cl_invalid))},
    {"CL plus", Q(GET_HOST "Content-Length: +5\r\n\r\n", 0, E(cl_invalid))},
    {"CL minus", Q(GET_HOST "Content-Length: -1\r\n\r\n", 0, E(cl_invalid))},
    {"CL hex", Q(GET_HOST "Content-Length: 0x10\r\n\r\n", 0, E(cl_invalid))},
    {"CL inner space", Q(GET_HOST "Content-Length: 1 0\r\n\r\n", 0, E(cl_invalid))},
    {"CL overflow", Q(GET_HOST "Content-Length: 9223372036854775808\r\n\r\n", 0, E(cl_overflow))},
    {"CL overflow u64",
     Q(GET_HOST "Content-Length: 99999999999999999999\r\n\r\n", 0, E(cl_overflow))},
    {"CL list", Q(GET_HOST "Content-Length: 5, 5\r\n\r\n", 0, E(cl_list))},
    {"CL list differing", Q(GET_HOST "Content-Length: 5,6\r\n\r\n", 0, E(cl_list))},
    {"CL mismatch",
     Q(GET_HOST "Content-Length: 5\r\nContent-Length: 6\r\n\r\n", 0, E(cl_mismatch))},
    /* Host */
    {"missing Host", Q("GET / HTTP/1.1\r\nX: a\r\n\r\n", 0, E(missing_host))},
    {"two Hosts", Q(GET_HOST "Host: b\r\n\r\n", 0, E(multiple_host))},
    {"two Hosts HTTP/1.0", Q("GET / HTTP/1.0\r\nHost: a\r\nhost: a\r\n\r\n", 0, E(multiple_host))},
    {"Host with space", Q("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 0, E(bad_host))},
    {"Host with path", Q("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 0, E(bad_host))},
    {"Host with userinfo", Q("GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", 0, E(bad_host))},
    {"Connection not tokens", Q(GET_HOST "Connection: close x\r\n\r\n", 0, E(bad_connection))},
    /* chunked body */
    {"chunk size empty", Q(CHUNKED_POST "\r\n", 0, E(bad_chunk_size))},
    {"chunk size not hex", Q(CHUNKED_POST "g\r\n", 0, E(bad_chunk_size))},
    {"chunk size 0x", Q(CHUNKED_POST "0x5\r\nhello\r\n0\r\n\r\n", 0, E(bad_chunk_size))},
    {"chunk size negative", Q(CHUNKED_POST "-5\r\n", 0, E(bad_chunk_size))},
    {"chunk size trailing SP", Q(CHUNKED_POST "5 \r\nhello\r\n0\r\n\r\n", 0, E(bad_chunk_size))},
    {"chunk size leading SP", Q(CHUNKED_POST " 5\r\nhello\r\n0\r\n\r\n", 0, E(bad_chunk_size))},
    {"chunk size overflow", Q(CHUNKED_POST "10000000000000000\r\n", 0, E(chunk_size_overflow))},
    {"chunk size LF only", Q(CHUNKED_POST "5\nhello\r\n0\r\n\r\n", 0, E(chunk_missing_crlf))},
    {"chunk size CR only", Q(CHUNKED_POST "5\rhello\r\n0\r\n\r\n", 0, E(chunk_missing_crlf))},
    {"chunk data too long", Q(CHUNKED_POST "5\r\nhelloX\r\n0\r\n\r\n", 0, E(chunk_missing_crlf))},
    {"chunk data LF only", Q(CHUNKED_POST "5\r\nhello\n0\r\n\r\n", 0, E(chunk_missing_crlf))},
    {"ext empty", Q(CHUNKED_POST "5;\r\nhello\r\n0\r\n\r\n", 0, E(bad_chunk_ext))},
    {"ext space in name", Q(CHUNKED_POST "5;a b\r\nhello\r\n0\r\n\r\n", 0, E(bad_chunk_ext))},
    {"ext open quote", Q(CHUNKED_POST "5;a=\"b\r\nhello\r\n0\r\n\r\n", 0, E(bad_chunk_ext))},
    {"ext bare LF", Q(CHUNKED_POST "5;a\nhello\r\n0\r\n\r\n", 0, E(bad_chunk_ext))},
    {"ext no value", Q(CHUNKED_POST "5;a=\r\nhello\r\n0\r\n\r\n", 0, E(bad_chunk_ext))},
    {"ext trailing BWS", Q(CHUNKED_POST "5;a=b \r\nhello\r\n0\r\n\r\n", 0, E(bad_chunk_ext))},
    {"ext NUL", Q(CHUNKED_POST "5;a\0\r\nhello\r\n0\r\n\r\n", 70, E(bad_chunk_ext))},
    {"trailer obs-fold", Q(CHUNKED_POST "0\r\nX: a\r\n b\r\n\r\n", 0, E(obs_fold))},
    {"trailer bare LF", Q(CHUNKED_POST "0\r\nX: a\n\r\n", 0, E(bare_lf))},
    {"EOF inside body", Q(GET_HOST "Content-Length: 10\r\n\r\nabc", 0, E(truncated))},
    {"EOF inside head", Q("GET / HTTP/1.1\r\nHost: a\r\n", 0, E(truncated))},
    {"EOF inside chunk", Q(CHUNKED_POST "5\r\nhel", 0, E(truncated))},
    /* responses */
    {"status two digits", R("HTTP/1.1 20 OK\r\n\r\n", 0, E(bad_status_line))},
    {"status below 100", R("HTTP/1.1 099 X\r\n\r\n", 0, E(bad_status_line))},
    {"status glued reason", R("HTTP/1.1 200OK\r\n\r\n", 0, E(bad_status_line))},
    {"reason with CTL", R("HTTP/1.1 200 O\x01K\r\n\r\n", 0, E(bad_status_line))},
    {"response bad version", R("HTTP/1.x 200 OK\r\n\r\n", 0, E(bad_version))},
    {"response HTTP/0.9", R("HTTP/0.9 200 OK\r\n\r\n", 0, E(version_unsupported))},
    {"response CL and TE", R("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: "
                             "chunked\r\n\r\n0\r\n\r\n",
                             0, E(cl_and_te))},
    {"response chunked twice",
     R("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 0, E(te_chunked_twice))},
    {"response CL mismatch", R("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: "
                               "2\r\n\r\n",
                               0, E(cl_mismatch))},
    {"response chunked with params",
     R("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked;a=b\r\n\r\n", 0, E(te_invalid))},
};

/* Request smuggling vectors: each must be refused before any body byte is taken. */
static const struct bad_msg smuggling[] = {
    {"CL.TE", Q("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 13\r\nTransfer-Encoding: "
                "chunked\r\n\r\n0\r\n\r\nSMUGGLED",
                0, E(cl_and_te))},
    {"TE.CL", Q("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: "
                "3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n",
                0, E(cl_and_te))},
    {"TE.TE xchunked", Q(GET_HOST "Transfer-Encoding: xchunked\r\n\r\n", 0, E(te_not_chunked))},
    {"TE.TE chunked, identity",
     Q(GET_HOST "Transfer-Encoding: chunked, identity\r\n\r\n", 0, E(te_not_chunked))},
    {"TE.TE chunked then x",
     Q(GET_HOST "Transfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n", 0,
       E(te_not_chunked))},
    {"TE.TE x then chunked",
     Q(GET_HOST "Transfer-Encoding: x\r\nTransfer-Encoding: chunked\r\n\r\n", 0,
       E(te_unsupported))},
    {"TE.TE gzip, chunked",
     Q(GET_HOST "Transfer-Encoding: gzip, chunked\r\n\r\n", 0, E(te_unsupported))},
    {"TE.TE duplicate chunked",
     Q(GET_HOST "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 0,
       E(te_chunked_twice))},
    {"TE.TE chunked, chunked",
     Q(GET_HOST "Transfer-Encoding: chunked, chunked\r\n\r\n", 0, E(te_chunked_twice))},
    {"TE.TE space before colon",
     Q(GET_HOST "Transfer-Encoding : chunked\r\nContent-Length: 3\r\n\r\n", 0, E(header_name_ws))},
    {"TE.TE leading space line",
     Q(GET_HOST "X: y\r\n Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 0,
       E(obs_fold))},
    {"TE.TE leading space first line",
     Q("POST / HTTP/1.1\r\n Transfer-Encoding: chunked\r\nHost: a\r\n\r\n", 0, E(obs_fold))},
    {"TE.TE tab value with CL",
     Q(GET_HOST "Transfer-Encoding:\tchunked\r\nContent-Length: 3\r\n\r\n", 0, E(cl_and_te))},
    {"TE.TE vertical tab", Q(GET_HOST "Transfer-Encoding:\x0b"
                                      "chunked\r\n\r\n",
                             0, E(bad_header_value))},
    {"TE.TE form feed",
     Q(GET_HOST "Transfer-Encoding: chunked\x0c\r\n\r\n", 0, E(bad_header_value))},
    {"TE.TE quoted", Q(GET_HOST "Transfer-Encoding: \"chunked\"\r\n\r\n", 0, E(te_invalid))},
    {"TE.TE with parameter",
     Q(GET_HOST "Transfer-Encoding: chunked;q=1\r\n\r\n", 0, E(te_invalid))},
    {"TE.TE empty", Q(GET_HOST "Transfer-Encoding:\r\n\r\n", 0, E(te_invalid))},
    {"TE.TE commas only", Q(GET_HOST "Transfer-Encoding: , ,\r\n\r\n", 0, E(te_invalid))},
    {"TE.TE chunk", Q(GET_HOST "Transfer-Encoding: chunk\r\n\r\n", 0, E(te_not_chunked))},
    {"TE.TE bare CR", Q(GET_HOST "Transfer-Encoding: chunked\rX: y\r\n\r\n", 0, E(bare_cr))},
    {"TE.TE NUL in name",
     Q(GET_HOST "Transfer-Encoding\0: chunked\r\n\r\n", 52, E(bad_header_name))},
    {"TE.TE in HTTP/1.0 with CL",
     Q("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 0,
       E(cl_and_te))},
    {"CL.CL", Q(GET_HOST "Content-Length: 0\r\nContent-Length: 44\r\n\r\n", 0, E(cl_mismatch))},
    {"CL list same", Q(GET_HOST "Content-Length: 44, 44\r\n\r\n", 0, E(cl_list))},
    {"CL leading space line", Q(GET_HOST "X: y\r\n Content-Length: 44\r\n\r\n", 0, E(obs_fold))},
    {"chunk size with LF ext", Q(CHUNKED_POST "2;\nxx\r\n0\r\n\r\n", 0, E(bad_chunk_ext))},
    {"chunk size 64-bit wrap",
     Q(CHUNKED_POST "10000000000000005\r\nhello\r\n0\r\n\r\n", 0, E(chunk_size_overflow))},
    {"chunk size long leading zeros then overflow",
     Q(CHUNKED_POST "00000000000000000fffffffffffffffff\r\n", 0, E(chunk_size_overflow))},
    {"bare LF line terminators", Q("GET / HTTP/1.1\r\nHost: a\r\nX: a\n\n", 0, E(bare_lf))},
};

static void check_bad(const struct bad_msg *b)
{
	uint32_t len = b->len;
	enum mg_h1_method m = MG_H1_M_GET;
	const char *t =
	    check_all_splits(b->kind, NULL, &m, b->kind == MG_H1_RESPONSE, b->text, len, true);
	enum mg_h1_err e = text_err(t);

	ck_assert_msg(e == b->err, "%s: got %s, expected %s:\n%s", b->name, mg_h1_err_name(e),
	              mg_h1_err_name(b->err), t);
	/* Nothing of the message may have been delivered as complete. */
	ck_assert_msg(strstr(t, "END\n") == NULL, "%s: a message ended:\n%s", b->name, t);
	ck_assert_int_eq(mg_h1_err_status(e) / 100 >= 4, 1);
}

START_TEST(test_bad)
{
	check_bad(&bad_msgs[_i]);
}
END_TEST

START_TEST(test_smuggling)
{
	const struct bad_msg *b = &smuggling[_i];

	check_bad(b);
	/* Refused at the head: no body byte reached the application. */
	{
		enum mg_h1_method m = MG_H1_M_GET;
		const char *t = check_all_splits(b->kind, NULL, &m, 0, b->text, b->len, false);

		if (b->err != MG_H1_E_bad_chunk_ext && b->err != MG_H1_E_chunk_size_overflow)
			ck_assert_msg(strstr(t, "REQ ") == NULL, "%s: head accepted:\n%s", b->name,
			              t);
		ck_assert_msg(strstr(t, "BODY") == NULL, "%s: body delivered:\n%s", b->name, t);
	}
}
END_TEST

/* The -errno of each class and the sticky error. */
START_TEST(test_error_codes)
{
	struct mg_h1_parser p;
	struct mg_h1_counters c;
	static const char big[] =
	    "GET / HTTP/1.1\r\nHost: a\r\nX: 0123456789012345678901234567890\r\n";
	struct mg_h1_conf conf = {.max_head_bytes = 32};

	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(mg_h1_parser_init(&p, MG_H1_REQUEST, NULL, NULL, NULL, &c), 0);
	ck_assert_int_eq(mg_h1_parse(&p, "GET / HTTP/1.1\r\nX : y\r\n\r\n", 25), -EBADMSG);
	ck_assert_int_eq(mg_h1_parser_error(&p), MG_H1_E_header_name_ws);
	ck_assert_int_eq(mg_h1_parse(&p, "GET", 3), -EBADMSG);
	ck_assert_int_eq(mg_h1_parse_eof(&p), -EBADMSG);
	ck_assert_uint_eq(c.errors, 1);
	ck_assert_uint_eq(c.err_header_name_ws, 1);
	ck_assert_int_eq(mg_h1_err_status(MG_H1_E_header_name_ws), 400);
	mg_h1_parser_reset(&p);
	ck_assert_int_eq(mg_h1_parser_error(&p), MG_H1_E_NONE);
	ck_assert_int_eq(mg_h1_parse(&p, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 27), 27);
	ck_assert_uint_eq(c.requests, 1);
	mg_h1_parser_fini(&p);

	ck_assert_int_eq(mg_h1_parser_init(&p, MG_H1_REQUEST, &conf, NULL, NULL, &c), 0);
	ck_assert_int_eq(mg_h1_parse(&p, big, (uint32_t)strlen(big)), -EMSGSIZE);
	ck_assert_int_eq(mg_h1_parser_error(&p), MG_H1_E_head_too_large);
	ck_assert_int_eq(mg_h1_err_status(MG_H1_E_head_too_large), 431);
	ck_assert_int_eq(mg_h1_err_status(MG_H1_E_version_unsupported), 505);
	ck_assert_int_eq(mg_h1_err_status(MG_H1_E_te_unsupported), 501);
	ck_assert_int_eq(mg_h1_err_status(MG_H1_E_NONE), 0);
	ck_assert_str_eq(mg_h1_err_name(MG_H1_E_cl_and_te), "cl_and_te");
	ck_assert_str_eq(mg_h1_err_name(MG_H1_N_ERRS), "?");
	mg_h1_parser_fini(&p);
	ck_assert_int_eq(mg_h1_parser_init(&p, (enum mg_h1_kind)7, NULL, NULL, NULL, NULL),
	                 -EINVAL);
	conf.max_head_bytes = 8;
	ck_assert_int_eq(mg_h1_parser_init(&p, MG_H1_REQUEST, &conf, NULL, NULL, NULL), -EINVAL);
}
END_TEST

TCase *tcase_strict(void)
{
	TCase *tc = tcase_create("strict");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_bad, 0, (int)RTE_DIM(bad_msgs));
	tcase_add_loop_test(tc, test_smuggling, 0, (int)RTE_DIM(smuggling));
	tcase_add_test(tc, test_error_codes);
	return tc;
}
