/* Subscriber sessions: the RFC 2809 call flow as a state table.
 *
 *   access conn -> PPP (LCP, CHAP/PAP challenge) -> RADIUS Access-Request
 *     Accept + tunnel groups -> L2TP session to the LNS (proxy LCP/auth) -> relay
 *     Accept, no tunnel      -> CHAP/PAP Success, IPCP, IP on the TUN device
 *     Reject / no answer     -> CHAP/PAP Failure with the Reply-Message
 *
 * PPP keeps running while the tunnel is set up, so that if every LNS fails the
 * subscriber still gets a proper CHAP/PAP Failure. It is handed off (frozen)
 * only once the L2TP session is up; from then on frames are relayed verbatim
 * and the LNS renegotiates LCP and authenticates end to end. */
#include "core/subscriber.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "aaa/dae_codec.h"
#include "aaa/radius_acct.h"
#include "aaa/radius_client.h"
#include "core/admission.h"         /* issue 11: call admission control */
#include "core/line_fwd.h"          /* issue 11: access-line forwarding */
#include "l2tp/l2tp.h"
#include "l2tp/proto.h"
#include "ppp/ppp.h"
#include "util/log.h"

struct subscriber {
	struct lac *lac;
	uint32_t id;
	enum sub_state state;
	struct access_conn *conn;
	struct access_conn_info info;   /* kept for accounting after conn is gone */
	struct ppp_session *ppp;
	struct ev_timer ppp_timer;
	struct ev_timer reap_timer;
	struct ev_timer interim_timer;  /* Acct-Interim-Interval */
	struct ev_timer session_timer;  /* Session-Timeout */
	struct ev_timer idle_timer;     /* Idle-Timeout */
	struct radius_request *aaa;
	struct l2tp_session *l2tp;

	struct ppp_auth_request auth;   /* the credentials RADIUS was asked about */
	char acct_session_id[20];
	char decision[8];               /* tunnel | local | reject | fail */
	char reply_message[256];
	uint64_t created_ms, up_ms;

	/* accounting (RFC 2866): what the Accept said, what we counted */
	uint32_t session_timeout_s;     /* 0 = none */
	uint32_t interim_s;             /* 0 = no Interim-Update */
	uint32_t idle_timeout_s;        /* 0 = none */
	uint64_t last_data_ms;          /* last data frame from the subscriber */
	size_t n_class;
	uint8_t class_val[RADIUS_MAX_CLASS][RADIUS_MAX_ATTR_VALUE];
	size_t class_len[RADIUS_MAX_CLASS];
	bool acct_started, acct_stopped;
	enum radius_term_cause term_cause;      /* first cause set wins */
	uint64_t in_octets, out_octets;         /* from / to the subscriber */
	uint32_t in_packets, out_packets;

	/* tunnelled */
	struct l2tp_candidate cands[RADIUS_MAX_TUNNELS];
	char cand_label[RADIUS_MAX_TUNNELS][64];        /* endpoints as RADIUS sent them */
	struct {                                /* RFC 2867 accounting per candidate */
		uint8_t tag;
		uint32_t medium;
		char client_endpoint[64];
	} cand_acct[RADIUS_MAX_TUNNELS];
	char lns_host_name[64];                 /* the LNS's Host Name (Tunnel-Server-Auth-Id) */
	size_t n_cands;
	struct l2tp_session_status l2tp_status;
	char lns[64];

	/* locally terminated */
	struct in_addr ip;
	bool ip_from_pool;
	bool ip_registered;
	struct subscriber *ip_next;

	struct adm_ticket adm;          /* issue 11: what admission counts for this session */

	struct subscriber *next, *prev;
};

/* Argument carried by an event into its action. */
struct sub_evarg {
	const struct radius_reply *reply;
	const struct l2tp_session_status *l2tp_up;
	const char *reason;
	const struct ppp_ip_info *ip;
};

static void sub_acct_stop(struct subscriber *sub);

typedef enum sub_state (*sub_action)(struct subscriber *sub, const struct sub_evarg *arg);

static const char *const sub_state_names[SUB_N_STATES] = {
	"lcp", "aaa", "tunnel_setup", "relay", "local", "closing", "dead",
};
static const char *const sub_event_names[SUB_N_EVENTS] = {
	"auth_request", "aaa_tunnel", "aaa_local", "aaa_reject", "aaa_fail", "l2tp_up",
	"l2tp_down", "ppp_up", "ppp_down", "access_closed", "admin_disconnect",
};

const char *sub_state_str(enum sub_state s)
{
	return s < SUB_N_STATES ? sub_state_names[s] : "?";
}

const char *sub_event_str(enum sub_event e)
{
	return e < SUB_N_EVENTS ? sub_event_names[e] : "?";
}

