/* The accounting spool: the record codec on byte vectors (every truncated
 * prefix, a flipped octet, unknown flags and types), the Stop made for a lost
 * session, and the spool files in a temporary directory: what comes back at
 * a restart (unanswered records in order, a Stop for each session live at the
 * crash), torn and corrupt records refused with a count, one lac-core per
 * directory, and radius_acct replaying its spool to a scripted server. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aaa/acct_spool.h"
#include "aaa/acct_spool_codec.h"
#include "aaa/radius_acct.h"
#include "ev/ev.h"
#include "util/md5.h"

/* ---- codec ---- */

static const uint8_t body1[] = { 0x28, 0x06, 0x00, 0x00, 0x00, 0x01,     /* Acct-Status-Type Start */
				 0x2c, 0x04, 'a', 'b' };                 /* Acct-Session-Id "ab" */

/* REQ seq 7, wall 0x0102030405060708, body1; CRC-32 computed by zlib.crc32 */
static const uint8_t vec1[] = {
	0x52, 0x4c, 0x53, 0x31, 0x01, 0x00, 0x00, 0x0a,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07,
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
	0x28, 0x06, 0x00, 0x00, 0x00, 0x01, 0x2c, 0x04, 'a', 'b',
	0xa0, 0x88, 0xe2, 0x34,
};

Test(acct_spool_codec, crc32_is_the_ieee_one)
{
	cr_expect_eq(acct_spool_crc32((const uint8_t *)"123456789", 9), 0xcbf43926u);
}

Test(acct_spool_codec, request_record_encodes_to_the_vector_and_back)
{
	uint8_t buf[128];
	struct acct_spool_rec r = { .type = ACCT_SPOOL_REQ, .seq = 7, .wall_ms = 0x0102030405060708ull,
				    .body = body1, .body_len = sizeof(body1) };
	ssize_t n = acct_spool_rec_encode(buf, sizeof(buf), &r);
	cr_assert_eq(n, (ssize_t)sizeof(vec1));
	cr_expect(memcmp(buf, vec1, sizeof(vec1)) == 0);
	struct acct_spool_rec d;
	size_t used = 0;
	cr_assert_eq(acct_spool_rec_decode(vec1, sizeof(vec1), &d, &used, NULL), ACCT_SPOOL_OK);
	cr_expect_eq(used, sizeof(vec1));
	cr_expect_eq(d.type, ACCT_SPOOL_REQ);
	cr_expect_eq(d.seq, 7);
	cr_expect_eq(d.wall_ms, 0x0102030405060708ull);
	cr_expect_eq(d.body_len, sizeof(body1));
	cr_expect(memcmp(d.body, body1, sizeof(body1)) == 0);
	cr_expect_eq(acct_spool_rec_encode(buf, sizeof(vec1) - 1, &r), -1, "cap too small");
}

Test(acct_spool_codec, every_truncated_prefix_is_truncated_not_corrupt)
{
	for (size_t len = 0; len < sizeof(vec1); len++) {
		struct acct_spool_rec d;
		size_t used = 0;
		cr_expect_eq(acct_spool_rec_decode(vec1, len, &d, &used, NULL), ACCT_SPOOL_TRUNCATED, "prefix %zu",
			     len);
		struct acct_spool_scan_stats st;
		cr_expect_eq(acct_spool_scan(vec1, len, NULL, NULL, &st), 0);
		cr_expect_eq(st.records, 0);
		cr_expect_eq(st.truncated, len ? 1 : 0, "prefix %zu", len);
		cr_expect_eq(st.corrupt, 0);
	}
}

