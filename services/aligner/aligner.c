/* The aligner service: the in-memory translation memory and its lookups, and bitext
 * alignment (bitext.c). */
#include "aligner.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "internal.h"
#include "log.h"
#include "msg.h"
#include "text.h"
#include "tm.h"

enum { SNAPSHOT_PAGE = 5000, DEFAULT_MIN_SCORE = 50, DEFAULT_MAX = 5, MAX_MATCHES = 100,
       RETRY_MS = 200 };

void
aligner_config_init(struct aligner_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->dial_url, sizeof(cfg->dial_url), "tcp://127.0.0.1:8704");
	snprintf(cfg->store_url, sizeof(cfg->store_url), "tcp://127.0.0.1:8705");
	snprintf(cfg->store_pub_url, sizeof(cfg->store_pub_url), "tcp://127.0.0.1:8706");
	cfg->threads = 2;
	cfg->timeout_ms = 10000;
	cfg->max_message_bytes = 64u << 20;
	snprintf(cfg->dictionaries, sizeof(cfg->dictionaries), "/usr/share/dictd");
}

struct aligner {
	struct aligner_config cfg;
	struct mnemo_msg_limits lim;
	nng_socket rep, store;
	int has_rep, has_store;
	struct mnemo_msg_server *server;
	struct mnemo_feed *feed;

	pthread_rwlock_t index_lock; /* lookups share it; feed updates take it alone */
	struct mnemo_tm_index *index;
	struct lexicons *lexicons; /* bitext alignment's dictionaries */

	pthread_mutex_t state_lock;
	pthread_cond_t state_changed;
	int ready; /* snapshot loaded and feed running */
	int stopping;
	pthread_t loader;
	int loader_started;
};

static int
call_store(struct aligner *al, Mnemo__Envelope *req, struct mnemo_arena *arena,
	   Mnemo__Envelope **ret)
{
	struct mnemo_fault f;
	int r;

	mnemo_fault_clear(&f);
	r = mnemo_msg_call(al->store, req, al->cfg.timeout_ms, &al->lim, arena, ret, &f);
	if (r == 0 && (*ret)->body_case == MNEMO__ENVELOPE__BODY_ERROR) {
		mnemo_log_warn("aligner", "store refused a request: %s", (*ret)->error->message);
		r = mnemo_msg_errno_from_code((*ret)->error->code);
	}
	return r;
}

/* ---- the index, and keeping it current ------------------------------------------------ */

/* The value for key in a map<string, string> field (entries, n), or NULL: one macro for
 * the maps' entry types, which protoc-c makes distinct. */
#define MAP_VALUE(entries, n, k, out)                                                              \
	do {                                                                                       \
		(out) = NULL;                                                                      \
		for (size_t i_ = 0; i_ < (n); i_++) {                                              \
			if (strcmp((entries)[i_]->key, (k)) == 0) {                                 \
				(out) = (entries)[i_]->value;                                      \
				break;                                                             \
			}                                                                          \
		}                                                                                  \
	} while (0)

static int
index_put(struct aligner *al, const Mnemo__Unit *u)
{
	struct mnemo_tm_variant v[64];
	struct mnemo_tm_unit_info info = {.context = u->context,
					  .origin = u->origin,
					  .changed_by = u->changed_by,
					  .changed_at = u->changed_at};
	size_t n = u->n_variants < 64 ? u->n_variants : 64;
	int r;

	for (size_t i = 0; i < n; i++) {
		const char *lang = u->variants[i]->key, *markup;

		v[i] = (struct mnemo_tm_variant){.lang = lang, .text = u->variants[i]->value};
		MAP_VALUE(u->markup, u->n_markup, lang, markup);
		v[i].has_tags = markup != NULL;
		MAP_VALUE(u->prev, u->n_prev, lang, v[i].prev);
		MAP_VALUE(u->next, u->n_next, lang, v[i].next);
	}
	pthread_rwlock_wrlock(&al->index_lock);
	r = mnemo_tm_index_put(al->index, u->id, u->seq, &info, v, n);
	pthread_rwlock_unlock(&al->index_lock);
	return r;
}