#define sub_log(level, sub, fmt, ...) \
	log_msg(level, "sub=%u user=%s state=%s " fmt, (sub)->id, (sub)->auth.name, \
		sub_state_str((sub)->state), ##__VA_ARGS__)

/* ---- helpers ---- */

static uint32_t lac_ip_hash(struct in_addr ip)
{
	uint32_t h = ntohl(ip.s_addr) * 2654435761u;
	return h % LAC_IP_BUCKETS;
}

static void sub_ip_register(struct subscriber *sub)
{
	struct lac *lac = sub->lac;
	uint32_t b = lac_ip_hash(sub->ip);
	sub->ip_next = lac->by_ip[b];
	lac->by_ip[b] = sub;
	sub->ip_registered = true;
}

static void sub_ip_unregister(struct subscriber *sub)
{
	if (!sub->ip_registered)
		return;
	struct subscriber **pp = &sub->lac->by_ip[lac_ip_hash(sub->ip)];
	while (*pp && *pp != sub)
		pp = &(*pp)->ip_next;
	if (*pp)
		*pp = sub->ip_next;
	sub->ip_registered = false;
}

static bool sub_medium_has_addr_ctl(const struct subscriber *sub)
{
	return sub->conn && sub->conn->info.kind != ACCESS_KIND_PPPOE;
}

/* Sends an LCP Terminate-Request straight to the subscriber, for when PPP has
 * been handed off (relay) and the LNS side is gone (RFC 1661 5.5). */
static void sub_send_lcp_terminate(struct subscriber *sub)
{
	if (!sub->conn)
		return;
	static const uint8_t term[] = { 0x05, 0x01, 0x00, 0x04 };
	uint8_t frame[16];
	ssize_t n = ppp_frame_build(frame, sizeof(frame), sub_medium_has_addr_ctl(sub), PPP_PROTO_LCP,
				    term, sizeof(term));
	if (n > 0)
		access_conn_send(sub->conn, frame, (size_t)n);
}

static void sub_ppp_arm_timer(struct subscriber *sub)
{
	if (!sub->ppp)
		return;
	uint64_t when = ppp_session_next_timeout(sub->ppp);
	if (when)
		ev_timer_start_at(sub->lac->loop, &sub->ppp_timer, when);
	else
		ev_timer_stop(sub->lac->loop, &sub->ppp_timer);
}

static void sub_reap(struct ev_loop *loop, struct ev_timer *t, void *arg);

/* Detaches the session from everything that could call back into it and
 * schedules the free. Idempotent. */
static void sub_release(struct subscriber *sub)
{
	struct lac *lac = sub->lac;
	sub_acct_stop(sub);
	admission_ticket_release(&lac->adm, &sub->adm);  /* issue 11, admission point 3 */
	ev_timer_stop(lac->loop, &sub->interim_timer);
	ev_timer_stop(lac->loop, &sub->session_timer);
	ev_timer_stop(lac->loop, &sub->idle_timer);
	if (sub->aaa) {
		radius_request_cancel(sub->aaa);
		sub->aaa = NULL;
	}
	if (sub->l2tp) {
		l2tp_session_close(sub->l2tp, 1, 0, "subscriber gone", 0);
		sub->l2tp = NULL;
	}
	ev_timer_stop(lac->loop, &sub->ppp_timer);
	if (sub->ppp) {
		ppp_session_destroy(sub->ppp);
		sub->ppp = NULL;
	}
	if (sub->conn) {
		access_conn_close(sub->conn, "session ended");
		sub->conn = NULL;
	}
	sub_ip_unregister(sub);
	if (sub->ip_from_pool) {
		ip_pool_release(&lac->pool, sub->ip);
		sub->ip_from_pool = false;
	}
	if (!ev_timer_armed(&sub->reap_timer))
		ev_timer_start(lac->loop, &sub->reap_timer, 0);
}

/* ---- accounting (RFC 2866, RFC 2867 for tunnelled sessions) ---- */

static void sub_set_cause(struct subscriber *sub, enum radius_term_cause cause)
{
	if (!sub->term_cause)
		sub->term_cause = cause;
}

/* Keeps what the Access-Accept says about accounting and session limits. */
static void sub_take_accept(struct subscriber *sub, const struct radius_reply *reply)
{
	const struct lac_config *cfg = &sub->lac->cfg;
	sub->session_timeout_s = reply->has_session_timeout ? reply->session_timeout : 0;
	sub->idle_timeout_s = reply->has_idle_timeout ? reply->idle_timeout : 0;
	/* RFC 2869 5.16: the server's interval, never below 60 s (to spare the
	 * servers); without one (or 0), the operator's default, taken as is */
	if (reply->has_acct_interim_interval && reply->acct_interim_interval)
		sub->interim_s = reply->acct_interim_interval < 60 ? 60 : reply->acct_interim_interval;
	else
		sub->interim_s = cfg->radius_acct_interim_interval_s;
	sub->n_class = reply->n_class < RADIUS_MAX_CLASS ? reply->n_class : RADIUS_MAX_CLASS;
	for (size_t i = 0; i < sub->n_class; i++) {
		memcpy(sub->class_val[i], reply->class_val[i], reply->class_len[i]);
		sub->class_len[i] = reply->class_len[i];
	}
}

/* Our end of the tunnel to `lns` for Tunnel-Client-Endpoint (RFC 2868 3.3)
 * when RADIUS did not name one: the source address the kernel picks for that
 * destination. A connect() on a UDP socket only looks up the route; nothing
 * is sent and nothing blocks. Writes "" when it cannot tell. */
static void sub_local_endpoint(const struct sockaddr_storage *lns, socklen_t len, char *out, size_t cap)
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

/* Queues one Accounting-Request describing sub: the identity of the
 * Access-Request, every Class of the Accept, counters for Interim-Update and
 * Stop, and for a tunnelled session the RFC 2867 tunnel attributes with
 * Acct-Tunnel-Connection = the L2TP Call Serial Number (RFC 2867 4.1). */
static void sub_acct_send(struct subscriber *sub, uint32_t status)
{
	struct lac *lac = sub->lac;
	const struct access_conn_info *info = &sub->info;
	uint64_t now = ev_now_ms(lac->loop);
	if (!lac->acct)
		return;
	struct radius_acct_params p = {
		.status_type = status,
		.user_name = sub->auth.name,
		.acct_session_id = sub->acct_session_id,
		.has_nas_ip = lac->cfg.nas_ip_address.s_addr != 0,
		.nas_ip = lac->cfg.nas_ip_address,
		.nas_identifier = lac->cfg.nas_identifier,
		.has_nas_port = true,
		.nas_port = info->nas_port,
		.nas_port_id = info->nas_port_id[0] ? info->nas_port_id : NULL,
		.has_nas_port_type = true,
		.nas_port_type = info->nas_port_type,
		.framed_ppp = true,
		.calling_station_id = info->calling_station_id[0] ? info->calling_station_id : NULL,
		.called_station_id = info->called_station_id[0] ? info->called_station_id : NULL,
		.has_framed_ip = sub->ip.s_addr != 0,
		.framed_ip = sub->ip,
		.n_class = sub->n_class < RADIUS_MAX_CLASS_ECHO ? sub->n_class : RADIUS_MAX_CLASS_ECHO,
	};
	line_fwd_radius(&lac->cfg, info, &p.extra);     /* issue 11: RFC 4679 attributes */
	for (size_t i = 0; i < p.n_class; i++) {
		p.class_val[i] = sub->class_val[i];
		p.class_len[i] = sub->class_len[i];
	}
	if (status != RADIUS_ACCT_STATUS_START) {
		p.has_counters = true;
		p.session_time = (uint32_t)((now - sub->up_ms) / 1000);
		p.input_octets = sub->in_octets;
		p.output_octets = sub->out_octets;
		p.input_packets = sub->in_packets;
		p.output_packets = sub->out_packets;
	}
	if (status == RADIUS_ACCT_STATUS_STOP)
		p.terminate_cause = sub->term_cause ? sub->term_cause : RADIUS_TERM_NAS_REQUEST;

	struct radius_acct_tunnel tun;
	char connection[16];
	unsigned idx = sub->l2tp_status.candidate_idx;
	if (strcmp(sub->decision, "tunnel") == 0 && idx < sub->n_cands) {
		const struct l2tp_candidate *c = &sub->cands[idx];
		snprintf(connection, sizeof(connection), "%u", sub->l2tp_status.call_serial);
		memset(&tun, 0, sizeof(tun));
		tun.tag = sub->cand_acct[idx].tag;
		tun.type = RADIUS_TUNNEL_TYPE_L2TP;
		tun.medium = sub->cand_acct[idx].medium;
		tun.client_endpoint = sub->cand_acct[idx].client_endpoint[0] ? sub->cand_acct[idx].client_endpoint
				    : lac->cfg.n_l2tp_bind ? lac->cfg.l2tp_bind[0] : NULL;
		tun.server_endpoint = sub->cand_label[idx];
		tun.assignment_id = c->assignment_id;
		tun.client_auth_id = c->client_auth_id;
		tun.server_auth_id = sub->lns_host_name[0] ? sub->lns_host_name : c->server_auth_id;
		tun.connection = connection;
		p.tunnel = &tun;
	}
	if (radius_acct_send(lac->acct, &p) < 0)
		sub_log(LOG_LVL_WARN, sub, "event=acct_not_queued status=%u errno=%d", status, errno);
	else
		sub_log(LOG_LVL_INFO, sub, "event=acct_%s acct_session_id=%s%s%s",
			status == RADIUS_ACCT_STATUS_START ? "start" : status == RADIUS_ACCT_STATUS_STOP ? "stop" : "interim",
			sub->acct_session_id, status == RADIUS_ACCT_STATUS_STOP ? " cause=" : "",
			status == RADIUS_ACCT_STATUS_STOP ? radius_term_cause_str(p.terminate_cause) : "");
}

static void sub_interim(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	struct subscriber *sub = arg;
	if (!sub->acct_started || sub->acct_stopped || !sub->interim_s)
		return;
	sub_acct_send(sub, RADIUS_ACCT_STATUS_INTERIM);
	ev_timer_start(loop, &sub->interim_timer, (uint64_t)sub->interim_s * 1000);
}

static void sub_session_timeout(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	struct subscriber *sub = arg;
	sub->lac->counters.session_timeouts++;
	sub_log(LOG_LVL_INFO, sub, "event=session_timeout limit_s=%u", sub->session_timeout_s);
	subscriber_disconnect(sub, "session timeout", RADIUS_TERM_SESSION_TIMEOUT);
}

/* RFC 2865 5.28 Idle-Timeout: the subscriber sent no data (anything but
 * LCP, whose echoes keep flowing on an idle link) for idle_timeout_s. The
 * timer wakes at the earliest moment the limit could be reached. */
static void sub_idle_check(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	struct subscriber *sub = arg;
	uint64_t now = ev_now_ms(loop), limit = (uint64_t)sub->idle_timeout_s * 1000;
	if (!sub->idle_timeout_s || sub->acct_stopped)
		return;
	if (now - sub->last_data_ms < limit) {
		ev_timer_start(loop, &sub->idle_timer, sub->last_data_ms + limit - now);
		return;
	}
	sub->lac->counters.idle_timeouts++;
	sub_log(LOG_LVL_INFO, sub, "event=idle_timeout limit_s=%u", sub->idle_timeout_s);
	subscriber_disconnect(sub, "idle timeout", RADIUS_TERM_IDLE_TIMEOUT);
}

/* Counts one frame from the subscriber; `proto` is its PPP protocol. */
static void sub_count_in(struct subscriber *sub, size_t len, uint16_t proto)
{
	sub->in_octets += len;
	sub->in_packets++;
	if (proto != PPP_PROTO_LCP)
		sub->last_data_ms = ev_now_ms(sub->lac->loop);
}

/* Arms the Session-Timeout timer `secs` from now (0 = no limit). */
static void sub_arm_session_timer(struct subscriber *sub, uint32_t secs)
{
	if (secs)
		ev_timer_start(sub->lac->loop, &sub->session_timer, (uint64_t)secs * 1000);
	else
		ev_timer_stop(sub->lac->loop, &sub->session_timer);
}

/* The session is up (relay or IPCP): Start, interim updates, session limit. */
static void sub_acct_begin(struct subscriber *sub)
{
	if (sub->acct_started)
		return;
	sub->acct_started = true;
	sub_acct_send(sub, RADIUS_ACCT_STATUS_START);
	if (sub->interim_s)
		ev_timer_start(sub->lac->loop, &sub->interim_timer, (uint64_t)sub->interim_s * 1000);
	sub_arm_session_timer(sub, sub->session_timeout_s);
	sub->last_data_ms = ev_now_ms(sub->lac->loop);
	if (sub->idle_timeout_s)
		ev_timer_start(sub->lac->loop, &sub->idle_timer, (uint64_t)sub->idle_timeout_s * 1000);
}

static void sub_acct_stop(struct subscriber *sub)
{
	if (!sub->acct_started || sub->acct_stopped)
		return;
	sub->acct_stopped = true;
	sub_acct_send(sub, RADIUS_ACCT_STATUS_STOP);
}

/* ---- actions: each returns the next state ---- */

static void sub_aaa_done(void *arg, const struct radius_auth_result *res);

static enum sub_state act_start_aaa(struct subscriber *sub, const struct sub_evarg *arg)
{
	struct lac *lac = sub->lac;
	const struct access_conn_info *info = &sub->conn->info;
	struct radius_auth_params p = {
		.user_name = sub->auth.name,
		.has_nas_ip = lac->cfg.nas_ip_address.s_addr != 0,
		.nas_ip = lac->cfg.nas_ip_address,
		.nas_identifier = lac->cfg.nas_identifier,
		.has_nas_port = true,
		.nas_port = info->nas_port,
		.nas_port_id = info->nas_port_id,
		.has_nas_port_type = true,
		.nas_port_type = info->nas_port_type,
		.framed_ppp = true,
		.calling_station_id = info->calling_station_id[0] ? info->calling_station_id : NULL,
		.called_station_id = info->called_station_id[0] ? info->called_station_id : NULL,
		.acct_session_id = sub->acct_session_id,
	};
	line_fwd_radius(&lac->cfg, info, &p.extra);     /* issue 11: RFC 4679 attributes */
	if (sub->auth.type == PPP_AUTH_CHAP) {
		p.chap_response = sub->auth.response;
		p.chap_id = sub->auth.chap_id;
		p.chap_challenge = sub->auth.challenge;
		p.chap_challenge_len = sub->auth.challenge_len;
	} else {
		p.user_password = sub->auth.response;
		p.user_password_len = sub->auth.response_len;
	}
	lac->counters.auth_requests++;
	sub->aaa = radius_auth_start(lac->radius, &p, sub_aaa_done, sub);
	if (!sub->aaa) {
		sub_log(LOG_LVL_WARN, sub, "event=aaa_start_failed");
		snprintf(sub->decision, sizeof(sub->decision), "fail");
		ppp_session_auth_result(sub->ppp, false, "Authentication service unavailable",
					ev_now_ms(lac->loop));
		sub_ppp_arm_timer(sub);
		return SUB_LCP;
	}
	return SUB_AAA;
}

static void sub_l2tp_up(void *owner, const struct l2tp_session_status *st);
static void sub_l2tp_failover(void *owner, unsigned from_idx, unsigned to_idx, const char *reason);
static void sub_l2tp_down(void *owner, const struct l2tp_disconnect *why);
static void sub_l2tp_ppp_rx(void *owner, const uint8_t *frame, size_t len);

static const struct l2tp_session_events sub_l2tp_events = {
	.up = sub_l2tp_up,
	.failover = sub_l2tp_failover,
	.down = sub_l2tp_down,
	.ppp_rx = sub_l2tp_ppp_rx,
};

/* RFC 2661 4.4.5: the PPP side's record of LCP and authentication, in the
 * shape of the proxy AVPs. A block too long for the AVP is left out (the LNS
 * then renegotiates, as it may anyway). */
static void sub_proxy_from_ppp(struct l2tp_proxy_info *out, const struct ppp_proxy_info *in)
{
	memset(out, 0, sizeof(*out));
	if (in->initial_rcvd_len <= sizeof(out->init_rx_lcp)) {
		memcpy(out->init_rx_lcp, in->initial_rcvd_confreq, in->initial_rcvd_len);
		out->init_rx_lcp_len = (uint16_t)in->initial_rcvd_len;
	}
	if (in->last_sent_len <= sizeof(out->last_tx_lcp)) {
		memcpy(out->last_tx_lcp, in->last_sent_confreq, in->last_sent_len);
		out->last_tx_lcp_len = (uint16_t)in->last_sent_len;
	}
	if (in->last_rcvd_len <= sizeof(out->last_rx_lcp)) {
		memcpy(out->last_rx_lcp, in->last_rcvd_confreq, in->last_rcvd_len);
		out->last_rx_lcp_len = (uint16_t)in->last_rcvd_len;
	}
	const struct ppp_auth_request *a = &in->auth;
	if (a->type == PPP_AUTH_CHAP)
		out->authen_type = L2TP_PROXY_AUTH_CHAP;
	else if (a->type == PPP_AUTH_PAP)
		out->authen_type = L2TP_PROXY_AUTH_PAP;
	else
		return;
	if (a->name_len >= sizeof(out->authen_name)) {
		out->authen_type = 0; /* a name the AVP buffer cannot hold: no proxy auth */
		return;
	}
	memcpy(out->authen_name, a->name, a->name_len + 1);
	if (a->challenge_len <= sizeof(out->authen_challenge)) {
		memcpy(out->authen_challenge, a->challenge, a->challenge_len);
		out->authen_challenge_len = (uint16_t)a->challenge_len;
	}
	out->authen_id = a->chap_id;
	if (a->response_len <= sizeof(out->authen_response)) {
		memcpy(out->authen_response, a->response, a->response_len);
		out->authen_response_len = (uint16_t)a->response_len;
	}
}

static void sub_fill_call_info(struct subscriber *sub, struct l2tp_call_info *call)
{
	const struct access_conn_info *info = &sub->conn->info;
	struct ppp_proxy_info proxy;
	memset(call, 0, sizeof(*call));
	if (!info->no_calling_number)   /* issue 11: [pppoe] l2tp_calling_number = no */
		snprintf(call->calling_number, sizeof(call->calling_number), "%s", info->calling_station_id);
	snprintf(call->called_number, sizeof(call->called_number), "%s", info->called_station_id);
	/* RFC 2661 4.4.4/4.4.5: a PPPoE or TCP access carries synchronous frames
	 * at LAN speed; a stream from a modem bank would be async. We announce
	 * what the subscriber's medium is. */
	call->framing_type = info->kind == ACCESS_KIND_PPPOE ? L2TP_FRAMING_SYNC : L2TP_FRAMING_ASYNC;
	call->bearer_type = L2TP_BEARER_DIGITAL;
	call->tx_connect_speed = 100000000;
	call->rx_connect_speed = 100000000;
	call->physical_channel_id = info->nas_port;
	if (ppp_session_get_proxy(sub->ppp, &proxy) == 0)
		sub_proxy_from_ppp(&call->proxy, &proxy);
	/* issue 11: RFC 5515 AVPs and connect speeds from the access line */
	line_fwd_l2tp(&sub->lac->cfg, info, false, call);
}

/* Copies an RFC 2868 identifier; refuses one that would not fit rather than
 * truncate it (a cut Assignment-Id would share tunnels it should not). */
static int sub_copy_id(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);
	if (n >= cap)
		return -1;
	memcpy(dst, src, n + 1);
	return 0;
}

