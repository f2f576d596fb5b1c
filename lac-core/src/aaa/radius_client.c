/* lac-core's RADIUS client on the event loop.
 *
 * Why radcli only reads the configuration and our own transport sends:
 * radcli 1.2.11 (Debian 12) has no asynchronous API: rc_auth()/rc_aaa() poll
 * for timeout x retries per server, so on our single event loop one silent
 * server would freeze every subscriber's PPP for seconds. It also cannot
 * produce a valid Message-Authenticator (one added by hand goes out unsigned
 * and FreeRADIUS drops the request), never verifies one in replies (so it is
 * open to BlastRADIUS, CVE-2024-3596), returns RFC 2868 tagged attributes as
 * raw bytes and leaves Tunnel-Password encrypted, and ignores radius_deadtime.
 * A worker pool around it would need a thread and a socket per outstanding
 * request (at benchmark rates, hundreds), and we would still re-decode and
 * re-verify every reply ourselves. A transport that owns its sockets costs
 * one UDP socket per 256 outstanding requests, never blocks, and keeps
 * signing and verification in one place, the pure codec (radius_codec.c).
 * radcli still parses radiusclient.conf, the servers file and the
 * dictionary, so operators configure lac-core the way they configure any
 * radcli client.
 *
 * Identifiers: each socket (source port) owns 256 ids; a request holds one id
 * on one socket from its first send to its end, retransmits reuse the id and
 * the Request Authenticator (RFC 2865 2.5), and a move to another server takes
 * a fresh id and authenticator (the packet is re-encoded for that server's
 * secret). When all ids of all sockets of a family are taken another socket is
 * opened, up to max_sockets. Replies are matched by (socket, id), must come
 * from the server the request was last sent to, and must verify; anything else
 * is counted and dropped, and the request keeps waiting: a forged or unsigned
 * reply can not end a request early. */
#include "aaa/radius_client.h"
#include "aaa/radius_acct.h"

#include <arpa/inet.h>
#include <errno.h>
#include <radcli/radcli.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "ev/ev.h"
#include "util/log.h"

#define IDS_PER_SOCKET 256
#define ARENA_SIZE 2048
#define RECV_BURST 64           /* datagrams per wake-up, so one socket cannot starve the loop */

struct radius_sock {
	struct radius_client *client;
	int fd;
	int family;
	unsigned used;
	uint8_t next_id;
	struct radius_request *slots[IDS_PER_SOCKET];
};

struct server_state {
	uint64_t dead_until_ms;         /* 0 = alive */
	uint64_t sent, timeouts, answers;
};

struct radius_client {
	struct ev_loop *loop;
	struct radius_client_config cfg;
	struct server_state srv[RADIUS_MAX_SERVERS];
	struct radius_sock **socks;
	size_t n_socks, max_socks;
	struct radius_request *head;    /* outstanding requests */
	struct radius_client_counters ctr;
	void (*rng_fill)(void *arg, uint8_t *buf, size_t len);
	void *rng_arg;
	uint8_t rnd[256];
	size_t rnd_left;
	struct radius_reply reply;      /* decoded here, lent to done during the callback */
};

struct radius_request {
	struct radius_client *client;
	struct radius_request *prev, *next;
	struct radius_sock *sock;       /* NULL while no id is held */
	uint8_t id;
	size_t server;                  /* index of the server last sent to */
	uint32_t tried;                 /* bit per server index */
	unsigned sends;                 /* to the current server */
	unsigned invalid_replies;
	uint64_t start_ms;
	struct ev_timer timer;
	radius_done_fn done;
	void *arg;
	struct radius_auth_params params;       /* strings point into arena */
	uint8_t arena[ARENA_SIZE];
	size_t arena_used;
	uint8_t auth[RADIUS_AUTH_LEN];
	size_t pkt_len;
	uint8_t pkt[RADIUS_MAX_PACKET];
};

const char *radius_status_str(enum radius_status status)
{
	switch (status) {
	case RADIUS_STATUS_ACCEPT: return "accept";
	case RADIUS_STATUS_REJECT: return "reject";
	case RADIUS_STATUS_TIMEOUT: return "timeout";
	case RADIUS_STATUS_ERROR: return "error";
	}
	return "unknown";
}

