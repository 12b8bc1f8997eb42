import { AwsCallerError } from '../errors.js';
import type { AwsProtocol } from './types.js';

/** Why the gateway answers a call itself instead of forwarding it. */
export type CallerFault =
  | 'MissingAuthentication'
  | 'MalformedAuthorization'
  | 'UnknownAccessKey'
  | 'InvalidSecurityToken'
  | 'ExpiredToken'
  | 'SignatureMismatch'
  | 'PayloadHashMismatch'
  | 'RequestExpired'
  | 'ClockSkew'
  | 'AccessDenied'
  | 'ApprovalRequired'
  | 'RequestTooLarge'
  | 'IncompleteBody'
  | 'UnsupportedSigning'
  | 'UpstreamUnavailable'
  | 'UpstreamTimeout'
  | 'AuditUnavailable'
  | 'InternalError';

/** Error families: each answers a fault with its own code and status. */
type Family = 's3' | 'query' | 'ec2' | 'json' | 'restJson';
type Entry = readonly [code: string, status: number, message: string];

const SIGNATURE_MESSAGE =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
const INVALID_TOKEN = 'The security token included in the request is invalid.';
const EXPIRED_TOKEN = 'The security token included in the request is expired';
const EC2_AUTH = 'AWS was not able to validate the provided access credentials';

/**
 * What each AWS family answers, from the services' documented common errors
 * and observed responses: S3 speaks its own codes (`InvalidAccessKeyId`,
 * `RequestTimeTooSkewed`); query services (IAM, STS, SNS, SQS-query) the
 * classic ones with 403; JSON services the `…Exception` names with 400; REST-JSON
 * services (behind the same front door as API Gateway) those names with 403;
 * EC2 folds credential problems into `AuthFailure` (401) and calls a refusal
 * `UnauthorizedOperation`. Server-side trouble is 5xx, which every SDK retries.
 */
