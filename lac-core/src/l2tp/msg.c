/* L2TP header and control message codec (RFC 2661 3.1, 4.4, 6; RFC 3145). */
#include "l2tp/msg.h"

#include <stddef.h>
#include <string.h>

/* ---- header, RFC 2661 3.1 ---- */

const char *l2tp_hdr_status_str(int status)
{
	switch (status) {
	case L2TP_HDR_OK: return "ok";
	case L2TP_HDR_SHORT: return "short";
	case L2TP_HDR_VERSION: return "bad_version";
	case L2TP_HDR_CTRL_BITS: return "bad_control_bits";
	case L2TP_HDR_BAD_LENGTH: return "bad_length";
	case L2TP_HDR_BAD_OFFSET: return "bad_offset";
	}
	return "unknown";
}

int l2tp_hdr_decode(const uint8_t *buf, size_t len, struct l2tp_hdr *h)
{
	size_t off = 2, end = len;
	uint16_t fl;

	memset(h, 0, sizeof(*h));
	if (len < 6)
		return L2TP_HDR_SHORT;
	fl = l2tp_get16(buf);
	if ((fl & L2TP_HDR_VER) != L2TP_VERSION)
		return L2TP_HDR_VERSION;
	h->control = (fl & L2TP_HDR_T) != 0;
	h->has_len = (fl & L2TP_HDR_L) != 0;
	h->has_seq = (fl & L2TP_HDR_S) != 0;
	h->has_offset = (fl & L2TP_HDR_O) != 0;
	h->priority = (fl & L2TP_HDR_P) != 0;
	/* 3.1: control messages MUST carry Length and Ns/Nr and no Offset. */
	if (h->control && (!h->has_len || !h->has_seq || h->has_offset))
		return L2TP_HDR_CTRL_BITS;
	if (h->has_len) {
		if (len < off + 2)
			return L2TP_HDR_SHORT;
		h->length = l2tp_get16(buf + off);
		off += 2;
		end = h->length;
		if (end > len)
			return L2TP_HDR_BAD_LENGTH;
	}
	if (end < off + 4)
		return end == len ? L2TP_HDR_SHORT : L2TP_HDR_BAD_LENGTH;
	h->tid = l2tp_get16(buf + off);
	h->sid = l2tp_get16(buf + off + 2);
	off += 4;
	if (h->has_seq) {
		if (end < off + 4)
			return end == len ? L2TP_HDR_SHORT : L2TP_HDR_BAD_LENGTH;
		h->ns = l2tp_get16(buf + off);
		h->nr = l2tp_get16(buf + off + 2);
		off += 4;
	}
	if (h->has_offset) {
		size_t pad;

		if (end < off + 2)
			return end == len ? L2TP_HDR_SHORT : L2TP_HDR_BAD_LENGTH;
		pad = l2tp_get16(buf + off);
		off += 2;
		if (pad > end - off)
			return L2TP_HDR_BAD_OFFSET;
		off += pad;
	}
	h->payload_off = off;
	h->payload_len = end - off;
	return L2TP_HDR_OK;
}

void l2tp_ctrl_hdr_put(uint8_t *buf, uint16_t length, uint16_t tid, uint16_t sid,
		       uint16_t ns, uint16_t nr)
{
	l2tp_put16(buf, L2TP_HDR_T | L2TP_HDR_L | L2TP_HDR_S | L2TP_VERSION);
	l2tp_put16(buf + 2, length);
	l2tp_put16(buf + 4, tid);
	l2tp_put16(buf + 6, sid);
	l2tp_put16(buf + 8, ns);
	l2tp_put16(buf + 10, nr);
}

