/* PPPoE codec (RFC 2516 4-6 and Appendix A; RFC 4638 4). See pppoe_codec.h. */
#include "access/pppoe_codec.h"

#include <stdio.h>
#include <string.h>

#include "util/be.h"

const char *pppoe_code_str(unsigned code)
{
	switch (code) {
	case PPPOE_CODE_SESSION: return "session";
	case PPPOE_CODE_PADO: return "pado";
	case PPPOE_CODE_PADI: return "padi";
	case PPPOE_CODE_PADR: return "padr";
	case PPPOE_CODE_PADS: return "pads";
	case PPPOE_CODE_PADT: return "padt";
	}
	return "unknown";
}

const char *pppoe_tag_str(unsigned tag)
{
	switch (tag) {
	case PPPOE_TAG_END_OF_LIST: return "end-of-list";
	case PPPOE_TAG_SERVICE_NAME: return "service-name";
	case PPPOE_TAG_AC_NAME: return "ac-name";
	case PPPOE_TAG_HOST_UNIQ: return "host-uniq";
	case PPPOE_TAG_AC_COOKIE: return "ac-cookie";
	case PPPOE_TAG_VENDOR_SPECIFIC: return "vendor-specific";
	case PPPOE_TAG_RELAY_SESSION_ID: return "relay-session-id";
	case PPPOE_TAG_PPP_MAX_PAYLOAD: return "ppp-max-payload";
	case PPPOE_TAG_SERVICE_NAME_ERROR: return "service-name-error";
	case PPPOE_TAG_AC_SYSTEM_ERROR: return "ac-system-error";
	case PPPOE_TAG_GENERIC_ERROR: return "generic-error";
	}
	return "unknown";
}

const char *pppoe_err_str(enum pppoe_err err)
{
	switch (err) {
	case PPPOE_ERR_NONE: return "none";
	case PPPOE_ERR_SHORT_ETH: return "short-ethernet-header";
	case PPPOE_ERR_ETHERTYPE: return "ethertype";
	case PPPOE_ERR_SHORT_HEADER: return "short-pppoe-header";
	case PPPOE_ERR_VERSION: return "version";
	case PPPOE_ERR_CODE: return "code";
	case PPPOE_ERR_LENGTH: return "length";
	case PPPOE_ERR_SHORT_TAG: return "short-tag";
	case PPPOE_ERR_TAG_LENGTH: return "tag-length";
	case PPPOE_ERR_TAG_VALUE: return "tag-value";
	case PPPOE_ERR_TOO_MANY_TAGS: return "too-many-tags";
	case PPPOE_ERR_SESSION_ID: return "session-id";
	case PPPOE_ERR_MAC: return "source-mac";
	case PPPOE_ERR_NO_SPACE: return "no-space";
	case PPPOE_ERR_TOO_LONG: return "too-long";
	case PPPOE_ERR_VLAN: return "vlan";
	}
	return "unknown";
}

int pppoe_frame_ethertype(const uint8_t *frame, size_t len)
{
	if (len < PPPOE_ETH_HLEN)
		return -1;
	return be16_get(frame + 12);
}

/* Common head of both frame kinds: Ethernet header, then the 6-octet PPPoE
 * header (RFC 2516 4). On success, payload and payload_len describe the LENGTH
 * octets after the header, and code and sid are filled. */
