/* Counters tables, Prometheus text format and the metrics HTTP listener: see metrics.h. */
#include "core/metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ev/ev.h"

static uint64_t field_value(const struct metric_field *f, const void *obj)
{
	uint64_t v;
	memcpy(&v, (const char *)obj + f->offset, sizeof(v));
	return v;
}

void metrics_kv(struct strbuf *out, const char *line_prefix, const struct metric_field *f, size_t n,
		const void *obj)
{
	strbuf_printf(out, "%s", line_prefix ? line_prefix : "");
	for (size_t i = 0; i < n; i++)
		strbuf_printf(out, "%s%s=%llu", i ? " " : "", f[i].key, (unsigned long long)field_value(&f[i], obj));
	strbuf_printf(out, "\n");
}

/* Appends s with the given characters escaped as the exposition format asks. */
static void prom_escape(struct strbuf *out, const char *s, int quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			strbuf_append(out, "\\\\", 2);
		else if (*s == '\n')
			strbuf_append(out, "\\n", 2);
		else if (quote && *s == '"')
			strbuf_append(out, "\\\"", 2);
		else
			strbuf_append(out, s, 1);
	}
}

void metrics_prom_family(struct strbuf *out, const char *name, const char *help, enum metric_type type)
{
	strbuf_printf(out, "# HELP %s ", name);
	prom_escape(out, help, 0);
	strbuf_printf(out, "\n# TYPE %s %s\n", name, type == METRIC_COUNTER ? "counter" : "gauge");
}

void metrics_prom_sample(struct strbuf *out, const char *name, const char *const *labels, uint64_t value)
{
	strbuf_printf(out, "%s", name);
	if (labels && labels[0]) {
		strbuf_append(out, "{", 1);
		for (size_t i = 0; labels[i] && labels[i + 1]; i += 2) {
			strbuf_printf(out, "%s%s=\"", i ? "," : "", labels[i]);
			prom_escape(out, labels[i + 1], 1);
			strbuf_append(out, "\"", 1);
		}
		strbuf_append(out, "}", 1);
	}
	strbuf_printf(out, " %llu\n", (unsigned long long)value);
}

static void prom_name(char *buf, size_t len, const char *prefix, const struct metric_field *f)
{
	snprintf(buf, len, "%s%s%s", prefix, f->key, f->type == METRIC_COUNTER ? "_total" : "");
}

void metrics_prom_table(struct strbuf *out, const char *prefix, const struct metric_field *f, size_t n,
			const void *obj)
{
	char name[160];
	for (size_t i = 0; i < n; i++) {
		prom_name(name, sizeof(name), prefix, &f[i]);
		metrics_prom_family(out, name, f[i].help, f[i].type);
		metrics_prom_sample(out, name, NULL, field_value(&f[i], obj));
	}
}

void metrics_prom_table_multi(struct strbuf *out, const char *prefix, const struct metric_field *f, size_t n,
			      const void *const *objs, const char *label, const char *const *values, size_t count)
{
	char name[160];
	if (count == 0)
		return;
	for (size_t i = 0; i < n; i++) {
		prom_name(name, sizeof(name), prefix, &f[i]);
		metrics_prom_family(out, name, f[i].help, f[i].type);
		for (size_t j = 0; j < count; j++) {
			const char *labels[] = { label, values[j], NULL };
			metrics_prom_sample(out, name, labels, field_value(&f[i], objs[j]));
		}
	}
}

/* ---- setup-time histogram ---- */

const uint64_t metrics_setup_bounds_ms[METRICS_SETUP_BUCKETS] = { 10, 25, 50, 100, 250, 500, 1000, 2500, 5000,
								   10000 };
struct metrics_histogram metrics_setup_hist;

void metrics_histogram_observe(struct metrics_histogram *h, uint64_t ms)
{
	size_t i = 0;
	while (i < METRICS_SETUP_BUCKETS && ms > metrics_setup_bounds_ms[i])
		i++;
	h->bucket[i]++;
	h->count++;
	h->sum_ms += ms;
}

