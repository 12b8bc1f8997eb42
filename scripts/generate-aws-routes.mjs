#!/usr/bin/env node
/**
 * Generates packages/core/src/aws/generated/aws-models.ts from botocore's
 * service models — the most carefully maintained machine-readable description of
 * every AWS API (the one boto3 and the AWS CLI run on).
 *
 * Output, per service (latest API version only): signing name, endpoint prefix,
 * protocols, target prefix (JSON), host prefixes; for REST protocols a route
 * table, one line per operation:
 *
 *   METHOD URI OPERATION [q=key,key] [h=header,header] [p=hostPrefix] [x] [b]
 *
 * `URI` is the model's requestUri (labels `{Name}` / `{Name+}`, required query
 * literals after `?`); `q=` lists required members bound to the query string,
 * `h=` required members bound to headers (both tell apart operations sharing a
 * path: S3 UploadPart needs `partNumber` and `uploadId`, CopyObject needs
 * `x-amz-copy-source`); `x` marks a route only the S3 Express control endpoint
 * serves; `b` a route whose body is one opaque payload (Lambda Invoke, S3
 * PutObject), never parameters. Routes stay strings until a service is first used, so start-up parses
 * only the small metadata.
 *
 * It also writes generated/aws-sensitive-fields.ts beside it: per operation, the
 * members botocore marks `sensitive` that hold credentials or secret material
 * (see `sensitiveFieldsOf`), which the audit trail's built-in masking hides.
 *
 * Usage: node scripts/generate-aws-routes.mjs [--botocore DIR] [--out FILE]
 * (BOTOCORE_DIR works too; by default python3 locates the installed botocore).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_OUT = join(ROOT, 'packages/core/src/aws/generated/aws-models.ts');
const REST = new Set(['rest-json', 'rest-xml']);

function arg(name) {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
}

function locateBotocore() {
  const explicit = arg('--botocore') ?? process.env.BOTOCORE_DIR;
  if (explicit) return resolve(explicit);
  const python = process.env.PYTHON ?? 'python3';
  try {
    return execFileSync(python, ['-c', 'import botocore,os;print(os.path.dirname(botocore.__file__))'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
  } catch (err) {
    throw new Error(`cannot locate botocore with ${python} (pip install -r scripts/requirements-test.txt, or pass --botocore DIR): ${err.message}`);
  }
}

function readJson(file) {
  if (existsSync(`${file}.gz`)) return JSON.parse(gunzipSync(readFileSync(`${file}.gz`)).toString('utf8'));
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  return undefined;
}

function botocoreVersion(dir) {
  const m = /__version__\s*=\s*['"]([^'"]+)['"]/.exec(readFileSync(join(dir, '__init__.py'), 'utf8'));
  return m ? m[1] : 'unknown';
}

/** The newest API version directory that holds a service model. */
function latestModel(serviceDir) {
  const versions = readdirSync(serviceDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  for (let i = versions.length - 1; i >= 0; i--) {
    const model = readJson(join(serviceDir, versions[i], 'service-2.json'));
    if (model) return model;
  }
  return undefined;
}

const byString = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

/** Required input members bound to `location`, as their wire names. */
function requiredAt(model, op, location) {
  const shape = op.input ? model.shapes[op.input.shape] : undefined;
  if (!shape || !shape.required) return [];
  const names = [];
  for (const member of shape.required) {
    const m = shape.members?.[member];
    if (m && m.location === location) {
      const wire = m.locationName ?? member;
      names.push(location === 'header' ? wire.toLowerCase() : wire);
    }
  }
  return names.sort(byString);
}

/**
 * The operation's host prefix with its `{Member}` labels rewritten to where the
 * value travels on the wire: `{h:x-amz-account-id}` (header), `{l:Name}` (path
 * label), `{q:name}` (query). A label bound elsewhere (the body) makes the
 * prefix unusable for endpoint resolution, so it is dropped.
 */
function hostPrefixOf(model, op) {
  const prefix = op.endpoint?.hostPrefix;
  if (!prefix) return undefined;
  const shape = op.input ? model.shapes[op.input.shape] : undefined;
  let usable = true;
  const rewritten = prefix.replace(/\{([^}]+)\}/g, (_, member) => {
    const m = shape?.members?.[member];
    const wire = m?.locationName ?? member;
    if (m?.location === 'header') return `{h:${wire.toLowerCase()}}`;
    if (m?.location === 'uri') return `{l:${wire}}`;
    if (m?.location === 'querystring') return `{q:${wire}}`;
    usable = false;
    return '';
  });
  return usable ? rewritten : undefined;
}