int l2tp_data_hdr_put(uint8_t *buf, size_t cap, uint16_t tid, uint16_t sid, bool seq,
		      uint16_t ns, uint16_t nr, bool len_bit, size_t payload_len)
{
	size_t hl = 6 + (len_bit ? 2 : 0) + (seq ? 4 : 0);
	uint16_t fl = L2TP_VERSION | (len_bit ? L2TP_HDR_L : 0) | (seq ? L2TP_HDR_S : 0);
	size_t off = 2;

	if (cap < hl || hl + payload_len > 65535)
		return -1;
	l2tp_put16(buf, fl);
	if (len_bit) {
		l2tp_put16(buf + off, (uint16_t)(hl + payload_len));
		off += 2;
	}
	l2tp_put16(buf + off, tid);
	l2tp_put16(buf + off + 2, sid);
	off += 4;
	if (seq) {
		l2tp_put16(buf + off, ns);
		l2tp_put16(buf + off + 2, nr);
	}
	return (int)hl;
}

/* ---- names ---- */

static const char *const msg_names[L2TP_MSG_MAX + 1] = {
	[L2TP_MSG_ZLB] = "ZLB", [L2TP_MSG_SCCRQ] = "SCCRQ", [L2TP_MSG_SCCRP] = "SCCRP",
	[L2TP_MSG_SCCCN] = "SCCCN", [L2TP_MSG_STOPCCN] = "StopCCN", [L2TP_MSG_HELLO] = "HELLO",
	[L2TP_MSG_OCRQ] = "OCRQ", [L2TP_MSG_OCRP] = "OCRP", [L2TP_MSG_OCCN] = "OCCN",
	[L2TP_MSG_ICRQ] = "ICRQ", [L2TP_MSG_ICRP] = "ICRP", [L2TP_MSG_ICCN] = "ICCN",
	[L2TP_MSG_CDN] = "CDN", [L2TP_MSG_WEN] = "WEN", [L2TP_MSG_SLI] = "SLI",
};

const char *l2tp_msg_type_str(uint16_t type)
{
	if (type <= L2TP_MSG_MAX && msg_names[type])
		return msg_names[type];
	return "unknown";
}

bool l2tp_msg_type_known(uint16_t type)
{
	return type >= 1 && type <= L2TP_MSG_MAX && msg_names[type] != NULL;
}

bool l2tp_msg_is_session(uint16_t type)
{
	return type >= L2TP_MSG_OCRQ && type <= L2TP_MSG_SLI && type != 13;
}

/* ---- AVP descriptors, RFC 2661 4.4 ---- */

enum avp_kind { K_NONE, K_U16, K_U32, K_BYTES, K_SPECIAL };

struct avp_desc {
	const char *name;
	enum avp_kind kind;
	bool m;                 /* M bit we send, per the RFC's description of the AVP */
	size_t off;             /* field in struct l2tp_msg for U16/U32/BYTES */
	uint16_t min_len;       /* BYTES: smallest valid value */
};

