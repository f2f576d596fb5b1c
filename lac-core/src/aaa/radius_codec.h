/* RADIUS wire codec: pure functions on byte buffers (no sockets, globals,
 * logging or allocation), shared by lac-core's RADIUS client and the broker
 * benchmark's load generator.
 *
 *   - build Access-Request / Accounting-Request into a caller's buffer, with
 *     Message-Authenticator (RFC 3579 3.2) as the first attribute of every
 *     request;
 *   - verify a response: Response Authenticator (RFC 2865 3) and a present,
 *     valid Message-Authenticator (a reply without one is refused: BlastRADIUS,
 *     CVE-2024-3596);
 *   - walk attributes with every length checked against what remains;
 *   - decode an Access-Accept/Reject into the values lac-core acts on, with
 *     RFC 2868 tunnel attributes grouped by tag, Tunnel-Password decrypted
 *     (RFC 2868 3.5), groups validated and ordered by Tunnel-Preference.
 *
 * DNS servers for locally terminated subscribers come from the Microsoft
 * vendor attributes MS-Primary-DNS-Server / MS-Secondary-DNS-Server (vendor
 * 311, types 28/29, RFC 2548 2.2.x ipaddr): that is what carrier AAA servers and
 * FreeRADIUS's dictionary.microsoft already speak, and our broker returns them
 * for `local` realms. */
#ifndef AAA_RADIUS_CODEC_H
#define AAA_RADIUS_CODEC_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#define RADIUS_HDR_LEN 20
#define RADIUS_AUTH_LEN 16
#define RADIUS_MAX_PACKET 4096          /* RFC 2865 3: Length 20..4096 */
#define RADIUS_MAX_ATTR_VALUE 253
#define RADIUS_MAX_SECRET 128
#define RADIUS_MAX_PASSWORD 128         /* RFC 2865 5.2: at most 128 octets */
#define RADIUS_DEFAULT_AUTH_PORT 1812
#define RADIUS_DEFAULT_ACCT_PORT 1813
#define RADIUS_DEFAULT_DAE_PORT 3799          /* RFC 5176 3 */
#define L2TP_DEFAULT_PORT 1701

/* RFC 2865 3, RFC 2866 3, RFC 5176 3 */
enum radius_code {
	RADIUS_CODE_ACCESS_REQUEST = 1,
	RADIUS_CODE_ACCESS_ACCEPT = 2,
	RADIUS_CODE_ACCESS_REJECT = 3,
	RADIUS_CODE_ACCOUNTING_REQUEST = 4,
	RADIUS_CODE_ACCOUNTING_RESPONSE = 5,
	RADIUS_CODE_ACCESS_CHALLENGE = 11,
	RADIUS_CODE_STATUS_SERVER = 12,
	RADIUS_CODE_DISCONNECT_REQUEST = 40,
	RADIUS_CODE_DISCONNECT_ACK = 41,
	RADIUS_CODE_DISCONNECT_NAK = 42,
	RADIUS_CODE_COA_REQUEST = 43,
	RADIUS_CODE_COA_ACK = 44,
	RADIUS_CODE_COA_NAK = 45,
};
const char *radius_code_str(unsigned code);

/* Attribute types used here: RFC 2865 5, RFC 2866 5, RFC 2868 3, RFC 2869 5,
 * RFC 3579 3.2. */
