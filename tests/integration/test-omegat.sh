#!/usr/bin/env bash
# mnemo's TMX through OmegaT 3.6 (Debian's omegat), in console mode, and OmegaT's TMX back
# through mnemo, with tmx-check (tests/integration/tmx-check.c) on mnemo's side:
#
# 1. mnemo writes a TMX (tmx-check convert) of tests/data/formats/omegat-units.tmx. For
#    each of two language pairs, an OmegaT project gets that TMX in tm/auto/ and a plain-text
#    document made of the units' source texts, one paragraph each; OmegaT's console-translate
#    fills every segment from tm/auto/ and writes target/: it must be the units' target
#    texts, byte for byte (every segment, each in its place), and OmegaT's statistics must
#    count no segment left to translate.
# 2. OmegaT writes its project memory as TMX; mnemo reads it back (tmx-check pairs) and
#    finds the same texts, creators, dates and notes. OmegaT 3.6's console modes never save
#    omegat/project_save.tmx (only the GUI does), but console-translate's compile step
#    exports the same memory with the same code (ProjectTMX.exportTMX) as
#    PROJECT-omegat.tmx (TMX 1.1, project_save.tmx's format), PROJECT-level1.tmx and
#    PROJECT-level2.tmx (TMX 1.4): those are read. Its console-createpseudotranslatetmx
#    mode writes a TMX of the document's segments with another writer: read too.
#
# OmegaT matches plain text: the units' markup is written in mnemo's TMX but OmegaT leaves
# it out when it reads (a plain-text document has no tags to match), and it keeps none of
# mnemo's props (tuid, x-context...). Both are outside what this test can carry through.
# OmegaT also trims white space around the document's segments but not around a TMX's
# sources, so a unit with leading or trailing blanks is never filled: the units have none.
#
# Exits 77 (skipped) when omegat or java is not installed.
set -uo pipefail

src=$1
check=$(realpath "$2")
data=$src/tests/data/formats
failures=0

fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

for tool in omegat java; do
	if ! command -v "$tool" >/dev/null; then
		echo "SKIP: $tool is not installed (Debian: omegat, in deploy/packages.txt)" >&2
		exit 77
	fi
done

# Debian's omegat script passes its arguments on unquoted: no blank in any path given.
scratch=$(mktemp -d /tmp/mnemo-omegat-XXXXXX)
cleanup() {
	if [ -n "${MNEMO_KEEP:-}" ]; then
		echo "kept $scratch" >&2
	else
		rm -rf "$scratch"
	fi
}
trap cleanup EXIT
cd "$scratch" || exit 1
mkdir home config

# OmegaT in console mode: no display, its settings and logs in the scratch folder, never
# the user's, in English whatever the locale (project_stats.txt is read below). 60 s is far
# more than a run takes (2 s here); past it something hangs.
java_opts="-Djava.awt.headless=true -Duser.home=$scratch/home -Duser.language=en"
java_opts+=" -Duser.country=US"
run_omegat() {
	local project=$1 log=$2

	shift 2
	HOME=$scratch/home JAVA_TOOL_OPTIONS=$java_opts timeout 60 omegat "$project" \
		--config-dir="$scratch/config" --disable-location-save --quiet "$@" >"$log" 2>&1
}

# A project whose segments are whole paragraphs: sentence segmentation off (a unit is one
# segment, whatever its punctuation) and the text filter's default, a segment per paragraph.
make_project() {
	local dir=$1 from=$2 to=$3

	mkdir -p "$dir"/source "$dir"/target "$dir"/tm/auto "$dir"/omegat "$dir"/glossary \
		"$dir"/dictionary
	cat >"$dir/omegat.project" <<EOF
<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<omegat>
  <project version="1.0">
    <source_dir>__DEFAULT__</source_dir>
    <target_dir>__DEFAULT__</target_dir>
    <tm_dir>__DEFAULT__</tm_dir>
    <glossary_dir>__DEFAULT__</glossary_dir>
    <glossary_file>__DEFAULT__</glossary_file>
    <dictionary_dir>__DEFAULT__</dictionary_dir>
    <source_lang>$from</source_lang>
    <target_lang>$to</target_lang>
    <sentence_seg>false</sentence_seg>
    <support_default_translations>true</support_default_translations>
    <remove_tags>false</remove_tags>
  </project>
</omegat>
EOF
}

# Column N of tmx-check's lines as a document: one paragraph each, a blank line between.
# (".utf8": OmegaT's text filter reads and writes those as UTF-8 whatever the locale.)
paragraphs() {
	awk -F'\t' -v col="$1" '{ if (NR > 1) print ""; print $col }'
}

