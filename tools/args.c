/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: the option parser of `netstack serve`, `netstack connect` and, one
 * device's group at a time (route.c splits its command line), `netstack route`.
 *
 * All take the same device and address options; connect also takes --send-file and one
 * positional HOST:PORT (an IPv4 address, or an IPv6 one in brackets; no name lookup).
 * Options take their value as the next argument or after '=' (`--mtu 1400`, `--mtu=1400`).
 * Parsing is strict and complete before anything is opened: every value is checked here
 * (CIDR with an explicit prefix, unicast MAC, device names the kernel accepts, MTU range,
 * a gateway inside one of the subnets), so a bad command line never leaves a half-made
 * device behind. Every error prints exactly one line that names the option and its value,
 * then the --help hint, and the command exits with EXIT_USAGE (2).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

int usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("netstack: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs("\ntry 'netstack --help'\n", stderr);
	va_end(ap);
	return EXIT_USAGE;
}

/* The kernel's dev_valid_name(): 1..15 bytes, not "." or "..", no '/', ':' or space. */
static bool valid_dev_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 15 || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (const char *p = s; *p; p++)
		if (*p == '/' || *p == ':' || *p == ' ' || (*p >= '\t' && *p <= '\r'))
			return false;
	return true;
}

static bool looks_ipv6(const char *s)
{
	return strchr(s, ':') != NULL;
}

/* An IPv6 --addr: a unicast address with its prefix length (RFC 4291). */
static int parse_addr6(const char *val, struct ns_subnet *sn)
{
	static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};

	if (!strchr(val, '/'))
		return usage_error("--addr %s: missing prefix length (for example %s/64)", val,
		                   val);
	if (!ns_subnet_parse(val, sn) || sn->addr.family != NS_AF_INET6)
		return usage_error("--addr %s: not an IPv6 address with a prefix length "
		                   "(for example 2001:db8::2/64)",
		                   val);
	if (ns_addr_is_any(&sn->addr))
		return usage_error("--addr %s: the unspecified address cannot be assigned", val);
	if (sn->addr.a[0] == 0xff)
		return usage_error("--addr %s: multicast, not a host address", val);
	if (memcmp(sn->addr.a, mapped, 12) == 0)
		return usage_error("--addr %s: a v4-mapped address; give the IPv4 address", val);
	{
		struct ns_addr lo = {.family = NS_AF_INET6, .a = {[15] = 1}};
		if (ns_addr_eq(&lo, &sn->addr))
			return usage_error("--addr %s: loopback addresses are not for a device",
			                   val);
	}
	return 0;
}

static int parse_addr_opt(const char *val, struct serve_opts *o)
{
	struct ns_subnet sn;
	if (looks_ipv6(val)) {
		int rc = parse_addr6(val, &sn);
		if (rc)
			return rc;
		goto add;
	}
	if (!strchr(val, '/'))
		return usage_error("--addr %s: missing prefix length (for example %s/24)", val,
		                   val);
	if (!ns_subnet_parse(val, &sn) || sn.addr.family != NS_AF_INET)
		return usage_error("--addr %s: not an IPv4 address with a prefix length "
		                   "(for example 192.0.2.2/24)",
		                   val);
	const uint8_t *a = sn.addr.a;
	if (ns_addr_is_any(&sn.addr))
		return usage_error("--addr %s: the unspecified address cannot be assigned", val);
	if (a[0] >= 224)
		return usage_error("--addr %s: multicast or reserved, not a host address", val);
	if (a[0] == 127)
		return usage_error("--addr %s: loopback addresses are not for a device", val);
	if (sn.prefix <= 30) {
		struct ns_addr bc = ns_subnet_broadcast(&sn);
		if (ns_addr_eq(&bc, &sn.addr))
			return usage_error("--addr %s: that is the subnet's broadcast address",
			                   val);
	}
add:
	for (size_t i = 0; i < o->naddrs; i++)
		if (ns_addr_eq(&o->addrs[i].addr, &sn.addr))
			return usage_error("--addr %s: address given twice", val);
	if (o->naddrs == SERVE_MAX_ADDRS)
		return usage_error("--addr %s: too many addresses (at most %d)", val,
		                   SERVE_MAX_ADDRS);
	o->addrs[o->naddrs++] = sn;
	return 0;
}

static int parse_mtu(const char *val, uint32_t *out)
{
	char *end;
	if (val[0] < '0' || val[0] > '9')
		return usage_error("--mtu %s: not a number", val);
	unsigned long v = strtoul(val, &end, 10);
	if (*end)
		return usage_error("--mtu %s: not a number", val);
	if (v < SERVE_MIN_MTU || v > SERVE_MAX_MTU)
		return usage_error("--mtu %s: out of range (%d..%d)", val, SERVE_MIN_MTU,
		                   SERVE_MAX_MTU);
	*out = (uint32_t)v;
	return 0;
}

