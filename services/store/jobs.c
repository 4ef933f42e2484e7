/* Batch alignment jobs: documents, their leases, their outcomes. */
#include "jobs.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

enum { QUEUED = 0, RUNNING = 1, DONE = 2, FAILED = 3 };
enum { MAX_ID_BYTES = 128, MAX_NAME_BYTES = 256, MAX_FAILURES = 1000, RESULT_MAX = 1000,
       RESULT_DEFAULT = 100, RETRY_BACKOFF_MS = 1000 };

const char store_jobs_schema[] =
	"CREATE TABLE job (\n"
	"  id TEXT PRIMARY KEY,\n"
	"  spec BLOB NOT NULL,\n"           /* the JobAddRequest that made it, without documents */
	"  open INTEGER NOT NULL,\n"        /* documents still to come */
	"  created_at INTEGER NOT NULL,\n"
	"  finished_at INTEGER NOT NULL DEFAULT 0\n"
	");\n"
	"CREATE TABLE job_doc (\n"
	"  job_id TEXT NOT NULL REFERENCES job(id) ON DELETE CASCADE,\n"
	"  n INTEGER NOT NULL,\n"           /* from 1, in the order added */
	"  name TEXT NOT NULL,\n"
	"  request BLOB NOT NULL,\n"        /* the AlignRequest, ready to send */
	"  state INTEGER NOT NULL DEFAULT 0,\n"
	"  attempts INTEGER NOT NULL DEFAULT 0,\n"
	"  lease TEXT,\n"
	"  lease_until INTEGER NOT NULL DEFAULT 0,\n"
	"  not_before INTEGER NOT NULL DEFAULT 0,\n"
	"  error BLOB,\n"                   /* an Error, when failed */
	"  result BLOB,\n"                  /* the AlignReply, when done */
	"  pairs INTEGER NOT NULL DEFAULT 0,\n"
	"  stored INTEGER NOT NULL DEFAULT 0,\n"
	"  PRIMARY KEY (job_id, n)\n"
	") WITHOUT ROWID;\n"
	"CREATE UNIQUE INDEX job_doc_name ON job_doc(job_id, name);\n"
	"CREATE INDEX job_doc_todo ON job_doc(state, not_before) WHERE state < 2;\n";

static int
sql_err(sqlite3 *db, int rc, struct mnemo_fault *f)
{
	if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE) {
		return 0;
	}
	mnemo_fault_set(f, (rc & 0xff) == SQLITE_FULL ? MNEMO__ERROR_CODE__ERROR_CODE_UNAVAILABLE
						      : MNEMO__ERROR_CODE__ERROR_CODE_INTERNAL,
			"", -1, "jobs: %s", sqlite3_errmsg(db));
	return (rc & 0xff) == SQLITE_BUSY ? -EBUSY : -EIO;
}

static sqlite3_stmt *
prepare(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s = NULL;

	return sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK ? s : NULL;
}

/* Runs s to its end and finalizes it. */
static int
finish(sqlite3 *db, sqlite3_stmt *s, struct mnemo_fault *f)
{
	int rc = s != NULL ? sqlite3_step(s) : SQLITE_NOMEM;

	sqlite3_finalize(s);
	return sql_err(db, rc, f);
}

static void *
pack(struct mnemo_arena *arena, const ProtobufCMessage *m, size_t *ret_len)
{
	size_t len = protobuf_c_message_get_packed_size(m);
	uint8_t *buf = mnemo_arena_alloc(arena, len + 1);

	if (buf != NULL) {
		*ret_len = protobuf_c_message_pack(m, buf);
	}
	return buf;
}

/* Unpacks a column's blob into arena (protobuf-c allocates through it). */
static void *
arena_alloc_cb(void *a, size_t n)
{
	return mnemo_arena_alloc(a, n);
}

static void
arena_free_cb(void *a, void *p)
{
	(void)a;
	(void)p;
}

static ProtobufCMessage *
unpack_column(sqlite3_stmt *s, int col, const ProtobufCMessageDescriptor *d,
	      struct mnemo_arena *arena)
{
	ProtobufCAllocator alloc = {arena_alloc_cb, arena_free_cb, arena};
	const void *blob = sqlite3_column_blob(s, col);

