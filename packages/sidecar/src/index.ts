export { Sidecar } from './sidecar.js';
export type { SidecarOptions, SidecarEndpoints } from './sidecar.js';
export { loadSidecarConfig, SIDECAR_FIELDS } from './config/sidecar-config.js';
export type { SidecarConfig } from './config/sidecar-config.js';
export { SessionRegistry, ACCESS_KEY_PREFIX } from './credentials/session-registry.js';
export type { Session, EphemeralCredentials } from './credentials/session-registry.js';
export { CREDENTIALS_PATH, DELEGATIONS_PATH } from './credentials/credential-endpoint.js';
export type { CredentialProvider, ProvidedCredentials } from './proxy/upstream-credentials.js';
