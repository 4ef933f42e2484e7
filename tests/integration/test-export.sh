#!/usr/bin/env bash
# GET /v1/tmx and `mnemo export` against a real `mnemo serve` on free loopback ports: a pair,
# several languages, every language; units with fewer than two of the languages left out;
# markup and metadata read back (tmx-check json, common/formats' reader) equal to GET
# /v1/units/{id}; translate-toolkit reads the export; the CLI writes the same bytes in both
# modes; an empty memory; bad requests; clients that go away mid-export; memory that stays
# flat over a large export; and, when POST /v1/tmx is there, export -> import -> export.
#
# EXPORT_UNITS (default 50000) sets the size of the large memory.
set -uo pipefail

src=$1
mnemo=$(realpath "$2")
units_tool=$(realpath "$3")
big=${EXPORT_UNITS:-50000}
scratch=$(mktemp -d /tmp/mnemo-export-XXXXXX)
failures=0
servers=()

fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

stop_server() { # pid
	kill -TERM "$1" 2>/dev/null || return 0
	for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
	echo "mnemo $1 did not stop on SIGTERM" >&2
	kill -KILL "$1" 2>/dev/null
	failures=$((failures + 1))
}

cleanup() {
	for pid in "${servers[@]}"; do
		stop_server "$pid"
	done
	if [ "$failures" -eq 0 ] && [ -z "${MNEMO_KEEP:-}" ]; then
		rm -rf "$scratch"
	else
		echo "kept $scratch" >&2
	fi
}
trap cleanup EXIT

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start NAME: a mnemo serve on free ports and NAME.db; sets $url and $pid
start() {
	local http nng pub
	http=$(free_port)
	nng=$(free_port)
	pub=$(free_port)
	"$mnemo" serve all --http "127.0.0.1:$http" --nng "tcp://127.0.0.1:$nng" \
		--pub "tcp://127.0.0.1:$pub" --db "$scratch/$1.db" >"$scratch/$1.log" 2>&1 &
	pid=$!
	servers+=("$pid")
	url=http://127.0.0.1:$http
	for _ in $(seq 100); do
		curl -sf "$url/healthz" >/dev/null 2>&1 && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "FAIL: mnemo serve did not start: $(cat "$scratch/$1.log")" >&2
	exit 1
}

post() { # PATH JSON -> the reply on stdout
	curl -s "$url$1" -H 'Content-Type: application/json' -d "$2"
}

# status URL: the HTTP status, the body in $scratch/body
status() {
	curl -s -o "$scratch/body" -w '%{http_code}' "$@"
}

units_of() { # a TMX file -> its tuids, one a line
	grep -o '<tu tuid="[0-9]*"' "$1" | grep -o '[0-9]*'
}

if ! command -v python3 >/dev/null || ! command -v curl >/dev/null; then
	echo "FAIL: python3 and curl are needed" >&2
	exit 1
fi
tt_py=
for p in /usr/bin/python3 python3; do
	if "$p" -c 'import translate.storage.tmx' 2>/dev/null; then
		tt_py=$p
		break
	fi
done
[ -n "$tt_py" ] || fail "no python3 with translate-toolkit's modules (Debian: python3-translate)"

cd "$scratch"
start a
a_url=$url
a_pid=$pid

# ---- an empty memory: a valid TMX with no <tu> ----
[ "$(status "$url/v1/tmx")" = 200 ] || fail "GET /v1/tmx of an empty memory: $(cat body)"
cp body empty.tmx
grep -q '<body>' empty.tmx && grep -q '</tmx>' empty.tmx || fail "empty export is not a TMX: $(cat empty.tmx)"
grep -q '<tu' empty.tmx && fail "empty export has units"
"$units_tool" json empty.tmx >empty.units 2>err || fail "the empty export does not read back: $(cat err)"
[ -s empty.units ] && fail "the empty export read back with units"
headers=$(curl -s -D - -o /dev/null "$url/v1/tmx")
grep -qi '^content-type: application/x-tmx+xml' <<<"$headers" || fail "Content-Type: $headers"
grep -qi '^transfer-encoding: chunked' <<<"$headers" || fail "not chunked: $headers"

