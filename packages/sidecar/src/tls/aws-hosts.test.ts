import { createAwsHostMatcher } from './aws-hosts.js';
import { HostPatternError } from './errors.js';

describe('createAwsHostMatcher', () => {
  const isAwsHost = createAwsHostMatcher([]);

  it.each([
    'sts.us-east-1.amazonaws.com',
    'sts.amazonaws.com',
    'my-bucket.s3.eu-west-1.amazonaws.com',
    'vpce-0abc.sts.us-east-1.vpce.amazonaws.com',
    'ec2.cn-north-1.amazonaws.com.cn',
    's3.dualstack.us-east-1.api.aws',
    'STS.US-EAST-1.AmazonAWS.com',
    'sts.us-east-1.amazonaws.com.',
    'sts.us-east-1.amazonaws.com:443',
  ])('intercepts %s', (host) => {
    expect(isAwsHost(host)).toBe(true);
  });

  it.each([
    'amazonaws.com',
    'amazonaws.com.cn',
    'api.aws',
    'amazonaws.com.evil.com',
    'sts.amazonaws.com.evil.com',
    'evilamazonaws.com',
    'sts.evilamazonaws.com',
    'sts.amazonaws.co',
    'evilapi.aws',
    'example.com',
    '',
    '.amazonaws.com',
    'sts..amazonaws.com',
    'sts.amazonaws.com..',
    'sts amazonaws.com',
    '52.94.0.1',
  ])('does not intercept %j', (host) => {
    expect(isAwsHost(host)).toBe(false);
  });

  it('adds exact and wildcard custom hosts, case-insensitively', () => {
    const matches = createAwsHostMatcher(['S3.Internal.Example', '*.Endpoints.Example.', '10.0.0.5', 'moto.local:5000']);
    expect(matches('s3.internal.example')).toBe(true);
    expect(matches('x.s3.internal.example')).toBe(false);
    expect(matches('sqs.endpoints.example')).toBe(true);
    expect(matches('a.b.endpoints.example:8443')).toBe(true);
    expect(matches('endpoints.example')).toBe(false);
    expect(matches('evilendpoints.example')).toBe(false);
    expect(matches('10.0.0.5')).toBe(true);
    expect(matches('moto.local')).toBe(true);
    expect(matches('sts.amazonaws.com')).toBe(true);
  });

  it.each(['*', '*.com', 'foo.*.example', '*foo.example', 'bad host', '', '*.', 'a..b'])(
    'refuses the pattern %j at construction',
    (pattern) => {
      expect(() => createAwsHostMatcher([pattern])).toThrow(HostPatternError);
    },
  );
});
