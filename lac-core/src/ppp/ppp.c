/* PPP session: phases (RFC 1661 3), protocol demultiplexing, timers and the
 * public API of ppp.h. */
#include "ppp/ppp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ppp/ppp_priv.h"
#include "util/escape.h"
#include "util/log.h"
#include "util/random.h"

static const char *const phase_names[] = {
	"dead", "establish", "authenticate", "network", "terminate", "handed-off"
};

const char *ppp_phase_str(enum ppp_phase phase)
{
	return (unsigned)phase < sizeof(phase_names) / sizeof(phase_names[0]) ?
	       phase_names[phase] : "?";
}

const char *ppp_role_str(enum ppp_role role)
{
	return role == PPP_ROLE_AUTHENTICATOR ? "authenticator" : "client";
}

const char *ppp_auth_type_str(enum ppp_auth_type type)
{
	switch (type) {
	case PPP_AUTH_CHAP:
		return "chap";
	case PPP_AUTH_PAP:
		return "pap";
	default:
		return "none";
	}
}

int ppp_frame_parse(const uint8_t *raw, size_t len, uint16_t *proto, const uint8_t **info,
		    size_t *info_len)
{
	size_t off = 0;
	if (len >= 1 && raw[0] == PPP_ADDRESS) {
		/* 0xff is never a protocol octet: it starts address/control */
		if (len < 2 || raw[1] != PPP_CONTROL)
			return -1;
		off = 2;
	}
	if (off >= len)
		return -1;
	if (raw[off] & 1) {
		/* PFC: one-octet protocol (RFC 1661 6.5) */
		*proto = raw[off];
		off += 1;
	} else {
		if (len - off < 2 || !(raw[off + 1] & 1))
			return -1;
		*proto = (uint16_t)(raw[off] << 8 | raw[off + 1]);
		off += 2;
	}
	*info = raw + off;
	*info_len = len - off;
	return 0;
}

ssize_t ppp_frame_build(uint8_t *buf, size_t cap, bool with_addr_ctl, uint16_t proto,
			const uint8_t *info, size_t len)
{
	size_t hdr = with_addr_ctl ? 4 : 2;
	if (cap < hdr || cap - hdr < len)
		return -1;
	size_t n = 0;
	if (with_addr_ctl) {
		buf[n++] = PPP_ADDRESS;
		buf[n++] = PPP_CONTROL;
	}
	be16_put(buf + n, proto);
	n += 2;
	if (len)
		memcpy(buf + n, info, len);
	return (ssize_t)(n + len);
}

void ppp_config_defaults(struct ppp_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->ident, sizeof(cfg->ident), "-");
	cfg->mru = PPP_DEFAULT_MRU;
	cfg->auth_order[0] = PPP_AUTH_CHAP;
	cfg->auth_order[1] = PPP_AUTH_PAP;
	cfg->auth_order_len = 2;
	cfg->auth_max_attempts = 1;
	cfg->auth_timeout_ms = 30000;
	cfg->restart_ms = 3000;
	cfg->max_configure = 10;
	cfg->max_terminate = 2;
	cfg->max_failure = 5;
	cfg->echo_failures = 3;
	snprintf(cfg->host_name, sizeof(cfg->host_name), "lac");
	cfg->request_dns = true;
}

/* CHAP challenges and magic numbers must be unpredictable (RFC 1994 2.3):
 * util/random.h, with no fallback. random_init() succeeded before any session
 * exists, so a failure here is an impossible kernel error: the caller fails
 * the exchange. */
int ppp_random_bytes(uint8_t *buf, size_t len)
{
	if (random_bytes(buf, len) == 0)
		return 0;
	log_error("ppp event=random_failed");
	memset(buf, 0, len);
	return -1;
}

uint32_t ppp_random_magic(void)
{
	uint32_t m = 0;
	for (unsigned tries = 0; m == 0 && tries < 8; tries++) {
		uint8_t b[4];
		if (ppp_random_bytes(b, sizeof(b)) < 0)
			break;
		m = be32_get(b);
	}
	if (m == 0)
		m = 1; /* random_bytes failed: magic numbers only detect loops */
	return m;
}