Test(acct_spool_codec, damaged_records_are_refused_with_the_reason)
{
	uint8_t b[sizeof(vec1)];
	struct acct_spool_rec d;
	size_t used;
	const char *why = NULL;
	for (size_t i = 0; i < sizeof(vec1); i++) {
		memcpy(b, vec1, sizeof(b));
		b[i] ^= 0x40;
		int r = acct_spool_rec_decode(b, sizeof(b), &d, &used, &why);
		/* a longer length field asks for more octets: truncated */
		if (i == 6 || i == 7)
			cr_expect(r != ACCT_SPOOL_OK, "octet %zu", i);
		else
			cr_expect_eq(r, ACCT_SPOOL_CORRUPT, "octet %zu", i);
	}
	memcpy(b, vec1, sizeof(b));
	b[5] = 1;
	cr_expect_eq(acct_spool_rec_decode(b, sizeof(b), &d, &used, &why), ACCT_SPOOL_CORRUPT);
	cr_expect_str_eq(why, "unknown flags");
	memcpy(b, vec1, sizeof(b));
	b[4] = 9;
	cr_expect_eq(acct_spool_rec_decode(b, sizeof(b), &d, &used, &why), ACCT_SPOOL_CORRUPT);
	cr_expect_str_eq(why, "unknown record type");
	memcpy(b, vec1, sizeof(b));
	b[30] ^= 1;
	cr_expect_eq(acct_spool_rec_decode(b, sizeof(b), &d, &used, &why), ACCT_SPOOL_CORRUPT);
	cr_expect_str_eq(why, "checksum mismatch");
	struct acct_spool_rec done = { .type = ACCT_SPOOL_DONE, .seq = 1, .body = body1, .body_len = 2 };
	cr_expect_eq(acct_spool_rec_encode(b, sizeof(b), &done), -1, "DONE carries no body");
}

static int count_rec(void *arg, const struct acct_spool_rec *r)
{
	(*(unsigned *)arg)++;
	return 0;
}

Test(acct_spool_codec, scan_skips_a_corrupt_record_and_counts_it)
{
	uint8_t b[3 * sizeof(vec1)];
	for (int i = 0; i < 3; i++)
		memcpy(b + i * sizeof(vec1), vec1, sizeof(vec1));
	b[sizeof(vec1) + 30] ^= 1;                      /* the middle one */
	b[sizeof(vec1) + 7] = 0xff;                     /* and its length */
	unsigned n = 0;
	struct acct_spool_scan_stats st;
	cr_expect_eq(acct_spool_scan(b, sizeof(b), count_rec, &n, &st), sizeof(b));
	cr_expect_eq(n, 2);
	cr_expect_eq(st.records, 2);
	cr_expect_eq(st.corrupt, 1);
	cr_expect_eq(st.truncated, 0);
	cr_expect_eq(st.skipped_octets, sizeof(vec1));
	/* a torn tail after two good records */
	n = 0;
	cr_expect_eq(acct_spool_scan(b, sizeof(vec1) + 10, count_rec, &n, &st), sizeof(vec1));
	cr_expect_eq(st.truncated, 1);
}

static uint32_t attr_u32(const uint8_t *a, size_t len, uint8_t type)
{
	const uint8_t *v;
	size_t l;
	cr_assert(radius_acct_attrs_find(a, len, type, &v, &l) && l == 4, "attribute %u", type);
	return (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3];
}

