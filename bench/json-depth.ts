/**
 * `node dist/bench/json-depth.js`: cost of the JSON nesting check every JSON body passes before it is
 * parsed, next to the cost of parsing the same body. The check must stay a small fraction of the parse
 * for any body within the body limit, and refuse deep input in time proportional to its size.
 */
import { JSON_DEFAULTS, jsonNestingExceeds } from '../gateway/src/json/index.js';

const ROUNDS = 7;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function time(fn: () => unknown): number {
  const started = performance.now();
  fn();
  return performance.now() - started;
}

const items = Array.from({ length: 300_000 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: 'a' }));
const bodies: Array<[string, string, boolean]> = [
  ['300k small messages', JSON.stringify({ model: 'm', messages: items }), true],
  [
    'one long text message',
    JSON.stringify({
      model: 'm',
      messages: [{ role: 'user', content: 'lorem ipsum dolor sit amet '.repeat(400_000) }],
    }),
    true,
  ],
  [
    'text full of escaped quotes',
    JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'say "hi" [to] {them} '.repeat(500_000) }] }),
    true,
  ],
  ['1,000,000 levels deep (refused)', `${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`, false],
];

const max = JSON_DEFAULTS.maxNestingDepth;
console.log(`nesting limit ${max}; median of ${ROUNDS} rounds`);
for (const [name, text, parse] of bodies) {
  const scan = median(Array.from({ length: ROUNDS }, () => time(() => jsonNestingExceeds(text, max))));
  const parsed = parse ? median(Array.from({ length: ROUNDS }, () => time(() => JSON.parse(text)))) : Number.NaN;
  const mb = text.length / (1024 * 1024);
  console.log(
    `${name.padEnd(34)} ${mb.toFixed(1).padStart(5)} MiB  scan ${scan.toFixed(1).padStart(7)} ms` +
      (parse ? `  JSON.parse ${parsed.toFixed(1).padStart(7)} ms  (${((scan / parsed) * 100).toFixed(0)}%)` : ''),
  );
}
