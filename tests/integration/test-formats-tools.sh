#!/usr/bin/env bash
# common/formats against the tools translators use, through tmx-check (tests/integration/
# tmx-check.c): translate-toolkit's po2tmx writes TMX that mnemo reads; mnemo writes TMX that
# translate-toolkit reads and turns into a .po (translate-toolkit 3.8 has no tmx2po: its own
# TMX reader and PO writer do that part) that mnemo reads back; gettext's msgfmt compiles the
# same .po into .mo files of both byte orders that mnemo reads like the .po. Every text is
# compared, escaped one unit a line.
set -uo pipefail

src=$1
check=$(realpath "$2")
data=$src/tests/data/formats
scratch=$(mktemp -d /tmp/mnemo-formats-XXXXXX)
failures=0

fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

cleanup() {
	if [ -n "${MNEMO_KEEP:-}" ]; then
		echo "kept $scratch" >&2
	else
		rm -rf "$scratch"
	fi
}
trap cleanup EXIT

for tool in po2tmx msgfmt; do
	if ! command -v "$tool" >/dev/null; then
		echo "FAIL: $tool is missing: deploy/bootstrap installs it (deploy/packages.txt)" >&2
		exit 1
	fi
done
# translate-toolkit's modules are Debian's Python's, whichever python3 comes first here.
py=
for p in /usr/bin/python3 python3; do
	if "$p" -c 'import translate.storage.tmx' 2>/dev/null; then
		py=$p
		break
	fi
done
if [ -z "$py" ]; then
	echo "FAIL: no python3 with translate-toolkit's modules (Debian: python3-translate)" >&2
	exit 1
fi

cd "$scratch"

# Units as translate-toolkit reads a TMX file: source TAB target, escaped as tmx-check does.
cat >tt-pairs.py <<'PY'
import sys
from translate.storage import tmx

def esc(s):
    return s.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")

for u in tmx.tmxfile(open(sys.argv[1], "rb")).units:
    print(esc(str(u.source)) + "\t" + esc(str(u.target)))
PY
# A TMX file to a .po with translate-toolkit's reader and writer.
cat >tt-tmx2po.py <<'PY'
import sys
from translate.storage import po, tmx

out = po.pofile()
out.init_headers(charset="UTF-8", encoding="8bit", language=sys.argv[3])
for u in tmx.tmxfile(open(sys.argv[1], "rb")).units:
    unit = out.addsourceunit(u.source)
    unit.target = u.target
with open(sys.argv[2], "wb") as f:
    out.serialize(f)
PY

po=$data/editor-fr.po
"$check" pairs "$po" en fr --target fr >po.all || fail "mnemo cannot read $po"
cut -f1,2 po.all >po.pairs
[ "$(wc -l <po.pairs)" -eq 10 ] || fail "$po: $(wc -l <po.pairs) units, wanted 10"

# ---- po2tmx writes, mnemo reads ----
# po2tmx keeps neither msgctxt nor msgid_plural (only msgid and msgstr[0]).
if po2tmx --progress=none -l fr --source-language=en -i "$po" -o tt.tmx 2>po2tmx.err; then
	if "$check" pairs tt.tmx en fr >tt.all 2>read.err; then
		"$check" pairs "$po" en fr --target fr --singular | cut -f1,2 >po.singular
		cut -f1,2 tt.all | diff -u po.singular - >&2 ||
			fail "po2tmx's TMX, read by mnemo, differs from the .po"
	else
		fail "mnemo cannot read po2tmx's TMX: $(cat read.err)"
	fi
else
	fail "po2tmx: $(cat po2tmx.err)"
fi

# ---- mnemo writes, translate-toolkit reads (and writes a .po that mnemo reads) ----
if "$check" convert "$po" ours.tmx --source en 2>convert.err; then
	"$py" tt-pairs.py ours.tmx >tt.pairs 2>tt.err || fail "translate-toolkit cannot read mnemo's TMX: $(cat tt.err)"
	diff -u po.pairs tt.pairs >&2 || fail "mnemo's TMX, read by translate-toolkit, differs from the .po"
	if "$py" tt-tmx2po.py ours.tmx back.po fr 2>tt.err; then
		"$check" pairs back.po en fr | cut -f1,2 | diff -u po.pairs - >&2 ||
			fail "the .po translate-toolkit made of mnemo's TMX, read by mnemo, differs"
	else
		fail "translate-toolkit cannot turn mnemo's TMX into a .po: $(cat tt.err)"
	fi
else
	fail "tmx-check convert: $(cat convert.err)"
fi

# Inline markup: translate-toolkit reads a <seg>'s whole text, native code included; mnemo's
# plain text leaves the code out and keeps it in the markup it writes back.
mem=$data/memory.tmx
if "$check" convert "$mem" mem.tmx --source en-US 2>convert.err; then
	"$check" pairs "$mem" en-US fr-FR --code | cut -f1,2 >mem.code
	"$py" tt-pairs.py mem.tmx >mem.tt 2>tt.err || fail "translate-toolkit cannot read mnemo's TMX: $(cat tt.err)"
	diff -u mem.code mem.tt >&2 || fail "memory.tmx rewritten by mnemo, read by translate-toolkit, differs"
	grep -q 'Click <b>Save</b> to keep your changes' mem.tt || fail "markup lost on the way"
	"$check" pairs mem.tmx en-US fr-FR >mem.back && "$check" pairs "$mem" en-US fr-FR >mem.first &&
		diff -u mem.first mem.back >&2 || fail "memory.tmx rewritten by mnemo reads back differently"
else
	fail "tmx-check convert $mem: $(cat convert.err)"
fi

# ---- msgfmt: the same .po as .mo, both byte orders ----
for order in little big; do
	if msgfmt --endianness=$order -o $order.mo "$po" 2>msgfmt.err; then
		if "$check" pairs $order.mo en fr --target fr >mo.all 2>read.err; then
			# a .mo is sorted by msgid; the .po's order is the file's
			diff -u <(sort po.all) <(sort mo.all) >&2 ||
				fail "msgfmt's $order-endian .mo, read by mnemo, differs from the .po"
		else
			fail "mnemo cannot read msgfmt's $order-endian .mo: $(cat read.err)"
		fi
	else
		fail "msgfmt: $(cat msgfmt.err)"
	fi
done

if [ "$failures" -gt 0 ]; then
	echo "$failures failed" >&2
	exit 1
fi
echo "formats-tools: all passed"
