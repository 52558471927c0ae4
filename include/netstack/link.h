/* SPDX-License-Identifier: MIT */
/*
 * Link endpoints (the seed's stack.LinkEndpoint).
 *
 * A link moves frames between the stack and a device. Every link is a struct ns_link whose
 * first member is embedded at the start of the implementation's own struct, with a vtable.
 * Links compose: the sniffer and impairment links wrap another link and are links themselves.
 *
 * Inbound: the link reads a frame, consumes its link header (if it has one) so the head is
 * at the network header, sets pkt->netproto (EtherType), pkt->link_src and the
 * NS_PKT_BROADCAST/MULTICAST/OTHERHOST flags, and hands the packet to the attached
 * dispatcher. Frames shorter than 60 bytes keep their padding: the network layer trims to
 * the length its own header states.
 *
 * Outbound: the stack calls write() with packets whose network header is pushed and whose
 * pkt->netproto and (for links that need resolution) pkt->link_dst are set; a link with a
 * link header pushes it.
 */
#ifndef NETSTACK_LINK_H
#define NETSTACK_LINK_H

#include <stdbool.h>
#include <stdint.h>

#include "netstack/addr.h"
#include "netstack/api.h"
#include "netstack/err.h"
#include "netstack/pkt.h"

/* Link capabilities (the seed's LinkEndpointCapabilities). */
enum {
	NS_CAP_RX_CSUM_OFFLOAD = 1u << 0,     /* inbound transport checksums are already verified */
	NS_CAP_TX_CSUM_OFFLOAD = 1u << 1,     /* the link finishes partial outbound checksums */
	NS_CAP_RESOLUTION_REQUIRED = 1u << 2, /* next-hop link addresses must be resolved */
	NS_CAP_LOOPBACK = 1u << 3,            /* frames written come straight back */
	NS_CAP_HW_GSO = 1u << 4,              /* the device segments NS_GSO_* packets */
	NS_CAP_SW_GSO = 1u << 5,              /* the link segments NS_GSO_* packets in software */
};

/* What a link's frames start with. */
enum ns_link_header {
	NS_LINK_HDR_NONE = 0, /* raw IP (TUN, loopback) */
	NS_LINK_HDR_ETHERNET, /* 14-byte Ethernet II header (TAP, channel in Ethernet mode) */
};

struct ns_link;

/* The receiver of a link's inbound frames (the seed's NetworkDispatcher). */
struct ns_link_dispatcher {
	/* Ownership: consumes @pkt. Requires: link header consumed, pkt->netproto set. */
	void (*deliver)(struct ns_link_dispatcher *d, struct ns_link *link, struct ns_pkt *pkt);
};

struct ns_link_ops {
	const char *kind; /* "tap", "tun", "channel", "loopback", "sniffer", "impair" */
	/* Largest network-layer packet (without link header) the link carries. */
	uint32_t (*mtu)(struct ns_link *l);
	/* NS_CAP_* flags. */
	uint32_t (*caps)(struct ns_link *l);
	/* Bytes of headroom the link needs in front of the network header. */
	uint16_t (*max_header_len)(struct ns_link *l);
	enum ns_link_header (*header_type)(struct ns_link *l);
	/* The link's own address (zero for links without one). */
	struct ns_mac (*link_addr)(struct ns_link *l);
	/* Attach a dispatcher (NULL detaches). Inbound frames go nowhere before attach. */
	void (*attach)(struct ns_link *l, struct ns_link_dispatcher *d);
	/**
	 * Write @n packets. Ownership: consumes pkts[0..n) whatever it returns.
	 * Requires: network header pushed, pkt->netproto set, pkt->link_dst set if the
	 * link needs resolution. Returns the number accepted; the rest are dropped by the link
	 * and counted in its own stats.
	 */
	int (*write)(struct ns_link *l, struct ns_pkt **pkts, int n);
	/* A file descriptor to watch for readability, or -1 if the link has none. */
	int (*poll_fd)(struct ns_link *l);
	/* Read and dispatch up to @budget frames without blocking; returns how many. */
	int (*process)(struct ns_link *l, int budget);
	/* Release the link (and any link it wraps, if it owns it). */
	void (*destroy)(struct ns_link *l);
};

struct ns_link {
	const struct ns_link_ops *ops;
	struct ns_link_dispatcher *disp;
	/* Per-link counters. */
	uint64_t rx_frames, rx_bytes, tx_frames, tx_bytes, rx_errors, tx_errors, tx_dropped;
};

