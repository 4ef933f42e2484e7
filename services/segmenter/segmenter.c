/* The segmenter service: common/text's document segmentation behind a REP socket. */
#include "segmenter.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "document.h"
#include "log.h"
#include "msg.h"
#include "text.h"

void
segmenter_config_init(struct segmenter_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->dial_url, sizeof(cfg->dial_url), "tcp://127.0.0.1:8703");
	cfg->threads = 2;
	cfg->max_message_bytes = 64u << 20;
}

struct segmenter {
	struct segmenter_config cfg;
	nng_socket rep;
	int has_rep;
	struct mnemo_msg_server *server;
	struct mnemo_srx *srx;
	pthread_key_t cache_key; /* each request thread's mnemo_doc_segmenter */
	int has_key;
};

static void
cache_free(void *p)
{
	mnemo_doc_segmenter_free(p);
}

static int
doc_segmenter(struct segmenter *svc, struct mnemo_doc_segmenter **ret)
{
	struct mnemo_doc_segmenter *ds = pthread_getspecific(svc->cache_key);
	int r;

	if (ds == NULL) {
		r = mnemo_doc_segmenter_new(&ds);
		if (r < 0) {
			return r;
		}
		if (pthread_setspecific(svc->cache_key, ds) != 0) {
			mnemo_doc_segmenter_free(ds);
			return -ENOMEM;
		}
	}
	*ret = ds;
	return 0;
}

static Mnemo__SegmentKind
wire_kind(enum mnemo_seg_kind kind)
{
	switch (kind) {
	case MNEMO_SEG_HEADING:
		return MNEMO__SEGMENT_KIND__SEGMENT_KIND_HEADING;
	case MNEMO_SEG_BOILERPLATE:
		return MNEMO__SEGMENT_KIND__SEGMENT_KIND_BOILERPLATE;
	case MNEMO_SEG_FOREIGN:
		return MNEMO__SEGMENT_KIND__SEGMENT_KIND_FOREIGN;
	default:
		return MNEMO__SEGMENT_KIND__SEGMENT_KIND_SENTENCE;
	}
}

/* The request's options, checked; the document is text (UTF-8) or data (any encoding). */
static int
options(const Mnemo__SegmentRequest *req, char *lang, struct mnemo_doc_opts *opts,
	const void **ret_data, size_t *ret_len, struct mnemo_fault *f)
{
	size_t text_len = strlen(req->text);

	if (text_len > 0 && req->data.len > 0) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_REQUEST, "data", -1,
				       "give either text or data, not both");
	}
	if (req->lang[0] != '\0' && mnemo_text_lang_canon(req->lang, lang, MNEMO_TEXT_LANG_MAX) < 0) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_LANG, "lang", -1,
				       "'%s' is not a BCP 47 language tag (e.g. fr, en-GB)",
				       req->lang);
	}
	if (req->format[0] == '\0' || strcmp(req->format, "text") == 0) {
		opts->format = MNEMO_TEXT_PLAIN;
	} else if (strcmp(req->format, "html") == 0) {
		opts->format = MNEMO_TEXT_HTML;
	} else {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "format", -1,
				       "format must be \"text\" or \"html\", not \"%s\"",
				       req->format);
	}
	if (text_len > 0 && req->encoding[0] != '\0' && strcasecmp(req->encoding, "UTF-8") != 0) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_REQUEST, "encoding",
				       -1, "text is UTF-8; send other encodings as data");
	}
	opts->lang = req->lang[0] != '\0' ? lang : NULL;
	opts->encoding = req->encoding;
	opts->hard_wrap = req->hard_wrap;
	*ret_data = text_len > 0 ? (const void *)req->text : req->data.data;
	*ret_len = text_len > 0 ? text_len : req->data.len;
	return 0;
}

