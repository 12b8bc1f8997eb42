import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { AwsCallerError } from '../errors.js';
import { awsErrorFor, clockSkewMessage, type CallerFault } from './aws-error-codes.js';
import { renderAwsError } from './aws-error-renderer.js';
import type { AwsProtocol } from './types.js';

describe('awsErrorFor — the code and status each service family sends', () => {
  test.each([
    ['UnknownAccessKey', 'rest-xml', 's3', 'InvalidAccessKeyId', 403],
    ['UnknownAccessKey', 'query', 'sts', 'InvalidClientTokenId', 403],
    ['UnknownAccessKey', 'ec2', 'ec2', 'AuthFailure', 401],
    ['UnknownAccessKey', 'json', 'dynamodb', 'UnrecognizedClientException', 400],
    ['UnknownAccessKey', 'rest-json', 'lambda', 'UnrecognizedClientException', 403],
    ['UnknownAccessKey', 'rest-xml', 'route53', 'InvalidClientTokenId', 403],
    ['SignatureMismatch', 'rest-xml', 's3', 'SignatureDoesNotMatch', 403],
    ['SignatureMismatch', 'query', 'iam', 'SignatureDoesNotMatch', 403],
    ['SignatureMismatch', 'json', 'kms', 'InvalidSignatureException', 400],
    ['SignatureMismatch', 'rest-json', 'lambda', 'InvalidSignatureException', 403],
    ['ClockSkew', 'rest-xml', 's3', 'RequestTimeTooSkewed', 403],
    ['ClockSkew', 'query', 'sts', 'SignatureDoesNotMatch', 403],
    ['ClockSkew', 'json', 'dynamodb', 'InvalidSignatureException', 400],
    ['ClockSkew', 'ec2', 'ec2', 'RequestExpired', 400],
    ['RequestExpired', 'rest-xml', 's3', 'AccessDenied', 403],
    ['ExpiredToken', 'rest-xml', 's3', 'ExpiredToken', 400],
    ['ExpiredToken', 'query', 'sts', 'ExpiredToken', 403],
    ['ExpiredToken', 'json', 'dynamodb', 'ExpiredTokenException', 400],
    ['InvalidSecurityToken', 'rest-xml', 's3', 'InvalidToken', 400],
    ['MissingAuthentication', 'json', 'dynamodb', 'MissingAuthenticationTokenException', 400],
    ['MalformedAuthorization', 'rest-xml', 's3', 'AuthorizationHeaderMalformed', 400],
    ['AccessDenied', 'rest-xml', 's3', 'AccessDenied', 403],
    ['AccessDenied', 'query', 'iam', 'AccessDenied', 403],
    ['AccessDenied', 'ec2', 'ec2', 'UnauthorizedOperation', 403],
    ['AccessDenied', 'json', 'dynamodb', 'AccessDeniedException', 400],
    ['AccessDenied', 'rest-json', 'lambda', 'AccessDeniedException', 403],
    ['ApprovalRequired', 'query', 'iam', 'AccessDenied', 403],
    ['UpstreamUnavailable', 'rest-xml', 's3', 'ServiceUnavailable', 502],
    ['UpstreamTimeout', 'json', 'dynamodb', 'InternalFailure', 504],
    ['AuditUnavailable', 'rest-xml', 's3', 'ServiceUnavailable', 503],
    ['AuditUnavailable', 'query', 'sts', 'ServiceUnavailable', 503],
    ['InternalError', 'rest-xml', 's3', 'InternalError', 500],
  ] as const)('%s over %s (%s) → %s %d', (fault, protocol, service, awsCode, status) => {
    const err = awsErrorFor(fault, protocol, service, 'why');
    expect(err).toBeInstanceOf(AwsCallerError);
    expect(err).toMatchObject({ awsCode, status, message: 'why', sender: status < 500 });
    expect(err.code).toMatch(/^CALLER_[A-Z_]+$/);
  });

  test('an empty message takes the service wording', () => {
    expect(awsErrorFor('UnknownAccessKey', 'rest-xml', 's3', '').message).toBe('The AWS Access Key Id you provided does not exist in our records.');
    expect(awsErrorFor('UnknownAccessKey', 'json', 'dynamodb', '').code).toBe('CALLER_UNKNOWN_ACCESS_KEY');
  });

  test('clock skew is worded the way AWS words it', () => {
    const now = new Date('2024-05-01T12:00:00Z');
    expect(clockSkewMessage('20240501T110000Z', now)).toBe('Signature expired: 20240501T110000Z is now earlier than 20240501T115500Z (20240501T120000Z - 5 min.)');
    expect(clockSkewMessage('20240501T130000Z', now)).toBe('Signature not yet current: 20240501T130000Z is still later than 20240501T120500Z (20240501T120000Z + 5 min.)');
  });
});

