/* PPP core: one subscriber's PPP link (RFC 1661 LCP, RFC 1994 CHAP, RFC 1334
 * PAP, RFC 1332/1877 IPCP) in either role:
 *
 *  - PPP_ROLE_AUTHENTICATOR: the LAC side. Negotiates LCP, challenges the
 *    subscriber (CHAP-MD5 or PAP, in the configured order), hands the
 *    credentials to the owner (auth_request), then on the owner's word either
 *    finishes authentication and runs IPCP itself (local termination), or hands
 *    the link over (ppp_session_handoff) so its frames can be relayed to an LNS,
 *    with the LCP and authentication record RFC 2661 4.4.5 proxy AVPs need.
 *  - PPP_ROLE_CLIENT: the subscriber side (lac-dial). Answers LCP, authenticates
 *    with its credentials, asks IPCP for an address and DNS, and follows an LCP
 *    renegotiation started by the peer at any time (as an LNS does after the
 *    LAC hands the session over), re-authenticating and re-running IPCP.
 *
 * The session never touches a socket or the clock: frames come in through
 * ppp_session_input(), go out through the tx callback, and every call takes the
 * current time `now` (milliseconds on any monotonic clock). The owner arms one
 * timer for ppp_session_next_timeout() and calls ppp_session_timeout() then.
 *
 * Callbacks may be invoked from any ppp_session_* call that takes `now`. The
 * owner may call ppp_session_auth_result(), ppp_session_handoff(),
 * ppp_session_close() and ppp_session_send_ip() from inside a callback. `down`
 * is always the last callback of a call.
 *
 * Re-entrancy contract (issue 8 item 1): a callback never frees the session
 * under the code that called it. ppp_session_destroy() may be called at any
 * time, from inside any callback included: while a ppp_session_* call is on
 * the stack it only detaches the owner (no callback follows, nothing more is
 * sent) and the memory is freed when the outermost call returns. The tx
 * callback must not report the link down synchronously (the access layer
 * delivers `closed` from the loop, see access/stream.h). */
#ifndef PPP_PPP_H
#define PPP_PPP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* RFC 1661 / IANA PPP DLL protocol numbers used here. */
#define PPP_PROTO_IP 0x0021
#define PPP_PROTO_IPCP 0x8021
#define PPP_PROTO_LCP 0xc021
#define PPP_PROTO_PAP 0xc023
#define PPP_PROTO_CHAP 0xc223
#define PPP_ADDRESS 0xff
#define PPP_CONTROL 0x03

/* Largest raw frame the session builds or accepts (address/control, protocol
 * and a 4096-octet information field). */
#define PPP_FRAME_MAX (4 + 4096)

/* Splits a raw PPP frame (see access/access.h: optional 0xff 0x03, protocol
 * possibly compressed to one octet) into protocol and information. *info points
 * into raw. Returns 0, or -1 if the frame is too short or the protocol field is
 * malformed (RFC 1661 2: last octet odd, first octet even). */
int ppp_frame_parse(const uint8_t *raw, size_t len, uint16_t *proto, const uint8_t **info,
		    size_t *info_len);

/* Builds a raw PPP frame into buf: 0xff 0x03 if with_addr_ctl, the 2-octet
 * protocol, then info. Returns the length, or -1 if cap is too small. */
ssize_t ppp_frame_build(uint8_t *buf, size_t cap, bool with_addr_ctl, uint16_t proto,
			const uint8_t *info, size_t len);

enum ppp_role { PPP_ROLE_AUTHENTICATOR, PPP_ROLE_CLIENT };
const char *ppp_role_str(enum ppp_role role);

/* Values are RFC 2661 4.4.5 Proxy Authen Type codes, so they go straight into
 * the AVP. */
enum ppp_auth_type { PPP_AUTH_NONE = 0, PPP_AUTH_CHAP = 2, PPP_AUTH_PAP = 3 };
const char *ppp_auth_type_str(enum ppp_auth_type type);

/* Bounds on recorded strings and option blocks. An LCP ConfReq's options beyond
 * PPP_PROXY_LCP_MAX octets are not recorded (len 0, truncated flag set): no
 * real LCP negotiation comes near it, and an L2TP AVP could not carry much more. */
#define PPP_NAME_MAX 255        /* CHAP Name / PAP Peer-ID (one length octet) */
#define PPP_CHALLENGE_MAX 64    /* CHAP challenge we send or accept */
#define PPP_RESPONSE_MAX 255    /* CHAP response value or PAP password */
#define PPP_PROXY_LCP_MAX 512
#define PPP_MESSAGE_MAX 255     /* CHAP/PAP message text */
#define PPP_IDENT_MAX 48

