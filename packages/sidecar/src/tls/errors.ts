import { AgentRailError } from '@agentrail/core';

/**
 * Errors of the TLS-interception building blocks. `code` is stable: it never
 * changes meaning, so logs, metrics and callers can switch on it.
 */
export class TlsInterceptionError extends AgentRailError {}

/** Why a ClientHello could not be read; see {@link ClientHelloError}. */
export type ClientHelloErrorCode =
  /** Nothing conclusive arrived within `timeoutMs`. */
  | 'CLIENT_HELLO_TIMEOUT'
  /** The ClientHello did not fit in `maxBytes`. */
  | 'CLIENT_HELLO_TOO_LARGE'
  /** The bytes start like a TLS handshake but break its framing (RFC 8446 §5.1, §4.1.2). */
  | 'CLIENT_HELLO_MALFORMED'
  /** The peer closed (or half-closed) before a whole ClientHello arrived. */
  | 'CLIENT_HELLO_CLOSED'
  /** The socket failed while reading. */
  | 'CLIENT_HELLO_SOCKET_ERROR'
  /** The caller's AbortSignal fired. */
  | 'CLIENT_HELLO_ABORTED';

/**
 * A ClientHello could not be read. `received` holds every byte consumed from the
 * socket before the failure, so a caller that still wants to forward the stream
 * (a plain tunnel) can replay them.
 */
export class ClientHelloError extends TlsInterceptionError {
  declare readonly code: ClientHelloErrorCode;
  readonly received: Buffer;

  constructor(code: ClientHelloErrorCode, message: string, received: Buffer, options?: { cause?: unknown }) {
    super(code, message, options);
    this.received = received;
  }
}

/** Why the CA refused; see {@link CertificateAuthorityError}. */
export type CertificateAuthorityErrorCode =
  /** `CertificateAuthority.create` options out of range. */
  | 'CA_INVALID_OPTIONS'
  /** The requested name is neither a DNS name nor an IP literal. */
  | 'CA_INVALID_SERVERNAME'
  /** The CA itself has expired (or is about to), so no leaf can be valid. */
  | 'CA_EXPIRED';

/** A certificate could not be issued, or the CA was configured wrongly. */
export class CertificateAuthorityError extends TlsInterceptionError {
  declare readonly code: CertificateAuthorityErrorCode;

  constructor(code: CertificateAuthorityErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** A configured custom AWS host pattern is not usable. */
export class HostPatternError extends TlsInterceptionError {
  declare readonly code: 'AWS_HOST_PATTERN_INVALID';
  readonly pattern: string;

  constructor(pattern: string, reason: string) {
    super('AWS_HOST_PATTERN_INVALID', `invalid AWS host pattern ${JSON.stringify(pattern)}: ${reason}`);
    this.pattern = pattern;
  }
}

/** Why a tunnel's upstream connection failed; see {@link UpstreamConnectError}. */
export type UpstreamConnectErrorCode = 'UPSTREAM_CONNECT_TIMEOUT' | 'UPSTREAM_CONNECT_FAILED';

/** The destination of a plain tunnel could not be reached. */
export class UpstreamConnectError extends TlsInterceptionError {
  declare readonly code: UpstreamConnectErrorCode;
  readonly host: string;
  readonly port: number;

  constructor(code: UpstreamConnectErrorCode, host: string, port: number, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.host = host;
    this.port = port;
  }
}
