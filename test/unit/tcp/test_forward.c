/*
 * test_forward.c — the forward service (tcp_forward.c) between two fake
 * peers: a client that connects to FWD_PORT and the upstream the gateway
 * connects to (UP_PORT).  Both live at the harness's one peer address, told
 * apart by port; each is a small model of a TCP peer (fpeer) that keeps its
 * own sequence state, takes what we send in order, respects the window we
 * advertise, and ACKs with a window of its own (which shrinks while it does
 * not read).  pump() routes every segment we emit to its peer and lets the
 * peers ACK until nothing moves.
 *
 * Covered: relay both ways with contents checked, backpressure (a non-reading
 * upstream closes the client's window, and everything arrives once it reads),
 * half-close both ways, refused / unroutable / silent upstream and client or
 * upstream RST (an RST on the other side), worker fini with a pair open, and
 * connection counts back to zero.
 */
#include <errno.h>
#include <string.h>

#include "tcp/tcp_pvt.h"
#include "test_tcp.h"

#define FWD_PORT 8080
#define UP_PORT  9000
#define CLI_PORT 40000
#define RCVBUF   16384 /* the gateway's, per connection */
#define SNDBUF   8192
#define SEG      1460
#define RX_MAX   (1u << 18)
#define NO_ROUTE IP4(198, 19, 0, 1)
#define ROUNDS   20000

/* A fake peer: its TCP state towards one of our connections. */
struct fpeer {
	struct tpeer t;   /* ports and sequence numbers, swapped into P to inject */
	uint32_t snd_una; /* our last ACK */
	uint32_t snd_wnd; /* our last window (no scaling is negotiated) */
	uint32_t rcvbuf;  /* the window it offers when it has read everything */
	uint32_t unread;  /* bytes taken but not read (reads == false) */
	bool reads;       /* reads at once; else its window shrinks */
	bool need_ack;
	bool syn_seen, fin_seen, rst_seen;
	uint32_t sent;   /* payload bytes it has sent */
	uint32_t rx_len; /* payload bytes taken in order */
	uint8_t *rx;
};

static uint8_t cli_rx[RX_MAX], up_rx[RX_MAX];
static struct fpeer cli, up;

/* Client-to-upstream bytes follow mg_tcp_source_byte(); the other way another pattern. */
static uint8_t pat(const struct fpeer *f, uint32_t off)
{
	return f == &cli ? mg_tcp_source_byte(off) : (uint8_t)(off * 7 + 3);
}

static uint16_t fwin(const struct fpeer *f)
{
	return (uint16_t)(f->rcvbuf - f->unread);
}

/* Inject one segment from f with its sequence state (no pump). */
static void finject(struct fpeer *f, uint8_t flags, const void *data, uint32_t len)
{
	P = f->t;
	P.win = fwin(f);
	peer_send(flags, data, len);
	f->t = P;
}

static struct fpeer *peer_of(const struct tseg *s)
{
	if (s->dport == UP_PORT)
		return &up;
	ck_assert_uint_eq(s->dport, CLI_PORT);
	return &cli;
}

/* What the peer does with one segment of ours. */
static void take(struct fpeer *f, const struct tseg *s)
{
	if (s->flags & F_RST) {
		f->rst_seen = true;
		return;
	}
	if (s->flags & F_SYN) { /* our active open towards the upstream */
		ck_assert_ptr_eq(f, &up);
		f->syn_seen = true;
		f->t.lport = s->sport;
		f->t.rcv_nxt = s->seq + 1;
		return;
	}
	if ((s->flags & F_ACK) && SEQ_GEQ(s->ack, f->snd_una)) {
		f->snd_una = s->ack;
		f->snd_wnd = s->win;
	}
	if (s->len > 0) {
		f->need_ack = true;
		if (s->seq == f->t.rcv_nxt) {
			uint32_t n =
			    RTE_MIN(s->len, (uint32_t)fwin(f)); /* beyond the window: dropped */

			ck_assert_uint_le(f->rx_len + n, RX_MAX);
			memcpy(f->rx + f->rx_len, s->data, n);
			f->rx_len += n;
			f->t.rcv_nxt += n;
			if (!f->reads)
				f->unread += n;
		}
	}
	if ((s->flags & F_FIN) && s->seq + s->len == f->t.rcv_nxt) {
		f->t.rcv_nxt++;
		f->fin_seen = true;
		f->need_ack = true;
	}
}

