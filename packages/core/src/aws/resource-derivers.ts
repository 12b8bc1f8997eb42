import { parseAwsHost } from './aws-host.js';
import { arn, arnParams, isArn, label, queryParam, values, type ResourceContext, type ResourceDeriver } from './resource-context.js';
import { s3Resources } from './s3-resources.js';

const ACCOUNT_ID = /^\d{12}$/;
const PARTIAL_FUNCTION_ARN = /^\d{12}:function:/;
const ANY_STREAMS = /:\*$/;

/** Resource derivers by IAM service prefix. Services not listed get `arnParams`. */
export const RESOURCE_DERIVERS: ReadonlyMap<string, ResourceDeriver> = new Map(Object.entries({
  s3: s3Resources,
  s3express: s3Resources,

  sts(ctx) {
    const out = values(ctx, 'RoleArn');
    const name = ctx.params.one('Name');
    if (ctx.operation === 'GetFederationToken' && name !== undefined) out.push(arn(ctx, 'sts', `federated-user/${name}`, ''));
    return out;
  },

  iam(ctx) {
    // IAM ARNs carry the entity's path; a request names it only on create.
    const path = ctx.params.one('Path') ?? '/';
    const prefix = ctx.operation.startsWith('Create') && path.startsWith('/') && path.endsWith('/') ? path : '/';
    const out: string[] = [];
    const kinds: Array<[string, string]> = [
      ['UserName', 'user'],
      ['RoleName', 'role'],
      ['GroupName', 'group'],
      ['InstanceProfileName', 'instance-profile'],
    ];
    for (const [param, kind] of kinds) {
      for (const name of values(ctx, param)) out.push(arn(ctx, 'iam', `${kind}${prefix}${name}`, ''));
    }
    if (ctx.operation === 'CreatePolicy') {
      for (const name of values(ctx, 'PolicyName')) out.push(arn(ctx, 'iam', `policy${prefix}${name}`, ''));
    }
    return [...out, ...arnParams(ctx)];
  },

  dynamodb(ctx) {
    const out: string[] = [];
    const table = (name: string): string => (isArn(name) ? name : arn(ctx, 'dynamodb', `table/${name}`));
    for (const name of values(ctx, 'TableName')) {
      out.push(table(name));
      const index = ctx.params.one('IndexName');
      if (index !== undefined) out.push(`${table(name)}/index/${index}`);
    }
    const body = ctx.params.json() as Record<string, unknown> | undefined;
    const items = body?.RequestItems;
    if (items !== null && typeof items === 'object') for (const name of Object.keys(items)) out.push(table(name));
    const transact = body?.TransactItems;
    if (Array.isArray(transact)) {
      for (const item of transact) {
        if (item === null || typeof item !== 'object') continue;
        for (const action of Object.values(item as Record<string, unknown>)) {
          const name = (action as { TableName?: unknown } | null)?.TableName;
          if (typeof name === 'string') out.push(table(name));
        }
      }
    }
    for (const name of values(ctx, 'GlobalTableName')) out.push(arn(ctx, 'dynamodb', `global-table/${name}`, ''));
    return [...out, ...arnParams(ctx)];
  },

  sqs(ctx) {
    const out: string[] = [];
    for (const url of values(ctx, 'QueueUrl')) out.push(queueArn(ctx, url));
    if (out.length === 0 && ctx.req.path.length > 1) {
      // Old query clients address the queue by its URL path: POST /123456789012/name.
      const parts = ctx.req.path.split('/');
      if (parts.length === 3 && parts[2] !== '') out.push(queueArn(ctx, ctx.req.path));
    }
    const name = ctx.params.one('QueueName');
    if (name !== undefined) {
      const owner = ctx.params.one('QueueOwnerAWSAccountId') ?? ctx.account;
      out.push(arn(ctx, 'sqs', name, ctx.region, owner));
    }
    return out;
  },

  sns(ctx) {
    const name = ctx.params.one('Name');
    const out = ctx.operation === 'CreateTopic' && name !== undefined ? [arn(ctx, 'sns', name)] : [];
    return [...out, ...arnParams(ctx)];
  },

  lambda(ctx) {
    const out: string[] = [];
    const qualifier = queryParam(ctx, 'Qualifier');
    for (const fn of [label(ctx, 'FunctionName'), ctx.params.one('FunctionName')]) {
      if (fn === undefined || fn === '') continue;
      out.push(functionArn(ctx, fn, qualifier));
      break;
    }
    const layer = label(ctx, 'LayerName');
    if (layer !== undefined) {
      const base = isArn(layer) ? layer : arn(ctx, 'lambda', `layer:${layer}`);
      const version = label(ctx, 'VersionNumber');
      out.push(version === undefined ? base : `${base}:${version}`);
    }
    const uuid = label(ctx, 'UUID');
    if (uuid !== undefined) out.push(arn(ctx, 'lambda', `event-source-mapping:${uuid}`));
    return [...out, ...arnParams(ctx)];
  },

  secretsmanager(ctx) {
    const ids = [...values(ctx, 'SecretId'), ...values(ctx, 'SecretIdList')];
    const name = ctx.params.one('Name');
    if (ctx.operation === 'CreateSecret' && name !== undefined) ids.push(name);
    // Secret ARNs end in a random suffix (`-a1B2c3`) the name does not carry; IAM
    // policies match them with `secret:name-*`.
    return ids.map((id) => (isArn(id) ? id : arn(ctx, 'secretsmanager', `secret:${id}`)));
  },

  ssm(ctx) {
    const out: string[] = [];
    if (ctx.operation.includes('Parameter')) {
      for (const name of [...values(ctx, 'Name'), ...values(ctx, 'Names'), ...values(ctx, 'Path')]) {
        if (isArn(name)) {
          out.push(name);
          continue;
        }
        const colon = name.indexOf(':'); // `name:3` / `name:label` selects a version
        const bare = colon === -1 ? name : name.slice(0, colon);
        out.push(arn(ctx, 'ssm', `parameter${bare.startsWith('/') ? '' : '/'}${bare}`));
      }
      return out;
    }
    const docs = [...values(ctx, 'DocumentName'), ...(ctx.operation.includes('Document') ? values(ctx, 'Name') : [])];
    for (const doc of docs) {
      // AWS-owned documents live in no account.
      out.push(isArn(doc) ? doc : arn(ctx, 'ssm', `document/${doc}`, ctx.region, doc.startsWith('AWS-') ? '' : ctx.account));
    }
    for (const id of [...values(ctx, 'InstanceIds'), ...values(ctx, 'Target'), ...values(ctx, 'InstanceId')]) {
      if (id.startsWith('i-')) out.push(arn(ctx, 'ec2', `instance/${id}`));
      else if (id.startsWith('mi-')) out.push(arn(ctx, 'ssm', `managed-instance/${id}`));
    }
    return out;
  },

  kms(ctx) {
    const out: string[] = [];
    for (const param of ['KeyId', 'SourceKeyId', 'DestinationKeyId', 'TargetKeyId', 'AliasName']) {
      for (const id of values(ctx, param)) {
        if (isArn(id)) out.push(id);
        else if (id.startsWith('alias/')) out.push(arn(ctx, 'kms', id));
        else out.push(arn(ctx, 'kms', `key/${id}`));
      }
    }
    return out;
  },

  ec2(ctx) {
    const out: string[] = [];
    const kinds: Array<[string, string, boolean]> = [
      ['InstanceId', 'instance', true],
      ['VolumeId', 'volume', true],
      ['GroupId', 'security-group', true],
      ['SecurityGroupId', 'security-group', true],
      ['VpcId', 'vpc', true],
      ['SubnetId', 'subnet', true],
      // AMIs and snapshots are shared across accounts: their ARNs name none.
      ['ImageId', 'image', false],
      ['SnapshotId', 'snapshot', false],
    ];
    for (const [param, kind, owned] of kinds) {
      for (const id of values(ctx, param)) out.push(arn(ctx, 'ec2', `${kind}/${id}`, ctx.region, owned ? ctx.account : ''));
    }
    if (ctx.operation === 'RunInstances') out.push(arn(ctx, 'ec2', 'instance/*'));
    return out;
  },

  logs(ctx) {
    const out: string[] = [];
    const groups = [
      ...values(ctx, 'logGroupName'),
      ...values(ctx, 'logGroupIdentifier'),
      ...values(ctx, 'logGroupNames'),
      ...values(ctx, 'logGroupIdentifiers'),
    ];
    const stream = ctx.params.one('logStreamName');
    for (const group of groups) {
      const groupArn = isArn(group) ? group.replace(ANY_STREAMS, '') : arn(ctx, 'logs', `log-group:${group}`);
      out.push(groupArn);
      if (stream !== undefined) out.push(`${groupArn}:log-stream:${stream}`);
    }
    return [...out, ...arnParams(ctx)];
  },

  ecr(ctx) {
    const registry = ctx.params.one('registryId') ?? ctx.account;
    return [...values(ctx, 'repositoryName'), ...values(ctx, 'repositoryNames')].map((name) =>
      arn(ctx, 'ecr', `repository/${name}`, ctx.region, registry),
    );
  },

  eks(ctx) {
    const name = label(ctx, 'name') ?? (ctx.operation === 'CreateCluster' ? ctx.params.one('name') : undefined);
    const out = name === undefined ? [] : [arn(ctx, 'eks', `cluster/${name}`)];
    return [...out, ...arnParams(ctx)];
  },
} satisfies Record<string, ResourceDeriver>));

