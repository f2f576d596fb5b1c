/* Packet socket for PPPoE (see pppoe_sock.h). */
#include "access/pppoe_sock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "access/pppoe_codec.h"

/* The receive rings of open sockets, found by fd (a process has one or two). */
struct pppoe_ring {
	int fd;                 /* -1: free slot */
	uint8_t *map;
	size_t map_len;
	unsigned frame_size, frames, head;
};
static struct pppoe_ring rings[PPPOE_SOCK_MAX_RINGS];
static bool rings_ready;

static struct pppoe_ring *ring_of(int fd)
{
	if (!rings_ready)
		return NULL;
	for (unsigned i = 0; i < PPPOE_SOCK_MAX_RINGS; i++)
		if (rings[i].fd == fd)
			return &rings[i];
	return NULL;
}

static void ring_forget(struct pppoe_ring *r)
{
	if (r->map)
		munmap(r->map, r->map_len);
	r->map = NULL;
	r->fd = -1;
}

static unsigned iface_mtu(int ifindex)
{
	struct ifreq ifr;
	unsigned mtu = 1500;
	memset(&ifr, 0, sizeof(ifr));
	if (!if_indextoname((unsigned)ifindex, ifr.ifr_name))
		return mtu;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return mtu;
	if (ioctl(s, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu > 0)
		mtu = (unsigned)ifr.ifr_mtu;
	close(s);
	return mtu;
}

/* Sets up a TPACKET_V2 receive ring on fd (before bind, so that no frame can
 * wait in the ordinary queue where the ring reader would not look). Failure
 * is not an error: the socket is then read with recvmsg(). */
static void ring_setup(int fd, int ifindex)
{
	if (!rings_ready) {
		for (unsigned i = 0; i < PPPOE_SOCK_MAX_RINGS; i++)
			rings[i].fd = -1;
		rings_ready = true;
	}
	struct pppoe_ring *r = ring_of(fd);
	if (r)
		ring_forget(r);         /* a closed socket's fd number came back */
	for (unsigned i = 0; i < PPPOE_SOCK_MAX_RINGS && !r; i++)
		if (rings[i].fd < 0)
			r = &rings[i];
	if (!r)
		return;
	/* a frame slot holds the ring header, the sockaddr_ll, alignment and the
	 * frame with an 802.1Q tag */
	unsigned need = iface_mtu(ifindex) + 14 + 4 + 128, fs = 2048;
	while (fs < need)
		fs *= 2;
	unsigned block = fs > (1u << 16) ? fs : (1u << 16);
	int v = TPACKET_V2;
	struct tpacket_req req = {
		.tp_block_size = block,
		.tp_block_nr = PPPOE_SOCK_RING_BYTES / block,
		.tp_frame_size = fs,
		.tp_frame_nr = (PPPOE_SOCK_RING_BYTES / block) * (block / fs),
	};
	if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) < 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) < 0)
		return;
	size_t len = (size_t)req.tp_block_size * req.tp_block_nr;
	void *map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		struct tpacket_req off = { 0 };
		(void)setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &off, sizeof(off));
		return;
	}
	r->fd = fd;
	r->map = map;
	r->map_len = len;
	r->frame_size = fs;
	r->frames = req.tp_frame_nr;
	r->head = 0;
}

void pppoe_sock_close(int fd)
{
	struct pppoe_ring *r = ring_of(fd);
	if (r)
		ring_forget(r);
	close(fd);
}

/* The next frame of the ring into buf: its length, 0 to skip it, or -1 when
 * the ring is empty. A tag the kernel took off into the ring header goes back
 * in front of the EtherType when tags_in_band (pppoe_vsock.c), else the frame
 * is skipped (see pppoe_sock_recv). */
static ssize_t ring_recv(struct pppoe_ring *r, uint8_t *buf, size_t cap, bool tags_in_band)
{
	uint8_t *slot = r->map + (size_t)r->head * r->frame_size;
	struct tpacket2_hdr *h = (struct tpacket2_hdr *)slot;
	uint32_t status = __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE);
	if (!(status & TP_STATUS_USER))
		return -1;
	const struct sockaddr_ll *from =
		(const struct sockaddr_ll *)(slot + TPACKET_ALIGN(sizeof(struct tpacket2_hdr)));
	ssize_t n = (ssize_t)h->tp_snaplen;
	/* the same skips as the recvmsg path (see pppoe_sock.h) */
	if (from->sll_pkttype == PACKET_OUTGOING || h->tp_snaplen != h->tp_len || h->tp_snaplen > cap ||
	    h->tp_mac + h->tp_snaplen > r->frame_size)
		n = 0;
	else if (!(status & TP_STATUS_VLAN_VALID))
		memcpy(buf, slot + h->tp_mac, h->tp_snaplen);
	else if (!tags_in_band || h->tp_snaplen < 12 || h->tp_snaplen + 4 > cap)
		n = 0;
	else {
		const uint8_t *f = slot + h->tp_mac;
		uint16_t tpid = PPPOE_TPID_8021Q;
#ifdef TP_STATUS_VLAN_TPID_VALID
		if (status & TP_STATUS_VLAN_TPID_VALID)
			tpid = h->tp_vlan_tpid;
#endif
		memcpy(buf, f, 12);
		buf[12] = (uint8_t)(tpid >> 8);
		buf[13] = (uint8_t)tpid;
		buf[14] = (uint8_t)(h->tp_vlan_tci >> 8);
		buf[15] = (uint8_t)h->tp_vlan_tci;
		memcpy(buf + 16, f + 12, h->tp_snaplen - 12);
		n += 4;
	}
	__atomic_store_n(&h->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
	r->head = (r->head + 1) % r->frames;
	return n;
}

void pppoe_sock_ring_attach(int fd, int ifindex)
{
	ring_setup(fd, ifindex);
}

int pppoe_sock_kernel_drops(int fd, uint64_t *total)
{
	/* TPACKET_V2 and the ringless socket report the same struct */
	struct tpacket_stats st;
	socklen_t len = sizeof(st);
	if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) < 0)
		return -1;
	*total += st.tp_drops;
	return 0;
}

bool pppoe_sock_has_ring(int fd)
{
	return ring_of(fd) != NULL;
}

ssize_t pppoe_sock_ring_recv(int fd, uint8_t *buf, size_t cap)
{
	struct pppoe_ring *r = ring_of(fd);
	ssize_t n = r ? ring_recv(r, buf, cap, true) : -1;

	if (n < 0)
		errno = EAGAIN;
	return n;
}

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
	ring_setup(fd, ifindex);
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
	pppoe_sock_close(fd);
	errno = saved;
	return -1;
}

ssize_t pppoe_sock_recv(int fd, uint8_t *buf, size_t cap)
{
	struct pppoe_ring *r = ring_of(fd);
	if (r) {
		/* With a ring the kernel queues nothing elsewhere (a full ring
		 * drops; we set no PACKET_COPY_THRESH): an empty ring is EAGAIN,
		 * without a recvmsg() to learn it (one per wake-up before). */
		ssize_t n = ring_recv(r, buf, cap, false);
		if (n < 0)
			errno = EAGAIN;
		return n;
	}
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
