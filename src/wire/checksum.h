/* SPDX-License-Identifier: MIT */
/*
 * The Internet checksum (RFC 1071), its pseudo-headers (RFC 793/9293 3.1, RFC 768, RFC 8200
 * 8.1) and incremental update (RFC 1624).
 *
 * Contract: a "partial sum" is an unfolded 32-bit one's-complement accumulator of 16-bit
 * big-endian words; any value is valid input. Checksums are returned in host order, ready
 * for wr16(). csum_partial() reads exactly len bytes, with no alignment requirement.
 */
#ifndef NS_WIRE_CHECKSUM_H
#define NS_WIRE_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/**
 * csum_partial() - Add @len bytes at @buf to the running partial sum @sum.
 *
 * The bytes are summed as big-endian 16-bit words starting at buf[0]; an odd last byte is
 * padded with a zero. Composable: when n1 is even, csum_partial(b + n1, n2,
 * csum_partial(b, n1, s)) folds to the same value as csum_partial(b, n1 + n2, s).
 */
uint32_t csum_partial(const void *buf, size_t len, uint32_t sum);

/** csum_fold() - Fold a partial sum to 16 bits (not inverted). 0 only if @sum is 0. */
uint16_t csum_fold(uint32_t sum);

/** csum_finish() - The checksum field value for a partial sum (host order). */
static inline uint16_t csum_finish(uint32_t sum)
{
	return (uint16_t)~csum_fold(sum);
}

/** csum_pseudo_v4() - Partial sum of the IPv4 pseudo-header (RFC 9293 3.1, RFC 768).
 * @len is the transport length (header + payload). */
uint32_t csum_pseudo_v4(const uint8_t src[4], const uint8_t dst[4], uint8_t proto, uint32_t len);

/** csum_pseudo_v6() - Partial sum of the IPv6 pseudo-header (RFC 8200 8.1). */
uint32_t csum_pseudo_v6(const uint8_t src[16], const uint8_t dst[16], uint8_t proto, uint32_t len);

/**
 * csum_update16() - RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m').
 * @csum: the checksum as stored (host order); @old_val, @new_val: the 16-bit field (host
 * order) before and after. Returns the new checksum. Matches a full recomputation except
 * when the whole covered data becomes zero (then 0x0000 instead of 0xffff).
 */
uint16_t csum_update16(uint16_t csum, uint16_t old_val, uint16_t new_val);

/** csum_update32() - csum_update16() for a 32-bit field at an even offset (an IPv4
 * address, a sequence number), host order. */
uint16_t csum_update32(uint16_t csum, uint32_t old_val, uint32_t new_val);

#endif
