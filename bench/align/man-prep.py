#!/usr/bin/env python3
"""Turns unpacked Debian packages' English and French man pages into gold document pairs.

    man-prep.py --unpacked DIR --versions FILE --out DIR --mnemo PATH [--jobs N] [--only NAME...]

Called by bench/align/make-gold (see README.md there); runnable alone on what make-gold has
unpacked. DIR/PKG/ holds what make-gold unpacked of package PKG (usr/share/man/...);
FILE has "PKG VERSION DEB" lines. For every French page usr/share/man/fr/manN/PAGE of a
package, the English page is usr/share/man/manN/PAGE of the same package, or else of any
other package (manpages-fr translates pages that coreutils, util-linux, manpages, ...
ship). Pages that are links, `.so` redirections or fail to render are skipped.

How a page pair becomes a gold pair (each step counted in OUT/clean.sources):

1. Both pages are rendered with groff (`-man -Tutf8`, a line length of 5,000 ens, no
   hyphenation, left-adjusted, no bold or underline), so every filled roff paragraph is
   one line; the running header and footer lines are dropped. A block is a run of
   non-empty lines; a line is a roff paragraph (a filled paragraph, a .TP tag, a line of a
   .nf block). po4a translates paragraph by paragraph, so block i of the French page
   translates block i of the English one.
2. A page pair whose block counts differ is skipped. A block pair whose line counts differ
   (verbatim blocks broken differently) or whose lines are indented differently is dropped
   from both sides.
3. A line pair whose two lines are the same text is dropped if it has 3 words or more
   (a paragraph po4a left untranslated, or code); short ones (option names such as
   "-v, --verbose", commands) are kept: they are their own translation. A line pair whose
   French line reads as English (6 words or more, and at least 2 more English function
   words than French ones: an untranslated paragraph retouched by the translator) is
   dropped too.
4. Every kept line is split into sentences by mnemo's segmenter (`mnemo segment --json`,
   one line a paragraph, --lang fr or en). A line pair with the same number of sentences
   on both sides gives 1-1 beads, unless the line has several sentences and one of those
   pairs is lopsided (the longer over 30 characters and 2.5 times the shorter: the
   translator split the paragraph elsewhere); otherwise, with at most 2 sentences on each
   side, one n-m bead; otherwise the line pair is dropped.
5. The document pair is written to OUT/clean/NAME.{fr,en}.txt (one sentence a line, an empty
   line between blocks) and NAME.gold, NAME being PKG_PAGE (e.g. dpkg_dpkg.1), if it keeps
   at least --min-beads beads.
"""

import argparse
import bisect
import collections
import concurrent.futures
import gzip
import json
import os
import re
import subprocess
import sys

GROFF = ["groff", "-man", "-Tutf8", "-t", "-rLL=5000n", "-rHY=0", "-dAD=l", "-rcR=1",
         "-P-c", "-P-b", "-P-u"]
WORD = re.compile(r"[^\W\d_]{2,}")


def read_page(path):
    with open(path, "rb") as f:
        data = f.read()
    if path.endswith(".gz"):
        data = gzip.decompress(data)
    return data


EN_WORDS = set("the of and to is a an in that for are with be this by it from or not as can "
               "if when which this these each was will should".split())
FR_WORDS = set("le la les l de des du d et est un une que qu pour dans sont avec ce cette ces "
               "par il elle qui ou pas si lorsque au aux sur se sa son ses leur".split())


def reads_english(line):
    """A French line left in English (po4a keeps what is not translated, sometimes retouched)."""
    words = re.findall(r"[^\W\d_]+", line.lower())
    if len(words) < 6:
        return False
    en = sum(w in EN_WORDS for w in words)
    fr = sum(w in FR_WORDS for w in words)
    return en >= fr + 2


