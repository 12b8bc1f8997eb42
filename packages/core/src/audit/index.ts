export { AUDIT_EVENT_VERSION, GENESIS_HASH } from './audit-event.js';
export type {
  AuditEvent, AuditEventType, AwsCallEvent, AuditDegradedEvent, BodyExcerpt, BodyOmission, Decision, DecisionAction,
  EventSource, SessionEndedEvent, SessionLink, SessionStartedEvent, UnsealedEvent,
} from './audit-event.js';
export { canonicalJson } from './canonical-json.js';
export { eventHash, SessionChainer, verifyChain } from './hash-chain.js';
export type { ChainBreak } from './hash-chain.js';
export { UlidFactory, ulidTime } from './ulid.js';
export { AUDIT_STREAM, AUDIT_SUBJECT_PREFIX, COLLECTOR_CONSUMER, DUPLICATE_WINDOW_MS, auditSubject } from './jetstream-names.js';
export { AUDIT_STREAM_SUBJECTS, auditStreamSpec, collectorConsumerSpec, ensureAuditStream, ensureCollectorConsumer } from './ensure-audit-stream.js';
export type { AuditStreamOptions, AuditStreamSpec, CollectorConsumerOptions, CollectorConsumerSpec, EnsureResult, JetStreamAdmin } from './ensure-audit-stream.js';
export { MASK, maskBody, maskQuery } from './secret-masking.js';
export type { MaskBodyInput, MaskBodyResult, QueryInput } from './secret-masking.js';
export { isSecretName } from './secret-names.js';
export { redactText } from './text-redactor.js';