static enum sub_state act_start_tunnel(struct subscriber *sub, const struct sub_evarg *arg)
{
	struct lac *lac = sub->lac;
	const struct radius_reply *reply = arg->reply;
	snprintf(sub->decision, sizeof(sub->decision), "tunnel");
	sub_take_accept(sub, reply);
	sub->n_cands = 0;
	for (size_t i = 0; i < reply->n_tunnels && sub->n_cands < RADIUS_MAX_TUNNELS; i++) {
		const struct radius_tunnel *t = &reply->tunnels[i];
		struct l2tp_candidate *c = &sub->cands[sub->n_cands];
		memset(c, 0, sizeof(*c));
		memcpy(&c->addr, &t->addr, t->addr_len);
		c->addr_len = t->addr_len;
		if (t->has_password) {
			/* the engine takes the secret as a C string: a secret with a NUL
			 * octet cannot be used, so that LNS is skipped */
			if (t->password_len >= sizeof(c->secret) || memchr(t->password, 0, t->password_len)) {
				sub_log(LOG_LVL_WARN, sub, "event=tunnel_secret_unusable endpoint=%s", t->endpoint);
				continue;
			}
			memcpy(c->secret, t->password, t->password_len);
		}
		const char *client_id = t->client_auth_id[0] ? t->client_auth_id
				      : lac->cfg.l2tp_host_name[0] ? lac->cfg.l2tp_host_name : lac->cfg.host_name;
		if (sub_copy_id(c->assignment_id, sizeof(c->assignment_id), t->assignment_id) < 0 ||
		    sub_copy_id(c->client_auth_id, sizeof(c->client_auth_id), client_id) < 0 ||
		    sub_copy_id(c->server_auth_id, sizeof(c->server_auth_id), t->server_auth_id) < 0) {
			sub_log(LOG_LVL_WARN, sub, "event=tunnel_id_too_long endpoint=%s max=%zu", t->endpoint,
				sizeof(c->assignment_id) - 1);
			continue;
		}
		c->preference = t->preference;
		snprintf(sub->cand_label[sub->n_cands], sizeof(sub->cand_label[0]), "%.63s", t->endpoint);
		sub->cand_acct[sub->n_cands].tag = t->tag;
		sub->cand_acct[sub->n_cands].medium = t->medium;
		snprintf(sub->cand_acct[sub->n_cands].client_endpoint,
			 sizeof(sub->cand_acct[0].client_endpoint), "%.63s", t->client_endpoint);
		sub->n_cands++;
	}
	/* issue 11, admission point 2: per-realm and per-LNS maxima. Candidates
	 * whose LNS is full are dropped; none left, or the realm full: refused
	 * like a failed tunnel setup (PPP authentication failure, LCP Terminate). */
	{
		const char *keys[RADIUS_MAX_TUNNELS];
		bool usable[RADIUS_MAX_TUNNELS];
		for (size_t i = 0; i < sub->n_cands; i++)
			keys[i] = sub->cand_label[i];
		enum adm_cause ac = admission_ticket_tunnel(&lac->adm, &sub->adm, sub->auth.name, 0, keys,
							    sub->n_cands, 0, usable);
		if (ac != ADM_OK) {
			sub_log(LOG_LVL_WARN, sub, "event=admission_refused cause=%s", adm_cause_str(ac));
			ppp_session_auth_result(sub->ppp, false, adm_cause_text(ac), ev_now_ms(lac->loop));
			sub_ppp_arm_timer(sub);
			return SUB_LCP;
		}
		size_t k = 0;
		for (size_t i = 0; i < sub->n_cands; i++) {
			if (!usable[i])
				continue;
			if (k != i) {
				sub->cands[k] = sub->cands[i];
				memcpy(sub->cand_label[k], sub->cand_label[i], sizeof(sub->cand_label[k]));
				sub->cand_acct[k] = sub->cand_acct[i];
			}
			k++;
		}
		sub->n_cands = k;
	}
	snprintf(sub->lns, sizeof(sub->lns), "%s", sub->n_cands ? sub->cand_label[0] : "");

