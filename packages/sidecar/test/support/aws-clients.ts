/**
 * Real AWS clients (AWS CLI v1 and v2, boto3) run as subprocesses with an
 * environment the test controls completely.
 */
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processGone, pythonExecutable, runProcess } from './processes.js';
import type { RunResult } from './processes.js';

export type { RunResult } from './processes.js';

/**
 * Where Debian's `awscli` package (AWS CLI v2 2.9.x) installs the CLI. It predates
 * `AWS_ENDPOINT_URL`: point it at a peer with `--endpoint-url`, or use proxy or
 * transparent mode. `AGENTRAIL_TEST_AWS_CLI_V2` overrides the path.
 */
export const AWS_CLI_V2_PATH = '/usr/bin/aws';

/** Per-call options for the client runners. */
export interface ClientRunOptions {
  /** Kill the client's whole process group after this long; default 60 s. */
  timeoutMs?: number;
  /** Written to the client's stdin. */
  input?: string | Buffer;
  cwd?: string;
}

const HOME_PREFIX = 'agentrail-client-home-';
let clientHome: string | undefined;

/**
 * One empty HOME per test process, so no `~/.aws/config` or credentials file
 * leaks into a client. Named by pid: jest never lets an exit hook run, so each
 * new one removes those whose process is gone instead.
 */
function emptyHome(): string {
  if (clientHome === undefined || !existsSync(clientHome)) {
    for (const name of readdirSync(tmpdir())) {
      const pid = Number(name.slice(HOME_PREFIX.length));
      if (name.startsWith(HOME_PREFIX) && Number.isInteger(pid) && pid !== process.pid && processGone(pid)) {
        rmSync(join(tmpdir(), name), { recursive: true, force: true });
      }
    }
    clientHome = join(tmpdir(), `${HOME_PREFIX}${process.pid}`);
    rmSync(clientHome, { recursive: true, force: true }); // a recycled pid's leftovers
    mkdirSync(clientHome, { mode: 0o700 });
  }
  return clientHome;
}

/**
 * Builds the complete environment for a client process: the parent's PATH, an
 * empty temporary HOME, a UTF-8 locale, and nothing else from the parent — in
 * particular no `AWS_*` variable — then the given values on top (`undefined`
 * removes a key).
 *
 * Two defaults are AgentRail's, not the parent's: `AWS_EC2_METADATA_DISABLED=true`
 * (without credentials the SDKs would otherwise probe the EC2 metadata address,
 * which is traffic off the loopback network and seconds of timeouts) and an
 * empty `AWS_PAGER` (CLI v2 would pipe output through `less`).
 *
 * @example
 * const env = cleanEnv({ AWS_ACCESS_KEY_ID: moto.accessKeyId, AWS_SECRET_ACCESS_KEY: moto.secretAccessKey,
 *   AWS_DEFAULT_REGION: moto.region, AWS_ENDPOINT_URL: moto.endpoint });
 */
export function cleanEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: emptyHome(),
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    PYTHONIOENCODING: 'utf-8',
    PYTHONDONTWRITEBYTECODE: '1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: '',
  };
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/**
 * Runs AWS CLI v1 (`python -m awscli`, the pip package) with exactly `env`.
 *
 * @example
 * const r = await awsCliV1(['s3', 'ls'], cleanEnv({ ... }));
 * expect(r.code).toBe(0);
 */
export function awsCliV1(args: readonly string[], env: Record<string, string>, options: ClientRunOptions = {}): Promise<RunResult> {
  return runProcess(pythonExecutable(), ['-m', 'awscli', ...args], { env, ...options });
}

/**
 * Runs AWS CLI v2 (Debian's `awscli`) with exactly `env`. Rejects with an
 * actionable message when it is not installed.
 */
export function awsCliV2(args: readonly string[], env: Record<string, string>, options: ClientRunOptions = {}): Promise<RunResult> {
  const cli = process.env.AGENTRAIL_TEST_AWS_CLI_V2 ?? AWS_CLI_V2_PATH;
  if (!existsSync(cli)) {
    return Promise.reject(
      new Error(`AWS CLI v2 not found at ${cli}: run scripts/install-test-peers.sh (installs Debian's awscli)`),
    );
  }
  return runProcess(cli, args, { env, ...options });
}

/** A boto3 run: the process result plus its stdout parsed as JSON. */
export interface Boto3Result<T> extends RunResult {
  /** stdout parsed as JSON; undefined when it was empty or not JSON. */
  json: T | undefined;
}

/**
 * Lines run before every boto3 script. `emit(value)` writes the script's answer
 * as JSON (datetimes as strings); `client_error(e)` turns a botocore
 * `ClientError` into `{code, message, status}` for assertions.
 */
const BOTO3_PRELUDE = `
import json, sys
import boto3, botocore
from botocore.exceptions import ClientError
def emit(value):
    sys.stdout.write(json.dumps(value, default=str))
def client_error(e):
    return {"code": e.response["Error"].get("Code"), "message": e.response["Error"].get("Message"),
            "status": e.response["ResponseMetadata"].get("HTTPStatusCode")}
`;

/**
 * Runs a Python script with boto3 available and returns what it `emit`ted.
 * Never rejects for a failing script: assert on `code`, `stderr` and `json`.
 *
 * @example
 * const r = await boto3<{ Account: string }>(
 *   `emit(boto3.client("sts").get_caller_identity())`, cleanEnv({ ... }));
 * expect(r.json?.Account).toBe(moto.accountId);
 */
export async function boto3<T = unknown>(
  script: string,
  env: Record<string, string>,
  options: ClientRunOptions = {},
): Promise<Boto3Result<T>> {
  const result = await runProcess(pythonExecutable(), ['-c', `${BOTO3_PRELUDE}\n${script}`], { env, ...options });
  let json: T | undefined;
  const text = result.stdout.trim();
  if (text !== '') {
    try {
      json = JSON.parse(text) as T;
    } catch {
      json = undefined;
    }
  }
  return { ...result, json };
}
