/* PAP (RFC 1334 2), both roles: packet codec and the PAP state table run by
 * auth.c's dispatcher.
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
	be16_put(pkt + 2, (uint16_t)(5 + mlen));
	pkt[4] = (uint8_t)mlen;
	memcpy(pkt + 5, s->auth_msg, mlen);
	ppp_send_proto(s, PPP_PROTO_PAP, pkt, 5 + mlen);
}

static void pap_send_request(struct ppp_session *s, uint64_t now)
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
	be16_put(pkt + 2, (uint16_t)n);
	ppp_send_proto(s, PPP_PROTO_PAP, pkt, n);
	s->auth_at = now + s->cfg.restart_ms;
}

/* ---- actions ---- */

/* Authenticator: the peer speaks first (RFC 1334 2.1); wait for it. */
static void pap_act_wait_request(struct ppp_session *s, uint64_t now)
{
	s->auth_tx_left = 0;
	s->auth_at = now + s->cfg.auth_timeout_ms;
}

static void pap_act_ack(struct ppp_session *s, uint64_t now)
{
	pap_send_verdict(s, PAP_ACK);
	ppp_auth_finished(s, true, now);
}

/* Our Ack was lost and the peer repeats its request. */
static void pap_act_resend_ack(struct ppp_session *s, uint64_t now)
{
	pap_send_verdict(s, PAP_ACK);
}

static void pap_act_nak_wait(struct ppp_session *s, uint64_t now)
{
	pap_send_verdict(s, PAP_NAK);
	s->auth_failures++;
	pap_act_wait_request(s, now);
}

static void pap_act_nak_final(struct ppp_session *s, uint64_t now)
{
	pap_send_verdict(s, PAP_NAK);
	s->auth_failures++;
	ppp_auth_finished(s, false, now);
}

/* Client: send the credentials, retransmitted until answered (RFC 1334 2.1). */
static void pap_act_send_request(struct ppp_session *s, uint64_t now)
{
	s->auth_id++;
	s->auth_tx_left = s->cfg.max_configure - 1;
	pap_send_request(s, now);
}

static void pap_act_resend_request(struct ppp_session *s, uint64_t now)
{
	s->auth_tx_left--;
	pap_send_request(s, now);
}

/* RFC 1334 2: PAP in both roles. Rows omitted (a request while the owner
 * decides, an Ack/Nak we did not ask for) are ignored. */
const struct ppp_auth_row ppp_pap_table[] = {
	{ PPP_ROLE_AUTHENTICATOR, AUTH_IDLE, AUTH_EV_START, pap_act_wait_request, AUTH_WAIT_REQUEST },
	{ PPP_ROLE_AUTHENTICATOR, AUTH_WAIT_REQUEST, AUTH_EV_TIMEOUT_GIVE_UP, ppp_auth_act_give_up, AUTH_FAILED },
	{ PPP_ROLE_AUTHENTICATOR, AUTH_WAIT_REQUEST, AUTH_EV_RX_CREDENTIALS, ppp_auth_act_ask_owner, AUTH_PENDING },
	{ PPP_ROLE_AUTHENTICATOR, AUTH_PENDING, AUTH_EV_ACCEPT, pap_act_ack, AUTH_SUCCEEDED },
	{ PPP_ROLE_AUTHENTICATOR, AUTH_PENDING, AUTH_EV_REJECT_RETRY, pap_act_nak_wait, AUTH_WAIT_REQUEST },
	{ PPP_ROLE_AUTHENTICATOR, AUTH_PENDING, AUTH_EV_REJECT_FINAL, pap_act_nak_final, AUTH_FAILED },
	{ PPP_ROLE_AUTHENTICATOR, AUTH_SUCCEEDED, AUTH_EV_RX_CREDENTIALS, pap_act_resend_ack, AUTH_SUCCEEDED },

	{ PPP_ROLE_CLIENT, AUTH_IDLE, AUTH_EV_START, pap_act_send_request, AUTH_REQUEST_SENT },
	{ PPP_ROLE_CLIENT, AUTH_REQUEST_SENT, AUTH_EV_TIMEOUT_RETRY, pap_act_resend_request, AUTH_REQUEST_SENT },
	{ PPP_ROLE_CLIENT, AUTH_REQUEST_SENT, AUTH_EV_TIMEOUT_GIVE_UP, ppp_auth_act_give_up, AUTH_FAILED },
	{ PPP_ROLE_CLIENT, AUTH_REQUEST_SENT, AUTH_EV_RX_SUCCESS, ppp_auth_act_client_success, AUTH_SUCCEEDED },
	{ PPP_ROLE_CLIENT, AUTH_REQUEST_SENT, AUTH_EV_RX_FAILURE, ppp_auth_act_client_failure, AUTH_FAILED },
	{ PPP_ROLE_CLIENT, AUTH_REQUEST_SENT, AUTH_EV_PEER_TERMINATE, ppp_auth_act_client_terminated, AUTH_FAILED },
};
const size_t ppp_pap_table_len = sizeof(ppp_pap_table) / sizeof(ppp_pap_table[0]);

