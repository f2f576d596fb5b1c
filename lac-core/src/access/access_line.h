/* Access-line identification and characteristics: the Broadband Forum TR-101
 * "PPPoE Intermediate Agent" vendor tag that an access node (DSLAM, OLT)
 * inserts into PADI and PADR, and its forwarding as RADIUS attributes
 * (RFC 4679) and L2TP AVPs (RFC 5515), all under vendor id 3561 (ADSL Forum,
 * now Broadband Forum).
 *
 * Pure functions on byte buffers: no sockets, no allocation, no logging.
 *
 * Wire layout of the PPPoE tag value (TAG_TYPE 0x0105, RFC 2516 Appendix A;
 * TR-101 section 3.9.4; RFC 4679 section 3):
 *   4 octets  vendor id 0x00000DE9 (3561)
 *   then sub-options, each: 1 octet type, 1 octet length, length octets value
 *     0x01 Agent-Circuit-Id   1..63 octets (TR-101 R-126: at most 63)
 *     0x02 Agent-Remote-Id    1..63 octets
 *     0x81..0x88 actual/minimum/attainable/maximum data rate up/down, 4 octets
 *     0x89, 0x8A minimum data rate up/down in low power state, 4 octets
 *     0x8B..0x8E maximum/actual interleaving delay up/down, 4 octets
 *     0x90 Access-Loop-Encapsulation, 3 octets (data link, encaps 1, encaps 2)
 *     0x91 DSL-Type (ANCP Access Line Type, RFC 6320), 4 octets
 *     0xFE IWF-Session, 0 octets
 * Data rates in the tag are in kbit/s (TR-101), interleaving delays in ms.
 * RFC 4679 (RADIUS) and RFC 5515 (L2TP) carry rates in bit/s: the encoders
 * below multiply by 1000 (RADIUS saturates at 2^32-1; L2TP is 64-bit). */
#ifndef ACCESS_ACCESS_LINE_H
#define ACCESS_ACCESS_LINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ACCESS_LINE_VENDOR_BBF 3561u
#define ACCESS_LINE_ID_MAX 63

/* Sub-option / RADIUS vendor-type / L2TP attribute-type numbers (the three
 * specifications share one numbering). */
enum access_line_attr {
	ACCESS_LINE_CIRCUIT_ID = 0x01,
	ACCESS_LINE_REMOTE_ID = 0x02,
	ACCESS_LINE_ACT_UP = 0x81,
	ACCESS_LINE_ACT_DOWN = 0x82,
	ACCESS_LINE_MIN_UP = 0x83,
	ACCESS_LINE_MIN_DOWN = 0x84,
	ACCESS_LINE_ATT_UP = 0x85,
	ACCESS_LINE_ATT_DOWN = 0x86,
	ACCESS_LINE_MAX_UP = 0x87,
	ACCESS_LINE_MAX_DOWN = 0x88,
	ACCESS_LINE_MIN_UP_LP = 0x89,
	ACCESS_LINE_MIN_DOWN_LP = 0x8a,
	ACCESS_LINE_MAX_DELAY_UP = 0x8b,
	ACCESS_LINE_ACT_DELAY_UP = 0x8c,
	ACCESS_LINE_MAX_DELAY_DOWN = 0x8d,
	ACCESS_LINE_ACT_DELAY_DOWN = 0x8e,
	ACCESS_LINE_LOOP_ENCAP = 0x90,
	ACCESS_LINE_DSL_TYPE = 0x91,
	ACCESS_LINE_IWF_SESSION = 0xfe,
};

/* The fourteen 4-octet values 0x81..0x8E, indexed by type - 0x81. */
#define ACCESS_LINE_N_U32 14
#define ACCESS_LINE_U32_FIRST ACCESS_LINE_ACT_UP
/* Index 0..13 of the delays (ms, not kbit/s). */
#define ACCESS_LINE_IS_DELAY(i) ((i) >= ACCESS_LINE_MAX_DELAY_UP - ACCESS_LINE_U32_FIRST)

enum access_line_err {
	ACCESS_LINE_ERR_NONE = 0,
	ACCESS_LINE_ERR_SHORT_VENDOR,   /* fewer than 4 octets for the vendor id */
	ACCESS_LINE_ERR_VENDOR,         /* vendor id is not 3561 */
	ACCESS_LINE_ERR_SHORT_SUBOPT,   /* 1 octet left: no room for type and length */
	ACCESS_LINE_ERR_SUBOPT_LENGTH,  /* a sub-option's length runs past the tag */
	ACCESS_LINE_ERR_VALUE_LENGTH,   /* a fixed-size sub-option with the wrong length */
	ACCESS_LINE_ERR_ID_LENGTH,      /* an Agent-*-Id empty or longer than 63 */
	ACCESS_LINE_ERR_DUPLICATE,      /* a sub-option given twice */
	ACCESS_LINE_ERR_NO_SPACE,       /* encode: output buffer too small */
};
const char *access_line_err_str(enum access_line_err err);

/* What one TR-101 tag said. `have` has bit ACCESS_LINE_HAVE(type) for each
 * sub-option present. Ids are octet strings, NUL-terminated for convenience
 * (a NUL inside is kept; the length is authoritative). */
