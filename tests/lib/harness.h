/* SPDX-License-Identifier: MIT */
/*
 * The packet-test harness: a whole stack on an Ethernet channel link, driven by a virtual
 * clock, with frame builders for what the peer sends and frame checkers for what the stack
 * answers (the way smoltcp's socket tests, lwIP's tcp_helper and gVisor's checker work).
 *
 * The world of a test (struct nt, built by nt_setup()):
 *
 *     peer 192.0.2.1  02:00:00:00:00:01   <-- channel link -->   stack, NIC 1 ("nt0")
 *                                                                192.0.2.2/24
 *                                                                02:00:00:00:00:02
 *
 * with a default route via 192.0.2.1 and a static neighbor entry 192.0.2.1 ->
 * 02:00:00:00:00:01 (unless nt_opts.no_neighbor), the built-in protocols, a fixed seed and
 * a virtual clock that starts at NT_T0 and moves only in nt_advance(). Frames the stack
 * writes during setup (the gratuitous ARP for the address) are discarded.
 *
 * Templates. NT_IPV4(...), NT_ICMP(...), NT_UDP(...) and NT_ARP(...) expand to a pointer to
 * a compound literal in which every field starts "unset" and the designated initializers
 * given override it:
 *
 *     nt_send_udp(t, NT_UDP(.dport = 7, .payload = "x", .len = 1));
 *     nt_expect_icmp(t, NT_ICMP(.type = 3, .code = 3, .dst = NT_ADDR_PEER));
 *
 * The same template serves both directions. A sender fills every unset field with the
 * peer's default (addresses and MACs peer -> us, TTL 64, id/ports/echo id fixed, lengths
 * and checksums computed), so tests write only what matters; setting a length or checksum
 * field sends that (wrong) value instead. A checker reads the channel's next outbound
 * frame, parses it with the wire parsers, asserts that every checksum is right (IPv4
 * header, ICMP, UDP unless the packet left with an offloaded partial checksum), and compares
 * only the fields the test set. Unset means: NT_ANY for integers, family 0 for addresses
 * (use NT_V4()), .set == false for MACs (use NT_MAC()), NULL for byte pointers. A payload
 * with an unset .len uses strlen(payload).
 *
 * Frames shorter than 60 bytes are padded to 60 with .pad (default 0), as an Ethernet link
 * delivers them; .frame_len sends exactly that many bytes instead (cut short or padded), so
 * nt_send_icmp(t, NT_ICMP(.frame_len = n)) is a truncated echo request.
 *
 * Checkers are macros that report the test's own file and line on failure and return the
 * captured frame (struct nt_frame) for further checks, e.g. on an error's quoted datagram.
 *
 * nt_stat() and nt_drops() count from the end of setup. nt_opts.probe adds a stand-in
 * transport (struct nt_probe, at the end of this file) for testing the network layer alone:
 * it sends through the real IPv4 write path and records the controls it is given.
 *
 * Every test ends with nt_teardown() (or the cmocka fixture nt_cm_teardown), which fails the
 * test if a frame is left unread (unless nt_opts.allow_unread), if an endpoint is still
 * live, or if any packet buffer leaked (ns_pkt_live() back to its value after setup).
 * Close your endpoints before the test returns.
 *
 * A test looks like this:
 *
 *     static void echo_answered(void **state)
 *     {
 *             struct nt *t = *state;
 *
 *             nt_send_icmp_echo(t, NT_ICMP(.seq = 7, .payload = "hi"));
 *             nt_expect_icmp(t, NT_ICMP(.type = ICMPV4_ECHO_REPLY, .seq = 7,
 *                                       .src = NT_ADDR_US, .payload = "hi"));
 *             nt_expect_nothing(t);
 *     }
 *     ...
 *     cmocka_unit_test_setup_teardown(echo_answered, nt_cm_setup, nt_cm_teardown),
 *
 * harness.h disables -Woverride-init (clang: -Winitializer-overrides) for the files that
 * include it: the templates rely on a later designated initializer overriding the unset
 * default, which C11 6.7.9p19 defines.
 */
#ifndef NS_TEST_HARNESS_H
#define NS_TEST_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "netstack/netstack.h"
#include "netstack/proto.h"
#include "wire/arp.h"
#include "wire/eth.h"
#include "wire/icmpv4.h"
#include "wire/ipv4.h"
#include "wire/udp.h"