	if (blob == NULL) {
		return NULL;
	}
	return protobuf_c_message_unpack(d, &alloc, (size_t)sqlite3_column_bytes(s, col), blob);
}

static char *
column_text(sqlite3_stmt *s, int col, struct mnemo_arena *arena)
{
	const char *t = (const char *)sqlite3_column_text(s, col);

	return mnemo_arena_strdup(arena, t != NULL ? t : "");
}

static int
valid_id(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > MAX_ID_BYTES) {
		return 0;
	}
	for (const char *p = id; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      strchr("._:-", *p) != NULL)) {
			return 0;
		}
	}
	return 1;
}

/* ---- status ---------------------------------------------------------------------------- */

static int
job_status(sqlite3 *db, const char *job_id, struct mnemo_arena *arena, Mnemo__JobStatus **ret,
	   struct mnemo_fault *f)
{
	Mnemo__JobStatus *st = mnemo_arena_alloc(arena, sizeof(*st));
	Mnemo__JobAddRequest *spec;
	sqlite3_stmt *s;
	int rc, open;

	if (st == NULL) {
		return -ENOMEM;
	}
	mnemo__job_status__init(st);
	s = prepare(db, "SELECT spec, open, created_at, finished_at FROM job WHERE id = ?1");
	if (s == NULL) {
		return sql_err(db, SQLITE_ERROR, f);
	}
	sqlite3_bind_text(s, 1, job_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(s);
		return rc == SQLITE_DONE ? mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_NOT_FOUND,
							   "job_id", -1, "no job '%s'", job_id)
					 : sql_err(db, rc, f);
	}
	spec = (Mnemo__JobAddRequest *)unpack_column(s, 0, &mnemo__job_add_request__descriptor,
						      arena);
	open = sqlite3_column_int(s, 1);
	st->created_at = sqlite3_column_int64(s, 2);
	st->finished_at = sqlite3_column_int64(s, 3);
	sqlite3_finalize(s);
	st->job_id = mnemo_arena_strdup(arena, job_id);
	if (spec == NULL || st->job_id == NULL) {
		return -ENOMEM;
	}
	st->source = spec->source;
	st->target = spec->target;
	st->store = spec->store;
	s = prepare(db, "SELECT state, count(*), sum(pairs), sum(stored) FROM job_doc "
			"WHERE job_id = ?1 GROUP BY state");
	if (s == NULL) {
		return sql_err(db, SQLITE_ERROR, f);
	}
	sqlite3_bind_text(s, 1, job_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		uint32_t count = (uint32_t)sqlite3_column_int64(s, 1);
		uint32_t *slot[] = {&st->queued, &st->running, &st->done, &st->failed};
		int state = sqlite3_column_int(s, 0);

		if (state >= QUEUED && state <= FAILED) {
			*slot[state] = count;
		}
		st->documents += count;
		st->pairs += (uint64_t)sqlite3_column_int64(s, 2);
		st->stored += (uint64_t)sqlite3_column_int64(s, 3);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		return sql_err(db, rc, f);
	}
	st->state = open ? "open" : st->queued + st->running > 0 ? "running" : "done";
	s = prepare(db, "SELECT n, name, error, attempts FROM job_doc WHERE job_id = ?1 AND "
			"state = 3 ORDER BY n LIMIT ?2");
	if (s == NULL) {
		return sql_err(db, SQLITE_ERROR, f);
	}
	sqlite3_bind_text(s, 1, job_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, MAX_FAILURES);
	st->failures = mnemo_arena_alloc(arena, (st->failed < MAX_FAILURES ? st->failed : MAX_FAILURES) *
							sizeof(*st->failures) + 1);
	if (st->failures == NULL) {
		sqlite3_finalize(s);
		return -ENOMEM;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && st->n_failures < MAX_FAILURES) {
		Mnemo__JobFailure *jf = mnemo_arena_alloc(arena, sizeof(*jf));

		if (jf == NULL) {
			sqlite3_finalize(s);
			return -ENOMEM;
		}
		mnemo__job_failure__init(jf);
		jf->document = (uint32_t)sqlite3_column_int64(s, 0);
		jf->name = column_text(s, 1, arena);
		jf->error = (Mnemo__Error *)unpack_column(s, 2, &mnemo__error__descriptor, arena);
		jf->attempts = (uint32_t)sqlite3_column_int(s, 3);
		st->failures[st->n_failures++] = jf;
	}
	sqlite3_finalize(s);
	*ret = st;
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : sql_err(db, rc, f);
}

