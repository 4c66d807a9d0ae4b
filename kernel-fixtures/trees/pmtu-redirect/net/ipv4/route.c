/*
 * peerprop fixture: net/ipv4/route.c, stage S2 "pmtu-redirect" (the shape of
 * 2.6.39 .. 3.1: the seed's generation ID plus its first bumpers).  Written
 * for peerprop in kernel style; it is NOT kernel source.  Learned PMTU and
 * redirects live in the inet_peer; ip_rt_frag_needed(), ip_rt_update_pmtu()
 * (only when it learns) and ip_rt_redirect() bump __rt_peer_genid, and
 * ipv4_dst_check() applies what the peer learned when the route's stamp is
 * stale.  rt_bind_peer(), rt_peer_genid() and ipv4_dst_check() use plain
 * statements only, so that a small C evaluator can run them.
 */

#include <linux/module.h>
#include <linux/types.h>
#include <linux/kernel.h>
#include <linux/jiffies.h>
#include <linux/spinlock.h>
#include <linux/skbuff.h>
#include <linux/netdevice.h>
#include <linux/inetdevice.h>
#include <linux/random.h>
#include <net/dst.h>
#include <net/ip.h>
#include <net/icmp.h>
#include <net/route.h>
#include <net/inetpeer.h>
#include <net/ip_fib.h>
#include <net/netevent.h>

#define RT_HASH_SIZE		256
#define RT_GC_TIMEOUT		(300 * HZ)
#define RT_FL_TOS(oldflp)	((oldflp)->fl4_tos & (IPTOS_RT_MASK | RTO_ONLINK))

static int ip_rt_max_size = 16384;
static int ip_rt_gc_timeout = RT_GC_TIMEOUT;
static int ip_rt_redirect_number = 9;
static int ip_rt_redirect_load = HZ / 50;
static int ip_rt_redirect_silence = (HZ / 50) << (9 + 1);
static int ip_rt_mtu_expires = 10 * 60 * HZ;
static int ip_rt_min_pmtu = 512 + 20 + 20;
static int ip_rt_min_advmss = 256;

static struct dst_entry *ipv4_dst_check(struct dst_entry *dst, u32 cookie);
static void ipv4_dst_destroy(struct dst_entry *dst);
static struct dst_entry *ipv4_negative_advice(struct dst_entry *dst);
static void ipv4_link_failure(struct sk_buff *skb);
static void ip_rt_update_pmtu(struct dst_entry *dst, u32 mtu);

static struct dst_ops ipv4_dst_ops = {
	.family =		AF_INET,
	.protocol =		cpu_to_be16(ETH_P_IP),
	.check =		ipv4_dst_check,
	.destroy =		ipv4_dst_destroy,
	.negative_advice =	ipv4_negative_advice,
	.link_failure =		ipv4_link_failure,
	.update_pmtu =		ip_rt_update_pmtu,
};

/*
 * The route cache: a hash of chains, each chain protected by its own lock.
 * Readers walk the chains under RCU.
 */
struct rt_hash_bucket {
	struct rtable *chain;
	spinlock_t lock;
};

static struct rt_hash_bucket rt_hash_table[RT_HASH_SIZE];

static inline int rt_genid(struct net *net)
{
	return atomic_read(&net->ipv4.rt_genid);
}

/* A route is expired once the cache generation of its namespace moved on. */
static inline int rt_is_expired(struct rtable *rth)
{
	return rth->rt_genid != rt_genid(dev_net(rth->dst.dev));
}

static unsigned int rt_hash(__be32 daddr, __be32 saddr, int idx, int genid)
{
	u32 h = (u32)daddr ^ ((u32)saddr << 5) ^ (u32)idx;

	h ^= (u32)genid;
	return h & (RT_HASH_SIZE - 1);
}

static inline int compare_keys(struct rtable *rt1, struct rtable *rt2)
{
	return ((rt1->rt_key_dst ^ rt2->rt_key_dst) |
		(rt1->rt_key_src ^ rt2->rt_key_src) |
		(rt1->rt_mark ^ rt2->rt_mark) |
		(rt1->rt_tos ^ rt2->rt_tos) |
		(rt1->rt_oif ^ rt2->rt_oif) |
		(rt1->rt_iif ^ rt2->rt_iif)) == 0;
}