#if defined(__clang__)
#pragma clang diagnostic ignored "-Winitializer-overrides"
#elif defined(__GNUC__)
#pragma GCC diagnostic ignored "-Woverride-init"
#endif

/* ---------------------------------------------------------------- constants */

#define NT_NIC       1                 /* the NIC id */
#define NT_T0        (1000 * NS_SEC)   /* the virtual clock at setup */
#define NT_SEED      0x6e7465737473ull /* the stack's seed ("ntests") */
#define NT_ANY       INT64_MIN         /* an unset integer field */
#define NT_FRAME_MAX (65536 + 64)      /* largest frame a checker captures */

/* A MAC in a template: .set distinguishes 00:00:00:00:00:00 from "unset". */
struct nt_mac {
	bool set;
	struct ns_mac m;
};
#define NT_MAC(m0, m1, m2, m3, m4, m5) \
	((struct nt_mac){.set = true, .m = {{m0, m1, m2, m3, m4, m5}}})
#define NT_V4(b0, b1, b2, b3) ((struct ns_addr){.family = NS_AF_INET, .a = {b0, b1, b2, b3}})

#define NT_MAC_US     NT_MAC(0x02, 0, 0, 0, 0, 0x02)
#define NT_MAC_PEER   NT_MAC(0x02, 0, 0, 0, 0, 0x01)
#define NT_MAC_BCAST  NT_MAC(0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
#define NT_MAC_ZERO   NT_MAC(0, 0, 0, 0, 0, 0)
#define NT_ADDR_US    NT_V4(192, 0, 2, 2)
#define NT_ADDR_PEER  NT_V4(192, 0, 2, 1)
#define NT_ADDR_BCAST NT_V4(255, 255, 255, 255)
#define NT_ADDR_ZERO  NT_V4(0, 0, 0, 0)
/* Behind the second NIC of nt_add_small_nic(). */
#define NT_ADDR_REMOTE NT_V4(198, 51, 100, 9)

/* Defaults the peer sends with. */
#define NT_DEF_TTL      64
#define NT_DEF_IP_ID    0x4242
#define NT_DEF_SPORT    40000
#define NT_DEF_DPORT    7
#define NT_DEF_ECHO_ID  0x1234
#define NT_DEF_ECHO_SEQ 1
#define NT_DEF_PROTO    253 /* RFC 3692 experimental: no transport has it */

/* ---------------------------------------------------------------- templates */

/* Ethernet and IPv4 fields every IP template has. */
#define NT_IP_FIELDS                                                                              \
	struct nt_mac eth_src, eth_dst; /* default: peer -> us */                                 \
	struct ns_addr src, dst;        /* default: peer -> us */                                 \
	int64_t version;                /* 4 */                                                   \
	int64_t ihl;                    /* IHL field in 32-bit words (default from options) */    \
	int64_t tos;                    /* 0 */                                                   \
	int64_t ip_len;                 /* total length field (default computed) */               \
	int64_t ip_id;                  /* NT_DEF_IP_ID */                                        \
	int64_t df, mf;                 /* 0, 0 */                                                \
	int64_t frag_off;               /* fragment offset in bytes, 0 */                         \
	int64_t ttl;                    /* NT_DEF_TTL */                                          \
	int64_t ip_proto;               /* from the template's protocol */                        \
	int64_t ip_csum;                /* header checksum field (default computed) */            \
	const void *ip_opts;            /* option bytes, ip_opts_len of them (a multiple of 4) */ \
	int64_t ip_opts_len;                                                                      \
	int64_t frame_len; /* exact frame length to send */                                       \
	int64_t pad        /* padding byte value (0) */

#define NT_IP_UNSET_                                                                        \
	.version = NT_ANY, .ihl = NT_ANY, .tos = NT_ANY, .ip_len = NT_ANY, .ip_id = NT_ANY, \
	.df = NT_ANY, .mf = NT_ANY, .frag_off = NT_ANY, .ttl = NT_ANY, .ip_proto = NT_ANY,  \
	.ip_csum = NT_ANY, .ip_opts_len = NT_ANY, .frame_len = NT_ANY, .pad = NT_ANY