	struct l2tp_call_info call;
	sub_fill_call_info(sub, &call);
	sub->l2tp = l2tp_session_open(lac->l2tp, sub->cands, sub->n_cands, &call, &sub_l2tp_events, sub);
	if (!sub->l2tp) {
		sub_log(LOG_LVL_WARN, sub, "event=l2tp_open_failed");
		lac->counters.tunnel_failed++;
		ppp_session_auth_result(sub->ppp, false, "Tunnel setup failed", ev_now_ms(lac->loop));
		sub_ppp_arm_timer(sub);
		return SUB_LCP;
	}
	sub_log(LOG_LVL_INFO, sub, "event=tunnel_setup candidates=%zu first=%s", sub->n_cands, sub->lns);
	return SUB_TUNNEL_SETUP;
}

static enum sub_state act_accept_local(struct subscriber *sub, const struct sub_evarg *arg)
{
	struct lac *lac = sub->lac;
	const struct radius_reply *reply = arg->reply;
	uint64_t now = ev_now_ms(lac->loop);
	snprintf(sub->decision, sizeof(sub->decision), "local");
	sub_take_accept(sub, reply);

	if (!lac->cfg.local_enabled) {
		sub_log(LOG_LVL_WARN, sub, "event=local_refused reason=no_local_pool_configured");
		ppp_session_auth_result(sub->ppp, false, "Local access not offered here", now);
		sub_ppp_arm_timer(sub);
		return SUB_LCP;
	}
	if (reply->has_framed_ip && reply->framed_ip.s_addr != htonl(0xfffffffe) &&
	    reply->framed_ip.s_addr != htonl(0xffffffff)) {
		/* RFC 2865 5.8: 0xFFFFFFFE means "NAS should select", 0xFFFFFFFF "user selects" */
		int r = ip_pool_reserve(&lac->pool, reply->framed_ip);
		if (r < 0) {
			sub_log(LOG_LVL_WARN, sub, "event=framed_ip_in_use addr=%s", inet_ntoa(reply->framed_ip));
			ppp_session_auth_result(sub->ppp, false, "Address in use", now);
			sub_ppp_arm_timer(sub);
			return SUB_LCP;
		}
		sub->ip = reply->framed_ip;
		sub->ip_from_pool = r == 0;
	} else if (ip_pool_alloc(&lac->pool, &sub->ip) == 0) {
		sub->ip_from_pool = true;
	} else {
		sub_log(LOG_LVL_WARN, sub, "event=pool_exhausted");
		ppp_session_auth_result(sub->ppp, false, "No address available", now);
		sub_ppp_arm_timer(sub);
		return SUB_LCP;
	}
	struct in_addr dns1 = reply->n_dns > 0 ? reply->dns[0] : lac->cfg.local_dns1;
	struct in_addr dns2 = reply->n_dns > 1 ? reply->dns[1] : lac->cfg.local_dns2;
	ppp_session_set_ipcp(sub->ppp, lac->cfg.local_gateway, sub->ip, dns1, dns2);
	ppp_session_auth_result(sub->ppp, true, reply->reply_message[0] ? reply->reply_message : NULL, now);
	sub_ppp_arm_timer(sub);
	lac->counters.aaa_local++;
	return SUB_LOCAL;
}

