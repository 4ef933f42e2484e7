/* The nng request socket end to end: protobuf requests to a real `mnemo serve all`, and
 * every kind of bad message RELIABILITY.md lists: each answered with an error reply or a
 * dropped connection, never a dead process or a half-written change. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "harness.h"

#include <nng/protocol/pubsub0/pub.h> /* after nng.h */

static char base[128], front_url[64], pub_url[64];
static struct mnemo_arena arena;

static Mnemo__Envelope *
call(Mnemo__Envelope *req)
{
	Mnemo__Envelope *reply = NULL;
	int r = h_nng_call(front_url, req, &arena, &reply, 10000);

	CHECK_MSG(r == 0, "nng call: %s", mnemo_strerror(r));
	return r == 0 ? reply : NULL;
}

static Mnemo__Envelope *
raw(const void *data, size_t len, unsigned timeout_ms, int *ret)
{
	Mnemo__Envelope *reply = NULL;

	*ret = h_nng_raw(front_url, data, len, &arena, &reply, timeout_ms);
	return *ret == 0 ? reply : NULL;
}

static const char *
error_code(const Mnemo__Envelope *env)
{
	if (env == NULL || env->body_case != MNEMO__ENVELOPE__BODY_ERROR) {
		return "(not an error)";
	}
	return mnemo_msg_code_name(env->error->code);
}

static uint64_t
last_seq(void)
{
	Mnemo__Envelope req, *reply;
	Mnemo__UpdatesRequest ur;

	mnemo_msg_envelope_init(&req, 99);
	mnemo__updates_request__init(&ur);
	ur.max = 1;
	req.body_case = MNEMO__ENVELOPE__BODY_UPDATES_REQUEST;
	req.updates_request = &ur;
	reply = call(&req);
	if (reply == NULL || reply->body_case != MNEMO__ENVELOPE__BODY_UPDATES_REPLY) {
		CHECK_MSG(0, "updates: %s", error_code(reply));
		return 0;
	}
	return reply->updates_reply->last_seq;
}

static void
test_requests(void)
{
	Mnemo__Envelope req, *reply;
	Mnemo__SegmentRequest sr;
	Mnemo__UnitAddRequest ar;
	Mnemo__UnitAddRequest__VariantsEntry fr, en, *variants[2] = {&fr, &en};
	Mnemo__LookupRequest lr;
	char *segments[] = {"Le Conseil de sécurité se réunira jeudi."};

	mnemo_msg_envelope_init(&req, 1001);
	mnemo__segment_request__init(&sr);
	sr.text = "Bonjour M. Dupont. Ça va ?";
	req.body_case = MNEMO__ENVELOPE__BODY_SEGMENT_REQUEST;
	req.segment_request = &sr;
	reply = call(&req);
	CHECK(reply != NULL && reply->body_case == MNEMO__ENVELOPE__BODY_SEGMENT_REPLY);
	if (reply != NULL && reply->body_case == MNEMO__ENVELOPE__BODY_SEGMENT_REPLY) {
		CHECK_INT(reply->request_id, 1001);
		CHECK_INT(reply->segment_reply->n_segments, 2);
		CHECK_STR(reply->segment_reply->segments[1]->text, "Ça va ?");
	}

	mnemo_msg_envelope_init(&req, 1002);
	mnemo__unit_add_request__init(&ar);
	mnemo__unit_add_request__variants_entry__init(&fr);
	mnemo__unit_add_request__variants_entry__init(&en);
	fr.key = "fr";
	fr.value = segments[0];
	en.key = "en";
	en.value = "The Security Council will meet on Thursday.";
	ar.variants = variants;
	ar.n_variants = 2;
	req.body_case = MNEMO__ENVELOPE__BODY_UNIT_ADD_REQUEST;
	req.unit_add_request = &ar;
	reply = call(&req);
	CHECK(reply != NULL && reply->body_case == MNEMO__ENVELOPE__BODY_UNIT_WRITE_REPLY);

	mnemo_msg_envelope_init(&req, 1003);
	mnemo__lookup_request__init(&lr);
	lr.segments = segments;
	lr.n_segments = 1;
	lr.source = "fr";
	lr.target = "en";
	req.body_case = MNEMO__ENVELOPE__BODY_LOOKUP_REQUEST;
	req.lookup_request = &lr;
	reply = call(&req);
	CHECK(reply != NULL && reply->body_case == MNEMO__ENVELOPE__BODY_LOOKUP_REPLY);
	if (reply != NULL && reply->body_case == MNEMO__ENVELOPE__BODY_LOOKUP_REPLY) {
		CHECK_INT(reply->lookup_reply->n_results, 1);
		CHECK(reply->lookup_reply->results[0]->n_matches >= 1);
		if (reply->lookup_reply->results[0]->n_matches >= 1) {
			CHECK_INT(reply->lookup_reply->results[0]->matches[0]->score, 100);
		}
	}

	/* A reply type sent as a request */
	mnemo_msg_envelope_init(&req, 1004);
	req.body_case = MNEMO__ENVELOPE__BODY_HEARTBEAT;
	req.heartbeat = &(Mnemo__Heartbeat)MNEMO__HEARTBEAT__INIT;
	CHECK_STR(error_code(call(&req)), "invalid_request");
	mnemo_arena_reset(&arena);
}

