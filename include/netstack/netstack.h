/* SPDX-License-Identifier: MIT */
/* netstack: a TCP/IP stack that runs inside a process. Include this for the whole API. */
#ifndef NETSTACK_NETSTACK_H
#define NETSTACK_NETSTACK_H

#include "netstack/addr.h"
#include "netstack/clock.h"
#include "netstack/endpoint.h"
#include "netstack/err.h"
#include "netstack/ipv6.h"
#include "netstack/link.h"
#include "netstack/loop.h"
#include "netstack/pkt.h"
#include "netstack/raw.h"
#include "netstack/stack.h"
#include "netstack/stats.h"
#include "netstack/tcp.h"
#include "netstack/timer.h"
#include "netstack/waiter.h"

#endif