# ---- a memory with every kind of content ----
# 1: three languages, every field; 2: markup; 3: fr+de only; 4: en+es only; 5: XML's
# special characters, a line break and a tab; 6: updated by another user, then used.
post /v1/units '{"variants":{"fr":"Le chat dort.","en":"The cat is sleeping.","de":"Die Katze schläft."},
	"meta":{"note":"Checked by the client.","x-client":"acme","fr:note":"registre familier"},
	"origin":"manual","user":"alice","project":"zoo","domain":"pets","context":"cat.sleep",
	"prev":{"fr":"Il fait nuit.","en":"It is night."},"next":{"fr":"Chut !"},
	"created_at":1700000000123}' >/dev/null
post /v1/units '{"variants":{"fr":"Cliquez sur Enregistrer.","en":"Click Save."},
	"markup":{"en":"Click <bpt i=\"1\">&lt;b&gt;</bpt>Save<ept i=\"1\">&lt;/b&gt;</ept>."}}' >/dev/null
post /v1/units '{"variants":{"fr":"Bonjour.","de":"Guten Tag."}}' >/dev/null
post /v1/units '{"variants":{"en":"Goodbye.","es":"Adiós."}}' >/dev/null
post /v1/units '{"variants":{"fr":"A & B < C > D \"E\" '"'"'F'"'"'\nligne\tdeux","en":"A & B < C > D \"E\" '"'"'F'"'"'\nline\ttwo"},"meta":{"x-tricky":"<&>\"--"}}' >/dev/null
post /v1/units '{"variants":{"fr":"Une faute.","en":"A mistake."},"user":"bob"}' >/dev/null
curl -s -X PUT "$url/v1/units/6" -H 'Content-Type: application/json' \
	-d '{"variants":{"fr":"Une erreur.","en":"An error."},"user":"carol","project":"docs"}' >/dev/null
curl -s -X POST "$url/v1/units/6/use" >/dev/null
for id in 1 2 3 4 5 6; do
	curl -sf "$url/v1/units/$id" >"unit-$id.json" || fail "GET /v1/units/$id"
done

# ---- a pair ----
[ "$(status "$url/v1/tmx?source=fr&target=en")" = 200 ] || fail "pair export: $(cat body)"
cp body pair.tmx
grep -q 'srclang="fr" datatype' pair.tmx || fail "pair export: header srclang is not fr"
[ "$(units_of pair.tmx | tr '\n' ' ')" = "1 2 5 6 " ] ||
	fail "pair export has units $(units_of pair.tmx | tr '\n' ' '), wanted 1 2 5 6"
grep -q 'xml:lang="de"\|xml:lang="es"' pair.tmx && fail "pair export has other languages"
grep -qF '<seg>Click <bpt i="1">&lt;b&gt;</bpt>Save<ept i="1">&lt;/b&gt;</ept>.</seg>' pair.tmx ||
	fail "markup not written back as stored"
# srclang's variant first in every unit
python3 - pair.tmx <<'PY' || fail "pair export: fr is not the first <tuv> of every unit"
import sys, xml.etree.ElementTree as ET
lang = "{http://www.w3.org/XML/1998/namespace}lang"
for tu in ET.parse(sys.argv[1]).getroot().iter("tu"):
    if tu.findall("tuv")[0].get(lang) != "fr":
        sys.exit(1)
PY
# the same pair, spelt otherwise
[ "$(status "$url/v1/tmx?source=FR&target=en")" = 200 ] && cmp -s body pair.tmx ||
	fail "source=FR differs from source=fr"

# ---- several languages ----
[ "$(status "$url/v1/tmx?lang=fr,de")" = 200 ] || fail "lang=fr,de: $(cat body)"
cp body fr-de.tmx
[ "$(units_of fr-de.tmx | tr '\n' ' ')" = "1 3 " ] || fail "lang=fr,de has units $(units_of fr-de.tmx | tr '\n' ' ')"
grep -q 'srclang="\*all\*" datatype' fr-de.tmx || fail "lang=fr,de: header srclang is not *all*"
[ "$(status "$url/v1/tmx?lang=fr&lang=de&lang=es&lang=en")" = 200 ] || fail "lang repeated: $(cat body)"
[ "$(units_of body | tr '\n' ' ')" = "1 2 3 4 5 6 " ] || fail "four languages: units $(units_of body | tr '\n' ' ')"
[ "$(status "$url/v1/tmx?lang=de&lang=es")" = 200 ] || fail "lang=de,es: $(cat body)"
grep -q '<tu' body && fail "lang=de,es: no unit has both, yet some were written"