describe('renderAwsError — the wire shapes', () => {
  test('S3: <Error> document with request id headers, escaped message', () => {
    const r = renderAwsError(awsErrorFor('AccessDenied', 'rest-xml', 's3', 'no <access> & "no" entry\u0001'), 'rest-xml', 'REQ1', { service: 's3' });
    expect(r.status).toBe(403);
    expect(r.headers).toMatchObject({ 'content-type': 'application/xml', 'x-amz-request-id': 'REQ1', 'x-amzn-RequestId': 'REQ1' });
    expect(r.body.toString()).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>no &lt;access&gt; &amp; &quot;no&quot; entry\uFFFD</Message><RequestId>REQ1</RequestId><HostId>UkVRMQ==</HostId></Error>',
    );
  });

  test('S3 HEAD answers carry no body', () => {
    const r = renderAwsError(awsErrorFor('AccessDenied', 'rest-xml', 's3', ''), 'rest-xml', 'R', { service: 's3', method: 'HEAD' });
    expect(r.body.length).toBe(0);
    expect(r.headers['content-length']).toBe('0');
  });

  test('query: <ErrorResponse> in the service namespace with Sender/Receiver', () => {
    const r = renderAwsError(awsErrorFor('InternalError', 'query', 'iam', 'boom'), 'query', 'R2', { service: 'iam' });
    expect(r.body.toString()).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Receiver</Type><Code>InternalFailure</Code><Message>boom</Message></Error><RequestId>R2</RequestId></ErrorResponse>',
    );
  });

  test('JSON: __type and message, versioned content type, x-amzn-query-error for SQS', () => {
    const ddb = renderAwsError(awsErrorFor('SignatureMismatch', 'json', 'dynamodb', 'bad'), 'json', 'R3', { service: 'dynamodb' });
    expect(ddb.headers['content-type']).toBe('application/x-amz-json-1.0');
    expect(JSON.parse(ddb.body.toString())).toEqual({ __type: 'com.amazon.coral.service#InvalidSignatureException', message: 'bad' });
    const kms = renderAwsError(awsErrorFor('SignatureMismatch', 'json', 'kms', 'bad'), 'json', 'R3', { service: 'kms' });
    expect(kms.headers['content-type']).toBe('application/x-amz-json-1.1');
    const sqs = renderAwsError(awsErrorFor('UnknownAccessKey', 'json', 'sqs', 'bad'), 'json', 'R3', { service: 'sqs' });
    expect(sqs.headers['x-amzn-query-error']).toBe('InvalidClientTokenId;Sender');
  });

  test('REST-JSON: error type in the header, message in the body', () => {
    const r = renderAwsError(awsErrorFor('AccessDenied', 'rest-json', 'lambda', 'no'), 'rest-json', 'R4', { service: 'lambda' });
    expect(r.headers['x-amzn-ErrorType']).toBe('AccessDeniedException');
    expect(JSON.parse(r.body.toString())).toEqual({ message: 'no' });
  });
});

// ---------------------------------------------------------------------------
// botocore's own parsers read every rendering back.

interface ParseCase {
  fault: CallerFault;
  protocol: AwsProtocol;
  /** Service as AgentRail names it (IAM prefix). */
  service: string;
  /** botocore model and operation whose output shape the parser uses. */
  model: string;
  operation: string;
  /** The code boto3 reports when it differs from awsCode (query-compatible services). */
  code?: string;
}

