/*
 * Seed-era scenarios: kernels with the routing cache and the inetpeer (2.6.39 .. 3.5, and the
 * patch commit itself). There a learned PMTU or redirect reaches a socket's cached route when
 * the route is next checked, so each scenario observes after the socket's next use, and reads
 * the route the socket holds: its cache key carries the socket's source address, so
 * `ip route get DST from SELF` (RTM_GETROUTE with RTA_SRC) and /proc/net/rt_cache's entry with
 * that source show it, while a plain `ip route get DST` shows another cache entry.
 *
 * Extra subjects in @@OBS lines:
 *   route=<label> ... from=<self>   the socket's own cache entry
 *   rtcache=<label> dst=D entries=N gws=G1,G2   /proc/net/rt_cache rows for D and their gateways (absent=1 after 3.6)
 *   thread=<label> cpu=N pinned=0|1 sent=N emsgsize=N other=N ip_mtu=M   (two-CPU scenario)
 * Destinations: 203.0.113.100 .. 203.0.113.113 (many-routes uses .1 .. .24).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>

#include "wl.h"

#define UDP_PORT 9100
#define ADDR_MCAST_GW "224.0.0.9" /* a multicast "gateway": every era refuses it as a next hop */
#define EMSG (-EMSGSIZE)

static int open_udp(const char *label, in_addr_t dst)
{
	int fd = udp_connect(dst, UDP_PORT);
	if (fd < 0)
		fail("connect %s: %s", label, strerror(-fd));
	return fd;
}

/* The socket's own cache entry (source = our address) and the rt_cache rows for dst. */
static void observe_held_route(const char *substep, const char *label, in_addr_t dst)
{
	struct route_info ri;
	int err = route_get_from(dst, ip4(ADDR_SELF), &ri);
	if (err)
		obs(substep, "route=%s dst=%s from=%s error=%d", label, ipstr(dst), ADDR_SELF, err);
	else
		obs(substep, "route=%s dst=%s from=%s via=%s mtu=%u lock=%d", label, ipstr(dst), ADDR_SELF,
		    ri.gateway ? ipstr(ri.gateway) : "-", ri.mtu, ri.mtu_locked);

	FILE *f = fopen("/proc/net/rt_cache", "r");
	if (!f) {
		obs(substep, "rtcache=%s dst=%s absent=1", label, ipstr(dst));
		return;
	}
	char line[512], gws[128] = "";
	int entries = 0;
	in_addr_t seen[8];
	int nseen = 0;
	while (fgets(line, sizeof(line), f)) {
		char iface[32];
		unsigned d, g;
		/* Iface Destination Gateway ...: addresses as the raw u32 in hex. The Source column is the
		 * route's source address, not its key's: it does not tell the socket's entry apart. */
		if (sscanf(line, "%31s %x %x", iface, &d, &g) != 3)
			continue;
		if ((in_addr_t)d != dst || strcmp(iface, TUN_NAME) != 0)
			continue;
		entries++;
		int k = 0;
		while (k < nseen && seen[k] != (in_addr_t)g)
			k++;
		if (k == nseen && nseen < 8) {
			seen[nseen++] = g;
			snprintf(gws + strlen(gws), sizeof(gws) - strlen(gws), "%s%s", k ? "," : "", ipstr(g));
		}
	}
	fclose(f);
	obs(substep, "rtcache=%s dst=%s entries=%d gws=%s", label, ipstr(dst), entries, nseen ? gws : "-");
}

/* Send 1400 bytes on fd and answer with "fragmentation needed" for mtu, from `from`. */
static int frag_needed(const char *substep, const char *label, int fd, in_addr_t dst, in_addr_t from, unsigned mtu, size_t len)
{
	struct pkt p;
	send_capture(substep, label, fd, len, dst, IPPROTO_UDP, &p);
	if (p.len <= 0) {
		fail("%s: no packet from socket %s on the tun fd", substep, label);
		return -1;
	}
	int e = inject_frag_needed(from, &p, mtu);
	obs(substep, "sock=%s inject=frag_needed from=%s mtu=%u quoted_len=%u ret=%d", label, ipstr(from), mtu, pkt_ip_len(&p), e);
	obs(substep, "sock=%s so_error=%d", label, so_error(fd));
	return e;
}

/* The socket's next use: a datagram too big for the learned MTU, then the MTU it reports. */
static void next_use(const char *substep, const char *label, int fd, in_addr_t dst, size_t big)
{
	struct pkt p;
	send_capture(substep, label, fd, big, dst, IPPROTO_UDP, &p);
	observe_socket(substep, label, fd);
	observe_held_route(substep, label, dst);
}

