/* Reliable control channel, RFC 2661 5.8 and Appendix A. */
#include "l2tp/reliable.h"

#include <stdlib.h>
#include <string.h>

#include "l2tp/avp.h"

const char *l2tp_rel_verdict_str(enum l2tp_rel_verdict v)
{
	switch (v) {
	case L2TP_REL_DELIVER: return "deliver";
	case L2TP_REL_ZLB: return "zlb";
	case L2TP_REL_DUPLICATE: return "duplicate";
	case L2TP_REL_QUEUED: return "queued";
	case L2TP_REL_DROPPED: return "dropped";
	}
	return "unknown";
}

void l2tp_rel_init(struct l2tp_rel *rel, const struct l2tp_rel_cfg *cfg)
{
	memset(rel, 0, sizeof(*rel));
	rel->cfg = *cfg;
	if (rel->cfg.rx_window == 0)
		rel->cfg.rx_window = 1;
	if (rel->cfg.rx_window > L2TP_REL_RXQ)
		rel->cfg.rx_window = L2TP_REL_RXQ;
	if (rel->cfg.rto_initial_ms == 0)
		rel->cfg.rto_initial_ms = 1000;
	if (rel->cfg.rto_max_ms < rel->cfg.rto_initial_ms)
		rel->cfg.rto_max_ms = rel->cfg.rto_initial_ms;
	rel->peer_rws = 4;              /* 5.8: default when no Receive Window Size AVP */
	rel->cwnd = 1;                  /* Appendix A: slow start from one */
	rel->ssthresh = rel->peer_rws;
	rel->rto_ms = rel->cfg.rto_initial_ms;
}

void l2tp_rel_free(struct l2tp_rel *rel)
{
	unsigned i;

	for (i = 0; i < L2TP_REL_TXQ; i++) {
		free(rel->txq[i]);
		rel->txq[i] = NULL;
	}
	for (i = 0; i < L2TP_REL_RXQ; i++) {
		free(rel->rxq[i]);
		rel->rxq[i] = NULL;
	}
	rel->tx_count = rel->tx_sent = rel->tx_next = 0;
	rel->rto_at = 0;
}

void l2tp_rel_set_peer_window(struct l2tp_rel *rel, uint16_t rws)
{
	rel->peer_rws = rws ? rws : 1;
	if (rel->peer_rws > L2TP_REL_TXQ)
		rel->peer_rws = L2TP_REL_TXQ;
	rel->ssthresh = rel->peer_rws;
	if (rel->cwnd > rel->peer_rws)
		rel->cwnd = rel->peer_rws;
}

static struct l2tp_rel_msg **txq_slot(struct l2tp_rel *rel, unsigned i)
{
	return &rel->txq[(uint16_t)(rel->una + i) % L2TP_REL_TXQ];
}

static void rel_transmit(struct l2tp_rel *rel, struct l2tp_rel_msg *m, l2tp_rel_tx_fn tx, void *arg)
{
	/* Nr is current at every (re)transmission, so each one acknowledges too. */
	l2tp_put16(m->buf + 10, rel->nr);
	rel->ack_pending = false;
	tx(arg, m->buf, m->len);
}

/* Sends queued messages while the window (min of cwnd and the peer's RWS) has room. */
static void rel_pump(struct l2tp_rel *rel, uint64_t now, l2tp_rel_tx_fn tx, void *arg)
{
	unsigned win = rel->cwnd < rel->peer_rws ? rel->cwnd : rel->peer_rws;

	while (rel->tx_next < rel->tx_count && rel->tx_next < win) {
		rel_transmit(rel, *txq_slot(rel, rel->tx_next), tx, arg);
		if (rel->tx_next >= rel->tx_sent) {
			rel->tx_sent = rel->tx_next + 1;
			rel->stats.sent++;
		} else {
			rel->stats.retransmits++;
		}
		rel->tx_next++;
		if (rel->rto_at == 0)
			rel->rto_at = now + rel->rto_ms;
	}
}

