/* PPPoE server on VLANs and with the TR-101 access-line tag (issue 11),
 * driven without sockets: tagged frames in through pppoe_server_input(),
 * replies captured from the io hook. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "access/pppoe_server.h"
#include "pppoe_test_util.h"

static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t mac1[6] = { 0x02, 0, 0, 0, 0, 0x11 };

#define MAX_CONNS 8
static struct access_conn *conns[MAX_CONNS];
static unsigned n_conns;
static unsigned frames_rx[MAX_CONNS];

static void owner_frame_rx(void *owner, const uint8_t *frame, size_t len)
{
	(void)frame;
	(void)len;
	frames_rx[(uintptr_t)owner]++;
}

static void owner_closed(void *owner, const char *reason)
{
	(void)reason;
	conns[(uintptr_t)owner] = NULL;
}

static const struct access_conn_handlers handlers = { owner_frame_rx, owner_closed };

static void on_conn_new(void *ctx, struct access_conn *conn)
{
	(void)ctx;
	cr_assert_lt(n_conns, MAX_CONNS);
	conns[n_conns] = conn;
	access_conn_attach(conn, &handlers, (void *)(uintptr_t)n_conns);
	n_conns++;
}

static struct pppoe_server *srv;
static struct pppoe_server_config cfg;
static struct access_id_format cs_fmt, npi_fmt;

static void make(bool untagged, bool formats)
{
	n_tx = 0;
	n_conns = 0;
	memset(frames_rx, 0, sizeof(frames_rx));
	memset(&cfg, 0, sizeof(cfg));
	cfg.ifname = "eth1";
	cfg.ac_name = "rlt-ac";
	cfg.cookie_lifetime_s = 10;
	cfg.vlans[0] = (struct pppoe_vlan_range){ 0, 0, 100, 199 };   /* single-tagged */
	cfg.vlans[1] = (struct pppoe_vlan_range){ 1000, 1000, 1, 4094 };      /* QinQ */
	cfg.n_vlans = 2;
	cfg.untagged = untagged;
	if (formats) {
		const char *why;
		cr_assert_eq(access_id_format_parse("circuit-id,mac", '#', &cs_fmt, &why), 0);
		cr_assert_eq(access_id_format_parse("interface,vlan,session", ':', &npi_fmt, &why), 0);
		cfg.calling_station_format = &cs_fmt;
		cfg.nas_port_id_format = &npi_fmt;
	}
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

/* Encodes m with the tags v and feeds it. */
static void feed(const struct pppoe_disc *m, const struct pppoe_vlan *v, uint64_t now)
{
	uint8_t buf[PPPOE_VLAN_HEADROOM + 600];
	enum pppoe_err err;
	size_t len;
	int n = pppoe_disc_encode(buf + PPPOE_VLAN_HEADROOM, 600, m, &err);
	cr_assert_gt(n, 0);
	uint8_t *f = pppoe_vlan_push(buf, (size_t)n, v, &len);
	pppoe_server_input(srv, f, len, now);
}

/* The tags of sent frame i, and the frame without them decoded. */
static struct pppoe_disc sent(unsigned i, struct pppoe_vlan *v)
{
	static uint8_t u[1600];
	enum pppoe_err err;
	struct pppoe_disc d;
	cr_assert_lt(i, n_tx);
	int n = pppoe_vlan_strip(tx_buf[i], tx_len[i], v, u, sizeof(u), &err);
	cr_assert_gt(n, 0);
	cr_assert_eq(pppoe_disc_decode(u, (size_t)n, &d, &err), 0, "err=%s", pppoe_err_str(err));
	return d;
}

static const uint8_t tr101[] = {
	0x00, 0x00, 0x0d, 0xe9, 0x01, 0x06, 'a', 'n', '-', '1', ':', '7', 0x02, 0x03, 'r', 'i', 'd',
	0x81, 0x04, 0x00, 0x00, 0x03, 0xe8, 0x82, 0x04, 0x00, 0x00, 0x27, 0x10,
};

