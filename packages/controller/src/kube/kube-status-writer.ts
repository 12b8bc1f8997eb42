import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { ControllerError } from '../errors.js';
import type { PolicyObject } from '../policy/policy-bundle.js';
import { POLICY_GROUP, POLICY_PLURAL, POLICY_VERSION } from '../policy/policy-key.js';
import type { StatusWriter } from '../reconcile/policy-reconciler.js';
import type { PolicyStatus } from '../reconcile/policy-status.js';

/** The field manager the apiserver records for the controller's writes. */
export const FIELD_MANAGER = 'agentrail-controller';

/**
 * Writes GatewayPolicy status through the status subresource with a JSON merge
 * patch that carries the resourceVersion the status was computed from: the
 * apiserver refuses it (409) if the object changed meanwhile, so a status is
 * never written for a generation it does not describe. The caller retries
 * against the newer object.
 */
export class KubeStatusWriter implements StatusWriter {
  private readonly api: CustomObjectsApi;

  constructor(kubeConfig: KubeConfig) {
    this.api = kubeConfig.makeApiClient(CustomObjectsApi);
  }

  async writeStatus(obj: PolicyObject, status: PolicyStatus): Promise<'written' | 'gone'> {
    const { namespace, name, resourceVersion } = obj.metadata;
    try {
      await this.api.patchNamespacedCustomObjectStatus(
        {
          group: POLICY_GROUP, version: POLICY_VERSION, plural: POLICY_PLURAL, namespace, name,
          // conditions is a list: a merge patch replaces it whole, which is
          // what we want — setCondition() kept the entries of other writers.
          body: { metadata: { resourceVersion }, status },
          fieldManager: FIELD_MANAGER,
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      return 'written';
    } catch (err) {
      const code = (err as { code?: number }).code;
      if (code === 404) return 'gone';
      if (code === 409) throw new ControllerError('STATUS_CONFLICT', `${namespace}/${name} changed since resourceVersion ${resourceVersion}`, { cause: err });
      throw new ControllerError('KUBE_API', `writing status of ${namespace}/${name}: ${(err as Error).message}`, { cause: err });
    }
  }
}
