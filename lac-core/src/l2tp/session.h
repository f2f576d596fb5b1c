/* Session state machine, LAC side of an incoming call: RFC 2661 7.4.1 (ICRQ,
 * ICRP, ICCN), 6.14 (CDN), 6.15/6.16 (WEN, SLI), 4.4.5 (proxy AVPs).
 *
 * Pure: messages leave through ops->send (the tunnel), nothing here touches a
 * socket, the clock or the caller's callbacks. Outcomes the engine must act
 * on are left in the struct: `up_pending` when the session came up, `why` when
 * it reached CLOSED. The engine reads them after each l2tp_session_fsm_event(). */
#ifndef L2TP_SESSION_H
#define L2TP_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "l2tp/l2tp.h"
#include "l2tp/msg.h"

enum l2tp_session_state {
	L2TP_SESSION_IDLE,
	L2TP_SESSION_WAIT_TUNNEL,       /* tunnel being set up */
	L2TP_SESSION_WAIT_REPLY,        /* ICRQ sent */
	L2TP_SESSION_WAIT_ACK,          /* ICCN sent, not yet acknowledged */
	L2TP_SESSION_ESTABLISHED,
	L2TP_SESSION_CLOSED,
	L2TP_SESSION_N_STATES
};

enum l2tp_session_event {
	L2TP_SEV_OPEN,
	L2TP_SEV_TUNNEL_UP,
	L2TP_SEV_TUNNEL_DOWN,
	L2TP_SEV_RX_ICRP,
	L2TP_SEV_RX_CDN,
	L2TP_SEV_RX_SLI,
	L2TP_SEV_RX_OTHER,              /* ICRQ, ICCN, OCRQ, OCRP, OCCN, WEN from the LNS */
	L2TP_SEV_RX_BAD,                /* session message with an unknown M AVP, missing AVP, ... */
	L2TP_SEV_ICCN_ACKED,
	L2TP_SEV_CLOSE,                 /* local: CDN, no report */
	L2TP_SEV_SETUP_TIMEOUT,         /* local: the LNS took the ICRQ/ICCN but did not answer in time */
	L2TP_SEV_N_EVENTS
};

const char *l2tp_session_state_str(enum l2tp_session_state s);
const char *l2tp_session_event_str(enum l2tp_session_event e);

struct l2tp_session_fsm;

struct l2tp_session_fsm_ops {
	/* Sends m to the peer session peer_sid over the session's tunnel. */
	int (*send)(void *arg, struct l2tp_session_fsm *f, uint16_t peer_sid, struct l2tp_msg *m,
		    uint64_t now);
};

struct l2tp_session_fsm {
	enum l2tp_session_state state;
	uint16_t local_sid, peer_sid, local_tid;
	uint32_t call_serial;
	const struct l2tp_call_info *call;
	uint64_t hide;                  /* AVP types to send hidden */
	bool sequencing_required;       /* send Sequencing Required in ICCN (6.12) */
	bool up_pending;                /* reached ESTABLISHED: the engine reports `up` */
	struct l2tp_disconnect why;     /* valid in CLOSED */
	/* CLOSED by the LNS during setup (its CDN, a message we could not take,
	 * no answer within the setup timeout), not by us or the tunnel: what
	 * RFC 2867 4.2 reports as Tunnel-Link-Reject. */
	bool lns_refused;
	uint32_t send_accm, recv_accm;  /* from the LNS's SLI */
	const struct l2tp_session_fsm_ops *ops;
	void *arg;
};

/* Event arguments: a received message (m, err) or what to send (result...). */
struct l2tp_session_evarg {
	const struct l2tp_msg *m;
	const struct l2tp_dec_err *err;
	uint16_t result, error;
	const char *msg;
	uint16_t ppp_disc_code;
	bool tunnel_setup;              /* TUNNEL_DOWN: the tunnel never came up */
};

void l2tp_session_fsm_init(struct l2tp_session_fsm *f, uint16_t local_sid, uint32_t call_serial,
			   const struct l2tp_call_info *call, uint64_t hide,
			   const struct l2tp_session_fsm_ops *ops, void *arg);
/* The dispatcher; pairs without a row get the default outcome (CDN result 2
 * once the peer knows the session, else ignored), logged by name. */
void l2tp_session_fsm_event(struct l2tp_session_fsm *f, enum l2tp_session_event ev,
			    const struct l2tp_session_evarg *arg, uint64_t now);
/* For tests: the action name a (state, event) pair runs and its next state
 * (-1 when the action decides). */
const char *l2tp_session_outcome(enum l2tp_session_state s, enum l2tp_session_event e, int *next);
/* Maps a received session message type to its event. */
enum l2tp_session_event l2tp_session_event_for(uint16_t msg_type);

#endif
