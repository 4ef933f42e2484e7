/* SQLite schema and queries of the store. */
#include "db.h"
#include "jobs.h"

#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "formats.h"
#include "hash.h"
#include "text.h"
#include "tm.h"

enum {
	SCHEMA_VERSION = 4,
	MAX_IDEMPOTENCY_KEY_BYTES = 128,
	MAX_IMPORT_ID_BYTES = 128,
	MAX_META_KEY_BYTES = 128,
	MAX_META_VALUE_BYTES = 4096,
	MAX_ORIGIN_BYTES = 1024,
	MAX_NAME_BYTES = 256, /* user, project, domain */
	MAX_CONTEXT_BYTES = 4096,
	MAX_QUERY_BYTES = 1024,
	CONCORDANCE_MAX = 1000,
	CONCORDANCE_DEFAULT = 50,
	CONCORDANCE_TIME_MS = 10000,
	/* A variant's row in the concordance index: its unit's id << 16 | its language's id. */
	LANG_BITS = 16,
	MAX_LANG_CACHE = 256,
};

/* Unix ms of 9999-12-31T23:59:59.999Z: later creation dates are refused. */
static const int64_t MAX_TIME_MS = 253402300799999;
/* Unit ids fit in the concordance index's rowids with 16 bits to spare. */
static const uint64_t MAX_UNIT_ID = (UINT64_C(1) << (63 - LANG_BITS)) - 1;

/* Version 1, as the first mnemo made it; a new file gets it, then every migration. */
static const char schema_v1[] =
	"CREATE TABLE IF NOT EXISTS unit (\n"
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,\n" /* ids are never reused after a delete */
	"  seq INTEGER NOT NULL,\n"
	"  created_at INTEGER NOT NULL,\n"
	"  changed_at INTEGER NOT NULL,\n"
	"  body BLOB NOT NULL\n" /* the Unit message (proto/mnemo.proto) as last written */
	");\n"
	"CREATE TABLE IF NOT EXISTS variant (\n"
	"  unit_id INTEGER NOT NULL REFERENCES unit(id) ON DELETE CASCADE,\n"
	"  lang TEXT NOT NULL,\n"
	"  text TEXT NOT NULL,\n"
	"  key_hash INTEGER NOT NULL,\n" /* mnemo_tm_key_hash(text): exact matches */
	"  PRIMARY KEY (unit_id, lang)\n"
	") WITHOUT ROWID;\n"
	"CREATE INDEX IF NOT EXISTS variant_by_key ON variant(lang, key_hash);\n"
	"CREATE TABLE IF NOT EXISTS change (\n"
	"  seq INTEGER PRIMARY KEY,\n"
	"  op INTEGER NOT NULL,\n" /* ChangeOp */
	"  unit_id INTEGER NOT NULL,\n"
	"  at INTEGER NOT NULL,\n"
	"  unit BLOB NOT NULL\n" /* the Unit after the change; only its id for a delete */
	");\n"
	"CREATE TABLE IF NOT EXISTS request (\n" /* the idempotency ledger */
	"  key TEXT PRIMARY KEY,\n"
	"  payload_hash INTEGER NOT NULL,\n"
	"  reply BLOB NOT NULL,\n" /* the UnitWriteReply sent the first time */
	"  at INTEGER NOT NULL\n"
	") WITHOUT ROWID;\n";

/* Version 2: the unit's fields for duplicates, the concordance index, staged imports.
 * Then migrate_v2() fills what SQL alone cannot (the duplicate keys). */
static const char migration_v2[] =
	/* mnemo's hash of every (language, exact key) of the unit and its context */
	"ALTER TABLE unit ADD COLUMN dup_key INTEGER NOT NULL DEFAULT 0;\n"
	"ALTER TABLE unit ADD COLUMN context TEXT NOT NULL DEFAULT '';\n"
	/* every language tag ever stored, numbered for the concordance index's rowids */
	"CREATE TABLE lang (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  tag TEXT NOT NULL UNIQUE\n"
	");\n"
	/* One row per variant, rowid = unit_id << 16 | lang.id; contentless (the text is in
	 * variant), so deleting a row takes its text again. */
	"CREATE VIRTUAL TABLE variant_fts USING fts5(text, content='', columnsize=0,\n"
	"  tokenize='unicode61 remove_diacritics 2');\n"
	"CREATE TABLE import (\n"
	"  id TEXT PRIMARY KEY,\n"
	"  committed INTEGER NOT NULL,\n"
	"  duplicates INTEGER NOT NULL,\n" /* Duplicates; 0 until a request sets it */
	"  source TEXT NOT NULL,\n"
	"  received INTEGER NOT NULL,\n"
	"  last_batch INTEGER NOT NULL,\n" /* hash of the last batch's envelope: nng resends */
	"  touched_at INTEGER NOT NULL,\n"
	"  reply BLOB\n" /* the ImportReply of the commit */
	") WITHOUT ROWID;\n"
	"CREATE TABLE import_batch (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  import_id TEXT NOT NULL,\n"
	"  first INTEGER NOT NULL,\n" /* the position of its first unit in the import */
	"  units BLOB NOT NULL\n"     /* an ImportRequest holding only the batch's units */
	");\n"
	"CREATE INDEX import_batch_by_import ON import_batch(import_id, first);\n"
	"INSERT INTO lang (tag) SELECT DISTINCT lang FROM variant ORDER BY lang;\n"
	"INSERT INTO variant_fts (rowid, text)\n"
	"  SELECT (v.unit_id << 16) | l.id, v.text FROM variant v JOIN lang l ON l.tag = v.lang;\n";

static const char migration_v2_end[] = "CREATE INDEX unit_by_dup_key ON unit(dup_key);\n";

/* Version 3: what an import writes of a unit, in the order it can write it fastest. Each
 * text is stored once, in its unit's body: the variant rows (a second copy, and an index an
 * import filled in random order) go; the concordance index, which had every variant already,
 * stays. Imports leave the units they add to the concordance backlog, and their changes' rows
 * point at the unit's body (an empty unit blob) until the unit changes again. The duplicate
 * keys move from an index on unit, filled in id order, to a table an import fills in key
 * order; and unit ids are kept from reuse by next_unit instead of AUTOINCREMENT, which
 * wrote sqlite_sequence at every insert. */
static const char migration_v3[] =
	"DROP INDEX variant_by_key;\n"
	"DROP TABLE variant;\n"
	"CREATE TABLE next_unit (\n"
	"  id INTEGER NOT NULL\n" /* the least id a new unit may take (one row) */
	");\n"
	"INSERT INTO next_unit SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = "
	"'unit'), 0), coalesce((SELECT max(id) FROM unit), 0)) + 1;\n"
	"CREATE TABLE unit_v3 (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  seq INTEGER NOT NULL,\n"
	"  created_at INTEGER NOT NULL,\n"
	"  changed_at INTEGER NOT NULL,\n"
	"  body BLOB NOT NULL,\n" /* the Unit message (proto/mnemo.proto) as last written */
	"  dup_key INTEGER NOT NULL,\n"
	"  context TEXT NOT NULL\n"
	");\n"
	"INSERT INTO unit_v3 SELECT id, seq, created_at, changed_at, body, dup_key, context "
	"FROM unit ORDER BY id;\n"
	"DROP TABLE unit;\n"
	"ALTER TABLE unit_v3 RENAME TO unit;\n"
	"CREATE TABLE unit_dup (\n"
	"  dup_key INTEGER NOT NULL,\n"
	"  unit_id INTEGER NOT NULL,\n"
	"  PRIMARY KEY (dup_key, unit_id)\n"
	") WITHOUT ROWID;\n"
	"INSERT INTO unit_dup SELECT dup_key, id FROM unit ORDER BY dup_key, id;\n"
	/* ranges of unit ids whose variants are not in variant_fts yet */
	"CREATE TABLE concordance_backlog (\n"
	"  first INTEGER PRIMARY KEY,\n"
	"  last INTEGER NOT NULL\n"
	");\n";

enum stmt_id {
	ST_GET_UNIT,
	ST_UPDATES,
	ST_SNAPSHOT,
	ST_LAST_SEQ,
	ST_COUNT_UNITS,
	ST_FIND_REQUEST,
	ST_INSERT_REQUEST,
	ST_INSERT_UNIT,
	ST_UPDATE_UNIT,
	ST_TOUCH_UNIT,
	ST_DELETE_UNIT,
	ST_UNIT_ROW,
	ST_INSERT_CHANGE,
	ST_KEEP_CHANGE,
	ST_NEXT_UNIT_ID,
	ST_KEEP_UNIT_ID,
	ST_DUP_INSERT,
	ST_DUP_DELETE,
	ST_FIND_DUP,
	ST_ALL_UNITS,
	ST_DUP_KEYS,
	ST_FTS_INSERT,
	ST_FTS_DELETE,
	ST_FTS_MATCH,
	ST_BACKLOG_FIND,
	ST_BACKLOG_FIRST,
	ST_BACKLOG_ADD,
	ST_BACKLOG_MOVE,
	ST_BACKLOG_DELETE,
	ST_BACKLOG_UNITS,
	ST_BACKLOG_COUNT,
	ST_BACKLOG_ANY,
	ST_LANG_ID,
	ST_LANG_TAG,
	ST_LANG_INSERT,
	ST_IMPORT_GET,
	ST_IMPORT_PUT,
	ST_IMPORT_DELETE,
	ST_BATCH_INSERT,
	ST_BATCHES,
	ST_BATCHES_DELETE,
	ST_BATCHES_COMMITTED,
	ST_EXPIRE_BATCHES,
	ST_EXPIRE_IMPORTS,
	N_STMTS
};

static const char *const stmt_sql[N_STMTS] = {
	[ST_GET_UNIT] = "SELECT body FROM unit WHERE id = ?",
	/* An empty unit blob: the unit's body, unchanged since (see ST_KEEP_CHANGE). */
	[ST_UPDATES] = "SELECT c.seq, c.op, CASE WHEN length(c.unit) > 0 THEN c.unit ELSE "
		       "(SELECT body FROM unit WHERE id = c.unit_id) END FROM change c "
		       "WHERE c.seq > ? ORDER BY c.seq LIMIT ?",
	[ST_SNAPSHOT] = "SELECT body FROM unit WHERE id > ? ORDER BY id LIMIT ?",
	[ST_LAST_SEQ] = "SELECT coalesce(max(seq), 0) FROM change",
	[ST_COUNT_UNITS] = "SELECT count(*) FROM unit",
	[ST_FIND_REQUEST] = "SELECT payload_hash, reply FROM request WHERE key = ?",
	[ST_INSERT_REQUEST] = "INSERT INTO request (key, payload_hash, reply, at) VALUES (?, ?, ?, ?)",
	[ST_INSERT_UNIT] = "INSERT INTO unit (id, seq, created_at, changed_at, body, dup_key, "
			   "context) VALUES (?, ?, ?, ?, ?, ?, ?)",
	[ST_UPDATE_UNIT] = "UPDATE unit SET seq = ?, changed_at = ?, body = ?, dup_key = ?, "
			   "context = ? WHERE id = ?",
	[ST_TOUCH_UNIT] = "UPDATE unit SET seq = ?, body = ? WHERE id = ?",
	[ST_DELETE_UNIT] = "DELETE FROM unit WHERE id = ?",
	[ST_UNIT_ROW] = "SELECT body FROM unit WHERE id = ?",
	[ST_INSERT_CHANGE] = "INSERT INTO change (seq, op, unit_id, at, unit) VALUES (?, ?, ?, ?, ?)",
	/* Before a unit changes, the change that made its body gets a copy of it. */
	[ST_KEEP_CHANGE] = "UPDATE change SET unit = (SELECT body FROM unit WHERE id = ?1) "
			   "WHERE seq = (SELECT seq FROM unit WHERE id = ?1) AND length(unit) = 0",
	/* ids are never reused, even the highest unit's after a delete */
	[ST_NEXT_UNIT_ID] = "SELECT max((SELECT id FROM next_unit), "
			    "coalesce((SELECT max(id) FROM unit), 0) + 1)",
	[ST_KEEP_UNIT_ID] = "UPDATE next_unit SET id = max(id, ? + 1)",
	[ST_DUP_INSERT] = "INSERT INTO unit_dup (dup_key, unit_id) VALUES (?, ?)",
	[ST_DUP_DELETE] = "DELETE FROM unit_dup WHERE dup_key = "
			  "(SELECT dup_key FROM unit WHERE id = ?1) AND unit_id = ?1",
	[ST_FIND_DUP] = "SELECT u.id, u.seq, u.body FROM unit_dup d JOIN unit u ON u.id = d.unit_id "
			"WHERE d.dup_key = ? AND u.context = ? ORDER BY u.id",
	[ST_ALL_UNITS] = "SELECT id, body FROM unit ORDER BY id",
	[ST_DUP_KEYS] = "SELECT dup_key FROM unit_dup",
	[ST_FTS_INSERT] = "INSERT INTO variant_fts (rowid, text) VALUES (?, ?)",
	[ST_FTS_DELETE] = "INSERT INTO variant_fts (variant_fts, rowid, text) VALUES ('delete', ?, ?)",
	[ST_FTS_MATCH] = "SELECT rowid FROM variant_fts WHERE variant_fts MATCH ? AND rowid > ? "
			 "ORDER BY rowid",
	[ST_BACKLOG_FIND] = "SELECT last FROM concordance_backlog WHERE first <= ? "
			    "ORDER BY first DESC LIMIT 1",
	[ST_BACKLOG_FIRST] = "SELECT first, last FROM concordance_backlog ORDER BY first LIMIT 1",
	[ST_BACKLOG_ADD] = "INSERT INTO concordance_backlog (first, last) VALUES (?, ?)",
	[ST_BACKLOG_MOVE] = "UPDATE concordance_backlog SET first = ? WHERE first = ?",
	[ST_BACKLOG_DELETE] = "DELETE FROM concordance_backlog WHERE first = ?",
	[ST_BACKLOG_UNITS] = "SELECT id, body FROM unit WHERE id BETWEEN ? AND ? ORDER BY id",
	[ST_BACKLOG_COUNT] = "SELECT count(*) FROM concordance_backlog b JOIN unit u "
			     "ON u.id BETWEEN b.first AND b.last",
	[ST_BACKLOG_ANY] = "SELECT count(*) FROM (SELECT 1 FROM concordance_backlog LIMIT 1)",
	[ST_LANG_ID] = "SELECT id FROM lang WHERE tag = ?",
	[ST_LANG_TAG] = "SELECT tag FROM lang WHERE id = ?",
	[ST_LANG_INSERT] = "INSERT INTO lang (tag) VALUES (?)",
	[ST_IMPORT_GET] = "SELECT committed, duplicates, source, received, last_batch, reply "
			  "FROM import WHERE id = ?",
	[ST_IMPORT_PUT] = "INSERT OR REPLACE INTO import (id, committed, duplicates, source, "
			  "received, last_batch, touched_at, reply) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
	[ST_IMPORT_DELETE] = "DELETE FROM import WHERE id = ?",
	[ST_BATCH_INSERT] = "INSERT INTO import_batch (import_id, first, units) VALUES (?, ?, ?)",
	[ST_BATCHES] = "SELECT first, units FROM import_batch WHERE import_id = ? ORDER BY first",
	[ST_BATCHES_DELETE] = "DELETE FROM import_batch WHERE import_id = ?",
	[ST_BATCHES_COMMITTED] = "DELETE FROM import_batch WHERE import_id IN "
				 "(SELECT id FROM import WHERE committed)",
	[ST_EXPIRE_BATCHES] = "DELETE FROM import_batch WHERE import_id IN "
			      "(SELECT id FROM import WHERE touched_at < ?)",
	[ST_EXPIRE_IMPORTS] = "DELETE FROM import WHERE touched_at < ?",
};

