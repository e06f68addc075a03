/*
 * test_sack.c — SACK-based loss recovery (RFC 6675, dataplane/tcp/
 * tcp_sack.c): ten segments out, three lost, the peer's duplicate ACKs carry
 * SACK blocks; exactly the holes are resent, in order, as pipe allows, never
 * what the peer holds; partial ACKs keep the recovery going; the full ACK
 * ends it.  Also: bad blocks ignored, and an RTO forgets the scoreboard.
 */
#include "test_tcp.h"

static uint32_t iss, mss;

/* Start of segment i of the ten. */
static uint32_t S(unsigned i)
{
	return iss + 1 + i * mss;
}

/* A duplicate ACK of S(1) with blocks given as segment-index pairs [a, b). */
static void dup_sack(unsigned n, const unsigned (*blk)[2])
{
	struct topts o = {.ts_on = true, .tsval = P.tsval, .tsecr = P.tsecr, .n_sack = n};

	for (unsigned k = 0; k < n; k++) {
		o.sack[k][0] = S(blk[k][0]);
		o.sack[k][1] = S(blk[k][1]);
	}
	inject(F_ACK, P.snd_nxt, S(1), NULL, 0, &o);
}

static void ack_to(unsigned seg, unsigned n, const unsigned (*blk)[2])
{
	struct topts o = {.ts_on = true, .tsval = P.tsval, .tsecr = P.tsecr, .n_sack = n};

	for (unsigned k = 0; k < n; k++) {
		o.sack[k][0] = S(blk[k][0]);
		o.sack[k][1] = S(blk[k][1]);
	}
	inject(F_ACK, P.snd_nxt, S(seg), NULL, 0, &o);
}

START_TEST(test_sack_recovery_three_holes)
{
	struct mg_tcp_conn *c;

	iss = open_passive(true);
	c = ev.conn;
	mss = c->mss;
	ck_assert(c->flags & MG_TCPF_SACK);
	ck_assert_int_eq(send_bytes(c, 0, 10 * mss), 0);
	for (unsigned i = 0; i < 10; i++)
		expect_seg(i == 9 ? F_ACK | F_PSH : F_ACK, S(i), P.snd_nxt, mss);
	/* Segments 1, 4 and 7 are lost.  0 arrives: */
	ack_to(1, 0, NULL);
	/* 2, 3, 5 arrive: duplicate ACKs with growing SACK information. */
	dup_sack(1, (const unsigned[][2]){{2, 3}});
	dup_sack(1, (const unsigned[][2]){{2, 4}});
	expect_none();
	dup_sack(2, (const unsigned[][2]){{5, 6}, {2, 4}});
	/* Three segments SACKed above snd_una: recovery; the first hole goes. */
	expect_seg(F_ACK, S(1), P.snd_nxt, mss);
	expect_none();
	ck_assert(c->flags & MG_TCPF_SACKREC);
	ck_assert_uint_eq(c->cwnd, c->ssthresh);
	/* 6 arrives: pipe (3 above the highest SACK + 1 resent) leaves no room. */
	dup_sack(2, (const unsigned[][2]){{5, 7}, {2, 4}});
	expect_none();
	/* 8 arrives: pipe drops to 2 segments; holes 4 and 7 go, nothing SACKed. */
	dup_sack(3, (const unsigned[][2]){{8, 9}, {5, 7}, {2, 4}});
	expect_seg(F_ACK, S(4), P.snd_nxt, mss);
	expect_seg(F_ACK, S(7), P.snd_nxt, mss);
	expect_none();
	/* 9 arrives: every hole is resent, no new data queued. */
	dup_sack(3, (const unsigned[][2]){{8, 10}, {5, 7}, {2, 4}});
	expect_none();
	/* The resent 1 arrives: partial ACK to 4; nothing more to send. */
	ack_to(4, 2, (const unsigned[][2]){{8, 10}, {5, 7}});
	expect_none();
	ck_assert(c->flags & MG_TCPF_RECOVERY);
	ack_to(7, 1, (const unsigned[][2]){{8, 10}});
	expect_none();
	/* The resent 7 arrives: the full ACK ends the recovery. */
	ack_to(10, 0, NULL);
	ck_assert(!(c->flags & (MG_TCPF_RECOVERY | MG_TCPF_SACKREC)));
	ck_assert_uint_eq(c->n_sb, 0);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_sack_recoveries), 1);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_sack_retransmits), 3);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_retransmits), 3);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_rto_expired), 0);
	expect_accounted();
}
END_TEST

