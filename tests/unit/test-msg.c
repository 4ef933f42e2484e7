/* common/msg: envelope encoding and the validation walk, error codes, request/reply over
 * inproc://, and the lossless change feed against a fake publisher. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "log.h"
#include "msg.h"

#include <nng/protocol/reqrep0/req.h> /* after nng.h */

static struct mnemo_arena arena; /* decoded envelopes: valid until the next decode() */

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

/* inproc:// names are process-wide: one per socket pair. */
static void
unique_url(char *buf, size_t size, const char *what)
{
	static atomic_int counter;

	snprintf(buf, size, "inproc://test-msg-%s-%d", what, atomic_fetch_add(&counter, 1));
}

static int
decode(const void *data, size_t len, const struct mnemo_msg_limits *lim, Mnemo__Envelope **ret,
       struct mnemo_fault *f)
{
	mnemo_arena_reset(&arena);
	mnemo_fault_clear(f);
	return mnemo_msg_decode(data, len, lim, &arena, ret, f);
}

static size_t
put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

/* ---- requests built on the stack ------------------------------------------------------ */

struct unit_add {
	Mnemo__Envelope env;
	Mnemo__UnitAddRequest req;
	Mnemo__UnitAddRequest__VariantsEntry fr, en, *variants[2];
	Mnemo__UnitAddRequest__MetaEntry origin, *meta[1];
};

static void
unit_add_init(struct unit_add *u, uint64_t request_id, const char *fr_text)
{
	mnemo_msg_envelope_init(&u->env, request_id);
	mnemo__unit_add_request__init(&u->req);
	mnemo__unit_add_request__variants_entry__init(&u->fr);
	mnemo__unit_add_request__variants_entry__init(&u->en);
	mnemo__unit_add_request__meta_entry__init(&u->origin);
	u->fr.key = "fr";
	u->fr.value = (char *)fr_text;
	u->en.key = "en";
	u->en.value = "Talks resumed in Moscow.";
	u->variants[0] = &u->fr;
	u->variants[1] = &u->en;
	u->origin.key = "origin";
	u->origin.value = "unit test";
	u->meta[0] = &u->origin;
	u->req.variants = u->variants;
	u->req.n_variants = 2;
	u->req.meta = u->meta;
	u->req.n_meta = 1;
	u->req.request_id = "add-1";
	u->env.timeout_ms = 2500;
	u->env.body_case = MNEMO__ENVELOPE__BODY_UNIT_ADD_REQUEST;
	u->env.unit_add_request = &u->req;
}

/* An UpdatesReply holding one Update of a Unit with one variant: four messages deep. */
struct deep {
	Mnemo__Envelope env;
	Mnemo__UpdatesReply reply;
	Mnemo__Update update, *updates[1];
	Mnemo__Unit unit;
	Mnemo__Unit__VariantsEntry fr, *variants[1];
};

static void
deep_init(struct deep *d, const char *fr_text)
{
	mnemo_msg_envelope_init(&d->env, 77);
	mnemo__updates_reply__init(&d->reply);
	mnemo__update__init(&d->update);
	mnemo__unit__init(&d->unit);
	mnemo__unit__variants_entry__init(&d->fr);
	d->fr.key = "fr";
	d->fr.value = (char *)fr_text;
	d->variants[0] = &d->fr;
	d->unit.id = 3;
	d->unit.variants = d->variants;
	d->unit.n_variants = 1;
	d->update.seq = 9;
	d->update.op = MNEMO__CHANGE_OP__CHANGE_OP_ADD;
	d->update.unit = &d->unit;
	d->updates[0] = &d->update;
	d->reply.updates = d->updates;
	d->reply.n_updates = 1;
	d->reply.last_seq = 9;
	d->env.body_case = MNEMO__ENVELOPE__BODY_UPDATES_REPLY;
	d->env.updates_reply = &d->reply;
}

static void
status_init(Mnemo__Envelope *env, uint64_t request_id, Mnemo__StatusRequest *sr)
{
	mnemo_msg_envelope_init(env, request_id);
	mnemo__status_request__init(sr);
	env->body_case = MNEMO__ENVELOPE__BODY_STATUS_REQUEST;
	env->status_request = sr;
}

/* ---- decode/encode round trips -------------------------------------------------------- */

/* Encodes env, decodes it again and checks that it packs to the same bytes. */
static Mnemo__Envelope *
roundtrip(const Mnemo__Envelope *env)
{
	Mnemo__Envelope *got = NULL;
	struct mnemo_fault f;
	nng_msg *msg = NULL;
	uint8_t *again;
	size_t len;
	int r;

	r = mnemo_msg_encode(env, mnemo_msg_client_limits.max_message_bytes, &msg);
	CHECK_INT(r, 0);
	if (r < 0) {
		return NULL;
	}
	len = nng_msg_len(msg);
	CHECK_INT(len, protobuf_c_message_get_packed_size(&env->base));
	r = decode(nng_msg_body(msg), len, &mnemo_msg_client_limits, &got, &f);
	CHECK_MSG(r == 0, "body %d: %s", (int)env->body_case, f.message);
	if (r == 0) {
		CHECK_INT(got->version, MNEMO_WIRE_VERSION);
		CHECK_INT(got->request_id, env->request_id);
		CHECK_INT(got->timeout_ms, env->timeout_ms);
		CHECK_INT(got->body_case, env->body_case);
		again = malloc(len + 1);
		CHECK_INT(protobuf_c_message_pack(&got->base, again), len);
		CHECK(memcmp(again, nng_msg_body(msg), len) == 0);
		free(again);
	}
	nng_msg_free(msg);
	return r == 0 ? got : NULL;
}

static void
test_roundtrip(void)
{
	Mnemo__Envelope env, *got;
	Mnemo__SegmentRequest sr;
	Mnemo__LookupRequest lr;
	Mnemo__UnitUpdateRequest ur;
	Mnemo__UnitUpdateRequest__VariantsEntry fr, de, *variants[2] = {&fr, &de};
	Mnemo__UnitDeleteRequest dr;
	Mnemo__UnitGetRequest gr;
	Mnemo__UpdatesRequest upr;
	Mnemo__SnapshotRequest snr;
	Mnemo__StatusRequest str;
	struct unit_add add;
	char *segments[] = {"Le chat dort.", "", "Ça va ?"};

	mnemo_msg_envelope_init(&env, 0x1122334455667788ull);
	mnemo__segment_request__init(&sr);
	sr.text = "Bonjour M. Dupont.\nÇa va ?";
	sr.lang = "fr-CA";
	env.body_case = MNEMO__ENVELOPE__BODY_SEGMENT_REQUEST;
	env.segment_request = &sr;
	got = roundtrip(&env);
	if (got != NULL) {
		CHECK_STR(got->segment_request->text, sr.text);
		CHECK_STR(got->segment_request->lang, "fr-CA");
	}

	mnemo_msg_envelope_init(&env, UINT64_MAX); /* a 10-byte varint */
	mnemo__lookup_request__init(&lr);
	lr.segments = segments;
	lr.n_segments = 3;
	lr.source = "fr";
	lr.target = "en";
	lr.min_score = 70;
	lr.max = 3;
	lr.min_seq = 1ull << 40;
	env.timeout_ms = 1234;
	env.body_case = MNEMO__ENVELOPE__BODY_LOOKUP_REQUEST;
	env.lookup_request = &lr;
	got = roundtrip(&env);
	if (got != NULL) {
		CHECK_INT(got->lookup_request->n_segments, 3);
		CHECK_STR(got->lookup_request->segments[1], "");
		CHECK_STR(got->lookup_request->segments[2], "Ça va ?");
		CHECK_INT(got->lookup_request->min_score, 70);
		CHECK(got->lookup_request->min_seq == 1ull << 40);
	}

	unit_add_init(&add, 42, "Les pourparlers ont repris à Moscou.");
	got = roundtrip(&add.env);
	if (got != NULL) {
		Mnemo__UnitAddRequest *a = got->unit_add_request;

		CHECK_INT(a->n_variants, 2);
		CHECK_INT(a->n_meta, 1);
		if (a->n_variants == 2 && a->n_meta == 1) {
			CHECK_STR(a->variants[0]->key, "fr");
			CHECK_STR(a->variants[0]->value, "Les pourparlers ont repris à Moscou.");
			CHECK_STR(a->variants[1]->key, "en");
			CHECK_STR(a->meta[0]->value, "unit test");
		}
		CHECK_STR(a->request_id, "add-1");
	}

	mnemo_msg_envelope_init(&env, 43);
	mnemo__unit_update_request__init(&ur);
	mnemo__unit_update_request__variants_entry__init(&fr);
	mnemo__unit_update_request__variants_entry__init(&de);
	fr.key = "fr";
	fr.value = "Bonjour.";
	de.key = "de";
	de.value = "Guten Tag.";
	ur.id = 1ull << 33;
	ur.variants = variants;
	ur.n_variants = 2;
	ur.request_id = "update-1";
	env.body_case = MNEMO__ENVELOPE__BODY_UNIT_UPDATE_REQUEST;
	env.unit_update_request = &ur;
	got = roundtrip(&env);
	if (got != NULL) {
		CHECK(got->unit_update_request->id == 1ull << 33);
		CHECK_INT(got->unit_update_request->n_variants, 2);
		CHECK_INT(got->unit_update_request->n_meta, 0);
	}

	mnemo_msg_envelope_init(&env, 44);
	mnemo__unit_delete_request__init(&dr);
	dr.id = 17;
	dr.request_id = "delete-17";
	env.body_case = MNEMO__ENVELOPE__BODY_UNIT_DELETE_REQUEST;
	env.unit_delete_request = &dr;
	got = roundtrip(&env);
	if (got != NULL) {
		CHECK_INT(got->unit_delete_request->id, 17);
		CHECK_STR(got->unit_delete_request->request_id, "delete-17");
	}

	mnemo_msg_envelope_init(&env, 45);
	mnemo__unit_get_request__init(&gr);
	gr.id = 0; /* a default value: not on the wire, the body is still there */
	env.body_case = MNEMO__ENVELOPE__BODY_UNIT_GET_REQUEST;
	env.unit_get_request = &gr;
	got = roundtrip(&env);
	if (got != NULL) {
		CHECK_INT(got->unit_get_request->id, 0);
	}

	mnemo_msg_envelope_init(&env, 46);
	mnemo__updates_request__init(&upr);
	upr.since = 99;
	upr.max = 10000;
	upr.wait_ms = 30000;
	env.body_case = MNEMO__ENVELOPE__BODY_UPDATES_REQUEST;
	env.updates_request = &upr;
	got = roundtrip(&env);
	if (got != NULL) {
		CHECK_INT(got->updates_request->since, 99);
		CHECK_INT(got->updates_request->max, 10000);
		CHECK_INT(got->updates_request->wait_ms, 30000);
	}

	mnemo_msg_envelope_init(&env, 47);
	mnemo__snapshot_request__init(&snr);
	snr.after_id = 5;
	snr.max = 2;
	env.body_case = MNEMO__ENVELOPE__BODY_SNAPSHOT_REQUEST;
	env.snapshot_request = &snr;
	got = roundtrip(&env);
	if (got != NULL) {
		CHECK_INT(got->snapshot_request->after_id, 5);
	}

	status_init(&env, 48, &str);
	got = roundtrip(&env);
	CHECK(got != NULL && got->status_request != NULL);

	CHECK(mnemo_msg_new_request_id() != 0);
	CHECK(mnemo_msg_new_request_id() != mnemo_msg_new_request_id());
}

