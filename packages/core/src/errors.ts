/**
 * Errors of the core package. `code` is stable: it never changes meaning, so
 * logs, metrics and callers can switch on it.
 */
export class AgentRailError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * An error an AWS caller must see in the shape its service would send: the AWS
 * error code (`SignatureDoesNotMatch`, `InvalidClientTokenId` …), HTTP status and
 * message. `code` is the AgentRail code; `awsCode` is what goes on the wire.
 */
export class AwsCallerError extends AgentRailError {
  readonly status: number;
  readonly awsCode: string;
  /** Set for errors the caller caused (AWS `Sender`), false for our own faults. */
  readonly sender: boolean;

  constructor(
    code: string,
    awsCode: string,
    status: number,
    message: string,
    options?: { cause?: unknown; sender?: boolean },
  ) {
    super(code, message, options);
    this.awsCode = awsCode;
    this.status = status;
    this.sender = options?.sender ?? status < 500;
  }
}

/** Configuration problems, each with the path of the offending key. */
export class ConfigError extends AgentRailError {
  readonly problems: readonly { path: string; message: string }[];

  constructor(problems: readonly { path: string; message: string }[]) {
    super(
      'CONFIG_INVALID',
      `invalid configuration:\n${problems.map((p) => `  - ${p.path}: ${p.message}`).join('\n')}`,
    );
    this.problems = problems;
  }
}
