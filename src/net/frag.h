/* SPDX-License-Identifier: MIT */
/*
 * IP fragmentation and reassembly for both families. Internal to src/net.
 *
 *   frag.c    the reassembly engine both families share, IPv4 reassembly and IPv4
 *             fragmentation, the software checksum a fragmented packet needs
 *   frag6.c   IPv6's Fragment header: reassembly (RFC 8200 4.5, RFC 5722, RFC 6946,
 *             RFC 7112) and fragmentation at the source
 *
 * Reassembly (RFC 791 3.2, RFC 815, RFC 8200 4.5): each family's network protocol owns one
 * struct frag_state (frag_new() in its init, frag_free() in its fini), as Linux keeps one
 * queue set per family with its own ipfrag_high_thresh. A state bounds its memory
 * (ns_stack_config.frag_mem_max over every datagram being reassembled, charged with the
 * packet buffers it holds), the bytes one source may hold (frag_src_max: one host cannot
 * take the whole cap) and the fragments of one datagram (frag_max_frags), and gives up on a
 * datagram after a timeout (IPv4 30 s as Linux, IPv6 60 s per RFC 8200 4.5), with an ICMP
 * time exceeded (code 1) to the source if the first fragment had arrived. Overlapping
 * fragments drop the whole datagram (RFC 5722 for IPv6; Linux does the same for IPv4 since
 * 2018); exact or contained duplicates are dropped alone (RFC 5722 erratum 3089).
 *
 * Fragmentation on send: IPv4 honours DF (a too-big DF datagram is refused with
 * MESSAGE_TOO_LONG, as Linux's EMSGSIZE); IPv6 fragments only at the source.
 */
#ifndef NS_NET_FRAG_H
#define NS_NET_FRAG_H

#include <stdbool.h>
#include <stdint.h>

#include "netstack/proto.h"

struct ipv4_repr;
struct frag_state;

/** frag_new() - Reassembly state for one family, sized from the stack's configuration.
 * NULL when memory is exhausted. */
struct frag_state *frag_new(struct ns_stack *s);
/** frag_free() - Drop every datagram still being reassembled (no ICMP) and free @f. */
void frag_free(struct ns_stack *s, struct frag_state *f);

/** frag_mem() - Bytes @f holds now (packet buffers and bookkeeping), for tests. */
uint64_t frag_mem(const struct frag_state *f);
/** frag_count() - Datagrams being reassembled in @f, for tests. */
uint32_t frag_count(const struct frag_state *f);

/* ---------------------------------------------------------------- IPv4 (frag.c) */

/** ipv4_frag() - The IPv4 reassembly state (ipv4.c's; NULL without IPv4). */
struct frag_state *ipv4_frag(struct ns_stack *s);

/**
 * frag_ipv4_reassemble() - Add the IPv4 fragment @pkt (head at its validated header,
 * trimmed to its total length, @ip its parsed header; MF set or a non-zero offset) to the
 * datagram it belongs to. Returns NULL when the fragment was kept, or dropped and counted;
 * else the whole datagram: head at an IPv4 header that is the first fragment's (options
 * included) with the total length, flags and offset fixed (no MF, offset 0), the ECN field
 * combined as RFC 3168 5.3 says and a valid checksum, *@ip re-parsed from it, and the first
 * fragment's metadata (NIC, link flags; never NS_PKT_CSUM_VERIFIED). Ownership: consumes
 * @pkt; the caller owns the result.
 */
struct ns_pkt *frag_ipv4_reassemble(struct ns_stack *s, struct frag_state *f, struct ns_pkt *pkt,
                                    struct ipv4_repr *ip);

/**
 * frag_ipv4_fragment() - Split @pkt, whose head is at a complete IPv4 header (options
 * allowed; already a fragment is allowed too: the offsets and MF carry over, RFC 791 3.2)
 * followed by its payload, into fragments of at most @mtu bytes: data in multiples of 8
 * bytes, MF on every fragment but the last, the options whose copied flag is set on every
 * fragment and all of them on the first, each header checksummed. A transport checksum
 * left partial for offload is finished first (a link cannot finish one across fragments).
 * Returns the fragments as a ->next chain (the first is @pkt itself, trimmed), or NULL
 * (no memory, or @mtu too small for 8 data bytes: counted). Ownership: consumes @pkt.
 */
struct ns_pkt *frag_ipv4_fragment(struct ns_stack *s, struct ns_pkt *pkt, uint32_t mtu);

/* ---------------------------------------------------------------- IPv6 (frag6.c) */

/**
 * ipv6_frag() - The IPv6 reassembly state: ipv6.c creates it with frag_new() in its init,
 * frees it with frag_free() in its fini, and returns it here (NULL if it has none).
 */
struct frag_state *ipv6_frag(struct ns_stack *s);

/**
 * frag_ipv6_reassemble() - @pkt's head is at a Fragment header (8 bytes, not yet consumed);
 * the IPv6 header is recorded as NS_HDR_NETWORK and everything from it up to the Fragment
 * header is the unfragmentable part; @nh_off (from pkt->buf) is the Next Header byte that
 * named the Fragment header; pkt->src/dst are set. Returns NULL when the fragment was kept,
 * or dropped and counted (or answered: parameter problem for a bad length, RFC 8200 4.5),
 * else the whole packet: the first fragment's unfragmentable part followed by the
 * reassembled fragmentable part, the Fragment header gone, Payload Length and the byte at
 * @nh_off fixed up, NS_HDR_NETWORK recorded, head at the first fragmentable byte and
 * *next_header set to what follows. Ownership: consumes @pkt; the caller owns the result.
 *
 * An atomic fragment (offset 0, M clear) is such a whole packet at once (RFC 6946). The
 * NS_HDR_NETWORK record of the result has the length it had on the way in (the first
 * fragment's); the unfragmentable part may have moved (into a new buffer, or over the
 * Fragment header), so the byte that names *next_header is at pkt->user bytes from
 * NS_HDR_NETWORK's offset (where @nh_off was, relative to its IPv6 header, in the first
 * fragment).
 */
