/* RADIUS wire codec (see radius_codec.h). RFC 2865 (packet format, User-Password,
 * Response Authenticator), RFC 2866 (Accounting-Request authenticator), RFC 2868
 * (tunnel attributes, tags, Tunnel-Password), RFC 3579 3.2 (Message-Authenticator). */
#include "aaa/radius_codec.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/be.h"
#include "util/md5.h"
#include "util/random.h"

const char *radius_code_str(unsigned code)
{
	switch (code) {
	case RADIUS_CODE_ACCESS_REQUEST: return "access-request";
	case RADIUS_CODE_ACCESS_ACCEPT: return "access-accept";
	case RADIUS_CODE_ACCESS_REJECT: return "access-reject";
	case RADIUS_CODE_ACCOUNTING_REQUEST: return "accounting-request";
	case RADIUS_CODE_ACCOUNTING_RESPONSE: return "accounting-response";
	case RADIUS_CODE_ACCESS_CHALLENGE: return "access-challenge";
	case RADIUS_CODE_STATUS_SERVER: return "status-server";
	case RADIUS_CODE_DISCONNECT_REQUEST: return "disconnect-request";
	case RADIUS_CODE_DISCONNECT_ACK: return "disconnect-ack";
	case RADIUS_CODE_DISCONNECT_NAK: return "disconnect-nak";
	case RADIUS_CODE_COA_REQUEST: return "coa-request";
	case RADIUS_CODE_COA_ACK: return "coa-ack";
	case RADIUS_CODE_COA_NAK: return "coa-nak";
	default: return "unknown";
	}
}

const char *radius_term_cause_str(unsigned cause)
{
	switch (cause) {
	case RADIUS_TERM_USER_REQUEST: return "user-request";
	case RADIUS_TERM_LOST_CARRIER: return "lost-carrier";
	case RADIUS_TERM_LOST_SERVICE: return "lost-service";
	case RADIUS_TERM_IDLE_TIMEOUT: return "idle-timeout";
	case RADIUS_TERM_SESSION_TIMEOUT: return "session-timeout";
	case RADIUS_TERM_ADMIN_RESET: return "admin-reset";
	case RADIUS_TERM_ADMIN_REBOOT: return "admin-reboot";
	case RADIUS_TERM_PORT_ERROR: return "port-error";
	case RADIUS_TERM_NAS_ERROR: return "nas-error";
	case RADIUS_TERM_NAS_REQUEST: return "nas-request";
	case RADIUS_TERM_NAS_REBOOT: return "nas-reboot";
	case RADIUS_TERM_SERVICE_UNAVAILABLE: return "service-unavailable";
	default: return "other";
	}
}

/* Codes whose Request Authenticator is a digest of the packet (RFC 2866 3,
 * RFC 5176 2.3) and whose Message-Authenticator is computed over a zero
 * authenticator field. */
static bool code_digest_request(uint8_t code)
{
	return code == RADIUS_CODE_ACCOUNTING_REQUEST || code == RADIUS_CODE_DISCONNECT_REQUEST ||
	       code == RADIUS_CODE_COA_REQUEST;
}

static int set_err_kind(struct radius_err *err, enum radius_err_kind kind, const char *msg,
			size_t offset)
{
	if (err) {
		err->msg = msg;
		err->offset = offset;
		err->kind = kind;
	}
	return -1;
}

static int set_err(struct radius_err *err, const char *msg, size_t offset)
{
	return set_err_kind(err, RADIUS_ERR_MALFORMED, msg, offset);
}

/* ---- building ---- */

int radius_builder_init(struct radius_builder *b, uint8_t *buf, size_t cap, uint8_t code,
			uint8_t id, const uint8_t authenticator[RADIUS_AUTH_LEN])
{
	b->buf = buf;
	b->cap = cap < RADIUS_MAX_PACKET ? cap : RADIUS_MAX_PACKET;
	b->len = 0;
	b->msg_auth_off = 0;
	b->failed = true;
	if (b->cap < RADIUS_HDR_LEN + 2 + RADIUS_AUTH_LEN)
		return -1;
	buf[0] = code;
	buf[1] = id;
	be16_put(buf + 2, 0);
	if (code_digest_request(code) || !authenticator)
		memset(buf + 4, 0, RADIUS_AUTH_LEN);
	else
		memcpy(buf + 4, authenticator, RADIUS_AUTH_LEN);
	/* RFC 3579 3.2 allows it anywhere; first is what FreeRADIUS's BlastRADIUS
	 * hardening (and RFC 9765's guidance) expects. */
	buf[20] = RADIUS_ATTR_MESSAGE_AUTHENTICATOR;
	buf[21] = 2 + RADIUS_AUTH_LEN;
	memset(buf + 22, 0, RADIUS_AUTH_LEN);
	b->msg_auth_off = 22;
	b->len = 22 + RADIUS_AUTH_LEN;
	b->failed = false;
	return 0;
}

int radius_builder_add(struct radius_builder *b, uint8_t type, const void *val, size_t len)
{
	if (b->failed)
		return -1;
	if (len > RADIUS_MAX_ATTR_VALUE || b->cap - b->len < 2 + len) {
		b->failed = true;
		return -1;
	}
	b->buf[b->len] = type;
	b->buf[b->len + 1] = (uint8_t)(2 + len);
	if (len)
		memcpy(b->buf + b->len + 2, val, len);
	b->len += 2 + len;
	return 0;
}

int radius_builder_add_str(struct radius_builder *b, uint8_t type, const char *s)
{
	return radius_builder_add(b, type, s, strlen(s));
}

int radius_builder_add_u32(struct radius_builder *b, uint8_t type, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
	return radius_builder_add(b, type, x, 4);
}

int radius_builder_add_vsa(struct radius_builder *b, uint32_t vendor, uint8_t vtype,
			   const void *val, size_t len)
{
	uint8_t v[RADIUS_MAX_ATTR_VALUE];
	if (len > RADIUS_MAX_ATTR_VALUE - 6) {
		b->failed = true;
		return -1;
	}
	v[0] = (uint8_t)(vendor >> 24);
	v[1] = (uint8_t)(vendor >> 16);
	v[2] = (uint8_t)(vendor >> 8);
	v[3] = (uint8_t)vendor;
	v[4] = vtype;
	v[5] = (uint8_t)(2 + len);
	if (len)
		memcpy(v + 6, val, len);
	return radius_builder_add(b, RADIUS_ATTR_VENDOR_SPECIFIC, v, 6 + len);
}

