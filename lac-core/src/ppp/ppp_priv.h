/* The session object shared by the files of ppp/ (lcp.c, ipcp.c, chap.c,
 * pap.c, ppp.c). Not for use outside ppp/: the public API is ppp.h. */
#ifndef PPP_PPP_PRIV_H
#define PPP_PPP_PRIV_H

#include "ppp/fsm.h"
#include "ppp/ppp.h"
#include "util/be.h"

#define PPP_DEFAULT_MRU 1500    /* RFC 1661 6.1 */
#define PPP_MIN_MRU 64          /* below this we Nak: no useful link fits */
#define PPP_CHAP_CHALLENGE_LEN 16
#define PPP_ACCM_ALL 0xffffffffu   /* RFC 1662 7.1 default */

/* LCP options (RFC 1661 6, RFC 1662 7.1, RFC 1994 3 for CHAP). */
enum {
	LCP_OPT_MRU = 1, LCP_OPT_ACCM = 2, LCP_OPT_AUTH = 3, LCP_OPT_QUALITY = 4,
	LCP_OPT_MAGIC = 5, LCP_OPT_PFC = 7, LCP_OPT_ACFC = 8
};
#define CHAP_ALG_MD5 5

struct lcp_opts {
	bool mru_on;
	uint16_t mru;
	bool accm_on;
	uint32_t accm;
	enum ppp_auth_type auth;        /* NONE when absent */
	bool magic_on;
	uint32_t magic;
	bool pfc;
	bool acfc;
};

/* IPCP options (RFC 1332 3, RFC 1877 1). */
enum { IPCP_OPT_ADDRS = 1, IPCP_OPT_COMP = 2, IPCP_OPT_ADDR = 3, IPCP_OPT_DNS1 = 129,
       IPCP_OPT_NBNS1 = 130, IPCP_OPT_DNS2 = 131, IPCP_OPT_NBNS2 = 132 };

struct ipcp_opts {
	bool addr_on;
	uint32_t addr;          /* network byte order, as on the wire */
	bool dns1_on;
	uint32_t dns1;
	bool dns2_on;
	uint32_t dns2;
};

/* Authentication progress, one set of states for both methods and both
 * roles (RFC 1994 4, RFC 1334 2); the rows live in chap.c and pap.c. */
enum ppp_auth_state {
	AUTH_IDLE,              /* not in the Authenticate phase */
	AUTH_CHALLENGE_SENT,    /* authenticator, CHAP: waiting for the Response */
	AUTH_WAIT_REQUEST,      /* authenticator, PAP: waiting for Authenticate-Request */
	AUTH_PENDING,           /* authenticator: the owner is deciding */
	AUTH_WAIT_CHALLENGE,    /* client, CHAP: waiting for a Challenge */
	AUTH_RESPONSE_SENT,     /* client, CHAP: waiting for Success/Failure */
	AUTH_REQUEST_SENT,      /* client, PAP: waiting for Ack/Nak */
	AUTH_SUCCEEDED,
	AUTH_FAILED
};
const char *ppp_auth_state_str(enum ppp_auth_state state);

enum ppp_auth_event {
	AUTH_EV_START,                  /* LCP opened with this method */
	AUTH_EV_TIMEOUT_RETRY,          /* timer, retransmissions left */
	AUTH_EV_TIMEOUT_GIVE_UP,        /* timer, none left */
	AUTH_EV_RX_CHALLENGE,           /* client: CHAP Challenge (in auth_rx) */
	AUTH_EV_RX_CREDENTIALS,         /* authenticator: Response / Authenticate-Request (in auth_rx) */
	AUTH_EV_RX_SUCCESS,             /* client: CHAP Success / PAP Ack (message in auth_rx_msg) */
	AUTH_EV_RX_FAILURE,             /* client: CHAP Failure / PAP Nak */
	AUTH_EV_ACCEPT,                 /* authenticator: the owner accepted */
	AUTH_EV_REJECT_RETRY,           /* authenticator: the owner refused, attempts left */
	AUTH_EV_REJECT_FINAL,           /* authenticator: the owner refused, no attempt left */
	AUTH_EV_PEER_TERMINATE,         /* client: LCP Terminate-Request instead of a verdict */
	AUTH_EV_COUNT
};
const char *ppp_auth_event_str(enum ppp_auth_event event);

