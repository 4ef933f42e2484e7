/* services/store/db: the SQLite layer of the store on temporary database files: schema,
 * writes grouped the way store.c groups them, idempotency, validation, paging, a second
 * writer on the same file; duplicates, the unit's fields and inline markup, uses, the
 * concordance index, staged imports, and the migration of a version-1 file. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "clock.h"
#include "db.h"
#include "log.h"
#include "msg.h"
#include "tm.h"

static char dir[64];
static struct mnemo_arena arena; /* requests and replies: reset between tests */
static const struct store_db_limits limits = {
	.max_text_bytes = 1000,
	.max_variants = 4,
	.max_meta = 4,
};

/* ---- files and direct SQL -------------------------------------------------------------- */

static void
db_path(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s.db", dir, name);
}

static struct store_db *
open_db(const char *name)
{
	struct store_db *db = NULL;
	char path[128];
	int r;

	db_path(path, sizeof(path), name);
	r = store_db_open(path, 0, 0, &limits, &db);
	CHECK_MSG(r == 0, "open %s: %s", path, mnemo_strerror(r));
	return r == 0 ? db : NULL;
}

static void
remove_db(const char *name)
{
	static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
	char path[160];

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s.db%s", dir, name, suffixes[i]);
		unlink(path);
	}
}

