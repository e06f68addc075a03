/*
 * mg_pktgen.c — mg-pktgen, a small DPDK packet generator for the gateway's
 * L3 path: ICMP echo requests out of one port, echo replies checked and
 * counted as they come back, one JSON line of results at the end.
 *
 * One lcore does everything in one loop (build a burst, send it, poll RX,
 * answer ARP).  Rejected: separate TX and RX lcores, because on the 2-CPU
 * test machines a second busy thread only time-slices with the first, and
 * two threads would have to share the TX queue for ARP replies.  Requests
 * vary the source address over a /24 (so an RSS port would spread them)
 * and the ICMP id/seq; checksums are patched incrementally from sums taken
 * once over the template, so building a request costs a 64-byte copy and a
 * few adds.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>

#define PG_BURST        32
#define PG_NB_MBUFS     8191
#define PG_RING_SIZE    1024
#define PG_MAX_DURATION 60
#define PG_FCS_LEN      4 /* --size counts the FCS, as RFC 2544 does; the port adds it */
#define PG_HDRS_LEN     (RTE_ETHER_HDR_LEN + sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_icmp_hdr))
#define PG_DRAIN_MS     250 /* keep receiving this long after the last request */
#define PG_ARP_EVERY_MS 200

struct pg_opts {
	rte_be32_t dst_ip;   /* the gateway */
	rte_be32_t local_ip; /* our address on the link: ARP sender, answered */
	rte_be32_t src_net;  /* sources are its hosts .1-.254; 0: local_ip only */
	struct rte_ether_addr dst_mac;
	bool have_dst_mac;
	unsigned size;      /* frame size including FCS */
	double rate_mpps;   /* 0: as fast as the port takes them */
	unsigned duration;  /* seconds */
	uint64_t count;     /* 0: no limit */
	unsigned link_wait; /* seconds */
	bool hold;          /* keep the port open after the report until a signal */
};

struct pg_stats {
	uint64_t tx, tx_deferred, replies, rx_bad, rx_arp, rx_other;
	uint64_t t_start, t_end; /* TSC of the first and the last request sent */
};

struct pg {
	struct pg_opts o;
	uint16_t port;
	struct rte_ether_addr mac;
	struct rte_mempool *pool;
	uint8_t tmpl[RTE_ETHER_MAX_LEN];
	uint16_t len;      /* bytes of tmpl sent (size - FCS) */
	uint32_t ip_sum;   /* raw IPv4 header sum of the template (checksum 0) */
	uint16_t src_lo;   /* the template source's low 16-bit word, as in memory */
	uint32_t icmp_sum; /* raw ICMP sum without checksum, id and seq */
	struct rte_mbuf *pending[PG_BURST]; /* built but not yet taken by the port */
	uint16_t n_pending;
	struct pg_stats st;
};

static volatile sig_atomic_t pg_stop;

static void on_signal(int sig)
{
	(void)sig;
	pg_stop = 1;
}

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "Usage: mg-pktgen [EAL options] -- --dst-ip A --local-ip A [options]\n"
	    "\n"
	    "Sends ICMP echo requests to --dst-ip out of the first DPDK port (e.g. EAL\n"
	    "'--vdev net_memif0,role=client,socket=PATH'), checks the echo replies and prints\n"
	    "one JSON line: tx, replies, Mpps, errors.\n"
	    "\n"
	    "Options (after --):\n"
	    "  --dst-ip A         address to ping (the gateway)             (required)\n"
	    "  --local-ip A       our address on the link (ARP sender)      (required)\n"
	    "  --src-net A/24     vary the source over hosts .1-.254 of this /24 (the\n"
	    "                     gateway needs a route for it via --local-ip)\n"
	    "  --dst-mac MAC      the gateway's MAC (default: resolve by ARP)\n"
	    "  --size N           frame size in bytes including FCS, %zu..1518 (default 64)\n"
	    "  --rate MPPS        requests per second in millions (default 0 = full speed)\n"
	    "  --duration S       seconds of traffic, 1..%d (default 3)\n"
	    "  --count N          stop after N requests (default 0 = no limit)\n"
	    "  --link-wait S      seconds to wait for the link and ARP (default 10)\n"
	    "  --hold             after the report, keep the link up until SIGTERM/SIGINT\n"
	    "                     (so the peer can stop first; see below)\n"
	    "  --help             show this help and exit\n"
	    "\n"
	    "Exit status: 0 when it ran (even with losses), 1 on a setup error, 2 on bad usage.\n"
	    "\n"
	    "--hold exists because DPDK 22.11's memif PMD unmaps the shared rings from its\n"
	    "interrupt thread when the peer disconnects, racing a peer that is still polling;\n"
	    "stopping the gateway first, while we hold the link, avoids that race.\n",
	    PG_HDRS_LEN + PG_FCS_LEN, PG_MAX_DURATION);
}

