import { describe, expect, it } from '@jest/globals';
import { buildTrail, T0 } from '../../test/support/audit-trail.js';
import { summarize } from '../../test/support/session-summaries.js';
import { renderSessionsTable } from './sessions-table.js';

describe('renderSessionsTable', () => {
  it('lists each session with its chain, location, counts, chain status and last activity', () => {
    const sessions = summarize(buildTrail());
    sessions[2]!.chainStatus = 'broken';
    const out = renderSessionsTable(sessions, { now: new Date(T0 + 300_000) });
    const [header, root, , cleanup, , other] = out.split('\n');
    expect(header).toBe('SESSION                       PARENT                        INITIATOR   CHAIN                                                               WHERE           CALLS  DENIED  CHAIN STATUS  LAST ACTIVITY');
    expect(root).toBe('ses_0a0a0a0a0a0a0a0a0a0a0a0a  -                             alice@corp  alice@corp → Pod agents/planner                                     agents/planner      3       1  intact        4m ago (2025-11-26 14:01:00Z)');
    expect(cleanup).toBe('ses_2c2c2c2c2c2c2c2c2c2c2c2c  ses_1b1b1b1b1b1b1b1b1b1b1b1b  alice@corp  alice@corp → Pod agents/planner → Agent sweeper → Agent s3-cleanup  agents/planner      2       1  broken        4m ago (2025-11-26 14:00:23Z)');
    expect(other).toBe('ses_4e4e4e4e4e4e4e4e4e4e4e4e  -                             bob@corp    bob@corp → Host ci-runner-7                                         ci-runner-7         1       0  intact        3m ago (2025-11-26 14:01:41Z)');
  });

  it('shrinks the chain and location columns, not the ids, to fit a terminal', () => {
    const out = renderSessionsTable(summarize(buildTrail()), { now: new Date(T0 + 300_000), width: 150 });
    for (const line of out.trimEnd().split('\n')) expect(line.length).toBeLessThanOrEqual(150);
    expect(out).toContain('ses_2c2c2c2c2c2c2c2c2c2c2c2c  ses_1b1b1b1b1b1b1b1b1b1b1b1b');
    expect(out).toContain('…');
  });
});
