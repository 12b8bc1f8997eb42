import { fieldMatcherFor } from './field-matcher.js';
import { isSecretName, squashName } from './secret-names.js';

describe('isSecretName', () => {
  test.each([
    'SecretAccessKey', 'secretAccessKey', 'aws_secret_access_key', 'SessionToken', 'X-Amz-Security-Token', 'Password', 'NewPassword', 'OldPassword',
    'MasterUserPassword', 'DB_PASSWORD', 'Passwords', 'SecretString', 'SecretBinary', 'Plaintext', 'PrivateKeyPlaintext', 'PrivateKey', 'privateKeyBase64',
    'KeyMaterial', 'ClientSecret', 'AuthToken', 'authorizationToken', 'AccessToken', 'RefreshToken', 'IdToken', 'WebIdentityToken', 'SAMLAssertion',
    'TokenCode', 'ApiKey', 'PreSharedKey', 'SSECustomerKey', 'PreSignedUrl', 'basicAuthCredentials', 'Base32StringSeed', 'PasswordData', 'X-Amz-Signature',
    'Authorization', 'SECRET_HASH', 'TokenValue',
  ])('%s is a secret', (name) => {
    expect(isSecretName(name)).toBe(true);
  });

  test.each([
    'AccessKeyId', 'NextToken', 'nextForwardToken', 'NextContinuationToken', 'ContinuationToken', 'ClientRequestToken', 'ClientToken', 'IdempotencyToken',
    'PaginationToken', 'taskToken', 'SecretId', 'SecretArn', 'SecretName', 'SecretList', 'Secrets', 'KeyId', 'KmsKeyId', 'CiphertextBlob',
    'PrivateKeyCiphertextBlob', 'PublicKey', 'PublicKeyMaterial', 'PasswordLastUsed', 'PasswordPolicy', 'PasswordResetRequired',
    'AllowUsersToChangePassword', 'TokenType', 'maxTokens', 'Name', 'Arn', 'Signature', 'Credentials', 'X-Amz-Credential', '',
    'ManageMasterUserPassword', 'ExpirePasswords', 'MasterUserSecret', 'CreationToken', 'UpdateToken', 'LockToken', 'StartingToken', 'PrivateKeyArn',
    'PrivateKeyAttributes', 'SubjectFromWebIdentityToken',
  ])('%s is not', (name) => {
    expect(isSecretName(name)).toBe(false);
  });

  test('names compare squashed', () => {
    expect(squashName('X-Amz-Security_Token')).toBe('xamzsecuritytoken');
  });
});

describe('fieldMatcherFor', () => {
  test('built-in names apply to every operation', () => {
    expect(fieldMatcherFor('example:Anything').isSecret([], 'password')).toBe(true);
  });

  test('the operation list: SSM values in parameter operations only', () => {
    expect(fieldMatcherFor('ssm:GetParameter').isSecret(['parameter'], 'value')).toBe(true);
    expect(fieldMatcherFor('ssm:DescribeParameters').isSecret(['parameters'], 'value')).toBe(false);
  });

  test('botocore-derived fields, by IAM prefix or signing name', () => {
    expect(fieldMatcherFor('cognito-identity:GetId').isSecret([], 'logins')).toBe(true);
    expect(fieldMatcherFor('ec2:RunInstances').isSecret([], 'userdata')).toBe(true);
    expect(fieldMatcherFor('payment-cryptography:ExportKey').isSecret(['wrappedkey'], 'keymaterial')).toBe(true);
  });

  test('dotted paths match the end of the field path', () => {
    const m = fieldMatcherFor('appsync:ListApiKeys');
    expect(m.isSecret(['apikeys'], 'id')).toBe(true);
    expect(m.isSecret([], 'id')).toBe(false);
    const policy = fieldMatcherFor('dynamodb:GetItem', ['Item.ssn', 'Notes']);
    expect(policy.isSecret(['item'], 'ssn')).toBe(true);
    expect(policy.isSecret(['other'], 'ssn')).toBe(false);
    expect(policy.isSecret(['a', 'b'], 'notes')).toBe(true);
  });
});