#define D(kind_, m_, field_, min_) { #field_, kind_, m_, offsetof(struct l2tp_msg, field_), min_ }
#define S(name_, m_) { name_, K_SPECIAL, m_, 0, 0 }
static const struct avp_desc avp_descs[L2TP_AVP_TYPE_MAX + 1] = {
	[L2TP_AVP_MESSAGE_TYPE] = S("message_type", true),
	[L2TP_AVP_RESULT_CODE] = S("result_code", true),
	[L2TP_AVP_PROTOCOL_VERSION] = S("protocol_version", true),
	[L2TP_AVP_FRAMING_CAP] = D(K_U32, true, framing_cap, 0),
	[L2TP_AVP_BEARER_CAP] = D(K_U32, true, bearer_cap, 0),
	[L2TP_AVP_TIE_BREAKER] = S("tie_breaker", false),
	[L2TP_AVP_FIRMWARE_REV] = D(K_U16, false, firmware_rev, 0),
	[L2TP_AVP_HOST_NAME] = D(K_BYTES, true, host_name, 1),
	[L2TP_AVP_VENDOR_NAME] = D(K_BYTES, false, vendor_name, 0),
	[L2TP_AVP_ASSIGNED_TID] = D(K_U16, true, assigned_tid, 0),
	[L2TP_AVP_RX_WINDOW] = D(K_U16, true, rx_window, 0),
	[L2TP_AVP_CHALLENGE] = D(K_BYTES, true, challenge, 1),
	[L2TP_AVP_Q931_CAUSE] = S("q931_cause", true),
	[L2TP_AVP_CHALLENGE_RESPONSE] = S("challenge_response", true),
	[L2TP_AVP_ASSIGNED_SID] = D(K_U16, true, assigned_sid, 0),
	[L2TP_AVP_CALL_SERIAL] = D(K_U32, true, call_serial, 0),
	[L2TP_AVP_MIN_BPS] = D(K_U32, true, min_bps, 0),
	[L2TP_AVP_MAX_BPS] = D(K_U32, true, max_bps, 0),
	[L2TP_AVP_BEARER_TYPE] = D(K_U32, true, bearer_type, 0),
	[L2TP_AVP_FRAMING_TYPE] = D(K_U32, true, framing_type, 0),
	[L2TP_AVP_CALLED_NUMBER] = D(K_BYTES, true, called_number, 0),
	[L2TP_AVP_CALLING_NUMBER] = D(K_BYTES, true, calling_number, 0),
	[L2TP_AVP_SUB_ADDRESS] = D(K_BYTES, true, sub_address, 0),
	[L2TP_AVP_TX_SPEED] = D(K_U32, true, tx_speed, 0),
	[L2TP_AVP_PHYS_CHANNEL] = D(K_U32, false, phys_channel, 0),
	[L2TP_AVP_INIT_RX_LCP] = D(K_BYTES, false, init_rx_lcp, 0),
	[L2TP_AVP_LAST_TX_LCP] = D(K_BYTES, false, last_tx_lcp, 0),
	[L2TP_AVP_LAST_RX_LCP] = D(K_BYTES, false, last_rx_lcp, 0),
	[L2TP_AVP_PROXY_AUTH_TYPE] = D(K_U16, false, proxy_auth_type, 0),
	[L2TP_AVP_PROXY_AUTH_NAME] = D(K_BYTES, false, proxy_auth_name, 0),
	[L2TP_AVP_PROXY_AUTH_CHAL] = D(K_BYTES, false, proxy_auth_chal, 1),
	[L2TP_AVP_PROXY_AUTH_ID] = S("proxy_auth_id", false),
	[L2TP_AVP_PROXY_AUTH_RESP] = D(K_BYTES, false, proxy_auth_resp, 0),
	[L2TP_AVP_CALL_ERRORS] = S("call_errors", true),
	[L2TP_AVP_ACCM] = S("accm", true),
	[L2TP_AVP_RANDOM_VECTOR] = S("random_vector", true),
	[L2TP_AVP_PRIVATE_GROUP] = D(K_BYTES, false, private_group, 0),
	[L2TP_AVP_RX_SPEED] = D(K_U32, false, rx_speed, 0),
	[L2TP_AVP_SEQ_REQUIRED] = S("sequencing_required", true),
	[L2TP_AVP_PPP_DISCONNECT_CAUSE] = S("ppp_disconnect_cause", false),
};
#undef D
#undef S

const char *l2tp_avp_type_str(uint16_t type)
{
	if (type <= L2TP_AVP_TYPE_MAX && avp_descs[type].name)
		return avp_descs[type].name;
	return "unknown";
}

