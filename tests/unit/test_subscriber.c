/* The subscriber call flow (core/subscriber.c) driven through its table with
 * fake operations and a fake clock: every (state, event) pair, the races of
 * issue 8 (data before the ICCN ack, access closed during RADIUS, DAE during
 * setup, LNS CDN during relay), identity pinning, the no-re-entrancy
 * contract, accounting causes, timers and the deferred free. No socket, no
 * loop, no other layer runs. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aaa/dae_codec.h"
#include "core/lac.h"
#include "core/subscriber_priv.h"
#include "util/log.h"

/* ---- the fake world ---- */

struct fake {
	uint64_t now;
	uint64_t timer_at[SUB_N_TIMERS];
	/* PPP */
	unsigned ppp_inputs, ppp_closes, ppp_handoffs, ppp_frees, auth_results;
	struct subscriber *last_ip_to;  /* the session the last TUN packet went to */
	bool last_auth_accept;
	char last_auth_msg[128];
	/* when set, ppp_close reports `down` synchronously (LCP never opened) */
	bool ppp_close_reports_down;
	/* when set, ppp_input raises auth_request synchronously, as PPP does */
	const struct ppp_auth_request *ppp_input_raises_auth;
	enum sub_state state_seen_inside_input;
	/* RADIUS */
	unsigned aaa_starts, aaa_cancels;
	bool aaa_start_fails;
	unsigned acct_n;
	uint32_t acct_status[8];
	uint32_t acct_cause[8];
	char acct_user[8][64];
	char acct_connection[8][16];
	char acct_server[8][64];
	char acct_client[8][64];
	char acct_assignment[8][64];
	bool acct_link[8];
	unsigned acct_rejects;          /* of acct_n: through acct_tunnel_reject */
	/* L2TP */
	unsigned l2tp_opens, l2tp_closes, l2tp_sends;
	uint16_t l2tp_close_result;
	bool l2tp_open_fails;
	bool engine_status_ok;
	struct l2tp_session_status engine_status;
	/* TUN / access */
	unsigned tun_writes, access_sends, access_closes;
	uint8_t last_access[64];
	size_t last_access_len;
};

static struct fake F;
static struct lac L;
static struct access_conn CONN;
static int dummy_handle;
#define HANDLE ((void *)&dummy_handle)

static uint64_t f_now(struct lac *lac) { return F.now; }
static void f_timer_set(struct subscriber *sub, enum sub_timer t, uint64_t at) { F.timer_at[t] = at; }

static void f_ppp_input(struct subscriber *sub, const uint8_t *frame, size_t len)
{
	F.ppp_inputs++;
	if (F.ppp_input_raises_auth) {
		struct sub_evarg a = { .auth = F.ppp_input_raises_auth };
		sub_dispatch(sub, SUB_EV_AUTH_REQUEST, &a);
		F.state_seen_inside_input = sub->state;
	}
}

static void f_ppp_auth_result(struct subscriber *sub, bool accept, const char *msg)
{
	F.auth_results++;
	F.last_auth_accept = accept;
	snprintf(F.last_auth_msg, sizeof(F.last_auth_msg), "%s", msg ? msg : "");
}

static void f_ppp_set_ipcp(struct subscriber *sub, struct in_addr l, struct in_addr p, struct in_addr d1,
			   struct in_addr d2)
{
}

static int f_ppp_get_proxy(struct subscriber *sub, struct ppp_proxy_info *out)
{
	memset(out, 0, sizeof(*out));
	return 0;
}

static int f_ppp_handoff(struct subscriber *sub, struct ppp_proxy_info *out)
{
	F.ppp_handoffs++;
	memset(out, 0, sizeof(*out));
	return 0;
}

static void f_ppp_close(struct subscriber *sub, const char *reason)
{
	F.ppp_closes++;
	if (F.ppp_close_reports_down) {
		struct sub_evarg a = { .reason = "lcp finished", .ppp_cause = PPP_DOWN_LOCAL_CLOSE };
		sub_dispatch(sub, SUB_EV_PPP_DOWN, &a);
	}
}

static int f_ppp_send_ip(struct subscriber *sub, const uint8_t *p, size_t n)
{
	F.last_ip_to = sub;
	return 0;
}
static void f_ppp_free(struct subscriber *sub) { F.ppp_frees++; }

static struct radius_request *f_aaa_start(struct subscriber *sub, const struct radius_auth_params *p)
{
	F.aaa_starts++;
	return F.aaa_start_fails ? NULL : HANDLE;
}

static void f_aaa_cancel(struct subscriber *sub, struct radius_request *r) { F.aaa_cancels++; }

static int f_acct_send(struct subscriber *sub, const struct radius_acct_params *p)
{
	unsigned i = F.acct_n < 8 ? F.acct_n : 7;
	F.acct_n++;
	F.acct_status[i] = p->status_type;
	F.acct_cause[i] = p->terminate_cause;
	snprintf(F.acct_user[i], sizeof(F.acct_user[i]), "%s", p->user_name ? p->user_name : "");
	snprintf(F.acct_connection[i], sizeof(F.acct_connection[i]), "%s",
		 p->tunnel && p->tunnel->connection ? p->tunnel->connection : "");
	snprintf(F.acct_server[i], sizeof(F.acct_server[i]), "%s",
		 p->tunnel && p->tunnel->server_endpoint ? p->tunnel->server_endpoint : "");
	return 0;
}

static int f_acct_tunnel_reject(struct subscriber *sub, bool link, const struct radius_acct_params *p)
{
	unsigned i = F.acct_n < 8 ? F.acct_n : 7;
	f_acct_send(sub, p);
	F.acct_rejects++;
	F.acct_link[i] = link;
	snprintf(F.acct_client[i], sizeof(F.acct_client[i]), "%s",
		 p->tunnel && p->tunnel->client_endpoint ? p->tunnel->client_endpoint : "");
	snprintf(F.acct_assignment[i], sizeof(F.acct_assignment[i]), "%s",
		 p->tunnel && p->tunnel->assignment_id ? p->tunnel->assignment_id : "");
	return 0;
}

