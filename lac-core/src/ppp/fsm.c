/* RFC 1661 section 4 automaton as a table: see fsm.h. */
#include "ppp/fsm.h"

#include <stdio.h>
#include <string.h>

#include "util/log.h"

static const char *const state_names[FSM_STATE_COUNT] = {
	"initial", "starting", "closed", "stopped", "closing", "stopping",
	"req-sent", "ack-rcvd", "ack-sent", "opened"
};

const char *fsm_state_str(enum fsm_state state)
{
	return (unsigned)state < FSM_STATE_COUNT ? state_names[state] : "?";
}

static const char *const event_names[FSM_EVENT_COUNT] = {
	"up", "down", "open", "close", "to+", "to-", "rcr+", "rcr-", "rca", "rcn", "rcj",
	"rtr", "rta", "ruc", "rxj+", "rxj-", "rxr"
};

const char *fsm_event_str(enum fsm_event event)
{
	return (unsigned)event < FSM_EVENT_COUNT ? event_names[event] : "?";
}

/* RFC 1661 4.4 actions. */
enum fsm_action {
	A_NONE, A_TLU, A_TLD, A_TLS, A_TLF, A_IRC, A_ZRC, A_SCR, A_SCA, A_SCN, A_STR,
	A_STA, A_SCJ, A_SER
};

struct fsm_row {
	enum fsm_state state;
	enum fsm_event event;
	enum fsm_action actions[4];
	enum fsm_state next;
};

#define ROW(s, e, n, ...) { FSM_##s, FSM_EV_##e, { __VA_ARGS__ }, FSM_##n }

/* RFC 1661 4.1 state transition table, one row per legal (state, event) pair.
 * The 'r' (restart) option of Open is not taken; 'x' and 'p' are notes only.
 * Pairs without a row (Up when not Initial/Starting, packets before the lower
 * layer is up, TO in states without a timer) are logged and ignored. RCJ has
 * the rows of RCN. */
