/* Test driver for tests/integration/pppoe.sh: the PPPoE server and client of
 * lac-core/src/access on the two ends of a veth pair.
 *
 *   pppoe_pair server IFNAME [-a AC_NAME] [-s SERVICE]...
 *       Runs the access concentrator until SIGTERM/SIGINT, then prints
 *       "counters key=value..." and exits. Each new session gets an LCP
 *       Echo-Request from the AC; each LCP Echo-Request from a client is
 *       answered with an Echo-Reply carrying the same data, except data
 *       "close-me", which makes the AC close that session (PADT).
 *   pppoe_pair client IFNAME -n COUNT [-a AC_NAME] [-s SERVICE]
 *       Dials COUNT clients at once and checks, printing "ok"/"not ok" lines:
 *       every client gets a session, ids are distinct, a frame arrives from
 *       the AC and an echo comes back; then client 0 hangs up (PADT from the
 *       client), client 1 asks the AC to close it (PADT from the AC), and the
 *       others still exchange frames. Exit 0 when every check passed.
 *       -d: discovery only (for a foreign AC such as rp-pppoe's pppoe-server).
 *   pppoe_pair badcookie IFNAME
 *       Raw PADI/PADR exchange: a PADR with a damaged AC-Cookie, and one
 *       replaying another MAC's cookie, must both go unanswered.
 *   pppoe_pair tagged IFNAME
 *       Two PADIs with an 802.1Q tag (VLAN 100): the AC on the untagged
 *       interface must not answer (they belong to a VLAN interface).
 *
 * PPP payloads are valid LCP Echo packets (RFC 1661 5.8) so that tshark
 * dissects every frame of the capture cleanly. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "access/pppoe_client.h"
#include "access/pppoe_codec.h"
#include "access/pppoe_server.h"
#include "ev/ev.h"
#include "util/log.h"

#define LCP_ECHO_REQUEST 9
#define LCP_ECHO_REPLY 10

static int checks_failed;

static void check(bool ok, const char *what, const char *detail)
{
	printf("%s - %s%s%s\n", ok ? "ok" : "not ok", what, detail && *detail ? ": " : "",
	       detail ? detail : "");
	if (!ok)
		checks_failed++;
	fflush(stdout);
}

/* An LCP Echo packet (protocol c021) with magic 0 and data. Returns length. */
static size_t lcp_echo(uint8_t *buf, uint8_t code, uint8_t id, const char *data, size_t dlen)
{
	size_t len = 4 + 4 + dlen;
	buf[0] = 0xc0;
	buf[1] = 0x21;
	buf[2] = code;
	buf[3] = id;
	buf[4] = (uint8_t)(len >> 8);
	buf[5] = (uint8_t)len;
	memset(buf + 6, 0, 4);
	memcpy(buf + 10, data, dlen);
	return 2 + len;
}

/* Parses an LCP Echo packet; returns its code (0 if not an echo), data in *d. */
static int lcp_echo_parse(const uint8_t *p, size_t len, const uint8_t **d, size_t *dlen)
{
	if (len < 10 || p[0] != 0xc0 || p[1] != 0x21)
		return 0;
	if (p[2] != LCP_ECHO_REQUEST && p[2] != LCP_ECHO_REPLY)
		return 0;
	size_t l = (size_t)(p[4] << 8 | p[5]);
	if (l < 8 || l > len - 2)
		return 0;
	*d = p + 10;
	*dlen = l - 8;
	return p[2];
}