def render(path):
    """The page's blocks: [[(indent, text), ...], ...], or None."""
    data = read_page(path)
    # A page that is only ".so other-page" (and comments) is a redirection.
    body = [l for l in data.decode("utf-8", "replace").splitlines()
            if l.strip() and not l.startswith(('.\\"', "'\\\""))]
    if len(body) <= 2 and any(l.startswith(".so ") for l in body):
        return None
    pre = subprocess.run(["preconv", "-e", "utf-8"], input=data, capture_output=True)
    if pre.returncode:
        return None
    env = dict(os.environ, LC_ALL="C.UTF-8", GROFF_NO_SGR="1")
    out = subprocess.run(GROFF, input=pre.stdout, capture_output=True, env=env)
    if out.returncode or not out.stdout:
        return None
    lines = out.stdout.decode("utf-8", "replace").replace("\t", " ").splitlines()
    # The running header and footer: the first and last non-empty lines.
    idx = [i for i, l in enumerate(lines) if l.strip()]
    if len(idx) < 3:
        return None
    lines = lines[idx[0] + 1:idx[-1]]
    blocks, cur = [], []
    for l in lines:
        if not l.strip():
            if cur:
                blocks.append(cur)
                cur = []
            continue
        text = re.sub(r"\s+", " ", l.strip())
        cur.append((len(l) - len(l.lstrip(" ")), text))
    if cur:
        blocks.append(cur)
    return drop_translators(blocks)


TRANSLATORS = re.compile(r"(TRADUCTIONS?|TRADUCTEURS?|TRADUCTRICES?)( FRAN[CÇ]AISES?)?", re.I)


def drop_translators(blocks):
    """The section the French pages add (po4a addenda): from its heading to the next one."""
    out, skipping = [], False
    for b in blocks:
        if b[0][0] == 0:  # a section heading starts the block
            skipping = bool(TRANSLATORS.fullmatch(b[0][1]))
        if not skipping:
            out.append(b)
    return out


def segment(mnemo, lang, lines):
    """Sentences of each line: [[sentence, ...], ...], by mnemo's segmenter."""
    if not lines:
        return []
    text = "\n".join(lines) + "\n"
    data = text.encode("utf-8")
    out = subprocess.run([mnemo, "segment", "--lang", lang, "--json", "--log-level", "err", "-"],
                         input=data, capture_output=True)
    if out.returncode:
        raise RuntimeError(f"mnemo segment failed: {out.stderr.decode(errors='replace')[:300]}")
    reply = json.loads(out.stdout)
    starts, pos = [], 0
    for l in lines:
        starts.append(pos)
        pos += len(l.encode("utf-8")) + 1
    result = [[] for _ in lines]
    for s in reply["segments"]:
        k = bisect.bisect_right(starts, s["start"]) - 1
        sent = re.sub(r"\s+", " ", data[s["start"]:s["end"]].decode("utf-8")).strip()
        if sent:
            result[k].append(sent)
    return result