void ppp_set_down_reason(struct ppp_session *s, enum ppp_down_cause cause, const char *reason)
{
	if (!s->down_reason[0]) {
		snprintf(s->down_reason, sizeof(s->down_reason), "%s", reason);
		s->down_cause = cause;
	}
}

static const char *const down_cause_names[PPP_DOWN_N_CAUSES] = {
	"local_close", "peer_terminate", "echo_timeout", "lower_down", "auth_failed",
	"negotiation_failed",
};

const char *ppp_down_cause_str(enum ppp_down_cause cause)
{
	return (unsigned)cause < PPP_DOWN_N_CAUSES ? down_cause_names[cause] : "?";
}

void ppp_set_phase(struct ppp_session *s, enum ppp_phase phase)
{
	if (s->phase == phase)
		return;
	log_debug("%s event=phase from=%s to=%s", s->ident, ppp_phase_str(s->phase),
		  ppp_phase_str(phase));
	s->phase = phase;
}

/* Sends one control or data packet: address/control unless the medium has
 * none or the peer allowed ACFC, protocol compressed if the peer allowed PFC.
 * LCP always goes out uncompressed (RFC 1661 6.5, 6.6). */
void ppp_send_proto(struct ppp_session *s, uint16_t proto, const uint8_t *pkt, size_t len)
{
	uint8_t frame[PPP_FRAME_MAX];
	if (!s->lower_is_up || s->handed_off || s->down_reported)
		return;
	bool opened = fsm_is_opened(&s->lcp) && proto != PPP_PROTO_LCP;
	bool addr_ctl = !s->cfg.no_addr_ctl && !(opened && s->lcp_his.acfc);
	bool pfc = opened && s->lcp_his.pfc && proto < 0x100;
	size_t n = 0;
	if (len + 4 > sizeof(frame))
		return;
	if (addr_ctl) {
		frame[n++] = PPP_ADDRESS;
		frame[n++] = PPP_CONTROL;
	}
	if (pfc) {
		frame[n++] = (uint8_t)proto;
	} else {
		be16_put(frame + n, proto);
		n += 2;
	}
	memcpy(frame + n, pkt, len);
	s->cb.tx(s->owner, frame, n + len);
}

void ppp_fsm_send(void *ctx, uint16_t proto, const uint8_t *pkt, size_t len)
{
	ppp_send_proto(ctx, proto, pkt, len);
}

/* Network-Layer Protocol phase (RFC 1661 3.6): start IPCP. */
void ppp_enter_network(struct ppp_session *s, uint64_t now)
{
	ppp_set_phase(s, PPP_PHASE_NETWORK);
	fsm_open(&s->ipcp, now);
	fsm_up(&s->ipcp, now);
}

void ppp_auth_finished(struct ppp_session *s, bool success, uint64_t now)
{
	if (log_get_level() <= LOG_LVL_DEBUG) {
		char user[ESCAPE_FIELD_MAX];
		if (s->role == PPP_ROLE_AUTHENTICATOR && s->nego)
			escape_bytes(user, sizeof(user), s->nego->auth_req.name, s->nego->auth_req.name_len);
		else if (s->role == PPP_ROLE_AUTHENTICATOR)
			escape_str(user, sizeof(user), "");
		else
			escape_str(user, sizeof(user), s->cfg.user);
		log_debug("%s event=auth_%s auth=%s user=%s", s->ident, success ? "ok" : "failed",
			  ppp_auth_type_str(s->auth_type), user);
	}
	if (success) {
		ppp_enter_network(s, now);
		return;
	}
	snprintf(s->down_reason, sizeof(s->down_reason), "authentication failed%s%s",
		 s->auth_msg[0] ? ": " : "", s->auth_msg);
	s->down_cause = PPP_DOWN_AUTH_FAILED;
	ppp_fatal(s, PPP_DOWN_AUTH_FAILED, "authentication failed");
}