/* A job whose last document ended, and that takes no more, is finished now. */
static int
maybe_finish(sqlite3 *db, const char *job_id, int64_t at, struct mnemo_fault *f)
{
	sqlite3_stmt *s = prepare(db, "UPDATE job SET finished_at = ?2 WHERE id = ?1 AND open = 0 "
				      "AND finished_at = 0 AND NOT EXISTS (SELECT 1 FROM job_doc "
				      "WHERE job_id = ?1 AND state < 2)");

	if (s != NULL) {
		sqlite3_bind_text(s, 1, job_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, at);
	}
	return finish(db, s, f);
}

/* ---- adding documents ------------------------------------------------------------------ */

static int
side_of(const Mnemo__AlignDocument *in, const char *lang, const char *name, const char *field,
	struct mnemo_arena *arena, Mnemo__AlignDocument **ret, struct mnemo_fault *f)
{
	Mnemo__AlignDocument *d = mnemo_arena_alloc(arena, sizeof(*d));

	if (in == NULL) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_MISSING_FIELD, field, -1,
				       "document '%s' has no %s", name, field + strlen("documents."));
	}
	if (d == NULL) {
		return -ENOMEM;
	}
	*d = *in;
	if (d->lang[0] == '\0') {
		d->lang = (char *)lang;
	}
	if (d->name[0] == '\0') {
		d->name = (char *)name;
	}
	*ret = d;
	return 0;
}

static int
add_document(sqlite3 *db, const char *job_id, const Mnemo__JobAddRequest *spec,
	     const Mnemo__JobDocument *doc, int64_t n, struct mnemo_arena *arena, int *ret_added,
	     struct mnemo_fault *f)
{
	Mnemo__AlignRequest ar = MNEMO__ALIGN_REQUEST__INIT;
	sqlite3_stmt *s;
	void *blob;
	size_t len = 0;
	int r, rc;

	*ret_added = 0;
	if (doc->name[0] == '\0' || strlen(doc->name) > MAX_NAME_BYTES) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE,
				       "documents.name", -1,
				       "every document needs a name of 1-%d bytes, unique in its job",
				       MAX_NAME_BYTES);
	}
	r = side_of(doc->source, spec->source, doc->name, "documents.source", arena, &ar.source, f);
	if (r == 0) {
		r = side_of(doc->target, spec->target, doc->name, "documents.target", arena,
			    &ar.target, f);
	}
	if (r < 0) {
		return r;
	}
	ar.store = spec->store;
	ar.min_score = spec->min_score;
	ar.project = spec->project;
	ar.domain = spec->domain;
	ar.origin = spec->origin[0] != '\0' ? spec->origin
					    : mnemo_arena_printf(arena, "job:%s:%s", job_id, doc->name);
	/* the key of its store: a document aligned again stores nothing twice */
	ar.request_id = mnemo_arena_printf(arena, "job:%s:%" PRId64, job_id, n);
	blob = ar.origin != NULL && ar.request_id != NULL ? pack(arena, &ar.base, &len) : NULL;
	if (blob == NULL) {
		return -ENOMEM;
	}
	s = prepare(db, "INSERT INTO job_doc (job_id, n, name, request) VALUES (?1, ?2, ?3, ?4) "
			"ON CONFLICT (job_id, name) DO NOTHING");
	if (s == NULL) {
		return sql_err(db, SQLITE_ERROR, f);
	}
	sqlite3_bind_text(s, 1, job_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, n);
	sqlite3_bind_text(s, 3, doc->name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 4, blob, (int)len, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	*ret_added = sqlite3_changes(db) > 0 && rc == SQLITE_DONE;
	return sql_err(db, rc, f);
}

