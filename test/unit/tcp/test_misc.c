/*
 * test_misc.c — validation drops (checksum, data offset, runt, flags,
 * ports), TIME-WAIT recycling when the table is full and reuse by a newer
 * SYN, the counter table, the SYN-backlog and connection-table limits.
 */
#include <errno.h>
#include <string.h>

#include "test_tcp.h"

static uint8_t f[2048];

static struct rte_ipv4_hdr *fip(void)
{
	return (struct rte_ipv4_hdr *)(f + RTE_ETHER_HDR_LEN);
}

static struct rte_tcp_hdr *fth(void)
{
	return (struct rte_tcp_hdr *)(fip() + 1);
}

START_TEST(test_bad_segments)
{
	uint32_t n;

	/* Bad checksum. */
	n = build_seg(f, F_SYN, 1, 0, 1000, NULL, 0, &(struct topts){0});
	fth()->cksum ^= 0x0101;
	inject_frame(f, n);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_drop_bad_cksum), 1);
	/* Data offset below 5 words, and beyond the segment. */
	n = build_seg(f, F_SYN, 1, 0, 1000, NULL, 0, &(struct topts){0});
	fth()->data_off = 4 << 4;
	inject_frame(f, n);
	fth()->data_off = 15 << 4;
	inject_frame(f, n);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_drop_bad_offset), 2);
	/* Shorter than a TCP header. */
	n = build_seg(f, F_SYN, 1, 0, 1000, NULL, 0, &(struct topts){0});
	fip()->total_length = rte_cpu_to_be_16(sizeof(struct rte_ipv4_hdr) + 12);
	fip()->hdr_checksum = 0;
	fip()->hdr_checksum = rte_ipv4_cksum(fip());
	inject_frame(f, n);
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_drop_runt), 1);
	/* SYN with FIN, and no flags at all. */
	inject(F_SYN | F_FIN, 1, 0, NULL, 0, &(struct topts){0});
	inject(0, 1, 0, NULL, 0, &(struct topts){0});
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_drop_bad_flags), 2);
	/* Source port 0. */
	P.port = 0;
	inject(F_SYN, 1, 0, NULL, 0, &(struct topts){0});
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_drop_bad_port), 1);
	/* Malformed options end parsing but do not drop: a SYN-ACK with MSS only. */
	P.port = PPORT;
	{
		struct topts o = {
		    .raw_on = true, .raw_len = 8, .raw = {2, 4, 0x05, 0xb4, 8, 40, 1, 1}};
		struct tseg *s;

		inject(F_SYN, 1, 0, NULL, 0, &o);
		s = out_next();
		ck_assert_uint_eq(s->flags, F_SYN | F_ACK);
		ck_assert(!s->o.ts_on);
	}
	expect_none();
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_seg_in), 8);
	expect_accounted();
}
END_TEST

/* Close the current connection from our side into TIME-WAIT. */
static void to_time_wait(uint32_t iss)
{
	mg_tcp_stream_ops.close(ev.conn);
	P.rcv_nxt = iss + 2;
	peer_send(F_ACK | F_FIN, NULL, 0);
	out_clear();
	ck_assert_uint_eq(mg_tcp_count(tw, MG_TCP_TIME_WAIT), 1);
}

START_TEST(test_time_wait_recycled)
{
	uint32_t iss = open_passive(false);

	to_time_wait(iss);
	P.port = PPORT + 1;
	memset(&ev, 0, sizeof(ev));
	open_passive(false); /* the second slot */
	P.port = PPORT + 2;
	inject(F_SYN, 5, 0, NULL, 0, &(struct topts){0}); /* table full: TIME-WAIT gives way */
	{
		struct tseg *s = out_next();

		ck_assert_uint_eq(s->flags, F_SYN | F_ACK);
		ck_assert_uint_eq(s->ack, 6);
	}
	ck_assert_uint_eq(tcnt(MG_TCP_IDX_time_wait_recycled), 1);
	ck_assert_uint_eq(mg_tcp_count(tw, MG_TCP_TIME_WAIT), 0);
	ck_assert_uint_eq(tw->tcp->n_used, 2);
}
END_TEST

START_TEST(test_time_wait_reuse)
{
	uint32_t iss = open_passive(false);

	to_time_wait(iss);
	/* An old SYN (below rcv_nxt) is just ACKed; a newer one opens a new connection. */
	inject(F_SYN, P.snd_nxt - 100, 0, NULL, 0, &(struct topts){0});
	expect_seg(F_ACK, iss + 2, P.snd_nxt, 0);
	inject(F_SYN, P.snd_nxt + 100000, 0, NULL, 0, &(struct topts){0});
	ck_assert_uint_eq(out_next()->flags, F_SYN | F_ACK);
	ck_assert_uint_eq(mg_tcp_count(tw, MG_TCP_TIME_WAIT), 0);
	ck_assert_uint_eq(mg_tcp_count(tw, MG_TCP_SYN_RECEIVED), 1);
}
END_TEST

START_TEST(test_counter_table)
{
	ck_assert_str_eq(mg_tcp_counter_descs[MG_TCP_IDX_seg_in].name, "seg_in");
	ck_assert_str_eq(mg_tcp_counter_descs[MG_TCP_IDX_drop_bad_cksum].name, "drop_bad_cksum");
	ck_assert_int_eq(mg_tcp_counter_descs[MG_TCP_IDX_drop_paws].kind, MG_TCP_KIND_DROP);
	ck_assert_str_eq(mg_tcp_state_name(MG_TCP_TIME_WAIT), "TIME_WAIT");
	ck_assert_str_eq(mg_tcp_state_name(99), "?");
	ck_assert_int_eq(mg_tcp_listen(tw, 0, LPORT, &test_cbs, NULL, NULL), -EINVAL);
	ck_assert_int_eq(mg_tcp_worker_init(tw, NULL), -EEXIST);
	{
		struct mg_worker w2 = {.dp = tw->dp, .net = tw->net, .pool = tw->pool};
		struct mg_tcp_conf c2 = {.cc = "cubic", .max_conns = 8};

		ck_assert_int_eq(mg_tcp_worker_init(&w2, &c2), 0);
		ck_assert_str_eq(w2.tcp->cc->name, "cubic");
		mg_tcp_worker_fini(&w2);
		strcpy(c2.cc, "vegas");
		ck_assert_int_eq(mg_tcp_worker_init(&w2, &c2), -EINVAL);
		strcpy(c2.cc, "newreno");
		c2.max_conns = 8;
		ck_assert_int_eq(mg_tcp_worker_init(&w2, &c2), 0);
		mg_tcp_worker_fini(&w2);
		ck_assert_ptr_null(w2.tcp);
	}
}
END_TEST

static void setup_two(void)
{
	tconf.max_conns = 2;
	tcp_setup();
}

TCase *tcase_misc(void)
{
	TCase *tc = tcase_create("misc");

	tcase_add_checked_fixture(tc, tcp_setup, tcp_teardown);
	tcase_add_test(tc, test_bad_segments);
	tcase_add_test(tc, test_time_wait_reuse);
	tcase_add_test(tc, test_counter_table);
	return tc;
}

TCase *tcase_misc2(void);
TCase *tcase_misc2(void)
{
	TCase *tc = tcase_create("time_wait_table");

	tcase_add_checked_fixture(tc, setup_two, tcp_teardown);
	tcase_add_test(tc, test_time_wait_recycled);
	return tc;
}
