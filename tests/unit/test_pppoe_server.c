/* PPPoE server discovery and session handling, driven without sockets: frames
 * go in through pppoe_server_input() with a fake clock, and what the server
 * sends is captured from its io hook. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "access/pppoe_server.h"
#include "pppoe_test_util.h"

static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* What the owner side saw. */
struct owner {
	struct access_conn *conn;
	unsigned frames;
	uint8_t last[64];
	size_t last_len;
	const char *closed_reason;
	bool close_in_new;
};

#define MAX_OWNERS 16
static struct owner owners[MAX_OWNERS];
static unsigned n_owners;
static bool refuse_new;

static void owner_frame_rx(void *owner, const uint8_t *frame, size_t len)
{
	struct owner *o = owner;
	o->frames++;
	o->last_len = len < sizeof(o->last) ? len : sizeof(o->last);
	memcpy(o->last, frame, o->last_len);
}

static void owner_closed(void *owner, const char *reason)
{
	struct owner *o = owner;
	o->closed_reason = reason;
	o->conn = NULL;
}

static const struct access_conn_handlers owner_handlers = {
	.frame_rx = owner_frame_rx,
	.closed = owner_closed,
};

static void on_conn_new(void *ctx, struct access_conn *conn)
{
	if (refuse_new) {
		access_conn_close(conn, "refused");
		return;
	}
	cr_assert_lt(n_owners, MAX_OWNERS);
	struct owner *o = &owners[n_owners++];
	memset(o, 0, sizeof(*o));
	o->conn = conn;
	access_conn_attach(conn, &owner_handlers, o);
}

static struct pppoe_server *srv;
static struct pppoe_server_config cfg;

static void setup(void)
{
	n_tx = 0;
	n_owners = 0;
	refuse_new = false;
	memset(&cfg, 0, sizeof(cfg));
	cfg.ifname = "eth-test";
	cfg.ac_name = "rlt-ac";
	cfg.service_names[0] = "internet";
	cfg.service_names[1] = "voip";
	cfg.n_service_names = 2;
	cfg.max_sessions_per_mac = 2;
	cfg.cookie_lifetime_s = 10;
	cfg.nas_port_base = 1000;
	struct pppoe_server_io io = { .tx = fake_tx, .mtu = 1500 };
	memcpy(io.mac, ac_mac, 6);
	srv = pppoe_server_create_io(NULL, &cfg, &io, on_conn_new, NULL);
	cr_assert_not_null(srv);
}

static void teardown(void)
{
	pppoe_server_destroy(srv);
	srv = NULL;
}

static void client_mac(uint8_t mac[6], unsigned idx)
{
	mac[0] = 0x02; mac[1] = 0; mac[2] = 0; mac[3] = 0; mac[4] = 0; mac[5] = (uint8_t)idx;
}

/* A discovery message of the given code from client idx to dst, with one
 * Service-Name and a Host-Uniq when they are not NULL, every other field empty. */
static void client_disc_init(struct pppoe_disc *m, uint8_t code, unsigned idx, const uint8_t *dst,
			     const char *service, const char *host_uniq)
{
	memset(m, 0, sizeof(*m));
	memcpy(m->dst, dst, 6);
	client_mac(m->src, idx);
	m->code = code;
	if (service) {
		m->n_service_names = 1;
		pppoe_tag_set_str(&m->service_name[0], service);
	}
	if (host_uniq)
		pppoe_tag_set_str(&m->host_uniq, host_uniq);
}

/* Builds and feeds a discovery frame from client idx. */
static void feed_disc(uint8_t code, unsigned idx, const uint8_t *dst, const char *service,
		      const char *host_uniq, const struct pppoe_tag_value *cookie, uint16_t sid,
		      uint64_t now)
{
	struct pppoe_disc m;
	client_disc_init(&m, code, idx, dst, service, host_uniq);
	m.session_id = sid;
	if (cookie)
		m.ac_cookie = *cookie;
	pppoe_tag_set(&m.relay_session_id, "\x01\x02\x03", 3);
	uint8_t buf[512];
	enum pppoe_err err;
	int n = pppoe_disc_encode(buf, sizeof(buf), &m, &err);
	cr_assert_gt(n, 0);
	pppoe_server_input(srv, buf, (size_t)n, now);
}

