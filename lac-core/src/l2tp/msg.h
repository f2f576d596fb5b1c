/* L2TP header and control message codec, RFC 2661 3.1 (header), 4.4 (AVPs),
 * 6 (messages and their mandatory AVPs). Pure functions on byte buffers. */
#ifndef L2TP_MSG_H
#define L2TP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "l2tp/avp.h"
#include "l2tp/proto.h"

/* ---- header, RFC 2661 3.1 ---- */
struct l2tp_hdr {
	bool control;           /* T bit */
	bool has_len, has_seq, has_offset, priority;
	uint16_t length;        /* L: the message length; else 0 */
	uint16_t tid, sid;
	uint16_t ns, nr;        /* valid when has_seq */
	size_t payload_off;     /* first byte after header and offset padding */
	size_t payload_len;     /* up to Length (or the datagram end when no L) */
};

enum l2tp_hdr_status {
	L2TP_HDR_OK = 0, L2TP_HDR_SHORT = -1, L2TP_HDR_VERSION = -2, L2TP_HDR_CTRL_BITS = -3,
	L2TP_HDR_BAD_LENGTH = -4, L2TP_HDR_BAD_OFFSET = -5
};
const char *l2tp_hdr_status_str(int status);

/* Decodes the header of one datagram. Returns L2TP_HDR_OK, or a negative
 * l2tp_hdr_status: too short, version not 2, a control message without L and S
 * or with O, a Length beyond the datagram or below the header, an offset pad
 * beyond the payload. */
int l2tp_hdr_decode(const uint8_t *buf, size_t len, struct l2tp_hdr *h);
/* Writes the 12-byte control header (T, L, S) with the given Length. */
void l2tp_ctrl_hdr_put(uint8_t *buf, uint16_t length, uint16_t tid, uint16_t sid,
		       uint16_t ns, uint16_t nr);
/* Writes a data header for a payload of payload_len bytes: L bit when len_bit,
 * S bit with ns/nr when seq. Returns the header length, or -1 when cap (at
 * least 12 is always enough) is too small or the total exceeds 65535. */
int l2tp_data_hdr_put(uint8_t *buf, size_t cap, uint16_t tid, uint16_t sid, bool seq,
		      uint16_t ns, uint16_t nr, bool len_bit, size_t payload_len);

/* ---- control messages ---- */
#define L2TP_VAL_MAX 256

struct l2tp_bytes {
	uint16_t len;
	uint8_t b[L2TP_VAL_MAX];
};

struct l2tp_call_errors {
	uint32_t crc, framing, hw_overruns, buf_overruns, timeouts, alignment;
};

/* One decoded (or to-be-encoded) control message. Bit N of `present` says AVP
 * type N was seen (decode) or is to be sent (encode). */
struct l2tp_msg {
	uint16_t type;          /* enum l2tp_msg_type; 0 for a ZLB */
	uint64_t present;
	uint64_t hide;          /* encode: AVP types to send hidden (RFC 2661 4.3) */

	uint16_t result, error; /* Result Code; error valid when has_error */
	bool has_error;
	struct l2tp_bytes result_msg;
	uint8_t proto_ver, proto_rev;
	uint32_t framing_cap, bearer_cap;
	uint8_t tie_breaker[8];
	uint16_t firmware_rev;
	struct l2tp_bytes host_name, vendor_name;
	uint16_t assigned_tid, rx_window;
	struct l2tp_bytes challenge, challenge_response;
	uint16_t q931_cause;
	uint8_t q931_msg;
	struct l2tp_bytes q931_advisory;
	uint16_t assigned_sid;
	uint32_t call_serial, min_bps, max_bps, bearer_type, framing_type;
	struct l2tp_bytes called_number, calling_number, sub_address;
	uint32_t tx_speed, rx_speed, phys_channel;
	struct l2tp_bytes init_rx_lcp, last_tx_lcp, last_rx_lcp;
	uint16_t proxy_auth_type;
	struct l2tp_bytes proxy_auth_name, proxy_auth_chal, proxy_auth_resp;
	uint8_t proxy_auth_id;
	struct l2tp_call_errors call_errors;
	uint32_t send_accm, recv_accm;
	struct l2tp_bytes private_group;
	uint16_t ppp_disc_code, ppp_disc_proto;
	uint8_t ppp_disc_dir;
	struct l2tp_bytes ppp_disc_msg;
	/* encode: vendor AVPs (whole, never hidden) appended after the others,
	 * e.g. RFC 5515 in the ICRQ; decode leaves it empty. */
	uint16_t vendor_avps_len;
	uint8_t vendor_avps[400];
};

