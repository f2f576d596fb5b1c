/* PPPoE access concentrator: discovery (RFC 2516 5), sessions (6), RFC 4638
 * PPP-Max-Payload. See pppoe_server.h for the design. */
#include "access/pppoe_server.h"
#include "access/pppoe_sock.h"
#include "access/pppoe_vsock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/admission.h"
#include "ev/ev.h"
#include "util/log.h"
#include "util/md5.h"
#include "util/random.h"
#include "util/send_batch.h"

#define MAC_HASH_MIN 1024               /* buckets by MAC: at least this many */
#define HOST_UNIQ_KEEP 64               /* longer Host-Uniqs are echoed but not remembered */
#define PADR_RETRANSMIT_MS 10000        /* PADS again for a repeated PADR this soon */
#define RX_BURST 64                     /* frames read per readiness event, for fairness */
#define UNKNOWN_PADT_PER_S 10           /* PADTs answering frames for dead sessions */
#define SERVICE_MAX 63
#define RATE_SLOTS 4096                 /* per-MAC discovery buckets (hashed) */
#define TX_BATCH SEND_BATCH_MAX         /* frames per sendmmsg() */

/* One MAC's discovery bucket; a slot is taken over by another MAC that
 * hashes to it (the newcomer starts with a full bucket). */
struct rate_slot {
	uint8_t mac[PPPOE_ETH_ALEN];
	struct pppoe_vlan vlan;
	struct adm_bucket b;
};

struct pppoe_conn {
	struct access_conn base;        /* first: access_conn_* casts back */
	struct pppoe_server *srv;
	uint16_t sid;
	uint8_t mac[PPPOE_ETH_ALEN];
	struct pppoe_vlan vlan;         /* with mac, the subscriber's identity */
	char service[SERVICE_MAX + 1];
	uint8_t host_uniq[HOST_UNIQ_KEEP];
	uint16_t host_uniq_len;
	bool host_uniq_kept;            /* false: absent or too long to remember */
	uint8_t cookie[MD5_DIGEST_LEN]; /* of the PADR: tells its retransmissions */
	uint16_t max_payload;           /* RFC 4638 value granted, 0 if none */
	uint64_t created_ms;
	bool seen_session_frame;
	struct pppoe_conn *mac_next;
};

struct pppoe_server {
	struct ev_loop *loop;
	char ifname[IF_NAMESIZE];
	char ac_name[SERVICE_MAX + 1];
	char services[PPPOE_SERVER_MAX_SERVICES][SERVICE_MAX + 1];
	size_t n_services;
	uint32_t max_sessions, max_per_mac, nas_port_base;
	uint64_t cookie_slot_ms;
	uint8_t mac[PPPOE_ETH_ALEN];
	unsigned mtu;
	int ifindex;
	int fd;
	struct pppoe_server_io io;      /* tx == NULL: use the packet socket */
	uint8_t key[16];
	access_conn_new_cb conn_new;
	void *conn_new_ctx;
	struct pppoe_conn **by_sid;     /* 65536 slots */
	/* scale: sized at start to max_sessions rounded up to a power of two,
	 * so a chain holds one session on average at any fill level (a fixed
	 * 1024 made every PADI/PADR walk 64 sessions at 64k held: 12% of the
	 * setup CPU, bench-lac-scale) */
	struct pppoe_conn **by_mac;
	uint32_t mac_mask;              /* buckets - 1 */
	uint16_t next_sid;
	uint64_t padt_window_ms;
	unsigned padt_in_window;
	struct pppoe_server_counters ctr;
	struct pppoe_vlan_range vlans[PPPOE_SERVER_MAX_VLAN_RANGES];
	size_t n_vlans;
	bool untagged;
	bool ignore_access_line, no_calling_station_id, no_calling_number;
	bool has_cs_format, has_npi_format;
	struct access_id_format cs_format, npi_format;
	struct pppoe_vlan rx_vlan;      /* tags of the frame being handled */
	uint32_t disc_rate, disc_rate_mac;
	struct adm_bucket disc_bucket;
	struct rate_slot *rate_slots;   /* RATE_SLOTS, when disc_rate_mac */
	uint8_t rxbuf[PPPOE_FRAME_MAX];
	uint8_t untagged_buf[PPPOE_FRAME_MAX];
	/* Frames sent during one loop iteration wait here, in order, and go out
	 * in sendmmsg() batches when the iteration is over (flush, an ev_defer)
	 * or TX_BATCH are waiting: no system call per frame on the access side
	 * (issue 12; bench-relay). */
	uint8_t (*txq)[PPPOE_VLAN_HEADROOM + PPPOE_FRAME_MAX];
	size_t txq_len[TX_BATCH];
	unsigned txq_n;
	struct ev_defer flush;
};

static const struct access_conn_vtbl pppoe_conn_vtbl;
static bool disc_rate_ok(struct pppoe_server *srv, const uint8_t mac[PPPOE_ETH_ALEN], uint64_t now_ms);

static uint32_t mac_hash32(const uint8_t mac[PPPOE_ETH_ALEN], const struct pppoe_vlan *v)
{
	uint32_t h = 2166136261u;
	for (int i = 0; i < PPPOE_ETH_ALEN; i++)
		h = (h ^ mac[i]) * 16777619u;
	h = (h ^ v->outer) * 16777619u;
	h = (h ^ v->inner) * 16777619u;
	return h ^ (h >> 15);           /* FNV-1a's low bits alone mix poorly */
}

static unsigned mac_hash(const struct pppoe_server *srv, const uint8_t mac[PPPOE_ETH_ALEN],
			 const struct pppoe_vlan *v)
{
	return mac_hash32(mac, v) & srv->mac_mask;
}

/* The same subscriber: same MAC on the same VLANs (the TPID does not count). */
static bool same_sub(const uint8_t *mac_a, const struct pppoe_vlan *va, const uint8_t *mac_b,
		     const struct pppoe_vlan *vb)
{
	return memcmp(mac_a, mac_b, PPPOE_ETH_ALEN) == 0 && va->outer == vb->outer &&
	       va->inner == vb->inner;
}