static const struct fsm_row fsm_table[] = {
	ROW(INITIAL, UP, CLOSED, A_NONE),
	ROW(INITIAL, OPEN, STARTING, A_TLS),
	ROW(INITIAL, CLOSE, INITIAL, A_NONE),

	ROW(STARTING, UP, REQ_SENT, A_IRC, A_SCR),
	ROW(STARTING, OPEN, STARTING, A_NONE),
	ROW(STARTING, CLOSE, INITIAL, A_TLF),

	ROW(CLOSED, DOWN, INITIAL, A_NONE),
	ROW(CLOSED, OPEN, REQ_SENT, A_IRC, A_SCR),
	ROW(CLOSED, CLOSE, CLOSED, A_NONE),
	ROW(CLOSED, RCR_POS, CLOSED, A_STA),
	ROW(CLOSED, RCR_NEG, CLOSED, A_STA),
	ROW(CLOSED, RCA, CLOSED, A_STA),
	ROW(CLOSED, RCN, CLOSED, A_STA),
	ROW(CLOSED, RCJ, CLOSED, A_STA),
	ROW(CLOSED, RTR, CLOSED, A_STA),
	ROW(CLOSED, RTA, CLOSED, A_NONE),
	ROW(CLOSED, RUC, CLOSED, A_SCJ),
	ROW(CLOSED, RXJ_POS, CLOSED, A_NONE),
	ROW(CLOSED, RXJ_NEG, CLOSED, A_TLF),
	ROW(CLOSED, RXR, CLOSED, A_NONE),

	ROW(STOPPED, DOWN, STARTING, A_TLS),
	ROW(STOPPED, OPEN, STOPPED, A_NONE),
	ROW(STOPPED, CLOSE, CLOSED, A_NONE),
	ROW(STOPPED, RCR_POS, ACK_SENT, A_IRC, A_SCR, A_SCA),
	ROW(STOPPED, RCR_NEG, REQ_SENT, A_IRC, A_SCR, A_SCN),
	ROW(STOPPED, RCA, STOPPED, A_STA),
	ROW(STOPPED, RCN, STOPPED, A_STA),
	ROW(STOPPED, RCJ, STOPPED, A_STA),
	ROW(STOPPED, RTR, STOPPED, A_STA),
	ROW(STOPPED, RTA, STOPPED, A_NONE),
	ROW(STOPPED, RUC, STOPPED, A_SCJ),
	ROW(STOPPED, RXJ_POS, STOPPED, A_NONE),
	ROW(STOPPED, RXJ_NEG, STOPPED, A_TLF),
	ROW(STOPPED, RXR, STOPPED, A_NONE),

	ROW(CLOSING, DOWN, INITIAL, A_NONE),
	ROW(CLOSING, OPEN, STOPPING, A_NONE),
	ROW(CLOSING, CLOSE, CLOSING, A_NONE),
	ROW(CLOSING, TO_POS, CLOSING, A_STR),
	ROW(CLOSING, TO_NEG, CLOSED, A_TLF),
	ROW(CLOSING, RCR_POS, CLOSING, A_NONE),
	ROW(CLOSING, RCR_NEG, CLOSING, A_NONE),
	ROW(CLOSING, RCA, CLOSING, A_NONE),
	ROW(CLOSING, RCN, CLOSING, A_NONE),
	ROW(CLOSING, RCJ, CLOSING, A_NONE),
	ROW(CLOSING, RTR, CLOSING, A_STA),
	ROW(CLOSING, RTA, CLOSED, A_TLF),
	ROW(CLOSING, RUC, CLOSING, A_SCJ),
	ROW(CLOSING, RXJ_POS, CLOSING, A_NONE),
	ROW(CLOSING, RXJ_NEG, CLOSED, A_TLF),
	ROW(CLOSING, RXR, CLOSING, A_NONE),

	ROW(STOPPING, DOWN, STARTING, A_NONE),
	ROW(STOPPING, OPEN, STOPPING, A_NONE),
	ROW(STOPPING, CLOSE, CLOSING, A_NONE),
	ROW(STOPPING, TO_POS, STOPPING, A_STR),
	ROW(STOPPING, TO_NEG, STOPPED, A_TLF),
	ROW(STOPPING, RCR_POS, STOPPING, A_NONE),
	ROW(STOPPING, RCR_NEG, STOPPING, A_NONE),
	ROW(STOPPING, RCA, STOPPING, A_NONE),
	ROW(STOPPING, RCN, STOPPING, A_NONE),
	ROW(STOPPING, RCJ, STOPPING, A_NONE),
	ROW(STOPPING, RTR, STOPPING, A_STA),
	ROW(STOPPING, RTA, STOPPED, A_TLF),
	ROW(STOPPING, RUC, STOPPING, A_SCJ),
	ROW(STOPPING, RXJ_POS, STOPPING, A_NONE),
	ROW(STOPPING, RXJ_NEG, STOPPED, A_TLF),
	ROW(STOPPING, RXR, STOPPING, A_NONE),

	ROW(REQ_SENT, DOWN, STARTING, A_NONE),
	ROW(REQ_SENT, OPEN, REQ_SENT, A_NONE),
	ROW(REQ_SENT, CLOSE, CLOSING, A_IRC, A_STR),
	ROW(REQ_SENT, TO_POS, REQ_SENT, A_SCR),
	ROW(REQ_SENT, TO_NEG, STOPPED, A_TLF),
	ROW(REQ_SENT, RCR_POS, ACK_SENT, A_SCA),
	ROW(REQ_SENT, RCR_NEG, REQ_SENT, A_SCN),
	ROW(REQ_SENT, RCA, ACK_RCVD, A_IRC),
	ROW(REQ_SENT, RCN, REQ_SENT, A_IRC, A_SCR),
	ROW(REQ_SENT, RCJ, REQ_SENT, A_IRC, A_SCR),
	ROW(REQ_SENT, RTR, REQ_SENT, A_STA),
	ROW(REQ_SENT, RTA, REQ_SENT, A_NONE),
	ROW(REQ_SENT, RUC, REQ_SENT, A_SCJ),
	ROW(REQ_SENT, RXJ_POS, REQ_SENT, A_NONE),
	ROW(REQ_SENT, RXJ_NEG, STOPPED, A_TLF),
	ROW(REQ_SENT, RXR, REQ_SENT, A_NONE),

	ROW(ACK_RCVD, DOWN, STARTING, A_NONE),
	ROW(ACK_RCVD, OPEN, ACK_RCVD, A_NONE),
	ROW(ACK_RCVD, CLOSE, CLOSING, A_IRC, A_STR),
	ROW(ACK_RCVD, TO_POS, REQ_SENT, A_SCR),
	ROW(ACK_RCVD, TO_NEG, STOPPED, A_TLF),
	ROW(ACK_RCVD, RCR_POS, OPENED, A_SCA, A_TLU),
	ROW(ACK_RCVD, RCR_NEG, ACK_RCVD, A_SCN),
	ROW(ACK_RCVD, RCA, REQ_SENT, A_SCR),
	ROW(ACK_RCVD, RCN, REQ_SENT, A_SCR),
	ROW(ACK_RCVD, RCJ, REQ_SENT, A_SCR),
	ROW(ACK_RCVD, RTR, REQ_SENT, A_STA),
	ROW(ACK_RCVD, RTA, REQ_SENT, A_NONE),
	ROW(ACK_RCVD, RUC, ACK_RCVD, A_SCJ),
	ROW(ACK_RCVD, RXJ_POS, ACK_RCVD, A_NONE),
	ROW(ACK_RCVD, RXJ_NEG, STOPPED, A_TLF),
	ROW(ACK_RCVD, RXR, ACK_RCVD, A_NONE),

	ROW(ACK_SENT, DOWN, STARTING, A_NONE),
	ROW(ACK_SENT, OPEN, ACK_SENT, A_NONE),
	ROW(ACK_SENT, CLOSE, CLOSING, A_IRC, A_STR),
	ROW(ACK_SENT, TO_POS, ACK_SENT, A_SCR),
	ROW(ACK_SENT, TO_NEG, STOPPED, A_TLF),
	ROW(ACK_SENT, RCR_POS, ACK_SENT, A_SCA),
	ROW(ACK_SENT, RCR_NEG, REQ_SENT, A_SCN),
	ROW(ACK_SENT, RCA, OPENED, A_IRC, A_TLU),
	ROW(ACK_SENT, RCN, ACK_SENT, A_IRC, A_SCR),
	ROW(ACK_SENT, RCJ, ACK_SENT, A_IRC, A_SCR),
	ROW(ACK_SENT, RTR, REQ_SENT, A_STA),
	ROW(ACK_SENT, RTA, ACK_SENT, A_NONE),
	ROW(ACK_SENT, RUC, ACK_SENT, A_SCJ),
	ROW(ACK_SENT, RXJ_POS, ACK_SENT, A_NONE),
	ROW(ACK_SENT, RXJ_NEG, STOPPED, A_TLF),
	ROW(ACK_SENT, RXR, ACK_SENT, A_NONE),

	ROW(OPENED, DOWN, STARTING, A_TLD),
	ROW(OPENED, OPEN, OPENED, A_NONE),
	ROW(OPENED, CLOSE, CLOSING, A_TLD, A_IRC, A_STR),
	ROW(OPENED, RCR_POS, ACK_SENT, A_TLD, A_SCR, A_SCA),
	ROW(OPENED, RCR_NEG, REQ_SENT, A_TLD, A_SCR, A_SCN),
	ROW(OPENED, RCA, REQ_SENT, A_TLD, A_SCR),
	ROW(OPENED, RCN, REQ_SENT, A_TLD, A_SCR),
	ROW(OPENED, RCJ, REQ_SENT, A_TLD, A_SCR),
	ROW(OPENED, RTR, STOPPING, A_TLD, A_ZRC, A_STA),
	ROW(OPENED, RTA, REQ_SENT, A_TLD, A_SCR),
	ROW(OPENED, RUC, OPENED, A_SCJ),
	ROW(OPENED, RXJ_POS, OPENED, A_NONE),
	ROW(OPENED, RXJ_NEG, STOPPING, A_TLD, A_IRC, A_STR),
	ROW(OPENED, RXR, OPENED, A_SER),
};