static void rt_free(struct rtable *rt)
{
	call_rcu_bh(&rt->dst.rcu_head, dst_rcu_free);
}

static void rt_drop(struct rtable *rt)
{
	ip_rt_put(rt);
	call_rcu_bh(&rt->dst.rcu_head, dst_rcu_free);
}

/*
 * Every cached route of the namespace becomes expired at once: its rt_genid
 * no longer matches, and ipv4_dst_check() refuses it.
 */
static void rt_cache_invalidate(struct net *net)
{
	unsigned char shuffle;

	get_random_bytes(&shuffle, sizeof(shuffle));
	atomic_add(shuffle + 1U, &net->ipv4.rt_genid);
}

static void rt_do_flush(struct net *net, int process_context)
{
	unsigned int i;
	struct rtable *rth, *next;

	for (i = 0; i < RT_HASH_SIZE; i++) {
		if (process_context && need_resched())
			cond_resched();
		spin_lock_bh(&rt_hash_table[i].lock);
		rth = rt_hash_table[i].chain;
		rt_hash_table[i].chain = NULL;
		spin_unlock_bh(&rt_hash_table[i].lock);

		for (; rth; rth = next) {
			next = rth->dst.rt_next;
			rt_free(rth);
		}
	}
}

void rt_cache_flush(struct net *net, int delay)
{
	rt_cache_invalidate(net);
	if (delay >= 0)
		rt_do_flush(net, !in_softirq());
}

static void rt_del(unsigned int hash, struct rtable *rt)
{
	struct rtable **rthp, *aux;

	rthp = &rt_hash_table[hash].chain;
	spin_lock_bh(&rt_hash_table[hash].lock);
	ip_rt_put(rt);
	while ((aux = *rthp) != NULL) {
		if (aux == rt || rt_is_expired(aux)) {
			*rthp = aux->dst.rt_next;
			rt_free(aux);
			continue;
		}
		rthp = &aux->dst.rt_next;
	}
	spin_unlock_bh(&rt_hash_table[hash].lock);
}

/*
 * Insert a freshly built route into its chain, or hand back the equal route
 * that is already cached there.
 */
static int rt_intern_hash(unsigned int hash, struct rtable *rt,
			  struct rtable **rp)
{
	struct rtable *rth, **rthp;

	spin_lock_bh(&rt_hash_table[hash].lock);
	rthp = &rt_hash_table[hash].chain;
	while ((rth = *rthp) != NULL) {
		if (rt_is_expired(rth)) {
			*rthp = rth->dst.rt_next;
			rt_free(rth);
			continue;
		}
		if (compare_keys(rth, rt)) {
			dst_use(&rth->dst, jiffies);
			spin_unlock_bh(&rt_hash_table[hash].lock);
			rt_drop(rt);
			*rp = rth;
			return 0;
		}
		rthp = &rth->dst.rt_next;
	}

	rt->dst.rt_next = rt_hash_table[hash].chain;
	rt_hash_table[hash].chain = rt;
	spin_unlock_bh(&rt_hash_table[hash].lock);
	*rp = rt;
	return 0;
}

static atomic_t __rt_peer_genid = ATOMIC_INIT(0);

static u32 rt_peer_genid(void)
{
	return atomic_read(&__rt_peer_genid);
}

void rt_bind_peer(struct rtable *rt, int create)
{
	struct inet_peer *peer;

	peer = inet_getpeer_v4(rt->rt_dst, create);

	if (peer && cmpxchg(&rt->peer, NULL, peer) != NULL)
		inet_putpeer(peer);
	else
		rt->rt_peer_genid = rt_peer_genid();
}

/*
 * IP identifiers for packets whose route has no peer: one global counter,
 * mixed with the destination so that neighbours do not see a sequence.
 */
static DEFINE_SPINLOCK(ip_fb_id_lock);
static u32 ip_fallback_id;

