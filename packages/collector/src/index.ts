export type {
  AuditReader, AuditStore, ChainStatus, InsertResult, SearchQuery, SearchResult, SessionQuery, SessionSummary, SessionTree, VerifyReport,
} from './store/audit-store.js';