/* ICMP frag-needed (ip_rt_frag_needed): the socket that sent the quoted packet, and another destination. */
static void seed_frag_needed(void)
{
	in_addr_t da = ip4("203.0.113.100"), db = ip4("203.0.113.101");
	int a = open_udp("A", da), b = open_udp("B", db);
	struct pkt p;
	if (a < 0 || b < 0)
		goto out;
	step("icmp");
	if (frag_needed("icmp", "A", a, da, ip4(ADDR_GW), 1200, 1400) < 0)
		goto out;
	observe_held_route("icmp", "A", da);
	step("next-use");
	next_use("next-use", "A", a, da, 1400);
	step("small");
	send_capture("small", "A", a, 1100, da, IPPROTO_UDP, &p);
	step("other");
	send_capture("other", "B", b, 1400, db, IPPROTO_UDP, &p);
	observe_socket("other", "B", b);
	observe_held_route("other", "B", db);
out:
	if (a >= 0)
		close_hard(a);
	if (b >= 0)
		close_hard(b);
}

/* A router further away lowers the PMTU already learned. */
static void seed_pmtu_lower(void)
{
	in_addr_t d = ip4("203.0.113.102");
	int fd = open_udp("L", d);
	if (fd < 0)
		return;
	step("icmp1");
	if (frag_needed("icmp1", "L", fd, d, ip4(ADDR_GW), 1200, 1400) < 0)
		goto out;
	step("use1");
	next_use("use1", "L", fd, d, 1400);
	step("icmp2");
	if (frag_needed("icmp2", "L", fd, d, ip4("203.0.113.254"), 1000, 1100) < 0)
		goto out;
	step("use2");
	next_use("use2", "L", fd, d, 1100);
	step("small");
	struct pkt p;
	send_capture("small", "L", fd, 900, d, IPPROTO_UDP, &p);
out:
	close_hard(fd);
}

/* A learned PMTU that expires: route/mtu_expires shortened to one second. */
static void seed_pmtu_expires(void)
{
	in_addr_t d = ip4("203.0.113.103");
	char old[32] = "600";
	FILE *f = fopen("/proc/sys/net/ipv4/route/mtu_expires", "r");
	if (f) {
		if (!fgets(old, sizeof(old), f))
			snprintf(old, sizeof(old), "600");
		fclose(f);
	}
	int e = sysctl_write("/proc/sys/net/ipv4/route/mtu_expires", "1");
	obs("set", "mtu_expires=1 ret=%d", e);
	int fd = open_udp("E", d);
	if (fd < 0)
		goto restore;
	step("icmp");
	if (frag_needed("icmp", "E", fd, d, ip4(ADDR_GW), 1200, 1400) < 0)
		goto out;
	step("learned");
	next_use("learned", "E", fd, d, 1400);
	step("wait");
	usleep(1600 * 1000);
	/* On 2.6.39 .. 3.5 a route applies (or expires) its peer's PMTU only when the genid moved
	 * since its last check: an unrelated frag-needed moves it, as any learning on the host would. */
	step("bump");
	int x = open_udp("X", ip4("203.0.113.107"));
	if (x >= 0) {
		frag_needed("bump", "X", x, ip4("203.0.113.107"), ip4(ADDR_GW), 1300, 1400);
		close_hard(x);
	}
	step("expired");
	/* The first send revalidates the route; the second shows the MTU that now applies. */
	struct pkt p;
	send_capture("expired", "E", fd, 1100, d, IPPROTO_UDP, &p);
	send_capture("expired", "E2", fd, 1400, d, IPPROTO_UDP, &p);
	observe_socket("expired", "E", fd);
	int n = open_udp("N", d);
	if (n >= 0) {
		send_capture("expired", "N", n, 1400, d, IPPROTO_UDP, &p);
		observe_socket("expired", "N", n);
		close_hard(n);
	}
out:
	close_hard(fd);
restore:
	old[strcspn(old, "\n")] = 0;
	sysctl_write("/proc/sys/net/ipv4/route/mtu_expires", old);
}

