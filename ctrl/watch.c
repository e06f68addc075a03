/*
 * watch.c — see watch.h.
 */
#include "ctrl/watch.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "ctrl/evloop.h"
#include "ctrl/net.h"

#define EVENTS                                                                                   \
	(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE | IN_DELETE_SELF | \
	 IN_MOVE_SELF)

/* How often a missing directory is looked for. */
#define RETRY_MS 1000

struct mg_watch {
	struct mg_ev in;    /* inotify */
	struct mg_ev timer; /* debounce and retry */
	int wd;             /* the directory's watch, -1 while it is missing */
	bool due;           /* a change waits for the timer */
	unsigned debounce_ms;
	char *dir;
	void (*fn)(void *arg);
	void *arg;
};

static void arm(struct mg_watch *w, unsigned ms)
{
	struct itimerspec its = {
	    .it_value = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L}};

	(void)timerfd_settime(w->timer.fd, 0, &its, NULL);
}

static void add_watch(struct mg_watch *w)
{
	w->wd = inotify_add_watch(w->in.fd, w->dir, EVENTS | IN_ONLYDIR);
	if (w->wd < 0)
		arm(w, RETRY_MS);
}

static void inotify_event(struct mg_ev *ev, uint32_t events)
{
	struct mg_watch *w = (struct mg_watch *)ev;
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	(void)events;
	while ((n = read(w->in.fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ie = (const struct inotify_event *)p;

			if (ie->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
				if (ie->wd == w->wd) {
					if (!(ie->mask & IN_IGNORED))
						inotify_rm_watch(w->in.fd, w->wd);
					w->wd = -1;
				}
			}
			p += sizeof(*ie) + ie->len;
		}
		w->due = true;
	}
	if (w->due)
		arm(w, w->wd >= 0 ? w->debounce_ms : RETRY_MS);
}

static void timer_event(struct mg_ev *ev, uint32_t events)
{
	struct mg_watch *w = (struct mg_watch *)((char *)ev - offsetof(struct mg_watch, timer));
	uint64_t ticks;

	(void)events;
	if (read(w->timer.fd, &ticks, sizeof(ticks)) < 0)
		return;
	if (w->wd < 0) {
		add_watch(w);
		if (w->wd < 0)
			return;
		/* It came (back): whatever is in it now is a change. */
		w->due = true;
	}
	if (w->due) {
		w->due = false;
		w->fn(w->arg);
	}
}

struct mg_watch *mg_watch_new(int epfd, const char *dir, unsigned debounce_ms,
                              void (*fn)(void *arg), void *arg)
{
	struct mg_watch *w = calloc(1, sizeof(*w));
	int rc;

	if (w == NULL)
		return NULL;
	w->in.fn = inotify_event;
	w->timer.fn = timer_event;
	w->debounce_ms = debounce_ms ? debounce_ms : MG_WATCH_DEBOUNCE_MS;
	w->fn = fn;
	w->arg = arg;
	w->dir = strdup(dir);
	w->in.fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	w->timer.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (w->dir == NULL || w->in.fd < 0 || w->timer.fd < 0 ||
	    (rc = mg_ev_ctl(epfd, EPOLL_CTL_ADD, &w->in, EPOLLIN)) < 0 ||
	    (rc = mg_ev_ctl(epfd, EPOLL_CTL_ADD, &w->timer, EPOLLIN)) < 0) {
		rc = errno;
		mg_watch_free(w);
		errno = rc;
		return NULL;
	}
	add_watch(w);
	if (w->wd < 0)
		mg_ctrl_log("watch: %s: %s; looking again every second", dir, strerror(errno));
	return w;
}

void mg_watch_free(struct mg_watch *w)
{
	if (w == NULL)
		return;
	if (w->in.fd >= 0)
		close(w->in.fd);
	if (w->timer.fd >= 0)
		close(w->timer.fd);
	free(w->dir);
	free(w);
}