/* Language tags as given -> canonical (a pure function, so never stale). */
struct canon_entry {
	char given[MNEMO_TEXT_LANG_MAX];
	char canon[MNEMO_TEXT_LANG_MAX];
};

/* Language tag <-> its number in the lang table. Numbers are never reused, but one taken
 * inside a transaction that rolls back is forgotten with it: the cache is emptied then. */
struct lang_entry {
	int64_t id;
	char tag[MNEMO_TEXT_LANG_MAX];
};

struct store_db {
	sqlite3 *conn;
	sqlite3_stmt *stmts[N_STMTS];
	struct store_db_limits lim;
	uint64_t last_seq;
	uint64_t savepoint_seq; /* last_seq when the request's savepoint began */
	/* During an import's commit, the first id it may add: its units go to the concordance
	 * backlog instead of the index (0: none). */
	uint64_t defer_from;
	struct canon_entry canons[MAX_LANG_CACHE];
	size_t n_canons;
	struct lang_entry langs[MAX_LANG_CACHE];
	size_t n_langs;
};

int
store_err_from_sqlite(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_CANTOPEN:
		return -EACCES;
	case SQLITE_CONSTRAINT:
		return -EEXIST;
	case SQLITE_TOOBIG:
		return -EMSGSIZE;
	case SQLITE_INTERRUPT:
		return -ETIMEDOUT;
	default:
		return -EIO;
	}
}

static sqlite3_stmt *
stmt(struct store_db *db, enum stmt_id id)
{
	sqlite3_stmt *s = db->stmts[id];

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

static int
exec(struct store_db *db, const char *sql)
{
	return store_err_from_sqlite(sqlite3_exec(db->conn, sql, NULL, NULL, NULL));
}

static int
step_done(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	return rc == SQLITE_DONE ? 0 : store_err_from_sqlite(rc);
}

/* Runs a statement that returns one integer (or none: *ret untouched, -ENOENT). */
static int
step_int(sqlite3_stmt *s, int64_t *ret)
{
	int rc = sqlite3_step(s);

	if (rc != SQLITE_ROW) {
		return rc == SQLITE_DONE ? -ENOENT : store_err_from_sqlite(rc);
	}
	*ret = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return 0;
}

int
store_db_reload_seq(struct store_db *db)
{
	int64_t seq = 0;
	int r = step_int(stmt(db, ST_LAST_SEQ), &seq);

	if (r == 0) {
		db->last_seq = (uint64_t)seq;
	}
	return r;
}

/* ---- hashes ----------------------------------------------------------------------------- */

/* The duplicate key of a unit: its (language, exact key) pairs in language order, then
 * its context. Two units with the same one are duplicates (after a check of the pairs). */
static uint64_t
dup_key_add(uint64_t h, const char *lang, uint64_t key)
{
	uint8_t le[8];

	for (int i = 0; i < 8; i++) {
		le[i] = (uint8_t)(key >> (8 * i));
	}
	h = mnemo_fnv1a64(h, lang, strlen(lang) + 1);
	return mnemo_fnv1a64(h, le, sizeof(le));
}

static uint64_t
dup_key_end(uint64_t h, const char *context)
{
	h = mnemo_fnv1a64(h, "\x01", 1);
	return mnemo_fnv1a64(h, context, strlen(context) + 1);
}

/* 64-bit hashes to unit ids, for an import's commit: an open-addressing table that keeps
 * the first id put under a hash. */
struct id_table {
	uint64_t *hashes, *ids; /* hash 0: a free slot */
	size_t cap, n;
};

static uint64_t
id_table_find(const struct id_table *t, uint64_t h)
{
	h += h == 0;
	for (size_t i = h & (t->cap - 1); t->cap > 0 && t->hashes[i] != 0;
	     i = (i + 1) & (t->cap - 1)) {
		if (t->hashes[i] == h) {
			return t->ids[i];
		}
	}
	return 0;
}

static size_t
id_table_slot(const uint64_t *hashes, size_t cap, uint64_t h)
{
	size_t i = h & (cap - 1);

	while (hashes[i] != 0 && hashes[i] != h) {
		i = (i + 1) & (cap - 1);
	}
	return i;
}

static int
id_table_put(struct id_table *t, uint64_t h, uint64_t id)
{
	size_t i;

	h += h == 0;
	if (2 * (t->n + 1) > t->cap) {
		size_t cap = t->cap > 0 ? 2 * t->cap : 1024;
		uint64_t *hashes = calloc(cap, sizeof(*hashes)), *ids = calloc(cap, sizeof(*ids));

		if (hashes == NULL || ids == NULL) {
			free(hashes);
			free(ids);
			return -ENOMEM;
		}
		for (size_t k = 0; k < t->cap; k++) {
			if (t->hashes[k] != 0) {
				i = id_table_slot(hashes, cap, t->hashes[k]);
				hashes[i] = t->hashes[k];
				ids[i] = t->ids[k];
			}
		}
		free(t->hashes);
		free(t->ids);
		t->hashes = hashes;
		t->ids = ids;
		t->cap = cap;
	}
	i = id_table_slot(t->hashes, t->cap, h);
	if (t->hashes[i] == 0) {
		t->hashes[i] = h;
		t->ids[i] = id;
		t->n++;
	}
	return 0;
}

static void
id_table_fini(struct id_table *t)
{
	free(t->hashes);
	free(t->ids);
}

/* ---- opening, the schema and its migrations ------------------------------------------- */

/* Version 1 -> 2: the duplicate key of every unit, from its variants (every unit of
 * version 1 has an empty context). */
static int
migrate_v2(struct store_db *db)
{
	sqlite3_stmt *rows = NULL, *set = NULL;
	int64_t unit = 0;
	uint64_t h = MNEMO_FNV_OFFSET;
	int rc, r;

	r = exec(db, migration_v2);
	if (r == 0) {
		r = store_err_from_sqlite(sqlite3_prepare_v2(
			db->conn, "SELECT unit_id, lang, key_hash FROM variant ORDER BY unit_id, lang",
			-1, &rows, NULL));
	}
	if (r == 0) {
		r = store_err_from_sqlite(sqlite3_prepare_v2(
			db->conn, "UPDATE unit SET dup_key = ? WHERE id = ?", -1, &set, NULL));
	}
	while (r == 0) {
		rc = sqlite3_step(rows);
		if (rc == SQLITE_ROW && sqlite3_column_int64(rows, 0) == unit) {
			h = dup_key_add(h, (const char *)sqlite3_column_text(rows, 1),
					(uint64_t)sqlite3_column_int64(rows, 2));
			continue;
		}
		if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
			r = store_err_from_sqlite(rc);
			break;
		}
		if (unit != 0) {
			sqlite3_reset(set);
			sqlite3_bind_int64(set, 1, (sqlite3_int64)dup_key_end(h, ""));
			sqlite3_bind_int64(set, 2, unit);
			r = step_done(set);
		}
		if (rc == SQLITE_DONE) {
			break;
		}
		unit = sqlite3_column_int64(rows, 0);
		h = dup_key_add(MNEMO_FNV_OFFSET, (const char *)sqlite3_column_text(rows, 1),
				(uint64_t)sqlite3_column_int64(rows, 2));
	}
	sqlite3_finalize(rows);
	sqlite3_finalize(set);
	if (r == 0) {
		r = exec(db, migration_v2_end);
	}
	return r;
}

/* Brings the file to SCHEMA_VERSION, in one transaction. */
static int
migrate(struct store_db *db)
{
	int64_t version = 0;
	sqlite3_stmt *s = NULL;
	int r;

	r = exec(db, "BEGIN IMMEDIATE");
	if (r < 0) {
		return r;
	}
	r = store_err_from_sqlite(
		sqlite3_prepare_v2(db->conn, "PRAGMA user_version", -1, &s, NULL));
	if (r == 0) {
		r = step_int(s, &version);
	}
	sqlite3_finalize(s);
	if (r == 0 && version > SCHEMA_VERSION) {
		r = -ENOTSUP; /* made by a newer mnemo */
	}
	if (r == 0 && version < 1) {
		r = exec(db, schema_v1);
	}
	if (r == 0 && version < 2) {
		r = migrate_v2(db);
	}
	if (r == 0 && version < 3) {
		r = exec(db, migration_v3);
	}
	if (r == 0 && version < 4) {
		r = exec(db, store_jobs_schema);
	}
	if (r == 0 && version < SCHEMA_VERSION) {
		char sql[64];

		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", SCHEMA_VERSION);
		r = exec(db, sql);
	}
	return r == 0 ? exec(db, "COMMIT") : (exec(db, "ROLLBACK"), r);
}

int
store_db_open(const char *path, int read_only, int synchronous_full,
	      const struct store_db_limits *lim, struct store_db **ret)
{
	struct store_db *db = calloc(1, sizeof(*db));
	int flags = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	int r;

	if (db == NULL) {
		return -ENOMEM;
	}
	db->lim = *lim;
	r = store_err_from_sqlite(
		sqlite3_open_v2(path, &db->conn, flags | SQLITE_OPEN_NOMUTEX, NULL));
	if (r < 0) {
		goto fail;
	}
	sqlite3_busy_timeout(db->conn, 10000);
	r = exec(db, "PRAGMA foreign_keys = ON");
	if (r == 0 && !read_only) {
		r = exec(db, "PRAGMA journal_mode = WAL");
		if (r == 0) {
			r = exec(db, synchronous_full ? "PRAGMA synchronous = FULL"
						      : "PRAGMA synchronous = NORMAL");
		}
		if (r == 0) {
			/* Imports write hundreds of MB in one transaction: pages of the indexes
			 * they touch at random stay in memory (64 MiB at most). */
			r = exec(db, "PRAGMA cache_size = -65536");
		}
		if (r == 0) {
			/* Checkpoints are store_db_checkpoint()'s, on a connection of their own:
			 * a commit does not wait while the pages it wrote are copied again. The
			 * WAL an import grew is cut back once it is checkpointed. */
			r = exec(db, "PRAGMA wal_autocheckpoint = 0");
		}
		if (r == 0) {
			r = exec(db, "PRAGMA journal_size_limit = 67108864");
		}
		if (r == 0) {
			r = migrate(db);
		}
	}
	for (int i = 0; r == 0 && i < N_STMTS; i++) {
		r = store_err_from_sqlite(sqlite3_prepare_v3(db->conn, stmt_sql[i], -1,
							     SQLITE_PREPARE_PERSISTENT,
							     &db->stmts[i], NULL));
	}
	if (r == 0) {
		r = store_db_reload_seq(db);
	}
	if (r < 0) {
		goto fail;
	}
	*ret = db;
	return 0;
fail:
	store_db_close(db);
	return r;
}

void
store_db_close(struct store_db *db)
{
	if (db == NULL) {
		return;
	}
	for (int i = 0; i < N_STMTS; i++) {
		sqlite3_finalize(db->stmts[i]);
	}
	sqlite3_close(db->conn);
	free(db);
}

uint64_t
store_db_last_seq(struct store_db *db)
{
	return db->last_seq;
}

/* ---- languages -------------------------------------------------------------------------- */

/* The canonical form of a tag; *ret points into the cache or into buf. */
static int
canon_lang(struct store_db *db, const char *tag, char *buf, const char **ret)
{
	size_t len = strlen(tag);
	int r;

	for (size_t i = 0; i < db->n_canons; i++) {
		if (strcmp(db->canons[i].given, tag) == 0) {
			*ret = db->canons[i].canon;
			return 0;
		}
	}
	r = mnemo_text_lang_canon(tag, buf, MNEMO_TEXT_LANG_MAX);
	if (r < 0) {
		return r;
	}
	if (db->n_canons < MAX_LANG_CACHE && len < MNEMO_TEXT_LANG_MAX) {
		struct canon_entry *c = &db->canons[db->n_canons++];

		memcpy(c->given, tag, len + 1);
		memcpy(c->canon, buf, strlen(buf) + 1);
		*ret = c->canon;
		return 0;
	}
	*ret = buf;
	return 0;
}

static void
lang_remember(struct store_db *db, int64_t id, const char *tag)
{
	if (db->n_langs < MAX_LANG_CACHE && strlen(tag) < MNEMO_TEXT_LANG_MAX) {
		db->langs[db->n_langs].id = id;
		snprintf(db->langs[db->n_langs].tag, MNEMO_TEXT_LANG_MAX, "%s", tag);
		db->n_langs++;
	}
}

