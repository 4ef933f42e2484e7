/* common/json: the HTTP API's JSON <-> protobuf messages, through protobuf-c's descriptors. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "json.h"

static struct mnemo_arena arena;

/* ---- a message of our own: the schema has no bool, double or int32 field ---------------- */

struct knobs {
	ProtobufCMessage base;
	protobuf_c_boolean verbose;
	double ratio;
	int32_t delta;
	int op; /* mnemo.ChangeOp */
	int64_t at;
};

static void knobs_init(ProtobufCMessage *m);

static const ProtobufCFieldDescriptor knobs_fields[] = {
	{"verbose", 1, PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_BOOL, 0,
	 offsetof(struct knobs, verbose), NULL, NULL, 0, 0, NULL, NULL},
	{"ratio", 2, PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_DOUBLE, 0,
	 offsetof(struct knobs, ratio), NULL, NULL, 0, 0, NULL, NULL},
	{"delta", 3, PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_INT32, 0, offsetof(struct knobs, delta),
	 NULL, NULL, 0, 0, NULL, NULL},
	{"op", 4, PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_ENUM, 0, offsetof(struct knobs, op),
	 &mnemo__change_op__descriptor, NULL, 0, 0, NULL, NULL},
	{"at", 5, PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_INT64, 0, offsetof(struct knobs, at), NULL,
	 NULL, 0, 0, NULL, NULL},
};
static const unsigned knobs_by_name[] = {4, 2, 3, 1, 0};
static const ProtobufCIntRange knobs_ranges[] = {{1, 0}, {0, 5}};

static const ProtobufCMessageDescriptor knobs_descriptor = {
	PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC,
	"test.Knobs",
	"Knobs",
	"Knobs",
	"test",
	sizeof(struct knobs),
	5,
	knobs_fields,
	knobs_by_name,
	1,
	knobs_ranges,
	knobs_init,
	NULL,
	NULL,
	NULL,
};

static void
knobs_init(ProtobufCMessage *m)
{
	memset(m, 0, sizeof(struct knobs));
	m->descriptor = &knobs_descriptor;
}

/* ---- helpers -------------------------------------------------------------------------- */

/* Parses text and maps it to a message of type d; NULL with f set on failure. */
static ProtobufCMessage *
from_text(const char *text, const ProtobufCMessageDescriptor *d, int *ret_r, struct mnemo_fault *f)
{
	ProtobufCMessage *m = NULL;
	json_t *doc = NULL;
	int r;

	mnemo_fault_clear(f);
	r = mnemo_json_parse(text, strlen(text), &doc, f);
	if (r == 0) {
		r = mnemo_json_to_message(doc, d, &arena, &m, f);
		json_decref(doc);
	}
	if (ret_r != NULL) {
		*ret_r = r;
	}
	return r == 0 ? m : NULL;
}

static ProtobufCMessage *
must_parse(const char *text, const ProtobufCMessageDescriptor *d)
{
	struct mnemo_fault f;
	int r;
	ProtobufCMessage *m = from_text(text, d, &r, &f);

	CHECK_MSG(r == 0, "%s: %s", text, f.message);
	return m;
}

/* m as mnemo_json_write writes it, read back by jansson: NULL if either fails. */
static json_t *
written(const ProtobufCMessage *m)
{
	size_t len = 0;
	char *text = mnemo_json_write(m, NULL, &len);
	json_error_t err;
	json_t *doc = text != NULL ? json_loadb(text, len, 0, &err) : NULL;

	CHECK_MSG(text == NULL || doc != NULL, "unreadable JSON %s: %s", text, err.text);
	CHECK(text == NULL || strlen(text) == len);
	free(text);
	return doc;
}

/* The fields of UnitAddRequest and UnitUpdateRequest after request_id, at their defaults. */
#define ADD_DEFAULTS                                                                               \
	"\"markup\":{},\"origin\":\"\",\"user\":\"\",\"project\":\"\",\"domain\":\"\","         \
	"\"context\":\"\",\"prev\":{},\"next\":{}"
#define ADD_HISTORY "\"changed_at\":0,\"changed_by\":\"\",\"usage_count\":0,\"used_at\":0"

/* m's JSON equals want (itself JSON text). */
static void
expect_json(const ProtobufCMessage *m, const char *want)
{
	json_error_t err;
	json_t *got = m != NULL ? written(m) : NULL;
	json_t *expected = json_loads(want, 0, &err);

	CHECK_MSG(expected != NULL, "bad expectation %s: %s", want, err.text);
	if (got != NULL && expected != NULL && !json_equal(got, expected)) {
		char *s = json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT);

		CHECK_MSG(0, "got %s\n  want %s", s, want);
		free(s);
	} else {
		CHECK(got != NULL);
	}
	json_decref(got);
	json_decref(expected);
}

/* Mapping text to d fails with code on field. */
static void
expect_fault(const char *text, const ProtobufCMessageDescriptor *d, Mnemo__ErrorCode code,
	     const char *field)
{
	struct mnemo_fault f;
	int r;

	from_text(text, d, &r, &f);
	CHECK_MSG(r < 0 && f.code == code, "%s: r=%d, %s (%s)", text, r,
		  mnemo_msg_code_name(f.code), f.message);
	CHECK_INT(r, mnemo_msg_errno_from_code(code));
	if (field != NULL) {
		CHECK_MSG(strcmp(f.field, field) == 0, "%s: field '%s', want '%s'", text, f.field,
			  field);
	}
}