void radius_client_config_defaults(struct radius_client_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->timeout_ms = 3000;
	cfg->tries = 3;
	cfg->deadtime_s = 30;
	cfg->max_sockets = 64;
}

/* ---- configuration through radcli ---- */

/* Whether radcli's servers file has a line for `host` ("HOST[/NAS] SECRET").
 * radcli 1.2.11's rc_find_server_addr() answers a host without a line with
 * the secret of the file's last line, which would make every request fail
 * verification with a confusing error; we refuse that at start instead. */
static bool servers_file_has(const char *path, const char *host)
{
	char line[512];
	bool found = false;
	FILE *f = path ? fopen(path, "r") : NULL;
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *tok = line + strspn(line, " \t");
		size_t n = strcspn(tok, " \t\r\n/");
		if (*tok == '#' || n == 0)
			continue;
		found = strlen(host) == n && strncmp(tok, host, n) == 0;
	}
	fclose(f);
	return found;
}

/* Reads the server list `list` ("authserver" or "acctserver", radcli type
 * AUTH or ACCT) and the shared settings. */
static int config_from_radcli(const char *path, const char *list, int type, unsigned default_port,
			      struct radius_client_config *out, char *err, size_t errlen)
{
	rc_handle *rh;
	SERVER *srv;

	radius_client_config_defaults(out);
	rh = rc_read_config(path);
	if (!rh) {
		snprintf(err, errlen, "%s: radcli could not read it (syntax, servers file or "
			 "dictionary; radcli logs the detail to syslog)", path);
		return -1;
	}
	srv = rc_conf_srv(rh, list);
	if (!srv || srv->max <= 0) {
		snprintf(err, errlen, "%s: %s: no server configured", path, list);
		goto fail;
	}
	for (int i = 0; i < srv->max && i < RADIUS_MAX_SERVERS; i++) {
		struct radius_server_config *sc = &out->servers[out->n_servers];
		char secret[MAX_SECRET_LENGTH + 1] = "";
		struct addrinfo *ai = NULL;
		unsigned port = srv->port[i] ? srv->port[i] : default_port;

		const char *sf = rc_conf_str(rh, "servers");
		if (!servers_file_has(sf, srv->name[i])) {
			snprintf(err, errlen, "%s: %s %s: no line for it in the servers file %s",
				 path, list, srv->name[i], sf ? sf : "(none)");
			goto fail;
		}
		/* Resolves the name and finds its secret in the servers file. */
		if (rc_find_server_addr(rh, srv->name[i], &ai, secret, type) != 0 || !ai) {
			snprintf(err, errlen, "%s: %s %s: cannot resolve it or no secret "
				 "for it in the servers file", path, list, srv->name[i]);
			if (ai)
				freeaddrinfo(ai);
			goto fail;
		}
		if (ai->ai_addrlen > sizeof(sc->addr) ||
		    (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)) {
			freeaddrinfo(ai);
			snprintf(err, errlen, "%s: %s %s: unusable address", path, list, srv->name[i]);
			goto fail;
		}
		memcpy(&sc->addr, ai->ai_addr, ai->ai_addrlen);
		sc->addr_len = ai->ai_addrlen;
		freeaddrinfo(ai);
		if (sc->addr.ss_family == AF_INET)
			((struct sockaddr_in *)&sc->addr)->sin_port = htons((uint16_t)port);
		else
			((struct sockaddr_in6 *)&sc->addr)->sin6_port = htons((uint16_t)port);
		sc->secret_len = strlen(secret);
		if (sc->secret_len == 0 || sc->secret_len > sizeof(sc->secret)) {
			snprintf(err, errlen, "%s: %s %s: empty or overlong secret", path, list,
				 srv->name[i]);
			goto fail;
		}
		memcpy(sc->secret, secret, sc->secret_len);
		snprintf(sc->name, sizeof(sc->name), "%s:%u", srv->name[i], port);
		out->n_servers++;
	}
	int v = rc_conf_int(rh, "radius_timeout");
	if (v > 0)
		out->timeout_ms = (uint32_t)v * 1000;
	v = rc_conf_int(rh, "radius_retries");
	if (v > 0)
		out->tries = (uint32_t)v;
	v = rc_conf_int(rh, "radius_deadtime");
	if (v >= 0)
		out->deadtime_s = (uint32_t)v;
	const char *s = rc_conf_str(rh, "nas-identifier");
	if (s)
		snprintf(out->nas_identifier, sizeof(out->nas_identifier), "%s", s);
	s = rc_conf_str(rh, "bindaddr");
	if (s && *s && strcmp(s, "*") != 0) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&out->bind_addr;
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&out->bind_addr;
		if (inet_pton(AF_INET, s, &sin->sin_addr) == 1) {
			sin->sin_family = AF_INET;
			out->bind_addr_len = sizeof(*sin);
		} else if (inet_pton(AF_INET6, s, &sin6->sin6_addr) == 1) {
			sin6->sin6_family = AF_INET6;
			out->bind_addr_len = sizeof(*sin6);
		} else {
			snprintf(err, errlen, "%s: bindaddr: %s is not an IP address", path, s);
			goto fail;
		}
		out->has_bind = true;
	}
	rc_destroy(rh);
	return 0;
