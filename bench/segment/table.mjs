#!/usr/bin/env node
// The tables bench/segment/run prints, from what mnemo-segscore and the peers wrote.
//
//   node table.mjs scores DIR "LANGS" "PEERS"
//       DIR/PEER.LANG.json: `mnemo-segscore --json score` for each peer and language (a
//       missing file is a peer that failed: its cells are "—"). Prints three Markdown
//       tables: boundary F1 per category and overall, the exact-sentence rate, and (for
//       the peers that give kinds) precision and recall of the kinds of article paragraphs.
//   node table.mjs throughput FILE BASE
//       FILE: the peers' `--throughput` lines (peer=... mb_s=...). Prints MB/s per peer
//       and its ratio to BASE's MB/s (the ICU4C iterator) from the same file; a peer
//       measured more than once counts with its fastest run, and BASE's runs are shown.
import { existsSync, readFileSync } from 'node:fs';

function table(header, rows, align) {
	const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
	const cell = (s, i) => (align[i] === 'r' ? s.padStart(widths[i]) : s.padEnd(widths[i]));
	const line = (r) => `| ${r.map(cell).join(' | ')} |`;
	const rule = `|${widths.map((w, i) => (align[i] === 'r' ? '-'.repeat(w + 1) + ':' : '-'.repeat(w + 2))).join('|')}|`;
	return [line(header), rule, ...rows.map(line)].join('\n');
}

const fmt = (x) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(3) : '—');

function scores(dir, langs, peers) {
	const data = {};
	for (const lang of langs) {
		data[lang] = {};
		for (const peer of peers) {
			const path = `${dir}/${peer}.${lang}.json`;
			if (existsSync(path)) {
				try {
					data[lang][peer] = JSON.parse(readFileSync(path, 'utf8'));
				} catch (e) {
					process.stderr.write(`table: ${path}: ${e.message}\n`);
				}
			}
		}
	}
	// Rows: each language's categories in the gold file's order (from any peer's score, all
	// list them all), then its overall line.
	const rows = [];
	for (const lang of langs) {
		const any = Object.values(data[lang])[0];
		if (!any) {
			continue;
		}
		for (const c of any.categories) {
			rows.push({ lang, category: c.category, cases: c.cases, gold: c.gold });
		}
		rows.push({ lang, category: 'overall', cases: any.overall.cases, gold: any.overall.gold });
	}
	const figure = (lang, peer, category, key) => {
		const s = data[lang][peer];
		if (!s) {
			return undefined;
		}
		const c = category === 'overall' ? s.overall : s.categories.find((x) => x.category === category);
		return c ? c[key] : undefined;
	};
	const head = ['lang', 'category', 'cases', 'bounds', ...peers];
	const align = ['l', 'l', 'r', 'r', ...peers.map(() => 'r')];
	const out = [];
	for (const [key, title] of [
		['f1', 'Boundary F1 (precision and recall of sentence starts inside paragraphs)'],
		['exact', 'Exact-sentence rate (gold sentences with both ends right and no split inside)'],
	]) {
		out.push(`### ${title}\n`);
		out.push(
			table(
				head,
				rows.map((r) => [
					r.lang,
					r.category === 'overall' ? '**overall**' : r.category,
					String(r.cases),
					String(r.gold),
					...peers.map((p) => fmt(figure(r.lang, p, r.category, key))),
				]),
				align,
			),
		);
		out.push('');
	}
	const withKinds = peers.filter((p) => langs.some((l) => data[l][p] && data[l][p].kinds));
	if (withKinds.length > 0) {
		out.push('### Kinds of article paragraphs (precision / recall)\n');
		const krows = [];
		for (const lang of langs) {
			const any = withKinds.map((p) => data[lang][p]).find((s) => s && s.kinds);
			if (!any) {
				continue;
			}
			for (const kind of Object.keys(any.kinds)) {
				krows.push([
					lang,
					kind,
					String(any.kinds[kind].gold),
					...withKinds.map((p) => {
						const k = data[lang][p] && data[lang][p].kinds && data[lang][p].kinds[kind];
						return k ? `${fmt(k.precision)} / ${fmt(k.recall)}` : '—';
					}),
				]);
			}
		}
		out.push(table(['lang', 'kind', 'paragraphs', ...withKinds], krows, ['l', 'l', 'r', ...withKinds.map(() => 'r')]));
		out.push('');
	}
	const missing = [];
	for (const lang of langs) {
		for (const peer of peers) {
			if (!data[lang][peer]) {
				missing.push(`${peer} (${lang})`);
			}
		}
	}
	if (missing.length > 0) {
		out.push(`No score for: ${missing.join(', ')}.\n`);
	}
	process.stdout.write(out.join('\n') + '\n');
}

function throughput(file, base) {
	// A peer measured more than once (the baseline is, first and last): its fastest run.
	const runs = new Map();
	for (const line of readFileSync(file, 'utf8').split('\n')) {
		if (!line.startsWith('peer=')) {
			continue;
		}
		const o = Object.fromEntries(line.split(' ').map((kv) => kv.split('=')));
		if (!runs.has(o.peer)) {
			runs.set(o.peer, []);
		}
		runs.get(o.peer).push(o);
	}
	const best = (list) => list.reduce((a, b) => (Number(b.mb_s) > Number(a.mb_s) ? b : a));
	const baseRuns = runs.get(base) || [];
	const baseRate = baseRuns.length > 0 ? Number(best(baseRuns).mb_s) : NaN;
	const rows = [...runs.values()].map((list) => {
		const r = best(list);
		return [
			r.peer,
			Number(r.mb_s).toFixed(2),
			Number.isFinite(baseRate) && baseRate > 0 ? `${(Number(r.mb_s) / baseRate).toFixed(2)}×` : '—',
			r.segments,
			Number(r.best_s).toFixed(3),
		];
	});
	const out = [table(['peer', 'MB/s', `vs ${base}`, 'segments', 'best pass (s)'], rows, ['l', 'r', 'r', 'r', 'r'])];
	if (baseRuns.length > 1) {
		const rates = baseRuns.map((r) => Number(r.mb_s));
		const gap = (Math.max(...rates) - Math.min(...rates)) / Math.max(...rates);
		out.push(
			'',
			`${base} first and last: ${rates.map((x) => x.toFixed(2)).join(' and ')} MB/s` +
				(gap > 0.1
					? ` (${(gap * 100).toFixed(0)}% apart: the machine was not quiet, the ratios are that uncertain)`
					: ` (${(gap * 100).toFixed(0)}% apart)`),
		);
	}
	process.stdout.write(out.join('\n') + '\n');
}

const [cmd, ...args] = process.argv.slice(2);
if (cmd === 'scores' && args.length === 3) {
	scores(args[0], args[1].split(/\s+/).filter(Boolean), args[2].split(/\s+/).filter(Boolean));
} else if (cmd === 'throughput' && args.length === 2) {
	throughput(args[0], args[1]);
} else {
	process.stderr.write('usage: table.mjs scores DIR "LANGS" "PEERS" | throughput FILE BASE\n');
	process.exit(2);
}
