/* The store service: request handling, the single writer with group commit, publishing. */
#include "store.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "db.h"
#include "log.h"
#include "msg.h"

enum {
	SNAPSHOT_MAX = 10000,
	UPDATES_MAX = 10000,
	UPDATES_DEFAULT = 1000,
	/* An import's changes are published one by one up to this many; past it, subscribers
	 * get a heartbeat at once and fetch them (as they do whatever pub/sub drops). */
	IMPORT_PUBLISH_MAX = 1000,
	IMPORT_SWEEP_MS = 60000, /* how often expired imports are looked for */
	CHECKPOINT_GAP_MS = 200, /* the least time between two checkpoints */
	CHECKPOINT_RETRY_MS = 1000, /* the WAL had frames a reader still needed */
};

void
store_config_init(struct store_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->listen_url, sizeof(cfg->listen_url), "tcp://127.0.0.1:8705");
	snprintf(cfg->pub_url, sizeof(cfg->pub_url), "tcp://127.0.0.1:8706");
	snprintf(cfg->db_path, sizeof(cfg->db_path), "var/mnemo.db");
	cfg->synchronous_full = 1;
	cfg->threads = 4;
	cfg->batch_max = 1000;
	cfg->heartbeat_ms = 1000;
	cfg->max_text_bytes = 1u << 20;
	cfg->max_message_bytes = 64u << 20;
	cfg->import_ttl_s = 86400;
}

/* A write waiting for the writer thread. Its arena belongs to the request's server thread,
 * which sleeps until done is set, so the writer may allocate the reply from it. */
struct write_job {
	const Mnemo__Envelope *req;
	Mnemo__Envelope *reply;
	struct mnemo_arena *arena;
	struct mnemo_fault *fault;
	Mnemo__Update *update;
	uint64_t first_seq, last_seq; /* changes made without an update to publish (imports) */
	int result;
	int done;
	struct write_job *next;
};

struct read_conn {
	struct store_db *db;
	struct read_conn *next;
};

struct store {
	struct store_config cfg;
	struct mnemo_msg_limits lim;
	nng_socket rep;
	nng_socket pub;
	int has_rep, has_pub;
	struct mnemo_msg_server *server;

	struct store_db *writer_db;
	pthread_t writer;
	int writer_started;
	pthread_mutex_t lock;
	pthread_cond_t jobs_ready; /* the writer has work, or must stop */
	pthread_cond_t jobs_done;
	struct write_job *queue_head, *queue_tail;
	int stopping;
	/* an import committed: its batches may wait to be dropped, its units to be indexed
	 * for concordance (writer only) */
	int backlog;

	/* Copies the WAL into the database file after commits, so that the writer never does */
	struct store_db *checkpoint_db;
	pthread_t checkpointer;
	int checkpointer_started;
	pthread_cond_t wal_grew; /* under lock */
	int wal_dirty;

	pthread_mutex_t readers_lock;
	struct read_conn *readers;
};

/* ---- reads: a pool of read-only connections, one per request in progress ---------------- */

static struct store_db *
reader_get(struct store *st)
{
	struct read_conn *c;
	struct store_db *db = NULL;
	struct store_db_limits dl = {st->cfg.max_text_bytes, 64, 256};

	pthread_mutex_lock(&st->readers_lock);
	c = st->readers;
	if (c != NULL) {
		st->readers = c->next;
	}
	pthread_mutex_unlock(&st->readers_lock);
	if (c != NULL) {
		db = c->db;
		free(c);
		return db;
	}
	return store_db_open(st->cfg.db_path, 1, st->cfg.synchronous_full, &dl, &db) == 0 ? db
											 : NULL;
}

static void
reader_put(struct store *st, struct store_db *db)
{
	struct read_conn *c = malloc(sizeof(*c));

	if (c == NULL) {
		store_db_close(db);
		return;
	}
	c->db = db;
	pthread_mutex_lock(&st->readers_lock);
	c->next = st->readers;
	st->readers = c;
	pthread_mutex_unlock(&st->readers_lock);
}

