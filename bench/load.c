/* mnemo-load: a load generator for mnemo's HTTP/JSON and nng/protobuf APIs, run by hand.
 *
 * N client threads send one kind of request (segment, lookup or add) back to back for a
 * few seconds, each recording its latencies; the merged figures are printed on one line:
 *
 *   op=segment transport=http clients=16 requests=12345 errors=0 seconds=10.0 rps=1234.5
 *   p50_ms=1.23 p99_ms=4.56
 *
 * `requests` counts the requests that succeeded and `rps` and the percentiles are computed
 * from those alone, so that a refused connection failing in microseconds cannot pass for
 * throughput; `errors` counts the others (transport failures, timeouts, error replies and
 * replies that do not say what the operation expects), with a breakdown on stderr. */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "msg.h"

enum {
	MAX_CLIENTS = 1024,
	MAX_TEXT_BYTES = 1 << 20,
	/* Latencies kept in all, 8 bytes each; past this each client keeps a uniform sample. */
	MAX_SAMPLES = 1 << 22,
	MAX_REPLY_BYTES = 16 << 20,
	ERR_TEXT_BYTES = 256,
};

/* Written for this benchmark: news style, five sentences, with the guillemets (and the
 * no-break spaces inside them), abbreviations and numbers the segmenter has to get right. */
static const char default_paragraph[] =
	"Le conseil municipal de Rennes a adopté mardi soir, par 41 voix contre 12, un budget "
	"de 2,4 millions d'euros pour rénover les écoles du quartier nord. "
	"«\u00a0Nous ne pouvions plus attendre\u00a0», a déclaré M. Lemaire, adjoint chargé de "
	"l'éducation, à l'issue d'une séance de près de quatre heures. "
	"Les travaux commenceront le 3 juillet dans 7 établissements, dont certains datent de "
	"1962. "
	"L'opposition dénonce un calendrier «\u00a0irréaliste\u00a0» et réclame un audit "
	"indépendant avant le 15 septembre. "
	"Selon la préfecture, 3\u00a0800 élèves et 260 enseignants sont concernés par ces "
	"chantiers.";

/* The first unit bench/run-load seeds (its template with n = 1), so that a lookup run by
 * hand against a memory it seeded is an exact match without --text. */
static const char default_sentence[] =
	"Le rapport n° 1 du comité régional recense 107 communes et 14 projets en cours.";

enum op { OP_SEGMENT, OP_LOOKUP, OP_ADD };
static const char *const op_names[] = {"segment", "lookup", "add"};
static const char *const op_paths[] = {"/v1/segment", "/v1/lookup", "/v1/units"};

enum transport { TRANSPORT_HTTP, TRANSPORT_NNG };

struct options {
	enum op op;
	enum transport transport;
	const char *url;
	unsigned clients;
	double seconds;
	uint64_t max_requests; /* 0: bounded by time alone */
	uint32_t timeout_ms;
	uint32_t min_score;   /* lookup */
	uint32_t max_matches; /* lookup */
	const char *text_path;
};

/* How a request failed, for the breakdown; from the negative errno a request returns. */
enum fail_kind { FAIL_TRANSPORT, FAIL_TIMEOUT, FAIL_ERROR_REPLY, FAIL_UNEXPECTED, N_FAIL_KINDS };
static const char *const fail_names[] = {"transport", "timeout", "error reply", "unexpected reply"};

struct run {
	struct options opt;
	char *text;          /* segment and lookup: the text of every request */
	char http_url[1024]; /* base URL + the op's path */
	nng_socket sock;     /* shared by every nng client */
	uint64_t nonce;      /* makes this run's added units and request ids unique */
	pthread_barrier_t barrier;
	uint64_t end_ns;              /* written before the second barrier, read-only after it */
	atomic_uint_fast64_t claimed; /* requests started, against opt.max_requests */
};

struct client {
	struct run *run;
	unsigned index;
	pthread_t thread;
	uint64_t rng;

	/* HTTP: one handle per client, so that each keeps its own connection alive. */
	CURL *curl;
	struct curl_slist *headers;
	char *request_body; /* segment and lookup: built once */
	char *reply;
	size_t reply_len, reply_cap;

	/* nng: one arena per client, reset after each reply. */
	struct mnemo_arena arena;