static struct l2tp_session *f_l2tp_open(struct subscriber *sub, const struct l2tp_candidate *c, size_t n,
					const struct l2tp_call_info *call)
{
	F.l2tp_opens++;
	return F.l2tp_open_fails ? NULL : HANDLE;
}

static void f_l2tp_close(struct subscriber *sub, struct l2tp_session *s, uint16_t result, uint16_t error,
			 const char *msg)
{
	F.l2tp_closes++;
	F.l2tp_close_result = result;
}

static int f_l2tp_send(struct subscriber *sub, struct l2tp_session *s, const uint8_t *f, size_t n)
{
	F.l2tp_sends++;
	return 0;
}

static int f_l2tp_status(struct subscriber *sub, struct l2tp_session *s, struct l2tp_session_status *out)
{
	if (!F.engine_status_ok)
		return -1;
	*out = F.engine_status;
	return 0;
}

static void f_local_endpoint(struct lac *lac, const struct sockaddr_storage *lns, socklen_t len, char *out, size_t cap)
{
	snprintf(out, cap, "192.0.2.1");
}

static int f_tun_write(struct subscriber *sub, const uint8_t *p, size_t n)
{
	F.tun_writes++;
	return 0;
}

static int f_access_send(struct subscriber *sub, const uint8_t *frame, size_t len)
{
	F.access_sends++;
	F.last_access_len = len < sizeof(F.last_access) ? len : sizeof(F.last_access);
	memcpy(F.last_access, frame, F.last_access_len);
	return 0;
}

static void f_access_close(struct subscriber *sub, const char *reason) { F.access_closes++; }

static const struct sub_ops fake_ops = {
	.now_ms = f_now, .timer_set = f_timer_set,
	.ppp_input = f_ppp_input, .ppp_auth_result = f_ppp_auth_result, .ppp_set_ipcp = f_ppp_set_ipcp,
	.ppp_get_proxy = f_ppp_get_proxy, .ppp_handoff = f_ppp_handoff, .ppp_close = f_ppp_close,
	.ppp_send_ip = f_ppp_send_ip, .ppp_free = f_ppp_free,
	.aaa_start = f_aaa_start, .aaa_cancel = f_aaa_cancel, .acct_send = f_acct_send,
	.acct_tunnel_reject = f_acct_tunnel_reject,
	.l2tp_open = f_l2tp_open, .l2tp_close = f_l2tp_close, .l2tp_send = f_l2tp_send,
	.l2tp_status = f_l2tp_status, .local_endpoint = f_local_endpoint,
	.tun_write = f_tun_write, .access_send = f_access_send, .access_close = f_access_close,
};

static struct radius_reply tunnel_reply, local_reply, reject_reply;
static struct ppp_auth_request alice, mallory;

static void auth_named(struct ppp_auth_request *a, const char *name)
{
	memset(a, 0, sizeof(*a));
	a->type = PPP_AUTH_CHAP;
	a->name_len = strlen(name);
	memcpy(a->name, name, a->name_len + 1);
	a->chap_id = 7;
	a->challenge_len = 16;
	a->response_len = 16;
}

static void add_tunnel(struct radius_reply *r, const char *endpoint, uint8_t tag)
{
	struct radius_tunnel *t = &r->tunnels[r->n_tunnels++];
	struct sockaddr_in *sin = (struct sockaddr_in *)&t->addr;
	memset(t, 0, sizeof(*t));
	t->tag = tag;
	t->type = RADIUS_TUNNEL_TYPE_L2TP;
	t->medium = RADIUS_TUNNEL_MEDIUM_IPV4;
	snprintf(t->endpoint, sizeof(t->endpoint), "%s", endpoint);
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, endpoint, &sin->sin_addr);
	t->addr_len = sizeof(*sin);
}

static void setup(void)
{
	memset(&F, 0, sizeof(F));
	memset(&L, 0, sizeof(L));
	lac_config_defaults(&L.cfg);
	L.cfg.local_enabled = true;
	inet_pton(AF_INET, "10.66.0.1", &L.cfg.local_gateway);
	struct in_addr base;
	inet_pton(AF_INET, "10.66.0.0", &base);
	cr_assert_eq(ip_pool_init(&L.pool, base, 24, L.cfg.local_gateway), 0);
	cr_assert_eq(lac_ip_table_init(&L, L.pool.size), 0);
	L.sub_ops = &fake_ops;
	L.tun_fd = -1;
	F.now = 1000000;
	memset(&CONN, 0, sizeof(CONN));
	CONN.info.kind = ACCESS_KIND_STREAM;
	CONN.info.nas_port = 1;
	snprintf(CONN.info.calling_station_id, sizeof(CONN.info.calling_station_id), "10.88.0.2:4000");
	memset(&tunnel_reply, 0, sizeof(tunnel_reply));
	add_tunnel(&tunnel_reply, "10.88.2.2", 1);
	add_tunnel(&tunnel_reply, "10.88.3.2", 2);
	memset(&local_reply, 0, sizeof(local_reply));
	memset(&reject_reply, 0, sizeof(reject_reply));
	snprintf(reject_reply.reply_message, sizeof(reject_reply.reply_message), "no");
	auth_named(&alice, "alice@corp.example");
	auth_named(&mallory, "mallory@corp.example");
	log_set_level(LOG_LVL_ERROR);
}

static void teardown(void)
{
	/* free whatever is left, the way the loop would */
	while (L.subscribers) {
		struct subscriber *sub = L.subscribers;
		if (sub->state != SUB_DEAD)
			sub_dispatch(sub, SUB_EV_ACCESS_CLOSED, NULL);
		sub_timer_fired(sub, SUB_TIMER_REAP);
	}
	lac_ip_table_free(&L);
	ip_pool_free(&L.pool);
}

