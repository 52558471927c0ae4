/* SPDX-License-Identifier: MIT */
/*
 * ICMPv6 (RFC 4443), Neighbor Discovery messages and options (RFC 4861, nonce RFC 7527)
 * and MLD (v1 RFC 2710, v2 RFC 3810).
 *
 * Contract: every parser takes the whole ICMPv6 message (from its Type octet) as
 * buf[0..len), checks the length its type needs before reading, and reads nothing past
 * len; options and MLD records are walked with iterators that refuse (-1) an item whose
 * length runs past the message or is zero. The checksum covers the RFC 8200 8.1
 * pseudo-header (csum_pseudo_v6() with next header 58) plus the whole message. Emitters
 * write exactly the bytes their comment names and checksum nothing unless they say so:
 * icmpv6_emit() writes the 8-byte header and the checksum of buf[0..total_len).
 */
#ifndef NS_WIRE_ICMPV6_H
#define NS_WIRE_ICMPV6_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netstack/addr.h"
#include "wire/bytes.h"

#define ICMPV6_HLEN 8

/* Types (RFC 4443 2.1, RFC 4861 4, RFC 2710 3, RFC 3810 5). */
#define ICMPV6_DEST_UNREACH   1
#define ICMPV6_PACKET_TOO_BIG 2
#define ICMPV6_TIME_EXCEEDED  3
#define ICMPV6_PARAM_PROBLEM  4
#define ICMPV6_ECHO_REQUEST   128
#define ICMPV6_ECHO_REPLY     129
#define ICMPV6_MLD_QUERY      130
#define ICMPV6_MLD_REPORT     131
#define ICMPV6_MLD_DONE       132
#define ICMPV6_ND_RS          133
#define ICMPV6_ND_RA          134
#define ICMPV6_ND_NS          135
#define ICMPV6_ND_NA          136
#define ICMPV6_ND_REDIRECT    137
#define ICMPV6_MLD2_REPORT    143

/* Destination unreachable codes (RFC 4443 3.1). */
#define ICMPV6_UNREACH_NOROUTE      0
#define ICMPV6_UNREACH_ADMIN        1
#define ICMPV6_UNREACH_BEYOND_SCOPE 2
#define ICMPV6_UNREACH_ADDR         3
#define ICMPV6_UNREACH_PORT         4
#define ICMPV6_UNREACH_POLICY       5
#define ICMPV6_UNREACH_REJECT       6
/* Time exceeded codes (RFC 4443 3.3). */
#define ICMPV6_EXC_HOPLIMIT 0
#define ICMPV6_EXC_FRAGTIME 1
/* Parameter problem codes (RFC 4443 3.4). */
#define ICMPV6_PARAM_HEADER   0
#define ICMPV6_PARAM_NEXT_HDR 1
#define ICMPV6_PARAM_OPTION   2

struct icmpv6_repr {
	uint8_t type, code;
	uint16_t csum;    /* as received; ignored by icmpv6_emit() */
	uint32_t rest;    /* raw bytes 4..7: the MTU of a packet too big, the pointer of a
	                   * parameter problem (RFC 4443 3.2, 3.4) */
	uint16_t id, seq; /* echo: bytes 4..5 and 6..7 (views of rest) */
};

/** icmpv6_parse() - Decode the 8-byte header of a message of @len bytes (no checksum
 * check). False if len < 8. */
bool icmpv6_parse(struct icmpv6_repr *r, const uint8_t *buf, size_t len);
/** icmpv6_csum_ok() - Does the message buf[0..len) carry a right checksum? @pseudo:
 * csum_pseudo_v6(src, dst, 58, len). */
bool icmpv6_csum_ok(const uint8_t *buf, size_t len, uint32_t pseudo);
/**
 * icmpv6_emit() - Write the header to buf[0..8) (bytes 4..7 from id and seq for echo
 * request and reply, from rest for every other type) and the checksum of buf[0..total_len)
 * plus @pseudo, whose body the caller has already put in place.
 */
void icmpv6_emit(const struct icmpv6_repr *r, uint8_t *buf, size_t total_len, uint32_t pseudo);
/** icmpv6_csum_store() - Compute and store the checksum of the message buf[0..len) whose
 * checksum field (bytes 2..3) is zero. */
void icmpv6_csum_store(uint8_t *buf, size_t len, uint32_t pseudo);

/** icmpv6_is_error() - Error messages have types 0..127 (RFC 4443 2.1). */
static inline bool icmpv6_is_error(uint8_t type)
{
	return type < 128;
}

/* ---------------------------------------------------------------- Neighbor Discovery */