static int
feed_apply(void *arg, const Mnemo__Update *u)
{
	struct aligner *al = arg;
	int r;

	if (u->unit == NULL) {
		return -EINVAL;
	}
	if (u->op == MNEMO__CHANGE_OP__CHANGE_OP_DELETE) {
		pthread_rwlock_wrlock(&al->index_lock);
		r = mnemo_tm_index_remove(al->index, u->unit->id, u->seq);
		pthread_rwlock_unlock(&al->index_lock);
		return r;
	}
	return index_put(al, u->unit);
}

static int
feed_fetch(void *arg, uint64_t since, struct mnemo_arena *arena, Mnemo__UpdatesReply **ret)
{
	struct aligner *al = arg;
	Mnemo__Envelope req, *reply;
	Mnemo__UpdatesRequest ur;
	int r;

	mnemo_msg_envelope_init(&req, mnemo_msg_new_request_id());
	mnemo__updates_request__init(&ur);
	ur.since = since;
	req.body_case = MNEMO__ENVELOPE__BODY_UPDATES_REQUEST;
	req.updates_request = &ur;
	r = call_store(al, &req, arena, &reply);
	if (r == 0 && reply->body_case != MNEMO__ENVELOPE__BODY_UPDATES_REPLY) {
		r = -EPROTO;
	}
	if (r == 0) {
		*ret = reply->updates_reply;
	}
	return r;
}

/* Pages through the store's units; returns the seq the snapshot started from. Changes made
 * while paging are applied again from the feed, which the index's seq check makes safe. */
static int
load_snapshot(struct aligner *al, uint64_t *ret_seq)
{
	struct mnemo_arena arena;
	uint64_t after = 0, start_seq = 0;
	size_t total = 0;
	int r = 0, first = 1;

	mnemo_arena_init(&arena, mnemo_msg_arena_limit(&al->lim));
	for (;;) {
		Mnemo__Envelope req, *reply;
		Mnemo__SnapshotRequest sr;
		Mnemo__SnapshotReply *page;

		mnemo_msg_envelope_init(&req, mnemo_msg_new_request_id());
		mnemo__snapshot_request__init(&sr);
		sr.after_id = after;
		sr.max = SNAPSHOT_PAGE;
		req.body_case = MNEMO__ENVELOPE__BODY_SNAPSHOT_REQUEST;
		req.snapshot_request = &sr;
		r = call_store(al, &req, &arena, &reply);
		if (r == 0 && reply->body_case != MNEMO__ENVELOPE__BODY_SNAPSHOT_REPLY) {
			r = -EPROTO;
		}
		if (r < 0) {
			break;
		}
		page = reply->snapshot_reply;
		if (first) {
			start_seq = page->last_seq;
			first = 0;
		}
		for (size_t i = 0; i < page->n_units && r == 0; i++) {
			r = index_put(al, page->units[i]);
			after = page->units[i]->id;
		}
		total += page->n_units;
		mnemo_arena_reset(&arena);
		if (r < 0 || page->n_units < SNAPSHOT_PAGE) {
			break;
		}
	}
	mnemo_arena_fini(&arena);
	if (r == 0) {
		mnemo_log_info("aligner", "memory loaded: %zu units, seq %" PRIu64, total, start_seq);
		*ret_seq = start_seq;
	}
	return r;
}

static int
wait_stopping(struct aligner *al, uint32_t ms)
{
	struct timespec ts;
	int stopping;

	mnemo_clock_deadline(&ts, ms);
	pthread_mutex_lock(&al->state_lock);
	if (!al->stopping) {
		pthread_cond_timedwait(&al->state_changed, &al->state_lock, &ts);
	}
	stopping = al->stopping;
	pthread_mutex_unlock(&al->state_lock);
	return stopping;
}

/* Loads the memory in the background, retrying until the store answers: workers may start
 * before the store does. */
