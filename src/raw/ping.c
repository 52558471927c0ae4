/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: ping endpoints (Linux's unprivileged ICMP sockets, icmp(7) and
 * net/ipv4/ping.c: socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP)).
 *
 * A ping endpoint is a transport endpoint of IP protocol 1 (ns_proto_ping), demultiplexed by
 * the core like a UDP one, with the ICMP echo identifier as its port: parse_ports reads an
 * echo reply's identifier as the destination port (the replies we receive) and an echo
 * request's as the source port (the requests of ours an ICMP error quotes); other ICMP
 * types have no ports and reach no ping endpoint. ICMPv4 (src/net/icmpv4.c) hands echo
 * replies to ns_deliver_transport(), and ICMP errors reach ns_deliver_control() as for any
 * transport.
 *
 * As Linux's ping_lookup(), an endpoint is found by identifier, bound address (the reply's
 * destination) and NIC binding, never by the peer: a connected endpoint is registered with
 * the demuxer without its peer, and receives replies from any source. Identifiers are
 * reserved on the wildcard address in the port table, so two endpoints conflict on an
 * identifier whatever addresses they bind, unless both set NS_SO_REUSEADDR (Linux's
 * ping_get_port()). An unbound endpoint takes one on its first write or connect, at random
 * from the ephemeral range (RFC 6056 3.3.1, as UDP): Linux walks a rover through all 65535
 * identifiers in sequence, which lets anyone predict the next one and aim forged replies
 * at it.
 *
 * Send (ping_v4_sendmsg()): the caller writes the whole ICMP message; it must be an echo
 * request (type 8 code 0) of at least its 8-byte header and at most 65535 bytes. The stack
 * writes the identifier, computes the checksum and sends it like UDP sends (NS_IP_TTL,
 * NS_IP_TOS, DF set, TTL 1 to multicast, NS_SO_BROADCAST needed for a broadcast); the
 * destination's port is ignored.
 *
 * Receive (ping_rcv()): the echo reply itself is queued (head at the ICMP header, no copy)
 * within the receive buffer; a read returns the whole ICMP message, checksum as received,
 * from the reply's source with port 0. Its checksum was verified by ICMP before.
 *
 * Errors (ping_err()): an ICMP error about one of our requests becomes the pending error
 * when NS_IP_RECVERR is on, or when the endpoint is connected and the error is hard (port,
 * protocol unreachable, administratively prohibited, parameter problem, fragmentation
 * needed): the UDP rule. It is returned by the next read or write, or NS_SO_ERROR.
 *
 * Closing unlinks from the demuxer and the port table at once; the memory goes through
 * ns_ep_defer_free().
 *
 * IPv6 (net/ipv6/ping.c) is the same with ns_proto_ping6 (IP protocol 58): echo requests
 * of type 128, replies of type 129, the checksum over the RFC 8200 8.1 pseudo-header, a
 * link-local bound address naming its NIC, and a packet too big a soft error (Linux's
 * icmpv6_err_convert()).
 *
 * Path MTU discovery follows NS_IP_MTU_DISCOVER as UDP does (WANT by default: DF on what
 * fits the path MTU, larger requests fragmented; DO and PROBE refuse them); NS_IP_MTU
 * reports a connected endpoint's path MTU.
 *
 * Limits: no IP_RECVERR error queue.
 */
#include "raw/raw.h"

#include <stdlib.h>
#include <string.h>

#include "netstack/stack.h"
#include "wire/bytes.h"
#include "wire/checksum.h"

#define ICMP_HLEN           8
#define ICMP_ECHO_REPLY     0
#define ICMP_ECHO_REQUEST   8
#define ICMPV6_ECHO_REQUEST 128
#define ICMPV6_ECHO_REPLY   129
#define ICMP_MAX_MSG        0xffffu

enum ping_state {
	PING_INITIAL = 0, /* no identifier */
	PING_BOUND,
	PING_CONNECTED,
	PING_CLOSED,
};

