/* POST /v1/align: a document and its translation into sentence pairs. The gateway has the
 * segmenter split each side given as text, an aligner pair the sentences, and, when asked,
 * the store keep the accepted pairs as units: one import, committed whole or not at all,
 * whose id comes from the request's idempotency key, so a retried request stores once. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "fetch.h"
#include "hash.h"
#include "internal.h"
#include "log.h"

enum { STORE_BATCH_UNITS = 5000, MAX_REQUEST_ID_BYTES = 128 };

/* The sentences of a side, by id, for the context of stored units. */
struct sentences {
	const char **text;
	size_t n;
};

/* Says a backend's error of the side or step it concerns: "source: ...", field
 * "source.text". */
static int
about(const char *what, int r, struct mnemo_fault *f)
{
	char field[sizeof(f->field) + 32], message[sizeof(f->message)];

	snprintf(field, sizeof(field), "%s%s%s", what, f->field[0] ? "." : "", f->field);
	snprintf(message, sizeof(message), "%s", f->message);
	mnemo_fault_set(f, f->code, field, f->offset, "%s: %s", what, message);
	return r;
}

/* A side given by URL: its bytes, with the encoding and format its server says. */
static int
fetch(struct gateway *gw, const char *field, Mnemo__AlignDocument *doc,
      struct mnemo_arena *arena, struct mnemo_fault *f)
{
	struct mnemo_fetch_limits lim;
	struct mnemo_fetch_result got;
	struct mnemo_fault why;
	char url_field[32];
	int r;

	mnemo_fetch_limits_init(&lim);
	lim.timeout_ms = gateway_cfg(gw)->fetch_timeout_ms;
	lim.connect_timeout_ms = lim.timeout_ms < lim.connect_timeout_ms ? lim.timeout_ms
									 : lim.connect_timeout_ms;
	lim.max_bytes = gateway_cfg(gw)->max_fetch_bytes;
	mnemo_fault_clear(&why);
	r = mnemo_fetch(doc->url, &lim, &got, &why);
	if (r < 0) {
		/* "source.url": a batch job tells the URL's own failures (a slow server times
		 * out again) from its backends' (a restarting worker answers later). */
		snprintf(url_field, sizeof(url_field), "%s.url", field);
		mnemo_fault_set(f, why.code, url_field, -1, "%s: %s", field, why.message);
		return r;
	}
	doc->data.data = mnemo_arena_alloc(arena, got.len);
	if (doc->data.data == NULL) {
		mnemo_fetch_result_fini(&got);
		return -ENOMEM;
	}
	memcpy(doc->data.data, got.data, got.len);
	doc->data.len = got.len;
	if (doc->encoding[0] == '\0' && got.charset != NULL) {
		doc->encoding = mnemo_arena_strdup(arena, got.charset);
	}
	if (doc->format[0] == '\0' && got.content_type != NULL &&
	    (strcmp(got.content_type, "text/html") == 0 ||
	     strcmp(got.content_type, "application/xhtml+xml") == 0)) {
		doc->format = "html";
	}
	mnemo_fetch_result_fini(&got);
	return doc->encoding != NULL ? 0 : -ENOMEM;
}

/* A side given as text, bytes or a URL becomes the segmenter's sentences. */
static int
segment(struct gateway *gw, const Mnemo__Envelope *req, const char *field,
	const Mnemo__AlignDocument *given, Mnemo__AlignDocument **ret, struct mnemo_arena *arena,
	struct mnemo_fault *f)
{
	Mnemo__AlignDocument *doc = mnemo_arena_alloc(arena, sizeof(*doc));
	int has_text = given->text[0] != '\0' || given->data.len > 0 || given->url[0] != '\0';
	Mnemo__AlignDocument *out;
	Mnemo__SegmentRequest sr;
	Mnemo__Envelope got;
	int r;