/* RFC 2865 5.2: b1 = MD5(S + RA), c(1) = p1 xor b1; bi = MD5(S + c(i-1)). */
ssize_t radius_user_password_hide(const uint8_t *pw, size_t pw_len,
				  const uint8_t authenticator[RADIUS_AUTH_LEN],
				  const uint8_t *secret, size_t secret_len,
				  uint8_t out[RADIUS_MAX_PASSWORD])
{
	if (pw_len > RADIUS_MAX_PASSWORD)
		return -1;
	size_t n = pw_len ? (pw_len + 15) / 16 * 16 : 16;
	memset(out, 0, n);
	if (pw_len)
		memcpy(out, pw, pw_len);
	const uint8_t *prev = authenticator;
	for (size_t off = 0; off < n; off += 16) {
		struct md5_ctx ctx;
		uint8_t b[MD5_DIGEST_LEN];
		md5_init(&ctx);
		md5_update(&ctx, secret, secret_len);
		md5_update(&ctx, prev, 16);
		md5_final(&ctx, b);
		for (size_t i = 0; i < 16; i++)
			out[off + i] ^= b[i];
		prev = out + off;
	}
	return (ssize_t)n;
}

int radius_builder_add_user_password(struct radius_builder *b, const uint8_t *pw, size_t pw_len,
				     const uint8_t *secret, size_t secret_len)
{
	uint8_t hidden[RADIUS_MAX_PASSWORD];
	if (b->failed)
		return -1;
	ssize_t n = radius_user_password_hide(pw, pw_len, b->buf + 4, secret, secret_len, hidden);
	if (n < 0) {
		b->failed = true;
		return -1;
	}
	return radius_builder_add(b, RADIUS_ATTR_USER_PASSWORD, hidden, (size_t)n);
}

ssize_t radius_builder_finish(struct radius_builder *b, const uint8_t *secret, size_t secret_len)
{
	uint8_t mac[MD5_DIGEST_LEN];
	if (b->failed)
		return -1;
	be16_put(b->buf + 2, (uint16_t)b->len);
	/* RFC 3579 3.2: HMAC-MD5 over the whole packet with the Message-Authenticator
	 * zeroed; the authenticator field holds the Request Authenticator, or zeros
	 * for Accounting-Request whose authenticator depends on the packet. */
	memset(b->buf + b->msg_auth_off, 0, RADIUS_AUTH_LEN);
	hmac_md5(secret, secret_len, b->buf, b->len, mac);
	memcpy(b->buf + b->msg_auth_off, mac, RADIUS_AUTH_LEN);
	if (code_digest_request(b->buf[0])) {
		/* RFC 2866 3, RFC 5176 2.3: MD5(Code + Identifier + Length + 16 zero
		 * octets + request attributes + shared secret). */
		struct md5_ctx ctx;
		md5_init(&ctx);
		md5_update(&ctx, b->buf, b->len);
		md5_update(&ctx, secret, secret_len);
		md5_final(&ctx, b->buf + 4);
	}
	return (ssize_t)b->len;
}

ssize_t radius_builder_finish_response(struct radius_builder *b, const uint8_t *secret,
				       size_t secret_len)
{
	uint8_t mac[MD5_DIGEST_LEN];
	struct md5_ctx ctx;
	if (b->failed)
		return -1;
	be16_put(b->buf + 2, (uint16_t)b->len);
	memset(b->buf + b->msg_auth_off, 0, RADIUS_AUTH_LEN);
	hmac_md5(secret, secret_len, b->buf, b->len, mac);
	memcpy(b->buf + b->msg_auth_off, mac, RADIUS_AUTH_LEN);
	md5_init(&ctx);
	md5_update(&ctx, b->buf, b->len);
	md5_update(&ctx, secret, secret_len);
	md5_final(&ctx, b->buf + 4);
	return (ssize_t)b->len;
}

static int add_opt_str(struct radius_builder *b, uint8_t type, const char *s)
{
	return s && *s ? radius_builder_add_str(b, type, s) : 0;
}

/* The NAS block shared by Access-Request and Accounting-Request, in the order
 * both encoders have always written it (RFC 2865 5.4, 5.32, 5.5, 5.8.7, 5.41,
 * 5.6, 5.7; RFC 2869 5.17). NULL or empty means "absent": the optional fields
 * keep their own has_* flags in the public parameter structs, so the callers
 * turn those into pointers. Errors stay latched in the builder. */
static void add_nas_block(struct radius_builder *b, const struct in_addr *nas_ip,
			  const char *nas_identifier, const uint32_t *nas_port,
			  const char *nas_port_id, const uint32_t *nas_port_type,
			  bool framed_ppp)
{
	if (nas_ip)
		radius_builder_add(b, RADIUS_ATTR_NAS_IP_ADDRESS, &nas_ip->s_addr, 4);
	add_opt_str(b, RADIUS_ATTR_NAS_IDENTIFIER, nas_identifier);
	if (nas_port)
		radius_builder_add_u32(b, RADIUS_ATTR_NAS_PORT, *nas_port);
	add_opt_str(b, RADIUS_ATTR_NAS_PORT_ID, nas_port_id);
	if (nas_port_type)
		radius_builder_add_u32(b, RADIUS_ATTR_NAS_PORT_TYPE, *nas_port_type);
	if (framed_ppp) {
		radius_builder_add_u32(b, RADIUS_ATTR_SERVICE_TYPE, RADIUS_SERVICE_TYPE_FRAMED);
		radius_builder_add_u32(b, RADIUS_ATTR_FRAMED_PROTOCOL, RADIUS_FRAMED_PROTOCOL_PPP);
	}
}