function routesOf(model) {
  const routes = [];
  for (const [name, op] of Object.entries(model.operations)) {
    const http = op.http ?? {};
    routes.push({
      method: (http.method ?? 'POST').toUpperCase(),
      uri: http.requestUri ?? '/',
      name,
      query: requiredAt(model, op, 'querystring'),
      headers: requiredAt(model, op, 'header'),
      hostPrefix: hostPrefixOf(model, op),
      deprecated: op.deprecated === true,
      expressControl: op.staticContextParams?.UseS3ExpressControlEndpoint?.value === true,
      opaqueBody: op.input ? model.shapes[op.input.shape]?.payload !== undefined : false,
    });
  }
  // Operations with identical wire constraints cannot be told apart on the wire.
  // Keep the current one over a deprecated alias (S3 GetBucketLifecycle →
  // GetBucketLifecycleConfiguration); when neither is deprecated and one is
  // served only by the S3 Express control endpoint (ListDirectoryBuckets vs
  // ListBuckets), keep both and mark that one, so the signing name decides.
  const groups = new Map();
  for (const r of routes) {
    const key = `${r.method} ${r.uri} ${r.query.join(',')} ${r.headers.join(',')}`;
    (groups.get(key) ?? groups.set(key, []).get(key)).push(r);
  }
  const kept = [];
  for (const group of groups.values()) {
    const current = group.filter((r) => !r.deprecated);
    const pool = current.length > 0 ? current : group;
    pool.sort((a, b) => byString(a.name, b.name));
    if (pool.length === 1) {
      kept.push(pool[0]);
      continue;
    }
    const general = pool.filter((r) => !r.expressControl);
    const express = pool.filter((r) => r.expressControl);
    kept.push(general[0] ?? pool[0]);
    if (general.length > 0 && express.length > 0) kept.push({ ...express[0], expressOnly: true });
  }
  kept.sort((a, b) => byString(a.uri, b.uri) || byString(a.method, b.method) || byString(a.name, b.name));
  return kept
    .map((r) => {
      let line = `${r.method} ${r.uri} ${r.name}`;
      if (r.query.length > 0) line += ` q=${r.query.join(',')}`;
      if (r.headers.length > 0) line += ` h=${r.headers.join(',')}`;
      if (r.hostPrefix) line += ` p=${r.hostPrefix}`;
      if (r.expressOnly) line += ' x';
      if (r.opaqueBody) line += ' b';
      return line;
    })
    .join('\n');
}

/**
 * botocore marks a shape `sensitive` for personal data as well as for secrets
 * (names, e-mail addresses, prompts, map coordinates …). The audit trail keeps
 * personal context and hides secrets, so only sensitive members whose name says
 * "credential" are kept — plus values the models type as parameter or
 * environment-variable values (SSM `Value`, Lambda and ECS environments), which
 * routinely hold passwords under any name.
 */
const SECRET_MEMBER =
  /password|passwd|passphrase|secret|token|credential|privatekey|keymaterial|plaintext|apikey|authkey|authcode|authorizationcode|sharedkey|seed$|otp$|pin$|pinblock|pinoffset|cryptogram|keyblock|assertion|presignedurl|connectionstring|customerkey|userdata|sessionkey|keyvalue|qrcodepng|logins?$|cookie/;