static int signal_fd_open(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

static void on_signal(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	ev_loop_stop(loop);
}

/* ---- server ---- */

struct srv_sess {
	struct access_conn *conn;
	uint8_t next_id;
};

static void srv_frame_rx(void *owner, const uint8_t *frame, size_t len)
{
	struct srv_sess *s = owner;
	const uint8_t *d;
	size_t dl;
	uint8_t buf[1600];

	if (lcp_echo_parse(frame, len, &d, &dl) != LCP_ECHO_REQUEST || dl > 1400)
		return;
	if (dl == 8 && memcmp(d, "close-me", 8) == 0) {
		struct access_conn *c = s->conn;
		free(s);
		access_conn_close(c, "asked to close");
		return;
	}
	size_t n = lcp_echo(buf, LCP_ECHO_REPLY, frame[3], (const char *)d, dl);
	access_conn_send(s->conn, buf, n);
}

static void srv_closed(void *owner, const char *reason)
{
	free(owner);
}

static const struct access_conn_handlers srv_handlers = {
	.frame_rx = srv_frame_rx,
	.closed = srv_closed,
};

static void srv_conn_new(void *ctx, struct access_conn *conn)
{
	struct srv_sess *s = calloc(1, sizeof(*s));
	if (!s) {
		access_conn_close(conn, "out of memory");
		return;
	}
	s->conn = conn;
	access_conn_attach(conn, &srv_handlers, s);
	printf("conn nas_port=%u nas_port_id=%s calling=%s called=%s mru=%u\n", conn->info.nas_port,
	       conn->info.nas_port_id, conn->info.calling_station_id, conn->info.called_station_id,
	       conn->info.mru);
	fflush(stdout);
	uint8_t buf[64];
	size_t n = lcp_echo(buf, LCP_ECHO_REQUEST, ++s->next_id, "hello-from-ac", 13);
	access_conn_send(conn, buf, n);
}

static int run_server(const char *ifname, const char *ac_name, const char **services, size_t n_services)
{
	struct ev_loop *loop = ev_loop_create();
	struct pppoe_server_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.ifname = ifname;
	cfg.ac_name = ac_name;
	for (size_t i = 0; i < n_services && i < PPPOE_SERVER_MAX_SERVICES; i++)
		cfg.service_names[cfg.n_service_names++] = services[i];
	cfg.max_sessions_per_mac = 4;
	int sfd = signal_fd_open();
	if (!loop || sfd < 0)
		return 2;
	struct pppoe_server *srv = pppoe_server_create(loop, &cfg, srv_conn_new, NULL);
	if (!srv)
		return 2;
	ev_io_add(loop, sfd, EV_READ, on_signal, NULL);
	printf("ready\n");
	fflush(stdout);
	ev_loop_run(loop);
	struct pppoe_server_counters c;
	char line[1024];
	pppoe_server_get_counters(srv, &c);
	pppoe_server_counters_format(&c, line, sizeof(line));
	printf("counters %s\n", line);
	fflush(stdout);
	pppoe_server_destroy(srv);
	ev_io_del(loop, sfd);
	close(sfd);
	ev_loop_destroy(loop);
	return 0;
}

/* ---- client ---- */

struct cli {
	unsigned idx;
	struct pppoe_client *pc;
	bool up, down;
	uint16_t sid, mru;
	char down_reason[128];
	unsigned greetings;             /* Echo-Requests from the AC */
	unsigned replies;               /* Echo-Replies to our requests */
};

static void cli_up(void *owner, uint16_t sid, uint16_t mru)
{
	struct cli *c = owner;
	c->up = true;
	c->sid = sid;
	c->mru = mru;
}

static void cli_frame_rx(void *owner, const uint8_t *ppp, size_t len)
{
	struct cli *c = owner;
	const uint8_t *d;
	size_t dl;
	int code = lcp_echo_parse(ppp, len, &d, &dl);
	if (code == LCP_ECHO_REQUEST && dl == 13 && memcmp(d, "hello-from-ac", 13) == 0)
		c->greetings++;
	else if (code == LCP_ECHO_REPLY && dl == 4 && memcmp(d, "ping", 4) == 0)
		c->replies++;
}

static void cli_down(void *owner, const char *reason)
{
	struct cli *c = owner;
	c->down = true;
	c->pc = NULL;
	snprintf(c->down_reason, sizeof(c->down_reason), "%s", reason);
}

static const struct pppoe_client_events cli_events = {
	.up = cli_up,
	.frame_rx = cli_frame_rx,
	.down = cli_down,
};

/* Runs the loop until cond(arg) holds or timeout_ms passes. */
static bool run_until(struct ev_loop *loop, bool (*cond)(void *), void *arg, unsigned timeout_ms)
{
	uint64_t end = ev_now_ms(loop) + timeout_ms;
	while (!cond(arg)) {
		uint64_t now = ev_now_ms(loop);
		if (now >= end)
			return false;
		ev_loop_run_once(loop, (int)(end - now > 50 ? 50 : end - now));
	}
	return true;
}

struct cli_set {
	struct cli *v;
	unsigned n;
};

static bool all_settled(void *arg)
{
	struct cli_set *s = arg;
	for (unsigned i = 0; i < s->n; i++)
		if (!s->v[i].up && !s->v[i].down)
			return false;
	return true;
}

static bool all_greeted_and_replied(void *arg)
{
	struct cli_set *s = arg;
	for (unsigned i = 0; i < s->n; i++)
		if (s->v[i].up && (s->v[i].greetings < 1 || s->v[i].replies < 1))
			return false;
	return true;
}

static bool second_down(void *arg)
{
	struct cli_set *s = arg;
	return s->n < 2 || s->v[1].down;
}

static bool rest_replied_twice(void *arg)
{
	struct cli_set *s = arg;
	for (unsigned i = 2; i < s->n; i++)
		if (s->v[i].replies < 2)
			return false;
	return true;
}

static void send_ping(struct cli *c, const char *data)
{
	uint8_t buf[64];
	size_t n = lcp_echo(buf, LCP_ECHO_REQUEST, (uint8_t)c->idx, data, strlen(data));
	if (c->pc)
		pppoe_client_send(c->pc, buf, n);
}

static int run_client(const char *ifname, unsigned count, const char *ac_name, const char *service,
		      bool discovery_only)
{
	struct ev_loop *loop = ev_loop_create();
	struct pppoe_client_mux *mux = loop ? pppoe_client_mux_create(loop, ifname) : NULL;
	struct cli *v = calloc(count, sizeof(*v));
	struct cli_set set = { v, count };
	char detail[256];

	if (!mux || !v)
		return 2;
	for (unsigned i = 0; i < count; i++) {
		struct pppoe_client_config cfg;
		memset(&cfg, 0, sizeof(cfg));
		cfg.mac_index = i + 1;
		cfg.service_name = service;
		cfg.ac_name = ac_name;
		cfg.timeout_ms = 500;
		v[i].idx = i;
		v[i].pc = pppoe_client_start(mux, &cfg, &cli_events, &v[i]);
	}
	run_until(loop, all_settled, &set, 15000);

	unsigned up = 0, distinct = 1;
	for (unsigned i = 0; i < count; i++) {
		if (v[i].up && !v[i].down)
			up++;
		else
			printf("# client %u: %s\n", i, v[i].down ? v[i].down_reason : "no answer");
		for (unsigned j = 0; j < i; j++)
			if (v[i].up && v[j].up && v[i].sid == v[j].sid)
				distinct = 0;
	}
	snprintf(detail, sizeof(detail), "%u of %u up", up, count);
	check(up == count, "every client completes discovery (Host-Uniq echoed in PADO and PADS)", detail);
	check(distinct, "session ids are distinct", NULL);
	for (unsigned i = 0; i < count; i++)
		if (v[i].up)
			printf("# client %u sid=%u mru=%u\n", i, v[i].sid, v[i].mru);

	if (discovery_only)
		goto out;
	for (unsigned i = 0; i < count; i++)
		send_ping(&v[i], "ping");
	bool ok = run_until(loop, all_greeted_and_replied, &set, 5000);
	check(ok, "a PPP frame goes each way on every session", NULL);

	if (count >= 3) {
		/* Client 0 hangs up (PADT from the client); client 1 asks the AC to
		 * close its session (PADT from the AC). */
		pppoe_client_stop(v[0].pc);
		v[0].pc = NULL;
		send_ping(&v[1], "close-me");
		ok = run_until(loop, second_down, &set, 5000);
		snprintf(detail, sizeof(detail), "reason=%s", v[1].down_reason);
		check(ok && strncmp(v[1].down_reason, "padt", 4) == 0,
		      "PADT from the AC ends the client's session", detail);
		unsigned others_down = 0;
		for (unsigned i = 2; i < count; i++)
			others_down += v[i].down;
		check(others_down == 0, "other sessions survive both PADTs", NULL);
		for (unsigned i = 2; i < count; i++)
			send_ping(&v[i], "ping");
		ok = run_until(loop, rest_replied_twice, &set, 5000);
		check(ok, "remaining sessions still carry frames after the PADTs", NULL);
	}
out:
	/* Hang up the rest cleanly. */
	pppoe_client_mux_destroy(mux);
	free(v);
	ev_loop_destroy(loop);
	printf("client checks failed=%d\n", checks_failed);
	return checks_failed ? 1 : 0;
}

/* ---- bad cookie probe ---- */

static int raw_open(const char *ifname, int *ifindex, uint8_t mac[6])
{
	struct ifreq ifr;
	int fd = socket(AF_PACKET, SOCK_RAW, htons(PPPOE_ETHERTYPE_DISCOVERY));
	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0)
		goto fail;
	*ifindex = ifr.ifr_ifindex;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		goto fail;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	struct sockaddr_ll sll;
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(PPPOE_ETHERTYPE_DISCOVERY);
	sll.sll_ifindex = *ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

/* Waits up to ms for a discovery frame with the given code to mac. */
static bool raw_wait(int fd, uint8_t code, const uint8_t mac[6], int ms, uint8_t *buf, size_t cap,
		     struct pppoe_disc *out)
{
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		int left = ms - (int)((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0)
			return false;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, left) <= 0)
			continue;
		ssize_t n = recv(fd, buf, cap, 0);
		enum pppoe_err err;
		if (n > 0 && pppoe_disc_decode(buf, (size_t)n, out, &err) == 0 && out->code == code &&
		    memcmp(out->dst, mac, 6) == 0)
			return true;
	}
}

