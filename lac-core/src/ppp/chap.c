/* CHAP with MD5 (RFC 1994), both roles.
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
	put_be16(pkt + 2, (uint16_t)n);
	ppp_send_proto(s, PPP_PROTO_CHAP, pkt, n);
}

static void chap_send_challenge(struct ppp_session *s)
{
	chap_send(s, CHAP_CHALLENGE, s->auth_id, s->auth_req.challenge, s->auth_req.challenge_len,
		  s->cfg.host_name, strlen(s->cfg.host_name));
}

/* Authenticator: a fresh challenge with a new Identifier (RFC 1994 4.1). */
static void chap_new_challenge(struct ppp_session *s, uint64_t now)
{
	memset(&s->auth_req, 0, sizeof(s->auth_req));
	s->auth_req.type = PPP_AUTH_CHAP;
	s->auth_id++;
	s->auth_req.chap_id = s->auth_id;
	s->auth_req.challenge_len = PPP_CHAP_CHALLENGE_LEN;
	ppp_random_bytes(s->auth_req.challenge, PPP_CHAP_CHALLENGE_LEN);
	s->auth_tx_count = 1;
	ppp_auth_set_state(s, AUTH_CHALLENGE_SENT);
	chap_send_challenge(s);
	s->auth_at = now + s->cfg.restart_ms;
}

void ppp_chap_start(struct ppp_session *s, uint64_t now)
{
	if (s->role == PPP_ROLE_AUTHENTICATOR) {
		chap_new_challenge(s, now);
		return;
	}
	ppp_auth_set_state(s, AUTH_WAIT_CHALLENGE);
	s->auth_at = now + s->cfg.auth_timeout_ms;
}

void ppp_chap_timeout(struct ppp_session *s, uint64_t now)
{
	if (s->auth_state == AUTH_CHALLENGE_SENT && s->auth_tx_count < s->cfg.max_configure) {
		s->auth_tx_count++;
		chap_send_challenge(s);
		s->auth_at = now + s->cfg.restart_ms;
		return;
	}
	s->auth_at = 0;
	log_info("%s event=auth_timeout auth=chap state=%s", s->ident,
		 ppp_auth_state_str(s->auth_state));
	s->lcp_fatal = "authentication timeout";
}

/* Authenticator: a Response to our challenge. */
static void chap_rcv_response(struct ppp_session *s, uint8_t id, const uint8_t *data,
			      size_t len, uint64_t now)
{
	if (s->auth_state == AUTH_SUCCEEDED && id == s->auth_id) {
		/* RFC 1994 4.2: our Success was lost; say it again. */
		chap_send(s, CHAP_SUCCESS, id, NULL, 0, s->auth_msg, strlen(s->auth_msg));
		return;
	}
	if (s->auth_state != AUTH_CHALLENGE_SENT || id != s->auth_id) {
		log_peer("%s proto=chap event=response_ignored id=%u state=%s", s->ident, id,
			 ppp_auth_state_str(s->auth_state));
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
	memcpy(s->auth_req.response, data + 1, vlen);
	s->auth_req.response_len = vlen;
	memcpy(s->auth_req.name, data + 1 + vlen, nlen);
	s->auth_req.name[nlen] = '\0';
	s->auth_req.name_len = nlen;
	s->auth_at = 0;
	ppp_auth_set_state(s, AUTH_PENDING);
	if (s->cb.auth_request)
		s->cb.auth_request(s->owner, &s->auth_req);
}

void ppp_chap_result(struct ppp_session *s, bool accept, const char *message, uint64_t now)
{
	snprintf(s->auth_msg, sizeof(s->auth_msg), "%s", message ? message : "");
	chap_send(s, accept ? CHAP_SUCCESS : CHAP_FAILURE, s->auth_id, NULL, 0, s->auth_msg,
		  strlen(s->auth_msg));
	if (accept) {
		ppp_auth_set_state(s, AUTH_SUCCEEDED);
		ppp_auth_finished(s, true, now);
		return;
	}
	s->auth_failures++;
	if (s->auth_failures < s->cfg.auth_max_attempts) {
		chap_new_challenge(s, now);
		return;
	}
	ppp_auth_set_state(s, AUTH_FAILED);
	ppp_auth_finished(s, false, now);
}

/* Client: answer a Challenge with MD5(id || secret || challenge) (RFC 1994 2). */
static void chap_rcv_challenge(struct ppp_session *s, uint8_t id, const uint8_t *data,
			       size_t len, uint64_t now)
{
	if (len < 1 || data[0] == 0 || (size_t)data[0] + 1 > len) {
		log_peer("%s proto=chap event=challenge_malformed", s->ident);
		return;
	}
	if (s->auth_state == AUTH_FAILED)
		return;
	struct md5_ctx ctx;
	uint8_t digest[MD5_DIGEST_LEN];
	md5_init(&ctx);
	md5_update(&ctx, &id, 1);
	md5_update(&ctx, s->cfg.password, strlen(s->cfg.password));
	md5_update(&ctx, data + 1, data[0]);
	md5_final(&ctx, digest);
	s->auth_id = id;
	if (s->auth_state != AUTH_SUCCEEDED) {
		ppp_auth_set_state(s, AUTH_RESPONSE_SENT);
		s->auth_at = now + s->cfg.auth_timeout_ms;
	}
	chap_send(s, CHAP_RESPONSE, id, digest, sizeof(digest), s->cfg.user, strlen(s->cfg.user));
}

static void chap_rcv_verdict(struct ppp_session *s, uint8_t code, uint8_t id,
			     const uint8_t *data, size_t len, uint64_t now)
{
	if (s->auth_state != AUTH_RESPONSE_SENT || id != s->auth_id) {
		log_peer("%s proto=chap event=verdict_ignored code=%u id=%u state=%s", s->ident,
			 code, id, ppp_auth_state_str(s->auth_state));
		return;
	}
	size_t mlen = len > PPP_MESSAGE_MAX ? PPP_MESSAGE_MAX : len;
	memcpy(s->auth_msg, data, mlen);
	s->auth_msg[mlen] = '\0';
	s->auth_at = 0;
	bool ok = code == CHAP_SUCCESS;
	ppp_auth_set_state(s, ok ? AUTH_SUCCEEDED : AUTH_FAILED);
	if (s->cb.auth_result)
		s->cb.auth_result(s->owner, ok, s->auth_msg);
	ppp_auth_finished(s, ok, now);
}

void ppp_chap_input(struct ppp_session *s, const uint8_t *pkt, size_t len, uint64_t now)
{
	if (len < 4 || get_be16(pkt + 2) < 4 || get_be16(pkt + 2) > len) {
		log_peer("%s proto=chap event=malformed len=%zu", s->ident, len);
		return;
	}
	size_t plen = get_be16(pkt + 2);
	uint8_t code = pkt[0], id = pkt[1];
	const uint8_t *data = pkt + 4;
	size_t dlen = plen - 4;
	if (s->role == PPP_ROLE_AUTHENTICATOR) {
		if (code == CHAP_RESPONSE)
			chap_rcv_response(s, id, data, dlen, now);
		else
			log_peer("%s proto=chap event=unexpected_code code=%u", s->ident, code);
		return;
	}
	switch (code) {
	case CHAP_CHALLENGE:
		chap_rcv_challenge(s, id, data, dlen, now);
		break;
	case CHAP_SUCCESS:
	case CHAP_FAILURE:
		chap_rcv_verdict(s, code, id, data, dlen, now);
		break;
	default:
		log_peer("%s proto=chap event=unexpected_code code=%u", s->ident, code);
		break;
	}
}
