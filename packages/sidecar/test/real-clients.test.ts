/**
 * Real AWS clients through the sidecar against moto with IAM authentication
 * enforced: moto recomputes the signature of every call the sidecar forwards,
 * while the clients only ever hold ephemeral credentials from the sidecar's
 * credential endpoint. Services and operations a user runs daily, with each
 * client and interception mode.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { awsCliV1, awsCliV2, cleanEnv, type RunResult } from './support/aws-clients.js';
import { fetchAgentCredentials } from './support/container-credentials.js';
import { runProcess } from './support/processes.js';
import { startMoto, type Moto } from './support/moto.js';
import { startSidecar, type RunningSidecar } from './fixtures/sidecar-fixture.js';

jest.setTimeout(180_000);

let moto: Moto;
let sidecar: RunningSidecar;
const work = mkdtempSync(join(tmpdir(), 'agentrail-clients-'));
const bigFile = join(work, 'big.bin');
let bigSha = '';

beforeAll(async () => {
  moto = await startMoto();
  sidecar = await startSidecar(moto.endpoint, moto);
  // 20 MB of incompressible data: above the CLI's 8 MB multipart threshold.
  const data = randomBytes(20 * 1024 * 1024);
  writeFileSync(bigFile, data);
  bigSha = createHash('sha256').update(data).digest('hex');
});

afterAll(async () => {
  await sidecar?.stop();
  await moto?.stop();
});

type Cli = (args: readonly string[], env: Record<string, string>) => Promise<RunResult>;

function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

describe.each([
  ['AWS CLI v1', 'endpoint', awsCliV1],
  ['AWS CLI v1', 'proxy', awsCliV1],
  ['AWS CLI v2', 'proxy', awsCliV2],
] as const)('%s in %s mode', (_name, mode, cli: Cli) => {
  const id = `${_name.replace(/\W/g, '').toLowerCase()}-${mode}`;
  let env: Record<string, string>;

  /** Runs one CLI command, failing with its stderr, and parses JSON output. */
  async function aws<T = Record<string, unknown>>(...args: string[]): Promise<T> {
    const r = await cli([...args, '--output', 'json'], env);
    if (r.code !== 0) throw new Error(`aws ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return (r.stdout.trim() === '' ? {} : JSON.parse(r.stdout)) as T;
  }

  beforeAll(() => {
    env = cleanEnv(sidecar.agentEnv(mode));
  });

  it('sts get-caller-identity answers with the identity only the sidecar holds', async () => {
    const out = await aws<{ Arn: string; Account: string }>('sts', 'get-caller-identity');
    expect(out.Account).toBe(moto.accountId);
    expect(out.Arn).toMatch(new RegExp(`^arn:aws:iam::${moto.accountId}:user/`));
  });

  it('s3: create a bucket, upload 20 MB (multipart) and download it byte for byte', async () => {
    const bucket = `bkt-${id}`;
    await aws('s3api', 'create-bucket', '--bucket', bucket);
    const up = await cli(['s3', 'cp', bigFile, `s3://${bucket}/big.bin`], env);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    const head = await aws<{ ContentLength: number; ETag: string }>('s3api', 'head-object', '--bucket', bucket, '--key', 'big.bin');
    expect(head.ContentLength).toBe(20 * 1024 * 1024);
    expect(head.ETag).toMatch(/-\d+"$/); // a multipart ETag: the upload went in parts
    const dest = join(work, `${id}.down`);
    const down = await cli(['s3', 'cp', `s3://${bucket}/big.bin`, dest], env);
    expect(down.code).toBe(0);
    expect(sha256File(dest)).toBe(bigSha);
  });

  it('dynamodb: create table, put and get an item', async () => {
    const table = `tbl-${id}`;
    await aws('dynamodb', 'create-table', '--table-name', table, '--attribute-definitions', 'AttributeName=id,AttributeType=S',
      '--key-schema', 'AttributeName=id,KeyType=HASH', '--billing-mode', 'PAY_PER_REQUEST');
    await aws('dynamodb', 'put-item', '--table-name', table, '--item', '{"id":{"S":"k1"},"v":{"S":"hello"}}');
    const got = await aws<{ Item: { v: { S: string } } }>('dynamodb', 'get-item', '--table-name', table, '--key', '{"id":{"S":"k1"}}');
    expect(got.Item.v.S).toBe('hello');
  });

  it('sqs: send and receive a message', async () => {
    // AWS CLI v1 pins SQS in us-east-1 to https://queue.amazonaws.com unless
    // --endpoint-url is given: AWS_ENDPOINT_URL alone would bypass the sidecar.
    // Proxy and transparent modes catch that host; endpoint mode needs the flag.
    const sqs = (...args: string[]) => aws<Record<string, unknown>>('sqs', ...args, ...(mode === 'endpoint' ? ['--endpoint-url', sidecar.endpoints.explicitUrl] : []));
    const { QueueUrl } = await sqs('create-queue', '--queue-name', `q-${id}`) as { QueueUrl: string };
    await sqs('send-message', '--queue-url', QueueUrl, '--message-body', 'hello agents');
    const got = await sqs('receive-message', '--queue-url', QueueUrl, '--wait-time-seconds', '1') as { Messages: { Body: string }[] };
    expect(got.Messages[0]?.Body).toBe('hello agents');
  });

  it('sns: publish to a topic', async () => {
    const { TopicArn } = await aws<{ TopicArn: string }>('sns', 'create-topic', '--name', `t-${id}`);
    const out = await aws<{ MessageId: string }>('sns', 'publish', '--topic-arn', TopicArn, '--message', 'hi');
    expect(out.MessageId).toMatch(/\w+/);
  });

  it('iam: create a user', async () => {
    const out = await aws<{ User: { UserName: string } }>('iam', 'create-user', '--user-name', `u-${id}`);
    expect(out.User.UserName).toBe(`u-${id}`);
  });

  it('secretsmanager: create and read a secret', async () => {
    await aws('secretsmanager', 'create-secret', '--name', `s-${id}`, '--secret-string', 'p@ss-w0rd');
    const out = await aws<{ SecretString: string }>('secretsmanager', 'get-secret-value', '--secret-id', `s-${id}`);
    expect(out.SecretString).toBe('p@ss-w0rd');
  });

  it('kms: encrypt and decrypt', async () => {
    const { KeyMetadata } = await aws<{ KeyMetadata: { KeyId: string } }>('kms', 'create-key');
    const plain = join(work, `${id}.plain`);
    writeFileSync(plain, 'attack at dawn');
    const enc = await aws<{ CiphertextBlob: string }>('kms', 'encrypt', '--key-id', KeyMetadata.KeyId, '--plaintext', `fileb://${plain}`);
    const blob = join(work, `${id}.blob`);
    writeFileSync(blob, Buffer.from(enc.CiphertextBlob, 'base64'));
    const dec = await aws<{ Plaintext: string }>('kms', 'decrypt', '--ciphertext-blob', `fileb://${blob}`);
    expect(Buffer.from(dec.Plaintext, 'base64').toString()).toBe('attack at dawn');
  });

  it('ssm: put and get a SecureString parameter', async () => {
    await aws('ssm', 'put-parameter', '--name', `/agentrail/${id}`, '--value', 's3cr3t', '--type', 'SecureString');
    const out = await aws<{ Parameter: { Value: string } }>('ssm', 'get-parameter', '--name', `/agentrail/${id}`, '--with-decryption');
    expect(out.Parameter.Value).toBe('s3cr3t');
  });

  it('ec2: describe instances', async () => {
    const out = await aws<{ Reservations: unknown[] }>('ec2', 'describe-instances');
    expect(Array.isArray(out.Reservations)).toBe(true);
  });

  it('logs: create a log group', async () => {
    await aws('logs', 'create-log-group', '--log-group-name', `/agentrail/${id}`);
    const out = await aws<{ logGroups: { logGroupName: string }[] }>('logs', 'describe-log-groups', '--log-group-name-prefix', `/agentrail/${id}`);
    expect(out.logGroups.map((g) => g.logGroupName)).toEqual([`/agentrail/${id}`]);
  });
});

