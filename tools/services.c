/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: the UDP services of `netstack serve`, written against the public
 * endpoint API only, as any application would.
 *
 * Echo (RFC 862, port 7) sends each datagram back to the address and port it came from,
 * byte for byte; a zero-length datagram is answered with a zero-length datagram. Discard
 * (RFC 863, port 9) reads and forgets. Each service has one UDP endpoint per address of the
 * stack, bound to that address: a reply then leaves from the address the request was sent
 * to, as a kernel peer with a connected socket requires (an endpoint bound to the
 * unspecified address would answer from the NIC's first address). IPv6 is served by one
 * endpoint per service bound to :: (IPv6 only): an IPv6 address is tentative for the first
 * second or two (duplicate address detection, RFC 4862 5.4) and cannot be bound then, as
 * on Linux, and autoconfiguration adds addresses later. Replies leave from the address
 * source selection picks for the peer (RFC 6724: the one the request came to, in every
 * usual set-up: the longest common prefix, the link-local one for a link-local peer). The endpoints
 * never block: a waiter entry on NS_EV_IN runs on the stack's thread whenever a datagram is queued,
 * and reads until the endpoint says WOULD_BLOCK, so nothing stays queued between wake-ups and the
 * receive buffer (bounded by the endpoint) cannot fill up while we sleep.
 *
 * An echo that cannot be sent (no route back, send buffer full) is dropped and counted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netstack/endpoint.h"
#include "netstack/stack.h"
#include "netstack/waiter.h"
#include "tool.h"

#define ECHO_PORT    7
#define DISCARD_PORT 9
/* Consecutive read errors (other than WOULD_BLOCK) before a callback gives up. */
#define MAX_READ_ERRORS 4

struct service {
	struct services *sv;
	bool echo;
	struct ns_ep *ep;
	struct ns_waiter_queue wq;
	struct ns_waiter_entry we;
};

struct services {
	struct ns_stack *stack;
	size_t n;
	struct service svc[2 * SERVE_MAX_ADDRS + 2];
	struct services_counts c;
	uint8_t buf[65536]; /* larger than any UDP payload */
};

static void on_readable(struct ns_waiter_entry *e, uint32_t events)
{
	struct service *svc = e->ctx;
	struct services *sv = svc->sv;
	int errors = 0;

	(void)events;
	while (errors < MAX_READ_ERRORS) {
		struct ns_read_result res;
		ns_err err = ns_ep_read(svc->ep, sv->buf, sizeof(sv->buf), 0, &res);
		if (err == NS_ERR_WOULD_BLOCK)
			break;
		if (err != NS_OK) {
			errors++; /* e.g. a pending ICMP error, cleared by reading it */
			continue;
		}
		errors = 0;
		if (!svc->echo) {
			sv->c.discard_rx++;
			continue;
		}
		sv->c.echo_rx++;
		struct ns_write_opts wo = {.to = &res.from};
		size_t written = 0;
		err = ns_ep_write(svc->ep, sv->buf, res.count, &wo, &written);
		if (err == NS_OK && written == res.count)
			sv->c.echo_tx++;
		else
			sv->c.echo_tx_failed++;
	}
}

static bool service_open(struct services *sv, struct service *svc, bool echo,
                         const struct ns_addr *addr, uint16_t port, char *err, size_t errlen)
{
	svc->sv = sv;
	svc->echo = echo;
	ns_waiter_queue_init(&svc->wq);
	ns_waiter_entry_init(&svc->we, on_readable, svc);
	ns_err e = ns_ep_new(sv->stack, addr->family, NS_IPPROTO_UDP, &svc->wq, &svc->ep);
	if (e != NS_OK) {
		snprintf(err, errlen, "UDP endpoint for port %u: %s", port, ns_strerror(e));
		svc->ep = NULL;
		return false;
	}
	struct ns_sockaddr local = {.addr = *addr, .port = port};
	if (addr->family == NS_AF_INET6)
		ns_ep_set_opt(svc->ep, NS_IPV6_V6ONLY, 1);
	e = ns_ep_bind(svc->ep, &local);
	if (e != NS_OK) {
		char text[48];
		snprintf(err, errlen, "bind UDP %s port %u: %s",
		         ns_addr_format(addr, text, sizeof(text)), port, ns_strerror(e));
		return false;
	}
	ns_waiter_register(&svc->wq, &svc->we, NS_EV_IN);
	return true;
}

static void service_close(struct service *svc)
{
	if (!svc->ep)
		return;
	ns_waiter_unregister(&svc->we);
	ns_ep_close(svc->ep);
	svc->ep = NULL;
}

struct services *services_start(struct ns_stack *s, const struct ns_subnet *addrs, size_t naddrs,
                                bool ipv6, char *err, size_t errlen)
{
	static const struct ns_addr any6 = {.family = NS_AF_INET6};
	struct services *sv = calloc(1, sizeof(*sv));
	if (!sv) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	sv->stack = s;
	for (size_t i = 0; i < naddrs && i < SERVE_MAX_ADDRS; i++) {
		if (addrs[i].addr.family != NS_AF_INET)
			continue;
		if (!service_open(sv, &sv->svc[sv->n++], true, &addrs[i].addr, ECHO_PORT, err,
		                  errlen) ||
		    !service_open(sv, &sv->svc[sv->n++], false, &addrs[i].addr, DISCARD_PORT, err,
		                  errlen)) {
			services_stop(sv);
			return NULL;
		}
	}
	if (ipv6 &&
	    (!service_open(sv, &sv->svc[sv->n++], true, &any6, ECHO_PORT, err, errlen) ||
	     !service_open(sv, &sv->svc[sv->n++], false, &any6, DISCARD_PORT, err, errlen))) {
		services_stop(sv);
		return NULL;
	}
	return sv;
}

void services_counts(const struct services *sv, struct services_counts *out)
{
	*out = sv->c;
}

void services_stop(struct services *sv)
{
	if (!sv)
		return;
	for (size_t i = 0; i < sv->n; i++)
		service_close(&sv->svc[i]);
	free(sv);
}
