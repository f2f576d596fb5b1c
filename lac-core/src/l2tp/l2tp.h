/* lac-core's L2TP engine: the LAC side of RFC 2661 (control connections,
 * incoming-call sessions with proxy LCP/authentication AVPs, the data plane),
 * with tunnel sharing, failover across candidate LNSs and a dead-endpoint cache.
 *
 * The engine owns its UDP sockets and timers on the daemon's ev loop; callers
 * see sessions only. Everything happens on the loop thread. Callbacks may call
 * any l2tp_* function, including l2tp_session_close() on their own session
 * (except from `down`, after which the session is gone). */
#ifndef L2TP_L2TP_H
#define L2TP_L2TP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct ev_loop;
struct l2tp_engine;
struct l2tp_session;

/* Wire values callers pass in l2tp_call_info and l2tp_session_close() or
 * read in l2tp_disconnect (RFC 2661 4.4.2-4.4.5). */
/* CDN Result Codes, RFC 2661 4.4.2. */
enum {
	L2TP_CDN_LOST_CARRIER = 1, L2TP_CDN_GENERAL = 2, L2TP_CDN_ADMIN = 3, L2TP_CDN_TEMP_RESOURCES = 4,
	L2TP_CDN_PERM_RESOURCES = 5, L2TP_CDN_INVALID_DEST = 6, L2TP_CDN_NO_CARRIER = 7,
	L2TP_CDN_BUSY = 8, L2TP_CDN_NO_DIAL_TONE = 9, L2TP_CDN_TIMEOUT = 10, L2TP_CDN_NO_FRAMING = 11
};
/* General Error Codes, RFC 2661 4.4.2. */
enum {
	L2TP_ERR_NONE = 0, L2TP_ERR_NO_TUNNEL = 1, L2TP_ERR_LENGTH = 2, L2TP_ERR_RANGE = 3,
	L2TP_ERR_RESOURCES = 4, L2TP_ERR_INVALID_SID = 5, L2TP_ERR_VENDOR = 6, L2TP_ERR_TRY_ANOTHER = 7,
	L2TP_ERR_UNKNOWN_M_AVP = 8
};
/* Capabilities and types, RFC 2661 4.4.3/4.4.4. */
#define L2TP_FRAMING_SYNC  0x1u
#define L2TP_FRAMING_ASYNC 0x2u
#define L2TP_BEARER_DIGITAL 0x1u
#define L2TP_BEARER_ANALOG  0x2u

/* Proxy Authen Type values, RFC 2661 4.4.5. */
enum {
	L2TP_PROXY_AUTH_RESERVED = 0, L2TP_PROXY_AUTH_TEXT = 1, L2TP_PROXY_AUTH_CHAP = 2,
	L2TP_PROXY_AUTH_PAP = 3, L2TP_PROXY_AUTH_NONE = 4, L2TP_PROXY_AUTH_MSCHAPV1 = 5
};

#define L2TP_MAX_BINDS 8
#define L2TP_MAX_CANDIDATES 32
#define L2TP_MAX_FAILOVER_CODES 8

