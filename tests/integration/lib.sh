# What the shell integration tests share: a scratch folder, a real `mnemo serve all` on free
# loopback ports, and small checks. Source it after setting $mnemo (the binary's path).
# Failures are counted, not fatal: `finish` reports them and sets the exit status.

scratch=$(mktemp -d /tmp/mnemo-test-XXXXXX)
server=
failures=0

fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

cleanup() {
	if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
		kill -TERM "$server"
		wait "$server" 2>/dev/null
	fi
	if [ "$failures" -eq 0 ] && [ -z "${MNEMO_KEEP:-}" ]; then
		rm -rf "$scratch"
	else
		echo "kept $scratch" >&2
	fi
}
trap cleanup EXIT

require_tools() { # tool...: exits when one is missing
	for tool in "$@"; do
		command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing" >&2; exit 1; }
	done
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_server [mnemo serve options...]: serves on free ports with $scratch/mnemo.db; sets
# $http (HOST:PORT) and $url. Exits when it does not come up.
start_server() {
	http=127.0.0.1:$(free_port)
	url=http://$http
	"$mnemo" serve all --http "$http" --nng "tcp://127.0.0.1:$(free_port)" \
		--pub "tcp://127.0.0.1:$(free_port)" --db "$scratch/mnemo.db" "$@" 2>"$scratch/serve.log" &
	server=$!
	for _ in $(seq 100); do
		curl -sf "$url/healthz" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	cat "$scratch/serve.log" >&2
	echo "FAIL: mnemo serve did not start" >&2
	exit 1
}

# post_json PATH JSON: the reply in $body, the HTTP status in $status
post_json() {
	status=$(curl -s -o "$scratch/reply.json" -w '%{http_code}' -H 'Content-Type: application/json' \
		--data-binary @- "$url$1" <<<"$2")
	body=$(cat "$scratch/reply.json")
}

post_fails() { # path json status needle description: the request refused as it should be
	post_json "$1" "$2"
	[ "$status" = "$3" ] || fail "$5: HTTP $status"
	contains "$body" "$4" "$5"
}

contains() { # haystack needle description
	grep -qF -- "$2" <<<"$1" || fail "$3: no '$2' in: $1"
}

field() { # json python-expression-of-d, e.g. 'd["added"]'
	python3 -c 'import json, sys
d = json.loads(sys.argv[1])
v = eval(sys.argv[2])
print(v if not isinstance(v, bool) else str(v).lower())' "$1" "$2"
}

expect() { # status description command...: stdout in $out, stderr in $err
	local want=$1 what=$2
	shift 2
	out=$("$@" 2>"$scratch/stderr")
	local got=$?
	err=$(cat "$scratch/stderr")
	[ "$got" -eq "$want" ] || fail "$what: exit $got, wanted $want; stderr: $err"
}

finish() { # name
	curl -sf "$url/healthz" >/dev/null || fail "the server is down at the end"
	if [ "$failures" -gt 0 ]; then
		echo "$failures failure(s)" >&2
		exit 1
	fi
	echo "$1: all passed" >&2
}