/* RFC 2868 3: an integer tunnel attribute is a tag octet and 24 bits. */
static int add_tagged_u24(struct radius_builder *b, uint8_t type, uint8_t tag, uint32_t v)
{
	uint8_t x[4] = { tag, (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
	return radius_builder_add(b, type, x, 4);
}

/* RFC 2868 3: a string tunnel attribute's tag octet is optional; a receiver
 * takes a first octet of 0x01..0x1F as a tag, so one is sent whenever the
 * tag is set or the value could be misread. */
static int add_tagged_str(struct radius_builder *b, uint8_t type, uint8_t tag, const char *s)
{
	uint8_t v[RADIUS_MAX_ATTR_VALUE];
	size_t n;
	if (!s || !*s)
		return 0;
	n = strlen(s);
	if (tag == 0 && (uint8_t)s[0] > 0x1f)
		return radius_builder_add(b, type, s, n);
	if (n + 1 > sizeof(v)) {
		b->failed = true;
		return -1;
	}
	v[0] = tag;
	memcpy(v + 1, s, n);
	return radius_builder_add(b, type, v, n + 1);
}

/* Appends pre-encoded attributes; each one's length must tile the block. */
static void extra_put(struct radius_builder *b, const struct radius_extra_attrs *x)
{
	size_t off = 0;
	if (b->failed || x->len == 0)
		return;
	while (off < x->len) {
		if (x->len - off < 2 || x->buf[off + 1] < 2 || x->buf[off + 1] > x->len - off)
			goto fail;
		off += x->buf[off + 1];
	}
	if (x->len > sizeof(x->buf) || b->cap - b->len < x->len)
		goto fail;
	memcpy(b->buf + b->len, x->buf, x->len);
	b->len += x->len;
	return;
fail:
	b->failed = true;
}

ssize_t radius_access_request_encode(uint8_t *buf, size_t cap, uint8_t id,
				     const uint8_t authenticator[RADIUS_AUTH_LEN],
				     const struct radius_auth_params *p,
				     const uint8_t *secret, size_t secret_len)
{
	struct radius_builder b;
	if (radius_builder_init(&b, buf, cap, RADIUS_CODE_ACCESS_REQUEST, id, authenticator) < 0)
		return -1;
	add_opt_str(&b, RADIUS_ATTR_USER_NAME, p->user_name);
	if (p->user_password)
		radius_builder_add_user_password(&b, p->user_password, p->user_password_len,
						 secret, secret_len);
	if (p->chap_response) {
		/* RFC 2865 5.3: CHAP Ident + 16-octet response. */
		uint8_t chap[17];
		chap[0] = p->chap_id;
		memcpy(chap + 1, p->chap_response, 16);
		radius_builder_add(&b, RADIUS_ATTR_CHAP_PASSWORD, chap, sizeof(chap));
		/* RFC 2865 5.40: without it the server uses the Request Authenticator
		 * as the challenge, which is only right for 16-octet challenges we
		 * do not control; always send it. */
		if (p->chap_challenge && p->chap_challenge_len)
			radius_builder_add(&b, RADIUS_ATTR_CHAP_CHALLENGE, p->chap_challenge,
					   p->chap_challenge_len);
	}
	add_nas_block(&b, p->has_nas_ip ? &p->nas_ip : NULL, p->nas_identifier,
		      p->has_nas_port ? &p->nas_port : NULL, p->nas_port_id,
		      p->has_nas_port_type ? &p->nas_port_type : NULL, p->framed_ppp);
	add_opt_str(&b, RADIUS_ATTR_CALLING_STATION_ID, p->calling_station_id);
	add_opt_str(&b, RADIUS_ATTR_CALLED_STATION_ID, p->called_station_id);
	add_opt_str(&b, RADIUS_ATTR_ACCT_SESSION_ID, p->acct_session_id);
	extra_put(&b, &p->extra);
	return radius_builder_finish(&b, secret, secret_len);
}

/* The attributes of an Accounting-Request after the Message-Authenticator;
 * Acct-Delay-Time only when with_delay (the spool form leaves it out: it is
 * computed at each send). Errors stay latched in the builder. */
static void acct_add_attrs(struct radius_builder *b, const struct radius_acct_params *p, bool with_delay)
{
	radius_builder_add_u32(b, RADIUS_ATTR_ACCT_STATUS_TYPE, p->status_type);
	add_opt_str(b, RADIUS_ATTR_USER_NAME, p->user_name);
	add_opt_str(b, RADIUS_ATTR_ACCT_SESSION_ID, p->acct_session_id);
	add_nas_block(b, p->has_nas_ip ? &p->nas_ip : NULL, p->nas_identifier,
		      p->has_nas_port ? &p->nas_port : NULL, p->nas_port_id,
		      p->has_nas_port_type ? &p->nas_port_type : NULL, p->framed_ppp);
	if (p->has_framed_ip)
		radius_builder_add(b, RADIUS_ATTR_FRAMED_IP_ADDRESS, &p->framed_ip.s_addr, 4);
	add_opt_str(b, RADIUS_ATTR_CALLING_STATION_ID, p->calling_station_id);
	add_opt_str(b, RADIUS_ATTR_CALLED_STATION_ID, p->called_station_id);
	if (with_delay && p->delay_time)
		radius_builder_add_u32(b, RADIUS_ATTR_ACCT_DELAY_TIME, p->delay_time);
	if (p->has_counters) {
		radius_builder_add_u32(b, RADIUS_ATTR_ACCT_SESSION_TIME, p->session_time);
		radius_builder_add_u32(b, RADIUS_ATTR_ACCT_INPUT_OCTETS, (uint32_t)p->input_octets);
		radius_builder_add_u32(b, RADIUS_ATTR_ACCT_OUTPUT_OCTETS, (uint32_t)p->output_octets);
		/* RFC 2869 5.1/5.2: how many times the 32-bit counters wrapped. */
		if (p->input_octets >> 32)
			radius_builder_add_u32(b, RADIUS_ATTR_ACCT_INPUT_GIGAWORDS,
					       (uint32_t)(p->input_octets >> 32));
		if (p->output_octets >> 32)
			radius_builder_add_u32(b, RADIUS_ATTR_ACCT_OUTPUT_GIGAWORDS,
					       (uint32_t)(p->output_octets >> 32));
		radius_builder_add_u32(b, RADIUS_ATTR_ACCT_INPUT_PACKETS, p->input_packets);
		radius_builder_add_u32(b, RADIUS_ATTR_ACCT_OUTPUT_PACKETS, p->output_packets);
	}
	if (p->terminate_cause)
		radius_builder_add_u32(b, RADIUS_ATTR_ACCT_TERMINATE_CAUSE, p->terminate_cause);
	for (size_t i = 0; i < p->n_class && i < RADIUS_MAX_CLASS_ECHO; i++)
		if (p->class_val[i] && p->class_len[i])
			radius_builder_add(b, RADIUS_ATTR_CLASS, p->class_val[i], p->class_len[i]);
	if (p->tunnel) {
		/* RFC 2867 2: the tunnel attributes of RFC 2868, plus 4.1 */
		const struct radius_acct_tunnel *t = p->tunnel;
		add_tagged_u24(b, RADIUS_ATTR_TUNNEL_TYPE, t->tag, t->type);
		add_tagged_u24(b, RADIUS_ATTR_TUNNEL_MEDIUM_TYPE, t->tag, t->medium);
		add_tagged_str(b, RADIUS_ATTR_TUNNEL_CLIENT_ENDPOINT, t->tag, t->client_endpoint);
		add_tagged_str(b, RADIUS_ATTR_TUNNEL_SERVER_ENDPOINT, t->tag, t->server_endpoint);
		add_tagged_str(b, RADIUS_ATTR_TUNNEL_ASSIGNMENT_ID, t->tag, t->assignment_id);
		add_tagged_str(b, RADIUS_ATTR_TUNNEL_CLIENT_AUTH_ID, t->tag, t->client_auth_id);
		add_tagged_str(b, RADIUS_ATTR_TUNNEL_SERVER_AUTH_ID, t->tag, t->server_auth_id);
		add_opt_str(b, RADIUS_ATTR_ACCT_TUNNEL_CONNECTION, t->connection);
	}
	extra_put(b, &p->extra);        /* access-line attributes (RFC 4679) */
}

ssize_t radius_accounting_request_encode(uint8_t *buf, size_t cap, uint8_t id,
					 const struct radius_acct_params *p,
					 const uint8_t *secret, size_t secret_len)
{
	struct radius_builder b;
	if (radius_builder_init(&b, buf, cap, RADIUS_CODE_ACCOUNTING_REQUEST, id, NULL) < 0)
		return -1;
	acct_add_attrs(&b, p, true);
	return radius_builder_finish(&b, secret, secret_len);
}

ssize_t radius_acct_attrs_encode(uint8_t *buf, size_t cap, const struct radius_acct_params *p)
{
	uint8_t pkt[RADIUS_MAX_PACKET];
	struct radius_builder b;
	const size_t skip = RADIUS_HDR_LEN + 2 + RADIUS_AUTH_LEN;
	if (radius_builder_init(&b, pkt, sizeof(pkt), RADIUS_CODE_ACCOUNTING_REQUEST, 0, NULL) < 0)
		return -1;
	acct_add_attrs(&b, p, false);
	/* room for Acct-Delay-Time, added at each send */
	if (b.failed || b.len + 6 > RADIUS_MAX_PACKET || b.len - skip > cap)
		return -1;
	memcpy(buf, pkt + skip, b.len - skip);
	return (ssize_t)(b.len - skip);
}

/* Walks an attribute list; returns 0 when every length is sound, else -1. */
static int attrs_check(const uint8_t *a, size_t len)
{
	size_t off = 0;
	while (off < len) {
		if (len - off < 2 || a[off + 1] < 2 || a[off + 1] > len - off)
			return -1;
		off += a[off + 1];
	}
	return 0;
}

ssize_t radius_accounting_request_from_attrs(uint8_t *buf, size_t cap, uint8_t id, const uint8_t *attrs,
					     size_t attrs_len, uint32_t delay_time,
					     const uint8_t *secret, size_t secret_len)
{
	struct radius_builder b;
	if (attrs_check(attrs, attrs_len) < 0)
		return -1;
	if (radius_builder_init(&b, buf, cap, RADIUS_CODE_ACCOUNTING_REQUEST, id, NULL) < 0)
		return -1;
	if (b.cap - b.len < attrs_len)
		return -1;
	memcpy(b.buf + b.len, attrs, attrs_len);
	b.len += attrs_len;
	if (delay_time)
		radius_builder_add_u32(&b, RADIUS_ATTR_ACCT_DELAY_TIME, delay_time);
	return radius_builder_finish(&b, secret, secret_len);
}

int radius_acct_attrs_find(const uint8_t *attrs, size_t len, uint8_t type, const uint8_t **val, size_t *vlen)
{
	size_t off = 0;
	while (off + 2 <= len && attrs[off + 1] >= 2 && attrs[off + 1] <= len - off) {
		if (attrs[off] == type) {
			*val = attrs + off + 2;
			*vlen = attrs[off + 1] - 2u;
			return 1;
		}
		off += attrs[off + 1];
	}
	return 0;
}

uint32_t radius_acct_attrs_status(const uint8_t *attrs, size_t len)
{
	const uint8_t *v;
	size_t n;
	if (!radius_acct_attrs_find(attrs, len, RADIUS_ATTR_ACCT_STATUS_TYPE, &v, &n) || n != 4)
		return 0;
	return be32_get(v);
}

static int raw_add_u32(uint8_t *out, size_t cap, size_t *off, uint8_t type, uint32_t v)
{
	if (cap - *off < 6)
		return -1;
	out[*off] = type;
	out[*off + 1] = 6;
	out[*off + 2] = (uint8_t)(v >> 24);
	out[*off + 3] = (uint8_t)(v >> 16);
	out[*off + 4] = (uint8_t)(v >> 8);
	out[*off + 5] = (uint8_t)v;
	*off += 6;
	return 0;
}

ssize_t radius_acct_attrs_to_stop(const uint8_t *in, size_t len, uint32_t cause, uint8_t *out, size_t cap)
{
	size_t off = 0, o = 0;
	bool has_time = false;
	if (attrs_check(in, len) < 0)
		return -1;
	if (raw_add_u32(out, cap, &o, RADIUS_ATTR_ACCT_STATUS_TYPE, RADIUS_ACCT_STATUS_STOP) < 0)
		return -1;
	while (off < len) {
		uint8_t type = in[off], alen = in[off + 1];
		if (type == RADIUS_ATTR_ACCT_SESSION_TIME)
			has_time = true;
		if (type != RADIUS_ATTR_ACCT_STATUS_TYPE && type != RADIUS_ATTR_ACCT_TERMINATE_CAUSE &&
		    type != RADIUS_ATTR_ACCT_DELAY_TIME && type != RADIUS_ATTR_MESSAGE_AUTHENTICATOR) {
			if (cap - o < alen)
				return -1;
			memcpy(out + o, in + off, alen);
			o += alen;
		}
		off += alen;
	}
	if (!has_time) {
		/* from a Start: nothing was counted yet (RFC 2866 5.7, 5.3-5.4, 5.8-5.9) */
		static const uint8_t zero_types[] = { RADIUS_ATTR_ACCT_SESSION_TIME, RADIUS_ATTR_ACCT_INPUT_OCTETS,
						      RADIUS_ATTR_ACCT_OUTPUT_OCTETS, RADIUS_ATTR_ACCT_INPUT_PACKETS,
						      RADIUS_ATTR_ACCT_OUTPUT_PACKETS };
		for (size_t i = 0; i < sizeof(zero_types); i++)
			if (raw_add_u32(out, cap, &o, zero_types[i], 0) < 0)
				return -1;
	}
	if (raw_add_u32(out, cap, &o, RADIUS_ATTR_ACCT_TERMINATE_CAUSE, cause) < 0)
		return -1;
	if (o + RADIUS_HDR_LEN + 2 + RADIUS_AUTH_LEN + 6 > RADIUS_MAX_PACKET)
		return -1;
	return (ssize_t)o;
}

/* ---- walking and verifying ---- */

void radius_attr_iter_init(struct radius_attr_iter *it, const uint8_t *pkt, size_t pkt_len)
{
	it->p = pkt + RADIUS_HDR_LEN;
	it->left = pkt_len > RADIUS_HDR_LEN ? pkt_len - RADIUS_HDR_LEN : 0;
	it->offset = RADIUS_HDR_LEN;
}

int radius_attr_next(struct radius_attr_iter *it, uint8_t *type, const uint8_t **val,
		     size_t *len, struct radius_err *err)
{
	if (it->left == 0)
		return 0;
	if (it->left < 2)
		return set_err(err, "attribute header truncated", it->offset);
	size_t alen = it->p[1];
	if (alen < 2)
		return set_err(err, "attribute length below 2", it->offset);
	if (alen > it->left)
		return set_err(err, "attribute overruns packet", it->offset);
	*type = it->p[0];
	*val = it->p + 2;
	*len = alen - 2;
	it->p += alen;
	it->left -= alen;
	it->offset += alen;
	return 1;
}

ssize_t radius_packet_check(const uint8_t *pkt, size_t len, struct radius_err *err)
{
	if (len < RADIUS_HDR_LEN)
		return set_err(err, "shorter than the RADIUS header", len);
	size_t plen = (size_t)pkt[2] << 8 | pkt[3];
	if (plen < RADIUS_HDR_LEN || plen > RADIUS_MAX_PACKET)
		return set_err(err, "length field out of range", 2);
	if (plen > len)
		return set_err(err, "packet shorter than its length field", len);
	struct radius_attr_iter it;
	uint8_t type;
	const uint8_t *val;
	size_t alen;
	int r;
	radius_attr_iter_init(&it, pkt, plen);
	while ((r = radius_attr_next(&it, &type, &val, &alen, err)) > 0)
		;
	return r < 0 ? -1 : (ssize_t)plen;
}

/* Finds the single Message-Authenticator. Returns its value offset, 0 if
 * absent, -1 if duplicated or of the wrong length. */
static ssize_t find_msg_auth(const uint8_t *pkt, size_t plen, struct radius_err *err)
{
	struct radius_attr_iter it;
	uint8_t type;
	const uint8_t *val;
	size_t alen;
	ssize_t found = 0;
	radius_attr_iter_init(&it, pkt, plen);
	while (radius_attr_next(&it, &type, &val, &alen, err) > 0) {
		if (type != RADIUS_ATTR_MESSAGE_AUTHENTICATOR)
			continue;
		if (alen != RADIUS_AUTH_LEN)
			return set_err(err, "message-authenticator has the wrong length",
				       (size_t)(val - pkt));
		if (found)
			return set_err(err, "more than one message-authenticator",
				       (size_t)(val - pkt));
		found = val - pkt;
	}
	return found;
}

/* Constant time, so a forger learns nothing from timing. */
static bool mem_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
	return bytes_equal_ct(a, b, n) == 1;
}

static ssize_t response_verify(const uint8_t *pkt, size_t len,
			       const uint8_t req_auth[RADIUS_AUTH_LEN],
			       const uint8_t *secret, size_t secret_len, bool require_msg_auth,
			       struct radius_err *err)
{
	uint8_t copy[RADIUS_MAX_PACKET];
	uint8_t digest[MD5_DIGEST_LEN];
	struct md5_ctx ctx;
	ssize_t plen = radius_packet_check(pkt, len, err);
	if (plen < 0)
		return -1;
	/* RFC 2865 3: MD5(Code+ID+Length+RequestAuth+Attributes+Secret). */
	md5_init(&ctx);
	md5_update(&ctx, pkt, 4);
	md5_update(&ctx, req_auth, RADIUS_AUTH_LEN);
	md5_update(&ctx, pkt + RADIUS_HDR_LEN, (size_t)plen - RADIUS_HDR_LEN);
	md5_update(&ctx, secret, secret_len);
	md5_final(&ctx, digest);
	if (!mem_equal(digest, pkt + 4, RADIUS_AUTH_LEN))
		return set_err_kind(err, RADIUS_ERR_AUTHENTICATOR,
				    "response authenticator mismatch (wrong secret or not our request)", 4);
	ssize_t ma = find_msg_auth(pkt, (size_t)plen, err);
	if (ma < 0)
		return -1;
	if (ma == 0) {
		if (!require_msg_auth)
			return plen;
		return set_err_kind(err, RADIUS_ERR_NO_MSG_AUTH,
				    "no message-authenticator in the response", RADIUS_HDR_LEN);
	}
	/* RFC 3579 3.2: HMAC over the response with the Request Authenticator in
	 * place of the Response Authenticator and the attribute's value zeroed. */
	memcpy(copy, pkt, (size_t)plen);
	memcpy(copy + 4, req_auth, RADIUS_AUTH_LEN);
	memset(copy + ma, 0, RADIUS_AUTH_LEN);
	hmac_md5(secret, secret_len, copy, (size_t)plen, digest);
	if (!mem_equal(digest, pkt + ma, RADIUS_AUTH_LEN))
		return set_err_kind(err, RADIUS_ERR_MSG_AUTH, "message-authenticator mismatch",
				    (size_t)ma);
	return plen;
}

ssize_t radius_response_verify_ext(const uint8_t *pkt, size_t len,
				   const uint8_t req_auth[RADIUS_AUTH_LEN],
				   const uint8_t *secret, size_t secret_len, bool require_msg_auth,
				   struct radius_err *err)
{
	return response_verify(pkt, len, req_auth, secret, secret_len, require_msg_auth, err);
}

ssize_t radius_response_verify(const uint8_t *pkt, size_t len,
			       const uint8_t req_auth[RADIUS_AUTH_LEN],
			       const uint8_t *secret, size_t secret_len, struct radius_err *err)
{
	return response_verify(pkt, len, req_auth, secret, secret_len, true, err);
}

ssize_t radius_accounting_response_verify(const uint8_t *pkt, size_t len,
					  const uint8_t req_auth[RADIUS_AUTH_LEN],
					  const uint8_t *secret, size_t secret_len,
					  struct radius_err *err)
{
	ssize_t plen = response_verify(pkt, len, req_auth, secret, secret_len, false, err);
	if (plen >= 0 && pkt[0] != RADIUS_CODE_ACCOUNTING_RESPONSE)
		return set_err(err, "not an accounting-response", 0);
	return plen;
}

ssize_t radius_request_verify_ext(const uint8_t *pkt, size_t len, const uint8_t *secret,
				  size_t secret_len, bool require_msg_auth, bool *has_msg_auth,
				  struct radius_err *err)
{
	uint8_t copy[RADIUS_MAX_PACKET];
	uint8_t digest[MD5_DIGEST_LEN];
	if (has_msg_auth)
		*has_msg_auth = false;
	ssize_t plen = radius_packet_check(pkt, len, err);
	if (plen < 0)
		return -1;
	ssize_t ma = find_msg_auth(pkt, (size_t)plen, err);
	if (ma < 0)
		return -1;
	if (ma == 0 && require_msg_auth)
		return set_err_kind(err, RADIUS_ERR_NO_MSG_AUTH,
				    "no message-authenticator in the request", RADIUS_HDR_LEN);
	memcpy(copy, pkt, (size_t)plen);
	if (code_digest_request(pkt[0])) {
		/* RFC 2866 3, RFC 5176 2.3: MD5 over the packet with a zero
		 * authenticator. */
		struct md5_ctx ctx;
		memset(copy + 4, 0, RADIUS_AUTH_LEN);
		md5_init(&ctx);
		md5_update(&ctx, copy, (size_t)plen);
		md5_update(&ctx, secret, secret_len);
		md5_final(&ctx, digest);
		if (!mem_equal(digest, pkt + 4, RADIUS_AUTH_LEN))
			return set_err_kind(err, RADIUS_ERR_AUTHENTICATOR,
					    "request authenticator mismatch", 4);
	}
	if (ma == 0)
		return plen;
	memset(copy + ma, 0, RADIUS_AUTH_LEN);
	hmac_md5(secret, secret_len, copy, (size_t)plen, digest);
	if (!mem_equal(digest, pkt + ma, RADIUS_AUTH_LEN))
		return set_err_kind(err, RADIUS_ERR_MSG_AUTH, "message-authenticator mismatch",
				    (size_t)ma);
	if (has_msg_auth)
		*has_msg_auth = true;
	return plen;
}

ssize_t radius_request_verify(const uint8_t *pkt, size_t len, const uint8_t *secret,
			      size_t secret_len, struct radius_err *err)
{
	return radius_request_verify_ext(pkt, len, secret, secret_len, true, NULL, err);
}

/* RFC 2868 3.5: b(1) = MD5(S + R + A), p(i) = c(i) xor b(i),
 * b(i) = MD5(S + c(i-1)); the first plaintext octet is the password length. */
ssize_t radius_tunnel_password_decrypt(const uint8_t *val, size_t len,
				       const uint8_t req_auth[RADIUS_AUTH_LEN],
				       const uint8_t *secret, size_t secret_len,
				       uint8_t out[RADIUS_MAX_ATTR_VALUE], struct radius_err *err)
{
	uint8_t plain[RADIUS_MAX_ATTR_VALUE];
	if (len < 2 + 16)
		return set_err(err, "tunnel-password too short", 0);
	if (len > RADIUS_MAX_ATTR_VALUE)
		return set_err(err, "tunnel-password longer than an attribute", 0);
	const uint8_t *salt = val;
	const uint8_t *c = val + 2;
	size_t clen = len - 2;
	if (clen % 16 != 0)
		return set_err(err, "tunnel-password not a multiple of 16 octets", 2);
	/* RFC 2868 3.5 makes the sender set the salt's high bit (so salts stay
	 * unique); it changes nothing for decryption, so a server that forgets it
	 * is not refused. */
	for (size_t off = 0; off < clen; off += 16) {
		struct md5_ctx ctx;
		uint8_t b[MD5_DIGEST_LEN];
		md5_init(&ctx);
		md5_update(&ctx, secret, secret_len);
		if (off == 0) {
			md5_update(&ctx, req_auth, RADIUS_AUTH_LEN);
			md5_update(&ctx, salt, 2);
		} else {
			md5_update(&ctx, c + off - 16, 16);
		}
		md5_final(&ctx, b);
		for (size_t i = 0; i < 16; i++)
			plain[off + i] = c[off + i] ^ b[i];
	}
	size_t plen = plain[0];
	if (plen > clen - 1)
		return set_err(err, "tunnel-password length octet exceeds its data", 2);
	memcpy(out, plain + 1, plen);
	return (ssize_t)plen;
}

int radius_endpoint_parse(const char *s, uint16_t default_port, struct sockaddr_storage *out,
			  socklen_t *out_len)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port_s = NULL;
	size_t hlen;
	memset(out, 0, sizeof(*out));
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close)
			return -1;
		hlen = (size_t)(close - s - 1);
		if (close[1] == ':')
			port_s = close + 2;
		else if (close[1] != '\0')
			return -1;
		s++;
	} else {
		const char *colon = strchr(s, ':');
		if (colon && strchr(colon + 1, ':'))
			colon = NULL;   /* bare IPv6 literal: no port */
		hlen = colon ? (size_t)(colon - s) : strlen(s);
		if (colon)
			port_s = colon + 1;
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return -1;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	unsigned long port = default_port;
	if (port_s) {
		char *end;
		if (*port_s < '0' || *port_s > '9')
			return -1;
		port = strtoul(port_s, &end, 10);
		if (*end != '\0' || port == 0 || port > 65535)
			return -1;
	}
	struct sockaddr_in *sin = (struct sockaddr_in *)out;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)out;
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*out_len = sizeof(*sin);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*out_len = sizeof(*sin6);
		return AF_INET6;
	}
	return -1;
}