static int
handle_read(struct store *st, const Mnemo__Envelope *req, Mnemo__Envelope *reply,
	    struct mnemo_arena *arena, struct mnemo_fault *f)
{
	struct store_db *db = reader_get(st);
	uint32_t max;
	int r;

	if (db == NULL) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_UNAVAILABLE, "", -1,
				       "the database cannot be opened for reading");
	}
	switch (req->body_case) {
	case MNEMO__ENVELOPE__BODY_UNIT_GET_REQUEST:
		r = store_db_get_unit(db, req->unit_get_request->id, arena, &reply->unit);
		if (r == -ENOENT) {
			r = mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_NOT_FOUND, "id", -1,
					    "no unit %" PRIu64, req->unit_get_request->id);
		}
		reply->body_case = MNEMO__ENVELOPE__BODY_UNIT;
		break;
	case MNEMO__ENVELOPE__BODY_UPDATES_REQUEST:
		max = req->updates_request->max;
		if (max > UPDATES_MAX) {
			r = mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "max", -1,
					    "max must be from 1 to %d (0: %d)", UPDATES_MAX,
					    UPDATES_DEFAULT);
			break;
		}
		r = store_db_updates(db, req->updates_request->since,
				     max != 0 ? max : UPDATES_DEFAULT, arena, &reply->updates_reply);
		reply->body_case = MNEMO__ENVELOPE__BODY_UPDATES_REPLY;
		break;
	case MNEMO__ENVELOPE__BODY_SNAPSHOT_REQUEST:
		max = req->snapshot_request->max;
		r = store_db_snapshot(db, req->snapshot_request->after_id,
				      max == 0 || max > SNAPSHOT_MAX ? SNAPSHOT_MAX : max, arena,
				      &reply->snapshot_reply);
		reply->body_case = MNEMO__ENVELOPE__BODY_SNAPSHOT_REPLY;
		break;
	case MNEMO__ENVELOPE__BODY_STATUS_REQUEST:
		reply->status_reply = mnemo_arena_alloc(arena, sizeof(*reply->status_reply));
		if (reply->status_reply == NULL) {
			r = -ENOMEM;
			break;
		}
		mnemo__status_reply__init(reply->status_reply);
		r = store_db_status(db, &reply->status_reply->last_seq,
				    &reply->status_reply->units,
				    &reply->status_reply->concordance_backlog);
		reply->body_case = MNEMO__ENVELOPE__BODY_STATUS_REPLY;
		break;
	case MNEMO__ENVELOPE__BODY_CONCORDANCE_REQUEST:
		r = store_db_concordance(db, req->concordance_request, arena,
					 &reply->concordance_reply, f);
		reply->body_case = MNEMO__ENVELOPE__BODY_CONCORDANCE_REPLY;
		break;
	case MNEMO__ENVELOPE__BODY_JOB_GET_REQUEST:
	case MNEMO__ENVELOPE__BODY_JOB_RESULT_REQUEST:
		r = store_db_jobs_read(db, req, arena, reply, f);
		break;
	default:
		r = -EINVAL;
		break;
	}
	reader_put(st, db);
	return r;
}

/* ---- writes: queued to one writer thread that commits them in groups -------------------- */

static int
handle_write(struct store *st, const Mnemo__Envelope *req, Mnemo__Envelope *reply,
	     struct mnemo_arena *arena, struct mnemo_fault *f)
{
	struct write_job job = {.req = req, .reply = reply, .arena = arena, .fault = f};

	pthread_mutex_lock(&st->lock);
	if (st->stopping) {
		pthread_mutex_unlock(&st->lock);
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_UNAVAILABLE, "", -1,
				       "the store is shutting down");
	}
	if (st->queue_tail != NULL) {
		st->queue_tail->next = &job;
	} else {
		st->queue_head = &job;
	}
	st->queue_tail = &job;
	pthread_cond_signal(&st->jobs_ready);
	while (!job.done) {
		pthread_cond_wait(&st->jobs_done, &st->lock);
	}
	pthread_mutex_unlock(&st->lock);
	return job.result;
}