	if (doc == NULL) {
		return -ENOMEM;
	}
	*doc = *given;
	if ((doc->text[0] != '\0') + (doc->data.len > 0) + (doc->url[0] != '\0') > 1) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_REQUEST, field, -1,
				       "%s: give one of text, data and url", field);
	}
	if (has_text && (doc->n_segments > 0 || doc->n_sentences > 0)) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_REQUEST, field, -1,
				       "%s: give its text or its sentences, not both", field);
	}
	if (doc->url[0] != '\0' && (r = fetch(gw, field, doc, arena, f)) < 0) {
		return r;
	}
	if (!has_text) {
		*ret = doc;
		return 0;
	}
	mnemo__segment_request__init(&sr);
	sr.text = doc->text;
	sr.data = doc->data;
	sr.lang = doc->lang;
	sr.format = doc->format;
	sr.encoding = doc->encoding;
	sr.hard_wrap = doc->hard_wrap;
	r = gateway_request(gw, GATEWAY_SEGMENTERS, MNEMO__ENVELOPE__BODY_SEGMENT_REQUEST, &sr.base,
			    req->request_id, req->timeout_ms, &got, arena, f);
	if (r < 0) {
		return about(field, r, f);
	}
	out = mnemo_arena_alloc(arena, sizeof(*out));
	if (out == NULL) {
		return -ENOMEM;
	}
	*out = *doc;
	out->text = "";
	out->url = "";
	out->data.len = 0;
	out->data.data = NULL;
	out->sentences = got.segment_reply->segments;
	out->n_sentences = got.segment_reply->n_segments;
	*ret = out;
	return 0;
}

static int
sentences_of(const Mnemo__AlignDocument *doc, struct mnemo_arena *arena, struct sentences *ret)
{
	size_t n = doc->n_sentences + doc->n_segments;

	ret->text = mnemo_arena_alloc(arena, (n + 1) * sizeof(*ret->text));
	if (ret->text == NULL) {
		return -ENOMEM;
	}
	ret->n = 0;
	for (size_t i = 0; i < doc->n_sentences; i++) {
		ret->text[ret->n++] = doc->sentences[i]->text;
	}
	for (size_t i = 0; i < doc->n_segments; i++) {
		if (doc->segments[i][0] != '\0') { /* "" breaks paragraphs: no sentence */
			ret->text[ret->n++] = doc->segments[i];
		}
	}
	return 0;
}

/* Adds an entry to a map field being built (variants, prev, next: the same struct under
 * each one's descriptor). */
static int
map_add(struct mnemo_arena *arena, const ProtobufCMessageDescriptor *d, const char *key,
	const char *value, void *list_field, size_t *n)
{
	Mnemo__UnitAddRequest__VariantsEntry ***list = list_field;
	Mnemo__UnitAddRequest__VariantsEntry **grown = mnemo_arena_alloc(arena, (*n + 1) * sizeof(*grown));
	Mnemo__UnitAddRequest__VariantsEntry *e = mnemo_arena_alloc(arena, sizeof(*e));

	if (grown == NULL || e == NULL) {
		return -ENOMEM;
	}
	mnemo__unit_add_request__variants_entry__init(e);
	e->base.descriptor = d;
	e->key = (char *)key;
	e->value = (char *)value;
	if (*n > 0) {
		memcpy(grown, *list, *n * sizeof(*grown));
	}
	grown[(*n)++] = e;
	*list = grown;
	return 0;
}

/* The unit an accepted pair becomes: both sentences, and the sentences around them in
 * their documents as its context (for in-context matches). */
