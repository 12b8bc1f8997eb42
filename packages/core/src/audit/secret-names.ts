/**
 * Which field names hold secrets, whatever the service: the name rules of the
 * built-in masking. They apply at any depth, to JSON keys, XML elements, form
 * and query parameter names, and to the keys of user maps (a Lambda variable
 * `DB_PASSWORD`, a Glue connection property `PASSWORD`).
 *
 * Names are compared "squashed": lower case, letters and digits only, so
 * `SecretAccessKey`, `secret_access_key` and `X-Amz-Security-Token` meet the
 * same rules. The rules were drawn from the members botocore marks
 * `sensitive` across every AWS service (see scripts/generate-aws-routes.mjs
 * for the per-operation list that complements them) and from the fields
 * CloudTrail hides.
 */

/** Member names repeat from body to body; bounded, since keys of user maps are arbitrary. */
const squashedNames = new Map<string, string>();

/** Lower-case letters and digits only. */
export function squashName(name: string): string {
  let squashed = squashedNames.get(name);
  if (squashed === undefined) {
    squashed = name.toLowerCase().replace(/[^a-z0-9]/g, '');
    if (squashedNames.size >= 4096) squashedNames.clear();
    squashedNames.set(name, squashed);
  }
  return squashed;
}

/** Names that are secrets as they stand. */
const EXACT: ReadonlySet<string> = new Set([
  'secretstring', 'secretbinary', 'secretvalue', 'secretcode', 'secrethash',
  // One-time and MFA codes (STS TokenCode, IAM EnableMFADevice, Cognito).
  'tokencode', 'otp', 'totp', 'authenticationcode1', 'authenticationcode2', 'confirmationcode', 'activationcode', 'usercode', 'devicecode', 'codeverifier',
  // Header-like keys inside bodies (API Gateway test invocations, Lambda event payloads).
  'authorization', 'proxyauthorization', 'cookie', 'setcookie',
  // IAM virtual MFA seed, EC2 Windows password, VPN configurations carrying pre-shared keys.
  'base32stringseed', 'qrcodepng', 'passworddata', 'customergatewayconfiguration', 'vpnconnectiondevicesampleconfiguration',
  // Card data (payment cryptography).
  'pin', 'cvv', 'cvv2', 'cvc', 'primaryaccountnumber',
  // The signature of a presigned URL makes it a bearer credential until it expires.
  'xamzsignature',
]);

/** Names ending so are secrets: `MasterUserPassword`, `ClientSecret`, `AuthorizationToken` … */
const SUFFIXES: readonly string[] = [
  'password', 'passwords', 'passwd', 'passphrase', 'pwd',
  'secret', 'secretkey', 'secretaccesskey', 'accesskeysecret',
  'privatekey', 'keymaterial', 'plaintext', 'sessionkey', 'customerkey', 'sharedkey',
  'token', 'tokenvalue', 'apikey', 'apikeyvalue',
  'assertion', 'presignedurl', 'authcode', 'authorizationcode', 'mfacode', 'connectionstring', 'authcredentials',
];

/**
 * Tokens that page, de-duplicate or sequence requests are not credentials:
 * hiding them would only blur the trail (`NextToken`, `ClientRequestToken`,
 * CloudWatch Logs' `nextForwardToken`, Step Functions' `taskToken`, which needs
 * IAM permission besides).
 */
const NOT_SECRET_TOKEN_SUFFIXES: readonly string[] = [
  'pagetoken', 'paginationtoken', 'continuationtoken', 'startingtoken', 'clienttoken', 'requesttoken', 'idempotencytoken', 'creationtoken',
  'synctoken', 'sequencetoken', 'forwardtoken', 'backwardtoken', 'changetoken', 'updatetoken', 'locktoken', 'versiontoken', 'conditionaltoken', 'tasktoken',
];

/**
 * Names with a secret word that hold a flag, a date or references, not the
 * secret (found by running the rules over every botocore member): RDS
 * `ManageMasterUserPassword`, IAM `ExpirePasswords`, RDS `MasterUserSecret`
 * (the managed secret's ARN and status), STS `SubjectFromWebIdentityToken`.
 */