/* ---- the validation walk -------------------------------------------------------------- */

static void
test_cut(void)
{
	struct unit_add add;
	Mnemo__Envelope *got;
	struct mnemo_fault f;
	uint8_t buf[1024];
	size_t len, refused = 0;

	unit_add_init(&add, 0xdeadbeefcafe, "Les pourparlers ont repris à Moscou.");
	len = protobuf_c_message_pack(&add.env.base, buf);
	for (size_t cut = 0; cut < len; cut++) {
		int r = decode(buf, cut, &mnemo_msg_client_limits, &got, &f);

		refused += r < 0;
		CHECK_MSG(r < 0 && f.code == MNEMO__ERROR_CODE__ERROR_CODE_MALFORMED_MESSAGE,
			  "cut at %zu of %zu: r=%d code=%s", cut, len, r,
			  mnemo_msg_code_name(f.code));
	}
	CHECK_INT(refused, len);
	CHECK_INT(decode(buf, len, &mnemo_msg_client_limits, &got, &f), 0);
}

/* Bad sequences patched over the five '#' of "Bon#####jour" in one string field. */
static const struct {
	const char *bytes;
	size_t len;
} bad_utf8[] = {
	{"\xC3\x28", 2},             /* a lead byte without its continuation */
	{"\xFF\xFE", 2},             /* bytes never used in UTF-8 */
	{"\xC0\xAF", 2},             /* overlong '/' */
	{"\xED\xA0\x80", 3},         /* a UTF-16 surrogate */
	{"\xF8\x88\x80\x80\x80", 5}, /* the old five-byte form */
	{"\xF4\x90\x80\x80", 4},     /* above U+10FFFF */
	{"\xE2\x82", 2},             /* a three-byte sequence cut short */
	{"\x00", 1},                 /* NUL: would cut the C string */
};

static void
check_bad_text(const Mnemo__Envelope *env, const char *path)
{
	static const char *const good[] = {"\xC3\xA9", "\xF0\x9F\x98\x80", "\xF4\x8F\xBF\xBF"};
	uint8_t buf[2048], copy[2048];
	size_t len = protobuf_c_message_pack(&env->base, buf);
	uint8_t *mark = memmem(buf, len, "#####", 5);
	Mnemo__Envelope *got;
	struct mnemo_fault f;

	CHECK_MSG(mark != NULL, "no marker for %s", path);
	if (mark == NULL) {
		return;
	}
	for (size_t i = 0; i < sizeof(bad_utf8) / sizeof(bad_utf8[0]); i++) {
		int r;

		memcpy(copy, buf, len);
		memset(copy + (mark - buf), 'a', 5);
		memcpy(copy + (mark - buf), bad_utf8[i].bytes, bad_utf8[i].len);
		r = decode(copy, len, &mnemo_msg_client_limits, &got, &f);
		CHECK_MSG(r == -EILSEQ && f.code == MNEMO__ERROR_CODE__ERROR_CODE_INVALID_UTF8,
			  "%s, sequence %zu: r=%d code=%s", path, i, r,
			  mnemo_msg_code_name(f.code));
		CHECK_STR(f.field, path);
		CHECK_INT(f.offset, 3);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		memcpy(copy, buf, len);
		memset(copy + (mark - buf), 'a', 5);
		memcpy(copy + (mark - buf), good[i], strlen(good[i]));
		CHECK_MSG(decode(copy, len, &mnemo_msg_client_limits, &got, &f) == 0, "%s: %s",
			  path, f.message);
	}
}

static void
test_utf8(void)
{
	static const char marked[] = "Bon#####jour";
	Mnemo__Envelope env;
	Mnemo__SegmentRequest sr;
	Mnemo__LookupRequest lr;
	char *segments[] = {"Le chat.", (char *)marked};
	struct unit_add add;
	struct deep deep;

	mnemo_msg_envelope_init(&env, 1);
	mnemo__segment_request__init(&sr);
	sr.text = (char *)marked;
	env.body_case = MNEMO__ENVELOPE__BODY_SEGMENT_REQUEST;
	env.segment_request = &sr;
	check_bad_text(&env, "segment_request.text");

	mnemo__lookup_request__init(&lr);
	lr.segments = segments;
	lr.n_segments = 2;
	env.body_case = MNEMO__ENVELOPE__BODY_LOOKUP_REQUEST;
	env.lookup_request = &lr;
	check_bad_text(&env, "lookup_request.segments");

	unit_add_init(&add, 2, marked);
	check_bad_text(&add.env, "unit_add_request.variants.value");
	unit_add_init(&add, 2, "Bonjour.");
	add.en.key = (char *)marked;
	check_bad_text(&add.env, "unit_add_request.variants.key");
	unit_add_init(&add, 2, "Bonjour.");
	add.origin.value = (char *)marked;
	check_bad_text(&add.env, "unit_add_request.meta.value");
	unit_add_init(&add, 2, "Bonjour.");
	add.req.request_id = (char *)marked;
	check_bad_text(&add.env, "unit_add_request.request_id");

	deep_init(&deep, marked);
	check_bad_text(&deep.env, "updates_reply.updates.unit.variants.value");
}

/* An Envelope (version 1) with `copies` body fields `field`, each holding n entries. */
static uint8_t *
flood(unsigned field, const uint8_t *entry, size_t entry_len, size_t n, size_t copies,
      size_t *ret_len)
{
	uint8_t *buf = malloc(16 + copies * (16 + n * entry_len)), *p = buf;

	*p++ = 0x08;
	*p++ = 0x01;
	for (size_t c = 0; c < copies; c++) {
		p += put_varint(p, (uint64_t)field << 3 | 2);
		p += put_varint(p, (uint64_t)(n * entry_len));
		for (size_t i = 0; i < n; i++) {
			memcpy(p, entry, entry_len);
			p += entry_len;
		}
	}
	*ret_len = (size_t)(p - buf);
	return buf;
}

