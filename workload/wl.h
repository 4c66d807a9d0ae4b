/*
 * tunwl: the in-VM workload of `peerprop conform`.
 *
 * A TUN device (IFF_TUN|IFF_NO_PI) plays the whole remote network: every packet the guest
 * sends is read back from the tun fd, and hand-built ICMP (fragmentation needed, redirect)
 * or TCP segments quoting those packets are written into it. Only documentation address
 * ranges are used (RFC 5737).
 *
 * Output protocol (stdout, and a copy in the file named by $WL_LOG), one record per line:
 *   @@WL_START scenarios=a,b,c
 *   @@SCENARIO_BEGIN <name>
 *   @@STEP <name> <substep>            (also written to trace_marker as "STEP <name> <substep>")
 *   @@OBS scenario=<name> step=<substep> key=value ...
 *   @@NOTE scenario=<name> <free text>
 *   @@ERROR scenario=<name> <free text>  (the workload could not do what the scenario needs)
 *   @@SCENARIO_END <name> rc=<0|1>
 *   @@WL_END rc=<n>
 * The workload never judges the kernel: it reports what a user would observe, the host decides.
 */
#ifndef TUNWL_H
#define TUNWL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <netinet/in.h>

#define TUN_NAME "tun0"
#define DEV_MTU 1500

/* Addresses (RFC 5737 documentation ranges only). */
#define ADDR_SELF "192.0.2.1"      /* the guest, on tun0 (192.0.2.0/24) */
#define ADDR_GW "192.0.2.2"        /* the gateway of every route */
#define ADDR_GW2 "192.0.2.3"       /* the better gateway a redirect points to */
#define ADDR_STRANGER "192.0.2.9"  /* on-link host that is not the route's gateway */
#define NET_A "198.51.100.0"       /* remote network A, /24 via ADDR_GW */
#define NET_B "203.0.113.0"        /* remote network B, /24 via ADDR_GW */

struct wl_state {
	int tun;              /* the tun fd */
	int marker;           /* trace_marker fd, -1 if tracing is not available */
	const char *scenario; /* the scenario running now */
	const char *drop;     /* test hook: the scenario whose first injection is dropped */
	int dropped;          /* the hook already fired in this scenario */
	int failed;           /* the current scenario hit an @@ERROR */
};
extern struct wl_state W;

/* output.c */
void out_open(const char *log_path);
void emit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void step(const char *substep);
void obs(const char *substep, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *ipstr(in_addr_t a);
in_addr_t ip4(const char *dotted);

/* netdev.c */
int sysctl_write(const char *path, const char *value);
int tun_open(const char *name);
int if_configure(const char *name, const char *addr, int prefix, int mtu);
int route_add(const char *net, int prefix, const char *gw, const char *dev);
int route_del(const char *net, int prefix, const char *gw, const char *dev);
int route_cache_flush(void);

/* routeget.c: what `ip route get DST` prints. */
struct route_info {
	int ok;
	in_addr_t gateway; /* 0: directly connected */
	int oif;
	unsigned mtu;      /* 0: no MTU metric on the route (device MTU applies) */
	int mtu_locked;
};
int route_get(in_addr_t dst, struct route_info *ri);
int route_get_from(in_addr_t dst, in_addr_t src, struct route_info *ri);

/* packet.c */
#define PKT_MAX 2048
struct pkt {
	uint8_t b[PKT_MAX];
	ssize_t len; /* <= 0: nothing read */
};
uint16_t inet_csum(const void *data, size_t len, uint32_t sum);
int tun_read_match(in_addr_t dst, int proto, int timeout_ms, struct pkt *p);
void tun_drain(void);
unsigned pkt_ip_len(const struct pkt *p);
int inject_frag_needed(in_addr_t from, const struct pkt *orig, unsigned mtu);
int inject_redirect(in_addr_t from, const struct pkt *orig, in_addr_t new_gw);
int inject_tcp_synack(const struct pkt *syn, uint32_t isn, uint16_t mss);
int inject_tcp_ack(const struct pkt *seg, uint32_t seq);

/* sock.c */
int udp_connect(in_addr_t dst, uint16_t port);
int tcp_connect_played(in_addr_t dst, uint16_t port, struct pkt *syn);
int ip_mtu(int fd);
int so_error(int fd);
int send_len(int fd, size_t len);
int send_capture(const char *substep, const char *label, int fd, size_t len, in_addr_t dst, int proto, struct pkt *p);
void observe_socket(const char *substep, const char *label, int fd);
void observe_route(const char *substep, const char *label, in_addr_t dst);
void close_hard(int fd);

/* kallsyms.c */
int kallsyms_scan(int n, char **want, char **found);
int kallsyms_main(int n, char **want);

/* probes.c */
int register_main(int argc, char **argv);

/* scenarios.c */
struct scenario {
	const char *name;
	const char *what;
	void (*run)(void);
};
extern const struct scenario SCENARIOS[];
extern const size_t N_SCENARIOS;

/* seed.c: the seed-era scenarios (routing cache + inetpeer kernels, 2.6.39 .. 3.5). */
extern const struct scenario SEED_SCENARIOS[];
extern const size_t N_SEED_SCENARIOS;

/* smp.c: several CPUs on the same routes at once (modern kernels, conform --smp N). */
extern const struct scenario SMP_SCENARIOS[];
extern const size_t N_SMP_SCENARIOS;

#endif