fail:
	rc_destroy(rh);
	return -1;
}

int radius_client_config_from_radcli(const char *path, struct radius_client_config *out,
				     char *err, size_t errlen)
{
	return config_from_radcli(path, "authserver", AUTH, RADIUS_DEFAULT_AUTH_PORT, out, err, errlen);
}

int radius_acct_config_from_radcli(const char *path, struct radius_client_config *out,
				   char *err, size_t errlen)
{
	return config_from_radcli(path, "acctserver", ACCT, RADIUS_DEFAULT_ACCT_PORT, out, err, errlen);
}

/* ---- randomness ---- */

static void rng_bytes(struct radius_client *c, uint8_t *buf, size_t len)
{
	if (c->rng_fill) {
		c->rng_fill(c->rng_arg, buf, len);
		return;
	}
	while (len > 0) {
		if (c->rnd_left == 0) {
			/* getrandom() only blocks before the pool is initialised at
			 * boot; GRND_NONBLOCK makes that an error rather than a stall. */
			ssize_t n = getrandom(c->rnd, sizeof(c->rnd), GRND_NONBLOCK);
			if (n <= 0) {
				log_error("radius event=getrandom-failed errno=%d", errno);
				abort();
			}
			c->rnd_left = (size_t)n;
		}
		size_t take = len < c->rnd_left ? len : c->rnd_left;
		memcpy(buf, c->rnd + sizeof(c->rnd) - c->rnd_left, take);
		c->rnd_left -= take;
		buf += take;
		len -= take;
	}
}