TestSuite(subscriber, .init = setup, .fini = teardown);

/* ---- driving a session into each state ---- */

static void ev(struct subscriber *sub, enum sub_event e, const struct sub_evarg *a)
{
	sub_dispatch(sub, e, a);
}

static struct subscriber *new_sub(void)
{
	struct subscriber *sub = sub_create(&L, &CONN);
	cr_assert_not_null(sub);
	sub->ppp = HANDLE;      /* opaque to the table */
	return sub;
}

static struct l2tp_session_status up_status(uint16_t tid, uint16_t sid, unsigned cand, uint32_t serial)
{
	struct l2tp_session_status st = { .local_tid = tid, .local_sid = sid, .peer_tid = 2, .peer_sid = 1,
					  .call_serial = serial, .candidate_idx = cand };
	return st;
}

static struct subscriber *sub_in(enum sub_state st)
{
	struct subscriber *sub = new_sub();
	struct sub_evarg auth = { .auth = &alice };
	struct sub_evarg tun = { .reply = &tunnel_reply };
	struct sub_evarg loc = { .reply = &local_reply };
	struct l2tp_session_status us = up_status(11, 22, 0, 5);
	struct sub_evarg up = { .l2tp_up = &us };
	switch (st) {
	case SUB_LCP:
		break;
	case SUB_AAA:
		ev(sub, SUB_EV_AUTH_REQUEST, &auth);
		break;
	case SUB_TUNNEL_SETUP:
		ev(sub, SUB_EV_AUTH_REQUEST, &auth);
		ev(sub, SUB_EV_AAA_TUNNEL, &tun);
		break;
	case SUB_RELAY:
		ev(sub, SUB_EV_AUTH_REQUEST, &auth);
		ev(sub, SUB_EV_AAA_TUNNEL, &tun);
		ev(sub, SUB_EV_L2TP_UP, &up);
		break;
	case SUB_LOCAL:
		ev(sub, SUB_EV_AUTH_REQUEST, &auth);
		ev(sub, SUB_EV_AAA_LOCAL, &loc);
		break;
	case SUB_CLOSING:
		ev(sub, SUB_EV_ADMIN_DISCONNECT, NULL);
		break;
	case SUB_DEAD:
		ev(sub, SUB_EV_ACCESS_CLOSED, NULL);
		break;
	default:
		break;
	}
	cr_assert_eq(sub->state, st, "driving to %s ended in %s", sub_state_str(st), sub_state_str(sub->state));
	return sub;
}

/* A plausible argument for any event. */
static struct sub_evarg arg_for(enum sub_event e)
{
	static const uint8_t lcp_echo[] = { 0xff, 0x03, 0xc0, 0x21, 0x09, 0x01, 0x00, 0x08, 0, 0, 0, 0 };
	static uint8_t ip_pkt[20] = { 0x45 };
	static struct l2tp_session_status st;
	static struct ppp_ip_info ip;
	static const struct l2tp_setup_reject rej = { .candidate_idx = 0, .call_serial = 5, .why = "test",
						      .peer_host_name = "" };
	struct sub_evarg a = { .reason = "test" };
	st = up_status(11, 22, 0, 5);
	switch (e) {
	case SUB_EV_AUTH_REQUEST: a.auth = &alice; break;
	case SUB_EV_AAA_TUNNEL: a.reply = &tunnel_reply; break;
	case SUB_EV_AAA_LOCAL: a.reply = &local_reply; break;
	case SUB_EV_AAA_REJECT: a.reply = &reject_reply; break;
	case SUB_EV_L2TP_UP: a.l2tp_up = &st; break;
	case SUB_EV_PPP_UP: a.ip = &ip; break;
	case SUB_EV_PPP_DOWN: a.ppp_cause = PPP_DOWN_PEER_TERMINATE; break;
	case SUB_EV_L2TP_FRAME:
	case SUB_EV_ACCESS_FRAME:
		a.frame = lcp_echo;
		a.len = sizeof(lcp_echo);
		break;
	case SUB_EV_PPP_IP:
	case SUB_EV_TUN_PACKET:
		a.frame = ip_pkt;
		a.len = sizeof(ip_pkt);
		break;
	case SUB_EV_ADMIN_DISCONNECT: a.cause = RADIUS_TERM_ADMIN_RESET; break;
	case SUB_EV_L2TP_REJECT: a.l2tp_reject = &rej; break;
	default: break;
	}
	return a;
}

#define LCP SUB_LCP
#define AAA SUB_AAA
#define TUN SUB_TUNNEL_SETUP
#define REL SUB_RELAY
#define LOC SUB_LOCAL
#define CLO SUB_CLOSING
#define DED SUB_DEAD

/* The expected state after each (state, event), written from the call flow
 * (README), not from the table: a row missing or wrong shows up here. */
static const enum sub_state expect_next[SUB_N_STATES][SUB_N_EVENTS] = {
	/*                auth aaa_t aaa_l aaa_r aaa_f l2_up l2_dn l2_fr ppp_up ppp_dn ppp_ip acc_fr acc_cl admin tun  intrm sess idle rej */
	[SUB_LCP]      = { AAA, LCP,  LCP,  LCP,  LCP,  LCP,  LCP,  LCP,  LCP,   DED,   LCP,   LCP,   DED,   CLO,  LCP, LCP,  LCP, LCP, LCP },
	[SUB_AAA]      = { AAA, TUN,  LOC,  LCP,  LCP,  AAA,  AAA,  AAA,  AAA,   DED,   AAA,   AAA,   DED,   CLO,  AAA, AAA,  AAA, AAA, AAA },
	[SUB_TUNNEL_SETUP] = { TUN, TUN, TUN, TUN, TUN,  REL,  LCP,  REL,  TUN,   DED,   TUN,   TUN,   DED,   CLO,  TUN, TUN,  TUN, TUN, TUN },
	[SUB_RELAY]    = { REL, REL,  REL,  REL,  REL,  REL,  DED,  REL,  REL,   REL,   REL,   REL,   DED,   DED,  REL, REL,  DED, REL, REL },
	[SUB_LOCAL]    = { LOC, LOC,  LOC,  LOC,  LOC,  LOC,  LOC,  LOC,  LOC,   DED,   LOC,   LOC,   DED,   CLO,  LOC, LOC,  CLO, LOC, LOC },
	[SUB_CLOSING]  = { CLO, CLO,  CLO,  CLO,  CLO,  CLO,  CLO,  CLO,  CLO,   DED,   CLO,   CLO,   DED,   CLO,  CLO, CLO,  CLO, CLO, CLO },
	[SUB_DEAD]     = { DED, DED,  DED,  DED,  DED,  DED,  DED,  DED,  DED,   DED,   DED,   DED,   DED,   DED,  DED, DED,  DED, DED, DED },
};

