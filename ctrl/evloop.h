/*
 * evloop.h — the controller's one event loop: an epoll set whose entries
 * point at a struct mg_ev, a callback embedded first in the owner's struct
 * (the ADS listener and connections, the status endpoint, the watcher).
 *
 * One thread serves everything: the controller's work per event is small
 * (a request, a JSON page, a reload), and a single thread needs no locks
 * around the snapshot and the stream states.  Level-triggered, so a
 * callback may read part of what is ready and be called again.
 */
#ifndef MG_CTRL_EVLOOP_H
#define MG_CTRL_EVLOOP_H

#include <errno.h>
#include <stdint.h>
#include <sys/epoll.h>

/** An epoll entry: fn is called with the ready events (EPOLLIN, ...). */
struct mg_ev {
	void (*fn)(struct mg_ev *ev, uint32_t events);
	int fd;
};

/**
 * Add (op EPOLL_CTL_ADD) or change (EPOLL_CTL_MOD) ev's fd in epfd.
 * @return 0 or -errno
 */
static inline int mg_ev_ctl(int epfd, int op, struct mg_ev *ev, uint32_t events)
{
	struct epoll_event e = {.events = events, .data.ptr = ev};

	return epoll_ctl(epfd, op, ev->fd, &e) < 0 ? -errno : 0;
}

#endif /* MG_CTRL_EVLOOP_H */
