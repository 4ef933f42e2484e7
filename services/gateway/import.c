/* Imports: a TMX or gettext file in, as the units of one staged import in the store.
 *
 * The file is pushed in pieces (an HTTP body as it arrives, or the command line reading a
 * file): TMX goes straight through common/formats' push reader, gettext is kept whole (.po
 * has no push reader, and .mo is read whole anyway) and read at the end. Units are sent to
 * the store in ImportRequest batches under one random import_id, so the gateway holds one
 * batch at most, whatever the file's size; the last batch carries commit. Whatever goes
 * wrong (the file, a unit the store refuses, a client that goes away) ends in an abort, and
 * the memory is as it was. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats.h"
#include "internal.h"
#include "json.h"
#include "log.h"
#include "text.h"

enum {
	/* A batch goes to the store at this many units or bytes of text, whichever comes
	 * first: far below the store's message limit (64 MiB), large enough that the
	 * store's commit per batch costs little. */
	BATCH_UNITS = 5000,
	BATCH_BYTES = 4 << 20,
	/* One <tu> in memory at most (the reader refuses a larger one, naming its line). */
	UNIT_ARENA_BYTES = 64 << 20,
	NAME_MAX_BYTES = 256,
	ORIGIN_MAX_BYTES = 512,
};

struct gateway_import {
	struct gateway *gw;
	enum gateway_import_format format;
	uint64_t request_id; /* for the log */
	char import_id[40];
	char name[NAME_MAX_BYTES];
	char origin[ORIGIN_MAX_BYTES];
	int origin_given;
	char source[MNEMO_TEXT_LANG_MAX]; /* canonical; "" = not given */
	char target[MNEMO_TEXT_LANG_MAX];
	Mnemo__Duplicates duplicates;
	uint64_t max_bytes;

	struct mnemo_formats_read_options ropt;
	struct mnemo_arena unit_arena; /* the reader's: one unit */
	struct mnemo_tmx_reader *tmx;
	char *whole; /* gettext: the file so far */
	size_t whole_len, whole_cap;

	struct mnemo_arena batch_arena; /* the batch's units */
	Mnemo__UnitAddRequest **batch;
	size_t n_batch, batch_bytes;
	uint64_t batches_sent;

	uint64_t bytes, units;
	int error; /* negative errno once the import has failed; fault says why */
	struct mnemo_fault fault;
	Mnemo__ImportReply result;
};

/* ---- failing ------------------------------------------------------------------------------ */

static int __attribute__((format(printf, 5, 6)))
fail(struct gateway_import *imp, int r, Mnemo__ErrorCode code, const char *field, const char *fmt,
     ...)
{
	va_list ap;

	if (imp->error < 0) {
		return imp->error; /* the first error is the one to report */
	}
	mnemo_fault_clear(&imp->fault);
	imp->fault.code = code;
	snprintf(imp->fault.field, sizeof(imp->fault.field), "%s", field);
	va_start(ap, fmt);
	vsnprintf(imp->fault.message, sizeof(imp->fault.message), fmt, ap);
	va_end(ap);
	imp->error = r < 0 ? r : -EINVAL;
	return imp->error;
}

/* The reader's error, which already starts with "NAME:LINE:COLUMN: ". */
static int
fail_read(struct gateway_import *imp, int r, const struct mnemo_formats_error *err)
{
	Mnemo__ErrorCode code;

	switch (-r) {
	case EMSGSIZE:
	case EFBIG:
	case E2BIG:
		code = MNEMO__ERROR_CODE__ERROR_CODE_TOO_LARGE;
		break;
	case ENOMEM:
	case EIO:
		code = MNEMO__ERROR_CODE__ERROR_CODE_INTERNAL;
		break;
	default:
		code = MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE; /* the file's content */
	}
	if (err == NULL || err->message[0] == '\0') {
		return fail(imp, r, code, "", "%s: %s", imp->name, mnemo_strerror(r));
	}
	fail(imp, r, code, "", "%s", err->message);
	imp->fault.offset = err->offset;
	return imp->error;
}

/* ---- batches to the store -------------------------------------------------------------------- */

