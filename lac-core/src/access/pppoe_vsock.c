/* Packet socket for PPPoE on VLANs (see pppoe_vsock.h). */
#include "access/pppoe_vsock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "access/pppoe_codec.h"
#include "access/pppoe_sock.h"
#include "util/be.h"

#define J(k, t, f) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (t), (f))

int pppoe_vsock_open(int ifindex, bool promisc)
{
	/* EtherType at 12; after one tag at 16; after two at 20. Offloaded tags
	 * are not in the data the filter sees, so an untagged-looking frame may
	 * well have been tagged: userspace sorts that out with the auxdata. */
	static struct sock_filter code[] = {
		/* 0 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
		/* 1 */ J(PPPOE_ETHERTYPE_DISCOVERY, 11, 0),
		/* 2 */ J(PPPOE_ETHERTYPE_SESSION, 10, 0),
		/* 3 */ J(PPPOE_TPID_8021Q, 2, 0),
		/* 4 */ J(PPPOE_TPID_8021AD, 1, 0),
		/* 5 */ J(PPPOE_TPID_QINQ_OLD, 0, 8),
		/* 6 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 16),
		/* 7 */ J(PPPOE_ETHERTYPE_DISCOVERY, 5, 0),
		/* 8 */ J(PPPOE_ETHERTYPE_SESSION, 4, 0),
		/* 9 */ J(PPPOE_TPID_8021Q, 0, 4),
		/* 10 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 20),
		/* 11 */ J(PPPOE_ETHERTYPE_DISCOVERY, 1, 0),
		/* 12 */ J(PPPOE_ETHERTYPE_SESSION, 0, 1),
		/* 13 */ BPF_STMT(BPF_RET | BPF_K, 0xffff),
		/* 14 */ BPF_STMT(BPF_RET | BPF_K, 0),
	};
	static const struct sock_fprog prog = { sizeof(code) / sizeof(code[0]), code };
	int saved, one = 1;

	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0)
		goto fail;
	/* The receive ring of pppoe_sock.h: no system call per frame, some 4096
	 * frames of room (the socket buffer below held about 450 full-size ones,
	 * and lost frames at 60,000/s in make bench-relay). */
	pppoe_sock_ring_attach(fd, ifindex);
	struct sockaddr_ll sll;
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		goto fail;
	if (promisc) {
		struct packet_mreq mr;
		memset(&mr, 0, sizeof(mr));
		mr.mr_ifindex = ifindex;
		mr.mr_type = PACKET_MR_PROMISC;
		if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0)
			goto fail;
	}
	if (setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)) < 0)
		goto fail;
#ifdef PACKET_IGNORE_OUTGOING
	(void)setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
#endif
	int rcvbuf = 1 << 20;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	return fd;
fail:
	saved = errno;
	pppoe_sock_close(fd);
	errno = saved;
	return -1;
}

ssize_t pppoe_vsock_recv(int fd, uint8_t *buf, size_t cap)
{
	struct sockaddr_ll from;
	union {
		struct cmsghdr align;
		uint8_t space[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
	} control;
	if (cap < 4 + PPPOE_ETH_HLEN)
		return 0;
	ssize_t r = pppoe_sock_ring_recv(fd, buf, cap);
	if (r >= 0 || pppoe_sock_has_ring(fd))
		return r;       /* a frame, or the ring is empty (EAGAIN) */
	/* no ring: what the ordinary queue holds, if anything */
	/* Read 4 octets in, so an offloaded tag can go back in front. */
	struct iovec iov = { .iov_base = buf + 4, .iov_len = cap - 4 };
	struct msghdr msg = {
		.msg_name = &from, .msg_namelen = sizeof(from),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = &control, .msg_controllen = sizeof(control),
	};

	ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0)
		return -1;
	if (from.sll_pkttype == PACKET_OUTGOING || (size_t)n > cap - 4 || (msg.msg_flags & MSG_TRUNC))
		return 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA ||
		    c->cmsg_len < CMSG_LEN(sizeof(struct tpacket_auxdata)))
			continue;
		struct tpacket_auxdata aux;
		memcpy(&aux, CMSG_DATA(c), sizeof(aux));
		if (!(aux.tp_status & TP_STATUS_VLAN_VALID) || n < 12)
			continue;
		uint16_t tpid = PPPOE_TPID_8021Q;
#ifdef TP_STATUS_VLAN_TPID_VALID
		if (aux.tp_status & TP_STATUS_VLAN_TPID_VALID)
			tpid = aux.tp_vlan_tpid;
#endif
		memmove(buf, buf + 4, 12);
		be16_put(buf + 12, tpid);
		be16_put(buf + 14, aux.tp_vlan_tci);
		return n + 4;
	}
	memmove(buf, buf + 4, (size_t)n);
	return n;
}
