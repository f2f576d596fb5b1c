/* CHAP with MD5 (RFC 1994), both roles: packet codec and the CHAP state
 * table run by auth.c's dispatcher.
 *
 * Packets: Challenge/Response = code, id, length, value-size, value, name;
 * Success/Failure = code, id, length, message (RFC 1994 4.1-4.2). */
#include <stdio.h>
#include <string.h>

#include "ppp/ppp_priv.h"
#include "util/log.h"
#include "util/md5.h"

enum { CHAP_CHALLENGE = 1, CHAP_RESPONSE = 2, CHAP_SUCCESS = 3, CHAP_FAILURE = 4 };

static void chap_send(struct ppp_session *s, uint8_t code, uint8_t id, const uint8_t *value,
		      size_t value_len, const char *name_or_msg, size_t text_len)
{
	uint8_t pkt[4 + 1 + PPP_RESPONSE_MAX + PPP_NAME_MAX];
	size_t n = 4;
	if (code == CHAP_CHALLENGE || code == CHAP_RESPONSE) {
		pkt[n++] = (uint8_t)value_len;
		memcpy(pkt + n, value, value_len);
		n += value_len;
	}
	memcpy(pkt + n, name_or_msg, text_len);
	n += text_len;
	pkt[0] = code;
	pkt[1] = id;
	be16_put(pkt + 2, (uint16_t)n);
	ppp_send_proto(s, PPP_PROTO_CHAP, pkt, n);
}

/* ---- actions ---- */

static void chap_send_challenge(struct ppp_session *s, uint64_t now)
{
	chap_send(s, CHAP_CHALLENGE, s->auth_id, s->nego->auth_req.challenge,
		  s->nego->auth_req.challenge_len, s->cfg.host_name, strlen(s->cfg.host_name));
	s->auth_at = now + s->cfg.restart_ms;
}

/* Authenticator: a fresh challenge with a new Identifier (RFC 1994 4.1),
 * retransmitted up to Max-Configure times in all. */
static void chap_act_new_challenge(struct ppp_session *s, uint64_t now)
{
	struct ppp_nego *n = ppp_nego(s);

	if (!n) {
		ppp_fatal(s, PPP_DOWN_AUTH_FAILED, "out of memory");
		return;
	}
	memset(&n->auth_req, 0, sizeof(n->auth_req));
	n->auth_req.type = PPP_AUTH_CHAP;
	s->auth_id++;
	n->auth_req.chap_id = s->auth_id;
	n->auth_req.challenge_len = PPP_CHAP_CHALLENGE_LEN;
	if (ppp_random_bytes(n->auth_req.challenge, PPP_CHAP_CHALLENGE_LEN) < 0) {
		/* no unpredictable challenge: refuse to authenticate at all */
		ppp_fatal(s, PPP_DOWN_AUTH_FAILED, "no random challenge");
		return;
	}
	s->auth_tx_left = s->cfg.max_configure - 1;
	chap_send_challenge(s, now);
}

static void chap_act_resend_challenge(struct ppp_session *s, uint64_t now)
{
	s->auth_tx_left--;
	chap_send_challenge(s, now);
}

static void chap_act_success(struct ppp_session *s, uint64_t now)
{
	chap_send(s, CHAP_SUCCESS, s->auth_id, NULL, 0, s->auth_msg, strlen(s->auth_msg));
	ppp_auth_finished(s, true, now);
}

/* RFC 1994 4.2: our Success was lost and the peer repeats its Response. */
static void chap_act_resend_success(struct ppp_session *s, uint64_t now)
{
	chap_send(s, CHAP_SUCCESS, s->auth_id, NULL, 0, s->auth_msg, strlen(s->auth_msg));
}

static void chap_act_failure_rechallenge(struct ppp_session *s, uint64_t now)
{
	chap_send(s, CHAP_FAILURE, s->auth_id, NULL, 0, s->auth_msg, strlen(s->auth_msg));
	s->auth_failures++;
	chap_act_new_challenge(s, now);
}

static void chap_act_failure_final(struct ppp_session *s, uint64_t now)
{
	chap_send(s, CHAP_FAILURE, s->auth_id, NULL, 0, s->auth_msg, strlen(s->auth_msg));
	s->auth_failures++;
	ppp_auth_finished(s, false, now);
}

static void chap_act_wait_challenge(struct ppp_session *s, uint64_t now)
{
	s->auth_tx_left = 0;
	s->auth_at = now + s->cfg.auth_timeout_ms;
}

