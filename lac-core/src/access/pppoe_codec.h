/* PPPoE wire format (RFC 2516), with the PPP-Max-Payload tag of RFC 4638.
 *
 * Pure functions on byte buffers: no sockets, no allocation, no logging.
 *
 * Frames are handled WITH their Ethernet II header (destination MAC, source
 * MAC, EtherType: 14 octets, no 802.1Q tag), because that is what an AF_PACKET
 * SOCK_RAW socket reads and writes, and because the source MAC is part of what
 * a PPPoE endpoint must check. VLAN tags (802.1Q, 802.1ad) are taken off
 * before decoding and put back on before sending by pppoe_vlan_strip() and
 * pppoe_vlan_push() below. Ethernet padding after
 * the PPPoE payload (frames shorter than 60 octets are padded on the wire) is
 * ignored: the PPPoE LENGTH field says where the payload ends.
 *
 * Decoded tag values point into the caller's buffer; they are valid as long as
 * that buffer is. */
#ifndef ACCESS_PPPOE_CODEC_H
#define ACCESS_PPPOE_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PPPOE_ETH_ALEN 6
#define PPPOE_ETH_HLEN 14               /* dst, src, EtherType */
#define PPPOE_HLEN 6                    /* VER/TYPE, CODE, SESSION_ID, LENGTH */
#define PPPOE_ETHERTYPE_DISCOVERY 0x8863
#define PPPOE_ETHERTYPE_SESSION 0x8864
/* RFC 2516 7: the PPP MRU over PPPoE on a 1500-octet Ethernet. */
#define PPPOE_DEFAULT_MRU 1492
/* RFC 2516 5.1: a PADI with its PPPoE header must not exceed 1484 octets. */
#define PPPOE_PADI_MAX_PAYLOAD (1484 - PPPOE_HLEN)
/* RFC 2516 4: session id 0xffff is reserved; 0 means "no session". */
#define PPPOE_SESSION_ID_RESERVED 0xffff
/* Largest frame we build or accept: Ethernet header + PPPoE header + a
 * payload up to a 9000-octet jumbo MTU (RFC 4638). */
#define PPPOE_FRAME_MAX (PPPOE_ETH_HLEN + 9000)
/* Service-Name tags one decoded PADO can report (RFC 2516 5.2 allows many). */
#define PPPOE_MAX_SERVICE_NAMES 8
/* RFC 2516 Appendix A: Relay-Session-Id is at most 12 octets. */
#define PPPOE_RELAY_SESSION_ID_MAX 12

/* RFC 2516 5: CODE field. */
enum pppoe_code {
	PPPOE_CODE_SESSION = 0x00,
	PPPOE_CODE_PADO = 0x07,
	PPPOE_CODE_PADI = 0x09,
	PPPOE_CODE_PADR = 0x19,
	PPPOE_CODE_PADS = 0x65,
	PPPOE_CODE_PADT = 0xa7,
};
const char *pppoe_code_str(unsigned code);

/* RFC 2516 Appendix A, RFC 4638 4: TAG_TYPE values. */
enum pppoe_tag {
	PPPOE_TAG_END_OF_LIST = 0x0000,
	PPPOE_TAG_SERVICE_NAME = 0x0101,
	PPPOE_TAG_AC_NAME = 0x0102,
	PPPOE_TAG_HOST_UNIQ = 0x0103,
	PPPOE_TAG_AC_COOKIE = 0x0104,
	PPPOE_TAG_VENDOR_SPECIFIC = 0x0105,
	PPPOE_TAG_RELAY_SESSION_ID = 0x0110,
	PPPOE_TAG_PPP_MAX_PAYLOAD = 0x0120,
	PPPOE_TAG_SERVICE_NAME_ERROR = 0x0201,
	PPPOE_TAG_AC_SYSTEM_ERROR = 0x0202,
	PPPOE_TAG_GENERIC_ERROR = 0x0203,
};
const char *pppoe_tag_str(unsigned tag);

