/* SPDX-License-Identifier: MIT */
/*
 * ICMPv4 message header (RFC 792; frag-needed MTU RFC 1191 4; extensions RFC 4884).
 *
 * Contract: icmpv4_parse() needs len >= ICMPV4_HLEN and reads nothing past buf[len); the
 * checksum covers the whole message buf[0..len). icmpv4_emit() writes the 8-byte header and
 * checksums buf[0..total_len), whose payload the caller has already put in place.
 */
#ifndef NS_WIRE_ICMPV4_H
#define NS_WIRE_ICMPV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ICMPV4_HLEN 8

/* Types (RFC 792). */
#define ICMPV4_ECHO_REPLY      0
#define ICMPV4_DEST_UNREACH    3
#define ICMPV4_REDIRECT        5
#define ICMPV4_ECHO_REQUEST    8
#define ICMPV4_TIME_EXCEEDED   11
#define ICMPV4_PARAM_PROBLEM   12
#define ICMPV4_TIMESTAMP       13
#define ICMPV4_TIMESTAMP_REPLY 14

/* Destination unreachable codes (RFC 792, RFC 1122 3.2.2.1, RFC 1812 5.2.7.1). */
#define ICMPV4_UNREACH_NET          0
#define ICMPV4_UNREACH_HOST         1
#define ICMPV4_UNREACH_PROTO        2
#define ICMPV4_UNREACH_PORT         3
#define ICMPV4_UNREACH_FRAG_NEEDED  4
#define ICMPV4_UNREACH_SRC_ROUTE    5
#define ICMPV4_UNREACH_NET_UNKNOWN  6
#define ICMPV4_UNREACH_HOST_UNKNOWN 7
#define ICMPV4_UNREACH_NET_PROHIB   9
#define ICMPV4_UNREACH_HOST_PROHIB  10
#define ICMPV4_UNREACH_ADMIN_PROHIB 13

/* Time exceeded codes. */
#define ICMPV4_EXC_TTL      0
#define ICMPV4_EXC_FRAGTIME 1

struct icmpv4_repr {
	uint8_t type, code;
	uint16_t csum;    /* as received; ignored by icmpv4_emit() */
	uint16_t id, seq; /* echo: bytes 4..5 and 6..7 */
	uint16_t mtu;     /* frag needed: next-hop MTU, bytes 6..7 (RFC 1191) */
	uint32_t rest;    /* raw bytes 4..7 (big-endian value) */
};

/**
 * icmpv4_parse() - Decode the header of an ICMP message of @len bytes.
 * @verify_csum: check the checksum over buf[0..len).
 *
 * Sets type, code, csum and rest, and decodes bytes 4..7 into id, seq and mtu whatever the
 * type (they are views of rest; use the ones the type defines). False if len < 8 or the
 * checksum is wrong.
 */
bool icmpv4_parse(struct icmpv4_repr *r, const uint8_t *buf, size_t len, bool verify_csum);

/**
 * icmpv4_emit() - Write the header to buf[0..8) and the checksum of buf[0..total_len).
 *
 * Bytes 4..7 come from: id and seq for ICMPV4_ECHO_REQUEST/REPLY and
 * ICMPV4_TIMESTAMP/_REPLY (rest is ignored); (rest & 0xffff0000) | mtu for
 * ICMPV4_DEST_UNREACH with code ICMPV4_UNREACH_FRAG_NEEDED (the upper half is normally 0;
 * an RFC 4884 length goes in byte 5); rest for every other type (e.g. the
 * parameter-problem pointer as rest = ptr << 24). r->csum is ignored.
 */
void icmpv4_emit(const struct icmpv4_repr *r, uint8_t *buf, size_t total_len);

/** icmpv4_is_error() - True for the error types (unreach, redirect, time exceeded, param
 * problem, source quench), to which no ICMP error may be sent (RFC 1122 3.2.2). */
static inline bool icmpv4_is_error(uint8_t type)
{
	return type == ICMPV4_DEST_UNREACH || type == 4 /* source quench */ ||
	       type == ICMPV4_REDIRECT || type == ICMPV4_TIME_EXCEEDED ||
	       type == ICMPV4_PARAM_PROBLEM;
}

#endif
