/*
 * test_tcp.h — a packetdrill-like harness for the TCP unit tests: one
 * hand-built worker on a virtual clock (tsc_hz = 1e9, so a TSC tick is a
 * nanosecond and tests set time exactly), a capture port whose frames are
 * parsed back into segments, a fake peer that injects segments through the
 * real L2/L3 input path, and expectations on the exact segments emitted.
 *
 * Topology: we are 198.18.0.1 (iface 0, MTU 1500), the peer 198.18.0.2 with
 * a static neighbour entry (output is immediate, no ARP).
 */
#ifndef MG_TEST_TCP_H
#define MG_TEST_TCP_H

#include <check.h>
#include <stdint.h>

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "core/worker.h"
#include "net/net.h"
#include "tcp/tcp.h"

#define IP4(a, b, c, d) RTE_BE32(((uint32_t)(a) << 24) | ((b) << 16) | ((c) << 8) | (d))
#define OUR_IP          IP4(198, 18, 0, 1)
#define PEER_IP         IP4(198, 18, 0, 2)
#define POOL_SIZE       4095
#define LPORT           80
#define PPORT           40000

#define F_FIN RTE_TCP_FIN_FLAG
#define F_SYN RTE_TCP_SYN_FLAG
#define F_RST RTE_TCP_RST_FLAG
#define F_PSH RTE_TCP_PSH_FLAG
#define F_ACK RTE_TCP_ACK_FLAG

extern struct mg_worker *tw;
extern struct rte_mempool *tpool;

/** Options of a segment, parsed or to build. */
struct topts {
	bool mss_on, ws_on, sack_ok, ts_on;
	uint16_t mss;
	uint8_t ws;
	uint32_t tsval, tsecr;
	unsigned n_sack;
	uint32_t sack[4][2];
	bool raw_on; /* build: use raw[] as the options instead */
	uint8_t raw_len;
	uint8_t raw[40];
};

/** A segment we sent, parsed from the capture. */
struct tseg {
	uint8_t flags;
	uint32_t seq, ack;
	uint16_t win, sport, dport;
	uint32_t len;
	struct topts o;
	uint8_t data[2048];
};

/** The fake peer's side of one connection. */
struct tpeer {
	uint16_t port;    /* peer's port (host order) */
	uint16_t lport;   /* our port */
	uint32_t snd_nxt; /* peer's next sequence number */
	uint32_t rcv_nxt; /* what the peer has received from us (its ACK) */
	uint16_t win;     /* window field the peer sends */
	bool ts;          /* peer sends timestamps */
	uint32_t tsval;   /* peer's clock */
	uint32_t tsecr;   /* last TSval seen from us */
};
extern struct tpeer P;

/* Events the test callbacks recorded. */
struct tevents {
	unsigned opens, closes, peer_fins, writables, data_calls;
	int close_err;
	struct mg_tcp_conn *conn;
	uint32_t rx_len;
	uint8_t rx[1 << 16];
	/* Behaviour switches. */
	bool refuse_accept;
	bool close_on_peer_fin;
	bool abort_on_data;
	bool hold; /* do not release received data (recved) */
};
extern struct tevents ev;
extern const struct mg_tcp_cbs test_cbs;

/* Fixture (checked): worker, TCP with conf (max_conns 16 unless tconf set before), listener on
 * LPORT. */
extern struct mg_tcp_conf tconf;
extern bool tcp_tlp; /* set before tcp_setup to have tail loss probes (off in the other tests) */
void tcp_setup(void);
void tcp_teardown(void);

/* Clock: advance by ms, run TCP timers, flush TX. */
void advance_ms(uint64_t ms);
uint64_t now_ms(void);

/* Captured segments: count not yet taken, take the next (asserted to exist), drop all. */
unsigned out_pending(void);
struct tseg *out_next(void);
void out_clear(void);
/* Assert the next segment has flags, seq, ack, payload len; returns it. */
struct tseg *expect_seg(uint8_t flags, uint32_t seq, uint32_t ack, uint32_t len);
/* Assert nothing more was sent. */
void expect_none(void);

/* Inject a segment from the peer (P's ports; TS from P if P.ts; o may be NULL). */
void inject(uint8_t flags, uint32_t seq, uint32_t ack, const void *data, uint32_t len,
            const struct topts *o);
/* Inject from P with P's sequence state (seq = P.snd_nxt, ack = P.rcv_nxt), advancing P.snd_nxt. */
void peer_send(uint8_t flags, const void *data, uint32_t len);
/* Inject a raw frame (already built) and flush. */
void inject_frame(const uint8_t *f, uint32_t len);
/* Build the frame of a peer segment into f; returns its length. */
uint32_t build_seg(uint8_t *f, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win,
                   const void *data, uint32_t len, const struct topts *o);

/* Passive open to LPORT; peer offers MSS 1460, WS 7, SACK, TS when full. Returns our ISS. */
uint32_t open_passive(bool full);
/* Active open to PEER_IP:PPORT; peer answers with all options. Returns the connection. */
struct mg_tcp_conn *open_active(void);

/* Queue len bytes (pattern from off) on c through the stream ops. */
int send_bytes(struct mg_tcp_conn *c, uint32_t off, uint32_t len);

/* TCP counter by index, and the sum of the drop counters. */
uint64_t tcnt(unsigned idx);
uint64_t tdrops(void);
/* Every segment counted once: seg_in == seg_accepted + drops. */
void expect_accounted(void);

TCase *tcase_open(void);
TCase *tcase_data(void);
TCase *tcase_close(void);
TCase *tcase_rst(void);
TCase *tcase_misc(void);
TCase *tcase_services(void);
TCase *tcase_fuzz(void);
TCase *tcase_limits(void);
TCase *tcase_limits2(void);
TCase *tcase_backpressure(void);
TCase *tcase_misc2(void);
TCase *tcase_services_bp(void);
TCase *tcase_keepalive(void);
TCase *tcase_rcvwnd(void);
TCase *tcase_forward(void);
TCase *tcase_syncookie(void);
TCase *tcase_sack(void);
TCase *tcase_tlp(void);
TCase *tcase_cc(void);
TCase *tcase_rss(void);

#endif /* MG_TEST_TCP_H */
