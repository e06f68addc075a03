/*
 * port.h — bring DPDK ports up and down for the gateway's interfaces.
 *
 * Each interface's device string is probed (rte_dev_probe: a vdev such as
 * "net_af_packet0,iface=veth0" or a PCI address), configured with one RX/TX
 * queue pair per worker (RSS with a symmetric key where the device offers
 * it) and started.  The port's MAC and checksum offloads are written back
 * into the interface so the L2/L3 path can use them.
 */
#ifndef MG_PORT_H
#define MG_PORT_H

#include "core/worker_types.h"
#include "meshgate/bootstrap_types.h"

/**
 * Probe, configure and start the port of interface i.
 *
 * @param dp   runtime; workers must exist (their mempools feed the RX queues)
 * @param cfg  the interface's bootstrap entry
 * @param ifc  filled with port id, MAC and offloads
 * @param rx_desc,tx_desc ring sizes (adjusted to what the device allows)
 * @param err,errlen a message on failure
 * @return 0 or -errno (-ENODEV: device not found; -EINVAL: it has fewer
 *         queues than workers)
 */
int mg_port_setup(struct mg_dp *dp, const struct mg_cfg_iface *cfg, struct mg_iface *ifc,
                  uint16_t rx_desc, uint16_t tx_desc, char *err, size_t errlen);

/** Stop and close every port in dp->net.ifaces[0..n). */
void mg_port_teardown(struct mg_dp *dp, unsigned n);

#endif /* MG_PORT_H */