void metrics_prom_histogram(struct strbuf *out, const char *name, const char *help,
			    const struct metrics_histogram *h)
{
	uint64_t cum = 0;
	strbuf_printf(out, "# HELP %s ", name);
	prom_escape(out, help, 0);
	strbuf_printf(out, "\n# TYPE %s histogram\n", name);
	for (size_t i = 0; i <= METRICS_SETUP_BUCKETS; i++) {
		cum += h->bucket[i];
		if (i < METRICS_SETUP_BUCKETS)
			strbuf_printf(out, "%s_bucket{le=\"%.3f\"} %llu\n", name,
				      (double)metrics_setup_bounds_ms[i] / 1000.0, (unsigned long long)cum);
		else
			strbuf_printf(out, "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)cum);
	}
	strbuf_printf(out, "%s_sum %.3f\n%s_count %llu\n", name, (double)h->sum_ms / 1000.0, name,
		      (unsigned long long)h->count);
}

/* ---- HTTP listener ---- */

struct metrics_conn {
	struct metrics_http *srv;
	int fd;
	char req[METRICS_REQ_MAX];
	size_t req_len;
	struct strbuf resp;
	size_t resp_off;
	struct ev_timer idle;
	struct metrics_conn *next, **pprev;
};

struct metrics_http {
	struct ev_loop *loop;
	int fd;
	metrics_render_cb render;
	void *ctx;
	struct metrics_conn *conns;
	size_t n_conns;
	struct metrics_http_counters c;
};

static void conn_close(struct metrics_conn *mc)
{
	struct metrics_http *m = mc->srv;
	ev_timer_stop(m->loop, &mc->idle);
	ev_io_del(m->loop, mc->fd);
	close(mc->fd);
	*mc->pprev = mc->next;
	if (mc->next)
		mc->next->pprev = mc->pprev;
	m->n_conns--;
	strbuf_free(&mc->resp);
	free(mc);
}

static void conn_idle(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	struct metrics_conn *mc = arg;
	mc->srv->c.timeouts++;
	conn_close(mc);
}

static void conn_write(struct metrics_conn *mc)
{
	while (mc->resp_off < mc->resp.len) {
		ssize_t n = send(mc->fd, mc->resp.data + mc->resp_off, mc->resp.len - mc->resp_off, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return; /* wait for EV_WRITE */
		if (n <= 0)
			break;
		mc->resp_off += (size_t)n;
	}
	conn_close(mc);
}

static void conn_respond(struct metrics_conn *mc, const char *status, struct strbuf *body)
{
	strbuf_printf(&mc->resp,
		      "HTTP/1.0 %s\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
		      "Content-Length: %zu\r\nConnection: close\r\n\r\n",
		      status, body ? body->len : (size_t)0);
	if (body && body->len)
		strbuf_append(&mc->resp, body->data, body->len);
	if (mc->resp.failed) {
		conn_close(mc);
		return;
	}
	ev_io_mod(mc->srv->loop, mc->fd, EV_WRITE);
	conn_write(mc);
}

static void conn_request(struct metrics_conn *mc)
{
	struct metrics_http *m = mc->srv;
	if (strncmp(mc->req, "GET ", 4) != 0) {
		m->c.bad_requests++;
		conn_respond(mc, "400 Bad Request", NULL);
		return;
	}
	const char *path = mc->req + 4;
	size_t plen = strcspn(path, " ?\r\n");
	if (!((plen == 8 && memcmp(path, "/metrics", 8) == 0))) {
		m->c.not_found++;
		conn_respond(mc, "404 Not Found", NULL);
		return;
	}
	m->c.requests++;
	struct strbuf body;
	strbuf_init(&body);
	m->render(m->ctx, &body);
	if (body.failed) {
		strbuf_free(&body);
		conn_respond(mc, "500 Internal Server Error", NULL);
		return;
	}
	conn_respond(mc, "200 OK", &body);
	strbuf_free(&body);
}

static void conn_io(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	struct metrics_conn *mc = arg;
	if (mc->resp.len) { /* writing the response */
		conn_write(mc);
		return;
	}
	for (;;) {
		ssize_t n = recv(fd, mc->req + mc->req_len, sizeof(mc->req) - 1 - mc->req_len, 0);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		if (n <= 0) {
			conn_close(mc);
			return;
		}
		mc->req_len += (size_t)n;
		mc->req[mc->req_len] = '\0';
		if (strstr(mc->req, "\r\n\r\n") || strstr(mc->req, "\n\n")) {
			conn_request(mc);
			return;
		}
		if (mc->req_len >= sizeof(mc->req) - 1) {
			mc->srv->c.bad_requests++;
			conn_respond(mc, "431 Request Header Fields Too Large", NULL);
			return;
		}
	}
}

static void metrics_accept(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	struct metrics_http *m = arg;
	for (int i = 0; i < 16; i++) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0)
			return;
		struct metrics_conn *mc = m->n_conns < METRICS_MAX_CONNS ? calloc(1, sizeof(*mc)) : NULL;
		if (!mc) {
			m->c.refused++;
			close(cfd);
			continue;
		}
		mc->srv = m;
		mc->fd = cfd;
		strbuf_init(&mc->resp);
		if (ev_io_add(loop, cfd, EV_READ, conn_io, mc) < 0) {
			m->c.refused++;
			close(cfd);
			free(mc);
			continue;
		}
		mc->next = m->conns;
		if (m->conns)
			m->conns->pprev = &mc->next;
		mc->pprev = &m->conns;
		m->conns = mc;
		m->n_conns++;
		ev_timer_init(&mc->idle, conn_idle, mc);
		ev_timer_start(loop, &mc->idle, METRICS_IDLE_MS);
	}
}