/* Route what we sent to the peers and let them ACK, until quiet. */
static void pump(void)
{
	for (unsigned r = 0; r < ROUNDS; r++) {
		bool acked = false;

		while (out_pending() > 0) {
			struct tseg *s = out_next();

			take(peer_of(s), s);
		}
		for (struct fpeer *f = &cli; f != NULL; f = f == &cli ? &up : NULL) {
			if (f->need_ack && !f->rst_seen && f->t.rcv_nxt != 0) {
				f->need_ack = false;
				finject(f, F_ACK, NULL, 0);
				acked = true;
			}
		}
		if (!acked)
			return;
	}
	ck_abort_msg("pump: still busy after %u rounds", ROUNDS);
}

/* Let time pass in steps, pumping after each. */
static void wait_ms(uint64_t ms, uint64_t step)
{
	for (uint64_t t = 0; t < ms; t += step) {
		advance_ms(step);
		pump();
	}
}

/* Send f's data from f->sent up to total, as far as our window allows. */
static void push(struct fpeer *f, uint32_t total)
{
	static uint8_t d[SEG];

	while (f->sent < total && !f->rst_seen) {
		int32_t room = (int32_t)(f->snd_una + f->snd_wnd - f->t.snd_nxt);
		uint32_t n = RTE_MIN(total - f->sent, (uint32_t)SEG);

		if (room <= 0)
			return;
		n = RTE_MIN(n, (uint32_t)room);
		for (uint32_t i = 0; i < n; i++)
			d[i] = pat(f, f->sent + i);
		finject(f, F_ACK | F_PSH, d, n);
		f->sent += n;
		pump();
	}
}

/* Push from both peers and let time pass until each has received want_*. */
static void transfer(uint32_t to_up, uint32_t to_cli)
{
	for (unsigned i = 0; i < 4000 && (up.rx_len < to_up || cli.rx_len < to_cli); i++) {
		push(&cli, to_up);
		push(&up, to_cli);
		advance_ms(10);
		pump();
	}
	ck_assert_uint_eq(up.rx_len, to_up);
	ck_assert_uint_eq(cli.rx_len, to_cli);
	for (uint32_t k = 0; k < to_up; k++)
		ck_assert_msg(up.rx[k] == pat(&cli, k), "upstream byte %u", k);
	for (uint32_t k = 0; k < to_cli; k++)
		ck_assert_msg(cli.rx[k] == pat(&up, k), "client byte %u", k);
}

static void peers_reset(void)
{
	memset(&cli, 0, sizeof(cli));
	memset(&up, 0, sizeof(up));
	cli.rx = cli_rx;
	up.rx = up_rx;
	cli.t.port = CLI_PORT;
	cli.t.lport = FWD_PORT;
	cli.t.snd_nxt = 1000000;
	cli.rcvbuf = 65535;
	cli.reads = true;
	up.t.port = UP_PORT;
	up.t.snd_nxt = 7000000;
	up.rcvbuf = 65535;
	up.reads = true;
}

/* The client's handshake with the forward port; returns the SYN we sent upstream (flags). */
static void cli_connect(void)
{
	struct topts o = {.mss_on = true, .mss = SEG};
	struct tseg *s;

	P = cli.t;
	P.win = fwin(&cli);
	inject(F_SYN, P.snd_nxt, 0, NULL, 0, &o);
	cli.t.snd_nxt++;
	s = out_next();
	ck_assert_uint_eq(s->flags, F_SYN | F_ACK);
	ck_assert_uint_eq(s->dport, CLI_PORT);
	cli.t.rcv_nxt = s->seq + 1;
	cli.snd_una = s->ack;
	cli.snd_wnd = s->win;
	finject(&cli, F_ACK, NULL, 0); /* accepted: the gateway connects upstream */
	pump();
}

/* The upstream answers our SYN (offering window up_win). */
static void up_accept(void)
{
	struct topts o = {.mss_on = true, .mss = SEG};

	ck_assert(up.syn_seen);
	P = up.t;
	P.win = fwin(&up);
	inject(F_SYN | F_ACK, P.snd_nxt, P.rcv_nxt, NULL, 0, &o);
	up.t.snd_nxt++;
	up.snd_una = up.t.rcv_nxt;
	up.snd_wnd = RCVBUF;
	pump();
}

