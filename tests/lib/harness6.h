/* SPDX-License-Identifier: MIT */
/*
 * The IPv6 side of the packet-test harness (harness.h): the same world, with IPv6 on it,
 * and frame builders and checkers for IPv6, its extension headers, ICMPv6 and UDP.
 *
 *     peer 2001:db8::1, fe80::1   02:00:00:00:00:01  <-- channel -->  stack, NIC 1 ("nt0")
 *                                                                    2001:db8::2/64
 *                                                                    fe80::ff:fe00:2/64
 *                                                                    02:00:00:00:00:02
 *
 * nt6_setup() builds harness.h's world (IPv4 included) with IPv6 knobs fit for tests
 * (duplicate address detection and router solicitation off unless asked for), then adds
 * 2001:db8::2/64 (IPv6 comes up: the link-local address is added and the solicited-node
 * groups joined), a default route through 2001:db8::1 and a static neighbor for it, lets
 * three seconds of virtual time pass so the MLD reports of the joins are all sent (and
 * DAD, when on, is over), and
 * discards every frame up to there: a test starts from a quiet link.
 *
 * Templates work as harness.h's: NT6_ICMP(...), NT6_UDP(...) and NT6_RAW(...) start with
 * every field unset; a sender fills unset fields with the peer's defaults (peer -> us, hop
 * limit 64, lengths and checksums right, the destination MAC mapped for a multicast
 * destination); a checker compares only what is set and always insists on right ICMPv6 and
 * UDP checksums. Extension headers go in .ext (.ext_len bytes, written as given, between
 * the IPv6 header and the upper layer); with .ext set, .nh must name the first one and
 * the last must name the upper layer (.upper, default the template's protocol).
 */
#ifndef NS_TEST_HARNESS6_H
#define NS_TEST_HARNESS6_H

#include "harness.h"
#include "netstack/ipv6.h"
#include "wire/icmpv6.h"
#include "wire/ipv6.h"

#define NT6(...)          ((struct ns_addr){.family = NS_AF_INET6, .a = {__VA_ARGS__}})
#define NT6_ADDR_US       NT6(0x20, 0x01, 0x0d, 0xb8, [15] = 2)
#define NT6_ADDR_PEER     NT6(0x20, 0x01, 0x0d, 0xb8, [15] = 1)
#define NT6_LL_US         NT6(0xfe, 0x80, [11] = 0xff, [12] = 0xfe, [15] = 2) /* EUI-64 */
#define NT6_LL_PEER       NT6(0xfe, 0x80, [15] = 1)
#define NT6_ALL_NODES     NT6(0xff, 0x02, [15] = 1)
#define NT6_ALL_ROUTERS   NT6(0xff, 0x02, [15] = 2)
#define NT6_MLDV2_ROUTERS NT6(0xff, 0x02, [15] = 0x16)
#define NT6_UNSPEC        NT6(0)
/* The solicited-node group of an address ending in ...:xx:yyzz. */
#define NT6_SNODE(x, y, z) NT6(0xff, 0x02, [11] = 1, [12] = 0xff, [13] = x, [14] = y, [15] = z)

/* Fields every IPv6 template has. */
#define NT6_IP_FIELDS                                                                      \
	struct nt_mac eth_src, eth_dst; /* peer -> us (33:33:xx for a multicast dst) */    \
	struct ns_addr src, dst;        /* NT6_ADDR_PEER -> NT6_ADDR_US */                 \
	int64_t version;                /* 6 */                                            \
	int64_t tclass, flow;           /* 0, 0 */                                         \
	int64_t plen;                   /* payload length field (computed) */              \
	int64_t nh;                     /* the IPv6 header's next header (the upper layer, \
	                                 * or the first of .ext) */                        \
	int64_t upper;                  /* the upper layer's protocol (the template's) */  \
	int64_t hop_limit;              /* 64 */                                           \
	const void *ext;                /* extension headers */                            \
	int64_t ext_len;                                                                   \
	int64_t frame_len, pad

#define NT6_IP_UNSET_                                                                      \
	.version = NT_ANY, .tclass = NT_ANY, .flow = NT_ANY, .plen = NT_ANY, .nh = NT_ANY, \
	.upper = NT_ANY, .hop_limit = NT_ANY, .ext_len = NT_ANY, .frame_len = NT_ANY,      \
	.pad = NT_ANY

/* Raw upper-layer bytes after the IPv6 header (and .ext). Default protocol NT_DEF_PROTO. */
struct nt6_raw {
	NT6_IP_FIELDS;
	const void *payload;
	int64_t len;
};
#define NT6_RAW(...) (&(const struct nt6_raw){NT6_IP_UNSET_, .len = NT_ANY, __VA_ARGS__})

/* An ICMPv6 message (default: echo request, NT_DEF_ECHO_ID, NT_DEF_ECHO_SEQ). @rest is
 * bytes 4..7 (an MTU, a pointer, ND flags); @payload follows the 8-byte header. */
struct nt6_icmp {
	NT6_IP_FIELDS;
	int64_t type, code;
	int64_t id, seq;
	int64_t rest;
	int64_t csum;
	const void *payload;
	int64_t len;
};
#define NT6_ICMP(...)                                                                           \
	(&(const struct nt6_icmp){NT6_IP_UNSET_, .type = NT_ANY, .code = NT_ANY, .id = NT_ANY,  \
	                          .seq = NT_ANY, .rest = NT_ANY, .csum = NT_ANY, .len = NT_ANY, \
	                          __VA_ARGS__})

