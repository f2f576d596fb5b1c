/* The AF_PACKET socket the PPPoE server and client share: both EtherTypes
 * (0x8863 discovery, 0x8864 session) on one socket, so frames are read in the
 * order they arrived. With one socket per EtherType, a session frame sent
 * right after a PADS (or a PADT sent right after a last session frame) can be
 * read before it and dropped as belonging to no session. */
#ifndef ACCESS_PPPOE_SOCK_H
#define ACCESS_PPPOE_SOCK_H

#include <stdbool.h>

/* Opens a non-blocking, close-on-exec packet socket on interface ifindex that
 * receives only PPPoE frames (a classic BPF filter on the EtherType) and does
 * not see its own transmissions where the kernel allows (PACKET_IGNORE_OUTGOING;
 * readers still skip PACKET_OUTGOING). promisc: also receive unicast frames
 * for other MACs (the client's simulated subscribers). Frames are read and
 * written with their Ethernet header. Returns the fd, or -1 with errno set. */
int pppoe_sock_open(int ifindex, bool promisc);

#endif
