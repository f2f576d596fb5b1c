/* What the kernel dropped at a socket because its receive buffer was full:
 * datagrams lost before any code of ours saw them, which no parser can
 * count. For counters, read when they are shown (one system call).
 * Not for a packet socket with a receive ring: the kernel counts a full
 * ring's drops only in PACKET_STATISTICS, never in the socket's sk_drops
 * (10,000 frames at a stopped reader here: 5,904 in PACKET_STATISTICS, 0 in
 * SO_MEMINFO), hence pppoe_sock_kernel_drops() there. */
#ifndef UTIL_SOCK_DROPS_H
#define UTIL_SOCK_DROPS_H

#include <stdint.h>

/* Adds the drops the kernel counted at fd since it was opened
 * (SO_MEMINFO's SK_MEMINFO_DROPS, cumulative) to *total. 0, or -1 with
 * errno set (the counter is left as it was). */
int sock_rx_drops(int fd, uint64_t *total);

#endif
