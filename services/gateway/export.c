/* Exports: the memory as TMX 1.4b, made a page of units at a time as the reader pulls it
 * (libmicrohttpd's content reader for GET /v1/tmx, a loop writing a file for mnemo export).
 *
 * The pages are the store's SnapshotRequest pages, in unit id order, each read in its own
 * read transaction: a unit changed while an export runs appears as it was when its page
 * was read. What is held at once is one page of units and one unit's TMX, whatever the
 * memory's size.
 *
 * common/formats' writer writes to a FILE. The FILE here is a fopencookie() stream whose
 * write function appends to the export's own buffer, which read() drains from the front
 * and empties before the next unit is written. open_memstream() would own that buffer
 * instead: its contents show only after a flush, and emptying it means seeking the stream
 * back to its start and trusting libc with the size it then reports. The stream is
 * unbuffered, so each fwrite of the writer (a whole <tu>) lands in the buffer at once,
 * without a second copy in stdio's own buffer. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats.h"
#include "internal.h"
#include "log.h"
#include "text.h"

enum {
	PAGE_UNITS = 500,              /* units asked of the store at once */
	MAX_LANGS = 64,                /* languages of one export */
	KEEP_BUFFER_BYTES = 256 << 10, /* a larger buffer (a huge unit) is freed once drained */
};

struct gateway_export {
	struct gateway *gw;
	uint64_t request_id;
	FILE *f; /* the writer's stream, into out */
	struct mnemo_tmx_writer *w;

	char *out; /* TMX written and not yet read: [out_pos, out_len) */
	size_t out_pos, out_len, out_cap;
	bool out_failed; /* the buffer could not grow */

	struct mnemo_arena arena; /* the current page */
	Mnemo__SnapshotReply *page;
	size_t next;       /* the page's next unit */
	uint64_t after_id; /* the last unit id read */
	uint32_t page_max;
	bool last_page, done;
	int err; /* once the export failed, every read returns it */

	struct {
		uint64_t written;  /* units written so far */
		uint64_t left_out; /* with fewer than two of the languages */
		uint64_t refused;  /* that TMX cannot carry */
	} counts;
};

/* ---- the writer's stream ------------------------------------------------------------------ */

static ssize_t
sink_write(void *cookie, const char *data, size_t len)
{
	struct gateway_export *exp = cookie;

	if (exp->out_len + len > exp->out_cap) {
		size_t cap = exp->out_cap != 0 ? exp->out_cap : 16 * 1024;
		char *grown;

		while (cap < exp->out_len + len) {
			cap *= 2;
		}
		grown = realloc(exp->out, cap);
		if (grown == NULL) {
			exp->out_failed = true;
			return 0; /* stdio's "nothing written": the writer reports -EIO */
		}
		exp->out = grown;
		exp->out_cap = cap;
	}
	memcpy(exp->out + exp->out_len, data, len);
	exp->out_len += len;
	return (ssize_t)len;
}

static int
sink_open(struct gateway_export *exp)
{
	static const cookie_io_functions_t io = {.write = sink_write};

	exp->f = fopencookie(exp, "w", io);
	if (exp->f == NULL) {
		return -ENOMEM;
	}
	if (setvbuf(exp->f, NULL, _IONBF, 0) != 0) {
		return -ENOMEM;
	}
	return 0;
}

/* After read() took everything: the next unit starts at the buffer's start. */
static void
sink_drained(struct gateway_export *exp)
{
	exp->out_pos = exp->out_len = 0;
	if (exp->out_cap > KEEP_BUFFER_BYTES) {
		free(exp->out);
		exp->out = NULL;
		exp->out_cap = 0;
	}
}

/* ---- pages from the store ---------------------------------------------------------------- */

