import { sensitiveFieldsOf } from './sensitive-fields.js';

describe('sensitiveFieldsOf — secret members botocore marks sensitive', () => {
  test.each([
    ['secretsmanager:GetSecretValue', ['SecretBinary', 'SecretString']],
    ['sts:AssumeRole', ['SecretAccessKey']],
    ['iam:CreateAccessKey', ['SecretAccessKey']],
    ['kms:Decrypt', ['Plaintext']],
    ['ssm:GetParameter', ['Value']],
    ['lambda:GetFunctionConfiguration', ['Variables']],
    ['ec2:CreateKeyPair', ['KeyMaterial']],
    ['rds:CreateDBInstance', ['MasterUserPassword', 'TdeCredentialPassword']],
  ])('%s → %j', (action, names) => {
    expect([...sensitiveFieldsOf(action)].sort()).toEqual(names);
  });

  test('personal data botocore marks sensitive is not a secret here', () => {
    expect(sensitiveFieldsOf('geo-places:SearchText')).toEqual([]);
    expect(sensitiveFieldsOf('s3:ListObjectsV2')).toEqual([]);
  });

  test('services by signing name or IAM prefix; unknown operations and services', () => {
    expect(sensitiveFieldsOf('sso-oauth:CreateToken')).toEqual(expect.arrayContaining(['accessToken', 'refreshToken', 'idToken', 'clientSecret']));
    expect(sensitiveFieldsOf('sts:GetCallerIdentity')).toEqual([]);
    expect(sensitiveFieldsOf('nosuch:Thing')).toEqual([]);
    expect(sensitiveFieldsOf('malformed')).toEqual([]);
  });
});
