/*
 * port.c — port bring-up: probe, queues per worker, RSS, offloads, start.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_dev.h>
#include <rte_ethdev.h>

#include "common/mg_common.h"
#include "meshgate/port.h"

/*
 * A symmetric Toeplitz key (0x6d5a repeated): both directions of a flow hash
 * to the same queue, so one worker sees a connection's packets both ways.
 */
static uint8_t mg_rss_key[52] = {
    0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d,
    0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
    0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d,
    0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
};

/* Probe the device and find the ethdev port it created. */
static int port_probe(const char *devargs, uint16_t *port_id, char *err, size_t errlen)
{
	struct rte_dev_iterator it;
	uint16_t pid;
	int rc;

	rc = rte_dev_probe(devargs);
	if (rc < 0 && rc != -EEXIST) {
		snprintf(err, errlen, "cannot probe device \"%s\": %s", devargs, strerror(-rc));
		return rc;
	}
	RTE_ETH_FOREACH_MATCHING_DEV(pid, devargs, &it) {
		*port_id = pid;
		rte_eth_iterator_cleanup(&it);
		return 0;
	}
	snprintf(err, errlen, "device \"%s\" probed but no ethdev port matches it", devargs);
	return -ENODEV;
}

static void port_conf_fill(struct rte_eth_conf *conf, const struct rte_eth_dev_info *info,
                           unsigned n_queues, struct mg_iface *ifc)
{
	memset(conf, 0, sizeof(*conf));
	if (n_queues > 1 && info->flow_type_rss_offloads != 0) {
		conf->rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf->rx_adv_conf.rss_conf.rss_hf =
		    (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) &
		    info->flow_type_rss_offloads;
		if (info->hash_key_size > 0 && info->hash_key_size <= sizeof(mg_rss_key)) {
			conf->rx_adv_conf.rss_conf.rss_key = mg_rss_key;
			conf->rx_adv_conf.rss_conf.rss_key_len = info->hash_key_size;
		}
	}
	ifc->tx_ip_cksum = (info->tx_offload_capa & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) != 0;
	ifc->rx_ip_cksum = (info->rx_offload_capa & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM) != 0;
	if (ifc->tx_ip_cksum)
		conf->txmode.offloads |= RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
	if (ifc->rx_ip_cksum)
		conf->rxmode.offloads |= RTE_ETH_RX_OFFLOAD_IPV4_CKSUM;
}

/*
 * Read back the RSS key and redirection table the device uses, so that
 * active opens can pick source ports whose replies come to their own worker
 * (software Toeplitz, rte_softrss).  Anything unknown leaves rss_ok false and
 * TCP relies on handing segments over between workers.
 */
static void port_rss_read(uint16_t pid, const struct rte_eth_dev_info *info,
                          const struct rte_eth_conf *conf, uint16_t nq, struct mg_iface *ifc)
{
	struct rte_eth_rss_conf rc = {.rss_key = ifc->rss_key, .rss_key_len = sizeof(ifc->rss_key)};
	struct rte_eth_rss_reta_entry64 reta[512 / RTE_ETH_RETA_GROUP_SIZE];

	ifc->rss_ok = false;
	if (conf->rxmode.mq_mode != RTE_ETH_MQ_RX_RSS || nq < 2 || info->reta_size == 0 ||
	    info->reta_size > 512 ||
	    !(conf->rx_adv_conf.rss_conf.rss_hf & RTE_ETH_RSS_NONFRAG_IPV4_TCP))
		return;
	if (rte_eth_dev_rss_hash_conf_get(pid, &rc) != 0 || rc.rss_key_len < 16)
		return;
	memset(reta, 0, sizeof(reta));
	for (unsigned i = 0; i < info->reta_size; i++)
		reta[i / RTE_ETH_RETA_GROUP_SIZE].mask |= 1ULL << (i % RTE_ETH_RETA_GROUP_SIZE);
	if (rte_eth_dev_rss_reta_query(pid, reta, info->reta_size) != 0)
		return;
	for (unsigned i = 0; i < info->reta_size; i++)
		ifc->reta[i] = reta[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE];
	ifc->reta_size = info->reta_size;
	ifc->rss_key_len = rc.rss_key_len;
	ifc->rss_ok = true;
}