static const struct fsm_row *fsm_row_find(enum fsm_state state, enum fsm_event event)
{
	for (size_t i = 0; i < sizeof(fsm_table) / sizeof(fsm_table[0]); i++)
		if (fsm_table[i].state == state && fsm_table[i].event == event)
			return &fsm_table[i];
	return NULL;
}

void fsm_init(struct fsm *f, const struct fsm_ops *ops, void *ctx, fsm_send_fn send,
	      const char *ident, const struct fsm_params *params)
{
	memset(f, 0, sizeof(*f));
	f->ops = ops;
	f->ctx = ctx;
	f->send = send;
	f->ident = ident;
	f->params = *params;
	f->state = FSM_INITIAL;
	f->next_id = 1;
}

int fsm_opt_len(const uint8_t *opts, size_t remaining)
{
	if (remaining < 2 || opts[1] < 2 || opts[1] > remaining)
		return -1;
	return opts[1];
}

int fsm_send(struct fsm *f, uint8_t code, uint8_t id, const uint8_t *data, size_t len)
{
	uint8_t pkt[4 + FSM_OPTS_MAX];
	if (len > FSM_OPTS_MAX)
		return -1;
	pkt[0] = code;
	pkt[1] = id;
	pkt[2] = (uint8_t)((len + 4) >> 8);
	pkt[3] = (uint8_t)(len + 4);
	if (len)
		memcpy(pkt + 4, data, len);
	f->send(f->ctx, f->ops->proto, pkt, len + 4);
	return 0;
}