Test(acct_spool_codec, a_lost_session_stop_keeps_the_last_interim_counters)
{
	struct radius_acct_params p = {
		.status_type = RADIUS_ACCT_STATUS_INTERIM, .user_name = "u@r", .acct_session_id = "S1",
		.has_counters = true, .session_time = 600, .input_octets = 5000000000ull, .output_octets = 7,
		.input_packets = 3, .output_packets = 4,
	};
	uint8_t a[1024], s[1024];
	ssize_t n = radius_acct_attrs_encode(a, sizeof(a), &p);
	cr_assert_gt(n, 0);
	ssize_t m = radius_acct_attrs_to_stop(a, (size_t)n, RADIUS_TERM_NAS_REBOOT, s, sizeof(s));
	cr_assert_gt(m, 0);
	cr_expect_eq(s[0], RADIUS_ATTR_ACCT_STATUS_TYPE, "Status-Type first");
	cr_expect_eq(attr_u32(s, (size_t)m, RADIUS_ATTR_ACCT_STATUS_TYPE), RADIUS_ACCT_STATUS_STOP);
	cr_expect_eq(attr_u32(s, (size_t)m, RADIUS_ATTR_ACCT_SESSION_TIME), 600);
	cr_expect_eq(attr_u32(s, (size_t)m, RADIUS_ATTR_ACCT_INPUT_GIGAWORDS), 1);
	cr_expect_eq(attr_u32(s, (size_t)m, RADIUS_ATTR_ACCT_INPUT_OCTETS), (uint32_t)5000000000ull);
	cr_expect_eq(attr_u32(s, (size_t)m, RADIUS_ATTR_ACCT_OUTPUT_PACKETS), 4);
	cr_expect_eq(attr_u32(s, (size_t)m, RADIUS_ATTR_ACCT_TERMINATE_CAUSE), RADIUS_TERM_NAS_REBOOT);
	/* from a Start: zeros */
	p.status_type = RADIUS_ACCT_STATUS_START;
	p.has_counters = false;
	n = radius_acct_attrs_encode(a, sizeof(a), &p);
	m = radius_acct_attrs_to_stop(a, (size_t)n, RADIUS_TERM_LOST_SERVICE, s, sizeof(s));
	cr_assert_gt(m, 0);
	cr_expect_eq(attr_u32(s, (size_t)m, RADIUS_ATTR_ACCT_SESSION_TIME), 0);
	cr_expect_eq(attr_u32(s, (size_t)m, RADIUS_ATTR_ACCT_INPUT_OCTETS), 0);
	cr_expect_eq(attr_u32(s, (size_t)m, RADIUS_ATTR_ACCT_TERMINATE_CAUSE), RADIUS_TERM_LOST_SERVICE);
	/* a malformed list is refused */
	a[1] = 200;
	cr_expect_eq(radius_acct_attrs_to_stop(a, (size_t)n, 11, s, sizeof(s)), -1);
	/* and the spool form becomes a packet that verifies */
	uint8_t pkt[RADIUS_MAX_PACKET];
	n = radius_acct_attrs_encode(a, sizeof(a), &p);
	ssize_t k = radius_accounting_request_from_attrs(pkt, sizeof(pkt), 9, a, (size_t)n, 5,
							 (const uint8_t *)"s", 1);
	cr_assert_gt(k, 0);
	struct radius_err err = { 0 };
	cr_expect_eq(radius_request_verify(pkt, (size_t)k, (const uint8_t *)"s", 1, &err), k, "%s", err.msg);
	cr_expect_eq(attr_u32(pkt + 20, (size_t)k - 20, RADIUS_ATTR_ACCT_DELAY_TIME), 5);
}

/* ---- spool files ---- */

static struct ev_loop *loop;
static char dir[64];

static void fs_setup(void)
{
	loop = ev_loop_create();
	snprintf(dir, sizeof(dir), "/tmp/test_acct_spool.XXXXXX");
	cr_assert(mkdtemp(dir));
}

static void fs_teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
	ev_loop_destroy(loop);
}

struct got {
	unsigned n, lost;
	uint64_t seq[16];
	uint32_t status[16], cause[16];
	char sid[16][16];
};

static void on_entry(void *arg, const struct acct_spool_entry *e)
{
	struct got *g = arg;
	const uint8_t *v;
	size_t l;
	if (g->n >= 16)
		return;
	g->seq[g->n] = e->seq;
	g->status[g->n] = radius_acct_attrs_status(e->body, e->body_len);
	if (radius_acct_attrs_find(e->body, e->body_len, RADIUS_ATTR_ACCT_TERMINATE_CAUSE, &v, &l) && l == 4)
		g->cause[g->n] = v[3];
	if (radius_acct_attrs_find(e->body, e->body_len, RADIUS_ATTR_ACCT_SESSION_ID, &v, &l))
		snprintf(g->sid[g->n], 16, "%.*s", (int)l, (const char *)v);
	g->lost += e->lost_stop;
	g->n++;
}

static struct acct_spool_config spool_cfg(void)
{
	struct acct_spool_config c = { .fsync = ACCT_SPOOL_FSYNC_STARTSTOP, .sync_interval_ms = 100 };
	snprintf(c.dir, sizeof(c.dir), "%s", dir);
	return c;
}

static uint64_t append(struct acct_spool *s, uint32_t st, const char *sid)
{
	struct radius_acct_params p = { .status_type = st, .acct_session_id = sid };
	uint8_t a[512];
	ssize_t n = radius_acct_attrs_encode(a, sizeof(a), &p);
	cr_assert_gt(n, 0);
	return acct_spool_append(s, st, 1000, a, (size_t)n);
}