static int
job_add(sqlite3 *db, const Mnemo__JobAddRequest *req, int64_t at, struct mnemo_arena *arena,
	Mnemo__JobStatus **ret, struct mnemo_fault *f)
{
	int creating = req->source[0] != '\0' || req->target[0] != '\0';
	Mnemo__JobAddRequest spec = *req;
	const char *job_id = req->job_id;
	int64_t next = 1;
	uint32_t added = 0;
	sqlite3_stmt *s;
	int r = 0, rc, open = -1;

	if (job_id[0] == '\0' && creating) {
		job_id = mnemo_arena_printf(arena, "job-%016" PRIx64, mnemo_msg_new_request_id());
		if (job_id == NULL) {
			return -ENOMEM;
		}
	}
	if (!valid_id(job_id)) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "job_id", -1,
				       "a job id is 1-%d bytes of letters, digits and . _ : -",
				       MAX_ID_BYTES);
	}
	if (creating && (req->source[0] == '\0' || req->target[0] == '\0')) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_MISSING_FIELD,
				       req->source[0] == '\0' ? "source" : "target", -1,
				       "a job needs both languages: source and target");
	}
	if (!(req->min_score >= 0 && req->min_score <= 1)) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "min_score",
				       -1, "min_score is a confidence from 0 to 1");
	}
	s = prepare(db, "SELECT open, spec FROM job WHERE id = ?1");
	if (s == NULL) {
		return sql_err(db, SQLITE_ERROR, f);
	}
	sqlite3_bind_text(s, 1, job_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		Mnemo__JobAddRequest *had = (Mnemo__JobAddRequest *)unpack_column(
			s, 1, &mnemo__job_add_request__descriptor, arena);

		open = sqlite3_column_int(s, 0);
		if (had == NULL) {
			rc = SQLITE_NOMEM;
		} else {
			spec = *had; /* its settings are the ones it was made with */
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		return sql_err(db, rc, f);
	}
	if (open < 0 && !creating) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_NOT_FOUND, "job_id", -1,
				       "no job '%s'", job_id);
	}
	if (open == 0 && req->n_documents > 0) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_CONFLICT, "job_id", -1,
				       "job '%s' takes no more documents (it was sent without "
				       "\"more\": true)",
				       job_id);
	}
	if (open < 0) {
		Mnemo__JobAddRequest bare = *req;
		size_t len = 0;
		void *blob;

		bare.job_id = (char *)job_id;
		bare.n_documents = 0;
		bare.documents = NULL;
		bare.more = 0;
		blob = pack(arena, &bare.base, &len);
		if (blob == NULL) {
			return -ENOMEM;
		}
		s = prepare(db, "INSERT INTO job (id, spec, open, created_at) VALUES (?1, ?2, 1, ?3)");
		if (s != NULL) {
			sqlite3_bind_text(s, 1, job_id, -1, SQLITE_STATIC);
			sqlite3_bind_blob(s, 2, blob, (int)len, SQLITE_STATIC);
			sqlite3_bind_int64(s, 3, at);
		}
		r = finish(db, s, f);
		spec = bare;
		open = 1;
	}
	s = r == 0 ? prepare(db, "SELECT coalesce(max(n), 0) + 1 FROM job_doc WHERE job_id = ?1")
		   : NULL;
	if (r == 0 && s != NULL) {
		sqlite3_bind_text(s, 1, job_id, -1, SQLITE_STATIC);
		if (sqlite3_step(s) == SQLITE_ROW) {
			next = sqlite3_column_int64(s, 0);
		}
	}
	sqlite3_finalize(s);
	for (size_t i = 0; r == 0 && i < req->n_documents; i++) {
		int one;

		r = add_document(db, job_id, &spec, req->documents[i], next, arena, &one, f);
		next += one;
		added += (uint32_t)one;
	}
	if (r == 0 && open == 1 && !req->more) {
		s = prepare(db, "UPDATE job SET open = 0 WHERE id = ?1");
		if (s != NULL) {
			sqlite3_bind_text(s, 1, job_id, -1, SQLITE_STATIC);
		}
		r = finish(db, s, f);
		r = r < 0 ? r : maybe_finish(db, job_id, at, f);
	}
	if (r == 0) {
		r = job_status(db, job_id, arena, ret, f);
	}
	if (r == 0) {
		(*ret)->added = added;
	}
	return r;
}

