import { describe, expect, it } from '@jest/globals';
import { backoffDelay } from './backoff.js';

describe('backoffDelay', () => {
  it('doubles from the base, stays in the upper half of each step, and stops at the cap', () => {
    expect(backoffDelay(0, 200, 30_000, () => 0)).toBe(100);
    expect(backoffDelay(0, 200, 30_000, () => 1)).toBe(200);
    expect(backoffDelay(3, 200, 30_000, () => 1)).toBe(1_600);
    expect(backoffDelay(50, 200, 30_000, () => 0)).toBe(15_000);
    expect(backoffDelay(50, 200, 30_000, () => 1)).toBe(30_000);
  });
});