/* A relayed pair, both sides ESTABLISHED. */
static void fwd_open(void)
{
	cli_connect();
	up_accept();
	ck_assert_uint_eq(mg_tcp_count(tw, MG_TCP_ESTABLISHED), 2);
	ck_assert(!cli.rst_seen && !up.rst_seen);
}

/* Nothing left: no connection in any state, no slot used. */
static void expect_all_closed(void)
{
	for (unsigned s = 0; s < MG_TCP_N_STATES; s++)
		ck_assert_msg(mg_tcp_count(tw, s) == 0, "%u connection(s) in %s",
		              mg_tcp_count(tw, s), mg_tcp_state_name(s));
	ck_assert_uint_eq(tw->tcp->n_used, 0);
	expect_accounted();
}

static void fwd_setup_to(rte_be32_t dst)
{
	tconf.rcvbuf = RCVBUF;
	tconf.sndbuf = SNDBUF;
	tcp_setup();
	peers_reset();
	ck_assert_int_eq(mg_tcp_forward_start(tw, FWD_PORT, dst, UP_PORT), 0);
}

static void fwd_setup(void)
{
	fwd_setup_to(PEER_IP);
}

START_TEST(test_fwd_start_errors)
{
	ck_assert_int_eq(mg_tcp_forward_start(tw, FWD_PORT, PEER_IP, UP_PORT), -EADDRINUSE);
	ck_assert_int_eq(mg_tcp_forward_start(tw, FWD_PORT + 1, 0, UP_PORT), -EINVAL);
	ck_assert_int_eq(mg_tcp_forward_start(tw, FWD_PORT + 1, PEER_IP, 0), -EINVAL);
	ck_assert_int_eq(mg_tcp_forward_start(tw, 0, PEER_IP, UP_PORT), -EINVAL);
}
END_TEST

/* Data both ways, then the client half-closes first and the upstream goes on sending. */
START_TEST(test_fwd_relay_client_fin_first)
{
	fwd_open();
	transfer(5, 0);
	ck_assert(up.rx[0] == 0 && up.rx[4] == 4); /* mg_tcp_source_byte(k) == k here */
	transfer(100000, 90000);
	/* Client half-closes: the upstream sees FIN, and can still send. */
	finject(&cli, F_ACK | F_FIN, NULL, 0);
	pump();
	ck_assert(up.fin_seen);
	ck_assert(!cli.fin_seen);
	transfer(100000, 120000);
	ck_assert(!cli.fin_seen);
	finject(&up, F_ACK | F_FIN, NULL, 0);
	pump();
	ck_assert(cli.fin_seen);
	ck_assert(!cli.rst_seen && !up.rst_seen);
	/* The upstream side closed first on our end: it holds TIME-WAIT, the client side is gone.
	 */
	ck_assert_uint_eq(mg_tcp_count(tw, MG_TCP_TIME_WAIT), 1);
	ck_assert_uint_eq(mg_tcp_count(tw, MG_TCP_ESTABLISHED), 0);
	wait_ms(2 * MG_TCP_MSL_MS + 1000, 1000);
	expect_all_closed();
}
END_TEST

/* The upstream half-closes first; the client still sends, then closes. */
START_TEST(test_fwd_upstream_fin_first)
{
	fwd_open();
	transfer(3000, 20000);
	finject(&up, F_ACK | F_FIN, NULL, 0);
	pump();
	ck_assert(cli.fin_seen);
	ck_assert(!up.fin_seen);
	ck_assert_uint_eq(mg_tcp_count(tw, MG_TCP_CLOSE_WAIT), 1);
	ck_assert_uint_eq(mg_tcp_count(tw, MG_TCP_FIN_WAIT_2), 1);
	transfer(50000, 20000);
	ck_assert(!up.fin_seen);
	finject(&cli, F_ACK | F_FIN, NULL, 0);
	pump();
	ck_assert(up.fin_seen);
	ck_assert(!cli.rst_seen && !up.rst_seen);
	ck_assert_uint_eq(mg_tcp_count(tw, MG_TCP_TIME_WAIT), 1);
	wait_ms(2 * MG_TCP_MSL_MS + 1000, 1000);
	expect_all_closed();
}
END_TEST

