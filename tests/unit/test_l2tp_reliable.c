/* Reliable delivery (RFC 2661 5.8, Appendix A) on a fake clock: loss and
 * retransmission with backoff 1, 2, 4, 8, 8 s then give-up, acks, duplicates,
 * reordering, the receive window, slow start, ZLBs and sequence wrap. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "l2tp/avp.h"
#include "l2tp/reliable.h"

struct sent {
	unsigned n;
	uint16_t ns[256], nr[256];
	size_t len[256];
};

static void tx(void *arg, const uint8_t *buf, size_t len)
{
	struct sent *s = arg;

	cr_assert_lt(s->n, 256);
	s->ns[s->n] = l2tp_get16(buf + 8);
	s->nr[s->n] = l2tp_get16(buf + 10);
	s->len[s->n] = len;
	s->n++;
}

static const struct l2tp_rel_cfg cfg = { 1000, 8000, 5, 8 };

static void queue(struct l2tp_rel *r, struct sent *s, uint64_t now)
{
	uint8_t m[20] = { 0xc8, 0x02, 0, 20 };

	cr_assert_eq(l2tp_rel_send(r, m, sizeof(m), now, tx, s), 0);
}

Test(l2tp_reliable, backoff_is_1_2_4_8_8_then_give_up)
{
	static const uint64_t at[] = { 1000, 3000, 7000, 15000, 23000 };
	struct l2tp_rel r;
	struct sent s = { 0 };
	unsigned i;

	l2tp_rel_init(&r, &cfg);
	queue(&r, &s, 0);
	cr_assert_eq(s.n, 1);
	for (i = 0; i < 5; i++) {
		cr_assert_eq(l2tp_rel_deadline(&r), at[i], "retransmit %u due at %llu", i,
			     (unsigned long long)l2tp_rel_deadline(&r));
		cr_assert_eq(l2tp_rel_timer(&r, at[i] - 1, tx, &s), 0);
		cr_assert_eq(s.n, 1 + i, "nothing before the deadline");
		cr_assert_eq(l2tp_rel_timer(&r, at[i], tx, &s), 0);
		cr_assert_eq(s.n, 2 + i);
		cr_assert_eq(s.ns[s.n - 1], 0, "the same message again");
	}
	cr_assert_eq(l2tp_rel_deadline(&r), 31000);
	cr_assert_eq(l2tp_rel_timer(&r, 31000, tx, &s), -1);
	cr_assert(r.failed);
	cr_assert_eq(r.stats.retransmits, 5);
	cr_assert_eq(l2tp_rel_cycle_ms(&cfg), 31000);
	l2tp_rel_free(&r);
}

Test(l2tp_reliable, ack_stops_retransmission_and_resets_backoff)
{
	struct l2tp_rel r;
	struct sent s = { 0 };

	l2tp_rel_init(&r, &cfg);
	queue(&r, &s, 0);
	l2tp_rel_timer(&r, 1000, tx, &s);
	cr_assert_eq(l2tp_rel_input(&r, 0, 1, true, NULL, 0, 1500, tx, &s), L2TP_REL_ZLB);
	cr_assert(l2tp_rel_idle(&r));
	cr_assert_eq(l2tp_rel_deadline(&r), 0);
	queue(&r, &s, 2000);
	cr_assert_eq(l2tp_rel_deadline(&r), 3000, "backoff back to 1 s");
	l2tp_rel_free(&r);
}

Test(l2tp_reliable, slow_start_window_and_peer_rws)
{
	struct l2tp_rel r;
	struct sent s = { 0 };
	unsigned i;

	l2tp_rel_init(&r, &cfg);
	l2tp_rel_set_peer_window(&r, 4);
	for (i = 0; i < 10; i++)
		queue(&r, &s, 0);
	cr_assert_eq(s.n, 1, "slow start: one message in flight");
	l2tp_rel_input(&r, 0, 1, true, NULL, 0, 10, tx, &s);
	cr_assert_eq(s.n, 3, "cwnd 2 after one ack");
	l2tp_rel_input(&r, 0, 3, true, NULL, 0, 20, tx, &s);
	cr_assert_eq(r.cwnd, 4);
	cr_assert_eq(s.n, 7, "four in flight (cwnd 4 = peer window)");
	l2tp_rel_input(&r, 0, 7, true, NULL, 0, 30, tx, &s);
	cr_assert_eq(r.cwnd, 4, "never beyond the peer's window");
	cr_assert_eq(s.n, 10);
	for (i = 0; i < 10; i++)
		cr_assert_eq(s.ns[i], i);
	l2tp_rel_free(&r);
}

Test(l2tp_reliable, window_full_queues_and_loss_restarts_slow_start)
{
	struct l2tp_rel r;
	struct sent s = { 0 };
	unsigned i;

	l2tp_rel_init(&r, &cfg);
	l2tp_rel_set_peer_window(&r, 2);
	for (i = 0; i < 3; i++)
		queue(&r, &s, 0);
	l2tp_rel_input(&r, 0, 1, true, NULL, 0, 10, tx, &s);
	cr_assert_eq(s.n, 3);
	cr_assert_eq(r.cwnd, 2);
	/* Lose both: the timer resends only the oldest, window back to 1. */
	l2tp_rel_timer(&r, 1010, tx, &s);
	cr_assert_eq(s.n, 4);
	cr_assert_eq(s.ns[3], 1);
	cr_assert_eq(r.cwnd, 1);
	cr_assert_eq(r.ssthresh, 1);
	/* Full queue: L2TP_REL_TXQ messages at most. */
	for (i = r.tx_count; i < L2TP_REL_TXQ; i++)
		queue(&r, &s, 2000);
	{
		uint8_t m[12] = { 0xc8, 0x02, 0, 12 };

		cr_assert_eq(l2tp_rel_send(&r, m, sizeof(m), 2000, tx, &s), -1);
	}
	l2tp_rel_free(&r);
}