static void *
load(void *arg)
{
	static const struct mnemo_feed_ops ops = {feed_fetch, feed_apply};
	struct aligner *al = arg;
	uint64_t seq = 0;
	int r, warned = 0;

	while ((r = load_snapshot(al, &seq)) < 0) {
		if (!warned) {
			mnemo_log_warn("aligner", "loading the memory from %s failed: %s, retrying",
				       al->cfg.store_url, mnemo_strerror(r));
			warned = 1;
		}
		if (wait_stopping(al, RETRY_MS)) {
			return NULL;
		}
	}
	/* Only now: learning from a memory half loaded would be done again as soon as the
	 * rest came in. */
	r = lexicons_set_tm(al->lexicons, al->index, &al->index_lock);
	if (r < 0) {
		mnemo_log_warn("aligner", "no lexicon entries from the memory: %s",
			       mnemo_strerror(r));
	}
	r = mnemo_feed_start(&(struct mnemo_feed_config){.sub_url = al->cfg.store_pub_url,
							 .from_seq = seq,
							 .lim = al->lim},
			     &ops, al, &al->feed);
	pthread_mutex_lock(&al->state_lock);
	if (r < 0) {
		mnemo_log_err("aligner", "following %s failed: %s; lookups will fail",
			      al->cfg.store_pub_url, mnemo_strerror(r));
	}
	al->ready = r == 0 ? 1 : -1;
	pthread_cond_broadcast(&al->state_changed);
	pthread_mutex_unlock(&al->state_lock);
	return NULL;
}

/* ---- lookups ------------------------------------------------------------------------------ */

/* Waits until the memory is loaded and holds every change up to min_seq. */
static int
wait_current(struct aligner *al, uint64_t min_seq, uint32_t timeout_ms, struct mnemo_fault *f)
{
	struct timespec ts;
	int ready;

	mnemo_clock_deadline(&ts, timeout_ms);
	pthread_mutex_lock(&al->state_lock);
	while (al->ready == 0 && !al->stopping) {
		if (pthread_cond_timedwait(&al->state_changed, &al->state_lock, &ts) == ETIMEDOUT) {
			break;
		}
	}
	ready = al->ready;
	pthread_mutex_unlock(&al->state_lock);
	if (ready != 1) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_UNAVAILABLE, "", -1,
				       "the translation memory is not loaded yet");
	}
	if (min_seq > 0 && mnemo_feed_sync(al->feed, min_seq, timeout_ms) < 0) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_UNAVAILABLE, "min_seq", -1,
				       "the memory has not caught up with change %" PRIu64 " yet",
				       min_seq);
	}
	return 0;
}

int
aligner_check_lang(const char *field, const char *tag, char *out, struct mnemo_fault *f)
{
	if (tag[0] == '\0') {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_MISSING_FIELD, field, -1,
				       "'%s' (a BCP 47 language tag) is required", field);
	}
	if (mnemo_text_lang_canon(tag, out, MNEMO_TEXT_LANG_MAX) < 0) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_LANG, field, -1,
				       "'%s' is not a BCP 47 language tag (e.g. fr, en-GB)", tag);
	}
	return 0;
}

/* A match as the reply shows it, copied into arena (the index may change once its lock is
 * released): the proposal made for segment, the penalties by name, the unit's origin. */
static int
match_of(struct mnemo_arena *arena, const char *segment, const struct mnemo_tm_match *found,
	 Mnemo__Match *m)
{
	static const Mnemo__MatchKind kinds[] = {
		[MNEMO_TM_FUZZY] = MNEMO__MATCH_KIND__MATCH_KIND_FUZZY,
		[MNEMO_TM_EXACT] = MNEMO__MATCH_KIND__MATCH_KIND_EXACT,
		[MNEMO_TM_IN_CONTEXT] = MNEMO__MATCH_KIND__MATCH_KIND_IN_CONTEXT,
	};
	char *proposal = NULL;
	size_t proposal_len;
	int r;

	m->unit = found->unit;
	m->score = found->score;
	m->kind = kinds[found->kind];
	m->source = mnemo_arena_strdup(arena, found->source);
	m->target = mnemo_arena_strdup(arena, found->target);
	m->origin = mnemo_arena_strdup(arena, found->origin);
	m->changed_by = mnemo_arena_strdup(arena, found->changed_by);
	m->changed_at = found->changed_at;
	m->penalties = mnemo_arena_alloc(arena, 8 * sizeof(*m->penalties));
	if (m->source == NULL || m->target == NULL || m->origin == NULL ||
	    m->changed_by == NULL || m->penalties == NULL) {
		return -ENOMEM;
	}
	for (unsigned bit = 1; bit <= MNEMO_TM_PENALTY_TAGS; bit <<= 1) {
		if (found->penalties & bit) {
			m->penalties[m->n_penalties++] = (char *)mnemo_tm_penalty_name(bit);
		}
	}
	r = mnemo_tm_propose(segment, strlen(segment), found->source, strlen(found->source),
			     found->target, strlen(found->target), &proposal, &proposal_len);
	if (r < 0) {
		return r;
	}
	m->proposal = mnemo_arena_strndup(arena, proposal, proposal_len);
	free(proposal);
	return m->proposal != NULL ? 0 : -ENOMEM;
}

