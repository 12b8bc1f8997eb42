import type { PolicyObject } from '../policy/policy-bundle.js';

/** One problem `compilePolicy` reported. */
export interface CompileIssue {
  path: string;
  message: string;
}

/** Message of Ready=True. */
export function compiledMessage(rules: number, bucket: string, key: string): string {
  return `compiled ${rules} rule${rules === 1 ? '' : 's'}; published to NATS KV ${bucket}/${key}`;
}

/**
 * Message of Ready=False/Invalid: every problem with its field path and, for a
 * rule's field, the rule's name (`spec.rules[2].when (rule "no-deletes"): …`),
 * then what is enforced meanwhile — the last valid version, or nothing.
 */
export function invalidMessage(issues: readonly CompileIssue[], obj: PolicyObject, enforcedGeneration: number | undefined): string {
  const lines = issues.map((i) => `${withRuleName(i.path, obj, i.message)}: ${i.message}`);
  const head = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
  const tail = enforcedGeneration !== undefined
    ? `generation ${enforcedGeneration}, the last valid one, stays in force until this one compiles`
    : 'nothing of this policy is enforced until it compiles';
  return `${head}: ${lines.join('; ')}. ${tail}`;
}

const RULE_PATH = /^spec\.rules\[(\d+)\]/;

function withRuleName(path: string, obj: PolicyObject, message: string): string {
  const m = RULE_PATH.exec(path);
  const name = m ? obj.spec?.rules?.[Number(m[1])]?.name : undefined;
  // Some engine messages name the rule already.
  if (name === undefined || message.includes(`"${name}"`) || path.includes(`"${name}"`)) return path;
  return `${path} (rule "${name}")`;
}
