import { describe, expect, it } from '@jest/globals';
import { connectWithRetry } from './connect-with-retry.js';

describe('connectWithRetry', () => {
  it('retries with growing pauses until a connection is made, reporting each failure', async () => {
    const pauses: number[] = [];
    const failures: number[] = [];
    let calls = 0;
    const c = await connectWithRetry(async () => {
      if (++calls < 4) throw new Error('down');
      return 'connection';
    }, { stopped: () => false, pause: async (ms) => { pauses.push(ms); }, baseMs: 100, maxMs: 800, onFailure: (a) => failures.push(a) });
    expect(c).toBe('connection');
    expect(failures).toEqual([0, 1, 2]);
    expect(pauses[0]).toBeGreaterThanOrEqual(50);
    expect(pauses[2]).toBeGreaterThanOrEqual(200);
    expect(Math.max(...pauses)).toBeLessThanOrEqual(400);
  });

  it('gives a connection made after the owner stopped back, and returns undefined', async () => {
    let stopped = false;
    const discarded: string[] = [];
    const c = await connectWithRetry(async () => { stopped = true; return 'late'; }, {
      stopped: () => stopped, pause: async () => undefined, baseMs: 1, maxMs: 1, discard: async (x) => { discarded.push(x); },
    });
    expect(c).toBeUndefined();
    expect(discarded).toEqual(['late']);
  });
});