static void ip_select_fb_ident(struct iphdr *iph)
{
	u32 id;

	spin_lock_bh(&ip_fb_id_lock);
	ip_fallback_id = ip_fallback_id * 1103515245U + 12345U;
	id = ip_fallback_id ^ (u32)iph->daddr;
	spin_unlock_bh(&ip_fb_id_lock);
	iph->id = htons(id & 0xFFFF);
}

void __ip_select_ident(struct iphdr *iph, struct dst_entry *dst, int more)
{
	struct rtable *rt = (struct rtable *) dst;

	if (rt) {
		if (rt->peer == NULL)
			rt_bind_peer(rt, 1);

		/* The peer is never detached from a live route: no lock. */
		if (rt->peer) {
			iph->id = htons(inet_getid(rt->peer, more));
			return;
		}
	}
	ip_select_fb_ident(iph);
}

/*
 * A router told us to use another gateway for daddr.  The redirect is kept
 * in the destination's peer (created if needed); cached routes learn it the
 * next time ipv4_dst_check() sees that the peer generation moved.
 */
void ip_rt_redirect(__be32 old_gw, __be32 daddr, __be32 new_gw,
		    __be32 saddr, struct net_device *dev)
{
	struct in_device *in_dev = __in_dev_get_rcu(dev);
	struct inet_peer *peer;

	if (!in_dev)
		return;
	if (new_gw == old_gw || !IN_DEV_RX_REDIRECTS(in_dev))
		goto reject_redirect;
	if (ipv4_is_multicast(new_gw) || ipv4_is_lbcast(new_gw) ||
	    ipv4_is_zeronet(new_gw))
		goto reject_redirect;
	if (!IN_DEV_SHARED_MEDIA(in_dev)) {
		if (!inet_addr_onlink(in_dev, new_gw, old_gw))
			goto reject_redirect;
	}

	peer = inet_getpeer_v4(daddr, 1);
	if (peer) {
		peer->redirect_learned.a4 = new_gw;
		inet_putpeer(peer);
		atomic_inc(&__rt_peer_genid);
	}
	return;

reject_redirect:
	if (net_ratelimit())
		printk(KERN_INFO "Redirect from %pI4 ignored\n", &old_gw);
}

static struct dst_entry *ipv4_negative_advice(struct dst_entry *dst)
{
	struct rtable *rt = (struct rtable *) dst;
	struct dst_entry *ret = dst;

	if (rt) {
		if (dst->obsolete > 0) {
			ip_rt_put(rt);
			ret = NULL;
		} else if (rt->rt_flags & RTCF_REDIRECTED) {
			unsigned int hash = rt_hash(rt->rt_key_dst,
						    rt->rt_key_src,
						    rt->rt_oif, rt_genid(dev_net(dst->dev)));
			rt_del(hash, rt);
			ret = NULL;
		} else if (rt->peer && rt->peer->pmtu_expires &&
			   time_after_eq(jiffies, rt->peer->pmtu_expires)) {
			unsigned long orig = rt->peer->pmtu_expires;

			if (cmpxchg(&rt->peer->pmtu_expires, orig, 0) == orig)
				dst_metric_set(dst, RTAX_MTU, rt->peer->pmtu_orig);
		}
	}
	return ret;
}

/* The PMTU plateau table of RFC 1191, for routers that do not say. */
static const unsigned short mtu_plateau[] = {
	32000, 17914, 8166, 4352, 2002, 1492, 576, 296, 216, 128
};

static inline unsigned short guess_mtu(unsigned short old_mtu)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(mtu_plateau); i++)
		if (old_mtu > mtu_plateau[i])
			return mtu_plateau[i];
	return 68;
}

/*
 * ICMP "fragmentation needed": remember the smaller MTU in the peer of the
 * destination (created if needed) and bump the peer generation so that
 * every cached route to it revalidates.
 */
unsigned short ip_rt_frag_needed(struct net *net, struct iphdr *iph,
				 unsigned short new_mtu,
				 struct net_device *dev)
{
	unsigned short old_mtu = ntohs(iph->tot_len);
	unsigned short est_mtu = 0;
	struct inet_peer *peer;

