/* SPDX-License-Identifier: MIT */
/*
 * The Internet checksum (RFC 1071), written for speed.
 *
 * The data are loaded 8 bytes at a time as native-order words and summed with 64-bit
 * accumulators. That is exact: 2^32 and 2^64 are 1 mod 0xffff, so a 32- or 64-bit word (and
 * a one's-complement sum of them) is congruent mod 0xffff to the sum of its 16-bit words,
 * and by RFC 1071 section 2(B) a sum of native-order words is the byte swap of the sum of
 * big-endian words, fixed once at the end. Loads go through
 * memcpy, so any start address and any length are fine and no byte past len is read.
 */
#include "wire/checksum.h"

#include <string.h>

#include "wire/bytes.h"

/* a + b with the carry out of bit 63 added back in (one's-complement addition). */
static inline uint64_t add_carry64(uint64_t a, uint64_t b)
{
	uint64_t s = a + b;
	return s + (s < b);
}

static inline uint64_t load64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

/* Fold a one's-complement accumulator to 16 bits, preserving its value mod 0xffff. */
static inline uint16_t fold64(uint64_t acc)
{
	uint64_t s = (acc & 0xffffffffu) + (acc >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffu) + (s >> 16);
	s = (s & 0xffffu) + (s >> 16);
	return (uint16_t)s;
}

/* Bytes per pass of the main loop: 2^26 iterations of at most 2 * (2^32 - 1) per accumulator
 * cannot overflow 64 bits. */
#define CHUNK ((size_t)1 << 30)

/* Sum of @len bytes as native-order 16-bit words, folded to 16 bits. */
static uint16_t sum_native(const uint8_t *p, size_t len)
{
	uint64_t total = 0;

	/*
	 * Main loop: each 8-byte load is added as two 32-bit halves into 64-bit accumulators,
	 * so no add can carry out and there is no carry chain: the four accumulators are
	 * independent and compilers vectorise the loop. A 32-bit half is congruent to the sum
	 * of its two 16-bit words, so this is still the one's-complement sum.
	 */
	while (len >= 16) {
		size_t n = (len < CHUNK ? len : CHUNK) & ~(size_t)15;
		uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;

		len -= n;
		for (; n; n -= 16, p += 16) {
			uint64_t v0 = load64(p), v1 = load64(p + 8);

			a0 += (uint32_t)v0;
			a1 += v0 >> 32;
			a2 += (uint32_t)v1;
			a3 += v1 >> 32;
		}
		total = add_carry64(total, a0 + a1 + a2 + a3);
	}
	if (len >= 8) {
		total = add_carry64(total, load64(p));
		p += 8;
		len -= 8;
	}
	if (len >= 4) {
		uint32_t w;
		memcpy(&w, p, 4);
		total = add_carry64(total, w);
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t w;
		memcpy(&w, p, 2);
		total = add_carry64(total, w);
		p += 2;
		len -= 2;
	}
	if (len) {
		/* The odd last byte is the first byte of a word whose second byte is zero. */
		uint8_t t[2] = {p[0], 0};
		uint16_t w;
		memcpy(&w, t, 2);
		total = add_carry64(total, w);
	}
	return fold64(total);
}

uint32_t csum_partial(const void *buf, size_t len, uint32_t sum)
{
	uint16_t native = sum_native(buf, len);
	uint8_t b[2];
	uint32_t s;

	/* Native order -> big-endian word value (a byte swap on little-endian hosts). */
	memcpy(b, &native, 2);
	s = sum + rd16(b);
	return s + (s < sum); /* end-around carry: 2^32 == 1 (mod 0xffff) */
}

uint16_t csum_fold(uint32_t sum)
{
	sum = (sum & 0xffffu) + (sum >> 16);
	sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)sum;
}

uint32_t csum_pseudo_v4(const uint8_t src[4], const uint8_t dst[4], uint8_t proto, uint32_t len)
{
	/* At most 7 terms of 16 bits: no overflow. */
	return (uint32_t)rd16(src) + rd16(src + 2) + rd16(dst) + rd16(dst + 2) + proto +
	       (len >> 16) + (len & 0xffffu);
}

uint32_t csum_pseudo_v6(const uint8_t src[16], const uint8_t dst[16], uint8_t proto, uint32_t len)
{
	uint32_t s = proto + (len >> 16) + (len & 0xffffu);

	/* At most 19 terms of 16 bits: no overflow. */
	for (int i = 0; i < 16; i += 2)
		s += (uint32_t)rd16(src + i) + rd16(dst + i);
	return s;
}

uint16_t csum_update16(uint16_t csum, uint16_t old_val, uint16_t new_val)
{
	uint32_t s = (uint32_t)(uint16_t)~csum + (uint16_t)~old_val + new_val;
	return (uint16_t)~csum_fold(s);
}

uint16_t csum_update32(uint16_t csum, uint32_t old_val, uint32_t new_val)
{
	uint32_t s = (uint32_t)(uint16_t)~csum;

	s += (uint16_t) ~(old_val >> 16);
	s += (uint16_t)~old_val;
	s += new_val >> 16;
	s += new_val & 0xffffu;
	return (uint16_t)~csum_fold(s);
}
