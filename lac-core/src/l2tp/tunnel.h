/* Tunnel (control connection) state machine, LAC originating: RFC 2661 7.2
 * (SCCRQ/SCCRP/SCCCN, StopCCN), 5.1.1 (tunnel authentication), 6.5 (HELLO),
 * 4.2 (unknown mandatory AVPs).
 *
 * Pure: no sockets or clock. Datagrams leave through ops->tx, randomness comes
 * from ops->random, `now` (ms) is an argument. The owner (engine.c) routes
 * received datagrams to l2tp_tunnel_input(), calls l2tp_tunnel_timer() at
 * l2tp_tunnel_deadline(), and frees the tunnel once l2tp_tunnel_done(). */
#ifndef L2TP_TUNNEL_H
#define L2TP_TUNNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "l2tp/msg.h"
#include "l2tp/reliable.h"

enum l2tp_tunnel_state {
	L2TP_TUNNEL_IDLE,
	L2TP_TUNNEL_WAIT_CTL_REPLY,     /* SCCRQ sent */
	L2TP_TUNNEL_ESTABLISHED,        /* SCCCN sent */
	L2TP_TUNNEL_CLOSING,            /* StopCCN sent, waiting for its ack */
	L2TP_TUNNEL_CLOSED,             /* held for a retransmit cycle, then freed */
	L2TP_TUNNEL_N_STATES
};

enum l2tp_tunnel_event {
	L2TP_TEV_OPEN,                  /* local: start the control connection */
	L2TP_TEV_RX_SCCRQ,
	L2TP_TEV_RX_SCCRP,
	L2TP_TEV_RX_SCCCN,
	L2TP_TEV_RX_STOPCCN,
	L2TP_TEV_RX_HELLO,
	L2TP_TEV_RX_SESSION,            /* any session message (ICRP, CDN, SLI, ...) */
	L2TP_TEV_RX_BAD,                /* tunnel message with an unknown M AVP or missing AVP */
	L2TP_TEV_RX_UNKNOWN,            /* unknown message type with M set */
	L2TP_TEV_HELLO_TIMER,
	L2TP_TEV_GIVE_UP,               /* reliable delivery gave up */
	L2TP_TEV_CLOSE,                 /* local: StopCCN with a result code */
	L2TP_TEV_ALL_ACKED,             /* everything we sent is acknowledged */
	L2TP_TEV_N_EVENTS
};

const char *l2tp_tunnel_state_str(enum l2tp_tunnel_state s);
const char *l2tp_tunnel_event_str(enum l2tp_tunnel_event e);

struct l2tp_tunnel;

struct l2tp_tunnel_ops {
	/* One datagram to the peer. */
	void (*tx)(void *arg, struct l2tp_tunnel *t, const uint8_t *buf, size_t len);
	/* Fills buf with random bytes: 0, or -1 (then the operation fails; the
	 * buffer is never used). */
	int (*random)(void *arg, void *buf, size_t len);
	/* SCCCN sent: sessions may start. */
	void (*up)(void *arg, struct l2tp_tunnel *t);
	/* The tunnel is going (StopCCN either way, authentication failure, peer
	 * dead): every session on it is gone. `setup` is true when it never got
	 * established. result/error: what we sent or received. */
	void (*down)(void *arg, struct l2tp_tunnel *t, bool setup, uint16_t result, uint16_t error,
		     const char *why);
	/* A session message for our session ID sid; err is non-NULL when the
	 * message failed to decode and the session must be cleared (4.2). */
	void (*session_msg)(void *arg, struct l2tp_tunnel *t, uint16_t sid, const struct l2tp_msg *m,
			    const struct l2tp_dec_err *err, uint64_t now);
	/* The peer acknowledged up to (not including) Ns `una`. */
	void (*acked)(void *arg, struct l2tp_tunnel *t, uint16_t una, uint64_t now);
};

struct l2tp_tunnel_cfg {
	char host_name[64];
	char vendor_name[32];
	uint8_t secret[128];
	size_t secret_len;
	char server_auth_id[64];        /* expected peer Host Name, if non-empty */
	bool hide_avps;                 /* hide session AVPs (RFC 2661 4.3) when a secret is set */
	unsigned hello_interval_ms;
	/* Setup deadline: no SCCRP this long after the SCCRQ (acknowledged or
	 * not) and the tunnel gives up as if the peer never answered (down with
	 * setup, result 0). 0: only the retransmission cycle bounds it. */
	unsigned setup_timeout_ms;
	struct l2tp_rel_cfg rel;
};

