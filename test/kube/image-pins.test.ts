/**
 * The image the chart runs is built from pinned bases (docs/install.md, "Building the image"): every
 * `FROM` of the Dockerfile names a build argument whose default is `image:tag@sha256:<digest>`, the
 * bases are Node 22 (the project's floor in package.json), the runtime user is the UID the chart's
 * securityContext expects, and the docs tell how to build, push and refresh the digests.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './harness.js';

const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
const lines = dockerfile.split('\n').filter((l) => !l.startsWith('#'));
const args = new Map(
  lines
    .map((l) => /^ARG ([A-Z_]+)=(\S+)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => [m[1] as string, m[2] as string]),
);
const froms = lines.map((l) => /^FROM (\S+)/.exec(l)?.[1]).filter((f): f is string => f !== undefined);

describe('the Dockerfile', () => {
  it('pins every base image by digest, through a build argument', () => {
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const from of froms) {
      if (/^(build|deps)$/.test(from)) continue; // an earlier stage
      const arg = /^\$\{([A-Z_]+)\}$/.exec(from)?.[1];
      expect(arg, `FROM ${from}`).toBeDefined();
      const image = args.get(arg as string);
      expect(image, `ARG ${arg}`).toMatch(/^[a-z0-9./-]+:[\w.-]+@sha256:[0-9a-f]{64}$/);
    }
  });

  it('builds and runs on Node 22, the floor of package.json', () => {
    const engines = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { engines: { node: string } })
      .engines.node;
    expect(engines).toMatch(/^>=\s*22(\.|$)/);
    expect(args.get('BUILD_IMAGE')).toMatch(/^node:22-/);
    expect(args.get('RUNTIME_IMAGE')).toMatch(/^gcr\.io\/distroless\/nodejs22-/);
  });

  it("runs as the chart's non-root UID", () => {
    expect(lines).toContain('USER 65532:65532');
    // The chart's default pod security contexts (gateway and operator) run as the image's user.
    const values = readFileSync(join(REPO_ROOT, 'charts/aigateway/values.yaml'), 'utf8');
    expect(values.match(/^ {4}runAsUser: 65532$/gm)).toHaveLength(2);
  });

  it('is documented: build, push, and how to refresh the digests', () => {
    const install = readFileSync(join(REPO_ROOT, 'docs/install.md'), 'utf8');
    expect(install).toContain('## Building the image');
    expect(install).toMatch(/docker build -t REGISTRY\/aigateway:\S+ \./);
    expect(install).toMatch(/docker push REGISTRY\/aigateway/);
    expect(install).toContain('docker buildx imagetools inspect node:22-bookworm-slim');
    expect(install).toContain('docker buildx imagetools inspect gcr.io/distroless/nodejs22-debian12:nonroot');
    // The refresh commands in the Dockerfile and the docs are the same.
    expect(dockerfile).toContain('docker buildx imagetools inspect node:22-bookworm-slim');
  });
});