/* Is a frame with these tags one we serve? */
static bool vlan_served(const struct pppoe_server *srv, const struct pppoe_vlan *v)
{
	if (v->inner == 0)
		return srv->n_vlans == 0 || srv->untagged;
	for (size_t i = 0; i < srv->n_vlans; i++) {
		const struct pppoe_vlan_range *r = &srv->vlans[i];
		if (v->outer >= r->outer_lo && v->outer <= r->outer_hi && v->inner >= r->inner_lo &&
		    v->inner <= r->inner_hi)
			return true;
	}
	return false;
}

static bool mac_is_bcast(const uint8_t mac[PPPOE_ETH_ALEN])
{
	static const uint8_t b[PPPOE_ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	return memcmp(mac, b, PPPOE_ETH_ALEN) == 0;
}

/* Sends what waits in txq. A frame the socket refuses is lost (a congested
 * link) and counted. */
static void server_flush(struct pppoe_server *srv)
{
	struct iovec iov[TX_BATCH];
	unsigned sent;

	if (!srv->txq_n)
		return;
	for (unsigned i = 0; i < srv->txq_n; i++) {
		iov[i].iov_base = srv->txq[i];
		iov[i].iov_len = srv->txq_len[i];
	}
	sent = send_batch(srv->fd, iov, srv->txq_n);
	if (sent < srv->txq_n) {
		srv->ctr.tx_errors += srv->txq_n - sent;
		log_peer("pppoe=%s event=tx-error frames=%u errno=%d", srv->ifname, srv->txq_n - sent, errno);
	}
	srv->txq_n = 0;
}

static void flush_cb(struct ev_loop *loop, struct ev_defer *d, void *arg)
{
	(void)loop;
	(void)d;
	server_flush(arg);
}

/* Sends an untagged frame built at buf + PPPOE_VLAN_HEADROOM with v's tags:
 * queued for the end of this loop iteration (see txq). */
static int server_tx(struct pppoe_server *srv, uint8_t *buf, size_t ulen, const struct pppoe_vlan *v)
{
	int rc;
	size_t len;
	const uint8_t *frame = pppoe_vlan_push(buf, ulen, v, &len);
	if (srv->io.tx) {
		rc = srv->io.tx(srv->io.io_ctx, frame, len);
	} else if (srv->txq && len <= sizeof(srv->txq[0])) {
		memcpy(srv->txq[srv->txq_n], frame, len);
		srv->txq_len[srv->txq_n++] = len;
		if (srv->txq_n == TX_BATCH)
			server_flush(srv);
		else
			ev_defer(srv->loop, &srv->flush);
		return 0;
	} else {
		rc = send(srv->fd, frame, len, MSG_DONTWAIT) == (ssize_t)len ? 0 : -1;
	}
	if (rc < 0) {
		srv->ctr.tx_errors++;
		log_peer("pppoe=%s event=tx-error len=%zu errno=%d", srv->ifname, len, errno);
	}
	return rc;
}

/* The AC-Cookie for a client MAC in a time slot: HMAC-MD5(key, mac || slot). */
static void cookie_make(const struct pppoe_server *srv, const uint8_t mac[PPPOE_ETH_ALEN],
			uint64_t slot, uint8_t out[MD5_DIGEST_LEN])
{
	/* The VLAN ids are in it: a cookie earned on one VLAN is no good on another. */
	uint8_t data[PPPOE_ETH_ALEN + 4 + 8];
	memcpy(data, mac, PPPOE_ETH_ALEN);
	data[6] = (uint8_t)(srv->rx_vlan.outer >> 8);
	data[7] = (uint8_t)srv->rx_vlan.outer;
	data[8] = (uint8_t)(srv->rx_vlan.inner >> 8);
	data[9] = (uint8_t)srv->rx_vlan.inner;
	for (int i = 0; i < 8; i++)
		data[10 + i] = (uint8_t)(slot >> (56 - 8 * i));
	hmac_md5(srv->key, sizeof(srv->key), data, sizeof(data), out);
}


/* A cookie is good in the slot it was made in and the next one. */
static bool cookie_valid(const struct pppoe_server *srv, const uint8_t mac[PPPOE_ETH_ALEN],
			 const struct pppoe_tag_value *cookie, uint64_t now_ms)
{
	uint8_t want[MD5_DIGEST_LEN];
	uint64_t slot = now_ms / srv->cookie_slot_ms;

	if (!cookie->present || cookie->len != MD5_DIGEST_LEN)
		return false;
	for (int back = 0; back < 2 && back <= (int)slot; back++) {
		cookie_make(srv, mac, slot - (uint64_t)back, want);
		if (bytes_equal_ct(want, cookie->data, MD5_DIGEST_LEN))
			return true;
	}
	return false;
}

/* Does the request's Service-Name match a service we offer? An empty one
 * means "any service" (RFC 2516 5.1). */
static bool service_match(const struct pppoe_server *srv, const struct pppoe_tag_value *req)
{
	if (req->len == 0 || srv->n_services == 0)
		return true;
	for (size_t i = 0; i < srv->n_services; i++)
		if (req->len == strlen(srv->services[i]) &&
		    memcmp(req->data, srv->services[i], req->len) == 0)
			return true;
	return false;
}

static unsigned sessions_of_mac(const struct pppoe_server *srv, const uint8_t mac[PPPOE_ETH_ALEN])
{
	unsigned n = 0;
	for (const struct pppoe_conn *c = srv->by_mac[mac_hash(srv, mac, &srv->rx_vlan)]; c; c = c->mac_next)
		if (same_sub(c->mac, &c->vlan, mac, &srv->rx_vlan))
			n++;
	return n;
}

/* Can one more session be granted to mac? Counts the refusal if not. */
static bool limits_allow(struct pppoe_server *srv, const uint8_t mac[PPPOE_ETH_ALEN])
{
	if (srv->ctr.sessions_live >= srv->max_sessions) {
		srv->ctr.limit_sessions++;
		return false;
	}
	if (srv->max_per_mac && sessions_of_mac(srv, mac) >= srv->max_per_mac) {
		srv->ctr.limit_per_mac++;
		return false;
	}
	return true;
}

/* RFC 4638: grant the client's PPP-Max-Payload if above 1492 and the
 * interface carries it; returns the value to echo, or 0 for no tag. */
static uint16_t max_payload_grant(const struct pppoe_server *srv, const struct pppoe_disc *req)
{
	if (!req->has_ppp_max_payload || req->ppp_max_payload <= PPPOE_DEFAULT_MRU)
		return 0;
	if ((unsigned)req->ppp_max_payload + PPPOE_HLEN + 2 > srv->mtu)
		return 0;
	return req->ppp_max_payload;
}

/* Starts a reply to req: addressed back to its sender, with Host-Uniq and
 * Relay-Session-Id echoed (RFC 2516 5.2, 5.4, Appendix A). */
static void reply_init(const struct pppoe_server *srv, const struct pppoe_disc *req,
		       struct pppoe_disc *rep, uint8_t code)
{
	memset(rep, 0, sizeof(*rep));
	memcpy(rep->dst, req->src, PPPOE_ETH_ALEN);
	memcpy(rep->src, srv->mac, PPPOE_ETH_ALEN);
	rep->code = code;
	rep->host_uniq = req->host_uniq;
	rep->relay_session_id = req->relay_session_id;
	pppoe_tag_set_str(&rep->ac_name, srv->ac_name);
}

/* Sends a discovery frame with the tags v (the request's, or the session's). */
static int disc_send_vlan(struct pppoe_server *srv, const struct pppoe_disc *msg,
			  const struct pppoe_vlan *v)
{
	uint8_t buf[PPPOE_VLAN_HEADROOM + 1600];
	enum pppoe_err err;
	/* The reply echoes the client's tags (Host-Uniq, Relay-Session-Id) and
	 * adds ours, so a legal but large request can ask for a reply the link
	 * cannot carry: refuse it here rather than have send() fail. */
	size_t cap = sizeof(buf) - PPPOE_VLAN_HEADROOM;
	if (srv->mtu && PPPOE_ETH_HLEN + (size_t)srv->mtu < cap)
		cap = PPPOE_ETH_HLEN + (size_t)srv->mtu;
	int n = pppoe_disc_encode(buf + PPPOE_VLAN_HEADROOM, cap, msg, &err);
	if (n < 0) {
		log_peer("pppoe=%s event=reply-not-sent code=%s err=%s mtu=%u", srv->ifname,
			 pppoe_code_str(msg->code), pppoe_err_str(err), srv->mtu);
		srv->ctr.tx_errors++;
		return -1;
	}
	return server_tx(srv, buf, (size_t)n, v);
}

/* A reply to the frame being handled: with its tags. */
static int disc_send(struct pppoe_server *srv, const struct pppoe_disc *msg)
{
	return disc_send_vlan(srv, msg, &srv->rx_vlan);
}

static void padi_input(struct pppoe_server *srv, const struct pppoe_disc *req, uint64_t now_ms)
{
	char mac[18];

	srv->ctr.padi_rx++;
	pppoe_mac_format(req->src, mac);
	if (!disc_rate_ok(srv, req->src, now_ms))
		return;
	if (req->n_service_names == 0) {
		/* RFC 2516 5.1: exactly one Service-Name is required. */
		srv->ctr.malformed++;
		log_peer("pppoe=%s mac=%s event=padi-without-service-name", srv->ifname, mac);
		return;
	}
	/* 5.2: an AC that cannot serve the PADI does not answer. */
	if (!service_match(srv, &req->service_name[0])) {
		srv->ctr.service_mismatch++;
		log_peer("pppoe=%s mac=%s event=padi-service-mismatch", srv->ifname, mac);
		return;
	}
	if (!limits_allow(srv, req->src)) {
		log_peer("pppoe=%s mac=%s event=padi-over-limit", srv->ifname, mac);
		return;
	}

	struct pppoe_disc rep;
	uint8_t cookie[MD5_DIGEST_LEN];
	reply_init(srv, req, &rep, PPPOE_CODE_PADO);
	rep.service_name[rep.n_service_names++] = req->service_name[0];
	for (size_t i = 0; i < srv->n_services && rep.n_service_names < PPPOE_MAX_SERVICE_NAMES; i++)
		if (!pppoe_tag_eq_str(&req->service_name[0], srv->services[i]))
			pppoe_tag_set_str(&rep.service_name[rep.n_service_names++], srv->services[i]);
	cookie_make(srv, req->src, now_ms / srv->cookie_slot_ms, cookie);
	pppoe_tag_set(&rep.ac_cookie, cookie, sizeof(cookie));
	uint16_t mp = max_payload_grant(srv, req);
	if (mp) {
		rep.has_ppp_max_payload = true;
		rep.ppp_max_payload = mp;
	}
	if (disc_send(srv, &rep) == 0)
		srv->ctr.pado_tx++;
}

/* PADS with session id 0 and an error tag (RFC 2516 5.4). */
static void pads_error_send(struct pppoe_server *srv, const struct pppoe_disc *req,
			    uint16_t tag, const char *text)
{
	struct pppoe_disc rep;
	reply_init(srv, req, &rep, PPPOE_CODE_PADS);
	rep.service_name[rep.n_service_names++] = req->service_name[0];
	if (tag == PPPOE_TAG_SERVICE_NAME_ERROR)
		pppoe_tag_set_str(&rep.service_name_error, text);
	else
		pppoe_tag_set_str(&rep.ac_system_error, text);
	if (disc_send(srv, &rep) == 0)
		srv->ctr.pads_error_tx++;
}

/* PADS granting conn's session, rebuilt from what the conn remembers. */
static int pads_send(struct pppoe_server *srv, const struct pppoe_conn *c,
		     const struct pppoe_disc *req)
{
	struct pppoe_disc rep;
	reply_init(srv, req, &rep, PPPOE_CODE_PADS);
	rep.session_id = c->sid;
	rep.service_name[rep.n_service_names++] = req->service_name[0];
	if (c->max_payload) {
		rep.has_ppp_max_payload = true;
		rep.ppp_max_payload = c->max_payload;
	}
	int rc = disc_send(srv, &rep);
	if (rc == 0)
		srv->ctr.pads_tx++;
	return rc;
}

/* Discovery rate limits: per MAC and VLAN first (so one flooder's refused
 * frames do not eat everyone's share), then in all. Counts the drop. */
static bool disc_rate_ok(struct pppoe_server *srv, const uint8_t mac[PPPOE_ETH_ALEN], uint64_t now_ms)
{
	if (srv->rate_slots) {
		struct rate_slot *s = &srv->rate_slots[mac_hash32(mac, &srv->rx_vlan) % RATE_SLOTS];
		if (!same_sub(s->mac, &s->vlan, mac, &srv->rx_vlan)) {
			memset(s, 0, sizeof(*s));
			memcpy(s->mac, mac, PPPOE_ETH_ALEN);
			s->vlan = srv->rx_vlan;
		}
		if (!adm_bucket_take(&s->b, now_ms, srv->disc_rate_mac, srv->disc_rate_mac)) {
			srv->ctr.rate_limited_mac++;
			return false;
		}
	}
	if (!adm_bucket_take(&srv->disc_bucket, now_ms, srv->disc_rate, srv->disc_rate)) {
		srv->ctr.rate_limited_all++;
		return false;
	}
	return true;
}

/* A session for the same MAC and Host-Uniq granted moments ago and not yet
 * used: the client lost our PADS and repeats its PADR. Without a Host-Uniq
 * (RFC 2516 makes it optional), a PADR carrying the same AC-Cookie as the
 * one that created the session is its repetition. */
static struct pppoe_conn *padr_repeat_find(struct pppoe_server *srv, const struct pppoe_disc *req,
					   uint64_t now_ms)
{
	if (!req->host_uniq.present) {
		if (!req->ac_cookie.present || req->ac_cookie.len != MD5_DIGEST_LEN)
			return NULL;
		for (struct pppoe_conn *c = srv->by_mac[mac_hash(srv, req->src, &srv->rx_vlan)]; c; c = c->mac_next)
			if (same_sub(c->mac, &c->vlan, req->src, &srv->rx_vlan) && c->host_uniq_len == 0 &&
			    !c->host_uniq_kept && !c->seen_session_frame &&
			    now_ms - c->created_ms <= PADR_RETRANSMIT_MS &&
			    bytes_equal_ct(c->cookie, req->ac_cookie.data, MD5_DIGEST_LEN))
				return c;
		return NULL;
	}
	if (req->host_uniq.len > HOST_UNIQ_KEEP)
		return NULL;
	for (struct pppoe_conn *c = srv->by_mac[mac_hash(srv, req->src, &srv->rx_vlan)]; c; c = c->mac_next) {
		if (!same_sub(c->mac, &c->vlan, req->src, &srv->rx_vlan) || !c->host_uniq_kept ||
		    c->seen_session_frame || now_ms - c->created_ms > PADR_RETRANSMIT_MS)
			continue;
		if (c->host_uniq_len == req->host_uniq.len &&
		    memcmp(c->host_uniq, req->host_uniq.data, c->host_uniq_len) == 0)
			return c;
	}
	return NULL;
}

/* The next free session id after the last one given, in 1..0xfffe.
 * Returns 0 if none is free. */
static uint16_t sid_alloc(struct pppoe_server *srv)
{
	for (unsigned tries = 0; tries < 0xfffe; tries++) {
		uint16_t sid = srv->next_sid;
		srv->next_sid = sid >= 0xfffe ? 1 : (uint16_t)(sid + 1);
		if (!srv->by_sid[sid])
			return sid;
	}
	return 0;
}

static void conn_unlink(struct pppoe_server *srv, struct pppoe_conn *c)
{
	srv->by_sid[c->sid] = NULL;
	for (struct pppoe_conn **pp = &srv->by_mac[mac_hash(srv, c->mac, &c->vlan)]; *pp; pp = &(*pp)->mac_next) {
		if (*pp == c) {
			*pp = c->mac_next;
			break;
		}
	}
	srv->ctr.sessions_live--;
}

static void padt_send(struct pppoe_server *srv, const uint8_t mac[PPPOE_ETH_ALEN], uint16_t sid,
		      const struct pppoe_vlan *v, const char *reason)
{
	struct pppoe_disc m;
	memset(&m, 0, sizeof(m));
	memcpy(m.dst, mac, PPPOE_ETH_ALEN);
	memcpy(m.src, srv->mac, PPPOE_ETH_ALEN);
	m.code = PPPOE_CODE_PADT;
	m.session_id = sid;
	if (reason)
		pppoe_tag_set_str(&m.generic_error, reason);
	if (disc_send_vlan(srv, &m, v) == 0)
		srv->ctr.padt_tx++;
}

static struct pppoe_conn *conn_create(struct pppoe_server *srv, const struct pppoe_disc *req,
				      uint16_t sid, uint64_t now_ms)
{
	struct pppoe_conn *c = calloc(1, sizeof(*c));
	char mac[18];

	if (!c)
		return NULL;
	c->srv = srv;
	c->sid = sid;
	memcpy(c->mac, req->src, PPPOE_ETH_ALEN);
	size_t sl = req->service_name[0].len;
	if (sl > SERVICE_MAX)
		sl = SERVICE_MAX;
	/* The service name may hold anything: keep it one printable token (no
	 * space, quote or backslash) for key=value logs and RADIUS. */
	for (size_t i = 0; i < sl; i++) {
		uint8_t ch = req->service_name[0].data[i];
		c->service[i] = (ch > 0x20 && ch < 0x7f && ch != 0x22 && ch != 0x5c) ? (char)ch : '?';
	}
	if (req->host_uniq.present && req->host_uniq.len <= HOST_UNIQ_KEEP) {
		memcpy(c->host_uniq, req->host_uniq.data, req->host_uniq.len);
		c->host_uniq_len = req->host_uniq.len;
		c->host_uniq_kept = true;
	}
	c->max_payload = max_payload_grant(srv, req);
	c->created_ms = now_ms;
	if (req->ac_cookie.present && req->ac_cookie.len == MD5_DIGEST_LEN)
		memcpy(c->cookie, req->ac_cookie.data, MD5_DIGEST_LEN);
	c->vlan = srv->rx_vlan;
	if (req->bbf_vendor.present && !srv->ignore_access_line) {
		enum access_line_err lerr;
		if (access_line_tr101_decode(req->bbf_vendor.data, req->bbf_vendor.len, &c->base.info.line,
					     &lerr) == 0) {
			c->base.info.has_line = true;
			srv->ctr.access_line_rx++;
		} else {
			/* A broken tag from the access node: serve the session without it. */
			srv->ctr.access_line_malformed++;
			log_peer("pppoe=%s event=access-line-malformed err=%s", srv->ifname,
				 access_line_err_str(lerr));
		}
	}

	struct access_conn_info *info = &c->base.info;
	c->base.vtbl = &pppoe_conn_vtbl;
	info->kind = ACCESS_KIND_PPPOE;
	info->nas_port = srv->nas_port_base + sid;
	info->nas_port_type = 15;       /* RFC 2865 5.41: Ethernet */
	info->svlan = c->vlan.outer;
	info->cvlan = c->vlan.inner;
	info->no_calling_number = srv->no_calling_number;
	struct access_id_src idsrc = { .mac = c->mac, .line = info->has_line ? &info->line : NULL,
				       .ifname = srv->ifname,
				       .svlan = c->vlan.outer, .cvlan = c->vlan.inner, .session_id = sid };
	if (srv->has_npi_format) {
		access_id_format(&srv->npi_format, &idsrc, info->nas_port_id, sizeof(info->nas_port_id));
	} else if (c->vlan.inner) {
		static const struct access_id_format vlan_only = { { ACCESS_ID_VLAN }, '.' };
		char v[16];
		access_id_format(&vlan_only, &idsrc, v, sizeof(v));
		snprintf(info->nas_port_id, sizeof(info->nas_port_id), "%s.%s:%u", srv->ifname, v, sid);
	} else {
		snprintf(info->nas_port_id, sizeof(info->nas_port_id), "%s:%u", srv->ifname, sid);
	}
	pppoe_mac_format(c->mac, mac);
	if (srv->no_calling_station_id)
		info->calling_station_id[0] = '\0';
	else if (srv->has_cs_format)
		access_id_format(&srv->cs_format, &idsrc, info->calling_station_id,
				 sizeof(info->calling_station_id));
	else
		snprintf(info->calling_station_id, sizeof(info->calling_station_id), "%s", mac);
	snprintf(info->called_station_id, sizeof(info->called_station_id), "%s",
		 c->service[0] ? c->service : srv->ifname);
	info->mru = c->max_payload ? c->max_payload : PPPOE_DEFAULT_MRU;

	srv->by_sid[sid] = c;
	unsigned h = mac_hash(srv, c->mac, &c->vlan);
	c->mac_next = srv->by_mac[h];
	srv->by_mac[h] = c;
	srv->ctr.sessions_live++;
	srv->ctr.sessions_created++;
	return c;
}

static void padr_input(struct pppoe_server *srv, const struct pppoe_disc *req, uint64_t now_ms)
{
	char mac[18];

	srv->ctr.padr_rx++;
	pppoe_mac_format(req->src, mac);
	if (!disc_rate_ok(srv, req->src, now_ms))
		return;
	if (req->n_service_names == 0) {
		srv->ctr.malformed++;
		log_peer("pppoe=%s mac=%s event=padr-without-service-name", srv->ifname, mac);
		return;
	}
	/* Checked before anything else costs state or a reply: a PADR flood from
	 * spoofed MACs ends here. */
	if (!cookie_valid(srv, req->src, &req->ac_cookie, now_ms)) {
		srv->ctr.bad_cookie++;
		log_peer("pppoe=%s mac=%s event=padr-bad-cookie", srv->ifname, mac);
		return;
	}
	struct pppoe_conn *old = padr_repeat_find(srv, req, now_ms);
	if (old) {
		srv->ctr.padr_retransmit++;
		log_debug("pppoe=%s sid=%u mac=%s event=padr-repeat", srv->ifname, old->sid, mac);
		pads_send(srv, old, req);
		return;
	}
	if (!service_match(srv, &req->service_name[0])) {
		srv->ctr.service_mismatch++;
		log_peer("pppoe=%s mac=%s event=padr-service-mismatch", srv->ifname, mac);
		pads_error_send(srv, req, PPPOE_TAG_SERVICE_NAME_ERROR, "service not offered");
		return;
	}
	if (!limits_allow(srv, req->src)) {
		log_peer("pppoe=%s mac=%s event=padr-over-limit", srv->ifname, mac);
		pads_error_send(srv, req, PPPOE_TAG_AC_SYSTEM_ERROR, "session limit reached");
		return;
	}
	uint16_t sid = sid_alloc(srv);
	struct pppoe_conn *c = sid ? conn_create(srv, req, sid, now_ms) : NULL;
	if (!c) {
		log_warn("pppoe=%s mac=%s event=session-alloc-failed", srv->ifname, mac);
		pads_error_send(srv, req, PPPOE_TAG_AC_SYSTEM_ERROR, "out of resources");
		return;
	}
	log_debug("pppoe=%s sid=%u mac=%s service=\"%s\" mru=%u event=session-up", srv->ifname, sid, mac,
		 c->service, c->base.info.mru);
	if (pads_send(srv, c, req) < 0) {
		/* The client will repeat its PADR; it finds this session then. */
		log_peer("pppoe=%s sid=%u event=pads-send-failed", srv->ifname, sid);
	}
	srv->conn_new(srv->conn_new_ctx, &c->base);
	/* The owner may have closed the conn (it is freed then). If it neither
	 * attached nor closed, the contract is broken: close it ourselves. */
	c = srv->by_sid[sid];
	if (c && !c->base.handlers) {
		log_error("pppoe=%s sid=%u event=conn-not-attached", srv->ifname, sid);
		access_conn_close(&c->base, "not attached");
	}
}

/* Ends conn c because of the peer or shutdown: unlinks it, tells the owner,
 * frees it. */
static void conn_closed_by_peer(struct pppoe_server *srv, struct pppoe_conn *c, const char *reason)
{
	conn_unlink(srv, c);
	if (c->base.handlers && c->base.handlers->closed)
		c->base.handlers->closed(c->base.owner, reason);
	free(c);
}

static void padt_input(struct pppoe_server *srv, const struct pppoe_disc *req)
{
	char mac[18];

	srv->ctr.padt_rx++;
	pppoe_mac_format(req->src, mac);
	struct pppoe_conn *c = srv->by_sid[req->session_id];
	/* Only the session's own client may end it: a PADT is matched on MAC and id. */
	if (!c || !same_sub(c->mac, &c->vlan, req->src, &srv->rx_vlan)) {
		srv->ctr.unknown_session++;
		log_peer("pppoe=%s sid=%u mac=%s event=padt-unknown-session", srv->ifname,
			 req->session_id, mac);
		return;
	}
	log_debug("pppoe=%s sid=%u mac=%s event=padt-rx", srv->ifname, c->sid, mac);
	conn_closed_by_peer(srv, c, "padt");
}

static void disc_input(struct pppoe_server *srv, const uint8_t *frame, size_t len, uint64_t now_ms)
{
	struct pppoe_disc d;
	enum pppoe_err err;

	if (pppoe_disc_decode(frame, len, &d, &err) < 0) {
		srv->ctr.malformed++;
		log_peer("pppoe=%s event=malformed-discovery err=%s len=%zu", srv->ifname,
			 pppoe_err_str(err), len);
		return;
	}
	/* A PADI is broadcast (RFC 2516 5.1); PADR and PADT go to one AC (5.3,
	 * 5.5). The socket also sees unicast frames for other stations on the
	 * segment (other ACs): those are not ours to answer or count. */
	bool to_us = memcmp(d.dst, srv->mac, PPPOE_ETH_ALEN) == 0 ||
		     (d.code == PPPOE_CODE_PADI && mac_is_bcast(d.dst));
	if (!to_us) {
		srv->ctr.not_for_us++;
		return;
	}
	switch (d.code) {
	case PPPOE_CODE_PADI: padi_input(srv, &d, now_ms); break;
	case PPPOE_CODE_PADR: padr_input(srv, &d, now_ms); break;
	case PPPOE_CODE_PADT: padt_input(srv, &d); break;
	default:
		/* PADO/PADS from another AC on the segment: not ours to answer. */
		srv->ctr.not_for_us++;
		break;
	}
}

/* A PADT for a frame on a session we do not know (we restarted, or it timed
 * out), so the client stops using it; rate-limited since the source is
 * unauthenticated. */
static void unknown_session_padt(struct pppoe_server *srv, const struct pppoe_session *s,
				 uint64_t now_ms)
{
	if (now_ms - srv->padt_window_ms >= 1000) {
		srv->padt_window_ms = now_ms;
		srv->padt_in_window = 0;
	}
	if (srv->padt_in_window >= UNKNOWN_PADT_PER_S)
		return;
	srv->padt_in_window++;
	padt_send(srv, s->src, s->session_id, &srv->rx_vlan, "unknown session");
}

static void session_input(struct pppoe_server *srv, const uint8_t *frame, size_t len, uint64_t now_ms)
{
	struct pppoe_session s;
	enum pppoe_err err;

	if (pppoe_session_decode(frame, len, &s, &err) < 0) {
		srv->ctr.malformed++;
		log_peer("pppoe=%s event=malformed-session err=%s len=%zu", srv->ifname,
			 pppoe_err_str(err), len);
		return;
	}
	if (memcmp(s.dst, srv->mac, PPPOE_ETH_ALEN) != 0) {
		srv->ctr.not_for_us++;
		return;
	}
	struct pppoe_conn *c = srv->by_sid[s.session_id];
	if (!c || !same_sub(c->mac, &c->vlan, s.src, &srv->rx_vlan)) {
		char mac[18];
		srv->ctr.unknown_session++;
		pppoe_mac_format(s.src, mac);
		log_peer("pppoe=%s sid=%u mac=%s event=frame-for-unknown-session", srv->ifname,
			 s.session_id, mac);
		unknown_session_padt(srv, &s, now_ms);
		return;
	}
	srv->ctr.session_rx++;
	c->seen_session_frame = true;
	/* The owner may close the conn from frame_rx: c is not touched after. */
	if (c->base.handlers && c->base.handlers->frame_rx)
		c->base.handlers->frame_rx(c->base.owner, s.payload, s.payload_len);
}

void pppoe_server_input(struct pppoe_server *srv, const uint8_t *tagged, size_t tlen, uint64_t now_ms)
{
	enum pppoe_err err;
	int n = pppoe_vlan_strip(tagged, tlen, &srv->rx_vlan, srv->untagged_buf,
				 sizeof(srv->untagged_buf), &err);
	if (n < 0) {
		srv->ctr.malformed++;
		return;
	}
	if (!vlan_served(srv, &srv->rx_vlan)) {
		srv->ctr.vlan_refused++;
		return;
	}
	const uint8_t *frame = srv->untagged_buf;
	size_t len = (size_t)n;
	switch (pppoe_frame_ethertype(frame, len)) {
	case PPPOE_ETHERTYPE_DISCOVERY: disc_input(srv, frame, len, now_ms); break;
	case PPPOE_ETHERTYPE_SESSION: session_input(srv, frame, len, now_ms); break;
	default:
		srv->ctr.malformed++;
		break;
	}
}

static int conn_send(struct access_conn *conn, const uint8_t *frame, size_t len)
{
	struct pppoe_conn *c = (struct pppoe_conn *)conn;
	struct pppoe_server *srv = c->srv;
	uint8_t buf[PPPOE_VLAN_HEADROOM + PPPOE_FRAME_MAX];
	enum pppoe_err err;

	int n = pppoe_session_encode(buf + PPPOE_VLAN_HEADROOM, PPPOE_FRAME_MAX, c->mac, srv->mac, c->sid,
				     frame, len, &err);
	if (n < 0) {
		srv->ctr.tx_errors++;
		log_peer("pppoe=%s sid=%u event=frame-too-long len=%zu", srv->ifname, c->sid, len);
		return -1;
	}
	if (server_tx(srv, buf, (size_t)n, &c->vlan) < 0)
		return -1;
	srv->ctr.session_tx++;
	return 0;
}

static void conn_close(struct access_conn *conn, const char *reason)
{
	struct pppoe_conn *c = (struct pppoe_conn *)conn;
	struct pppoe_server *srv = c->srv;
	char mac[18];

	pppoe_mac_format(c->mac, mac);
	log_debug("pppoe=%s sid=%u mac=%s event=session-close reason=\"%s\"", srv->ifname, c->sid,
		 mac, reason ? reason : "");
	padt_send(srv, c->mac, c->sid, &c->vlan, reason);
	conn_unlink(srv, c);
	free(c);
}

static const struct access_conn_vtbl pppoe_conn_vtbl = {
	.send = conn_send,
	.close = conn_close,
};

static void sock_readable(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	struct pppoe_server *srv = arg;

	for (int i = 0; i < RX_BURST; i++) {
		ssize_t n = srv->n_vlans ? pppoe_vsock_recv(fd, srv->rxbuf, sizeof(srv->rxbuf))
					 : pppoe_sock_recv(fd, srv->rxbuf, sizeof(srv->rxbuf));
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_warn("pppoe=%s event=recv-error errno=%d", srv->ifname, errno);
			return;
		}
		if (n == 0) {
			srv->ctr.skipped++;
			continue;
		}
		pppoe_server_input(srv, srv->rxbuf, (size_t)n, ev_now_ms(loop));
	}
}

