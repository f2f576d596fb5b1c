/* RFC 5176 Disconnect/CoA codec (see dae_codec.h). */
#include "aaa/dae_codec.h"

#include <string.h>

#include "util/be.h"

const char *dae_error_cause_str(unsigned cause)
{
	switch (cause) {
	case DAE_ERR_NONE: return "none";
	case DAE_ERR_RESIDUAL_SESSION_REMOVED: return "residual-session-context-removed";
	case DAE_ERR_UNSUPPORTED_ATTRIBUTE: return "unsupported-attribute";
	case DAE_ERR_MISSING_ATTRIBUTE: return "missing-attribute";
	case DAE_ERR_NAS_ID_MISMATCH: return "nas-identification-mismatch";
	case DAE_ERR_INVALID_REQUEST: return "invalid-request";
	case DAE_ERR_UNSUPPORTED_SERVICE: return "unsupported-service";
	case DAE_ERR_UNSUPPORTED_EXTENSION: return "unsupported-extension";
	case DAE_ERR_INVALID_ATTRIBUTE_VALUE: return "invalid-attribute-value";
	case DAE_ERR_ADMIN_PROHIBITED: return "administratively-prohibited";
	case DAE_ERR_SESSION_NOT_FOUND: return "session-context-not-found";
	case DAE_ERR_SESSION_NOT_REMOVABLE: return "session-context-not-removable";
	case DAE_ERR_RESOURCES_UNAVAILABLE: return "resources-unavailable";
	default: return "other";
	}
}

/* Records the first reason the request cannot be honoured; later ones are
 * not reported (one Error-Cause per NAK keeps the answer simple). */
static void refuse(struct dae_request *out, enum dae_error_cause cause, uint8_t type)
{
	if (out->refuse != DAE_ERR_NONE)
		return;
	out->refuse = cause;
	out->refuse_attr = type;
}

/* Copies a text value; a NUL inside it or a second copy of a single-valued
 * attribute makes the request invalid (RFC 5176 3: 404). */
static void take_str(struct dae_request *out, bool *has, char *dst, uint8_t type,
		     const uint8_t *val, size_t len)
{
	if (*has || len == 0 || memchr(val, 0, len)) {
		refuse(out, DAE_ERR_INVALID_REQUEST, type);
		return;
	}
	memcpy(dst, val, len);
	dst[len] = '\0';
	*has = true;
}

static void take_u32(struct dae_request *out, bool *has, uint32_t *dst, uint8_t type,
		     const uint8_t *val, size_t len)
{
	if (*has || len != 4) {
		refuse(out, DAE_ERR_INVALID_REQUEST, type);
		return;
	}
	*dst = be32_get(val);
	*has = true;
}

static void take_addr(struct dae_request *out, bool *has, struct in_addr *dst, uint8_t type,
		      const uint8_t *val, size_t len)
{
	if (*has || len != 4) {
		refuse(out, DAE_ERR_INVALID_REQUEST, type);
		return;
	}
	memcpy(&dst->s_addr, val, 4);
	*has = true;
}

