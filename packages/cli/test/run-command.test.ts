/**
 * `agentrail run` as a user runs it: the built binary around a real command,
 * moto (IAM auth on) as AWS. The command gets working ephemeral credentials
 * and none of the real ones; a nested `agentrail run --agent` inside it is a
 * delegated session of the same sidecar; the trail lands in the local store;
 * the command's exit status is run's.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { SqliteAuditStore } from '@agentrail/collector';
import { cleanEnv } from '../../sidecar/test/support/aws-clients.js';
import { startMoto, type Moto } from '../../sidecar/test/support/moto.js';

jest.setTimeout(120_000);

const CLI_MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'agentrail-run-'));
let moto: Moto;

beforeAll(async () => {
  if (!existsSync(CLI_MAIN)) throw new Error(`${CLI_MAIN} is missing: build first (make build)`);
  moto = await startMoto();
});

afterAll(async () => {
  await moto?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** The agent: what it can see of AWS, one call, and (when asked) a nested run that exits 3. */
const AGENT = `
import json, os, subprocess, sys
import boto3
arn = boto3.client("sts").get_caller_identity()["Arn"]
seen = {k: os.environ.get(k) for k in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_CONTAINER_CREDENTIALS_FULL_URI"]}
print(json.dumps({"arn": arn, "env": seen}), flush=True)
if len(sys.argv) > 1:
    sys.exit(subprocess.call([sys.argv[1], os.environ["CLI_MAIN"], "run", "--agent", "inner", "--", sys.executable, "-c",
        "import boto3, sys; boto3.client('s3').list_buckets(); sys.exit(3)"]))
`;

describe('agentrail run', () => {
  it('runs the command with ephemeral credentials only, nests a delegated session, records both, and returns the exit status', () => {
    const store = join(work, 'audit.db');
    const r = spawnSync(process.execPath, [CLI_MAIN, 'run', '--agent', 'outer', '--store', store, '--upstream-endpoint', moto.endpoint, '--',
      'python3', '-c', AGENT, process.execPath], {
      env: cleanEnv({ AWS_ACCESS_KEY_ID: moto.accessKeyId, AWS_SECRET_ACCESS_KEY: moto.secretAccessKey, AWS_REGION: 'us-east-1', CLI_MAIN }),
      encoding: 'utf8', timeout: 90_000,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(3);
    const seen = JSON.parse(r.stdout.trim().split('\n')[0] as string) as { arn: string; env: Record<string, string | null> };
    expect(seen.arn).toBe(`arn:aws:iam::${moto.accountId}:user/agentrail-test`);
    expect(seen.env['AWS_ACCESS_KEY_ID']).toBeNull();
    expect(seen.env['AWS_SECRET_ACCESS_KEY']).toBeNull();
    expect(seen.env['AWS_CONTAINER_CREDENTIALS_FULL_URI']).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1\/credentials$/);

    const audit = SqliteAuditStore.open(store);
    try {
      const sessions = audit.sessions({ limit: 10 });
      const outer = sessions.find((s) => s.parent === undefined);
      const inner = sessions.find((s) => s.parent !== undefined);
      expect(outer?.chain).toEqual([{ type: 'User', name: seen.arn }, { type: 'Agent', name: 'outer' }]);
      expect(inner).toMatchObject({ parent: outer?.id, calls: 1, ended: true, chainStatus: 'intact' });
      expect(inner?.chain.at(-1)).toEqual({ type: 'Agent', name: 'inner' });
      const ops = audit.search({ type: 'aws.call', order: 'asc' }).events.map((e) => (e.type === 'aws.call' ? e.aws.operation : ''));
      expect(ops).toEqual(['sts:GetCallerIdentity', 's3:ListBuckets']);
      expect(audit.verify().breaks).toEqual([]);
    } finally {
      audit.close();
    }
  });
});
