/* LCP (RFC 1661 5-6, RFC 1662 7.1, RFC 1994 3, RFC 1334 2.2): the option
 * handlers plugged into the shared automaton, keepalive and Protocol-Reject. */
#include <string.h>

#include "ppp/ppp_priv.h"
#include "util/log.h"

static struct ppp_session *lcp_session(struct fsm *f)
{
	return f->ctx;
}

static void lcp_reset(struct fsm *f)
{
	struct ppp_session *s = lcp_session(f);
	struct lcp_opts *w = &s->lcp_want;
	memset(w, 0, sizeof(*w));
	if (s->cfg.mru && s->cfg.mru != PPP_DEFAULT_MRU) {
		w->mru_on = true;
		w->mru = s->cfg.mru;
	}
	if (s->cfg.async_map) {
		w->accm_on = true;
		w->accm = 0;
	}
	if (s->role == PPP_ROLE_AUTHENTICATOR) {
		s->auth_tried = 0;
		s->auth_order_idx = 0;
		w->auth = s->cfg.auth_order_len ? s->cfg.auth_order[0] : PPP_AUTH_NONE;
	}
	w->magic_on = true;
	w->magic = ppp_random_magic();
	w->pfc = s->cfg.request_pfc;
	w->acfc = s->cfg.request_acfc && !s->cfg.no_addr_ctl;
	s->loopback_count = 0;
}

static size_t put_auth(uint8_t *p, enum ppp_auth_type auth)
{
	p[0] = LCP_OPT_AUTH;
	if (auth == PPP_AUTH_CHAP) {
		p[1] = 5;
		be16_put(p + 2, PPP_PROTO_CHAP);
		p[4] = CHAP_ALG_MD5;
		return 5;
	}
	p[1] = 4;
	be16_put(p + 2, PPP_PROTO_PAP);
	return 4;
}

static size_t lcp_build_req(struct fsm *f, uint8_t *buf, size_t cap)
{
	struct ppp_session *s = lcp_session(f);
	const struct lcp_opts *w = &s->lcp_want;
	size_t n = 0;
	/* 24 octets at most: always fits FSM_OPTS_MAX */
	(void)cap;
	if (w->mru_on) {
		buf[n] = LCP_OPT_MRU;
		buf[n + 1] = 4;
		be16_put(buf + n + 2, w->mru);
		n += 4;
	}
	if (w->accm_on) {
		buf[n] = LCP_OPT_ACCM;
		buf[n + 1] = 6;
		be32_put(buf + n + 2, w->accm);
		n += 6;
	}
	if (w->auth != PPP_AUTH_NONE)
		n += put_auth(buf + n, w->auth);
	if (w->magic_on) {
		buf[n] = LCP_OPT_MAGIC;
		buf[n + 1] = 6;
		be32_put(buf + n + 2, w->magic);
		n += 6;
	}
	if (w->pfc) {
		buf[n] = LCP_OPT_PFC;
		buf[n + 1] = 2;
		n += 2;
	}
	if (w->acfc) {
		buf[n] = LCP_OPT_ACFC;
		buf[n + 1] = 2;
		n += 2;
	}
	return n;
}

/* Reply builder: collects Nak and Reject options separately; the reply is the
 * Reject list if any, else the Nak list, else the request itself. */
struct reply_lists {
	uint8_t nak[FSM_OPTS_MAX];
	size_t nak_len;
	uint8_t rej[FSM_OPTS_MAX];
	size_t rej_len;
};

static void reply_add(uint8_t *list, size_t *len, const uint8_t *opt, size_t olen)
{
	if (*len + olen <= FSM_OPTS_MAX) {
		memcpy(list + *len, opt, olen);
		*len += olen;
	}
}

static int reply_finish(struct reply_lists *r, const uint8_t *opts, size_t len,
			uint8_t *out, size_t cap, size_t *out_len)
{
	if (r->rej_len) {
		memcpy(out, r->rej, r->rej_len);
		*out_len = r->rej_len;
		return FSM_CODE_CONFREJ;
	}
	if (r->nak_len) {
		memcpy(out, r->nak, r->nak_len);
		*out_len = r->nak_len;
		return FSM_CODE_CONFNAK;
	}
	if (len > cap)
		return -1;
	memcpy(out, opts, len);
	*out_len = len;
	return FSM_CODE_CONFACK;
}