/* Reads the interface's index, MAC and MTU. Returns 0 or -1 (logged). */
static int iface_query(const char *ifname, int *ifindex, uint8_t mac[PPPOE_ETH_ALEN], unsigned *mtu)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0)
		goto fail;
	*ifindex = ifr.ifr_ifindex;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		goto fail;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, PPPOE_ETH_ALEN);
	if (ioctl(fd, SIOCGIFMTU, &ifr) < 0)
		goto fail;
	*mtu = (unsigned)ifr.ifr_mtu;
	close(fd);
	return 0;
fail:
	log_error("pppoe=%s event=interface-query-failed errno=%d", ifname, errno);
	close(fd);
	return -1;
}

static struct pppoe_server *server_alloc(struct ev_loop *loop, const struct pppoe_server_config *cfg,
					 access_conn_new_cb cb, void *ctx)
{
	struct pppoe_server *srv = calloc(1, sizeof(*srv));
	if (!srv)
		return NULL;
	srv->by_sid = calloc(65536, sizeof(*srv->by_sid));
	if (!srv->by_sid)
		goto fail;
	srv->loop = loop;
	srv->fd = -1;
	ev_defer_init(&srv->flush, flush_cb, srv);
	snprintf(srv->ifname, sizeof(srv->ifname), "%s", cfg->ifname ? cfg->ifname : "");
	if (cfg->ac_name) {
		snprintf(srv->ac_name, sizeof(srv->ac_name), "%s", cfg->ac_name);
	} else if (gethostname(srv->ac_name, sizeof(srv->ac_name) - 1) < 0) {
		snprintf(srv->ac_name, sizeof(srv->ac_name), "realm-lns");
	}
	srv->n_services = cfg->n_service_names < PPPOE_SERVER_MAX_SERVICES ?
		cfg->n_service_names : PPPOE_SERVER_MAX_SERVICES;
	for (size_t i = 0; i < srv->n_services; i++)
		snprintf(srv->services[i], sizeof(srv->services[i]), "%s", cfg->service_names[i]);
	if (pppoe_server_set_limits(srv, cfg->max_sessions, cfg->padi_per_second, cfg->padi_per_mac_per_second) < 0)
		goto fail;
	uint32_t buckets = MAC_HASH_MIN;
	while (buckets < srv->max_sessions)
		buckets <<= 1;
	srv->mac_mask = buckets - 1;
	if (!(srv->by_mac = calloc(buckets, sizeof(*srv->by_mac))))
		goto fail;
	srv->max_per_mac = cfg->max_sessions_per_mac;
	srv->nas_port_base = cfg->nas_port_base;
	srv->n_vlans = cfg->n_vlans < PPPOE_SERVER_MAX_VLAN_RANGES ? cfg->n_vlans : PPPOE_SERVER_MAX_VLAN_RANGES;
	memcpy(srv->vlans, cfg->vlans, srv->n_vlans * sizeof(srv->vlans[0]));
	srv->untagged = cfg->untagged;
	srv->ignore_access_line = cfg->ignore_access_line;
	srv->no_calling_station_id = cfg->no_calling_station_id;
	srv->no_calling_number = cfg->no_calling_number;
	if (cfg->calling_station_format) {
		srv->cs_format = *cfg->calling_station_format;
		srv->has_cs_format = true;
	}
	if (cfg->nas_port_id_format) {
		srv->npi_format = *cfg->nas_port_id_format;
		srv->has_npi_format = true;
	}
	srv->cookie_slot_ms = (uint64_t)(cfg->cookie_lifetime_s ? cfg->cookie_lifetime_s : 30) * 1000u;
	srv->conn_new = cb;
	srv->conn_new_ctx = ctx;
	uint16_t start;
	if (getrandom(srv->key, sizeof(srv->key), 0) != (ssize_t)sizeof(srv->key) ||
	    getrandom(&start, sizeof(start), 0) != (ssize_t)sizeof(start)) {
		log_error("pppoe=%s event=getrandom-failed errno=%d", srv->ifname, errno);
		goto fail;
	}
	srv->next_sid = (uint16_t)(start % 0xfffe + 1);
	return srv;
fail:
	free(srv->rate_slots);
	free(srv->by_mac);
	free(srv->by_sid);
	free(srv);
	return NULL;
}