struct l2tp_engine_config {
	/* Local addresses to bind (IPv4/IPv6 literals); none: one wildcard IPv4 socket. */
	char bind[L2TP_MAX_BINDS][64];
	size_t n_bind;
	uint16_t port;                  /* local UDP port; 0: 1701 */
	char host_name[64];             /* Host Name AVP unless a candidate's client_auth_id says otherwise */
	char vendor_name[32];           /* Vendor Name AVP; "" for none */
	uint16_t rx_window;             /* Receive Window Size we advertise; 0: 8 */
	unsigned hello_interval_s;      /* 0: no HELLO (lac.conf: "0 = none") */
	unsigned retransmit_initial_ms; /* 0: 1000 */
	unsigned retransmit_max_ms;     /* 0: 8000 */
	unsigned max_retransmits;       /* 0: 5 */
	unsigned max_sessions_per_tunnel; /* 0: unlimited (65535) */
	unsigned dead_hold_down_s;      /* endpoints that did not answer are skipped this long; 0: never */
	unsigned tunnel_linger_s;       /* 0: 10; an idle tunnel waits this long for a new session */
	bool hide_avps;                 /* hide calling/called number and proxy auth AVPs (needs a secret) */
	bool data_len_bit;              /* set L on data messages we send */
	bool data_sequencing;           /* ask for Ns/Nr on data (Sequencing Required in ICCN) */
	/* Send SLI and WEN when the PPP side reports (default true). l2tpns 2.4.1
	 * knows neither the ACCM nor the Call Errors AVP and, both being mandatory,
	 * clears the whole tunnel on receipt: turn this off towards such an LNS. */
	bool send_sli_wen;
	/* CDN results during setup that mean "try the next candidate" (default 2 and 4),
	 * and for result 2 the error codes that do (default 4, 6, 7, 9). */
	uint16_t failover_cdn_results[L2TP_MAX_FAILOVER_CODES];
	size_t n_failover_cdn_results;
	uint16_t failover_cdn_errors[L2TP_MAX_FAILOVER_CODES];
	size_t n_failover_cdn_errors;
	bool failover_on_stopccn;       /* StopCCN during setup: try next (default true via l2tp_engine_config_default) */
	/* Setup deadlines. A tunnel without SCCRP this long after its SCCRQ, or a
	 * session without ICRP this long after the LNS acknowledged its ICRQ, is
	 * given up: the session fails over to the next candidate, the endpoint
	 * goes into the dead-cache and no later call joins that tunnel. */
	unsigned tunnel_setup_timeout_s;  /* 0: 10 */
	unsigned session_setup_timeout_s; /* 0: 10 */
	/* Tunnel pool per (LNS, Assignment-Id, secret, Host Name): calls go to
	 * the pool's tunnel with the fewest calls in setup; another tunnel opens
	 * when every one is full (max_sessions_per_tunnel) or when the least
	 * loaded one has the LNS's control window (its Receive Window Size) of
	 * calls in setup and the pool has fewer than tunnels_per_lns tunnels.
	 * Tunnels to one LNS open one after the other (see engine.c). */
	unsigned tunnels_per_lns;       /* 0: 1 */
};

/* Fills *cfg with the defaults above. */
void l2tp_engine_config_default(struct l2tp_engine_config *cfg);

/* One LNS to try, from RADIUS Tunnel-* attributes (RFC 2868). */
struct l2tp_candidate {
	struct sockaddr_storage addr;   /* LNS address and port (port 0: 1701) */
	socklen_t addr_len;
	char secret[128];               /* Tunnel-Password; "" for no tunnel authentication */
	char assignment_id[64];         /* Tunnel-Assignment-Id: tunnels are shared per (addr, this, secret) */
	char client_auth_id[64];        /* our Host Name in SCCRQ; engine default if empty */
	char server_auth_id[64];        /* expected LNS Host Name, if set */
	uint32_t preference;            /* Tunnel-Preference, for logs (the list is already ordered) */
};

/* What the PPP side negotiated before the tunnel, for the proxy AVPs of ICCN
 * (RFC 2661 4.4.5). Lengths 0 mean "absent". */
struct l2tp_proxy_info {
	uint8_t init_rx_lcp[256];       /* options of the first LCP CONFREQ received from the subscriber */
	uint16_t init_rx_lcp_len;
	uint8_t last_tx_lcp[256];       /* options of the last CONFREQ we sent (the one acked) */
	uint16_t last_tx_lcp_len;
	uint8_t last_rx_lcp[256];       /* options of the last CONFREQ received (the one we acked) */
	uint16_t last_rx_lcp_len;
	uint16_t authen_type;           /* 0: no proxy auth AVPs; else L2TP_PROXY_AUTH_* (2 CHAP, 3 PAP, 4 none) */
	char authen_name[128];
	uint8_t authen_challenge[64];
	uint16_t authen_challenge_len;
	uint8_t authen_id;
	uint8_t authen_response[128];   /* CHAP response value, or the PAP password */
	uint16_t authen_response_len;
};

#define L2TP_VENDOR_AVPS_MAX 400
struct l2tp_call_info {
	char calling_number[64];
	char called_number[64];
	char sub_address[64];
	uint32_t tx_connect_speed, rx_connect_speed;    /* bps; 0: a default is sent */
	uint32_t framing_type;          /* L2TP_FRAMING_*; 0: async */
	uint32_t bearer_type;           /* L2TP_BEARER_*; 0: none sent */
	uint32_t physical_channel_id;   /* 0: not sent */
	char private_group_id[64];
	struct l2tp_proxy_info proxy;
	/* Vendor AVPs appended to the ICRQ as they are (whole AVPs, M clear):
	 * the RFC 5515 access-line AVPs of access/access_line.c (issue 11). */
	uint8_t vendor_avps[L2TP_VENDOR_AVPS_MAX];
	uint16_t vendor_avps_len;
};

