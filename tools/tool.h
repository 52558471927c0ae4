/* SPDX-License-Identifier: MIT */
/*
 * The `netstack` command's internal interface: option parsing (args.c), the stack on a
 * device that serve and connect share (host.c), the serve subcommand (serve.c), the UDP
 * services (services.c), the TCP services (tcp_services.c) and their HTTP parser (http.c),
 * the connect subcommand (connect.c) and the route subcommand (route.c).
 */
#ifndef NS_TOOLS_TOOL_H
#define NS_TOOLS_TOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netstack/addr.h"
#include "netstack/link.h"

struct ns_stack;

/* Exit statuses (the command's contract). */
#define EXIT_USAGE 2 /* bad argument, or a device or file that cannot be opened */

#define SERVE_MAX_ADDRS   16
#define SERVE_DEFAULT_MTU 1500
#define SERVE_MIN_MTU     68
#define SERVE_MAX_MTU     65535

#define ROUTE_MAX_DEVS 8

enum tool_cmd { CMD_SERVE, CMD_CONNECT, CMD_ROUTE };

struct serve_opts {
	enum tool_cmd cmd;
	enum ns_tuntap_kind kind;
	const char *dev; /* NULL until --tap/--tun */
	struct ns_subnet addrs[SERVE_MAX_ADDRS];
	size_t naddrs;
	bool have_mac;
	struct ns_mac mac;
	bool have_gateway;
	struct ns_addr gateway; /* IPv4 */
	bool have_gateway6;
	struct ns_addr gateway6; /* IPv6 */
	bool slaac;              /* IPv6 up without an IPv6 --addr: addresses from RAs */
	uint32_t mtu;            /* 0: not given */
	const char *pcap;
	bool no_offload; /* --no-offload: open the device without a vnet header */
	/* connect only */
	struct ns_sockaddr target;
	bool have_target;
	const char *send_file; /* NULL: stdin */
};

/* args.c */
/** serve_parse() - Parse the arguments after "serve" or "connect" (@cmd). Returns 0, 1 for
 * --help, or EXIT_USAGE after printing one line that names the option and the value, and
 * the hint. */
int serve_parse(enum tool_cmd cmd, int argc, char **argv, struct serve_opts *o);
/** usage_error() - Print "netstack: <msg>" and the --help hint to stderr; returns EXIT_USAGE. */
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* host.c: a stack on the device of @o (or, for route, on several: NIC i + 1 on device i),
 * driven by an event loop that also watches SIGINT/SIGTERM (which set ->stop). */
struct host {
	struct ns_stack *stack;
	struct ns_link *link; /* links[0] */
	struct ns_loop *loop;
	struct ns_link *links[ROUTE_MAX_DEVS];
	const char *devs[ROUTE_MAX_DEVS];
	bool pcaps[ROUTE_MAX_DEVS];
	uint64_t rx_errors_seen[ROUTE_MAX_DEVS];
	size_t nlinks;
	int sigfd;
	volatile int stop;
	volatile int dump; /* SIGUSR1 arrived: print the addresses */
};
/** host_open() - Signals, stack, device, addresses and routes, loop. 0, or the exit status
 * after printing why on stderr (2 for a device or pcap file that cannot be opened). */
int host_open(struct host *h, const struct serve_opts *o);
/** host_open_devices() - host_open() for the @n devices @o[0..n) (NIC i + 1 on @o[i]),
 * with @forwarding as the stack's. */
int host_open_devices(struct host *h, const struct serve_opts *o, size_t n, bool forwarding);
/** host_describe() - The start-up line on stderr. */
void host_describe(const struct host *h, const struct serve_opts *o);
/** host_after_iteration() - Flush the pcap file; true if the device went away. */
bool host_after_iteration(struct host *h);
void host_close(struct host *h);

/* serve.c */
/** serve_run() - Run `netstack serve` with parsed options until SIGINT/SIGTERM. */
int serve_run(const struct serve_opts *o);

/* route.c */
/** route_parse() - Parse the arguments after "route": one group of serve's device options
 * per --tap/--tun (up to ROUTE_MAX_DEVS), into @o[0..*@n). Returns as serve_parse(). */
