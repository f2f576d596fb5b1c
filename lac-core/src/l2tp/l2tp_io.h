/* UDP sockets of the L2TP engine: one non-blocking socket per local address,
 * datagrams read in batches with recvmmsg() and sent in batches with
 * sendmmsg(). Knows nothing of L2TP; engine.c owns the policy. */
#ifndef L2TP_L2TP_IO_H
#define L2TP_L2TP_IO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define L2TP_IO_BATCH 64
#define L2TP_IO_MTU 4096

struct l2tp_io_txq {
	unsigned count;
	size_t len[L2TP_IO_BATCH];
	struct sockaddr_storage to[L2TP_IO_BATCH];
	socklen_t to_len[L2TP_IO_BATCH];
	uint8_t buf[L2TP_IO_BATCH][L2TP_IO_MTU];
};

struct l2tp_io_sock {
	int fd;
	int family;
	struct sockaddr_storage local;
	socklen_t local_len;
	uint64_t tx_dropped;
	uint64_t rx_truncated;  /* datagrams larger than L2TP_IO_MTU, dropped */
	struct l2tp_io_txq *txq;
};

typedef void (*l2tp_io_rx_fn)(void *arg, struct l2tp_io_sock *s, uint8_t *buf, size_t len,
			      const struct sockaddr *from, socklen_t from_len);

/* Parses addr ("" or NULL: IPv4 wildcard; IPv4 or IPv6 literal), binds a
 * non-blocking UDP socket on it at port. Returns 0, or -1 with errno set. */
int l2tp_io_open(struct l2tp_io_sock *s, const char *addr, uint16_t port);
void l2tp_io_close(struct l2tp_io_sock *s);
/* Reads up to `budget` datagrams in batches and hands each to rx. Returns the
 * number read. */
unsigned l2tp_io_recv(struct l2tp_io_sock *s, unsigned budget, l2tp_io_rx_fn rx, void *arg);
/* ICMP errors (port/host/net unreachable) for datagrams we sent, read from
 * the socket's error queue (IP_RECVERR): fn gets the destination the failed
 * datagram was for (address and port, from the quoted headers), the errno it
 * maps to, and the part of our UDP payload the ICMP message quoted (Linux
 * quotes up to 576 bytes in all, RFC 792 only 8 bytes of UDP header: then
 * quoted_len is 0). The kernel matched the quoted source port to this
 * socket; the caller checks the rest is ours. Returns how many were read. */
typedef void (*l2tp_io_err_fn)(void *arg, struct l2tp_io_sock *s, const struct sockaddr *dst,
			       socklen_t dst_len, int err, const uint8_t *quoted, size_t quoted_len);
unsigned l2tp_io_recv_errors(struct l2tp_io_sock *s, l2tp_io_err_fn fn, void *arg);
/* Queues one datagram; flushes first when the queue is full. Returns 0, or -1
 * when len exceeds L2TP_IO_MTU. */
int l2tp_io_queue(struct l2tp_io_sock *s, const uint8_t *buf, size_t len,
		  const struct sockaddr *to, socklen_t to_len);
/* Sends everything queued (sendmmsg); what the kernel refuses is dropped and
 * counted. Returns the number sent. */
unsigned l2tp_io_flush(struct l2tp_io_sock *s);
static inline unsigned l2tp_io_pending(const struct l2tp_io_sock *s) { return s->txq->count; }

/* Parses an IPv4/IPv6 literal with optional port ("1.2.3.4", "1.2.3.4:1701",
 * "::1", "[::1]:1701") into ss. Returns 0 or -1. */
int l2tp_sockaddr_parse(const char *str, uint16_t default_port, struct sockaddr_storage *ss,
			socklen_t *len);
/* "addr:port" / "[addr]:port" into buf, for logs. */
const char *l2tp_sockaddr_str(const struct sockaddr *sa, char *buf, size_t len);

#endif
