/* SPDX-License-Identifier: MIT */
/*
 * IPv6 header and extension headers (RFC 8200; addresses RFC 4291).
 *
 * Contract: ipv6_parse() reads nothing past buf[len) and succeeds only if len >= 40, the
 * version is 6 and 40 + payload_len <= len (a longer frame carries link padding: the caller
 * trims to 40 + payload_len); after it succeeds the ipv6_get_*() accessors are safe on the
 * same buffer. ipv6_emit() writes exactly 40 bytes. The extension-header helpers take the
 * bytes from the header's first octet to the end of the packet and never read past them: a
 * header that claims more than is there is refused, never partly read.
 */
#ifndef NS_WIRE_IPV6_H
#define NS_WIRE_IPV6_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "wire/bytes.h"

#define IPV6_HLEN 40
/* RFC 8200 5: every link carries at least this; an ICMPv6 error fits in it (RFC 4443 2.4(c)). */
#define IPV6_MIN_MTU 1280

/* Next Header values (IANA protocol numbers; RFC 8200 4, RFC 7045). */
#define IPV6_NH_HOPOPTS  0
#define IPV6_NH_TCP      6
#define IPV6_NH_UDP      17
#define IPV6_NH_ROUTING  43
#define IPV6_NH_FRAGMENT 44
#define IPV6_NH_ESP      50
#define IPV6_NH_AH       51
#define IPV6_NH_ICMPV6   58
#define IPV6_NH_NONE     59
#define IPV6_NH_DSTOPTS  60
#define IPV6_NH_MOBILITY 135

/* Hop-by-hop and destination options (RFC 8200 4.2, RFC 2711, RFC 2675). */
#define IPV6_OPT_PAD1         0x00
#define IPV6_OPT_PADN         0x01
#define IPV6_OPT_ROUTER_ALERT 0x05
#define IPV6_OPT_JUMBO        0xc2
/* RFC 8200 4.2: the two high-order bits of an option type say what to do with an option
 * the node does not recognise. */
enum ipv6_opt_action {
	IPV6_OPT_SKIP = 0,         /* 00: skip over it */
	IPV6_OPT_DISCARD = 1,      /* 01: discard the packet */
	IPV6_OPT_DISCARD_ICMP = 2, /* 10: discard, parameter problem even to multicast */
	IPV6_OPT_DISCARD_UCAST = 3 /* 11: discard, parameter problem unless to multicast */
};
/* RFC 2711 2.1: Router Alert value for MLD. */
#define IPV6_RA_MLD 0

/* Routing types (RFC 5095: type 0 deprecated; RFC 6275 type 2; RFC 8754 type 4). */
#define IPV6_RT_TYPE0 0

struct ipv6_repr {
	uint8_t tclass;       /* traffic class: DSCP << 2 | ECN */
	uint32_t flow;        /* flow label, 20 bits */
	uint16_t payload_len; /* bytes after the 40-byte header, extension headers included */
	uint8_t next_header;
	uint8_t hop_limit;
	uint8_t src[16], dst[16];
};

enum ipv6_err {
	IPV6_OK = 0,
	IPV6_E_TRUNCATED, /* len < 40, or 40 + payload_len > len */
	IPV6_E_VERSION,   /* version != 6 */
};

/** ipv6_parse() - Validate and decode the IPv6 header at buf[0..len) (checks in this order:
 * length >= 40, version, payload length). On failure *r is unspecified. */
enum ipv6_err ipv6_parse(struct ipv6_repr *r, const uint8_t *buf, size_t len);
/** ipv6_emit() - Write the 40-byte header from every field of @r (flow is masked to 20
 * bits). */
void ipv6_emit(const struct ipv6_repr *r, uint8_t *buf);
/** ipv6_strerror() - A short name for a parse error. */
const char *ipv6_strerror(enum ipv6_err e);

/* Field accessors: safe once the buffer holds IPV6_HLEN bytes. */
static inline uint8_t ipv6_get_version(const uint8_t *buf)
{
	return buf[0] >> 4;
}
static inline uint8_t ipv6_get_tclass(const uint8_t *buf)
{
	return (uint8_t)((buf[0] & 0x0f) << 4 | buf[1] >> 4);
}
static inline uint32_t ipv6_get_flow(const uint8_t *buf)
{
	return rd32(buf) & 0xfffffu;
}
static inline uint16_t ipv6_get_payload_len(const uint8_t *buf)
{
	return rd16(buf + 4);
}
static inline uint8_t ipv6_get_next_header(const uint8_t *buf)
{
	return buf[6];
}
static inline uint8_t ipv6_get_hop_limit(const uint8_t *buf)
{
	return buf[7];
}
static inline const uint8_t *ipv6_get_src(const uint8_t *buf)
{
	return buf + 8;
}
static inline const uint8_t *ipv6_get_dst(const uint8_t *buf)
{
	return buf + 24;
}

/* ---------------------------------------------------------------- extension headers */

/** ipv6_nh_is_ext() - True for the Next Header values RFC 7045 lists as extension headers
 * that this layer walks (hop-by-hop, routing, fragment, destination options). AH, ESP and
 * the mobility header are extension headers too, but nothing here processes them: to the
 * walker they are upper layers it does not know. */
static inline bool ipv6_nh_is_ext(uint8_t nh)
{
	return nh == IPV6_NH_HOPOPTS || nh == IPV6_NH_ROUTING || nh == IPV6_NH_FRAGMENT ||
	       nh == IPV6_NH_DSTOPTS;
}

