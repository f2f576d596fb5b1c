/* The subscriber call flow's operations in the daemon (struct sub_ops): the
 * ev loop's clock and timers, the PPP session, the RADIUS client, the L2TP
 * engine, the TUN device and the access conn. And the other direction: every
 * callback of those layers becomes one event of the table in subscriber.c.
 *
 * Nothing here decides anything: a callback translates its arguments into a
 * struct sub_evarg and dispatches. Contract with the layers (see their
 * headers): PPP callbacks may arrive inside ppp_* calls made by an action
 * (they are queued by sub_dispatch); access `closed` and L2TP `down` arrive
 * from the loop; RADIUS `done` never from inside radius_auth_start(). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aaa/radius_acct.h"
#include "aaa/radius_client.h"
#include "core/subscriber_priv.h"
#include "core/admission.h"         /* issue 11 */
#include "core/mem.h"               /* scale: lac_mem_released */
#include "l2tp/l2tp.h"
#include "l2tp/proto.h"
#include "ppp/ppp.h"
#include "util/escape.h"
#include "util/log.h"

/* ---- operations ---- */

static uint64_t io_now_ms(struct lac *lac)
{
	return ev_now_ms(lac->loop);
}

static void io_timer_set(struct subscriber *sub, enum sub_timer t, uint64_t at_ms)
{
	if (at_ms)
		ev_timer_start_at(sub->lac->loop, &sub->timers[t], at_ms);
	else
		ev_timer_stop(sub->lac->loop, &sub->timers[t]);
}

static void io_ppp_rearm(struct subscriber *sub)
{
	uint64_t when = sub->ppp && !sub->released ? ppp_session_next_timeout(sub->ppp) : 0;
	io_timer_set(sub, SUB_TIMER_PPP, when);
}

static void io_ppp_input(struct subscriber *sub, const uint8_t *frame, size_t len)
{
	if (!sub->ppp)
		return;
	ppp_session_input(sub->ppp, frame, len, ev_now_ms(sub->lac->loop));
	io_ppp_rearm(sub);
}

static void io_ppp_auth_result(struct subscriber *sub, bool accept, const char *message)
{
	if (!sub->ppp)
		return;
	ppp_session_auth_result(sub->ppp, accept, message, ev_now_ms(sub->lac->loop));
	io_ppp_rearm(sub);
}

static void io_ppp_set_ipcp(struct subscriber *sub, struct in_addr local, struct in_addr peer,
			    struct in_addr dns1, struct in_addr dns2)
{
	if (sub->ppp)
		ppp_session_set_ipcp(sub->ppp, local, peer, dns1, dns2);
}

static int io_ppp_get_proxy(struct subscriber *sub, struct ppp_proxy_info *out)
{
	return sub->ppp ? ppp_session_get_proxy(sub->ppp, out) : -1;
}

static int io_ppp_handoff(struct subscriber *sub, struct ppp_proxy_info *out)
{
	int r = sub->ppp ? ppp_session_handoff(sub->ppp, out) : -1;
	io_timer_set(sub, SUB_TIMER_PPP, 0);
	/* issue 12: the LNS runs PPP from here on; nothing in the RELAY rows
	 * touches the automata again, so their 8.5 KB go now rather than at the
	 * end of the session. The hand-off comes from an L2TP event, never
	 * from inside a ppp_* call, so no PPP frame is on the stack. */
	if (r == 0) {
		ppp_session_destroy(sub->ppp);
		sub->ppp = NULL;
	}
	return r;
}

static void io_ppp_close(struct subscriber *sub, const char *reason)
{
	if (!sub->ppp)  /* handed off: the LNS ends PPP, the caller ends the relay */
		return;
	ppp_session_close(sub->ppp, reason, ev_now_ms(sub->lac->loop));
	io_ppp_rearm(sub);
}

static int io_ppp_send_ip(struct subscriber *sub, const uint8_t *pkt, size_t len)
{
	return sub->ppp ? ppp_session_send_ip(sub->ppp, pkt, len) : -1;
}

static void io_ppp_free(struct subscriber *sub)
{
	if (sub->ppp)
		ppp_session_destroy(sub->ppp);
}

static void sub_aaa_done(void *arg, const struct radius_auth_result *res);

static struct radius_request *io_aaa_start(struct subscriber *sub, const struct radius_auth_params *p)
{
	return radius_auth_start(sub->lac->radius, p, sub_aaa_done, sub);
}