/* ---- decoding a reply ---- */

/* Per-tag bookkeeping while collecting a group (RFC 2868 3.1). */
struct tunnel_scratch {
	uint32_t seen;          /* bit per attribute kind below */
	const char *bad;        /* first reason the group is unusable */
};

enum tunnel_field {
	TF_TYPE, TF_MEDIUM, TF_CLIENT_EP, TF_SERVER_EP, TF_PASSWORD, TF_PREFERENCE,
	TF_ASSIGNMENT, TF_CLIENT_AUTH, TF_SERVER_AUTH,
};

/* Copies a tunnel string into a C string; an embedded NUL is refused because
 * these become L2TP Host Names and endpoint literals. */
static const char *copy_tunnel_str(char *dst, const uint8_t *v, size_t n)
{
	if (memchr(v, 0, n))
		return "NUL inside a tunnel string";
	memcpy(dst, v, n);
	dst[n] = '\0';
	return NULL;
}

static void tunnel_mark(struct tunnel_scratch *ts, enum tunnel_field f, const char *bad)
{
	if (ts->seen & (1u << f)) {
		/* RFC 2868 gives no meaning to two values of one attribute in a
		 * group, so the group is inconsistent rather than guessed at. */
		if (!ts->bad)
			ts->bad = "attribute repeated within the group";
	}
	ts->seen |= 1u << f;
	if (bad && !ts->bad)
		ts->bad = bad;
}

