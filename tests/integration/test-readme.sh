#!/usr/bin/env bash
# The README's first command and its examples, as written: starts mnemo with
# ./deploy/start (on free ports and a scratch database, so a running mnemo is left
# alone), then runs every shell block marked <!-- readme-test --> with the README's
# addresses pointed at that instance. Each block must succeed and print something.
set -euo pipefail

src=$1
mnemo=$(realpath "$2")
scratch=$(mktemp -d /tmp/mnemo-readme-XXXXXX)
server=

cleanup() {
	status=$?
	if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
		kill -TERM "$server"
		for _ in $(seq 100); do kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
		if kill -0 "$server" 2>/dev/null; then
			echo "mnemo did not stop on SIGTERM" >&2
			kill -KILL "$server"
			status=1
		fi
	fi
	if [ "$status" -eq 0 ] && [ -z "${MNEMO_KEEP:-}" ]; then
		rm -rf "$scratch"
	else
		echo "kept $scratch" >&2
	fi
	exit "$status"
}
trap cleanup EXIT

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

http=$(free_port)
nng=$(free_port)
pub=$(free_port)

"$src/deploy/start" --http "127.0.0.1:$http" --nng "tcp://127.0.0.1:$nng" \
	--pub "tcp://127.0.0.1:$pub" --db "$scratch/mnemo.db" >"$scratch/start.log" 2>&1 &
server=$!

for _ in $(seq 600); do
	curl -sf "http://127.0.0.1:$http/healthz" >/dev/null 2>&1 && break
	kill -0 "$server" 2>/dev/null || { cat "$scratch/start.log" >&2; exit 1; }
	sleep 0.1
done
curl -sf "http://127.0.0.1:$http/healthz" >/dev/null
grep -q "HTTP/JSON API  http://127.0.0.1:$http" "$scratch/start.log"
grep -q "curl -s http://127.0.0.1:$http/v1/segment" "$scratch/start.log"

# Extract the marked blocks.
python3 - "$src/README.md" "$scratch" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
blocks = re.findall(r"<!-- readme-test -->\s*```sh\n(.*?)```", text, re.S)
if not blocks:
    sys.exit("no <!-- readme-test --> blocks in README.md")
for i, block in enumerate(blocks):
    open(f"{sys.argv[2]}/block-{i}.sh", "w", encoding="utf-8").write(block)
PY

export PATH="$(dirname "$mnemo"):$PATH"
cd "$src"
for block in "$scratch"/block-*.sh; do
	sed -i -e "s/127\.0\.0\.1:8700/127.0.0.1:$http/g" -e "s/127\.0\.0\.1:8701/127.0.0.1:$nng/g" \
		-e "s/127\.0\.0\.1:8702/127.0.0.1:$pub/g" "$block"
	echo "== $(basename "$block")" >&2
	out=$(MNEMO_URL= bash -eo pipefail "$block")
	printf '%s\n' "$out" >&2
	if [ -z "$out" ]; then
		echo "$(basename "$block") printed nothing" >&2
		exit 1
	fi
	if grep -q '"error"' <<<"$out"; then
		echo "$(basename "$block") got an error reply" >&2
		exit 1
	fi
done
echo "README examples: all ran" >&2

# The demo memory: deploy/start imports the French and German catalogues of
# /usr/share/locale into the new memory, in the background.
for _ in $(seq 3000); do
	grep -q 'demo memory: ' "$scratch/start.log" && break
	sleep 0.1
done
line=$(grep 'demo memory: ' "$scratch/start.log") || { echo "no demo memory after 300 s" >&2; exit 1; }
echo "$line" >&2
units=$(sed -E 's/.*demo memory: ([0-9]+) units.*/\1/' <<<"$line")
if [ "$units" -lt 10000 ]; then
	echo "the demo memory has $units units, not tens of thousands" >&2
	exit 1
fi
hits=$(mnemo concordance --lang fr --target en --max 5 fichier --url "http://127.0.0.1:$http")
printf '%s\n' "$hits" >&2
[ "$(wc -l <<<"$hits")" -eq 5 ] || { echo "concordance in the demo memory found too little" >&2; exit 1; }
echo "demo memory: $units units" >&2