static void
publish_heartbeat(struct store *st, uint64_t last_seq)
{
	Mnemo__Envelope env;
	Mnemo__Heartbeat hb;

	mnemo_msg_envelope_init(&env, 0);
	mnemo__heartbeat__init(&hb);
	hb.last_seq = last_seq;
	env.body_case = MNEMO__ENVELOPE__BODY_HEARTBEAT;
	env.heartbeat = &hb;
	(void)mnemo_msg_publish(st->pub, &env, st->lim.max_message_bytes);
}

static void
publish_update(struct store *st, const Mnemo__Update *u)
{
	Mnemo__Envelope env;
	int r;

	mnemo_msg_envelope_init(&env, 0);
	env.body_case = MNEMO__ENVELOPE__BODY_UPDATE;
	env.update = (Mnemo__Update *)u;
	r = mnemo_msg_publish(st->pub, &env, st->lim.max_message_bytes);
	if (r < 0) {
		/* Subscribers see the gap at the next heartbeat and fetch it. */
		mnemo_log_warn("store", "seq=%" PRIu64 " not published: %s, subscribers will fetch it",
			       u->seq, mnemo_strerror(r));
	}
}

/* An import's changes, first..last, once committed: read back from the change log and
 * published when they are few; otherwise a heartbeat, and subscribers fetch them. */
static void
publish_import(struct store *st, uint64_t first, uint64_t last)
{
	Mnemo__UpdatesReply *page = NULL;
	struct mnemo_arena arena;
	int r = -E2BIG;

	mnemo_arena_init(&arena, 0);
	if (last - first < IMPORT_PUBLISH_MAX) {
		r = store_db_updates(st->writer_db, first - 1, (uint32_t)(last - first + 1), &arena,
				     &page);
	}
	for (size_t i = 0; r == 0 && i < page->n_updates; i++) {
		publish_update(st, page->updates[i]);
	}
	publish_heartbeat(st, last);
	mnemo_arena_fini(&arena);
}

/* Runs one group: every job in its own savepoint, one COMMIT for all. */
static void
commit_batch(struct store *st, struct write_job *batch)
{
	struct store_db *db = st->writer_db;
	struct write_job *j;
	int r;

	r = store_db_begin(db);
	if (r == 0) {
		/* Under the write lock: another process writing to the same file (a local-mode
		 * command beside a running service) may have taken seqs since our last group. */
		r = store_db_reload_seq(db);
	}
	for (j = batch; j != NULL; j = j->next) {
		if (r < 0) {
			j->result = r;
			continue;
		}
		j->result = store_db_savepoint(db);
		if (j->result == 0) {
			uint64_t before = store_db_last_seq(db);

			j->result = store_db_write(db, j->req, j->arena, j->reply, &j->update,
						   j->fault);
			if (j->result < 0) {
				store_db_rollback_savepoint(db);
			} else {
				j->result = store_db_release(db);
			}
			if (j->result == 0 && j->update == NULL && store_db_last_seq(db) > before) {
				j->first_seq = before + 1;
				j->last_seq = store_db_last_seq(db);
			}
		}
	}
	if (r == 0) {
		r = store_db_commit(db);
	}
	for (j = batch; r == 0 && j != NULL; j = j->next) {
		st->backlog |= j->result == 0 && j->last_seq != 0;
	}
	if (r < 0) {
		/* Nothing in the group is durable: every request in it fails, none is acked. */
		store_db_rollback(db);
		(void)store_db_reload_seq(db);
		mnemo_log_err("store", "commit failed: %s, failing the %s", mnemo_strerror(r),
			      "requests of this group");
		for (j = batch; j != NULL; j = j->next) {
			if (j->result == 0) {
				j->result = mnemo_fault_set(
					j->fault, mnemo_msg_code_from_errno(r == -EBUSY ? -EAGAIN : r),
					"", -1, "the change could not be committed: %s",
					mnemo_strerror(r));
			}
			j->update = NULL;
			j->first_seq = j->last_seq = 0;
		}
		return;
	}
	for (j = batch; j != NULL; j = j->next) {
		if (j->result == 0 && j->update != NULL) {
			mnemo_log_debug("store", "req=%016" PRIx64 " committed seq=%" PRIu64,
					j->req->request_id, j->update->seq);
			publish_update(st, j->update);
		} else if (j->result == 0 && j->last_seq != 0) {
			mnemo_log_info("store", "req=%016" PRIx64 " committed seq=%" PRIu64 "-%" PRIu64,
				       j->req->request_id, j->first_seq, j->last_seq);
			publish_import(st, j->first_seq, j->last_seq);
		}
	}
}

