/* mnemo watch: every change to the memory, live, one JSON line each. Lossless: it asks for
 * the changes after the last seq it printed (a long poll), so nothing falls in between. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
	"Usage: mnemo watch [--since SEQ] [--count N]\n"
	"\n"
	"Prints every change after SEQ (default: only new ones), one JSON object per line:\n"
	"{\"seq\":N,\"op\":\"add\"|\"update\"|\"delete\",\"unit\":{...}}. Runs until\n"
	"interrupted, or until N changes are printed.\n"
	"\n"
	"Examples:\n"
	"  mnemo watch --url http://127.0.0.1:8700\n"
	"  mnemo watch --since 0 --count 10\n"
	"\n";

enum { OPT_SINCE = OPT_FIRST_OWN, OPT_COUNT, WAIT_MS = 25000 };

static int
parse_u64(const char *s, uint64_t *ret)
{
	char *end;

	if (*s < '0' || *s > '9') {
		return -1;
	}
	*ret = strtoull(s, &end, 10);
	return *end == '\0' ? 0 : -1;
}

int
cmd_watch(int argc, char **argv)
{
	static const struct option options[] = {
		CLI_COMMON_OPTIONS,
		{"since", required_argument, NULL, OPT_SINCE},
		{"count", required_argument, NULL, OPT_COUNT},
		{NULL, 0, NULL, 0},
	};
	uint64_t since = 0, count = 0, printed = 0;
	int has_since = 0, opt, status, rc = 0;
	struct client *c;
	struct cli cli;

	if (cli_init(&cli, argc, argv, "warn") < 0) {
		return cli_fail("%s", cli.err);
	}
	while ((opt = cli_getopt(&cli, argc, argv, options, usage)) != -1) {
		if (opt == OPT_SINCE && parse_u64(optarg, &since) == 0) {
			has_since = 1;
		} else if (opt == OPT_COUNT && parse_u64(optarg, &count) == 0) {
			continue;
		} else {
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind != argc || cli_finish(&cli) < 0) {
		fputs(usage, stderr);
		return 2;
	}
	if (client_open(&cli, EMBED_STORE, &c) < 0) {
		return cli_fail("%s", cli.err);
	}
	while (rc == 0 && (count == 0 || printed < count)) {
		char path[128], buf[1024];
		json_t *reply, *updates, *u;
		size_t i;

		/* Without --since, start from now: one look at the end of the log. */
		snprintf(path, sizeof(path), "/v1/updates?since=%" PRIu64 "&max=%d&wait_ms=%d",
			 since, has_since ? 1000 : 1, has_since ? WAIT_MS : 0);
		if (client_call(c, "GET", path, NULL, &status, &reply, cli.err, sizeof(cli.err)) <
		    0) {
			rc = cli_fail("%s", cli.err);
			break;
		}
		if (status / 100 != 2) {
			rc = cli_fail("%s", client_error_text(reply, buf, sizeof(buf)));
			json_decref(reply);
			break;
		}
		if (!has_since) {
			since = (uint64_t)json_integer_value(json_object_get(reply, "last_seq"));
			has_since = 1;
			json_decref(reply);
			continue;
		}
		updates = json_object_get(reply, "updates");
		json_array_foreach(updates, i, u) {
			char *s = json_dumps(u, JSON_COMPACT);

			if (count != 0 && printed >= count) {
				free(s);
				break;
			}
			puts(s != NULL ? s : "{}");
			free(s);
			since = (uint64_t)json_integer_value(json_object_get(u, "seq"));
			printed++;
		}
		fflush(stdout);
		json_decref(reply);
	}
	client_close(c);
	return rc;
}
