import { extractOperation } from './operation-extractor.js';
import { botocoreRequests, type BotocoreCall } from './testing/sdk-requests.js';
import type { AwsProtocol } from './types.js';

const ACCOUNT = '123456789012';

interface Case {
  call: BotocoreCall;
  action: string;
  resources: string[];
  protocol: AwsProtocol;
  /** Where endpoint mode (no host) forwards. */
  endpoint: string;
}

const pathStyle = { s3: { addressing_style: 'path' } };

const cases: Case[] = [
  {
    call: { service: 's3', operation: 'list_objects_v2', params: { Bucket: 'reports' } },
    action: 's3:ListObjectsV2',
    resources: ['arn:aws:s3:::reports'],
    protocol: 'rest-xml',
    endpoint: 'https://s3.us-east-1.amazonaws.com',
  },
  {
    call: { service: 's3', region: 'us-west-2', operation: 'upload_part', params: { Bucket: 'my.bucket', Key: 'a b/c.txt', PartNumber: 1, UploadId: 'u', Body: 'data' } },
    action: 's3:UploadPart',
    resources: ['arn:aws:s3:::my.bucket/a b/c.txt'],
    protocol: 'rest-xml',
    endpoint: 'https://s3.us-west-2.amazonaws.com',
  },
  {
    call: { service: 's3', operation: 'put_object', params: { Bucket: 'b', Key: 'dir/', Body: '' }, config: pathStyle },
    action: 's3:PutObject',
    resources: ['arn:aws:s3:::b/dir/'],
    protocol: 'rest-xml',
    endpoint: 'https://s3.us-east-1.amazonaws.com',
  },
  {
    call: { service: 's3', operation: 'copy_object', params: { Bucket: 'dst', Key: 'k', CopySource: { Bucket: 'src', Key: 'a b' } } },
    action: 's3:CopyObject',
    resources: ['arn:aws:s3:::dst/k', 'arn:aws:s3:::src/a b'],
    protocol: 'rest-xml',
    endpoint: 'https://s3.us-east-1.amazonaws.com',
  },
  {
    call: { service: 's3', operation: 'create_multipart_upload', params: { Bucket: 'b', Key: 'k' } },
    action: 's3:CreateMultipartUpload',
    resources: ['arn:aws:s3:::b/k'],
    protocol: 'rest-xml',
    endpoint: 'https://s3.us-east-1.amazonaws.com',
  },
  { call: { service: 's3', operation: 'list_buckets' }, action: 's3:ListBuckets', resources: ['*'], protocol: 'rest-xml', endpoint: 'https://s3.us-east-1.amazonaws.com' },
  {
    call: { service: 's3', operation: 'delete_objects', params: { Bucket: 'b', Delete: { Objects: [{ Key: 'x<y' }] } }, config: pathStyle },
    action: 's3:DeleteObjects',
    resources: ['arn:aws:s3:::b', 'arn:aws:s3:::b/x<y'],
    protocol: 'rest-xml',
    endpoint: 'https://s3.us-east-1.amazonaws.com',
  },
  {
    call: { service: 's3control', operation: 'list_access_points', params: { AccountId: ACCOUNT } },
    action: 's3:ListAccessPoints',
    resources: ['*'],
    protocol: 'rest-xml',
    endpoint: `https://${ACCOUNT}.s3-control.us-east-1.amazonaws.com`,
  },
  {
    call: { service: 'sts', operation: 'assume_role', params: { RoleArn: 'arn:aws:iam::111122223333:role/r', RoleSessionName: 'agent' } },
    action: 'sts:AssumeRole',
    resources: ['arn:aws:iam::111122223333:role/r'],
    protocol: 'query',
    endpoint: 'https://sts.us-east-1.amazonaws.com',
  },
  { call: { service: 'sts', region: 'cn-north-1', operation: 'get_caller_identity' }, action: 'sts:GetCallerIdentity', resources: ['*'], protocol: 'query', endpoint: 'https://sts.cn-north-1.amazonaws.com.cn' },
  {
    call: { service: 'iam', operation: 'create_role', params: { RoleName: 'r', AssumeRolePolicyDocument: '{}' } },
    action: 'iam:CreateRole',
    resources: [`arn:aws:iam::${ACCOUNT}:role/r`],
    protocol: 'query',
    endpoint: 'https://iam.amazonaws.com',
  },
  {
    call: { service: 'dynamodb', operation: 'get_item', params: { TableName: 't', Key: { id: { S: '1' } } } },
    action: 'dynamodb:GetItem',
    resources: [`arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/t`],
    protocol: 'json',
    endpoint: 'https://dynamodb.us-east-1.amazonaws.com',
  },
  {
    call: { service: 'dynamodbstreams', operation: 'get_records', params: { ShardIterator: 'it' } },
    action: 'dynamodb:GetRecords',
    resources: ['*'],
    protocol: 'json',
    endpoint: 'https://streams.dynamodb.us-east-1.amazonaws.com',
  },
  {
    call: { service: 'sqs', operation: 'send_message', params: { QueueUrl: `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/q1`, MessageBody: 'hi' } },
    action: 'sqs:SendMessage',
    resources: [`arn:aws:sqs:us-east-1:${ACCOUNT}:q1`],
    protocol: 'json',
    endpoint: 'https://sqs.us-east-1.amazonaws.com',
  },
  {
    call: { service: 'sns', operation: 'publish', params: { TargetArn: `arn:aws:sns:us-east-1:${ACCOUNT}:t`, Message: 'm' } },
    action: 'sns:Publish',
    resources: [`arn:aws:sns:us-east-1:${ACCOUNT}:t`],
    protocol: 'query',
    endpoint: 'https://sns.us-east-1.amazonaws.com',
  },
  {
    call: { service: 'lambda', operation: 'invoke', params: { FunctionName: 'fn' } },
    action: 'lambda:Invoke',
    resources: [`arn:aws:lambda:us-east-1:${ACCOUNT}:function:fn`],
    protocol: 'rest-json',
    endpoint: 'https://lambda.us-east-1.amazonaws.com',
  },
  {
    call: { service: 'secretsmanager', operation: 'get_secret_value', params: { SecretId: 'db' } },
    action: 'secretsmanager:GetSecretValue',
    resources: [`arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:db`],
    protocol: 'json',
    endpoint: 'https://secretsmanager.us-east-1.amazonaws.com',
  },
  {
    call: { service: 'ssm', operation: 'get_parameter', params: { Name: 'plain' } },
    action: 'ssm:GetParameter',
    resources: [`arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/plain`],
    protocol: 'json',
    endpoint: 'https://ssm.us-east-1.amazonaws.com',
  },
  {
    call: { service: 'kms', operation: 'encrypt', params: { KeyId: 'arn:aws:kms:us-east-1:111122223333:key/k', Plaintext: 'x' } },
    action: 'kms:Encrypt',
    resources: ['arn:aws:kms:us-east-1:111122223333:key/k'],
    protocol: 'json',
    endpoint: 'https://kms.us-east-1.amazonaws.com',
  },
  {
    call: { service: 'ec2', operation: 'describe_instances', params: { InstanceIds: ['i-1'] } },
    action: 'ec2:DescribeInstances',
    resources: [`arn:aws:ec2:us-east-1:${ACCOUNT}:instance/i-1`],
    protocol: 'ec2',
    endpoint: 'https://ec2.us-east-1.amazonaws.com',
  },
  {
    call: { service: 'logs', operation: 'put_log_events', params: { logGroupName: 'g', logStreamName: 's', logEvents: [{ timestamp: 1, message: 'm' }] } },
    action: 'logs:PutLogEvents',
    resources: [`arn:aws:logs:us-east-1:${ACCOUNT}:log-group:g`, `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:g:log-stream:s`],
    protocol: 'json',
    endpoint: 'https://logs.us-east-1.amazonaws.com',
  },
  {
    call: { service: 'ecr', region: 'eu-west-1', operation: 'describe_repositories', params: { repositoryNames: ['app'] } },
    action: 'ecr:DescribeRepositories',
    resources: [`arn:aws:ecr:eu-west-1:${ACCOUNT}:repository/app`],
    protocol: 'json',
    endpoint: 'https://api.ecr.eu-west-1.amazonaws.com',
  },
  {
    call: { service: 'eks', operation: 'describe_cluster', params: { name: 'prod' } },
    action: 'eks:DescribeCluster',
    resources: [`arn:aws:eks:us-east-1:${ACCOUNT}:cluster/prod`],
    protocol: 'rest-json',
    endpoint: 'https://eks.us-east-1.amazonaws.com',
  },
  {
    call: { service: 'cloudwatch', operation: 'put_metric_data', params: { Namespace: 'n', MetricData: [{ MetricName: 'm', Value: 1 }] } },
    action: 'cloudwatch:PutMetricData',
    resources: ['*'],
    protocol: 'json',
    endpoint: 'https://monitoring.us-east-1.amazonaws.com',
  },
  { call: { service: 'route53', operation: 'list_hosted_zones' }, action: 'route53:ListHostedZones', resources: ['*'], protocol: 'rest-xml', endpoint: 'https://route53.amazonaws.com' },
  {
    call: { service: 'bedrock-runtime', operation: 'invoke_model', params: { modelId: 'anthropic.claude', body: '{}' } },
    action: 'bedrock:InvokeModel',
    resources: ['*'],
    protocol: 'rest-json',
    endpoint: 'https://bedrock-runtime.us-east-1.amazonaws.com',
  },
  {
    call: { service: 'ses', operation: 'send_email', params: { Source: 'a@b.c', Destination: {}, Message: { Subject: { Data: 's' }, Body: {} } } },
    action: 'ses:SendEmail',
    resources: ['*'],
    protocol: 'query',
    endpoint: 'https://email.us-east-1.amazonaws.com',
  },
  {
    call: { service: 'sesv2', operation: 'send_email', params: { Content: { Simple: { Subject: { Data: 's' }, Body: {} } } } },
    action: 'ses:SendEmail',
    resources: ['*'],
    protocol: 'rest-json',
    endpoint: 'https://email.us-east-1.amazonaws.com',
  },
  {
    call: { service: 'elbv2', operation: 'describe_load_balancers' },
    action: 'elasticloadbalancing:DescribeLoadBalancers',
    resources: ['*'],
    protocol: 'query',
    endpoint: 'https://elasticloadbalancing.us-east-1.amazonaws.com',
  },
  {
    call: { service: 'apigatewayv2', operation: 'get_apis' },
    action: 'apigateway:GetApis',
    resources: ['*'],
    protocol: 'rest-json',
    endpoint: 'https://apigateway.us-east-1.amazonaws.com',
  },
];

const requests = botocoreRequests(cases.map((c) => c.call));
const named = cases.map((c, i) => [`${c.call.service}.${c.call.operation}`, c, requests[i]] as const);
const sorted = (xs: readonly string[]) => [...xs].sort();

describe('extractOperation — requests built by botocore', () => {
  test.each(named)('%s (host known: transparent / proxy mode)', (_n, c, req) => {
    const op = extractOperation(req!);
    expect(op.action).toBe(c.action);
    expect(op.protocol).toBe(c.protocol);
    expect(sorted(op.resources)).toEqual(sorted(c.resources));
    expect(op.endpoint).toBe(`https://${req!.host}`);
  });

  test.each(named.filter(([, , req]) => !/^[^.]+\.s3\./.test(req!.host)))('%s (endpoint mode: no host)', (_n, c, req) => {
    const op = extractOperation({ ...req!, host: '' });
    expect(op.action).toBe(c.action);
    expect(sorted(op.resources)).toEqual(sorted(c.resources));
    expect(op.endpoint).toBe(c.endpoint);
  });
});