Test(l2tp_reliable, duplicates_are_acked_not_delivered)
{
	struct l2tp_rel r;
	struct sent s = { 0 };
	uint8_t m[12] = { 0 };

	l2tp_rel_init(&r, &cfg);
	cr_assert_eq(l2tp_rel_input(&r, 0, 0, false, m, 12, 0, tx, &s), L2TP_REL_DELIVER);
	l2tp_rel_send_zlb(&r, 9, tx, &s);
	cr_assert_eq(s.nr[0], 1);
	cr_assert_eq(s.ns[0], 0, "a ZLB does not consume an Ns");
	cr_assert_eq(s.len[0], 12);
	cr_assert(!l2tp_rel_ack_due(&r));
	cr_assert_eq(l2tp_rel_input(&r, 0, 0, false, m, 12, 5, tx, &s), L2TP_REL_DUPLICATE);
	cr_assert(l2tp_rel_ack_due(&r), "the duplicate says our ack was lost");
	cr_assert_eq(r.nr, 1);
	l2tp_rel_free(&r);
}

Test(l2tp_reliable, reordered_messages_are_held_and_delivered_in_order)
{
	struct l2tp_rel r;
	struct sent s = { 0 };
	struct l2tp_rel_msg *q;
	uint8_t m1[13] = { [12] = 1 }, m2[13] = { [12] = 2 }, m0[13] = { 0 };

	l2tp_rel_init(&r, &cfg);
	cr_assert_eq(l2tp_rel_input(&r, 2, 0, false, m2, 13, 0, tx, &s), L2TP_REL_QUEUED);
	cr_assert_eq(l2tp_rel_input(&r, 1, 0, false, m1, 13, 0, tx, &s), L2TP_REL_QUEUED);
	cr_assert_eq(l2tp_rel_input(&r, 2, 0, false, m2, 13, 0, tx, &s), L2TP_REL_DUPLICATE);
	cr_assert_eq(l2tp_rel_input(&r, 0, 0, false, m0, 13, 0, tx, &s), L2TP_REL_DELIVER);
	q = l2tp_rel_pop(&r);
	cr_assert(q && q->buf[12] == 1);
	free(q);
	q = l2tp_rel_pop(&r);
	cr_assert(q && q->buf[12] == 2);
	free(q);
	cr_assert_null(l2tp_rel_pop(&r));
	cr_assert_eq(r.nr, 3);
	/* Beyond our receive window (8): dropped. */
	cr_assert_eq(l2tp_rel_input(&r, 3 + 8, 0, false, m0, 13, 0, tx, &s), L2TP_REL_DROPPED);
	l2tp_rel_free(&r);
}

