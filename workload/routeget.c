/* RTM_GETROUTE for one destination: the gateway and MTU metric `ip route get DST` shows. */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wl.h"

static void parse_metrics(struct rtattr *nest, struct route_info *ri)
{
	int len = RTA_PAYLOAD(nest);
	unsigned lock = 0;
	for (struct rtattr *a = RTA_DATA(nest); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == RTAX_MTU)
			ri->mtu = *(unsigned *)RTA_DATA(a);
		else if (a->rta_type == RTAX_LOCK)
			lock = *(unsigned *)RTA_DATA(a);
	}
	ri->mtu_locked = (lock & (1u << RTAX_MTU)) != 0;
}

int route_get(in_addr_t dst, struct route_info *ri)
{
	return route_get_from(dst, 0, ri);
}

/* With a source address: the route-cache entry a connected socket holds (its key has the source). */
int route_get_from(in_addr_t dst, in_addr_t src, struct route_info *ri)
{
	memset(ri, 0, sizeof(*ri));
	int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (s < 0)
		return -errno;
	struct {
		struct nlmsghdr nh;
		struct rtmsg rt;
		char attrs[64];
	} req;
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	req.nh.nlmsg_type = RTM_GETROUTE;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.nh.nlmsg_seq = 1;
	req.rt.rtm_family = AF_INET;
	req.rt.rtm_dst_len = 32;
	struct rtattr *a = (struct rtattr *)((char *)&req + NLMSG_ALIGN(req.nh.nlmsg_len));
	a->rta_type = RTA_DST;
	a->rta_len = RTA_LENGTH(sizeof(dst));
	memcpy(RTA_DATA(a), &dst, sizeof(dst));
	req.nh.nlmsg_len = NLMSG_ALIGN(req.nh.nlmsg_len) + RTA_ALIGN(a->rta_len);
	if (src) {
		req.rt.rtm_src_len = 32;
		a = (struct rtattr *)((char *)&req + NLMSG_ALIGN(req.nh.nlmsg_len));
		a->rta_type = RTA_SRC;
		a->rta_len = RTA_LENGTH(sizeof(src));
		memcpy(RTA_DATA(a), &src, sizeof(src));
		req.nh.nlmsg_len = NLMSG_ALIGN(req.nh.nlmsg_len) + RTA_ALIGN(a->rta_len);
	}

	int err = 0;
	if (send(s, &req, req.nh.nlmsg_len, 0) < 0) {
		err = -errno;
		goto out;
	}
	char buf[8192];
	ssize_t n = recv(s, buf, sizeof(buf), 0);
	if (n < 0) {
		err = -errno;
		goto out;
	}
	for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (unsigned)n); nh = NLMSG_NEXT(nh, n)) {
		if (nh->nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr *e = NLMSG_DATA(nh);
			err = e->error ? e->error : -EIO;
			goto out;
		}
		if (nh->nlmsg_type != RTM_NEWROUTE)
			continue;
		struct rtmsg *rtm = NLMSG_DATA(nh);
		int alen = RTM_PAYLOAD(nh);
		for (struct rtattr *ra = RTM_RTA(rtm); RTA_OK(ra, alen); ra = RTA_NEXT(ra, alen)) {
			switch (ra->rta_type) {
			case RTA_GATEWAY:
				memcpy(&ri->gateway, RTA_DATA(ra), 4);
				break;
			case RTA_OIF:
				ri->oif = *(int *)RTA_DATA(ra);
				break;
			case RTA_METRICS:
				parse_metrics(ra, ri);
				break;
			}
		}
		ri->ok = 1;
		break;
	}
	if (!ri->ok && !err)
		err = -ENOENT;
out:
	close(s);
	return err;
}
