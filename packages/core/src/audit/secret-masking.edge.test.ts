import { maskBody, type MaskBodyInput, type MaskBodyResult } from './secret-masking.js';

/** Truncation, cut-off captures, binary bodies, malformed input and hostile shapes. */

const SECRET_KEY = 'q8Vn3Lr+T2xKp7Yw9Jd4Hs6Bf1Gm5Zc0Na/RuEtW';
const PASSWORD = 'Tr0ub4dor-3-horse-battery';

function run(body: string | Buffer, over: Partial<MaskBodyInput> = {}): MaskBodyResult {
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  return maskBody({ operation: 'secretsmanager:GetSecretValue', protocol: 'json', direction: 'response', body: buf, totalBytes: buf.length, maxBytes: 65536, ...over });
}

/** A captured first part of `whole`: what the sidecar keeps of a large body. */
function prefixOf(whole: string, length: number, over: Partial<MaskBodyInput> = {}): MaskBodyResult {
  const buf = Buffer.from(whole);
  return run(buf.subarray(0, length), { totalBytes: buf.length, ...over });
}

function expectNoLeak(result: unknown, secret: string, piece = 6): void {
  const all = JSON.stringify(result);
  for (let i = 0; i + piece <= secret.length; i++) expect(all).not.toContain(secret.slice(i, i + piece));
}

describe('truncation happens after masking', () => {
  const body = JSON.stringify({ ARN: 'arn:aws:secretsmanager:us-east-1:1:secret:db-AbCdEf', SecretString: PASSWORD, Name: 'db' });

  const maskedLength = Buffer.byteLength(run(body).excerpt.text as string);

  test.each([...Array(40).keys()].map((i) => i + 60))('cut at %i bytes: nothing of the secret, text within bounds', (maxBytes) => {
    const r = run(body, { maxBytes });
    expectNoLeak(r, PASSWORD, 3);
    expect(Buffer.byteLength(r.excerpt.text as string)).toBeLessThanOrEqual(maxBytes);
    // The excerpt is cut only when the masked text (shorter than the body) does not fit.
    expect(r.excerpt).toMatchObject({ bytes: Buffer.byteLength(body), truncated: maskedLength > maxBytes });
    expect(r.maskedFields).toEqual(['SecretString']);
  });

  test('an excerpt that fits is not truncated', () => {
    expect(run(body).excerpt.truncated).toBe(false);
  });

  test('a cut never splits a multi-byte character', () => {
    const r = run(JSON.stringify({ Name: 'ééééééééé€€€€😀😀' }), { maxBytes: 16 });
    expect(r.excerpt.text).not.toContain('\ufffd');
    expect(Buffer.byteLength(r.excerpt.text as string)).toBeLessThanOrEqual(16);
  });
});

