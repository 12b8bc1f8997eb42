import type { AwsProtocol } from '../aws/types.js';
import { maskBody, maskQuery, type MaskBodyResult } from './secret-masking.js';

/**
 * Built-in masking against real-shaped AWS bodies (botocore shapes, AWS
 * documentation examples). Each case asserts that no secret appears anywhere in
 * the result, and that the context around it (ARNs, names, ids) survives.
 */

// Random-looking stand-ins, free of words, so a leak cannot hide behind other text.
const SECRET_KEY = 'q8Vn3Lr+T2xKp7Yw9Jd4Hs6Bf1Gm5Zc0Na/RuEtW'; // 40 characters, like an AWS secret access key
const SESSION_TOKEN = 'IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDk7Q2v9PdR3fXbYq0Tn1LsMvWcA8hZjKuE6oGiHp5NxwIgXy';
const PASSWORD = 'Tr0ub4dor&3-horse';
const JWT = 'eyJraWQiOiJrMSIsImFsZyI6IlJTMjU2In0.eyJzdWIiOiJ1c2VyLTEiLCJhdWQiOiJjbGllbnQifQ.c2lnbmF0dXJlLWJ5dGVzLWhlcmUtcXVpdGUtbG9uZw';

function mask(operation: string, protocol: AwsProtocol, direction: 'request' | 'response', body: string, contentType?: string): MaskBodyResult {
  const buf = Buffer.from(body);
  return maskBody({ operation, protocol, direction, body: buf, totalBytes: buf.length, maxBytes: 65536, ...(contentType !== undefined ? { contentType } : {}) });
}

/** No secret, nor any 8-character piece of one, appears anywhere in the result. */
function expectNoLeak(result: unknown, ...secrets: string[]): void {
  const all = JSON.stringify(result);
  const decoded = decodeURIComponent(all.replace(/%(?![0-9A-Fa-f]{2})/g, '%25'));
  for (const secret of secrets) {
    for (let i = 0; i + 8 <= secret.length; i++) {
      const piece = secret.slice(i, i + 8);
      expect(all).not.toContain(piece);
      expect(decoded).not.toContain(piece);
    }
  }
}

describe('STS credentials (query protocol, XML)', () => {
  const assumeRole = `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <SourceIdentity>alice@example.com</SourceIdentity>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/demo/TestAR</Arn>
      <AssumedRoleId>ARO123EXAMPLE123:TestAR</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>
      <SecretAccessKey>${SECRET_KEY}</SecretAccessKey>
      <SessionToken>${SESSION_TOKEN}</SessionToken>
      <Expiration>2019-11-09T13:34:41Z</Expiration>
    </Credentials>
    <PackedPolicySize>6</PackedPolicySize>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>
</AssumeRoleResponse>`;

  test('AssumeRole: secret key and session token hidden; key id, role and expiry kept', () => {
    const r = mask('sts:AssumeRole', 'query', 'response', assumeRole, 'text/xml');
    expectNoLeak(r, SECRET_KEY, SESSION_TOKEN);
    expect(r.excerpt.text).toContain('<SecretAccessKey>***</SecretAccessKey>');
    expect(r.excerpt.text).toContain('<AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>');
    expect(r.excerpt.text).toContain('arn:aws:sts::123456789012:assumed-role/demo/TestAR');
    expect(r.excerpt.text).toContain('<Expiration>2019-11-09T13:34:41Z</Expiration>');
    expect(r.maskedFields).toEqual([
      'AssumeRoleResponse.AssumeRoleResult.Credentials.SecretAccessKey',
      'AssumeRoleResponse.AssumeRoleResult.Credentials.SessionToken',
    ]);
    expect(r.excerpt).toMatchObject({ bytes: Buffer.byteLength(assumeRole), truncated: false, contentType: 'text/xml' });
  });

  test('GetSessionToken and GetFederationToken the same way', () => {
    for (const op of ['GetSessionToken', 'GetFederationToken']) {
      const body = assumeRole.replaceAll('AssumeRole', op).replace(/<AssumedRoleUser>[\s\S]*<\/AssumedRoleUser>/, '<FederatedUser><Arn>arn:aws:sts::123456789012:federated-user/bob</Arn></FederatedUser>');
      const r = mask(`sts:${op}`, 'query', 'response', body, 'text/xml');
      expectNoLeak(r, SECRET_KEY, SESSION_TOKEN);
      expect(r.excerpt.text).toContain('federated-user/bob');
    }
  });

  test('AssumeRoleWithWebIdentity and AssumeRoleWithSAML requests: the presented token and assertion are hidden', () => {
    const web = `Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fweb&RoleSessionName=app&WebIdentityToken=${JWT}`;
    const r = mask('sts:AssumeRoleWithWebIdentity', 'query', 'request', web, 'application/x-www-form-urlencoded; charset=utf-8');
    expectNoLeak(r, JWT);
    expect(r.excerpt.text).toContain('RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fweb');
    expect(r.maskedFields).toEqual(['WebIdentityToken']);
    const saml = 'Action=AssumeRoleWithSAML&SAMLAssertion=PHNhbWxwOlJlc3BvbnNlIHhtbG5zOnNhbWxwPSJ1cm46b2FzaXM6bmFtZXM6dGM6U0FNTDoyLjA6cHJvdG9jb2wiPjwvc2FtbHA6UmVzcG9uc2U%2B&PrincipalArn=arn%3Aaws%3Aiam%3A%3A1%3Asaml-provider%2Fidp';
    const s = mask('sts:AssumeRoleWithSAML', 'query', 'request', saml);
    expect(s.excerpt.text).toContain('SAMLAssertion=***&PrincipalArn=');
  });

  test('MFA token codes on AssumeRole requests are hidden', () => {
    const r = mask('sts:AssumeRole', 'query', 'request', 'Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fx&SerialNumber=arn%3Aaws%3Aiam%3A%3A1%3Amfa%2Fbob&TokenCode=492817');
    expect(r.excerpt.text).toContain('TokenCode=***');
    expect(r.excerpt.text).toContain('SerialNumber=arn%3Aaws%3Aiam%3A%3A1%3Amfa%2Fbob');
  });
});

