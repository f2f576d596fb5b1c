/* RFC 5176 Dynamic Authorization server (see dae_server.h). */
#include "aaa/dae_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ev/ev.h"
#include "util/log.h"

#define DAE_RECV_BURST 32
#define DAE_REPLY_MAX RADIUS_MAX_PACKET  /* every Proxy-State echo fits (dae_codec.h) */

/* One answered request, kept to answer its retransmissions (RFC 5080 2.2.2). */
struct dae_dup {
	bool used;
	uint64_t at_ms;
	struct sockaddr_in from;
	uint8_t id;
	uint8_t authenticator[RADIUS_AUTH_LEN];
	size_t reply_len;
	uint8_t reply[DAE_REPLY_MAX];
};

/* One executed request of a client, remembered for the replay window. */
struct dae_seen {
	uint64_t at_ms;
	uint8_t id;
	uint8_t authenticator[RADIUS_AUTH_LEN];
};

/* Per client, oldest first (a ring). */
struct dae_replay {
	struct dae_seen *seen;          /* DAE_REPLAY_CACHE, allocated on first use */
	size_t head, n;
};

struct dae_server {
	struct ev_loop *loop;
	struct dae_server_config cfg;
	int fd;
	dae_handler_fn handler;
	void *arg;
	struct dae_dup dups[DAE_DUP_CACHE];
	struct dae_replay replay[DAE_MAX_CLIENTS];
	size_t next_dup;
	struct dae_server_counters ctr;
};

static const struct dae_client_config *client_find(const struct dae_server *srv, struct in_addr a)
{
	for (size_t i = 0; i < srv->cfg.n_clients; i++)
		if (srv->cfg.clients[i].addr.s_addr == a.s_addr)
			return &srv->cfg.clients[i];
	return NULL;
}

static const struct dae_dup *dup_find(const struct dae_server *srv, const struct sockaddr_in *from,
				      const uint8_t *pkt, uint64_t now)
{
	for (size_t i = 0; i < DAE_DUP_CACHE; i++) {
		const struct dae_dup *d = &srv->dups[i];
		if (d->used && now - d->at_ms < DAE_DUP_WINDOW_MS && d->id == pkt[1] &&
		    d->from.sin_addr.s_addr == from->sin_addr.s_addr && d->from.sin_port == from->sin_port &&
		    memcmp(d->authenticator, pkt + 4, RADIUS_AUTH_LEN) == 0)
			return d;
	}
	return NULL;
}

static void dup_store(struct dae_server *srv, const struct sockaddr_in *from, const struct dae_request *req,
		      const uint8_t *reply, size_t len, uint64_t now)
{
	if (len > DAE_REPLY_MAX)
		return;
	struct dae_dup *d = &srv->dups[srv->next_dup];
	srv->next_dup = (srv->next_dup + 1) % DAE_DUP_CACHE;
	d->used = true;
	d->at_ms = now;
	d->from = *from;
	d->id = req->id;
	memcpy(d->authenticator, req->authenticator, RADIUS_AUTH_LEN);
	memcpy(d->reply, reply, len);
	d->reply_len = len;
}

static uint64_t window_ms(const struct dae_server *srv)
{
	return (uint64_t)(srv->cfg.replay_window_s ? srv->cfg.replay_window_s : DAE_DEFAULT_REPLAY_WINDOW_S) * 1000;
}

/* Drops the entries older than the window. */
static void replay_expire(struct dae_server *srv, struct dae_replay *rp, uint64_t now)
{
	while (rp->n && now - rp->seen[rp->head].at_ms > window_ms(srv)) {
		rp->head = (rp->head + 1) % DAE_REPLAY_CACHE;
		rp->n--;
	}
}

static bool replay_seen(const struct dae_replay *rp, const struct dae_request *req)
{
	for (size_t i = 0; i < rp->n; i++) {
		const struct dae_seen *e = &rp->seen[(rp->head + i) % DAE_REPLAY_CACHE];
		if (e->id == req->id && memcmp(e->authenticator, req->authenticator, RADIUS_AUTH_LEN) == 0)
			return true;
	}
	return false;
}