/* Naks opt with the suggestion in sugg, or rejects it once Max-Failure is hit. */
static void reply_nak(struct reply_lists *r, bool reject_only, const uint8_t *opt, size_t olen,
		      const uint8_t *sugg, size_t slen)
{
	if (reject_only)
		reply_add(r->rej, &r->rej_len, opt, olen);
	else
		reply_add(r->nak, &r->nak_len, sugg, slen);
}

static void record_block(uint8_t *dst, size_t *dst_len, bool *truncated, const uint8_t *src,
			 size_t len)
{
	if (len > PPP_PROXY_LCP_MAX) {
		*dst_len = 0;
		*truncated = true;
		return;
	}
	memcpy(dst, src, len);
	*dst_len = len;
}

/* Judges the peer's ConfReq (RFC 1661 5.1, 6). */
static int lcp_recv_req(struct fsm *f, const uint8_t *opts, size_t len, uint8_t *out,
			size_t cap, size_t *out_len, bool reject_only)
{
	struct ppp_session *s = lcp_session(f);
	struct reply_lists r = { .nak_len = 0, .rej_len = 0 };
	struct lcp_opts his = { .mru = PPP_DEFAULT_MRU, .accm = PPP_ACCM_ALL };
	bool looped = false;
	struct ppp_nego *n = ppp_nego(s);

	if (!n)
		return -1;      /* dropped: memory is short */
	if (!n->initial_recorded) {
		n->initial_recorded = true;
		record_block(n->proxy.initial_rcvd_confreq, &n->proxy.initial_rcvd_len,
			     &n->proxy.truncated, opts, len);
	}
	for (size_t off = 0; off < len;) {
		int olen = fsm_opt_len(opts + off, len - off);
		if (olen < 0)
			return -1;
		const uint8_t *o = opts + off;
		off += (size_t)olen;
		uint8_t sugg[8];
		switch (o[0]) {
		case LCP_OPT_MRU:
			if (olen != 4)
				return -1;
			his.mru_on = true;
			his.mru = be16_get(o + 2);
			if (his.mru < PPP_MIN_MRU) {
				sugg[0] = LCP_OPT_MRU;
				sugg[1] = 4;
				be16_put(sugg + 2, PPP_MIN_MRU);
				reply_nak(&r, reject_only, o, 4, sugg, 4);
			}
			break;
		case LCP_OPT_ACCM:
			if (olen != 6)
				return -1;
			his.accm_on = true;
			his.accm = be32_get(o + 2);
			break;
		case LCP_OPT_AUTH:
			if (olen < 4)
				return -1;
			if (s->role == PPP_ROLE_AUTHENTICATOR || !s->cfg.user[0]) {
				/* We authenticate the subscriber; we do not authenticate
				 * ourselves to it. */
				reply_add(r.rej, &r.rej_len, o, (size_t)olen);
				break;
			}
			if (be16_get(o + 2) == PPP_PROTO_CHAP && olen == 5 && o[4] == CHAP_ALG_MD5) {
				his.auth = PPP_AUTH_CHAP;
			} else if (be16_get(o + 2) == PPP_PROTO_PAP && olen == 4) {
				his.auth = PPP_AUTH_PAP;
			} else {
				size_t sl = put_auth(sugg, PPP_AUTH_CHAP);
				reply_nak(&r, reject_only, o, (size_t)olen, sugg, sl);
			}
			break;
		case LCP_OPT_MAGIC:
			if (olen != 6)
				return -1;
			his.magic_on = true;
			his.magic = be32_get(o + 2);
			if (s->lcp_want.magic_on && his.magic == s->lcp_want.magic) {
				/* RFC 1661 6.4: maybe looped back. Nak with another value and
				 * pick a new one of our own; persistent equality is a loop. */
				s->loopback_count++;
				looped = true;
				log_peer("%s proto=lcp event=magic_collision count=%u", s->ident,
					 s->loopback_count);
				if (s->loopback_count >= s->cfg.max_failure)
					ppp_fatal(s, PPP_DOWN_NEGOTIATION_FAILED, "loopback detected");
				s->lcp_want.magic = ppp_random_magic();
				sugg[0] = LCP_OPT_MAGIC;
				sugg[1] = 6;
				be32_put(sugg + 2, ppp_random_magic());
				r.nak_len = 0;
				reply_add(r.nak, &r.nak_len, sugg, 6);
			}
			break;
		case LCP_OPT_PFC:
			if (olen != 2)
				return -1;
			his.pfc = true;
			break;
		case LCP_OPT_ACFC:
			if (olen != 2)
				return -1;
			his.acfc = true;
			break;
		default:
			/* Quality-Protocol, MRRU, Endpoint-Discriminator, Callback, ... */
			reply_add(r.rej, &r.rej_len, o, (size_t)olen);
			break;
		}
	}
	if (looped) {
		/* RFC 1661 6.4: on a suspected loop only the Magic-Number is Naked,
		 * whatever else the (possibly our own) request holds. */
		r.rej_len = 0;
	}
	int code = reply_finish(&r, opts, len, out, cap, out_len);
	if (code == FSM_CODE_CONFACK) {
		s->lcp_his = his;
		record_block(n->peer_req, &n->peer_req_len, &n->peer_req_truncated, opts, len);
	}
	return code;
}