static int parse_ip(const char *s, rte_be32_t *out)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*out = a.s_addr;
	return 0;
}

static int parse_net24(const char *s, rte_be32_t *out)
{
	char buf[32];
	const char *slash = strchr(s, '/');

	if (slash == NULL || strcmp(slash, "/24") != 0 || (size_t)(slash - s) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = '\0';
	if (parse_ip(buf, out) < 0 || (rte_be_to_cpu_32(*out) & 0xff) != 0)
		return -EINVAL;
	return 0;
}

static int parse_uint(const char *s, unsigned long long lo, unsigned long long hi,
                      unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || *out < lo || *out > hi || s[0] == '-')
		return -EINVAL;
	return 0;
}

static int parse_opt(struct pg_opts *o, int opt, const char *arg)
{
	unsigned long long v;
	char *end;

	switch (opt) {
	case 'd':
		return parse_ip(arg, &o->dst_ip);
	case 'l':
		return parse_ip(arg, &o->local_ip);
	case 'n':
		return parse_net24(arg, &o->src_net);
	case 'm':
		o->have_dst_mac = true;
		return rte_ether_unformat_addr(arg, &o->dst_mac) == 0 ? 0 : -EINVAL;
	case 's':
		if (parse_uint(arg, PG_HDRS_LEN + PG_FCS_LEN, RTE_ETHER_MAX_LEN, &v) < 0)
			return -EINVAL;
		o->size = (unsigned)v;
		return 0;
	case 'r':
		o->rate_mpps = strtod(arg, &end);
		return (*end != '\0' || end == arg || o->rate_mpps < 0) ? -EINVAL : 0;
	case 't':
		if (parse_uint(arg, 1, PG_MAX_DURATION, &v) < 0)
			return -EINVAL;
		o->duration = (unsigned)v;
		return 0;
	case 'c':
		if (parse_uint(arg, 0, UINT64_MAX, &v) < 0)
			return -EINVAL;
		o->count = v;
		return 0;
	case 'H':
		o->hold = true;
		return 0;
	case 'w':
		if (parse_uint(arg, 1, 600, &v) < 0)
			return -EINVAL;
		o->link_wait = (unsigned)v;
		return 0;
	default:
		return -EINVAL;
	}
}

/* Parse the options after EAL's; returns 0, 1 for --help, or -EINVAL. */
static int parse_args(struct pg_opts *o, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dst-ip", required_argument, NULL, 'd'},
	    {"local-ip", required_argument, NULL, 'l'},
	    {"src-net", required_argument, NULL, 'n'},
	    {"dst-mac", required_argument, NULL, 'm'},
	    {"size", required_argument, NULL, 's'},
	    {"rate", required_argument, NULL, 'r'},
	    {"duration", required_argument, NULL, 't'},
	    {"count", required_argument, NULL, 'c'},
	    {"link-wait", required_argument, NULL, 'w'},
	    {"hold", no_argument, NULL, 'H'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int opt, idx;

	*o = (struct pg_opts){.size = 64, .duration = 3, .link_wait = 10};
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, &idx)) != -1) {
		if (opt == 'h')
			return 1;
		if (opt == '?' || parse_opt(o, opt, optarg) < 0) {
			if (opt != '?')
				fprintf(stderr, "mg-pktgen: bad value \"%s\" for --%s\n", optarg,
				        opts[idx].name);
			return -EINVAL;
		}
	}
	if (optind != argc || o->dst_ip == 0 || o->local_ip == 0) {
		fprintf(stderr, "mg-pktgen: --dst-ip and --local-ip are required\n");
		return -EINVAL;
	}
	return 0;
}

