/* What the engine's files share (engine.c, eng_tunnel.c, eng_session.c,
 * dead_cache.c, tunnel_pool.c, input.c, data.c): the engine, tunnel and
 * session records and the few functions one file calls in another.
 * Internal: callers use l2tp.h. */
#ifndef L2TP_ENGINE_INT_H
#define L2TP_ENGINE_INT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "ev/ev.h"
#include "l2tp/l2tp.h"
#include "l2tp/l2tp_io.h"
#include "l2tp/msg.h"
#include "l2tp/session.h"
#include "l2tp/tunnel.h"

#define DEAD_CACHE_SIZE 64
#define ID_SPACE 65536
/* Stray SCCRQ answers: a token bucket (input.c). */
#define STRAY_PER_S 10
#define STRAY_BURST 20

struct eng_tunnel;

/* What a call needs only while it may still go to another LNS: what the
 * ICRQ and ICCN carry (1.8 KB with the proxy LCP and authentication) and the
 * candidates (456 bytes each). Freed once the call is up (issue 12:
 * per-session memory). */
struct sess_setup {
	struct l2tp_call_info call;
	struct l2tp_candidate cands[];          /* n_cands of them, sized at open */
};

struct l2tp_session {
	struct l2tp_session_fsm fsm;
	struct l2tp_engine *e;
	struct eng_tunnel *tun;
	struct l2tp_session *tnext, *tprev;     /* the tunnel's session list */
	struct l2tp_session *enext, *eprev;     /* the engine's list of all sessions */
	struct l2tp_session *hnext;             /* chain of the session-ID table (sess_ids.c) */
	uint16_t id_tid;                        /* tunnel its local_sid is registered on; 0: none */
	size_t n_cands;
	unsigned order[L2TP_MAX_CANDIDATES];    /* try order: live endpoints first */
	unsigned pos;                           /* index into order */
	struct sess_setup *setup;               /* NULL once up */
	struct l2tp_session_events ev;
	void *owner;
	struct ev_timer start_timer;
	struct ev_timer setup_timer;            /* ICRQ acknowledged, no ICRP yet */
	bool try_next;                          /* a setup failure now may fail over */
	uint64_t answer_probe_until;            /* a HELLO asked for the LNS's Ns (late ICRP) */
	uint16_t answer_probe_ns;               /* ... and its Ns */
	/* The tunnel's queue of sessions waiting for the ack of their ICRQ or
	 * ICCN, in Ns order (Ns grows with each message): an ack pops from the
	 * front only, so it costs O(sessions acked), not O(sessions on tunnel). */
	struct l2tp_session *anext, *aprev;
	bool in_ackq;
	bool in_setup;                          /* counted in tun->n_setup */
	uint16_t ack_ns;                        /* Ns of the ICRQ or ICCN awaited */
	uint16_t ack_type;                      /* L2TP_MSG_ICRQ or L2TP_MSG_ICCN */
	bool seq;                               /* data messages carry Ns/Nr */
	uint16_t data_ns, data_nr;
	unsigned busy;                          /* inside one of its callbacks */
	bool zombie;                            /* closed from inside a callback */
	uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes;
};

struct eng_tunnel {
	struct l2tp_tunnel t;
	struct l2tp_engine *e;
	struct l2tp_io_sock *sock;
	struct sockaddr_storage peer;
	socklen_t peer_len;
	char assignment_id[64];
	struct ev_timer timer;
	struct l2tp_session *sessions;
	unsigned n_sessions;
	struct l2tp_session *ackq_head, *ackq_tail;     /* see l2tp_session.anext */
	struct sockaddr_storage target;         /* the address we aimed at (the dead-cache key) */
	socklen_t target_len;
	uint64_t idle_since_ms;
	bool going_down;
	bool no_new;                            /* a call timed out on it: no new sessions join */
	bool open_deferred;                     /* IDLE: waits for another tunnel to this LNS to open */
	bool open_done;                         /* SCCCN acknowledged: the LNS has the tunnel open */
	unsigned n_setup;                       /* sessions on it not up yet (its control load) */
	uint16_t opener_sid;                    /* the session that opened it: reports its Tunnel-Reject */
	uint64_t probe_ms;                      /* a HELLO sent as a liveness probe (tun_endpoint_answers) */
	uint16_t probe_ns;                      /* its Ns */
	struct eng_tunnel *next, *prev;
};

struct dead_entry {
	struct sockaddr_storage addr;
	socklen_t len;
	uint64_t until_ms;
};

struct l2tp_engine {
	struct ev_loop *loop;
	struct l2tp_engine_config cfg;
	struct l2tp_io_sock socks[L2TP_MAX_BINDS];
	size_t n_socks;
	struct eng_tunnel **tunnels;            /* by local tunnel ID */
	/* Sessions by (local tunnel ID, local session ID): session IDs are per
	 * tunnel (sess_ids.c). */
	struct l2tp_session **sid_buckets;
	unsigned sid_shift;                     /* 32 - log2(buckets) */
	size_t n_sids;
	struct l2tp_session *all_sessions;      /* every session, on a tunnel or between two */
	struct eng_tunnel *tunnel_list;
	uint32_t next_serial;
	struct dead_entry dead[DEAD_CACHE_SIZE];
	struct ev_defer flush;
	struct ev_timer done_timer;
	bool shutting_down;
	void (*done_cb)(void *);
	void *done_arg;
	struct l2tp_engine_stats stats;
	uint64_t closed_retransmits;
	struct l2tp_rel_stats closed_rel;       /* reliable-delivery counters of freed tunnels */
	unsigned stray_tokens;                  /* see stray_answer_allowed() */
	uint64_t stray_refill_ms;
};