/* Restart counter for what follows irc: Max-Terminate when the next thing sent
 * is a Terminate-Request, else Max-Configure (RFC 1661 4.4 irc). */
static void action_irc(struct fsm *f, enum fsm_state next)
{
	f->restart_count = (next == FSM_CLOSING || next == FSM_STOPPING) ?
			   f->params.max_terminate : f->params.max_configure;
}

/* scr: a new negotiation (not a retransmission) starts from the configured
 * options and clears the loop counters; leaving Opened also restarts the
 * counter, since the table's rows from Opened omit irc (RFC 1661 4.4 scr). */
static void action_scr(struct fsm *f, enum fsm_event event, enum fsm_state prev)
{
	bool retransmit = event == FSM_EV_TO_POS;
	bool after_reply = event == FSM_EV_RCA || event == FSM_EV_RCN || event == FSM_EV_RCJ;
	if (!retransmit && !after_reply &&
	    (prev == FSM_OPENED || prev == FSM_STARTING || prev == FSM_STOPPED ||
	     prev == FSM_CLOSED)) {
		f->ops->reset(f);
		f->failure_count = 0;
		f->naks_rcvd = 0;
	}
	if (prev == FSM_OPENED)
		f->restart_count = f->params.max_configure;
	f->req_len = f->ops->build_req(f, f->req_opts, sizeof(f->req_opts));
	f->req_id = f->next_id++;
	f->req_pending = true;
	fsm_send(f, FSM_CODE_CONFREQ, f->req_id, f->req_opts, f->req_len);
	if (f->restart_count > 0)
		f->restart_count--;
	f->timer_at = f->now + f->params.restart_ms;
}

static void action_str(struct fsm *f)
{
	size_t len = strlen(f->term_reason);
	fsm_send(f, FSM_CODE_TERMREQ, f->next_id++, (const uint8_t *)f->term_reason, len);
	if (f->restart_count > 0)
		f->restart_count--;
	f->timer_at = f->now + f->params.restart_ms;
}

static void action_scj(struct fsm *f)
{
	/* RFC 1661 5.6: the rejected packet, truncated to what we can send. */
	size_t len = f->rx_len > FSM_OPTS_MAX ? FSM_OPTS_MAX : f->rx_len;
	fsm_send(f, FSM_CODE_CODEREJ, f->next_id++, f->rx_pkt, len);
}

static void fsm_run_action(struct fsm *f, enum fsm_action a, enum fsm_event event,
			   enum fsm_state prev, enum fsm_state next)
{
	switch (a) {
	case A_NONE:
		break;
	case A_TLU:
		f->naks_rcvd = 0;
		f->ops->up(f, f->now);
		break;
	case A_TLD:
		f->ops->down(f, f->now);
		break;
	case A_TLS:
		f->ops->started(f, f->now);
		break;
	case A_TLF:
		f->ops->finished(f, f->now);
		break;
	case A_IRC:
		action_irc(f, next);
		break;
	case A_ZRC:
		f->restart_count = 0;
		f->timer_at = f->now + f->params.restart_ms;
		break;
	case A_SCR:
		action_scr(f, event, prev);
		break;
	case A_SCA:
		f->failure_count = 0;
		fsm_send(f, FSM_CODE_CONFACK, f->rx_id, f->reply, f->reply_len);
		break;
	case A_SCN:
		f->failure_count++;
		fsm_send(f, f->reply_code, f->rx_id, f->reply, f->reply_len);
		break;
	case A_STR:
		action_str(f);
		break;
	case A_STA:
		fsm_send(f, FSM_CODE_TERMACK, f->rx_id, NULL, 0);
		break;
	case A_SCJ:
		action_scj(f);
		break;
	case A_SER:
		/* Echo-Reply is LCP's business (other_code); nothing generic to do. */
		break;
	}
}

