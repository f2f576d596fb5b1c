/* The data plane: PPP frames to and from the LNS (RFC 2661 3.1, 5.4). One
 * table lookup per frame in each direction, no allocation, no log line per
 * frame (bad frames are counted; the log line for an unknown session goes
 * through log_peer's rate limit); datagrams leave through eng_send(), which
 * batches one loop iteration's frames into one sendmmsg(). */
#include "l2tp/engine_int.h"

#include "util/log.h"

void eng_rx_data(struct l2tp_engine *e, struct eng_tunnel *tun, const struct l2tp_hdr *h,
			const uint8_t *buf, const struct sockaddr *from)
{
	struct l2tp_session *s;

	e->stats.rx_data++;
	if (!tun || tun->t.state != L2TP_TUNNEL_ESTABLISHED || !sa_same_ip(from, &tun->peer)) {
		e->stats.rx_unknown_tunnel++;
		return;
	}
	s = sess_by_id(e, tun->t.local_tid, h->sid);
	if (!s || s->tun != tun || (s->fsm.state != L2TP_SESSION_WAIT_ACK &&
				    s->fsm.state != L2TP_SESSION_ESTABLISHED)) {
		e->stats.rx_unknown_session++;
		log_peer("tid=%u sid=%u event=data_unknown_session", h->tid, h->sid);
		return;
	}
	if (h->has_seq) {
		/* 5.4: the LNS numbers its data, so we number ours from now on; drop
		 * what arrives behind what we already passed up. */
		s->seq = true;
		if (l2tp_seq_lt(h->ns, s->data_nr)) {
			e->stats.rx_malformed++;
			return;
		}
		s->data_nr = (uint16_t)(h->ns + 1);
	}
	if (h->payload_len == 0)
		return;
	s->rx_packets++;
	s->rx_bytes += h->payload_len;
	s->busy++;
	if (s->ev.ppp_rx)
		s->ev.ppp_rx(s->owner, buf + h->payload_off, h->payload_len);
	s->busy--;
	if (s->zombie && !s->busy)
		sess_free(s);
}

int l2tp_session_send_ppp(struct l2tp_session *s, const uint8_t *frame, size_t len)
{
	struct l2tp_engine *e = s->e;
	uint8_t buf[L2TP_IO_MTU];
	int hl;

	if (s->zombie || !s->tun || (s->fsm.state != L2TP_SESSION_ESTABLISHED &&
				     s->fsm.state != L2TP_SESSION_WAIT_ACK))
		return -1;
	hl = l2tp_data_hdr_put(buf, sizeof(buf), s->tun->t.peer_tid, s->fsm.peer_sid, s->seq,
			       s->data_ns, 0, e->cfg.data_len_bit, len);
	if (hl < 0 || len > sizeof(buf) - (size_t)hl)
		return -1;
	if (s->seq)
		s->data_ns++;
	memcpy(buf + hl, frame, len);
	s->tx_packets++;
	s->tx_bytes += len;
	e->stats.tx_data++;
	eng_send(e, s->tun->sock, buf, (size_t)hl + len, (struct sockaddr *)&s->tun->peer,
		 s->tun->peer_len);
	return 0;
}
