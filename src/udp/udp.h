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

#endif
