#include "core/tun.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <net/route.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static void set_sin(struct sockaddr *sa, uint32_t addr_be)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = addr_be };
	memcpy(sa, &sin, sizeof(sin));
}

int tun_open(const char *name, struct in_addr gateway, struct in_addr base, unsigned prefix,
	     char *err, size_t errlen)
{
	int fd = -1, sock = -1;
	struct ifreq ifr;

	if (strlen(name) >= IFNAMSIZ) {
		snprintf(err, errlen, "tun device name '%s' too long", name);
		return -1;
	}
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "/dev/net/tun: %s", strerror(errno));
		goto fail;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	memcpy(ifr.ifr_name, name, strlen(name) + 1);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		snprintf(err, errlen, "TUNSETIFF %s: %s", name, strerror(errno));
		goto fail;
	}

	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		goto fail;
	}
	set_sin(&ifr.ifr_addr, gateway.s_addr);
	if (ioctl(sock, SIOCSIFADDR, &ifr) < 0) {
		snprintf(err, errlen, "SIOCSIFADDR %s: %s", name, strerror(errno));
		goto fail;
	}
	if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0) {
		snprintf(err, errlen, "SIOCGIFFLAGS %s: %s", name, strerror(errno));
		goto fail;
	}
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0) {
		snprintf(err, errlen, "SIOCSIFFLAGS %s: %s", name, strerror(errno));
		goto fail;
	}

	struct rtentry rt;
	memset(&rt, 0, sizeof(rt));
	uint32_t mask = prefix ? htonl(~0u << (32 - prefix)) : 0;
	set_sin(&rt.rt_dst, base.s_addr & mask);
	set_sin(&rt.rt_genmask, mask);
	set_sin(&rt.rt_gateway, 0);
	rt.rt_flags = RTF_UP;
	char dev[IFNAMSIZ];
	memcpy(dev, name, strlen(name) + 1);
	rt.rt_dev = dev;
	if (ioctl(sock, SIOCADDRT, &rt) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "route %s/%u dev %s: %s", inet_ntoa(base), prefix, name, strerror(errno));
		goto fail;
	}
	close(sock);
	return fd;
fail:
	if (sock >= 0)
		close(sock);
	if (fd >= 0)
		close(fd);
	return -1;
}
