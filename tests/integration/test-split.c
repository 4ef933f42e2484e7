/* One service per process over ipc://: workers that dial in share the requests; a worker
 * killed with SIGKILL mid-request costs nothing (nng's REQ resends to another); under
 * `mnemo supervise` a killed worker, aligner or store is restarted, and writes that were
 * retried with their request_id are stored exactly once. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "check.h"
#include "harness.h"

static char run_dir[512], base[128];

static const char *
url(const char *path)
{
	static __thread char buf[512];

	snprintf(buf, sizeof(buf), "%s%s", base, path);
	return buf;
}

static int
count_in_file(const char *path, const char *needle)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	int n = 0;

	if (f == NULL) {
		return 0;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		n += strstr(line, needle) != NULL;
	}
	fclose(f);
	return n;
}

static pid_t
spawn_service(struct harness *h, const char *name, const char *service, const char *const *extra)
{
	const char *args[32] = {"serve", service, "--run-dir", run_dir, "--log-level", "debug"};
	int n = 6;

	for (int i = 0; extra != NULL && extra[i] != NULL && n < 31; i++) {
		args[n++] = extra[i];
	}
	args[n] = NULL;
	return h_spawn(h, name, args);
}

struct segment_call {
	const char *text;
	struct h_reply reply;
	uint64_t took_ms;
};

static void *
segment_in_thread(void *arg)
{
	struct segment_call *c = arg;
	uint64_t started = mnemo_clock_ms();

	h_http_json("POST", url("/v1/segment"), json_pack("{s:s}", "text", c->text), &c->reply);
	c->took_ms = mnemo_clock_ms() - started;
	return NULL;
}

/* With no segmenter at all, a request fails soon and says why. */
static void
test_no_worker(void)
{
	struct h_reply r;
	uint64_t started;

	CHECK_INT(h_wait_healthy(base, 0, 1, 20000), 0);
	started = mnemo_clock_ms();
	h_http_json("POST", url("/v1/segment"), json_pack("{s:s}", "text", "Bonjour."), &r);
	CHECK_INT(r.status, 503);
	CHECK_STR(h_error_code(&r), "unavailable");
	CHECK(mnemo_clock_ms() - started < 10000);
	h_reply_free(&r);
}

/* A segmenter dies holding a request; the request is answered by the other one. */
static void
test_worker_killed(struct harness *h)
{
	const char *slow[] = {"--threads", "1", "--set", "segmenter.delay_ms=8000", NULL};
	struct segment_call call = {.text = "Les combats ont cessé. Les discussions reprennent."};
	char log_a[512];
	uint64_t deadline;
	pid_t a;
	pthread_t t;

	a = spawn_service(h, "segmenter-a", "segmenter", slow);
	CHECK_INT(h_wait_healthy(base, 1, 1, 20000), 0);
	pthread_create(&t, NULL, segment_in_thread, &call);
	/* Wait until A holds the request, then bring B in and kill A. */
	h_path(h, "segmenter-a.log", log_a, sizeof(log_a));
	deadline = mnemo_clock_ms() + 10000;
	while (count_in_file(log_a, "received") == 0 && mnemo_clock_ms() < deadline) {
		h_sleep_ms(20);
	}
	CHECK_INT(count_in_file(log_a, "received"), 1);
	spawn_service(h, "segmenter-b", "segmenter", NULL);
	CHECK_INT(h_wait_healthy(base, 2, 1, 20000), 0);
	h_signal(h, a, SIGKILL);
	pthread_join(t, NULL);
	CHECK_INT(call.reply.status, 200);
	CHECK_INT(json_array_size(json_object_get(call.reply.json, "segments")), 2);
	CHECK_MSG(call.took_ms < 7000, "answered after %llu ms: by the killed worker?",
		  (unsigned long long)call.took_ms);
	h_reply_free(&call.reply);
	CHECK_INT(h_wait_healthy(base, 1, 1, 5000), 0);
}

/* Every segmenter that dials in takes a share of the requests. */
static void
test_share(struct harness *h)
{
	char log_b[512], log_c[512];
	int before_b;

	spawn_service(h, "segmenter-c", "segmenter", NULL);
	CHECK_INT(h_wait_healthy(base, 2, 1, 20000), 0);
	h_path(h, "segmenter-b.log", log_b, sizeof(log_b));
	h_path(h, "segmenter-c.log", log_c, sizeof(log_c));
	before_b = count_in_file(log_b, "received");
	for (int i = 0; i < 40; i++) {
		struct h_reply r;

		h_http_json("POST", url("/v1/segment"), json_pack("{s:s}", "text", "Un. Deux."), &r);
		CHECK_INT(r.status, 200);
		h_reply_free(&r);
	}
	CHECK_MSG(count_in_file(log_b, "received") > before_b, "segmenter-b got none");
	CHECK_MSG(count_in_file(log_c, "received") > 0, "segmenter-c got none");
}

static void
test_split(struct harness *h)
{
	char http[64], nng[64], pub[64], db[512];
	const char *gw_args[] = {"--http", http, "--nng", nng, "--pub", pub, NULL};
	const char *store_args[] = {"--db", db, NULL};

	snprintf(http, sizeof(http), "127.0.0.1:%d", h_free_port());
	snprintf(nng, sizeof(nng), "tcp://127.0.0.1:%d", h_free_port());
	snprintf(pub, sizeof(pub), "tcp://127.0.0.1:%d", h_free_port());
	snprintf(base, sizeof(base), "http://%s", http);
	h_path(h, "split.db", db, sizeof(db));
	h_path(h, "run", run_dir, sizeof(run_dir));
	mkdir(run_dir, 0755);
	spawn_service(h, "store", "store", store_args);
	spawn_service(h, "gateway", "gateway", gw_args);
	spawn_service(h, "aligner", "aligner", NULL);
	test_no_worker();
	test_worker_killed(h);
	test_share(h);
}

