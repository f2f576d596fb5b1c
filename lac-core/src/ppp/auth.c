/* Authentication phase (RFC 1661 3.5) for CHAP and PAP in both roles: one
 * dispatcher over per-method state tables (chap.c, pap.c), so every exchange
 * follows rows of {role, state, event, action, next} and anything without a
 * row is logged and ignored. Packet parsing stays in chap.c/pap.c: a packet
 * becomes an event only once it is well formed and carries the Identifier of
 * the current exchange. */
#include <stdio.h>
#include <string.h>

#include "ppp/ppp_priv.h"
#include "util/escape.h"
#include "util/log.h"

static const char *const auth_state_names[] = {
	"idle", "challenge-sent", "wait-request", "pending", "wait-challenge",
	"response-sent", "request-sent", "succeeded", "failed"
};

const char *ppp_auth_state_str(enum ppp_auth_state state)
{
	return (unsigned)state < sizeof(auth_state_names) / sizeof(auth_state_names[0]) ?
	       auth_state_names[state] : "?";
}

static const char *const auth_event_names[AUTH_EV_COUNT] = {
	"start", "timeout-retry", "timeout-give-up", "rx-challenge", "rx-credentials",
	"rx-success", "rx-failure", "accept", "reject-retry", "reject-final", "peer-terminate"
};

const char *ppp_auth_event_str(enum ppp_auth_event event)
{
	return (unsigned)event < AUTH_EV_COUNT ? auth_event_names[event] : "?";
}

void ppp_auth_dispatch(struct ppp_session *s, enum ppp_auth_event event, uint64_t now)
{
	const struct ppp_auth_row *table = s->auth_type == PPP_AUTH_CHAP ? ppp_chap_table :
					   ppp_pap_table;
	size_t n = s->auth_type == PPP_AUTH_CHAP ? ppp_chap_table_len : ppp_pap_table_len;
	const struct ppp_auth_row *row = NULL;
	for (size_t i = 0; i < n && !row; i++)
		if (table[i].role == s->role && table[i].state == s->auth_state &&
		    table[i].event == event)
			row = &table[i];
	if (!row) {
		log_peer("%s proto=%s event=%s state=%s outcome=ignored reason=unexpected", s->ident,
			 ppp_auth_type_str(s->auth_type), ppp_auth_event_str(event),
			 ppp_auth_state_str(s->auth_state));
		return;
	}
	log_debug("%s proto=%s event=%s state=%s next=%s", s->ident,
		  ppp_auth_type_str(s->auth_type), ppp_auth_event_str(event),
		  ppp_auth_state_str(s->auth_state), ppp_auth_state_str(row->next));
	s->auth_state = row->next;
	if (row->action)
		row->action(s, now);
}

void ppp_auth_start(struct ppp_session *s, enum ppp_auth_type type, uint64_t now)
{
	s->auth_type = type;
	s->auth_state = AUTH_IDLE;
	s->auth_at = 0;
	ppp_auth_dispatch(s, AUTH_EV_START, now);
}

void ppp_auth_reset(struct ppp_session *s)
{
	/* LCP left Opened: whatever was in progress is void (RFC 1661 3.7);
	 * accepted in every state, so it needs no rows. */
	if (s->auth_state != AUTH_IDLE)
		log_debug("%s proto=%s event=reset state=%s next=idle", s->ident,
			  ppp_auth_type_str(s->auth_type), ppp_auth_state_str(s->auth_state));
	s->auth_state = AUTH_IDLE;
	s->auth_at = 0;
}

void ppp_auth_timeout(struct ppp_session *s, uint64_t now)
{
	if (!s->auth_at || s->auth_at > now)
		return;
	s->auth_at = 0;
	ppp_auth_dispatch(s, s->auth_tx_left > 0 ? AUTH_EV_TIMEOUT_RETRY : AUTH_EV_TIMEOUT_GIVE_UP,
			  now);
}

void ppp_auth_result(struct ppp_session *s, bool accept, const char *message, uint64_t now)
{
	snprintf(s->auth_msg, sizeof(s->auth_msg), "%s", message ? message : "");
	if (accept)
		ppp_auth_dispatch(s, AUTH_EV_ACCEPT, now);
	else
		ppp_auth_dispatch(s, s->auth_failures + 1 < s->cfg.auth_max_attempts ?
				  AUTH_EV_REJECT_RETRY : AUTH_EV_REJECT_FINAL, now);
}

/* ---- actions shared by both methods ---- */

void ppp_auth_act_give_up(struct ppp_session *s, uint64_t now)
{
	s->auth_at = 0;
	log_debug("%s event=auth_timeout auth=%s", s->ident, ppp_auth_type_str(s->auth_type));
	ppp_fatal(s, PPP_DOWN_AUTH_FAILED, "authentication timeout");
}

/* Authenticator: credentials of the current exchange arrived; the owner
 * decides (no timer meanwhile: the owner has its own AAA timeouts). */
void ppp_auth_act_ask_owner(struct ppp_session *s, uint64_t now)
{
	struct ppp_nego *n = s->nego;  /* the packet handler made sure of it */

	n->auth_req = n->auth_rx;
	s->auth_at = 0;
	if (s->cb.auth_request)
		s->cb.auth_request(s->owner, &n->auth_req);
}

/* Client: the verdict arrived (message in auth_rx_msg). */
void ppp_auth_act_client_success(struct ppp_session *s, uint64_t now)
{
	memcpy(s->auth_msg, s->nego->auth_rx_msg, sizeof(s->auth_msg));
	s->auth_at = 0;
	if (s->cb.auth_result)
		s->cb.auth_result(s->owner, true, s->auth_msg);
	ppp_auth_finished(s, true, now);
}

void ppp_auth_act_client_failure(struct ppp_session *s, uint64_t now)
{
	memcpy(s->auth_msg, s->nego->auth_rx_msg, sizeof(s->auth_msg));
	s->auth_at = 0;
	if (s->cb.auth_result)
		s->cb.auth_result(s->owner, false, s->auth_msg);
	ppp_auth_finished(s, false, now);
}

/* Client: LCP Terminate-Request instead of a verdict. LCP handles the
 * Terminate itself; only the refusal is reported here. */
void ppp_auth_act_client_terminated(struct ppp_session *s, uint64_t now)
{
	memcpy(s->auth_msg, s->nego->auth_rx_msg, sizeof(s->auth_msg));
	s->auth_at = 0;
	if (log_get_level() <= LOG_LVL_DEBUG) {
		char why[ESCAPE_FIELD_MAX];
		log_debug("%s event=auth_failed auth=%s reason=%s", s->ident, ppp_auth_type_str(s->auth_type),
			  escape_str(why, sizeof(why), s->auth_msg));
	}
	ppp_set_down_reason(s, PPP_DOWN_AUTH_FAILED, s->auth_msg);
	if (s->cb.auth_result)
		s->cb.auth_result(s->owner, false, s->auth_msg);
}