int route_parse(int argc, char **argv, struct serve_opts *o, size_t *n);
/** route_run() - Run `netstack route` with parsed options until SIGINT/SIGTERM. */
int route_run(const struct serve_opts *o, size_t n);

/* connect.c */
/** connect_run() - Run `netstack connect`: 0 once both sides closed cleanly. */
int connect_run(const struct serve_opts *o);

/** host_has_ipv6() - Does the command line bring IPv6 up (an IPv6 --addr, or --slaac)? */
bool host_has_ipv6(const struct serve_opts *o);
/** host_print_addresses() - One `address CIDR STATE` line per address of the NIC on stdout
 * (serve's answer to SIGUSR1); with several devices, each line ends with the device's name. */
void host_print_addresses(struct host *h);
/** host_print_stack_counters() - The stack's non-zero counters and drop reasons on stdout,
 * `name value` (drop reasons as `drop_<reason>`). */
void host_print_stack_counters(struct host *h);
/** host_wait_dad() - Run the loop until no address of any NIC is tentative (duplicate
 * address detection over) or @ms pass; false if some still is (or a signal came). */
bool host_wait_dad(struct host *h, int ms);

/* services.c: UDP echo (port 7) and discard (port 9) on each address (and, with IPv6, on
 * [::] for the addresses autoconfiguration adds). */
struct services;
struct services_counts {
	uint64_t echo_rx, echo_tx, echo_tx_failed, discard_rx;
};
/** services_start() - Bind the services on each of @addrs; NULL and a message in @err on
 * failure. */
struct services *services_start(struct ns_stack *s, const struct ns_subnet *addrs, size_t naddrs,
                                bool ipv6, char *err, size_t errlen);
void services_counts(const struct services *sv, struct services_counts *out);
void services_stop(struct services *sv);

/* tcp_services.c: TCP echo (7), discard (9), chargen (19) and HTTP (80) on every address. */
#define TCP_SERVICES_MAX_CONNS 10000
struct tcp_services;
struct tcp_services_counts {
	uint64_t accepted, refused_limit, resets, open, open_max;
	uint64_t echo_bytes, discard_bytes, chargen_bytes;
	uint64_t http_requests, http_2xx, http_4xx, http_5xx, http_body_bytes;
};
/** tcp_services_start() - The listeners on 0.0.0.0, and with @ipv6 on [::] (IPv6 only). */
struct tcp_services *tcp_services_start(struct ns_stack *s, bool ipv6, char *err, size_t errlen);
/** tcp_services_run() - Do the work the stack's events asked for (call after every loop
 * iteration). Returns true if work remains (poll the loop without waiting). */
bool tcp_services_run(struct tcp_services *ts);
void tcp_services_counts(const struct tcp_services *ts, struct tcp_services_counts *out);
void tcp_services_stop(struct tcp_services *ts);

/* http.c */
#define HTTP_MAX_HEAD  16384            /* a longer request head is refused (431) */
#define HTTP_MAX_BYTES 1000000000000ull /* largest N of /bytes/N (10^12) */
enum http_status { HTTP_200, HTTP_400, HTTP_404, HTTP_431, HTTP_501 };
enum http_route { HTTP_ROUTE_NOT_FOUND, HTTP_ROUTE_INDEX, HTTP_ROUTE_BYTES };
struct http_req {
	bool get, head, conn_close, conn_keep_alive, chunked;
	uint8_t minor;
	enum http_route route;
	uint64_t nbytes;   /* /bytes/N */
	uint64_t body_len; /* Content-Length of the request body, to skip */
};
extern const char http_index_page[];
extern const size_t http_index_len;
extern const char http_not_found_body[];
extern const size_t http_not_found_len;
extern const char http_bad_request_body[];
extern const size_t http_bad_request_len;
extern const char http_not_impl_body[];
extern const size_t http_not_impl_len;
/** http_head_end() - Length of the request head in @p (through its empty line), 0 if the
 * head is not complete yet. */
size_t http_head_end(const uint8_t *p, size_t n);
/** http_parse() - Parse a complete head into @r; the status to answer with. */
enum http_status http_parse(const uint8_t *p, size_t n, struct http_req *r);
/** http_format_head() - A response head; its length (0 if @cap is too small). */
size_t http_format_head(char *buf, size_t cap, enum http_status st, const char *ctype, uint64_t len,
                        bool close);

#endif
