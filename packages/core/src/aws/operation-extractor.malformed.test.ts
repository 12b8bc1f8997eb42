import { extractOperation } from './operation-extractor.js';
import type { OperationRequest } from './types.js';

function req(over: Partial<OperationRequest>): OperationRequest {
  return { method: 'POST', path: '/', query: [], headers: {}, host: '', signingName: '', region: 'us-east-1', ...over };
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

describe('extractOperation — unknown services and malformed input never throw', () => {
  test.each([
    ['an unknown signing name', req({ signingName: 'nosuchservice' }), 'nosuchservice:Unknown'],
    ['an unknown service still names its JSON operation', req({ signingName: 'nosuchservice', headers: { 'x-amz-target': 'NoSuch_2020.DoThing' } }), 'nosuchservice:DoThing'],
    ['an unknown service still names its query action', req({ signingName: 'nosuchservice', query: [['Action', 'DoThing']] }), 'nosuchservice:DoThing'],
    ['no signing name, no host', req({}), 'unknown:Unknown'],
    ['a signing name that is not a name', req({ signingName: 'S3/../x y' }), 'unknown:Unknown'],
    ['prototype keys as service', req({ signingName: '__proto__', headers: { 'x-amz-target': 'a.constructor' } }), 'unknown:constructor'],
    ['prototype keys as operation', req({ signingName: 'logs', headers: { 'x-amz-target': 'Logs_20140328.constructor' } }), 'logs:constructor'],
    ['a target with the wrong prefix', req({ signingName: 'dynamodb', headers: { 'x-amz-target': 'Evil_2012.DeleteTable' } }), 'dynamodb:Unknown'],
    ['a target with a glob', req({ signingName: 'dynamodb', headers: { 'x-amz-target': 'DynamoDB_20120810.Get*' } }), 'dynamodb:Unknown'],
    ['a target with no operation', req({ signingName: 'dynamodb', headers: { 'x-amz-target': 'DynamoDB_20120810.' } }), 'dynamodb:Unknown'],
    ['malformed JSON body', req({ signingName: 'dynamodb', headers: { 'x-amz-target': 'DynamoDB_20120810.GetItem' }, body: Buffer.from('{"TableName": "t"') }), 'dynamodb:GetItem'],
    ['JSON body that is an array', req({ signingName: 'dynamodb', headers: { 'x-amz-target': 'DynamoDB_20120810.GetItem' }, body: Buffer.from('[1,2]') }), 'dynamodb:GetItem'],
    ['JSON body with a non-string table', req({ signingName: 'dynamodb', headers: { 'x-amz-target': 'DynamoDB_20120810.GetItem' }, body: Buffer.from('{"TableName":{"a":1},"RequestItems":null,"TransactItems":[null,1,{"Put":null}]}') }), 'dynamodb:GetItem'],
    ['malformed form escapes', req({ signingName: 'iam', headers: FORM, body: Buffer.from('Action=GetUser&UserName=%E0%A4%A&&=&%') }), 'iam:GetUser'],
    ['two different actions', req({ signingName: 'iam', query: [['Action', 'GetUser']], headers: FORM, body: Buffer.from('Action=DeleteUser') }), 'iam:Unknown'],
    ['an action that is not a name', req({ signingName: 'iam', headers: FORM, body: Buffer.from('Action=Delete%2A') }), 'iam:Unknown'],
    ['a form without an action', req({ signingName: 'sts', headers: FORM, body: Buffer.from('Version=2011-06-15') }), 'sts:Unknown'],
    ['a REST path without a leading slash', req({ signingName: 'lambda', method: 'GET', path: 'functions' }), 'lambda:Unknown'],
    ['a REST path with dot segments', req({ signingName: 'lambda', method: 'GET', path: '/2015-03-31/functions/a/../b' }), 'lambda:Unknown'],
    ['an empty path', req({ signingName: 's3', method: 'GET', path: '' }), 's3:ListBuckets'],
    ['a very long path', req({ signingName: 's3', method: 'GET', path: `/b/${'x/'.repeat(5000)}` }), 's3:GetObject'],
    ['a CBOR path that is not an operation', req({ signingName: 'monitoring', path: '/service/X/operation/', headers: { 'smithy-protocol': 'rpc-v2-cbor' } }), 'cloudwatch:Unknown'],
    ['a host with odd characters', req({ signingName: 's3', method: 'GET', path: '/k', host: 'b@evil.s3.amazonaws.com' }), 's3:ListObjects'],
    ['an IPv6 host', req({ signingName: 's3', method: 'GET', path: '/b/k', host: '[::1]:443' }), 's3:GetObject'],
  ])('%s', (_name, request, action) => {
    const op = extractOperation(request);
    expect(op.action).toBe(action);
    expect(op.resources.length).toBeGreaterThan(0);
  });

  test('a region that cannot be part of a hostname yields no endpoint', () => {
    const op = extractOperation(req({ signingName: 'sts', region: 'evil.com/x', headers: FORM, body: Buffer.from('Action=GetCallerIdentity') }));
    expect(op.action).toBe('sts:GetCallerIdentity');
    expect(op.endpoint).toBeUndefined();
  });

  test('account and partition in derived ARNs', () => {
    const body = Buffer.from('{"TableName":"t"}');
    const headers = { 'x-amz-target': 'DynamoDB_20120810.GetItem' };
    expect(extractOperation(req({ signingName: 'dynamodb', headers, body })).resources).toEqual(['arn:aws:dynamodb:us-east-1:*:table/t']);
    expect(extractOperation(req({ signingName: 'dynamodb', headers, body, region: 'cn-north-1', account: '1' })).resources).toEqual(['arn:aws-cn:dynamodb:cn-north-1:1:table/t']);
    expect(extractOperation(req({ signingName: 'dynamodb', headers, body, region: 'us-gov-west-1', account: '1' })).resources).toEqual(['arn:aws-us-gov:dynamodb:us-gov-west-1:1:table/t']);
  });

  test('random requests (seeded) never throw and always name an action', () => {
    let seed = 42;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const pick = <T>(xs: readonly T[]): T => xs[rand(xs.length)] as T;
    const chars = 'ab/%?&=.:*{}+ \u00e9\u0000\uFFFF01'.split('');
    const junk = (len: number): string => Array.from({ length: rand(len) }, () => pick(chars)).join('');
    const services = ['s3', 'sqs', 'iam', 'lambda', 'dynamodb', 'ec2', 'eks', 'monitoring', 's3express', 'bedrock', 'ses', 'nope', ''];
    for (let i = 0; i < 3000; i++) {
      const op = extractOperation({
        method: pick(['GET', 'PUT', 'POST', 'DELETE', 'HEAD', junk(5)]),
        path: pick(['/', '', '/b/k', '/2015-03-31/functions/f/invocations', '/clusters/x', `/${junk(20)}`]),
        query: Array.from({ length: rand(4) }, () => [pick(['Action', 'list-type', 'uploadId', 'acl', junk(6)]), junk(8)] as [string, string]),
        headers: {
          'x-amz-target': rand(3) === 0 ? junk(30) : undefined,
          'content-type': pick([undefined, 'application/x-www-form-urlencoded', 'application/x-amz-json-1.0']),
          'x-amz-copy-source': rand(4) === 0 ? junk(20) : undefined,
          'smithy-protocol': rand(5) === 0 ? 'rpc-v2-cbor' : undefined,
        },
        host: pick(['', 'bucket.s3.amazonaws.com', junk(20), `${junk(8)}.amazonaws.com`]),
        signingName: pick(services),
        region: pick(['us-east-1', '', junk(10)]),
        body: rand(2) === 0 ? Buffer.from(junk(60)) : undefined,
      });
      expect(op.action).toBe(`${op.service}:${op.operation}`);
      expect(op.resources.length).toBeGreaterThan(0);
    }
  });
});
