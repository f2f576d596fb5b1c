/* Helpers the UDP test tools share (udp_relay, udp_delay): an IPv4
 * ADDR:PORT parser, a non-blocking socket with 16 MiB buffers, so that a
 * burst measured by a benchmark is not dropped by the tool's own socket, and
 * a recvmmsg batch. */
#ifndef TESTS_TOOLS_UDP_TOOL_H
#define TESTS_TOOLS_UDP_TOOL_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* "A.B.C.D:PORT" into *sin. 0, or -1 when it is not one. */
static inline int udp_tool_parse(const char *s, struct sockaddr_in *sin)
{
	char host[64];
	const char *c = strrchr(s, ':');
	if (!c || (size_t)(c - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(c - s));
	host[c - s] = '\0';
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)atoi(c + 1));
	return inet_pton(AF_INET, host, &sin->sin_addr) == 1 ? 0 : -1;
}

/* A non-blocking UDP socket with 16 MiB buffers (forced: the tools run as
 * root), bound to *bind_to when given. The descriptor, or -1. */
static inline int udp_tool_socket(const struct sockaddr_in *bind_to)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int big = 16 << 20;
	if (fd < 0)
		return -1;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	if (bind_to && bind(fd, (const struct sockaddr *)bind_to, sizeof(*bind_to)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

#define UDP_TOOL_BATCH 64
#define UDP_TOOL_PKT_MAX 2048

/* A receive batch: datagram i is bufs[i], msgs[i].msg_len octets long,
 * from froms[i]. */
struct udp_tool_batch {
	uint8_t bufs[UDP_TOOL_BATCH][UDP_TOOL_PKT_MAX];
	struct iovec iov[UDP_TOOL_BATCH];
	struct mmsghdr msgs[UDP_TOOL_BATCH];
	struct sockaddr_in froms[UDP_TOOL_BATCH];
};

/* Reads up to UDP_TOOL_BATCH datagrams from fd without blocking into b
 * (recvmmsg). How many, or <= 0 when none was waiting. */
static inline int udp_tool_recv(int fd, struct udp_tool_batch *b)
{
	for (int i = 0; i < UDP_TOOL_BATCH; i++) {
		b->iov[i].iov_base = b->bufs[i];
		b->iov[i].iov_len = UDP_TOOL_PKT_MAX;
		memset(&b->msgs[i].msg_hdr, 0, sizeof(b->msgs[i].msg_hdr));
		b->msgs[i].msg_hdr.msg_iov = &b->iov[i];
		b->msgs[i].msg_hdr.msg_iovlen = 1;
		b->msgs[i].msg_hdr.msg_name = &b->froms[i];
		b->msgs[i].msg_hdr.msg_namelen = sizeof(b->froms[i]);
	}
	return recvmmsg(fd, b->msgs, UDP_TOOL_BATCH, MSG_DONTWAIT, NULL);
}

#endif
