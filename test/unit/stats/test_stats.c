/*
 * test_stats.c — counter snapshots and their renderings.
 *
 * A snapshot is filled by hand (no EAL): JSON is parsed by Python's json
 * module, flattened to "path value" lines and compared with what the
 * snapshot says; the Prometheus text is checked line by line against the
 * exposition grammar and the expected series, then by `promtool check
 * metrics` (required: Debian package prometheus).
 */
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/mg_buf.h"
#include "core/worker_types.h"
#include "stats/stats.h"
#include "tcp/tcp.h"
#include "test_stats.h"

/* The counters as the .def lists them: the oracle for names, help and order. */
static const struct {
	const char *name;
	const char *help;
	size_t off;
	bool drop;
} fields[] = {
#define MG_NET_STAT(n, h) {#n, h, offsetof(struct mg_net_counters, n), false},
#define MG_NET_DROP(n, h) {#n, h, offsetof(struct mg_net_counters, drop_##n), true},
#include "net/net_counters.def"
};
#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))

/* The TCP counters and states as tcp_counters.def and tcp_types.h list them (the oracle). */
static const struct {
	const char *name;
	const char *help;
	size_t off;
} tcp_fields[] = {
#define MG_TCP_STAT(n, h) {#n, h, offsetof(struct mg_tcp_counters, n)},
#define MG_TCP_DROP(n, h) {"drop_" #n, h, offsetof(struct mg_tcp_counters, drop_##n)},
#include "tcp/tcp_counters.def"
};
#define N_TCP (sizeof(tcp_fields) / sizeof(tcp_fields[0]))

static const char *const tcp_states[] = {
#define X(st) #st,
    MG_TCP_STATES(X)
#undef X
};
#define N_TCP_STATES (sizeof(tcp_states) / sizeof(tcp_states[0]))

static const struct {
	const char *json, *prom;
	size_t off;
} port_keys[] = {
    {"ipackets", "rx_packets", offsetof(struct rte_eth_stats, ipackets)},
    {"opackets", "tx_packets", offsetof(struct rte_eth_stats, opackets)},
    {"ibytes", "rx_bytes", offsetof(struct rte_eth_stats, ibytes)},
    {"obytes", "tx_bytes", offsetof(struct rte_eth_stats, obytes)},
    {"imissed", "rx_missed", offsetof(struct rte_eth_stats, imissed)},
    {"ierrors", "rx_errors", offsetof(struct rte_eth_stats, ierrors)},
    {"oerrors", "tx_errors", offsetof(struct rte_eth_stats, oerrors)},
    {"rx_nombuf", "rx_nombuf", offsetof(struct rte_eth_stats, rx_nombuf)},
};
#define N_PORT_KEYS (sizeof(port_keys) / sizeof(port_keys[0]))

/* A port name that needs escaping in both formats. */
static const char weird_name[] = "cl\"ie\\nt\n\xc3\xa9";

static uint64_t *fld(struct mg_net_counters *c, unsigned k)
{
	return (uint64_t *)((char *)c + fields[k].off);
}

static uint64_t fld_get(const struct mg_net_counters *c, unsigned k)
{
	return *(const uint64_t *)((const char *)c + fields[k].off);
}

static uint64_t port_get(const struct rte_eth_stats *st, unsigned k)
{
	return *(const uint64_t *)((const char *)st + port_keys[k].off);
}

/* Distinct, large values so a swapped or truncated counter shows. */
static uint64_t value(unsigned w, unsigned k)
{
	return ((uint64_t)(w + 1) << 40) + (uint64_t)k * 1000003u + 17;
}

/* Distinct TCP values, different from value() so a mix-up with net counters shows. */
static uint64_t tcp_value(unsigned w, unsigned k)
{
	return ((uint64_t)(w + 1) << 36) + (uint64_t)k * 7919u + 3;
}

static uint64_t tcp_conns_value(unsigned w, unsigned st)
{
	return (uint64_t)(w + 1) * 100 + st;
}

/* Give the workers whose bit is in mask TCP counters and gauges, then re-sum. */
static void fill_tcp(struct mg_stats_snapshot *s, unsigned mask)
{
	unsigned w, k;

	for (w = 0; w < s->n_workers; w++) {
		if (!(mask & (1u << w)))
			continue;
		s->w[w].tcp_on = true;
		for (k = 0; k < N_TCP; k++)
			s->w[w].tcp.cnt[k] = tcp_value(w, k);
		for (k = 0; k < N_TCP_STATES; k++)
			s->w[w].tcp.conns[k] = tcp_conns_value(w, k);
	}
	mg_stats_sum(s);
}

