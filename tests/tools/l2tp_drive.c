/* l2tp_drive: drives lac-core's L2TP engine against a real LNS for the
 * integration tests, with a scripted PPP peer standing in for the subscriber.
 *
 * Each session opens through l2tp_session_open() with the candidate list given
 * by --lns (in order), announces proxy LCP and CHAP AVPs in ICCN, and then
 * answers the LNS's own PPP: LCP (rejecting multilink options), CHAP-MD5 or
 * PAP with --user/--password, IPCP (taking the address the LNS offers), and
 * optionally pings --ping through the session. One line per event on stdout:
 *   up session=N tid=.. sid=.. candidate=K | failover session=N from=A to=B
 *   ipcp session=N address=A | ping session=N ok | down session=N result=..
 *   failover ... after_ms=T (since the session was opened)
 *   stats key=value... | result ok|fail reason=...
 * --probe ADDR opens one more session to ADDR once the first sessions are up
 * (used against a hostile fake LNS), waits --probe-wait-ms, then pings again
 * over the first sessions to show they survived. Exit 0 when everything asked
 * for happened. */
#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ev/ev.h"
#include "l2tp/l2tp.h"
#include "l2tp/l2tp_io.h"
#include "l2tp/proto.h"
#include "util/log.h"
#include "util/md5.h"

#define MAX_PEERS 100000

struct peer {
	int idx;
	struct l2tp_session *s;
	bool l2tp_up, lcp_ours, lcp_theirs, auth_done, ipcp_ours, ipcp_theirs, ipcp_done;
	bool gone, ping_ok, ping2_ok, failed, opened;
	uint16_t auth_proto;
	uint32_t magic;
	uint8_t id;
	uint8_t lcp_req_id, ipcp_req_id;
	bool send_magic;
	bool lcp_pending;
	uint32_t ip;
	uint16_t ping_seq;
	uint64_t last_resend_ms;
	uint64_t opened_ms;
};

static struct {
	struct ev_loop *loop;
	struct l2tp_engine *eng;
	struct l2tp_candidate cands[L2TP_MAX_CANDIDATES];
	size_t n_cands;
	struct l2tp_candidate probe;
	bool have_probe;
	unsigned probe_wait_ms;
	const char *user, *password;
	uint32_t ping_addr;
	bool want_ping;
	unsigned n_sessions, hold_ms, stagger_ms;
	uint64_t t0;
	bool expect_fail;
	bool alternate;         /* odd sessions get the candidates in reverse order */
	struct l2tp_candidate rcands[L2TP_MAX_CANDIDATES];
	struct peer peers[MAX_PEERS + 1];
	struct ev_timer tick, deadline, hold;
	int phase;              /* 0 setup, 1 holding/probing, 2 second ping, 3 closing */
	bool ok;
	const char *fail_reason;
	uint64_t phase_start;
} D;

static void drive_finish(bool ok, const char *reason);

/* ---- PPP framing ---- */

static void ppp_send(struct peer *p, uint16_t proto, const uint8_t *data, size_t len)
{
	uint8_t buf[2048];

	if (!p->s || len + 4 > sizeof(buf))
		return;
	buf[0] = 0xff;
	buf[1] = 0x03;
	buf[2] = (uint8_t)(proto >> 8);
	buf[3] = (uint8_t)proto;
	memcpy(buf + 4, data, len);
	l2tp_session_send_ppp(p->s, buf, len + 4);
}

static void cp_send(struct peer *p, uint16_t proto, uint8_t code, uint8_t id, const uint8_t *data,
		    size_t len)
{
	uint8_t b[1500];

	if (len + 4 > sizeof(b))
		return;
	b[0] = code;
	b[1] = id;
	b[2] = (uint8_t)((len + 4) >> 8);
	b[3] = (uint8_t)(len + 4);
	if (len)
		memcpy(b + 4, data, len);
	ppp_send(p, proto, b, len + 4);
}