/* mnemo_json_to_message, then from_message, then to_message again: the same JSON. */
static void
expect_roundtrip(const ProtobufCMessage *m)
{
	json_t *once = written(m), *twice = NULL;
	ProtobufCMessage *again = NULL;
	struct mnemo_fault f;

	CHECK(once != NULL);
	if (once == NULL) {
		return;
	}
	mnemo_fault_clear(&f);
	CHECK_INT(mnemo_json_to_message(once, m->descriptor, &arena, &again, &f), 0);
	if (again != NULL) {
		twice = written(again);
		CHECK(twice != NULL && json_equal(once, twice));
		/* and the same protobuf bytes */
		CHECK_INT(protobuf_c_message_get_packed_size(again),
			  protobuf_c_message_get_packed_size(m));
	}
	json_decref(once);
	json_decref(twice);
}

/* ---- JSON -> message for each request the HTTP API takes, and back ---------------------- */

static void
test_requests(void)
{
	Mnemo__SegmentRequest *sr;
	Mnemo__LookupRequest *lr;
	Mnemo__UnitAddRequest *ar;
	Mnemo__UnitUpdateRequest *ur;
	Mnemo__UpdatesRequest *upr;

	sr = (Mnemo__SegmentRequest *)must_parse(
		"{\"text\":\"Bonjour M. Dupont.\\nÇa va ?\",\"lang\":\"fr\"}",
		&mnemo__segment_request__descriptor);
	if (sr != NULL) {
		CHECK_STR(sr->text, "Bonjour M. Dupont.\nÇa va ?");
		CHECK_STR(sr->lang, "fr");
		expect_json(&sr->base, "{\"text\":\"Bonjour M. Dupont.\\nÇa va ?\",\"lang\":\"fr\","
				       "\"data\":\"\",\"format\":\"\",\"encoding\":\"\","
				       "\"hard_wrap\":false}");
		expect_roundtrip(&sr->base);
	}
	/* Fields not given keep their defaults, and are still in the JSON */
	sr = (Mnemo__SegmentRequest *)must_parse("{}", &mnemo__segment_request__descriptor);
	expect_json(&sr->base, "{\"text\":\"\",\"lang\":\"\",\"data\":\"\",\"format\":\"\","
			       "\"encoding\":\"\",\"hard_wrap\":false}");
	/* bytes travel as base64 */
	sr = (Mnemo__SegmentRequest *)must_parse("{\"data\":\"QsOpbsOp\",\"encoding\":\"UTF-8\"}",
						 &mnemo__segment_request__descriptor);
	if (sr != NULL) {
		CHECK_INT(sr->data.len, 6);
		CHECK(memcmp(sr->data.data, "B\xc3\xa9n\xc3\xa9", 6) == 0);
		expect_roundtrip(&sr->base);
	}
	sr = (Mnemo__SegmentRequest *)must_parse("{\"data\":\"YQ==\"}",
						 &mnemo__segment_request__descriptor);
	CHECK(sr != NULL && sr->data.len == 1 && sr->data.data[0] == 'a');
	expect_fault("{\"data\":\"YQ=\"}", &mnemo__segment_request__descriptor,
		     MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "data");
	expect_fault("{\"data\":\"Y=Q=\"}", &mnemo__segment_request__descriptor,
		     MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "data");
	expect_fault("{\"data\":7}", &mnemo__segment_request__descriptor,
		     MNEMO__ERROR_CODE__ERROR_CODE_WRONG_TYPE, "data");

	lr = (Mnemo__LookupRequest *)must_parse(
		"{\"segments\":[\"Le chat.\",\"Ça va ?\"],\"source\":\"fr\",\"target\":\"en\","
		"\"min_score\":70,\"max\":3,\"min_seq\":\"18446744073709551615\"}",
		&mnemo__lookup_request__descriptor);
	if (lr != NULL) {
		CHECK_INT(lr->n_segments, 2);
		CHECK_STR(lr->segments[1], "Ça va ?");
		CHECK_STR(lr->text, "");
		CHECK_INT(lr->min_score, 70);
		CHECK_INT(lr->max, 3);
		CHECK(lr->min_seq == UINT64_MAX);
		expect_json(
			&lr->base,
			"{\"text\":\"\",\"segments\":[\"Le chat.\",\"Ça va ?\"],\"source\":\"fr\","
			"\"target\":\"en\",\"min_score\":70,\"max\":3,"
			"\"min_seq\":\"18446744073709551615\",\"prev\":\"\",\"next\":\"\","
			"\"context\":\"\"}");
		expect_roundtrip(&lr->base);
	}

	ar = (Mnemo__UnitAddRequest *)must_parse(
		"{\"variants\":{\"fr\":\"Bonjour.\",\"en-GB\":\"Hello.\"},\"meta\":{\"origin\":"
		"\"test\"},\"request_id\":\"k-1\"}",
		&mnemo__unit_add_request__descriptor);
	if (ar != NULL) {
		CHECK_INT(ar->n_variants, 2);
		CHECK_INT(ar->n_meta, 1);
		if (ar->n_variants == 2) {
			CHECK_STR(ar->variants[0]->key, "fr");
			CHECK_STR(ar->variants[0]->value, "Bonjour.");
			CHECK_STR(ar->variants[1]->key, "en-GB");
			CHECK_STR(ar->variants[1]->value, "Hello.");
		}
		CHECK_STR(ar->request_id, "k-1");
		expect_json(&ar->base, "{\"variants\":{\"fr\":\"Bonjour.\",\"en-GB\":\"Hello.\"},"
				       "\"meta\":{\"origin\":\"test\"},\"request_id\":\"k-1\","
				       ADD_DEFAULTS ",\"created_at\":0,\"duplicates\":\"unspecified\"," ADD_HISTORY "}");
		expect_roundtrip(&ar->base);
	}
	ar = (Mnemo__UnitAddRequest *)must_parse("{\"variants\":{},\"meta\":null}",
						 &mnemo__unit_add_request__descriptor);
	expect_json(&ar->base, "{\"variants\":{},\"meta\":{},\"request_id\":\"\","
			       ADD_DEFAULTS ",\"created_at\":0,\"duplicates\":\"unspecified\"," ADD_HISTORY "}");

	ur = (Mnemo__UnitUpdateRequest *)must_parse(
		"{\"id\":\"42\",\"variants\":{\"fr\":\"Salut.\",\"de\":\"Hallo.\"}}",
		&mnemo__unit_update_request__descriptor);
	if (ur != NULL) {
		CHECK_INT(ur->id, 42);
		CHECK_INT(ur->n_variants, 2);
		CHECK_INT(ur->n_meta, 0);
		expect_json(&ur->base,
			    "{\"id\":42,\"variants\":{\"fr\":\"Salut.\",\"de\":\"Hallo.\"},"
			    "\"meta\":{},\"request_id\":\"\"," ADD_DEFAULTS "}");
		expect_roundtrip(&ur->base);
	}

	upr = (Mnemo__UpdatesRequest *)must_parse("{\"since\":10,\"max\":100,\"wait_ms\":0}",
						  &mnemo__updates_request__descriptor);
	if (upr != NULL) {
		CHECK_INT(upr->since, 10);
		CHECK_INT(upr->max, 100);
		expect_json(&upr->base, "{\"since\":10,\"max\":100,\"wait_ms\":0}");
		expect_roundtrip(&upr->base);
	}
	mnemo_arena_reset(&arena);
}