	peer = inet_getpeer_v4(iph->daddr, 1);
	if (peer) {
		unsigned short mtu = new_mtu;

		if (new_mtu < 68 || new_mtu >= old_mtu) {
			/* Some stacks report a zero MTU and a tot_len that
			 * already includes the header: undo that first.
			 */
			if (mtu == 0 &&
			    old_mtu >= 68 + (iph->ihl << 2))
				old_mtu -= iph->ihl << 2;
			mtu = guess_mtu(old_mtu);
		}

		if (mtu < ip_rt_min_pmtu)
			mtu = ip_rt_min_pmtu;
		if (!peer->pmtu_expires || mtu < peer->pmtu_learned) {
			unsigned long pmtu_expires;

			pmtu_expires = jiffies + ip_rt_mtu_expires;
			if (!pmtu_expires)
				pmtu_expires = 1UL;

			est_mtu = mtu;
			peer->pmtu_learned = mtu;
			peer->pmtu_expires = pmtu_expires;
		}

		inet_putpeer(peer);

		atomic_inc(&__rt_peer_genid);
	}
	return est_mtu ? : new_mtu;
}

/* Apply (or, once expired, unwind) the PMTU that the peer learned. */
static void check_peer_pmtu(struct dst_entry *dst, struct inet_peer *peer)
{
	unsigned long expires = peer->pmtu_expires;

	if (time_before(jiffies, expires)) {
		u32 orig_dst_mtu = dst_mtu(dst);

		if (peer->pmtu_learned < orig_dst_mtu) {
			if (!peer->pmtu_orig)
				peer->pmtu_orig = dst_metric_raw(dst, RTAX_MTU);
			dst_metric_set(dst, RTAX_MTU, peer->pmtu_learned);
		}
	} else if (cmpxchg(&peer->pmtu_expires, expires, 0) == expires)
		dst_metric_set(dst, RTAX_MTU, peer->pmtu_orig);
}

static void ip_rt_update_pmtu(struct dst_entry *dst, u32 mtu)
{
	struct rtable *rt = (struct rtable *) dst;
	struct inet_peer *peer;

	dst_confirm(dst);

	if (!rt->peer)
		rt_bind_peer(rt, 1);
	peer = rt->peer;
	if (peer) {
		if (mtu < ip_rt_min_pmtu)
			mtu = ip_rt_min_pmtu;
		if (!peer->pmtu_expires || mtu < peer->pmtu_learned) {
			unsigned long pmtu_expires;

			pmtu_expires = jiffies + ip_rt_mtu_expires;
			if (!pmtu_expires)
				pmtu_expires = 1UL;

			peer->pmtu_learned = mtu;
			peer->pmtu_expires = pmtu_expires;

			atomic_inc(&__rt_peer_genid);
			rt->rt_peer_genid = rt_peer_genid();
		}
		check_peer_pmtu(dst, peer);
	}
}

/*
 * Switch the route to the gateway the peer learned from a redirect.
 * Fails with -EAGAIN while the new gateway has no usable neighbour yet.
 */
static int check_peer_redir(struct dst_entry *dst, struct inet_peer *peer)
{
	struct rtable *rt = (struct rtable *) dst;
	__be32 orig_gw = rt->rt_gateway;
	struct neighbour *n;

	dst_confirm(&rt->dst);

	neigh_release(rt->dst.neighbour);
	rt->dst.neighbour = NULL;

	rt->rt_gateway = peer->redirect_learned.a4;
	n = ipv4_neigh_lookup(&rt->dst, rt->rt_gateway);
	if (!n) {
		rt->rt_gateway = orig_gw;
		return -EAGAIN;
	}
	rt->dst.neighbour = n;
	rt->rt_flags |= RTCF_REDIRECTED;
	call_netevent_notifiers(NETEVENT_NEIGH_UPDATE, n);
	return 0;
}

static struct dst_entry *ipv4_dst_check(struct dst_entry *dst, u32 cookie)
{
	struct rtable *rt = (struct rtable *) dst;