/* Convenience wrappers. */
static inline uint32_t ns_link_mtu(struct ns_link *l)
{
	return l->ops->mtu(l);
}
static inline uint32_t ns_link_caps(struct ns_link *l)
{
	return l->ops->caps(l);
}
static inline int ns_link_write(struct ns_link *l, struct ns_pkt **p, int n)
{
	return l->ops->write(l, p, n);
}
static inline int ns_link_poll_fd(struct ns_link *l)
{
	return l->ops->poll_fd ? l->ops->poll_fd(l) : -1;
}
static inline int ns_link_process(struct ns_link *l, int budget)
{
	return l->ops->process ? l->ops->process(l, budget) : 0;
}
static inline void ns_link_destroy(struct ns_link *l)
{
	if (l)
		l->ops->destroy(l);
}

/* ---- Ethernet framing helpers shared by links with NS_LINK_HDR_ETHERNET ---- */

/** ns_link_eth_push() - Push an Ethernet header (dst = pkt->link_dst, src = @src,
 * type = pkt->netproto), or with NS_PKT_LINK_HDR record the one the packet starts with.
 * Returns false if there is no headroom (or no header). */
NS_API bool ns_link_eth_push(struct ns_pkt *pkt, const struct ns_mac *src);
/** ns_link_eth_consume() - Parse and consume the Ethernet header of an inbound frame; sets
 * netproto, link_src and the packet-type flags relative to @own. False if too short. */
NS_API bool ns_link_eth_consume(struct ns_pkt *pkt, const struct ns_mac *own);
/** ns_link_ip_version_proto() - For links without a header: EtherType from the IP version
 * nibble of the first byte (0 if neither 4 nor 6). */
NS_API uint16_t ns_link_ip_version_proto(const struct ns_pkt *pkt);

/* ---- Software segmentation (src/link/gso.c) ---- */

/**
 * ns_gso_segment() - Cut the GSO packet @pkt into the MTU-sized packets it stands for, as a
 * device doing TSO would: IPv4 total length, id (+1 per segment) and header checksum, or
 * the IPv6 payload length; TCP sequence numbers, CWR on the first segment only, FIN and
 * PSH on the last only; UDP lengths; each transport checksum computed, or left partial
 * (NS_PKT_CSUM_PARTIAL, csum_start/csum_off) when @csum_offload.
 * Requires: head at the network header (IPv4, or IPv6 without extension headers),
 * pkt->gso.type NS_GSO_TCPV4/TCPV6/UDP_L4 matching the headers, pkt->gso.mss the payload
 * bytes per segment. Ownership: @pkt is not consumed; on NS_OK *@out is a ->next chain of
 * new single-owner packets (the caller's), in sequence order, with @pkt's metadata
 * (netproto, nic, link_dst, addresses) and no GSO descriptor.
 * Errors: INVALID_ARGUMENT for a packet whose headers do not match its descriptor (or an
 * IPv4 fragment, or more than 2048 segments), NO_MEMORY; *@out is then NULL and nothing
 * stays allocated.
 */
NS_API ns_err ns_gso_segment(const struct ns_pkt *pkt, bool csum_offload, struct ns_pkt **out);

/**
 * ns_gso_prepare() - Make a received GSO packet (a TAP's TSO or GRO super-frame) ready to be
 * sent on, as a router does: check its headers against its descriptor as ns_gso_segment()
 * would (at most 2048 segments too), rebuild the descriptor's offsets (gso.l3_len,
 * gso.csum_off, gso.needs_csum) from the headers, and make the transport checksum partial
 * whatever it held (the pseudo-header sum over the whole transport length in the field,
 * NS_PKT_CSUM_PARTIAL, csum_start/csum_off), so that the device or ns_gso_segment()
 * finishes each segment's. *@seg_len (if not NULL) is the network-layer length of the
 * largest segment it stands for: what the next link's MTU must hold (Linux's
 * skb_gso_network_seglen()).
 * Requires: head at the network header, a single owner. Errors: INVALID_ARGUMENT for a
 * packet ns_gso_segment() would refuse (nothing is changed then).
 */
NS_API ns_err ns_gso_prepare(struct ns_pkt *pkt, uint32_t *seg_len);

/**
 * ns_pkt_csum_finish() - Finish a partial transport checksum (NS_PKT_CSUM_PARTIAL) in
 * software: the Internet checksum of the bytes from csum_start to the end, with the
 * pseudo-header sum already in the field, written at csum_start + csum_off (a computed 0
 * is written as 0xffff, which UDP needs and TCP reads the same), and the flag cleared, as
 * Linux's skb_checksum_help() for a device without checksum offload. A packet that is not
 * partial is left alone. Requires: head at the network header. False if the offsets point
 * past the packet (nothing is changed then).
 */
NS_API bool ns_pkt_csum_finish(struct ns_pkt *pkt);

