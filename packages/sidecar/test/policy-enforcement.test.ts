/**
 * GatewayPolicy enforcement with real clients: boto3 through the sidecar
 * against moto (IAM auth on). Allowed calls reach moto; denied and
 * approval-required calls are answered by the gateway in each protocol's own
 * error shape (S3 XML, query XML, JSON) and never reach moto; response
 * masking changes what boto3 receives (DynamoDB's CRC32 included, which
 * botocore checks); a policy role is assumed once per session through moto's
 * STS with the initiator as SourceIdentity.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { IAMClient, CreateRoleCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import type { AwsCallEvent } from '@agentrail/core';
import { boto3, cleanEnv } from './support/aws-clients.js';
import { delegate } from './support/container-credentials.js';
import { startMoto, type Moto } from './support/moto.js';
import { metricSum, scrape } from './support/prometheus-text.js';
import { startSidecar, type RunningSidecar } from './fixtures/sidecar-fixture.js';

jest.setTimeout(120_000);

const POLICY = `
apiVersion: agentrail.dev/v1alpha1
kind: GatewayPolicy
metadata: {name: enforcement, namespace: agents}
spec:
  defaultAction: Deny
  rules:
    - name: reports
      action: Allow
      operations: ["s3:*"]
      resources: ["arn:aws:s3:::reports", "arn:aws:s3:::reports/*"]
    - name: tables
      action: Allow
      operations: ["dynamodb:*"]
    - name: parameters
      action: Allow
      operations: ["ssm:*"]
    - name: nested-agents-never-delete
      action: Deny
      operations: ["*:Delete*"]
      when: "size(identity.chain) > 1"
    - name: iam-needs-a-human
      action: RequireApproval
      operations: ["iam:*"]
      approval: {approvers: {groups: [sre]}, grantTTL: 10m}
  masking:
    - operations: ["ssm:GetParameter"]
      fields: ["Parameter.Value"]
      in: [Response]
    - operations: ["dynamodb:GetItem"]
      fields: ["Item.password"]
      in: [Audit, Response]
`;

const work = mkdtempSync(join(tmpdir(), 'agentrail-policy-'));
let moto: Moto;
let sidecar: RunningSidecar;

beforeAll(async () => {
  moto = await startMoto();
  const file = join(work, 'policy.yaml');
  writeFileSync(file, POLICY);
  sidecar = await startSidecar(moto.endpoint, moto, { 'policy.file': file });
});

afterAll(async () => {
  await sidecar?.stop();
  await moto?.stop();
  rmSync(work, { recursive: true, force: true });
});

interface Outcome { ok?: unknown; code?: string; message?: string; status?: number }

/** Runs each named boto3 call; a ClientError becomes {code, message, status}. */
const CALLS = `
def run(f):
    try:
        return {"ok": f()}
    except ClientError as e:
        return client_error(e)
s3 = boto3.client("s3")
ddb = boto3.client("dynamodb")
`;

function lastCall(operation: string): AwsCallEvent | undefined {
  return sidecar.audit.calls().filter((c) => c.aws.operation === operation).at(-1);
}

describe('decisions with boto3', () => {
  it('allows what a rule allows and refuses the rest in each protocol\'s shape, without reaching moto', async () => {
    const child = await delegate(sidecar.endpoints.credentialsUrl, sidecar.endpoints.rootToken, 'cleanup');
    const setup = await boto3<Record<string, Outcome>>(`${CALLS}
s3.create_bucket(Bucket="reports")
s3.put_object(Bucket="reports", Key="q3.txt", Body=b"x")
ddb.create_table(TableName="t", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}], AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
emit({"other_bucket": run(lambda: s3.create_bucket(Bucket="elsewhere")),
      "default": run(lambda: boto3.client("sns").list_topics()),
      "approval": run(lambda: boto3.client("iam").create_user(UserName="x"))})
`, cleanEnv(sidecar.agentEnv('endpoint')));
    expect(setup.stderr).toBe('');
    const before = moto.requests();
    const nested = await boto3<Record<string, Outcome>>(`${CALLS}
emit({"s3": run(lambda: s3.delete_object(Bucket="reports", Key="q3.txt")),
      "dynamodb": run(lambda: ddb.delete_table(TableName="t")),
      "read": run(lambda: s3.get_object(Bucket="reports", Key="q3.txt")["Body"].read().decode())})
`, cleanEnv(sidecar.agentEnv('endpoint', child.token)));
    const r = { ...setup.json, ...nested.json } as Record<string, Outcome>;
    // S3 XML: 403 AccessDenied; query XML (SNS): 403 AccessDenied; JSON (DynamoDB): 400 AccessDeniedException.
    expect(r['other_bucket']).toMatchObject({ code: 'AccessDenied', status: 403 });
    expect(r['other_bucket']?.message).toMatch(/default of GatewayPolicy agents\/enforcement/);
    expect(r['default']).toMatchObject({ code: 'AccessDenied', status: 403 });
    expect(r['s3']).toMatchObject({ code: 'AccessDenied', status: 403 });
    expect(r['s3']?.message).toContain('rule nested-agents-never-delete');
    expect(r['dynamodb']).toMatchObject({ code: 'AccessDeniedException', status: 400 });
    expect(r['approval']).toMatchObject({ code: 'AccessDenied', status: 403 });
    expect(r['approval']?.message).toMatch(/approval required.*iam-needs-a-human/);
    expect(r['read']).toEqual({ ok: 'x' });
    // The two refused calls of the nested agent never reached moto: only its GetObject did.
    expect(await moto.waitForRequests(before + 1)).toBe(before + 1);

    expect(lastCall('s3:DeleteObject')?.decision).toMatchObject({ action: 'Deny', policy: 'agents/enforcement', rule: 'nested-agents-never-delete' });
    expect(lastCall('iam:CreateUser')?.decision).toMatchObject({ action: 'RequireApproval', rule: 'iam-needs-a-human' });
    expect(lastCall('s3:PutObject')?.decision).toMatchObject({ action: 'Allow', rule: 'reports' });
  });
});