/* One's complement sum of n bytes as 16-bit words in memory order, folded, not inverted. */
static uint32_t raw_sum(const void *p, size_t n)
{
	return rte_raw_cksum(p, n);
}

static uint16_t fold(uint32_t s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* Build the request template and the partial checksums patched per packet. */
static void build_template(struct pg *pg)
{
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)pg->tmpl;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eh + 1);
	struct rte_icmp_hdr *icmp = (struct rte_icmp_hdr *)(ip + 1);
	uint16_t icmp_len;

	pg->len = (uint16_t)(pg->o.size - PG_FCS_LEN);
	icmp_len = (uint16_t)(pg->len - RTE_ETHER_HDR_LEN - sizeof(*ip));
	memset(pg->tmpl, 0, sizeof(pg->tmpl));
	eh->dst_addr = pg->o.dst_mac;
	eh->src_addr = pg->mac;
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + icmp_len));
	ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_ICMP;
	ip->src_addr = pg->o.src_net ? pg->o.src_net : pg->o.local_ip;
	ip->dst_addr = pg->o.dst_ip;
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REQUEST;
	for (uint16_t i = sizeof(*icmp); i < icmp_len; i++)
		((uint8_t *)icmp)[i] = (uint8_t)i; /* a payload the reply must echo */
	/*
	 * Only the source's last byte (0 in the template), the ICMP id and seq
	 * (0 too) change per packet, so each checksum is the template's sum plus
	 * those words: no borrow, no re-summing the payload.
	 */
	pg->ip_sum = raw_sum(ip, sizeof(*ip));
	memcpy(&pg->src_lo, (uint8_t *)&ip->src_addr + 2, sizeof(pg->src_lo));
	pg->icmp_sum = raw_sum(icmp, icmp_len);
}

/* Fill one request, number n, into m. */
static void fill_request(struct pg *pg, struct rte_mbuf *m, uint64_t n)
{
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(p + RTE_ETHER_HDR_LEN);
	struct rte_icmp_hdr *icmp = (struct rte_icmp_hdr *)(ip + 1);
	uint16_t host = pg->o.src_net ? (uint16_t)(1 + n % 254) : 0;
	uint16_t src_lo;

	rte_memcpy(p, pg->tmpl, pg->len);
	m->data_len = pg->len;
	m->pkt_len = pg->len;
	if (host != 0)
		((uint8_t *)&ip->src_addr)[3] = (uint8_t)host;
	memcpy(&src_lo, (uint8_t *)&ip->src_addr + 2, sizeof(src_lo));
	ip->hdr_checksum = (uint16_t)~fold(pg->ip_sum + (uint16_t)(src_lo - pg->src_lo));
	/* One "ping process" per source, each counting its own sequence. */
	icmp->icmp_ident = rte_cpu_to_be_16(host);
	icmp->icmp_seq_nb = rte_cpu_to_be_16((uint16_t)(pg->o.src_net ? n / 254 : n));
	icmp->icmp_cksum = (uint16_t)~fold(pg->icmp_sum + icmp->icmp_ident + icmp->icmp_seq_nb);
}

static bool is_our_source(const struct pg *pg, rte_be32_t a)
{
	if (a == pg->o.local_ip)
		return true;
	return pg->o.src_net != 0 && (a & RTE_BE32(0xffffff00)) == pg->o.src_net;
}

/* Send one ARP frame (op, target tha/tip, sender sip); best effort. */
static void send_arp(struct pg *pg, uint16_t op, const struct rte_ether_addr *tha, rte_be32_t tip,
                     rte_be32_t sip)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pg->pool);
	struct rte_ether_hdr *eh;
	struct rte_arp_hdr *ah;

	if (m == NULL)
		return;
	eh = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eh) + sizeof(*ah));
	ah = (struct rte_arp_hdr *)(eh + 1);
	memset(&eh->dst_addr, 0xff, sizeof(eh->dst_addr));
	if (op == RTE_ARP_OP_REPLY)
		eh->dst_addr = *tha;
	eh->src_addr = pg->mac;
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	ah->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	ah->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ah->arp_hlen = RTE_ETHER_ADDR_LEN;
	ah->arp_plen = sizeof(rte_be32_t);
	ah->arp_opcode = rte_cpu_to_be_16(op);
	ah->arp_data.arp_sha = pg->mac;
	ah->arp_data.arp_sip = sip;
	ah->arp_data.arp_tha = *tha;
	ah->arp_data.arp_tip = tip;
	if (rte_eth_tx_burst(pg->port, 0, &m, 1) != 1)
		rte_pktmbuf_free(m);
}