/* Sends the batch (commit: the last one; abort: none, drop what was sent). */
static int
send_batch(struct gateway_import *imp, int commit, int abort)
{
	Mnemo__ImportRequest ir = MNEMO__IMPORT_REQUEST__INIT;
	Mnemo__Envelope env, reply;
	struct mnemo_arena arena;
	struct mnemo_fault f;
	int r;

	ir.import_id = imp->import_id;
	ir.units = abort ? NULL : imp->batch;
	ir.n_units = abort ? 0 : imp->n_batch;
	ir.commit = commit;
	ir.abort = abort;
	ir.duplicates = abort ? MNEMO__DUPLICATES__DUPLICATES_UNSPECIFIED : imp->duplicates;
	ir.source = abort ? "" : imp->source;
	/* A new envelope id per batch: nng's resends of one batch are staged once. */
	mnemo_msg_envelope_init(&env, mnemo_msg_new_request_id());
	mnemo_msg_envelope_init(&reply, env.request_id);
	mnemo_msg_set_body(&env, MNEMO__ENVELOPE__BODY_IMPORT_REQUEST, &ir.base);
	mnemo_fault_clear(&f);
	mnemo_arena_init(&arena, 0);
	r = gateway_dispatch(imp->gw, &env, &reply, &arena, &f);
	if (r == 0 && reply.body_case == MNEMO__ENVELOPE__BODY_ERROR) {
		mnemo_fault_set(&f, reply.error->code, reply.error->field, reply.error->offset, "%s",
				reply.error->message);
		r = mnemo_msg_errno_from_code(reply.error->code);
		r = r < 0 ? r : -EINVAL;
	} else if (r == 0 && reply.body_case != MNEMO__ENVELOPE__BODY_IMPORT_REPLY) {
		r = mnemo_fault_set(&f, MNEMO__ERROR_CODE__ERROR_CODE_INTERNAL, "", -1,
				    "the store answered an import with another message");
	} else if (r < 0 && f.code == MNEMO__ERROR_CODE__ERROR_CODE_UNSPECIFIED) {
		mnemo_fault_set(&f, mnemo_msg_code_from_errno(r), "", -1, "%s", mnemo_strerror(r));
	}
	if (r == 0 && commit) {
		const Mnemo__ImportReply *got = reply.import_reply;

		imp->result.received = got->received;
		imp->result.added = got->added;
		imp->result.updated = got->updated;
		imp->result.skipped = got->skipped;
		imp->result.first_seq = got->first_seq;
		imp->result.last_seq = got->last_seq;
	}
	if (r < 0 && !abort) {
		/* The store's words ("unit 12: variants.fr: ..."), after the file's name. */
		fail(imp, r, f.code, f.field, "%s: %s", imp->name, f.message);
		imp->fault.offset = f.offset;
	} else if (r < 0) {
		mnemo_log_warn("gateway",
			       "req=%016" PRIx64 " aborting import %s failed: %s; the store drops "
			       "it after [store] import_ttl_s",
			       imp->request_id, imp->import_id, f.message);
	}
	mnemo_arena_fini(&arena);
	if (r == 0 && !abort) {
		imp->batches_sent++;
		imp->n_batch = 0;
		imp->batch_bytes = 0;
		mnemo_arena_reset(&imp->batch_arena);
	}
	return r;
}

/* Copies a map of the reader's unit (its own entry type) into one of a UnitAddRequest:
 * every map entry protoc-c makes is {base, key, value}. */
static int
copy_map(struct gateway_import *imp, const ProtobufCMessageDescriptor *d,
	 Mnemo__Unit__MetaEntry *const *from, size_t n, ProtobufCMessage ***ret, size_t *ret_n)
{
	struct mnemo_arena *a = &imp->batch_arena;
	Mnemo__Unit__MetaEntry **to;

	*ret = NULL;
	*ret_n = 0;
	if (n == 0) {
		return 0;
	}
	to = mnemo_arena_alloc(a, n * sizeof(*to));
	if (to == NULL) {
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		to[i] = mnemo_arena_alloc(a, d->sizeof_message);
		if (to[i] == NULL) {
			return -ENOMEM;
		}
		d->message_init(&to[i]->base);
		to[i]->key = mnemo_arena_strdup(a, from[i]->key);
		to[i]->value = mnemo_arena_strdup(a, from[i]->value);
		if (to[i]->key == NULL || to[i]->value == NULL) {
			return -ENOMEM;
		}
		imp->batch_bytes += strlen(to[i]->key) + strlen(to[i]->value);
	}
	*ret = (ProtobufCMessage **)to;
	*ret_n = n;
	return 0;
}

