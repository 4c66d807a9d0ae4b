/*
 * The scenarios. Each uses its own destinations, so that any subset runs alone and in any
 * order; each reports what a user observes (@@OBS) and leaves the verdict to the host
 * (src/harness/scenarios.ts holds the expected contract per era).
 *
 * Subjects in @@OBS lines: sock=<label> (a socket: send results, IP_MTU, SO_ERROR) and
 * route=<label> (RTM_GETROUTE for the socket's destination: gateway, MTU metric, lock).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>

#include "wl.h"

#define UDP_PORT 9000

static int check_fd(int fd, const char *what)
{
	if (fd < 0)
		fail("%s: %s", what, strerror(-fd));
	return fd;
}

static void closeall(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close_hard(fds[i]);
}

/* Send a big datagram, read it on the tun fd, answer with "fragmentation needed" for `mtu`. */
static int learn_pmtu(const char *substep, const char *label, int fd, in_addr_t dst, in_addr_t from, unsigned mtu,
		      struct pkt *p)
{
	send_capture(substep, label, fd, 1400, dst, IPPROTO_UDP, p);
	if (p->len <= 0) {
		fail("%s: no packet from socket %s on the tun fd", substep, label);
		return -1;
	}
	int e = inject_frag_needed(from, p, mtu);
	obs(substep, "sock=%s inject=frag_needed from=%s mtu=%u quoted_len=%u ret=%d", label, ipstr(from), mtu,
	    pkt_ip_len(p), e);
	obs(substep, "sock=%s so_error=%d", label, so_error(fd));
	observe_socket(substep, label, fd);
	observe_route(substep, label, dst);
	return e;
}

static void udp_pmtu(void)
{
	in_addr_t da = ip4("198.51.100.10"), db = ip4("198.51.100.11");
	int fds[2] = { check_fd(udp_connect(da, UDP_PORT), "connect A"), check_fd(udp_connect(db, UDP_PORT), "connect B") };
	struct pkt p;
	if (fds[0] < 0 || fds[1] < 0)
		goto out;
	step("send");
	send_capture("send", "B", fds[1], 1400, db, IPPROTO_UDP, &p);
	step("icmp");
	if (learn_pmtu("icmp", "A", fds[0], da, ip4(ADDR_GW), 1200, &p) < 0)
		goto out;
	observe_socket("icmp", "B", fds[1]);
	observe_route("icmp", "B", db);
	step("resend-big");
	send_capture("resend-big", "A", fds[0], 1400, da, IPPROTO_UDP, &p);
	step("resend-small");
	send_capture("resend-small", "A", fds[0], 1100, da, IPPROTO_UDP, &p);
	observe_socket("resend-small", "A", fds[0]);
out:
	closeall(fds, 2);
}

static void udp_pmtu_update(void)
{
	in_addr_t da = ip4("198.51.100.12");
	int fd = check_fd(udp_connect(da, UDP_PORT), "connect A");
	struct pkt p;
	if (fd < 0)
		return;
	step("icmp1");
	if (learn_pmtu("icmp1", "A", fd, da, ip4(ADDR_GW), 1200, &p) < 0)
		goto out;
	step("send2");
	send_capture("send2", "A", fd, 1100, da, IPPROTO_UDP, &p);
	if (p.len <= 0) {
		fail("send2: no packet on the tun fd");
		goto out;
	}
	step("icmp2");
	/* A router further away reports a smaller MTU: the existing exception is updated. */
	in_addr_t router = ip4("198.51.100.254");
	int e = inject_frag_needed(router, &p, 1000);
	obs("icmp2", "sock=A inject=frag_needed from=%s mtu=1000 quoted_len=%u ret=%d", ipstr(router), pkt_ip_len(&p), e);
	obs("icmp2", "sock=A so_error=%d", so_error(fd));
	observe_socket("icmp2", "A", fd);
	observe_route("icmp2", "A", da);
	step("send3");
	send_capture("send3", "A", fd, 900, da, IPPROTO_UDP, &p);
out:
	close_hard(fd);
}

