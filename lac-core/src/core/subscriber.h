/* A subscriber session: one access connection, its PPP link, the RADIUS
 * question about it, and either an L2TP session to the realm's LNS (relay) or
 * local termination. The call flow is an explicit state table (subscriber.c).
 *
 * Lifetime: created when an access interface announces a connection; freed on
 * the loop iteration after it reaches SUB_DEAD (so no callback still on the
 * stack can touch freed memory). */
#ifndef CORE_SUBSCRIBER_H
#define CORE_SUBSCRIBER_H

#include <netinet/in.h>
#include <stdint.h>

#include "aaa/dae_codec.h"
#include "aaa/radius_codec.h"
#include "access/access.h"
#include "core/lac.h"
#include "util/strbuf.h"

enum sub_state {
	SUB_LCP,                /* LCP and the subscriber's half of authentication */
	SUB_AAA,                /* Access-Request outstanding */
	SUB_TUNNEL_SETUP,       /* L2TP tunnel/session being opened to the LNS */
	SUB_RELAY,              /* frames relayed between subscriber and LNS */
	SUB_LOCAL,              /* accepted for local termination: IPCP and IP on the TUN */
	SUB_CLOSING,            /* LCP Terminate sent, waiting for the link to finish */
	SUB_DEAD,               /* released; freed by the reap timer. Final. */
	SUB_N_STATES
};

enum sub_event {
	SUB_EV_AUTH_REQUEST,    /* PPP: credentials arrived */
	SUB_EV_AAA_TUNNEL,      /* Access-Accept with usable tunnel attributes */
	SUB_EV_AAA_LOCAL,       /* Access-Accept without tunnel attributes */
	SUB_EV_AAA_REJECT,      /* Access-Reject */
	SUB_EV_AAA_FAIL,        /* no answer from any server, or an unusable one */
	SUB_EV_L2TP_UP,         /* L2TP session established (ICCN acknowledged) */
	SUB_EV_L2TP_DOWN,       /* L2TP session failed or was cleared */
	SUB_EV_L2TP_FRAME,      /* a PPP frame from the LNS */
	SUB_EV_PPP_UP,          /* IPCP opened (local termination) */
	SUB_EV_PPP_DOWN,        /* PPP link finished */
	SUB_EV_PPP_IP,          /* an IPv4 packet from the subscriber (local termination) */
	SUB_EV_ACCESS_FRAME,    /* a PPP frame from the subscriber */
	SUB_EV_ACCESS_CLOSED,   /* the subscriber's connection went away */
	SUB_EV_ADMIN_DISCONNECT,/* lacctl disconnect, DAE, shutdown, timeouts */
	SUB_EV_TUN_PACKET,      /* an IPv4 packet from the TUN device for this subscriber */
	SUB_EV_INTERIM,         /* Acct-Interim-Interval timer */
	SUB_EV_SESSION_TIMEOUT, /* Session-Timeout timer */
	SUB_EV_IDLE_CHECK,      /* Idle-Timeout timer */
	SUB_EV_L2TP_REJECT,     /* an LNS refused the tunnel or the call (RFC 2867 4.1/4.2) */
	SUB_N_EVENTS
};

const char *sub_state_str(enum sub_state s);
const char *sub_event_str(enum sub_event e);

/* access_conn_new_cb for every access interface: creates the subscriber. */
void subscriber_conn_new(void *lac, struct access_conn *conn);

/* Tears one session down (lacctl disconnect, Disconnect-Request, shutdown,
 * Session-Timeout); cause is the Acct-Terminate-Cause of its Stop (the first
 * cause given to a session wins). May not free sub before the next loop
 * iteration, so callers may keep walking the session list. */
void subscriber_disconnect(struct subscriber *sub, const char *reason, enum radius_term_cause cause);

/* dae_handler_fn for the RFC 5176 server (arg is the struct lac). */
enum dae_error_cause subscriber_dae_request(struct lac *lac, const struct dae_request *req,
					    const char *client);

/* An IPv4 packet read from the TUN device: hands it to the locally terminated
 * subscriber owning its destination address, if any. */
void subscriber_tun_input(struct lac *lac, const uint8_t *pkt, size_t len);
/* The table of locally terminated sessions by address, sized for `expected`
 * sessions (the local pool): 0, or -1 when it cannot be allocated. Freed at
 * exit, when sessions are no longer looked up. */
int lac_ip_table_init(struct lac *lac, uint32_t expected);
void lac_ip_table_free(struct lac *lac);

/* lacctl views. */
void subscriber_show_all(struct lac *lac, struct strbuf *out);
struct subscriber *subscriber_find(struct lac *lac, uint32_t id);

#endif
