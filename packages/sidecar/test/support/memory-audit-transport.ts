import { canonicalJson, type AuditEvent } from '@agentrail/core';
import { AuditFullError, type AuditTransport } from '../../src/audit/audit-transport.js';

/**
 * An audit transport that keeps events in memory, for tests of what the data
 * path records (the spool, JetStream and the store have tests of their own
 * against real peers). `full` simulates a spool at its bound. A text that is
 * not the event's canonical JSON is refused, so every test of the data path
 * also checks what the recorder hands the spool.
 */
export class MemoryAuditTransport implements AuditTransport {
  readonly events: AuditEvent[] = [];
  full = false;

  write(event: AuditEvent, text?: string): void {
    if (this.full) throw new AuditFullError('memory transport marked full');
    if (text !== undefined && text !== canonicalJson(event)) throw new Error(`the text of event ${event.id} is not its canonical JSON`);
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
