/* SPDX-License-Identifier: MIT */
/*
 * IPv4 header (RFC 791, RFC 1122 3.2.1; header checksum RFC 1071).
 *
 * Contract: ipv4_parse() reads nothing past buf[len) and succeeds only if version is 4,
 * IHL >= 5 and hdr_len <= total_len <= len (a frame longer than total_len is link padding:
 * the caller trims to total_len). After it succeeds, the ipv4_get_*() accessors are safe on
 * the same buffer. ipv4_emit() writes exactly 20 bytes (no options) with a valid checksum.
 */
#ifndef NS_WIRE_IPV4_H
#define NS_WIRE_IPV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/bytes.h"

#define IPV4_MIN_HLEN 20
#define IPV4_MAX_HLEN 60

/* IP protocol numbers (IANA). */
#define IP_PROTO_ICMP   1
#define IP_PROTO_TCP    6
#define IP_PROTO_UDP    17
#define IP_PROTO_ICMPV6 58

/* Flags and fragment offset field (bytes 6..7). */
#define IPV4_FLAG_RESERVED 0x8000
#define IPV4_FLAG_DF       0x4000
#define IPV4_FLAG_MF       0x2000
#define IPV4_FRAG_MASK     0x1fff /* in units of 8 bytes */

struct ipv4_repr {
	uint8_t hdr_len;    /* bytes: IHL * 4 (20..60); options are at buf[20..hdr_len) */
	uint8_t tos;        /* DSCP << 2 | ECN */
	uint16_t total_len; /* header + payload */
	uint16_t id;
	uint16_t frag_off; /* in bytes (the field times 8) */
	bool df, mf;
	uint8_t ttl;
	uint8_t proto;
	uint16_t csum; /* as received (host order); ignored by ipv4_emit() */
	uint8_t src[4], dst[4];
};

enum ipv4_err {
	IPV4_OK = 0,
	IPV4_E_TRUNCATED, /* len < 20, len < hdr_len or len < total_len */
	IPV4_E_VERSION,   /* version != 4 */
	IPV4_E_IHL,       /* IHL < 5 */
	IPV4_E_TOTAL_LEN, /* total_len < hdr_len */
	IPV4_E_CSUM,      /* header checksum wrong (only with verify_csum) */
	IPV4_E_FRAG,      /* the reserved flag bit is set */
};

/**
 * ipv4_parse() - Validate and decode the IPv4 header of a datagram in buf[0..len).
 * @verify_csum: check the header checksum (false when the link already verified it).
 *
 * Checks in this order: length >= 20, version, IHL, hdr_len <= len, total_len >= hdr_len,
 * total_len <= len, checksum, reserved flag. On failure *r is unspecified.
 */
enum ipv4_err ipv4_parse(struct ipv4_repr *r, const uint8_t *buf, size_t len, bool verify_csum);

/**
 * ipv4_emit() - Write a 20-byte header (IHL 5, r->hdr_len and r->csum are ignored) from
 * tos, total_len, id, df, mf, frag_off (bytes, a multiple of 8), ttl, proto, src, dst,
 * and store its checksum.
 */
void ipv4_emit(const struct ipv4_repr *r, uint8_t *buf);

/**
 * ipv4_options_fragment() - Turn the options area @opt (@len bytes, the header past its
 * first 20) into what a fragment other than the first carries (RFC 791 3.1, 3.2): options
 * whose copied flag (bit 7 of the type) is set stay, the others become No Operation (1)
 * bytes, so the header keeps its length (as Linux's ip_options_fragment()). End of Option
 * List and what follows it stay. Returns false, with the rest of the area turned into
 * No Operations, if an option's length is malformed.
 */
bool ipv4_options_fragment(uint8_t *opt, size_t len);

/** ipv4_strerror() - A short name for a parse error ("truncated", ...). */
const char *ipv4_strerror(enum ipv4_err e);

/* Field accessors: safe once the buffer holds IPV4_MIN_HLEN bytes (e.g. after ipv4_parse()). */
static inline uint8_t ipv4_get_version(const uint8_t *buf)
{
	return buf[0] >> 4;
}
static inline uint8_t ipv4_get_hdr_len(const uint8_t *buf)
{
	return (uint8_t)((buf[0] & 0x0f) * 4);
}
static inline uint8_t ipv4_get_tos(const uint8_t *buf)
{
	return buf[1];
}
static inline uint16_t ipv4_get_total_len(const uint8_t *buf)
{
	return rd16(buf + 2);
}
static inline uint16_t ipv4_get_id(const uint8_t *buf)
{
	return rd16(buf + 4);
}
static inline uint8_t ipv4_get_ttl(const uint8_t *buf)
{
	return buf[8];
}
static inline uint8_t ipv4_get_proto(const uint8_t *buf)
{
	return buf[9];
}
static inline uint16_t ipv4_get_csum(const uint8_t *buf)
{
	return rd16(buf + 10);
}
static inline const uint8_t *ipv4_get_src(const uint8_t *buf)
{
	return buf + 12;
}
static inline const uint8_t *ipv4_get_dst(const uint8_t *buf)
{
	return buf + 16;
}
/* True if the datagram is a fragment (MF set or a non-zero offset). */
static inline bool ipv4_is_fragment(const uint8_t *buf)
{
	return (rd16(buf + 6) & (IPV4_FLAG_MF | IPV4_FRAG_MASK)) != 0;
}

/* Address classes, on 4 bytes in network order. */
/* 255.255.255.255, the limited broadcast address (RFC 919). */
static inline bool ipv4_is_broadcast(const uint8_t a[4])
{
	return (a[0] & a[1] & a[2] & a[3]) == 0xff;
}
/* 224.0.0.0/4 (RFC 5771). */
static inline bool ipv4_is_multicast(const uint8_t a[4])
{
	return (a[0] & 0xf0) == 0xe0;
}
/* 127.0.0.0/8 (RFC 1122 3.2.1.3). */
static inline bool ipv4_is_loopback(const uint8_t a[4])
{
	return a[0] == 127;
}
/* 0.0.0.0. */
static inline bool ipv4_is_unspecified(const uint8_t a[4])
{
	return (a[0] | a[1] | a[2] | a[3]) == 0;
}

#endif
