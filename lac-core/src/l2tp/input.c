/* Input demux: datagrams read in recvmmsg() batches go to their tunnel
 * (control) or data.c (data); control messages for no tunnel of ours are
 * answered or dropped here; ICMP errors from the socket's error queue are
 * checked against the datagram they quote. */
#include "l2tp/engine_int.h"

#include <errno.h>
#include <string.h>

#include "util/log.h"

/* Whether one more StopCCN answer to a stray SCCRQ may go out now: a token
 * bucket of STRAY_BURST, refilled at STRAY_PER_S per second, so spoofed
 * SCCRQs cannot make us a reflector (issue 8 item 5). */

/* StopCCN to a peer that has no control connection with us (RFC 2661 6.4). One
 * shot, not retransmitted: we keep no state for a peer we refuse. */
static void send_stray_stopccn(struct l2tp_engine *e, struct l2tp_io_sock *sock, uint16_t peer_tid,
			       uint16_t peer_ns, uint16_t result, const char *why,
			       const struct sockaddr *to, socklen_t to_len)
{
	uint8_t buf[256];
	struct l2tp_msg m;
	int n;

	memset(&m, 0, sizeof(m));
	m.type = L2TP_MSG_STOPCCN;
	m.present = L2TP_AVP_BIT(L2TP_AVP_ASSIGNED_TID) | L2TP_AVP_BIT(L2TP_AVP_RESULT_CODE);
	m.assigned_tid = 0;
	m.result = result;
	m.has_error = true;
	l2tp_msg_set_str(&m, L2TP_AVP_RESULT_CODE, &m.result_msg, why);
	n = l2tp_msg_encode(&m, NULL, 0, NULL, buf + 12, sizeof(buf) - 12);
	if (n < 0)
		return;
	l2tp_ctrl_hdr_put(buf, (uint16_t)(12 + n), peer_tid, 0, 0, (uint16_t)(peer_ns + 1));
	eng_send(e, sock, buf, 12 + (size_t)n, to, to_len);
}

static bool stray_answer_allowed(struct l2tp_engine *e, uint64_t now)
{
	uint64_t add = (now - e->stray_refill_ms) * STRAY_PER_S / 1000;

	if (add) {
		e->stray_tokens = e->stray_tokens + add > STRAY_BURST ? STRAY_BURST
								       : (unsigned)(e->stray_tokens + add);
		e->stray_refill_ms = now;
	}
	if (!e->stray_tokens)
		return false;
	e->stray_tokens--;
	return true;
}

/* A control message to tunnel ID 0 or an unknown one. An SCCRQ is someone
 * opening a control connection to us. This LAC accepts none, so the request is
 * refused with StopCCN 4 (rate-limited). Its Tie Breaker (RFC 2661 4.4.3) is
 * ignored: it only matters to a peer that could take the other tunnel, and
 * acting on it would let anyone who can spoof an LNS's address close our
 * pending tunnel to that LNS with a zero tie breaker. */
static void eng_rx_stray(struct l2tp_engine *e, struct l2tp_io_sock *sock, const struct l2tp_hdr *h,
			 const uint8_t *buf, const struct sockaddr *from, socklen_t from_len)
{
	struct l2tp_msg m;
	struct l2tp_dec_err err;
	char a[80];

	e->stats.rx_unknown_tunnel++;
	l2tp_sockaddr_str(from, a, sizeof(a));
	if (h->tid != 0 || l2tp_msg_decode(buf + h->payload_off, h->payload_len, NULL, 0, &m, &err) < 0 ||
	    m.type != L2TP_MSG_SCCRQ) {
		log_peer("peer=%s tid=%u event=rx_unknown_tunnel", a, h->tid);
		return;
	}
	if (l2tp_msg_has(&m, L2TP_AVP_TIE_BREAKER))
		log_peer("peer=%s event=tie_breaker_ignored", a);
	if (!stray_answer_allowed(e, ev_now_ms(e->loop))) {
		e->stats.stray_rate_limited++;
		log_debug("peer=%s event=sccrq_refused_silently why=rate_limit", a);
		return;
	}
	log_peer("peer=%s event=sccrq_refused", a);
	send_stray_stopccn(e, sock, m.assigned_tid, h->ns, L2TP_STOPCCN_NOT_AUTHORIZED,
			   "this LAC accepts no incoming control connections", from, from_len);
}

static void eng_rx(void *arg, struct l2tp_io_sock *sock, uint8_t *buf, size_t len,
		   const struct sockaddr *from, socklen_t from_len)
{
	struct l2tp_engine *e = arg;
	struct eng_tunnel *tun;
	struct l2tp_hdr h;
	int rc;
	char a[80];

	e->stats.rx_datagrams++;
	rc = l2tp_hdr_decode(buf, len, &h);
	if (rc != L2TP_HDR_OK) {
		e->stats.rx_malformed++;
		log_peer("peer=%s event=rx_malformed why=%s len=%zu",
			 l2tp_sockaddr_str(from, a, sizeof(a)), l2tp_hdr_status_str(rc), len);
		return;
	}
	tun = e->tunnels[h.tid];
	if (!h.control) {
		eng_rx_data(e, tun, &h, buf, from);
		return;
	}
	e->stats.rx_ctrl++;
	if (!tun) {
		eng_rx_stray(e, sock, &h, buf, from, from_len);
		return;
	}
	if (!sa_same_ip(from, &tun->peer) || tun->sock != sock) {
		e->stats.rx_bad_peer++;
		log_peer("tid=%u peer=%s event=rx_wrong_peer", h.tid,
			 l2tp_sockaddr_str(from, a, sizeof(a)));
		return;
	}
	/* 8.1: the LNS may answer from another port; follow it once. */
	if (tun->t.state == L2TP_TUNNEL_WAIT_CTL_REPLY)
		sa_set_port(&tun->peer, sa_port((const struct sockaddr_storage *)from));
	else if (!sa_same(from, &tun->peer)) {
		e->stats.rx_bad_peer++;
		return;
	}
	{
		uint64_t before = tun->t.stats.rx_bad;

		l2tp_tunnel_input(&tun->t, &h, buf, len, ev_now_ms(e->loop));
		e->stats.rx_malformed += tun->t.stats.rx_bad - before;
	}
	tun_arm(tun);
}

