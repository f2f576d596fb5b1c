/* radius_probe: drives lac-core's RADIUS client (lac-core/src/aaa/radius_client.h)
 * against real servers, for tests/integration/radius_client.sh.
 *
 *   radius_probe -c radiusclient.conf -u USER (-p PASSWORD | -C PASSWORD)
 *                [-n COUNT] [-P PARALLEL] [-T TIMEOUT_MS] [-R TRIES] [-D DEADTIME_S]
 *
 * -p sends PAP, -C sends CHAP-MD5 (a random 16-octet challenge). COUNT requests
 * run one after the other on one client (so dead time carries over). Prints one
 * block of key=value lines per request and the client's counters at the end.
 * With -P, PARALLEL requests are started at once instead (each with its own
 * Acct-Session-Id) and only a summary line is printed:
 *   parallel=N accept=A reject=R timeout=T error=E elapsed_ms=MS sockets=S
 * Exit status: that of the last request: 0 accept, 1 reject, 2 timeout,
 * 3 error, 4 usage or configuration error. */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "aaa/radius_client.h"
#include "ev/ev.h"
#include "util/log.h"
#include "util/md5.h"

static int last_status = 3;
static long parallel_left;
static unsigned long parallel_count[4];

static void print_str(const char *key, const uint8_t *v, size_t n)
{
	printf("%s=", key);
	for (size_t i = 0; i < n; i++)
		putchar(v[i] >= 0x20 && v[i] < 0x7f ? v[i] : '?');
	putchar('\n');
}

static void done_parallel(void *arg, const struct radius_auth_result *r)
{
	parallel_count[r->status]++;
	if (--parallel_left == 0)
		ev_loop_stop(arg);
}

static void done(void *arg, const struct radius_auth_result *r)
{
	struct ev_loop *loop = arg;
	char a[INET6_ADDRSTRLEN];
	printf("status=%s\n", radius_status_str(r->status));
	printf("server=%s\n", r->server ? r->server : "-");
	printf("elapsed_ms=%u\n", r->elapsed_ms);
	if (r->detail)
		printf("detail=%s\n", r->detail);
	if (r->reply) {
		const struct radius_reply *p = r->reply;
		printf("reply_message=%s\n", p->reply_message);
		if (p->has_framed_ip)
			printf("framed_ip=%s\n", inet_ntop(AF_INET, &p->framed_ip, a, sizeof(a)));
		for (unsigned i = 0; i < p->n_dns; i++)
			printf("dns%u=%s\n", i + 1, inet_ntop(AF_INET, &p->dns[i], a, sizeof(a)));
		if (p->has_session_timeout)
			printf("session_timeout=%u\n", p->session_timeout);
		printf("tunnels=%zu\n", p->n_tunnels);
		for (size_t i = 0; i < p->n_tunnels; i++) {
			const struct radius_tunnel *t = &p->tunnels[i];
			char key[64];
			printf("tunnel.%zu.tag=%u\n", i, t->tag);
			printf("tunnel.%zu.endpoint=%s\n", i, t->endpoint);
			printf("tunnel.%zu.preference=%u\n", i, t->preference);
			snprintf(key, sizeof(key), "tunnel.%zu.password", i);
			print_str(key, t->password, t->password_len);
			printf("tunnel.%zu.assignment_id=%s\n", i, t->assignment_id);
			printf("tunnel.%zu.client_auth_id=%s\n", i, t->client_auth_id);
			printf("tunnel.%zu.server_auth_id=%s\n", i, t->server_auth_id);
		}
		for (size_t i = 0; i < p->n_dropped; i++)
			printf("dropped.%zu=tag %u: %s\n", i, p->dropped[i].tag, p->dropped[i].reason);
	}
	last_status = r->status == RADIUS_STATUS_ACCEPT ? 0 : r->status == RADIUS_STATUS_REJECT ? 1
		      : r->status == RADIUS_STATUS_TIMEOUT ? 2 : 3;
	ev_loop_stop(loop);
}