struct ppp_session *ppp_session_create(const struct ppp_config *cfg, enum ppp_role role,
				       const struct ppp_callbacks *cb, void *owner)
{
	size_t hl = strnlen(cfg->host_name, sizeof(cfg->host_name) - 1);
	size_t ul = strnlen(cfg->user, sizeof(cfg->user) - 1);
	size_t pl = strnlen(cfg->password, sizeof(cfg->password) - 1);
	struct ppp_session *s = calloc(1, sizeof(*s) + hl + ul + pl + 3);
	if (!s)
		return NULL;
	char *str = s->strings;
	memcpy(str, cfg->host_name, hl);
	s->cfg.host_name = str;
	str += hl + 1;
	memcpy(str, cfg->user, ul);
	s->cfg.user = str;
	str += ul + 1;
	memcpy(str, cfg->password, pl);
	s->cfg.password = str;
	s->cfg.mru = cfg->mru;
	s->cfg.no_addr_ctl = cfg->no_addr_ctl;
	s->cfg.async_map = cfg->async_map;
	s->cfg.request_pfc = cfg->request_pfc;
	s->cfg.request_acfc = cfg->request_acfc;
	memcpy(s->cfg.auth_order, cfg->auth_order, sizeof(s->cfg.auth_order));
	s->cfg.auth_order_len = cfg->auth_order_len;
	s->cfg.auth_max_attempts = cfg->auth_max_attempts;
	s->cfg.auth_timeout_ms = cfg->auth_timeout_ms;
	s->cfg.restart_ms = cfg->restart_ms;
	s->cfg.max_configure = cfg->max_configure;
	s->cfg.max_terminate = cfg->max_terminate;
	s->cfg.max_failure = cfg->max_failure;
	s->cfg.echo_interval_ms = cfg->echo_interval_ms;
	s->cfg.echo_failures = cfg->echo_failures;
	s->cfg.request_dns = cfg->request_dns;
	s->cfg.client_addr = cfg->client_addr;
	if (s->cfg.auth_order_len > 2)
		s->cfg.auth_order_len = 2;
	if (s->cfg.auth_max_attempts == 0)
		s->cfg.auth_max_attempts = 1;
	if (s->cfg.max_configure == 0)
		s->cfg.max_configure = 1;
	if (s->cfg.max_terminate == 0)
		s->cfg.max_terminate = 1;
	if (s->cfg.max_failure == 0)
		s->cfg.max_failure = 1;
	if (s->cfg.restart_ms == 0)
		s->cfg.restart_ms = 3000;
	if (s->cfg.auth_timeout_ms == 0)
		s->cfg.auth_timeout_ms = 30000;
	s->cb = *cb;
	s->owner = owner;
	s->role = role;
	s->phase = PPP_PHASE_DEAD;
	snprintf(s->ident, sizeof(s->ident), "ppp=%.*s", (int)strnlen(cfg->ident, sizeof(cfg->ident)),
		 cfg->ident);
	s->lcp_his = (struct lcp_opts){ .mru = PPP_DEFAULT_MRU, .accm = PPP_ACCM_ALL };
	if (!ppp_nego(s)) {
		free(s);
		return NULL;
	}
	s->auth_id = (uint8_t)ppp_random_magic();
	s->echo_id = 1;
	struct fsm_params p = {
		.restart_ms = s->cfg.restart_ms, .max_configure = s->cfg.max_configure,
		.max_terminate = s->cfg.max_terminate, .max_failure = s->cfg.max_failure,
	};
	fsm_init(&s->lcp, &ppp_lcp_ops, s, ppp_fsm_send, s->ident, &p);
	fsm_init(&s->ipcp, &ppp_ipcp_ops, s, ppp_fsm_send, s->ident, &p);
	return s;
}

static void ppp_tx_detached(void *owner, const uint8_t *raw, size_t len)
{
}