static int
lookup(struct aligner *al, const Mnemo__LookupRequest *req, struct mnemo_arena *arena,
       Mnemo__LookupReply **ret, struct mnemo_fault *f)
{
	char source[MNEMO_TEXT_LANG_MAX], target[MNEMO_TEXT_LANG_MAX];
	uint32_t min_score = req->min_score ? req->min_score : DEFAULT_MIN_SCORE;
	uint32_t max = req->max ? req->max : DEFAULT_MAX;
	struct mnemo_tm_match found[MAX_MATCHES];
	struct mnemo_tm_query q;
	Mnemo__LookupReply *reply;
	int r;

	r = aligner_check_lang("source", req->source, source, f);
	if (r == 0) {
		r = aligner_check_lang("target", req->target, target, f);
	}
	if (r < 0) {
		return r;
	}
	if (min_score > 101) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "min_score",
				       -1, "min_score must be from 1 to 101 (0: %d)",
				       DEFAULT_MIN_SCORE);
	}
	if (max > MAX_MATCHES) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "max", -1,
				       "max must be from 1 to %d (0: %d)", MAX_MATCHES, DEFAULT_MAX);
	}
	if (req->text[0] != '\0' && req->n_segments == 0) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_REQUEST, "text", -1,
				       "the aligner takes segments; send text to the gateway");
	}
	r = wait_current(al, req->min_seq, al->cfg.timeout_ms, f);
	if (r < 0) {
		return r;
	}
	reply = mnemo_arena_alloc(arena, sizeof(*reply));
	if (reply == NULL) {
		return -ENOMEM;
	}
	mnemo__lookup_reply__init(reply);
	reply->results = mnemo_arena_alloc(arena, req->n_segments * sizeof(*reply->results) + 1);
	if (reply->results == NULL) {
		return -ENOMEM;
	}
	pthread_rwlock_rdlock(&al->index_lock);
	for (size_t i = 0; i < req->n_segments && r == 0; i++) {
		const char *text = req->segments[i];
		Mnemo__LookupResult *res = mnemo_arena_alloc(arena, sizeof(*res));
		int n;

		if (res == NULL) {
			r = -ENOMEM;
			break;
		}
		mnemo__lookup_result__init(res);
		res->segment = (char *)text;
		/* the neighbours: the segments around it, the request's at the edges */
		q = (struct mnemo_tm_query){
			.source = source,
			.target = target,
			.text = text,
			.len = strlen(text),
			.prev = i > 0 ? req->segments[i - 1] : req->prev,
			.next = i + 1 < req->n_segments ? req->segments[i + 1] : req->next,
			.context = req->context,
			.min_score = min_score,
			.max = max,
		};
		n = mnemo_tm_index_lookup(al->index, &q, found);
		if (n < 0) {
			r = n;
			break;
		}
		res->matches = mnemo_arena_alloc(arena, (size_t)n * sizeof(*res->matches) + 1);
		for (int k = 0; res->matches != NULL && k < n; k++) {
			Mnemo__Match *m = mnemo_arena_alloc(arena, sizeof(*m));

			if (m == NULL) {
				res->matches = NULL;
				break;
			}
			mnemo__match__init(m);
			if (match_of(arena, text, &found[k], m) < 0) {
				res->matches = NULL;
				break;
			}
			res->matches[res->n_matches++] = m;
		}
		if (res->matches == NULL) {
			r = -ENOMEM;
			break;
		}
		reply->results[reply->n_results++] = res;
	}
	pthread_rwlock_unlock(&al->index_lock);
	if (r == 0) {
		*ret = reply;
	}
	return r;
}