static void lcp_send_req(struct peer *p)
{
	uint8_t o[6] = { 5, 6 };

	o[2] = (uint8_t)(p->magic >> 24);
	o[3] = (uint8_t)(p->magic >> 16);
	o[4] = (uint8_t)(p->magic >> 8);
	o[5] = (uint8_t)p->magic;
	p->lcp_req_id = ++p->id;
	p->lcp_pending = true;
	p->last_resend_ms = ev_now_ms(D.loop);
	cp_send(p, 0xc021, 1, p->lcp_req_id, o, p->send_magic ? 6 : 0);
}

static void ipcp_send_req(struct peer *p)
{
	uint8_t o[6] = { 3, 6 };

	memcpy(o + 2, &p->ip, 4);
	p->ipcp_req_id = ++p->id;
	p->last_resend_ms = ev_now_ms(D.loop);
	cp_send(p, 0x8021, 1, p->ipcp_req_id, o, 6);
}

static uint16_t ip_csum(const uint8_t *b, size_t n)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		s += (uint32_t)(b[n - 1] << 8);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void ping_send(struct peer *p)
{
	uint8_t b[60];
	uint16_t c;

	memset(b, 0, sizeof(b));
	b[0] = 0x45;
	b[3] = sizeof(b);
	b[8] = 64;
	b[9] = 1;
	memcpy(b + 12, &p->ip, 4);
	memcpy(b + 16, &D.ping_addr, 4);
	c = ip_csum(b, 20);
	b[10] = (uint8_t)(c >> 8);
	b[11] = (uint8_t)c;
	b[20] = 8;
	b[24] = 0x4c;
	b[25] = (uint8_t)p->idx;
	p->ping_seq++;
	p->last_resend_ms = ev_now_ms(D.loop);
	b[26] = (uint8_t)(p->ping_seq >> 8);
	b[27] = (uint8_t)p->ping_seq;
	memcpy(b + 28, "realm-lns l2tp_drive ping data!!", 32);
	c = ip_csum(b + 20, sizeof(b) - 20);
	b[22] = (uint8_t)(c >> 8);
	b[23] = (uint8_t)c;
	ppp_send(p, 0x0021, b, sizeof(b));
}

static void auth_start(struct peer *p)
{
	if (p->auth_proto == 0xc023) {
		uint8_t b[300];
		size_t ul = strlen(D.user), pl = strlen(D.password);

		b[0] = (uint8_t)ul;
		memcpy(b + 1, D.user, ul);
		b[1 + ul] = (uint8_t)pl;
		memcpy(b + 2 + ul, D.password, pl);
		cp_send(p, 0xc023, 1, ++p->id, b, 2 + ul + pl);
	} else if (p->auth_proto == 0) {
		p->auth_done = true;
		ipcp_send_req(p);
	}
}

static void lcp_opened_check(struct peer *p)
{
	if (p->lcp_ours && p->lcp_theirs && !p->auth_done)
		auth_start(p);
}

static void on_lcp(struct peer *p, const uint8_t *d, size_t n)
{
	uint8_t code, id, rej[1500];
	size_t len, off, nrej = 0;

	if (n < 4)
		return;
	code = d[0];
	id = d[1];
	len = (size_t)(d[2] << 8 | d[3]);
	if (len < 4 || len > n)
		return;
	switch (code) {
	case 1:         /* Configure-Request: take all but multilink options */
		p->auth_proto = 0;
		for (off = 4; off + 2 <= len && d[off + 1] >= 2 && off + d[off + 1] <= len;
		     off += d[off + 1]) {
			uint8_t t = d[off], ol = d[off + 1];

			if (t == 17 || t == 18 || t == 19 || t == 13) {
				memcpy(rej + nrej, d + off, ol);
				nrej += ol;
			} else if (t == 3 && ol >= 4) {
				p->auth_proto = (uint16_t)(d[off + 2] << 8 | d[off + 3]);
			}
		}
		if (nrej) {
			cp_send(p, 0xc021, 4, id, rej, nrej);
			return;
		}
		cp_send(p, 0xc021, 2, id, d + 4, len - 4);
		if (p->lcp_ours && p->lcp_theirs) {
			/* RFC 1661: a Configure-Request on an open link restarts
			 * negotiation (and authentication) from our side too. */
			p->lcp_ours = false;
			p->lcp_pending = false;
			p->auth_done = false;
		}
		p->lcp_theirs = true;
		if (!p->lcp_ours && !p->lcp_pending)
			lcp_send_req(p);
		lcp_opened_check(p);
		break;
	case 2:
		if (id == p->lcp_req_id) {
			p->lcp_ours = true;
			p->lcp_pending = false;
			lcp_opened_check(p);
		}
		break;
	case 3:
	case 4:
		p->send_magic = false;
		lcp_send_req(p);
		break;
	case 5:
		cp_send(p, 0xc021, 6, id, NULL, 0);
		p->gone = true;
		break;
	case 9: {
		uint8_t r[1500];

		if (len < 8)
			return;
		memcpy(r, d + 4, len - 4);
		r[0] = (uint8_t)(p->magic >> 24);
		r[1] = (uint8_t)(p->magic >> 16);
		r[2] = (uint8_t)(p->magic >> 8);
		r[3] = (uint8_t)p->magic;
		cp_send(p, 0xc021, 10, id, r, len - 4);
		break;
	}
	default:
		break;
	}
}