/* Collects one tunnel attribute into out->tunnels[tag]. Returns 0 if it was a
 * tunnel attribute, 1 if not. */
static int tunnel_collect(uint8_t type, const uint8_t *val, size_t len,
			  const uint8_t req_auth[RADIUS_AUTH_LEN], const uint8_t *secret,
			  size_t secret_len, struct radius_reply *out,
			  struct tunnel_scratch scratch[RADIUS_MAX_TUNNELS])
{
	uint8_t tag = 0;
	enum tunnel_field f;
	bool always_tagged = false;

	switch (type) {
	case RADIUS_ATTR_TUNNEL_TYPE: f = TF_TYPE; always_tagged = true; break;
	case RADIUS_ATTR_TUNNEL_MEDIUM_TYPE: f = TF_MEDIUM; always_tagged = true; break;
	case RADIUS_ATTR_TUNNEL_PREFERENCE: f = TF_PREFERENCE; always_tagged = true; break;
	case RADIUS_ATTR_TUNNEL_PASSWORD: f = TF_PASSWORD; always_tagged = true; break;
	case RADIUS_ATTR_TUNNEL_CLIENT_ENDPOINT: f = TF_CLIENT_EP; break;
	case RADIUS_ATTR_TUNNEL_SERVER_ENDPOINT: f = TF_SERVER_EP; break;
	case RADIUS_ATTR_TUNNEL_ASSIGNMENT_ID: f = TF_ASSIGNMENT; break;
	case RADIUS_ATTR_TUNNEL_CLIENT_AUTH_ID: f = TF_CLIENT_AUTH; break;
	case RADIUS_ATTR_TUNNEL_SERVER_AUTH_ID: f = TF_SERVER_AUTH; break;
	default: return 1;
	}
	if (len == 0) {
		/* Without a tag octet we cannot even tell which group it spoils:
		 * charge it to the untagged group. */
		tunnel_mark(&scratch[0], f, "empty tunnel attribute");
		return 0;
	}
	if (always_tagged) {
		/* RFC 2868 3.1/3.2/3.5/3.8: the tag octet is always there; values
		 * above 0x1F mean "no tag". */
		tag = val[0] <= 0x1F ? val[0] : 0;
		val++;
		len--;
	} else if (val[0] <= 0x1F) {
		/* RFC 2868 3.3 etc.: for strings a first octet <= 0x1F is a tag,
		 * anything above it is the first character of the string. */
		tag = val[0];
		val++;
		len--;
	}
	struct radius_tunnel *t = &out->tunnels[tag];
	struct tunnel_scratch *ts = &scratch[tag];
	const char *bad = NULL;
	struct radius_err perr;
	ssize_t n;

