// What the Node peers of bench/segment share (the C peers have the same in peer.c):
//
//   node PEER.mjs LANG < cases.jsonl > predictions.jsonl
//       reads {"id","category","text"} lines, prints {"id","segments":[...]} lines in order
//   node PEER.mjs --throughput FILE [--passes N] LANG
//       segments FILE (UTF-8, one paragraph per line) one line at a time, the whole file N
//       times (default 3), and prints one line:
//       peer=NAME lang=LANG bytes=B lines=L passes=N segments=S best_s=T mb_s=R
//       (B is the file's size in bytes; MB = 10^6 bytes; the fastest pass counts; reading
//       the file and splitting it into lines are not timed). One line at a time, as the
//       C peers do, and also because Intl.Segmenter in Node 20's V8 takes time quadratic
//       in the length of the string (Chromium issue 326176949, fixed in later V8
//       releases): a 20 MB text would not finish.
//
// A peer is a function (text) -> array of strings. The segments printed are substrings of
// the text, in order, trimmed of white space; empty ones are dropped.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';

const USAGE = 'usage: PEER [--throughput FILE [--passes N]] LANG';

export function parseArgs(argv) {
	const args = { lang: null, throughputFile: null, passes: 3 };
	let i = 0;
	for (; i < argv.length && argv[i].startsWith('--'); i++) {
		if (argv[i] === '--throughput' && i + 1 < argv.length) {
			args.throughputFile = argv[++i];
		} else if (argv[i] === '--passes' && i + 1 < argv.length) {
			args.passes = Number(argv[++i]);
			if (!Number.isInteger(args.passes) || args.passes < 1 || args.passes > 100) {
				usage('--passes: 1 to 100');
			}
		} else {
			usage(`unknown option ${argv[i]}`);
		}
	}
	if (i + 1 !== argv.length) {
		usage('one LANG expected');
	}
	args.lang = argv[i];
	return args;
}

function usage(why) {
	process.stderr.write(`${why}\n${USAGE}\n`);
	process.exit(2);
}

// Maps the segments a peer returned onto the text: each becomes the substring it came
// from, trimmed. A peer that rewrote white space inside a segment is matched by its
// other characters, in order.
export function alignSegments(text, segments) {
	const out = [];
	let cursor = 0;
	for (const raw of segments) {
		const seg = raw.trim();
		if (seg === '') {
			continue;
		}
		const at = text.indexOf(seg, cursor);
		if (at >= 0 && text.slice(cursor, at).trim() === '') {
			out.push(seg);
			cursor = at + seg.length;
			continue;
		}
		// Walk the text over as many non-space characters as the segment has.
		const want = seg.replace(/\s+/gu, '');
		let i = cursor;
		while (i < text.length && /\s/u.test(text[i])) {
			i++;
		}
		const start = i;
		let k = 0;
		while (i < text.length && k < want.length) {
			if (!/\s/u.test(text[i])) {
				k++;
			}
			i++;
		}
		if (k < want.length) {
			throw new Error(`segment not in the text: ${JSON.stringify(raw)}`);
		}
		out.push(text.slice(start, i));
		cursor = i;
	}
	return out;
}

export async function runPeer(name, args, segment) {
	if (args.throughputFile) {
		throughput(name, args, segment);
		return;
	}
	const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
	let lineNo = 0;
	let out = [];
	for await (const line of rl) {
		lineNo++;
		if (line.trim() === '') {
			continue;
		}
		let c;
		try {
			c = JSON.parse(line);
		} catch (e) {
			fail(`${name}: stdin:${lineNo}: ${e.message}`);
		}
		if (typeof c.id !== 'string' || typeof c.text !== 'string') {
			fail(`${name}: stdin:${lineNo}: no "id" or "text" string`);
		}
		const segments = alignSegments(c.text, segment(c.text));
		out.push(JSON.stringify({ id: c.id, segments }));
		if (out.length >= 1000) {
			await write(out.join('\n') + '\n');
			out = [];
		}
	}
	if (out.length > 0) {
		await write(out.join('\n') + '\n');
	}
}

function write(s) {
	return new Promise((resolve, reject) => {
		process.stdout.write(s, (err) => (err ? reject(err) : resolve()));
	});
}

function fail(msg) {
	process.stderr.write(`${msg}\n`);
	process.exit(1);
}

function throughput(name, args, segment) {
	const buf = readFileSync(args.throughputFile);
	const lines = buf
		.toString('utf8')
		.split('\n')
		.filter((l) => l !== '');
	let best = Infinity;
	let n = 0;
	for (let pass = 0; pass < args.passes; pass++) {
		const t0 = performance.now();
		n = 0;
		for (const line of lines) {
			n += segment(line).length;
		}
		const t = (performance.now() - t0) / 1000;
		best = Math.min(best, t);
	}
	const mbs = best > 0 ? buf.length / 1e6 / best : 0;
	process.stdout.write(
		`peer=${name} lang=${args.lang} bytes=${buf.length} lines=${lines.length} ` +
			`passes=${args.passes} segments=${n} best_s=${best.toFixed(4)} ` +
			`mb_s=${mbs.toFixed(2)}\n`,
	);
}