describe('a captured prefix: a secret cut off at the end is still hidden', () => {
  test('JSON cut inside a secret value', () => {
    const whole = JSON.stringify({ Name: 'db', SecretString: PASSWORD, VersionId: 'v1' });
    const at = whole.indexOf(PASSWORD) + 9;
    const r = prefixOf(whole, at);
    expectNoLeak(r, PASSWORD, 4);
    expect(r.excerpt).toMatchObject({ truncated: true, bytes: Buffer.byteLength(whole) });
    expect(r.excerpt.text).toBe('{"Name":"db","SecretString":"***"');
  });

  test('JSON cut inside an unnamed value: a secret-looking tail is dropped', () => {
    const whole = JSON.stringify({ Description: `rotated key ${SECRET_KEY} yesterday` });
    for (let cut = whole.indexOf(SECRET_KEY) + 8; cut < whole.indexOf(SECRET_KEY) + 40; cut += 7) {
      const r = prefixOf(whole, cut);
      expectNoLeak(r, SECRET_KEY, 8);
      expect(r.excerpt.text).toContain('rotated key');
    }
  });

  test('JSON pair cut before its name: the value is hidden', () => {
    const whole = JSON.stringify({ environment: [{ value: PASSWORD, name: 'DB_PASSWORD' }] });
    const r = prefixOf(whole, whole.indexOf('"name"') - 1);
    expectNoLeak(r, PASSWORD);
  });

  test('XML cut inside a session token', () => {
    const whole = `<GetSessionTokenResponse><GetSessionTokenResult><Credentials><AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId><SessionToken>FwoGZXIvYXdzEBYaDHVzLWVhc3QtMSJGMEQCIF9hbmQtdGhlbi1zb21lLW1vcmUtYnl0ZXM</SessionToken></Credentials></GetSessionTokenResult></GetSessionTokenResponse>`;
    const r = prefixOf(whole, whole.indexOf('</SessionToken>') - 20, { operation: 'sts:GetSessionToken', protocol: 'query', contentType: 'text/xml' });
    expectNoLeak(r, 'FwoGZXIvYXdzEBYaDHVzLWVhc3QtMSJGMEQCIF9hbmQtdGhlbi1zb21lLW1vcmUtYnl0ZXM', 8);
    expect(r.excerpt.text).toContain('<AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>');
    expect(r.maskedFields).toEqual(['GetSessionTokenResponse.GetSessionTokenResult.Credentials.SessionToken']);
  });

  test('XML map entry cut before its key', () => {
    const whole = `<R><Attributes><entry><value>${PASSWORD}</value><key>DbPassword</key></entry></Attributes></R>`;
    expectNoLeak(prefixOf(whole, whole.indexOf('<key>') + 2, { protocol: 'query', contentType: 'text/xml' }), PASSWORD);
  });

  test('form cut inside a password', () => {
    const whole = `Action=CreateLoginProfile&UserName=bob&Password=${PASSWORD}&Version=2010-05-08`;
    const r = prefixOf(whole, whole.indexOf(PASSWORD) + 10, { operation: 'iam:CreateLoginProfile', protocol: 'query', direction: 'request' });
    expectNoLeak(r, PASSWORD, 4);
    expect(r.excerpt.text).toBe('Action=CreateLoginProfile&UserName=bob&Password=***');
  });

  test('plain text cut inside a bare key', () => {
    const whole = `export STUFF=1\nthe key is ${SECRET_KEY}\n`;
    const r = prefixOf(whole, whole.indexOf(SECRET_KEY) + 30, { contentType: 'text/plain', protocol: 'rest-xml' });
    expectNoLeak(r, SECRET_KEY, 8);
    expect(r.excerpt.text).toContain('the key is ');
  });

  test('a captured body much longer than the excerpt is masked as a prefix around the scan limit', () => {
    const filler = 'x'.repeat(4096 - 40);
    const whole = JSON.stringify({ Notes: filler, SecretString: PASSWORD.repeat(4) });
    const r = run(whole, { maxBytes: 1000 }); // scans max(4 × 1000, 4096) bytes, cut inside SecretString
    expectNoLeak(r, PASSWORD);
    expect(r.excerpt.truncated).toBe(true);
  });
});

describe('bodies that are not text', () => {
  const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001', 'hex');

  test.each([
    ['image/png', png],
    ['application/octet-stream', Buffer.from(`password=${PASSWORD}`)],
    ['binary/octet-stream', Buffer.from('plain')],
    [undefined, Buffer.from([0x7b, 0x22, 0x00, 0x22, 0x7d])],
    [undefined, Buffer.from([0xc3, 0x28, 0x41])],
  ])('%s → omitted as binary, no text', (contentType, body) => {
    const r = run(body, contentType !== undefined ? { contentType } : {});
    expect(r.excerpt).toEqual({ bytes: body.length, truncated: false, omitted: 'binary', ...(contentType !== undefined ? { contentType } : {}) });
    expect(r.maskedFields).toEqual([]);
  });

  test('CBOR (smithy-rpc-v2-cbor) without a content type is binary', () => {
    expect(run(Buffer.from([0xa1, 0x61, 0x61, 0x01]), { protocol: 'smithy-rpc-v2-cbor' }).excerpt.omitted).toBe('binary');
  });

  test('a prefix ending inside a multi-byte character is still text', () => {
    const whole = Buffer.from(JSON.stringify({ Name: 'café' }));
    const r = run(whole.subarray(0, whole.indexOf(0xa9)), { totalBytes: whole.length, contentType: 'application/json' });
    expect(r.excerpt.text).toBe('{"Name":"caf');
  });

  test('no body, recording disabled, empty body', () => {
    expect(maskBody({ operation: 'x:Y', protocol: 'json', direction: 'request', body: undefined, totalBytes: 10, maxBytes: 100 }).excerpt).toEqual({ bytes: 10, truncated: false, omitted: 'streamed' });
    expect(run('{"a":1}', { maxBytes: 0 }).excerpt).toEqual({ bytes: 7, truncated: false, omitted: 'disabled' });
    expect(run('').excerpt).toEqual({ bytes: 0, truncated: false, text: '' });
  });
});

