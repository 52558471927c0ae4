/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: a TAP (Ethernet frames) or TUN (bare IP) device on /dev/net/tun.
 *
 * Opening: TUNSETIFF with IFF_NO_PI (and IFF_VNET_HDR if asked; never IFF_MULTI_QUEUE) creates
 * the device, or attaches to an existing one (`ip tuntap add`) as it is. The kernel side of
 * the device belongs to the host: we never change its addresses or its MAC, only its MTU
 * (SIOCSIFMTU, when cfg->mtu != 0) and its up flag (cfg->bring_up). A device we created is not
 * persistent and disappears when destroy() closes the fd; a persistent one stays. The fd is
 * non-blocking: process() and write() never wait.
 *
 * Addresses: on a TAP our MAC (cfg->mac, or a random locally administered unicast one) is the
 * stack's own address, the source of every frame we write. It is not the kernel interface's
 * MAC, which stays the kernel's. A TUN has no link address and no link header.
 *
 * Offloads (virtio-net header, IFF_VNET_HDR with a 12-byte struct virtio_net_hdr_v1 in host
 * byte order, as legacy virtio and the tun driver's default define it): every frame read or
 * written is preceded by the header. Inbound, the header is first checked against the frame
 * (vnet_rx(): offsets inside it, a GSO type we know with a size; a bad one drops the frame,
 * rx_errors); then F_DATA_VALID or F_NEEDS_CSUM (a packet the host built and never
 * checksummed) mean the transport checksum needs no verification (NS_PKT_CSUM_VERIFIED);
 * F_NEEDS_CSUM also says the field holds only the pseudo-header sum (NS_PKT_CSUM_PARTIAL with
 * its offsets, for a router to send on partial); a GSO type marks a super-frame (pkt->gso) of
 * up to 64 KiB, which the kernel sends only after TUNSETOFFLOAD with TUN_F_TSO*. Outbound,
 * NS_PKT_CSUM_PARTIAL and pkt->gso become F_NEEDS_CSUM and a GSO type (with the ECN bit when
 * a TCP one carries CWR), with offsets moved from the network header to the frame's start.
 * Without a vnet header a partial checksum is finished here in software and a GSO packet
 * cannot be sent (dropped, tx_errors).
 *
 * Reading: frames that fit a standard packet buffer (MTU 1500) are read straight into a pooled
 * ns_pkt: no copy, no malloc. When larger frames are possible (jumbo MTU, GSO super-frames of
 * up to 64 KiB), each read goes into a spare packet of the pooled GSO class kept by the link:
 * a large frame is handed up in it as it is (and the link takes a fresh spare from the pool),
 * while a frame that fits a standard packet (an ACK, an MTU-sized segment) is copied into one,
 * so that small packets never pin 64 KiB buffers in queues. A frame longer than the buffer
 * (the MTU was raised behind our back) arrives truncated and is dropped (rx_errors).
 *
 * Writing: one writev() per packet. EAGAIN/ENOBUFS (the kernel queue is full) drops the
 * packet and counts tx_dropped; any other error counts tx_errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "netstack/link.h"

#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5
#endif

#define TUN_PATH      "/dev/net/tun"
#define VNET_HDR_LEN  12u
#define ETH_HLEN_     14u
#define VLAN_SLACK    4u     /* a frame may carry one 802.1Q tag */
#define GSO_FRAME_MAX 65600u /* 64 KiB IP packet + link header */

struct tuntap {
	struct ns_link link;
	int fd;
	enum ns_tuntap_kind kind;
	bool vnet;
	uint16_t link_hlen; /* 14 on a TAP, 0 on a TUN */
	uint32_t caps;
	uint32_t mtu;
	struct ns_mac mac;
	uint32_t frame_max;   /* largest frame we read (without the vnet header) */
	bool big;             /* frame_max does not fit a standard packet: read into spare */
	struct ns_pkt *spare; /* GSO-class packet the next large read goes into (or NULL) */
	char name[IFNAMSIZ];
};

static struct tuntap *to_tt(struct ns_link *l)
{
	return (struct tuntap *)l;
}

static void set_err(char *errbuf, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *errbuf, size_t errlen, const char *fmt, ...)
{
	if (!errbuf || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(errbuf, errlen, fmt, ap);
	va_end(ap);
}

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

/* ---- inbound ---- */

/*
 * Apply the vnet header of a received frame (pkt->len is the whole frame, link header
 * included); false if the frame must be dropped. The kernel side of the device is not
 * trusted more than a wire: as Linux's virtio_net_hdr_to_skb() does for a header it is
 * given, every field is checked against the frame before any is believed. A GSO type must
 * be one we know (TCPV4, TCPV6, UDP_L4; UFO never, as we never enabled it) with a non-zero
 * size, the ECN bit only on a TCP type, UDP_L4 only with NEEDS_CSUM. NEEDS_CSUM must start
 * past the link header and a minimal network header (40 bytes for TCPV6), with the field,
 * and for a GSO type its whole minimal transport header, inside the frame; a GSO type's
 * field must be its protocol's (TCP 16, UDP 6). Whether the headers match the descriptor
 * (the family, the protocol) is the network layer's to check: it parses them.
 */
static bool vnet_rx(struct tuntap *tt, struct ns_pkt *pkt, const uint8_t *vh)
{
	uint8_t flags = vh[0];
	uint8_t gso_type = vh[1] & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
	bool ecn = (vh[1] & VIRTIO_NET_HDR_GSO_ECN) != 0;
	uint16_t gso_size = get16(vh + 4);
	uint32_t csum_start = get16(vh + 6), csum_offset = get16(vh + 8);
	bool needs_csum = flags & VIRTIO_NET_HDR_F_NEEDS_CSUM;
	uint32_t nh_min = 20, thl = 0, field_at = 0;
	uint8_t type;

	switch (gso_type) {
	case VIRTIO_NET_HDR_GSO_NONE:
		type = NS_GSO_NONE;
		break;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		type = NS_GSO_TCPV4;
		thl = 20;
		field_at = 16;
		break;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		type = NS_GSO_TCPV6;
		nh_min = 40;
		thl = 20;
		field_at = 16;
		break;
	case VIRTIO_NET_HDR_GSO_UDP_L4:
		type = NS_GSO_UDP_L4;
		thl = 8;
		field_at = 6;
		break;
	default:
		return false; /* UFO and other kinds we never enabled */
	}
	if (ecn && (type == NS_GSO_NONE || type == NS_GSO_UDP_L4))
		return false;
	if (type != NS_GSO_NONE && !gso_size)
		return false;
	if (type == NS_GSO_UDP_L4 && !needs_csum)
		return false;
	if (needs_csum) {
		uint32_t need = csum_offset + 2 > thl ? csum_offset + 2 : thl;

		if (csum_start < tt->link_hlen + nh_min || csum_start > pkt->len ||
		    need > pkt->len - csum_start || (field_at && csum_offset != field_at))
			return false;
		/* The field holds the pseudo-header sum only (pkt.h: inbound partial). */
		pkt->flags |= NS_PKT_CSUM_PARTIAL;
		pkt->csum_start = (uint16_t)(csum_start - tt->link_hlen);
		pkt->csum_off = (uint16_t)csum_offset;
	}
	if (flags & (VIRTIO_NET_HDR_F_DATA_VALID | VIRTIO_NET_HDR_F_NEEDS_CSUM))
		pkt->flags |= NS_PKT_CSUM_VERIFIED;
	if (type == NS_GSO_NONE)
		return true;
	pkt->gso.type = type;
	pkt->gso.mss = gso_size;
	pkt->gso.needs_csum = needs_csum;
	if (needs_csum) {
		pkt->gso.l3_len = pkt->csum_start;
		pkt->gso.csum_off = (uint16_t)csum_offset;
	}
	return true;
}

static void tt_receive(struct tuntap *tt, struct ns_pkt *pkt, const uint8_t *vh)
{
	struct ns_link *l = &tt->link;
	uint32_t frame_len = pkt->len;
	bool ok = !tt->vnet || vnet_rx(tt, pkt, vh);

	if (ok) {
		if (tt->kind == NS_TAP) {
			ok = ns_link_eth_consume(pkt, &tt->mac);
		} else {
			pkt->netproto = ns_link_ip_version_proto(pkt);
			ok = pkt->netproto != 0;
		}
	}
	if (!ok || !l->disp) {
		l->rx_errors++;
		ns_pkt_free(pkt);
		return;
	}
	l->rx_frames++;
	l->rx_bytes += frame_len;
	l->disp->deliver(l->disp, l, pkt);
}

static int tt_process(struct ns_link *l, int budget)
{
	struct tuntap *tt = to_tt(l);
	int done = 0;

	while (done < budget) {
		uint8_t vh[VNET_HDR_LEN];
		struct iovec iov[2];
		int niov = 0;
		struct ns_pkt *pkt;

		if (tt->vnet)
			iov[niov++] = (struct iovec){.iov_base = vh, .iov_len = sizeof(vh)};
		if (tt->big) {
			if (!tt->spare)
				tt->spare = ns_pkt_alloc(NS_PKT_HEADROOM, tt->frame_max);
			pkt = tt->spare;
		} else {
			pkt = ns_pkt_alloc(NS_PKT_HEADROOM, tt->frame_max);
		}
		if (!pkt)
			break; /* out of memory: leave the frames in the kernel's queue */
		iov[niov++] =
		    (struct iovec){.iov_base = ns_pkt_data(pkt), .iov_len = tt->frame_max};
		ssize_t n = readv(tt->fd, iov, niov);
		if (n < 0) {
			int e = errno;
			if (!tt->big)
				ns_pkt_free(pkt);
			if (e == EINTR)
				continue;
			if (e != EAGAIN && e != EWOULDBLOCK)
				l->rx_errors++;
			break;
		}
		done++;
		size_t vlen = tt->vnet ? VNET_HDR_LEN : 0;
		if ((size_t)n < vlen || (size_t)n - vlen > tt->frame_max) {
			/* Short vnet header, or truncated (the tun driver reports the full length).
			 */
			l->rx_errors++;
			if (!tt->big)
				ns_pkt_free(pkt);
			continue;
		}
		uint32_t flen = (uint32_t)((size_t)n - vlen);
		if (tt->big && NS_PKT_HEADROOM + flen <= NS_PKT_STD_SIZE) {
			/* A small frame: a standard packet of its own, the spare stays. */
			pkt = ns_pkt_alloc(NS_PKT_HEADROOM, flen);
			if (!pkt) {
				l->rx_errors++;
				continue;
			}
			memcpy(ns_pkt_data(pkt), ns_pkt_data(tt->spare), flen);
		} else {
			if (tt->big)
				tt->spare = NULL; /* handed up; the next read takes a fresh one */
			pkt->len = flen;
		}
		tt_receive(tt, pkt, vh);
	}
	return done;
}

/* ---- outbound ---- */

/* Build the vnet header of an outbound frame (link header already pushed). */
static bool vnet_tx(struct tuntap *tt, const struct ns_pkt *pkt, uint8_t *vh)
{
	uint32_t lh = tt->link_hlen;
	uint8_t flags = 0, gso_type = VIRTIO_NET_HDR_GSO_NONE;
	uint32_t csum_start = 0, csum_off = 0, hdr_len = 0, gso_size = 0;

	if (pkt->flags & NS_PKT_CSUM_PARTIAL) {
		flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		csum_start = lh + pkt->csum_start;
		csum_off = pkt->csum_off;
	}
	if (pkt->gso.type != NS_GSO_NONE) {
		uint32_t thl;
		uint32_t l4 =
		    lh + ((pkt->flags & NS_PKT_CSUM_PARTIAL) ? pkt->csum_start : pkt->gso.l3_len);
		switch (pkt->gso.type) {
		case NS_GSO_TCPV4:
		case NS_GSO_TCPV6: {
			gso_type = pkt->gso.type == NS_GSO_TCPV4 ? VIRTIO_NET_HDR_GSO_TCPV4
			                                         : VIRTIO_NET_HDR_GSO_TCPV6;
			const uint8_t *doff = ns_pkt_peek(pkt, l4 + 12, 2);
			if (!doff)
				return false;
			thl = (uint32_t)(doff[0] >> 4) * 4u;
			/* CWR rides on the first segment only: the ECN bit tells the kernel so, as
			 * Linux's SKB_GSO_TCP_ECN does (a device without TSO_ECN would copy it to
			 * every segment, RFC 3168 6.1.2 wants one per window reduction). */
			if (doff[1] & 0x80)
				gso_type |= VIRTIO_NET_HDR_GSO_ECN;
			break;
		}
		case NS_GSO_UDP_L4:
			gso_type = VIRTIO_NET_HDR_GSO_UDP_L4;
			thl = 8;
			break;
		default:
			return false;
		}
		if (!pkt->gso.mss || l4 == lh || !ns_pkt_peek(pkt, 0, l4 + thl))
			return false;
		/* A segmented packet's checksum is always finished per segment by the kernel. */
		if (!flags) {
			flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
			csum_start = l4;
			csum_off = pkt->gso.csum_off ? pkt->gso.csum_off
			                             : (pkt->gso.type == NS_GSO_UDP_L4 ? 6 : 16);
		}
		hdr_len = l4 + thl;
		gso_size = pkt->gso.mss;
	}
	if (csum_start > UINT16_MAX || csum_off > UINT16_MAX || hdr_len > UINT16_MAX)
		return false;
	memset(vh, 0, VNET_HDR_LEN);
	vh[0] = flags;
	vh[1] = gso_type;
	put16(vh + 2, (uint16_t)hdr_len);
	put16(vh + 4, (uint16_t)gso_size);
	put16(vh + 6, (uint16_t)csum_start);
	put16(vh + 8, (uint16_t)csum_off);
	return true;
}

/* Send one packet; consumes it. Returns true if the kernel took it. */
static bool tt_send(struct tuntap *tt, struct ns_pkt *pkt)
{
	struct ns_link *l = &tt->link;
	uint8_t vh[VNET_HDR_LEN];
	struct iovec iov[2];
	int niov = 0;
	bool ok = true;

	if (!tt->vnet) {
		if (pkt->gso.type != NS_GSO_NONE)
			ok = false;
		else if (pkt->flags & NS_PKT_CSUM_PARTIAL)
			ok = ns_pkt_csum_finish(pkt);
	}
	if (ok && tt->kind == NS_TAP)
		ok = ns_link_eth_push(pkt, &tt->mac);
	if (ok && tt->vnet) {
		ok = vnet_tx(tt, pkt, vh);
		iov[niov++] = (struct iovec){.iov_base = vh, .iov_len = sizeof(vh)};
	}
	if (!ok) {
		l->tx_errors++;
		ns_pkt_free(pkt);
		return false;
	}
	iov[niov++] = (struct iovec){.iov_base = ns_pkt_data(pkt), .iov_len = pkt->len};

	ssize_t n;
	do
		n = writev(tt->fd, iov, niov);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
			l->tx_dropped++;
		else
			l->tx_errors++;
		ns_pkt_free(pkt);
		return false;
	}
	l->tx_frames++;
	l->tx_bytes += pkt->len;
	ns_pkt_free(pkt);
	return true;
}

static int tt_write(struct ns_link *l, struct ns_pkt **pkts, int n)
{
	struct tuntap *tt = to_tt(l);
	int accepted = 0;
	for (int i = 0; i < n; i++)
		accepted += tt_send(tt, pkts[i]);
	return accepted;
}

/* ---- the rest of the vtable ---- */

static uint32_t tt_mtu(struct ns_link *l)
{
	return to_tt(l)->mtu;
}

static uint32_t tt_caps(struct ns_link *l)
{
	return to_tt(l)->caps;
}

static uint16_t tt_max_header_len(struct ns_link *l)
{
	return to_tt(l)->link_hlen;
}

static enum ns_link_header tt_header_type(struct ns_link *l)
{
	return to_tt(l)->kind == NS_TAP ? NS_LINK_HDR_ETHERNET : NS_LINK_HDR_NONE;
}

static struct ns_mac tt_link_addr(struct ns_link *l)
{
	return to_tt(l)->mac;
}

static void tt_attach(struct ns_link *l, struct ns_link_dispatcher *d)
{
	l->disp = d;
}

static int tt_poll_fd(struct ns_link *l)
{
	return to_tt(l)->fd;
}

static void tt_destroy(struct ns_link *l)
{
	struct tuntap *tt = to_tt(l);
	if (tt->fd >= 0)
		close(tt->fd);
	ns_pkt_free(tt->spare);
	free(tt);
}

static const struct ns_link_ops tap_ops = {
    .kind = "tap",
    .mtu = tt_mtu,
    .caps = tt_caps,
    .max_header_len = tt_max_header_len,
    .header_type = tt_header_type,
    .link_addr = tt_link_addr,
    .attach = tt_attach,
    .write = tt_write,
    .poll_fd = tt_poll_fd,
    .process = tt_process,
    .destroy = tt_destroy,
};

static const struct ns_link_ops tun_ops = {
    .kind = "tun",
    .mtu = tt_mtu,
    .caps = tt_caps,
    .max_header_len = tt_max_header_len,
    .header_type = tt_header_type,
    .link_addr = tt_link_addr,
    .attach = tt_attach,
    .write = tt_write,
    .poll_fd = tt_poll_fd,
    .process = tt_process,
    .destroy = tt_destroy,
};

/* ---- opening ---- */

static void random_mac(struct ns_mac *m)
{
	if (getrandom(m->b, sizeof(m->b), GRND_NONBLOCK) != (ssize_t)sizeof(m->b)) {
		/* No entropy yet: the address only has to differ between stacks on one LAN. */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^
		             ((uint64_t)getpid() << 40) ^ (uint64_t)(uintptr_t)m;
		x ^= x >> 31;
		x *= 0x9e3779b97f4a7c15ull;
		x ^= x >> 29;
		for (int i = 0; i < 6; i++)
			m->b[i] = (uint8_t)(x >> (8 * i));
	}
	m->b[0] = (uint8_t)((m->b[0] & 0xfc) | 0x02); /* locally administered, unicast */
}

/* Interface ioctls on the device (MTU, flags); false with a message on failure. */
static bool configure_if(struct tuntap *tt, const struct ns_tuntap_config *cfg, char *errbuf,
                         size_t errlen)
{
	struct ifreq ifr;
	bool ok = false;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		set_err(errbuf, errlen, "socket(AF_INET): %s", strerror(errno));
		return false;
	}
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, tt->name, sizeof(ifr.ifr_name));
	if (cfg->mtu) {
		ifr.ifr_mtu = (int)cfg->mtu;
		if (ioctl(s, SIOCSIFMTU, &ifr) < 0) {
			set_err(errbuf, errlen, "SIOCSIFMTU %s %u: %s", tt->name, cfg->mtu,
			        strerror(errno));
			goto out;
		}
	}
	if (cfg->bring_up) {
		if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
			set_err(errbuf, errlen, "SIOCGIFFLAGS %s: %s", tt->name, strerror(errno));
			goto out;
		}
		if ((ifr.ifr_flags & IFF_UP) == 0) {
			ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
			if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) {
				set_err(errbuf, errlen, "SIOCSIFFLAGS %s up: %s", tt->name,
				        strerror(errno));
				goto out;
			}
		}
	}
	if (ioctl(s, SIOCGIFMTU, &ifr) < 0) {
		set_err(errbuf, errlen, "SIOCGIFMTU %s: %s", tt->name, strerror(errno));
		goto out;
	}
	tt->mtu = (uint32_t)ifr.ifr_mtu;
	ok = true;
