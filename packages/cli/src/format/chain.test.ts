import { describe, expect, it } from '@jest/globals';
import type { Actor } from '@agentrail/core';
import { formatChain, formatChainShort } from './chain.js';

const chain: Actor[] = [
  { type: 'User', name: 'alice' },
  { type: 'Agent', name: 'planner' },
  { type: 'Agent', name: 'sweeper' },
];

describe('formatChain', () => {
  it('names the initiator alone and every later actor with its type', () => {
    expect(formatChain(chain)).toBe('alice → Agent planner → Agent sweeper');
  });

  it('falls back to the initiator for an empty chain', () => {
    expect(formatChain([], 'alice')).toBe('alice');
  });
});

describe('formatChainShort', () => {
  it('keeps who asked and who called, eliding the middle', () => {
    expect(formatChainShort(chain)).toBe('alice → … → Agent sweeper');
  });

  it('keeps chains of two whole', () => {
    expect(formatChainShort(chain.slice(0, 2))).toBe('alice → Agent planner');
  });
});
