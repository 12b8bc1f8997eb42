import { LineCounter, parseAllDocuments, type Document } from 'yaml';
import { compilePolicy, type CompiledPolicy } from './compile-policy.js';
import { DUPLICATE_ERROR, YAML_ERROR } from './policy-issues.js';
import type { PolicyIssue } from './types.js';

/** A problem in a policy file: the field path plus where it is. */
export interface PolicyFileIssue extends PolicyIssue {
  file?: string;
  /** 1-based document index in the file. */
  document?: number;
  /** `namespace/name` of the document's policy, when it has a name. */
  policy?: string;
  /** 1-based line of the field (or of the document) in the file. */
  line?: number;
}

/** Result of loadPolicyFile. */
export interface PolicyFile {
  policies: CompiledPolicy[];
  errors: PolicyFileIssue[];
}

/** Documents per file; a policy file is written by people, not generated in bulk. */
const MAX_DOCUMENTS = 1000;

/**
 * Parses a file of GatewayPolicies (multi-document YAML, or JSON; a `kind:
 * List` of them as `kubectl get -o yaml` prints is read too) and compiles
 * each. YAML syntax errors carry their line; schema and CEL errors carry
 * the document, the policy name, the field path and the field's line.
 * Policies that compile are returned even when others in the file did not.
 */
export function loadPolicyFile(text: string, fileName?: string): PolicyFile {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const out: PolicyFile = { policies: [], errors: [] };
  const where = (extra: Omit<PolicyFileIssue, 'path' | 'message'>): Omit<PolicyFileIssue, 'path' | 'message'> => (fileName === undefined ? extra : { file: fileName, ...extra });
  if (!Array.isArray(docs)) {
    // An empty stream parses to a bare marker object: nothing to load.
    return out;
  }
  const seen = new Map<string, number>();
  docs.slice(0, MAX_DOCUMENTS).forEach((doc, i) => {
    const document = i + 1;
    const docLine = doc.contents?.range !== undefined ? lines.linePos(doc.contents.range[0]).line : undefined;
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        const line = lines.linePos(e.pos[0]).line;
        out.errors.push({ path: '(yaml)', message: e.message.split('\n')[0] ?? e.message, code: YAML_ERROR, ...where({ document, line }) });
      }
      return;
    }
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) return; // an empty document (`---` at the end)
    const items = isList(value) ? value.items.map((item, j) => ({ item, prefix: ['items', j] as (string | number)[] })) : [{ item: value, prefix: [] as (string | number)[] }];
    for (const { item, prefix } of items) {
      const name = policyName(item);
      const result = compilePolicy(item);
      if (result.ok) {
        const first = seen.get(result.policy.key);
        if (first !== undefined) {
          out.errors.push({ path: 'metadata.name', message: `duplicate policy ${result.policy.key} (also document ${first})`, code: DUPLICATE_ERROR, ...where({ document, policy: result.policy.key, ...lineOf(doc, lines, [...prefix, 'metadata', 'name'], docLine) }) });
          continue;
        }
        seen.set(result.policy.key, document);
        out.policies.push(result.policy);
        continue;
      }
      for (const e of result.errors) {
        const path = prefix.length === 0 ? e.path : `items[${prefix[1] as number}].${e.path}`;
        out.errors.push({ ...e, path, ...where({ document, ...(name !== undefined ? { policy: name } : {}), ...lineOf(doc, lines, [...prefix, ...pathSegments(e.path)], docLine) }) });
      }
    }
  });
  if (docs.length > MAX_DOCUMENTS) out.errors.push({ path: '(file)', message: `more than ${MAX_DOCUMENTS} documents; the rest were not read`, code: YAML_ERROR, ...where({}) });
  return out;
}

/** `file:line: document N (ns/name): path: message` — how the CLI and logs show an issue. */
export function formatPolicyIssue(i: PolicyFileIssue): string {
  const at = i.file === undefined ? '' : `${i.file}${i.line !== undefined ? `:${i.line}` : ''}: `;
  const doc = i.document === undefined ? '' : `document ${i.document}${i.policy !== undefined ? ` (${i.policy})` : ''}: `;
  return `${at}${doc}${i.path}: ${i.message}`;
}

function isList(v: unknown): v is { kind: 'List'; items: unknown[] } {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'List' && Array.isArray((v as { items?: unknown }).items);
}

function policyName(v: unknown): string | undefined {
  const m = (v as { metadata?: { name?: unknown; namespace?: unknown } } | null)?.metadata;
  if (typeof m?.name !== 'string') return undefined;
  return typeof m.namespace === 'string' ? `${m.namespace}/${m.name}` : m.name;
}

/** `spec.rules[2].when` → ['spec', 'rules', 2, 'when']. */
function pathSegments(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : (m[1] as string));
  return out;
}

/** The line of the deepest node on the path that exists (a missing field points at its parent). */
function lineOf(doc: Document, lines: LineCounter, path: (string | number)[], fallback: number | undefined): { line?: number } {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    if (node?.range !== undefined) return { line: lines.linePos(node.range[0]).line };
  }
  return fallback === undefined ? {} : { line: fallback };
}