static enum sub_state act_reject(struct subscriber *sub, const struct sub_evarg *arg)
{
	struct lac *lac = sub->lac;
	snprintf(sub->decision, sizeof(sub->decision), "reject");
	const char *msg = arg->reply && arg->reply->reply_message[0] ? arg->reply->reply_message : "Authentication failed";
	snprintf(sub->reply_message, sizeof(sub->reply_message), "%.255s", msg);
	lac->counters.aaa_reject++;
	ppp_session_auth_result(sub->ppp, false, msg, ev_now_ms(lac->loop));
	sub_ppp_arm_timer(sub);
	return SUB_LCP;
}

static enum sub_state act_aaa_fail(struct subscriber *sub, const struct sub_evarg *arg)
{
	struct lac *lac = sub->lac;
	snprintf(sub->decision, sizeof(sub->decision), "fail");
	lac->counters.aaa_fail++;
	ppp_session_auth_result(sub->ppp, false, "Authentication service unavailable", ev_now_ms(lac->loop));
	sub_ppp_arm_timer(sub);
	return SUB_LCP;
}

static enum sub_state act_relay_start(struct subscriber *sub, const struct sub_evarg *arg)
{
	struct lac *lac = sub->lac;
	struct ppp_proxy_info proxy;
	ev_timer_stop(lac->loop, &sub->ppp_timer);
	ppp_session_handoff(sub->ppp, &proxy);
	if (arg->l2tp_up)
		sub->l2tp_status = *arg->l2tp_up;
	if (sub->l2tp_status.candidate_idx < sub->n_cands)
		snprintf(sub->lns, sizeof(sub->lns), "%s", sub->cand_label[sub->l2tp_status.candidate_idx]);
	if (arg->l2tp_up && arg->l2tp_up->peer_host_name)
		snprintf(sub->lns_host_name, sizeof(sub->lns_host_name), "%s", arg->l2tp_up->peer_host_name);
	if (sub->l2tp_status.candidate_idx < sub->n_cands &&
	    !sub->cand_acct[sub->l2tp_status.candidate_idx].client_endpoint[0]) {
		unsigned i = sub->l2tp_status.candidate_idx;
		sub_local_endpoint(&sub->cands[i].addr, sub->cands[i].addr_len, sub->cand_acct[i].client_endpoint,
				   sizeof(sub->cand_acct[i].client_endpoint));
	}
	sub->l2tp_status.peer = NULL; /* only valid during the callback */
	sub->l2tp_status.peer_host_name = NULL;
	sub->up_ms = ev_now_ms(lac->loop);
	lac->counters.tunnel_up++;
	sub_log(LOG_LVL_INFO, sub, "event=relay_up lns=%s tid=%u sid=%u peer_tid=%u peer_sid=%u setup_ms=%llu",
		sub->lns, sub->l2tp_status.local_tid, sub->l2tp_status.local_sid, sub->l2tp_status.peer_tid,
		sub->l2tp_status.peer_sid, (unsigned long long)(sub->up_ms - sub->created_ms));
	sub_acct_begin(sub);
	return SUB_RELAY;
}

static enum sub_state act_tunnel_failed(struct subscriber *sub, const struct sub_evarg *arg)
{
	struct lac *lac = sub->lac;
	sub->l2tp = NULL; /* the engine frees it after `down` */
	lac->counters.tunnel_failed++;
	sub_log(LOG_LVL_WARN, sub, "event=tunnel_failed reason=%s", arg->reason ? arg->reason : "");
	ppp_session_auth_result(sub->ppp, false, "Tunnel to the home network failed", ev_now_ms(lac->loop));
	sub_ppp_arm_timer(sub);
	return SUB_LCP;
}

static enum sub_state act_relay_lns_gone(struct subscriber *sub, const struct sub_evarg *arg)
{
	sub->l2tp = NULL;
	sub_log(LOG_LVL_INFO, sub, "event=lns_disconnect reason=%s", arg->reason ? arg->reason : "");
	sub_set_cause(sub, RADIUS_TERM_LOST_SERVICE);
	sub_send_lcp_terminate(sub);
	sub_release(sub);
	return SUB_DEAD;
}

static enum sub_state act_local_up(struct subscriber *sub, const struct sub_evarg *arg)
{
	struct lac *lac = sub->lac;
	if (!sub->ip_registered) {
		sub_ip_register(sub);
		sub->up_ms = ev_now_ms(lac->loop);
		lac->counters.local_up++;
	}
	sub_log(LOG_LVL_INFO, sub, "event=local_up addr=%s setup_ms=%llu", inet_ntoa(sub->ip),
		(unsigned long long)(sub->up_ms - sub->created_ms));
	sub_acct_begin(sub);
	return SUB_LOCAL;
}

