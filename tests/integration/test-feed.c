/* The change feed is lossless end to end: a subscriber too slow for pub/sub misses
 * messages and catches up by seq; a subscriber that goes away resumes from its last seq;
 * `mnemo watch`, stopped while changes pour in, prints every one of them once, in order. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "check.h"
#include "harness.h"

enum { MAX_SEQ = 4096 };

static char base[128], front_url[64], pub_url[64];

static int
add_units(int n, const char *tag)
{
	int ok = 0;

	for (int i = 0; i < n; i++) {
		char fr[128], en[128], url[256];
		struct h_reply r;

		snprintf(fr, sizeof(fr), "Le bulletin %s numéro %d est paru ce matin.", tag, i);
		snprintf(en, sizeof(en), "Bulletin %s number %d came out this morning.", tag, i);
		snprintf(url, sizeof(url), "%s/v1/units", base);
		h_http_json("POST", url, json_pack("{s:{s:s, s:s}}", "variants", "fr", fr, "en", en),
			    &r);
		ok += r.status == 201;
		h_reply_free(&r);
	}
	return ok;
}

static uint64_t
last_seq(void)
{
	char url[256];
	struct h_reply r;
	uint64_t seq;

	snprintf(url, sizeof(url), "%s/v1/updates?since=0&max=1", base);
	h_http("GET", url, NULL, NULL, 0, &r);
	seq = (uint64_t)json_integer_value(json_object_get(r.json, "last_seq"));
	h_reply_free(&r);
	return seq;
}

/* ---- a subscriber built on the library's feed, fetching what it missed over nng ---------- */

struct subscriber {
	unsigned char seen[MAX_SEQ]; /* times each seq was applied */
	uint64_t order_errors;
	uint64_t last;
	unsigned apply_delay_ms;
};

static int
sub_fetch(void *arg, uint64_t since, struct mnemo_arena *arena, Mnemo__UpdatesReply **ret)
{
	Mnemo__Envelope req, *reply;
	Mnemo__UpdatesRequest ur;
	int r;

	(void)arg;
	mnemo_msg_envelope_init(&req, mnemo_msg_new_request_id());
	mnemo__updates_request__init(&ur);
	ur.since = since;
	req.body_case = MNEMO__ENVELOPE__BODY_UPDATES_REQUEST;
	req.updates_request = &ur;
	r = h_nng_call(front_url, &req, arena, &reply, 10000);
	if (r == 0 && reply->body_case != MNEMO__ENVELOPE__BODY_UPDATES_REPLY) {
		r = -EPROTO;
	}
	if (r == 0) {
		*ret = reply->updates_reply;
	}
	return r;
}

static int
sub_apply(void *arg, const Mnemo__Update *u)
{
	struct subscriber *s = arg;

	if (u->seq < MAX_SEQ) {
		s->seen[u->seq]++;
	}
	if (u->seq != s->last + 1) {
		s->order_errors++;
	}
	s->last = u->seq;
	if (s->apply_delay_ms > 0) {
		h_sleep_ms(s->apply_delay_ms); /* a slow reader: pub/sub drops behind it */
	}
	return 0;
}

/* Subscribes with an 8-message buffer: with the gateway's pub_queue at 8 too, a slow
 * reader is sure to miss changes. */
static int
start_feed(uint64_t from, const struct mnemo_feed_ops *ops, struct subscriber *s,
	   struct mnemo_feed **ret)
{
	struct mnemo_feed_config cfg = {.sub_url = pub_url, .from_seq = from, .queue_len = 8,
					.lim = mnemo_msg_internal_limits};

	return mnemo_feed_start(&cfg, ops, s, ret);
}

static int
wait_seq(struct mnemo_feed *feed, uint64_t seq, unsigned timeout_ms)
{
	uint64_t deadline = mnemo_clock_ms() + timeout_ms;

	while (mnemo_feed_last_seq(feed) < seq && mnemo_clock_ms() < deadline) {
		h_sleep_ms(20);
	}
	return mnemo_feed_last_seq(feed) >= seq ? 0 : -ETIMEDOUT;
}

static void
check_once_in_order(const struct subscriber *s, uint64_t from, uint64_t to)
{
	int missing = 0, repeated = 0;

	for (uint64_t q = from; q <= to && q < MAX_SEQ; q++) {
		missing += s->seen[q] == 0;
		repeated += s->seen[q] > 1;
	}
	CHECK_INT(missing, 0);
	CHECK_INT(repeated, 0);
	CHECK_INT(s->order_errors, 0);
}