static int parse_dev(const char *opt, const char *val, enum ns_tuntap_kind kind,
                     struct serve_opts *o)
{
	if (o->dev)
		return usage_error("%s %s: a device was already given (--%s %s); use one of "
		                   "--tap and --tun, once",
		                   opt, val, o->kind == NS_TAP ? "tap" : "tun", o->dev);
	if (!valid_dev_name(val))
		return usage_error("%s %s: bad device name (1 to 15 characters, no '/', ':' or "
		                   "white space)",
		                   opt, val);
	o->dev = val;
	o->kind = kind;
	return 0;
}

/* Checks that need the whole command line. */
static const char *cmd_name(enum tool_cmd cmd)
{
	return cmd == CMD_SERVE ? "serve" : cmd == CMD_CONNECT ? "connect" : "route";
}

static int check_complete(struct serve_opts *o)
{
	const char *name = cmd_name(o->cmd);
	if (!o->dev)
		return usage_error("%s: missing --tap NAME or --tun NAME", name);
	if (o->naddrs == 0 && o->cmd == CMD_ROUTE)
		return usage_error("route: %s: missing --addr CIDR", o->dev);
	if (o->naddrs == 0 && !o->slaac)
		return usage_error("%s: missing --addr CIDR (or --slaac)", name);
	if (o->cmd == CMD_CONNECT && !o->have_target)
		return usage_error("connect: missing HOST:PORT");
	if (o->have_mac && o->kind == NS_TUN) {
		char m[18];
		return usage_error("--mac %s: a TUN device has no MAC (use --tap)",
		                   ns_mac_format(&o->mac, m, sizeof(m)));
	}
	for (int fam = 0; fam < 2; fam++) {
		const struct ns_addr *gw = fam ? &o->gateway6 : &o->gateway;
		char g[48];
		if (!(fam ? o->have_gateway6 : o->have_gateway))
			continue;
		ns_addr_format(gw, g, sizeof(g));
		/* A link-local gateway is on the link by definition (RFC 4291 2.5.6). */
		bool onlink = fam && gw->a[0] == 0xfe && (gw->a[1] & 0xc0) == 0x80;
		for (size_t i = 0; i < o->naddrs; i++) {
			if (ns_addr_eq(&o->addrs[i].addr, gw))
				return usage_error("--gateway %s: that is one of our own addresses",
				                   g);
			onlink |= ns_subnet_contains(&o->addrs[i], gw);
		}
		if (!onlink)
			return usage_error("--gateway %s: not inside the subnet of any --addr", g);
	}
	return 0;
}

static int parse_target(const char *val, struct serve_opts *o)
{
	const char *colon = strrchr(val, ':');
	char host[64];
	if (o->have_target)
		return usage_error("connect: unexpected argument '%s' (HOST:PORT was already "
		                   "given)",
		                   val);
	if (!colon || colon == val || (size_t)(colon - val) >= sizeof(host))
		return usage_error("connect: '%s' is not HOST:PORT (for example 192.0.2.1:7 or "
		                   "[2001:db8::1]:7)",
		                   val);
	memcpy(host, val, (size_t)(colon - val));
	host[colon - val] = '\0';
	if (host[0] == '[') {
		/* RFC 3986 3.2.2: an IPv6 address in brackets. */
		size_t n = strlen(host);
		if (n < 3 || host[n - 1] != ']')
			return usage_error("connect: %s: '%s' is not [IPv6 address]", val, host);
		memmove(host, host + 1, n - 2);
		host[n - 2] = '\0';
		if (!ns_addr_parse(host, &o->target.addr) || o->target.addr.family != NS_AF_INET6 ||
		    ns_addr_is_any(&o->target.addr))
			return usage_error("connect: %s: '%s' is not an IPv6 address", val, host);
	} else if (strchr(host, ':')) {
		return usage_error("connect: %s: an IPv6 address goes in brackets, as "
		                   "[2001:db8::1]:7",
		                   val);
	} else if (!ns_addr_parse(host, &o->target.addr) || o->target.addr.family != NS_AF_INET ||
	           ns_addr_is_any(&o->target.addr)) {
		return usage_error("connect: %s: '%s' is not an IPv4 address", val, host);
	}
	char *end;
	const char *p = colon + 1;
	unsigned long port = (*p >= '0' && *p <= '9') ? strtoul(p, &end, 10) : 0;
	if (port == 0 || port > 65535 || *end)
		return usage_error("connect: %s: port must be 1..65535", val);
	o->target.port = (uint16_t)port;
	o->have_target = true;
	return 0;
}

