/* The HTTP API end to end on a real `mnemo serve all`: segmenting, units, lookups, the
 * change feed, idempotency, limits, and every bad-input case in tests/cases/. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cases.h"
#include "check.h"
#include "harness.h"

static char base[128];

static const char *
url(const char *path)
{
	static __thread char buf[512];

	snprintf(buf, sizeof(buf), "%s%s", base, path);
	return buf;
}

static json_int_t
add_unit(const char *fr, const char *en, const char *request_id, json_int_t *ret_seq)
{
	struct h_reply r;
	json_t *body = json_pack("{s:{s:s, s:s}}", "variants", "fr", fr, "en", en);
	json_int_t id;

	if (request_id != NULL) {
		json_object_set_new(body, "request_id", json_string(request_id));
	}
	h_http_json("POST", url("/v1/units"), body, &r);
	CHECK_MSG(r.status == 201, "add: %d %s", r.status, r.body ? r.body : "");
	id = json_integer_value(json_object_get(r.json, "unit"));
	if (ret_seq != NULL) {
		*ret_seq = json_integer_value(json_object_get(r.json, "seq"));
	}
	h_reply_free(&r);
	return id;
}

static void
test_segment(void)
{
	const char *text = "Le cessez-le-feu tient toujours. Selon M. Pachinian, « les pourparlers "
			   "continuent ».\nPUBLICITÉ\n\nDes tirs ont été entendus vendredi.";
	struct h_reply r;
	json_t *segs;
	size_t i;
	json_t *s;

	h_http_json("POST", url("/v1/segment"), json_pack("{s:s}", "text", text), &r);
	CHECK_INT(r.status, 200);
	segs = json_object_get(r.json, "segments");
	CHECK_INT(json_array_size(segs), 4);
	json_array_foreach(segs, i, s) {
		json_int_t start = json_integer_value(json_object_get(s, "start"));
		json_int_t end = json_integer_value(json_object_get(s, "end"));
		const char *seg = json_string_value(json_object_get(s, "text"));

		/* offsets are bytes of the input, and the text is exactly that slice */
		CHECK(seg != NULL && end > start && (size_t)end <= strlen(text) &&
		      strlen(seg) == (size_t)(end - start) &&
		      memcmp(text + start, seg, strlen(seg)) == 0);
	}
	CHECK_STR(json_string_value(json_object_get(json_array_get(segs, 2), "kind")),
		  "boilerplate");
	CHECK_INT(json_integer_value(json_object_get(json_array_get(segs, 3), "paragraph")), 2);
	h_reply_free(&r);
}

static void
test_units(void)
{
	struct h_reply r;
	json_int_t seq1, seq2, id;
	char path[64];

	id = add_unit("Le chat dort sur le canapé.", "The cat is sleeping on the sofa.", NULL,
		      &seq1);
	CHECK(id > 0 && seq1 > 0);
	snprintf(path, sizeof(path), "/v1/units/%lld", (long long)id);

	h_http("GET", url(path), NULL, NULL, 0, &r);
	CHECK_INT(r.status, 200);
	CHECK_STR(json_string_value(json_object_get(json_object_get(r.json, "variants"), "fr")),
		  "Le chat dort sur le canapé.");
	CHECK_INT(json_integer_value(json_object_get(r.json, "seq")), seq1);
	h_reply_free(&r);

	/* Tags are stored canonical: FR-ca is fr-CA. */
	h_http_json("PUT", url(path),
		    json_pack("{s:{s:s, s:s}, s:{s:s}}", "variants", "FR-ca",
			      "Le chat dort sur le divan.", "en", "The cat is sleeping on the couch.",
			      "meta", "origin", "test-api"),
		    &r);
	CHECK_INT(r.status, 200);
	seq2 = json_integer_value(json_object_get(r.json, "seq"));
	CHECK(seq2 > seq1);
	h_reply_free(&r);
	h_http("GET", url(path), NULL, NULL, 0, &r);
	CHECK_STR(json_string_value(json_object_get(json_object_get(r.json, "variants"), "fr-CA")),
		  "Le chat dort sur le divan.");
	CHECK_STR(json_string_value(json_object_get(json_object_get(r.json, "meta"), "origin")),
		  "test-api");
	h_reply_free(&r);

	h_http("DELETE", url(path), NULL, NULL, 0, &r);
	CHECK_INT(r.status, 200);
	CHECK(json_integer_value(json_object_get(r.json, "seq")) > seq2);
	h_reply_free(&r);
	h_http("GET", url(path), NULL, NULL, 0, &r);
	CHECK_INT(r.status, 404);
	CHECK_STR(h_error_code(&r), "not_found");
	h_reply_free(&r);
}