static void on_chap(struct peer *p, const uint8_t *d, size_t n)
{
	uint8_t resp[300], digest[16];
	size_t len, vs, ul;
	struct md5_ctx c;

	if (n < 4)
		return;
	len = (size_t)(d[2] << 8 | d[3]);
	if (len > n)
		return;
	if (d[0] == 1 && len >= 5) {
		vs = d[4];
		if (5 + vs > len)
			return;
		md5_init(&c);
		md5_update(&c, &d[1], 1);
		md5_update(&c, D.password, strlen(D.password));
		md5_update(&c, d + 5, vs);
		md5_final(&c, digest);
		ul = strlen(D.user);
		resp[0] = 16;
		memcpy(resp + 1, digest, 16);
		memcpy(resp + 17, D.user, ul);
		cp_send(p, 0xc223, 2, d[1], resp, 17 + ul);
	} else if (d[0] == 3) {
		p->auth_done = true;
		printf("auth session=%d ok proto=chap\n", p->idx);
		ipcp_send_req(p);
	} else if (d[0] == 4) {
		printf("auth session=%d failed\n", p->idx);
		p->failed = true;
	}
}

static void on_pap(struct peer *p, const uint8_t *d, size_t n)
{
	if (n < 4)
		return;
	if (d[0] == 2) {
		p->auth_done = true;
		printf("auth session=%d ok proto=pap\n", p->idx);
		ipcp_send_req(p);
	} else if (d[0] == 3) {
		printf("auth session=%d failed\n", p->idx);
		p->failed = true;
	}
}

static void on_ipcp(struct peer *p, const uint8_t *d, size_t n)
{
	size_t len, off;

	if (n < 4)
		return;
	len = (size_t)(d[2] << 8 | d[3]);
	if (len < 4 || len > n)
		return;
	switch (d[0]) {
	case 1:
		cp_send(p, 0x8021, 2, d[1], d + 4, len - 4);
		p->ipcp_theirs = true;
		break;
	case 2:
		if (d[1] == p->ipcp_req_id)
			p->ipcp_ours = true;
		break;
	case 3:
		for (off = 4; off + 2 <= len && d[off + 1] >= 2 && off + d[off + 1] <= len;
		     off += d[off + 1])
			if (d[off] == 3 && d[off + 1] == 6)
				memcpy(&p->ip, d + off + 2, 4);
		ipcp_send_req(p);
		break;
	default:
		break;
	}
	if (p->ipcp_ours && p->ipcp_theirs && !p->ipcp_done) {
		const uint8_t *a = (const uint8_t *)&p->ip;

		p->ipcp_done = true;
		printf("ipcp session=%d address=%u.%u.%u.%u\n", p->idx, a[0], a[1], a[2], a[3]);
		fflush(stdout);
		if (D.want_ping)
			ping_send(p);
	}
}

