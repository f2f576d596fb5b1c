/* The L2TP engine: its configuration, sockets and the output queue on the ev
 * loop, tunnel and session IDs, shutdown and introspection. The engine's
 * other files, each one object or one job: eng_tunnel.c (a tunnel's lifetime
 * and what its protocol FSM reports), eng_session.c (a call: its session on
 * a tunnel, failover across the candidates, setup deadlines), tunnel_pool.c
 * (which tunnel a call joins, setup pacing), dead_cache.c (endpoints that did
 * not answer), input.c (datagram and ICMP demux), data.c (the data plane).
 * The protocol itself lives in tunnel.c, session.c and reliable.c;
 * engine_int.h holds what the engine's files share.
 *
 * Lifetimes: a tunnel is freed only from its own timer callback, once CLOSED,
 * held long enough and without sessions. A session is freed after its `down`
 * callback, or by l2tp_session_close() (deferred while one of its own
 * callbacks is running). */
#include "l2tp/l2tp.h"

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ev/ev.h"
#include "l2tp/l2tp_io.h"
#include "l2tp/msg.h"
#include "l2tp/session.h"
#include "l2tp/tunnel.h"
#include "l2tp/engine_int.h"
#include "util/escape.h"
#include "util/log.h"
#include "util/random.h"
#include "util/sock_drops.h"

void l2tp_engine_config_default(struct l2tp_engine_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->port = 1701;
	snprintf(cfg->host_name, sizeof(cfg->host_name), "lac-core");
	snprintf(cfg->vendor_name, sizeof(cfg->vendor_name), "realm-lns");
	cfg->rx_window = 8;
	cfg->hello_interval_s = 60;
	cfg->retransmit_initial_ms = 1000;
	cfg->retransmit_max_ms = 8000;
	cfg->max_retransmits = 5;
	cfg->max_sessions_per_tunnel = 0;
	cfg->dead_hold_down_s = 60;
	cfg->tunnel_linger_s = 10;
	cfg->hide_avps = true;
	cfg->send_sli_wen = true;
	cfg->failover_cdn_results[0] = L2TP_CDN_GENERAL;
	cfg->failover_cdn_results[1] = L2TP_CDN_TEMP_RESOURCES;
	cfg->n_failover_cdn_results = 2;
	cfg->failover_cdn_errors[0] = L2TP_ERR_RESOURCES;
	cfg->failover_cdn_errors[1] = L2TP_ERR_VENDOR;
	cfg->failover_cdn_errors[2] = L2TP_ERR_TRY_ANOTHER;
	cfg->failover_cdn_errors[3] = 9;
	cfg->n_failover_cdn_errors = 4;
	cfg->failover_on_stopccn = true;
	cfg->tunnel_setup_timeout_s = 10;
	cfg->session_setup_timeout_s = 10;
	cfg->tunnels_per_lns = 1;
}

void flush_all(struct l2tp_engine *e)
{
	size_t i;

	for (i = 0; i < e->n_socks; i++)
		e->stats.tx_datagrams += l2tp_io_flush(&e->socks[i]);
}

static void flush_cb(struct ev_loop *loop, struct ev_defer *defer, void *arg)
{
	flush_all(arg);
}

void eng_send(struct l2tp_engine *e, struct l2tp_io_sock *sock, const uint8_t *buf,
		    size_t len, const struct sockaddr *to, socklen_t to_len)
{
	if (l2tp_io_queue(sock, buf, len, to, to_len) < 0) {
		e->stats.tx_dropped++;
		return;
	}
	/* Coalesce what this loop iteration sends into one sendmmsg(). */
	ev_defer(e->loop, &e->flush);
}

/* A free tunnel or session ID, drawn at random for each tunnel and session
 * (issue 8: sequential IDs after a random start let an off-path attacker who
 * saw one ID guess the next, and with it forge ICMP errors and data). A few
 * random draws, then a scan from a random point when the ID space is nearly
 * full. Returns 0 when every ID is taken or no randomness is available. */
uint16_t eng_alloc_id(bool (*taken)(const void *ctx, uint16_t id), const void *ctx)
{
	uint32_t r;
	unsigned i;

	for (i = 0; i < 16; i++) {
		if (random_range(1, ID_SPACE - 1, &r) < 0)
			return 0;
		if (!taken(ctx, (uint16_t)r))
			return (uint16_t)r;
	}
	for (i = 0; i < ID_SPACE; i++) {
		uint16_t id = (uint16_t)(r + i);

		if (id != 0 && !taken(ctx, id))
			return id;
	}
	return 0;
}

static void done_timer_cb(struct ev_loop *loop, struct ev_timer *timer, void *arg)
{
	struct l2tp_engine *e = arg;
	void (*cb)(void *) = e->done_cb;

	flush_all(e);
	e->done_cb = NULL;
	if (cb)
		cb(e->done_arg);
}