#define B(t) L2TP_AVP_BIT(L2TP_AVP_##t)
/* Mandatory AVPs per message, RFC 2661 6.1-6.15. */
uint64_t l2tp_msg_mandatory(uint16_t type)
{
	switch (type) {
	case L2TP_MSG_SCCRQ:
	case L2TP_MSG_SCCRP:
		return B(MESSAGE_TYPE) | B(PROTOCOL_VERSION) | B(HOST_NAME) | B(FRAMING_CAP) |
		       B(ASSIGNED_TID);
	case L2TP_MSG_SCCCN:
	case L2TP_MSG_HELLO:
		return B(MESSAGE_TYPE);
	case L2TP_MSG_STOPCCN:
		return B(MESSAGE_TYPE) | B(ASSIGNED_TID) | B(RESULT_CODE);
	case L2TP_MSG_OCRQ:
		return B(MESSAGE_TYPE) | B(ASSIGNED_SID) | B(CALL_SERIAL) | B(MIN_BPS) | B(MAX_BPS) |
		       B(BEARER_TYPE) | B(FRAMING_TYPE) | B(CALLED_NUMBER);
	case L2TP_MSG_OCRP:
	case L2TP_MSG_ICRP:
		return B(MESSAGE_TYPE) | B(ASSIGNED_SID);
	case L2TP_MSG_OCCN:
	case L2TP_MSG_ICCN:
		return B(MESSAGE_TYPE) | B(TX_SPEED) | B(FRAMING_TYPE);
	case L2TP_MSG_ICRQ:
		return B(MESSAGE_TYPE) | B(ASSIGNED_SID) | B(CALL_SERIAL);
	case L2TP_MSG_CDN:
		return B(MESSAGE_TYPE) | B(RESULT_CODE) | B(ASSIGNED_SID);
	case L2TP_MSG_WEN:
		return B(MESSAGE_TYPE) | B(CALL_ERRORS);
	case L2TP_MSG_SLI:
		return B(MESSAGE_TYPE) | B(ACCM);
	}
	return B(MESSAGE_TYPE);
}

const char *l2tp_dec_status_str(int status)
{
	switch (status) {
	case L2TP_DEC_OK: return "ok";
	case L2TP_DEC_MALFORMED: return "malformed";
	case L2TP_DEC_UNKNOWN_M: return "unknown_mandatory_avp";
	case L2TP_DEC_UNKNOWN_TYPE: return "unknown_message_type";
	case L2TP_DEC_MISSING: return "missing_mandatory_avp";
	case L2TP_DEC_BAD_VALUE: return "bad_avp_value";
	case L2TP_DEC_HIDDEN: return "bad_hidden_avp";
	}
	return "unknown";
}

void l2tp_msg_set_bytes(struct l2tp_msg *m, unsigned type, struct l2tp_bytes *field,
			const void *val, size_t len)
{
	if (len > L2TP_VAL_MAX)
		len = L2TP_VAL_MAX;
	field->len = (uint16_t)len;
	if (len)
		memcpy(field->b, val, len);
	if (type < 64)
		m->present |= L2TP_AVP_BIT(type);
}

static int dec_fail(struct l2tp_dec_err *err, int status, bool tear_down, uint16_t avp,
		    uint16_t result, uint16_t error, const char *what)
{
	err->status = status;
	err->tear_down = tear_down;
	err->avp_type = avp;
	err->result = result;
	err->error = error;
	err->what = what;
	return -1;
}

/* Stores one known AVP value (already revealed) into m. Returns 0, or -1 when
 * its length does not fit the AVP's format. */