/* n workers; ports: one readable with a name to escape, one that failed with -ENODEV. */
static void fill(struct mg_stats_snapshot *s, unsigned n_workers, bool ports)
{
	unsigned w, k;

	memset(s, 0, sizeof(*s));
	s->n_workers = n_workers;
	for (w = 0; w < n_workers; w++) {
		s->w[w].idx = (uint16_t)w;
		s->w[w].lcore = 10 + w;
		for (k = 0; k < N_FIELDS; k++)
			*fld(&s->w[w].c, k) = value(w, k);
	}
	mg_stats_sum(s);
	s->uptime_s = 12345;
	if (!ports)
		return;
	s->n_ports = 2;
	snprintf(s->ports[0].name, sizeof(s->ports[0].name), "%s", weird_name);
	s->ports[0].port_id = 3;
	for (k = 0; k < N_PORT_KEYS; k++)
		*(uint64_t *)((char *)&s->ports[0].st + port_keys[k].off) = 900 + k;
	snprintf(s->ports[1].name, sizeof(s->ports[1].name), "upstream");
	s->ports[1].port_id = 7;
	s->ports[1].err = -ENODEV;
}

static char *slurp(FILE *f)
{
	struct mg_buf b;
	char chunk[4096];
	size_t n;

	mg_buf_init(&b);
	mg_buf_puts(&b, "");
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		mg_buf_append(&b, chunk, n);
	ck_assert_int_eq(b.err, 0);
	return b.data;
}

char *test_run_cmd(const char *cmd, const char *input, int *status)
{
	char in[] = "/tmp/mgtest-stats-in-XXXXXX", out[] = "/tmp/mgtest-stats-out-XXXXXX";
	char *sh, *text;
	int fd_in = mkstemp(in), fd_out = mkstemp(out), st;
	size_t len = strlen(input);
	FILE *f;

	ck_assert_int_ge(fd_in, 0);
	ck_assert_int_ge(fd_out, 0);
	ck_assert_int_eq(write(fd_in, input, len), (ssize_t)len);
	close(fd_in);
	close(fd_out);
	ck_assert_int_ge(asprintf(&sh, "%s < %s > %s 2>&1", cmd, in, out), 0);
	st = system(sh);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	f = fopen(out, "r");
	ck_assert_ptr_nonnull(f);
	text = slurp(f);
	fclose(f);
	unlink(in);
	unlink(out);
	free(sh);
	return text;
}

char *test_run_python(const char *input, const char *script, int *status)
{
	char path[] = "/tmp/mgtest-stats-py-XXXXXX";
	const char *py = getenv("PYTHON3");
	int fd = mkstemp(path);
	size_t len = strlen(script);
	char *cmd, *out;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, script, len), (ssize_t)len);
	close(fd);
	ck_assert_int_ge(asprintf(&cmd, "%s %s", py != NULL && *py != '\0' ? py : "python3", path),
	                 0);
	out = test_run_cmd(cmd, input, status);
	free(cmd);
	unlink(path);
	return out;
}

/*
 * Parse JSON strictly (UTF-8, no duplicate keys, no NaN) and print one
 * "path value" line per scalar in document order: n:<int>, s:<utf-8 hex>.
 */
static const char flatten_py[] =
    "import json, sys\n"
    "def pairs(kv):\n"
    "    d = {}\n"
    "    for k, v in kv:\n"
    "        if k in d: sys.exit('duplicate key ' + k)\n"
    "        d[k] = v\n"
    "    return d\n"
    "def bad(c): sys.exit('constant ' + c)\n"
    "def walk(p, v):\n"
    "    if isinstance(v, dict):\n"
    "        if not v: print(p, '{}')\n"
    "        for k, x in v.items(): walk(p + '/' + k, x)\n"
    "    elif isinstance(v, list):\n"
    "        if not v: print(p, '[]')\n"
    "        for i, x in enumerate(v): walk(p + '/' + str(i), x)\n"
    "    elif isinstance(v, str): print(p, 's:' + v.encode('utf-8').hex())\n"
    "    elif isinstance(v, int) and not isinstance(v, bool): print(p, 'n:' + str(v))\n"
    "    else: print(p, 'other:' + repr(v))\n"
    "doc = sys.stdin.buffer.read().decode('utf-8')\n"
    "walk('', json.loads(doc, object_pairs_hook=pairs, parse_constant=bad))\n";

static void hex(struct mg_buf *b, const char *s)
{
	for (; *s != '\0'; s++)
		mg_buf_printf(b, "%02x", (unsigned char)*s);
}

static void expect_counters(struct mg_buf *e, const char *prefix, const struct mg_net_counters *c)
{
	unsigned k;

	for (k = 0; k < N_FIELDS; k++)
		mg_buf_printf(e, "%s/%s%s n:%" PRIu64 "\n", prefix, fields[k].drop ? "drop_" : "",
		              fields[k].name, fld_get(c, k));
}

static void expect_tcp(struct mg_buf *e, const char *prefix, const struct mg_stats_tcp *t)
{
	unsigned k;

	for (k = 0; k < N_TCP; k++)
		mg_buf_printf(e, "%s/%s n:%" PRIu64 "\n", prefix, tcp_fields[k].name, t->cnt[k]);
	for (k = 0; k < N_TCP_STATES; k++)
		mg_buf_printf(e, "%s/connections/%s n:%" PRIu64 "\n", prefix, tcp_states[k],
		              t->conns[k]);
}

