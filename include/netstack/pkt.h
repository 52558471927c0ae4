/* SPDX-License-Identifier: MIT */
/*
 * Packet buffers.
 *
 * One contiguous buffer per packet with room in front for headers:
 *
 *   buf                 buf+head                            buf+head+len         buf+cap
 *   |<---- headroom ---->|<------------ valid bytes ------------>|<--- tailroom --->|
 *
 * Outbound, each layer pushes its header into the headroom (ns_pkt_push) and the head moves
 * left. Inbound, each layer consumes its header (ns_pkt_consume) and the head moves right.
 * Either way the layer's header is recorded (hdr[NS_HDR_*]) so later code can find it again.
 *
 * Invariants: head + len <= cap; a header slot is set at most once per direction; the bytes of
 * a consumed header stay valid (at buf + hdr[i].off) until the packet is freed.
 *
 * Ownership: a function handed a packet owns it: it frees it or passes it on, exactly once.
 * ns_pkt_ref() adds an owner and every owner calls ns_pkt_free(); a shared packet
 * (refcnt > 1) is read-only. A packet handed to a layer that may modify it (push a header,
 * move its head, set its metadata, link it through ->next on a queue: every send path,
 * ns_netproto_write() and ns_nic_output() included) must have a single owner: code that
 * wants to keep a packet it sends (to retransmit, or to loop a copy back) keeps a copy made
 * with ns_pkt_copy(), not a reference. As a defence, ns_netproto_write(), ns_nic_output()
 * and ns_nic_output_mac() copy a shared packet before touching it. Packets of the standard
 * size, and GSO-sized packets (up to a 64 KiB IP packet with its headers), come from
 * per-thread free lists, so the steady state does not call malloc.
 */
#ifndef NETSTACK_PKT_H
#define NETSTACK_PKT_H

#include <stdbool.h>
#include <stdint.h>

#include "netstack/addr.h"
#include "netstack/api.h"

enum ns_hdr {
	NS_HDR_LINK = 0,
	NS_HDR_NETWORK,
	NS_HDR_TRANSPORT,
	NS_HDR_COUNT,
};

/* pkt->flags */
enum {
	/* Inbound: the link (or the kernel behind it) verified the transport checksum. */
	NS_PKT_CSUM_VERIFIED = 1u << 0,
	/* Outbound: the transport checksum is partial (pseudo-header sum only) and the link
	 * must finish it at csum_start/csum_off (virtio-net NEEDS_CSUM semantics); a NIC
	 * whose link lacks NS_CAP_TX_CSUM_OFFLOAD finishes it in software first.
	 * Inbound (always with NS_PKT_CSUM_VERIFIED): the sender left it so (a TAP's
	 * NEEDS_CSUM frame, a packet from another stack's channel; Linux's CHECKSUM_PARTIAL
	 * on receive): the data is known good, but the field holds only the pseudo-header
	 * sum, at csum_start/csum_off. Local delivery reads it as verified; forwarding sends
	 * it on partial. */
	NS_PKT_CSUM_PARTIAL = 1u << 1,
	/* Inbound link packet type (from the destination MAC). */
	NS_PKT_BROADCAST = 1u << 2,
	NS_PKT_MULTICAST = 1u << 3,
	NS_PKT_OTHERHOST = 1u << 4,
	/* The packet was looped back inside the stack (never left it). */
	NS_PKT_LOOPED = 1u << 5,
	/* Outbound: the packet starts with its own complete link header (a packet endpoint's
	 * raw frame); the link writes it as it is instead of pushing one. */
	NS_PKT_LINK_HDR = 1u << 6,
};

enum ns_gso_type {
	NS_GSO_NONE = 0,
	NS_GSO_TCPV4,
	NS_GSO_TCPV6,
	NS_GSO_UDP_L4,
};

/* Segmentation offload descriptor (the seed's stack.GSO). Set by TCP on a packet larger than
 * the MTU when the link has NS_CAP_HW_GSO or NS_CAP_SW_GSO. */
struct ns_gso {
	uint8_t type;       /* enum ns_gso_type */
	uint8_t needs_csum; /* the checksum at csum_off must be finished per segment */
	uint16_t mss;       /* payload bytes per segment */
	uint16_t l3_len;    /* network header length */
	uint16_t csum_off;  /* transport checksum offset within the transport header */
};

struct ns_hdr_ref {
	uint32_t off; /* offset of the header from buf */
	uint16_t len; /* 0: not set */
};

