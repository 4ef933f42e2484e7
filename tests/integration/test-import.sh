#!/usr/bin/env bash
# Imports end to end, with a real `mnemo serve` on free loopback ports: TMX and gettext
# files over HTTP (POST /v1/tmx, /v1/gettext) and with the mnemo command in both modes,
# their units found by lookups, the duplicates policies, and every kind of bad file
# answered with an error naming its line and column while the memory stays exactly as it
# was (same units and last seq, nothing new on the change log).
set -uo pipefail

src=$1
mnemo=$(realpath "$2")
data=$src/tests/data/formats
. "$src/tests/integration/lib.sh"

require_tools curl msgfmt python3
cd "$scratch"
start_server

# post PATH FILE: the reply in $body, the status in $status
post() {
	status=$(curl -s -o reply.json -w '%{http_code}' --data-binary @"$2" "$url$1")
	body=$(cat reply.json)
}
lookup() { # source target context segment: the best match's "score target unit"
	local q
	q=$(python3 -c 'import json, sys
print(json.dumps({"segments": [sys.argv[4]], "source": sys.argv[1], "target": sys.argv[2],
                  "context": sys.argv[3]}))' "$1" "$2" "$3" "$4")
	field "$(curl -s "$url/v1/lookup" -H 'Content-Type: application/json' -d "$q")" \
		'(lambda m: "%s %s %s" % (m["score"], m["target"], m["unit"]))(d["results"][0]["matches"][0])'
}
# The memory's state: units, last seq, and the change log's length.
state() {
	local st
	st=$(curl -s "$url/v1/status")
	echo "$(field "$st" 'd["units"]') $(field "$st" 'd["last_seq"]')" \
		"$(field "$(curl -s "$url/v1/updates?since=0&max=10000")" 'len(d["updates"])')"
}

# ---- a TMX file over HTTP; its units found by lookups and by id ----
post "/v1/tmx?name=memory.tmx" "$data/memory.tmx"
[ "$status" = 200 ] || fail "memory.tmx: HTTP $status: $body"
[ "$(field "$body" 'd["added"]')" = 8 ] || fail "memory.tmx: 8 units added, got: $body"
contains "$(field "$body" 'd["import_id"]')" "gw-" "an import id"
got=$(lookup en-US fr-FR "" "The river Durance burst its banks.")
[ "${got% *}" = "100 La Durance est sortie de son lit." ] || fail "lookup of a TMX unit: $got"
unit=$(curl -s "$url/v1/units/${got##* }")
[ "$(field "$unit" 'd["variants"]["fr-CA"]')" = "La rivière Durance a débordé." ] || fail "unit: $unit"
[ "$(field "$unit" 'd["origin"]')" = "tmx:memory.tmx" ] || fail "origin of a TMX unit: $unit"
[ "$(field "$unit" 'd["meta"]["tuid"]')" = "three-7" ] || fail "tuid of a TMX unit: $unit"
got=$(lookup en-US fr-FR "" "Save")
unit=$(curl -s "$url/v1/units/${got##* }")
[ "$(field "$unit" 'd["context"]')" = "menu.file.save" ] || fail "x-context of a TMX unit: $unit"
[ "$(field "$unit" 'd["created_by"]')" = "marie" ] || fail "creationid of a TMX unit: $unit"
post "/v1/tmx?name=omegat.tmx&origin=omegat-project" "$data/omegat.tmx"
[ "$status" = 200 ] && [ "$(field "$body" 'd["added"]')" -gt 0 ] || fail "omegat.tmx: $status $body"

# ---- duplicates: skip (default), keep, overwrite ----
before=$(state)
post "/v1/tmx?name=memory.tmx" "$data/memory.tmx"
[ "$(field "$body" '"%d %d %d" % (d["added"], d["skipped"], d["updated"])')" = "0 8 0" ] ||
	fail "memory.tmx again, skipped: $body"
[ "$(state)" = "$before" ] || fail "skipped duplicates changed the memory: $before -> $(state)"
post "/v1/tmx?name=memory.tmx&duplicates=keep" "$data/memory.tmx"
[ "$(field "$body" '"%d %d" % (d["added"], d["skipped"])')" = "8 0" ] || fail "duplicates=keep: $body"
cat >save.tmx <<'TMX'
<?xml version="1.0" encoding="UTF-8"?>
<tmx version="1.4">
  <header creationtool="t" creationtoolversion="1" segtype="sentence" o-tmf="t"
          adminlang="en" srclang="en" datatype="plaintext"/>
  <body>
    <tu><prop type="x-context">menu.file.save</prop>
      <tuv xml:lang="en-US"><seg>Save</seg></tuv>
      <tuv xml:lang="fr-FR"><seg>Sauvegarder</seg></tuv></tu>
  </body>
</tmx>
TMX
post "/v1/tmx?name=save.tmx&duplicates=overwrite&source=en-US" save.tmx
[ "$(field "$body" '"%d %d" % (d["added"], d["updated"])')" = "0 1" ] || fail "duplicates=overwrite: $body"
got=$(lookup en-US fr-FR "" "Save")
[ "${got% *}" = "100 Sauvegarder" ] || fail "overwritten unit: $got"
sed 's/srclang="en"/srclang="*all*"/' save.tmx >all.tmx
post "/v1/tmx?name=all.tmx&duplicates=overwrite" all.tmx
[ "$status" = 400 ] || fail "overwrite without a source language: HTTP $status"
contains "$body" "srclang=\\\"*all*\\\"" "overwrite without a source language"

# ---- gettext: a .mo made by msgfmt, then a .po; msgctxt is the context ----
cat >app-de.po <<'PO'
msgid ""
msgstr ""
"Language: de\n"
"Content-Type: text/plain; charset=UTF-8\n"

msgctxt "menu"
msgid "Close"
msgstr "Schließen"

msgctxt "door"
msgid "Close"
msgstr "Zumachen"

msgid "%d file"
msgid_plural "%d files"
msgstr[0] "%d Datei"
msgstr[1] "%d Dateien"
PO
msgfmt -o app-de.mo app-de.po || fail "msgfmt"
post "/v1/gettext?name=app-de.mo" app-de.mo
[ "$status" = 200 ] && [ "$(field "$body" 'd["added"]')" = 4 ] || fail "app-de.mo: $status $body"
got=$(lookup en de door "Close")
[ "${got% *}" = "101 Zumachen" ] || fail "in-context match of a .mo unit: $got"
unit=$(curl -s "$url/v1/units/${got##* }")
[ "$(field "$unit" 'd["origin"]')" = "gettext:app-de.mo" ] || fail "origin of a .mo unit: $unit"
post "/v1/gettext?name=app-de.po" app-de.po
[ "$(field "$body" '"%d %d" % (d["added"], d["skipped"])')" = "0 4" ] || fail ".po of the same .mo: $body"
post "/v1/gettext?name=editor-fr.po&source=en" "$data/editor-fr.po"
[ "$(field "$body" 'd["added"]')" = 10 ] || fail "editor-fr.po: $body"
got=$(lookup en fr-FR adjective "Open")
[ "${got% *}" = "101 Ouvert" ] || fail "in-context match of a .po unit: $got"
post "/v1/gettext?target=de&name=plural-ru.po" "$data/plural-ru.po"
[ "$status" = 200 ] || fail "target= overrides Language: $body"

# ---- bad files: an error naming the place, and the memory as it was ----
before=$(state)
unchanged() {
	local now
	now=$(state)
	[ "$now" = "$before" ] || fail "$1 changed the memory: units, seq, changes $before -> $now"
}
bad() { # path file want-status want-in-message
	post "$1" "$2"
	[ "$status" = "$3" ] || fail "$2: HTTP $status, wanted $3: $body"
	contains "$(field "$body" 'd["error"]["message"]')" "$4" "$2's error"
	unchanged "$2"
}
bad "/v1/tmx?name=not-well-formed.tmx" "$data/not-well-formed.tmx" 400 "not-well-formed.tmx:7:37: not well-formed"
bad "/v1/tmx?name=billion-laughs.tmx" "$data/billion-laughs.tmx" 400 "billion-laughs.tmx:2:15: DOCTYPE with an internal subset"
bad "/v1/tmx?name=xxe.tmx" "$data/xxe.tmx" 400 "xxe.tmx:2:15: DOCTYPE"
bad "/v1/tmx?name=xxe-parameter.tmx" "$data/xxe-parameter.tmx" 400 "xxe-parameter.tmx:2:15: DOCTYPE"
bad "/v1/tmx?name=undeclared-entity.tmx" "$data/undeclared-entity.tmx" 400 "undeclared-entity.tmx:7:35: reference to the undeclared entity"
bad "/v1/tmx?name=errors.tmx" "$data/errors.tmx" 400 "errors.tmx:10:7: <tuv> without xml:lang"
bad "/v1/gettext?name=errors.po" "$data/errors.po" 400 "errors.po:9:7: a string without its closing quote"

head='<?xml version="1.0" encoding="UTF-8"?>
<tmx version="1.4"><header creationtool="t" creationtoolversion="1" segtype="sentence" o-tmf="t" adminlang="en" srclang="fr" datatype="plaintext"/><body>
<tu><tuv xml:lang="fr"><seg>Bonjour</seg></tuv><tuv xml:lang="en"><seg>Hello</seg></tuv></tu>'
printf '%s\n<tu>\n  <tuv xml:lang="français"><seg>Non</seg></tuv><tuv xml:lang="en"><seg>No</seg></tuv></tu>\n</body></tmx>\n' "$head" >lang.tmx
bad "/v1/tmx?name=lang.tmx" lang.tmx 400 'lang.tmx:5:3: <tuv xml:lang="français">: not a language tag'
printf '%s\n<tu>\n  <tuv xml:lang="fr"><seg>Seul</seg></tuv>\n</tu>\n</body></tmx>\n' "$head" >one.tmx
bad "/v1/tmx?name=one.tmx" one.tmx 400 "one.tmx:4: a <tu> with one variant only"

# Many units, then an error: batches were staged in the store, and are dropped.
python3 - <<'PY'
with open("many.tmx", "w", encoding="utf-8") as f:
    f.write('<?xml version="1.0" encoding="UTF-8"?>\n<tmx version="1.4"><header creationtool="t" '
            'creationtoolversion="1" segtype="sentence" o-tmf="t" adminlang="en" srclang="fr" '
            'datatype="plaintext"/><body>\n')
    for i in range(12000):
        f.write(f'<tu><tuv xml:lang="fr"><seg>Phrase numéro {i} du test.</seg></tuv>'
                f'<tuv xml:lang="en"><seg>Test sentence number {i}.</seg></tuv></tu>\n')
    f.write('<tu><tuv xml:lang="fr"><seg>a</seg></tuv><tuv><seg>b</seg></tuv></tu>\n</body></tmx>\n')
with open("many.tmx", encoding="utf-8") as f, open("many-ok.tmx", "w", encoding="utf-8") as ok:
    lines = f.readlines()
    ok.writelines(lines[:-2] + ["</body></tmx>\n"])
PY
bad "/v1/tmx?name=many.tmx" many.tmx 400 "many.tmx:12003:42: <tuv> without xml:lang"
grep -q "import gw-[0-9a-f]* refused after 12000 units (2 batches staged, dropped): many.tmx" \
	serve.log || fail "many.tmx: no refusal after two staged batches logged"

# A 100 MB segment: refused at the segment limit, fast, and the server stays up.
python3 - <<'PY'
with open("huge.tmx", "w") as f:
    f.write('<?xml version="1.0"?>\n<tmx version="1.4"><header creationtool="t" creationtoolversion="1" '
            'segtype="sentence" o-tmf="t" adminlang="en" srclang="en" datatype="plaintext"/><body>\n'
            '<tu><tuv xml:lang="en"><seg>')
    chunk = "word " * 200000
    for _ in range(100):
        f.write(chunk)
    f.write('</seg></tuv><tuv xml:lang="fr"><seg>x</seg></tuv></tu></body></tmx>\n')
PY
start=$(date +%s%N)
bad "/v1/tmx?name=huge.tmx" huge.tmx 413 "huge.tmx:3:"
ms=$((($(date +%s%N) - start) / 1000000))
[ "$ms" -lt 10000 ] || fail "the 100 MB segment took $ms ms to refuse"
contains "$(field "$body" 'd["error"]["message"]')" "a <seg> over 1048576 bytes" "huge.tmx's error"
curl -sf "$url/healthz" >/dev/null || fail "the server is down after the 100 MB segment"
rm -f huge.tmx

# A body cut in the middle: the client goes away, the import is aborted and dropped.
python3 - "$http" <<'PY'
import socket, sys, time
host, port = sys.argv[1].split(":")
data = open("many.tmx", "rb").read()
s = socket.create_connection((host, int(port)))
s.sendall(b"POST /v1/tmx?name=cut.tmx HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(data))
s.sendall(data[: len(data) * 3 // 4])
time.sleep(0.5)
s.close()
PY
for _ in $(seq 50); do
	grep -q "abandoned after" serve.log && break
	sleep 0.1
done
grep -q "import gw-[0-9a-f]* abandoned after .* (1 batches staged): aborted" serve.log ||
	fail "a cut body: no abort of its staged batch logged"
unchanged "a body cut in the middle"
curl -sf "$url/healthz" >/dev/null || fail "the server is down after a cut body"

# Options and limits refused before the body is read.
bad "/v1/tmx?name=x.tmx&duplicates=sometimes" "$data/memory.tmx" 400 "duplicates is skip, keep or overwrite"
bad "/v1/tmx?target=fr" "$data/memory.tmx" 400 "unknown query parameter 'target'"
bad "/v1/gettext?source=english!" "$data/editor-fr.po" 400 "not a BCP 47 language tag"

# ---- the mnemo command: remote mode ----
expect 0 "mnemo import --url" "$mnemo" import --url "$url" --duplicates keep \
	"$data/memory.tmx" app-de.po
contains "$out" "$data/memory.tmx: 8 units added, 0 skipped as duplicates, 0 updated" "remote import"
contains "$out" "app-de.po: 4 units added" "remote import of a .po"
expect 0 "mnemo import --url --progress" "$mnemo" import --url "$url" --progress many-ok.tmx
contains "$out" "many-ok.tmx: 12,000 units added" "remote import of many units"
contains "$err" "units/s" "remote progress bar"
# Its units past the commit's first 5,000 are indexed for concordance in the background
backlog() { field "$(curl -s "$url/v1/status")" 'd["concordance_backlog"]'; }
for _ in $(seq 100); do
	[ "$(backlog)" = 0 ] && break
	sleep 0.1
done
[ "$(backlog)" = 0 ] || fail "many-ok.tmx's concordance backlog: $(backlog) units left after 10 s"
body=$(curl -s "$url/v1/concordance?query=%22number%2011999%22&lang=en")
contains "$body" '"text":"Test sentence number 11999."' "concordance finds the import's last unit"
contains "$body" '"incomplete":false' "concordance complete once the backlog is indexed"
out=$("$mnemo" import --url "$url" --duplicates keep - <"$data/omegat.tmx" 2>stderr) ||
	fail "mnemo import --url - (a pipe, sent chunked): $(cat stderr)"
contains "$out" "stdin: 3 units added" "remote import from standard input"
status=$(curl -s -o reply.json -w '%{http_code}' -H 'Transfer-Encoding: chunked' \
	--data-binary @"$data/omegat.tmx" "$url/v1/tmx?duplicates=keep")
[ "$status" = 200 ] || fail "a chunked body: HTTP $status: $(cat reply.json)"
before=$(state)
expect 1 "mnemo import --url of a bad file" "$mnemo" import --url "$url" "$data/errors.tmx"
contains "$err" "$data/errors.tmx:10:7: <tuv> without xml:lang" "remote import error"
unchanged "a remote import of a bad file"

# ---- the mnemo command: local mode ----
local_db=$scratch/local.db
expect 0 "mnemo import (local)" "$mnemo" import --db "$local_db" "$data/memory.tmx" \
	"$data/editor-fr.po" app-de.mo
contains "$out" "memory.tmx: 8 units added" "local import of a TMX"
contains "$out" "editor-fr.po: 10 units added" "local import of a .po"
contains "$out" "app-de.mo: 4 units added" "local import of a .mo"
expect 0 "mnemo import (local) again" "$mnemo" import --db "$local_db" "$data/memory.tmx"
contains "$out" "0 units added, 8 skipped as duplicates" "local duplicates"
expect 0 "lookup in the local memory" "$mnemo" lookup --db "$local_db" --from en-US --to fr-FR \
	--json - <<<"The river Durance burst its banks."
contains "$out" '"target":"La Durance est sortie de son lit."' "local import's unit found"
local_state() { # units, changes and staged batches in the local database
	python3 -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(*(db.execute(q).fetchone()[0] for q in ("SELECT count(*) FROM unit",
      "SELECT count(*) FROM change", "SELECT count(*) FROM import_batch")))' "$local_db"
}
local_before=$(local_state)
for f in errors.tmx billion-laughs.tmx errors.po; do
	expect 1 "mnemo import (local) $f" "$mnemo" import --db "$local_db" "$data/$f"
	contains "$err" "$data/$f:" "local import error names the file"
	contains "$err" "nothing of the file was imported" "local import error"
done
expect 1 "mnemo import (local) many.tmx" "$mnemo" import --db "$local_db" --progress many.tmx
contains "$err" "many.tmx:12003:42: <tuv> without xml:lang" "local import error after staged batches"
contains "$err" "units/s" "progress bar"
[ "$(local_state)" = "$local_before" ] ||
	fail "failed local imports changed the memory: $local_before -> $(local_state)"
expect 1 "mnemo import of a missing file" "$mnemo" import --db "$local_db" nowhere.tmx
contains "$err" "nowhere.tmx" "missing file"
expect 2 "mnemo import without a file" "$mnemo" import --db "$local_db"
expect 1 "mnemo import --duplicates bad" "$mnemo" import --db "$local_db" --duplicates x a.tmx

curl -sf "$url/healthz" >/dev/null || fail "the server is down at the end"
# Every import ended committed or dropped: nothing staged is left behind.
left=$(python3 -c 'import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM import_batch").fetchone()[0])' \
	"$scratch/mnemo.db")
[ "$left" = 0 ] || fail "$left staged batches left in the store after the imports"
if [ "$failures" -gt 0 ]; then
	echo "$failures failure(s)" >&2
	exit 1
fi
echo "imports: all passed" >&2