describe('malformed bodies fall back to text redaction', () => {
  test('broken JSON', () => {
    const r = run(`{"SecretAccessKey": "${SECRET_KEY}", "Password": "${PASSWORD}", "x": }`);
    expectNoLeak(r, SECRET_KEY);
    expectNoLeak(r, PASSWORD);
    expect(r.maskedFields).toEqual(expect.arrayContaining(['SecretAccessKey', 'Password']));
  });

  test('broken XML (mismatched tags, internal DTD subset)', () => {
    const bad = `<Credentials><SecretAccessKey>${SECRET_KEY}</SecretAccessKey><Password>${PASSWORD}</Password></Credential>`;
    const r = run(bad, { contentType: 'text/xml', protocol: 'query' });
    expectNoLeak(r, SECRET_KEY);
    expectNoLeak(r, PASSWORD);
    const dtd = `<!DOCTYPE x [<!ENTITY e "boom">]><x><Password>${PASSWORD}</Password></x>`;
    expectNoLeak(run(dtd, { contentType: 'application/xml', protocol: 'rest-xml' }), PASSWORD);
  });

  test('an env file, a PEM key, a JWT and a URL with a password in plain text', () => {
    const text = [
      `DB_PASSWORD=${PASSWORD}`,
      'DATABASE_URL=postgres://app:s3cr3t-pw-value@db.internal:5432/app',
      '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----',
      'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZ2VudCJ9.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk',
      'REGION=us-east-1',
    ].join('\n');
    const r = run(text, { contentType: 'text/plain', protocol: 'rest-xml' });
    for (const s of [PASSWORD, 's3cr3t-pw-value', 'b3BlbnNzaC1rZXktdjEAAAAABG5vbmU', 'dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk']) expectNoLeak(r, s);
    expect(r.excerpt.text).toContain('REGION=us-east-1');
    expect(r.excerpt.text).toContain('-----BEGIN OPENSSH PRIVATE KEY-----');
    expect(r.excerpt.text).toContain('db.internal:5432/app');
  });
});

describe('structure-aware details', () => {
  test('escaped key names are read as AWS reads them', () => {
    const r = run('{"Pass\\u0077ord":"' + PASSWORD + '"}');
    expectNoLeak(r, PASSWORD);
    expect(r.maskedFields).toEqual(['Password']);
  });

  test('true, false and null under a secret name say nothing and stay', () => {
    expect(JSON.parse(run(JSON.stringify({ Password: null, ClientSecret: true, PIN: 1234 })).excerpt.text as string)).toEqual({ Password: null, ClientSecret: true, PIN: '***' });
  });

  test('XML: CDATA, namespace prefixes and entity-encoded pair names', () => {
    const xml = `<r:Resp xmlns:r="urn:x"><r:SecretAccessKey><![CDATA[${SECRET_KEY}]]></r:SecretAccessKey>` +
      `<Tags><member><Key>db_pass&#87;ord</Key><Value>${PASSWORD}</Value></member></Tags></r:Resp>`;
    const r = run(xml, { contentType: 'text/xml', protocol: 'query' });
    expectNoLeak(r, SECRET_KEY);
    expectNoLeak(r, PASSWORD);
    expect(r.maskedFields).toEqual(['Resp.SecretAccessKey', 'Resp.Tags[].Value']);
  });

  test('non-secrets that look close stay: pagination and idempotency tokens, key ids, ARNs, hashes', () => {
    const body = JSON.stringify({
      NextToken: 'eyJ2IjoxfQ==', ClientRequestToken: 'a1b2c3', AccessKeyId: 'AKIAIOSFODNN7EXAMPLE', KeyId: 'alias/x',
      SecretId: 'arn:aws:secretsmanager:us-east-1:1:secret:prod/db-password-AbCdEf', CommitId: 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3',
      PasswordLastUsed: '2024-01-01T00:00:00Z', PasswordPolicy: { MinimumPasswordLength: 14 },
    });
    const r = run(body, { operation: 'iam:GetUser' });
    expect(JSON.parse(r.excerpt.text as string)).toEqual(JSON.parse(body));
    expect(r.maskedFields).toEqual([]);
  });
});

describe('hostile shapes stay linear and bounded', () => {
  const big = 1 << 20;
  test.each([
    ['deep nesting', '['.repeat(big)],
    ['colons', ':'.repeat(big)],
    ['key=value storm', 'password='.repeat(big / 9)],
    ['one base64 run', 'A'.repeat(big)],
    ['unterminated tags', '<a '.repeat(big / 3)],
    ['quotes', '"'.repeat(big)],
    ['eyJ', 'eyJ.'.repeat(big / 4)],
  ])('%s (1 MiB)', (_name, text) => {
    const started = performance.now();
    const r = run(text, { maxBytes: big, contentType: 'text/plain' });
    expect(r.excerpt.bytes).toBe(Buffer.byteLength(text));
    // A generous bound: quadratic behaviour on 1 MiB would take minutes.
    expect(performance.now() - started).toBeLessThan(5000);
  });
});
