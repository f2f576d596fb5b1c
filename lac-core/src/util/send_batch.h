/* One sendmmsg() batch of buffers on a connected or bound socket (PPPoE
 * packet sockets, lac-dial's UDP): what several senders of frames queued
 * during one loop iteration share. */
#ifndef UTIL_SEND_BATCH_H
#define UTIL_SEND_BATCH_H

#include <stddef.h>
#include <sys/uio.h>

#define SEND_BATCH_MAX 64

/* Sends iov[0..n-1] (n <= SEND_BATCH_MAX), one datagram or frame each,
 * without blocking; calls sendmmsg() again for what one call did not take and
 * stops at the first refusal (a full socket: the rest is lost, as on a
 * congested link). Returns how many went out. */
unsigned send_batch(int fd, struct iovec *iov, unsigned n);

#endif