struct ppp_session;

struct ppp_auth_row {
	enum ppp_role role;
	enum ppp_auth_state state;
	enum ppp_auth_event event;
	void (*action)(struct ppp_session *s, uint64_t now);   /* NULL: none */
	enum ppp_auth_state next;
};

/* The session's copy of its struct ppp_config: the same fields by the same
 * names, but the strings held once at their length, after the session in the
 * same allocation (the three arrays are 256 octets each and mostly empty: an
 * authenticator has no user or password, a client no host name; issue 12).
 * The ident lives on in ppp_session.ident. */
struct ppp_session_cfg {
	uint16_t mru;
	bool no_addr_ctl, async_map, request_pfc, request_acfc;
	enum ppp_auth_type auth_order[2];
	unsigned auth_order_len, auth_max_attempts, auth_timeout_ms, restart_ms;
	unsigned max_configure, max_terminate, max_failure, echo_interval_ms, echo_failures;
	const char *host_name, *user, *password;        /* NUL-terminated */
	bool request_dns;
	struct in_addr client_addr;
};

/* What only negotiation needs (4.2 KB of the 8.5 a session had): the record
 * for RFC 2661 proxy LCP and authentication, and the exchange in progress.
 * Allocated with the session, freed once it is in the network phase (at the
 * end of the event that took it there), allocated again when anything needs
 * it later (LCP renegotiates, a CHAP re-challenge, a repeated Response): an
 * established subscriber then holds only the automata (issue 12). */
struct ppp_nego {
	struct ppp_proxy_info proxy;
	bool initial_recorded;
	uint8_t peer_req[PPP_PROXY_LCP_MAX];    /* the peer's last ConfReq that we acked */
	size_t peer_req_len;
	bool peer_req_truncated;
	struct ppp_auth_request auth_req;       /* authenticator: exchange and credentials given to the owner */
	struct ppp_auth_request auth_rx;        /* a received packet's fields, until the table takes them */
	char auth_rx_msg[PPP_MESSAGE_MAX + 1];  /* client: received verdict message, likewise */
};

struct ppp_session {
	struct ppp_session_cfg cfg;
	struct ppp_callbacks cb;
	void *owner;
	enum ppp_role role;
	enum ppp_phase phase;
	char ident[PPP_IDENT_MAX + 8];  /* "ppp=<cfg ident>" */
	bool lower_is_up;
	bool handed_off;

	struct fsm lcp;
	struct lcp_opts lcp_want;       /* what our ConfReq asks for */
	struct lcp_opts lcp_his;        /* what we acked of the peer's */
	unsigned auth_tried;            /* bit per auth_order index already refused */
	unsigned auth_order_idx;
	unsigned loopback_count;
	const char *lcp_fatal;          /* set by option handlers: close LCP after the packet */
	enum ppp_down_cause lcp_fatal_cause;

	/* proxy LCP record and authentication exchange; see struct ppp_nego */
	struct ppp_nego *nego;

	/* Keepalive (RFC 1661 5.8) */
	uint64_t echo_at;
	unsigned echo_outstanding;
	uint8_t echo_id;

	/* Authentication */
	enum ppp_auth_state auth_state;
	enum ppp_auth_type auth_type;   /* the method in use in this Authenticate phase */
	uint64_t auth_at;               /* auth timer, 0 = stopped */
	unsigned auth_tx_left;          /* retransmissions left of the current challenge/request */
	unsigned auth_failures;         /* authenticator: rejected attempts */
	uint8_t auth_id;                /* Identifier of the current exchange */
	char auth_msg[PPP_MESSAGE_MAX + 1];     /* the last verdict message we sent/got */

