/*
 * realm_sentinel: see realm_sentinel.h. The protocol is the one Redis
 * documents for Sentinel clients ("Sentinel client guidelines"): ask each
 * sentinel in turn for the master, verify it with ROLE, follow +switch-master.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "realm_sentinel.h"

/* ---- pure parsers ---- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode s[0..len) into dst (cap with the NUL). 0, or -1 on a bad
 * or NUL escape or when it does not fit. */
static int unescape(const char *s, size_t len, char *dst, size_t cap)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		int c = (unsigned char)s[i];
		if (c == '%') {
			int hi, lo;
			if (i + 2 >= len)
				return -1;
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0 || (hi | lo) == 0)
				return -1;
			c = hi * 16 + lo;
			i += 2;
		}
		if (o + 1 >= cap)
			return -1;
		dst[o++] = (char)c;
	}
	dst[o] = '\0';
	return 0;
}

/* Decimal s[0..len) in [min, max]. 0 or -1. */
static int decimal(const char *s, size_t len, long min, long max, int *out)
{
	long v = 0;
	size_t i;

	if (len == 0 || len > 10)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

static int name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

/* One "host[:port]" or "[v6][:port]" of the list, s[0..len). 0 or -1 (err). */
static int parse_sentinel(const char *s, size_t len, unsigned idx, struct realm_sentinel_addr *a,
			  char *err, size_t errlen)
{
	const char *host = s, *port = NULL, *end = s + len, *p;
	size_t hlen;

	if (len == 0) {
		snprintf(err, errlen, "sentinel url: sentinel %u is empty (\",,\", or a ',' at an end)",
			 idx + 1);
		return -1;
	}
	if (*s == '[') {
		const char *close = memchr(s, ']', len);
		if (!close) {
			snprintf(err, errlen, "sentinel url: sentinel %u: '[' without ']'", idx + 1);
			return -1;
		}
		host = s + 1;
		hlen = (size_t)(close - host);
		if (close + 1 < end) {
			if (close[1] != ':') {
				snprintf(err, errlen, "sentinel url: sentinel %u: junk after ']'", idx + 1);
				return -1;
			}
			port = close + 2;
		}
		for (p = host; p < close; p++)
			if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') ||
			      (*p >= 'A' && *p <= 'F') || *p == ':' || *p == '.')) {
				snprintf(err, errlen, "sentinel url: sentinel %u: [...] must hold an IPv6 address",
					 idx + 1);
				return -1;
			}
	} else {
		const char *colon = memchr(s, ':', len);
		if (colon && memchr(colon + 1, ':', (size_t)(end - colon - 1))) {
			snprintf(err, errlen, "sentinel url: sentinel %u: an IPv6 address needs brackets "
				 "([addr]:port)", idx + 1);
			return -1;
		}
		hlen = colon ? (size_t)(colon - s) : len;
		if (colon)
			port = colon + 1;
		for (p = s; p < s + hlen; p++)
			if (!name_char(*p)) {
				snprintf(err, errlen, "sentinel url: sentinel %u: bad character '%c' in host",
					 idx + 1, *p >= 0x20 && *p < 0x7f ? *p : '?');
				return -1;
			}
	}
	if (hlen == 0 || hlen > REALM_SENTINEL_HOST_MAX) {
		snprintf(err, errlen, "sentinel url: sentinel %u: missing or over-long host", idx + 1);
		return -1;
	}
	memcpy(a->host, host, hlen);
	a->host[hlen] = '\0';
	a->port = REALM_SENTINEL_DEFAULT_PORT;
	if (port && decimal(port, (size_t)(end - port), 1, 65535, &a->port) < 0) {
		snprintf(err, errlen, "sentinel url: sentinel %u: port must be 1..65535", idx + 1);
		return -1;
	}
	return 0;
}

int realm_sentinel_is_url(const char *s)
{
	return s && strncmp(s, REALM_SENTINEL_SCHEME, sizeof(REALM_SENTINEL_SCHEME) - 1) == 0;
}

