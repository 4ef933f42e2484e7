/* The store's SQLite database: translation units, their variants, the change log, the
 * idempotency ledger, the concordance index and staged imports. Only the store opens it.
 * One writer connection (used by the writer thread, inside transactions it groups) and any
 * number of read connections. */
#pragma once

#include <stdint.h>

#include "arena.h"
#include "mnemo.pb-c.h"
#include "msg.h"

struct store_db;

struct store_db_limits {
	uint32_t max_text_bytes; /* one variant's text (and its markup, prev, next) */
	uint32_t max_variants;   /* languages in one unit */
	uint32_t max_meta;       /* properties in one unit */
};

/* Opens (creating the file and schema if needed, migrating a database made by an older
 * mnemo) in WAL mode. synchronous_full: every commit survives power loss (FULL);
 * otherwise only process crashes (NORMAL). -ENOTSUP for a database made by a newer
 * mnemo. */
int store_db_open(const char *path, int read_only, int synchronous_full,
		  const struct store_db_limits *lim, struct store_db **ret);
void store_db_close(struct store_db *db);

/* ---- reads (any connection) ---- */

int store_db_get_unit(struct store_db *db, uint64_t id, struct mnemo_arena *arena,
		      Mnemo__Unit **ret);
/* Changes with seq > since, at most max, in seq order; last_seq is the highest committed. */
int store_db_updates(struct store_db *db, uint64_t since, uint32_t max, struct mnemo_arena *arena,
		     Mnemo__UpdatesReply **ret);
int store_db_snapshot(struct store_db *db, uint64_t after_id, uint32_t max,
		      struct mnemo_arena *arena, Mnemo__SnapshotReply **ret);
/* backlog: units whose texts are not in the concordance index yet (store_db_index_backlog). */
int store_db_status(struct store_db *db, uint64_t *ret_last_seq, uint64_t *ret_units,
		    uint64_t *ret_backlog);
/* Variants holding the words of req->query (FTS5 syntax), in unit order, after
 * req->after_unit; a page never splits a unit's hits. Returns 0, or a negative errno
 * with f set (an invalid query: INVALID_VALUE on "query"). */
int store_db_concordance(struct store_db *db, const Mnemo__ConcordanceRequest *req,
			 struct mnemo_arena *arena, Mnemo__ConcordanceReply **ret,
			 struct mnemo_fault *f);

/* Batch alignment jobs (jobs.h): JobGetRequest, JobResultRequest. */
int store_db_jobs_read(struct store_db *db, const Mnemo__Envelope *req, struct mnemo_arena *arena,
		       Mnemo__Envelope *reply, struct mnemo_fault *f);

/* Copies what the WAL holds into the database file, as far as readers allow, without
 * blocking anyone (a passive checkpoint). Writer connections never do it themselves: call
 * it on a connection of its own (opened read-write). *ret_left: frames not copied yet. */
int store_db_checkpoint(struct store_db *db, int *ret_left);

/* ---- writes (the writer connection) ---- */

int store_db_begin(struct store_db *db);
int store_db_commit(struct store_db *db);
void store_db_rollback(struct store_db *db);
/* Brackets one request inside a group commit, so a failed one leaves no trace. */
int store_db_savepoint(struct store_db *db);
int store_db_release(struct store_db *db);
void store_db_rollback_savepoint(struct store_db *db);

/* Applies one write request: add, update, delete or use a unit (once per idempotency key),
 * an import batch (staged; with commit, every staged unit becomes a unit), or a job's
 * documents, leases and outcomes (jobs.h). Fills
 * reply's body. *ret_update is the change to publish, or NULL when there is none to
 * publish one by one: a repeat answered from the ledger, a duplicate not added, an import
 * (its reply's first_seq..last_seq are the changes it made). Returns 0 or a negative errno
 * with f set. */
int store_db_write(struct store_db *db, const Mnemo__Envelope *req, struct mnemo_arena *arena,
		   Mnemo__Envelope *reply, Mnemo__Update **ret_update, struct mnemo_fault *f);

/* Drops the staged batches of committed imports (their commit leaves them), inside the
 * caller's transaction. */
int store_db_drop_committed_batches(struct store_db *db);
/* Drops imports (staged or committed) untouched since before_ms (Unix ms), inside the
 * caller's transaction; *ret_dropped: how many. */
int store_db_expire_imports(struct store_db *db, int64_t before_ms, uint64_t *ret_dropped);

/* Units a transaction takes from the concordance backlog: tens of milliseconds of work, so
 * writes queued behind it barely notice. */
#define STORE_DB_BACKLOG_CHUNK 5000

/* Puts the texts of up to max_units units of the concordance backlog (what imports added)
 * in the concordance index, inside the caller's transaction: how many, or a negative errno;
 * *ret_more: whether some are left. Until then a concordance search does not find them. */
int store_db_index_backlog(struct store_db *db, uint32_t max_units, int *ret_more);
/* The highest seq this connection has written or seen committed. */
uint64_t store_db_last_seq(struct store_db *db);
/* Re-reads the last seq after a failed commit. */
int store_db_reload_seq(struct store_db *db);

int store_err_from_sqlite(int rc);
