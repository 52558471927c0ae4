/* SPDX-License-Identifier: MIT */
/*
 * TCP header and options (RFC 9293 3.1-3.2; MSS RFC 6691; window scale and timestamps
 * RFC 7323; SACK RFC 2018).
 *
 * Contract: tcp_parse() reads nothing past buf[len), and after it succeeds the header
 * buf[0..r->hdr_len) is known to be well formed, so the tcp_get_*() accessors are safe.
 * tcp_emit() never fails and writes exactly tcp_repr_hdr_len(r) bytes. Checksums take the
 * pseudo-header partial sum from csum_pseudo_v4()/_v6() over the segment length.
 */
#ifndef NS_WIRE_TCP_H
#define NS_WIRE_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/bytes.h"

#define TCP_MIN_HLEN 20
#define TCP_MAX_HLEN 60

/* Flags (byte 13). */
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20
#define TCP_ECE 0x40
#define TCP_CWR 0x80

/* Option kinds and lengths. */
#define TCP_OPT_EOL       0
#define TCP_OPT_NOP       1
#define TCP_OPT_MSS       2 /* length 4 */
#define TCP_OPT_WS        3 /* length 3 */
#define TCP_OPT_SACK_PERM 4 /* length 2 */
#define TCP_OPT_SACK      5 /* length 2 + 8n */
#define TCP_OPT_TS        8 /* length 10 */

/* RFC 7323 2.3: the largest shift count; a larger one received is used as 14. */
#define TCP_MAX_WSCALE 14
#define TCP_MAX_SACK   4

struct tcp_repr {
	uint16_t src_port, dst_port;
	uint32_t seq, ack;
	uint8_t hdr_len; /* parse: data offset in bytes; ignored by tcp_emit() */
	uint8_t flags;   /* TCP_FIN ... TCP_CWR */
	uint16_t window; /* unscaled, as on the wire */
	uint16_t csum;   /* parse: as received; emit: written as is */
	uint16_t urg;
	/* Options. */
	uint16_t mss;  /* 0 = absent */
	int8_t wscale; /* -1 = absent; parse clamps to 14 (RFC 7323 2.3) */
	bool sack_permitted;
	bool has_ts;
	uint32_t tsval, tsecr;
	uint8_t nsack; /* number of SACK blocks, 0..4 */
	struct {
		uint32_t left, right;
	} sack[TCP_MAX_SACK];
};

enum tcp_err {
	TCP_OK = 0,
	TCP_E_TRUNCATED, /* len < 20 */
	TCP_E_OFFSET,    /* data offset < 5, or past len */
	TCP_E_OPTION,    /* an option's length < 2 or running past the header */
};

/**
 * tcp_parse() - Validate and decode the header of the segment buf[0..len).
 *
 * Options: EOL ends the list, NOP is skipped, MSS (4), WS (3), SACK-permitted (2), SACK
 * (2 + 8n, n 1..4) and timestamps (10) are decoded in any segment (the caller decides
 * which it honours, e.g. MSS and WS only on SYN); a known kind with the wrong length and
 * unknown kinds are skipped by their length, as Linux does. A later duplicate overrides.
 * Does not check the checksum (tcp_csum_ok()). On failure *r is unspecified.
 */
enum tcp_err tcp_parse(struct tcp_repr *r, const uint8_t *buf, size_t len);

/**
 * tcp_repr_hdr_len() - Header length tcp_emit() writes: 20 + options, padded to 4.
 *
 * The options follow Linux's tcp_options_write() layouts. With TCP_SYN: MSS (if mss),
 * then timestamps as SACK-perm+TS "04 02 08 0a" (if has_ts and sack_permitted) or
 * "01 01 08 0a" (has_ts), or "01 01 04 02" (sack_permitted alone), then "01 03 03 ws" (if
 * wscale >= 0, clamped to 14). Without TCP_SYN: "01 01 08 0a" TS (if has_ts), then
 * "01 01 05 len" + blocks (if nsack; at most 3 blocks with TS, 4 without). Fields that do
 * not belong to the segment kind are not emitted.
 */
size_t tcp_repr_hdr_len(const struct tcp_repr *r);

/** tcp_emit() - Write header and options to @buf (tcp_repr_hdr_len(r) bytes; reserved bits
 * zero, checksum field = r->csum). Returns the header length. */
size_t tcp_emit(const struct tcp_repr *r, uint8_t *buf);

/** tcp_csum_ok() - True if the checksum of the segment buf[0..len) plus @pseudo is right. */
bool tcp_csum_ok(const uint8_t *buf, size_t len, uint32_t pseudo);

/** tcp_set_csum() - Compute the checksum of buf[0..len) plus @pseudo and store it. */
void tcp_set_csum(uint8_t *buf, size_t len, uint32_t pseudo);

/* Field accessors: safe once the buffer holds TCP_MIN_HLEN bytes. */
static inline uint16_t tcp_get_src_port(const uint8_t *buf)
{
	return rd16(buf);
}
static inline uint16_t tcp_get_dst_port(const uint8_t *buf)
{
	return rd16(buf + 2);
}
static inline uint32_t tcp_get_seq(const uint8_t *buf)
{
	return rd32(buf + 4);
}
static inline uint32_t tcp_get_ack(const uint8_t *buf)
{
	return rd32(buf + 8);
}
static inline uint8_t tcp_get_hdr_len(const uint8_t *buf)
{
	return (uint8_t)((buf[12] >> 4) * 4);
}
static inline uint8_t tcp_get_flags(const uint8_t *buf)
{
	return buf[13];
}
static inline uint16_t tcp_get_window(const uint8_t *buf)
{
	return rd16(buf + 14);
}
static inline uint16_t tcp_get_csum(const uint8_t *buf)
{
	return rd16(buf + 16);
}
static inline uint16_t tcp_get_urg(const uint8_t *buf)
{
	return rd16(buf + 18);
}

#endif