static json_int_t
last_seq(void)
{
	struct h_reply r;
	json_int_t seq;

	h_http("GET", url("/v1/updates?since=0&max=1"), NULL, NULL, 0, &r);
	seq = json_integer_value(json_object_get(r.json, "last_seq"));
	h_reply_free(&r);
	return seq;
}

static void
test_idempotency(void)
{
	json_int_t seq_a, seq_b, before, id_a, id_b;
	struct h_reply r;

	before = last_seq();
	id_a = add_unit("Le train part à 8 h.", "The train leaves at 8.", "test-api-k1", &seq_a);
	id_b = add_unit("Le train part à 8 h.", "The train leaves at 8.", "test-api-k1", &seq_b);
	/* The retry gets the first answer; nothing is written twice. */
	CHECK_INT(id_a, id_b);
	CHECK_INT(seq_a, seq_b);
	CHECK_INT(last_seq(), before + 1);

	h_http_json("POST", url("/v1/units"),
		    json_pack("{s:{s:s, s:s}, s:s}", "variants", "fr", "Autre chose.", "en",
			      "Something else.", "request_id", "test-api-k1"),
		    &r);
	CHECK_INT(r.status, 409);
	CHECK_STR(h_error_code(&r), "conflict");
	h_reply_free(&r);
	CHECK_INT(last_seq(), before + 1);
}

static void
test_lookup(void)
{
	const char *fr = "Les négociations reprendront lundi à Genève.";
	json_int_t id, gone;
	struct h_reply r;
	json_t *matches;
	char path[64];

	/* Read your writes: the lookup right after the add finds it. */
	id = add_unit(fr, "Negotiations will resume on Monday in Geneva.", NULL, NULL);
	gone = add_unit("Les négociations reprendront mardi à Genève.",
			"Negotiations will resume on Tuesday in Geneva.", NULL, NULL);
	snprintf(path, sizeof(path), "/v1/units/%lld", (long long)gone);
	h_http("DELETE", url(path), NULL, NULL, 0, &r);
	CHECK_INT(r.status, 200);
	h_reply_free(&r);

	h_http_json("POST", url("/v1/lookup"),
		    json_pack("{s:s, s:s, s:s}", "text",
			      "Les négociations reprendront lundi à Genève. Un tout autre sujet ici.",
			      "source", "fr", "target", "en"),
		    &r);
	CHECK_INT(r.status, 200);
	CHECK_INT(json_array_size(json_object_get(r.json, "results")), 2);
	matches = json_object_get(json_array_get(json_object_get(r.json, "results"), 0), "matches");
	CHECK_MSG(json_array_size(matches) == 1, "%s", r.body);
	CHECK_INT(json_integer_value(json_object_get(json_array_get(matches, 0), "unit")), id);
	CHECK_INT(json_integer_value(json_object_get(json_array_get(matches, 0), "score")), 100);
	CHECK_STR(json_string_value(json_object_get(json_array_get(matches, 0), "kind")), "exact");
	CHECK_STR(json_string_value(json_object_get(json_array_get(matches, 0), "target")),
		  "Negotiations will resume on Monday in Geneva.");
	h_reply_free(&r);

	/* A fuzzy match, and the deleted unit never comes back. */
	h_http_json("POST", url("/v1/lookup"),
		    json_pack("{s:[s], s:s, s:s, s:i}", "segments",
			      "Les négociations reprendront jeudi à Genève.", "source", "fr",
			      "target", "en", "min_score", 60),
		    &r);
	CHECK_INT(r.status, 200);
	matches = json_object_get(json_array_get(json_object_get(r.json, "results"), 0), "matches");
	CHECK_MSG(json_array_size(matches) == 1, "%s", r.body);
	CHECK_INT(json_integer_value(json_object_get(json_array_get(matches, 0), "unit")), id);
	CHECK(json_integer_value(json_object_get(json_array_get(matches, 0), "score")) < 100);
	CHECK(json_integer_value(json_object_get(json_array_get(matches, 0), "score")) >= 60);
	CHECK_STR(json_string_value(json_object_get(json_array_get(matches, 0), "kind")), "fuzzy");
	h_reply_free(&r);

	/* Another number: 99, the "numbers" penalty, and the segment's number proposed. */
	add_unit("Supprimer 3 fichiers ?", "Delete 3 files?", NULL, NULL);
	h_http_json("POST", url("/v1/lookup"),
		    json_pack("{s:[s], s:s, s:s}", "segments", "Supprimer 12 fichiers ?", "source",
			      "fr", "target", "en"),
		    &r);
	matches = json_object_get(json_array_get(json_object_get(r.json, "results"), 0), "matches");
	CHECK_MSG(json_array_size(matches) == 1, "%s", r.body);
	CHECK_INT(json_integer_value(json_object_get(json_array_get(matches, 0), "score")), 99);
	CHECK_STR(json_string_value(json_object_get(json_array_get(matches, 0), "proposal")),
		  "Delete 12 files?");
	CHECK_STR(json_string_value(json_array_get(
			  json_object_get(json_array_get(matches, 0), "penalties"), 0)),
		  "numbers");
	h_reply_free(&r);

	/* min_score 101 asks for matches in context; units added here have none stored. */
	h_http_json("POST", url("/v1/lookup"),
		    json_pack("{s:[s], s:s, s:s, s:i, s:s}", "segments", fr, "source", "fr",
			      "target", "en", "min_score", 101, "prev", "Un titre."),
		    &r);
	CHECK_INT(r.status, 200);
	matches = json_object_get(json_array_get(json_object_get(r.json, "results"), 0), "matches");
	CHECK_MSG(json_array_size(matches) == 0, "%s", r.body);
	h_reply_free(&r);
}

