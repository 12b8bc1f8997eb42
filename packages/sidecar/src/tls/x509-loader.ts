import type * as X509 from '@peculiar/x509';

let loading: Promise<typeof X509> | undefined;

/**
 * Loads `@peculiar/x509` after `reflect-metadata`: the library resolves its
 * algorithm providers through `tsyringe`, which throws at import time unless the
 * Reflect metadata API exists. Both are imported dynamically and in order — a
 * static import could be evaluated before the polyfill (jest's ESM loader links
 * CommonJS dependencies before the importing module runs).
 */
export function loadX509(): Promise<typeof X509> {
  loading ??= import('reflect-metadata').then(() => import('@peculiar/x509'));
  return loading;
}
