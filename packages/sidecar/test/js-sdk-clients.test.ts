/**
 * The AWS SDK for JavaScript v3 through the sidecar (endpoint mode), with its
 * real container-credentials provider: against moto (IAM auth enforced) for
 * the services moto verifies, and against our SigV4-checking upstream for the
 * REST-JSON services whose valid signatures moto refuses (Lambda, EKS).
 */
import { createHash, randomBytes } from 'node:crypto';
import { jest } from '@jest/globals';
import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { S3Client, CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { DynamoDBClient, CreateTableCommand, PutItemCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { SQSClient, CreateQueueCommand, SendMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { SNSClient, CreateTopicCommand, PublishCommand } from '@aws-sdk/client-sns';
import { IAMClient, CreateUserCommand } from '@aws-sdk/client-iam';
import { SecretsManagerClient, CreateSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { KMSClient, CreateKeyCommand, EncryptCommand, DecryptCommand } from '@aws-sdk/client-kms';
import { SSMClient, PutParameterCommand, GetParameterCommand } from '@aws-sdk/client-ssm';
import { EC2Client, DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { CloudWatchLogsClient, CreateLogGroupCommand, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { LambdaClient, InvokeCommand } from '@aws-sdk/client-lambda';
import { EKSClient, DescribeClusterCommand } from '@aws-sdk/client-eks';
import { startMoto, type Moto } from './support/moto.js';
import { startSigV4Upstream, type SigV4Upstream } from './support/sigv4-upstream.js';
import { startSidecar, type RunningSidecar } from './fixtures/sidecar-fixture.js';

jest.setTimeout(120_000);

let moto: Moto;
let sidecar: RunningSidecar;

beforeAll(async () => {
  moto = await startMoto();
  sidecar = await startSidecar(moto.endpoint, moto);
});

afterAll(async () => {
  await sidecar?.stop();
  await moto?.stop();
});

describe('AWS SDK for JavaScript v3 against moto', () => {
  it('sts: the caller is the identity only the sidecar holds', async () => {
    const out = await new STSClient(sidecar.sdkConfig()).send(new GetCallerIdentityCommand({}));
    expect(out.Account).toBe(moto.accountId);
  });

  it('s3: a 12 MB multipart upload (lib-storage) and a plain put come back byte for byte', async () => {
    const s3 = new S3Client({ ...sidecar.sdkConfig(), forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: 'js-sdk' }));
    const data = randomBytes(12 * 1024 * 1024);
    await new Upload({ client: s3, params: { Bucket: 'js-sdk', Key: 'big', Body: data }, partSize: 5 * 1024 * 1024, queueSize: 2 }).done();
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'js-sdk', Key: 'big' }));
    expect(head.ETag).toMatch(/-3"$/);
    const got = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: 'js-sdk', Key: 'big' }))).Body!.transformToByteArray());
    expect(createHash('sha256').update(got).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
    await s3.send(new PutObjectCommand({ Bucket: 'js-sdk', Key: 'small', Body: 'small body' }));
    const small = await (await s3.send(new GetObjectCommand({ Bucket: 'js-sdk', Key: 'small' }))).Body!.transformToString();
    expect(small).toBe('small body');
  });

  it('dynamodb, sqs, sns, iam, secrets manager, kms, ssm, ec2, logs', async () => {
    const cfg = sidecar.sdkConfig();
    const ddb = new DynamoDBClient(cfg);
    await ddb.send(new CreateTableCommand({ TableName: 'js', AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], BillingMode: 'PAY_PER_REQUEST' }));
    await ddb.send(new PutItemCommand({ TableName: 'js', Item: { id: { S: '1' }, v: { S: 'from js' } } }));
    expect((await ddb.send(new GetItemCommand({ TableName: 'js', Key: { id: { S: '1' } } }))).Item?.['v']?.S).toBe('from js');

    const sqs = new SQSClient(cfg);
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'js' }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'js message' }));
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }))).Messages?.[0]?.Body).toBe('js message');

    const sns = new SNSClient(cfg);
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'js' }));
    expect((await sns.send(new PublishCommand({ TopicArn, Message: 'm' }))).MessageId).toBeTruthy();

    expect((await new IAMClient(cfg).send(new CreateUserCommand({ UserName: 'js-user' }))).User?.UserName).toBe('js-user');

    const sm = new SecretsManagerClient(cfg);
    await sm.send(new CreateSecretCommand({ Name: 'js-secret', SecretString: 'js-pass' }));
    expect((await sm.send(new GetSecretValueCommand({ SecretId: 'js-secret' }))).SecretString).toBe('js-pass');

    const kms = new KMSClient(cfg);
    const key = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    const blob = (await kms.send(new EncryptCommand({ KeyId: key, Plaintext: Buffer.from('js plaintext') }))).CiphertextBlob;
    expect(Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob: blob }))).Plaintext!).toString()).toBe('js plaintext');

    const ssm = new SSMClient(cfg);
    await ssm.send(new PutParameterCommand({ Name: '/js/param', Value: 'js-param', Type: 'SecureString' }));
    expect((await ssm.send(new GetParameterCommand({ Name: '/js/param', WithDecryption: true }))).Parameter?.Value).toBe('js-param');

    expect((await new EC2Client(cfg).send(new DescribeInstancesCommand({}))).Reservations).toEqual([]);

    const logs = new CloudWatchLogsClient(cfg);
    await logs.send(new CreateLogGroupCommand({ logGroupName: '/js/group' }));
    expect((await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/js/' }))).logGroups?.map((g) => g.logGroupName)).toEqual(['/js/group']);
  });
});

describe('AWS SDK for JavaScript v3 against the SigV4-checking upstream (REST-JSON)', () => {
  let upstream: SigV4Upstream;
  let viaUpstream: RunningSidecar;
  const keys = { accessKeyId: 'AKIAUPSTREAMEXAMPLE1', secretAccessKey: 'upstream/secret/only/the/sidecar/holds' };

  beforeAll(async () => {
    upstream = await startSigV4Upstream(keys);
    viaUpstream = await startSidecar(upstream.endpoint, keys);
  });
  afterAll(async () => {
    await viaUpstream?.stop();
    await upstream?.stop();
  });

  it('lambda Invoke and eks DescribeCluster arrive re-signed with the upstream keys', async () => {
    const cfg = viaUpstream.sdkConfig();
    const invoked = await new LambdaClient(cfg).send(new InvokeCommand({ FunctionName: 'my-function', Payload: Buffer.from('{"hello":"world"}') }));
    expect(invoked.StatusCode).toBe(200);
    await new EKSClient(cfg).send(new DescribeClusterCommand({ name: 'prod' })).catch(() => undefined);
    expect(upstream.failures()).toEqual([]);
    const seen = upstream.requests.map((r) => `${r.method} ${r.path} ${r.service} ${r.verified}`);
    expect(seen).toEqual([
      'POST /2015-03-31/functions/my-function/invocations lambda true',
      'GET /clusters/prod eks true',
    ]);
  });
});
