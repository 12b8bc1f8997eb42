/**
 * Real clients run with only what the test gives them, and never outlive their
 * timeout.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AWS_CLI_V2_PATH, awsCliV1, awsCliV2, boto3, cleanEnv } from './aws-clients.js';
import { waitForProcessGone } from './processes.js';
import { startSigV4Upstream } from './sigv4-upstream.js';
import type { SigV4Upstream } from './sigv4-upstream.js';

const KEYS = { accessKeyId: 'AKIACLIENTSTEST00001', secretAccessKey: randomBytes(30).toString('base64') };

describe('client environment', () => {
  test('a client sees no AWS variable, profile or credentials file of the parent', async () => {
    const saved = { ...process.env };
    process.env.AWS_PROFILE = 'parent-profile';
    process.env.AWS_ACCESS_KEY_ID = 'AKIAPARENTLEAK000000';
    process.env.AWS_SECRET_ACCESS_KEY = 'parent-secret';
    try {
      const result = await boto3<{ aws: string[]; credentials: string | null; home: string; homeFiles: string[]; given: string }>(
        `
import os
creds = boto3.Session().get_credentials()
emit({"aws": sorted(k for k in os.environ if k.startswith("AWS_")),
      "credentials": None if creds is None else creds.access_key,
      "home": os.path.expanduser("~"), "homeFiles": os.listdir(os.path.expanduser("~")),
      "given": os.environ.get("AGENTRAIL_GIVEN")})
`,
        cleanEnv({ AGENTRAIL_GIVEN: 'yes' }),
      );
      expect(result.json).toEqual({
        aws: ['AWS_EC2_METADATA_DISABLED', 'AWS_PAGER'],
        credentials: null,
        home: expect.any(String),
        homeFiles: [],
        given: 'yes',
      });
      expect(result.json?.home).not.toBe(saved.HOME);
    } finally {
      process.env = saved;
    }
  });

  test('cleanEnv lets the test remove its own defaults', () => {
    const env = cleanEnv({ AWS_PAGER: undefined, AWS_REGION: 'eu-west-1' });
    expect(env).not.toHaveProperty('AWS_PAGER');
    expect(env.AWS_REGION).toBe('eu-west-1');
  });

  test('a client that hangs is killed at the timeout together with the processes it started', async () => {
    const started = Date.now();
    const result = await boto3(
      `
import subprocess, time
child = subprocess.Popen(["sleep", "60"])
print(child.pid, flush=True)
time.sleep(60)
`,
      cleanEnv(),
      { timeoutMs: 3_000 },
    );
    expect(result.timedOut).toBe(true);
    expect(result.signal).toBe('SIGKILL');
    expect(Date.now() - started).toBeLessThan(20_000);
    const grandchild = Number(result.stdout.trim());
    expect(grandchild).toBeGreaterThan(0);
    expect(await waitForProcessGone(grandchild)).toBe(true);
  });
});

describe('AWS CLIs against the SigV4 upstream', () => {
  let upstream: SigV4Upstream;
  let dir: string;
  beforeAll(async () => {
    upstream = await startSigV4Upstream(KEYS);
    dir = await mkdtemp(join(tmpdir(), 'agentrail-cli-test-'));
  });
  afterAll(async () => {
    await upstream?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  const env = (extra: Record<string, string> = {}): Record<string, string> =>
    cleanEnv({ AWS_ACCESS_KEY_ID: KEYS.accessKeyId, AWS_SECRET_ACCESS_KEY: KEYS.secretAccessKey, AWS_DEFAULT_REGION: 'us-east-1', ...extra });

  test('AWS CLI v1 uploads a multipart file through AWS_ENDPOINT_URL', async () => {
    // Above the CLI's 8 MiB multipart threshold: create, two parts, complete.
    const body = randomBytes(9 * 1024 * 1024);
    const file = join(dir, 'v1.bin');
    await writeFile(file, body);
    const from = upstream.requests.length;
    const result = await awsCliV1(['s3', 'cp', file, 's3://bucket/cli/v1.bin', '--only-show-errors'], env({ AWS_ENDPOINT_URL: upstream.endpoint }));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(upstream.object('/bucket/cli/v1.bin')).toMatchObject({ sha256: createHash('sha256').update(body).digest('hex'), parts: 2 });
    expect(upstream.requests.slice(from).every((r) => r.verified)).toBe(true);
  });

  test(`AWS CLI v2 (${AWS_CLI_V2_PATH}) uploads with --endpoint-url and reads the object back`, async () => {
    const version = await awsCliV2(['--version'], env());
    expect(version.stdout + version.stderr).toMatch(/^aws-cli\/2\./);
    const file = join(dir, 'v2.txt');
    await writeFile(file, 'written by aws cli v2\n');
    const put = await awsCliV2(['s3', 'cp', file, 's3://bucket/cli/v2.txt', '--endpoint-url', upstream.endpoint, '--only-show-errors'], env());
    expect(put.stderr).toBe('');
    expect(put.code).toBe(0);
    const get = await awsCliV2(['s3', 'cp', 's3://bucket/cli/v2.txt', '-', '--endpoint-url', upstream.endpoint], env());
    expect(get.stdout).toBe('written by aws cli v2\n');
    expect(upstream.failures()).toEqual([]);
  });
});