static void on_ip(struct peer *p, const uint8_t *d, size_t n)
{
	size_t ihl;

	if (n < 20 || (d[0] >> 4) != 4)
		return;
	ihl = (size_t)(d[0] & 15) * 4;
	if (d[9] != 1 || n < ihl + 8 || memcmp(d + 12, &D.ping_addr, 4) != 0)
		return;
	if (d[ihl] == 0 && d[ihl + 4] == 0x4c && d[ihl + 5] == (uint8_t)p->idx) {
		if (D.phase >= 2) {
			if (!p->ping2_ok)
				printf("ping session=%d ok again\n", p->idx);
			p->ping2_ok = true;
		} else {
			if (!p->ping_ok)
				printf("ping session=%d ok\n", p->idx);
			p->ping_ok = true;
		}
		fflush(stdout);
	}
}

static void peer_ppp_rx(void *owner, const uint8_t *f, size_t n)
{
	struct peer *p = owner;
	uint16_t proto;

	if (n >= 2 && f[0] == 0xff && f[1] == 0x03) {
		f += 2;
		n -= 2;
	}
	if (n < 1)
		return;
	if (f[0] & 1) {
		proto = f[0];
		f += 1;
		n -= 1;
	} else {
		if (n < 2)
			return;
		proto = (uint16_t)(f[0] << 8 | f[1]);
		f += 2;
		n -= 2;
	}
	switch (proto) {
	case 0xc021: on_lcp(p, f, n); break;
	case 0xc223: on_chap(p, f, n); break;
	case 0xc023: on_pap(p, f, n); break;
	case 0x8021: on_ipcp(p, f, n); break;
	case 0x0021: on_ip(p, f, n); break;
	default: {
		/* RFC 1661 5.7: Protocol-Reject what we do not speak (IPv6CP, CCP...). */
		uint8_t r[1500];

		if (n + 2 > sizeof(r) - 4)
			return;
		r[0] = (uint8_t)(proto >> 8);
		r[1] = (uint8_t)proto;
		memcpy(r + 2, f, n);
		cp_send(p, 0xc021, 8, ++p->id, r, n + 2);
	}
	}
}

/* ---- engine events ---- */

static void peer_up(void *owner, const struct l2tp_session_status *st)
{
	struct peer *p = owner;
	char a[80];

	p->l2tp_up = true;
	printf("up session=%d tid=%u sid=%u peer_tid=%u peer_sid=%u candidate=%u lns=%s host=%s serial=%u\n",
	       p->idx, st->local_tid, st->local_sid, st->peer_tid, st->peer_sid, st->candidate_idx,
	       l2tp_sockaddr_str(st->peer, a, sizeof(a)), st->peer_host_name, st->call_serial);
	fflush(stdout);
	lcp_send_req(p);
}

static void peer_failover(void *owner, unsigned from, unsigned to, const char *reason)
{
	struct peer *p = owner;

	printf("failover session=%d from=%u to=%u after_ms=%llu reason=\"%s\"\n", p->idx, from, to,
	       (unsigned long long)(ev_now_ms(D.loop) - p->opened_ms), reason);
	fflush(stdout);
}

static void peer_down(void *owner, const struct l2tp_disconnect *w)
{
	struct peer *p = owner;

	printf("down session=%d setup_failed=%d tunnel=%d local=%d result=%u error=%u msg=\"%s\"\n",
	       p->idx, w->setup_failed, w->tunnel, w->local, w->result, w->error, w->message);
	fflush(stdout);
	p->s = NULL;
	p->gone = true;
}

static const struct l2tp_session_events peer_events = {
	.up = peer_up, .failover = peer_failover, .down = peer_down, .ppp_rx = peer_ppp_rx,
};