static void tcp_pmtu(void)
{
	in_addr_t dt = ip4("198.51.100.20");
	struct pkt syn, seg, rt;
	step("connect");
	int fd = tcp_connect_played(dt, 80, &syn);
	obs("connect", "sock=T connected=%d err=%d", fd >= 0, fd >= 0 ? 0 : fd);
	if (fd < 0) {
		fail("TCP handshake over the tun fd failed: %s", strerror(-fd));
		return;
	}
	observe_socket("connect", "T", fd);
	step("send");
	send_capture("send", "T", fd, 1400, dt, IPPROTO_TCP, &seg);
	if (seg.len <= 0) {
		fail("send: no TCP segment on the tun fd");
		goto out;
	}
	step("icmp");
	int e = inject_frag_needed(ip4(ADDR_GW), &seg, 1200);
	obs("icmp", "sock=T inject=frag_needed from=%s mtu=1200 quoted_len=%u ret=%d", ADDR_GW, pkt_ip_len(&seg), e);
	observe_socket("icmp", "T", fd);
	observe_route("icmp", "T", dt);
	step("retransmit");
	/* TCP shrinks its MSS and retransmits at once (tcp_v4_mtu_reduced). */
	int r = tun_read_match(dt, IPPROTO_TCP, 500, &rt);
	obs("retransmit", "sock=T tun_len=%u", r == 0 ? pkt_ip_len(&rt) : 0);
out:
	close_hard(fd);
}

static void redirect_common(const char *from_name, in_addr_t dst)
{
	int fd = check_fd(udp_connect(dst, UDP_PORT), "connect R");
	struct pkt p;
	if (fd < 0)
		return;
	step("send");
	send_capture("send", "R", fd, 500, dst, IPPROTO_UDP, &p);
	observe_route("send", "R", dst);
	if (p.len <= 0) {
		fail("send: no packet on the tun fd");
		goto out;
	}
	step("redirect");
	in_addr_t from = ip4(from_name);
	int e = inject_redirect(from, &p, ip4(ADDR_GW2));
	obs("redirect", "sock=R inject=redirect from=%s new_gw=%s ret=%d", ipstr(from), ADDR_GW2, e);
	obs("redirect", "sock=R so_error=%d", so_error(fd));
	observe_route("redirect", "R", dst);
	step("resend");
	send_capture("resend", "R", fd, 500, dst, IPPROTO_UDP, &p);
	observe_socket("resend", "R", fd);
	observe_route("resend", "R", dst);
out:
	close_hard(fd);
}

static void redirect_gateway(void)
{
	redirect_common(ADDR_GW, ip4("198.51.100.30"));
}

static void redirect_stranger(void)
{
	redirect_common(ADDR_STRANGER, ip4("198.51.100.31"));
}

static void pmtu_min_clamp(void)
{
	in_addr_t d = ip4("198.51.100.40");
	int fd = check_fd(udp_connect(d, UDP_PORT), "connect C");
	struct pkt p;
	if (fd < 0)
		return;
	step("icmp");
	if (learn_pmtu("icmp", "C", fd, d, ip4(ADDR_GW), 400, &p) < 0)
		goto out;
	step("resend-600");
	send_capture("resend-600", "C", fd, 600, d, IPPROTO_UDP, &p);
	step("resend-500");
	send_capture("resend-500", "C", fd, 500, d, IPPROTO_UDP, &p);
out:
	close_hard(fd);
}

static void flush(void)
{
	in_addr_t d = ip4("198.51.100.50");
	int fd = check_fd(udp_connect(d, UDP_PORT), "connect F");
	struct pkt p;
	if (fd < 0)
		return;
	step("icmp");
	if (learn_pmtu("icmp", "F", fd, d, ip4(ADDR_GW), 1200, &p) < 0)
		goto out;
	step("flush");
	obs("flush", "flush=route_cache ret=%d", route_cache_flush());
	/* IP_MTU does not check the cached route: right after a flush it may still show the old one. */
	observe_socket("flush", "F", fd);
	step("resend");
	send_capture("resend", "F", fd, 500, d, IPPROTO_UDP, &p);
	observe_socket("resend", "F", fd);
	observe_route("resend", "F", d);
	step("resend-big");
	send_capture("resend-big", "F", fd, 1400, d, IPPROTO_UDP, &p);
out:
	close_hard(fd);
}