struct ping_ep;

struct ping_proto {
	struct ping_ep *eps; /* every open endpoint, for fini */
	uint8_t number;      /* IP protocol: 1 or 58 */
	uint8_t family;      /* NS_AF_INET or NS_AF_INET6 */
};

/*
 * A ping endpoint.
 * @tep:         the demuxer's view: tep.id.local is the bound address, tep.id.lport the
 *               identifier, the remote always unspecified (see the theory of operation)
 * @reserved:    the identifier is reserved in the port table (on the wildcard address)
 * @addr_locked: bind() named the local address (kept across disconnect)
 * @port_locked: bind() named the identifier (kept across disconnect)
 * @src_fixed:   tep.id.local is one of our addresses: the source of what we send
 * @peer:        the connected peer
 * @dg:          the receive queue, pending error, shutdown and IP-level options
 */
struct ping_ep {
	struct ns_ep ep;
	struct ns_tep tep;
	struct ns_deferred release;
	struct ping_proto *proto;
	struct ping_ep *prev, *next;
	uint8_t state;
	uint8_t family;
	bool reserved;
	uint8_t res_flags;
	bool addr_locked;
	bool port_locked;
	bool src_fixed;
	bool so_reuseaddr;
	struct ns_addr peer;
	struct dgram_sock dg;
};

static inline struct ping_ep *to_ping(struct ns_ep *ep)
{
	return (struct ping_ep *)ep;
}

static inline struct ping_ep *tep_to_ping(struct ns_tep *t)
{
	return (struct ping_ep *)(void *)((char *)t - offsetof(struct ping_ep, tep));
}

/* ping_supported(): an echo request of the family, code 0. */
static bool echo_request_type(uint8_t family, uint8_t type, uint8_t code)
{
	return code == 0 &&
	       type == (family == NS_AF_INET6 ? ICMPV6_ECHO_REQUEST : ICMP_ECHO_REQUEST);
}

/* Linux __ipv6_addr_needs_scope_id(): link-local unicast, or multicast of interface- or
 * link-local scope (RFC 4291 2.7). */
static bool needs_scope(const struct ns_addr *a)
{
	return dgram_addr_is_link_local(a) ||
	       (a->family == NS_AF_INET6 && a->a[0] == 0xff && (a->a[1] & 0x0f) <= 2);
}

/* ---------------------------------------------------------------- identifiers */

static unsigned port_flags(const struct ping_ep *p)
{
	return p->so_reuseaddr ? NS_TEP_REUSEADDR : 0u;
}

/* Reserve identifier *@id (0: a random ephemeral one) on the wildcard address. */
static ns_err reserve_id(struct ping_ep *p, uint16_t *id)
{
	struct ns_stack *s = p->ep.stack;
	struct ns_addr any = dgram_any(p->family);
	unsigned flags = port_flags(p);
	ns_err err;

	if (*id)
		err = ns_ports_reserve(s, p->proto->number, &any, *id, flags, p);
	else
		err = ns_ports_pick_ephemeral(s, p->proto->number, &any, NULL, 0, flags, p, id);
	if (err == NS_OK) {
		p->reserved = true;
		p->res_flags = (uint8_t)flags;
	}
	return err;
}

static void release_id(struct ping_ep *p)
{
	struct ns_addr any = dgram_any(p->family);

	if (p->reserved)
		ns_ports_release(p->ep.stack, p->proto->number, &any, p->tep.id.lport, p);
	p->reserved = false;
}

static ns_err demux_add(struct ping_ep *p)
{
	p->tep.flags = p->res_flags;
	return ns_demux_register(p->ep.stack, &p->tep);
}

static void demux_del(struct ping_ep *p)
{
	if (p->tep.registered)
		ns_demux_unregister(p->ep.stack, &p->tep);
}

