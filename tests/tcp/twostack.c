/* SPDX-License-Identifier: MIT */
/* The two-stack world of twostack.h. */
#include <stdlib.h>

#include "twostack.h"

static void on_write(void *ctx, struct ns_pkt *pkt)
{
	struct ts_side *sd = ctx;

	pkt->next = NULL;
	if (sd->qt)
		sd->qt->next = pkt;
	else
		sd->qh = pkt;
	sd->qt = pkt;
}

static void add_tcp(struct ns_stack_config *cfg)
{
	int i = 0;

	/* Until ns_protocols_default() registers TCP itself. */
	while (i < NS_MAX_PROTOCOLS - 1 && cfg->transprotos[i] &&
	       cfg->transprotos[i] != &ns_proto_tcp)
		i++;
	cfg->transprotos[i] = &ns_proto_tcp;
}

static void side_init(struct ts_world *w, struct ts_side *sd, uint8_t me, uint8_t peer,
                      const struct ns_impair_config *ic, uint64_t seed)
{
	struct ns_stack_config cfg;
	struct ns_channel_config cc = {.mtu = 1500, .header = NS_LINK_HDR_ETHERNET};
	struct ns_impair_config icc = *ic;
	struct ns_subnet a = {.addr = NT_V4(192, 0, 2, me), .prefix = 24};
	struct ns_addr pa = NT_V4(192, 0, 2, peer);
	struct ns_mac pm = {{2, 0, 0, 0, 0, peer}};

	ns_stack_config_init(&cfg);
	ns_protocols_default(&cfg);
	add_tcp(&cfg);
	cfg.clock = &w->clock.base;
	cfg.seed = seed + me;
	assert_int_equal(ns_stack_new(&cfg, &sd->s), NS_OK);
	cc.mac = (struct ns_mac){{2, 0, 0, 0, 0, me}};
	cc.caps = NS_CAP_RESOLUTION_REQUIRED | w->caps;
	sd->ch = ns_channel_new(&cc);
	assert_non_null(sd->ch);
	ns_channel_set_write_hook(sd->ch, on_write, sd);
	icc.seed = ic->seed * 2 + me;
	sd->im = ns_impair_new(sd->ch, &icc, &w->clock.base);
	assert_non_null(sd->im);
	assert_int_equal(ns_stack_add_nic(sd->s, 1, sd->im, "x0"), NS_OK);
	assert_int_equal(ns_stack_add_address(sd->s, 1, &a), NS_OK);
	assert_int_equal(ns_stack_add_static_neighbor(sd->s, 1, &pa, &pm), NS_OK);
}

struct ts_world *ts_new(const struct ns_impair_config *ic, uint64_t seed)
{
	return ts_new_caps(ic, seed, 0);
}

struct ts_world *ts_new_caps(const struct ns_impair_config *ic, uint64_t seed, uint32_t caps)
{
	struct ts_world *w = calloc(1, sizeof(*w));

	assert_non_null(w);
	w->caps = caps;
	w->pkts0 = ns_pkt_live();
	ns_vclock_init(&w->clock, NT_T0);
	side_init(w, &w->a, 1, 2, ic, seed);
	side_init(w, &w->b, 2, 1, ic, seed);
	w->t0 = w->clock.now;
	return w;
}

int ts_pump(struct ts_world *w)
{
	int n = 0;
	struct ts_side *from[2] = {&w->a, &w->b}, *to[2] = {&w->b, &w->a};

	for (int i = 0; i < 2; i++) {
		struct ns_pkt *p;

		while ((p = from[i]->qh) != NULL) {
			from[i]->qh = p->next;
			if (!from[i]->qh)
				from[i]->qt = NULL;
			if (w->caps & (NS_CAP_HW_GSO | NS_CAP_TX_CSUM_OFFLOAD)) {
				/* The packet itself crosses, offload metadata and all. */
				ns_channel_inject(to[i]->ch, p);
			} else {
				ns_channel_inject_bytes(to[i]->ch, ns_pkt_data(p), p->len);
				ns_pkt_free(p);
			}
			n++;
		}
	}
	return n;
}

void ts_step_time(struct ts_world *w)
{
	uint64_t next = ns_stack_next_deadline(w->a.s), d;

	d = ns_stack_next_deadline(w->b.s);
	if (d < next)
		next = d;
	d = ns_impair_poll(w->a.im);
	if (d < next)
		next = d;
	d = ns_impair_poll(w->b.im);
	if (d < next)
		next = d;
	assert_true(next != UINT64_MAX); /* nothing pending anywhere: a deadlock */
	if (next > w->clock.now)
		w->clock.now = next;
	ns_stack_poll(w->a.s);
	ns_stack_poll(w->b.s);
	ns_impair_poll(w->a.im);
	ns_impair_poll(w->b.im);
}

uint8_t ts_pattern(uint32_t i)
{
	return (uint8_t)(i * 7 + (i >> 11));
}

