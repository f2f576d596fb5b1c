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
 * Sockets, identifiers, retransmission, failover and reply verification are
 * the shared transport's (radius_transport.h): here an Access-Request keeps
 * its id and authenticator for the retransmissions to one server (RFC 2865
 * 2.5), and every reply must carry a valid Message-Authenticator. */
#include "aaa/radius_client.h"
#include "aaa/radius_acct.h"
#include "aaa/radius_transport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <radcli/radcli.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ev/ev.h"
#include "util/log.h"
#include "util/random.h"

#define ARENA_SIZE 2048

struct radius_client {
	struct ev_loop *loop;
	struct radius_transport *t;
	struct radius_request *head;    /* outstanding requests */
	struct radius_client_counters ctr;
	void (*rng_fill)(void *arg, uint8_t *buf, size_t len);
	void *rng_arg;
	struct radius_reply reply;      /* decoded here, lent to done during the callback */
};

struct radius_request {
	struct radius_client *client;
	struct radius_request *prev, *next;
	struct radius_xact x;           /* first: the transport's callbacks get &req->x */
	uint64_t start_ms;
	radius_done_fn done;
	void *arg;
	struct radius_auth_params params;       /* strings point into arena */
	uint8_t arena[ARENA_SIZE];
	size_t arena_used;
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
	cfg->rcvbuf_bytes = 4u << 20;
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

/* The test hook, else the one source of randomness (util/random.h). */
static int rng_bytes(struct radius_client *c, uint8_t *buf, size_t len)
{
	if (c->rng_fill) {
		c->rng_fill(c->rng_arg, buf, len);
		return 0;
	}
	if (random_bytes(buf, len) < 0) {
		log_error("radius event=random-failed errno=%d", errno);
		return -1;
	}
	return 0;
}

static uint32_t rng_u32(void *arg)
{
	uint8_t b[4] = { 0 };
	rng_bytes(arg, b, sizeof(b));   /* only orders tunnels of equal preference */
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

void radius_client_set_rng(struct radius_client *client,
			   void (*fill)(void *arg, uint8_t *buf, size_t len), void *arg)
{
	client->rng_fill = fill;
	client->rng_arg = arg;
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
	radius_xact_cancel(&req->x);
	req_unlink(req);
	switch (status) {
	case RADIUS_STATUS_ACCEPT: c->ctr.accepts++; break;
	case RADIUS_STATUS_REJECT: c->ctr.rejects++; break;
	case RADIUS_STATUS_TIMEOUT: c->ctr.timeouts++; break;
	case RADIUS_STATUS_ERROR: c->ctr.errors++; break;
	}
	/* An answer is the session's business (its session_end line says how it
	 * went): debug. A timeout or an error is the AAA path's: info. */
	enum log_level lvl = status == RADIUS_STATUS_ACCEPT || status == RADIUS_STATUS_REJECT
				     ? LOG_LVL_DEBUG : LOG_LVL_INFO;
	if (log_get_level() <= lvl)
		log_msg(lvl, "radius user=%s server=%s event=%s elapsed_ms=%u tunnels=%zu%s%s%s",
			req->params.user_name ? req->params.user_name : "", server ? server : "-",
			radius_status_str(status), res.elapsed_ms,
			reply ? reply->n_tunnels : (size_t)0, detail ? " detail=\"" : "",
			detail ? detail : "", detail ? "\"" : "");
	req->done(req->arg, &res);
	free(req);
}

#define REQ_OF(xp) ((struct radius_request *)((char *)(xp) - offsetof(struct radius_request, x)))

/* A fresh Request Authenticator for every (re)encoding: RFC 2865 3 wants it
 * unpredictable and unique over the secret's lifetime. */
static ssize_t req_encode(struct radius_xact *x, const struct radius_server_config *sc, uint8_t id,
			  uint8_t *buf, size_t cap)
{
	struct radius_request *req = REQ_OF(x);
	uint8_t auth[RADIUS_AUTH_LEN];
	if (rng_bytes(req->client, auth, sizeof(auth)) < 0)
		return -1;
	log_debug("radius server=%s id=%u user=%s event=send", sc->name, id,
		  req->params.user_name ? req->params.user_name : "");
	return radius_access_request_encode(buf, cap, id, auth, &req->params, sc->secret, sc->secret_len);
}

/* The transport verified the reply (authenticators, Message-Authenticator,
 * code); the decode verifies it again, cheaply, and reads the attributes. */
static void req_answered(struct radius_xact *x, const uint8_t *pkt, size_t len, size_t server)
{
	struct radius_request *req = REQ_OF(x);
	struct radius_client *c = req->client;
	const struct radius_server_config *sc = &radius_transport_config(c->t)->servers[server];
	struct radius_err err = { 0 };
	if (radius_reply_decode(pkt, len, x->auth, sc->secret, sc->secret_len, rng_u32, c, &c->reply,
				&err) < 0) {
		/* a verified reply with a malformed standard attribute */
		c->ctr.replies_malformed++;
		log_peer("radius server=%s id=%u event=reply-undecodable reason=\"%s\" offset=%zu", sc->name,
			 pkt[1], err.msg, err.offset);
		req_finish(req, RADIUS_STATUS_REJECT, NULL, sc->name, "undecodable reply");
		return;
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

static void req_exhausted(struct radius_xact *x)
{
	struct radius_request *req = REQ_OF(x);
	req_finish(req, RADIUS_STATUS_TIMEOUT, NULL, NULL,
		   x->invalid_replies ? "only invalid replies (unsigned, wrong secret or malformed)"
				      : "no answer from any server");
}

static const struct radius_xact_ops req_ops = {
	.encode = req_encode,
	.answered = req_answered,
	.exhausted = req_exhausted,
};

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
	radius_xact_init(&req->x, c->t, &req_ops, req->pkt);
	if (params_copy(req, params) < 0) {
		errno = EINVAL;
		goto fail;
	}
	const struct radius_client_config *cfg = radius_transport_config(c->t);
	if (!req->params.nas_identifier && cfg->nas_identifier[0])
		req->params.nas_identifier = cfg->nas_identifier;
	if (radius_xact_start(&req->x) < 0)
		goto fail;
	req->next = c->head;
	if (c->head)
		c->head->prev = req;
	c->head = req;
	c->ctr.requests++;
	c->ctr.in_flight++;
	return req;
fail:
	{
		int e = errno;
		free(req);
		errno = e;
	}
	return NULL;
}

void radius_request_cancel(struct radius_request *req)
{
	req->client->ctr.cancels++;
	radius_xact_cancel(&req->x);
	req_unlink(req);
	free(req);
}

/* ---- client ---- */

struct radius_client *radius_client_create(struct ev_loop *loop,
					   const struct radius_client_config *cfg)
{
	static const struct radius_transport_policy policy = {
		.log_name = "radius",
		.request_code = RADIUS_CODE_ACCESS_REQUEST,
		.require_reply_msg_auth = true,         /* BlastRADIUS */
	};
	struct radius_client *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->loop = loop;
	c->t = radius_transport_create(loop, cfg, &policy);
	if (!c->t) {
		int e = errno;
		free(c);
		errno = e;
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
	radius_transport_destroy(c->t);
	free(c);
}

void radius_client_counters_get(const struct radius_client *c, struct radius_client_counters *out)
{
	struct radius_transport_counters t;
	radius_transport_counters_get(c->t, &t);
	*out = c->ctr;
	out->retransmits = t.retransmits;
	out->failovers = t.failovers;
	out->replies_malformed += t.replies_malformed;
	out->replies_bad_authenticator = t.replies_bad_authenticator;
	out->replies_no_message_authenticator = t.replies_no_message_authenticator;
	out->replies_bad_message_authenticator = t.replies_bad_message_authenticator;
	out->replies_unexpected = t.replies_unexpected;
	out->sockets = t.sockets;
	out->rx_socket_drops = t.rx_socket_drops;
}

int radius_client_server_status(const struct radius_client *c, size_t i,
				struct radius_server_status *out)
{
	return radius_transport_server_status(c->t, i, out);
}