/* Client: answer with MD5(id || secret || challenge) (RFC 1994 2); also
 * answers a re-challenge after Success. */
static void chap_act_respond(struct ppp_session *s, uint64_t now)
{
	struct md5_ctx ctx;
	uint8_t digest[MD5_DIGEST_LEN];
	uint8_t id = s->nego->auth_rx.chap_id;
	md5_init(&ctx);
	md5_update(&ctx, &id, 1);
	md5_update(&ctx, s->cfg.password, strlen(s->cfg.password));
	md5_update(&ctx, s->nego->auth_rx.challenge, s->nego->auth_rx.challenge_len);
	md5_final(&ctx, digest);
	s->auth_id = id;
	if (s->auth_state == AUTH_RESPONSE_SENT) {
		s->auth_tx_left = 0;
		s->auth_at = now + s->cfg.auth_timeout_ms;
	}
	chap_send(s, CHAP_RESPONSE, id, digest, sizeof(digest), s->cfg.user, strlen(s->cfg.user));
}

/* RFC 1994 4: CHAP in both roles. Rows omitted: e.g. a Response while we wait
 * for the owner (duplicate) or a verdict we did not ask for: ignored. */
const struct ppp_auth_row ppp_chap_table[] = {
	{ PPP_ROLE_AUTHENTICATOR, AUTH_IDLE, AUTH_EV_START, chap_act_new_challenge, AUTH_CHALLENGE_SENT },
	{ PPP_ROLE_AUTHENTICATOR, AUTH_CHALLENGE_SENT, AUTH_EV_TIMEOUT_RETRY, chap_act_resend_challenge, AUTH_CHALLENGE_SENT },
	{ PPP_ROLE_AUTHENTICATOR, AUTH_CHALLENGE_SENT, AUTH_EV_TIMEOUT_GIVE_UP, ppp_auth_act_give_up, AUTH_FAILED },
	{ PPP_ROLE_AUTHENTICATOR, AUTH_CHALLENGE_SENT, AUTH_EV_RX_CREDENTIALS, ppp_auth_act_ask_owner, AUTH_PENDING },
	{ PPP_ROLE_AUTHENTICATOR, AUTH_PENDING, AUTH_EV_ACCEPT, chap_act_success, AUTH_SUCCEEDED },
	{ PPP_ROLE_AUTHENTICATOR, AUTH_PENDING, AUTH_EV_REJECT_RETRY, chap_act_failure_rechallenge, AUTH_CHALLENGE_SENT },
	{ PPP_ROLE_AUTHENTICATOR, AUTH_PENDING, AUTH_EV_REJECT_FINAL, chap_act_failure_final, AUTH_FAILED },
	{ PPP_ROLE_AUTHENTICATOR, AUTH_SUCCEEDED, AUTH_EV_RX_CREDENTIALS, chap_act_resend_success, AUTH_SUCCEEDED },

	{ PPP_ROLE_CLIENT, AUTH_IDLE, AUTH_EV_START, chap_act_wait_challenge, AUTH_WAIT_CHALLENGE },
	{ PPP_ROLE_CLIENT, AUTH_WAIT_CHALLENGE, AUTH_EV_RX_CHALLENGE, chap_act_respond, AUTH_RESPONSE_SENT },
	{ PPP_ROLE_CLIENT, AUTH_WAIT_CHALLENGE, AUTH_EV_TIMEOUT_GIVE_UP, ppp_auth_act_give_up, AUTH_FAILED },
	{ PPP_ROLE_CLIENT, AUTH_RESPONSE_SENT, AUTH_EV_RX_CHALLENGE, chap_act_respond, AUTH_RESPONSE_SENT },
	{ PPP_ROLE_CLIENT, AUTH_RESPONSE_SENT, AUTH_EV_RX_SUCCESS, ppp_auth_act_client_success, AUTH_SUCCEEDED },
	{ PPP_ROLE_CLIENT, AUTH_RESPONSE_SENT, AUTH_EV_RX_FAILURE, ppp_auth_act_client_failure, AUTH_FAILED },
	{ PPP_ROLE_CLIENT, AUTH_RESPONSE_SENT, AUTH_EV_PEER_TERMINATE, ppp_auth_act_client_terminated, AUTH_FAILED },
	{ PPP_ROLE_CLIENT, AUTH_RESPONSE_SENT, AUTH_EV_TIMEOUT_GIVE_UP, ppp_auth_act_give_up, AUTH_FAILED },
	{ PPP_ROLE_CLIENT, AUTH_SUCCEEDED, AUTH_EV_RX_CHALLENGE, chap_act_respond, AUTH_SUCCEEDED },
};
const size_t ppp_chap_table_len = sizeof(ppp_chap_table) / sizeof(ppp_chap_table[0]);