	uint64_t n_added;
	uint64_t *lat_ns;
	size_t n_lat, cap_lat;
	uint64_t n_ok;
	uint64_t n_fail[N_FAIL_KINDS];
	char err[ERR_TEXT_BYTES]; /* the last request's failure */
	char first_err[ERR_TEXT_BYTES];
};

static const char usage[] =
	"Usage: mnemo-load (--http URL | --nng URL) [options]\n"
	"\n"
	"Sends one kind of request to a running mnemo from N client threads, back to back, and\n"
	"prints requests/s and the p50/p99 latency of the requests that succeeded.\n"
	"\n"
	"  --http URL          the HTTP/JSON API, e.g. http://127.0.0.1:8700\n"
	"  --nng URL           the nng request socket, e.g. tcp://127.0.0.1:8701\n"
	"  --op OP             segment (default), lookup or add\n"
	"  --clients N         client threads (default 1, at most 1024)\n"
	"  --seconds S         stop after S seconds (default 10)\n"
	"  --requests N        or after N requests in all, if that comes first\n"
	"  --text FILE         segment, lookup: the text sent (default: a built-in paragraph\n"
	"                      for segment, a built-in sentence for lookup)\n"
	"  --min-score N       lookup: min_score (default 100: exact matches only)\n"
	"  --max N             lookup: matches per segment (default 1)\n"
	"  --timeout-ms N      a request's deadline (default 5000)\n"
	"\n"
	"HTTP clients hold one keep-alive connection each; nng clients share one REQ socket,\n"
	"a context per request. Each client sends one untimed warm-up request first. A lookup\n"
	"counts as an error unless every segment gets a match, so seed the memory first (see\n"
	"bench/run-load). Exit status: 0 if any request succeeded, 1 if none did, 2 on usage\n"
	"errors.\n";

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* xorshift64*: cheap and per thread, for reservoir sampling and nothing else. */
static uint64_t
next_random(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static void set_err(struct client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
set_err(struct client *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
}

/* ---- HTTP ---------------------------------------------------------------------------- */

static size_t
on_http_data(char *p, size_t size, size_t n, void *arg)
{
	struct client *c = arg;

	if (n > MAX_REPLY_BYTES - c->reply_len) {
		return 0; /* curl then fails the request with CURLE_WRITE_ERROR */
	}
	if (c->reply_len + n + 1 > c->reply_cap) {
		size_t cap = c->reply_cap ? c->reply_cap : 4096;
		char *grown;

		while (cap < c->reply_len + n + 1) {
			cap *= 2;
		}
		grown = realloc(c->reply, cap);
		if (grown == NULL) {
			return 0;
		}
		c->reply = grown;
		c->reply_cap = cap;
	}
	memcpy(c->reply + c->reply_len, p, n);
	c->reply_len += n;
	c->reply[c->reply_len] = '\0';
	return n;
}

/* The JSON body of a segment or lookup request, the same for every request. */
static char *
fixed_http_body(const struct run *run)
{
	json_t *doc;
	char *text;

	if (run->opt.op == OP_SEGMENT) {
		doc = json_pack("{s:s, s:s}", "text", run->text, "lang", "fr");
	} else {
		doc = json_pack("{s:s, s:s, s:s, s:i, s:i}", "text", run->text, "source", "fr",
				"target", "en", "min_score", (int)run->opt.min_score, "max",
				(int)run->opt.max_matches);
	}
	text = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	return text;
}

static int
http_open(struct client *c)
{
	const struct run *run = c->run;

	c->curl = curl_easy_init();
	if (c->curl == NULL) {
		return -ENOMEM;
	}
	/* An empty Expect: keeps curl from waiting for "100 Continue" before larger bodies. */
	c->headers = curl_slist_append(NULL, "Content-Type: application/json");
	if (c->headers != NULL) {
		struct curl_slist *h = curl_slist_append(c->headers, "Expect:");

		if (h == NULL) {
			curl_slist_free_all(c->headers);
			c->headers = NULL;
		}
	}
	if (c->headers == NULL) {
		return -ENOMEM;
	}
	if (run->opt.op != OP_ADD) {
		c->request_body = fixed_http_body(run);
		if (c->request_body == NULL) {
			return -ENOMEM;
		}
	}
	curl_easy_setopt(c->curl, CURLOPT_URL, run->http_url);
	curl_easy_setopt(c->curl, CURLOPT_POST, 1L);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, c->headers);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, (long)run->opt.timeout_ms);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)run->opt.timeout_ms);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_http_data);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, c);
	if (c->request_body != NULL) {
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, c->request_body);
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)strlen(c->request_body));
	}
	return 0;
}