static uint32_t rng_u32(void *arg)
{
	uint8_t b[4];
	rng_bytes(arg, b, sizeof(b));
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

void radius_client_set_rng(struct radius_client *client,
			   void (*fill)(void *arg, uint8_t *buf, size_t len), void *arg)
{
	client->rng_fill = fill;
	client->rng_arg = arg;
}

/* ---- sockets and identifiers ---- */

static void sock_readable(struct ev_loop *loop, int fd, unsigned events, void *arg);

static struct radius_sock *sock_open(struct radius_client *c, int family)
{
	struct radius_sock *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->client = c;
	s->family = family;
	s->fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		goto fail;
	/* Best effort: up to 256 replies can arrive in one burst per socket, and
	 * a dropped reply costs a whole retransmission timeout. */
	int rcvbuf = 1 << 20;
	setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (c->cfg.has_bind && c->cfg.bind_addr.ss_family == family &&
	    bind(s->fd, (const struct sockaddr *)&c->cfg.bind_addr, c->cfg.bind_addr_len) < 0) {
		log_error("radius event=bind-failed errno=%d", errno);
		goto fail;
	}
	if (ev_io_add(c->loop, s->fd, EV_READ, sock_readable, s) < 0)
		goto fail;
	c->socks[c->n_socks++] = s;
	c->ctr.sockets++;
	log_info("radius event=socket-open family=%s sockets=%zu",
		 family == AF_INET ? "ipv4" : "ipv6", c->n_socks);
	return s;
fail:
	if (s->fd >= 0)
		close(s->fd);
	free(s);
	return NULL;
}

/* Gives req an id on a socket of `family`, opening a socket when every id of
 * the existing ones is in use. Returns 0, or -1 with errno set. */
static int id_alloc(struct radius_client *c, struct radius_request *req, int family)
{
	struct radius_sock *s = NULL;
	size_t n_family = 0;
	for (size_t i = 0; i < c->n_socks; i++) {
		if (c->socks[i]->family != family)
			continue;
		n_family++;
		if (c->socks[i]->used < IDS_PER_SOCKET) {
			s = c->socks[i];
			break;
		}
	}
	if (!s) {
		if (n_family >= c->cfg.max_sockets || c->n_socks >= c->max_socks) {
			errno = EBUSY;
			return -1;
		}
		s = sock_open(c, family);
		if (!s)
			return -1;
	}
	/* Round-robin from next_id, so a just-freed id is reused last and a late
	 * reply to its previous owner is unlikely to meet a new request. */
	for (unsigned k = 0; k < IDS_PER_SOCKET; k++) {
		uint8_t id = (uint8_t)(s->next_id + k);
		if (!s->slots[id]) {
			s->slots[id] = req;
			s->used++;
			s->next_id = (uint8_t)(id + 1);
			req->sock = s;
			req->id = id;
			return 0;
		}
	}
	errno = EBUSY;          /* unreachable: used < 256 */
	return -1;
}

static void id_release(struct radius_request *req)
{
	if (!req->sock)
		return;
	req->sock->slots[req->id] = NULL;
	req->sock->used--;
	req->sock = NULL;
}

/* ---- requests ---- */

/* Copies n bytes into the request's arena. Returns the copy or NULL. */
static const void *arena_copy(struct radius_request *req, const void *p, size_t n, bool nul)
{
	if (!p)
		return NULL;
	if (ARENA_SIZE - req->arena_used < n + (nul ? 1 : 0))
		return NULL;
	uint8_t *dst = req->arena + req->arena_used;
	memcpy(dst, p, n);
	if (nul)
		dst[n] = '\0';
	req->arena_used += n + (nul ? 1 : 0);
	return dst;
}

static int params_copy(struct radius_request *req, const struct radius_auth_params *p)
{
	struct radius_auth_params *q = &req->params;
	const char **strs[] = { &q->user_name, &q->nas_identifier, &q->nas_port_id,
				&q->calling_station_id, &q->called_station_id,
				&q->acct_session_id };
	*q = *p;
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		const char *orig = *strs[i];
		if (!orig)
			continue;
		size_t n = strlen(orig);
		if (n > RADIUS_MAX_ATTR_VALUE || !(*strs[i] = arena_copy(req, orig, n, true)))
			return -1;
	}
	if (p->user_password) {
		if (p->user_password_len > RADIUS_MAX_PASSWORD ||
		    !(q->user_password = arena_copy(req, p->user_password, p->user_password_len, false)))
			return -1;
	}
	if (p->chap_response && !(q->chap_response = arena_copy(req, p->chap_response, 16, false)))
		return -1;
	if (p->chap_challenge) {
		if (p->chap_challenge_len > RADIUS_MAX_ATTR_VALUE ||
		    !(q->chap_challenge = arena_copy(req, p->chap_challenge, p->chap_challenge_len, false)))
			return -1;
	}
	return 0;
}

static const struct radius_server_config *req_server(const struct radius_request *req)
{
	return &req->client->cfg.servers[req->server];
}

static void req_transmit(struct radius_request *req)
{
	struct radius_client *c = req->client;
	const struct radius_server_config *sc = req_server(req);
	if (sendto(req->sock->fd, req->pkt, req->pkt_len, 0, (const struct sockaddr *)&sc->addr,
		   sc->addr_len) < 0) {
		/* Treated like a lost packet: the timer retries, then fails over. */
		log_peer("radius server=%s id=%u event=send-failed errno=%d", sc->name, req->id, errno);
	}
	c->srv[req->server].sent++;
	req->sends++;
	ev_timer_start(c->loop, &req->timer, c->cfg.timeout_ms);
}