static bool state_has_timer(enum fsm_state s)
{
	return s == FSM_CLOSING || s == FSM_STOPPING || s == FSM_REQ_SENT ||
	       s == FSM_ACK_RCVD || s == FSM_ACK_SENT;
}

/* The one dispatcher: looks up (state, event), logs the transition by name,
 * moves to the next state and runs the row's actions in order. The state is
 * set first so callbacks run by the actions see the state being entered. */
static void fsm_dispatch(struct fsm *f, enum fsm_event event, uint64_t now)
{
	const struct fsm_row *row = fsm_row_find(f->state, event);
	f->now = now;
	if (!row) {
		log_peer("%s proto=%s event=%s state=%s outcome=ignored reason=unexpected",
			 f->ident, f->ops->name, fsm_event_str(event), fsm_state_str(f->state));
		return;
	}
	enum fsm_state prev = f->state;
	log_debug("%s proto=%s event=%s state=%s next=%s", f->ident, f->ops->name,
		  fsm_event_str(event), fsm_state_str(prev), fsm_state_str(row->next));
	f->state = row->next;
	if (!state_has_timer(row->next))
		f->timer_at = 0;
	for (size_t i = 0; i < 4 && row->actions[i] != A_NONE; i++)
		fsm_run_action(f, row->actions[i], event, prev, row->next);
	if (!state_has_timer(f->state))
		f->timer_at = 0;
}

void fsm_up(struct fsm *f, uint64_t now)
{
	fsm_dispatch(f, FSM_EV_UP, now);
}

void fsm_down(struct fsm *f, uint64_t now)
{
	fsm_dispatch(f, FSM_EV_DOWN, now);
}

void fsm_open(struct fsm *f, uint64_t now)
{
	fsm_dispatch(f, FSM_EV_OPEN, now);
}

void fsm_close(struct fsm *f, const char *reason, uint64_t now)
{
	snprintf(f->term_reason, sizeof(f->term_reason), "%s", reason ? reason : "");
	fsm_dispatch(f, FSM_EV_CLOSE, now);
}

void fsm_reject_fatal(struct fsm *f, uint64_t now)
{
	fsm_dispatch(f, FSM_EV_RXJ_NEG, now);
}

void fsm_timeout(struct fsm *f, uint64_t now)
{
	if (!f->timer_at || f->timer_at > now)
		return;
	f->timer_at = 0;
	fsm_dispatch(f, f->restart_count > 0 ? FSM_EV_TO_POS : FSM_EV_TO_NEG, now);
}

/* A ConfReq: judge it, then dispatch RCR+ or RCR-. */
static void fsm_rcv_confreq(struct fsm *f, const uint8_t *data, size_t len, uint64_t now)
{
	uint8_t reply[FSM_OPTS_MAX];   /* sent by sca/scn within this dispatch */
	size_t out_len = 0;
	bool reject_only = f->failure_count >= f->params.max_failure;
	int code = f->ops->recv_req(f, data, len, reply, sizeof(reply), &out_len, reject_only);
	if (code < 0) {
		log_peer("%s proto=%s event=confreq_malformed outcome=dropped", f->ident,
			 f->ops->name);
		return;
	}
	f->reply_code = (uint8_t)code;
	f->reply = reply;
	f->reply_len = out_len;
	fsm_dispatch(f, code == FSM_CODE_CONFACK ? FSM_EV_RCR_POS : FSM_EV_RCR_NEG, now);
	f->reply = NULL;
	f->reply_len = 0;
}

