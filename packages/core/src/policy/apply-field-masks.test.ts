import { describe, expect, it } from '@jest/globals';
import { applyFieldMasks } from './apply-field-masks.js';

const mask = (body: string, ct: string | undefined, paths: string[]): { text: string; masked: string[]; unparsed?: true } => {
  const r = applyFieldMasks(Buffer.from(body), ct, paths);
  return { text: r.body.toString('utf8'), masked: r.masked, ...(r.unparsed ? { unparsed: r.unparsed } : {}) };
};

describe('applyFieldMasks: JSON', () => {
  const secret = '{"ARN":"arn:aws:secretsmanager:eu-west-1:1:secret:db","Name":"db","SecretString":"{\\"password\\":\\"hunter2\\"}","VersionId":"v1"}';
  it('replaces a named string member, keeping the rest byte for byte', () => {
    expect(mask(secret, 'application/x-amz-json-1.1', ['SecretString'])).toEqual({
      text: '{"ARN":"arn:aws:secretsmanager:eu-west-1:1:secret:db","Name":"db","SecretString":"***","VersionId":"v1"}',
      masked: ['SecretString'],
    });
  });

  it('replaces scalars with the string "***", and masks inside objects and lists keeping their shape', () => {
    const body = '{"A": 12345678901234567890, "B": {"x": [1, "two"]}, "C": [ {"d": true, "e": "s"} ], "D": null, "Keep": 98765432109876543210}';
    expect(mask(body, 'application/json', ['A', 'B', 'C', 'D']).text)
      .toBe('{"A": "***", "B": {"x": ["***", "***"]}, "C": [ {"d": true, "e": "***"} ], "D": "***", "Keep": 98765432109876543210}');
  });

  it('keeps a DynamoDB attribute value parseable: {"S": …} becomes {"S": "***"}', () => {
    const body = JSON.stringify({ Item: { k: { S: 'alice' }, password: { S: 'hunter2' } } });
    expect(mask(body, 'application/x-amz-json-1.0', ['Item.password']).text).toBe(JSON.stringify({ Item: { k: { S: 'alice' }, password: { S: '***' } } }));
  });

  it('matches dotted paths at the end of the field path, through list levels', () => {
    const body = JSON.stringify({ Parameters: [{ Name: 'a', Value: 's1' }, { Name: 'b', Value: 's2' }], Value: 'top', Other: { Value: 'x' } });
    expect(mask(body, 'application/x-amz-json-1.1', ['Parameters[*].Value'])).toEqual({
      text: JSON.stringify({ Parameters: [{ Name: 'a', Value: '***' }, { Name: 'b', Value: '***' }], Value: 'top', Other: { Value: 'x' } }),
      masked: ['Parameters[].Value'],
    });
    expect(mask(JSON.stringify({ Credentials: { AccessKeyId: 'AKIA', SecretAccessKey: 'k' }, SecretAccessKey: 'other' }), 'application/json', ['Credentials.SecretAccessKey']).text)
      .toBe(JSON.stringify({ Credentials: { AccessKeyId: 'AKIA', SecretAccessKey: '***' }, SecretAccessKey: 'other' }));
  });

  it('compares names squashed (case, - and _ ignored), and escaped keys decoded', () => {
    expect(mask('{"secret_string":"a","Secret\\u0053tring":"b"}', 'application/json', ['SecretString']).text).toBe('{"secret_string":"***","Secret\\u0053tring":"***"}');
  });

  it('leaves malformed or non-JSON bodies unchanged and says so', () => {
    expect(mask('{"SecretString": "cut', 'application/json', ['SecretString'])).toEqual({ text: '{"SecretString": "cut', masked: [], unparsed: true });
    expect(mask('{"a":1}{"b":2}', 'application/json', ['a']).unparsed).toBe(true);
    expect(mask('{"a":"\\x"}', 'application/json', ['b']).text).toBe('{"a":"\\x"}');
    const binary = applyFieldMasks(Buffer.from([0xff, 0xfe, 0x00, 0x80]), 'application/octet-stream', ['a']);
    expect(binary.unparsed).toBe(true);
  });

  it('returns the same buffer when nothing is masked', () => {
    const body = Buffer.from('{"Name":"x"}');
    expect(applyFieldMasks(body, 'application/json', ['SecretString']).body).toBe(body);
    expect(applyFieldMasks(body, 'application/json', []).body).toBe(body);
  });

  it('survives deep nesting', () => {
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    expect(mask(deep, 'application/json', ['a']).unparsed).toBe(true);
  });
});

describe('applyFieldMasks: XML', () => {
  const sts = `<?xml version="1.0"?>
<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <Credentials>
      <AccessKeyId>ASIAEXAMPLE</AccessKeyId>
      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG</SecretAccessKey>
      <SessionToken>FwoGZXIvYXdzE&amp;xyz</SessionToken>
    </Credentials>
  </AssumeRoleResult>
</AssumeRoleResponse>`;

  it('replaces element text, keeping tags and layout', () => {
    const r = mask(sts, 'text/xml', ['Credentials.SecretAccessKey', 'SessionToken']);
    expect(r.text).toBe(sts.replace('wJalrXUtnFEMI/K7MDENG', '***').replace('FwoGZXIvYXdzE&amp;xyz', '***'));
    expect(r.masked).toEqual(['AssumeRoleResponse.AssumeRoleResult.Credentials.SecretAccessKey', 'AssumeRoleResponse.AssumeRoleResult.Credentials.SessionToken']);
  });

  it('masks a whole element with children, and list members through member/item wrappers', () => {
    const ssm = '<R><Parameters><member><Name>a</Name><Value>s1</Value></member><member><Name>b</Name><Value><![CDATA[s2]]></Value></member></Parameters><Credentials><A>1</A><B/></Credentials></R>';
    expect(mask(ssm, undefined, ['Parameters[*].Value', 'Credentials'])).toEqual({
      text: '<R><Parameters><member><Name>a</Name><Value>***</Value></member><member><Name>b</Name><Value>***</Value></member></Parameters><Credentials>***</Credentials></R>',
      masked: ['R.Parameters[].Value', 'R.Credentials'],
    });
  });

  it('handles namespace prefixes, comments and self-closing elements', () => {
    expect(mask('<a:R xmlns:a="x"><!-- <Secret>no</Secret> --><a:Secret>yes</a:Secret><Secret/></a:R>', 'application/xml', ['Secret']).text)
      .toBe('<a:R xmlns:a="x"><!-- <Secret>no</Secret> --><a:Secret>***</a:Secret><Secret/></a:R>');
  });

  it('leaves malformed XML and DTD subsets unchanged', () => {
    expect(mask('<R><Secret>x</R>', 'text/xml', ['Secret']).unparsed).toBe(true);
    expect(mask('<!DOCTYPE r [<!ENTITY e "x">]><R><Secret>&e;</Secret></R>', 'text/xml', ['Secret']).unparsed).toBe(true);
    expect(mask('<R>x</R><R>y</R>', 'text/xml', ['R']).unparsed).toBe(true);
    expect(mask('plain text', 'text/plain', ['a']).unparsed).toBe(true);
  });
});