/* The number of a canonical tag; with create, a new one if it has none (-ENOENT without). */
static int
lang_id(struct store_db *db, const char *tag, int create, int64_t *ret)
{
	sqlite3_stmt *s;
	int r;

	for (size_t i = 0; i < db->n_langs; i++) {
		if (strcmp(db->langs[i].tag, tag) == 0) {
			*ret = db->langs[i].id;
			return 0;
		}
	}
	s = stmt(db, ST_LANG_ID);
	sqlite3_bind_text(s, 1, tag, -1, SQLITE_STATIC);
	r = step_int(s, ret);
	if (r == -ENOENT && create) {
		s = stmt(db, ST_LANG_INSERT);
		sqlite3_bind_text(s, 1, tag, -1, SQLITE_STATIC);
		r = step_done(s);
		*ret = sqlite3_last_insert_rowid(db->conn);
		if (r == 0 && *ret >= (1 << LANG_BITS)) {
			r = -EOVERFLOW; /* 65,535 languages */
		}
	}
	if (r == 0) {
		lang_remember(db, *ret, tag);
	}
	return r;
}

/* The tag of a language number, copied into buf (MNEMO_TEXT_LANG_MAX bytes). */
static int
lang_tag(struct store_db *db, int64_t id, char *buf)
{
	sqlite3_stmt *s;
	int rc;

	for (size_t i = 0; i < db->n_langs; i++) {
		if (db->langs[i].id == id) {
			memcpy(buf, db->langs[i].tag, strlen(db->langs[i].tag) + 1);
			return 0;
		}
	}
	s = stmt(db, ST_LANG_TAG);
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		return rc == SQLITE_DONE ? -ENOENT : store_err_from_sqlite(rc);
	}
	snprintf(buf, MNEMO_TEXT_LANG_MAX, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_reset(s);
	lang_remember(db, id, buf);
	return 0;
}

static sqlite3_int64
fts_rowid(uint64_t unit, int64_t lang)
{
	return (sqlite3_int64)(unit << LANG_BITS | (uint64_t)lang);
}

/* ---- reads ---------------------------------------------------------------------------- */

static void *
arena_alloc(void *data, size_t size)
{
	return mnemo_arena_alloc(data, size);
}

static void
arena_free(void *data, void *p)
{
}

/* Blobs in the database were packed by the store itself; a failure here is corruption. */
static Mnemo__Unit *
unpack_unit(struct mnemo_arena *arena, const void *data, int len)
{
	ProtobufCAllocator alloc = {arena_alloc, arena_free, arena};

	return mnemo__unit__unpack(&alloc, (size_t)len, data);
}

static int
read_unit(struct store_db *db, enum stmt_id id_stmt, uint64_t id, struct mnemo_arena *arena,
	  Mnemo__Unit **ret)
{
	sqlite3_stmt *s = stmt(db, id_stmt);
	Mnemo__Unit *u;
	int rc;

	sqlite3_bind_int64(s, 1, (sqlite3_int64)id);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		return rc == SQLITE_DONE ? -ENOENT : store_err_from_sqlite(rc);
	}
	u = unpack_unit(arena, sqlite3_column_blob(s, 0), sqlite3_column_bytes(s, 0));
	sqlite3_reset(s);
	if (u == NULL) {
		return -EIO;
	}
	*ret = u;
	return 0;
}

int
store_db_get_unit(struct store_db *db, uint64_t id, struct mnemo_arena *arena,
		  Mnemo__Unit **ret)
{
	return read_unit(db, ST_GET_UNIT, id, arena, ret);
}

/* SQLite integers are signed: a bound past INT64_MAX must not wrap to a negative one. */
static sqlite3_int64
clamp_int64(uint64_t v)
{
	return v > (uint64_t)INT64_MAX ? INT64_MAX : (sqlite3_int64)v;
}

/* A read transaction, so a page and its last_seq come from one snapshot. */
static int
read_begin(struct store_db *db)
{
	return exec(db, "BEGIN");
}

static void
read_end(struct store_db *db)
{
	(void)exec(db, "COMMIT");
}

/* Runs a paging statement (rows after `after`, at most `max`) inside one read
 * transaction, so the page and the last seq reported with it come from one snapshot;
 * row() takes each row. */
static int
read_page(struct store_db *db, enum stmt_id id, uint64_t after, uint32_t max,
	  int (*row)(sqlite3_stmt *s, void *arg), void *arg, uint64_t *ret_last_seq)
{
	sqlite3_stmt *s;
	int r, rc = SQLITE_DONE;

	r = read_begin(db);
	if (r < 0) {
		return r;
	}
	r = store_db_reload_seq(db);
	*ret_last_seq = db->last_seq;
	s = stmt(db, id);
	sqlite3_bind_int64(s, 1, clamp_int64(after));
	sqlite3_bind_int64(s, 2, max);
	while (r == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		r = row(s, arg);
	}
	if (r == 0 && rc != SQLITE_DONE) {
		r = store_err_from_sqlite(rc);
	}
	sqlite3_reset(s);
	read_end(db);
	return r;
}

struct updates_page {
	Mnemo__UpdatesReply *reply;
	struct mnemo_arena *arena;
};

static int
update_row(sqlite3_stmt *s, void *arg)
{
	struct updates_page *page = arg;
	Mnemo__Update *u = mnemo_arena_alloc(page->arena, sizeof(*u));

	if (u == NULL) {
		return -ENOMEM;
	}
	mnemo__update__init(u);
	u->seq = (uint64_t)sqlite3_column_int64(s, 0);
	u->op = (Mnemo__ChangeOp)sqlite3_column_int(s, 1);
	if (sqlite3_column_type(s, 2) == SQLITE_NULL) {
		return -EIO; /* an add's unit gone without its copy kept: cannot happen */
	}
	u->unit = unpack_unit(page->arena, sqlite3_column_blob(s, 2), sqlite3_column_bytes(s, 2));
	if (u->unit == NULL) {
		return -EIO;
	}
	page->reply->updates[page->reply->n_updates++] = u;
	return 0;
}

int
store_db_updates(struct store_db *db, uint64_t since, uint32_t max, struct mnemo_arena *arena,
		 Mnemo__UpdatesReply **ret)
{
	struct updates_page page = {mnemo_arena_alloc(arena, sizeof(*page.reply)), arena};
	int r;

	if (page.reply == NULL) {
		return -ENOMEM;
	}
	mnemo__updates_reply__init(page.reply);
	page.reply->updates = mnemo_arena_alloc(arena, (size_t)max * sizeof(Mnemo__Update *) + 1);
	if (page.reply->updates == NULL) {
		return -ENOMEM;
	}
	r = read_page(db, ST_UPDATES, since, max, update_row, &page, &page.reply->last_seq);
	if (r == 0) {
		*ret = page.reply;
	}
	return r;
}

struct snapshot_page {
	Mnemo__SnapshotReply *reply;
	struct mnemo_arena *arena;
};

static int
unit_row(sqlite3_stmt *s, void *arg)
{
	struct snapshot_page *page = arg;
	Mnemo__Unit *u =
		unpack_unit(page->arena, sqlite3_column_blob(s, 0), sqlite3_column_bytes(s, 0));

	if (u == NULL) {
		return -EIO;
	}
	page->reply->units[page->reply->n_units++] = u;
	return 0;
}

int
store_db_snapshot(struct store_db *db, uint64_t after_id, uint32_t max, struct mnemo_arena *arena,
		  Mnemo__SnapshotReply **ret)
{
	struct snapshot_page page = {mnemo_arena_alloc(arena, sizeof(*page.reply)), arena};
	int r;

	if (page.reply == NULL) {
		return -ENOMEM;
	}
	mnemo__snapshot_reply__init(page.reply);
	page.reply->units = mnemo_arena_alloc(arena, (size_t)max * sizeof(Mnemo__Unit *) + 1);
	if (page.reply->units == NULL) {
		return -ENOMEM;
	}
	r = read_page(db, ST_SNAPSHOT, after_id, max, unit_row, &page, &page.reply->last_seq);
	if (r == 0) {
		*ret = page.reply;
	}
	return r;
}

int
store_db_status(struct store_db *db, uint64_t *ret_last_seq, uint64_t *ret_units,
		uint64_t *ret_backlog)
{
	int64_t units = 0, backlog = 0;
	int r;

	r = read_begin(db);
	if (r < 0) {
		return r;
	}
	r = store_db_reload_seq(db);
	if (r == 0) {
		r = step_int(stmt(db, ST_COUNT_UNITS), &units);
	}
	if (r == 0) {
		r = step_int(stmt(db, ST_BACKLOG_COUNT), &backlog);
	}
	if (r == 0) {
		*ret_last_seq = db->last_seq;
		*ret_units = (uint64_t)units;
		*ret_backlog = (uint64_t)backlog;
	}
	read_end(db);
	return r;
}

/* ---- concordance ----------------------------------------------------------------------- */

static int
is_bareword_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == 0x1a || c >= 0x80;
}

/* The query as FTS5 gets it: the user's, except that a word holding an apostrophe or a
 * hyphen between two letters (l'école, aujourd'hui, cessez-le-feu), which FTS5 syntax
 * does not allow bare, is quoted: a phrase of its words; and punctuation outside quotes
 * that is not FTS5 syntax ("canapé.", "c++", "?") becomes a space, as the tokenizer
 * makes it of the stored texts. */
static char *
fts_query(struct mnemo_arena *arena, const char *q)
{
	size_t len = strlen(q), o = 0;
	char *out = mnemo_arena_alloc(arena, 2 * len + 3);
	int quoted = 0;

	if (out == NULL) {
		return NULL;
	}
	for (size_t i = 0; i < len;) {
		size_t j = i;
		int joined = 0;

		if (q[i] == '"') {
			quoted = !quoted;
		}
		if (quoted || !is_bareword_byte((unsigned char)q[i])) {
			out[o++] = quoted || strchr("\"()*^: \t\n", q[i]) != NULL ? q[i] : ' ';
			i++;
			continue;
		}
		while (j < len && (is_bareword_byte((unsigned char)q[j]) ||
				   ((q[j] == '\'' || q[j] == '-') && j + 1 < len &&
				    is_bareword_byte((unsigned char)q[j + 1])))) {
			joined |= q[j] == '\'' || q[j] == '-';
			j++;
		}
		if (joined) {
			out[o++] = '"';
		}
		memcpy(out + o, q + i, j - i);
		o += j - i;
		if (joined) {
			out[o++] = '"';
		}
		i = j;
	}
	out[o] = '\0';
	return out;
}

static int
past_deadline(void *arg)
{
	return mnemo_clock_ms() > *(const uint64_t *)arg;
}

/* A unit's text in a language; NULL when it has none. */
static char *
unit_text(const Mnemo__Unit *u, const char *lang)
{
	for (size_t i = 0; i < u->n_variants; i++) {
		if (strcmp(u->variants[i]->key, lang) == 0) {
			return u->variants[i]->value;
		}
	}
	return NULL;
}

/* A language of the request, canonical, and its number (0: no variant has it). */
static int
request_lang(struct store_db *db, const char *field, const char *given, char *buf,
	     const char **ret_tag, int64_t *ret_id, struct mnemo_fault *f)
{
	int r;

	*ret_id = 0;
	*ret_tag = NULL;
	if (given[0] == '\0') {
		return 0;
	}
	if (canon_lang(db, given, buf, ret_tag) < 0) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_LANG, field, -1,
				       "'%s' is not a BCP 47 language tag (e.g. fr, en-GB)", given);
	}
	r = lang_id(db, *ret_tag, 0, ret_id);
	if (r == -ENOENT) {
		*ret_id = 0;
		r = 0;
	}
	return r;
}

int
store_db_concordance(struct store_db *db, const Mnemo__ConcordanceRequest *req,
		     struct mnemo_arena *arena, Mnemo__ConcordanceReply **ret,
		     struct mnemo_fault *f)
{
	Mnemo__ConcordanceReply *reply = mnemo_arena_alloc(arena, sizeof(*reply));
	char lang_buf[MNEMO_TEXT_LANG_MAX], target_buf[MNEMO_TEXT_LANG_MAX];
	const char *lang, *target, *query;
	int64_t lang_n, target_n, backlog = 0;
	uint32_t max = req->max != 0 ? req->max : CONCORDANCE_DEFAULT;
	uint64_t deadline = mnemo_clock_ms() + CONCORDANCE_TIME_MS, last_unit = 0, u_id = 0;
	Mnemo__Unit *u = NULL;
	sqlite3_stmt *s;
	int r, rc = SQLITE_DONE;

	if (reply == NULL) {
		return -ENOMEM;
	}
	mnemo__concordance_reply__init(reply);
	if (req->query[0] == '\0') {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_MISSING_FIELD, "query", -1,
				       "'query' (the words to look for) is required");
	}
	if (strlen(req->query) > MAX_QUERY_BYTES) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_TOO_LARGE, "query", -1,
				       "the query has %zu bytes; the limit is %d",
				       strlen(req->query), MAX_QUERY_BYTES);
	}
	if (req->max > CONCORDANCE_MAX) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "max", -1,
				       "max must be from 1 to %d (0: %d)", CONCORDANCE_MAX,
				       CONCORDANCE_DEFAULT);
	}
	r = read_begin(db);
	if (r < 0) {
		return r;
	}
	r = request_lang(db, "lang", req->lang, lang_buf, &lang, &lang_n, f);
	if (r == 0) {
		r = request_lang(db, "target", req->target, target_buf, &target, &target_n, f);
	}
	query = fts_query(arena, req->query);
	reply->hits = mnemo_arena_alloc(arena, (max + db->lim.max_variants + 1) *
						       sizeof(*reply->hits));
	if (r == 0 && (query == NULL || reply->hits == NULL)) {
		r = -ENOMEM;
	}
	if (r < 0 || (lang != NULL && lang_n == 0) || req->after_unit >= MAX_UNIT_ID) {
		read_end(db); /* an error, or a language no variant has: no hits */
		if (r == 0) {
			*ret = reply;
		}
		return r;
	}
	r = step_int(stmt(db, ST_BACKLOG_ANY), &backlog);
	reply->incomplete = backlog > 0;
	sqlite3_progress_handler(db->conn, 1000, past_deadline, &deadline);
	s = stmt(db, ST_FTS_MATCH);
	/* Hits come in unit order: each unit is read once, for all its hits. */
	sqlite3_bind_text(s, 1, query, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, fts_rowid(req->after_unit, (1 << LANG_BITS) - 1));
	while (r == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		uint64_t rowid = (uint64_t)sqlite3_column_int64(s, 0);
		uint64_t unit = rowid >> LANG_BITS;
		int64_t n = (int64_t)(rowid & ((1u << LANG_BITS) - 1));
		Mnemo__ConcordanceHit *hit;
		char tag[MNEMO_TEXT_LANG_MAX];

		if (lang != NULL && n != lang_n) {
			continue;
		}
		if (unit != u_id) {
			r = read_unit(db, ST_UNIT_ROW, unit, arena, &u);
			if (r == -ENOENT) {
				r = 0; /* the index is ahead of nothing: cannot happen, skip it */
				continue;
			}
			if (r < 0) {
				break;
			}
			u_id = unit;
		}
		if (reply->n_hits >= max && unit != last_unit) {
			break; /* a page ends between units, never inside one */
		}
		if (reply->n_hits >= max + db->lim.max_variants) {
			break;
		}
		hit = mnemo_arena_alloc(arena, sizeof(*hit));
		if (hit == NULL) {
			r = -ENOMEM;
			break;
		}
		mnemo__concordance_hit__init(hit);
		hit->unit = unit;
		r = lang_tag(db, n, tag);
		if (r == 0) {
			hit->lang = mnemo_arena_strdup(arena, tag);
			r = hit->lang != NULL ? 0 : -ENOMEM;
		}
		if (r == 0) {
			hit->text = unit_text(u, tag);
			if (hit->text == NULL) {
				continue; /* the index is ahead of nothing: cannot happen, skip it */
			}
			if (target != NULL && target_n != 0) {
				hit->target = unit_text(u, target);
				hit->target = hit->target != NULL ? hit->target : "";
			}
			reply->hits[reply->n_hits++] = hit;
			last_unit = unit;
		}
	}
	if (r == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW) {
		if ((rc & 0xff) == SQLITE_ERROR) {
			r = mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "query", -1,
					    "the query is not valid: %s (FTS5 syntax: words, "
					    "\"a phrase\", prefix*, AND, OR, NOT, NEAR(a b, 5), "
					    "parentheses)",
					    sqlite3_errmsg(db->conn));
		} else if ((rc & 0xff) == SQLITE_INTERRUPT) {
			r = mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_TIMEOUT, "query", -1,
					    "the query took longer than %d ms; make it narrower "
					    "(longer prefixes, more words)",
					    CONCORDANCE_TIME_MS);
		} else {
			r = store_err_from_sqlite(rc);
		}
	}
	sqlite3_reset(s);
	sqlite3_progress_handler(db->conn, 0, NULL, NULL);
	read_end(db);
	if (r == 0) {
		*ret = reply;
	}
	return r;
}

