/* AVP walker and writer on plain byte buffers, RFC 2661 4.1 (format) and 4.3
 * (hidden AVPs). Pure: no sockets, globals, logging or allocation. */
#ifndef L2TP_AVP_H_INCLUDED
#define L2TP_AVP_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct l2tp_avp {
	bool mandatory;
	bool hidden;
	uint16_t vendor;
	uint16_t type;
	const uint8_t *value;   /* points into the walked buffer (still hidden if hidden) */
	size_t len;             /* value length */
};

struct l2tp_avp_iter {
	const uint8_t *p;
	size_t left;
};

enum l2tp_avp_status { L2TP_AVP_END = 0, L2TP_AVP_OK = 1, L2TP_AVP_BAD_LEN = -1, L2TP_AVP_BAD_RSVD = -2 };

void l2tp_avp_iter_init(struct l2tp_avp_iter *it, const uint8_t *buf, size_t len);
/* Reads the next AVP. Returns L2TP_AVP_OK and fills *avp, L2TP_AVP_END when the
 * buffer is used up, or a negative status when the AVP length is below 6 or
 * beyond the remaining bytes (BAD_LEN; the walk cannot go on) or a reserved bit
 * is set (BAD_RSVD; the AVP is still returned in *avp and the walk may go on). */
int l2tp_avp_next(struct l2tp_avp_iter *it, struct l2tp_avp *avp);

/* RFC 2661 4.3: reveals a hidden AVP value. in/in_len is the hidden value as
 * carried, rv the latest Random Vector of the message. Writes the original
 * value (without the 2-byte length and padding) to out (capacity out_cap).
 * Returns the original length, or -1 when in is shorter than 2 bytes, the
 * revealed length exceeds in_len - 2 (wrong secret or a forged length), or
 * out is too small. */
int l2tp_avp_unhide(uint16_t type, const uint8_t *secret, size_t secret_len,
		    const uint8_t *rv, size_t rv_len, const uint8_t *in, size_t in_len,
		    uint8_t *out, size_t out_cap);

/* Writer into a caller's buffer. Overflow is sticky: once an append does not
 * fit, w->overflow is set and further appends do nothing. */
struct l2tp_wbuf {
	uint8_t *buf;
	size_t cap;
	size_t len;
	bool overflow;
};

void l2tp_wbuf_init(struct l2tp_wbuf *w, uint8_t *buf, size_t cap);
void l2tp_avp_put(struct l2tp_wbuf *w, bool mandatory, uint16_t type, const void *val, size_t len);
void l2tp_avp_put_u16(struct l2tp_wbuf *w, bool mandatory, uint16_t type, uint16_t v);
void l2tp_avp_put_u32(struct l2tp_wbuf *w, bool mandatory, uint16_t type, uint32_t v);
/* Appends the value hidden per RFC 2661 4.3 under secret and rv (the Random
 * Vector AVP must already precede it in the message). pad is the number of
 * padding bytes (taken from pad_bytes, caller's randomness) to obscure the length. */
void l2tp_avp_put_hidden(struct l2tp_wbuf *w, bool mandatory, uint16_t type, const void *val,
			 size_t len, const uint8_t *secret, size_t secret_len,
			 const uint8_t *rv, size_t rv_len, const uint8_t *pad_bytes, size_t pad);

static inline uint16_t l2tp_get16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint32_t l2tp_get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline void l2tp_put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void l2tp_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

#endif