int realm_sentinel_parse(const char *url, struct realm_sentinel_conf *out, char *err, size_t errlen)
{
	const char *p, *slash, *at, *list_end, *name, *name_end;
	char dummy[1];
	unsigned i, j;

	if (!err || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	memset(out, 0, sizeof(*out));
	if (!url || !realm_sentinel_is_url(url)) {
		snprintf(err, errlen, "sentinel url: want sentinel://host[:port][,host[:port]...]/master-name");
		return -1;
	}
	p = url + sizeof(REALM_SENTINEL_SCHEME) - 1;
	if (strpbrk(p, "?# \t\r\n")) {
		snprintf(err, errlen, "sentinel url: no query, fragment or blank allowed");
		return -1;
	}
	slash = strchr(p, '/');
	if (!slash) {
		snprintf(err, errlen, "sentinel url: no master name (want .../master-name after the sentinels)");
		return -1;
	}
	at = memchr(p, '@', (size_t)(slash - p));
	if (at) {
		const char *colon = memchr(p, ':', (size_t)(at - p));
		if (!colon) {
			snprintf(err, errlen, "sentinel url: credentials must be \":password@\" or \"user:password@\"");
			return -1;
		}
		if (unescape(p, (size_t)(colon - p), out->user, sizeof(out->user)) < 0 ||
		    unescape(colon + 1, (size_t)(at - colon - 1), out->password, sizeof(out->password)) < 0) {
			snprintf(err, errlen, "sentinel url: bad percent-encoding or over-long user/password");
			return -1;
		}
		out->has_password = 1;
		p = at + 1;
	}
	list_end = slash;
	if (p == list_end) {
		snprintf(err, errlen, "sentinel url: no sentinel address before '/'");
		return -1;
	}
	while (p <= list_end) {
		const char *comma = memchr(p, ',', (size_t)(list_end - p));
		const char *e = comma ? comma : list_end;
		if (out->n == REALM_SENTINEL_MAX) {
			snprintf(err, errlen, "sentinel url: more than %d sentinels", REALM_SENTINEL_MAX);
			return -1;
		}
		if (parse_sentinel(p, (size_t)(e - p), out->n, &out->sentinel[out->n], err, errlen) < 0)
			return -1;
		out->n++;
		p = e + 1;
	}
	for (i = 0; i < out->n; i++)
		for (j = i + 1; j < out->n; j++)
			if (out->sentinel[i].port == out->sentinel[j].port &&
			    strcmp(out->sentinel[i].host, out->sentinel[j].host) == 0) {
				snprintf(err, errlen, "sentinel url: sentinel %u repeats sentinel %u", j + 1, i + 1);
				return -1;
			}
	name = slash + 1;
	name_end = strchr(name, '/');
	if (!name_end)
		name_end = name + strlen(name);
	if (name_end == name) {
		snprintf(err, errlen, "sentinel url: empty master name after '/'");
		return -1;
	}
	if ((size_t)(name_end - name) > REALM_SENTINEL_NAME_MAX) {
		snprintf(err, errlen, "sentinel url: master name longer than %d", REALM_SENTINEL_NAME_MAX);
		return -1;
	}
	for (p = name; p < name_end; p++)
		if (!name_char(*p)) {
			snprintf(err, errlen, "sentinel url: master name may only hold A-Z a-z 0-9 . _ -");
			return -1;
		}
	memcpy(out->master, name, (size_t)(name_end - name));
	out->master[name_end - name] = '\0';
	if (*name_end == '/' &&
	    decimal(name_end + 1, strlen(name_end + 1), 0, 2147483647L, &out->db) < 0) {
		snprintf(err, errlen, "sentinel url: database must be a number after the master name");
		return -1;
	}
	return 0;
}

void realm_sentinel_describe(const struct realm_sentinel_conf *conf, char *buf, size_t buflen)
{
	size_t used;
	unsigned i;
	int w;

	if (buflen == 0)
		return;
	w = snprintf(buf, buflen, "%s", REALM_SENTINEL_SCHEME);
	used = w > 0 ? (size_t)w : 0;
	for (i = 0; i < conf->n && used < buflen; i++) {
		const struct realm_sentinel_addr *a = &conf->sentinel[i];
		w = snprintf(buf + used, buflen - used, strchr(a->host, ':') ? "%s[%s]:%d" : "%s%s:%d",
			     i ? "," : "", a->host, a->port);
		used += w > 0 ? (size_t)w : 0;
	}
	if (used < buflen)
		snprintf(buf + used, buflen - used, conf->db ? "/%s/%d" : "/%s", conf->master, conf->db);
}

int realm_sentinel_parse_master_reply(const redisReply *r, char *host, size_t hostlen, int *port,
				      char *err, size_t errlen)
{
	if (!r) {
		snprintf(err, errlen, "no reply");
		return -1;
	}
	if (r->type == REDIS_REPLY_NIL) {
		snprintf(err, errlen, "the sentinel does not know this master name");
		return -1;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		snprintf(err, errlen, "sentinel refused: %.120s", r->str);
		return -1;
	}
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_STRING) {
		snprintf(err, errlen, "not a reply to SENTINEL get-master-addr-by-name");
		return -1;
	}
	if (r->element[0]->len == 0 || (size_t)r->element[0]->len >= hostlen ||
	    memchr(r->element[0]->str, '\0', r->element[0]->len)) {
		snprintf(err, errlen, "sentinel gave an empty or over-long host");
		return -1;
	}
	if (decimal(r->element[1]->str, r->element[1]->len, 1, 65535, port) < 0) {
		snprintf(err, errlen, "sentinel gave a bad port");
		return -1;
	}
	memcpy(host, r->element[0]->str, r->element[0]->len);
	host[r->element[0]->len] = '\0';
	return 0;
}