/* Back to INITIAL: no identifier, no peer. */
static void unbind(struct ping_ep *p)
{
	demux_del(p);
	release_id(p);
	p->tep.id.local = dgram_any(p->family);
	p->tep.id.lport = 0;
	p->peer = dgram_any(p->family);
	p->src_fixed = false;
	p->addr_locked = false;
	p->port_locked = false;
	p->state = PING_INITIAL;
}

/* Take identifier @id (0: any) on @local; INITIAL to BOUND. */
static ns_err bind_id(struct ping_ep *p, const struct ns_addr *local, uint16_t id)
{
	ns_err err = reserve_id(p, &id);

	if (err)
		return err;
	p->tep.id.local = *local;
	p->tep.id.lport = id;
	err = demux_add(p);
	if (err) {
		release_id(p);
		p->tep.id.local = dgram_any(p->family);
		p->tep.id.lport = 0;
		return err;
	}
	p->state = PING_BOUND;
	return NS_OK;
}

/* Move the registration to local address @local (connect picked the source). */
static ns_err set_local(struct ping_ep *p, const struct ns_addr *local)
{
	struct ns_addr old = p->tep.id.local;
	ns_err err;

	if (ns_addr_eq(&old, local))
		return NS_OK;
	demux_del(p);
	p->tep.id.local = *local;
	err = demux_add(p);
	if (err) {
		p->tep.id.local = old;
		if (demux_add(p) != NS_OK)
			unbind(p);
	}
	return err;
}

/* ---------------------------------------------------------------- endpoint API */

static ns_err ping_bind(struct ns_ep *ep, const struct ns_sockaddr *a)
{
	struct ping_ep *p = to_ping(ep);
	struct ns_stack *s = ep->stack;
	uint32_t nic = p->tep.nic;
	ns_err err;

	if (p->state != PING_INITIAL)
		return NS_ERR_INVALID_ENDPOINT_STATE; /* ping_bind(): EINVAL once bound */
	if (a->addr.family != p->family)
		return NS_ERR_ADDRESS_FAMILY_NOT_SUPPORTED;
	err = dgram_bind_nic(s, &nic, a->nic);
	if (err)
		return err;
	/* ping_check_bind_addr(): the unspecified address or one of ours, never a
	 * broadcast or multicast one; an IPv6 link-local one names its NIC. */
	if (dgram_addr_is_link_local(&a->addr) && !nic)
		return NS_ERR_INVALID_ARGUMENT;
	if (!ns_addr_is_any(&a->addr)) {
		struct ns_nic *owner = ns_stack_find_local(s, &a->addr);

		if (!owner || (nic && ns_nic_id(owner) != nic))
			return NS_ERR_BAD_LOCAL_ADDRESS;
	}
	uint32_t old_nic = p->tep.nic;

	p->tep.nic = nic;
	err = bind_id(p, &a->addr, a->port);
	if (err) {
		p->tep.nic = old_nic;
		return err;
	}
	p->addr_locked = !ns_addr_is_any(&a->addr);
	p->port_locked = a->port != 0;
	p->src_fixed = p->addr_locked;
	return NS_OK;
}

/* connect(NS_AF_UNSPEC): Linux __udp_disconnect(). */
static ns_err ping_disconnect(struct ping_ep *p)
{
	if (p->state == PING_INITIAL)
		return NS_OK;
	p->peer = dgram_any(p->family);
	if (!p->port_locked) {
		bool locked = p->addr_locked;
		struct ns_addr local = p->tep.id.local;
		uint32_t nic = p->tep.nic;

		unbind(p);
		/* The address bind() named stays, waiting for the next identifier. */
		if (locked) {
			p->tep.id.local = local;
			p->addr_locked = true;
			p->src_fixed = true;
		}
		p->tep.nic = nic;
		return NS_OK;
	}
	p->state = PING_BOUND;
	if (!p->addr_locked) {
		struct ns_addr any = dgram_any(p->family);

		p->src_fixed = false;
		return set_local(p, &any);
	}
	return NS_OK;
}