static int avp_store(struct l2tp_msg *m, uint16_t type, const uint8_t *v, size_t n)
{
	const struct avp_desc *d = &avp_descs[type];
	uint8_t *base = (uint8_t *)m;
	struct l2tp_bytes *bytes;

	switch (d->kind) {
	case K_NONE:
		return -1;
	case K_U16:
		if (n != 2)
			return -1;
		*(uint16_t *)(base + d->off) = l2tp_get16(v);
		return 0;
	case K_U32:
		if (n != 4)
			return -1;
		*(uint32_t *)(base + d->off) = l2tp_get32(v);
		return 0;
	case K_BYTES:
		if (n < d->min_len)
			return -1;
		if (n > L2TP_VAL_MAX) {
			/* Names only inform (logs, Host Name checks): keep the first
			 * L2TP_VAL_MAX bytes. Anything we compute on must be whole. */
			if (type != L2TP_AVP_HOST_NAME && type != L2TP_AVP_VENDOR_NAME)
				return -1;
			n = L2TP_VAL_MAX;
		}
		bytes = (struct l2tp_bytes *)(base + d->off);
		bytes->len = (uint16_t)n;
		if (n)
			memcpy(bytes->b, v, n);
		return 0;
	case K_SPECIAL:
		break;
	}
	switch (type) {
	case L2TP_AVP_RESULT_CODE:
		/* 4.4.2: Result Code (2) [Error Code (2) [Error Message]] */
		if (n < 2 || n == 3)
			return -1;
		m->result = l2tp_get16(v);
		m->has_error = n >= 4;
		m->error = n >= 4 ? l2tp_get16(v + 2) : 0;
		/* The Error Message is for humans: a longer one is cut, not refused. */
		m->result_msg.len = n > 4 ? (uint16_t)(n - 4 > L2TP_VAL_MAX ? L2TP_VAL_MAX : n - 4) : 0;
		memcpy(m->result_msg.b, v + 4, m->result_msg.len);
		return 0;
	case L2TP_AVP_PROTOCOL_VERSION:
		if (n != 2)
			return -1;
		m->proto_ver = v[0];
		m->proto_rev = v[1];
		return 0;
	case L2TP_AVP_TIE_BREAKER:
		if (n != 8)
			return -1;
		memcpy(m->tie_breaker, v, 8);
		return 0;
	case L2TP_AVP_Q931_CAUSE:
		/* 4.4.5: Cause Code (2), Cause Msg (1), Advisory Msg */
		if (n < 3)
			return -1;
		m->q931_cause = l2tp_get16(v);
		m->q931_msg = v[2];
		m->q931_advisory.len = (uint16_t)(n - 3 > L2TP_VAL_MAX ? L2TP_VAL_MAX : n - 3);
		memcpy(m->q931_advisory.b, v + 3, m->q931_advisory.len);
		return 0;
	case L2TP_AVP_CHALLENGE_RESPONSE:
		if (n != 16)
			return -1;
		m->challenge_response.len = 16;
		memcpy(m->challenge_response.b, v, 16);
		return 0;
	case L2TP_AVP_PROXY_AUTH_ID:
		/* 4.4.5: Reserved (1), ID (1) */
		if (n != 2)
			return -1;
		m->proxy_auth_id = v[1];
		return 0;
	case L2TP_AVP_CALL_ERRORS:
		/* 4.4.6: Reserved (2), six 32-bit counters */
		if (n != 26)
			return -1;
		m->call_errors.crc = l2tp_get32(v + 2);
		m->call_errors.framing = l2tp_get32(v + 6);
		m->call_errors.hw_overruns = l2tp_get32(v + 10);
		m->call_errors.buf_overruns = l2tp_get32(v + 14);
		m->call_errors.timeouts = l2tp_get32(v + 18);
		m->call_errors.alignment = l2tp_get32(v + 22);
		return 0;
	case L2TP_AVP_ACCM:
		/* 4.4.6: Reserved (2), Send ACCM (4), Receive ACCM (4) */
		if (n != 10)
			return -1;
		m->send_accm = l2tp_get32(v + 2);
		m->recv_accm = l2tp_get32(v + 6);
		return 0;
	case L2TP_AVP_SEQ_REQUIRED:
		return n == 0 ? 0 : -1;
	case L2TP_AVP_PPP_DISCONNECT_CAUSE:
		/* RFC 3145 3.1: Code (2), Protocol (2), Direction (1), Message */
		if (n < 5)
			return -1;
		m->ppp_disc_code = l2tp_get16(v);
		m->ppp_disc_proto = l2tp_get16(v + 2);
		m->ppp_disc_dir = v[4];
		m->ppp_disc_msg.len = (uint16_t)(n - 5 > L2TP_VAL_MAX ? L2TP_VAL_MAX : n - 5);
		memcpy(m->ppp_disc_msg.b, v + 5, m->ppp_disc_msg.len);
		return 0;
	}
	return -1;
}