/**
 * ipv6_ext_len() - The length in bytes of the extension header of type @nh at buf[0..len):
 * (Hdr Ext Len + 1) * 8 for hop-by-hop, routing and destination options (RFC 8200 4.3,
 * 4.4, 4.6), 8 for a fragment header (4.5), (Payload Len + 2) * 4 for AH (RFC 4302 2.2).
 * 0 if @nh is none of these or the header runs past @len.
 */
uint32_t ipv6_ext_len(uint8_t nh, const uint8_t *buf, size_t len);

/* A routing header's fixed part (RFC 8200 4.4). */
struct ipv6_rh_repr {
	uint8_t next_header;
	uint8_t hdr_ext_len; /* in 8-octet units, not counting the first 8 */
	uint8_t type;
	uint8_t segments_left;
};
/** ipv6_rh_parse() - Decode the routing header at buf[0..len); false if it is shorter
 * than its own length says (or than 8 bytes). */
bool ipv6_rh_parse(struct ipv6_rh_repr *r, const uint8_t *buf, size_t len);

#define IPV6_FRAG_HLEN 8
/* A fragment header (RFC 8200 4.5). */
struct ipv6_frag_repr {
	uint8_t next_header;
	uint16_t offset; /* in bytes (the field times 8) */
	bool more;       /* M flag */
	uint32_t id;
};
/** ipv6_frag_parse() - Decode the fragment header at buf[0..len); false if len < 8. The
 * reserved bits are ignored on receipt, as RFC 8200 4.5 asks. */
bool ipv6_frag_parse(struct ipv6_frag_repr *r, const uint8_t *buf, size_t len);
/** ipv6_frag_emit() - Write the 8-byte fragment header (@r->offset a multiple of 8). */
void ipv6_frag_emit(const struct ipv6_frag_repr *r, uint8_t *buf);

/* ---------------------------------------------------------------- options */

/* One option of a hop-by-hop or destination options header (RFC 8200 4.2). Pad1 has
 * len 0 and no length octet. */
struct ipv6_opt {
	uint8_t type;
	uint8_t len;         /* Opt Data Len */
	const uint8_t *data; /* len bytes */
	uint32_t off;        /* of the type octet, from the start of the extension header */
};

struct ipv6_opt_iter {
	const uint8_t *hdr; /* the options header */
	uint32_t len;       /* its length ((Hdr Ext Len + 1) * 8) */
	uint32_t off;       /* next option */
};

/** ipv6_opt_iter_init() - Walk the options of the hop-by-hop or destination options header
 * at @hdr, @len bytes long (from ipv6_ext_len()). */
static inline void ipv6_opt_iter_init(struct ipv6_opt_iter *it, const uint8_t *hdr, uint32_t len)
{
	it->hdr = hdr;
	it->len = len;
	it->off = 2;
}

/** ipv6_opt_next() - The next option, Pad1 and PadN included: 1 with *@o set, 0 at the end
 * of the header, -1 if an option's length runs past the end (the header is malformed). */
int ipv6_opt_next(struct ipv6_opt_iter *it, struct ipv6_opt *o);

/** ipv6_opt_action() - What RFC 8200 4.2 says to do with unrecognised option @type. */
static inline enum ipv6_opt_action ipv6_opt_action(uint8_t type)
{
	return (enum ipv6_opt_action)(type >> 6);
}

/* ---------------------------------------------------------------- addresses */

/* Address classes (RFC 4291 2.4), on 16 bytes in network order. */
static inline bool ipv6_addr_is_unspecified(const uint8_t a[16])
{
	static const uint8_t zero[16];
	return memcmp(a, zero, 16) == 0;
}
static inline bool ipv6_addr_is_loopback(const uint8_t a[16])
{
	static const uint8_t lo[16] = {[15] = 1};
	return memcmp(a, lo, 16) == 0;
}
static inline bool ipv6_addr_is_multicast(const uint8_t a[16])
{
	return a[0] == 0xff;
}
/* fe80::/10 (RFC 4291 2.5.6). */
static inline bool ipv6_addr_is_link_local(const uint8_t a[16])
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}
/* ::ffff:0:0/96 (RFC 4291 2.5.5.2). */
static inline bool ipv6_addr_is_v4mapped(const uint8_t a[16])
{
	static const uint8_t pfx[12] = {[10] = 0xff, [11] = 0xff};
	return memcmp(a, pfx, 12) == 0;
}
/* A multicast address's scope (RFC 4291 2.7): 1 interface-local, 2 link-local, ... */
static inline uint8_t ipv6_mcast_scope(const uint8_t a[16])
{
	return a[1] & 0x0f;
}
/* ff02::1:ff00:0/104, the solicited-node groups (RFC 4291 2.7.1). */
static inline bool ipv6_addr_is_solicited_node(const uint8_t a[16])
{
	static const uint8_t pfx[13] = {0xff, 0x02, [11] = 0x01, [12] = 0xff};
	return memcmp(a, pfx, 13) == 0;
}
/** ipv6_solicited_node() - The solicited-node group of @a: ff02::1:ff plus its low 24 bits. */
static inline void ipv6_solicited_node(const uint8_t a[16], uint8_t out[16])
{
	static const uint8_t pfx[13] = {0xff, 0x02, [11] = 0x01, [12] = 0xff};
	memcpy(out, pfx, 13);
	memcpy(out + 13, a + 13, 3);
}

#endif
