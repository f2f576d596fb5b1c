/* The subscriber session object and the operations the call flow is given
 * (issue 8: the call flow as a pure table). Shared by subscriber.c (the
 * table: pure, no socket, no clock, no other layer called directly),
 * subscriber_io.c (the daemon's operations: PPP, RADIUS, L2TP, TUN, access,
 * timers on the ev loop) and tests/unit/test_subscriber.c (fake operations
 * and a fake clock). Not for use elsewhere: the public API is subscriber.h.
 *
 * Re-entrancy and lifetime contract of this layer:
 *  - sub_dispatch() is never re-entered: an event raised while an action runs
 *    (an operation that calls back synchronously, e.g. PPP's auth_request
 *    from inside ppp_input, or PPP's `down` from inside ppp_close) is queued
 *    and dispatched, in order, once that action has returned and its
 *    transition is taken, before the outermost sub_dispatch() returns. The
 *    reason text is copied; pointer arguments stay valid that long because
 *    they point into the buffers of the call that started the dispatch (the
 *    access frame being read) or into the PPP session (freed only by the
 *    reap timer). A queue overflow is counted and the event dropped;
 *  - DEAD is final: every event in DEAD is ignored by the table;
 *  - releasing a session (-> DEAD) detaches it from every layer (RADIUS
 *    request cancelled, L2TP session closed, access conn closed, timers
 *    stopped) but frees nothing that may be on the stack: the PPP session
 *    and the subscriber itself are freed by the reap timer, from the loop;
 *  - operations never free the subscriber, and a layer's `closed`/`down`
 *    reaches us from the event loop (access/stream.h, ppp/ppp.h). */
#ifndef CORE_SUBSCRIBER_PRIV_H
#define CORE_SUBSCRIBER_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "aaa/radius_acct.h"
#include "aaa/radius_client.h"
#include "core/admission.h"
#include "core/subscriber.h"
#include "ev/ev.h"
#include "l2tp/l2tp.h"
#include "ppp/ppp.h"
#include "util/escape.h"

enum sub_timer {
	SUB_TIMER_PPP,          /* the PPP session's next timeout (glue only) */
	SUB_TIMER_REAP,         /* frees a DEAD session from the loop */
	SUB_TIMER_INTERIM,      /* Acct-Interim-Interval */
	SUB_TIMER_SESSION,      /* Session-Timeout */
	SUB_TIMER_IDLE,         /* Idle-Timeout check */
	SUB_N_TIMERS
};

/* Everything the call flow does to the world. `sub->lac` gives the daemon
 * context. Every operation may be called from inside an action; none frees
 * the subscriber, and none may call back into subscriber.c synchronously
 * except through the documented events (which are then queued). */
struct sub_ops {
	uint64_t (*now_ms)(struct lac *lac);
	/* arms timer t at absolute time at_ms (same clock as now_ms); 0 disarms */
	void (*timer_set)(struct subscriber *sub, enum sub_timer t, uint64_t at_ms);

	/* PPP (the glue re-arms the PPP timer after each) */
	void (*ppp_input)(struct subscriber *sub, const uint8_t *frame, size_t len);
	void (*ppp_auth_result)(struct subscriber *sub, bool accept, const char *message);
	void (*ppp_set_ipcp)(struct subscriber *sub, struct in_addr local, struct in_addr peer,
			     struct in_addr dns1, struct in_addr dns2);
	int (*ppp_get_proxy)(struct subscriber *sub, struct ppp_proxy_info *out);
	int (*ppp_handoff)(struct subscriber *sub, struct ppp_proxy_info *out);
	void (*ppp_close)(struct subscriber *sub, const char *reason);
	int (*ppp_send_ip)(struct subscriber *sub, const uint8_t *pkt, size_t len);
	void (*ppp_free)(struct subscriber *sub);

	/* RADIUS */
	struct radius_request *(*aaa_start)(struct subscriber *sub, const struct radius_auth_params *p);
	void (*aaa_cancel)(struct subscriber *sub, struct radius_request *req);
	int (*acct_send)(struct subscriber *sub, const struct radius_acct_params *p);
	/* RFC 2867 4.1 Tunnel-Reject, or with link 4.2 Tunnel-Link-Reject */
	int (*acct_tunnel_reject)(struct subscriber *sub, bool link, const struct radius_acct_params *p);

	/* L2TP */
	struct l2tp_session *(*l2tp_open)(struct subscriber *sub, const struct l2tp_candidate *cands,
					  size_t n, const struct l2tp_call_info *call);
	void (*l2tp_close)(struct subscriber *sub, struct l2tp_session *s, uint16_t result,
			   uint16_t error, const char *msg);
	int (*l2tp_send)(struct subscriber *sub, struct l2tp_session *s, const uint8_t *frame, size_t len);
	/* the engine's view of the session (ids, candidate carrying it): 0, or -1 */
	int (*l2tp_status)(struct subscriber *sub, struct l2tp_session *s, struct l2tp_session_status *out);
	/* our address towards an LNS, for Tunnel-Client-Endpoint; "" if unknown */
	void (*local_endpoint)(struct lac *lac, const struct sockaddr_storage *lns, socklen_t len, char *out, size_t cap);

	/* TUN (local termination) */
	int (*tun_write)(struct subscriber *sub, const uint8_t *pkt, size_t len);