enum radius_attr {
	RADIUS_ATTR_USER_NAME = 1,
	RADIUS_ATTR_USER_PASSWORD = 2,
	RADIUS_ATTR_CHAP_PASSWORD = 3,
	RADIUS_ATTR_NAS_IP_ADDRESS = 4,
	RADIUS_ATTR_NAS_PORT = 5,
	RADIUS_ATTR_SERVICE_TYPE = 6,
	RADIUS_ATTR_FRAMED_PROTOCOL = 7,
	RADIUS_ATTR_FRAMED_IP_ADDRESS = 8,
	RADIUS_ATTR_FRAMED_IP_NETMASK = 9,
	RADIUS_ATTR_REPLY_MESSAGE = 18,
	RADIUS_ATTR_STATE = 24,
	RADIUS_ATTR_CLASS = 25,
	RADIUS_ATTR_VENDOR_SPECIFIC = 26,
	RADIUS_ATTR_SESSION_TIMEOUT = 27,
	RADIUS_ATTR_IDLE_TIMEOUT = 28,
	RADIUS_ATTR_CALLED_STATION_ID = 30,
	RADIUS_ATTR_CALLING_STATION_ID = 31,
	RADIUS_ATTR_NAS_IDENTIFIER = 32,
	RADIUS_ATTR_PROXY_STATE = 33,
	RADIUS_ATTR_ACCT_STATUS_TYPE = 40,
	RADIUS_ATTR_ACCT_DELAY_TIME = 41,
	RADIUS_ATTR_ACCT_INPUT_OCTETS = 42,
	RADIUS_ATTR_ACCT_OUTPUT_OCTETS = 43,
	RADIUS_ATTR_ACCT_SESSION_ID = 44,
	RADIUS_ATTR_ACCT_SESSION_TIME = 46,
	RADIUS_ATTR_ACCT_INPUT_PACKETS = 47,
	RADIUS_ATTR_ACCT_OUTPUT_PACKETS = 48,
	RADIUS_ATTR_ACCT_TERMINATE_CAUSE = 49,
	RADIUS_ATTR_ACCT_INPUT_GIGAWORDS = 52,
	RADIUS_ATTR_ACCT_OUTPUT_GIGAWORDS = 53,
	RADIUS_ATTR_EVENT_TIMESTAMP = 55,
	RADIUS_ATTR_CHAP_CHALLENGE = 60,
	RADIUS_ATTR_NAS_PORT_TYPE = 61,
	RADIUS_ATTR_TUNNEL_TYPE = 64,
	RADIUS_ATTR_TUNNEL_MEDIUM_TYPE = 65,
	RADIUS_ATTR_TUNNEL_CLIENT_ENDPOINT = 66,
	RADIUS_ATTR_TUNNEL_SERVER_ENDPOINT = 67,
	RADIUS_ATTR_ACCT_TUNNEL_CONNECTION = 68,
	RADIUS_ATTR_TUNNEL_PASSWORD = 69,
	RADIUS_ATTR_TUNNEL_PRIVATE_GROUP_ID = 81,
	RADIUS_ATTR_TUNNEL_ASSIGNMENT_ID = 82,
	RADIUS_ATTR_TUNNEL_PREFERENCE = 83,
	RADIUS_ATTR_ACCT_INTERIM_INTERVAL = 85,
	RADIUS_ATTR_NAS_PORT_ID = 87,
	RADIUS_ATTR_TUNNEL_CLIENT_AUTH_ID = 90,
	RADIUS_ATTR_TUNNEL_SERVER_AUTH_ID = 91,
	RADIUS_ATTR_MESSAGE_AUTHENTICATOR = 80,
	RADIUS_ATTR_NAS_IPV6_ADDRESS = 95,
	RADIUS_ATTR_ERROR_CAUSE = 101,
};

#define RADIUS_VENDOR_MICROSOFT 311
#define RADIUS_MS_PRIMARY_DNS_SERVER 28
#define RADIUS_MS_SECONDARY_DNS_SERVER 29
/* Cisco-AVPair (vendor 9, attribute 1), "protocol:attribute=value". The broker
 * sends "vpdn:dsl-line-info-forwarding=1" (named after Cisco's VPDN command of
 * the same meaning) for a realm whose LNS is to receive the subscriber's
 * access-line information ([pppoe] access_line_l2tp = realm). */
#define RADIUS_VENDOR_CISCO 9
#define RADIUS_CISCO_AVPAIR 1
#define RADIUS_AVPAIR_LINE_INFO_FORWARDING "vpdn:dsl-line-info-forwarding"