struct l2tp_session_status {
	uint16_t local_tid, peer_tid, local_sid, peer_sid;
	uint32_t call_serial;           /* unique per engine, for RFC 2867 Acct-Tunnel-Connection */
	unsigned candidate_idx;         /* which candidate carries the session */
	const struct sockaddr *peer;    /* the LNS */
	socklen_t peer_len;
	const char *peer_host_name;
	bool sequencing;                /* data messages carry Ns/Nr */
};

/* Why a session went down. */
struct l2tp_disconnect {
	bool setup_failed;              /* never came up (every candidate tried) */
	bool local;                     /* we closed it (l2tp_session_close or shutdown) */
	uint16_t result, error;         /* CDN (or StopCCN when the tunnel went) result/error */
	bool tunnel;                    /* result/error are from a StopCCN */
	char message[128];              /* Error Message or our own reason */
	uint16_t q931_cause;            /* 0: none */
	uint8_t q931_msg;
	uint16_t ppp_disc_code, ppp_disc_proto; /* RFC 3145; code 0: none */
	uint8_t ppp_disc_dir;
};

/* RFC 2867 4.1/4.2: a tunnel the LNS refused or never answered (SCCRQ
 * unanswered until the setup deadline or the retransmit limit, StopCCN in
 * answer to it, tunnel authentication failed), or a call it refused on an
 * established tunnel (CDN in answer to ICRQ/ICCN, no ICRP in time, an ICMP
 * unreachable for the tunnel, a message we could not take; link = true). Reported once per failed tunnel, to one of
 * the sessions waiting for it (the one that opened it, while it is still
 * there), and once per failed call, before that session fails over or goes
 * down. Failures of our own making (no socket, a full queue, a local close,
 * shutdown) are not reported. */
struct l2tp_setup_reject {
	bool link;                      /* a call on an established tunnel (Tunnel-Link-Reject) */
	unsigned candidate_idx;         /* the candidate that failed */
	uint32_t call_serial;           /* of the reporting call: Acct-Tunnel-Connection */
	uint16_t result, error;         /* the StopCCN's or CDN's; result 0: no answer */
	const char *why;
	const char *peer_host_name;     /* the LNS's Host Name if it sent one, else "" */
};

struct l2tp_session_events {
	/* ICCN acknowledged: PPP frames may flow. */
	void (*up)(void *owner, const struct l2tp_session_status *st);
	/* Candidate from_idx failed during setup; trying to_idx now. */
	void (*failover)(void *owner, unsigned from_idx, unsigned to_idx, const char *reason);
	/* The session is gone; freed after this returns. */
	void (*down)(void *owner, const struct l2tp_disconnect *why);
	/* One raw PPP frame from the LNS (see access/access.h), valid during the call. */
	void (*ppp_rx)(void *owner, const uint8_t *frame, size_t len);
	/* The candidate carrying the session refused it (see l2tp_setup_reject);
	 * `failover` or `down` follows. May be NULL. */
	void (*setup_reject)(void *owner, const struct l2tp_setup_reject *r);
};

/* Creates the engine and binds its sockets. Returns NULL (logged) on failure. */
struct l2tp_engine *l2tp_engine_create(struct ev_loop *loop, const struct l2tp_engine_config *cfg);
/* Puts the default in every field of cfg whose 0 means "the default" (the
 * comments above); hello_interval_s, dead_hold_down_s and
 * max_sessions_per_tunnel keep a 0, which means none. The engine runs on
 * the result. */
void l2tp_engine_config_resolve(struct l2tp_engine_config *cfg);
/* What a configuration reload changes in a running engine: dead_hold_down_s,
 * tunnel_setup_timeout_s, session_setup_timeout_s, tunnels_per_lns and
 * max_sessions_per_tunnel are taken from cfg (0: the default), for what
 * starts after the call (a tunnel that is opening keeps its deadline); the
 * rest of cfg is not looked at. */
void l2tp_engine_set_limits(struct l2tp_engine *e, const struct l2tp_engine_config *cfg);
/* Closes the sockets and frees everything, without callbacks; call after
 * shutdown's done (or whenever a hard stop is fine). */
void l2tp_engine_destroy(struct l2tp_engine *e);
/* Sends CDN for every session (each gets `down` with local=true) and StopCCN
 * result 6 for every tunnel, then calls done(arg) once each StopCCN was
 * acknowledged or given up. New sessions are refused from now on. */
void l2tp_engine_shutdown(struct l2tp_engine *e, void (*done)(void *arg), void *arg);

/* Starts a session towards the candidates in order (skipping those in the
 * dead-cache unless every one is). Copies everything it is given. Returns the
 * session (events follow from the loop, never from inside this call), or NULL
 * when n_cands is 0, the engine is shutting down, or out of IDs. */
