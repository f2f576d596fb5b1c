/* Forwarding of access-line information (issue 11): what the PPPoE access
 * node said about the subscriber's line (access_conn_info.line) goes into
 * the Access-Request and Accounting-Requests as RFC 4679 attributes and into
 * the ICRQ as RFC 5515 AVPs, with the ICCN's Tx/Rx Connect Speed taken from
 * the actual rates. Configuration decides: [pppoe] access_line_radius (yes /
 * no) and access_line_l2tp (always / never / realm: only when the broker's
 * Access-Accept allows it for the realm). Small helpers the subscriber flow
 * calls at named points, so that its table stays free of encoding. */
#ifndef CORE_LINE_FWD_H
#define CORE_LINE_FWD_H

#include <stdbool.h>

#include "aaa/radius_codec.h"
#include "access/access.h"
#include "conf/conf.h"
#include "l2tp/l2tp.h"

/* Fills out (len 0 when nothing is to be sent). */
void line_fwd_radius(const struct lac_config *cfg, const struct access_conn_info *info,
		     struct radius_extra_attrs *out);

/* Sets call->vendor_avps and the connect speeds from the line when the
 * configuration (and, for "realm", realm_allows) says so; leaves call as it
 * is otherwise. */
void line_fwd_l2tp(const struct lac_config *cfg, const struct access_conn_info *info,
		   bool realm_allows, struct l2tp_call_info *call);

#endif
