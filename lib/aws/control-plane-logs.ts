import type { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import type { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { dataScopeIn } from '../core/data-scope';
import { encryptedLogGroup, logKey } from './encrypted-log-group';

/** Where and how long an EKS cluster keeps its control-plane logs. */
export interface ControlPlaneLogsOptions {
  /** The cluster name as written. */
  readonly clusterName: string;
  /**
   * The stack of the cluster's data services, if any: a retained log group and its own key live there.
   * @default - none: the log group lives in the cluster's stack
   */
  readonly dataStack?: TerraformStack;
  /** Log retention in days. */
  readonly retentionInDays: number;
  /** Keep the log group when the stack is destroyed. */
  readonly retainOnDestroy: boolean;
  /** Tags. */
  readonly tags: { [key: string]: string };
}

/** The key of the cluster's secrets and the control-plane log group. */
export interface ControlPlaneLogs {
  /** KMS key encrypting Kubernetes secrets (and the logs, without a data stack). */
  readonly secretsKey: KmsKey;
  /** The log group EKS writes to. */
  readonly logGroup: CloudwatchLogGroup;
}

/**
 * The secrets key `SecretsKey` in `cluster`, and the encrypted control-plane log group `ControlPlaneLogs`.
 *
 * With a data stack, the retained audit trail lives there with a key of its own (`LogsKey`): the cluster's key
 * goes with the compute, and a group kept out of any state (skip_destroy) would make the next deploy fail with
 * "already exists". Without one, one key serves secrets and logs, and the group is skipped on destroy.
 */
export function controlPlaneLogs(cluster: Construct, o: ControlPlaneLogsOptions): ControlPlaneLogs {
  const name = o.clusterName;
  const tags = o.tags;
  const logsInData = o.dataStack !== undefined && o.retainOnDestroy;
  const logsHome = logsInData ? dataScopeIn(o.dataStack, cluster) : cluster;
  const logGroup = { sid: 'ControlPlaneLogs', name: `/aws/eks/${name}/cluster` };
  const secretsKey = logKey(cluster, 'SecretsKey', {
    description: logsInData
      ? `Envelope encryption of Kubernetes secrets of EKS cluster ${name}`
      : `Envelope encryption of Kubernetes secrets and control-plane logs of EKS cluster ${name}`,
    aliasName: `alias/eks/${name}-secrets`,
    logGroup: logsInData ? undefined : logGroup,
    tags,
  });
  const logsKey = logsInData
    ? logKey(logsHome, 'LogsKey', {
        description: `Control-plane (audit) logs of EKS cluster ${name}, kept beyond the cluster`,
        aliasName: `alias/eks/${name}-logs`,
        logGroup,
        preventDestroy: true,
        tags,
      })
    : secretsKey;
  // EKS writes to this exact group name. The audit trail outlives the cluster unless retainOnDestroy is off:
  // in the data stack, or skipped on destroy.
  const group = encryptedLogGroup(logsHome, 'ControlPlaneLogs', {
    name: logGroup.name,
    retentionInDays: o.retentionInDays,
    kmsKeyArn: logsKey.arn,
    skipDestroy: logsInData ? undefined : o.retainOnDestroy,
    preventDestroy: logsInData,
    tags,
  });
  return { secretsKey, logGroup: group };
}