static void
test_limits(void)
{
	static const uint8_t empty_segment[] = {0x12, 0x00}; /* LookupRequest.segments = "" */
	static const uint8_t empty_variant[] = {0x0a, 0x00}; /* UnitAddRequest.variants {} */
	struct mnemo_msg_limits lim = mnemo_msg_client_limits;
	Mnemo__Envelope *got;
	struct mnemo_fault f;
	struct deep deep;
	uint8_t buf[1024];
	size_t len;
	uint8_t *p;
	int r;

	/* A flood one over max_list is refused by the walk, before anything is unpacked: a
	 * fresh arena holds at most its first chunk (unpacked, the flood would take megabytes). */
	for (int i = 0; i < 2; i++) {
		struct mnemo_arena fresh;

		mnemo_arena_init(&fresh, mnemo_msg_arena_limit(&lim));
		mnemo_fault_clear(&f);
		if (i == 0) {
			p = flood(13, empty_segment, 2, lim.max_list + 1, 1, &len);
		} else {
			p = flood(15, empty_variant, 2, lim.max_list + 1, 1, &len);
		}
		r = mnemo_msg_decode(p, len, &lim, &fresh, &got, &f);
		CHECK_INT(r, -EMSGSIZE);
		CHECK_INT(f.code, MNEMO__ERROR_CODE__ERROR_CODE_TOO_LARGE);
		CHECK_MSG(strstr(f.field, i == 0 ? "segments" : "variants") != NULL, "field '%s'",
			  f.field);
		CHECK_MSG(fresh.used_bytes <= 16 * 1024, "arena used %zu bytes", fresh.used_bytes);
		mnemo_arena_fini(&fresh);
		free(p);
	}

	/* Exactly max_list entries are fine. */
	lim.max_list = 1000;
	p = flood(13, empty_segment, 2, 1000, 1, &len);
	r = decode(p, len, &lim, &got, &f);
	CHECK_INT(r, 0);
	CHECK(r == 0 && got->lookup_request->n_segments == 1000);
	free(p);
	p = flood(13, empty_segment, 2, 1001, 1, &len);
	CHECK_INT(decode(p, len, &lim, &got, &f), -EMSGSIZE);
	free(p);

	/* Three bodies of max_list entries each: refused, or (protobuf-c keeps the last member
	 * of a oneof) never more than max_list entries. */
	p = flood(13, empty_segment, 2, 1000, 3, &len);
	r = decode(p, len, &lim, &got, &f);
	CHECK_MSG(r < 0 || got->lookup_request->n_segments <= lim.max_list, "%zu segments",
		  got->lookup_request->n_segments);
	free(p);

	/* BUG: the walk counts a list's entries per occurrence of the message holding it, but
	 * protobuf-c merges repeated occurrences of a singular message field (Update.unit)
	 * into one, so three `unit` fields of max_list variants each decode into one Unit of
	 * 3 * max_list variants. */
	{
		size_t n = 1000;

		p = malloc(16 + 3 * (4 + 2 * n));
		len = 0;
		p[len++] = 0x08;
		p[len++] = 0x01;
		p[len++] = 0xba; /* field 23 (update), wire type 2 */
		p[len++] = 0x01;
		len += put_varint(p + len, 3 * (1 + 2 + 2 * n));
		for (int c = 0; c < 3; c++) {
			p[len++] = 0x1a; /* field 3 (unit), wire type 2, 2000 bytes */
			len += put_varint(p + len, 2 * n);
			for (size_t i = 0; i < n; i++) {
				p[len++] = 0x12; /* field 2 (variants), an empty entry */
				p[len++] = 0x00;
			}
		}
		r = decode(p, len, &lim, &got, &f);
		CHECK_MSG(r < 0 || got->update->unit->n_variants <= lim.max_list,
			  "BUG: a Unit with %zu variants decoded with max_list %u",
			  got->update->unit->n_variants, lim.max_list);
		free(p);
	}

	/* Nesting: an Update's Unit's variant sits four messages deep in the Envelope. */
	deep_init(&deep, "Bonjour.");
	len = protobuf_c_message_pack(&deep.env.base, buf);
	lim = mnemo_msg_client_limits;
	lim.max_depth = 4;
	CHECK_INT(decode(buf, len, &lim, &got, &f), 0);
	lim.max_depth = 3;
	r = decode(buf, len, &lim, &got, &f);
	CHECK_INT(r, -EMSGSIZE);
	CHECK_INT(f.code, MNEMO__ERROR_CODE__ERROR_CODE_TOO_LARGE);
	CHECK_STR(f.field, "updates_reply.updates.unit.variants");

	/* The message size: the limit itself passes, one byte more does not. */
	lim = mnemo_msg_client_limits;
	lim.max_message_bytes = len;
	CHECK_INT(decode(buf, len, &lim, &got, &f), 0);
	lim.max_message_bytes = len - 1;
	r = decode(buf, len, &lim, &got, &f);
	CHECK_INT(r, -EMSGSIZE);
	CHECK_INT(f.code, MNEMO__ERROR_CODE__ERROR_CODE_TOO_LARGE);
}

static void
expect_code(const void *data, size_t len, Mnemo__ErrorCode code, const char *what)
{
	Mnemo__Envelope *got;
	struct mnemo_fault f;
	int r = decode(data, len, &mnemo_msg_client_limits, &got, &f);

	CHECK_MSG(r < 0 && f.code == code, "%s: r=%d code=%s (%s)", what, r,
		  mnemo_msg_code_name(f.code), f.message);
	CHECK_INT(r, mnemo_msg_errno_from_code(code));
}

static void
test_framing(void)
{
	/* version 1, then a StatusRequest (field 27) */
	static const uint8_t status[] = {0x08, 0x01, 0xda, 0x01, 0x00};
	Mnemo__Envelope env, *got;
	Mnemo__StatusRequest sr;
	struct mnemo_fault f;
	uint8_t buf[256], *p;
	size_t len;

	CHECK_INT(decode(status, sizeof(status), &mnemo_msg_client_limits, &got, &f), 0);
	CHECK_INT(got->body_case, MNEMO__ENVELOPE__BODY_STATUS_REQUEST);

	expect_code("", 0, MNEMO__ERROR_CODE__ERROR_CODE_MALFORMED_MESSAGE, "empty");
	expect_code("bonjour", 7, MNEMO__ERROR_CODE__ERROR_CODE_MALFORMED_MESSAGE, "text");
	/* A segment request (field 11) announcing 5 bytes with 3 left */
	expect_code("\x08\x01\x5a\x05\x0a\x01\x61", 7,
		    MNEMO__ERROR_CODE__ERROR_CODE_MALFORMED_MESSAGE, "length past the end");
	expect_code("\x08\x01\x5a\xff\xff\xff\xff\x0f\x0a", 9,
		    MNEMO__ERROR_CODE__ERROR_CODE_MALFORMED_MESSAGE, "length of 4 GiB");
	expect_code("\x08\x01\x5a\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01\x00", 14,
		    MNEMO__ERROR_CODE__ERROR_CODE_MALFORMED_MESSAGE, "length near 2^64");
	/* Wire types 3, 4 (groups), 6 and 7, on an unknown field (5) and a known one (1) */
	for (uint8_t wt = 3; wt <= 7; wt++) {
		uint8_t unknown[] = {0x08, 0x01, (uint8_t)(5 << 3 | wt), 0x00, 0xda, 0x01, 0x00};
		uint8_t known[] = {(uint8_t)(1 << 3 | wt), 0x01, 0xda, 0x01, 0x00};
		char what[64];

		if (wt == 5) {
			continue; /* fixed32: a valid wire type */
		}
		snprintf(what, sizeof(what), "wire type %u", wt);
		expect_code(unknown, sizeof(unknown),
			    MNEMO__ERROR_CODE__ERROR_CODE_MALFORMED_MESSAGE, what);
		expect_code(known, sizeof(known), MNEMO__ERROR_CODE__ERROR_CODE_MALFORMED_MESSAGE,
			    what);
	}
	/* A varint of 11 bytes (ten is the most a 64-bit value takes) */
	p = buf;
	*p++ = 0x10; /* request_id */
	memset(p, 0xff, 10);
	p += 10;
	*p++ = 0x01;
	*p++ = 0x08;
	*p++ = 0x01;
	memcpy(p, "\xda\x01\x00", 3);
	p += 3;
	expect_code(buf, (size_t)(p - buf), MNEMO__ERROR_CODE__ERROR_CODE_MALFORMED_MESSAGE,
		    "11-byte varint");
	/* A tag cut short, field number 0, a fixed64 cut short */
	expect_code("\x08\x01\xda", 3, MNEMO__ERROR_CODE__ERROR_CODE_MALFORMED_MESSAGE, "tag");
	expect_code("\x08\x01\x02\x00\xda\x01\x00", 7,
		    MNEMO__ERROR_CODE__ERROR_CODE_MALFORMED_MESSAGE, "field 0");
	expect_code("\x08\x01\x31\x01\x02\x03", 6, MNEMO__ERROR_CODE__ERROR_CODE_MALFORMED_MESSAGE,
		    "fixed64 cut short");
	/* A known field with the wrong wire type: version as a string */
	expect_code("\x0a\x01\x01\xda\x01\x00", 6, MNEMO__ERROR_CODE__ERROR_CODE_MALFORMED_MESSAGE,
		    "version as a string");

	/* The header: version 0 (absent) and 2, no body */
	status_init(&env, 5, &sr);
	env.version = 0;
	len = protobuf_c_message_pack(&env.base, buf);
	expect_code(buf, len, MNEMO__ERROR_CODE__ERROR_CODE_UNSUPPORTED_VERSION, "version 0");
	env.version = 2;
	len = protobuf_c_message_pack(&env.base, buf);
	expect_code(buf, len, MNEMO__ERROR_CODE__ERROR_CODE_UNSUPPORTED_VERSION, "version 2");
	decode(buf, len, &mnemo_msg_client_limits, &got, &f);
	CHECK_STR(f.field, "version");
	expect_code("\x08\x01\x10\x05", 4, MNEMO__ERROR_CODE__ERROR_CODE_MALFORMED_MESSAGE,
		    "no body");
	decode("\x08\x01\x10\x05", 4, &mnemo_msg_client_limits, &got, &f);
	CHECK_STR(f.field, "body");

	/* Unknown fields of every valid wire type, in the envelope and in the body, are
	 * skipped; their content is not text, so any bytes are fine. */
	p = buf;
	memcpy(p, "\x08\x01", 2);
	p += 2;
	memcpy(p, "\xa0\x06\x96\x01", 4); /* field 100, varint */
	p += 4;
	memcpy(p, "\xa9\x06\x01\x02\x03\x04\x05\x06\x07\x08", 10); /* field 101, fixed64 */
	p += 10;
	memcpy(p, "\xb2\x06\x03\xff\x00\xfe", 6); /* field 102, bytes */
	p += 6;
	memcpy(p, "\xbd\x06\x01\x02\x03\x04", 6); /* field 103, fixed32 */
	p += 6;
	/* segment_request { text = "Bonjour"; field 9 = "\xff" } */
	memcpy(p,
	       "\x5a\x0c\x0a\x07"
	       "Bonjour"
	       "\x4a\x01\xff",
	       14);
	p += 14;
	CHECK_INT(decode(buf, (size_t)(p - buf), &mnemo_msg_client_limits, &got, &f), 0);
	if (got != NULL && got->body_case == MNEMO__ENVELOPE__BODY_SEGMENT_REQUEST) {
		CHECK_STR(got->segment_request->text, "Bonjour");
		CHECK_STR(got->segment_request->lang, "");
	}
}

