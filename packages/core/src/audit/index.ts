export { AUDIT_EVENT_VERSION, GENESIS_HASH } from './audit-event.js';
export type {
  AuditEvent, AuditEventType, AwsCallEvent, AuditDegradedEvent, BodyExcerpt, Decision, DecisionAction,
  EventSource, SessionEndedEvent, SessionLink, SessionStartedEvent, UnsealedEvent,
} from './audit-event.js';
export { canonicalJson } from './canonical-json.js';
export { eventHash, SessionChainer, verifyChain } from './hash-chain.js';
export type { ChainBreak } from './hash-chain.js';
export { UlidFactory, ulidTime } from './ulid.js';
export { AUDIT_STREAM, AUDIT_SUBJECT_PREFIX, COLLECTOR_CONSUMER, DUPLICATE_WINDOW_MS, auditSubject } from './jetstream-names.js';