void ppp_session_destroy(struct ppp_session *s)
{
	if (!s)
		return;
	if (s->depth == 0) {
		free(s->nego);
		free(s);
		return;
	}
	/* On the stack: detach the owner now, free on the way out. */
	s->destroy_pending = true;
	s->handed_off = true;           /* every later call is a no-op */
	s->cb = (struct ppp_callbacks){ .tx = ppp_tx_detached };
	s->owner = NULL;
}

/* Every public call that can run callbacks is bracketed by enter/leave: the
 * outermost leave acts on what option handlers flagged (lcp_fatal) and
 * reports `down`, last, so the owner may free the session inside it. */
static void session_enter(struct ppp_session *s)
{
	s->depth++;
}

static void session_leave(struct ppp_session *s, uint64_t now)
{
	if (s->depth > 1) {
		s->depth--;
		return;
	}
	while (s->lcp_fatal && !s->handed_off && !s->down_reported) {
		const char *reason = s->lcp_fatal;
		s->lcp_fatal = NULL;
		ppp_set_down_reason(s, s->lcp_fatal_cause, reason);
		log_debug("%s event=closing reason=\"%s\"", s->ident, reason);
		ppp_set_phase(s, PPP_PHASE_TERMINATE);
		fsm_close(&s->lcp, reason, now);
	}
	s->lcp_fatal = NULL;
	if (s->down_pending && !s->down_reported && !s->handed_off) {
		s->down_reported = true;
		if (log_get_level() <= LOG_LVL_DEBUG) {
			char why[ESCAPE_FIELD_MAX];
			log_debug("%s event=down cause=%s reason=%s", s->ident, ppp_down_cause_str(s->down_cause),
				  escape_str(why, sizeof(why), s->down_reason));
		}
		/* depth stays 1: a destroy from inside `down` waits for us */
		if (s->cb.down)
			s->cb.down(s->owner, s->down_cause, s->down_reason);
	}
	s->depth = 0;
	if (s->destroy_pending) {
		free(s->nego);
		free(s);
		return;
	}
	/* Established: what only negotiation needed goes (struct ppp_nego). */
	if (s->phase == PPP_PHASE_NETWORK && s->nego) {
		free(s->nego);
		s->nego = NULL;
	}
}

struct ppp_nego *ppp_nego(struct ppp_session *s)
{
	if (!s->nego) {
		s->nego = calloc(1, sizeof(*s->nego));
		if (s->nego)
			s->nego->proxy.peer_mru = PPP_DEFAULT_MRU;
	}
	return s->nego;
}

static bool session_dead(const struct ppp_session *s)
{
	return s->handed_off || s->down_reported;
}

void ppp_session_lower_up(struct ppp_session *s, uint64_t now)
{
	if (session_dead(s))
		return;
	session_enter(s);
	s->lower_is_up = true;
	fsm_open(&s->lcp, now);
	fsm_up(&s->lcp, now);
	session_leave(s, now);
}

void ppp_session_lower_down(struct ppp_session *s, uint64_t now)
{
	if (session_dead(s))
		return;
	session_enter(s);
	s->lower_is_up = false;
	ppp_set_down_reason(s, PPP_DOWN_LOWER_DOWN, "lower layer down");
	fsm_down(&s->lcp, now);
	ppp_set_phase(s, PPP_PHASE_DEAD);
	s->down_pending = true;
	session_leave(s, now);
}

/* The peer sent an LCP Terminate-Request: keep its reason for `down`. A
 * client waiting for the verdict on its credentials takes it as the refusal
 * it is (an LNS such as l2tpns terminates instead of sending CHAP Failure). */