static void
test_encode(void)
{
	static char text[2001];
	Mnemo__Envelope env;
	Mnemo__SegmentRequest sr;
	nng_msg *msg = NULL;
	size_t size;

	memset(text, 'a', sizeof(text) - 1);
	mnemo_msg_envelope_init(&env, 9);
	mnemo__segment_request__init(&sr);
	sr.text = text;
	env.body_case = MNEMO__ENVELOPE__BODY_SEGMENT_REQUEST;
	env.segment_request = &sr;
	size = protobuf_c_message_get_packed_size(&env.base);
	CHECK_INT(mnemo_msg_encode(&env, 1000, &msg), -EMSGSIZE);
	CHECK(msg == NULL);
	CHECK_INT(mnemo_msg_encode(&env, size - 1, &msg), -EMSGSIZE);
	CHECK_INT(mnemo_msg_encode(&env, size, &msg), 0);
	CHECK(msg != NULL && nng_msg_len(msg) == size);
	nng_msg_free(msg);
}

/* ---- error codes ---------------------------------------------------------------------- */

static void
test_codes(void)
{
	static const struct {
		Mnemo__ErrorCode code;
		const char *name;
		int err;
	} table[] = {
		{MNEMO__ERROR_CODE__ERROR_CODE_INVALID_REQUEST, "invalid_request", -EINVAL},
		{MNEMO__ERROR_CODE__ERROR_CODE_INVALID_JSON, "invalid_json", -EINVAL},
		{MNEMO__ERROR_CODE__ERROR_CODE_INVALID_UTF8, "invalid_utf8", -EILSEQ},
		{MNEMO__ERROR_CODE__ERROR_CODE_MISSING_FIELD, "missing_field", -EINVAL},
		{MNEMO__ERROR_CODE__ERROR_CODE_WRONG_TYPE, "wrong_type", -EINVAL},
		{MNEMO__ERROR_CODE__ERROR_CODE_UNKNOWN_FIELD, "unknown_field", -EINVAL},
		{MNEMO__ERROR_CODE__ERROR_CODE_TOO_LARGE, "too_large", -EMSGSIZE},
		{MNEMO__ERROR_CODE__ERROR_CODE_NOT_FOUND, "not_found", -ENOENT},
		{MNEMO__ERROR_CODE__ERROR_CODE_METHOD_NOT_ALLOWED, "method_not_allowed", 0},
		{MNEMO__ERROR_CODE__ERROR_CODE_CONFLICT, "conflict", -EEXIST},
		{MNEMO__ERROR_CODE__ERROR_CODE_UNAVAILABLE, "unavailable", -EAGAIN},
		{MNEMO__ERROR_CODE__ERROR_CODE_TIMEOUT, "timeout", -ETIMEDOUT},
		{MNEMO__ERROR_CODE__ERROR_CODE_INTERNAL, "internal", -EIO},
		{MNEMO__ERROR_CODE__ERROR_CODE_UNSUPPORTED_VERSION, "unsupported_version",
		 -ENOTSUP},
		{MNEMO__ERROR_CODE__ERROR_CODE_INVALID_LANG, "invalid_lang", -EINVAL},
		{MNEMO__ERROR_CODE__ERROR_CODE_MALFORMED_MESSAGE, "malformed_message", -EPROTO},
		{MNEMO__ERROR_CODE__ERROR_CODE_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
		 -EINVAL},
		{MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "invalid_value", -EINVAL},
	};
	/* errnos with a code of their own map there and back */
	static const int own[] = {EINVAL, EILSEQ,    EMSGSIZE, ENOENT, EEXIST,
				  EAGAIN, ETIMEDOUT, ENOTSUP,  EPROTO};
	Mnemo__Envelope env, *got;
	struct mnemo_fault f, big;
	char long_name[600];
	nng_msg *msg;

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		int err = mnemo_msg_errno_from_code(table[i].code);

		CHECK_STR(mnemo_msg_code_name(table[i].code), table[i].name);
		CHECK_MSG(err < 0, "%s -> %d", table[i].name, err);
		if (table[i].err != 0) {
			CHECK_INT(err, table[i].err);
		}
		/* whatever errno a fault returns, mapping it back gives a code with that errno */
		CHECK_INT(mnemo_msg_errno_from_code(mnemo_msg_code_from_errno(err)), err);
	}
	CHECK_STR(mnemo_msg_code_name(MNEMO__ERROR_CODE__ERROR_CODE_UNSPECIFIED), "unspecified");
	CHECK_STR(mnemo_msg_code_name((Mnemo__ErrorCode)999), "unspecified");
	CHECK(mnemo_msg_errno_from_code((Mnemo__ErrorCode)999) < 0);
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
		CHECK_INT(mnemo_msg_errno_from_code(mnemo_msg_code_from_errno(-own[i])), -own[i]);
	}
	CHECK_INT(mnemo_msg_code_from_errno(-E2BIG), MNEMO__ERROR_CODE__ERROR_CODE_TOO_LARGE);
	CHECK_INT(mnemo_msg_code_from_errno(-ECONNREFUSED),
		  MNEMO__ERROR_CODE__ERROR_CODE_UNAVAILABLE);
	CHECK_INT(mnemo_msg_code_from_errno(-ESHUTDOWN), MNEMO__ERROR_CODE__ERROR_CODE_UNAVAILABLE);
	CHECK_INT(mnemo_msg_code_from_errno(-ENOMEM), MNEMO__ERROR_CODE__ERROR_CODE_INTERNAL);
	CHECK_INT(mnemo_msg_code_from_errno(-EIO), MNEMO__ERROR_CODE__ERROR_CODE_INTERNAL);

	/* A fault, and the Error reply made of it */
	mnemo_fault_clear(&f);
	CHECK_INT(f.code, MNEMO__ERROR_CODE__ERROR_CODE_UNSPECIFIED);
	CHECK_INT(f.offset, -1);
	CHECK_INT(mnemo_fault_set(&f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_UTF8, "variants.fr", 12,
				  "bad byte at %d", 12),
		  -EILSEQ);
	mnemo_arena_reset(&arena);
	mnemo_msg_envelope_init(&env, 321);
	CHECK_INT(mnemo_msg_set_error(&env, &arena, &f), 0);
	CHECK_INT(env.body_case, MNEMO__ENVELOPE__BODY_ERROR);
	CHECK_INT(mnemo_msg_encode(&env, 1024, &msg), 0);
	CHECK_INT(decode(nng_msg_body(msg), nng_msg_len(msg), &mnemo_msg_client_limits, &got, &f),
		  0);
	nng_msg_free(msg);
	if (got != NULL && got->body_case == MNEMO__ENVELOPE__BODY_ERROR) {
		CHECK_INT(got->request_id, 321);
		CHECK_INT(got->error->code, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_UTF8);
		CHECK_STR(got->error->field, "variants.fr");
		CHECK_INT(got->error->offset, 12);
		CHECK_STR(got->error->message, "bad byte at 12");
	}
	/* Over-long names and messages are cut, not overflowed; NULL field means none. */
	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	mnemo_fault_set(&big, MNEMO__ERROR_CODE__ERROR_CODE_INTERNAL, long_name, -1, "%s",
			long_name);
	CHECK_INT(strlen(big.field), sizeof(big.field) - 1);
	CHECK_INT(strlen(big.message), sizeof(big.message) - 1);
	mnemo_fault_set(&big, MNEMO__ERROR_CODE__ERROR_CODE_INTERNAL, NULL, -1, "x");
	CHECK_STR(big.field, "");
	/* An arena out of room: -ENOMEM */
	{
		struct mnemo_arena tiny;

		mnemo_arena_init(&tiny, 16);
		mnemo_msg_envelope_init(&env, 1);
		CHECK_INT(mnemo_msg_set_error(&env, &tiny, &f), -ENOMEM);
		mnemo_arena_fini(&tiny);
	}
}