#define L2TP_AVP_BIT(t) (1ull << (t))
static inline bool l2tp_msg_has(const struct l2tp_msg *m, unsigned type)
{
	return type < 64 && (m->present & L2TP_AVP_BIT(type));
}

/* Why a message could not be taken. `tear_down` says what RFC 2661 4.2 asks
 * for: 0 drop silently, 1 clear the session (CDN) or tunnel (StopCCN, for
 * tunnel-level messages) with result/error. */
enum l2tp_dec_status {
	L2TP_DEC_OK = 0,
	L2TP_DEC_MALFORMED = -1,        /* AVP structure broken, no Message Type first */
	L2TP_DEC_UNKNOWN_M = -2,        /* unknown AVP (or vendor AVP) with M set */
	L2TP_DEC_UNKNOWN_TYPE = -3,     /* unknown message type; tear_down if M was set */
	L2TP_DEC_MISSING = -4,          /* a mandatory AVP of the message is missing */
	L2TP_DEC_BAD_VALUE = -5,        /* a known AVP with the wrong length or a bad value */
	L2TP_DEC_HIDDEN = -6,           /* hidden AVP without secret or Random Vector, or bad length */
};
struct l2tp_dec_err {
	int status;
	bool tear_down;
	uint16_t avp_type;
	uint16_t result, error;        /* what to send in StopCCN/CDN */
	const char *what;              /* static text for logs and Error Message */
};
const char *l2tp_dec_status_str(int status);

/* Decodes the AVPs of a control message (the bytes after the 12-byte header).
 * A zero-length body is a ZLB (type 0). secret may be NULL (then any hidden AVP
 * is an error). Fills *m and returns 0, or returns -1 with *err filled. */
int l2tp_msg_decode(const uint8_t *body, size_t len, const uint8_t *secret, size_t secret_len,
		    struct l2tp_msg *m, struct l2tp_dec_err *err);

/* Encodes m's present AVPs (Message Type first, then a Random Vector when any
 * AVP is hidden, then the rest in type order). rv: 16 random bytes from the
 * caller (used only when m->hide & m->present is non-zero). Returns the body
 * length, or -1 if it does not fit cap. */
int l2tp_msg_encode(const struct l2tp_msg *m, const uint8_t *secret, size_t secret_len,
		    const uint8_t rv[16], uint8_t *buf, size_t cap);

/* Finds the first plain (not hidden), IETF, two-octet AVP of `type` in a
 * message body that may be cut short (an ICMP quote) or not decodable as a
 * whole (an SCCRP with an unknown mandatory AVP), walking only AVPs that fit.
 * Returns true with *out set. */
bool l2tp_msg_peek_u16(const uint8_t *body, size_t len, uint16_t type, uint16_t *out);

/* Mask of the AVPs RFC 2661 section 6 makes mandatory for a message type. */
uint64_t l2tp_msg_mandatory(uint16_t type);
/* True for message types RFC 2661 defines (including OCRQ/OCRP/OCCN). */
bool l2tp_msg_type_known(uint16_t type);
/* True for messages that belong to a session (ICRQ..SLI, OCRQ..OCCN). */
bool l2tp_msg_is_session(uint16_t type);
const char *l2tp_msg_type_str(uint16_t type);
const char *l2tp_avp_type_str(uint16_t type);

/* Sets a Bytes field and marks the AVP present; copies at most L2TP_VAL_MAX. */
void l2tp_msg_set_bytes(struct l2tp_msg *m, unsigned type, struct l2tp_bytes *field,
			const void *val, size_t len);
static inline void l2tp_msg_set_str(struct l2tp_msg *m, unsigned type, struct l2tp_bytes *field,
				    const char *s)
{
	l2tp_msg_set_bytes(m, type, field, s, strlen(s));
}

#endif
