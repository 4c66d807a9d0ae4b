/*
 * peerprop fixture header, written for peerprop (not kernel source).
 * Next-hop exceptions: what the routing cache used to remember per route,
 * kept per (next hop, destination) since 3.6.
 */
#ifndef _PEERPROP_FIXTURE_IP_FIB_H
#define _PEERPROP_FIXTURE_IP_FIB_H

#include <net/dst.h>
#include <net/route.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>

#define FNHE_HASH_SHIFT		11
#define FNHE_HASH_SIZE		(1 << FNHE_HASH_SHIFT)
#define FNHE_RECLAIM_DEPTH	5

struct fib_nh_exception {
	struct fib_nh_exception *fnhe_next;
	int fnhe_genid;
	__be32 fnhe_daddr;
	u32 fnhe_pmtu;
	bool fnhe_mtu_locked;
	__be32 fnhe_gw;
	unsigned long fnhe_expires;
	struct rtable *fnhe_rth_input;
	struct rtable *fnhe_rth_output;
	unsigned long fnhe_stamp;
	struct rcu_head rcu;
};

struct fnhe_hash_bucket {
	struct fib_nh_exception *chain;
};

struct fib_nh_common {
	struct net_device *nhc_dev;
	int nhc_oif;
	unsigned char nhc_scope;
	u8 nhc_family;
	u8 nhc_gw_family;
	__be32 nhc_gw4;
	struct rtable *nhc_rth_input;
	struct rtable **nhc_pcpu_rth_output;
	struct fnhe_hash_bucket *nhc_exceptions;
};

struct fib_result {
	__be32 prefix;
	unsigned char prefixlen;
	unsigned char nh_sel;
	unsigned char type;
	unsigned char scope;
	u32 tclassid;
	struct fib_nh_common *nhc;
	struct fib_info *fi;
};

#endif /* _PEERPROP_FIXTURE_IP_FIB_H */