struct access_line {
	uint64_t have;
	uint8_t circuit_id_len, remote_id_len;
	char circuit_id[ACCESS_LINE_ID_MAX + 1];
	char remote_id[ACCESS_LINE_ID_MAX + 1];
	uint32_t u32[ACCESS_LINE_N_U32];        /* rates kbit/s, delays ms */
	uint8_t loop_encap[3];
	uint32_t dsl_type;
	unsigned n_unknown;                     /* unknown sub-options skipped */
};

/* Bit of `have` for a sub-option type (types map onto 0..63). */
static inline uint64_t access_line_bit(unsigned type)
{
	if (type == ACCESS_LINE_CIRCUIT_ID)
		return 1ull << 0;
	if (type == ACCESS_LINE_REMOTE_ID)
		return 1ull << 1;
	if (type >= 0x81 && type <= 0x91)
		return 1ull << (type - 0x81 + 2);
	if (type == ACCESS_LINE_IWF_SESSION)
		return 1ull << 20;
	return 0;
}
static inline bool access_line_has(const struct access_line *l, unsigned type)
{
	return (l->have & access_line_bit(type)) != 0;
}

/* Decodes the value of a PPPoE Vendor-Specific tag (vendor id included).
 * Every length is checked against the octets that remain; unknown sub-options
 * are counted and skipped (TR-101 lets access nodes add more). Returns 0 and
 * fills *out, or -1 with *err set (out then unspecified). A value whose
 * vendor id is not 3561 gives ACCESS_LINE_ERR_VENDOR: not an error of the
 * peer, just not ours. */
int access_line_tr101_decode(const uint8_t *val, size_t len, struct access_line *out,
			     enum access_line_err *err);

/* Encodes l as a TR-101 tag value (vendor id first, sub-options in type
 * order). Returns the length, or -1 with *err set. For tests and tools. */
int access_line_tr101_encode(const struct access_line *l, uint8_t *buf, size_t cap,
			     enum access_line_err *err);

/* Appends l as RADIUS Vendor-Specific attributes (RFC 2865 5.26, one
 * attribute 26 per RFC 4679 sub-attribute, vendor 3561): Agent-Circuit-Id,
 * Agent-Remote-Id, the rates in bit/s, delays, Access-Loop-Encapsulation,
 * DSL-Type (145), IWF-Session. Returns the octets written, or -1 if cap is too
 * small (nothing usable written). */
int access_line_radius_encode(const struct access_line *l, uint8_t *buf, size_t cap);

/* Encodes l as L2TP AVPs (RFC 5515 section 3, vendor 3561, M and H clear):
 * ids as strings, rates as 64-bit bit/s, delays 32-bit ms, loop encapsulation
 * 3 octets, ANCP Access Line Type (145) 32-bit, IWF-Session empty. Returns the
 * octets written, or -1 if cap is too small. */
int access_line_l2tp_encode(const struct access_line *l, uint8_t *buf, size_t cap);

/* The actual rates in bit/s for L2TP Tx/Rx Connect Speed (RFC 2661 4.4.5,
 * seen from the LAC: Tx is toward the subscriber = downstream). 0 if absent;
 * saturates at 2^32-1. */
uint32_t access_line_tx_bps(const struct access_line *l);
uint32_t access_line_rx_bps(const struct access_line *l);

/* ---- identifiers built from the line and the access port ---- */

/* Fields a Calling-Station-Id, L2TP Calling Number or NAS-Port-Id is built from. */
enum access_id_field {
	ACCESS_ID_MAC = 1,              /* aa:bb:cc:dd:ee:ff */
	ACCESS_ID_CIRCUIT_ID,
	ACCESS_ID_REMOTE_ID,
	ACCESS_ID_INTERFACE,            /* parent interface name */
	ACCESS_ID_VLAN,                 /* "outer.inner", "inner", empty untagged */
	ACCESS_ID_SESSION,              /* PPPoE session id, decimal */
};
#define ACCESS_ID_MAX_FIELDS 6

struct access_id_format {
	uint8_t fields[ACCESS_ID_MAX_FIELDS];   /* 0-terminated */
	char delimiter;
};

/* What the fields are taken from. Any pointer may be NULL (field empty). */
struct access_id_src {
	const uint8_t *mac;             /* 6 octets */
	const struct access_line *line;
	const char *ifname;
	uint16_t svlan, cvlan;          /* 0: none */
	uint16_t session_id;
};

/* Parses a comma-separated field list ("circuit-id,mac") and a delimiter
 * into *fmt. Returns 0, or -1 with a static reason in *why. */
int access_id_format_parse(const char *list, char delimiter, struct access_id_format *fmt,
			   const char **why);

/* Writes the fields of fmt that are not empty, joined by the delimiter, into
 * out (always NUL-terminated, cut to cap). Octets of the ids outside printable
 * ASCII are written as '?', so the result is safe in RADIUS strings and logs.
 * Returns the length written. */
size_t access_id_format(const struct access_id_format *fmt, const struct access_id_src *src,
			char *out, size_t cap);

#endif