int pppoe_server_set_limits(struct pppoe_server *srv, uint32_t max_sessions, uint32_t padi_per_second,
			    uint32_t padi_per_mac_per_second)
{
	if (padi_per_mac_per_second && !srv->rate_slots &&
	    !(srv->rate_slots = calloc(RATE_SLOTS, sizeof(*srv->rate_slots))))
		return -1;
	/* RFC 2516: session IDs 1..0xfffe; 0 means as many as there are */
	srv->max_sessions = max_sessions && max_sessions < 0xfffe ? max_sessions : 0xfffe;
	srv->disc_rate = padi_per_second;
	srv->disc_rate_mac = padi_per_mac_per_second;
	if (!padi_per_mac_per_second) {
		free(srv->rate_slots);  /* disc_rate_ok looks at the table only when there is one */
		srv->rate_slots = NULL;
	}
	return 0;
}

struct pppoe_server *pppoe_server_create_io(struct ev_loop *loop, const struct pppoe_server_config *cfg,
					    const struct pppoe_server_io *io,
					    access_conn_new_cb cb, void *ctx)
{
	struct pppoe_server *srv = server_alloc(loop, cfg, cb, ctx);
	if (!srv)
		return NULL;
	srv->io = *io;
	memcpy(srv->mac, io->mac, PPPOE_ETH_ALEN);
	srv->mtu = io->mtu;
	return srv;
}

