import { lazyModule } from '../private/lazy';
import type { EksAddon } from '@cdktf/provider-aws/lib/eks-addon';
import type { EksCluster } from '@cdktf/provider-aws/lib/eks-cluster';
import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';

const eksAddonLib = lazyModule<typeof import('@cdktf/provider-aws/lib/eks-addon')>('@cdktf/provider-aws/lib/eks-addon');

/** What every core add-on of the cluster shares. */
export interface CoreAddonOptions {
  /** The cluster name (a reference to the cluster resource). */
  readonly clusterName: string;
  /** Tags. */
  readonly tags: { [key: string]: string };
}

/**
 * A core add-on `Addon-<addonName>` in `scope`, at EKS's default version: created over what the cluster runs,
 * updated without overwriting changes made in the cluster.
 */
export function coreAddon(
  scope: Construct,
  addonName: string,
  o: CoreAddonOptions,
  dependsOn: ITerraformDependable[],
  configurationValues?: string,
): EksAddon {
  return new (eksAddonLib().EksAddon)(scope, `Addon-${addonName}`, {
    clusterName: o.clusterName,
    addonName,
    configurationValues,
    resolveConflictsOnCreate: 'OVERWRITE',
    resolveConflictsOnUpdate: 'PRESERVE',
    tags: o.tags,
    dependsOn,
  });
}

/** The add-ons created with the cluster, before any node. */
export interface NodeNetworkAddons {
  /** The VPC CNI, with its network policy agent. */
  readonly vpcCni: EksAddon;
  /** kube-proxy. */
  readonly kubeProxy: EksAddon;
  /** The Pod Identity agent; identities wait for it. */
  readonly podIdentityAgent: EksAddon;
}

/**
 * The VPC CNI, kube-proxy and the Pod Identity agent of `cluster`, in `scope`. Networking must be in place before
 * nodes join, or they never become Ready.
 */
export function nodeNetworkAddons(scope: Construct, cluster: EksCluster, o: CoreAddonOptions): NodeNetworkAddons {
  return {
    // The VPC CNI enforces NetworkPolicies only with its network policy agent on.
    vpcCni: coreAddon(scope, 'vpc-cni', o, [cluster], JSON.stringify({ enableNetworkPolicy: 'true' })),
    kubeProxy: coreAddon(scope, 'kube-proxy', o, [cluster]),
    podIdentityAgent: coreAddon(scope, 'eks-pod-identity-agent', o, [cluster]),
  };
}
