import { parseAwsHost } from './aws-host.js';
import { partitionOf } from './aws-partitions.js';
import { resolveEndpoint } from './endpoint-resolver.js';
import { extractOperation } from './operation-extractor.js';

describe('resolveEndpoint', () => {
  test.each([
    ['sts', 'us-east-1', 'https://sts.us-east-1.amazonaws.com'],
    ['iam', 'us-east-1', 'https://iam.amazonaws.com'],
    ['iam', 'cn-north-1', 'https://iam.cn-north-1.amazonaws.com.cn'],
    ['iam', 'us-gov-west-1', 'https://iam.us-gov.amazonaws.com'],
    ['s3', 'us-west-2', 'https://s3.us-west-2.amazonaws.com'],
    ['s3', 'us-east-1', 'https://s3.us-east-1.amazonaws.com'],
    ['ecr', 'eu-west-1', 'https://api.ecr.eu-west-1.amazonaws.com'],
    ['monitoring', 'eu-west-1', 'https://monitoring.eu-west-1.amazonaws.com'],
    ['email', 'us-east-1', 'https://email.us-east-1.amazonaws.com'],
    ['ses', 'us-east-1', 'https://email.us-east-1.amazonaws.com'],
    ['route53', 'us-east-1', 'https://route53.amazonaws.com'],
    ['cloudfront', 'us-east-1', 'https://cloudfront.amazonaws.com'],
    ['bedrock', 'us-west-2', 'https://bedrock.us-west-2.amazonaws.com'],
    ['dynamodb', 'cn-northwest-1', 'https://dynamodb.cn-northwest-1.amazonaws.com.cn'],
    ['sqs', 'us-gov-east-1', 'https://sqs.us-gov-east-1.amazonaws.com'],
    ['newservice', 'ap-south-1', 'https://newservice.ap-south-1.amazonaws.com'],
  ])('%s in %s → %s', (signingName, region, origin) => {
    expect(resolveEndpoint(signingName, region)).toBe(origin);
  });

  test('an AWS host (transparent / proxy mode) is the answer', () => {
    expect(resolveEndpoint('s3', 'us-west-2', 'bucket.s3.us-west-2.amazonaws.com:443')).toBe('https://bucket.s3.us-west-2.amazonaws.com');
  });

  test('a non-AWS host is ignored; the credential scope decides', () => {
    expect(resolveEndpoint('sts', 'us-east-1', '127.0.0.1:15080')).toBe('https://sts.us-east-1.amazonaws.com');
  });

  test.each([['evil.com/'], ['us-east-1.evil.com#'], ['']])('a region that cannot be in a hostname (%j) resolves nothing', (region) => {
    expect(resolveEndpoint('nosuchservice', region)).toBeUndefined();
    expect(resolveEndpoint('sts', region)).toBeUndefined();
  });

  test('extraction falls back to the signing name for services botocore does not know yet', () => {
    const op = extractOperation({ method: 'POST', path: '/', query: [], headers: { 'x-amz-target': 'New_2030.DoIt' }, host: '', signingName: 'newsvc', region: 'eu-west-3' });
    expect(op).toMatchObject({ action: 'newsvc:DoIt', endpoint: 'https://newsvc.eu-west-3.amazonaws.com' });
  });

  test('extraction names the model endpoint where the signing name cannot (bedrock vs bedrock-runtime)', () => {
    const op = extractOperation({
      method: 'POST',
      path: '/model/anthropic.claude-v2/invoke',
      query: [],
      headers: { 'content-type': 'application/json' },
      host: '',
      signingName: 'bedrock',
      region: 'us-west-2',
    });
    expect(op.action).toBe('bedrock:InvokeModel');
    expect(op.endpoint).toBe('https://bedrock-runtime.us-west-2.amazonaws.com');
  });
});

describe('parseAwsHost', () => {
  test.each([
    ['sts.amazonaws.com', 'sts', undefined, undefined],
    ['sts.us-east-2.amazonaws.com', 'sts', 'us-east-2', undefined],
    ['sts-fips.us-east-2.amazonaws.com', 'sts', 'us-east-2', undefined],
    ['api.ecr.eu-west-1.amazonaws.com', 'api.ecr', 'eu-west-1', undefined],
    ['streams.dynamodb.us-east-1.amazonaws.com', 'streams.dynamodb', 'us-east-1', undefined],
    ['bedrock-runtime.us-east-1.amazonaws.com', 'bedrock-runtime', 'us-east-1', undefined],
    ['s3.dualstack.us-east-1.amazonaws.com', 's3', 'us-east-1', undefined],
    ['ecr.s3.amazonaws.com', 's3', undefined, 'ecr'],
    ['a.b.c.s3.us-west-1.amazonaws.com', 's3', 'us-west-1', 'a.b.c'],
    ['bucket.s3-external-1.amazonaws.com', 's3', 'us-east-1', 'bucket'],
    ['123456789012.s3-control.us-east-1.amazonaws.com', 's3-control', 'us-east-1', undefined],
    ['us-west-2.queue.amazonaws.com', 'sqs', 'us-west-2', undefined],
    ['sqs.us-east-1.api.aws', 'sqs', 'us-east-1', undefined],
    ['IAM.AMAZONAWS.COM.', 'iam', undefined, undefined],
  ])('%s', (host, endpointPrefix, region, bucket) => {
    const parsed = parseAwsHost(host);
    expect(parsed).toMatchObject({ endpointPrefix, region, bucket });
  });

  test.each([['localhost:4566'], ['127.0.0.1'], ['amazonaws.com.evil.com'], ['x.amazonaws.com@evil.com'], ['[::1]:443'], ['']])('%j is not an AWS host', (host) => {
    expect(parseAwsHost(host)).toBeUndefined();
  });

  test('partitions by region', () => {
    expect(partitionOf('cn-north-1').id).toBe('aws-cn');
    expect(partitionOf('us-gov-west-1').id).toBe('aws-us-gov');
    expect(partitionOf('us-iso-east-1').id).toBe('aws-iso');
    expect(partitionOf('eu-central-1').id).toBe('aws');
    expect(partitionOf('mars-1').id).toBe('aws');
  });
});
