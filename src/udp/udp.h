/* SPDX-License-Identifier: MIT */
/*
 * UDP (RFC 768, RFC 1122 4.1): the transport protocol vtable. Endpoints are created through
 * the endpoint API (ns_ep_new(..., NS_IPPROTO_UDP, ...)); nothing else is exported.
 */
#ifndef NS_UDP_UDP_H
#define NS_UDP_UDP_H

#include "netstack/proto.h"

/* The per-stack protocol: registered in the stack config by ns_protocols_default(). */
extern const struct ns_transproto_ops ns_proto_udp;

/* Receive-buffer defaults and bounds, as Linux (net.core.rmem_default / rmem_max,
 * SOCK_MIN_RCVBUF / SOCK_MIN_SNDBUF). Values set with NS_SO_RCVBUF/SNDBUF are clamped to
 * UDP_BUF_MAX and doubled, as Linux does for its bookkeeping overhead. */
#define UDP_BUF_DEFAULT 212992u
#define UDP_BUF_MAX     212992u
#define UDP_RCVBUF_MIN  2304u
#define UDP_SNDBUF_MIN  4608u

#endif