/* Blocks below snd_una, beyond snd_max or empty are ignored; an RTO forgets the board. */
START_TEST(test_sack_bad_blocks_and_rto)
{
	struct mg_tcp_conn *c;
	struct topts o = {.ts_on = true, .n_sack = 3};

	iss = open_passive(true);
	c = ev.conn;
	mss = c->mss;
	ck_assert_int_eq(send_bytes(c, 0, 4 * mss), 0);
	for (unsigned i = 0; i < 4; i++)
		out_next();
	o.tsval = P.tsval;
	o.tsecr = P.tsecr;
	o.sack[0][0] = S(0) - 100, o.sack[0][1] = S(0); /* below snd_una (a D-SACK) */
	o.sack[1][0] = S(2), o.sack[1][1] = S(6);       /* beyond snd_max */
	o.sack[2][0] = S(2), o.sack[2][1] = S(2);       /* empty */
	inject(F_ACK, P.snd_nxt, S(0), NULL, 0, &o);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_sack_blocks_bad), 3);
	ck_assert_uint_eq(c->n_sb, 0);
	o.n_sack = 1;
	o.sack[0][0] = S(2), o.sack[0][1] = S(3);
	inject(F_ACK, P.snd_nxt, S(0), NULL, 0, &o);
	ck_assert_uint_eq(c->n_sb, 1);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_sack_blocks_in), 1);
	/* The RTO: go back to snd_una, forget what the peer said it holds. */
	advance_ms(200);
	expect_seg(F_ACK, S(0), P.snd_nxt, mss);
	ck_assert_uint_eq(c->n_sb, 0);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_rto_expired), 1);
}
END_TEST

/* Drain what was sent; true if a segment started at seq among it. */
static bool drained_has(uint32_t seq)
{
	bool seen = false;

	while (out_pending() > 0)
		seen |= out_next()->seq == seq;
	return seen;
}

/*
 * A retransmission lost too: hole 1 is resent, new data goes out after it,
 * and the peer SACKs that new data while 1 stays open.  Three segments past
 * the fence the resend counts as lost and goes again, without waiting for
 * the RTO; not one segment earlier (reordering).
 */
START_TEST(test_sack_lost_retransmit)
{
	struct mg_tcp_conn *c;

	iss = open_passive(true);
	c = ev.conn;
	mss = c->mss;
	ck_assert_int_eq(send_bytes(c, 0, 10 * mss), 0);
	for (unsigned i = 0; i < 10; i++)
		out_next();
	ack_to(1, 0, NULL);
	dup_sack(1, (const unsigned[][2]){{2, 3}});
	dup_sack(1, (const unsigned[][2]){{2, 4}});
	dup_sack(1, (const unsigned[][2]){{2, 5}});
	expect_seg(F_ACK, S(1), P.snd_nxt, mss); /* fast retransmit */
	ck_assert_uint_eq(c->rxt_fence, S(10));
	ck_assert_int_eq(send_bytes(c, 10 * mss, 10 * mss), 0);
	dup_sack(1, (const unsigned[][2]){{2, 10}});
	ck_assert(drained_has(S(10))); /* pipe fell: new data after the fence */
	ck_assert(!drained_has(S(1)));
	/* The resent 1 is lost; 10, 11, 12 arrive: not yet past the fence + 3. */
	dup_sack(1, (const unsigned[][2]){{2, 11}});
	dup_sack(1, (const unsigned[][2]){{2, 12}});
	ck_assert(!drained_has(S(1)));
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_sack_lost_retransmits), 0);
	dup_sack(1, (const unsigned[][2]){{2, 13}});
	ck_assert(drained_has(S(1)));
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_sack_lost_retransmits), 1);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_rto_expired), 0);
	/* Once is enough: more SACKs below the new fence resend nothing. */
	dup_sack(1, (const unsigned[][2]){{2, 14}});
	ck_assert(!drained_has(S(1)));
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_sack_lost_retransmits), 1);
	/* Everything arrives, as fast as it is sent. */
	for (unsigned round = 0; round < 10 && c->snd_una != S(20); round++) {
		(void)drained_has(0);
		ack_to((c->snd_max - S(0)) / mss, 0, NULL);
	}
	ck_assert_uint_eq(c->snd_una, S(20));
	ck_assert(!(c->flags & (MG_TCPF_RECOVERY | MG_TCPF_SACKREC)));
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_rto_expired), 0);
}
END_TEST