/* Fixed lengths (type to the options) of the messages (RFC 4861 4.1-4.5). */
#define NDP_RS_LEN       8
#define NDP_RA_LEN       16
#define NDP_NS_LEN       24
#define NDP_NA_LEN       24
#define NDP_REDIRECT_LEN 40

/* NA flags (RFC 4861 4.4) and RA flags (4.2, RFC 4191 2.2 preference). */
#define NDP_NA_ROUTER    0x80
#define NDP_NA_SOLICITED 0x40
#define NDP_NA_OVERRIDE  0x20
#define NDP_RA_MANAGED   0x80
#define NDP_RA_OTHER     0x40

/*
 * A Neighbor Discovery message as parsed: the fields its type defines, the rest zero. The
 * options are not parsed: opts/opts_len point at them for an ndp_opt_iter.
 */
struct ndp_repr {
	uint8_t type;
	uint8_t code;
	/* RA */
	uint8_t cur_hop_limit;
	uint8_t ra_flags;         /* NDP_RA_* and the preference bits, as received */
	uint16_t router_lifetime; /* seconds */
	uint32_t reachable_time;  /* ms */
	uint32_t retrans_timer;   /* ms */
	/* NA */
	uint8_t na_flags; /* NDP_NA_* */
	/* NS, NA, redirect: the target; redirect: also the destination */
	uint8_t target[16];
	uint8_t dest[16];
	const uint8_t *opts;
	uint32_t opts_len;
};

/** ndp_fixed_len() - The fixed length of ND message @type, 0 if it is not one. */
uint32_t ndp_fixed_len(uint8_t type);
/** ndp_parse() - Decode the ND message at buf[0..len) (types 133..137). False for another
 * type or a message shorter than its fixed part. */
bool ndp_parse(struct ndp_repr *r, const uint8_t *buf, size_t len);
/** ndp_emit() - Write the fixed part of @r->type (ndp_fixed_len() bytes: type, code 0, a
 * zero checksum, and the type's fields); options follow from the caller. */
void ndp_emit(const struct ndp_repr *r, uint8_t *buf);

/* Option types (RFC 4861 4.6, RFC 7527 / RFC 3971 5.3.2 nonce). */
#define NDP_OPT_SLLA       1
#define NDP_OPT_TLLA       2
#define NDP_OPT_PREFIX     3
#define NDP_OPT_REDIRECTED 4
#define NDP_OPT_MTU        5
#define NDP_OPT_NONCE      14

#define NDP_OPT_LLA_LEN    8 /* an Ethernet address option */
#define NDP_OPT_PREFIX_LEN 32
#define NDP_OPT_MTU_LEN    8
#define NDP_OPT_NONCE_LEN  8 /* RFC 7527: 6 nonce bytes */

/* Prefix information flags (RFC 4861 4.6.2). */
#define NDP_PREFIX_ONLINK 0x80
#define NDP_PREFIX_AUTO   0x40

struct ndp_opt {
	uint8_t type;
	uint32_t len;     /* bytes, the whole option */
	const uint8_t *p; /* at the type octet */
};

struct ndp_opt_iter {
	const uint8_t *p;
	uint32_t left;
};

static inline void ndp_opt_iter_init(struct ndp_opt_iter *it, const uint8_t *opts, uint32_t len)
{
	it->p = opts;
	it->left = len;
}
/** ndp_opt_next() - 1 with the next option in *@o, 0 at the end, -1 if an option has length
 * 0 or runs past the end (RFC 4861 4.6: such a message MUST be discarded). */
int ndp_opt_next(struct ndp_opt_iter *it, struct ndp_opt *o);
/** ndp_opts_valid() - Walk every option of @opts; false if any is malformed. */
bool ndp_opts_valid(const uint8_t *opts, uint32_t len);

/** ndp_opt_lla() - The Ethernet address of a link-layer address option (type 1 or 2 of
 * length 8). False for any other shape (other link types have other lengths). */
bool ndp_opt_lla(const struct ndp_opt *o, struct ns_mac *mac);
struct ndp_prefix {
	uint8_t prefix_len;
	uint8_t flags;      /* NDP_PREFIX_* */
	uint32_t valid;     /* seconds; 0xffffffff is infinity */
	uint32_t preferred; /* seconds */
	uint8_t prefix[16];
};
/** ndp_opt_prefix() - Decode a prefix information option (32 bytes). */
bool ndp_opt_prefix(const struct ndp_opt *o, struct ndp_prefix *p);
/** ndp_opt_mtu() - Decode an MTU option (8 bytes). */
bool ndp_opt_mtu(const struct ndp_opt *o, uint32_t *mtu);
/** ndp_opt_nonce() - The 6 nonce bytes of a nonce option of length 8 (RFC 7527). */
bool ndp_opt_nonce(const struct ndp_opt *o, uint8_t nonce[6]);