/* ---- input ---- */

/* Authenticator: a Response. Only one carrying the current Identifier is an
 * event; its fields go to auth_rx until the table accepts them. */
static void chap_rcv_response(struct ppp_session *s, uint8_t id, const uint8_t *data,
			      size_t len, uint64_t now)
{
	if (id != s->auth_id) {
		log_peer("%s proto=chap event=response_stale id=%u expected=%u", s->ident, id,
			 s->auth_id);
		return;
	}
	if (len < 1 || data[0] == 0 || (size_t)data[0] + 1 > len) {
		log_peer("%s proto=chap event=response_malformed", s->ident);
		return;
	}
	size_t vlen = data[0];
	size_t nlen = len - 1 - vlen;
	if (nlen > PPP_NAME_MAX)
		nlen = PPP_NAME_MAX;
	struct ppp_nego *n = ppp_nego(s);
	if (!n)
		return;
	struct ppp_auth_request *r = &n->auth_rx;
	*r = n->auth_req;       /* keeps type, id and challenge of this exchange */
	memcpy(r->response, data + 1, vlen);
	r->response_len = vlen;
	memcpy(r->name, data + 1 + vlen, nlen);
	r->name[nlen] = '\0';
	r->name_len = nlen;
	ppp_auth_dispatch(s, AUTH_EV_RX_CREDENTIALS, now);
}

static void chap_rcv_challenge(struct ppp_session *s, uint8_t id, const uint8_t *data,
			       size_t len, uint64_t now)
{
	if (len < 1 || data[0] == 0 || (size_t)data[0] + 1 > len ||
	    data[0] > PPP_CHALLENGE_MAX) {
		log_peer("%s proto=chap event=challenge_malformed", s->ident);
		return;
	}
	struct ppp_nego *n = ppp_nego(s);
	if (!n)
		return;
	n->auth_rx.chap_id = id;
	n->auth_rx.challenge_len = data[0];
	memcpy(n->auth_rx.challenge, data + 1, data[0]);
	ppp_auth_dispatch(s, AUTH_EV_RX_CHALLENGE, now);
}

static void chap_rcv_verdict(struct ppp_session *s, uint8_t code, uint8_t id,
			     const uint8_t *data, size_t len, uint64_t now)
{
	if (id != s->auth_id) {
		log_peer("%s proto=chap event=verdict_stale code=%u id=%u expected=%u", s->ident,
			 code, id, s->auth_id);
		return;
	}
	size_t mlen = len > PPP_MESSAGE_MAX ? PPP_MESSAGE_MAX : len;
	struct ppp_nego *n = ppp_nego(s);
	if (!n)
		return;
	memcpy(n->auth_rx_msg, data, mlen);
	n->auth_rx_msg[mlen] = '\0';
	ppp_auth_dispatch(s, code == CHAP_SUCCESS ? AUTH_EV_RX_SUCCESS : AUTH_EV_RX_FAILURE, now);
}

void ppp_chap_input(struct ppp_session *s, const uint8_t *pkt, size_t len, uint64_t now)
{
	if (len < 4 || be16_get(pkt + 2) < 4 || be16_get(pkt + 2) > len) {
		log_peer("%s proto=chap event=malformed len=%zu", s->ident, len);
		return;
	}
	if (s->auth_type != PPP_AUTH_CHAP) {
		log_peer("%s proto=chap event=not_negotiated outcome=dropped", s->ident);
		return;
	}
	size_t plen = be16_get(pkt + 2);
	uint8_t code = pkt[0], id = pkt[1];
	const uint8_t *data = pkt + 4;
	size_t dlen = plen - 4;
	if (s->role == PPP_ROLE_AUTHENTICATOR && code == CHAP_RESPONSE)
		chap_rcv_response(s, id, data, dlen, now);
	else if (s->role == PPP_ROLE_CLIENT && code == CHAP_CHALLENGE)
		chap_rcv_challenge(s, id, data, dlen, now);
	else if (s->role == PPP_ROLE_CLIENT && (code == CHAP_SUCCESS || code == CHAP_FAILURE))
		chap_rcv_verdict(s, code, id, data, dlen, now);
	else
		log_peer("%s proto=chap event=unexpected_code code=%u", s->ident, code);
}
