import { lazyModule } from '../private/lazy';
import { Fn, Token } from 'cdktf';
import { Construct } from 'constructs';
import { CloudProvider, IAcceleratorCluster } from '../core/cluster';
import { IRemoteWrite, RemoteWriteBindOptions, RemoteWriteBinding } from '../core/remote-write';
import { PodIdentityBinding } from './pod-identity';

const prometheusWorkspaceLib = lazyModule<typeof import('@cdktf/provider-aws/lib/prometheus-workspace')>(
  '@cdktf/provider-aws/lib/prometheus-workspace',
);

/** Options of Amazon Managed Service for Prometheus. */
export interface AmazonManagedPrometheusOptions {
  /**
   * An existing workspace ARN (arn:aws:aps:<region>:<account>:workspace/ws-…).
   * @default - a new workspace is created
   */
  readonly workspaceArn?: string;
  /**
   * Alias of the new workspace.
   * @default - '<clusterName>-metrics'
   */
  readonly alias?: string;
  /**
   * Customer managed KMS key for the new workspace.
   * @default - an AWS owned key
   */
  readonly kmsKeyArn?: string;
  /**
   * Protect the new workspace (and its metrics history) with `prevent_destroy`. Set false for throwaway
   * environments that must `destroy` cleanly.
   * @default true
   */
  readonly retainOnDestroy?: boolean;
}

const AMP_ARN = /^arn:aws[a-z-]*:aps:([a-z0-9-]+):\d{12}:workspace\/(ws-[A-Za-z0-9-]+)$/;

/**
 * Amazon Managed Service for Prometheus as a remote-write backend: a workspace (new or given), a Pod
 * Identity role for Prometheus's service account allowed `aps:RemoteWrite` on it, and SigV4-signed remote write.
 */
export class AmazonManagedPrometheus implements IRemoteWrite {
  constructor(private readonly options: AmazonManagedPrometheusOptions = {}) {}

  public validate(cluster: IAcceleratorCluster): string[] {
    const errors: string[] = [];
    if (cluster.cloudProvider !== CloudProvider.AWS) {
      errors.push(
        `remoteWrite 'amazonManagedPrometheus' does not fit a cluster on ${cluster.cloudProvider}; Pod Identity and SigV4 need EKS, leave remoteWrite unset on AKS`,
      );
    }
    const arn = this.options.workspaceArn;
    if (arn !== undefined && !Token.isUnresolved(arn) && !AMP_ARN.test(arn)) {
      errors.push(`remoteWrite.workspaceArn '${arn}' is not an AMP workspace ARN; pass arn:aws:aps:<region>:<account>:workspace/ws-<id>`);
    }
    if (
      arn !== undefined &&
      (this.options.alias !== undefined || this.options.kmsKeyArn !== undefined || this.options.retainOnDestroy !== undefined)
    ) {
      errors.push(
        `remoteWrite.alias/kmsKeyArn/retainOnDestroy '${this.options.alias ?? this.options.kmsKeyArn ?? this.options.retainOnDestroy}' only apply to a new workspace; drop them or drop workspaceArn`,
      );
    }
    return errors;
  }

  public bind(scope: Construct, options: RemoteWriteBindOptions): RemoteWriteBinding {
    let arn: string;
    let region: string;
    let url: string;
    const given = this.options.workspaceArn;
    const parsed = given !== undefined && !Token.isUnresolved(given) ? AMP_ARN.exec(given) : null;
    if (parsed) {
      const [, r, id] = parsed;
      arn = given!;
      region = r;
      url = `https://aps-workspaces.${r}.amazonaws.com/workspaces/${id}/api/v1/remote_write`;
    } else if (given !== undefined) {
      arn = given;
      region = Fn.element(Fn.split(':', arn), 3);
      url = Fn.join('', [
        'https://aps-workspaces.',
        region,
        '.amazonaws.com/workspaces/',
        Fn.element(Fn.split('/', arn), 1),
        '/api/v1/remote_write',
      ]);
    } else {
      // The metrics history outlives the cluster: in its data stack when it has one.
      const ws = new (prometheusWorkspaceLib().PrometheusWorkspace)(options.cluster.dataScope(scope), 'Workspace', {
        alias: this.options.alias ?? `${options.cluster.clusterName}-metrics`,
        kmsKeyArn: this.options.kmsKeyArn,
        tags: { ...options.cluster.tags },
        lifecycle: { preventDestroy: this.options.retainOnDestroy ?? true },
      });
      arn = ws.arn;
      region = Fn.element(Fn.split(':', ws.arn), 3);
      // prometheus_endpoint ends with '/'.
      url = `${ws.prometheusEndpoint}api/v1/remote_write`;
    }
    const identity = options.cluster.bindServiceAccount(scope, 'Identity', {
      namespace: options.namespace,
      serviceAccountName: options.serviceAccountName,
    });
    // On another cloud validate() reports the mismatch; nothing to grant here.
    if (identity instanceof PodIdentityBinding)
      identity.addToPolicy({ sid: 'RemoteWrite', actions: ['aps:RemoteWrite'], resources: [arn] });
    return {
      identity,
      remoteWrite: [
        {
          url,
          sigv4: { region },
          // AMP ingests up to 1,000 samples per request well; the larger queue rides out short throttling.
          queueConfig: { maxSamplesPerSend: 1000, maxShards: 200, capacity: 2500 },
        },
      ],
    };
  }
}