void l2tp_engine_config_resolve(struct l2tp_engine_config *cfg)
{
	if (!cfg->port)
		cfg->port = L2TP_PORT;
	if (!cfg->host_name[0])
		snprintf(cfg->host_name, sizeof(cfg->host_name), "lac-core");
	if (!cfg->rx_window)
		cfg->rx_window = 8;
	if (!cfg->retransmit_initial_ms)
		cfg->retransmit_initial_ms = 1000;
	if (!cfg->retransmit_max_ms)
		cfg->retransmit_max_ms = 8000;
	if (!cfg->max_retransmits)
		cfg->max_retransmits = 5;
	if (!cfg->tunnel_linger_s)
		cfg->tunnel_linger_s = 10;
	if (!cfg->tunnel_setup_timeout_s)
		cfg->tunnel_setup_timeout_s = 10;
	if (!cfg->session_setup_timeout_s)
		cfg->session_setup_timeout_s = 10;
	if (!cfg->tunnels_per_lns)
		cfg->tunnels_per_lns = 1;
	/* hello_interval_s, dead_hold_down_s and max_sessions_per_tunnel keep
	 * their 0: no HELLO, no hold-down, no limit (l2tp.h) */
}

void l2tp_engine_set_limits(struct l2tp_engine *e, const struct l2tp_engine_config *cfg)
{
	struct l2tp_engine_config r = *cfg;

	l2tp_engine_config_resolve(&r);
	e->cfg.dead_hold_down_s = r.dead_hold_down_s;
	e->cfg.tunnel_setup_timeout_s = r.tunnel_setup_timeout_s;
	e->cfg.session_setup_timeout_s = r.session_setup_timeout_s;
	e->cfg.tunnels_per_lns = r.tunnels_per_lns;
	e->cfg.max_sessions_per_tunnel = r.max_sessions_per_tunnel;
}

struct l2tp_engine *l2tp_engine_create(struct ev_loop *loop, const struct l2tp_engine_config *cfg)
{
	struct l2tp_engine *e = calloc(1, sizeof(*e));
	size_t i;
	char a[80];

	if (!e)
		return NULL;
	e->loop = loop;
	e->cfg = *cfg;
	l2tp_engine_config_resolve(&e->cfg);
	e->tunnels = calloc(ID_SPACE, sizeof(*e->tunnels));
	if (!e->tunnels || sess_ids_init(e) < 0)
		goto fail;
	if (random_bytes(&e->next_serial, sizeof(e->next_serial)) < 0) {
		log_error("event=l2tp_no_randomness err=\"%s\"", strerror(errno));
		goto fail;
	}
	ev_defer_init(&e->flush, flush_cb, e);
	ev_timer_init(&e->done_timer, done_timer_cb, e);
	e->stray_tokens = STRAY_BURST;
	e->stray_refill_ms = ev_now_ms(loop);
	for (i = 0; i < (e->cfg.n_bind ? e->cfg.n_bind : 1); i++) {
		const char *addr = e->cfg.n_bind ? e->cfg.bind[i] : "0.0.0.0";
		struct l2tp_io_sock *s = &e->socks[e->n_socks];

		if (l2tp_io_open(s, addr, e->cfg.port) < 0) {
			log_error("event=l2tp_bind_failed addr=%s port=%u err=\"%s\"", addr,
				  e->cfg.port, strerror(errno));
			goto fail;
		}
		e->n_socks++;
		if (ev_io_add(loop, s->fd, EV_READ, sock_cb, e) < 0)
			goto fail;
		log_info("event=l2tp_listen addr=%s",
			 l2tp_sockaddr_str((struct sockaddr *)&s->local, a, sizeof(a)));
	}
	return e;
fail:
	l2tp_engine_destroy(e);
	return NULL;
}

void l2tp_engine_destroy(struct l2tp_engine *e)
{
	size_t i;

	if (!e)
		return;
	while (e->all_sessions) {
		struct l2tp_session *s = e->all_sessions;

		e->all_sessions = s->enext;
		ev_timer_stop(e->loop, &s->start_timer);
		ev_timer_stop(e->loop, &s->setup_timer);
		free(s->setup);         /* a call still in setup */
		free(s);
	}
	while (e->tunnel_list) {
		struct eng_tunnel *tun = e->tunnel_list;

		e->tunnel_list = tun->next;
		ev_timer_stop(e->loop, &tun->timer);
		l2tp_tunnel_release(&tun->t);
		free(tun);
	}
	for (i = 0; i < e->n_socks; i++) {
		l2tp_io_flush(&e->socks[i]);
		ev_io_del(e->loop, e->socks[i].fd);
		l2tp_io_close(&e->socks[i]);
	}
	ev_defer_cancel(e->loop, &e->flush);
	ev_timer_stop(e->loop, &e->done_timer);
	free(e->tunnels);
	sess_ids_free(e);
	free(e);
}

