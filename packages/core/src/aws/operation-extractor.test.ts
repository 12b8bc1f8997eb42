import { CloudWatchLogsClient, CreateLogGroupCommand, DescribeLogGroupsCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { BatchWriteItemCommand, DynamoDBClient, GetItemCommand, ListTablesCommand, QueryCommand, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { DescribeInstancesCommand, DescribeVpcsCommand, EC2Client, RunInstancesCommand, StopInstancesCommand } from '@aws-sdk/client-ec2';
import { BatchGetImageCommand, DescribeRepositoriesCommand, ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { CreateClusterCommand, DescribeClusterCommand, DescribeNodegroupCommand, EKSClient, ListClustersCommand, TagResourceCommand } from '@aws-sdk/client-eks';
import { AddUserToGroupCommand, AttachRolePolicyCommand, CreateUserCommand, IAMClient, ListUsersCommand } from '@aws-sdk/client-iam';
import { CreateAliasCommand, DecryptCommand, DescribeKeyCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateFunctionCommand, GetFunctionCommand, InvokeCommand, LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetBucketPolicyCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { CreateSecretCommand, GetSecretValueCommand, ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateTopicCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { CreateQueueCommand, ListQueuesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetParameterCommand, GetParametersCommand, SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { extractOperation } from './operation-extractor.js';
import { capturingHandler, jsRequest } from './testing/sdk-requests.js';
import type { AwsProtocol } from './types.js';

const ACCOUNT = '123456789012';
const config = (region = 'us-east-1', extra: Record<string, unknown> = {}) => ({
  region,
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
  requestHandler: capturingHandler,
  maxAttempts: 1,
  ...extra,
});

interface Case {
  name: string;
  client: () => { send(command: never): Promise<unknown> };
  command: unknown;
  action: string;
  resources: string[];
  protocol?: AwsProtocol;
}

const s3 = () => new S3Client(config('us-west-2'));
const s3PathStyle = () => new S3Client(config('us-west-2', { forcePathStyle: true }));
const s3Arn = (rest: string) => `arn:aws:s3:::${rest}`;
const multipart = { Bucket: 'reports', Key: 'big/file.bin', UploadId: 'up-1' };

const cases: Case[] = [
  // S3 — virtual-hosted by default, path style when forced.
  { name: 'S3 ListBuckets', client: s3, command: new ListBucketsCommand({}), action: 's3:ListBuckets', resources: ['*'], protocol: 'rest-xml' },
  { name: 'S3 ListObjectsV2', client: s3, command: new ListObjectsV2Command({ Bucket: 'reports', Prefix: '2024/' }), action: 's3:ListObjectsV2', resources: [s3Arn('reports')] },
  { name: 'S3 ListObjects (v1)', client: s3, command: new ListObjectsCommand({ Bucket: 'reports' }), action: 's3:ListObjects', resources: [s3Arn('reports')] },
  { name: 'S3 GetObject, key with space and slash', client: s3, command: new GetObjectCommand({ Bucket: 'reports', Key: '2024/q1 report.pdf' }), action: 's3:GetObject', resources: [s3Arn('reports/2024/q1 report.pdf')] },
  { name: 'S3 GetObject path style', client: s3PathStyle, command: new GetObjectCommand({ Bucket: 'reports', Key: 'a+b.txt' }), action: 's3:GetObject', resources: [s3Arn('reports/a+b.txt')] },
  { name: 'S3 GetObject dotted bucket', client: s3, command: new GetObjectCommand({ Bucket: 'my.reports', Key: 'k' }), action: 's3:GetObject', resources: [s3Arn('my.reports/k')] },
  { name: 'S3 HeadObject', client: s3, command: new HeadObjectCommand({ Bucket: 'reports', Key: 'k' }), action: 's3:HeadObject', resources: [s3Arn('reports/k')] },
  { name: 'S3 PutObject', client: s3, command: new PutObjectCommand({ Bucket: 'reports', Key: 'dir/new.txt', Body: 'hello' }), action: 's3:PutObject', resources: [s3Arn('reports/dir/new.txt')] },
  {
    name: 'S3 CopyObject (x-amz-copy-source)',
    client: s3,
    command: new CopyObjectCommand({ Bucket: 'dst', Key: 'copy.txt', CopySource: 'src/dir/a%20b.txt?versionId=3' }),
    action: 's3:CopyObject',
    resources: [s3Arn('dst/copy.txt'), s3Arn('src/dir/a b.txt')],
  },
  { name: 'S3 CreateMultipartUpload (?uploads)', client: s3, command: new CreateMultipartUploadCommand({ Bucket: 'reports', Key: 'big/file.bin' }), action: 's3:CreateMultipartUpload', resources: [s3Arn('reports/big/file.bin')] },
  { name: 'S3 UploadPart (?partNumber&uploadId)', client: s3, command: new UploadPartCommand({ ...multipart, PartNumber: 1, Body: 'part' }), action: 's3:UploadPart', resources: [s3Arn('reports/big/file.bin')] },
  {
    name: 'S3 CompleteMultipartUpload',
    client: s3,
    command: new CompleteMultipartUploadCommand({ ...multipart, MultipartUpload: { Parts: [{ ETag: '"e1"', PartNumber: 1 }] } }),
    action: 's3:CompleteMultipartUpload',
    resources: [s3Arn('reports/big/file.bin')],
  },
  { name: 'S3 AbortMultipartUpload', client: s3, command: new AbortMultipartUploadCommand(multipart), action: 's3:AbortMultipartUpload', resources: [s3Arn('reports/big/file.bin')] },
  { name: 'S3 ListParts', client: s3, command: new ListPartsCommand(multipart), action: 's3:ListParts', resources: [s3Arn('reports/big/file.bin')] },
  {
    name: 'S3 DeleteObjects (keys from the XML body)',
    client: s3,
    command: new DeleteObjectsCommand({ Bucket: 'reports', Delete: { Objects: [{ Key: 'a.txt' }, { Key: 'b&c.txt' }] } }),
    action: 's3:DeleteObjects',
    resources: [s3Arn('reports'), s3Arn('reports/a.txt'), s3Arn('reports/b&c.txt')],
  },
  { name: 'S3 GetObjectTagging', client: s3, command: new GetObjectTaggingCommand({ Bucket: 'reports', Key: 'k' }), action: 's3:GetObjectTagging', resources: [s3Arn('reports/k')] },
  { name: 'S3 GetBucketPolicy', client: s3, command: new GetBucketPolicyCommand({ Bucket: 'reports' }), action: 's3:GetBucketPolicy', resources: [s3Arn('reports')] },

  // STS, IAM — query protocol.
  { name: 'STS GetCallerIdentity', client: () => new STSClient(config()), command: new GetCallerIdentityCommand({}), action: 'sts:GetCallerIdentity', resources: ['*'], protocol: 'query' },
  {
    name: 'STS AssumeRole',
    client: () => new STSClient(config()),
    command: new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::111122223333:role/deploy', RoleSessionName: 's' }),
    action: 'sts:AssumeRole',
    resources: ['arn:aws:iam::111122223333:role/deploy'],
  },
  { name: 'IAM CreateUser with path', client: () => new IAMClient(config()), command: new CreateUserCommand({ UserName: 'alice', Path: '/eng/' }), action: 'iam:CreateUser', resources: [`arn:aws:iam::${ACCOUNT}:user/eng/alice`] },
  {
    name: 'IAM AttachRolePolicy',
    client: () => new IAMClient(config()),
    command: new AttachRolePolicyCommand({ RoleName: 'app', PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }),
    action: 'iam:AttachRolePolicy',
    resources: [`arn:aws:iam::${ACCOUNT}:role/app`, 'arn:aws:iam::aws:policy/ReadOnlyAccess'],
  },
  {
    name: 'IAM AddUserToGroup',
    client: () => new IAMClient(config()),
    command: new AddUserToGroupCommand({ GroupName: 'ops', UserName: 'bob' }),
    action: 'iam:AddUserToGroup',
    resources: [`arn:aws:iam::${ACCOUNT}:user/bob`, `arn:aws:iam::${ACCOUNT}:group/ops`],
  },
  { name: 'IAM ListUsers', client: () => new IAMClient(config()), command: new ListUsersCommand({}), action: 'iam:ListUsers', resources: ['*'] },

  // DynamoDB — JSON 1.0.
  { name: 'DynamoDB GetItem', client: () => new DynamoDBClient(config('eu-west-1')), command: new GetItemCommand({ TableName: 'orders', Key: { id: { S: '1' } } }), action: 'dynamodb:GetItem', resources: [`arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/orders`], protocol: 'json' },
  {
    name: 'DynamoDB Query on an index',
    client: () => new DynamoDBClient(config('eu-west-1')),
    command: new QueryCommand({ TableName: 'orders', IndexName: 'by-user', KeyConditionExpression: 'u = :u', ExpressionAttributeValues: { ':u': { S: 'x' } } }),
    action: 'dynamodb:Query',
    resources: [`arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/orders`, `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/orders/index/by-user`],
  },
  {
    name: 'DynamoDB BatchWriteItem',
    client: () => new DynamoDBClient(config('eu-west-1')),
    command: new BatchWriteItemCommand({ RequestItems: { a: [{ PutRequest: { Item: { id: { S: '1' } } } }], b: [{ DeleteRequest: { Key: { id: { S: '2' } } } }] } }),
    action: 'dynamodb:BatchWriteItem',
    resources: [`arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/a`, `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/b`],
  },
  {
    name: 'DynamoDB TransactWriteItems',
    client: () => new DynamoDBClient(config('eu-west-1')),
    command: new TransactWriteItemsCommand({ TransactItems: [{ Put: { TableName: 'a', Item: { id: { S: '1' } } } }, { Delete: { TableName: 'c', Key: { id: { S: '1' } } } }] }),
    action: 'dynamodb:TransactWriteItems',
    resources: [`arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/a`, `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/c`],
  },
  { name: 'DynamoDB ListTables', client: () => new DynamoDBClient(config('eu-west-1')), command: new ListTablesCommand({}), action: 'dynamodb:ListTables', resources: ['*'] },

  // SQS — JSON (the JS SDK's form since 2023).
  {
    name: 'SQS SendMessage (JSON)',
    client: () => new SQSClient(config('eu-west-1')),
    command: new SendMessageCommand({ QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/444455556666/jobs', MessageBody: 'hi' }),
    action: 'sqs:SendMessage',
    resources: ['arn:aws:sqs:eu-west-1:444455556666:jobs'],
    protocol: 'json',
  },
  {
    name: 'SQS ReceiveMessage (JSON)',
    client: () => new SQSClient(config('eu-west-1')),
    command: new ReceiveMessageCommand({ QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/444455556666/jobs' }),
    action: 'sqs:ReceiveMessage',
    resources: ['arn:aws:sqs:eu-west-1:444455556666:jobs'],
  },
  { name: 'SQS CreateQueue', client: () => new SQSClient(config('eu-west-1')), command: new CreateQueueCommand({ QueueName: 'jobs' }), action: 'sqs:CreateQueue', resources: [`arn:aws:sqs:eu-west-1:${ACCOUNT}:jobs`] },
  { name: 'SQS ListQueues', client: () => new SQSClient(config('eu-west-1')), command: new ListQueuesCommand({}), action: 'sqs:ListQueues', resources: ['*'] },

  // SNS — query.
  {
    name: 'SNS Publish',
    client: () => new SNSClient(config()),
    command: new PublishCommand({ TopicArn: `arn:aws:sns:us-east-1:${ACCOUNT}:alerts`, Message: 'x' }),
    action: 'sns:Publish',
    resources: [`arn:aws:sns:us-east-1:${ACCOUNT}:alerts`],
  },
  { name: 'SNS CreateTopic', client: () => new SNSClient(config()), command: new CreateTopicCommand({ Name: 'alerts' }), action: 'sns:CreateTopic', resources: [`arn:aws:sns:us-east-1:${ACCOUNT}:alerts`] },

  // Lambda — REST-JSON.
  {
    name: 'Lambda Invoke with qualifier (payload is not parameters)',
    client: () => new LambdaClient(config()),
    command: new InvokeCommand({ FunctionName: 'fn', Qualifier: 'prod', Payload: Buffer.from('{"FunctionName":"other","TopicArn":"arn:aws:sns:us-east-1:1:t"}') }),
    action: 'lambda:Invoke',
    resources: [`arn:aws:lambda:us-east-1:${ACCOUNT}:function:fn:prod`],
    protocol: 'rest-json',
  },
  {
    name: 'Lambda GetFunction by ARN',
    client: () => new LambdaClient(config()),
    command: new GetFunctionCommand({ FunctionName: 'arn:aws:lambda:us-east-1:111122223333:function:other' }),
    action: 'lambda:GetFunction',
    resources: ['arn:aws:lambda:us-east-1:111122223333:function:other'],
  },
  {
    name: 'Lambda CreateFunction (name in the body)',
    client: () => new LambdaClient(config()),
    command: new CreateFunctionCommand({ FunctionName: 'newfn', Role: 'arn:aws:iam::123456789012:role/lambda', Code: { ZipFile: Buffer.from('zip') }, Runtime: 'nodejs22.x', Handler: 'index.h' }),
    action: 'lambda:CreateFunction',
    resources: [`arn:aws:lambda:us-east-1:${ACCOUNT}:function:newfn`],
  },
  { name: 'Lambda ListFunctions', client: () => new LambdaClient(config()), command: new ListFunctionsCommand({}), action: 'lambda:ListFunctions', resources: ['*'] },

  // Secrets Manager, SSM, KMS, Logs, ECR — JSON 1.1.
  { name: 'SecretsManager GetSecretValue by name', client: () => new SecretsManagerClient(config()), command: new GetSecretValueCommand({ SecretId: 'prod/db' }), action: 'secretsmanager:GetSecretValue', resources: [`arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:prod/db`] },
  {
    name: 'SecretsManager GetSecretValue by ARN',
    client: () => new SecretsManagerClient(config()),
    command: new GetSecretValueCommand({ SecretId: `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:prod/db-AbCdEf` }),
    action: 'secretsmanager:GetSecretValue',
    resources: [`arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:prod/db-AbCdEf`],
  },
  { name: 'SecretsManager CreateSecret', client: () => new SecretsManagerClient(config()), command: new CreateSecretCommand({ Name: 'new', SecretString: 's' }), action: 'secretsmanager:CreateSecret', resources: [`arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:new`] },
  { name: 'SecretsManager ListSecrets', client: () => new SecretsManagerClient(config()), command: new ListSecretsCommand({}), action: 'secretsmanager:ListSecrets', resources: ['*'] },
  { name: 'SSM GetParameter', client: () => new SSMClient(config()), command: new GetParameterCommand({ Name: '/app/db/password', WithDecryption: true }), action: 'ssm:GetParameter', resources: [`arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/app/db/password`] },
  {
    name: 'SSM GetParameters',
    client: () => new SSMClient(config()),
    command: new GetParametersCommand({ Names: ['plain', '/a/b:3'] }),
    action: 'ssm:GetParameters',
    resources: [`arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/plain`, `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/a/b`],
  },
  {
    name: 'SSM SendCommand',
    client: () => new SSMClient(config()),
    command: new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: ['i-0abc'], Parameters: { commands: ['id'] } }),
    action: 'ssm:SendCommand',
    resources: ['arn:aws:ssm:us-east-1::document/AWS-RunShellScript', `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/i-0abc`],
  },
  { name: 'KMS Encrypt with alias', client: () => new KMSClient(config()), command: new EncryptCommand({ KeyId: 'alias/app', Plaintext: Buffer.from('x') }), action: 'kms:Encrypt', resources: [`arn:aws:kms:us-east-1:${ACCOUNT}:alias/app`] },
  { name: 'KMS Decrypt without key id', client: () => new KMSClient(config()), command: new DecryptCommand({ CiphertextBlob: Buffer.from('x') }), action: 'kms:Decrypt', resources: ['*'] },
  {
    name: 'KMS DescribeKey by id',
    client: () => new KMSClient(config()),
    command: new DescribeKeyCommand({ KeyId: '1234abcd-12ab-34cd-56ef-1234567890ab' }),
    action: 'kms:DescribeKey',
    resources: [`arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`],
  },
  {
    name: 'KMS CreateAlias',
    client: () => new KMSClient(config()),
    command: new CreateAliasCommand({ AliasName: 'alias/x', TargetKeyId: 'k1' }),
    action: 'kms:CreateAlias',
    resources: [`arn:aws:kms:us-east-1:${ACCOUNT}:key/k1`, `arn:aws:kms:us-east-1:${ACCOUNT}:alias/x`],
  },
  {
    name: 'Logs PutLogEvents',
    client: () => new CloudWatchLogsClient(config()),
    command: new PutLogEventsCommand({ logGroupName: '/app/web', logStreamName: 's1', logEvents: [{ timestamp: 1, message: 'm' }] }),
    action: 'logs:PutLogEvents',
    resources: [`arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/app/web`, `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/app/web:log-stream:s1`],
  },
  { name: 'Logs CreateLogGroup', client: () => new CloudWatchLogsClient(config()), command: new CreateLogGroupCommand({ logGroupName: 'g' }), action: 'logs:CreateLogGroup', resources: [`arn:aws:logs:us-east-1:${ACCOUNT}:log-group:g`] },
  { name: 'Logs DescribeLogGroups', client: () => new CloudWatchLogsClient(config()), command: new DescribeLogGroupsCommand({}), action: 'logs:DescribeLogGroups', resources: ['*'] },
  { name: 'ECR DescribeRepositories', client: () => new ECRClient(config()), command: new DescribeRepositoriesCommand({ repositoryNames: ['app'] }), action: 'ecr:DescribeRepositories', resources: [`arn:aws:ecr:us-east-1:${ACCOUNT}:repository/app`] },
  {
    name: 'ECR BatchGetImage in another registry',
    client: () => new ECRClient(config()),
    command: new BatchGetImageCommand({ registryId: '999988887777', repositoryName: 'app', imageIds: [{ imageTag: 'v1' }] }),
    action: 'ecr:BatchGetImage',
    resources: ['arn:aws:ecr:us-east-1:999988887777:repository/app'],
  },
  { name: 'ECR GetAuthorizationToken', client: () => new ECRClient(config()), command: new GetAuthorizationTokenCommand({}), action: 'ecr:GetAuthorizationToken', resources: ['*'] },

  // EC2 — its own query dialect.
  {
    name: 'EC2 DescribeInstances',
    client: () => new EC2Client(config()),
    command: new DescribeInstancesCommand({ InstanceIds: ['i-1', 'i-2'] }),
    action: 'ec2:DescribeInstances',
    resources: [`arn:aws:ec2:us-east-1:${ACCOUNT}:instance/i-1`, `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/i-2`],
    protocol: 'ec2',
  },
  { name: 'EC2 StopInstances', client: () => new EC2Client(config()), command: new StopInstancesCommand({ InstanceIds: ['i-9'] }), action: 'ec2:StopInstances', resources: [`arn:aws:ec2:us-east-1:${ACCOUNT}:instance/i-9`] },
  {
    name: 'EC2 RunInstances',
    client: () => new EC2Client(config()),
    command: new RunInstancesCommand({ ImageId: 'ami-1', MinCount: 1, MaxCount: 1, SubnetId: 'subnet-1' }),
    action: 'ec2:RunInstances',
    resources: [`arn:aws:ec2:us-east-1:${ACCOUNT}:subnet/subnet-1`, 'arn:aws:ec2:us-east-1::image/ami-1', `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/*`],
  },
  { name: 'EC2 DescribeVpcs', client: () => new EC2Client(config()), command: new DescribeVpcsCommand({}), action: 'ec2:DescribeVpcs', resources: ['*'] },

  // EKS — REST-JSON, cluster from the path.
  { name: 'EKS DescribeCluster', client: () => new EKSClient(config()), command: new DescribeClusterCommand({ name: 'prod' }), action: 'eks:DescribeCluster', resources: [`arn:aws:eks:us-east-1:${ACCOUNT}:cluster/prod`], protocol: 'rest-json' },
  { name: 'EKS DescribeNodegroup', client: () => new EKSClient(config()), command: new DescribeNodegroupCommand({ clusterName: 'prod', nodegroupName: 'ng' }), action: 'eks:DescribeNodegroup', resources: [`arn:aws:eks:us-east-1:${ACCOUNT}:cluster/prod`] },
  { name: 'EKS ListClusters', client: () => new EKSClient(config()), command: new ListClustersCommand({}), action: 'eks:ListClusters', resources: ['*'] },
  {
    name: 'EKS CreateCluster',
    client: () => new EKSClient(config()),
    command: new CreateClusterCommand({ name: 'new', roleArn: `arn:aws:iam::${ACCOUNT}:role/eks`, resourcesVpcConfig: {} }),
    action: 'eks:CreateCluster',
    resources: [`arn:aws:eks:us-east-1:${ACCOUNT}:cluster/new`, `arn:aws:iam::${ACCOUNT}:role/eks`],
  },
  {
    name: 'EKS TagResource (ARN in the path)',
    client: () => new EKSClient(config()),
    command: new TagResourceCommand({ resourceArn: `arn:aws:eks:us-east-1:${ACCOUNT}:cluster/prod`, tags: { a: 'b' } }),
    action: 'eks:TagResource',
    resources: [`arn:aws:eks:us-east-1:${ACCOUNT}:cluster/prod`],
  },
];

const sorted = (xs: readonly string[]) => [...xs].sort();

describe('extractOperation — requests built by the AWS SDK for JavaScript v3', () => {
  test.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const req = await jsRequest(c.client(), c.command);
    const op = extractOperation(req);
    expect(op.action).toBe(c.action);
    expect(sorted(op.resources)).toEqual(sorted(c.resources));
    if (c.protocol !== undefined) expect(op.protocol).toBe(c.protocol);
    expect(op.region).toBe(req.region);
    expect(op.endpoint).toBe(`https://${req.host.replace(/:443$/, '')}`);
  });
});