#define RADIUS_SERVICE_TYPE_FRAMED 2            /* RFC 2865 5.6 */
#define RADIUS_FRAMED_PROTOCOL_PPP 1            /* RFC 2865 5.7 */
#define RADIUS_NAS_PORT_TYPE_ASYNC 0            /* RFC 2865 5.41 */
#define RADIUS_NAS_PORT_TYPE_VIRTUAL 5
#define RADIUS_NAS_PORT_TYPE_ETHERNET 15
#define RADIUS_TUNNEL_TYPE_L2TP 3               /* RFC 2868 3.1 */
#define RADIUS_TUNNEL_MEDIUM_IPV4 1             /* RFC 2868 3.2 */
#define RADIUS_TUNNEL_MEDIUM_IPV6 2
#define RADIUS_ACCT_STATUS_START 1              /* RFC 2866 5.1 */
#define RADIUS_ACCT_STATUS_STOP 2
#define RADIUS_ACCT_STATUS_INTERIM 3
#define RADIUS_ACCT_STATUS_ACCOUNTING_ON 7
#define RADIUS_ACCT_STATUS_ACCOUNTING_OFF 8
#define RADIUS_ACCT_STATUS_TUNNEL_START 9         /* RFC 2867 4.1 */
#define RADIUS_ACCT_STATUS_TUNNEL_STOP 10
#define RADIUS_ACCT_STATUS_TUNNEL_REJECT 11
#define RADIUS_ACCT_STATUS_TUNNEL_LINK_START 12
#define RADIUS_ACCT_STATUS_TUNNEL_LINK_STOP 13
#define RADIUS_ACCT_STATUS_TUNNEL_LINK_REJECT 14

/* RFC 2866 5.10 Acct-Terminate-Cause */
enum radius_term_cause {
	RADIUS_TERM_USER_REQUEST = 1,
	RADIUS_TERM_LOST_CARRIER = 2,
	RADIUS_TERM_LOST_SERVICE = 3,
	RADIUS_TERM_IDLE_TIMEOUT = 4,
	RADIUS_TERM_SESSION_TIMEOUT = 5,
	RADIUS_TERM_ADMIN_RESET = 6,
	RADIUS_TERM_ADMIN_REBOOT = 7,
	RADIUS_TERM_PORT_ERROR = 8,
	RADIUS_TERM_NAS_ERROR = 9,
	RADIUS_TERM_NAS_REQUEST = 10,
	RADIUS_TERM_NAS_REBOOT = 11,
	RADIUS_TERM_SERVICE_UNAVAILABLE = 15,
};
const char *radius_term_cause_str(unsigned cause);

/* What kind of failure, so a client can count them apart. */
enum radius_err_kind {
	RADIUS_ERR_MALFORMED = 0,       /* lengths, header, attribute values */
	RADIUS_ERR_AUTHENTICATOR,       /* Response Authenticator mismatch */
	RADIUS_ERR_NO_MSG_AUTH,         /* no Message-Authenticator */
	RADIUS_ERR_MSG_AUTH,            /* Message-Authenticator mismatch */
};

/* Why a decode failed: a fixed message and the packet offset it concerns. */
struct radius_err {
	const char *msg;
	size_t offset;
	enum radius_err_kind kind;
};

/* ---- building requests ---- */

/* A request under construction in a caller's buffer. The header and a zeroed
 * Message-Authenticator are written by radius_builder_init(); values are
 * appended; radius_builder_finish() fills Length and the authenticators.
 * The first error sticks: later calls do nothing and finish() returns -1. */
struct radius_builder {
	uint8_t *buf;
	size_t cap;
	size_t len;
	size_t msg_auth_off;            /* offset of the Message-Authenticator value */
	bool failed;
};

/* Starts a packet of `code` with identifier `id`. For Access-Request and
 * Status-Server `authenticator` is the random Request Authenticator (it must
 * be unpredictable, RFC 2865 3); for Accounting-Request it is ignored (the
 * authenticator is computed at finish, RFC 2866 3). Returns 0 or -1 if cap is
 * too small. */
int radius_builder_init(struct radius_builder *b, uint8_t *buf, size_t cap, uint8_t code,
			uint8_t id, const uint8_t authenticator[RADIUS_AUTH_LEN]);
/* Appends one attribute (value length 0..253; RFC 2865 5 forbids empty values
 * for most attributes, the caller decides). Returns 0 or -1. */
int radius_builder_add(struct radius_builder *b, uint8_t type, const void *val, size_t len);
int radius_builder_add_str(struct radius_builder *b, uint8_t type, const char *s);
int radius_builder_add_u32(struct radius_builder *b, uint8_t type, uint32_t v);
/* Appends Vendor-Specific (RFC 2865 5.26) holding one vendor attribute in the
 * RFC-suggested 1-octet type / 1-octet length format. */
