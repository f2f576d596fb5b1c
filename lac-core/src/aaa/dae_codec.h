/* RFC 5176 Dynamic Authorization (Disconnect-Request, CoA-Request): the pure
 * part. Verifies and decodes a request into the session identification and
 * the changes it asks for, matches it against one session, and encodes the
 * ACK/NAK. No sockets, clock, logging or allocation (see dae_server.c).
 *
 * What lac-core supports (RFC 5176 3):
 *   - session identification: User-Name, Acct-Session-Id, Framed-IP-Address,
 *     NAS-Port, NAS-Port-Id, Calling-Station-Id, Called-Station-Id; every one
 *     given must match;
 *   - NAS identification: NAS-IP-Address, NAS-Identifier; when given they must
 *     be ours (else NAK 403);
 *   - Disconnect-Request: nothing else (State, Event-Timestamp, Proxy-State,
 *     Message-Authenticator are always allowed; Event-Timestamp is decoded
 *     for the replay window, dae_request_timestamp_ok());
 *   - CoA-Request: Session-Timeout, Idle-Timeout; Service-Type Authorize-Only asks for a
 *     re-authorisation we cannot do (NAK 405); any other attribute NAK 401. */
#ifndef AAA_DAE_CODEC_H
#define AAA_DAE_CODEC_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "aaa/radius_codec.h"

/* RFC 5176 3.5 Error-Cause values */
enum dae_error_cause {
	DAE_ERR_NONE = 0,
	DAE_ERR_RESIDUAL_SESSION_REMOVED = 201,
	DAE_ERR_UNSUPPORTED_ATTRIBUTE = 401,
	DAE_ERR_MISSING_ATTRIBUTE = 402,
	DAE_ERR_NAS_ID_MISMATCH = 403,
	DAE_ERR_INVALID_REQUEST = 404,
	DAE_ERR_UNSUPPORTED_SERVICE = 405,
	DAE_ERR_UNSUPPORTED_EXTENSION = 406,
	DAE_ERR_INVALID_ATTRIBUTE_VALUE = 407,
	DAE_ERR_ADMIN_PROHIBITED = 501,
	DAE_ERR_SESSION_NOT_FOUND = 503,
	DAE_ERR_SESSION_NOT_REMOVABLE = 504,
	DAE_ERR_RESOURCES_UNAVAILABLE = 506,
};
const char *dae_error_cause_str(unsigned cause);

/* RFC 5176 3.1: every Proxy-State is echoed. A request holds at most 4076
 * octets of attributes, so at most 1358 Proxy-States of 1 octet; 64 is more
 * than any chain of proxies; a request with more gets NAK 506 (resources
 * unavailable) echoing the first 64. Replies are built in a RADIUS_MAX_PACKET
 * buffer, so every echo of a request that fits in 4096 octets fits too,
 * except a request padded to the limit with Proxy-State, whose NAK would
 * outgrow 4096 octets: that one is not answered (counted reply_too_big). */
#define DAE_MAX_PROXY_STATE 64
#define DAE_SERVICE_TYPE_AUTHORIZE_ONLY 17      /* RFC 3576 / 5176 3.2 */

/* A verified request. Strings are NUL-terminated copies (a value holding a NUL
 * octet makes the request invalid: it could never match). */
struct dae_request {
	uint8_t code;                           /* RADIUS_CODE_DISCONNECT_REQUEST or _COA_REQUEST */
	uint8_t id;
	uint8_t authenticator[RADIUS_AUTH_LEN];
	bool has_msg_auth;

	/* session identification (RFC 5176 3) */
	bool has_user_name, has_acct_session_id, has_framed_ip, has_nas_port, has_nas_port_id,
	     has_calling_station_id, has_called_station_id;
	char user_name[RADIUS_MAX_ATTR_VALUE + 1];
	char acct_session_id[RADIUS_MAX_ATTR_VALUE + 1];
	struct in_addr framed_ip;
	uint32_t nas_port;
	char nas_port_id[RADIUS_MAX_ATTR_VALUE + 1];
	char calling_station_id[RADIUS_MAX_ATTR_VALUE + 1];
	char called_station_id[RADIUS_MAX_ATTR_VALUE + 1];

	/* NAS identification */
	bool has_nas_ip, has_nas_identifier;
	struct in_addr nas_ip;
	char nas_identifier[RADIUS_MAX_ATTR_VALUE + 1];

	/* CoA changes */
	bool has_session_timeout;
	uint32_t session_timeout;
	bool has_idle_timeout;
	uint32_t idle_timeout;

	/* RFC 5176 3.3 replay protection: when the request was made (Unix s) */
	bool has_event_timestamp;
	uint32_t event_timestamp;

	/* to echo in the reply (RFC 5176 3.1: Proxy-State, in order) */
	size_t n_proxy_state;
	const uint8_t *proxy_state[DAE_MAX_PROXY_STATE];        /* into the packet */
	size_t proxy_state_len[DAE_MAX_PROXY_STATE];

	/* the first attribute lac-core cannot honour, and the NAK it earns */
	enum dae_error_cause refuse;
	uint8_t refuse_attr;                    /* its type, for the log */
};

/* Verifies and decodes a Disconnect-Request or CoA-Request. Verification is
 * the Request Authenticator (RFC 5176 2.3) and the Message-Authenticator
 * (RFC 3579 3.2, mandatory if require_msg_auth). Returns:
 *    0  verified and decoded; out->refuse says whether it can be honoured
 *       (DAE_ERR_NONE) or which NAK it must get;
 *   -1  not a verifiable request (malformed, wrong code, bad or missing
 *       authenticators): err says why; RFC 5176 3.4 says drop it silently.
 * out->proxy_state points into pkt: keep pkt while using out. */
int dae_request_decode(const uint8_t *pkt, size_t len, const uint8_t *secret, size_t secret_len,
		       bool require_msg_auth, struct dae_request *out, struct radius_err *err);

/* Whether the request names any session (else NAK 402). */
bool dae_request_has_session_id(const struct dae_request *req);

/* Checks the NAS identification attributes against ours (nas_identifier may
 * be NULL/"" if we have none, nas_ip 0 likewise). Returns true when every one
 * given matches. */
bool dae_request_nas_matches(const struct dae_request *req, const char *nas_identifier,
			     struct in_addr nas_ip);

/* One of our sessions as the matcher sees it. NULL/"" strings and false flags
 * mean "not known", which never matches a given attribute. */
struct dae_session_ids {
	const char *user_name;
	const char *acct_session_id;
	bool has_framed_ip;
	struct in_addr framed_ip;
	uint32_t nas_port;
	const char *nas_port_id;
	const char *calling_station_id;
	const char *called_station_id;
};

/* RFC 5176 3: true when every session identification attribute of req
 * matches s (and req has at least one). */
bool dae_session_matches(const struct dae_request *req, const struct dae_session_ids *s);

/* RFC 5176 3.3: whether the request's Event-Timestamp lies within window_s
 * of now_s (either side: clocks differ). A request without one is accepted
 * here unless required. Pure: the clock comes in. */
bool dae_request_timestamp_ok(const struct dae_request *req, uint64_t now_s, uint32_t window_s, bool required);

/* Encodes the answer to req into buf: ACK when cause is DAE_ERR_NONE, else NAK
 * with Error-Cause = cause; Proxy-State echoed; signed (Message-Authenticator
 * first, Response Authenticator). Returns the length or -1 (cap too small). */
ssize_t dae_reply_encode(uint8_t *buf, size_t cap, const struct dae_request *req,
			 enum dae_error_cause cause, const uint8_t *secret, size_t secret_len);

#endif