/* A redirect from the route's gateway (accepted) and one from a stranger (refused). */
static void seed_redirect(void)
{
	in_addr_t dr = ip4("203.0.113.104"), ds = ip4("203.0.113.105"), dt = ip4("203.0.113.108");
	int r = open_udp("R", dr), s = open_udp("S", ds), t = open_udp("T", dt);
	struct pkt p;
	if (r < 0 || s < 0 || t < 0)
		goto out;
	step("send");
	send_capture("send", "R", r, 500, dr, IPPROTO_UDP, &p);
	if (p.len <= 0) {
		fail("send: no packet from R on the tun fd");
		goto out;
	}
	observe_held_route("send", "R", dr);
	step("accepted");
	int e = inject_redirect(ip4(ADDR_GW), &p, ip4(ADDR_GW2));
	obs("accepted", "sock=R inject=redirect from=%s new_gw=%s ret=%d", ADDR_GW, ADDR_GW2, e);
	step("accepted-use");
	send_capture("accepted-use", "R", r, 500, dr, IPPROTO_UDP, &p);
	observe_held_route("accepted-use", "R", dr);
	step("refused");
	send_capture("refused", "S", s, 500, ds, IPPROTO_UDP, &p);
	if (p.len <= 0) {
		fail("refused: no packet from S on the tun fd");
		goto out;
	}
	/* From the gateway, but naming a multicast address as the new gateway: every era refuses it
	 * (an off-link unicast one would pass: shared_media is on by default). */
	e = inject_redirect(ip4(ADDR_GW), &p, ip4(ADDR_MCAST_GW));
	obs("refused", "sock=S inject=redirect from=%s new_gw=%s ret=%d", ADDR_GW, ADDR_MCAST_GW, e);
	step("refused-use");
	send_capture("refused-use", "S", s, 500, ds, IPPROTO_UDP, &p);
	observe_held_route("refused-use", "S", ds);
	step("stranger");
	send_capture("stranger", "T", t, 500, dt, IPPROTO_UDP, &p);
	if (p.len <= 0) {
		fail("stranger: no packet from T on the tun fd");
		goto out;
	}
	/* From an on-link host that is not the route's gateway. */
	e = inject_redirect(ip4(ADDR_STRANGER), &p, ip4(ADDR_GW2));
	obs("stranger", "sock=T inject=redirect from=%s new_gw=%s ret=%d", ADDR_STRANGER, ADDR_GW2, e);
	step("stranger-use");
	send_capture("stranger-use", "T", t, 500, dt, IPPROTO_UDP, &p);
	observe_held_route("stranger-use", "T", dt);
out:
	if (r >= 0)
		close_hard(r);
	if (s >= 0)
		close_hard(s);
	if (t >= 0)
		close_hard(t);
}

/* A route-cache flush after learning, then the old socket and a new one to the same destination. */
static void seed_flush(void)
{
	in_addr_t d = ip4("203.0.113.106");
	int fd = open_udp("F", d);
	struct pkt p;
	if (fd < 0)
		return;
	step("icmp");
	if (frag_needed("icmp", "F", fd, d, ip4(ADDR_GW), 1200, 1400) < 0)
		goto out;
	step("learned");
	next_use("learned", "F", fd, d, 1400);
	step("flush");
	obs("flush", "flush=route_cache ret=%d", route_cache_flush());
	step("after");
	send_capture("after", "F", fd, 500, d, IPPROTO_UDP, &p);
	send_capture("after", "F2", fd, 1400, d, IPPROTO_UDP, &p);
	observe_socket("after", "F", fd);
	step("new-socket");
	int n = open_udp("N", d);
	if (n >= 0) {
		send_capture("new-socket", "N", n, 500, d, IPPROTO_UDP, &p);
		send_capture("new-socket", "N2", n, 1400, d, IPPROTO_UDP, &p);
		observe_socket("new-socket", "N", n);
		close_hard(n);
	}
out:
	close_hard(fd);
}

/* Two threads, each pinned to its CPU, binding and checking routes to the same destinations at once. */
#define SMP_DESTS 4
#define SMP_ROUNDS 40

struct smp_thread {
	int cpu, pinned, ran_on;
	int fds[SMP_DESTS];
	in_addr_t dst[SMP_DESTS];
	size_t len;
	int sent, emsgsize, other;
	/* Sends that went out on a socket after it had already failed with EMSGSIZE, and the
	 * EMSGSIZE count of the last round: a learned MTU, once applied, must stay applied. */
	int late_sent, last_emsgsize;
	pthread_barrier_t *start;
};

static void *smp_worker(void *arg)
{
	struct smp_thread *t = arg;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(t->cpu, &set);
	t->pinned = sched_setaffinity(0, sizeof(set), &set) == 0;
	pthread_barrier_wait(t->start);
	int refused[SMP_DESTS] = { 0 };
	for (int r = 0; r < SMP_ROUNDS; r++) {
		for (int i = 0; i < SMP_DESTS; i++) {
			int n = send_len(t->fds[i], t->len);
			if (n >= 0) {
				t->sent++;
				t->late_sent += refused[i];
			} else if (n == EMSG) {
				t->emsgsize++;
				refused[i] = 1;
				t->last_emsgsize += r == SMP_ROUNDS - 1;
			} else {
				t->other++;
			}
		}
	}
	t->ran_on = sched_getcpu();
	return NULL;
}

