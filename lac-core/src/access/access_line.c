/* TR-101 PPPoE Intermediate Agent tag, RFC 4679 RADIUS attributes, RFC 5515
 * L2TP AVPs. See access_line.h. */
#include "access/access_line.h"

#include <stdio.h>
#include <string.h>

#include "util/be.h"

const char *access_line_err_str(enum access_line_err err)
{
	switch (err) {
	case ACCESS_LINE_ERR_NONE: return "none";
	case ACCESS_LINE_ERR_SHORT_VENDOR: return "short-vendor-id";
	case ACCESS_LINE_ERR_VENDOR: return "vendor-id";
	case ACCESS_LINE_ERR_SHORT_SUBOPT: return "short-sub-option";
	case ACCESS_LINE_ERR_SUBOPT_LENGTH: return "sub-option-length";
	case ACCESS_LINE_ERR_VALUE_LENGTH: return "value-length";
	case ACCESS_LINE_ERR_ID_LENGTH: return "id-length";
	case ACCESS_LINE_ERR_DUPLICATE: return "duplicate";
	case ACCESS_LINE_ERR_NO_SPACE: return "no-space";
	}
	return "unknown";
}

/* Stores one sub-option. Returns 0, or -1 with *err set. */
static int subopt_store(struct access_line *out, uint8_t type, const uint8_t *v, uint8_t n,
			enum access_line_err *err)
{
	uint64_t bit = access_line_bit(type);

	if (bit == 0 || type == 0x8f) {
		/* TR-101 and its successors add sub-options; skip what we do not know. */
		out->n_unknown++;
		return 0;
	}
	if (out->have & bit) {
		*err = ACCESS_LINE_ERR_DUPLICATE;
		return -1;
	}
	switch (type) {
	case ACCESS_LINE_CIRCUIT_ID:
	case ACCESS_LINE_REMOTE_ID:
		if (n == 0 || n > ACCESS_LINE_ID_MAX) {
			*err = ACCESS_LINE_ERR_ID_LENGTH;
			return -1;
		}
		if (type == ACCESS_LINE_CIRCUIT_ID) {
			memcpy(out->circuit_id, v, n);
			out->circuit_id[n] = '\0';
			out->circuit_id_len = n;
		} else {
			memcpy(out->remote_id, v, n);
			out->remote_id[n] = '\0';
			out->remote_id_len = n;
		}
		break;
	case ACCESS_LINE_LOOP_ENCAP:
		if (n != 3) {
			*err = ACCESS_LINE_ERR_VALUE_LENGTH;
			return -1;
		}
		memcpy(out->loop_encap, v, 3);
		break;
	case ACCESS_LINE_DSL_TYPE:
		if (n != 4) {
			*err = ACCESS_LINE_ERR_VALUE_LENGTH;
			return -1;
		}
		out->dsl_type = be32_get(v);
		break;
	case ACCESS_LINE_IWF_SESSION:
		if (n != 0) {
			*err = ACCESS_LINE_ERR_VALUE_LENGTH;
			return -1;
		}
		break;
	default:        /* 0x81..0x8E */
		if (n != 4) {
			*err = ACCESS_LINE_ERR_VALUE_LENGTH;
			return -1;
		}
		out->u32[type - ACCESS_LINE_U32_FIRST] = be32_get(v);
		break;
	}
	out->have |= bit;
	return 0;
}

int access_line_tr101_decode(const uint8_t *val, size_t len, struct access_line *out,
			     enum access_line_err *err)
{
	memset(out, 0, sizeof(*out));
	if (len < 4) {
		*err = ACCESS_LINE_ERR_SHORT_VENDOR;
		return -1;
	}
	if (be32_get(val) != ACCESS_LINE_VENDOR_BBF) {
		*err = ACCESS_LINE_ERR_VENDOR;
		return -1;
	}
	size_t off = 4;
	while (off < len) {
		if (len - off < 2) {
			*err = ACCESS_LINE_ERR_SHORT_SUBOPT;
			return -1;
		}
		uint8_t type = val[off], n = val[off + 1];
		off += 2;
		if (n > len - off) {
			*err = ACCESS_LINE_ERR_SUBOPT_LENGTH;
			return -1;
		}
		if (subopt_store(out, type, val + off, n, err) < 0)
			return -1;
		off += n;
	}
	*err = ACCESS_LINE_ERR_NONE;
	return 0;
}

