/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: UDP (RFC 768, RFC 1122 4.1.3) with Linux socket semantics.
 *
 * The protocol keeps one small per-stack struct: the list of open endpoints, so that the
 * stack's teardown (fini) closes whatever the application left open. Everything else lives in
 * the core: the demuxer maps (local, lport, remote, rport) to an endpoint's struct ns_tep, the
 * port table owns port reservations.
 *
 * An endpoint is INITIAL (no port), BOUND (a port, remote unspecified: any peer) or CONNECTED
 * (registered under its exact 4-tuple, so the demuxer gives it only its peer's datagrams);
 * close() unlinks it from everything at once (UDP keeps no state after close) and marks it
 * CLOSED, but its memory goes through ns_ep_defer_free(): close() may be called from a
 * waiter callback while the stack is still dispatching (a broadcast fan-out holding this
 * endpoint among its targets, or a write of this very endpoint), and a CLOSED endpoint
 * drops whatever still reaches it until the dispatch ends and the memory is released.
 * Binding is explicit (bind) or implicit (the first write or connect on an INITIAL endpoint
 * takes an ephemeral port on the wildcard address, as Linux's autobind). The port of a
 * bind(0) or of a first sendto() is drawn at random (RFC 6056 3.3.1, as Linux's UDP); only
 * a connect() has a peer to feed RFC 6056's Algorithm 4. As in Linux, connect(AF_UNSPEC)
 * forgets the local address unless bind() named one and gives the port back unless bind()
 * named one.
 *
 * Receive: the network layer's packet itself is queued (head at the payload, no copy); read()
 * copies one datagram out (one copy). The queue is bounded by the receive buffer, charged per
 * datagram with what it really holds, the packet buffer plus its struct (Linux charges
 * skb->truesize the same way); as Linux, a datagram is accepted while the charge does not
 * exceed the limit before it, so an empty queue always takes one. Checksums are verified
 * unless the link did (NS_PKT_CSUM_VERIFIED) or the packet never left the stack
 * (NS_PKT_LOOPED, as Linux's loopback). A zero checksum means "none" over IPv4 (RFC 768).
 * A broadcast or multicast datagram for several endpoints is checked once, by the validate
 * hook the demuxer calls before it copies the datagram for each (the copies carry
 * NS_PKT_CSUM_VERIFIED).
 *
 * Send: write() copies the payload once into a packet with room for every header in front,
 * pushes the UDP header and hands it to the network protocol of the route. A connected
 * endpoint keeps the route to its peer and reuses it while the stack's generation
 * (ns_stack_generation()) is unchanged, so a send to the peer looks up nothing. A send the
 * stack could not even queue (NO_BUFFER_SPACE: the neighbor table or a device queue full)
 * is reported only with IP_RECVERR, as Linux hides ENOBUFS from UDP senders. The checksum is
 * computed here, or left partial (pseudo-header sum in the field, NS_PKT_CSUM_PARTIAL) when the
 * route's link finishes it. A datagram larger than the path MTU follows the endpoint's
 * NS_IP_MTU_DISCOVER mode as Linux's ip_append_data() and ip_dont_fragment() do (endpoint.h):
 * by default (WANT) the network layer fragments it, and DF goes only on datagrams that fit;
 * DO and PROBE refuse it with MESSAGE_TOO_LONG (EMSGSIZE).
 *
 * ICMP errors (control) follow Linux's __udp4_lib_err(): without IP_RECVERR only "hard"
 * errors (port/protocol unreachable, administratively prohibited, parameter problem,
 * fragmentation needed unless the mode is DONT) and only on connected endpoints become the
 * pending error; with IP_RECVERR every error does, on any endpoint. The pending error is returned
 * (and cleared) by the next read or write, or by NS_SO_ERROR.
 *
 * IPv6 endpoints are dual-stack unless NS_IPV6_V6ONLY is set (Linux's bindv6only=0): bound
 * to :: they reserve the port for both families (the port table's unspecified-family
 * address) and take IPv4 datagrams too (NS_TEP_V4MAPPED), whose addresses the application
 * sees v4-mapped (::ffff:a.b.c.d, RFC 4291 2.5.5.2), and they send to v4-mapped
 * destinations over IPv4. Bound or connected to a v4-mapped address, an IPv6 endpoint is
 * an IPv4 endpoint inside (tep.family is NS_AF_INET) that speaks v4-mapped addresses at
 * the API, as Linux's.
 */
#include "udp/udp.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "netstack/stack.h"
#include "udp/dgram.h"
#include "wire/checksum.h"
#include "wire/udp.h"

enum udp_state {
	UDP_INITIAL = 0,
	UDP_BOUND,
	UDP_CONNECTED,
	UDP_CLOSED,
};

struct udp_ep;

/* Per-stack protocol state. */
struct udp_proto {
	struct udp_ep *eps; /* every open endpoint, for fini */
};

/*
 * A UDP endpoint.
 * @ep:          the endpoint API's head (first member: ns_ep pointers are udp_ep pointers)
 * @tep:         the demuxer's view; tep.id is the current binding
 * @state:       enum udp_state
 * @reserved:    the port table holds (res_addr, tep.id.lport) for us, with res_flags
 * @addr_locked: bind() named a local address (kept across disconnect)
 * @port_locked: bind() named a port (kept across disconnect)
 * @src_fixed:   tep.id.local is one of our unicast addresses: use it as the source
 * @dg:          what every datagram endpoint keeps (udp/dgram.h): the receive queue
 *               (packets linked by ->next, head at the payload), the pending error, the
 *               shutdown bits and the IP-level options
 */
struct udp_ep {
	struct ns_ep ep;
	struct ns_tep tep;
	struct ns_deferred release; /* close(): the memory's deferred release */
	struct udp_proto *proto;
	struct udp_ep *prev, *next;
	uint8_t state;
	uint8_t family;
	bool reserved;
	uint8_t res_flags; /* NS_TEP_REUSE* the reservation was made with */
	bool addr_locked;
	bool port_locked;
	bool src_fixed;
	struct ns_addr res_addr;
	struct dgram_sock dg;
	/* Options of UDP's own. */
	bool so_reuseaddr, so_reuseport, so_keepalive;
	bool v6only; /* NS_IPV6_V6ONLY: an IPv6 endpoint that takes no IPv4 */
	int32_t linger;
	int32_t rcvlowat;
	/* CONNECTED: the route to the peer, valid while the stack's generation is rt_gen and
	 * the device binding is rt_nic. */
	bool rt_valid;
	uint32_t rt_gen;
	uint32_t rt_nic;
	struct ns_route rt;
};

static const struct ns_ep_ops udp_ep_ops;
static const struct ns_tep_ops udp_tep_ops;

/* ---------------------------------------------------------------- helpers */

static inline struct udp_ep *to_udp(struct ns_ep *ep)
{
	return (struct udp_ep *)ep;
}

static inline struct udp_ep *tep_to_udp(struct ns_tep *t)
{
	return (struct udp_ep *)((char *)t - offsetof(struct udp_ep, tep));
}

static struct ns_addr v4_of_mapped(const struct ns_addr *a)
{
	return ns_addr_v4_from_bytes(a->a + 12);
}

/* An address as the application sees it: IPv4 ones v4-mapped on an IPv6 endpoint. */
static struct ns_addr api_addr(const struct udp_ep *u, const struct ns_addr *a)
{
	struct ns_addr m = {.family = NS_AF_INET6, .a = {[10] = 0xff, [11] = 0xff}};

	if (u->family != NS_AF_INET6 || a->family != NS_AF_INET)
		return *a;
	memcpy(m.a + 12, a->a, 4);
	return m;
}

/* An IPv6 endpoint that takes IPv4 too (NS_IPV6_V6ONLY off). */
static bool dual(const struct udp_ep *u)
{
	return u->family == NS_AF_INET6 && !u->v6only;
}

/* The port reservation address for a binding to @a: a dual-stack endpoint on :: reserves
 * the port for every family (the port table's unspecified-family address). */
static struct ns_addr res_addr_for(const struct udp_ep *u, const struct ns_addr *a)
{
	struct ns_addr none = {.family = NS_AF_UNSPEC};

	return dual(u) && a->family == NS_AF_INET6 && ns_addr_is_any(a) ? none : *a;
}

/* Largest payload the UDP length and the IP length fields allow: 65535 - 20 - 8 for IPv4
 * (65507, Linux's limit), 65535 - 8 for IPv6 without jumbograms. */
static inline uint32_t max_payload(uint8_t family)
{
	return 0xffffu - UDP_HLEN - (family == NS_AF_INET6 ? 0 : 20);
}

static uint32_t pseudo_sum(const struct ns_addr *src, const struct ns_addr *dst, uint32_t len)
{
	if (src->family == NS_AF_INET6)
		return csum_pseudo_v6(src->a, dst->a, NS_IPPROTO_UDP, len);
	return csum_pseudo_v4(src->a, dst->a, NS_IPPROTO_UDP, len);
}

static unsigned port_flags(const struct udp_ep *u)
{
	return (u->so_reuseaddr ? NS_TEP_REUSEADDR : 0u) |
	       (u->so_reuseport ? NS_TEP_REUSEPORT : 0u);
}

/* ---------------------------------------------------------------- binding */

/* Reserve *@port (0: pick an ephemeral one: hashed with @remote/@rport per RFC 6056
 * Algorithm 4, or at random when @remote is NULL, Algorithm 1) on @addr. */
static ns_err reserve_port(struct udp_ep *u, const struct ns_addr *addr, uint16_t *port,
                           const struct ns_addr *remote, uint16_t rport)
{
	struct ns_stack *s = u->ep.stack;
	unsigned flags = port_flags(u);
	ns_err err;

	if (*port)
		err = ns_ports_reserve(s, NS_IPPROTO_UDP, addr, *port, flags, u);
	else
		err =
		    ns_ports_pick_ephemeral(s, NS_IPPROTO_UDP, addr, remote, rport, flags, u, port);
	if (err == NS_OK) {
		u->reserved = true;
		u->res_addr = *addr;
		u->res_flags = (uint8_t)flags;
	}
	return err;
}

static void release_port(struct udp_ep *u)
{
	if (u->reserved)
		ns_ports_release(u->ep.stack, NS_IPPROTO_UDP, &u->res_addr, u->tep.id.lport, u);
	u->reserved = false;
}

/* Register tep.id with the demuxer. Endpoints sharing a port through SO_REUSEADDR or
 * SO_REUSEPORT may have equal ids: the demuxer groups them (REUSEADDR alone: the most recently
 * bound takes unicast, as Linux; REUSEPORT: a flow hash picks one). The flags are those the
 * port was reserved with: options changed after bind wait for the next bind, as in Linux. */
static ns_err demux_add(struct udp_ep *u)
{
	u->tep.flags = u->res_flags;
	/* Bound to :: with no peer, a dual-stack endpoint is found for IPv4 too. */
	if (dual(u) && u->tep.family == NS_AF_INET6 && ns_addr_is_any(&u->tep.id.local) &&
	    ns_addr_is_any(&u->tep.id.remote))
		u->tep.flags |= NS_TEP_V4MAPPED;
	return ns_demux_register(u->ep.stack, &u->tep);
}

static void demux_del(struct udp_ep *u)
{
	if (u->tep.registered)
		ns_demux_unregister(u->ep.stack, &u->tep);
}

/* Back to INITIAL: no port, no peer. */
static void unbind(struct udp_ep *u)
{
	u->rt_valid = false;
	demux_del(u);
	release_port(u);
	u->tep.family = u->family;
	u->tep.id.local = dgram_any(u->family);
	u->tep.id.remote = dgram_any(u->family);
	u->tep.id.lport = 0;
	u->tep.id.rport = 0;
	u->src_fixed = false;
	u->state = UDP_INITIAL;
}

/* Implicit bind of an INITIAL endpoint (Linux inet_autobind): an ephemeral port on the
 * wildcard address, registered with no peer. @remote/@rport (the peer of a connect) feed
 * the port choice's hash (RFC 6056 Algorithm 4); without a peer (@remote NULL: a first
 * sendto) the port is random (Algorithm 1), so successive unconnected endpoints' ports are
 * not a sequence others can read. */
static ns_err autobind(struct udp_ep *u, const struct ns_addr *remote, uint16_t rport)
{
	struct ns_addr any = dgram_any(u->family);
	struct ns_addr res = res_addr_for(u, &any);
	uint16_t port = 0;
	ns_err err = reserve_port(u, &res, &port, remote, rport);
	if (err)
		return err;
	u->tep.id.local = any;
	u->tep.id.lport = port;
	err = demux_add(u);
	if (err) {
		release_port(u);
		u->tep.id.lport = 0;
		return err;
	}
	u->addr_locked = false;
	u->port_locked = false;
	u->state = UDP_BOUND;
	return NS_OK;
}

/* ---------------------------------------------------------------- endpoint API */

static ns_err udp_bind(struct ns_ep *ep, const struct ns_sockaddr *a)
{
	struct udp_ep *u = to_udp(ep);
	struct ns_stack *s = ep->stack;
	uint32_t nic = u->tep.nic;

	if (!a)
		return NS_ERR_BAD_ADDRESS;
	if (u->state != UDP_INITIAL)
		return NS_ERR_INVALID_ENDPOINT_STATE;
	if (a->addr.family != u->family)
		return NS_ERR_ADDRESS_FAMILY_NOT_SUPPORTED;
	struct ns_addr laddr = a->addr;
	if (dgram_addr_is_v4mapped(&laddr)) {
		/* An IPv4 endpoint inside from now on (Linux: EINVAL with IPV6_V6ONLY). */
		if (u->v6only)
			return NS_ERR_INVALID_ARGUMENT;
		laddr = v4_of_mapped(&laddr);
	}
	/* A NIC in the address (an IPv6 scope) binds to it, as sin6_scope_id. */
	ns_err err = dgram_bind_nic(s, &nic, a->nic);
	if (err)
		return err;
	enum dgram_local kind = dgram_classify_local(s, nic, &laddr);
	if (kind == DGRAM_LOCAL_BAD)
		return NS_ERR_BAD_LOCAL_ADDRESS;

	uint16_t port = a->port;
	struct ns_addr res = res_addr_for(u, &laddr);
	/* bind(0): no peer, a random port (RFC 6056 3.3.1, as Linux). */
	err = reserve_port(u, &res, &port, NULL, 0);
	if (err)
		return err;
	uint32_t old_nic = u->tep.nic;
	u->tep.nic = nic;
	u->tep.family = laddr.family;
	u->tep.id.local = laddr;
	u->tep.id.remote = dgram_any(laddr.family);
	u->tep.id.lport = port;
	err = demux_add(u);
	if (err) {
		u->tep.nic = old_nic;
		unbind(u);
		return err;
	}
	u->addr_locked = kind != DGRAM_LOCAL_ANY;
	u->port_locked = a->port != 0; /* as Linux's SOCK_BINDPORT_LOCK */
	u->src_fixed = kind == DGRAM_LOCAL_UNICAST;
	u->state = UDP_BOUND;
	return NS_OK;
}

/* connect(AF_UNSPEC), Linux __udp_disconnect(): forget the peer, the local address unless
 * bind() named it, and the port unless bind() named it. */
static ns_err udp_disconnect(struct udp_ep *u)
{
	if (u->state == UDP_INITIAL)
		return NS_OK;
	u->rt_valid = false;
	demux_del(u);
	if (!u->addr_locked) {
		/* Back to the endpoint's own family (a v4-mapped peer made it IPv4 inside). */
		u->tep.family = u->family;
		u->tep.id.local = dgram_any(u->family);
		u->src_fixed = false;
	}
	u->tep.id.remote = dgram_any(u->tep.family);
	u->tep.id.rport = 0;
	if (!u->port_locked) {
		unbind(u);
		return NS_OK;
	}
	u->state = UDP_BOUND;
	ns_err err = demux_add(u);
	if (err)
		unbind(u);
	return err;
}

static ns_err udp_connect(struct ns_ep *ep, const struct ns_sockaddr *a)
{
	struct udp_ep *u = to_udp(ep);
	struct ns_stack *s = ep->stack;
	struct ns_route rt;
	ns_err err;

	if (!a)
		return NS_ERR_BAD_ADDRESS;
	if (a->addr.family == NS_AF_UNSPEC)
		return udp_disconnect(u);
	if (a->addr.family != u->family)
		return NS_ERR_ADDRESS_FAMILY_NOT_SUPPORTED;
	struct ns_addr peer = a->addr;
	if (dgram_addr_is_v4mapped(&peer)) {
		/* Linux: ENETUNREACH with IPV6_V6ONLY, or once bound to an IPv6 address. */
		if (u->v6only || (u->addr_locked && u->tep.family == NS_AF_INET6))
			return NS_ERR_NETWORK_UNREACHABLE;
		peer = v4_of_mapped(&peer);
	} else if (u->tep.family == NS_AF_INET && u->addr_locked) {
		return NS_ERR_NETWORK_UNREACHABLE; /* bound to a v4-mapped address */
	}
	uint32_t nic = u->tep.nic;
	if (a->nic) {
		if (nic && nic != a->nic)
			return NS_ERR_INVALID_ARGUMENT;
		nic = a->nic;
	}
	/* Linux inet_dgram_connect() binds first; the binding stays if the connect fails. */
	if (u->state == UDP_INITIAL) {
		err = autobind(u, &peer, a->port);
		if (err)
			return err;
	}
	/* The route fixes the source address (Linux ip4_datagram_connect). A peer port of 0 is
	 * accepted, as Linux does. */
	err = ns_route_find(
	    s, nic, u->src_fixed && u->tep.id.local.family == peer.family ? &u->tep.id.local : NULL,
	    &peer, &rt);
	if (err)
		return err;
	if ((rt.flags & NS_ROUTE_BROADCAST) && !u->dg.so_broadcast)
		return NS_ERR_BROADCAST_DISABLED;
	struct ns_tep_id old = u->tep.id;
	uint8_t old_family = u->tep.family;
	bool old_src_fixed = u->src_fixed;
	u->rt_valid = false;
	demux_del(u);
	if (!u->addr_locked) {
		u->tep.id.local = rt.local;
		u->src_fixed = true;
	}
	u->tep.family = peer.family;
	u->tep.id.remote = peer;
	u->tep.id.rport = a->port;
	err = demux_add(u);
	if (err) {
		/* Another endpoint holds this exact 4-tuple: stay as we were. */
		u->tep.id = old;
		u->tep.family = old_family;
		u->src_fixed = old_src_fixed;
		if (demux_add(u) != NS_OK)
			unbind(u);
		return err;
	}
	u->state = UDP_CONNECTED;
	/* The route writes to the peer use, until the stack's routing changes. */
	u->rt = rt;
	u->rt_gen = ns_stack_generation(s);
	u->rt_nic = nic; /* the device filter this route was found with */
	u->rt_valid = true;
	return NS_OK;
}

static ns_err udp_write(struct ns_ep *ep, const void *buf, size_t len,
                        const struct ns_write_opts *opts, size_t *written)
{
	struct udp_ep *u = to_udp(ep);
	struct ns_stack *s = ep->stack;
	const struct ns_sockaddr *dst = opts ? opts->to : NULL;
	struct ns_addr to;
	uint16_t to_port;
	uint32_t nic = u->tep.nic;
	struct ns_route rt;
	bool cached = false;
	ns_err err;

	if (written)
		*written = 0;
	if (len && !buf)
		return NS_ERR_BAD_BUFFER;
	/* Linux binds before looking at anything else (inet_send_prepare). */
	if (u->state == UDP_INITIAL) {
		err = autobind(u, NULL, 0);
		if (err)
			return err;
	}
	if (len > max_payload(u->family))
		return NS_ERR_MESSAGE_TOO_LONG;
	if (dst) {
		if (dst->addr.family != u->family)
			return NS_ERR_ADDRESS_FAMILY_NOT_SUPPORTED;
		if (dst->port == 0)
			return NS_ERR_INVALID_ARGUMENT; /* Linux: sendto() port 0 is EINVAL */
		if (dst->nic) {
			if (nic && nic != dst->nic)
				return NS_ERR_INVALID_ARGUMENT;
			nic = dst->nic;
		}
		to = dst->addr;
		to_port = dst->port;
		/* A v4-mapped destination goes over IPv4, from an IPv4 source (Linux:
		 * ENETUNREACH with IPV6_V6ONLY or from an IPv6 source). */
		if (dgram_addr_is_v4mapped(&to)) {
			if (u->v6only || (u->src_fixed && u->tep.id.local.family == NS_AF_INET6))
				return NS_ERR_NETWORK_UNREACHABLE;
			to = v4_of_mapped(&to);
			if (len > max_payload(NS_AF_INET))
				return NS_ERR_MESSAGE_TOO_LONG;
		} else if (u->tep.family != to.family) {
			return NS_ERR_NETWORK_UNREACHABLE; /* bound or connected to IPv4 */
		}
	} else if (u->state == UDP_CONNECTED) {
		to = u->tep.id.remote;
		to_port = u->tep.id.rport;
		cached = u->rt_valid && u->rt_gen == ns_stack_generation(s) && u->rt_nic == nic;
	} else {
		return NS_ERR_DESTINATION_REQUIRED;
	}

	if (cached) {
		rt = u->rt;
	} else {
		err = ns_route_find(
		    s, nic,
		    u->src_fixed && u->tep.id.local.family == to.family ? &u->tep.id.local : NULL,
		    &to, &rt);
		if (err)
			return err;
		if (!dst && u->state == UDP_CONNECTED) {
			u->rt = rt;
			u->rt_gen = ns_stack_generation(s);
			u->rt_nic = nic;
			u->rt_valid = true;
		}
	}
	if ((rt.flags & NS_ROUTE_BROADCAST) && !u->dg.so_broadcast)
		return NS_ERR_BROADCAST_DISABLED;
	/* Path MTU discovery: WANT and DONT let the network layer fragment what does not
	 * fit, DO and PROBE refuse it. */
	bool fits = dgram_fits(s, &u->dg, &rt, UDP_HLEN + len + dgram_net_hdr_len(to.family));
	if (dgram_too_big(&u->dg, fits))
		return NS_ERR_MESSAGE_TOO_LONG;
	err = dgram_send_check(&u->dg);
	if (err)
		return err;

	struct ns_pkt *pkt = dgram_pkt_new(s, &rt, UDP_HLEN, buf, len);
	if (!pkt)
		return NS_ERR_NO_BUFFER_SPACE;
	uint8_t *h = ns_pkt_push(pkt, NS_HDR_TRANSPORT, UDP_HLEN);
	if (!h) {
		ns_drop(s, pkt, NS_DROP_NO_HEADROOM);
		return NS_ERR_NO_BUFFER_SPACE;
	}
	struct udp_repr r = {
	    .src_port = u->tep.id.lport,
	    .dst_port = to_port,
	    .len = (uint16_t)(UDP_HLEN + len),
	};
	uint32_t ps = pseudo_sum(&rt.local, &rt.remote, r.len);
	/* Offload only what leaves the stack: a looped copy (local, broadcast, multicast) is
	 * read back by us, never by a device that would finish the sum. */
	if ((rt.caps & NS_CAP_TX_CSUM_OFFLOAD) &&
	    !(rt.flags & (NS_ROUTE_LOCAL | NS_ROUTE_BROADCAST | NS_ROUTE_MULTICAST))) {
		/* virtio NEEDS_CSUM: the field holds the folded pseudo-header sum; the link sums
		 * from csum_start (the UDP header, past the network header) to the end. */
		r.csum = csum_fold(ps);
		udp_emit(&r, h, ps, false);
		pkt->flags |= NS_PKT_CSUM_PARTIAL;
		pkt->csum_start = (uint16_t)dgram_net_hdr_len(to.family);
		pkt->csum_off = 6;
	} else {
		udp_emit(&r, h, ps, true);
	}
	pkt->transproto = NS_IPPROTO_UDP;
	pkt->netproto = rt.netproto;
	pkt->nic = rt.nic;

	struct ns_write_params wp = dgram_write_params(&u->dg, &rt, fits);
	err = ns_netproto_write(s, &rt, pkt, &wp);
	/* Linux hides ENOBUFS from UDP senders unless IP_RECVERR (udp_send_skb). */
	if (err == NS_ERR_NO_BUFFER_SPACE && !u->dg.ip_recverr)
		err = NS_OK;
	if (err)
		return err;
	ns_stat_inc(s, NS_STAT_UDP_TX);
	if (written)
		*written = len;
	return NS_OK;
}

static ns_err udp_read(struct ns_ep *ep, void *buf, size_t len, unsigned flags,
                       struct ns_read_result *res)
{
	struct udp_ep *u = to_udp(ep);
	struct ns_pkt *pkt;
	/* Linux __skb_recv_udp(): a pending error comes before queued data. */
	ns_err err = dgram_read(&u->dg, buf, len, res, &pkt);

	if (err || !pkt)
		return err;
	res->from.addr = api_addr(u, &pkt->src);
	const uint8_t *uh = ns_pkt_hdr(pkt, NS_HDR_TRANSPORT);
	res->from.port = uh ? udp_get_src_port(uh) : 0;
	res->from.nic = pkt->nic;
	dgram_read_done(&u->dg, flags);
	return NS_OK;
}

static uint32_t udp_readiness(struct ns_ep *ep, uint32_t mask)
{
	return dgram_readiness(&to_udp(ep)->dg, mask);
}

static ns_err udp_shutdown(struct ns_ep *ep, int how)
{
	struct udp_ep *u = to_udp(ep);

	if (how < NS_SHUT_RD || how > NS_SHUT_RDWR)
		return NS_ERR_INVALID_ARGUMENT;
	dgram_shutdown(ep, &u->dg, how);
	return u->state == UDP_CONNECTED ? NS_OK : NS_ERR_NOT_CONNECTED;
}

/* The deferred end of close(): nothing refers to the endpoint any more. */
static void udp_release(struct ns_deferred *d)
{
	struct udp_ep *u = (struct udp_ep *)(void *)((char *)d - offsetof(struct udp_ep, release));
	struct ns_stack *s = u->ep.stack;

	free(u);
	ns_ep_live_add(s, -1);
}

static void udp_close(struct ns_ep *ep)
{
	struct udp_ep *u = to_udp(ep);
	struct ns_stack *s = ep->stack;

	if (u->state == UDP_CLOSED)
		return; /* closed twice within one dispatch */
	unbind(u);
	dgram_rq_flush(&u->dg.rq);
	if (u->prev)
		u->prev->next = u->next;
	else
		u->proto->eps = u->next;
	if (u->next)
		u->next->prev = u->prev;
	u->prev = u->next = NULL;
	u->state = UDP_CLOSED;
	/* A dispatch may still hold a pointer to us (a fan-out's target list, the caller of
	 * a waiter callback): the memory goes when it ends (proto.h, ns_ep_defer_free). */
	ns_ep_defer_free(s, &u->release, udp_release);
}

static ns_err udp_set_opt(struct ns_ep *ep, enum ns_opt opt, int64_t v)
{
	struct udp_ep *u = to_udp(ep);
	ns_err err;

	switch (opt) {
	case NS_SO_REUSEADDR:
		/* Takes effect at the next bind, as in Linux. */
		u->so_reuseaddr = v != 0;
		return NS_OK;
	case NS_SO_REUSEPORT:
		u->so_reuseport = v != 0;
		return NS_OK;
	case NS_SO_BINDTODEVICE: {
		err = dgram_check_nic(ep->stack, v);
		if (err)
			return err;
		uint32_t old = u->tep.nic;
		if (old == (uint32_t)v)
			return NS_OK;
		/* Re-register so the demuxer sees the new device. */
		bool was = u->tep.registered;
		u->rt_valid = false;
		demux_del(u);
		u->tep.nic = (uint32_t)v;
		if (was) {
			err = demux_add(u);
			if (err) {
				u->tep.nic = old;
				if (demux_add(u) != NS_OK)
					unbind(u);
				return err;
			}
		}
		return NS_OK;
	}
	case NS_SO_KEEPALIVE:
		u->so_keepalive = v != 0; /* accepted and ignored for UDP, as Linux */
		return NS_OK;
	case NS_SO_LINGER:
		u->linger = v < 0 ? -1 : (v > INT32_MAX ? INT32_MAX : (int32_t)v);
		return NS_OK;
	case NS_SO_RCVLOWAT:
		u->rcvlowat = v < 1 ? 1 : (v > INT32_MAX ? INT32_MAX : (int32_t)v);
		return NS_OK;
	case NS_IPV6_V6ONLY:
		/* Linux: IPv6 sockets only, and not once bound (EINVAL). */
		if (u->family != NS_AF_INET6)
			return NS_ERR_UNKNOWN_PROTOCOL_OPTION;
		if (u->state != UDP_INITIAL)
			return NS_ERR_INVALID_ENDPOINT_STATE;
		u->v6only = v != 0;
		return NS_OK;
	default:
		/* Buffers, broadcast, TTL, TOS, RECVERR, MTU_DISCOVER; NS_IP_MTU and
		 * NS_SO_ERROR are read-only, as Linux's (ENOPROTOOPT). */
		return dgram_set_ip_opt(&u->dg, opt, v);
	}
}

static ns_err udp_get_opt(struct ns_ep *ep, enum ns_opt opt, int64_t *v)
{
	struct udp_ep *u = to_udp(ep);

	switch (opt) {
	case NS_SO_REUSEADDR:
		*v = u->so_reuseaddr;
		return NS_OK;
	case NS_SO_REUSEPORT:
		*v = u->so_reuseport;
		return NS_OK;
	case NS_SO_BINDTODEVICE:
		*v = u->tep.nic;
		return NS_OK;
	case NS_SO_KEEPALIVE:
		*v = u->so_keepalive;
		return NS_OK;
	case NS_SO_LINGER:
		*v = u->linger;
		return NS_OK;
	case NS_SO_RCVLOWAT:
		*v = u->rcvlowat;
		return NS_OK;
	case NS_IPV6_V6ONLY:
		if (u->family != NS_AF_INET6)
			return NS_ERR_UNKNOWN_PROTOCOL_OPTION;
		*v = u->v6only;
		return NS_OK;
	case NS_IP_MTU:
		return dgram_route_mtu(ep->stack, u->state == UDP_CONNECTED, u->tep.nic,
		                       u->src_fixed &&
		                               u->tep.id.local.family == u->tep.id.remote.family
		                           ? &u->tep.id.local
		                           : NULL,
		                       &u->tep.id.remote, v);
	default:
		return dgram_get_ip_opt(ep->stack, &u->dg, opt, v);
	}
}

static ns_err udp_local_addr(struct ns_ep *ep, struct ns_sockaddr *a)
{
	struct udp_ep *u = to_udp(ep);

	if (!a)
		return NS_ERR_BAD_ADDRESS;
	memset(a, 0, sizeof(*a));
	a->addr = u->tep.id.local;
	a->addr.family = u->tep.family;
	a->addr = api_addr(u, &a->addr);
	a->port = u->tep.id.lport;
	a->nic = u->tep.nic;
	return NS_OK;
}

static ns_err udp_peer_addr(struct ns_ep *ep, struct ns_sockaddr *a)
{
	struct udp_ep *u = to_udp(ep);

	if (!a)
		return NS_ERR_BAD_ADDRESS;
	if (u->state != UDP_CONNECTED)
		return NS_ERR_NOT_CONNECTED;
	memset(a, 0, sizeof(*a));
	a->addr = api_addr(u, &u->tep.id.remote);
	a->port = u->tep.id.rport;
	return NS_OK;
}

static const struct ns_ep_ops udp_ep_ops = {
    .close = udp_close,
    .bind = udp_bind,
    .connect = udp_connect,
    .shutdown = udp_shutdown,
    .read = udp_read,
    .write = udp_write,
    .readiness = udp_readiness,
    .set_opt = udp_set_opt,
    .get_opt = udp_get_opt,
    .local_addr = udp_local_addr,
    .peer_addr = udp_peer_addr,
};

/* ---------------------------------------------------------------- inbound */

/* Validate the datagram at the head of @pkt; on failure say why. Fills @r. Does not change
 * the packet. */
static bool udp_check(const struct ns_pkt *pkt, struct udp_repr *r, enum ns_drop_reason *why)
{
	const uint8_t *h = ns_pkt_peek(pkt, 0, UDP_HLEN);

	if (!h) {
		*why = NS_DROP_UDP_TRUNCATED;
		return false;
	}
	/* RFC 768: the length covers header and data; anything shorter than the header, or
	 * longer than what arrived, is malformed (RFC 1122 4.1.3.4 leaves it to us). */
	if (!udp_parse(r, h, pkt->len)) {
		*why = NS_DROP_UDP_BAD_LEN;
		return false;
	}
	if (pkt->flags & (NS_PKT_CSUM_VERIFIED | NS_PKT_LOOPED))
		return true;
	/* RFC 768 / RFC 1122 4.1.3.4: a zero checksum means the sender computed none, which
	 * IPv4 allows and IPv6 does not (RFC 8200 8.1). */
	uint32_t ps = pseudo_sum(&pkt->src, &pkt->dst, r->len);
	if (!udp_csum_ok(h, r->len, ps, pkt->src.family != NS_AF_INET6)) {
		*why = NS_DROP_UDP_BAD_CSUM;
		return false;
	}
	return true;
}

static void udp_deliver(struct ns_tep *t, struct ns_pkt *pkt)
{
	struct udp_ep *u = tep_to_udp(t);
	struct ns_stack *s = u->ep.stack;
	enum ns_drop_reason why;
	struct udp_repr r;

	ns_stat_inc(s, NS_STAT_UDP_RX);
	if (u->state == UDP_CLOSED) {
		/* Closed by a waiter callback during this dispatch (a fan-out reached it after
		 * another endpoint's callback closed it): its memory waits for the dispatch to
		 * end, and nothing more is queued on it. */
		ns_drop(s, pkt, NS_DROP_UDP_NO_PORT);
		return;
	}
	pkt = dgram_own(s, pkt);
	if (!pkt)
		return;
	if (!udp_check(pkt, &r, &why)) {
		ns_drop(s, pkt, why);
		return;
	}
	/* The demuxer already matches the 4-tuple and the device; these are cheap guards. */
	if ((u->state == UDP_CONNECTED &&
	     (r.src_port != u->tep.id.rport || !ns_addr_eq(&pkt->src, &u->tep.id.remote))) ||
	    (u->tep.nic && pkt->nic != u->tep.nic)) {
		ns_drop(s, pkt, NS_DROP_UDP_NO_PORT);
		return;
	}
	/* Linux __udp_enqueue_schedule_skb(): drop once the charge exceeds the buffer (over
	 * it, not at it as dgram_rq_full(): UDP's own rule). */
	if (u->dg.rq.charge > u->dg.rq.limit) {
		ns_drop(s, pkt, NS_DROP_UDP_RCVBUF_FULL);
		return;
	}
	ns_pkt_trim(pkt, r.len);
	ns_pkt_consume(pkt, NS_HDR_TRANSPORT, UDP_HLEN);
	ns_stat_inc(s, NS_STAT_UDP_DELIVERED);
	dgram_enqueue(&u->ep, &u->dg, pkt);
}

static void udp_control(struct ns_tep *t, enum ns_ctrl ctrl, uint32_t info, struct ns_pkt *pkt)
{
	struct udp_ep *u = tep_to_udp(t);
	ns_err err;
	bool hard;

	(void)info;
	(void)pkt;
	if (!dgram_ctrl_error(u->family, u->dg.pmtudisc, ctrl, &err, &hard))
		return;
	if (ctrl == NS_CTRL_PACKET_TOO_BIG) {
		/* UDP's own rule, in both families (Linux __udp4_lib_err(), __udp6_lib_err()):
		 * under IP_PMTUDISC_DONT a smaller path MTU is no error (datagrams are
		 * fragmented to it); in every other mode it is hard. */
		if (u->dg.pmtudisc == NS_PMTUDISC_DONT)
			return;
		hard = true;
	}
	dgram_report(&u->ep, &u->dg, err, hard, u->state == UDP_CONNECTED);
}

static const struct ns_tep_ops udp_tep_ops = {
    .deliver = udp_deliver,
    .control = udp_control,
};

/* ---------------------------------------------------------------- protocol */

static ns_err udp_init(struct ns_stack *s, void **priv)
{
	(void)s;
	struct udp_proto *p = calloc(1, sizeof(*p));
	if (!p)
		return NS_ERR_NO_MEMORY;
	*priv = p;
	return NS_OK;
}

static void udp_fini(struct ns_stack *s, void *priv)
{
	struct udp_proto *p = priv;

	(void)s;
	if (!p)
		return;
	while (p->eps)
		udp_close(&p->eps->ep);
	free(p);
}

static ns_err udp_new_endpoint(struct ns_stack *s, void *priv, uint8_t family,
                               struct ns_waiter_queue *wq, struct ns_ep **out)
{
	struct udp_proto *p = priv;

	if (family != NS_AF_INET && family != NS_AF_INET6)
		return NS_ERR_ADDRESS_FAMILY_NOT_SUPPORTED;
	struct udp_ep *u = calloc(1, sizeof(*u));
	if (!u)
		return NS_ERR_NO_MEMORY;
	u->ep.ops = &udp_ep_ops;
	u->ep.stack = s;
	u->ep.wq = wq;
	u->tep.ops = &udp_tep_ops;
	u->tep.transproto = NS_IPPROTO_UDP;
	u->tep.family = family;
	u->tep.id.local = dgram_any(family);
	u->tep.id.remote = dgram_any(family);
	u->proto = p;
	u->family = family;
	u->state = UDP_INITIAL;
	u->linger = -1;
	u->rcvlowat = 1;
	dgram_init(&u->dg);
	u->next = p->eps;
	if (p->eps)
		p->eps->prev = u;
	p->eps = u;
	ns_ep_live_add(s, 1);
	*out = &u->ep;
	return NS_OK;
}

static bool udp_parse_ports(const uint8_t *h, uint32_t len, uint16_t *sport, uint16_t *dport)
{
	if (len < 4)
		return false;
	*sport = udp_get_src_port(h);
	*dport = udp_get_dst_port(h);
	return true;
}

/* RFC 1122 3.2.2: no ICMP error about a datagram sent to a broadcast or multicast address
 * (IP or link layer). The network layer classified the destination once and set
 * NS_PKT_BROADCAST/MULTICAST for every group destination, directed broadcasts included
 * (ns_deliver_transport()'s contract): no address lists are scanned again here. */
static bool to_group(const struct ns_pkt *pkt)
{
	if (pkt->flags & (NS_PKT_BROADCAST | NS_PKT_MULTICAST))
		return true;
	return dgram_addr_is_group(&pkt->dst);
}

/* Broadcast/multicast fan-out: check the datagram once before the demuxer copies it for
 * each endpoint. Consumes @pkt on failure. */
static bool udp_validate(struct ns_stack *s, void *priv, struct ns_pkt *pkt)
{
	enum ns_drop_reason why;
	struct udp_repr r;

	(void)priv;
	if (udp_check(pkt, &r, &why))
		return true;
	ns_stat_inc(s, NS_STAT_UDP_RX);
	ns_drop(s, pkt, why);
	return false;
}

static enum ns_unknown_verdict udp_handle_unknown(struct ns_stack *s, void *priv,
                                                  struct ns_pkt *pkt)
{
	enum ns_drop_reason why;
	struct udp_repr r;

	(void)priv;
	ns_stat_inc(s, NS_STAT_UDP_RX);
	/* RFC 1122 4.1.3.1 asks for port unreachable, but only about a datagram that is
	 * valid: a corrupted one may not be ours at all. */
	if (!udp_check(pkt, &r, &why)) {
		ns_drop(s, pkt, why);
		return NS_UNKNOWN_MALFORMED;
	}
	ns_stat_inc(s, NS_STAT_UDP_NO_PORT);
	if (to_group(pkt)) {
		ns_drop(s, pkt, NS_DROP_UDP_NO_PORT);
		return NS_UNKNOWN_HANDLED;
	}
	return NS_UNKNOWN_PORT_UNREACHABLE; /* the network layer answers and frees */
}

const struct ns_transproto_ops ns_proto_udp = {
    .name = "udp",
    .number = NS_IPPROTO_UDP,
    .init = udp_init,
    .fini = udp_fini,
    .new_endpoint = udp_new_endpoint,
    .parse_ports = udp_parse_ports,
    /* Only the ports: a datagram shorter than its header still reaches UDP, which counts it
     * as udp_truncated rather than as a generic transport drop. */
    .min_header_len = 4,
    .handle_unknown = udp_handle_unknown,
    .validate = udp_validate,
};