int l2tp_rel_send(struct l2tp_rel *rel, const uint8_t *buf, size_t len, uint64_t now,
		  l2tp_rel_tx_fn tx, void *arg)
{
	struct l2tp_rel_msg *m;

	if (len < 12 || rel->tx_count >= L2TP_REL_TXQ || rel->failed)
		return -1;
	m = malloc(sizeof(*m) + len);
	if (!m)
		return -1;
	m->len = len;
	memcpy(m->buf, buf, len);
	l2tp_put16(m->buf + 8, rel->ns_next);
	rel->ns_next++;
	*txq_slot(rel, rel->tx_count) = m;
	rel->tx_count++;
	rel_pump(rel, now, tx, arg);
	return 0;
}

/* Appendix A: one more acknowledged message opens the window by one in slow
 * start, by one per full window in congestion avoidance. */
static void rel_open_window(struct l2tp_rel *rel)
{
	if (rel->cwnd < rel->ssthresh) {
		rel->cwnd++;
	} else if (++rel->ca_acks >= rel->cwnd) {
		rel->ca_acks = 0;
		rel->cwnd++;
	}
	if (rel->cwnd > rel->peer_rws)
		rel->cwnd = rel->peer_rws;
}

/* Applies a peer's Nr: everything before it is acknowledged. An Nr beyond what
 * we have sent is bogus and ignored. */
static void rel_ack(struct l2tp_rel *rel, uint16_t nr, uint64_t now)
{
	uint16_t acked = (uint16_t)(nr - rel->una);
	unsigned i;

	if (acked == 0)
		return;
	if (acked > rel->tx_sent) {
		rel->stats.bad_nr++;
		return;
	}
	for (i = 0; i < acked; i++) {
		struct l2tp_rel_msg **slot = txq_slot(rel, 0);

		free(*slot);
		*slot = NULL;
		rel->una++;
		rel->tx_count--;
		rel->tx_sent--;
		if (rel->tx_next)
			rel->tx_next--;
		rel->stats.acked++;
		rel_open_window(rel);
	}
	rel->retries = 0;
	rel->rto_ms = rel->cfg.rto_initial_ms;
	rel->rto_at = rel->tx_sent ? now + rel->rto_ms : 0;
}

/* After nr or peer_next moved: are we still missing something the peer sent? */
static void rel_note_behind(struct l2tp_rel *rel, uint64_t now)
{
	if (!l2tp_seq_lt(rel->nr, rel->peer_next))
		rel->behind_since = 0;
	else if (!rel->behind_since)
		rel->behind_since = now ? now : 1;
}

/* The peer's Ns tells how far it has sent: a message ns was sent, so its next
 * is ns + 1; a ZLB carries the next one itself. */
static void rel_note_peer_ns(struct l2tp_rel *rel, uint16_t ns, bool zlb, uint64_t now)
{
	uint16_t next = zlb ? ns : (uint16_t)(ns + 1);

	if (l2tp_seq_lt(rel->peer_next, next))
		rel->peer_next = next;
	rel_note_behind(rel, now);
}

uint64_t l2tp_rel_behind_since(const struct l2tp_rel *rel)
{
	return l2tp_seq_lt(rel->nr, rel->peer_next) ? rel->behind_since : 0;
}

/* Classifies a received message's Ns (advancing nr for one in order). */
static enum l2tp_rel_verdict rel_take_ns(struct l2tp_rel *rel, uint16_t ns, bool zlb,
					 const uint8_t *msg, size_t len, uint64_t now)
{
	uint16_t ahead;
	struct l2tp_rel_msg *m;

	if (zlb) {
		rel_note_peer_ns(rel, ns, true, now);
		return L2TP_REL_ZLB;
	}
	if (ns == rel->nr) {
		rel->nr++;
		rel->ack_pending = true;
		rel->stats.delivered++;
		rel_note_peer_ns(rel, ns, false, now);
		return L2TP_REL_DELIVER;
	}
	if (l2tp_seq_lt(ns, rel->nr)) {
		/* 5.8: a duplicate means our ack was lost; acknowledge again. */
		rel->ack_pending = true;
		rel->stats.duplicates++;
		return L2TP_REL_DUPLICATE;
	}
	ahead = (uint16_t)(ns - rel->nr);
	if (ahead >= rel->cfg.rx_window) {
		rel->stats.out_of_window++;
		return L2TP_REL_DROPPED;
	}
	rel->ack_pending = true;
	if (rel->rxq[ns % L2TP_REL_RXQ]) {
		rel->stats.duplicates++;
		return L2TP_REL_DUPLICATE;
	}
	m = malloc(sizeof(*m) + len);
	if (!m)
		return L2TP_REL_DROPPED;
	m->len = len;
	memcpy(m->buf, msg, len);
	rel->rxq[ns % L2TP_REL_RXQ] = m;
	rel->stats.out_of_order++;
	rel_note_peer_ns(rel, ns, false, now);
	return L2TP_REL_QUEUED;
}