static int
fetch_page(struct gateway_export *exp, struct mnemo_fault *f)
{
	for (;;) {
		Mnemo__Envelope req, reply;
		Mnemo__SnapshotRequest sr;
		const Mnemo__Error *e;
		int r;

		mnemo_arena_reset(&exp->arena);
		exp->page = NULL;
		exp->next = 0;
		mnemo_msg_envelope_init(&req, exp->request_id);
		mnemo_msg_envelope_init(&reply, exp->request_id);
		mnemo__snapshot_request__init(&sr);
		sr.after_id = exp->after_id;
		sr.max = exp->page_max;
		mnemo_msg_set_body(&req, MNEMO__ENVELOPE__BODY_SNAPSHOT_REQUEST, &sr.base);
		mnemo_fault_clear(f);
		r = gateway_dispatch(exp->gw, &req, &reply, &exp->arena, f);
		if (r < 0) {
			if (f->code == MNEMO__ERROR_CODE__ERROR_CODE_UNSPECIFIED) {
				mnemo_fault_set(f, mnemo_msg_code_from_errno(r), "", -1, "%s",
						mnemo_strerror(r));
			}
			return r;
		}
		if (reply.body_case == MNEMO__ENVELOPE__BODY_SNAPSHOT_REPLY &&
		    reply.snapshot_reply != NULL) {
			exp->page = reply.snapshot_reply;
			break;
		}
		if (reply.body_case != MNEMO__ENVELOPE__BODY_ERROR || reply.error == NULL) {
			return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INTERNAL, "", -1,
					       "the store answered a snapshot page with message "
					       "type %d",
					       (int)reply.body_case);
		}
		e = reply.error;
		if (e->code == MNEMO__ERROR_CODE__ERROR_CODE_TOO_LARGE && exp->page_max > 1) {
			/* Units so large that a page of them is over the message limit: take
			 * fewer at once. */
			exp->page_max /= 2;
			continue;
		}
		mnemo_fault_set(f, e->code, e->field, e->offset, "%s", e->message);
		return mnemo_msg_errno_from_code(e->code);
	}
	if (exp->page->n_units > 0) {
		exp->after_id = exp->page->units[exp->page->n_units - 1]->id;
	}
	exp->last_page = exp->page->n_units < exp->page_max;
	return 0;
}

/* ---- units ----------------------------------------------------------------------------- */

/* A unit the writer refuses (stored before a check that now refuses it) is left out with
 * a comment in its place, so the file says what it lacks; the export goes on. */
static int
refused(struct gateway_export *exp, const Mnemo__Unit *u, const char *why)
{
	char text[MNEMO_FORMATS_MESSAGE_MAX];
	size_t i;

	mnemo_log_warn("gateway", "req=%016" PRIx64 " export: unit %" PRIu64 " left out: %s",
		       exp->request_id, u->id, why);
	exp->counts.refused++;
	/* A comment holds no "--", and the message may be cut inside a character: ASCII
	 * only, without control characters. */
	snprintf(text, sizeof(text), "%s", why);
	for (i = 0; text[i] != '\0'; i++) {
		if ((unsigned char)text[i] >= 0x80) {
			text[i] = '?';
		} else if ((unsigned char)text[i] < 0x20 ||
			   (text[i] == '-' && text[i + 1] == '-')) {
			text[i] = ' ';
		}
	}
	if (i > 0 && text[i - 1] == '-') {
		text[i - 1] = ' ';
	}
	if (fprintf(exp->f, "    <!-- unit %" PRIu64 " left out: %s -->\n", u->id, text) < 0 ||
	    exp->out_failed) {
		return -ENOMEM;
	}
	return 0;
}

static int
write_unit(struct gateway_export *exp, const Mnemo__Unit *u)
{
	struct mnemo_formats_error err;
	int r;

	memset(&err, 0, sizeof(err));
	r = mnemo_tmx_write_unit(exp->w, u, &err);
	if (r == 1) {
		exp->counts.written++;
		return 0;
	}
	if (r == 0) {
		exp->counts.left_out++;
		return 0;
	}
	if (exp->out_failed) {
		return -ENOMEM;
	}
	if (r == -EINVAL || r == -EILSEQ) {
		return refused(exp, u, err.message[0] != '\0' ? err.message : mnemo_strerror(r));
	}
	return r;
}