/* One integer (or, with text, one string) from a query on its own read connection. */
static long long
sql_value(const char *name, const char *sql, char *text, size_t text_size)
{
	sqlite3 *conn = NULL;
	sqlite3_stmt *s = NULL;
	long long v = -1;
	char path[128];

	db_path(path, sizeof(path), name);
	if (sqlite3_open_v2(path, &conn, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(conn, sql, -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW) {
		v = sqlite3_column_int64(s, 0);
		if (text != NULL) {
			snprintf(text, text_size, "%s", (const char *)sqlite3_column_text(s, 0));
		}
	} else {
		CHECK_MSG(0, "%s: %s", sql, sqlite3_errmsg(conn));
	}
	sqlite3_finalize(s);
	sqlite3_close(conn);
	return v;
}

static long long
sql_int(const char *name, const char *sql)
{
	return sql_value(name, sql, NULL, 0);
}

/* The invariants every database must keep, whatever was done to it. */
static void
check_consistent(const char *name)
{
	char text[64] = "";

	sql_value(name, "PRAGMA integrity_check", text, sizeof(text));
	CHECK_STR(text, "ok");
	CHECK_INT(sql_int(name, "SELECT count(*) - count(DISTINCT key) FROM request"), 0);
	/* seqs 1..max without a hole */
	CHECK_INT(sql_int(name, "SELECT coalesce(max(seq), 0) - count(*) FROM change"), 0);
	/* a change without its unit's copy is an add whose unit has not changed since */
	CHECK_INT(sql_int(name, "SELECT count(*) FROM change c WHERE length(c.unit) = 0 AND "
				"(c.op != 1 OR c.seq IS NOT (SELECT seq FROM unit WHERE id = c.unit_id))"),
		  0);
	CHECK_INT(sql_int(name, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
	/* unit_dup holds each unit's duplicate key, and only that */
	CHECK_INT(sql_int(name, "SELECT count(*) FROM unit u WHERE NOT EXISTS (SELECT 1 FROM "
				"unit_dup d WHERE d.dup_key = u.dup_key AND d.unit_id = u.id)"),
		  0);
	CHECK_INT(sql_int(name, "SELECT (SELECT count(*) FROM unit_dup) - (SELECT count(*) FROM "
				"unit)"),
		  0);
}

/* ---- requests, built in an arena -------------------------------------------------------- */

static size_t
count_pairs(const char *const *kv)
{
	size_t n = 0;

	while (kv != NULL && kv[2 * n] != NULL) {
		n++;
	}
	return n;
}

/* Map entries of the descriptor's type from {"k", "v", ..., NULL}. */
static ProtobufCMessage **
entries(struct mnemo_arena *a, const ProtobufCMessageDescriptor *d, const char *const *kv,
	size_t *ret_n)
{
	size_t n = count_pairs(kv);
	ProtobufCMessage **out = mnemo_arena_alloc(a, n * sizeof(*out) + 1);

	for (size_t i = 0; i < n; i++) {
		ProtobufCMessage *e = mnemo_arena_alloc(a, d->sizeof_message);

		d->message_init(e);
		*(const char **)((char *)e + d->fields[0].offset) = kv[2 * i];
		*(const char **)((char *)e + d->fields[1].offset) = kv[2 * i + 1];
		out[i] = e;
	}
	*ret_n = n;
	return out;
}

/* Sets one of an add request's maps (variants, meta, markup, prev, next). */
#define ADD_MAP(a, r, name, kv)                                                            \
	((r)->name = (void *)entries((a), &mnemo__unit_add_request__##name##_entry__descriptor, \
				     (kv), &(r)->n_##name))

/* An add request's body with only its variants; the tests set the other fields. */
static Mnemo__UnitAddRequest *
new_unit(struct mnemo_arena *a, const char *const *variants)
{
	Mnemo__UnitAddRequest *r = mnemo_arena_alloc(a, sizeof(*r));

	mnemo__unit_add_request__init(r);
	ADD_MAP(a, r, variants, variants);
	return r;
}

static Mnemo__Envelope *
add_env(struct mnemo_arena *a, uint64_t request_id, Mnemo__UnitAddRequest *r)
{
	Mnemo__Envelope *env = mnemo_arena_alloc(a, sizeof(*env));

	mnemo_msg_envelope_init(env, request_id);
	env->body_case = MNEMO__ENVELOPE__BODY_UNIT_ADD_REQUEST;
	env->unit_add_request = r;
	return env;
}

/* An add that keeps duplicates: the tests of the ledger and of write groups add the same
 * unit many times and mean a new unit each time (duplicates have tests of their own). */
static Mnemo__Envelope *
add_req(struct mnemo_arena *a, uint64_t request_id, const char *key, const char *const *variants,
	const char *const *meta)
{
	Mnemo__UnitAddRequest *r = new_unit(a, variants);

	ADD_MAP(a, r, meta, meta);
	r->request_id = (char *)(key != NULL ? key : "");
	r->duplicates = MNEMO__DUPLICATES__DUPLICATES_KEEP;
	return add_env(a, request_id, r);
}

static Mnemo__Envelope *
update_req(struct mnemo_arena *a, uint64_t request_id, const char *key, uint64_t id,
	   const char *const *variants, const char *const *meta)
{
	Mnemo__Envelope *env = mnemo_arena_alloc(a, sizeof(*env));
	Mnemo__UnitUpdateRequest *r = mnemo_arena_alloc(a, sizeof(*r));

	mnemo_msg_envelope_init(env, request_id);
	mnemo__unit_update_request__init(r);
	r->id = id;
	r->variants = (Mnemo__UnitUpdateRequest__VariantsEntry **)entries(
		a, &mnemo__unit_update_request__variants_entry__descriptor, variants,
		&r->n_variants);
	r->meta = (Mnemo__UnitUpdateRequest__MetaEntry **)entries(
		a, &mnemo__unit_update_request__meta_entry__descriptor, meta, &r->n_meta);
	r->request_id = (char *)(key != NULL ? key : "");
	env->body_case = MNEMO__ENVELOPE__BODY_UNIT_UPDATE_REQUEST;
	env->unit_update_request = r;
	return env;
}

static Mnemo__Envelope *
delete_req(struct mnemo_arena *a, uint64_t request_id, const char *key, uint64_t id)
{
	Mnemo__Envelope *env = mnemo_arena_alloc(a, sizeof(*env));
	Mnemo__UnitDeleteRequest *r = mnemo_arena_alloc(a, sizeof(*r));

	mnemo_msg_envelope_init(env, request_id);
	mnemo__unit_delete_request__init(r);
	r->id = id;
	r->request_id = (char *)(key != NULL ? key : "");
	env->body_case = MNEMO__ENVELOPE__BODY_UNIT_DELETE_REQUEST;
	env->unit_delete_request = r;
	return env;
}

#define KV(...) ((const char *const[]){__VA_ARGS__, NULL})
#define FR_EN KV("fr", "Les pourparlers ont repris.", "en", "Talks resumed.")

/* ---- writes, grouped as store.c's commit_batch() groups them ----------------------------- */

struct job {
	Mnemo__Envelope *req;
	Mnemo__Envelope reply;
	Mnemo__Update *update;
	struct mnemo_fault fault;
	int result;
};

/* One transaction, the seq re-read under its write lock, a savepoint per request, one
 * COMMIT; when the commit fails, the whole group fails. Returns the commit's result. */
static int
commit_group(struct store_db *db, struct mnemo_arena *a, struct job *jobs, size_t n)
{
	int r = store_db_begin(db);

	if (r == 0) {
		r = store_db_reload_seq(db);
	}
	for (size_t i = 0; i < n; i++) {
		struct job *j = &jobs[i];

		mnemo_msg_envelope_init(&j->reply, j->req->request_id);
		mnemo_fault_clear(&j->fault);
		j->update = NULL;
		if (r < 0) {
			j->result = r;
			continue;
		}
		j->result = store_db_savepoint(db);
		if (j->result == 0) {
			j->result = store_db_write(db, j->req, a, &j->reply, &j->update, &j->fault);
			if (j->result < 0) {
				store_db_rollback_savepoint(db);
			} else {
				j->result = store_db_release(db);
			}
		}
	}
	if (r == 0) {
		r = store_db_commit(db);
	}
	if (r < 0) {
		store_db_rollback(db);
		(void)store_db_reload_seq(db);
		for (size_t i = 0; i < n; i++) {
			if (jobs[i].result == 0) {
				jobs[i].result = r;
			}
			jobs[i].update = NULL;
		}
	}
	return r;
}

/* A group of one; the job keeps the reply. */
static int
write1(struct store_db *db, Mnemo__Envelope *req, struct job *j)
{
	memset(j, 0, sizeof(*j));
	j->req = req;
	CHECK_INT(commit_group(db, &arena, j, 1), 0);
	return j->result;
}

static Mnemo__UnitWriteReply *
write_ok(struct store_db *db, Mnemo__Envelope *req, struct job *j)
{
	int r = write1(db, req, j);

	CHECK_MSG(r == 0, "write: %s (%s)", mnemo_strerror(r), j->fault.message);
	if (r == 0) {
		CHECK_INT(j->reply.body_case, MNEMO__ENVELOPE__BODY_UNIT_WRITE_REPLY);
		return j->reply.unit_write_reply;
	}
	return NULL;
}

/* The fault of the last write_fails(), for its offset and message. */
static struct mnemo_fault last_fault;

static void
write_fails(struct store_db *db, Mnemo__Envelope *req, Mnemo__ErrorCode code, const char *field,
	    const char *what)
{
	struct job j;
	int r = write1(db, req, &j);

	last_fault = j.fault;

	CHECK_MSG(r < 0 && j.fault.code == code, "%s: r=%d %s (%s)", what, r,
		  mnemo_msg_code_name(j.fault.code), j.fault.message);
	CHECK_INT(r, mnemo_msg_errno_from_code(code));
	CHECK(j.update == NULL);
	if (field != NULL) {
		CHECK_STR(j.fault.field, field);
	}
}

static uint64_t
seq_of(const Mnemo__UnitWriteReply *wr)
{
	return wr != NULL ? wr->seq : 0;
}

static const char *
variant(const Mnemo__Unit *u, const char *lang)
{
	for (size_t i = 0; i < u->n_variants; i++) {
		if (strcmp(u->variants[i]->key, lang) == 0) {
			return u->variants[i]->value;
		}
	}
	return NULL;
}

/* ---- tests ------------------------------------------------------------------------------ */

static void
test_open(void)
{
	struct store_db *db;
	uint64_t seq = 99, units = 99, backlog = 99;
	char text[32] = "";
	char path[128];

	db = open_db("open");
	if (db == NULL) {
		return;
	}
	CHECK_INT(store_db_last_seq(db), 0);
	CHECK_INT(store_db_status(db, &seq, &units, &backlog), 0);
	CHECK_INT(backlog, 0);
	CHECK_INT(seq, 0);
	CHECK_INT(units, 0);
	store_db_close(db);
	CHECK_INT(sql_int("open", "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
				  "name IN ('unit', 'unit_dup', 'next_unit', 'change', 'request', 'lang', "
				  "'variant_fts', 'concordance_backlog', 'import', 'import_batch')"),
		  10);
	CHECK_INT(sql_int("open", "PRAGMA user_version"), 4);
	sql_value("open", "PRAGMA journal_mode", text, sizeof(text));
	CHECK_STR(text, "wal");

	/* Reopening finds the schema there; a read-only connection too. */
	db = open_db("open");
	CHECK(db != NULL);
	store_db_close(db);
	db_path(path, sizeof(path), "open");
	CHECK_INT(store_db_open(path, 1, 0, &limits, &db), 0);
	store_db_close(db);
	db_path(path, sizeof(path), "missing");
	CHECK(store_db_open(path, 1, 0, &limits, &db) < 0);
	CHECK(store_db_open("/nonexistent/dir/mnemo.db", 0, 0, &limits, &db) < 0);
	store_db_close(NULL);
	check_consistent("open");
	remove_db("open");
	remove_db("missing");
}

static void
test_crud(void)
{
	struct store_db *db = open_db("crud");
	Mnemo__UnitWriteReply *wr;
	Mnemo__UpdatesReply *page;
	Mnemo__Unit *u;
	int64_t created;
	struct job j;

	if (db == NULL) {
		return;
	}
	wr = write_ok(db, add_req(&arena, 1, "a-1", FR_EN, KV("origin", "test")), &j);
	if (wr != NULL) {
		CHECK_INT(wr->unit, 1);
		CHECK_INT(wr->seq, 1);
		CHECK(j.update != NULL && j.update->seq == 1 &&
		      j.update->op == MNEMO__CHANGE_OP__CHANGE_OP_ADD && j.update->unit->id == 1);
	}
	CHECK_INT(store_db_last_seq(db), 1);
	CHECK_INT(store_db_get_unit(db, 1, &arena, &u), 0);
	CHECK_STR(variant(u, "fr"), "Les pourparlers ont repris.");
	CHECK_STR(variant(u, "en"), "Talks resumed.");
	CHECK(u->n_meta == 1 && strcmp(u->meta[0]->value, "test") == 0);
	CHECK_INT(u->seq, 1);
	CHECK(u->created_at > 0 && u->created_at == u->changed_at);
	created = u->created_at;

	wr = write_ok(db, update_req(&arena, 2, "u-1", 1, KV("fr", "Salut.", "de", "Hallo."), NULL),
		      &j);
	CHECK(wr != NULL && wr->unit == 1 && wr->seq == 2);
	CHECK(j.update != NULL && j.update->op == MNEMO__CHANGE_OP__CHANGE_OP_UPDATE);
	CHECK_INT(store_db_get_unit(db, 1, &arena, &u), 0);
	CHECK_STR(variant(u, "fr"), "Salut.");
	CHECK_STR(variant(u, "de"), "Hallo.");
	CHECK(variant(u, "en") == NULL); /* variants are replaced, not merged */
	CHECK_INT(u->n_meta, 0);
	CHECK_INT(u->seq, 2);
	CHECK_INT(u->created_at, created);
	CHECK(u->changed_at >= created);
	/* the concordance index has the new texts only */
	CHECK_INT(sql_int("crud", "SELECT rowid >> 16 FROM variant_fts WHERE variant_fts MATCH "
				  "'Hallo'"),
		  1);
	CHECK_INT(sql_int("crud", "SELECT count(*) FROM variant_fts WHERE variant_fts MATCH "
				  "'Salut OR Talks OR pourparlers'"),
		  1);

	wr = write_ok(db, delete_req(&arena, 3, "d-1", 1), &j);
	CHECK(wr != NULL && wr->unit == 1 && wr->seq == 3);
	CHECK(j.update != NULL && j.update->op == MNEMO__CHANGE_OP__CHANGE_OP_DELETE &&
	      j.update->unit->id == 1 && j.update->unit->n_variants == 0);
	CHECK_INT(store_db_get_unit(db, 1, &arena, &u), -ENOENT);
	CHECK_INT(sql_int("crud", "SELECT count(*) FROM variant_fts WHERE variant_fts MATCH "
				  "'Salut OR Hallo'"),
		  0);

	CHECK_INT(store_db_updates(db, 0, 10, &arena, &page), 0);
	CHECK_INT(page->n_updates, 3);
	CHECK_INT(page->last_seq, 3);
	if (page->n_updates == 3) {
		CHECK_INT(page->updates[0]->op, MNEMO__CHANGE_OP__CHANGE_OP_ADD);
		CHECK_STR(variant(page->updates[0]->unit, "en"), "Talks resumed.");
		CHECK_INT(page->updates[1]->op, MNEMO__CHANGE_OP__CHANGE_OP_UPDATE);
		CHECK_INT(page->updates[1]->unit->seq, 2);
		CHECK_INT(page->updates[2]->op, MNEMO__CHANGE_OP__CHANGE_OP_DELETE);
		CHECK_INT(page->updates[2]->unit->id, 1);
	}

	/* Seqs and ids survive a reopen: the next change is 4, the next unit 2. */
	store_db_close(db);
	db = open_db("crud");
	if (db != NULL) {
		CHECK_INT(store_db_last_seq(db), 3);
		wr = write_ok(db, add_req(&arena, 4, "a-2", FR_EN, NULL), &j);
		CHECK(wr != NULL && wr->seq == 4 && wr->unit == 2);
		store_db_close(db);
	}
	check_consistent("crud");
	remove_db("crud");
	mnemo_arena_reset(&arena);
}

static void
test_idempotency(void)
{
	struct store_db *db = open_db("idem");
	Mnemo__UnitWriteReply *first, *again;
	struct job j, group[3];
	long long changes;
	char long_key[130];
	Mnemo__Unit *u;

	if (db == NULL) {
		return;
	}
	first = write_ok(db, add_req(&arena, 10, "k-same", FR_EN, KV("origin", "a")), &j);
	CHECK(j.update != NULL);
	changes = sql_int("idem", "SELECT count(*) FROM change");

	/* The same key and payload (another envelope id: a client's retry): the first reply */
	again = write_ok(db, add_req(&arena, 11, "k-same", FR_EN, KV("origin", "a")), &j);
	CHECK(first != NULL && again != NULL && again->unit == first->unit &&
	      again->seq == first->seq);
	CHECK(j.update == NULL);
	CHECK_INT(store_db_last_seq(db), first != NULL ? first->seq : 0);
	CHECK_INT(sql_int("idem", "SELECT count(*) FROM change"), changes);

	/* The same key with another payload: CONFLICT, the first one kept */
	write_fails(db,
		    add_req(&arena, 12, "k-same", KV("fr", "Autre chose.", "en", "Other."),
			    KV("origin", "a")),
		    MNEMO__ERROR_CODE__ERROR_CODE_CONFLICT, "request_id", "another payload");
	write_fails(db, delete_req(&arena, 13, "k-same", first != NULL ? first->unit : 1),
		    MNEMO__ERROR_CODE__ERROR_CODE_CONFLICT, "request_id", "another operation");
	CHECK_INT(store_db_get_unit(db, first != NULL ? first->unit : 1, &arena, &u), 0);
	CHECK_STR(variant(u, "fr"), "Les pourparlers ont repris.");
	CHECK_INT(sql_int("idem", "SELECT count(*) FROM change"), changes);

	/* A map is unordered (and so is a JSON object): the same variants listed in another
	 * order are the same payload, so a client retrying a re-serialised body gets the
	 * first reply, not CONFLICT. */
	{
		int r = write1(
			db,
			add_req(&arena, 14, "k-same",
				KV("en", "Talks resumed.", "fr", "Les pourparlers ont repris."),
				KV("origin", "a")),
			&j);

		CHECK_MSG(r == 0 && j.reply.unit_write_reply->seq == (first ? first->seq : 0),
			  "same variants in another order: r=%d %s", r,
			  mnemo_msg_code_name(j.fault.code));
	}

	/* No request_id: the key is the envelope's id */
	first = write_ok(db, add_req(&arena, 0x1234, NULL, FR_EN, NULL), &j);
	CHECK(j.update != NULL);
	again = write_ok(db, add_req(&arena, 0x1234, NULL, FR_EN, NULL), &j);
	CHECK(first != NULL && again != NULL && again->seq == first->seq &&
	      again->unit == first->unit);
	CHECK(j.update == NULL);
	again = write_ok(db, add_req(&arena, 0x1235, NULL, FR_EN, NULL), &j);
	CHECK(first != NULL && again != NULL && again->unit == first->unit + 1);
	CHECK(j.update != NULL);
	CHECK_INT(
		sql_int("idem", "SELECT count(*) FROM request WHERE key = 'req:0000000000001234'"),
		1);

	/* A repeat in the same group as its first */
	memset(group, 0, sizeof(group));
	group[0].req = add_req(&arena, 20, "g-dup", FR_EN, NULL);
	group[1].req = add_req(&arena, 21, "g-dup", FR_EN, NULL);
	group[2].req = add_req(&arena, 22, "g-other", FR_EN, NULL);
	CHECK_INT(commit_group(db, &arena, group, 3), 0);
	CHECK(group[0].result == 0 && group[1].result == 0 && group[2].result == 0);
	CHECK(group[0].update != NULL && group[1].update == NULL && group[2].update != NULL);
	if (group[1].result == 0 && group[0].result == 0 && group[2].result == 0) {
		CHECK_INT(group[1].reply.unit_write_reply->seq,
			  group[0].reply.unit_write_reply->seq);
		CHECK_INT(group[2].reply.unit_write_reply->seq,
			  group[0].reply.unit_write_reply->seq + 1);
	}

	/* Idempotency keys: at most 128 bytes */
	memset(long_key, 'k', sizeof(long_key) - 1);
	long_key[sizeof(long_key) - 1] = '\0';
	write_fails(db, add_req(&arena, 30, long_key, FR_EN, NULL),
		    MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "request_id", "129-byte key");
	long_key[128] = '\0';
	write_ok(db, add_req(&arena, 31, long_key, FR_EN, NULL), &j);

	/* The ledger outlives the connection */
	store_db_close(db);
	db = open_db("idem");
	if (db != NULL) {
		uint64_t last = store_db_last_seq(db);

		again = write_ok(db, add_req(&arena, 40, "k-same", FR_EN, KV("origin", "a")), &j);
		CHECK(again != NULL && again->seq == 1 && again->unit == 1 && j.update == NULL);
		CHECK_INT(store_db_last_seq(db), last);
		store_db_close(db);
	}
	check_consistent("idem");
	remove_db("idem");
	mnemo_arena_reset(&arena);
}

static void
test_ids(void)
{
	struct store_db *db = open_db("ids");
	Mnemo__UnitWriteReply *x, *y, *z;
	struct job j;

	if (db == NULL) {
		return;
	}
	x = write_ok(db, add_req(&arena, 1, NULL, FR_EN, NULL), &j);
	y = write_ok(db, add_req(&arena, 2, NULL, FR_EN, NULL), &j);
	CHECK(x != NULL && y != NULL && y->unit == x->unit + 1);
	if (y == NULL) {
		store_db_close(db);
		return;
	}
	write_ok(db, delete_req(&arena, 3, NULL, y->unit), &j);
	z = write_ok(db, add_req(&arena, 4, NULL, FR_EN, NULL), &j);
	CHECK_MSG(z != NULL && z->unit == y->unit + 1, "unit %llu after deleting %llu",
		  z != NULL ? (unsigned long long)z->unit : 0ull, (unsigned long long)y->unit);
	/* ...also across a reopen, after deleting every unit */
	store_db_close(db);
	db = open_db("ids");
	if (db != NULL && z != NULL) {
		uint64_t highest = z->unit;

		write_ok(db, delete_req(&arena, 5, NULL, x->unit), &j);
		write_ok(db, delete_req(&arena, 6, NULL, highest), &j);
		CHECK_INT(sql_int("ids", "SELECT count(*) FROM unit"), 0);
		z = write_ok(db, add_req(&arena, 7, NULL, FR_EN, NULL), &j);
		CHECK(z != NULL && z->unit == highest + 1);
	}
	store_db_close(db);
	check_consistent("ids");
	remove_db("ids");
	mnemo_arena_reset(&arena);
}

static void
test_validation(void)
{
	const Mnemo__ErrorCode invalid = MNEMO__ERROR_CODE__ERROR_CODE_INVALID_REQUEST;
	const Mnemo__ErrorCode too_large = MNEMO__ERROR_CODE__ERROR_CODE_TOO_LARGE;
	struct store_db *db = open_db("valid");
	Mnemo__UnitWriteReply *wr;
	Mnemo__Envelope *seg;
	Mnemo__SegmentRequest sr = MNEMO__SEGMENT_REQUEST__INIT;
	static char text[1002], meta_value[4098];
	uint64_t last;
	Mnemo__Unit *u;
	struct job j;

	if (db == NULL) {
		return;
	}
	/* Tags are stored in their canonical form */
	wr = write_ok(db, add_req(&arena, 1, NULL, KV("FR-ca", "Bonjour.", "EN", "Hello."), NULL),
		      &j);
	CHECK_INT(store_db_get_unit(db, wr != NULL ? wr->unit : 1, &arena, &u), 0);
	CHECK_STR(variant(u, "fr-CA"), "Bonjour.");
	CHECK_STR(variant(u, "en"), "Hello.");
	CHECK_INT(sql_int("valid", "SELECT count(*) FROM lang WHERE tag IN ('fr-CA', 'en')"), 2);
	last = store_db_last_seq(db);

	write_fails(db, add_req(&arena, 2, NULL, KV("fr", "Bonjour.", "FR", "Salut."), NULL),
		    invalid, "variants", "fr and FR");
	write_fails(db, add_req(&arena, 3, NULL, KV("fr-ca", "Bonjour.", "FR_CA", "Salut."), NULL),
		    invalid, "variants", "fr-ca and FR_CA");
	write_fails(db, add_req(&arena, 4, NULL, KV("fr", "Bonjour."), NULL), invalid, "variants",
		    "one variant");
	write_fails(db, add_req(&arena, 5, NULL, NULL, NULL), invalid, "variants", "no variant");
	write_fails(db, add_req(&arena, 6, NULL, KV("fr", "", "en", "Hello."), NULL), invalid,
		    "variants", "empty text");
	write_fails(db, add_req(&arena, 7, NULL, KV("fr", "Bonjour.", "not a tag", "Hello."), NULL),
		    MNEMO__ERROR_CODE__ERROR_CODE_INVALID_LANG, "variants", "bad tag");
	write_fails(db,
		    add_req(&arena, 8, NULL,
			    KV("fr", "a", "en", "b", "de", "c", "it", "d", "es", "e"), NULL),
		    too_large, "variants", "five variants");
	memset(text, 'a', sizeof(text) - 1);
	write_fails(db, add_req(&arena, 9, NULL, KV("fr", text, "en", "Hello."), NULL), too_large,
		    "variants", "1001 bytes");
	write_fails(db,
		    add_req(&arena, 10, NULL, FR_EN,
			    KV("a", "1", "b", "2", "c", "3", "d", "4", "e", "5")),
		    too_large, "meta", "five properties");
	write_fails(db, add_req(&arena, 11, NULL, FR_EN, KV("", "1")),
		    MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "meta", "empty property name");
	memset(meta_value, 'v', sizeof(meta_value) - 1);
	write_fails(db, add_req(&arena, 12, NULL, FR_EN, KV("note", meta_value)),
		    MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "meta", "4097-byte value");
	/* An update is checked the same way, and a refused one changes nothing */
	write_fails(
		db,
		update_req(&arena, 13, NULL, wr != NULL ? wr->unit : 1, KV("fr", "Seul."), NULL),
		invalid, "variants", "update to one variant");
	CHECK_INT(store_db_get_unit(db, wr != NULL ? wr->unit : 1, &arena, &u), 0);
	CHECK_STR(variant(u, "fr-CA"), "Bonjour.");
	/* Not a write at all */
	seg = mnemo_arena_alloc(&arena, sizeof(*seg));
	mnemo_msg_envelope_init(seg, 14);
	seg->body_case = MNEMO__ENVELOPE__BODY_SEGMENT_REQUEST;
	seg->segment_request = &sr;
	write_fails(db, seg, invalid, NULL, "a segment request");

	/* Nothing refused took a seq, a unit id or a ledger entry */
	CHECK_INT(store_db_last_seq(db), last);
	CHECK_INT(sql_int("valid", "SELECT count(*) FROM change"), 1);
	CHECK_INT(sql_int("valid", "SELECT count(*) FROM request"), 1);
	text[1000] = '\0'; /* exactly the limit */
	wr = write_ok(db, add_req(&arena, 15, NULL, KV("fr", text, "en", "Hello."), NULL), &j);
	CHECK(wr != NULL && wr->seq == last + 1 && wr->unit == 2);
	store_db_close(db);
	check_consistent("valid");
	remove_db("valid");
	mnemo_arena_reset(&arena);
}

static void
test_not_found(void)
{
	struct store_db *db = open_db("missing-unit");
	Mnemo__UnitWriteReply *wr;
	struct job j;

	if (db == NULL) {
		return;
	}
	wr = write_ok(db, add_req(&arena, 1, NULL, FR_EN, NULL), &j);
	write_ok(db, delete_req(&arena, 2, NULL, wr != NULL ? wr->unit : 1), &j);
	write_fails(db, update_req(&arena, 3, "u-9999", 9999, FR_EN, NULL),
		    MNEMO__ERROR_CODE__ERROR_CODE_NOT_FOUND, "id", "update 9999");
	write_fails(db, delete_req(&arena, 4, "d-9999", 9999),
		    MNEMO__ERROR_CODE__ERROR_CODE_NOT_FOUND, "id", "delete 9999");
	write_fails(db, delete_req(&arena, 5, NULL, wr != NULL ? wr->unit : 1),
		    MNEMO__ERROR_CODE__ERROR_CODE_NOT_FOUND, "id", "delete a deleted unit");
	write_fails(db, update_req(&arena, 6, NULL, 0, FR_EN, NULL),
		    MNEMO__ERROR_CODE__ERROR_CODE_NOT_FOUND, "id", "update 0");
	CHECK_INT(store_db_last_seq(db), 2);
	CHECK_INT(sql_int("missing-unit", "SELECT count(*) FROM change"), 2);
	CHECK_INT(sql_int("missing-unit", "SELECT count(*) FROM request"), 2);
	CHECK_INT(sql_int("missing-unit", "SELECT count(*) FROM unit"), 0);
	store_db_close(db);
	check_consistent("missing-unit");
	remove_db("missing-unit");
	mnemo_arena_reset(&arena);
}

static void
test_paging(void)
{
	struct store_db *db = open_db("paging"), *ro = NULL;
	Mnemo__UpdatesReply *page;
	Mnemo__SnapshotReply *snap;
	uint64_t since = 0, after = 0, seq, units, backlog;
	uint64_t ids[16];
	size_t n_ids = 0;
	char path[128];
	struct job j;

	if (db == NULL) {
		return;
	}
	for (int i = 0; i < 10; i++) {
		char fr[64];

		snprintf(fr, sizeof(fr), "Phrase numéro %d.", i + 1);
		write_ok(db,
			 add_req(&arena, (uint64_t)i + 1, NULL, KV("fr", fr, "en", "A sentence."),
				 NULL),
			 &j);
	}
	write_ok(db, delete_req(&arena, 100, NULL, 4), &j);
	write_ok(db, update_req(&arena, 101, NULL, 6, KV("fr", "Six.", "en", "Six."), NULL), &j);
	CHECK_INT(store_db_last_seq(db), 12);

	CHECK_INT(store_db_updates(db, 0, 3, &arena, &page), 0);
	CHECK_INT(page->n_updates, 3);
	CHECK_INT(page->last_seq, 12);
	CHECK(page->n_updates == 3 && page->updates[0]->seq == 1 && page->updates[2]->seq == 3);
	/* Paging by 5 from 0: 1..12 once each, in order */
	for (int pages = 0; pages < 10; pages++) {
		CHECK_INT(store_db_updates(db, since, 5, &arena, &page), 0);
		for (size_t i = 0; i < page->n_updates; i++) {
			CHECK_INT(page->updates[i]->seq, since + 1);
			since = page->updates[i]->seq;
		}
		if (page->n_updates < 5) {
			break;
		}
	}
	CHECK_INT(since, 12);
	CHECK_INT(store_db_updates(db, 12, 5, &arena, &page), 0);
	CHECK(page->n_updates == 0 && page->last_seq == 12);
	CHECK_INT(store_db_updates(db, 1000, 5, &arena, &page), 0);
	CHECK(page->n_updates == 0 && page->last_seq == 12);
	/* since and after_id past INT64_MAX (accepted from JSON as decimal strings) must not
	 * wrap negative in SQLite's signed integers and start again at seq 1 / unit 1. */
	CHECK_INT(store_db_updates(db, UINT64_MAX, 5, &arena, &page), 0);
	CHECK_MSG(page->n_updates == 0, "since=UINT64_MAX gave %zu updates, the first %llu",
		  page->n_updates,
		  page->n_updates > 0 ? (unsigned long long)page->updates[0]->seq : 0ull);
	CHECK_INT(store_db_snapshot(db, (uint64_t)INT64_MAX + 1, 5, &arena, &snap), 0);
	CHECK_MSG(snap->n_units == 0, "after_id=2^63 gave %zu units", snap->n_units);
	CHECK_INT(store_db_updates(db, 11, 5, &arena, &page), 0);
	CHECK(page->n_updates == 1 && page->updates[0]->op == MNEMO__CHANGE_OP__CHANGE_OP_UPDATE);

	/* Snapshot pages: units in id order, without the deleted one */
	for (int pages = 0; pages < 10; pages++) {
		CHECK_INT(store_db_snapshot(db, after, 3, &arena, &snap), 0);
		CHECK_INT(snap->last_seq, 12);
		for (size_t i = 0; i < snap->n_units && n_ids < 16; i++) {
			CHECK(snap->units[i]->id > after);
			after = snap->units[i]->id;
			ids[n_ids++] = after;
			if (after == 6) {
				CHECK_STR(variant(snap->units[i], "fr"), "Six.");
				CHECK_INT(snap->units[i]->seq, 12);
			}
		}
		if (snap->n_units == 0) {
			break;
		}
	}
	CHECK_INT(n_ids, 9);
	CHECK(n_ids == 9 && ids[0] == 1 && ids[3] == 5 && ids[8] == 10);
	CHECK_INT(store_db_status(db, &seq, &units, &backlog), 0);
	CHECK_INT(seq, 12);
	CHECK_INT(units, 9);

	/* A read-only connection sees the same */
	db_path(path, sizeof(path), "paging");
	CHECK_INT(store_db_open(path, 1, 0, &limits, &ro), 0);
	if (ro != NULL) {
		CHECK_INT(store_db_updates(ro, 10, 100, &arena, &page), 0);
		CHECK(page->n_updates == 2 && page->last_seq == 12);
		CHECK_INT(store_db_last_seq(ro), 12);
		store_db_close(ro);
	}
	store_db_close(db);
	check_consistent("paging");
	remove_db("paging");
	mnemo_arena_reset(&arena);
}

static void
test_groups(void)
{
	struct store_db *db = open_db("groups");
	struct job g[4];
	uint64_t last;
	Mnemo__Update *u = NULL;
	int r;

	if (db == NULL) {
		return;
	}
	/* A failed request inside a group: rolled back alone, the others committed */
	memset(g, 0, sizeof(g));
	g[0].req = add_req(&arena, 1, "g-1", FR_EN, NULL);
	g[1].req = update_req(&arena, 2, "g-2", 9999, FR_EN, NULL);
	g[2].req = add_req(&arena, 3, "g-3", FR_EN, NULL);
	g[3].req = add_req(&arena, 4, "g-4", KV("fr", "Seul."), NULL);
	CHECK_INT(commit_group(db, &arena, g, 4), 0);
	CHECK_INT(g[0].result, 0);
	CHECK_INT(g[1].result, -ENOENT);
	CHECK_INT(g[2].result, 0);
	CHECK_INT(g[3].result, -EINVAL);
	CHECK(g[0].update != NULL && g[0].update->seq == 1);
	CHECK(g[2].update != NULL && g[2].update->seq == 2);
	CHECK(g[1].update == NULL && g[3].update == NULL);
	CHECK_INT(store_db_last_seq(db), 2);
	CHECK_INT(sql_int("groups", "SELECT count(*) FROM unit"), 2);
	CHECK_INT(sql_int("groups", "SELECT count(*) FROM change"), 2);
	CHECK_INT(sql_int("groups", "SELECT count(*) FROM request"), 2);

	/* A whole group rolled back leaves no trace; reloading the seq undoes the count */
	last = store_db_last_seq(db);
	CHECK_INT(store_db_begin(db), 0);
	CHECK_INT(store_db_reload_seq(db), 0);
	for (int i = 0; i < 2; i++) {
		Mnemo__Envelope reply;
		struct mnemo_fault f;

		mnemo_msg_envelope_init(&reply, 0);
		mnemo_fault_clear(&f);
		CHECK_INT(store_db_savepoint(db), 0);
		r = store_db_write(
			db,
			add_req(&arena, 10 + (uint64_t)i, i == 0 ? "rb-1" : "rb-2", FR_EN, NULL),
			&arena, &reply, &u, &f);
		CHECK_INT(r, 0);
		CHECK_INT(store_db_release(db), 0);
	}
	CHECK_INT(store_db_last_seq(db), last + 2);
	store_db_rollback(db);
	CHECK_INT(store_db_reload_seq(db), 0);
	CHECK_INT(store_db_last_seq(db), last);
	CHECK_INT(sql_int("groups", "SELECT count(*) FROM unit"), 2);
	CHECK_INT(sql_int("groups", "SELECT count(*) FROM change"), 2);
	CHECK_INT(sql_int("groups", "SELECT count(*) FROM request WHERE key LIKE 'rb-%'"), 0);
	CHECK_INT(sql_int("groups", "SELECT count(*) FROM sqlite_sequence WHERE seq > 2"), 0);
	/* ...so a retry is a new request, with the next seq and the next id */
	memset(g, 0, sizeof(g));
	g[0].req = add_req(&arena, 12, "rb-1", FR_EN, NULL);
	CHECK_INT(commit_group(db, &arena, g, 1), 0);
	CHECK(g[0].result == 0 && g[0].update != NULL && g[0].update->seq == last + 1 &&
	      g[0].update->unit->id == 3);

	/* A group that cannot start (a transaction is already open) fails every request */
	CHECK_INT(store_db_begin(db), 0);
	memset(g, 0, sizeof(g));
	g[0].req = add_req(&arena, 13, "nested-1", FR_EN, NULL);
	g[1].req = add_req(&arena, 14, "nested-2", FR_EN, NULL);
	CHECK(commit_group(db, &arena, g, 2) < 0); /* and rolls the outer one back */
	CHECK(g[0].result < 0 && g[1].result < 0 && g[0].update == NULL);
	CHECK_INT(store_db_last_seq(db), last + 1);
	store_db_close(db);
	check_consistent("groups");
	remove_db("groups");
	mnemo_arena_reset(&arena);
}

/* ---- a second writer on the same file ------------------------------------------------- */

enum { WRITER_GROUPS = 40 };

struct writer {
	struct store_db *db;
	int index;
	uint64_t seqs[3 * WRITER_GROUPS];
	size_t n_seqs;
	int failures;
};

static pthread_barrier_t writers_ready;

static void *
writer_thread(void *arg)
{
	struct writer *w = arg;
	struct mnemo_arena a;

	mnemo_arena_init(&a, 16u << 20);
	pthread_barrier_wait(&writers_ready); /* both at once */
	for (int g = 0; g < WRITER_GROUPS; g++) {
		struct job jobs[3];
		size_t n = (size_t)(g % 3) + 1;

		memset(jobs, 0, sizeof(jobs));
		for (size_t i = 0; i < n; i++) {
			char key[32];

			snprintf(key, sizeof(key), "w%d-%d-%zu", w->index, g, i);
			jobs[i].req = add_req(&a, 0, mnemo_arena_strdup(&a, key), FR_EN, NULL);
		}
		if (commit_group(w->db, &a, jobs, n) < 0) {
			w->failures++;
		}
		for (size_t i = 0; i < n; i++) {
			if (jobs[i].result == 0 && jobs[i].update != NULL) {
				w->seqs[w->n_seqs++] = jobs[i].update->seq;
			} else {
				w->failures++;
			}
		}
		mnemo_arena_reset(&a);
	}
	mnemo_arena_fini(&a);
	return NULL;
}

static void
test_two_writers(void)
{
	struct store_db *one = open_db("writers"), *two = open_db("writers");
	static struct writer w[2];
	pthread_t threads[2];
	unsigned char *seen;
	struct job j;
	uint64_t total = 0, expected = 0, last;
	size_t dups = 0;
	int r;

	if (one == NULL || two == NULL) {
		store_db_close(one);
		store_db_close(two);
		return;
	}
	/* Taking turns: each group re-reads the seq the other one left */
	CHECK_INT(seq_of(write_ok(one, add_req(&arena, 1, NULL, FR_EN, NULL), &j)), 1);
	CHECK_INT(seq_of(write_ok(two, add_req(&arena, 2, NULL, FR_EN, NULL), &j)), 2);
	CHECK_INT(seq_of(write_ok(one, add_req(&arena, 3, NULL, FR_EN, NULL), &j)), 3);
	CHECK_INT(store_db_last_seq(two), 2); /* stale until its next group */

	/* Without the re-read, the stale seq is refused (the change table's key), never
	 * written twice */
	CHECK_INT(store_db_begin(two), 0);
	{
		Mnemo__Envelope reply;
		Mnemo__Update *u = NULL;
		struct mnemo_fault f;

		mnemo_msg_envelope_init(&reply, 0);
		mnemo_fault_clear(&f);
		CHECK_INT(store_db_savepoint(two), 0);
		r = store_db_write(two, add_req(&arena, 4, NULL, FR_EN, NULL), &arena, &reply, &u,
				   &f);
		CHECK_MSG(r < 0, "a stale seq was written: r=%d", r);
		store_db_rollback_savepoint(two);
	}
	store_db_rollback(two);
	CHECK_INT(store_db_reload_seq(two), 0);
	CHECK_INT(store_db_last_seq(two), 3);

	/* Both at once, from two threads */
	last = store_db_last_seq(one);
	pthread_barrier_init(&writers_ready, NULL, 2);
	for (int i = 0; i < 2; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].db = i == 0 ? one : two;
		w[i].index = i;
		pthread_create(&threads[i], NULL, writer_thread, &w[i]);
	}
	for (int i = 0; i < 2; i++) {
		pthread_join(threads[i], NULL);
		CHECK_INT(w[i].failures, 0);
		total += w[i].n_seqs;
	}
	pthread_barrier_destroy(&writers_ready);
	for (int g = 0; g < WRITER_GROUPS; g++) {
		expected += 2 * ((uint64_t)(g % 3) + 1);
	}
	CHECK_INT(total, expected);
	seen = calloc(last + total + 2, 1);
	for (int i = 0; i < 2; i++) {
		for (size_t k = 0; k < w[i].n_seqs; k++) {
			uint64_t s = w[i].seqs[k];

			if (s <= last || s > last + total) {
				dups++; /* out of range counts as wrong too */
			} else if (seen[s]++ > 0) {
				dups++;
			}
		}
	}
	CHECK_INT(dups, 0);
	free(seen);
	CHECK_INT(store_db_reload_seq(one), 0);
	CHECK_INT(store_db_last_seq(one), last + total);
	CHECK_INT(sql_int("writers", "SELECT count(*) FROM change"), last + total);
	CHECK_INT(sql_int("writers", "SELECT count(DISTINCT seq) FROM change"), last + total);
	CHECK_INT(sql_int("writers", "SELECT count(*) FROM unit"), last + total);
	store_db_close(one);
	store_db_close(two);
	check_consistent("writers");
	remove_db("writers");
	mnemo_arena_reset(&arena);
}

/* ---- helpers of the newer features: maps, uses, imports, concordance ------------------ */

/* The value of a map entry of any Unit map (markup, prev, next, meta), NULL when absent. */
static const char *
map_get(const void *list, size_t n, const char *key)
{
	ProtobufCMessage *const *e = list;

	for (size_t i = 0; i < n; i++) {
		const ProtobufCMessageDescriptor *d = e[i]->descriptor;

		if (strcmp(*(char *const *)((const char *)e[i] + d->fields[0].offset), key) == 0) {
			return *(char *const *)((const char *)e[i] + d->fields[1].offset);
		}
	}
	return NULL;
}

#define MAP_GET(u, name, key) map_get((u)->name, (u)->n_##name, (key))

/* Replies standing in for one that did not come (a failure already counted), so the
 * checks that follow fail instead of crashing. */
static Mnemo__UnitWriteReply no_write_reply = MNEMO__UNIT_WRITE_REPLY__INIT;
static Mnemo__ImportReply no_import_reply = MNEMO__IMPORT_REPLY__INIT;
static Mnemo__ConcordanceReply no_hits = MNEMO__CONCORDANCE_REPLY__INIT;
static Mnemo__Unit no_unit = MNEMO__UNIT__INIT;

static Mnemo__UnitWriteReply *
written(struct store_db *db, Mnemo__Envelope *req, struct job *j)
{
	Mnemo__UnitWriteReply *wr = write_ok(db, req, j);

	return wr != NULL ? wr : &no_write_reply;
}

static Mnemo__Unit *
get_unit(struct store_db *db, uint64_t id)
{
	Mnemo__Unit *u = NULL;
	int r = store_db_get_unit(db, id, &arena, &u);

	CHECK_MSG(r == 0, "unit %llu: %s", (unsigned long long)id, mnemo_strerror(r));
	return r == 0 ? u : &no_unit;
}

static Mnemo__Envelope *
use_req(struct mnemo_arena *a, uint64_t request_id, const char *key, uint64_t id)
{
	Mnemo__Envelope *env = mnemo_arena_alloc(a, sizeof(*env));
	Mnemo__UnitUseRequest *r = mnemo_arena_alloc(a, sizeof(*r));

	mnemo_msg_envelope_init(env, request_id);
	mnemo__unit_use_request__init(r);
	r->id = id;
	r->request_id = (char *)(key != NULL ? key : "");
	env->body_case = MNEMO__ENVELOPE__BODY_UNIT_USE_REQUEST;
	env->unit_use_request = r;
	return env;
}

/* A batch of an import; without units, a question (or, with commit or abort set on
 * env->import_request, a commit or an abort). */
static Mnemo__Envelope *
import_req(struct mnemo_arena *a, uint64_t request_id, const char *import_id,
	   Mnemo__UnitAddRequest **units, size_t n_units)
{
	Mnemo__Envelope *env = mnemo_arena_alloc(a, sizeof(*env));
	Mnemo__ImportRequest *r = mnemo_arena_alloc(a, sizeof(*r));

	mnemo_msg_envelope_init(env, request_id);
	mnemo__import_request__init(r);
	r->import_id = (char *)import_id;
	r->units = units;
	r->n_units = n_units;
	env->body_case = MNEMO__ENVELOPE__BODY_IMPORT_REQUEST;
	env->import_request = r;
	return env;
}

static Mnemo__Envelope *
commit_req(struct mnemo_arena *a, uint64_t request_id, const char *import_id,
	   Mnemo__UnitAddRequest **units, size_t n_units)
{
	Mnemo__Envelope *env = import_req(a, request_id, import_id, units, n_units);

	env->import_request->commit = 1;
	return env;
}

/* Units "Phrase numéro i." / "Sentence number i.", i = first .. first + n - 1. */
static Mnemo__UnitAddRequest **
numbered(struct mnemo_arena *a, size_t first, size_t n)
{
	Mnemo__UnitAddRequest **units = mnemo_arena_alloc(a, n * sizeof(*units) + 1);

	for (size_t i = 0; i < n; i++) {
		const char *fr = mnemo_arena_printf(a, "Phrase numéro %zu.", first + i);
		const char *en = mnemo_arena_printf(a, "Sentence number %zu.", first + i);

		units[i] = new_unit(a, KV("fr", fr, "en", en));
	}
	return units;
}

/* A list of units and its length, as import_req() takes them. */
#define UNITS(...)                                                                         \
	((Mnemo__UnitAddRequest *[]){__VA_ARGS__}),                                        \
		(sizeof((Mnemo__UnitAddRequest *[]){__VA_ARGS__}) / sizeof(Mnemo__UnitAddRequest *))

static Mnemo__ImportReply *
import_ok(struct store_db *db, Mnemo__Envelope *req, struct job *j)
{
	int r = write1(db, req, j);

	CHECK_MSG(r == 0, "import: %s (%s: %s)", mnemo_strerror(r), j->fault.field,
		  j->fault.message);
	CHECK(j->update == NULL); /* an import's changes are announced as a range */
	if (r == 0 && j->reply.body_case == MNEMO__ENVELOPE__BODY_IMPORT_REPLY) {
		return j->reply.import_reply;
	}
	CHECK_INT(j->reply.body_case, MNEMO__ENVELOPE__BODY_IMPORT_REPLY);
	return &no_import_reply;
}

/* What the import holds (a question), 0 for an import the store does not know. */
static uint64_t
import_received(struct store_db *db, const char *import_id)
{
	struct job j;

	return import_ok(db, import_req(&arena, 0, import_id, NULL, 0), &j)->received;
}

static Mnemo__ConcordanceReply *
concordance(struct store_db *db, const char *query, const char *lang, const char *target,
	    uint32_t max, uint64_t after_unit)
{
	Mnemo__ConcordanceRequest req = MNEMO__CONCORDANCE_REQUEST__INIT;
	Mnemo__ConcordanceReply *c = NULL;
	struct mnemo_fault f;
	int r;

	mnemo_fault_clear(&f);
	req.query = (char *)query;
	req.lang = (char *)(lang != NULL ? lang : "");
	req.target = (char *)(target != NULL ? target : "");
	req.max = max;
	req.after_unit = after_unit;
	r = store_db_concordance(db, &req, &arena, &c, &f);
	CHECK_MSG(r == 0, "concordance '%s': %s (%s)", query, mnemo_strerror(r), f.message);
	return r == 0 ? c : &no_hits;
}

/* The hits as "unit:lang unit:lang ...", to compare in one CHECK_STR. */
static const char *
hits(const Mnemo__ConcordanceReply *c)
{
	const char *s = "";

	for (size_t i = 0; i < c->n_hits; i++) {
		s = mnemo_arena_printf(&arena, "%s%s%llu:%s", s, i > 0 ? " " : "",
				       (unsigned long long)c->hits[i]->unit, c->hits[i]->lang);
	}
	return s;
}

/* The hits of a query in one language (all of them: max 1000), as hits() has them. */
static const char *
search(struct store_db *db, const char *query, const char *lang)
{
	return hits(concordance(db, query, lang, NULL, 1000, 0));
}

static void
concordance_fails(struct store_db *db, const char *query, const char *lang, uint32_t max,
		  Mnemo__ErrorCode code, const char *field)
{
	Mnemo__ConcordanceRequest req = MNEMO__CONCORDANCE_REQUEST__INIT;
	Mnemo__ConcordanceReply *c = NULL;
	struct mnemo_fault f;
	int r;

	mnemo_fault_clear(&f);
	req.query = (char *)query;
	req.lang = (char *)(lang != NULL ? lang : "");
	req.max = max;
	r = store_db_concordance(db, &req, &arena, &c, &f);
	CHECK_MSG(r < 0 && f.code == code, "concordance '%.40s': r=%d %s (%s)", query, r,
		  mnemo_msg_code_name(f.code), f.message);
	CHECK_INT(r, mnemo_msg_errno_from_code(code));
	CHECK_STR(f.field, field);
	last_fault = f;
}

/* Runs SQL on the file behind the store's back (old files, old imports). */
static void
sql_exec(const char *name, const char *sql)
{
	sqlite3 *conn = NULL;
	char path[128];
	char *err = NULL;

	db_path(path, sizeof(path), name);
	if (sqlite3_open_v2(path, &conn, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		CHECK_MSG(0, "open %s: %s", path, sqlite3_errmsg(conn));
	} else {
		sqlite3_busy_timeout(conn, 10000);
		CHECK_MSG(sqlite3_exec(conn, sql, NULL, NULL, &err) == SQLITE_OK, "%s: %s", sql,
			  err != NULL ? err : "?");
	}
	sqlite3_free(err);
	sqlite3_close(conn);
}

static int
has(const char *s, const char *part)
{
	return s != NULL && strstr(s, part) != NULL;
}

/* ---- duplicates ------------------------------------------------------------------------- */

static Mnemo__UnitAddRequest *
unit_with(struct mnemo_arena *a, const char *const *variants, Mnemo__Duplicates duplicates,
	  const char *context)
{
	Mnemo__UnitAddRequest *r = new_unit(a, variants);

	r->duplicates = duplicates;
	r->context = (char *)(context != NULL ? context : "");
	return r;
}

static void
test_duplicates(void)
{
	const Mnemo__Duplicates skip = MNEMO__DUPLICATES__DUPLICATES_SKIP;
	const Mnemo__Duplicates keep = MNEMO__DUPLICATES__DUPLICATES_KEEP;
	struct store_db *db = open_db("dups");
	Mnemo__UnitWriteReply *wr;
	Mnemo__UnitAddRequest *r;
	struct job j, g[2];

	if (db == NULL) {
		return;
	}
	wr = written(db, add_env(&arena, 1, new_unit(&arena, FR_EN)), &j);
	CHECK(wr->unit == 1 && wr->seq == 1 && j.update != NULL);

	/* The default is SKIP: the live unit's id and seq come back, and nothing changes,
	 * whatever the order of the variants or the spacing (the memory's exact key) */
	wr = written(db,
		     add_env(&arena, 2,
			     new_unit(&arena, KV("en", "Talks  resumed.", "fr",
						 "Les pourparlers ont repris."))),
		     &j);
	CHECK_INT(wr->unit, 1);
	CHECK_INT(wr->seq, 1);
	CHECK(j.update == NULL);
	wr = written(db, add_env(&arena, 3, unit_with(&arena, FR_EN, skip, NULL)), &j);
	CHECK(wr->unit == 1 && wr->seq == 1 && j.update == NULL);
	/* ...and the other fields do not make it another unit */
	r = new_unit(&arena, FR_EN);
	r->origin = "tmx:other.tmx";
	r->user = "paul";
	ADD_MAP(&arena, r, meta, KV("note", "again"));
	wr = written(db, add_env(&arena, 4, r), &j);
	CHECK(wr->unit == 1 && wr->seq == 1 && j.update == NULL);
	CHECK_INT(store_db_last_seq(db), 1);
	CHECK_INT(sql_int("dups", "SELECT count(*) FROM change"), 1);
	CHECK_INT(sql_int("dups", "SELECT count(*) FROM unit"), 1);

	/* KEEP adds */
	wr = written(db, add_env(&arena, 5, unit_with(&arena, FR_EN, keep, NULL)), &j);
	CHECK(wr->unit == 2 && wr->seq == 2 && j.update != NULL);

	/* Another context is another unit; the same context again is a duplicate */
	wr = written(db, add_env(&arena, 6, unit_with(&arena, FR_EN, skip, "menu.file")), &j);
	CHECK(wr->unit == 3 && wr->seq == 3 && j.update != NULL);
	wr = written(db, add_env(&arena, 7, unit_with(&arena, FR_EN, skip, "menu.file")), &j);
	CHECK(wr->unit == 3 && wr->seq == 3 && j.update == NULL);

	/* One more language, another case or another text: not a duplicate */
	wr = written(db,
		     add_env(&arena, 8,
			     new_unit(&arena, KV("fr", "Les pourparlers ont repris.", "en",
						 "Talks resumed.", "de",
						 "Die Gespräche wurden wieder aufgenommen."))),
		     &j);
	CHECK(wr->unit == 4 && j.update != NULL);
	wr = written(db,
		     add_env(&arena, 9,
			     new_unit(&arena, KV("fr", "Les pourparlers ont repris.", "en",
						 "Talks Resumed."))),
		     &j);
	CHECK(wr->unit == 5 && j.update != NULL);

	/* OVERWRITE is for imports (it needs their source language) */
	write_fails(db, add_env(&arena, 10, unit_with(&arena, FR_EN,
						       MNEMO__DUPLICATES__DUPLICATES_OVERWRITE,
						       NULL)),
		    MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "duplicates",
		    "overwrite on an add");
	write_fails(db, add_env(&arena, 11, unit_with(&arena, FR_EN, (Mnemo__Duplicates)9, NULL)),
		    MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "duplicates", "duplicates 9");
	CHECK_INT(store_db_last_seq(db), 5);

	/* A deleted unit is not a duplicate */
	written(db, delete_req(&arena, 12, NULL, 1), &j);
	written(db, delete_req(&arena, 13, NULL, 2), &j);
	wr = written(db, add_env(&arena, 14, new_unit(&arena, FR_EN)), &j);
	CHECK(wr->unit == 6 && wr->seq == 8 && j.update != NULL);

	/* An updated unit is a duplicate of its new text, at its new seq; no longer of the
	 * old one */
	wr = written(db,
		     update_req(&arena, 15, NULL, 6,
				KV("fr", "Les pourparlers reprendront.", "en",
				   "Talks will resume."),
				NULL),
		     &j);
	CHECK_INT(wr->seq, 9);
	wr = written(db,
		     add_env(&arena, 16,
			     new_unit(&arena, KV("fr", "Les pourparlers reprendront.", "en",
						 "Talks will resume."))),
		     &j);
	CHECK(wr->unit == 6 && wr->seq == 9 && j.update == NULL);
	wr = written(db, add_env(&arena, 17, new_unit(&arena, FR_EN)), &j);
	CHECK(wr->unit == 7 && wr->seq == 10 && j.update != NULL);

	/* A duplicate's reply is in the ledger like any other: a retry gets it again, even
	 * once the unit has changed */
	r = new_unit(&arena, FR_EN);
	r->request_id = "dup-retry";
	wr = written(db, add_env(&arena, 18, r), &j);
	CHECK(wr->unit == 7 && wr->seq == 10 && j.update == NULL);
	written(db, update_req(&arena, 19, NULL, 7, KV("fr", "Autre.", "en", "Other."), NULL), &j);
	r = new_unit(&arena, FR_EN);
	r->request_id = "dup-retry";
	wr = written(db, add_env(&arena, 20, r), &j);
	CHECK(wr->unit == 7 && wr->seq == 10 && j.update == NULL);
	CHECK_INT(store_db_last_seq(db), 11);

	/* Two identical adds in one group: the second finds the first, not yet committed */
	memset(g, 0, sizeof(g));
	g[0].req = add_env(&arena, 21, new_unit(&arena, KV("fr", "Un.", "en", "One.")));
	g[1].req = add_env(&arena, 22, new_unit(&arena, KV("en", "One.", "fr", "Un.")));
	CHECK_INT(commit_group(db, &arena, g, 2), 0);
	CHECK(g[0].result == 0 && g[0].update != NULL && g[0].update->seq == 12);
	CHECK(g[1].result == 0 && g[1].update == NULL);
	if (g[1].result == 0) {
		CHECK_INT(g[1].reply.unit_write_reply->unit, 8);
		CHECK_INT(g[1].reply.unit_write_reply->seq, 12);
	}
	CHECK_INT(store_db_last_seq(db), 12);
	store_db_close(db);
	check_consistent("dups");
	remove_db("dups");
	mnemo_arena_reset(&arena);
}

/* ---- the unit's fields ------------------------------------------------------------------ */

#define SAVE_MARKUP "Click <bpt i=\"1\">&lt;b&gt;</bpt>Save<ept i=\"1\">&lt;/b&gt;</ept>."

static void
test_fields(void)
{
	struct store_db *db = open_db("fields");
	Mnemo__UnitWriteReply *wr;
	Mnemo__UnitAddRequest *r;
	Mnemo__UnitUpdateRequest *ur;
	Mnemo__Envelope *env;
	Mnemo__Unit *u;
	char langs[64] = "";
	struct job j;

	if (db == NULL) {
		return;
	}
	r = new_unit(&arena, KV("fr", "Cliquez sur Enregistrer.", "en", "Click Save."));
	ADD_MAP(&arena, r, markup, KV("en", SAVE_MARKUP));
	ADD_MAP(&arena, r, prev, KV("fr", "Ouvrez le fichier.", "en", "Open the file."));
	ADD_MAP(&arena, r, next, KV("FR", "Fermez la fenêtre."));
	r->origin = "tmx:memory.tmx";
	r->user = "marie";
	r->project = "gimp";
	r->domain = "software";
	r->context = "menu.save";
	r->created_at = 1700000000123;
	wr = written(db, add_env(&arena, 1, r), &j);
	u = get_unit(db, wr->unit);
	CHECK_STR(MAP_GET(u, markup, "en"), SAVE_MARKUP);
	CHECK(MAP_GET(u, markup, "fr") == NULL);
	CHECK_STR(MAP_GET(u, prev, "fr"), "Ouvrez le fichier.");
	CHECK_STR(MAP_GET(u, prev, "en"), "Open the file.");
	CHECK_STR(MAP_GET(u, next, "fr"), "Fermez la fenêtre.");
	CHECK(MAP_GET(u, next, "en") == NULL);
	CHECK_STR(u->origin, "tmx:memory.tmx");
	CHECK_STR(u->created_by, "marie");
	CHECK_STR(u->changed_by, "marie");
	CHECK_STR(u->project, "gimp");
	CHECK_STR(u->domain, "software");
	CHECK_STR(u->context, "menu.save");
	CHECK_INT(u->created_at, 1700000000123);
	CHECK_INT(u->changed_at, 1700000000123); /* unchanged since it was made */
	CHECK_INT(u->usage_count, 0);
	/* The change published carries the same */
	CHECK(j.update != NULL && strcmp(j.update->unit->origin, "tmx:memory.tmx") == 0 &&
	      strcmp(j.update->unit->created_by, "marie") == 0 &&
	      MAP_GET(j.update->unit, markup, "en") != NULL);

	/* An update replaces them all, except the creation's date and user */
	env = update_req(&arena, 2, NULL, wr->unit,
			 KV("fr", "Cliquez sur Enregistrer.", "en", "Click Save."), NULL);
	ur = env->unit_update_request;
	ur->user = "paul";
	ur->origin = "manual";
	written(db, env, &j);
	u = get_unit(db, wr->unit);
	CHECK_STR(u->created_by, "marie");
	CHECK_STR(u->changed_by, "paul");
	CHECK_STR(u->origin, "manual");
	CHECK_INT(u->created_at, 1700000000123);
	CHECK(u->changed_at > 1700000000123);
	CHECK(u->n_markup == 0 && u->n_prev == 0 && u->n_next == 0);
	CHECK(u->project[0] == '\0' && u->context[0] == '\0');

	/* An import keeps the history its file tells: changes, usage */
	r = new_unit(&arena, KV("fr", "Annuler", "en", "Cancel"));
	r->user = "marie";
	r->created_at = 1600000000000;
	r->changed_at = 1650000000000;
	r->changed_by = "paul";
	r->usage_count = 7;
	r->used_at = 1660000000000;
	wr = written(db, add_env(&arena, 20, r), &j);
	u = get_unit(db, wr->unit);
	CHECK_STR(u->created_by, "marie");
	CHECK_STR(u->changed_by, "paul");
	CHECK_INT(u->changed_at, 1650000000000);
	CHECK_INT(u->usage_count, 7);
	CHECK_INT(u->used_at, 1660000000000);
	r = new_unit(&arena, KV("fr", "Fermer", "en", "Close"));
	r->changed_at = -5;
	write_fails(db, add_env(&arena, 21, r), MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE,
		    "changed_at", "changed_at -5");

	/* Language tags are canonical in every map; fr and fr-CA are two languages */
	r = new_unit(&arena, KV("FR", "Bonjour.", "fr_CA", "Allô.", "EN", "Hello."));
	ADD_MAP(&arena, r, markup, KV("fr_ca", "<hi>Allô</hi>."));
	ADD_MAP(&arena, r, prev, KV("Fr", "Avant."));
	wr = written(db, add_env(&arena, 3, r), &j);
	u = get_unit(db, wr->unit);
	CHECK_STR(variant(u, "fr"), "Bonjour.");
	CHECK_STR(variant(u, "fr-CA"), "Allô.");
	CHECK_STR(variant(u, "en"), "Hello.");
	CHECK_STR(MAP_GET(u, markup, "fr-CA"), "<hi>Allô</hi>.");
	CHECK_STR(MAP_GET(u, prev, "fr"), "Avant.");
	sql_value("fields",
		  "SELECT group_concat(tag, ' ') FROM (SELECT l.tag FROM variant_fts JOIN lang l "
		  "ON l.id = variant_fts.rowid & 65535 WHERE variant_fts MATCH 'Bonjour OR Allo "
		  "OR Hello' AND variant_fts.rowid >> 16 = 3 ORDER BY l.tag)",
		  langs, sizeof(langs));
	CHECK_STR(langs, "en fr fr-CA");
	store_db_close(db);
	check_consistent("fields");
	remove_db("fields");
	mnemo_arena_reset(&arena);
}

/* An add of "Click Save." whose en markup is given. */
static Mnemo__Envelope *
markup_req(uint64_t request_id, const char *markup)
{
	Mnemo__UnitAddRequest *r =
		new_unit(&arena, KV("fr", "Cliquez sur Enregistrer.", "en", "Click Save."));

	ADD_MAP(&arena, r, markup, KV("en", markup));
	r->duplicates = MNEMO__DUPLICATES__DUPLICATES_KEEP;
	return add_env(&arena, request_id, r);
}

static void
test_markup(void)
{
	static const struct {
		const char *markup;
		long offset;
		const char *why;
	} bad[] = {
		{"Click <b>Save</b>.", 6, "not a TMX inline element"},
		{"Click <bpt i=\"1\">Save.", 22, "mismatched tag"},
		{"Click & Save.", 7, "not well-formed"},
		{"Click <bpt i=1>x</bpt>Save.", 13, "not well-formed"},
		{"Click Save</bpt>.", 12, "mismatched tag"},
		{"<hi>Click Save.</hi></hi>", 22, "mismatched tag"},
		{"<bpt i=\"1\"><ph/></bpt>Click Save.", 11, "native code"},
		{"<sub>x</sub>Click Save.", 0, "<sub> belongs inside native code"},
		{"&#0;Click Save.", 0, "invalid character number"},
		{"Click Save.&#xD800;", 11, "invalid character number"},
		{"Click Save.&#x110000;", 11, "invalid character number"},
		{"<ph x=\"a<b\"/>Click Save.", 8, "not well-formed"},
		{"<ph x=\"1\"y=\"2\"/>Click Save.", 9, "not well-formed"},
		{"<ph x=\"1\" x=\"2\"/>Click Save.", 10, "duplicate attribute"},
		{"<!DOCTYPE x>Click Save.", 2, "not well-formed"},
	};
	const Mnemo__ErrorCode invalid_value = MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE;
	struct store_db *db = open_db("markup");
	Mnemo__UnitAddRequest *r;
	static char big[1100];
	uint64_t last;
	struct job j;

	if (db == NULL) {
		return;
	}
	/* Valid: each inline element, references decoded, native code left out; the plain
	 * text is the variant's as the exact key sees it (white space folded) */
	written(db, markup_req(1, SAVE_MARKUP), &j);
	written(db, markup_req(2, "<it pos=\"begin\">&lt;i&gt;</it>Click <ph x='1'/>Save."), &j);
	written(db, markup_req(3, "<hi type=\"b\">Click</hi> <ut>{\\b}</ut>Save."), &j);
	written(db, markup_req(4, "<bpt i=\"1\">&lt;a title=\"<sub>Aide</sub>\"&gt;</bpt>Click "
				  "Save.<ept i=\"1\">&lt;/a&gt;</ept>"),
		&j);
	written(db, markup_req(5, "&#67;lick &#x53;ave&#46;"), &j);
	written(db, markup_req(6, "Click\n  Save."), &j);
	/* XML that TMX content may hold: a comment, a CDATA section (its text is text) */
	written(db, markup_req(7, "Click Save. <!-- note -->"), &j);
	written(db, markup_req(8, "<![CDATA[Click Save.]]>"), &j);
	last = store_db_last_seq(db);
	CHECK_INT(last, 8);

	/* Invalid: refused with the byte offset of the fault and why */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_fails(db, markup_req(10 + i, bad[i].markup), invalid_value, "markup.en",
			    bad[i].markup);
		CHECK_MSG(last_fault.offset == bad[i].offset, "%s: offset %lld, not %ld",
			  bad[i].markup, (long long)last_fault.offset, bad[i].offset);
		CHECK_MSG(has(last_fault.message, bad[i].why), "%s: '%s'", bad[i].markup,
			  last_fault.message);
	}
	/* Well formed, but not the variant's text */
	write_fails(db, markup_req(30, "Click <ph/>Cancel."), invalid_value, "markup.en",
		    "another text");
	CHECK(has(last_fault.message, "not the en variant's text"));
	write_fails(db, markup_req(31, "click save."), invalid_value, "markup.en", "another case");
	write_fails(db, markup_req(32, ""), MNEMO__ERROR_CODE__ERROR_CODE_INVALID_REQUEST,
		    "markup.en", "empty markup");
	/* Only for languages the unit has */
	r = new_unit(&arena, KV("fr", "Cliquez sur Enregistrer.", "en", "Click Save."));
	ADD_MAP(&arena, r, markup, KV("de", "<ph/>Speichern."));
	write_fails(db, add_env(&arena, 33, r), MNEMO__ERROR_CODE__ERROR_CODE_INVALID_REQUEST,
		    "markup.de", "markup without its variant");
	r = new_unit(&arena, KV("fr", "Cliquez sur Enregistrer.", "en", "Click Save."));
	ADD_MAP(&arena, r, markup, KV("en", SAVE_MARKUP, "EN", SAVE_MARKUP));
	write_fails(db, add_env(&arena, 34, r), MNEMO__ERROR_CODE__ERROR_CODE_INVALID_REQUEST,
		    "markup.en", "en twice");

	/* Limits: markup, prev and next count against max_text_bytes as the text does */
	snprintf(big, sizeof(big), "Click Save.");
	for (size_t n = strlen(big); n + 5 < sizeof(big) - 1; n += 5) {
		strcat(big, "<ph/>");
	}
	write_fails(db, markup_req(40, big), MNEMO__ERROR_CODE__ERROR_CODE_TOO_LARGE, "markup.en",
		    "1096-byte markup");
	memset(big, 'a', 1001);
	big[1001] = '\0';
	r = new_unit(&arena, FR_EN);
	ADD_MAP(&arena, r, prev, KV("fr", big));
	write_fails(db, add_env(&arena, 41, r), MNEMO__ERROR_CODE__ERROR_CODE_TOO_LARGE, "prev.fr",
		    "1001-byte prev");
	r = new_unit(&arena, FR_EN);
	ADD_MAP(&arena, r, next, KV("de", "Danach."));
	write_fails(db, add_env(&arena, 42, r), MNEMO__ERROR_CODE__ERROR_CODE_INVALID_REQUEST,
		    "next.de", "next without its variant");
	memset(big, 'o', 1025);
	big[1025] = '\0';
	r = new_unit(&arena, FR_EN);
	r->origin = big;
	write_fails(db, add_env(&arena, 43, r), invalid_value, "origin", "1025-byte origin");
	big[257] = '\0';
	r = new_unit(&arena, FR_EN);
	r->user = big;
	write_fails(db, add_env(&arena, 44, r), invalid_value, "user", "257-byte user");
	r = new_unit(&arena, FR_EN);
	r->project = big;
	write_fails(db, add_env(&arena, 45, r), invalid_value, "project", "257-byte project");
	r = new_unit(&arena, FR_EN);
	r->created_at = -1;
	write_fails(db, add_env(&arena, 46, r), invalid_value, "created_at", "created_at -1");
	r = new_unit(&arena, FR_EN);
	r->created_at = 253402300800000; /* year 10000 */
	write_fails(db, add_env(&arena, 47, r), invalid_value, "created_at", "year 10000");

	/* Nothing refused took a seq */
	CHECK_INT(store_db_last_seq(db), last);
	store_db_close(db);
	check_consistent("markup");
	remove_db("markup");
	mnemo_arena_reset(&arena);
}

/* ---- a translator used a unit ----------------------------------------------------------- */

static void
test_use(void)
{
	struct store_db *db = open_db("use");
	Mnemo__UpdatesReply *page;
	Mnemo__UnitWriteReply *wr;
	Mnemo__Unit *before, *u;
	struct job j;

	if (db == NULL) {
		return;
	}
	written(db, add_req(&arena, 1, NULL, FR_EN, KV("note", "n")), &j);
	before = get_unit(db, 1);
	CHECK(before->usage_count == 0 && before->used_at == 0);

	wr = written(db, use_req(&arena, 2, "use-1", 1), &j);
	CHECK(wr->unit == 1 && wr->seq == 2);
	CHECK(j.update != NULL && j.update->seq == 2 &&
	      j.update->op == MNEMO__CHANGE_OP__CHANGE_OP_UPDATE &&
	      j.update->unit->usage_count == 1);
	u = get_unit(db, 1);
	CHECK_INT(u->usage_count, 1);
	CHECK(u->used_at >= before->changed_at);
	CHECK_INT(u->seq, 2);
	CHECK_INT(u->changed_at, before->changed_at); /* used, not changed */
	CHECK_STR(variant(u, "fr"), "Les pourparlers ont repris.");
	CHECK_STR(MAP_GET(u, meta, "note"), "n");

	/* Once per request_id; another request is another use */
	wr = written(db, use_req(&arena, 3, "use-1", 1), &j);
	CHECK(wr->seq == 2 && j.update == NULL);
	wr = written(db, use_req(&arena, 4, NULL, 1), &j);
	CHECK(wr->seq == 3 && j.update != NULL);
	CHECK_INT(get_unit(db, 1)->usage_count, 2);
	CHECK_INT(store_db_updates(db, 1, 10, &arena, &page), 0);
	CHECK_INT(page->n_updates, 2);
	if (page->n_updates == 2) {
		CHECK_INT(page->updates[0]->unit->usage_count, 1);
		CHECK_INT(page->updates[1]->unit->usage_count, 2);
		CHECK_INT(page->updates[1]->op, MNEMO__CHANGE_OP__CHANGE_OP_UPDATE);
	}

	/* An update of the content keeps the count */
	written(db, update_req(&arena, 5, NULL, 1, KV("fr", "Salut.", "en", "Hi."), NULL), &j);
	u = get_unit(db, 1);
	CHECK_INT(u->usage_count, 2);
	CHECK(u->used_at > 0);

	write_fails(db, use_req(&arena, 6, NULL, 99), MNEMO__ERROR_CODE__ERROR_CODE_NOT_FOUND, "id",
		    "use of 99");
	write_fails(db, use_req(&arena, 7, NULL, 0), MNEMO__ERROR_CODE__ERROR_CODE_NOT_FOUND, "id",
		    "use of 0");
	written(db, delete_req(&arena, 8, NULL, 1), &j);
	write_fails(db, use_req(&arena, 9, NULL, 1), MNEMO__ERROR_CODE__ERROR_CODE_NOT_FOUND, "id",
		    "use of a deleted unit");
	CHECK_INT(store_db_last_seq(db), 5);
	store_db_close(db);
	check_consistent("use");
	remove_db("use");
	mnemo_arena_reset(&arena);
}

/* ---- concordance ------------------------------------------------------------------------ */

static void
test_concordance(void)
{
	const Mnemo__ErrorCode invalid_value = MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE;
	struct store_db *db = open_db("concordance"), *ro = NULL;
	Mnemo__ConcordanceReply *c;
	static char long_query[1100];
	char path[128];
	struct job j;

	if (db == NULL) {
		return;
	}
	written(db, add_env(&arena, 1,
			    new_unit(&arena, KV("fr", "Le chat dort sur le canapé.", "en",
						"The cat sleeps on the sofa."))),
		&j);
	written(db, add_env(&arena, 2,
			    new_unit(&arena, KV("fr", "Le chien dort dans le jardin.", "en",
						"The dog sleeps in the garden.", "de",
						"Der Hund schläft im Garten."))),
		&j);
	written(db, add_env(&arena, 3,
			    new_unit(&arena, KV("fr", "L'école est fermée aujourd'hui.", "en",
						"The school is closed today."))),
		&j);
	written(db, add_env(&arena, 4,
			    new_unit(&arena, KV("fr", "Le cessez-le-feu tient à Genève.", "en",
						"The ceasefire holds in Geneva."))),
		&j);
	written(db, add_env(&arena, 5,
			    new_unit(&arena, KV("fr", "Tout est OK.", "en", "All is OK."))),
		&j);
	for (size_t i = 0; i < 7; i++) { /* units 6-12: "page" in both languages */
		const char *fr = mnemo_arena_printf(&arena, "Page numéro %zu.", i + 1);
		const char *en = mnemo_arena_printf(&arena, "Page number %zu.", i + 1);

		written(db, add_env(&arena, 10 + i, new_unit(&arena, KV("fr", fr, "en", en))), &j);
	}

	/* Words in any order and any case; "phrases" in order; prefixes */
	CHECK_STR(search(db, "dort", NULL), "1:fr 2:fr");
	CHECK_STR(search(db, "DORT", NULL), "1:fr 2:fr");
	CHECK_STR(search(db, "canapé chat", NULL), "1:fr");
	CHECK_STR(search(db, "\"dort sur\"", NULL), "1:fr");
	CHECK_STR(search(db, "\"sur dort\"", NULL), "");
	CHECK_STR(search(db, "jard*", NULL), "2:fr");
	CHECK_STR(search(db, "sleep*", NULL), "1:en 2:en");
	CHECK_STR(search(db, "chat OR chien", NULL), "1:fr 2:fr");
	CHECK_STR(search(db, "dort NOT chat", NULL), "2:fr");
	/* Diacritics and their absence, NFD, words joined by an apostrophe or hyphens */
	CHECK_STR(search(db, "ecole", NULL), "3:fr");
	CHECK_STR(search(db, "canape", NULL), "1:fr");
	CHECK_STR(search(db, "CANAPÉ", NULL), "1:fr");
	CHECK_STR(search(db, "geneve", NULL), "4:fr");
	CHECK_STR(search(db, "fermee", NULL), "3:fr");
	CHECK_STR(search(db, "schlaft", NULL), "2:de");
	CHECK_STR(search(db, "e\xcc\x81" "cole", NULL), "3:fr");
	CHECK_STR(search(db, "l'école", NULL), "3:fr");
	CHECK_STR(search(db, "l\xe2\x80\x99" "école", NULL), "3:fr");
	CHECK_STR(search(db, "aujourd'hui", NULL), "3:fr");
	CHECK_STR(search(db, "cessez-le-feu", NULL), "4:fr");
	CHECK_STR(search(db, "école", NULL), "3:fr");

	/* The language searched: one (any spelling of its tag), or every one */
	CHECK_STR(search(db, "sleeps", "fr"), "");
	CHECK_STR(search(db, "sleeps", "en"), "1:en 2:en");
	CHECK_STR(search(db, "sleeps", "EN"), "1:en 2:en");
	CHECK_STR(search(db, "OK", ""), "5:fr 5:en");
	CHECK_STR(search(db, "OK", "it"), ""); /* a language no unit has */
	concordance_fails(db, "OK", "not a tag!", 0, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_LANG,
			  "lang");

	/* The target shown beside each hit: "" when the unit has none */
	c = concordance(db, "dort", "fr", "en", 0, 0);
	CHECK_INT(c->n_hits, 2);
	if (c->n_hits == 2) {
		CHECK_STR(c->hits[0]->text, "Le chat dort sur le canapé.");
		CHECK_STR(c->hits[0]->target, "The cat sleeps on the sofa.");
		CHECK_STR(c->hits[1]->target, "The dog sleeps in the garden.");
	}
	c = concordance(db, "dort", "fr", "de", 0, 0);
	CHECK(c->n_hits == 2 && strcmp(c->hits[0]->target, "") == 0 &&
	      strcmp(c->hits[1]->target, "Der Hund schläft im Garten.") == 0);
	c = concordance(db, "dort", "fr", "it", 0, 0);
	CHECK(c->n_hits == 2 && strcmp(c->hits[0]->target, "") == 0);
	c = concordance(db, "dort", "fr", NULL, 0, 0);
	CHECK(c->n_hits == 2 && strcmp(c->hits[0]->target, "") == 0);

	/* Pages: after_unit, at most max hits, but never half a unit */
	CHECK_STR(hits(concordance(db, "page", "fr", NULL, 3, 0)), "6:fr 7:fr 8:fr");
	CHECK_STR(hits(concordance(db, "page", "fr", NULL, 3, 8)), "9:fr 10:fr 11:fr");
	CHECK_STR(hits(concordance(db, "page", "fr", NULL, 3, 11)), "12:fr");
	CHECK_STR(hits(concordance(db, "page", "fr", NULL, 3, 12)), "");
	CHECK_STR(hits(concordance(db, "page", NULL, NULL, 3, 0)), "6:fr 6:en 7:fr 7:en");
	CHECK_STR(hits(concordance(db, "page", NULL, NULL, 1, 7)), "8:fr 8:en");
	CHECK_STR(hits(concordance(db, "page", NULL, NULL, 0, 0)),
		  "6:fr 6:en 7:fr 7:en 8:fr 8:en 9:fr 9:en 10:fr 10:en 11:fr 11:en 12:fr 12:en");
	CHECK_STR(hits(concordance(db, "page", NULL, NULL, 1000, UINT64_MAX)), "");
	concordance_fails(db, "page", NULL, 1001, invalid_value, "max");

	/* Bad queries */
	concordance_fails(db, "chat AND", NULL, 0, invalid_value, "query");
	CHECK(has(last_fault.message, "FTS5 syntax"));
	concordance_fails(db, "\"chat", NULL, 0, invalid_value, "query");
	concordance_fails(db, "(chat", NULL, 0, invalid_value, "query");
	/* punctuation that is not FTS5 syntax is read as the tokenizer reads it: a space */
	CHECK_STR(search(db, "canapé.", NULL), "1:fr");
	CHECK_STR(search(db, "chat ? canapé !", NULL), "1:fr");
	concordance_fails(db, "", NULL, 0, MNEMO__ERROR_CODE__ERROR_CODE_MISSING_FIELD, "query");
	memset(long_query, 'a', 1025);
	concordance_fails(db, long_query, NULL, 0, MNEMO__ERROR_CODE__ERROR_CODE_TOO_LARGE,
			  "query");

	/* A deleted unit is found no more; an updated one by its new text only */
	written(db, delete_req(&arena, 30, NULL, 1), &j);
	CHECK_STR(search(db, "chat", NULL), "");
	CHECK_STR(search(db, "sofa", NULL), "");
	CHECK_STR(search(db, "dort", NULL), "2:fr");
	written(db,
		update_req(&arena, 31, NULL, 2,
			   KV("fr", "Le loup court dans la forêt.", "en",
			      "The wolf runs in the forest."),
			   NULL),
		&j);
	CHECK_STR(search(db, "dort", NULL), "");
	CHECK_STR(search(db, "schlaft", NULL), "");
	CHECK_STR(search(db, "garden", NULL), "");
	CHECK_STR(search(db, "loup", NULL), "2:fr");
	CHECK_STR(search(db, "foret", NULL), "2:fr");
	CHECK_STR(search(db, "wolf", NULL), "2:en");
	/* Inline markup is not searched, only the plain text */
	{
		Mnemo__UnitAddRequest *r =
			new_unit(&arena, KV("fr", "Cliquez sur Enregistrer.", "en", "Click Save."));

		ADD_MAP(&arena, r, markup, KV("en", SAVE_MARKUP));
		written(db, add_env(&arena, 32, r), &j);
	}
	CHECK_STR(search(db, "save", NULL), "13:en");
	CHECK_STR(search(db, "bpt", NULL), "");

	/* A read connection (the gateway's) sees the same */
	db_path(path, sizeof(path), "concordance");
	CHECK_INT(store_db_open(path, 1, 0, &limits, &ro), 0);
	if (ro != NULL) {
		CHECK_STR(search(ro, "loup", NULL), "2:fr");
		CHECK_STR(hits(concordance(ro, "page", "en", "fr", 2, 0)), "6:en 7:en");
		store_db_close(ro);
	}
	store_db_close(db);
	check_consistent("concordance");
	remove_db("concordance");
	mnemo_arena_reset(&arena);
}

/* ---- imports ---------------------------------------------------------------------------- */

static void
check_import_reply(const Mnemo__ImportReply *rep, uint64_t received, uint64_t added,
		   uint64_t updated, uint64_t skipped, uint64_t first_seq, uint64_t last_seq)
{
	CHECK_INT(rep->received, received);
	CHECK_INT(rep->added, added);
	CHECK_INT(rep->updated, updated);
	CHECK_INT(rep->skipped, skipped);
	CHECK_INT(rep->first_seq, first_seq);
	CHECK_INT(rep->last_seq, last_seq);
}

static void
test_import_commit(void)
{
	struct store_db *db = open_db("import");
	Mnemo__UnitAddRequest **last_batch;
	Mnemo__ImportReply *rep;
	Mnemo__UpdatesReply *page;
	Mnemo__Envelope *commit;
	Mnemo__Unit *u;
	uint64_t seq, units, backlog;
	struct job j;

	if (db == NULL) {
		return;
	}
	written(db, add_env(&arena, 1, new_unit(&arena, KV("fr", "Déjà là.", "en", "Already."))),
		&j);

	/* Batches are staged: the reply counts what the import holds */
	rep = import_ok(db, import_req(&arena, 10, "imp-1", numbered(&arena, 1, 3), 3), &j);
	check_import_reply(rep, 3, 0, 0, 0, 0, 0);
	CHECK_STR(rep->import_id, "imp-1");
	rep = import_ok(db, import_req(&arena, 11, "imp-1", numbered(&arena, 4, 2), 2), &j);
	CHECK_INT(rep->received, 5);
	CHECK_INT(import_received(db, "imp-1"), 5);

	/* ...and nothing of them is visible before the commit */
	CHECK_INT(store_db_status(db, &seq, &units, &backlog), 0);
	CHECK(seq == 1 && units == 1);
	CHECK_INT(store_db_last_seq(db), 1);
	CHECK_INT(store_db_get_unit(db, 2, &arena, &u), -ENOENT);
	CHECK_INT(store_db_updates(db, 1, 10, &arena, &page), 0);
	CHECK_INT(page->n_updates, 0);
	CHECK_STR(search(db, "numéro", NULL), "");
	CHECK_INT(sql_int("import", "SELECT count(*) FROM import_batch"), 2);

	/* The last batch with the commit: every unit at once, seqs first_seq..last_seq */
	last_batch = numbered(&arena, 6, 2);
	last_batch[1]->created_at = 1600000000000; /* a file's date is kept */
	last_batch[1]->origin = "tmx:news.tmx";
	commit = commit_req(&arena, 12, "imp-1", last_batch, 2);
	rep = import_ok(db, commit, &j);
	check_import_reply(rep, 7, 7, 0, 0, 2, 8);
	CHECK_INT(store_db_last_seq(db), 8);
	CHECK_INT(store_db_updates(db, 1, 100, &arena, &page), 0);
	CHECK_INT(page->n_updates, 7);
	for (size_t i = 0; i < page->n_updates; i++) {
		const char *fr = mnemo_arena_printf(&arena, "Phrase numéro %zu.", i + 1);

		CHECK_INT(page->updates[i]->seq, 2 + i);
		CHECK_INT(page->updates[i]->op, MNEMO__CHANGE_OP__CHANGE_OP_ADD);
		CHECK_INT(page->updates[i]->unit->id, 2 + i); /* in the order sent */
		CHECK_STR(variant(page->updates[i]->unit, "fr"), fr);
	}
	u = get_unit(db, 8);
	CHECK_INT(u->created_at, 1600000000000);
	CHECK_STR(u->origin, "tmx:news.tmx");
	CHECK_INT(store_db_status(db, &seq, &units, &backlog), 0);
	CHECK(seq == 8 && units == 8);
	CHECK_INT(concordance(db, "numéro", "fr", NULL, 1000, 0)->n_hits, 7);
	/* its staged batches are dropped after the commit, by the writer */
	CHECK_INT(sql_int("import", "SELECT count(*) FROM import_batch"), 3);
	CHECK_INT(store_db_begin(db), 0);
	CHECK_INT(store_db_drop_committed_batches(db), 0);
	CHECK_INT(store_db_commit(db), 0);
	CHECK_INT(sql_int("import", "SELECT count(*) FROM import_batch"), 0);

	/* A repeat of the commit (its answer was lost), or a question: the same reply */
	rep = import_ok(db, commit_req(&arena, 13, "imp-1", NULL, 0), &j);
	check_import_reply(rep, 7, 7, 0, 0, 2, 8);
	rep = import_ok(db, import_req(&arena, 14, "imp-1", NULL, 0), &j);
	check_import_reply(rep, 7, 7, 0, 0, 2, 8);
	/* nng resending the very request that committed (its reply was lost) */
	rep = import_ok(db, commit, &j);
	check_import_reply(rep, 7, 7, 0, 0, 2, 8);
	/* More units, or an abort, for a committed import: CONFLICT */
	write_fails(db, import_req(&arena, 15, "imp-1", numbered(&arena, 9, 1), 1),
		    MNEMO__ERROR_CODE__ERROR_CODE_CONFLICT, "import_id", "units after the commit");
	commit = import_req(&arena, 16, "imp-1", NULL, 0);
	commit->import_request->abort = 1;
	write_fails(db, commit, MNEMO__ERROR_CODE__ERROR_CODE_CONFLICT, "import_id",
		    "abort after the commit");
	CHECK_INT(store_db_last_seq(db), 8);
	CHECK_INT(sql_int("import", "SELECT count(*) FROM unit"), 8);

	/* The commit of an import never started commits nothing (an empty file's import) */
	rep = import_ok(db, commit_req(&arena, 17, "never-started", NULL, 0), &j);
	check_import_reply(rep, 0, 0, 0, 0, 0, 0);
	CHECK_INT(store_db_last_seq(db), 8);
	store_db_close(db);
	check_consistent("import");
	remove_db("import");
	mnemo_arena_reset(&arena);
}

/* An import larger than a chunk: the units past the chunk wait in the concordance
 * backlog (found by everything but concordance), stay right through changes made
 * meanwhile, and are indexed as they are then. */
static void
test_import_backlog(void)
{
	const uint64_t n = STORE_DB_BACKLOG_CHUNK + 3; /* units n - 2 .. n wait */
	struct store_db *db = open_db("backlog");
	Mnemo__UpdatesReply *page;
	Mnemo__ImportReply *rep;
	uint64_t seq, units, backlog;
	struct job j;
	int more = -1;

	if (db == NULL) {
		return;
	}
	rep = import_ok(db, commit_req(&arena, 1, "big", numbered(&arena, 1, n), n), &j);
	check_import_reply(rep, n, n, 0, 0, 1, n);
	CHECK_INT(store_db_status(db, &seq, &units, &backlog), 0);
	CHECK(seq == n && units == n && backlog == 3);
	CHECK(concordance(db, "numéro", "fr", NULL, 10, 0)->incomplete);
	CHECK_STR(search(db, mnemo_arena_printf(&arena, "%" PRIu64, n - 3), "fr"),
		  mnemo_arena_printf(&arena, "%" PRIu64 ":fr", n - 3));
	CHECK_STR(search(db, mnemo_arena_printf(&arena, "%" PRIu64, n), "fr"), "");
	CHECK_STR(variant(get_unit(db, n), "fr"),
		  mnemo_arena_printf(&arena, "Phrase numéro %" PRIu64 ".", n));

	/* Changed while they wait: an update, a delete, a use; and an indexed unit updated */
	written(db,
		update_req(&arena, 2, NULL, n - 2, KV("fr", "Phrase changée.", "en", "Changed."),
			   NULL),
		&j);
	written(db, delete_req(&arena, 3, NULL, n - 1), &j);
	written(db, use_req(&arena, 4, NULL, n), &j);
	written(db,
		update_req(&arena, 5, NULL, 1, KV("fr", "Première phrase.", "en", "First."), NULL),
		&j);
	CHECK_STR(search(db, "premiere", NULL), "1:fr");
	CHECK_STR(search(db, "changee", NULL), "");

	/* The feed has each unit as each change left it */
	CHECK_INT(store_db_updates(db, n - 3, 10, &arena, &page), 0);
	CHECK_INT(page->n_updates, 7);
	if (page->n_updates == 7) {
		CHECK_STR(variant(page->updates[0]->unit, "fr"),
			  mnemo_arena_printf(&arena, "Phrase numéro %" PRIu64 ".", n - 2));
		CHECK_INT(page->updates[2]->unit->usage_count, 0);
		CHECK_STR(variant(page->updates[3]->unit, "fr"), "Phrase changée.");
		CHECK_INT(page->updates[4]->op, MNEMO__CHANGE_OP__CHANGE_OP_DELETE);
		CHECK_INT(page->updates[5]->unit->usage_count, 1);
	}
	check_consistent("backlog");

	/* Indexed a unit at a time, then all: the deleted one is not */
	CHECK_INT(store_db_begin(db), 0);
	CHECK_INT(store_db_index_backlog(db, 1, &more), 1);
	CHECK_INT(more, 1);
	CHECK_INT(store_db_commit(db), 0);
	CHECK_INT(store_db_status(db, &seq, &units, &backlog), 0);
	CHECK_INT(backlog, 1);
	CHECK_INT(store_db_begin(db), 0);
	CHECK_INT(store_db_index_backlog(db, STORE_DB_BACKLOG_CHUNK, &more), 1);
	CHECK_INT(more, 0);
	CHECK_INT(store_db_index_backlog(db, STORE_DB_BACKLOG_CHUNK, &more), 0);
	CHECK_INT(store_db_commit(db), 0);
	CHECK_INT(store_db_status(db, &seq, &units, &backlog), 0);
	CHECK_INT(backlog, 0);
	CHECK(!concordance(db, "numéro", "fr", NULL, 10, 0)->incomplete);
	CHECK_STR(search(db, "changee", NULL), mnemo_arena_printf(&arena, "%" PRIu64 ":fr", n - 2));
	CHECK_STR(search(db, mnemo_arena_printf(&arena, "%" PRIu64, n - 2), NULL), "");
	CHECK_STR(search(db, mnemo_arena_printf(&arena, "%" PRIu64, n - 1), NULL), "");
	CHECK_STR(search(db, mnemo_arena_printf(&arena, "%" PRIu64, n), NULL),
		  mnemo_arena_printf(&arena, "%" PRIu64 ":fr %" PRIu64 ":en", n, n));
	store_db_close(db);
	check_consistent("backlog");
	remove_db("backlog");
	mnemo_arena_reset(&arena);
}

static void
test_import_duplicates(void)
{
	struct store_db *db = open_db("import-dups");
	Mnemo__ImportReply *rep;
	Mnemo__Envelope *env;
	Mnemo__Unit *u;
	int64_t created;
	struct job j;

	if (db == NULL) {
		return;
	}
	written(db, add_env(&arena, 1, new_unit(&arena, KV("fr", "Bonjour.", "en", "Hello."))), &j);
	written(db,
		add_env(&arena, 2,
			new_unit(&arena, KV("fr", "Merci.", "en", "Thanks.", "it", "Grazie."))),
		&j);
	created = get_unit(db, 2)->created_at;

	/* SKIP (the default): duplicates of the memory and of the import's own units */
	rep = import_ok(db,
			commit_req(&arena, 10, "skip",
				   UNITS(new_unit(&arena, KV("fr", "Bonjour.", "en", "Hello.")),
					 new_unit(&arena, KV("fr", "Au revoir.", "en", "Goodbye.")),
					 new_unit(&arena, KV("en", "Goodbye.", "fr", "Au revoir.")),
					 new_unit(&arena, KV("fr", "Bonjour.", "en", "Hi.")))),
			&j);
	check_import_reply(rep, 4, 2, 0, 2, 3, 4);
	CHECK_STR(variant(get_unit(db, 4), "en"), "Hi.");

	/* KEEP: every unit */
	env = commit_req(&arena, 11, "keep",
			 UNITS(new_unit(&arena, KV("fr", "Bonjour.", "en", "Hello.")),
			       new_unit(&arena, KV("fr", "Bonjour.", "en", "Hello."))));
	env->import_request->duplicates = MNEMO__DUPLICATES__DUPLICATES_KEEP;
	check_import_reply(import_ok(db, env, &j), 2, 2, 0, 0, 5, 6);

	/* OVERWRITE: the unit with the same source text gets the new unit's other languages;
	 * the languages only it has stay, and so does its creation */
	env = commit_req(&arena, 12, "overwrite",
			 UNITS(new_unit(&arena, KV("fr", "Merci.", "en", "Thank you.", "de",
						   "Danke.")),
			       new_unit(&arena, KV("fr", "Nouveau.", "en", "New."))));
	env->import_request->duplicates = MNEMO__DUPLICATES__DUPLICATES_OVERWRITE;
	env->import_request->source = "FR";
	env->import_request->units[0]->user = "paul";
	check_import_reply(import_ok(db, env, &j), 2, 1, 1, 0, 7, 8);
	u = get_unit(db, 2);
	CHECK_STR(variant(u, "fr"), "Merci.");
	CHECK_STR(variant(u, "en"), "Thank you.");
	CHECK_STR(variant(u, "it"), "Grazie.");
	CHECK_STR(variant(u, "de"), "Danke.");
	CHECK_INT(u->n_variants, 4);
	CHECK_INT(u->seq, 7);
	CHECK_INT(u->created_at, created);
	CHECK_STR(u->changed_by, "paul");
	CHECK_STR(variant(get_unit(db, 7), "fr"), "Nouveau.");
	CHECK_STR(search(db, "thanks", NULL), "");
	CHECK_STR(search(db, "danke", NULL), "2:de");

	/* Overwriting past max_variants refuses the whole import, which keeps its units */
	env = commit_req(&arena, 13, "too-many",
			 UNITS(new_unit(&arena, KV("fr", "Nouveau.", "en", "New!")),
			       new_unit(&arena, KV("fr", "Merci.", "es", "Gracias.", "pt",
						   "Obrigado."))));
	env->import_request->duplicates = MNEMO__DUPLICATES__DUPLICATES_OVERWRITE;
	env->import_request->source = "fr";
	write_fails(db, env, MNEMO__ERROR_CODE__ERROR_CODE_TOO_LARGE, "units", "6 languages");
	CHECK(has(last_fault.message, "unit 1: "));
	CHECK_INT(store_db_last_seq(db), 8);
	CHECK_STR(variant(get_unit(db, 7), "en"), "New.");

	/* OVERWRITE needs the source language, given by any batch before the commit */
	env = import_req(&arena, 14, "no-source", UNITS(new_unit(&arena, KV("fr", "Merci.",
									    "en", "Cheers."))));
	env->import_request->duplicates = MNEMO__DUPLICATES__DUPLICATES_OVERWRITE;
	import_ok(db, env, &j);
	write_fails(db, commit_req(&arena, 15, "no-source", NULL, 0),
		    MNEMO__ERROR_CODE__ERROR_CODE_MISSING_FIELD, "source", "overwrite, no source");
	CHECK_INT(import_received(db, "no-source"), 1);
	env = commit_req(&arena, 16, "no-source", NULL, 0);
	env->import_request->source = "fr";
	check_import_reply(import_ok(db, env, &j), 1, 0, 1, 0, 9, 9);
	CHECK_STR(variant(get_unit(db, 2), "en"), "Cheers.");
	store_db_close(db);
	check_consistent("import-dups");
	remove_db("import-dups");
	mnemo_arena_reset(&arena);
}

static void
test_import_abort(void)
{
	struct store_db *db = open_db("import-abort");
	Mnemo__Envelope *env;
	struct job j;

	if (db == NULL) {
		return;
	}
	import_ok(db, import_req(&arena, 1, "a", numbered(&arena, 1, 3), 3), &j);
	import_ok(db, import_req(&arena, 2, "a", numbered(&arena, 4, 3), 3), &j);
	env = import_req(&arena, 3, "a", NULL, 0);
	env->import_request->abort = 1;
	CHECK_INT(import_ok(db, env, &j)->received, 0);
	CHECK_INT(import_received(db, "a"), 0);
	CHECK_INT(sql_int("import-abort", "SELECT count(*) FROM import_batch"), 0);
	CHECK_INT(sql_int("import-abort", "SELECT count(*) FROM import"), 0);
	/* The same import_id starts afresh */
	import_ok(db, import_req(&arena, 4, "a", numbered(&arena, 10, 1), 1), &j);
	check_import_reply(import_ok(db, commit_req(&arena, 5, "a", NULL, 0), &j), 1, 1, 0, 0, 1,
			   1);
	CHECK_STR(variant(get_unit(db, 1), "fr"), "Phrase numéro 10.");

	/* An abort of an import never started is no error; one with units or a commit is */
	env = import_req(&arena, 6, "never", NULL, 0);
	env->import_request->abort = 1;
	import_ok(db, env, &j);
	env = import_req(&arena, 7, "b", numbered(&arena, 1, 1), 1);
	env->import_request->abort = 1;
	write_fails(db, env, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_REQUEST, "abort",
		    "abort with units");
	env = commit_req(&arena, 8, "b", NULL, 0);
	env->import_request->abort = 1;
	write_fails(db, env, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_REQUEST, "abort",
		    "abort with commit");
	CHECK_INT(store_db_last_seq(db), 1);
	store_db_close(db);
	check_consistent("import-abort");
	remove_db("import-abort");
	mnemo_arena_reset(&arena);
}

/* A batch with a bad unit is refused whole; the import keeps what it had, and the client
 * resumes from what a question says it holds. */
static void
test_import_bad_batch(void)
{
	struct store_db *db = open_db("import-bad");
	Mnemo__UnitAddRequest **batch;
	struct job j;

	if (db == NULL) {
		return;
	}
	import_ok(db, import_req(&arena, 1, "bad", numbered(&arena, 1, 3), 3), &j);
	batch = numbered(&arena, 4, 3);
	batch[1] = new_unit(&arena, KV("fr", "Seul."));
	write_fails(db, import_req(&arena, 2, "bad", batch, 3),
		    MNEMO__ERROR_CODE__ERROR_CODE_INVALID_REQUEST, "units[1].variants",
		    "a unit with one variant");
	CHECK_MSG(strncmp(last_fault.message, "unit 4: ", 8) == 0, "'%s'", last_fault.message);
	CHECK_INT(import_received(db, "bad"), 3);
	CHECK_INT(sql_int("import-bad", "SELECT count(*) FROM import_batch"), 1);

	batch = numbered(&arena, 4, 3);
	ADD_MAP(&arena, batch[2], markup, KV("en", "Sentence <b>number</b> 6."));
	write_fails(db, import_req(&arena, 3, "bad", batch, 3),
		    MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "units[2].markup.en",
		    "a unit with bad markup");
	CHECK_INT(last_fault.offset, 9);
	CHECK_INT(import_received(db, "bad"), 3);

	/* Resumed from unit 4 */
	import_ok(db, import_req(&arena, 4, "bad", numbered(&arena, 4, 3), 3), &j);
	check_import_reply(import_ok(db, commit_req(&arena, 5, "bad", NULL, 0), &j), 6, 6, 0, 0, 1,
			   6);
	CHECK_STR(variant(get_unit(db, 4), "fr"), "Phrase numéro 4.");
	store_db_close(db);
	check_consistent("import-bad");
	remove_db("import-bad");
	mnemo_arena_reset(&arena);
}

/* nng resends a request whose reply it did not get: the same envelope, staged once. */
static void
test_import_resend(void)
{
	struct store_db *db = open_db("import-resend");
	Mnemo__Envelope *env;
	struct job j;

	if (db == NULL) {
		return;
	}
	env = import_req(&arena, 100, "r", numbered(&arena, 1, 3), 3);
	CHECK_INT(import_ok(db, env, &j)->received, 3);
	CHECK_INT(import_ok(db, env, &j)->received, 3);
	CHECK_INT(sql_int("import-resend", "SELECT count(*) FROM import_batch"), 1);
	/* A second batch (another envelope) resent too */
	env = import_req(&arena, 101, "r", numbered(&arena, 4, 2), 2);
	CHECK_INT(import_ok(db, env, &j)->received, 5);
	CHECK_INT(import_ok(db, env, &j)->received, 5);
	/* Another envelope with the same units is another batch */
	env = import_req(&arena, 102, "r", numbered(&arena, 4, 2), 2);
	CHECK_INT(import_ok(db, env, &j)->received, 7);
	env = commit_req(&arena, 103, "r", NULL, 0);
	env->import_request->duplicates = MNEMO__DUPLICATES__DUPLICATES_KEEP;
	check_import_reply(import_ok(db, env, &j), 7, 7, 0, 0, 1, 7);
	store_db_close(db);
	check_consistent("import-resend");
	remove_db("import-resend");
	mnemo_arena_reset(&arena);
}

static void
test_import_checks(void)
{
	const Mnemo__ErrorCode invalid_value = MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE;
	struct store_db *db = open_db("import-checks");
	char long_id[130];
	Mnemo__Envelope *env;
	struct job j;

	if (db == NULL) {
		return;
	}
	/* import_id: 1-128 bytes */
	memset(long_id, 'i', sizeof(long_id) - 1);
	long_id[129] = '\0';
	write_fails(db, import_req(&arena, 1, long_id, numbered(&arena, 1, 1), 1), invalid_value,
		    "import_id", "129-byte import_id");
	long_id[128] = '\0';
	CHECK_INT(import_ok(db, import_req(&arena, 2, long_id, numbered(&arena, 1, 1), 1), &j)
			  ->received,
		  1);
	write_fails(db, import_req(&arena, 3, "", numbered(&arena, 1, 1), 1),
		    MNEMO__ERROR_CODE__ERROR_CODE_MISSING_FIELD, "import_id", "no import_id");

	/* The duplicates policy and the source are the import's: set once, never changed */
	env = import_req(&arena, 4, "policy", numbered(&arena, 1, 2), 2);
	env->import_request->duplicates = MNEMO__DUPLICATES__DUPLICATES_KEEP;
	env->import_request->source = "fr";
	import_ok(db, env, &j);
	env = import_req(&arena, 5, "policy", numbered(&arena, 1, 2), 2);
	env->import_request->duplicates = MNEMO__DUPLICATES__DUPLICATES_SKIP;
	write_fails(db, env, invalid_value, "duplicates", "skip after keep");
	env = commit_req(&arena, 6, "policy", NULL, 0);
	env->import_request->duplicates = MNEMO__DUPLICATES__DUPLICATES_OVERWRITE;
	write_fails(db, env, invalid_value, "duplicates", "overwrite after keep");
	env = import_req(&arena, 7, "policy", numbered(&arena, 1, 2), 2);
	env->import_request->source = "en";
	write_fails(db, env, invalid_value, "source", "en after fr");
	env = import_req(&arena, 8, "policy", numbered(&arena, 1, 2), 2);
	env->import_request->source = "not a tag!";
	write_fails(db, env, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_LANG, "source", "bad source");
	env = import_req(&arena, 9, "policy", numbered(&arena, 1, 2), 2);
	env->import_request->duplicates = (Mnemo__Duplicates)7;
	write_fails(db, env, invalid_value, "duplicates", "duplicates 7");
	CHECK_INT(import_received(db, "policy"), 2);
	/* Unspecified (or the same again) keeps the import's: KEEP adds both copies */
	env = import_req(&arena, 10, "policy", numbered(&arena, 1, 2), 2);
	env->import_request->source = "FR";
	import_ok(db, env, &j);
	check_import_reply(import_ok(db, commit_req(&arena, 11, "policy", NULL, 0), &j), 4, 4, 0,
			   0, 1, 4);
	store_db_close(db);
	check_consistent("import-checks");
	remove_db("import-checks");
	mnemo_arena_reset(&arena);
}

static void
test_import_expire(void)
{
	struct store_db *db = open_db("import-expire");
	uint64_t dropped = 99;
	struct job j;

	if (db == NULL) {
		return;
	}
	import_ok(db, import_req(&arena, 1, "old", numbered(&arena, 1, 2), 2), &j);
	import_ok(db, import_req(&arena, 2, "fresh", numbered(&arena, 1, 3), 3), &j);
	import_ok(db, import_req(&arena, 3, "asked", numbered(&arena, 1, 1), 1), &j);
	import_ok(db, commit_req(&arena, 4, "done", numbered(&arena, 10, 1), 1), &j);
	sql_exec("import-expire",
		 "UPDATE import SET touched_at = 1000 WHERE id IN ('old', 'asked', 'done')");
	CHECK_INT(import_received(db, "asked"), 1); /* a question keeps it alive */

	CHECK_INT(store_db_begin(db), 0);
	CHECK_INT(store_db_expire_imports(db, mnemo_clock_unix_ms() - 60000, &dropped), 0);
	CHECK_INT(store_db_commit(db), 0);
	CHECK_INT(dropped, 2);
	CHECK_INT(import_received(db, "old"), 0);
	CHECK_INT(import_received(db, "fresh"), 3);
	CHECK_INT(import_received(db, "asked"), 1);
	CHECK_INT(import_received(db, "done"), 0); /* forgotten, its units stay */
	CHECK_INT(sql_int("import-expire", "SELECT count(*) FROM import_batch"), 2);
	CHECK_INT(sql_int("import-expire", "SELECT count(*) FROM unit"), 1);

	CHECK_INT(store_db_begin(db), 0);
	CHECK_INT(store_db_expire_imports(db, mnemo_clock_unix_ms() + 60000, &dropped), 0);
	CHECK_INT(store_db_commit(db), 0);
	CHECK_INT(dropped, 2);
	CHECK_INT(sql_int("import-expire", "SELECT count(*) FROM import"), 0);
	CHECK_INT(sql_int("import-expire", "SELECT count(*) FROM import_batch"), 0);
	store_db_close(db);
	check_consistent("import-expire");
	remove_db("import-expire");
	mnemo_arena_reset(&arena);
}

/* An import's commit among other writes in one group: the seqs stay contiguous. */
static void
test_import_in_group(void)
{
	struct store_db *db = open_db("import-group");
	Mnemo__Envelope *bad;
	struct job g[3];

	if (db == NULL) {
		return;
	}
	memset(g, 0, sizeof(g));
	g[0].req = add_req(&arena, 1, NULL, FR_EN, NULL);
	g[1].req = commit_req(&arena, 2, "g", numbered(&arena, 1, 2), 2);
	g[2].req = add_req(&arena, 3, NULL, FR_EN, NULL);
	CHECK_INT(commit_group(db, &arena, g, 3), 0);
	CHECK(g[0].result == 0 && g[1].result == 0 && g[2].result == 0);
	CHECK(g[0].update != NULL && g[0].update->seq == 1);
	CHECK(g[1].update == NULL && g[1].reply.body_case == MNEMO__ENVELOPE__BODY_IMPORT_REPLY);
	if (g[1].result == 0) {
		check_import_reply(g[1].reply.import_reply, 2, 2, 0, 0, 2, 3);
	}
	CHECK(g[2].update != NULL && g[2].update->seq == 4 && g[2].update->unit->id == 4);

	/* A failed commit in a group leaves no gap */
	memset(g, 0, sizeof(g));
	bad = commit_req(&arena, 5, "g2", numbered(&arena, 1, 2), 2);
	bad->import_request->duplicates = MNEMO__DUPLICATES__DUPLICATES_OVERWRITE; /* no source */
	g[0].req = add_req(&arena, 4, NULL, FR_EN, NULL);
	g[1].req = bad;
	g[2].req = add_req(&arena, 6, NULL, FR_EN, NULL);
	CHECK_INT(commit_group(db, &arena, g, 3), 0);
	CHECK(g[0].result == 0 && g[2].result == 0);
	CHECK_INT(g[1].result,
		  mnemo_msg_errno_from_code(MNEMO__ERROR_CODE__ERROR_CODE_MISSING_FIELD));
	CHECK_STR(g[1].fault.field, "source");
	CHECK(g[0].update != NULL && g[0].update->seq == 5);
	CHECK(g[2].update != NULL && g[2].update->seq == 6);
	CHECK_INT(import_received(db, "g2"), 0);
	store_db_close(db);
	check_consistent("import-group");
	remove_db("import-group");
	mnemo_arena_reset(&arena);
}

/* ---- migrations ------------------------------------------------------------------------- */

/* The schema as the first mnemo wrote it (version 1). */
static const char schema_v1[] =
	"CREATE TABLE unit (id INTEGER PRIMARY KEY AUTOINCREMENT, seq INTEGER NOT NULL, "
	"  created_at INTEGER NOT NULL, changed_at INTEGER NOT NULL, body BLOB NOT NULL);\n"
	"CREATE TABLE variant (unit_id INTEGER NOT NULL REFERENCES unit(id) ON DELETE CASCADE, "
	"  lang TEXT NOT NULL, text TEXT NOT NULL, key_hash INTEGER NOT NULL, "
	"  PRIMARY KEY (unit_id, lang)) WITHOUT ROWID;\n"
	"CREATE INDEX variant_by_key ON variant(lang, key_hash);\n"
	"CREATE TABLE change (seq INTEGER PRIMARY KEY, op INTEGER NOT NULL, "
	"  unit_id INTEGER NOT NULL, at INTEGER NOT NULL, unit BLOB NOT NULL);\n"
	"CREATE TABLE request (key TEXT PRIMARY KEY, payload_hash INTEGER NOT NULL, "
	"  reply BLOB NOT NULL, at INTEGER NOT NULL) WITHOUT ROWID;\n"
	"PRAGMA user_version = 1;\n";

/* A unit written the way version 1 wrote one: its row (the Unit packed), its variants with
 * their exact keys, and the change that made it. */
static void
v1_add(sqlite3 *conn, uint64_t id, uint64_t seq, const char *const *variants)
{
	Mnemo__Unit u = MNEMO__UNIT__INIT;
	sqlite3_stmt *s = NULL;
	uint8_t body[1024];
	size_t len;

	u.id = id;
	u.seq = seq;
	u.created_at = 1650000000000;
	u.changed_at = 1650000000000;
	u.variants = (void *)entries(&arena, &mnemo__unit__variants_entry__descriptor, variants,
				     &u.n_variants);
	len = mnemo__unit__pack(&u, body);
	sqlite3_prepare_v2(conn,
			   "INSERT INTO unit (id, seq, created_at, changed_at, body) "
			   "VALUES (?, ?, 1650000000000, 1650000000000, ?)",
			   -1, &s, NULL);
	sqlite3_bind_int64(s, 1, (sqlite3_int64)id);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)seq);
	sqlite3_bind_blob(s, 3, body, (int)len, SQLITE_TRANSIENT);
	CHECK_INT(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);
	for (size_t i = 0; i < u.n_variants; i++) {
		const char *text = u.variants[i]->value;

		sqlite3_prepare_v2(conn,
				   "INSERT INTO variant (unit_id, lang, text, key_hash) "
				   "VALUES (?, ?, ?, ?)",
				   -1, &s, NULL);
		sqlite3_bind_int64(s, 1, (sqlite3_int64)id);
		sqlite3_bind_text(s, 2, u.variants[i]->key, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, text, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 4, (sqlite3_int64)mnemo_tm_key_hash(text, strlen(text)));
		CHECK_INT(sqlite3_step(s), SQLITE_DONE);
		sqlite3_finalize(s);
	}
	sqlite3_prepare_v2(conn,
			   "INSERT INTO change (seq, op, unit_id, at, unit) "
			   "VALUES (?, 1, ?, 1650000000000, ?)",
			   -1, &s, NULL);
	sqlite3_bind_int64(s, 1, (sqlite3_int64)seq);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)id);
	sqlite3_bind_blob(s, 3, body, (int)len, SQLITE_TRANSIENT);
	CHECK_INT(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);
}

static void
make_v1_file(const char *name)
{
	sqlite3 *conn = NULL;
	char path[128];

	db_path(path, sizeof(path), name);
	CHECK_INT(sqlite3_open(path, &conn), SQLITE_OK);
	/* as version 1 ran: a unit's variants go with it */
	CHECK_INT(sqlite3_exec(conn, "PRAGMA foreign_keys = ON", NULL, NULL, NULL), SQLITE_OK);
	CHECK_INT(sqlite3_exec(conn, schema_v1, NULL, NULL, NULL), SQLITE_OK);
	CHECK_INT(sqlite3_exec(conn, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
	v1_add(conn, 1, 1,
	       KV("fr", "Le chat dort sur le canapé.", "en", "The cat sleeps on the sofa."));
	v1_add(conn, 2, 2,
	       KV("de", "Der Hund schläft.", "en", "The dog sleeps.", "fr", "Le chien dort."));
	/* unit 3, added then deleted: its id is never given again */
	v1_add(conn, 3, 3, KV("fr", "Supprimé.", "en", "Deleted."));
	CHECK_INT(sqlite3_exec(conn,
			       "DELETE FROM unit WHERE id = 3;"
			       "INSERT INTO change (seq, op, unit_id, at, unit) "
			       "VALUES (4, 3, 3, 1650000000001, x'0803');"
			       "COMMIT",
			       NULL, NULL, NULL),
		  SQLITE_OK);
	sqlite3_close(conn);
}

static void
test_migration(void)
{
	struct store_db *db;
	Mnemo__UnitWriteReply *wr;
	Mnemo__Unit *u;
	char path[128];
	struct job j;
	int r;

	make_v1_file("v1");
	db = open_db("v1");
	if (db == NULL) {
		remove_db("v1");
		return;
	}
	CHECK_INT(sql_int("v1", "PRAGMA user_version"), 4);
	CHECK_INT(store_db_last_seq(db), 4);
	u = get_unit(db, 2);
	CHECK_STR(variant(u, "de"), "Der Hund schläft.");
	CHECK(u->n_markup == 0 && u->context[0] == '\0' && u->usage_count == 0);

	/* Its units are in the concordance index... */
	CHECK_STR(search(db, "dort", NULL), "1:fr 2:fr");
	CHECK_STR(search(db, "sleeps", "en"), "1:en 2:en");
	CHECK_STR(search(db, "schlaft", NULL), "2:de");
	CHECK_STR(search(db, "supprime", NULL), "");
	CHECK_STR(hits(concordance(db, "canape", "fr", "en", 0, 0)), "1:fr");
	/* ...and duplicates of them are found, in any order of their languages */
	wr = written(db, add_env(&arena, 1,
				 new_unit(&arena, KV("en", "The cat sleeps on the sofa.", "fr",
						     "Le chat dort sur le canapé."))),
		     &j);
	CHECK(wr->unit == 1 && wr->seq == 1 && j.update == NULL);
	wr = written(db,
		     add_env(&arena, 2,
			     new_unit(&arena, KV("fr", "Le chien dort.", "en", "The dog sleeps.",
						 "de", "Der Hund schläft."))),
		     &j);
	CHECK(wr->unit == 2 && wr->seq == 2 && j.update == NULL);
	/* Not a duplicate without all its languages; new units and seqs follow the old ones */
	wr = written(db,
		     add_env(&arena, 3,
			     new_unit(&arena, KV("fr", "Le chien dort.", "en", "The dog sleeps."))),
		     &j);
	CHECK(wr->unit == 4 && wr->seq == 5 && j.update != NULL);
	/* An old unit updated leaves the index by its old text */
	written(db,
		update_req(&arena, 4, NULL, 1, KV("fr", "Le chat mange.", "en", "The cat eats."),
			   NULL),
		&j);
	CHECK_STR(search(db, "canape", NULL), "");
	CHECK_STR(search(db, "chat", NULL), "1:fr");
	written(db, delete_req(&arena, 5, NULL, 2), &j);
	CHECK_STR(search(db, "dort", NULL), "4:fr");
	store_db_close(db);

	/* Opened again: nothing more to do */
	db = open_db("v1");
	CHECK(db != NULL && store_db_last_seq(db) == 7);
	store_db_close(db);
	check_consistent("v1");
	remove_db("v1");

	/* A file from a newer mnemo is left alone */
	sql_exec("v9", "CREATE TABLE future (x); PRAGMA user_version = 5");
	db_path(path, sizeof(path), "v9");
	db = NULL;
	r = store_db_open(path, 0, 0, &limits, &db);
	CHECK_INT(r, -ENOTSUP);
	CHECK(db == NULL);
	CHECK_INT(sql_int("v9", "PRAGMA user_version"), 5);
	CHECK_INT(sql_int("v9", "SELECT count(*) FROM sqlite_master WHERE name = 'unit'"), 0);
	remove_db("v9");
	mnemo_arena_reset(&arena);
}

int
main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/mnemo-test-store-XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	mnemo_log_set_level(MNEMO_LOG_ERR);
	mnemo_arena_init(&arena, 256u << 20);
	test_open();
	test_crud();
	test_idempotency();
	test_ids();
	test_validation();
	test_not_found();
	test_paging();
	test_groups();
	test_two_writers();
	test_duplicates();
	test_fields();
	test_markup();
	test_use();
	test_concordance();
	test_import_commit();
	test_import_backlog();
	test_import_duplicates();
	test_import_abort();
	test_import_bad_batch();
	test_import_resend();
	test_import_checks();
	test_import_expire();
	test_import_in_group();
	test_migration();
	mnemo_arena_fini(&arena);
	CHECK_MSG(rmdir(dir) == 0, "%s not empty", dir);
	return check_exit();
}