static void fill_call(struct l2tp_call_info *call, struct peer *p)
{
	static const uint8_t chal[16] = "0123456789abcdef";
	struct l2tp_proxy_info *x = &call->proxy;
	uint8_t lcp_sub[10] = { 1, 4, 0x05, 0xdc, 5, 6 };
	uint8_t lcp_lac[15] = { 1, 4, 0x05, 0xd4, 3, 5, 0xc2, 0x23, 5, 5, 6, 0x11, 0x22, 0x33, 0 };
	struct md5_ctx c;
	uint8_t id = 7;

	memset(call, 0, sizeof(*call));
	snprintf(call->calling_number, sizeof(call->calling_number), "tcp:10.99.0.2#%d", p->idx);
	snprintf(call->called_number, sizeof(call->called_number), "l2tp-drive");
	call->framing_type = L2TP_FRAMING_SYNC;
	call->bearer_type = L2TP_BEARER_DIGITAL;
	call->tx_connect_speed = 100000000;
	call->rx_connect_speed = 100000000;
	call->physical_channel_id = (uint32_t)p->idx;
	lcp_sub[6] = (uint8_t)(p->magic >> 24);
	lcp_sub[7] = (uint8_t)(p->magic >> 16);
	lcp_sub[8] = (uint8_t)(p->magic >> 8);
	lcp_sub[9] = (uint8_t)p->magic;
	lcp_lac[14] = (uint8_t)(0x44 + p->idx);
	memcpy(x->init_rx_lcp, lcp_sub, sizeof(lcp_sub));
	x->init_rx_lcp_len = sizeof(lcp_sub);
	memcpy(x->last_rx_lcp, lcp_sub, sizeof(lcp_sub));
	x->last_rx_lcp_len = sizeof(lcp_sub);
	memcpy(x->last_tx_lcp, lcp_lac, sizeof(lcp_lac));
	x->last_tx_lcp_len = sizeof(lcp_lac);
	x->authen_type = L2TP_PROXY_AUTH_CHAP;
	snprintf(x->authen_name, sizeof(x->authen_name), "%s", D.user);
	memcpy(x->authen_challenge, chal, 16);
	x->authen_challenge_len = 16;
	x->authen_id = id;
	md5_init(&c);
	md5_update(&c, &id, 1);
	md5_update(&c, D.password, strlen(D.password));
	md5_update(&c, chal, 16);
	md5_final(&c, x->authen_response);
	x->authen_response_len = 16;
}

static void peer_open(struct peer *p, const struct l2tp_candidate *cands, size_t n)
{
	struct l2tp_call_info call;

	if (D.alternate && cands == D.cands && (p->idx & 1))
		cands = D.rcands;

	p->opened = true;
	p->opened_ms = ev_now_ms(D.loop);
	p->magic = 0x5a000000u + (uint32_t)p->idx * 0x1010u + 0x77;
	p->send_magic = true;
	fill_call(&call, p);
	p->s = l2tp_session_open(D.eng, cands, n, &call, &peer_events, p);
	if (!p->s) {
		printf("open session=%d failed\n", p->idx);
		p->gone = true;
	}
}

/* ---- scenario ---- */

static void shutdown_done(void *arg)
{
	ev_loop_stop(D.loop);
}

static void tunnel_line(void *arg, const struct l2tp_tunnel_info *ti)
{
	char a[80];

	printf("tunnel tid=%u peer=%s state=%s sessions=%u retransmits=%llu\n", ti->local_tid,
	       l2tp_sockaddr_str(ti->peer, a, sizeof(a)), ti->state, ti->sessions,
	       (unsigned long long)ti->retransmits);
}

/* One line per tunnel, then whether each candidate is in the dead-cache. */
static void print_tunnels(void)
{
	size_t i;
	char a[80];

	l2tp_engine_foreach(D.eng, tunnel_line, NULL, NULL);
	for (i = 0; i < D.n_cands; i++)
		printf("endpoint lns=%s dead=%d\n",
		       l2tp_sockaddr_str((struct sockaddr *)&D.cands[i].addr, a, sizeof(a)),
		       l2tp_engine_endpoint_dead(D.eng, (struct sockaddr *)&D.cands[i].addr,
						 D.cands[i].addr_len));
}

