/**
 * Temporary config directories for tests: the shipped examples/ manifests, with the emulator endpoint
 * rewritten to the port a test's emulator listens on, plus any extra files.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const EXAMPLES_DIR = join(REPO_ROOT, 'examples');
/** The emulator's address in examples/: its default port, or the `${EMULATOR_PORT:-4566}` form `make run` fills in. */
const EXAMPLE_EMULATOR_URL_RE = /http:\/\/127\.0\.0\.1:(?:\$\{EMULATOR_PORT:-4566\}|4566(?!\d))/g;

/** The demo caller of examples/api-keys.yaml (subject user:demo@example.com, team demo). */
export const DEMO_KEY = 'sk-aigw-demo-0000000000000000';
/** A caller defined by {@link OUTSIDER_KEY_MANIFEST}: valid key, collaborator of nothing. */
export const OUTSIDER_KEY = 'sk-aigw-outsider-1111111111111111';
export const OUTSIDER_KEY_MANIFEST = `apiVersion: v1
kind: Secret
type: aigateway.dev/api-key
metadata: { name: outsider-key, namespace: default }
stringData: { token: ${OUTSIDER_KEY}, subject: "user:outsider@example.com", teams: "elsewhere" }
`;

export const SONNET = 'demo/global-anthropic-claude-sonnet-4-5-20250929-v1-0';
export const NOVA_LITE = 'demo/amazon-nova-lite-v1-0';

export interface ConfigDir {
  readonly dir: string;
  write(name: string, text: string): Promise<void>;
  read(name: string): Promise<string>;
  remove(): Promise<void>;
}

/** Copies examples/ into a temp dir, pointing endpoints at `emulatorUrl`, and adds `extraFiles`. */
export async function makeConfigDir(
  options: { emulatorUrl?: string; extraFiles?: Record<string, string> } = {},
): Promise<ConfigDir> {
  const dir = await mkdtemp(join(tmpdir(), 'aigw-config-'));
  for (const name of await readdir(EXAMPLES_DIR)) {
    if (!/\.ya?ml$/.test(name)) continue;
    let text = await readFile(join(EXAMPLES_DIR, name), 'utf8');
    // The examples name the emulator as http://127.0.0.1:${EMULATOR_PORT:-4566}.
    if (options.emulatorUrl) text = text.replace(EXAMPLE_EMULATOR_URL_RE, options.emulatorUrl);
    await writeFile(join(dir, name), text);
  }
  for (const [name, text] of Object.entries(options.extraFiles ?? {})) await writeFile(join(dir, name), text);
  return {
    dir,
    write: (name, text) => writeFile(join(dir, name), text),
    read: (name) => readFile(join(dir, name), 'utf8'),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