Test(acct_spool, restart_returns_unanswered_records_then_stops_for_lost_sessions, .init = fs_setup,
     .fini = fs_teardown)
{
	struct acct_spool_config c = spool_cfg();
	char err[256] = "";
	struct got g = { 0 };
	struct acct_spool_load_stats st;
	struct acct_spool *s = acct_spool_open(loop, &c, RADIUS_TERM_NAS_REBOOT, on_entry, &g, &st, err, sizeof(err));
	cr_assert(s, "%s", err);
	cr_expect_eq(g.n, 0, "a new spool is empty");
	uint64_t a1 = append(s, RADIUS_ACCT_STATUS_START, "A");
	uint64_t b1 = append(s, RADIUS_ACCT_STATUS_START, "B");
	uint64_t a2 = append(s, RADIUS_ACCT_STATUS_INTERIM, "A");
	uint64_t c1 = append(s, RADIUS_ACCT_STATUS_START, "C");
	uint64_t c2 = append(s, RADIUS_ACCT_STATUS_STOP, "C");
	cr_expect(a1 && b1 && a2 && c1 && c2);
	acct_spool_done(s, a1);
	acct_spool_done(s, a2);
	acct_spool_done(s, c1);
	acct_spool_done(s, c2);
	/* as if killed: the file is what stays */
	acct_spool_close(s);

	s = acct_spool_open(loop, &c, RADIUS_TERM_NAS_REBOOT, on_entry, &g, &st, err, sizeof(err));
	cr_assert(s, "%s", err);
	/* B's Start is unanswered; A and B were live: each Stop takes the place
	 * of its session's last record (B's Start, then A's interim) */
	cr_assert_eq(g.n, 3);
	cr_expect_eq(g.seq[0], b1);
	cr_expect_eq(g.status[0], RADIUS_ACCT_STATUS_START);
	cr_expect_str_eq(g.sid[1], "B");
	cr_expect_eq(g.status[1], RADIUS_ACCT_STATUS_STOP);
	cr_expect_eq(g.cause[1], RADIUS_TERM_NAS_REBOOT);
	cr_expect_str_eq(g.sid[2], "A");
	cr_expect_eq(g.status[2], RADIUS_ACCT_STATUS_STOP);
	cr_expect_eq(g.lost, 2);
	cr_expect_eq(st.pending, 1);
	cr_expect_eq(st.lost_sessions, 2);
	cr_expect_gt(g.seq[1], c2, "new records take new seqs");
	uint64_t s1 = g.seq[0], s2 = g.seq[1], s3 = g.seq[2];
	acct_spool_done(s, s1);
	acct_spool_done(s, s2);
	acct_spool_close(s);

	/* the next restart: only A's Stop is still unanswered, nobody is live */
	memset(&g, 0, sizeof(g));
	s = acct_spool_open(loop, &c, RADIUS_TERM_NAS_REBOOT, on_entry, &g, &st, err, sizeof(err));
	cr_assert(s, "%s", err);
	cr_assert_eq(g.n, 1);
	cr_expect_eq(g.seq[0], s3);
	cr_expect_eq(g.lost, 0);
	acct_spool_done(s, s3);
	acct_spool_close(s);
	memset(&g, 0, sizeof(g));
	s = acct_spool_open(loop, &c, RADIUS_TERM_NAS_REBOOT, on_entry, &g, &st, err, sizeof(err));
	cr_assert(s, "%s", err);
	cr_expect_eq(g.n, 0);
	acct_spool_close(s);
}

Test(acct_spool, torn_and_corrupt_records_are_counted_the_rest_is_kept, .init = fs_setup, .fini = fs_teardown)
{
	struct acct_spool_config c = spool_cfg();
	char err[256] = "", path[128];
	struct got g = { 0 };
	struct acct_spool_load_stats st;
	struct acct_spool *s = acct_spool_open(loop, &c, RADIUS_TERM_NAS_REBOOT, on_entry, &g, &st, err, sizeof(err));
	cr_assert(s, "%s", err);
	append(s, RADIUS_ACCT_STATUS_STOP, "X");
	append(s, RADIUS_ACCT_STATUS_STOP, "Y");
	acct_spool_close(s);
	snprintf(path, sizeof(path), "%s/acct.spool", dir);
	int fd = open(path, O_RDWR);
	cr_assert(fd >= 0);
	/* damage the first record's body, then a torn append at the end */
	uint8_t x = 0;
	cr_assert_eq(pread(fd, &x, 1, 26), 1);
	x ^= 0x10;
	cr_assert_eq(pwrite(fd, &x, 1, 26), 1);
	cr_assert_eq(pwrite(fd, vec1, 20, lseek(fd, 0, SEEK_END)), 20);
	close(fd);
	s = acct_spool_open(loop, &c, RADIUS_TERM_NAS_REBOOT, on_entry, &g, &st, err, sizeof(err));
	cr_assert(s, "%s", err);
	cr_expect_eq(st.corrupt, 1);
	cr_expect_eq(st.truncated, 1);
	cr_expect_eq(g.n, 1);
	cr_expect_str_eq(g.sid[0], "Y");
	acct_spool_close(s);
}