const TABLE: Readonly<Record<CallerFault, Readonly<Record<Family, Entry>>>> = {
  MissingAuthentication: {
    s3: ['AccessDenied', 403, 'Access Denied'],
    query: ['MissingAuthenticationToken', 403, 'Request is missing Authentication Token'],
    ec2: ['MissingParameter', 400, 'The request must contain the parameter AWSAccessKeyId'],
    json: ['MissingAuthenticationTokenException', 400, 'Missing Authentication Token'],
    restJson: ['MissingAuthenticationTokenException', 403, 'Missing Authentication Token'],
  },
  MalformedAuthorization: {
    s3: ['AuthorizationHeaderMalformed', 400, 'The authorization header is malformed.'],
    query: ['IncompleteSignature', 400, 'The request signature does not conform to AWS standards.'],
    ec2: ['IncompleteSignature', 400, 'The request signature does not conform to AWS standards.'],
    json: ['IncompleteSignatureException', 400, 'The request signature does not conform to AWS standards.'],
    restJson: ['IncompleteSignatureException', 403, 'The request signature does not conform to AWS standards.'],
  },
  UnknownAccessKey: {
    s3: ['InvalidAccessKeyId', 403, 'The AWS Access Key Id you provided does not exist in our records.'],
    query: ['InvalidClientTokenId', 403, INVALID_TOKEN],
    ec2: ['AuthFailure', 401, EC2_AUTH],
    json: ['UnrecognizedClientException', 400, INVALID_TOKEN],
    restJson: ['UnrecognizedClientException', 403, INVALID_TOKEN],
  },
  InvalidSecurityToken: {
    s3: ['InvalidToken', 400, 'The provided token is malformed or otherwise invalid.'],
    query: ['InvalidClientTokenId', 403, INVALID_TOKEN],
    ec2: ['AuthFailure', 401, EC2_AUTH],
    json: ['UnrecognizedClientException', 400, INVALID_TOKEN],
    restJson: ['UnrecognizedClientException', 403, INVALID_TOKEN],
  },
  ExpiredToken: {
    s3: ['ExpiredToken', 400, 'The provided token has expired.'],
    query: ['ExpiredToken', 403, EXPIRED_TOKEN],
    ec2: ['RequestExpired', 400, 'Request has expired.'],
    json: ['ExpiredTokenException', 400, EXPIRED_TOKEN],
    restJson: ['ExpiredTokenException', 403, EXPIRED_TOKEN],
  },
  SignatureMismatch: {
    s3: ['SignatureDoesNotMatch', 403, 'The request signature we calculated does not match the signature you provided. Check your key and signing method.'],
    query: ['SignatureDoesNotMatch', 403, SIGNATURE_MESSAGE],
    ec2: ['AuthFailure', 401, EC2_AUTH],
    json: ['InvalidSignatureException', 400, SIGNATURE_MESSAGE],
    restJson: ['InvalidSignatureException', 403, SIGNATURE_MESSAGE],
  },
  // The body does not hash to the x-amz-content-sha256 the caller signed: S3 has
  // its own code for it; elsewhere the signature simply does not match.
  PayloadHashMismatch: {
    s3: ['XAmzContentSHA256Mismatch', 400, "The provided 'x-amz-content-sha256' header does not match what was computed."],
    query: ['SignatureDoesNotMatch', 403, SIGNATURE_MESSAGE],
    ec2: ['AuthFailure', 401, EC2_AUTH],
    json: ['InvalidSignatureException', 400, SIGNATURE_MESSAGE],
    restJson: ['InvalidSignatureException', 403, SIGNATURE_MESSAGE],
  },
  RequestExpired: {
    s3: ['AccessDenied', 403, 'Request has expired'],
    query: ['SignatureDoesNotMatch', 403, 'Signature expired'],
    ec2: ['RequestExpired', 400, 'Request has expired.'],
    json: ['InvalidSignatureException', 400, 'Signature expired'],
    restJson: ['InvalidSignatureException', 403, 'Signature expired'],
  },
  ClockSkew: {
    s3: ['RequestTimeTooSkewed', 403, 'The difference between the request time and the current time is too large.'],
    query: ['SignatureDoesNotMatch', 403, 'Signature expired'],
    ec2: ['RequestExpired', 400, 'Request has expired.'],
    json: ['InvalidSignatureException', 400, 'Signature expired'],
    restJson: ['InvalidSignatureException', 403, 'Signature expired'],
  },
  AccessDenied: {
    s3: ['AccessDenied', 403, 'Access Denied'],
    query: ['AccessDenied', 403, 'User is not authorized to perform this operation'],
    ec2: ['UnauthorizedOperation', 403, 'You are not authorized to perform this operation.'],
    json: ['AccessDeniedException', 400, 'User is not authorized to perform this operation'],
    restJson: ['AccessDeniedException', 403, 'User is not authorized to perform this operation'],
  },
  ApprovalRequired: {
    s3: ['AccessDenied', 403, 'Access Denied: approval required'],
    query: ['AccessDenied', 403, 'Approval required'],
    ec2: ['UnauthorizedOperation', 403, 'Approval required'],
    json: ['AccessDeniedException', 400, 'Approval required'],
    restJson: ['AccessDeniedException', 403, 'Approval required'],
  },
  RequestTooLarge: {
    s3: ['EntityTooLarge', 400, 'Your proposed upload exceeds the maximum allowed size.'],
    query: ['RequestEntityTooLarge', 413, 'Request entity too large'],
    ec2: ['RequestEntityTooLarge', 413, 'Request entity too large'],
    json: ['RequestEntityTooLargeException', 413, 'Request entity too large'],
    restJson: ['RequestEntityTooLargeException', 413, 'Request entity too large'],
  },
  IncompleteBody: {
    s3: ['IncompleteBody', 400, 'You did not provide the number of bytes specified by the Content-Length HTTP header.'],
    query: ['IncompleteBody', 400, 'The request body is incomplete.'],
    ec2: ['IncompleteBody', 400, 'The request body is incomplete.'],
    json: ['SerializationException', 400, 'The request body is incomplete.'],
    restJson: ['SerializationException', 400, 'The request body is incomplete.'],
  },
  UnsupportedSigning: {
    s3: ['InvalidRequest', 400, 'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.'],
    query: ['IncompleteSignature', 400, 'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.'],
    ec2: ['AuthFailure', 401, 'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.'],
    json: ['IncompleteSignatureException', 400, 'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.'],
    restJson: ['IncompleteSignatureException', 403, 'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.'],
  },
  UpstreamUnavailable: {
    s3: ['ServiceUnavailable', 502, 'The AWS endpoint could not be reached. Please try again.'],
    query: ['ServiceUnavailable', 502, 'The AWS endpoint could not be reached. Please try again.'],
    ec2: ['Unavailable', 502, 'The AWS endpoint could not be reached. Please try again.'],
    json: ['ServiceUnavailableException', 502, 'The AWS endpoint could not be reached. Please try again.'],
    restJson: ['ServiceUnavailableException', 502, 'The AWS endpoint could not be reached. Please try again.'],
  },
  UpstreamTimeout: {
    s3: ['InternalError', 504, 'The AWS endpoint did not answer in time. Please try again.'],
    query: ['InternalFailure', 504, 'The AWS endpoint did not answer in time. Please try again.'],
    ec2: ['InternalError', 504, 'The AWS endpoint did not answer in time. Please try again.'],
    json: ['InternalFailure', 504, 'The AWS endpoint did not answer in time. Please try again.'],
    restJson: ['InternalFailure', 504, 'The AWS endpoint did not answer in time. Please try again.'],
  },
  AuditUnavailable: {
    s3: ['ServiceUnavailable', 503, 'Please reduce your request rate.'],
    query: ['ServiceUnavailable', 503, 'The request has failed due to a temporary failure of the server.'],
    ec2: ['Unavailable', 503, 'The server is overloaded and cannot handle the request.'],
    json: ['ServiceUnavailableException', 503, 'The request has failed due to a temporary failure of the server.'],
    restJson: ['ServiceUnavailableException', 503, 'The request has failed due to a temporary failure of the server.'],
  },
  InternalError: {
    s3: ['InternalError', 500, 'We encountered an internal error. Please try again.'],
    query: ['InternalFailure', 500, 'The request processing has failed because of an unknown error, exception or failure.'],
    ec2: ['InternalError', 500, 'An internal error has occurred.'],
    json: ['InternalFailure', 500, 'The request processing has failed because of an unknown error, exception or failure.'],
    restJson: ['InternalFailure', 500, 'The request processing has failed because of an unknown error, exception or failure.'],
  },
};

