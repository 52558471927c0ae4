/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: the option parser of `netstack serve`.
 *
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

static int parse_addr_opt(const char *val, struct serve_opts *o)
{
	struct ns_subnet sn;
	if (looks_ipv6(val))
		return usage_error("--addr %s: IPv6 is not supported yet", val);
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
static int check_complete(struct serve_opts *o)
{
	if (!o->dev)
		return usage_error("serve: missing --tap NAME or --tun NAME");
	if (o->naddrs == 0)
		return usage_error("serve: missing --addr CIDR");
	if (o->have_mac && o->kind == NS_TUN) {
		char m[18];
		return usage_error("--mac %s: a TUN device has no MAC (use --tap)",
		                   ns_mac_format(&o->mac, m, sizeof(m)));
	}
	if (o->have_gateway) {
		char g[48];
		ns_addr_format(&o->gateway, g, sizeof(g));
		bool onlink = false;
		for (size_t i = 0; i < o->naddrs; i++) {
			if (ns_addr_eq(&o->addrs[i].addr, &o->gateway))
				return usage_error("--gateway %s: that is one of our own addresses",
				                   g);
			onlink |= ns_subnet_contains(&o->addrs[i], &o->gateway);
		}
		if (!onlink)
			return usage_error("--gateway %s: not inside the subnet of any --addr", g);
	}
	return 0;
}

int serve_parse(int argc, char **argv, struct serve_opts *o)
{
	memset(o, 0, sizeof(*o));
	bool have_mtu = false;

	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i];
		if (!strcmp(arg, "--help") || !strcmp(arg, "-h"))
			return 1;
		if (strncmp(arg, "--", 2) != 0)
			return usage_error("serve: unexpected argument '%s'", arg);

		/* Split "--opt=value"; otherwise the value is the next argument. */
		char opt[32];
		const char *val = NULL;
		const char *eq = strchr(arg, '=');
		size_t n = eq ? (size_t)(eq - arg) : strlen(arg);
		if (n >= sizeof(opt))
			return usage_error("serve: unknown option '%s'", arg);
		memcpy(opt, arg, n);
		opt[n] = '\0';

		static const char *const known[] = {"--tap",     "--tun", "--addr", "--mac",
		                                    "--gateway", "--mtu", "--pcap"};
		bool is_known = false;
		for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++)
			is_known |= !strcmp(opt, known[k]);
		if (!is_known)
			return usage_error("serve: unknown option '%s'", opt);
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
			if (o->have_gateway)
				return usage_error("--gateway %s: --gateway given twice", val);
			if (looks_ipv6(val))
				return usage_error("--gateway %s: IPv6 is not supported yet", val);
			if (!ns_addr_parse(val, &o->gateway) || o->gateway.family != NS_AF_INET)
				return usage_error("--gateway %s: not an IPv4 address", val);
			o->have_gateway = true;
		} else if (!strcmp(opt, "--mtu")) {
			if (have_mtu)
				return usage_error("--mtu %s: --mtu given twice", val);
			rc = parse_mtu(val, &o->mtu);
			have_mtu = true;
		} else if (!strcmp(opt, "--pcap")) {
			if (o->pcap)
				return usage_error("--pcap %s: --pcap given twice", val);
			o->pcap = val;
		}
		if (rc)
			return rc;
	}
	return check_complete(o);
}
