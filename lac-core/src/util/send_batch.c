/* See send_batch.h. */
#include "util/send_batch.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

unsigned send_batch(int fd, struct iovec *iov, unsigned n)
{
	struct mmsghdr msgs[SEND_BATCH_MAX];
	unsigned done = 0;

	if (n > SEND_BATCH_MAX)
		n = SEND_BATCH_MAX;
	memset(msgs, 0, n * sizeof(msgs[0]));
	for (unsigned i = 0; i < n; i++) {
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	while (done < n) {
		int k = sendmmsg(fd, msgs + done, n - done, MSG_DONTWAIT);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		done += (unsigned)k;
	}
	return done;
}
