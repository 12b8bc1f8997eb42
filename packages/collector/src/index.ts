export type {
  AuditReader, AuditStore, ChainStatus, InsertResult, SearchQuery, SearchResult, SessionQuery, SessionSummary, SessionTree, VerifyReport,
} from './store/audit-store.js';
export { DEFAULT_LIMIT, MAX_LIMIT } from './store/audit-store.js';
export { AuditApiError, CollectorError } from './errors.js';
export type { AuditApiErrorCode } from './errors.js';
export { createAuditApiHandler } from './api/audit-api.js';
export type { AuditApiOptions } from './api/audit-api.js';
export { AUTH_REALM } from './api/authenticator.js';
export type { Authenticator, Principal } from './api/authenticator.js';
export { OidcAuthenticator } from './api/oidc-authenticator.js';
export type { OidcAuthenticatorOptions } from './api/oidc-authenticator.js';
export { MIN_STATIC_TOKEN_LENGTH, StaticTokenAuthenticator } from './api/static-token-authenticator.js';
export { HttpAuditReader } from './api/http-audit-reader.js';
export type { HttpAuditReaderOptions } from './api/http-audit-reader.js';
export { parseSearchParams, parseSessionParams, parseTimeBound, searchParamsOf, sessionParamsOf } from './api/query-params.js';
export type { ParseOptions } from './api/query-params.js';
export { Collector } from './collector.js';
export { COLLECTOR_FIELDS, loadCollectorConfig } from './config/collector-config.js';
export type { CollectorConfig } from './config/collector-config.js';
export { OCSF_API_ACTIVITY_CLASS, OCSF_VERSION, activityIdOf, activityName, toOcsfApiActivity, writeJsonl } from './export/index.js';
export type { JsonlOptions, OcsfActivityId, OcsfApiActivity } from './export/index.js';
export { SqliteAuditStore } from './store/sqlite-audit-store.js';
export type { SqliteAuditStoreOptions } from './store/sqlite-audit-store.js';
export { AuditStoreError } from './store/store-error.js';
export type { AuditStoreErrorCode } from './store/store-error.js';
export { JetStreamIngest } from './ingest/jetstream-ingest.js';
export type { JetStreamIngestOptions, IngestCounters, IngestLogger } from './ingest/jetstream-ingest.js';