Test(acct_spool, one_lac_core_per_directory, .init = fs_setup, .fini = fs_teardown)
{
	struct acct_spool_config c = spool_cfg();
	char err[256] = "";
	struct acct_spool *s = acct_spool_open(loop, &c, 11, NULL, NULL, NULL, err, sizeof(err));
	cr_assert(s, "%s", err);
	cr_expect_null(acct_spool_open(loop, &c, 11, NULL, NULL, NULL, err, sizeof(err)));
	cr_expect(strstr(err, "locked by another lac-core"), "%s", err);
	acct_spool_close(s);
}

Test(acct_spool, size_limit_refuses_appends_and_compaction_keeps_what_matters, .init = fs_setup,
     .fini = fs_teardown)
{
	struct acct_spool_config c = spool_cfg();
	c.max_bytes = 4096;
	c.fsync = ACCT_SPOOL_FSYNC_NONE;
	char err[256] = "";
	struct acct_spool *s = acct_spool_open(loop, &c, 11, NULL, NULL, NULL, err, sizeof(err));
	cr_assert(s, "%s", err);
	unsigned ok = 0;
	uint64_t first = append(s, RADIUS_ACCT_STATUS_START, "LIVE");
	for (int i = 0; i < 200; i++)
		if (append(s, RADIUS_ACCT_STATUS_STOP, "Z"))
			ok++;
	struct acct_spool_counters k;
	acct_spool_counters_get(s, &k);
	cr_expect_lt(ok, 200);
	cr_expect_gt(k.full, 0);
	cr_expect_leq(k.bytes, 4096);
	acct_spool_done(s, first);
	acct_spool_close(s);
	struct got g = { 0 };
	s = acct_spool_open(loop, &c, 11, on_entry, &g, NULL, err, sizeof(err));
	cr_assert(s, "%s", err);
	cr_expect_eq(g.lost, 1, "the answered Start of a live session still yields its Stop");
	acct_spool_close(s);
}

/* ---- radius_acct on a spool ---- */

static const uint8_t secret[] = "acct-secret";

struct srv {
	int fd;
	uint16_t port;
	bool answer;
	unsigned received, stops, ons;
};

static void srv_readable(struct ev_loop *l, int fd, unsigned ev, void *arg)
{
	struct srv *s = arg;
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	uint8_t buf[RADIUS_MAX_PACKET];
	ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
	if (n < 20)
		return;
	s->received++;
	uint32_t st = radius_acct_attrs_status(buf + 20, (size_t)n - 20);
	if (!s->answer)
		return;
	if (st == RADIUS_ACCT_STATUS_STOP)
		s->stops++;
	if (st == RADIUS_ACCT_STATUS_ACCOUNTING_ON)
		s->ons += 1 + s->stops * 1000;  /* records how many Stops came before */
	uint8_t out[20] = { RADIUS_CODE_ACCOUNTING_RESPONSE, buf[1], 0, 20 };
	struct md5_ctx ctx;
	md5_init(&ctx);
	md5_update(&ctx, out, 4);
	md5_update(&ctx, buf + 4, 16);
	md5_update(&ctx, secret, sizeof(secret) - 1);
	md5_final(&ctx, out + 4);
	sendto(fd, out, sizeof(out), 0, (struct sockaddr *)&from, fl);
}

static void run_ms(unsigned ms)
{
	uint64_t end = ev_now_ms(loop) + ms;
	while (ev_now_ms(loop) < end)
		ev_loop_run_once(loop, 5);
}