units=$data/omegat-units.tmx
n_units=$(grep -c '<tu ' "$units")

round_trip() {
	local from=$1 to=$2 name=$1_$2 tmx

	tmx=$name.tmx
	if ! "$check" convert "$units" "$tmx" --source "$from" 2>convert.err; then
		fail "tmx-check convert: $(cat convert.err)"
		return
	fi
	"$check" pairs "$tmx" "$from" "$to" --history >"$name.pairs" ||
		fail "mnemo cannot read back its own $tmx"
	[ "$(wc -l <"$name.pairs")" -eq "$n_units" ] ||
		fail "$tmx: $(wc -l <"$name.pairs") $from-$to units, wanted $n_units"
	# The document holds the texts as they are: tmx-check escapes \ TAB LF CR, so none may be
	# in the test's texts.
	if cut -f1,2 "$name.pairs" | grep -c '[\]' >/dev/null; then
		fail "$units: a text with \\ TAB LF or CR"
	fi

	make_project "$name" "$from" "$to"
	cp "$tmx" "$name/tm/auto/mnemo.tmx"
	paragraphs 1 <"$name.pairs" >"$name/source/doc.utf8"
	paragraphs 2 <"$name.pairs" >"$name.expected"

	# ---- 1. mnemo's TMX translates the document in OmegaT ----
	if ! run_omegat "$name" "$name.log" --mode=console-translate; then
		fail "OmegaT console-translate $name failed: $(grep -v PLUGIN_LOAD_OK "$name.log" | tail -5)"
		return
	fi
	if [ ! -f "$name/target/doc.utf8" ]; then
		fail "OmegaT wrote no target document for $name"
		return
	fi
	if ! cmp -s "$name.expected" "$name/target/doc.utf8"; then
		fail "$name: OmegaT's translation is not mnemo's targets"
		diff -u "$name.expected" "$name/target/doc.utf8" >&2
	fi
	local left
	left=$(awk '$1 == "Remaining:" { print $2 }' "$name/omegat/project_stats.txt" 2>/dev/null)
	[ "$left" = 0 ] || fail "$name: OmegaT counts '${left:-?}' segments left to translate"

	# ---- 2. OmegaT's project memory, read by mnemo ----
	# Without the context column: OmegaT does not keep mnemo's x-context prop.
	cut -f1,2,4- "$name.pairs" | sort >"$name.want"
	local kind got
	for kind in omegat level1 level2; do
		got=$name/$name-$kind.tmx
		if [ ! -f "$got" ]; then
			fail "OmegaT wrote no $got"
			continue
		fi
		if "$check" pairs "$got" "$from" "$to" --history >"$name-$kind.pairs" 2>read.err; then
			cut -f1,2,4- "$name-$kind.pairs" | sort | diff -u "$name.want" - >&2 ||
				fail "$got (OmegaT's project memory), read by mnemo, differs from the units"
		else
			fail "mnemo cannot read OmegaT's $got: $(cat read.err)"
		fi
	done
}

round_trip en-US fr-FR
# French as the source: « » and no-break spaces must match OmegaT's segments too.
round_trip fr-FR de-DE

# OmegaT's pseudo-translation memory (another TMX writer): each segment of the document,
# source text as target. mnemo must read every one back.
name=en-US_fr-FR
if [ -d "$name" ]; then
	if run_omegat "$name" pseudo.log --mode=console-createpseudotranslatetmx \
		--pseudotranslatetmx="$scratch/pseudo.tmx" --pseudotranslatetype=equal &&
		[ -f pseudo.tmx ]; then
		if "$check" pairs pseudo.tmx en-US fr-FR >pseudo.pairs 2>read.err; then
			cut -f1 "$name.pairs" | awk '{ print $0 "\t" $0 }' | sort >pseudo.want
			cut -f1,2 pseudo.pairs | sort | diff -u pseudo.want - >&2 ||
				fail "OmegaT's pseudo-translation TMX, read by mnemo, differs from the document"
		else
			fail "mnemo cannot read OmegaT's pseudo-translation TMX: $(cat read.err)"
		fi
	else
		fail "OmegaT console-createpseudotranslatetmx: $(grep -v PLUGIN_LOAD_OK pseudo.log | tail -5)"
	fi
fi

if [ "$failures" -gt 0 ]; then
	echo "$failures failed" >&2
	exit 1
fi
echo "omegat: all passed ($n_units units, en-US -> fr-FR and fr-FR -> de-DE)"