static void session_peer_terminates(struct ppp_session *s, const uint8_t *pkt, size_t len,
				    uint64_t now)
{
	char text[128];
	size_t plen = (size_t)pkt[2] << 8 | pkt[3];
	size_t tlen = plen >= 4 && plen <= len ? plen - 4 : 0;
	if (tlen > sizeof(text) - 1)
		tlen = sizeof(text) - 1;
	for (size_t i = 0; i < tlen; i++)
		text[i] = (pkt[4 + i] >= 0x20 && pkt[4 + i] < 0x7f) ? (char)pkt[4 + i] : '.';
	text[tlen] = '\0';
	if (s->role == PPP_ROLE_CLIENT &&
	    (s->auth_state == AUTH_RESPONSE_SENT || s->auth_state == AUTH_REQUEST_SENT)) {
		struct ppp_nego *n = ppp_nego(s);
		if (n) {
			snprintf(n->auth_rx_msg, sizeof(n->auth_rx_msg),
				 "terminated by peer during authentication%s%s", tlen ? ": " : "", text);
			ppp_auth_dispatch(s, AUTH_EV_PEER_TERMINATE, now);
			return;
		}
	}
	if (fsm_is_opened(&s->lcp) || s->lcp.state == FSM_ACK_SENT ||
	    s->lcp.state == FSM_ACK_RCVD || s->lcp.state == FSM_REQ_SENT) {
		char r[sizeof(text) + 32];
		snprintf(r, sizeof(r), "terminated by peer%s%s", tlen ? ": " : "", text);
		ppp_set_down_reason(s, PPP_DOWN_PEER_TERMINATE, r);
	}
}

static void session_demux(struct ppp_session *s, uint16_t proto, const uint8_t *info,
			  size_t len, uint64_t now)
{
	if (proto == PPP_PROTO_LCP) {
		if (len >= 4 && info[0] == FSM_CODE_TERMREQ)
			session_peer_terminates(s, info, len, now);
		fsm_input(&s->lcp, info, len, now);
		return;
	}
	/* RFC 1661 3.4-3.6: anything but LCP before LCP is opened is discarded;
	 * anything but authentication until the Network phase. */
	if (!fsm_is_opened(&s->lcp))
		return;
	switch (proto) {
	case PPP_PROTO_CHAP:
		ppp_chap_input(s, info, len, now);
		return;
	case PPP_PROTO_PAP:
		ppp_pap_input(s, info, len, now);
		return;
	case PPP_PROTO_IPCP:
		if (s->phase == PPP_PHASE_NETWORK)
			fsm_input(&s->ipcp, info, len, now);
		return;
	case PPP_PROTO_IP:
		if (fsm_is_opened(&s->ipcp) && s->cb.ip_rx)
			s->cb.ip_rx(s->owner, info, len);
		return;
	default:
		/* RFC 1661 5.7: unknown or unsupported protocols (IPV6CP, CCP...) */
		if (s->phase != PPP_PHASE_NETWORK)
			return; /* RFC 1661 3.5: discarded while authenticating */
		ppp_lcp_send_protrej(s, proto, info, len);
		return;
	}
}

void ppp_session_input(struct ppp_session *s, const uint8_t *raw, size_t len, uint64_t now)
{
	uint16_t proto;
	const uint8_t *info;
	size_t info_len;
	if (session_dead(s))
		return;
	if (ppp_frame_parse(raw, len, &proto, &info, &info_len) < 0) {
		log_peer("%s event=bad_frame len=%zu outcome=dropped", s->ident, len);
		return;
	}
	session_enter(s);
	session_demux(s, proto, info, info_len, now);
	session_leave(s, now);
}

uint64_t ppp_session_next_timeout(const struct ppp_session *s)
{
	if (session_dead(s))
		return 0;
	uint64_t t[4] = { s->lcp.timer_at, s->ipcp.timer_at, s->auth_at, s->echo_at };
	uint64_t best = 0;
	for (size_t i = 0; i < 4; i++)
		if (t[i] && (!best || t[i] < best))
			best = t[i];
	return best;
}

void ppp_session_timeout(struct ppp_session *s, uint64_t now)
{
	if (session_dead(s))
		return;
	session_enter(s);
	fsm_timeout(&s->lcp, now);
	fsm_timeout(&s->ipcp, now);
	ppp_auth_timeout(s, now);
	ppp_lcp_echo_timeout(s, now);
	session_leave(s, now);
}