static void
test_updates(void)
{
	struct h_reply r;
	json_t *updates, *u;
	json_int_t prev = 0;
	size_t i;

	h_http("GET", url("/v1/updates?since=0"), NULL, NULL, 0, &r);
	CHECK_INT(r.status, 200);
	updates = json_object_get(r.json, "updates");
	CHECK(json_array_size(updates) >= 5);
	json_array_foreach(updates, i, u) {
		json_int_t seq = json_integer_value(json_object_get(u, "seq"));

		CHECK_INT(seq, prev + 1); /* every change, once, in order */
		prev = seq;
	}
	CHECK_INT(json_integer_value(json_object_get(r.json, "last_seq")), prev);
	CHECK_STR(json_string_value(json_object_get(json_array_get(updates, 0), "op")), "add");
	h_reply_free(&r);
}

static void *
long_poll(void *arg)
{
	struct h_reply *r = arg;
	char path[128];

	snprintf(path, sizeof(path), "/v1/updates?since=%lld&wait_ms=10000", (long long)last_seq());
	h_http("GET", url(path), NULL, NULL, 0, r);
	return NULL;
}

static void
test_long_poll(void)
{
	struct h_reply r;
	pthread_t t;
	uint64_t started = mnemo_clock_ms();

	pthread_create(&t, NULL, long_poll, &r);
	h_sleep_ms(300);
	add_unit("Il pleut à Lyon.", "It is raining in Lyon.", NULL, NULL);
	pthread_join(t, NULL);
	CHECK_INT(r.status, 200);
	CHECK_INT(json_array_size(json_object_get(r.json, "updates")), 1);
	CHECK_MSG(mnemo_clock_ms() - started < 5000, "the long poll waited %llu ms",
		  (unsigned long long)(mnemo_clock_ms() - started));
	h_reply_free(&r);
}