/* ---- writes --------------------------------------------------------------------------- */

int
store_db_checkpoint(struct store_db *db, int *ret_left)
{
	int frames = 0, copied = 0;
	int rc = sqlite3_wal_checkpoint_v2(db->conn, NULL, SQLITE_CHECKPOINT_PASSIVE, &frames,
					   &copied);

	*ret_left = frames > copied ? frames - copied : 0;
	if (rc == SQLITE_BUSY) {
		*ret_left += *ret_left == 0; /* a writer held it: try again */
		return 0;
	}
	return store_err_from_sqlite(rc);
}

int
store_db_begin(struct store_db *db)
{
	return exec(db, "BEGIN IMMEDIATE");
}

int
store_db_commit(struct store_db *db)
{
	return exec(db, "COMMIT");
}

void
store_db_rollback(struct store_db *db)
{
	db->n_langs = 0; /* numbers taken in the transaction are gone */
	(void)exec(db, "ROLLBACK");
}

int
store_db_savepoint(struct store_db *db)
{
	db->savepoint_seq = db->last_seq;
	return exec(db, "SAVEPOINT request");
}

int
store_db_release(struct store_db *db)
{
	return exec(db, "RELEASE request");
}

void
store_db_rollback_savepoint(struct store_db *db)
{
	/* a write that failed after taking seqs gives them back: the log stays gapless */
	db->last_seq = db->savepoint_seq;
	db->n_langs = 0;
	(void)exec(db, "ROLLBACK TO request");
	(void)exec(db, "RELEASE request");
}

/* ---- units: checking what a request asks for ------------------------------------------ */

/* A unit's content as a request gives it (an add, an update, an imported unit). Each map is
 * a list of entries of the request's own entry type, all {key = 1, value = 2}. */
struct unit_input {
	ProtobufCMessage *const *variants, *const *meta, *const *markup, *const *prev, *const *next;
	size_t n_variants, n_meta, n_markup, n_prev, n_next;
	const char *origin, *user, *project, *domain, *context;
	int64_t created_at;
	/* an add's history (imports): 0 and "" for as created, never used */
	int64_t changed_at, used_at;
	const char *changed_by;
	uint32_t usage_count;
};

/* The same, checked, with canonical tags, as Unit map entries. */
struct unit_draft {
	ProtobufCMessage **variants, **meta, **markup, **prev, **next;
	size_t n_variants, n_meta, n_markup, n_prev, n_next;
	uint64_t *keys; /* mnemo_tm_key_hash of each variant; 0 until computed */
	const char *origin, *user, *project, *domain, *context;
	int64_t created_at;
	int64_t changed_at, used_at;
	const char *changed_by;
	uint32_t usage_count;
};

#define INPUT_MAP(in, msg, name)                                                                \
	do {                                                                                    \
		(in)->name = (ProtobufCMessage *const *)(msg)->name;                            \
		(in)->n_##name = (msg)->n_##name;                                               \
	} while (0)

static void
input_from_add(const Mnemo__UnitAddRequest *a, struct unit_input *in)
{
	memset(in, 0, sizeof(*in));
	INPUT_MAP(in, a, variants);
	INPUT_MAP(in, a, meta);
	INPUT_MAP(in, a, markup);
	INPUT_MAP(in, a, prev);
	INPUT_MAP(in, a, next);
	in->origin = a->origin;
	in->user = a->user;
	in->project = a->project;
	in->domain = a->domain;
	in->context = a->context;
	in->created_at = a->created_at;
	in->changed_at = a->changed_at;
	in->changed_by = a->changed_by;
	in->usage_count = a->usage_count;
	in->used_at = a->used_at;
}

static void
input_from_update(const Mnemo__UnitUpdateRequest *u, struct unit_input *in)
{
	memset(in, 0, sizeof(*in)); /* an update keeps the unit's history */
	INPUT_MAP(in, u, variants);
	INPUT_MAP(in, u, meta);
	INPUT_MAP(in, u, markup);
	INPUT_MAP(in, u, prev);
	INPUT_MAP(in, u, next);
	in->origin = u->origin;
	in->user = u->user;
	in->project = u->project;
	in->domain = u->domain;
	in->context = u->context;
	in->created_at = 0;
}

/* Each request type has its own map entry type (protoc-c makes one per message); all are
 * {key = 1, value = 2} strings, read here through their descriptor. */
static void
entry_kv(const ProtobufCMessage *e, const char **ret_key, const char **ret_value)
{
	const ProtobufCMessageDescriptor *d = e->descriptor;

	*ret_key = *(char *const *)((const char *)e + d->fields[0].offset);
	*ret_value = *(char *const *)((const char *)e + d->fields[1].offset);
}

static const char *
entry_key(const ProtobufCMessage *e)
{
	const char *key, *value;

	entry_kv(e, &key, &value);
	return key;
}

static const char *
entry_value(const ProtobufCMessage *e)
{
	const char *key, *value;

	entry_kv(e, &key, &value);
	return value;
}

/* A map entry of type d (a Unit map's entry type). */
static ProtobufCMessage *
new_entry(struct mnemo_arena *arena, const ProtobufCMessageDescriptor *d, const char *key,
	  const char *value)
{
	ProtobufCMessage *e = mnemo_arena_alloc(arena, d->sizeof_message);

	if (e != NULL) {
		d->message_init(e);
		*(const char **)((char *)e + d->fields[0].offset) = key;
		*(const char **)((char *)e + d->fields[1].offset) = value;
	}
	return e;
}

static ProtobufCMessage **
new_list(struct mnemo_arena *arena, size_t n)
{
	return mnemo_arena_alloc(arena, n * sizeof(ProtobufCMessage *) + 1);
}

static int
check_variants(struct store_db *db, const struct unit_input *in, struct mnemo_arena *arena,
	       struct unit_draft *d, struct mnemo_fault *f)
{
	size_t n = in->n_variants;

	if (n < 2) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_REQUEST, "variants",
				       -1, "a unit needs variants in at least two languages");
	}
	if (n > db->lim.max_variants) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_TOO_LARGE, "variants", -1,
				       "a unit holds at most %u languages", db->lim.max_variants);
	}
	d->variants = new_list(arena, n);
	d->keys = mnemo_arena_zalloc(arena, n * sizeof(*d->keys));
	if (d->variants == NULL || d->keys == NULL) {
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		char buf[MNEMO_TEXT_LANG_MAX];
		const char *tag, *text, *lang;
		size_t len;

		entry_kv(in->variants[i], &tag, &text);
		len = strlen(text);
		if (canon_lang(db, tag, buf, &lang) < 0) {
			return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_LANG,
					       "variants", -1,
					       "'%s' is not a BCP 47 language tag (e.g. fr, en-GB)",
					       tag);
		}
		for (size_t j = 0; j < i; j++) {
			if (strcmp(entry_key(d->variants[j]), lang) == 0) {
				return mnemo_fault_set(f,
						       MNEMO__ERROR_CODE__ERROR_CODE_INVALID_REQUEST,
						       "variants", -1,
						       "language %s is given twice (as '%s')", lang,
						       tag);
			}
		}
		if (len == 0) {
			return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_REQUEST,
					       "variants", -1, "the %s text is empty", lang);
		}
		if (len > db->lim.max_text_bytes) {
			return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_TOO_LARGE, "variants",
					       -1, "the %s text has %zu bytes; the limit is %u", lang,
					       len, db->lim.max_text_bytes);
		}
		if (lang == buf) {
			lang = mnemo_arena_strdup(arena, buf);
		}
		d->variants[i] = lang != NULL ? new_entry(arena, &mnemo__unit__variants_entry__descriptor,
							  lang, text)
					      : NULL;
		if (d->variants[i] == NULL) {
			return -ENOMEM;
		}
	}
	d->n_variants = n;
	return 0;
}

static int
check_meta(struct store_db *db, const struct unit_input *in, struct mnemo_arena *arena,
	   struct unit_draft *d, struct mnemo_fault *f)
{
	size_t n = in->n_meta;

	if (n > db->lim.max_meta) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_TOO_LARGE, "meta", -1,
				       "a unit holds at most %u properties", db->lim.max_meta);
	}
	d->meta = new_list(arena, n);
	if (d->meta == NULL) {
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		const char *key, *value;

		entry_kv(in->meta[i], &key, &value);
		if (key[0] == '\0' || strlen(key) > MAX_META_KEY_BYTES ||
		    strlen(value) > MAX_META_VALUE_BYTES) {
			return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "meta",
					       -1,
					       "property names have 1-%d bytes and values at most %d",
					       MAX_META_KEY_BYTES, MAX_META_VALUE_BYTES);
		}
		d->meta[i] = new_entry(arena, &mnemo__unit__meta_entry__descriptor, key, value);
		if (d->meta[i] == NULL) {
			return -ENOMEM;
		}
	}
	d->n_meta = n;
	return 0;
}

/* The exact key of a text as the duplicate keys hash it. */
static uint64_t
text_key(const char *text)
{
	uint64_t k = mnemo_tm_key_hash(text, strlen(text));

	return k + (k == 0); /* 0 means "not computed yet" in a draft */
}

static uint64_t
variant_key(struct unit_draft *d, size_t i)
{
	if (d->keys[i] == 0) {
		d->keys[i] = text_key(entry_value(d->variants[i]));
	}
	return d->keys[i];
}

static int
check_markup(struct unit_draft *d, size_t variant, const char *lang,
	     const char *text, struct mnemo_arena *arena, struct mnemo_fault *f)
{
	size_t len = strlen(text), plain_len = 0, at = 0;
	char *plain = mnemo_arena_alloc(arena, len + 1);
	const char *why = NULL;
	char field[MNEMO_TEXT_LANG_MAX + 8];
	uint64_t key;
	int r;

	snprintf(field, sizeof(field), "markup.%s", lang);
	if (plain == NULL) {
		return -ENOMEM;
	}
	if (len == 0) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_REQUEST, field, -1,
				       "the %s markup is empty", lang);
	}
	if ((r = mnemo_tmx_markup_plain(text, len, plain, &plain_len, &at, &why)) == -EINVAL) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, field,
				       (int64_t)at,
				       "the %s markup is not TMX <seg> content: %s (byte %zu)", lang,
				       why, at);
	}
	if (r < 0) {
		return r;
	}
	if (mnemo_text_check_utf8(plain, plain_len, &at) < 0) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, field, -1,
				       "the %s markup's character references make a NUL or invalid "
				       "text",
				       lang);
	}
	key = mnemo_tm_key_hash(plain, plain_len);
	if (key + (key == 0) != variant_key(d, variant)) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, field, -1,
				       "the %s markup without its tags' native code is not the %s "
				       "variant's text",
				       lang, lang);
	}
	return 0;
}

/* markup, prev or next: language -> text, for languages the unit has a variant in. */
static int
check_lang_map(struct store_db *db, const char *name, ProtobufCMessage *const *in, size_t n,
	       const ProtobufCMessageDescriptor *entry_type, struct mnemo_arena *arena,
	       struct unit_draft *d, ProtobufCMessage ***ret, size_t *ret_n, struct mnemo_fault *f)
{
	ProtobufCMessage **out;

