import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { IAMClient, ListUsersCommand } from '@aws-sdk/client-iam';
import { KMSClient, ListKeysCommand } from '@aws-sdk/client-kms';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { awsErrorFor, type CallerFault } from './aws-error-codes.js';
import { renderAwsError, type RenderedAwsError } from './aws-error-renderer.js';
import type { AwsProtocol } from './types.js';

/** A local endpoint answering every request with the next rendered error. */
let server: Server;
let endpoint: string;
let reply: RenderedAwsError;
let hits = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    hits++;
    req.resume();
    req.on('end', () => {
      res.writeHead(reply.status, reply.headers);
      res.end(reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

type Client = { send(command: never): Promise<unknown>; destroy(): void };

const config = (maxAttempts = 1) => ({
  region: 'us-east-1',
  endpoint,
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
  maxAttempts,
});

interface Case {
  fault: CallerFault;
  protocol: AwsProtocol;
  service: string;
  client: (maxAttempts?: number) => Client;
  command: () => unknown;
  /** `err.name` when it is not the AWS code: query-compatible services (SQS) name errors by their query code. */
  name?: string;
}

const s3 = (n?: number) => new S3Client({ ...config(n), forcePathStyle: true });
const cases: Case[] = [
  { fault: 'UnknownAccessKey', protocol: 'rest-xml', service: 's3', client: s3, command: () => new GetObjectCommand({ Bucket: 'b', Key: 'k' }) },
  { fault: 'ClockSkew', protocol: 'rest-xml', service: 's3', client: s3, command: () => new GetObjectCommand({ Bucket: 'b', Key: 'k' }) },
  { fault: 'SignatureMismatch', protocol: 'query', service: 'sts', client: (n) => new STSClient(config(n)), command: () => new GetCallerIdentityCommand({}) },
  { fault: 'ExpiredToken', protocol: 'query', service: 'iam', client: (n) => new IAMClient(config(n)), command: () => new ListUsersCommand({}) },
  { fault: 'UnknownAccessKey', protocol: 'ec2', service: 'ec2', client: (n) => new EC2Client(config(n)), command: () => new DescribeInstancesCommand({}) },
  { fault: 'AccessDenied', protocol: 'ec2', service: 'ec2', client: (n) => new EC2Client(config(n)), command: () => new DescribeInstancesCommand({}) },
  { fault: 'UnknownAccessKey', protocol: 'json', service: 'dynamodb', client: (n) => new DynamoDBClient(config(n)), command: () => new ListTablesCommand({}) },
  { fault: 'AccessDenied', protocol: 'json', service: 'kms', client: (n) => new KMSClient(config(n)), command: () => new ListKeysCommand({}) },
  { fault: 'AccessDenied', protocol: 'json', service: 'sqs', client: (n) => new SQSClient(config(n)), command: () => new ListQueuesCommand({}), name: 'AccessDenied' },
  { fault: 'SignatureMismatch', protocol: 'rest-json', service: 'lambda', client: (n) => new LambdaClient(config(n)), command: () => new InvokeCommand({ FunctionName: 'f' }) },
  { fault: 'ApprovalRequired', protocol: 'rest-json', service: 'eks', client: (n) => new EKSClient(config(n)), command: () => new DescribeClusterCommand({ name: 'c' }) },
];

async function failure(client: Client, command: unknown): Promise<Error & { $metadata: { httpStatusCode?: number; requestId?: string; attempts?: number }; Code?: string }> {
  try {
    await client.send(command as never);
  } catch (err) {
    return err as never;
  } finally {
    client.destroy();
  }
  throw new Error('the call succeeded');
}

describe('renderAwsError — the AWS SDK for JavaScript v3 reads every shape end to end', () => {
  test.each(cases.map((c) => [`${c.protocol} ${c.service} ${c.fault}`, c] as const))('%s', async (_n, c) => {
    const err = awsErrorFor(c.fault, c.protocol, c.service, `denied <by> "policy" & rule`);
    reply = renderAwsError(err, c.protocol, 'req-42', { service: c.service });
    const e = await failure(c.client(), c.command());
    expect(e.name).toBe(c.name ?? err.awsCode);
    expect(e.message).toBe(err.message);
    expect(e.$metadata.httpStatusCode).toBe(err.status);
    expect(e.$metadata.requestId).toBe('req-42');
  });

  test('SQS JSON also carries the query code for query-era callers', async () => {
    const err = awsErrorFor('UnknownAccessKey', 'json', 'sqs', '');
    reply = renderAwsError(err, 'json', 'req-1', { service: 'sqs' });
    const e = await failure(new SQSClient(config()), new ListQueuesCommand({}));
    expect(e.$metadata.httpStatusCode).toBe(400);
    expect(e.name).toBe('InvalidClientTokenId');
    expect(e.Code).toBe('InvalidClientTokenId');
  });

  test('S3 HEAD: no body, the status tells', async () => {
    reply = renderAwsError(awsErrorFor('AccessDenied', 'rest-xml', 's3', ''), 'rest-xml', 'req-2', { service: 's3', method: 'HEAD' });
    const e = await failure(s3(), new HeadObjectCommand({ Bucket: 'b', Key: 'k' }));
    expect(e.$metadata.httpStatusCode).toBe(403);
  });

  test.each([
    ['rest-xml', 's3', s3, () => new GetObjectCommand({ Bucket: 'b', Key: 'k' })],
    ['json', 'dynamodb', (n?: number) => new DynamoDBClient(config(n)), () => new ListTablesCommand({})],
    ['query', 'sts', (n?: number) => new STSClient(config(n)), () => new GetCallerIdentityCommand({})],
  ] as const)('audit unavailable (503) over %s is retried by the SDK', async (protocol, service, client, command) => {
    reply = renderAwsError(awsErrorFor('AuditUnavailable', protocol, service, ''), protocol, 'req-3', { service });
    hits = 0;
    const e = await failure(client(2), command());
    expect(e.$metadata.httpStatusCode).toBe(503);
    expect(hits).toBe(2);
  });
});
