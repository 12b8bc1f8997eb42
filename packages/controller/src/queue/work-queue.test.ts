import { describe, expect, it } from '@jest/globals';
import { WorkQueue } from './work-queue.js';

describe('WorkQueue', () => {
  it('hands out a key once however often it was added', async () => {
    const q = new WorkQueue();
    q.add('a');
    q.add('b');
    q.add('a');
    expect(q.length).toBe(2);
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
  });

  it('never hands one key to two workers: a key added while processed comes back after done()', async () => {
    const q = new WorkQueue();
    q.add('a');
    const key = await q.get();
    q.add('a');
    expect(q.length).toBe(0);
    q.done(key as string);
    expect(q.length).toBe(1);
    expect(await q.get()).toBe('a');
  });

  it('wakes a waiting worker when a key arrives', async () => {
    const q = new WorkQueue();
    const next = q.get();
    q.add('x');
    await expect(next).resolves.toBe('x');
  });

  it('is bounded: a full queue refuses new keys and reports them', () => {
    const refused: string[] = [];
    const q = new WorkQueue({ maxSize: 2, onFull: (k) => refused.push(k) });
    expect([q.add('a'), q.add('b'), q.add('c'), q.add('a')]).toEqual([true, true, false, true]);
    expect(refused).toEqual(['c']);
  });

  it('retries with growing per-key backoff until forgotten', async () => {
    const q = new WorkQueue({ retryBaseMs: 10, retryMaxMs: 1_000, random: () => 1 });
    expect([q.addRateLimited('a'), q.addRateLimited('a'), q.addRateLimited('a')]).toEqual([10, 20, 40]);
    expect(q.retries('a')).toBe(3);
    expect(await q.get()).toBe('a');
    q.forget('a');
    expect(q.retries('a')).toBe(0);
    expect(q.addRateLimited('a')).toBe(10);
  });

  it('keeps the earlier of two delayed adds', async () => {
    const q = new WorkQueue();
    q.addAfter('a', 10_000);
    q.addAfter('a', 5);
    const started = Date.now();
    expect(await q.get()).toBe('a');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('shuts down once: waiting workers get undefined, later adds are refused', async () => {
    const q = new WorkQueue();
    const waiting = q.get();
    q.addAfter('later', 50);
    q.shutDown();
    q.shutDown();
    await expect(waiting).resolves.toBeUndefined();
    expect(q.add('a')).toBe(false);
    await expect(q.get()).resolves.toBeUndefined();
  });
});