static ns_err ping_connect(struct ns_ep *ep, const struct ns_sockaddr *a)
{
	struct ping_ep *p = to_ping(ep);
	struct ns_stack *s = ep->stack;
	struct ns_route rt;
	ns_err err;

	if (a->addr.family == NS_AF_UNSPEC)
		return ping_disconnect(p);
	if (a->addr.family != p->family)
		return NS_ERR_ADDRESS_FAMILY_NOT_SUPPORTED;
	err = ns_route_find(s, a->nic ? a->nic : p->tep.nic, p->src_fixed ? &p->tep.id.local : NULL,
	                    &a->addr, &rt);
	if (err)
		return err;
	if ((rt.flags & NS_ROUTE_BROADCAST) && !p->dg.so_broadcast)
		return NS_ERR_BROADCAST_DISABLED; /* ip4_datagram_connect(): EACCES */
	if (p->state == PING_INITIAL) {
		/* inet_dgram_connect() binds first (inet_autobind()). */
		struct ns_addr any = dgram_any(p->family);

		err = bind_id(p, p->addr_locked ? &p->tep.id.local : &any, 0);
		if (err)
			return err;
	}
	if (!p->src_fixed) {
		/* ip4_datagram_connect(): the route's source becomes the local address. */
		err = set_local(p, &rt.local);
		if (err)
			return err;
		p->src_fixed = true;
	}
	p->peer = a->addr;
	p->state = PING_CONNECTED;
	return NS_OK;
}

static ns_err ping_write(struct ns_ep *ep, const void *buf, size_t len,
                         const struct ns_write_opts *opts, size_t *written)
{
	struct ping_ep *p = to_ping(ep);
	struct ns_stack *s = ep->stack;
	const struct ns_sockaddr *dst = opts ? opts->to : NULL;
	const uint8_t *m = buf;
	uint32_t nic = p->tep.nic;
	struct ns_addr to;
	struct ns_route rt;
	ns_err err;

	*written = 0;
	if (len && !buf)
		return NS_ERR_BAD_BUFFER;
	/* ping_common_sendmsg(): at most 65535 bytes, at least the ICMP header, and only an
	 * echo request. */
	if (len > ICMP_MAX_MSG)
		return NS_ERR_MESSAGE_TOO_LONG;
	if (len < ICMP_HLEN || !echo_request_type(p->family, m[0], m[1]))
		return NS_ERR_INVALID_ARGUMENT;
	/* The port of a destination is ignored ("no remote port"). */
	err = dgram_dest(dst, p->family, p->state == PING_CONNECTED, &p->peer, &nic, &to);
	if (err)
		return err;
	/* ping_v6_sendmsg(): EINVAL for a v4-mapped destination (an IPv6 ping endpoint is
	 * IPv6-only) and for a link-scoped one without a NIC. */
	if (dgram_addr_is_v4mapped(&to) || (needs_scope(&to) && !nic))
		return NS_ERR_INVALID_ARGUMENT;
	if (p->state == PING_INITIAL) {
		/* inet_send_prepare() binds first (inet_autobind()). */
		struct ns_addr any = dgram_any(p->family);

		err = bind_id(p, p->addr_locked ? &p->tep.id.local : &any, 0);
		if (err)
			return err;
	}
	err = dgram_send_check(&p->dg);
	if (err)
		return err;
	err = ns_route_find(s, nic, p->src_fixed ? &p->tep.id.local : NULL, &to, &rt);
	if (err)
		return err;
	if ((rt.flags & NS_ROUTE_BROADCAST) && !p->dg.so_broadcast)
		return NS_ERR_BROADCAST_DISABLED;
	/* NS_IP_MTU_DISCOVER as for UDP. */
	bool fits = dgram_fits(s, &p->dg, &rt, len + dgram_net_hdr_len(p->family));

	if (dgram_too_big(&p->dg, fits))
		return NS_ERR_MESSAGE_TOO_LONG;

	struct ns_pkt *pkt = dgram_pkt_new(s, &rt, 0, buf, len);

	if (!pkt)
		return NS_ERR_NO_BUFFER_SPACE;
	uint8_t *h = ns_pkt_data(pkt);

	/* Our identifier, a fresh checksum: over the whole ICMP message (RFC 792), with the
	 * RFC 8200 8.1 pseudo-header for ICMPv6 (RFC 4443 2.3). */
	wr16(h + 4, p->tep.id.lport);
	wr16(h + 2, 0);
	uint32_t ps = p->family == NS_AF_INET6
	                  ? csum_pseudo_v6(rt.local.a, rt.remote.a, p->proto->number, (uint32_t)len)
	                  : 0;

	wr16(h + 2, csum_finish(csum_partial(h, len, ps)));
	pkt->hdr[NS_HDR_TRANSPORT] = (struct ns_hdr_ref){.off = pkt->head, .len = ICMP_HLEN};
	pkt->transproto = p->proto->number;
	pkt->netproto = rt.netproto;
	pkt->nic = rt.nic;

	struct ns_write_params wp = dgram_write_params(&p->dg, &rt, fits);

	err = ns_netproto_write(s, &rt, pkt, &wp);
	if (err)
		return err; /* ping reports ENOBUFS too (ip_push_pending_frames()) */
	ns_stat_inc(s, NS_STAT_PING_TX);
	*written = len;
	return NS_OK;
}

