/** Export formats of the audit trail: JSON Lines and OCSF API Activity. */
export { writeJsonl } from './jsonl.js';
export type { JsonlOptions } from './jsonl.js';
export { OCSF_API_ACTIVITY_CLASS, OCSF_VERSION, toOcsfApiActivity } from './ocsf.js';
export type { OcsfApiActivity } from './ocsf.js';
export { activityIdOf, activityName } from './ocsf-activity.js';
export type { OcsfActivityId } from './ocsf-activity.js';
