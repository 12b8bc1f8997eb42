import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { formatPolicyIssue, loadPolicyFile, PolicySet, type CompiledPolicy, type PolicyDecision, type PolicyFileIssue, type PolicyRequest } from '@agentrail/core';
import { runAction } from './action-runner.js';
import { processIo, writeOut, type CliIo } from './cli-io.js';
import { CliUsageError } from './command-errors.js';

type LintFlags = { json?: boolean };
type TestFlags = {
  call: string[];
  initiator: string;
  chain?: string;
  namespace?: string;
  podLabels?: string;
  region: string;
  time?: string;
  json?: boolean;
};

/**
 * `agentrail policy lint FILE…` and `agentrail policy test FILE --call …`:
 * check GatewayPolicy files without a cluster (the same schema and CEL
 * checks the apiserver and the controller make), and see what they decide
 * for given calls. Lint exits 1 when any problem is found; test exits 0
 * whatever the decisions, 1 when the file does not compile.
 *
 * @param makeIo the process by default; tests pass a capture
 * @example
 * registerPolicyCommand(program);
 */
export function registerPolicyCommand(program: Command, makeIo: () => CliIo = processIo): Command {
  let io: CliIo | undefined;
  const getIo = (): CliIo => (io ??= makeIo());
  const policy = program.command('policy').description('check GatewayPolicy files and try them on calls, without a cluster');
  policy
    .command('lint')
    .description('report every schema and CEL problem in GatewayPolicy files; exit 1 if any')
    .argument('<files...>', 'YAML files of GatewayPolicies (multi-document)')
    .option('--json', 'the report as one JSON document')
    .action((files: string[], flags: LintFlags) => runAction(getIo(), 'policy lint', () => lint(files, flags, getIo())));
  policy
    .command('test')
    .description('show the decision (action, policy, rule) the policies of FILE make for each --call')
    .argument('<file>', 'YAML file of GatewayPolicies')
    .option('--call <call>', "'service:Operation [ARN…]', repeatable, e.g. 's3:GetObject arn:aws:s3:::bucket/key'", (v: string, prev: string[]) => [...prev, v], [])
    .requiredOption('--initiator <name>', 'the human who started the work (identity.initiator)')
    .option('--chain <actors>', "actors after the initiator, outermost last: 'Pod agents/planner,Agent sweeper'")
    .option('--namespace <ns>', "the pod's namespace: only policies of it (and namespace-less ones) apply")
    .option('--pod-labels <labels>', "the pod's labels, for podSelector: 'team=research,tier=batch'")
    .option('--region <region>', 'region of the calls', 'us-east-1')
    .option('--time <iso>', 'time of the calls (ISO 8601), for time conditions; now by default')
    .option('--json', 'the decisions as JSON')
    .action((file: string, flags: TestFlags) => runAction(getIo(), 'policy test', () => test(file, flags, getIo())));
  for (const cmd of [policy, ...policy.commands]) {
    cmd.configureOutput({ writeOut: (s) => getIo().stdout.write(s), writeErr: (s) => getIo().stderr.write(s) }).exitOverride((err) => getIo().abort(err.exitCode === 0 ? 0 : 2));
  }
  return policy;
}

async function load(file: string): Promise<{ policies: CompiledPolicy[]; errors: PolicyFileIssue[] }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new CliUsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
  }
  return loadPolicyFile(text, file);
}

async function lint(files: readonly string[], flags: LintFlags, io: CliIo): Promise<number> {
  const policies: CompiledPolicy[] = [];
  const errors: PolicyFileIssue[] = [];
  for (const file of files) {
    const r = await load(file);
    policies.push(...r.policies);
    errors.push(...r.errors);
  }
  const rules = policies.reduce((n, p) => n + p.rules.length, 0);
  if (flags.json === true) {
    const report = { ok: errors.length === 0, files: files.length, policies: policies.map((p) => ({ policy: p.key, rules: p.rules.length })), errors };
    await writeOut(io.stdout, `${JSON.stringify(report, null, 2)}\n`);
  } else if (errors.length === 0) {
    await writeOut(io.stdout, `OK: ${plural(files.length, 'file')}, ${plural(policies.length, 'policy', 'policies')}, ${plural(rules, 'rule')}\n`);
  } else {
    const failed = new Set(errors.map((e) => e.file)).size;
    await writeOut(io.stdout, `${errors.map((e) => formatPolicyIssue(e)).join('\n')}\nFAILED: ${plural(errors.length, 'problem')} in ${plural(failed, 'file')} (${plural(policies.length, 'policy', 'policies')} compiled)\n`);
  }
  return errors.length === 0 ? 0 : 1;
}