# ---- every language; metadata read back equals the store's units ----
[ "$(status "$url/v1/tmx")" = 200 ] || fail "export of all: $(cat body)"
cp body all.tmx
[ "$(units_of all.tmx | tr '\n' ' ')" = "1 2 3 4 5 6 " ] || fail "all: units $(units_of all.tmx | tr '\n' ' ')"
"$units_tool" json all.tmx >all.units 2>err || fail "the export does not read back: $(cat err)"
python3 - all.units unit-*.json <<'PY' || fail "the export, read back, differs from GET /v1/units/{id}"
import json, sys
back = [json.loads(line) for line in open(sys.argv[1])]
stored = {u["id"]: u for u in (json.load(open(p)) for p in sys.argv[2:])}
def norm(u):
    u = dict(u)
    for k in ("id", "seq"):
        u.pop(k, None)
    for k in ("created_at", "changed_at", "used_at"):
        u[k] = u[k] // 1000 * 1000  # TMX dates are to the second
    return u
bad = 0
if len(back) != len(stored):
    print("read back %d units, stored %d" % (len(back), len(stored)), file=sys.stderr)
    bad = 1
for b in back:
    meta = dict(b["meta"])
    uid = int(meta.pop("tuid"))
    b["meta"] = meta
    want, got = norm(stored[uid]), norm(b)
    for k in sorted(set(want) | set(got)):
        if want.get(k) != got.get(k):
            print("unit %d: %s: stored %r, read back %r" % (uid, k, want.get(k), got.get(k)), file=sys.stderr)
            bad = 1
# the fields this test means to carry, so a change that empties them all is caught
u1, u6 = stored[1], stored[6]
assert u1["project"] == "zoo" and u1["context"] == "cat.sleep" and u1["prev"]["en"] == "It is night."
assert u1["created_at"] == 1700000000123 and u1["created_by"] == "alice"
assert u6["changed_by"] == "carol" and u6["usage_count"] == 1 and u6["used_at"] > 0
assert stored[2]["markup"]["en"].startswith("Click <bpt")
sys.exit(bad)
PY

# ---- translate-toolkit reads the export ----
if [ -n "$tt_py" ]; then
	cat >tt-pairs.py <<'PY'
import sys
from translate.storage import tmx
for u in tmx.tmxfile(open(sys.argv[1], "rb")).units:
    print(repr((str(u.source), str(u.target))))
PY
	if "$tt_py" tt-pairs.py pair.tmx >tt.pairs 2>tt.err; then
		python3 - tt.pairs unit-1.json unit-2.json unit-5.json unit-6.json <<'PY' ||
import ast, json, sys
got = [ast.literal_eval(line) for line in open(sys.argv[1])]
want = []
for p in sys.argv[2:]:
    u = json.load(open(p))
    en = u["variants"]["en"]
    if "en" in u["markup"]:  # translate-toolkit reads a <seg>'s native code as text
        en = "Click <b>Save</b>."
    want.append((u["variants"]["fr"], en))
if got != want:
    print("translate-toolkit read %r\nwanted %r" % (got, want), file=sys.stderr)
    sys.exit(1)
PY
			fail "translate-toolkit reads the pair export differently"
	else
		fail "translate-toolkit cannot read the export: $(cat tt.err)"
	fi
fi

# ---- mnemo export, remote mode: the same bytes as GET /v1/tmx ----
"$mnemo" export --url "$url" >cli-all.tmx 2>err || fail "mnemo export --url: $(cat err)"
cmp -s cli-all.tmx all.tmx || fail "mnemo export --url differs from GET /v1/tmx"
"$mnemo" export --url "$url" --source fr --target en -o cli-pair.tmx 2>err ||
	fail "mnemo export --url -o: $(cat err)"
cmp -s cli-pair.tmx pair.tmx || fail "mnemo export --url --source fr --target en differs"
grep -q 'cli-pair.tmx: 4 units' err || fail "mnemo export -o does not say how many units: $(cat err)"
"$mnemo" export --url "$url" --lang fr --lang de >cli-fr-de.tmx 2>err &&
	cmp -s cli-fr-de.tmx fr-de.tmx || fail "mnemo export --url --lang fr --lang de differs: $(cat err)"

