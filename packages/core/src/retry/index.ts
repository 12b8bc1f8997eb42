export { backoffDelay } from './backoff.js';
export { connectWithRetry, reconnectingNatsOptions } from './connect-with-retry.js';
export type { ConnectRetryOptions } from './connect-with-retry.js';
