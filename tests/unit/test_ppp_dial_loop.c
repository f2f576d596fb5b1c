/* lac-dial end to end over loopback TCP: the test is the LAC, running the
 * authenticator role of the same PPP core behind HDLC framing, answering
 * pings to its own address; lac-dial runs as a child process. Checks the
 * result lines, the summary and the exit code. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ppp/hdlc.h"
#include "ppp/ppp.h"
#include "util/log.h"
#include "util/md5.h"

#define MAXC 16

struct conn {
	int fd;
	struct hdlc_decoder dec;
	struct ppp_session *s;
	unsigned idx;
	bool dead;
};

static struct conn conns[MAXC];
static const char *good_password = "good";

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void srv_tx(void *o, const uint8_t *raw, size_t len)
{
	struct conn *c = o;
	uint8_t buf[2 * PPP_FRAME_MAX + 8];
	ssize_t n = hdlc_encode(buf, sizeof(buf), raw, len, ppp_session_tx_accm(c->s));
	if (n > 0 && write(c->fd, buf, (size_t)n) != n)
		c->dead = true;
}

static void srv_auth(void *o, const struct ppp_auth_request *r)
{
	struct conn *c = o;
	bool ok = r->type == PPP_AUTH_CHAP ? r->response_len == 16 :
		  (r->response_len == strlen(good_password) &&
		   memcmp(r->response, good_password, r->response_len) == 0);
	if (r->type == PPP_AUTH_CHAP) {
		/* the test's LAC knows the one password */
		uint8_t in[1 + 64 + 16], d[16];
		size_t pl = strlen(good_password);
		in[0] = r->chap_id;
		memcpy(in + 1, good_password, pl);
		memcpy(in + 1 + pl, r->challenge, r->challenge_len);
		md5(in, 1 + pl + r->challenge_len, d);
		ok = ok && memcmp(d, r->response, 16) == 0;
	}
	struct in_addr l, p, d1, d2 = { 0 };
	inet_pton(AF_INET, "10.99.0.1", &l);
	p.s_addr = htonl(0x0a630000u + 10 + c->idx);
	inet_pton(AF_INET, "10.99.0.53", &d1);
	ppp_session_set_ipcp(c->s, l, p, d1, d2);
	ppp_session_auth_result(c->s, ok, ok ? "welcome" : "wrong password", now_ms());
}

static uint16_t csum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		s += (uint32_t)(p[len - 1] << 8);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Answers ICMP echo requests addressed to 10.99.0.1. */
static void srv_ip(void *o, const uint8_t *pkt, size_t len)
{
	struct conn *c = o;
	uint8_t r[1600];
	if (len < 28 || len > sizeof(r) || pkt[9] != 1 || pkt[20] != 8 ||
	    memcmp(pkt + 16, "\x0a\x63\x00\x01", 4) != 0)
		return;
	memcpy(r, pkt, len);
	memcpy(r + 12, pkt + 16, 4);
	memcpy(r + 16, pkt + 12, 4);
	r[10] = r[11] = 0;
	uint16_t x = csum(r, 20);
	r[10] = (uint8_t)(x >> 8);
	r[11] = (uint8_t)x;
	r[20] = 0;
	r[22] = r[23] = 0;
	x = csum(r + 20, len - 20);
	r[22] = (uint8_t)(x >> 8);
	r[23] = (uint8_t)x;
	ppp_session_send_ip(c->s, r, len);
}

static void srv_down(void *o, enum ppp_down_cause cause, const char *reason)
{
	struct conn *c = o;
	c->dead = true;
}

static const struct ppp_callbacks srv_cb = {
	.tx = srv_tx, .auth_request = srv_auth, .down = srv_down, .ip_rx = srv_ip,
};