/* ---- request/reply over inproc:// ------------------------------------------------------ */

enum { BIG_REPLY_ID = 7, NOT_FOUND_ID = 404, BARE_ENOENT_ID = 405, NO_MEMORY_ID = 500 };

static int
handler(void *arg, const Mnemo__Envelope *req, Mnemo__Envelope *reply, struct mnemo_arena *a,
	struct mnemo_fault *f)
{
	atomic_int *calls = arg;
	Mnemo__SegmentReply *sr;
	Mnemo__Segment *seg;
	uint64_t id;

	atomic_fetch_add(calls, 1);
	switch (req->body_case) {
	case MNEMO__ENVELOPE__BODY_SEGMENT_REQUEST:
		/* echoes the text as one segment */
		sr = mnemo_arena_alloc(a, sizeof(*sr));
		seg = mnemo_arena_alloc(a, sizeof(*seg));
		if (sr == NULL || seg == NULL) {
			return -ENOMEM;
		}
		mnemo__segment_reply__init(sr);
		mnemo__segment__init(seg);
		seg->text = mnemo_arena_strdup(a, req->segment_request->text);
		seg->kind = MNEMO__SEGMENT_KIND__SEGMENT_KIND_SENTENCE;
		sr->lang = "fr";
		sr->segments = mnemo_arena_alloc(a, sizeof(*sr->segments));
		if (seg->text == NULL || sr->segments == NULL) {
			return -ENOMEM;
		}
		sr->segments[0] = seg;
		sr->n_segments = 1;
		reply->body_case = MNEMO__ENVELOPE__BODY_SEGMENT_REPLY;
		reply->segment_reply = sr;
		return 0;
	case MNEMO__ENVELOPE__BODY_UNIT_GET_REQUEST:
		id = req->unit_get_request->id;
		if (id == NOT_FOUND_ID) {
			return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_NOT_FOUND, "id", -1,
					       "no unit %d", NOT_FOUND_ID);
		}
		if (id == BARE_ENOENT_ID) {
			return -ENOENT; /* no fault: the server makes one of the errno */
		}
		if (id == NO_MEMORY_ID) {
			return -ENOMEM;
		}
		if (id == BIG_REPLY_ID) {
			Mnemo__Unit *u = mnemo_arena_alloc(a, sizeof(*u));
			char *big = mnemo_arena_alloc(a, 8001);

			if (u == NULL || big == NULL) {
				return -ENOMEM;
			}
			mnemo__unit__init(u);
			memset(big, 'z', 8000);
			big[8000] = '\0';
			u->id = id;
			u->meta = mnemo_arena_alloc(a, sizeof(*u->meta));
			u->meta[0] = mnemo_arena_alloc(a, sizeof(*u->meta[0]));
			mnemo__unit__meta_entry__init(u->meta[0]);
			u->meta[0]->key = "big";
			u->meta[0]->value = big;
			u->n_meta = 1;
			reply->body_case = MNEMO__ENVELOPE__BODY_UNIT;
			reply->unit = u;
			return 0;
		}
		return -EINVAL;
	default:
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_REQUEST, "body", -1,
				       "not served here");
	}
}

struct pair {
	char url[64];
	nng_socket rep, req;
	struct mnemo_msg_server *srv;
	struct mnemo_msg_limits lim;
	atomic_int calls;
	struct mnemo_msg_peers peers;
};

static int
pair_start(struct pair *p, unsigned n_threads, size_t max_message_bytes)
{
	struct mnemo_msg_socket_config sc = {.max_message_bytes = max_message_bytes};
	int r;

	unique_url(p->url, sizeof(p->url), "rpc");
	p->lim = mnemo_msg_client_limits;
	p->lim.max_message_bytes = max_message_bytes;
	atomic_store(&p->calls, 0);
	r = mnemo_msg_socket_open(MNEMO_MSG_REP, &sc, &p->rep);
	if (r == 0) {
		r = mnemo_msg_track_peers(p->rep, &p->peers);
	}
	if (r == 0) {
		r = mnemo_msg_listen(p->rep, p->url);
	}
	if (r == 0) {
		r = mnemo_msg_server_start(p->rep, n_threads, &p->lim, "test-msg", handler,
					   &p->calls, &p->srv);
	}
	if (r == 0) {
		r = mnemo_msg_socket_open(MNEMO_MSG_REQ, &sc, &p->req);
	}
	if (r == 0) {
		r = mnemo_msg_dial(p->req, p->url);
	}
	CHECK_MSG(r == 0, "%s: %s", p->url, mnemo_strerror(r));
	return r;
}

static int
call_segment(nng_socket req, uint64_t id, const char *text, uint32_t timeout_ms,
	     const struct mnemo_msg_limits *lim, struct mnemo_arena *a, Mnemo__Envelope **ret,
	     struct mnemo_fault *f)
{
	Mnemo__Envelope env;
	Mnemo__SegmentRequest sr;

	mnemo_msg_envelope_init(&env, id);
	mnemo__segment_request__init(&sr);
	sr.text = (char *)text;
	env.body_case = MNEMO__ENVELOPE__BODY_SEGMENT_REQUEST;
	env.segment_request = &sr;
	mnemo_fault_clear(f);
	return mnemo_msg_call(req, &env, timeout_ms, lim, a, ret, f);
}

static Mnemo__Envelope *
call_get(struct pair *p, uint64_t request_id, uint64_t unit)
{
	Mnemo__Envelope env, *reply = NULL;
	Mnemo__UnitGetRequest gr;
	struct mnemo_fault f;
	int r;

	mnemo_msg_envelope_init(&env, request_id);
	mnemo__unit_get_request__init(&gr);
	gr.id = unit;
	env.body_case = MNEMO__ENVELOPE__BODY_UNIT_GET_REQUEST;
	env.unit_get_request = &gr;
	mnemo_fault_clear(&f);
	mnemo_arena_reset(&arena);
	r = mnemo_msg_call(p->req, &env, 2000, &p->lim, &arena, &reply, &f);
	CHECK_MSG(r == 0, "get %llu: %s (%s)", (unsigned long long)unit, mnemo_strerror(r),
		  f.message);
	if (r == 0) {
		CHECK_INT(reply->request_id, request_id);
	}
	return r == 0 ? reply : NULL;
}

static int
is_error(const Mnemo__Envelope *env, Mnemo__ErrorCode code)
{
	return env != NULL && env->body_case == MNEMO__ENVELOPE__BODY_ERROR &&
	       env->error->code == code;
}

struct caller {
	struct pair *p;
	int index;
	int ok;
};

static void *
caller_thread(void *arg)
{
	struct caller *c = arg;
	struct mnemo_arena a;

	mnemo_arena_init(&a, 1u << 20);
	for (int i = 0; i < 40; i++) {
		uint64_t id = (uint64_t)c->index << 32 | (uint64_t)i;
		char text[64];
		Mnemo__Envelope *reply = NULL;
		struct mnemo_fault f;

		snprintf(text, sizeof(text), "thread %d call %d", c->index, i);
		if (call_segment(c->p->req, id, text, 5000, &c->p->lim, &a, &reply, &f) == 0 &&
		    reply->request_id == id &&
		    reply->body_case == MNEMO__ENVELOPE__BODY_SEGMENT_REPLY &&
		    strcmp(reply->segment_reply->segments[0]->text, text) == 0) {
			c->ok++;
		}
		mnemo_arena_reset(&a);
	}
	mnemo_arena_fini(&a);
	return NULL;
}

