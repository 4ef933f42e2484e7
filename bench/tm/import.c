/* mnemo-tmimport: mnemo's import of the translation-memory benchmark's memory, at the store's
 * level (bench/tm/README.md). The path a TMX import takes once the gateway has its batches:
 *
 *   1. the first --units units of memory.tsv become UnitAddRequests (variants en and the
 *      target language, origin, context), --batch of them per ImportRequest, as a client
 *      sends them; each Envelope is encoded (mnemo_msg_encode) and decoded as the store's
 *      server thread does (mnemo_msg_decode: the limits, UTF-8 and NUL checks);
 *   2. each batch is written as the store's writer writes one request: its own
 *      transaction (store_db_begin, store_db_reload_seq, a savepoint, store_db_write,
 *      release, store_db_commit) on a database opened fresh with synchronous FULL;
 *   3. then the commit request (commit set, no units), which makes every staged unit a
 *      unit in one transaction.
 *
 * Everything from opening the database to the commit's COMMIT is timed; the phases are
 * timed too, so that a slow import says where. Then, timed apart, what the service does
 * after it in the background: drop the staged batches, index the concordance backlog (the
 * units the import added, in chunks of STORE_DB_BACKLOG_CHUNK), and checkpoint the WAL.
 * Prints one tab-separated
 * record:
 *   storeimport N seconds units/s encode-s decode-s stage-s commit-s db-MiB added skipped
 *     backlog-s checkpoint-s
 * The database is left at --db (the service's ready-time measurement opens it). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nng/nng.h>

#include "arena.h"
#include "db.h"
#include "msg.h"
#include "tmdata.h"

static void
die(const char *what, const char *detail)
{
	fprintf(stderr, "mnemo-tmimport: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	exit(1);
}

static void
die_fault(const char *what, int r, const struct mnemo_fault *f)
{
	fprintf(stderr, "mnemo-tmimport: %s: %s (%s%s%s)\n", what, strerror(-r), f->message,
		f->field[0] ? ", field " : "", f->field);
	exit(1);
}

static double
file_mib(const char *path)
{
	const char *suffix[] = {"", "-wal"};
	double n = 0;

	for (size_t i = 0; i < 2; i++) {
		char p[4200];
		struct stat st;

		snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
		if (stat(p, &st) == 0) {
			n += (double)st.st_size;
		}
	}
	return n / 1048576.0;
}

static void
remove_db(const char *path)
{
	const char *suffix[] = {"", "-wal", "-shm"};

	for (size_t i = 0; i < 3; i++) {
		char p[4200];

		snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
		unlink(p);
	}
}

/* A client's batch: the protobuf structs of up to cap units, reused batch after batch. */
struct batch {
	Mnemo__UnitAddRequest *units;
	Mnemo__UnitAddRequest **unit_ptrs;
	Mnemo__UnitAddRequest__VariantsEntry *entries; /* 2 per unit */
	Mnemo__UnitAddRequest__VariantsEntry **entry_ptrs;
	size_t cap;
};

static void
batch_init(struct batch *b, size_t cap)
{
	b->cap = cap;
	b->units = calloc(cap, sizeof(*b->units));
	b->unit_ptrs = calloc(cap, sizeof(*b->unit_ptrs));
	b->entries = calloc(2 * cap, sizeof(*b->entries));
	b->entry_ptrs = calloc(2 * cap, sizeof(*b->entry_ptrs));
	if (!b->units || !b->unit_ptrs || !b->entries || !b->entry_ptrs) {
		die("out of memory", NULL);
	}
}

static void
batch_fini(struct batch *b)
{
	free(b->units);
	free(b->unit_ptrs);
	free(b->entries);
	free(b->entry_ptrs);
}

