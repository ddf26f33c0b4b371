import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MIN_PART_BYTES, ObjectStore } from './store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'aigw-store-'));
  dirs.push(d);
  return d;
}

describe.each([
  ['in memory', () => undefined],
  ['on disk', tempDir],
])('object store %s', (_mode, makeDir) => {
  it('counts bytes once: overwrites replace, parts move into the completed object, deletes free', async () => {
    const store = new ObjectStore(3 * MIN_PART_BYTES, () => 0, makeDir());
    store.createBucket('bkt');
    await store.put('bkt', 'k', Buffer.alloc(100));
    await store.put('bkt', 'k', Buffer.alloc(40));
    expect(store.bytesUsed).toBe(40);
    const upload = store.createUpload('bkt', 'big', {});
    const e1 = await store.putPart(upload, 1, Buffer.alloc(MIN_PART_BYTES, 1));
    const e2 = await store.putPart(upload, 2, Buffer.alloc(10, 2));
    expect(store.bytesUsed).toBe(40 + MIN_PART_BYTES + 10);
    const object = await store.completeUpload(upload, [
      { partNumber: 1, etag: e1 },
      { partNumber: 2, etag: e2 },
    ]);
    expect(object).toMatchObject({ size: MIN_PART_BYTES + 10, parts: 2 });
    expect(object.etag).toMatch(/^"[0-9a-f]{32}-2"$/);
    expect(store.bytesUsed).toBe(40 + MIN_PART_BYTES + 10);
    expect((await store.read(object, { start: MIN_PART_BYTES - 1, end: MIN_PART_BYTES + 1 })).toJSON().data).toEqual([
      1, 2, 2,
    ]);
    await store.delete('bkt', 'big');
    await store.delete('bkt', 'k');
    expect(store.bytesUsed).toBe(0);
    await expect(store.put('bkt', 'x', Buffer.alloc(3 * MIN_PART_BYTES + 1))).rejects.toMatchObject({
      code: 'EntityTooLarge',
    });
  });
});

describe('object store on disk', () => {
  it('stores bodies as files named by key hash and reloads the index at start', async () => {
    const dir = tempDir();
    const first = new ObjectStore(1024, () => 1_700_000_000_000, dir);
    first.createBucket('bkt');
    await first.put('bkt', '../../etc/passwd', Buffer.from('not a path'), { metadata: { a: '1' } });
    expect(readdirSync(join(dir, 'bkt')).every((f) => /^[0-9a-f]{64}(\.json)?$/.test(f))).toBe(true);
    const second = new ObjectStore(1024, () => 0, dir);
    expect(second.sortedKeys('bkt')).toEqual(['../../etc/passwd']);
    expect(second.get('bkt', '../../etc/passwd')).toMatchObject({
      size: 10,
      metadata: { a: '1' },
      lastModified: 1_700_000_000_000,
    });
    expect(await second.text('bkt', '../../etc/passwd')).toBe('not a path');
    expect(second.bytesUsed).toBe(10);
  });
});