static int header_decode(const uint8_t *frame, size_t len, uint16_t ethertype,
			 uint8_t dst[PPPOE_ETH_ALEN], uint8_t src[PPPOE_ETH_ALEN],
			 uint8_t *code, uint16_t *sid, const uint8_t **payload,
			 uint16_t *payload_len, enum pppoe_err *err)
{
	if (len < PPPOE_ETH_HLEN) {
		*err = PPPOE_ERR_SHORT_ETH;
		return -1;
	}
	if (be16_get(frame + 12) != ethertype) {
		*err = PPPOE_ERR_ETHERTYPE;
		return -1;
	}
	memcpy(dst, frame, PPPOE_ETH_ALEN);
	memcpy(src, frame + 6, PPPOE_ETH_ALEN);
	/* A group address as source is never a real station (IEEE 802.3 3.2.3). */
	if (src[0] & 0x01) {
		*err = PPPOE_ERR_MAC;
		return -1;
	}
	const uint8_t *p = frame + PPPOE_ETH_HLEN;
	size_t left = len - PPPOE_ETH_HLEN;
	if (left < PPPOE_HLEN) {
		*err = PPPOE_ERR_SHORT_HEADER;
		return -1;
	}
	if (p[0] != 0x11) {
		*err = PPPOE_ERR_VERSION;
		return -1;
	}
	*code = p[1];
	*sid = be16_get(p + 2);
	uint16_t plen = be16_get(p + 4);
	if (plen > left - PPPOE_HLEN) {
		*err = PPPOE_ERR_LENGTH;
		return -1;
	}
	*payload = p + PPPOE_HLEN;
	*payload_len = plen;
	return 0;
}

/* Records one tag into out. Returns 0, or -1 with *err set. */
static int tag_store(struct pppoe_disc *out, uint16_t type, const uint8_t *val, uint16_t vlen,
		     enum pppoe_err *err)
{
	struct pppoe_tag_value *slot = NULL;

	switch (type) {
	case PPPOE_TAG_SERVICE_NAME:
		if (out->n_service_names >= PPPOE_MAX_SERVICE_NAMES) {
			*err = PPPOE_ERR_TOO_MANY_TAGS;
			return -1;
		}
		slot = &out->service_name[out->n_service_names++];
		break;
	case PPPOE_TAG_AC_NAME: slot = &out->ac_name; break;
	case PPPOE_TAG_HOST_UNIQ: slot = &out->host_uniq; break;
	case PPPOE_TAG_AC_COOKIE: slot = &out->ac_cookie; break;
	case PPPOE_TAG_VENDOR_SPECIFIC:
		/* TR-101 3.9.4: the access node's tag, vendor id 0x00000DE9, is
		 * kept apart as well; vendor_specific stays the first of any vendor. */
		if (vlen >= 4 && be16_get(val) == 0 && be16_get(val + 2) == 0x0de9 && !out->bbf_vendor.present) {
			out->bbf_vendor.present = true;
			out->bbf_vendor.len = vlen;
			out->bbf_vendor.data = val;
		}
		slot = &out->vendor_specific;
		break;
	case PPPOE_TAG_RELAY_SESSION_ID:
		if (vlen > PPPOE_RELAY_SESSION_ID_MAX) {
			*err = PPPOE_ERR_TAG_VALUE;
			return -1;
		}
		slot = &out->relay_session_id;
		break;
	case PPPOE_TAG_PPP_MAX_PAYLOAD:
		/* RFC 4638 4: TAG_LENGTH is 2, the value the MRU/MTU to use. */
		if (vlen != 2) {
			*err = PPPOE_ERR_TAG_VALUE;
			return -1;
		}
		if (!out->has_ppp_max_payload) {
			out->has_ppp_max_payload = true;
			out->ppp_max_payload = be16_get(val);
		}
		return 0;
	case PPPOE_TAG_SERVICE_NAME_ERROR: slot = &out->service_name_error; break;
	case PPPOE_TAG_AC_SYSTEM_ERROR: slot = &out->ac_system_error; break;
	case PPPOE_TAG_GENERIC_ERROR: slot = &out->generic_error; break;
	default:
		/* RFC 2516 Appendix A: unknown TAG_TYPEs MUST be ignored. */
		out->n_unknown_tags++;
		return 0;
	}
	if (!slot->present) {
		slot->present = true;
		slot->len = vlen;
		slot->data = val;
	}
	return 0;
}

int pppoe_disc_decode(const uint8_t *frame, size_t len, struct pppoe_disc *out,
		      enum pppoe_err *err)
{
	const uint8_t *payload;
	uint16_t plen;

	memset(out, 0, sizeof(*out));
	if (header_decode(frame, len, PPPOE_ETHERTYPE_DISCOVERY, out->dst, out->src, &out->code,
			  &out->session_id, &payload, &plen, err) < 0)
		return -1;