/* A raw IPv4 datagram: the payload follows the header as is. */
struct nt_ipv4 {
	NT_IP_FIELDS;
	const void *payload;
	int64_t len;
};
#define NT_IPV4(...) (&(const struct nt_ipv4){NT_IP_UNSET_, .len = NT_ANY, __VA_ARGS__})

/* An ICMP message (default: echo request, id NT_DEF_ECHO_ID, seq NT_DEF_ECHO_SEQ). */
struct nt_icmp {
	NT_IP_FIELDS;
	int64_t type, code;
	int64_t id, seq;     /* echo */
	int64_t mtu;         /* fragmentation needed: next-hop MTU */
	int64_t rest;        /* bytes 4..7 as one big-endian value (other types) */
	int64_t csum;        /* checksum field (default computed) */
	const void *payload; /* after the 8-byte header */
	int64_t len;
};
#define NT_ICMP(...)                                                                           \
	(&(const struct nt_icmp){NT_IP_UNSET_, .type = NT_ANY, .code = NT_ANY, .id = NT_ANY,   \
	                         .seq = NT_ANY, .mtu = NT_ANY, .rest = NT_ANY, .csum = NT_ANY, \
	                         .len = NT_ANY, __VA_ARGS__})

/* A UDP datagram (default ports NT_DEF_SPORT -> NT_DEF_DPORT). */
struct nt_udp {
	NT_IP_FIELDS;
	int64_t sport, dport;
	int64_t ulen; /* UDP length field (default computed) */
	int64_t csum; /* checksum field (default computed; 0 sends none) */
	const void *payload;
	int64_t len;
};
#define NT_UDP(...)                                                                             \
	(&(const struct nt_udp){NT_IP_UNSET_, .sport = NT_ANY, .dport = NT_ANY, .ulen = NT_ANY, \
	                        .csum = NT_ANY, .len = NT_ANY, __VA_ARGS__})

/* An ARP packet (default: request from the peer for our address, broadcast). */
struct nt_arp {
	struct nt_mac eth_src, eth_dst; /* peer -> broadcast (request) or us (reply) */
	int64_t op;                     /* ARP_OP_REQUEST */
	struct nt_mac sha, tha;         /* peer MAC; zero (request) or ours (reply) */
	struct ns_addr spa, tpa;        /* peer -> us */
	int64_t frame_len, pad;
};
#define NT_ARP(...) \
	(&(const struct nt_arp){.op = NT_ANY, .frame_len = NT_ANY, .pad = NT_ANY, __VA_ARGS__})

/* ---------------------------------------------------------------- the test context */

struct nt_opts {
	bool no_neighbor;  /* no static neighbor for the peer: ARP must resolve it */
	bool no_address;   /* no address (nor the default route) on the NIC */
	bool allow_unread; /* teardown does not insist that every frame was read */
	bool forwarding;   /* ns_stack_config.forwarding */
	uint32_t mtu;      /* link MTU (1500) */
	uint32_t caps;     /* extra NS_CAP_* for the link (NS_CAP_RESOLUTION_REQUIRED always) */
	uint32_t icmp_rate, icmp_burst; /* 0: the stack's defaults */
	bool probe;                     /* register the probe transport (below) */
	/* Last word on the stack configuration, called just before ns_stack_new(). */
	void (*config)(struct ns_stack_config *cfg);
};
#define NT_OPTS(...) (&(const struct nt_opts){__VA_ARGS__})

/* A frame a checker took from the channel, parsed. Pointers point into b[]. */
struct nt_frame {
	uint32_t len;      /* frame length */
	bool csum_partial; /* left with NS_PKT_CSUM_PARTIAL (transport checksum not checked) */
	struct eth_repr eth;
	const uint8_t *l3; /* after the Ethernet header */
	uint32_t l3_len;   /* IPv4: total length; else the rest of the frame */
	struct ipv4_repr ip;
	const uint8_t *l4; /* the IPv4 payload */
	uint32_t l4_len;
	struct icmpv4_repr icmp;
	struct udp_repr udp;
	struct arp_repr arp;
	const uint8_t *payload; /* after the ICMP or UDP header */
	uint32_t payload_len;
	uint8_t b[NT_FRAME_MAX]; /* the frame's bytes */
};