static void print_stats(void)
{
	struct l2tp_engine_stats s;

	l2tp_engine_get_stats(D.eng, &s);
	printf("stats rx_datagrams=%llu tx_datagrams=%llu rx_malformed=%llu rx_unknown_tunnel=%llu "
	       "rx_unknown_session=%llu rx_bad_peer=%llu retransmits=%llu tunnels_opened=%llu "
	       "tunnels_failed=%llu sessions_opened=%llu sessions_up=%llu sessions_failed=%llu "
	       "failovers=%llu setup_timeouts=%llu rx_duplicate=%llu rx_out_of_window=%llu "
	       "rx_bad_nr=%llu icmp_ignored=%llu stray_rate_limited=%llu tx_dropped=%llu setup_waits=%llu\n",
	       (unsigned long long)s.rx_datagrams, (unsigned long long)s.tx_datagrams,
	       (unsigned long long)s.rx_malformed, (unsigned long long)s.rx_unknown_tunnel,
	       (unsigned long long)s.rx_unknown_session, (unsigned long long)s.rx_bad_peer,
	       (unsigned long long)s.retransmits, (unsigned long long)s.tunnels_opened,
	       (unsigned long long)s.tunnels_failed, (unsigned long long)s.sessions_opened,
	       (unsigned long long)s.sessions_up, (unsigned long long)s.sessions_failed,
	       (unsigned long long)s.failovers, (unsigned long long)s.setup_timeouts,
	       (unsigned long long)s.rx_duplicate, (unsigned long long)s.rx_out_of_window,
	       (unsigned long long)s.rx_bad_nr, (unsigned long long)s.icmp_ignored,
	       (unsigned long long)s.stray_rate_limited, (unsigned long long)s.tx_dropped,
	       (unsigned long long)s.setup_waits);
}

static void drive_finish(bool ok, const char *reason)
{
	unsigned i;

	if (D.phase == 3)
		return;
	D.phase = 3;
	D.ok = ok;
	D.fail_reason = reason;
	print_stats();
	for (i = 0; i <= D.n_sessions; i++)
		if (D.peers[i].s) {
			l2tp_session_close(D.peers[i].s, L2TP_CDN_ADMIN, 0, "l2tp_drive done", 0);
			D.peers[i].s = NULL;
		}
	l2tp_engine_shutdown(D.eng, shutdown_done, NULL);
	/* Bounded wait for the StopCCN acks. */
	ev_timer_start(D.loop, &D.deadline, 5000);
}

static bool all(bool (*pred)(const struct peer *))
{
	unsigned i;

	for (i = 0; i < D.n_sessions; i++)
		if (!pred(&D.peers[i]))
			return false;
	return true;
}

static bool p_ready(const struct peer *p) { return p->ipcp_done && (!D.want_ping || p->ping_ok); }
static bool p_ping2(const struct peer *p) { return p->ping2_ok; }
static bool p_gone(const struct peer *p) { return p->gone; }

static void tick_cb(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	uint64_t now = ev_now_ms(loop);
	unsigned i;

	for (i = 0; i < D.n_sessions; i++) {
		struct peer *p = &D.peers[i];

		if (!p->opened && now >= D.t0 + (uint64_t)i * D.stagger_ms)
			peer_open(p, D.cands, D.n_cands);
		if (p->failed) {
			drive_finish(false, "ppp authentication failed");
			return;
		}
		if (!p->s || !p->l2tp_up || now < p->last_resend_ms + 2000)
			continue;
		p->last_resend_ms = now;
		if (!(p->lcp_ours && p->lcp_theirs))
			lcp_send_req(p);
		else if (p->auth_done && !p->ipcp_done)
			ipcp_send_req(p);
		else if (p->ipcp_done && D.want_ping && D.phase == 0 && !p->ping_ok)
			ping_send(p);
		else if (p->ipcp_done && D.want_ping && D.phase == 2 && !p->ping2_ok)
			ping_send(p);
	}
	if (D.expect_fail) {
		if (all(p_gone))
			drive_finish(true, NULL);
	} else if (D.phase == 0 && all(p_gone)) {
		drive_finish(false, "every session went down");
		return;
	} else if (D.phase == 0 && all(p_ready)) {
		printf("ready sessions=%u ms=%llu\n", D.n_sessions, (unsigned long long)(now - D.t0));
		print_tunnels();
		fflush(stdout);
		D.phase = 1;
		D.phase_start = now;
		if (D.have_probe) {
			struct peer *p = &D.peers[D.n_sessions];

			p->idx = (int)D.n_sessions;
			peer_open(p, &D.probe, 1);
		}
	} else if (D.phase == 1 && now >= D.phase_start + (D.have_probe ? D.probe_wait_ms : D.hold_ms)) {
		if (D.have_probe && D.want_ping) {
			D.phase = 2;
			for (i = 0; i < D.n_sessions; i++)
				if (D.peers[i].s)
					ping_send(&D.peers[i]);
		} else {
			drive_finish(true, NULL);
			return;
		}
	} else if (D.phase == 2 && all(p_ping2)) {
		drive_finish(true, NULL);
		return;
	}
	for (i = 0; i < D.n_sessions; i++)
		if (D.phase >= 1 && D.phase < 3 && D.peers[i].gone && !D.expect_fail) {
			drive_finish(false, "a session went down after coming up");
			return;
		}
	if (D.phase != 3)
		ev_timer_start(loop, &D.tick, 200);
}