/* The flattened document a correct renderer produces for s. */
static char *expected_json(const struct mg_stats_snapshot *s)
{
	uint64_t drops = 0, v;
	struct mg_buf e;
	char prefix[64];
	unsigned w, k, p;

	mg_buf_init(&e);
	mg_buf_printf(&e, "/uptime_seconds n:%" PRIu64 "\n", s->uptime_s);
	if (s->n_workers == 0)
		mg_buf_puts(&e, "/workers []\n");
	for (w = 0; w < s->n_workers; w++) {
		mg_buf_printf(&e, "/workers/%u/worker n:%u\n/workers/%u/lcore n:%u\n", w,
		              s->w[w].idx, w, s->w[w].lcore);
		snprintf(prefix, sizeof(prefix), "/workers/%u/counters", w);
		expect_counters(&e, prefix, &s->w[w].c);
		if (s->tcp_on && s->w[w].tcp_on) {
			snprintf(prefix, sizeof(prefix), "/workers/%u/tcp", w);
			expect_tcp(&e, prefix, &s->w[w].tcp);
		}
	}
	expect_counters(&e, "/total", &s->total);
	for (k = 0; k < N_FIELDS; k++)
		drops += fields[k].drop ? fld_get(&s->total, k) : 0;
	mg_buf_printf(&e, "/drops_total n:%" PRIu64 "\n", drops);
	for (k = 0; k < N_FIELDS; k++) {
		for (w = 0, v = 0; w < s->n_workers; w++)
			v += fld_get(&s->w[w].c, k);
		if (fields[k].drop)
			mg_buf_printf(&e, "/drops/%s n:%" PRIu64 "\n", fields[k].name, v);
	}
	if (s->n_ports == 0)
		mg_buf_puts(&e, "/ports []\n");
	for (p = 0; p < s->n_ports; p++) {
		mg_buf_printf(&e, "/ports/%u/port n:%u\n/ports/%u/name s:", p, s->ports[p].port_id,
		              p);
		hex(&e, s->ports[p].name);
		mg_buf_puts(&e, "\n");
		if (s->ports[p].err != 0) {
			mg_buf_printf(&e, "/ports/%u/error s:", p);
			hex(&e, strerror(-s->ports[p].err));
			mg_buf_puts(&e, "\n");
			continue;
		}
		for (k = 0; k < N_PORT_KEYS; k++)
			mg_buf_printf(&e, "/ports/%u/%s n:%" PRIu64 "\n", p, port_keys[k].json,
			              port_get(&s->ports[p].st, k));
	}
	if (s->tcp_on)
		expect_tcp(&e, "/tcp_total", &s->tcp_total);
	ck_assert_int_eq(e.err, 0);
	return e.data;
}

/* Compare line by line so a failure names the first wrong line. */
static void assert_same_lines(const char *got, const char *want)
{
	unsigned line = 1;

	while (*got != '\0' && *got == *want) {
		if (*got == '\n')
			line++;
		got++;
		want++;
	}
	ck_assert_msg(*got == '\0' && *want == '\0', "differs at line %u: got [%.80s] want [%.80s]",
	              line, got, want);
}

static void check_json(const struct mg_stats_snapshot *s)
{
	struct mg_buf out;
	char *got, *want;
	int rc;

	mg_buf_init(&out);
	ck_assert_int_eq(mg_stats_render_json(s, &out), 0);
	ck_assert_msg(out.data[0] == '{' && out.data[out.len - 1] == '}', "not one object");
	got = test_run_python(out.data, flatten_py, &rc);
	ck_assert_msg(rc == 0, "python rejected the JSON: %s", got);
	want = expected_json(s);
	assert_same_lines(got, want);
	free(got);
	free(want);
	mg_buf_free(&out);
}

START_TEST(test_json_full)
{
	static struct mg_stats_snapshot s;

	fill(&s, 3, true);
	/* a value beyond 2^53 must survive exactly (no float on the way) */
	*fld(&s.w[1].c, 1) = (UINT64_C(1) << 62) + 5;
	mg_stats_sum(&s);
	check_json(&s);
}
END_TEST

START_TEST(test_json_empty)
{
	static struct mg_stats_snapshot s;

	memset(&s, 0, sizeof(s));
	check_json(&s);
}
END_TEST

START_TEST(test_sum_and_drops)
{
	static struct mg_stats_snapshot s;
	uint64_t drops = 0;
	unsigned k;

	fill(&s, 4, false);
	for (k = 0; k < N_FIELDS; k++) {
		uint64_t want = value(0, k) + value(1, k) + value(2, k) + value(3, k);

		ck_assert_uint_eq(fld_get(&s.total, k), want);
		drops += fields[k].drop ? want : 0;
	}
	ck_assert_uint_eq(mg_stats_drops(&s.total), drops);
	ck_assert_uint_ne(drops, 0);
}
END_TEST

