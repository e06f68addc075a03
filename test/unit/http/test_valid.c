/*
 * test_valid.c — table-driven valid messages (requests and responses), each
 * fed whole, split in two at every byte and byte by byte: the transcript is
 * the expected one every time.  The table is shared with the round-trip
 * and fuzz tests (valid_msgs).
 */
#include <string.h>

#include "test_http.h"
#include "test_valid.h"

#define M(...)              \
	{                   \
		__VA_ARGS__ \
	}
#define REQ MG_H1_REQUEST
#define RES MG_H1_RESPONSE

const struct valid_msg valid_msgs[] = {
    {"simple GET", REQ, M(0), 0, "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n", false,
     "REQ GET(GET) / form=o 1.1 body=none cl=0 KA host=example.com {Host=example.com}\nEND\n"},
    {"POST with Content-Length", REQ, M(0), 0,
     "POST /submit?a=1&b=%20 HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Type: "
     "text/plain\r\n\r\nhello",
     false,
     "REQ POST(POST) /submit?a=1&b=%20 form=o 1.1 body=len cl=5 KA CL host=h "
     "{Host=h,Content-Length=5,Content-Type=text/plain}\nBODY 5:hello\nEND\n"},
    {"chunked, extensions, trailers", REQ, M(0), 0,
     "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n"
     "5;name=val; q = \"a b\\\"c\" ;x\r\nhello\r\n0a\r\n0123456789\r\n0;last\r\nX-Sum: "
     "42\r\nX-Other:  v \r\n\r\n",
     false,
     "REQ POST(POST) /up form=o 1.1 body=chunked cl=0 KA TE host=h "
     "{Host=h,Transfer-Encoding*=chunked,Trailer*=X-Sum}\nCHUNK 5\nBODY 5:hello\nCHUNK "
     "10\nBODY 10:0123456789\nCHUNK 0\nTRAILERS {X-Sum=42,X-Other=v}\nEND\n"},
    {"chunked, no trailers, case-insensitive coding", REQ, M(0), 0,
     "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: ChUnKeD\r\n\r\n1\r\nx\r\n0\r\n\r\n", false,
     "REQ POST(POST) / form=o 1.1 body=chunked cl=0 KA TE host=h "
     "{Host=h,Transfer-Encoding*=ChUnKeD}\nCHUNK 1\nBODY 1:x\nCHUNK 0\nTRAILERS {}\nEND\n"},
    {"HTTP/1.0 keep-alive", REQ, M(0), 0, "GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
     false,
     "REQ GET(GET) /old form=o 1.0 body=none cl=0 KA KEEPALIVE {Connection*=keep-alive}\nEND\n"},
    {"HTTP/1.0 default close", REQ, M(0), 0, "GET / HTTP/1.0\r\n\r\n", false,
     "REQ GET(GET) / form=o 1.0 body=none cl=0 {}\nEND\n"},
    {"HTTP/1.1 Connection: close", REQ, M(0), 0,
     "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", false,
     "REQ GET(GET) / form=o 1.1 body=none cl=0 CLOSE host=a {Host=a,Connection*=close}\nEND\n"},
    {"absolute-form", REQ, M(0), 0,
     "GET http://a.example:8080/p?q HTTP/1.1\r\nHost: a.example:8080\r\n\r\n", false,
     "REQ GET(GET) http://a.example:8080/p?q form=a 1.1 body=none cl=0 KA host=a.example:8080 "
     "{Host=a.example:8080}\nEND\n"},
    {"authority-form CONNECT", REQ, M(0), 0,
     "CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n", false,
     "REQ CONNECT(CONNECT) a.example:443 form=au 1.1 body=none cl=0 KA host=a.example:443 "
     "{Host=a.example:443}\nEND\n"},
    {"asterisk-form OPTIONS", REQ, M(0), 0, "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", false,
     "REQ OPTIONS(OPTIONS) * form=* 1.1 body=none cl=0 KA host=a {Host=a}\nEND\n"},
    {"extension method", REQ, M(0), 0, "PURGE /x HTTP/1.1\r\nHost: a\r\n\r\n", false,
     "REQ PURGE(?) /x form=o 1.1 body=none cl=0 KA host=a {Host=a}\nEND\n"},
    {"empty lines before the request line", REQ, M(0), 0,
     "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", false,
     "REQ GET(GET) / form=o 1.1 body=none cl=0 KA host=a {Host=a}\nEND\n"},
    {"hop-by-hop fields", REQ, M(0), 0,
     "GET / HTTP/1.1\r\nHost: a\r\nConnection: X-Foo, host\r\nX-Foo: 1\r\nX-Bar: 2\r\n"
     "Keep-Alive: timeout=5\r\nProxy-Connection: x\r\nTE: trailers\r\nUpgrade: h2c\r\n\r\n",
     false,
     "REQ GET(GET) / form=o 1.1 body=none cl=0 KA host=a {Host=a,Connection*=X-Foo, "
     "host,X-Foo*=1,X-Bar=2,Keep-Alive*=timeout=5,Proxy-Connection*=x,TE*=trailers,Upgrade*="
     "h2c}\nEND\n"},
    {"websocket upgrade", REQ, M(0), 0,
     "GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
     false,
     "REQ GET(GET) /chat form=o 1.1 body=none cl=0 KA UPGRADE WS host=a "
     "{Host=a,Upgrade*=websocket,Connection*=Upgrade,Sec-WebSocket-Key=dGhlIHNhbXBsZSBub25jZQ=="
     ",Sec-WebSocket-Version=13}\nEND\n"},
    {"Expect: 100-continue", REQ, M(0), 0,
     "PUT /f HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\nabc", false,
     "REQ PUT(PUT) /f form=o 1.1 body=len cl=3 KA CL EXPECT host=a "
     "{Host=a,Expect=100-Continue,Content-Length=3}\nBODY 3:abc\nEND\n"},
    {"identical duplicate Content-Length", REQ, M(0), 0,
     "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nhi", false,
     "REQ POST(POST) / form=o 1.1 body=len cl=2 KA CL host=a "
     "{Host=a,Content-Length=2,Content-Length=2}\nBODY 2:hi\nEND\n"},
    {"Content-Length: 0", REQ, M(0), 0, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
     false,
     "REQ POST(POST) / form=o 1.1 body=none cl=0 KA CL host=a {Host=a,Content-Length=0}\nEND\n"},
    {"obs-text, HTAB OWS, empty value", REQ, M(0), 0,
     "GET / HTTP/1.1\r\nHost: a\r\nX-A:\t\xc3\xa9t\xc3\xa9 \t\r\nX-Empty:\r\n\r\n", false,
     "REQ GET(GET) / form=o 1.1 body=none cl=0 KA host=a "
     "{Host=a,X-A=\xc3\xa9t\xc3\xa9,X-Empty=}\nEND\n"},
    {"chunked HTTP/1.0: close after", REQ, M(0), 0,
     "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n"
     "3\r\nabc\r\n0\r\n\r\n",
     false,
     "REQ POST(POST) / form=o 1.0 body=chunked cl=0 TE KEEPALIVE "
     "{Transfer-Encoding*=chunked,Connection*=keep-alive}\nCHUNK 3\nBODY 3:abc\nCHUNK "
     "0\nTRAILERS {}\nEND\n"},
    {"empty Host", REQ, M(0), 0, "GET / HTTP/1.1\r\nHost:\r\n\r\n", false,
     "REQ GET(GET) / form=o 1.1 body=none cl=0 KA {Host=}\nEND\n"},
    {"pipelined requests", REQ, M(0), 0,
     "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: "
     "3\r\n\r\nabcGET /3 HTTP/1.1\r\nHost: a\r\n\r\n",
     false,
     "REQ GET(GET) /1 form=o 1.1 body=none cl=0 KA host=a {Host=a}\nEND\n"
     "REQ POST(POST) /2 form=o 1.1 body=len cl=3 KA CL host=a "
     "{Host=a,Content-Length=3}\nBODY 3:abc\nEND\n"
     "REQ GET(GET) /3 form=o 1.1 body=none cl=0 KA host=a {Host=a}\nEND\n"},
    {"200 with Content-Length", RES, M(MG_H1_M_GET), 1,
     "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", false,
     "RES 200 OK for=GET 1.1 body=len cl=2 KA CL {Content-Length=2}\nBODY 2:hi\nEND\n"},
    {"response gzip, chunked", RES, M(MG_H1_M_GET), 1,
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n", false,
     "RES 200 OK for=GET 1.1 body=chunked cl=0 KA TE {Transfer-Encoding*=gzip, "
     "chunked}\nCHUNK 2\nBODY 2:ab\nCHUNK 0\nTRAILERS {}\nEND\n"},
    {"response read until close", RES, M(MG_H1_M_GET), 1, "HTTP/1.0 200 OK\r\n\r\nsome body", true,
     "RES 200 OK for=GET 1.0 body=close cl=0 {}\nBODY 9:some body\nEND\nEOF\n"},
    {"response final coding not chunked: until close", RES, M(MG_H1_M_GET), 1,
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxyz", true,
     "RES 200 OK for=GET 1.1 body=close cl=0 TE {Transfer-Encoding*=gzip}\nBODY "
     "3:xyz\nEND\nEOF\n"},
    {"response to HEAD", RES, M(MG_H1_M_HEAD), 1, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n",
     false, "RES 200 OK for=HEAD 1.1 body=none cl=100 KA CL {Content-Length=100}\nEND\n"},
    {"204", RES, M(MG_H1_M_GET), 1, "HTTP/1.1 204 No Content\r\n\r\n", false,
     "RES 204 No Content for=GET 1.1 body=none cl=0 KA {}\nEND\n"},
    {"304 with Content-Length", RES, M(MG_H1_M_GET), 1,
     "HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n", false,
     "RES 304 Not Modified for=GET 1.1 body=none cl=50 KA CL {Content-Length=50}\nEND\n"},
    {"100 Continue then 200", RES, M(MG_H1_M_PUT), 1,
     "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz", false,
     "RES 100 Continue for=PUT 1.1 body=none cl=0 KA {}\nEND\n"
     "RES 200 OK for=PUT 1.1 body=len cl=1 KA CL {Content-Length=1}\nBODY 1:z\nEND\n"},
    {"101 Switching Protocols", RES, M(MG_H1_M_GET), 1,
     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: "
     "Upgrade\r\n\r\n\x81\x05hello",
     false,
     "RES 101 Switching Protocols for=GET 1.1 body=none cl=0 UPGRADE WS TUNNEL "
     "{Upgrade*=websocket,Connection*=Upgrade}\nEND\nTUNNEL @77\n"},
    {"200 to CONNECT", RES, M(MG_H1_M_CONNECT), 1,
     "HTTP/1.1 200 Connection Established\r\n\r\nrawbytes", false,
     "RES 200 Connection Established for=CONNECT 1.1 body=none cl=0 TUNNEL {}\nEND\nTUNNEL "
     "@39\n"},
    {"status line without reason", RES, M(MG_H1_M_GET), 1,
     "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", false,
     "RES 200  for=GET 1.1 body=none cl=0 KA CL {Content-Length=0}\nEND\n"},
    {"pipelined responses to HEAD and GET", RES, M(MG_H1_M_HEAD, MG_H1_M_GET), 2,
     "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: "
     "5\r\n\r\nhello",
     false,
     "RES 200 OK for=HEAD 1.1 body=none cl=5 KA CL {Content-Length=5}\nEND\n"
     "RES 200 OK for=GET 1.1 body=len cl=5 KA CL {Content-Length=5}\nBODY 5:hello\nEND\n"},
};

const unsigned n_valid_msgs = RTE_DIM(valid_msgs);

START_TEST(test_valid_splits)
{
	const struct valid_msg *v = &valid_msgs[_i];
	const char *t = check_all_splits(v->kind, NULL, v->methods, v->n_methods, v->text,
	                                 (uint32_t)strlen(v->text), v->eof);

	ck_assert_msg(strcmp(t, v->expect) == 0, "%s:\n%s--- expected:\n%s", v->name, t, v->expect);
}
END_TEST

TCase *tcase_valid(void)
{
	TCase *tc = tcase_create("valid");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_valid_splits, 0, (int)n_valid_msgs);
	return tc;
}