static void
http_close(struct client *c)
{
	curl_easy_cleanup(c->curl);
	curl_slist_free_all(c->headers);
	free(c->request_body);
	free(c->reply);
}

/* A unit no earlier request of this run (or of another run: the nonce) has added. */
static void
next_unit(struct client *c, char *fr, size_t fr_size, char *en, size_t en_size, char *key,
	  size_t key_size)
{
	uint64_t n = c->n_added++;

	snprintf(fr, fr_size,
		 "La charge n° %" PRIu64 " du client %u (essai %016" PRIx64 ") a livré %" PRIu64
		 " colis à l'entrepôt.",
		 n, c->index, c->run->nonce, n % 997 + 3);
	snprintf(en, en_size,
		 "Load number %" PRIu64 " of client %u (run %016" PRIx64 ") delivered %" PRIu64
		 " parcels to the warehouse.",
		 n, c->index, c->run->nonce, n % 997 + 3);
	snprintf(key, key_size, "mnemo-load-%016" PRIx64 "-%u-%" PRIu64, c->run->nonce, c->index,
		 n);
}

/* Checks a 2xx reply's JSON for what the op promises; -EBADMSG when it falls short. */
static int
http_check_reply(struct client *c)
{
	json_error_t jerr;
	json_t *doc = json_loadb(c->reply != NULL ? c->reply : "", c->reply_len, 0, &jerr);
	json_t *list;
	int r = 0;

	if (doc == NULL) {
		set_err(c, "reply is not JSON: %s", jerr.text);
		return -EBADMSG;
	}
	switch (c->run->opt.op) {
	case OP_SEGMENT:
		list = json_object_get(doc, "segments");
		if (json_array_size(list) == 0) {
			set_err(c, "segment reply without segments: %.160s", c->reply);
			r = -EBADMSG;
		}
		break;
	case OP_LOOKUP:
		list = json_object_get(doc, "results");
		if (json_array_size(list) == 0) {
			set_err(c, "lookup reply without results: %.160s", c->reply);
			r = -EBADMSG;
		}
		for (size_t i = 0; r == 0 && i < json_array_size(list); i++) {
			json_t *matches = json_object_get(json_array_get(list, i), "matches");

			if (json_array_size(matches) == 0) {
				set_err(c,
					"lookup: no match at min_score %u for segment %zu: %.160s",
					c->run->opt.min_score, i, c->reply);
				r = -EBADMSG;
			}
		}
		break;
	case OP_ADD:
		if (json_integer_value(json_object_get(doc, "unit")) <= 0) {
			set_err(c, "add reply without a unit id: %.160s", c->reply);
			r = -EBADMSG;
		}
		break;
	}
	json_decref(doc);
	return r;
}

static int
http_request(struct client *c, uint64_t *ret_ns)
{
	char *body = NULL;
	long status = 0;
	uint64_t t0, t1;
	CURLcode rc;

	if (c->run->opt.op == OP_ADD) {
		char fr[256], en[256], key[128];
		json_t *doc;

		next_unit(c, fr, sizeof(fr), en, sizeof(en), key, sizeof(key));
		doc = json_pack("{s:{s:s, s:s}, s:s}", "variants", "fr", fr, "en", en, "request_id",
				key);
		body = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
		json_decref(doc);
		if (body == NULL) {
			set_err(c, "out of memory");
			return -ENOMEM;
		}
		/* POSTFIELDS does not copy: body lives until after the perform below. */
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	}
	c->reply_len = 0;
	t0 = now_ns();
	rc = curl_easy_perform(c->curl);
	t1 = now_ns();
	free(body);
	if (rc != CURLE_OK) {
		set_err(c, "%s", curl_easy_strerror(rc));
		return rc == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT : -ECOMM;
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status > 299) {
		set_err(c, "HTTP %ld: %.200s", status, c->reply != NULL ? c->reply : "");
		return -EREMOTEIO;
	}
	*ret_ns = t1 - t0;
	return http_check_reply(c);
}