int dae_request_decode(const uint8_t *pkt, size_t len, const uint8_t *secret, size_t secret_len,
		       bool require_msg_auth, struct dae_request *out, struct radius_err *err)
{
	struct radius_attr_iter it;
	uint8_t type;
	const uint8_t *val;
	size_t alen;
	int r;

	memset(out, 0, sizeof(*out));
	if (len < RADIUS_HDR_LEN || (pkt[0] != RADIUS_CODE_DISCONNECT_REQUEST &&
				     pkt[0] != RADIUS_CODE_COA_REQUEST)) {
		if (err) {
			err->msg = "not a disconnect-request or coa-request";
			err->offset = 0;
			err->kind = RADIUS_ERR_MALFORMED;
		}
		return -1;
	}
	ssize_t plen = radius_request_verify_ext(pkt, len, secret, secret_len, require_msg_auth,
						 &out->has_msg_auth, err);
	if (plen < 0)
		return -1;
	out->code = pkt[0];
	out->id = pkt[1];
	memcpy(out->authenticator, pkt + 4, RADIUS_AUTH_LEN);
	bool has_service_type = false;
	uint32_t service_type = 0;

	radius_attr_iter_init(&it, pkt, (size_t)plen);
	while ((r = radius_attr_next(&it, &type, &val, &alen, err)) > 0) {
		switch (type) {
		case RADIUS_ATTR_USER_NAME:
			take_str(out, &out->has_user_name, out->user_name, type, val, alen);
			break;
		case RADIUS_ATTR_ACCT_SESSION_ID:
			take_str(out, &out->has_acct_session_id, out->acct_session_id, type, val, alen);
			break;
		case RADIUS_ATTR_FRAMED_IP_ADDRESS:
			take_addr(out, &out->has_framed_ip, &out->framed_ip, type, val, alen);
			break;
		case RADIUS_ATTR_NAS_PORT:
			take_u32(out, &out->has_nas_port, &out->nas_port, type, val, alen);
			break;
		case RADIUS_ATTR_NAS_PORT_ID:
			take_str(out, &out->has_nas_port_id, out->nas_port_id, type, val, alen);
			break;
		case RADIUS_ATTR_CALLING_STATION_ID:
			take_str(out, &out->has_calling_station_id, out->calling_station_id, type, val, alen);
			break;
		case RADIUS_ATTR_CALLED_STATION_ID:
			take_str(out, &out->has_called_station_id, out->called_station_id, type, val, alen);
			break;
		case RADIUS_ATTR_NAS_IP_ADDRESS:
			take_addr(out, &out->has_nas_ip, &out->nas_ip, type, val, alen);
			break;
		case RADIUS_ATTR_NAS_IDENTIFIER:
			take_str(out, &out->has_nas_identifier, out->nas_identifier, type, val, alen);
			break;
		case RADIUS_ATTR_PROXY_STATE:
			/* RFC 5176 3.1: echoed in order; more than we keep is a
			 * chain of proxies we will not serve */
			if (out->n_proxy_state == DAE_MAX_PROXY_STATE) {
				refuse(out, DAE_ERR_RESOURCES_UNAVAILABLE, type);
				break;
			}
			out->proxy_state[out->n_proxy_state] = val;
			out->proxy_state_len[out->n_proxy_state++] = alen;
			break;
		case RADIUS_ATTR_EVENT_TIMESTAMP:
			take_u32(out, &out->has_event_timestamp, &out->event_timestamp, type, val, alen);
			break;
		case RADIUS_ATTR_MESSAGE_AUTHENTICATOR:
		case RADIUS_ATTR_STATE:
			break;
		case RADIUS_ATTR_SERVICE_TYPE: {
			bool dup = has_service_type;
			take_u32(out, &has_service_type, &service_type, type, val, alen);
			if (!dup && has_service_type && service_type == DAE_SERVICE_TYPE_AUTHORIZE_ONLY)
				refuse(out, DAE_ERR_UNSUPPORTED_SERVICE, type);
			else if (!dup && has_service_type)
				refuse(out, DAE_ERR_UNSUPPORTED_ATTRIBUTE, type);
			break;
		}
		case RADIUS_ATTR_SESSION_TIMEOUT:
		case RADIUS_ATTR_IDLE_TIMEOUT:
			/* RFC 5176 3.6 table: CoA changes, never in a Disconnect */
			if (out->code != RADIUS_CODE_COA_REQUEST)
				refuse(out, DAE_ERR_UNSUPPORTED_ATTRIBUTE, type);
			else if (type == RADIUS_ATTR_SESSION_TIMEOUT)
				take_u32(out, &out->has_session_timeout, &out->session_timeout, type, val, alen);
			else
				take_u32(out, &out->has_idle_timeout, &out->idle_timeout, type, val, alen);
			break;
		default:
			refuse(out, DAE_ERR_UNSUPPORTED_ATTRIBUTE, type);
			break;
		}
	}
	if (r < 0)
		return -1;      /* unreachable: radius_packet_check walked them already */
	if (out->refuse == DAE_ERR_NONE && out->code == RADIUS_CODE_COA_REQUEST && !out->has_session_timeout &&
	    !out->has_idle_timeout)
		refuse(out, DAE_ERR_UNSUPPORTED_ATTRIBUTE, 0);  /* a CoA that changes nothing we support */
	if (out->refuse == DAE_ERR_NONE && !dae_request_has_session_id(out))
		refuse(out, DAE_ERR_MISSING_ATTRIBUTE, 0);
	return 0;
}

