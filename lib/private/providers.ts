import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { TerraformStack } from 'cdktf';
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
  const helm = new HelmProvider(scope, 'Helm', { alias, kubernetes: { ...endpoint, exec } });
  // The prebuilt provider pins helm 3.1.0, which fails a chart version bump with "Provider produced
  // inconsistent result after apply" (hashicorp/terraform-provider-helm#1664, fixed in 3.1.1): every change to
  // the library's content-versioned manifests chart, and every pinned-chart upgrade, is such a bump.
  TerraformStack.of(scope).addOverride('terraform.required_providers.helm.version', HELM_PROVIDER_VERSION);
  return { kubernetes: new KubernetesProvider(scope, 'Kubernetes', { alias, ...endpoint, exec: [exec] }), helm };
}

/** The helm provider versions the library's releases upgrade with (3.1.1 fixed chart version bumps). */
export const HELM_PROVIDER_VERSION = '>= 3.1.1, < 4.0.0';