/** Services answering in S3's own error dialect (rest-xml with a bare `<Error>` root). */
const S3_SERVICES: ReadonlySet<string> = new Set(['s3', 's3express', 's3-object-lambda', 's3-outposts']);

/** True when a rest-xml error for `service` takes S3's shape (the default when unknown). */
export function isS3Dialect(service: string | undefined): boolean {
  return service === undefined || service === '' || S3_SERVICES.has(service);
}

function familyOf(protocol: AwsProtocol, service: string | undefined): Family {
  switch (protocol) {
    case 'rest-xml':
      return isS3Dialect(service) ? 's3' : 'query'; // Route 53, CloudFront: query-style codes in <ErrorResponse>
    case 'query':
      return 'query';
    case 'ec2':
      return 'ec2';
    case 'rest-json':
      return 'restJson';
    case 'json':
    case 'smithy-rpc-v2-cbor':
      return 'json';
  }
}

const PREFIX = 'CALLER_';
const codeOf = (fault: CallerFault): string => PREFIX + fault.replace(/(?<=[a-z])(?=[A-Z])/g, '_').toUpperCase();
const FAULT_BY_CODE = new Map<string, CallerFault>((Object.keys(TABLE) as CallerFault[]).map((f) => [codeOf(f), f]));

/**
 * The error the real service would send for a fault: AWS code and HTTP status by
 * protocol (and S3 vs other rest-xml services), with `message` or, when empty,
 * the service's own wording. `code` is `CALLER_<FAULT>` (`CALLER_UNKNOWN_ACCESS_KEY`).
 *
 * @example awsErrorFor('UnknownAccessKey', 'json', 'dynamodb', '').awsCode // 'UnrecognizedClientException'
 */
export function awsErrorFor(fault: CallerFault, protocol: AwsProtocol, service: string | undefined, message: string): AwsCallerError {
  const [awsCode, status, fallback] = TABLE[fault][familyOf(protocol, service)];
  return new AwsCallerError(codeOf(fault), awsCode, status, message !== '' ? message : fallback, { sender: status < 500 });
}

/**
 * The query-protocol code of an error built by `awsErrorFor`, for the
 * `x-amzn-query-error` header of query-compatible JSON services (SQS), so old
 * and new clients see the same code. Other errors: the JSON code without its
 * `Exception` suffix.
 */
export function queryCodeOf(err: AwsCallerError): string {
  const fault = FAULT_BY_CODE.get(err.code);
  if (fault !== undefined) return TABLE[fault].query[0];
  return err.awsCode.endsWith('Exception') ? err.awsCode.slice(0, -'Exception'.length) : err.awsCode;
}

/**
 * AWS's wording for a request outside the allowed clock skew:
 * `Signature expired: 20240101T000000Z is now earlier than 20240101T001000Z (20240101T001500Z - 5 min.)`,
 * or `Signature not yet current: … is still later than … (… + 5 min.)` for a date in the future.
 */
export function clockSkewMessage(requestAmzDate: string, now: Date, skewMinutes = 5): string {
  const fmt = (d: Date): string => d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const bound = (sign: number): string => fmt(new Date(now.getTime() + sign * skewMinutes * 60_000));
  const parsed = Date.parse(requestAmzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
  if (!Number.isNaN(parsed) && parsed > now.getTime()) {
    return `Signature not yet current: ${requestAmzDate} is still later than ${bound(1)} (${fmt(now)} + ${skewMinutes} min.)`;
  }
  return `Signature expired: ${requestAmzDate} is now earlier than ${bound(-1)} (${fmt(now)} - ${skewMinutes} min.)`;
}