static void
test_limits(void)
{
	size_t big = 5u << 20, deep = 10000;
	char *body = malloc(big + 64), *nested = malloc(2 * deep + 16);
	struct h_reply r;

	/* A body over max_body_bytes (4 MiB): 413, before it is read. */
	memset(body, 'a', big + 63);
	memcpy(body, "{\"text\":\"", 9);
	memcpy(body + big + 60, "\"}", 3);
	h_http("POST", url("/v1/segment"), "application/json", body, strlen(body), &r);
	CHECK_INT(r.status, 413);
	CHECK_STR(h_error_code(&r), "too_large");
	h_reply_free(&r);

	/* 10^4 levels of nesting: refused quickly with a reason. */
	for (size_t i = 0; i < deep; i++) {
		nested[i] = '[';
		nested[deep + i] = ']';
	}
	memcpy(nested, "{\"text\":", 8);
	nested[2 * deep] = '}';
	nested[2 * deep + 1] = '\0';
	h_http("POST", url("/v1/segment"), "application/json", nested, (size_t)-1, &r);
	CHECK_INT(r.status, 400);
	CHECK_STR(h_error_code(&r), "invalid_json");
	h_reply_free(&r);

	/* A 1 MiB "sentence" without punctuation segments in bounded time. */
	memset(body, 'a', 1u << 20);
	for (size_t i = 0; i < (1u << 20); i += 8) {
		body[i] = ' ';
	}
	memcpy(body, "{\"text\":\"", 9);
	memcpy(body + (1u << 20), "\"}", 3);
	h_http("POST", url("/v1/segment"), "application/json", body, (size_t)-1, &r);
	CHECK_INT(r.status, 200);
	CHECK_INT(json_array_size(json_object_get(r.json, "segments")), 1);
	h_reply_free(&r);

	/* A million one-word sentences, raw text within the 4 MiB body limit. */
	for (size_t i = 0; i < 1000000; i++) {
		memcpy(body + 4 * i, "Va! ", 4);
	}
	h_http("POST", url("/v1/segment?lang=fr"), "text/plain", body, 4000000, &r);
	CHECK_INT(r.status, 200);
	CHECK_INT(json_array_size(json_object_get(r.json, "segments")), 1000000);
	h_reply_free(&r);

	/* HTML nested 100,000 deep: refused, quickly, with the reason. */
	{
		char *p = body;

		for (size_t i = 0; i < 100000; i++) {
			p = stpcpy(p, "<div>");
		}
		p = stpcpy(p, "Bonjour.");
		for (size_t i = 0; i < 100000; i++) {
			p = stpcpy(p, "</div>");
		}
		h_http("POST", url("/v1/segment"), "text/html", body, (size_t)(p - body), &r);
		CHECK_INT(r.status, 400);
		CHECK_STR(h_error_code(&r), "invalid_value");
		CHECK(r.body != NULL && strstr(r.body, "nested more than 512 deep") != NULL);
		h_reply_free(&r);
	}
	free(body);
	free(nested);
}

/* Raw HTTP that no well-behaved client sends; returns the status line's code. */
static int
raw_http(const char *request, size_t len)
{
	const char *port = strrchr(base, ':') + 1;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct timeval tv = {5, 0};
	char reply[64] = "";
	int fd = socket(AF_INET, SOCK_STREAM, 0), status = 0;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    send(fd, request, len, MSG_NOSIGNAL) == (ssize_t)len &&
	    recv(fd, reply, sizeof(reply) - 1, MSG_WAITALL) > 12) {
		sscanf(reply, "HTTP/1.1 %d", &status);
	}
	close(fd);
	return status;
}