/* PADI + PADR from mac on VLANs v; returns the session id (0 if none). */
static uint16_t dial(const uint8_t mac[6], const struct pppoe_vlan *v, bool with_tr101)
{
	struct pppoe_disc m;
	struct pppoe_vlan rv;
	unsigned before = n_tx;
	memset(&m, 0, sizeof(m));
	memcpy(m.dst, bcast, 6);
	memcpy(m.src, mac, 6);
	m.code = PPPOE_CODE_PADI;
	m.n_service_names = 1;
	pppoe_tag_set_str(&m.service_name[0], "");
	pppoe_tag_set_str(&m.host_uniq, "hu");
	if (with_tr101)
		pppoe_tag_set(&m.bbf_vendor, tr101, sizeof(tr101));
	feed(&m, v, 1000);
	if (n_tx == before)
		return 0;
	struct pppoe_disc pado = sent(before, &rv);
	cr_assert_eq(pado.code, PPPOE_CODE_PADO);
	cr_assert_eq(rv.outer, v->outer, "PADO outer tag");
	cr_assert_eq(rv.inner, v->inner, "PADO inner tag");
	uint8_t ck[16];
	memcpy(ck, pado.ac_cookie.data, 16);
	memcpy(m.dst, ac_mac, 6);
	m.code = PPPOE_CODE_PADR;
	pppoe_tag_set(&m.ac_cookie, ck, 16);
	feed(&m, v, 1000);
	struct pppoe_disc pads = sent(before + 1, &rv);
	cr_assert_eq(pads.code, PPPOE_CODE_PADS);
	cr_assert_eq(rv.inner, v->inner, "PADS inner tag");
	cr_assert_eq(rv.outer, v->outer, "PADS outer tag");
	return pads.session_id;
}

Test(pppoe_vlan, strip_and_push_round_trip_single_and_double_tags)
{
	uint8_t buf[PPPOE_VLAN_HEADROOM + 64], out[64];
	struct pppoe_vlan v = { PPPOE_TPID_8021AD, 1000, 7 }, got;
	enum pppoe_err err;
	size_t len;
	memset(buf, 0xab, sizeof(buf));
	buf[PPPOE_VLAN_HEADROOM + 12] = 0x88;
	buf[PPPOE_VLAN_HEADROOM + 13] = 0x63;
	uint8_t *f = pppoe_vlan_push(buf, 20, &v, &len);
	cr_assert_eq(len, 28);
	cr_assert_eq(f[12], 0x88);
	cr_assert_eq(f[13], 0xa8);
	cr_assert_eq(f[16], 0x81);
	cr_assert_eq(pppoe_vlan_strip(f, len, &got, out, sizeof(out), &err), 20);
	cr_assert_eq(got.outer, 1000);
	cr_assert_eq(got.inner, 7);
	cr_assert_eq(got.outer_tpid, PPPOE_TPID_8021AD);
	cr_assert_eq(out[12], 0x88);
	cr_assert_eq(out[13], 0x63);
	/* Every truncated tagged header is refused. */
	for (size_t l = 0; l < 20; l++)
		cr_assert_eq(pppoe_vlan_strip(f, l, &got, out, sizeof(out), &err), -1, "len=%zu", l);
	/* Three tags, VLAN 4095: refused. */
	static const uint8_t three[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x81, 0, 0, 1, 0x81, 0,
					 0, 2, 0x81, 0, 0, 3, 0x88, 0x63 };
	cr_assert_eq(pppoe_vlan_strip(three, sizeof(three), &got, out, sizeof(out), &err), -1);
	cr_assert_eq(err, PPPOE_ERR_VLAN);
	static const uint8_t vid4095[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x81, 0, 0x0f, 0xff,
					   0x88, 0x63 };
	cr_assert_eq(pppoe_vlan_strip(vid4095, sizeof(vid4095), &got, out, sizeof(out), &err), -1);
	/* A priority tag (VID 0) is no VLAN. */
	static const uint8_t prio[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x81, 0, 0xa0, 0x00,
					0x88, 0x63 };
	cr_assert_eq(pppoe_vlan_strip(prio, sizeof(prio), &got, out, sizeof(out), &err), 14);
	cr_assert_eq(got.inner, 0);
}

