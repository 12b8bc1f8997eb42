import { extractOperation } from './operation-extractor.js';
import type { OperationRequest } from './types.js';

/** A signed-looking S3 request: only what extraction reads. */
function s3(method: string, target: string, headers: Record<string, string> = {}, extra: Partial<OperationRequest> = {}): OperationRequest {
  const q = target.indexOf('?');
  const path = q === -1 ? target : target.slice(0, q);
  const query: Array<[string, string]> = q === -1 ? [] : target.slice(q + 1).split('&').map((p) => {
    const eq = p.indexOf('=');
    return eq === -1 ? [p, ''] : [p.slice(0, eq), decodeURIComponent(p.slice(eq + 1))];
  });
  return { method, path, query, headers, host: '', signingName: 's3', region: 'us-east-1', account: '123456789012', ...extra };
}

describe('REST routing — S3 specifics', () => {
  test.each([
    ['GET', '/', {}, 's3:ListBuckets'],
    ['GET', '/b', {}, 's3:ListObjects'],
    ['GET', '/b/', {}, 's3:ListObjects'],
    ['GET', '/b?list-type=2&prefix=a%2F', {}, 's3:ListObjectsV2'],
    ['GET', '/b?versions', {}, 's3:ListObjectVersions'],
    ['GET', '/b?uploads', {}, 's3:ListMultipartUploads'],
    ['GET', '/b?location', {}, 's3:GetBucketLocation'],
    ['GET', '/b?lifecycle', {}, 's3:GetBucketLifecycleConfiguration'],
    ['GET', '/b?analytics', {}, 's3:ListBucketAnalyticsConfigurations'],
    ['GET', '/b?analytics&id=a1', {}, 's3:GetBucketAnalyticsConfiguration'],
    ['PUT', '/b', {}, 's3:CreateBucket'],
    ['HEAD', '/b', {}, 's3:HeadBucket'],
    ['POST', '/b?delete', {}, 's3:DeleteObjects'],
    ['GET', '/b/k', {}, 's3:GetObject'],
    ['GET', '/b/k?versionId=3&partNumber=2', {}, 's3:GetObject'],
    ['GET', '/b/k?x-id=GetObject', {}, 's3:GetObject'],
    ['GET', '/b/dir/', {}, 's3:GetObject'],
    ['GET', '/b/k?uploadId=u', {}, 's3:ListParts'],
    ['GET', '/b/k?acl', {}, 's3:GetObjectAcl'],
    ['GET', '/b/k?attributes', { 'x-amz-object-attributes': 'ETag' }, 's3:GetObjectAttributes'],
    ['PUT', '/b/k', {}, 's3:PutObject'],
    ['PUT', '/b/k?x-id=PutObject', {}, 's3:PutObject'],
    ['PUT', '/b/k', { 'x-amz-copy-source': '/src/k' }, 's3:CopyObject'],
    ['PUT', '/b/k?partNumber=1&uploadId=u', {}, 's3:UploadPart'],
    ['PUT', '/b/k?partNumber=1&uploadId=u', { 'x-amz-copy-source': 'src/k' }, 's3:UploadPartCopy'],
    ['PUT', '/b/k?tagging', {}, 's3:PutObjectTagging'],
    ['POST', '/b/k?uploads', {}, 's3:CreateMultipartUpload'],
    ['POST', '/b/k?uploadId=u', {}, 's3:CompleteMultipartUpload'],
    ['POST', '/b/k?restore', {}, 's3:RestoreObject'],
    ['POST', '/b/k?select&select-type=2', {}, 's3:SelectObjectContent'],
    ['DELETE', '/b/k', {}, 's3:DeleteObject'],
    ['DELETE', '/b/k?uploadId=u', {}, 's3:AbortMultipartUpload'],
    ['DELETE', '/b', {}, 's3:DeleteBucket'],
  ] as const)('%s %s → %s', (method, target, headers, action) => {
    expect(extractOperation(s3(method, target, headers)).action).toBe(action);
  });

  test.each([
    ['a query key only a rival requires (acl on UploadPart)', 'PUT', '/b/k?partNumber=1&uploadId=u&acl', {}],
    ['two subresources', 'GET', '/b/k?acl&tagging', {}],
    ['a copy source on a tagging call', 'PUT', '/b/k?tagging', { 'x-amz-copy-source': 'src/k' }],
    ['list-type with an unknown value', 'GET', '/b?list-type=3', {}],
    ['an unknown method', 'PATCH', '/b/k', {}],
    ['an empty bucket segment', 'GET', '//k', {}],
  ] as const)('ambiguous or unroutable → Unknown: %s', (_why, method, target, headers) => {
    const op = extractOperation(s3(method, target, headers));
    expect(op.action).toBe('s3:Unknown');
    expect(op.resources).toEqual(['*']);
    expect(op.protocol).toBe('rest-xml');
  });

  test('keys are decoded once, `+` stays a plus, slashes and dots are kept as S3 keeps them', () => {
    const op = extractOperation(s3('GET', '/b/a%2Bb/../c%20d%E2%82%AC'));
    expect(op.resources).toEqual(['arn:aws:s3:::b/a+b/../c d€']);
  });

  test('a malformed percent escape keeps the raw key', () => {
    expect(extractOperation(s3('GET', '/b/%E0%A4%A')).resources).toEqual(['arn:aws:s3:::b/%E0%A4%A']);
  });

  test.each([
    ['bucket.s3.amazonaws.com', 'us-east-1'],
    ['bucket.s3.us-west-2.amazonaws.com', 'us-west-2'],
    ['bucket.s3-us-west-2.amazonaws.com', 'us-west-2'],
    ['bucket.s3.dualstack.eu-west-1.amazonaws.com', 'eu-west-1'],
    ['bucket.s3-fips.us-east-2.amazonaws.com', 'us-east-2'],
    ['bucket.s3-accelerate.amazonaws.com', 'us-east-1'],
    ['bucket.s3.cn-north-1.amazonaws.com.cn', 'cn-north-1'],
    ['bucket.s3.amazonaws.com:443', 'us-east-1'],
  ])('virtual-hosted %s', (host, region) => {
    const op = extractOperation(s3('GET', '/dir/key.txt', {}, { host, region }));
    expect(op.action).toBe('s3:GetObject');
    const partition = region.startsWith('cn-') ? 'aws-cn' : 'aws';
    expect(op.resources).toEqual([`arn:${partition}:s3:::bucket/dir/key.txt`]);
    const list = extractOperation(s3('GET', '/?list-type=2', {}, { host, region }));
    expect(list.action).toBe('s3:ListObjectsV2');
    expect(list.resources).toEqual([`arn:${partition}:s3:::bucket`]);
  });

  test.each([
    ['keys, entities and CDATA', '<Delete><Object><Key>a&amp;b</Key></Object><Object><Key><![CDATA[c<d]]></Key></Object></Delete>', {}, ['b/a&b', 'b/c<d']],
    ['markup inside a key: every key', '<Delete><Object><Key>a<x/>b</Key></Object></Delete>', {}, ['b/*']],
    ['an aws-chunked body: every key', '<Delete><Object><Key>a</Key></Object></Delete>', { 'content-encoding': 'aws-chunked' }, ['b/*']],
    ['no body: every key', undefined, {}, ['b/*']],
  ])('DeleteObjects resources: %s', (_why, xml, headers, keys) => {
    const body = xml === undefined ? undefined : Buffer.from(xml);
    const op = extractOperation(s3('POST', '/b?delete', headers, { body }));
    expect(op.action).toBe('s3:DeleteObjects');
    expect(op.resources).toEqual(['arn:aws:s3:::b', ...keys.map((k) => `arn:aws:s3:::${k}`)]);
  });

  test('a bucket name with dots in a virtual host', () => {
    const op = extractOperation(s3('PUT', '/k', {}, { host: 'my.data.bucket.s3.eu-west-1.amazonaws.com', region: 'eu-west-1' }));
    expect(op.resources).toEqual(['arn:aws:s3:::my.data.bucket/k']);
  });

  test('access point hosts name the access point ARN', () => {
    const op = extractOperation(s3('GET', '/obj', {}, { host: 'reports-111122223333.s3-accesspoint.us-west-2.amazonaws.com', region: 'us-west-2' }));
    expect(op.action).toBe('s3:GetObject');
    expect(op.resources).toEqual(['arn:aws:s3:us-west-2:111122223333:accesspoint/reports/object/obj']);
  });

  test('S3 Express: the signing name picks ListDirectoryBuckets and the s3express service', () => {
    expect(extractOperation(s3('GET', '/', {}, { signingName: 's3express' })).action).toBe('s3express:ListDirectoryBuckets');
    expect(extractOperation(s3('GET', '/')).action).toBe('s3:ListBuckets');
    const zonal = extractOperation(
      s3('GET', '/k', {}, { signingName: 's3express', host: 'data--usw2-az1--x-s3.s3express-usw2-az1.us-west-2.amazonaws.com', region: 'us-west-2' }),
    );
    expect(zonal.action).toBe('s3express:GetObject');
    expect(zonal.resources).toEqual(['arn:aws:s3express:us-west-2:123456789012:bucket/data--usw2-az1--x-s3']);
  });

  test('S3 Control shares the s3 signing name; its header and path tell it apart without a host', () => {
    const op = extractOperation(s3('GET', '/v20180820/accesspoint', { 'x-amz-account-id': '123456789012' }));
    expect(op.action).toBe('s3:ListAccessPoints');
    expect(op.endpoint).toBe('https://123456789012.s3-control.us-east-1.amazonaws.com');
    // Without the header it is an object in a bucket named v20180820.
    expect(extractOperation(s3('GET', '/v20180820/accesspoint')).action).toBe('s3:GetObject');
    // A host prefix value that is not a DNS label yields no endpoint rather than a wrong one.
    expect(extractOperation(s3('GET', '/v20180820/accesspoint', { 'x-amz-account-id': 'evil.com/x' })).endpoint).toBeUndefined();
  });
});