/* Puts the next piece of the document into the buffer (possibly nothing: a unit left
 * out), fetching the next page when this one is done. */
static int
step(struct gateway_export *exp)
{
	struct mnemo_fault f;
	int r;

	if (exp->page != NULL && exp->next < exp->page->n_units) {
		return write_unit(exp, exp->page->units[exp->next++]);
	}
	if (exp->last_page) {
		r = mnemo_tmx_write_end(exp->w);
		exp->w = NULL;
		if (r < 0) {
			return exp->out_failed ? -ENOMEM : r;
		}
		exp->done = true;
		mnemo_log_info("gateway",
			       "req=%016" PRIx64 " export done: %" PRIu64 " units, %" PRIu64
			       " with fewer than two of the languages, %" PRIu64 " refused",
			       exp->request_id, exp->counts.written, exp->counts.left_out,
			       exp->counts.refused);
		return 0;
	}
	r = fetch_page(exp, &f);
	if (r < 0) {
		mnemo_log_warn("gateway",
			       "req=%016" PRIx64 " export cut short after %" PRIu64
			       " units (the document is incomplete): %s",
			       exp->request_id, exp->counts.written, f.message);
	}
	return r;
}

ssize_t
gateway_export_read(struct gateway_export *exp, char *buf, size_t max)
{
	size_t n = 0;

	/* Fill buf as far as it goes: one HTTP chunk per unit would cost a chunk header and a
	 * send each. */
	while (n < max) {
		if (exp->out_pos < exp->out_len) {
			size_t k = exp->out_len - exp->out_pos;

			if (k > max - n) {
				k = max - n;
			}
			memcpy(buf + n, exp->out + exp->out_pos, k);
			exp->out_pos += k;
			n += k;
			continue;
		}
		sink_drained(exp);
		if (exp->err < 0 || exp->done) {
			break;
		}
		exp->err = step(exp);
		if (exp->err < 0) {
			exp->out_len = 0; /* half a unit is not sent */
		}
	}
	if (n > 0) {
		return (ssize_t)n;
	}
	return exp->err;
}

/* ---- begin and end ------------------------------------------------------------------------- */

static int
canon_lang(const char *tag, const char *field, char out[MNEMO_TEXT_LANG_MAX],
	   struct mnemo_fault *f)
{
	if (mnemo_text_lang_canon(tag, out, MNEMO_TEXT_LANG_MAX) < 0) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_LANG, field, -1,
				       "%s: '%s' is not a BCP 47 language tag", field, tag);
	}
	return 0;
}

/* The writer's options from the export's, tags canonical (langs has room for MAX_LANGS). */
static int
check_options(const struct gateway_export_options *opt, char (*langs)[MNEMO_TEXT_LANG_MAX],
	      const char **lang_ptrs, struct mnemo_tmx_write_options *wo, struct mnemo_fault *f)
{
	bool has_source = opt->source != NULL && opt->source[0] != '\0';
	bool has_target = opt->target != NULL && opt->target[0] != '\0';
	size_t i, k, n = 0;
	int r;

	memset(wo, 0, sizeof(*wo));
	if (has_source != has_target) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_MISSING_FIELD,
				       has_source ? "target" : "source", -1,
				       "source and target go together (a pair of languages); for "
				       "several languages give lang");
	}
	if (has_source && opt->n_langs > 0) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_REQUEST, "lang", -1,
				       "give either source and target, or lang, not both");
	}
	if (has_source) {
		if ((r = canon_lang(opt->source, "source", langs[0], f)) < 0 ||
		    (r = canon_lang(opt->target, "target", langs[1], f)) < 0) {
			return r;
		}
		if (strcmp(langs[0], langs[1]) == 0) {
			return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE,
					       "target", -1,
					       "source and target are one language (%s)", langs[0]);
		}
		lang_ptrs[0] = langs[0];
		lang_ptrs[1] = langs[1];
		wo->srclang = langs[0];
		wo->langs = lang_ptrs;
		wo->n_langs = 2;
		return 0;
	}
	if (opt->n_langs == 0) {
		return 0; /* every language */
	}
	for (i = 0; i < opt->n_langs; i++) {
		if (n == MAX_LANGS) {
			return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_TOO_LARGE, "lang",
					       -1, "more than %d languages", MAX_LANGS);
		}
		if ((r = canon_lang(opt->langs[i], "lang", langs[n], f)) < 0) {
			return r;
		}
		for (k = 0; k < n && strcmp(langs[k], langs[n]) != 0; k++) {
		}
		if (k == n) {
			lang_ptrs[n] = langs[n];
			n++;
		}
	}
	if (n < 2) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "lang", -1,
				       "lang: give two languages or more (a unit needs two); "
				       "none exports every language");
	}
	wo->langs = lang_ptrs;
	wo->n_langs = n;
	return 0;
}