/* ---- message -> JSON ------------------------------------------------------------------- */

static void
test_write(void)
{
	Mnemo__SegmentReply sr = MNEMO__SEGMENT_REPLY__INIT;
	Mnemo__Segment seg = MNEMO__SEGMENT__INIT, *segs[1] = {&seg};
	Mnemo__Error err = MNEMO__ERROR__INIT;
	Mnemo__Update up = MNEMO__UPDATE__INIT;
	Mnemo__Unit unit = MNEMO__UNIT__INIT;
	Mnemo__Unit__VariantsEntry fr = MNEMO__UNIT__VARIANTS_ENTRY__INIT, *variants[1] = {&fr};
	Mnemo__UnitWriteReply wr = MNEMO__UNIT_WRITE_REPLY__INIT;
	Mnemo__Envelope env;
	Mnemo__Match match = MNEMO__MATCH__INIT;
	json_t *j;
	char buf[64];

	sr.lang = "fr";
	seg.text = "Bonjour.";
	seg.end = 8;
	seg.kind = MNEMO__SEGMENT_KIND__SEGMENT_KIND_SENTENCE;
	seg.lang = "fr";
	sr.segments = segs;
	sr.n_segments = 1;
	expect_json(&sr.base, "{\"lang\":\"fr\",\"segments\":[{\"text\":\"Bonjour.\",\"start\":0,"
			      "\"end\":8,\"paragraph\":0,\"kind\":\"sentence\",\"lang\":\"fr\"}],"
			      "\"encoding\":\"\"}");
	sr.n_segments = 0;
	expect_json(&sr.base, "{\"lang\":\"fr\",\"segments\":[],\"encoding\":\"\"}");

	/* Escapes: quotes, backslashes, control characters; UTF-8 as it is */
	seg.text = "\"Oui\" \\ non\n\t\x01 \xc2\xab\xc2\xa0\xc3\xa9t\xc3\xa9\xc2\xa0\xc2\xbb \xf0\x9f\x99\x82";
	sr.n_segments = 1;
	{
		size_t len;
		char *text = mnemo_json_write(&seg.base, NULL, &len);

		CHECK(text != NULL && strstr(text, "\"text\":\"\\\"Oui\\\" \\\\ non\\n\\t\\u0001 "
						 "\xc2\xab\xc2\xa0\xc3\xa9t\xc3\xa9\xc2\xa0\xc2\xbb "
						 "\xf0\x9f\x99\x82\",") != NULL);
		free(text);
		/* inside {"key": ...} */
		text = mnemo_json_write(&sr.base, "reply", &len);
		CHECK(text != NULL && strncmp(text, "{\"reply\":{\"lang\":\"fr\",", 22) == 0 &&
		      len > 2 && text[len - 1] == '}' && text[len - 2] == '}');
		free(text);
		/* text that is not UTF-8 is not written */
		seg.text = "caf\xe9";
		errno = 0;
		text = mnemo_json_write(&sr.base, NULL, &len);
		CHECK(text == NULL && errno == EILSEQ);
	}
	seg.text = "Bonjour.";
	sr.n_segments = 0;

	err.code = MNEMO__ERROR_CODE__ERROR_CODE_INVALID_UTF8;
	err.field = "variants.fr";
	err.offset = -1;
	expect_json(&err.base, "{\"code\":\"invalid_utf8\",\"message\":\"\",\"field\":"
			       "\"variants.fr\",\"offset\":-1}");
	err.code = MNEMO__ERROR_CODE__ERROR_CODE_UNSPECIFIED;
	expect_json(&err.base, "{\"code\":\"unspecified\",\"message\":\"\",\"field\":"
			       "\"variants.fr\",\"offset\":-1}");
	err.code = (Mnemo__ErrorCode)77; /* not in the enum: the number */
	expect_json(&err.base, "{\"code\":77,\"message\":\"\",\"field\":\"variants.fr\","
			       "\"offset\":-1}");

	up.seq = 5;
	up.op = MNEMO__CHANGE_OP__CHANGE_OP_ADD;
	expect_json(&up.base, "{\"seq\":5,\"op\":\"add\",\"unit\":{}}");
	fr.key = "fr";
	fr.value = "Bonjour.";
	unit.id = (uint64_t)INT64_MAX;
	unit.variants = variants;
	unit.n_variants = 1;
	unit.seq = (uint64_t)INT64_MAX + 1;
	unit.created_at = -1;
	unit.changed_at = INT64_MAX;
	up.unit = &unit;
	up.op = MNEMO__CHANGE_OP__CHANGE_OP_DELETE;
	expect_json(&up.base, "{\"seq\":5,\"op\":\"delete\",\"unit\":{\"id\":9223372036854775807,"
			      "\"variants\":{\"fr\":\"Bonjour.\"},\"meta\":{},"
			      "\"seq\":\"9223372036854775808\",\"created_at\":-1,"
			      "\"changed_at\":9223372036854775807,\"markup\":{},\"origin\":\"\","
			      "\"created_by\":\"\",\"changed_by\":\"\",\"project\":\"\","
			      "\"domain\":\"\",\"context\":\"\",\"prev\":{},\"next\":{},"
			      "\"usage_count\":0,\"used_at\":0}}");
	expect_roundtrip(&up.base);

	wr.unit = UINT64_MAX;
	expect_json(&wr.base, "{\"unit\":\"18446744073709551615\",\"seq\":0}");
	expect_roundtrip(&wr.base);

	match.kind = MNEMO__MATCH_KIND__MATCH_KIND_FUZZY;
	match.score = 87;
	expect_json(&match.base, "{\"unit\":0,\"score\":87,\"kind\":\"fuzzy\",\"source\":\"\","
				 "\"target\":\"\",\"proposal\":\"\",\"penalties\":[],"
				 "\"origin\":\"\",\"changed_at\":0,\"changed_by\":\"\"}");

	/* An envelope shows its header and the one body that is set */
	mnemo_msg_envelope_init(&env, 12);
	env.body_case = MNEMO__ENVELOPE__BODY_UNIT_WRITE_REPLY;
	env.unit_write_reply = &wr;
	j = written(&env.base);
	CHECK(j != NULL && json_object_size(j) == 4);
	CHECK(json_is_object(json_object_get(j, "unit_write_reply")));
	CHECK_INT(json_integer_value(json_object_get(j, "version")), 1);
	json_decref(j);

	/* Enum names */
	CHECK_STR(mnemo_json_enum_name(&mnemo__error_code__descriptor,
				       MNEMO__ERROR_CODE__ERROR_CODE_INVALID_UTF8, buf,
				       sizeof(buf)),
		  "invalid_utf8");
	CHECK_STR(mnemo_json_enum_name(&mnemo__error_code__descriptor,
				       MNEMO__ERROR_CODE__ERROR_CODE_UNSUPPORTED_MEDIA_TYPE, buf,
				       sizeof(buf)),
		  "unsupported_media_type");
	CHECK_STR(mnemo_json_enum_name(&mnemo__segment_kind__descriptor,
				       MNEMO__SEGMENT_KIND__SEGMENT_KIND_HEADING, buf, sizeof(buf)),
		  "heading");
	CHECK_STR(mnemo_json_enum_name(&mnemo__change_op__descriptor,
				       MNEMO__CHANGE_OP__CHANGE_OP_UPDATE, buf, sizeof(buf)),
		  "update");
	CHECK_STR(mnemo_json_enum_name(&mnemo__match_kind__descriptor,
				       MNEMO__MATCH_KIND__MATCH_KIND_EXACT, buf, sizeof(buf)),
		  "exact");
	CHECK(mnemo_json_enum_name(&mnemo__change_op__descriptor, 99, buf, sizeof(buf)) == NULL);
	CHECK(mnemo_json_enum_name(&mnemo__change_op__descriptor, 1, buf, 0) == NULL);
	CHECK_STR(mnemo_json_enum_name(&mnemo__error_code__descriptor,
				       MNEMO__ERROR_CODE__ERROR_CODE_INVALID_UTF8, buf, 4),
		  "inv");
}