const parseCases: ParseCase[] = [
  { fault: 'UnknownAccessKey', protocol: 'rest-xml', service: 's3', model: 's3', operation: 'GetObject' },
  { fault: 'ClockSkew', protocol: 'rest-xml', service: 's3', model: 's3', operation: 'PutObject' },
  { fault: 'AccessDenied', protocol: 'rest-xml', service: 'route53', model: 'route53', operation: 'ListHostedZones' },
  { fault: 'SignatureMismatch', protocol: 'query', service: 'sts', model: 'sts', operation: 'GetCallerIdentity' },
  { fault: 'ExpiredToken', protocol: 'query', service: 'iam', model: 'iam', operation: 'CreateUser' },
  { fault: 'AuditUnavailable', protocol: 'query', service: 'sns', model: 'sns', operation: 'Publish' },
  { fault: 'UnknownAccessKey', protocol: 'ec2', service: 'ec2', model: 'ec2', operation: 'DescribeInstances' },
  { fault: 'AccessDenied', protocol: 'ec2', service: 'ec2', model: 'ec2', operation: 'RunInstances' },
  { fault: 'UnknownAccessKey', protocol: 'json', service: 'dynamodb', model: 'dynamodb', operation: 'GetItem' },
  { fault: 'ApprovalRequired', protocol: 'json', service: 'secretsmanager', model: 'secretsmanager', operation: 'GetSecretValue' },
  { fault: 'UnknownAccessKey', protocol: 'json', service: 'sqs', model: 'sqs', operation: 'SendMessage', code: 'InvalidClientTokenId' },
  { fault: 'AccessDenied', protocol: 'json', service: 'sqs', model: 'sqs', operation: 'SendMessage', code: 'AccessDenied' },
  { fault: 'AccessDenied', protocol: 'query', service: 'sqs', model: 'sqs', operation: 'SendMessage' },
  { fault: 'SignatureMismatch', protocol: 'rest-json', service: 'lambda', model: 'lambda', operation: 'Invoke' },
  { fault: 'UpstreamTimeout', protocol: 'rest-json', service: 'eks', model: 'eks', operation: 'DescribeCluster' },
  { fault: 'AccessDenied', protocol: 'smithy-rpc-v2-cbor', service: 'cloudwatch', model: 'cloudwatch', operation: 'GetMetricData', code: 'AccessDenied' },
  { fault: 'InternalError', protocol: 'smithy-rpc-v2-cbor', service: 'gamelift', model: 'gamelift', operation: 'ListFleets' },
];

describe('renderAwsError — botocore parses every shape', () => {
  const rendered = parseCases.map((c, i) => {
    const err = awsErrorFor(c.fault, c.protocol, c.service, `message ${i} <&>`);
    return { c, err, r: renderAwsError(err, c.protocol, `req-${i}`, { service: c.service }) };
  });
  const script = fileURLToPath(new URL('./testing/botocore_parse.py', import.meta.url));
  const run = spawnSync(process.env.PYTHON ?? 'python3', [script], {
    encoding: 'utf8',
    input: JSON.stringify(
      rendered.map(({ c, r }) => ({ service: c.model, operation: c.operation, protocol: c.protocol, status: r.status, headers: r.headers, body: r.body.toString('base64') })),
    ),
  });
  const parsed = JSON.parse(run.status === 0 ? run.stdout : '[]') as Array<{ code?: string; message?: string; requestId?: string; httpStatus?: number; error?: string }>;

  test.each(rendered.map((x, i) => [`${x.c.protocol} ${x.c.service} ${x.c.fault}`, x, i] as const))('%s', (_n, { c, err, r }, i) => {
    expect(run.stderr).toBe('');
    const p = parsed[i];
    expect(p?.error).toBeUndefined();
    expect(p).toMatchObject({ code: c.code ?? err.awsCode, message: err.message, requestId: `req-${i}` });
    expect(r.status).toBe(err.status);
  });
});