/* One round of application work; returns true if anything happened. */
static bool app_step(struct ts_world *w)
{
	static uint8_t buf[65536];
	struct ts_xfer *x = &w->x;
	uint32_t bytes = w->o.bytes;
	bool did = false;

	if (!x->srv && ns_ep_accept(x->lst, NULL, &x->srv, NULL) == NS_OK)
		did = true;
	if (tt_state(x->cli) == TCP_ESTABLISHED && x->sent < bytes) {
		const struct tcp_ring *snd = &tt_ep(x->cli)->snd;
		uint32_t cap = snd->buf ? snd->cap : snd->limit;
		uint32_t space = cap > snd->len ? cap - snd->len : 0;
		uint32_t n = bytes - x->sent < sizeof(buf) ? bytes - x->sent : sizeof(buf);
		size_t wrote = 0;

		/* Make only the bytes the send buffer can take now: generating the pattern
		 * for a write that cannot happen would be most of a lossy run's time. */
		if (n > space)
			n = space;

		for (uint32_t i = 0; i < n; i++)
			buf[i] = ts_pattern(x->sent + i);
		if (n && ns_ep_write(x->cli, buf, n, NULL, &wrote) == NS_OK && wrote) {
			x->sent += (uint32_t)wrote;
			did = true;
		}
	}
	if (x->sent == bytes && !x->cli_shut) {
		assert_int_equal(ns_ep_shutdown(x->cli, NS_SHUT_WR), NS_OK);
		x->cli_shut = true;
		did = true;
	}
	while (x->srv && !x->srv_eof) {
		struct ns_read_result r;
		ns_err err = ns_ep_read(x->srv, buf, sizeof(buf), 0, &r);

		if (err == NS_ERR_CLOSED_FOR_RECEIVE) {
			x->srv_eof = true;
			did = true;
			break;
		}
		if (err != NS_OK)
			break;
		for (size_t i = 0; i < r.count; i++)
			if (buf[i] != ts_pattern(x->rcvd + (uint32_t)i))
				fail_msg("byte %zu differs", x->rcvd + i);
		x->rcvd += (uint32_t)r.count;
		did = true;
	}
	return did;
}

void ts_transfer(struct ts_world *w, const struct ts_opts *o)
{
	struct ns_sockaddr any = {.addr = {.family = NS_AF_INET}, .port = o->port};
	struct ns_sockaddr to = {.addr = NT_V4(192, 0, 2, 2), .port = o->port};
	struct ts_xfer *x = &w->x;

	w->o = *o;
	assert_int_equal(ns_ep_new(w->b.s, NS_AF_INET, NS_IPPROTO_TCP, NULL, &x->lst), NS_OK);
	if (o->setup)
		o->setup(x->lst, true, o->ctx);
	assert_int_equal(ns_ep_bind(x->lst, &any), NS_OK);
	assert_int_equal(ns_ep_listen(x->lst, 8), NS_OK);
	assert_int_equal(ns_ep_new(w->a.s, NS_AF_INET, NS_IPPROTO_TCP, NULL, &x->cli), NS_OK);
	if (o->setup)
		o->setup(x->cli, false, o->ctx);
	assert_int_equal(ns_ep_connect(x->cli, &to), NS_ERR_CONNECT_STARTED);

	while (!x->srv_eof) {
		bool moved = ts_pump(w) > 0;
		bool did = app_step(w);

		if (o->each)
			o->each(x, o->ctx);
		if (!did && !moved)
			ts_step_time(w);
		if (w->clock.now - w->t0 > o->time_limit)
			fail_msg("%s stalled: %u sent, %u received", o->name ? o->name : "transfer",
			         x->sent, x->rcvd);
	}
	assert_int_equal(x->rcvd, o->bytes);
}

uint64_t ts_vtime(const struct ts_world *w)
{
	return w->clock.now - w->t0;
}

uint32_t ts_retrans(const struct ts_world *w)
{
	return tt_ep(w->x.cli)->total_retrans;
}

void ts_free(struct ts_world *w)
{
	/* Both close; run until every connection is gone (TIME_WAIT on the client). */
	if (w->x.srv)
		ns_ep_close(w->x.srv);
	if (w->x.cli)
		ns_ep_close(w->x.cli);
	if (w->x.lst)
		ns_ep_close(w->x.lst);
	while (ns_stack_endpoints_live(w->a.s) || ns_stack_endpoints_live(w->b.s)) {
		if (!ts_pump(w))
			ts_step_time(w);
		if (w->clock.now - w->t0 > 2 * w->o.time_limit) {
			if (w->o.name)
				fail_msg("%s: connections never finished closing", w->o.name);
			else
				fail_msg("connections never finished closing");
		}
	}
	ts_pump(w);
	ns_stack_free(w->a.s);
	ns_stack_free(w->b.s);
	ns_link_destroy(w->a.im);
	ns_link_destroy(w->b.im);
	assert_int_equal(ns_pkt_live(), w->pkts0);
	free(w);
}