/* A small bounded writer: once an append does not fit, every later one is
 * refused too and the result is -1. */
struct wbuf {
	uint8_t *buf;
	size_t cap, len;
	bool overflow;
};

static uint8_t *wb_reserve(struct wbuf *w, size_t n)
{
	if (w->overflow || w->cap - w->len < n) {
		w->overflow = true;
		return NULL;
	}
	uint8_t *p = w->buf + w->len;
	w->len += n;
	return p;
}

static void tr101_put(struct wbuf *w, uint8_t type, const void *v, uint8_t n)
{
	uint8_t *p = wb_reserve(w, 2u + n);
	if (!p)
		return;
	p[0] = type;
	p[1] = n;
	if (n)
		memcpy(p + 2, v, n);
}

int access_line_tr101_encode(const struct access_line *l, uint8_t *buf, size_t cap,
			     enum access_line_err *err)
{
	struct wbuf w = { buf, cap, 0, false };
	uint8_t *p = wb_reserve(&w, 4);
	uint8_t v[4];

	if (p)
		be32_put(p, ACCESS_LINE_VENDOR_BBF);
	if (access_line_has(l, ACCESS_LINE_CIRCUIT_ID))
		tr101_put(&w, ACCESS_LINE_CIRCUIT_ID, l->circuit_id, l->circuit_id_len);
	if (access_line_has(l, ACCESS_LINE_REMOTE_ID))
		tr101_put(&w, ACCESS_LINE_REMOTE_ID, l->remote_id, l->remote_id_len);
	for (unsigned i = 0; i < ACCESS_LINE_N_U32; i++) {
		unsigned type = ACCESS_LINE_U32_FIRST + i;
		if (!access_line_has(l, type))
			continue;
		be32_put(v, l->u32[i]);
		tr101_put(&w, (uint8_t)type, v, 4);
	}
	if (access_line_has(l, ACCESS_LINE_LOOP_ENCAP))
		tr101_put(&w, ACCESS_LINE_LOOP_ENCAP, l->loop_encap, 3);
	if (access_line_has(l, ACCESS_LINE_DSL_TYPE)) {
		be32_put(v, l->dsl_type);
		tr101_put(&w, ACCESS_LINE_DSL_TYPE, v, 4);
	}
	if (access_line_has(l, ACCESS_LINE_IWF_SESSION))
		tr101_put(&w, ACCESS_LINE_IWF_SESSION, NULL, 0);
	if (w.overflow) {
		*err = ACCESS_LINE_ERR_NO_SPACE;
		return -1;
	}
	*err = ACCESS_LINE_ERR_NONE;
	return (int)w.len;
}

/* kbit/s to bit/s, saturating at 32 bits (RFC 4679 attributes are 32-bit). */
static uint32_t kbps_to_bps32(uint32_t kbps)
{
	uint64_t bps = (uint64_t)kbps * 1000u;
	return bps > 0xffffffffu ? 0xffffffffu : (uint32_t)bps;
}

/* RFC 2865 5.26: Type 26, Length, Vendor-Id, then Vendor-Type, Vendor-Length,
 * value (RFC 4679 section 4 uses this recommended format). */
static void vsa_put(struct wbuf *w, uint8_t vtype, const void *v, uint8_t n)
{
	uint8_t *p = wb_reserve(w, 8u + n);
	if (!p)
		return;
	p[0] = 26;
	p[1] = (uint8_t)(8 + n);
	be32_put(p + 2, ACCESS_LINE_VENDOR_BBF);
	p[6] = vtype;
	p[7] = (uint8_t)(2 + n);
	if (n)
		memcpy(p + 8, v, n);
}