int realm_sentinel_parse_role_reply(const redisReply *r)
{
	if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
	    r->element[0]->type != REDIS_REPLY_STRING)
		return -1;
	return r->element[0]->len == 6 && memcmp(r->element[0]->str, "master", 6) == 0;
}

int realm_sentinel_parse_switch(const char *msg, size_t len, const char *master, char *host,
				size_t hostlen, int *port)
{
	const char *f[5];
	size_t fl[5], i = 0, n = 0;

	while (n < 5 && i < len) {
		f[n] = msg + i;
		while (i < len && msg[i] != ' ')
			i++;
		fl[n] = (size_t)(msg + i - f[n]);
		if (fl[n] == 0)
			return -1;
		n++;
		if (i < len)
			i++;    /* the blank */
	}
	if (n != 5 || i != len || msg[len - 1] == ' ')
		return -1;
	if (fl[3] >= hostlen || memchr(f[3], '\0', fl[3]) || decimal(f[4], fl[4], 1, 65535, port) < 0)
		return -1;
	if (strlen(master) != fl[0] || memcmp(master, f[0], fl[0]) != 0)
		return 0;
	memcpy(host, f[3], fl[3]);
	host[fl[3]] = '\0';
	return 1;
}

/* ---- the shared current master ---- */

struct realm_sentinel {
	struct realm_sentinel_conf conf;
	unsigned              timeout_ms;
	realm_sentinel_log_fn log;
	void                 *log_ctx;

	pthread_mutex_t       mu;             /* the fields below; never held during I/O */
	char                  host[REALM_SENTINEL_HOST_MAX + 1];
	int                   port;
	int                   valid;          /* host/port usable without asking */
	uint64_t              gen;            /* __atomic for readers without mu */
	unsigned              next;           /* the sentinel to ask first */
	unsigned              querying;       /* queries under way (without mu) */
	uint64_t              failed_ms;      /* monotonic ms of the last failed query */
	unsigned              failed_budget;
	char                  failed_why[160];

	pthread_t             watch;
	pid_t                 watch_pid;      /* the process the watcher runs in */
	int                   watching, stop; /* stop: __atomic */
	unsigned              retry_ms;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct timeval tv_of(unsigned ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (long)(ms % 1000) * 1000 };
	return tv;
}

static void say(struct realm_sentinel *s, int warn, const char *line)
{
	if (s->log)
		s->log(s->log_ctx, warn, line);
}

struct realm_sentinel *realm_sentinel_new(const struct realm_sentinel_conf *conf, unsigned timeout_ms,
					  realm_sentinel_log_fn log, void *log_ctx)
{
	struct realm_sentinel *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->conf = *conf;
	s->timeout_ms = timeout_ms ? timeout_ms : 100;
	s->log = log;
	s->log_ctx = log_ctx;
	s->gen = 1;
	pthread_mutex_init(&s->mu, NULL);
	return s;
}

