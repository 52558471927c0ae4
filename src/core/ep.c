/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: the endpoint API's dispatch (the seed's tcpip.Endpoint interface).
 *
 * Every ns_ep_* call checks its arguments, then calls the matching member of the endpoint's
 * ns_ep_ops, which its transport protocol filled in. A member left NULL answers
 * NS_ERR_NOT_SUPPORTED (e.g. listen() on UDP), so protocols implement only what they mean.
 * ns_ep_new() finds the transport by IP protocol number through the stack's O(1) table;
 * ns_ep_new_raw() and ns_ep_new_packet() go to the raw module (ns_stack_config.raw), and
 * refuse with NOT_PERMITTED when the stack has none.
 * Optional out-parameters (read result, bytes written) may be NULL; a local stands in so
 * protocols can always write through them.
 *
 * Addresses are normalised here, once for every protocol: an IPv4 address is its four bytes
 * (RFC 791), so whatever the caller left in the rest of the ns_addr (an uninitialised
 * struct, say) is zeroed in a private copy before the protocol compares or stores it.
 *
 * Every call is a dispatch (stack_enter/stack_leave): whatever it sets off (a looped-back
 * datagram waking another endpoint, whose callback closes this one) cannot free the
 * endpoint under the protocol's feet; releases deferred meanwhile run when it returns.
 */
#include "core/core.h"
#include "netstack/raw.h"

/* Bracket a call into a protocol as a dispatch (a fake endpoint may lack a stack). */
static void enter(struct ns_stack *s)
{
	if (s)
		stack_enter(s);
}

static void leave(struct ns_stack *s)
{
	if (s)
		stack_leave(s);
}

/* A copy of @a with its address normalised. */
static struct ns_sockaddr sa_norm(const struct ns_sockaddr *a)
{
	struct ns_sockaddr n = *a;

	n.addr = addr_norm(&a->addr);
	return n;
}

ns_err ns_ep_new(struct ns_stack *s, uint8_t family, uint8_t proto, struct ns_waiter_queue *wq,
                 struct ns_ep **out)
{
	const struct ns_transproto_ops *ops;
	void *priv = NULL;

	if (!s || !out)
		return NS_ERR_INVALID_ARGUMENT;
	*out = NULL;
	if (family != NS_AF_INET && family != NS_AF_INET6)
		return NS_ERR_ADDRESS_FAMILY_NOT_SUPPORTED;
	ops = stack_transproto(s, proto, &priv);
	if (!ops)
		return NS_ERR_UNKNOWN_PROTOCOL;
	if (!ops->new_endpoint)
		return NS_ERR_NOT_SUPPORTED;
	return ops->new_endpoint(s, priv, family, wq, out);
}

ns_err ns_ep_new_raw(struct ns_stack *s, uint8_t family, uint8_t proto, struct ns_waiter_queue *wq,
                     struct ns_ep **out)
{
	if (!s || !out)
		return NS_ERR_INVALID_ARGUMENT;
	*out = NULL;
	if (family != NS_AF_INET && family != NS_AF_INET6)
		return NS_ERR_ADDRESS_FAMILY_NOT_SUPPORTED;
	if (!s->raw || !s->raw->new_raw)
		return NS_ERR_NOT_PERMITTED; /* Linux without CAP_NET_RAW: EPERM */
	return s->raw->new_raw(s, s->raw_priv, family, proto, wq, out);
}

ns_err ns_ep_new_packet(struct ns_stack *s, enum ns_packet_kind kind, uint16_t protocol,
                        struct ns_waiter_queue *wq, struct ns_ep **out)
{
	if (!s || !out)
		return NS_ERR_INVALID_ARGUMENT;
	*out = NULL;
	if (kind != NS_PACKET_RAW && kind != NS_PACKET_DGRAM)
		return NS_ERR_INVALID_ARGUMENT;
	if (!s->raw || !s->raw->new_packet)
		return NS_ERR_NOT_PERMITTED;
	return s->raw->new_packet(s, s->raw_priv, (int)kind, protocol, wq, out);
}

void ns_ep_close(struct ns_ep *ep)
{
	struct ns_stack *s;

	if (!ep || !ep->ops || !ep->ops->close)
		return;
	s = ep->stack;
	enter(s);
	ep->ops->close(ep); /* the release itself waits for leave() */
	leave(s);
}

/* The op @m of @ep, or NULL. */
#define EP_OP(ep, m) ((ep) && (ep)->ops ? (ep)->ops->m : NULL)

ns_err ns_ep_bind(struct ns_ep *ep, const struct ns_sockaddr *a)
{
	if (!ep || !a)
		return NS_ERR_INVALID_ARGUMENT;
	if (!EP_OP(ep, bind))
		return NS_ERR_NOT_SUPPORTED;
	struct ns_sockaddr n = sa_norm(a);
	enter(ep->stack);
	ns_err err = ep->ops->bind(ep, &n);
	leave(ep->stack);
	return err;
}

ns_err ns_ep_bind_ll(struct ns_ep *ep, const struct ns_sockaddr_ll *a)
{
	if (!ep || !a)
		return NS_ERR_INVALID_ARGUMENT;
	if (!EP_OP(ep, bind_ll))
		return NS_ERR_NOT_SUPPORTED;
	enter(ep->stack);
	ns_err err = ep->ops->bind_ll(ep, a);
	leave(ep->stack);
	return err;
}

