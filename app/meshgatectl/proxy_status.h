/*
 * proxy_status.h — `meshgatectl proxy-status` (proxy_status.c).
 */
#ifndef MG_CTL_PROXY_STATUS_H
#define MG_CTL_PROXY_STATUS_H

/**
 * Print each gateway connected to the controller whose status endpoint is
 * at ctrl ("HOST:PORT"): per xDS type SYNCED, STALE, NACKED or NOT SENT,
 * then every NACK's error in full.
 * @return the exit status: 0, 1 (unreachable, bad answer), 2 (usage)
 */
int mg_ctl_proxy_status(const char *ctrl);

#endif /* MG_CTL_PROXY_STATUS_H */
