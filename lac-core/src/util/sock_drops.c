/* See sock_drops.h. */
#include "util/sock_drops.h"

#include <linux/sock_diag.h>
#include <sys/socket.h>

int sock_rx_drops(int fd, uint64_t *total)
{
	uint32_t mem[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mem);
	if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len) < 0)
		return -1;
	if (len < (SK_MEMINFO_DROPS + 1) * sizeof(mem[0]))
		return -1;              /* an older kernel's shorter table: no drops field */
	*total += mem[SK_MEMINFO_DROPS];
	return 0;
}