Test(pppoe_vlan, same_mac_on_two_vlans_is_two_subscribers, .fini = teardown)
{
	make(false, false);
	struct pppoe_vlan v100 = { PPPOE_TPID_8021Q, 0, 100 }, v101 = { PPPOE_TPID_8021Q, 0, 101 };
	uint16_t a = dial(mac1, &v100, false), b = dial(mac1, &v101, false);
	cr_assert(a && b && a != b);
	cr_assert_eq(n_conns, 2);
	char want[64];
	snprintf(want, sizeof(want), "eth1.100:%u", a);
	cr_assert_str_eq(conns[0]->info.nas_port_id, want);
	cr_assert_eq(conns[0]->info.cvlan, 100);
	cr_assert_eq(conns[0]->info.svlan, 0);
	cr_assert_eq(conns[1]->info.cvlan, 101);

	/* A session frame for a's id but on VLAN 101 is not a's. */
	uint8_t buf[PPPOE_VLAN_HEADROOM + 64];
	enum pppoe_err err;
	size_t len;
	static const uint8_t lcp[] = { 0xc0, 0x21, 0x09, 0x01, 0x00, 0x08, 0, 0, 0, 1 };
	int n = pppoe_session_encode(buf + PPPOE_VLAN_HEADROOM, 64, ac_mac, mac1, a, lcp, sizeof(lcp), &err);
	cr_assert_gt(n, 0);
	uint8_t *f = pppoe_vlan_push(buf, (size_t)n, &v101, &len);
	pppoe_server_input(srv, f, len, 2000);
	cr_assert_eq(frames_rx[0], 0);
	struct pppoe_server_counters c;
	pppoe_server_get_counters(srv, &c);
	cr_assert_eq(c.unknown_session, 1);
	/* On its own VLAN it is. */
	n = pppoe_session_encode(buf + PPPOE_VLAN_HEADROOM, 64, ac_mac, mac1, a, lcp, sizeof(lcp), &err);
	f = pppoe_vlan_push(buf, (size_t)n, &v100, &len);
	pppoe_server_input(srv, f, len, 2000);
	cr_assert_eq(frames_rx[0], 1);
	/* Replies carry the session's tag. */
	unsigned before = n_tx;
	cr_assert_eq(access_conn_send(conns[1], lcp, sizeof(lcp)), 0);
	cr_assert_eq(n_tx, before + 1);
	cr_assert_eq(tx_buf[before][12], 0x81);
	cr_assert_eq(tx_buf[before][15], 101);
	cr_assert_eq(tx_buf[before][16], 0x88);
	cr_assert_eq(tx_buf[before][17], 0x64);
}

Test(pppoe_vlan, qinq_is_served_and_answered_with_both_tags, .fini = teardown)
{
	make(false, false);
	struct pppoe_vlan v = { PPPOE_TPID_8021AD, 1000, 42 };
	uint16_t sid = dial(mac1, &v, false);
	cr_assert(sid);
	char want[64];
	snprintf(want, sizeof(want), "eth1.1000.42:%u", sid);
	cr_assert_str_eq(conns[0]->info.nas_port_id, want);
	cr_assert_eq(conns[0]->info.svlan, 1000);
	/* PADT from the client on other tags does not end it. */
	struct pppoe_disc m;
	memset(&m, 0, sizeof(m));
	memcpy(m.dst, ac_mac, 6);
	memcpy(m.src, mac1, 6);
	m.code = PPPOE_CODE_PADT;
	m.session_id = sid;
	struct pppoe_vlan other = { PPPOE_TPID_8021AD, 1000, 43 };
	feed(&m, &other, 3000);
	cr_assert_not_null(conns[0]);
	feed(&m, &v, 3000);
	cr_assert_null(conns[0]);
}

Test(pppoe_vlan, vlans_outside_the_ranges_and_untagged_are_refused, .fini = teardown)
{
	make(false, false);
	struct pppoe_vlan none = { 0, 0, 0 }, v200 = { PPPOE_TPID_8021Q, 0, 200 },
			  q = { PPPOE_TPID_8021AD, 1001, 5 };
	cr_assert_eq(dial(mac1, &none, false), 0);
	cr_assert_eq(dial(mac1, &v200, false), 0);
	cr_assert_eq(dial(mac1, &q, false), 0);
	cr_assert_eq(n_tx, 0);
	struct pppoe_server_counters c;
	pppoe_server_get_counters(srv, &c);
	cr_assert_eq(c.vlan_refused, 3);
}

Test(pppoe_vlan, untagged_is_served_beside_vlans_when_enabled, .fini = teardown)
{
	make(true, false);
	struct pppoe_vlan none = { 0, 0, 0 };
	uint16_t sid = dial(mac1, &none, false);
	cr_assert(sid);
	char want[64];
	snprintf(want, sizeof(want), "eth1:%u", sid);
	cr_assert_str_eq(conns[0]->info.nas_port_id, want);
}

Test(pppoe_vlan, cookie_of_another_vlan_is_refused, .fini = teardown)
{
	make(false, false);
	struct pppoe_disc m;
	struct pppoe_vlan v100 = { PPPOE_TPID_8021Q, 0, 100 }, v101 = { PPPOE_TPID_8021Q, 0, 101 }, rv;
	memset(&m, 0, sizeof(m));
	memcpy(m.dst, bcast, 6);
	memcpy(m.src, mac1, 6);
	m.code = PPPOE_CODE_PADI;
	m.n_service_names = 1;
	pppoe_tag_set_str(&m.service_name[0], "");
	feed(&m, &v100, 1000);
	struct pppoe_disc pado = sent(0, &rv);
	uint8_t ck[16];
	memcpy(ck, pado.ac_cookie.data, 16);
	memcpy(m.dst, ac_mac, 6);
	m.code = PPPOE_CODE_PADR;
	pppoe_tag_set(&m.ac_cookie, ck, 16);
	feed(&m, &v101, 1000);
	cr_assert_eq(n_tx, 1);
	cr_assert_eq(n_conns, 0);
}