bool dae_request_has_session_id(const struct dae_request *req)
{
	return req->has_user_name || req->has_acct_session_id || req->has_framed_ip || req->has_nas_port ||
	       req->has_nas_port_id || req->has_calling_station_id || req->has_called_station_id;
}

bool dae_request_nas_matches(const struct dae_request *req, const char *nas_identifier,
			     struct in_addr nas_ip)
{
	if (req->has_nas_identifier &&
	    (!nas_identifier || strcmp(req->nas_identifier, nas_identifier) != 0))
		return false;
	if (req->has_nas_ip && (nas_ip.s_addr == 0 || req->nas_ip.s_addr != nas_ip.s_addr))
		return false;
	return true;
}

static bool str_matches(bool given, const char *want, const char *have)
{
	return !given || (have && strcmp(want, have) == 0);
}

bool dae_session_matches(const struct dae_request *req, const struct dae_session_ids *s)
{
	if (!dae_request_has_session_id(req))
		return false;
	if (req->has_framed_ip && (!s->has_framed_ip || s->framed_ip.s_addr != req->framed_ip.s_addr))
		return false;
	if (req->has_nas_port && s->nas_port != req->nas_port)
		return false;
	return str_matches(req->has_user_name, req->user_name, s->user_name) &&
	       str_matches(req->has_acct_session_id, req->acct_session_id, s->acct_session_id) &&
	       str_matches(req->has_nas_port_id, req->nas_port_id, s->nas_port_id) &&
	       str_matches(req->has_calling_station_id, req->calling_station_id, s->calling_station_id) &&
	       str_matches(req->has_called_station_id, req->called_station_id, s->called_station_id);
}

bool dae_request_timestamp_ok(const struct dae_request *req, uint64_t now_s, uint32_t window_s, bool required)
{
	if (!req->has_event_timestamp)
		return !required;
	uint64_t ts = req->event_timestamp;
	uint64_t diff = ts > now_s ? ts - now_s : now_s - ts;
	return diff <= window_s;
}

ssize_t dae_reply_encode(uint8_t *buf, size_t cap, const struct dae_request *req,
			 enum dae_error_cause cause, const uint8_t *secret, size_t secret_len)
{
	struct radius_builder b;
	uint8_t code;
	if (req->code == RADIUS_CODE_COA_REQUEST)
		code = cause == DAE_ERR_NONE ? RADIUS_CODE_COA_ACK : RADIUS_CODE_COA_NAK;
	else
		code = cause == DAE_ERR_NONE ? RADIUS_CODE_DISCONNECT_ACK : RADIUS_CODE_DISCONNECT_NAK;
	if (radius_builder_init(&b, buf, cap, code, req->id, req->authenticator) < 0)
		return -1;
	if (cause != DAE_ERR_NONE)
		radius_builder_add_u32(&b, RADIUS_ATTR_ERROR_CAUSE, (uint32_t)cause);
	for (size_t i = 0; i < req->n_proxy_state; i++)
		radius_builder_add(&b, RADIUS_ATTR_PROXY_STATE, req->proxy_state[i], req->proxy_state_len[i]);
	return radius_builder_finish_response(&b, secret, secret_len);
}
