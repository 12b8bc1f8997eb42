/**
 * Loads `@peculiar/x509` after making sure its load-time requirement is met.
 *
 * Why: `@peculiar/x509` v2 resolves its algorithm providers through `tsyringe`,
 * which refuses to load unless `Reflect.getMetadata` exists (it throws "tsyringe
 * requires a reflect polyfill" at import time). The library only registers
 * classes without constructor-parameter metadata, so the small subset of the
 * reflect-metadata API below is all it ever calls. It is installed only when no
 * polyfill is present; if the `reflect-metadata` package is loaded first, it is
 * left untouched.
 *
 * Why a dynamic import: a static `import '@peculiar/x509'` may be evaluated
 * before any code of the importing module runs (jest's ESM loader evaluates
 * CommonJS dependencies while linking), so the polyfill could come too late.
 */

import type * as X509 from '@peculiar/x509';

type MetadataKey = unknown;
type PropertyKey_ = string | symbol | undefined;

const store = new WeakMap<object, Map<PropertyKey_, Map<MetadataKey, unknown>>>();

function ownMap(target: object, property: PropertyKey_, create: boolean): Map<MetadataKey, unknown> | undefined {
  let byProperty = store.get(target);
  if (!byProperty) {
    if (!create) return undefined;
    byProperty = new Map();
    store.set(target, byProperty);
  }
  let entries = byProperty.get(property);
  if (!entries && create) {
    entries = new Map();
    byProperty.set(property, entries);
  }
  return entries;
}

function getOwnMetadata(key: MetadataKey, target: object, property?: PropertyKey_): unknown {
  return ownMap(target, property, false)?.get(key);
}

function hasOwnMetadata(key: MetadataKey, target: object, property?: PropertyKey_): boolean {
  return ownMap(target, property, false)?.has(key) ?? false;
}

function getMetadata(key: MetadataKey, target: object, property?: PropertyKey_): unknown {
  // Metadata is inherited along the prototype chain, as in the reflect-metadata proposal.
  for (let o: object | null = target; o !== null; o = Object.getPrototypeOf(o) as object | null) {
    if (hasOwnMetadata(key, o, property)) return getOwnMetadata(key, o, property);
  }
  return undefined;
}

function hasMetadata(key: MetadataKey, target: object, property?: PropertyKey_): boolean {
  for (let o: object | null = target; o !== null; o = Object.getPrototypeOf(o) as object | null) {
    if (hasOwnMetadata(key, o, property)) return true;
  }
  return false;
}

function defineMetadata(key: MetadataKey, value: unknown, target: object, property?: PropertyKey_): void {
  ownMap(target, property, true)!.set(key, value);
}

function deleteMetadata(key: MetadataKey, target: object, property?: PropertyKey_): boolean {
  return ownMap(target, property, false)?.delete(key) ?? false;
}

function getOwnMetadataKeys(target: object, property?: PropertyKey_): MetadataKey[] {
  return [...(ownMap(target, property, false)?.keys() ?? [])];
}

function metadata(key: MetadataKey, value: unknown) {
  return (target: object, property?: PropertyKey_): void => defineMetadata(key, value, target, property);
}

const reflect = Reflect as unknown as Record<string, unknown>;
if (typeof reflect.getMetadata !== 'function') {
  const api: Record<string, unknown> = {
    defineMetadata,
    deleteMetadata,
    getMetadata,
    getOwnMetadata,
    getOwnMetadataKeys,
    hasMetadata,
    hasOwnMetadata,
    metadata,
  };
  for (const [name, fn] of Object.entries(api)) {
    Object.defineProperty(Reflect, name, { value: fn, configurable: true, writable: true, enumerable: false });
  }
}

let loaded: Promise<typeof X509> | undefined;

/**
 * The `@peculiar/x509` module, loaded once with its Reflect requirement met.
 * Import its types with `import type`; take values from this module object.
 */
export function loadX509(): Promise<typeof X509> {
  loaded ??= import('@peculiar/x509');
  return loaded;
}