static int
handle(void *arg, const Mnemo__Envelope *req, Mnemo__Envelope *reply, struct mnemo_arena *arena,
       struct mnemo_fault *f)
{
	struct aligner *al = arg;

	switch (req->body_case) {
	case MNEMO__ENVELOPE__BODY_LOOKUP_REQUEST:
		reply->body_case = MNEMO__ENVELOPE__BODY_LOOKUP_REPLY;
		return lookup(al, req->lookup_request, arena, &reply->lookup_reply, f);
	case MNEMO__ENVELOPE__BODY_ALIGN_REQUEST:
		reply->body_case = MNEMO__ENVELOPE__BODY_ALIGN_REPLY;
		return aligner_bitext(al->lexicons, req->align_request, arena, &reply->align_reply,
				      f);
	default:
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_REQUEST, "body", -1,
				       "the aligner answers lookup and align requests only");
	}
}

int
aligner_start(const struct aligner_config *cfg, struct aligner **ret)
{
	struct aligner *al = calloc(1, sizeof(*al));
	struct mnemo_msg_socket_config sc = {.max_message_bytes = cfg->max_message_bytes,
					     .resend_ms = cfg->timeout_ms};
	pthread_rwlockattr_t ra;
	int r;

	if (al == NULL) {
		return -ENOMEM;
	}
	al->cfg = *cfg;
	al->lim = mnemo_msg_internal_limits;
	al->lim.max_message_bytes = cfg->max_message_bytes;
	pthread_rwlockattr_init(&ra);
	/* Lookups never starve the feed: a waiting update goes before new lookups. */
	pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&al->index_lock, &ra);
	pthread_rwlockattr_destroy(&ra);
	pthread_mutex_init(&al->state_lock, NULL);
	mnemo_cond_init(&al->state_changed);
	r = mnemo_tm_index_new(&al->index);
	if (r == 0) {
		r = lexicons_new(cfg->dictionaries, &al->lexicons);
	}
	if (r == 0) {
		r = mnemo_msg_socket_open(MNEMO_MSG_REQ, &sc, &al->store);
		al->has_store = r == 0;
	}
	if (r == 0) {
		r = mnemo_msg_dial(al->store, cfg->store_url);
	}
	if (r == 0) {
		r = -pthread_create(&al->loader, NULL, load, al);
		al->loader_started = r == 0;
	}
	if (r == 0) {
		r = mnemo_msg_socket_open(MNEMO_MSG_REP, &sc, &al->rep);
		al->has_rep = r == 0;
	}
	if (r == 0) {
		r = mnemo_msg_dial(al->rep, cfg->dial_url);
	}
	if (r == 0) {
		r = mnemo_msg_server_start(al->rep, cfg->threads, &al->lim, "aligner", handle, al,
					   &al->server);
	}
	if (r < 0) {
		aligner_stop(al);
		return r;
	}
	mnemo_log_info("aligner", "dialling %s; memory from %s and %s", cfg->dial_url,
		       cfg->store_url, cfg->store_pub_url);
	*ret = al;
	return 0;
}

void
aligner_stop(struct aligner *al)
{
	if (al == NULL) {
		return;
	}
	pthread_mutex_lock(&al->state_lock);
	al->stopping = 1;
	pthread_cond_broadcast(&al->state_changed);
	/* Requests waiting for the feed, or for the store (a catch-up, a snapshot page), end
	 * now: the store may be gone already, and its calls wait up to [aligner] timeout_ms.
	 * The feed exists once ready is 1 (the loader sets it first). */
	if (al->ready == 1) {
		mnemo_feed_interrupt(al->feed);
	}
	pthread_mutex_unlock(&al->state_lock);
	if (al->has_store) {
		nng_close(al->store);
	}
	mnemo_msg_server_stop(al->server);
	if (al->has_rep) {
		nng_close(al->rep);
	}
	if (al->loader_started) {
		pthread_join(al->loader, NULL);
	}
	mnemo_feed_stop(al->feed);
	lexicons_free(al->lexicons); /* first: its thread reads the index */
	mnemo_tm_index_free(al->index);
	pthread_cond_destroy(&al->state_changed);
	pthread_mutex_destroy(&al->state_lock);
	pthread_rwlock_destroy(&al->index_lock);
	free(al);
}
