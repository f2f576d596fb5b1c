/* bench/acct_spool_bench: how many accounting records per second lac-core's
 * accounting path takes (radius_acct_send() until the Accounting-Response
 * verified), memory queue only beside the on-disk spool with each fsync
 * policy, in one run against the same in-process responder on 127.0.0.1.
 * A record is a Start then a Stop of one session, as lac-core sends them.
 *
 * usage: acct_spool_bench DIR [RECORDS]   (DIR on the disk to measure)
 * Prints one row per configuration. Not a test: nothing is asserted. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aaa/acct_spool.h"
#include "aaa/radius_acct.h"
#include "ev/ev.h"
#include "util/md5.h"

static const uint8_t secret[] = "bench-secret";

static void answer(struct ev_loop *l, int fd, unsigned ev, void *arg)
{
	for (int k = 0; k < 256; k++) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		uint8_t buf[RADIUS_MAX_PACKET];
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (n < 20)
			return;
		uint8_t out[20] = { RADIUS_CODE_ACCOUNTING_RESPONSE, buf[1], 0, 20 };
		struct md5_ctx ctx;
		md5_init(&ctx);
		md5_update(&ctx, out, 4);
		md5_update(&ctx, buf + 4, 16);
		md5_update(&ctx, secret, sizeof(secret) - 1);
		md5_final(&ctx, out + 4);
		sendto(fd, out, sizeof(out), 0, (struct sockaddr *)&from, fl);
	}
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs n records through one configuration; fsync < 0 = no spool. */
static void run(const char *name, const char *dir, int fsync_policy, unsigned n)
{
	struct ev_loop *loop = ev_loop_create();
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	int srv = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	int big = 8 << 20;
	setsockopt(srv, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	bind(srv, (struct sockaddr *)&a, sizeof(a));
	getsockname(srv, (struct sockaddr *)&a, &al);
	ev_io_add(loop, srv, EV_READ, answer, NULL);

	struct radius_client_config cfg;
	radius_client_config_defaults(&cfg);
	memcpy(&cfg.servers[0].addr, &a, sizeof(a));
	cfg.servers[0].addr_len = sizeof(a);
	memcpy(cfg.servers[0].secret, secret, sizeof(secret) - 1);
	cfg.servers[0].secret_len = sizeof(secret) - 1;
	cfg.n_servers = 1;
	struct radius_acct *acct = radius_acct_create(loop, &cfg, n + 16);
	char err[256];
	if (fsync_policy >= 0) {
		struct acct_spool_config sc = { .fsync = (enum acct_spool_fsync)fsync_policy, .sync_interval_ms = 1000 };
		snprintf(sc.dir, sizeof(sc.dir), "%s/%s", dir, name);
		if (radius_acct_spool_open(acct, &sc, RADIUS_TERM_NAS_REBOOT, NULL, err, sizeof(err)) < 0) {
			fprintf(stderr, "acct_spool_bench: %s\n", err);
			exit(1);
		}
	}
	char sid[32];
	struct radius_acct_params p = {
		.user_name = "bench@corp.example", .acct_session_id = sid, .has_nas_ip = true,
		.nas_identifier = "lac1", .has_nas_port = true, .framed_ppp = true,
	};
	inet_pton(AF_INET, "10.88.1.2", &p.nas_ip);
	double t0 = now_s(), queue_s = 0;
	for (unsigned i = 0; i < n; i++) {
		snprintf(sid, sizeof(sid), "%08X%08X", 0xbe4c4u, i / 2);
		p.status_type = i % 2 ? RADIUS_ACCT_STATUS_STOP : RADIUS_ACCT_STATUS_START;
		p.has_counters = i % 2;
		p.session_time = 60;
		p.input_octets = 123456;
		p.output_octets = 654321;
		p.terminate_cause = i % 2 ? RADIUS_TERM_USER_REQUEST : 0;
		double q0 = now_s();
		radius_acct_send(acct, &p);
		queue_s += now_s() - q0;
		if (i % 64 == 63)
			ev_loop_run_once(loop, 0);      /* the loop also answers, as lac-core's would */
	}
	while (radius_acct_pending(acct))
		ev_loop_run_once(loop, 10);
	double el = now_s() - t0;
	struct radius_acct_counters c;
	radius_acct_counters_get(acct, &c);
	printf("%-24s %8u %10.0f %14.1f %10llu %12llu\n", name, n, n / el, queue_s * 1e6 / n,
	       (unsigned long long)c.spool_syncs, (unsigned long long)c.spool_sync_us_max);
	radius_acct_destroy(acct);
	ev_io_del(loop, srv);
	close(srv);
	ev_loop_destroy(loop);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: acct_spool_bench DIR [RECORDS]\n");
		return 2;
	}
	unsigned n = argc > 2 ? (unsigned)atoi(argv[2]) : 20000;
	printf("%-24s %8s %10s %14s %10s %12s\n", "configuration", "records", "records/s", "send_us/record",
	       "fdatasyncs", "sync_us_max");
	run("memory-queue", argv[1], -1, n);
	run("spool-fsync-none", argv[1], ACCT_SPOOL_FSYNC_NONE, n);
	run("spool-fsync-interval", argv[1], ACCT_SPOOL_FSYNC_INTERVAL, n);
	run("spool-fsync-startstop", argv[1], ACCT_SPOOL_FSYNC_STARTSTOP, n);
	run("spool-fsync-always", argv[1], ACCT_SPOOL_FSYNC_ALWAYS, n / 4);
	return 0;
}
