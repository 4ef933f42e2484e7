#!/usr/bin/env bash
# Bitext alignment end to end, with a real `mnemo serve`: mnemo align in both modes and
# POST /v1/align on the project's news gold (scored by bench/align/score), the default
# output format, storing pairs (once, however often a request is retried; published on the
# change feed; found by lookups), and bad input answered per document: empty documents,
# a side in the wrong language, invalid UTF-8, another encoding, missing languages.
set -uo pipefail

src=$1
mnemo=$(realpath "$2")
news=$src/tests/data/align/news
. "$src/tests/integration/lib.sh"

require_tools curl python3 iconv
cd "$scratch"
start_server

# ---- the news gold, one sentence a line: strict F1 as bench/align/README.md reports ----
mkdir pred
for gold in "$news"/*.gold; do
	name=$(basename "$gold" .gold)
	expect 0 "mnemo align --segmented --json $name" "$mnemo" align --url "$url" --from fr --to en \
		--segmented --json "$news/$name.fr.txt" "$news/$name.en.txt"
	printf '%s\n' "$out" >"pred/$name.jsonl"
done
f1=$("$src/bench/align/score" --tsv "$news" pred 2>/dev/null | awk -F'\t' '$1 == "TOTAL" { print $7 }')
python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= 0.90 else 1)' "${f1:-0}" ||
	fail "strict F1 on the news gold: ${f1:-none}, wanted >= 0.90"
line=$(head -1 pred/secheresse-isere.jsonl)
for key in source_ids target_ids source target score bead accepted skipped; do
	contains "$line" "\"$key\":" "--json bead"
done

# ---- the default output: source<TAB>target<TAB>score, a bead a line ----
expect 0 "mnemo align (text)" "$mnemo" align --url "$url" --from fr --to en \
	"$news/greve-transports-toulouse.fr.txt" "$news/greve-transports-toulouse.en.txt"
bad=$(awk -F'\t' 'NF != 3 || $3 !~ /^[01]\.[0-9][0-9]$/' <<<"$out" | head -3)
[ -z "$bad" ] || fail "default output lines that are not source<TAB>target<TAB>score: $bad"
contains "$out" "Une grève reconductible a été lancée ce jeudi 14 septembre par trois syndicats" \
	"a source sentence"
# boilerplate the segmenter tags is never paired
contains "$out" "$(printf 'PUBLICITÉ\t\t0.00')" "boilerplate left unpaired"

# ---- another encoding: a Latin-1 file is decoded by the service ----
iconv -f UTF-8 -t ISO-8859-1//TRANSLIT "$news/secheresse-isere.fr.txt" >latin1.fr.txt
expect 0 "mnemo align of a Latin-1 file" "$mnemo" align --url "$url" --from fr --to en \
	latin1.fr.txt "$news/secheresse-isere.en.txt"
contains "$out" "Sécheresse" "Latin-1 decoded"

# ---- storing: once per request id, on the feed, found by lookups ----
doc() { python3 -c 'import json, sys; print(json.dumps(open(sys.argv[1]).read()))' "$1"; }
req=$(printf '{"source":{"lang":"fr","name":"isere","text":%s},"target":{"lang":"en","text":%s},"store":true,"request_id":"isere-1"}' \
	"$(doc "$news/secheresse-isere.fr.txt")" "$(doc "$news/secheresse-isere.en.txt")")
post_json /v1/align "$req"
[ "$status" = 200 ] || fail "POST /v1/align with store: HTTP $status: $body"
stored=$(field "$body" 'd["stored"]')
accepted=$(field "$body" 'sum(1 for p in d["pairs"] if p["accepted"])')
[ "$stored" -gt 10 ] && [ "$stored" = "$accepted" ] || fail "stored $stored of $accepted accepted pairs"
last=$(field "$body" 'd["last_seq"]')
post_json /v1/align "$req"
[ "$(field "$body" 'd["stored"], d["last_seq"]')" = "($stored, $last)" ] ||
	fail "the same request id stored again: $body"
st=$(curl -s "$url/v1/status")
[ "$(field "$st" 'd["units"]')" = "$stored" ] || fail "units after a retried store: $st"
feed=$(curl -s "$url/v1/updates?since=0&max=10000")
[ "$(field "$feed" 'sum(1 for u in d["updates"] if u["op"] == "add" and u["unit"]["origin"] == "align:isere")')" = "$stored" ] ||
	fail "the stored pairs on the change feed: $(head -c 300 <<<"$feed")"
pair=$(field "$body" '[p for p in d["pairs"] if p["accepted"] and p["bead"] == "1-1"][0]')
fr=$(field "$pair" 'd["source"]')
en=$(field "$pair" 'd["target"]')
q=$(python3 -c 'import json, sys; print(json.dumps({"segments": [sys.argv[1]], "source": "fr", "target": "en"}))' "$fr")
got=$(curl -s "$url/v1/lookup" -H 'Content-Type: application/json' -d "$q")
[ "$(field "$got" 'd["results"][0]["matches"][0]["target"]')" = "$en" ] || fail "lookup of a stored pair: $got"
# the same pair again under another request id: duplicates, nothing added
post_json /v1/align "${req/isere-1/isere-2}"
[ "$(field "$body" 'd["stored"], d["duplicates"]')" = "(0, $stored)" ] || fail "a second store of the same pairs: $body"

# ---- the lexicon learns from the memory: after a restart, its stored pairs teach it ----
kill -TERM "$server"
wait "$server" 2>/dev/null
start_server
tm=0
for _ in $(seq 50); do
	post_json /v1/align "${req/\"store\":true/\"store\":false}"
	tm=$(field "$body" 'd["tm_entries"]')
	[ "$tm" -gt 0 ] && break
	sleep 0.2
done
[ "$tm" -gt 0 ] || fail "no lexicon entries learned from $stored units: $(grep -i lexicon "$scratch/serve.log")"
contains "$(cat "$scratch/serve.log")" "units of the translation memory" "the learning's log line"

# ---- local mode: --store into a database file ----
expect 0 "mnemo align --store (local)" "$mnemo" align --db local.db --from fr --to en --store \
	--origin news-test "$news/proces-entrepot-rouen.fr.txt" "$news/proces-entrepot-rouen.en.txt"
contains "$err" "mnemo: stored" "the store summary"
expect 0 "mnemo concordance (local)" "$mnemo" concordance --db local.db --lang fr entrepôt
contains "$out" "entrepôt" "a stored pair found by concordance"

# ---- bad input: a clear error per document ----
: >empty.txt
expect 1 "an empty source" "$mnemo" align --url "$url" --from fr --to en empty.txt "$news/secheresse-isere.en.txt"
contains "$err" "empty_document" "empty source"
expect 1 "a target in the source's language" "$mnemo" align --url "$url" --from fr --to en \
	"$news/secheresse-isere.fr.txt" "$news/proces-entrepot-rouen.fr.txt"
contains "$err" "wrong_language" "target in French"
contains "$err" "reads as fr" "target in French"
printf 'Bonjour.\n\xc3\x28 cassé\n' >bad-utf8.txt
expect 1 "invalid UTF-8 with --segmented" "$mnemo" align --url "$url" --from fr --to en --segmented \
	bad-utf8.txt "$news/secheresse-isere.en.txt"
contains "$err" "bad-utf8.txt:2: not valid UTF-8" "the line of invalid UTF-8"
expect 1 "a missing file" "$mnemo" align --url "$url" --from fr --to en nowhere.txt empty.txt
contains "$err" "nowhere.txt" "missing file"
expect 2 "one file" "$mnemo" align --url "$url" --from fr --to en empty.txt
expect 1 "no --to" "$mnemo" align --url "$url" --from fr empty.txt empty.txt
post_fails /v1/align '{"source":{"text":"Bonjour."},"target":{"lang":"en","text":"Hello."}}' 400 "source.lang" "a source without lang"
post_fails /v1/align '{"source":{"lang":"fr","text":"Bonjour."},"target":{"lang":"xx-!!","text":"Hello."}}' 400 "invalid_lang" "a bad language tag"
post_fails /v1/align '{"source":{"lang":"fr","text":"Bonjour."},"target":{"lang":"en","text":"Hello."},"min_score":2}' 400 "min_score" "min_score out of range"
post_fails /v1/align '{"source":{"lang":"fr","text":"Bonjour.","segments":["Bonjour."]},"target":{"lang":"en","text":"Hello."}}' 400 "not both" "text and segments"
post_fails /v1/align '{"source":{"lang":"fr","text":"Bonjour."}}' 400 "missing_field" "no target"

finish "align"