/* TCP on two of three workers: per-worker "tcp" only where it is on, "tcp_total" their sum. */
START_TEST(test_json_tcp)
{
	static struct mg_stats_snapshot s;
	unsigned k;

	fill(&s, 3, true);
	fill_tcp(&s, 0x5);
	s.w[2].tcp.cnt[MG_TCP_IDX_bytes_in] = (UINT64_C(1) << 62) + 9;
	mg_stats_sum(&s);
	ck_assert(s.tcp_on);
	for (k = 0; k < N_TCP; k++) {
		uint64_t want =
		    tcp_value(0, k) +
		    (k == MG_TCP_IDX_bytes_in ? (UINT64_C(1) << 62) + 9 : tcp_value(2, k));

		ck_assert_uint_eq(s.tcp_total.cnt[k], want);
	}
	for (k = 0; k < N_TCP_STATES; k++)
		ck_assert_uint_eq(s.tcp_total.conns[k],
		                  tcp_conns_value(0, k) + tcp_conns_value(2, k));
	check_json(&s);
}
END_TEST

/* A worker's tcp_on alone turns TCP on for the snapshot; clearing it turns it off again. */
START_TEST(test_sum_tcp_flag)
{
	static struct mg_stats_snapshot s;
	struct mg_buf out;

	fill(&s, 2, false);
	ck_assert(!s.tcp_on);
	fill_tcp(&s, 0x2);
	ck_assert(s.tcp_on);
	ck_assert_uint_eq(s.tcp_total.cnt[MG_TCP_IDX_seg_in], tcp_value(1, MG_TCP_IDX_seg_in));
	mg_buf_init(&out);
	ck_assert_int_eq(mg_stats_render_json(&s, &out), 0);
	ck_assert_ptr_nonnull(strstr(out.data, "\"tcp_total\":{\"seg_in\":"));
	s.w[1].tcp_on = false;
	mg_stats_sum(&s);
	ck_assert(!s.tcp_on);
	ck_assert_uint_eq(s.tcp_total.cnt[MG_TCP_IDX_seg_in], 0);
	mg_buf_reset(&out);
	ck_assert_int_eq(mg_stats_render_json(&s, &out), 0);
	ck_assert_ptr_null(strstr(out.data, "tcp"));
	check_json(&s);
	mg_buf_free(&out);
}
END_TEST

/* Workers as the running data plane has them: counters come from dp->workers[i]->cnt. */
START_TEST(test_collect_workers)
{
	static struct mg_stats_snapshot s;
	static struct mg_dp dp;
	size_t size = (sizeof(struct mg_worker) + 63) / 64 * 64;
	struct mg_worker *w[3];
	unsigned i, k;

	memset(&dp, 0, sizeof(dp));
	for (i = 0; i < 3; i++) {
		w[i] = aligned_alloc(64, size);
		ck_assert_ptr_nonnull(w[i]);
		memset(w[i], 0, size);
		w[i]->idx = (uint16_t)i;
		w[i]->lcore_id = 20 + i;
		for (k = 0; k < N_FIELDS; k++)
			*fld(&w[i]->cnt, k) = value(i, k);
		dp.workers[i] = w[i];
	}
	dp.n_workers = 3;
	memset(&s, 0xa5, sizeof(s));
	mg_stats_collect_workers(&dp, &s);
	ck_assert_uint_eq(s.n_workers, 3);
	for (i = 0; i < 3; i++) {
		ck_assert_uint_eq(s.w[i].idx, i);
		ck_assert_uint_eq(s.w[i].lcore, 20 + i);
		for (k = 0; k < N_FIELDS; k++)
			ck_assert_uint_eq(fld_get(&s.w[i].c, k), value(i, k));
	}
	for (k = 0; k < N_FIELDS; k++)
		ck_assert_uint_eq(fld_get(&s.total, k), value(0, k) + value(1, k) + value(2, k));
	for (i = 0; i < 3; i++)
		free(w[i]);
}
END_TEST

/* TCP counters and gauges come from w->tcp; a worker without TCP shows none. */
START_TEST(test_collect_workers_tcp)
{
	static struct mg_stats_snapshot s;
	static struct mg_dp dp;
	size_t size = (sizeof(struct mg_worker) + 63) / 64 * 64;
	size_t tsize = (sizeof(struct mg_tcp_worker) + 63) / 64 * 64;
	struct mg_worker *w[2];
	struct mg_tcp_worker *t;
	unsigned i, k;

	memset(&dp, 0, sizeof(dp));
	for (i = 0; i < 2; i++) {
		w[i] = aligned_alloc(64, size);
		ck_assert_ptr_nonnull(w[i]);
		memset(w[i], 0, size);
		w[i]->idx = (uint16_t)i;
		dp.workers[i] = w[i];
	}
	dp.n_workers = 2;
	t = aligned_alloc(64, tsize);
	ck_assert_ptr_nonnull(t);
	memset(t, 0, tsize);
	for (k = 0; k < N_TCP; k++)
		*(uint64_t *)((char *)&t->cnt + tcp_fields[k].off) = tcp_value(1, k);
	for (k = 0; k < N_TCP_STATES; k++)
		t->n_state[k] = (uint32_t)tcp_conns_value(1, k);
	w[1]->tcp = t;
	memset(&s, 0xa5, sizeof(s));
	mg_stats_collect_workers(&dp, &s);
	ck_assert(!s.w[0].tcp_on);
	ck_assert(s.w[1].tcp_on);
	ck_assert(s.tcp_on);
	for (k = 0; k < N_TCP; k++) {
		ck_assert_uint_eq(s.w[0].tcp.cnt[k], 0);
		ck_assert_uint_eq(s.w[1].tcp.cnt[k], tcp_value(1, k));
		ck_assert_uint_eq(s.tcp_total.cnt[k], tcp_value(1, k));
	}
	for (k = 0; k < N_TCP_STATES; k++) {
		ck_assert_uint_eq(s.w[1].tcp.conns[k], tcp_conns_value(1, k));
		ck_assert_uint_eq(s.tcp_total.conns[k], tcp_conns_value(1, k));
	}
	/* without any TCP worker the snapshot says TCP is off */
	w[1]->tcp = NULL;
	mg_stats_collect_workers(&dp, &s);
	ck_assert(!s.tcp_on);
	free(t);
	for (i = 0; i < 2; i++)
		free(w[i]);
}
END_TEST