def pair_page(task):
    """One page pair -> (name, fr_pars, en_pars, beads, counts) or (name, None, reason, counts)."""
    name, fr_path, en_path, mnemo, min_beads = task
    c = collections.Counter()
    try:
        fr, en = render(fr_path), render(en_path)
    except Exception as e:  # a page groff cannot read is only skipped
        return name, None, f"render: {e}", c
    if fr is None or en is None:
        return name, None, "not rendered (link, .so or groff error)", c
    c["blocks_fr"] += len(fr)
    c["blocks_en"] += len(en)
    if len(fr) != len(en):
        return name, None, f"block counts differ ({len(fr)} fr, {len(en)} en)", c
    kept = []  # (block index, fr line, en line)
    for b, (fb, eb) in enumerate(zip(fr, en)):
        if len(fb) != len(eb) or any(fi != ei for (fi, _), (ei, _) in zip(fb, eb)):
            c["blocks_dropped_structure"] += 1
            continue
        for (_, ft), (_, et) in zip(fb, eb):
            c["lines"] += 1
            if ft == et and len(WORD.findall(ft)) >= 3:
                c["lines_dropped_identical"] += 1
                continue
            if reads_english(ft):
                c["lines_dropped_english"] += 1
                continue
            kept.append((b, ft, et))
    fr_s = segment(mnemo, "fr", [k[1] for k in kept])
    en_s = segment(mnemo, "en", [k[2] for k in kept])
    fr_pars, en_pars, beads = [], [], []
    nf = ne = 0
    last_block = None
    for (b, _, _), fs, es in zip(kept, fr_s, en_s):
        n, m = len(fs), len(es)
        if n == 0 or m == 0:
            c["lines_dropped_empty"] += 1
            continue
        if n == m and (n == 1 or not any(lopsided(x, y) for x, y in zip(fs, es))):
            pairs = [([x], [y]) for x, y in zip(fs, es)]
        elif n <= 2 and m <= 2:
            pairs = [(fs, es)]
        else:
            c["lines_dropped_counts"] += 1
            continue
        if b != last_block:
            fr_pars.append([])
            en_pars.append([])
            last_block = b
        for xs, ys in pairs:
            beads.append((list(range(nf, nf + len(xs))), list(range(ne, ne + len(ys)))))
            nf += len(xs)
            ne += len(ys)
            fr_pars[-1] += xs
            en_pars[-1] += ys
            c[f"beads_{len(xs)}-{len(ys)}"] += 1
    if len(beads) < min_beads:
        return name, None, f"fewer than {min_beads} beads ({len(beads)})", c
    return name, fr_pars, en_pars, beads, c


def lopsided(x, y):
    """Two sentences too different in length to be each other's translation."""
    a, b = len(x), len(y)
    return max(a, b) > 30 and max(a, b) > 2.5 * min(a, b)