struct ns_pkt *frag_ipv6_reassemble(struct ns_stack *s, struct ns_nic *nic, struct ns_pkt *pkt,
                                    uint32_t nh_off, uint8_t *next_header);

/**
 * frag_ipv6_fragment() - Split @pkt, whose head is at its IPv6 header (40 bytes, no extension
 * headers) followed by the upper-layer packet, into fragments of at most @mtu bytes each
 * (RFC 8200 4.5), with one identification chosen per destination (RFC 7739). Returns the
 * fragments as a ->next chain (each with its IPv6 header, ready for ns_nic_output) or NULL
 * (no memory: counted). Ownership: consumes @pkt.
 */
struct ns_pkt *frag_ipv6_fragment(struct ns_stack *s, struct ns_pkt *pkt, uint32_t mtu);

/* ---------------------------------------------------------------- the engine (frag.c) */

/*
 * What frag.c and frag6.c share: the generic part of reassembly. A family describes itself
 * with a struct frag_family; a datagram is found by its struct frag_key.
 */
struct frag_family {
	uint8_t family;      /* NS_AF_INET or NS_AF_INET6 */
	uint64_t timeout_ns; /* 0: the configuration's for the family */
	/* The longest whole datagram: the first fragment's bytes from its network header to its
	 * data, less @hdr_tail (IPv6: the Fragment header, which goes), plus the data. IPv4:
	 * 65535 (the total length counts the header); IPv6: 40 + 65535. */
	uint32_t max_len;
	uint32_t hdr_tail;
	/* The datagram timed out with its first fragment in: send ICMP time exceeded (code 1)
	 * about @first (head at its fragmentable data, NS_HDR_NETWORK recorded). Ownership:
	 * @first is only read. */
	void (*expired)(struct ns_stack *s, const struct ns_pkt *first);
};

struct frag_key {
	uint8_t family;
	uint8_t proto; /* IPv4: the protocol (RFC 791 keys on it); IPv6: 0 */
	uint32_t id;   /* IPv4: 16 bits; IPv6: 32 */
	uint8_t src[16], dst[16];
	uint8_t src_prefix; /* bits of src that name one source for the per-source limit */
};

/*
 * frag_add() - Add a fragment of the datagram @k: @pkt's head is at its fragmentable data
 * (pkt->len bytes at byte offset @off of the datagram), its network header recorded; the
 * bytes from the network header to the head are kept as they are (the first fragment's
 * headers); pkt->tos is its TOS / traffic class (for ECN). @last: no more fragments (M
 * clear). The caller has checked that no fragment ends too far out; a datagram that is
 * complete but, with its first fragment's headers, longer than @fam->max_len is dropped
 * whole (FRAG_TOO_LONG). Returns the complete datagram's fragments as a ->next chain sorted by
 * offset (each with pkt->user = its offset; the first at offset 0) and *@ecn_out the combined
 * codepoint (RFC 3168 5.3), or NULL when the fragment was kept or dropped and counted. Ownership:
 * consumes @pkt; the caller owns the chain.
 */
struct ns_pkt *frag_add(struct ns_stack *s, struct frag_state *f, const struct frag_key *k,
                        const struct frag_family *fam, struct ns_pkt *pkt, uint32_t off, bool last,
                        uint8_t *ecn_out);

/*
 * frag_stitch() - One packet from a complete chain of frag_add(): the first fragment's bytes
 * from its network header to its head less @drop_tail bytes at their end (IPv6: the
 * Fragment header), then every fragment's data in order. Head at the network header,
 * NS_HDR_NETWORK cleared, metadata from the first fragment (without
 * NS_PKT_CSUM_VERIFIED); *@hdr_len is the length of the header part. NULL when there is no
 * memory (counted). Ownership: consumes the chain.
 */
struct ns_pkt *frag_stitch(struct ns_stack *s, struct ns_pkt *chain, uint32_t drop_tail,
                           uint32_t *hdr_len);

/*
 * frag_csum_finish() - Finish a transport checksum left partial for offload
 * (NS_PKT_CSUM_PARTIAL; csum_start/csum_off from @pkt's head, which is at the network
 * header), in software. False if the offsets are outside the packet.
 */
bool frag_csum_finish(struct ns_pkt *pkt);

/*
 * frag_piece() - A new packet of @len bytes (uninitialised) for a fragment of @pkt that
 * frag_ipv4_fragment() or frag_ipv6_fragment() is cutting: headroom for the link, the
 * first @net_hlen bytes recorded as NS_HDR_NETWORK, and @pkt's metadata (protocols, NIC,
 * addresses, TTL, TOS). NULL when memory is out: then the cut has failed, and the
 * fragments made so far (@done, a ->next chain) and @pkt are freed and the failure
 * counted. Ownership: consumes @done and @pkt only on failure.
 */
struct ns_pkt *frag_piece(struct ns_stack *s, struct ns_pkt *pkt, struct ns_pkt *done, uint32_t len,
                          uint16_t net_hlen);

/* frag_next_id() - An identification for a datagram from @src to @dst (@alen bytes each)
 * that needs one: RFC 7739 5.3, a keyed hash of the pair picks a counter of @f's table and
 * an offset added to it. 32 bits (IPv6 uses them all). */
uint32_t frag_next_id(struct ns_stack *s, struct frag_state *f, const uint8_t *src,
                      const uint8_t *dst, unsigned alen);

#endif
