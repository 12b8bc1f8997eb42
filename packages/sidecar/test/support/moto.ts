/**
 * moto's server as a real AWS peer with IAM authentication enforced: it
 * recomputes every SigV4 signature and checks IAM policies, so a request the
 * sidecar signs wrongly fails here as it would against AWS.
 *
 * Known holes of moto 5.2.1 under IAM auth (cover them with the SigV4 upstream):
 * S3 payload hashes are not checked, presigned URLs answer 500, valid signatures
 * for REST-JSON services (Lambda, EKS) are refused, and the unauthenticated
 * `/moto-api/reset-auth` and `/moto-api/reset` endpoints can switch auth off or
 * wipe the IAM user — tests must not call them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { cleanEnv } from './aws-clients.js';
import { freePort } from './ports.js';
import { killGroup, pythonExecutable, spawnGroup, untrackGroup } from './processes.js';
import { signRequest } from './sigv4/signer.js';
import type { Credentials } from './sigv4/signer.js';

/**
 * Requests moto serves without authentication: exactly the three IAM calls that
 * create the test user, its admin policy and its access key.
 */
export const MOTO_UNAUTHENTICATED_REQUESTS = 3;

/** How to start moto. */
export interface MotoOptions {
  /** Deadline for start-up, readiness and the IAM setup; default 60 s (CPU is shared). */
  startTimeoutMs?: number;
  /** The IAM user that owns the access key; default `agentrail-test`. */
  userName?: string;
  /** Extra environment for the moto process (e.g. `MOTO_ACCOUNT_ID`). */
  env?: Record<string, string>;
}

/** A running moto server and the credentials it accepts. */
export interface Moto {
  /** `http://127.0.0.1:PORT`. */
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region: 'us-east-1';
  /** The account of the access key, from STS GetCallerIdentity. */
  readonly accountId: string;
  /** Process id of moto, also its process-group id. */
  readonly pid: number;
  /** HTTP requests moto has logged so far (start-up probes and setup included). */
  requests(): number;
  /** moto's request log lines so far (`127.0.0.1 - - [date] "GET /path HTTP/1.1" 200 -`). */
  requestLog(): string[];
  /**
   * Waits until moto has logged at least `count` requests: its log line can reach
   * this process a moment after the client saw the response.
   */
  waitForRequests(count: number, timeoutMs?: number): Promise<number>;
  /** Kills moto's process group and waits for it; safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Runs moto's server under a watchdog thread that kills moto's process group
 * when stdin reaches EOF — the test process holds the other end of that pipe, so
 * moto goes away with it even when jest's worker is SIGKILLed and no exit hook runs.
 */
const BOOTSTRAP = `
import os, signal, sys, threading
def exit_with_parent():
    while sys.stdin.buffer.read(65536):
        pass
    os.killpg(os.getpgrp(), signal.SIGKILL)
threading.Thread(target=exit_with_parent, daemon=True).start()
from moto.server import main
main(sys.argv[1:])
`;

/**
 * The command line and environment that run moto on `port` with IAM auth from
 * the fourth request on. {@link startMoto} uses it; exported so a test can start
 * moto under a parent it controls (to prove moto dies with its parent).
 */
export function motoCommand(port: number, env: Record<string, string> = {}): { command: string; args: string[]; env: Record<string, string> } {
  return {
    command: pythonExecutable(),
    args: ['-c', BOOTSTRAP, '-H', '127.0.0.1', '-p', String(port)],
    env: cleanEnv({
      INITIAL_NO_AUTH_ACTION_COUNT: String(MOTO_UNAUTHENTICATED_REQUESTS),
      PYTHONUNBUFFERED: '1',
      ...env,
    }),
  };
}

const REQUEST_LINE = /^\S+ - - \[[^\]]+\] "[A-Z]+ \S* HTTP\/[\d.]+" \d{3} /;

class PortTaken extends Error {}

function xmlValue(xml: string, element: string): string | undefined {
  return new RegExp(`<${element}>([^<]*)</${element}>`).exec(xml)?.[1];
}

async function query(
  endpoint: string,
  service: string,
  params: Record<string, string>,
  credentials: Credentials,
): Promise<{ status: number; body: string }> {
  const signed = await signRequest(
    {
      method: 'POST',
      url: `${endpoint}/`,
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: new URLSearchParams(params).toString(),
    },
    { service, region: 'us-east-1', credentials },
  );
  const res = await fetch(signed.url, { method: 'POST', headers: signed.headers, body: signed.body as string, signal: AbortSignal.timeout(30_000) });
  return { status: res.status, body: await res.text() };
}