static void flush_same_destination(void)
{
	in_addr_t d = ip4("198.51.100.51");
	int s1 = check_fd(udp_connect(d, UDP_PORT), "connect S1");
	struct pkt p;
	if (s1 < 0)
		return;
	step("icmp");
	int e = learn_pmtu("icmp", "S1", s1, d, ip4(ADDR_GW), 1200, &p);
	close_hard(s1);
	if (e < 0)
		return;
	step("flush");
	obs("flush", "flush=route_cache ret=%d", route_cache_flush());
	step("connect");
	int s2 = check_fd(udp_connect(d, UDP_PORT), "connect S2");
	if (s2 < 0)
		return;
	observe_socket("connect", "S2", s2);
	observe_route("connect", "S2", d);
	step("send");
	send_capture("send", "S2", s2, 1000, d, IPPROTO_UDP, &p);
	if (p.len <= 0) {
		fail("send: no packet from S2 on the tun fd");
		goto out;
	}
	step("icmp2");
	e = inject_frag_needed(ip4(ADDR_GW), &p, 900);
	obs("icmp2", "sock=S2 inject=frag_needed from=%s mtu=900 quoted_len=%u ret=%d", ADDR_GW, pkt_ip_len(&p), e);
	obs("icmp2", "sock=S2 so_error=%d", so_error(s2));
	observe_socket("icmp2", "S2", s2);
	observe_route("icmp2", "S2", d);
out:
	close_hard(s2);
}

static void route_change_keeps_exception(void)
{
	in_addr_t d = ip4("198.51.100.60");
	int fd = check_fd(udp_connect(d, UDP_PORT), "connect K");
	struct pkt p;
	if (fd < 0)
		return;
	step("icmp");
	if (learn_pmtu("icmp", "K", fd, d, ip4(ADDR_GW), 1200, &p) < 0)
		goto out;
	step("route-change");
	/* Any routing table change invalidates every cached route (the namespace genid moves),
	 * but not the exceptions: the re-looked-up route must find the learned MTU again. */
	obs("route-change", "route_add=203.0.113.128/25 ret=%d", route_add("203.0.113.128", 25, ADDR_GW, TUN_NAME));
	step("resend");
	send_capture("resend", "K", fd, 500, d, IPPROTO_UDP, &p);
	observe_socket("resend", "K", fd);
	observe_route("resend", "K", d);
	step("resend-big");
	send_capture("resend-big", "K", fd, 1400, d, IPPROTO_UDP, &p);
	route_del("203.0.113.128", 25, ADDR_GW, TUN_NAME);
out:
	close_hard(fd);
}

static void exception_before_route(void)
{
	in_addr_t d = ip4("198.51.100.70");
	int x = check_fd(udp_connect(d, UDP_PORT), "connect X");
	struct pkt p;
	if (x < 0)
		return;
	step("learn");
	int e = learn_pmtu("learn", "X", x, d, ip4(ADDR_GW), 1100, &p);
	if (e < 0) {
		close_hard(x);
		return;
	}
	step("connect");
	/* A socket created after the exception: its very first route carries the learned MTU. */
	int y = check_fd(udp_connect(d, UDP_PORT), "connect Y");
	if (y < 0) {
		close_hard(x);
		return;
	}
	observe_socket("connect", "Y", y);
	observe_route("connect", "Y", d);
	step("send-big");
	send_capture("send-big", "Y", y, 1400, d, IPPROTO_UDP, &p);
	step("send-small");
	send_capture("send-small", "Y", y, 1000, d, IPPROTO_UDP, &p);
	close_hard(y);
	close_hard(x);
}

static void exception_after_route(void)
{
	in_addr_t d = ip4("198.51.100.71");
	struct pkt p;
	int y = check_fd(udp_connect(d, UDP_PORT), "connect Y");
	if (y < 0)
		return;
	step("y-send");
	send_capture("y-send", "Y", y, 500, d, IPPROTO_UDP, &p);
	observe_socket("y-send", "Y", y);
	step("x-learn");
	/* Another socket to the same destination learns a PMTU; Y's cached route predates it. */
	int x = check_fd(udp_connect(d, UDP_PORT), "connect X");
	if (x < 0)
		goto out;
	if (learn_pmtu("x-learn", "X", x, d, ip4(ADDR_GW), 1100, &p) < 0)
		goto out;
	step("y-stale");
	observe_socket("y-stale", "Y", y);
	step("y-resend");
	send_capture("y-resend", "Y", y, 500, d, IPPROTO_UDP, &p);
	observe_socket("y-resend", "Y", y);
	step("y-resend-big");
	send_capture("y-resend-big", "Y", y, 1400, d, IPPROTO_UDP, &p);
out:
	if (x >= 0)
		close_hard(x);
	close_hard(y);
}