ns_err ns_ep_connect(struct ns_ep *ep, const struct ns_sockaddr *a)
{
	if (!ep || !a)
		return NS_ERR_INVALID_ARGUMENT;
	if (!EP_OP(ep, connect))
		return NS_ERR_NOT_SUPPORTED;
	struct ns_sockaddr n = sa_norm(a);
	enter(ep->stack);
	ns_err err = ep->ops->connect(ep, &n);
	leave(ep->stack);
	return err;
}

ns_err ns_ep_listen(struct ns_ep *ep, int backlog)
{
	if (!ep)
		return NS_ERR_INVALID_ARGUMENT;
	if (!EP_OP(ep, listen))
		return NS_ERR_NOT_SUPPORTED;
	enter(ep->stack);
	ns_err err = ep->ops->listen(ep, backlog);
	leave(ep->stack);
	return err;
}

ns_err ns_ep_accept(struct ns_ep *ep, struct ns_waiter_queue *wq, struct ns_ep **out,
                    struct ns_sockaddr *peer)
{
	if (!ep || !out)
		return NS_ERR_INVALID_ARGUMENT;
	*out = NULL;
	if (!EP_OP(ep, accept))
		return NS_ERR_NOT_SUPPORTED;
	enter(ep->stack);
	ns_err err = ep->ops->accept(ep, wq, out, peer);
	leave(ep->stack);
	return err;
}

ns_err ns_ep_shutdown(struct ns_ep *ep, int how)
{
	if (!ep || how < NS_SHUT_RD || how > NS_SHUT_RDWR)
		return NS_ERR_INVALID_ARGUMENT;
	if (!EP_OP(ep, shutdown))
		return NS_ERR_NOT_SUPPORTED;
	enter(ep->stack);
	ns_err err = ep->ops->shutdown(ep, how);
	leave(ep->stack);
	return err;
}

ns_err ns_ep_read(struct ns_ep *ep, void *buf, size_t len, unsigned flags,
                  struct ns_read_result *res)
{
	struct ns_read_result scratch;

	if (!ep || (!buf && len))
		return NS_ERR_INVALID_ARGUMENT;
	if (!EP_OP(ep, read))
		return NS_ERR_NOT_SUPPORTED;
	if (res) /* only packet endpoints fill it in */
		memset(&res->ll, 0, sizeof(res->ll));
	enter(ep->stack);
	ns_err err = ep->ops->read(ep, buf, len, flags, res ? res : &scratch);
	leave(ep->stack);
	return err;
}

ns_err ns_ep_write(struct ns_ep *ep, const void *buf, size_t len, const struct ns_write_opts *opts,
                   size_t *written)
{
	size_t scratch;
	struct ns_write_opts o;
	struct ns_sockaddr to;

	if (!ep || (!buf && len))
		return NS_ERR_INVALID_ARGUMENT;
	if (written)
		*written = 0;
	if (!EP_OP(ep, write))
		return NS_ERR_NOT_SUPPORTED;
	if (opts && opts->to) {
		o = *opts;
		to = sa_norm(opts->to);
		o.to = &to;
		opts = &o;
	}
	enter(ep->stack);
	ns_err err = ep->ops->write(ep, buf, len, opts, written ? written : &scratch);
	leave(ep->stack);
	return err;
}

uint32_t ns_ep_readiness(struct ns_ep *ep, uint32_t mask)
{
	if (!EP_OP(ep, readiness))
		return 0;
	return ep->ops->readiness(ep, mask);
}

ns_err ns_ep_set_opt(struct ns_ep *ep, enum ns_opt opt, int64_t value)
{
	if (!ep)
		return NS_ERR_INVALID_ARGUMENT;
	if ((unsigned)opt >= NS_OPT_COUNT_)
		return NS_ERR_UNKNOWN_PROTOCOL_OPTION;
	if (!EP_OP(ep, set_opt))
		return NS_ERR_NOT_SUPPORTED;
	enter(ep->stack);
	ns_err err = ep->ops->set_opt(ep, opt, value);
	leave(ep->stack);
	return err;
}

ns_err ns_ep_get_opt(struct ns_ep *ep, enum ns_opt opt, int64_t *value)
{
	if (!ep || !value)
		return NS_ERR_INVALID_ARGUMENT;
	if ((unsigned)opt >= NS_OPT_COUNT_)
		return NS_ERR_UNKNOWN_PROTOCOL_OPTION;
	if (!EP_OP(ep, get_opt))
		return NS_ERR_NOT_SUPPORTED;
	return ep->ops->get_opt(ep, opt, value);
}

ns_err ns_ep_local_addr(struct ns_ep *ep, struct ns_sockaddr *a)
{
	if (!ep || !a)
		return NS_ERR_INVALID_ARGUMENT;
	if (!EP_OP(ep, local_addr))
		return NS_ERR_NOT_SUPPORTED;
	return ep->ops->local_addr(ep, a);
}

ns_err ns_ep_peer_addr(struct ns_ep *ep, struct ns_sockaddr *a)
{
	if (!ep || !a)
		return NS_ERR_INVALID_ARGUMENT;
	if (!EP_OP(ep, peer_addr))
		return NS_ERR_NOT_SUPPORTED;
	return ep->ops->peer_addr(ep, a);
}