int serve_parse(enum tool_cmd cmd, int argc, char **argv, struct serve_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->cmd = cmd;
	bool have_mtu = false;
	const char *name = cmd_name(cmd);

	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i];
		if (!strcmp(arg, "--help") || !strcmp(arg, "-h"))
			return 1;
		if (strncmp(arg, "--", 2) != 0) {
			if (cmd == CMD_CONNECT) {
				int rc = parse_target(arg, o);
				if (rc)
					return rc;
				continue;
			}
			return usage_error("%s: unexpected argument '%s'", name, arg);
		}

		/* Split "--opt=value"; otherwise the value is the next argument. */
		char opt[32];
		const char *val = NULL;
		const char *eq = strchr(arg, '=');
		size_t n = eq ? (size_t)(eq - arg) : strlen(arg);
		if (n >= sizeof(opt))
			return usage_error("%s: unknown option '%s'", name, arg);
		memcpy(opt, arg, n);
		opt[n] = '\0';

		/* Flags without a value. */
		if (!strcmp(opt, "--no-offload")) {
			if (eq)
				return usage_error("--no-offload: takes no value");
			o->no_offload = true;
			continue;
		}
		static const char *const known[] = {"--tap",     "--tun", "--addr", "--mac",
		                                    "--gateway", "--mtu", "--pcap"};
		bool is_known = cmd == CMD_CONNECT && !strcmp(opt, "--send-file");
		for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++)
			is_known |= !strcmp(opt, known[k]);
		/* Flags: no value. */
		if (!strcmp(opt, "--slaac")) {
			if (eq)
				return usage_error("--slaac: takes no value");
			if (cmd == CMD_ROUTE)
				return usage_error(
				    "route: --slaac: a router does not configure its "
				    "addresses from router advertisements (Linux "
				    "ignores them while forwarding); give --addr");
			o->slaac = true;
			continue;
		}
		if (!is_known)
			return usage_error("%s: unknown option '%s'", name, opt);
		if (eq)
			val = eq + 1;
		else if (i + 1 < argc)
			val = argv[++i];
		else
			return usage_error("%s: missing value", opt);
		if (!*val)
			return usage_error("%s: empty value", opt);

		int rc = 0;
		if (!strcmp(opt, "--tap")) {
			rc = parse_dev(opt, val, NS_TAP, o);
		} else if (!strcmp(opt, "--tun")) {
			rc = parse_dev(opt, val, NS_TUN, o);
		} else if (!strcmp(opt, "--addr")) {
			rc = parse_addr_opt(val, o);
		} else if (!strcmp(opt, "--mac")) {
			if (o->have_mac)
				return usage_error("--mac %s: --mac given twice", val);
			if (!ns_mac_parse(val, &o->mac))
				return usage_error("--mac %s: not a MAC address (for example "
				                   "02:00:00:00:00:02)",
				                   val);
			static const struct ns_mac zero;
			if (ns_mac_is_multicast(&o->mac) || ns_mac_eq(&o->mac, &zero))
				return usage_error("--mac %s: not a unicast MAC address", val);
			o->have_mac = true;
		} else if (!strcmp(opt, "--gateway")) {
			/* One per family. */
			struct ns_addr gw;
			if (!ns_addr_parse(val, &gw) || ns_addr_is_any(&gw) ||
			    (gw.family == NS_AF_INET6 && gw.a[0] == 0xff))
				return usage_error(
				    "--gateway %s: not a unicast IPv4 or IPv6 address", val);
			if (gw.family == NS_AF_INET6) {
				if (o->have_gateway6)
					return usage_error("--gateway %s: an IPv6 --gateway given "
					                   "twice",
					                   val);
				o->gateway6 = gw;
				o->have_gateway6 = true;
			} else {
				if (o->have_gateway)
					return usage_error("--gateway %s: an IPv4 --gateway given "
					                   "twice",
					                   val);
				o->gateway = gw;
				o->have_gateway = true;
			}
		} else if (!strcmp(opt, "--mtu")) {
			if (have_mtu)
				return usage_error("--mtu %s: --mtu given twice", val);
			rc = parse_mtu(val, &o->mtu);
			have_mtu = true;
		} else if (!strcmp(opt, "--pcap")) {
			if (o->pcap)
				return usage_error("--pcap %s: --pcap given twice", val);
			o->pcap = val;
		} else if (!strcmp(opt, "--send-file")) {
			if (o->send_file)
				return usage_error("--send-file %s: --send-file given twice", val);
			o->send_file = val;
		}
		if (rc)
			return rc;
	}
	return check_complete(o);
}