/** Pagination and idempotency tokens, identifiers and sizes are not secrets, whatever botocore says. */
const NOT_SECRET_MEMBER =
  /(nexttoken|pagetoken|paginationtoken|continuationtoken|clienttoken|requesttoken|idempotencytoken|tokens|maxtokenstosample|arn|id|name|type|prefix|count|length|expiration|expiry|expiresat|url)$/;
const SECRET_SHAPE = /parametervalue$|environmentvariables?(value)?$/;
const squash = (s) => s.toLowerCase().replace(/[^a-z0-9]/g, '');

function isSecretMember(memberName, shapeNames) {
  const name = squash(memberName);
  if (SECRET_MEMBER.test(name) && !NOT_SECRET_MEMBER.test(name)) return true;
  return shapeNames.some((s) => s !== undefined && SECRET_SHAPE.test(squash(s)));
}

/**
 * `Op=Name,name;Op2=…` for one service: every operation whose input or output
 * holds a secret member (at any depth), with that member's wire names (member
 * name, `locationName`, `queryName`), deduplicated case-insensitively. A secret
 * member is masked whole, so the walk does not descend into it.
 */
function sensitiveFieldsOf(model) {
  const shapes = model.shapes;
  const parts = [];
  for (const op of Object.keys(model.operations).sort(byString)) {
    const names = new Map();
    const seen = new Set();
    const walk = (shapeName) => {
      const shape = shapes[shapeName];
      if (shape === undefined || seen.has(shapeName)) return;
      seen.add(shapeName);
      if (shape.type === 'list') return walk(shape.member.shape);
      if (shape.type === 'map') return walk(shape.value.shape);
      if (shape.type !== 'structure') return;
      for (const [memberName, member] of Object.entries(shape.members ?? {})) {
        const target = shapes[member.shape] ?? {};
        const inner = target.type === 'list' ? target.member.shape : target.type === 'map' ? target.value.shape : undefined;
        const sensitive = member.sensitive === true || target.sensitive === true || (inner !== undefined && shapes[inner]?.sensitive === true);
        if (sensitive && isSecretMember(memberName, [member.shape, inner])) {
          for (const wire of [memberName, member.locationName, member.queryName]) {
            if (wire !== undefined && !names.has(wire.toLowerCase())) names.set(wire.toLowerCase(), wire);
          }
        } else {
          walk(member.shape);
        }
      }
    };
    const operation = model.operations[op];
    if (operation.input) walk(operation.input.shape);
    if (operation.output) walk(operation.output.shape);
    if (names.size > 0) parts.push(`${op}=${[...names.values()].sort(byString).join(',')}`);
  }
  return parts.join(';');
}

function serviceEntry(id, model) {
  const md = model.metadata;
  const protocols = Array.isArray(md.protocols) && md.protocols.length > 0 ? [...md.protocols] : [md.protocol];
  const entry = {
    id,
    signingName: (md.signingName ?? md.endpointPrefix).toLowerCase(),
    endpointPrefix: md.endpointPrefix,
    protocols,
    apiVersion: md.apiVersion,
  };
  if (md.targetPrefix) entry.targetPrefix = md.targetPrefix;
  if (md.jsonVersion) entry.jsonVersion = md.jsonVersion;
  if (md.awsQueryCompatible) entry.queryCompatible = true;
  if (md.globalEndpoint) entry.globalEndpoint = md.globalEndpoint;
  if (protocols.some((p) => REST.has(p))) {
    entry.routes = routesOf(model);
  } else {
    const hostPrefixes = {};
    for (const name of Object.keys(model.operations).sort(byString)) {
      const prefix = hostPrefixOf(model, model.operations[name]);
      if (prefix) hostPrefixes[name] = prefix;
    }
    if (Object.keys(hostPrefixes).length > 0) entry.hostPrefixes = hostPrefixes;
  }
  return entry;
}