struct pppoe_server *pppoe_server_create(struct ev_loop *loop, const struct pppoe_server_config *cfg,
					 access_conn_new_cb cb, void *ctx)
{
	struct pppoe_server *srv = server_alloc(loop, cfg, cb, ctx);
	if (!srv)
		return NULL;
	if (iface_query(srv->ifname, &srv->ifindex, srv->mac, &srv->mtu) < 0)
		goto fail;
	/* Without VLANs, the plain socket that leaves tagged frames to the VLAN
	 * sub-interfaces; with them, one that keeps the tags (pppoe_vsock.h). */
	srv->fd = srv->n_vlans ? pppoe_vsock_open(srv->ifindex, false) : pppoe_sock_open(srv->ifindex, false);
	if (srv->fd < 0) {
		log_error("pppoe=%s event=packet-socket-failed errno=%d", srv->ifname, errno);
		goto fail;
	}
	if (ev_io_add(loop, srv->fd, EV_READ, sock_readable, srv) < 0) {
		log_error("pppoe=%s event=ev-add-failed errno=%d", srv->ifname, errno);
		goto fail;
	}
	/* only with the real socket: injected I/O (tests) sends frame by frame */
	srv->txq = malloc(sizeof(*srv->txq) * TX_BATCH);
	char mac[18];
	pppoe_mac_format(srv->mac, mac);
	log_info("pppoe=%s mac=%s mtu=%u ac_name=\"%s\" services=%zu event=listening", srv->ifname,
		 mac, srv->mtu, srv->ac_name, srv->n_services);
	return srv;
fail:
	pppoe_server_destroy(srv);
	return NULL;
}

