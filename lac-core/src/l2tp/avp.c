/* AVP walker, writer and hidden-AVP cipher (RFC 2661 4.1, 4.3). */
#include "l2tp/avp.h"

#include <string.h>

#include "l2tp/proto.h"
#include "util/md5.h"

void l2tp_avp_iter_init(struct l2tp_avp_iter *it, const uint8_t *buf, size_t len)
{
	it->p = buf;
	it->left = len;
}

int l2tp_avp_next(struct l2tp_avp_iter *it, struct l2tp_avp *avp)
{
	uint16_t fl;
	size_t alen;

	if (it->left == 0)
		return L2TP_AVP_END;
	if (it->left < L2TP_AVP_HDR_LEN)
		return L2TP_AVP_BAD_LEN;
	fl = l2tp_get16(it->p);
	alen = fl & L2TP_AVP_LEN_MASK;
	if (alen < L2TP_AVP_HDR_LEN || alen > it->left)
		return L2TP_AVP_BAD_LEN;
	avp->mandatory = (fl & L2TP_AVP_M) != 0;
	avp->hidden = (fl & L2TP_AVP_H) != 0;
	avp->vendor = l2tp_get16(it->p + 2);
	avp->type = l2tp_get16(it->p + 4);
	avp->value = it->p + L2TP_AVP_HDR_LEN;
	avp->len = alen - L2TP_AVP_HDR_LEN;
	it->p += alen;
	it->left -= alen;
	return (fl & L2TP_AVP_RSVD) ? L2TP_AVP_BAD_RSVD : L2TP_AVP_OK;
}

/* The RFC 2661 4.3 keystream: block 1 is MD5(type || secret || RV), block i is
 * MD5(secret || c(i-1)) where c is the ciphertext. Encryption and decryption
 * differ only in which side (plain or cipher) feeds the chain, so one routine
 * takes a flag. */
static void avp_md5_chain(uint16_t type, const uint8_t *secret, size_t secret_len,
			  const uint8_t *rv, size_t rv_len, const uint8_t *in, uint8_t *out,
			  size_t len, int decrypt)
{
	uint8_t t[2], digest[MD5_DIGEST_LEN];
	const uint8_t *prev_cipher = NULL;
	struct md5_ctx ctx;
	size_t off, i, n;

	l2tp_put16(t, type);
	for (off = 0; off < len; off += MD5_DIGEST_LEN) {
		md5_init(&ctx);
		if (off == 0) {
			md5_update(&ctx, t, 2);
			md5_update(&ctx, secret, secret_len);
			md5_update(&ctx, rv, rv_len);
		} else {
			md5_update(&ctx, secret, secret_len);
			md5_update(&ctx, prev_cipher, MD5_DIGEST_LEN);
		}
		md5_final(&ctx, digest);
		n = len - off < MD5_DIGEST_LEN ? len - off : MD5_DIGEST_LEN;
		for (i = 0; i < n; i++)
			out[off + i] = in[off + i] ^ digest[i];
		prev_cipher = decrypt ? in + off : out + off;
	}
}

int l2tp_avp_unhide(uint16_t type, const uint8_t *secret, size_t secret_len,
		    const uint8_t *rv, size_t rv_len, const uint8_t *in, size_t in_len,
		    uint8_t *out, size_t out_cap)
{
	uint8_t plain[L2TP_AVP_MAX_LEN];
	size_t orig;

	if (in_len < 2 || in_len > sizeof(plain))
		return -1;
	avp_md5_chain(type, secret, secret_len, rv, rv_len, in, plain, in_len, 1);
	orig = l2tp_get16(plain);
	/* The revealed length comes from the peer (or a wrong secret): re-check it
	 * against what was actually carried before trusting it. */
	if (orig > in_len - 2 || orig > out_cap)
		return -1;
	memcpy(out, plain + 2, orig);
	return (int)orig;
}

void l2tp_wbuf_init(struct l2tp_wbuf *w, uint8_t *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	w->overflow = false;
}

static uint8_t *wbuf_reserve(struct l2tp_wbuf *w, size_t n)
{
	uint8_t *p;

	if (w->overflow || n > w->cap - w->len) {
		w->overflow = true;
		return NULL;
	}
	p = w->buf + w->len;
	w->len += n;
	return p;
}

static uint8_t *avp_header(struct l2tp_wbuf *w, bool mandatory, bool hidden, uint16_t type, size_t len)
{
	uint8_t *p;

	if (len > L2TP_AVP_MAX_LEN - L2TP_AVP_HDR_LEN) {
		w->overflow = true;
		return NULL;
	}
	p = wbuf_reserve(w, L2TP_AVP_HDR_LEN + len);
	if (!p)
		return NULL;
	l2tp_put16(p, (uint16_t)((mandatory ? L2TP_AVP_M : 0) | (hidden ? L2TP_AVP_H : 0) |
				 (L2TP_AVP_HDR_LEN + len)));
	l2tp_put16(p + 2, 0);
	l2tp_put16(p + 4, type);
	return p + L2TP_AVP_HDR_LEN;
}

void l2tp_avp_put(struct l2tp_wbuf *w, bool mandatory, uint16_t type, const void *val, size_t len)
{
	uint8_t *p = avp_header(w, mandatory, false, type, len);

	if (p && len)
		memcpy(p, val, len);
}

void l2tp_avp_put_u16(struct l2tp_wbuf *w, bool mandatory, uint16_t type, uint16_t v)
{
	uint8_t b[2];

	l2tp_put16(b, v);
	l2tp_avp_put(w, mandatory, type, b, 2);
}

void l2tp_avp_put_u32(struct l2tp_wbuf *w, bool mandatory, uint16_t type, uint32_t v)
{
	uint8_t b[4];

	l2tp_put32(b, v);
	l2tp_avp_put(w, mandatory, type, b, 4);
}

void l2tp_avp_put_hidden(struct l2tp_wbuf *w, bool mandatory, uint16_t type, const void *val,
			 size_t len, const uint8_t *secret, size_t secret_len,
			 const uint8_t *rv, size_t rv_len, const uint8_t *pad_bytes, size_t pad)
{
	uint8_t plain[L2TP_AVP_MAX_LEN];
	size_t n = 2 + len + pad;
	uint8_t *p;

	if (n > L2TP_AVP_MAX_LEN - L2TP_AVP_HDR_LEN) {
		w->overflow = true;
		return;
	}
	p = avp_header(w, mandatory, true, type, n);
	if (!p)
		return;
	l2tp_put16(plain, (uint16_t)len);
	if (len)
		memcpy(plain + 2, val, len);
	if (pad)
		memcpy(plain + 2 + len, pad_bytes, pad);
	avp_md5_chain(type, secret, secret_len, rv, rv_len, plain, p, n, 0);
}