/* ---- Channel link: inject inbound, read outbound (tests; apps that move frames) ---- */

struct ns_channel_config {
	uint32_t mtu;               /* 1500 if 0 */
	enum ns_link_header header; /* Ethernet or none */
	struct ns_mac mac;
	uint32_t caps;      /* NS_CAP_* to advertise */
	uint32_t queue_len; /* outbound queue bound; 1024 if 0; writes beyond it are dropped */
};
NS_API struct ns_link *ns_channel_new(const struct ns_channel_config *cfg);
/** ns_channel_inject() - Deliver @pkt as if the link had received it.
 * Ownership: consumes @pkt. The frame is parsed per the channel's header type. Flags other
 * than NS_PKT_CSUM_VERIFIED and NS_PKT_CSUM_PARTIAL are cleared; a partial one (a packet
 * taken from another channel's output) keeps csum_start/csum_off and is also
 * NS_PKT_CSUM_VERIFIED (pkt.h: the inbound meaning); pkt->gso is kept. */
NS_API void ns_channel_inject(struct ns_link *ch, struct ns_pkt *pkt);
/** ns_channel_inject_bytes() - Copy @len bytes into a packet and inject it. */
NS_API void ns_channel_inject_bytes(struct ns_link *ch, const void *frame, uint32_t len);
/** ns_channel_read() - Oldest outbound packet (link header pushed, head at the frame's first
 * byte) or NULL. Ownership: passes to the caller. */
NS_API struct ns_pkt *ns_channel_read(struct ns_link *ch);
/** ns_channel_pending() - Outbound packets queued. */
NS_API uint32_t ns_channel_pending(struct ns_link *ch);
/** ns_channel_set_write_hook() - Instead of queueing, call @fn for each outbound packet
 * (which then owns it): used to wire two stacks together in memory. */
NS_API void ns_channel_set_write_hook(struct ns_link *ch, void (*fn)(void *ctx, struct ns_pkt *pkt),
                                      void *ctx);

/* ---- Loopback link ---- */
NS_API struct ns_link *ns_loopback_new(void);

/* ---- fd-based TAP/TUN on /dev/net/tun ---- */

enum ns_tuntap_kind {
	NS_TAP = 0,
	NS_TUN,
};

struct ns_tuntap_config {
	enum ns_tuntap_kind kind;
	const char *name;  /* device name (created if missing, attached as-is if it exists) */
	uint32_t mtu;      /* 0: leave the device's MTU, or 1500 for a new device */
	struct ns_mac mac; /* our MAC on a TAP (all-zero: a random locally administered one) */
	bool vnet_hdr;     /* open with IFF_VNET_HDR (offload metadata per frame) */
	uint32_t offloads; /* with vnet_hdr: TUN_F_* flags for TUNSETOFFLOAD (0: none) */
	bool bring_up;     /* set the link up (IFF_UP) */
};
/**
 * ns_tuntap_open() - Open (creating if needed) a TAP or TUN device in the current network
 * namespace. On failure returns NULL and writes a message to @errbuf.
 */
NS_API struct ns_link *ns_tuntap_open(const struct ns_tuntap_config *cfg, char *errbuf,
                                      size_t errlen);

/* ---- Sniffer: writes every frame in both directions to a pcap file ---- */
/** ns_sniffer_new() - Wrap @lower (owned from now on); NULL and a message on failure. */
NS_API struct ns_link *ns_sniffer_new(struct ns_link *lower, const char *pcap_path, char *errbuf,
                                      size_t errlen);
/** ns_sniffer_flush() - Flush the pcap file to disk. */
NS_API void ns_sniffer_flush(struct ns_link *sniffer);

/* ---- Impairment: seeded loss, duplication, reordering, delay ---- */
struct ns_impair_config {
	uint64_t seed;
	/* Probabilities in parts per million, applied independently to each direction. */
	uint32_t loss_ppm;
	uint32_t dup_ppm;
	uint32_t reorder_ppm; /* a reordered frame is held back and sent after the next one */
	uint64_t delay_ns;    /* fixed extra delay (needs ns_impair_poll) */
	uint32_t max_held;    /* bound on delayed/held frames (256 if 0) */
	bool inbound;         /* impair received frames too (default: outbound only) */
};
struct ns_clock;
/** ns_impair_new() - Wrap @lower (owned from now on). @clock is used for delay. */
NS_API struct ns_link *ns_impair_new(struct ns_link *lower, const struct ns_impair_config *cfg,
                                     struct ns_clock *clock);
/** ns_impair_poll() - Release frames whose delay has passed; returns the next release time
 * (UINT64_MAX if none held). */
NS_API uint64_t ns_impair_poll(struct ns_link *impair);

#endif