/* Full discovery for client idx; returns the granted session id. */
static uint16_t discover(unsigned idx, const char *service, const char *hu, uint64_t now)
{
	unsigned before = n_tx;
	feed_disc(PPPOE_CODE_PADI, idx, bcast, service, hu, NULL, 0, now);
	cr_assert_eq(n_tx, before + 1, "one PADO");
	struct pppoe_disc pado = sent_disc(before);
	cr_assert_eq(pado.code, PPPOE_CODE_PADO);
	uint8_t cookie_copy[64];
	memcpy(cookie_copy, pado.ac_cookie.data, pado.ac_cookie.len);
	struct pppoe_tag_value ck = { true, pado.ac_cookie.len, cookie_copy };
	feed_disc(PPPOE_CODE_PADR, idx, ac_mac, service, hu, &ck, 0, now);
	cr_assert_eq(n_tx, before + 2, "one PADS");
	struct pppoe_disc pads = sent_disc(before + 1);
	cr_assert_eq(pads.code, PPPOE_CODE_PADS);
	return pads.session_id;
}

TestSuite(pppoe_server, .init = setup, .fini = teardown);

/* Sends a PADI (Host-Uniq "hu", at 5 s) and copies the AC-Cookie of the PADO
 * it draws into copy, which the returned tag points at: the start of every
 * test that then plays a PADR. */
static struct pppoe_tag_value padi_cookie(uint8_t copy[16])
{
	feed_disc(PPPOE_CODE_PADI, 1, bcast, "", "hu", NULL, 0, 5000);
	struct pppoe_disc pado = sent_disc(0);
	memcpy(copy, pado.ac_cookie.data, 16);
	return (struct pppoe_tag_value){ true, 16, copy };
}

static struct pppoe_server_counters counters(void)
{
	struct pppoe_server_counters c;
	pppoe_server_get_counters(srv, &c);
	return c;
}

Test(pppoe_server, padi_gets_pado_with_ac_name_cookie_and_echoed_tags)
{
	uint8_t mac[6];
	client_mac(mac, 1);
	feed_disc(PPPOE_CODE_PADI, 1, bcast, "", "hu-1", NULL, 0, 5000);
	cr_assert_eq(n_tx, 1);
	struct pppoe_disc d = sent_disc(0);
	cr_expect_eq(d.code, PPPOE_CODE_PADO);
	cr_expect(memcmp(d.dst, mac, 6) == 0);
	cr_expect(memcmp(d.src, ac_mac, 6) == 0);
	cr_expect(pppoe_tag_eq_str(&d.ac_name, "rlt-ac"));
	cr_expect(pppoe_tag_eq_str(&d.host_uniq, "hu-1"));
	cr_expect_eq(d.relay_session_id.len, 3);
	cr_expect_eq(d.ac_cookie.len, 16);
	/* The requested (empty) service first, then the ones offered. */
	cr_expect_eq(d.n_service_names, 3);
	cr_expect(pppoe_tag_eq_str(&d.service_name[0], ""));
	cr_expect(pppoe_tag_eq_str(&d.service_name[1], "internet"));
	cr_expect_eq(n_owners, 0, "a PADI creates no session");
}

Test(pppoe_server, padr_with_cookie_creates_session_and_fills_info)
{
	uint16_t sid = discover(1, "internet", "hu-1", 5000);
	cr_expect_neq(sid, 0);
	cr_assert_eq(n_owners, 1);
	struct pppoe_disc pads = sent_disc(1);
	cr_expect(pppoe_tag_eq_str(&pads.host_uniq, "hu-1"));
	cr_expect(pppoe_tag_eq_str(&pads.service_name[0], "internet"));
	cr_expect_eq(pads.relay_session_id.len, 3);
	const struct access_conn_info *info = &owners[0].conn->info;
	cr_expect_eq(info->kind, ACCESS_KIND_PPPOE);
	cr_expect_eq(info->nas_port_type, 15);
	cr_expect_eq(info->nas_port, 1000u + sid);
	cr_expect_eq(info->mru, 1492);
	cr_expect_str_eq(info->calling_station_id, "02:00:00:00:00:01");
	cr_expect_str_eq(info->called_station_id, "internet");
	char want[64];
	snprintf(want, sizeof(want), "eth-test:%u", sid);
	cr_expect_str_eq(info->nas_port_id, want);
}