	switch (out->code) {
	case PPPOE_CODE_PADI:
	case PPPOE_CODE_PADO:
	case PPPOE_CODE_PADR:
		/* RFC 2516 5.1-5.3: SESSION_ID MUST be 0x0000. */
		if (out->session_id != 0) {
			*err = PPPOE_ERR_SESSION_ID;
			return -1;
		}
		break;
	case PPPOE_CODE_PADS:
		/* 5.4: a PADS refusing the service carries 0; 0xffff is reserved (4). */
		if (out->session_id == PPPOE_SESSION_ID_RESERVED) {
			*err = PPPOE_ERR_SESSION_ID;
			return -1;
		}
		break;
	case PPPOE_CODE_PADT:
		if (out->session_id == 0 || out->session_id == PPPOE_SESSION_ID_RESERVED) {
			*err = PPPOE_ERR_SESSION_ID;
			return -1;
		}
		break;
	default:
		*err = PPPOE_ERR_CODE;
		return -1;
	}

	size_t off = 0;
	while (off < plen) {
		if (plen - off < 4) {
			*err = PPPOE_ERR_SHORT_TAG;
			return -1;
		}
		uint16_t type = be16_get(payload + off);
		uint16_t vlen = be16_get(payload + off + 2);
		off += 4;
		if (vlen > plen - off) {
			*err = PPPOE_ERR_TAG_LENGTH;
			return -1;
		}
		/* Appendix A: End-Of-List ends the tags; what follows is ignored. */
		if (type == PPPOE_TAG_END_OF_LIST)
			break;
		if (tag_store(out, type, payload + off, vlen, err) < 0)
			return -1;
		off += vlen;
	}
	*err = PPPOE_ERR_NONE;
	return 0;
}

/* Appends one tag at *off in buf. Returns 0, or -1 with *err set. */
static int tag_put(uint8_t *buf, size_t cap, size_t *off, uint16_t type,
		   const uint8_t *val, size_t vlen, enum pppoe_err *err)
{
	if (vlen > 0xffff) {
		*err = PPPOE_ERR_TOO_LONG;
		return -1;
	}
	if (cap - *off < 4 + vlen) {
		*err = PPPOE_ERR_NO_SPACE;
		return -1;
	}
	be16_put(buf + *off, type);
	be16_put(buf + *off + 2, (uint16_t)vlen);
	if (vlen)
		memcpy(buf + *off + 4, val, vlen);
	*off += 4 + vlen;
	return 0;
}

static int tag_put_value(uint8_t *buf, size_t cap, size_t *off, uint16_t type,
			 const struct pppoe_tag_value *tv, enum pppoe_err *err)
{
	if (!tv->present)
		return 0;
	return tag_put(buf, cap, off, type, tv->data, tv->len, err);
}

static void eth_put(uint8_t *buf, const uint8_t dst[PPPOE_ETH_ALEN],
		    const uint8_t src[PPPOE_ETH_ALEN], uint16_t ethertype)
{
	memcpy(buf, dst, PPPOE_ETH_ALEN);
	memcpy(buf + 6, src, PPPOE_ETH_ALEN);
	be16_put(buf + 12, ethertype);
}

int pppoe_disc_encode(uint8_t *buf, size_t cap, const struct pppoe_disc *msg,
		      enum pppoe_err *err)
{
	const size_t hdr = PPPOE_ETH_HLEN + PPPOE_HLEN;

