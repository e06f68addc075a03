/*
 * proxy_config.h — `meshgatectl proxy-config` (proxy_config.c).
 */
#ifndef MG_CTL_PROXY_CONFIG_H
#define MG_CTL_PROXY_CONFIG_H

/**
 * Print a gateway's listeners, routes, clusters or endpoints from the admin
 * API at admin ("HOST:PORT").
 * @return the exit status: 0, 1 (unreachable, bad answer), 2 (usage)
 */
int mg_ctl_proxy_config(const char *kind, const char *admin);

#endif /* MG_CTL_PROXY_CONFIG_H */