	if (n > d->n_variants) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_REQUEST, name, -1,
				       "%s has %zu languages, the unit's variants %zu", name, n,
				       d->n_variants);
	}
	out = new_list(arena, n);
	if (out == NULL) {
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		char buf[MNEMO_TEXT_LANG_MAX], field[MNEMO_TEXT_LANG_MAX + 8];
		const char *tag, *text, *lang;
		size_t v = d->n_variants;
		int r;

		entry_kv(in[i], &tag, &text);
		if (canon_lang(db, tag, buf, &lang) < 0) {
			return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_LANG, name, -1,
					       "'%s' is not a BCP 47 language tag (e.g. fr, en-GB)",
					       tag);
		}
		snprintf(field, sizeof(field), "%s.%s", name, lang);
		for (size_t j = 0; j < d->n_variants; j++) {
			if (strcmp(entry_key(d->variants[j]), lang) == 0) {
				v = j;
			}
		}
		if (v == d->n_variants) {
			return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_REQUEST,
					       field, -1,
					       "%s has a %s entry but the unit has no %s variant",
					       name, lang, lang);
		}
		for (size_t j = 0; j < i; j++) {
			if (strcmp(entry_key(out[j]), entry_key(d->variants[v])) == 0) {
				return mnemo_fault_set(f,
						       MNEMO__ERROR_CODE__ERROR_CODE_INVALID_REQUEST,
						       field, -1, "language %s is given twice (as '%s')",
						       lang, tag);
			}
		}
		if (strlen(text) > db->lim.max_text_bytes) {
			return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_TOO_LARGE, field, -1,
					       "the %s %s has %zu bytes; the limit is %u", lang, name,
					       strlen(text), db->lim.max_text_bytes);
		}
		if (entry_type == &mnemo__unit__markup_entry__descriptor) {
			r = check_markup(d, v, lang, text, arena, f);
			if (r < 0) {
				return r;
			}
		}
		/* the variant's key string: canonical, and already in the arena */
		out[i] = new_entry(arena, entry_type, entry_key(d->variants[v]), text);
		if (out[i] == NULL) {
			return -ENOMEM;
		}
	}
	*ret = out;
	*ret_n = n;
	return 0;
}

static int
check_string(const char *field, const char *value, size_t max, struct mnemo_fault *f)
{
	size_t len = value != NULL ? strlen(value) : 0;

	if (len > max) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, field, -1,
				       "%s has %zu bytes; the limit is %zu", field, len, max);
	}
	return 0;
}

static int
check_time(const char *field, int64_t ms, struct mnemo_fault *f)
{
	if (ms < 0 || ms > MAX_TIME_MS) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, field, -1,
				       "%s is Unix time in milliseconds, from 0 (none) to %" PRId64,
				       field, MAX_TIME_MS);
	}
	return 0;
}

/* Checks everything a unit's content must be (UTF-8 and NULs are the decoder's). */
static int
check_unit(struct store_db *db, const struct unit_input *in, struct mnemo_arena *arena,
	   struct unit_draft *d, struct mnemo_fault *f)
{
	int r;

	memset(d, 0, sizeof(*d));
	r = check_variants(db, in, arena, d, f);
	if (r == 0) {
		r = check_meta(db, in, arena, d, f);
	}
	if (r == 0) {
		r = check_lang_map(db, "markup", in->markup, in->n_markup,
				   &mnemo__unit__markup_entry__descriptor, arena, d, &d->markup,
				   &d->n_markup, f);
	}
	if (r == 0) {
		r = check_lang_map(db, "prev", in->prev, in->n_prev,
				   &mnemo__unit__prev_entry__descriptor, arena, d, &d->prev,
				   &d->n_prev, f);
	}
	if (r == 0) {
		r = check_lang_map(db, "next", in->next, in->n_next,
				   &mnemo__unit__next_entry__descriptor, arena, d, &d->next,
				   &d->n_next, f);
	}
	if (r == 0) {
		r = check_string("origin", in->origin, MAX_ORIGIN_BYTES, f);
	}
	if (r == 0) {
		r = check_string("user", in->user, MAX_NAME_BYTES, f);
	}
	if (r == 0) {
		r = check_string("project", in->project, MAX_NAME_BYTES, f);
	}
	if (r == 0) {
		r = check_string("domain", in->domain, MAX_NAME_BYTES, f);
	}
	if (r == 0) {
		r = check_string("context", in->context, MAX_CONTEXT_BYTES, f);
	}
	if (r == 0) {
		r = check_time("created_at", in->created_at, f);
	}
	if (r == 0) {
		r = check_time("changed_at", in->changed_at, f);
	}
	if (r == 0) {
		r = check_time("used_at", in->used_at, f);
	}
	if (r == 0) {
		r = check_string("changed_by", in->changed_by, MAX_NAME_BYTES, f);
	}
	if (r == 0) {
		d->origin = in->origin;
		d->user = in->user;
		d->project = in->project;
		d->domain = in->domain;
		d->context = in->context;
		d->created_at = in->created_at;
		d->changed_at = in->changed_at;
		d->changed_by = in->changed_by;
		d->usage_count = in->usage_count;
		d->used_at = in->used_at;
	}
	return r;
}

/* The draft's variants in language order: indexes into d->variants. */
static void
lang_order(const struct unit_draft *d, size_t *order)
{
	for (size_t i = 0; i < d->n_variants; i++) {
		size_t j = i;

		while (j > 0 && strcmp(entry_key(d->variants[order[j - 1]]),
				       entry_key(d->variants[i])) > 0) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = i;
	}
}

static uint64_t
draft_dup_key(struct unit_draft *d, const size_t *order)
{
	uint64_t h = MNEMO_FNV_OFFSET;

	for (size_t i = 0; i < d->n_variants; i++) {
		h = dup_key_add(h, entry_key(d->variants[order[i]]), variant_key(d, order[i]));
	}
	return dup_key_end(h, d->context);
}

/* Whether a stored unit has the draft's exact key in every language, and no other. */
static int
same_keys(const Mnemo__Unit *u, struct unit_draft *d)
{
	if (u->n_variants != d->n_variants) {
		return 0;
	}
	for (size_t i = 0; i < d->n_variants; i++) {
		const char *text = unit_text(u, entry_key(d->variants[i]));

		if (text == NULL || text_key(text) != variant_key(d, i)) {
			return 0;
		}
	}
	return 1;
}

/* A live unit identical to the draft: the same exact key in every language, the same
 * context. 1 with its id and seq, 0 when none. */
static int
find_duplicate(struct store_db *db, struct unit_draft *d, uint64_t dup_key,
	       struct mnemo_arena *arena, uint64_t *ret_id, uint64_t *ret_seq)
{
	sqlite3_stmt *s = stmt(db, ST_FIND_DUP);
	int rc, r = 0;

	sqlite3_bind_int64(s, 1, (sqlite3_int64)dup_key);
	sqlite3_bind_text(s, 2, d->context, -1, SQLITE_STATIC);
	while (r == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		Mnemo__Unit *u = unpack_unit(arena, sqlite3_column_blob(s, 2),
					     sqlite3_column_bytes(s, 2));

		if (u == NULL) {
			r = -EIO;
		} else if (same_keys(u, d)) {
			*ret_id = (uint64_t)sqlite3_column_int64(s, 0);
			*ret_seq = (uint64_t)sqlite3_column_int64(s, 1);
			r = 1;
		}
	}
	if (r == 0 && rc != SQLITE_DONE) {
		r = store_err_from_sqlite(rc);
	}
	sqlite3_reset(s);
	return r;
}

/* ---- units: writing them ---------------------------------------------------------------- */

static void *
pack(struct mnemo_arena *arena, const ProtobufCMessage *m, size_t *ret_len)
{
	size_t len = protobuf_c_message_get_packed_size(m);
	void *buf = mnemo_arena_alloc(arena, len + 1);

	if (buf != NULL) {
		protobuf_c_message_pack(m, buf);
		*ret_len = len;
	}
	return buf;
}

/* The unit's new state from a checked draft. */
static Mnemo__Unit *
draft_unit(struct mnemo_arena *arena, uint64_t id, const struct unit_draft *d, uint64_t seq)
{
	Mnemo__Unit *u = mnemo_arena_alloc(arena, sizeof(*u));

	if (u != NULL) {
		mnemo__unit__init(u);
		u->id = id;
		u->seq = seq;
		u->variants = (Mnemo__Unit__VariantsEntry **)d->variants;
		u->n_variants = d->n_variants;
		u->meta = (Mnemo__Unit__MetaEntry **)d->meta;
		u->n_meta = d->n_meta;
		u->markup = (Mnemo__Unit__MarkupEntry **)d->markup;
		u->n_markup = d->n_markup;
		u->prev = (Mnemo__Unit__PrevEntry **)d->prev;
		u->n_prev = d->n_prev;
		u->next = (Mnemo__Unit__NextEntry **)d->next;
		u->n_next = d->n_next;
		u->origin = (char *)d->origin;
		u->project = (char *)d->project;
		u->domain = (char *)d->domain;
		u->context = (char *)d->context;
	}
	return u;
}

/* ---- the concordance index ---- */

/* Whether an import's commit is adding the unit: its texts go to the backlog. */
static bool
deferred(const struct store_db *db, uint64_t id)
{
	return db->defer_from != 0 && id >= db->defer_from;
}

/* Whether the unit's texts wait in the concordance backlog, so the index has none of them. */
static int
in_backlog(struct store_db *db, uint64_t id, int *ret)
{
	sqlite3_stmt *s = stmt(db, ST_BACKLOG_FIND);
	int rc;

	if (deferred(db, id)) {
		*ret = 1;
		return 0;
	}
	sqlite3_bind_int64(s, 1, (sqlite3_int64)id);
	rc = sqlite3_step(s);
	*ret = rc == SQLITE_ROW && (uint64_t)sqlite3_column_int64(s, 0) >= id;
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_err_from_sqlite(rc);
}

/* Puts a unit's texts in the concordance index (ST_FTS_INSERT) or takes them out
 * (ST_FTS_DELETE: a contentless index forgets a row only when given its text again). */
static int
fts_texts(struct store_db *db, enum stmt_id op, const Mnemo__Unit *u)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < u->n_variants; i++) {
		const char *lang = u->variants[i]->key;
		int64_t n;

		r = lang_id(db, lang, 1, &n);
		if (r == 0) {
			sqlite3_stmt *s = stmt(db, op);

			sqlite3_bind_int64(s, 1, fts_rowid(u->id, n));
			sqlite3_bind_text(s, 2, u->variants[i]->value, -1, SQLITE_STATIC);
			r = step_done(s);
		}
	}
	return r;
}

/* A unit changed: old's texts out of the concordance index, u's in (u NULL for a delete),
 * unless the unit waits in the backlog, which indexes its body as it is then (and nothing,
 * once it is deleted). */
static int
fts_change(struct store_db *db, const Mnemo__Unit *old, const Mnemo__Unit *u)
{
	int waiting, r = in_backlog(db, old->id, &waiting);

	if (r == 0 && !waiting) {
		r = fts_texts(db, ST_FTS_DELETE, old);
	}
	if (r == 0 && !waiting && u != NULL) {
		r = fts_texts(db, ST_FTS_INSERT, u);
	}
	return r;
}

int
store_db_index_backlog(struct store_db *db, uint32_t max_units, int *ret_more)
{
	sqlite3_stmt *s = stmt(db, ST_BACKLOG_FIRST), *units;
	struct mnemo_arena arena;
	int64_t first, last, upto;
	uint32_t n = 0;
	int rc, r = 0;

	*ret_more = 0;
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		return rc == SQLITE_DONE ? 0 : store_err_from_sqlite(rc);
	}
	first = sqlite3_column_int64(s, 0);
	last = upto = sqlite3_column_int64(s, 1);
	sqlite3_reset(s);
	mnemo_arena_init(&arena, 0);
	units = stmt(db, ST_BACKLOG_UNITS);
	sqlite3_bind_int64(units, 1, first);
	sqlite3_bind_int64(units, 2, last);
	while (r == 0 && (rc = sqlite3_step(units)) == SQLITE_ROW) {
		Mnemo__Unit *u;

		if (n == max_units) {
			upto = sqlite3_column_int64(units, 0) - 1;
			break;
		}
		mnemo_arena_reset(&arena);
		u = unpack_unit(&arena, sqlite3_column_blob(units, 1),
				sqlite3_column_bytes(units, 1));
		r = u != NULL ? fts_texts(db, ST_FTS_INSERT, u) : -EIO;
		n++;
	}
	if (r == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW) {
		r = store_err_from_sqlite(rc);
	}
	sqlite3_reset(units);
	mnemo_arena_fini(&arena);
	if (r == 0) {
		s = stmt(db, upto < last ? ST_BACKLOG_MOVE : ST_BACKLOG_DELETE);
		if (upto < last) {
			sqlite3_bind_int64(s, 1, upto + 1);
			sqlite3_bind_int64(s, 2, first);
		} else {
			sqlite3_bind_int64(s, 1, first);
		}
		r = step_done(s);
	}
	if (r == 0) {
		s = stmt(db, ST_BACKLOG_FIRST);
		rc = sqlite3_step(s);
		*ret_more = rc == SQLITE_ROW;
		sqlite3_reset(s);
		r = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_err_from_sqlite(rc);
	}
	return r < 0 ? r : (int)n;
}

/* ---- units: writing them, continued ---- */

static int
log_change(struct store_db *db, uint64_t seq, Mnemo__ChangeOp op, uint64_t unit, int64_t at,
	   const void *blob, size_t len)
{
	sqlite3_stmt *s = stmt(db, ST_INSERT_CHANGE);

	sqlite3_bind_int64(s, 1, (sqlite3_int64)seq);
	sqlite3_bind_int(s, 2, op);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)unit);
	sqlite3_bind_int64(s, 4, at);
	sqlite3_bind_blob(s, 5, blob, (int)len, SQLITE_STATIC);
	return step_done(s);
}

static int
next_unit_id(struct store_db *db, uint64_t *ret)
{
	int64_t id = 0;
	int r = step_int(stmt(db, ST_NEXT_UNIT_ID), &id);

	if (r == 0) {
		*ret = (uint64_t)id;
	}
	return r;
}

static int
dup_put(struct store_db *db, uint64_t dup_key, uint64_t id)
{
	sqlite3_stmt *s = stmt(db, ST_DUP_INSERT);

	sqlite3_bind_int64(s, 1, (sqlite3_int64)dup_key);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)id);
	return step_done(s);
}

/* Before a unit's row changes or goes: its duplicate key leaves unit_dup. */
static int
dup_drop(struct store_db *db, uint64_t id)
{
	sqlite3_stmt *s = stmt(db, ST_DUP_DELETE);

	sqlite3_bind_int64(s, 1, (sqlite3_int64)id);
	return step_done(s);
}

/* Before a unit changes: the change that made its body keeps a copy of it. */
static int
keep_change(struct store_db *db, uint64_t id)
{
	sqlite3_stmt *s = stmt(db, ST_KEEP_CHANGE);

	sqlite3_bind_int64(s, 1, (sqlite3_int64)id);
	return step_done(s);
}

/* A new unit: its row, its texts in the concordance index, and the change that made it,
 * which points at the row (an empty unit blob) until the unit changes again: imports write
 * each text once. */
