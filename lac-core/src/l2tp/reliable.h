/* Reliable delivery of control messages on one tunnel, RFC 2661 5.8 and
 * Appendix A: Ns/Nr modulo 2^16, in-order delivery with an out-of-order queue,
 * duplicate detection, ZLB acks, the peer's receive window with slow start and
 * congestion avoidance, retransmission with exponential backoff and give-up.
 *
 * No sockets, no clock: `now` (ms) comes in, datagrams go out through tx. The
 * owner arms one timer at l2tp_rel_deadline() and calls l2tp_rel_timer(). */
#ifndef L2TP_RELIABLE_H
#define L2TP_RELIABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define L2TP_REL_TXQ 1024       /* messages queued or unacked per tunnel: a burst of calls
                                 * on one tunnel waits here for the peer's window; a power
                                 * of two, so the ring index survives Ns wrapping */
#define L2TP_REL_RXQ 32         /* out-of-order messages held (and max rx_window) */

typedef void (*l2tp_rel_tx_fn)(void *arg, const uint8_t *buf, size_t len);

struct l2tp_rel_cfg {
	unsigned rto_initial_ms;        /* 1000 */
	unsigned rto_max_ms;            /* 8000 */
	unsigned max_retransmits;       /* 5: give up after this many unanswered retransmissions */
	uint16_t rx_window;             /* what we advertise; out-of-order slots (<= L2TP_REL_RXQ) */
};

struct l2tp_rel_stats {
	uint64_t sent, retransmits, acked, zlb_sent, duplicates, out_of_order, out_of_window,
		 bad_nr, delivered;
};

struct l2tp_rel_msg {
	size_t len;
	uint8_t buf[];          /* whole message, 12-byte control header first */
};

struct l2tp_rel {
	struct l2tp_rel_cfg cfg;
	uint16_t ns_next;       /* Ns of the next new message */
	uint16_t nr;            /* Ns we expect next from the peer */
	uint16_t una;           /* oldest Ns not yet acknowledged */
	struct l2tp_rel_msg *txq[L2TP_REL_TXQ];  /* txq[(una + i) % TXQ], i < tx_count */
	unsigned tx_count;      /* queued, unacknowledged messages */
	unsigned tx_sent;       /* how many of them went out at least once */
	unsigned tx_next;       /* how many went out in this round: after a timeout the
	                         * round restarts at una (go-back-N: l2tpns drops what
	                         * arrives out of order, so everything after a loss is
	                         * sent again as the window reopens) */
	unsigned peer_rws;      /* peer's Receive Window Size (default 4) */
	unsigned cwnd, ssthresh, ca_acks;
	uint64_t rto_at;        /* 0: no retransmission timer */
	unsigned rto_ms;
	unsigned retries;
	bool failed;            /* gave up: peer unreachable */
	bool ack_pending;       /* received something not yet acknowledged */
	uint16_t peer_next;     /* Ns the peer sends next, as far as its messages and ZLBs
	                         * tell (a ZLB carries it, 5.8): ahead of nr, the peer sent
	                         * messages we have not received yet */
	uint64_t behind_since;  /* when nr fell behind peer_next (0: it is not) */
	struct l2tp_rel_msg *rxq[L2TP_REL_RXQ];  /* rxq[ns % RXQ] for ns in (nr, nr + rx_window) */
	struct l2tp_rel_stats stats;
};

enum l2tp_rel_verdict {
	L2TP_REL_DELIVER,       /* in order: process it now, then drain l2tp_rel_pop() */
	L2TP_REL_ZLB,           /* acknowledgement only */
	L2TP_REL_DUPLICATE,     /* already seen: only (re-)acknowledge */
	L2TP_REL_QUEUED,        /* ahead of a gap: held for later delivery */
	L2TP_REL_DROPPED,       /* outside our window: ignored */
};
const char *l2tp_rel_verdict_str(enum l2tp_rel_verdict v);

void l2tp_rel_init(struct l2tp_rel *rel, const struct l2tp_rel_cfg *cfg);
/* Frees queued messages; the struct can be re-initialised afterwards. */
void l2tp_rel_free(struct l2tp_rel *rel);
/* Applies the peer's Receive Window Size AVP (0 is taken as 1). */
void l2tp_rel_set_peer_window(struct l2tp_rel *rel, uint16_t rws);

/* Queues one control message (buf: 12-byte header with tid/sid already set,
 * then the AVPs); Ns is assigned now, Nr at each transmission. Sends it at once
 * when the window allows. Returns 0, or -1 when the queue is full or len is 0. */
int l2tp_rel_send(struct l2tp_rel *rel, const uint8_t *buf, size_t len, uint64_t now,
		  l2tp_rel_tx_fn tx, void *arg);

/* Takes the sequence numbers of one received control message (zlb: no AVPs),
 * applies its Nr as an acknowledgement (sending what the window now allows)
 * and classifies its Ns. For L2TP_REL_QUEUED the message is copied. */
enum l2tp_rel_verdict l2tp_rel_input(struct l2tp_rel *rel, uint16_t ns, uint16_t nr, bool zlb,
				     const uint8_t *msg, size_t len, uint64_t now,
				     l2tp_rel_tx_fn tx, void *arg);
/* After a delivered message: returns the next held message that is now in
 * order (the caller frees it with free()), or NULL. */
struct l2tp_rel_msg *l2tp_rel_pop(struct l2tp_rel *rel);

/* Since when (ms) the peer has sent messages we have not received: it will
 * retransmit them on its own schedule (a message lost, or one queued behind
 * a gap). 0 when nothing it sent is missing, as far as we can tell. */
uint64_t l2tp_rel_behind_since(const struct l2tp_rel *rel);

/* True when something was received that no outgoing message acknowledged yet. */
static inline bool l2tp_rel_ack_due(const struct l2tp_rel *rel) { return rel->ack_pending; }
/* Sends a ZLB acknowledgement (RFC 2661 5.8) to peer tunnel tid. */
void l2tp_rel_send_zlb(struct l2tp_rel *rel, uint16_t tid, l2tp_rel_tx_fn tx, void *arg);

/* Retransmission timer. Returns 0, or -1 when max_retransmits went unanswered
 * (rel->failed is set; the tunnel must be cleared). */
int l2tp_rel_timer(struct l2tp_rel *rel, uint64_t now, l2tp_rel_tx_fn tx, void *arg);
/* When l2tp_rel_timer() must run next (absolute ms), or 0 for never. */
static inline uint64_t l2tp_rel_deadline(const struct l2tp_rel *rel) { return rel->rto_at; }
/* True when every queued message has been acknowledged. */
static inline bool l2tp_rel_idle(const struct l2tp_rel *rel) { return rel->tx_count == 0; }
/* How long a full retransmission cycle lasts (for holding state after StopCCN). */
uint64_t l2tp_rel_cycle_ms(const struct l2tp_rel_cfg *cfg);

static inline bool l2tp_seq_lt(uint16_t a, uint16_t b) { return (int16_t)(uint16_t)(a - b) < 0; }

#endif