/* Drops imports nobody touched for import_ttl_s, in a transaction of its own. */
static void
expire_imports(struct store *st)
{
	struct store_db *db = st->writer_db;
	int64_t before = mnemo_clock_unix_ms() - (int64_t)st->cfg.import_ttl_s * 1000;
	uint64_t dropped = 0;
	int r;

	r = store_db_begin(db);
	if (r == 0) {
		r = store_db_expire_imports(db, before, &dropped);
		r = r == 0 ? store_db_commit(db) : r;
		if (r < 0) {
			store_db_rollback(db);
		}
	}
	if (r < 0) {
		mnemo_log_warn("store", "dropping expired imports failed: %s, retrying later",
			       mnemo_strerror(r));
	} else if (dropped > 0) {
		mnemo_log_notice("store", "dropped %" PRIu64 " import(s) untouched for %u s",
				 dropped, st->cfg.import_ttl_s);
	}
}

/* What import commits leave for later, in a transaction of its own between groups: their
 * staged batches to drop, and a chunk of the concordance backlog. */
static void
after_imports(struct store *st)
{
	struct store_db *db = st->writer_db;
	int r, n = 0, more = 0;

	r = store_db_begin(db);
	if (r == 0) {
		n = store_db_drop_committed_batches(db);
		n = n == 0 ? store_db_index_backlog(db, STORE_DB_BACKLOG_CHUNK, &more) : n;
		r = n >= 0 ? store_db_commit(db) : n;
		if (r < 0) {
			store_db_rollback(db);
		}
	}
	if (r < 0) {
		/* tried again after the next import, or at the next start */
		mnemo_log_warn("store", "dropping staged batches or indexing the concordance "
				       "backlog failed: %s", mnemo_strerror(r));
	} else if (n > 0 && !more) {
		mnemo_log_info("store", "concordance index: the backlog is done");
	}
	st->backlog = r == 0 && more;
}

static void *
write_loop(void *arg)
{
	struct store *st = arg;
	struct timespec next_beat;
	uint64_t next_sweep = mnemo_clock_ms() + IMPORT_SWEEP_MS;

	mnemo_clock_deadline(&next_beat, 0);
	pthread_mutex_lock(&st->lock);
	for (;;) {
		struct write_job *batch, *j, *last;
		uint32_t n = 1;

		while (st->queue_head == NULL && !st->stopping && !st->backlog) {
			if (pthread_cond_timedwait(&st->jobs_ready, &st->lock, &next_beat) ==
			    ETIMEDOUT) {
				break;
			}
		}
		if (mnemo_clock_passed(&next_beat)) {
			/* Read from the file: another process (a local-mode command) may have
			 * written to it, and our subscribers are told to fetch that too. */
			(void)store_db_reload_seq(st->writer_db);
			publish_heartbeat(st, store_db_last_seq(st->writer_db));
			mnemo_clock_deadline(&next_beat, st->cfg.heartbeat_ms);
			if (mnemo_clock_ms() >= next_sweep) {
				pthread_mutex_unlock(&st->lock);
				expire_imports(st);
				pthread_mutex_lock(&st->lock);
				next_sweep = mnemo_clock_ms() + IMPORT_SWEEP_MS;
			}
		}
		if (st->backlog && !st->stopping) {
			pthread_mutex_unlock(&st->lock);
			after_imports(st);
			pthread_mutex_lock(&st->lock);
			st->wal_dirty = 1;
			pthread_cond_signal(&st->wal_grew);
		}
		if (st->queue_head == NULL) {
			if (st->stopping) {
				break;
			}
			continue;
		}
		/* Take up to batch_max jobs; the rest wait for the next group. */
		batch = last = st->queue_head;
		while (last->next != NULL && n < st->cfg.batch_max) {
			last = last->next;
			n++;
		}
		st->queue_head = last->next;
		if (st->queue_head == NULL) {
			st->queue_tail = NULL;
		}
		last->next = NULL;
		pthread_mutex_unlock(&st->lock);

		commit_batch(st, batch);

		pthread_mutex_lock(&st->lock);
		st->wal_dirty = 1;
		pthread_cond_signal(&st->wal_grew);
		for (j = batch; j != NULL;) {
			struct write_job *next = j->next;

			j->done = 1; /* j lives on its requester's stack: not touched after this */
			j = next;
		}
		pthread_cond_broadcast(&st->jobs_done);
	}
	pthread_mutex_unlock(&st->lock);
	return NULL;
}