static void io_aaa_cancel(struct subscriber *sub, struct radius_request *req)
{
	radius_request_cancel(req);
}

static int io_acct_send(struct subscriber *sub, const struct radius_acct_params *p)
{
	if (!sub->lac->acct)
		return 0;
	return radius_acct_send(sub->lac->acct, p);
}

static int io_acct_tunnel_reject(struct subscriber *sub, bool link, const struct radius_acct_params *p)
{
	if (!sub->lac->acct)
		return 0;
	return radius_acct_tunnel_reject(sub->lac->acct, link, p);
}

static void sub_l2tp_up(void *owner, const struct l2tp_session_status *st);
static void sub_l2tp_failover(void *owner, unsigned from_idx, unsigned to_idx, const char *reason);
static void sub_l2tp_down(void *owner, const struct l2tp_disconnect *why);
static void sub_l2tp_ppp_rx(void *owner, const uint8_t *frame, size_t len);
static void sub_l2tp_setup_reject(void *owner, const struct l2tp_setup_reject *r);

static const struct l2tp_session_events sub_l2tp_events = {
	.up = sub_l2tp_up,
	.failover = sub_l2tp_failover,
	.down = sub_l2tp_down,
	.ppp_rx = sub_l2tp_ppp_rx,
	.setup_reject = sub_l2tp_setup_reject,
};

static struct l2tp_session *io_l2tp_open(struct subscriber *sub, const struct l2tp_candidate *cands, size_t n,
					 const struct l2tp_call_info *call)
{
	return l2tp_session_open(sub->lac->l2tp, cands, n, call, &sub_l2tp_events, sub);
}

static void io_l2tp_close(struct subscriber *sub, struct l2tp_session *s, uint16_t result, uint16_t error,
			  const char *msg)
{
	l2tp_session_close(s, result, error, msg, 0);
}

static int io_l2tp_send(struct subscriber *sub, struct l2tp_session *s, const uint8_t *frame, size_t len)
{
	return l2tp_session_send_ppp(s, frame, len);
}

static int io_l2tp_status(struct subscriber *sub, struct l2tp_session *s, struct l2tp_session_status *out)
{
	return l2tp_session_get_status(s, out);
}

/* Our end of the tunnel to `lns` for Tunnel-Client-Endpoint (RFC 2868 3.3)
 * when RADIUS did not name one: the source address the kernel picks for that
 * destination. A connect() on a UDP socket only looks up the route; nothing
 * is sent and nothing blocks. Writes "" when it cannot tell. */
static void io_route_source(const struct sockaddr_storage *lns, socklen_t len, char *out, size_t cap)
{
	struct sockaddr_storage me, to = *lns;
	socklen_t me_len = sizeof(me);
	out[0] = '\0';
	/* the engine's "port 0 means 1701" is not connect()'s */
	if (to.ss_family == AF_INET && !((struct sockaddr_in *)&to)->sin_port)
		((struct sockaddr_in *)&to)->sin_port = htons(L2TP_DEFAULT_PORT);
	else if (to.ss_family == AF_INET6 && !((struct sockaddr_in6 *)&to)->sin6_port)
		((struct sockaddr_in6 *)&to)->sin6_port = htons(L2TP_DEFAULT_PORT);
	int fd = socket(to.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (connect(fd, (const struct sockaddr *)&to, len) == 0 &&
	    getsockname(fd, (struct sockaddr *)&me, &me_len) == 0) {
		if (me.ss_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)&me)->sin_addr, out, (socklen_t)cap);
		else if (me.ss_family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&me)->sin6_addr, out, (socklen_t)cap);
	}
	close(fd);
}

/* The route look-up costs four system calls, for every tunnelled call: the
 * answer is kept per LNS address on the loop's clock (core/endpoint_cache.h). */
static void io_local_endpoint(struct lac *lac, const struct sockaddr_storage *lns, socklen_t len,
			      char *out, size_t cap)
{
	uint64_t now = ev_now_ms(lac->loop);
	const char *cached = endpoint_cache_lookup(&lac->endpoints, lns, len, now);

	if (cached) {
		snprintf(out, cap, "%s", cached);
		return;
	}
	io_route_source(lns, len, out, cap);
	endpoint_cache_store(&lac->endpoints, lns, len, now, out);
}

