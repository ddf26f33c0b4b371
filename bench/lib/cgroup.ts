/**
 * A memory cgroup for a benchmarked process, so it runs under the memory limit its Helm chart gives it.
 *
 * Node sizes V8's heap from the memory it may use (`process.constrainedMemory()`, the cgroup's limit in a
 * pod), so in a pod with `resources.limits.memory: 512Mi` aigw's heap limit is 259 MB and V8 collects old
 * space much sooner than on a 24 GiB host with no limit (heap limit 4 GB). Measuring RSS outside the limit
 * would measure a configuration no one runs.
 *
 * Needs root and a writable cgroup file system (v1 `memory` hierarchy or v2 with the memory controller);
 * without them `createMemoryCgroup` says why and the caller runs the process unconstrained.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface MemoryCgroup {
  /** The cgroup's directory; a process joins it by writing its PID to `cgroup.procs`. */
  dir: string;
  limitBytes: number;
  /** Removes the cgroup (once its processes have exited). */
  remove(): void;
}

const V1_ROOT = '/sys/fs/cgroup/memory';
const V2_ROOT = '/sys/fs/cgroup';

/** Creates a cgroup limited to `limitBytes`, or returns why it cannot. */
export function createMemoryCgroup(name: string, limitBytes: number): MemoryCgroup | { reason: string } {
  try {
    let dir: string;
    if (existsSync(join(V1_ROOT, 'memory.limit_in_bytes'))) {
      dir = join(V1_ROOT, name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'memory.limit_in_bytes'), String(limitBytes));
    } else if (readFileSync(join(V2_ROOT, 'cgroup.controllers'), 'utf8').split(/\s+/).includes('memory')) {
      const subtree = readFileSync(join(V2_ROOT, 'cgroup.subtree_control'), 'utf8');
      if (!subtree.split(/\s+/).includes('memory')) writeFileSync(join(V2_ROOT, 'cgroup.subtree_control'), '+memory');
      dir = join(V2_ROOT, name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'memory.max'), String(limitBytes));
    } else {
      return { reason: 'no cgroup memory controller' };
    }
    return {
      dir,
      limitBytes,
      remove: () => {
        try {
          rmdirSync(dir);
        } catch {
          // Still has a process (one that did not stop) or is gone already.
        }
      },
    };
  } catch (err) {
    return { reason: (err as Error).message };
  }
}

/** `512Mi`, `1Gi`, `600M`, `1G` or a byte count, as Kubernetes writes memory quantities. */
export function parseMemoryQuantity(quantity: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|K|M|G)?$/.exec(quantity.trim());
  if (!m) throw new Error(`not a memory quantity: ${quantity}`);
  const unit = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, K: 1e3, M: 1e6, G: 1e9 }[m[2] ?? ''] ?? 1;
  return Math.round(Number(m[1]) * unit);
}