/* The subscriber's credentials as received by the authenticator. */
struct ppp_auth_request {
	enum ppp_auth_type type;
	char name[PPP_NAME_MAX + 1];            /* NUL-terminated; may hold no NUL inside */
	size_t name_len;
	uint8_t chap_id;                        /* CHAP Identifier of challenge and response */
	uint8_t challenge[PPP_CHALLENGE_MAX];   /* CHAP: the challenge we sent */
	size_t challenge_len;
	uint8_t response[PPP_RESPONSE_MAX];     /* CHAP: MD5 response (16); PAP: password */
	size_t response_len;
};

/* What RFC 2661 4.4.5 proxy LCP and proxy authentication AVPs carry. The three
 * LCP blocks are the ConfReq options only (no code/id/length header). */
struct ppp_proxy_info {
	uint8_t initial_rcvd_confreq[PPP_PROXY_LCP_MAX];   /* first ConfReq from the subscriber */
	size_t initial_rcvd_len;
	uint8_t last_sent_confreq[PPP_PROXY_LCP_MAX];      /* our ConfReq the subscriber acked */
	size_t last_sent_len;
	uint8_t last_rcvd_confreq[PPP_PROXY_LCP_MAX];      /* subscriber's ConfReq we acked */
	size_t last_rcvd_len;
	bool truncated;                                    /* some block was too long to keep */
	struct ppp_auth_request auth;
	uint16_t peer_mru;      /* MRU the subscriber asked for (1500 if none) */
	uint32_t peer_magic;    /* subscriber's magic number (0 if none) */
	uint32_t our_magic;
};

struct ppp_ip_info {
	struct in_addr local;   /* our address on the link */
	struct in_addr peer;    /* the peer's address */
	struct in_addr dns1;    /* 0.0.0.0 when none */
	struct in_addr dns2;
};

struct ppp_config {
	char ident[PPP_IDENT_MAX];      /* prefix of every log line, e.g. "conn=7" */
	uint16_t mru;                   /* MRU we ask for; 1500 is not sent (RFC 1661 6.1 default) */
	bool no_addr_ctl;               /* medium never carries 0xff 0x03 (PPPoE, RFC 2516 7) */
	bool async_map;                 /* byte-stream medium: ask for ACCM 0 (RFC 1662 7.1) */
	bool request_pfc;               /* ask the peer to let us compress protocol fields */
	bool request_acfc;              /* ask the peer to let us omit address/control */
	enum ppp_auth_type auth_order[2];       /* authenticator: methods in order of preference */
	unsigned auth_order_len;
	unsigned auth_max_attempts;     /* authenticator: failed attempts before Terminate (>= 1) */
	unsigned auth_timeout_ms;       /* wait for PAP request / CHAP challenge / result */
	unsigned restart_ms;            /* RFC 1661 4.6 Restart timer */
	unsigned max_configure;         /* RFC 1661 4.6 */
	unsigned max_terminate;
	unsigned max_failure;
	unsigned echo_interval_ms;      /* LCP Echo-Request period once opened; 0 = none */
	unsigned echo_failures;         /* unanswered echoes before the peer is declared dead */
	char host_name[PPP_NAME_MAX + 1];       /* authenticator's CHAP Name */
	char user[PPP_NAME_MAX + 1];            /* client credentials */
	char password[PPP_RESPONSE_MAX + 1];
	bool request_dns;               /* client: ask IPCP for primary/secondary DNS (RFC 1877) */
	struct in_addr client_addr;     /* client: address to ask for; 0.0.0.0 = any */
};

/* Fills cfg with defaults: MRU 1500, CHAP then PAP, 1 auth attempt, restart
 * 3 s, Max-Configure 10, Max-Terminate 2, Max-Failure 5, echo off, 3 echo
 * failures, auth timeout 30 s, DNS requested, host name "lac". */
void ppp_config_defaults(struct ppp_config *cfg);

/* Why the link finished, for the owner's accounting (RFC 2866 5.10). */
enum ppp_down_cause {
	PPP_DOWN_LOCAL_CLOSE,           /* ppp_session_close() */
	PPP_DOWN_PEER_TERMINATE,        /* the peer sent LCP Terminate-Request */
	PPP_DOWN_ECHO_TIMEOUT,          /* the peer stopped answering LCP echoes */
	PPP_DOWN_LOWER_DOWN,            /* ppp_session_lower_down() */
	PPP_DOWN_AUTH_FAILED,           /* authentication refused, timed out or refused by the peer */
	PPP_DOWN_NEGOTIATION_FAILED,    /* LCP/IPCP did not converge, loopback */
	PPP_DOWN_N_CAUSES
};
const char *ppp_down_cause_str(enum ppp_down_cause cause);

