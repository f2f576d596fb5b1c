/* Packet socket for PPPoE (see pppoe_sock.h). */
#include "access/pppoe_sock.h"

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

int pppoe_sock_open(int ifindex, bool promisc)
{
	static struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),                         /* EtherType */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PPPOE_ETHERTYPE_DISCOVERY, 1, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PPPOE_ETHERTYPE_SESSION, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0xffff),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	static const struct sock_fprog prog = { sizeof(code) / sizeof(code[0]), code };
	int saved;

	/* Protocol 0 until bind: nothing is queued before the filter is on and
	 * the socket is tied to the interface. */
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0)
		goto fail;
	struct sockaddr_ll sll;
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		goto fail;
	if (promisc) {
		/* Dropped by the kernel when fd closes. */
		struct packet_mreq mr;
		memset(&mr, 0, sizeof(mr));
		mr.mr_ifindex = ifindex;
		mr.mr_type = PACKET_MR_PROMISC;
		if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0)
			goto fail;
	}
	int one = 1;
	/* For the VLAN tag check in pppoe_sock_recv(). */
	if (setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)) < 0)
		goto fail;
#ifdef PACKET_IGNORE_OUTGOING
	(void)setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
#endif
	/* Bursts of PADIs or session traffic outrun one loop iteration. */
	int rcvbuf = 1 << 20;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

ssize_t pppoe_sock_recv(int fd, uint8_t *buf, size_t cap)
{
	struct sockaddr_ll from;
	union {
		struct cmsghdr align;
		uint8_t space[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
	} control;
	struct iovec iov = { .iov_base = buf, .iov_len = cap };
	struct msghdr msg = {
		.msg_name = &from, .msg_namelen = sizeof(from),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = &control, .msg_controllen = sizeof(control),
	};

	ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0)
		return -1;
	if (from.sll_pkttype == PACKET_OUTGOING || (size_t)n > cap || (msg.msg_flags & MSG_TRUNC))
		return 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA ||
		    c->cmsg_len < CMSG_LEN(sizeof(struct tpacket_auxdata)))
			continue;
		struct tpacket_auxdata aux;
		memcpy(&aux, CMSG_DATA(c), sizeof(aux));
		if (aux.tp_status & TP_STATUS_VLAN_VALID)
			return 0;
	}
	return n;
}
