/*
 * Packets on the tun fd: reading what the guest sent, and writing hand-built replies that
 * quote it (ICMP errors quote the IP header and the first 8 bytes of the offending packet,
 * RFC 792), with correct IP, ICMP and TCP checksums.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "wl.h"

uint16_t inet_csum(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;
	while (len > 1) {
		sum += (uint32_t)p[0] << 8 | p[1];
		p += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int ihl_of(const struct pkt *p)
{
	return (p->b[0] & 0x0f) * 4;
}

unsigned pkt_ip_len(const struct pkt *p)
{
	if (p->len < 20)
		return 0;
	return (unsigned)p->b[2] << 8 | p->b[3];
}

/* The next IPv4 packet to dst (proto < 0: any protocol); other packets are skipped. */
int tun_read_match(in_addr_t dst, int proto, int timeout_ms, struct pkt *p)
{
	long deadline = now_ms() + timeout_ms;
	p->len = 0;
	for (;;) {
		ssize_t n = read(W.tun, p->b, sizeof(p->b));
		if (n > 0) {
			if (n >= 20 && (p->b[0] >> 4) == 4 && memcmp(p->b + 16, &dst, 4) == 0 &&
			    (proto < 0 || p->b[9] == proto)) {
				p->len = n;
				return 0;
			}
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		long left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd pfd = { .fd = W.tun, .events = POLLIN };
		poll(&pfd, 1, (int)left);
	}
}

void tun_drain(void)
{
	uint8_t b[PKT_MAX];
	while (read(W.tun, b, sizeof(b)) > 0) {
	}
}

/* The test hook: the first injection of the named scenario is not written. */
static int dropped_by_hook(const char *what)
{
	if (W.drop && W.scenario && strcmp(W.drop, W.scenario) == 0 && !W.dropped) {
		W.dropped = 1;
		note("test hook: %s not injected", what);
		return 1;
	}
	return 0;
}

static void ip_header(uint8_t *h, size_t total, int proto, in_addr_t src, in_addr_t dst)
{
	static uint16_t id = 0x5100;
	memset(h, 0, 20);
	h[0] = 0x45;
	h[1] = 0xc0;
	h[2] = (uint8_t)(total >> 8);
	h[3] = (uint8_t)total;
	h[4] = (uint8_t)(id >> 8);
	h[5] = (uint8_t)id;
	id++;
	h[8] = 64;
	h[9] = (uint8_t)proto;
	memcpy(h + 12, &src, 4);
	memcpy(h + 16, &dst, 4);
	uint16_t c = inet_csum(h, 20, 0);
	memcpy(h + 10, &c, 2);
}

static int write_packet(const uint8_t *b, size_t len)
{
	ssize_t n = write(W.tun, b, len);
	if (n < 0)
		return -errno;
	return n == (ssize_t)len ? 0 : -EIO;
}

/* ICMP error `type/code` from `from`, quoting orig's IP header + 8 bytes; `rest` is bytes 4..7. */
static int inject_icmp_error(in_addr_t from, int type, int code, const uint8_t rest[4], const struct pkt *orig)
{
	if (orig->len < 28)
		return -EINVAL;
	size_t quote = (size_t)ihl_of(orig) + 8;
	if (quote > (size_t)orig->len)
		quote = (size_t)orig->len;
	uint8_t b[20 + 8 + 60 + 8];
	size_t total = 20 + 8 + quote;
	in_addr_t to;
	memcpy(&to, orig->b + 12, 4); /* back to the sender */
	ip_header(b, total, IPPROTO_ICMP, from, to);
	uint8_t *icmp = b + 20;
	icmp[0] = (uint8_t)type;
	icmp[1] = (uint8_t)code;
	icmp[2] = icmp[3] = 0;
	memcpy(icmp + 4, rest, 4);
	memcpy(icmp + 8, orig->b, quote);
	uint16_t c = inet_csum(icmp, 8 + quote, 0);
	memcpy(icmp + 2, &c, 2);
	return write_packet(b, total);
}

int inject_frag_needed(in_addr_t from, const struct pkt *orig, unsigned mtu)
{
	if (dropped_by_hook("ICMP fragmentation needed"))
		return 0;
	uint8_t rest[4] = { 0, 0, (uint8_t)(mtu >> 8), (uint8_t)mtu };
	return inject_icmp_error(from, 3, 4, rest, orig);
}

int inject_redirect(in_addr_t from, const struct pkt *orig, in_addr_t new_gw)
{
	if (dropped_by_hook("ICMP redirect"))
		return 0;
	uint8_t rest[4];
	memcpy(rest, &new_gw, 4);
	return inject_icmp_error(from, 5, 1, rest, orig); /* code 1: redirect for host */
}

static int inject_tcp(const struct pkt *seg, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t mss)
{
	const uint8_t *ip = seg->b;
	const uint8_t *tcp = seg->b + ihl_of(seg);
	size_t optlen = mss ? 4 : 0;
	size_t tcplen = 20 + optlen;
	uint8_t b[20 + 24];
	in_addr_t src, dst;
	memcpy(&src, ip + 16, 4); /* reply from the peer the guest talked to */
	memcpy(&dst, ip + 12, 4);
	ip_header(b, 20 + tcplen, IPPROTO_TCP, src, dst);
	uint8_t *t = b + 20;
	memset(t, 0, tcplen);
	memcpy(t, tcp + 2, 2); /* our source port = their destination port */
	memcpy(t + 2, tcp, 2);
	uint32_t s = htonl(seq), a = htonl(ack);
	memcpy(t + 4, &s, 4);
	memcpy(t + 8, &a, 4);
	t[12] = (uint8_t)((tcplen / 4) << 4);
	t[13] = flags;
	t[14] = 0xff;
	t[15] = 0xff;
	if (mss) {
		t[20] = 2;
		t[21] = 4;
		t[22] = (uint8_t)(mss >> 8);
		t[23] = (uint8_t)mss;
	}
	/* Pseudo header: source, destination, zero, protocol, TCP length. */
	uint8_t ph[12];
	memcpy(ph, &src, 4);
	memcpy(ph + 4, &dst, 4);
	ph[8] = 0;
	ph[9] = IPPROTO_TCP;
	ph[10] = (uint8_t)(tcplen >> 8);
	ph[11] = (uint8_t)tcplen;
	uint32_t sum = 0;
	for (int i = 0; i < 12; i += 2)
		sum += (uint32_t)ph[i] << 8 | ph[i + 1];
	uint16_t c = inet_csum(t, tcplen, sum);
	memcpy(t + 16, &c, 2);
	return write_packet(b, 20 + tcplen);
}

static uint32_t tcp_seq(const struct pkt *seg)
{
	uint32_t s;
	memcpy(&s, seg->b + ihl_of(seg) + 4, 4);
	return ntohl(s);
}

int inject_tcp_synack(const struct pkt *syn, uint32_t isn, uint16_t mss)
{
	return inject_tcp(syn, isn, tcp_seq(syn) + 1, 0x12 /* SYN|ACK */, mss);
}

int inject_tcp_ack(const struct pkt *seg, uint32_t seq)
{
	unsigned iplen = pkt_ip_len(seg);
	unsigned hdr = (unsigned)ihl_of(seg) + ((seg->b[ihl_of(seg) + 12] >> 4) * 4u);
	return inject_tcp(seg, seq, tcp_seq(seg) + (iplen - hdr), 0x10 /* ACK */, 0);
}
