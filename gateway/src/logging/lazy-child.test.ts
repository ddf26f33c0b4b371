import { Writable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { LazyChildLogger } from './lazy-child.js';
import { createLogger } from './logger.js';

function capture(level: string) {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger({ level, destination }), lines };
}

const withoutTime = (line: Record<string, unknown> | undefined) => ({ ...line, time: 0 });

describe('LazyChildLogger', () => {
  it('writes the same lines as the eager child, bindings and their redaction included', async () => {
    const { logger, lines } = capture('info');
    const bindings = { reqId: 'req-1', apiKey: 'sk-caller-0123456789abcdef' };
    logger.child(bindings).warn({ code: 'x', token: 'sk-caller-0123456789abcdef' }, 'stream failed');
    new LazyChildLogger(logger, bindings).warn({ code: 'x', token: 'sk-caller-0123456789abcdef' }, 'stream failed');
    await new Promise((r) => setImmediate(r));
    expect(lines).toHaveLength(2);
    expect(withoutTime(lines[1])).toEqual(withoutTime(lines[0]));
    expect(lines[1]).toMatchObject({ reqId: 'req-1', msg: 'stream failed', code: 'x' });
    expect(JSON.stringify(lines)).not.toContain('sk-caller-0123456789abcdef');
  });

  it('makes no pino child while nothing is logged at an enabled level', async () => {
    const { logger, lines } = capture('warn');
    const child = vi.spyOn(logger, 'child');
    const lazy = new LazyChildLogger(logger, { reqId: 'req-2' });
    lazy.info('not written');
    lazy.debug({ a: 1 }, 'not written either');
    expect(lazy.level).toBe('warn');
    expect(lazy.isLevelEnabled('info')).toBe(false);
    expect(lazy.isLevelEnabled('error')).toBe(true);
    expect(child).not.toHaveBeenCalled();
    lazy.error('written');
    lazy.error('written once more');
    expect(child).toHaveBeenCalledTimes(1);
    await new Promise((r) => setImmediate(r));
    expect(lines.map((l) => [l.reqId, l.msg])).toEqual([
      ['req-2', 'written'],
      ['req-2', 'written once more'],
    ]);
  });

  it('gives its own children the request bindings', async () => {
    const { logger, lines } = capture('info');
    new LazyChildLogger(logger, { reqId: 'req-3' }).child({ part: 'upload' }).info('hello');
    await new Promise((r) => setImmediate(r));
    expect(lines[0]).toMatchObject({ reqId: 'req-3', part: 'upload', msg: 'hello' });
  });
});