/* Option emitters: each writes exactly its length (returned) at @buf. */
uint32_t ndp_opt_emit_lla(uint8_t *buf, uint8_t type, const struct ns_mac *mac);
uint32_t ndp_opt_emit_prefix(uint8_t *buf, const struct ndp_prefix *p);
uint32_t ndp_opt_emit_mtu(uint8_t *buf, uint32_t mtu);
uint32_t ndp_opt_emit_nonce(uint8_t *buf, const uint8_t nonce[6]);

/* ---------------------------------------------------------------- MLD */

#define MLD1_LEN         24 /* an MLDv1 query, report or done (RFC 2710 3) */
#define MLD2_QUERY_MIN   28 /* an MLDv2 query without sources (RFC 3810 5.1) */
#define MLD2_REPORT_HLEN 8
#define MLD2_RECORD_HLEN 20

/* MLDv2 record types (RFC 3810 5.2.12). */
#define MLD2_MODE_IS_INCLUDE   1
#define MLD2_MODE_IS_EXCLUDE   2
#define MLD2_CHANGE_TO_INCLUDE 3
#define MLD2_CHANGE_TO_EXCLUDE 4
#define MLD2_ALLOW_NEW_SOURCES 5
#define MLD2_BLOCK_OLD_SOURCES 6

struct mld_query {
	bool v2;              /* an MLDv2 query (28 bytes or more); else MLDv1 (24) */
	uint32_t max_resp_ms; /* Maximum Response Delay, decoded (RFC 3810 5.1.3) */
	uint8_t group[16];    /* :: for a general query */
	bool suppress;        /* S flag */
	uint8_t qrv;          /* Querier's Robustness Variable */
	uint32_t qqi_s;       /* Querier's Query Interval, decoded (5.1.9) */
	uint16_t nsources;
	const uint8_t *sources; /* nsources * 16 bytes */
};
/** mld_query_parse() - Decode a query (type 130) of @len bytes: exactly 24 bytes is MLDv1,
 * 28 or more with room for every source is MLDv2; any other length is refused (RFC 3810
 * 8.1: such queries are ignored). */
bool mld_query_parse(struct mld_query *q, const uint8_t *buf, size_t len);
/** mld_query_emit() - Write an MLDv2 query of 28 + 16 * nsources bytes (checksum zero);
 * max_resp_ms and qqi_s are encoded in the RFC 3810 5.1.3/5.1.9 floating-point forms. */
size_t mld_query_emit(const struct mld_query *q, uint8_t *buf);

/* One multicast address record as emitted or walked (RFC 3810 5.2.4). */
struct mld2_record {
	uint8_t type;
	uint8_t group[16];
	uint16_t nsources;
	const uint8_t *sources; /* nsources * 16 bytes */
};
struct mld2_record_iter {
	const uint8_t *p;
	uint32_t left;
	uint16_t remaining; /* records still announced by the header */
};
/** mld2_report_parse() - Start walking an MLDv2 report (type 143) of @len bytes; false if
 * it is shorter than its 8-byte header. */
bool mld2_report_parse(struct mld2_record_iter *it, const uint8_t *buf, size_t len);
/** mld2_record_next() - 1 with the next record, 0 after the last announced one, -1 if a
 * record runs past the message. */
int mld2_record_next(struct mld2_record_iter *it, struct mld2_record *r);
/** mld2_report_len() - Bytes an MLDv2 report of these records takes. */
size_t mld2_report_len(const struct mld2_record *recs, size_t n);
/** mld2_report_emit() - Write an MLDv2 report of @n records (with their sources, no
 * auxiliary data) at @buf, checksum zero; returns its length. */
size_t mld2_report_emit(uint8_t *buf, const struct mld2_record *recs, size_t n);

/** mld1_emit() - Write a 24-byte MLDv1 report (131) or done (132) for @group, checksum
 * zero. */
void mld1_emit(uint8_t *buf, uint8_t type, const uint8_t group[16]);
/** mld1_group() - The multicast address of an MLDv1 message (or the group of any query),
 * at bytes 8..23; NULL if len < 24. */
static inline const uint8_t *mld1_group(const uint8_t *buf, size_t len)
{
	return len >= MLD1_LEN ? buf + 8 : NULL;
}

#endif