#define MANY 24
#define MANY_PMTU 5     /* R5 learns a PMTU */
#define MANY_REDIRECT 9 /* R9 is redirected */

static void many_routes(void)
{
	int fds[MANY + 1];
	in_addr_t dst[MANY + 1];
	struct pkt sent[MANY + 1], p;
	char label[8];
	fds[0] = -1;
	for (int i = 1; i <= MANY; i++) {
		char a[32];
		snprintf(a, sizeof(a), "203.0.113.%d", i);
		dst[i] = ip4(a);
		fds[i] = udp_connect(dst[i], UDP_PORT);
		if (fds[i] < 0) {
			fail("connect R%d: %s", i, strerror(-fds[i]));
			closeall(fds + 1, i - 1);
			return;
		}
	}
	step("send-all");
	for (int i = 1; i <= MANY; i++) {
		snprintf(label, sizeof(label), "R%d", i);
		send_capture("send-all", label, fds[i], 1400, dst[i], IPPROTO_UDP, &sent[i]);
	}
	step("icmp");
	if (sent[MANY_PMTU].len > 0 && sent[MANY_REDIRECT].len > 0) {
		int e = inject_frag_needed(ip4(ADDR_GW), &sent[MANY_PMTU], 1280);
		obs("icmp", "sock=R%d inject=frag_needed from=%s mtu=1280 ret=%d", MANY_PMTU, ADDR_GW, e);
		obs("icmp", "sock=R%d so_error=%d", MANY_PMTU, so_error(fds[MANY_PMTU]));
		e = inject_redirect(ip4(ADDR_GW), &sent[MANY_REDIRECT], ip4(ADDR_GW2));
		obs("icmp", "sock=R%d inject=redirect from=%s new_gw=%s ret=%d", MANY_REDIRECT, ADDR_GW, ADDR_GW2, e);
		obs("icmp", "sock=R%d so_error=%d", MANY_REDIRECT, so_error(fds[MANY_REDIRECT]));
	} else {
		fail("icmp: the packets to quote were not read from the tun fd");
	}
	step("resend-all");
	for (int i = 1; i <= MANY; i++) {
		snprintf(label, sizeof(label), "R%d", i);
		send_capture("resend-all", label, fds[i], 500, dst[i], IPPROTO_UDP, &p);
		observe_socket("resend-all", label, fds[i]);
		observe_route("resend-all", label, dst[i]);
	}
	obs("resend-all", "routes=%d pmtu_sock=R%d redirect_sock=R%d", MANY, MANY_PMTU, MANY_REDIRECT);
	closeall(fds + 1, MANY);
}

const struct scenario SCENARIOS[] = {
	{ "udp-pmtu", "a connected UDP socket learns the PMTU from a frag-needed quoting its packet", udp_pmtu },
	{ "udp-pmtu-update", "a remote router lowers an existing exception's PMTU", udp_pmtu_update },
	{ "tcp-pmtu", "a TCP connection learns the PMTU and retransmits smaller segments", tcp_pmtu },
	{ "redirect-gateway", "a redirect from the route's gateway changes the next hop", redirect_gateway },
	{ "redirect-stranger", "a redirect from a host that is not the gateway is ignored", redirect_stranger },
	{ "pmtu-min-clamp", "an MTU below min_pmtu is clamped to 552 and locked", pmtu_min_clamp },
	{ "flush", "a route cache flush invalidates the cached route", flush },
	{ "flush-same-destination", "after a flush a new socket to the same destination works and learns again",
	  flush_same_destination },
	{ "route-change-keeps-exception", "a routing change re-looks up routes and keeps the learned exception",
	  route_change_keeps_exception },
	{ "exception-before-route", "a route created after an exception carries its MTU", exception_before_route },
	{ "exception-after-route", "a route cached before an exception picks it up on next use", exception_after_route },
	{ "many-routes", "many routes at once: only the affected destinations change", many_routes },
};
const size_t N_SCENARIOS = sizeof(SCENARIOS) / sizeof(SCENARIOS[0]);
