/**
 * Loaded into a measured process with `node --import <this file>?out=FILE` (bench/run.ts, `--heap-profile`): the
 * first SIGUSR2 starts V8's sampling heap profiler, the second stops it and writes the profile to FILE (the
 * `.heapprofile` format, which Chrome DevTools opens too). The sampler counts what is allocated while it runs,
 * collected objects included, so the profile gives allocation per site rather than what is alive at the end;
 * `node --heap-prof` keeps only the latter.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

const out = new URL(import.meta.url).searchParams.get('out');
if (!out) throw new Error('heap-sample: load it as heap-sample.js?out=FILE');
/** One sample per this many bytes allocated, on average (V8's default is 32 KiB; per-request sites need less). */
const SAMPLING_INTERVAL_BYTES = 1024;

const session = new Session();
session.connect();
let sampling = false;
process.on('SIGUSR2', () => {
  if (!sampling) {
    sampling = true;
    void session.post('HeapProfiler.startSampling', {
      samplingInterval: SAMPLING_INTERVAL_BYTES,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    return;
  }
  sampling = false;
  void session.post('HeapProfiler.stopSampling').then(({ profile }) => {
    // Written beside and renamed, so the file appears whole to whoever waits for it.
    writeFileSync(`${out}.part`, JSON.stringify(profile));
    renameSync(`${out}.part`, out);
  });
});