/* Takes an id for server `idx`, encodes the packet for its secret with a new
 * authenticator, and sends it. Returns 0 or -1 with errno set. */
static int req_send_to(struct radius_request *req, size_t idx)
{
	struct radius_client *c = req->client;
	const struct radius_server_config *sc = &c->cfg.servers[idx];
	id_release(req);
	if (id_alloc(c, req, sc->addr.ss_family) < 0)
		return -1;
	req->server = idx;
	req->tried |= 1u << idx;
	req->sends = 0;
	rng_bytes(c, req->auth, sizeof(req->auth));
	ssize_t n = radius_access_request_encode(req->pkt, sizeof(req->pkt), req->id, req->auth,
						 &req->params, sc->secret, sc->secret_len);
	if (n < 0) {
		id_release(req);
		errno = EINVAL;
		return -1;
	}
	req->pkt_len = (size_t)n;
	log_debug("radius server=%s id=%u user=%s event=send", sc->name, req->id,
		  req->params.user_name ? req->params.user_name : "");
	req_transmit(req);
	return 0;
}

static bool server_dead(const struct radius_client *c, size_t i, uint64_t now)
{
	return c->srv[i].dead_until_ms > now;
}

/* The next server for req: the first untried live one in config order; when
 * every server is dead, the first untried one (so a dead-marked but recovered
 * server still gets a chance). Returns its index or -1. */
static int server_pick(const struct radius_client *c, const struct radius_request *req,
		       uint64_t now)
{
	bool all_dead = true;
	for (size_t i = 0; i < c->cfg.n_servers; i++)
		if (!server_dead(c, i, now))
			all_dead = false;
	for (size_t i = 0; i < c->cfg.n_servers; i++) {
		if (req->tried & (1u << i))
			continue;
		if (all_dead || !server_dead(c, i, now))
			return (int)i;
	}
	return -1;
}

static void req_unlink(struct radius_request *req)
{
	struct radius_client *c = req->client;
	if (req->prev)
		req->prev->next = req->next;
	else
		c->head = req->next;
	if (req->next)
		req->next->prev = req->prev;
	req->prev = req->next = NULL;
	ev_timer_stop(c->loop, &req->timer);
	id_release(req);
	c->ctr.in_flight--;
}

/* Ends req: detaches it from everything, calls done, frees it. */
static void req_finish(struct radius_request *req, enum radius_status status,
		       const struct radius_reply *reply, const char *server, const char *detail)
{
	struct radius_client *c = req->client;
	struct radius_auth_result res = {
		.status = status,
		.reply = reply,
		.server = server,
		.elapsed_ms = (uint32_t)(ev_now_ms(c->loop) - req->start_ms),
		.detail = detail,
	};
	req_unlink(req);
	switch (status) {
	case RADIUS_STATUS_ACCEPT: c->ctr.accepts++; break;
	case RADIUS_STATUS_REJECT: c->ctr.rejects++; break;
	case RADIUS_STATUS_TIMEOUT: c->ctr.timeouts++; break;
	case RADIUS_STATUS_ERROR: c->ctr.errors++; break;
	}
	log_info("radius user=%s server=%s event=%s elapsed_ms=%u tunnels=%zu%s%s%s",
		 req->params.user_name ? req->params.user_name : "", server ? server : "-",
		 radius_status_str(status), res.elapsed_ms, reply ? reply->n_tunnels : (size_t)0,
		 detail ? " detail=\"" : "", detail ? detail : "", detail ? "\"" : "");
	req->done(req->arg, &res);
	free(req);
}