void pppoe_server_destroy(struct pppoe_server *srv)
{
	if (!srv)
		return;
	for (unsigned sid = 1; sid < 0xffff; sid++) {
		struct pppoe_conn *c = srv->by_sid[sid];
		if (!c)
			continue;
		padt_send(srv, c->mac, c->sid, &c->vlan, "shutdown");
		conn_closed_by_peer(srv, c, "shutdown");
	}
	if (srv->fd >= 0)
		server_flush(srv);      /* the PADTs above, and anything queued */
	if (srv->loop)
		ev_defer_cancel(srv->loop, &srv->flush);
	free(srv->txq);
	if (srv->fd >= 0) {
		if (srv->loop)
			ev_io_del(srv->loop, srv->fd);
		pppoe_sock_close(srv->fd);      /* scale: unmaps its receive ring */
	}
	free(srv->rate_slots);
	free(srv->by_mac);
	free(srv->by_sid);
	free(srv);
}

void pppoe_server_get_counters(struct pppoe_server *srv, struct pppoe_server_counters *out)
{
	if (srv->fd >= 0)
		(void)pppoe_sock_kernel_drops(srv->fd, &srv->ctr.rx_kernel_drops);
	*out = srv->ctr;
}

int pppoe_server_counters_format(const struct pppoe_server_counters *c, char *buf, size_t cap)
{
	return snprintf(buf, cap,
			"padi_rx=%llu pado_tx=%llu padr_rx=%llu pads_tx=%llu pads_error_tx=%llu "
			"padt_rx=%llu padt_tx=%llu session_rx=%llu session_tx=%llu tx_errors=%llu "
			"malformed=%llu skipped=%llu not_for_us=%llu service_mismatch=%llu bad_cookie=%llu "
			"padr_retransmit=%llu limit_sessions=%llu limit_per_mac=%llu "
			"unknown_session=%llu sessions_created=%llu sessions_live=%llu "
			"vlan_refused=%llu access_line_rx=%llu access_line_malformed=%llu "
			"rate_limited_all=%llu rate_limited_mac=%llu rx_kernel_drops=%llu",
			(unsigned long long)c->padi_rx, (unsigned long long)c->pado_tx,
			(unsigned long long)c->padr_rx, (unsigned long long)c->pads_tx,
			(unsigned long long)c->pads_error_tx, (unsigned long long)c->padt_rx,
			(unsigned long long)c->padt_tx, (unsigned long long)c->session_rx,
			(unsigned long long)c->session_tx, (unsigned long long)c->tx_errors,
			(unsigned long long)c->malformed, (unsigned long long)c->skipped,
			(unsigned long long)c->not_for_us,
			(unsigned long long)c->service_mismatch, (unsigned long long)c->bad_cookie,
			(unsigned long long)c->padr_retransmit, (unsigned long long)c->limit_sessions,
			(unsigned long long)c->limit_per_mac, (unsigned long long)c->unknown_session,
			(unsigned long long)c->sessions_created, (unsigned long long)c->sessions_live,
			(unsigned long long)c->vlan_refused, (unsigned long long)c->access_line_rx,
			(unsigned long long)c->access_line_malformed,
			(unsigned long long)c->rate_limited_all, (unsigned long long)c->rate_limited_mac,
			(unsigned long long)c->rx_kernel_drops);
}