static size_t
pack_unit_add(uint8_t *buf, const char *fr_text, const char *key)
{
	Mnemo__Envelope req;
	Mnemo__UnitAddRequest ar;
	Mnemo__UnitAddRequest__VariantsEntry fr, en, *variants[2] = {&fr, &en};

	mnemo_msg_envelope_init(&req, 2001);
	mnemo__unit_add_request__init(&ar);
	mnemo__unit_add_request__variants_entry__init(&fr);
	mnemo__unit_add_request__variants_entry__init(&en);
	fr.key = "fr";
	fr.value = (char *)fr_text;
	en.key = "en";
	en.value = "Talks resumed in Moscow.";
	ar.variants = variants;
	ar.n_variants = 2;
	ar.request_id = (char *)key;
	req.body_case = MNEMO__ENVELOPE__BODY_UNIT_ADD_REQUEST;
	req.unit_add_request = &ar;
	return protobuf_c_message_pack(&req.base, buf);
}

static void
test_bad_messages(void)
{
	uint8_t buf[4096];
	size_t len;
	uint64_t before;
	int r, refused = 0;
	Mnemo__Envelope *reply;

	before = last_seq();
	/* Cut at every byte: never a success, nothing stored. */
	len = pack_unit_add(buf, "Les pourparlers ont repris à Moscou.", "test-nng-cut");
	for (size_t cut = 0; cut < len; cut++) {
		reply = raw(buf, cut, 5000, &r);
		refused += r == 0 && reply->body_case == MNEMO__ENVELOPE__BODY_ERROR;
		mnemo_arena_reset(&arena);
	}
	CHECK_INT(refused, len);
	CHECK_INT(last_seq(), before);

	/* Invalid UTF-8 and an embedded NUL inside a string field */
	len = pack_unit_add(buf, "Les pourparlers ont repris X Moscou.", "test-nng-utf8");
	for (size_t i = 0; i + 1 < len; i++) {
		if (buf[i] == 'X') {
			buf[i] = 0xff;
			break;
		}
	}
	CHECK_STR(error_code(raw(buf, len, 5000, &r)), "invalid_utf8");
	for (size_t i = 0; i + 1 < len; i++) {
		if (buf[i] == 0xff) {
			buf[i] = 0x00;
		}
	}
	CHECK_STR(error_code(raw(buf, len, 5000, &r)), "invalid_utf8");
	CHECK_INT(last_seq(), before);

	/* Garbage, an empty message, version 2 */
	CHECK_STR(error_code(raw("bonjour", 7, 5000, &r)), "malformed_message");
	CHECK_STR(error_code(raw("", 0, 5000, &r)), "malformed_message");
	buf[0] = 0x08; /* version = 2, then a status request */
	buf[1] = 0x02;
	buf[2] = 0xda; /* field 27, wire type 2 */
	buf[3] = 0x01;
	buf[4] = 0x00;
	CHECK_STR(error_code(raw(buf, 5, 5000, &r)), "unsupported_version");

	/* A flood of empty list entries: refused before it is unpacked. */
	{
		size_t n = 100001, size = 4 + 4 + 2 * n;
		uint8_t *flood = malloc(size + 16), *p = flood;
		uint64_t inner = 2 * n;

		*p++ = 0x08;
		*p++ = 0x01;
		*p++ = 0x6a; /* field 13 (lookup_request), wire type 2 */
		while (inner >= 0x80) {
			*p++ = (uint8_t)(inner | 0x80);
			inner >>= 7;
		}
		*p++ = (uint8_t)inner;
		for (size_t i = 0; i < n; i++) {
			*p++ = 0x12; /* field 2 (segments), empty string */
			*p++ = 0x00;
		}
		CHECK_STR(error_code(raw(flood, (size_t)(p - flood), 5000, &r)), "too_large");
		free(flood);
	}
	mnemo_arena_reset(&arena);
}

