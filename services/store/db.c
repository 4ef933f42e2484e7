/* SQLite schema and queries of the store. */
#include "db.h"

#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "text.h"
#include "tm.h"

enum { SCHEMA_VERSION = 1, MAX_IDEMPOTENCY_KEY_BYTES = 128, MAX_META_KEY_BYTES = 128,
       MAX_META_VALUE_BYTES = 4096 };

static const char schema[] =
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
	ST_DELETE_UNIT,
	ST_UNIT_CREATED,
	ST_INSERT_VARIANT,
	ST_DELETE_VARIANTS,
	ST_INSERT_CHANGE,
	ST_NEXT_UNIT_ID,
	N_STMTS
};

static const char *const stmt_sql[N_STMTS] = {
	[ST_GET_UNIT] = "SELECT body FROM unit WHERE id = ?",
	[ST_UPDATES] = "SELECT seq, op, unit FROM change WHERE seq > ? ORDER BY seq LIMIT ?",
	[ST_SNAPSHOT] = "SELECT body FROM unit WHERE id > ? ORDER BY id LIMIT ?",
	[ST_LAST_SEQ] = "SELECT coalesce(max(seq), 0) FROM change",
	[ST_COUNT_UNITS] = "SELECT count(*) FROM unit",
	[ST_FIND_REQUEST] = "SELECT payload_hash, reply FROM request WHERE key = ?",
	[ST_INSERT_REQUEST] = "INSERT INTO request (key, payload_hash, reply, at) VALUES (?, ?, ?, ?)",
	[ST_INSERT_UNIT] =
		"INSERT INTO unit (id, seq, created_at, changed_at, body) VALUES (?, ?, ?, ?, ?)",
	[ST_UPDATE_UNIT] = "UPDATE unit SET seq = ?, changed_at = ?, body = ? WHERE id = ?",
	[ST_DELETE_UNIT] = "DELETE FROM unit WHERE id = ?",
	[ST_UNIT_CREATED] = "SELECT created_at FROM unit WHERE id = ?",
	[ST_INSERT_VARIANT] =
		"INSERT INTO variant (unit_id, lang, text, key_hash) VALUES (?, ?, ?, ?)",
	[ST_DELETE_VARIANTS] = "DELETE FROM variant WHERE unit_id = ?",
	[ST_INSERT_CHANGE] = "INSERT INTO change (seq, op, unit_id, at, unit) VALUES (?, ?, ?, ?, ?)",
	/* AUTOINCREMENT's counter: the next id even if the highest unit was deleted. */
	[ST_NEXT_UNIT_ID] = ("SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = "
			     "'unit'), 0), coalesce((SELECT max(id) FROM unit), 0)) + 1"),
};