static ns_err ping_read(struct ns_ep *ep, void *buf, size_t len, unsigned flags,
                        struct ns_read_result *res)
{
	struct ping_ep *p = to_ping(ep);
	struct ns_pkt *pkt;
	ns_err err = dgram_read(&p->dg, buf, len, res, &pkt);

	if (err || !pkt)
		return err;
	res->from.addr = pkt->src; /* ping_recvmsg(): the source, port 0 */
	res->from.nic = pkt->nic;
	dgram_read_done(&p->dg, flags);
	return NS_OK;
}

static uint32_t ping_readiness(struct ns_ep *ep, uint32_t mask)
{
	return dgram_readiness(&to_ping(ep)->dg, mask);
}

static ns_err ping_shutdown(struct ns_ep *ep, int how)
{
	struct ping_ep *p = to_ping(ep);

	dgram_shutdown(ep, &p->dg, how);
	return p->state == PING_CONNECTED ? NS_OK : NS_ERR_NOT_CONNECTED;
}

static void ping_release(struct ns_deferred *d)
{
	struct ping_ep *p =
	    (struct ping_ep *)(void *)((char *)d - offsetof(struct ping_ep, release));
	struct ns_stack *s = p->ep.stack;

	free(p);
	ns_ep_live_add(s, -1);
}

static void ping_close(struct ns_ep *ep)
{
	struct ping_ep *p = to_ping(ep);

	if (p->state == PING_CLOSED)
		return;
	unbind(p);
	dgram_rq_flush(&p->dg.rq);
	if (p->prev)
		p->prev->next = p->next;
	else
		p->proto->eps = p->next;
	if (p->next)
		p->next->prev = p->prev;
	p->prev = p->next = NULL;
	p->state = PING_CLOSED;
	ns_ep_defer_free(ep->stack, &p->release, ping_release);
}

static ns_err ping_set_opt(struct ns_ep *ep, enum ns_opt opt, int64_t v)
{
	struct ping_ep *p = to_ping(ep);
	ns_err err;

	switch (opt) {
	case NS_SO_REUSEADDR:
		p->so_reuseaddr = v != 0; /* at the next bind, as Linux */
		return NS_OK;
	case NS_SO_BINDTODEVICE: {
		err = dgram_check_nic(ep->stack, v);
		if (err)
			return err;
		uint32_t old = p->tep.nic;
		bool was = p->tep.registered;

		if (old == (uint32_t)v)
			return NS_OK;
		demux_del(p);
		p->tep.nic = (uint32_t)v;
		if (was && demux_add(p) != NS_OK) {
			p->tep.nic = old;
			if (demux_add(p) != NS_OK)
				unbind(p);
			return NS_ERR_PORT_IN_USE;
		}
		return NS_OK;
	}
	default:
		/* Buffers, broadcast, TTL, TOS, RECVERR, MTU_DISCOVER. */
		return dgram_set_ip_opt(&p->dg, opt, v);
	}
}

