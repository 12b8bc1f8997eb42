// Summarises a V8 .cpuprofile (node --cpu-prof): top functions by self time
// and by inclusive time. Usage: node bench/cpuprofile-top.mjs FILE [N]
// e.g. after: BENCH_ONLY=throughput BENCH_SIDECAR_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" make bench

import { readFileSync } from 'node:fs';
import path from 'node:path';

const [file, nArg] = process.argv.slice(2);
if (file === undefined) { process.stderr.write('usage: node bench/cpuprofile-top.mjs FILE.cpuprofile [N]\n'); process.exit(2); }
const N = Number(nArg ?? 30);
const prof = JSON.parse(readFileSync(file, 'utf8'));

const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// Self time per node from the sample deltas.
const selfUs = new Map();
for (let i = 0; i < prof.samples.length; i++) {
  const id = prof.samples[i];
  selfUs.set(id, (selfUs.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0));
}
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

const label = (n) => {
  const f = n.callFrame;
  const where = f.url ? `${path.basename(f.url)}:${f.lineNumber + 1}` : '';
  return `${f.functionName || '(anonymous)'} ${where}`.trim();
};

const self = new Map();
const incl = new Map();
for (const [id, us] of selfUs) {
  const n = byId.get(id);
  const key = label(n);
  self.set(key, (self.get(key) ?? 0) + us);
  // Inclusive: count each distinct label once per sample stack.
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const k = label(byId.get(cur));
    if (seen.has(k)) continue;
    seen.add(k);
    incl.set(k, (incl.get(k) ?? 0) + us);
  }
}

const pct = (us) => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
const top = (m) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, N);
process.stdout.write(`total sampled: ${(total / 1e6).toFixed(2)} s\n\nself time:\n`);
for (const [k, us] of top(self)) process.stdout.write(`${pct(us)}  ${k}\n`);
process.stdout.write('\ninclusive time:\n');
for (const [k, us] of top(incl)) process.stdout.write(`${pct(us)}  ${k}\n`);
