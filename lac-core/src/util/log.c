#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static enum log_level current_level = LOG_LVL_INFO;
static const char *log_ident = "realm-lns";

static const char *const level_names[] = { "debug", "info", "warn", "error" };

void log_set_level(enum log_level level) { current_level = level; }
enum log_level log_get_level(void) { return current_level; }
void log_set_ident(const char *ident) { log_ident = ident; }

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

	char line[2048];
	int n = snprintf(line, sizeof(line), "%s.%03ldZ %s level=%s ", stamp,
			 ts.tv_nsec / 1000000, log_ident, level_names[level]);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	/* one write per line so concurrent writers never interleave within a line */
	fprintf(stderr, "%s\n", line);
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
