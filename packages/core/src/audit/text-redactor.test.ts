import { redactText } from './text-redactor.js';

const KEY = 'q8Vn3Lr+T2xKp7Yw9Jd4Hs6Bf1Gm5Zc0Na/RuEtW';

describe('redactText — secrets found by shape', () => {
  test.each([
    ['env file', 'DB_PASSWORD=hunter2\nPORT=5432', 'DB_PASSWORD=***\nPORT=5432'],
    ['YAML', 'user: app\npassword: hunter2\n', 'user: app\npassword: ***\n'],
    ['JSON', '{"user":"app","password" : "hun\\"ter2"}', '{"user":"app","password" : "***"}'],
    ['JSON inside a string', '"{\\"password\\":\\"hunter2\\"}"', '"{\\"password\\":\\"***\\"}"'],
    ['single quotes', "client_secret='abc def'", "client_secret='***'"],
    ['query string', 'https://x.example/cb?code=1&access_token=tok123&state=s', 'https://x.example/cb?code=1&access_token=***&state=s'],
    ['XML-like fragment', '<Password>hunter2</Password>', '<Password>***</Password>'],
    ['attribute', '<user password="hunter2" name="a"/>', '<user password="***" name="a"/>'],
    ['header', 'Authorization: AWS4-HMAC-SHA256 Credential=AKIA/x, Signature=abc\nHost: h', 'Authorization: ***\nHost: h'],
    ['URL userinfo', 'postgres://app:pw-123@db:5432/x', 'postgres://app:***@db:5432/x'],
    ['bare secret key', `key ${KEY} here`, 'key *** here'],
    ['session token', 'token IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ==', 'token ***'],
    ['JWT', 'id eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln end', 'id *** end'],
    ['PEM private key', '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----', '-----BEGIN PRIVATE KEY-----***-----END PRIVATE KEY-----'],
    ['presigned URL', 'https://b.s3.amazonaws.com/k?X-Amz-Credential=AKIA%2F1&X-Amz-Signature=abcdef0123&X-Amz-Security-Token=FwoGZXIvYXdzE', 'https://b.s3.amazonaws.com/k?X-Amz-Credential=AKIA%2F1&X-Amz-Signature=***&X-Amz-Security-Token=***'],
  ])('%s', (_name, input, expected) => {
    expect(redactText(input).text).toBe(expected);
  });

  test('base64-wrapped PEM private keys', () => {
    const wrapped = Buffer.from('-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n-----END RSA PRIVATE KEY-----').toString('base64');
    expect(redactText(`PrivateBlob ${wrapped}`).text).toBe('PrivateBlob ***');
  });

  test('names the keys and rules that matched', () => {
    expect(redactText(`DB_PASSWORD=x aws=${KEY}`).fields.sort()).toEqual(['DB_PASSWORD', 'aws-secret-access-key']);
  });
});

describe('redactText — what it leaves alone', () => {
  test.each([
    ['ARNs whose segments read like keys', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-password-AbCdEf'],
    ['an ARN after a key', 'Resource: arn:aws:ssm:us-east-1:1:parameter/app/token'],
    ['SHA-1 hex (40 characters, one case)', 'commit a94a8fe5ccb19ba61c4c0873d391e987982fbbd3'],
    ['S3 keys and paths', 'reports/2024/Quarterly/SummaryReportForCustomers1.csv'],
    ['access key ids', 'AKIAIOSFODNN7EXAMPLE'],
    ['pagination tokens', 'NextToken=AAEAAdGVzdC1uZXh0LXRva2Vu&ClientRequestToken=abc'],
    ['timestamps and times', '2024-01-01T10:20:30Z took 12:30'],
    ['prose', 'Reset your password at the console, then sign in.'],
    ['the mask itself', 'password=***'],
    ['JSON literals', '{"Password":null,"ClientSecret":true}'],
  ])('%s', (_name, input) => {
    expect(redactText(input)).toEqual({ text: input, fields: [] });
  });
});

describe('redactText — a cut-off prefix', () => {
  test('a token-like run at the very end is hidden', () => {
    expect(redactText('the key is q8Vn3Lr+T2xKp7', { prefix: true }).text).toBe('the key is ***');
    expect(redactText('"SecretAccessKey": "q8Vn3L', { prefix: true }).text).toBe('"SecretAccessKey": "***');
  });

  test('tails shorter than 8 characters, and complete texts, stay', () => {
    expect(redactText('region us-east-1a', { prefix: true }).text).toBe('region ***');
    expect(redactText('region us-east', { prefix: true }).text).toBe('region us-east');
    expect(redactText('the key is q8Vn3Lr+T2xKp7').text).toBe('the key is q8Vn3Lr+T2xKp7');
  });

  test('a PEM block without its end line is hidden to the end', () => {
    expect(redactText('-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg', { prefix: true }).text).toBe('-----BEGIN EC PRIVATE KEY-----***');
  });
});