struct nt6_udp {
	NT6_IP_FIELDS;
	int64_t sport, dport;
	int64_t ulen;
	int64_t csum; /* 0 sends none (which IPv6 forbids) */
	const void *payload;
	int64_t len;
};
#define NT6_UDP(...)                                                                              \
	(&(const struct nt6_udp){NT6_IP_UNSET_, .sport = NT_ANY, .dport = NT_ANY, .ulen = NT_ANY, \
	                         .csum = NT_ANY, .len = NT_ANY, __VA_ARGS__})

struct nt6_opts {
	bool dad;          /* duplicate address detection on */
	bool rs;           /* router solicitations on (ipv6_rtr_solicits 3) */
	bool no_address6;  /* no IPv6 address, route or neighbor: the test sets them up */
	bool no_neighbor6; /* no static neighbor for 2001:db8::1 */
	bool stable_iid;   /* RFC 7217 identifiers */
	bool forwarding;
	bool probe; /* the probe transport (harness.h) */
	bool allow_unread;
	uint32_t mtu;
	/* Last word on the configuration. */
	void (*config)(struct ns_stack_config *cfg);
};
#define NT6_OPTS(...) (&(const struct nt6_opts){__VA_ARGS__})

/* A captured IPv6 frame, parsed. Pointers point into b[]. */
struct nt6_frame {
	uint32_t len;
	bool csum_partial;
	struct eth_repr eth;
	const uint8_t *l3;
	struct ipv6_repr ip;
	uint8_t upper;     /* after the extension headers */
	uint32_t ext_len;  /* bytes of extension headers */
	bool router_alert; /* a hop-by-hop Router Alert option */
	const uint8_t *l4; /* the upper-layer header */
	uint32_t l4_len;
	struct icmpv6_repr icmp;
	struct udp_repr udp;
	const uint8_t *payload; /* after the ICMPv6 or UDP header */
	uint32_t payload_len;
	uint8_t b[NT_FRAME_MAX];
};

void nt6_setup(struct nt *t, const struct nt6_opts *o);
int nt6_cm_setup(void **state);
int nt6_cm_setup_opts(void **state, const struct nt6_opts *o);

/* Build and inject as the peer. */
uint32_t nt6_build_raw(const struct nt6_raw *m, uint8_t *buf, uint32_t cap);
uint32_t nt6_build_icmp(const struct nt6_icmp *m, uint8_t *buf, uint32_t cap);
uint32_t nt6_build_udp(const struct nt6_udp *m, uint8_t *buf, uint32_t cap);
void nt6_send_raw(struct nt *t, const struct nt6_raw *m);
void nt6_send_icmp(struct nt *t, const struct nt6_icmp *m);
void nt6_send_udp(struct nt *t, const struct nt6_udp *m);

const struct nt6_frame *nt6_expect_raw_at(struct nt *t, const struct nt6_raw *m, const char *file,
                                          int line);
const struct nt6_frame *nt6_expect_icmp_at(struct nt *t, const struct nt6_icmp *m, const char *file,
                                           int line);
const struct nt6_frame *nt6_expect_udp_at(struct nt *t, const struct nt6_udp *m, const char *file,
                                          int line);
#define nt6_expect_raw(t, m)  nt6_expect_raw_at(t, m, __FILE__, __LINE__)
#define nt6_expect_icmp(t, m) nt6_expect_icmp_at(t, m, __FILE__, __LINE__)
#define nt6_expect_udp(t, m)  nt6_expect_udp_at(t, m, __FILE__, __LINE__)

/* Neighbor Discovery bodies (after the 8-byte ICMPv6 header) for NT6_ICMP's payload;
 * each returns its length. A NULL MAC or nonce leaves the option out. */
uint32_t nt6_nd_target(uint8_t *buf, const struct ns_addr *target, uint8_t opt_type,
                       const struct ns_mac *lla, const uint8_t *nonce);
/** nt6_expect_nd() - Expect an ND message of @type (hop limit 255, code 0), parse it into
 * *@r and return the frame; the options are in r->opts. */
const struct nt6_frame *nt6_expect_nd_at(struct nt *t, uint8_t type, const struct nt6_icmp *m,
                                         struct ndp_repr *r, const char *file, int line);
#define nt6_expect_nd(t, type, m, r) nt6_expect_nd_at(t, type, m, r, __FILE__, __LINE__)
/** nt6_nd_lla() - The link-layer address option of @type in @r, if there is one. */
bool nt6_nd_lla(const struct ndp_repr *r, uint8_t type, struct ns_mac *mac);

/** nt6_expect_mld2() - Expect an MLDv2 report (to ff02::16, hop limit 1, Router Alert) and
 * return its records (up to @max) in @recs; *@n says how many it has. */
const struct nt6_frame *nt6_expect_mld2_at(struct nt *t, struct mld2_record *recs, size_t max,
                                           size_t *n, const char *file, int line);
#define nt6_expect_mld2(t, recs, max, n) nt6_expect_mld2_at(t, recs, max, n, __FILE__, __LINE__)

#endif
