import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The Portkey gateway version the benchmark compares against; installed from npm into the cache, not the repo. */
export const PORTKEY_VERSION = '1.15.2';

/** Installs `@portkey-ai/gateway` under ~/.cache/aigateway keyed by version (once) and returns its entry point. */
export async function ensurePortkey(): Promise<string> {
  const dir = join(process.env.AIGW_CACHE ?? join(homedir(), '.cache', 'aigateway'), `portkey-${PORTKEY_VERSION}`);
  const entry = join(dir, 'node_modules', '@portkey-ai', 'gateway', 'build', 'start-server.js');
  if (existsSync(entry)) return entry;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'portkey-bench', private: true }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', `@portkey-ai/gateway@${PORTKEY_VERSION}`], {
    cwd: dir,
    stdio: 'inherit',
  });
  return entry;
}
