import type { ServiceModel } from './service-catalog.js';

/** What the router needs from a request. */
export interface RestRequest {
  method: string;
  /** Wire path (percent-encoded), starting with `/`. */
  path: string;
  query: ReadonlyArray<readonly [string, string]>;
  headers: Readonly<Record<string, string | undefined>>;
  signingName: string;
}

/** The operation a REST request was routed to. */
export interface RouteMatch {
  readonly model: ServiceModel;
  readonly operation: string;
  /** Path label values as sent (percent-encoded), by label name. */
  readonly labels: Readonly<Record<string, string>>;
  /** Host prefix template of the operation (`{h:x-amz-account-id}.`), if any. */
  readonly hostPrefix: string | undefined;
  /** The body is one opaque payload (Lambda Invoke), not request parameters. */
  readonly opaqueBody: boolean;
}

interface Route {
  model: ServiceModel;
  operation: string;
  /** Query literals of the requestUri (`?list-type=2` → ['list-type', '2'], `?uploads` → ['uploads', undefined]). */
  queryLiterals: Array<readonly [string, string | undefined]>;
  requiredQuery: string[];
  requiredHeaders: string[];
  /** Keys this route requires: a request carrying a key some rival requires and this one does not is ambiguous. */
  queryKeys: Set<string>;
  headerKeys: Set<string>;
  hostPrefix: string | undefined;
  expressOnly: boolean;
  opaqueBody: boolean;
  /** Number of constraints; with more literal path segments, more constraints = more specific. */
  score: number;
}

/** Routes sharing one method and path pattern. */
interface PathGroup {
  labelNames: string[];
  greedy: boolean;
  literalCount: number;
  routes: Route[];
  /** Union of the query keys / headers any route of the group requires. */
  queryKeys: Set<string>;
  headerKeys: string[];
}

interface TrieNode {
  literals: Map<string, TrieNode> | undefined;
  label: TrieNode | undefined;
  /** Groups whose pattern ends at this node. */
  end: PathGroup[];
  /** Groups whose greedy label (`{Key+}`) starts at this node. */
  greedy: PathGroup[];
}

const node = (): TrieNode => ({ literals: undefined, label: undefined, end: [], greedy: [] });

interface Candidate {
  group: PathGroup;
  values: string[];
}

/**
 * Matches REST requests (method + path + query + headers) against the route
 * tables of one or more service models, compiled once into a segment trie per
 * method. The most specific route wins: more literal path segments, then more
 * satisfied constraints (query literals, required query members, required
 * headers). A tie between different operations, or a request that also carries
 * a key only a rival route requires (`?acl` on an UploadPart), is reported as
 * no match: guessing would let a caller steer policy to the wrong operation.
 */
export class RestRouter {
  private readonly roots = new Map<string, TrieNode>();

  private constructor(models: readonly ServiceModel[]) {
    for (const model of models) {
      if (model.data.routes === undefined) continue;
      for (const line of model.data.routes.split('\n')) this.add(model, line);
    }
  }

  private static readonly cache = new Map<string, RestRouter>();

  /** The router for a set of models, compiled on first use and kept. */
  static forModels(models: readonly ServiceModel[]): RestRouter {
    const key = models.length === 1 ? (models[0] as ServiceModel).id : models.map((m) => m.id).join(' ');
    let router = RestRouter.cache.get(key);
    if (router === undefined) {
      router = new RestRouter(models);
      RestRouter.cache.set(key, router);
    }
    return router;
  }

  /** Routes the request; undefined when no route, or no single route, fits. */
  match(req: RestRequest): RouteMatch | undefined {
    const root = this.roots.get(req.method);
    const path = req.path;
    if (root === undefined || path.charCodeAt(0) !== 47 /* / */) return undefined;
    const segments = path.slice(1).split('/');
    // A trailing slash never changes the operation (`/bucket/` is the bucket).
    const count = segments[segments.length - 1] === '' ? segments.length - 1 : segments.length;
    const found: Candidate[] = [];
    walk(root, segments, count, 0, [], found);
    if (found.length === 0) return undefined;

    let best: Route | undefined;
    let bestValues: string[] = [];
    let bestGroup: PathGroup | undefined;
    let tied = false;
    for (const { group, values } of found) {
      for (const route of group.routes) {
        if (!satisfies(route, req)) continue;
        const score = route.score + (route.expressOnly ? 1 : 0);
        const bestScore = best === undefined ? -1 : best.score + (best.expressOnly ? 1 : 0);
        const cmp = bestGroup === undefined ? 1 : group.literalCount - bestGroup.literalCount || score - bestScore;
        if (cmp > 0) {
          best = route;
          bestValues = values;
          bestGroup = group;
          tied = false;
        } else if (cmp === 0 && route.operation !== best?.operation) {
          tied = true;
        }
      }
    }
    if (best === undefined || bestGroup === undefined || tied) return undefined;
    for (const { group } of found) {
      if (carriesRivalKey(group, best, req)) return undefined;
    }
    const labels: Record<string, string> = {};
    bestGroup.labelNames.forEach((name, i) => {
      labels[name] = bestValues[i] as string;
    });
    return { model: best.model, operation: best.operation, labels, hostPrefix: best.hostPrefix, opaqueBody: best.opaqueBody };
  }