int radius_builder_add_vsa(struct radius_builder *b, uint32_t vendor, uint8_t vtype,
			   const void *val, size_t len);
/* Appends User-Password hidden as RFC 2865 5.2 with the packet's Request
 * Authenticator: pw is padded with NULs to a multiple of 16 (1..128 octets). */
int radius_builder_add_user_password(struct radius_builder *b, const uint8_t *pw, size_t pw_len,
				     const uint8_t *secret, size_t secret_len);
/* Writes Length, the Message-Authenticator (HMAC-MD5 over the packet, RFC 3579
 * 3.2; with a zero authenticator for Accounting-Request) and, for
 * Accounting-Request, the Request Authenticator (RFC 2866 3). Returns the
 * packet length or -1 after an earlier error. */
ssize_t radius_builder_finish(struct radius_builder *b, const uint8_t *secret, size_t secret_len);

/* Attributes encoded elsewhere (whole attributes, type and length included:
 * the RFC 4679 access-line Vendor-Specific attributes of access_line.c),
 * appended as they are. Held by value, so copies of the parameters keep them
 * without an arena. len 0 omits. */
#define RADIUS_EXTRA_ATTRS_MAX 400
struct radius_extra_attrs {
	uint16_t len;
	uint8_t buf[RADIUS_EXTRA_ATTRS_MAX];
};

/* What an Access-Request carries. Pointers may be NULL / flags false to omit
 * an attribute. Exactly one of PAP (user_password) or CHAP (chap_response) is
 * expected for PPP, neither is also allowed (e.g. for a probe). */
struct radius_auth_params {
	const char *user_name;
	const uint8_t *user_password;           /* PAP, RFC 2865 5.2 */
	size_t user_password_len;
	const uint8_t *chap_response;           /* 16-octet CHAP-MD5 response */
	uint8_t chap_id;
	const uint8_t *chap_challenge;          /* RFC 2865 5.40 */
	size_t chap_challenge_len;
	bool has_nas_ip;
	struct in_addr nas_ip;
	const char *nas_identifier;
	bool has_nas_port;
	uint32_t nas_port;
	const char *nas_port_id;
	bool has_nas_port_type;
	uint32_t nas_port_type;
	bool framed_ppp;                        /* Service-Type=Framed, Framed-Protocol=PPP */
	const char *calling_station_id;
	const char *called_station_id;
	const char *acct_session_id;
	struct radius_extra_attrs extra;        /* access-line attributes */
};

/* Encodes a complete Access-Request. Returns its length or -1 (a value too
 * long for an attribute, a password over 128 octets, or cap too small). */
ssize_t radius_access_request_encode(uint8_t *buf, size_t cap, uint8_t id,
				     const uint8_t authenticator[RADIUS_AUTH_LEN],
				     const struct radius_auth_params *p,
				     const uint8_t *secret, size_t secret_len);

#define RADIUS_MAX_CLASS_ECHO 4

/* RFC 2867 2/4.1: the tunnel a session's accounting describes. Strings may be
 * NULL or "" to omit. The integer attributes carry `tag` (RFC 2868 3.1); the
 * string ones carry it too when it is non-zero, or when the value would
 * otherwise start with an octet that reads as a tag. */
struct radius_acct_tunnel {
	uint8_t tag;
	uint32_t type;                          /* RADIUS_TUNNEL_TYPE_L2TP */
	uint32_t medium;                        /* RADIUS_TUNNEL_MEDIUM_IPV4/IPV6 */
	const char *client_endpoint;            /* our address, as sent */
	const char *server_endpoint;            /* the LNS's */
	const char *assignment_id;
	const char *client_auth_id;             /* our L2TP Host Name */
	const char *server_auth_id;             /* the LNS's Host Name */
	const char *connection;                 /* Acct-Tunnel-Connection: Call Serial Number */
};