/* ---- mapping errors --------------------------------------------------------------------- */

static void
test_errors(void)
{
	const ProtobufCMessageDescriptor *seg = &mnemo__segment_request__descriptor;
	const ProtobufCMessageDescriptor *look = &mnemo__lookup_request__descriptor;
	const ProtobufCMessageDescriptor *add = &mnemo__unit_add_request__descriptor;
	const ProtobufCMessageDescriptor *upd = &mnemo__unit_update_request__descriptor;
	const ProtobufCMessageDescriptor *ups = &mnemo__updates_request__descriptor;
	Mnemo__UpdatesRequest *ur;
	Mnemo__SegmentRequest *sr;
	Mnemo__Update *u;
	Mnemo__Unit *unit;
	struct mnemo_fault f;
	json_t *arr;
	ProtobufCMessage *m;
	int r;

	/* Wrong JSON types name the field */
	expect_fault("{\"variants\":{\"fr\":\"Bonjour.\",\"en\":7}}", add,
		     MNEMO__ERROR_CODE__ERROR_CODE_WRONG_TYPE, "variants.en");
	expect_fault("{\"variants\":{\"fr\":null}}", add, MNEMO__ERROR_CODE__ERROR_CODE_WRONG_TYPE,
		     "variants.fr");
	expect_fault("{\"variants\":[\"fr\",\"Bonjour.\"]}", add,
		     MNEMO__ERROR_CODE__ERROR_CODE_WRONG_TYPE, "variants");
	expect_fault("{\"meta\":{\"origin\":{}}}", add, MNEMO__ERROR_CODE__ERROR_CODE_WRONG_TYPE,
		     "meta.origin");
	expect_fault("{\"segments\":[\"Le chat.\",3]}", look,
		     MNEMO__ERROR_CODE__ERROR_CODE_WRONG_TYPE, "segments[1]");
	expect_fault("{\"segments\":\"Le chat.\"}", look, MNEMO__ERROR_CODE__ERROR_CODE_WRONG_TYPE,
		     "segments");
	expect_fault("{\"text\":5}", seg, MNEMO__ERROR_CODE__ERROR_CODE_WRONG_TYPE, "text");
	expect_fault("{\"text\":[\"a\"]}", seg, MNEMO__ERROR_CODE__ERROR_CODE_WRONG_TYPE, "text");
	expect_fault("{\"since\":true}", ups, MNEMO__ERROR_CODE__ERROR_CODE_WRONG_TYPE, "since");
	expect_fault("{\"max\":1.5}", ups, MNEMO__ERROR_CODE__ERROR_CODE_WRONG_TYPE, "max");
	expect_fault("{\"since\":{}}", ups, MNEMO__ERROR_CODE__ERROR_CODE_WRONG_TYPE, "since");
	from_text("{\"text\":5}", seg, &r, &f);
	CHECK_MSG(strstr(f.message, "'text' must be a string, not an integer") != NULL, "%s",
		  f.message);
	/* ...at any depth */
	expect_fault("{\"unit\":{\"variants\":{\"fr\":5}}}", &mnemo__update__descriptor,
		     MNEMO__ERROR_CODE__ERROR_CODE_WRONG_TYPE, "unit.variants.fr");
	expect_fault("{\"updates\":[{\"seq\":1},{\"seq\":\"x\"}]}",
		     &mnemo__updates_reply__descriptor, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE,
		     "updates[1].seq");
	expect_fault("{\"updates\":[{},7]}", &mnemo__updates_reply__descriptor,
		     MNEMO__ERROR_CODE__ERROR_CODE_WRONG_TYPE, "updates[1]");

	/* Unknown fields are refused */
	expect_fault("{\"txt\":\"Bonjour.\"}", seg, MNEMO__ERROR_CODE__ERROR_CODE_UNKNOWN_FIELD,
		     "txt");
	expect_fault("{\"text\":\"a\",\"Text\":\"b\"}", seg,
		     MNEMO__ERROR_CODE__ERROR_CODE_UNKNOWN_FIELD, "Text");
	expect_fault("{\"unit\":{\"idd\":1}}", &mnemo__update__descriptor,
		     MNEMO__ERROR_CODE__ERROR_CODE_UNKNOWN_FIELD, "unit.idd");
	expect_fault("{\"bogus\":null}", seg, MNEMO__ERROR_CODE__ERROR_CODE_UNKNOWN_FIELD, "bogus");

	/* Integer ranges */
	expect_fault("{\"min_score\":-5}", look, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE,
		     "min_score");
	expect_fault("{\"id\":-1}", upd, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "id");
	expect_fault("{\"since\":-1}", ups, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "since");
	expect_fault("{\"since\":\"-1\"}", ups, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE,
		     "since");
	expect_fault("{\"max\":4294967296}", ups, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE,
		     "max");
	expect_fault("{\"max\":\"4294967296\"}", ups, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE,
		     "max");
	expect_fault("{\"since\":\"18446744073709551616\"}", ups,
		     MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "since");
	expect_fault("{\"since\":\"12abc\"}", ups, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE,
		     "since");
	expect_fault("{\"since\":\"\"}", ups, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "since");
	expect_fault("{\"since\":\"1.5\"}", ups, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE,
		     "since");
	expect_fault("{\"created_at\":\"9223372036854775808\"}", &mnemo__unit__descriptor,
		     MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "created_at");
	expect_fault("{\"max\":123456789012345678901234567890}", ups,
		     MNEMO__ERROR_CODE__ERROR_CODE_INVALID_JSON, "");
	ur = (Mnemo__UpdatesRequest *)must_parse("{\"max\":4294967295,\"since\":0}", ups);
	CHECK(ur != NULL && ur->max == UINT32_MAX);
	/* 64-bit values as decimal strings */
	ur = (Mnemo__UpdatesRequest *)must_parse(
		"{\"since\":\"18446744073709551615\",\"max\":\"7\"}", ups);
	CHECK(ur != NULL && ur->since == UINT64_MAX && ur->max == 7);
	ur = (Mnemo__UpdatesRequest *)must_parse("{\"since\":9223372036854775807}", ups);
	CHECK(ur != NULL && ur->since == (uint64_t)INT64_MAX);
	unit = (Mnemo__Unit *)must_parse(
		"{\"created_at\":\"-5\",\"changed_at\":\"-9223372036854775808\"}",
		&mnemo__unit__descriptor);
	CHECK(unit != NULL && unit->created_at == -5 && unit->changed_at == INT64_MIN);
	/* BUG: strtoull skips leading white space and then accepts a minus sign, negating the
	 * value: " -1" for a uint64 field is taken as 18446744073709551615 instead of being
	 * refused like "-1" (the check only looks at the first character). */
	from_text("{\"since\":\" -1\"}", ups, &r, &f);
	CHECK_MSG(r < 0 && f.code == MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE,
		  "BUG: since \" -1\" accepted (r=%d)", r);
	ur = (Mnemo__UpdatesRequest *)from_text("{\"since\":\"\\t-2\"}", ups, &r, &f);
	CHECK_MSG(r < 0, "BUG: since \"\\t-2\" accepted as %llu",
		  ur != NULL ? (unsigned long long)ur->since : 0ull);

	/* null means "not given" */
	sr = (Mnemo__SegmentRequest *)must_parse("{\"text\":null,\"lang\":\"fr\"}", seg);
	CHECK(sr != NULL && strcmp(sr->text, "") == 0 && strcmp(sr->lang, "fr") == 0);
	m = must_parse("{\"segments\":null,\"max\":null,\"min_seq\":null}", look);
	CHECK(m != NULL && ((Mnemo__LookupRequest *)m)->n_segments == 0);

	/* Enums by name; a bad name lists the allowed ones */
	u = (Mnemo__Update *)must_parse("{\"op\":\"delete\"}", &mnemo__update__descriptor);
	CHECK(u != NULL && u->op == MNEMO__CHANGE_OP__CHANGE_OP_DELETE);
	u = (Mnemo__Update *)must_parse("{\"op\":\"CHANGE_OP_UPDATE\"}",
					&mnemo__update__descriptor);
	CHECK(u != NULL && u->op == MNEMO__CHANGE_OP__CHANGE_OP_UPDATE);
	expect_fault("{\"op\":\"upsert\"}", &mnemo__update__descriptor,
		     MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "op");
	from_text("{\"op\":\"upsert\"}", &mnemo__update__descriptor, &r, &f);
	CHECK_MSG(strstr(f.message, "\"add\", \"update\", \"delete\"") != NULL, "%s", f.message);
	from_text("{\"segments\":[{\"kind\":\"paragraph\"}]}", &mnemo__segment_reply__descriptor,
		  &r, &f);
	CHECK_INT(f.code, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE);
	CHECK_STR(f.field, "segments[0].kind");
	CHECK_MSG(strstr(f.message, "\"sentence\", \"heading\"") != NULL, "%s", f.message);
	/* ErrorCode's 18 names do not fit in a fault's message: the list is cut (silently) */
	from_text("{\"code\":\"oops\"}", &mnemo__error__descriptor, &r, &f);
	CHECK_INT(f.code, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE);
	CHECK_MSG(strstr(f.message, "\"invalid_request\", \"invalid_json\"") != NULL, "%s",
		  f.message);
	expect_fault("{\"op\":3}", &mnemo__update__descriptor,
		     MNEMO__ERROR_CODE__ERROR_CODE_WRONG_TYPE, "op");
	expect_fault("{\"op\":\"Delete\"}", &mnemo__update__descriptor,
		     MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "op");

	/* The body must be an object */
	arr = json_array();
	mnemo_fault_clear(&f);
	CHECK_INT(mnemo_json_to_message(arr, seg, &arena, &m, &f), -EINVAL);
	CHECK_INT(f.code, MNEMO__ERROR_CODE__ERROR_CODE_WRONG_TYPE);
	json_decref(arr);

	/* A request bigger than its memory budget */
	{
		struct mnemo_arena tiny;
		json_t *doc =
			json_pack("{s:{s:s,s:s}}", "variants", "fr", "Bonjour.", "en", "Hello.");
		static char big[40000];

		memset(big, 'a', sizeof(big) - 1);
		json_object_set_new(json_object_get(doc, "variants"), "de", json_string(big));
		mnemo_arena_init(&tiny, 20000);
		mnemo_fault_clear(&f);
		r = mnemo_json_to_message(doc, add, &tiny, &m, &f);
		CHECK_INT(r, -EIO);
		CHECK_INT(f.code, MNEMO__ERROR_CODE__ERROR_CODE_INTERNAL);
		CHECK_STR(f.field, "variants.de");
		mnemo_arena_fini(&tiny);
		json_decref(doc);
	}

	/* Our own message: bool, double, int32 */
	m = must_parse("{\"verbose\":true,\"ratio\":0.25,\"delta\":-2147483648,\"op\":\"add\","
		       "\"at\":\"-7\"}",
		       &knobs_descriptor);
	if (m != NULL) {
		struct knobs *k = (struct knobs *)m;

		CHECK(k->verbose && k->ratio == 0.25 && k->delta == INT32_MIN && k->op == 1 &&
		      k->at == -7);
		expect_json(m, "{\"verbose\":true,\"ratio\":0.25,\"delta\":-2147483648,\"op\":"
			       "\"add\",\"at\":-7}");
	}
	m = must_parse("{\"ratio\":3}", &knobs_descriptor); /* an integer is a number too */
	CHECK(m != NULL && ((struct knobs *)m)->ratio == 3.0);
	expect_fault("{\"delta\":2147483648}", &knobs_descriptor,
		     MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "delta");
	expect_fault("{\"verbose\":1}", &knobs_descriptor, MNEMO__ERROR_CODE__ERROR_CODE_WRONG_TYPE,
		     "verbose");
	expect_fault("{\"ratio\":\"0.5\"}", &knobs_descriptor,
		     MNEMO__ERROR_CODE__ERROR_CODE_WRONG_TYPE, "ratio");
	mnemo_arena_reset(&arena);
}