	if (cap < hdr) {
		*err = PPPOE_ERR_NO_SPACE;
		return -1;
	}
	if (msg->n_service_names > PPPOE_MAX_SERVICE_NAMES) {
		*err = PPPOE_ERR_TOO_MANY_TAGS;
		return -1;
	}
	if (msg->relay_session_id.present && msg->relay_session_id.len > PPPOE_RELAY_SESSION_ID_MAX) {
		*err = PPPOE_ERR_TOO_LONG;
		return -1;
	}
	size_t off = hdr;
	for (unsigned i = 0; i < msg->n_service_names; i++)
		if (tag_put_value(buf, cap, &off, PPPOE_TAG_SERVICE_NAME, &msg->service_name[i], err) < 0)
			return -1;
	if (tag_put_value(buf, cap, &off, PPPOE_TAG_AC_NAME, &msg->ac_name, err) < 0 ||
	    tag_put_value(buf, cap, &off, PPPOE_TAG_HOST_UNIQ, &msg->host_uniq, err) < 0 ||
	    tag_put_value(buf, cap, &off, PPPOE_TAG_AC_COOKIE, &msg->ac_cookie, err) < 0 ||
	    tag_put_value(buf, cap, &off, PPPOE_TAG_VENDOR_SPECIFIC, &msg->vendor_specific, err) < 0 ||
	    (msg->bbf_vendor.data != msg->vendor_specific.data &&
	     tag_put_value(buf, cap, &off, PPPOE_TAG_VENDOR_SPECIFIC, &msg->bbf_vendor, err) < 0) ||
	    tag_put_value(buf, cap, &off, PPPOE_TAG_RELAY_SESSION_ID, &msg->relay_session_id, err) < 0)
		return -1;
	if (msg->has_ppp_max_payload) {
		uint8_t v[2];
		be16_put(v, msg->ppp_max_payload);
		if (tag_put(buf, cap, &off, PPPOE_TAG_PPP_MAX_PAYLOAD, v, 2, err) < 0)
			return -1;
	}
	if (tag_put_value(buf, cap, &off, PPPOE_TAG_SERVICE_NAME_ERROR, &msg->service_name_error, err) < 0 ||
	    tag_put_value(buf, cap, &off, PPPOE_TAG_AC_SYSTEM_ERROR, &msg->ac_system_error, err) < 0 ||
	    tag_put_value(buf, cap, &off, PPPOE_TAG_GENERIC_ERROR, &msg->generic_error, err) < 0)
		return -1;
	size_t plen = off - hdr;
	if (plen > 0xffff) {
		*err = PPPOE_ERR_TOO_LONG;
		return -1;
	}
	eth_put(buf, msg->dst, msg->src, PPPOE_ETHERTYPE_DISCOVERY);
	uint8_t *p = buf + PPPOE_ETH_HLEN;
	p[0] = 0x11;
	p[1] = msg->code;
	be16_put(p + 2, msg->session_id);
	be16_put(p + 4, (uint16_t)plen);
	*err = PPPOE_ERR_NONE;
	return (int)off;
}

int pppoe_session_decode(const uint8_t *frame, size_t len, struct pppoe_session *out,
			 enum pppoe_err *err)
{
	uint8_t code;

	memset(out, 0, sizeof(*out));
	if (header_decode(frame, len, PPPOE_ETHERTYPE_SESSION, out->dst, out->src, &code,
			  &out->session_id, &out->payload, &out->payload_len, err) < 0)
		return -1;
	/* RFC 2516 6: CODE MUST be 0x00 in the session stage. */
	if (code != PPPOE_CODE_SESSION) {
		*err = PPPOE_ERR_CODE;
		return -1;
	}
	if (out->session_id == 0 || out->session_id == PPPOE_SESSION_ID_RESERVED) {
		*err = PPPOE_ERR_SESSION_ID;
		return -1;
	}
	/* A PPP frame has at least a (compressed) protocol field. */
	if (out->payload_len < 1) {
		*err = PPPOE_ERR_LENGTH;
		return -1;
	}
	*err = PPPOE_ERR_NONE;
	return 0;
}

int pppoe_session_encode(uint8_t *buf, size_t cap, const uint8_t dst[PPPOE_ETH_ALEN],
			 const uint8_t src[PPPOE_ETH_ALEN], uint16_t session_id,
			 const uint8_t *ppp, size_t ppp_len, enum pppoe_err *err)
{
	if (ppp_len >= 2 && ppp[0] == 0xff && ppp[1] == 0x03) {
		ppp += 2;
		ppp_len -= 2;
	}
	/* At least a protocol field (RFC 1661 2): the decoder refuses LENGTH 0. */
	if (ppp_len == 0) {
		*err = PPPOE_ERR_LENGTH;
		return -1;
	}
	if (ppp_len > 0xffff) {
		*err = PPPOE_ERR_TOO_LONG;
		return -1;
	}
	size_t total = PPPOE_ETH_HLEN + PPPOE_HLEN + ppp_len;
	if (cap < total) {
		*err = PPPOE_ERR_NO_SPACE;
		return -1;
	}
	eth_put(buf, dst, src, PPPOE_ETHERTYPE_SESSION);
	uint8_t *p = buf + PPPOE_ETH_HLEN;
	p[0] = 0x11;
	p[1] = PPPOE_CODE_SESSION;
	be16_put(p + 2, session_id);
	be16_put(p + 4, (uint16_t)ppp_len);
	if (ppp_len)
		memcpy(p + PPPOE_HLEN, ppp, ppp_len);
	*err = PPPOE_ERR_NONE;
	return (int)total;
}