static void req_timeout(struct ev_loop *loop, struct ev_timer *timer, void *arg)
{
	struct radius_request *req = arg;
	struct radius_client *c = req->client;
	uint64_t now = ev_now_ms(loop);
	size_t idx = req->server;

	if (req->sends < c->cfg.tries) {
		c->ctr.retransmits++;
		log_debug("radius server=%s id=%u event=retransmit try=%u", c->cfg.servers[idx].name,
			  req->id, req->sends + 1);
		req_transmit(req);
		return;
	}
	c->srv[idx].timeouts++;
	if (!server_dead(c, idx, now) && c->cfg.deadtime_s > 0) {
		c->srv[idx].dead_until_ms = now + (uint64_t)c->cfg.deadtime_s * 1000;
		log_warn("radius server=%s event=server-dead deadtime_s=%u", c->cfg.servers[idx].name,
			 c->cfg.deadtime_s);
	}
	for (;;) {
		int next = server_pick(c, req, now);
		if (next < 0)
			break;
		c->ctr.failovers++;
		log_info("radius user=%s from=%s to=%s event=failover",
			 req->params.user_name ? req->params.user_name : "", c->cfg.servers[idx].name,
			 c->cfg.servers[next].name);
		if (req_send_to(req, (size_t)next) == 0)
			return;
		/* Could not even send there (no id or socket): try the next one. */
		req->tried |= 1u << next;
	}
	req_finish(req, RADIUS_STATUS_TIMEOUT, NULL, NULL,
		   req->invalid_replies ? "only invalid replies (unsigned, wrong secret or malformed)"
					: "no answer from any server");
}

struct radius_request *radius_auth_start(struct radius_client *c,
					 const struct radius_auth_params *params,
					 radius_done_fn done, void *arg)
{
	struct radius_request *req = calloc(1, sizeof(*req));
	if (!req)
		return NULL;
	req->client = c;
	req->done = done;
	req->arg = arg;
	req->start_ms = ev_now_ms(c->loop);
	ev_timer_init(&req->timer, req_timeout, req);
	if (params_copy(req, params) < 0) {
		errno = EINVAL;
		goto fail;
	}
	if (!req->params.nas_identifier && c->cfg.nas_identifier[0])
		req->params.nas_identifier = c->cfg.nas_identifier;
	errno = 0;
	int first = server_pick(c, req, req->start_ms);
	while (first >= 0) {
		if (req_send_to(req, (size_t)first) == 0)
			break;
		if (errno == EINVAL)
			goto fail;
		req->tried |= 1u << first;
		first = server_pick(c, req, req->start_ms);
	}
	if (first < 0) {
		if (!errno)
			errno = EBUSY;
		goto fail;
	}
	req->next = c->head;
	if (c->head)
		c->head->prev = req;
	c->head = req;
	c->ctr.requests++;
	c->ctr.in_flight++;
	return req;
fail:
	ev_timer_stop(c->loop, &req->timer);
	id_release(req);
	free(req);
	return NULL;
}

void radius_request_cancel(struct radius_request *req)
{
	req->client->ctr.cancels++;
	req_unlink(req);
	free(req);
}

/* ---- replies ---- */

static bool addr_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const struct sockaddr_in *)a;
		const struct sockaddr_in *y = (const struct sockaddr_in *)b;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a;
	const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)b;
	return x->sin6_port == y->sin6_port &&
	       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
}

