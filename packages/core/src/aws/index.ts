/**
 * AWS service knowledge: which operation a call performs and on what, where its
 * endpoint is, and how each service words an error.
 */
export { extractOperation, UNKNOWN_OPERATION } from './operation-extractor.js';
export { protocolFor } from './wire-protocol.js';
export { resolveEndpoint } from './endpoint-resolver.js';
export { parseAwsHost, type AwsHost } from './aws-host.js';
export { partitionOf } from './aws-partitions.js';
export { AWS_MODELS_VERSION } from './service-catalog.js';
export { awsErrorFor, clockSkewMessage, queryCodeOf, type CallerFault } from './aws-error-codes.js';
export { renderAwsError, escapeXml, type RenderAwsErrorOptions, type RenderedAwsError } from './aws-error-renderer.js';
export type { AwsPartitionData } from './model-data.js';
export type { AwsOperation, AwsProtocol, OperationRequest } from './types.js';
export { sensitiveFieldsOf } from './sensitive-fields.js';
