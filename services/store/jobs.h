/* Batch alignment jobs in the store's database: each document pair a row with its state,
 * handed to one runner at a time under a lease that expires, so a runner that dies loses
 * nothing and a document is given up (failed, with the reason) after MAX attempts rather
 * than block its job. Writes run on the writer connection inside its transaction. */
#pragma once

#include <sqlite3.h>
#include <stdint.h>

#include "arena.h"
#include "mnemo.pb-c.h"
#include "msg.h"

/* The tables (schema version 4). */
extern const char store_jobs_schema[];

/* A document is given up after this many leases that ended without an answer, or
 * answers asking to retry. */
enum { STORE_JOBS_MAX_ATTEMPTS = 3 };

/* Writes: JobAddRequest -> JobStatus, JobLeaseRequest -> JobLeaseReply, JobDoneRequest ->
 * JobDoneReply. at: now, Unix ms. 0, or a negative errno with f set. */
int store_jobs_write(sqlite3 *db, const Mnemo__Envelope *req, int64_t at,
		     struct mnemo_arena *arena, Mnemo__Envelope *reply, struct mnemo_fault *f);
/* Reads: JobGetRequest -> JobStatus, JobResultRequest -> JobResultReply. */
int store_jobs_read(sqlite3 *db, const Mnemo__Envelope *req, struct mnemo_arena *arena,
		    Mnemo__Envelope *reply, struct mnemo_fault *f);