  private add(model: ServiceModel, line: string): void {
    const parts = line.split(' ');
    const [method, uri, operation] = parts as [string, string, string];
    const q = uri.indexOf('?');
    const pathPart = q === -1 ? uri : uri.slice(0, q);
    const queryLiterals: Array<readonly [string, string | undefined]> = [];
    if (q !== -1) {
      for (const pair of uri.slice(q + 1).split('&')) {
        if (pair === '') continue;
        const eq = pair.indexOf('=');
        queryLiterals.push(eq === -1 ? [pair, undefined] : [pair.slice(0, eq), pair.slice(eq + 1)]);
      }
    }
    let requiredQuery: string[] = [];
    let requiredHeaders: string[] = [];
    let hostPrefix: string | undefined;
    let expressOnly = false;
    let opaqueBody = false;
    for (const extra of parts.slice(3)) {
      if (extra.startsWith('q=')) requiredQuery = extra.slice(2).split(',');
      else if (extra.startsWith('h=')) requiredHeaders = extra.slice(2).split(',');
      else if (extra.startsWith('p=')) hostPrefix = extra.slice(2);
      else if (extra === 'x') expressOnly = true;
      else if (extra === 'b') opaqueBody = true;
    }
    const route: Route = {
      model,
      operation,
      queryLiterals,
      requiredQuery,
      requiredHeaders,
      queryKeys: new Set([...queryLiterals.map(([k]) => k), ...requiredQuery]),
      headerKeys: new Set(requiredHeaders),
      hostPrefix,
      expressOnly,
      opaqueBody,
      score: queryLiterals.length + requiredQuery.length + requiredHeaders.length,
    };

    let at = this.roots.get(method);
    if (at === undefined) this.roots.set(method, (at = node()));
    const segs = pathPart.slice(1).split('/');
    if (segs[segs.length - 1] === '') segs.pop();
    const labelNames: string[] = [];
    let greedy = false;
    let literalCount = 0;
    for (let i = 0; i < segs.length; i++) {
      const seg = segs[i] as string;
      if (seg.startsWith('{') && seg.endsWith('}')) {
        const name = seg.slice(1, -1);
        if (name.endsWith('+') && i === segs.length - 1) {
          labelNames.push(name.slice(0, -1));
          greedy = true;
          break;
        }
        labelNames.push(name);
        at = at.label ?? (at.label = node());
      } else {
        literalCount++;
        at.literals ??= new Map();
        let next = at.literals.get(seg);
        if (next === undefined) at.literals.set(seg, (next = node()));
        at = next;
      }
    }
    const list = greedy ? at.greedy : at.end;
    let group = list.find((g) => g.greedy === greedy && sameNames(g.labelNames, labelNames));
    if (group === undefined) {
      group = { labelNames, greedy, literalCount, routes: [], queryKeys: new Set(), headerKeys: [] };
      list.push(group);
    }
    group.routes.push(route);
    for (const k of route.queryKeys) group.queryKeys.add(k);
    for (const h of requiredHeaders) if (!group.headerKeys.includes(h)) group.headerKeys.push(h);
  }
}

function sameNames(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}

function walk(at: TrieNode, segments: string[], count: number, i: number, values: string[], found: Candidate[]): void {
  if (i === count) {
    for (const group of at.end) found.push({ group, values: values.slice() });
    return;
  }
  if (at.greedy.length > 0) {
    // The greedy label takes the rest of the path, trailing slash included (S3 key `dir/`).
    const rest = segments.slice(i).join('/');
    for (const group of at.greedy) found.push({ group, values: [...values, rest] });
  }
  const seg = segments[i] as string;
  if (at.literals !== undefined) {
    const next = at.literals.get(seg.includes('%') ? decodeSegment(seg) : seg);
    if (next !== undefined) walk(next, segments, count, i + 1, values, found);
  }
  if (at.label !== undefined && seg !== '') {
    values.push(seg);
    walk(at.label, segments, count, i + 1, values, found);
    values.pop();
  }
}

function decodeSegment(seg: string): string {
  try {
    return decodeURIComponent(seg);
  } catch {
    return seg;
  }
}

function queryValue(query: ReadonlyArray<readonly [string, string]>, key: string): string | undefined {
  for (let i = 0; i < query.length; i++) {
    const pair = query[i] as readonly [string, string];
    if (pair[0] === key) return pair[1];
  }
  return undefined;
}

function satisfies(route: Route, req: RestRequest): boolean {
  if (route.expressOnly && req.signingName !== 's3express') return false;
  for (const [key, literal] of route.queryLiterals) {
    const value = queryValue(req.query, key);
    if (value === undefined || (literal !== undefined && value !== literal)) return false;
  }
  for (const key of route.requiredQuery) if (queryValue(req.query, key) === undefined) return false;
  for (const h of route.requiredHeaders) if (req.headers[h] === undefined) return false;
  return true;
}

function carriesRivalKey(group: PathGroup, winner: Route, req: RestRequest): boolean {
  if (group.queryKeys.size > 0) {
    for (const [key] of req.query) {
      if (group.queryKeys.has(key) && !winner.queryKeys.has(key)) return true;
    }
  }
  for (const h of group.headerKeys) {
    if (req.headers[h] !== undefined && !winner.headerKeys.has(h)) return true;
  }
  return false;
}