	if (rt_is_expired(rt))
		return NULL;
	if (rt->rt_peer_genid != rt_peer_genid()) {
		struct inet_peer *peer;

		if (!rt->peer)
			rt_bind_peer(rt, 0);

		peer = rt->peer;
		if (peer && peer->pmtu_expires)
			check_peer_pmtu(dst, peer);

		if (peer && peer->redirect_learned.a4 &&
		    peer->redirect_learned.a4 != rt->rt_gateway) {
			if (check_peer_redir(dst, peer))
				return NULL;
		}

		rt->rt_peer_genid = rt_peer_genid();
	}
	return dst;
}

static void ipv4_dst_destroy(struct dst_entry *dst)
{
	struct rtable *rt = (struct rtable *) dst;
	struct inet_peer *peer = rt->peer;

	if (peer) {
		rt->peer = NULL;
		inet_putpeer(peer);
	}
}

static void ipv4_link_failure(struct sk_buff *skb)
{
	struct rtable *rt;

	icmp_send(skb, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0);

	rt = skb_rtable(skb);
	if (rt && rt->peer && rt->peer->pmtu_expires) {
		unsigned long orig = rt->peer->pmtu_expires;

		if (cmpxchg(&rt->peer->pmtu_expires, orig, 0) == orig)
			dst_metric_set(&rt->dst, RTAX_MTU, rt->peer->pmtu_orig);
	}
}

/*
 * Metrics of a new route.  The route is not published yet, so the peer is
 * stored without cmpxchg; the generation is stamped only when a peer was
 * found, so a peer-less route revalidates as soon as anything is learned.
 */
static void rt_init_metrics(struct rtable *rt, const struct flowi *oldflp,
			    struct fib_info *fi)
{
	struct inet_peer *peer;
	int create = 0;

	if (oldflp && (oldflp->flags & FLOWI_FLAG_PRECOW_METRICS))
		create = 1;

	rt->peer = peer = inet_getpeer_v4(rt->rt_dst, create);
	if (peer) {
		rt->rt_peer_genid = rt_peer_genid();
		if (inet_metrics_new(peer))
			memcpy(peer->metrics, fi->fib_metrics,
			       sizeof(u32) * RTAX_MAX);
		dst_init_metrics(&rt->dst, peer->metrics, false);

		if (peer->pmtu_expires)
			check_peer_pmtu(&rt->dst, peer);
		if (peer->redirect_learned.a4 &&
		    peer->redirect_learned.a4 != rt->rt_gateway) {
			rt->rt_gateway = peer->redirect_learned.a4;
			rt->rt_flags |= RTCF_REDIRECTED;
		}
	} else if (fi) {
		dst_init_metrics(&rt->dst, fi->fib_metrics, true);
	}
}

static void rt_set_nexthop(struct rtable *rt, const struct flowi *oldflp,
			   struct fib_result *res, struct fib_info *fi,
			   u16 type, u32 itag)
{
	if (fi) {
		if (FIB_RES_GW(*res) && FIB_RES_NH(*res).nh_scope == RT_SCOPE_LINK)
			rt->rt_gateway = FIB_RES_GW(*res);
		rt_init_metrics(rt, oldflp, fi);
	}
	if (dst_mtu(&rt->dst) > IP_MAX_MTU)
		dst_metric_set(&rt->dst, RTAX_MTU, IP_MAX_MTU);
	if (dst_metric_raw(&rt->dst, RTAX_ADVMSS) > 65535 - 40)
		dst_metric_set(&rt->dst, RTAX_ADVMSS, 65535 - 40);
	rt->rt_type = type;
}

int ip_rt_init(void)
{
	int i;

	for (i = 0; i < RT_HASH_SIZE; i++) {
		spin_lock_init(&rt_hash_table[i].lock);
		rt_hash_table[i].chain = NULL;
	}
	ipv4_dst_ops.gc_thresh = RT_HASH_SIZE;
	ip_rt_max_size = RT_HASH_SIZE * 16;
	return 0;
}