void l2tp_engine_shutdown(struct l2tp_engine *e, void (*done)(void *), void *arg)
{
	uint64_t now = ev_now_ms(e->loop);
	struct eng_tunnel *tun, *next;
	struct l2tp_session *s;

	e->shutting_down = true;
	e->done_cb = done;
	e->done_arg = arg;
	log_info("event=l2tp_shutdown tunnels=%s", e->tunnel_list ? "some" : "none");
	/* Each round takes the first session not yet closed afresh: an owner's
	 * `down` may close others. Only a session inside a callback stays a
	 * zombie on the list, so the scan is O(sessions) in all. */
	for (;;) {
		struct l2tp_disconnect why;

		for (s = e->all_sessions; s && s->zombie; s = s->enext)
			;
		if (!s)
			break;
		memset(&why, 0, sizeof(why));
		why.local = true;
		why.setup_failed = s->fsm.state != L2TP_SESSION_ESTABLISHED;
		why.result = L2TP_CDN_ADMIN;
		snprintf(why.message, sizeof(why.message), "LAC shutting down");
		s->busy++;
		if (s->ev.down)
			s->ev.down(s->owner, &why);
		s->busy--;
		if (s->zombie)
			sess_free(s);   /* the owner closed it from `down` (CDN already sent) */
		else
			l2tp_session_close(s, L2TP_CDN_ADMIN, 0, "LAC shutting down", 0);
	}
	for (tun = e->tunnel_list; tun; tun = next) {
		struct l2tp_tunnel_evarg a = { .result = L2TP_STOPCCN_SHUTDOWN, .why = "LAC shutting down" };

		next = tun->next;
		l2tp_tunnel_event(&tun->t, L2TP_TEV_CLOSE, &a, now);
		tun_arm(tun);
	}
	if (!e->tunnel_list)
		ev_timer_start(e->loop, &e->done_timer, 0);
}

void l2tp_engine_get_stats(const struct l2tp_engine *e, struct l2tp_engine_stats *out)
{
	const struct eng_tunnel *tun;
	size_t i;

	*out = e->stats;
	out->rx_socket_drops = 0;
	for (i = 0; i < e->n_socks; i++)
		(void)sock_rx_drops(e->socks[i].fd, &out->rx_socket_drops);
	out->retransmits = e->closed_retransmits;
	out->rx_duplicate = e->closed_rel.duplicates;
	out->rx_out_of_window = e->closed_rel.out_of_window;
	out->rx_bad_nr = e->closed_rel.bad_nr;
	for (tun = e->tunnel_list; tun; tun = tun->next) {
		out->retransmits += tun->t.rel.stats.retransmits;
		out->rx_duplicate += tun->t.rel.stats.duplicates;
		out->rx_out_of_window += tun->t.rel.stats.out_of_window;
		out->rx_bad_nr += tun->t.rel.stats.bad_nr;
	}
	for (i = 0; i < e->n_socks; i++) {
		out->tx_dropped += e->socks[i].tx_dropped;
		out->rx_malformed += e->socks[i].rx_truncated;
	}
}

void l2tp_engine_foreach(const struct l2tp_engine *e,
			 void (*tfn)(void *arg, const struct l2tp_tunnel_info *ti),
			 void (*sfn)(void *arg, const struct l2tp_session_info *si), void *arg)
{
	const struct eng_tunnel *tun;
	const struct l2tp_session *s;

	for (tun = e->tunnel_list; tun; tun = tun->next) {
		struct l2tp_tunnel_info ti = {
			.local_tid = tun->t.local_tid, .peer_tid = tun->t.peer_tid,
			.peer = (const struct sockaddr *)&tun->peer, .peer_len = tun->peer_len,
			.state = l2tp_tunnel_state_str(tun->t.state),
			.peer_host_name = tun->t.peer_host_name, .sessions = tun->n_sessions,
			.rx_msgs = tun->t.stats.rx_msgs, .tx_msgs = tun->t.stats.tx_msgs,
			.retransmits = tun->t.rel.stats.retransmits,
		};

		if (tfn)
			tfn(arg, &ti);
		if (!sfn)
			continue;
		for (s = tun->sessions; s; s = s->tnext) {
			struct l2tp_session_info si = {
				.local_tid = tun->t.local_tid, .local_sid = s->fsm.local_sid,
				.peer_sid = s->fsm.peer_sid, .call_serial = s->fsm.call_serial,
				.state = l2tp_session_state_str(s->fsm.state),
				.rx_packets = s->rx_packets, .tx_packets = s->tx_packets,
				.rx_bytes = s->rx_bytes, .tx_bytes = s->tx_bytes,
			};

			sfn(arg, &si);
		}
	}
}
