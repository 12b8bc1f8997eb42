export * from './sigv4/index.js';
export { AgentRailError, AwsCallerError, ConfigError } from './errors.js';
export type { AwsOperation, AwsProtocol, OperationRequest } from './aws/types.js';