Test(subscriber, every_state_event_pair_has_its_defined_outcome)
{
	for (unsigned s = 0; s < SUB_N_STATES; s++) {
		for (unsigned e = 0; e < SUB_N_EVENTS; e++) {
			struct subscriber *sub = sub_in((enum sub_state)s);
			struct sub_evarg a = arg_for((enum sub_event)e);
			uint64_t unexpected = L.counters.unexpected_events;
			sub_dispatch(sub, (enum sub_event)e, &a);
			cr_expect_eq(sub->state, expect_next[s][e], "(%s, %s) -> %s, expected %s",
				     sub_state_str((enum sub_state)s), sub_event_str((enum sub_event)e),
				     sub_state_str(sub->state), sub_state_str(expect_next[s][e]));
			cr_expect(!sub->dispatching, "(%s, %s) left the dispatcher marked busy",
				  sub_state_str((enum sub_state)s), sub_event_str((enum sub_event)e));
			if (sub->state == SUB_DEAD)
				cr_expect(sub->released && F.timer_at[SUB_TIMER_REAP] != 0,
					  "(%s, %s) reached dead without release", sub_state_str((enum sub_state)s),
					  sub_event_str((enum sub_event)e));
			(void)unexpected;
			teardown();
			setup();
		}
	}
}

Test(subscriber, dead_is_final_and_counts_nothing_as_a_transition)
{
	struct subscriber *sub = sub_in(SUB_DEAD);
	unsigned closes = F.access_closes;
	for (unsigned e = 0; e < SUB_N_EVENTS; e++) {
		struct sub_evarg a = arg_for((enum sub_event)e);
		sub_dispatch(sub, (enum sub_event)e, &a);
		cr_expect_eq(sub->state, SUB_DEAD);
	}
	cr_expect_eq(F.access_closes, closes, "nothing is closed twice");
	cr_expect_eq(F.acct_n, 0, "no accounting from a session that never came up");
}

Test(subscriber, unexpected_pair_is_counted_and_changes_nothing)
{
	struct subscriber *sub = sub_in(SUB_LCP);
	struct sub_evarg a = arg_for(SUB_EV_L2TP_UP);
	sub_dispatch(sub, SUB_EV_L2TP_UP, &a);
	cr_expect_eq(sub->state, SUB_LCP);
	cr_expect_eq(L.counters.unexpected_events, 1);
	cr_expect_eq(F.l2tp_opens + F.l2tp_closes + F.acct_n + F.access_sends, 0);
}

/* ---- the races of issue 8 ---- */

Test(subscriber, data_before_iccn_ack_takes_ids_and_lns_from_the_engine)
{
	struct subscriber *sub = sub_in(SUB_TUNNEL_SETUP);
	/* after a failover the engine carries the call on candidate 1 */
	F.engine_status_ok = true;
	F.engine_status = up_status(4711, 815, 1, 99);
	struct sub_evarg a = arg_for(SUB_EV_L2TP_FRAME);
	sub_dispatch(sub, SUB_EV_L2TP_FRAME, &a);
	cr_assert_eq(sub->state, SUB_RELAY);
	cr_expect_eq(F.ppp_handoffs, 1);
	cr_expect_eq(sub->l2tp_status.local_tid, 4711, "lacctl shows the engine's tid, not 0");
	cr_expect_eq(sub->l2tp_status.local_sid, 815);
	cr_expect_str_eq(sub->lns, "10.88.3.2", "the LNS that carries the call");
	cr_assert_eq(F.acct_n, 1);
	cr_expect_eq(F.acct_status[0], RADIUS_ACCT_STATUS_START);
	cr_expect_str_eq(F.acct_connection[0], "99", "Acct-Tunnel-Connection is the call serial, not 0");
	cr_expect_str_eq(F.acct_server[0], "10.88.3.2", "Start names the LNS that accepted");
	cr_expect_eq(F.access_sends, 1, "the early frame is relayed");
	/* the late `up` confirms, without a second Start */
	struct l2tp_session_status st = up_status(4711, 815, 1, 99);
	struct sub_evarg up = { .l2tp_up = &st };
	sub_dispatch(sub, SUB_EV_L2TP_UP, &up);
	cr_expect_eq(sub->state, SUB_RELAY);
	cr_expect_eq(F.acct_n, 1);
}

Test(subscriber, access_closed_during_radius_cancels_the_request)
{
	struct subscriber *sub = sub_in(SUB_AAA);
	sub_dispatch(sub, SUB_EV_ACCESS_CLOSED, NULL);
	cr_expect_eq(sub->state, SUB_DEAD);
	cr_expect_eq(F.aaa_cancels, 1);
	cr_expect_null(sub->aaa);
	cr_expect_eq(F.access_closes, 0, "the access layer closed it itself: not closed again");
	/* a late answer (cannot come after cancel, but must be harmless) */
	struct sub_evarg a = arg_for(SUB_EV_AAA_TUNNEL);
	sub_dispatch(sub, SUB_EV_AAA_TUNNEL, &a);
	cr_expect_eq(F.l2tp_opens, 0);
	cr_expect_eq(F.acct_n, 0);
}