void realm_sentinel_free(struct realm_sentinel *s)
{
	if (!s)
		return;
	realm_sentinel_watch_stop(s);
	pthread_mutex_destroy(&s->mu);
	memset(s->conf.password, 0, sizeof(s->conf.password));
	free(s);
}

const struct realm_sentinel_conf *realm_sentinel_conf(const struct realm_sentinel *s)
{
	return &s->conf;
}

uint64_t realm_sentinel_generation(struct realm_sentinel *s)
{
	return __atomic_load_n(&s->gen, __ATOMIC_ACQUIRE);
}

/* Under mu: record addr as the master; a new address is a new generation. */
static void set_master_locked(struct realm_sentinel *s, const char *host, int port, const char *how)
{
	char line[400];

	if (s->valid && s->port == port && strcmp(s->host, host) == 0)
		return;
	if (strcmp(s->host, host) != 0 || s->port != port) {
		if (s->host[0]) {
			snprintf(line, sizeof(line), "event=sentinel_master_moved master=%s from=%s:%d to=%s:%d via=%s",
				 s->conf.master, s->host, s->port, host, port, how);
			say(s, 1, line);
		} else {
			snprintf(line, sizeof(line), "event=sentinel_master master=%s addr=%s:%d via=%s",
				 s->conf.master, host, port, how);
			say(s, 0, line);
		}
		snprintf(s->host, sizeof(s->host), "%s", host);
		s->port = port;
		__atomic_add_fetch(&s->gen, 1, __ATOMIC_ACQ_REL);
	}
	s->valid = 1;
}

/* Ask one sentinel, within ms. 0 with host/port, or -1 with why. */
static int ask_one(struct realm_sentinel *s, const struct realm_sentinel_addr *a, unsigned ms,
		   char *host, size_t hostlen, int *port, char *why, size_t whylen)
{
	const char *argv[3] = { "SENTINEL", "get-master-addr-by-name", s->conf.master };
	size_t argvlen[3] = { 8, 23, strlen(s->conf.master) };
	redisContext *c = redisConnectWithTimeout(a->host, a->port, tv_of(ms));
	redisReply *r;
	char e[160];
	int rc;

	if (!c || c->err) {
		snprintf(why, whylen, "sentinel %s:%d: %s", a->host, a->port, c ? c->errstr : "out of memory");
		if (c)
			redisFree(c);
		return -1;
	}
	redisSetTimeout(c, tv_of(ms));
	r = redisCommandArgv(c, 3, argv, argvlen);
	if (!r) {
		snprintf(why, whylen, "sentinel %s:%d: %s", a->host, a->port,
			 c->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK) ? "timeout" : c->errstr);
		redisFree(c);
		return -1;
	}
	rc = realm_sentinel_parse_master_reply(r, host, hostlen, port, e, sizeof(e));
	if (rc < 0)
		snprintf(why, whylen, "sentinel %s:%d: %s", a->host, a->port, e);
	freeReplyObject(r);
	redisFree(c);
	return rc;
}

/*
 * Ask the sentinels in order from *first within budget_ms, without mu (a
 * slow sentinel never holds up a caller that only wants the known master).
 * 0 with host/port and *first the one that answered, or -1 with why and
 * *first the one after the last that failed.
 */
static int query(struct realm_sentinel *s, unsigned *first, unsigned budget_ms, char *host,
		 size_t hostlen, int *port, char *why, size_t whylen)
{
	uint64_t deadline = mono_ms() + budget_ms;
	unsigned i;

	snprintf(why, whylen, "no sentinel asked (budget %u ms)", budget_ms);
	for (i = 0; i < s->conf.n; i++) {
		unsigned idx = (*first + i) % s->conf.n;
		uint64_t now = mono_ms();
		unsigned ms;
		if (now >= deadline)
			break;
		ms = (unsigned)(deadline - now);
		if (ms > s->timeout_ms)
			ms = s->timeout_ms;
		if (ask_one(s, &s->conf.sentinel[idx], ms, host, hostlen, port, why, whylen) == 0) {
			*first = idx;
			return 0;
		}
		/* a sentinel that failed is asked last next time */
		*first = (idx + 1) % s->conf.n;
	}
	return -1;
}