# ---- bad requests ----
code=$(status "$url/v1/tmx?source=fr&target=not%20a%20tag")
[ "$code" = 400 ] && grep -q '"code":"invalid_lang"' body || fail "a bad tag: $code $(cat body)"
code=$(status "$url/v1/tmx?lang=fr,@@")
[ "$code" = 400 ] && grep -q '"code":"invalid_lang"' body || fail "a bad tag in lang: $code $(cat body)"
code=$(status "$url/v1/tmx?source=fr")
[ "$code" = 400 ] && grep -q '"field":"target"' body || fail "source without target: $code $(cat body)"
code=$(status "$url/v1/tmx?source=fr&target=fr-FR&lang=de")
[ "$code" = 400 ] || fail "a pair and lang together: $code $(cat body)"
code=$(status "$url/v1/tmx?lang=fr")
[ "$code" = 400 ] || fail "a single language: $code $(cat body)"
code=$(status "$url/v1/tmx?colour=blue")
[ "$code" = 400 ] && grep -q '"code":"unknown_field"' body || fail "an unknown parameter: $code $(cat body)"
"$mnemo" export --url "$url" --source fr --target '!!' >/dev/null 2>err
[ $? -eq 1 ] && grep -q "invalid_lang" err || fail "mnemo export with a bad tag: $(cat err)"
"$mnemo" export --url "$url" --source fr -o never.tmx >/dev/null 2>err
[ $? -eq 1 ] && [ ! -e never.tmx ] || fail "mnemo export --source alone: $(cat err)"
ls never.tmx.* >/dev/null 2>&1 && fail "mnemo export left a temporary file"

