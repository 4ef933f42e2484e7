#!/usr/bin/env bash
# Batch alignment jobs end to end, with a real `mnemo serve`: mnemo job submit of a folder
# (stored, written as JSON lines and TMX), bad documents that fail alone while the job goes
# on (empty, a target in the source's language, another encoding, URLs that 404, redirect
# forever or never answer, a 200 MB file), a server killed mid-job and started again
# (every document done once, nothing stored twice, as a clean run in local mode), and
# usage errors.
set -uo pipefail

src=$1
mnemo=$(realpath "$2")
news=$src/tests/data/align/news
. "$src/tests/integration/lib.sh"

require_tools curl python3 iconv
cd "$scratch"

# Short limits when this mnemo has them: a URL that never answers fails in a second, a
# killed server's leases run out in three.
serve_opts=()
settings=$("$mnemo" config)
grep -q '^fetch_timeout_ms' <<<"$settings" && serve_opts+=(--set gateway.fetch_timeout_ms=1000)
grep -q '^job_lease_ms' <<<"$settings" && serve_opts+=(--set gateway.job_lease_ms=3000)

# A web server for the documents given by URL: /files/NAME (the news), /loop/N (redirects
# forever), /hang (never answers), anything else 404.
cat >web.py <<'EOF'
import http.server, os, sys, time
root = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        name = os.path.join(root, os.path.basename(self.path))
        if self.path.startswith('/loop/'):
            self.send_response(302)
            self.send_header('Location', '/loop/%d' % (int(self.path[6:] or 0) + 1))
            self.send_header('Content-Length', '0')
            self.end_headers()
        elif self.path == '/hang':
            time.sleep(600)
        elif self.path.startswith('/files/') and os.path.isfile(name):
            data = open(name, 'rb').read()
            self.send_response(200)
            self.send_header('Content-Type', 'text/plain; charset=utf-8')
            self.send_header('Content-Length', str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        else:
            self.send_error(404)
    def log_message(self, *args):
        pass
s = http.server.ThreadingHTTPServer(('127.0.0.1', 0), H)
s.daemon_threads = True
print(s.server_address[1], flush=True)
s.serve_forever()
EOF
python3 web.py "$news" >web.port &
web=$!
trap 'kill "$web" 2>/dev/null; cleanup' EXIT
for _ in $(seq 50); do [ -s web.port ] && break; sleep 0.1; done
www=http://127.0.0.1:$(cat web.port)

start_server "${serve_opts[@]}"

# job_field ID python-expression-of-d: a field of GET /v1/jobs/ID
job_field() { field "$(curl -s "$url/v1/jobs/$1")" "$2"; }

# ---- a folder of pairs: aligned, stored, written as JSON lines and TMX ----
mkdir good
cp "$news"/*.txt good/
expect 0 "job submit of a folder" "$mnemo" job submit --url "$url" --from fr --to en --store \
	--job-id good-1 --output good.jsonl good
contains "$err" "job good-1: 3 documents, 3 aligned, 0 failed" "the summary"
st=$(curl -s "$url/v1/jobs/good-1")
[ "$(field "$st" 'd["state"], d["done"], d["failed"]')" = "('done', 3, 0)" ] || fail "good-1: $st"
pairs=$(field "$st" 'd["pairs"]')
stored=$(field "$st" 'd["stored"]')
[ "$pairs" -gt 50 ] && [ "$stored" -gt 50 ] || fail "good-1: $pairs pairs, $stored stored"
contains "$err" "$pairs pairs" "the summary's pairs"
units=$(field "$(curl -s "$url/v1/status")" 'd["units"]')
[ "$units" = "$stored" ] || fail "GET /v1/status: $units units, the job stored $stored"
python3 - good.jsonl <<'EOF' || fail "good.jsonl is not a bead a line with its document"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
names = {l["document"] for l in lines}
assert names == {"greve-transports-toulouse", "proces-entrepot-rouen", "secheresse-isere"}, names
for l in lines:
    assert set(l) >= {"document", "source_ids", "target_ids", "source", "target", "score", "bead", "accepted"}, l
assert sum(1 for l in lines if l["accepted"]) >= 50
EOF
expect 0 "job result --format tmx" "$mnemo" job result good-1 --url "$url" --format tmx \
	--output good.tmx
tus=$(grep -c '<tu>' good.tmx)
[ "$tus" -gt 50 ] || fail "good.tmx has $tus <tu>s"
contains "$(cat good.tmx)" "job:good-1:secheresse-isere" "the TMX units' origin"
if command -v xmllint >/dev/null; then
	xmllint --noout good.tmx || fail "good.tmx is not well formed"
fi
expect 0 "job result (JSON lines to stdout)" "$mnemo" job result good-1 --url "$url"
[ "$out" = "$(cat good.jsonl)" ] || fail "job result differs from submit --output"
expect 0 "job status" "$mnemo" job status good-1 --url "$url"
contains "$out" "job good-1: done" "job status"
contains "$out" "3 documents: 3 aligned, 0 failed" "job status"
expect 0 "job status --json" "$mnemo" job status good-1 --url "$url" --json
[ "$(field "$out" 'd["job_id"], d["done"]')" = "('good-1', 3)" ] || fail "job status --json: $out"

# ---- bad documents fail alone; the good ones are aligned ----
mkdir bad
: >bad/empty.fr.txt
cp "$news/secheresse-isere.en.txt" bad/empty.en.txt
cp "$news/secheresse-isere.fr.txt" bad/french.fr.txt
cp "$news/proces-entrepot-rouen.fr.txt" bad/french.en.txt
iconv -f UTF-8 -t ISO-8859-1//TRANSLIT "$news/secheresse-isere.fr.txt" >bad/latin1.fr.txt
cp "$news/secheresse-isere.en.txt" bad/latin1.en.txt
yes 'Une phrase de test, parfaitement ordinaire.' | head -c 200M >bad/huge.fr.txt
cp "$news/secheresse-isere.en.txt" bad/huge.en.txt
cp "$news/secheresse-isere.fr.txt" bad/orphan.fr.txt
printf '# documents by URL\n%s\t%s\n%s\t%s\n%s\t%s\n\n%s\t%s\n' \
	"$www/files/nowhere.fr.txt" "$www/files/secheresse-isere.en.txt" \
	"$www/loop/0" "$www/files/secheresse-isere.en.txt" \
	"$www/hang" "$www/files/secheresse-isere.en.txt" \
	"$www/files/greve-transports-toulouse.fr.txt" "$www/files/greve-transports-toulouse.en.txt" \
	>urls.tsv
expect 1 "job submit with bad documents" "$mnemo" job submit --url "$url" --from fr --to en \
	--store --job-id bad-1 --output bad.jsonl --list urls.tsv bad
contains "$err" "bad/orphan.fr.txt: no orphan.en.txt beside it, skipped" "a file without its partner"
contains "$err" "huge: too large: $((209715200 + $(stat -c %s bad/huge.en.txt))) bytes" \
	"the 200 MB file, reported at once"
contains "$err" "job bad-1: 8 documents, 2 aligned, 6 failed" "the summary"
contains "$err" "  line-2: not_found: " "the URL that 404s"
contains "$err" "404" "the URL that 404s"
contains "$err" "  line-3: " "the URL that redirects forever"
contains "$err" "redirects" "the URL that redirects forever"
contains "$err" "  line-4: timeout: " "the URL that never answers"
contains "$err" "  empty: empty_document: " "the empty file"
contains "$err" "  french: wrong_language: " "the target in French"
contains "$err" "  huge: too_large: " "the 200 MB file"
st=$(curl -s "$url/v1/jobs/bad-1")
[ "$(field "$st" 'd["state"], d["documents"], d["done"], d["failed"]')" = "('done', 7, 2, 5)" ] ||
	fail "bad-1 (huge was never sent): $st"
[ "$(field "$st" '[(x["error"]["field"], x["attempts"]) for x in d["failures"] if x["name"] == "line-4"]')" = "[('source.url', 1)]" ] ||
	fail "the URL that never answers fails at once, not after retries: $st"
python3 - bad.jsonl <<'EOF' || fail "bad.jsonl: the good documents' beads and an error line per failed one"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
errors = {l["document"]: l["error"]["code"] for l in lines if "error" in l}
assert errors == {"line-2": "not_found", "line-3": "invalid_value", "line-4": "timeout",
                  "empty": "empty_document", "french": "wrong_language", "huge": "too_large"}, errors
aligned = {l["document"] for l in lines if "error" not in l}
assert aligned == {"latin1", "line-6"}, aligned
latin1 = [l for l in lines if l["document"] == "latin1" and l["accepted"]]
assert len(latin1) > 20 and any("Sécheresse" in l["source"] for l in latin1), latin1[:2]
EOF

# ---- killed mid-job, started again: every document done once, nothing stored twice ----
mkdir many
n=0
for copy in $(seq -w 1 10); do
	for doc in greve-transports-toulouse proces-entrepot-rouen secheresse-isere; do
		for lang in fr en; do # long documents, so that the kill finds work left
			for _ in $(seq 12); do cat "$news/$doc.$lang.txt"; done >"many/$copy-$doc.$lang.txt"
		done
		n=$((n + 1))
	done
done
units_before=$(field "$(curl -s "$url/v1/status")" 'd["units"]')
kill -TERM "$server"
wait "$server" 2>/dev/null
rm -f "$scratch"/mnemo.db*
start_server "${serve_opts[@]}"
expect 0 "job submit --detach" "$mnemo" job submit --url "$url" --from fr --to en --store \
	--detach --job-id many-1 many
[ "$out" = "many-1" ] || fail "--detach prints the job id, not: $out"
for _ in $(seq 200); do
	done_before=$(job_field many-1 'd["done"]')
	[ "${done_before:-0}" -ge 2 ] && break
	sleep 0.05
done
{ kill -9 "$server" && wait "$server"; } 2>/dev/null
echo "killed the server with $done_before of $n documents done" >&2
[ "${done_before:-0}" -lt "$n" ] ||
	fail "the job was done before the kill ($done_before of $n): the restart tested nothing"
start_server "${serve_opts[@]}"
for _ in $(seq 240); do
	[ "$(job_field many-1 'd["state"]')" = done ] && break
	sleep 0.25
done
st=$(curl -s "$url/v1/jobs/many-1")
[ "$(field "$st" 'd["state"], d["documents"], d["done"], d["failed"]')" = "('done', $n, $n, 0)" ] ||
	fail "many-1 after the restart ($done_before done at the kill): $st"
expect 0 "job result after the restart" "$mnemo" job result many-1 --url "$url" --output many.jsonl
python3 - many.jsonl "$n" <<'EOF' || fail "many.jsonl: each document once, each bead once"
import collections, json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
names = collections.OrderedDict()
for l in lines:
    assert "error" not in l, l
    names.setdefault(l["document"], []).append(l)
assert len(names) == int(sys.argv[2]), len(names)
for name, beads in names.items():
    ids = [i for b in beads for i in b["source_ids"]]
    assert ids == sorted(set(ids)), (name, "a source sentence twice")
EOF
units=$(field "$(curl -s "$url/v1/status")" 'd["units"]')
feed=$(curl -s "$url/v1/updates?since=0&max=10000")
python3 -c 'import collections, json, sys
d = json.load(sys.stdin)
seen = collections.Counter(json.dumps(u["unit"]["variants"], sort_keys=True)
                           for u in d["updates"] if u["op"] == "add")
assert seen and max(seen.values()) == 1, seen.most_common(2)' <<<"$feed" ||
	fail "two units with the same text on the change feed"
# the same documents in local mode, into a new database: the same units, the same pairs
expect 0 "job submit in local mode" "$mnemo" job submit --db clean.db --from fr --to en --store \
	--job-id many-1 many
contains "$err" "job many-1: $n documents, $n aligned, 0 failed, $(field "$st" '"{:,}".format(d["pairs"])') pairs, $(field "$st" '"{:,}".format(d["stored"])') stored" \
	"a clean run: the same pairs and units"
[ "$units" = "$(field "$st" 'd["stored"]')" ] || fail "after the restart: $units units, the job says $(field "$st" 'd["stored"]') stored"
expect 0 "job status in local mode" "$mnemo" job status many-1 --db clean.db --json
[ "$(field "$out" 'd["stored"]')" = "$units" ] ||
	fail "a clean run stored $(field "$out" 'd["stored"]'), the restarted one $units units"

# ---- usage and errors ----
expect 1 "job status of an unknown id" "$mnemo" job status nope --url "$url"
contains "$err" "job nope: not_found" "an unknown job"
expect 1 "job result of an unknown id" "$mnemo" job result nope --url "$url"
expect 2 "job submit without inputs" "$mnemo" job submit --url "$url" --from fr --to en
contains "$err" "Usage: mnemo job" "usage"
expect 2 "job without an action" "$mnemo" job
expect 2 "an unknown action" "$mnemo" job frobnicate
expect 2 "an option of another action" "$mnemo" job status good-1 --detach
expect 0 "job submit of one pair" "$mnemo" job submit --url "$url" --from fr --to en --job-id one-1 \
	good/secheresse-isere.fr.txt good/secheresse-isere.en.txt
contains "$err" "job one-1: 1 document, 1 aligned, 0 failed" "the summary of one document"
expect 2 "a lone SOURCE" "$mnemo" job submit --url "$url" --from fr --to en good/secheresse-isere.fr.txt
expect 1 "no --to" "$mnemo" job submit --url "$url" --from fr good
expect 1 "--detach in local mode" "$mnemo" job submit --db local.db --from fr --to en --detach good
contains "$err" "--detach needs a running mnemo" "--detach in local mode"
expect 1 "a bad job id" "$mnemo" job status 'a/b' --url "$url"
mkdir nothing
expect 1 "a folder without pairs" "$mnemo" job submit --url "$url" --from fr --to en nothing
expect 0 "job --help" "$mnemo" job --help
contains "$out" "mnemo job submit --from fr --to en" "the examples"

finish "jobs"