/* A FIN from the client before the upstream answered: sent after the handshake, after the data. */
START_TEST(test_fwd_fin_before_upstream_open)
{
	cli_connect();
	ck_assert(up.syn_seen);
	push(&cli, 1000);
	finject(&cli, F_ACK | F_FIN, NULL, 0);
	pump();
	up_accept();
	ck_assert_uint_eq(up.rx_len, 1000);
	ck_assert(up.fin_seen);
	for (uint32_t k = 0; k < 1000; k++)
		ck_assert_uint_eq(up.rx[k], pat(&cli, k));
	transfer(1000, 5000);
	finject(&up, F_ACK | F_FIN, NULL, 0);
	pump();
	ck_assert(cli.fin_seen);
	wait_ms(2 * MG_TCP_MSL_MS + 1000, 1000);
	expect_all_closed();
}
END_TEST

/*
 * The upstream stops reading: its window closes, our send queue towards it
 * fills, the relay holds the client's bytes, and the client's window closes
 * too, with a bounded amount in between.  Once it reads, all of it arrives.
 */
START_TEST(test_fwd_backpressure)
{
	const uint32_t total = 120000, up_win = 4096;
	uint32_t accepted;

	up.rcvbuf = up_win;
	up.reads = false;
	fwd_open();
	for (unsigned i = 0; i < 200; i++) {
		push(&cli, total);
		advance_ms(50);
		pump();
	}
	accepted = cli.snd_una - (1000000 + 1);
	ck_assert_uint_eq(up.rx_len, up_win);
	ck_assert_uint_eq(cli.snd_wnd, 0);
	ck_assert_uint_lt(cli.sent, total);
	/* Upstream window + our send queue (sndbuf, plus the chain that crossed it) + rcvbuf. */
	ck_assert_uint_le(accepted, up_win + SNDBUF + RCVBUF + RCVBUF);
	ck_assert_uint_ge(accepted, up_win + SNDBUF + RCVBUF - 2 * SEG);
	ck_assert_uint_ge(tcnt(MG_TCP_IDX_send_eagain), 1);
	ck_assert_uint_eq(cli.sent, accepted);
	/* It reads again. */
	up.reads = true;
	up.unread = 0;
	up.rcvbuf = 65535;
	finject(&up, F_ACK, NULL, 0);
	pump();
	transfer(total, 0);
	ck_assert(!cli.rst_seen && !up.rst_seen);
}
END_TEST

/*
 * Odd-sized client segments, queued while the upstream handshake is pending:
 * every segment towards the upstream then spans several received mbufs at
 * odd offsets, and its checksum (verified by the harness) must still hold.
 */
START_TEST(test_fwd_odd_chunks)
{
	static uint8_t d[SEG];

	cli_connect();
	for (unsigned k = 0; k < 9; k++) {
		uint32_t n = k % 2 ? 701 : 333;

		for (uint32_t i = 0; i < n; i++)
			d[i] = (uint8_t)(0xf0 + ((cli.sent + i) % 13)); /* large words: carries */
		finject(&cli, F_ACK | F_PSH, d, n);
		cli.sent += n;
		pump();
	}
	up_accept();
	wait_ms(500, 50);
	ck_assert_uint_eq(up.rx_len, cli.sent);
	for (uint32_t i = 0; i < up.rx_len; i++)
		ck_assert_uint_eq(up.rx[i], (uint8_t)(0xf0 + (i % 13)));
}
END_TEST

/* Nothing listens upstream: the client, already accepted, gets an RST. */
START_TEST(test_fwd_upstream_refused)
{
	cli_connect();
	ck_assert(up.syn_seen);
	ck_assert(!cli.rst_seen);
	P = up.t;
	inject(F_RST | F_ACK, 0, up.t.rcv_nxt, NULL, 0, &(struct topts){0});
	pump();
	ck_assert(cli.rst_seen);
	expect_all_closed();
}
END_TEST

/* The upstream never answers: the client gets an RST when the SYN retries give up. */
START_TEST(test_fwd_upstream_timeout)
{
	cli_connect();
	ck_assert(up.syn_seen);
	wait_ms(200000, 1000);
	ck_assert(cli.rst_seen);
	ck_assert_uint_ge(tcnt(MG_TCP_IDX_rto_expired), MG_TCP_SYN_RETRIES);
	expect_all_closed();
}
END_TEST