/* ---- under mnemo supervise --------------------------------------------------------------- */

static pid_t
read_pid(const char *name)
{
	char path[600];
	FILE *f;
	int pid = 0;

	snprintf(path, sizeof(path), "%s/%s.pid", run_dir, name);
	f = fopen(path, "r");
	if (f != NULL) {
		if (fscanf(f, "%d", &pid) != 1) {
			pid = 0;
		}
		fclose(f);
	}
	return (pid_t)pid;
}

/* Waits for the supervisor to replace a killed process. */
static pid_t
kill_and_wait_restart(const char *name)
{
	pid_t old = read_pid(name), now = old;
	uint64_t deadline = mnemo_clock_ms() + 15000;

	CHECK_MSG(old > 0, "no pid file for %s", name);
	kill(old, SIGKILL);
	while ((now = read_pid(name)) == old && mnemo_clock_ms() < deadline) {
		h_sleep_ms(50);
	}
	CHECK_MSG(now != old && now > 0 && kill(now, 0) == 0, "%s was not restarted", name);
	return now;
}

struct ledger {
	int n;
	int acked;
	int attempts;
	json_int_t units[64];
};

/* Adds n units, each retried with its request_id until acknowledged (bounded). */
static void *
write_with_retries(void *arg)
{
	struct ledger *l = arg;

	for (int i = 0; i < l->n; i++) {
		char key[64], fr[128], en[128];

		snprintf(key, sizeof(key), "test-split-%d", i);
		snprintf(fr, sizeof(fr), "Dépêche numéro %d : le cessez-le-feu tient.", i);
		snprintf(en, sizeof(en), "Dispatch number %d: the ceasefire holds.", i);
		for (int attempt = 0; attempt < 40; attempt++) {
			struct h_reply r;

			l->attempts++;
			h_http_json("POST", url("/v1/units"),
				    json_pack("{s:{s:s, s:s}, s:s}", "variants", "fr", fr, "en", en,
					      "request_id", key),
				    &r);
			if (r.status == 201) {
				l->units[i] = json_integer_value(json_object_get(r.json, "unit"));
				l->acked++;
				h_reply_free(&r);
				break;
			}
			h_reply_free(&r);
			h_sleep_ms(250);
		}
		h_sleep_ms(20);
	}
	return NULL;
}

static void
test_supervise(struct harness *h)
{
	char http[64], nng[64], pub[64], db[512];
	const char *args[] = {"supervise", "--run-dir", run_dir, "--segmenters", "2", "--aligners", "1",
			      "--db", db, "--http", http, "--nng", nng, "--pub", pub, NULL};
	struct ledger ledger = {.n = 40};
	struct h_reply r;
	pthread_t t;
	int distinct = 1;

	snprintf(http, sizeof(http), "127.0.0.1:%d", h_free_port());
	snprintf(nng, sizeof(nng), "tcp://127.0.0.1:%d", h_free_port());
	snprintf(pub, sizeof(pub), "tcp://127.0.0.1:%d", h_free_port());
	snprintf(base, sizeof(base), "http://%s", http);
	h_path(h, "supervised.db", db, sizeof(db));
	h_path(h, "srun", run_dir, sizeof(run_dir));
	h_spawn(h, "supervise", args);
	CHECK_INT(h_wait_healthy(base, 2, 1, 20000), 0);

	kill_and_wait_restart("segmenter-0");
	CHECK_INT(h_wait_healthy(base, 2, 1, 15000), 0);

	/* Writes go on while the store is killed and restarted: each is acknowledged once
	 * the store is back, and stored exactly once however often it was retried. */
	pthread_create(&t, NULL, write_with_retries, &ledger);
	h_sleep_ms(300);
	kill_and_wait_restart("store");
	pthread_join(t, NULL);
	CHECK_INT(ledger.acked, ledger.n);
	for (int i = 0; i < ledger.n; i++) {
		for (int k = 0; k < i; k++) {
			distinct &= ledger.units[i] != ledger.units[k];
		}
	}
	CHECK(distinct);
	h_http("GET", url("/v1/updates?since=0"), NULL, NULL, 0, &r);
	CHECK_INT(json_array_size(json_object_get(r.json, "updates")), ledger.n);
	h_reply_free(&r);

	/* A restarted aligner loads the memory again from the store. */
	kill_and_wait_restart("aligner-0");
	CHECK_INT(h_wait_healthy(base, 2, 1, 15000), 0);
	h_http_json("POST", url("/v1/lookup"),
		    json_pack("{s:s, s:s, s:s}", "text", "Dépêche numéro 7 : le cessez-le-feu tient.",
			      "source", "fr", "target", "en"),
		    &r);
	CHECK_INT(r.status, 200);
	CHECK_INT(json_integer_value(json_object_get(
			  json_array_get(json_object_get(json_array_get(json_object_get(r.json, "results"), 0),
							 "matches"),
					 0),
			  "unit")),
		  ledger.units[7]);
	h_reply_free(&r);
	fprintf(stderr, "supervise: %d writes acknowledged after %d attempts\n", ledger.acked,
		ledger.attempts);
}

int
main(int argc, char **argv)
{
	struct harness h;

	h_init(&h, argc, argv, 240);
	test_split(&h);
	test_supervise(&h);
	CHECK_INT(h_cleanup(&h, check_failures), 0);
	return check_exit();
}
