/* The segmenter service: the text library's segmenter behind a REP socket. */
#include "segmenter.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "msg.h"
#include "segment.h"
#include "text.h"

enum { CACHED_LANGS = 4 };

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
	pthread_key_t cache_key;
	int has_key;
};

/* Each request thread keeps a segmenter per language it has seen (ICU's iterators are
 * costly to open and not thread-safe). */
struct lang_cache {
	char lang[CACHED_LANGS][MNEMO_TEXT_LANG_MAX];
	struct mnemo_segmenter *sg[CACHED_LANGS];
	unsigned next; /* the slot to replace when all are taken */
};

static void
cache_free(void *p)
{
	struct lang_cache *c = p;

	for (unsigned i = 0; i < CACHED_LANGS; i++) {
		mnemo_segmenter_free(c->sg[i]);
	}
	free(c);
}

static int
segmenter_for(struct segmenter *svc, const char *lang, struct mnemo_segmenter **ret)
{
	struct lang_cache *c = pthread_getspecific(svc->cache_key);
	unsigned slot;
	int r;

	if (c == NULL) {
		c = calloc(1, sizeof(*c));
		if (c == NULL || pthread_setspecific(svc->cache_key, c) != 0) {
			free(c);
			return -ENOMEM;
		}
	}
	for (unsigned i = 0; i < CACHED_LANGS; i++) {
		if (c->sg[i] != NULL && strcmp(c->lang[i], lang) == 0) {
			*ret = c->sg[i];
			return 0;
		}
	}
	slot = c->next++ % CACHED_LANGS;
	mnemo_segmenter_free(c->sg[slot]);
	c->sg[slot] = NULL;
	r = mnemo_segmenter_new(lang, &c->sg[slot]);
	if (r < 0) {
		return r;
	}
	snprintf(c->lang[slot], sizeof(c->lang[slot]), "%s", lang);
	*ret = c->sg[slot];
	return 0;
}

static int
segment(struct segmenter *svc, const Mnemo__SegmentRequest *req, struct mnemo_arena *arena,
	Mnemo__SegmentReply **ret, struct mnemo_fault *f)
{
	char lang[MNEMO_TEXT_LANG_MAX];
	struct mnemo_segmenter *sg;
	struct mnemo_seg *segs = NULL;
	Mnemo__SegmentReply *reply;
	Mnemo__Segment *items;
	size_t n = 0, len = strlen(req->text);
	int r;

	if (mnemo_text_lang_canon(req->lang[0] != '\0' ? req->lang : "fr", lang, sizeof(lang)) < 0) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_LANG, "lang", -1,
				       "'%s' is not a BCP 47 language tag (e.g. fr, en-GB)",
				       req->lang);
	}
	r = segmenter_for(svc, lang, &sg);
	if (r == 0) {
		r = mnemo_segmenter_run(sg, req->text, len, &segs, &n);
	}
	if (r < 0) {
		return r;
	}
	reply = mnemo_arena_alloc(arena, sizeof(*reply));
	items = mnemo_arena_alloc(arena, n * sizeof(*items) + 1);
	if (reply != NULL) {
		mnemo__segment_reply__init(reply);
		reply->segments = mnemo_arena_alloc(arena, n * sizeof(*reply->segments) + 1);
		reply->lang = mnemo_arena_strdup(arena, lang);
	}
	if (reply == NULL || items == NULL || reply->segments == NULL || reply->lang == NULL) {
		free(segs);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		Mnemo__Segment *s = &items[i];

		mnemo__segment__init(s);
		s->text = mnemo_arena_strndup(arena, req->text + segs[i].start,
					      segs[i].end - segs[i].start);
		if (s->text == NULL) {
			free(segs);
			return -ENOMEM;
		}
		s->start = segs[i].start;
		s->end = segs[i].end;
		s->paragraph = segs[i].paragraph;
		s->kind = segs[i].kind == MNEMO_SEG_HEADING ? MNEMO__SEGMENT_KIND__SEGMENT_KIND_HEADING
							    : MNEMO__SEGMENT_KIND__SEGMENT_KIND_SENTENCE;
		s->lang = reply->lang;
		reply->segments[i] = s;
	}
	reply->n_segments = n;
	free(segs);
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
			strlen(req->segment_request->text));
	if (svc->cfg.delay_ms > 0) {
		struct timespec ts = {svc->cfg.delay_ms / 1000,
				      (long)(svc->cfg.delay_ms % 1000) * 1000000};

		nanosleep(&ts, NULL);
	}
	reply->body_case = MNEMO__ENVELOPE__BODY_SEGMENT_REPLY;
	return segment(svc, req->segment_request, arena, &reply->segment_reply, f);
}

int
segmenter_start(const struct segmenter_config *cfg, struct segmenter **ret)
{
	struct segmenter *svc = calloc(1, sizeof(*svc));
	struct mnemo_msg_socket_config sc = {.max_message_bytes = cfg->max_message_bytes};
	struct mnemo_msg_limits lim = mnemo_msg_internal_limits;
	int r;

	if (svc == NULL) {
		return -ENOMEM;
	}
	svc->cfg = *cfg;
	lim.max_message_bytes = cfg->max_message_bytes;
	r = -pthread_key_create(&svc->cache_key, cache_free);
	svc->has_key = r == 0;
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
		segmenter_stop(svc);
		return r;
	}
	mnemo_log_info("segmenter", "dialling %s with %u threads", cfg->dial_url, cfg->threads);
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
	free(svc);
}