static int io_tun_write(struct subscriber *sub, const uint8_t *pkt, size_t len)
{
	if (sub->lac->tun_fd < 0)
		return -1;
	return write(sub->lac->tun_fd, pkt, len) < 0 ? -1 : 0;
}

static int io_access_send(struct subscriber *sub, const uint8_t *frame, size_t len)
{
	return sub->conn ? access_conn_send(sub->conn, frame, len) : -1;
}

static void io_access_close(struct subscriber *sub, const char *reason)
{
	if (sub->conn)
		access_conn_close(sub->conn, reason);
}

const struct sub_ops sub_io_ops = {
	.now_ms = io_now_ms,
	.timer_set = io_timer_set,
	.ppp_input = io_ppp_input,
	.ppp_auth_result = io_ppp_auth_result,
	.ppp_set_ipcp = io_ppp_set_ipcp,
	.ppp_get_proxy = io_ppp_get_proxy,
	.ppp_handoff = io_ppp_handoff,
	.ppp_close = io_ppp_close,
	.ppp_send_ip = io_ppp_send_ip,
	.ppp_free = io_ppp_free,
	.aaa_start = io_aaa_start,
	.aaa_cancel = io_aaa_cancel,
	.acct_send = io_acct_send,
	.acct_tunnel_reject = io_acct_tunnel_reject,
	.l2tp_open = io_l2tp_open,
	.l2tp_close = io_l2tp_close,
	.l2tp_send = io_l2tp_send,
	.l2tp_status = io_l2tp_status,
	.local_endpoint = io_local_endpoint,
	.tun_write = io_tun_write,
	.access_send = io_access_send,
	.access_close = io_access_close,
};

/* ---- callbacks from PPP ---- */

static void sub_ppp_tx(void *owner, const uint8_t *raw, size_t len)
{
	struct subscriber *sub = owner;
	if (sub->conn)
		access_conn_send(sub->conn, raw, len); /* never calls back (access/stream.h) */
}

static void sub_ppp_auth_request(void *owner, const struct ppp_auth_request *req)
{
	struct sub_evarg arg = { .auth = req };
	sub_dispatch(owner, SUB_EV_AUTH_REQUEST, &arg);
}

static void sub_ppp_up(void *owner, const struct ppp_ip_info *ip)
{
	struct sub_evarg arg = { .ip = ip };
	sub_dispatch(owner, SUB_EV_PPP_UP, &arg);
}

static void sub_ppp_down(void *owner, enum ppp_down_cause cause, const char *reason)
{
	struct sub_evarg arg = { .reason = reason, .ppp_cause = cause };
	sub_dispatch(owner, SUB_EV_PPP_DOWN, &arg);
}

static void sub_ppp_ip_rx(void *owner, const uint8_t *pkt, size_t len)
{
	struct sub_evarg arg = { .frame = pkt, .len = len };
	sub_dispatch(owner, SUB_EV_PPP_IP, &arg);
}

static const struct ppp_callbacks sub_ppp_callbacks = {
	.tx = sub_ppp_tx,
	.auth_request = sub_ppp_auth_request,
	.up = sub_ppp_up,
	.down = sub_ppp_down,
	.ip_rx = sub_ppp_ip_rx,
};

/* ---- callbacks from RADIUS ---- */

static void sub_aaa_done(void *arg, const struct radius_auth_result *res)
{
	struct subscriber *sub = arg;
	struct sub_evarg ev = { .reply = res->reply };
	sub->aaa = NULL; /* the client frees the request after this callback */
	switch (res->status) {
	case RADIUS_STATUS_ACCEPT:
		if (res->reply->n_tunnels > 0) {
			sub_dispatch(sub, SUB_EV_AAA_TUNNEL, &ev);
		} else if (res->reply->n_dropped > 0) {
			/* tunnel attributes were sent but none was usable: do not
			 * silently terminate a VPDN user locally */
			char why[ESCAPE_FIELD_MAX];
			log_warn("sub=%u event=aaa_unusable_tunnels dropped=%zu reason=%s", sub->id,
				 res->reply->n_dropped,
				 escape_str(why, sizeof(why), res->reply->dropped[0].reason));
			sub_dispatch(sub, SUB_EV_AAA_FAIL, &ev);
		} else {
			sub_dispatch(sub, SUB_EV_AAA_LOCAL, &ev);
		}
		break;
	case RADIUS_STATUS_REJECT:
		sub_dispatch(sub, SUB_EV_AAA_REJECT, &ev);
		break;
	default:
		log_warn("sub=%u event=aaa_failed status=%s detail=%s", sub->id, radius_status_str(res->status),
			 res->detail ? res->detail : "-");
		sub_dispatch(sub, SUB_EV_AAA_FAIL, &ev);
		break;
	}
}

