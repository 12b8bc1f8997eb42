/**
 * moto as started for the sidecar's integration tests: IAM auth really enforced,
 * its request log readable, and no process left behind.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { boto3, cleanEnv } from './aws-clients.js';
import { MOTO_UNAUTHENTICATED_REQUESTS, motoCommand, startMoto } from './moto.js';
import type { Moto } from './moto.js';
import { freePort } from './ports.js';
import { groupAlive, killGroup } from './processes.js';

describe('moto with IAM authentication', () => {
  let moto: Moto;
  beforeAll(async () => {
    moto = await startMoto();
  }, 90_000);
  afterAll(() => moto?.stop());

  const clientEnv = (): Record<string, string> =>
    cleanEnv({
      AWS_ACCESS_KEY_ID: moto.accessKeyId,
      AWS_SECRET_ACCESS_KEY: moto.secretAccessKey,
      AWS_DEFAULT_REGION: moto.region,
      AWS_ENDPOINT_URL: moto.endpoint,
    });

  test('refuses boto3 calls with a wrong secret or an unknown key, and accepts the right key', async () => {
    const result = await boto3<Record<string, unknown>>(
      `
import os
def caller(key, secret):
    try:
        return boto3.client("sts", aws_access_key_id=key, aws_secret_access_key=secret).get_caller_identity()["Account"]
    except ClientError as e:
        return client_error(e)
key, secret = os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]
emit({"wrong_secret": caller(key, secret + "x"), "unknown_key": caller("AKIAUNKNOWNKEY000000", secret), "right": caller(key, secret)})
`,
      clientEnv(),
    );
    expect(result.stderr).toBe('');
    expect(result.json).toEqual({
      wrong_secret: expect.objectContaining({ code: 'SignatureDoesNotMatch', status: 403 }),
      unknown_key: expect.objectContaining({ code: 'InvalidClientTokenId', status: 403 }),
      right: moto.accountId,
    });
  });

  test('serves a boto3 S3 round trip and counts each request in its log', async () => {
    const before = moto.requests();
    const result = await boto3<{ body: string }>(
      `
s3 = boto3.client("s3")
s3.create_bucket(Bucket="moto-support")
s3.put_object(Bucket="moto-support", Key="greeting.txt", Body=b"hello moto")
emit({"body": s3.get_object(Bucket="moto-support", Key="greeting.txt")["Body"].read().decode()})
`,
      clientEnv(),
    );
    expect(result.json).toEqual({ body: 'hello moto' });
    expect(await moto.waitForRequests(before + 3)).toBe(before + 3);
    const log = moto.requestLog().slice(before);
    expect(log[0]).toMatch(/"PUT \/moto-support HTTP\/1\.1" 200/);
    expect(log[1]).toMatch(/"PUT \/moto-support\/greeting\.txt HTTP\/1\.1" 200/);
    expect(log[2]).toMatch(/"GET \/moto-support\/greeting\.txt HTTP\/1\.1" 200/);
  });

  test('accepts the JS SDK with the same key', async () => {
    const sts = new STSClient({
      endpoint: moto.endpoint,
      region: moto.region,
      credentials: { accessKeyId: moto.accessKeyId, secretAccessKey: moto.secretAccessKey },
    });
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    expect(identity.Account).toBe(moto.accountId);
    expect(identity.Arn).toBe(`arn:aws:iam::${moto.accountId}:user/agentrail-test`);
    sts.destroy();
  });

  test('spent exactly its unauthenticated requests on the IAM setup', () => {
    const setup = moto.requestLog().filter((line) => line.includes('"POST / '));
    // CreateUser, PutUserPolicy, CreateAccessKey (200), the forged probe (403), then GetCallerIdentity (200).
    expect(setup.slice(0, MOTO_UNAUTHENTICATED_REQUESTS + 2).map((line) => /" (\d{3}) /.exec(line)?.[1])).toEqual(['200', '200', '200', '403', '200']);
  });
});

describe('moto process lifetime', () => {
  test('stop() ends the whole process group and can be called twice', async () => {
    const moto = await startMoto();
    expect(groupAlive(moto.pid)).toBe(true);
    await moto.stop();
    await moto.stop();
    expect(groupAlive(moto.pid)).toBe(false);
    await expect(fetch(`${moto.endpoint}/moto-api/data.json`)).rejects.toThrow();
  }, 90_000);

  test('moto exits by itself when the process that started it goes away', async () => {
    const port = await freePort();
    const cmd = motoCommand(port);
    const child = spawn(cmd.command, cmd.args, { env: cmd.env, detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    const pid = child.pid as number;
    const exited = once(child, 'exit');
    try {
      const deadline = Date.now() + 60_000;
      while (!(await fetch(`http://127.0.0.1:${port}/moto-api/data.json`).then((r) => r.ok, () => false))) {
        if (Date.now() > deadline) throw new Error('moto did not start');
        await delay(100);
      }
      // Closing our end of its stdin is what the kernel does when this process dies, however it dies.
      child.stdin?.end();
      const outcome = await Promise.race([exited.then(() => 'exited'), delay(10_000, 'still running', { ref: false })]);
      expect(outcome).toBe('exited');
      expect(groupAlive(pid)).toBe(false);
    } finally {
      killGroup(pid, 'SIGKILL');
    }
  }, 90_000);
});