struct nt {
	struct ns_vclock clock;
	struct ns_stack *s;
	struct ns_link *link; /* the channel */
	struct nt_opts opts;
	int64_t pkts_live0;     /* ns_pkt_live() after setup */
	struct ns_stats stats0; /* the counters after setup (nt_stat() counts from here) */
	struct nt_frame rx;     /* the frame the last checker captured */
};

/** nt_setup() - Build the world above into @t (@opts NULL: defaults). Fails the test on
 * any error. */
void nt_setup(struct nt *t, const struct nt_opts *opts);
/**
 * nt_add_small_nic() - A second NIC for forwarding tests: id 2 ("small"), Ethernet, MTU
 * 576, MAC 02:00:00:00:01:02, 198.51.100.1/24, with a static neighbor NT_ADDR_REMOTE
 * (02:00:00:00:01:09) behind it. Frames it sent while set up are discarded; returns its
 * channel link. nt_remove_small_nic() takes the NIC away and destroys the link.
 */
struct ns_link *nt_add_small_nic(struct nt *t);
void nt_remove_small_nic(struct nt *t, struct ns_link *l);
/** nt_teardown() - Free everything, then fail on unread frames, live endpoints or leaked
 * packets. */
void nt_teardown(struct nt *t);

/* cmocka fixtures: *state becomes a heap-allocated struct nt. */
int nt_cm_setup(void **state);
int nt_cm_setup_opts(void **state, const struct nt_opts *opts);
int nt_cm_teardown(void **state);

/** nt_now() - The virtual clock (ns). */
uint64_t nt_now(const struct nt *t);
/** nt_advance() - Move the clock @ns forward, stopping at every timer deadline on the way
 * and polling the stack there, so timers fire at their exact virtual times. */
void nt_advance(struct nt *t, uint64_t ns);

/* Counters since setup finished (setup itself sends a gratuitous ARP, for one). */
uint64_t nt_stat(const struct nt *t, enum ns_stat st);
uint64_t nt_drops(const struct nt *t, enum ns_drop_reason why);

/* ---------------------------------------------------------------- sending */

/* Build a frame into @buf (@cap bytes); returns its length (0 if it does not fit). */
uint32_t nt_build_ipv4(const struct nt_ipv4 *m, uint8_t *buf, uint32_t cap);
uint32_t nt_build_icmp(const struct nt_icmp *m, uint8_t *buf, uint32_t cap);
uint32_t nt_build_udp(const struct nt_udp *m, uint8_t *buf, uint32_t cap);
uint32_t nt_build_arp(const struct nt_arp *m, uint8_t *buf, uint32_t cap);

/* Build and inject as if the peer had sent it. */
void nt_send_ipv4(struct nt *t, const struct nt_ipv4 *m);
void nt_send_icmp(struct nt *t, const struct nt_icmp *m);
void nt_send_icmp_echo(struct nt *t, const struct nt_icmp *m); /* type forced to echo */
void nt_send_udp(struct nt *t, const struct nt_udp *m);
void nt_send_arp(struct nt *t, const struct nt_arp *m);
/** nt_send_frame() - Inject @len raw bytes (malformed frames). */
void nt_send_frame(struct nt *t, const void *frame, uint32_t len);

/* ---------------------------------------------------------------- checking */

const struct nt_frame *nt_expect_ipv4_at(struct nt *t, const struct nt_ipv4 *m, const char *file,
                                         int line);
const struct nt_frame *nt_expect_icmp_at(struct nt *t, const struct nt_icmp *m, const char *file,
                                         int line);
const struct nt_frame *nt_expect_udp_at(struct nt *t, const struct nt_udp *m, const char *file,
                                        int line);
const struct nt_frame *nt_expect_arp_at(struct nt *t, const struct nt_arp *m, const char *file,
                                        int line);
/* Any frame at all (parsed as far as Ethernet). */
const struct nt_frame *nt_expect_frame_at(struct nt *t, const char *file, int line);
void nt_expect_nothing_at(struct nt *t, const char *file, int line);