/* ---- callbacks from L2TP ---- */

static void sub_l2tp_up(void *owner, const struct l2tp_session_status *st)
{
	struct sub_evarg arg = { .l2tp_up = st };
	sub_dispatch(owner, SUB_EV_L2TP_UP, &arg);
}

static void sub_l2tp_failover(void *owner, unsigned from_idx, unsigned to_idx, const char *reason)
{
	struct subscriber *sub = owner;
	char why[ESCAPE_FIELD_MAX];
	sub->lac->counters.tunnel_failover++;
	if (to_idx < sub->n_cands) {
		snprintf(sub->lns, sizeof(sub->lns), "%s", sub->cand_label[to_idx]);
		admission_ticket_move(&sub->lac->adm, &sub->adm, sub->cand_label[to_idx]);      /* issue 11 */
	}
	log_debug("sub=%u event=lns_failover from=%s to=%s reason=%s", sub->id,
		  from_idx < sub->n_cands ? sub->cand_label[from_idx] : "?",
		  to_idx < sub->n_cands ? sub->cand_label[to_idx] : "?",
		  escape_str(why, sizeof(why), reason ? reason : ""));
}

static void sub_l2tp_down(void *owner, const struct l2tp_disconnect *why)
{
	char msg[64], reason[SUB_REASON_MAX];
	escape_str(msg, sizeof(msg), why->message[0] ? why->message : "-");
	snprintf(reason, sizeof(reason), "result=%u error=%u msg=%s", why->result, why->error, msg);
	struct sub_evarg arg = { .reason = reason, .l2tp_result = why->result };
	sub_dispatch(owner, SUB_EV_L2TP_DOWN, &arg);
}

static void sub_l2tp_setup_reject(void *owner, const struct l2tp_setup_reject *r)
{
	struct sub_evarg arg = { .l2tp_reject = r };
	sub_dispatch(owner, SUB_EV_L2TP_REJECT, &arg);
}

static void sub_l2tp_ppp_rx(void *owner, const uint8_t *frame, size_t len)
{
	struct sub_evarg arg = { .frame = frame, .len = len };
	sub_dispatch(owner, SUB_EV_L2TP_FRAME, &arg);
}

/* ---- callbacks from the access interface ---- */

static void sub_access_frame(void *owner, const uint8_t *frame, size_t len)
{
	struct sub_evarg arg = { .frame = frame, .len = len };
	sub_dispatch(owner, SUB_EV_ACCESS_FRAME, &arg);
}

static void sub_access_closed(void *owner, const char *reason)
{
	struct sub_evarg arg = { .reason = reason };
	sub_dispatch(owner, SUB_EV_ACCESS_CLOSED, &arg);
}

static const struct access_conn_handlers sub_access_handlers = {
	.frame_rx = sub_access_frame,
	.closed = sub_access_closed,
};

/* ---- timers ---- */

static void sub_ppp_timer(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	struct subscriber *sub = arg;
	if (!sub->ppp || sub->released)
		return;
	ppp_session_timeout(sub->ppp, ev_now_ms(loop));
	io_ppp_rearm(sub);
}

#define SUB_TIMER_CB(name, which) \
	static void name(struct ev_loop *loop, struct ev_timer *t, void *arg) \
	{ \
		sub_timer_fired(arg, which); \
	}
/* The reap timer frees the session record; glibc keeps freed heap in the
 * process, so tell core/mem.c (scale) to give free pages back now and then. */
static void sub_reap_timer(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	(void)t;
	struct subscriber *sub = arg;
	struct lac *lac = sub->lac;
	lac_mem_released(loop, &lac->n_subscribers);
	sub_timer_fired(sub, SUB_TIMER_REAP);
}
SUB_TIMER_CB(sub_interim_timer, SUB_TIMER_INTERIM)
SUB_TIMER_CB(sub_session_timer, SUB_TIMER_SESSION)
SUB_TIMER_CB(sub_idle_timer, SUB_TIMER_IDLE)

/* ---- life cycle ---- */