/* Fills the batch with units[0..n) (n <= cap); req gets them. */
static void
batch_fill(struct batch *b, const struct tm_unit *units, size_t n, Mnemo__ImportRequest *req)
{
	for (size_t i = 0; i < n; i++) {
		const struct tm_unit *t = &units[i];
		Mnemo__UnitAddRequest *u = &b->units[i];
		Mnemo__UnitAddRequest__VariantsEntry *e = &b->entries[2 * i];

		mnemo__unit_add_request__init(u);
		mnemo__unit_add_request__variants_entry__init(&e[0]);
		mnemo__unit_add_request__variants_entry__init(&e[1]);
		e[0].key = (char *)t->src_lang;
		e[0].value = (char *)t->source;
		e[1].key = (char *)t->tgt_lang;
		e[1].value = (char *)t->target;
		b->entry_ptrs[2 * i] = &e[0];
		b->entry_ptrs[2 * i + 1] = &e[1];
		u->variants = &b->entry_ptrs[2 * i];
		u->n_variants = 2;
		u->origin = (char *)t->origin;
		u->context = (char *)t->context;
		b->unit_ptrs[i] = u;
	}
	req->units = b->unit_ptrs;
	req->n_units = n;
}

struct timing {
	double encode, decode, stage, commit;
};

/* One request through the wire format and the store's writer, as one group of one. */
static void
send_request(struct store_db *db, const Mnemo__Envelope *env, struct mnemo_arena *arena,
	     struct timing *t, double *phase, Mnemo__ImportReply **ret_reply)
{
	struct mnemo_fault f;
	Mnemo__Envelope *req, reply;
	Mnemo__Update *update = NULL;
	nng_msg *msg = NULL;
	double t0 = tm_now_s(), t1, t2;
	int r;

	mnemo_fault_clear(&f);
	r = mnemo_msg_encode(env, mnemo_msg_internal_limits.max_message_bytes, &msg);
	if (r < 0) {
		die("mnemo_msg_encode", strerror(-r));
	}
	t1 = tm_now_s();
	r = mnemo_msg_decode(nng_msg_body(msg), nng_msg_len(msg), &mnemo_msg_internal_limits,
			     arena, &req, &f);
	if (r < 0) {
		die_fault("mnemo_msg_decode", r, &f);
	}
	t2 = tm_now_s();
	mnemo_msg_envelope_init(&reply, req->request_id);
	r = store_db_begin(db);
	if (r == 0) {
		r = store_db_reload_seq(db);
	}
	if (r == 0) {
		r = store_db_savepoint(db);
	}
	if (r == 0) {
		r = store_db_write(db, req, arena, &reply, &update, &f);
		if (r < 0) {
			die_fault("store_db_write", r, &f);
		}
		r = store_db_release(db);
	}
	if (r == 0) {
		r = store_db_commit(db);
	}
	if (r < 0) {
		die("the import's transaction", strerror(-r));
	}
	nng_msg_free(msg);
	if (reply.body_case != MNEMO__ENVELOPE__BODY_IMPORT_REPLY) {
		die("the store did not answer with an ImportReply", NULL);
	}
	*ret_reply = reply.import_reply;
	t->encode += t1 - t0;
	t->decode += t2 - t1;
	*phase += tm_now_s() - t2;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: mnemo-tmimport --memory FILE --units N --db PATH [--batch N] [--normal]\n"
		   "Imports the first N units of the memory into a new store database at PATH in\n"
		   "ImportRequest batches of N units (default 2000), then commits the import;\n"
		   "synchronous FULL unless --normal. See the header of bench/tm/import.c.\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"memory", required_argument, NULL, 'm'}, {"units", required_argument, NULL, 'n'},
		{"db", required_argument, NULL, 'd'},     {"batch", required_argument, NULL, 'b'},
		{"normal", no_argument, NULL, 'N'},       {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	const char *memory = NULL, *db_path = NULL;
	size_t n_units = 0, batch_units = 2000;
	int c, sync_full = 1, r;
	struct store_db_limits lim = {1u << 20, 64, 256}; /* the store's (store.c) */
	struct tm_data d = {0};
	struct timing t = {0};
	struct mnemo_arena arena;
	struct store_db *db;
	struct batch b;
	Mnemo__ImportReply *rep = NULL;
	char import_id[64];
	double t0, t1, t2, t3;
	size_t batches = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			memory = optarg;
			break;
		case 'n':
			n_units = strtoul(optarg, NULL, 10);
			break;
		case 'd':
			db_path = optarg;
			break;
		case 'b':
			batch_units = strtoul(optarg, NULL, 10);
			break;
		case 'N':
			sync_full = 0;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!memory || !db_path || n_units == 0 || batch_units == 0 || optind != argc) {
		usage(stderr);
		return 2;
	}
	tm_load_memory(&d, memory, n_units);
	if (d.n_units < n_units) {
		die("the memory is smaller than --units", memory);
	}
	batch_init(&b, batch_units);
	mnemo_arena_init(&arena, mnemo_msg_arena_limit(&mnemo_msg_internal_limits));
	snprintf(import_id, sizeof(import_id), "tmbench-%zu", n_units);
	remove_db(db_path);

