/* SPDX-License-Identifier: MIT */
/*
 * Theory of operation: lwIP's side of the benchmark, against Debian's liblwip-dev as shipped
 * (its lwipopts.h: 64 KiB windows, malloc'd pools, LWIP_NETIF_TX_SINGLE_PBUF).
 *
 * `lwip_bench --tap DEV --addr A.B.C.D [--mac 02:..]` runs the benchmark's four TCP services
 * (discard 5001, source 5002, echo 5003, close 5004; see bench/client.c) with lwIP's raw
 * TCP API on an existing TAP device, in one thread, exactly as ns_bench serve runs netstack:
 * poll() on the TAP fd with the next timer deadline as the timeout, then drain up to 64
 * frames per wake-up and fire lwIP's timers.
 *
 * The TAP netif is our own, not the unix port's tapif: Debian builds lwIP with NO_SYS=0, and
 * its tapif starts a reader thread that feeds frames to the tcpip thread through a mailbox,
 * which would measure lwIP's thread hand-off rather than its TCP. Here lwip_init() sets the
 * core up and nothing starts the tcpip thread, so every lwIP call runs on this one thread
 * (the unix port's core-locking check is inert until a tcpip thread marks itself). Inbound,
 * a frame is read straight into a pbuf and handed to ethernet_input(); outbound, the
 * netif's linkoutput writes the pbuf chain with one writev().
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "lwip/etharp.h"
#include "lwip/init.h"
#include "lwip/ip4_addr.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"
#include "netif/ethernet.h"

#define PORT_DISCARD 5001
#define PORT_SOURCE  5002
#define PORT_ECHO    5003
#define PORT_CLOSE   5004
#define FRAME_MAX    1518
#define BATCH        64

static int tap_fd = -1;
static volatile sig_atomic_t stop;
static unsigned long rx_frames, tx_frames, tx_errors, rx_nomem;
static uint8_t source_buf[65536];

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* ---------------------------------------------------------------- the TAP netif */

static err_t tap_linkoutput(struct netif *nif, struct pbuf *p)
{
	struct iovec iov[16];
	int n = 0;

	(void)nif;
	for (struct pbuf *q = p; q && n < 16; q = q->next)
		iov[n++] = (struct iovec){.iov_base = q->payload, .iov_len = q->len};
	if (writev(tap_fd, iov, n) < 0) {
		tx_errors++;
		return ERR_IF;
	}
	tx_frames++;
	return ERR_OK;
}

static uint8_t tap_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x1b, 0x02};

static err_t tap_netif_init(struct netif *nif)
{
	nif->name[0] = 't';
	nif->name[1] = 'p';
	nif->output = etharp_output;
	nif->linkoutput = tap_linkoutput;
	nif->mtu = 1500;
	nif->hwaddr_len = 6;
	memcpy(nif->hwaddr, tap_mac, 6);
	nif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
	return ERR_OK;
}

static int tap_open(const char *dev)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

/* Read up to BATCH frames, each straight into a pbuf; returns how many. */
static int tap_drain(struct netif *nif)
{
	int done = 0;

	while (done < BATCH) {
		struct pbuf *p = pbuf_alloc(PBUF_RAW, FRAME_MAX, PBUF_RAM);
		if (!p) {
			rx_nomem++;
			return done;
		}
		ssize_t n = read(tap_fd, p->payload, FRAME_MAX);
		if (n <= 0) {
			pbuf_free(p);
			return done;
		}
		pbuf_realloc(p, (u16_t)n);
		rx_frames++;
		if (nif->input(p, nif) != ERR_OK)
			pbuf_free(p);
		done++;
	}
	return done;
}

/* ---------------------------------------------------------------- the services */

static void detach(struct tcp_pcb *pcb)
{
	tcp_arg(pcb, NULL);
	tcp_recv(pcb, NULL);
	tcp_sent(pcb, NULL);
	tcp_err(pcb, NULL);
}

static void close_or_abort(struct tcp_pcb *pcb)
{
	detach(pcb);
	if (tcp_close(pcb) != ERR_OK)
		tcp_abort(pcb);
}