static void conn_close(struct conn *c)
{
	if (c->s)
		ppp_session_destroy(c->s);
	c->s = NULL;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* Runs lac-dial with args against a one-thread LAC; returns its exit status
 * and its stdout in out. */
static int run_dial(const char *extra[], char *out, size_t cap, enum ppp_auth_type auth,
		    bool term_after_up)
{
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	cr_assert_eq(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(lfd, 16), 0);
	getsockname(lfd, (struct sockaddr *)&a, &al);
	char connect_arg[64];
	snprintf(connect_arg, sizeof(connect_arg), "tcp:127.0.0.1:%u", ntohs(a.sin_port));

	int pfd[2];
	cr_assert_eq(pipe(pfd), 0);
	const char *top = getenv("top_builddir");
	char bin[512];
	snprintf(bin, sizeof(bin), "%s/lac-core/lac-dial", top ? top : ".");
	pid_t pid = fork();
	if (pid == 0) {
		const char *argv[32] = { bin, "--connect", connect_arg, "--restart", "200" };
		int n = 5;
		for (int i = 0; extra[i] && n < 30; i++)
			argv[n++] = extra[i];
		argv[n] = NULL;
		dup2(pfd[1], 1);
		close(pfd[0]);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	close(pfd[1]);
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);

	struct ppp_config cfg;
	ppp_config_defaults(&cfg);
	cfg.async_map = true;
	cfg.restart_ms = 200;
	if (auth == PPP_AUTH_PAP) {
		cfg.auth_order[0] = PPP_AUTH_PAP;
		cfg.auth_order_len = 1;
	}
	for (int i = 0; i < MAXC; i++)
		conns[i].fd = -1;
	size_t outlen = 0;
	int status = -1;
	uint64_t deadline = now_ms() + 20000;
	unsigned accepted = 0;
	while (now_ms() < deadline) {
		struct pollfd p[MAXC + 2];
		int np = 0;
		p[np++] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		p[np++] = (struct pollfd){ .fd = pfd[0], .events = POLLIN };
		for (int i = 0; i < MAXC; i++)
			if (conns[i].fd >= 0)
				p[np++] = (struct pollfd){ .fd = conns[i].fd, .events = POLLIN };
		poll(p, (nfds_t)np, 10);
		if (p[0].revents & POLLIN) {
			int fd = accept(lfd, NULL, NULL);
			for (int i = 0; i < MAXC && fd >= 0; i++) {
				if (conns[i].fd >= 0)
					continue;
				struct conn *c = &conns[i];
				memset(c, 0, sizeof(*c));
				c->fd = fd;
				c->idx = accepted++;
				hdlc_decoder_init(&c->dec, 0);
				snprintf(cfg.ident, sizeof(cfg.ident), "srv=%u", c->idx);
				c->s = ppp_session_create(&cfg, PPP_ROLE_AUTHENTICATOR, &srv_cb, c);
				ppp_session_lower_up(c->s, now_ms());
				fd = -1;
			}
			if (fd >= 0)
				close(fd);
		}
		ssize_t r;
		while ((r = read(pfd[0], out + outlen, cap - 1 - outlen)) > 0)
			outlen += (size_t)r;
		out[outlen] = '\0';
		for (int i = 0; i < MAXC; i++) {
			struct conn *c = &conns[i];
			if (c->fd < 0)
				continue;
			uint8_t buf[4096];
			ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (n == 0 || (n < 0 && errno != EAGAIN)) {
				conn_close(c);
				continue;
			}
			for (size_t off = 0; n > 0 && off < (size_t)n && !c->dead;) {
				const uint8_t *f;
				size_t fl;
				off += hdlc_decoder_feed(&c->dec, buf + off, (size_t)n - off, &f, &fl);
				if (f)
					ppp_session_input(c->s, f, fl, now_ms());
			}
			uint64_t t = c->dead ? 0 : ppp_session_next_timeout(c->s);
			if (t && t <= now_ms())
				ppp_session_timeout(c->s, now_ms());
			if (c->dead)
				conn_close(c);
		}
		if (term_after_up && strstr(out, "outcome=up")) {
			kill(pid, SIGTERM);
			term_after_up = false;
		}
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
	}
	if (status == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	ssize_t r;
	while ((r = read(pfd[0], out + outlen, cap - 1 - outlen)) > 0)
		outlen += (size_t)r;
	out[outlen] = '\0';
	close(pfd[0]);
	close(lfd);
	for (int i = 0; i < MAXC; i++)
		conn_close(&conns[i]);
	cr_assert(WIFEXITED(status), "lac-dial did not exit: %s", out);
	return WEXITSTATUS(status);
}

static void setup(void)
{
	log_set_level(LOG_LVL_ERROR);
	signal(SIGPIPE, SIG_IGN);
}

TestSuite(dial, .init = setup, .timeout = 60);

Test(dial, chap_subscribers_come_up_ping_and_hang_up)
{
	char out[8192];
	const char *args[] = { "--user", "sub{n}@local.example", "--password", "good", "--count", "3",
			       "--rate", "50", "--ping", "10.99.0.1", "--hold", "0.2", NULL };
	int rc = run_dial(args, out, sizeof(out), PPP_AUTH_CHAP, false);
	cr_assert_eq(rc, 0, "%s", out);
	cr_assert(strstr(out, "n=1 user=sub1@local.example outcome=up addr=10.99.0."), "%s", out);
	cr_assert(strstr(out, "n=3 user=sub3@local.example outcome=up"), "%s", out);
	cr_assert(strstr(out, "dns=10.99.0.53,0.0.0.0"), "%s", out);
	cr_assert(strstr(out, "ping=ok"), "%s", out);
	cr_assert(strstr(out, "n=2 user=sub2@local.example event=down duration_ms="), "%s", out);
	cr_assert(strstr(out, "reason=\"hold time over\""), "%s", out);
	cr_assert(strstr(out, "summary count=3 up=3 rejected=0"), "%s", out);
}

Test(dial, pap_wrong_password_is_reported_rejected)
{
	char out[8192];
	const char *args[] = { "--user", "x@blocked.example", "--password", "bad", "--expect",
			       "rejected", "--json", NULL };
	int rc = run_dial(args, out, sizeof(out), PPP_AUTH_PAP, false);
	cr_assert_eq(rc, 0, "%s", out);
	cr_assert(strstr(out, "\"outcome\":\"rejected\""), "%s", out);
	cr_assert(strstr(out, "wrong password"), "%s", out);
	cr_assert(strstr(out, "{\"summary\":{\"count\":1,\"up\":0,\"rejected\":1"), "%s", out);
}

Test(dial, unexpected_outcome_gives_nonzero_exit)
{
	char out[8192];
	const char *args[] = { "--user", "y", "--password", "bad", NULL };
	int rc = run_dial(args, out, sizeof(out), PPP_AUTH_CHAP, false);
	cr_assert_eq(rc, 1, "%s", out);
	cr_assert(strstr(out, "outcome=rejected"), "%s", out);
}

Test(dial, sigterm_hangs_up_a_held_session_cleanly)
{
	char out[8192];
	const char *args[] = { "--user", "z@local.example", "--password", "good", "--first", "7",
			       "--hold", "60", NULL };
	int rc = run_dial(args, out, sizeof(out), PPP_AUTH_CHAP, true);
	cr_assert_eq(rc, 0, "%s", out);
	cr_assert(strstr(out, "n=7 user=z@local.example outcome=up"), "%s", out);
	cr_assert(strstr(out, "n=7 user=z@local.example event=down"), "%s", out);
	cr_assert(strstr(out, "reason=\"interrupted\""), "%s", out);
}
