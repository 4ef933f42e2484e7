#!/usr/bin/env bash
# The mnemo command as a user runs it: help everywhere, settings, local mode on a database
# file, and the errors a user can make.
set -uo pipefail

src=$1
mnemo=$(realpath "$2")
scratch=$(mktemp -d /tmp/mnemo-cli-XXXXXX)
failures=0

fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

# expect STATUS "description" command... ; stdout in $out, stderr in $err
expect() {
	local want=$1 what=$2
	shift 2
	out=$("$@" 2>"$scratch/stderr")
	local got=$?
	err=$(cat "$scratch/stderr")
	[ "$got" -eq "$want" ] || fail "$what: exit $got, wanted $want; stderr: $err"
}

contains() { # haystack needle description
	grep -qF -- "$2" <<<"$1" || fail "$3: no '$2' in: $1"
}

cd "$scratch"

# ---- help ----
expect 0 "mnemo --help" "$mnemo" --help
top_help=$out
for cmd in serve supervise segment lookup concordance align job import export unit watch config; do
	contains "$top_help" "  $cmd" "mnemo --help lists $cmd"
	expect 0 "mnemo $cmd --help" "$mnemo" "$cmd" --help
	contains "$out" "Usage: mnemo $cmd" "mnemo $cmd --help"
done
expect 2 "mnemo without a command" "$mnemo"
expect 2 "an unknown command" "$mnemo" frobnicate
contains "$err" "unknown command 'frobnicate'" "unknown command message"
expect 0 "mnemo --version" "$mnemo" --version
contains "$out" "mnemo " "version"

# ---- settings ----
expect 0 "mnemo config" "$mnemo" config
diff <(printf '%s\n' "$out") <(sed '1,/^$/d' "$src/deploy/mnemo.conf") >/dev/null ||
	fail "deploy/mnemo.conf is out of date: regenerate it with 'mnemo config'"
expect 0 "loading deploy/mnemo.conf" "$mnemo" config --config "$src/deploy/mnemo.conf"
printf '[gateway]\nthreads = 4\ntimeout_ms = soon\n' >bad.conf
expect 1 "a bad value in a settings file" "$mnemo" config --config bad.conf
contains "$err" "bad.conf:3" "bad value names the line"
contains "$err" "timeout_ms" "bad value names the key"
expect 1 "an unknown key" "$mnemo" config --set store.colour=blue
contains "$err" "[store] colour: no such key" "unknown key message"
expect 1 "--set out of range" "$mnemo" config --set gateway.threads=0
contains "$err" "[gateway] threads" "out of range names the key"

# ---- segment ----
printf 'Le cessez-le-feu tient. M. Aliev a parlé hier.\nLire aussi\n\nLa suite demain.\n' >article.txt
expect 0 "mnemo segment FILE" "$mnemo" segment article.txt
[ "$out" = $'Le cessez-le-feu tient.\nM. Aliev a parlé hier.\n\nLire aussi\n\nLa suite demain.' ] ||
	fail "segment output: $out"
expect 0 "mnemo segment --json" "$mnemo" segment --json article.txt
contains "$out" '"kind":"boilerplate"' "segment --json tags 'Lire aussi'"
printf 'Bon\xffjour.\n' >latin1.txt
expect 1 "invalid UTF-8 input said to be UTF-8" "$mnemo" segment --encoding UTF-8 latin1.txt
contains "$err" "not valid UTF-8 at byte 3" "invalid UTF-8 names the byte"
printf 'L\x92\xe9t\xe9 est arriv\xe9.\n' >cp1252.txt
expect 0 "Windows-1252 input, detected" "$mnemo" segment cp1252.txt
contains "$out" "L’été est arrivé." "Windows-1252 decoded"
expect 1 "an unknown encoding" "$mnemo" segment --encoding klingon-8 cp1252.txt
contains "$err" "invalid_encoding" "unknown encoding"
expect 1 "a missing file" "$mnemo" segment nowhere.txt
contains "$err" "nowhere.txt" "missing file named"
expect 1 "a bad language" "$mnemo" segment --lang 'pas une langue' article.txt
contains "$err" "invalid_lang" "bad language"
cat >rules.srx <<'SRX'
<?xml version="1.0" encoding="UTF-8"?>
<srx xmlns="http://www.lisa.org/srx20" version="2.0">
  <header segmentsubflows="yes" cascade="yes"/>
  <body>
    <languagerules>
      <languagerule languagerulename="Semicolons">
        <rule break="yes"><beforebreak>;</beforebreak><afterbreak>\s</afterbreak></rule>
      </languagerule>
    </languagerules>
    <maprules>
      <languagemap languagepattern="fr.*" languagerulename="Semicolons"/>
    </maprules>
  </body>
</srx>
SRX
printf 'Il pleut ; il vente. La suite demain.\n' >semicolons.txt
expect 0 "mnemo segment --srx" "$mnemo" segment --srx rules.srx semicolons.txt
[ "$out" = $'Il pleut ;\nil vente.\nLa suite demain.' ] || fail "segment with SRX rules: $out"
printf '<srx version="2.0"><body>\n' >broken.srx
expect 1 "a broken SRX file" "$mnemo" segment --srx broken.srx semicolons.txt
contains "$err" "broken.srx:" "broken SRX names the file"

