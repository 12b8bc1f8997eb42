import { describe, expect, it } from '@jest/globals';
import { formatPolicyIssue, loadPolicyFile } from './load-policy-file.js';

const doc = (name: string, rules = '    - {name: r, action: Allow, operations: ["s3:*"]}'): string =>
  `apiVersion: agentrail.dev/v1alpha1\nkind: GatewayPolicy\nmetadata: {name: ${name}, namespace: agents}\nspec:\n  rules:\n${rules}\n`;

describe('loadPolicyFile', () => {
  it('loads every document of a multi-document file, skipping empty ones', () => {
    const r = loadPolicyFile(`${doc('a')}---\n${doc('b')}---\n`, 'p.yaml');
    expect(r.errors).toEqual([]);
    expect(r.policies.map((p) => p.key)).toEqual(['agents/a', 'agents/b']);
  });

  it('reports YAML syntax errors with their line', () => {
    const r = loadPolicyFile(`${doc('a')}---\nkind: GatewayPolicy\nspec: [unclosed\n`, 'p.yaml');
    expect(r.policies.map((p) => p.key)).toEqual(['agents/a']);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({ file: 'p.yaml', document: 2, path: '(yaml)', code: 'POLICY_YAML' });
    expect(r.errors[0]?.line).toBeGreaterThanOrEqual(9);
  });

  it('gives schema and CEL errors the document, the policy, the path and the line of the field', () => {
    const rules = '    - {name: r, action: Allow, operations: ["s3:*"]}\n    - name: nested\n      action: Deny\n      operations: ["*:Delete*"]\n      when: "size(identiy.chain) > 2"';
    const r = loadPolicyFile(`${doc('a')}---\n${doc('b', rules)}`, 'policies.yaml');
    expect(r.policies.map((p) => p.key)).toEqual(['agents/a']);
    expect(r.errors).toEqual([expect.objectContaining({ file: 'policies.yaml', document: 2, policy: 'agents/b', path: 'spec.rules[1].when', line: 17, code: 'POLICY_CEL' })]);
    expect(formatPolicyIssue(r.errors[0]!)).toBe("policies.yaml:17: document 2 (agents/b): spec.rules[1].when: undeclared reference to 'identiy' (variables: identity, request, aws, time) (column 6)");
  });

  it('points a missing field at its parent', () => {
    const r = loadPolicyFile('apiVersion: agentrail.dev/v1alpha1\nkind: GatewayPolicy\nmetadata: {name: a}\nspec:\n  rules:\n    - name: r\n      action: Allow\n');
    expect(r.errors).toEqual([expect.objectContaining({ path: 'spec.rules[0].operations', line: 6, document: 1, policy: 'a' })]);
    expect(r.errors[0]?.file).toBeUndefined();
  });

  it('refuses two policies with the same name', () => {
    const r = loadPolicyFile(`${doc('a')}---\n${doc('a')}`, 'p.yaml');
    expect(r.policies).toHaveLength(1);
    expect(r.errors).toEqual([expect.objectContaining({ document: 2, code: 'POLICY_DUPLICATE', message: 'duplicate policy agents/a (also document 1)' })]);
  });

  it('reads a kind: List as kubectl prints it, and JSON', () => {
    const list = { apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'agentrail.dev/v1alpha1', kind: 'GatewayPolicy', metadata: { name: 'x' }, spec: { defaultAction: 'Nope' } }] };
    const r = loadPolicyFile(JSON.stringify(list, null, 2));
    expect(r.errors).toEqual([expect.objectContaining({ path: 'items[0].spec.defaultAction', document: 1, policy: 'x' })]);
  });

  it('reports a document that is not a mapping, and duplicate keys', () => {
    expect(loadPolicyFile('- a\n- b\n').errors[0]).toMatchObject({ path: '(document)', message: 'must be an object' });
    expect(loadPolicyFile('kind: GatewayPolicy\nkind: GatewayPolicy\n').errors[0]).toMatchObject({ path: '(yaml)', line: 2 });
  });

  it('an empty file has no policies and no errors', () => {
    expect(loadPolicyFile('')).toEqual({ policies: [], errors: [] });
    expect(loadPolicyFile('# only a comment\n')).toEqual({ policies: [], errors: [] });
  });
});