static enum sub_state act_release(struct subscriber *sub, const struct sub_evarg *arg)
{
	sub_log(LOG_LVL_INFO, sub, "event=session_end reason=%s", arg->reason ? arg->reason : "");
	/* PPP finished on its own: the subscriber's LCP Terminate, or its
	 * silence to our echo requests */
	sub_set_cause(sub, arg->reason && strstr(arg->reason, "echo") ? RADIUS_TERM_LOST_CARRIER
									: RADIUS_TERM_USER_REQUEST);
	sub_release(sub);
	return SUB_DEAD;
}

static enum sub_state act_access_closed(struct subscriber *sub, const struct sub_evarg *arg)
{
	sub->conn = NULL; /* freed by the access layer after this callback */
	sub_set_cause(sub, RADIUS_TERM_USER_REQUEST);
	if (sub->l2tp) {
		/* RFC 2661 4.4.2: CDN result 1, loss of carrier */
		l2tp_session_close(sub->l2tp, 1, 0, "subscriber hung up", 0);
		sub->l2tp = NULL;
	}
	return act_release(sub, arg);
}

static enum sub_state act_admin_relay(struct subscriber *sub, const struct sub_evarg *arg)
{
	/* RFC 2661 4.4.2: CDN result 3, administrative reasons */
	if (sub->l2tp) {
		l2tp_session_close(sub->l2tp, 3, 0, arg->reason, 0);
		sub->l2tp = NULL;
	}
	sub_send_lcp_terminate(sub);
	sub->lac->counters.admin_disconnects++;
	return act_release(sub, arg);
}

static enum sub_state act_admin_ppp(struct subscriber *sub, const struct sub_evarg *arg)
{
	sub->lac->counters.admin_disconnects++;
	if (sub->aaa) {
		radius_request_cancel(sub->aaa);
		sub->aaa = NULL;
	}
	if (sub->l2tp) {
		l2tp_session_close(sub->l2tp, 3, 0, arg->reason, 0);
		sub->l2tp = NULL;
	}
	ppp_session_close(sub->ppp, arg->reason, ev_now_ms(sub->lac->loop));
	sub_ppp_arm_timer(sub);
	return SUB_CLOSING;
}

static enum sub_state act_ignore(struct subscriber *sub, const struct sub_evarg *arg)
{
	return sub->state;
}

/* ---- the table ---- */

struct sub_transition {
	enum sub_state state;
	enum sub_event event;
	sub_action action;
};

/* Every (state, event) pair not listed is logged as unexpected and ignored;
 * the actions decide the next state (a table of fixed next states could not
 * express "local termination refused: back to LCP"). */
static const struct sub_transition sub_table[] = {
	{ SUB_LCP, SUB_EV_AUTH_REQUEST, act_start_aaa },
	{ SUB_LCP, SUB_EV_PPP_DOWN, act_release },
	{ SUB_LCP, SUB_EV_ACCESS_CLOSED, act_access_closed },
	{ SUB_LCP, SUB_EV_ADMIN_DISCONNECT, act_admin_ppp },

	{ SUB_AAA, SUB_EV_AAA_TUNNEL, act_start_tunnel },
	{ SUB_AAA, SUB_EV_AAA_LOCAL, act_accept_local },
	{ SUB_AAA, SUB_EV_AAA_REJECT, act_reject },
	{ SUB_AAA, SUB_EV_AAA_FAIL, act_aaa_fail },
	{ SUB_AAA, SUB_EV_AUTH_REQUEST, act_ignore },  /* retransmitted CHAP Response */
	{ SUB_AAA, SUB_EV_PPP_DOWN, act_release },
	{ SUB_AAA, SUB_EV_ACCESS_CLOSED, act_access_closed },
	{ SUB_AAA, SUB_EV_ADMIN_DISCONNECT, act_admin_ppp },

	{ SUB_TUNNEL_SETUP, SUB_EV_L2TP_UP, act_relay_start },
	{ SUB_TUNNEL_SETUP, SUB_EV_L2TP_DOWN, act_tunnel_failed },
	{ SUB_TUNNEL_SETUP, SUB_EV_AUTH_REQUEST, act_ignore },
	{ SUB_TUNNEL_SETUP, SUB_EV_PPP_DOWN, act_release },
	{ SUB_TUNNEL_SETUP, SUB_EV_ACCESS_CLOSED, act_access_closed },
	{ SUB_TUNNEL_SETUP, SUB_EV_ADMIN_DISCONNECT, act_admin_ppp },

	{ SUB_RELAY, SUB_EV_L2TP_DOWN, act_relay_lns_gone },
	{ SUB_RELAY, SUB_EV_ACCESS_CLOSED, act_access_closed },
	{ SUB_RELAY, SUB_EV_ADMIN_DISCONNECT, act_admin_relay },

	{ SUB_LOCAL, SUB_EV_PPP_UP, act_local_up },
	{ SUB_LOCAL, SUB_EV_PPP_DOWN, act_release },
	{ SUB_LOCAL, SUB_EV_ACCESS_CLOSED, act_access_closed },
	{ SUB_LOCAL, SUB_EV_ADMIN_DISCONNECT, act_admin_ppp },
	{ SUB_LOCAL, SUB_EV_AUTH_REQUEST, act_ignore },

	{ SUB_CLOSING, SUB_EV_PPP_DOWN, act_release },
	{ SUB_CLOSING, SUB_EV_ACCESS_CLOSED, act_access_closed },
	{ SUB_CLOSING, SUB_EV_ADMIN_DISCONNECT, act_ignore },
	{ SUB_CLOSING, SUB_EV_AAA_TUNNEL, act_ignore },
	{ SUB_CLOSING, SUB_EV_L2TP_DOWN, act_ignore },
};

static void sub_dispatch(struct subscriber *sub, enum sub_event ev, const struct sub_evarg *arg)
{
	static const struct sub_evarg no_arg;
	if (!arg)
		arg = &no_arg;
	for (size_t i = 0; i < sizeof(sub_table) / sizeof(sub_table[0]); i++) {
		if (sub_table[i].state != sub->state || sub_table[i].event != ev)
			continue;
		enum sub_state from = sub->state;
		enum sub_state to = sub_table[i].action(sub, arg);
		sub->state = to;
		if (from != to)
			log_debug("sub=%u event=%s transition=%s->%s", sub->id, sub_event_str(ev),
				  sub_state_str(from), sub_state_str(to));
		return;
	}
	sub->lac->counters.unexpected_events++;
	if (sub->state != SUB_DEAD)
		sub_log(LOG_LVL_INFO, sub, "event=%s not expected in this state: ignored", sub_event_str(ev));
}

/* ---- callbacks from PPP ---- */

static void sub_ppp_tx(void *owner, const uint8_t *raw, size_t len)
{
	struct subscriber *sub = owner;
	if (sub->conn)
		access_conn_send(sub->conn, raw, len);
}

static void sub_ppp_auth_request(void *owner, const struct ppp_auth_request *req)
{
	struct subscriber *sub = owner;
	sub->auth = *req;
	sub_dispatch(sub, SUB_EV_AUTH_REQUEST, NULL);
}

static void sub_ppp_up(void *owner, const struct ppp_ip_info *ip)
{
	struct sub_evarg arg = { .ip = ip };
	sub_dispatch(owner, SUB_EV_PPP_UP, &arg);
}

static void sub_ppp_down(void *owner, const char *reason)
{
	struct sub_evarg arg = { .reason = reason };
	sub_dispatch(owner, SUB_EV_PPP_DOWN, &arg);
}

