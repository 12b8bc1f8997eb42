import { parseConnectAuthority } from './connect-authority.js';

describe('parseConnectAuthority', () => {
  it.each([
    ['sts.us-east-1.amazonaws.com:443', { host: 'sts.us-east-1.amazonaws.com', port: 443 }],
    ['STS.AmazonAWS.com.:443', { host: 'sts.amazonaws.com', port: 443 }],
    ['127.0.0.1:8443', { host: '127.0.0.1', port: 8443 }],
    ['[::1]:443', { host: '::1', port: 443 }],
    ['[2001:DB8::1]:65535', { host: '2001:db8::1', port: 65535 }],
    ['localhost:1', { host: 'localhost', port: 1 }],
  ])('parses %j', (authority, expected) => {
    expect(parseConnectAuthority(authority)).toEqual(expected);
  });

  it.each([
    undefined,
    '',
    'sts.amazonaws.com',
    'sts.amazonaws.com:',
    'sts.amazonaws.com:0',
    'sts.amazonaws.com:65536',
    'sts.amazonaws.com:123456',
    'sts.amazonaws.com:https',
    'user@sts.amazonaws.com:443',
    'sts.amazonaws.com:443/path',
    'http://sts.amazonaws.com:443',
    '::1:443',
    '[::1]',
    '[::1:443',
    '[not-ipv6]:443',
    'bad..host:443',
    '-bad.example:443',
    ':443',
  ])('refuses %j', (authority) => {
    expect(parseConnectAuthority(authority)).toBeUndefined();
  });
});