static int
insert_unit(struct store_db *db, Mnemo__Unit *u, uint64_t dup_key, int64_t at,
	    struct mnemo_arena *arena)
{
	sqlite3_stmt *s = stmt(db, ST_INSERT_UNIT);
	size_t len;
	void *blob;
	int r;

	if (u->id > MAX_UNIT_ID) {
		return -EOVERFLOW;
	}
	blob = pack(arena, &u->base, &len);
	if (blob == NULL) {
		return -ENOMEM;
	}
	sqlite3_bind_int64(s, 1, (sqlite3_int64)u->id);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)u->seq);
	sqlite3_bind_int64(s, 3, u->created_at);
	sqlite3_bind_int64(s, 4, u->changed_at);
	sqlite3_bind_blob(s, 5, blob, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)dup_key);
	sqlite3_bind_text(s, 7, u->context, -1, SQLITE_STATIC);
	r = step_done(s);
	if (r == 0 && !deferred(db, u->id)) { /* a new id is in none of the backlog's ranges */
		r = fts_texts(db, ST_FTS_INSERT, u);
	}
	if (r == 0) {
		r = log_change(db, u->seq, MNEMO__CHANGE_OP__CHANGE_OP_ADD, u->id, at, "", 0);
	}
	return r;
}

/* A unit's new content (old: as it was): its row, its texts in the concordance index
 * replaced, and the change. */
static int
replace_unit(struct store_db *db, const Mnemo__Unit *old, Mnemo__Unit *u, struct unit_draft *d,
	     int64_t at, struct mnemo_arena *arena)
{
	size_t order_buf[64], *order = order_buf, len;
	sqlite3_stmt *s;
	void *blob = pack(arena, &u->base, &len);
	uint64_t dup_key;
	int r;

	if (d->n_variants > 64) {
		order = mnemo_arena_alloc(arena, d->n_variants * sizeof(*order));
	}
	if (blob == NULL || order == NULL) {
		return -ENOMEM;
	}
	lang_order(d, order);
	r = keep_change(db, u->id);
	if (r < 0) {
		return r;
	}
	r = dup_drop(db, u->id);
	if (r < 0) {
		return r;
	}
	dup_key = draft_dup_key(d, order);
	s = stmt(db, ST_UPDATE_UNIT);
	sqlite3_bind_int64(s, 1, (sqlite3_int64)u->seq);
	sqlite3_bind_int64(s, 2, u->changed_at);
	sqlite3_bind_blob(s, 3, blob, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)dup_key);
	sqlite3_bind_text(s, 5, u->context, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)u->id);
	r = step_done(s);
	if (r == 0) {
		r = dup_put(db, dup_key, u->id);
	}
	if (r == 0) {
		r = fts_change(db, old, u);
	}
	if (r == 0) {
		r = log_change(db, u->seq, MNEMO__CHANGE_OP__CHANGE_OP_UPDATE, u->id, at, blob, len);
	}
	return r;
}

static int
no_unit(struct mnemo_fault *f, uint64_t id)
{
	return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_NOT_FOUND, "id", -1,
			       "no unit %" PRIu64, id);
}

/* What a write did: a change (change->unit set), or nothing because the unit was a
 * duplicate of `existing` (its last change: existing_seq). */
struct outcome {
	uint64_t existing, existing_seq;
};

/* What the commit of an import that does not overwrite keeps in memory. */
struct import_state {
	/* The duplicate key of every unit -> 1, and of each unit the import added -> its id:
	 * only a unit whose key is there may be a duplicate. */
	struct id_table dups;
	/* (duplicate key, id) of each unit the import added, for unit_dup: written in key
	 * order at the end, as a B-tree takes them fastest. */
	uint64_t (*added)[2];
	size_t n_added, cap_added;
};

/* A unit identical to the draft that an import added earlier: 1 (with its id and seq), 0
 * when the import added none with its duplicate key. */
static int
added_duplicate(struct store_db *db, struct unit_draft *d, uint64_t dup_key,
		const struct import_state *imp, struct mnemo_arena *arena, struct outcome *out)
{
	uint64_t id = id_table_find(&imp->dups, dup_key);
	Mnemo__Unit *u;
	int r;

	if (db->defer_from == 0 || id < db->defer_from) {
		return 0;
	}
	r = read_unit(db, ST_UNIT_ROW, id, arena, &u);
	if (r < 0) {
		return r;
	}
	if (!same_keys(u, d) || strcmp(u->context, d->context) != 0) {
		return 0; /* two units of one hash: not the same */
	}
	out->existing = id;
	out->existing_seq = u->seq;
	return 1;
}

static int
import_state_add(struct import_state *imp, uint64_t dup_key, uint64_t id)
{
	if (imp->n_added == imp->cap_added) {
		size_t cap = imp->cap_added > 0 ? 2 * imp->cap_added : 4096;
		void *p = realloc(imp->added, cap * sizeof(*imp->added));

		if (p == NULL) {
			return -ENOMEM;
		}
		imp->added = p;
		imp->cap_added = cap;
	}
	imp->added[imp->n_added][0] = dup_key;
	imp->added[imp->n_added][1] = id;
	imp->n_added++;
	return id_table_put(&imp->dups, dup_key, id);
}

/* Adds a checked draft under a duplicates policy (not OVERWRITE); imp: an import's state,
 * or NULL for a unit added alone. */
static int
add_draft(struct store_db *db, struct unit_draft *d, Mnemo__Duplicates policy,
	  struct import_state *imp, uint64_t id, uint64_t seq, int64_t at,
	  struct mnemo_arena *arena, Mnemo__Update *change, struct outcome *out)
{
	size_t order_buf[64], *order = order_buf;
	int64_t created = d->created_at != 0 ? d->created_at : at;
	uint64_t dup_key;
	int r;

	if (d->n_variants > 64) {
		order = mnemo_arena_alloc(arena, d->n_variants * sizeof(*order));
		if (order == NULL) {
			return -ENOMEM;
		}
	}
	lang_order(d, order);
	dup_key = draft_dup_key(d, order);
	if (policy != MNEMO__DUPLICATES__DUPLICATES_KEEP &&
	    (imp == NULL || id_table_find(&imp->dups, dup_key) != 0)) {
		r = imp != NULL ? added_duplicate(db, d, dup_key, imp, arena, out) : 0;
		if (r == 0) {
			r = find_duplicate(db, d, dup_key, arena, &out->existing,
					   &out->existing_seq);
		}
		if (r != 0) {
			return r < 0 ? r : 0; /* change->unit stays NULL */
		}
	}
	if (id == 0) {
		r = next_unit_id(db, &id);
		if (r < 0) {
			return r;
		}
	}
	change->op = MNEMO__CHANGE_OP__CHANGE_OP_ADD;
	change->unit = draft_unit(arena, id, d, seq);
	if (change->unit == NULL) {
		return -ENOMEM;
	}
	change->unit->created_at = created;
	/* unchanged since it was made, unless the file it comes from says otherwise */
	change->unit->changed_at = d->changed_at != 0 ? d->changed_at : created;
	change->unit->created_by = (char *)d->user;
	change->unit->changed_by =
		(char *)(d->changed_by != NULL && d->changed_by[0] != '\0' ? d->changed_by : d->user);
	change->unit->usage_count = d->usage_count;
	change->unit->used_at = d->used_at;
	r = insert_unit(db, change->unit, dup_key, at, arena);
	if (r == 0) {
		r = imp != NULL ? import_state_add(imp, dup_key, id) : dup_put(db, dup_key, id);
	}
	return r;
}

/* Executes a request that the ledger has not seen: the unit's new state, or -errno. */
static int
apply(struct store_db *db, const Mnemo__Envelope *req, uint64_t seq, int64_t at,
      struct mnemo_arena *arena, Mnemo__Update *change, struct outcome *out,
      struct mnemo_fault *f)
{
	struct unit_input in;
	struct unit_draft d;
	Mnemo__Unit *old = NULL;
	uint64_t id = 0;
	size_t len;
	void *blob;
	sqlite3_stmt *s;
	int r;

	switch (req->body_case) {
	case MNEMO__ENVELOPE__BODY_UNIT_ADD_REQUEST: {
		const Mnemo__UnitAddRequest *a = req->unit_add_request;

		if (a->duplicates == MNEMO__DUPLICATES__DUPLICATES_OVERWRITE) {
			return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE,
					       "duplicates", -1,
					       "overwrite is for imports (it needs their source "
					       "language); an add takes skip or keep");
		}
		if (a->duplicates > MNEMO__DUPLICATES__DUPLICATES_OVERWRITE) {
			return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE,
					       "duplicates", -1, "duplicates is skip or keep");
		}
		input_from_add(a, &in);
		r = check_unit(db, &in, arena, &d, f);
		if (r < 0) {
			return r;
		}
		return add_draft(db, &d, a->duplicates, NULL, 0, seq, at, arena, change, out);
	}
	case MNEMO__ENVELOPE__BODY_UNIT_UPDATE_REQUEST: {
		const Mnemo__UnitUpdateRequest *u = req->unit_update_request;

		r = read_unit(db, ST_UNIT_ROW, u->id, arena, &old);
		if (r == -ENOENT) {
			return no_unit(f, u->id);
		}
		if (r < 0) {
			return r;
		}
		input_from_update(u, &in);
		r = check_unit(db, &in, arena, &d, f);
		if (r < 0) {
			return r;
		}
		change->op = MNEMO__CHANGE_OP__CHANGE_OP_UPDATE;
		change->unit = draft_unit(arena, u->id, &d, seq);
		if (change->unit == NULL) {
			return -ENOMEM;
		}
		change->unit->created_at = old->created_at;
		change->unit->created_by = old->created_by;
		change->unit->changed_at = at;
		change->unit->changed_by = (char *)d.user;
		change->unit->usage_count = old->usage_count;
		change->unit->used_at = old->used_at;
		return replace_unit(db, old, change->unit, &d, at, arena);
	}
	case MNEMO__ENVELOPE__BODY_UNIT_USE_REQUEST:
		id = req->unit_use_request->id;
		r = read_unit(db, ST_UNIT_ROW, id, arena, &old);
		if (r == -ENOENT) {
			return no_unit(f, id);
		}
		if (r < 0) {
			return r;
		}
		old->seq = seq;
		old->usage_count += old->usage_count < UINT32_MAX;
		old->used_at = at;
		blob = pack(arena, &old->base, &len);
		if (blob == NULL) {
			return -ENOMEM;
		}
		r = keep_change(db, id);
		if (r < 0) {
			return r;
		}
		s = stmt(db, ST_TOUCH_UNIT);
		sqlite3_bind_int64(s, 1, (sqlite3_int64)seq);
		sqlite3_bind_blob(s, 2, blob, (int)len, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, (sqlite3_int64)id);
		r = step_done(s);
		if (r == 0) {
			r = log_change(db, seq, MNEMO__CHANGE_OP__CHANGE_OP_UPDATE, id, at, blob, len);
		}
		change->op = MNEMO__CHANGE_OP__CHANGE_OP_UPDATE;
		change->unit = old;
		return r;
	case MNEMO__ENVELOPE__BODY_UNIT_DELETE_REQUEST:
		id = req->unit_delete_request->id;
		r = read_unit(db, ST_UNIT_ROW, id, arena, &old);
		if (r == -ENOENT) {
			return no_unit(f, id);
		}
		if (r == 0) {
			r = keep_change(db, id);
		}
		if (r == 0) {
			r = fts_change(db, old, NULL);
		}
		if (r == 0) {
			r = dup_drop(db, id);
		}
		if (r == 0) {
			s = stmt(db, ST_DELETE_UNIT);
			sqlite3_bind_int64(s, 1, (sqlite3_int64)id);
			r = step_done(s);
		}
		if (r == 0) {
			s = stmt(db, ST_KEEP_UNIT_ID);
			sqlite3_bind_int64(s, 1, (sqlite3_int64)id);
			r = step_done(s);
		}
		change->op = MNEMO__CHANGE_OP__CHANGE_OP_DELETE;
		change->unit = mnemo_arena_alloc(arena, sizeof(*change->unit));
		if (r == 0 && change->unit == NULL) {
			r = -ENOMEM;
		}
		if (r == 0) {
			mnemo__unit__init(change->unit);
			change->unit->id = id;
			change->unit->seq = seq;
			change->unit->created_at = old->created_at;
			change->unit->changed_at = at;
			blob = pack(arena, &change->unit->base, &len);
			r = blob != NULL ? log_change(db, seq, MNEMO__CHANGE_OP__CHANGE_OP_DELETE, id,
						      at, blob, len)
					 : -ENOMEM;
		}
		return r;
	default:
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_REQUEST, "", -1,
				       "not a write request");
	}
}

/* ---- the idempotency ledger ------------------------------------------------------------ */

static int
by_key(const void *a, const void *b)
{
	return strcmp(entry_key(*(ProtobufCMessage *const *)a),
		      entry_key(*(ProtobufCMessage *const *)b));
}

/* A hash of what a write asks for, the same whatever order its maps' entries came in (a
 * client retrying may serialise its JSON object in another order): the message packed
 * with its maps left out, then each map's entries sorted by key. Every field counts, the
 * ones added later (markup, origin, user, context, ...) too. */
static int
payload_hash(const ProtobufCMessage *body, struct mnemo_arena *arena, uint64_t *ret)
{
	const ProtobufCMessageDescriptor *d = body->descriptor;
	ProtobufCMessage *flat = mnemo_arena_alloc(arena, d->sizeof_message);
	uint64_t h;
	size_t len;
	void *packed;

	if (flat == NULL) {
		return -ENOMEM;
	}
	memcpy(flat, body, d->sizeof_message);
	for (unsigned i = 0; i < d->n_fields; i++) {
		if (d->fields[i].label == PROTOBUF_C_LABEL_REPEATED &&
		    d->fields[i].type == PROTOBUF_C_TYPE_MESSAGE) {
			*(size_t *)((char *)flat + d->fields[i].quantifier_offset) = 0;
		}
	}
	packed = pack(arena, flat, &len);
	if (packed == NULL) {
		return -ENOMEM;
	}
	h = mnemo_fnv1a64(MNEMO_FNV_OFFSET, packed, len);
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *fd = &d->fields[i];
		size_t n;
		ProtobufCMessage **sorted;

		if (fd->label != PROTOBUF_C_LABEL_REPEATED || fd->type != PROTOBUF_C_TYPE_MESSAGE) {
			continue;
		}
		n = *(const size_t *)((const char *)body + fd->quantifier_offset);
		sorted = mnemo_arena_alloc(arena, n * sizeof(*sorted) + 1);
		if (sorted == NULL) {
			return -ENOMEM;
		}
		if (n > 0) { /* an empty map's list is NULL, not for memcpy */
			memcpy(sorted,
			       *(ProtobufCMessage *const *)((const char *)body + fd->offset),
			       n * sizeof(*sorted));
			qsort(sorted, n, sizeof(*sorted), by_key);
		}
		h = mnemo_fnv1a64(h, &fd->id, sizeof(fd->id));
		for (size_t k = 0; k < n; k++) {
			const char *key, *value;

			entry_kv(sorted[k], &key, &value);
			h = mnemo_fnv1a64(h, key, strlen(key) + 1);
			h = mnemo_fnv1a64(h, value, strlen(value) + 1);
		}
	}
	*ret = h;
	return 0;
}