/** `https://sqs.eu-west-1.amazonaws.com/123456789012/name` (or its path) → queue ARN. */
function queueArn(ctx: ResourceContext, url: string): string {
  const scheme = url.indexOf('://');
  const slash = url.indexOf('/', scheme === -1 ? 0 : scheme + 3);
  const host = scheme === -1 ? '' : url.slice(scheme + 3, slash === -1 ? undefined : slash);
  const parts = (slash === -1 ? '' : url.slice(slash + 1)).split('/');
  const name = parts[parts.length - 1] ?? '';
  const account = parts.length >= 2 && ACCOUNT_ID.test(parts[parts.length - 2] as string) ? (parts[parts.length - 2] as string) : ctx.account;
  const region = parseAwsHost(host)?.region ?? ctx.region;
  return arn(ctx, 'sqs', name, region, account);
}

/** Lambda takes a name, `name:qualifier`, `account:function:name` or a full ARN. */
function functionArn(ctx: ResourceContext, fn: string, qualifier: string | undefined): string {
  let full: string;
  if (isArn(fn)) full = fn;
  else if (PARTIAL_FUNCTION_ARN.test(fn)) full = `arn:${ctx.partition}:lambda:${ctx.region}:${fn}`;
  else full = arn(ctx, 'lambda', `function:${fn}`);
  // `arn:…:function:name` has 7 parts; an 8th is already a qualifier.
  if (qualifier !== undefined && qualifier !== '' && full.split(':').length === 7) full = `${full}:${qualifier}`;
  return full;
}
