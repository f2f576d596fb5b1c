/* What the kernel dropped at a socket because its receive buffer was full:
 * datagrams lost before any code of ours saw them, which no parser can
 * count. For counters, read when they are shown (one system call). */
#ifndef UTIL_SOCK_DROPS_H
#define UTIL_SOCK_DROPS_H

#include <stdint.h>

/* Adds the drops the kernel counted at fd since it was opened
 * (SO_MEMINFO's SK_MEMINFO_DROPS, cumulative) to *total. 0, or -1 with
 * errno set (the counter is left as it was). */
int sock_rx_drops(int fd, uint64_t *total);

#endif