int realm_sentinel_get(struct realm_sentinel *s, unsigned budget_ms, int fresh, char *host,
		       size_t hostlen, int *port, uint64_t *gen, char *why, size_t whylen)
{
	char got[REALM_SENTINEL_HOST_MAX + 1];
	uint64_t gen0;
	unsigned first;
	int got_port, rc;

	pthread_mutex_lock(&s->mu);
	if (!fresh && !s->valid) {
		if (s->querying) {
			/* the answer is on its way to another caller: no second query */
			snprintf(why, whylen, "sentinel query under way");
			pthread_mutex_unlock(&s->mu);
			return -1;
		}
		if (s->failed_ms && mono_ms() - s->failed_ms < s->failed_budget) {
			/* another caller just asked them all: do not ask again at once */
			snprintf(why, whylen, "%s", s->failed_why);
			pthread_mutex_unlock(&s->mu);
			return -1;
		}
	}
	if (fresh || !s->valid) {
		s->querying++;
		first = s->next;
		gen0 = s->gen;
		pthread_mutex_unlock(&s->mu);
		rc = query(s, &first, budget_ms, got, sizeof(got), &got_port, why, whylen);
		pthread_mutex_lock(&s->mu);
		s->querying--;
		s->next = first;
		if (rc < 0) {
			s->failed_ms = mono_ms();
			s->failed_budget = budget_ms;
			snprintf(s->failed_why, sizeof(s->failed_why), "%s", why);
			pthread_mutex_unlock(&s->mu);
			return -1;
		}
		s->failed_ms = 0;
		/* a +switch-master while we asked is newer than our answer */
		if (s->gen == gen0)
			set_master_locked(s, got, got_port, "query");
	}
	rc = 0;
	if ((size_t)snprintf(host, hostlen, "%s", s->host) >= hostlen) {
		snprintf(why, whylen, "master host too long");
		rc = -1;
	}
	*port = s->port;
	if (gen)
		*gen = s->gen;
	pthread_mutex_unlock(&s->mu);
	return rc;
}

void realm_sentinel_invalidate(struct realm_sentinel *s, uint64_t gen)
{
	pthread_mutex_lock(&s->mu);
	if (gen == s->gen)
		s->valid = 0;
	pthread_mutex_unlock(&s->mu);
}

int realm_sentinel_check_master(redisContext *c, char *why, size_t whylen)
{
	const char *argv[1] = { "ROLE" };
	size_t argvlen[1] = { 4 };
	redisReply *r = redisCommandArgv(c, 1, argv, argvlen);
	int rc;

	if (!r) {
		snprintf(why, whylen, "ROLE: %s", c->errstr[0] ? c->errstr : "no reply");
		return -1;
	}
	rc = realm_sentinel_parse_role_reply(r);
	if (rc == 0)
		snprintf(why, whylen, "not the master (ROLE says %.*s)", (int)(r->element[0]->len > 20 ? 20 : r->element[0]->len),
			 r->element[0]->str);
	else if (rc < 0)
		snprintf(why, whylen, "unexpected reply to ROLE");
	freeReplyObject(r);
	return rc;
}

/* ---- the +switch-master watcher ---- */

static int watch_stopping(struct realm_sentinel *s)
{
	return __atomic_load_n(&s->stop, __ATOMIC_RELAXED);
}

static void watch_sleep(struct realm_sentinel *s, unsigned ms)
{
	while (ms && !watch_stopping(s)) {
		unsigned step = ms > 50 ? 50 : ms;
		struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)step * 1000000 };
		nanosleep(&ts, NULL);
		ms -= step;
	}
}

/* SUBSCRIBE +switch-master on sentinel idx. The context, or NULL. */
static redisContext *watch_open(struct realm_sentinel *s, unsigned idx)
{
	const struct realm_sentinel_addr *a = &s->conf.sentinel[idx];
	const char *argv[2] = { "SUBSCRIBE", "+switch-master" };
	size_t argvlen[2] = { 9, 14 };
	redisContext *c = redisConnectWithTimeout(a->host, a->port, tv_of(s->timeout_ms));
	redisReply *r;

	if (!c || c->err) {
		if (c)
			redisFree(c);
		return NULL;
	}
	redisSetTimeout(c, tv_of(s->timeout_ms));
	r = redisCommandArgv(c, 2, argv, argvlen);
	if (!r || r->type != REDIS_REPLY_ARRAY) {
		if (r)
			freeReplyObject(r);
		redisFree(c);
		return NULL;
	}
	freeReplyObject(r);
	return c;
}