static void deadline_cb(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	if (D.phase != 3) {
		drive_finish(false, "timeout");
		return;
	}
	printf("shutdown_timeout\n");
	ev_loop_stop(loop);
}

static int parse_cand(const char *s, const char *secret, struct l2tp_candidate *c)
{
	memset(c, 0, sizeof(*c));
	if (l2tp_sockaddr_parse(s, L2TP_PORT, &c->addr, &c->addr_len) < 0)
		return -1;
	snprintf(c->secret, sizeof(c->secret), "%s", secret ? secret : "");
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: l2tp_drive --lns ADDR[:PORT] [--lns ...] [--secret S] [--bind ADDR] [--port N]\n"
		"       [--host-name H] [--user U --password P] [--ping ADDR] [--sessions N]\n"
		"       [--hold-ms N] [--timeout-s N] [--rto-ms N] [--max-retransmits N] [--no-hide]\n"
		"       [--max-per-tunnel N] [--probe ADDR[:PORT] --probe-wait-ms N] [--expect-fail]\n"
		"       [--stagger-ms N] [--len-bit] [--seq] [--tunnel-setup-timeout-s N]\n"
		"       [--session-setup-timeout-s N] [--tunnels-per-lns N] [--alternate] [--quiet]\n"
		"       [--debug]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "lns", 1, 0, 'l' }, { "secret", 1, 0, 's' }, { "bind", 1, 0, 'b' },
		{ "port", 1, 0, 'P' }, { "host-name", 1, 0, 'H' }, { "user", 1, 0, 'u' },
		{ "password", 1, 0, 'p' }, { "ping", 1, 0, 'i' }, { "sessions", 1, 0, 'n' },
		{ "hold-ms", 1, 0, 'h' }, { "timeout-s", 1, 0, 't' }, { "rto-ms", 1, 0, 'r' },
		{ "max-retransmits", 1, 0, 'm' }, { "no-hide", 0, 0, 'N' }, { "probe", 1, 0, 'x' },
		{ "probe-wait-ms", 1, 0, 'w' }, { "expect-fail", 0, 0, 'F' },
		{ "max-per-tunnel", 1, 0, 'M' }, { "tunnel-setup-timeout-s", 1, 0, 'T' },
		{ "session-setup-timeout-s", 1, 0, 'C' }, { "tunnels-per-lns", 1, 0, 'K' },
		{ "alternate", 0, 0, 'A' }, { "quiet", 0, 0, 'q' }, { "stagger-ms", 1, 0, 'S' }, { "seq", 0, 0, 'Q' }, { "len-bit", 0, 0, 'L' }, { "debug", 0, 0, 'd' },
		{ 0, 0, 0, 0 }
	};
	const char *lns[L2TP_MAX_CANDIDATES], *secret = "", *probe = NULL;
	struct l2tp_engine_config cfg;
	unsigned timeout_s = 30, i;
	size_t n_lns = 0;
	int c;

	l2tp_engine_config_default(&cfg);
	cfg.hello_interval_s = 10;
	D.user = "user";
	D.password = "password";
	D.n_sessions = 1;
	D.hold_ms = 500;
	D.probe_wait_ms = 3000;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'l': if (n_lns < L2TP_MAX_CANDIDATES) lns[n_lns++] = optarg; break;
		case 's': secret = optarg; break;
		case 'b':
			snprintf(cfg.bind[cfg.n_bind], sizeof(cfg.bind[0]), "%s", optarg);
			if (cfg.n_bind < L2TP_MAX_BINDS - 1)
				cfg.n_bind++;
			break;
		case 'P': cfg.port = (uint16_t)atoi(optarg); break;
		case 'H': snprintf(cfg.host_name, sizeof(cfg.host_name), "%s", optarg); break;
		case 'u': D.user = optarg; break;
		case 'p': D.password = optarg; break;
		case 'i':
			if (inet_pton(AF_INET, optarg, &D.ping_addr) != 1)
				usage();
			D.want_ping = true;
			break;
		case 'n': D.n_sessions = (unsigned)atoi(optarg); break;
		case 'h': D.hold_ms = (unsigned)atoi(optarg); break;
		case 't': timeout_s = (unsigned)atoi(optarg); break;
		case 'r': cfg.retransmit_initial_ms = (unsigned)atoi(optarg);
			  cfg.retransmit_max_ms = cfg.retransmit_initial_ms * 8; break;
		case 'm': cfg.max_retransmits = (unsigned)atoi(optarg); break;
		case 'N': cfg.hide_avps = false; break;
		case 'x': probe = optarg; break;
		case 'w': D.probe_wait_ms = (unsigned)atoi(optarg); break;
		case 'F': D.expect_fail = true; break;
		case 'M': cfg.max_sessions_per_tunnel = (unsigned)atoi(optarg); break;
		case 'T': cfg.tunnel_setup_timeout_s = (unsigned)atoi(optarg); break;
		case 'C': cfg.session_setup_timeout_s = (unsigned)atoi(optarg); break;
		case 'K': cfg.tunnels_per_lns = (unsigned)atoi(optarg); break;
		case 'A': D.alternate = true; break;
		case 'q': log_set_level(LOG_LVL_WARN); break;
		case 'L': cfg.data_len_bit = true; break;
		case 'S': D.stagger_ms = (unsigned)atoi(optarg); break;
		case 'Q': cfg.data_sequencing = true; break;
		case 'd': log_set_level(LOG_LVL_DEBUG); break;
		default: usage();
		}
	}
	if (!n_lns || D.n_sessions == 0 || D.n_sessions > MAX_PEERS)
		usage();
	log_set_ident("l2tp_drive");
	for (i = 0; i < n_lns; i++)
		if (parse_cand(lns[i], secret, &D.cands[D.n_cands++]) < 0) {
			fprintf(stderr, "bad --lns %s\n", lns[i]);
			return 2;
		}
	for (i = 0; i < D.n_cands; i++)
		D.rcands[i] = D.cands[D.n_cands - 1 - i];
	if (probe) {
		if (parse_cand(probe, secret, &D.probe) < 0)
			usage();
		D.have_probe = true;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	D.loop = ev_loop_create();
	D.eng = D.loop ? l2tp_engine_create(D.loop, &cfg) : NULL;
	if (!D.eng) {
		printf("result fail reason=\"engine_create\"\n");
		return 1;
	}
	D.t0 = ev_now_ms(D.loop);
	for (i = 0; i < D.n_sessions; i++) {
		D.peers[i].idx = (int)i;
		if (i == 0 || D.stagger_ms == 0)
			peer_open(&D.peers[i], D.cands, D.n_cands);
	}
	ev_timer_init(&D.tick, tick_cb, NULL);
	ev_timer_init(&D.deadline, deadline_cb, NULL);
	ev_timer_start(D.loop, &D.tick, 200);
	ev_timer_start(D.loop, &D.deadline, (uint64_t)timeout_s * 1000);
	ev_loop_run(D.loop);
	l2tp_engine_destroy(D.eng);
	ev_loop_destroy(D.loop);
	if (D.ok)
		printf("result ok\n");
	else
		printf("result fail reason=\"%s\"\n", D.fail_reason ? D.fail_reason : "?");
	return D.ok ? 0 : 1;
}
