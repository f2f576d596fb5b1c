/*
 * radload: an asynchronous RADIUS Access-Request load generator for the
 * broker benchmark (bench/bench-broker.sh).
 *
 * One thread, a few connected UDP sockets (each has its own 256 identifiers,
 * RFC 2865 3), up to --inflight requests outstanding, new ones sent as replies
 * arrive. Every request carries Message-Authenticator (RFC 3579 3.2); every
 * reply is verified (Response Authenticator and Message-Authenticator) and
 * decoded with lac-core's codec, Tunnel-Passwords decrypted (RFC 2868 3.5), so
 * a fast but wrong server cannot score. It stops by itself after --count
 * requests or --max-seconds, whichever comes first; a request unanswered for
 * --timeout-ms counts as lost (no retransmission: a benchmark must not hide
 * drops).
 *
 * Output: one line of key=value figures (and with --show-reply, one line
 * describing the first Access-Accept, so the script can check that every
 * configuration produced the same reply).
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "aaa/radius_codec.h"

#define SOCKETS_MAX 16
#define IDS_PER_SOCKET 256

struct slot {
	int      busy;
	uint64_t sent_ns;
	uint8_t  auth[RADIUS_AUTH_LEN];
};

struct sock {
	int         fd;
	struct slot slots[IDS_PER_SOCKET];
	unsigned    next_id;
	unsigned    busy;
};

struct opts {
	const char *server;
	const char *secret;
	const char *user_fmt;
	unsigned    realms;     /* --realms: second %u of user_fmt cycles 0..realms-1 */
	const char *password;
	const char *called_station;
	unsigned    count;
	unsigned    inflight;
	unsigned    sockets;
	unsigned    timeout_ms;
	double      max_seconds;
	int         expect_tunnels;    /* -1: do not check */
	int         show_reply;
};

struct stats {
	uint64_t  sent, accepted, rejected, bad, lost, late;
	uint64_t *lat_ns;             /* one per answered request */
	uint64_t  n_lat;
	char      first_reply[2048];
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * Request Authenticators: splitmix64 seeded from getrandom(). RFC 2865 3
 * wants them unpredictable; a benchmark only needs them unique and fast, and
 * one getrandom() call per request would measure the kernel, not the server.
 */
static uint64_t rng_state;

static uint64_t rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t rng_u32(void *arg)
{
	(void)arg;
	return (uint32_t)rng_next();
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: radload --server HOST[:PORT] --secret S [--count N] [--inflight N]\n"
		"               [--sockets N] [--timeout-ms N] [--max-seconds S] [--user FMT]\n"
		"               [--password P] [--called-station-id S] [--expect-tunnels N] [--show-reply]\n"
		"  FMT: the user name, its first %%u replaced by the request number\n"
		"  (default \"user%%u@corp.example\"); with --realms R a second %%u is the\n"
		"  request number modulo R (e.g. \"user%%u@r%%u.example\": R realms, uniformly)\n");
}