# ---- units and lookups, local mode ----
db=(--db "$scratch/local.db")
expect 0 "unit add" "$mnemo" unit add fr='Le Conseil se réunira jeudi.' en='The Council will meet on Thursday.' --meta origin=test "${db[@]}"
[ "$out" = '{"unit":1,"seq":1}' ] || fail "unit add: $out"
expect 0 "unit add, retried" "$mnemo" unit add fr='Le Conseil se réunira lundi.' en='The Council will meet on Monday.' --request-id k1 "${db[@]}"
expect 0 "unit add, retried again" "$mnemo" unit add fr='Le Conseil se réunira lundi.' en='The Council will meet on Monday.' --request-id k1 "${db[@]}"
[ "$out" = '{"unit":2,"seq":2}' ] || fail "a retry with the same request id: $out"
expect 1 "unit add, same id, other text" "$mnemo" unit add fr='Autre.' en='Other.' --request-id k1 "${db[@]}"
contains "$err" "conflict" "request id reused"
expect 0 "unit get" "$mnemo" unit get 1 "${db[@]}"
contains "$out" '"origin":"test"' "unit get meta"
expect 0 "lookup" "$mnemo" lookup --from fr --to en "${db[@]}" <<<'Le Conseil se réunira jeudi. Le Conseil se réunira vendredi.'
contains "$out" $'\t100\t1\tThe Council will meet on Thursday.' "exact match"
contains "$out" $'\t80\t' "fuzzy match"
expect 0 "unit update" "$mnemo" unit update 1 fr='Le Conseil se réunira mardi.' en='The Council will meet on Tuesday.' "${db[@]}"
expect 0 "unit delete" "$mnemo" unit delete 2 "${db[@]}"
expect 1 "unit get of a deleted unit" "$mnemo" unit get 2 "${db[@]}"
contains "$err" "not_found" "deleted unit"
expect 1 "unit add with one language" "$mnemo" unit add fr='Seul.' "${db[@]}"
contains "$err" "at least two languages" "one variant"
expect 1 "unit get without an id" "$mnemo" unit get "${db[@]}"
expect 0 "watch" "$mnemo" watch --since 0 --count 4 "${db[@]}"
[ "$(grep -c '"seq"' <<<"$out")" -eq 4 ] || fail "watch printed: $out"
contains "$out" '"op":"delete"' "watch shows the delete"
expect 1 "lookup without languages" "$mnemo" lookup "${db[@]}" <<<'Bonjour.'

# ---- remote mode, nobody there ----
expect 1 "remote mode without a server" "$mnemo" unit get 1 --url http://127.0.0.1:9
contains "$err" "is mnemo serving there?" "unreachable server"

# ---- serve's own errors ----
expect 1 "serve an unknown service" "$mnemo" serve everything
expect 2 "serve a bad flag" "$mnemo" serve --colour blue
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
python3 -c 'import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
print(s.getsockname()[1], flush=True); time.sleep(30)' >busy.port &
busy=$!
for _ in $(seq 100); do [ -s busy.port ] && break; sleep 0.05; done
expect 1 "serve on a port in use" "$mnemo" serve all --http "127.0.0.1:$(cat busy.port)" \
	--nng "tcp://127.0.0.1:$(free_port)" --pub "tcp://127.0.0.1:$(free_port)" --db "$scratch/x.db"
contains "$err" "([gateway] http): Address already in use" "port in use names the setting"
kill "$busy"

# ---- a server's SRX rules, from its settings ----
http="127.0.0.1:$(free_port)"
"$mnemo" serve all --http "$http" --nng "tcp://127.0.0.1:$(free_port)" \
	--pub "tcp://127.0.0.1:$(free_port)" --db "$scratch/srx.db" \
	--set segmenter.srx="$scratch/rules.srx" 2>serve.log &
server=$!
for _ in $(seq 100); do curl -sf "http://$http/healthz" >/dev/null && break; sleep 0.05; done
expect 0 "segment on a server with [segmenter] srx" "$mnemo" segment --url "http://$http" semicolons.txt
[ "$out" = $'Il pleut ;\nil vente.\nLa suite demain.' ] || fail "server's SRX rules: $out"
kill "$server"
wait "$server" 2>/dev/null
expect 1 "serve with a broken SRX file" "$mnemo" serve all --http "127.0.0.1:$(free_port)" \
	--nng "tcp://127.0.0.1:$(free_port)" --pub "tcp://127.0.0.1:$(free_port)" \
	--db "$scratch/srx2.db" --set segmenter.srx="$scratch/broken.srx"
contains "$err" "[segmenter] srx" "broken SRX names the setting"

cd /
if [ "$failures" -eq 0 ]; then
	rm -rf "$scratch"
	echo "mnemo command: all checks passed" >&2
	exit 0
fi
echo "$failures failures; kept $scratch" >&2
exit 1
