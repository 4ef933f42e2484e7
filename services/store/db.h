/* The store's SQLite database: translation units, their variants, the change log and the
 * idempotency ledger. Only the store opens it. One writer connection (used by the writer
 * thread, inside transactions it groups) and any number of read connections. */
#pragma once

#include <stdint.h>

#include "arena.h"
#include "mnemo.pb-c.h"
#include "msg.h"

struct store_db;

struct store_db_limits {
	uint32_t max_text_bytes; /* one variant's text */
	uint32_t max_variants;   /* languages in one unit */
	uint32_t max_meta;       /* properties in one unit */
};

/* Opens (creating the file and schema if needed) in WAL mode. synchronous_full: every
 * commit survives power loss (FULL); otherwise only process crashes (NORMAL). */
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
int store_db_status(struct store_db *db, uint64_t *ret_last_seq, uint64_t *ret_units);

/* ---- writes (the writer connection) ---- */

int store_db_begin(struct store_db *db);
int store_db_commit(struct store_db *db);
void store_db_rollback(struct store_db *db);
/* Brackets one request inside a group commit, so a failed one leaves no trace. */
int store_db_savepoint(struct store_db *db);
int store_db_release(struct store_db *db);
void store_db_rollback_savepoint(struct store_db *db);

/* Applies one write request (add, update or delete a unit) once per idempotency key.
 * Fills reply's body. *ret_update is the change to publish, or NULL when the request
 * was a repeat answered from the ledger. Returns 0 or a negative errno with f set. */
int store_db_write(struct store_db *db, const Mnemo__Envelope *req, struct mnemo_arena *arena,
		   Mnemo__Envelope *reply, Mnemo__Update **ret_update, struct mnemo_fault *f);

/* The highest seq this connection has written or seen committed. */
uint64_t store_db_last_seq(struct store_db *db);
/* Re-reads the last seq after a failed commit. */
int store_db_reload_seq(struct store_db *db);

int store_err_from_sqlite(int rc);
