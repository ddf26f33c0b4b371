/**
 * Stands in for kubelet in tests: projects the operator's ConfigMap and Secret into one directory
 * the way a projected volume does (a timestamped directory made complete first, then the `..data`
 * symlink swapped by rename, each key a symlink through it), so the gateway sees exactly the file
 * layout and the atomic swaps it gets in a pod.
 */
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ListWatch } from '../../operator/src/index.js';
import { type KubeClient, type KubeObject, pathFor, RESOURCES } from '../../operator/src/kube/index.js';

type WithData = KubeObject & { data?: Record<string, string> };

export class VolumeProjector {
  private readonly configMaps: ListWatch<WithData>;
  private readonly secrets: ListWatch<WithData>;
  private generation = 0;
  private current: string | undefined;

  constructor(
    client: KubeClient,
    private readonly options: { namespace: string; configMap: string; secret: string; dir: string },
  ) {
    mkdirSync(options.dir, { recursive: true });
    this.configMaps = new ListWatch(client, {
      path: pathFor(RESOURCES.configmaps, options.namespace),
      fieldSelector: `metadata.name=${options.configMap}`,
    });
    this.secrets = new ListWatch(client, {
      path: pathFor(RESOURCES.secrets, options.namespace),
      fieldSelector: `metadata.name=${options.secret}`,
    });
    this.configMaps.onChange(() => this.project());
    this.secrets.onChange(() => this.project());
  }

  start(): void {
    this.configMaps.start();
    this.secrets.start();
  }

  async stop(): Promise<void> {
    await Promise.all([this.configMaps.stop(), this.secrets.stop()]);
  }

  private project(): void {
    const files: Record<string, Buffer> = {};
    const cm = this.configMaps.get(this.options.namespace, this.options.configMap);
    for (const [k, v] of Object.entries(cm?.data ?? {})) files[k] = Buffer.from(v, 'utf8');
    const secret = this.secrets.get(this.options.namespace, this.options.secret);
    for (const [k, v] of Object.entries(secret?.data ?? {})) files[k] = Buffer.from(v, 'base64');

    const { dir } = this.options;
    const name = `..${Date.now()}_${++this.generation}`;
    mkdirSync(join(dir, name));
    for (const [k, v] of Object.entries(files)) writeFileSync(join(dir, name, k), v);
    symlinkSync(name, join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    for (const k of Object.keys(files)) {
      try {
        symlinkSync(join('..data', k), join(dir, k));
      } catch {
        // already linked through ..data
      }
    }
    if (this.current) rmSync(join(dir, this.current), { recursive: true, force: true });
    this.current = name;
  }
}
