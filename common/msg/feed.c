/* The lossless change feed. pub/sub drops messages for slow readers (16-message queues
 * in nng 1.5.2), so the feed numbers nothing itself: it trusts the store's seq. Every
 * change after from_seq is applied once and in order; anything missed is fetched. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>

#include "clock.h"
#include "log.h"
#include "msg.h"

enum { MAX_PAGES_PER_CATCH_UP = 100000 };

struct mnemo_feed {
	nng_socket sub;
	int has_sub;
	struct mnemo_msg_limits lim;
	struct mnemo_feed_ops ops;
	void *arg;
	uint32_t stale_ms;

	pthread_mutex_t lock;    /* one applier at a time: the thread or a sync caller */
	pthread_cond_t advanced; /* last_seq grew, or the feed is stopping */
	uint64_t last_seq;
	int stopping;
	int interrupted; /* waits return at once */

	pthread_t thread;
	int started;
	struct mnemo_feed_stats stats;
};

/* Applies one change in order; the caller holds the lock. */
static void
apply_locked(struct mnemo_feed *feed, const Mnemo__Update *u)
{
	int r;

	if (u->seq <= feed->last_seq) {
		atomic_fetch_add(&feed->stats.duplicates, 1);
		return;
	}
	if (u->seq != feed->last_seq + 1) {
		/* The store hands out seqs without holes, so this is a bug, not a loss. */
		mnemo_log_warn("feed", "seq jumps from %" PRIu64 " to %" PRIu64 ", applying it",
			       feed->last_seq, u->seq);
	}
	r = feed->ops.apply(feed->arg, u);
	if (r < 0) {
		mnemo_log_err("feed", "applying seq %" PRIu64 " failed: %s, skipping it", u->seq,
			      mnemo_strerror(r));
	}
	feed->last_seq = u->seq;
	atomic_fetch_add(&feed->stats.applied, 1);
	pthread_cond_broadcast(&feed->advanced);
}

/* Fetches and applies everything after last_seq, up to what the publisher has now (at
 * least `target`). The caller holds the lock. */
static int
catch_up_locked(struct mnemo_feed *feed, uint64_t target)
{
	struct mnemo_arena arena;
	int r = 0;

	mnemo_arena_init(&arena, mnemo_msg_arena_limit(&feed->lim));
	atomic_fetch_add(&feed->stats.catch_ups, 1);
	for (unsigned page = 0; page < MAX_PAGES_PER_CATCH_UP; page++) {
		Mnemo__UpdatesReply *reply = NULL;
		uint64_t before = feed->last_seq;

		r = feed->ops.fetch(feed->arg, feed->last_seq, &arena, &reply);
		if (r < 0) {
			break;
		}
		for (size_t i = 0; i < reply->n_updates; i++) {
			apply_locked(feed, reply->updates[i]);
		}
		mnemo_arena_reset(&arena);
		if (feed->last_seq == before || (feed->last_seq >= reply->last_seq &&
						  feed->last_seq >= target)) {
			break;
		}
	}
	mnemo_arena_fini(&arena);
	return r;
}

static void
on_message(struct mnemo_feed *feed, nng_msg *msg, struct mnemo_arena *arena)
{
	Mnemo__Envelope *env;
	struct mnemo_fault fault;

	if (mnemo_msg_decode(nng_msg_body(msg), nng_msg_len(msg), &feed->lim, arena, &env,
			     &fault) < 0) {
		mnemo_log_warn("feed", "published message refused: %s, dropping it",
			       fault.message);
		return;
	}
	pthread_mutex_lock(&feed->lock);
	if (env->body_case == MNEMO__ENVELOPE__BODY_UPDATE && env->update != NULL) {
		if (env->update->seq > feed->last_seq + 1) {
			atomic_fetch_add(&feed->stats.gaps, 1);
			(void)catch_up_locked(feed, env->update->seq);
		}
		/* Only the next change is applied: if the fetch failed, this one waits for the
		 * next catch-up rather than open a hole. */
		if (env->update->seq <= feed->last_seq + 1) {
			apply_locked(feed, env->update);
		}
	} else if (env->body_case == MNEMO__ENVELOPE__BODY_HEARTBEAT && env->heartbeat != NULL &&
		   env->heartbeat->last_seq > feed->last_seq) {
		atomic_fetch_add(&feed->stats.gaps, 1);
		(void)catch_up_locked(feed, env->heartbeat->last_seq);
	}
	pthread_mutex_unlock(&feed->lock);
}