/* ---- input ---- */

static void pap_rcv_request(struct ppp_session *s, uint8_t id, const uint8_t *data, size_t len,
			    uint64_t now)
{
	if (len < 1 || (size_t)data[0] + 2 > len ||
	    (size_t)data[0] + 2 + data[data[0] + 1] > len) {
		log_peer("%s proto=pap event=request_malformed", s->ident);
		return;
	}
	if (s->auth_state == AUTH_SUCCEEDED && id != s->auth_id) {
		log_peer("%s proto=pap event=request_stale id=%u", s->ident, id);
		return;
	}
	size_t ulen = data[0];
	size_t plen = data[ulen + 1];
	struct ppp_nego *n = ppp_nego(s);
	if (!n)
		return;
	struct ppp_auth_request *r = &n->auth_rx;
	memset(r, 0, sizeof(*r));
	r->type = PPP_AUTH_PAP;
	memcpy(r->name, data + 1, ulen);
	r->name[ulen] = '\0';
	r->name_len = ulen;
	memcpy(r->response, data + ulen + 2, plen);
	r->response_len = plen;
	r->chap_id = id;
	/* PAP's Identifier is the peer's: the verdict echoes the request's */
	if (s->auth_state == AUTH_WAIT_REQUEST)
		s->auth_id = id;
	ppp_auth_dispatch(s, AUTH_EV_RX_CREDENTIALS, now);
}

static void pap_rcv_verdict(struct ppp_session *s, uint8_t code, uint8_t id,
			    const uint8_t *data, size_t len, uint64_t now)
{
	if (id != s->auth_id) {
		log_peer("%s proto=pap event=verdict_stale code=%u id=%u expected=%u", s->ident,
			 code, id, s->auth_id);
		return;
	}
	size_t mlen = 0;
	if (len >= 1 && (size_t)data[0] + 1 <= len)
		mlen = data[0];
	struct ppp_nego *n = ppp_nego(s);
	if (!n)
		return;
	memcpy(n->auth_rx_msg, data + 1, mlen);
	n->auth_rx_msg[mlen] = '\0';
	ppp_auth_dispatch(s, code == PAP_ACK ? AUTH_EV_RX_SUCCESS : AUTH_EV_RX_FAILURE, now);
}

void ppp_pap_input(struct ppp_session *s, const uint8_t *pkt, size_t len, uint64_t now)
{
	if (len < 4 || be16_get(pkt + 2) < 4 || be16_get(pkt + 2) > len) {
		log_peer("%s proto=pap event=malformed len=%zu", s->ident, len);
		return;
	}
	if (s->auth_type != PPP_AUTH_PAP) {
		log_peer("%s proto=pap event=not_negotiated outcome=dropped", s->ident);
		return;
	}
	size_t plen = be16_get(pkt + 2);
	uint8_t code = pkt[0], id = pkt[1];
	if (s->role == PPP_ROLE_AUTHENTICATOR && code == PAP_REQUEST)
		pap_rcv_request(s, id, pkt + 4, plen - 4, now);
	else if (s->role == PPP_ROLE_CLIENT && (code == PAP_ACK || code == PAP_NAK))
		pap_rcv_verdict(s, code, id, pkt + 4, plen - 4, now);
	else
		log_peer("%s proto=pap event=unexpected_code code=%u", s->ident, code);
}