/* The idempotency key and a hash of the payload it stands for. */
static int
request_key(const Mnemo__Envelope *req, struct mnemo_arena *arena, const char **ret_key,
	    uint64_t *ret_hash, struct mnemo_fault *f)
{
	const ProtobufCMessage *body = mnemo_msg_body(req);
	const ProtobufCFieldDescriptor *fd =
		body != NULL ? protobuf_c_message_descriptor_get_field_by_name(body->descriptor,
										 "request_id")
			     : NULL;
	const char *given;

	if (fd == NULL || fd->type != PROTOBUF_C_TYPE_STRING) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_REQUEST, "", -1,
				       "not a write request");
	}
	given = *(char *const *)((const char *)body + fd->offset);
	if (strlen(given) > MAX_IDEMPOTENCY_KEY_BYTES) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "request_id",
				       -1, "request_id is longer than %d bytes",
				       MAX_IDEMPOTENCY_KEY_BYTES);
	}
	/* Without a client key, the envelope's id still makes nng's own resends harmless. */
	*ret_key = given[0] != '\0' ? given
				    : mnemo_arena_printf(arena, "req:%016" PRIx64, req->request_id);
	if (*ret_key == NULL) {
		return -ENOMEM;
	}
	return payload_hash(body, arena, ret_hash);
}

/* A repeat of a known request: its first reply, or CONFLICT. 1 when found, 0 when new. */
static int
find_request(struct store_db *db, const char *key, uint64_t hash, struct mnemo_arena *arena,
	     Mnemo__Envelope *reply, struct mnemo_fault *f)
{
	ProtobufCAllocator alloc = {arena_alloc, arena_free, arena};
	sqlite3_stmt *s = stmt(db, ST_FIND_REQUEST);
	Mnemo__UnitWriteReply *first;
	int rc;

	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		return 0;
	}
	if (rc != SQLITE_ROW) {
		return store_err_from_sqlite(rc);
	}
	if ((uint64_t)sqlite3_column_int64(s, 0) != hash) {
		sqlite3_reset(s);
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_CONFLICT, "request_id", -1,
				       "request_id '%s' was already used for another request; "
				       "the first one was kept",
				       key);
	}
	first = mnemo__unit_write_reply__unpack(&alloc, (size_t)sqlite3_column_bytes(s, 1),
						sqlite3_column_blob(s, 1));
	sqlite3_reset(s);
	if (first == NULL) {
		return -EIO;
	}
	reply->body_case = MNEMO__ENVELOPE__BODY_UNIT_WRITE_REPLY;
	reply->unit_write_reply = first;
	return 1;
}

static int
record_request(struct store_db *db, const char *key, uint64_t hash,
	       const Mnemo__UnitWriteReply *wr, int64_t at, struct mnemo_arena *arena)
{
	sqlite3_stmt *s = stmt(db, ST_INSERT_REQUEST);
	size_t len;
	void *blob = pack(arena, &wr->base, &len);

	if (blob == NULL) {
		return -ENOMEM;
	}
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)hash);
	sqlite3_bind_blob(s, 3, blob, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, at);
	return step_done(s);
}

/* ---- imports ---------------------------------------------------------------------------- */

struct import_row {
	int exists, committed;
	Mnemo__Duplicates duplicates;
	char source[MNEMO_TEXT_LANG_MAX];
	uint64_t received, last_batch;
	Mnemo__ImportReply *reply; /* when committed */
};

static int
import_get(struct store_db *db, const char *id, struct mnemo_arena *arena, struct import_row *row)
{
	sqlite3_stmt *s = stmt(db, ST_IMPORT_GET);
	int rc;

	memset(row, 0, sizeof(*row));
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		return 0;
	}
	if (rc != SQLITE_ROW) {
		return store_err_from_sqlite(rc);
	}
	row->exists = 1;
	row->committed = sqlite3_column_int(s, 0);
	row->duplicates = (Mnemo__Duplicates)sqlite3_column_int(s, 1);
	snprintf(row->source, sizeof(row->source), "%s", (const char *)sqlite3_column_text(s, 2));
	row->received = (uint64_t)sqlite3_column_int64(s, 3);
	row->last_batch = (uint64_t)sqlite3_column_int64(s, 4);
	if (row->committed) {
		ProtobufCAllocator alloc = {arena_alloc, arena_free, arena};

		row->reply = mnemo__import_reply__unpack(&alloc, (size_t)sqlite3_column_bytes(s, 5),
							 sqlite3_column_blob(s, 5));
		if (row->reply == NULL) {
			sqlite3_reset(s);
			return -EIO;
		}
	}
	sqlite3_reset(s);
	return 0;
}

static int
import_put(struct store_db *db, const char *id, const struct import_row *row, int64_t at,
	   struct mnemo_arena *arena)
{
	sqlite3_stmt *s = stmt(db, ST_IMPORT_PUT);
	size_t len = 0;
	void *blob = NULL;

	if (row->reply != NULL) {
		blob = pack(arena, &row->reply->base, &len);
		if (blob == NULL) {
			return -ENOMEM;
		}
	}
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, row->committed);
	sqlite3_bind_int(s, 3, row->duplicates);
	sqlite3_bind_text(s, 4, row->source, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)row->received);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)row->last_batch);
	sqlite3_bind_int64(s, 7, at);
	if (blob != NULL) {
		sqlite3_bind_blob(s, 8, blob, (int)len, SQLITE_STATIC);
	}
	return step_done(s);
}

static int
drop_batches(struct store_db *db, const char *id)
{
	sqlite3_stmt *s = stmt(db, ST_BATCHES_DELETE);

	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	return step_done(s);
}

/* Puts "unit POS: " before a fault about one unit of an import; its field becomes
 * units[index].field (index: in the request, or the position when index is -1). */
static int
unit_fault(struct mnemo_fault *f, int r, uint64_t pos, int64_t index)
{
	char message[sizeof(f->message)], field[sizeof(f->field)];

	if (f->code == MNEMO__ERROR_CODE__ERROR_CODE_UNSPECIFIED) {
		return r; /* not about the unit: out of memory, I/O */
	}
	snprintf(message, sizeof(message), "%s", f->message);
	if (index >= 0) {
		snprintf(field, sizeof(field), "units[%" PRId64 "]%s%.64s", index,
			 f->field[0] ? "." : "", f->field);
	} else {
		snprintf(field, sizeof(field), "units");
	}
	mnemo_fault_set(f, f->code, field, f->offset, "unit %" PRIu64 ": %s", pos, message);
	return r;
}

/* The live units by their text in an import's source language and their context, for an
 * import that overwrites: filled from every unit's body when its commit first needs it (a
 * scan, as overwriting is for imports only), then kept current with the units it adds. The
 * unit a hash of (exact key, context) leads to is checked before it is overwritten. */
struct source_map {
	const char *lang;
	struct id_table ids;
	int filled;
};

static uint64_t
source_hash(uint64_t key, const char *context)
{
	return dup_key_end(dup_key_add(MNEMO_FNV_OFFSET, "", key), context);
}

static uint64_t
source_map_find(const struct source_map *map, uint64_t key, const char *context)
{
	return id_table_find(&map->ids, source_hash(key, context));
}

static int
source_map_put_unit(struct source_map *map, const Mnemo__Unit *u)
{
	const char *text = unit_text(u, map->lang);

	return text != NULL ? id_table_put(&map->ids, source_hash(text_key(text), u->context), u->id)
			    : 0;
}

static int
source_map_fill(struct store_db *db, struct source_map *map)
{
	sqlite3_stmt *s = stmt(db, ST_ALL_UNITS);
	struct mnemo_arena arena;
	int rc, r = 0;

	mnemo_arena_init(&arena, 0);
	while (r == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		Mnemo__Unit *u;

		mnemo_arena_reset(&arena);
		u = unpack_unit(&arena, sqlite3_column_blob(s, 1), sqlite3_column_bytes(s, 1));
		r = u != NULL ? source_map_put_unit(map, u) : -EIO;
	}
	if (r == 0 && rc != SQLITE_DONE) {
		r = store_err_from_sqlite(rc);
	}
	sqlite3_reset(s);
	mnemo_arena_fini(&arena);
	map->filled = r == 0;
	return r;
}

/* OVERWRITE: the live unit with the draft's source-language key and context gets the
 * draft's other languages (variants, markup, prev, next; the languages only it has stay)
 * and its other fields. 1 when one was overwritten, 0 when there is none. */
static int
overwrite(struct store_db *db, struct unit_draft *d, struct source_map *map, uint64_t seq,
	  int64_t at, struct mnemo_arena *arena)
{
	const char *source = map->lang;
	Mnemo__Unit *old, *u;
	struct unit_draft m;
	size_t src = d->n_variants;
	uint64_t id;
	int r;

	for (size_t i = 0; i < d->n_variants; i++) {
		if (strcmp(entry_key(d->variants[i]), source) == 0) {
			src = i;
		}
	}
	if (src == d->n_variants) {
		return 0; /* nothing to match: it is added */
	}
	id = source_map_find(map, variant_key(d, src), d->context);
	if (id == 0) {
		return 0;
	}
	r = read_unit(db, ST_UNIT_ROW, id, arena, &old);
	if (r < 0) {
		return r;
	}
	if (unit_text(old, source) == NULL ||
	    text_key(unit_text(old, source)) != variant_key(d, src) ||
	    strcmp(old->context, d->context) != 0) {
		return 0; /* two (key, context) pairs of one hash: take it as new */
	}
	/* Merge, per map: the old unit's entries in the source language and in languages
	 * the draft has no variant in, then the draft's entries in its other languages. */
	memset(&m, 0, sizeof(m));
	{
		struct {
			ProtobufCMessage **old;
			size_t n_old;
			ProtobufCMessage **new;
			size_t n_new;
			ProtobufCMessage ***out;
			size_t *n_out;
		} maps[] = {
			{(ProtobufCMessage **)old->variants, old->n_variants, d->variants,
			 d->n_variants, &m.variants, &m.n_variants},
			{(ProtobufCMessage **)old->markup, old->n_markup, d->markup, d->n_markup,
			 &m.markup, &m.n_markup},
			{(ProtobufCMessage **)old->prev, old->n_prev, d->prev, d->n_prev, &m.prev,
			 &m.n_prev},
			{(ProtobufCMessage **)old->next, old->n_next, d->next, d->n_next, &m.next,
			 &m.n_next},
		};

		for (size_t k = 0; k < sizeof(maps) / sizeof(maps[0]); k++) {
			ProtobufCMessage **out = new_list(arena, maps[k].n_old + maps[k].n_new);
			size_t n = 0;

			if (out == NULL) {
				return -ENOMEM;
			}
			for (size_t i = 0; i < maps[k].n_old; i++) {
				const char *lang = entry_key(maps[k].old[i]);
				int replaced = 0;

				for (size_t j = 0; j < d->n_variants; j++) {
					replaced |= j != src &&
						    strcmp(entry_key(d->variants[j]), lang) == 0;
				}
				if (!replaced) {
					out[n++] = maps[k].old[i];
				}
			}
			for (size_t i = 0; i < maps[k].n_new; i++) {
				if (strcmp(entry_key(maps[k].new[i]), source) != 0) {
					out[n++] = maps[k].new[i];
				}
			}
			*maps[k].out = out;
			*maps[k].n_out = n;
		}
	}
	if (m.n_variants > db->lim.max_variants) {
		return -E2BIG;
	}
	m.keys = mnemo_arena_zalloc(arena, m.n_variants * sizeof(*m.keys));
	if (m.keys == NULL) {
		return -ENOMEM;
	}
	m.meta = d->meta;
	m.n_meta = d->n_meta;
	m.origin = d->origin;
	m.user = d->user;
	m.project = d->project;
	m.domain = d->domain;
	m.context = d->context;
	u = draft_unit(arena, id, &m, seq);
	if (u == NULL) {
		return -ENOMEM;
	}
	u->created_at = old->created_at;
	u->created_by = old->created_by;
	u->changed_at = at;
	u->changed_by = (char *)d->user;
	u->usage_count = old->usage_count;
	u->used_at = old->used_at;
	r = replace_unit(db, old, u, &m, at, arena);
	return r < 0 ? r : 1;
}

static int
by_dup_key(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	return x[0] != y[0] ? (x[0] < y[0] ? -1 : 1) : (x[1] > y[1]) - (x[1] < y[1]);
}

/* The duplicate key of every unit: most units an import brings have none of them, and
 * need not be looked for (the index on them lives on disk; the table, in memory). */
static int
dup_keys(struct store_db *db, struct id_table *dups)
{
	sqlite3_stmt *s = stmt(db, ST_DUP_KEYS);
	int rc, r = 0;

	while (r == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		r = id_table_put(dups, (uint64_t)sqlite3_column_int64(s, 0), 1);
	}
	if (r == 0 && rc != SQLITE_DONE) {
		r = store_err_from_sqlite(rc);
	}
	sqlite3_reset(s);
	return r;
}

/* Makes every staged unit of the import a unit, in the caller's transaction; on failure
 * the caller rolls it all back. The units it adds wait in the concordance backlog, of
 * which the commit indexes one chunk (all of a small import); the writer does the rest
 * between its groups. */
