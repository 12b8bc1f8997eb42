import type { Actor } from '@agentrail/core';

/** `→`, the separator people read as "started, then". */
export const CHAIN_ARROW = ' → ';

/**
 * One actor as people name it: the initiator (first actor) by its name alone,
 * every later actor with its type, `Pod agents/planner`, `Agent sweeper`.
 */
export function formatActor(actor: Actor, index: number): string {
  return index === 0 ? actor.name : `${actor.type} ${actor.name}`;
}

/**
 * The whole chain, initiator first: `alice → Pod agents/planner → Agent sweeper`.
 * An empty chain (should not happen: a chain starts with its initiator) falls
 * back to `initiator`.
 */
export function formatChain(chain: readonly Actor[], initiator = '?'): string {
  if (chain.length === 0) return initiator;
  return chain.map(formatActor).join(CHAIN_ARROW);
}

/**
 * The chain for a narrow column: the initiator and the last actor, which are
 * who asked and who called; what lies between is `…`.
 * `alice → … → Agent sweeper`.
 */
export function formatChainShort(chain: readonly Actor[], initiator = '?'): string {
  if (chain.length <= 2) return formatChain(chain, initiator);
  return [formatActor(chain[0]!, 0), '…', formatActor(chain[chain.length - 1]!, chain.length - 1)].join(CHAIN_ARROW);
}
