import { extractOperation } from './operation-extractor.js';
import type { OperationRequest } from './types.js';
import { protocolFor } from './wire-protocol.js';

const FORM = 'application/x-www-form-urlencoded; charset=utf-8';

function req(over: Partial<OperationRequest>): OperationRequest {
  return { method: 'POST', path: '/', query: [], headers: {}, host: '', signingName: '', region: 'us-east-1', account: '123456789012', ...over };
}

describe('SQS speaks both JSON and its old query form', () => {
  test('query form in the body (boto3 < 1.34.90, AWS CLI v1 of old, SDK v2)', () => {
    const body = Buffer.from('Action=SendMessage&Version=2012-11-05&QueueUrl=https%3A%2F%2Fsqs.us-east-1.amazonaws.com%2F123456789012%2Fjobs&MessageBody=hello+world');
    const op = extractOperation(req({ signingName: 'sqs', headers: { 'content-type': FORM }, body }));
    expect(op).toMatchObject({ action: 'sqs:SendMessage', protocol: 'query', resources: ['arn:aws:sqs:us-east-1:123456789012:jobs'] });
  });

  test('query form addressed to the queue URL path', () => {
    const body = Buffer.from('Action=ReceiveMessage&Version=2012-11-05&MaxNumberOfMessages=1');
    const op = extractOperation(req({ signingName: 'sqs', path: '/123456789012/jobs', headers: { 'content-type': FORM }, body }));
    expect(op).toMatchObject({ action: 'sqs:ReceiveMessage', protocol: 'query', resources: ['arn:aws:sqs:us-east-1:123456789012:jobs'] });
  });

  test('query form in a presigned GET', () => {
    const op = extractOperation(req({ method: 'GET', signingName: 'sqs', query: [['Action', 'GetQueueUrl'], ['QueueName', 'jobs'], ['QueueOwnerAWSAccountId', '444455556666']] }));
    expect(op).toMatchObject({ action: 'sqs:GetQueueUrl', protocol: 'query', resources: ['arn:aws:sqs:us-east-1:444455556666:jobs'] });
  });

  test('JSON form', () => {
    const op = extractOperation(
      req({
        signingName: 'sqs',
        headers: { 'x-amz-target': 'AmazonSQS.DeleteMessage', 'content-type': 'application/x-amz-json-1.0' },
        body: Buffer.from('{"QueueUrl":"https://sqs.eu-central-1.amazonaws.com/123456789012/jobs","ReceiptHandle":"r"}'),
      }),
    );
    expect(op).toMatchObject({ action: 'sqs:DeleteMessage', protocol: 'json', resources: ['arn:aws:sqs:eu-central-1:123456789012:jobs'] });
  });

  test('a target and an action at once is not guessed', () => {
    const op = extractOperation(
      req({ signingName: 'sqs', headers: { 'x-amz-target': 'AmazonSQS.ListQueues', 'content-type': FORM }, body: Buffer.from('Action=DeleteQueue') }),
    );
    expect(op.action).toBe('sqs:Unknown');
  });
});

describe('protocolFor — the error shape before the operation is known', () => {
  test.each([
    ['S3 by signing name', { signingName: 's3' }, 'rest-xml'],
    ['S3 from a virtual host, unsigned', { host: 'bucket.s3.amazonaws.com' }, 'rest-xml'],
    ['S3 from the Authorization scope', { headers: { authorization: 'AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00' } }, 'rest-xml'],
    ['STS from a presigned credential', { query: [['X-Amz-Credential', 'AKID/20240101/us-east-1/sts/aws4_request']] }, 'query'],
    ['IAM', { signingName: 'iam' }, 'query'],
    ['EC2', { signingName: 'ec2' }, 'ec2'],
    ['DynamoDB', { signingName: 'dynamodb' }, 'json'],
    ['SQS JSON', { signingName: 'sqs', headers: { 'x-amz-target': 'AmazonSQS.SendMessage' } }, 'json'],
    ['SQS query', { signingName: 'sqs', headers: { 'content-type': FORM } }, 'query'],
    ['Lambda', { signingName: 'lambda' }, 'rest-json'],
    ['Route 53', { signingName: 'route53' }, 'rest-xml'],
    ['CloudWatch with CBOR', { signingName: 'monitoring', headers: { 'smithy-protocol': 'rpc-v2-cbor' } }, 'smithy-rpc-v2-cbor'],
    ['CloudWatch with JSON', { signingName: 'monitoring', headers: { 'x-amz-target': 'GraniteServiceVersion20100801.ListMetrics' } }, 'json'],
    ['CloudWatch with query', { signingName: 'monitoring', headers: { 'content-type': FORM } }, 'query'],
    ['an unknown service', { signingName: 'nosuchservice' }, 'json'],
    ['nothing at all', {}, 'json'],
  ] as const)('%s → %s', (_name, over, protocol) => {
    expect(protocolFor(req(over as Partial<OperationRequest>))).toBe(protocol);
  });
});

describe('other wire forms', () => {
  test('Smithy RPC v2 CBOR: the operation is in the path', () => {
    const op = extractOperation(
      req({ signingName: 'monitoring', path: '/service/GraniteServiceVersion20100801/operation/GetMetricData', headers: { 'smithy-protocol': 'rpc-v2-cbor' } }),
    );
    expect(op).toMatchObject({ action: 'cloudwatch:GetMetricData', protocol: 'smithy-rpc-v2-cbor', endpoint: 'https://monitoring.us-east-1.amazonaws.com' });
  });

  test('CloudWatch in query form (AWS CLI v1)', () => {
    const op = extractOperation(req({ signingName: 'monitoring', headers: { 'content-type': FORM }, body: Buffer.from('Action=ListMetrics&Version=2010-08-01') }));
    expect(op).toMatchObject({ action: 'cloudwatch:ListMetrics', protocol: 'query' });
  });

  test('an RPC operation with a host prefix resolves its endpoint (Logs StartLiveTail → stream-logs)', () => {
    const op = extractOperation(req({ signingName: 'logs', headers: { 'x-amz-target': 'Logs_20140328.StartLiveTail' }, body: Buffer.from('{"logGroupIdentifiers":["arn:aws:logs:us-east-1:1:log-group:g"]}') }));
    expect(op.action).toBe('logs:StartLiveTail');
    expect(op.endpoint).toBe('https://stream-logs.us-east-1.amazonaws.com');
    expect(op.resources).toEqual(['arn:aws:logs:us-east-1:1:log-group:g']);
  });

  test('ELB and ELBv2 share a signing name; Version picks the model', () => {
    const v1 = extractOperation(req({ signingName: 'elasticloadbalancing', headers: { 'content-type': FORM }, body: Buffer.from('Action=DescribeLoadBalancers&Version=2012-06-01') }));
    const v2 = extractOperation(req({ signingName: 'elasticloadbalancing', headers: { 'content-type': FORM }, body: Buffer.from('Action=DescribeLoadBalancers&Version=2015-12-01') }));
    expect(v1.action).toBe('elasticloadbalancing:DescribeLoadBalancers');
    expect(v2.action).toBe('elasticloadbalancing:DescribeLoadBalancers');
  });

  test('IAM prefixes that differ from signing names', () => {
    expect(extractOperation(req({ signingName: 'email', headers: { 'content-type': FORM }, body: Buffer.from('Action=SendRawEmail') })).action).toBe('ses:SendRawEmail');
    expect(extractOperation(req({ signingName: 'tagging', headers: { 'x-amz-target': 'ResourceGroupsTaggingAPI_20170126.GetResources' } })).action).toBe('tag:GetResources');
  });
});