	switch (f) {
	case TF_TYPE:
	case TF_MEDIUM:
	case TF_PREFERENCE:
		if (len != 3) {
			bad = "tunnel integer attribute is not 3 octets after its tag";
			break;
		}
		uint32_t v = (uint32_t)val[0] << 16 | (uint32_t)val[1] << 8 | val[2];
		if (f == TF_TYPE)
			t->type = v;
		else if (f == TF_MEDIUM)
			t->medium = v;
		else {
			t->preference = v;
			t->has_preference = true;
		}
		break;
	case TF_PASSWORD:
		n = radius_tunnel_password_decrypt(val, len, req_auth, secret, secret_len,
						   t->password, &perr);
		if (n < 0) {
			bad = perr.msg;
			break;
		}
		t->password_len = (size_t)n;
		t->has_password = true;
		break;
	case TF_CLIENT_EP:
		bad = copy_tunnel_str(t->client_endpoint, val, len);
		break;
	case TF_SERVER_EP:
		bad = copy_tunnel_str(t->endpoint, val, len);
		break;
	case TF_ASSIGNMENT:
		bad = copy_tunnel_str(t->assignment_id, val, len);
		break;
	case TF_CLIENT_AUTH:
		bad = copy_tunnel_str(t->client_auth_id, val, len);
		break;
	case TF_SERVER_AUTH:
		bad = copy_tunnel_str(t->server_auth_id, val, len);
		break;
	}
	tunnel_mark(ts, f, bad);
	return 0;
}