static int raw_send(int fd, const struct pppoe_disc *m)
{
	uint8_t buf[512];
	enum pppoe_err err;
	int n = pppoe_disc_encode(buf, sizeof(buf), m, &err);
	return n > 0 && send(fd, buf, (size_t)n, 0) == n ? 0 : -1;
}

static int run_badcookie(const char *ifname)
{
	int ifindex;
	uint8_t ifmac[6], rx[1600];
	int fd = raw_open(ifname, &ifindex, ifmac);
	if (fd < 0) {
		perror("raw socket");
		return 2;
	}
	/* Own MAC so that no promiscuous mode is needed for the answers. */
	struct pppoe_disc m, pado, pads;
	memset(&m, 0, sizeof(m));
	memset(m.dst, 0xff, 6);
	memcpy(m.src, ifmac, 6);
	m.code = PPPOE_CODE_PADI;
	m.n_service_names = 1;
	pppoe_tag_set_str(&m.service_name[0], "");
	pppoe_tag_set_str(&m.host_uniq, "probe");
	raw_send(fd, &m);
	bool got = raw_wait(fd, PPPOE_CODE_PADO, ifmac, 3000, rx, sizeof(rx), &pado);
	check(got && pado.ac_cookie.present && pado.ac_cookie.len == 16, "PADI gets a PADO with a 16-octet AC-Cookie", NULL);
	if (!got) {
		close(fd);
		return 1;
	}
	uint8_t cookie[16], ac[6];
	memcpy(cookie, pado.ac_cookie.data, 16);
	memcpy(ac, pado.src, 6);

	/* 1: our MAC, the cookie with one bit flipped. */
	cookie[5] ^= 0x01;
	m.code = PPPOE_CODE_PADR;
	memcpy(m.dst, ac, 6);
	pppoe_tag_set(&m.ac_cookie, cookie, 16);
	raw_send(fd, &m);
	got = raw_wait(fd, PPPOE_CODE_PADS, ifmac, 1500, rx, sizeof(rx), &pads);
	check(!got, "a PADR with a damaged AC-Cookie gets no PADS", NULL);

	/* 2: the genuine cookie replayed from a spoofed MAC. */
	cookie[5] ^= 0x01;
	uint8_t spoof[6] = { 0x02, 0x66, 0x66, 0x66, 0x66, 0x01 };
	memcpy(m.src, spoof, 6);
	raw_send(fd, &m);
	got = raw_wait(fd, PPPOE_CODE_PADS, spoof, 1500, rx, sizeof(rx), &pads);
	check(!got, "another MAC's AC-Cookie gets no PADS", NULL);
	close(fd);
	printf("badcookie checks failed=%d\n", checks_failed);
	return checks_failed ? 1 : 0;
}