int l2tp_msg_decode(const uint8_t *body, size_t len, const uint8_t *secret, size_t secret_len,
		    struct l2tp_msg *m, struct l2tp_dec_err *err)
{
	uint8_t rv[L2TP_AVP_MAX_LEN], plain[L2TP_AVP_MAX_LEN];
	size_t rv_len = 0, n;
	struct l2tp_avp_iter it;
	struct l2tp_avp a;
	bool first = true, msg_m = false;
	const uint8_t *v;
	uint64_t missing;
	int st, r;

	memset(m, 0, sizeof(*m));
	memset(err, 0, sizeof(*err));
	if (len == 0)
		return 0;               /* ZLB */
	l2tp_avp_iter_init(&it, body, len);
	/* First pass finds the message type, which decides whether a bad AVP
	 * clears the session or the tunnel (4.2). */
	st = l2tp_avp_next(&it, &a);
	if (st < 0 && st != L2TP_AVP_BAD_RSVD)
		return dec_fail(err, L2TP_DEC_MALFORMED, false, 0, 0, 0, "bad AVP length");
	if (a.vendor != 0 || a.type != L2TP_AVP_MESSAGE_TYPE || a.len != 2 || a.hidden)
		return dec_fail(err, L2TP_DEC_MALFORMED, false, a.type, 0, 0,
				"first AVP is not a plain Message Type");
	m->type = l2tp_get16(a.value);
	msg_m = a.mandatory;
	if (!l2tp_msg_type_known(m->type))
		return dec_fail(err, L2TP_DEC_UNKNOWN_TYPE, msg_m, 0, L2TP_STOPCCN_GENERAL,
				L2TP_ERR_VENDOR, "unknown message type");
	m->present |= L2TP_AVP_BIT(L2TP_AVP_MESSAGE_TYPE);

	for (;;) {
		if (!first) {
			st = l2tp_avp_next(&it, &a);
			if (st == L2TP_AVP_END)
				break;
			if (st == L2TP_AVP_BAD_LEN)
				return dec_fail(err, L2TP_DEC_MALFORMED, true, 0, 2, L2TP_ERR_LENGTH,
						"bad AVP length");
			if (st == L2TP_AVP_BAD_RSVD && a.mandatory)
				return dec_fail(err, L2TP_DEC_BAD_VALUE, true, a.type, 2, L2TP_ERR_RANGE,
						"reserved AVP bits set");
		}
		first = false;
		if (a.type == L2TP_AVP_MESSAGE_TYPE && a.vendor == 0)
			continue;
		if (a.vendor != 0 || a.type > L2TP_AVP_TYPE_MAX || avp_descs[a.type].name == NULL) {
			/* 4.2: unknown AVPs are skipped unless M is set. */
			if (a.mandatory)
				return dec_fail(err, L2TP_DEC_UNKNOWN_M, true, a.type, 2,
						L2TP_ERR_UNKNOWN_M_AVP, "unknown mandatory AVP");
			continue;
		}
		v = a.value;
		n = a.len;
		if (a.type == L2TP_AVP_RANDOM_VECTOR) {
			if (a.hidden || n == 0)
				return dec_fail(err, L2TP_DEC_BAD_VALUE, true, a.type, 2,
						L2TP_ERR_LENGTH, "bad Random Vector");
			memcpy(rv, v, n);
			rv_len = n;
			m->present |= L2TP_AVP_BIT(a.type);
			continue;
		}
		if (a.hidden) {
			if (!secret || !secret_len || !rv_len)
				return dec_fail(err, L2TP_DEC_HIDDEN, true, a.type, 2, L2TP_ERR_VENDOR,
						"hidden AVP without secret or Random Vector");
			r = l2tp_avp_unhide(a.type, secret, secret_len, rv, rv_len, v, n, plain,
					    sizeof(plain));
			if (r < 0)
				return dec_fail(err, L2TP_DEC_HIDDEN, true, a.type, 2, L2TP_ERR_LENGTH,
						"hidden AVP length does not fit");
			v = plain;
			n = (size_t)r;
		}
		if (avp_store(m, a.type, v, n) < 0)
			return dec_fail(err, L2TP_DEC_BAD_VALUE, true, a.type, 2, L2TP_ERR_LENGTH,
					"AVP length wrong for its type");
		m->present |= L2TP_AVP_BIT(a.type);
	}
	missing = l2tp_msg_mandatory(m->type) & ~m->present;
	if (missing) {
		uint16_t t = (uint16_t)__builtin_ctzll(missing);

		return dec_fail(err, L2TP_DEC_MISSING, true, t, 2, L2TP_ERR_VENDOR,
				"mandatory AVP missing");
	}
	return 0;
}