static void *
follow(void *arg)
{
	struct mnemo_feed *feed = arg;
	struct mnemo_arena arena;

	mnemo_arena_init(&arena, mnemo_msg_arena_limit(&feed->lim));
	for (;;) {
		nng_msg *msg = NULL;
		int rv = NNG_ETIMEDOUT;

		pthread_mutex_lock(&feed->lock);
		if (feed->stopping) {
			pthread_mutex_unlock(&feed->lock);
			break;
		}
		if (!feed->has_sub) {
			struct timespec ts;

			mnemo_clock_deadline(&ts, feed->stale_ms);
			pthread_cond_timedwait(&feed->advanced, &feed->lock, &ts);
		}
		pthread_mutex_unlock(&feed->lock);
		if (feed->has_sub) {
			rv = nng_recvmsg(feed->sub, &msg, 0);
		}
		if (rv == NNG_ECLOSED) {
			break;
		}
		if (rv == 0) {
			on_message(feed, msg, &arena);
			nng_msg_free(msg);
			mnemo_arena_reset(&arena);
			continue;
		}
		/* Silence: heartbeats stopped coming, or there is no subscription. Ask. */
		pthread_mutex_lock(&feed->lock);
		if (!feed->stopping) {
			(void)catch_up_locked(feed, 0);
		}
		pthread_mutex_unlock(&feed->lock);
	}
	mnemo_arena_fini(&arena);
	return NULL;
}

int
mnemo_feed_start(const struct mnemo_feed_config *cfg, const struct mnemo_feed_ops *ops, void *arg,
		 struct mnemo_feed **ret)
{
	struct mnemo_feed *feed = calloc(1, sizeof(*feed));
	int r = 0;

	if (feed == NULL) {
		return -ENOMEM;
	}
	feed->lim = cfg->lim;
	feed->ops = *ops;
	feed->arg = arg;
	feed->stale_ms = cfg->stale_ms > 0 ? cfg->stale_ms : 3000;
	feed->last_seq = cfg->from_seq;
	pthread_mutex_init(&feed->lock, NULL);
	mnemo_cond_init(&feed->advanced);
	if (cfg->sub_url != NULL) {
		struct mnemo_msg_socket_config sc = {.max_message_bytes = cfg->lim.max_message_bytes,
						     .queue_len = cfg->queue_len};

		r = mnemo_msg_socket_open(MNEMO_MSG_SUB, &sc, &feed->sub);
		if (r == 0) {
			feed->has_sub = 1;
			r = mnemo_err_from_nng(
				nng_socket_set_ms(feed->sub, NNG_OPT_RECVTIMEO, feed->stale_ms));
		}
		if (r == 0) {
			r = mnemo_msg_dial(feed->sub, cfg->sub_url);
		}
	}
	if (r == 0) {
		r = -pthread_create(&feed->thread, NULL, follow, feed);
		feed->started = r == 0;
	}
	if (r < 0) {
		mnemo_feed_stop(feed);
		return r;
	}
	*ret = feed;
	return 0;
}

void
mnemo_feed_interrupt(struct mnemo_feed *feed)
{
	if (feed == NULL) {
		return;
	}
	pthread_mutex_lock(&feed->lock);
	feed->interrupted = 1;
	pthread_cond_broadcast(&feed->advanced);
	pthread_mutex_unlock(&feed->lock);
}

void
mnemo_feed_stop(struct mnemo_feed *feed)
{
	if (feed == NULL) {
		return;
	}
	pthread_mutex_lock(&feed->lock);
	feed->stopping = 1;
	pthread_cond_broadcast(&feed->advanced);
	pthread_mutex_unlock(&feed->lock);
	if (feed->has_sub) {
		nng_close(feed->sub); /* wakes the receive with NNG_ECLOSED */
	}
	if (feed->started) {
		pthread_join(feed->thread, NULL);
	}
	pthread_cond_destroy(&feed->advanced);
	pthread_mutex_destroy(&feed->lock);
	free(feed);
}

uint64_t
mnemo_feed_last_seq(struct mnemo_feed *feed)
{
	uint64_t seq;

	pthread_mutex_lock(&feed->lock);
	seq = feed->last_seq;
	pthread_mutex_unlock(&feed->lock);
	return seq;
}

int
mnemo_feed_sync(struct mnemo_feed *feed, uint64_t seq, uint32_t timeout_ms)
{
	struct timespec ts;
	int r = 0;

	mnemo_clock_deadline(&ts, timeout_ms);
	pthread_mutex_lock(&feed->lock);
	if (feed->last_seq < seq && !feed->interrupted) {
		(void)catch_up_locked(feed, seq);
	}
	while (feed->last_seq < seq && !feed->stopping && !feed->interrupted && r == 0) {
		r = pthread_cond_timedwait(&feed->advanced, &feed->lock, &ts);
	}
	r = feed->last_seq >= seq ? 0 : -ETIMEDOUT;
	pthread_mutex_unlock(&feed->lock);
	return r;
}

uint64_t
mnemo_feed_wait(struct mnemo_feed *feed, uint64_t after, uint32_t timeout_ms)
{
	struct timespec ts;
	uint64_t seq;
	int r = 0;

	mnemo_clock_deadline(&ts, timeout_ms);
	pthread_mutex_lock(&feed->lock);
	while (feed->last_seq <= after && !feed->stopping && !feed->interrupted && r == 0) {
		r = pthread_cond_timedwait(&feed->advanced, &feed->lock, &ts);
	}
	seq = feed->last_seq;
	pthread_mutex_unlock(&feed->lock);
	return seq;
}

const struct mnemo_feed_stats *
mnemo_feed_stats(const struct mnemo_feed *feed)
{
	return &feed->stats;
}