static inline uint16_t sa_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
}

static inline void sa_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

static inline bool sa_same_ip(const struct sockaddr *a, const struct sockaddr_storage *b)
{
	if (a->sa_family != b->ss_family)
		return false;
	if (a->sa_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		      &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
}

static inline bool sa_same(const struct sockaddr *a, const struct sockaddr_storage *b)
{
	return sa_same_ip(a, b) &&
	       sa_port((const struct sockaddr_storage *)a) == sa_port(b);
}

/* engine.c */
void eng_send(struct l2tp_engine *e, struct l2tp_io_sock *sock, const uint8_t *buf, size_t len,
	      const struct sockaddr *to, socklen_t to_len);
void flush_all(struct l2tp_engine *e);
/* An ID in 1..65535 that taken(ctx, id) says is free, drawn at random; 0
 * when every one is taken. */
uint16_t eng_alloc_id(bool (*taken)(const void *ctx, uint16_t id), const void *ctx);

/* eng_tunnel.c */
/* A new tunnel to candidate c, opening (or waiting for another tunnel to the
 * same LNS to open first); NULL when no ID, socket or memory is left. */
struct eng_tunnel *tun_create(struct l2tp_engine *e, const struct l2tp_candidate *c);
/* Re-arms the tunnel's timer at its next duty (and notices shutdown done). */
void tun_arm(struct eng_tunnel *tun);
/* The LNS of established tunnel tun answered one of its control messages
 * with an ICMP unreachable: its calls in setup move on, no new call joins it
 * (see eng_tunnel.c). Returns how many calls moved. */
unsigned tun_unreachable(struct eng_tunnel *tun, const char *why, uint64_t now);
/* The LNS of tun is taken for broken: no new call joins tun, and its
 * endpoint is dead-cached, so its candidates are skipped for the hold-down. */
void tun_refuse_new(struct eng_tunnel *tun, uint64_t now);

/* eng_session.c */
/* Frees a session (detached first); no callbacks. */
void sess_free(struct l2tp_session *s);
/* Takes s off its tunnel (its lists, counts and setup timer). */
void sess_detach(struct l2tp_session *s);
/* Takes s out of its tunnel's queue of sessions awaiting an acknowledgement. */
void sess_ackq_remove(struct l2tp_session *s);
/* s's tunnel is up: its ICRQ goes now, or when the control queue has room. */
void sess_tunnel_up(struct l2tp_session *s, uint64_t now);
/* Reports the outcome of s's last FSM event (up, failover, down); may free s. */
void sess_after(struct l2tp_session *s);
/* s, in setup, stops waiting for its LNS: CDN (why: its text; NULL: the
 * setup timeout's), and its owner hears of a failover to the next
 * candidate. May free s. */
void sess_fail_over(struct l2tp_session *s, const char *why, uint64_t now);
/* Tells s's owner that its candidate refused the tunnel or the call. */
void sess_report_reject(struct l2tp_session *s, bool link, uint16_t result, uint16_t error,
			const char *why);

/* sess_ids.c: session IDs per tunnel. */
int sess_ids_init(struct l2tp_engine *e);
void sess_ids_free(struct l2tp_engine *e);
/* The session with local ID sid on local tunnel tid; NULL if none. O(1). */
struct l2tp_session *sess_by_id(const struct l2tp_engine *e, uint16_t tid, uint16_t sid);
/* Gives s a free random session ID on tunnel tid (releasing any it had) and
 * sets s->fsm.local_sid; returns it, 0 when the tunnel has none left. */
uint16_t sess_id_assign(struct l2tp_session *s, uint16_t tid);
/* Gives s's session ID back (fsm.local_sid keeps its value for logs). */
void sess_id_release(struct l2tp_session *s);

/* dead_cache.c: endpoints (address and port) that did not answer, held down
 * for dead_hold_down_s. */
bool dead_check(struct l2tp_engine *e, const struct sockaddr_storage *a, uint64_t now);
void dead_add(struct l2tp_engine *e, const struct sockaddr_storage *a, socklen_t len, uint64_t now);

/* tunnel_pool.c */
struct eng_tunnel *tun_find(struct l2tp_engine *e, const struct l2tp_candidate *c);
bool tun_endpoint_opening(const struct eng_tunnel *tun);
uint64_t tun_endpoint_heard_ms(const struct eng_tunnel *tun);
uint64_t tun_endpoint_wait_until(struct eng_tunnel *tun, uint64_t now, unsigned within_s);
/* Sends a HELLO on tun as a probe (RFC 2661 6.5): its acknowledgement shows the
 * LNS alive and carries its next Ns; recorded in tun->probe_ms and probe_ns. */
void tun_send_probe(struct eng_tunnel *tun, uint64_t now, const char *why);
void tun_kick(struct l2tp_engine *e, const struct eng_tunnel *ref, bool dead);

/* data.c */
void eng_rx_data(struct l2tp_engine *e, struct eng_tunnel *tun, const struct l2tp_hdr *h,
		 const uint8_t *buf, const struct sockaddr *from);

/* input.c: the sockets' ev callback (datagrams, then ICMP errors). */
void sock_cb(struct ev_loop *loop, int fd, unsigned events, void *arg);

#endif