/* ---- leases ---------------------------------------------------------------------------- */

/* Fails a document for good: its error, and the job may be finished. */
static int
fail_document(sqlite3 *db, const char *job_id, int64_t n, const Mnemo__Error *e, int64_t at,
	      struct mnemo_arena *arena, struct mnemo_fault *f)
{
	sqlite3_stmt *s = prepare(db, "UPDATE job_doc SET state = 3, error = ?3, lease = NULL, "
				      "lease_until = 0 WHERE job_id = ?1 AND n = ?2");
	size_t len = 0;
	void *blob = pack(arena, &e->base, &len);
	int r;

	if (blob == NULL) {
		sqlite3_finalize(s);
		return -ENOMEM;
	}
	if (s != NULL) {
		sqlite3_bind_text(s, 1, job_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, n);
		sqlite3_bind_blob(s, 3, blob, (int)len, SQLITE_STATIC);
	}
	r = finish(db, s, f);
	return r < 0 ? r : maybe_finish(db, job_id, at, f);
}

static int
job_lease(sqlite3 *db, const Mnemo__JobLeaseRequest *req, int64_t at, struct mnemo_arena *arena,
	  Mnemo__JobLeaseReply **ret, struct mnemo_fault *f)
{
	Mnemo__JobLeaseReply *out = mnemo_arena_alloc(arena, sizeof(*out));
	uint32_t lease_ms = req->lease_ms != 0 ? req->lease_ms : 300000;

	if (out == NULL) {
		return -ENOMEM;
	}
	mnemo__job_lease_reply__init(out);
	*ret = out;
	for (;;) {
		sqlite3_stmt *s = prepare(db, "SELECT job_id, n, name, request, attempts, state "
					      "FROM job_doc WHERE (state = 0 AND not_before <= ?1) "
					      "OR (state = 1 AND lease_until <= ?1) "
					      "ORDER BY state DESC, not_before, job_id, n LIMIT 1");
		Mnemo__AlignRequest *ar;
		int64_t n;
		int attempts, rc, r;
		char *job_id, *lease;

		if (s == NULL) {
			return sql_err(db, SQLITE_ERROR, f);
		}
		sqlite3_bind_int64(s, 1, at);
		rc = sqlite3_step(s);
		if (rc != SQLITE_ROW) {
			sqlite3_finalize(s);
			return rc == SQLITE_DONE ? 0 : sql_err(db, rc, f);
		}
		job_id = column_text(s, 0, arena);
		n = sqlite3_column_int64(s, 1);
		out->name = column_text(s, 2, arena);
		ar = (Mnemo__AlignRequest *)unpack_column(s, 3, &mnemo__align_request__descriptor,
							  arena);
		attempts = sqlite3_column_int(s, 4);
		sqlite3_finalize(s);
		if (job_id == NULL || out->name == NULL || ar == NULL) {
			return -ENOMEM;
		}
		if (attempts >= STORE_JOBS_MAX_ATTEMPTS) {
			/* the dead letter: its runners died or timed out every time */
			Mnemo__Error e = MNEMO__ERROR__INIT;

			e.code = MNEMO__ERROR_CODE__ERROR_CODE_UNAVAILABLE;
			e.offset = -1;
			e.message = mnemo_arena_printf(arena,
						       "given up after %d attempts: the runner "
						       "holding it never answered (it died or timed "
						       "out each time)",
						       attempts);
			r = e.message != NULL ? fail_document(db, job_id, n, &e, at, arena, f)
					      : -ENOMEM;
			if (r < 0) {
				return r;
			}
			continue;
		}
		lease = mnemo_arena_printf(arena, "%016" PRIx64, mnemo_msg_new_request_id());
		s = prepare(db, "UPDATE job_doc SET state = 1, attempts = attempts + 1, lease = ?3, "
				"lease_until = ?4 WHERE job_id = ?1 AND n = ?2");
		if (s != NULL && lease != NULL) {
			sqlite3_bind_text(s, 1, job_id, -1, SQLITE_STATIC);
			sqlite3_bind_int64(s, 2, n);
			sqlite3_bind_text(s, 3, lease, -1, SQLITE_STATIC);
			sqlite3_bind_int64(s, 4, at + lease_ms);
		}
		r = lease != NULL ? finish(db, s, f) : (sqlite3_finalize(s), -ENOMEM);
		if (r < 0) {
			return r;
		}
		out->job_id = job_id;
		out->document = (uint32_t)n;
		out->attempt = (uint32_t)attempts + 1;
		out->lease = lease;
		out->request = ar;
		return 0;
	}
}

