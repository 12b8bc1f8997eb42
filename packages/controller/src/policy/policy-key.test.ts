import { describe, expect, it } from '@jest/globals';
import { ControllerError } from '../errors.js';
import { parsePolicyKey, parseRefString, policyKey, refString } from './policy-key.js';

describe('policy keys', () => {
  it('names a policy <namespace>.<name>, which the sidecar can watch as <namespace>.>', () => {
    expect(policyKey({ namespace: 'agents', name: 'research' })).toBe('agents.research');
    expect(policyKey({ namespace: 'a-1', name: 'team.read-only' })).toBe('a-1.team.read-only');
  });

  it('uses only characters NATS KV keys allow, for any valid Kubernetes name', () => {
    const key = policyKey({ namespace: 'x'.repeat(63), name: `${'a'.repeat(63)}.${'b'.repeat(63)}.c-1` });
    expect(key).toMatch(/^[-/_=.a-zA-Z0-9]+$/);
    expect(key).not.toMatch(/^\.|\.\.|\.$/);
  });

  it('refuses what Kubernetes would never name an object', () => {
    for (const ref of [{ namespace: 'Agents', name: 'x' }, { namespace: 'a.b', name: 'x' }, { namespace: 'a', name: 'x..y' }, { namespace: 'a', name: '' }, { namespace: 'a', name: 'x*' }]) {
      expect(() => policyKey(ref)).toThrow(ControllerError);
    }
  });

  it('parses keys back to the namespace and name (the first dot splits)', () => {
    expect(parsePolicyKey('agents.team.read-only')).toEqual({ namespace: 'agents', name: 'team.read-only' });
    expect(parsePolicyKey('nodot')).toBeUndefined();
    expect(parsePolicyKey('.x')).toBeUndefined();
    expect(parsePolicyKey('agents.Bad_Name')).toBeUndefined();
  });

  it('round-trips queue keys', () => {
    const ref = { namespace: 'agents', name: 'a.b' };
    expect(parseRefString(refString(ref))).toEqual(ref);
  });
});
