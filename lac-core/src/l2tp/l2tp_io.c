/* Batched UDP I/O for the L2TP engine. */
#include "l2tp/l2tp_io.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int l2tp_sockaddr_parse(const char *str, uint16_t default_port, struct sockaddr_storage *ss,
			socklen_t *len)
{
	char host[128];
	const char *port_s = NULL;
	unsigned long port = default_port;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	size_t n;
	char *end;

	memset(ss, 0, sizeof(*ss));
	if (!str || !*str)
		str = "0.0.0.0";
	if (str[0] == '[') {
		const char *rb = strchr(str, ']');

		if (!rb || (size_t)(rb - str - 1) >= sizeof(host))
			return -1;
		n = (size_t)(rb - str - 1);
		memcpy(host, str + 1, n);
		host[n] = 0;
		if (rb[1] == ':')
			port_s = rb + 2;
		else if (rb[1])
			return -1;
	} else {
		const char *colon = strchr(str, ':');

		if (colon && strchr(colon + 1, ':'))
			colon = NULL;   /* a bare IPv6 literal */
		n = colon ? (size_t)(colon - str) : strlen(str);
		if (n >= sizeof(host))
			return -1;
		memcpy(host, str, n);
		host[n] = 0;
		if (colon)
			port_s = colon + 1;
	}
	if (port_s) {
		errno = 0;
		port = strtoul(port_s, &end, 10);
		if (errno || *end || port == 0 || port > 65535)
			return -1;
	}
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*sin6);
		return 0;
	}
	return -1;
}

const char *l2tp_sockaddr_str(const struct sockaddr *sa, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(sin->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(sin6->sin6_port));
	} else {
		snprintf(buf, len, "?");
	}
	return buf;
}

int l2tp_io_open(struct l2tp_io_sock *s, const char *addr, uint16_t port)
{
	int one = 1, buf = 4 << 20;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	if (l2tp_sockaddr_parse(addr, port, &s->local, &s->local_len) < 0) {
		errno = EINVAL;
		return -1;
	}
	s->family = s->local.ss_family;
	s->txq = calloc(1, sizeof(*s->txq));
	if (!s->txq)
		return -1;
	s->fd = socket(s->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		goto fail;
	setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* Bursts of sessions: a larger buffer rides them out (best effort). */
	setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	setsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	if (s->family == AF_INET6)
		setsockopt(s->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	/* ICMP unreachable for an LNS we call: learn it now rather than after a
	 * whole retransmission cycle (the error queue, see l2tp_io_recv_errors). */
	if (s->family == AF_INET)
		setsockopt(s->fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one));
	else
		setsockopt(s->fd, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof(one));
	if (bind(s->fd, (struct sockaddr *)&s->local, s->local_len) < 0)
		goto fail;
	return 0;
fail:
	{
		int saved = errno;

		l2tp_io_close(s);
		errno = saved;
	}
	return -1;
}

void l2tp_io_close(struct l2tp_io_sock *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	free(s->txq);
	s->txq = NULL;
}

unsigned l2tp_io_recv(struct l2tp_io_sock *s, unsigned budget, l2tp_io_rx_fn rx, void *arg)
{
	static uint8_t bufs[L2TP_IO_BATCH][L2TP_IO_MTU];
	struct mmsghdr msgs[L2TP_IO_BATCH];
	struct sockaddr_storage from[L2TP_IO_BATCH];
	struct iovec iov[L2TP_IO_BATCH];
	unsigned total = 0, i;
	bool retried = false;
	int n;

	while (total < budget) {
		unsigned want = budget - total < L2TP_IO_BATCH ? budget - total : L2TP_IO_BATCH;

		memset(msgs, 0, sizeof(msgs[0]) * want);
		for (i = 0; i < want; i++) {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = sizeof(bufs[i]);
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_name = &from[i];
			msgs[i].msg_hdr.msg_namelen = sizeof(from[i]);
		}
		n = recvmmsg(s->fd, msgs, want, MSG_DONTWAIT, NULL);
		/* With IP_RECVERR a pending ICMP error is reported once by the next
		 * call instead of data: that one call is retried. */
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && !retried) {
			retried = true;
			continue;
		}
		if (n <= 0)
			break;
		for (i = 0; i < (unsigned)n; i++) {
			if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
				s->rx_truncated++;      /* larger than any L2TP message we take */
				continue;
			}
			rx(arg, s, bufs[i], msgs[i].msg_len, (struct sockaddr *)&from[i],
			   msgs[i].msg_hdr.msg_namelen);
		}
		total += (unsigned)n;
		if ((unsigned)n < want)
			break;
	}
	return total;
}

