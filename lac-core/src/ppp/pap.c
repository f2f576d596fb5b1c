/* PAP (RFC 1334 2), both roles.
 *
 * Authenticate-Request = code 1, id, length, peer-id-length, peer-id,
 * passwd-length, password; Ack (2) / Nak (3) = code, id, length, msg-length,
 * message. */
#include <stdio.h>
#include <string.h>

#include "ppp/ppp_priv.h"
#include "util/log.h"

enum { PAP_REQUEST = 1, PAP_ACK = 2, PAP_NAK = 3 };

static void pap_send_verdict(struct ppp_session *s, uint8_t code)
{
	uint8_t pkt[5 + PPP_MESSAGE_MAX];
	size_t mlen = strlen(s->auth_msg);
	pkt[0] = code;
	pkt[1] = s->auth_id;
	put_be16(pkt + 2, (uint16_t)(5 + mlen));
	pkt[4] = (uint8_t)mlen;
	memcpy(pkt + 5, s->auth_msg, mlen);
	ppp_send_proto(s, PPP_PROTO_PAP, pkt, 5 + mlen);
}

static void pap_send_request(struct ppp_session *s)
{
	uint8_t pkt[6 + PPP_NAME_MAX + PPP_RESPONSE_MAX];
	size_t ulen = strlen(s->cfg.user), plen = strlen(s->cfg.password);
	size_t n = 4;
	pkt[n++] = (uint8_t)ulen;
	memcpy(pkt + n, s->cfg.user, ulen);
	n += ulen;
	pkt[n++] = (uint8_t)plen;
	memcpy(pkt + n, s->cfg.password, plen);
	n += plen;
	pkt[0] = PAP_REQUEST;
	pkt[1] = s->auth_id;
	put_be16(pkt + 2, (uint16_t)n);
	ppp_send_proto(s, PPP_PROTO_PAP, pkt, n);
}

void ppp_pap_start(struct ppp_session *s, uint64_t now)
{
	if (s->role == PPP_ROLE_AUTHENTICATOR) {
		memset(&s->auth_req, 0, sizeof(s->auth_req));
		ppp_auth_set_state(s, AUTH_WAIT_REQUEST);
		s->auth_at = now + s->cfg.auth_timeout_ms;
		return;
	}
	s->auth_id++;
	s->auth_tx_count = 1;
	ppp_auth_set_state(s, AUTH_REQUEST_SENT);
	pap_send_request(s);
	s->auth_at = now + s->cfg.restart_ms;
}

void ppp_pap_timeout(struct ppp_session *s, uint64_t now)
{
	/* RFC 1334 2.1: the client retransmits until it gets an answer. */
	if (s->auth_state == AUTH_REQUEST_SENT && s->auth_tx_count < s->cfg.max_configure) {
		s->auth_tx_count++;
		pap_send_request(s);
		s->auth_at = now + s->cfg.restart_ms;
		return;
	}
	s->auth_at = 0;
	log_info("%s event=auth_timeout auth=pap state=%s", s->ident,
		 ppp_auth_state_str(s->auth_state));
	s->lcp_fatal = "authentication timeout";
}

static void pap_rcv_request(struct ppp_session *s, uint8_t id, const uint8_t *data, size_t len,
			    uint64_t now)
{
	if (s->auth_state == AUTH_SUCCEEDED && id == s->auth_id) {
		pap_send_verdict(s, PAP_ACK);   /* our Ack was lost */
		return;
	}
	if (s->auth_state != AUTH_WAIT_REQUEST) {
		log_peer("%s proto=pap event=request_ignored id=%u state=%s", s->ident, id,
			 ppp_auth_state_str(s->auth_state));
		return;
	}
	if (len < 1 || (size_t)data[0] + 2 > len ||
	    (size_t)data[0] + 2 + data[data[0] + 1] > len) {
		log_peer("%s proto=pap event=request_malformed", s->ident);
		return;
	}
	size_t ulen = data[0];
	size_t plen = data[ulen + 1];
	memset(&s->auth_req, 0, sizeof(s->auth_req));
	s->auth_req.type = PPP_AUTH_PAP;
	memcpy(s->auth_req.name, data + 1, ulen);
	s->auth_req.name[ulen] = '\0';
	s->auth_req.name_len = ulen;
	memcpy(s->auth_req.response, data + ulen + 2, plen);
	s->auth_req.response_len = plen;
	s->auth_req.chap_id = id;
	s->auth_id = id;
	s->auth_at = 0;
	ppp_auth_set_state(s, AUTH_PENDING);
	if (s->cb.auth_request)
		s->cb.auth_request(s->owner, &s->auth_req);
}

void ppp_pap_result(struct ppp_session *s, bool accept, const char *message, uint64_t now)
{
	snprintf(s->auth_msg, sizeof(s->auth_msg), "%s", message ? message : "");
	pap_send_verdict(s, accept ? PAP_ACK : PAP_NAK);
	if (accept) {
		ppp_auth_set_state(s, AUTH_SUCCEEDED);
		ppp_auth_finished(s, true, now);
		return;
	}
	s->auth_failures++;
	if (s->auth_failures < s->cfg.auth_max_attempts) {
		ppp_pap_start(s, now);
		return;
	}
	ppp_auth_set_state(s, AUTH_FAILED);
	ppp_auth_finished(s, false, now);
}

static void pap_rcv_verdict(struct ppp_session *s, uint8_t code, uint8_t id,
			    const uint8_t *data, size_t len, uint64_t now)
{
	if (s->auth_state != AUTH_REQUEST_SENT || id != s->auth_id) {
		log_peer("%s proto=pap event=verdict_ignored code=%u id=%u state=%s", s->ident,
			 code, id, ppp_auth_state_str(s->auth_state));
		return;
	}
	size_t mlen = 0;
	if (len >= 1 && (size_t)data[0] + 1 <= len)
		mlen = data[0];
	memcpy(s->auth_msg, data + 1, mlen);
	s->auth_msg[mlen] = '\0';
	s->auth_at = 0;
	bool ok = code == PAP_ACK;
	ppp_auth_set_state(s, ok ? AUTH_SUCCEEDED : AUTH_FAILED);
	if (s->cb.auth_result)
		s->cb.auth_result(s->owner, ok, s->auth_msg);
	ppp_auth_finished(s, ok, now);
}

void ppp_pap_input(struct ppp_session *s, const uint8_t *pkt, size_t len, uint64_t now)
{
	if (len < 4 || get_be16(pkt + 2) < 4 || get_be16(pkt + 2) > len) {
		log_peer("%s proto=pap event=malformed len=%zu", s->ident, len);
		return;
	}
	size_t plen = get_be16(pkt + 2);
	uint8_t code = pkt[0], id = pkt[1];
	if (s->role == PPP_ROLE_AUTHENTICATOR && code == PAP_REQUEST)
		pap_rcv_request(s, id, pkt + 4, plen - 4, now);
	else if (s->role == PPP_ROLE_CLIENT && (code == PAP_ACK || code == PAP_NAK))
		pap_rcv_verdict(s, code, id, pkt + 4, plen - 4, now);
	else
		log_peer("%s proto=pap event=unexpected_code code=%u", s->ident, code);
}