int access_line_radius_encode(const struct access_line *l, uint8_t *buf, size_t cap)
{
	struct wbuf w = { buf, cap, 0, false };
	uint8_t v[4];

	if (access_line_has(l, ACCESS_LINE_CIRCUIT_ID))
		vsa_put(&w, ACCESS_LINE_CIRCUIT_ID, l->circuit_id, l->circuit_id_len);
	if (access_line_has(l, ACCESS_LINE_REMOTE_ID))
		vsa_put(&w, ACCESS_LINE_REMOTE_ID, l->remote_id, l->remote_id_len);
	for (unsigned i = 0; i < ACCESS_LINE_N_U32; i++) {
		unsigned type = ACCESS_LINE_U32_FIRST + i;
		if (!access_line_has(l, type))
			continue;
		be32_put(v, ACCESS_LINE_IS_DELAY(i) ? l->u32[i] : kbps_to_bps32(l->u32[i]));
		vsa_put(&w, (uint8_t)type, v, 4);
	}
	if (access_line_has(l, ACCESS_LINE_LOOP_ENCAP))
		vsa_put(&w, ACCESS_LINE_LOOP_ENCAP, l->loop_encap, 3);
	if (access_line_has(l, ACCESS_LINE_DSL_TYPE)) {
		be32_put(v, l->dsl_type);
		vsa_put(&w, ACCESS_LINE_DSL_TYPE, v, 4);
	}
	if (access_line_has(l, ACCESS_LINE_IWF_SESSION))
		vsa_put(&w, ACCESS_LINE_IWF_SESSION, NULL, 0);
	return w.overflow ? -1 : (int)w.len;
}

/* RFC 2661 4.1 AVP header with RFC 5515's vendor id; M and H clear (RFC 5515
 * section 3: an LNS that does not know them ignores them). */
static void avp_put(struct wbuf *w, uint16_t type, const void *v, size_t n)
{
	uint8_t *p = wb_reserve(w, 6 + n);
	if (!p)
		return;
	be16_put(p, (uint16_t)(6 + n));
	be16_put(p + 2, (uint16_t)ACCESS_LINE_VENDOR_BBF);
	be16_put(p + 4, type);
	if (n)
		memcpy(p + 6, v, n);
}

int access_line_l2tp_encode(const struct access_line *l, uint8_t *buf, size_t cap)
{
	struct wbuf w = { buf, cap, 0, false };
	uint8_t v[8];

	if (access_line_has(l, ACCESS_LINE_CIRCUIT_ID))
		avp_put(&w, ACCESS_LINE_CIRCUIT_ID, l->circuit_id, l->circuit_id_len);
	if (access_line_has(l, ACCESS_LINE_REMOTE_ID))
		avp_put(&w, ACCESS_LINE_REMOTE_ID, l->remote_id, l->remote_id_len);
	for (unsigned i = 0; i < ACCESS_LINE_N_U32; i++) {
		unsigned type = ACCESS_LINE_U32_FIRST + i;
		if (!access_line_has(l, type))
			continue;
		if (ACCESS_LINE_IS_DELAY(i)) {
			be32_put(v, l->u32[i]);
			avp_put(&w, (uint16_t)type, v, 4);
		} else {
			uint64_t bps = (uint64_t)l->u32[i] * 1000u;
			be32_put(v, (uint32_t)(bps >> 32));
			be32_put(v + 4, (uint32_t)bps);
			avp_put(&w, (uint16_t)type, v, 8);
		}
	}
	if (access_line_has(l, ACCESS_LINE_LOOP_ENCAP))
		avp_put(&w, ACCESS_LINE_LOOP_ENCAP, l->loop_encap, 3);
	if (access_line_has(l, ACCESS_LINE_DSL_TYPE)) {
		be32_put(v, l->dsl_type);
		avp_put(&w, ACCESS_LINE_DSL_TYPE, v, 4);
	}
	if (access_line_has(l, ACCESS_LINE_IWF_SESSION))
		avp_put(&w, ACCESS_LINE_IWF_SESSION, NULL, 0);
	return w.overflow ? -1 : (int)w.len;
}

uint32_t access_line_tx_bps(const struct access_line *l)
{
	if (!l || !access_line_has(l, ACCESS_LINE_ACT_DOWN))
		return 0;
	return kbps_to_bps32(l->u32[ACCESS_LINE_ACT_DOWN - ACCESS_LINE_U32_FIRST]);
}

uint32_t access_line_rx_bps(const struct access_line *l)
{
	if (!l || !access_line_has(l, ACCESS_LINE_ACT_UP))
		return 0;
	return kbps_to_bps32(l->u32[ACCESS_LINE_ACT_UP - ACCESS_LINE_U32_FIRST]);
}

/* ---- identifiers ---- */

