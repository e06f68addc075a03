/*
 * syncz.h — the controller's /debug/syncz page: what each connected
 * gateway was sent and what it ACKed or NACKed, per type, as JSON (what
 * Istio's syncz debug endpoint and `istioctl proxy-status` show).
 *
 *   {"generation":N,"config_error":null|"file:line:col: msg",
 *    "config_rejected":N,
 *    "ads":{"connections":N,"streams":N,"pushes":N,"acks":N,"nacks":N,
 *           "stale":N,"bad_requests":N},   (totals since start)
 *    "gateways":[{"id":"...","cluster":"...","metadata":{...},
 *                 "connected_since":"RFC3339",
 *                 "types":{"CDS":{"sent":"v","nonce":"n","acked":"v",
 *                                 "nack":null|"error text","subscribed":N},
 *                          "EDS":...,"LDS":...,"RDS":...}}]}
 *
 * "sent", "nonce" and "acked" are "" before the first response / ACK;
 * "nack" is the error of the last NACK until a later ACK.
 */
#ifndef MG_CTRL_SYNCZ_H
#define MG_CTRL_SYNCZ_H

#include <stdio.h>

#include "ctrl/ads_server.h"
#include "ctrl/reload.h"

/**
 * Write the page to f.
 * @return 0 or -EIO
 */
int mg_ctrl_syncz_write(FILE *f, const struct mg_ctrl_config *cc, const struct mg_ads_server *srv);

#endif /* MG_CTRL_SYNCZ_H */
