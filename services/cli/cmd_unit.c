/* mnemo unit: add, get, update and delete translation units. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
	"Usage: mnemo unit add [--meta KEY=VALUE]... [--request-id ID] LANG=TEXT LANG=TEXT...\n"
	"       mnemo unit get ID\n"
	"       mnemo unit update ID [--meta KEY=VALUE]... [--request-id ID] LANG=TEXT...\n"
	"       mnemo unit delete ID [--request-id ID]\n"
	"\n"
	"Stores, reads, replaces or deletes a translation unit: one text in two or more\n"
	"languages (BCP 47 tags). Prints the API's JSON reply. A retry with the same\n"
	"--request-id is applied once.\n"
	"\n"
	"Examples:\n"
	"  mnemo unit add fr='Le chat dort.' en='The cat is sleeping.' --meta origin=manual\n"
	"  mnemo unit get 1\n"
	"\n";

enum { OPT_META = OPT_FIRST_OWN, OPT_REQUEST_ID, MAX_META = 64 };

static int
split_pair(const char *arg, const char *what, json_t *into)
{
	const char *eq = strchr(arg, '=');
	char key[128];

	if (eq == NULL || eq == arg || (size_t)(eq - arg) >= sizeof(key)) {
		return cli_fail("unit: '%s' is not %s", arg, what);
	}
	memcpy(key, arg, (size_t)(eq - arg));
	key[eq - arg] = '\0';
	if (json_object_set_new(into, key, json_string(eq + 1)) < 0) {
		return cli_fail("unit: '%s' is not valid UTF-8", arg);
	}
	return 0;
}

static int
is_id(const char *s)
{
	if (*s == '\0') {
		return 0;
	}
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9') {
			return 0;
		}
	}
	return 1;
}

int
cmd_unit(int argc, char **argv)
{
	static const struct option options[] = {
		CLI_COMMON_OPTIONS,
		{"meta", required_argument, NULL, OPT_META},
		{"request-id", required_argument, NULL, OPT_REQUEST_ID},
		{NULL, 0, NULL, 0},
	};
	const char *action, *id = NULL, *method, *request_id = NULL, *meta_args[MAX_META];
	json_t *variants, *meta, *body = NULL, *reply;
	size_t n_meta = 0;
	char path[128], buf[1024];
	struct client *c = NULL;
	struct cli cli;
	int opt, status, rc = 0;

	if (cli_init(&cli, argc, argv, "warn") < 0) {
		return cli_fail("%s", cli.err);
	}
	while ((opt = cli_getopt(&cli, argc, argv, options, usage)) != -1) {
		if (opt == OPT_META && n_meta < MAX_META) {
			meta_args[n_meta++] = optarg;
		} else if (opt == OPT_REQUEST_ID) {
			request_id = optarg;
		} else {
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		fputs(usage, stderr);
		return 2;
	}
	action = argv[optind++];
	if (strcmp(action, "add") == 0 || strcmp(action, "update") == 0) {
		method = strcmp(action, "add") == 0 ? "POST" : "PUT";
	} else if (strcmp(action, "get") == 0 || strcmp(action, "delete") == 0) {
		method = strcmp(action, "get") == 0 ? "GET" : "DELETE";
	} else {
		return cli_fail("unit: unknown action '%s' (add, get, update, delete)", action);
	}
	if (strcmp(action, "add") != 0) {
		if (optind >= argc || !is_id(argv[optind])) {
			return cli_fail("unit %s: needs a unit id (a number)", action);
		}
		id = argv[optind++];
	}
	if (id == NULL) {
		snprintf(path, sizeof(path), "/v1/units");
	} else if (request_id != NULL && strcmp(method, "DELETE") == 0) {
		snprintf(path, sizeof(path), "/v1/units/%s?request_id=%s", id, request_id);
	} else {
		snprintf(path, sizeof(path), "/v1/units/%s", id);
	}
	if (cli_finish(&cli) < 0) {
		return cli_fail("%s", cli.err);
	}

	variants = json_object();
	meta = json_object();
	for (size_t i = 0; i < n_meta && rc == 0; i++) {
		rc = split_pair(meta_args[i], "KEY=VALUE", meta);
	}
	for (; optind < argc && rc == 0; optind++) {
		rc = split_pair(argv[optind], "LANG=TEXT", variants);
	}
	if (rc == 0 && (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0)) {
		body = json_pack("{s:O, s:O}", "variants", variants, "meta", meta);
		if (request_id != NULL) {
			json_object_set_new(body, "request_id", json_string(request_id));
		}
	}
	if (rc == 0 && client_open(&cli, EMBED_STORE, &c) < 0) {
		rc = cli_fail("%s", cli.err);
	}
	if (rc == 0 &&
	    client_call(c, method, path, body, &status, &reply, cli.err, sizeof(cli.err)) < 0) {
		rc = cli_fail("%s", cli.err);
	} else if (rc == 0) {
		if (status / 100 == 2) {
			char *s = json_dumps(reply, JSON_COMPACT);

			puts(s != NULL ? s : "{}");
			free(s);
		} else {
			rc = cli_fail("%s", client_error_text(reply, buf, sizeof(buf)));
		}
		json_decref(reply);
	}
	client_close(c);
	json_decref(body);
	json_decref(variants);
	json_decref(meta);
	return rc;
}