# ---- a large memory: clients that go away, memory that stays flat ----
cat >fill.py <<'PY'
import json, sys, urllib.request
base, n, batch = sys.argv[1], int(sys.argv[2]), 20000
done = 0
while done < n:
    k = min(batch, n - done)
    units = [{"variants": {"fr": "Phrase numéro %d de la mémoire, avec quelques mots de plus." % i,
                           "en": "Sentence number %d of the memory, with a few more words." % i},
              "user": "filler", "origin": "bulk"} for i in range(done, done + k)]
    done += k
    body = {"import_id": "fill", "units": units, "commit": done == n, "duplicates": "keep"}
    req = urllib.request.Request(base + "/v1/imports", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    reply = json.load(urllib.request.urlopen(req, timeout=300))
assert reply["added"] == n, reply
PY
python3 fill.py "$url" "$big" 2>err || fail "filling $big units: $(cat err)"
# Let the aligner take the new units in before memory is measured.
sleep 2
threads_before=$(ls "/proc/$a_pid/task" | wc -l)
for cut in 1000 100000 1000000; do
	curl -s "$url/v1/tmx" | head -c "$cut" >/dev/null
done
curl -s --limit-rate 200k "$url/v1/tmx" >/dev/null &
slow=$!
sleep 1
kill "$slow" 2>/dev/null
wait "$slow" 2>/dev/null
[ "$(status "$url/healthz")" = 200 ] || fail "after clients went away mid-export: $(cat body)"
for _ in $(seq 50); do
	[ "$(ls "/proc/$a_pid/task" | wc -l)" -le "$threads_before" ] && break
	sleep 0.1
done
[ "$(ls "/proc/$a_pid/task" | wc -l)" -le "$threads_before" ] ||
	fail "threads left behind by clients that went away: $threads_before before, $(ls "/proc/$a_pid/task" | wc -l) after"
grep -q 'export stopped after [0-9]* units, unfinished' a.log ||
	fail "the server did not notice a client going away"

rss_kb() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$a_pid/status"; }
rss_before=$(rss_kb VmRSS)
echo 5 >"/proc/$a_pid/clear_refs" 2>/dev/null # resets VmHWM to the current RSS
curl -s "$url/v1/tmx" >big.tmx
hwm=$(rss_kb VmHWM)
size_kb=$(($(stat -c %s big.tmx) / 1024))
echo "export of $((big + 6)) units ($size_kb KiB): server RSS $rss_before KiB before, peak $hwm KiB during" >&2
[ "$(units_of big.tmx | wc -l)" -eq $((big + 6)) ] || fail "the large export has $(units_of big.tmx | wc -l) units"
tail -c 20 big.tmx | grep -q '</tmx>' || fail "the large export is not whole"
# the command's count of units, over the pieces curl hands it
"$mnemo" export --url "$url" -o cli-big.tmx 2>err || fail "mnemo export --url -o, large: $(cat err)"
grep -q "cli-big.tmx: $((big + 6)) units" err || fail "mnemo export counted: $(cat err)"
# Loose: a fifth of the document, or 16 MiB, whichever is more; it is ~0 in practice.
# AddressSanitizer keeps freed memory aside (its quarantine), so RSS grows there with
# every allocation: no bound then.
bound=$((size_kb / 5 > 16384 ? size_kb / 5 : 16384))
if grep -qa __asan_init "$mnemo"; then
	echo "(built with AddressSanitizer: memory not checked)" >&2
elif [ $((hwm - rss_before)) -ge "$bound" ]; then
	fail "memory grew by $((hwm - rss_before)) KiB over an export of $size_kb KiB"
fi

# ---- mnemo export, local mode, on the same database: the same bytes ----
stop_server "$a_pid"
servers=()
"$mnemo" export --db "$scratch/a.db" >local-all.tmx 2>err || fail "mnemo export --db: $(cat err)"
cmp -s local-all.tmx big.tmx || fail "mnemo export in local mode differs from remote mode"
"$mnemo" export --db "$scratch/a.db" --source fr --target en -o local-pair.tmx 2>err ||
	fail "mnemo export --db -o: $(cat err)"
grep -q "local-pair.tmx: $((big + 4)) units" err || fail "mnemo export --db counted: $(cat err)"
[ "$(units_of local-pair.tmx | wc -l)" -eq $((big + 4)) ] || fail "local pair export: $(units_of local-pair.tmx | wc -l) units"
"$mnemo" export --db "$scratch/empty.db" >local-empty.tmx 2>err || fail "mnemo export of an empty db: $(cat err)"
cmp -s local-empty.tmx empty.tmx || fail "an empty memory's export differs between modes"
"$mnemo" export --db "$scratch/a.db" --lang fr >/dev/null 2>err
[ $? -eq 1 ] && grep -q invalid_value err || fail "local mode, one language: $(cat err)"

# ---- export -> POST /v1/tmx into a fresh memory -> export: the same but for the header ----
# Every unit has an origin (an import gives those without one "tmx:NAME"); the history
# (a later change's date and user, usage counts) comes back as it was.
start b
post /v1/imports '{"import_id":"round","commit":true,"duplicates":"keep","units":[
	{"variants":{"fr":"Le chat dort.","en":"The cat is sleeping.","de":"Die Katze schläft."},
	 "meta":{"note":"Checked.","x-client":"acme","fr:note":"familier"},"origin":"manual",
	 "user":"alice","project":"zoo","domain":"pets","context":"cat.sleep",
	 "prev":{"fr":"Il fait nuit.","en":"It is night."},"next":{"fr":"Chut !"},
	 "created_at":1700000000000},
	{"variants":{"fr":"Cliquez sur Enregistrer.","en":"Click Save."},"origin":"ui.po",
	 "markup":{"en":"Click <bpt i=\"1\">&lt;b&gt;</bpt>Save<ept i=\"1\">&lt;/b&gt;</ept>."}},
	{"variants":{"fr":"A & B < C > \"D\"\nligne\tdeux","en":"A & B < C > \"D\"\nline\ttwo"},
	 "origin":"manual","meta":{"x-tricky":"<&>\"--"}},
	{"variants":{"en":"Goodbye.","es":"Adiós."},"origin":"manual","user":"bob",
	 "created_at":1600000000000,"changed_at":1650000000000,"changed_by":"carol",
	 "usage_count":3,"used_at":1660000000000}]}' >/dev/null
[ "$(status "$url/v1/tmx")" = 200 ] || fail "export of the round-trip memory: $(cat body)"
grep -q 'changedate="20220415T052000Z" changeid="carol" usagecount="3" lastusagedate="20220808T230640Z"' body ||
	fail "the history is not in the export: $(grep -A1 Goodbye body)"