describe('IAM', () => {
  test('CreateAccessKey response: AccessKey.SecretAccessKey hidden, user and key id kept', () => {
    const body = `<CreateAccessKeyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <CreateAccessKeyResult>
    <AccessKey>
      <UserName>Bob</UserName>
      <AccessKeyId>AKIAIOSFODNN7EXAMPLE</AccessKeyId>
      <Status>Active</Status>
      <SecretAccessKey>${SECRET_KEY}</SecretAccessKey>
    </AccessKey>
  </CreateAccessKeyResult>
  <ResponseMetadata><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ResponseMetadata>
</CreateAccessKeyResponse>`;
    const r = mask('iam:CreateAccessKey', 'query', 'response', body, 'text/xml');
    expectNoLeak(r, SECRET_KEY);
    expect(r.excerpt.text).toContain('<UserName>Bob</UserName>');
    expect(r.excerpt.text).toContain('<AccessKeyId>AKIAIOSFODNN7EXAMPLE</AccessKeyId>');
    expect(r.maskedFields).toEqual(['CreateAccessKeyResponse.CreateAccessKeyResult.AccessKey.SecretAccessKey']);
  });

  test.each([
    ['CreateLoginProfile', `Action=CreateLoginProfile&UserName=Bob&Password=${encodeURIComponent(PASSWORD)}&PasswordResetRequired=true&Version=2010-05-08`],
    ['UpdateLoginProfile', `Action=UpdateLoginProfile&UserName=Bob&Password=${encodeURIComponent(PASSWORD)}&Version=2010-05-08`],
    ['ChangePassword', `Action=ChangePassword&OldPassword=${encodeURIComponent(PASSWORD)}&NewPassword=${encodeURIComponent(`${PASSWORD}!2`)}&Version=2010-05-08`],
  ])('%s request: passwords hidden, user kept', (op, body) => {
    const r = mask(`iam:${op}`, 'query', 'request', body, 'application/x-www-form-urlencoded; charset=utf-8');
    expectNoLeak(r, PASSWORD);
    expect(r.excerpt.text).toContain(`Action=${op}`);
    if (op !== 'ChangePassword') expect(r.excerpt.text).toContain('UserName=Bob');
    if (op === 'CreateLoginProfile') expect(r.excerpt.text).toContain('PasswordResetRequired=true');
  });

  test('CreateVirtualMFADevice: the seed and its QR code are hidden', () => {
    const body = '<CreateVirtualMFADeviceResponse><CreateVirtualMFADeviceResult><VirtualMFADevice><SerialNumber>arn:aws:iam::1:mfa/bob</SerialNumber>' +
      '<Base32StringSeed>KRSXG5CTMVRXEZLUKN2XAZLSONSWG4TFOQ</Base32StringSeed><QRCodePNG>iVBORw0KGgoAAAANSUhEUgAA</QRCodePNG></VirtualMFADevice></CreateVirtualMFADeviceResult></CreateVirtualMFADeviceResponse>';
    const r = mask('iam:CreateVirtualMFADevice', 'query', 'response', body, 'text/xml');
    expectNoLeak(r, 'KRSXG5CTMVRXEZLUKN2XAZLSONSWG4TFOQ', 'iVBORw0KGgoAAAANSUhEUgAA');
    expect(r.excerpt.text).toContain('arn:aws:iam::1:mfa/bob');
  });
});