/* A passive checkpoint after commits (at most one every CHECKPOINT_GAP_MS), on a
 * connection of its own: the writer's commits never copy pages into the database file. */
static void *
checkpoint_loop(void *arg)
{
	struct store *st = arg;

	pthread_mutex_lock(&st->lock);
	while (!st->stopping) {
		struct timespec gap;
		int r, left = 0;

		if (!st->wal_dirty) {
			pthread_cond_wait(&st->wal_grew, &st->lock);
			continue;
		}
		st->wal_dirty = 0;
		pthread_mutex_unlock(&st->lock);
		r = store_db_checkpoint(st->checkpoint_db, &left);
		if (r < 0) {
			mnemo_log_warn("store", "checkpoint failed: %s, retrying", mnemo_strerror(r));
		}
		pthread_mutex_lock(&st->lock);
		st->wal_dirty |= r < 0 || left > 0;
		mnemo_clock_deadline(&gap, st->wal_dirty ? CHECKPOINT_RETRY_MS : CHECKPOINT_GAP_MS);
		while (!st->stopping &&
		       pthread_cond_timedwait(&st->wal_grew, &st->lock, &gap) != ETIMEDOUT) {
		}
	}
	pthread_mutex_unlock(&st->lock);
	return NULL;
}

/* ---- the request socket ------------------------------------------------------------------ */

static int
handle(void *arg, const Mnemo__Envelope *req, Mnemo__Envelope *reply, struct mnemo_arena *arena,
       struct mnemo_fault *f)
{
	struct store *st = arg;

	switch (req->body_case) {
	case MNEMO__ENVELOPE__BODY_UNIT_ADD_REQUEST:
	case MNEMO__ENVELOPE__BODY_UNIT_UPDATE_REQUEST:
	case MNEMO__ENVELOPE__BODY_UNIT_DELETE_REQUEST:
	case MNEMO__ENVELOPE__BODY_UNIT_USE_REQUEST:
	case MNEMO__ENVELOPE__BODY_IMPORT_REQUEST:
	case MNEMO__ENVELOPE__BODY_JOB_ADD_REQUEST:
	case MNEMO__ENVELOPE__BODY_JOB_LEASE_REQUEST:
	case MNEMO__ENVELOPE__BODY_JOB_DONE_REQUEST:
		return handle_write(st, req, reply, arena, f);
	case MNEMO__ENVELOPE__BODY_UNIT_GET_REQUEST:
	case MNEMO__ENVELOPE__BODY_UPDATES_REQUEST:
	case MNEMO__ENVELOPE__BODY_SNAPSHOT_REQUEST:
	case MNEMO__ENVELOPE__BODY_STATUS_REQUEST:
	case MNEMO__ENVELOPE__BODY_CONCORDANCE_REQUEST:
	case MNEMO__ENVELOPE__BODY_JOB_GET_REQUEST:
	case MNEMO__ENVELOPE__BODY_JOB_RESULT_REQUEST:
		return handle_read(st, req, reply, arena, f);
	default:
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_REQUEST, "body", -1,
				       "the store does not answer this message type (%d)",
				       (int)req->body_case);
	}
}