async function launch(port: number, options: MotoOptions): Promise<Moto> {
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  const endpoint = `http://127.0.0.1:${port}`;
  const home = mkdtempSync(join(tmpdir(), 'agentrail-moto-'));
  const cmd = motoCommand(port, { HOME: home, ...options.env });
  const child = spawnGroup(cmd.command, cmd.args, { env: cmd.env });
  const pid = child.pid;
  child.stdout?.resume();
  child.stdin?.on('error', () => undefined);

  const log: string[] = [];
  const tail: string[] = [];
  let partial = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => {
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (REQUEST_LINE.test(line)) log.push(line);
      tail.push(line);
      if (tail.length > 40) tail.shift();
    }
  });
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      child.stdin?.end(); // the watchdog's cue
      if (!exited) killGroup(pid, 'SIGTERM');
      await Promise.race([exit, delay(5_000, undefined, { ref: false })]);
      // Whatever is left of the group — moto itself if SIGTERM was not enough — goes now.
      killGroup(pid, 'SIGKILL');
      await exit;
      untrackGroup(pid);
      rmSync(home, { recursive: true, force: true });
    })();
    return stopping;
  };

  try {
    for (;;) {
      if (exited) {
        const output = tail.join('\n');
        if (output.includes('Address already in use')) throw new PortTaken(output);
        throw new Error(`moto exited during start-up:\n${output}`);
      }
      if (Date.now() > deadline) throw new Error(`moto did not answer on ${endpoint} in time:\n${tail.join('\n')}`);
      // /moto-api/ is outside IAM auth, so probing does not use up the unauthenticated requests.
      const ready = await fetch(`${endpoint}/moto-api/data.json`, { signal: AbortSignal.timeout(2_000) }).then(
        (res) => res.ok,
        () => false,
      );
      if (ready) break;
      await delay(100);
    }

    const userName = options.userName ?? 'agentrail-test';
    // Any key will do while moto still serves unauthenticated requests; the scope routes to IAM.
    const bootstrap = { accessKeyId: 'AKIAAGENTRAILBOOTSTRAP', secretAccessKey: 'bootstrap' };
    const iam = (params: Record<string, string>) => query(endpoint, 'iam', { Version: '2010-05-08', ...params }, bootstrap);
    const steps = [
      await iam({ Action: 'CreateUser', UserName: userName }),
      await iam({
        Action: 'PutUserPolicy',
        UserName: userName,
        PolicyName: 'admin',
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }),
      }),
      await iam({ Action: 'CreateAccessKey', UserName: userName }),
    ];
    const failed = steps.find((s) => s.status !== 200);
    if (failed !== undefined) throw new Error(`moto IAM setup failed (${failed.status}): ${failed.body}`);
    const keyXml = steps[2]?.body ?? '';
    const accessKeyId = xmlValue(keyXml, 'AccessKeyId');
    const secretAccessKey = xmlValue(keyXml, 'SecretAccessKey');
    if (accessKeyId === undefined || secretAccessKey === undefined) throw new Error(`moto CreateAccessKey gave no key: ${keyXml}`);

    const identity = { Action: 'GetCallerIdentity', Version: '2011-06-15' };
    const forged = await query(endpoint, 'sts', identity, { accessKeyId, secretAccessKey: `${secretAccessKey}x` });
    if (forged.status !== 403 || !forged.body.includes('SignatureDoesNotMatch')) {
      throw new Error(`moto accepted a request signed with the wrong secret (${forged.status}): IAM auth is not enforced`);
    }
    const caller = await query(endpoint, 'sts', identity, { accessKeyId, secretAccessKey });
    const accountId = xmlValue(caller.body, 'Account');
    if (caller.status !== 200 || accountId === undefined) throw new Error(`moto refused the new access key (${caller.status}): ${caller.body}`);

    return {
      endpoint,
      accessKeyId,
      secretAccessKey,
      region: 'us-east-1',
      accountId,
      pid,
      requests: () => log.length,
      requestLog: () => [...log],
      waitForRequests: async (count, timeoutMs = 5_000) => {
        const until = Date.now() + timeoutMs;
        while (log.length < count && Date.now() < until) await delay(10);
        return log.length;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Starts moto on a free loopback port, creates an IAM user with an admin inline
 * policy and an access key using the only unauthenticated requests moto allows,
 * and proves that auth is now enforced. Call `stop()` in `afterAll`; a process
 * exit hook and a parent-death watchdog catch what a failing test leaves.
 *
 * @example
 * let moto: Moto;
 * beforeAll(async () => { moto = await startMoto(); }, 90_000);
 * afterAll(() => moto?.stop());
 */
export async function startMoto(options: MotoOptions = {}): Promise<Moto> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await launch(await freePort(), options);
    } catch (err) {
      // Another process can take the free port before moto binds it.
      if (!(err instanceof PortTaken) || attempt >= 3) throw err;
    }
  }
}