TCase *tcase_sack(void);
TCase *tcase_sack(void)
{
	TCase *tc = tcase_create("sack");

	tcase_add_checked_fixture(tc, tcp_setup, tcp_teardown);
	tcase_add_test(tc, test_sack_recovery_three_holes);
	tcase_add_test(tc, test_sack_bad_blocks_and_rto);
	tcase_add_test(tc, test_sack_lost_retransmit);
	return tc;
}

/*
 * A lost tail: the last two of five segments vanish and no duplicate ACK
 * comes.  About two round trips later a tail loss probe resends the last
 * segment; its SACK shows the hole and the SACK recovery resends it, long
 * before the 200 ms RTO.
 */
START_TEST(test_tail_loss_probe)
{
	struct mg_tcp_conn *c;
	struct tseg *t;
	uint64_t t0;

	iss = open_passive(true);
	c = ev.conn;
	mss = c->mss;
	/* An RTT sample of 10 ms: one round trip with data. */
	ck_assert_int_eq(send_bytes(c, 0, 100), 0);
	out_next();
	advance_ms(10);
	P.tsecr = 0;
	inject(F_ACK, P.snd_nxt, iss + 101, NULL, 0, NULL);
	ck_assert_uint_gt(c->srtt8, 0);
	iss += 100; /* S(i) from here on */
	ck_assert_int_eq(send_bytes(c, 100, 5 * mss), 0);
	for (unsigned i = 0; i < 5; i++)
		out_next();
	/* 0..2 arrive (the peer ACKs them), 3 and 4 are lost. */
	ack_to(3, 0, NULL);
	expect_none();
	t0 = now_ms();
	for (unsigned ms = 0; ms < 150 && out_pending() == 0; ms++)
		advance_ms(1);
	t = out_next();
	ck_assert_uint_lt(now_ms() - t0, 100); /* the probe, well before the RTO */
	ck_assert_uint_eq(t->seq, S(4));       /* the last segment again */
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_tlp_probes), 1);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_rto_expired), 0);
	/* Its ACK: 4 arrived, 3 did not — the hole shows, and 3 goes at once. */
	ack_to(3, 1, (const unsigned[][2]){{4, 5}});
	expect_seg(F_ACK, S(3), P.snd_nxt, mss);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_sack_recoveries), 1);
	ack_to(5, 0, NULL);
	ck_assert(!(c->flags & MG_TCPF_RECOVERY));
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_rto_expired), 0);
	expect_accounted();
}
END_TEST

static void setup_tlp(void)
{
	tcp_tlp = true;
	tcp_setup();
}

TCase *tcase_tlp(void);
TCase *tcase_tlp(void)
{
	TCase *tc = tcase_create("tlp");

	tcase_add_checked_fixture(tc, setup_tlp, tcp_teardown);
	tcase_add_test(tc, test_tail_loss_probe);
	return tc;
}
