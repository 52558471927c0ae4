/* SPDX-License-Identifier: MIT */
/*
 * The built-in protocol set. This is the one place that names the protocols; the core only
 * sees the vtables registered in the stack config.
 */
#include "net/net.h"
#include "net/net6.h"
#include "netstack/stack.h"
#include "raw/raw.h"
#include "tcp/tcp.h"
#include "udp/udp.h"

void ns_protocols_default(struct ns_stack_config *cfg)
{
	cfg->netprotos[0] = &ns_proto_ipv4;
	cfg->netprotos[1] = &ns_proto_arp;
	cfg->netprotos[2] = &ns_proto_ipv6;
	cfg->transprotos[0] = &ns_proto_udp;
	cfg->transprotos[1] = &ns_proto_tcp;
	cfg->transprotos[2] = &ns_proto_ping;
	cfg->transprotos[3] = &ns_proto_ping6;
	cfg->raw = &ns_proto_raw;
}
