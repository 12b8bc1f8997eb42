import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from '@jest/globals';
import { Command } from 'commander';
import { registerPolicyCommand } from '../src/commands/policy-command.js';
import type { CliIo } from '../src/commands/cli-io.js';
import { CaptureStream, type CliResult } from './support/run-cli.js';

class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** Runs `agentrail policy ARGS…` in-process with captured output. */
async function policy(...args: string[]): Promise<CliResult> {
  const stdout = new CaptureStream();
  const stderr = new CaptureStream();
  let code = 0;
  const io: CliIo = {
    stdout,
    stderr,
    env: {},
    homedir: '/nonexistent-home',
    now: () => new Date('2026-03-04T10:00:00Z'),
    interrupted: () => new AbortController().signal,
    setExitCode: (c) => {
      code = c;
    },
    abort: (c) => {
      throw new Exit(c);
    },
  };
  const program = new Command().name('agentrail').exitOverride();
  registerPolicyCommand(program, () => io);
  try {
    await program.parseAsync(['node', 'agentrail', 'policy', ...args]);
  } catch (err) {
    if (!(err instanceof Exit)) throw err;
    code = err.code;
  }
  return { code, stdout: stdout.text, stderr: stderr.text };
}

const dir = mkdtempSync(join(tmpdir(), 'agentrail-policy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const example = fileURLToPath(new URL('../../../crds/examples/valid/research-agents.yaml', import.meta.url));
const broken = file(
  'broken.yaml',
  `apiVersion: agentrail.dev/v1alpha1
kind: GatewayPolicy
metadata: {name: ok}
spec: {defaultAction: Allow}
---
apiVersion: agentrail.dev/v1alpha1
kind: GatewayPolicy
metadata: {name: bad, namespace: agents}
spec:
  rules:
    - name: read
      action: Allow
      operations: ["s3:Get*"]
      approval: {grantTTL: 10m}
    - name: nested
      action: Deny
      operations: ["*:Delete*"]
      when: "size(identiy.chain) > 2"
`,
);

describe('agentrail policy lint', () => {
  it('says OK with a summary, exit 0', async () => {
    const second = file('two.yaml', 'apiVersion: agentrail.dev/v1alpha1\nkind: GatewayPolicy\nmetadata: {name: a}\nspec: {}\n---\napiVersion: agentrail.dev/v1alpha1\nkind: GatewayPolicy\nmetadata: {name: b}\nspec: {}\n');
    expect(await policy('lint', example, second)).toEqual({ code: 0, stdout: 'OK: 2 files, 3 policies, 3 rules\n', stderr: '' });
  });

  it('lists every schema and CEL problem with file, line, document, policy and path, exit 1', async () => {
    const r = await policy('lint', broken, example);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      `${broken}:14: document 2 (agents/bad): spec.rules[0].approval: approval is only allowed with action RequireApproval\n` +
        `${broken}:18: document 2 (agents/bad): spec.rules[1].when: undeclared reference to 'identiy' (variables: identity, request, aws, time) (column 6)\n` +
        'FAILED: 2 problems in 1 file (2 policies compiled)\n',
    );
  });

  it('reports YAML syntax errors with their line', async () => {
    const bad = file('syntax.yaml', 'apiVersion: agentrail.dev/v1alpha1\nkind: GatewayPolicy\nmetadata: {name: a\n');
    const r = await policy('lint', bad);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: document 1: \\(yaml\\): `));
  });

  it('--json gives the issues as data', async () => {
    const r = await policy('lint', '--json', broken);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { ok: boolean; errors: Array<{ path: string; code: string; line: number }>; policies: unknown[] };
    expect(report.ok).toBe(false);
    expect(report.policies).toEqual([{ policy: 'ok', rules: 0 }]);
    expect(report.errors.map((e) => [e.path, e.code, e.line])).toEqual([['spec.rules[0].approval', 'POLICY_SCHEMA', 14], ['spec.rules[1].when', 'POLICY_CEL', 18]]);
  });

  it('a missing file is a usage error, exit 2', async () => {
    const r = await policy('lint', join(dir, 'nope.yaml'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('agentrail policy lint: cannot read');
    expect(r.stderr).toContain('ENOENT');
  });
});

describe('agentrail policy test', () => {
  it('prints decision, policy and rule per call', async () => {
    const r = await policy('test', example, '--pod-labels', 'team=research', '--initiator', 'alice',
      '--call', 's3:GetObject arn:aws:s3:::reports-2026/q1.csv', '--call', 'iam:CreateUser', '--call', 'ec2:RunInstances');
    expect(r).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        '1 policy selects the pod: research-agents',
        'Allow           s3:GetObject arn:aws:s3:::reports-2026/q1.csv',
        '  allowed by GatewayPolicy research-agents rule read-reports',
        '  upstream role: arn:aws:iam::123456789012:role/research-readonly (SourceIdentity: Initiator)',
        'RequireApproval iam:CreateUser *',
        '  approval required by GatewayPolicy research-agents rule iam-needs-a-human',
        '  approval: {"approvers":{"groups":["sre"]},"grantTTL":"10m"}',
        '  upstream role: arn:aws:iam::123456789012:role/research-readonly (SourceIdentity: Initiator)',
        'Deny            ec2:RunInstances *',
        '  denied by default of GatewayPolicy research-agents: no rule matched ec2:RunInstances',
        '',
      ].join('\n'),
    });
  });

  it('applies --chain to conditions and --json gives the decisions as data', async () => {
    const args = ['test', example, '--pod-labels', 'team=research', '--initiator', 'alice', '--call', 's3:DeleteObject arn:aws:s3:::reports-1/k', '--call', 'secretsmanager:GetSecretValue', '--json'];
    const direct = JSON.parse((await policy(...args)).stdout) as { results: Array<{ decision: { action: string; rule?: string; masking: unknown } }> };
    expect(direct.results[0]?.decision).toMatchObject({ action: 'Deny', reason: 'default' });
    const nested = JSON.parse((await policy(...args, '--chain', 'Pod agents/planner,Agent sweeper')).stdout) as typeof direct;
    expect(nested.results[0]?.decision).toMatchObject({ action: 'Deny', rule: 'nested-agents-never-delete' });
    expect(nested.results[1]?.decision.masking).toEqual({ audit: ['SecretString', 'SecretBinary'], response: [] });
  });

  it('with labels no policy selects, says so and allows', async () => {
    const r = await policy('test', example, '--initiator', 'bob', '--call', 'iam:DeleteUser');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('0 policies select the pod\nAllow           iam:DeleteUser *\n  allowed: no GatewayPolicy selects this pod (calls are recorded, not restricted)\n');
  });

  it('refuses a file that does not compile, exit 1', async () => {
    const r = await policy('test', broken, '--initiator', 'a', '--call', 's3:GetObject');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("spec.rules[1].when: undeclared reference to 'identiy'");
    expect(r.stderr).toContain('does not compile (2 problems)');
  });

  it.each([
    [['--initiator', 'a'], '--call: give at least one call'],
    [['--initiator', 'a', '--call', 'GetObject'], "--call: 'GetObject' does not start with service:Operation"],
    [['--initiator', 'a', '--call', 's3:GetObject', '--pod-labels', 'team'], "--pod-labels: 'team' is not key=value"],
    [['--initiator', 'a', '--call', 's3:GetObject', '--time', 'yesterday'], "--time: 'yesterday' is not an ISO 8601 time"],
    [['--call', 's3:GetObject'], "required option '--initiator <name>' not specified"],
  ])('usage error %j, exit 2', async (args, message) => {
    const r = await policy('test', example, ...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });
});