describe('response masking', () => {
  it('boto3 receives masked values (DynamoDB CRC32 recomputed), and the trail never holds them', async () => {
    const r = await boto3<{ parameter: string; item: Record<string, { S: string }> }>(`${CALLS}
ssm = boto3.client("ssm")
ssm.put_parameter(Name="/db/password", Value="hunter2-parameter", Type="SecureString")
ddb.put_item(TableName="t", Item={"k": {"S": "alice"}, "password": {"S": "hunter2-item"}, "team": {"S": "research"}})
emit({"parameter": ssm.get_parameter(Name="/db/password", WithDecryption=True)["Parameter"]["Value"],
      "item": ddb.get_item(TableName="t", Key={"k": {"S": "alice"}})["Item"]})
`, cleanEnv(sidecar.agentEnv('endpoint')));
    expect(r.stderr).toBe('');
    expect(r.json?.parameter).toBe('***');
    expect(r.json?.item).toEqual({ k: { S: 'alice' }, password: { S: '***' }, team: { S: 'research' } });
    const trail = JSON.stringify(sidecar.audit.events);
    expect(trail).not.toContain('hunter2');
    expect(lastCall('dynamodb:GetItem')?.masking?.fields.join(' ')).toMatch(/password/);
  });
});

describe('upstream.roleArn', () => {
  it('signs with the role, assumed once per session with the initiator as SourceIdentity', async () => {
    const iam = new IAMClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials: moto, maxAttempts: 1 });
    const role = await iam.send(new CreateRoleCommand({
      RoleName: 'research-readonly',
      AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'] }] }),
    }));
    await iam.send(new PutRolePolicyCommand({ RoleName: 'research-readonly', PolicyName: 'all', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }) }));
    const file = join(work, 'role.yaml');
    writeFileSync(file, `apiVersion: agentrail.dev/v1alpha1
kind: GatewayPolicy
metadata: {name: with-role}
spec:
  defaultAction: Allow
  upstream: {roleArn: "${role.Role?.Arn}", sourceIdentity: Initiator}
`);
    const roleSidecar = await startSidecar(moto.endpoint, moto, { 'policy.file': file });
    try {
      const r = await boto3<{ arns: string[] }>(`
sts = boto3.client("sts")
emit({"arns": [sts.get_caller_identity()["Arn"] for _ in range(3)]})
`, cleanEnv(roleSidecar.agentEnv('endpoint')));
      expect(r.stderr).toBe('');
      const arns = r.json?.arns ?? [];
      expect(arns).toHaveLength(3);
      for (const arn of arns) expect(arn).toBe(`arn:aws:sts::${moto.accountId}:assumed-role/research-readonly/${roleSidecar.endpoints.rootSession.id}`);
      const metrics = await scrape(roleSidecar.endpoints.opsUrl);
      expect(metricSum(metrics, 'agentrail_sidecar_role_assumptions_total')).toBe(1);
      const call = roleSidecar.audit.calls().at(-1);
      expect(call?.aws).toMatchObject({ roleArn: role.Role?.Arn, sourceIdentity: 'alice@example.com' });
    } finally {
      await roleSidecar.stop();
    }
  });
});
