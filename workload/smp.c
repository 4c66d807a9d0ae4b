/*
 * Several CPUs on the same routes at once (modern kernels, conform --smp N):
 *
 *   smp-pmtu   two threads, each pinned to its own CPU, keep sending on connected UDP sockets to
 *              the same four destinations (every send checks the socket's cached route) while
 *              the main thread injects a frag-needed for each destination: exceptions are
 *              created and next-hop routes killed while both CPUs check them.
 *
 * Observations (besides the common ones):
 *   thread=T<k> cpu=N pinned=0|1 ran_on=N sent=N emsgsize=N other=N
 *   sock=T<k>D<i> ip_mtu=M, then send=1400 ret=R and send=1100 ret=R tun_len=L after the race;
 *   step heal: sock=... inject=frag_needed, send=1400 ret=R, ip_mtu=M for a socket whose 1400 went out
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "wl.h"

#define SMP_DESTS 4
#define SMP_ROUNDS 60
#define SMP_PORT 9300

struct smp_sender {
	int cpu, pinned, ran_on;
	int fds[SMP_DESTS];
	int sent, emsgsize, other;
	pthread_barrier_t *start;
	volatile int *stop;
};

static void *smp_send_loop(void *arg)
{
	struct smp_sender *t = arg;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(t->cpu, &set);
	t->pinned = sched_setaffinity(0, sizeof(set), &set) == 0;
	pthread_barrier_wait(t->start);
	/* Until the main thread is done injecting, and at least SMP_ROUNDS rounds. */
	for (int r = 0; r < SMP_ROUNDS || !*t->stop; r++) {
		for (int i = 0; i < SMP_DESTS; i++) {
			int n = send_len(t->fds[i], 1000);
			if (n >= 0)
				t->sent++;
			else if (n == -EMSGSIZE)
				t->emsgsize++;
			else
				t->other++;
		}
		if (r > 100000)
			break;
	}
	t->ran_on = sched_getcpu();
	return NULL;
}

static in_addr_t smp_dst(int i)
{
	char a[32];
	snprintf(a, sizeof(a), "203.0.113.%d", 120 + i);
	return ip4(a);
}

static void smp_pmtu(void)
{
	struct smp_sender t[2];
	memset(t, 0, sizeof(t));
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	obs("setup", "cpus=%ld", ncpu);
	for (int k = 0; k < 2; k++) {
		t[k].cpu = ncpu > 1 ? k : 0;
		for (int i = 0; i < SMP_DESTS; i++) {
			t[k].fds[i] = udp_connect(smp_dst(i), SMP_PORT + k);
			if (t[k].fds[i] < 0) {
				fail("connect T%d/%d: %s", k, i, strerror(-t[k].fds[i]));
				return;
			}
		}
	}
	/* The packets the ICMP errors will quote: one 1400-byte datagram per destination, from T0's socket. */
	step("capture");
	struct pkt quoted[SMP_DESTS];
	for (int i = 0; i < SMP_DESTS; i++) {
		char label[8];
		snprintf(label, sizeof(label), "T0D%d", i);
		send_capture("capture", label, t[0].fds[i], 1400, smp_dst(i), IPPROTO_UDP, &quoted[i]);
		if (quoted[i].len <= 0) {
			fail("capture: no packet from socket %s on the tun fd", label);
			return;
		}
	}
	step("race");
	volatile int stop = 0;
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, 3);
	pthread_t th[2];
	int started = 0;
	for (int k = 0; k < 2; k++) {
		t[k].start = &start;
		t[k].stop = &stop;
		if (pthread_create(&th[k], NULL, smp_send_loop, &t[k]) != 0) {
			fail("race: pthread_create failed");
			break;
		}
		started++;
	}
	if (started < 2) {
		/* The barrier counts three: release the thread that started, then give up. */
		stop = 1;
		if (started == 1) {
			pthread_barrier_wait(&start);
			pthread_join(th[0], NULL);
		}
		pthread_barrier_destroy(&start);
		return;
	}
	pthread_barrier_wait(&start);
	/* While both CPUs send (and check), every destination learns 1200 from the gateway. */
	for (int i = 0; i < SMP_DESTS; i++) {
		int e = inject_frag_needed(ip4(ADDR_GW), &quoted[i], 1200);
		obs("race", "dst=%s inject=frag_needed mtu=1200 ret=%d", ipstr(smp_dst(i)), e);
		usleep(2000);
	}
	stop = 1;
	for (int k = 0; k < 2; k++)
		pthread_join(th[k], NULL);
	pthread_barrier_destroy(&start);
	tun_drain();
	for (int k = 0; k < 2; k++)
		obs("race", "thread=T%d cpu=%d pinned=%d ran_on=%d sent=%d emsgsize=%d other=%d", k, t[k].cpu, t[k].pinned,
		    t[k].ran_on, t[k].sent, t[k].emsgsize, t[k].other);
	/* Every socket of both CPUs now knows the MTU: 1400 is refused, 1100 goes out. */
	step("after");
	for (int k = 0; k < 2; k++)
		for (int i = 0; i < SMP_DESTS; i++) {
			char label[8];
			struct pkt p;
			snprintf(label, sizeof(label), "T%dD%d", k, i);
			int r = send_capture("after", label, t[k].fds[i], 1400, smp_dst(i), IPPROTO_UDP, &p);
			observe_socket("after", label, t[k].fds[i]);
			if (r >= 0 && p.len > 0) {
				/*
				 * The datagram went out at the old MTU: a route this socket cached on the
				 * other CPU while the exception was being created can miss it (the kernel
				 * kills the next hop's cached routes before a racing lookup caches its own).
				 * A router on the path answers such a datagram with another frag-needed:
				 * play it, and the socket must learn then (PMTU discovery heals itself).
				 */
				struct pkt again;
				int e = inject_frag_needed(ip4(ADDR_GW), &p, 1200);
				obs("heal", "sock=%s inject=frag_needed mtu=1200 ret=%d", label, e);
				send_capture("heal", label, t[k].fds[i], 1400, smp_dst(i), IPPROTO_UDP, &again);
				observe_socket("heal", label, t[k].fds[i]);
			}
		}
	step("small");
	for (int k = 0; k < 2; k++)
		for (int i = 0; i < SMP_DESTS; i++) {
			char label[8];
			struct pkt p;
			snprintf(label, sizeof(label), "T%dD%d", k, i);
			send_capture("small", label, t[k].fds[i], 1100, smp_dst(i), IPPROTO_UDP, &p);
		}
	for (int k = 0; k < 2; k++)
		for (int i = 0; i < SMP_DESTS; i++)
			close_hard(t[k].fds[i]);
}

const struct scenario SMP_SCENARIOS[] = {
	{ "smp-pmtu", "two CPUs send on routes to the same destinations while each learns a PMTU", smp_pmtu },
};
const size_t N_SMP_SCENARIOS = sizeof(SMP_SCENARIOS) / sizeof(SMP_SCENARIOS[0]);
