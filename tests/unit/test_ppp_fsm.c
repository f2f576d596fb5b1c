/* The RFC 1661 automaton walked through every (state, event) pair with a
 * dummy protocol: next states are checked against RFC 1661 4.1's table,
 * written out here independently of fsm.c's rows; pairs the RFC marks
 * illegal must leave the state alone. */
#include <criterion/criterion.h>
#include <string.h>

#include "ppp/fsm.h"
#include "util/log.h"

struct dummy {
	int ups, downs, starts, finishes, resets;
	uint8_t sent_codes[16];
	size_t nsent;
	bool nak;               /* recv_req answers Nak instead of Ack */
};

static struct dummy dm;

static void d_reset(struct fsm *f) { dm.resets++; }
static size_t d_build(struct fsm *f, uint8_t *buf, size_t cap) { buf[0] = 1; buf[1] = 2; return 2; }
static int d_req(struct fsm *f, const uint8_t *o, size_t len, uint8_t *out, size_t cap,
		 size_t *out_len, bool reject_only)
{
	*out_len = 0;
	return dm.nak ? FSM_CODE_CONFNAK : FSM_CODE_CONFACK;
}
static int d_ok(struct fsm *f, const uint8_t *o, size_t len) { return 0; }
static void d_up(struct fsm *f, uint64_t now) { dm.ups++; }
static void d_down(struct fsm *f, uint64_t now) { dm.downs++; }
static void d_started(struct fsm *f, uint64_t now) { dm.starts++; }
static void d_finished(struct fsm *f, uint64_t now) { dm.finishes++; }
static void d_send(void *ctx, uint16_t proto, const uint8_t *pkt, size_t len)
{
	if (dm.nsent < sizeof(dm.sent_codes))
		dm.sent_codes[dm.nsent++] = pkt[0];
}

static const struct fsm_ops dummy_ops = {
	.name = "dummy", .proto = 0x8001, .reset = d_reset, .build_req = d_build,
	.recv_req = d_req, .recv_ack = d_ok, .recv_nak = d_ok, .recv_rej = d_ok,
	.up = d_up, .down = d_down, .started = d_started, .finished = d_finished,
	.other_code = NULL,
};

enum { I, STG, CLD, STP, CLG, SPG, RS, AR, AS, OP, X = -1 };

/* RFC 1661 4.1, rows = events in fsm_event order (RXR excluded: LCP's Echo
 * is handled outside the generic automaton), columns = states 0..9. */
static const int rfc_next[FSM_EV_RXR][FSM_STATE_COUNT] = {
	/* Up    */ { CLD, RS, X, X, X, X, X, X, X, X },
	/* Down  */ { X, X, I, STG, I, STG, STG, STG, STG, STG },
	/* Open  */ { STG, STG, RS, STP, SPG, SPG, RS, AR, AS, OP },
	/* Close */ { I, I, CLD, CLD, CLG, CLG, CLG, CLG, CLG, CLG },
	/* TO+   */ { X, X, X, X, CLG, SPG, RS, RS, AS, X },
	/* TO-   */ { X, X, X, X, CLD, STP, STP, STP, STP, X },
	/* RCR+  */ { X, X, CLD, AS, CLG, SPG, AS, OP, AS, AS },
	/* RCR-  */ { X, X, CLD, RS, CLG, SPG, RS, AR, RS, RS },
	/* RCA   */ { X, X, CLD, STP, CLG, SPG, AR, RS, OP, RS },
	/* RCN   */ { X, X, CLD, STP, CLG, SPG, RS, RS, AS, RS },
	/* RCJ   */ { X, X, CLD, STP, CLG, SPG, RS, RS, AS, RS },
	/* RTR   */ { X, X, CLD, STP, CLG, SPG, RS, RS, RS, SPG },
	/* RTA   */ { X, X, CLD, STP, CLD, STP, RS, RS, AS, RS },
	/* RUC   */ { X, X, CLD, STP, CLG, SPG, RS, AR, AS, OP },
	/* RXJ+  */ { X, X, CLD, STP, CLG, SPG, RS, AR, AS, OP },
	/* RXJ-  */ { X, X, CLD, STP, CLD, STP, STP, STP, STP, SPG },
};

static void pkt_in(struct fsm *f, uint8_t code, uint8_t id, const uint8_t *data, size_t len)
{
	uint8_t p[64] = { code, id, 0, (uint8_t)(4 + len) };
	memcpy(p + 4, data, len);
	fsm_input(f, p, 4 + len, 100);
}

static void fire(struct fsm *f, enum fsm_event ev)
{
	static const uint8_t one = 1, unknown = 99;
	switch (ev) {
	case FSM_EV_UP: fsm_up(f, 100); break;
	case FSM_EV_DOWN: fsm_down(f, 100); break;
	case FSM_EV_OPEN: fsm_open(f, 100); break;
	case FSM_EV_CLOSE: fsm_close(f, "bye", 100); break;
	case FSM_EV_TO_POS: f->timer_at = 50; f->restart_count = 2; fsm_timeout(f, 100); break;
	case FSM_EV_TO_NEG: f->timer_at = 50; f->restart_count = 0; fsm_timeout(f, 100); break;
	case FSM_EV_RCR_POS: dm.nak = false; pkt_in(f, FSM_CODE_CONFREQ, 7, NULL, 0); break;
	case FSM_EV_RCR_NEG: dm.nak = true; pkt_in(f, FSM_CODE_CONFREQ, 7, NULL, 0); break;
	case FSM_EV_RCA: pkt_in(f, FSM_CODE_CONFACK, f->req_id, NULL, 0); break;
	case FSM_EV_RCN: pkt_in(f, FSM_CODE_CONFNAK, f->req_id, NULL, 0); break;
	case FSM_EV_RCJ: pkt_in(f, FSM_CODE_CONFREJ, f->req_id, NULL, 0); break;
	case FSM_EV_RTR: pkt_in(f, FSM_CODE_TERMREQ, 8, NULL, 0); break;
	case FSM_EV_RTA: pkt_in(f, FSM_CODE_TERMACK, 9, NULL, 0); break;
	case FSM_EV_RUC: pkt_in(f, 99, 10, NULL, 0); break;
	case FSM_EV_RXJ_POS: pkt_in(f, FSM_CODE_CODEREJ, 11, &unknown, 1); break;
	case FSM_EV_RXJ_NEG: pkt_in(f, FSM_CODE_CODEREJ, 11, &one, 1); break;
	default: break;
	}
}