static void sub_ppp_ip_rx(void *owner, const uint8_t *pkt, size_t len)
{
	struct subscriber *sub = owner;
	struct lac *lac = sub->lac;
	if (lac->tun_fd < 0 || len < 20)
		return;
	/* RFC 2827-style source check: a subscriber may only send as itself. */
	if (memcmp(pkt + 12, &sub->ip.s_addr, 4) != 0)
		return;
	sub_count_in(sub, len, PPP_PROTO_IP);
	if (write(lac->tun_fd, pkt, len) < 0)
		lac->counters.tun_tx_dropped++;
	else
		lac->counters.tun_tx++;
}

static const struct ppp_callbacks sub_ppp_callbacks = {
	.tx = sub_ppp_tx,
	.auth_request = sub_ppp_auth_request,
	.up = sub_ppp_up,
	.down = sub_ppp_down,
	.ip_rx = sub_ppp_ip_rx,
};

static void sub_ppp_timer(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	struct subscriber *sub = arg;
	if (!sub->ppp)
		return;
	ppp_session_timeout(sub->ppp, ev_now_ms(loop));
	sub_ppp_arm_timer(sub);
}

/* ---- callbacks from RADIUS ---- */

static void sub_aaa_done(void *arg, const struct radius_auth_result *res)
{
	struct subscriber *sub = arg;
	sub->aaa = NULL; /* the client frees the request after this callback */
	struct sub_evarg ev = { .reply = res->reply };
	switch (res->status) {
	case RADIUS_STATUS_ACCEPT:
		if (res->reply->n_tunnels > 0) {
			sub->lac->counters.aaa_tunnel++;
			sub_dispatch(sub, SUB_EV_AAA_TUNNEL, &ev);
		} else if (res->reply->n_dropped > 0) {
			/* tunnel attributes were sent but none was usable: do not
			 * silently terminate a VPDN user locally */
			sub_log(LOG_LVL_WARN, sub, "event=aaa_unusable_tunnels dropped=%zu reason=%s",
				res->reply->n_dropped, res->reply->dropped[0].reason);
			sub_dispatch(sub, SUB_EV_AAA_FAIL, &ev);
		} else {
			sub_dispatch(sub, SUB_EV_AAA_LOCAL, &ev);
		}
		break;
	case RADIUS_STATUS_REJECT:
		sub_dispatch(sub, SUB_EV_AAA_REJECT, &ev);
		break;
	default:
		sub_log(LOG_LVL_WARN, sub, "event=aaa_failed status=%s detail=%s", radius_status_str(res->status),
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
	sub->lac->counters.tunnel_failover++;
	if (to_idx < sub->n_cands) {
		snprintf(sub->lns, sizeof(sub->lns), "%s", sub->cand_label[to_idx]);
		admission_ticket_move(&sub->lac->adm, &sub->adm, sub->cand_label[to_idx]);      /* issue 11 */
	}
	sub_log(LOG_LVL_INFO, sub, "event=lns_failover from=%s to=%s reason=%s",
		from_idx < sub->n_cands ? sub->cand_label[from_idx] : "?",
		to_idx < sub->n_cands ? sub->cand_label[to_idx] : "?", reason ? reason : "");
}

static void sub_l2tp_down(void *owner, const struct l2tp_disconnect *why)
{
	struct subscriber *sub = owner;
	char reason[160];
	snprintf(reason, sizeof(reason), "result=%u error=%u msg=%s", why->result, why->error,
		 why->message[0] ? why->message : "-");
	struct sub_evarg arg = { .reason = reason };
	sub_dispatch(sub, SUB_EV_L2TP_DOWN, &arg);
}

static void sub_l2tp_ppp_rx(void *owner, const uint8_t *frame, size_t len)
{
	struct subscriber *sub = owner;
	if (sub->state == SUB_TUNNEL_SETUP)
		sub_dispatch(sub, SUB_EV_L2TP_UP, NULL); /* the LNS is already talking */
	if (sub->state != SUB_RELAY || !sub->conn)
		return;
	sub->lac->counters.relay_frames_down++;
	sub->out_octets += len;
	sub->out_packets++;
	if (sub->conn->info.kind == ACCESS_KIND_PPPOE && len >= 2 && frame[0] == PPP_ADDRESS &&
	    frame[1] == PPP_CONTROL) {
		/* RFC 2516 7: PPPoE carries no address/control field */
		frame += 2;
		len -= 2;
	}
	access_conn_send(sub->conn, frame, len);
}

/* ---- callbacks from the access interface ---- */

static void sub_access_frame(void *owner, const uint8_t *frame, size_t len)
{
	struct subscriber *sub = owner;
	if (sub->state == SUB_RELAY) {
		if (!sub->l2tp)
			return;
		sub->lac->counters.relay_frames_up++;
		{
			/* the protocol field, after the address/control field if present
			 * (RFC 1662 3.1) */
			size_t o = len >= 2 && frame[0] == PPP_ADDRESS && frame[1] == PPP_CONTROL ? 2 : 0;
			uint16_t proto = len >= o + 2 ? (uint16_t)(frame[o] << 8 | frame[o + 1]) : 0;
			sub_count_in(sub, len, proto);
		}
		if (len >= 2 && frame[0] == PPP_ADDRESS && frame[1] == PPP_CONTROL) {
			l2tp_session_send_ppp(sub->l2tp, frame, len);
			return;
		}
		/* L2TP carries the HDLC address/control field (RFC 2661 5.4 shows
		 * the PPP frame as on an HDLC link); a receiver that allowed ACFC
		 * accepts it either way, so add it when the medium lacked it. */
		uint8_t buf[PPP_FRAME_MAX + 2];
		if (len + 2 > sizeof(buf))
			return;
		buf[0] = PPP_ADDRESS;
		buf[1] = PPP_CONTROL;
		memcpy(buf + 2, frame, len);
		l2tp_session_send_ppp(sub->l2tp, buf, len + 2);
		return;
	}
	if (sub->ppp) {
		ppp_session_input(sub->ppp, frame, len, ev_now_ms(sub->lac->loop));
		sub_ppp_arm_timer(sub);
	}
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

/* ---- life cycle ---- */

static void sub_reap(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	struct subscriber *sub = arg;
	struct lac *lac = sub->lac;
	if (sub->prev)
		sub->prev->next = sub->next;
	else
		lac->subscribers = sub->next;
	if (sub->next)
		sub->next->prev = sub->prev;
	lac->n_subscribers--;
	lac->counters.sessions_destroyed++;
	free(sub);
}

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
	struct subscriber *sub = calloc(1, sizeof(*sub));
	if (!sub) {
		admission_ticket_release(&lac->adm, &adm);
		access_conn_close(conn, "out of memory");
		return;
	}
	sub->adm = adm;                 /* issue 11: released in sub_release() */
	sub->lac = lac;
	sub->id = ++lac->next_id;
	sub->state = SUB_LCP;
	sub->conn = conn;
	sub->created_ms = ev_now_ms(lac->loop);
	snprintf(sub->auth.name, sizeof(sub->auth.name), "-");
	uint32_t rnd = 0;
	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
		rnd = (uint32_t)sub->created_ms;
	/* RFC 2866 5.5: unique per NAS; time-independent part from random bits */
	snprintf(sub->acct_session_id, sizeof(sub->acct_session_id), "%08X%08X", rnd, sub->id);
	ev_timer_init(&sub->ppp_timer, sub_ppp_timer, sub);
	ev_timer_init(&sub->reap_timer, sub_reap, sub);
	ev_timer_init(&sub->interim_timer, sub_interim, sub);
	ev_timer_init(&sub->session_timer, sub_session_timeout, sub);
	ev_timer_init(&sub->idle_timer, sub_idle_check, sub);
	sub->info = conn->info;

	struct ppp_config pc;
	sub_ppp_config(lac, &conn->info, sub->id, &pc);
	sub->ppp = ppp_session_create(&pc, PPP_ROLE_AUTHENTICATOR, &sub_ppp_callbacks, sub);
	if (!sub->ppp) {
		admission_ticket_release(&lac->adm, &sub->adm);
		access_conn_close(conn, "out of memory");
		free(sub);
		return;
	}
	access_conn_attach(conn, &sub_access_handlers, sub);
	sub->next = lac->subscribers;
	if (lac->subscribers)
		lac->subscribers->prev = sub;
	lac->subscribers = sub;
	lac->n_subscribers++;
	lac->counters.sessions_created++;
	log_info("sub=%u event=conn_new access=%s port_id=%s calling=%s", sub->id,
		 conn->info.kind == ACCESS_KIND_PPPOE ? "pppoe" : "stream", conn->info.nas_port_id,
		 conn->info.calling_station_id);
	ppp_session_lower_up(sub->ppp, sub->created_ms);
	sub_ppp_arm_timer(sub);
}

void subscriber_disconnect(struct subscriber *sub, const char *reason, enum radius_term_cause cause)
{
	struct sub_evarg arg = { .reason = reason };
	sub_set_cause(sub, cause);
	sub_dispatch(sub, SUB_EV_ADMIN_DISCONNECT, &arg);
}

void subscriber_tun_input(struct lac *lac, const uint8_t *pkt, size_t len)
{
	if (len < 20 || (pkt[0] >> 4) != 4)
		return;
	struct in_addr dst;
	memcpy(&dst.s_addr, pkt + 16, 4);
	for (struct subscriber *sub = lac->by_ip[lac_ip_hash(dst)]; sub; sub = sub->ip_next) {
		if (sub->ip.s_addr == dst.s_addr && sub->ppp) {
			lac->counters.tun_rx++;
			sub->out_octets += len;
			sub->out_packets++;
			ppp_session_send_ip(sub->ppp, pkt, len);
			return;
		}
	}
	lac->counters.tun_no_session++;
}

struct subscriber *subscriber_find(struct lac *lac, uint32_t id)
{
	for (struct subscriber *sub = lac->subscribers; sub; sub = sub->next)
		if (sub->id == id && sub->state != SUB_DEAD)
			return sub;
	return NULL;
}

void subscriber_show_all(struct lac *lac, struct strbuf *out)
{
	uint64_t now = ev_now_ms(lac->loop);
	for (struct subscriber *sub = lac->subscribers; sub; sub = sub->next) {
		if (sub->state == SUB_DEAD)
			continue;
		strbuf_printf(out, "id=%u user=%s state=%s decision=%s access=%s port_id=%s calling=%s",
			      sub->id, sub->auth.name, sub_state_str(sub->state),
			      sub->decision[0] ? sub->decision : "-",
			      sub->conn ? (sub->conn->info.kind == ACCESS_KIND_PPPOE ? "pppoe" : "stream") : "-",
			      sub->conn ? sub->conn->info.nas_port_id : "-",
			      sub->conn ? sub->conn->info.calling_station_id : "-");
		if (sub->state == SUB_RELAY || sub->state == SUB_TUNNEL_SETUP)
			strbuf_printf(out, " lns=%s tid=%u sid=%u peer_tid=%u peer_sid=%u", sub->lns[0] ? sub->lns : "-",
				      sub->l2tp_status.local_tid, sub->l2tp_status.local_sid,
				      sub->l2tp_status.peer_tid, sub->l2tp_status.peer_sid);
		if (sub->ip_registered)
			strbuf_printf(out, " addr=%s", inet_ntoa(sub->ip));
		strbuf_printf(out, " in_octets=%llu out_octets=%llu in_packets=%u out_packets=%u",
			      (unsigned long long)sub->in_octets, (unsigned long long)sub->out_octets,
			      sub->in_packets, sub->out_packets);
		if (sub->session_timeout_s)
			strbuf_printf(out, " session_timeout_s=%u", sub->session_timeout_s);
		strbuf_printf(out, " acct_session_id=%s setup_ms=%lld uptime_s=%llu\n", sub->acct_session_id,
			      sub->up_ms ? (long long)(sub->up_ms - sub->created_ms) : -1LL,
			      sub->up_ms ? (unsigned long long)((now - sub->up_ms) / 1000) : 0ULL);
	}
}

/* RFC 5176: applies a verified Disconnect- or CoA-Request to every session it
 * names (RFC 5176 3: all identification attributes given must match; a
 * User-Name alone may name several sessions, and all of them are acted on).
 * CoA Session-Timeout counts from now, Idle-Timeout from the last data frame;
 * 0 removes either limit. */
enum dae_error_cause subscriber_dae_request(struct lac *lac, const struct dae_request *req, const char *client)
{
	size_t matched = 0;
	for (struct subscriber *sub = lac->subscribers; sub; sub = sub->next) {
		if (sub->state == SUB_DEAD || sub->state == SUB_CLOSING)
			continue;
		struct dae_session_ids ids = {
			.user_name = sub->auth.name,
			.acct_session_id = sub->acct_session_id,
			.has_framed_ip = sub->ip.s_addr != 0,
			.framed_ip = sub->ip,
			.nas_port = sub->info.nas_port,
			.nas_port_id = sub->info.nas_port_id,
			.calling_station_id = sub->info.calling_station_id,
			.called_station_id = sub->info.called_station_id,
		};
		if (!dae_session_matches(req, &ids))
			continue;
		matched++;
		if (req->code == RADIUS_CODE_DISCONNECT_REQUEST) {
			sub_log(LOG_LVL_INFO, sub, "event=dae_disconnect client=%s", client);
			lac->counters.dae_disconnects++;
			subscriber_disconnect(sub, "dynamic authorization disconnect", RADIUS_TERM_ADMIN_RESET);
		} else {
			lac->counters.coa_applied++;
			if (req->has_session_timeout) {
				sub_log(LOG_LVL_INFO, sub, "event=coa client=%s session_timeout_s=%u", client,
					req->session_timeout);
				sub->session_timeout_s = req->session_timeout;
				if (sub->acct_started)
					sub_arm_session_timer(sub, req->session_timeout);
			}
			if (req->has_idle_timeout) {
				sub_log(LOG_LVL_INFO, sub, "event=coa client=%s idle_timeout_s=%u", client,
					req->idle_timeout);
				sub->idle_timeout_s = req->idle_timeout;
				if (sub->acct_started && sub->idle_timeout_s)
					sub_idle_check(lac->loop, &sub->idle_timer, sub);
				else
					ev_timer_stop(lac->loop, &sub->idle_timer);
			}
		}
	}
	return matched ? DAE_ERR_NONE : DAE_ERR_SESSION_NOT_FOUND;
}