/* ---- nng ----------------------------------------------------------------------------- */

/* Checks a reply envelope for what the op promises: -EREMOTEIO for an Error reply,
 * -EBADMSG for any other shortfall. */
static int
nng_check_reply(struct client *c, const Mnemo__Envelope *reply)
{
	static const Mnemo__Envelope__BodyCase expected[] = {
		MNEMO__ENVELOPE__BODY_SEGMENT_REPLY,
		MNEMO__ENVELOPE__BODY_LOOKUP_REPLY,
		MNEMO__ENVELOPE__BODY_UNIT_WRITE_REPLY,
	};
	enum op op = c->run->opt.op;

	if (reply->body_case == MNEMO__ENVELOPE__BODY_ERROR) {
		set_err(c, "error reply: %s: %s", mnemo_msg_code_name(reply->error->code),
			reply->error->message);
		return -EREMOTEIO;
	}
	if (reply->body_case != expected[op]) {
		set_err(c, "%s reply with body %d", op_names[op], (int)reply->body_case);
		return -EBADMSG;
	}
	switch (op) {
	case OP_SEGMENT:
		if (reply->segment_reply->n_segments == 0) {
			set_err(c, "segment reply without segments");
			return -EBADMSG;
		}
		break;
	case OP_LOOKUP:
		if (reply->lookup_reply->n_results == 0) {
			set_err(c, "lookup reply without results");
			return -EBADMSG;
		}
		for (size_t i = 0; i < reply->lookup_reply->n_results; i++) {
			if (reply->lookup_reply->results[i]->n_matches == 0) {
				set_err(c,
					"lookup: no match at min_score %u for segment %zu: %.160s",
					c->run->opt.min_score, i,
					reply->lookup_reply->results[i]->segment);
				return -EBADMSG;
			}
		}
		break;
	case OP_ADD:
		if (reply->unit_write_reply->unit == 0) {
			set_err(c, "add reply without a unit id");
			return -EBADMSG;
		}
		break;
	}
	return 0;
}

static int
nng_request(struct client *c, uint64_t *ret_ns)
{
	const struct run *run = c->run;
	Mnemo__Envelope env, *reply = NULL;
	Mnemo__SegmentRequest sr;
	Mnemo__LookupRequest lr;
	Mnemo__UnitAddRequest ar;
	Mnemo__UnitAddRequest__VariantsEntry fr_entry, en_entry, *variants[2];
	char fr[256], en[256], key[128];
	struct mnemo_fault f;
	uint64_t t0, t1;
	int r;

	mnemo_fault_clear(&f);
	mnemo_msg_envelope_init(&env, mnemo_msg_new_request_id());
	env.timeout_ms = run->opt.timeout_ms;
	switch (run->opt.op) {
	case OP_SEGMENT:
		mnemo__segment_request__init(&sr);
		sr.text = run->text;
		sr.lang = "fr";
		env.body_case = MNEMO__ENVELOPE__BODY_SEGMENT_REQUEST;
		env.segment_request = &sr;
		break;
	case OP_LOOKUP:
		mnemo__lookup_request__init(&lr);
		lr.text = run->text;
		lr.source = "fr";
		lr.target = "en";
		lr.min_score = run->opt.min_score;
		lr.max = run->opt.max_matches;
		env.body_case = MNEMO__ENVELOPE__BODY_LOOKUP_REQUEST;
		env.lookup_request = &lr;
		break;
	case OP_ADD:
		next_unit(c, fr, sizeof(fr), en, sizeof(en), key, sizeof(key));
		mnemo__unit_add_request__variants_entry__init(&fr_entry);
		mnemo__unit_add_request__variants_entry__init(&en_entry);
		fr_entry.key = "fr";
		fr_entry.value = fr;
		en_entry.key = "en";
		en_entry.value = en;
		variants[0] = &fr_entry;
		variants[1] = &en_entry;
		mnemo__unit_add_request__init(&ar);
		ar.n_variants = 2;
		ar.variants = variants;
		ar.request_id = key;
		env.body_case = MNEMO__ENVELOPE__BODY_UNIT_ADD_REQUEST;
		env.unit_add_request = &ar;
		break;
	}
	t0 = now_ns();
	r = mnemo_msg_call(run->sock, &env, run->opt.timeout_ms, &mnemo_msg_client_limits,
			   &c->arena, &reply, &f);
	t1 = now_ns();
	if (r == 0) {
		*ret_ns = t1 - t0;
		r = nng_check_reply(c, reply);
	} else {
		set_err(c, "%s%s%s", mnemo_strerror(r), f.message[0] ? ": " : "", f.message);
	}
	mnemo_arena_reset(&c->arena);
	return r;
}