/* Whether an ICMP error's quoted datagram is a control message of tun's:
 * header tid the peer's (0 before SCCRP) and, before SCCRP, where every
 * pending tunnel to this LNS sends tid 0, our SCCRQ carrying this tunnel's
 * Assigned Tunnel ID. A forged ICMP error must guess the tunnel ID (random,
 * see alloc_id) and quote enough of the datagram; a RFC 792 quote of 8 bytes
 * proves nothing and is ignored. */
static bool icmp_quotes_tunnel(const struct eng_tunnel *tun, const uint8_t *q, size_t len)
{
	uint16_t flags, ns, tid;

	if (len < L2TP_CTRL_HDR_LEN)
		return false;
	flags = l2tp_get16(q);
	if ((flags & (L2TP_HDR_T | L2TP_HDR_L | L2TP_HDR_S)) != (L2TP_HDR_T | L2TP_HDR_L | L2TP_HDR_S) ||
	    (flags & L2TP_HDR_VER) != L2TP_VERSION || l2tp_get16(q + 4) != tun->t.peer_tid)
		return false;
	ns = l2tp_get16(q + 8);
	if (l2tp_seq_lt(ns, tun->t.rel.una) || !l2tp_seq_lt(ns, tun->t.rel.ns_next))
		return false;
	if (tun->t.peer_tid != 0)
		return true;
	return l2tp_msg_peek_u16(q + L2TP_CTRL_HDR_LEN, len - L2TP_CTRL_HDR_LEN, L2TP_AVP_ASSIGNED_TID,
				 &tid) && tid == tun->t.local_tid;
}

/* An ICMP unreachable for a datagram we sent. A tunnel still waiting for its
 * SCCRP gives up at once (its sessions fail over, the endpoint goes into the
 * dead-cache), provided the quoted datagram is its own SCCRQ; an established
 * tunnel stays up (reliable delivery decides) but moves its calls in setup
 * on, provided the quote is one of its unacknowledged messages
 * (tun_unreachable). */
static void eng_icmp(void *arg, struct l2tp_io_sock *sock, const struct sockaddr *dst,
		     socklen_t dst_len, int err, const uint8_t *quoted, size_t quoted_len)
{
	struct l2tp_engine *e = arg;
	struct eng_tunnel *tun, *next;
	bool matched = false;
	char a[80];

	for (tun = e->tunnel_list; tun; tun = next) {
		next = tun->next;
		if (tun->sock != sock || !sa_same(dst, &tun->peer) ||
		    (tun->t.state != L2TP_TUNNEL_WAIT_CTL_REPLY && tun->t.state != L2TP_TUNNEL_ESTABLISHED) ||
		    !icmp_quotes_tunnel(tun, quoted, quoted_len))
			continue;
		matched = true;
		if (tun->t.state == L2TP_TUNNEL_ESTABLISHED) {
			bool first = !tun->no_new;
			unsigned moved = tun_unreachable(tun, "the LNS is unreachable (ICMP for the tunnel)",
							 ev_now_ms(e->loop));

			if (first || moved)
				log_info("tid=%u peer=%s event=icmp_unreachable_established err=\"%s\" "
					 "calls_moved=%u", tun->t.local_tid,
					 l2tp_sockaddr_str(dst, a, sizeof(a)), strerror(err), moved);
			tun_arm(tun);
			continue;
		}
		log_info("tid=%u peer=%s event=icmp_unreachable err=\"%s\"", tun->t.local_tid,
			 l2tp_sockaddr_str(dst, a, sizeof(a)), strerror(err));
		{
			struct l2tp_tunnel_evarg ta = { .why = "ICMP unreachable" };

			l2tp_tunnel_event(&tun->t, L2TP_TEV_GIVE_UP, &ta, ev_now_ms(e->loop));
		}
		tun_arm(tun);
	}
	if (!matched) {
		e->stats.icmp_ignored++;
		log_debug("peer=%s event=icmp_ignored err=\"%s\" quoted_len=%zu",
			  l2tp_sockaddr_str(dst, a, sizeof(a)), strerror(err), quoted_len);
	}
}

void sock_cb(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	struct l2tp_engine *e = arg;
	size_t i;

	for (i = 0; i < e->n_socks; i++) {
		if (e->socks[i].fd != fd)
			continue;
		if (events & EV_ERROR)
			l2tp_io_recv_errors(&e->socks[i], eng_icmp, e);
		l2tp_io_recv(&e->socks[i], 256, eng_rx, e);
	}
	/* What this produced goes with the rest of the iteration's datagrams
	 * (eng_send queued the flush), not in a sendmmsg of its own. */
}