int pppoe_tag_set_str(struct pppoe_tag_value *tag, const char *s)
{
	return pppoe_tag_set(tag, s, strlen(s));
}

int pppoe_tag_set(struct pppoe_tag_value *tag, const void *data, size_t len)
{
	if (len > 0xffff)
		return -1;
	tag->present = true;
	tag->len = (uint16_t)len;
	tag->data = data;
	return 0;
}

bool pppoe_tag_eq_str(const struct pppoe_tag_value *tag, const char *s)
{
	size_t n = strlen(s);
	return tag->present && tag->len == n && (n == 0 || memcmp(tag->data, s, n) == 0);
}

void pppoe_mac_format(const uint8_t mac[PPPOE_ETH_ALEN], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x",
		 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

static bool is_tpid(uint16_t t)
{
	return t == PPPOE_TPID_8021Q || t == PPPOE_TPID_8021AD || t == PPPOE_TPID_QINQ_OLD;
}

int pppoe_vlan_strip(const uint8_t *frame, size_t len, struct pppoe_vlan *v, uint8_t *out,
		     size_t cap, enum pppoe_err *err)
{
	size_t off = 12;
	unsigned n = 0;
	uint16_t ids[2] = { 0, 0 };

	memset(v, 0, sizeof(*v));
	if (len < PPPOE_ETH_HLEN) {
		*err = PPPOE_ERR_SHORT_ETH;
		return -1;
	}
	while (is_tpid(be16_get(frame + off))) {
		if (len - off < 4 + 2) {
			*err = PPPOE_ERR_SHORT_ETH;
			return -1;
		}
		uint16_t vid = be16_get(frame + off + 2) & 0x0fff;
		if (n == 2 || vid == 0x0fff) {
			*err = PPPOE_ERR_VLAN;
			return -1;
		}
		if (n == 0)
			v->outer_tpid = be16_get(frame + off);
		/* IEEE 802.1Q 9.6: VID 0 carries only a priority. */
		if (vid != 0)
			ids[n++] = vid;
		off += 4;
	}
	if (n == 2) {
		v->outer = ids[0];
		v->inner = ids[1];
	} else if (n == 1) {
		v->inner = ids[0];
	} else {
		v->outer_tpid = 0;
	}
	size_t ulen = len - (off - 12);
	if (ulen > cap) {
		*err = PPPOE_ERR_NO_SPACE;
		return -1;
	}
	memcpy(out, frame, 12);
	memcpy(out + 12, frame + off, len - off);
	*err = PPPOE_ERR_NONE;
	return (int)ulen;
}

uint8_t *pppoe_vlan_push(uint8_t *buf, size_t len, const struct pppoe_vlan *v, size_t *out_len)
{
	uint8_t *f = buf + PPPOE_VLAN_HEADROOM;
	unsigned n = v->inner ? (v->outer ? 2 : 1) : 0;

	if (n == 0) {
		*out_len = len;
		return f;
	}
	uint8_t *start = f - 4 * n;
	memmove(start, f, 12);
	uint16_t tpid = v->outer_tpid ? v->outer_tpid : (n == 2 ? PPPOE_TPID_8021AD : PPPOE_TPID_8021Q);
	be16_put(start + 12, tpid);
	be16_put(start + 14, n == 2 ? v->outer : v->inner);
	if (n == 2) {
		be16_put(start + 16, PPPOE_TPID_8021Q);
		be16_put(start + 18, v->inner);
	}
	*out_len = len + 4 * n;
	return start;
}
