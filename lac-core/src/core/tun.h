/* The TUN device through which locally terminated subscribers' IP traffic
 * reaches the network: lac-core writes their IPv4 packets into it and reads
 * packets for their addresses back (the kernel routes the local pool to it). */
#ifndef CORE_TUN_H
#define CORE_TUN_H

#include <netinet/in.h>
#include <stddef.h>

/* Creates (or attaches to) TUN device `name` without packet info header, sets
 * `gateway`/32 on it, brings it up and routes base/prefix to it. Returns a
 * non-blocking fd, or -1 with err filled. */
int tun_open(const char *name, struct in_addr gateway, struct in_addr base, unsigned prefix,
	     char *err, size_t errlen);

#endif
