import { describe, expect, it } from '@jest/globals';
import { formatBreak, formatVerifyProgress, formatVerifyReport } from './verify-report.js';

describe('verify report', () => {
  it('reports a clean store in one line', () => {
    expect(formatVerifyReport({ sessions: 12, events: 3456, breaks: [] })).toBe('OK: 12 sessions, 3,456 events, every chain intact\n');
  });

  it('names the session, seq and kind of every break, then a verdict', () => {
    const out = formatVerifyReport({
      sessions: 3,
      events: 40,
      breaks: [
        { session: 'ses_a', seq: 42, eventId: '01JXYZ', kind: 'hash-mismatch', detail: 'the event was changed after it was sealed' },
        { session: 'ses_b', seq: 3, kind: 'seq-gap', detail: 'seq 3 is missing' },
      ],
    });
    expect(out).toBe(
      [
        'session ses_a seq 42: hash-mismatch — the event was changed after it was sealed (event 01JXYZ)',
        'session ses_b seq 3: seq-gap — seq 3 is missing',
        'FAILED: 2 breaks in 2 sessions (checked 3 sessions, 40 events)',
        '',
      ].join('\n'),
    );
  });

  it('formats a break on its own and the progress line', () => {
    expect(formatBreak({ session: 's', seq: 1, kind: 'prev-hash-mismatch', detail: 'd' })).toBe('session s seq 1: prev-hash-mismatch — d');
    expect(formatVerifyProgress(123_456, 1_000_000)).toBe('verifying 123,456/1,000,000 events');
  });
});
