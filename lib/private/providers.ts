import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { Construct } from 'constructs';
import { aliasFromPath } from './naming';

/** How the Kubernetes and Helm providers reach and authenticate to a cluster. */
export interface ClusterConnection {
  /** API server URL. */
  readonly host: string;
  /** Base64-decoded CA certificate (PEM). */
  readonly clusterCaCertificate: string;
  /** Credential plugin command (e.g. aws, kubelogin). */
  readonly command: string;
  /** Its arguments. */
  readonly args: string[];
}

/**
 * Kubernetes and Helm providers for one cluster, aliased by construct path so two clusters in one stack do
 * not collide. Short-lived tokens come from an exec plugin: nothing long-lived lands in the state.
 */
export function clusterProviders(
  scope: Construct,
  clusterPath: string,
  c: ClusterConnection,
): { kubernetes: KubernetesProvider; helm: HelmProvider } {
  const alias = aliasFromPath(clusterPath);
  const exec = { apiVersion: 'client.authentication.k8s.io/v1beta1', command: c.command, args: c.args };
  const endpoint = { host: c.host, clusterCaCertificate: c.clusterCaCertificate };
  return {
    kubernetes: new KubernetesProvider(scope, 'Kubernetes', { alias, ...endpoint, exec: [exec] }),
    helm: new HelmProvider(scope, 'Helm', { alias, kubernetes: { ...endpoint, exec } }),
  };
}