static struct dae_request dae_for(const char *user)
{
	struct dae_request r;
	memset(&r, 0, sizeof(r));
	r.code = RADIUS_CODE_DISCONNECT_REQUEST;
	r.has_user_name = true;
	snprintf(r.user_name, sizeof(r.user_name), "%s", user);
	return r;
}

Test(subscriber, dae_during_radius_and_tunnel_setup_closes_cleanly)
{
	struct subscriber *a = sub_in(SUB_AAA);
	struct dae_request r = dae_for("alice@corp.example");
	cr_expect_eq(subscriber_dae_request(&L, &r, "10.88.1.1"), DAE_ERR_NONE);
	cr_expect_eq(a->state, SUB_CLOSING);
	cr_expect_eq(F.aaa_cancels, 1);
	cr_expect_eq(F.ppp_closes, 1);

	struct subscriber *t = sub_in(SUB_TUNNEL_SETUP);
	cr_expect_eq(subscriber_dae_request(&L, &r, "10.88.1.1"), DAE_ERR_NONE, "a closing one is not named");
	cr_expect_eq(t->state, SUB_CLOSING);
	cr_expect_eq(F.l2tp_closes, 1);
	cr_expect_eq(F.l2tp_close_result, 3, "CDN result 3: administrative");
	cr_expect_eq(t->term_cause, RADIUS_TERM_ADMIN_RESET);
}

Test(subscriber, lns_cdn_during_relay_sends_terminate_request_and_lost_service)
{
	struct subscriber *sub = sub_in(SUB_RELAY);
	struct sub_evarg a = { .reason = "result=3" };
	sub_dispatch(sub, SUB_EV_L2TP_DOWN, &a);
	cr_expect_eq(sub->state, SUB_DEAD);
	cr_expect_eq(F.l2tp_closes, 0, "the engine's session is gone: not closed again");
	cr_assert_geq(F.last_access_len, 6);
	cr_expect_eq(F.last_access[4], 5, "LCP Terminate-Request to the subscriber");
	cr_assert_eq(F.acct_n, 2);
	cr_expect_eq(F.acct_status[1], RADIUS_ACCT_STATUS_STOP);
	cr_expect_eq(F.acct_cause[1], RADIUS_TERM_LOST_SERVICE);
	cr_expect_eq(F.access_closes, 1);
}

/* issue 12 item 5: the subscriber hangs up with LCP Terminate-Request; the
 * LNS clears the call before its Terminate-Ack came through. */
Test(subscriber, subscriber_terminate_on_relay_gets_ack_and_user_request)
{
	struct subscriber *sub = sub_in(SUB_RELAY);
	const uint8_t termreq[] = { 0xff, 0x03, 0xc0, 0x21, 0x05, 0x2a, 0x00, 0x04 };
	struct sub_evarg f = { .frame = termreq, .len = sizeof(termreq) };
	sub_dispatch(sub, SUB_EV_ACCESS_FRAME, &f);
	cr_expect_eq(F.l2tp_sends, 1, "relayed to the LNS");
	struct sub_evarg a = { .reason = "result=1" };
	sub_dispatch(sub, SUB_EV_L2TP_DOWN, &a);
	cr_expect_eq(sub->state, SUB_DEAD);
	cr_assert_geq(F.last_access_len, 6);
	cr_expect_eq(F.last_access[4], 6, "a Terminate-Ack, not our own Terminate-Request");
	cr_expect_eq(F.last_access[5], 0x2a, "with the subscriber's identifier");
	cr_expect_eq(F.acct_cause[F.acct_n - 1], RADIUS_TERM_USER_REQUEST);
}

Test(subscriber, subscriber_terminate_acked_by_lns_gets_nothing_more)
{
	struct subscriber *sub = sub_in(SUB_RELAY);
	const uint8_t termreq[] = { 0xff, 0x03, 0xc0, 0x21, 0x05, 0x2a, 0x00, 0x04 };
	const uint8_t termack[] = { 0xff, 0x03, 0xc0, 0x21, 0x06, 0x2a, 0x00, 0x04 };
	struct sub_evarg f = { .frame = termreq, .len = sizeof(termreq) };
	struct sub_evarg g = { .frame = termack, .len = sizeof(termack) };
	sub_dispatch(sub, SUB_EV_ACCESS_FRAME, &f);
	sub_dispatch(sub, SUB_EV_L2TP_FRAME, &g);
	unsigned sends = F.access_sends;
	sub_dispatch(sub, SUB_EV_L2TP_DOWN, NULL);
	cr_expect_eq(F.access_sends, sends, "no second Ack, no Terminate-Request");
	cr_expect_eq(F.acct_cause[F.acct_n - 1], RADIUS_TERM_USER_REQUEST);
}

Test(subscriber, ppp_peer_terminate_is_user_request_echo_timeout_lost_carrier)
{
	struct subscriber *a = sub_in(SUB_LOCAL);
	sub_dispatch(a, SUB_EV_PPP_UP, NULL);
	struct sub_evarg d = { .ppp_cause = PPP_DOWN_PEER_TERMINATE, .reason = "terminated by peer" };
	sub_dispatch(a, SUB_EV_PPP_DOWN, &d);
	cr_expect_eq(F.acct_cause[F.acct_n - 1], RADIUS_TERM_USER_REQUEST);

	struct subscriber *b = sub_in(SUB_LOCAL);
	sub_dispatch(b, SUB_EV_PPP_UP, NULL);
	struct sub_evarg e = { .ppp_cause = PPP_DOWN_ECHO_TIMEOUT, .reason = "echo timeout" };
	sub_dispatch(b, SUB_EV_PPP_DOWN, &e);
	cr_expect_eq(F.acct_cause[F.acct_n - 1], RADIUS_TERM_LOST_CARRIER);
}

