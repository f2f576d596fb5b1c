/* Logging: one line per event, key=value, to stderr (the daemon's supervisor or
 * the lab collects it). Callers pass a fixed format string; values from the
 * network are always arguments, never the format.
 *
 *   log_info("tid=%u sid=%u peer=%s event=sccrp", tid, sid, peer);
 *
 * Rate limiting for peer-caused noise: log_ratelimit() returns true at most
 * `burst` times per second per call site (the static state lives at the site). */
#ifndef UTIL_LOG_H
#define UTIL_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum log_level { LOG_LVL_DEBUG = 0, LOG_LVL_INFO, LOG_LVL_WARN, LOG_LVL_ERROR };

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Name prefixed to every line (e.g. "lac-core"). The string must outlive logging. */
void log_set_ident(const char *ident);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Holding lines (a daemon's event loop): from now on debug and info lines
 * are gathered and written together by log_flush(), which the daemon calls
 * when its loop iteration ends; wake(arg) is called when a line is held and
 * none was, so the daemon can schedule that (lac-core: an ev_defer). At a
 * thousand setups a second a write() per line was a fifth of lac-core's
 * system calls. A held batch is written when it reaches 4 KiB (PIPE_BUF, so
 * each write stays atomic on a pipe), before any warning or error (which are
 * never held), at exit(), and on a fatal signal, before the signal goes on to
 * its previous handler. SIGKILL cannot be caught: the lines of the iteration
 * it cut short are lost (never more than that iteration's). */
void log_batch_start(void (*wake)(void *arg), void *arg);
void log_flush(void);

#define log_debug(...) do { if (log_get_level() <= LOG_LVL_DEBUG) log_msg(LOG_LVL_DEBUG, __VA_ARGS__); } while (0)
#define log_info(...)  log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)

struct log_ratelimit_state {
	uint64_t window_start_s;
	unsigned count;
	unsigned suppressed;
};
bool log_ratelimit(struct log_ratelimit_state *state, unsigned burst);

/* Logs at info, at most 10 lines per second from this call site. */
#define log_peer(...) do { \
		static struct log_ratelimit_state log_rl_; \
		if (log_ratelimit(&log_rl_, 10)) log_msg(LOG_LVL_INFO, __VA_ARGS__); \
	} while (0)

#endif