/* No route to the destination: the connect fails at once and the client is refused. */
START_TEST(test_fwd_no_route)
{
	ck_assert_int_eq(mg_tcp_forward_start(tw, FWD_PORT + 1, NO_ROUTE, UP_PORT), 0);
	cli.t.lport = FWD_PORT + 1;
	cli_connect();
	ck_assert(cli.rst_seen);
	ck_assert(!up.syn_seen);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_rst_out_accept), 1);
	expect_all_closed();
}
END_TEST

/* A client RST mid-transfer aborts the upstream side (RST), and the reverse. */
START_TEST(test_fwd_client_rst)
{
	fwd_open();
	transfer(20000, 20000);
	push(&up, 30000); /* more in flight towards the client */
	P = cli.t;
	inject(F_RST | F_ACK, cli.t.snd_nxt, cli.t.rcv_nxt, NULL, 0, NULL);
	pump();
	ck_assert(up.rst_seen);
	ck_assert(!cli.rst_seen);
	expect_all_closed();
}
END_TEST

START_TEST(test_fwd_upstream_rst)
{
	fwd_open();
	transfer(20000, 20000);
	P = up.t;
	inject(F_RST | F_ACK, up.t.snd_nxt, up.t.rcv_nxt, NULL, 0, NULL);
	pump();
	ck_assert(cli.rst_seen);
	ck_assert(!up.rst_seen);
	expect_all_closed();
}
END_TEST

/* Many pairs one after another: nothing accumulates (slots, mbufs: teardown checks the pool). */
START_TEST(test_fwd_sequential)
{
	for (unsigned n = 0; n < 40; n++) {
		peers_reset();
		fwd_open();
		transfer(3000, 3000);
		finject(&cli, F_ACK | F_FIN, NULL, 0);
		pump();
		finject(&up, F_ACK | F_FIN, NULL, 0);
		pump();
		ck_assert(cli.fin_seen && up.fin_seen);
		ck_assert_uint_eq(mg_tcp_count(tw, MG_TCP_ESTABLISHED), 0);
		ck_assert_uint_eq(mg_tcp_count(tw, MG_TCP_LAST_ACK), 0);
	}
	/*
	 * The client port repeats: its side closes in LAST-ACK.  The upstream
	 * sides wait in TIME-WAIT (16 slots: the oldest are recycled).
	 */
	ck_assert_uint_ge(mg_tcp_count(tw, MG_TCP_TIME_WAIT), 1);
	wait_ms(2 * MG_TCP_MSL_MS + 1000, 1000);
	expect_all_closed();
}
END_TEST

/* Worker fini with a pair open and bytes held in the relay frees everything, sends nothing. */
START_TEST(test_fwd_fini_open_pair)
{
	up.rcvbuf = 2048;
	up.reads = false;
	fwd_open();
	for (unsigned i = 0; i < 20; i++) {
		push(&cli, 100000);
		advance_ms(50);
		pump();
	}
	ck_assert_uint_eq(cli.snd_wnd, 0); /* the relay holds bytes */
	mg_tcp_worker_fini(tw);
	ck_assert_uint_eq(out_pending(), 0);
}
END_TEST

TCase *tcase_forward(void);
TCase *tcase_forward(void)
{
	TCase *tc = tcase_create("forward");

	tcase_add_checked_fixture(tc, fwd_setup, tcp_teardown);
	tcase_add_test(tc, test_fwd_start_errors);
	tcase_add_test(tc, test_fwd_relay_client_fin_first);
	tcase_add_test(tc, test_fwd_upstream_fin_first);
	tcase_add_test(tc, test_fwd_fin_before_upstream_open);
	tcase_add_test(tc, test_fwd_backpressure);
	tcase_add_test(tc, test_fwd_odd_chunks);
	tcase_add_test(tc, test_fwd_upstream_refused);
	tcase_add_test(tc, test_fwd_upstream_timeout);
	tcase_add_test(tc, test_fwd_no_route);
	tcase_add_test(tc, test_fwd_client_rst);
	tcase_add_test(tc, test_fwd_upstream_rst);
	tcase_add_test(tc, test_fwd_sequential);
	tcase_add_test(tc, test_fwd_fini_open_pair);
	return tc;
}
