/* Sockets and what a user can observe about them. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/ip.h>

#include "wl.h"

static void sin_to(struct sockaddr_in *s, in_addr_t dst, uint16_t port)
{
	memset(s, 0, sizeof(*s));
	s->sin_family = AF_INET;
	s->sin_addr.s_addr = dst;
	s->sin_port = htons(port);
}

static void pmtudisc_do(int fd)
{
	int v = IP_PMTUDISC_DO;
	setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &v, sizeof(v));
}

int udp_connect(in_addr_t dst, uint16_t port)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	pmtudisc_do(fd);
	struct sockaddr_in s;
	sin_to(&s, dst, port);
	if (connect(fd, (struct sockaddr *)&s, sizeof(s)) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

/* A TCP connection whose peer is played from the tun fd: SYN read, SYN-ACK written. */
int tcp_connect_played(in_addr_t dst, uint16_t port, struct pkt *syn)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	pmtudisc_do(fd);
	struct sockaddr_in s;
	sin_to(&s, dst, port);
	if (connect(fd, (struct sockaddr *)&s, sizeof(s)) < 0 && errno != EINPROGRESS) {
		int e = -errno;
		close(fd);
		return e;
	}
	int err = tun_read_match(dst, IPPROTO_TCP, 1000, syn);
	if (!err)
		err = inject_tcp_synack(syn, 0x10000000u, 1460);
	if (!err) {
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		if (poll(&pfd, 1, 1000) <= 0)
			err = -ETIMEDOUT;
		else
			err = -so_error(fd);
	}
	if (err) {
		close_hard(fd);
		return err;
	}
	struct pkt ack;
	tun_read_match(dst, IPPROTO_TCP, 200, &ack); /* the handshake's final ACK */
	return fd;
}

int ip_mtu(int fd)
{
	int v = 0;
	socklen_t l = sizeof(v);
	if (getsockopt(fd, IPPROTO_IP, IP_MTU, &v, &l) < 0)
		return -errno;
	return v;
}

int so_error(int fd)
{
	int v = 0;
	socklen_t l = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &l) < 0)
		return errno;
	return v;
}

int send_len(int fd, size_t len)
{
	static char payload[PKT_MAX];
	if (len > sizeof(payload))
		len = sizeof(payload);
	memset(payload, 'p', len);
	ssize_t n = send(fd, payload, len, MSG_DONTWAIT);
	return n < 0 ? -errno : (int)n;
}

/* send(len) and, if it was accepted, the packet it produced as read on the tun fd. */
int send_capture(const char *substep, const char *label, int fd, size_t len, in_addr_t dst, int proto, struct pkt *p)
{
	int r = send_len(fd, len);
	p->len = 0;
	if (r >= 0)
		tun_read_match(dst, proto, 500, p);
	obs(substep, "sock=%s send=%zu ret=%d tun_len=%u", label, len, r, p->len > 0 ? pkt_ip_len(p) : 0);
	return r;
}

void observe_socket(const char *substep, const char *label, int fd)
{
	obs(substep, "sock=%s ip_mtu=%d", label, ip_mtu(fd));
}

void observe_route(const char *substep, const char *label, in_addr_t dst)
{
	struct route_info ri;
	int err = route_get(dst, &ri);
	if (err) {
		obs(substep, "route=%s dst=%s error=%d", label, ipstr(dst), err);
		return;
	}
	obs(substep, "route=%s dst=%s via=%s mtu=%u lock=%d", label, ipstr(dst), ri.gateway ? ipstr(ri.gateway) : "-",
	    ri.mtu, ri.mtu_locked);
}

/* Close with RST (linger 0): a TCP socket leaves no retransmissions behind. */
void close_hard(int fd)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}