/* What an Accounting-Request carries (RFC 2866 5). Zero/NULL/false omits. */
struct radius_acct_params {
	uint32_t status_type;                   /* RADIUS_ACCT_STATUS_* (required) */
	const char *user_name;
	const char *acct_session_id;
	const char *nas_identifier;
	const char *nas_port_id;
	const char *calling_station_id;
	const char *called_station_id;
	bool has_nas_ip;
	struct in_addr nas_ip;
	bool has_nas_port;
	uint32_t nas_port;
	bool has_nas_port_type;
	uint32_t nas_port_type;
	bool framed_ppp;
	bool has_framed_ip;
	struct in_addr framed_ip;
	uint32_t delay_time;
	bool has_counters;                      /* Stop and Interim-Update */
	uint32_t session_time;
	uint64_t input_octets, output_octets;   /* split into Gigawords (RFC 2869 5.1) */
	uint32_t input_packets, output_packets;
	uint32_t terminate_cause;               /* 0 = none */
	size_t n_class;                         /* every Class of the Access-Accept, */
	const uint8_t *class_val[RADIUS_MAX_CLASS_ECHO];        /* echoed (RFC 2865 5.25) */
	size_t class_len[RADIUS_MAX_CLASS_ECHO];
	const struct radius_acct_tunnel *tunnel;        /* RFC 2867 2: tunnelled sessions */
	struct radius_extra_attrs extra;        /* access-line attributes (RFC 4679) */
};

/* Encodes an Accounting-Request (Message-Authenticator first, Request
 * Authenticator per RFC 2866 3). Returns its length or -1. */
ssize_t radius_accounting_request_encode(uint8_t *buf, size_t cap, uint8_t id,
					 const struct radius_acct_params *p,
					 const uint8_t *secret, size_t secret_len);

/* The spool form of an Accounting-Request (aaa/acct_spool_codec.h): its
 * attributes as they follow the Message-Authenticator, without
 * Acct-Delay-Time (p->delay_time is ignored: it is computed at each send).
 * Returns the length written to buf or -1 (does not encode, or cap). */
ssize_t radius_acct_attrs_encode(uint8_t *buf, size_t cap, const struct radius_acct_params *p);
/* Builds an Accounting-Request from that form: Message-Authenticator first,
 * the attributes, Acct-Delay-Time when non-zero, Request Authenticator per
 * RFC 2866 3. Returns the length or -1 (a malformed attribute list, or cap). */
ssize_t radius_accounting_request_from_attrs(uint8_t *buf, size_t cap, uint8_t id, const uint8_t *attrs,
					     size_t attrs_len, uint32_t delay_time,
					     const uint8_t *secret, size_t secret_len);
/* Finds the first attribute `type` in an attribute list. Returns 1 with
 * val/vlen set, or 0. */
int radius_acct_attrs_find(const uint8_t *attrs, size_t len, uint8_t type, const uint8_t **val, size_t *vlen);
/* Acct-Status-Type of an attribute list, 0 when absent or malformed. */
uint32_t radius_acct_attrs_status(const uint8_t *attrs, size_t len);
/* Turns the attributes of a Start or Interim-Update into those of the Stop
 * that ends the session there (a session lac-core lost in a crash, RFC 2866
 * 5.10): Acct-Status-Type Stop first, every other attribute kept (the
 * counters and Acct-Session-Time of the interim, zeros for a Start),
 * Acct-Terminate-Cause `cause`. Returns the length written to out or -1. */
ssize_t radius_acct_attrs_to_stop(const uint8_t *in, size_t len, uint32_t cause, uint8_t *out, size_t cap);

/* Finishes a response (Accounting-Response, Disconnect/CoA ACK/NAK) started
 * with radius_builder_init(..., request's authenticator): the
 * Message-Authenticator over the packet holding the Request Authenticator
 * (RFC 3579 3.2, RFC 5176 3.5), then the Response Authenticator
 * MD5(Code+ID+Length+RequestAuth+Attributes+Secret) (RFC 2865 3, RFC 5176
 * 2.3). Returns the length or -1 after an earlier error. */
ssize_t radius_builder_finish_response(struct radius_builder *b, const uint8_t *secret,
				       size_t secret_len);

/* RFC 2865 5.2 hiding on its own, for tests and for anyone building by hand.
 * out receives ceil(len/16)*16 octets (16 for an empty password). Returns that
 * length or -1 if pw_len > 128. */
ssize_t radius_user_password_hide(const uint8_t *pw, size_t pw_len,
				  const uint8_t authenticator[RADIUS_AUTH_LEN],
				  const uint8_t *secret, size_t secret_len,
				  uint8_t out[RADIUS_MAX_PASSWORD]);

/* ---- walking and verifying ---- */