/* Appends one AVP from m (hidden when asked and allowed). */
static void avp_emit(const struct l2tp_msg *m, struct l2tp_wbuf *w, uint16_t type, bool hidden,
		     const uint8_t *secret, size_t secret_len, const uint8_t *rv)
{
	const struct avp_desc *d = &avp_descs[type];
	const uint8_t *base = (const uint8_t *)m;
	uint8_t v[L2TP_VAL_MAX + 32];
	size_t n = 0;

	switch (d->kind) {
	case K_NONE:
		return;
	case K_U16:
		l2tp_put16(v, *(const uint16_t *)(base + d->off));
		n = 2;
		break;
	case K_U32:
		l2tp_put32(v, *(const uint32_t *)(base + d->off));
		n = 4;
		break;
	case K_BYTES: {
		const struct l2tp_bytes *b = (const struct l2tp_bytes *)(base + d->off);

		n = b->len;
		memcpy(v, b->b, n);
		break;
	}
	case K_SPECIAL:
		switch (type) {
		case L2TP_AVP_RESULT_CODE:
			l2tp_put16(v, m->result);
			n = 2;
			if (m->has_error || m->result_msg.len) {
				l2tp_put16(v + 2, m->error);
				memcpy(v + 4, m->result_msg.b, m->result_msg.len);
				n = 4 + m->result_msg.len;
			}
			break;
		case L2TP_AVP_PROTOCOL_VERSION:
			v[0] = m->proto_ver;
			v[1] = m->proto_rev;
			n = 2;
			break;
		case L2TP_AVP_TIE_BREAKER:
			memcpy(v, m->tie_breaker, 8);
			n = 8;
			break;
		case L2TP_AVP_Q931_CAUSE:
			l2tp_put16(v, m->q931_cause);
			v[2] = m->q931_msg;
			memcpy(v + 3, m->q931_advisory.b, m->q931_advisory.len);
			n = 3 + m->q931_advisory.len;
			break;
		case L2TP_AVP_CHALLENGE_RESPONSE:
			memcpy(v, m->challenge_response.b, 16);
			n = 16;
			break;
		case L2TP_AVP_PROXY_AUTH_ID:
			v[0] = 0;
			v[1] = m->proxy_auth_id;
			n = 2;
			break;
		case L2TP_AVP_CALL_ERRORS:
			l2tp_put16(v, 0);
			l2tp_put32(v + 2, m->call_errors.crc);
			l2tp_put32(v + 6, m->call_errors.framing);
			l2tp_put32(v + 10, m->call_errors.hw_overruns);
			l2tp_put32(v + 14, m->call_errors.buf_overruns);
			l2tp_put32(v + 18, m->call_errors.timeouts);
			l2tp_put32(v + 22, m->call_errors.alignment);
			n = 26;
			break;
		case L2TP_AVP_ACCM:
			l2tp_put16(v, 0);
			l2tp_put32(v + 2, m->send_accm);
			l2tp_put32(v + 6, m->recv_accm);
			n = 10;
			break;
		case L2TP_AVP_SEQ_REQUIRED:
			n = 0;
			break;
		case L2TP_AVP_PPP_DISCONNECT_CAUSE:
			l2tp_put16(v, m->ppp_disc_code);
			l2tp_put16(v + 2, m->ppp_disc_proto);
			v[4] = m->ppp_disc_dir;
			memcpy(v + 5, m->ppp_disc_msg.b, m->ppp_disc_msg.len);
			n = 5 + m->ppp_disc_msg.len;
			break;
		default:
			return;
		}
		break;
	}
	if (hidden) {
		/* 4.3: pad so the length says little, to whole MD5 blocks; the Random
		 * Vector's bytes serve as padding (their secrecy is not needed). Some
		 * LNSs (l2tpns) also refuse hidden values shorter than 8 bytes. */
		size_t pad = (16 - (2 + n) % 16) % 16;

		l2tp_avp_put_hidden(w, d->m, type, v, n, secret, secret_len, rv, 16, rv, pad);
	}
	else
		l2tp_avp_put(w, d->m, type, v, n);
}

