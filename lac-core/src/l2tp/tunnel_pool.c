/* Tunnels as a resource: which tunnel of a pool a new call joins, when a new
 * tunnel opens, and the pacing of tunnel setup towards one LNS. */
/* ---- tunnel setup pacing ----
 *
 * l2tpns 2.4.1 takes any SCCRQ (tunnel ID 0, Ns 0) that arrives from an
 * address and port while another tunnel from there is still opening (no
 * SCCCN yet) for a retransmission of that tunnel's SCCRQ ("Duplicate
 * SCCRQ?"): it acknowledges it and never answers. Opening several tunnels to
 * one LNS at once thus left all but one waiting forever (issue 12: 200 calls
 * at 25 per tunnel took 8 s, at 10 per tunnel some failed). So tunnels to one
 * endpoint from one socket open one at a time: a tunnel is created IDLE and
 * deferred while another is opening, and sessions attach to it meanwhile;
 * the next one opens when the one ahead has its SCCCN acknowledged. */

#include "l2tp/engine_int.h"

#include "util/log.h"

/* Whether tun counts as opening: deferred, waiting for SCCRP, or established
 * with its SCCCN not yet acknowledged. */
static bool tun_is_opening(const struct eng_tunnel *tun)
{
	if (tun->going_down)
		return false;
	return (tun->t.state == L2TP_TUNNEL_IDLE && tun->open_deferred) ||
	       tun->t.state == L2TP_TUNNEL_WAIT_CTL_REPLY ||
	       (tun->t.state == L2TP_TUNNEL_ESTABLISHED && !tun->open_done);
}

static bool tun_same_endpoint(const struct eng_tunnel *a, const struct eng_tunnel *b)
{
	return a->sock == b->sock && sa_same((const struct sockaddr *)&a->target, &b->target);
}

/* Whether a tunnel other than tun (or an earlier deferred one) to tun's
 * endpoint is opening now. */
bool tun_endpoint_opening(const struct eng_tunnel *tun)
{
	const struct eng_tunnel *o;

	for (o = tun->e->tunnel_list; o; o = o->next)
		if (o != tun && tun_same_endpoint(o, tun) && tun_is_opening(o) && !o->open_deferred)
			return true;
	return false;
}

/* When tun's LNS was last heard on any tunnel to it (0: never). */
uint64_t tun_endpoint_heard_ms(const struct eng_tunnel *tun)
{
	const struct eng_tunnel *o;
	uint64_t heard = tun->t.last_heard_ms;

	for (o = tun->e->tunnel_list; o; o = o->next)
		if (o != tun && tun_same_endpoint(o, tun) && o->t.last_heard_ms > heard)
			heard = o->t.last_heard_ms;
	return heard;
}

/* Until when a late setup to tun's LNS is waited for (0: not at all, the
 * LNS is taken for dead). It is while the LNS answers: heard on some tunnel within the last within_s
 * seconds, so it is slow (a lossy path, a small receive window, calls queued
 * behind others), not dead. The setup deadlines are there to find a silent
 * LNS; one that answers is waited for, as long as reliable delivery keeps its
 * messages going (it gives the tunnel up after max_retransmits unanswered
 * retransmissions). An LNS whose other tunnels are merely idle has not been
 * heard because nothing was asked of it: a HELLO goes out on one of them now
 * (RFC 2661 6.5, as a liveness probe) and the answer is waited for, within_s
 * at most; unanswered, the LNS is taken for dead as before. */
uint64_t tun_endpoint_wait_until(struct eng_tunnel *tun, uint64_t now, unsigned within_s)
{
	uint64_t heard = tun_endpoint_heard_ms(tun), within = (uint64_t)within_s * 1000;
	struct eng_tunnel *o, *idle = NULL;

	if (heard && now < heard + within)
		return heard + within;
	for (o = tun->e->tunnel_list; o; o = o->next) {
		if (o == tun || !tun_same_endpoint(o, tun) || o->going_down ||
		    o->t.state != L2TP_TUNNEL_ESTABLISHED)
			continue;
		if (o->probe_ms && now < o->probe_ms + within && o->probe_ms > heard)
			return o->probe_ms + within;    /* a probe is out: its answer counts */
		if (!idle && l2tp_rel_idle(&o->t.rel))
			idle = o;
	}
	if (!idle || (idle->probe_ms && idle->probe_ms > heard))
		return 0;       /* nothing to ask, or a probe went unanswered */
	tun_send_probe(idle, now, "a setup to this LNS is late, its tunnels are idle");
	return now + within;
}

