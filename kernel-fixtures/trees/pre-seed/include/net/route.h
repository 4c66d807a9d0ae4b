/*
 * peerprop fixture header, written for peerprop (not kernel source).
 * The cached IPv4 route as the routing cache of the 2.6.3x era keeps it.
 * Stage S0: a route may point at an inet_peer, but carries no peer
 * generation stamp yet.
 */
#ifndef _PEERPROP_FIXTURE_ROUTE_H
#define _PEERPROP_FIXTURE_ROUTE_H

#include <net/dst.h>
#include <net/inetpeer.h>
#include <net/flow.h>
#include <linux/in_route.h>
#include <linux/rtnetlink.h>

#define RTO_ONLINK	0x01

struct fib_nh;
struct inet_peer;

struct rtable {
	struct dst_entry dst;

	/* Lookup key. */
	__be32 rt_key_dst;
	__be32 rt_key_src;

	int rt_genid;
	unsigned int rt_flags;
	__u16 rt_type;
	__u8 rt_tos;

	__be32 rt_dst;
	__be32 rt_src;
	int rt_route_iif;
	int rt_iif;
	int rt_oif;
	__u32 rt_mark;

	/* Info on neighbour */
	__be32 rt_gateway;

	/* Miscellaneous cached information */
	__be32 rt_spec_dst;
	struct inet_peer *peer;
	struct fib_info *fi;
};

static inline int rt_is_input_route(struct rtable *rt)
{
	return rt->rt_route_iif != 0;
}

static inline int rt_is_output_route(struct rtable *rt)
{
	return rt->rt_route_iif == 0;
}

extern void rt_bind_peer(struct rtable *rt, int create);

extern int ip_rt_init(void);
extern void ip_rt_redirect(__be32 old_gw, __be32 dst, __be32 new_gw,
			   __be32 src, struct net_device *dev);
extern void rt_cache_flush(struct net *net, int how);
extern unsigned short ip_rt_frag_needed(struct net *net, struct iphdr *iph,
					unsigned short new_mtu,
					struct net_device *dev);
extern void ip_rt_send_redirect(struct sk_buff *skb);

static inline void ip_rt_put(struct rtable *rt)
{
	if (rt)
		dst_release(&rt->dst);
}

static inline struct inet_peer *rt_get_peer(struct rtable *rt)
{
	if (rt->peer)
		return rt->peer;

	rt_bind_peer(rt, 0);
	return rt->peer;
}

#endif /* _PEERPROP_FIXTURE_ROUTE_H */