Test(l2tp_reliable, sequence_numbers_wrap_modulo_65536)
{
	struct l2tp_rel r;
	struct sent s = { 0 };
	uint8_t m[12] = { 0 };

	l2tp_rel_init(&r, &cfg);
	r.nr = 65535;
	r.ns_next = r.una = 65535;
	cr_assert_eq(l2tp_rel_input(&r, 65535, 65535, false, m, 12, 0, tx, &s), L2TP_REL_DELIVER);
	cr_assert_eq(r.nr, 0);
	cr_assert_eq(l2tp_rel_input(&r, 0, 65535, false, m, 12, 0, tx, &s), L2TP_REL_DELIVER);
	cr_assert_eq(l2tp_rel_input(&r, 65535, 65535, false, m, 12, 0, tx, &s), L2TP_REL_DUPLICATE);
	queue(&r, &s, 0);
	queue(&r, &s, 0);
	cr_assert_eq(s.ns[0], 65535);
	l2tp_rel_input(&r, 0, 0, true, NULL, 0, 0, tx, &s);
	cr_assert_eq(r.una, 0);
	cr_assert(l2tp_seq_lt(65535, 0));
	cr_assert(!l2tp_seq_lt(0, 65535));
	l2tp_rel_free(&r);
}

Test(l2tp_reliable, acks_for_unsent_messages_are_ignored)
{
	struct l2tp_rel r;
	struct sent s = { 0 };

	l2tp_rel_init(&r, &cfg);
	queue(&r, &s, 0);
	l2tp_rel_input(&r, 0, 5, true, NULL, 0, 0, tx, &s);
	cr_assert_eq(r.stats.bad_nr, 1);
	cr_assert(!l2tp_rel_idle(&r));
	l2tp_rel_free(&r);
}

/* Issue 12: a ZLB sent while messages wait behind the peer's window carried
 * the Ns of the next *new* message, skipping the queued ones; the peer (l2tpns
 * counts each) saw every such ZLB as out of order. RFC 2661 5.8: a ZLB
 * carries the Ns of the next message to be sent. */
Test(l2tp_reliable, zlb_carries_the_ns_of_the_next_message_to_send)
{
	struct l2tp_rel r;
	struct sent s = { 0 };
	unsigned i;

	l2tp_rel_init(&r, &cfg);
	l2tp_rel_set_peer_window(&r, 4);
	for (i = 0; i < 10; i++)
		queue(&r, &s, 0);
	cr_assert_eq(s.n, 1, "slow start: one message in flight");
	cr_assert_eq(r.ns_next, 10);
	/* The peer sends something (Ns 0, acking nothing yet): we owe a ZLB. */
	cr_assert_eq(l2tp_rel_input(&r, 0, 0, false, (const uint8_t *)"x", 1, 10, tx, &s),
		     L2TP_REL_DELIVER);
	l2tp_rel_send_zlb(&r, 7, tx, &s);
	cr_assert_eq(s.ns[s.n - 1], 1, "Ns of the next message to go out, not %u", s.ns[s.n - 1]);
	cr_assert_eq(s.nr[s.n - 1], 1);
	/* Everything acknowledged and sent: the ZLB's Ns is the next new one. */
	l2tp_rel_free(&r);
	l2tp_rel_init(&r, &cfg);
	queue(&r, &s, 0);
	l2tp_rel_input(&r, 0, 1, true, NULL, 0, 10, tx, &s);
	l2tp_rel_send_zlb(&r, 7, tx, &s);
	cr_assert_eq(s.ns[s.n - 1], 1);
	l2tp_rel_free(&r);
}