/* Learn the gateway's MAC from any ARP it sends; answer requests for our addresses. */
static void rx_arp(struct pg *pg, const struct rte_arp_hdr *ah)
{
	const struct rte_arp_ipv4 *d = &ah->arp_data;

	pg->st.rx_arp++;
	if (!pg->o.have_dst_mac && d->arp_sip == pg->o.dst_ip &&
	    rte_is_valid_assigned_ether_addr(&d->arp_sha)) {
		pg->o.dst_mac = d->arp_sha;
		pg->o.have_dst_mac = true;
	}
	if (ah->arp_opcode == RTE_BE16(RTE_ARP_OP_REQUEST) && is_our_source(pg, d->arp_tip))
		send_arp(pg, RTE_ARP_OP_REPLY, &d->arp_sha, d->arp_sip, d->arp_tip);
}

/* Is m a correct echo reply to one of our requests? */
static bool reply_ok(const struct pg *pg, const struct rte_ipv4_hdr *ip, uint32_t avail)
{
	const struct rte_icmp_hdr *icmp = (const struct rte_icmp_hdr *)(ip + 1);
	uint16_t tot = rte_be_to_cpu_16(ip->total_length);

	if (ip->version_ihl != RTE_IPV4_VHL_DEF || tot > avail ||
	    tot != pg->len - RTE_ETHER_HDR_LEN || rte_ipv4_cksum(ip) != 0)
		return false;
	if (ip->src_addr != pg->o.dst_ip || !is_our_source(pg, ip->dst_addr))
		return false;
	return icmp->icmp_type == RTE_IP_ICMP_ECHO_REPLY && icmp->icmp_code == 0 &&
	       rte_raw_cksum(icmp, tot - sizeof(*ip)) == 0xffff;
}

static void rx_one(struct pg *pg, struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const void *l3 = eh + 1;

	if (m->nb_segs != 1 || m->data_len < RTE_ETHER_HDR_LEN + sizeof(struct rte_arp_hdr)) {
		pg->st.rx_other++;
	} else if (eh->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV4) && m->data_len >= PG_HDRS_LEN &&
	           ((const struct rte_ipv4_hdr *)l3)->next_proto_id == IPPROTO_ICMP) {
		if (likely(reply_ok(pg, l3, m->data_len - RTE_ETHER_HDR_LEN)))
			pg->st.replies++;
		else
			pg->st.rx_bad++;
	} else if (eh->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP)) {
		rx_arp(pg, l3);
	} else {
		pg->st.rx_other++;
	}
	rte_pktmbuf_free(m);
}

static void poll_rx(struct pg *pg)
{
	struct rte_mbuf *pkts[PG_BURST];
	uint16_t n = rte_eth_rx_burst(pg->port, 0, pkts, PG_BURST);

	for (uint16_t i = 0; i < n; i++)
		rx_one(pg, pkts[i]);
}

/* Build up to want new requests behind the pending ones, then offer them all to the port. */
static void tx_burst(struct pg *pg, uint16_t want)
{
	uint16_t room = PG_BURST - pg->n_pending, sent, fresh = 0;

	want = RTE_MIN(want, room);
	if (want > 0 && rte_pktmbuf_alloc_bulk(pg->pool, pg->pending + pg->n_pending, want) == 0) {
		for (uint16_t i = 0; i < want; i++)
			fill_request(pg, pg->pending[pg->n_pending + i],
			             pg->st.tx + pg->n_pending + i);
		pg->n_pending += want;
		fresh = want;
	}
	if (pg->n_pending == 0)
		return;
	sent = rte_eth_tx_burst(pg->port, 0, pg->pending, pg->n_pending);
	/*
	 * What the port did not take is offered again first: no request is lost
	 * here.  tx_deferred counts each request once, the first time it found
	 * the ring full: how often the receiver, not we, set the pace.
	 */
	if (sent < pg->n_pending) {
		pg->st.tx_deferred += RTE_MIN(fresh, (uint16_t)(pg->n_pending - sent));
		memmove(pg->pending, pg->pending + sent, (pg->n_pending - sent) * sizeof(void *));
	}
	pg->n_pending -= sent;
	pg->st.tx += sent;
	if (sent > 0)
		pg->st.t_end = rte_rdtsc();
}

