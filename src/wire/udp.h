/* SPDX-License-Identifier: MIT */
/*
 * UDP header (RFC 768; IPv6 checksum rules RFC 8200 8.1).
 *
 * Contract: udp_parse() reads only buf[0..8) after checking len, and succeeds only if
 * 8 <= length field <= len (bytes past the length field are padding to trim). Checksums
 * take the pseudo-header partial sum from csum_pseudo_v4()/_v6() over the UDP length.
 */
#ifndef NS_WIRE_UDP_H
#define NS_WIRE_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/bytes.h"

#define UDP_HLEN 8

struct udp_repr {
	uint16_t src_port, dst_port;
	uint16_t len;  /* header + payload */
	uint16_t csum; /* as received; see udp_emit() */
};

/** udp_parse() - Decode the header of a datagram in buf[0..len). False if len < 8, or the
 * length field is < 8 or > len. */
bool udp_parse(struct udp_repr *r, const uint8_t *buf, size_t len);

/**
 * udp_csum_ok() - Verify the checksum of the datagram buf[0..udp_len).
 * @pseudo: pseudo-header partial sum. @allow_zero: a zero checksum field means "not
 * computed" and is accepted (IPv4, RFC 768); false for IPv6, where it MUST be dropped
 * (RFC 8200 8.1).
 */
bool udp_csum_ok(const uint8_t *buf, size_t udp_len, uint32_t pseudo, bool allow_zero);

/**
 * udp_emit() - Write the header to buf[0..8) from src_port, dst_port and len.
 *
 * With @compute_csum, checksums buf[0..r->len) (payload already in place) plus @pseudo and
 * stores it, a computed 0 sent as 0xffff (RFC 768). Without, stores r->csum as is: 0 for
 * "no checksum" (IPv4 only), or csum_fold(pseudo) for a link that finishes it (offload).
 */
void udp_emit(const struct udp_repr *r, uint8_t *buf, uint32_t pseudo, bool compute_csum);

static inline uint16_t udp_get_src_port(const uint8_t *buf)
{
	return rd16(buf);
}
static inline uint16_t udp_get_dst_port(const uint8_t *buf)
{
	return rd16(buf + 2);
}
static inline uint16_t udp_get_len(const uint8_t *buf)
{
	return rd16(buf + 4);
}

#endif
