/* IPCP (RFC 1332) with the DNS options of RFC 1877, both roles.
 *
 * Authenticator (local termination): offers its own address, Naks the
 * subscriber's IP-Address and DNS options towards what the owner assigned, and
 * Rejects DNS when it has none. Client: asks 0.0.0.0 (or a configured address)
 * and DNS 0.0.0.0, adopts what the peer Naks, drops what it Rejects. */
#include <arpa/inet.h>
#include <string.h>

#include "ppp/ppp_priv.h"
#include "util/log.h"

static struct ppp_session *ipcp_session(struct fsm *f)
{
	return f->ctx;
}

static void ipcp_reset(struct fsm *f)
{
	struct ppp_session *s = ipcp_session(f);
	struct ipcp_opts *w = &s->ipcp_want;
	memset(w, 0, sizeof(*w));
	w->addr_on = true;
	if (s->role == PPP_ROLE_AUTHENTICATOR) {
		w->addr = s->cfg_local.s_addr;
		return;
	}
	w->addr = s->cfg.client_addr.s_addr;
	w->dns1_on = w->dns2_on = s->cfg.request_dns;
}

static size_t put_addr(uint8_t *p, uint8_t type, uint32_t addr_be)
{
	p[0] = type;
	p[1] = 6;
	memcpy(p + 2, &addr_be, 4);
	return 6;
}

static uint32_t get_addr(const uint8_t *p)
{
	uint32_t a;
	memcpy(&a, p, 4);
	return a;
}

static size_t ipcp_build_req(struct fsm *f, uint8_t *buf, size_t cap)
{
	struct ppp_session *s = ipcp_session(f);
	const struct ipcp_opts *w = &s->ipcp_want;
	size_t n = 0;
	(void)cap;      /* 18 octets at most */
	if (w->addr_on)
		n += put_addr(buf + n, IPCP_OPT_ADDR, w->addr);
	if (w->dns1_on)
		n += put_addr(buf + n, IPCP_OPT_DNS1, w->dns1);
	if (w->dns2_on)
		n += put_addr(buf + n, IPCP_OPT_DNS2, w->dns2);
	return n;
}

static void list_add(uint8_t *list, size_t *len, const uint8_t *opt, size_t olen)
{
	if (*len + olen <= FSM_OPTS_MAX) {
		memcpy(list + *len, opt, olen);
		*len += olen;
	}
}

/* Authenticator's view of one address option: Ack when it matches what we
 * assigned, else Nak towards it; Reject when we have nothing to assign. */
static void judge_assigned(const uint8_t *o, uint32_t want, uint8_t *nak, size_t *nak_len,
			   uint8_t *rej, size_t *rej_len, bool reject_only)
{
	if (want == 0 || reject_only) {
		if (want == 0 || get_addr(o + 2) != want)
			list_add(rej, rej_len, o, 6);
		return;
	}
	if (get_addr(o + 2) != want) {
		uint8_t sugg[6];
		put_addr(sugg, o[0], want);
		list_add(nak, nak_len, sugg, 6);
	}
}

static int ipcp_recv_req(struct fsm *f, const uint8_t *opts, size_t len, uint8_t *out,
			 size_t cap, size_t *out_len, bool reject_only)
{
	struct ppp_session *s = ipcp_session(f);
	uint8_t nak[FSM_OPTS_MAX], rej[FSM_OPTS_MAX];
	size_t nak_len = 0, rej_len = 0;
	bool saw_addr = false;
	struct ipcp_opts his = { .addr_on = false };

	for (size_t off = 0; off < len;) {
		int olen = fsm_opt_len(opts + off, len - off);
		if (olen < 0)
			return -1;
		const uint8_t *o = opts + off;
		off += (size_t)olen;
		bool addr_opt = o[0] == IPCP_OPT_ADDR || o[0] == IPCP_OPT_DNS1 ||
				o[0] == IPCP_OPT_DNS2;
		if (addr_opt && olen != 6)
			return -1;
		if (o[0] == IPCP_OPT_ADDR) {
			saw_addr = true;
			his.addr_on = true;
			his.addr = get_addr(o + 2);
			if (s->role == PPP_ROLE_AUTHENTICATOR) {
				judge_assigned(o, s->cfg_peer.s_addr, nak, &nak_len, rej, &rej_len,
					       reject_only);
			} else if (his.addr == 0) {
				/* The peer wants us to name its address: we cannot. */
				list_add(rej, &rej_len, o, 6);
			}
		} else if (addr_opt && s->role == PPP_ROLE_AUTHENTICATOR) {
			uint32_t dns = o[0] == IPCP_OPT_DNS1 ? s->cfg_dns1.s_addr :
				       s->cfg_dns2.s_addr;
			judge_assigned(o, dns, nak, &nak_len, rej, &rej_len, reject_only);
		} else {
			/* VJ compression, old IP-Addresses, NBNS, DNS asked of a client */
			list_add(rej, &rej_len, o, (size_t)olen);
		}
	}
	if (s->role == PPP_ROLE_AUTHENTICATOR && !saw_addr && s->cfg_peer.s_addr &&
	    !reject_only && !rej_len) {
		/* RFC 1332 3.3: a peer that does not ask may be told its address. */
		uint8_t sugg[6];
		put_addr(sugg, IPCP_OPT_ADDR, s->cfg_peer.s_addr);
		list_add(nak, &nak_len, sugg, 6);
	}
	if (rej_len) {
		memcpy(out, rej, rej_len);
		*out_len = rej_len;
		return FSM_CODE_CONFREJ;
	}
	if (nak_len) {
		memcpy(out, nak, nak_len);
		*out_len = nak_len;
		return FSM_CODE_CONFNAK;
	}
	if (len > cap)
		return -1;
	memcpy(out, opts, len);
	*out_len = len;
	s->ipcp_his = his;
	return FSM_CODE_CONFACK;
}