/* Validates one collected group for use as an L2TP LNS. Returns NULL or why
 * not. */
static const char *tunnel_validate(struct radius_tunnel *t, const struct tunnel_scratch *ts)
{
	if (ts->bad)
		return ts->bad;
	if (!(ts->seen & (1u << TF_TYPE)))
		return "no tunnel-type";
	if (t->type != RADIUS_TUNNEL_TYPE_L2TP)
		return "tunnel-type is not L2TP";
	if (!(ts->seen & (1u << TF_SERVER_EP)) || t->endpoint[0] == '\0')
		return "no tunnel-server-endpoint";
	int af = radius_endpoint_parse(t->endpoint, L2TP_DEFAULT_PORT, &t->addr, &t->addr_len);
	if (af < 0)
		return "tunnel-server-endpoint is not an IP literal (host names are not resolved)";
	uint32_t want = af == AF_INET ? RADIUS_TUNNEL_MEDIUM_IPV4 : RADIUS_TUNNEL_MEDIUM_IPV6;
	if (ts->seen & (1u << TF_MEDIUM)) {
		if (t->medium != want)
			return "tunnel-medium-type does not match the endpoint's address family";
	} else {
		/* RFC 2868 3.2 makes it mandatory alongside an endpoint, but the
		 * literal already says which family; accept and fill it in. */
		t->medium = want;
	}
	if (!t->has_preference)
		t->preference = UINT32_MAX;
	return NULL;
}

static int tunnel_cmp(const void *a, const void *b)
{
	const struct radius_tunnel *x = a, *y = b;
	if (x->preference != y->preference)
		return x->preference < y->preference ? -1 : 1;
	return x->tag < y->tag ? -1 : x->tag > y->tag;
}

/* Orders by preference (qsort is not stable, so the tag breaks ties first),
 * then Fisher-Yates shuffles each run of equal preference: RFC 2868 3.8 wants
 * equal preferences to share the load. */
static void tunnels_order(struct radius_reply *out, radius_rng_fn rng, void *rng_arg)
{
	qsort(out->tunnels, out->n_tunnels, sizeof(out->tunnels[0]), tunnel_cmp);
	if (!rng)
		return;
	size_t start = 0;
	while (start < out->n_tunnels) {
		size_t end = start + 1;
		while (end < out->n_tunnels &&
		       out->tunnels[end].preference == out->tunnels[start].preference)
			end++;
		for (size_t i = end - 1; i > start; i--) {
			size_t j = start + rng(rng_arg) % (i - start + 1);
			if (j != i) {
				struct radius_tunnel tmp = out->tunnels[i];
				out->tunnels[i] = out->tunnels[j];
				out->tunnels[j] = tmp;
			}
		}
		start = end;
	}
}

/* One Cisco-AVPair value (not NUL-terminated): only the access-line switch
 * is ours; every other pair is another feature's business. */
static void decode_cisco_avpair(const uint8_t *v, size_t len, struct radius_reply *out)
{
	static const char key[] = RADIUS_AVPAIR_LINE_INFO_FORWARDING "=";
	size_t klen = sizeof(key) - 1;

	if (len <= klen || memcmp(v, key, klen) != 0)
		return;
	v += klen;
	len -= klen;
	if ((len == 1 && v[0] == '1') || (len == 3 && memcmp(v, "yes", 3) == 0))
		out->line_info_forwarding = true;
	else if ((len == 1 && v[0] == '0') || (len == 2 && memcmp(v, "no", 2) == 0))
		out->line_info_forwarding = false;
}

