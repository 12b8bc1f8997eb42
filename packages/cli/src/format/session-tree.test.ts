import { describe, expect, it } from '@jest/globals';
import type { SessionTree } from '@agentrail/collector';
import { buildTrail, IDS, T0 } from '../../test/support/audit-trail.js';
import { treeOf } from '../../test/support/session-summaries.js';
import { renderSessionTree } from './session-tree.js';
import { ansiStyler } from './style.js';
import { displayWidth } from './text.js';

const now = new Date(T0 + 300_000);

describe('renderSessionTree', () => {
  it('draws three levels of delegation with their calls in the order they happened', () => {
    const out = renderSessionTree(treeOf(buildTrail(), IDS.root), { now });
    expect(out).toBe(
      [
        'ses_0a0a0a0a0a0a0a0a0a0a0a0a  alice@corp → Pod agents/planner  ·  agents/planner  ·  3 calls, 1 denied  ·  chain intact  ·  ended  ·  last activity 4m ago (2025-11-26 14:01:00Z)',
        '│  14:00:01.000  Allow  s3:ListBuckets    *                                        200                13 ms',
        '│  14:00:02.000  Deny   iam:CreateUser    arn:aws:iam::123456789012:user/backdoor  403 AccessDenied  0.4 ms',
        '├─ ses_1b1b1b1b1b1b1b1b1b1b1b1b  alice@corp → Pod agents/planner → Agent sweeper  ·  2 calls, 1 denied  ·  chain intact  ·  ended',
        '│  │  14:00:11.000  Allow  s3:ListObjectsV2  arn:aws:s3:::reports-2025                200                13 ms',
        '│  └─ ses_2c2c2c2c2c2c2c2c2c2c2c2c  alice@corp → Pod agents/planner → Agent sweeper → Agent s3-cleanup  ·  2 calls, 1 denied  ·  chain intact  ·  ended',
        '│        14:00:21.000  Deny   s3:DeleteObject   arn:aws:s3:::reports-2025/q1.csv         403 AccessDenied  0.4 ms',
        '│        14:00:22.000  Allow  s3:GetObject      arn:aws:s3:::reports-2025/q9.csv         404 NoSuchKey      31 ms',
        '│        14:00:23.000         session.ended                                              process exited',
        '│     14:00:30.000  Deny   s3:DeleteBucket   arn:aws:s3:::reports-2025                403 AccessDenied  0.4 ms',
        '│     14:00:31.000         session.ended                                              process exited',
        '│  14:00:40.000  Allow  s3:GetObject      arn:aws:s3:::reports-2025/summary.csv    200                13 ms',
        '└─ ses_3d3d3d3d3d3d3d3d3d3d3d3d  alice@corp → Pod agents/planner → Agent reporter  ·  1 call  ·  chain intact  ·  ended',
        '      14:00:51.000  Allow  s3:PutObject      arn:aws:s3:::reports-2025/weekly.md      200                13 ms',
        '      14:00:52.000         session.ended                                              process exited',
        '   14:01:00.000         session.ended                                              process exited',
        '',
      ].join('\n'),
    );
  });

  it('keeps every line within a terminal width', () => {
    const out = renderSessionTree(treeOf(buildTrail(), IDS.root), { now, width: 90 });
    for (const line of out.trimEnd().split('\n')) expect(displayWidth(line)).toBeLessThanOrEqual(90);
    expect(out).toContain('│  └─ ses_2c2c2c2c2c2c2c2c2c2c2c2c  alice@corp → Pod agents/planner → Agent sweeper → Age…\n');
    expect(out).toContain('│        14:00:21.000  Deny   s3:DeleteObject   arn:aws:s3:::re…  403 AccessDenied  0.4 ms\n');
  });

  it('says which chains do not hold, and to which seq they are verified', () => {
    const tree = treeOf(buildTrail(), IDS.cleanup);
    const broken: SessionTree = { ...tree, session: { ...tree.session, chainStatus: 'gap', verifiedSeq: 1, maxSeq: 4 } };
    expect(renderSessionTree(broken, { now }).split('\n')[0]).toContain('chain GAP (verified to seq 1 of 4)');
  });

  it('prints a lone session without glyphs', () => {
    const out = renderSessionTree(treeOf(buildTrail(), IDS.other), { now });
    expect(out).toBe(
      [
        'ses_4e4e4e4e4e4e4e4e4e4e4e4e  bob@corp → Host ci-runner-7  ·  ci-runner-7  ·  1 call  ·  chain intact  ·  last activity 3m ago (2025-11-26 14:01:41Z)',
        '   14:01:41.000  Allow  sts:GetCallerIdentity  *  200  13 ms',
        '',
      ].join('\n'),
    );
  });

  it('draws a chain of five levels with one continuing line per open level', () => {
    const leaf = (depth: number): SessionTree => {
      const base = treeOf(buildTrail(), IDS.other);
      // Each level starts after its parent's call, so the call is listed above the delegation.
      const later = (t: string): string => new Date(Date.parse(t) + depth * 10_000).toISOString();
      const chain = [...base.session.chain, ...Array.from({ length: depth }, (_, i) => ({ type: 'Agent' as const, name: `a${i + 1}` }))];
      const session = { ...base.session, id: `ses_level${depth}`, chain, firstTime: later(base.session.firstTime) };
      const events = base.events.map((e) => ({ ...e, time: later(e.time), session: { ...e.session, id: session.id } }));
      return { session, events, children: depth < 4 ? [leaf(depth + 1)] : [] };
    };
    const lines = renderSessionTree(leaf(0), { now }).trimEnd().split('\n');
    expect(lines.map((l) => l.replace(/ses_level(\d).*/, 'ses_level$1').replace(/\d\d:\d\d:\d\d\.\d{3}.*/, 'call'))).toEqual([
      'ses_level0',
      '│  call',
      '└─ ses_level1',
      '   │  call',
      '   └─ ses_level2',
      '      │  call',
      '      └─ ses_level3',
      '         │  call',
      '         └─ ses_level4',
      '               call',
    ]);
  });

  it('neutralises control characters an agent put in its name', () => {
    const tree = treeOf(buildTrail(), IDS.other);
    const evil: SessionTree = { ...tree, session: { ...tree.session, chain: [{ type: 'User', name: 'bob' }, { type: 'Agent', name: 'x\u001b[2Jy\nforged' }] } };
    const out = renderSessionTree(evil, { now });
    expect(out).not.toContain('\u001b');
    expect(out.split('\n')[0]).toContain('Agent x\\x1b[2Jy\\nforged');
  });

  it('colours denials when asked to', () => {
    const out = renderSessionTree(treeOf(buildTrail(), IDS.root), { now, styler: ansiStyler });
    expect(out).toContain('\u001b[31mDeny ');
  });
});