/* A message that acknowledges ours opens the window: what goes out because of
 * it acknowledges it too (Nr past its Ns), so no ZLB is owed. l2tpns acks a
 * message only when nothing of its own is unacknowledged: an Nr one short
 * left the end of every burst waiting for our 1 s retransmission. */
Test(l2tp_reliable, messages_let_out_by_an_ack_acknowledge_the_message_that_carried_it)
{
	struct l2tp_rel r;
	struct sent s = { 0 };
	unsigned i;

	l2tp_rel_init(&r, &cfg);
	l2tp_rel_set_peer_window(&r, 1);
	for (i = 0; i < 3; i++)
		queue(&r, &s, 0);
	cr_assert_eq(s.n, 1);
	/* Peer's Ns 0 acknowledges our Ns 0: our Ns 1 goes out with Nr 1. */
	cr_assert_eq(l2tp_rel_input(&r, 0, 1, false, (const uint8_t *)"x", 1, 10, tx, &s),
		     L2TP_REL_DELIVER);
	cr_assert_eq(s.n, 2);
	cr_assert_eq(s.ns[1], 1);
	cr_assert_eq(s.nr[1], 1, "Nr %u: the released message must ack the one that released it", s.nr[1]);
	cr_assert_not(l2tp_rel_ack_due(&r));
	/* Out of order (Ns 2 ahead of 1) with an ack: the released message acks
	 * only what is in order (Nr stays 1), and the gap keeps an ack owed. */
	cr_assert_eq(l2tp_rel_input(&r, 2, 2, false, (const uint8_t *)"y", 1, 20, tx, &s),
		     L2TP_REL_QUEUED);
	cr_assert_eq(s.n, 3);
	cr_assert_eq(s.nr[2], 1);
	l2tp_rel_free(&r);
}

/* The window we advertise is what we buffer: the configured value is capped
 * at L2TP_REL_RXQ. */
Test(l2tp_reliable, rx_window_is_capped_at_what_is_buffered)
{
	struct l2tp_rel r;
	struct l2tp_rel_cfg big = { 1000, 8000, 5, 1000 };

	l2tp_rel_init(&r, &big);
	cr_assert_eq(r.cfg.rx_window, L2TP_REL_RXQ);
	l2tp_rel_free(&r);
}

/* Issue 12: l2tpns drops every control message that arrives out of order, so
 * after a loss the messages sent behind the lost one are lost too. Resending
 * only the oldest per timeout recovered one message per RTO (a burst of calls
 * on several tunnels stalled for minutes); after a timeout the whole window
 * goes out again from the oldest as acks reopen it (go-back-N). */
Test(l2tp_reliable, after_a_timeout_the_messages_behind_the_lost_one_go_out_again)
{
	struct l2tp_rel r;
	struct sent s = { 0 };
	unsigned i;

	l2tp_rel_init(&r, &cfg);
	l2tp_rel_set_peer_window(&r, 4);
	r.cwnd = 4;
	for (i = 0; i < 4; i++)
		queue(&r, &s, 0);
	cr_assert_eq(s.n, 4, "Ns 0-3 in flight, all lost");
	cr_assert_eq(l2tp_rel_timer(&r, 1000, tx, &s), 0);
	cr_assert_eq(s.n, 5);
	cr_assert_eq(s.ns[4], 0, "the oldest first, window back to 1");
	/* The peer takes Ns 0 and acks it: Ns 1 and 2 go out again (cwnd 2). */
	l2tp_rel_input(&r, 0, 1, true, NULL, 0, 1010, tx, &s);
	cr_assert_eq(s.n, 7);
	cr_assert_eq(s.ns[5], 1);
	cr_assert_eq(s.ns[6], 2);
	l2tp_rel_input(&r, 0, 3, true, NULL, 0, 1020, tx, &s);
	cr_assert_eq(s.ns[s.n - 1], 3, "and Ns 3 after them");
	cr_assert_eq(r.stats.bad_nr, 0, "acks of messages sent before the timeout are fine");
	cr_assert_eq(r.tx_count, 1);
	l2tp_rel_free(&r);
}