Test(acct_spool, radius_acct_replays_after_a_crash_and_sends_accounting_on_last, .init = fs_setup,
     .fini = fs_teardown)
{
	struct srv sv = { 0 };
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	sv.fd = socket(AF_INET, SOCK_DGRAM, 0);
	cr_assert_eq(bind(sv.fd, (struct sockaddr *)&a, sizeof(a)), 0);
	getsockname(sv.fd, (struct sockaddr *)&a, &al);
	ev_io_add(loop, sv.fd, EV_READ, srv_readable, &sv);
	struct radius_client_config cfg;
	radius_client_config_defaults(&cfg);
	cfg.timeout_ms = 30;
	cfg.tries = 1;
	cfg.deadtime_s = 0;
	memcpy(&cfg.servers[0].addr, &a, sizeof(a));
	cfg.servers[0].addr_len = sizeof(a);
	memcpy(cfg.servers[0].secret, secret, sizeof(secret) - 1);
	cfg.servers[0].secret_len = sizeof(secret) - 1;
	cfg.n_servers = 1;
	struct acct_spool_config sc = spool_cfg();
	char err[256] = "";

	/* the server is down; three sessions start, one stops; lac-core dies */
	struct radius_acct *acct = radius_acct_create(loop, &cfg, 64);
	cr_assert_eq(radius_acct_spool_open(acct, &sc, RADIUS_TERM_NAS_REBOOT, NULL, err, sizeof(err)), 0, "%s", err);
	struct radius_acct_params p = { .status_type = RADIUS_ACCT_STATUS_START, .user_name = "u" };
	const char *ids[] = { "S1", "S2", "S3" };
	for (int i = 0; i < 3; i++) {
		p.acct_session_id = ids[i];
		cr_assert_eq(radius_acct_send(acct, &p), 0);
	}
	p.status_type = RADIUS_ACCT_STATUS_STOP;
	p.acct_session_id = "S2";
	cr_assert_eq(radius_acct_send(acct, &p), 0);
	run_ms(100);
	cr_expect_gt(sv.received, 0);
	radius_acct_destroy(acct);

	/* restart with the server back */
	sv.answer = true;
	sv.received = 0;
	acct = radius_acct_create(loop, &cfg, 64);
	struct acct_spool_load_stats st;
	cr_assert_eq(radius_acct_spool_open(acct, &sc, RADIUS_TERM_NAS_REBOOT, &st, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(st.pending, 4);
	cr_expect_eq(st.lost_sessions, 2, "S1 and S3");
	struct radius_acct_params on = { .status_type = RADIUS_ACCT_STATUS_ACCOUNTING_ON, .acct_session_id = "0" };
	cr_assert_eq(radius_acct_send_after_pending(acct, &on), 0);
	run_ms(200);
	struct radius_acct_counters k;
	radius_acct_counters_get(acct, &k);
	cr_expect_eq(k.pending, 0);
	cr_expect_eq(k.spool_replayed, 6);
	cr_expect_eq(k.spool_lost_stops, 2);
	cr_expect_eq(sv.stops, 3);
	cr_expect_eq(sv.ons, 1 + 3 * 1000, "Accounting-On after every Stop");
	radius_acct_destroy(acct);

	/* nothing left */
	acct = radius_acct_create(loop, &cfg, 64);
	cr_assert_eq(radius_acct_spool_open(acct, &sc, RADIUS_TERM_NAS_REBOOT, &st, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(st.pending, 0);
	cr_expect_eq(st.lost_sessions, 0);
	radius_acct_destroy(acct);
	ev_io_del(loop, sv.fd);
	close(sv.fd);
}

Test(acct_spool, records_the_memory_queue_drops_come_back_from_the_spool, .init = fs_setup, .fini = fs_teardown)
{
	struct srv sv = { 0 };
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	sv.fd = socket(AF_INET, SOCK_DGRAM, 0);
	cr_assert_eq(bind(sv.fd, (struct sockaddr *)&a, sizeof(a)), 0);
	getsockname(sv.fd, (struct sockaddr *)&a, &al);
	ev_io_add(loop, sv.fd, EV_READ, srv_readable, &sv);
	struct radius_client_config cfg;
	radius_client_config_defaults(&cfg);
	cfg.timeout_ms = 30;
	cfg.tries = 1;
	cfg.deadtime_s = 0;
	memcpy(&cfg.servers[0].addr, &a, sizeof(a));
	cfg.servers[0].addr_len = sizeof(a);
	memcpy(cfg.servers[0].secret, secret, sizeof(secret) - 1);
	cfg.servers[0].secret_len = sizeof(secret) - 1;
	cfg.n_servers = 1;
	struct acct_spool_config sc = spool_cfg();
	char err[256] = "", sid[16];
	struct radius_acct *acct = radius_acct_create(loop, &cfg, 4);
	cr_assert_eq(radius_acct_spool_open(acct, &sc, RADIUS_TERM_NAS_REBOOT, NULL, err, sizeof(err)), 0, "%s", err);
	struct radius_acct_params p = { .status_type = RADIUS_ACCT_STATUS_STOP, .acct_session_id = sid };
	for (int i = 0; i < 10; i++) {
		snprintf(sid, sizeof(sid), "S%d", i);
		cr_assert_eq(radius_acct_send(acct, &p), 0);
	}
	struct radius_acct_counters k;
	radius_acct_counters_get(acct, &k);
	cr_expect_eq(k.pending, 4);
	cr_expect_eq(k.spilled, 6, "the server is silent: six Stops leave memory, not the disk");
	sv.answer = true;
	run_ms(500);
	radius_acct_counters_get(acct, &k);
	cr_expect_eq(k.spill_reloaded, 6);
	cr_expect_eq(k.pending, 0);
	cr_expect_eq(k.responses, 10);
	cr_expect_eq(k.stops, 10, "counted once each");
	cr_expect_geq(sv.stops, 10);
	radius_acct_destroy(acct);
	acct = radius_acct_create(loop, &cfg, 4);
	struct acct_spool_load_stats st;
	cr_assert_eq(radius_acct_spool_open(acct, &sc, RADIUS_TERM_NAS_REBOOT, &st, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(st.pending, 0, "every one was answered");
	radius_acct_destroy(acct);
	ev_io_del(loop, sv.fd);
	close(sv.fd);
}

/* RFC 2867 Tunnel-Reject / Tunnel-Link-Reject are health hints: under
 * startstop they wait for the interval sync (a failing-over call must not
 * wait on the disk), they are kept like any record, and a session whose only
 * records are rejects is not a lost session (no Stop is made for it). */
Test(acct_spool, tunnel_rejects_are_not_synced_at_once_and_make_no_lost_session, .init = fs_setup,
     .fini = fs_teardown)
{
	struct acct_spool_config c = spool_cfg();
	char err[256] = "";
	struct got g = { 0 };
	struct acct_spool_load_stats st;
	struct acct_spool_counters k0, k1, k2;
	struct acct_spool *s = acct_spool_open(loop, &c, RADIUS_TERM_NAS_REBOOT, on_entry, &g, &st, err, sizeof(err));
	cr_assert(s, "%s", err);
	acct_spool_counters_get(s, &k0);
	uint64_t r1 = append(s, RADIUS_ACCT_STATUS_TUNNEL_REJECT, "R");
	uint64_t r2 = append(s, RADIUS_ACCT_STATUS_TUNNEL_LINK_REJECT, "R");
	cr_assert(r1 && r2);
	acct_spool_counters_get(s, &k1);
	cr_expect_eq(k1.syncs, k0.syncs, "no fdatasync for the rejects");
	append(s, RADIUS_ACCT_STATUS_START, "S");
	acct_spool_counters_get(s, &k2);
	cr_expect_gt(k2.syncs, k1.syncs, "a Start is still synced at once");
	acct_spool_close(s);

	s = acct_spool_open(loop, &c, RADIUS_TERM_NAS_REBOOT, on_entry, &g, &st, err, sizeof(err));
	cr_assert(s, "%s", err);
	cr_expect_eq(st.lost_sessions, 1, "S only: rejects are no session");
	cr_assert_eq(g.n, 4, "both rejects, S's Start and its Stop");
	cr_expect_eq(g.status[0], RADIUS_ACCT_STATUS_TUNNEL_REJECT);
	cr_expect_eq(g.status[1], RADIUS_ACCT_STATUS_TUNNEL_LINK_REJECT);
	acct_spool_close(s);
}