static void fresh(struct fsm *f, enum fsm_state st)
{
	static const struct fsm_params p = { .restart_ms = 1000, .max_configure = 10,
					     .max_terminate = 2, .max_failure = 5 };
	memset(&dm, 0, sizeof(dm));
	fsm_init(f, &dummy_ops, NULL, d_send, "t=1", &p);
	f->state = st;
	f->req_pending = true;
	f->req_id = 42;
}

Test(fsm, every_state_event_pair_follows_rfc1661_table)
{
	log_set_level(LOG_LVL_ERROR);
	for (int ev = 0; ev < FSM_EV_RXR; ev++) {
		for (int st = 0; st < FSM_STATE_COUNT; st++) {
			struct fsm f;
			fresh(&f, (enum fsm_state)st);
			fire(&f, (enum fsm_event)ev);
			int want = rfc_next[ev][st] == X ? st : rfc_next[ev][st];
			cr_assert_eq((int)f.state, want, "event %s in state %s: got %s, want %s",
				     fsm_event_str(ev), fsm_state_str(st), fsm_state_str(f.state),
				     fsm_state_str(want));
		}
	}
}

static bool sent(uint8_t code)
{
	return memchr(dm.sent_codes, code, dm.nsent) != NULL;
}

Test(fsm, actions_of_key_rows)
{
	struct fsm f;
	log_set_level(LOG_LVL_ERROR);
	/* Closed + RCR: sta */
	fresh(&f, FSM_CLOSED);
	fire(&f, FSM_EV_RCR_POS);
	cr_assert(sent(FSM_CODE_TERMACK));
	/* Stopped + RCR+: irc, scr, sca */
	fresh(&f, FSM_STOPPED);
	fire(&f, FSM_EV_RCR_POS);
	cr_assert(sent(FSM_CODE_CONFREQ) && sent(FSM_CODE_CONFACK));
	cr_assert_eq(f.restart_count, 9);
	cr_assert_neq(f.timer_at, 0);
	/* Ack-Rcvd + RCR+: sca, tlu */
	fresh(&f, FSM_ACK_RCVD);
	fire(&f, FSM_EV_RCR_POS);
	cr_assert_eq(dm.ups, 1);
	cr_assert_eq(f.timer_at, 0, "no restart timer in Opened");
	/* Opened + RTR: tld, zrc, sta; then TO- finishes */
	fresh(&f, FSM_OPENED);
	fire(&f, FSM_EV_RTR);
	cr_assert_eq(dm.downs, 1);
	cr_assert(sent(FSM_CODE_TERMACK));
	cr_assert_eq(f.restart_count, 0);
	fsm_timeout(&f, f.timer_at);
	cr_assert_eq(f.state, FSM_STOPPED);
	cr_assert_eq(dm.finishes, 1);
	/* Opened + Close: tld, irc, str with Max-Terminate */
	fresh(&f, FSM_OPENED);
	fire(&f, FSM_EV_CLOSE);
	cr_assert_eq(dm.downs, 1);
	cr_assert(sent(FSM_CODE_TERMREQ));
	cr_assert_eq(f.restart_count, 1);
	/* Req-Sent + TO-: tlf */
	fresh(&f, FSM_REQ_SENT);
	fire(&f, FSM_EV_TO_NEG);
	cr_assert_eq(dm.finishes, 1);
	/* any state + RUC: scj */
	fresh(&f, FSM_OPENED);
	fire(&f, FSM_EV_RUC);
	cr_assert(sent(FSM_CODE_CODEREJ));
	/* Initial + Open: tls */
	fresh(&f, FSM_INITIAL);
	fire(&f, FSM_EV_OPEN);
	cr_assert_eq(dm.starts, 1);
}

Test(fsm, stale_or_foreign_replies_do_not_move_the_automaton)
{
	struct fsm f;
	log_set_level(LOG_LVL_ERROR);
	fresh(&f, FSM_REQ_SENT);
	pkt_in(&f, FSM_CODE_CONFACK, (uint8_t)(f.req_id + 1), NULL, 0);
	cr_assert_eq(f.state, FSM_REQ_SENT);
	/* a packet shorter than its header, or longer than declared */
	const uint8_t shortp[] = { FSM_CODE_CONFACK, 42, 0 };
	fsm_input(&f, shortp, sizeof(shortp), 1);
	const uint8_t lying[] = { FSM_CODE_CONFACK, 42, 0, 30 };
	fsm_input(&f, lying, sizeof(lying), 1);
	cr_assert_eq(f.state, FSM_REQ_SENT);
	cr_assert_eq(dm.nsent, 0);
}
