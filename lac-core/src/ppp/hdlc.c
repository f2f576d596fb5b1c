/* RFC 1662 HDLC-like framing: see hdlc.h for the contract. */
#include "ppp/hdlc.h"

#include <stdbool.h>

/* RFC 1662 C.2: one entry of the FCS-16 lookup table, polynomial
 * x^16 + x^12 + x^5 + 1 in bit-reversed form (0x8408), computed the way the
 * RFC's table generator does. */
static uint16_t fcs16_entry(unsigned b)
{
	uint16_t v = (uint16_t)b;
	for (int i = 0; i < 8; i++)
		v = (v & 1) ? (uint16_t)((v >> 1) ^ 0x8408) : (uint16_t)(v >> 1);
	return v;
}

static uint16_t fcs16_table[256];
static bool fcs16_ready;

uint16_t hdlc_fcs16(uint16_t fcs, const uint8_t *data, size_t len)
{
	/* The table depends on nothing but the polynomial, so filling it on first
	 * use is idempotent and safe even if two threads race on it. */
	if (!fcs16_ready) {
		for (unsigned i = 0; i < 256; i++)
			fcs16_table[i] = fcs16_entry(i);
		fcs16_ready = true;
	}
	while (len--)
		fcs = (uint16_t)((fcs >> 8) ^ fcs16_table[(fcs ^ *data++) & 0xff]);
	return fcs;
}

static bool needs_escape(uint8_t c, uint32_t accm)
{
	if (c == HDLC_FLAG || c == HDLC_ESCAPE)
		return true;
	return c < 0x20 && (accm & (1u << c));
}

/* Appends c, escaped if needed; false when out of room. */
static bool put_octet(uint8_t *out, size_t cap, size_t *pos, uint8_t c, uint32_t accm)
{
	if (needs_escape(c, accm)) {
		if (cap - *pos < 2)
			return false;
		out[(*pos)++] = HDLC_ESCAPE;
		out[(*pos)++] = c ^ HDLC_ESCAPE_XOR;
		return true;
	}
	if (cap - *pos < 1)
		return false;
	out[(*pos)++] = c;
	return true;
}

ssize_t hdlc_encode(uint8_t *out, size_t cap, const uint8_t *frame, size_t len, uint32_t accm)
{
	size_t pos = 0;
	if (cap < 1)
		return -1;
	out[pos++] = HDLC_FLAG;
	for (size_t i = 0; i < len; i++)
		if (!put_octet(out, cap, &pos, frame[i], accm))
			return -1;
	/* RFC 1662 C.2: the complemented FCS goes out least significant octet first. */
	uint16_t fcs = (uint16_t)~hdlc_fcs16(HDLC_FCS_INIT, frame, len);
	if (!put_octet(out, cap, &pos, (uint8_t)(fcs & 0xff), accm) ||
	    !put_octet(out, cap, &pos, (uint8_t)(fcs >> 8), accm))
		return -1;
	if (cap - pos < 1)
		return -1;
	out[pos++] = HDLC_FLAG;
	return (ssize_t)pos;
}

void hdlc_decoder_init(struct hdlc_decoder *d, size_t max_frame)
{
	d->len = 0;
	d->max = (max_frame == 0 || max_frame > HDLC_MAX_FRAME) ? HDLC_MAX_FRAME : max_frame;
	d->escaped = 0;
	d->discard = 0;
	d->emitted = 0;
	d->frames = d->bad_fcs = d->too_long = d->too_short = d->aborted = 0;
}

/* A flag closed the current frame: returns true if it is a good one. */
static bool frame_close(struct hdlc_decoder *d)
{
	bool good = false;
	if (d->discard) {
		/* already counted as too long */
	} else if (d->escaped) {
		d->aborted++;
	} else if (d->len == 0) {
		/* back-to-back flags (RFC 1662 4.3 allows one flag to end and start) */
	} else if (d->len < 3) {
		d->too_short++;
	} else if (hdlc_fcs16(HDLC_FCS_INIT, d->buf, d->len) != HDLC_FCS_GOOD) {
		d->bad_fcs++;
	} else {
		good = true;
	}
	d->escaped = 0;
	d->discard = 0;
	if (!good)
		d->len = 0;
	return good;
}

size_t hdlc_decoder_feed(struct hdlc_decoder *d, const uint8_t *in, size_t len,
			 const uint8_t **frame, size_t *frame_len)
{
	*frame = NULL;
	*frame_len = 0;
	if (d->emitted) {
		d->emitted = 0;
		d->len = 0;
	}
	for (size_t i = 0; i < len; i++) {
		uint8_t c = in[i];
		if (c == HDLC_FLAG) {
			if (frame_close(d)) {
				d->frames++;
				d->emitted = 1;
				*frame = d->buf;
				*frame_len = d->len - 2;
				return i + 1;
			}
			continue;
		}
		if (d->discard)
			continue;
		if (c == HDLC_ESCAPE) {
			d->escaped = 1;
			continue;
		}
		if (d->escaped) {
			c ^= HDLC_ESCAPE_XOR;
			d->escaped = 0;
		}
		if (d->len >= d->max) {
			d->too_long++;
			d->discard = 1;
			d->len = 0;
			continue;
		}
		d->buf[d->len++] = c;
	}
	return len;
}