static int open_socket(const char *server)
{
	char host[256];
	const char *port = "1812";
	const char *colon = strrchr(server, ':');
	struct addrinfo hints = { 0 }, *ai = NULL;
	int fd = -1, buf = 4 << 20;

	snprintf(host, sizeof(host), "%s", server);
	if (colon && !strchr(colon + 1, ']')) {
		host[colon - server] = '\0';
		port = colon + 1;
	}
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if (getaddrinfo(host, port, &hints, &ai) != 0) {
		fprintf(stderr, "radload: bad server address %s\n", server);
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		fprintf(stderr, "radload: socket/connect %s: %s\n", server, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	} else {
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	}
	freeaddrinfo(ai);
	return fd;
}

/* The user name: the template with its first "%u" replaced by n (done by
 * hand: the template is not used as a format string). */
/* The first %u is n; a second %u (with --realms R) is n mod R, so the
 * requests walk R realms uniformly. */
static void user_name(char *buf, size_t cap, const char *tmpl, unsigned n, unsigned realms)
{
	const char *pc = strstr(tmpl, "%u"), *pc2 = pc ? strstr(pc + 2, "%u") : NULL;

	if (!pc)
		snprintf(buf, cap, "%s", tmpl);
	else if (!pc2 || !realms)
		snprintf(buf, cap, "%.*s%u%s", (int)(pc - tmpl), tmpl, n, pc + 2);
	else
		snprintf(buf, cap, "%.*s%u%.*s%u%s", (int)(pc - tmpl), tmpl, n,
			 (int)(pc2 - pc - 2), pc + 2, n % realms, pc2 + 2);
}

/* Send one request on s with a free id. Returns 0, 1 if the socket buffer is
 * full (try later), -1 on a hard error. */
static int send_one(struct sock *s, const struct opts *o, struct stats *st)
{
	uint8_t pkt[RADIUS_MAX_PACKET];
	char user[256];
	struct radius_auth_params p = { 0 };
	struct slot *slot;
	uint64_t r0, r1;
	ssize_t len;
	unsigned id, tries;

	for (tries = 0; tries < IDS_PER_SOCKET; tries++) {
		id = (s->next_id + tries) & 0xff;
		if (!s->slots[id].busy)
			break;
	}
	if (tries == IDS_PER_SOCKET)
		return 1;
	slot = &s->slots[id];
	r0 = rng_next();
	r1 = rng_next();
	memcpy(slot->auth, &r0, 8);
	memcpy(slot->auth + 8, &r1, 8);
	user_name(user, sizeof(user), o->user_fmt, (unsigned)st->sent, o->realms);
	p.user_name = user;
	p.user_password = (const uint8_t *)o->password;
	p.user_password_len = strlen(o->password);
	p.has_nas_ip = true;
	p.nas_ip.s_addr = htonl(0x7f000001);
	p.nas_identifier = "radload";
	p.has_nas_port = true;
	p.nas_port = (uint32_t)st->sent;
	p.has_nas_port_type = true;
	p.nas_port_type = RADIUS_NAS_PORT_TYPE_VIRTUAL;
	p.framed_ppp = true;
	p.called_station_id = o->called_station;
	len = radius_access_request_encode(pkt, sizeof(pkt), (uint8_t)id, slot->auth, &p,
					   (const uint8_t *)o->secret, strlen(o->secret));
	if (len < 0) {
		fprintf(stderr, "radload: cannot encode a request (user name too long?)\n");
		return -1;
	}
	if (send(s->fd, pkt, (size_t)len, 0) < 0) {
		if (errno == EAGAIN || errno == ENOBUFS || errno == EINTR)
			return 1;
		fprintf(stderr, "radload: send: %s\n", strerror(errno));
		return -1;
	}
	slot->busy = 1;
	slot->sent_ns = now_ns();
	s->busy++;
	s->next_id = (id + 1) & 0xff;
	st->sent++;
	return 0;
}

/* One line describing an accepted reply (tunnels in preference order). */
static void describe_reply(const struct radius_reply *r, char *buf, size_t cap)
{
	size_t i, o = 0;

	o += (size_t)snprintf(buf + o, cap - o, "code=%s tunnels=%zu", radius_code_str(r->code),
			      r->n_tunnels);
	for (i = 0; i < r->n_tunnels && o < cap; i++) {
		const struct radius_tunnel *t = &r->tunnels[i];
		o += (size_t)snprintf(buf + o, cap - o,
				      " [type=%u medium=%u endpoint=%s pref=%u password=%.*s"
				      " assignment=%s server_auth=%s client_auth=%s]",
				      t->type, t->medium, t->endpoint, t->preference,
				      (int)t->password_len, (const char *)t->password,
				      t->assignment_id, t->server_auth_id, t->client_auth_id);
	}
}

static void receive(struct sock *s, const struct opts *o, struct stats *st,
		    struct radius_reply *reply)
{
	uint8_t pkt[RADIUS_MAX_PACKET];
	struct radius_err err;
	ssize_t n;

	while ((n = recv(s->fd, pkt, sizeof(pkt), 0)) > 0) {
		uint64_t t = now_ns();
		struct slot *slot;

		if (n < RADIUS_HDR_LEN) {
			st->bad++;
			continue;
		}
		slot = &s->slots[pkt[1]];
		if (!slot->busy) {
			st->late++;     /* answer after we gave up on it */
			continue;
		}
		if (radius_reply_decode(pkt, (size_t)n, slot->auth, (const uint8_t *)o->secret,
					strlen(o->secret), rng_u32, NULL, reply, &err) < 0) {
			/* a late answer to an earlier request with the same id fails here too */
			st->bad++;
			if (st->bad <= 3)
				fprintf(stderr, "radload: bad reply: %s at offset %zu\n", err.msg, err.offset);
			continue;
		}
		slot->busy = 0;
		s->busy--;
		st->lat_ns[st->n_lat++] = t - slot->sent_ns;
		if (reply->code == RADIUS_CODE_ACCESS_ACCEPT &&
		    (o->expect_tunnels < 0 || (int)reply->n_tunnels == o->expect_tunnels)) {
			st->accepted++;
			if (!st->first_reply[0])
				describe_reply(reply, st->first_reply, sizeof(st->first_reply));
		} else if (reply->code == RADIUS_CODE_ACCESS_REJECT) {
			st->rejected++;
		} else {
			st->bad++;
			if (st->bad <= 3)
				fprintf(stderr, "radload: unexpected reply: code=%u tunnels=%zu dropped=%zu\n",
					reply->code, reply->n_tunnels, reply->n_dropped);
		}
	}
}

static void expire(struct sock *socks, unsigned n, const struct opts *o, struct stats *st,
		   uint64_t t)
{
	uint64_t limit = (uint64_t)o->timeout_ms * 1000000u;
	unsigned i, id;

	for (i = 0; i < n; i++)
		for (id = 0; id < IDS_PER_SOCKET; id++) {
			struct slot *slot = &socks[i].slots[id];
			if (slot->busy && t - slot->sent_ns > limit) {
				slot->busy = 0;
				socks[i].busy--;
				st->lost++;
			}
		}
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "server",            required_argument, NULL, 's' },
		{ "secret",            required_argument, NULL, 'k' },
		{ "count",             required_argument, NULL, 'n' },
		{ "inflight",          required_argument, NULL, 'i' },
		{ "sockets",           required_argument, NULL, 'S' },
		{ "timeout-ms",        required_argument, NULL, 't' },
		{ "max-seconds",       required_argument, NULL, 'T' },
		{ "user",              required_argument, NULL, 'u' },
		{ "realms",            required_argument, NULL, 'R' },
		{ "password",          required_argument, NULL, 'p' },
		{ "called-station-id", required_argument, NULL, 'c' },
		{ "expect-tunnels",    required_argument, NULL, 'e' },
		{ "show-reply",        no_argument,       NULL, 'r' },
		{ "help",              no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = {
		.user_fmt = "user%u@corp.example", .password = "bench-pw", .count = 20000,
		.inflight = 256, .sockets = 4, .timeout_ms = 2000, .max_seconds = 60,
		.expect_tunnels = -1,
	};
	struct stats st = { 0 };
	struct sock socks[SOCKETS_MAX];
	struct pollfd pfd[SOCKETS_MAX];
	struct radius_reply *reply = NULL;
	uint64_t start, end, deadline, last_expire;
	unsigned i, rr = 0;
	int c, rc = 1;

	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 's': o.server = optarg; break;
		case 'k': o.secret = optarg; break;
		case 'n': o.count = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'i': o.inflight = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'S': o.sockets = (unsigned)strtoul(optarg, NULL, 10); break;
		case 't': o.timeout_ms = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'T': o.max_seconds = strtod(optarg, NULL); break;
		case 'u': o.user_fmt = optarg; break;
		case 'R': o.realms = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'p': o.password = optarg; break;
		case 'c': o.called_station = optarg; break;
		case 'e': o.expect_tunnels = atoi(optarg); break;
		case 'r': o.show_reply = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!o.server || !o.secret || o.count == 0 || o.sockets == 0 || o.sockets > SOCKETS_MAX ||
	    o.inflight == 0 || o.inflight > o.sockets * IDS_PER_SOCKET || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (getrandom(&rng_state, sizeof(rng_state), 0) != sizeof(rng_state)) {
		fprintf(stderr, "radload: getrandom failed\n");
		return 1;
	}
	memset(socks, 0, sizeof(socks));
	for (i = 0; i < o.sockets; i++) {
		socks[i].fd = open_socket(o.server);
		if (socks[i].fd < 0)
			goto out;
		pfd[i].fd = socks[i].fd;
		pfd[i].events = POLLIN;
	}
	st.lat_ns = calloc(o.count, sizeof(*st.lat_ns));
	reply = calloc(1, sizeof(*reply));
	if (!st.lat_ns || !reply) {
		fprintf(stderr, "radload: out of memory\n");
		goto out;
	}

	start = now_ns();
	deadline = start + (uint64_t)(o.max_seconds * 1e9);
	last_expire = start;
	for (;;) {
		uint64_t inflight = st.sent - st.n_lat - st.lost, t;
		unsigned blocked = 0;

		/* keep the pipe full, spreading requests over the sockets */
		while (st.sent < o.count && inflight < o.inflight && blocked < o.sockets) {
			int r = send_one(&socks[rr], &o, &st);
			rr = (rr + 1) % o.sockets;
			if (r < 0)
				goto out;
			if (r > 0) {
				blocked++;
				continue;
			}
			blocked = 0;
			inflight++;
		}
		if (st.n_lat + st.lost >= o.count)
			break;
		t = now_ns();
		if (t >= deadline)
			break;
		if (poll(pfd, o.sockets, 10) < 0 && errno != EINTR) {
			perror("radload: poll");
			goto out;
		}
		for (i = 0; i < o.sockets; i++)
			if (pfd[i].revents & POLLIN)
				receive(&socks[i], &o, &st, reply);
		t = now_ns();
		if (t - last_expire > 10000000u) {
			expire(socks, o.sockets, &o, &st, t);
			last_expire = t;
		}
	}
	end = now_ns();
	{
		double secs = (double)(end - start) / 1e9;
		double p50 = 0, p99 = 0, pmax = 0, cpu = 0;
		uint64_t unanswered = st.sent - st.n_lat - st.lost;
		struct rusage ru;

		/* our own CPU share: near 100 would mean the generator is the limit */
		if (getrusage(RUSAGE_SELF, &ru) == 0 && secs > 0)
			cpu = 100.0 * ((double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
				       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6) / secs;

		if (st.n_lat) {
			qsort(st.lat_ns, st.n_lat, sizeof(*st.lat_ns), cmp_u64);
			p50 = (double)st.lat_ns[(st.n_lat - 1) * 50 / 100] / 1e6;
			p99 = (double)st.lat_ns[(st.n_lat - 1) * 99 / 100] / 1e6;
			pmax = (double)st.lat_ns[st.n_lat - 1] / 1e6;
		}
		printf("sent=%llu answered=%llu accepted=%llu rejected=%llu bad=%llu lost=%llu "
		       "unanswered=%llu late=%llu seconds=%.3f rps=%.0f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f "
		       "gen_cpu_pct=%.0f\n",
		       (unsigned long long)st.sent, (unsigned long long)st.n_lat,
		       (unsigned long long)st.accepted, (unsigned long long)st.rejected,
		       (unsigned long long)st.bad, (unsigned long long)st.lost,
		       (unsigned long long)unanswered, (unsigned long long)st.late, secs,
		       secs > 0 ? (double)st.n_lat / secs : 0.0, p50, p99, pmax, cpu);
		if (o.show_reply)
			printf("reply: %s\n", st.first_reply[0] ? st.first_reply : "none accepted");
		/* success: everything answered and verified, and accepted as expected */
		rc = (st.n_lat == o.count && st.bad == 0 && st.lost == 0 && st.accepted == o.count) ? 0 : 1;
	}
out:
	for (i = 0; i < o.sockets; i++)
		if (socks[i].fd > 0)
			close(socks[i].fd);
	free(st.lat_ns);
	free(reply);
	return rc;
}
