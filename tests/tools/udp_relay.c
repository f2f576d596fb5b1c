/* udp_relay: the raw UDP relay a data-plane benchmark compares lac-core with
 * (issue 12, make bench-relay). The least a
 * userspace relay does per packet: datagrams from the access side, read in
 * batches of up to 64 with recvmmsg(), are sent to --to with sendmmsg(); what
 * comes back from --to goes to the access peer it last heard from. No parsing,
 * no allocation, one epoll loop.
 *
 *   udp_relay --listen ADDR:PORT --to ADDR:PORT [--bind ADDR]
 *   udp_relay --reflect ADDR:PORT
 *
 * --listen: the access-side socket; --to: the far end (an LNS, a reflector);
 * --bind: local address of the far-side socket (default any). --reflect: the
 * far end of the bench instead, every datagram sent back to its sender (the
 * same batches). At SIGINT or
 * SIGTERM one line "stats up_pkts=.. down_pkts=.. up_batches=.. down_batches=..
 * send_errors=.." goes to stdout and it exits. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "udp_tool.h"

#define BATCH UDP_TOOL_BATCH
#define PKT_MAX UDP_TOOL_PKT_MAX

static struct udp_tool_batch rxb;
static unsigned long long up_pkts, down_pkts, up_batches, down_batches, send_errors;

/* Reads what is queued on `from` (batches until EAGAIN or 16 batches) and
 * sends each datagram on `out`: to *to, or, with to == NULL (--reflect),
 * back to where it came from. last_peer: set to the last sender. */
static void relay(int from, int out, const struct sockaddr_in *to, struct sockaddr_in *last_peer,
		  unsigned long long *pkts, unsigned long long *batches)
{
	struct iovec *iov = rxb.iov;
	struct mmsghdr *msgs = rxb.msgs;
	for (int round = 0; round < 16; round++) {
		int n = udp_tool_recv(from, &rxb);
		if (n <= 0)
			return;
		if (last_peer)
			*last_peer = rxb.froms[n - 1];
		for (int i = 0; i < n; i++) {
			iov[i].iov_len = msgs[i].msg_len;
			if (to) {
				msgs[i].msg_hdr.msg_name = (void *)to;
				msgs[i].msg_hdr.msg_namelen = sizeof(*to);
			}
		}
		int sent = 0;
		while (sent < n) {
			int k = sendmmsg(out, msgs + sent, (unsigned)(n - sent), 0);
			if (k < 0) {
				if (errno == EINTR)
					continue;
				send_errors += (unsigned long long)(n - sent);
				break;
			}
			sent += k;
		}
		*pkts += (unsigned long long)n;
		(*batches)++;
		if (n < BATCH)
			return;
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "to", required_argument, NULL, 't' },
		{ "bind", required_argument, NULL, 'b' },
		{ "reflect", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	struct sockaddr_in listen_sa, to_sa, bind_sa = { .sin_family = AF_INET }, peer = { 0 };
	int have_l = 0, have_t = 0, have_r = 0, c;
	while ((c = getopt_long(argc, argv, "l:t:b:r:", opts, NULL)) != -1) {
		switch (c) {
		case 'r': have_r = udp_tool_parse(optarg, &listen_sa) == 0; break;
		case 'l': have_l = udp_tool_parse(optarg, &listen_sa) == 0; break;
		case 't': have_t = udp_tool_parse(optarg, &to_sa) == 0; break;
		case 'b':
			if (inet_pton(AF_INET, optarg, &bind_sa.sin_addr) != 1)
				have_t = 0;
			break;
		default: have_l = 0;
		}
	}
	if ((!have_l || !have_t) && !have_r) {
		fprintf(stderr, "usage: udp_relay --listen ADDR:PORT --to ADDR:PORT [--bind ADDR]\n"
				"       udp_relay --reflect ADDR:PORT\n");
		return 2;
	}
	int a = udp_tool_socket(&listen_sa), f = have_r ? a : udp_tool_socket(&bind_sa);
	if (a < 0 || f < 0) {
		perror("udp_relay: socket");
		return 1;
	}
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN };
	ev.data.fd = a;
	epoll_ctl(ep, EPOLL_CTL_ADD, a, &ev);
	ev.data.fd = f;
	if (f != a)
		epoll_ctl(ep, EPOLL_CTL_ADD, f, &ev);
	ev.data.fd = sfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
	for (;;) {
		struct epoll_event evs[4];
		int n = epoll_wait(ep, evs, 4, -1);
		if (n < 0 && errno == EINTR)
			continue;
		for (int i = 0; i < n; i++) {
			if (evs[i].data.fd == sfd)
				goto out;
			if (have_r)
				relay(a, a, NULL, NULL, &up_pkts, &up_batches);
			else if (evs[i].data.fd == a)
				relay(a, f, &to_sa, &peer, &up_pkts, &up_batches);
			else if (peer.sin_family == AF_INET)
				relay(f, a, &peer, NULL, &down_pkts, &down_batches);
			else
				while (recv(f, rxb.bufs[0], PKT_MAX, MSG_DONTWAIT) >= 0)
					send_errors++;  /* no access peer yet: dropped */
		}
	}
out:
	printf("stats up_pkts=%llu down_pkts=%llu up_batches=%llu down_batches=%llu send_errors=%llu\n", up_pkts,
	       down_pkts, up_batches, down_batches, send_errors);
	return 0;
}