static void
test_rpc(void)
{
	static char big_text[6000];
	struct pair p;
	Mnemo__Envelope *reply = NULL;
	const struct mnemo_msg_server_stats *st;
	struct mnemo_fault f;
	struct caller callers[8];
	pthread_t threads[8];
	uint64_t started, calls;
	int r, ok = 0;

	if (pair_start(&p, 4, 4096) < 0) {
		return;
	}
	st = mnemo_msg_server_stats(p.srv);

	/* A reply, with the request id echoed */
	mnemo_arena_reset(&arena);
	r = call_segment(p.req, 0xabcdef, "Bonjour.", 2000, &p.lim, &arena, &reply, &f);
	CHECK_MSG(r == 0, "%s (%s)", mnemo_strerror(r), f.message);
	if (r == 0) {
		CHECK_INT(reply->request_id, 0xabcdef);
		CHECK_INT(reply->body_case, MNEMO__ENVELOPE__BODY_SEGMENT_REPLY);
		CHECK_STR(reply->segment_reply->segments[0]->text, "Bonjour.");
	}

	/* Handler errors become Error replies: its own fault, or one made of the errno */
	reply = call_get(&p, 11, NOT_FOUND_ID);
	CHECK(is_error(reply, MNEMO__ERROR_CODE__ERROR_CODE_NOT_FOUND));
	if (is_error(reply, MNEMO__ERROR_CODE__ERROR_CODE_NOT_FOUND)) {
		CHECK_STR(reply->error->field, "id");
		CHECK_STR(reply->error->message, "no unit 404");
		CHECK_INT(reply->error->offset, -1);
	}
	reply = call_get(&p, 12, BARE_ENOENT_ID);
	CHECK(is_error(reply, MNEMO__ERROR_CODE__ERROR_CODE_NOT_FOUND));
	if (is_error(reply, MNEMO__ERROR_CODE__ERROR_CODE_NOT_FOUND)) {
		CHECK_STR(reply->error->message, strerror(ENOENT));
	}
	CHECK(is_error(call_get(&p, 13, NO_MEMORY_ID), MNEMO__ERROR_CODE__ERROR_CODE_INTERNAL));
	/* A reply over the server's limit becomes a TOO_LARGE error */
	CHECK(is_error(call_get(&p, 14, BIG_REPLY_ID), MNEMO__ERROR_CODE__ERROR_CODE_TOO_LARGE));
	CHECK_INT(atomic_load(&st->failed), 3);
	/* A body the handler does not serve */
	{
		Mnemo__Envelope env;
		Mnemo__StatusRequest sr;

		status_init(&env, 15, &sr);
		mnemo_arena_reset(&arena);
		r = mnemo_msg_call(p.req, &env, 2000, &p.lim, &arena, &reply, &f);
		CHECK(r == 0 && is_error(reply, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_REQUEST));
	}

	/* The poison request: over the limit, refused before it is sent */
	memset(big_text, 'p', sizeof(big_text) - 1);
	calls = (uint64_t)atomic_load(&p.calls);
	started = atomic_load(&st->requests);
	r = call_segment(p.req, 16, big_text, 2000, &p.lim, &arena, &reply, &f);
	CHECK_INT(r, -EMSGSIZE);
	CHECK_INT(atomic_load(&st->requests), started);
	CHECK_INT(atomic_load(&p.calls), calls);

	/* Bytes that are no Envelope, from a raw REQ socket: an Error reply */
	{
		nng_msg *msg = NULL;
		Mnemo__Envelope *got = NULL;

		CHECK_INT(nng_socket_set_ms(p.req, NNG_OPT_RECVTIMEO, 2000), 0);
		CHECK_INT(nng_send(p.req, "bonjour", 7, 0), 0);
		r = nng_recvmsg(p.req, &msg, 0);
		CHECK_INT(r, 0);
		if (r == 0) {
			CHECK_INT(decode(nng_msg_body(msg), nng_msg_len(msg), &p.lim, &got, &f), 0);
			CHECK(is_error(got, MNEMO__ERROR_CODE__ERROR_CODE_MALFORMED_MESSAGE));
			nng_msg_free(msg);
		}
		CHECK_INT(atomic_load(&st->rejected), 1);
	}

	/* BUG: a request the server refuses while decoding (here an unsupported version, the
	 * same for invalid UTF-8 or a list over max_list) is answered with request_id 0, so
	 * mnemo_msg_call drops the Error reply and reports -EPROTO with an INTERNAL fault
	 * "reply carries another request id": the caller never learns the real code. */
	{
		Mnemo__Envelope env;
		Mnemo__StatusRequest sr;

		status_init(&env, 17, &sr);
		env.version = 2;
		mnemo_arena_reset(&arena);
		mnemo_fault_clear(&f);
		r = mnemo_msg_call(p.req, &env, 2000, &p.lim, &arena, &reply, &f);
		CHECK_MSG((r == 0 &&
			   is_error(reply, MNEMO__ERROR_CODE__ERROR_CODE_UNSUPPORTED_VERSION)) ||
				  f.code == MNEMO__ERROR_CODE__ERROR_CODE_UNSUPPORTED_VERSION,
			  "BUG: version 2 via mnemo_msg_call: r=%d (%s), fault %s '%s'", r,
			  mnemo_strerror(r), mnemo_msg_code_name(f.code), f.message);
	}

	/* Many calls from several threads at once, each getting its own reply */
	for (int i = 0; i < 8; i++) {
		callers[i] = (struct caller){.p = &p, .index = i + 1};
		pthread_create(&threads[i], NULL, caller_thread, &callers[i]);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(threads[i], NULL);
		ok += callers[i].ok;
	}
	CHECK_INT(ok, 8 * 40);

	/* One dialer is connected; stopping an idle server is quick. */
	CHECK_INT(atomic_load(&p.peers.count), 1);
	started = now_ms();
	mnemo_msg_server_stop(p.srv);
	CHECK_MSG(now_ms() - started < 1000, "stop took %llu ms",
		  (unsigned long long)(now_ms() - started));
	p.srv = NULL;
	nng_close(p.req);
	started = now_ms();
	while (atomic_load(&p.peers.count) != 0 && now_ms() - started < 2000) {
		sleep_ms(5);
	}
	CHECK_INT(atomic_load(&p.peers.count), 0);
	nng_close(p.rep);
	mnemo_msg_server_stop(NULL);
}

static void
test_no_server(void)
{
	struct mnemo_msg_socket_config sc = {.max_message_bytes = 4096};
	struct mnemo_msg_peers peers;
	Mnemo__Envelope *reply = NULL;
	struct mnemo_fault f;
	nng_socket req, rep;
	char url[64];
	uint64_t started, took;
	struct mnemo_msg_server *srv = NULL;
	atomic_int calls = 0;
	int r;

	/* Nobody listens: the call ends at its deadline. */
	unique_url(url, sizeof(url), "nobody");
	CHECK_INT(mnemo_msg_socket_open(MNEMO_MSG_REQ, &sc, &req), 0);
	CHECK_INT(mnemo_msg_dial(req, url), 0);
	started = now_ms();
	mnemo_arena_reset(&arena);
	r = call_segment(req, 1, "Allô ?", 300, &mnemo_msg_client_limits, &arena, &reply, &f);
	took = now_ms() - started;
	CHECK_INT(r, -ETIMEDOUT);
	CHECK_MSG(took >= 250 && took < 1500, "took %llu ms", (unsigned long long)took);

	/* The peer counter sees a dialer come and go; a server started and stopped idle. */
	CHECK_INT(mnemo_msg_socket_open(MNEMO_MSG_REP, &sc, &rep), 0);
	CHECK_INT(mnemo_msg_track_peers(rep, &peers), 0);
	CHECK_INT(atomic_load(&peers.count), 0);
	CHECK_INT(mnemo_msg_listen(rep, url), 0);
	started = now_ms();
	while (atomic_load(&peers.count) != 1 && now_ms() - started < 2000) {
		sleep_ms(5);
	}
	CHECK_INT(atomic_load(&peers.count), 1);
	CHECK_INT(mnemo_msg_server_start(rep, 0, &mnemo_msg_client_limits, "test-msg", handler,
					 &calls, &srv),
		  -EINVAL);
	CHECK_INT(mnemo_msg_server_start(rep, 3, &mnemo_msg_client_limits, "test-msg", handler,
					 &calls, &srv),
		  0);
	started = now_ms();
	mnemo_msg_server_stop(srv);
	CHECK(now_ms() - started < 1000);
	CHECK_INT(atomic_load(&calls), 0);
	nng_close(req);
	started = now_ms();
	while (atomic_load(&peers.count) != 0 && now_ms() - started < 2000) {
		sleep_ms(5);
	}
	CHECK_INT(atomic_load(&peers.count), 0);
	nng_close(rep);
}

