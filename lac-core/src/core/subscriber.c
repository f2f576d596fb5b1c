/* Subscriber sessions: the RFC 2809 call flow as a pure state table.
 *
 *   access conn -> PPP (LCP, CHAP/PAP challenge) -> RADIUS Access-Request
 *     Accept + tunnel groups -> L2TP session to the LNS (proxy LCP/auth) -> relay
 *     Accept, no tunnel      -> CHAP/PAP Success, IPCP, IP on the TUN device
 *     Reject / no answer     -> CHAP/PAP Failure with the Reply-Message
 *
 * PPP keeps running while the tunnel is set up, so that if every LNS fails the
 * subscriber still gets a proper CHAP/PAP Failure. It is handed off (frozen)
 * once the L2TP session is up, or as soon as the LNS sends data (before our
 * ICCN is acknowledged: then the engine is asked for the session's ids); from
 * then on frames are relayed verbatim and the LNS renegotiates LCP and
 * authenticates end to end.
 *
 * Shape (like l2tp/tunnel.c and ppp/fsm.c): rows {state, event, action,
 * next}, where next is a fixed state or SUB_NEXT_SET_BY_ACTION for the rows
 * whose action chooses (an action that can fail goes back to LCP). One
 * dispatcher looks the row up, runs it, logs the transition by name at debug
 * and gives every pair without a row one defined outcome: counted in
 * unexpected_events, logged at debug, state unchanged. DEAD has a row for
 * every event (ignore), so it is never left. Nothing here touches a socket,
 * the clock or another layer: all of it goes through lac->sub_ops (see
 * subscriber_priv.h for the re-entrancy and lifetime contract).
 *
 * Logs: one line per session at info (event=session_end, with the identity,
 * the decision, where it went and why it ended); every other event at debug;
 * our own failures at warning. Peer-supplied values are escaped. */
#include "core/subscriber.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aaa/dae_codec.h"
#include "core/metrics.h" /* install: setup-time histogram */
#include "aaa/radius_acct.h"
#include "aaa/radius_client.h"
#include "core/subscriber_priv.h"
#include "core/admission.h"         /* issue 11: call admission control */
#include "core/line_fwd.h"          /* issue 11: access-line forwarding */
#include "l2tp/l2tp.h"
#include "l2tp/proto.h"
#include "ppp/ppp.h"
#include "util/escape.h"
#include "util/log.h"
#include "util/random.h"

#define SUB_NEXT_SET_BY_ACTION SUB_N_STATES     /* the action calls sub_next() */
#define SUB_EV_ANY SUB_N_EVENTS                 /* wildcard row (DEAD only) */

/* LCP codes snooped on the relay (RFC 1661 5.5) */
#define LCP_TERMREQ 5
#define LCP_TERMACK 6

static const char *const sub_state_names[SUB_N_STATES] = {
	"lcp", "aaa", "tunnel_setup", "relay", "local", "closing", "dead",
};
static const char *const sub_event_names[SUB_N_EVENTS] = {
	"auth_request", "aaa_tunnel", "aaa_local", "aaa_reject", "aaa_fail", "l2tp_up",
	"l2tp_down", "l2tp_frame", "ppp_up", "ppp_down", "ppp_ip", "access_frame",
	"access_closed", "admin_disconnect", "tun_packet", "interim", "session_timeout",
	"idle_check", "l2tp_reject",
};

const char *sub_state_str(enum sub_state s)
{
	return (unsigned)s < SUB_N_STATES ? sub_state_names[s] : "?";
}

const char *sub_event_str(enum sub_event e)
{
	return (unsigned)e < SUB_N_EVENTS ? sub_event_names[e] : "?";
}

/* The user name escaped for a log line or a lacctl row (util/escape.h),
 * made when needed: most sessions never log but their session_end line. */
static const char *sub_user_log(const struct subscriber *sub, char *buf, size_t cap)
{
	return sub->user_len ? escape_bytes(buf, cap, sub->user, sub->user_len) : sub->user;
}