struct ns_pkt {
	struct ns_pkt *next; /* for the current owner's queue */
	uint8_t *buf;
	uint32_t cap;
	uint32_t head;
	uint32_t len;
	uint32_t refcnt;
	uint16_t flags;
	uint16_t netproto;  /* EtherType of the network protocol (0x0800, 0x0806, 0x86dd) */
	uint8_t transproto; /* IP protocol number, once known */
	uint8_t pool;       /* which allocator the buffer came from (private) */
	uint32_t nic;       /* inbound: receiving NIC; outbound: sending NIC */
	struct ns_hdr_ref hdr[NS_HDR_COUNT];
	struct ns_mac link_src; /* inbound: source MAC */
	struct ns_mac link_dst; /* outbound: resolved next-hop MAC */
	/* Partial checksum (NS_PKT_CSUM_PARTIAL): offsets from the network header. */
	uint16_t csum_start;
	uint16_t csum_off;
	struct ns_gso gso;
	/* Network-layer facts the transport layer reads (set by the network protocol). */
	struct ns_addr src;
	struct ns_addr dst;
	uint8_t ttl;
	uint8_t tos;
	uint32_t user; /* free for the current owner (e.g. a queue's timestamp index) */
};

/* Standard buffer: fits headroom for Ethernet+IP+TCP headers and a 1500-byte MTU frame. */
#define NS_PKT_STD_SIZE 2048u
/* GSO buffer: NS_PKT_HEADROOM, a 64 KiB IP packet (the IPv4 total length and the IPv6
 * payload length are 16 bits) and a link header, with room to spare. */
#define NS_PKT_GSO_SIZE (65536u + 1024u)
/* Headroom that covers every header this stack pushes (link 14 + vnet 12 + IPv6 40 + options
 * + TCP 60), rounded up. */
#define NS_PKT_HEADROOM 192u

/**
 * ns_pkt_alloc() - A packet with @headroom bytes in front and @len valid (uninitialised) bytes.
 * Returns NULL when memory is exhausted. Packets whose headroom + len fit NS_PKT_STD_SIZE come
 * from the per-thread free list of standard buffers, larger ones up to NS_PKT_GSO_SIZE from
 * that of GSO buffers (both lists bounded); only larger still are malloc'd each time.
 */
NS_API struct ns_pkt *ns_pkt_alloc(uint32_t headroom, uint32_t len);
/** ns_pkt_from() - Allocate with NS_PKT_HEADROOM and copy @len bytes of @data in. */
NS_API struct ns_pkt *ns_pkt_from(const void *data, uint32_t len);
/** ns_pkt_copy() - A deep copy (same head/len/headers/metadata, refcount 1, next NULL). */
NS_API struct ns_pkt *ns_pkt_copy(const struct ns_pkt *pkt);
/** ns_pkt_ref() - Add an owner; returns @pkt. */
NS_API struct ns_pkt *ns_pkt_ref(struct ns_pkt *pkt);
/** ns_pkt_free() - Drop one owner; the last one returns the buffer. NULL is ignored. */
NS_API void ns_pkt_free(struct ns_pkt *pkt);
/** ns_pkt_free_list() - Free every packet on a ->next chain. */
NS_API void ns_pkt_free_list(struct ns_pkt *pkt);

/** ns_pkt_live() - Packets allocated and not yet freed, over all threads (for leak checks). */
NS_API int64_t ns_pkt_live(void);

static inline uint8_t *ns_pkt_data(const struct ns_pkt *pkt)
{
	return pkt->buf + pkt->head;
}

/** ns_pkt_peek() - Pointer to @n bytes at @off from the head, or NULL if they are not all
 * there. The only way parsing code should read a packet. */
static inline uint8_t *ns_pkt_peek(const struct ns_pkt *pkt, uint32_t off, uint32_t n)
{
	if (off > pkt->len || n > pkt->len - off)
		return 0;
	return pkt->buf + pkt->head + off;
}

/** ns_pkt_push() - Prepend @n bytes for header @which; returns them, or NULL if the
 * headroom is too small (the caller drops the packet and counts it). */
NS_API uint8_t *ns_pkt_push(struct ns_pkt *pkt, enum ns_hdr which, uint32_t n);
/** ns_pkt_consume() - Record the first @n bytes as header @which and move past them;
 * returns them, or NULL if fewer than @n bytes remain. */
NS_API uint8_t *ns_pkt_consume(struct ns_pkt *pkt, enum ns_hdr which, uint32_t n);
/** ns_pkt_hdr() - The recorded header @which, or NULL if it was not set. */
static inline uint8_t *ns_pkt_hdr(const struct ns_pkt *pkt, enum ns_hdr which)
{
	return pkt->hdr[which].len ? pkt->buf + pkt->hdr[which].off : 0;
}
/** ns_pkt_trim() - Keep only the first @len valid bytes (drops link padding). */
static inline void ns_pkt_trim(struct ns_pkt *pkt, uint32_t len)
{
	if (len < pkt->len)
		pkt->len = len;
}
/** ns_pkt_headroom() - Bytes free in front of the head. */
static inline uint32_t ns_pkt_headroom(const struct ns_pkt *pkt)
{
	return pkt->head;
}
/** ns_pkt_append() - Grow the valid region by @n bytes at the tail (tailroom permitting);
 * returns the new bytes or NULL. */
NS_API uint8_t *ns_pkt_append(struct ns_pkt *pkt, uint32_t n);

#endif