const NOT_SECRET: ReadonlySet<string> = new Set([
  'allowuserstochangepassword', 'expirepasswords', 'managemasteruserpassword', 'rotatemasteruserpassword', 'managemasterpassword', 'manageadminpassword',
  'encryptpassword', 'hidepassword', 'generatesecret', 'useexistingclientsecret', 'isvaluesecret', 'isprovisionedsecret', 'withsecret', 'rotatesecret',
  'forceoverwritereplicasecret', 'lastmodifiedsecret', 'includewalletauthtoken', 'reuselastgeneratedtoken', 'microsoftmultirefreshtoken',
  'masterusersecret', 'awssecretsmanagersecret', 'secretsmanagersecret', 'subjectfromwebidentitytoken', 'removeprivatekey', 'includekeymaterial',
]);

/** `PrivateKeyArn`, `PrivateKeyAttributes`: about a private key, not the key. */
const ABOUT_A_KEY = /(arn|id|identifier|attributes|flags|list|name|type|format|algorithm)$/;

function squashedIsSecret(s: string): boolean {
  if (s === '' || NOT_SECRET.has(s)) return false;
  if (EXACT.has(s)) return true;
  // Encrypted or public key material keeps its forensic value (KMS CiphertextBlob, EC2 PublicKeyMaterial).
  if (s.includes('ciphertext') || s.includes('publickey')) return false;
  if (s.includes('privatekey')) return !ABOUT_A_KEY.test(s);
  for (const suffix of SUFFIXES) {
    if (!s.endsWith(suffix)) continue;
    if (suffix !== 'token') return true;
    if (s.startsWith('next')) return false;
    return !NOT_SECRET_TOKEN_SUFFIXES.some((t) => s.endsWith(t));
  }
  return false;
}

// Bodies repeat the same few hundred names; remembering verdicts keeps the
// per-key cost to one map lookup. Bounded, since keys of user maps are arbitrary.
const verdicts = new Map<string, boolean>();
/** The same by the name as written, so a name seen before is not squashed again. */
const rawVerdicts = new Map<string, boolean>();
const MAX_REMEMBERED = 4096;

/**
 * Whether a field called `squashed` (see {@link squashName}) holds a secret
 * under the built-in rules.
 */
export function isSecretSquashed(squashed: string): boolean {
  let verdict = verdicts.get(squashed);
  if (verdict === undefined) {
    verdict = squashedIsSecret(squashed);
    if (verdicts.size >= MAX_REMEMBERED) verdicts.clear();
    verdicts.set(squashed, verdict);
  }
  return verdict;
}

/**
 * Whether a field of this name holds a secret under the built-in rules.
 *
 * @example isSecretName('SecretAccessKey') // true
 * @example isSecretName('AccessKeyId') // false
 * @example isSecretName('NextToken') // false
 */
export function isSecretName(name: string): boolean {
  let verdict = rawVerdicts.get(name);
  if (verdict === undefined) {
    verdict = isSecretSquashed(squashName(name));
    if (rawVerdicts.size >= MAX_REMEMBERED) rawVerdicts.clear();
    rawVerdicts.set(name, verdict);
  }
  return verdict;
}

/**
 * Keys that name the value of a sibling field — `{"name": "DB_PASSWORD",
 * "value": "…"}` in ECS and CodeBuild environments, CloudFormation
 * `ParameterKey`/`ParameterValue`, Beanstalk `OptionName`/`Value`, XML map
 * `<key>`/`<value>` entries. When the named thing is a secret, so is the value.
 */
export const PAIR_NAME_KEYS: ReadonlySet<string> = new Set([
  'name', 'key', 'parameterkey', 'parametername', 'attributename', 'optionname', 'variablename', 'propertyname',
]);

/** The value side of {@link PAIR_NAME_KEYS}. */
export const PAIR_VALUE_KEYS: ReadonlySet<string> = new Set([
  'value', 'values', 'parametervalue', 'attributevalue', 'stringvalue', 'propertyvalue',
]);

/** Elements and form segments that only wrap list items or map entries (`<member>`, `<item>`, `entry.1`). */
export const LIST_WRAPPERS: ReadonlySet<string> = new Set(['member', 'item', 'entry']);