	/* IPCP */
	struct fsm ipcp;
	struct ipcp_opts ipcp_want;
	struct ipcp_opts ipcp_his;
	struct in_addr cfg_local, cfg_peer, cfg_dns1, cfg_dns2;  /* authenticator */
	struct ppp_ip_info ip;

	/* Reporting `down` once, as the last callback of the outermost call. */
	unsigned depth;
	bool down_pending;
	bool down_reported;
	bool destroy_pending;           /* ppp_session_destroy() while on the stack */
	enum ppp_down_cause down_cause;
	char down_reason[PPP_MESSAGE_MAX + 64];
	char strings[];                 /* cfg.host_name, cfg.user, cfg.password */
};

/* ppp.c */
/* s->nego, allocated again if it was freed; NULL when memory is short (the
 * caller drops what it was handling, or ends the session). */
struct ppp_nego *ppp_nego(struct ppp_session *s);

void ppp_send_proto(struct ppp_session *s, uint16_t proto, const uint8_t *pkt, size_t len);
void ppp_fsm_send(void *ctx, uint16_t proto, const uint8_t *pkt, size_t len);
int ppp_random_bytes(uint8_t *buf, size_t len);
uint32_t ppp_random_magic(void);
/* Records why the link ends; the first call wins. */
void ppp_set_down_reason(struct ppp_session *s, enum ppp_down_cause cause, const char *reason);
/* Asks for LCP to be closed once the current packet is handled. */
static inline void ppp_fatal(struct ppp_session *s, enum ppp_down_cause cause, const char *reason)
{
	s->lcp_fatal = reason;
	s->lcp_fatal_cause = cause;
}
void ppp_enter_network(struct ppp_session *s, uint64_t now);
void ppp_auth_finished(struct ppp_session *s, bool success, uint64_t now);
void ppp_set_phase(struct ppp_session *s, enum ppp_phase phase);

/* lcp.c */
extern const struct fsm_ops ppp_lcp_ops;
/* LCP codes 8-11 (Protocol-Reject, Echo, Discard); see fsm_ops.other_code. */
void ppp_lcp_send_protrej(struct ppp_session *s, uint16_t proto, const uint8_t *info,
			  size_t len);
void ppp_lcp_echo_timeout(struct ppp_session *s, uint64_t now);

/* ipcp.c */
extern const struct fsm_ops ppp_ipcp_ops;

/* auth.c: the Authenticate phase */
void ppp_auth_dispatch(struct ppp_session *s, enum ppp_auth_event event, uint64_t now);
void ppp_auth_start(struct ppp_session *s, enum ppp_auth_type type, uint64_t now);
void ppp_auth_reset(struct ppp_session *s);
void ppp_auth_timeout(struct ppp_session *s, uint64_t now);
void ppp_auth_result(struct ppp_session *s, bool accept, const char *message, uint64_t now);
void ppp_auth_act_give_up(struct ppp_session *s, uint64_t now);
void ppp_auth_act_ask_owner(struct ppp_session *s, uint64_t now);
void ppp_auth_act_client_success(struct ppp_session *s, uint64_t now);
void ppp_auth_act_client_failure(struct ppp_session *s, uint64_t now);
void ppp_auth_act_client_terminated(struct ppp_session *s, uint64_t now);

/* chap.c / pap.c: packet input and the per-method tables */
extern const struct ppp_auth_row ppp_chap_table[];
extern const size_t ppp_chap_table_len;
extern const struct ppp_auth_row ppp_pap_table[];
extern const size_t ppp_pap_table_len;
void ppp_chap_input(struct ppp_session *s, const uint8_t *pkt, size_t len, uint64_t now);
void ppp_pap_input(struct ppp_session *s, const uint8_t *pkt, size_t len, uint64_t now);

#endif
