#!/usr/bin/env node
// The npm package sentencex (Wikimedia's sentence segmenter: Rust, through its Node
// binding) as a peer of mnemo's segmenter. Installed into bench/segment/node_modules by
// bench/segment/run (npm install --prefix bench/segment sentencex).
//
//   node peer-sentencex.mjs [--throughput FILE [--passes N]] LANG     (modes: peer-lib.mjs)
import { parseArgs, runPeer } from './peer-lib.mjs';

let sentencex;
try {
	sentencex = await import('sentencex');
} catch (e) {
	process.stderr.write(
		`sentencex: ${e.message}\n(install it: npm install --prefix bench/segment sentencex)\n`,
	);
	process.exit(1);
}

const args = parseArgs(process.argv.slice(2));

await runPeer('sentencex', args, (text) => sentencex.segment(args.lang, text));