int
store_start(const struct store_config *cfg, struct store **ret, char *err, size_t err_size)
{
	struct store *st = calloc(1, sizeof(*st));
	char what[STORE_PATH_MAX + 64] = "starting";
	struct store_db_limits dl = {cfg->max_text_bytes, 64, 256};
	struct mnemo_msg_socket_config sc = {.max_message_bytes = cfg->max_message_bytes};
	int r;

	if (st == NULL) {
		return -ENOMEM;
	}
	st->cfg = *cfg;
	st->lim = mnemo_msg_internal_limits;
	st->lim.max_message_bytes = cfg->max_message_bytes;
	pthread_mutex_init(&st->lock, NULL);
	pthread_mutex_init(&st->readers_lock, NULL);
	mnemo_cond_init(&st->jobs_ready);
	mnemo_cond_init(&st->jobs_done);
	mnemo_cond_init(&st->wal_grew);

	snprintf(what, sizeof(what), "opening the database %s ([store] db)", cfg->db_path);
	r = store_db_open(cfg->db_path, 0, cfg->synchronous_full, &dl, &st->writer_db);
	if (r < 0) {
		goto fail;
	}
	expire_imports(st);
	st->backlog = 1; /* an import's, left when the store last stopped */
	st->wal_dirty = 1;
	r = store_db_open(cfg->db_path, 0, cfg->synchronous_full, &dl, &st->checkpoint_db);
	if (r == 0) {
		snprintf(what, sizeof(what), "starting the checkpoint thread");
		r = -pthread_create(&st->checkpointer, NULL, checkpoint_loop, st);
		st->checkpointer_started = r == 0;
	}
	if (r < 0) {
		goto fail;
	}
	snprintf(what, sizeof(what), "opening the publish socket");
	r = mnemo_msg_socket_open(MNEMO_MSG_PUB, &sc, &st->pub);
	st->has_pub = r == 0;
	if (r == 0) {
		snprintf(what, sizeof(what), "listening on %s ([store] pub)", cfg->pub_url);
		r = mnemo_msg_listen(st->pub, cfg->pub_url);
	}
	if (r == 0) {
		snprintf(what, sizeof(what), "starting the writer thread");
		r = -pthread_create(&st->writer, NULL, write_loop, st);
		st->writer_started = r == 0;
	}
	if (r == 0) {
		snprintf(what, sizeof(what), "opening the request socket");
		r = mnemo_msg_socket_open(MNEMO_MSG_REP, &sc, &st->rep);
		st->has_rep = r == 0;
	}
	if (r == 0) {
		snprintf(what, sizeof(what), "listening on %s ([store] listen)", cfg->listen_url);
		r = mnemo_msg_listen(st->rep, cfg->listen_url);
	}
	if (r == 0) {
		snprintf(what, sizeof(what), "starting the request threads");
		r = mnemo_msg_server_start(st->rep, cfg->threads, &st->lim, "store", handle, st,
					   &st->server);
	}
	if (r < 0) {
		goto fail;
	}
	mnemo_log_info("store", "serving %s on %s, publishing on %s, last seq %" PRIu64,
		       cfg->db_path, cfg->listen_url, cfg->pub_url,
		       store_db_last_seq(st->writer_db));
	*ret = st;
	return 0;
fail:
	snprintf(err, err_size, "store: %s: %s", what, mnemo_strerror(r));
	store_stop(st);
	return r;
}

void
store_stop(struct store *st)
{
	struct read_conn *c;

	if (st == NULL) {
		return;
	}
	mnemo_msg_server_stop(st->server); /* lets the requests in progress finish */
	if (st->has_rep) {
		nng_close(st->rep);
	}
	pthread_mutex_lock(&st->lock);
	st->stopping = 1;
	pthread_cond_signal(&st->jobs_ready);
	pthread_cond_signal(&st->wal_grew);
	pthread_mutex_unlock(&st->lock);
	if (st->writer_started) {
		pthread_join(st->writer, NULL);
	}
	if (st->checkpointer_started) {
		pthread_join(st->checkpointer, NULL);
	}
	store_db_close(st->checkpoint_db);
	if (st->has_pub) {
		nng_close(st->pub);
	}
	store_db_close(st->writer_db);
	while ((c = st->readers) != NULL) {
		st->readers = c->next;
		store_db_close(c->db);
		free(c);
	}
	pthread_cond_destroy(&st->wal_grew);
	pthread_cond_destroy(&st->jobs_done);
	pthread_cond_destroy(&st->jobs_ready);
	pthread_mutex_destroy(&st->readers_lock);
	pthread_mutex_destroy(&st->lock);
	free(st);
}