static int
unit_of(const Mnemo__AlignRequest *req, const Mnemo__AlignPair *p, const struct sentences *src,
	const struct sentences *tgt, const char *origin, struct mnemo_arena *arena,
	Mnemo__UnitAddRequest *u)
{
	const ProtobufCMessageDescriptor *dv = &mnemo__unit_add_request__variants_entry__descriptor,
					 *dp = &mnemo__unit_add_request__prev_entry__descriptor,
					 *dn = &mnemo__unit_add_request__next_entry__descriptor;
	const char *sl = req->source->lang, *tl = req->target->lang;
	uint32_t s0 = p->source_ids[0], s1 = p->source_ids[p->n_source_ids - 1];
	uint32_t t0 = p->target_ids[0], t1 = p->target_ids[p->n_target_ids - 1];
	int r;

	mnemo__unit_add_request__init(u);
	u->origin = (char *)origin;
	u->user = req->user;
	u->project = req->project;
	u->domain = req->domain;
	u->duplicates = MNEMO__DUPLICATES__DUPLICATES_SKIP;
	r = map_add(arena, dv, sl, p->source, &u->variants, &u->n_variants);
	r = r < 0 ? r : map_add(arena, dv, tl, p->target, &u->variants, &u->n_variants);
	if (r == 0 && s0 > 0) {
		r = map_add(arena, dp, sl, src->text[s0 - 1], &u->prev, &u->n_prev);
	}
	if (r == 0 && t0 > 0) {
		r = map_add(arena, dp, tl, tgt->text[t0 - 1], &u->prev, &u->n_prev);
	}
	if (r == 0 && s1 + 1 < src->n) {
		r = map_add(arena, dn, sl, src->text[s1 + 1], &u->next, &u->n_next);
	}
	if (r == 0 && t1 + 1 < tgt->n) {
		r = map_add(arena, dn, tl, tgt->text[t1 + 1], &u->next, &u->n_next);
	}
	return r;
}

/* One ImportRequest to the store: a batch, a commit or an abort. A new envelope id each
 * time: nng's resends of one batch are staged once. */
static int
import_call(struct gateway *gw, const Mnemo__Envelope *req, Mnemo__ImportRequest *ir,
	    Mnemo__ImportReply **ret, struct mnemo_arena *arena, struct mnemo_fault *f)
{
	Mnemo__Envelope got;
	int r = gateway_request(gw, GATEWAY_STORE_IMPORTS, MNEMO__ENVELOPE__BODY_IMPORT_REQUEST,
				&ir->base, 0, req->timeout_ms, &got, arena, f);

	if (r < 0) {
		return about("store", r, f);
	}
	*ret = got.import_reply;
	return 0;
}

/* The import's id: from the idempotency key when there is one (a retry finds the import
 * it committed), else new. */
static void
import_id_of(const Mnemo__AlignRequest *in, char *out, size_t size)
{
	if (in->request_id[0] != '\0') {
		size_t len = strlen(in->request_id);

		snprintf(out, size, "align-%016" PRIx64 "%016" PRIx64,
			 mnemo_fnv1a64(MNEMO_FNV_OFFSET, in->request_id, len),
			 mnemo_fnv1a64(MNEMO_FNV_OFFSET ^ 0x9e3779b97f4a7c15ull, in->request_id, len));
	} else {
		snprintf(out, size, "align-%016" PRIx64 "%016" PRIx64, mnemo_msg_new_request_id(),
			 mnemo_msg_new_request_id());
	}
}

