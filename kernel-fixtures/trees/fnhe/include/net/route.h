/*
 * peerprop fixture header, written for peerprop (not kernel source).
 * The IPv4 route after the routing cache was removed (3.6 and later):
 * no inet_peer pointer and no peer generation; learned PMTU and redirects
 * live in per-nexthop exceptions (struct fib_nh_exception).
 */
#ifndef _PEERPROP_FIXTURE_ROUTE_H
#define _PEERPROP_FIXTURE_ROUTE_H

#include <net/dst.h>
#include <net/flow.h>
#include <net/net_namespace.h>
#include <linux/in_route.h>
#include <linux/rtnetlink.h>

#define RTO_ONLINK	0x01

struct fib_nh;
struct fib_info;

struct rtable {
	struct dst_entry dst;

	int rt_genid;
	unsigned int rt_flags;
	__u16 rt_type;
	__u8 rt_is_input;
	__u8 rt_uses_gateway;

	int rt_iif;

	u8 rt_gw_family;
	/* Info on neighbour */
	__be32 rt_gw4;

	/* Miscellaneous cached information */
	u32 rt_mtu_locked:1,
	    rt_pmtu:31;
};

static inline bool rt_is_input_route(const struct rtable *rt)
{
	return rt->rt_is_input != 0;
}

static inline bool rt_is_output_route(const struct rtable *rt)
{
	return rt->rt_is_input == 0;
}

int ip_rt_init(void);
void rt_cache_flush(struct net *net);
void ip_rt_update_pmtu(struct dst_entry *dst, struct sock *sk,
		       struct sk_buff *skb, u32 mtu, bool confirm_neigh);
void ip_do_redirect(struct dst_entry *dst, struct sock *sk,
		    struct sk_buff *skb);

static inline void ip_rt_put(struct rtable *rt)
{
	dst_release(&rt->dst);
}

#endif /* _PEERPROP_FIXTURE_ROUTE_H */
