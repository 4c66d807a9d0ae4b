/*
 * peerprop fixture header, written for peerprop (not kernel source).
 * Only the per-namespace generation counters that route.c uses.
 */
#ifndef _PEERPROP_FIXTURE_NET_NAMESPACE_H
#define _PEERPROP_FIXTURE_NET_NAMESPACE_H

#include <linux/atomic.h>

struct netns_ipv4 {
	atomic_t rt_genid;
	atomic_t dev_addr_genid;
};

struct net {
	struct netns_ipv4 ipv4;
	atomic_t fnhe_genid;
};

static inline int rt_genid_ipv4(const struct net *net)
{
	return atomic_read(&net->ipv4.rt_genid);
}

/* Every cached dst of the namespace fails its next check. */
static inline void rt_genid_bump_ipv4(struct net *net)
{
	atomic_inc(&net->ipv4.rt_genid);
}

static inline int fnhe_genid(const struct net *net)
{
	return atomic_read(&net->fnhe_genid);
}

/* Exceptions created before this call are reset when next used. */
static inline void fnhe_genid_bump(struct net *net)
{
	atomic_inc(&net->fnhe_genid);
}

#endif /* _PEERPROP_FIXTURE_NET_NAMESPACE_H */