/* The traffic phase: send until the duration, count or a signal ends it, then drain RX. */
static void run(struct pg *pg)
{
	uint64_t hz = rte_get_tsc_hz(), t0 = rte_rdtsc();
	uint64_t t_stop = t0 + hz * pg->o.duration;
	uint64_t limit = pg->o.count ? pg->o.count : UINT64_MAX;
	double per_tsc = pg->o.rate_mpps * 1e6 / (double)hz;
	uint64_t now = t0;

	pg->st.t_start = pg->st.t_end = t0;
	while (!pg_stop && now < t_stop && pg->st.tx < limit) {
		uint64_t due = limit - pg->st.tx - pg->n_pending;

		if (per_tsc > 0) {
			uint64_t allowed = (uint64_t)((double)(now - t0) * per_tsc);

			due = RTE_MIN(due, allowed > pg->st.tx + pg->n_pending
			                       ? allowed - pg->st.tx - pg->n_pending
			                       : 0);
		}
		tx_burst(pg, (uint16_t)RTE_MIN(due, (uint64_t)PG_BURST));
		poll_rx(pg);
		now = rte_rdtsc();
	}
	rte_pktmbuf_free_bulk(pg->pending, pg->n_pending);
	pg->n_pending = 0;
	for (t_stop = rte_rdtsc() + hz * PG_DRAIN_MS / 1000; rte_rdtsc() < t_stop && !pg_stop;)
		poll_rx(pg);
}

static int port_init(struct pg *pg)
{
	struct rte_eth_conf conf;
	struct rte_eth_link link;
	uint64_t hz = rte_get_tsc_hz(), deadline;
	int rc;

	memset(&conf, 0, sizeof(conf));
	if (rte_eth_dev_count_avail() == 0) {
		fprintf(stderr, "mg-pktgen: no DPDK port (give one with --vdev or -a)\n");
		return -ENODEV;
	}
	pg->port = (uint16_t)rte_eth_find_next(0);
	rc = rte_eth_dev_configure(pg->port, 1, 1, &conf);
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(pg->port, 0, PG_RING_SIZE,
		                            (unsigned)rte_eth_dev_socket_id(pg->port), NULL,
		                            pg->pool);
	if (rc == 0)
		rc = rte_eth_tx_queue_setup(pg->port, 0, PG_RING_SIZE,
		                            (unsigned)rte_eth_dev_socket_id(pg->port), NULL);
	if (rc == 0)
		rc = rte_eth_dev_start(pg->port);
	if (rc < 0) {
		fprintf(stderr, "mg-pktgen: port %u setup failed: %s\n", pg->port, strerror(-rc));
		return rc;
	}
	rte_eth_macaddr_get(pg->port, &pg->mac);
	deadline = rte_rdtsc() + hz * pg->o.link_wait;
	do {
		if (rte_eth_link_get_nowait(pg->port, &link) == 0 && link.link_status)
			return 0;
		rte_delay_ms(10);
	} while (rte_rdtsc() < deadline && !pg_stop);
	fprintf(stderr, "mg-pktgen: port %u: link not up after %u s\n", pg->port, pg->o.link_wait);
	return -ETIMEDOUT;
}

/* Resolve the gateway's MAC: an ARP request every PG_ARP_EVERY_MS until a reply. */
static int resolve(struct pg *pg)
{
	static const struct rte_ether_addr zero;
	uint64_t hz = rte_get_tsc_hz(), deadline = rte_rdtsc() + hz * pg->o.link_wait, next = 0;

	while (!pg->o.have_dst_mac && !pg_stop && rte_rdtsc() < deadline) {
		if (rte_rdtsc() >= next) {
			send_arp(pg, RTE_ARP_OP_REQUEST, &zero, pg->o.dst_ip, pg->o.local_ip);
			next = rte_rdtsc() + hz * PG_ARP_EVERY_MS / 1000;
		}
		poll_rx(pg);
	}
	if (pg->o.have_dst_mac)
		return 0;
	fprintf(stderr, "mg-pktgen: no ARP reply from the gateway in %u s\n", pg->o.link_wait);
	return -EHOSTUNREACH;
}

