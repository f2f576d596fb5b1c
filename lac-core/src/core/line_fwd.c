/* Access-line forwarding to RADIUS and L2TP. See line_fwd.h. */
#include "core/line_fwd.h"

void line_fwd_radius(const struct lac_config *cfg, const struct access_conn_info *info,
		     struct radius_extra_attrs *out)
{
	out->len = 0;
	if (!cfg->access_line_radius || !info->has_line)
		return;
	int n = access_line_radius_encode(&info->line, out->buf, sizeof(out->buf));
	out->len = n > 0 ? (uint16_t)n : 0;
}

void line_fwd_l2tp(const struct lac_config *cfg, const struct access_conn_info *info,
		   bool realm_allows, struct l2tp_call_info *call)
{
	if (!info->has_line || cfg->access_line_l2tp == CONF_FORWARD_NEVER ||
	    (cfg->access_line_l2tp == CONF_FORWARD_REALM && !realm_allows))
		return;
	int n = access_line_l2tp_encode(&info->line, call->vendor_avps, sizeof(call->vendor_avps));
	call->vendor_avps_len = n > 0 ? (uint16_t)n : 0;
	/* RFC 5515 / RFC 2661 4.4.5: Tx is toward the subscriber (downstream). */
	uint32_t tx = access_line_tx_bps(&info->line), rx = access_line_rx_bps(&info->line);
	if (tx)
		call->tx_connect_speed = tx;
	if (rx)
		call->rx_connect_speed = rx;
}