struct store_db {
	sqlite3 *conn;
	sqlite3_stmt *stmts[N_STMTS];
	struct store_db_limits lim;
	uint64_t last_seq;
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

int
store_db_reload_seq(struct store_db *db)
{
	sqlite3_stmt *s = stmt(db, ST_LAST_SEQ);
	int rc = sqlite3_step(s);

	if (rc != SQLITE_ROW) {
		return store_err_from_sqlite(rc);
	}
	db->last_seq = (uint64_t)sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return 0;
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
			r = exec(db, "BEGIN IMMEDIATE");
		}
		if (r == 0) {
			r = exec(db, schema);
			if (r == 0) {
				r = exec(db, "PRAGMA user_version = 1");
			}
			r = r == 0 ? exec(db, "COMMIT") : (exec(db, "ROLLBACK"), r);
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

int
store_db_get_unit(struct store_db *db, uint64_t id, struct mnemo_arena *arena,
		  Mnemo__Unit **ret)
{
	sqlite3_stmt *s = stmt(db, ST_GET_UNIT);
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
store_db_status(struct store_db *db, uint64_t *ret_last_seq, uint64_t *ret_units)
{
	sqlite3_stmt *s;
	int r, rc;

	r = read_begin(db);
	if (r < 0) {
		return r;
	}
	r = store_db_reload_seq(db);
	s = stmt(db, ST_COUNT_UNITS);
	rc = sqlite3_step(s);
	if (r == 0 && rc != SQLITE_ROW) {
		r = store_err_from_sqlite(rc);
	}
	if (r == 0) {
		*ret_last_seq = db->last_seq;
		*ret_units = (uint64_t)sqlite3_column_int64(s, 0);
	}
	sqlite3_reset(s);
	read_end(db);
	return r;
}

/* ---- writes --------------------------------------------------------------------------- */

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
	(void)exec(db, "ROLLBACK");
}

int
store_db_savepoint(struct store_db *db)
{
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
	(void)exec(db, "ROLLBACK TO request");
	(void)exec(db, "RELEASE request");
}

/* Canonical, checked copies of a request's variants and properties. */
struct unit_draft {
	Mnemo__Unit__VariantsEntry **variants;
	size_t n_variants;
	Mnemo__Unit__MetaEntry **meta;
	size_t n_meta;
};

/* Each request type has its own map entry type (protoc-c makes one per message); all are
 * {key = 1, value = 2} strings, read here through their descriptor. */
static void
entry_kv(const ProtobufCMessage *e, const char **ret_key, const char **ret_value)
{
	const ProtobufCMessageDescriptor *d = e->descriptor;

	*ret_key = *(char *const *)((const char *)e + d->fields[0].offset);
	*ret_value = *(char *const *)((const char *)e + d->fields[1].offset);
}

static int
check_variants(struct store_db *db, ProtobufCMessage *const *in, size_t n,
	       struct mnemo_arena *arena, struct unit_draft *d, struct mnemo_fault *f)
{
	if (n < 2) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_REQUEST, "variants",
				       -1, "a unit needs variants in at least two languages");
	}
	if (n > db->lim.max_variants) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_TOO_LARGE, "variants", -1,
				       "a unit holds at most %u languages", db->lim.max_variants);
	}
	d->variants = mnemo_arena_alloc(arena, n * sizeof(*d->variants));
	if (d->variants == NULL) {
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		Mnemo__Unit__VariantsEntry *v = mnemo_arena_alloc(arena, sizeof(*v));
		char lang[MNEMO_TEXT_LANG_MAX];
		const char *tag, *text;
		size_t len;

		if (v == NULL) {
			return -ENOMEM;
		}
		entry_kv(in[i], &tag, &text);
		len = strlen(text);
		if (mnemo_text_lang_canon(tag, lang, sizeof(lang)) < 0) {
			return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_LANG,
					       "variants", -1,
					       "'%s' is not a BCP 47 language tag (e.g. fr, en-GB)",
					       tag);
		}
		for (size_t j = 0; j < i; j++) {
			if (strcmp(d->variants[j]->key, lang) == 0) {
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
		mnemo__unit__variants_entry__init(v);
		v->key = mnemo_arena_strdup(arena, lang);
		v->value = (char *)text;
		if (v->key == NULL) {
			return -ENOMEM;
		}
		d->variants[i] = v;
	}
	d->n_variants = n;
	return 0;
}

static int
check_meta(struct store_db *db, ProtobufCMessage *const *in, size_t n, struct mnemo_arena *arena,
	   struct unit_draft *d, struct mnemo_fault *f)
{
	if (n > db->lim.max_meta) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_TOO_LARGE, "meta", -1,
				       "a unit holds at most %u properties", db->lim.max_meta);
	}
	d->meta = mnemo_arena_alloc(arena, n * sizeof(*d->meta) + 1);
	if (d->meta == NULL) {
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		Mnemo__Unit__MetaEntry *m = mnemo_arena_alloc(arena, sizeof(*m));
		const char *key, *value;

		if (m == NULL) {
			return -ENOMEM;
		}
		entry_kv(in[i], &key, &value);
		if (key[0] == '\0' || strlen(key) > MAX_META_KEY_BYTES ||
		    strlen(value) > MAX_META_VALUE_BYTES) {
			return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "meta",
					       -1,
					       "property names have 1-%d bytes and values at most %d",
					       MAX_META_KEY_BYTES, MAX_META_VALUE_BYTES);
		}
		mnemo__unit__meta_entry__init(m);
		m->key = (char *)key;
		m->value = (char *)value;
		d->meta[i] = m;
	}
	d->n_meta = n;
	return 0;
}

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

static int
write_variants(struct store_db *db, uint64_t id, const struct unit_draft *d)
{
	sqlite3_stmt *s;
	int r;

	s = stmt(db, ST_DELETE_VARIANTS);
	sqlite3_bind_int64(s, 1, (sqlite3_int64)id);
	r = step_done(s);
	for (size_t i = 0; r == 0 && i < d->n_variants; i++) {
		const char *text = d->variants[i]->value;
		size_t len = strlen(text);

		s = stmt(db, ST_INSERT_VARIANT);
		sqlite3_bind_int64(s, 1, (sqlite3_int64)id);
		sqlite3_bind_text(s, 2, d->variants[i]->key, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, text, (int)len, SQLITE_STATIC);
		sqlite3_bind_int64(s, 4, (sqlite3_int64)mnemo_tm_key_hash(text, len));
		r = step_done(s);
	}
	return r;
}