describe('Secrets Manager', () => {
  const arn = 'arn:aws:secretsmanager:us-west-2:123456789012:secret:MyTestDatabaseSecret-a1b2c3';
  test('GetSecretValue: SecretString and SecretBinary hidden; ARN, name, version kept', () => {
    const body = JSON.stringify({
      ARN: arn, Name: 'MyTestDatabaseSecret', VersionId: 'EXAMPLE1-90ab-cdef-fedc-ba987SECRET1',
      SecretString: `{\n  "username":"david",\n  "password":"${PASSWORD}"\n}\n`, SecretBinary: 'c2VjcmV0LWJ5dGVzLWluLWJhc2U2NA==',
      VersionStages: ['AWSPREVIOUS'], CreatedDate: 1523477145.713,
    });
    const r = mask('secretsmanager:GetSecretValue', 'json', 'response', body, 'application/x-amz-json-1.1');
    expectNoLeak(r, PASSWORD, 'c2VjcmV0LWJ5dGVzLWluLWJhc2U2NA');
    expect(JSON.parse(r.excerpt.text as string)).toEqual({ ...JSON.parse(body), SecretString: '***', SecretBinary: '***' });
    expect(r.maskedFields).toEqual(['SecretString', 'SecretBinary']);
  });

  test('CreateSecret, PutSecretValue requests; BatchGetSecretValue response', () => {
    const create = mask('secretsmanager:CreateSecret', 'json', 'request', JSON.stringify({ Name: 'db', ClientRequestToken: 'EXAMPLE1-90ab-cdef-fedc-ba987SECRET1', SecretString: PASSWORD }));
    expectNoLeak(create, PASSWORD);
    expect(create.excerpt.text).toContain('EXAMPLE1-90ab-cdef-fedc-ba987SECRET1'); // an idempotency token is not a secret
    const put = mask('secretsmanager:PutSecretValue', 'json', 'request', JSON.stringify({ SecretId: arn, SecretString: PASSWORD }));
    expectNoLeak(put, PASSWORD);
    expect(put.excerpt.text).toContain(arn);
    const batch = mask('secretsmanager:BatchGetSecretValue', 'json', 'response', JSON.stringify({ SecretValues: [{ ARN: arn, Name: 'db', SecretString: PASSWORD }], Errors: [] }));
    expectNoLeak(batch, PASSWORD);
    expect(batch.maskedFields).toEqual(['SecretValues[].SecretString']);
  });
});

describe('SSM Parameter Store', () => {
  const parameter = (value: string, type = 'SecureString') => ({
    Name: '/prod/db/password', Type: type, Value: value, Version: 3, LastModifiedDate: 1.7e9,
    ARN: 'arn:aws:ssm:us-east-1:123456789012:parameter/prod/db/password', DataType: 'text',
  });

  test('GetParameter, GetParameters, GetParametersByPath, GetParameterHistory: values hidden, names and ARNs kept', () => {
    const bodies: Array<[string, unknown]> = [
      ['GetParameter', { Parameter: parameter(PASSWORD) }],
      ['GetParameters', { Parameters: [parameter(PASSWORD), parameter('plain-but-still-hidden', 'String')], InvalidParameters: ['/nope'] }],
      ['GetParametersByPath', { Parameters: [parameter(PASSWORD)], NextToken: 'AAEAAdGVzdC1uZXh0LXRva2Vu' }],
      ['GetParameterHistory', { Parameters: [{ ...parameter(PASSWORD), Labels: [] }] }],
    ];
    for (const [op, body] of bodies) {
      const r = mask(`ssm:${op}`, 'json', 'response', JSON.stringify(body));
      expectNoLeak(r, PASSWORD, 'plain-but-still-hidden');
      expect(r.excerpt.text).toContain('arn:aws:ssm:us-east-1:123456789012:parameter/prod/db/password');
      expect(r.excerpt.text).toContain('"Name":"/prod/db/password"');
    }
    const paged = mask('ssm:GetParametersByPath', 'json', 'response', JSON.stringify(bodies[2]?.[1]));
    expect(paged.excerpt.text).toContain('AAEAAdGVzdC1uZXh0LXRva2Vu'); // NextToken pages, it does not authenticate
  });

  test('PutParameter request: the value is hidden', () => {
    const r = mask('ssm:PutParameter', 'json', 'request', JSON.stringify({ Name: '/prod/api/key', Value: PASSWORD, Type: 'SecureString', Overwrite: true }));
    expectNoLeak(r, PASSWORD);
    expect(JSON.parse(r.excerpt.text as string)).toEqual({ Name: '/prod/api/key', Value: '***', Type: 'SecureString', Overwrite: true });
  });
});

