import type { LabelSelector } from './types.js';

/** A compiled label selector. */
export type PodMatcher = (labels: Readonly<Record<string, string>>) => boolean;

/**
 * Compiles a Kubernetes label selector with the apiserver's semantics:
 * every `matchLabels` pair and every expression must hold; `NotIn` and
 * `DoesNotExist` hold for a pod without the label; an empty or absent
 * selector selects every pod.
 */
export function compilePodSelector(selector: LabelSelector | undefined): PodMatcher {
  const tests: PodMatcher[] = [];
  for (const [key, value] of Object.entries(selector?.matchLabels ?? {})) tests.push((l) => Object.hasOwn(l, key) && l[key] === value);
  for (const e of selector?.matchExpressions ?? []) {
    const values = new Set(e.values ?? []);
    const has = (l: Readonly<Record<string, string>>): boolean => Object.hasOwn(l, e.key);
    switch (e.operator) {
      case 'In':
        tests.push((l) => has(l) && values.has(l[e.key] as string));
        break;
      case 'NotIn':
        tests.push((l) => !has(l) || !values.has(l[e.key] as string));
        break;
      case 'Exists':
        tests.push(has);
        break;
      case 'DoesNotExist':
        tests.push((l) => !has(l));
        break;
    }
  }
  if (tests.length === 0) return () => true;
  return (labels) => tests.every((t) => t(labels));
}