int main(int argc, char **argv)
{
	const char *conf = NULL, *user = NULL, *pap = NULL, *chap = NULL;
	long count = 1, parallel = 0, timeout_ms = -1, tries = -1, deadtime = -1;
	int opt;
	while ((opt = getopt(argc, argv, "c:u:p:C:n:P:T:R:D:")) != -1) {
		switch (opt) {
		case 'c': conf = optarg; break;
		case 'u': user = optarg; break;
		case 'p': pap = optarg; break;
		case 'C': chap = optarg; break;
		case 'n': count = strtol(optarg, NULL, 10); break;
		case 'P': parallel = strtol(optarg, NULL, 10); break;
		case 'T': timeout_ms = strtol(optarg, NULL, 10); break;
		case 'R': tries = strtol(optarg, NULL, 10); break;
		case 'D': deadtime = strtol(optarg, NULL, 10); break;
		default: goto usage;
		}
	}
	if (!conf || !user || (!pap && !chap) || count < 1)
		goto usage;
	log_set_ident("radius_probe");
	log_set_level(LOG_LVL_DEBUG);

	struct radius_client_config cfg;
	char err[512];
	if (radius_client_config_from_radcli(conf, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "radius_probe: %s\n", err);
		return 4;
	}
	if (timeout_ms > 0)
		cfg.timeout_ms = (uint32_t)timeout_ms;
	if (tries > 0)
		cfg.tries = (uint32_t)tries;
	if (deadtime >= 0)
		cfg.deadtime_s = (uint32_t)deadtime;
	struct ev_loop *loop = ev_loop_create();
	struct radius_client *client = loop ? radius_client_create(loop, &cfg) : NULL;
	if (!client) {
		perror("radius_probe: client");
		return 4;
	}

	uint8_t challenge[16], response[16];
	struct radius_auth_params p = {
		.user_name = user,
		.has_nas_port = true, .nas_port = 1, .nas_port_id = "probe/1",
		.has_nas_port_type = true, .nas_port_type = RADIUS_NAS_PORT_TYPE_VIRTUAL,
		.framed_ppp = true, .calling_station_id = "probe", .acct_session_id = "probe-1",
	};
	inet_pton(AF_INET, "127.0.0.1", &p.nas_ip);
	p.has_nas_ip = true;
	if (pap) {
		p.user_password = (const uint8_t *)pap;
		p.user_password_len = strlen(pap);
	} else {
		/* RFC 1994 4.1: response = MD5(identifier + secret + challenge). */
		struct md5_ctx ctx;
		uint8_t ident = 7;
		if (getrandom(challenge, sizeof(challenge), 0) != sizeof(challenge))
			return 4;
		md5_init(&ctx);
		md5_update(&ctx, &ident, 1);
		md5_update(&ctx, chap, strlen(chap));
		md5_update(&ctx, challenge, sizeof(challenge));
		md5_final(&ctx, response);
		p.chap_id = ident;
		p.chap_response = response;
		p.chap_challenge = challenge;
		p.chap_challenge_len = sizeof(challenge);
	}
	if (parallel > 0) {
		static char ids[100000][16];
		if (parallel > 100000)
			goto usage;
		log_set_level(LOG_LVL_WARN);
		uint64_t t0 = ev_now_ms(loop);
		parallel_left = parallel;
		for (long i = 0; i < parallel; i++) {
			snprintf(ids[i], sizeof(ids[i]), "par-%ld", i);
			p.acct_session_id = ids[i];
			if (!radius_auth_start(client, &p, done_parallel, loop)) {
				perror("radius_probe: radius_auth_start");
				return 3;
			}
		}
		ev_loop_run(loop);
		ev_now_update(loop);
		struct radius_client_counters k;
		radius_client_counters_get(client, &k);
		printf("parallel=%ld accept=%lu reject=%lu timeout=%lu error=%lu elapsed_ms=%llu "
		       "sockets=%llu retransmits=%llu\n", parallel,
		       parallel_count[RADIUS_STATUS_ACCEPT], parallel_count[RADIUS_STATUS_REJECT],
		       parallel_count[RADIUS_STATUS_TIMEOUT], parallel_count[RADIUS_STATUS_ERROR],
		       (unsigned long long)(ev_now_ms(loop) - t0), (unsigned long long)k.sockets,
		       (unsigned long long)k.retransmits);
		radius_client_destroy(client);
		ev_loop_destroy(loop);
		return parallel_count[RADIUS_STATUS_ACCEPT] == (unsigned long)parallel ? 0 : 2;
	}
	for (long i = 0; i < count; i++) {
		printf("request=%ld\n", i + 1);
		if (!radius_auth_start(client, &p, done, loop)) {
			perror("radius_probe: radius_auth_start");
			return 3;
		}
		ev_loop_run(loop);
	}
	struct radius_client_counters c;
	radius_client_counters_get(client, &c);
	printf("counters requests=%llu accepts=%llu rejects=%llu timeouts=%llu retransmits=%llu "
	       "failovers=%llu malformed=%llu bad_authenticator=%llu no_message_authenticator=%llu "
	       "bad_message_authenticator=%llu unexpected=%llu tunnel_groups_dropped=%llu\n",
	       (unsigned long long)c.requests, (unsigned long long)c.accepts,
	       (unsigned long long)c.rejects, (unsigned long long)c.timeouts,
	       (unsigned long long)c.retransmits, (unsigned long long)c.failovers,
	       (unsigned long long)c.replies_malformed, (unsigned long long)c.replies_bad_authenticator,
	       (unsigned long long)c.replies_no_message_authenticator,
	       (unsigned long long)c.replies_bad_message_authenticator,
	       (unsigned long long)c.replies_unexpected, (unsigned long long)c.tunnel_groups_dropped);
	for (size_t i = 0; i < cfg.n_servers; i++) {
		struct radius_server_status st;
		radius_client_server_status(client, i, &st);
		printf("server.%zu name=%s dead=%d sent=%llu timeouts=%llu answers=%llu\n", i, st.name,
		       st.dead, (unsigned long long)st.sent, (unsigned long long)st.timeouts,
		       (unsigned long long)st.answers);
	}
	radius_client_destroy(client);
	ev_loop_destroy(loop);
	return last_status;
usage:
	fprintf(stderr, "usage: radius_probe -c radiusclient.conf -u USER (-p PASSWORD | -C PASSWORD) "
		"[-n COUNT] [-P PARALLEL] [-T TIMEOUT_MS] [-R TRIES] [-D DEADTIME_S]\n");
	return 4;
}