static void handle_datagram(struct radius_sock *s, const uint8_t *buf, size_t len,
			    const struct sockaddr_storage *from)
{
	struct radius_client *c = s->client;
	struct radius_err err = { 0 };
	char peer[INET6_ADDRSTRLEN] = "?";

	if (from->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)from)->sin_addr, peer, sizeof(peer));
	else if (from->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)from)->sin6_addr, peer, sizeof(peer));
	if (len < RADIUS_HDR_LEN) {
		c->ctr.replies_malformed++;
		log_peer("radius peer=%s event=reply-dropped reason=short len=%zu", peer, len);
		return;
	}
	struct radius_request *req = s->slots[buf[1]];
	if (!req || !addr_equal(from, &req_server(req)->addr)) {
		c->ctr.replies_unexpected++;
		log_peer("radius peer=%s id=%u event=reply-dropped reason=no-such-request", peer, buf[1]);
		return;
	}
	if (buf[0] != RADIUS_CODE_ACCESS_ACCEPT && buf[0] != RADIUS_CODE_ACCESS_REJECT &&
	    buf[0] != RADIUS_CODE_ACCESS_CHALLENGE) {
		c->ctr.replies_unexpected++;
		log_peer("radius peer=%s id=%u code=%s event=reply-dropped reason=unexpected-code",
			 peer, buf[1], radius_code_str(buf[0]));
		return;
	}
	const struct radius_server_config *sc = req_server(req);
	if (radius_reply_decode(buf, len, req->auth, sc->secret, sc->secret_len, rng_u32, c,
				&c->reply, &err) < 0) {
		switch (err.kind) {
		case RADIUS_ERR_MALFORMED: c->ctr.replies_malformed++; break;
		case RADIUS_ERR_AUTHENTICATOR: c->ctr.replies_bad_authenticator++; break;
		case RADIUS_ERR_NO_MSG_AUTH: c->ctr.replies_no_message_authenticator++; break;
		case RADIUS_ERR_MSG_AUTH: c->ctr.replies_bad_message_authenticator++; break;
		}
		req->invalid_replies++;
		log_peer("radius server=%s id=%u event=reply-dropped reason=\"%s\" offset=%zu",
			 sc->name, buf[1], err.msg, err.offset);
		return;
	}
	c->srv[req->server].answers++;
	if (c->srv[req->server].dead_until_ms) {
		c->srv[req->server].dead_until_ms = 0;
		log_info("radius server=%s event=server-alive", sc->name);
	}
	for (size_t i = 0; i < c->reply.n_dropped; i++)
		log_peer("radius server=%s user=%s tag=%u event=tunnel-group-dropped reason=\"%s\"",
			 sc->name, req->params.user_name ? req->params.user_name : "",
			 c->reply.dropped[i].tag, c->reply.dropped[i].reason);
	c->ctr.tunnel_groups_dropped += c->reply.n_dropped;
	enum radius_status st = RADIUS_STATUS_REJECT;
	if (c->reply.code == RADIUS_CODE_ACCESS_ACCEPT)
		st = RADIUS_STATUS_ACCEPT;
	else if (c->reply.code == RADIUS_CODE_ACCESS_CHALLENGE)
		c->ctr.challenges++;    /* RFC 2865 4.4: no challenge support, treat as reject */
	req_finish(req, st, &c->reply, sc->name, NULL);
}

static void sock_readable(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	struct radius_sock *s = arg;
	uint8_t buf[RADIUS_MAX_PACKET];
	for (int i = 0; i < RECV_BURST; i++) {
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fromlen);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_peer("radius event=recv-failed errno=%d", errno);
			return;
		}
		handle_datagram(s, buf, (size_t)n, &from);
	}
}

/* ---- client ---- */

struct radius_client *radius_client_create(struct ev_loop *loop,
					   const struct radius_client_config *cfg)
{
	if (cfg->n_servers == 0 || cfg->n_servers > RADIUS_MAX_SERVERS || cfg->tries == 0 ||
	    cfg->max_sockets == 0) {
		errno = EINVAL;
		return NULL;
	}
	struct radius_client *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->loop = loop;
	c->cfg = *cfg;
	c->max_socks = cfg->max_sockets * 2;    /* both families */
	c->socks = calloc(c->max_socks, sizeof(*c->socks));
	if (!c->socks) {
		free(c);
		return NULL;
	}
	return c;
}

void radius_client_destroy(struct radius_client *c)
{
	if (!c)
		return;
	while (c->head)
		radius_request_cancel(c->head);
	for (size_t i = 0; i < c->n_socks; i++) {
		ev_io_del(c->loop, c->socks[i]->fd);
		close(c->socks[i]->fd);
		free(c->socks[i]);
	}
	free(c->socks);
	free(c);
}

void radius_client_counters_get(const struct radius_client *c, struct radius_client_counters *out)
{
	*out = c->ctr;
}

int radius_client_server_status(const struct radius_client *c, size_t i,
				struct radius_server_status *out)
{
	if (i >= c->cfg.n_servers)
		return -1;
	uint64_t now = ev_now_ms(c->loop);
	out->name = c->cfg.servers[i].name;
	out->dead = server_dead(c, i, now);
	out->dead_for_ms = out->dead ? c->srv[i].dead_until_ms - now : 0;
	out->sent = c->srv[i].sent;
	out->timeouts = c->srv[i].timeouts;
	out->answers = c->srv[i].answers;
	return 0;
}