static ns_err ping_get_opt(struct ns_ep *ep, enum ns_opt opt, int64_t *v)
{
	struct ping_ep *p = to_ping(ep);

	switch (opt) {
	case NS_SO_REUSEADDR:
		*v = p->so_reuseaddr;
		return NS_OK;
	case NS_SO_BINDTODEVICE:
		*v = p->tep.nic;
		return NS_OK;
	case NS_IP_MTU:
		return dgram_route_mtu(ep->stack, p->state == PING_CONNECTED, p->tep.nic,
		                       p->src_fixed ? &p->tep.id.local : NULL, &p->peer, v);
	default:
		return dgram_get_ip_opt(ep->stack, &p->dg, opt, v);
	}
}

static ns_err ping_local_addr(struct ns_ep *ep, struct ns_sockaddr *a)
{
	struct ping_ep *p = to_ping(ep);

	memset(a, 0, sizeof(*a));
	a->addr = p->tep.id.local;
	a->addr.family = p->family;
	a->port = p->tep.id.lport; /* the identifier */
	a->nic = p->tep.nic;
	return NS_OK;
}

static ns_err ping_peer_addr(struct ns_ep *ep, struct ns_sockaddr *a)
{
	struct ping_ep *p = to_ping(ep);

	if (p->state != PING_CONNECTED)
		return NS_ERR_NOT_CONNECTED;
	memset(a, 0, sizeof(*a));
	a->addr = p->peer;
	return NS_OK;
}

static const struct ns_ep_ops ping_ep_ops = {
    .close = ping_close,
    .bind = ping_bind,
    .connect = ping_connect,
    .shutdown = ping_shutdown,
    .read = ping_read,
    .write = ping_write,
    .readiness = ping_readiness,
    .set_opt = ping_set_opt,
    .get_opt = ping_get_opt,
    .local_addr = ping_local_addr,
    .peer_addr = ping_peer_addr,
};

/* ---------------------------------------------------------------- inbound */

static void ping_deliver(struct ns_tep *t, struct ns_pkt *pkt)
{
	struct ping_ep *p = tep_to_ping(t);
	struct ns_stack *s = p->ep.stack;

	if (p->state == PING_CLOSED) {
		/* Closed by a waiter callback during this dispatch. */
		ns_drop(s, pkt, NS_DROP_PING_NO_ENDPOINT);
		return;
	}
	if (dgram_rq_full(&p->dg.rq)) {
		ns_drop(s, pkt, NS_DROP_PING_RCVBUF_FULL);
		return;
	}
	pkt = dgram_own(s, pkt);
	if (!pkt)
		return;
	ns_stat_inc(s, NS_STAT_PING_RX);
	dgram_enqueue(&p->ep, &p->dg, pkt);
}

static void ping_control(struct ns_tep *t, enum ns_ctrl ctrl, uint32_t info, struct ns_pkt *pkt)
{
	struct ping_ep *p = tep_to_ping(t);
	ns_err err;
	bool hard;

	(void)info;
	(void)pkt;
	if (p->state == PING_CLOSED ||
	    !dgram_ctrl_error(p->family, p->dg.pmtudisc, ctrl, &err, &hard))
		return;
	dgram_report(&p->ep, &p->dg, err, hard, p->state == PING_CONNECTED);
}

static const struct ns_tep_ops ping_tep_ops = {
    .deliver = ping_deliver,
    .control = ping_control,
};

/* ---------------------------------------------------------------- protocol */