/* ---- clients ------------------------------------------------------------------------- */

static void
record(struct client *c, uint64_t ns)
{
	uint64_t seen = c->n_ok++;

	if (c->n_lat < c->cap_lat) {
		c->lat_ns[c->n_lat++] = ns;
		return;
	}
	/* Reservoir sampling (algorithm R): a full array stays a uniform sample of the whole
	 * run, not of its first seconds. */
	{
		uint64_t j = next_random(&c->rng) % (seen + 1);

		if (j < c->cap_lat) {
			c->lat_ns[j] = ns;
		}
	}
}

static void
count_failure(struct client *c, int r)
{
	enum fail_kind kind;

	switch (r) {
	case -ETIMEDOUT:
		kind = FAIL_TIMEOUT;
		break;
	case -EREMOTEIO:
		kind = FAIL_ERROR_REPLY;
		break;
	case -EBADMSG:
		kind = FAIL_UNEXPECTED;
		break;
	default:
		kind = FAIL_TRANSPORT;
		break;
	}
	c->n_fail[kind]++;
	if (c->first_err[0] == '\0') {
		snprintf(c->first_err, sizeof(c->first_err), "%s", c->err);
	}
}

static int
issue(struct client *c, uint64_t *ret_ns)
{
	return c->run->opt.transport == TRANSPORT_HTTP ? http_request(c, ret_ns)
						       : nng_request(c, ret_ns);
}

static void *
client_main(void *arg)
{
	struct client *c = arg;
	struct run *run = c->run;
	uint64_t ns = 0;

	/* Warm-up, untimed: opens the HTTP connection (nng's is shared and already up). */
	(void)issue(c, &ns);
	pthread_barrier_wait(&run->barrier); /* everyone is ready */
	pthread_barrier_wait(&run->barrier); /* main has set end_ns */
	for (;;) {
		int r;

		if (now_ns() >= run->end_ns) {
			break;
		}
		if (run->opt.max_requests > 0 &&
		    atomic_fetch_add(&run->claimed, 1) >= run->opt.max_requests) {
			break;
		}
		r = issue(c, &ns);
		if (r == 0) {
			record(c, ns);
		} else {
			count_failure(c, r);
		}
	}
	return NULL;
}

static int
client_init(struct client *c, struct run *run, unsigned index, size_t cap_lat)
{
	c->run = run;
	c->index = index;
	c->rng = run->nonce ^ (0x9E3779B97F4A7C15ULL * (index + 1));
	if (c->rng == 0) {
		c->rng = 1;
	}
	c->cap_lat = cap_lat;
	/* Allocated up front; pages are only touched as samples come in. */
	c->lat_ns = malloc(cap_lat * sizeof(*c->lat_ns));
	if (c->lat_ns == NULL) {
		return -ENOMEM;
	}
	mnemo_arena_init(&c->arena, mnemo_msg_arena_limit(&mnemo_msg_client_limits));
	if (run->opt.transport == TRANSPORT_HTTP) {
		return http_open(c);
	}
	return 0;
}

static void
client_fini(struct client *c)
{
	if (c->run != NULL && c->run->opt.transport == TRANSPORT_HTTP) {
		http_close(c);
	}
	mnemo_arena_fini(&c->arena);
	free(c->lat_ns);
}

/* ---- results ------------------------------------------------------------------------- */

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest sample with at least pct% of the samples at or below it. */
static double
percentile_ms(const uint64_t *sorted, size_t n, unsigned pct)
{
	size_t rank;

	if (n == 0) {
		return NAN;
	}
	rank = (pct * n + 99) / 100;
	if (rank < 1) {
		rank = 1;
	}
	return (double)sorted[rank - 1] / 1e6;
}