/* ---- identity pinning (issue 8 item 7) ---- */

Test(subscriber, second_chap_response_while_radius_asks_cannot_swap_the_name)
{
	struct subscriber *sub = sub_in(SUB_AAA);
	struct sub_evarg m = { .auth = &mallory };
	sub_dispatch(sub, SUB_EV_AUTH_REQUEST, &m);
	cr_expect_eq(sub->state, SUB_AAA);
	cr_expect_str_eq(sub->user, "alice@corp.example");
	cr_expect_eq(F.aaa_starts, 1);
	struct sub_evarg loc = { .reply = &local_reply };
	sub_dispatch(sub, SUB_EV_AAA_LOCAL, &loc);
	sub_dispatch(sub, SUB_EV_PPP_UP, NULL);
	cr_assert_eq(F.acct_n, 1);
	cr_expect_str_eq(F.acct_user[0], "alice@corp.example");
}

Test(subscriber, renegotiation_with_another_name_ends_the_session)
{
	struct subscriber *sub = sub_in(SUB_LOCAL);
	sub_dispatch(sub, SUB_EV_PPP_UP, NULL);
	struct sub_evarg same = { .auth = &alice };
	sub_dispatch(sub, SUB_EV_AUTH_REQUEST, &same);
	cr_expect_eq(sub->state, SUB_LOCAL, "the same identity goes on");
	cr_expect(F.last_auth_accept);

	struct sub_evarg m = { .auth = &mallory };
	sub_dispatch(sub, SUB_EV_AUTH_REQUEST, &m);
	cr_expect_eq(sub->state, SUB_CLOSING);
	cr_expect(!F.last_auth_accept);
	cr_expect_eq(L.counters.identity_changes_refused, 1);
	cr_expect_str_eq(sub->user, "alice@corp.example");
	struct dae_request r = dae_for("mallory@corp.example");
	cr_expect_eq(subscriber_dae_request(&L, &r, "x"), DAE_ERR_SESSION_NOT_FOUND, "DAE cannot name mallory");
	struct sub_evarg d = { .ppp_cause = PPP_DOWN_LOCAL_CLOSE };
	sub_dispatch(sub, SUB_EV_PPP_DOWN, &d);
	cr_expect_str_eq(F.acct_user[F.acct_n - 1], "alice@corp.example", "Stop names who RADIUS accepted");
}

Test(subscriber, other_name_during_tunnel_setup_clears_the_call)
{
	struct subscriber *sub = sub_in(SUB_TUNNEL_SETUP);
	struct sub_evarg m = { .auth = &mallory };
	sub_dispatch(sub, SUB_EV_AUTH_REQUEST, &m);
	cr_expect_eq(sub->state, SUB_CLOSING);
	cr_expect_eq(F.l2tp_closes, 1);
	cr_expect_str_eq(sub->user, "alice@corp.example");
}

/* ---- no re-entrancy (issue 8 item 1) ---- */

Test(subscriber, ppp_callback_inside_an_action_is_queued_not_reentered)
{
	struct subscriber *sub = sub_in(SUB_LCP);
	F.ppp_input_raises_auth = &alice;
	F.state_seen_inside_input = SUB_N_STATES;
	struct sub_evarg f = arg_for(SUB_EV_ACCESS_FRAME);
	sub_dispatch(sub, SUB_EV_ACCESS_FRAME, &f);
	cr_expect_eq(F.state_seen_inside_input, SUB_LCP, "auth_request was not run inside ppp_input");
	cr_expect_eq(sub->state, SUB_AAA, "it ran right after");
	cr_expect_eq(F.aaa_starts, 1);
}

Test(subscriber, ppp_down_reported_inside_close_ends_in_dead)
{
	struct subscriber *sub = sub_in(SUB_LCP);
	F.ppp_close_reports_down = true;
	subscriber_disconnect(sub, "administrative disconnect", RADIUS_TERM_ADMIN_RESET);
	cr_expect_eq(sub->state, SUB_DEAD, "CLOSING, then the queued down");
	cr_expect_eq(F.ppp_frees, 0, "PPP is not freed while it may be on the stack");
	sub_timer_fired(sub, SUB_TIMER_REAP);
	cr_expect_eq(F.ppp_frees, 1, "freed from the loop");
	cr_expect_eq(L.n_subscribers, 0);
	cr_expect_eq(L.counters.sessions_created, L.counters.sessions_destroyed);
}

Test(subscriber, release_frees_nothing_until_the_reap_timer)
{
	struct subscriber *sub = sub_in(SUB_RELAY);
	sub_dispatch(sub, SUB_EV_ACCESS_CLOSED, NULL);
	cr_expect_eq(sub->state, SUB_DEAD);
	cr_expect_eq(F.ppp_frees, 0);
	cr_expect_eq(L.n_subscribers, 1);
	cr_expect_eq(F.timer_at[SUB_TIMER_REAP], F.now);
	cr_expect_eq(F.timer_at[SUB_TIMER_SESSION], 0, "timers stopped");
	cr_expect_eq(F.l2tp_closes, 1);
	cr_expect_eq(F.l2tp_close_result, 1, "CDN result 1: loss of carrier");
	sub_timer_fired(sub, SUB_TIMER_REAP);
	cr_expect_eq(L.n_subscribers, 0);
}

/* ---- timers, with the fake clock ---- */

Test(subscriber, session_timeout_from_the_accept_ends_a_relay)
{
	tunnel_reply.has_session_timeout = true;
	tunnel_reply.session_timeout = 10;
	struct subscriber *sub = sub_in(SUB_RELAY);
	cr_expect_eq(F.timer_at[SUB_TIMER_SESSION], F.now + 10000);
	F.now += 10000;
	sub_timer_fired(sub, SUB_TIMER_SESSION);
	cr_expect_eq(sub->state, SUB_DEAD);
	cr_expect_eq(F.acct_cause[F.acct_n - 1], RADIUS_TERM_SESSION_TIMEOUT);
	cr_expect_eq(F.l2tp_close_result, 3);
}