struct radius_attr_iter {
	const uint8_t *p;
	size_t left;
	size_t offset;                  /* offset of p in the packet */
};

/* Iterates the attributes of a packet whose header has been checked (pkt_len
 * is the Length field, not the datagram size). */
void radius_attr_iter_init(struct radius_attr_iter *it, const uint8_t *pkt, size_t pkt_len);
/* Returns 1 with the next attribute, 0 at the end, -1 (err set) if an
 * attribute length is below 2 or overruns the packet. */
int radius_attr_next(struct radius_attr_iter *it, uint8_t *type, const uint8_t **val,
		     size_t *len, struct radius_err *err);

/* Checks the header of a received datagram: at least 20 octets, Length within
 * 20..4096 and not beyond the datagram (octets past Length are padding, RFC
 * 2865 3), and the attribute list well formed. Returns the packet length (the
 * Length field) or -1 with err set. */
ssize_t radius_packet_check(const uint8_t *pkt, size_t len, struct radius_err *err);

/* Verifies a response (Access-Accept/Reject/Challenge, Accounting-Response,
 * CoA/Disconnect ACK/NAK) to the request whose Request Authenticator was
 * req_auth: the Response Authenticator (RFC 2865 3) and exactly one valid
 * Message-Authenticator (RFC 3579 3.2), required on every response because an
 * unsigned reply can be forged (CVE-2024-3596). Returns the packet length or
 * -1 with err set. */
ssize_t radius_response_verify(const uint8_t *pkt, size_t len,
			       const uint8_t req_auth[RADIUS_AUTH_LEN],
			       const uint8_t *secret, size_t secret_len, struct radius_err *err);

/* radius_response_verify() with the Message-Authenticator required or only
 * verified when present (the transport's policy, radius_transport.h). */
ssize_t radius_response_verify_ext(const uint8_t *pkt, size_t len,
				   const uint8_t req_auth[RADIUS_AUTH_LEN],
				   const uint8_t *secret, size_t secret_len, bool require_msg_auth,
				   struct radius_err *err);

/* Verifies an Accounting-Response to the request whose authenticator was
 * req_auth: the Response Authenticator always, a Message-Authenticator only if
 * present (FreeRADIUS 3.2 does not sign accounting responses, and
 * CVE-2024-3596 concerns Access-* exchanges). Returns the length or -1. */
ssize_t radius_accounting_response_verify(const uint8_t *pkt, size_t len,
					  const uint8_t req_auth[RADIUS_AUTH_LEN],
					  const uint8_t *secret, size_t secret_len,
					  struct radius_err *err);

/* Verifies a received request's Message-Authenticator, and for an
 * Accounting-Request also its Request Authenticator (RFC 2866 3); for tests
 * and the benchmark's responders. Returns the packet length or -1 with err
 * set. */
ssize_t radius_request_verify(const uint8_t *pkt, size_t len, const uint8_t *secret,
			      size_t secret_len, struct radius_err *err);

/* The same for a request whose Message-Authenticator may be absent (RFC 5176
 * makes it optional in Disconnect/CoA-Request): the Request Authenticator of
 * an Accounting-, Disconnect- or CoA-Request (RFC 2866 3, RFC 5176 2.3) is
 * always checked, a Message-Authenticator when present (computed with a zero
 * authenticator field for those codes, as FreeRADIUS does) and required when
 * require_msg_auth. *has_msg_auth tells which. Returns the length or -1. */
ssize_t radius_request_verify_ext(const uint8_t *pkt, size_t len, const uint8_t *secret,
				  size_t secret_len, bool require_msg_auth, bool *has_msg_auth,
				  struct radius_err *err);

/* RFC 2868 3.5: decrypts a Tunnel-Password value (tag octet already removed:
 * salt(2) + encrypted string) with the request authenticator. The decrypted
 * length octet is checked against the decrypted size. Returns the password
 * length (written to out, at most 253 octets) or -1 with err set. */
ssize_t radius_tunnel_password_decrypt(const uint8_t *val, size_t len,
				       const uint8_t req_auth[RADIUS_AUTH_LEN],
				       const uint8_t *secret, size_t secret_len,
				       uint8_t out[RADIUS_MAX_ATTR_VALUE], struct radius_err *err);

