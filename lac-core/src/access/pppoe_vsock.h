/* The AF_PACKET socket of a PPPoE server that serves VLANs on a parent
 * interface (issue 11). Unlike pppoe_sock.h, which leaves tagged frames to the
 * VLAN sub-interfaces, this one keeps them and hands every frame over with its
 * tags in band: a tag the NIC or the kernel took off into packet metadata
 * (PACKET_AUXDATA tp_vlan_tci, e.g. the outer tag of a QinQ frame) is put
 * back in front of the EtherType, so the reader sees what was on the wire. */
#ifndef ACCESS_PPPOE_VSOCK_H
#define ACCESS_PPPOE_VSOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Opens a non-blocking, close-on-exec packet socket on ifindex receiving
 * PPPoE frames untagged, single-tagged or double-tagged (classic BPF on the
 * EtherTypes at offsets 12, 16 and 20; 802.1Q, 802.1ad and 0x9100 TPIDs).
 * promisc: also unicast frames for other MACs (lac-dial's simulated
 * subscribers). Returns the fd, or -1 with errno set. */
int pppoe_vsock_open(int ifindex, bool promisc);

/* Reads one frame into buf, tags in band. Returns its length, 0 for a frame
 * to skip (our own transmissions, too long), or -1 with errno set (EAGAIN
 * when none is left). */
ssize_t pppoe_vsock_recv(int fd, uint8_t *buf, size_t cap);

#endif