	/* access: frames to the subscriber, and closing the conn (no `closed` follows) */
	int (*access_send)(struct subscriber *sub, const uint8_t *frame, size_t len);
	void (*access_close)(struct subscriber *sub, const char *reason);
};

/* Argument carried by an event into its action (valid during the dispatch). */
struct sub_evarg {
	const struct radius_reply *reply;               /* AAA_* */
	const struct l2tp_session_status *l2tp_up;      /* L2TP_UP */
	const struct ppp_auth_request *auth;            /* AUTH_REQUEST */
	const struct ppp_ip_info *ip;                   /* PPP_UP */
	const uint8_t *frame;                           /* *_FRAME, PPP_IP, TUN_PACKET */
	size_t len;
	const char *reason;
	enum ppp_down_cause ppp_cause;                  /* PPP_DOWN */
	enum radius_term_cause cause;                   /* ADMIN_DISCONNECT */
	uint16_t l2tp_result;                           /* L2TP_DOWN */
	const struct l2tp_setup_reject *l2tp_reject;    /* L2TP_REJECT */
};

#define SUB_QUEUE_MAX 4
#define SUB_REASON_MAX 96

struct sub_queued {
	enum sub_event ev;
	struct sub_evarg arg;
	bool has_reason;
	char reason[SUB_REASON_MAX];
};

struct subscriber {
	struct adm_ticket adm;          /* issue 11: what admission counts for this session */
	struct lac *lac;
	uint32_t id;
	enum sub_state state;
	enum sub_state next_state;      /* set by actions of "set by action" rows */
	bool dispatching;
	bool released;                  /* sub_release() ran: detached, reap armed */
	unsigned n_queued;
	/* events raised while dispatching, SUB_QUEUE_MAX of them: allocated when
	 * one is, freed when they have run (768 bytes a session need not carry
	 * between events) */
	struct sub_queued *queued;

	struct access_conn *conn;
	struct access_conn_info info;   /* kept for accounting after conn is gone */
	struct ppp_session *ppp;
	struct ev_timer timers[SUB_N_TIMERS];   /* used by the glue only */
	struct radius_request *aaa;
	struct l2tp_session *l2tp;

	/* identity: the name RADIUS was asked about; pinned once it answered */
	char *user;                     /* heap, at its length ("-" before the first request) */
	size_t user_len;
	enum ppp_auth_type auth_type;
	bool identity_pinned;

	char acct_session_id[20];
	char decision[8];               /* tunnel | local | reject | fail */
	uint64_t created_ms, up_ms;

	/* accounting (RFC 2866): what the Accept said, what we counted */
	uint32_t session_timeout_s;     /* 0 = none */
	uint32_t interim_s;             /* 0 = no Interim-Update */
	uint32_t idle_timeout_s;        /* 0 = none */
	uint64_t last_data_ms;          /* last data frame from the subscriber */
	size_t n_class;
	uint8_t (*class_val)[RADIUS_MAX_ATTR_VALUE];    /* scale: n_class entries (heap), NULL if none */
	size_t class_len[RADIUS_MAX_CLASS];
	bool acct_started, acct_stopped;
	bool line_info_forwarding;      /* the Accept allows RFC 5515 AVPs for this realm */
	enum radius_term_cause term_cause;      /* first cause set wins */
	uint64_t in_octets, out_octets;         /* from / to the subscriber */
	uint32_t in_packets, out_packets;

	/* tunnelled */
	/* scale: the three candidate arrays are sized to the reply (heap, one
	 * entry per tunnel of the Access-Accept; NULL for a local subscriber),
	 * freed with the record (was 32 fixed entries, about 19 KB). */
	struct l2tp_candidate *cands;
	char (*cand_label)[64];                 /* endpoints as RADIUS sent them */
	struct sub_cand_acct {                  /* RFC 2867 accounting per candidate */
		uint8_t tag;
		uint32_t medium;
		char client_endpoint[64];
	} *cand_acct;
	char lns_host_name[64];                 /* the LNS's Host Name (Tunnel-Server-Auth-Id) */
	size_t n_cands;
	bool cand_kept;                         /* up: only the carrying candidate is left, at 0 */
	struct l2tp_session_status l2tp_status;
	bool l2tp_status_known;                 /* from `up` or from the engine */
	char lns[64];
	/* the subscriber's own LCP Terminate-Request seen on the relay (RFC 1661 5.5) */
	bool sub_term_seen, sub_term_acked;
	uint8_t sub_term_id;

	/* locally terminated */
	struct in_addr ip;
	bool ip_reserved;               /* held in lac->pool (inside or outside its range) */
	bool ip_registered;
	struct subscriber *ip_next;

	struct subscriber *next, *prev;
};

/* subscriber.c: the table and its entry points (used by the glue and tests). */
struct subscriber *sub_create(struct lac *lac, struct access_conn *conn);
void sub_dispatch(struct subscriber *sub, enum sub_event ev, const struct sub_evarg *arg);
/* timer t fired (REAP frees sub: do not use it afterwards) */
void sub_timer_fired(struct subscriber *sub, enum sub_timer t);
/* frees sub at once (creation failed half-way; nothing is attached yet) */
void sub_destroy_unattached(struct subscriber *sub);
/* the ops used when lac->sub_ops is NULL (subscriber_io.c) */
extern const struct sub_ops sub_io_ops;

#endif