/* Returns 0, or -1 when the cache is full of requests inside the window. */
static int replay_remember(struct dae_replay *rp, const struct dae_request *req, uint64_t now)
{
	if (!rp->seen && !(rp->seen = calloc(DAE_REPLAY_CACHE, sizeof(*rp->seen))))
		return -1;
	if (rp->n == DAE_REPLAY_CACHE)
		return -1;
	struct dae_seen *e = &rp->seen[(rp->head + rp->n) % DAE_REPLAY_CACHE];
	e->at_ms = now;
	e->id = req->id;
	memcpy(e->authenticator, req->authenticator, RADIUS_AUTH_LEN);
	rp->n++;
	return 0;
}

static uint64_t wall_s(const struct dae_server *srv)
{
	if (srv->cfg.wall_s)
		return srv->cfg.wall_s(srv->cfg.wall_arg);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec;
}

static void count_answer(struct dae_server *srv, uint8_t req_code, enum dae_error_cause cause)
{
	if (req_code == RADIUS_CODE_COA_REQUEST) {
		if (cause == DAE_ERR_NONE)
			srv->ctr.coa_acks++;
		else
			srv->ctr.coa_naks++;
	} else if (cause == DAE_ERR_NONE) {
		srv->ctr.disconnect_acks++;
	} else {
		srv->ctr.disconnect_naks++;
	}
}

static void handle_datagram(struct dae_server *srv, const uint8_t *pkt, size_t len,
			    const struct sockaddr_in *from)
{
	char peer[INET_ADDRSTRLEN];
	struct radius_err err = { 0 };
	struct dae_request req;
	uint64_t now = ev_now_ms(srv->loop);
	inet_ntop(AF_INET, &from->sin_addr, peer, sizeof(peer));

	const struct dae_client_config *cl = client_find(srv, from->sin_addr);
	if (!cl) {
		srv->ctr.unknown_client++;
		log_peer("dae peer=%s event=dropped reason=unknown-client", peer);
		return;
	}
	if (len >= RADIUS_HDR_LEN) {
		const struct dae_dup *d = dup_find(srv, from, pkt, now);
		if (d) {
			srv->ctr.duplicates++;
			log_info("dae peer=%s id=%u event=duplicate note=answered-from-cache", peer, pkt[1]);
			sendto(srv->fd, d->reply, d->reply_len, 0, (const struct sockaddr *)from, sizeof(*from));
			return;
		}
	}
	if (dae_request_decode(pkt, len, cl->secret, cl->secret_len, srv->cfg.require_message_authenticator,
			       &req, &err) < 0) {
		switch (err.kind) {
		case RADIUS_ERR_MALFORMED: srv->ctr.malformed++; break;
		case RADIUS_ERR_AUTHENTICATOR: srv->ctr.bad_authenticator++; break;
		case RADIUS_ERR_NO_MSG_AUTH: srv->ctr.no_message_authenticator++; break;
		case RADIUS_ERR_MSG_AUTH: srv->ctr.bad_message_authenticator++; break;
		}
		log_peer("dae peer=%s event=dropped reason=\"%s\" offset=%zu", peer, err.msg, err.offset);
		return;
	}
	if (req.code == RADIUS_CODE_COA_REQUEST)
		srv->ctr.coa_requests++;
	else
		srv->ctr.disconnect_requests++;

	/* RFC 5176 3.3: a stale or replayed request is never executed */
	struct dae_replay *rp = &srv->replay[cl - srv->cfg.clients];
	enum dae_error_cause cause = req.refuse;
	bool remember = false;
	replay_expire(srv, rp, now);
	if (!dae_request_timestamp_ok(&req, wall_s(srv), (uint32_t)(window_ms(srv) / 1000),
				      srv->cfg.require_event_timestamp)) {
		srv->ctr.stale++;
		cause = DAE_ERR_INVALID_REQUEST;
		log_peer("dae peer=%s id=%u event=refused reason=%s event_timestamp=%u now=%llu window_s=%llu", peer,
			 req.id, req.has_event_timestamp ? "stale-event-timestamp" : "no-event-timestamp",
			 req.event_timestamp, (unsigned long long)wall_s(srv),
			 (unsigned long long)(window_ms(srv) / 1000));
	} else if (replay_seen(rp, &req)) {
		srv->ctr.replays++;
		cause = DAE_ERR_INVALID_REQUEST;
		log_peer("dae peer=%s port=%u id=%u event=refused reason=replay", peer, ntohs(from->sin_port), req.id);
	} else {
		remember = true;
	}
	if (cause == DAE_ERR_NONE &&
	    !dae_request_nas_matches(&req, srv->cfg.nas_identifier, srv->cfg.nas_ip))
		cause = DAE_ERR_NAS_ID_MISMATCH;
	if (remember && replay_remember(rp, &req, now) < 0) {
		srv->ctr.replay_cache_full++;
		log_peer("dae peer=%s id=%u event=refused reason=replay-cache-full", peer, req.id);
		if (cause == DAE_ERR_NONE)
			cause = DAE_ERR_RESOURCES_UNAVAILABLE;
	}
	if (cause == DAE_ERR_NONE)
		cause = srv->handler(srv->arg, &req, peer);
	else
		log_info("dae peer=%s id=%u request=%s event=refused cause=%s attr=%u", peer, req.id,
			 radius_code_str(req.code), dae_error_cause_str(cause), req.refuse_attr);

	uint8_t reply[DAE_REPLY_MAX];
	ssize_t n = dae_reply_encode(reply, sizeof(reply), &req, cause, cl->secret, cl->secret_len);
	if (n < 0) {
		srv->ctr.reply_too_big++;
		log_peer("dae peer=%s id=%u event=reply-encode-failed reason=too-big proxy_states=%zu", peer, req.id,
			 req.n_proxy_state);
		return;
	}
	count_answer(srv, req.code, cause);
	dup_store(srv, from, &req, reply, (size_t)n, now);
	log_info("dae peer=%s id=%u request=%s event=answered answer=%s cause=%s", peer, req.id,
		 radius_code_str(req.code), radius_code_str(reply[0]), dae_error_cause_str(cause));
	if (sendto(srv->fd, reply, (size_t)n, 0, (const struct sockaddr *)from, sizeof(*from)) < 0)
		log_peer("dae peer=%s event=send-failed errno=%d", peer, errno);
}