void ppp_session_close(struct ppp_session *s, const char *reason, uint64_t now)
{
	if (session_dead(s))
		return;
	session_enter(s);
	ppp_set_down_reason(s, PPP_DOWN_LOCAL_CLOSE, reason ? reason : "closed");
	log_debug("%s event=closing reason=\"%s\"", s->ident, reason ? reason : "closed");
	s->auth_at = 0;
	s->echo_at = 0;
	ppp_set_phase(s, PPP_PHASE_TERMINATE);
	fsm_close(&s->lcp, reason, now);
	session_leave(s, now);
}

void ppp_session_set_ipcp(struct ppp_session *s, struct in_addr local, struct in_addr peer,
			  struct in_addr dns1, struct in_addr dns2)
{
	s->cfg_local = local;
	s->cfg_peer = peer;
	s->cfg_dns1 = dns1;
	s->cfg_dns2 = dns2;
}

void ppp_session_auth_result(struct ppp_session *s, bool accept, const char *message,
			     uint64_t now)
{
	if (session_dead(s) || s->role != PPP_ROLE_AUTHENTICATOR ||
	    s->auth_state != AUTH_PENDING)
		return;
	session_enter(s);
	ppp_auth_result(s, accept, message, now);
	session_leave(s, now);
}

int ppp_session_get_proxy(const struct ppp_session *s, struct ppp_proxy_info *proxy)
{
	if (s->role != PPP_ROLE_AUTHENTICATOR || !s->nego || s->nego->auth_req.type == PPP_AUTH_NONE ||
	    s->auth_state == AUTH_CHALLENGE_SENT || s->auth_state == AUTH_WAIT_REQUEST)
		return -1;
	*proxy = s->nego->proxy;
	proxy->auth = s->nego->auth_req;
	return 0;
}

int ppp_session_handoff(struct ppp_session *s, struct ppp_proxy_info *proxy)
{
	if (s->handed_off || ppp_session_get_proxy(s, proxy) < 0)
		return -1;
	if (log_get_level() <= LOG_LVL_DEBUG) {
		char user[ESCAPE_FIELD_MAX];
		escape_bytes(user, sizeof(user), proxy->auth.name, proxy->auth.name_len);
		log_debug("%s event=handoff user=%s auth=%s", s->ident, user, ppp_auth_type_str(proxy->auth.type));
	}
	s->handed_off = true;
	s->phase = PPP_PHASE_HANDED_OFF;
	s->lcp.timer_at = 0;
	s->ipcp.timer_at = 0;
	s->auth_at = 0;
	s->echo_at = 0;
	s->lcp_fatal = NULL;
	return 0;
}

int ppp_session_send_ip(struct ppp_session *s, const uint8_t *pkt, size_t len)
{
	size_t peer_mru = s->lcp_his.mru_on ? s->lcp_his.mru : PPP_DEFAULT_MRU;
	if (session_dead(s) || !fsm_is_opened(&s->ipcp) || len > peer_mru ||
	    len + 4 > PPP_FRAME_MAX)
		return -1;
	ppp_send_proto(s, PPP_PROTO_IP, pkt, len);
	return 0;
}

enum ppp_phase ppp_session_phase(const struct ppp_session *s)
{
	return s->phase;
}

bool ppp_session_lcp_opened(const struct ppp_session *s)
{
	return fsm_is_opened(&s->lcp);
}

bool ppp_session_ipcp_opened(const struct ppp_session *s)
{
	return fsm_is_opened(&s->ipcp);
}

const struct ppp_ip_info *ppp_session_ip_info(const struct ppp_session *s)
{
	return &s->ip;
}

uint32_t ppp_session_tx_accm(const struct ppp_session *s)
{
	return fsm_is_opened(&s->lcp) ? s->lcp_his.accm : PPP_ACCM_ALL;
}