static int
log_change(struct store_db *db, uint64_t seq, Mnemo__ChangeOp op, const Mnemo__Unit *unit,
	   int64_t at, struct mnemo_arena *arena)
{
	sqlite3_stmt *s = stmt(db, ST_INSERT_CHANGE);
	size_t len;
	void *blob = pack(arena, &unit->base, &len);

	if (blob == NULL) {
		return -ENOMEM;
	}
	sqlite3_bind_int64(s, 1, (sqlite3_int64)seq);
	sqlite3_bind_int(s, 2, op);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)unit->id);
	sqlite3_bind_int64(s, 4, at);
	sqlite3_bind_blob(s, 5, blob, (int)len, SQLITE_STATIC);
	return step_done(s);
}

static int
unit_created_at(struct store_db *db, uint64_t id, int64_t *ret)
{
	sqlite3_stmt *s = stmt(db, ST_UNIT_CREATED);
	int rc;

	sqlite3_bind_int64(s, 1, (sqlite3_int64)id);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		return rc == SQLITE_DONE ? -ENOENT : store_err_from_sqlite(rc);
	}
	*ret = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return 0;
}

static int
next_unit_id(struct store_db *db, uint64_t *ret)
{
	sqlite3_stmt *s = stmt(db, ST_NEXT_UNIT_ID);
	int rc = sqlite3_step(s);

	if (rc != SQLITE_ROW) {
		return store_err_from_sqlite(rc);
	}
	*ret = (uint64_t)sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return 0;
}

static Mnemo__Unit *
new_unit(struct mnemo_arena *arena, uint64_t id, const struct unit_draft *d, uint64_t seq,
	 int64_t created_at, int64_t changed_at)
{
	Mnemo__Unit *u = mnemo_arena_alloc(arena, sizeof(*u));

	if (u != NULL) {
		mnemo__unit__init(u);
		u->id = id;
		if (d != NULL) {
			u->variants = d->variants;
			u->n_variants = d->n_variants;
			u->meta = d->meta;
			u->n_meta = d->n_meta;
		}
		u->seq = seq;
		u->created_at = created_at;
		u->changed_at = changed_at;
	}
	return u;
}

static int
save_unit(struct store_db *db, const Mnemo__Unit *u, int is_new, struct mnemo_arena *arena)
{
	sqlite3_stmt *s;
	size_t len;
	void *blob = pack(arena, &u->base, &len);
	int r;

	if (blob == NULL) {
		return -ENOMEM;
	}
	if (is_new) {
		s = stmt(db, ST_INSERT_UNIT);
		sqlite3_bind_int64(s, 1, (sqlite3_int64)u->id);
		sqlite3_bind_int64(s, 2, (sqlite3_int64)u->seq);
		sqlite3_bind_int64(s, 3, u->created_at);
		sqlite3_bind_int64(s, 4, u->changed_at);
		sqlite3_bind_blob(s, 5, blob, (int)len, SQLITE_STATIC);
	} else {
		s = stmt(db, ST_UPDATE_UNIT);
		sqlite3_bind_int64(s, 1, (sqlite3_int64)u->seq);
		sqlite3_bind_int64(s, 2, u->changed_at);
		sqlite3_bind_blob(s, 3, blob, (int)len, SQLITE_STATIC);
		sqlite3_bind_int64(s, 4, (sqlite3_int64)u->id);
	}
	r = step_done(s);
	if (r == 0) {
		r = write_variants(db, u->id, &(struct unit_draft){.variants = u->variants,
								    .n_variants = u->n_variants});
	}
	return r;
}

static int
no_unit(struct mnemo_fault *f, uint64_t id)
{
	return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_NOT_FOUND, "id", -1,
			       "no unit %" PRIu64, id);
}

/* Executes a request that the ledger has not seen: the unit's new state, or -errno. */
static int
apply(struct store_db *db, const Mnemo__Envelope *req, uint64_t seq, int64_t at,
      struct mnemo_arena *arena, Mnemo__Update *change, struct mnemo_fault *f)
{
	struct unit_draft d = {0};
	int64_t created;
	uint64_t id = 0;
	sqlite3_stmt *s;
	int r;

