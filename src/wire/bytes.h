/* SPDX-License-Identifier: MIT */
/*
 * Big-endian (network order) loads and stores on byte pointers.
 *
 * Contract: each helper touches exactly 2 or 4 bytes at the pointer, has no alignment
 * requirement and never reads or writes anything else. Wire code reads headers only through
 * these (no struct overlays, no in-place ntohs), so it is correct on any host byte order.
 */
#ifndef NS_WIRE_BYTES_H
#define NS_WIRE_BYTES_H

#include <stdint.h>

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#endif