static void source_fill(struct tcp_pcb *pcb)
{
	for (;;) {
		u16_t space = tcp_sndbuf(pcb);
		if (space == 0 || tcp_sndqueuelen(pcb) >= TCP_SND_QUEUELEN - 4)
			break;
		if (tcp_write(pcb, source_buf, space, 0) != ERR_OK)
			break;
	}
	tcp_output(pcb);
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	(void)arg;
	(void)len;
	source_fill(pcb);
	return ERR_OK;
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	int port = (int)(intptr_t)arg;

	if (!p || err != ERR_OK) {
		if (p)
			pbuf_free(p);
		close_or_abort(pcb); /* the peer's FIN */
		return ERR_OK;
	}
	if (port == PORT_ECHO) {
		for (struct pbuf *q = p; q; q = q->next) {
			if (tcp_write(pcb, q->payload, q->len, TCP_WRITE_FLAG_COPY) != ERR_OK)
				break;
		}
		tcp_output(pcb);
	}
	tcp_recved(pcb, p->tot_len);
	pbuf_free(p);
	return ERR_OK;
}

static void on_err(void *arg, err_t err)
{
	(void)arg;
	(void)err; /* the pcb is already gone */
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	int port = (int)(intptr_t)arg;

	if (err != ERR_OK || !pcb)
		return ERR_VAL;
	if (port == PORT_CLOSE) {
		if (tcp_close(pcb) != ERR_OK) {
			tcp_abort(pcb);
			return ERR_ABRT;
		}
		return ERR_OK;
	}
	tcp_arg(pcb, arg);
	tcp_err(pcb, on_err);
	tcp_recv(pcb, on_recv);
	if (port == PORT_ECHO)
		tcp_nagle_disable(pcb);
	if (port == PORT_SOURCE) {
		tcp_sent(pcb, on_sent);
		source_fill(pcb);
	}
	return ERR_OK;
}

static int listen_on(const ip4_addr_t *a, int port)
{
	ip_addr_t addr;
	struct tcp_pcb *pcb = tcp_new_ip_type(IPADDR_TYPE_V4);

	if (!pcb)
		return -1;
	ip_addr_copy_from_ip4(addr, *a);
	if (tcp_bind(pcb, &addr, (u16_t)port) != ERR_OK)
		return -1;
	pcb = tcp_listen_with_backlog(pcb, 255);
	if (!pcb)
		return -1;
	tcp_arg(pcb, (void *)(intptr_t)port);
	tcp_accept(pcb, on_accept);
	return 0;
}

int main(int argc, char **argv)
{
	static const int ports[] = {PORT_DISCARD, PORT_SOURCE, PORT_ECHO, PORT_CLOSE};
	const char *dev = NULL, *addr_text = NULL;
	struct netif nif;
	ip4_addr_t ip, mask, gw;
	struct sigaction sa = {.sa_handler = on_signal};

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--tap") == 0)
			dev = argv[i + 1];
		else if (strcmp(argv[i], "--addr") == 0)
			addr_text = argv[i + 1];
	}
	if (!dev || !addr_text || !ip4addr_aton(addr_text, &ip)) {
		fprintf(stderr, "usage: lwip_bench --tap DEV --addr A.B.C.D (a /24)\n");
		return 2;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	memset(source_buf, 's', sizeof(source_buf));
	tap_fd = tap_open(dev);
	if (tap_fd < 0) {
		fprintf(stderr, "lwip_bench: %s: %s\n", dev, strerror(errno));
		return 2;
	}
	lwip_init();
	IP4_ADDR(&mask, 255, 255, 255, 0);
	ip4_addr_set_zero(&gw);
	if (!netif_add(&nif, &ip, &mask, &gw, NULL, tap_netif_init, ethernet_input)) {
		fprintf(stderr, "lwip_bench: netif_add failed\n");
		return 1;
	}
	netif_set_default(&nif);
	netif_set_up(&nif);
	netif_set_link_up(&nif);
	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		if (listen_on(&ip, ports[i]) < 0) {
			fprintf(stderr, "lwip_bench: listen on %d failed\n", ports[i]);
			return 1;
		}
	}
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		u32_t ms = sys_timeouts_sleeptime();
		struct pollfd pfd = {.fd = tap_fd, .events = POLLIN};
		int timeout = ms == SYS_TIMEOUTS_SLEEPTIME_INFINITE ? -1 : (int)ms;

		if (poll(&pfd, 1, timeout) > 0) {
			while (tap_drain(&nif) == BATCH && !stop)
				sys_check_timeouts();
		}
		sys_check_timeouts();
	}
	fprintf(stderr, "lwip_bench: %s rx_frames %lu tx_frames %lu tx_errors %lu rx_nomem %lu\n",
	        dev, rx_frames, tx_frames, tx_errors, rx_nomem);
	close(tap_fd);
	return 0;
}