Test(pppoe_server, padr_with_bad_or_missing_cookie_gets_nothing)
{
	uint8_t bad[16];
	memset(bad, 0x5a, sizeof(bad));
	struct pppoe_tag_value ck = { true, 16, bad };
	feed_disc(PPPOE_CODE_PADR, 1, ac_mac, "", "hu", &ck, 0, 5000);
	feed_disc(PPPOE_CODE_PADR, 1, ac_mac, "", "hu", NULL, 0, 5000);
	cr_expect_eq(n_tx, 0);
	cr_expect_eq(n_owners, 0);
	struct pppoe_server_counters c = counters();
	cr_expect_eq(c.bad_cookie, 2);
	cr_expect_eq(c.sessions_live, 0);
}

Test(pppoe_server, cookie_of_another_mac_is_refused)
{
	uint8_t copy[16];
	struct pppoe_tag_value ck = padi_cookie(copy);
	feed_disc(PPPOE_CODE_PADR, 2, ac_mac, "", "hu", &ck, 0, 5000);
	cr_expect_eq(n_tx, 1);
	cr_expect_eq(n_owners, 0);
}

Test(pppoe_server, cookie_expires_after_two_slots)
{
	uint8_t copy[16];
	struct pppoe_tag_value ck = padi_cookie(copy);
	/* Made in slot [0,10s); still good in the next slot, gone after. */
	feed_disc(PPPOE_CODE_PADR, 1, ac_mac, "", "hu-a", &ck, 0, 19999);
	cr_expect_eq(n_owners, 1);
	feed_disc(PPPOE_CODE_PADR, 1, ac_mac, "", "hu-b", &ck, 0, 20000);
	cr_expect_eq(n_owners, 1);
	struct pppoe_server_counters c = counters();
	cr_expect_eq(c.bad_cookie, 1);
}

Test(pppoe_server, unknown_service_gets_no_pado_and_pads_error)
{
	feed_disc(PPPOE_CODE_PADI, 1, bcast, "gaming", "hu", NULL, 0, 5000);
	cr_expect_eq(n_tx, 0);
	/* A PADR for it (with a cookie obtained for an empty service) gets a
	 * PADS with session id 0 and Service-Name-Error. */
	uint8_t copy[16];
	struct pppoe_tag_value ck = padi_cookie(copy);
	feed_disc(PPPOE_CODE_PADR, 1, ac_mac, "gaming", "hu", &ck, 0, 5000);
	cr_assert_eq(n_tx, 2);
	struct pppoe_disc pads = sent_disc(1);
	cr_expect_eq(pads.code, PPPOE_CODE_PADS);
	cr_expect_eq(pads.session_id, 0);
	cr_expect(pads.service_name_error.present);
	cr_expect_eq(n_owners, 0);
}

Test(pppoe_server, per_mac_limit_refuses_the_third_session)
{
	discover(1, "", "a", 5000);
	discover(1, "", "b", 5000);
	cr_expect_eq(n_owners, 2);
	feed_disc(PPPOE_CODE_PADI, 1, bcast, "", "c", NULL, 0, 5000);
	cr_expect_eq(n_tx, 4, "no PADO over the per-MAC limit");
	discover(2, "", "a", 5000);
	cr_expect_eq(n_owners, 3, "another MAC still gets one");
}

Test(pppoe_server, session_ids_are_distinct_and_not_reused_at_once)
{
	uint16_t ids[12];
	for (unsigned i = 0; i < 12; i++) {
		ids[i] = discover(i + 1, "", "x", 5000);
		cr_assert_neq(ids[i], 0);
		cr_assert_neq(ids[i], 0xffff);
		for (unsigned j = 0; j < i; j++)
			cr_expect_neq(ids[i], ids[j]);
	}
	/* Close the first; the next session must not get its id back. */
	access_conn_close(owners[0].conn, "test");
	uint16_t next = discover(13, "", "x", 5000);
	cr_expect_neq(next, ids[0]);
}

Test(pppoe_server, repeated_padr_gets_the_same_session_again)
{
	uint8_t copy[16];
	struct pppoe_tag_value ck = padi_cookie(copy);
	feed_disc(PPPOE_CODE_PADR, 1, ac_mac, "", "hu", &ck, 0, 5000);
	feed_disc(PPPOE_CODE_PADR, 1, ac_mac, "", "hu", &ck, 0, 6000);
	cr_assert_eq(n_tx, 3);
	cr_expect_eq(sent_disc(1).session_id, sent_disc(2).session_id);
	cr_expect_eq(n_owners, 1);
}