Test(subscriber, idle_timeout_waits_for_the_last_data_frame)
{
	local_reply.has_idle_timeout = true;
	local_reply.idle_timeout = 60;
	struct subscriber *sub = sub_in(SUB_LOCAL);
	sub_dispatch(sub, SUB_EV_PPP_UP, NULL);
	cr_expect_eq(F.timer_at[SUB_TIMER_IDLE], F.now + 60000);
	F.now += 30000;
	uint8_t pkt[20] = { 0x45 };
	memcpy(pkt + 12, &sub->ip.s_addr, 4);
	struct sub_evarg ip = { .frame = pkt, .len = sizeof(pkt) };
	sub_dispatch(sub, SUB_EV_PPP_IP, &ip);
	cr_expect_eq(F.tun_writes, 1);
	F.now += 30000;
	sub_timer_fired(sub, SUB_TIMER_IDLE);
	cr_expect_eq(sub->state, SUB_LOCAL, "30 s since the last data: not idle yet");
	cr_expect_eq(F.timer_at[SUB_TIMER_IDLE], F.now + 30000);
	F.now += 30000;
	sub_timer_fired(sub, SUB_TIMER_IDLE);
	cr_expect_eq(sub->state, SUB_CLOSING);
	cr_expect_eq(sub->term_cause, RADIUS_TERM_IDLE_TIMEOUT);
}

Test(subscriber, interim_updates_follow_the_interval)
{
	local_reply.has_acct_interim_interval = true;
	local_reply.acct_interim_interval = 30; /* raised to the 60 s floor */
	struct subscriber *sub = sub_in(SUB_LOCAL);
	sub_dispatch(sub, SUB_EV_PPP_UP, NULL);
	cr_expect_eq(F.timer_at[SUB_TIMER_INTERIM], F.now + 60000);
	F.now += 60000;
	sub_timer_fired(sub, SUB_TIMER_INTERIM);
	cr_expect_eq(F.acct_status[F.acct_n - 1], RADIUS_ACCT_STATUS_INTERIM);
	cr_expect_eq(F.timer_at[SUB_TIMER_INTERIM], F.now + 60000);
}

/* ---- local termination and the address book ---- */

Test(subscriber, framed_ip_outside_the_pool_cannot_be_shared)
{
	local_reply.has_framed_ip = true;
	inet_pton(AF_INET, "192.0.2.77", &local_reply.framed_ip);
	struct subscriber *a = sub_in(SUB_LOCAL);
	struct subscriber *b = sub_in(SUB_AAA);
	struct sub_evarg loc = { .reply = &local_reply };
	sub_dispatch(b, SUB_EV_AAA_LOCAL, &loc);
	cr_expect_eq(b->state, SUB_LCP, "the second session is refused");
	cr_expect(!F.last_auth_accept);
	cr_expect_str_eq(F.last_auth_msg, "Address in use");
	sub_dispatch(a, SUB_EV_ACCESS_CLOSED, NULL);
	struct subscriber *c = sub_in(SUB_AAA);
	sub_dispatch(c, SUB_EV_AAA_LOCAL, &loc);
	cr_expect_eq(c->state, SUB_LOCAL, "free again once the first is gone");
}

/* A packet from the TUN to dst, as the loop hands it over: to whom did it go? */
static struct subscriber *tun_packet_to(const char *dst)
{
	uint8_t pkt[20] = { 0x45 };
	inet_pton(AF_INET, dst, pkt + 16);
	F.last_ip_to = NULL;
	subscriber_tun_input(&L, pkt, sizeof(pkt));
	return F.last_ip_to;
}

Test(subscriber, the_address_table_grows_past_its_first_size_and_finds_every_session)
{
	/* 10,000 local sessions (Framed-IP-Addresses) in a table sized for a
	 * /24 pool: it doubles and every address still leads to its own session */
	enum { N = 10000 };
	static struct subscriber *subs[N];
	char ip[32];
	local_reply.has_framed_ip = true;
	for (unsigned i = 0; i < N; i++) {
		snprintf(ip, sizeof(ip), "100.64.%u.%u", i / 256, i % 256);
		inet_pton(AF_INET, ip, &local_reply.framed_ip);
		subs[i] = sub_in(SUB_LOCAL);
		sub_dispatch(subs[i], SUB_EV_PPP_UP, NULL);     /* IPCP up: the address is in use */
		cr_assert_eq(subs[i]->state, SUB_LOCAL);
	}
	cr_expect_eq(L.n_ip, N);
	cr_expect_geq(L.ip_mask + 1, N, "at most one session per bucket on average");
	for (unsigned i = 0; i < N; i++) {
		snprintf(ip, sizeof(ip), "100.64.%u.%u", i / 256, i % 256);
		cr_assert_eq(tun_packet_to(ip), subs[i], "%s", ip);
	}
	/* half of them hang up: theirs lead nowhere, the others' still do */
	for (unsigned i = 0; i < N; i += 2)
		sub_dispatch(subs[i], SUB_EV_ACCESS_CLOSED, NULL);
	cr_expect_eq(L.n_ip, N / 2);
	uint64_t lost = L.counters.tun_no_session;
	cr_expect_null(tun_packet_to("100.64.0.0"));
	cr_expect_eq(L.counters.tun_no_session, lost + 1);
	cr_expect_eq(tun_packet_to("100.64.39.15"), subs[9999]);
}

