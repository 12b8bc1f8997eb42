import { describe, expect, it } from '@jest/globals';
import { compileGlob, compileGlobs } from './glob-matcher.js';

describe('compileGlob', () => {
  it.each<[string, string, boolean]>([
    ['s3:GetObject', 's3:GetObject', true],
    ['s3:GetObject', 's3:GetObjectAcl', false],
    ['s3:Get*', 's3:GetObjectAcl', true],
    ['s3:Get*', 's3:Get', true],
    ['*Object', 's3:PutObject', true],
    ['*:Delete*', 'iam:DeleteUser', true],
    ['*:Delete*', 'iam:CreateUser', false],
    ['*Secret*', 'GetSecretValue', true],
    ['s3:?etObject', 's3:GetObject', true],
    ['s3:?etObject', 's3:etObject', false],
    ['arn:aws:s3:::a.b/*', 'arn:aws:s3:::aXb/k', false],
    ['arn:aws:s3:::(x)/*', 'arn:aws:s3:::(x)/k', true],
    ['a*b*c', 'a-b-c', true],
    ['a*b*c', 'a-c-b', false],
    ['a**', 'a', true],
    ['*', '', true],
  ])('%s ~ %s → %s', (pattern, value, expected) => {
    expect(compileGlob(pattern)(value)).toBe(expected);
  });

  it('with ignoreCase, lower-cases the pattern (values come lower-cased)', () => {
    expect(compileGlob('S3:GetObject', true)('s3:getobject')).toBe(true);
    expect(compileGlobs(['IAM:*', 'sts:Get*'], true)('sts:getcalleridentity')).toBe(true);
    expect(compileGlobs(['IAM:*', 'sts:Get*'], true)('ec2:run')).toBe(false);
  });
});