/* ---- the lossless feed ---------------------------------------------------------------- */

enum { MAX_UPDATES = 128 };

/* The store's side: every update that exists, served by fetch up to `committed`. */
struct fake_store {
	Mnemo__Update updates[MAX_UPDATES + 1]; /* by seq */
	Mnemo__Unit units[MAX_UPDATES + 1];
	atomic_ullong committed;
	uint32_t page;
	atomic_int fetches;
	atomic_int fail_fetches; /* the next ones fail with -EAGAIN */

	pthread_mutex_t lock; /* the applied seqs */
	uint64_t applied[4 * MAX_UPDATES];
	size_t n_applied;

	char url[64];
	nng_socket pub;
	struct mnemo_msg_peers peers;
};

static int
fake_fetch(void *arg, uint64_t since, struct mnemo_arena *a, Mnemo__UpdatesReply **ret)
{
	struct fake_store *s = arg;
	uint64_t last = atomic_load(&s->committed);
	Mnemo__UpdatesReply *reply;

	atomic_fetch_add(&s->fetches, 1);
	if (atomic_load(&s->fail_fetches) > 0) {
		atomic_fetch_sub(&s->fail_fetches, 1);
		return -EAGAIN;
	}
	reply = mnemo_arena_alloc(a, sizeof(*reply));
	if (reply == NULL) {
		return -ENOMEM;
	}
	mnemo__updates_reply__init(reply);
	reply->updates = mnemo_arena_alloc(a, s->page * sizeof(*reply->updates));
	if (reply->updates == NULL) {
		return -ENOMEM;
	}
	for (uint64_t seq = since + 1; seq <= last && reply->n_updates < s->page; seq++) {
		reply->updates[reply->n_updates++] = &s->updates[seq];
	}
	reply->last_seq = last;
	*ret = reply;
	return 0;
}

static int
fake_apply(void *arg, const Mnemo__Update *u)
{
	struct fake_store *s = arg;

	pthread_mutex_lock(&s->lock);
	if (s->n_applied < sizeof(s->applied) / sizeof(s->applied[0])) {
		s->applied[s->n_applied++] = u->seq;
	}
	pthread_mutex_unlock(&s->lock);
	return 0;
}

static const struct mnemo_feed_ops fake_ops = {fake_fetch, fake_apply};

static void
fake_init(struct fake_store *s, uint32_t page, int with_pub)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	s->page = page;
	for (uint64_t seq = 1; seq <= MAX_UPDATES; seq++) {
		mnemo__unit__init(&s->units[seq]);
		s->units[seq].id = seq;
		s->units[seq].seq = seq;
		mnemo__update__init(&s->updates[seq]);
		s->updates[seq].seq = seq;
		s->updates[seq].op = MNEMO__CHANGE_OP__CHANGE_OP_ADD;
		s->updates[seq].unit = &s->units[seq];
	}
	if (with_pub) {
		struct mnemo_msg_socket_config sc = {.max_message_bytes = 1u << 20};

		unique_url(s->url, sizeof(s->url), "feed");
		CHECK_INT(mnemo_msg_socket_open(MNEMO_MSG_PUB, &sc, &s->pub), 0);
		CHECK_INT(mnemo_msg_track_peers(s->pub, &s->peers), 0);
		CHECK_INT(mnemo_msg_listen(s->pub, s->url), 0);
	}
}

static void
fake_fini(struct fake_store *s)
{
	if (s->url[0] != '\0') {
		nng_close(s->pub);
	}
	pthread_mutex_destroy(&s->lock);
}

static void
publish_update(struct fake_store *s, uint64_t seq)
{
	Mnemo__Envelope env;

	mnemo_msg_envelope_init(&env, 0);
	env.body_case = MNEMO__ENVELOPE__BODY_UPDATE;
	env.update = &s->updates[seq];
	CHECK_INT(mnemo_msg_publish(s->pub, &env, 1u << 20), 0);
}

static void
publish_heartbeat(struct fake_store *s, uint64_t last_seq)
{
	Mnemo__Envelope env;
	Mnemo__Heartbeat hb;

	mnemo_msg_envelope_init(&env, 0);
	mnemo__heartbeat__init(&hb);
	hb.last_seq = last_seq;
	env.body_case = MNEMO__ENVELOPE__BODY_HEARTBEAT;
	env.heartbeat = &hb;
	CHECK_INT(mnemo_msg_publish(s->pub, &env, 1u << 20), 0);
}

static struct mnemo_feed *
feed_start(struct fake_store *s, uint64_t from_seq, uint32_t stale_ms)
{
	struct mnemo_feed_config cfg = {.sub_url = s->url[0] != '\0' ? s->url : NULL,
					.from_seq = from_seq,
					.stale_ms = stale_ms,
					.lim = mnemo_msg_internal_limits};
	struct mnemo_feed *feed = NULL;
	uint64_t started = now_ms();
	int r = mnemo_feed_start(&cfg, &fake_ops, s, &feed);

	CHECK_MSG(r == 0, "feed: %s", mnemo_strerror(r));
	if (r == 0 && cfg.sub_url != NULL) {
		/* pub/sub drops what is sent before the subscriber is connected */
		while (atomic_load(&s->peers.count) < 1 && now_ms() - started < 2000) {
			sleep_ms(2);
		}
		CHECK(atomic_load(&s->peers.count) >= 1);
	}
	return r == 0 ? feed : NULL;
}

/* Waits (bounded) until the feed has applied seq. */
static void
feed_converge(struct mnemo_feed *feed, uint64_t seq, uint32_t timeout_ms)
{
	uint64_t deadline = now_ms() + timeout_ms;

	while (mnemo_feed_last_seq(feed) < seq && now_ms() < deadline) {
		mnemo_feed_wait(feed, mnemo_feed_last_seq(feed), 50);
	}
	CHECK_INT(mnemo_feed_last_seq(feed), seq);
}

/* Waits (bounded) until the feed has applied seq, without checking: the caller checks the
 * end result. */
static void
settle(struct mnemo_feed *feed, uint64_t seq)
{
	uint64_t deadline = now_ms() + 1000;

	while (mnemo_feed_last_seq(feed) < seq && now_ms() < deadline) {
		mnemo_feed_wait(feed, mnemo_feed_last_seq(feed), 20);
	}
}

/* Each seq of (from, to] applied once, in order, and nothing else. */
static void
check_applied(struct fake_store *s, uint64_t from, uint64_t to, const char *what)
{
	size_t wrong = 0;

	pthread_mutex_lock(&s->lock);
	CHECK_MSG(s->n_applied == to - from, "%s: %zu applied, want %llu", what, s->n_applied,
		  (unsigned long long)(to - from));
	for (size_t i = 0; i < s->n_applied; i++) {
		if (s->applied[i] != from + 1 + i) {
			if (wrong++ == 0) {
				fprintf(stderr, "%s: applied[%zu] = %llu, want %llu\n", what, i,
					(unsigned long long)s->applied[i],
					(unsigned long long)(from + 1 + i));
			}
		}
	}
	pthread_mutex_unlock(&s->lock);
	CHECK_MSG(wrong == 0, "%s: %zu out of place", what, wrong);
}

static void
test_feed_gaps(void)
{
	enum { N = 100 };
	static struct fake_store s;
	const struct mnemo_feed_stats *st;
	struct mnemo_feed *feed;

	fake_init(&s, 7, 1);
	feed = feed_start(&s, 0, 5000);
	if (feed == NULL) {
		fake_fini(&s);
		return;
	}
	/* Paced: each step waits until the feed has dealt with it, so the counts are exact. */
	for (uint64_t seq = 1; seq <= N; seq++) {
		if (seq % 20 == 4) {
			/* out of order: seq + 1 before seq (a gap, then two duplicates) */
			atomic_store(&s.committed, seq + 1);
			publish_update(&s, seq + 1);
			publish_update(&s, seq);
			settle(feed, ++seq);
			continue;
		}
		atomic_store(&s.committed, seq);
		if (seq == 6 || seq == 17 || (seq >= 30 && seq <= 33) || seq == 61) {
			continue; /* lost: the next one shows the gap */
		}
		publish_update(&s, seq);
		if (seq % 25 == 10) {
			publish_update(&s, seq); /* twice: a duplicate */
		}
		if (seq % 10 == 0) {
			publish_heartbeat(&s, seq);
		}
		settle(feed, seq);
	}
	feed_converge(feed, N, 3000);
	check_applied(&s, 0, N, "gaps");
	st = mnemo_feed_stats(feed);
	CHECK_INT(atomic_load(&st->applied), N);
	/* lost runs 6, 17, 30-33, 61 and five swapped pairs */
	CHECK_INT(atomic_load(&st->gaps), 4 + 5);
	CHECK_INT(atomic_load(&st->catch_ups), 4 + 5);
	/* 10, 35 and 60 sent twice; both of each swapped pair, and the update after each lost
	 * run, arrive after the catch-up that fetched them */
	CHECK_INT(atomic_load(&st->duplicates), 3 + 2 * 5 + 4);
	CHECK_MSG(atomic_load(&s.fetches) >= 9, "fetches %d", atomic_load(&s.fetches));
	mnemo_feed_stop(feed);
	fake_fini(&s);
}