/* ---- parsing the body ------------------------------------------------------------------- */

static void
expect_parse(const char *body, size_t len, Mnemo__ErrorCode code, int64_t offset, const char *what)
{
	struct mnemo_fault f;
	json_t *doc = NULL;
	int r;

	mnemo_fault_clear(&f);
	r = mnemo_json_parse(body, len, &doc, &f);
	CHECK_MSG(r < 0 && f.code == code, "%s: r=%d %s (%s)", what, r, mnemo_msg_code_name(f.code),
		  f.message);
	CHECK_INT(r, mnemo_msg_errno_from_code(code));
	if (offset >= 0) {
		CHECK_MSG(f.offset == offset, "%s: offset %lld, want %lld", what,
			  (long long)f.offset, (long long)offset);
	}
	if (r == 0) {
		json_decref(doc);
	}
}

static void
test_parse(void)
{
	static const char *const bad[] = {
		"\xC3\x28",             /* a lead byte without its continuation */
		"\xFF\xFE",             /* bytes never used in UTF-8 */
		"\xC0\xAF",             /* overlong '/' */
		"\xED\xA0\x80",         /* a UTF-16 surrogate */
		"\xF8\x88\x80\x80\x80", /* the old five-byte form */
		"\xF4\x90\x80\x80",     /* above U+10FFFF */
	};
	const Mnemo__ErrorCode invalid_json = MNEMO__ERROR_CODE__ERROR_CODE_INVALID_JSON;
	struct mnemo_fault f;
	json_t *doc;
	char body[256];
	char *deep;
	size_t n;

	/* Invalid UTF-8: the offset of the first bad byte in the body */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = (size_t)snprintf(body, sizeof(body), "{\"text\":\"Bon%sjour\"}", bad[i]);
		expect_parse(body, n, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_UTF8, 12, bad[i]);
	}
	n = (size_t)snprintf(body, sizeof(body), "{\"te\xFFxt\":\"Bonjour\"}");
	expect_parse(body, n, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_UTF8, 4, "key");
	n = (size_t)snprintf(body, sizeof(body), "{\"text\":\"Bonjour\"} \xFF");
	expect_parse(body, n, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_UTF8, -1, "after the end");

	expect_parse("{\"text\":\"Bonjour.\",\"text\":\"Au revoir.\"}", 40, invalid_json, -1,
		     "duplicate keys");
	n = (size_t)snprintf(body, sizeof(body), "{\"variants\":{\"fr\":\"a\",\"fr\":\"b\"}}");
	expect_parse(body, n, invalid_json, -1, "duplicate keys inside");
	n = (size_t)snprintf(body, sizeof(body), "{\"text\":\"Bon\\u0000jour\"}");
	expect_parse(body, n, invalid_json, -1, "\\u0000");
	memcpy(body, "{\"text\":\"Bon\0jour\"}", 19);
	expect_parse(body, 19, invalid_json, -1, "a raw NUL byte");
	n = (size_t)snprintf(body, sizeof(body), "{\"text\":\"\\ud800\"}");
	expect_parse(body, n, invalid_json, -1, "a lone surrogate escape");
	expect_parse("{\"a\":1} x", 9, invalid_json, -1, "trailing garbage");
	expect_parse("{\"a\":1}{}", 9, invalid_json, -1, "two documents");
	expect_parse("{\"a\":1", 6, invalid_json, -1, "cut short");
	expect_parse("", 0, invalid_json, -1, "empty");
	expect_parse("[1,2]", 5, MNEMO__ERROR_CODE__ERROR_CODE_WRONG_TYPE, -1, "an array");

	/* 10^4 levels of nesting */
	deep = malloc(2 * 10000 + 16);
	n = 0;
	n += (size_t)sprintf(deep, "{\"a\":");
	for (int i = 0; i < 10000; i++) {
		deep[n++] = '[';
	}
	for (int i = 0; i < 10000; i++) {
		deep[n++] = ']';
	}
	deep[n++] = '}';
	expect_parse(deep, n, invalid_json, -1, "10^4 arrays deep");
	free(deep);
	deep = malloc(6 * 10000 + 16);
	n = 0;
	for (int i = 0; i < 10000; i++) {
		memcpy(deep + n, "{\"a\":", 5);
		n += 5;
	}
	deep[n++] = '1';
	for (int i = 0; i < 10000; i++) {
		deep[n++] = '}';
	}
	expect_parse(deep, n, invalid_json, -1, "10^4 objects deep");
	free(deep);

	/* What is fine: white space around, escapes, a surrogate pair */
	n = (size_t)snprintf(body, sizeof(body), " \n{\"text\":\"\\ud83d\\ude00 \\\"é\\\"\"}\n ");
	mnemo_fault_clear(&f);
	CHECK_INT(mnemo_json_parse(body, n, &doc, &f), 0);
	if (f.code == MNEMO__ERROR_CODE__ERROR_CODE_UNSPECIFIED) {
		CHECK_STR(json_string_value(json_object_get(doc, "text")),
			  "\xF0\x9F\x98\x80 \"\xC3\xA9\"");
		json_decref(doc);
	}
}