struct l2tp_tunnel_stats {
	uint64_t rx_msgs, tx_msgs, rx_bad, rx_unexpected, hellos_sent;
};

struct l2tp_tunnel {
	enum l2tp_tunnel_state state;
	uint16_t local_tid, peer_tid;
	struct l2tp_tunnel_cfg cfg;
	uint8_t challenge[16];          /* ours, sent in SCCRQ */
	uint8_t tie_breaker[8];
	char peer_host_name[64];
	char peer_vendor[64];
	uint64_t last_activity_ms;      /* for HELLO */
	/* The last datagram from the peer that reliable delivery took (in order,
	 * ahead of a gap, a duplicate or a ZLB): the peer is alive, however lossy
	 * the path. 0: never heard. */
	uint64_t last_heard_ms;
	uint64_t hold_until_ms;         /* CLOSED: free after this */
	uint64_t setup_deadline_ms;     /* WAIT_CTL_REPLY: give up at this time; 0: none */
	uint16_t close_result, close_error;
	/* Set before `down` when the failure is ours, not the peer's: no
	 * randomness, a full send queue, a local close (RFC 2867 Tunnel-Reject
	 * reports only what the LNS refused or left unanswered). */
	bool failed_here;
	struct l2tp_rel rel;
	struct l2tp_tunnel_stats stats;
	const struct l2tp_tunnel_ops *ops;
	void *arg;
};

/* Argument of an event: the message received, or the result to send. */
struct l2tp_tunnel_evarg {
	const struct l2tp_msg *m;
	uint16_t sid;                   /* header session ID of a received message */
	const struct l2tp_dec_err *err;
	uint16_t result, error;
	const char *why;
};

void l2tp_tunnel_init(struct l2tp_tunnel *t, uint16_t local_tid, const struct l2tp_tunnel_cfg *cfg,
		      const struct l2tp_tunnel_ops *ops, void *arg);
/* Frees what the tunnel holds (queued messages). No callbacks. */
void l2tp_tunnel_release(struct l2tp_tunnel *t);

/* The dispatcher: looks up (state, event), runs the action, logs the transition.
 * A pair without a row is logged and given the table's default outcome
 * (StopCCN result 7 where a control connection exists, otherwise ignored). */
void l2tp_tunnel_event(struct l2tp_tunnel *t, enum l2tp_tunnel_event ev,
		       const struct l2tp_tunnel_evarg *arg, uint64_t now);

/* One received control datagram for this tunnel (header already decoded). */
void l2tp_tunnel_input(struct l2tp_tunnel *t, const struct l2tp_hdr *h, const uint8_t *pkt,
		       size_t len, uint64_t now);
/* Sends a session-level message to the peer's session peer_sid. Returns 0 or -1. */
int l2tp_tunnel_send(struct l2tp_tunnel *t, uint16_t peer_sid, struct l2tp_msg *m, uint64_t now);
/* Runs retransmission, HELLO and hold timers. */
void l2tp_tunnel_timer(struct l2tp_tunnel *t, uint64_t now);
/* Absolute ms of the next l2tp_tunnel_timer() duty, 0 for none. */
uint64_t l2tp_tunnel_deadline(const struct l2tp_tunnel *t);
/* True once CLOSED and its hold time is over: the owner may free it. */
bool l2tp_tunnel_done(const struct l2tp_tunnel *t, uint64_t now);
/* The outcome a (state, event) pair has, for tests: the action's name and the
 * next state the table gives (-1 when the action decides). */
const char *l2tp_tunnel_outcome(enum l2tp_tunnel_state s, enum l2tp_tunnel_event e, int *next);

/* RFC 2661 4.4.3/5.1.1: MD5(msg type octet || secret || challenge). */
void l2tp_challenge_response(uint8_t type, const uint8_t *secret, size_t secret_len,
			     const uint8_t *chal, size_t chal_len, uint8_t out[16]);

#endif
