import { SessionRegistry, ACCESS_KEY_PREFIX } from './session-registry.js';

describe('SessionRegistry', () => {
  let now = Date.UTC(2026, 0, 1);
  const registry = () => new SessionRegistry({ ttlMs: 3600_000, rotateBeforeMs: 1800_000, now: () => now });

  it('issues recognisable 20-character keys bound to the token session', () => {
    const r = registry();
    const { token, session } = r.createRoot('alice', [{ type: 'User', name: 'alice' }]);
    const creds = r.credentialsFor(token)!;
    expect(creds.accessKeyId).toMatch(new RegExp(`^${ACCESS_KEY_PREFIX}[A-Z2-7]{12}$`));
    expect(creds.accessKeyId).toHaveLength(20);
    expect(r.lookup(creds.accessKeyId)?.session.id).toBe(session.id);
    expect(r.credentialsFor('not-a-token')).toBeUndefined();
    expect(SessionRegistry.tokenMatches(creds, creds.sessionToken)).toBe(true);
    expect(SessionRegistry.tokenMatches(creds, `${creds.sessionToken}x`)).toBe(false);
    expect(SessionRegistry.tokenMatches(creds, undefined)).toBe(false);
  });

  it('rotates close to expiry while older keys keep working until they expire', () => {
    const r = registry();
    const { token } = r.createRoot('alice', [{ type: 'User', name: 'alice' }]);
    const first = r.credentialsFor(token)!;
    now += 20 * 60_000;
    expect(r.credentialsFor(token)!.accessKeyId).toBe(first.accessKeyId);
    now += 15 * 60_000; // 25 minutes left: inside the rotation window
    const second = r.credentialsFor(token)!;
    expect(second.accessKeyId).not.toBe(first.accessKeyId);
    expect(r.isExpired(r.lookup(first.accessKeyId)!)).toBe(false);
    now += 26 * 60_000;
    expect(r.isExpired(first)).toBe(true);
    r.credentialsFor(token); // sweeps
    expect(r.lookup(second.accessKeyId)).toBeDefined();
  });

  it('builds delegated chains from the parent session, to any depth', () => {
    const r = registry();
    const root = r.createRoot('alice', [{ type: 'User', name: 'alice' }]);
    const child = r.delegate(root.token, { type: 'Agent', name: 'planner' })!;
    const grandchild = r.delegate(child.token, { type: 'Agent', name: 'sweeper' })!;
    expect(grandchild.session.parentId).toBe(child.session.id);
    expect(grandchild.session.chain.map((a) => a.name)).toEqual(['alice', 'planner', 'sweeper']);
    expect(grandchild.session.initiator).toBe('alice');
    expect(r.delegate('forged', { type: 'Agent', name: 'x' })).toBeUndefined();
  });
});
