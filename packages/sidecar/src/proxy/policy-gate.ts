import type { PolicyDecision, PolicyRequest, PolicySet } from '@agentrail/core';

/**
 * The policies this sidecar enforces, swapped atomically as a whole when a
 * new set arrives (from a file at start, or from the controller through NATS
 * KV). Until a set is known — the sidecar watches NATS and has neither
 * heard from it nor a cached copy — calls get `unavailableAction`: Deny by
 * default, since letting everything through would silently drop every Deny
 * rule the namespace has.
 */
export class PolicyGate {
  private set: PolicySet | undefined;

  constructor(private readonly opts: { initial?: PolicySet; unavailableAction: 'Allow' | 'Deny' }) {
    this.set = opts.initial;
  }

  replace(set: PolicySet): void {
    this.set = set;
  }

  decide(req: PolicyRequest): PolicyDecision {
    if (this.set !== undefined) return this.set.evaluate(req);
    const allow = this.opts.unavailableAction === 'Allow';
    return {
      action: this.opts.unavailableAction,
      reason: 'default',
      message: allow
        ? 'allowed: the gateway has not received its policies yet (policy.unavailableAction: Allow)'
        : 'denied: the gateway has not received its policies yet and refuses calls until it has (policy.unavailableAction: Deny)',
      masking: { audit: [], response: [] },
    };
  }
}