static int
report(const struct run *run, struct client *clients, double seconds)
{
	uint64_t n_ok = 0, n_fail[N_FAIL_KINDS] = {0}, n_errors = 0;
	const char *first_err = NULL;
	size_t n_lat = 0, k = 0;
	uint64_t *all;

	for (unsigned i = 0; i < run->opt.clients; i++) {
		n_ok += clients[i].n_ok;
		n_lat += clients[i].n_lat;
		for (int j = 0; j < N_FAIL_KINDS; j++) {
			n_fail[j] += clients[i].n_fail[j];
			n_errors += clients[i].n_fail[j];
		}
		if (first_err == NULL && clients[i].first_err[0] != '\0') {
			first_err = clients[i].first_err;
		}
	}
	all = malloc((n_lat > 0 ? n_lat : 1) * sizeof(*all));
	if (all == NULL) {
		fprintf(stderr, "mnemo-load: out of memory merging %zu latencies\n", n_lat);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < run->opt.clients; i++) {
		memcpy(all + k, clients[i].lat_ns, clients[i].n_lat * sizeof(*all));
		k += clients[i].n_lat;
	}
	qsort(all, n_lat, sizeof(*all), cmp_u64);
	printf("op=%s transport=%s clients=%u requests=%" PRIu64 " errors=%" PRIu64
	       " seconds=%.1f rps=%.1f p50_ms=%.2f p99_ms=%.2f\n",
	       op_names[run->opt.op], run->opt.transport == TRANSPORT_HTTP ? "http" : "nng",
	       run->opt.clients, n_ok, n_errors, seconds,
	       seconds > 0 ? (double)n_ok / seconds : 0.0, percentile_ms(all, n_lat, 50),
	       percentile_ms(all, n_lat, 99));
	fflush(stdout);
	free(all);
	if (n_errors > 0) {
		fprintf(stderr, "mnemo-load: %" PRIu64 " errors:", n_errors);
		for (int j = 0; j < N_FAIL_KINDS; j++) {
			fprintf(stderr, "%s %" PRIu64 " %s", j > 0 ? "," : "", n_fail[j],
				fail_names[j]);
		}
		fprintf(stderr, "; first: %s\n", first_err != NULL ? first_err : "?");
	}
	return 0;
}

/* ---- setup ----------------------------------------------------------------------------- */

static int
parse_u64(const char *text, uint64_t min, uint64_t max, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || v < min || v > max) {
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

/* Reads the whole file (at most MAX_TEXT_BYTES), trailing newlines dropped. */
static int
read_text(const char *path, char **ret)
{
	FILE *in = fopen(path, "rb");
	char *text;
	size_t n;

	if (in == NULL) {
		return -errno;
	}
	text = malloc(MAX_TEXT_BYTES + 1);
	if (text == NULL) {
		fclose(in);
		return -ENOMEM;
	}
	n = fread(text, 1, MAX_TEXT_BYTES + 1, in);
	if (ferror(in)) {
		fclose(in);
		free(text);
		return -EIO;
	}
	fclose(in);
	if (n > MAX_TEXT_BYTES) {
		free(text);
		return -EMSGSIZE;
	}
	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r')) {
		n--;
	}
	if (n == 0) {
		free(text);
		return -ENODATA;
	}
	text[n] = '\0';
	*ret = text;
	return 0;
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("mnemo-load: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n(mnemo-load --help for the options)\n", stderr);
	return 2;
}