static int
store_pairs(struct gateway *gw, const Mnemo__Envelope *req, const Mnemo__AlignRequest *in,
	    Mnemo__AlignReply *out, struct mnemo_arena *arena, struct mnemo_fault *f)
{
	Mnemo__UnitAddRequest **batch = mnemo_arena_alloc(arena, STORE_BATCH_UNITS * sizeof(*batch));
	Mnemo__ImportRequest ir = MNEMO__IMPORT_REQUEST__INIT;
	Mnemo__ImportReply *done = NULL;
	struct sentences src, tgt;
	const char *origin = in->origin;
	char import_id[48];
	int r;

	if (batch == NULL || sentences_of(in->source, arena, &src) < 0 ||
	    sentences_of(in->target, arena, &tgt) < 0) {
		return -ENOMEM;
	}
	if (origin[0] == '\0') {
		origin = mnemo_arena_printf(arena, "align:%s",
					    in->source->name[0] ? in->source->name : "document");
		if (origin == NULL) {
			return -ENOMEM;
		}
	}
	import_id_of(in, import_id, sizeof(import_id));
	ir.import_id = import_id;
	ir.duplicates = MNEMO__DUPLICATES__DUPLICATES_SKIP;
	if (in->request_id[0] != '\0') {
		/* An earlier try may have staged batches, or committed: drop the first, find
		 * the second (the store refuses to abort a committed import). */
		ir.abort = 1;
		r = import_call(gw, req, &ir, &done, arena, f);
		ir.abort = 0;
		if (r == -EEXIST) {
			Mnemo__ImportRequest q = MNEMO__IMPORT_REQUEST__INIT;

			q.import_id = import_id;
			mnemo_fault_clear(f);
			r = import_call(gw, req, &q, &done, arena, f);
			if (r < 0) {
				return r;
			}
			goto answered;
		}
		if (r < 0) {
			return r;
		}
		ir.duplicates = MNEMO__DUPLICATES__DUPLICATES_SKIP;
	}
	for (size_t i = 0; i <= out->n_pairs; i++) {
		const Mnemo__AlignPair *p = i < out->n_pairs ? out->pairs[i] : NULL;

		if (p != NULL && p->accepted) {
			batch[ir.n_units] = mnemo_arena_alloc(arena, sizeof(**batch));
			if (batch[ir.n_units] == NULL ||
			    unit_of(in, p, &src, &tgt, origin, arena, batch[ir.n_units]) < 0) {
				return -ENOMEM;
			}
			ir.n_units++;
		}
		if (ir.n_units == STORE_BATCH_UNITS || p == NULL) {
			ir.units = batch;
			ir.commit = p == NULL;
			r = import_call(gw, req, &ir, &done, arena, f);
			if (r < 0) {
				return r;
			}
			ir.n_units = 0;
		}
	}
answered:
	out->stored = done->added;
	out->duplicates = done->skipped;
	out->first_seq = done->first_seq;
	out->last_seq = done->last_seq;
	gateway_note_seq(gw, done->last_seq);
	mnemo_log_info("gateway", "req=%016" PRIx64 " align: stored %" PRIu64 " pairs (%" PRIu64
		       " already held), changes %" PRIu64 "-%" PRIu64,
		       req->request_id, done->added, done->skipped, done->first_seq,
		       done->last_seq);
	return 0;
}

int
gateway_align(struct gateway *gw, const Mnemo__Envelope *req, Mnemo__Envelope *reply,
	      struct mnemo_arena *arena, struct mnemo_fault *f)
{
	const Mnemo__AlignRequest *in = req->align_request;
	Mnemo__AlignRequest *ar = mnemo_arena_alloc(arena, sizeof(*ar));
	Mnemo__Envelope sub;
	int r;

	if (ar == NULL) {
		return -ENOMEM;
	}
	if (in->source == NULL || in->target == NULL) {
		const char *field = in->source == NULL ? "source" : "target";

		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_MISSING_FIELD, field, -1,
				       "'%s' (a document: {\"lang\", \"text\"}) is required", field);
	}
	if (strlen(in->request_id) > MAX_REQUEST_ID_BYTES) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "request_id",
				       -1, "request_id is longer than %d bytes",
				       MAX_REQUEST_ID_BYTES);
	}
	*ar = *in;
	r = segment(gw, req, "source", in->source, &ar->source, arena, f);
	if (r == 0) {
		r = segment(gw, req, "target", in->target, &ar->target, arena, f);
	}
	if (r < 0) {
		return r;
	}
	mnemo_msg_envelope_init(&sub, req->request_id);
	sub.timeout_ms = req->timeout_ms;
	mnemo_msg_set_body(&sub, MNEMO__ENVELOPE__BODY_ALIGN_REQUEST, &ar->base);
	r = gateway_forward(gw, GATEWAY_ALIGNERS, &sub, reply, arena, f);
	if (r < 0 || reply->body_case == MNEMO__ENVELOPE__BODY_ERROR || !in->store) {
		return r;
	}
	return store_pairs(gw, req, ar, reply->align_reply, arena, f);
}