static int ipcp_recv_ack(struct fsm *f, const uint8_t *opts, size_t len)
{
	if (len != f->req_len || memcmp(opts, f->req_opts, len) != 0)
		return -1;
	return 0;
}

static int ipcp_recv_nak(struct fsm *f, const uint8_t *opts, size_t len)
{
	struct ppp_session *s = ipcp_session(f);
	struct ipcp_opts *w = &s->ipcp_want;
	for (size_t off = 0; off < len;) {
		int olen = fsm_opt_len(opts + off, len - off);
		if (olen < 0)
			return -1;
		const uint8_t *o = opts + off;
		off += (size_t)olen;
		if (olen != 6 || s->role == PPP_ROLE_AUTHENTICATOR)
			continue;       /* our own address is not negotiable */
		switch (o[0]) {
		case IPCP_OPT_ADDR:
			w->addr_on = true;
			w->addr = get_addr(o + 2);
			break;
		case IPCP_OPT_DNS1:
			if (w->dns1_on)
				w->dns1 = get_addr(o + 2);
			break;
		case IPCP_OPT_DNS2:
			if (w->dns2_on)
				w->dns2 = get_addr(o + 2);
			break;
		default:
			break;
		}
	}
	return 0;
}

static int ipcp_recv_rej(struct fsm *f, const uint8_t *opts, size_t len)
{
	struct ppp_session *s = ipcp_session(f);
	struct ipcp_opts *w = &s->ipcp_want;
	for (size_t off = 0; off < len;) {
		int olen = fsm_opt_len(opts + off, len - off);
		if (olen < 0)
			return -1;
		switch (opts[off]) {
		case IPCP_OPT_ADDR:
			w->addr_on = false;
			break;
		case IPCP_OPT_DNS1:
			w->dns1_on = false;
			break;
		case IPCP_OPT_DNS2:
			w->dns2_on = false;
			break;
		default:
			break;
		}
		off += (size_t)olen;
	}
	return 0;
}

static void ipcp_up(struct fsm *f, uint64_t now)
{
	struct ppp_session *s = ipcp_session(f);
	struct ppp_ip_info *ip = &s->ip;
	memset(ip, 0, sizeof(*ip));
	if (s->role == PPP_ROLE_AUTHENTICATOR) {
		ip->local = s->cfg_local;
		ip->peer = s->cfg_peer;
		ip->dns1 = s->cfg_dns1;
		ip->dns2 = s->cfg_dns2;
	} else {
		ip->local.s_addr = s->ipcp_want.addr_on ? s->ipcp_want.addr : 0;
		ip->peer.s_addr = s->ipcp_his.addr_on ? s->ipcp_his.addr : 0;
		ip->dns1.s_addr = s->ipcp_want.dns1_on ? s->ipcp_want.dns1 : 0;
		ip->dns2.s_addr = s->ipcp_want.dns2_on ? s->ipcp_want.dns2 : 0;
	}
	char l[INET_ADDRSTRLEN], p[INET_ADDRSTRLEN], d1[INET_ADDRSTRLEN], d2[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &ip->local, l, sizeof(l));
	inet_ntop(AF_INET, &ip->peer, p, sizeof(p));
	inet_ntop(AF_INET, &ip->dns1, d1, sizeof(d1));
	inet_ntop(AF_INET, &ip->dns2, d2, sizeof(d2));
	log_debug("%s event=ipcp_up local=%s peer=%s dns1=%s dns2=%s", s->ident, l, p, d1, d2);
	if (s->cb.up)
		s->cb.up(s->owner, ip);
}

static void ipcp_down(struct fsm *f, uint64_t now)
{
	struct ppp_session *s = ipcp_session(f);
	log_debug("%s event=ipcp_down", s->ident);
}

static void ipcp_started(struct fsm *f, uint64_t now)
{
}

/* IPCP gave up (timeouts, rejected): without IP the link is useless. */
static void ipcp_finished(struct fsm *f, uint64_t now)
{
	struct ppp_session *s = ipcp_session(f);
	if (fsm_is_opened(&s->lcp))
		ppp_fatal(s, PPP_DOWN_NEGOTIATION_FAILED, "ipcp negotiation failed");
}

const struct fsm_ops ppp_ipcp_ops = {
	.name = "ipcp",
	.proto = PPP_PROTO_IPCP,
	.reset = ipcp_reset,
	.build_req = ipcp_build_req,
	.recv_req = ipcp_recv_req,
	.recv_ack = ipcp_recv_ack,
	.recv_nak = ipcp_recv_nak,
	.recv_rej = ipcp_recv_rej,
	.up = ipcp_up,
	.down = ipcp_down,
	.started = ipcp_started,
	.finished = ipcp_finished,
	.other_code = NULL,
};
