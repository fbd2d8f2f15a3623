import { lazyModule } from '../private/lazy';
import type { EksAddon } from '@cdktf/provider-aws/lib/eks-addon';
import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';

const eksAddonLib = lazyModule<typeof import('@cdktf/provider-aws/lib/eks-addon')>('@cdktf/provider-aws/lib/eks-addon');

/**
 * The pinned eks-node-monitoring-agent add-on (aws/eks-node-monitoring-agent v1.7.0, 2026-08: its
 * configuration schema has dcgmAgent.tolerations; `aws eks describe-addon-versions --addon-name
 * eks-node-monitoring-agent` lists the builds a cluster version takes).
 */
export const NODE_MONITORING_AGENT_VERSION = 'v1.7.0-eksbuild.1';

/**
 * The EKS node monitoring agent ('Addon-eks-node-monitoring-agent' in `scope`): reports GPU (DCGM, XID),
 * Neuron, kernel, network, storage and runtime faults as node conditions (AcceleratedHardwareReady, ...)
 * that node auto repair acts on. Its DaemonSets must run on the tainted accelerator nodes: the DCGM host
 * engine's tolerates no taint by default.
 */
export function nodeMonitoringAgent(
  scope: Construct,
  clusterName: string,
  tags: { [key: string]: string },
  dependsOn: ITerraformDependable[],
): EksAddon {
  return new (eksAddonLib().EksAddon)(scope, 'Addon-eks-node-monitoring-agent', {
    clusterName,
    addonName: 'eks-node-monitoring-agent',
    addonVersion: NODE_MONITORING_AGENT_VERSION,
    configurationValues: JSON.stringify({
      nodeAgent: { tolerations: [{ operator: 'Exists' }] },
      dcgmAgent: { tolerations: [{ operator: 'Exists' }] },
    }),
    resolveConflictsOnCreate: 'OVERWRITE',
    resolveConflictsOnUpdate: 'OVERWRITE',
    tags,
    dependsOn,
  });
}