struct metrics_http *metrics_http_create(struct ev_loop *loop, const char *listen_addr, metrics_render_cb render,
					 void *ctx, char *err, size_t errlen)
{
	char host[64];
	const char *colon = strrchr(listen_addr, ':');
	struct sockaddr_in sin = { .sin_family = AF_INET };
	char *end;
	unsigned long port = colon ? strtoul(colon + 1, &end, 10) : 0;
	if (!colon || (size_t)(colon - listen_addr) >= sizeof(host) || !colon[1] || *end || port == 0 || port > 65535) {
		snprintf(err, errlen, "metrics_listen '%s': expected IPV4:PORT", listen_addr);
		return NULL;
	}
	memcpy(host, listen_addr, (size_t)(colon - listen_addr));
	host[colon - listen_addr] = '\0';
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1) {
		snprintf(err, errlen, "metrics_listen '%s': '%s' is not an IPv4 address", listen_addr, host);
		return NULL;
	}
	sin.sin_port = htons((uint16_t)port);
	struct metrics_http *m = calloc(1, sizeof(*m));
	if (!m) {
		snprintf(err, errlen, "metrics: out of memory");
		return NULL;
	}
	m->loop = loop;
	m->render = render;
	m->ctx = ctx;
	m->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	if (m->fd < 0 || setsockopt(m->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(m->fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(m->fd, 16) < 0 ||
	    ev_io_add(loop, m->fd, EV_READ, metrics_accept, m) < 0) {
		snprintf(err, errlen, "metrics_listen %s: %s", listen_addr, strerror(errno));
		if (m->fd >= 0)
			close(m->fd);
		free(m);
		return NULL;
	}
	return m;
}

void metrics_http_destroy(struct metrics_http *m)
{
	if (!m)
		return;
	while (m->conns)
		conn_close(m->conns);
	ev_io_del(m->loop, m->fd);
	close(m->fd);
	free(m);
}

void metrics_http_counters_get(const struct metrics_http *m, struct metrics_http_counters *out)
{
	if (m)
		*out = m->c;
	else
		memset(out, 0, sizeof(*out));
}
