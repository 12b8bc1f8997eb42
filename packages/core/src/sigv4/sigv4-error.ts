import { AgentRailError } from '../errors.js';

/**
 * Why a caller's SigV4 authentication was refused. The names match the caller
 * faults the AWS error renderer knows, so each becomes the exact error the real
 * service would send (`SignatureDoesNotMatch`, `RequestTimeTooSkewed` …).
 */
export type SigV4Fault =
  | 'MissingAuthentication'
  | 'MalformedAuthorization'
  | 'SignatureMismatch'
  | 'PayloadHashMismatch'
  | 'RequestExpired'
  | 'ClockSkew'
  | 'UnsupportedSigning'
  | 'IncompleteBody';

/** A refused SigV4 authentication; `fault` selects the AWS error sent back. */
export class SigV4Error extends AgentRailError {
  readonly fault: SigV4Fault;

  constructor(fault: SigV4Fault, message: string, options?: { cause?: unknown }) {
    super(`SIGV4_${fault.replace(/[A-Z]/g, (c, i: number) => (i === 0 ? c : `_${c}`)).toUpperCase()}`, message, options);
    this.fault = fault;
  }
}