describe('KMS', () => {
  const plaintext = 'cGxhaW50ZXh0LWRhdGEta2V5LWJ5dGVzLTMyYnl0ZXM=';
  const ciphertext = 'AQIDAHhBYWxwaGFiZXQtY2lwaGVydGV4dC1ibG9iLXRoYXQtaXMtbG9uZy1lbm91Z2g=';
  test('Decrypt and GenerateDataKey responses: Plaintext hidden; CiphertextBlob and KeyId kept', () => {
    const keyId = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const decrypt = mask('kms:Decrypt', 'json', 'response', JSON.stringify({ KeyId: keyId, Plaintext: plaintext, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' }));
    expectNoLeak(decrypt, plaintext);
    expect(decrypt.excerpt.text).toContain(keyId);
    const dataKey = mask('kms:GenerateDataKey', 'json', 'response', JSON.stringify({ CiphertextBlob: ciphertext, Plaintext: plaintext, KeyId: keyId }));
    expectNoLeak(dataKey, plaintext);
    expect(dataKey.excerpt.text).toContain(ciphertext);
  });

  test('Encrypt request: Plaintext hidden; GenerateDataKeyPair: the private key hidden', () => {
    const r = mask('kms:Encrypt', 'json', 'request', JSON.stringify({ KeyId: 'alias/app', Plaintext: plaintext }));
    expectNoLeak(r, plaintext);
    const pair = mask('kms:GenerateDataKeyPair', 'json', 'response', JSON.stringify({ PrivateKeyCiphertextBlob: ciphertext, PrivateKeyPlaintext: plaintext, PublicKey: 'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A' }));
    expectNoLeak(pair, plaintext);
    expect(pair.excerpt.text).toContain(ciphertext);
    expect(pair.excerpt.text).toContain('MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A');
  });
});

describe('databases and functions', () => {
  test('RDS CreateDBInstance / ModifyDBInstance: MasterUserPassword hidden', () => {
    for (const op of ['CreateDBInstance', 'ModifyDBInstance']) {
      const r = mask(`rds:${op}`, 'query', 'request', `Action=${op}&DBInstanceIdentifier=mydb&MasterUsername=admin&MasterUserPassword=${encodeURIComponent(PASSWORD)}&Version=2014-10-31`);
      expectNoLeak(r, PASSWORD);
      expect(r.excerpt.text).toContain('DBInstanceIdentifier=mydb&MasterUsername=admin&MasterUserPassword=***');
    }
  });

  test('Lambda environment: values hidden, variable names kept (request and response)', () => {
    const config = { FunctionName: 'app', FunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:app', Environment: { Variables: { LOG_LEVEL: 'debug', STRIPE: 'sk_live_51HxYzAbCdEfGh' } } };
    for (const [op, direction] of [['CreateFunction', 'request'], ['GetFunctionConfiguration', 'response'], ['UpdateFunctionConfiguration', 'request']] as const) {
      const r = mask(`lambda:${op}`, 'rest-json', direction, JSON.stringify(config), 'application/json');
      expectNoLeak(r, 'sk_live_51HxYzAbCdEfGh');
      expect(JSON.parse(r.excerpt.text as string).Environment).toEqual({ Variables: { LOG_LEVEL: '***', STRIPE: '***' } });
      expect(r.excerpt.text).toContain(config.FunctionArn);
      expect(r.maskedFields).toEqual(['Environment.Variables']);
    }
  });

  test('ECS task definitions: a name/value pair naming a secret hides the value', () => {
    const body = JSON.stringify({ family: 'web', containerDefinitions: [{ name: 'app', image: 'nginx', environment: [{ name: 'DB_PASSWORD', value: PASSWORD }, { name: 'PORT', value: '8080' }] }] });
    const r = mask('ecs:RegisterTaskDefinition', 'json', 'request', body);
    expectNoLeak(r, PASSWORD);
    expect(r.excerpt.text).toContain('"name":"app","image":"nginx"');
  });

  test('CloudFormation parameters: ParameterKey naming a secret hides ParameterValue', () => {
    const body = `Action=CreateStack&StackName=db&Parameters.member.1.ParameterKey=DBPassword&Parameters.member.1.ParameterValue=${encodeURIComponent(PASSWORD)}&Parameters.member.2.ParameterKey=InstanceType&Parameters.member.2.ParameterValue=t3.micro`;
    const r = mask('cloudformation:CreateStack', 'query', 'request', body);
    expectNoLeak(r, PASSWORD);
    expect(r.excerpt.text).toContain('Parameters.member.2.ParameterValue=t3.micro');
    expect(r.maskedFields).toEqual(['Parameters[].ParameterValue']);
  });

  test('DynamoDB items: an attribute named like a secret is hidden, type tags kept', () => {
    const r = mask('dynamodb:PutItem', 'json', 'request', JSON.stringify({ TableName: 'users', Item: { id: { S: 'u1' }, password: { S: PASSWORD }, age: { N: '42' } } }));
    expectNoLeak(r, PASSWORD);
    expect(JSON.parse(r.excerpt.text as string).Item).toEqual({ id: { S: 'u1' }, password: { S: '***' }, age: { N: '42' } });
  });
});

describe('tokens and key pairs', () => {
  test('ECR GetAuthorizationToken: the token hidden, the endpoint kept', () => {
    const token = Buffer.from(`AWS:${SECRET_KEY}${SESSION_TOKEN}`).toString('base64');
    const r = mask('ecr:GetAuthorizationToken', 'json', 'response', JSON.stringify({ authorizationData: [{ authorizationToken: token, expiresAt: 1.7e9, proxyEndpoint: 'https://123456789012.dkr.ecr.us-east-1.amazonaws.com' }] }));
    expectNoLeak(r, token);
    expect(r.excerpt.text).toContain('https://123456789012.dkr.ecr.us-east-1.amazonaws.com');
  });

  test('EKS pod identity and Cognito identity credentials', () => {
    const eks = mask('eks-auth:AssumeRoleForPodIdentity', 'rest-json', 'response', JSON.stringify({
      subject: { namespace: 'agents', serviceAccount: 'planner' }, audience: 'pods.eks.amazonaws.com',
      credentials: { sessionToken: SESSION_TOKEN, secretAccessKey: SECRET_KEY, accessKeyId: 'ASIAIOSFODNN7EXAMPLE', expiration: 1.7e9 },
    }));
    expectNoLeak(eks, SECRET_KEY, SESSION_TOKEN);
    expect(eks.excerpt.text).toContain('"serviceAccount":"planner"');
    const cognito = mask('cognito-identity:GetCredentialsForIdentity', 'json', 'response', JSON.stringify({
      IdentityId: 'us-east-1:0a1b2c3d-1111-2222-3333-444455556666',
      Credentials: { AccessKeyId: 'ASIAIOSFODNN7EXAMPLE', SecretKey: SECRET_KEY, SessionToken: SESSION_TOKEN, Expiration: 1.7e9 },
    }));
    expectNoLeak(cognito, SECRET_KEY, SESSION_TOKEN);
    expect(cognito.excerpt.text).toContain('"AccessKeyId":"ASIAIOSFODNN7EXAMPLE"');
  });

  test('Cognito GetId: the login tokens map is hidden (botocore-derived field list)', () => {
    const r = mask('cognito-identity:GetId', 'json', 'request', JSON.stringify({ IdentityPoolId: 'us-east-1:pool', Logins: { 'accounts.google.com': 'opaque-idp-credential-0001' } }));
    expectNoLeak(r, 'opaque-idp-credential-0001');
    expect(r.maskedFields).toEqual(['Logins']);
  });

  test('Cognito user pools: AuthParameters PASSWORD and SECRET_HASH hidden, USERNAME kept; issued tokens hidden', () => {
    const req = mask('cognito-idp:InitiateAuth', 'json', 'request', JSON.stringify({ AuthFlow: 'USER_PASSWORD_AUTH', ClientId: 'abc', AuthParameters: { USERNAME: 'alice', PASSWORD, SECRET_HASH: 'aGFzaC1vZi1jbGllbnQtc2VjcmV0' } }));
    expectNoLeak(req, PASSWORD, 'aGFzaC1vZi1jbGllbnQtc2VjcmV0');
    expect(req.excerpt.text).toContain('"USERNAME":"alice"');
    const res = mask('cognito-idp:InitiateAuth', 'json', 'response', JSON.stringify({ AuthenticationResult: { AccessToken: JWT, IdToken: JWT, RefreshToken: 'opaque-refresh-0001-abcd', ExpiresIn: 3600, TokenType: 'Bearer' } }));
    expectNoLeak(res, JWT, 'opaque-refresh-0001-abcd');
    expect(res.excerpt.text).toContain('"TokenType":"Bearer"');
  });

  test('IAM Identity Center: CreateToken and GetRoleCredentials', () => {
    const token = mask('sso-oauth:CreateToken', 'rest-json', 'response', JSON.stringify({ accessToken: JWT, tokenType: 'Bearer', expiresIn: 28800, refreshToken: 'opaque-refresh-0002-abcd', idToken: JWT }));
    expectNoLeak(token, JWT, 'opaque-refresh-0002-abcd');
    const creds = mask('sso:GetRoleCredentials', 'rest-json', 'response', JSON.stringify({ roleCredentials: { accessKeyId: 'ASIAIOSFODNN7EXAMPLE', secretAccessKey: SECRET_KEY, sessionToken: SESSION_TOKEN, expiration: 1.7e12 } }));
    expectNoLeak(creds, SECRET_KEY, SESSION_TOKEN);
  });

  test('EC2 CreateKeyPair: the private key hidden, name and fingerprint kept', () => {
    const pem = '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\nVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n-----END RSA PRIVATE KEY-----';
    const body = `<CreateKeyPairResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId>
  <keyName>my-key-pair</keyName>
  <keyFingerprint>1f:51:ae:28:bf:89:e9:d8:1f:25:5d:37:2d:7d:b8:ca:9f:f5:f1:6f</keyFingerprint>
  <keyMaterial>${pem}</keyMaterial>
  <keyPairId>key-0123456789abcdef0</keyPairId>
</CreateKeyPairResponse>`;
    const r = mask('ec2:CreateKeyPair', 'ec2', 'response', body, 'text/xml;charset=UTF-8');
    expectNoLeak(r, pem.split('\n')[1] as string, pem.split('\n')[2] as string);
    expect(r.excerpt.text).toContain('<keyName>my-key-pair</keyName>');
    expect(r.excerpt.text).toContain('1f:51:ae:28:bf:89');
  });

  test('EC2 responses: instance user data, Windows password data, VPN configuration with pre-shared keys', () => {
    const userData = Buffer.from(`#!/bin/bash\nexport API_KEY=${PASSWORD}\n`).toString('base64');
    const attr = mask('ec2:DescribeInstanceAttribute', 'ec2', 'response',
      `<DescribeInstanceAttributeResponse><requestId>r-1</requestId><instanceId>i-1234567890abcdef0</instanceId><userData><value>${userData}</value></userData></DescribeInstanceAttributeResponse>`, 'text/xml');
    expectNoLeak(attr, userData);
    expect(attr.excerpt.text).toContain('<instanceId>i-1234567890abcdef0</instanceId>');
    const pw = mask('ec2:GetPasswordData', 'ec2', 'response', '<GetPasswordDataResponse><instanceId>i-1</instanceId><passwordData>TGlrZSBhbiBlbmNyeXB0ZWQgcGFzc3dvcmQ=</passwordData></GetPasswordDataResponse>', 'text/xml');
    expectNoLeak(pw, 'TGlrZSBhbiBlbmNyeXB0ZWQgcGFzc3dvcmQ');
    const config = '&lt;vpn_connection&gt;&lt;ike&gt;&lt;pre_shared_key&gt;Zq8_psk.value.123&lt;/pre_shared_key&gt;&lt;/ike&gt;&lt;/vpn_connection&gt;';
    const vpn = mask('ec2:DescribeVpnConnections', 'ec2', 'response', `<DescribeVpnConnectionsResponse><vpnConnectionSet><item><vpnConnectionId>vpn-1</vpnConnectionId><customerGatewayConfiguration>${config}</customerGatewayConfiguration></item></vpnConnectionSet></DescribeVpnConnectionsResponse>`, 'text/xml');
    expectNoLeak(vpn, 'Zq8_psk.value.123');
    expect(vpn.maskedFields).toEqual(['DescribeVpnConnectionsResponse.vpnConnectionSet[].customerGatewayConfiguration']);
  });

  test('EC2 RunInstances: user data hidden', () => {
    const userData = Buffer.from(`#!/bin/bash\nexport DB_PASSWORD=${PASSWORD}\n`).toString('base64');
    const r = mask('ec2:RunInstances', 'ec2', 'request', `Action=RunInstances&ImageId=ami-0abcdef1234567890&MinCount=1&MaxCount=1&UserData=${encodeURIComponent(userData)}&Version=2016-11-15`);
    expectNoLeak(r, userData);
    expect(r.excerpt.text).toContain('ImageId=ami-0abcdef1234567890');
  });
});

describe('any operation', () => {
  test('an operation the models do not know still gets the name rules', () => {
    const r = mask('example:DoThing', 'json', 'request', JSON.stringify({ nested: { deeper: [{ clientSecret: PASSWORD, clientId: 'cid-1' }] } }));
    expectNoLeak(r, PASSWORD);
    expect(r.maskedFields).toEqual(['nested.deeper[].clientSecret']);
    expect(r.excerpt.text).toContain('cid-1');
  });

  test('policy fields mask on top of the built-in ones', () => {
    const body = Buffer.from(JSON.stringify({ Item: { ssn: { S: '078-05-1120' } }, Note: 'keep' }));
    const r = maskBody({ operation: 'dynamodb:GetItem', protocol: 'json', direction: 'response', body, totalBytes: body.length, maxBytes: 4096, extraFields: ['Item.ssn'] });
    expectNoLeak(r, '078-05-1120');
    expect(r.excerpt.text).toContain('"Note":"keep"');
  });

  test('secrets inside free-text values are found by their shape', () => {
    const r = mask('sqs:SendMessage', 'json', 'request', JSON.stringify({ QueueUrl: 'https://sqs.us-east-1.amazonaws.com/1/q', MessageBody: `deploy with aws_secret_access_key=${SECRET_KEY} and token ${SESSION_TOKEN}` }));
    expectNoLeak(r, SECRET_KEY, SESSION_TOKEN);
    expect(r.excerpt.text).toContain('https://sqs.us-east-1.amazonaws.com/1/q');
  });
});

describe('maskQuery', () => {
  test('presigned URL credentials hidden; the credential scope kept', () => {
    const r = maskQuery([
      ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
      ['X-Amz-Credential', 'ASIAIOSFODNN7EXAMPLE/20240101/us-east-1/s3/aws4_request'],
      ['X-Amz-Security-Token', SESSION_TOKEN],
      ['X-Amz-Signature', 'aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404'],
      ['x-id', 'GetObject'],
    ]);
    expectNoLeak(r, SESSION_TOKEN, 'aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404');
    expect(r.query['X-Amz-Credential']).toBe('ASIAIOSFODNN7EXAMPLE/20240101/us-east-1/s3/aws4_request');
    expect(r.maskedFields).toEqual(['X-Amz-Security-Token', 'X-Amz-Signature']);
  });

  test('SigV2 Signature, query-protocol GET passwords, repeated names, records as input', () => {
    const r = maskQuery([['Signature', 'c2lnLXYy'], ['Action', 'CreateLoginProfile'], ['Password', PASSWORD], ['tag', 'a'], ['tag', 'b']], 'iam:CreateLoginProfile');
    expect(r.query).toEqual({ Signature: '***', Action: 'CreateLoginProfile', Password: '***', tag: ['a', 'b'] });
    const again = maskQuery({ 'X-Amz-Security-Token': SESSION_TOKEN, prefix: ['a', 'b'], __proto__x: 'y' });
    expect(again.query).toEqual({ 'X-Amz-Security-Token': '***', prefix: ['a', 'b'], __proto__x: 'y' });
    expect(maskQuery([['__proto__', 'x']]).query).toEqual(JSON.parse('{"__proto__":"x"}'));
  });
});