static void smp_round(const char *substep, struct smp_thread *t, size_t len)
{
	pthread_t th[2];
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, 2);
	for (int k = 0; k < 2; k++) {
		t[k].len = len;
		t[k].sent = t[k].emsgsize = t[k].other = t[k].late_sent = t[k].last_emsgsize = 0;
		t[k].start = &start;
		if (pthread_create(&th[k], NULL, smp_worker, &t[k]) != 0) {
			fail("%s: pthread_create failed", substep);
			if (k == 1)
				pthread_join(th[0], NULL);
			pthread_barrier_destroy(&start);
			return;
		}
	}
	for (int k = 0; k < 2; k++)
		pthread_join(th[k], NULL);
	pthread_barrier_destroy(&start);
	tun_drain();
	for (int k = 0; k < 2; k++)
		obs(substep, "thread=T%d cpu=%d pinned=%d ran_on=%d sent=%d emsgsize=%d other=%d late_sent=%d last_emsgsize=%d", k,
		    t[k].cpu, t[k].pinned, t[k].ran_on, t[k].sent, t[k].emsgsize, t[k].other, t[k].late_sent, t[k].last_emsgsize);
}

static void seed_two_cpus(void)
{
	struct smp_thread t[2];
	memset(t, 0, sizeof(t));
	/* main() pins the workload to CPU 0, and musl counts online CPUs in the affinity mask:
	 * widen it for the count (the threads pin themselves), narrow it again at the end. */
	cpu_set_t all, cpu0;
	CPU_ZERO(&all);
	for (int c = 0; c < 64; c++)
		CPU_SET(c, &all);
	sched_setaffinity(0, sizeof(all), &all);
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	sched_setaffinity(0, sizeof(cpu0), &cpu0);
	obs("setup", "cpus=%ld", ncpu);
	for (int k = 0; k < 2; k++) {
		t[k].cpu = ncpu > 1 ? k : 0;
		for (int i = 0; i < SMP_DESTS; i++) {
			char a[32];
			snprintf(a, sizeof(a), "203.0.113.%d", 110 + i);
			t[k].dst[i] = ip4(a);
			t[k].fds[i] = udp_connect(t[k].dst[i], UDP_PORT + k);
			if (t[k].fds[i] < 0) {
				fail("connect T%d/%d: %s", k, i, strerror(-t[k].fds[i]));
				return;
			}
		}
	}
	step("bind");
	smp_round("bind", t, 200);
	step("icmp");
	/* Every destination learns 1200 while both threads hold routes to it. */
	for (int i = 0; i < SMP_DESTS; i++) {
		char label[8];
		snprintf(label, sizeof(label), "D%d", i);
		if (frag_needed("icmp", label, t[0].fds[i], t[0].dst[i], ip4(ADDR_GW), 1200, 1400) < 0)
			return;
	}
	step("check");
	smp_round("check", t, 1400);
	for (int k = 0; k < 2; k++)
		for (int i = 0; i < SMP_DESTS; i++) {
			char label[8];
			snprintf(label, sizeof(label), "T%dD%d", k, i);
			observe_socket("check", label, t[k].fds[i]);
		}
	step("small");
	smp_round("small", t, 1000);
	for (int k = 0; k < 2; k++)
		for (int i = 0; i < SMP_DESTS; i++)
			close_hard(t[k].fds[i]);
}

const struct scenario SEED_SCENARIOS[] = {
	{ "seed-frag-needed", "an ICMP frag-needed teaches a socket's cached route the PMTU", seed_frag_needed },
	{ "seed-pmtu-lower", "a router further away lowers the learned PMTU", seed_pmtu_lower },
	{ "seed-pmtu-expires", "a learned PMTU expires after route/mtu_expires", seed_pmtu_expires },
	{ "seed-redirect", "a redirect from the gateway is applied, one to an off-link gateway refused, one from a stranger", seed_redirect },
	{ "seed-flush", "a route-cache flush, the old socket and a new one to the same destination", seed_flush },
	{ "seed-two-cpus", "two CPUs bind and check routes to the same destinations at once", seed_two_cpus },
};
const size_t N_SEED_SCENARIOS = sizeof(SEED_SCENARIOS) / sizeof(SEED_SCENARIOS[0]);