int
gateway_export_begin(struct gateway *gw, const struct gateway_export_options *opt,
		     struct gateway_export **ret, struct gateway_http_reply *err)
{
	char tags[MAX_LANGS][MNEMO_TEXT_LANG_MAX]; /* the writer copies them */
	const char *lang_ptrs[MAX_LANGS], *what;
	struct mnemo_tmx_write_options wo;
	struct gateway_export *exp;
	struct mnemo_fault f;
	int r;

	memset(err, 0, sizeof(*err));
	err->request_id = opt->request_id != 0 ? opt->request_id : mnemo_msg_new_request_id();
	mnemo_fault_clear(&f);
	exp = calloc(1, sizeof(*exp));
	if (exp == NULL) {
		r = mnemo_fault_set(&f, MNEMO__ERROR_CODE__ERROR_CODE_INTERNAL, "", -1,
				    "out of memory");
		goto fail;
	}
	exp->gw = gw;
	exp->request_id = err->request_id;
	exp->page_max = PAGE_UNITS;
	mnemo_arena_init(&exp->arena, mnemo_msg_arena_limit(&mnemo_msg_internal_limits));
	r = check_options(opt, tags, lang_ptrs, &wo, &f);
	if (r == 0 && (r = sink_open(exp)) == 0) {
		r = mnemo_tmx_write_begin(exp->f, &wo, &exp->w);
	}
	if (r < 0) {
		if (f.code == MNEMO__ERROR_CODE__ERROR_CODE_UNSPECIFIED) {
			mnemo_fault_set(&f, mnemo_msg_code_from_errno(r), "", -1,
					"the export could not start: %s", mnemo_strerror(r));
		}
		goto fail;
	}
	/* The first page now, so that a store out of reach is a 503, not a cut document. */
	r = fetch_page(exp, &f);
	if (r < 0) {
		goto fail;
	}
	what = wo.n_langs == 0 ? "every language"
	       : wo.srclang != NULL ? "a pair of languages"
				    : "several languages";
	mnemo_log_info("gateway", "req=%016" PRIx64 " export started: %s", exp->request_id, what);
	*ret = exp;
	return 0;

fail:
	gateway_export_free(exp);
	gateway_http_reply_error(err, &f);
	mnemo_log_debug("gateway", "req=%016" PRIx64 " export refused: %s", err->request_id,
			f.message);
	return r;
}

void
gateway_export_free(struct gateway_export *exp)
{
	if (exp == NULL) {
		return;
	}
	if (!exp->done && exp->err == 0 && exp->w != NULL) {
		mnemo_log_notice("gateway",
				 "req=%016" PRIx64 " export stopped after %" PRIu64
				 " units, unfinished: the reader went away (or the server is "
				 "stopping)",
				 exp->request_id, exp->counts.written);
	}
	if (exp->w != NULL) {
		(void)mnemo_tmx_write_end(exp->w); /* frees it; what it writes is dropped */
	}
	if (exp->f != NULL) {
		fclose(exp->f);
	}
	mnemo_arena_fini(&exp->arena);
	free(exp->out);
	free(exp);
}
