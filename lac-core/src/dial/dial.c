/* lac-dial: the subscriber simulator. Dials N PPP subscribers at a given rate
 * over HDLC-over-TCP (lac-core's stream access) or PPPoE, runs LCP,
 * authentication and IPCP as a client (ppp/ppp.h, PPP_ROLE_CLIENT), can ping
 * through the link with packets built in userspace, holds, hangs up with LCP
 * Terminate, and prints one result line per subscriber plus a summary.
 *
 * One event loop (ev/ev.h), non-blocking sockets, many sessions at once; the
 * PPP engine never sees a socket or the clock. Results go to stdout, logs to
 * stderr. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "access/access_line.h"
#include "access/pppoe_client.h"
#include "dial/icmp.h"
#include "dial/traffic.h"
#include "dial/traffic_run.h"
#include "ev/ev.h"
#include "ppp/hdlc.h"
#include "ppp/ppp.h"
#include "util/log.h"
#include "util/send_batch.h"

#define PING_TRIES 3
#define PING_WAIT_MS 1000
#define PING_PAYLOAD 32
#define READ_CHUNK 16384

enum dial_transport { DIAL_TCP, DIAL_PPPOE, DIAL_UDP };

enum dial_outcome { DIAL_PENDING, DIAL_UP, DIAL_REJECTED, DIAL_TIMEOUT, DIAL_FAILED };

static const char *dial_outcome_str(enum dial_outcome o)
{
	static const char *const names[] = { "pending", "up", "rejected", "timeout", "failed" };
	return (unsigned)o < sizeof(names) / sizeof(names[0]) ? names[o] : "?";
}

/* What a session is doing once PPP is up. */
enum dial_stage { STAGE_SETUP, STAGE_PING, STAGE_HOLD, STAGE_HANGUP, STAGE_DONE };

struct dial_opts {
	enum dial_transport transport;
	struct sockaddr_storage addr;
	socklen_t addr_len;
	char ifname[IF_NAMESIZE];
	const char *user;               /* "{n}" is replaced by the session number */
	const char *password;
	unsigned count;
	unsigned first;                 /* number of the first session (default 1) */
	double rate;                    /* sessions started per second; 0 = all at once */
	uint64_t hold_ms;
	bool ping;
	struct in_addr ping_addr;
	bool json;
	uint64_t timeout_ms;
	enum dial_outcome expect;
	unsigned restart_ms;
	bool pap_only;
	struct pppoe_vlan vlan;         /* --vlan: tags to send PPPoE with */
	uint8_t tr101[255];             /* --tr101: the tag an access node would insert */
	size_t tr101_len;
	/* --traffic: once every subscriber is up (or has failed), paced test
	 * traffic through the up ones (dial/traffic_run.h), then hang up */
	bool traffic;
	struct traffic_run_cfg traffic_cfg;
	struct in_addr traffic_dst;     /* --traffic-dst, inside PPP */
	struct sockaddr_in udp_to;      /* --udp: plain UDP to a relay instead of PPP */
};

struct dialer;

struct dial {
	struct dialer *dr;
	unsigned n;
	char user[PPP_NAME_MAX + 1];
	enum dial_stage stage;
	/* TCP */
	int fd;
	bool connected;
	struct hdlc_decoder *dec;
	uint8_t *out;
	size_t out_len, out_cap;
	/* PPPoE */
	struct pppoe_client *pc;
	/* PPP */
	struct ppp_session *ppp;
	bool finished;                  /* `down` arrived; clean up after the call returns */
	struct ev_timer t_ppp, t_app, t_deadline;
	uint64_t t_start, t_up;
	bool was_up, auth_failed, timed_out;
	struct ppp_ip_info ip;
	char reason[PPP_MESSAGE_MAX + 64];
	/* ping */
	unsigned ping_sent;
	uint16_t ping_seq;
	uint64_t ping_sent_at;
	bool ping_ok;
	uint64_t rtt_ms;
	enum dial_outcome outcome;
	bool reported;                  /* the result line is out */
};

struct dialer {
	struct dial_opts o;
	struct ev_loop *loop;
	struct pppoe_client_mux *mux;
	struct dial *dials;
	unsigned started, done;
	bool stopping;
	uint64_t t0;
	struct ev_timer t_launch;
	int sigfd;
	/* --traffic */
	unsigned held;                  /* sessions up and holding */
	struct dial **flows;            /* the held sessions when the traffic began */
	unsigned n_flows;
	struct traffic_run *run;
	int udp_fd;
	unsigned udp_n;                 /* payloads waiting for the tick's sendmmsg */
};

#define UDP_BATCH SEND_BATCH_MAX
static uint8_t udp_tx[UDP_BATCH][TRAFFIC_MAX_IP_LEN];
static size_t udp_tx_len[UDP_BATCH];

static void dial_start_tcp(struct dial *d);
static void dial_start_pppoe(struct dial *d);
static void dial_finish(struct dial *d);
static void dial_report(struct dial *d);
static void dialer_stop(struct dialer *dr);
static void traffic_maybe_start(struct dialer *dr);

/* ---- PPP glue ---- */

static void dial_arm_ppp_timer(struct dial *d)
{
	uint64_t when = d->ppp ? ppp_session_next_timeout(d->ppp) : 0;
	if (when)
		ev_timer_start_at(d->dr->loop, &d->t_ppp, when);
	else
		ev_timer_stop(d->dr->loop, &d->t_ppp);
}

/* After any call into the PPP engine: either it reported `down` (clean up
 * now, outside its call stack) or its timer may have moved. */
static void dial_after_ppp(struct dial *d)
{
	if (d->finished && d->stage != STAGE_DONE)
		dial_finish(d);
	else if (d->stage != STAGE_DONE)
		dial_arm_ppp_timer(d);
}

static void dial_set_reason(struct dial *d, const char *reason)
{
	if (!d->reason[0])
		snprintf(d->reason, sizeof(d->reason), "%s", reason);
}

static void dial_flush(struct dial *d)
{
	while (d->out_len) {
		ssize_t n = write(d->fd, d->out, d->out_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			d->out_len = 0;
			return;     /* the read side will see the close */
		}
		memmove(d->out, d->out + n, d->out_len - (size_t)n);
		d->out_len -= (size_t)n;
	}
	ev_io_mod(d->dr->loop, d->fd, EV_READ | (d->out_len ? EV_WRITE : 0));
}