static void
test_oversized(void)
{
	const char *port = strrchr(front_url, ':') + 1;
	size_t size = (4u << 20) + 1;
	uint8_t *big = calloc(1, size);
	uint64_t started = mnemo_clock_ms();

	/* Over NNG_OPT_RECVMAXSZ: the gateway drops the connection at the length prefix... */
	CHECK_INT(h_sp_frame(atoi(port), size, big, size, 5000), 1);
	/* ...also when the prefix announces GiBs and the data only trickles... */
	CHECK_INT(h_sp_frame(atoi(port), 3ull << 30, big, 1000, 5000), 1);
	/* ...and when it is near 2^64. */
	CHECK_INT(h_sp_frame(atoi(port), UINT64_MAX - 7, big, 16, 5000), 1);
	CHECK(mnemo_clock_ms() - started < 10000);
	free(big);
	CHECK_INT(h_wait_healthy(base, 1, 1, 2000), 0);
	CHECK(last_seq() > 0);
}

static void
test_wrong_peers(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	const char *port = strrchr(front_url, ':') + 1;
	static const char junk[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	nng_socket pub;
	char buf[64];
	int fd;

	/* A PUB peer on the REP port: the SP handshake refuses it. */
	CHECK_INT(nng_pub0_open(&pub), 0);
	nng_dial(pub, front_url, NULL, NNG_FLAG_NONBLOCK);
	h_sleep_ms(200);
	nng_close(pub);

	/* Raw garbage instead of the SP greeting: the connection is closed. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_port = htons((uint16_t)atoi(port));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK_INT(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	CHECK(write(fd, junk, sizeof(junk) - 1) > 0);
	{
		struct timeval tv = {5, 0};

		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		CHECK(read(fd, buf, sizeof(buf)) <= 8); /* at most nng's own greeting, then EOF */
	}
	close(fd);
	CHECK(last_seq() > 0); /* still answering */
}

static void
test_metrics(void)
{
	struct h_reply r;
	char url[256];
	const char *line;

	snprintf(url, sizeof(url), "%s/metrics", base);
	h_http("GET", url, NULL, NULL, 0, &r);
	line = r.body ? strstr(r.body, "\nmnemo_nng_rejected_total ") : NULL;
	CHECK(line != NULL && atoi(line + strlen("\nmnemo_nng_rejected_total ")) > 10);
	h_reply_free(&r);
}

int
main(int argc, char **argv)
{
	struct harness h;
	pid_t pid;

	h_init(&h, argc, argv, 180);
	mnemo_arena_init(&arena, 256u << 20);
	pid = h_serve_all(&h, base, sizeof(base), front_url, pub_url, NULL);
	CHECK(pid > 0);
	if (pid > 0) {
		test_requests();
		test_bad_messages();
		test_oversized();
		test_wrong_peers();
		test_metrics();
		CHECK_INT(waitpid(pid, NULL, WNOHANG), 0);
	}
	mnemo_arena_fini(&arena);
	CHECK_INT(h_cleanup(&h, check_failures), 0);
	return check_exit();
}