def write_pair(out_dir, name, fr_pars, en_pars, beads):
    for lang, pars in (("fr", fr_pars), ("en", en_pars)):
        with open(os.path.join(out_dir, f"{name}.{lang}.txt"), "w", encoding="utf-8") as f:
            f.write("\n\n".join("\n".join(p) for p in pars) + "\n")
    with open(os.path.join(out_dir, f"{name}.gold"), "w", encoding="utf-8") as f:
        for s, t in beads:
            f.write(",".join(map(str, s)) + "\t" + ",".join(map(str, t)) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog="\n\n".join(__doc__.split("\n\n")[1:]),
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--unpacked", required=True)
    ap.add_argument("--versions", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--mnemo", required=True)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--min-beads", type=int, default=10)
    ap.add_argument("--only", nargs="*", help="only these NAMEs (PKG_PAGE)")
    a = ap.parse_args()

    versions = {}
    with open(a.versions) as f:
        for line in f:
            p = line.split()
            if len(p) >= 2:
                versions[p[0]] = p[1]
    pkgs = sorted(versions)

    # English pages by manN/PAGE, the package's own first.
    english = collections.defaultdict(dict)  # rel -> pkg -> path
    french = []  # (pkg, rel, path)
    for pkg in pkgs:
        root = os.path.join(a.unpacked, pkg, "usr/share/man")
        if not os.path.isdir(root):
            continue
        for sub in sorted(os.listdir(root)):
            d = os.path.join(root, sub)
            if re.fullmatch(r"man\w+", sub):
                for page in os.listdir(d):
                    path = os.path.join(d, page)
                    if os.path.isfile(path) and not os.path.islink(path):
                        english[f"{sub}/{page}"][pkg] = path
            elif sub == "fr":
                for msub in sorted(os.listdir(d)):
                    md = os.path.join(d, msub)
                    if not os.path.isdir(md):
                        continue
                    for page in sorted(os.listdir(md)):
                        path = os.path.join(md, page)
                        if os.path.isfile(path) and not os.path.islink(path):
                            french.append((pkg, f"{msub}/{page}", path))

    tasks, en_pkg_of = [], {}
    counts = collections.Counter()
    skipped = []
    for pkg, rel, path in french:
        counts["fr_pages"] += 1
        owners = english.get(rel, {})
        en_pkg = pkg if pkg in owners else (sorted(owners)[0] if owners else None)
        page = re.sub(r"\.gz$", "", rel.split("/", 1)[1])
        name = f"{pkg}_{page}"
        if en_pkg is None:
            skipped.append((name, "no English page"))
            continue
        if a.only and name not in a.only:
            continue
        en_pkg_of[name] = en_pkg
        tasks.append((name, path, owners[en_pkg], a.mnemo, a.min_beads))

    clean = os.path.join(a.out, "clean")
    os.makedirs(clean, exist_ok=True)
    if not a.only:
        for f in os.listdir(clean):
            os.remove(os.path.join(clean, f))
    done = []
    per_pkg = collections.defaultdict(collections.Counter)  # by the French page's package
    per_en = collections.defaultdict(collections.Counter)  # by the English page's package
    with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as ex:
        for res in ex.map(pair_page, tasks):
            name, c = res[0], res[-1]
            if res[1] is None:  # its beads are not in the corpus
                c = collections.Counter({k: v for k, v in c.items() if not k.startswith("beads_")})
            counts.update(c)
            pkg = name.split("_", 1)[0]
            if res[1] is None:
                skipped.append((name, res[2]))
                per_pkg[pkg]["skipped"] += 1
                continue
            _, fr_pars, en_pars, beads, _ = res
            write_pair(clean, name, fr_pars, en_pars, beads)
            nf = sum(len(p) for p in fr_pars)
            ne = sum(len(p) for p in en_pars)
            done.append((name, en_pkg_of[name], len(fr_pars), nf, ne, len(beads)))
            per_en[en_pkg_of[name]]["pages"] += 1
            per_en[en_pkg_of[name]]["fr"] += nf
            per_en[en_pkg_of[name]]["en"] += ne
            per_pkg[pkg]["pages"] += 1
            per_pkg[pkg]["fr"] += nf
            per_pkg[pkg]["en"] += ne
            counts["pages_kept"] += 1
            counts["sentences_fr"] += nf
            counts["sentences_en"] += ne
            counts["beads"] += len(beads)

    with open(os.path.join(a.out, "clean.sources"), "w", encoding="utf-8") as f:
        f.write("# bench/align/make-gold: the clean gold corpus (bench/align/README.md)\n")
        f.write("# packages: name, version, pages kept, pages skipped, French and English sentences\n")
        for pkg in pkgs:
            p = per_pkg.get(pkg, collections.Counter())
            f.write(f"package\t{pkg}\t{versions[pkg]}\t{p['pages']}\t{p['skipped']}\t{p['fr']}\t{p['en']}\n")
        f.write("# the same by the package of the English page: name, version, pages, French and "
                "English sentences\n")
        for pkg in pkgs:
            p = per_en.get(pkg, collections.Counter())
            f.write(f"english\t{pkg}\t{versions[pkg]}\t{p['pages']}\t{p['fr']}\t{p['en']}\n")
        f.write("# totals\n")
        for k in sorted(counts):
            f.write(f"count\t{k}\t{counts[k]}\n")
        f.write("# documents: NAME, package of the English page, paragraphs, fr sentences, en sentences, beads\n")
        for d in sorted(done):
            f.write("doc\t" + "\t".join(map(str, d)) + "\n")
        f.write("# skipped pages: NAME, why\n")
        for name, why in sorted(skipped):
            f.write(f"skipped\t{name}\t{why}\n")
    print(f"man-prep: {counts['pages_kept']} document pairs of {counts['fr_pages']} French pages, "
          f"{counts['sentences_fr']} French and {counts['sentences_en']} English sentences, "
          f"{counts['beads']} beads -> {clean}", file=sys.stderr)


if __name__ == "__main__":
    main()