static void cb_tx(void *owner, const uint8_t *raw, size_t len)
{
	struct dial *d = owner;
	if (d->dr->o.transport == DIAL_PPPOE) {
		if (d->pc)
			pppoe_client_send(d->pc, raw, len);
		return;
	}
	if (d->fd < 0 || !d->connected)
		return;
	size_t need = hdlc_encode_bound(len);
	if (d->out_cap - d->out_len < need) {
		size_t cap = d->out_cap ? d->out_cap * 2 : 8192;
		while (cap - d->out_len < need)
			cap *= 2;
		uint8_t *p = realloc(d->out, cap);
		if (!p) {
			log_error("n=%u event=tx_dropped reason=out_of_memory", d->n);
			return;
		}
		d->out = p;
		d->out_cap = cap;
	}
	ssize_t n = hdlc_encode(d->out + d->out_len, d->out_cap - d->out_len, raw, len,
				ppp_session_tx_accm(d->ppp));
	if (n < 0)
		return;
	d->out_len += (size_t)n;
	dial_flush(d);
}

static void cb_auth_result(void *owner, bool success, const char *message)
{
	struct dial *d = owner;
	if (!success) {
		d->auth_failed = true;
		char r[PPP_MESSAGE_MAX + 32];
		snprintf(r, sizeof(r), "auth failed: %s", message);
		dial_set_reason(d, r);
	}
}

static void dial_send_ping(struct dial *d)
{
	uint8_t pkt[ICMP_ECHO_HLEN + PING_PAYLOAD];
	uint8_t payload[PING_PAYLOAD];
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)('a' + i % 26);
	d->ping_seq++;
	size_t len = icmp_echo_build(pkt, sizeof(pkt), d->ip.local, d->dr->o.ping_addr,
				     (uint16_t)d->n, d->ping_seq, payload, sizeof(payload));
	d->ping_sent++;
	d->ping_sent_at = ev_now_ms(d->dr->loop);
	ppp_session_send_ip(d->ppp, pkt, len);
	ev_timer_start(d->dr->loop, &d->t_app, PING_WAIT_MS);
}

/* Up (and pinged, if asked): the outcome is known, report it now so a
 * long --hold does not keep the caller waiting for it. */
static void dial_start_hold(struct dial *d)
{
	dial_report(d);
	d->stage = STAGE_HOLD;
	if (d->dr->o.traffic) {
		d->dr->held++;
		traffic_maybe_start(d->dr);
		return;         /* held until the traffic is over */
	}
	ev_timer_start(d->dr->loop, &d->t_app, d->dr->o.hold_ms);
}

static void cb_up(void *owner, const struct ppp_ip_info *ip)
{
	struct dial *d = owner;
	d->ip = *ip;
	if (d->was_up)
		return;         /* renegotiated: keep going with the new addresses */
	d->was_up = true;
	d->t_up = ev_now_ms(d->dr->loop);
	ev_timer_stop(d->dr->loop, &d->t_deadline);
	char a[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &ip->local, a, sizeof(a));
	log_info("n=%u event=up addr=%s setup_ms=%" PRIu64, d->n, a, d->t_up - d->t_start);
	if (d->dr->stopping) {
		dial_report(d);
		d->stage = STAGE_HANGUP;
		ppp_session_close(d->ppp, "interrupted", d->t_up);
		return;
	}
	if (d->dr->o.ping) {
		d->stage = STAGE_PING;
		dial_send_ping(d);
		return;
	}
	dial_start_hold(d);
}

static void cb_down(void *owner, enum ppp_down_cause cause, const char *reason)
{
	struct dial *d = owner;
	dial_set_reason(d, reason);
	d->finished = true;
}

static void cb_ip_rx(void *owner, const uint8_t *pkt, size_t len)
{
	struct dial *d = owner;
	struct icmp_echo_reply r;
	uint32_t seq;
	if (d->dr->run && traffic_ip_parse(pkt, len, &seq) == 0) {
		traffic_run_rx(d->dr->run, seq);
		return;
	}
	if (d->stage != STAGE_PING || icmp_echo_reply_parse(pkt, len, &r) < 0)
		return;
	if (r.id != (uint16_t)d->n || r.seq != d->ping_seq ||
	    r.src.s_addr != d->dr->o.ping_addr.s_addr)
		return;
	d->ping_ok = true;
	d->rtt_ms = ev_now_ms(d->dr->loop) - d->ping_sent_at;
	log_info("n=%u event=ping_reply rtt_ms=%" PRIu64, d->n, d->rtt_ms);
	dial_start_hold(d);
}

static const struct ppp_callbacks dial_ppp_cb = {
	.tx = cb_tx,
	.auth_result = cb_auth_result,
	.up = cb_up,
	.down = cb_down,
	.ip_rx = cb_ip_rx,
};

/* The access link is up (TCP connected, PPPoE session): start PPP. */
static void dial_lower_up(struct dial *d, uint16_t mru)
{
	const struct dial_opts *o = &d->dr->o;
	struct ppp_config cfg;
	ppp_config_defaults(&cfg);
	snprintf(cfg.ident, sizeof(cfg.ident), "dial=%u", d->n);
	snprintf(cfg.user, sizeof(cfg.user), "%s", d->user);
	snprintf(cfg.password, sizeof(cfg.password), "%s", o->password);
	cfg.restart_ms = o->restart_ms;
	cfg.auth_timeout_ms = (unsigned)(o->timeout_ms ? o->timeout_ms : 30000);
	if (o->transport == DIAL_PPPOE) {
		cfg.no_addr_ctl = true;
		cfg.mru = mru;
	} else {
		cfg.async_map = true;
	}
	d->ppp = ppp_session_create(&cfg, PPP_ROLE_CLIENT, &dial_ppp_cb, d);
	if (!d->ppp) {
		dial_set_reason(d, "out of memory");
		d->finished = true;
		dial_after_ppp(d);
		return;
	}
	ppp_session_lower_up(d->ppp, ev_now_ms(d->dr->loop));
	dial_after_ppp(d);
}

/* ---- TCP transport ---- */

static void dial_tcp_read(struct dial *d)
{
	uint8_t buf[READ_CHUNK];
	for (;;) {
		ssize_t n = read(d->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			dial_set_reason(d, n == 0 ? "connection closed by peer" : strerror(errno));
			if (d->ppp)
				ppp_session_lower_down(d->ppp, ev_now_ms(d->dr->loop));
			d->finished = true;
			dial_after_ppp(d);
			return;
		}
		const uint8_t *p = buf;
		size_t left = (size_t)n;
		while (left && !d->finished) {
			const uint8_t *frame;
			size_t flen;
			size_t used = hdlc_decoder_feed(d->dec, p, left, &frame, &flen);
			p += used;
			left -= used;
			if (frame && d->ppp)
				ppp_session_input(d->ppp, frame, flen, ev_now_ms(d->dr->loop));
		}
		dial_after_ppp(d);
		if (d->stage == STAGE_DONE)
			return;
	}
}

