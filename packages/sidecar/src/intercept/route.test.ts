import { createAwsHostMatcher } from '../tls/aws-hosts.js';
import type { ClientHelloPeek } from '../tls/client-hello.js';
import { ClientHelloError } from '../tls/errors.js';
import { decideRoute } from './route.js';

const isInterceptedHost = createAwsHostMatcher([]);
const aws = { host: 'sts.us-east-1.amazonaws.com', port: 443 };
const other = { host: 'example.com', port: 8443 };
const ip = { host: '93.184.216.34', port: 443 };
const head = Buffer.from('x');
const tlsWith = (serverName?: string): ClientHelloPeek =>
  serverName === undefined ? { isTls: true, head } : { isTls: true, serverName, head };
const plain: ClientHelloPeek = { isTls: false, head };
const failed = (code: ClientHelloError['code']): ClientHelloError => new ClientHelloError(code, code, head);

describe('decideRoute', () => {
  it.each([
    ['AWS SNI to the AWS CONNECT host', aws, tlsWith(aws.host), { action: 'terminate', host: aws.host, port: 443, servername: aws.host, sni: aws.host }],
    ['AWS SNI to another CONNECT host (goes through the gateway)', other, tlsWith('s3.amazonaws.com'), { action: 'terminate', host: 's3.amazonaws.com', port: 8443, servername: 's3.amazonaws.com', sni: 's3.amazonaws.com' }],
    ['AWS SNI to an original destination IP', ip, tlsWith(aws.host), { action: 'terminate', host: aws.host, port: 443, servername: aws.host, sni: aws.host }],
    ['AWS SNI without destination', undefined, tlsWith(aws.host), { action: 'terminate', host: aws.host, port: 443, servername: aws.host, sni: aws.host }],
    ['no SNI to the AWS CONNECT host', aws, tlsWith(), { action: 'terminate', host: aws.host, port: 443, servername: aws.host }],
    ['a decoy SNI to the AWS CONNECT host', aws, tlsWith('example.org'), { action: 'refuse', reason: 'sni-mismatch' }],
    ['other SNI to another host', other, tlsWith('example.com'), { action: 'tunnel', ...other }],
    ['other SNI to an original destination IP', ip, tlsWith('example.com'), { action: 'tunnel', ...ip }],
    ['other SNI without destination', undefined, tlsWith('example.com'), { action: 'tunnel', host: 'example.com', port: 443 }],
    ['no SNI to another host', other, tlsWith(), { action: 'tunnel', ...other }],
    ['no SNI without destination', undefined, tlsWith(), { action: 'refuse', reason: 'no-destination' }],
    ['plain HTTP to an AWS host', { host: 's3.amazonaws.com', port: 80 }, plain, { action: 'plain-http', host: 's3.amazonaws.com', port: 80 }],
    ['plain HTTP to another host', other, plain, { action: 'tunnel', ...other }],
    ['plain HTTP without destination', undefined, plain, { action: 'refuse', reason: 'no-destination' }],
    ['a silent client to another host (server speaks first)', other, failed('CLIENT_HELLO_TIMEOUT'), { action: 'tunnel', ...other }],
    ['an aborted peek to another host', other, failed('CLIENT_HELLO_ABORTED'), { action: 'tunnel', ...other }],
    ['a malformed ClientHello to another host', other, failed('CLIENT_HELLO_MALFORMED'), { action: 'tunnel', ...other }],
    ['a malformed ClientHello to an AWS host', aws, failed('CLIENT_HELLO_MALFORMED'), { action: 'refuse', reason: 'unreadable-client-hello' }],
    ['an oversized ClientHello to an AWS host', aws, failed('CLIENT_HELLO_TOO_LARGE'), { action: 'refuse', reason: 'unreadable-client-hello' }],
    ['an unreadable ClientHello without destination', undefined, failed('CLIENT_HELLO_TIMEOUT'), { action: 'refuse', reason: 'no-destination' }],
    ['a client that closed', other, failed('CLIENT_HELLO_CLOSED'), { action: 'refuse', reason: 'client-gone' }],
    ['a client socket error', aws, failed('CLIENT_HELLO_SOCKET_ERROR'), { action: 'refuse', reason: 'client-gone' }],
  ] as const)('%s', (_name, destination, peek, expected) => {
    expect(decideRoute({ destination, peek, isInterceptedHost })).toEqual(expected);
  });
});