/* ---- query parameters ---------------------------------------------------------------- */

static void
expect_set(ProtobufCMessage *m, const char *name, const char *value, Mnemo__ErrorCode code,
	   const char *field)
{
	struct mnemo_fault f;
	int r;

	mnemo_fault_clear(&f);
	r = mnemo_json_set_field(m, name, value, &arena, &f);
	if (code == MNEMO__ERROR_CODE__ERROR_CODE_UNSPECIFIED) {
		CHECK_MSG(r == 0, "%s=%s: %s", name, value, f.message);
		return;
	}
	CHECK_MSG(r < 0 && f.code == code, "%s=%s: r=%d %s (%s)", name, value, r,
		  mnemo_msg_code_name(f.code), f.message);
	if (field != NULL) {
		CHECK_STR(f.field, field);
	}
}

static void
test_set_field(void)
{
	const Mnemo__ErrorCode ok = MNEMO__ERROR_CODE__ERROR_CODE_UNSPECIFIED;
	const Mnemo__ErrorCode invalid = MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE;
	const Mnemo__ErrorCode unknown = MNEMO__ERROR_CODE__ERROR_CODE_UNKNOWN_FIELD;
	const Mnemo__ErrorCode wrong = MNEMO__ERROR_CODE__ERROR_CODE_WRONG_TYPE;
	Mnemo__UpdatesRequest ur = MNEMO__UPDATES_REQUEST__INIT;
	Mnemo__SegmentRequest sr = MNEMO__SEGMENT_REQUEST__INIT;
	Mnemo__LookupRequest lr = MNEMO__LOOKUP_REQUEST__INIT;
	Mnemo__Update up = MNEMO__UPDATE__INIT;
	struct knobs k;
	struct mnemo_fault f;

	/* Integers */
	expect_set(&ur.base, "since", "42", ok, NULL);
	CHECK_INT(ur.since, 42);
	expect_set(&ur.base, "since", "18446744073709551615", ok, NULL);
	CHECK(ur.since == UINT64_MAX);
	expect_set(&ur.base, "max", "10", ok, NULL);
	CHECK_INT(ur.max, 10);
	expect_set(&ur.base, "since", "hier", invalid, "since");
	expect_set(&ur.base, "since", "-1", invalid, "since");
	expect_set(&ur.base, "since", "18446744073709551616", invalid, "since");
	expect_set(&ur.base, "max", "4294967296", invalid, "max");
	/* BUG: as in test_errors, white space before the minus sign slips through */
	expect_set(&ur.base, "since", " -1", invalid, "since");
	expect_set(&ur.base, "wait_ms", "", invalid, "wait_ms");
	expect_set(&ur.base, "wait_ms", "5s", invalid, "wait_ms");
	CHECK_INT(ur.max, 10); /* a refused value changes nothing */
	CHECK(ur.since == UINT64_MAX);

	/* Unknown names, lists and messages are not parameters */
	expect_set(&ur.base, "nope", "1", unknown, "nope");
	expect_set(&ur.base, "Since", "1", unknown, "Since");
	expect_set(&lr.base, "segments", "Le chat.", unknown, "segments");
	expect_set(&up.base, "unit", "{}", unknown, "unit");

	/* Strings, and invalid UTF-8 with its offset */
	expect_set(&sr.base, "lang", "fr-CA", ok, NULL);
	CHECK_STR(sr.lang, "fr-CA");
	expect_set(&sr.base, "text", "Ça va ?", ok, NULL);
	CHECK_STR(sr.text, "Ça va ?");
	mnemo_fault_clear(&f);
	CHECK_INT(mnemo_json_set_field(&sr.base, "text", "Bon\xFFjour", &arena, &f), -EILSEQ);
	CHECK_INT(f.code, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_UTF8);
	CHECK_STR(f.field, "text");
	CHECK_INT(f.offset, 3);
	expect_set(&sr.base, "lang", "\xED\xA0\x80", MNEMO__ERROR_CODE__ERROR_CODE_INVALID_UTF8,
		   "lang");
	CHECK_STR(sr.text, "Ça va ?");

	/* Enums */
	expect_set(&up.base, "op", "delete", ok, NULL);
	CHECK_INT(up.op, MNEMO__CHANGE_OP__CHANGE_OP_DELETE);
	expect_set(&up.base, "op", "3", invalid, "op");
	expect_set(&up.base, "seq", "7", ok, NULL);
	CHECK_INT(up.seq, 7);

	/* Booleans, doubles and int32 (our own message) */
	knobs_init(&k.base);
	expect_set(&k.base, "verbose", "true", ok, NULL);
	CHECK(k.verbose);
	expect_set(&k.base, "verbose", "false", ok, NULL);
	CHECK(!k.verbose);
	expect_set(&k.base, "verbose", "yes", wrong, "verbose");
	expect_set(&k.base, "verbose", "1", wrong, "verbose");
	expect_set(&k.base, "verbose", "TRUE", wrong, "verbose");
	expect_set(&k.base, "ratio", "0.25", ok, NULL);
	CHECK(k.ratio == 0.25);
	expect_set(&k.base, "ratio", "abc", wrong, "ratio");
	expect_set(&k.base, "ratio", "", wrong, "ratio");
	expect_set(&k.base, "delta", "-7", ok, NULL);
	CHECK_INT(k.delta, -7);
	expect_set(&k.base, "delta", "2147483648", invalid, "delta");
	expect_set(&k.base, "at", "-9223372036854775808", ok, NULL);
	CHECK(k.at == INT64_MIN);
	expect_set(&k.base, "op", "update", ok, NULL);
	CHECK_INT(k.op, 2);
	mnemo_arena_reset(&arena);
}

int
main(void)
{
	mnemo_arena_init(&arena, 64u << 20);
	test_requests();
	test_write();
	test_errors();
	test_parse();
	test_set_field();
	mnemo_arena_fini(&arena);
	return check_exit();
}