#define nt_expect_ipv4(t, m) nt_expect_ipv4_at(t, m, __FILE__, __LINE__)
#define nt_expect_icmp(t, m) nt_expect_icmp_at(t, m, __FILE__, __LINE__)
#define nt_expect_udp(t, m)  nt_expect_udp_at(t, m, __FILE__, __LINE__)
#define nt_expect_arp(t, m)  nt_expect_arp_at(t, m, __FILE__, __LINE__)
#define nt_expect_frame(t)   nt_expect_frame_at(t, __FILE__, __LINE__)
#define nt_expect_nothing(t) nt_expect_nothing_at(t, __FILE__, __LINE__)

/** nt_pending() - Frames the stack has written and no checker has read. */
uint32_t nt_pending(const struct nt *t);
/** nt_discard() - Drop every unread frame; returns how many there were. */
uint32_t nt_discard(struct nt *t);

/* ---------------------------------------------------------------- endpoints */

/*
 * Shortcuts the endpoint tests share (harness_ep.c); each fails the test on an error.
 * Endpoints are opened without a waiter queue.
 */
struct ns_sockaddr nt_sa(struct ns_addr a, uint16_t port);
/** nt_ep_open() - ns_ep_new() of @proto for @family (UDP, TCP, ping). */
struct ns_ep *nt_ep_open(struct nt *t, uint8_t family, uint8_t proto);
/** nt_raw_open() - ns_ep_new_raw() of @proto for @family. */
struct ns_ep *nt_raw_open(struct nt *t, uint8_t family, uint8_t proto);
/** nt_udp_bound() - A UDP endpoint of @a's family bound to @a:@port. */
struct ns_ep *nt_udp_bound(struct nt *t, struct ns_addr a, uint16_t port);
/** nt_read() - Read one datagram into @buf (@res may be NULL); its length. */
size_t nt_read(struct ns_ep *ep, void *buf, size_t cap, struct ns_read_result *res);
/** nt_expect_read() - The next datagram is @want, @n bytes. */
void nt_expect_read(struct ns_ep *ep, const void *want, size_t n);
/** nt_expect_empty() - Nothing to read (WOULD_BLOCK). */
void nt_expect_empty(struct ns_ep *ep);
/** nt_udp_datagram() - A UDP datagram from @src port NT_DEF_SPORT to @dst port @dport
 * carrying @n bytes of @payload, its checksum right for the family's pseudo-header; heap
 * allocated (free() it). */
uint8_t *nt_udp_datagram(struct ns_addr src, struct ns_addr dst, uint16_t dport,
                         const void *payload, uint32_t n);
/** nt_send_to() - Write @len bytes to @to (port 0); all of them are taken when it is NS_OK. */
ns_err nt_send_to(struct ns_ep *ep, const void *buf, size_t len, struct ns_addr to);

/* ---------------------------------------------------------------- the probe transport */

/*
 * A stand-in transport for testing the network layer alone (nt_opts.probe registers it):
 * IP protocol NT_PROBE_PROTO, an 8-byte header (source port, destination port, length,
 * zero) and no checksum. An nt_probe endpoint, bound to our address and a 4-tuple, counts
 * what it receives and records the controls (ICMP errors, failed resolution) the network
 * layer hands it through ns_deliver_control().
 */
#define NT_PROBE_PROTO 254 /* RFC 3692 experimental */
#define NT_PROBE_HLEN  8

struct nt_probe {
	struct ns_tep tep;
	uint32_t delivered; /* packets received */
	uint32_t controls;  /* controls received */
	enum ns_ctrl ctrl;  /* the last control */
	uint32_t info;      /* and its info */
	uint8_t quote[8];   /* the first 8 bytes at its packet's head (the quoted header) */
};

/** nt_probe_open() - Register @p for NT_ADDR_US:@lport <-> @remote:@rport. */
void nt_probe_open(struct nt *t, struct nt_probe *p, uint16_t lport, struct ns_addr remote,
                   uint16_t rport);
void nt_probe_close(struct nt *t, struct nt_probe *p);
/** nt_probe_send() - Send a probe datagram with @len payload bytes (0, 1, 2...) from @p
 * through the route to its peer and the IPv4 write path (@wp may be NULL). */
ns_err nt_probe_send(struct nt *t, struct nt_probe *p, uint32_t len,
                     const struct ns_write_params *wp);

#endif