static void dae_readable(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	struct dae_server *srv = arg;
	uint8_t buf[RADIUS_MAX_PACKET];
	for (int i = 0; i < DAE_RECV_BURST; i++) {
		struct sockaddr_in from;
		socklen_t fromlen = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fromlen);
		if (n < 0)
			return;
		if (from.sin_family != AF_INET)
			continue;
		handle_datagram(srv, buf, (size_t)n, &from);
	}
}

struct dae_server *dae_server_create(struct ev_loop *loop, const struct dae_server_config *cfg,
				     dae_handler_fn handler, void *arg)
{
	struct dae_server *srv = calloc(1, sizeof(*srv));
	if (!srv)
		return NULL;
	srv->loop = loop;
	srv->cfg = *cfg;
	srv->handler = handler;
	srv->arg = arg;
	srv->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (srv->fd < 0)
		goto fail;
	int one = 1;
	setsockopt(srv->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(srv->fd, (const struct sockaddr *)&cfg->listen, sizeof(cfg->listen)) < 0 ||
	    ev_io_add(loop, srv->fd, EV_READ, dae_readable, srv) < 0)
		goto fail;
	return srv;
fail:
	{
		int e = errno;
		if (srv->fd >= 0)
			close(srv->fd);
		free(srv);
		errno = e;
	}
	return NULL;
}

void dae_server_destroy(struct dae_server *srv)
{
	if (!srv)
		return;
	ev_io_del(srv->loop, srv->fd);
	close(srv->fd);
	for (size_t i = 0; i < DAE_MAX_CLIENTS; i++)
		free(srv->replay[i].seen);
	free(srv);
}

int dae_server_local_addr(const struct dae_server *srv, struct sockaddr_in *out)
{
	socklen_t len = sizeof(*out);
	return getsockname(srv->fd, (struct sockaddr *)out, &len);
}

void dae_server_counters_get(const struct dae_server *srv, struct dae_server_counters *out)
{
	*out = srv->ctr;
}