static ns_err ping_init_family(void **priv, uint8_t family, uint8_t number)
{
	struct ping_proto *pp = calloc(1, sizeof(*pp));

	if (!pp)
		return NS_ERR_NO_MEMORY;
	pp->number = number;
	pp->family = family;
	*priv = pp;
	return NS_OK;
}

static ns_err ping_init(struct ns_stack *s, void **priv)
{
	(void)s;
	return ping_init_family(priv, NS_AF_INET, NS_IPPROTO_ICMP);
}

static ns_err ping6_init(struct ns_stack *s, void **priv)
{
	(void)s;
	return ping_init_family(priv, NS_AF_INET6, NS_IPPROTO_ICMPV6);
}

static void ping_fini(struct ns_stack *s, void *priv)
{
	struct ping_proto *pp = priv;

	(void)s;
	if (!pp)
		return;
	while (pp->eps)
		ping_close(&pp->eps->ep);
	free(pp);
}

static ns_err ping_new_endpoint(struct ns_stack *s, void *priv, uint8_t family,
                                struct ns_waiter_queue *wq, struct ns_ep **out)
{
	struct ping_proto *pp = priv;
	struct ping_ep *p;

	if (family != pp->family)
		return NS_ERR_ADDRESS_FAMILY_NOT_SUPPORTED;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NS_ERR_NO_MEMORY;
	p->ep.ops = &ping_ep_ops;
	p->ep.stack = s;
	p->ep.wq = wq;
	p->tep.ops = &ping_tep_ops;
	p->tep.transproto = pp->number;
	p->tep.family = family;
	p->tep.id.local = dgram_any(family);
	p->tep.id.remote = dgram_any(family);
	p->proto = pp;
	p->family = family;
	p->peer = dgram_any(family);
	dgram_init(&p->dg);
	p->next = pp->eps;
	if (pp->eps)
		pp->eps->prev = p;
	pp->eps = p;
	ns_ep_live_add(s, 1);
	*out = &p->ep;
	return NS_OK;
}

/* The identifier as a port: an echo reply's is the destination (ours), an echo request's
 * (quoted in an ICMP error about it) the source (ours again). Other types have none. */
static bool parse_ports(const uint8_t *h, uint32_t len, uint8_t request, uint8_t reply,
                        uint16_t *sport, uint16_t *dport)
{
	if (len < ICMP_HLEN)
		return false;
	if (h[0] == reply) {
		*sport = 0;
		*dport = rd16(h + 4);
		return true;
	}
	if (h[0] == request && h[1] == 0) { /* ping_err(): only what ping_supported() sends */
		*sport = rd16(h + 4);
		*dport = 0;
		return true;
	}
	return false;
}

static bool ping_parse_ports(const uint8_t *h, uint32_t len, uint16_t *sport, uint16_t *dport)
{
	return parse_ports(h, len, ICMP_ECHO_REQUEST, ICMP_ECHO_REPLY, sport, dport);
}

static bool ping6_parse_ports(const uint8_t *h, uint32_t len, uint16_t *sport, uint16_t *dport)
{
	return parse_ports(h, len, ICMPV6_ECHO_REQUEST, ICMPV6_ECHO_REPLY, sport, dport);
}

const struct ns_transproto_ops ns_proto_ping = {
    .name = "ping",
    .number = NS_IPPROTO_ICMP,
    .init = ping_init,
    .fini = ping_fini,
    .new_endpoint = ping_new_endpoint,
    .parse_ports = ping_parse_ports,
    .min_header_len = ICMP_HLEN,
};

/* Linux's IPv6 ping sockets (net/ipv6/ping.c): socket(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6),
 * echo requests of type 128 and replies of type 129, the same rules otherwise. */
const struct ns_transproto_ops ns_proto_ping6 = {
    .name = "ping6",
    .number = NS_IPPROTO_ICMPV6,
    .init = ping6_init,
    .fini = ping_fini,
    .new_endpoint = ping_new_endpoint,
    .parse_ports = ping6_parse_ports,
    .min_header_len = ICMP_HLEN,
};