/** Partitions with their DNS suffixes and the hostnames of non-regional services. */
function partitionsOf(dataDir) {
  const partitions = readJson(join(dataDir, 'partitions.json'))?.partitions ?? [];
  const endpoints = readJson(join(dataDir, 'endpoints.json'))?.partitions ?? [];
  return partitions
    .map((p) => {
      const legacy = endpoints.find((e) => e.partition === p.id);
      const globalEndpoints = {};
      for (const [prefix, svc] of Object.entries(legacy?.services ?? {}).sort(([a], [b]) => byString(a, b))) {
        if (svc.isRegionalized !== false || !svc.partitionEndpoint) continue;
        const ep = svc.endpoints?.[svc.partitionEndpoint];
        const region = ep?.credentialScope?.region;
        if (ep?.hostname && region) globalEndpoints[prefix] = { hostname: ep.hostname, region };
      }
      return {
        id: p.id,
        regionRegex: p.regionRegex,
        dnsSuffix: p.outputs.dnsSuffix,
        dualStackDnsSuffix: p.outputs.dualStackDnsSuffix,
        globalRegion: p.outputs.implicitGlobalRegion,
        globalEndpoints,
      };
    })
    .sort((a, b) => (a.id === 'aws' ? -1 : b.id === 'aws' ? 1 : byString(a.id, b.id)));
}

function main() {
  const botocore = locateBotocore();
  const dataDir = join(botocore, 'data');
  const services = [];
  const sensitive = {};
  for (const id of readdirSync(dataDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort(byString)) {
    const model = latestModel(join(dataDir, id));
    if (!model?.metadata || !model.operations) continue;
    services.push(serviceEntry(id, model));
    const fields = sensitiveFieldsOf(model);
    if (fields !== '') sensitive[id] = fields;
  }
  const data = { botocoreVersion: botocoreVersion(botocore), partitions: partitionsOf(dataDir), services };
  const json = JSON.stringify(data);
  // Single-quoted JS string around JSON: escape the backslashes JSON produced and the quotes.
  const literal = json.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
  const out = resolve(arg('--out') ?? DEFAULT_OUT);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    `// Generated by scripts/generate-aws-routes.mjs from botocore ${data.botocoreVersion}. Do not edit.\n` +
      `import type { AwsModelCatalogData } from '../model-data.js';\n\n` +
      `/** AWS service metadata and REST route tables (see model-data.ts for the format). */\n` +
      `export const AWS_MODELS: AwsModelCatalogData = JSON.parse('${literal}') as AwsModelCatalogData;\n`,
  );
  const routes = services.reduce((n, s) => n + (s.routes ? s.routes.split('\n').length : 0), 0);
  console.log(
    `aws-models: ${services.length} services, ${routes} REST routes, ${data.partitions.length} partitions ` +
      `from botocore ${data.botocoreVersion} → ${out.slice(ROOT.length + 1)} (${Math.round(Buffer.byteLength(json) / 1024)} KiB)`,
  );
  writeSensitiveFields(join(dirname(out), 'aws-sensitive-fields.ts'), sensitive, data.botocoreVersion);
}

function writeSensitiveFields(file, sensitive, version) {
  const json = JSON.stringify(sensitive, null, 1);
  writeFileSync(
    file,
    `// Generated by scripts/generate-aws-routes.mjs from botocore ${version}. Do not edit.\n\n` +
      `/**\n` +
      ` * Members that hold credentials or secret material, per service (botocore id):\n` +
      ` * \`Operation=Name,name;…\`, request and response members together, as wire names\n` +
      ` * (compare case-insensitively). Read by aws/sensitive-fields.ts.\n` +
      ` */\n` +
      `export const AWS_SENSITIVE_FIELDS: Readonly<Record<string, string>> = ${json};\n`,
  );
  const operations = Object.values(sensitive).reduce((n, s) => n + s.split(';').length, 0);
  console.log(
    `aws-sensitive-fields: ${operations} operations in ${Object.keys(sensitive).length} services → ` +
      `${file.slice(ROOT.length + 1)} (${Math.round(Buffer.byteLength(json) / 1024)} KiB)`,
  );
}

main();