static int lcp_recv_ack(struct fsm *f, const uint8_t *opts, size_t len)
{
	/* RFC 1661 5.2: an Ack must repeat our options exactly. */
	if (len != f->req_len || memcmp(opts, f->req_opts, len) != 0)
		return -1;
	return 0;
}

/* The peer refused our Auth-Protocol (Nak suggesting sugg, or NONE for a
 * Reject): fall back along the configured order, never revisiting a method. */
static void lcp_auth_fallback(struct ppp_session *s, enum ppp_auth_type sugg)
{
	struct lcp_opts *w = &s->lcp_want;
	s->auth_tried |= 1u << s->auth_order_idx;
	for (unsigned i = 0; i < s->cfg.auth_order_len; i++) {
		if (s->auth_tried & (1u << i))
			continue;
		if (sugg != PPP_AUTH_NONE && s->cfg.auth_order[i] != sugg)
			continue;
		s->auth_order_idx = i;
		w->auth = s->cfg.auth_order[i];
		log_debug("%s proto=lcp event=auth_fallback auth=%s", s->ident,
			 ppp_auth_type_str(w->auth));
		return;
	}
	if (sugg != PPP_AUTH_NONE) {
		/* Suggested method not allowed: try the next one we have anyway. */
		lcp_auth_fallback(s, PPP_AUTH_NONE);
		return;
	}
	ppp_fatal(s, PPP_DOWN_AUTH_FAILED, "peer refused authentication");
}

static int lcp_recv_nak(struct fsm *f, const uint8_t *opts, size_t len)
{
	struct ppp_session *s = lcp_session(f);
	struct lcp_opts *w = &s->lcp_want;
	for (size_t off = 0; off < len;) {
		int olen = fsm_opt_len(opts + off, len - off);
		if (olen < 0)
			return -1;
		const uint8_t *o = opts + off;
		off += (size_t)olen;
		switch (o[0]) {
		case LCP_OPT_MRU:
			if (olen == 4 && be16_get(o + 2) >= PPP_MIN_MRU) {
				w->mru_on = true;
				w->mru = be16_get(o + 2);
			}
			break;
		case LCP_OPT_ACCM:
			if (olen == 6) {
				w->accm_on = true;
				w->accm |= be32_get(o + 2);
			}
			break;
		case LCP_OPT_AUTH:
			if (s->role == PPP_ROLE_AUTHENTICATOR && olen >= 4) {
				enum ppp_auth_type sugg = PPP_AUTH_NONE;
				if (be16_get(o + 2) == PPP_PROTO_PAP)
					sugg = PPP_AUTH_PAP;
				else if (be16_get(o + 2) == PPP_PROTO_CHAP && olen == 5 &&
					 o[4] == CHAP_ALG_MD5)
					sugg = PPP_AUTH_CHAP;
				if (sugg == w->auth)
					sugg = PPP_AUTH_NONE;
				lcp_auth_fallback(s, sugg);
			}
			break;
		case LCP_OPT_MAGIC:
			w->magic_on = true;
			w->magic = ppp_random_magic();
			break;
		default:
			break;
		}
	}
	return 0;
}

static int lcp_recv_rej(struct fsm *f, const uint8_t *opts, size_t len)
{
	struct ppp_session *s = lcp_session(f);
	struct lcp_opts *w = &s->lcp_want;
	for (size_t off = 0; off < len;) {
		int olen = fsm_opt_len(opts + off, len - off);
		if (olen < 0)
			return -1;
		switch (opts[off]) {
		case LCP_OPT_MRU:
			w->mru_on = false;
			break;
		case LCP_OPT_ACCM:
			w->accm_on = false;
			break;
		case LCP_OPT_AUTH:
			if (s->role == PPP_ROLE_AUTHENTICATOR) {
				s->auth_tried = ~0u;
				ppp_fatal(s, PPP_DOWN_AUTH_FAILED, "peer refused authentication");
			}
			break;
		case LCP_OPT_MAGIC:
			w->magic_on = false;
			break;
		case LCP_OPT_PFC:
			w->pfc = false;
			break;
		case LCP_OPT_ACFC:
			w->acfc = false;
			break;
		default:
			break;
		}
		off += (size_t)olen;
	}
	return 0;
}

