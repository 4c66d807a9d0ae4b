/*
 * peerprop fixture header, written for peerprop (not kernel source).
 * The long-lived per-destination state that routes attach to: one
 * entry per remote IPv4 address, reference counted, looked up by
 * inet_getpeer_v4().  Shape follows the 2.6.38/2.6.39 era.
 */
#ifndef _PEERPROP_FIXTURE_INETPEER_H
#define _PEERPROP_FIXTURE_INETPEER_H

#include <linux/types.h>
#include <linux/jiffies.h>
#include <linux/spinlock.h>
#include <linux/rtnetlink.h>
#include <asm/atomic.h>

struct inetpeer_addr {
	__be32 a4;
	__u16 family;
};

struct inet_peer {
	struct inet_peer *avl_left;
	struct inet_peer *avl_right;
	struct inetpeer_addr daddr;
	__u32 avl_height;
	struct list_head unused;
	__u32 dtime;
	atomic_t refcnt;
	u32 metrics[RTAX_MAX];
	u32 rate_tokens;
	unsigned long rate_last;
	unsigned long pmtu_expires;
	u32 pmtu_orig;
	u32 pmtu_learned;
	struct inetpeer_addr redirect_learned;
	atomic_t rid;
	atomic_t ip_id_count;
	__u32 tcp_ts;
	__u32 tcp_ts_stamp;
};

void inet_initpeers(void);

struct inet_peer *inet_getpeer(struct inetpeer_addr *daddr, int create);

static inline struct inet_peer *inet_getpeer_v4(__be32 v4daddr, int create)
{
	struct inetpeer_addr daddr;

	daddr.a4 = v4daddr;
	daddr.family = AF_INET;
	return inet_getpeer(&daddr, create);
}

void inet_putpeer(struct inet_peer *p);

static inline __u16 inet_getid(struct inet_peer *p, int more)
{
	more++;
	return atomic_add_return(more, &p->ip_id_count) - more;
}

#endif /* _PEERPROP_FIXTURE_INETPEER_H */
