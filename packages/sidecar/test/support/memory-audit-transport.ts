import type { AuditEvent } from '@agentrail/core';
import { AuditFullError, type AuditTransport } from '../../src/audit/audit-transport.js';

/**
 * An audit transport that keeps events in memory, for tests of what the data
 * path records (the spool, JetStream and the store have tests of their own
 * against real peers). `full` simulates a spool at its bound.
 */
export class MemoryAuditTransport implements AuditTransport {
  readonly events: AuditEvent[] = [];
  full = false;

  write(event: AuditEvent): void {
    if (this.full) throw new AuditFullError('memory transport marked full');
    this.events.push(event);
  }

  accepting(): boolean {
    return !this.full;
  }

  async flush(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {}

  calls(): Extract<AuditEvent, { type: 'aws.call' }>[] {
    return this.events.filter((e): e is Extract<AuditEvent, { type: 'aws.call' }> => e.type === 'aws.call');
  }
}