/* What the peer has sent but we lack shows in its Ns: a message held behind a
 * gap, or a ZLB whose Ns (its next message, 5.8) is ahead of ours. The engine
 * waits for a late answer while this is so (issue 9, l2tp_loss). */
Test(l2tp_reliable, a_gap_in_what_the_peer_sent_is_known_until_it_closes)
{
	struct l2tp_rel r;
	struct sent s = { 0 };
	struct l2tp_rel_msg *q;
	uint8_t m[13] = { 0 };

	l2tp_rel_init(&r, &cfg);
	cr_assert_eq(l2tp_rel_behind_since(&r), 0);
	cr_assert_eq(l2tp_rel_input(&r, 0, 0, false, m, 13, 100, tx, &s), L2TP_REL_DELIVER);
	cr_assert_eq(l2tp_rel_behind_since(&r), 0, "in order: nothing missing");
	/* Ns 1 lost, 2 arrives: behind since now. */
	cr_assert_eq(l2tp_rel_input(&r, 2, 0, false, m, 13, 200, tx, &s), L2TP_REL_QUEUED);
	cr_assert_eq(l2tp_rel_behind_since(&r), 200);
	cr_assert_eq(l2tp_rel_input(&r, 3, 0, false, m, 13, 300, tx, &s), L2TP_REL_QUEUED);
	cr_assert_eq(l2tp_rel_behind_since(&r), 200, "the gap is as old as its first sign");
	/* The retransmitted 1 fills it. */
	cr_assert_eq(l2tp_rel_input(&r, 1, 0, false, m, 13, 400, tx, &s), L2TP_REL_DELIVER);
	cr_assert_neq(l2tp_rel_behind_since(&r), 0, "2 and 3 not popped yet");
	while ((q = l2tp_rel_pop(&r)) != NULL)
		free(q);
	cr_assert_eq(r.nr, 4);
	cr_assert_eq(l2tp_rel_behind_since(&r), 0);
	/* A ZLB with Ns 5: the peer sent Ns 4 (lost, or on its way). */
	cr_assert_eq(l2tp_rel_input(&r, 5, 0, true, NULL, 0, 500, tx, &s), L2TP_REL_ZLB);
	cr_assert_eq(l2tp_rel_behind_since(&r), 500);
	cr_assert_eq(l2tp_rel_input(&r, 4, 0, false, m, 13, 600, tx, &s), L2TP_REL_DELIVER);
	cr_assert_eq(l2tp_rel_behind_since(&r), 0);
	/* A ZLB with our Ns, a duplicate, and one beyond the window tell nothing. */
	cr_assert_eq(l2tp_rel_input(&r, 5, 0, true, NULL, 0, 700, tx, &s), L2TP_REL_ZLB);
	cr_assert_eq(l2tp_rel_input(&r, 3, 0, false, m, 13, 700, tx, &s), L2TP_REL_DUPLICATE);
	cr_assert_eq(l2tp_rel_input(&r, 5 + 8, 0, false, m, 13, 700, tx, &s), L2TP_REL_DROPPED);
	cr_assert_eq(l2tp_rel_behind_since(&r), 0);
	l2tp_rel_free(&r);
}