/* Why a frame was refused, for counters and rate-limited logs. */
enum pppoe_err {
	PPPOE_ERR_NONE = 0,
	PPPOE_ERR_SHORT_ETH,            /* fewer than 14 octets */
	PPPOE_ERR_ETHERTYPE,            /* not 0x8863 (discovery) / 0x8864 (session) */
	PPPOE_ERR_SHORT_HEADER,         /* fewer than 6 octets after Ethernet */
	PPPOE_ERR_VERSION,              /* VER or TYPE is not 1 */
	PPPOE_ERR_CODE,                 /* CODE not valid for this EtherType */
	PPPOE_ERR_LENGTH,               /* LENGTH runs past the frame */
	PPPOE_ERR_SHORT_TAG,            /* fewer than 4 octets left for a tag header */
	PPPOE_ERR_TAG_LENGTH,           /* TAG_LENGTH runs past the payload */
	PPPOE_ERR_TAG_VALUE,            /* a tag's value is malformed (e.g. PPP-Max-Payload not 2 octets) */
	PPPOE_ERR_TOO_MANY_TAGS,        /* more Service-Name tags than we keep */
	PPPOE_ERR_SESSION_ID,           /* session id not allowed for this CODE */
	PPPOE_ERR_MAC,                  /* source MAC multicast/broadcast */
	PPPOE_ERR_NO_SPACE,             /* encode: output buffer too small */
	PPPOE_ERR_TOO_LONG,             /* encode: a value longer than the tag allows */
	PPPOE_ERR_VLAN,                 /* more than two VLAN tags, or VLAN id 4095 */
};
const char *pppoe_err_str(enum pppoe_err err);

/* One tag value: present or not, and where its bytes are. */
struct pppoe_tag_value {
	bool present;
	uint16_t len;
	const uint8_t *data;
};

/* A discovery frame (RFC 2516 5.1-5.5), decoded or to encode. For tags that
 * RFC 2516 allows more than once, the first occurrence is kept, except
 * Service-Name, of which up to PPPOE_MAX_SERVICE_NAMES are kept in order. */
struct pppoe_disc {
	uint8_t dst[PPPOE_ETH_ALEN];
	uint8_t src[PPPOE_ETH_ALEN];
	uint8_t code;                   /* enum pppoe_code */
	uint16_t session_id;
	unsigned n_service_names;
	struct pppoe_tag_value service_name[PPPOE_MAX_SERVICE_NAMES];
	struct pppoe_tag_value ac_name;
	struct pppoe_tag_value host_uniq;
	struct pppoe_tag_value ac_cookie;
	struct pppoe_tag_value vendor_specific; /* value includes the 4-octet vendor id */
	/* decode: the first Vendor-Specific tag of vendor 3561 (TR-101 PPPoE
	 * Intermediate Agent, see access_line.h), wherever it is among the
	 * Vendor-Specific tags (it may be vendor_specific too); encode: written
	 * after vendor_specific unless it is the same value. */
	struct pppoe_tag_value bbf_vendor;
	struct pppoe_tag_value relay_session_id;
	bool has_ppp_max_payload;
	uint16_t ppp_max_payload;       /* RFC 4638 */
	struct pppoe_tag_value service_name_error;
	struct pppoe_tag_value ac_system_error;
	struct pppoe_tag_value generic_error;
	unsigned n_unknown_tags;        /* decode: tags ignored as RFC 2516 requires */
};

/* A session frame (RFC 2516 6): the PPP payload starts at the protocol field. */
struct pppoe_session {
	uint8_t dst[PPPOE_ETH_ALEN];
	uint8_t src[PPPOE_ETH_ALEN];
	uint16_t session_id;
	const uint8_t *payload;
	uint16_t payload_len;
};

/* Reads the EtherType of an Ethernet frame. Returns it, or -1 if the frame is
 * shorter than an Ethernet header. */
int pppoe_frame_ethertype(const uint8_t *frame, size_t len);

/* Decodes one discovery frame (Ethernet header included). Checks: EtherType
 * 0x8863, VER=TYPE=1, a discovery CODE, LENGTH within the frame, every tag
 * header and value within LENGTH, PPP-Max-Payload exactly 2 octets,
 * Relay-Session-Id at most 12 octets, session id 0 for PADI/PADO/PADR and
 * not 0 for PADT (PADS may carry 0 when it reports an error, RFC 2516 5.4),
 * and a unicast source MAC. Processing stops at End-Of-List; unknown tags are
 * counted and skipped.
 * Returns 0 and fills *out, or -1 with *err set (out is then unspecified). */
