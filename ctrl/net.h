/*
 * net.h — the controller's small socket helpers: its listening sockets
 * (ADS and status, both "ADDR:PORT" on the command line) and its log line.
 */
#ifndef MG_CTRL_NET_H
#define MG_CTRL_NET_H

/**
 * Open a non-blocking TCP listening socket on addr ("127.0.0.1:15010",
 * "[::1]:15010", ":15010" for every address; port 0 picks a free one).
 * @return the socket, or -errno (-EINVAL for a malformed addr)
 */
int mg_ctrl_listen(const char *addr);

/** The local port of a bound socket, 0 on error. */
unsigned mg_ctrl_local_port(int fd);

/** Write "peer" of an accepted socket as "ADDR:PORT" into buf. */
void mg_ctrl_peer_name(int fd, char *buf, unsigned len);

/**
 * Log one line to stderr, prefixed by the UTC time (RFC 3339, ms): the
 * controller's log is its operator's view of every push, ACK and NACK.
 * Control characters become '?'; lines are cut at 4 KiB ("...").
 */
void mg_ctrl_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* MG_CTRL_NET_H */