/* Cisco's VSAs use the RFC 2865 5.26 suggested layout (type, length, value);
 * a sub-attribute that does not fit ends the walk: what is malformed there is
 * not ours to refuse the whole Accept for. */
static void decode_cisco_vsa(const uint8_t *val, size_t len, struct radius_reply *out)
{
	size_t i = 4;

	while (len - i >= 2 && val[i + 1] >= 2 && val[i + 1] <= len - i) {
		if (val[i] == RADIUS_CISCO_AVPAIR)
			decode_cisco_avpair(val + i + 2, (size_t)val[i + 1] - 2, out);
		i += val[i + 1];
	}
}

static int decode_vsa(const uint8_t *val, size_t len, size_t off, struct radius_reply *out,
		      struct radius_err *err)
{
	if (len < 4)
		return set_err(err, "vendor-specific shorter than its vendor id", off);
	if (be32_get(val) == RADIUS_VENDOR_CISCO) {
		decode_cisco_vsa(val, len, out);
		return 0;
	}
	if (be32_get(val) != RADIUS_VENDOR_MICROSOFT)
		return 0;       /* other vendors' layouts vary; not ours to judge */
	size_t i = 4;
	while (i < len) {
		if (len - i < 2 || val[i + 1] < 2 || val[i + 1] > len - i)
			return set_err(err, "malformed microsoft vendor attribute", off + i);
		uint8_t vt = val[i];
		size_t vl = (size_t)val[i + 1] - 2;
		const uint8_t *vv = val + i + 2;
		if (vt == RADIUS_MS_PRIMARY_DNS_SERVER || vt == RADIUS_MS_SECONDARY_DNS_SERVER) {
			if (vl != 4)
				return set_err(err, "ms dns server is not 4 octets", off + i);
			unsigned slot = vt == RADIUS_MS_PRIMARY_DNS_SERVER ? 0 : 1;
			memcpy(&out->dns[slot].s_addr, vv, 4);
			if (out->n_dns < slot + 1)
				out->n_dns = slot + 1;
		}
		i += 2 + vl;
	}
	return 0;
}

int radius_reply_decode(const uint8_t *pkt, size_t len, const uint8_t req_auth[RADIUS_AUTH_LEN],
			const uint8_t *secret, size_t secret_len, radius_rng_fn rng, void *rng_arg,
			struct radius_reply *out, struct radius_err *err)
{
	struct tunnel_scratch scratch[RADIUS_MAX_TUNNELS];
	struct radius_attr_iter it;
	uint8_t type;
	const uint8_t *val;
	size_t alen, msg_len = 0;
	int r;

	ssize_t plen = radius_response_verify(pkt, len, req_auth, secret, secret_len, err);
	if (plen < 0)
		return -1;
	if (pkt[0] != RADIUS_CODE_ACCESS_ACCEPT && pkt[0] != RADIUS_CODE_ACCESS_REJECT &&
	    pkt[0] != RADIUS_CODE_ACCESS_CHALLENGE)
		return set_err(err, "not an access response", 0);
	memset(out, 0, sizeof(*out));
	memset(scratch, 0, sizeof(scratch));
	out->code = pkt[0];
	out->id = pkt[1];

	radius_attr_iter_init(&it, pkt, (size_t)plen);
	while ((r = radius_attr_next(&it, &type, &val, &alen, err)) > 0) {
		size_t off = (size_t)(val - pkt);
		switch (type) {
		case RADIUS_ATTR_REPLY_MESSAGE:
			for (size_t i = 0; i < alen && msg_len + 1 < sizeof(out->reply_message); i++)
				if (val[i] != '\0')
					out->reply_message[msg_len++] = (char)val[i];
			break;
		case RADIUS_ATTR_FRAMED_IP_ADDRESS:
		case RADIUS_ATTR_FRAMED_IP_NETMASK:
			if (alen != 4)
				return set_err(err, "framed address is not 4 octets", off);
			if (type == RADIUS_ATTR_FRAMED_IP_ADDRESS) {
				memcpy(&out->framed_ip.s_addr, val, 4);
				out->has_framed_ip = true;
			} else {
				memcpy(&out->framed_netmask.s_addr, val, 4);
				out->has_framed_netmask = true;
			}
			break;
		case RADIUS_ATTR_SESSION_TIMEOUT:
		case RADIUS_ATTR_IDLE_TIMEOUT:
		case RADIUS_ATTR_ACCT_INTERIM_INTERVAL:
			if (alen != 4)
				return set_err(err, "integer attribute is not 4 octets", off);
			if (type == RADIUS_ATTR_SESSION_TIMEOUT) {
				out->session_timeout = be32_get(val);
				out->has_session_timeout = true;
			} else if (type == RADIUS_ATTR_IDLE_TIMEOUT) {
				out->idle_timeout = be32_get(val);
				out->has_idle_timeout = true;
			} else {
				out->acct_interim_interval = be32_get(val);
				out->has_acct_interim_interval = true;
			}
			break;
		case RADIUS_ATTR_CLASS:
			/* RFC 2865 5.25: echoed unmodified in accounting. */
			if (out->n_class < RADIUS_MAX_CLASS) {
				memcpy(out->class_val[out->n_class], val, alen);
				out->class_len[out->n_class++] = alen;
			}
			break;
		case RADIUS_ATTR_VENDOR_SPECIFIC:
			if (decode_vsa(val, alen, off, out, err) < 0)
				return -1;
			break;
		default:
			tunnel_collect(type, val, alen, req_auth, secret, secret_len, out, scratch);
			break;
		}
	}
	if (r < 0)
		return -1;
	out->reply_message[msg_len] = '\0';

	/* Validate each group that has any attribute, compacting valid ones to
	 * the front (j <= i always, so the copy never overwrites a pending group). */
	size_t j = 0;
	for (size_t tag = 0; tag < RADIUS_MAX_TUNNELS; tag++) {
		if (!scratch[tag].seen)
			continue;
		const char *why = tunnel_validate(&out->tunnels[tag], &scratch[tag]);
		if (why) {
			out->dropped[out->n_dropped].tag = (uint8_t)tag;
			out->dropped[out->n_dropped++].reason = why;
			continue;
		}
		out->tunnels[tag].tag = (uint8_t)tag;
		if (j != tag)
			out->tunnels[j] = out->tunnels[tag];
		j++;
	}
	out->n_tunnels = j;
	tunnels_order(out, rng, rng_arg);
	return 0;
}