static int
job_done(sqlite3 *db, const Mnemo__JobDoneRequest *req, int64_t at, struct mnemo_arena *arena,
	 Mnemo__JobDoneReply **ret, struct mnemo_fault *f)
{
	Mnemo__JobDoneReply *out = mnemo_arena_alloc(arena, sizeof(*out));
	sqlite3_stmt *s;
	int attempts = 0, rc, r;

	if (out == NULL) {
		return -ENOMEM;
	}
	mnemo__job_done_reply__init(out);
	*ret = out;
	if ((req->result == NULL) == (req->error == NULL)) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_REQUEST, "result", -1,
				       "a document is done with a result or an error");
	}
	s = prepare(db, "SELECT attempts FROM job_doc WHERE job_id = ?1 AND n = ?2 AND state = 1 "
			"AND lease = ?3");
	if (s == NULL) {
		return sql_err(db, SQLITE_ERROR, f);
	}
	sqlite3_bind_text(s, 1, req->job_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, req->document);
	sqlite3_bind_text(s, 3, req->lease, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		attempts = sqlite3_column_int(s, 0);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW) {
		return rc == SQLITE_DONE ? 0 : sql_err(db, rc, f); /* not ours any more */
	}
	out->accepted = 1;
	if (req->error != NULL && (!req->retry || attempts >= STORE_JOBS_MAX_ATTEMPTS)) {
		return fail_document(db, req->job_id, req->document, req->error, at, arena, f);
	}
	if (req->error != NULL) {
		s = prepare(db, "UPDATE job_doc SET state = 0, lease = NULL, lease_until = 0, "
				"not_before = ?3 WHERE job_id = ?1 AND n = ?2");
		if (s != NULL) {
			sqlite3_bind_int64(s, 3, at + (int64_t)RETRY_BACKOFF_MS * attempts);
		}
	} else {
		uint64_t pairs = 0;
		size_t len = 0;
		void *blob = pack(arena, &req->result->base, &len);

		for (size_t i = 0; i < req->result->n_pairs; i++) {
			pairs += req->result->pairs[i]->n_source_ids > 0 &&
				 req->result->pairs[i]->n_target_ids > 0;
		}
		s = prepare(db, "UPDATE job_doc SET state = 2, lease = NULL, lease_until = 0, "
				"result = ?3, pairs = ?4, stored = ?5 WHERE job_id = ?1 AND n = ?2");
		if (s != NULL && blob != NULL) {
			sqlite3_bind_blob(s, 3, blob, (int)len, SQLITE_STATIC);
			sqlite3_bind_int64(s, 4, (int64_t)pairs);
			sqlite3_bind_int64(s, 5, (int64_t)req->result->stored);
		}
	}
	if (s != NULL) {
		sqlite3_bind_text(s, 1, req->job_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, req->document);
	}
	r = finish(db, s, f);
	return r < 0 ? r : maybe_finish(db, req->job_id, at, f);
}

/* ---- results --------------------------------------------------------------------------- */

