/* lac-core's counters and gauges: ONE table per counter struct drives both
 * `lacctl show counters` (key=value lines) and the Prometheus text format
 * (exposition format 0.0.4) served over HTTP on [lac] metrics_listen.
 *
 * Contracts:
 *  - A metric_field names a uint64_t member of the struct it describes (by
 *    offset); a table lists them in lacctl's column order. The lacctl key is
 *    `key`; the Prometheus name is PREFIX + key (+ "_total" for counters).
 *  - metrics_kv() appends "LINE_PREFIX key=value key=value...\n".
 *  - metrics_prom_*() append HELP/TYPE once per family, then samples;
 *    label values are escaped (backslash, quote, newline).
 *  - The setup-time histogram has fixed buckets (ms); metrics_observe_setup()
 *    is O(buckets) and allocation-free.
 *  - The HTTP listener is non-blocking on the daemon's event loop: it accepts,
 *    reads one request (at most METRICS_REQ_MAX bytes, METRICS_IDLE_MS to send
 *    it), renders the whole body into a buffer and writes it as the socket
 *    allows; at most METRICS_MAX_CONNS connections at once (more are closed
 *    at accept and counted). Only "GET /metrics" is served (404 otherwise). */
#ifndef LAC_CORE_METRICS_H
#define LAC_CORE_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "util/strbuf.h"

struct ev_loop;

enum metric_type { METRIC_COUNTER, METRIC_GAUGE };

struct metric_field {
	const char *key;        /* lacctl key; Prometheus suffix */
	const char *help;
	enum metric_type type;
	size_t offset;          /* of a uint64_t in the described struct */
};

#define METRIC_C(st, f, h) { #f, h, METRIC_COUNTER, offsetof(st, f) }
#define METRIC_G(st, f, h) { #f, h, METRIC_GAUGE, offsetof(st, f) }
/* lacctl key differing from the member name */
#define METRIC_CK(st, f, k, h) { k, h, METRIC_COUNTER, offsetof(st, f) }
#define METRIC_GK(st, f, k, h) { k, h, METRIC_GAUGE, offsetof(st, f) }
#define METRIC_N(tab) (sizeof(tab) / sizeof((tab)[0]))

void metrics_kv(struct strbuf *out, const char *line_prefix, const struct metric_field *f, size_t n,
		const void *obj);

/* One family header (# HELP, # TYPE) for name. */
void metrics_prom_family(struct strbuf *out, const char *name, const char *help, enum metric_type type);
/* One sample: name{labels} value. labels: "k1", "v1", "k2", "v2", ..., NULL (may be NULL). */
void metrics_prom_sample(struct strbuf *out, const char *name, const char *const *labels, uint64_t value);
/* Every field of a table for one object: header + sample each. */
void metrics_prom_table(struct strbuf *out, const char *prefix, const struct metric_field *f, size_t n,
			const void *obj);
/* Same table for several objects (e.g. one per listener), labelled label=values[i]. */
void metrics_prom_table_multi(struct strbuf *out, const char *prefix, const struct metric_field *f, size_t n,
			      const void *const *objs, const char *label, const char *const *values, size_t count);

/* Setup-time histogram (subscriber accepted -> session up). */
#define METRICS_SETUP_BUCKETS 10
struct metrics_histogram {
	uint64_t bucket[METRICS_SETUP_BUCKETS + 1];     /* non-cumulative; last = +Inf */
	uint64_t count, sum_ms;
};
extern const uint64_t metrics_setup_bounds_ms[METRICS_SETUP_BUCKETS];
void metrics_histogram_observe(struct metrics_histogram *h, uint64_t ms);
void metrics_prom_histogram(struct strbuf *out, const char *name, const char *help,
			    const struct metrics_histogram *h);

/* The daemon's histogram (lac-core has one). */
extern struct metrics_histogram metrics_setup_hist;
static inline void metrics_observe_setup(uint64_t ms)
{
	metrics_histogram_observe(&metrics_setup_hist, ms);
}

/* HTTP listener. render fills the body. */
#define METRICS_REQ_MAX 4096
#define METRICS_IDLE_MS 5000
#define METRICS_MAX_CONNS 16
typedef void (*metrics_render_cb)(void *ctx, struct strbuf *body);
struct metrics_http;
/* listen: "IPV4:PORT". Returns NULL with err filled. */
struct metrics_http *metrics_http_create(struct ev_loop *loop, const char *listen, metrics_render_cb render,
					 void *ctx, char *err, size_t errlen);
void metrics_http_destroy(struct metrics_http *m);
struct metrics_http_counters {
	uint64_t requests, not_found, bad_requests, refused, timeouts;
};
void metrics_http_counters_get(const struct metrics_http *m, struct metrics_http_counters *out);

/* lac-core's own tables (core/lac_metrics.c): `lacctl show counters` and
 * GET /metrics, both from the same tables. */
struct lac;
void lac_counters_text(struct lac *lac, struct strbuf *out);
void lac_metrics_render(void *lac, struct strbuf *body);

#endif
