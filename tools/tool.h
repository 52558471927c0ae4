/* SPDX-License-Identifier: MIT */
/*
 * The `netstack` command's internal interface: option parsing (args.c), the serve
 * subcommand (serve.c) and the services it runs on the stack (services.c).
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

struct serve_opts {
	enum ns_tuntap_kind kind;
	const char *dev; /* NULL until --tap/--tun */
	struct ns_subnet addrs[SERVE_MAX_ADDRS];
	size_t naddrs;
	bool have_mac;
	struct ns_mac mac;
	bool have_gateway;
	struct ns_addr gateway;
	uint32_t mtu; /* 0: not given */
	const char *pcap;
};

/* args.c */
/** serve_parse() - Parse the arguments after "serve". Returns 0, 1 for --help, or
 * EXIT_USAGE after printing one line that names the option and the value, and the hint. */
int serve_parse(int argc, char **argv, struct serve_opts *o);
/** usage_error() - Print "netstack: <msg>" and the --help hint to stderr; returns EXIT_USAGE. */
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* serve.c */
/** serve_run() - Run `netstack serve` with parsed options until SIGINT/SIGTERM. */
int serve_run(const struct serve_opts *o);

/* services.c: UDP echo (port 7) and discard (port 9) on each address. */
struct services;
struct services_counts {
	uint64_t echo_rx, echo_tx, echo_tx_failed, discard_rx;
};
/** services_start() - Bind the services on each of @addrs; NULL and a message in @err on
 * failure. */
struct services *services_start(struct ns_stack *s, const struct ns_subnet *addrs, size_t naddrs,
                                char *err, size_t errlen);
void services_counts(const struct services *sv, struct services_counts *out);
void services_stop(struct services *sv);

#endif