int l2tp_io_queue(struct l2tp_io_sock *s, const uint8_t *buf, size_t len,
		  const struct sockaddr *to, socklen_t to_len)
{
	struct l2tp_io_txq *q = s->txq;

	if (len > L2TP_IO_MTU || to_len > sizeof(q->to[0]))
		return -1;
	if (q->count == L2TP_IO_BATCH)
		l2tp_io_flush(s);
	memcpy(q->buf[q->count], buf, len);
	q->len[q->count] = len;
	memcpy(&q->to[q->count], to, to_len);
	q->to_len[q->count] = to_len;
	q->count++;
	return 0;
}

unsigned l2tp_io_flush(struct l2tp_io_sock *s)
{
	struct l2tp_io_txq *q = s->txq;
	struct mmsghdr msgs[L2TP_IO_BATCH];
	struct iovec iov[L2TP_IO_BATCH];
	unsigned i, done = 0;
	bool retried = false;
	int n;

	if (!q || q->count == 0)
		return 0;
	memset(msgs, 0, sizeof(msgs[0]) * q->count);
	for (i = 0; i < q->count; i++) {
		iov[i].iov_base = q->buf[i];
		iov[i].iov_len = q->len[i];
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &q->to[i];
		msgs[i].msg_hdr.msg_namelen = q->to_len[i];
	}
	while (done < q->count) {
		n = sendmmsg(s->fd, msgs + done, q->count - done, MSG_DONTWAIT);
		if (n > 0) {
			done += (unsigned)n;
			retried = false;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		/* A pending ICMP error (IP_RECVERR) fails one send that has nothing
		 * to do with it: send that datagram once more. */
		if (n < 0 && !retried && (errno == ECONNREFUSED || errno == EHOSTUNREACH ||
					  errno == ENETUNREACH || errno == EHOSTDOWN)) {
			retried = true;
			continue;
		}
		retried = false;
		/* EAGAIN or a per-destination error (unreachable): drop that datagram
		 * as a lossy link would; L2TP retransmits what matters. */
		s->tx_dropped++;
		done++;
	}
	q->count = 0;
	return done;
}

unsigned l2tp_io_recv_errors(struct l2tp_io_sock *s, l2tp_io_err_fn fn, void *arg)
{
	unsigned count = 0;

	for (;;) {
		uint8_t data[512], ctl[512];
		struct sockaddr_storage dst;
		struct iovec iov = { data, sizeof(data) };
		struct msghdr mh = { .msg_name = &dst, .msg_namelen = sizeof(dst), .msg_iov = &iov,
				     .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl) };
		struct cmsghdr *c;

		ssize_t got = recvmsg(s->fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT);

		if (got < 0)
			break;
		count++;
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			const struct sock_extended_err *ee;

			if (!((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
			      (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR)))
				continue;
			ee = (const struct sock_extended_err *)CMSG_DATA(c);
			if (ee->ee_errno == ECONNREFUSED || ee->ee_errno == EHOSTUNREACH ||
			    ee->ee_errno == ENETUNREACH || ee->ee_errno == EHOSTDOWN)
				fn(arg, s, (const struct sockaddr *)&dst, mh.msg_namelen, (int)ee->ee_errno,
				   data, (size_t)got);
		}
	}
	return count;
}
