import { sensitiveFieldsOf } from '../aws/sensitive-fields.js';
import { FieldPaths } from '../policy/field-paths.js';
import { isSecretSquashed } from './secret-names.js';

/**
 * Decides, for one operation, which fields of its bodies are secrets: the
 * built-in name rules (secret-names.ts), the members botocore marks sensitive
 * for that operation (generated), the hand-kept list below, and the fields a
 * policy adds.
 */
export interface FieldMatcher {
  /**
   * Whether the member `name` (squashed) holds a secret, given the squashed
   * names of its ancestors (list levels and wrappers left out), outermost first.
   */
  isSecret(ancestors: readonly string[], name: string): boolean;
}

/**
 * Fields the name rules and botocore's `sensitive` flags do not catch, by
 * operation (`service:Operation`, a trailing `*` matches a prefix). A field is
 * a member name, or a dotted path matched against the end of the field's
 * path (`apiKey.id`).
 */
const OPERATION_FIELDS: ReadonlyArray<{ operations: readonly string[]; fields: readonly string[] }> = [
  // botocore types every parameter value sensitive, whatever its Type: String
  // parameters hold passwords too, and a truncated body may never show the Type.
  { operations: ['ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParametersByPath', 'ssm:GetParameterHistory', 'ssm:PutParameter'], fields: ['Value'] },
  // Environment values hold database passwords and API keys; the variable names stay.
  { operations: ['lambda:*'], fields: ['Environment.Variables'] },
  // `DescribeInstanceAttribute` returns user data as `<userData><value>`, a shape botocore does not flag.
  { operations: ['ec2:*'], fields: ['UserData', 'PasswordData', 'KeyMaterial', 'PreSharedKey', 'CustomerGatewayConfiguration'] },
  // API Gateway returns the key itself as `value`; AppSync's key id is the key.
  { operations: ['apigateway:CreateApiKey', 'apigateway:GetApiKey', 'apigateway:GetApiKeys', 'apigateway:UpdateApiKey'], fields: ['value'] },
  { operations: ['appsync:CreateApiKey', 'appsync:UpdateApiKey', 'appsync:ListApiKeys'], fields: ['apiKey.id', 'apiKeys.id'] },
  // OAuth authorization codes and device codes redeem for tokens.
  { operations: ['sso-oauth:CreateToken', 'sso-oauth:CreateTokenWithIAM'], fields: ['code', 'codeVerifier', 'deviceCode'] },
  // A challenge session continues an authentication; challenge responses carry MFA codes and passwords.
  { operations: ['cognito-idp:*'], fields: ['Session', 'ChallengeResponses'] },
  // Embed URLs carry a one-time sign-in code.
  { operations: ['quicksight:*'], fields: ['EmbedUrl'] },
];

function operationMatches(pattern: string, operation: string): boolean {
  return pattern.endsWith('*') ? operation.startsWith(pattern.slice(0, -1)) : pattern === operation;
}

class OperationFieldMatcher implements FieldMatcher {
  constructor(private readonly paths: FieldPaths) {}

  isSecret(ancestors: readonly string[], name: string): boolean {
    return isSecretSquashed(name) || this.paths.matches(ancestors, name);
  }
}

// One matcher per operation name (and policy field list); operation names come
// from the service models, so the set is finite, but the cap keeps a flood of
// odd names harmless.
const cache = new Map<string, FieldMatcher>();
const MAX_CACHED = 2048;

/**
 * The matcher for one operation (`secretsmanager:GetSecretValue`), with the
 * policy's extra fields (member names or dotted paths) when given.
 */
export function fieldMatcherFor(operation: string, extraFields: readonly string[] = []): FieldMatcher {
  const key = extraFields.length === 0 ? operation : `${operation}\n${extraFields.join('\n')}`;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const specs = OPERATION_FIELDS.filter((entry) => entry.operations.some((p) => operationMatches(p, operation))).flatMap((entry) => entry.fields);
  const matcher = new OperationFieldMatcher(new FieldPaths([...specs, ...sensitiveFieldsOf(operation), ...extraFields]));
  if (cache.size >= MAX_CACHED) cache.clear();
  cache.set(key, matcher);
  return matcher;
}
