#include "util/log.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static enum log_level current_level = LOG_LVL_INFO;
static const char *log_ident = "realm-lns";

static const char *const level_names[] = { "debug", "info", "warn", "error" };

void log_set_level(enum log_level level) { current_level = level; }
enum log_level log_get_level(void) { return current_level; }
void log_set_ident(const char *ident) { log_ident = ident; }

/* ---- held lines (log_batch_start) ---- */

/* PIPE_BUF: one write() of whole lines up to this size is atomic on a pipe,
 * so a supervisor reading several daemons never sees lines cut into. */
#define LOG_BATCH_BYTES 4096
#define LOG_LINE_MAX 2048

static char batch_buf[LOG_BATCH_BYTES];
static size_t batch_len;
static bool batching;
static void (*batch_wake)(void *);
static void *batch_wake_arg;

static const int fatal_signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
#define N_FATAL (sizeof(fatal_signals) / sizeof(fatal_signals[0]))
static struct sigaction fatal_prev[N_FATAL];

static void write_all(const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(STDERR_FILENO, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;         /* nowhere to log to: nothing better to do */
		buf += n;
		len -= (size_t)n;
	}
}

void log_flush(void)
{
	if (!batch_len)
		return;
	write_all(batch_buf, batch_len);
	batch_len = 0;
}

/* A crash writes what is held (async-signal-safe: one write()), then hands
 * the signal to whoever had it before (the default action, or a sanitizer's
 * report): a fault re-executes on return, abort() raises again. */
static void log_fatal(int sig)
{
	if (batch_len)
		(void)write(STDERR_FILENO, batch_buf, batch_len);
	batch_len = 0;
	for (size_t i = 0; i < N_FATAL; i++)
		if (fatal_signals[i] == sig)
			sigaction(sig, &fatal_prev[i], NULL);
}

void log_batch_start(void (*wake)(void *arg), void *arg)
{
	if (batching)
		return;
	batch_wake = wake;
	batch_wake_arg = arg;
	batching = true;
	atexit(log_flush);
	for (size_t i = 0; i < N_FATAL; i++) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = log_fatal;
		sigemptyset(&sa.sa_mask);
		sigaction(fatal_signals[i], &sa, &fatal_prev[i]);
	}
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	if (level < current_level)
		return;
	struct timespec ts;
	struct tm tm;
	char stamp[32];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	char line[LOG_LINE_MAX + 1];
	int n = snprintf(line, LOG_LINE_MAX, "%s.%03ldZ %s level=%s ", stamp,
			 ts.tv_nsec / 1000000, log_ident, level_names[level]);
	if (n < 0 || n >= LOG_LINE_MAX)
		return;
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + n, LOG_LINE_MAX - (size_t)n, fmt, ap);
	va_end(ap);
	size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
	if (len > LOG_LINE_MAX - 1)
		len = LOG_LINE_MAX - 1;         /* cut to the buffer, as vsnprintf did */
	line[len++] = '\n';
	if (!batching || level >= LOG_LVL_WARN) {
		/* Warnings and errors go at once, after what is held (in order). */
		log_flush();
		write_all(line, len);   /* one write per line: writers never interleave within one */
		return;
	}
	if (batch_len + len > sizeof(batch_buf))
		log_flush();
	bool was_empty = batch_len == 0;
	memcpy(batch_buf + batch_len, line, len);
	batch_len += len;
	if (was_empty && batch_wake)
		batch_wake(batch_wake_arg);
}

bool log_ratelimit(struct log_ratelimit_state *state, unsigned burst)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t now = (uint64_t)ts.tv_sec;
	if (now != state->window_start_s) {
		if (state->suppressed)
			log_msg(LOG_LVL_INFO, "event=log_suppressed count=%u", state->suppressed);
		state->window_start_s = now;
		state->count = 0;
		state->suppressed = 0;
	}
	if (state->count < burst) {
		state->count++;
		return true;
	}
	state->suppressed++;
	return false;
}
