import { PassThrough, Writable } from 'node:stream';
import { canonicalJson, SessionChainer, verifyChain, type AuditEvent, type SessionEndedEvent, type UnsealedEvent } from '@agentrail/core';
import { writeJsonl } from './jsonl.js';
import { toOcsfApiActivity } from './ocsf.js';

function trail(n: number): AuditEvent[] {
  const chainer = new SessionChainer();
  return Array.from({ length: n }, (_, i) => chainer.seal({
    v: 1, id: `01JX${String(i).padStart(22, '0')}`, time: '2025-06-01T12:00:00.000Z', type: 'session.ended', session: { id: 'sess_1' },
    initiator: 'alice', chain: [{ type: 'User', name: 'alice' }], source: { host: 'h' }, reason: `r${i} ${'x'.repeat(200)}`,
  } as UnsealedEvent<SessionEndedEvent>));
}

/** A slow consumer with a small buffer: records how much the writer let pile up. */
class SlowSink extends Writable {
  readonly chunks: Buffer[] = [];
  maxBuffered = 0;

  constructor() {
    super({ highWaterMark: 1024 });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error) => void): void {
    this.chunks.push(chunk);
    setImmediate(done);
  }

  override write(chunk: unknown, ...rest: never[]): boolean {
    const ok = super.write(chunk as Buffer, ...rest);
    this.maxBuffered = Math.max(this.maxBuffered, this.writableLength);
    return ok;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

describe('writeJsonl', () => {
  test('one canonical JSON event per line, in order; the lines re-verify', async () => {
    const events = trail(5);
    const out = new SlowSink();
    expect(await writeJsonl(events, out)).toBe(5);
    const lines = out.text().split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toEqual(events.map((e) => canonicalJson(e)));
    expect(verifyChain(lines.map((l) => JSON.parse(l) as AuditEvent))).toEqual([]);
  });

  test('waits for drain: a slow consumer never holds more than one chunk beyond its buffer', async () => {
    const out = new SlowSink();
    const n = 3000; // ~700 KB
    expect(await writeJsonl(trail(n), out)).toBe(n);
    expect(out.text().split('\n').length).toBe(n + 1);
    expect(out.maxBuffered).toBeLessThanOrEqual(1024 + 70 * 1024);
  });

  test('async iterables, mapping and skipping (OCSF keeps only calls)', async () => {
    async function* gen(): AsyncGenerator<AuditEvent> {
      yield* trail(3);
    }
    const out = new PassThrough();
    const text = new Promise<string>((resolve) => {
      let s = '';
      out.on('data', (c: Buffer) => (s += c.toString()));
      out.on('end', () => resolve(s));
    });
    const odd = (e: AuditEvent) => (e.session.seq % 2 === 1 ? { seq: e.session.seq } : undefined);
    expect(await writeJsonl(gen(), out, { map: odd, end: true })).toBe(2);
    expect(await text).toBe('{"seq":1}\n{"seq":3}\n');
    expect(await writeJsonl(trail(3), new PassThrough(), { map: toOcsfApiActivity })).toBe(0); // no calls, no OCSF records
  });

  test('does not end the stream unless asked', async () => {
    const out = new PassThrough();
    await writeJsonl(trail(1), out);
    expect(out.writableEnded).toBe(false);
    await writeJsonl(trail(1), out, { end: true });
    expect(out.writableEnded).toBe(true);
  });

  test('a consumer that fails or goes away rejects the export instead of hanging it', async () => {
    const failing = new Writable({ highWaterMark: 16, write: (_c, _e, done) => setImmediate(() => done(new Error('disk full'))) });
    failing.on('error', () => undefined);
    await expect(writeJsonl(trail(1000), failing)).rejects.toThrow(/disk full|closed/);
    const closed = new PassThrough();
    closed.destroy();
    await expect(writeJsonl(trail(1), closed)).rejects.toThrow('the output is closed');
  });
});