enum l2tp_rel_verdict l2tp_rel_input(struct l2tp_rel *rel, uint16_t ns, uint16_t nr, bool zlb,
				     const uint8_t *msg, size_t len, uint64_t now,
				     l2tp_rel_tx_fn tx, void *arg)
{
	/* Ns first: the messages this Nr lets out of the window then carry an
	 * Nr that acknowledges this one as well. Sent before it, a released
	 * message acknowledges one message too few, and a peer that acks only
	 * when it has nothing of its own outstanding (l2tpns) leaves the last
	 * messages of a burst unacknowledged until our retransmission. */
	enum l2tp_rel_verdict v = rel_take_ns(rel, ns, zlb, msg, len, now);

	rel_ack(rel, nr, now);
	rel_pump(rel, now, tx, arg);
	return v;
}

struct l2tp_rel_msg *l2tp_rel_pop(struct l2tp_rel *rel)
{
	struct l2tp_rel_msg **slot = &rel->rxq[rel->nr % L2TP_REL_RXQ];
	struct l2tp_rel_msg *m = *slot;

	if (!m)
		return NULL;
	*slot = NULL;
	rel->nr++;
	rel->ack_pending = true;
	rel->stats.delivered++;
	if (!l2tp_seq_lt(rel->nr, rel->peer_next))
		rel->behind_since = 0;
	return m;
}

void l2tp_rel_send_zlb(struct l2tp_rel *rel, uint16_t tid, l2tp_rel_tx_fn tx, void *arg)
{
	uint8_t b[12];

	/* 5.8: a ZLB carries the Ns of the next message to be sent, without
	 * consuming it: the first one still queued behind the window when there
	 * is one (una + tx_sent), not ns_next, which skips the queued ones. */
	l2tp_put16(b, 0xc802);
	l2tp_put16(b + 2, 12);
	l2tp_put16(b + 4, tid);
	l2tp_put16(b + 6, 0);
	l2tp_put16(b + 8, (uint16_t)(rel->una + rel->tx_sent));
	l2tp_put16(b + 10, rel->nr);
	rel->ack_pending = false;
	rel->stats.zlb_sent++;
	tx(arg, b, sizeof(b));
}

int l2tp_rel_timer(struct l2tp_rel *rel, uint64_t now, l2tp_rel_tx_fn tx, void *arg)
{
	if (rel->failed)
		return -1;
	if (rel->rto_at == 0 || now < rel->rto_at || rel->tx_sent == 0)
		return 0;
	if (rel->retries >= rel->cfg.max_retransmits) {
		rel->failed = true;
		rel->rto_at = 0;
		return -1;
	}
	/* Appendix A: on loss halve the threshold and restart slow start; resend the oldest. */
	rel->ssthresh = rel->cwnd / 2 ? rel->cwnd / 2 : 1;
	rel->cwnd = 1;
	rel->ca_acks = 0;
	rel->retries++;
	rel->rto_ms = rel->rto_ms * 2 > rel->cfg.rto_max_ms ? rel->cfg.rto_max_ms : rel->rto_ms * 2;
	/* Go back to the oldest unacknowledged message; the ones after it go out
	 * again as acks reopen the window. */
	rel->tx_next = 0;
	rel->rto_at = 0;
	rel_pump(rel, now, tx, arg);
	rel->rto_at = now + rel->rto_ms;
	return 0;
}

uint64_t l2tp_rel_cycle_ms(const struct l2tp_rel_cfg *cfg)
{
	uint64_t total = 0, rto = cfg->rto_initial_ms ? cfg->rto_initial_ms : 1000;
	unsigned i;

	for (i = 0; i <= cfg->max_retransmits; i++) {
		total += rto;
		rto = rto * 2 > cfg->rto_max_ms ? cfg->rto_max_ms : rto * 2;
	}
	return total;
}