#define sub_log(level, sub, fmt, ...) \
	do { \
		char ulog_[ESCAPE_FIELD_MAX]; \
		log_msg(level, "sub=%u user=%s state=%s " fmt, (sub)->id, \
			sub_user_log((sub), ulog_, sizeof(ulog_)), sub_state_str((sub)->state), \
			##__VA_ARGS__); \
	} while (0)
#define sub_debug(sub, fmt, ...) \
	do { \
		if (log_get_level() <= LOG_LVL_DEBUG) \
			sub_log(LOG_LVL_DEBUG, sub, fmt, ##__VA_ARGS__); \
	} while (0)

static const struct sub_ops *sub_ops(const struct subscriber *sub)
{
	return sub->lac->sub_ops ? sub->lac->sub_ops : &sub_io_ops;
}

static uint64_t sub_now(const struct subscriber *sub)
{
	return sub_ops(sub)->now_ms(sub->lac);
}

static void sub_next(struct subscriber *sub, enum sub_state st)
{
	sub->next_state = st;
}

/* ---- helpers ---- */

static uint32_t lac_ip_hash32(struct in_addr ip)
{
	/* the low bits of an odd multiple: consecutive addresses of a pool
	 * fall in distinct buckets */
	return ntohl(ip.s_addr) * 2654435761u;
}

static struct subscriber **lac_ip_bucket(struct lac *lac, struct in_addr ip)
{
	return &lac->by_ip[lac_ip_hash32(ip) & lac->ip_mask];
}

int lac_ip_table_init(struct lac *lac, uint32_t expected)
{
	/* a bucket per pool address up to 2^20 (8 MiB, of which only the pages
	 * of used buckets become resident); beyond that, growth */
	uint32_t n = LAC_IP_MIN_BUCKETS;
	while (n < expected && n < (UINT32_C(1) << 20))
		n *= 2;
	lac->by_ip = calloc(n, sizeof(*lac->by_ip));
	if (!lac->by_ip)
		return -1;
	lac->ip_mask = n - 1;
	lac->n_ip = 0;
	return 0;
}

/* Doubles the table (rehashing every entry) when it holds more sessions
 * than buckets, e.g. Framed-IP-Addresses beyond the local pool; on
 * allocation failure the chains just grow longer. */
static void lac_ip_grow(struct lac *lac)
{
	uint32_t old_n = lac->ip_mask + 1;
	uint32_t n = old_n * 2;
	if (n < old_n)
		return;
	struct subscriber **t = calloc(n, sizeof(*t));
	if (!t)
		return;
	for (uint32_t i = 0; i < old_n; i++) {
		struct subscriber *sub = lac->by_ip[i];
		while (sub) {
			struct subscriber *next = sub->ip_next;
			struct subscriber **b = &t[lac_ip_hash32(sub->ip) & (n - 1)];
			sub->ip_next = *b;
			*b = sub;
			sub = next;
		}
	}
	free(lac->by_ip);
	lac->by_ip = t;
	lac->ip_mask = n - 1;
}

void lac_ip_table_free(struct lac *lac)
{
	free(lac->by_ip);
	lac->by_ip = NULL;
	lac->ip_mask = 0;
}

static void sub_ip_register(struct subscriber *sub)
{
	struct lac *lac = sub->lac;
	if (lac->n_ip > lac->ip_mask)
		lac_ip_grow(lac);
	struct subscriber **b = lac_ip_bucket(lac, sub->ip);
	sub->ip_next = *b;
	*b = sub;
	lac->n_ip++;
	sub->ip_registered = true;
}

static void sub_ip_unregister(struct subscriber *sub)
{
	if (!sub->ip_registered)
		return;
	struct subscriber **pp = lac_ip_bucket(sub->lac, sub->ip);
	while (*pp && *pp != sub)
		pp = &(*pp)->ip_next;
	if (*pp) {
		*pp = sub->ip_next;
		sub->lac->n_ip--;
	}
	sub->ip_registered = false;
}

static bool sub_medium_has_addr_ctl(const struct subscriber *sub)
{
	return sub->info.kind != ACCESS_KIND_PPPOE;
}

/* Sends one LCP packet straight to the subscriber, for when PPP has been
 * handed off (relay) and the LNS side is gone (RFC 1661 5.5). */
static void sub_send_lcp(struct subscriber *sub, uint8_t code, uint8_t id)
{
	if (!sub->conn)
		return;
	const uint8_t pkt[] = { code, id, 0x00, 0x04 };
	uint8_t frame[16];
	ssize_t n = ppp_frame_build(frame, sizeof(frame), sub_medium_has_addr_ctl(sub), PPP_PROTO_LCP, pkt,
				    sizeof(pkt));
	if (n > 0)
		sub_ops(sub)->access_send(sub, frame, (size_t)n);
}

/* The LCP code and identifier of a raw frame, if it is an LCP packet. */
static bool sub_frame_lcp(const uint8_t *frame, size_t len, uint8_t *code, uint8_t *id)
{
	uint16_t proto;
	const uint8_t *info;
	size_t info_len;
	if (ppp_frame_parse(frame, len, &proto, &info, &info_len) < 0 || proto != PPP_PROTO_LCP ||
	    info_len < 4)
		return false;
	*code = info[0];
	*id = info[1];
	return true;
}

static void sub_set_cause(struct subscriber *sub, enum radius_term_cause cause)
{
	if (!sub->term_cause)
		sub->term_cause = cause;
}

static void sub_timer_arm_in(struct subscriber *sub, enum sub_timer t, uint64_t delay_ms)
{
	sub_ops(sub)->timer_set(sub, t, sub_now(sub) + delay_ms);
}

static void sub_timer_stop(struct subscriber *sub, enum sub_timer t)
{
	sub_ops(sub)->timer_set(sub, t, 0);
}

/* ---- accounting (RFC 2866, RFC 2867 for tunnelled sessions) ---- */

/* Keeps what the Access-Accept says about accounting and session limits. */
static void sub_take_accept(struct subscriber *sub, const struct radius_reply *reply)
{
	const struct lac_config *cfg = &sub->lac->cfg;
	sub->identity_pinned = true;
	sub->session_timeout_s = reply->has_session_timeout ? reply->session_timeout : 0;
	sub->idle_timeout_s = reply->has_idle_timeout ? reply->idle_timeout : 0;
	sub->line_info_forwarding = reply->line_info_forwarding;
	/* RFC 2869 5.16: the server's interval, never below 60 s (to spare the
	 * servers); without one (or 0), the operator's default, taken as is */
	if (reply->has_acct_interim_interval && reply->acct_interim_interval)
		sub->interim_s = reply->acct_interim_interval < 60 ? 60 : reply->acct_interim_interval;
	else
		sub->interim_s = cfg->radius_acct_interim_interval_s;
	sub->n_class = reply->n_class < RADIUS_MAX_CLASS ? reply->n_class : RADIUS_MAX_CLASS;
	/* scale: Class storage sized to the reply */
	free(sub->class_val);
	sub->class_val = sub->n_class ? malloc(sub->n_class * sizeof(*sub->class_val)) : NULL;
	if (!sub->class_val)
		sub->n_class = 0;
	for (size_t i = 0; i < sub->n_class; i++) {
		memcpy(sub->class_val[i], reply->class_val[i], reply->class_len[i]);
		sub->class_len[i] = reply->class_len[i];
	}
}

/* Fills *p with what every Accounting-Request of sub carries: the identity
 * pinned when RADIUS answered, the NAS block, every Class of the Accept.
 * Pointers into sub and its lac. */
static void sub_acct_identity(struct subscriber *sub, uint32_t status, struct radius_acct_params *p)
{
	struct lac *lac = sub->lac;
	const struct access_conn_info *info = &sub->info;
	*p = (struct radius_acct_params){
		.status_type = status,
		.user_name = sub->user,
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
	line_fwd_radius(&lac->cfg, info, &p->extra);    /* issue 11: RFC 4679 attributes */
	for (size_t i = 0; i < p->n_class; i++) {
		p->class_val[i] = sub->class_val[i];
		p->class_len[i] = sub->class_len[i];
	}
}

/* Fills *tun with the RFC 2867 tunnel attributes of candidate idx (< n_cands):
 * Acct-Tunnel-Connection = the L2TP Call Serial Number `serial` (written to
 * connection), the LNS's Host Name when it sent one. */
static void sub_acct_tunnel(struct subscriber *sub, unsigned idx, uint32_t serial, const char *lns_host,
			    struct radius_acct_tunnel *tun, char connection[16])
{
	struct lac *lac = sub->lac;
	const struct l2tp_candidate *c = &sub->cands[idx];
	snprintf(connection, 16, "%u", serial);
	memset(tun, 0, sizeof(*tun));
	tun->tag = sub->cand_acct[idx].tag;
	tun->type = RADIUS_TUNNEL_TYPE_L2TP;
	tun->medium = sub->cand_acct[idx].medium;
	tun->client_endpoint = sub->cand_acct[idx].client_endpoint[0] ? sub->cand_acct[idx].client_endpoint
			     : lac->cfg.n_l2tp_bind ? lac->cfg.l2tp_bind[0] : NULL;
	tun->server_endpoint = sub->cand_label[idx];
	tun->assignment_id = c->assignment_id;
	tun->client_auth_id = c->client_auth_id;
	tun->server_auth_id = lns_host && lns_host[0] ? lns_host : c->server_auth_id;
	tun->connection = connection;
}

/* Queues one Accounting-Request describing sub: its identity, counters for
 * Interim-Update and Stop, and for a tunnelled session the RFC 2867 tunnel
 * attributes of the candidate that carries it, with Acct-Tunnel-Connection =
 * the L2TP Call Serial Number (RFC 2867 4.1). */
static void sub_acct_send(struct subscriber *sub, uint32_t status)
{
	uint64_t now = sub_now(sub);
	struct radius_acct_params p;
	sub_acct_identity(sub, status, &p);
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
	if (strcmp(sub->decision, "tunnel") == 0 && sub->l2tp_status_known && idx < sub->n_cands) {
		sub_acct_tunnel(sub, idx, sub->l2tp_status.call_serial, sub->lns_host_name, &tun, connection);
		p.tunnel = &tun;
	}
	if (sub_ops(sub)->acct_send(sub, &p) < 0)
		sub_log(LOG_LVL_WARN, sub, "event=acct_not_queued status=%u errno=%d", status, errno);
	else
		sub_debug(sub, "event=acct_%s acct_session_id=%s%s%s",
			  status == RADIUS_ACCT_STATUS_START ? "start"
			  : status == RADIUS_ACCT_STATUS_STOP ? "stop" : "interim",
			  sub->acct_session_id, status == RADIUS_ACCT_STATUS_STOP ? " cause=" : "",
			  status == RADIUS_ACCT_STATUS_STOP ? radius_term_cause_str(p.terminate_cause) : "");
}

/* Counts one frame from the subscriber; `proto` is its PPP protocol. */
static void sub_count_in(struct subscriber *sub, size_t len, uint16_t proto)
{
	sub->in_octets += len;
	sub->in_packets++;
	if (proto != PPP_PROTO_LCP)
		sub->last_data_ms = sub_now(sub);
}

/* Arms the Session-Timeout timer `secs` from now (0 = no limit). */
static void sub_arm_session_timer(struct subscriber *sub, uint32_t secs)
{
	if (secs)
		sub_timer_arm_in(sub, SUB_TIMER_SESSION, (uint64_t)secs * 1000);
	else
		sub_timer_stop(sub, SUB_TIMER_SESSION);
}

/* The session is up (relay or IPCP): Start, interim updates, session limit. */
static void sub_acct_begin(struct subscriber *sub)
{
	if (sub->acct_started)
		return;
	sub->acct_started = true;
	sub_acct_send(sub, RADIUS_ACCT_STATUS_START);
	if (sub->interim_s)
		sub_timer_arm_in(sub, SUB_TIMER_INTERIM, (uint64_t)sub->interim_s * 1000);
	sub_arm_session_timer(sub, sub->session_timeout_s);
	sub->last_data_ms = sub_now(sub);
	if (sub->idle_timeout_s)
		sub_timer_arm_in(sub, SUB_TIMER_IDLE, (uint64_t)sub->idle_timeout_s * 1000);
}

static void sub_acct_stop(struct subscriber *sub)
{
	if (!sub->acct_started || sub->acct_stopped)
		return;
	sub->acct_stopped = true;
	sub_acct_send(sub, RADIUS_ACCT_STATUS_STOP);
}

/* The one info line of a session. */
static void sub_log_end(struct subscriber *sub, const char *reason)
{
	char why[ESCAPE_FIELD_MAX], lns[ESCAPE_FIELD_MAX], ulog[ESCAPE_FIELD_MAX];
	uint64_t now = sub_now(sub);
	escape_str(why, sizeof(why), reason ? reason : "");
	escape_str(lns, sizeof(lns), sub->lns[0] ? sub->lns : "-");
	log_info("sub=%u event=session_end user=%s decision=%s access=%s calling=%s lns=%s tid=%u sid=%u "
		 "peer_tid=%u peer_sid=%u addr=%s setup_ms=%lld duration_s=%llu acct=%s cause=%s reason=%s",
		 sub->id, sub_user_log(sub, ulog, sizeof(ulog)), sub->decision[0] ? sub->decision : "-",
		 sub->info.kind == ACCESS_KIND_PPPOE ? "pppoe" : "stream", sub->info.calling_station_id, lns,
		 sub->l2tp_status.local_tid, sub->l2tp_status.local_sid, sub->l2tp_status.peer_tid,
		 sub->l2tp_status.peer_sid, sub->ip.s_addr ? inet_ntoa(sub->ip) : "-",
		 sub->up_ms ? (long long)(sub->up_ms - sub->created_ms) : -1LL,
		 sub->up_ms ? (unsigned long long)((now - sub->up_ms) / 1000) : 0ULL,
		 sub->acct_started ? "stop" : "none",
		 radius_term_cause_str(sub->term_cause ? sub->term_cause : RADIUS_TERM_NAS_REQUEST), why);
}

/* Detaches the session from everything that could call back into it and
 * schedules the free (reap timer, from the loop). Frees nothing: PPP or the
 * access layer may be on the stack. Idempotent. */
static void sub_release(struct subscriber *sub, const char *reason)
{
	const struct sub_ops *ops = sub_ops(sub);
	if (sub->released)
		return;
	sub->released = true;
	sub_acct_stop(sub);
	sub_log_end(sub, reason);
	admission_ticket_release(&sub->lac->adm, &sub->adm);  /* issue 11, admission point 3 */
	for (unsigned t = 0; t < SUB_N_TIMERS; t++)
		if (t != SUB_TIMER_REAP)
			sub_timer_stop(sub, (enum sub_timer)t);
	if (sub->aaa) {
		ops->aaa_cancel(sub, sub->aaa);
		sub->aaa = NULL;
	}
	if (sub->l2tp) {
		ops->l2tp_close(sub, sub->l2tp, 1, 0, "subscriber gone");
		sub->l2tp = NULL;
	}
	if (sub->conn) {
		ops->access_close(sub, "session ended");
		sub->conn = NULL;
	}
	sub_ip_unregister(sub);
	if (sub->ip_reserved) {
		ip_pool_release(&sub->lac->pool, sub->ip);
		sub->ip_reserved = false;
	}
	ops->timer_set(sub, SUB_TIMER_REAP, sub_now(sub));
}

/* ---- actions ---- */

static void act_none(struct subscriber *sub, const struct sub_evarg *arg)
{
}

static void act_frame_to_ppp(struct subscriber *sub, const struct sub_evarg *arg)
{
	if (sub->ppp)
		sub_ops(sub)->ppp_input(sub, arg->frame, arg->len);
}

static void sub_ppp_refuse(struct subscriber *sub, const char *msg)
{
	sub_ops(sub)->ppp_auth_result(sub, false, msg);
}

static void act_start_aaa(struct subscriber *sub, const struct sub_evarg *arg)
{
	struct lac *lac = sub->lac;
	const struct access_conn_info *info = &sub->info;
	const struct ppp_auth_request *a = arg->auth;
	/* the identity RADIUS is asked about; pinned once it answers */
	char *user = malloc(a->name_len + 1);
	if (!user) {
		sub_ppp_refuse(sub, "out of memory");
		return;
	}
	memcpy(user, a->name, a->name_len);
	user[a->name_len] = '\0';
	free(sub->user);
	sub->user = user;
	sub->user_len = a->name_len;
	sub->auth_type = a->type;
	struct radius_auth_params p = {
		.user_name = sub->user,
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
	if (a->type == PPP_AUTH_CHAP) {
		p.chap_response = a->response;
		p.chap_id = a->chap_id;
		p.chap_challenge = a->challenge;
		p.chap_challenge_len = a->challenge_len;
	} else {
		p.user_password = a->response;
		p.user_password_len = a->response_len;
	}
	lac->counters.auth_requests++;
	sub->aaa = sub_ops(sub)->aaa_start(sub, &p);
	if (!sub->aaa) {
		sub_log(LOG_LVL_WARN, sub, "event=aaa_start_failed");
		snprintf(sub->decision, sizeof(sub->decision), "fail");
		sub_next(sub, SUB_LCP);
		sub_ppp_refuse(sub, "Authentication service unavailable");
		return;
	}
	sub_next(sub, SUB_AAA);
}

/* Credentials again after RADIUS answered (a renegotiation, or a second
 * CHAP Response): the identity is pinned. The same name goes on (PPP is
 * answered the way RADIUS answered); another name ends the session, so
 * accounting, lacctl and DAE can never name someone else. */
static bool sub_same_identity(const struct subscriber *sub, const struct ppp_auth_request *a)
{
	return a->name_len == sub->user_len && memcmp(a->name, sub->user, a->name_len) == 0;
}

static void sub_identity_change(struct subscriber *sub, const struct ppp_auth_request *a)
{
	char other[ESCAPE_FIELD_MAX];
	escape_bytes(other, sizeof(other), a->name, a->name_len);
	sub->lac->counters.identity_changes_refused++;
	sub_log(LOG_LVL_INFO, sub, "event=identity_change_refused new_user=%s", other);
	sub_set_cause(sub, RADIUS_TERM_USER_REQUEST);
	sub_ppp_refuse(sub, "Identity change refused");
	sub_ops(sub)->ppp_close(sub, "identity change refused");
}

static void act_auth_during_setup(struct subscriber *sub, const struct sub_evarg *arg)
{
	if (sub_same_identity(sub, arg->auth)) {
		sub_next(sub, sub->state); /* the handoff carries the newest response */
		return;
	}
	sub_next(sub, SUB_CLOSING);
	if (sub->l2tp) {
		sub_ops(sub)->l2tp_close(sub, sub->l2tp, 3, 0, "identity change refused");
		sub->l2tp = NULL;
	}
	sub_identity_change(sub, arg->auth);
}

static void act_reauth_local(struct subscriber *sub, const struct sub_evarg *arg)
{
	if (sub_same_identity(sub, arg->auth)) {
		sub_next(sub, SUB_LOCAL);
		sub_ops(sub)->ppp_auth_result(sub, true, NULL);
		return;
	}
	sub_next(sub, SUB_CLOSING);
	sub_identity_change(sub, arg->auth);
}

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
	const struct access_conn_info *info = &sub->info;
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
	if (sub->ppp && sub_ops(sub)->ppp_get_proxy(sub, &proxy) == 0)
		sub_proxy_from_ppp(&call->proxy, &proxy);
	/* issue 11: RFC 5515 AVPs and connect speeds from the access line */
	line_fwd_l2tp(&sub->lac->cfg, info, sub->line_info_forwarding, call);
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

static void act_start_tunnel(struct subscriber *sub, const struct sub_evarg *arg)
{
	struct lac *lac = sub->lac;
	const struct radius_reply *reply = arg->reply;
	sub->aaa = NULL; /* the client frees the request after its callback */
	lac->counters.aaa_tunnel++;
	snprintf(sub->decision, sizeof(sub->decision), "tunnel");
	sub_take_accept(sub, reply);
	sub->n_cands = 0;
	/* scale: candidate arrays sized to the reply (at most RADIUS_MAX_TUNNELS) */
	size_t n_alloc = reply->n_tunnels < RADIUS_MAX_TUNNELS ? reply->n_tunnels : RADIUS_MAX_TUNNELS;
	free(sub->cands);
	free(sub->cand_label);
	free(sub->cand_acct);
	sub->cands = calloc(n_alloc ? n_alloc : 1, sizeof(*sub->cands));
	sub->cand_label = calloc(n_alloc ? n_alloc : 1, sizeof(*sub->cand_label));
	sub->cand_acct = calloc(n_alloc ? n_alloc : 1, sizeof(*sub->cand_acct));
	if (!sub->cands || !sub->cand_label || !sub->cand_acct)
		n_alloc = 0;    /* no candidate: l2tp_session_open() fails, handled below */
	for (size_t i = 0; i < reply->n_tunnels && sub->n_cands < n_alloc; i++) {
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
		enum adm_cause ac = admission_ticket_tunnel(&lac->adm, &sub->adm, sub->user, 0, keys,
							    sub->n_cands, 0, usable);
		if (ac != ADM_OK) {
			sub_log(LOG_LVL_WARN, sub, "event=admission_refused cause=%s", adm_cause_str(ac));
			sub_next(sub, SUB_LCP);
			sub_ppp_refuse(sub, adm_cause_text(ac));
			return;
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
	sub->l2tp = sub->n_cands ? sub_ops(sub)->l2tp_open(sub, sub->cands, sub->n_cands, &call) : NULL;
	if (!sub->l2tp) {
		sub_log(LOG_LVL_WARN, sub, "event=l2tp_open_failed candidates=%zu", sub->n_cands);
		lac->counters.tunnel_failed++;
		sub_next(sub, SUB_LCP);
		sub_ppp_refuse(sub, "Tunnel setup failed");
		return;
	}
	sub_debug(sub, "event=tunnel_setup candidates=%zu first=%s", sub->n_cands, sub->lns);
	sub_next(sub, SUB_TUNNEL_SETUP);
}

/* The address the Accept names (RFC 2865 5.8), or one of the pool. Either is
 * held in the pool's book so two sessions can never share an address; one
 * outside the pool's range is booked too. */
static void act_accept_local(struct subscriber *sub, const struct sub_evarg *arg)
{
	struct lac *lac = sub->lac;
	const struct radius_reply *reply = arg->reply;
	sub->aaa = NULL;
	snprintf(sub->decision, sizeof(sub->decision), "local");
	sub_take_accept(sub, reply);
	sub_next(sub, SUB_LCP);

	if (!lac->cfg.local_enabled) {
		sub_log(LOG_LVL_WARN, sub, "event=local_refused reason=no_local_pool_configured");
		sub_ppp_refuse(sub, "Local access not offered here");
		return;
	}
	if (reply->has_framed_ip && reply->framed_ip.s_addr != htonl(0xfffffffe) &&
	    reply->framed_ip.s_addr != htonl(0xffffffff)) {
		/* RFC 2865 5.8: 0xFFFFFFFE means "NAS should select", 0xFFFFFFFF "user selects" */
		if (ip_pool_reserve(&lac->pool, reply->framed_ip) < 0) {
			sub_log(LOG_LVL_WARN, sub, "event=framed_ip_in_use addr=%s", inet_ntoa(reply->framed_ip));
			sub_ppp_refuse(sub, "Address in use");
			return;
		}
		sub->ip = reply->framed_ip;
	} else if (ip_pool_alloc(&lac->pool, &sub->ip) < 0) {
		sub_log(LOG_LVL_WARN, sub, "event=pool_exhausted");
		sub_ppp_refuse(sub, "No address available");
		return;
	}
	sub->ip_reserved = true;
	struct in_addr dns1 = reply->n_dns > 0 ? reply->dns[0] : lac->cfg.local_dns1;
	struct in_addr dns2 = reply->n_dns > 1 ? reply->dns[1] : lac->cfg.local_dns2;
	lac->counters.aaa_local++;
	sub_next(sub, SUB_LOCAL);
	sub_ops(sub)->ppp_set_ipcp(sub, lac->cfg.local_gateway, sub->ip, dns1, dns2);
	sub_ops(sub)->ppp_auth_result(sub, true, reply->reply_message[0] ? reply->reply_message : NULL);
}

static void act_reject(struct subscriber *sub, const struct sub_evarg *arg)
{
	struct lac *lac = sub->lac;
	sub->aaa = NULL;
	snprintf(sub->decision, sizeof(sub->decision), "reject");
	const char *msg = arg->reply && arg->reply->reply_message[0] ? arg->reply->reply_message
								   : "Authentication failed";
	lac->counters.aaa_reject++;
	sub_ppp_refuse(sub, msg);
}

static void act_aaa_fail(struct subscriber *sub, const struct sub_evarg *arg)
{
	struct lac *lac = sub->lac;
	sub->aaa = NULL;
	snprintf(sub->decision, sizeof(sub->decision), "fail");
	lac->counters.aaa_fail++;
	sub_ppp_refuse(sub, "Authentication service unavailable");
}

/* Takes the L2TP session's status: from `up`, or from the engine when the
 * LNS's data overtook the acknowledgement of our ICCN (issue 8 item 7: the
 * ids, and the candidate that really carries the call after a failover). */
static void sub_take_l2tp_status(struct subscriber *sub, const struct l2tp_session_status *st)
{
	struct l2tp_session_status from_engine;
	if (!st && sub->l2tp && sub_ops(sub)->l2tp_status(sub, sub->l2tp, &from_engine) == 0)
		st = &from_engine;
	if (!st)
		return;
	sub->l2tp_status = *st;
	sub->l2tp_status_known = true;
	if (sub->cand_kept)
		sub->l2tp_status.candidate_idx = 0;     /* see sub_keep_carrier */
	else if (st->candidate_idx < sub->n_cands)
		snprintf(sub->lns, sizeof(sub->lns), "%s", sub->cand_label[st->candidate_idx]);
	if (st->peer_host_name)
		snprintf(sub->lns_host_name, sizeof(sub->lns_host_name), "%s", st->peer_host_name);
	sub->l2tp_status.peer = NULL; /* only valid during the callback */
	sub->l2tp_status.peer_host_name = NULL;
}

/* RFC 2867 Tunnel-Client-Endpoint of candidate idx: the local address the
 * kernel picked towards that LNS, unless RADIUS named one. */
static void sub_fill_client_endpoint(struct subscriber *sub, unsigned idx)
{
	if (idx >= sub->n_cands || sub->cand_acct[idx].client_endpoint[0])
		return;
	sub_ops(sub)->local_endpoint(sub->lac, &sub->cands[idx].addr, sub->cands[idx].addr_len,
				     sub->cand_acct[idx].client_endpoint,
				     sizeof(sub->cand_acct[idx].client_endpoint));
}

/* The call is up (ICCN acknowledged): no other candidate will be tried, so
 * only the carrying one's accounting record stays, at index 0 (issue 12:
 * three candidates' arrays are 1.8 KB a session). */
static void sub_keep_carrier(struct subscriber *sub)
{
	unsigned i = sub->l2tp_status.candidate_idx;
	if (sub->cand_kept || !sub->l2tp_status_known || i >= sub->n_cands)
		return;
	if (i != 0) {
		sub->cands[0] = sub->cands[i];
		memcpy(sub->cand_label[0], sub->cand_label[i], sizeof(sub->cand_label[0]));
		sub->cand_acct[0] = sub->cand_acct[i];
	}
	if (sub->n_cands > 1) {
		/* shrinking in place: realloc gives the tail back to the heap */
		void *p = realloc(sub->cands, sizeof(*sub->cands));
		if (p)
			sub->cands = p;
		p = realloc(sub->cand_label, sizeof(*sub->cand_label));
		if (p)
			sub->cand_label = p;
		p = realloc(sub->cand_acct, sizeof(*sub->cand_acct));
		if (p)
			sub->cand_acct = p;
	}
	sub->n_cands = 1;
	sub->l2tp_status.candidate_idx = 0;
	sub->cand_kept = true;
}

static void act_relay_start(struct subscriber *sub, const struct sub_evarg *arg)
{
	struct lac *lac = sub->lac;
	struct ppp_proxy_info proxy;
	sub_ops(sub)->ppp_handoff(sub, &proxy);
	sub_take_l2tp_status(sub, arg->l2tp_up);
	if (sub->l2tp_status_known)
		sub_fill_client_endpoint(sub, sub->l2tp_status.candidate_idx);
	if (arg->l2tp_up)
		sub_keep_carrier(sub);
	sub->up_ms = sub_now(sub);
	lac->counters.tunnel_up++;
	metrics_observe_setup(sub->up_ms - sub->created_ms); /* install: setup-time histogram */
	sub_debug(sub, "event=relay_up lns=%s tid=%u sid=%u peer_tid=%u peer_sid=%u setup_ms=%llu%s", sub->lns,
		  sub->l2tp_status.local_tid, sub->l2tp_status.local_sid, sub->l2tp_status.peer_tid,
		  sub->l2tp_status.peer_sid, (unsigned long long)(sub->up_ms - sub->created_ms),
		  arg->l2tp_up ? "" : " early=data_before_iccn_ack");
	sub_acct_begin(sub);
}

/* ICCN acknowledged after the relay started early: the engine's ids again. */
static void act_relay_confirm(struct subscriber *sub, const struct sub_evarg *arg)
{
	sub_take_l2tp_status(sub, arg->l2tp_up);
	if (!sub->cand_kept && sub->l2tp_status_known)
		sub_fill_client_endpoint(sub, sub->l2tp_status.candidate_idx);
	sub_keep_carrier(sub);
}

static void act_relay_down(struct subscriber *sub, const struct sub_evarg *arg);

/* The LNS's first frames arrived before the ICCN was acknowledged. */
static void act_relay_early(struct subscriber *sub, const struct sub_evarg *arg)
{
	struct sub_evarg none = { 0 };
	act_relay_start(sub, &none);
	act_relay_down(sub, arg);
}

static void act_relay_down(struct subscriber *sub, const struct sub_evarg *arg)
{
	const uint8_t *frame = arg->frame;
	size_t len = arg->len;
	uint8_t code, id;
	if (!sub->conn)
		return;
	sub->lac->counters.relay_frames_down++;
	sub->out_octets += len;
	sub->out_packets++;
	if (sub->sub_term_seen && sub_frame_lcp(frame, len, &code, &id) && code == LCP_TERMACK &&
	    id == sub->sub_term_id)
		sub->sub_term_acked = true;
	if (sub->info.kind == ACCESS_KIND_PPPOE && len >= 2 && frame[0] == PPP_ADDRESS && frame[1] == PPP_CONTROL) {
		/* RFC 2516 7: PPPoE carries no address/control field */
		frame += 2;
		len -= 2;
	}
	sub_ops(sub)->access_send(sub, frame, len);
}

static void act_relay_up(struct subscriber *sub, const struct sub_evarg *arg)
{
	const uint8_t *frame = arg->frame;
	size_t len = arg->len;
	uint8_t code, id;
	if (!sub->l2tp)
		return;
	sub->lac->counters.relay_frames_up++;
	/* the protocol field, after the address/control field if present (RFC 1662 3.1) */
	size_t o = len >= 2 && frame[0] == PPP_ADDRESS && frame[1] == PPP_CONTROL ? 2 : 0;
	uint16_t proto = len >= o + 2 ? (uint16_t)(frame[o] << 8 | frame[o + 1]) : 0;
	sub_count_in(sub, len, proto);
	if (proto == PPP_PROTO_LCP && sub_frame_lcp(frame, len, &code, &id) && code == LCP_TERMREQ) {
		/* the subscriber hangs up: if the LNS clears the call before its
		 * Terminate-Ack reaches us, we owe the subscriber that Ack */
		sub->sub_term_seen = true;
		sub->sub_term_acked = false;
		sub->sub_term_id = id;
	}
	if (o == 2) {
		sub_ops(sub)->l2tp_send(sub, sub->l2tp, frame, len);
		return;
	}
	/* L2TP carries the HDLC address/control field (RFC 2661 5.4 shows the PPP
	 * frame as on an HDLC link); a receiver that allowed ACFC accepts it
	 * either way, so add it when the medium lacked it. */
	uint8_t buf[PPP_FRAME_MAX + 2];
	if (len + 2 > sizeof(buf))
		return;
	buf[0] = PPP_ADDRESS;
	buf[1] = PPP_CONTROL;
	memcpy(buf + 2, frame, len);
	sub_ops(sub)->l2tp_send(sub, sub->l2tp, buf, len + 2);
}

/* RFC 2867 4.1/4.2: the candidate the engine was trying refused the tunnel
 * (Tunnel-Reject) or the call (Tunnel-Link-Reject). The record names that
 * LNS (Tunnel-Server-Endpoint as RADIUS sent it, Tunnel-Assignment-Id) and
 * this subscriber (User-Name: the broker finds the realm from it), so every
 * broker leaves the LNS out of its replies for the hold-down (shared LNS
 * health). The engine reports a tunnel once, whatever the calls waiting on
 * it; the failover or `down` follows as its own event. */
static void act_l2tp_reject(struct subscriber *sub, const struct sub_evarg *arg)
{
	struct lac *lac = sub->lac;
	const struct l2tp_setup_reject *r = arg->l2tp_reject;
	if (!r || r->candidate_idx >= sub->n_cands)
		return;
	unsigned idx = r->candidate_idx;
	sub_log(LOG_LVL_INFO, sub, "event=%s lns=%s result=%u error=%u acct=%s",
		r->link ? "lns_link_reject" : "lns_tunnel_reject", sub->cand_label[idx], r->result, r->error,
		lac->cfg.radius_acct_tunnel_reject ? "yes" : "off");
	if (!lac->cfg.radius_acct_tunnel_reject)
		return;
	sub_fill_client_endpoint(sub, idx);
	struct radius_acct_params p;
	struct radius_acct_tunnel tun;
	char connection[16];
	sub_acct_identity(sub, r->link ? RADIUS_ACCT_STATUS_TUNNEL_LINK_REJECT : RADIUS_ACCT_STATUS_TUNNEL_REJECT,
			  &p);
	sub_acct_tunnel(sub, idx, r->call_serial, r->peer_host_name, &tun, connection);
	p.tunnel = &tun;
	if (sub_ops(sub)->acct_tunnel_reject(sub, r->link, &p) < 0)
		sub_log(LOG_LVL_WARN, sub, "event=acct_not_queued status=%u errno=%d", p.status_type, errno);
}

static void act_tunnel_failed(struct subscriber *sub, const struct sub_evarg *arg)
{
	struct lac *lac = sub->lac;
	sub->l2tp = NULL; /* the engine frees it after `down` */
	lac->counters.tunnel_failed++;
	sub_log(LOG_LVL_WARN, sub, "event=tunnel_failed reason=%s", arg->reason ? arg->reason : "");
	sub_ppp_refuse(sub, "Tunnel to the home network failed");
}

/* The LNS cleared a relayed call. If it follows the subscriber's own LCP
 * Terminate-Request, that is the subscriber hanging up (User-Request): the
 * subscriber gets the Terminate-Ack if the LNS's did not come through, and no
 * Terminate-Request of ours. Otherwise the LNS ended the service: our
 * Terminate-Request tells the subscriber (RFC 1661 5.5), Lost-Service. */
static void act_relay_lns_gone(struct subscriber *sub, const struct sub_evarg *arg)
{
	sub->l2tp = NULL;
	if (sub->sub_term_seen) {
		sub_set_cause(sub, RADIUS_TERM_USER_REQUEST);
		if (!sub->sub_term_acked)
			sub_send_lcp(sub, LCP_TERMACK, sub->sub_term_id);
	} else {
		sub_set_cause(sub, RADIUS_TERM_LOST_SERVICE);
		sub_send_lcp(sub, LCP_TERMREQ, 1);
	}
	sub_release(sub, arg->reason ? arg->reason : "lns disconnect");
}

static void act_local_up(struct subscriber *sub, const struct sub_evarg *arg)
{
	struct lac *lac = sub->lac;
	if (!sub->ip_registered) {
		sub_ip_register(sub);
		sub->up_ms = sub_now(sub);
		lac->counters.local_up++;
		metrics_observe_setup(sub->up_ms - sub->created_ms); /* install: setup-time histogram */
	}
	sub_debug(sub, "event=local_up addr=%s setup_ms=%llu", inet_ntoa(sub->ip),
		  (unsigned long long)(sub->up_ms - sub->created_ms));
	sub_acct_begin(sub);
}

static void act_ip_to_tun(struct subscriber *sub, const struct sub_evarg *arg)
{
	struct lac *lac = sub->lac;
	if (arg->len < 20)
		return;
	/* RFC 2827-style source check: a subscriber may only send as itself. */
	if (memcmp(arg->frame + 12, &sub->ip.s_addr, 4) != 0)
		return;
	sub_count_in(sub, arg->len, PPP_PROTO_IP);
	if (sub_ops(sub)->tun_write(sub, arg->frame, arg->len) < 0)
		lac->counters.tun_tx_dropped++;
	else
		lac->counters.tun_tx++;
}

static void act_tun_to_ppp(struct subscriber *sub, const struct sub_evarg *arg)
{
	sub->lac->counters.tun_rx++;
	sub->out_octets += arg->len;
	sub->out_packets++;
	sub_ops(sub)->ppp_send_ip(sub, arg->frame, arg->len);
}

/* PPP finished on its own; its cause code says why (RFC 2866 5.10). */
static void act_ppp_finished(struct subscriber *sub, const struct sub_evarg *arg)
{
	switch (arg->ppp_cause) {
	case PPP_DOWN_PEER_TERMINATE:
		sub_set_cause(sub, RADIUS_TERM_USER_REQUEST);
		break;
	case PPP_DOWN_ECHO_TIMEOUT:
	case PPP_DOWN_LOWER_DOWN:
		sub_set_cause(sub, RADIUS_TERM_LOST_CARRIER);
		break;
	case PPP_DOWN_NEGOTIATION_FAILED:
		sub_set_cause(sub, RADIUS_TERM_PORT_ERROR);
		break;
	case PPP_DOWN_AUTH_FAILED:
		sub_set_cause(sub, RADIUS_TERM_SERVICE_UNAVAILABLE);
		break;
	default:
		sub_set_cause(sub, RADIUS_TERM_NAS_REQUEST);
		break;
	}
	sub_release(sub, arg->reason);
}

/* Access closed: during RADIUS, tunnel setup, relay or local termination
 * alike. The conn is the access layer's to free once this returns. */
static void act_access_closed(struct subscriber *sub, const struct sub_evarg *arg)
{
	sub->conn = NULL;
	sub_set_cause(sub, RADIUS_TERM_USER_REQUEST);
	if (sub->l2tp) {
		/* RFC 2661 4.4.2: CDN result 1, loss of carrier */
		sub_ops(sub)->l2tp_close(sub, sub->l2tp, 1, 0, "subscriber hung up");
		sub->l2tp = NULL;
	}
	sub_release(sub, arg->reason);
}

static void act_admin_relay(struct subscriber *sub, const struct sub_evarg *arg)
{
	sub_set_cause(sub, arg->cause ? arg->cause : RADIUS_TERM_ADMIN_RESET);
	/* RFC 2661 4.4.2: CDN result 3, administrative reasons */
	if (sub->l2tp) {
		sub_ops(sub)->l2tp_close(sub, sub->l2tp, 3, 0, arg->reason ? arg->reason : "admin");
		sub->l2tp = NULL;
	}
	sub_send_lcp(sub, LCP_TERMREQ, 1);
	sub->lac->counters.admin_disconnects++;
	sub_release(sub, arg->reason);
}

static void act_admin_ppp(struct subscriber *sub, const struct sub_evarg *arg)
{
	sub_set_cause(sub, arg->cause ? arg->cause : RADIUS_TERM_ADMIN_RESET);
	sub->lac->counters.admin_disconnects++;
	if (sub->aaa) {
		sub_ops(sub)->aaa_cancel(sub, sub->aaa);
		sub->aaa = NULL;
	}
	if (sub->l2tp) {
		sub_ops(sub)->l2tp_close(sub, sub->l2tp, 3, 0, arg->reason ? arg->reason : "admin");
		sub->l2tp = NULL;
	}
	/* PPP may finish synchronously (LCP never opened): that `down` is
	 * queued and dispatched in CLOSING once this returns */
	sub_ops(sub)->ppp_close(sub, arg->reason ? arg->reason : "admin");
}

static void act_interim(struct subscriber *sub, const struct sub_evarg *arg)
{
	if (!sub->acct_started || sub->acct_stopped || !sub->interim_s)
		return;
	sub_acct_send(sub, RADIUS_ACCT_STATUS_INTERIM);
	sub_timer_arm_in(sub, SUB_TIMER_INTERIM, (uint64_t)sub->interim_s * 1000);
}

static void act_session_timeout(struct subscriber *sub, const struct sub_evarg *arg)
{
	struct sub_evarg a = { .reason = "session timeout", .cause = RADIUS_TERM_SESSION_TIMEOUT };
	sub->lac->counters.session_timeouts++;
	sub_debug(sub, "event=session_timeout limit_s=%u", sub->session_timeout_s);
	if (sub->state == SUB_RELAY)
		act_admin_relay(sub, &a);
	else
		act_admin_ppp(sub, &a);
}

/* RFC 2865 5.28 Idle-Timeout: the subscriber sent no data (anything but
 * LCP, whose echoes keep flowing on an idle link) for idle_timeout_s. The
 * timer wakes at the earliest moment the limit could be reached. */
static void act_idle_check(struct subscriber *sub, const struct sub_evarg *arg)
{
	uint64_t now = sub_now(sub), limit = (uint64_t)sub->idle_timeout_s * 1000;
	sub_next(sub, sub->state);
	if (!sub->idle_timeout_s || sub->acct_stopped)
		return;
	if (now - sub->last_data_ms < limit) {
		sub_ops(sub)->timer_set(sub, SUB_TIMER_IDLE, sub->last_data_ms + limit);
		return;
	}
	struct sub_evarg a = { .reason = "idle timeout", .cause = RADIUS_TERM_IDLE_TIMEOUT };
	sub->lac->counters.idle_timeouts++;
	sub_debug(sub, "event=idle_timeout limit_s=%u", sub->idle_timeout_s);
	if (sub->state == SUB_RELAY) {
		sub_next(sub, SUB_DEAD);
		act_admin_relay(sub, &a);
	} else {
		sub_next(sub, SUB_CLOSING);
		act_admin_ppp(sub, &a);
	}
}

/* ---- the table ---- */

typedef void (*sub_action)(struct subscriber *sub, const struct sub_evarg *arg);

struct sub_transition {
	enum sub_state state;
	enum sub_event event;           /* SUB_EV_ANY: every event */
	sub_action action;
	const char *action_name;
	enum sub_state next;            /* or SUB_NEXT_SET_BY_ACTION */
};

#define ROW(st, ev, act, nx) { SUB_##st, SUB_EV_##ev, act, #act, nx }
#define SET_BY_ACTION SUB_NEXT_SET_BY_ACTION

/* Every (state, event) pair not listed: counted as unexpected, logged at
 * debug, state unchanged (nothing of the session is touched). */
static const struct sub_transition sub_table[] = {
	ROW(LCP, AUTH_REQUEST, act_start_aaa, SET_BY_ACTION),           /* AAA, or LCP if it cannot start */
	ROW(LCP, ACCESS_FRAME, act_frame_to_ppp, SUB_LCP),
	ROW(LCP, PPP_DOWN, act_ppp_finished, SUB_DEAD),
	ROW(LCP, ACCESS_CLOSED, act_access_closed, SUB_DEAD),
	ROW(LCP, ADMIN_DISCONNECT, act_admin_ppp, SUB_CLOSING),

	ROW(AAA, AAA_TUNNEL, act_start_tunnel, SET_BY_ACTION),          /* TUNNEL_SETUP, or LCP */
	ROW(AAA, AAA_LOCAL, act_accept_local, SET_BY_ACTION),           /* LOCAL, or LCP */
	ROW(AAA, AAA_REJECT, act_reject, SUB_LCP),
	ROW(AAA, AAA_FAIL, act_aaa_fail, SUB_LCP),
	ROW(AAA, AUTH_REQUEST, act_none, SUB_AAA),      /* retransmitted Response: RADIUS keeps the first */
	ROW(AAA, ACCESS_FRAME, act_frame_to_ppp, SUB_AAA),
	ROW(AAA, PPP_DOWN, act_ppp_finished, SUB_DEAD),
	ROW(AAA, ACCESS_CLOSED, act_access_closed, SUB_DEAD),   /* cancels the request */
	ROW(AAA, ADMIN_DISCONNECT, act_admin_ppp, SUB_CLOSING), /* DAE during setup */

	ROW(TUNNEL_SETUP, L2TP_UP, act_relay_start, SUB_RELAY),
	ROW(TUNNEL_SETUP, L2TP_FRAME, act_relay_early, SUB_RELAY),      /* data before the ICCN ack */
	ROW(TUNNEL_SETUP, L2TP_DOWN, act_tunnel_failed, SUB_LCP),
	ROW(TUNNEL_SETUP, L2TP_REJECT, act_l2tp_reject, SUB_TUNNEL_SETUP),     /* failover or down follows */
	ROW(TUNNEL_SETUP, AUTH_REQUEST, act_auth_during_setup, SET_BY_ACTION), /* same user: stay; else CLOSING */
	ROW(TUNNEL_SETUP, ACCESS_FRAME, act_frame_to_ppp, SUB_TUNNEL_SETUP),
	ROW(TUNNEL_SETUP, PPP_DOWN, act_ppp_finished, SUB_DEAD),
	ROW(TUNNEL_SETUP, ACCESS_CLOSED, act_access_closed, SUB_DEAD),
	ROW(TUNNEL_SETUP, ADMIN_DISCONNECT, act_admin_ppp, SUB_CLOSING),

	ROW(RELAY, ACCESS_FRAME, act_relay_up, SUB_RELAY),
	ROW(RELAY, L2TP_FRAME, act_relay_down, SUB_RELAY),
	ROW(RELAY, L2TP_UP, act_relay_confirm, SUB_RELAY),      /* after an early start */
	ROW(RELAY, L2TP_DOWN, act_relay_lns_gone, SUB_DEAD),    /* LNS CDN during relay */
	ROW(RELAY, L2TP_REJECT, act_l2tp_reject, SUB_RELAY),    /* after an early start: CDN to our ICCN */
	ROW(RELAY, ACCESS_CLOSED, act_access_closed, SUB_DEAD),
	ROW(RELAY, ADMIN_DISCONNECT, act_admin_relay, SUB_DEAD),
	ROW(RELAY, INTERIM, act_interim, SUB_RELAY),
	ROW(RELAY, SESSION_TIMEOUT, act_session_timeout, SUB_DEAD),
	ROW(RELAY, IDLE_CHECK, act_idle_check, SET_BY_ACTION),  /* RELAY, or DEAD */

	ROW(LOCAL, PPP_UP, act_local_up, SUB_LOCAL),
	ROW(LOCAL, PPP_IP, act_ip_to_tun, SUB_LOCAL),
	ROW(LOCAL, TUN_PACKET, act_tun_to_ppp, SUB_LOCAL),
	ROW(LOCAL, ACCESS_FRAME, act_frame_to_ppp, SUB_LOCAL),
	ROW(LOCAL, AUTH_REQUEST, act_reauth_local, SET_BY_ACTION),      /* same user: LOCAL; else CLOSING */
	ROW(LOCAL, PPP_DOWN, act_ppp_finished, SUB_DEAD),
	ROW(LOCAL, ACCESS_CLOSED, act_access_closed, SUB_DEAD),
	ROW(LOCAL, ADMIN_DISCONNECT, act_admin_ppp, SUB_CLOSING),
	ROW(LOCAL, INTERIM, act_interim, SUB_LOCAL),
	ROW(LOCAL, SESSION_TIMEOUT, act_session_timeout, SUB_CLOSING),
	ROW(LOCAL, IDLE_CHECK, act_idle_check, SET_BY_ACTION),  /* LOCAL, or CLOSING */

	ROW(CLOSING, ACCESS_FRAME, act_frame_to_ppp, SUB_CLOSING),      /* the Terminate-Ack */
	ROW(CLOSING, PPP_DOWN, act_ppp_finished, SUB_DEAD),
	ROW(CLOSING, ACCESS_CLOSED, act_access_closed, SUB_DEAD),
	ROW(CLOSING, ADMIN_DISCONNECT, act_none, SUB_CLOSING),
	ROW(CLOSING, AUTH_REQUEST, act_none, SUB_CLOSING),
	ROW(CLOSING, INTERIM, act_interim, SUB_CLOSING),
	ROW(CLOSING, SESSION_TIMEOUT, act_none, SUB_CLOSING),
	ROW(CLOSING, IDLE_CHECK, act_none, SUB_CLOSING),

	{ SUB_DEAD, SUB_EV_ANY, act_none, "act_none", SUB_DEAD },       /* DEAD is final */
};

/* The row for (state, event), or NULL; looked up through an index built once
 * (the data path dispatches every frame). */
static const struct sub_transition *sub_row(enum sub_state st, enum sub_event ev)
{
	static const struct sub_transition *index[SUB_N_STATES][SUB_N_EVENTS];
	static bool built;
	if (!built) {
		for (size_t i = sizeof(sub_table) / sizeof(sub_table[0]); i-- > 0;) {
			const struct sub_transition *r = &sub_table[i];
			if (r->event == SUB_EV_ANY) {
				for (unsigned e = 0; e < SUB_N_EVENTS; e++)
					index[r->state][e] = r;
			} else {
				index[r->state][r->event] = r;
			}
		}
		built = true;
	}
	return (unsigned)st < SUB_N_STATES && (unsigned)ev < SUB_N_EVENTS ? index[st][ev] : NULL;
}

static void sub_dispatch_one(struct subscriber *sub, enum sub_event ev, const struct sub_evarg *arg)
{
	const struct sub_transition *row = sub_row(sub->state, ev);
	if (!row) {
		sub->lac->counters.unexpected_events++;
		sub_debug(sub, "event=%s not expected in this state: ignored", sub_event_str(ev));
		return;
	}
	enum sub_state from = sub->state;
	sub->next_state = SUB_N_STATES;
	row->action(sub, arg);
	enum sub_state to = row->next;
	if (to == SUB_NEXT_SET_BY_ACTION) {
		to = sub->next_state;
		if (to >= SUB_N_STATES) {
			/* an action of a "set by action" row that did not choose:
			 * a bug; the defined outcome is to end the session */
			log_error("sub=%u event=%s action=%s next_state_not_set", sub->id, sub_event_str(ev),
				  row->action_name);
			sub_release(sub, "internal error");
			to = SUB_DEAD;
		}
	}
	if (from == SUB_DEAD)
		to = SUB_DEAD;
	else if (to == SUB_DEAD)
		sub_release(sub, arg->reason); /* idempotent: most actions did already */
	sub->state = to;
	if (from != to)
		log_debug("sub=%u event=%s action=%s transition=%s->%s", sub->id, sub_event_str(ev),
			  row->action_name, sub_state_str(from), sub_state_str(to));
}

void sub_dispatch(struct subscriber *sub, enum sub_event ev, const struct sub_evarg *arg)
{
	static const struct sub_evarg no_arg;
	if (!arg)
		arg = &no_arg;
	if (sub->dispatching) {
		if (!sub->queued)
			sub->queued = calloc(SUB_QUEUE_MAX, sizeof(*sub->queued));
		if (!sub->queued || sub->n_queued >= SUB_QUEUE_MAX) {
			sub->lac->counters.unexpected_events++;
			sub_log(LOG_LVL_WARN, sub, "event=%s raised_inside_dispatch outcome=dropped",
				sub_event_str(ev));
			return;
		}
		struct sub_queued *q = &sub->queued[sub->n_queued++];
		q->ev = ev;
		q->arg = *arg;
		q->has_reason = arg->reason != NULL;
		snprintf(q->reason, sizeof(q->reason), "%s", arg->reason ? arg->reason : "");
		return;
	}
	sub->dispatching = true;
	sub_dispatch_one(sub, ev, arg);
	for (unsigned i = 0; i < sub->n_queued; i++) {
		struct sub_queued *q = &sub->queued[i];
		q->arg.reason = q->has_reason ? q->reason : NULL;
		sub_dispatch_one(sub, q->ev, &q->arg);
	}
	sub->n_queued = 0;
	free(sub->queued);
	sub->queued = NULL;
	sub->dispatching = false;
}

/* ---- life cycle ---- */

struct subscriber *sub_create(struct lac *lac, struct access_conn *conn)
{
	struct subscriber *sub = calloc(1, sizeof(*sub));
	if (!sub)
		return NULL;
	uint32_t rnd;
	if (random_bytes(&rnd, sizeof(rnd)) < 0) {
		free(sub);
		return NULL;
	}
	sub->lac = lac;
	sub->id = ++lac->next_id;
	sub->state = SUB_LCP;
	sub->conn = conn;
	sub->info = conn->info;
	sub->created_ms = sub_now(sub);
	sub->user = strdup("-");
	if (!sub->user) {
		free(sub);
		return NULL;
	}
	/* RFC 2866 5.5: unique per NAS; time-independent part from random bits */
	snprintf(sub->acct_session_id, sizeof(sub->acct_session_id), "%08X%08X", rnd, sub->id);
	sub->next = lac->subscribers;
	if (lac->subscribers)
		lac->subscribers->prev = sub;
	lac->subscribers = sub;
	lac->n_subscribers++;
	lac->counters.sessions_created++;
	return sub;
}

/* scale: the reply-sized arrays go with the record */
static void sub_free(struct subscriber *sub)
{
	free(sub->cands);
	free(sub->cand_label);
	free(sub->cand_acct);
	free(sub->class_val);
	free(sub->queued);
	free(sub->user);
	free(sub);
}

static void sub_unlink(struct subscriber *sub)
{
	struct lac *lac = sub->lac;
	if (sub->prev)
		sub->prev->next = sub->next;
	else
		lac->subscribers = sub->next;
	if (sub->next)
		sub->next->prev = sub->prev;
	lac->n_subscribers--;
}

void sub_destroy_unattached(struct subscriber *sub)
{
	sub_unlink(sub);
	sub->lac->counters.sessions_destroyed++;
	sub_free(sub);
}

void sub_timer_fired(struct subscriber *sub, enum sub_timer t)
{
	static const enum sub_event ev_of[SUB_N_TIMERS] = {
		[SUB_TIMER_INTERIM] = SUB_EV_INTERIM,
		[SUB_TIMER_SESSION] = SUB_EV_SESSION_TIMEOUT,
		[SUB_TIMER_IDLE] = SUB_EV_IDLE_CHECK,
	};
	if (t == SUB_TIMER_REAP) {
		/* from the loop: nothing of this session is on the stack */
		if (sub->state != SUB_DEAD || sub->dispatching)
			return;
		if (sub->ppp) {
			sub_ops(sub)->ppp_free(sub);
			sub->ppp = NULL;
		}
		sub_unlink(sub);
		sub->lac->counters.sessions_destroyed++;
		sub_free(sub);
		return;
	}
	if (t == SUB_TIMER_INTERIM || t == SUB_TIMER_SESSION || t == SUB_TIMER_IDLE)
		sub_dispatch(sub, ev_of[t], NULL);
}

void subscriber_disconnect(struct subscriber *sub, const char *reason, enum radius_term_cause cause)
{
	struct sub_evarg arg = { .reason = reason, .cause = cause };
	sub_set_cause(sub, cause);
	sub_dispatch(sub, SUB_EV_ADMIN_DISCONNECT, &arg);
}

void subscriber_tun_input(struct lac *lac, const uint8_t *pkt, size_t len)
{
	if (len < 20 || (pkt[0] >> 4) != 4)
		return;
	struct in_addr dst;
	memcpy(&dst.s_addr, pkt + 16, 4);
	for (struct subscriber *sub = *lac_ip_bucket(lac, dst); sub; sub = sub->ip_next) {
		if (sub->ip.s_addr == dst.s_addr && sub->ppp) {
			struct sub_evarg arg = { .frame = pkt, .len = len };
			sub_dispatch(sub, SUB_EV_TUN_PACKET, &arg);
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
	uint64_t now = lac->sub_ops ? lac->sub_ops->now_ms(lac) : sub_io_ops.now_ms(lac);
	for (struct subscriber *sub = lac->subscribers; sub; sub = sub->next) {
		if (sub->state == SUB_DEAD)
			continue;
		char lns[ESCAPE_FIELD_MAX], ulog[ESCAPE_FIELD_MAX];
		strbuf_printf(out, "id=%u user=%s state=%s decision=%s access=%s port_id=%s calling=%s", sub->id,
			      sub_user_log(sub, ulog, sizeof(ulog)), sub_state_str(sub->state), sub->decision[0] ? sub->decision : "-",
			      sub->conn ? (sub->info.kind == ACCESS_KIND_PPPOE ? "pppoe" : "stream") : "-",
			      sub->conn ? sub->info.nas_port_id : "-", sub->conn ? sub->info.calling_station_id : "-");
		if (sub->state == SUB_RELAY || sub->state == SUB_TUNNEL_SETUP)
			strbuf_printf(out, " lns=%s tid=%u sid=%u peer_tid=%u peer_sid=%u",
				      escape_str(lns, sizeof(lns), sub->lns[0] ? sub->lns : "-"),
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
 * The User-Name matched is the identity RADIUS was asked about (pinned when
 * it answered). CoA Session-Timeout counts from now, Idle-Timeout from the
 * last data frame; 0 removes either limit. */
enum dae_error_cause subscriber_dae_request(struct lac *lac, const struct dae_request *req, const char *client)
{
	size_t matched = 0;
	char cl[ESCAPE_FIELD_MAX];
	escape_str(cl, sizeof(cl), client ? client : "-");
	for (struct subscriber *sub = lac->subscribers; sub; sub = sub->next) {
		if (sub->state == SUB_DEAD || sub->state == SUB_CLOSING)
			continue;
		struct dae_session_ids ids = {
			.user_name = sub->user,
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
			sub_debug(sub, "event=dae_disconnect client=%s", cl);
			lac->counters.dae_disconnects++;
			subscriber_disconnect(sub, "dynamic authorization disconnect", RADIUS_TERM_ADMIN_RESET);
		} else {
			lac->counters.coa_applied++;
			if (req->has_session_timeout) {
				sub_log(LOG_LVL_INFO, sub, "event=coa client=%s session_timeout_s=%u", cl,
					req->session_timeout);
				sub->session_timeout_s = req->session_timeout;
				if (sub->acct_started)
					sub_arm_session_timer(sub, req->session_timeout);
			}
			if (req->has_idle_timeout) {
				sub_log(LOG_LVL_INFO, sub, "event=coa client=%s idle_timeout_s=%u", cl,
					req->idle_timeout);
				sub->idle_timeout_s = req->idle_timeout;
				if (sub->acct_started && sub->idle_timeout_s)
					sub_dispatch(sub, SUB_EV_IDLE_CHECK, NULL);
				else
					sub_timer_stop(sub, SUB_TIMER_IDLE);
			}
		}
	}
	return matched ? DAE_ERR_NONE : DAE_ERR_SESSION_NOT_FOUND;
}
