/*
 * watch.h — notice edits to the config directory, debounced.
 *
 * inotify on the directory (IN_CLOSE_WRITE, IN_MOVED_TO, IN_MOVED_FROM,
 * IN_DELETE, IN_CREATE), and a timerfd re-armed on every event: the
 * callback runs once, debounce_ms after the last event, so an editor's
 * write-rename-delete dance or `cp *.yaml` of ten files is one reload, not
 * ten reloads of half-written sets.  Events are not filtered by name: a
 * reload costs milliseconds, and a filter would have to know every way a
 * file can become a *.yaml (renames, ConfigMap symlink swaps).
 *
 * A directory that does not exist (yet), or that is removed or moved away,
 * is looked for again every second; its appearance counts as a change.
 */
#ifndef MG_CTRL_WATCH_H
#define MG_CTRL_WATCH_H

/** The default quiet time after the last event before a reload. */
#define MG_WATCH_DEBOUNCE_MS 200

struct mg_watch;

/**
 * Watch dir.
 * @param epfd         the loop's epoll set (the inotify and timer fds join it)
 * @param dir          the directory (copied)
 * @param debounce_ms  quiet time before fn runs (0: MG_WATCH_DEBOUNCE_MS)
 * @param fn           called with arg after a burst of changes
 * @return the watcher, or NULL with errno set (ENOMEM, EMFILE...)
 */
struct mg_watch *mg_watch_new(int epfd, const char *dir, unsigned debounce_ms,
                              void (*fn)(void *arg), void *arg);

/** Stop watching and free w (NULL is fine). */
void mg_watch_free(struct mg_watch *w);

#endif /* MG_CTRL_WATCH_H */