out:
	close(s);
	return ok;
}

struct ns_link *ns_tuntap_open(const struct ns_tuntap_config *cfg, char *errbuf, size_t errlen)
{
	if (errbuf && errlen)
		errbuf[0] = '\0';
	if (!cfg) {
		set_err(errbuf, errlen, "tuntap: no configuration");
		return NULL;
	}
	const char *name = cfg->name ? cfg->name : "";
	const char *kind = cfg->kind == NS_TAP ? "tap" : "tun";
	if (cfg->kind != NS_TAP && cfg->kind != NS_TUN) {
		set_err(errbuf, errlen, "tuntap %s: unknown kind %d", name, (int)cfg->kind);
		return NULL;
	}
	if (strlen(name) >= IFNAMSIZ) {
		set_err(errbuf, errlen, "%s device name \"%s\": longer than %d bytes", kind, name,
		        IFNAMSIZ - 1);
		return NULL;
	}
	if (cfg->offloads && !cfg->vnet_hdr) {
		set_err(errbuf, errlen, "%s %s: offloads 0x%x need vnet_hdr", kind, name,
		        cfg->offloads);
		return NULL;
	}

	struct tuntap *tt = calloc(1, sizeof(*tt));
	if (!tt) {
		set_err(errbuf, errlen, "%s %s: out of memory", kind, name);
		return NULL;
	}
	tt->link.ops = cfg->kind == NS_TAP ? &tap_ops : &tun_ops;
	tt->kind = cfg->kind;
	tt->vnet = cfg->vnet_hdr;
	tt->link_hlen = cfg->kind == NS_TAP ? ETH_HLEN_ : 0;
	tt->fd = open(TUN_PATH, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (tt->fd < 0) {
		set_err(errbuf, errlen, "open %s: %s", TUN_PATH, strerror(errno));
		goto fail;
	}

	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = (short)((cfg->kind == NS_TAP ? IFF_TAP : IFF_TUN) | IFF_NO_PI |
	                        (cfg->vnet_hdr ? IFF_VNET_HDR : 0));
	memcpy(ifr.ifr_name, name, strlen(name));
	if (ioctl(tt->fd, TUNSETIFF, &ifr) < 0) {
		set_err(errbuf, errlen, "TUNSETIFF %s: %s", *name ? name : kind, strerror(errno));
		goto fail;
	}
	memcpy(tt->name, ifr.ifr_name, sizeof(tt->name));
	tt->name[IFNAMSIZ - 1] = '\0';

	if (cfg->vnet_hdr) {
		int sz = VNET_HDR_LEN;
		if (ioctl(tt->fd, TUNSETVNETHDRSZ, &sz) < 0) {
			set_err(errbuf, errlen, "TUNSETVNETHDRSZ %s %d: %s", tt->name, sz,
			        strerror(errno));
			goto fail;
		}
		if (ioctl(tt->fd, TUNSETOFFLOAD, (unsigned long)cfg->offloads) < 0) {
			set_err(errbuf, errlen, "TUNSETOFFLOAD %s 0x%x: %s", tt->name,
			        cfg->offloads, strerror(errno));
			goto fail;
		}
	}
	if (!configure_if(tt, cfg, errbuf, errlen))
		goto fail;

	if (cfg->kind == NS_TAP) {
		static const struct ns_mac zero;
		tt->mac = cfg->mac;
		if (ns_mac_eq(&tt->mac, &zero))
			random_mac(&tt->mac);
		tt->caps |= NS_CAP_RESOLUTION_REQUIRED;
	}
	bool gso = false;
	if (cfg->vnet_hdr && (cfg->offloads & TUN_F_CSUM)) {
		tt->caps |= NS_CAP_RX_CSUM_OFFLOAD | NS_CAP_TX_CSUM_OFFLOAD;
		/* The tun driver honours TSO only together with TUN_F_CSUM. */
		if (cfg->offloads & (TUN_F_TSO4 | TUN_F_TSO6)) {
			tt->caps |= NS_CAP_HW_GSO;
			gso = true;
		}
	}

	uint64_t fmax = gso ? GSO_FRAME_MAX : (uint64_t)tt->mtu + tt->link_hlen + VLAN_SLACK;
	if (fmax > GSO_FRAME_MAX)
		fmax = GSO_FRAME_MAX; /* IP packets are at most 64 KiB without jumbograms */
	tt->frame_max = (uint32_t)fmax;
	tt->big = NS_PKT_HEADROOM + tt->frame_max > NS_PKT_STD_SIZE;
	return &tt->link;

fail:
	if (tt->fd >= 0)
		close(tt->fd);
	free(tt);
	return NULL;
}