	switch (req->body_case) {
	case MNEMO__ENVELOPE__BODY_UNIT_ADD_REQUEST: {
		const Mnemo__UnitAddRequest *a = req->unit_add_request;

		r = check_variants(db, (ProtobufCMessage *const *)a->variants, a->n_variants,
				   arena, &d, f);
		if (r == 0) {
			r = check_meta(db, (ProtobufCMessage *const *)a->meta, a->n_meta, arena, &d,
				       f);
		}
		if (r == 0) {
			r = next_unit_id(db, &id);
		}
		if (r < 0) {
			return r;
		}
		change->op = MNEMO__CHANGE_OP__CHANGE_OP_ADD;
		change->unit = new_unit(arena, id, &d, seq, at, at);
		return change->unit ? save_unit(db, change->unit, 1, arena) : -ENOMEM;
	}
	case MNEMO__ENVELOPE__BODY_UNIT_UPDATE_REQUEST: {
		const Mnemo__UnitUpdateRequest *u = req->unit_update_request;

		r = unit_created_at(db, u->id, &created);
		if (r == -ENOENT) {
			return no_unit(f, u->id);
		}
		if (r == 0) {
			r = check_variants(db, (ProtobufCMessage *const *)u->variants,
					   u->n_variants, arena, &d, f);
		}
		if (r == 0) {
			r = check_meta(db, (ProtobufCMessage *const *)u->meta, u->n_meta, arena,
				       &d, f);
		}
		if (r < 0) {
			return r;
		}
		change->op = MNEMO__CHANGE_OP__CHANGE_OP_UPDATE;
		change->unit = new_unit(arena, u->id, &d, seq, created, at);
		return change->unit ? save_unit(db, change->unit, 0, arena) : -ENOMEM;
	}
	case MNEMO__ENVELOPE__BODY_UNIT_DELETE_REQUEST:
		id = req->unit_delete_request->id;
		r = unit_created_at(db, id, &created);
		if (r == -ENOENT) {
			return no_unit(f, id);
		}
		if (r < 0) {
			return r;
		}
		s = stmt(db, ST_DELETE_UNIT); /* variants go with it (ON DELETE CASCADE) */
		sqlite3_bind_int64(s, 1, (sqlite3_int64)id);
		r = step_done(s);
		change->op = MNEMO__CHANGE_OP__CHANGE_OP_DELETE;
		change->unit = new_unit(arena, id, NULL, seq, created, at);
		return r == 0 && change->unit == NULL ? -ENOMEM : r;
	default:
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_REQUEST, "", -1,
				       "not a write request");
	}
}

static uint64_t
fnv1a64_more(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++) {
		h = (h ^ b[i]) * 0x100000001b3ull;
	}
	return h;
}

static uint64_t
fnv1a64(const void *p, size_t n)
{
	return fnv1a64_more(0xcbf29ce484222325ull, p, n);
}

static int
by_key(const void *a, const void *b)
{
	const char *ka, *kb, *unused;

	entry_kv(*(ProtobufCMessage *const *)a, &ka, &unused);
	entry_kv(*(ProtobufCMessage *const *)b, &kb, &unused);
	return strcmp(ka, kb);
}

/* A hash of what a write asks for, the same whatever order its maps' entries came in (a
 * client retrying may serialise its JSON object in another order): the message packed
 * with its maps left out, then each map's entries sorted by key. */
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
	h = fnv1a64(packed, len);
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
		memcpy(sorted, *(ProtobufCMessage *const *)((const char *)body + fd->offset),
		       n * sizeof(*sorted));
		qsort(sorted, n, sizeof(*sorted), by_key);
		h = fnv1a64_more(h, &fd->id, sizeof(fd->id));
		for (size_t k = 0; k < n; k++) {
			const char *key, *value;

			entry_kv(sorted[k], &key, &value);
			h = fnv1a64_more(h, key, strlen(key) + 1);
			h = fnv1a64_more(h, value, strlen(value) + 1);
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

int
store_db_write(struct store_db *db, const Mnemo__Envelope *req, struct mnemo_arena *arena,
	       Mnemo__Envelope *reply, Mnemo__Update **ret_update, struct mnemo_fault *f)
{
	uint64_t seq = db->last_seq + 1;
	int64_t at = mnemo_clock_unix_ms();
	Mnemo__UnitWriteReply *wr;
	Mnemo__Update *change;
	const char *key = NULL;
	uint64_t hash = 0;
	int r;

	r = request_key(req, arena, &key, &hash, f);
	if (r == 0) {
		r = find_request(db, key, hash, arena, reply, f);
	}
	if (r != 0) {
		*ret_update = NULL;
		return r < 0 ? r : 0;
	}
	change = mnemo_arena_alloc(arena, sizeof(*change));
	wr = mnemo_arena_alloc(arena, sizeof(*wr));
	if (change == NULL || wr == NULL) {
		return -ENOMEM;
	}
	mnemo__update__init(change);
	change->seq = seq;
	r = apply(db, req, seq, at, arena, change, f);
	if (r == 0) {
		r = log_change(db, seq, change->op, change->unit, at, arena);
	}
	mnemo__unit_write_reply__init(wr);
	wr->unit = change->unit != NULL ? change->unit->id : 0;
	wr->seq = seq;
	if (r == 0) {
		r = record_request(db, key, hash, wr, at, arena);
	}
	if (r < 0) {
		return r;
	}
	db->last_seq = seq;
	reply->body_case = MNEMO__ENVELOPE__BODY_UNIT_WRITE_REPLY;
	reply->unit_write_reply = wr;
	*ret_update = change;
	return 0;
}