/* This-Layer-Up: record the successful negotiation and move on to the
 * Authenticate phase (RFC 1661 3.5). */
static void lcp_up(struct fsm *f, uint64_t now)
{
	struct ppp_session *s = lcp_session(f);
	struct ppp_nego *n = ppp_nego(s);
	if (n) {
		record_block(n->proxy.last_sent_confreq, &n->proxy.last_sent_len, &n->proxy.truncated,
			     f->req_opts, f->req_len);
		if (n->peer_req_truncated)
			n->proxy.truncated = true;
		memcpy(n->proxy.last_rcvd_confreq, n->peer_req, n->peer_req_len);
		n->proxy.last_rcvd_len = n->peer_req_len;
		n->proxy.peer_mru = s->lcp_his.mru_on ? s->lcp_his.mru : PPP_DEFAULT_MRU;
		n->proxy.peer_magic = s->lcp_his.magic_on ? s->lcp_his.magic : 0;
		n->proxy.our_magic = s->lcp_want.magic_on ? s->lcp_want.magic : 0;
	}
	log_debug("%s event=lcp_up mru=%u peer_mru=%u auth=%s pfc=%d acfc=%d", s->ident,
		 s->lcp_want.mru_on ? s->lcp_want.mru : PPP_DEFAULT_MRU,
		 s->lcp_his.mru_on ? s->lcp_his.mru : PPP_DEFAULT_MRU,
		 ppp_auth_type_str(s->role == PPP_ROLE_AUTHENTICATOR ? s->lcp_want.auth :
				   s->lcp_his.auth),
		 s->lcp_his.pfc, s->lcp_his.acfc);
	s->echo_outstanding = 0;
	s->echo_at = s->cfg.echo_interval_ms ? now + s->cfg.echo_interval_ms : 0;

	enum ppp_auth_type auth = s->role == PPP_ROLE_AUTHENTICATOR ? s->lcp_want.auth :
				  s->lcp_his.auth;
	s->auth_type = auth;
	if (auth == PPP_AUTH_NONE) {
		ppp_enter_network(s, now);
		return;
	}
	ppp_set_phase(s, PPP_PHASE_AUTHENTICATE);
	ppp_auth_start(s, auth, now);
}

/* This-Layer-Down: LCP left Opened (renegotiation, Terminate, lower down).
 * Everything above LCP restarts from scratch (RFC 1661 3.7). */
static void lcp_down(struct fsm *f, uint64_t now)
{
	struct ppp_session *s = lcp_session(f);
	log_debug("%s event=lcp_down", s->ident);
	s->echo_at = 0;
	ppp_auth_reset(s);
	if (s->ipcp.state != FSM_INITIAL && s->ipcp.state != FSM_STARTING)
		fsm_down(&s->ipcp, now);
	/* lcp_his stays: on RCR+ in Opened it already holds the request just
	 * acked (RFC 1661 4.1: tld, scr, sca), and any later Ack replaces it. */
	ppp_set_phase(s, PPP_PHASE_ESTABLISH);
}

static void lcp_started(struct fsm *f, uint64_t now)
{
	struct ppp_session *s = lcp_session(f);
	ppp_set_phase(s, PPP_PHASE_ESTABLISH);
}

/* This-Layer-Finished: the link is over (RFC 1661 3.7, 4.4 tlf). */
static void lcp_finished(struct fsm *f, uint64_t now)
{
	struct ppp_session *s = lcp_session(f);
	ppp_set_phase(s, PPP_PHASE_DEAD);
	ppp_set_down_reason(s, PPP_DOWN_NEGOTIATION_FAILED, "lcp finished");
	s->down_pending = true;
}

