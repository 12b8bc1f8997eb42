import { AWS_SENSITIVE_FIELDS } from './generated/aws-sensitive-fields.js';
import { modelsForService } from './service-catalog.js';

const NONE: readonly string[] = [];
const byService = new Map<string, ReadonlyMap<string, readonly string[]>>();

/** `Op=a,b;Op2=c` → Op → [a, b], parsed the first time a service is asked for. */
function fieldsOfService(id: string): ReadonlyMap<string, readonly string[]> {
  let table = byService.get(id);
  if (table === undefined) {
    const map = new Map<string, readonly string[]>();
    for (const entry of (AWS_SENSITIVE_FIELDS[id] ?? '').split(';')) {
      const eq = entry.indexOf('=');
      if (eq > 0) map.set(entry.slice(0, eq), entry.slice(eq + 1).split(','));
    }
    table = map;
    byService.set(id, table);
  }
  return table;
}

/**
 * Wire names of the members of `service:Operation` that botocore marks
 * `sensitive` and that hold credentials or secret material (request and
 * response together; compare case-insensitively). The service may be named by
 * IAM prefix or signing name; several models can serve one (`bedrock`).
 *
 * @example sensitiveFieldsOf('secretsmanager:GetSecretValue') // ['SecretBinary', 'SecretString']
 */
export function sensitiveFieldsOf(action: string): readonly string[] {
  const colon = action.indexOf(':');
  if (colon <= 0) return NONE;
  const operation = action.slice(colon + 1);
  const models = modelsForService(action.slice(0, colon));
  const [only] = models;
  if (models.length === 1 && only !== undefined) return fieldsOfService(only.id).get(operation) ?? NONE;
  const names = new Set<string>();
  for (const model of models) for (const name of fieldsOfService(model.id).get(operation) ?? NONE) names.add(name);
  return names.size === 0 ? NONE : [...names];
}
