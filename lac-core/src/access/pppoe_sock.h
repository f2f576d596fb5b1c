/* The AF_PACKET socket the PPPoE server and client share: both EtherTypes
 * (0x8863 discovery, 0x8864 session) on one socket, so frames are read in the
 * order they arrived. With one socket per EtherType, a session frame sent
 * right after a PADS (or a PADT sent right after a last session frame) can be
 * read before it and dropped as belonging to no session. */
#ifndef ACCESS_PPPOE_SOCK_H
#define ACCESS_PPPOE_SOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Opens a non-blocking, close-on-exec packet socket on interface ifindex that
 * receives only PPPoE frames (a classic BPF filter on the EtherType) and does
 * not see its own transmissions where the kernel allows (PACKET_IGNORE_OUTGOING;
 * readers still skip PACKET_OUTGOING). promisc: also receive unicast frames
 * for other MACs (the client's simulated subscribers). Frames are read and
 * written with their Ethernet header. Returns the fd, or -1 with errno set. */
int pppoe_sock_open(int ifindex, bool promisc);

/* Frames are taken from a PACKET_RX_RING (TPACKET_V2) of PPPOE_SOCK_RING_BYTES
 * mapped into the process, so reading a burst costs no system call per frame
 * and the kernel can queue about 4096 frames (a 1 MiB socket buffer held some
 * 450) before it drops; epoll reports the socket readable while frames wait
 * in the ring. Without a ring (setup refused) the socket is read with
 * recvmsg(). At most PPPOE_SOCK_MAX_RINGS sockets have a ring at a time. */
#define PPPOE_SOCK_RING_BYTES (8u << 20)
#define PPPOE_SOCK_MAX_RINGS 8

/* For pppoe_vsock.c: the same receive ring on a packet socket it opened
 * (call before bind), and its next frame with any tag the kernel took off put
 * back in band (see pppoe_vsock_recv). ring_recv: length, 0 to skip, or -1
 * with errno EAGAIN when the ring is empty or the socket has none. Such a
 * socket is closed with pppoe_sock_close(). */
void pppoe_sock_ring_attach(int fd, int ifindex);
ssize_t pppoe_sock_ring_recv(int fd, uint8_t *buf, size_t cap);
/* Whether fd reads from a ring (then nothing waits in its ordinary queue). */
bool pppoe_sock_has_ring(int fd);

/* Frames the kernel dropped at fd since the last call (its ring or queue was
 * full: PACKET_STATISTICS, which the kernel zeroes on each read), added to
 * *total. 0, or -1 with errno set. A system call: for counters when they are
 * read, not per frame. */
int pppoe_sock_kernel_drops(int fd, uint64_t *total);

/* Closes a socket of pppoe_sock_open() and unmaps its ring. */
void pppoe_sock_close(int fd);

/* Reads one frame from a socket of pppoe_sock_open() into buf. Returns its
 * length, 0 for a frame to skip, or -1 with errno set (EAGAIN when none is
 * left). Skipped: our own transmissions (PACKET_OUTGOING), frames longer than
 * cap, and frames that arrived with an 802.1Q tag: the kernel hands those to
 * the parent interface's sockets untagged, but they belong to the VLAN
 * interface (run a server on eth0.100 to serve VLAN 100), and an untagged
 * answer would never reach the subscriber. */
ssize_t pppoe_sock_recv(int fd, uint8_t *buf, size_t cap);

#endif
