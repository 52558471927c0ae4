/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: initial sequence numbers and timestamp offsets.
 *
 * RFC 6528 3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), where M is a
 * clock ticking every 4 microseconds (so sequence numbers of successive incarnations of a
 * 4-tuple keep increasing, which TIME_WAIT reuse relies on, RFC 6191) and F a keyed hash
 * that an off-path attacker cannot compute. F is ns_hash_keyed() (SipHash-2-4 under the
 * stack's secret). The clock is the stack's, so tests on a virtual clock get repeatable ISNs
 * for a given seed.
 *
 * RFC 7323 5.4 recommends a per-connection random offset for TSval so timestamps do not leak
 * a host-wide clock; it comes from the same hash with another salt.
 *
 * Limits: the 4-tuple is hashed in a fixed byte layout (family, addresses padded to 16 bytes,
 * ports big-endian), so the result does not depend on struct padding.
 */
#include "tcp/tcp.h"

#include <string.h>

#define ISN_SALT 0x7463702d69736e31ull /* "tcp-isn1" */
#define TSO_SALT 0x7463702d74736f31ull /* "tcp-tso1" */

static uint64_t tuple_hash(struct tcp_stack *ts, uint64_t salt, const struct ns_tep_id *id)
{
	uint8_t b[1 + 16 + 16 + 4];

	b[0] = id->local.family;
	memcpy(b + 1, id->local.a, 16);
	memcpy(b + 17, id->remote.a, 16);
	b[33] = (uint8_t)(id->lport >> 8);
	b[34] = (uint8_t)id->lport;
	b[35] = (uint8_t)(id->rport >> 8);
	b[36] = (uint8_t)id->rport;
	return ns_hash_keyed(ts->s, salt, b, sizeof(b));
}

uint64_t tcp_tuple_hash(struct tcp_stack *ts, uint64_t salt, const struct ns_tep_id *id)
{
	return tuple_hash(ts, salt, id);
}

uint32_t tcp_isn(struct tcp_stack *ts, const struct ns_tep_id *id)
{
	/* M: 4 us ticks, wrapping every ~4.77 hours (RFC 6528 3, RFC 9293 3.4.1). */
	uint32_t m = (uint32_t)(ns_stack_now(ts->s) / 4000u);

	return m + (uint32_t)tuple_hash(ts, ISN_SALT, id);
}

uint32_t tcp_ts_offset(struct tcp_stack *ts, const struct ns_tep_id *id)
{
	return (uint32_t)tuple_hash(ts, TSO_SALT, id);
}