/* Ack, Nak or Reject of our ConfReq: must carry the Identifier of our
 * outstanding request (RFC 1661 5.2-5.4), else it is stale and dropped. */
static void fsm_rcv_reply(struct fsm *f, uint8_t code, const uint8_t *data, size_t len,
			  uint64_t now)
{
	if (!f->req_pending || f->rx_id != f->req_id) {
		log_peer("%s proto=%s event=stale_reply code=%u id=%u expected=%u outcome=dropped",
			 f->ident, f->ops->name, code, f->rx_id, f->req_id);
		return;
	}
	int rc;
	enum fsm_event ev;
	if (code == FSM_CODE_CONFACK) {
		rc = f->ops->recv_ack(f, data, len);
		ev = FSM_EV_RCA;
	} else if (code == FSM_CODE_CONFNAK) {
		rc = f->ops->recv_nak(f, data, len);
		ev = FSM_EV_RCN;
	} else {
		rc = f->ops->recv_rej(f, data, len);
		ev = FSM_EV_RCJ;
	}
	if (rc < 0) {
		log_peer("%s proto=%s event=bad_reply code=%u outcome=dropped", f->ident,
			 f->ops->name, code);
		return;
	}
	f->req_pending = false;
	if (ev == FSM_EV_RCA) {
		f->naks_rcvd = 0;
	} else if (++f->naks_rcvd > 2 * f->params.max_failure + 2) {
		/* A peer that naks or rejects forever never converges (RFC 1661
		 * 4.6 leaves it open); give up the way a timeout would. */
		log_peer("%s proto=%s event=not_converging naks=%u", f->ident, f->ops->name,
			 f->naks_rcvd);
		f->restart_count = 0;
		fsm_dispatch(f, FSM_EV_RXJ_NEG, now);
		return;
	}
	fsm_dispatch(f, ev, now);
}

void fsm_input(struct fsm *f, const uint8_t *pkt, size_t len, uint64_t now)
{
	if (len < 4) {
		log_peer("%s proto=%s event=short_packet len=%zu outcome=dropped", f->ident,
			 f->ops->name, len);
		return;
	}
	size_t plen = (size_t)pkt[2] << 8 | pkt[3];
	if (plen < 4 || plen > len) {
		log_peer("%s proto=%s event=bad_length len=%zu declared=%zu outcome=dropped",
			 f->ident, f->ops->name, len, plen);
		return;
	}
	/* Octets past the declared length are padding (RFC 1661 5). */
	uint8_t code = pkt[0];
	const uint8_t *data = pkt + 4;
	size_t dlen = plen - 4;
	f->rx_id = pkt[1];
	f->rx_pkt = pkt;
	f->rx_len = plen;
	f->now = now;
	if (f->state == FSM_INITIAL || f->state == FSM_STARTING) {
		log_peer("%s proto=%s event=packet_while_down code=%u outcome=dropped", f->ident,
			 f->ops->name, code);
		return;
	}
	switch (code) {
	case FSM_CODE_CONFREQ:
		fsm_rcv_confreq(f, data, dlen, now);
		break;
	case FSM_CODE_CONFACK:
	case FSM_CODE_CONFNAK:
	case FSM_CODE_CONFREJ:
		fsm_rcv_reply(f, code, data, dlen, now);
		break;
	case FSM_CODE_TERMREQ:
		fsm_dispatch(f, FSM_EV_RTR, now);
		break;
	case FSM_CODE_TERMACK:
		fsm_dispatch(f, FSM_EV_RTA, now);
		break;
	case FSM_CODE_CODEREJ:
		/* Rejecting one of codes 1-7 means the peer cannot run this
		 * protocol with us (RXJ-); anything else is survivable. */
		if (dlen >= 1 && data[0] >= FSM_CODE_CONFREQ && data[0] <= FSM_CODE_CODEREJ)
			fsm_dispatch(f, FSM_EV_RXJ_NEG, now);
		else
			fsm_dispatch(f, FSM_EV_RXJ_POS, now);
		break;
	default:
		if (f->ops->other_code &&
		    f->ops->other_code(f, code, pkt[1], data, dlen, now))
			break;
		log_peer("%s proto=%s event=unknown_code code=%u", f->ident, f->ops->name, code);
		fsm_dispatch(f, FSM_EV_RUC, now);
		break;
	}
}
