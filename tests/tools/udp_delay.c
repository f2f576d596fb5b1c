/* udp_delay: a UDP relay that holds every datagram for a fixed time in each
 * direction, the wide-area path between a LAC and its LNS for make bench-lac
 * (this kernel has no netem). Datagrams from the access side go to --to after
 * --delay-ms; what comes back from --to goes, --delay-ms later, to the access
 * peer it last heard from (lac-core sends all its tunnels from one socket).
 * The delay is the same for every datagram, so each direction is a FIFO:
 * datagrams leave in the order they came, read and sent in batches
 * (recvmmsg/sendmmsg), at the time a timerfd (absolute, CLOCK_MONOTONIC) says.
 * Nothing is dropped on purpose; a full queue drops and counts.
 *
 *   udp_delay --listen ADDR:PORT --to ADDR:PORT --delay-ms MS [--bind ADDR]
 *             [--queue N]
 *
 * --bind: local address of the far-side socket (default any); --queue: the
 * most datagrams held per direction (default 16384). At SIGINT or SIGTERM one
 * line "stats up_pkts=.. down_pkts=.. dropped=.. max_held=.." goes to stdout
 * and it exits. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "udp_tool.h"

#define BATCH UDP_TOOL_BATCH
#define PKT_MAX UDP_TOOL_PKT_MAX

struct held {
	uint64_t due_ns;
	struct sockaddr_in to;
	uint16_t len;
	uint8_t data[PKT_MAX];
};

/* One direction: a ring of held datagrams, oldest at head. */
struct fifo {
	struct held *slots;
	size_t cap, head, count;
	unsigned long long pkts, dropped;
	size_t max_held;
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Reads what is queued on fd into q, each datagram due at now + delay and
 * addressed to *to (read when it arrives). last_peer, when not NULL, is set
 * to each sender: the access side, where replies go. */
static void take_in(int fd, struct fifo *q, uint64_t delay_ns, const struct sockaddr_in *to,
		    struct sockaddr_in *last_peer)
{
	static struct udp_tool_batch b;
	for (int round = 0; round < 16; round++) {
		int n = udp_tool_recv(fd, &b);
		if (n <= 0)
			return;
		uint64_t due = now_ns() + delay_ns;
		for (int i = 0; i < n; i++) {
			if (last_peer)
				*last_peer = b.froms[i];
			if (q->count == q->cap) {
				q->dropped++;
				continue;
			}
			struct held *h = &q->slots[(q->head + q->count) % q->cap];
			h->due_ns = due;
			h->to = *to;
			h->len = (uint16_t)(b.msgs[i].msg_len > PKT_MAX ? PKT_MAX : b.msgs[i].msg_len);
			memcpy(h->data, b.bufs[i], h->len);
			q->count++;
			if (q->count > q->max_held)
				q->max_held = q->count;
		}
		if (n < BATCH)
			return;
	}
}

/* Sends every datagram of q that is due, oldest first, in batches. A send
 * the socket refuses drops that datagram (counted): the far end's queue is
 * full, as a router's would be. */
static void send_due(int fd, struct fifo *q, uint64_t now)
{
	struct iovec iov[BATCH];
	struct mmsghdr msgs[BATCH];
	while (q->count > 0 && q->slots[q->head].due_ns <= now) {
		int n = 0;
		while (n < BATCH && (size_t)n < q->count) {
			struct held *h = &q->slots[(q->head + (size_t)n) % q->cap];
			if (h->due_ns > now)
				break;
			iov[n].iov_base = h->data;
			iov[n].iov_len = h->len;
			memset(&msgs[n].msg_hdr, 0, sizeof(msgs[n].msg_hdr));
			msgs[n].msg_hdr.msg_iov = &iov[n];
			msgs[n].msg_hdr.msg_iovlen = 1;
			msgs[n].msg_hdr.msg_name = &h->to;
			msgs[n].msg_hdr.msg_namelen = sizeof(h->to);
			n++;
		}
		int sent = 0;
		while (sent < n) {
			int k = sendmmsg(fd, msgs + sent, (unsigned)(n - sent), 0);
			if (k < 0) {
				if (errno == EINTR)
					continue;
				q->dropped++;   /* the first unsent one; try the rest */
				k = 1;
			}
			sent += k;
		}
		q->pkts += (unsigned long long)n;
		q->head = (q->head + (size_t)n) % q->cap;
		q->count -= (size_t)n;
	}
}

/* Arms tfd for the earliest datagram held in either direction (disarms when
 * none is). */
static void arm(int tfd, const struct fifo *up, const struct fifo *down)
{
	uint64_t due = 0;
	if (up->count)
		due = up->slots[up->head].due_ns;
	if (down->count && (!due || down->slots[down->head].due_ns < due))
		due = down->slots[down->head].due_ns;
	struct itimerspec its = { 0 };
	if (due) {
		its.it_value.tv_sec = (time_t)(due / 1000000000u);
		its.it_value.tv_nsec = (long)(due % 1000000000u);
	}
	(void)timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "to", required_argument, NULL, 't' },
		{ "bind", required_argument, NULL, 'b' },
		{ "delay-ms", required_argument, NULL, 'd' },
		{ "queue", required_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	struct sockaddr_in listen_sa, to_sa, bind_sa = { .sin_family = AF_INET }, peer = { 0 };
	int have_l = 0, have_t = 0, have_d = 0, ok = 1, c;
	long delay_ms = 0, queue = 16384;
	char *end;
	while ((c = getopt_long(argc, argv, "l:t:b:d:q:", opts, NULL)) != -1) {
		switch (c) {
		case 'l': have_l = udp_tool_parse(optarg, &listen_sa) == 0; break;
		case 't': have_t = udp_tool_parse(optarg, &to_sa) == 0; break;
		case 'b': ok &= inet_pton(AF_INET, optarg, &bind_sa.sin_addr) == 1; break;
		case 'd':
			delay_ms = strtol(optarg, &end, 10);
			have_d = *optarg && !*end && delay_ms >= 0 && delay_ms <= 10000;
			break;
		case 'q':
			queue = strtol(optarg, &end, 10);
			ok &= *optarg && !*end && queue >= 1 && queue <= 1 << 20;
			break;
		default: ok = 0;
		}
	}
	if (!have_l || !have_t || !have_d || !ok) {
		fprintf(stderr, "usage: udp_delay --listen ADDR:PORT --to ADDR:PORT --delay-ms MS (0-10000)"
				" [--bind ADDR] [--queue N]\n");
		return 2;
	}
	struct fifo up = { .cap = (size_t)queue }, down = { .cap = (size_t)queue };
	up.slots = calloc(up.cap, sizeof(*up.slots));
	down.slots = calloc(down.cap, sizeof(*down.slots));
	int a = udp_tool_socket(&listen_sa), f = udp_tool_socket(&bind_sa);
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (!up.slots || !down.slots || a < 0 || f < 0 || tfd < 0) {
		perror("udp_delay: set-up");
		return 1;
	}
	uint64_t delay_ns = (uint64_t)delay_ms * 1000000u;
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int fds[] = { a, f, tfd, sfd };
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = fds[i] };
		epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
	}
	for (;;) {
		struct epoll_event evs[4];
		int n = epoll_wait(ep, evs, 4, -1);
		if (n < 0 && errno == EINTR)
			continue;
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == sfd)
				goto out;
			if (fd == a) {
				take_in(a, &up, delay_ns, &to_sa, &peer);
			} else if (fd == f) {
				if (peer.sin_family == AF_INET) {
					take_in(f, &down, delay_ns, &peer, NULL);
				} else {
					uint8_t junk[PKT_MAX];
					while (recv(f, junk, sizeof(junk), MSG_DONTWAIT) >= 0)
						down.dropped++;  /* no access peer yet */
				}
			} else if (fd == tfd) {
				uint64_t expiries;
				(void)!read(tfd, &expiries, sizeof(expiries));
			}
		}
		uint64_t now = now_ns();
		send_due(f, &up, now);
		send_due(a, &down, now);
		arm(tfd, &up, &down);
	}
out:
	printf("stats up_pkts=%llu down_pkts=%llu dropped=%llu max_held=%zu\n", up.pkts, down.pkts,
	       up.dropped + down.dropped, up.max_held > down.max_held ? up.max_held : down.max_held);
	return 0;
}