Test(pppoe_vlan, tr101_tag_fills_the_line_and_the_formats, .fini = teardown)
{
	make(false, true);
	struct pppoe_vlan v = { PPPOE_TPID_8021AD, 1000, 42 };
	uint16_t sid = dial(mac1, &v, true);
	cr_assert(sid);
	const struct access_conn_info *info = &conns[0]->info;
	cr_assert(info->has_line);
	cr_assert_str_eq(info->line.circuit_id, "an-1:7");
	cr_assert_str_eq(info->line.remote_id, "rid");
	cr_assert_eq(access_line_tx_bps(&info->line), 10000000u);
	cr_assert_eq(access_line_rx_bps(&info->line), 1000000u);
	cr_assert_str_eq(info->calling_station_id, "an-1:7#02:00:00:00:00:11");
	char want[64];
	snprintf(want, sizeof(want), "eth1:1000.42:%u", sid);
	cr_assert_str_eq(info->nas_port_id, want);
	struct pppoe_server_counters c;
	pppoe_server_get_counters(srv, &c);
	cr_assert_eq(c.access_line_rx, 1);
}

Test(pppoe_vlan, malformed_tr101_tag_is_counted_and_the_session_served_without_it, .fini = teardown)
{
	make(false, true);
	static const uint8_t bad[] = { 0x00, 0x00, 0x0d, 0xe9, 0x81, 0x03, 1, 2, 3 };
	struct pppoe_disc m;
	struct pppoe_vlan v = { PPPOE_TPID_8021Q, 0, 150 }, rv;
	memset(&m, 0, sizeof(m));
	memcpy(m.dst, bcast, 6);
	memcpy(m.src, mac1, 6);
	m.code = PPPOE_CODE_PADI;
	m.n_service_names = 1;
	pppoe_tag_set_str(&m.service_name[0], "");
	pppoe_tag_set(&m.bbf_vendor, bad, sizeof(bad));
	feed(&m, &v, 1000);
	struct pppoe_disc pado = sent(0, &rv);
	uint8_t ck[16];
	memcpy(ck, pado.ac_cookie.data, 16);
	memcpy(m.dst, ac_mac, 6);
	m.code = PPPOE_CODE_PADR;
	pppoe_tag_set(&m.ac_cookie, ck, 16);
	feed(&m, &v, 1000);
	cr_assert_eq(n_conns, 1);
	cr_assert(!conns[0]->info.has_line);
	cr_assert_str_eq(conns[0]->info.calling_station_id, "02:00:00:00:00:11");
	struct pppoe_server_counters c;
	pppoe_server_get_counters(srv, &c);
	cr_assert_eq(c.access_line_malformed, 1);
}

/* A PADI from mac on VLAN 100 at now; returns whether a PADO came back. */
static bool padi_answered(const uint8_t mac[6], uint64_t now)
{
	struct pppoe_disc m;
	struct pppoe_vlan v = { PPPOE_TPID_8021Q, 0, 100 };
	unsigned before = n_tx;
	memset(&m, 0, sizeof(m));
	memcpy(m.dst, bcast, 6);
	memcpy(m.src, mac, 6);
	m.code = PPPOE_CODE_PADI;
	m.n_service_names = 1;
	pppoe_tag_set_str(&m.service_name[0], "");
	feed(&m, &v, now);
	return n_tx > before;
}

/* A server on VLANs 100-199 with these discovery rate limits (0: none). */
static void make_rated(uint32_t padi_per_second, uint32_t padi_per_mac_per_second)
{
	n_tx = 0;
	n_conns = 0;
	memset(&cfg, 0, sizeof(cfg));
	cfg.ifname = "eth1";
	cfg.vlans[0] = (struct pppoe_vlan_range){ 0, 0, 100, 199 };
	cfg.n_vlans = 1;
	cfg.padi_per_second = padi_per_second;
	cfg.padi_per_mac_per_second = padi_per_mac_per_second;
	struct pppoe_server_io io = { .tx = fake_tx, .mtu = 1500 };
	memcpy(io.mac, ac_mac, 6);
	srv = pppoe_server_create_io(NULL, &cfg, &io, on_conn_new, NULL);
	cr_assert_not_null(srv);
}