struct l2tp_session *l2tp_session_open(struct l2tp_engine *e, const struct l2tp_candidate *cands,
				       size_t n_cands, const struct l2tp_call_info *call,
				       const struct l2tp_session_events *ev, void *owner);
/* Sends a raw PPP frame from the subscriber to the LNS. Returns 0, or -1 when
 * the session is not up (yet) or the frame is too large. */
int l2tp_session_send_ppp(struct l2tp_session *s, const uint8_t *frame, size_t len);
/* Clears the session with CDN (RFC 2661 6.14) carrying result/error/msg and,
 * when ppp_disconnect_cause is non-zero, the RFC 3145 PPP Disconnect Cause
 * (protocol LCP, direction local). No callbacks follow; s is invalid after. */
void l2tp_session_close(struct l2tp_session *s, uint16_t result, uint16_t error, const char *msg,
			uint16_t ppp_disconnect_cause);
/* The session's tunnel/session ids, call serial and carrying candidate as
 * the engine knows them now (also before `up`, e.g. when the LNS's data
 * overtook the acknowledgement of our ICCN). Pointers in *st are valid until
 * the next call into the engine. Returns 0, or -1 when no tunnel carries it. */
int l2tp_session_get_status(const struct l2tp_session *s, struct l2tp_session_status *st);
/* SLI (6.16) with the subscriber's ACCM, when the PPP side learns it. */
void l2tp_session_report_sli(struct l2tp_session *s, uint32_t send_accm, uint32_t recv_accm);

struct l2tp_wan_errors {
	uint32_t crc, framing, hw_overruns, buf_overruns, timeouts, alignment;
};
/* WEN (6.15) with the access side's error counters. */
void l2tp_session_report_wen(struct l2tp_session *s, const struct l2tp_wan_errors *errs);

/* ---- introspection for lacctl and logs ---- */
struct l2tp_engine_stats {
	uint64_t rx_datagrams, tx_datagrams, rx_malformed, rx_unknown_tunnel, rx_unknown_session,
		 rx_bad_peer, rx_ctrl, rx_data, tx_data, tx_dropped, retransmits, tunnels_opened,
		 tunnels_failed, sessions_opened, sessions_up, sessions_failed, failovers;
	/* Appended (callers that print the fields above keep working):
	 * setup_timeouts: tunnels and sessions given up at their setup deadline;
	 * rx_duplicate / rx_out_of_window / rx_bad_nr: control messages with an
	 * Ns already seen, an Ns beyond our receive window, an Nr acknowledging
	 * what we never sent (RFC 2661 5.8), over every tunnel, closed ones too. */
	uint64_t setup_timeouts, rx_duplicate, rx_out_of_window, rx_bad_nr;
	/* icmp_ignored: ICMP errors whose quoted datagram is not one of ours;
	 * stray_rate_limited: SCCRQs to us left unanswered by the rate limit. */
	uint64_t icmp_ignored, stray_rate_limited;
	/* setup_rejects / link_rejects: tunnels and calls an LNS refused or left
	 * unanswered, as reported through `setup_reject` (RFC 2867 4.1/4.2). */
	uint64_t setup_rejects, link_rejects;
	/* setup_waits: setup deadlines moved on because the LNS, though late
	 * with this tunnel or call, answers on its tunnels (a slow LNS, not a
	 * dead one). */
	uint64_t setup_waits;
	/* rx_socket_drops: datagrams the kernel dropped at our L2TP sockets
	 * because their receive buffers were full (read when the stats are). */
	uint64_t rx_socket_drops;
};
struct l2tp_tunnel_info {
	uint16_t local_tid, peer_tid;
	const struct sockaddr *peer;
	socklen_t peer_len;
	const char *state;
	const char *peer_host_name;
	unsigned sessions;
	uint64_t rx_msgs, tx_msgs, retransmits;
};
struct l2tp_session_info {
	uint16_t local_tid, local_sid, peer_sid;
	uint32_t call_serial;
	const char *state;
	uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes;
};
void l2tp_engine_get_stats(const struct l2tp_engine *e, struct l2tp_engine_stats *out);
/* Calls fn for each tunnel (and its sessions through sfn, may be NULL). */
void l2tp_engine_foreach(const struct l2tp_engine *e,
			 void (*tfn)(void *arg, const struct l2tp_tunnel_info *ti),
			 void (*sfn)(void *arg, const struct l2tp_session_info *si), void *arg);
/* Whether an endpoint is in the dead-cache now (for tests and lacctl). */
bool l2tp_engine_endpoint_dead(struct l2tp_engine *e, const struct sockaddr *addr, socklen_t len);

#endif