static int
parse_options(int argc, char **argv, struct options *opt)
{
	enum {
		O_HTTP = 1000,
		O_NNG,
		O_OP,
		O_CLIENTS,
		O_SECONDS,
		O_REQUESTS,
		O_TEXT,
		O_MIN_SCORE,
		O_MAX,
		O_TIMEOUT
	};
	static const struct option options[] = {
		{"http", required_argument, NULL, O_HTTP},
		{"nng", required_argument, NULL, O_NNG},
		{"op", required_argument, NULL, O_OP},
		{"clients", required_argument, NULL, O_CLIENTS},
		{"seconds", required_argument, NULL, O_SECONDS},
		{"requests", required_argument, NULL, O_REQUESTS},
		{"text", required_argument, NULL, O_TEXT},
		{"min-score", required_argument, NULL, O_MIN_SCORE},
		{"max", required_argument, NULL, O_MAX},
		{"timeout-ms", required_argument, NULL, O_TIMEOUT},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	uint64_t v;
	char *end;
	int o;

	memset(opt, 0, sizeof(*opt));
	opt->op = OP_SEGMENT;
	opt->clients = 1;
	opt->seconds = 10;
	opt->timeout_ms = 5000;
	opt->min_score = 100;
	opt->max_matches = 1;
	while ((o = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (o) {
		case 'h':
			fputs(usage, stdout);
			exit(0);
		case O_HTTP:
		case O_NNG:
			if (opt->url != NULL) {
				return usage_error("give one of --http and --nng, once");
			}
			opt->url = optarg;
			opt->transport = o == O_HTTP ? TRANSPORT_HTTP : TRANSPORT_NNG;
			break;
		case O_OP:
			if (strcmp(optarg, "segment") == 0) {
				opt->op = OP_SEGMENT;
			} else if (strcmp(optarg, "lookup") == 0) {
				opt->op = OP_LOOKUP;
			} else if (strcmp(optarg, "add") == 0) {
				opt->op = OP_ADD;
			} else {
				return usage_error("--op: '%s' is not segment, lookup, add",
						   optarg);
			}
			break;
		case O_CLIENTS:
			if (parse_u64(optarg, 1, MAX_CLIENTS, &v) < 0) {
				return usage_error("--clients: '%s' is not a number from 1 to 1024",
						   optarg);
			}
			opt->clients = (unsigned)v;
			break;
		case O_SECONDS:
			errno = 0;
			opt->seconds = strtod(optarg, &end);
			if (errno != 0 || end == optarg || *end != '\0' || !(opt->seconds > 0) ||
			    opt->seconds > 86400) {
				return usage_error("--seconds: '%s' is not from 0 to 86400",
						   optarg);
			}
			break;
		case O_REQUESTS:
			if (parse_u64(optarg, 1, UINT64_MAX / 2, &opt->max_requests) < 0) {
				return usage_error("--requests: '%s' is not from 1 up", optarg);
			}
			break;
		case O_TEXT:
			opt->text_path = optarg;
			break;
		case O_MIN_SCORE:
			if (parse_u64(optarg, 1, 100, &v) < 0) {
				return usage_error("--min-score: '%s' is not from 1 to 100",
						   optarg);
			}
			opt->min_score = (uint32_t)v;
			break;
		case O_MAX:
			if (parse_u64(optarg, 1, 100, &v) < 0) {
				return usage_error("--max: '%s' is not from 1 to 100", optarg);
			}
			opt->max_matches = (uint32_t)v;
			break;
		case O_TIMEOUT:
			if (parse_u64(optarg, 1, 3600000, &v) < 0) {
				return usage_error("--timeout-ms: '%s' is not a number from 1 to "
						   "3600000",
						   optarg);
			}
			opt->timeout_ms = (uint32_t)v;
			break;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind < argc) {
		return usage_error("unexpected argument '%s'", argv[optind]);
	}
	if (opt->url == NULL) {
		return usage_error("give --http URL or --nng URL");
	}
	if (opt->text_path != NULL && opt->op == OP_ADD) {
		return usage_error("--text is for segment and lookup; add makes its own units");
	}
	return 0;
}

/* One REQ socket for all nng clients, a context per request (mnemo_msg_call): that is how
 * a threaded nng application talks to mnemo, one connection carrying every thread's
 * requests. (HTTP clients need a connection each: HTTP/1.1 has no multiplexing.) */
static int
nng_connect(struct run *run)
{
	struct mnemo_msg_socket_config sc = {
		.max_message_bytes = mnemo_msg_client_limits.max_message_bytes,
	};
	int r;

	r = mnemo_msg_socket_open(MNEMO_MSG_REQ, &sc, &run->sock);
	if (r < 0) {
		return r;
	}
	/* A blocking first dial (mnemo_msg_dial's is in the background) so that a wrong URL
	 * fails here at once instead of as a run full of timeouts; nng still re-dials if
	 * the connection is lost later. */
	r = mnemo_err_from_nng(nng_dial(run->sock, run->opt.url, NULL, 0));
	if (r < 0) {
		nng_close(run->sock);
	}
	return r;
}

static int
setup(struct run *run)
{
	const struct options *opt = &run->opt;
	int r;

	run->nonce = mnemo_msg_new_request_id();
	if (opt->op != OP_ADD) {
		if (opt->text_path != NULL) {
			r = read_text(opt->text_path, &run->text);
			if (r < 0) {
				fprintf(stderr, "mnemo-load: --text %s: %s\n", opt->text_path,
					r == -ENODATA ? "the file is empty" : mnemo_strerror(r));
				return r;
			}
		} else {
			run->text = strdup(opt->op == OP_SEGMENT ? default_paragraph
								 : default_sentence);
			if (run->text == NULL) {
				return -ENOMEM;
			}
		}
	}
	if (opt->transport == TRANSPORT_HTTP) {
		size_t n = strlen(opt->url);

		while (n > 0 && opt->url[n - 1] == '/') {
			n--;
		}
		if ((size_t)snprintf(run->http_url, sizeof(run->http_url), "%.*s%s", (int)n,
				     opt->url, op_paths[opt->op]) >= sizeof(run->http_url)) {
			fprintf(stderr, "mnemo-load: --http: the URL is too long\n");
			return -ENAMETOOLONG;
		}
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			fprintf(stderr, "mnemo-load: libcurl could not start\n");
			return -ENOMEM;
		}
		return 0;
	}
	r = nng_connect(run);
	if (r < 0) {
		fprintf(stderr, "mnemo-load: --nng %s: %s\n", opt->url, mnemo_strerror(r));
	}
	return r;
}

static void
teardown(struct run *run)
{
	if (run->opt.transport == TRANSPORT_HTTP) {
		curl_global_cleanup();
	} else {
		nng_close(run->sock);
	}
	free(run->text);
}

int
main(int argc, char **argv)
{
	struct run run;
	struct client *clients;
	size_t cap_lat;
	uint64_t t0;
	int r, status;

	memset(&run, 0, sizeof(run));
	r = parse_options(argc, argv, &run.opt);
	if (r != 0) {
		return r;
	}
	signal(SIGPIPE, SIG_IGN);
	if (setup(&run) < 0) {
		free(run.text);
		return 1;
	}
	cap_lat = MAX_SAMPLES / run.opt.clients;
	if (run.opt.max_requests > 0 && run.opt.max_requests < cap_lat) {
		cap_lat = (size_t)run.opt.max_requests;
	}
	clients = calloc(run.opt.clients, sizeof(*clients));
	if (clients == NULL) {
		fprintf(stderr, "mnemo-load: out of memory\n");
		teardown(&run);
		return 1;
	}
	for (unsigned i = 0; i < run.opt.clients; i++) {
		r = client_init(&clients[i], &run, i, cap_lat);
		if (r < 0) {
			fprintf(stderr, "mnemo-load: setting up client %u: %s\n", i,
				mnemo_strerror(r));
			exit(1);
		}
	}
	pthread_barrier_init(&run.barrier, NULL, run.opt.clients + 1);
	for (unsigned i = 0; i < run.opt.clients; i++) {
		r = -pthread_create(&clients[i].thread, NULL, client_main, &clients[i]);
		if (r < 0) {
			/* The clients already started wait at the barrier for this one. */
			fprintf(stderr, "mnemo-load: starting client %u: %s\n", i,
				mnemo_strerror(r));
			exit(1);
		}
	}
	pthread_barrier_wait(&run.barrier);
	t0 = now_ns();
	run.end_ns = t0 + (uint64_t)(run.opt.seconds * 1e9);
	pthread_barrier_wait(&run.barrier);
	for (unsigned i = 0; i < run.opt.clients; i++) {
		pthread_join(clients[i].thread, NULL);
	}
	r = report(&run, clients, (double)(now_ns() - t0) / 1e9);
	status = 1;
	for (unsigned i = 0; i < run.opt.clients; i++) {
		if (clients[i].n_ok > 0) {
			status = 0;
		}
		client_fini(&clients[i]);
	}
	free(clients);
	pthread_barrier_destroy(&run.barrier);
	teardown(&run);
	return r < 0 ? 1 : status;
}
