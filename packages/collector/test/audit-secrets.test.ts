/**
 * Secrets never reach the trail, checked where they would land: every
 * message in the JetStream stream and every event in the collector's store
 * (decoded — the store compresses events, so its file alone proves nothing),
 * and the spool files. boto3 runs through a real `agentrail sidecar` process
 * (spool → JetStream) against moto with IAM auth, handling a Secrets Manager
 * value, an SSM SecureString, KMS plaintext, and STS and IAM credentials.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { AckPolicy, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { AUDIT_STREAM } from '@agentrail/core';
import { startNatsServer, type NatsServer } from '../../core/src/testing/nats-server.js';
import { boto3, cleanEnv } from '../../sidecar/test/support/aws-clients.js';
import { requireBuiltCli, startCliSidecar, type CliSidecar } from '../../sidecar/test/support/cli-sidecar.js';
import { startMoto, type Moto } from '../../sidecar/test/support/moto.js';
import { JetStreamIngest } from '../src/ingest/jetstream-ingest.js';
import { SqliteAuditStore } from '../src/store/sqlite-audit-store.js';

jest.setTimeout(180_000);

const work = mkdtempSync(join(tmpdir(), 'agentrail-secrets-'));
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
let nats: NatsServer;
let moto: Moto;
let store: SqliteAuditStore;
let ingest: JetStreamIngest;
let sidecar: CliSidecar;

beforeAll(async () => {
  requireBuiltCli();
  [nats, moto] = await Promise.all([startNatsServer(), startMoto()]);
  store = SqliteAuditStore.open(join(work, 'audit.db'));
  ingest = JetStreamIngest.start({ servers: nats.url, store, logger: quiet });
  sidecar = await startCliSidecar([
    '--upstream-endpoint', moto.endpoint, '--explicit-port', '0', '--credentials-port', '0', '--ops-port', '0',
    '--token-file', join(work, 'token'), '--nats', nats.url, '--spool-dir', join(work, 'spool'), '--log-level', 'error',
  ], cleanEnv({ AWS_ACCESS_KEY_ID: moto.accessKeyId, AWS_SECRET_ACCESS_KEY: moto.secretAccessKey, AWS_REGION: 'us-east-1' }));
});

afterAll(async () => {
  await sidecar?.kill();
  await ingest?.stop();
  store?.close();
  await Promise.all([nats?.stop(), moto?.stop()]);
  rmSync(work, { recursive: true, force: true });
});

/** Every message body in the audit stream, as text. */
async function streamText(): Promise<string[]> {
  const nc = await connect({ servers: nats.url });
  try {
    const jsm = await jetstreamManager(nc);
    const total = (await jsm.streams.info(AUDIT_STREAM)).state.messages;
    const name = `grep-${Date.now()}`;
    await jsm.consumers.add(AUDIT_STREAM, { name, ack_policy: AckPolicy.None, inactive_threshold: 60e9 });
    const consumer = await jsm.jetstream().consumers.get(AUDIT_STREAM, name);
    const out: string[] = [];
    while (out.length < total) {
      const batch = await consumer.fetch({ max_messages: total - out.length, expires: 2_000 });
      let got = 0;
      for await (const m of batch) { out.push(m.string()); got++; }
      if (got === 0) break;
    }
    return out;
  } finally {
    await nc.close();
  }
}

describe('secrets and the trail', () => {
  it('no secret value appears in the stream, the store or the spool', async () => {
    const token = readFileSync(join(work, 'token'), 'utf8').trim();
    const env = cleanEnv({
      AWS_CONTAINER_CREDENTIALS_FULL_URI: sidecar.endpoints.credentials, AWS_CONTAINER_AUTHORIZATION_TOKEN: token,
      AWS_ENDPOINT_URL: sidecar.endpoints.explicit, AWS_REGION: 'us-east-1', AWS_DEFAULT_REGION: 'us-east-1',
    });
    const r = await boto3<{ secrets: string[] }>(`
import base64
sm = boto3.client("secretsmanager")
sm.create_secret(Name="db", SecretString="sm-value-7f3a9c2e41d8b6")
got = sm.get_secret_value(SecretId="db")["SecretString"]
ssm = boto3.client("ssm")
ssm.put_parameter(Name="/api/key", Value="ssm-value-1c9e7a5b3d2f80", Type="SecureString")
param = ssm.get_parameter(Name="/api/key", WithDecryption=True)["Parameter"]["Value"]
kms = boto3.client("kms")
key = kms.create_key()["KeyMetadata"]["KeyId"]
blob = kms.encrypt(KeyId=key, Plaintext=b"kms-plaintext-5e2b8d4a61c7")["CiphertextBlob"]
plain = kms.decrypt(CiphertextBlob=blob)["Plaintext"].decode()
sts = boto3.client("sts").get_session_token()["Credentials"]
iam = boto3.client("iam")
iam.create_user(UserName="holder")
ak = iam.create_access_key(UserName="holder")["AccessKey"]
emit({"secrets": [got, param, plain, sts["SecretAccessKey"], sts["SessionToken"], ak["SecretAccessKey"]]})
`, env);
    expect(r.stderr).toBe('');
    const secrets = r.json?.secrets ?? [];
    expect(secrets).toEqual(expect.arrayContaining(['sm-value-7f3a9c2e41d8b6', 'ssm-value-1c9e7a5b3d2f80', 'kms-plaintext-5e2b8d4a61c7']));
    expect(secrets).toHaveLength(6);
    secrets.push(moto.secretAccessKey, token);

    // Wait for the collector to have all ten calls.
    for (let i = 0; i < 100 && [...store.events({ type: 'aws.call' })].length < 10; i++) await delay(100);
    const stored = [...store.events()].map((e) => JSON.stringify(e));
    expect(stored.filter((e) => e.includes('"aws.call"')).length).toBe(10);
    // A message carries one event or several of a session (JSON lines).
    const stream = (await streamText()).flatMap((m) => m.split('\n'));
    expect(stream.length).toBe(stored.length);
    const spool = readdirSync(join(work, 'spool')).map((f) => { try { return readFileSync(join(work, 'spool', f), 'utf8'); } catch { return ''; } });
    for (const where of [stored.join('\n'), stream.join('\n'), spool.join('\n'), readFileSync(join(work, 'audit.db')).toString('latin1')]) {
      for (const secret of secrets) expect(where).not.toContain(secret);
    }
    // What was masked is still named, and the context around it is readable.
    const getSecret = [...store.events({ operation: 'secretsmanager:GetSecretValue' })][0];
    expect(getSecret?.type === 'aws.call' && getSecret.masking?.fields.join(' ')).toMatch(/SecretString/);
    expect(getSecret?.type === 'aws.call' && getSecret.response.body?.text).toMatch(/"Name":\s*"db"/);
  });
});