static const struct {
	const char *name;
	enum access_id_field field;
} id_fields[] = {
	{ "mac", ACCESS_ID_MAC },
	{ "circuit-id", ACCESS_ID_CIRCUIT_ID },
	{ "remote-id", ACCESS_ID_REMOTE_ID },
	{ "interface", ACCESS_ID_INTERFACE },
	{ "vlan", ACCESS_ID_VLAN },
	{ "session", ACCESS_ID_SESSION },
};

int access_id_format_parse(const char *list, char delimiter, struct access_id_format *fmt,
			   const char **why)
{
	size_t n = 0;
	const char *p = list;

	memset(fmt, 0, sizeof(*fmt));
	fmt->delimiter = delimiter;
	if (delimiter == '\0' || delimiter < 0x21 || delimiter > 0x7e) {
		*why = "delimiter must be one printable character";
		return -1;
	}
	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		size_t i;
		for (i = 0; i < sizeof(id_fields) / sizeof(id_fields[0]); i++)
			if (strlen(id_fields[i].name) == len && memcmp(id_fields[i].name, p, len) == 0)
				break;
		if (i == sizeof(id_fields) / sizeof(id_fields[0])) {
			*why = "unknown field (mac, circuit-id, remote-id, interface, vlan, session)";
			return -1;
		}
		if (n == ACCESS_ID_MAX_FIELDS) {
			*why = "too many fields";
			return -1;
		}
		fmt->fields[n++] = (uint8_t)id_fields[i].field;
		if (!end)
			break;
		p = end + 1;
	}
	if (n == 0) {
		*why = "no field";
		return -1;
	}
	return 0;
}

/* Appends s[0..n) to out at *len, printable ASCII only. */
static void put_octets(char *out, size_t cap, size_t *len, const char *s, size_t n)
{
	for (size_t i = 0; i < n && *len + 1 < cap; i++) {
		unsigned char c = (unsigned char)s[i];
		out[(*len)++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	out[*len] = '\0';
}

size_t access_id_format(const struct access_id_format *fmt, const struct access_id_src *src,
			char *out, size_t cap)
{
	size_t len = 0;
	char tmp[32];

	if (cap == 0)
		return 0;
	out[0] = '\0';
	for (size_t i = 0; i < ACCESS_ID_MAX_FIELDS && fmt->fields[i]; i++) {
		const char *s = NULL;
		size_t n = 0;
		switch ((enum access_id_field)fmt->fields[i]) {
		case ACCESS_ID_MAC:
			if (src->mac) {
				const uint8_t *m = src->mac;
				snprintf(tmp, sizeof(tmp), "%02x:%02x:%02x:%02x:%02x:%02x",
					 m[0], m[1], m[2], m[3], m[4], m[5]);
				s = tmp;
				n = strlen(tmp);
			}
			break;
		case ACCESS_ID_CIRCUIT_ID:
			if (src->line && access_line_has(src->line, ACCESS_LINE_CIRCUIT_ID)) {
				s = src->line->circuit_id;
				n = src->line->circuit_id_len;
			}
			break;
		case ACCESS_ID_REMOTE_ID:
			if (src->line && access_line_has(src->line, ACCESS_LINE_REMOTE_ID)) {
				s = src->line->remote_id;
				n = src->line->remote_id_len;
			}
			break;
		case ACCESS_ID_INTERFACE:
			if (src->ifname) {
				s = src->ifname;
				n = strlen(s);
			}
			break;
		case ACCESS_ID_VLAN:
			if (src->svlan && src->cvlan)
				snprintf(tmp, sizeof(tmp), "%u.%u", src->svlan, src->cvlan);
			else if (src->cvlan || src->svlan)
				snprintf(tmp, sizeof(tmp), "%u", src->cvlan ? src->cvlan : src->svlan);
			else
				tmp[0] = '\0';
			s = tmp;
			n = strlen(tmp);
			break;
		case ACCESS_ID_SESSION:
			if (src->session_id) {
				snprintf(tmp, sizeof(tmp), "%u", src->session_id);
				s = tmp;
				n = strlen(tmp);
			}
			break;
		}
		if (!s || n == 0)
			continue;
		if (len > 0 && len + 1 < cap) {
			out[len++] = fmt->delimiter;
			out[len] = '\0';
		}
		put_octets(out, cap, &len, s, n);
	}
	return len;
}
