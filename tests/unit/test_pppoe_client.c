/* PPPoE client discovery state machine (RFC 2516 5) driven without sockets:
 * the test plays the access concentrator, feeding frames through
 * pppoe_client_mux_input() and reading what the client sent from its io hook.
 * Retry timers run on a real event loop with short timeouts. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "access/pppoe_client.h"
#include "ev/ev.h"
#include "pppoe_test_util.h"

static const uint8_t other_ac_mac[6] = { 0x02, 0xac, 0, 0, 0, 2 };
static const uint8_t cookie[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

struct owner {
	unsigned ups, downs, frames;
	uint16_t sid, mru;
	char reason[128];
	uint8_t last[64];
	size_t last_len;
	struct pppoe_client *stop_in_up;        /* if set, stopped from the up callback */
};

static void o_up(void *owner, uint16_t sid, uint16_t mru)
{
	struct owner *o = owner;
	o->ups++;
	o->sid = sid;
	o->mru = mru;
	if (o->stop_in_up)
		pppoe_client_stop(o->stop_in_up);
}

static void o_frame_rx(void *owner, const uint8_t *ppp, size_t len)
{
	struct owner *o = owner;
	o->frames++;
	o->last_len = len < sizeof(o->last) ? len : sizeof(o->last);
	memcpy(o->last, ppp, o->last_len);
}

static void o_down(void *owner, const char *reason)
{
	struct owner *o = owner;
	o->downs++;
	snprintf(o->reason, sizeof(o->reason), "%s", reason);
}

static const struct pppoe_client_events events = {
	.up = o_up, .frame_rx = o_frame_rx, .down = o_down,
};

static struct ev_loop *loop;
static struct pppoe_client_mux *mux;

static void setup(void)
{
	n_tx = 0;
	loop = ev_loop_create();
	cr_assert_not_null(loop);
	struct pppoe_client_io io = { .tx = fake_tx };
	mux = pppoe_client_mux_create_io(loop, &io);
	cr_assert_not_null(mux);
}

static void teardown(void)
{
	pppoe_client_mux_destroy(mux);
	ev_loop_destroy(loop);
}

TestSuite(pppoe_client, .init = setup, .fini = teardown);

/* Encodes m and hands it to the mux as if it came off the wire. */
static void ac_send(const struct pppoe_disc *m)
{
	uint8_t buf[512];
	enum pppoe_err err;
	int n = pppoe_disc_encode(buf, sizeof(buf), m, &err);
	cr_assert_gt(n, 0);
	pppoe_client_mux_input(mux, buf, (size_t)n);
}

/* A discovery message of the given code from the AC (ac_mac) to dst, every
 * other field empty. */
static void ac_disc_init(struct pppoe_disc *m, const uint8_t *dst, uint8_t code)
{
	memset(m, 0, sizeof(*m));
	memcpy(m->dst, dst, 6);
	memcpy(m->src, ac_mac, 6);
	m->code = code;
}

/* The AC answers the client's last message (index i) with code. */
static void ac_reply(unsigned i, uint8_t code, const uint8_t *from, const char *ac_name,
		     uint16_t sid, bool echo_host_uniq)
{
	struct pppoe_disc req = sent_disc(i);
	struct pppoe_disc m;
	memset(&m, 0, sizeof(m));
	memcpy(m.dst, req.src, 6);
	memcpy(m.src, from, 6);
	m.code = code;
	m.session_id = sid;
	m.n_service_names = 1;
	pppoe_tag_set_str(&m.service_name[0], "internet");
	if (ac_name)
		pppoe_tag_set_str(&m.ac_name, ac_name);
	uint8_t hu[64];
	if (echo_host_uniq && req.host_uniq.present) {
		memcpy(hu, req.host_uniq.data, req.host_uniq.len);
		pppoe_tag_set(&m.host_uniq, hu, req.host_uniq.len);
	}
	if (code == PPPOE_CODE_PADO) {
		pppoe_tag_set(&m.ac_cookie, cookie, sizeof(cookie));
		pppoe_tag_set(&m.relay_session_id, "\x0a\x0b", 2);
	}
	ac_send(&m);
}

static void run_for(unsigned ms)
{
	uint64_t end = ev_now_ms(loop) + ms;
	while (ev_now_ms(loop) < end)
		ev_loop_run_once(loop, (int)(end - ev_now_ms(loop)));
}

static struct pppoe_client *start(struct owner *o, uint32_t idx, const char *ac_name)
{
	struct pppoe_client_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.mac_index = idx;
	cfg.service_name = "internet";
	cfg.ac_name = ac_name;
	cfg.timeout_ms = 20;
	cfg.padi_attempts = 3;
	cfg.padr_attempts = 2;
	return pppoe_client_start(mux, &cfg, &events, o);
}

/* Brings client (whose PADI is tx index first) up with session sid. */
static void bring_up(unsigned first, uint16_t sid)
{
	ac_reply(first, PPPOE_CODE_PADO, ac_mac, "rlt-ac", 0, true);
	ac_reply(first + 1, PPPOE_CODE_PADS, ac_mac, "rlt-ac", sid, true);
}