cp body first.tmx
[ "$(units_of first.tmx | wc -l)" -eq 4 ] || fail "round-trip memory: $(units_of first.tmx | wc -l) units"
start c
code=$(curl -s -o body -w '%{http_code}' -X POST "$url/v1/tmx?duplicates=keep&name=first.tmx" \
	-H 'Content-Type: application/x-tmx+xml' --data-binary @first.tmx)
if [ "$code" = 200 ]; then
	curl -s "$url/v1/tmx" >again.tmx
	diff <(sed 1,4d first.tmx) <(sed 1,4d again.tmx) >&2 || fail "export -> import -> export differs"
else
	fail "POST /v1/tmx of an export: $code $(cat body)"
fi

# ---- a unit TMX cannot carry (U+0001, which the store takes): left out, with a comment ----
post /v1/units '{"variants":{"fr":"Bip \u0001 -- bip","en":"Beep."}}' >/dev/null
[ "$(status "$url/v1/tmx")" = 200 ] || fail "export with a unit TMX cannot carry: $(cat body)"
grep -q '<!-- unit 5 left out: variants\[fr\]: .* -->' body || fail "no comment for the unit left out: $(cat body)"
[ "$(units_of body | tr '\n' ' ')" = "1 2 3 4 " ] || fail "the other units: $(units_of body | tr '\n' ' ')"
"$units_tool" json body >/dev/null 2>err || fail "an export with a unit left out does not read back: $(cat err)"
grep -q 'unit 5 left out' c.log || fail "the unit left out is not in the log"
"$mnemo" export --url "$url" -o left-out.tmx 2>err || fail "mnemo export with a unit left out: $(cat err)"
grep -q '1 unit left out' err || fail "mnemo export does not say a unit was left out: $(cat err)"
# a deleted unit is not exported
curl -s -X DELETE "$url/v1/units/2" >/dev/null
[ "$(status "$url/v1/tmx")" = 200 ] || fail "export after a delete: $(cat body)"
[ "$(units_of body | tr '\n' ' ')" = "1 3 4 " ] || fail "after deleting unit 2: units $(units_of body | tr '\n' ' ')"

# ---- the store goes away mid-export: a cut transfer, never a shorter file that looks whole ----
# The store and the gateway as two processes; the clients read slowly, so that the store is
# gone before the gateway has read every page.
mkdir run
"$mnemo" serve store --run-dir "$scratch/run" --db "$scratch/a.db" >store.log 2>&1 &
store_pid=$!
disown "$store_pid" # killed on purpose below: no "Killed" notice from bash
servers+=("$store_pid")
http=$(free_port)
"$mnemo" serve gateway --run-dir "$scratch/run" --http "127.0.0.1:$http" \
	--nng "tcp://127.0.0.1:$(free_port)" --pub "tcp://127.0.0.1:$(free_port)" >gateway.log 2>&1 &
servers+=("$!")
url=http://127.0.0.1:$http
for _ in $(seq 100); do
	curl -s "$url/healthz" 2>/dev/null | grep -q '"store":1' && break
	sleep 0.1
done
(curl -s --limit-rate 2M "$url/v1/tmx" -o cut-curl.tmx; echo $? >cut-curl.status) &
curl_job=$!
("$mnemo" export --url "$url" 2>cut-cli.err | (sleep 2; cat >cut-cli.tmx)
	echo "${PIPESTATUS[0]}" >cut-cli.status) &
cli_job=$!
sleep 0.5
kill -KILL "$store_pid"
for _ in $(seq 600); do
	kill -0 "$curl_job" 2>/dev/null || kill -0 "$cli_job" 2>/dev/null || break
	sleep 0.1
done
[ "$(cat cut-curl.status 2>/dev/null)" = 18 ] ||
	fail "curl, store gone mid-export: exit $(cat cut-curl.status 2>/dev/null), wanted 18 (a cut transfer)"
tail -c 20 cut-curl.tmx | grep -q '</tmx>' && fail "a cut export ends like a whole one"
[ "$(cat cut-cli.status 2>/dev/null)" = 1 ] && grep -q 'cut short' cut-cli.err ||
	fail "mnemo export, store gone mid-export: exit $(cat cut-cli.status 2>/dev/null): $(cat cut-cli.err)"
grep -q 'export cut short after [0-9]* units' gateway.log || fail "the gateway did not log the cut export"

if [ "$failures" -gt 0 ]; then
	echo "$failures failed" >&2
	exit 1
fi
echo "export: all passed"