Test(pppoe_server, frames_flow_both_ways_on_a_session)
{
	uint16_t sid = discover(1, "", "hu", 5000);
	uint8_t mac[6];
	client_mac(mac, 1);
	static const uint8_t lcp[] = { 0xc0, 0x21, 0x01, 0x07, 0x00, 0x04 };
	uint8_t buf[128];
	enum pppoe_err err;
	int n = pppoe_session_encode(buf, sizeof(buf), ac_mac, mac, sid, lcp, sizeof(lcp), &err);
	pppoe_server_input(srv, buf, (size_t)n, 5000);
	cr_assert_eq(owners[0].frames, 1);
	cr_expect_eq(owners[0].last_len, sizeof(lcp));
	cr_expect(memcmp(owners[0].last, lcp, sizeof(lcp)) == 0);

	static const uint8_t hdlc[] = { 0xff, 0x03, 0xc0, 0x21, 0x02, 0x07, 0x00, 0x04 };
	unsigned before = n_tx;
	cr_assert_eq(access_conn_send(owners[0].conn, hdlc, sizeof(hdlc)), 0);
	cr_assert_eq(n_tx, before + 1);
	struct pppoe_session s;
	cr_assert_eq(pppoe_session_decode(tx_buf[before], tx_len[before], &s, &err), 0);
	cr_expect_eq(s.session_id, sid);
	cr_expect(memcmp(s.dst, mac, 6) == 0);
	cr_expect_eq(s.payload_len, 6);
	cr_expect(memcmp(s.payload, hdlc + 2, 6) == 0);

	/* The same session id from another MAC is not this session. */
	n = pppoe_session_encode(buf, sizeof(buf), ac_mac, (const uint8_t *)"\x02\0\0\0\0\x09", sid,
				 lcp, sizeof(lcp), &err);
	pppoe_server_input(srv, buf, (size_t)n, 5000);
	cr_expect_eq(owners[0].frames, 1);
}

Test(pppoe_server, padt_from_client_closes_only_that_session)
{
	uint16_t a = discover(1, "", "hu", 5000);
	discover(2, "", "hu", 5000);
	/* A PADT for a's id from the wrong MAC is ignored. */
	feed_disc(PPPOE_CODE_PADT, 2, ac_mac, NULL, NULL, NULL, a, 5000);
	cr_expect_null(owners[0].closed_reason);
	feed_disc(PPPOE_CODE_PADT, 1, ac_mac, NULL, NULL, NULL, a, 5000);
	cr_expect_str_eq(owners[0].closed_reason, "padt");
	cr_expect_null(owners[1].closed_reason);
	struct pppoe_server_counters c = counters();
	cr_expect_eq(c.sessions_live, 1);
}

Test(pppoe_server, close_by_owner_sends_padt)
{
	uint16_t sid = discover(1, "", "hu", 5000);
	unsigned before = n_tx;
	access_conn_close(owners[0].conn, "admin");
	cr_assert_eq(n_tx, before + 1);
	struct pppoe_disc d = sent_disc(before);
	cr_expect_eq(d.code, PPPOE_CODE_PADT);
	cr_expect_eq(d.session_id, sid);
	cr_expect(pppoe_tag_eq_str(&d.generic_error, "admin"));
}

Test(pppoe_server, owner_refusing_in_conn_new_ends_with_padt)
{
	refuse_new = true;
	uint8_t copy[16];
	struct pppoe_tag_value ck = padi_cookie(copy);
	feed_disc(PPPOE_CODE_PADR, 1, ac_mac, "", "hu", &ck, 0, 5000);
	cr_assert_eq(n_tx, 3);
	cr_expect_eq(sent_disc(1).code, PPPOE_CODE_PADS);
	cr_expect_eq(sent_disc(2).code, PPPOE_CODE_PADT);
	struct pppoe_server_counters c = counters();
	cr_expect_eq(c.sessions_live, 0);
}

Test(pppoe_server, frame_for_unknown_session_gets_padt)
{
	uint8_t mac[6], buf[64];
	enum pppoe_err err;
	client_mac(mac, 3);
	static const uint8_t lcp[] = { 0xc0, 0x21, 0x09, 0x01, 0x00, 0x08, 0, 0, 0, 0 };
	int n = pppoe_session_encode(buf, sizeof(buf), ac_mac, mac, 0x4242, lcp, sizeof(lcp), &err);
	pppoe_server_input(srv, buf, (size_t)n, 5000);
	cr_assert_eq(n_tx, 1);
	struct pppoe_disc d = sent_disc(0);
	cr_expect_eq(d.code, PPPOE_CODE_PADT);
	cr_expect_eq(d.session_id, 0x4242);
}

