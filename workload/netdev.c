/* The TUN device, its address and routes, sysctls: ioctls only, no fork of `ip`. */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "wl.h"

int sysctl_write(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, value, strlen(value));
	int err = n < 0 ? -errno : 0;
	close(fd);
	return err;
}

int tun_open(const char *name)
{
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		/* No devtmpfs node (yet): make the misc device node ourselves. */
		mkdir("/dev/net", 0755);
		if (mknod("/dev/net/tun", S_IFCHR | 0666, makedev(10, 200)) == 0 || errno == EEXIST)
			fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	}
	if (fd < 0)
		return -errno;
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	int fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	return fd;
}

static void sin_set(struct sockaddr *sa, in_addr_t a)
{
	struct sockaddr_in *s = (struct sockaddr_in *)sa;
	memset(s, 0, sizeof(*s));
	s->sin_family = AF_INET;
	s->sin_addr.s_addr = a;
}

static in_addr_t prefix_mask(int prefix)
{
	return prefix == 0 ? 0 : htonl(0xffffffffu << (32 - prefix));
}

int if_configure(const char *name, const char *addr, int prefix, int mtu)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	struct ifreq ifr;
	int err = 0;
	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	sin_set(&ifr.ifr_addr, ip4(addr));
	if (ioctl(s, SIOCSIFADDR, &ifr) < 0)
		err = -errno;
	sin_set(&ifr.ifr_netmask, prefix_mask(prefix));
	if (!err && ioctl(s, SIOCSIFNETMASK, &ifr) < 0)
		err = -errno;
	ifr.ifr_mtu = mtu;
	if (!err && ioctl(s, SIOCSIFMTU, &ifr) < 0)
		err = -errno;
	if (!err && ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		err = -errno;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (!err && ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		err = -errno;
	close(s);
	return err;
}

static int route_ioctl(unsigned long req, const char *net, int prefix, const char *gw, const char *dev)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	struct rtentry rt;
	char devname[IFNAMSIZ];
	memset(&rt, 0, sizeof(rt));
	sin_set(&rt.rt_dst, ip4(net));
	sin_set(&rt.rt_genmask, prefix_mask(prefix));
	sin_set(&rt.rt_gateway, gw ? ip4(gw) : 0);
	rt.rt_flags = RTF_UP | (gw ? RTF_GATEWAY : 0) | (prefix == 32 ? RTF_HOST : 0);
	strncpy(devname, dev, IFNAMSIZ - 1);
	devname[IFNAMSIZ - 1] = 0;
	rt.rt_dev = devname;
	int err = ioctl(s, req, &rt) < 0 ? -errno : 0;
	close(s);
	return err;
}

int route_add(const char *net, int prefix, const char *gw, const char *dev)
{
	return route_ioctl(SIOCADDRT, net, prefix, gw, dev);
}

int route_del(const char *net, int prefix, const char *gw, const char *dev)
{
	return route_ioctl(SIOCDELRT, net, prefix, gw, dev);
}

/* What `ip route flush cache` does: the sysctl flush (rt_genid and, on fnhe kernels, fnhe_genid). */
int route_cache_flush(void)
{
	return sysctl_write("/proc/sys/net/ipv4/route/flush", "1");
}