static int
job_result(sqlite3 *db, const Mnemo__JobResultRequest *req, struct mnemo_arena *arena,
	   Mnemo__JobResultReply **ret, struct mnemo_fault *f)
{
	static const char *const states[] = {"queued", "running", "done", "failed"};
	Mnemo__JobResultReply *out = mnemo_arena_alloc(arena, sizeof(*out));
	uint32_t max = req->max != 0 ? req->max : RESULT_DEFAULT;
	Mnemo__JobStatus *st;
	sqlite3_stmt *s;
	int rc, r;

	if (max > RESULT_MAX) {
		return mnemo_fault_set(f, MNEMO__ERROR_CODE__ERROR_CODE_INVALID_VALUE, "max", -1,
				       "max is 1-%d (0: %d)", RESULT_MAX, RESULT_DEFAULT);
	}
	r = job_status(db, req->job_id, arena, &st, f); /* an unknown job is NOT_FOUND */
	if (r < 0) {
		return r;
	}
	if (out == NULL) {
		return -ENOMEM;
	}
	mnemo__job_result_reply__init(out);
	out->documents = mnemo_arena_alloc(arena, (max + 1) * sizeof(*out->documents));
	s = prepare(db, "SELECT n, name, state, error, result FROM job_doc WHERE job_id = ?1 "
			"AND n > ?2 ORDER BY n LIMIT ?3");
	if (s == NULL || out->documents == NULL) {
		sqlite3_finalize(s);
		return s == NULL ? sql_err(db, SQLITE_ERROR, f) : -ENOMEM;
	}
	sqlite3_bind_text(s, 1, req->job_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, req->after);
	sqlite3_bind_int(s, 3, (int)max + 1);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		Mnemo__JobDocumentResult *d;
		int state = sqlite3_column_int(s, 2);

		if (out->n_documents == max) {
			out->more = 1;
			break;
		}
		d = mnemo_arena_alloc(arena, sizeof(*d));
		if (d == NULL) {
			sqlite3_finalize(s);
			return -ENOMEM;
		}
		mnemo__job_document_result__init(d);
		d->document = (uint32_t)sqlite3_column_int64(s, 0);
		d->name = column_text(s, 1, arena);
		d->state = (char *)states[state >= QUEUED && state <= FAILED ? state : QUEUED];
		d->error = (Mnemo__Error *)unpack_column(s, 3, &mnemo__error__descriptor, arena);
		d->result = (Mnemo__AlignReply *)unpack_column(s, 4, &mnemo__align_reply__descriptor,
							       arena);
		out->documents[out->n_documents++] = d;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		return sql_err(db, rc, f);
	}
	*ret = out;
	return 0;
}

int
store_jobs_write(sqlite3 *db, const Mnemo__Envelope *req, int64_t at, struct mnemo_arena *arena,
		 Mnemo__Envelope *reply, struct mnemo_fault *f)
{
	switch (req->body_case) {
	case MNEMO__ENVELOPE__BODY_JOB_ADD_REQUEST:
		reply->body_case = MNEMO__ENVELOPE__BODY_JOB_STATUS;
		return job_add(db, req->job_add_request, at, arena, &reply->job_status, f);
	case MNEMO__ENVELOPE__BODY_JOB_LEASE_REQUEST:
		reply->body_case = MNEMO__ENVELOPE__BODY_JOB_LEASE_REPLY;
		return job_lease(db, req->job_lease_request, at, arena, &reply->job_lease_reply, f);
	case MNEMO__ENVELOPE__BODY_JOB_DONE_REQUEST:
		reply->body_case = MNEMO__ENVELOPE__BODY_JOB_DONE_REPLY;
		return job_done(db, req->job_done_request, at, arena, &reply->job_done_reply, f);
	default:
		return -EINVAL;
	}
}

int
store_jobs_read(sqlite3 *db, const Mnemo__Envelope *req, struct mnemo_arena *arena,
		Mnemo__Envelope *reply, struct mnemo_fault *f)
{
	switch (req->body_case) {
	case MNEMO__ENVELOPE__BODY_JOB_GET_REQUEST:
		reply->body_case = MNEMO__ENVELOPE__BODY_JOB_STATUS;
		return job_status(db, req->job_get_request->job_id, arena, &reply->job_status, f);
	case MNEMO__ENVELOPE__BODY_JOB_RESULT_REQUEST:
		reply->body_case = MNEMO__ENVELOPE__BODY_JOB_RESULT_REPLY;
		return job_result(db, req->job_result_request, arena, &reply->job_result_reply, f);
	default:
		return -EINVAL;
	}
}