	t0 = tm_now_s();
	r = store_db_open(db_path, 0, sync_full, &lim, &db);
	if (r < 0) {
		die("store_db_open", strerror(-r));
	}
	for (size_t i = 0; i < d.n_units; i += batch_units) {
		Mnemo__Envelope env;
		Mnemo__ImportRequest req = MNEMO__IMPORT_REQUEST__INIT;
		size_t n = d.n_units - i < batch_units ? d.n_units - i : batch_units;

		mnemo_msg_envelope_init(&env, mnemo_msg_new_request_id());
		req.import_id = import_id;
		batch_fill(&b, &d.units[i], n, &req);
		mnemo_msg_set_body(&env, MNEMO__ENVELOPE__BODY_IMPORT_REQUEST, &req.base);
		send_request(db, &env, &arena, &t, &t.stage, &rep);
		if (rep->received != i + n) {
			die("the store holds another number of units than were sent", NULL);
		}
		mnemo_arena_reset(&arena);
		batches++;
	}
	{
		Mnemo__Envelope env;
		Mnemo__ImportRequest req = MNEMO__IMPORT_REQUEST__INIT;

		mnemo_msg_envelope_init(&env, mnemo_msg_new_request_id());
		req.import_id = import_id;
		req.commit = 1;
		mnemo_msg_set_body(&env, MNEMO__ENVELOPE__BODY_IMPORT_REQUEST, &req.base);
		send_request(db, &env, &arena, &t, &t.commit, &rep);
	}
	t1 = tm_now_s();

	/* What the service does next, in the background: the writer drops the staged batches
	 * and indexes the concordance backlog between its groups, the checkpoint thread copies
	 * the WAL into the file. */
	for (int more = 1, first = 1; more; first = 0) {
		r = store_db_begin(db);
		r = r == 0 && first ? store_db_drop_committed_batches(db) : r;
		r = r == 0 ? store_db_index_backlog(db, STORE_DB_BACKLOG_CHUNK, &more) : r;
		r = r >= 0 ? store_db_commit(db) : r;
		if (r < 0) {
			die("indexing the concordance backlog", strerror(-r));
		}
	}
	t2 = tm_now_s();
	for (int left = 1; left > 0;) {
		r = store_db_checkpoint(db, &left);
		if (r < 0) {
			die("checkpoint", strerror(-r));
		}
	}
	t3 = tm_now_s();

	fprintf(stderr,
		"mnemo-tmimport: %zu units in %zu batches: added %" PRIu64 ", skipped %" PRIu64
		", changes %" PRIu64 "-%" PRIu64 "\n",
		d.n_units, batches, rep->added, rep->skipped, rep->first_seq, rep->last_seq);
	printf("storeimport\t%zu\t%.3f\t%.0f\t%.3f\t%.3f\t%.3f\t%.3f\t%.1f\t%" PRIu64 "\t%" PRIu64
	       "\t%.3f\t%.3f\n",
	       d.n_units, t1 - t0, (double)d.n_units / (t1 - t0), t.encode, t.decode, t.stage,
	       t.commit, file_mib(db_path), rep->added, rep->skipped, t2 - t1, t3 - t2);
	mnemo_arena_reset(&arena);
	store_db_close(db);
	mnemo_arena_fini(&arena);
	batch_fini(&b);
	tm_data_free(&d);
	return 0;
}
