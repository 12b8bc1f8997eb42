import { KubeConfig } from '@kubernetes/client-node';

/**
 * A KubeConfig from `file`, or else the usual places in client-go's order:
 * `KUBECONFIG`, `~/.kube/config`, then the pod's service account (in cluster).
 */
export function loadKubeConfig(file?: string): KubeConfig {
  const kc = new KubeConfig();
  if (file !== undefined) kc.loadFromFile(file);
  else kc.loadFromDefault();
  return kc;
}