static void dial_tcp_io(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	struct dial *d = arg;
	if (!d->connected) {
		int err = 0;
		socklen_t el = sizeof(err);
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
		if (err) {
			dial_set_reason(d, strerror(err));
			d->finished = true;
			dial_after_ppp(d);
			return;
		}
		d->connected = true;
		ev_io_mod(loop, fd, EV_READ);
		dial_lower_up(d, PPP_FRAME_MAX);
		return;
	}
	if (events & (EV_READ | EV_ERROR))
		dial_tcp_read(d);
	if (d->stage != STAGE_DONE && (events & EV_WRITE))
		dial_flush(d);
}

static void dial_start_tcp(struct dial *d)
{
	const struct dial_opts *o = &d->dr->o;
	d->dec = malloc(sizeof(*d->dec));
	if (!d->dec) {
		dial_set_reason(d, "out of memory");
		dial_finish(d);
		return;
	}
	hdlc_decoder_init(d->dec, 0);
	d->fd = socket(o->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (d->fd < 0) {
		dial_set_reason(d, strerror(errno));
		dial_finish(d);
		return;
	}
	if (connect(d->fd, (const struct sockaddr *)&o->addr, o->addr_len) < 0 &&
	    errno != EINPROGRESS) {
		dial_set_reason(d, strerror(errno));
		dial_finish(d);
		return;
	}
	if (ev_io_add(d->dr->loop, d->fd, EV_WRITE, dial_tcp_io, d) < 0) {
		dial_set_reason(d, strerror(errno));
		dial_finish(d);
	}
}

/* ---- PPPoE transport ---- */

static void pppoe_up(void *owner, uint16_t session_id, uint16_t mru)
{
	struct dial *d = owner;
	log_info("n=%u event=pppoe_up sid=%u mru=%u", d->n, session_id, mru);
	dial_lower_up(d, mru);
}

static void pppoe_frame_rx(void *owner, const uint8_t *ppp, size_t len)
{
	struct dial *d = owner;
	if (!d->ppp || d->stage == STAGE_DONE)
		return;
	ppp_session_input(d->ppp, ppp, len, ev_now_ms(d->dr->loop));
	dial_after_ppp(d);
}

static void pppoe_down(void *owner, const char *reason)
{
	struct dial *d = owner;
	d->pc = NULL;   /* freed by the client when we return */
	dial_set_reason(d, reason);
	if (d->ppp)
		ppp_session_lower_down(d->ppp, ev_now_ms(d->dr->loop));
	d->finished = true;
	dial_after_ppp(d);
}

static const struct pppoe_client_events dial_pppoe_events = {
	.up = pppoe_up,
	.frame_rx = pppoe_frame_rx,
	.down = pppoe_down,
};

static void dial_start_pppoe(struct dial *d)
{
	struct pppoe_client_config cfg = { .mac = NULL, .mac_index = d->n, .tr101 = d->dr->o.tr101,
					   .tr101_len = d->dr->o.tr101_len };
	d->pc = pppoe_client_start(d->dr->mux, &cfg, &dial_pppoe_events, d);
	if (!d->pc) {
		dial_set_reason(d, "pppoe client failed");
		dial_finish(d);
	}
}

/* ---- timers ---- */

static void dial_ppp_timer(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	struct dial *d = arg;
	if (d->ppp)
		ppp_session_timeout(d->ppp, ev_now_ms(loop));
	dial_after_ppp(d);
}

static void dial_app_timer(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	struct dial *d = arg;
	if (d->stage == STAGE_PING) {
		if (d->ping_sent < PING_TRIES) {
			dial_send_ping(d);
			dial_after_ppp(d);
			return;
		}
		log_info("n=%u event=ping_timeout tries=%u", d->n, d->ping_sent);
		dial_start_hold(d);
		return;
	}
	if (d->stage == STAGE_HOLD) {
		d->stage = STAGE_HANGUP;
		ppp_session_close(d->ppp, "hold time over", ev_now_ms(loop));
		dial_after_ppp(d);
	}
}

static void dial_deadline_timer(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	struct dial *d = arg;
	if (d->was_up || d->stage == STAGE_DONE)
		return;
	d->timed_out = true;
	dial_set_reason(d, "setup timeout");
	dial_finish(d);
}

/* ---- results ---- */

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* Copies s with quotes and control characters replaced, for key="value". */
static void plain_str(char *dst, size_t cap, const char *s)
{
	size_t i = 0;
	for (; *s && i + 1 < cap; s++)
		dst[i++] = (*s == '"' || (unsigned char)*s < 0x20) ? '\'' : *s;
	dst[i] = '\0';
}

/* Prints the session's result line once its outcome is known: at up (after
 * the ping) or when it ended without coming up. */
static void dial_report(struct dial *d)
{
	const struct dial_opts *o = &d->dr->o;
	if (d->reported)
		return;
	d->reported = true;
	if (d->was_up)
		d->outcome = DIAL_UP;
	else if (d->auth_failed)
		d->outcome = DIAL_REJECTED;
	else if (d->timed_out)
		d->outcome = DIAL_TIMEOUT;
	else
		d->outcome = DIAL_FAILED;
	char addr[INET_ADDRSTRLEN] = "-", dns1[INET_ADDRSTRLEN] = "-", dns2[INET_ADDRSTRLEN] = "-";
	if (d->was_up) {
		inet_ntop(AF_INET, &d->ip.local, addr, sizeof(addr));
		inet_ntop(AF_INET, &d->ip.dns1, dns1, sizeof(dns1));
		inet_ntop(AF_INET, &d->ip.dns2, dns2, sizeof(dns2));
	}
	uint64_t setup = d->was_up ? d->t_up - d->t_start : 0;
	if (o->json) {
		printf("{\"n\":%u,\"user\":", d->n);
		json_str(stdout, d->user);
		printf(",\"outcome\":\"%s\"", dial_outcome_str(d->outcome));
		if (d->was_up)
			printf(",\"addr\":\"%s\",\"dns1\":\"%s\",\"dns2\":\"%s\",\"setup_ms\":%" PRIu64,
			       addr, dns1, dns2, setup);
		if (o->ping && d->was_up) {
			printf(",\"ping\":\"%s\"", d->ping_ok ? "ok" : "fail");
			if (d->ping_ok)
				printf(",\"rtt_ms\":%" PRIu64, d->rtt_ms);
		}
		printf(",\"reason\":");
		json_str(stdout, d->reason);
		printf("}\n");
	} else {
		char user[PPP_NAME_MAX + 1], reason[sizeof(d->reason)];
		plain_str(user, sizeof(user), d->user);
		plain_str(reason, sizeof(reason), d->reason);
		printf("n=%u user=%s outcome=%s addr=%s dns=%s,%s setup_ms=%" PRIu64, d->n, user,
		       dial_outcome_str(d->outcome), addr, dns1, dns2, setup);
		if (o->ping && d->was_up) {
			printf(" ping=%s", d->ping_ok ? "ok" : "fail");
			if (d->ping_ok)
				printf(" rtt_ms=%" PRIu64, d->rtt_ms);
		}
		printf(" reason=\"%s\"\n", reason);
	}
	fflush(stdout);
}

/* A session that was up has ended: one more line with why and how long. */
static void dial_report_down(const struct dial *d)
{
	uint64_t held = ev_now_ms(d->dr->loop) - d->t_up;
	if (d->dr->o.json) {
		printf("{\"n\":%u,\"user\":", d->n);
		json_str(stdout, d->user);
		printf(",\"event\":\"down\",\"duration_ms\":%" PRIu64 ",\"reason\":", held);
		json_str(stdout, d->reason);
		printf("}\n");
	} else {
		char user[PPP_NAME_MAX + 1], reason[sizeof(d->reason)];
		plain_str(user, sizeof(user), d->user);
		plain_str(reason, sizeof(reason), d->reason);
		printf("n=%u user=%s event=down duration_ms=%" PRIu64 " reason=\"%s\"\n", d->n, user,
		       held, reason);
	}
	fflush(stdout);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Prints the summary line; returns true if every session met --expect. */
static bool dialer_summary(struct dialer *dr)
{
	unsigned cnt[5] = { 0 }, ping_ok = 0, good = 0;
	uint64_t *setup = calloc(dr->o.count ? dr->o.count : 1, sizeof(*setup));
	size_t ns = 0;
	for (unsigned i = 0; i < dr->o.count; i++) {
		const struct dial *d = &dr->dials[i];
		cnt[d->outcome]++;
		if (d->ping_ok)
			ping_ok++;
		if (d->was_up && setup)
			setup[ns++] = d->t_up - d->t_start;
		bool ok = d->outcome == dr->o.expect;
		if (ok && dr->o.expect == DIAL_UP && dr->o.ping && !d->ping_ok)
			ok = false;
		good += ok;
	}
	uint64_t mn = 0, mx = 0, p50 = 0, p95 = 0, sum = 0;
	if (ns) {
		qsort(setup, ns, sizeof(*setup), cmp_u64);
		mn = setup[0];
		mx = setup[ns - 1];
		p50 = setup[(ns - 1) / 2];
		p95 = setup[(ns - 1) * 95 / 100];
		for (size_t i = 0; i < ns; i++)
			sum += setup[i];
	}
	free(setup);
	uint64_t elapsed = ev_now_ms(dr->loop) - dr->t0;
	uint64_t avg = ns ? sum / ns : 0;
	/* frames meant for our subscribers that our own socket lost: a slow
	 * setup may be the dialer's, not the LAC's */
	uint64_t rx_drops = dr->mux ? pppoe_client_mux_rx_kernel_drops(dr->mux) : 0;
	if (dr->o.json)
		printf("{\"summary\":{\"count\":%u,\"up\":%u,\"rejected\":%u,\"timeout\":%u,"
		       "\"failed\":%u,\"ping_ok\":%u,\"expected\":\"%s\",\"as_expected\":%u,"
		       "\"setup_ms_min\":%" PRIu64 ",\"setup_ms_avg\":%" PRIu64
		       ",\"setup_ms_p50\":%" PRIu64 ",\"setup_ms_p95\":%" PRIu64
		       ",\"setup_ms_max\":%" PRIu64 ",\"elapsed_ms\":%" PRIu64
		       ",\"rx_kernel_drops\":%" PRIu64 "}}\n",
		       dr->o.count, cnt[DIAL_UP], cnt[DIAL_REJECTED], cnt[DIAL_TIMEOUT],
		       cnt[DIAL_FAILED], ping_ok, dial_outcome_str(dr->o.expect), good, mn, avg, p50,
		       p95, mx, elapsed, rx_drops);
	else
		printf("summary count=%u up=%u rejected=%u timeout=%u failed=%u ping_ok=%u "
		       "expected=%s as_expected=%u setup_ms_min=%" PRIu64 " setup_ms_avg=%" PRIu64
		       " setup_ms_p50=%" PRIu64 " setup_ms_p95=%" PRIu64 " setup_ms_max=%" PRIu64
		       " elapsed_ms=%" PRIu64 " rx_kernel_drops=%" PRIu64 "\n",
		       dr->o.count, cnt[DIAL_UP], cnt[DIAL_REJECTED], cnt[DIAL_TIMEOUT],
		       cnt[DIAL_FAILED], ping_ok, dial_outcome_str(dr->o.expect), good, mn, avg, p50,
		       p95, mx, elapsed, rx_drops);
	fflush(stdout);
	return good == dr->o.count;
}

/* The session is over: decide its outcome, release everything, print. Safe
 * to call once per session, never from inside a PPP engine call. */
static void dial_finish(struct dial *d)
{
	struct dialer *dr = d->dr;
	if (d->stage == STAGE_DONE)
		return;
	d->stage = STAGE_DONE;
	ev_timer_stop(dr->loop, &d->t_ppp);
	ev_timer_stop(dr->loop, &d->t_app);
	ev_timer_stop(dr->loop, &d->t_deadline);
	if (d->fd >= 0) {
		ev_io_del(dr->loop, d->fd);
		close(d->fd);
		d->fd = -1;
	}
	if (d->pc) {
		pppoe_client_stop(d->pc);
		d->pc = NULL;
	}
	if (d->ppp) {
		ppp_session_destroy(d->ppp);
		d->ppp = NULL;
	}
	free(d->dec);
	d->dec = NULL;
	free(d->out);
	d->out = NULL;
	d->out_len = d->out_cap = 0;
	if (d->reported)
		dial_report_down(d);
	else
		dial_report(d);
	dr->done++;
	if (dr->done == dr->o.count || (dr->stopping && dr->done == dr->started))
		ev_loop_stop(dr->loop);
	else
		traffic_maybe_start(dr);
}

static void dial_start(struct dialer *dr, unsigned i)
{
	struct dial *d = &dr->dials[i];
	d->dr = dr;
	d->n = dr->o.first + i;
	d->fd = -1;
	d->stage = STAGE_SETUP;
	d->t_start = ev_now_ms(dr->loop);
	/* "{n}" in the user name becomes the session number */
	const char *tpl = dr->o.user, *mark = strstr(tpl, "{n}");
	if (mark)
		snprintf(d->user, sizeof(d->user), "%.*s%u%s", (int)(mark - tpl), tpl, d->n, mark + 3);
	else
		snprintf(d->user, sizeof(d->user), "%s", tpl);
	ev_timer_init(&d->t_ppp, dial_ppp_timer, d);
	ev_timer_init(&d->t_app, dial_app_timer, d);
	ev_timer_init(&d->t_deadline, dial_deadline_timer, d);
	if (dr->o.timeout_ms)
		ev_timer_start(dr->loop, &d->t_deadline, dr->o.timeout_ms);
	dr->started++;
	if (dr->o.transport == DIAL_TCP)
		dial_start_tcp(d);
	else
		dial_start_pppoe(d);
}

/* Starts sessions so that, at any time, about rate x elapsed have started. */
static void dialer_launch(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	struct dialer *dr = arg;
	if (dr->stopping)
		return;
	uint64_t elapsed = ev_now_ms(loop) - dr->t0;
	unsigned due = dr->o.count;
	if (dr->o.rate > 0) {
		double want = 1.0 + (double)elapsed * dr->o.rate / 1000.0;
		due = want < (double)dr->o.count ? (unsigned)want : dr->o.count;
	}
	while (dr->started < due && !dr->stopping)
		dial_start(dr, dr->started);
	if (dr->started < dr->o.count) {
		uint64_t step = dr->o.rate > 0 ? (uint64_t)(1000.0 / dr->o.rate) : 0;
		ev_timer_start(loop, &dr->t_launch, step ? step : 1);
	}
}

/* SIGINT/SIGTERM: stop launching, hang up what is up, drop what is dialling. */
static void dialer_signal(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	struct dialer *dr = arg;
	struct signalfd_siginfo si;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		;
	if (dr->stopping) {
		ev_loop_stop(loop);
		return;
	}
	log_info("event=interrupted started=%u done=%u", dr->started, dr->done);
	dialer_stop(dr);
}

/* Stop launching, hang up what is up, drop what is dialling; the loop ends
 * when every session is done. */
static void dialer_stop(struct dialer *dr)
{
	struct ev_loop *loop = dr->loop;

	dr->stopping = true;
	ev_timer_stop(loop, &dr->t_launch);
	for (unsigned i = 0; i < dr->started; i++) {
		struct dial *d = &dr->dials[i];
		if (d->stage == STAGE_DONE)
			continue;
		dial_set_reason(d, "interrupted");
		if (d->ppp && d->was_up && d->stage != STAGE_HANGUP) {
			d->stage = STAGE_HANGUP;
			ev_timer_stop(loop, &d->t_app);
			ppp_session_close(d->ppp, "interrupted", ev_now_ms(loop));
			dial_after_ppp(d);
		} else if (!d->was_up) {
			dial_finish(d);
		}
	}
	if (dr->done == dr->started)
		ev_loop_stop(loop);
}

/* ---- --traffic ---- */

static int traffic_send_ppp(void *arg, unsigned flow, uint32_t seq)
{
	struct dialer *dr = arg;
	struct dial *d = dr->flows[flow];
	uint8_t pkt[TRAFFIC_MAX_IP_LEN];
	size_t n;

	if (d->stage != STAGE_HOLD || !d->ppp)
		return -1;      /* this one went down meanwhile */
	n = traffic_ip_build(pkt, sizeof(pkt), d->ip.local, dr->o.traffic_dst,
			     (uint16_t)(40000 + d->n % 20000), 9, seq, dr->o.traffic_cfg.size);
	if (!n)
		return -1;
	return ppp_session_send_ip(d->ppp, pkt, n) < 0 ? -1 : 0;
}

static void traffic_cork(void *arg)
{
	struct dialer *dr = arg;
	if (dr->mux)
		pppoe_client_mux_cork(dr->mux);
}

static void traffic_uncork(void *arg)
{
	struct dialer *dr = arg;
	if (dr->mux)
		pppoe_client_mux_uncork(dr->mux);
}

static void traffic_done(void *arg)
{
	struct dialer *dr = arg;
	if (dr->o.transport == DIAL_UDP) {
		ev_loop_stop(dr->loop);
		return;
	}
	dialer_stop(dr);
}

static const struct traffic_run_ops traffic_ppp_ops = {
	.send = traffic_send_ppp,
	.tick_begin = traffic_cork,
	.tick_end = traffic_uncork,
	.done = traffic_done,
};

/* Every subscriber has an outcome: the traffic runs over the ones up. */
static void traffic_maybe_start(struct dialer *dr)
{
	unsigned i, n = 0;

	if (!dr->o.traffic || dr->run || dr->stopping || dr->started < dr->o.count ||
	    dr->held + dr->done < dr->o.count)
		return;
	if (!dr->held) {
		fprintf(stderr, "lac-dial: --traffic: no subscriber came up\n");
		dialer_stop(dr);
		return;
	}
	dr->flows = calloc(dr->held, sizeof(*dr->flows));
	if (!dr->flows) {
		dialer_stop(dr);
		return;
	}
	for (i = 0; i < dr->started && n < dr->held; i++)
		if (dr->dials[i].stage == STAGE_HOLD)
			dr->flows[n++] = &dr->dials[i];
	dr->n_flows = n;
	printf("traffic flows=%u steps=%zu step_ms=%u size=%zu\n", n, dr->o.traffic_cfg.n_steps,
	       dr->o.traffic_cfg.step_ms, dr->o.traffic_cfg.size);
	fflush(stdout);
	dr->run = traffic_run_start(dr->loop, &dr->o.traffic_cfg, n, &traffic_ppp_ops, dr);
	if (!dr->run)
		dialer_stop(dr);
}

/* --udp: the same paced traffic as UDP payloads to a relay, in sendmmsg()
 * batches, read back with recvmmsg(): the baseline of make bench-relay. */
static void udp_send_batch(struct dialer *dr)
{
	struct iovec iov[UDP_BATCH];

	for (unsigned i = 0; i < dr->udp_n; i++) {
		iov[i].iov_base = udp_tx[i];
		iov[i].iov_len = udp_tx_len[i];
	}
	(void)send_batch(dr->udp_fd, iov, dr->udp_n);  /* what the socket refused shows as loss */
	dr->udp_n = 0;
}

static int traffic_send_udp(void *arg, unsigned flow, uint32_t seq)
{
	struct dialer *dr = arg;
	size_t len = dr->o.traffic_cfg.size - TRAFFIC_IP_UDP_HLEN;
	(void)flow;
	if (!traffic_payload_build(udp_tx[dr->udp_n], sizeof(udp_tx[0]), seq, len))
		return -1;
	udp_tx_len[dr->udp_n++] = len;
	if (dr->udp_n == UDP_BATCH)
		udp_send_batch(dr);
	return 0;
}

static void traffic_udp_flush(void *arg)
{
	struct dialer *dr = arg;
	if (dr->udp_n)
		udp_send_batch(dr);
}

static const struct traffic_run_ops traffic_udp_ops = {
	.send = traffic_send_udp,
	.tick_end = traffic_udp_flush,
	.done = traffic_done,
};

static void traffic_udp_readable(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	static uint8_t rx[UDP_BATCH][TRAFFIC_MAX_IP_LEN];
	struct dialer *dr = arg;
	struct mmsghdr m[UDP_BATCH];
	struct iovec iov[UDP_BATCH];
	int i, n, round;
	uint32_t seq;
	(void)loop;
	(void)events;
	for (round = 0; round < 16; round++) {
		memset(m, 0, sizeof(m));
		for (i = 0; i < UDP_BATCH; i++) {
			iov[i].iov_base = rx[i];
			iov[i].iov_len = sizeof(rx[i]);
			m[i].msg_hdr.msg_iov = &iov[i];
			m[i].msg_hdr.msg_iovlen = 1;
		}
		n = recvmmsg(fd, m, UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		for (i = 0; i < n; i++)
			if (traffic_payload_parse(rx[i], m[i].msg_len, &seq) == 0)
				traffic_run_rx(dr->run, seq);
		if (n < UDP_BATCH)
			return;
	}
}

static int traffic_udp_start(struct dialer *dr)
{
	int big = 16 << 20;
	dr->udp_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (dr->udp_fd < 0)
		return -1;
	(void)setsockopt(dr->udp_fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	(void)setsockopt(dr->udp_fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	if (connect(dr->udp_fd, (const struct sockaddr *)&dr->o.udp_to, sizeof(dr->o.udp_to)) < 0 ||
	    ev_io_add(dr->loop, dr->udp_fd, EV_READ, traffic_udp_readable, dr) < 0)
		return -1;
	printf("traffic flows=1 steps=%zu step_ms=%u size=%zu\n", dr->o.traffic_cfg.n_steps,
	       dr->o.traffic_cfg.step_ms, dr->o.traffic_cfg.size);
	fflush(stdout);
	dr->run = traffic_run_start(dr->loop, &dr->o.traffic_cfg, 1, &traffic_udp_ops, dr);
	return dr->run ? 0 : -1;
}

/* ---- options ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: lac-dial --connect tcp:HOST:PORT | --pppoe IFNAME --user U --password P\n"
		"                [--count N] [--rate R] [--hold SECONDS] [--ping ADDR] [--json]\n"
		"                [--timeout SECONDS] [--expect up|rejected] [--first N] [--restart MS] [-v]\n"
		"  --connect tcp:HOST:PORT  HDLC-framed PPP over TCP (HOST: IPv4 or [IPv6] literal)\n"
		"  --pppoe IFNAME           PPPoE on IFNAME (one MAC per subscriber)\n"
		"  --user U                 user name; \"{n}\" is replaced by the session number\n"
		"  --count N                subscribers to dial (default 1)\n"
		"  --first N                number of the first subscriber (default 1): sets {n}\n"
		"                           and the PPPoE MAC, so parallel dialers do not collide\n"
		"  --rate R                 subscribers started per second (default: all at once)\n"
		"  --hold S                 seconds to stay up before hanging up (default 0)\n"
		"  --ping ADDR              send ICMP echo to ADDR through the link once up\n"
		"  --timeout S              per-subscriber setup timeout (default 30)\n"
		"  --vlan V | S.C            send PPPoE 802.1Q-tagged V, or 802.1ad S + 802.1Q C\n"
		"  --tr101 CID[,RID[,UP,DOWN]] send a TR-101 tag (Agent-Circuit-Id, Agent-Remote-Id,\n"
		"                           actual rates in kbit/s) in PADI/PADR, as an access node would\n"
		"  --expect up|rejected     the outcome that makes the exit code 0 (default up)\n"
		"  --traffic PPS[,PPS...]   once all are up: paced IPv4/UDP test traffic through the up\n"
		"                           subscribers, one step per offered rate (packets/s in all;\n"
		"                           20k = 20000), counted when reflected back; then hang up\n"
		"  --traffic-size N         IPv4 packet octets (default 64, 36..1500)\n"
		"  --traffic-s S            seconds per step (default 3)\n"
		"  --traffic-dst ADDR       destination inside PPP (default 192.0.2.1)\n"
		"  --udp ADDR:PORT          no PPP: the traffic as UDP payloads (size - 28) to ADDR:PORT\n"
		"  --cpu-pid PID            report PID's CPU per relayed packet with each step\n"
		"One line per subscriber on stdout, then a summary line.\n");
}

/* --tr101 CIRCUIT-ID[,REMOTE-ID[,UP-KBPS,DOWN-KBPS]]: a TR-101 tag (issue 11)
 * with the ids and the actual data rates. */
static int parse_tr101(struct dial_opts *o, const char *spec)
{
	char buf[200], *parts[4] = { NULL };
	struct access_line l;
	enum access_line_err err;
	size_t n = 0;
	if (strlen(spec) >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%s", spec);
	for (char *p = buf, *tok; n < 4 && (tok = strsep(&p, ",")); )
		parts[n++] = tok;
	memset(&l, 0, sizeof(l));
	if (!parts[0] || !*parts[0] || strlen(parts[0]) > ACCESS_LINE_ID_MAX)
		return -1;
	l.have |= access_line_bit(ACCESS_LINE_CIRCUIT_ID);
	l.circuit_id_len = (uint8_t)strlen(parts[0]);
	memcpy(l.circuit_id, parts[0], l.circuit_id_len);
	if (parts[1] && *parts[1]) {
		if (strlen(parts[1]) > ACCESS_LINE_ID_MAX)
			return -1;
		l.have |= access_line_bit(ACCESS_LINE_REMOTE_ID);
		l.remote_id_len = (uint8_t)strlen(parts[1]);
		memcpy(l.remote_id, parts[1], l.remote_id_len);
	}
	if (parts[2] && parts[3]) {
		l.have |= access_line_bit(ACCESS_LINE_ACT_UP) | access_line_bit(ACCESS_LINE_ACT_DOWN);
		l.u32[ACCESS_LINE_ACT_UP - ACCESS_LINE_U32_FIRST] = (uint32_t)strtoul(parts[2], NULL, 10);
		l.u32[ACCESS_LINE_ACT_DOWN - ACCESS_LINE_U32_FIRST] = (uint32_t)strtoul(parts[3], NULL, 10);
	}
	int len = access_line_tr101_encode(&l, o->tr101, sizeof(o->tr101), &err);
	if (len < 0)
		return -1;
	o->tr101_len = (size_t)len;
	return 0;
}

static int parse_connect(struct dial_opts *o, const char *arg)
{
	if (strncmp(arg, "tcp:", 4) != 0)
		return -1;
	const char *host = arg + 4, *colon;
	char h[INET6_ADDRSTRLEN + 2];
	if (host[0] == '[') {
		const char *end = strchr(host, ']');
		if (!end || end[1] != ':' || (size_t)(end - host - 1) >= sizeof(h))
			return -1;
		memcpy(h, host + 1, (size_t)(end - host - 1));
		h[end - host - 1] = '\0';
		colon = end + 1;
	} else {
		colon = strrchr(host, ':');
		if (!colon || (size_t)(colon - host) >= sizeof(h))
			return -1;
		memcpy(h, host, (size_t)(colon - host));
		h[colon - host] = '\0';
	}
	char *endp;
	long port = strtol(colon + 1, &endp, 10);
	if (*endp || port <= 0 || port > 65535)
		return -1;
	memset(&o->addr, 0, sizeof(o->addr));
	struct sockaddr_in *v4 = (struct sockaddr_in *)&o->addr;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&o->addr;
	if (inet_pton(AF_INET, h, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		o->addr_len = sizeof(*v4);
	} else if (inet_pton(AF_INET6, h, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		o->addr_len = sizeof(*v6);
	} else {
		return -1;
	}
	o->transport = DIAL_TCP;
	return 0;
}

static double parse_num(const char *opt, const char *arg, double min, double max)
{
	char *end;
	double v = strtod(arg, &end);
	/* accept "R/s" for --rate as the issue writes it */
	if (end != arg && strcmp(end, "/s") == 0)
		end += 2;
	if (end == arg || *end || v < min || v > max) {
		fprintf(stderr, "lac-dial: bad value for --%s: %s\n", opt, arg);
		exit(2);
	}
	return v;
}

enum { OPT_TRAFFIC = 256, OPT_TRAFFIC_SIZE, OPT_TRAFFIC_S, OPT_TRAFFIC_DST, OPT_UDP, OPT_CPU_PID };

static void parse_opts(int argc, char **argv, struct dial_opts *o)
{
	static const struct option longopts[] = {
		{ "connect", required_argument, NULL, 'c' },
		{ "pppoe", required_argument, NULL, 'e' },
		{ "user", required_argument, NULL, 'u' },
		{ "password", required_argument, NULL, 'p' },
		{ "count", required_argument, NULL, 'n' },
		{ "first", required_argument, NULL, 'f' },
		{ "rate", required_argument, NULL, 'r' },
		{ "hold", required_argument, NULL, 'H' },
		{ "ping", required_argument, NULL, 'P' },
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "expect", required_argument, NULL, 'x' },
		{ "restart", required_argument, NULL, 'R' },
		{ "tr101", required_argument, NULL, 'T' },
		{ "vlan", required_argument, NULL, 'V' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "traffic", required_argument, NULL, OPT_TRAFFIC },
		{ "traffic-size", required_argument, NULL, OPT_TRAFFIC_SIZE },
		{ "traffic-s", required_argument, NULL, OPT_TRAFFIC_S },
		{ "traffic-dst", required_argument, NULL, OPT_TRAFFIC_DST },
		{ "udp", required_argument, NULL, OPT_UDP },
		{ "cpu-pid", required_argument, NULL, OPT_CPU_PID },
		{ NULL, 0, NULL, 0 }
	};
	bool have_transport = false;
	int verbose = 0, c;
	memset(o, 0, sizeof(*o));
	o->count = 1;
	o->first = 1;
	o->timeout_ms = 30000;
	o->expect = DIAL_UP;
	o->restart_ms = 3000;
	o->traffic_cfg.step_ms = 3000;
	o->traffic_cfg.size = 64;
	inet_pton(AF_INET, "192.0.2.1", &o->traffic_dst);
	while ((c = getopt_long(argc, argv, "c:e:u:p:n:f:r:H:P:jt:x:R:T:V:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'V': {
			unsigned a = 0, b = 0;
			int k = sscanf(optarg, "%u.%u", &a, &b);
			if (k < 1 || a < 1 || a > 4094 || (k == 2 && (b < 1 || b > 4094))) {
				fprintf(stderr, "lac-dial: bad --vlan %s (want INNER or OUTER.INNER)\n", optarg);
				exit(2);
			}
			o->vlan.outer_tpid = k == 2 ? PPPOE_TPID_8021AD : PPPOE_TPID_8021Q;
			o->vlan.outer = k == 2 ? (uint16_t)a : 0;
			o->vlan.inner = (uint16_t)(k == 2 ? b : a);
			break;
		}
		case 'T':
			if (parse_tr101(o, optarg) < 0) {
				fprintf(stderr, "lac-dial: bad --tr101 %s (want CIRCUIT-ID[,REMOTE-ID[,UP-KBPS,DOWN-KBPS]])\n",
					optarg);
				exit(2);
			}
			break;
		case 'c':
			if (parse_connect(o, optarg) < 0) {
				fprintf(stderr, "lac-dial: bad --connect %s (want tcp:HOST:PORT)\n", optarg);
				exit(2);
			}
			have_transport = true;
			break;
		case 'e':
			if (strlen(optarg) >= sizeof(o->ifname)) {
				fprintf(stderr, "lac-dial: interface name too long\n");
				exit(2);
			}
			snprintf(o->ifname, sizeof(o->ifname), "%s", optarg);
			o->transport = DIAL_PPPOE;
			have_transport = true;
			break;
		case 'u':
			o->user = optarg;
			break;
		case 'p':
			o->password = optarg;
			break;
		case 'n':
			o->count = (unsigned)parse_num("count", optarg, 1, 1000000);
			break;
		case 'f':
			o->first = (unsigned)parse_num("first", optarg, 1, 1e9);
			break;
		case 'r':
			o->rate = parse_num("rate", optarg, 0, 1e6);
			break;
		case 'H':
			o->hold_ms = (uint64_t)(parse_num("hold", optarg, 0, 1e6) * 1000);
			break;
		case 'P':
			if (inet_pton(AF_INET, optarg, &o->ping_addr) != 1) {
				fprintf(stderr, "lac-dial: bad --ping address %s\n", optarg);
				exit(2);
			}
			o->ping = true;
			break;
		case 'j':
			o->json = true;
			break;
		case 't':
			o->timeout_ms = (uint64_t)(parse_num("timeout", optarg, 0, 1e6) * 1000);
			break;
		case 'x':
			if (strcmp(optarg, "up") == 0)
				o->expect = DIAL_UP;
			else if (strcmp(optarg, "rejected") == 0)
				o->expect = DIAL_REJECTED;
			else if (strcmp(optarg, "timeout") == 0)
				o->expect = DIAL_TIMEOUT;
			else if (strcmp(optarg, "failed") == 0)
				o->expect = DIAL_FAILED;
			else {
				fprintf(stderr, "lac-dial: bad --expect %s\n", optarg);
				exit(2);
			}
			break;
		case 'R':
			o->restart_ms = (unsigned)parse_num("restart", optarg, 10, 60000);
			break;
		case 'v':
			verbose++;
			break;
		case OPT_TRAFFIC:
			if (traffic_parse_steps(optarg, &o->traffic_cfg) < 0) {
				fprintf(stderr, "lac-dial: bad --traffic %s (want PPS[,PPS...], e.g. 20k,50k; at most %d)\n",
					optarg, TRAFFIC_MAX_STEPS);
				exit(2);
			}
			o->traffic = true;
			break;
		case OPT_TRAFFIC_SIZE:
			o->traffic_cfg.size = (size_t)parse_num("traffic-size", optarg, TRAFFIC_MIN_IP_LEN,
								TRAFFIC_MAX_IP_LEN);
			break;
		case OPT_TRAFFIC_S:
			o->traffic_cfg.step_ms = (unsigned)(parse_num("traffic-s", optarg, 0.1, 3600) * 1000);
			break;
		case OPT_TRAFFIC_DST:
			if (inet_pton(AF_INET, optarg, &o->traffic_dst) != 1) {
				fprintf(stderr, "lac-dial: bad --traffic-dst address %s\n", optarg);
				exit(2);
			}
			break;
		case OPT_UDP: {
			char host[64];
			const char *colon = strrchr(optarg, ':');
			memset(&o->udp_to, 0, sizeof(o->udp_to));
			o->udp_to.sin_family = AF_INET;
			if (!colon || (size_t)(colon - optarg) >= sizeof(host) ||
			    (snprintf(host, sizeof(host), "%.*s", (int)(colon - optarg), optarg),
			     inet_pton(AF_INET, host, &o->udp_to.sin_addr) != 1) ||
			    atoi(colon + 1) <= 0 || atoi(colon + 1) > 65535) {
				fprintf(stderr, "lac-dial: bad --udp %s (want ADDR:PORT)\n", optarg);
				exit(2);
			}
			o->udp_to.sin_port = htons((uint16_t)atoi(colon + 1));
			o->transport = DIAL_UDP;
			have_transport = true;
			break;
		}
		case OPT_CPU_PID:
			o->traffic_cfg.cpu_pid = (pid_t)parse_num("cpu-pid", optarg, 1, 1e9);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (o->transport == DIAL_UDP && !o->traffic) {
		fprintf(stderr, "lac-dial: --udp needs --traffic\n");
		exit(2);
	}
	if (!have_transport || optind != argc ||
	    (o->transport != DIAL_UDP && (!o->user || !o->password))) {
		usage(stderr);
		exit(2);
	}
	log_set_level(verbose >= 2 ? LOG_LVL_DEBUG : verbose ? LOG_LVL_INFO : LOG_LVL_WARN);
}

static void raise_nofile(unsigned count)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)count + 64) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int main(int argc, char **argv)
{
	struct dialer dr;
	int rc = 1;
	memset(&dr, 0, sizeof(dr));
	dr.sigfd = -1;
	dr.udp_fd = -1;
	log_set_ident("lac-dial");
	parse_opts(argc, argv, &dr.o);
	signal(SIGPIPE, SIG_IGN);
	raise_nofile(dr.o.count);

	dr.loop = ev_loop_create();
	dr.dials = calloc(dr.o.count, sizeof(*dr.dials));
	if (!dr.loop || !dr.dials) {
		log_error("event=startup_failed reason=out_of_memory");
		goto fail;
	}
	if (dr.o.transport == DIAL_PPPOE) {
		dr.mux = pppoe_client_mux_create(dr.loop, dr.o.ifname);
		if (dr.mux && dr.o.vlan.inner && pppoe_client_mux_set_vlan(dr.mux, &dr.o.vlan) < 0) {
			fprintf(stderr, "lac-dial: cannot use VLAN on %s\n", dr.o.ifname);
			goto fail;
		}
		if (!dr.mux)
			goto fail;
	}
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	dr.sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (dr.sigfd >= 0)
		ev_io_add(dr.loop, dr.sigfd, EV_READ, dialer_signal, &dr);

	dr.t0 = ev_now_ms(dr.loop);
	if (dr.o.transport == DIAL_UDP) {
		if (traffic_udp_start(&dr) < 0 || ev_loop_run(dr.loop) < 0) {
			fprintf(stderr, "lac-dial: --udp: %s\n", strerror(errno));
			goto fail;
		}
		rc = 0;
		goto fail;
	}
	ev_timer_init(&dr.t_launch, dialer_launch, &dr);
	ev_timer_start(dr.loop, &dr.t_launch, 0);
	if (ev_loop_run(dr.loop) < 0) {
		log_error("event=loop_failed errno=%d", errno);
		goto fail;
	}
	/* Sessions never started (interrupted) count as failed. */
	for (unsigned i = dr.started; i < dr.o.count; i++) {
		dr.dials[i].outcome = DIAL_FAILED;
		dr.dials[i].n = dr.o.first + i;
	}
	rc = dialer_summary(&dr) ? 0 : 1;
fail:
	if (dr.dials) {
		for (unsigned i = 0; i < dr.started; i++)
			if (dr.dials[i].stage != STAGE_DONE)
				dial_finish(&dr.dials[i]);
	}
	traffic_run_free(dr.run);
	free(dr.flows);
	if (dr.udp_fd >= 0) {
		ev_io_del(dr.loop, dr.udp_fd);
		close(dr.udp_fd);
	}
	if (dr.mux)
		pppoe_client_mux_destroy(dr.mux);
	if (dr.sigfd >= 0) {
		if (dr.loop)
			ev_io_del(dr.loop, dr.sigfd);
		close(dr.sigfd);
	}
	if (dr.loop)
		ev_loop_destroy(dr.loop);
	free(dr.dials);
	return rc;
}
