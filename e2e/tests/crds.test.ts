/**
 * Every CRD the project ships is accepted by a real kube-apiserver, and its
 * examples behave: valid ones are created, invalid ones are refused with the
 * apiserver's own message (OpenAPI schema and CEL rules alike).
 *
 * Picked up automatically, from `crds/` and from the test fixture
 * `e2e/testdata/crds/` (same layout):
 *   <root>/*.yaml                     CustomResourceDefinitions
 *   <root>/examples/valid/*.yaml      objects that must be accepted
 *   <root>/examples/invalid/*.yaml    one object per file, refused; the file's
 *                                     `# expect-error: <text>` line names the
 *                                     text the apiserver's answer must contain
 * Examples are created by the OIDC user alice with kubectl, as a person would.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { loadCluster, uniqueName } from '../harness/cluster.js';
import { REPO_ROOT } from '../harness/processes.js';

const ROOTS = ['crds', 'e2e/testdata/crds'].map((r) => join(REPO_ROOT, r));

function yamlFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => join(dir, f));
}

const crdFiles = ROOTS.flatMap((r) => yamlFiles(r));
const validExamples = ROOTS.flatMap((r) => yamlFiles(join(r, 'examples/valid')));
const invalidExamples = ROOTS.flatMap((r) => yamlFiles(join(r, 'examples/invalid'))).map((file) => {
  const expected = /^#\s*expect-error:\s*(.+)$/m.exec(readFileSync(file, 'utf8'))?.[1]?.trim();
  if (!expected) throw new Error(`${file} has no '# expect-error: <text>' line`);
  return { file, expected };
});
const rel = (f: string): string => relative(REPO_ROOT, f);

function crdNames(file: string): string[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJS() as { kind?: string; metadata?: { name?: string } } | null)
    .filter((o) => o?.kind === 'CustomResourceDefinition')
    .map((o) => o!.metadata!.name!);
}

const cluster = loadCluster();
const namespace = uniqueName('e2e-crds');

beforeAll(async () => {
  await cluster.admin().create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  for (const file of crdFiles) {
    // Server-side apply: large CRDs overflow the last-applied annotation of a
    // client-side apply.
    const applied = await cluster.kubectl(['apply', '--server-side', '--force-conflicts', '-f', file]);
    if (applied.code !== 0) throw new Error(`kubectl apply -f ${rel(file)}: ${applied.stderr}`);
  }
});

afterAll(async () => {
  await cluster.admin().delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  cluster.close();
});

test('the fixture CRD is among the CRDs found', () => {
  expect(crdFiles.map(rel)).toContain('e2e/testdata/crds/e2e.agentrail.dev_widgets.yaml');
  expect(invalidExamples.length).toBeGreaterThanOrEqual(2);
});

test.each(crdFiles.map(rel))('%s becomes Established', async (file) => {
  const names = crdNames(join(REPO_ROOT, file));
  expect(names.length).toBeGreaterThan(0);
  for (const name of names) {
    const waited = await cluster.kubectl(['wait', '--for=condition=Established', '--timeout=30s', `crd/${name}`]);
    expect(waited.stderr).toBe('');
    expect(waited.stdout).toContain('condition met');
  }
});

test.each(validExamples.map(rel))('valid example %s is created', async (file) => {
  const created = await cluster.kubectl(['create', '-n', namespace, '-f', join(REPO_ROOT, file), '-o', 'json'], { as: 'alice' });
  expect(created.stderr).toBe('');
  expect(created.code).toBe(0);
  const obj = JSON.parse(created.stdout) as { metadata: { uid: string; namespace?: string } };
  expect(obj.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
});

test.each(invalidExamples.map((e) => [rel(e.file), e.expected]))('invalid example %s is refused: %s', async (file, expected) => {
  const created = await cluster.kubectl(['create', '-n', namespace, '-f', join(REPO_ROOT, file)], { as: 'alice' });
  expect(created.code).not.toBe(0);
  expect(created.stderr).toContain('is invalid');
  expect(created.stderr).toContain(expected);
});
