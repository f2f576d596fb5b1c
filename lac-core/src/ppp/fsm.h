/* The RFC 1661 option negotiation automaton (section 4), shared by LCP and
 * IPCP. The protocol supplies callbacks that build and judge option lists; the
 * automaton owns states, the restart timer and counters, and packet framing of
 * codes 1-7. It never touches a socket or the clock: packets leave through
 * `send`, time comes in as `now`. Internal to ppp/. */
#ifndef PPP_FSM_H
#define PPP_FSM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RFC 1661 4.2 states. */
enum fsm_state {
	FSM_INITIAL, FSM_STARTING, FSM_CLOSED, FSM_STOPPED, FSM_CLOSING, FSM_STOPPING,
	FSM_REQ_SENT, FSM_ACK_RCVD, FSM_ACK_SENT, FSM_OPENED, FSM_STATE_COUNT
};
const char *fsm_state_str(enum fsm_state state);

/* RFC 1661 4.3 events (RCN split into Nak and Reject for the logs). */
enum fsm_event {
	FSM_EV_UP, FSM_EV_DOWN, FSM_EV_OPEN, FSM_EV_CLOSE, FSM_EV_TO_POS, FSM_EV_TO_NEG,
	FSM_EV_RCR_POS, FSM_EV_RCR_NEG, FSM_EV_RCA, FSM_EV_RCN, FSM_EV_RCJ, FSM_EV_RTR,
	FSM_EV_RTA, FSM_EV_RUC, FSM_EV_RXJ_POS, FSM_EV_RXJ_NEG, FSM_EV_RXR, FSM_EVENT_COUNT
};
const char *fsm_event_str(enum fsm_event event);

/* RFC 1661 5: packet codes. */
enum fsm_code {
	FSM_CODE_CONFREQ = 1, FSM_CODE_CONFACK, FSM_CODE_CONFNAK, FSM_CODE_CONFREJ,
	FSM_CODE_TERMREQ, FSM_CODE_TERMACK, FSM_CODE_CODEREJ,
	/* LCP only (RFC 1661 5.7-5.9) */
	FSM_CODE_PROTREJ, FSM_CODE_ECHOREQ, FSM_CODE_ECHOREP, FSM_CODE_DISCREQ
};

#define FSM_OPTS_MAX 512        /* a reply's options (built on the stack) */
/* Our own ConfReq's options, kept per automaton (issue 12: per-session
 * memory): LCP asks for 24 octets at most, IPCP for 18. */
#define FSM_REQ_MAX 64

struct fsm;

struct fsm_ops {
	const char *name;       /* "lcp", "ipcp" for logs */
	uint16_t proto;
	/* A new negotiation starts: set our wanted options from configuration. */
	void (*reset)(struct fsm *f);
	/* Writes our ConfReq options into buf; returns their length. */
	size_t (*build_req)(struct fsm *f, uint8_t *buf, size_t cap);
	/* Judges the peer's ConfReq options. Writes the reply options into out and
	 * returns FSM_CODE_CONFACK/CONFNAK/CONFREJ, or -1 to drop a malformed packet.
	 * reject_only: Max-Failure reached, answer Reject instead of Nak
	 * (RFC 1661 4.6). */
	int (*recv_req)(struct fsm *f, const uint8_t *opts, size_t len, uint8_t *out,
			size_t cap, size_t *out_len, bool reject_only);
	/* Ack/Nak/Reject of our request. Return 0, or -1 to drop the packet as
	 * invalid (options that do not match what we sent). */
	int (*recv_ack)(struct fsm *f, const uint8_t *opts, size_t len);
	int (*recv_nak)(struct fsm *f, const uint8_t *opts, size_t len);
	int (*recv_rej)(struct fsm *f, const uint8_t *opts, size_t len);
	/* This-Layer-Up/-Down/-Started/-Finished (RFC 1661 4.4). */
	void (*up)(struct fsm *f, uint64_t now);
	void (*down)(struct fsm *f, uint64_t now);
	void (*started)(struct fsm *f, uint64_t now);
	void (*finished)(struct fsm *f, uint64_t now);
	/* Codes beyond 7. Returns true if the code is known (handled), false for
	 * an unknown code (RUC, answered with Code-Reject). May be NULL. */
	bool (*other_code)(struct fsm *f, uint8_t code, uint8_t id, const uint8_t *data,
			   size_t len, uint64_t now);
};

struct fsm_params {
	unsigned restart_ms;
	unsigned max_configure;
	unsigned max_terminate;
	unsigned max_failure;
};

/* Sends one packet of f's protocol (code, id, length already in pkt). */
typedef void (*fsm_send_fn)(void *ctx, uint16_t proto, const uint8_t *pkt, size_t len);

struct fsm {
	const struct fsm_ops *ops;
	void *ctx;                      /* the protocol's owner (the session) */
	fsm_send_fn send;
	const char *ident;              /* log prefix, owned by the session */
	struct fsm_params params;
	enum fsm_state state;
	uint8_t next_id;                /* Identifier for the next packet we originate */
	uint8_t req_id;                 /* Identifier of our outstanding ConfReq */
	bool req_pending;               /* a ConfReq of ours awaits its reply */
	unsigned restart_count;
	unsigned failure_count;         /* Naks sent since the last Ack sent */
	unsigned naks_rcvd;             /* Naks/Rejects received since the last Ack received */
	uint64_t timer_at;              /* restart timer, 0 = stopped */
	uint64_t now;                   /* time of the event being handled */
	/* The packet being handled, for the sta/sca/scn/scj actions. */
	uint8_t rx_id;
	const uint8_t *rx_pkt;
	size_t rx_len;
	uint8_t reply_code;
	const uint8_t *reply;           /* while a ConfReq is handled: the answer, on the stack */
	size_t reply_len;
	/* Our last ConfReq's options, as sent (LCP keeps them for proxy AVPs). */
	uint8_t req_opts[FSM_REQ_MAX];
	size_t req_len;
	char term_reason[64];           /* Terminate-Request data */
};

void fsm_init(struct fsm *f, const struct fsm_ops *ops, void *ctx, fsm_send_fn send,
	      const char *ident, const struct fsm_params *params);
/* The four administrative and lower-layer events. reason goes into the
 * Terminate-Request (may be NULL). */
void fsm_up(struct fsm *f, uint64_t now);
void fsm_down(struct fsm *f, uint64_t now);
void fsm_open(struct fsm *f, uint64_t now);
void fsm_close(struct fsm *f, const char *reason, uint64_t now);
/* One packet of f's protocol (code, id, length, data). Malformed packets are
 * counted in the log and dropped (RFC 1661 5: silently discard). */
void fsm_input(struct fsm *f, const uint8_t *pkt, size_t len, uint64_t now);
/* Runs the restart timer if due (TO+ or TO-). */
void fsm_timeout(struct fsm *f, uint64_t now);
/* The peer rejected this protocol or a code it cannot live without (RXJ-). */
void fsm_reject_fatal(struct fsm *f, uint64_t now);
/* Sends code/id/data as one packet of f's protocol. Returns 0 or -1 (too long). */
int fsm_send(struct fsm *f, uint8_t code, uint8_t id, const uint8_t *data, size_t len);
static inline bool fsm_is_opened(const struct fsm *f)
{
	return f->state == FSM_OPENED;
}

/* Option list walking (RFC 1661 6: type, length >= 2, data). Returns the number
 * of octets of the option at opts, or -1 if it is malformed. */
int fsm_opt_len(const uint8_t *opts, size_t remaining);

#endif
