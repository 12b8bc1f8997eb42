/**
 * OCSF API Activity `activity_id` from an AWS operation name, by its leading
 * verb — the way CloudTrail-to-OCSF mappings read `eventName`. `Put` counts as
 * Update (an upsert of a named thing: PutObject, PutParameter); verbs that
 * neither create, read, change nor delete (AssumeRole, Decrypt, Invoke,
 * SendMessage, Start…) are Other.
 */

export type OcsfActivityId = 0 | 1 | 2 | 3 | 4 | 99;

const VERBS: ReadonlyMap<string, OcsfActivityId> = new Map([
  ...['Create', 'Add', 'Allocate', 'Import', 'Register', 'Run', 'Launch', 'Upload', 'Copy', 'Clone', 'Issue'].map((v) => [v, 1] as const),
  ...['Get', 'Describe', 'List', 'Head', 'Search', 'Query', 'Scan', 'Select', 'Lookup', 'Download', 'Receive', 'Read', 'View', 'Fetch', 'Retrieve'].map((v) => [v, 2] as const),
  ...['Update', 'Put', 'Modify', 'Set', 'Change', 'Attach', 'Detach', 'Associate', 'Disassociate', 'Tag', 'Untag', 'Enable', 'Disable', 'Reset', 'Replace',
    'Rename', 'Restore', 'Rotate', 'Apply', 'Edit', 'Assign', 'Unassign', 'Link', 'Unlink', 'Configure', 'Merge', 'Move', 'Increase', 'Decrease', 'Revoke', 'Authorize'].map((v) => [v, 3] as const),
  ...['Delete', 'Remove', 'Terminate', 'Deregister', 'Unregister', 'Release', 'Purge', 'Destroy', 'Drop', 'Erase'].map((v) => [v, 4] as const),
]);

const NAMES: Readonly<Record<OcsfActivityId, string>> = { 0: 'Unknown', 1: 'Create', 2: 'Read', 3: 'Update', 4: 'Delete', 99: 'Other' };

/**
 * The activity of `Operation` or `service:Operation`: `s3:GetObject` → 2 (Read),
 * `dynamodb:BatchWriteItem` → 99, `ec2:TerminateInstances` → 4, `x:Unknown` → 0.
 */
export function activityIdOf(operation: string): OcsfActivityId {
  let name = operation.slice(operation.indexOf(':') + 1);
  if (name === '' || name === 'Unknown') return 0;
  if (name.startsWith('Batch') && name.length > 5) name = name.slice(5); // BatchGetItem reads, BatchDeleteImage deletes
  const verb = /^[A-Z][a-z]*/.exec(name)?.[0] ?? '';
  return VERBS.get(verb) ?? 99;
}

/** The caption OCSF gives an activity id. */
export function activityName(id: OcsfActivityId): string {
  return NAMES[id];
}