Test(pppoe_server, malformed_frames_are_counted_and_dropped)
{
	static const uint8_t junk[] = {
		0x02, 0xac, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 1, 0x88, 0x63, 0x11, 0x19, 0, 0, 0, 0x40,
	};
	pppoe_server_input(srv, junk, sizeof(junk), 5000);
	pppoe_server_input(srv, junk, 10, 5000);
	cr_expect_eq(n_tx, 0);
	struct pppoe_server_counters c = counters();
	cr_expect_eq(c.malformed, 2);
	char line[1024];
	pppoe_server_counters_format(&c, line, sizeof(line));
	cr_expect(strstr(line, "malformed=2") != NULL);
}

Test(pppoe_server, destroy_sends_padt_and_reports_closed)
{
	discover(1, "", "hu", 5000);
	discover(2, "", "hu", 5000);
	unsigned before = n_tx;
	pppoe_server_destroy(srv);
	srv = NULL;
	cr_expect_eq(n_tx, before + 2);
	cr_expect_str_eq(owners[0].closed_reason, "shutdown");
	cr_expect_str_eq(owners[1].closed_reason, "shutdown");
}

Test(pppoe_server, ppp_max_payload_is_granted_when_the_link_carries_it)
{
	/* RFC 4638: on a 1500 MTU link 1500 does not fit (1500 + 8 > 1500). */
	struct pppoe_disc m;
	memset(&m, 0, sizeof(m));
	memcpy(m.dst, bcast, 6);
	client_mac(m.src, 1);
	m.code = PPPOE_CODE_PADI;
	m.n_service_names = 1;
	pppoe_tag_set_str(&m.service_name[0], "");
	m.has_ppp_max_payload = true;
	m.ppp_max_payload = 1500;
	uint8_t buf[128];
	enum pppoe_err err;
	int n = pppoe_disc_encode(buf, sizeof(buf), &m, &err);
	pppoe_server_input(srv, buf, (size_t)n, 5000);
	cr_assert_eq(n_tx, 1);
	cr_expect(!sent_disc(0).has_ppp_max_payload);
}

/* Mutation sweep: damaged copies of real frames (bytes flipped, cut short)
 * must be refused or handled without crashing; run under ASan/UBSan too. */
Test(pppoe_server, mutated_frames_never_break_the_server)
{
	uint8_t frames[4][256];
	size_t lens[4];
	uint16_t sid = discover(1, "", "hu", 5000);
	/* 0: the PADI, 1: the PADR with a valid cookie, as the client sent them. */
	struct pppoe_disc m;
	client_disc_init(&m, PPPOE_CODE_PADI, 1, bcast, "", "hu");
	enum pppoe_err err;
	lens[0] = (size_t)pppoe_disc_encode(frames[0], sizeof(frames[0]), &m, &err);
	struct pppoe_disc pado = sent_disc(0);
	uint8_t ck[16];
	memcpy(ck, pado.ac_cookie.data, 16);
	memcpy(m.dst, ac_mac, 6);
	m.code = PPPOE_CODE_PADR;
	pppoe_tag_set(&m.ac_cookie, ck, 16);
	lens[1] = (size_t)pppoe_disc_encode(frames[1], sizeof(frames[1]), &m, &err);
	/* 2: a session frame, 3: a PADT, both for the live session. */
	static const uint8_t lcp[] = { 0xc0, 0x21, 0x09, 0x01, 0x00, 0x08, 0, 0, 0, 0 };
	lens[2] = (size_t)pppoe_session_encode(frames[2], sizeof(frames[2]), ac_mac, m.src, sid, lcp,
					       sizeof(lcp), &err);
	memset(&m, 0, sizeof(m));
	memcpy(m.dst, ac_mac, 6);
	client_mac(m.src, 1);
	m.code = PPPOE_CODE_PADT;
	m.session_id = sid;
	lens[3] = (size_t)pppoe_disc_encode(frames[3], sizeof(frames[3]), &m, &err);

	uint32_t seed = 12345;
	for (unsigned iter = 0; iter < 20000; iter++) {
		uint8_t f[256];
		unsigned k = iter % 4;
		memcpy(f, frames[k], lens[k]);
		size_t len = lens[k];
		seed = seed * 1103515245u + 12345u;
		unsigned flips = 1 + (seed >> 16) % 4;
		for (unsigned i = 0; i < flips; i++) {
			seed = seed * 1103515245u + 12345u;
			f[(seed >> 8) % len] ^= (uint8_t)(1u << ((seed >> 4) % 8));
		}
		seed = seed * 1103515245u + 12345u;
		if ((seed >> 16) % 4 == 0)
			len = (seed >> 4) % (len + 1);
		n_tx = 0;       /* only the sweep's own output matters */
		pppoe_server_input(srv, f, len, 5000 + iter);
	}
	struct pppoe_server_counters c = counters();
	cr_expect_leq(c.sessions_live, c.sessions_created);
	cr_expect_gt(c.malformed, 0);
}