Test(pppoe_vlan, padi_rate_limits_per_mac_and_in_all, .fini = teardown)
{
	make_rated(5, 2);
	uint8_t m[6] = { 0x02, 0, 0, 0, 1, 0 };
	cr_assert(padi_answered(m, 1000));
	cr_assert(padi_answered(m, 1000));
	cr_assert_not(padi_answered(m, 1000), "third PADI of one MAC in a second");
	m[5] = 1;
	cr_assert(padi_answered(m, 1000));
	m[5] = 2;
	cr_assert(padi_answered(m, 1000));
	m[5] = 3;
	cr_assert(padi_answered(m, 1000));
	m[5] = 4;
	cr_assert_not(padi_answered(m, 1000), "sixth PADI in all in a second");
	struct pppoe_server_counters c;
	pppoe_server_get_counters(srv, &c);
	cr_assert_eq(c.rate_limited_mac, 1);
	cr_assert_eq(c.rate_limited_all, 1);
	/* A second later both buckets have refilled. */
	m[5] = 0;
	cr_assert(padi_answered(m, 2000));
	m[5] = 4;
	cr_assert(padi_answered(m, 2000));
}

Test(pppoe_vlan, padr_without_host_uniq_repeated_gets_the_same_session, .fini = teardown)
{
	make(false, false);
	struct pppoe_disc m;
	struct pppoe_vlan v = { PPPOE_TPID_8021Q, 0, 100 }, rv;
	memset(&m, 0, sizeof(m));
	memcpy(m.dst, bcast, 6);
	memcpy(m.src, mac1, 6);
	m.code = PPPOE_CODE_PADI;
	m.n_service_names = 1;
	pppoe_tag_set_str(&m.service_name[0], "");
	feed(&m, &v, 1000);
	struct pppoe_disc pado = sent(0, &rv);
	uint8_t ck[16];
	memcpy(ck, pado.ac_cookie.data, 16);
	memcpy(m.dst, ac_mac, 6);
	m.code = PPPOE_CODE_PADR;
	pppoe_tag_set(&m.ac_cookie, ck, 16);
	feed(&m, &v, 1000);
	feed(&m, &v, 1500);
	struct pppoe_disc a = sent(1, &rv), b = sent(2, &rv);
	cr_assert_eq(a.code, PPPOE_CODE_PADS);
	cr_assert_eq(b.code, PPPOE_CODE_PADS);
	cr_assert_eq(a.session_id, b.session_id);
	cr_assert_eq(n_conns, 1);
	struct pppoe_server_counters c;
	pppoe_server_get_counters(srv, &c);
	cr_assert_eq(c.padr_retransmit, 1);
	/* A new PADI/PADR round (new cookie slot) is a new session. */
	m.code = PPPOE_CODE_PADI;
	memcpy(m.dst, bcast, 6);
	m.ac_cookie.present = false;
	feed(&m, &v, 25000);
	pado = sent(3, &rv);
	memcpy(ck, pado.ac_cookie.data, 16);
	memcpy(m.dst, ac_mac, 6);
	m.code = PPPOE_CODE_PADR;
	pppoe_tag_set(&m.ac_cookie, ck, 16);
	feed(&m, &v, 25000);
	cr_assert_eq(n_conns, 2);
}

/* A configuration reload hands new limits to a running server
 * (pppoe_server_set_limits): discovery rate limits come on, change and go
 * off without a new server. */
Test(pppoe_vlan, discovery_rate_limits_change_on_a_running_server, .fini = teardown)
{
	make_rated(0, 0);
	uint8_t m[6] = { 0x02, 0, 0, 0, 2, 0 };
	for (int i = 0; i < 5; i++)
		cr_assert(padi_answered(m, 1000), "no limit at start: PADI %d", i);
	cr_assert_eq(pppoe_server_set_limits(srv, 0, 0, 1), 0);
	cr_assert(padi_answered(m, 3000));
	cr_assert_not(padi_answered(m, 3000), "one per MAC and second since the reload");
	cr_assert_eq(pppoe_server_set_limits(srv, 0, 2, 0), 0);
	m[5] = 1;
	cr_assert(padi_answered(m, 5000));
	cr_assert(padi_answered(m, 5000), "the per-MAC limit is off again");
	cr_assert_not(padi_answered(m, 5000), "two in all per second");
	struct pppoe_server_counters c;
	pppoe_server_get_counters(srv, &c);
	cr_expect_eq(c.rate_limited_mac, 1);
	cr_expect_eq(c.rate_limited_all, 1);
}