static int port_queues_setup(struct mg_dp *dp, uint16_t pid, const struct rte_eth_dev_info *info,
                             uint16_t rx_desc, uint16_t tx_desc, char *err, size_t errlen)
{
	int rc = rte_eth_dev_adjust_nb_rx_tx_desc(pid, &rx_desc, &tx_desc);

	if (rc < 0) {
		snprintf(err, errlen, "port %u: cannot adjust ring sizes: %s", pid, strerror(-rc));
		return rc;
	}
	for (uint16_t q = 0; q < dp->n_workers; q++) {
		struct mg_worker *w = dp->workers[q];
		int socket = rte_eth_dev_socket_id(pid);
		struct rte_eth_txconf txc = info->default_txconf;

		rc = rte_eth_rx_queue_setup(pid, q, rx_desc, socket, NULL, w->pool);
		if (rc == 0) {
			txc.offloads = (info->tx_offload_capa & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM);
			rc = rte_eth_tx_queue_setup(pid, q, tx_desc, socket, &txc);
		}
		if (rc < 0) {
			snprintf(err, errlen, "port %u queue %u setup failed: %s", pid, q,
			         strerror(-rc));
			return rc;
		}
	}
	return 0;
}

int mg_port_setup(struct mg_dp *dp, const struct mg_cfg_iface *cfg, struct mg_iface *ifc,
                  uint16_t rx_desc, uint16_t tx_desc, char *err, size_t errlen)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	uint16_t pid, nq = (uint16_t)dp->n_workers;
	int rc;

	rc = port_probe(cfg->device, &pid, err, errlen);
	if (rc < 0)
		return rc;
	ifc->port_id = pid;
	rc = rte_eth_dev_info_get(pid, &info);
	if (rc < 0) {
		snprintf(err, errlen, "port %u: no device info: %s", pid, strerror(-rc));
		return rc;
	}
	if (info.max_rx_queues < nq || info.max_tx_queues < nq) {
		snprintf(err, errlen,
		         "interface %s: device has %u RX/%u TX queues but %u workers need one "
		         "each (for net_af_packet add qpairs=%u to the device string)",
		         cfg->name, info.max_rx_queues, info.max_tx_queues, nq, nq);
		return -EINVAL;
	}
	port_conf_fill(&conf, &info, nq, ifc);
	rc = rte_eth_dev_configure(pid, nq, nq, &conf);
	if (rc < 0) {
		snprintf(err, errlen, "port %u: configure failed: %s", pid, strerror(-rc));
		return rc;
	}
	rc = port_queues_setup(dp, pid, &info, rx_desc, tx_desc, err, errlen);
	if (rc < 0)
		return rc;
	/* Drivers that cannot change the MTU (memif) are fine with the default. */
	rc = rte_eth_dev_set_mtu(pid, cfg->mtu);
	if (rc < 0 && rc != -ENOTSUP)
		MG_LOG(WARNING, "port %u: cannot set MTU %u: %s", pid, cfg->mtu, strerror(-rc));
	rc = rte_eth_dev_start(pid);
	if (rc < 0) {
		snprintf(err, errlen, "port %u: start failed: %s", pid, strerror(-rc));
		return rc;
	}
	rte_eth_macaddr_get(pid, &ifc->mac);
	port_rss_read(pid, &info, &conf, nq, ifc);
	MG_LOG(INFO,
	       "interface %s: port %u, %u queue pair(s), MAC " RTE_ETHER_ADDR_PRT_FMT
	       ", tx-cksum %s, rx-cksum %s",
	       cfg->name, pid, nq, RTE_ETHER_ADDR_BYTES(&ifc->mac),
	       ifc->tx_ip_cksum ? "offload" : "software",
	       ifc->rx_ip_cksum ? "offload" : "software");
	return 0;
}

void mg_port_teardown(struct mg_dp *dp, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint16_t pid = dp->net.ifaces[i].port_id;

		rte_eth_dev_stop(pid);
		rte_eth_dev_close(pid);
	}
}