static int
segment(struct segmenter *svc, const Mnemo__SegmentRequest *req, struct mnemo_arena *arena,
	Mnemo__SegmentReply **ret, struct mnemo_fault *f)
{
	char lang[MNEMO_TEXT_LANG_MAX];
	struct mnemo_doc_opts opts = {.srx = svc->srx, .max_bytes = svc->cfg.max_message_bytes};
	struct mnemo_doc_segmenter *ds = NULL;
	struct mnemo_doc_result res;
	Mnemo__SegmentReply *reply;
	Mnemo__Segment *items;
	const void *data = NULL;
	size_t len = 0, bad = 0;
	int r;

	r = options(req, lang, &opts, &data, &len, f);
	if (r == 0) {
		r = doc_segmenter(svc, &ds);
	}
	if (r < 0) {
		return r;
	}
	r = mnemo_doc_segment(ds, data, len, &opts, &res, &bad);
	if (r == -EILSEQ) {
		return opts.encoding[0] == '\0' || strcasecmp(opts.encoding, "UTF-8") == 0
			       ? mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_UTF8,
						 strlen(req->text) > 0 ? "text" : "data", (int64_t)bad,
						 "not valid UTF-8 at byte %zu (name its encoding if "
						 "it is not UTF-8)",
						 bad)
			       : mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_ENCODING,
						 "data", (int64_t)bad, "not valid %s at byte %zu",
						 opts.encoding, bad);
	}
	if (r == -EINVAL) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_ENCODING, "encoding",
				       -1, "unknown encoding \"%s\"", opts.encoding);
	}
	if (r == -EMSGSIZE) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_TOO_LARGE,
				       strlen(req->text) > 0 ? "text" : "data", -1,
				       "the document is over %zu bytes once decoded",
				       (size_t)svc->cfg.max_message_bytes);
	}
	if (r == -ELOOP) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE,
				       strlen(req->text) > 0 ? "text" : "data", -1,
				       "HTML elements nested more than %d deep",
				       MNEMO_TEXT_HTML_MAX_DEPTH);
	}
	if (r < 0) {
		return r;
	}
	reply = mnemo_arena_alloc(arena, sizeof(*reply));
	items = mnemo_arena_alloc(arena, res.n * sizeof(*items) + 1);
	if (reply != NULL) {
		mnemo__segment_reply__init(reply);
		reply->segments = mnemo_arena_alloc(arena, res.n * sizeof(*reply->segments) + 1);
		reply->lang = mnemo_arena_strdup(arena, res.lang);
		reply->encoding = mnemo_arena_strdup(arena, res.doc.encoding);
	}
	if (reply == NULL || items == NULL || reply->segments == NULL || reply->lang == NULL ||
	    reply->encoding == NULL) {
		mnemo_doc_result_fini(&res);
		return -ENOMEM;
	}
	for (size_t i = 0; i < res.n; i++) {
		const struct mnemo_doc_segment *d = &res.segs[i];
		Mnemo__Segment *s = &items[i];

		mnemo__segment__init(s);
		s->text = mnemo_arena_strndup(arena, res.doc.text + d->start, d->end - d->start);
		s->lang = mnemo_arena_strdup(arena, d->lang);
		if (s->text == NULL || s->lang == NULL) {
			mnemo_doc_result_fini(&res);
			return -ENOMEM;
		}
		s->start = d->orig_start;
		s->end = d->orig_end;
		s->paragraph = d->paragraph;
		s->kind = wire_kind(d->kind);
		reply->segments[i] = s;
	}
	reply->n_segments = res.n;
	mnemo_doc_result_fini(&res);
	*ret = reply;
	return 0;
}

static int
handle(void *arg, const Mnemo__Envelope *req, Mnemo__Envelope *reply, struct mnemo_arena *arena,
       struct mnemo_fault *f)
{
	struct segmenter *svc = arg;

	if (req->body_case != MNEMO__ENVELOPE__BODY_SEGMENT_REQUEST) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_REQUEST, "body", -1,
				       "the segmenter answers segment requests only");
	}
	mnemo_log_debug("segmenter", "req=%016" PRIx64 " received, %zu bytes", req->request_id,
			strlen(req->segment_request->text) + req->segment_request->data.len);
	if (svc->cfg.delay_ms > 0) {
		struct timespec ts = {svc->cfg.delay_ms / 1000,
				      (long)(svc->cfg.delay_ms % 1000) * 1000000};

		nanosleep(&ts, NULL);
	}
	reply->body_case = MNEMO__ENVELOPE__BODY_SEGMENT_REPLY;
	return segment(svc, req->segment_request, arena, &reply->segment_reply, f);
}

int
segmenter_start(const struct segmenter_config *cfg, struct segmenter **ret, char *err,
		size_t err_size)
{
	struct segmenter *svc = calloc(1, sizeof(*svc));
	struct mnemo_msg_socket_config sc = {.max_message_bytes = cfg->max_message_bytes};
	struct mnemo_msg_limits lim = mnemo_msg_internal_limits;
	int r = 0;

	if (svc == NULL) {
		return -ENOMEM;
	}
	svc->cfg = *cfg;
	lim.max_message_bytes = cfg->max_message_bytes;
	snprintf(err, err_size, "segmenter: dialling %s", cfg->dial_url);
	if (cfg->srx_path[0] != '\0') {
		char why[512];

		r = mnemo_srx_load_file(cfg->srx_path, &svc->srx, why, sizeof(why));
		if (r < 0) {
			snprintf(err, err_size, "segmenter: [segmenter] srx: %s", why);
		}
	}
	if (r == 0) {
		r = -pthread_key_create(&svc->cache_key, cache_free);
		svc->has_key = r == 0;
	}
	if (r == 0) {
		r = mnemo_msg_socket_open(MNEMO_MSG_REP, &sc, &svc->rep);
		svc->has_rep = r == 0;
	}
	if (r == 0) {
		r = mnemo_msg_dial(svc->rep, cfg->dial_url);
	}
	if (r == 0) {
		r = mnemo_msg_server_start(svc->rep, cfg->threads, &lim, "segmenter", handle, svc,
					   &svc->server);
	}
	if (r < 0) {
		if (cfg->srx_path[0] == '\0' || svc->srx != NULL) {
			size_t n = strlen(err);

			snprintf(err + n, err_size - n, ": %s", mnemo_strerror(r));
		}
		segmenter_stop(svc);
		return r;
	}
	mnemo_log_info("segmenter", "dialling %s with %u threads%s%s", cfg->dial_url,
		       cfg->threads, svc->srx != NULL ? ", SRX rules from " : "",
		       svc->srx != NULL ? cfg->srx_path : "");
	*ret = svc;
	return 0;
}

void
segmenter_stop(struct segmenter *svc)
{
	if (svc == NULL) {
		return;
	}
	mnemo_msg_server_stop(svc->server);
	if (svc->has_rep) {
		nng_close(svc->rep);
	}
	if (svc->has_key) {
		pthread_key_delete(svc->cache_key);
	}
	mnemo_srx_free(svc->srx);
	free(svc);
}