static char *
copy_str(struct gateway_import *imp, const char *s)
{
	imp->batch_bytes += strlen(s);
	return s[0] == '\0' ? (char *)protobuf_c_empty_string
			    : mnemo_arena_strdup(&imp->batch_arena, s);
}

#define COPY_MAP(imp, add, unit, field)                                                         \
	copy_map(imp, &mnemo__unit_add_request__##field##_entry__descriptor,                    \
		 (Mnemo__Unit__MetaEntry *const *)(unit)->field, (unit)->n_##field,             \
		 (ProtobufCMessage ***)&(add)->field, &(add)->n_##field)

/* The reader's unit, into the batch, with the history the file tells (changedate,
 * changeid, usage counts); its id, if any, is the file's tuid, kept in meta. */
static int
add_unit(struct gateway_import *imp, const Mnemo__Unit *u)
{
	Mnemo__UnitAddRequest *add = mnemo_arena_alloc(&imp->batch_arena, sizeof(*add));
	int r;

	if (add == NULL) {
		return -ENOMEM;
	}
	mnemo__unit_add_request__init(add);
	r = COPY_MAP(imp, add, u, variants);
	r = r < 0 ? r : COPY_MAP(imp, add, u, meta);
	r = r < 0 ? r : COPY_MAP(imp, add, u, markup);
	r = r < 0 ? r : COPY_MAP(imp, add, u, prev);
	r = r < 0 ? r : COPY_MAP(imp, add, u, next);
	if (r < 0) {
		return r;
	}
	add->origin = copy_str(imp, u->origin);
	add->user = copy_str(imp, u->created_by);
	add->project = copy_str(imp, u->project);
	add->domain = copy_str(imp, u->domain);
	add->context = copy_str(imp, u->context);
	add->changed_by = copy_str(imp, u->changed_by);
	if (add->origin == NULL || add->user == NULL || add->project == NULL ||
	    add->domain == NULL || add->context == NULL || add->changed_by == NULL) {
		return -ENOMEM;
	}
	add->created_at = u->created_at;
	add->changed_at = u->changed_at;
	add->usage_count = u->usage_count;
	add->used_at = u->used_at;
	imp->batch[imp->n_batch++] = add;
	return 0;
}

/* The language duplicates=overwrite matches units by: source=, else the TMX header's
 * srclang when it is a tag (known once the header is read, before the first unit). */
static int
settle_source(struct gateway_import *imp, const struct mnemo_formats_stats *st)
{
	if (imp->source[0] != '\0' || imp->duplicates != MNEMO__DUPLICATES__DUPLICATES_OVERWRITE) {
		return 0;
	}
	if (st->srclang[0] != '\0' && strcmp(st->srclang, "*all*") != 0 &&
	    mnemo_text_lang_canon(st->srclang, imp->source, sizeof(imp->source)) == 0) {
		return 0;
	}
	imp->source[0] = '\0';
	return fail(imp, -EINVAL, MNEMO__ERROR_CODE__ERROR_CODE_MISSING_FIELD, "source",
		    "%s: duplicates=overwrite matches units by their source language: give it "
		    "(source=LANG), the file's header has srclang=\"%s\"",
		    imp->name, st->srclang);
}

static int
on_unit(void *ctx, Mnemo__Unit *u)
{
	struct gateway_import *imp = ctx;
	const struct mnemo_formats_stats *st =
		imp->tmx != NULL ? mnemo_tmx_reader_stats(imp->tmx) : NULL;
	int r;

	if (imp->units == 0 && st != NULL && settle_source(imp, st) < 0) {
		return imp->error;
	}
	r = add_unit(imp, u);
	if (r < 0) {
		return fail(imp, r, MNEMO__ERROR_CODE__ERROR_CODE_INTERNAL, "",
			    "%s: out of memory holding a batch of units", imp->name);
	}
	imp->units++;
	if (imp->n_batch == BATCH_UNITS || imp->batch_bytes >= BATCH_BYTES) {
		r = send_batch(imp, 0, 0);
	}
	return r;
}

/* ---- the API ---------------------------------------------------------------------------- */

static int
parse_duplicates(const char *s, Mnemo__Duplicates *ret)
{
	if (s == NULL || s[0] == '\0' || strcmp(s, "skip") == 0) {
		*ret = MNEMO__DUPLICATES__DUPLICATES_SKIP;
	} else if (strcmp(s, "keep") == 0) {
		*ret = MNEMO__DUPLICATES__DUPLICATES_KEEP;
	} else if (strcmp(s, "overwrite") == 0) {
		*ret = MNEMO__DUPLICATES__DUPLICATES_OVERWRITE;
	} else {
		return -EINVAL;
	}
	return 0;
}

/* Checks the options into imp; a bad one fails the import (feed then says so at once). */
static void
take_options(struct gateway_import *imp, const struct gateway_import_options *opt)
{
	int is_tmx = opt->format == GATEWAY_IMPORT_TMX;

	snprintf(imp->name, sizeof(imp->name), "%s",
		 opt->name != NULL && opt->name[0] != '\0' ? opt->name
		 : is_tmx				       ? "upload.tmx"
							       : "upload.po");
	if (opt->origin != NULL && opt->origin[0] != '\0') {
		snprintf(imp->origin, sizeof(imp->origin), "%s", opt->origin);
		imp->origin_given = 1;
	} else {
		snprintf(imp->origin, sizeof(imp->origin), "%s:%s", is_tmx ? "tmx" : "gettext",
			 imp->name);
	}
	if (parse_duplicates(opt->duplicates, &imp->duplicates) < 0) {
		fail(imp, -EINVAL, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "duplicates",
		     "duplicates is skip, keep or overwrite, not '%s'", opt->duplicates);
	} else if (opt->source != NULL && opt->source[0] != '\0' &&
		   mnemo_text_lang_canon(opt->source, imp->source, sizeof(imp->source)) < 0) {
		fail(imp, -EINVAL, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_LANG, "source",
		     "source: '%s' is not a BCP 47 language tag (e.g. fr, en-GB)", opt->source);
	} else if (opt->target != NULL && opt->target[0] != '\0' && is_tmx) {
		fail(imp, -EINVAL, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_REQUEST, "target",
		     "target is for gettext files; a TMX file names its languages itself");
	} else if (opt->target != NULL && opt->target[0] != '\0' &&
		   mnemo_text_lang_canon(opt->target, imp->target, sizeof(imp->target)) < 0) {
		fail(imp, -EINVAL, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_LANG, "target",
		     "target: '%s' is not a BCP 47 language tag (e.g. fr, pt-BR)", opt->target);
	}
	if (!is_tmx && imp->source[0] == '\0') {
		snprintf(imp->source, sizeof(imp->source), "en");
	}
}

int
gateway_import_begin(struct gateway *gw, const struct gateway_import_options *opt,
		     struct gateway_import **ret)
{
	struct gateway_import *imp = calloc(1, sizeof(*imp));
	uint64_t id[2] = {mnemo_msg_new_request_id(), mnemo_msg_new_request_id()};
	int r = 0;

	if (imp == NULL) {
		return -ENOMEM;
	}
	imp->gw = gw;
	imp->format = opt->format;
	imp->max_bytes = opt->max_bytes;
	imp->request_id = opt->request_id != 0 ? opt->request_id : mnemo_msg_new_request_id();
	snprintf(imp->import_id, sizeof(imp->import_id), "gw-%016" PRIx64 "%016" PRIx64, id[0],
		 id[1]);
	mnemo__import_reply__init(&imp->result);
	imp->result.import_id = imp->import_id;
	mnemo_arena_init(&imp->unit_arena, UNIT_ARENA_BYTES);
	mnemo_arena_init(&imp->batch_arena, 0);
	imp->batch = calloc(BATCH_UNITS, sizeof(*imp->batch));
	if (imp->batch == NULL) {
		gateway_import_abort(imp);
		return -ENOMEM;
	}
	take_options(imp, opt);
	imp->ropt.arena = &imp->unit_arena;
	imp->ropt.name = imp->name;
	imp->ropt.origin = imp->origin;
	imp->ropt.source_lang = imp->source;
	imp->ropt.target_lang = imp->target[0] != '\0' ? imp->target : NULL;
	imp->ropt.on_unit = on_unit;
	imp->ropt.ctx = imp;
	if (imp->error == 0 && imp->format == GATEWAY_IMPORT_TMX) {
		r = mnemo_tmx_reader_new(&imp->ropt, &imp->tmx);
	}
	if (r < 0) {
		gateway_import_abort(imp);
		return r;
	}
	mnemo_log_debug("gateway", "req=%016" PRIx64 " import %s of %s begins", imp->request_id,
			imp->import_id, imp->name);
	*ret = imp;
	return 0;
}

int
gateway_import_feed(struct gateway_import *imp, const void *data, size_t len)
{
	int r;

	if (imp->error < 0 || len == 0) {
		return imp->error;
	}
	if (imp->max_bytes != 0 && len > imp->max_bytes - imp->bytes) {
		return fail(imp, -EFBIG, MNEMO__ERROR_CODE__ERROR_CODE_TOO_LARGE, "",
			    "%s: the file is over the import limit of %" PRIu64
			    " bytes ([gateway] max_import_bytes)",
			    imp->name, imp->max_bytes);
	}
	imp->bytes += len;
	if (imp->format == GATEWAY_IMPORT_TMX) {
		r = mnemo_tmx_reader_feed(imp->tmx, data, len);
		return r < 0 ? fail_read(imp, r, mnemo_tmx_reader_error(imp->tmx)) : 0;
	}
	if (len > MNEMO_MO_MAX_BYTES - imp->whole_len) {
		return fail(imp, -EFBIG, MNEMO__ERROR_CODE__ERROR_CODE_TOO_LARGE, "",
			    "%s: a gettext file is read whole, and this one is over the limit of "
			    "%d bytes",
			    imp->name, MNEMO_MO_MAX_BYTES);
	}
	if (imp->whole_len + len > imp->whole_cap) {
		size_t cap = imp->whole_cap != 0 ? imp->whole_cap : 64 * 1024;
		char *grown;

		while (cap < imp->whole_len + len) {
			cap *= 2;
		}
		grown = realloc(imp->whole, cap);
		if (grown == NULL) {
			return fail(imp, -ENOMEM, MNEMO__ERROR_CODE__ERROR_CODE_INTERNAL, "",
				    "%s: out of memory holding the file", imp->name);
		}
		imp->whole = grown;
		imp->whole_cap = cap;
	}
	memcpy(imp->whole + imp->whole_len, data, len);
	imp->whole_len += len;
	return 0;
}

void
gateway_import_progress(const struct gateway_import *imp, struct gateway_import_progress *ret)
{
	ret->bytes = imp->bytes;
	ret->units = imp->units;
}

static int
is_mo(const char *data, size_t len)
{
	static const unsigned char le[4] = {0xde, 0x12, 0x04, 0x95}, be[4] = {0x95, 0x04, 0x12, 0xde};

	return len >= 4 && (memcmp(data, le, 4) == 0 || memcmp(data, be, 4) == 0);
}

/* The end of the input: the reader's last units (or all of gettext's), then the commit. */
static void
finish(struct gateway_import *imp)
{
	struct mnemo_formats_error err;
	int r;

	if (imp->format == GATEWAY_IMPORT_TMX) {
		r = mnemo_tmx_reader_end(imp->tmx);
		if (r < 0) {
			fail_read(imp, r, mnemo_tmx_reader_error(imp->tmx));
			return;
		}
	} else {
		const char *data = imp->whole != NULL ? imp->whole : "";

		memset(&err, 0, sizeof(err));
		if (is_mo(data, imp->whole_len)) {
			if (strcmp(imp->name, "upload.po") == 0) {
				snprintf(imp->name, sizeof(imp->name), "upload.mo");
			}
			if (!imp->origin_given) {
				snprintf(imp->origin, sizeof(imp->origin), "gettext:%s", imp->name);
			}
			r = mnemo_mo_read_mem(data, imp->whole_len, &imp->ropt, NULL, &err);
		} else {
			r = mnemo_po_read_mem(data, imp->whole_len, &imp->ropt, NULL, &err);
		}
		free(imp->whole);
		imp->whole = NULL;
		if (r < 0) {
			fail_read(imp, r, &err);
			return;
		}
	}
	if (imp->error == 0) {
		mnemo_log_info("gateway",
			       "req=%016" PRIx64 " import %s of %s: %" PRIu64 " bytes, %" PRIu64
			       " units read (%" PRIu64 " batches staged); committing",
			       imp->request_id, imp->import_id, imp->name, imp->bytes, imp->units,
			       imp->batches_sent);
		send_batch(imp, 1, 0);
	}
}

static void
release(struct gateway_import *imp)
{
	mnemo_tmx_reader_free(imp->tmx);
	mnemo_arena_fini(&imp->unit_arena);
	mnemo_arena_fini(&imp->batch_arena);
	free(imp->batch);
	free(imp->whole);
	free(imp);
}

void
gateway_import_end(struct gateway_import *imp, struct gateway_http_reply *reply)
{
	memset(reply, 0, sizeof(*reply));
	reply->request_id = imp->request_id;
	if (imp->error == 0) {
		finish(imp);
	}
	if (imp->error < 0) {
		if (imp->batches_sent > 0) {
			send_batch(imp, 0, 1);
		}
		mnemo_log_info("gateway",
			       "req=%016" PRIx64 " import %s refused after %" PRIu64
			       " units (%" PRIu64 " batches staged, dropped): %s",
			       imp->request_id, imp->import_id, imp->units, imp->batches_sent,
			       imp->fault.message);
		gateway_http_reply_error(reply, &imp->fault);
		reply->request_id = imp->request_id;
	} else {
		char *text = mnemo_json_write(&imp->result.base, NULL, &reply->body_len);
		char *body = text != NULL ? realloc(text, reply->body_len + 2) : NULL;

		mnemo_log_info("gateway",
			       "req=%016" PRIx64 " import %s of %s: %" PRIu64 " bytes, %" PRIu64
			       " units, %" PRIu64 " added, %" PRIu64 " updated, %" PRIu64 " skipped",
			       imp->request_id, imp->import_id, imp->name, imp->bytes, imp->units,
			       imp->result.added, imp->result.updated, imp->result.skipped);
		if (body == NULL) {
			struct mnemo_fault f;

			free(text);
			mnemo_fault_set(&f, MNEMO__ERROR_CODE__ERROR_CODE_INTERNAL, "", -1,
					"the import was committed (%s), but its reply could not be "
					"written: out of memory",
					imp->import_id);
			gateway_http_reply_error(reply, &f);
			reply->request_id = imp->request_id;
		} else {
			body[reply->body_len++] = '\n';
			body[reply->body_len] = '\0';
			reply->status = 200;
			reply->content_type = "application/json";
			reply->body = body;
		}
	}
	release(imp);
}

void
gateway_import_abort(struct gateway_import *imp)
{
	if (imp == NULL) {
		return;
	}
	if (imp->batches_sent > 0) {
		send_batch(imp, 0, 1);
		mnemo_log_info("gateway",
			       "req=%016" PRIx64 " import %s abandoned after %" PRIu64
			       " bytes, %" PRIu64 " units (%" PRIu64 " batches staged): aborted",
			       imp->request_id, imp->import_id, imp->bytes, imp->units,
			       imp->batches_sent);
	}
	release(imp);
}
