/* Packet socket for PPPoE (see pppoe_sock.h). */
#include "access/pppoe_sock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <string.h>
#include <sys/socket.h>
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
#ifdef PACKET_IGNORE_OUTGOING
	int one = 1;
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
