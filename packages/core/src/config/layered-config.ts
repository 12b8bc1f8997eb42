import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../errors.js';

/** A YAML config file's content (undefined without a file); a file that cannot be read or parsed is a ConfigError. */
export function readConfigFile(file: string | undefined): unknown {
  if (file === undefined) return undefined;
  try {
    return parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError([{ path: '(file)', message: `cannot read ${file}: ${(err as Error).message}` }]);
  }
}

/** One setting: where it lives in the config tree and how it may be given. */
export interface FieldSpec {
  /** Dotted path in the config object (and in the config file). */
  path: string;
  type: 'string' | 'integer' | 'boolean' | 'url' | 'string[]';
  default?: unknown;
  /** Environment variable that may set it. */
  env?: string;
  /** Inclusive bounds for integers. */
  min?: number;
  max?: number;
  oneOf?: readonly string[];
  /** Extra check; returns a message when the value is wrong. */
  check?: (value: unknown) => string | undefined;
  required?: boolean;
}

/** A rule across fields; sees the fields that resolved cleanly (others are absent). */
export type CrossCheck = (resolved: Readonly<Record<string, unknown>>) => { path: string; message: string } | undefined;

/** Values from each source, keyed by dotted path (file: a nested object). */
export interface ConfigSources {
  flags?: Record<string, unknown>;
  file?: unknown;
  env?: NodeJS.ProcessEnv;
}

/**
 * Resolves settings with precedence flags > file > env > defaults, checks every
 * one, and reports all problems at once with their paths (a config file's
 * unknown keys included, and `crossChecks` run on whatever resolved). The result is deep-frozen.
 */
export function resolveConfig<T>(fields: readonly FieldSpec[], sources: ConfigSources, crossChecks: readonly CrossCheck[] = []): T {
  const problems: { path: string; message: string }[] = [];
  const fileValues = flattenFile(sources.file, problems);
  const known = new Set(fields.map((f) => f.path));
  for (const path of fileValues.keys()) {
    if (!known.has(path)) problems.push({ path, message: 'unknown setting' });
  }
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    let raw: unknown;
    let origin = 'default';
    if (sources.flags?.[f.path] !== undefined) { raw = sources.flags[f.path]; origin = 'flag'; }
    else if (fileValues.has(f.path)) { raw = fileValues.get(f.path); origin = 'file'; }
    else if (f.env !== undefined && sources.env?.[f.env] !== undefined && sources.env[f.env] !== '') { raw = sources.env[f.env]; origin = `env ${f.env}`; }
    else raw = f.default;
    if (raw === undefined) {
      if (f.required) problems.push({ path: f.path, message: 'is required' });
      continue;
    }
    const value = coerce(f, raw);
    const message = typeof value === 'object' && value !== null && 'error' in value ? (value as { error: string }).error : validate(f, value);
    if (message !== undefined) problems.push({ path: f.path, message: `${message} (from ${origin})` });
    else setPath(out, f.path, value);
  }
  for (const check of crossChecks) {
    const problem = check(out);
    if (problem !== undefined) problems.push(problem);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze(out) as T;
}

function coerce(f: FieldSpec, raw: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  switch (f.type) {
    case 'integer':
      return /^-?\d+$/.test(raw.trim()) ? Number(raw) : { error: `must be an integer, got "${raw}"` };
    case 'boolean':
      if (/^(true|1|yes)$/i.test(raw)) return true;
      if (/^(false|0|no)$/i.test(raw)) return false;
      return { error: `must be true or false, got "${raw}"` };
    case 'string[]':
      return raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
    default:
      return raw;
  }
}

function validate(f: FieldSpec, v: unknown): string | undefined {
  switch (f.type) {
    case 'integer':
      if (typeof v !== 'number' || !Number.isInteger(v)) return 'must be an integer';
      if (f.min !== undefined && v < f.min) return `must be at least ${f.min}`;
      if (f.max !== undefined && v > f.max) return `must be at most ${f.max}`;
      break;
    case 'boolean':
      if (typeof v !== 'boolean') return 'must be true or false';
      break;
    case 'string':
      if (typeof v !== 'string') return 'must be a string';
      if (f.oneOf !== undefined && !f.oneOf.includes(v)) return `must be one of ${f.oneOf.join(', ')}`;
      break;
    case 'url': {
      if (typeof v !== 'string') return 'must be a URL';
      let u: URL;
      try { u = new URL(v); } catch { return `must be an absolute http(s) URL, got "${v}"`; }
      if (u.protocol !== 'http:' && u.protocol !== 'https:') return `must be an http:// or https:// URL, got "${v}"`;
      break;
    }
    case 'string[]':
      if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) return 'must be a list of strings';
      break;
  }
  return f.check?.(v);
}

function flattenFile(file: unknown, problems: { path: string; message: string }[]): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (file === undefined || file === null) return out;
  if (typeof file !== 'object' || Array.isArray(file)) {
    problems.push({ path: '(file)', message: 'the config file must hold a mapping of settings' });
    return out;
  }
  const walk = (obj: Record<string, unknown>, prefix: string): void => {
    for (const [k, v] of Object.entries(obj)) {
      const path = prefix === '' ? k : `${prefix}.${k}`;
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) walk(v as Record<string, unknown>, path);
      else out.set(path, v);
    }
  };
  walk(file as Record<string, unknown>, '');
  return out;
}

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let cur = obj;
  for (const k of keys.slice(0, -1)) {
    cur[k] ??= {};
    cur = cur[k] as Record<string, unknown>;
  }
  cur[keys[keys.length - 1] as string] = value;
}

function deepFreeze(o: unknown): unknown {
  if (o !== null && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