static void report(const struct pg *pg)
{
	const struct pg_stats *s = &pg->st;
	double secs = (double)(s->t_end - s->t_start) / (double)rte_get_tsc_hz();
	struct rte_eth_stats es;
	char ip[INET_ADDRSTRLEN];

	memset(&es, 0, sizeof(es));
	(void)rte_eth_stats_get(pg->port, &es);
	inet_ntop(AF_INET, &pg->o.dst_ip, ip, sizeof(ip));
	if (secs <= 0)
		secs = 1e-9;
	printf("{\"tool\":\"mg-pktgen\",\"dst_ip\":\"%s\",\"dst_mac\":\"" RTE_ETHER_ADDR_PRT_FMT
	       "\",\"frame_size\":%u,\"sources\":%u,\"rate_mpps_set\":%.3f,"
	       "\"duration_s\":%.6f,\"tx_packets\":%" PRIu64 ",\"rx_replies\":%" PRIu64
	       ",\"rx_bad\":%" PRIu64 ",\"rx_arp\":%" PRIu64 ",\"rx_other\":%" PRIu64
	       ",\"lost\":%" PRId64 ",\"tx_deferred\":%" PRIu64 ",\"tx_mpps\":%.4f,"
	       "\"rx_mpps\":%.4f,\"reply_ratio\":%.6f,\"port_imissed\":%" PRIu64
	       ",\"port_ierrors\":%" PRIu64 ",\"port_oerrors\":%" PRIu64
	       ",\"port_rx_nombuf\":%" PRIu64 "}\n",
	       ip, RTE_ETHER_ADDR_BYTES(&pg->o.dst_mac), pg->o.size, pg->o.src_net ? 254 : 1,
	       pg->o.rate_mpps, secs, s->tx, s->replies, s->rx_bad, s->rx_arp, s->rx_other,
	       (int64_t)(s->tx - s->replies), s->tx_deferred, (double)s->tx / secs / 1e6,
	       (double)s->replies / secs / 1e6, s->tx ? (double)s->replies / (double)s->tx : 0.0,
	       es.imissed, es.ierrors, es.oerrors, es.rx_nombuf);
	fflush(stdout);
}

/* --help anywhere: ours, not EAL's (EAL's options are documented by DPDK). */
static bool wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	return false;
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_signal};
	static struct pg pg;
	int n, rc;

	if (wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "mg-pktgen: EAL initialisation failed: %s\n",
		        rte_strerror(rte_errno));
		return 1;
	}
	argv[n] = argv[0]; /* getopt wants a program name before the options */
	rc = parse_args(&pg.o, argc - n, argv + n);
	if (rc != 0) {
		usage(rc > 0 ? stdout : stderr);
		rte_eal_cleanup();
		return rc > 0 ? 0 : 2;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	pg.pool = rte_pktmbuf_pool_create("pg_pool", PG_NB_MBUFS, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
	                                  (int)rte_socket_id());
	rc = pg.pool == NULL ? -rte_errno : port_init(&pg);
	if (pg.pool == NULL)
		fprintf(stderr, "mg-pktgen: no mbuf pool: %s\n", rte_strerror(rte_errno));
	if (rc == 0)
		rc = resolve(&pg);
	if (rc == 0) {
		build_template(&pg);
		run(&pg);
		report(&pg);
		fflush(stdout);
		while (pg.o.hold && !pg_stop)
			usleep(10000); /* the lcore is done: nothing polls the port now */
	}
	if (pg.pool != NULL && rte_eth_dev_count_avail() > 0) {
		rte_eth_dev_stop(pg.port);
		rte_eth_dev_close(pg.port);
	}
	rte_mempool_free(pg.pool);
	rte_eal_cleanup();
	return rc == 0 ? 0 : 1;
}