Test(pppoe_client, start_sends_a_broadcast_padi_with_host_uniq_and_service)
{
	struct owner o = { 0 };
	start(&o, 0x01020304, NULL);
	cr_assert_eq(n_tx, 1);
	struct pppoe_disc d = sent_disc(0);
	cr_expect_eq(d.code, PPPOE_CODE_PADI);
	static const uint8_t bc[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t mac[6] = { 0x02, 0x50, 0x01, 0x02, 0x03, 0x04 };
	cr_expect(memcmp(d.dst, bc, 6) == 0);
	cr_expect(memcmp(d.src, mac, 6) == 0, "MAC derived from the index, locally administered");
	cr_expect(d.host_uniq.present);
	cr_expect(pppoe_tag_eq_str(&d.service_name[0], "internet"));
}

Test(pppoe_client, pado_leads_to_padr_echoing_cookie_and_relay_then_pads_brings_it_up)
{
	struct owner o = { 0 };
	start(&o, 1, NULL);
	ac_reply(0, PPPOE_CODE_PADO, ac_mac, "rlt-ac", 0, true);
	cr_assert_eq(n_tx, 2);
	struct pppoe_disc r = sent_disc(1);
	cr_expect_eq(r.code, PPPOE_CODE_PADR);
	cr_expect(memcmp(r.dst, ac_mac, 6) == 0);
	cr_expect(r.ac_cookie.present && r.ac_cookie.len == 16 && memcmp(r.ac_cookie.data, cookie, 16) == 0);
	cr_expect_eq(r.relay_session_id.len, 2);
	ac_reply(1, PPPOE_CODE_PADS, ac_mac, "rlt-ac", 0x77, true);
	cr_expect_eq(o.ups, 1);
	cr_expect_eq(o.sid, 0x77);
	cr_expect_eq(o.mru, 1492);
}

Test(pppoe_client, offers_without_our_host_uniq_or_from_another_ac_name_are_ignored)
{
	struct owner o = { 0 };
	start(&o, 1, "rlt-ac");
	ac_reply(0, PPPOE_CODE_PADO, other_ac_mac, "rlt-ac", 0, false);
	ac_reply(0, PPPOE_CODE_PADO, other_ac_mac, "other-ac", 0, true);
	cr_expect_eq(n_tx, 1, "no PADR yet");
	ac_reply(0, PPPOE_CODE_PADO, ac_mac, "rlt-ac", 0, true);
	cr_assert_eq(n_tx, 2);
	cr_expect(memcmp(sent_disc(1).dst, ac_mac, 6) == 0);
}

Test(pppoe_client, frames_flow_both_ways_once_up)
{
	struct owner o = { 0 };
	struct pppoe_client *c = start(&o, 1, NULL);
	static const uint8_t lcp[] = { 0xff, 0x03, 0xc0, 0x21, 0x01, 0x01, 0x00, 0x04 };
	cr_expect_eq(pppoe_client_send(c, lcp, sizeof(lcp)), -1, "no session yet");
	bring_up(0, 0x42);
	cr_assert_eq(pppoe_client_send(c, lcp, sizeof(lcp)), 0);
	struct pppoe_session s;
	enum pppoe_err err;
	cr_assert_eq(pppoe_session_decode(tx_buf[n_tx - 1], tx_len[n_tx - 1], &s, &err), 0);
	cr_expect_eq(s.session_id, 0x42);
	cr_expect(memcmp(s.dst, ac_mac, 6) == 0);
	cr_expect_eq(s.payload_len, 6);

	uint8_t mac[6], buf[64];
	pppoe_client_mac(c, mac);
	int n = pppoe_session_encode(buf, sizeof(buf), mac, ac_mac, 0x42, lcp + 2, 6, &err);
	pppoe_client_mux_input(mux, buf, (size_t)n);
	cr_expect_eq(o.frames, 1);
	cr_expect(memcmp(o.last, lcp + 2, 6) == 0);
	/* Wrong session id or another AC's MAC: not ours. */
	n = pppoe_session_encode(buf, sizeof(buf), mac, ac_mac, 0x43, lcp + 2, 6, &err);
	pppoe_client_mux_input(mux, buf, (size_t)n);
	n = pppoe_session_encode(buf, sizeof(buf), mac, other_ac_mac, 0x42, lcp + 2, 6, &err);
	pppoe_client_mux_input(mux, buf, (size_t)n);
	cr_expect_eq(o.frames, 1);
}

Test(pppoe_client, padi_is_retried_with_backoff_then_the_client_goes_down)
{
	struct owner o = { 0 };
	start(&o, 1, NULL);
	/* 20 ms, then 40 ms: three PADIs, then down at about 140 ms. */
	run_for(35);
	cr_expect_eq(n_tx, 2);
	run_for(250);
	cr_expect_eq(n_tx, 3);
	for (unsigned i = 0; i < n_tx; i++)
		cr_expect_eq(sent_disc(i).code, PPPOE_CODE_PADI);
	cr_expect_eq(o.downs, 1);
	cr_expect_str_eq(o.reason, "no PADO after 3 PADI");
}

Test(pppoe_client, padr_is_retried_then_the_client_goes_down)
{
	struct owner o = { 0 };
	start(&o, 1, NULL);
	ac_reply(0, PPPOE_CODE_PADO, ac_mac, "rlt-ac", 0, true);
	run_for(200);
	cr_expect_eq(n_tx, 3, "PADI, PADR, PADR");
	cr_expect_eq(sent_disc(2).code, PPPOE_CODE_PADR);
	cr_expect_eq(o.downs, 1);
	cr_expect_str_eq(o.reason, "no PADS after 2 PADR");
}

Test(pppoe_client, pads_with_service_name_error_ends_discovery)
{
	struct owner o = { 0 };
	start(&o, 1, NULL);
	ac_reply(0, PPPOE_CODE_PADO, ac_mac, "rlt-ac", 0, true);
	struct pppoe_disc req = sent_disc(1);
	struct pppoe_disc m;
	ac_disc_init(&m, req.src, PPPOE_CODE_PADS);
	m.host_uniq = req.host_uniq;
	pppoe_tag_set_str(&m.service_name_error, "no such service");
	ac_send(&m);
	cr_expect_eq(o.ups, 0);
	cr_expect_eq(o.downs, 1);
	cr_expect_str_eq(o.reason, "service-name-error: no such service");
}

Test(pppoe_client, padt_from_the_ac_takes_the_session_down)
{
	struct owner o = { 0 };
	struct pppoe_client *c = start(&o, 1, NULL);
	bring_up(0, 0x42);
	uint8_t mac[6];
	pppoe_client_mac(c, mac);
	struct pppoe_disc m;
	ac_disc_init(&m, mac, PPPOE_CODE_PADT);
	m.session_id = 0x42;
	pppoe_tag_set_str(&m.generic_error, "admin");
	ac_send(&m);
	cr_expect_eq(o.downs, 1);
	cr_expect_str_eq(o.reason, "padt: admin");
}

Test(pppoe_client, stop_in_session_sends_padt_without_callback)
{
	struct owner o = { 0 };
	struct pppoe_client *c = start(&o, 1, NULL);
	bring_up(0, 0x42);
	unsigned before = n_tx;
	pppoe_client_stop(c);
	cr_assert_eq(n_tx, before + 1);
	struct pppoe_disc d = sent_disc(before);
	cr_expect_eq(d.code, PPPOE_CODE_PADT);
	cr_expect_eq(d.session_id, 0x42);
	cr_expect(memcmp(d.dst, ac_mac, 6) == 0);
	cr_expect_eq(o.downs, 0);
}

Test(pppoe_client, stop_from_inside_the_up_callback_is_safe)
{
	struct owner o = { 0 };
	struct pppoe_client *c = start(&o, 1, NULL);
	o.stop_in_up = c;
	bring_up(0, 0x42);
	cr_expect_eq(o.ups, 1);
	cr_expect_eq(sent_disc(n_tx - 1).code, PPPOE_CODE_PADT);
	run_for(50);
	cr_expect_eq(o.downs, 0, "no timer fires for a stopped client");
}

Test(pppoe_client, two_clients_get_their_own_answers)
{
	struct owner a = { 0 }, b = { 0 };
	start(&a, 1, NULL);
	start(&b, 2, NULL);
	/* Answer b first, then a. */
	ac_reply(1, PPPOE_CODE_PADO, ac_mac, "rlt-ac", 0, true);
	ac_reply(2, PPPOE_CODE_PADS, ac_mac, "rlt-ac", 0x10, true);
	ac_reply(0, PPPOE_CODE_PADO, ac_mac, "rlt-ac", 0, true);
	ac_reply(3, PPPOE_CODE_PADS, ac_mac, "rlt-ac", 0x11, true);
	cr_expect_eq(a.ups, 1);
	cr_expect_eq(b.ups, 1);
	cr_expect_eq(b.sid, 0x10);
	cr_expect_eq(a.sid, 0x11);
}

Test(pppoe_client, rfc4638_max_payload_granted_in_pads_sets_the_mru)
{
	struct owner o = { 0 };
	struct pppoe_client_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.mac_index = 1;
	cfg.ppp_max_payload = 1500;
	cfg.timeout_ms = 20;
	pppoe_client_start(mux, &cfg, &events, &o);
	struct pppoe_disc padi = sent_disc(0);
	cr_expect(padi.has_ppp_max_payload);
	cr_expect_eq(padi.ppp_max_payload, 1500);
	ac_reply(0, PPPOE_CODE_PADO, ac_mac, "rlt-ac", 0, true);
	/* The PADS echoes the tag: granted. */
	struct pppoe_disc req = sent_disc(1);
	struct pppoe_disc m;
	ac_disc_init(&m, req.src, PPPOE_CODE_PADS);
	m.session_id = 9;
	m.host_uniq = req.host_uniq;
	m.has_ppp_max_payload = true;
	m.ppp_max_payload = 1500;
	ac_send(&m);
	cr_expect_eq(o.ups, 1);
	cr_expect_eq(o.mru, 1500);
}