static int
import_commit(struct store_db *db, const char *id, const struct import_row *row, int64_t at,
	      Mnemo__ImportReply *rep, struct mnemo_fault *f)
{
	Mnemo__Duplicates policy = row->duplicates != MNEMO__DUPLICATES__DUPLICATES_UNSPECIFIED
					   ? row->duplicates
					   : MNEMO__DUPLICATES__DUPLICATES_SKIP;
	struct mnemo_arena batch_arena, unit_arena;
	ProtobufCAllocator alloc = {arena_alloc, arena_free, &batch_arena};
	struct source_map map = {row->source};
	struct import_state imp = {0};
	int overwriting = policy == MNEMO__DUPLICATES__DUPLICATES_OVERWRITE;
	uint64_t seq = db->last_seq, next_id = 0;
	sqlite3_stmt *s;
	int r, rc = SQLITE_DONE, more;

	if (policy == MNEMO__DUPLICATES__DUPLICATES_OVERWRITE && row->source[0] == '\0') {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_MISSING_FIELD, "source", -1,
				       "duplicates overwrite needs the import's source language");
	}
	r = next_unit_id(db, &next_id);
	if (r < 0) {
		return r;
	}
	if (policy == MNEMO__DUPLICATES__DUPLICATES_OVERWRITE) {
		r = source_map_fill(db, &map);
		if (r < 0) {
			id_table_fini(&map.ids);
			return r;
		}
	}
	if (policy == MNEMO__DUPLICATES__DUPLICATES_SKIP) {
		r = dup_keys(db, &imp.dups);
		if (r < 0) {
			id_table_fini(&imp.dups);
			return r;
		}
	}
	db->defer_from = next_id;
	mnemo_arena_init(&batch_arena, 0);
	mnemo_arena_init(&unit_arena, 0);
	s = stmt(db, ST_BATCHES);
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	while (r == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		uint64_t first = (uint64_t)sqlite3_column_int64(s, 0);
		Mnemo__ImportRequest *batch;

		mnemo_arena_reset(&batch_arena);
		batch = mnemo__import_request__unpack(&alloc, (size_t)sqlite3_column_bytes(s, 1),
						      sqlite3_column_blob(s, 1));
		if (batch == NULL) {
			r = -EIO;
			break;
		}
		for (size_t i = 0; r == 0 && i < batch->n_units; i++) {
			Mnemo__Update change = MNEMO__UPDATE__INIT;
			struct outcome out = {0};
			struct unit_input in;
			struct unit_draft d;

			mnemo_arena_reset(&unit_arena);
			input_from_add(batch->units[i], &in);
			r = check_unit(db, &in, &unit_arena, &d, f);
			if (r < 0) {
				r = unit_fault(f, r, first + i, -1);
				break;
			}
			if (policy == MNEMO__DUPLICATES__DUPLICATES_OVERWRITE) {
				r = overwrite(db, &d, &map, seq + 1, at, &unit_arena);
				if (r == -E2BIG) {
					r = unit_fault(
						f,
						mnemo_fault_set(
							f, MNEMO__ERROR_CODE__ERROR_CODE_TOO_LARGE,
							"variants", -1,
							"overwriting unit with its languages would "
							"make more than %u",
							db->lim.max_variants),
						first + i, -1);
				}
				if (r != 0) {
					seq += r > 0;
					rep->updated += r > 0;
					r = r < 0 ? r : 0;
					continue;
				}
			}
			r = add_draft(db, &d, policy, overwriting ? NULL : &imp, next_id, seq + 1,
				      at, &unit_arena, &change, &out);
			if (r == 0 && change.unit == NULL) {
				rep->skipped++;
			} else if (r == 0) {
				seq++;
				next_id++;
				rep->added++;
				if (map.filled) {
					r = source_map_put_unit(&map, change.unit);
				}
			}
		}
	}
	if (r == 0 && rc != SQLITE_DONE) {
		r = store_err_from_sqlite(rc);
	}
	sqlite3_reset(s);
	mnemo_arena_fini(&batch_arena);
	mnemo_arena_fini(&unit_arena);
	id_table_fini(&map.ids);
	id_table_fini(&imp.dups);
	if (r == 0 && imp.n_added > 0) {
		qsort(imp.added, imp.n_added, sizeof(*imp.added), by_dup_key);
	}
	for (size_t i = 0; r == 0 && i < imp.n_added; i++) {
		r = dup_put(db, imp.added[i][0], imp.added[i][1]);
	}
	free(imp.added);
	if (r == 0 && next_id > db->defer_from) {
		s = stmt(db, ST_BACKLOG_ADD);
		sqlite3_bind_int64(s, 1, (sqlite3_int64)db->defer_from);
		sqlite3_bind_int64(s, 2, (sqlite3_int64)(next_id - 1));
		r = step_done(s);
	}
	db->defer_from = 0;
	if (r == 0) {
		r = store_db_index_backlog(db, STORE_DB_BACKLOG_CHUNK, &more);
		r = r < 0 ? r : 0;
	}
	/* Its staged batches are dropped later (store_db_drop_committed_batches): a
	 * commit does not wait while the pages of hundreds of MB are freed. */
	if (r == 0) {
		rep->received = row->received;
		if (seq > db->last_seq) {
			rep->first_seq = db->last_seq + 1;
			rep->last_seq = seq;
		}
		db->last_seq = seq;
	}
	return r;
}

/* The batch's units, packed for staging. */
static void *
pack_batch(const Mnemo__ImportRequest *req, struct mnemo_arena *arena, size_t *ret_len)
{
	Mnemo__ImportRequest batch = MNEMO__IMPORT_REQUEST__INIT;

	batch.units = req->units;
	batch.n_units = req->n_units;
	return pack(arena, &batch.base, ret_len);
}

static int
import_write(struct store_db *db, const Mnemo__Envelope *env, struct mnemo_arena *arena,
	     Mnemo__Envelope *reply, struct mnemo_fault *f)
{
	const Mnemo__ImportRequest *req = env->import_request;
	Mnemo__ImportReply *rep = mnemo_arena_alloc(arena, sizeof(*rep));
	int64_t at = mnemo_clock_unix_ms();
	char source_buf[MNEMO_TEXT_LANG_MAX];
	const char *source = "";
	struct import_row row;
	uint64_t batch_hash;
	size_t id_len = strlen(req->import_id);
	int r, resent;

	if (rep == NULL) {
		return -ENOMEM;
	}
	mnemo__import_reply__init(rep);
	rep->import_id = req->import_id;
	if (id_len == 0) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_MISSING_FIELD, "import_id",
				       -1, "'import_id' (chosen by the client) is required");
	}
	if (id_len > MAX_IMPORT_ID_BYTES) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "import_id",
				       -1, "import_id is longer than %d bytes",
				       MAX_IMPORT_ID_BYTES);
	}
	if (req->duplicates > MNEMO__DUPLICATES__DUPLICATES_OVERWRITE) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "duplicates",
				       -1, "duplicates is skip, keep or overwrite");
	}
	if (req->source[0] != '\0' && canon_lang(db, req->source, source_buf, &source) < 0) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_LANG, "source", -1,
				       "'%s' is not a BCP 47 language tag (e.g. fr, en-GB)",
				       req->source);
	}
	if (req->abort && (req->commit || req->n_units > 0)) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_REQUEST, "abort", -1,
				       "abort drops the import: send it without units or commit");
	}
	r = import_get(db, req->import_id, arena, &row);
	if (r < 0) {
		return r;
	}
	/* nng resends a request (same envelope) whose answer it did not get: stage once. */
	batch_hash = mnemo_fnv1a64(MNEMO_FNV_OFFSET, &env->request_id, sizeof(env->request_id));
	batch_hash = mnemo_fnv1a64(batch_hash, &req->n_units, sizeof(req->n_units));
	resent = row.exists && env->request_id != 0 && row.last_batch == batch_hash;
	reply->body_case = MNEMO__ENVELOPE__BODY_IMPORT_REPLY;
	reply->import_reply = rep;
	if (row.committed) {
		/* The batch that came with the commit, resent, is a repeat of the commit. */
		if ((req->n_units > 0 && !resent) || req->abort) {
			return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_CONFLICT, "import_id",
					       -1,
					       "import '%s' was committed; choose another import_id",
					       req->import_id);
		}
		reply->import_reply = row.reply; /* a repeat of the commit, or a question */
		return 0;
	}
	if (req->abort) {
		r = drop_batches(db, req->import_id);
		if (r == 0 && row.exists) {
			sqlite3_stmt *s = stmt(db, ST_IMPORT_DELETE);

			sqlite3_bind_text(s, 1, req->import_id, -1, SQLITE_STATIC);
			r = step_done(s);
		}
		return r;
	}
	/* Its settings: given once (by any request), then the same or nothing. */
	if (req->duplicates != MNEMO__DUPLICATES__DUPLICATES_UNSPECIFIED) {
		if (row.duplicates != MNEMO__DUPLICATES__DUPLICATES_UNSPECIFIED &&
		    row.duplicates != req->duplicates) {
			return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE,
					       "duplicates", -1,
					       "import '%s' was started with another duplicates "
					       "policy",
					       req->import_id);
		}
		row.duplicates = req->duplicates;
	}
	if (source[0] != '\0') {
		if (row.source[0] != '\0' && strcmp(row.source, source) != 0) {
			return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE,
					       "source", -1,
					       "import '%s' was started with source %s",
					       req->import_id, row.source);
		}
		snprintf(row.source, sizeof(row.source), "%s", source);
	}
	rep->received = row.received;
	if (req->n_units == 0 && !req->commit) {
		/* A question: how many are held (resume from there). It keeps the import
		 * alive; an unknown one is not created. */
		return row.exists ? import_put(db, req->import_id, &row, at, arena) : 0;
	}
	if (req->n_units > 0 && !resent) {
		sqlite3_stmt *s;
		void *blob;
		size_t len;

		struct mnemo_arena scratch;

		mnemo_arena_init(&scratch, 0);
		for (size_t i = 0; r == 0 && i < req->n_units; i++) {
			struct unit_input in;
			struct unit_draft d;

			mnemo_arena_reset(&scratch);
			input_from_add(req->units[i], &in);
			r = check_unit(db, &in, &scratch, &d, f);
			if (r < 0) {
				r = unit_fault(f, r, row.received + i, (int64_t)i);
			}
		}
		mnemo_arena_fini(&scratch);
		if (r < 0) {
			return r;
		}
		blob = pack_batch(req, arena, &len);
		if (blob == NULL) {
			return -ENOMEM;
		}
		s = stmt(db, ST_BATCH_INSERT);
		sqlite3_bind_text(s, 1, req->import_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, (sqlite3_int64)row.received);
		sqlite3_bind_blob(s, 3, blob, (int)len, SQLITE_STATIC);
		r = step_done(s);
		if (r < 0) {
			return r;
		}
		row.received += req->n_units;
		row.last_batch = batch_hash;
	}
	rep->received = row.received;
	if (req->commit) {
		r = import_commit(db, req->import_id, &row, at, rep, f);
		if (r < 0) {
			return r;
		}
		row.committed = 1;
		row.reply = rep;
	}
	row.exists = 1;
	return import_put(db, req->import_id, &row, at, arena);
}

int
store_db_drop_committed_batches(struct store_db *db)
{
	return step_done(stmt(db, ST_BATCHES_COMMITTED));
}

int
store_db_expire_imports(struct store_db *db, int64_t before_ms, uint64_t *ret_dropped)
{
	sqlite3_stmt *s = stmt(db, ST_EXPIRE_BATCHES);
	int r;

	sqlite3_bind_int64(s, 1, before_ms);
	r = step_done(s);
	if (r == 0) {
		s = stmt(db, ST_EXPIRE_IMPORTS);
		sqlite3_bind_int64(s, 1, before_ms);
		r = step_done(s);
	}
	if (r == 0) {
		*ret_dropped = (uint64_t)sqlite3_changes(db->conn);
	}
	return r;
}

/* ---- every write ------------------------------------------------------------------------ */

int
store_db_write(struct store_db *db, const Mnemo__Envelope *req, struct mnemo_arena *arena,
	       Mnemo__Envelope *reply, Mnemo__Update **ret_update, struct mnemo_fault *f)
{
	uint64_t seq = db->last_seq + 1;
	int64_t at = mnemo_clock_unix_ms();
	Mnemo__UnitWriteReply *wr;
	Mnemo__Update *change;
	struct outcome out = {0};
	const char *key = NULL;
	uint64_t hash = 0;
	int r;

	*ret_update = NULL;
	if (req->body_case == MNEMO__ENVELOPE__BODY_IMPORT_REQUEST) {
		return import_write(db, req, arena, reply, f);
	}
	if (req->body_case == MNEMO__ENVELOPE__BODY_JOB_ADD_REQUEST ||
	    req->body_case == MNEMO__ENVELOPE__BODY_JOB_LEASE_REQUEST ||
	    req->body_case == MNEMO__ENVELOPE__BODY_JOB_DONE_REQUEST) {
		return store_jobs_write(db->conn, req, at, arena, reply, f);
	}
	r = request_key(req, arena, &key, &hash, f);
	if (r == 0) {
		r = find_request(db, key, hash, arena, reply, f);
	}
	if (r != 0) {
		return r < 0 ? r : 0;
	}
	change = mnemo_arena_alloc(arena, sizeof(*change));
	wr = mnemo_arena_alloc(arena, sizeof(*wr));
	if (change == NULL || wr == NULL) {
		return -ENOMEM;
	}
	mnemo__update__init(change);
	mnemo__unit_write_reply__init(wr);
	change->seq = seq;
	r = apply(db, req, seq, at, arena, change, &out, f);
	if (r < 0) {
		return r;
	}
	if (change->unit != NULL) {
		wr->unit = change->unit->id;
		wr->seq = seq;
	} else {
		/* A duplicate: the unit that has it all already, at its last change. */
		wr->unit = out.existing;
		wr->seq = out.existing_seq;
	}
	r = record_request(db, key, hash, wr, at, arena);
	if (r < 0) {
		return r;
	}
	if (change->unit != NULL) {
		db->last_seq = seq;
		*ret_update = change;
	}
	reply->body_case = MNEMO__ENVELOPE__BODY_UNIT_WRITE_REPLY;
	reply->unit_write_reply = wr;
	return 0;
}

int
store_db_jobs_read(struct store_db *db, const Mnemo__Envelope *req, struct mnemo_arena *arena,
		   Mnemo__Envelope *reply, struct mnemo_fault *f)
{
	return store_jobs_read(db->conn, req, arena, reply, f);
}
