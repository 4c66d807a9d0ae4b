/*
 * tunwl [SCENARIO...]: set up tun0 and run the named scenarios (all by default).
 * tunwl --kallsyms SYM...: the guest's one-pass symbol check (kallsyms.c).
 * tunwl --register TRACEFS PROBES [SYMBOLS]: symbol check and probe registration (probes.c).
 * Environment: WL_LOG=<file> (copy of the output), WL_MARKER=<trace_marker path>,
 * peerprop_drop=<scenario> (test hook: its first ICMP injection is not written; the
 * kernel passes unknown `key=value` boot parameters to init's environment).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wl.h"

struct wl_state W = { .tun = -1, .marker = -1, .scenario = "setup" };

static int setup(void)
{
	/* Documented in ../shared/reference/qemu-kernels.md: without these a redirect to a
	 * non-default gateway is refused, and IPv6 would add its own packets on the tun fd. */
	static const char *const sysctls[][2] = {
		{ "/proc/sys/net/ipv6/conf/all/disable_ipv6", "1" },
		{ "/proc/sys/net/ipv6/conf/default/disable_ipv6", "1" },
		{ "/proc/sys/net/ipv4/conf/all/accept_redirects", "1" },
		{ "/proc/sys/net/ipv4/conf/default/accept_redirects", "1" },
		{ "/proc/sys/net/ipv4/conf/all/secure_redirects", "0" },
		{ "/proc/sys/net/ipv4/conf/default/secure_redirects", "0" },
		{ "/proc/sys/net/ipv4/conf/all/rp_filter", "0" },
		{ "/proc/sys/net/ipv4/conf/default/rp_filter", "0" },
	};
	step("sysctl");
	for (size_t i = 0; i < sizeof(sysctls) / sizeof(sysctls[0]); i++) {
		int e = sysctl_write(sysctls[i][0], sysctls[i][1]);
		if (e && e != -ENOENT) /* no IPv6 in the kernel is fine */
			note("sysctl %s=%s: %s", sysctls[i][0], sysctls[i][1], strerror(-e));
	}
	step("tun");
	W.tun = tun_open(TUN_NAME);
	if (W.tun < 0) {
		fail("cannot create %s: %s", TUN_NAME, strerror(-W.tun));
		return -1;
	}
	int e = if_configure(TUN_NAME, ADDR_SELF, 24, DEV_MTU);
	if (!e)
		e = route_add(NET_A, 24, ADDR_GW, TUN_NAME);
	if (!e)
		e = route_add(NET_B, 24, ADDR_GW, TUN_NAME);
	if (e) {
		fail("cannot configure %s: %s", TUN_NAME, strerror(-e));
		return -1;
	}
	/* Per-device copies exist once the device does: set them too. */
	sysctl_write("/proc/sys/net/ipv4/conf/" TUN_NAME "/accept_redirects", "1");
	sysctl_write("/proc/sys/net/ipv4/conf/" TUN_NAME "/secure_redirects", "0");
	sysctl_write("/proc/sys/net/ipv4/conf/" TUN_NAME "/rp_filter", "0");
	tun_drain();
	obs("setup", "self=%s gw=%s gw2=%s stranger=%s dev_mtu=%d", ADDR_SELF, ADDR_GW, ADDR_GW2, ADDR_STRANGER, DEV_MTU);
	return 0;
}

static const struct scenario *find(const char *name)
{
	for (size_t i = 0; i < N_SCENARIOS; i++)
		if (strcmp(SCENARIOS[i].name, name) == 0)
			return &SCENARIOS[i];
	for (size_t i = 0; i < N_SEED_SCENARIOS; i++)
		if (strcmp(SEED_SCENARIOS[i].name, name) == 0)
			return &SEED_SCENARIOS[i];
	for (size_t i = 0; i < N_SMP_SCENARIOS; i++)
		if (strcmp(SMP_SCENARIOS[i].name, name) == 0)
			return &SMP_SCENARIOS[i];
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--kallsyms") == 0)
		return kallsyms_main(argc - 2, argv + 2);
	if (argc > 1 && strcmp(argv[1], "--register") == 0)
		return register_main(argc - 2, argv + 2);
	out_open(getenv("WL_LOG"));
	const char *marker = getenv("WL_MARKER");
	if (marker && *marker)
		W.marker = open(marker, O_WRONLY | O_CLOEXEC);
	const char *drop = getenv("peerprop_drop");
	W.drop = drop && *drop ? drop : NULL;

	const struct scenario *todo[64];
	size_t n = 0;
	if (argc > 1) {
		for (int i = 1; i < argc && n < 64; i++) {
			const struct scenario *s = find(argv[i]);
			if (!s) {
				emit("@@ERROR scenario=%s unknown scenario", argv[i]);
				emit("@@WL_END rc=2");
				return 2;
			}
			todo[n++] = s;
		}
	} else {
		for (size_t i = 0; i < N_SCENARIOS && n < 64; i++)
			todo[n++] = &SCENARIOS[i];
	}

	char list[1024] = "";
	for (size_t i = 0; i < n; i++) {
		strncat(list, i ? "," : "", sizeof(list) - strlen(list) - 1);
		strncat(list, todo[i]->name, sizeof(list) - strlen(list) - 1);
	}
	emit("@@WL_START scenarios=%s marker=%d drop=%s", list, W.marker >= 0, W.drop ? W.drop : "-");

	/* Every scenario on one CPU (the two-CPU one pins its own threads): on kernels whose trace
	 * clock ticks in jiffies, the order of two CPUs' events within a tick is unknown. */
	cpu_set_t cpu0;
	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	sched_setaffinity(0, sizeof(cpu0), &cpu0);

	emit("@@SCENARIO_BEGIN setup");
	if (setup() < 0) {
		emit("@@SCENARIO_END setup rc=1");
		emit("@@WL_END rc=1");
		return 1;
	}
	emit("@@SCENARIO_END setup rc=0");

	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		W.scenario = todo[i]->name;
		W.dropped = 0;
		W.failed = 0;
		emit("@@SCENARIO_BEGIN %s", W.scenario);
		step("begin");
		todo[i]->run();
		tun_drain();
		step("end");
		emit("@@SCENARIO_END %s rc=%d", W.scenario, W.failed);
		rc |= W.failed;
	}
	emit("@@WL_END rc=%d", rc);
	return rc;
}