static void *
interrupt_later(void *arg)
{
	sleep_ms(100);
	mnemo_feed_interrupt(arg);
	return NULL;
}

static void
test_feed_tail(void)
{
	enum { N = 20 };
	static struct fake_store s;
	struct mnemo_feed *feed;
	uint64_t started;

	/* The last updates are never published: a heartbeat says they exist. */
	fake_init(&s, 4, 1);
	feed = feed_start(&s, 0, 10000);
	if (feed == NULL) {
		fake_fini(&s);
		return;
	}
	for (uint64_t seq = 1; seq <= N - 3; seq++) {
		atomic_store(&s.committed, seq);
		publish_update(&s, seq);
	}
	feed_converge(feed, N - 3, 2000);
	atomic_store(&s.committed, N);
	started = now_ms();
	publish_heartbeat(&s, N);
	feed_converge(feed, N, 2000);
	CHECK_MSG(now_ms() - started < 2000, "tail took %llu ms",
		  (unsigned long long)(now_ms() - started));
	check_applied(&s, 0, N, "tail");

	/* mnemo_feed_wait: times out when nothing comes, returns early when a change does */
	started = now_ms();
	CHECK_INT(mnemo_feed_wait(feed, N, 150), N);
	CHECK_MSG(now_ms() - started >= 140, "wait returned after %llu ms",
		  (unsigned long long)(now_ms() - started));
	atomic_store(&s.committed, N + 1);
	publish_update(&s, N + 1);
	started = now_ms();
	CHECK_INT(mnemo_feed_wait(feed, N, 3000), N + 1);
	CHECK(now_ms() - started < 1500);

	/* mnemo_feed_interrupt ends a wait in progress, and every later one at once */
	{
		pthread_t t;

		started = now_ms();
		pthread_create(&t, NULL, interrupt_later, feed);
		CHECK_INT(mnemo_feed_wait(feed, N + 1, 5000), N + 1);
		CHECK_MSG(now_ms() - started < 2000, "interrupted wait took %llu ms",
			  (unsigned long long)(now_ms() - started));
		pthread_join(t, NULL);
		started = now_ms();
		CHECK_INT(mnemo_feed_wait(feed, N + 1, 5000), N + 1);
		CHECK(now_ms() - started < 500);
		mnemo_feed_interrupt(NULL);
	}
	mnemo_feed_stop(feed);

	/* A feed restarted from its last seq applies only what is new. */
	pthread_mutex_lock(&s.lock);
	s.n_applied = 0;
	pthread_mutex_unlock(&s.lock);
	atomic_store(&s.committed, N + 3);
	feed = feed_start(&s, N + 1, 10000);
	if (feed != NULL) {
		CHECK_INT(mnemo_feed_sync(feed, N + 3, 2000), 0);
		check_applied(&s, N + 1, N + 3, "restart");
		mnemo_feed_stop(feed);
	}
	fake_fini(&s);
}

static void
test_feed_silence(void)
{
	static struct fake_store s;
	struct mnemo_feed *feed;
	uint64_t started;

	/* Nothing published at all, not even heartbeats: silence makes it fetch. */
	fake_init(&s, 5, 1);
	feed = feed_start(&s, 0, 200);
	if (feed == NULL) {
		fake_fini(&s);
		return;
	}
	started = now_ms();
	atomic_store(&s.committed, 12);
	feed_converge(feed, 12, 3000);
	CHECK(now_ms() - started < 3000);
	check_applied(&s, 0, 12, "silence");
	mnemo_feed_stop(feed);
	fake_fini(&s);
}

static void
test_feed_polling(void)
{
	static struct fake_store s;
	struct mnemo_feed *feed;
	uint64_t started;

	/* No subscription, a long poll period: sync fetches at once. */
	fake_init(&s, 3, 0);
	atomic_store(&s.committed, 10);
	feed = feed_start(&s, 0, 10000);
	if (feed == NULL) {
		fake_fini(&s);
		return;
	}
	started = now_ms();
	CHECK_INT(mnemo_feed_sync(feed, 10, 2000), 0);
	CHECK_MSG(now_ms() - started < 500, "sync took %llu ms",
		  (unsigned long long)(now_ms() - started));
	CHECK_INT(mnemo_feed_last_seq(feed), 10);
	CHECK_INT(mnemo_feed_sync(feed, 10, 0), 0); /* already there */
	started = now_ms();
	CHECK_INT(mnemo_feed_sync(feed, 15, 200), -ETIMEDOUT); /* the store is not there yet */
	CHECK_MSG(now_ms() - started >= 190 && now_ms() - started < 1500, "took %llu ms",
		  (unsigned long long)(now_ms() - started));
	check_applied(&s, 0, 10, "sync");
	mnemo_feed_stop(feed);

	/* Polling only: converges on its own. */
	pthread_mutex_lock(&s.lock);
	s.n_applied = 0;
	pthread_mutex_unlock(&s.lock);
	atomic_store(&s.committed, 30);
	feed = feed_start(&s, 0, 50);
	if (feed != NULL) {
		feed_converge(feed, 30, 3000);
		atomic_store(&s.committed, 35);
		feed_converge(feed, 35, 3000);
		check_applied(&s, 0, 35, "polling");
		mnemo_feed_stop(feed);
	}
	fake_fini(&s);
}

static void
test_feed_fetch_fails(void)
{
	static struct fake_store s;
	struct mnemo_feed *feed;

	fake_init(&s, 10, 1);
	feed = feed_start(&s, 0, 300);
	if (feed == NULL) {
		fake_fini(&s);
		return;
	}
	for (uint64_t seq = 1; seq <= 2; seq++) {
		atomic_store(&s.committed, seq);
		publish_update(&s, seq);
	}
	feed_converge(feed, 2, 2000);
	/* BUG: seq 3 is lost and the fetch that should fill the gap fails once (the store
	 * restarting, say). The feed then applies 4 right after 2 ("seq jumps ... applying
	 * it") and never applies 3: retries, heartbeats and silence fetches all start after
	 * 4. A failed catch-up must not let a later seq through. */
	atomic_store(&s.fail_fetches, 1);
	atomic_store(&s.committed, 4);
	publish_update(&s, 4);
	feed_converge(feed, 4, 2000);
	publish_heartbeat(&s, 4);
	sleep_ms(700); /* room for a silence fetch */
	check_applied(&s, 0, 4, "BUG: fetch failing once");
	mnemo_feed_stop(feed);
	fake_fini(&s);
}

/* Every socket mnemo opens carries a receive-size limit (nng 1.5.2 has none by default
 * and accepts any length prefix). The services open theirs only through this function. */
static void
test_socket_limits(void)
{
	static const enum mnemo_msg_role roles[] = {MNEMO_MSG_REQ, MNEMO_MSG_REP, MNEMO_MSG_PUB,
						    MNEMO_MSG_SUB};
	struct mnemo_msg_socket_config sc = {.max_message_bytes = 123456, .resend_ms = 777};

	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		nng_socket s;
		size_t max = 0;
		nng_duration resend = 0;

		CHECK_INT(mnemo_msg_socket_open(roles[i], &sc, &s), 0);
		CHECK_INT(nng_socket_get_size(s, NNG_OPT_RECVMAXSZ, &max), 0);
		CHECK_INT(max, 123456);
		if (roles[i] == MNEMO_MSG_REQ) {
			CHECK_INT(nng_socket_get_ms(s, NNG_OPT_REQ_RESENDTIME, &resend), 0);
			CHECK_INT(resend, 777);
		}
		nng_close(s);
	}
}

int
main(void)
{
	uint64_t started = now_ms();

	mnemo_log_set_level(MNEMO_LOG_ERR);
	mnemo_arena_init(&arena, mnemo_msg_arena_limit(&mnemo_msg_client_limits));
	test_roundtrip();
	test_cut();
	test_utf8();
	test_limits();
	test_framing();
	test_encode();
	test_codes();
	test_socket_limits();
	test_rpc();
	test_no_server();
	test_feed_gaps();
	test_feed_tail();
	test_feed_silence();
	test_feed_polling();
	test_feed_fetch_fails();
	mnemo_arena_fini(&arena);
	fprintf(stderr, "test-msg: %llu ms\n", (unsigned long long)(now_ms() - started));
	return check_exit();
}