/* ---- 802.1Q-tagged PADI probe ---- */

/* Sends two PADIs tagged for VLAN 100 from the interface's MAC; an AC on the
 * untagged interface must not answer them (pppoe_sock_recv). */
static int run_tagged(const char *ifname)
{
	int ifindex;
	uint8_t ifmac[6], frame[128], rx[1600];
	int fd = raw_open(ifname, &ifindex, ifmac);
	if (fd < 0) {
		perror("raw socket");
		return 2;
	}
	struct pppoe_disc m;
	memset(&m, 0, sizeof(m));
	memset(m.dst, 0xff, 6);
	memcpy(m.src, ifmac, 6);
	m.code = PPPOE_CODE_PADI;
	m.n_service_names = 1;
	pppoe_tag_set_str(&m.service_name[0], "");
	pppoe_tag_set_str(&m.host_uniq, "tagged");
	enum pppoe_err err;
	uint8_t plain[128];
	int n = pppoe_disc_encode(plain, sizeof(plain), &m, &err);
	if (n < 0)
		return 2;
	/* Insert the 802.1Q header (TPID 0x8100, VID 100) after the MACs. */
	memcpy(frame, plain, 12);
	frame[12] = 0x81;
	frame[13] = 0x00;
	frame[14] = 0x00;
	frame[15] = 100;
	memcpy(frame + 16, plain + 12, (size_t)n - 12);
	for (int i = 0; i < 2; i++)
		if (send(fd, frame, (size_t)n + 4, 0) != n + 4)
			perror("send");
	struct pppoe_disc pado;
	bool got = raw_wait(fd, PPPOE_CODE_PADO, ifmac, 1500, rx, sizeof(rx), &pado);
	check(!got, "a VLAN-tagged PADI on the untagged interface gets no PADO", NULL);
	close(fd);
	return checks_failed ? 1 : 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: pppoe_pair server IFNAME [-a AC] [-s SERVICE]...\n"
		"       pppoe_pair client IFNAME -n COUNT [-a AC] [-s SERVICE] [-d]\n"
		"       pppoe_pair badcookie IFNAME\n"
		"       pppoe_pair tagged IFNAME\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *services[PPPOE_SERVER_MAX_SERVICES];
	size_t n_services = 0;
	const char *ac_name = NULL;
	unsigned count = 1;
	bool discovery_only = false;

	if (argc < 3)
		usage();
	log_set_ident("pppoe_pair");
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "-a") && i + 1 < argc)
			ac_name = argv[++i];
		else if (!strcmp(argv[i], "-s") && i + 1 < argc && n_services < PPPOE_SERVER_MAX_SERVICES)
			services[n_services++] = argv[++i];
		else if (!strcmp(argv[i], "-d"))
			discovery_only = true;
		else if (!strcmp(argv[i], "-n") && i + 1 < argc)
			count = (unsigned)strtoul(argv[++i], NULL, 10);
		else
			usage();
	}
	if (!strcmp(argv[1], "server"))
		return run_server(argv[2], ac_name, services, n_services);
	if (!strcmp(argv[1], "client"))
		return run_client(argv[2], count ? count : 1, ac_name, n_services ? services[0] : NULL,
				  discovery_only);
	if (!strcmp(argv[1], "badcookie"))
		return run_badcookie(argv[2]);
	if (!strcmp(argv[1], "tagged"))
		return run_tagged(argv[2]);
	usage();
	return 2;
}
