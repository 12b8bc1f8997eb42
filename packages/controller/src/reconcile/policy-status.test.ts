import { describe, expect, it } from '@jest/globals';
import { desiredStatus, MAX_MESSAGE_LENGTH, setCondition, statusChanged, type Condition } from './policy-status.js';

const t0 = new Date('2026-01-01T10:00:00.123Z');
const t1 = new Date('2026-01-01T11:30:00.999Z');
const ready = (status: 'True' | 'False', reason = status === 'True' ? 'Compiled' : 'Invalid', message = 'm') => ({ status, reason, message });

describe('setCondition', () => {
  it('adds a missing condition with the transition time now, in second precision', () => {
    const list = setCondition(undefined, { type: 'Ready', status: 'True', reason: 'Compiled', message: 'ok', observedGeneration: 1 }, t0);
    expect(list).toEqual([{ type: 'Ready', status: 'True', reason: 'Compiled', message: 'ok', observedGeneration: 1, lastTransitionTime: '2026-01-01T10:00:00Z' }]);
  });

  it('keeps lastTransitionTime while the status stays, even when reason, message and generation change', () => {
    const first = setCondition([], { type: 'Ready', status: 'False', reason: 'Invalid', message: 'a', observedGeneration: 1 }, t0);
    const second = setCondition(first, { type: 'Ready', status: 'False', reason: 'Invalid', message: 'b', observedGeneration: 2 }, t1);
    expect(second[0]).toMatchObject({ message: 'b', observedGeneration: 2, lastTransitionTime: '2026-01-01T10:00:00Z' });
  });

  it('moves lastTransitionTime when the status flips', () => {
    const first = setCondition([], { type: 'Ready', status: 'False', reason: 'Invalid', message: 'a' }, t0);
    const second = setCondition(first, { type: 'Ready', status: 'True', reason: 'Compiled', message: 'b' }, t1);
    expect(second[0]?.lastTransitionTime).toBe('2026-01-01T11:30:00Z');
  });

  it('leaves other writers\' conditions where they are', () => {
    const other: Condition = { type: 'Audited', status: 'True', reason: 'X', message: '', lastTransitionTime: '2025-01-01T00:00:00Z' };
    const list = setCondition([other], { type: 'Ready', status: 'True', reason: 'Compiled', message: '' }, t0);
    expect(list.map((c) => c.type)).toEqual(['Audited', 'Ready']);
    expect(list[0]).toBe(other);
  });
});

describe('desiredStatus and statusChanged', () => {
  it('sets observedGeneration on the status and on the condition, and the rule count', () => {
    const s = desiredStatus(undefined, ready('True'), 7, 3, t0);
    expect(s).toMatchObject({ observedGeneration: 7, rules: 3 });
    expect(s.conditions?.[0]).toMatchObject({ type: 'Ready', observedGeneration: 7 });
  });

  it('reports no change when a reconcile computes the status already stored', () => {
    const stored = desiredStatus(undefined, ready('True'), 2, 1, t0);
    // A later reconcile of the same generation: same content, a later clock.
    const again = desiredStatus(JSON.parse(JSON.stringify(stored)), ready('True'), 2, 1, t1);
    expect(statusChanged(stored, again)).toBe(false);
  });

  it('reports a change for a new generation, a new message, or a new rule count', () => {
    const stored = desiredStatus(undefined, ready('True'), 2, 1, t0);
    expect(statusChanged(stored, desiredStatus(stored, ready('True'), 3, 1, t1))).toBe(true);
    expect(statusChanged(stored, desiredStatus(stored, ready('True', 'Compiled', 'other'), 2, 1, t1))).toBe(true);
    expect(statusChanged(stored, desiredStatus(stored, ready('True'), 2, 4, t1))).toBe(true);
  });

  it('treats a missing status as changed', () => {
    expect(statusChanged(undefined, desiredStatus(undefined, ready('False'), 1, 0, t0))).toBe(true);
  });

  it('ignores status fields other writers own', () => {
    const stored = desiredStatus(undefined, ready('True'), 2, 1, t0);
    expect(statusChanged({ ...stored, somethingElse: 1 } as never, desiredStatus(stored, ready('True'), 2, 1, t1))).toBe(false);
  });

  it('caps the condition message', () => {
    const s = desiredStatus(undefined, ready('False', 'Invalid', 'x'.repeat(MAX_MESSAGE_LENGTH * 2)), 1, 0, t0);
    const message = s.conditions?.[0]?.message ?? '';
    expect(message.length).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH);
    expect(message.endsWith('(truncated)')).toBe(true);
  });
});
