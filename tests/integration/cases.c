#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"
#include "harness.h"

static int
subset(const json_t *e, const json_t *a, char *path, size_t path_size, char *why,
       size_t why_size)
{
	size_t len = strlen(path);

	if (json_is_object(e)) {
		const char *key;
		json_t *v;

		if (!json_is_object(a)) {
			snprintf(why, why_size, "%s: expected an object", path[0] ? path : "(top)");
			return 0;
		}
		json_object_foreach((json_t *)e, key, v) {
			snprintf(path + len, path_size - len, ".%s", key);
			if (!subset(v, json_object_get(a, key), path, path_size, why, why_size)) {
				return 0;
			}
			path[len] = '\0';
		}
		return 1;
	}
	if (json_is_array(e)) {
		if (!json_is_array(a) || json_array_size(a) != json_array_size(e)) {
			snprintf(why, why_size, "%s: expected an array of %zu", path,
				 json_array_size(e));
			return 0;
		}
		for (size_t i = 0; i < json_array_size(e); i++) {
			snprintf(path + len, path_size - len, "[%zu]", i);
			if (!subset(json_array_get(e, i), json_array_get(a, i), path, path_size, why,
				    why_size)) {
				return 0;
			}
			path[len] = '\0';
		}
		return 1;
	}
	if (a == NULL || !json_equal((json_t *)e, (json_t *)a)) {
		char *es = json_dumps(e, JSON_ENCODE_ANY), *as = a ? json_dumps(a, JSON_ENCODE_ANY) : NULL;

		snprintf(why, why_size, "%s: expected %s, got %s", path, es ? es : "?",
			 as ? as : "nothing");
		free(es);
		free(as);
		return 0;
	}
	return 1;
}

int
json_subset(const json_t *expected, const json_t *actual, char *why, size_t why_size)
{
	char path[256] = "";

	return subset(expected, actual, path, sizeof(path), why, why_size);
}

/* \xHH -> one byte; everything else as is. */
static size_t
unescape(char *s)
{
	char *out = s;

	for (char *p = s; *p != '\0';) {
		unsigned v;

		if (p[0] == '\\' && p[1] == 'x' && sscanf(p + 2, "%2x", &v) == 1) {
			*out++ = (char)v;
			p += 4;
		} else {
			*out++ = *p++;
		}
	}
	*out = '\0';
	return (size_t)(out - s);
}

static int
run_case(const char *base, const char *path)
{
	char *text = NULL, *line, *save = NULL, *body_start, *arrow, *expect_text;
	char method[16], target[1024], url[1200], content_type[256] = "", why[1024];
	FILE *f = fopen(path, "rb");
	struct h_reply r;
	json_t *expected;
	size_t size = 0;
	int status, ok;

	if (f == NULL || getdelim(&text, &size, '\0', f) < 0) {
		fprintf(stderr, "%s: cannot read\n", path);
		if (f != NULL) {
			fclose(f);
		}
		free(text);
		return 0;
	}
	fclose(f);
	/* comments, the request line, headers up to a blank line */
	line = strtok_r(text, "\n", &save);
	while (line != NULL && line[0] == '#') {
		line = strtok_r(NULL, "\n", &save);
	}
	if (line == NULL || sscanf(line, "%15s %1023s", method, target) != 2) {
		fprintf(stderr, "%s: no request line\n", path);
		free(text);
		return 0;
	}
	body_start = save;
	while (body_start != NULL && *body_start != '\n' && *body_start != '\0') {
		char *eol = strchr(body_start, '\n');

		if (eol == NULL) {
			break;
		}
		*eol = '\0';
		if (strncasecmp(body_start, "Content-Type:", 13) == 0) {
			snprintf(content_type, sizeof(content_type), "%s", body_start + 13 + 1);
		}
		body_start = eol + 1;
	}
	if (body_start == NULL || *body_start != '\n') {
		fprintf(stderr, "%s: no blank line after the headers\n", path);
		free(text);
		return 0;
	}
	body_start++;
	arrow = strstr(body_start, "=> ");
	if (arrow == NULL || (arrow != body_start && arrow[-1] != '\n') ||
	    sscanf(arrow + 3, "%d", &status) != 1) {
		fprintf(stderr, "%s: no '=> STATUS' line\n", path);
		free(text);
		return 0;
	}
	if (arrow > body_start) {
		arrow[-1] = '\0'; /* the newline before "=>" is not part of the body */
	} else {
		*arrow = '\0';
	}
	expect_text = strchr(arrow + 3, '\n');
	expected = json_loads(expect_text ? expect_text : "{}", 0, NULL);
	snprintf(url, sizeof(url), "%s%s", base, target);
	size = unescape(body_start);
	h_http(method, url, content_type[0] ? content_type : NULL, size ? body_start : NULL, size,
	       &r);
	ok = r.status == status && expected != NULL && r.json != NULL &&
	     json_subset(expected, r.json, why, sizeof(why));
	if (!ok) {
		fprintf(stderr, "case %s: %s %s\n  expected %d, got %d: %s\n  %s\n", path, method,
			target, status, r.status, r.body ? r.body : "(no body)",
			r.status == status && r.json ? why : "");
	}
	h_reply_free(&r);
	json_decref(expected);
	free(text);
	return ok;
}

static int
by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int
run_cases(const char *base, const char *dir)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, by_name), failed = 0, run = 0;

	if (n < 0) {
		fprintf(stderr, "%s: cannot list the cases\n", dir);
		return 1;
	}
	for (int i = 0; i < n; i++) {
		size_t len = strlen(names[i]->d_name);
		char path[1024];

		if (len > 5 && strcmp(names[i]->d_name + len - 5, ".case") == 0) {
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
			failed += !run_case(base, path);
			run++;
		}
		free(names[i]);
	}
	free(names);
	fprintf(stderr, "%d cases, %d failed\n", run, failed);
	return run == 0 ? 1 : failed;
}