static void
test_slow_subscriber(void)
{
	static const struct mnemo_feed_ops ops = {sub_fetch, sub_apply};
	static struct subscriber s;
	struct mnemo_feed *feed;
	uint64_t start = last_seq(), end;
	const struct mnemo_feed_stats *st;

	memset(&s, 0, sizeof(s));
	s.last = start;
	s.apply_delay_ms = 20;
	CHECK_INT(start_feed(start, &ops, &s, &feed), 0);
	h_sleep_ms(300); /* let the subscription reach the publisher */
	CHECK_INT(add_units(300, "lent"), 300);
	end = last_seq();
	CHECK_INT(end, start + 300);
	CHECK_INT(wait_seq(feed, end, 30000), 0);
	st = mnemo_feed_stats(feed);
	/* The gateway queues 8 changes per subscriber (pub_queue = 8): this reader lost
	 * messages, noticed, and fetched them. */
	CHECK_MSG(atomic_load(&st->gaps) > 0, "no gap: the test did not make pub/sub drop");
	fprintf(stderr, "slow subscriber: %llu applied, %llu gaps, %llu catch-ups\n",
		(unsigned long long)atomic_load(&st->applied),
		(unsigned long long)atomic_load(&st->gaps),
		(unsigned long long)atomic_load(&st->catch_ups));
	mnemo_feed_stop(feed);
	check_once_in_order(&s, start + 1, end);
}

static void
test_resuming_subscriber(void)
{
	static const struct mnemo_feed_ops ops = {sub_fetch, sub_apply};
	static struct subscriber s;
	struct mnemo_feed *feed;
	uint64_t start = last_seq(), mid, end;

	memset(&s, 0, sizeof(s));
	s.last = start;
	CHECK_INT(start_feed(start, &ops, &s, &feed), 0);
	h_sleep_ms(200);
	CHECK_INT(add_units(20, "avant"), 20);
	mid = last_seq();
	CHECK_INT(wait_seq(feed, mid, 10000), 0);
	mnemo_feed_stop(feed); /* the subscriber goes away... */
	CHECK_INT(add_units(50, "pendant"), 50);
	end = last_seq();
	/* ...and comes back from the last seq it applied. */
	CHECK_INT(start_feed(s.last, &ops, &s, &feed), 0);
	CHECK_INT(wait_seq(feed, end, 10000), 0);
	mnemo_feed_stop(feed);
	check_once_in_order(&s, start + 1, end);
}

/* ---- mnemo watch, stopped while changes pour in ---------------------------------------- */

static int
count_watch_lines(const char *path, uint64_t from, uint64_t *ret_errors)
{
	FILE *f = fopen(path, "r");
	char line[8192];
	uint64_t expect = from + 1;
	int n = 0;

	*ret_errors = 0;
	if (f == NULL) {
		return 0;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		json_t *u;

		if (line[0] != '{') {
			continue; /* log lines */
		}
		u = json_loads(line, 0, NULL);
		if ((uint64_t)json_integer_value(json_object_get(u, "seq")) != expect) {
			(*ret_errors)++;
		}
		expect++;
		n++;
		json_decref(u);
	}
	fclose(f);
	return n;
}

static void
test_watch(struct harness *h)
{
	char path[512], since[32];
	uint64_t start = last_seq(), errors = 0, deadline;
	const char *args[] = {"watch", "--url", base, "--since", since, NULL};
	pid_t pid;
	int n = 0;

	snprintf(since, sizeof(since), "%llu", (unsigned long long)start);
	pid = h_spawn(h, "watch", args);
	h_sleep_ms(500);
	kill(pid, SIGSTOP);
	CHECK_INT(add_units(200, "arrêté"), 200);
	kill(pid, SIGCONT);
	h_path(h, "watch.log", path, sizeof(path));
	deadline = mnemo_clock_ms() + 30000;
	while (mnemo_clock_ms() < deadline && (n = count_watch_lines(path, start, &errors)) < 200) {
		h_sleep_ms(100);
	}
	CHECK_INT(n, 200);
	CHECK_INT(errors, 0);
	h_signal(h, pid, SIGTERM);
}

int
main(int argc, char **argv)
{
	const char *const extra[] = {"--set", "gateway.pub_queue=8", NULL};
	struct harness h;
	pid_t pid;

	h_init(&h, argc, argv, 240);
	pid = h_serve_all(&h, base, sizeof(base), front_url, pub_url, extra);
	CHECK(pid > 0);
	if (pid > 0) {
		test_slow_subscriber();
		test_resuming_subscriber();
		test_watch(&h);
		CHECK_INT(waitpid(pid, NULL, WNOHANG), 0);
	}
	CHECK_INT(h_cleanup(&h, check_failures), 0);
	return check_exit();
}