static void
test_raw_http(void)
{
	static const char no_host[] = "GET /healthz HTTP/1.1\r\n\r\n";
	static const char h2[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
	static const char smuggle[] = "POST /v1/segment HTTP/1.1\r\nHost: x\r\n"
				      "Content-Type: application/json\r\nContent-Length: 5\r\n"
				      "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
	static const char chunked[] = "POST /v1/segment HTTP/1.1\r\nHost: x\r\n"
				      "Content-Type: application/json\r\nConnection: close\r\n"
				      "Transfer-Encoding: chunked\r\n\r\n"
				      "b\r\n{\"text\":\"Un\r\n9\r\n. Deux.\"}\r\n0\r\n\r\n";
	static const char expect[] = "POST /v1/segment HTTP/1.1\r\nHost: x\r\n"
				     "Content-Type: application/json\r\nContent-Length: 5000000\r\n"
				     "Expect: 100-continue\r\n\r\n";
	size_t n = 20000 * 8 + 64;
	char *many = malloc(n);
	size_t len = (size_t)snprintf(many, n, "GET /healthz HTTP/1.1\r\nHost: x\r\n");

	for (int i = 0; i < 20000; i++) {
		memcpy(many + len, "X-A: b\r\n", 8);
		len += 8;
	}
	memcpy(many + len, "\r\n", 2);
	len += 2;
	CHECK_INT(raw_http(many, len), 431);
	CHECK_INT(raw_http(no_host, sizeof(no_host) - 1), 400);
	CHECK_INT(raw_http(h2, sizeof(h2) - 1), 505);
	CHECK_INT(raw_http(smuggle, sizeof(smuggle) - 1), 400);
	CHECK_INT(raw_http(chunked, sizeof(chunked) - 1), 200); /* chunked bodies are read whole */
	/* Too large, announced with Expect: answered before the body is sent. */
	CHECK_INT(raw_http(expect, sizeof(expect) - 1), 413);
	/* Too large and chunked: read, dropped, then answered. */
	{
		size_t size = 5u << 20;
		char *big = malloc(size + 256);
		int head = snprintf(big, 256, "POST /v1/segment HTTP/1.1\r\nHost: x\r\n"
					      "Content-Type: application/json\r\n"
					      "Transfer-Encoding: chunked\r\n\r\n%zx\r\n",
				    size);

		memset(big + head, 'a', size);
		memcpy(big + head + size, "\r\n0\r\n\r\n", 7);
		CHECK_INT(raw_http(big, (size_t)head + size + 7), 413);
		free(big);
	}
	free(many);
}

/* A client dripping its headers, or sending less body than it announced, is cut off at
 * the deadline (2 s here), not kept forever; other clients are served meanwhile. */
static void
test_slow_clients(void)
{
	const char *port = strrchr(base, ':') + 1;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	static const char partial_body[] = "POST /v1/segment HTTP/1.1\r\nHost: x\r\n"
					   "Content-Type: application/json\r\n"
					   "Content-Length: 100\r\n\r\n{\"te";
	int drip = socket(AF_INET, SOCK_STREAM, 0), slow = socket(AF_INET, SOCK_STREAM, 0);
	uint64_t started = mnemo_clock_ms();
	int drip_closed = 0, slow_closed = 0;
	char buf[256];

	CHECK_INT(connect(drip, (struct sockaddr *)&sa, sizeof(sa)), 0);
	CHECK_INT(connect(slow, (struct sockaddr *)&sa, sizeof(sa)), 0);
	CHECK(send(drip, "GET /healthz HTTP/1.1\r\n", 24, MSG_NOSIGNAL) == 24);
	CHECK(send(slow, partial_body, sizeof(partial_body) - 1, MSG_NOSIGNAL) > 0);
	while (mnemo_clock_ms() - started < 8000 && !(drip_closed && slow_closed)) {
		if (!drip_closed &&
		    send(drip, "X-Drip: 1\r\n", 11, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
			drip_closed = errno == EPIPE || errno == ECONNRESET;
		}
		if (!slow_closed && recv(slow, buf, sizeof(buf), MSG_DONTWAIT) == 0) {
			slow_closed = 1;
		}
		h_sleep_ms(200);
	}
	CHECK_MSG(drip_closed, "a client dripping headers was not cut off");
	CHECK_MSG(slow_closed, "a client short of its body was not cut off");
	CHECK(mnemo_clock_ms() - started < 8000);
	close(drip);
	close(slow);
	CHECK_INT(h_wait_healthy(base, 1, 1, 2000), 0);
}

static void
test_metrics(void)
{
	struct h_reply r;

	h_http("GET", url("/metrics"), NULL, NULL, 0, &r);
	CHECK_INT(r.status, 200);
	CHECK(r.body != NULL && strstr(r.body, "mnemo_peers{kind=\"segmenter\"} 1") != NULL);
	CHECK(r.body != NULL && strstr(r.body, "mnemo_http_responses_total{class=\"4xx\"}") != NULL);
	h_reply_free(&r);
}

int
main(int argc, char **argv)
{
	const char *const deadlines[] = {"--set", "gateway.header_timeout_s=2", "--set",
					 "gateway.body_timeout_s=2", NULL};
	struct harness h;
	pid_t pid;

	h_init(&h, argc, argv, 180);
	pid = h_serve_all(&h, base, sizeof(base), NULL, NULL, deadlines);
	CHECK(pid > 0);
	if (pid > 0) {
		test_segment();
		test_units();
		test_idempotency();
		test_lookup();
		test_updates();
		test_long_poll();
		test_limits();
		test_raw_http();
		test_slow_clients();
		test_metrics();
		CHECK_INT(run_cases(base, argc > 2 ? argv[2] : "tests/cases"), 0);
		/* After all of it, the service is still up. */
		CHECK_INT(waitpid(pid, NULL, WNOHANG), 0);
		CHECK_INT(h_wait_healthy(base, 1, 1, 2000), 0);
	}
	CHECK_INT(h_cleanup(&h, check_failures), 0);
	return check_exit();
}
