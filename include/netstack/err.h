/* SPDX-License-Identifier: MIT */
/*
 * netstack error codes.
 *
 * One list, NS_ERR_MAP, generates the enum, ns_strerror() and ns_err_name(). The set follows
 * gVisor's tcpip.Error types; the errno column says which Linux errno a socket facade maps
 * each code to. Functions that can fail return ns_err; NS_OK (0) is success.
 */
#ifndef NETSTACK_ERR_H
#define NETSTACK_ERR_H

#include "netstack/api.h"

/* X(NAME, errno-equivalent, message) */
#define NS_ERR_MAP(X)                                                                   \
	X(OK, 0, "success")                                                             \
	X(UNKNOWN_PROTOCOL, EPROTONOSUPPORT, "unknown protocol")                        \
	X(UNKNOWN_NIC, ENODEV, "unknown NIC")                                           \
	X(UNKNOWN_DEVICE, ENODEV, "unknown device")                                     \
	X(UNKNOWN_PROTOCOL_OPTION, ENOPROTOOPT, "unknown option for protocol")          \
	X(DUPLICATE_NIC, EEXIST, "duplicate NIC ID")                                    \
	X(DUPLICATE_ADDRESS, EEXIST, "duplicate address")                               \
	X(NO_ROUTE, EHOSTUNREACH, "no route")                                           \
	X(ALREADY_BOUND, EINVAL, "endpoint already bound")                              \
	X(INVALID_ENDPOINT_STATE, EINVAL, "endpoint is in invalid state")               \
	X(ALREADY_CONNECTING, EALREADY, "endpoint is already connecting")               \
	X(ALREADY_CONNECTED, EISCONN, "endpoint is already connected")                  \
	X(NO_PORT_AVAILABLE, EAGAIN, "no ports are available")                          \
	X(PORT_IN_USE, EADDRINUSE, "port is in use")                                    \
	X(BAD_LOCAL_ADDRESS, EADDRNOTAVAIL, "bad local address")                        \
	X(CLOSED_FOR_SEND, EPIPE, "endpoint is closed for send")                        \
	X(CLOSED_FOR_RECEIVE, 0, "endpoint is closed for receive")                      \
	X(WOULD_BLOCK, EWOULDBLOCK, "operation would block")                            \
	X(CONNECTION_REFUSED, ECONNREFUSED, "connection was refused")                   \
	X(TIMEOUT, ETIMEDOUT, "operation timed out")                                    \
	X(ABORTED, EPIPE, "operation aborted")                                          \
	X(CONNECT_STARTED, EINPROGRESS, "connection attempt started")                   \
	X(DESTINATION_REQUIRED, EDESTADDRREQ, "destination address is required")        \
	X(NOT_SUPPORTED, EOPNOTSUPP, "operation not supported")                         \
	X(QUEUE_SIZE_NOT_SUPPORTED, ENOTTY, "queue size querying not supported")        \
	X(NOT_CONNECTED, ENOTCONN, "endpoint not connected")                            \
	X(CONNECTION_RESET, ECONNRESET, "connection reset by peer")                     \
	X(CONNECTION_ABORTED, ECONNABORTED, "connection aborted")                       \
	X(NO_SUCH_FILE, ENOENT, "no such file")                                         \
	X(INVALID_OPTION_VALUE, EINVAL, "invalid option value specified")               \
	X(BAD_ADDRESS, EFAULT, "bad address")                                           \
	X(NETWORK_UNREACHABLE, ENETUNREACH, "network is unreachable")                   \
	X(MESSAGE_TOO_LONG, EMSGSIZE, "message too long")                               \
	X(NO_BUFFER_SPACE, ENOBUFS, "no buffer space available")                        \
	X(BROADCAST_DISABLED, EACCES, "broadcast socket option disabled")               \
	X(NOT_PERMITTED, EPERM, "operation not permitted")                              \
	X(ADDRESS_FAMILY_NOT_SUPPORTED, EAFNOSUPPORT, "address family not supported")   \
	X(MALFORMED_HEADER, EINVAL, "header is malformed")                              \
	X(HOST_UNREACHABLE, EHOSTUNREACH, "no route to host")                           \
	X(HOST_DOWN, EHOSTDOWN, "host is down")                                         \
	X(NO_NET, ENONET, "machine is not on the network")                              \
	X(BAD_BUFFER, EFAULT, "bad buffer")                                             \
	X(MISSING_REQUIRED_FIELDS, EINVAL, "missing required fields")                   \
	X(MULTICAST_INPUT_CANNOT_BE_OUTPUT, EINVAL, "multicast input cannot be output") \
	X(INVALID_ARGUMENT, EINVAL, "invalid argument")                                 \
	X(NO_MEMORY, ENOMEM, "out of memory")                                           \
	X(IO, EIO, "input/output error")

typedef enum ns_err {
#define NS_ERR_ENUM_(name, eno, msg) NS_ERR_##name,
	NS_ERR_MAP(NS_ERR_ENUM_)
#undef NS_ERR_ENUM_
	    NS_ERR_COUNT_
} ns_err;

#define NS_OK NS_ERR_OK

/** ns_strerror() - A human-readable message for @err (never NULL). */
NS_API const char *ns_strerror(ns_err err);
/** ns_err_name() - The code's name without prefix, e.g. "NO_ROUTE" (never NULL). */
NS_API const char *ns_err_name(ns_err err);
/** ns_err_errno() - The Linux errno a socket facade reports for @err (0 for NS_OK). */
NS_API int ns_err_errno(ns_err err);

#endif
