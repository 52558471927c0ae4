/* SPDX-License-Identifier: MIT */
/*
 * What the two halves of the packet-test harness share: harness.c (Ethernet, ARP, IPv4,
 * the world and its clock) and harness6.c (IPv6). Failure reports that name the test's
 * file and line and describe the frame, the defaults of unset template fields, the layout
 * and injection of built frames, and the capture and field checks of the checkers. Tests
 * include harness.h or harness6.h, never this.
 */
#ifndef NS_TEST_HARNESS_PRIV_H
#define NS_TEST_HARNESS_PRIV_H

#include <stdlib.h>

#include "harness.h"

#define NT_ETH_OFF 14 /* the network header's offset in a frame */

/* ---------------------------------------------------------------- failure reports */

/** nt_fail_at() - Fail the running test at @file:@line with a printf-style message. */
void nt_fail_at(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));

/** nt_describe() - One line about the frame b[0..len): which packet it was (ARP, IPv4 or
 * IPv6 with their addresses, ICMP type or UDP ports). */
void nt_describe(const uint8_t *b, uint32_t len, char *out, size_t n);

/* Where a checker stands: the test's line, and the captured frame a failure describes. */
struct nt_where {
	const char *file;
	int line;
	const uint8_t *b;
	uint32_t len;
};
#define NT_WHERE(file, line, f) ((struct nt_where){file, line, (f)->b, (f)->len})

/* Each checks one field the test set (NT_ANY, family 0, .set false or a NULL payload with
 * an unset length: not set) and fails with the frame's description if it differs.
 * nt_check_addr() compares 4 or 16 bytes, by @want's family. */
void nt_check_int(const struct nt_where *w, const char *field, int64_t want, int64_t got);
void nt_check_mac(const struct nt_where *w, const char *field, const struct nt_mac *want,
                  const struct ns_mac *got);
void nt_check_addr(const struct nt_where *w, const char *field, const struct ns_addr *want,
                   const uint8_t *got);
void nt_check_payload(const struct nt_where *w, const void *want, int64_t want_len,
                      const uint8_t *got, uint32_t got_len);

/* The fields an ICMP (ICMPv4 or ICMPv6) or UDP template @m shares with its family's twin,
 * against the captured frame @f (struct nt_frame or nt6_frame: the same member names). */
#define NT_CHECK_ICMP(w, m, f)                                                               \
	do {                                                                                 \
		nt_check_int(w, "type", (m)->type, (f)->icmp.type);                          \
		nt_check_int(w, "code", (m)->code, (f)->icmp.code);                          \
		nt_check_int(w, "id", (m)->id, (f)->icmp.id);                                \
		nt_check_int(w, "seq", (m)->seq, (f)->icmp.seq);                             \
		nt_check_int(w, "rest", (m)->rest, (f)->icmp.rest);                          \
		nt_check_int(w, "csum", (m)->csum, (f)->icmp.csum);                          \
		nt_check_payload(w, (m)->payload, (m)->len, (f)->payload, (f)->payload_len); \
	} while (0)
#define NT_CHECK_UDP(w, m, f)                                                                \
	do {                                                                                 \
		nt_check_int(w, "sport", (m)->sport, (f)->udp.src_port);                     \
		nt_check_int(w, "dport", (m)->dport, (f)->udp.dst_port);                     \
		nt_check_int(w, "ulen", (m)->ulen, (f)->udp.len);                            \
		nt_check_int(w, "csum", (m)->csum, (f)->udp.csum);                           \
		nt_check_payload(w, (m)->payload, (m)->len, (f)->payload, (f)->payload_len); \
	} while (0)

/* ---------------------------------------------------------------- templates and frames */

static inline int64_t nt_or(int64_t v, int64_t def)
{
	return v == NT_ANY ? def : v;
}

static inline struct ns_addr nt_addr_or(struct ns_addr a, struct ns_addr def)
{
	return a.family == NS_AF_UNSPEC ? def : a;
}

static inline struct ns_mac nt_mac_or(struct nt_mac m, struct nt_mac def)
{
	return m.set ? m.m : def.m;
}

/** nt_payload_len() - A template payload's length: @len if set, else strlen(@payload). */
uint32_t nt_payload_len(const void *payload, int64_t len);

/**
 * nt_frame_layout() - Lay out a frame of @natural bytes in buf[0..cap): the real length is
 * @frame_len if set, else @natural padded to the Ethernet minimum; the bytes past @natural
 * are the @pad byte (0 unset). Returns the length, 0 if it does not fit.
 */
uint32_t nt_frame_layout(uint8_t *buf, uint32_t cap, uint32_t natural, int64_t frame_len,
                         int64_t pad);

/** nt_eth_put() - The Ethernet header at @buf. */
void nt_eth_put(uint8_t *buf, struct ns_mac dst, struct ns_mac src, uint16_t type);

/** nt_send_built() - Inject the @len-byte frame a builder wrote into the heap buffer @buf
 * (0: the template did not fit, which fails the test), and free @buf. */
void nt_send_built(struct nt *t, uint8_t *buf, uint32_t len);

/* Build template @m with builder @build into a fresh buffer and inject it as the peer. */
#define NT_SEND_BUILT(t, build, m)                                    \
	do {                                                          \
		uint8_t *buf_ = malloc(NT_FRAME_MAX);                 \
                                                                      \
		assert_non_null(buf_);                                \
		nt_send_built(t, buf_, build(m, buf_, NT_FRAME_MAX)); \
	} while (0)

/* ---------------------------------------------------------------- fixtures and capture */

/** nt_cm_new() - A zeroed struct nt for a cmocka fixture, stored in *@state. */
struct nt *nt_cm_new(void **state);

/**
 * nt_capture_at() - Take the next frame the stack wrote into b[0..cap): its length into
 * *@len and whether it left with a partial checksum into *@csum_partial. Fails the test if
 * there is none (saying @what was expected) or it is larger than @cap.
 */
void nt_capture_at(struct nt *t, const char *what, uint8_t *b, uint32_t cap, uint32_t *len,
                   bool *csum_partial, const char *file, int line);

#endif