/* Handle what is buffered on c. 0, or -1 (connection unusable). */
static int watch_drain(struct realm_sentinel *s, redisContext *c)
{
	for (;;) {
		char host[REALM_SENTINEL_HOST_MAX + 1];
		void *reply = NULL;
		redisReply *r;
		int port;

		if (redisGetReplyFromReader(c, &reply) != REDIS_OK)
			return -1;
		if (!reply)
			return 0;
		r = reply;
		if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
		    r->element[0]->type == REDIS_REPLY_STRING && strcmp(r->element[0]->str, "message") == 0 &&
		    r->element[2]->type == REDIS_REPLY_STRING &&
		    realm_sentinel_parse_switch(r->element[2]->str, r->element[2]->len, s->conf.master,
						host, sizeof(host), &port) == 1) {
			pthread_mutex_lock(&s->mu);
			set_master_locked(s, host, port, "+switch-master");
			s->failed_ms = 0;
			pthread_mutex_unlock(&s->mu);
		}
		freeReplyObject(r);
	}
}

static void *watch_main(void *arg)
{
	struct realm_sentinel *s = arg;
	unsigned idx = 0;
	char line[300];
	int lost_logged = 0;

	while (!watch_stopping(s)) {
		redisContext *c = watch_open(s, idx);
		char host[REALM_SENTINEL_HOST_MAX + 1], why[200];
		int port;

		if (!c) {
			if (!lost_logged) {
				snprintf(line, sizeof(line), "event=sentinel_watch_down sentinel=%s:%d "
					 "(trying the others every %u ms; reconnects still ask)",
					 s->conf.sentinel[idx].host, s->conf.sentinel[idx].port, s->retry_ms);
				say(s, 1, line);
				lost_logged = 1;
			}
			idx = (idx + 1) % s->conf.n;
			watch_sleep(s, s->retry_ms);
			continue;
		}
		snprintf(line, sizeof(line), "event=sentinel_watch sentinel=%s:%d master=%s",
			 s->conf.sentinel[idx].host, s->conf.sentinel[idx].port, s->conf.master);
		say(s, 0, line);
		lost_logged = 0;
		/* a switch announced while we were not subscribed */
		realm_sentinel_get(s, s->timeout_ms * s->conf.n, 1, host, sizeof(host), &port, NULL,
				   why, sizeof(why));
		while (!watch_stopping(s)) {
			struct pollfd p = { .fd = c->fd, .events = POLLIN };
			int got = poll(&p, 1, 100);
			if (got < 0 && errno != EINTR)
				break;
			if (got > 0 && (redisBufferRead(c) != REDIS_OK || watch_drain(s, c) < 0))
				break;
		}
		redisFree(c);
		if (!watch_stopping(s)) {
			idx = (idx + 1) % s->conf.n;
			watch_sleep(s, s->retry_ms);
		}
	}
	return NULL;
}

int realm_sentinel_watch_start(struct realm_sentinel *s, unsigned retry_ms)
{
	if (s->watching)
		return 0;
	s->retry_ms = retry_ms ? retry_ms : 500;
	__atomic_store_n(&s->stop, 0, __ATOMIC_RELAXED);
	if (pthread_create(&s->watch, NULL, watch_main, s) != 0)
		return -1;
	s->watching = 1;
	s->watch_pid = getpid();
	return 0;
}

int realm_sentinel_watch_restart_child(struct realm_sentinel *s, unsigned retry_ms)
{
	if (s->watching && s->watch_pid == getpid())
		return 0;
	/* the parent's watcher (and whoever held mu) does not exist here */
	s->watching = 0;
	pthread_mutex_init(&s->mu, NULL);
	return realm_sentinel_watch_start(s, retry_ms);
}

void realm_sentinel_watch_stop(struct realm_sentinel *s)
{
	if (!s || !s->watching)
		return;
	if (s->watch_pid == getpid()) {
		__atomic_store_n(&s->stop, 1, __ATOMIC_RELAXED);
		pthread_join(s->watch, NULL);
	}
	s->watching = 0;
}