int pppoe_disc_decode(const uint8_t *frame, size_t len, struct pppoe_disc *out,
		      enum pppoe_err *err);

/* Encodes msg as a discovery frame into buf (EtherType 0x8863), tags in the
 * order Service-Name(s), AC-Name, Host-Uniq, AC-Cookie, Vendor-Specific,
 * Relay-Session-Id, PPP-Max-Payload, the three error tags; a tag is written
 * when `present` (an empty Service-Name is a present tag of length 0).
 * Returns the frame length, or -1 with *err set (buffer too small, or a value
 * too long for its tag). No Ethernet padding is added: the kernel pads. */
int pppoe_disc_encode(uint8_t *buf, size_t cap, const struct pppoe_disc *msg,
		      enum pppoe_err *err);

/* Decodes one session frame (Ethernet header included): EtherType 0x8864,
 * VER=TYPE=1, CODE 0, session id neither 0 nor 0xffff, LENGTH within the frame
 * and at least 1 (a protocol field), unicast source MAC.
 * Returns 0 and fills *out (payload points into frame), or -1 with *err set. */
int pppoe_session_decode(const uint8_t *frame, size_t len, struct pppoe_session *out,
			 enum pppoe_err *err);

/* Encodes a session frame carrying one PPP frame. A leading address/control
 * field 0xff 0x03 in ppp is dropped (RFC 2516 7: PPPoE carries no HDLC
 * address/control). Returns the frame length, or -1 with *err set. */
int pppoe_session_encode(uint8_t *buf, size_t cap, const uint8_t dst[PPPOE_ETH_ALEN],
			 const uint8_t src[PPPOE_ETH_ALEN], uint16_t session_id,
			 const uint8_t *ppp, size_t ppp_len, enum pppoe_err *err);

/* Marks a tag present with the given bytes (pointer kept, not copied).
 * Returns 0, or -1 (tag unchanged) if len does not fit a TAG_LENGTH. */
int pppoe_tag_set(struct pppoe_tag_value *tag, const void *data, size_t len);
/* The same for a C string, without its NUL. */
int pppoe_tag_set_str(struct pppoe_tag_value *tag, const char *s);
/* True when the tag is present and equal to the C string s. */
bool pppoe_tag_eq_str(const struct pppoe_tag_value *tag, const char *s);

/* ---- VLAN tags (IEEE 802.1Q, 802.1ad) ---- */
#define PPPOE_TPID_8021Q 0x8100
#define PPPOE_TPID_8021AD 0x88a8
#define PPPOE_TPID_QINQ_OLD 0x9100         /* pre-standard stacking, still seen */
#define PPPOE_VLAN_HEADROOM 8               /* two tags */

/* The tags of a frame: none (inner 0), one (inner, outer 0), or two (outer,
 * inner). outer_tpid is the outer (or only) tag's TPID, to echo it back. The
 * PCP and DEI bits are not kept (replies go out with priority 0). */
struct pppoe_vlan {
	uint16_t outer_tpid;
	uint16_t outer, inner;          /* VLAN ids 1..4094, 0 = no tag */
};

/* Copies frame into out (cap octets) without its VLAN tags (at most two;
 * a third is refused) and fills *v. A tag with VLAN id 0 (priority tag) is
 * dropped and counts as no tag; id 4095 is refused. Returns the untagged
 * length, or -1 with *err set. */
int pppoe_vlan_strip(const uint8_t *frame, size_t len, struct pppoe_vlan *v, uint8_t *out,
		     size_t cap, enum pppoe_err *err);

/* Puts v's tags into an untagged frame that starts PPPOE_VLAN_HEADROOM octets
 * into buf (buf holds headroom + len octets). Returns where the tagged frame
 * starts (inside buf) and sets *out_len. */
uint8_t *pppoe_vlan_push(uint8_t *buf, size_t len, const struct pppoe_vlan *v, size_t *out_len);

/* Formats a MAC as "aa:bb:cc:dd:ee:ff" into out (at least 18 octets). */
void pppoe_mac_format(const uint8_t mac[PPPOE_ETH_ALEN], char out[18]);

#endif