/* Without EAL no port exists: each interface is reported with its error, not zeros. */
START_TEST(test_collect_ports_error)
{
	static struct mg_stats_snapshot s;
	static struct mg_dp dp;

	memset(&dp, 0, sizeof(dp));
	memset(&s, 0, sizeof(s));
	dp.net.n_ifaces = 2;
	snprintf(dp.net.ifaces[0].name, sizeof(dp.net.ifaces[0].name), "client");
	dp.net.ifaces[0].port_id = 0;
	snprintf(dp.net.ifaces[1].name, sizeof(dp.net.ifaces[1].name), "upstream");
	dp.net.ifaces[1].port_id = 1;
	mg_stats_collect_ports(&dp, &s);
	ck_assert_uint_eq(s.n_ports, 2);
	ck_assert_str_eq(s.ports[0].name, "client");
	ck_assert_str_eq(s.ports[1].name, "upstream");
	ck_assert_uint_eq(s.ports[1].port_id, 1);
	ck_assert_int_eq(s.ports[0].err, -ENODEV);
	ck_assert_int_eq(s.ports[1].err, -ENODEV);
	check_json(&s);
}
END_TEST

/* Uptime follows the process clock: compare with ps's elapsed time after a pause. */
START_TEST(test_uptime)
{
	char cmd[64], *out;
	uint64_t up;
	int rc;

	sleep(2);
	up = mg_stats_uptime();
	snprintf(cmd, sizeof(cmd), "ps -o etimes= -p %d", (int)getpid());
	out = test_run_cmd(cmd, "", &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_ge(up, 2);
	ck_assert_msg(llabs((long long)up - atoll(out)) <= 1, "uptime %" PRIu64 ", ps says %s", up,
	              out);
	free(out);
}
END_TEST

/* ---- Prometheus text ---- */

struct prom_family {
	char name[128];
	char type[16];
	char help[256];
	unsigned n_samples;
};

struct prom_sample {
	char name[128];
	char labels[256]; /* k=v,k=v with the values unescaped */
	char value[32];
};

/* A parsed exposition. */
struct prom_doc {
	unsigned n_fam, n_smp;
	struct prom_family fam[128];
	struct prom_sample smp[2048];
};

static bool name_char(char c, bool first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
	       (!first && c >= '0' && c <= '9');
}

/* Copy a metric (colon allowed) or label name from *p into out; advance *p. */
static bool take_name(const char **p, char *out, size_t cap, bool label)
{
	size_t n = 0;

	while (name_char((*p)[n], n == 0) && !(label && (*p)[n] == ':')) {
		if (n + 1 >= cap)
			return false;
		out[n] = (*p)[n];
		n++;
	}
	out[n] = '\0';
	*p += n;
	return n > 0;
}

/* Unescape text up to the terminator ('"' for label values, NUL for HELP). */
static const char *unescape(const char *p, char *out, size_t cap, bool label)
{
	size_t n = 0;

	while (*p != '\0' && !(label && *p == '"')) {
		char c = *p++;

		if (c == '\\') {
			c = *p++;
			if (c == 'n')
				c = '\n';
			else if (c != '\\' && !(label && c == '"'))
				return NULL;
		} else if (c == '\n') {
			return NULL;
		}
		if (n + 1 >= cap)
			return NULL;
		out[n++] = c;
	}
	out[n] = '\0';
	return p;
}

static const char *prom_comment(struct prom_doc *d, const char *line)
{
	bool help = strncmp(line, "# HELP ", 7) == 0;
	struct prom_family *f = d->n_fam > 0 ? &d->fam[d->n_fam - 1] : NULL;
	const char *p = line + 7;
	char name[128];
	unsigned i;

	if (!help && strncmp(line, "# TYPE ", 7) != 0)
		return "comment that is neither HELP nor TYPE";
	if (!take_name(&p, name, sizeof(name), false) || *p++ != ' ')
		return "bad metric name in HELP/TYPE";
	if (help) {
		for (i = 0; i < d->n_fam; i++)
			if (strcmp(d->fam[i].name, name) == 0)
				return "family repeated";
		f = &d->fam[d->n_fam++];
		snprintf(f->name, sizeof(f->name), "%s", name);
		return unescape(p, f->help, sizeof(f->help), false) == NULL ? "bad HELP escape"
		                                                            : NULL;
	}
	if (f == NULL || strcmp(f->name, name) != 0)
		return "TYPE without the HELP just before it";
	if (f->type[0] != '\0' || f->n_samples > 0)
		return "TYPE repeated or after samples";
	if (strcmp(p, "counter") != 0 && strcmp(p, "gauge") != 0)
		return "unexpected type";
	snprintf(f->type, sizeof(f->type), "%s", p);
	return NULL;
}

static const char *prom_labels(const char **pp, char *out, size_t cap)
{
	const char *p = *pp;
	char lname[64], lval[128];
	size_t n = 0;

	out[0] = '\0';
	if (*p != '{')
		return NULL;
	p++;
	while (*p != '}') {
		if (!take_name(&p, lname, sizeof(lname), true) || *p++ != '=' || *p++ != '"')
			return "bad label";
		p = unescape(p, lval, sizeof(lval), true);
		if (p == NULL || *p++ != '"')
			return "bad label value";
		n += (size_t)snprintf(out + n, cap - n, "%s%s=%s", n > 0 ? "," : "", lname, lval);
		if (n >= cap)
			return "labels too long";
		if (*p == ',')
			p++;
		else if (*p != '}')
			return "labels not separated by ','";
	}
	*pp = p + 1;
	return NULL;
}

static const char *prom_sample(struct prom_doc *d, const char *line)
{
	struct prom_family *f = d->n_fam > 0 ? &d->fam[d->n_fam - 1] : NULL;
	struct prom_sample *s = &d->smp[d->n_smp];
	const char *p = line, *err;
	char *end;
	unsigned i;

	if (d->n_smp == sizeof(d->smp) / sizeof(d->smp[0]))
		return "too many samples";
	if (!take_name(&p, s->name, sizeof(s->name), false))
		return "bad metric name";
	/* In format 0.0.4 counter and gauge samples carry the family's name. */
	if (f == NULL || strcmp(f->name, s->name) != 0)
		return "sample outside its family (families must be contiguous)";
	if (f->type[0] == '\0')
		return "sample before its TYPE";
	err = prom_labels(&p, s->labels, sizeof(s->labels));
	if (err != NULL)
		return err;
	if (*p++ != ' ')
		return "no space before the value";
	if (strlen(p) == 0 || strlen(p) >= sizeof(s->value))
		return "bad value length";
	strtod(p, &end);
	if (*end != '\0')
		return "value is not a number (or is followed by something)";
	snprintf(s->value, sizeof(s->value), "%s", p);
	for (i = 0; i < d->n_smp; i++)
		if (strcmp(d->smp[i].name, s->name) == 0 &&
		    strcmp(d->smp[i].labels, s->labels) == 0)
			return "duplicate series";
	f->n_samples++;
	d->n_smp++;
	return NULL;
}

/* Parse text into d; returns NULL, or what is wrong (with the line) in msg. */
static const char *prom_parse(char *text, struct prom_doc *d, char *msg, size_t cap)
{
	char *line = text, *nl;
	unsigned no = 1;
	const char *err;

	memset(d, 0, sizeof(*d));
	if (text[0] == '\0' || text[strlen(text) - 1] != '\n')
		return "must end in a newline";
	for (; (nl = strchr(line, '\n')) != NULL; line = nl + 1, no++) {
		*nl = '\0';
		err = line[0] == '\0'  ? "empty line"
		      : line[0] == '#' ? prom_comment(d, line)
		                       : prom_sample(d, line);
		if (err != NULL) {
			snprintf(msg, cap, "line %u: %s: [%s]", no, err, line);
			*nl = '\n';
			return msg;
		}
		*nl = '\n';
	}
	return NULL;
}

static const struct prom_family *prom_family_find(const struct prom_doc *d, const char *name)
{
	unsigned i;

	for (i = 0; i < d->n_fam; i++)
		if (strcmp(d->fam[i].name, name) == 0)
			return &d->fam[i];
	return NULL;
}

static void assert_sample(const struct prom_doc *d, const char *name, const char *labels,
                          uint64_t want)
{
	char w[32];
	unsigned i;

	snprintf(w, sizeof(w), "%" PRIu64, want);
	for (i = 0; i < d->n_smp; i++) {
		if (strcmp(d->smp[i].name, name) == 0 && strcmp(d->smp[i].labels, labels) == 0) {
			ck_assert_msg(strcmp(d->smp[i].value, w) == 0, "%s{%s} is %s, want %s",
			              name, labels, d->smp[i].value, w);
			return;
		}
	}
	ck_abort_msg("missing sample %s{%s}", name, labels);
}

static void assert_family(const struct prom_doc *d, const char *name, const char *type,
                          const char *help)
{
	const struct prom_family *f = prom_family_find(d, name);

	ck_assert_msg(f != NULL, "missing family %s", name);
	ck_assert_str_eq(f->type, type);
	if (help != NULL)
		ck_assert_str_eq(f->help, help);
	ck_assert_msg(f->help[0] != '\0', "%s has no help text", name);
}

/*
 * The TCP families when TCP is on (none otherwise): a counter per TCP counter
 * and the connections gauge, with a sample per worker that has TCP.
 * Returns the number of samples they should have.
 */
static unsigned check_prom_tcp(const struct mg_stats_snapshot *s, const struct prom_doc *d)
{
	unsigned w, k, n_on = 0;
	char name[160], labels[192];

	for (k = 0; k < N_TCP; k++) {
		snprintf(name, sizeof(name), "meshgate_tcp_%s_total", tcp_fields[k].name);
		if (!s->tcp_on) {
			ck_assert_msg(prom_family_find(d, name) == NULL, "%s with TCP off", name);
			continue;
		}
		assert_family(d, name, "counter", tcp_fields[k].help);
		for (w = 0; w < s->n_workers; w++) {
			if (!s->w[w].tcp_on)
				continue;
			snprintf(labels, sizeof(labels), "worker=%u", s->w[w].idx);
			assert_sample(d, name, labels, s->w[w].tcp.cnt[k]);
		}
	}
	if (!s->tcp_on) {
		ck_assert_msg(prom_family_find(d, "meshgate_tcp_connections") == NULL,
		              "meshgate_tcp_connections with TCP off");
		return 0;
	}
	assert_family(d, "meshgate_tcp_connections", "gauge", NULL);
	for (w = 0; w < s->n_workers; w++) {
		if (!s->w[w].tcp_on)
			continue;
		n_on++;
		for (k = 0; k < N_TCP_STATES; k++) {
			snprintf(labels, sizeof(labels), "worker=%u,state=%s", s->w[w].idx,
			         tcp_states[k]);
			assert_sample(d, "meshgate_tcp_connections", labels, s->w[w].tcp.conns[k]);
		}
	}
	return n_on * (unsigned)(N_TCP + N_TCP_STATES);
}

/* Every series the snapshot must produce, with its value, and nothing else. */
static void check_prom_series(const struct mg_stats_snapshot *s, const struct prom_doc *d)
{
	unsigned w, k, p, n_stat = 0, n_ok = 0, n_tcp_smp;
	char name[160], labels[192];

	for (k = 0; k < N_FIELDS; k++) {
		if (fields[k].drop)
			continue;
		n_stat++;
		snprintf(name, sizeof(name), "meshgate_%s_total", fields[k].name);
		assert_family(d, name, "counter", fields[k].help);
		for (w = 0; w < s->n_workers; w++) {
			snprintf(labels, sizeof(labels), "worker=%u", s->w[w].idx);
			assert_sample(d, name, labels, fld_get(&s->w[w].c, k));
		}
	}
	assert_family(d, "meshgate_drops_total", "counter", NULL);
	for (w = 0; w < s->n_workers; w++) {
		for (k = 0; k < N_FIELDS; k++) {
			if (!fields[k].drop)
				continue;
			snprintf(labels, sizeof(labels), "worker=%u,reason=%s", s->w[w].idx,
			         fields[k].name);
			assert_sample(d, "meshgate_drops_total", labels, fld_get(&s->w[w].c, k));
		}
	}
	for (k = 0; k < N_PORT_KEYS; k++) {
		snprintf(name, sizeof(name), "meshgate_port_%s_total", port_keys[k].prom);
		assert_family(d, name, "counter", NULL);
		for (p = 0, n_ok = 0; p < s->n_ports; p++) {
			if (s->ports[p].err != 0)
				continue;
			n_ok++;
			snprintf(labels, sizeof(labels), "port=%s", s->ports[p].name);
			assert_sample(d, name, labels, port_get(&s->ports[p].st, k));
		}
	}
	assert_family(d, "meshgate_uptime_seconds", "gauge", NULL);
	assert_sample(d, "meshgate_uptime_seconds", "", s->uptime_s);
	assert_family(d, "meshgate_build_info", "gauge", NULL);
	assert_sample(d, "meshgate_build_info", "version=" MG_VERSION, 1);
	n_tcp_smp = check_prom_tcp(s, d);
	/* nothing beyond the above */
	ck_assert_uint_eq(d->n_fam, n_stat + 1 + N_PORT_KEYS + 2 + (s->tcp_on ? N_TCP + 1 : 0));
	ck_assert_uint_eq(d->n_smp, (n_stat + (N_FIELDS - n_stat)) * s->n_workers +
	                                N_PORT_KEYS * n_ok + 2 + n_tcp_smp);
}

/* promtool is the reference parser and linter; the suite requires it. */
static void check_promtool(const char *text)
{
	const char *tool = getenv("PROMTOOL");
	char cmd[512], *out;
	int rc;

	snprintf(cmd, sizeof(cmd), "%s check metrics", tool != NULL && *tool ? tool : "promtool");
	out = test_run_cmd(cmd, text, &rc);
	ck_assert_msg(rc != 127, "promtool not found: apt-get install prometheus (%s)", out);
	ck_assert_msg(rc == 0, "promtool check metrics failed (%d): %s", rc, out);
	free(out);
}

static void check_prom(const struct mg_stats_snapshot *s)
{
	static struct prom_doc doc;
	struct mg_buf out;

	const char *err;
	char msg[512];

	mg_buf_init(&out);
	ck_assert_int_eq(mg_stats_render_prom(s, &out), 0);
	err = prom_parse(out.data, &doc, msg, sizeof(msg));
	ck_assert_msg(err == NULL, "not valid exposition text: %s", err);
	check_prom_series(s, &doc);
	check_promtool(out.data);
	mg_buf_free(&out);
}

START_TEST(test_prom_full)
{
	static struct mg_stats_snapshot s;

	fill(&s, 3, true);
	check_prom(&s);
}
END_TEST

/* TCP families on workers 0 and 2 of 3 (labels are worker indices); promtool accepts it. */
START_TEST(test_prom_tcp)
{
	static struct mg_stats_snapshot s;

	fill(&s, 3, true);
	s.w[2].idx = 6;
	fill_tcp(&s, 0x5);
	check_prom(&s);
}
END_TEST

START_TEST(test_prom_empty)
{
	static struct mg_stats_snapshot s;

	memset(&s, 0, sizeof(s));
	check_prom(&s);
}
END_TEST

/* Worker labels are the worker index, not the position in the snapshot. */
START_TEST(test_prom_worker_idx)
{
	static struct mg_stats_snapshot s;

	fill(&s, 2, false);
	s.w[0].idx = 5;
	s.w[1].idx = 9;
	check_prom(&s);
}
END_TEST

START_TEST(test_prom_escape)
{
	struct mg_buf b;

	mg_buf_init(&b);
	mg_stats_prom_escape(&b, "a\\b\"c\nd", true);
	ck_assert_str_eq(b.data, "a\\\\b\\\"c\\nd");
	mg_buf_reset(&b);
	mg_stats_prom_escape(&b, "a\\b\"c\nd", false);
	ck_assert_str_eq(b.data, "a\\\\b\"c\\nd");
	mg_buf_reset(&b);
	ck_assert_int_eq(mg_stats_prom_escape(&b, "", true), 0);
	ck_assert_str_eq(b.data, "");
	mg_buf_free(&b);
}
END_TEST

/* The checker itself must reject what Prometheus rejects, or the tests above prove nothing. */
static const char *const bad_prom[] = {
    "# HELP a_total x\n# TYPE a_total counter\na_total 1\n# HELP a_total x\n",
    "# HELP a_total x\n# TYPE a_total counter\n# HELP b x\n# TYPE b gauge\na_total 1\n",
    "# HELP a x\na 1\n",
    "# HELP a x\n# TYPE a gauge\na{l=\"x\\q\"} 1\n",
    "# HELP a x\n# TYPE a gauge\na{l=\"x\"} one\n",
    "# HELP a x\n# TYPE a gauge\na{l=\"x\"} 1\na{l=\"x\"} 2\n",
    "# HELP a x\n# TYPE a gauge\na{l=x} 1\n",
    "# HELP a x\n# TYPE a gauge\n1a 1\n",
    "# HELP a x\n# TYPE a gauge\na 1",
};

START_TEST(test_prom_checker_rejects)
{
	static struct prom_doc doc;
	char *text = strdup(bad_prom[_i]), msg[256];

	ck_assert_msg(prom_parse(text, &doc, msg, sizeof(msg)) != NULL, "accepted bad case %d", _i);
	free(text);
}
END_TEST

static TCase *prom_tcase(void)
{
	TCase *tc = tcase_create("prom");

	tcase_add_test(tc, test_prom_full);
	tcase_add_test(tc, test_prom_empty);
	tcase_add_test(tc, test_prom_tcp);
	tcase_add_test(tc, test_prom_worker_idx);
	tcase_add_test(tc, test_prom_escape);
	tcase_add_loop_test(tc, test_prom_checker_rejects, 0,
	                    (int)(sizeof(bad_prom) / sizeof(bad_prom[0])));
	tcase_set_timeout(tc, 60);
	return tc;
}

static Suite *stats_suite(void)
{
	Suite *s = suite_create("stats");
	TCase *tc = tcase_create("json");

	tcase_add_test(tc, test_json_full);
	tcase_add_test(tc, test_json_empty);
	tcase_add_test(tc, test_sum_and_drops);
	tcase_add_test(tc, test_collect_workers);
	tcase_add_test(tc, test_collect_ports_error);
	tcase_add_test(tc, test_json_tcp);
	tcase_add_test(tc, test_sum_tcp_flag);
	tcase_add_test(tc, test_collect_workers_tcp);
	tcase_add_test(tc, test_uptime);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, prom_tcase());
	suite_add_tcase(s, test_buf_tcase());
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(stats_suite());
	int n_failed;

	srunner_run_all(sr, CK_NORMAL);
	n_failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return n_failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