async function test(file: string, flags: TestFlags, io: CliIo): Promise<number> {
  if (flags.call.length === 0) throw new CliUsageError("--call: give at least one call, e.g. --call 's3:GetObject arn:aws:s3:::bucket/key'");
  const time = flags.time === undefined ? io.now() : new Date(flags.time);
  if (Number.isNaN(time.getTime())) throw new CliUsageError(`--time: '${flags.time ?? ''}' is not an ISO 8601 time`);
  const labels = parseLabels(flags.podLabels);
  const chain = parseChain(flags.initiator, flags.chain);
  const calls = flags.call.map(parseCall);
  const loaded = await load(file);
  if (loaded.errors.length > 0) {
    await writeOut(io.stderr, `${loaded.errors.map((e) => formatPolicyIssue(e)).join('\n')}\n`);
    throw new Error(`${file} does not compile (${plural(loaded.errors.length, 'problem')}); fix it first (agentrail policy lint ${file})`);
  }
  const set = PolicySet.of(loaded.policies).forPod(labels, flags.namespace);
  const results = calls.map((c) => {
    const req: PolicyRequest = {
      identity: { initiator: flags.initiator, chain, session: 'policy-test', ...(flags.namespace !== undefined ? { namespace: flags.namespace } : {}) },
      aws: { service: c.operation.split(':')[0] as string, operation: c.operation, region: flags.region, resources: c.resources },
      request: { method: 'POST', path: '/', headers: {}, params: {} },
      time,
    };
    return { call: c, decision: set.evaluate(req) };
  });
  if (flags.json === true) {
    await writeOut(io.stdout, `${JSON.stringify({ policies: set.list().map((p) => p.key), results }, null, 2)}\n`);
    return 0;
  }
  const lines = [`${plural(set.size, 'policy', 'policies')} ${set.size === 1 ? 'selects' : 'select'} the pod${set.size > 0 ? `: ${set.list().map((p) => p.key).join(', ')}` : ''}`];
  for (const { call, decision } of results) lines.push(...formatDecision(call, decision));
  await writeOut(io.stdout, `${lines.join('\n')}\n`);
  return 0;
}

function formatDecision(call: { operation: string; resources: string[] }, d: PolicyDecision): string[] {
  const out = [`${d.action.padEnd(15)} ${call.operation} ${call.resources.join(' ')}`.trimEnd(), `  ${d.message}`];
  if (d.approval !== undefined) out.push(`  approval: ${JSON.stringify(d.approval)}`);
  if (d.masking.audit.length > 0) out.push(`  masked in audit: ${d.masking.audit.join(', ')}`);
  if (d.masking.response.length > 0) out.push(`  masked in response: ${d.masking.response.join(', ')}`);
  if (d.upstream !== undefined) out.push(`  upstream role: ${d.upstream.roleArn} (SourceIdentity: ${d.upstream.sourceIdentity})`);
  return out;
}

function parseCall(spec: string): { operation: string; resources: string[] } {
  const [operation = '', ...resources] = spec.trim().split(/\s+/);
  if (!/^[A-Za-z0-9-]+:[A-Za-z0-9]+$/.test(operation)) throw new CliUsageError(`--call: '${spec}' does not start with service:Operation (s3:GetObject)`);
  return { operation, resources: resources.length > 0 ? resources : ['*'] };
}

function parseChain(initiator: string, chain: string | undefined): { type: string; name: string }[] {
  const actors = [{ type: 'User', name: initiator }];
  for (const part of (chain ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const space = part.indexOf(' ');
    // A bare name is an agent: the common case of `--chain planner,sweeper`.
    actors.push(space === -1 ? { type: 'Agent', name: part } : { type: part.slice(0, space), name: part.slice(space + 1).trim() });
  }
  return actors;
}

function parseLabels(text: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of (text ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new CliUsageError(`--pod-labels: '${pair}' is not key=value`);
    labels[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return labels;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