void tun_send_probe(struct eng_tunnel *tun, uint64_t now, const char *why)
{
	tun->probe_ms = now;
	tun->probe_ns = tun->t.rel.ns_next;
	log_debug("tid=%u event=probe why=\"%s\"", tun->t.local_tid, why);
	l2tp_tunnel_event(&tun->t, L2TP_TEV_HELLO_TIMER, NULL, now);
	tun_arm(tun);
}

/* The tunnel ahead to ref's endpoint is done opening (or gone): opens the
 * oldest deferred one. dead: the endpoint did not answer, so the deferred
 * tunnels give up at once (their sessions fail over) instead. */
void tun_kick(struct l2tp_engine *e, const struct eng_tunnel *ref, bool dead)
{
	struct eng_tunnel *o, *oldest = NULL, *next;
	uint64_t now = ev_now_ms(e->loop);

	if (dead) {
		for (o = e->tunnel_list; o; o = next) {
			next = o->next;
			if (o == ref || !o->open_deferred || o->going_down || !tun_same_endpoint(o, ref))
				continue;
			{
				struct l2tp_tunnel_evarg a = { .why = "LNS did not answer another tunnel's SCCRQ" };

				o->open_deferred = false;
				l2tp_tunnel_event(&o->t, L2TP_TEV_CLOSE, &a, now);
				tun_arm(o);
			}
		}
		return;
	}
	for (o = e->tunnel_list; o; o = o->next) {
		if (o == ref || !tun_same_endpoint(o, ref))
			continue;
		if (tun_is_opening(o) && !o->open_deferred)
			return;                 /* someone is opening already */
		if (o->open_deferred && !o->going_down)
			oldest = o;             /* the list is newest first */
	}
	if (!oldest)
		return;
	oldest->open_deferred = false;
	log_info("tid=%u event=tunnel_open_resumed", oldest->t.local_tid);
	l2tp_tunnel_event(&oldest->t, L2TP_TEV_OPEN, NULL, now);
	tun_arm(oldest);
}

/* The tunnel a new session joins: one of the pool of tunnels with the same
 * endpoint, Tunnel-Assignment-Id, secret and host name (RFC 2868 3.7), not
 * going away, with room left (max_sessions_per_tunnel), the one with the
 * fewest sessions still in setup (its control load). Returns NULL to have a
 * new tunnel opened: none has room, or the least loaded one has a control
 * window's worth of calls in setup (the peer's window is the bottleneck) and
 * the pool has fewer than tunnels_per_lns tunnels. O(tunnels). */
struct eng_tunnel *tun_find(struct l2tp_engine *e, const struct l2tp_candidate *c)
{
	struct sockaddr_storage want;
	const char *host = c->client_auth_id[0] ? c->client_auth_id : e->cfg.host_name;
	unsigned max = e->cfg.max_sessions_per_tunnel ? e->cfg.max_sessions_per_tunnel : 65535;
	unsigned n_pool = 0;
	struct eng_tunnel *tun, *best = NULL;

	memset(&want, 0, sizeof(want));
	memcpy(&want, &c->addr, c->addr_len);
	if (sa_port(&want) == 0)
		sa_set_port(&want, L2TP_PORT);
	for (tun = e->tunnel_list; tun; tun = tun->next) {
		if (tun->going_down || tun->no_new ||
		    (tun->t.state != L2TP_TUNNEL_WAIT_CTL_REPLY && tun->t.state != L2TP_TUNNEL_ESTABLISHED &&
		     !(tun->t.state == L2TP_TUNNEL_IDLE && tun->open_deferred)))
			continue;
		if (!sa_same_ip((struct sockaddr *)&want, &tun->peer) ||
		    strcmp(tun->assignment_id, c->assignment_id) != 0 ||
		    strcmp(tun->t.cfg.host_name, host) != 0 ||
		    tun->t.cfg.secret_len != strnlen(c->secret, sizeof(c->secret)) ||
		    memcmp(tun->t.cfg.secret, c->secret, tun->t.cfg.secret_len) != 0)
			continue;
		/* Before SCCRP the peer port is the one we aimed at; after, the LNS may
		 * have moved it: the target we aimed at still matches. */
		if (sa_port(&tun->target) != sa_port(&want))
			continue;
		n_pool++;
		if (tun->n_sessions >= max)
			continue;
		if (!best || tun->n_setup < best->n_setup)
			best = tun;
	}
	if (best && n_pool < e->cfg.tunnels_per_lns && best->n_setup >= best->t.rel.peer_rws)
		return NULL;
	return best;
}