struct ppp_callbacks {
	/* One raw PPP frame to send to the peer (the access layer frames it). */
	void (*tx)(void *owner, const uint8_t *raw, size_t len);
	/* Authenticator: the subscriber's credentials arrived. Answer (now or
	 * later) with ppp_session_auth_result() or ppp_session_handoff(). */
	void (*auth_request)(void *owner, const struct ppp_auth_request *req);
	/* Client: the authenticator's verdict (message may be empty). Optional. */
	void (*auth_result)(void *owner, bool success, const char *message);
	/* IPCP reached Opened (again, after a renegotiation). Optional. */
	void (*up)(void *owner, const struct ppp_ip_info *ip);
	/* The link is finished; the owner should destroy the session. cause is
	 * the first reason the link ended for, reason its text (peer text escaped). */
	void (*down)(void *owner, enum ppp_down_cause cause, const char *reason);
	/* An IPv4 packet arrived while IPCP is opened. Optional. */
	void (*ip_rx)(void *owner, const uint8_t *pkt, size_t len);
};

struct ppp_session;

/* Creates a session in phase Dead. cfg and cb are copied. Returns NULL on
 * allocation failure. Nothing is sent until ppp_session_lower_up(). */
struct ppp_session *ppp_session_create(const struct ppp_config *cfg, enum ppp_role role,
				       const struct ppp_callbacks *cb, void *owner);
/* Frees the session without sending anything and without callbacks; from
 * inside one of its callbacks the free waits for the outermost call to return. */
void ppp_session_destroy(struct ppp_session *s);

/* The access link is up: starts LCP (sends the first ConfReq). */
void ppp_session_lower_up(struct ppp_session *s, uint64_t now);
/* The access link went away: no more frames are sent; `down` follows. */
void ppp_session_lower_down(struct ppp_session *s, uint64_t now);
/* One raw PPP frame from the peer. Ignored after a handoff. */
void ppp_session_input(struct ppp_session *s, const uint8_t *raw, size_t len, uint64_t now);
/* Absolute time (same clock as now) of the next timer, 0 if none. */
uint64_t ppp_session_next_timeout(const struct ppp_session *s);
/* Runs every timer due at now. */
void ppp_session_timeout(struct ppp_session *s, uint64_t now);
/* Closes the link gracefully: LCP Terminate-Request, then `down` once the peer
 * acknowledges or Max-Terminate expires. reason is logged and given to `down`. */
void ppp_session_close(struct ppp_session *s, const char *reason, uint64_t now);

/* Authenticator: sets the addresses IPCP will negotiate (local termination).
 * Call before ppp_session_auth_result(accept). Zero dns means none offered. */
void ppp_session_set_ipcp(struct ppp_session *s, struct in_addr local, struct in_addr peer,
			  struct in_addr dns1, struct in_addr dns2);
/* Authenticator: the verdict on the last auth_request. accept: CHAP Success or
 * PAP Ack with message, then IPCP. Reject: CHAP Failure or PAP Nak with
 * message, then another challenge while attempts remain, else LCP Terminate
 * and `down`. message may be NULL. Ignored if no request is pending. */
void ppp_session_auth_result(struct ppp_session *s, bool accept, const char *message,
			     uint64_t now);
/* Authenticator: the subscriber is tunnelled. Stops every timer and all PPP
 * processing (later input is ignored, nothing more is sent, no callbacks) and
 * fills *proxy. Returns 0, or -1 if authentication has not produced a request. */
int ppp_session_handoff(struct ppp_session *s, struct ppp_proxy_info *proxy);
/* The proxy record so far (valid after auth_request). Returns 0 or -1 as above. */
int ppp_session_get_proxy(const struct ppp_session *s, struct ppp_proxy_info *proxy);

/* Sends one IPv4 packet (client role and local termination). Returns 0, or -1
 * if IPCP is not opened or the packet is larger than the peer's MRU. */
int ppp_session_send_ip(struct ppp_session *s, const uint8_t *pkt, size_t len);

/* Read-only views for logs, lacctl and tests. */
enum ppp_phase {
	PPP_PHASE_DEAD, PPP_PHASE_ESTABLISH, PPP_PHASE_AUTHENTICATE, PPP_PHASE_NETWORK,
	PPP_PHASE_TERMINATE, PPP_PHASE_HANDED_OFF
};
const char *ppp_phase_str(enum ppp_phase phase);
enum ppp_phase ppp_session_phase(const struct ppp_session *s);
bool ppp_session_lcp_opened(const struct ppp_session *s);
bool ppp_session_ipcp_opened(const struct ppp_session *s);
/* The negotiated IP information (valid once `up` was called). */
const struct ppp_ip_info *ppp_session_ip_info(const struct ppp_session *s);
/* The ACCM the peer asked us to use when sending (for the HDLC encoder). */
uint32_t ppp_session_tx_accm(const struct ppp_session *s);

#endif