static void sub_ppp_config(const struct lac *lac, const struct access_conn_info *info, uint32_t id,
			   struct ppp_config *pc)
{
	const struct lac_config *cfg = &lac->cfg;
	ppp_config_defaults(pc);
	snprintf(pc->ident, sizeof(pc->ident), "sub=%u", id);
	pc->mru = (uint16_t)(cfg->ppp_mru < info->mru ? cfg->ppp_mru : info->mru);
	pc->no_addr_ctl = info->kind == ACCESS_KIND_PPPOE;
	pc->async_map = info->kind == ACCESS_KIND_STREAM;
	pc->auth_order_len = 0;
	char order[CONF_STR];
	snprintf(order, sizeof(order), "%s", cfg->ppp_auth);
	for (char *save = NULL, *tok = strtok_r(order, ",", &save); tok && pc->auth_order_len < 2;
	     tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		pc->auth_order[pc->auth_order_len++] = strncmp(tok, "pap", 3) == 0 ? PPP_AUTH_PAP : PPP_AUTH_CHAP;
	}
	pc->auth_max_attempts = cfg->ppp_auth_attempts;
	pc->auth_timeout_ms = cfg->ppp_auth_timeout_s * 1000u;
	pc->restart_ms = cfg->ppp_restart_ms;
	pc->max_configure = cfg->ppp_max_configure;
	pc->max_failure = cfg->ppp_max_failure;
	pc->max_terminate = cfg->ppp_max_terminate;
	pc->echo_interval_ms = cfg->ppp_echo_interval_s * 1000u;
	pc->echo_failures = cfg->ppp_echo_failures;
	snprintf(pc->host_name, sizeof(pc->host_name), "%s", cfg->host_name);
}

void subscriber_conn_new(void *ctx, struct access_conn *conn)
{
	struct lac *lac = ctx;
	/* issue 11, admission point 1: drain, maximum sessions, calls per second.
	 * Refused before PPP starts: PPPoE sends PADT (Generic-Error = the
	 * reason), a stream is closed. */
	struct adm_ticket adm = { 0 };
	enum adm_cause ac = lac->shutting_down ? ADM_OK : admission_ticket_call(&lac->adm, &adm, ev_now_ms(lac->loop));
	if (ac != ADM_OK) {
		log_peer("event=conn_refused reason=%s port_id=%s", adm_cause_str(ac), conn->info.nas_port_id);
		access_conn_close(conn, adm_cause_text(ac));
		return;
	}
	if (lac->shutting_down || lac->n_subscribers >= lac->cfg.max_sessions) {
		admission_ticket_release(&lac->adm, &adm);
		log_peer("event=conn_refused reason=%s", lac->shutting_down ? "shutting_down" : "max_sessions");
		access_conn_close(conn, "refused");
		return;
	}
	struct subscriber *sub = sub_create(lac, conn);
	if (!sub) {
		admission_ticket_release(&lac->adm, &adm);
		access_conn_close(conn, "out of memory");
		return;
	}
	sub->adm = adm;                 /* issue 11: released in sub_release() */
	ev_timer_init(&sub->timers[SUB_TIMER_PPP], sub_ppp_timer, sub);
	ev_timer_init(&sub->timers[SUB_TIMER_REAP], sub_reap_timer, sub);
	ev_timer_init(&sub->timers[SUB_TIMER_INTERIM], sub_interim_timer, sub);
	ev_timer_init(&sub->timers[SUB_TIMER_SESSION], sub_session_timer, sub);
	ev_timer_init(&sub->timers[SUB_TIMER_IDLE], sub_idle_timer, sub);

	struct ppp_config pc;
	sub_ppp_config(lac, &conn->info, sub->id, &pc);
	sub->ppp = ppp_session_create(&pc, PPP_ROLE_AUTHENTICATOR, &sub_ppp_callbacks, sub);
	if (!sub->ppp) {
		admission_ticket_release(&lac->adm, &sub->adm);
		access_conn_close(conn, "out of memory");
		sub_destroy_unattached(sub);
		return;
	}
	access_conn_attach(conn, &sub_access_handlers, sub);
	log_debug("sub=%u event=conn_new access=%s port_id=%s calling=%s", sub->id,
		  conn->info.kind == ACCESS_KIND_PPPOE ? "pppoe" : "stream", conn->info.nas_port_id,
		  conn->info.calling_station_id);
	ppp_session_lower_up(sub->ppp, sub->created_ms);
	io_ppp_rearm(sub);
}