/* A second server on a link with a 1508-octet MTU (RFC 4638 3: baby jumbo
 * frames) and room for two sessions in all. */
static struct pppoe_server *make_server(unsigned mtu, uint32_t max_sessions)
{
	struct pppoe_server_config c;
	memset(&c, 0, sizeof(c));
	c.ifname = "eth-jumbo";
	c.ac_name = "rlt-ac";
	c.max_sessions = max_sessions;
	struct pppoe_server_io io = { .tx = fake_tx, .mtu = mtu };
	memcpy(io.mac, ac_mac, 6);
	return pppoe_server_create_io(NULL, &c, &io, on_conn_new, NULL);
}

Test(pppoe_server, ppp_max_payload_1500_is_granted_on_a_1508_mtu_link)
{
	pppoe_server_destroy(srv);
	srv = make_server(1508, 0);
	struct pppoe_disc m;
	client_disc_init(&m, PPPOE_CODE_PADI, 1, bcast, "", "hu");
	m.has_ppp_max_payload = true;
	m.ppp_max_payload = 1500;
	uint8_t buf[256];
	enum pppoe_err err;
	int n = pppoe_disc_encode(buf, sizeof(buf), &m, &err);
	pppoe_server_input(srv, buf, (size_t)n, 5000);
	cr_assert_eq(n_tx, 1);
	struct pppoe_disc pado = sent_disc(0);
	cr_expect(pado.has_ppp_max_payload);
	cr_expect_eq(pado.ppp_max_payload, 1500);
	uint8_t ck[16];
	memcpy(ck, pado.ac_cookie.data, 16);
	memcpy(m.dst, ac_mac, 6);
	m.code = PPPOE_CODE_PADR;
	pppoe_tag_set(&m.ac_cookie, ck, 16);
	n = pppoe_disc_encode(buf, sizeof(buf), &m, &err);
	pppoe_server_input(srv, buf, (size_t)n, 5000);
	cr_assert_eq(n_tx, 2);
	struct pppoe_disc pads = sent_disc(1);
	cr_expect(pads.has_ppp_max_payload);
	cr_expect_eq(pads.ppp_max_payload, 1500);
	cr_assert_eq(n_owners, 1);
	cr_expect_eq(owners[0].conn->info.mru, 1500);
}

Test(pppoe_server, max_sessions_refuses_with_ac_system_error)
{
	pppoe_server_destroy(srv);
	srv = make_server(1500, 2);
	discover(1, "", "a", 5000);
	discover(2, "", "a", 5000);
	/* Full: a PADI goes unanswered... */
	feed_disc(PPPOE_CODE_PADI, 3, bcast, "", "a", NULL, 0, 5000);
	cr_expect_eq(n_tx, 4);
	/* ...and a PADR with a cookie from before gets PADS 0 with AC-System-Error. */
	access_conn_close(owners[0].conn, "make room");
	feed_disc(PPPOE_CODE_PADI, 3, bcast, "", "a", NULL, 0, 5000);
	cr_assert_eq(n_tx, 6);
	struct pppoe_disc pado = sent_disc(5);
	uint8_t ck[16];
	memcpy(ck, pado.ac_cookie.data, 16);
	struct pppoe_tag_value cv = { true, 16, ck };
	discover(4, "", "a", 5000);
	feed_disc(PPPOE_CODE_PADR, 3, ac_mac, "", "a", &cv, 0, 5000);
	struct pppoe_disc pads = sent_disc(n_tx - 1);
	cr_expect_eq(pads.code, PPPOE_CODE_PADS);
	cr_expect_eq(pads.session_id, 0);
	cr_expect(pads.ac_system_error.present);
	struct pppoe_server_counters c = counters();
	cr_expect_eq(c.limit_sessions, 2);
	cr_expect_eq(c.sessions_live, 2);
}