int l2tp_msg_encode(const struct l2tp_msg *m, const uint8_t *secret, size_t secret_len,
		    const uint8_t rv[16], uint8_t *buf, size_t cap)
{
	/* 4.3: never hide Message Type or Random Vector; hide nothing without a secret. */
	uint64_t hide = m->hide & m->present &
		~(L2TP_AVP_BIT(L2TP_AVP_MESSAGE_TYPE) | L2TP_AVP_BIT(L2TP_AVP_RANDOM_VECTOR));
	struct l2tp_wbuf w;
	unsigned t;

	if (!secret || !secret_len)
		hide = 0;
	l2tp_wbuf_init(&w, buf, cap);
	if (m->type == L2TP_MSG_ZLB)
		return 0;
	l2tp_avp_put_u16(&w, true, L2TP_AVP_MESSAGE_TYPE, m->type);
	if (hide)
		l2tp_avp_put(&w, true, L2TP_AVP_RANDOM_VECTOR, rv, 16);
	for (t = 1; t <= L2TP_AVP_TYPE_MAX; t++) {
		if (t == L2TP_AVP_RANDOM_VECTOR || !(m->present & L2TP_AVP_BIT(t)))
			continue;
		avp_emit(m, &w, (uint16_t)t, (hide & L2TP_AVP_BIT(t)) != 0, secret, secret_len, rv);
	}
	if (m->vendor_avps_len) {
		/* Already whole AVPs (issue 11, RFC 5515); bounded by the buffer. */
		if (m->vendor_avps_len > sizeof(m->vendor_avps) || w.cap - w.len < m->vendor_avps_len)
			return -1;
		memcpy(w.buf + w.len, m->vendor_avps, m->vendor_avps_len);
		w.len += m->vendor_avps_len;
	}
	return w.overflow ? -1 : (int)w.len;
}

bool l2tp_msg_peek_u16(const uint8_t *body, size_t len, uint16_t type, uint16_t *out)
{
	struct l2tp_avp_iter it;
	struct l2tp_avp a;
	int st;

	l2tp_avp_iter_init(&it, body, len);
	while ((st = l2tp_avp_next(&it, &a)) == L2TP_AVP_OK || st == L2TP_AVP_BAD_RSVD) {
		if (a.vendor == 0 && a.type == type && !a.hidden && a.len == 2) {
			*out = l2tp_get16(a.value);
			return true;
		}
	}
	return false;
}