void ppp_lcp_send_protrej(struct ppp_session *s, uint16_t proto, const uint8_t *info,
			  size_t len)
{
	uint8_t data[FSM_OPTS_MAX];
	size_t max = s->lcp_his.mru_on ? s->lcp_his.mru : PPP_DEFAULT_MRU;
	/* RFC 1661 5.7: the rejected protocol and as much of the information as
	 * fits the peer's MRU. */
	if (max > sizeof(data))
		max = sizeof(data);
	max -= 4 + 2;
	if (len > max)
		len = max;
	be16_put(data, proto);
	memcpy(data + 2, info, len);
	log_peer("%s proto=lcp event=protocol_reject rejected=0x%04x", s->ident, proto);
	fsm_send(&s->lcp, FSM_CODE_PROTREJ, s->lcp.next_id++, data, len + 2);
}

void ppp_lcp_echo_timeout(struct ppp_session *s, uint64_t now)
{
	if (!s->echo_at || s->echo_at > now)
		return;
	if (!fsm_is_opened(&s->lcp)) {
		s->echo_at = 0;
		return;
	}
	if (s->echo_outstanding >= s->cfg.echo_failures) {
		/* Dead peer: nobody would answer a Terminate-Request either, so the
		 * link is treated as lost at once (RFC 1661 5.8 leaves the policy to us). */
		log_debug("%s event=echo_timeout unanswered=%u", s->ident, s->echo_outstanding);
		s->echo_at = 0;
		ppp_set_down_reason(s, PPP_DOWN_ECHO_TIMEOUT, "echo timeout");
		fsm_down(&s->lcp, now);
		ppp_set_phase(s, PPP_PHASE_DEAD);
		s->down_pending = true;
		return;
	}
	uint8_t data[4];
	be32_put(data, s->lcp_want.magic_on ? s->lcp_want.magic : 0);
	fsm_send(&s->lcp, FSM_CODE_ECHOREQ, s->echo_id++, data, sizeof(data));
	s->echo_outstanding++;
	s->echo_at = now + s->cfg.echo_interval_ms;
}

/* LCP codes 8-11 (RFC 1661 5.7-5.9), only meaningful in Opened. */
static bool lcp_other_code(struct fsm *f, uint8_t code, uint8_t id, const uint8_t *data,
			   size_t len, uint64_t now)
{
	struct ppp_session *s = lcp_session(f);
	if (code < FSM_CODE_PROTREJ || code > FSM_CODE_DISCREQ)
		return false;
	if (!fsm_is_opened(f))
		return true;    /* silently discarded outside Opened */
	uint32_t our_magic = s->lcp_want.magic_on ? s->lcp_want.magic : 0;
	switch (code) {
	case FSM_CODE_PROTREJ:
		if (len < 2)
			return true;
		switch (be16_get(data)) {
		case PPP_PROTO_LCP:
			fsm_reject_fatal(&s->lcp, now);
			break;
		case PPP_PROTO_IPCP:
			fsm_reject_fatal(&s->ipcp, now);
			break;
		case PPP_PROTO_CHAP:
		case PPP_PROTO_PAP:
			ppp_fatal(s, PPP_DOWN_AUTH_FAILED, "peer rejected authentication protocol");
			break;
		default:
			log_peer("%s proto=lcp event=protocol_rejected proto=0x%04x", s->ident,
				 be16_get(data));
			break;
		}
		break;
	case FSM_CODE_ECHOREQ: {
		uint8_t reply[FSM_OPTS_MAX];
		if (len < 4)
			return true;
		if (our_magic && be32_get(data) == our_magic) {
			log_peer("%s proto=lcp event=echo_loopback", s->ident);
			return true;
		}
		size_t rlen = len > sizeof(reply) ? sizeof(reply) : len;
		memcpy(reply, data, rlen);
		be32_put(reply, our_magic);
		fsm_send(f, FSM_CODE_ECHOREP, id, reply, rlen);
		break;
	}
	case FSM_CODE_ECHOREP:
		if (len >= 4 && our_magic && be32_get(data) == our_magic) {
			log_peer("%s proto=lcp event=echo_loopback", s->ident);
			return true;
		}
		s->echo_outstanding = 0;
		break;
	default:        /* Discard-Request */
		break;
	}
	return true;
}

const struct fsm_ops ppp_lcp_ops = {
	.name = "lcp",
	.proto = PPP_PROTO_LCP,
	.reset = lcp_reset,
	.build_req = lcp_build_req,
	.recv_req = lcp_recv_req,
	.recv_ack = lcp_recv_ack,
	.recv_nak = lcp_recv_nak,
	.recv_rej = lcp_recv_rej,
	.up = lcp_up,
	.down = lcp_down,
	.started = lcp_started,
	.finished = lcp_finished,
	.other_code = lcp_other_code,
};
