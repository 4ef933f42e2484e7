#!/usr/bin/env node
// Node's Intl.Segmenter (granularity "sentence": V8 over the ICU that Node bundles, whose
// version `node -p process.versions.icu` prints) as a peer of mnemo's segmenter.
//
//   node peer-intl.mjs [--throughput FILE [--passes N]] LANG     (modes: peer-lib.mjs)
import { parseArgs, runPeer } from './peer-lib.mjs';

const args = parseArgs(process.argv.slice(2));
const segmenter = new Intl.Segmenter(args.lang, { granularity: 'sentence' });

function segment(text) {
	const out = [];
	for (const s of segmenter.segment(text)) {
		out.push(s.segment);
	}
	return out;
}

await runPeer('intl', args, segment);
