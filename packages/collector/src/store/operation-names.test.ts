/**
 * Schema v1 names operations as CloudTrail and IAM do (`s3:GetObject`), which
 * is what the sidecar records; events with a bare name are qualified with
 * their service. Either way an operation filter or free text finds them, and
 * they are never double-prefixed.
 */
import { describe, expect, it } from '@jest/globals';
import { SqliteAuditStore } from './sqlite-audit-store.js';
import { TrailBuilder } from './testing/trail-builder.js';

describe('operation names', () => {
  it('finds service:Operation and bare names alike, by glob and by free text', () => {
    const store = SqliteAuditStore.open(':memory:');
    try {
      const trail = new TrailBuilder();
      const s = trail.session();
      store.insert([
        s.started(),
        s.call({ service: 'secretsmanager', operation: 'secretsmanager:GetSecretValue' }),
        s.call({ service: 's3', operation: 'GetObject' }),
      ]);
      const ops = (q: Parameters<SqliteAuditStore['search']>[0]) => store.search({ ...q, type: 'aws.call' }).events.map((e) => e.type === 'aws.call' ? e.aws.operation : '');
      expect(ops({ operation: 'secretsmanager:GetSecretValue' })).toEqual(['secretsmanager:GetSecretValue']);
      expect(ops({ operation: 'secretsmanager:Get*' })).toEqual(['secretsmanager:GetSecretValue']);
      expect(ops({ operation: 's3:GetObject' })).toEqual(['GetObject']);
      expect(ops({ service: 'secretsmanager' })).toHaveLength(1);
      expect(ops({ operation: '*:Get*', order: 'asc' })).toEqual(['secretsmanager:GetSecretValue', 'GetObject']);
      expect(ops({ operation: 'secretsmanager:secretsmanager:*' })).toEqual([]);
    } finally {
      store.close();
    }
  });
});