describe('callers the sidecar must refuse', () => {
  it('a call signed with an unknown key or a wrong secret never reaches moto', async () => {
    const creds = await fetchAgentCredentials(sidecar.endpoints.credentialsUrl, sidecar.endpoints.rootToken);
    const before = moto.requests();
    const unknown = await awsCliV1(['sts', 'get-caller-identity'], cleanEnv({
      AWS_ACCESS_KEY_ID: 'ASIAAGRLAAAAAAAAAAAA', AWS_SECRET_ACCESS_KEY: 'x', AWS_SESSION_TOKEN: 'y',
      AWS_DEFAULT_REGION: 'us-east-1', AWS_ENDPOINT_URL: sidecar.endpoints.explicitUrl,
    }));
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/InvalidClientTokenId/);
    const wrongSecret = await awsCliV1(['s3api', 'list-buckets'], cleanEnv({
      AWS_ACCESS_KEY_ID: creds.accessKeyId, AWS_SECRET_ACCESS_KEY: `${creds.secretAccessKey}x`, AWS_SESSION_TOKEN: creds.sessionToken,
      AWS_DEFAULT_REGION: 'us-east-1', AWS_ENDPOINT_URL: sidecar.endpoints.explicitUrl,
    }));
    expect(wrongSecret.code).not.toBe(0);
    expect(wrongSecret.stderr).toMatch(/SignatureDoesNotMatch/);
    const realKeys = await awsCliV1(['sts', 'get-caller-identity'], cleanEnv({
      AWS_ACCESS_KEY_ID: moto.accessKeyId, AWS_SECRET_ACCESS_KEY: moto.secretAccessKey,
      AWS_DEFAULT_REGION: 'us-east-1', AWS_ENDPOINT_URL: sidecar.endpoints.explicitUrl,
    }));
    // Even the real upstream keys are useless against the sidecar: it only knows the keys it issued.
    expect(realKeys.stderr).toMatch(/InvalidClientTokenId/);
    expect(moto.requests()).toBe(before);
  });

  it('a request through the TLS-intercepted tunnel that names a non-AWS Host is refused, not forwarded', async () => {
    const before = moto.requests();
    const r = await runProcess('curl', ['-sS', '--proxy', sidecar.endpoints.explicitUrl, '--cacert', sidecar.caBundleFile,
      '-H', 'Host: attacker.example', '-d', 'Action=GetCallerIdentity&Version=2011-06-15', 'https://sts.us-east-1.amazonaws.com/'], { env: cleanEnv() });
    expect(r.stdout).toMatch(/<Code>AccessDenied<\/Code>.*attacker\.example is not one/s);
    expect(moto.requests()).toBe(before);
  });
});
