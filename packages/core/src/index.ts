export * from './sigv4/index.js';
export { AgentRailError, AwsCallerError, ConfigError } from './errors.js';
export { AGENT_NAME } from './identity/chain.js';
export type { Actor, ActorType, Chain } from './identity/chain.js';
export { createLogger } from './logging/logger.js';
export type { Logger, LogFields } from './logging/logger.js';
export { resolveConfig } from './config/layered-config.js';
export type { FieldSpec, ConfigSources } from './config/layered-config.js';
export * from './aws/index.js';