Test(subscriber, failures_to_start_go_back_to_lcp_with_a_failure)
{
	F.aaa_start_fails = true;
	struct subscriber *a = sub_in(SUB_LCP);
	struct sub_evarg auth = { .auth = &alice };
	sub_dispatch(a, SUB_EV_AUTH_REQUEST, &auth);
	cr_expect_eq(a->state, SUB_LCP);
	cr_expect(!F.last_auth_accept);
	F.aaa_start_fails = false;
	F.l2tp_open_fails = true;
	struct subscriber *b = sub_in(SUB_AAA);
	struct sub_evarg tun = { .reply = &tunnel_reply };
	sub_dispatch(b, SUB_EV_AAA_TUNNEL, &tun);
	cr_expect_eq(b->state, SUB_LCP);
	cr_expect_str_eq(F.last_auth_msg, "Tunnel setup failed");
}

Test(subscriber, lacctl_row_escapes_the_peer_supplied_name)
{
	struct ppp_auth_request evil;
	auth_named(&evil, "x state=relay\nid=99 user=root");
	struct subscriber *sub = new_sub();
	struct sub_evarg a = { .auth = &evil };
	sub_dispatch(sub, SUB_EV_AUTH_REQUEST, &a);
	struct strbuf out;
	strbuf_init(&out);
	subscriber_show_all(&L, &out);
	cr_expect_null(strstr(out.data, "\nid=99"), "no forged row: %s", out.data);
	cr_expect_null(strstr(out.data, " state=relay"), "no forged field");
	strbuf_free(&out);
}

/* ---- RFC 2867 Tunnel-Reject / Tunnel-Link-Reject (shared LNS health) ---- */

Test(subscriber, refused_tunnel_sends_one_tunnel_reject_naming_that_lns_then_the_start_names_the_next)
{
	snprintf(tunnel_reply.tunnels[0].assignment_id, sizeof(tunnel_reply.tunnels[0].assignment_id), "a1");
	struct subscriber *sub = sub_in(SUB_TUNNEL_SETUP);
	struct l2tp_setup_reject r = { .link = false, .candidate_idx = 0, .call_serial = 77,
				       .result = 4, .why = "StopCCN from peer", .peer_host_name = "lns1" };
	struct sub_evarg a = { .l2tp_reject = &r };
	sub_dispatch(sub, SUB_EV_L2TP_REJECT, &a);
	cr_expect_eq(sub->state, SUB_TUNNEL_SETUP, "the failover follows as its own event");
	cr_assert_eq(F.acct_n, 1);
	cr_expect_eq(F.acct_rejects, 1, "through the Tunnel-Reject encoder");
	cr_expect_eq(F.acct_status[0], RADIUS_ACCT_STATUS_TUNNEL_REJECT);
	cr_expect(!F.acct_link[0]);
	cr_expect_str_eq(F.acct_user[0], "alice@corp.example", "the user whose call it was: the broker finds the realm");
	cr_expect_str_eq(F.acct_server[0], "10.88.2.2", "Tunnel-Server-Endpoint of the refusing LNS");
	cr_expect_str_eq(F.acct_client[0], "192.0.2.1", "Tunnel-Client-Endpoint: our address towards it");
	cr_expect_str_eq(F.acct_assignment[0], "a1");
	cr_expect_str_eq(F.acct_connection[0], "77", "Acct-Tunnel-Connection: the call serial");
	cr_expect_eq(L.counters.unexpected_events, 0);

	struct l2tp_session_status st = up_status(11, 22, 1, 78);
	struct sub_evarg up = { .l2tp_up = &st };
	sub_dispatch(sub, SUB_EV_L2TP_UP, &up);
	cr_assert_eq(sub->state, SUB_RELAY);
	cr_assert_eq(F.acct_n, 2);
	cr_expect_eq(F.acct_status[1], RADIUS_ACCT_STATUS_START);
	cr_expect_str_eq(F.acct_server[1], "10.88.3.2");
}

Test(subscriber, refused_call_on_an_established_tunnel_sends_tunnel_link_reject)
{
	struct subscriber *sub = sub_in(SUB_TUNNEL_SETUP);
	struct l2tp_setup_reject r = { .link = true, .candidate_idx = 1, .call_serial = 9, .result = 2,
				       .error = 4, .why = "no resources", .peer_host_name = "" };
	struct sub_evarg a = { .l2tp_reject = &r };
	sub_dispatch(sub, SUB_EV_L2TP_REJECT, &a);
	cr_assert_eq(F.acct_n, 1);
	cr_expect_eq(F.acct_status[0], RADIUS_ACCT_STATUS_TUNNEL_LINK_REJECT);
	cr_expect(F.acct_link[0]);
	cr_expect_str_eq(F.acct_server[0], "10.88.3.2");
	/* every LNS failed: the subscriber is refused, no Start, no Stop */
	struct sub_evarg down = { .reason = "result=2 error=4 msg=-", .l2tp_result = 2 };
	sub_dispatch(sub, SUB_EV_L2TP_DOWN, &down);
	cr_expect_eq(sub->state, SUB_LCP);
	cr_expect_eq(F.acct_n, 1);
}

Test(subscriber, acct_tunnel_reject_no_sends_nothing_and_a_bad_candidate_is_ignored)
{
	L.cfg.radius_acct_tunnel_reject = false;
	struct subscriber *sub = sub_in(SUB_TUNNEL_SETUP);
	struct l2tp_setup_reject r = { .candidate_idx = 0, .call_serial = 1, .why = "", .peer_host_name = "" };
	struct sub_evarg a = { .l2tp_reject = &r };
	sub_dispatch(sub, SUB_EV_L2TP_REJECT, &a);
	cr_expect_eq(F.acct_n, 0, "acct_tunnel_reject = no");
	L.cfg.radius_acct_tunnel_reject = true;
	r.candidate_idx = 2;    /* the reply had two */
	sub_dispatch(sub, SUB_EV_L2TP_REJECT, &a);
	cr_expect_eq(F.acct_n, 0, "a candidate the reply did not have");
	cr_expect_eq(sub->state, SUB_TUNNEL_SETUP);
}