/* ---- decoding a reply ---- */

#define RADIUS_MAX_TUNNELS 32           /* tag 0 (untagged) + tags 1..31 */
#define RADIUS_MAX_CLASS 4
#define RADIUS_REPLY_MSG_MAX 1024

/* One validated RFC 2868 tunnel group: a candidate LNS for the L2TP engine. */
struct radius_tunnel {
	uint8_t tag;                            /* 0 = the untagged group */
	uint32_t type;                          /* RADIUS_TUNNEL_TYPE_L2TP after validation */
	uint32_t medium;                        /* RADIUS_TUNNEL_MEDIUM_IPV4/IPV6 */
	uint32_t preference;                    /* UINT32_MAX when absent: least preferred */
	bool has_preference;
	char endpoint[RADIUS_MAX_ATTR_VALUE + 1];       /* Tunnel-Server-Endpoint as sent */
	struct sockaddr_storage addr;           /* parsed endpoint, port 1701 unless given */
	socklen_t addr_len;
	uint8_t password[RADIUS_MAX_ATTR_VALUE];        /* decrypted Tunnel-Password */
	size_t password_len;
	bool has_password;
	char assignment_id[RADIUS_MAX_ATTR_VALUE + 1];  /* "" when absent */
	char client_auth_id[RADIUS_MAX_ATTR_VALUE + 1]; /* Host Name we send in SCCRQ */
	char server_auth_id[RADIUS_MAX_ATTR_VALUE + 1];
	char client_endpoint[RADIUS_MAX_ATTR_VALUE + 1];
};

/* A tunnel group that failed validation and was left out. */
struct radius_tunnel_drop {
	uint8_t tag;
	const char *reason;
};

struct radius_reply {
	uint8_t code;
	uint8_t id;
	char reply_message[RADIUS_REPLY_MSG_MAX];       /* all Reply-Messages joined, NUL-free */
	bool has_framed_ip;
	struct in_addr framed_ip;
	bool has_framed_netmask;
	struct in_addr framed_netmask;
	unsigned n_dns;
	struct in_addr dns[2];                  /* primary, secondary */
	bool has_session_timeout;
	uint32_t session_timeout;
	bool has_idle_timeout;                  /* RFC 2865 5.28 */
	uint32_t idle_timeout;
	bool has_acct_interim_interval;
	uint32_t acct_interim_interval;
	bool line_info_forwarding;             /* Cisco-AVPair vpdn:dsl-line-info-forwarding=1 */
	size_t n_class;
	uint8_t class_val[RADIUS_MAX_CLASS][RADIUS_MAX_ATTR_VALUE];
	size_t class_len[RADIUS_MAX_CLASS];
	size_t n_tunnels;                       /* valid groups, most preferred first */
	struct radius_tunnel tunnels[RADIUS_MAX_TUNNELS];
	size_t n_dropped;
	struct radius_tunnel_drop dropped[RADIUS_MAX_TUNNELS];
};

/* Returns a random 32-bit value; used to shuffle tunnels of equal preference. */
typedef uint32_t (*radius_rng_fn)(void *arg);

/* Verifies (radius_response_verify) and decodes an Access-Accept,
 * Access-Reject or Access-Challenge answering the request with authenticator
 * req_auth. Malformed tunnel groups are not an error: they are listed in
 * out->dropped. Tunnels are ordered by Tunnel-Preference (lower first); ties
 * are shuffled with rng (kept in tag order if rng is NULL). A malformed
 * standard attribute (e.g. a 3-octet Framed-IP-Address) is an error.
 * Returns 0 or -1 with err set; out is only meaningful on 0. */
int radius_reply_decode(const uint8_t *pkt, size_t len, const uint8_t req_auth[RADIUS_AUTH_LEN],
			const uint8_t *secret, size_t secret_len, radius_rng_fn rng, void *rng_arg,
			struct radius_reply *out, struct radius_err *err);

/* Parses "a.b.c.d", "a.b.c.d:port", "x::y" or "[x::y]:port" (no host names:
 * resolving would block the event loop). Port 0 and out-of-range ports are
 * refused. Returns the address family or -1. */
int radius_endpoint_parse(const char *s, uint16_t default_port, struct sockaddr_storage *out,
			  socklen_t *out_len);

#endif
