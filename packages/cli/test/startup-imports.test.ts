/**
 * What loading the CLI loads. Every command starts from main.ts, so whatever
 * it imports statically is in the memory of every sidecar in every pod: the
 * controller (and its Kubernetes client, ~26 MiB of heap) must only be
 * loaded by `agentrail controller` itself (a dynamic import). Walks the
 * static import graph of the sources; dynamic `import()` is not followed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

const packages = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
// `import … from '…'`, `import '…'` and `export … from '…'`, not `import type` (erased) nor `import(…)`.
const STATIC = /^\s*(?:import(?!\s+type\b)(?:[\s\S]*?\bfrom)?|export\s+(?!type\b)[\s\S]*?\bfrom)\s*'([^']+)'/gm;

/** The bare packages (outside this repository) reachable from `entry` through static imports. */
function staticGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const external = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(STATIC)) {
      const s = spec as string;
      if (s.startsWith('.')) visit(resolve(dirname(file), s.replace(/\.js$/, '.ts')));
      else if (s.startsWith('@agentrail/')) visit(join(packages, s.slice('@agentrail/'.length), 'src/index.ts'));
      else external.add(s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : (s.split('/')[0] as string));
    }
  };
  visit(entry);
  return { files, packages: external };
}

describe('what every agentrail command loads', () => {
  const main = join(packages, 'cli/src/main.ts');

  it('the walk sees the CLI, the sidecar and its libraries (so it would see the controller too)', () => {
    expect(existsSync(main)).toBe(true);
    const graph = staticGraph(main);
    expect([...graph.files].some((f) => f.endsWith(join('sidecar', 'src', 'sidecar.ts')))).toBe(true);
    expect([...graph.packages]).toEqual(expect.arrayContaining(['commander', 'undici', '@nats-io/transport-node']));
  });

  it('neither the controller nor the Kubernetes client is loaded until `agentrail controller` runs', () => {
    const graph = staticGraph(main);
    expect([...graph.files].filter((f) => f.includes(join('controller', 'src')))).toEqual([]);
    expect([...graph.packages]).not.toContain('@kubernetes/client-node');
  });
});
