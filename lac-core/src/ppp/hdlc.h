/* RFC 1662 HDLC-like framing for PPP over a byte stream (async links, TCP).
 *
 * Pure code on byte buffers: no sockets, no allocation, no logging.
 *
 * On the wire a frame is: flag 0x7e, the raw PPP frame (address/control,
 * protocol, information) followed by its FCS-16 (RFC 1662 appendix C, sent
 * least significant octet first), every octet of both escaped when it is 0x7e,
 * 0x7d or a control character (< 0x20) whose bit is set in the ACCM
 * (RFC 1662 4.2, 7.1), and a closing flag. Escaping is 0x7d then octet ^ 0x20.
 *
 * The decoder takes the stream in arbitrary chunks (a read may hold half a
 * frame or several frames) and hands back whole de-stuffed frames, FCS checked
 * and removed. Bad FCS, aborted (0x7d 0x7e), too short and over-long frames are
 * counted and dropped, so garbage between flags costs a counter, not a frame. */
#ifndef PPP_HDLC_H
#define PPP_HDLC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HDLC_FLAG 0x7e
#define HDLC_ESCAPE 0x7d
#define HDLC_ESCAPE_XOR 0x20
/* RFC 1662 C.2: initial FCS value and the residue of a frame whose FCS is good. */
#define HDLC_FCS_INIT 0xffffu
#define HDLC_FCS_GOOD 0xf0b8u
/* Default ACCM before LCP negotiates one: escape every control character. */
#define HDLC_ACCM_DEFAULT 0xffffffffu
/* Largest de-stuffed frame the decoder keeps, FCS included: a 4096-octet
 * information field with address, control and protocol. */
#define HDLC_MAX_FRAME (4096 + 4 + 2)

/* RFC 1662 C.2: feeds len octets into a running FCS-16 and returns the new value.
 * Start from HDLC_FCS_INIT; the FCS to transmit is the ones' complement. */
uint16_t hdlc_fcs16(uint16_t fcs, const uint8_t *data, size_t len);

/* The most octets hdlc_encode() can produce for a frame of len octets. */
static inline size_t hdlc_encode_bound(size_t len)
{
	return 2 * (len + 2) + 2;
}

/* Encodes one raw PPP frame (as given, including 0xff 0x03 if the caller wants
 * it) with opening flag, escaping under accm, FCS-16 and closing flag into out.
 * Returns the encoded length, or -1 if cap is too small (nothing usable in out). */
ssize_t hdlc_encode(uint8_t *out, size_t cap, const uint8_t *frame, size_t len, uint32_t accm);

struct hdlc_decoder {
	uint8_t buf[HDLC_MAX_FRAME];
	size_t len;             /* de-stuffed octets of the frame being received */
	size_t max;             /* frame size limit, FCS included */
	int escaped;            /* the previous octet was 0x7d */
	int discard;            /* over-long: drop until the next flag */
	int emitted;            /* buf holds a frame handed out by the last call */
	uint64_t frames;        /* good frames handed out */
	uint64_t bad_fcs;
	uint64_t too_long;
	uint64_t too_short;     /* shorter than protocol + FCS (3 octets) */
	uint64_t aborted;       /* 0x7d 0x7e abort sequence (RFC 1662 4.3) */
};

/* Prepares a decoder. max_frame limits a frame's de-stuffed size including its
 * 2-octet FCS; 0 or a value above HDLC_MAX_FRAME means HDLC_MAX_FRAME. */
void hdlc_decoder_init(struct hdlc_decoder *d, size_t max_frame);

/* Consumes octets from in until a complete good frame is found or in is used up.
 * Returns the number of octets consumed. When a frame is complete, *frame and
 * *frame_len give it (FCS removed) and point into the decoder: valid until the
 * next call. Otherwise *frame is NULL. Call again with the rest of the input:
 *
 *   while (len) { n = hdlc_decoder_feed(d, p, len, &f, &flen); p += n; len -= n;
 *                 if (f) handle(f, flen); }
 */
size_t hdlc_decoder_feed(struct hdlc_decoder *d, const uint8_t *in, size_t len,
			 const uint8_t **frame, size_t *frame_len);

#endif
